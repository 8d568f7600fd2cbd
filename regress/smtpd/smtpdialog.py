#!/usr/bin/python3
"""Run an SMTP dialogue scenario against a live server.

usage: smtpdialog.py [-H host] -p port [-D NAME=VALUE]... scenario.dlg

A scenario is a text file, one directive per line; blank lines and
lines starting with '#' are ignored (lines starting with "#conf " are
for the test script: smtpd.conf lines of this scenario).

  >>> TEXT        send TEXT followed by CRLF
  >>= TEXT        send TEXT with escapes decoded (\\r \\n \\t \\xNN \\\\),
                  nothing appended
  >>* N TEXT      send TEXT repeated N times, nothing appended
  >>{             start a batch: what is sent up to >>} goes out in a
  >>}             single write (pipelining)
  <<< REGEX       read one reply line (up to CRLF, without it); it must
                  match REGEX entirely (Python re.fullmatch)
  <<+ REGEX       read a whole multi-line reply: "NNN-" lines are
                  skipped, the final "NNN " line must match REGEX
  <<. [N]         the server closes the connection (EOF) within N
                  seconds (default: the timeout), after any reply lines
                  matched so far; unread extra lines are an error
  <<- N           nothing arrives for N seconds (no reply, no EOF)
  @timeout N      seconds to wait for each reply line (default 10)
  @sleep N        pause N seconds
  @shutdown       close the sending side (the server sees EOF)
  @open NAME      open another connection and use it (the first one,
                  opened at start, is named "main")
  @use NAME       switch to a named connection

"${NAME}" in a directive's text is replaced by the value given with -D
(e.g. the test user's name) before the directive runs.

Exit status 0 if the whole dialogue went as written; otherwise 1 with
the transcript and the first mismatch on stderr.
"""

import argparse
import re
import socket
import sys
import time


class Failure(Exception):
    pass


def decode_escapes(text):
    out = bytearray()
    i = 0
    raw = text.encode('utf-8')
    while i < len(raw):
        c = raw[i]
        if c != 0x5c or i + 1 >= len(raw):
            out.append(c)
            i += 1
            continue
        n = chr(raw[i + 1])
        if n == 'r':
            out.append(13)
        elif n == 'n':
            out.append(10)
        elif n == 't':
            out.append(9)
        elif n == '\\':
            out.append(0x5c)
        elif n == 'x':
            out.append(int(raw[i + 2:i + 4].decode(), 16))
            i += 2
        else:
            raise Failure('bad escape \\%s' % n)
        i += 2
    return bytes(out)


class Conn:
    def __init__(self, host, port, log):
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.connect((host, port))
        self.buf = b''
        self.eof = False
        self.log = log
        self.batch = None

    def send(self, data):
        if self.batch is not None:
            self.batch += data
            return
        self.log.append('C: %r' % data[:200])
        self.sock.sendall(data)

    def fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b''
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        while b'\r\n' not in self.buf:
            if self.eof:
                raise Failure('connection closed, expected a reply')
            if not self.fill(deadline):
                if self.eof:
                    continue
                raise Failure('no reply in %s s' % timeout)
        line, self.buf = self.buf.split(b'\r\n', 1)
        text = line.decode('utf-8', 'replace')
        self.log.append('S: %s' % text)
        return text

    def expect_eof(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.eof:
            if self.buf:
                raise Failure('expected the end of the connection, got '
                              '%r' % self.buf[:200])
            if not self.fill(deadline) and not self.eof:
                raise Failure('connection still open after %s s' % timeout)
        if self.buf:
            raise Failure('unexpected bytes before EOF: %r' % self.buf[:200])
        self.log.append('S: <EOF>')

    def expect_silence(self, secs):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if self.buf or self.eof:
                break
            self.fill(deadline)
        if self.buf:
            raise Failure('expected nothing, got %r' % self.buf[:200])
        if self.eof:
            raise Failure('expected nothing, the connection closed')


def run(path, host, port, defs):
    log = []
    conns = {'main': Conn(host, port, log)}
    cur = conns['main']
    timeout = 10.0
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for no, raw in enumerate(lines, 1):
        if raw == '' or raw.startswith('#'):
            continue
        op, _, arg = raw.partition(' ')
        for name, value in defs.items():
            arg = arg.replace('${%s}' % name, value)
        try:
            if op == '>>>':
                cur.send(arg.encode('utf-8') + b'\r\n')
            elif op == '>>=':
                cur.send(decode_escapes(arg))
            elif op == '>>*':
                count, _, text = arg.partition(' ')
                cur.send(decode_escapes(text) * int(count))
            elif op == '>>{':
                cur.batch = b''
            elif op == '>>}':
                data, cur.batch = cur.batch, None
                cur.send(data)
            elif op == '<<<':
                got = cur.line(timeout)
                if not re.fullmatch(arg, got):
                    raise Failure('reply %r does not match %r' % (got, arg))
            elif op == '<<+':
                got = cur.line(timeout)
                while len(got) > 3 and got[3] == '-':
                    got = cur.line(timeout)
                if not re.fullmatch(arg, got):
                    raise Failure('reply %r does not match %r' % (got, arg))
            elif op == '<<.':
                cur.expect_eof(float(arg) if arg else timeout)
            elif op == '<<-':
                cur.expect_silence(float(arg))
            elif op == '@timeout':
                timeout = float(arg)
            elif op == '@sleep':
                time.sleep(float(arg))
            elif op == '@shutdown':
                cur.sock.shutdown(socket.SHUT_WR)
            elif op == '@open':
                conns[arg] = Conn(host, port, log)
                cur = conns[arg]
                log.append('-- connection %s' % arg)
            elif op == '@use':
                cur = conns[arg]
                log.append('-- connection %s' % arg)
            else:
                raise Failure('unknown directive %r' % op)
        except (Failure, OSError) as e:
            sys.stderr.write('\n'.join(log) + '\n')
            sys.stderr.write('%s:%d: %s\n' % (path, no, e))
            return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-H', dest='host', default='127.0.0.1')
    ap.add_argument('-p', dest='port', type=int, required=True)
    ap.add_argument('-D', dest='defs', action='append', default=[])
    ap.add_argument('scenario')
    a = ap.parse_args()
    defs = {}
    for d in a.defs:
        name, _, value = d.partition('=')
        defs[name] = value
    sys.exit(run(a.scenario, a.host, a.port, defs))


if __name__ == '__main__':
    main()
