#!/usr/bin/python3
# SMTP AUTH client for regress/smtpd/auth_test.sh.  Standard library
# only; raw lines over a socket (plain, STARTTLS or SMTPS), so that the
# test decides every byte, including broken base64 and cancels.
#
#   authclient.py --port P [--tls none|starttls|smtps] [--ca FILE]
#                 [--ehlo NAME] [--timeout S] STEP...
#
# Connects, reads the greeting, says EHLO (again after STARTTLS), then
# sends each STEP as one line and prints the reply to it as
#   "CODE TEXT SECONDS"
# (the last line of a multi-line reply, SECONDS = time to the reply,
# three decimals).  The EHLO keywords are printed once as
#   "EHLO KEYWORD,KEYWORD,..."
# Tokens inside a STEP:
#   {plain:USER:PASS}   base64 of NUL USER NUL PASS (RFC 4616)
#   {b64:TEXT}          base64 of TEXT
#   {long:N}            N characters "A"
#   {msg:ID}            the whole DATA body of a small message with
#                       Message-ID <ID>, ending with the "." line
# A STEP "-" sends nothing and waits for one more reply.  The client
# stops at the first closed connection ("EOF" is printed) and exits 0.
import argparse
import base64
import re
import socket
import ssl
import sys
import time


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                return lines


def expand(step):
    def sub(m):
        kind, _, arg = m.group(1).partition(":")
        if kind == "plain":
            user, _, pw = arg.partition(":")
            raw = b"\0" + user.encode() + b"\0" + pw.encode()
            return base64.b64encode(raw).decode()
        if kind == "b64":
            return base64.b64encode(arg.encode()).decode()
        if kind == "long":
            return "A" * int(arg)
        if kind == "msg":
            return ("From: <sender@example.org>\r\nTo: <rcpt@localhost>\r\n"
                    "Subject: auth test\r\nMessage-ID: <%s>\r\n\r\n"
                    "hello\r\n." % arg)
        raise SystemExit("unknown token " + m.group(0))
    return re.sub(r"\{([a-z0-9]+:[^}]*)\}", sub, step)


def ehlo(c, name):
    c.send(("EHLO %s\r\n" % name).encode())
    r = c.reply()
    return [ln[4:] for ln in r[1:]], r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls", default="starttls",
                    choices=["none", "starttls", "smtps"])
    ap.add_argument("--ca")
    ap.add_argument("--ehlo", default="client.test")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("steps", nargs="*")
    a = ap.parse_args()

    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.check_hostname = False
    if a.ca is None:
        ctx.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", a.port), a.timeout)
    if a.tls == "smtps":
        sock = ctx.wrap_socket(sock)
    c = Conn(sock)
    try:
        c.reply()
        kw, r = ehlo(c, a.ehlo)
        if a.tls == "starttls":
            c.send(b"STARTTLS\r\n")
            r = c.reply()
            if not r[-1].startswith("220"):
                print("STARTTLS refused: " + r[-1])
                return 1
            c.sock = ctx.wrap_socket(c.sock)
            c.buf = b""
            kw, r = ehlo(c, a.ehlo)
        print("EHLO " + ",".join(kw))
        sys.stdout.flush()
        for step in a.steps:
            t = time.monotonic()
            if step != "-":
                c.send((expand(step) + "\r\n").encode("latin-1"))
            r = c.reply()
            print("%s %.3f" % (r[-1], time.monotonic() - t))
            sys.stdout.flush()
    except (EOFError, ConnectionError):
        print("EOF")
    return 0


if __name__ == "__main__":
    sys.exit(main())
