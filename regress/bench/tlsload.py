#!/usr/bin/python3
"""SMTP load over STARTTLS for regress/bench/run.sh (smtp-source has no TLS).

  tlsload.py [-s CONC] [-m MSGS] [-l SIZE] [-f FROM] [-t RCPT]
             [--per-conn K] [--procs P] [--tls 1.2|1.3] [--no-tls]
             [--resume] [--cafile F] [--servername NAME]
             [--summary FILE] HOST:PORT
      Send MSGS messages of SIZE bytes from CONC concurrent sessions,
      spread over P processes (default 2; each runs an event loop on
      non-blocking sockets with its share of the sessions, and all take
      the next message from one shared counter so that none idles while
      others still have work).
      Each session: connect, read the greeting, EHLO, STARTTLS, TLS
      handshake (certificate verified against --cafile for --servername),
      EHLO again, then K messages (MAIL, RCPT, DATA, the message, ".";
      default 1 as smtp-source sends: one connection per message), QUIT.
      --tls caps the protocol version (default: what both sides prefer);
      --no-tls leaves out STARTTLS (the same client in plaintext, to
      tell the cost of TLS from the rest); --resume offers each new
      session the last TLS session (ticket) its process received, as a
      client with a session cache does (R: handshakes the server
      resumed; a server that issues no tickets resumes none).
      --handshake-only: sessions without mail (EHLO, STARTTLS,
      handshake, EHLO, QUIT), MSGS of them: the TLS path alone.
      Prints one line on stdout (and to --summary):
        tlsload msgs M ok N errors E sessions S resumed R wall_s W cpu_s C
                proto P cipher X error "FIRST ERROR"
      ("tlsload-plain" with --no-tls)
      (cpu_s: user + system of this process and its workers).  Exit 0
      when every message got its 250, 1 otherwise.  The -s -m -l -f -t
      options mean what they mean to smtp-source.
  tlsload.py --probe [--cafile F] [--servername NAME] HOST:PORT
      One session with one message.  Prints "ok PROTO CIPHER" or
      "fails: ERROR" and exits 0, or exits 1 if the server never
      greeted (not listening yet: the caller retries).
"""
import argparse
import json
import multiprocessing
import os
import resource
import selectors
import socket
import ssl
import sys
import time

OP_TIMEOUT = 60


class SmtpError(Exception):
    pass


def make_body(size):
    head = (b"From: <sender@localhost>\r\nTo: <rcpt@localhost>\r\n"
            b"Subject: Postern TLS benchmark\r\n\r\n")
    line = b"x" * 70 + b"\r\n"
    body = head
    while len(body) < size:
        body += line
    return body[:size].rsplit(b"\r\n", 1)[0] + b"\r\n.\r\n"


# Session steps: the command sent on entering the step and the reply
# class expected before the next one.  The client is a state machine on
# non-blocking sockets (selectors; the TLS records are handled in C by
# the ssl module's socket wrapper), which costs a fraction of what
# asyncio's TLS streams cost per session: the client must not be what
# limits the rate.
GREET, EHLO1, STARTTLS, HANDSHAKE, EHLO2, MAIL, RCPT, DATA, BODY, QUIT = \
    range(10)


class Session:
    def __init__(self, w, n):
        self.w, self.n, self.left = w, n, n
        self.step = GREET
        self.inbuf = b""
        self.out = b""
        self.last = time.monotonic()
        self.lines = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock.connect((w.o.host, w.o.port))
        except BlockingIOError:
            pass
        # Connected when writable; the greeting comes after that.
        w.sel.register(self.sock, selectors.EVENT_WRITE, self)
        self.ev = selectors.EVENT_WRITE
        self.connecting = True

    def close(self):
        try:
            self.w.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()

    def want(self, ev):
        if ev != self.ev:
            self.w.sel.modify(self.sock, ev, self)
            self.ev = ev

    def send(self, data):
        self.out += data
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, ssl.SSLWantWriteError):
                self.want(selectors.EVENT_READ | selectors.EVENT_WRITE)
                return
            except ssl.SSLWantReadError:
                return
            self.out = self.out[n:]
        self.want(selectors.EVENT_READ)

    def event(self, mask):
        """Handle readiness; True when the session is over."""
        self.last = time.monotonic()
        if self.connecting:
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, os.strerror(err))
            self.connecting = False
            self.want(selectors.EVENT_READ)
            return False
        if self.step == HANDSHAKE:
            return self.handshake()
        if mask & selectors.EVENT_WRITE and self.out:
            self.flush()
        if not mask & selectors.EVENT_READ:
            return False
        eof = False
        while True:
            try:
                d = self.sock.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except ssl.SSLWantWriteError:
                self.want(selectors.EVENT_READ | selectors.EVENT_WRITE)
                break
            if not d:
                eof = True
                break
            self.inbuf += d
            if not isinstance(self.sock, ssl.SSLSocket):
                break
        while True:
            i = self.inbuf.find(b"\n")
            if i < 0:
                if eof:
                    raise SmtpError("connection closed by the server%s" % (
                        " after: " + self.lines[-1].decode("ascii",
                                                           "replace")
                        if self.lines else ""))
                return False
            line, self.inbuf = self.inbuf[:i + 1].rstrip(), self.inbuf[i + 1:]
            self.lines.append(line)
            if len(line) >= 4 and line[3:4] == b"-":
                continue
            lines, self.lines = self.lines, []
            if self.reply(lines):
                return True
            if self.step == HANDSHAKE:
                return self.handshake()

    def expect(self, lines, want):
        if lines[0][:1] != want:
            raise SmtpError(b" | ".join(lines).decode("ascii", "replace"))

    def reply(self, lines):
        """A complete reply to the current step: go to the next one."""
        o = self.w.o
        st = self.step
        self.expect(lines, b"3" if st == DATA else b"2")
        if st == GREET or st == HANDSHAKE:
            self.step = EHLO1 if st == GREET else EHLO2
            self.send(b"EHLO tlsload.bench.example\r\n")
        elif st == EHLO1 and not o.no_tls:
            if not any(l[4:12].upper() == b"STARTTLS" for l in lines):
                raise SmtpError("no STARTTLS in the EHLO reply")
            self.step = STARTTLS
            self.send(b"STARTTLS\r\n")
        elif st == STARTTLS:
            if self.inbuf:
                raise SmtpError("bytes after the STARTTLS reply")
            self.w.sel.unregister(self.sock)
            self.sock = self.w.ctx.wrap_socket(
                self.sock, server_hostname=o.servername,
                do_handshake_on_connect=False,
                session=self.w.session if o.resume else None)
            self.w.sel.register(self.sock, selectors.EVENT_READ, self)
            self.ev = selectors.EVENT_READ
            self.step = HANDSHAKE
        elif st == EHLO2 or st == BODY or st == EHLO1:
            if st == BODY:
                self.left -= 1
                self.w.ok += 1
            elif o.handshake_only:
                self.w.ok += self.left
                self.left = 0
            if self.left == 0:
                self.step = QUIT
                self.send(b"QUIT\r\n")
            else:
                self.step = MAIL
                self.send(b"MAIL FROM:<%s>\r\n" % o.sender)
        elif st == MAIL:
            self.step = RCPT
            self.send(b"RCPT TO:<%s>\r\n" % o.rcpt)
        elif st == RCPT:
            self.step = DATA
            self.send(b"DATA\r\n")
        elif st == DATA:
            self.step = BODY
            self.send(self.w.body)
        elif st == QUIT:
            # The tickets of TLS 1.3 come after the handshake: by now
            # they have been read.
            if o.resume and isinstance(self.sock, ssl.SSLSocket):
                sess = self.sock.session
                if sess is not None and sess.has_ticket:
                    self.w.session = sess
            return True
        return False

    def handshake(self):
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.want(selectors.EVENT_READ)
            return False
        except ssl.SSLWantWriteError:
            self.want(selectors.EVENT_READ | selectors.EVENT_WRITE)
            return False
        w = self.w
        if self.sock.session_reused:
            w.resumed += 1
        p, c = self.sock.version(), self.sock.cipher()[0]
        w.proto[p] = w.proto.get(p, 0) + 1
        w.cipher[c] = w.cipher.get(c, 0) + 1
        return self.reply([b"220 handshake done"])


class Worker:
    def __init__(self, o, counter, ctx, body):
        self.o, self.counter, self.ctx, self.body = o, counter, ctx, body
        self.ok = self.errors = self.sessions = self.resumed = 0
        self.first_error = ""
        self.proto, self.cipher = {}, {}
        self.session = None
        self.sel = selectors.DefaultSelector()

    def claim(self, n):
        """Take up to n messages from the shared counter."""
        with self.counter.get_lock():
            left = self.counter.value
            take = min(n, left)
            self.counter.value = left - take
        return take

    def fail(self, e):
        self.errors += 1
        if not self.first_error:
            self.first_error = "%s: %s" % (type(e).__name__, e) \
                if str(e) else type(e).__name__

    def start(self):
        n = self.claim(self.o.per_conn)
        if n == 0:
            return None
        try:
            return Session(self, n)
        except OSError as e:
            self.fail(e)
            return None

    def run(self, nconc):
        live = set()
        for _ in range(nconc):
            s = self.start()
            if s is not None:
                live.add(s)
        while live:
            for key, mask in self.sel.select(1.0):
                s = key.data
                try:
                    done = s.event(mask)
                except (OSError, ssl.SSLError, SmtpError) as e:
                    done = True
                    self.fail(e)
                if done:
                    self.sessions += 1
                    s.close()
                    live.discard(s)
                    s = self.start()
                    if s is not None:
                        live.add(s)
            now = time.monotonic()
            for s in [s for s in live if now - s.last > OP_TIMEOUT]:
                self.sessions += 1
                self.fail(SmtpError("no answer for %d s" % OP_TIMEOUT))
                s.close()
                live.discard(s)
                s = self.start()
                if s is not None:
                    live.add(s)


def tls_context(o):
    ctx = ssl.create_default_context(cafile=o.cafile)
    if o.cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if o.tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif o.tls == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def worker_main(o, counter, nconc, wfd):
    w = Worker(o, counter, tls_context(o), make_body(o.size))
    w.run(nconc)
    os.write(wfd, (json.dumps({
        "ok": w.ok, "errors": w.errors, "sessions": w.sessions,
        "resumed": w.resumed,
        "error": w.first_error, "proto": w.proto, "cipher": w.cipher,
    }) + "\n").encode())
    os.close(wfd)


def run_load(o):
    counter = multiprocessing.Value("q", o.msgs)
    procs = max(1, min(o.procs, o.conc))
    t0 = time.perf_counter()
    children = []
    for i in range(procs):
        nconc = o.conc // procs + (1 if i < o.conc % procs else 0)
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            code = 0
            try:
                worker_main(o, counter, nconc, wfd)
            except BaseException as e:     # report, never a traceback
                sys.stderr.write("tlsload: worker: %r\n" % (e,))
                code = 1
            os._exit(code)
        os.close(wfd)
        children.append((pid, rfd))
    tot = {"ok": 0, "errors": 0, "sessions": 0, "resumed": 0, "error": "",
           "proto": {}, "cipher": {}}
    for pid, rfd in children:
        data = b""
        while True:
            d = os.read(rfd, 65536)
            if not d:
                break
            data += d
        os.close(rfd)
        os.waitpid(pid, 0)
        if not data:
            tot["errors"] += 1
            tot["error"] = tot["error"] or "a worker process failed"
            continue
        r = json.loads(data)
        for k in ("ok", "errors", "sessions", "resumed"):
            tot[k] += r[k]
        tot["error"] = tot["error"] or r["error"]
        for k in ("proto", "cipher"):
            for name, n in r[k].items():
                tot[k][name] = tot[k].get(name, 0) + n
    wall = time.perf_counter() - t0
    ru_s = resource.getrusage(resource.RUSAGE_SELF)
    ru_c = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru_s.ru_utime + ru_s.ru_stime + ru_c.ru_utime + ru_c.ru_stime

    def most(d):
        return max(d, key=d.get) if d else "-"
    line = ("%s msgs %d ok %d errors %d sessions %d resumed %d "
            "wall_s %.3f cpu_s %.3f proto %s cipher %s error %s" % (
                "tlsload-plain" if o.no_tls else "tlsload", o.msgs,
                tot["ok"], tot["errors"], tot["sessions"], tot["resumed"],
                wall, cpu,
                ",".join("%s=%d" % kv for kv in sorted(tot["proto"].items()))
                or "-", most(tot["cipher"]),
                json.dumps(tot["error"])))
    print(line, flush=True)
    if o.summary:
        with open(o.summary, "a") as f:
            f.write(line + "\n")
    return 0 if tot["ok"] == o.msgs and tot["errors"] == 0 else 1


def probe(o):
    """One session; 1 if the server did not greet (not listening yet)."""
    try:
        with socket.create_connection((o.host, o.port), 5) as sk:
            sk.settimeout(5)
            if not sk.recv(512).startswith(b"220"):
                return 1
            sk.sendall(b"QUIT\r\n")
    except OSError:
        return 1
    o.per_conn = 1
    w = Worker(o, multiprocessing.Value("q", 1), tls_context(o),
               make_body(o.size))
    w.run(1)
    if w.errors or not w.ok:
        print("fails: %s" % w.first_error.replace("\n", " "), flush=True)
    else:
        print("ok %s %s" % (",".join(w.proto), ",".join(w.cipher)),
              flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(prog="tlsload.py")
    ap.add_argument("-s", dest="conc", type=int, default=20)
    ap.add_argument("-m", dest="msgs", type=int, default=1000)
    ap.add_argument("-l", dest="size", type=int, default=1024)
    ap.add_argument("-f", dest="sender", default="sender@localhost")
    ap.add_argument("-t", dest="rcpt", default="rcpt@localhost")
    ap.add_argument("--per-conn", type=int, default=1)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--tls", choices=("1.2", "1.3"))
    ap.add_argument("--no-tls", action="store_true")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--handshake-only", action="store_true")
    ap.add_argument("--cafile")
    ap.add_argument("--servername", default="localhost")
    ap.add_argument("--summary")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("target")
    o = ap.parse_args()
    host, _, port = o.target.rpartition(":")
    o.host, o.port = host or "127.0.0.1", int(port)
    o.sender, o.rcpt = o.sender.encode(), o.rcpt.encode()
    o.per_conn = max(1, o.per_conn)
    if o.probe:
        o.resume = o.handshake_only = False
    if o.probe:
        sys.exit(probe(o))
    sys.exit(run_load(o))


if __name__ == "__main__":
    main()
