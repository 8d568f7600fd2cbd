#!/usr/bin/python3
# A small LMTP server (RFC 2033) for regress/smtpd/deliver_test.sh.
# Standard library only.  It listens on 127.0.0.1:PORT or a unix socket,
# accepts any sender, refuses the recipients given with --reject (550),
# and after DATA answers once per accepted recipient.  Every message it
# accepts is written, dot-unstuffed, with LF line ends, to
# OUTDIR/<n>.<rcpt>; each command line received is appended to
# OUTDIR/commands.log.
#
#   lmtpserver.py --port P | --unix PATH --out DIR [--reject ADDR]...
#   It writes "ready" to DIR/ready once listening.
import argparse
import os
import socket
import socketserver
import threading

counter = 0
lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def log(self, line):
        with lock:
            with open(os.path.join(ARGS.out, "commands.log"), "ab") as f:
                f.write(line + b"\n")

    def handle(self):
        global counter
        self.say("220 lmtpserver ready")
        rcpts = []
        while True:
            raw = self.rfile.readline(100000)
            if not raw:
                return
            line = raw.rstrip(b"\r\n")
            self.log(line)
            verb = line[:4].upper()
            if verb == b"LHLO":
                self.say("250-lmtpserver")
                self.say("250-8BITMIME")
                self.say("250 ENHANCEDSTATUSCODES")
            elif verb == b"MAIL":
                rcpts = []
                self.say("250 2.1.0 ok")
            elif verb == b"RCPT":
                addr = line.split(b"<", 1)[1].rsplit(b">", 1)[0].decode()
                if addr in ARGS.reject:
                    self.say("550 5.1.1 <%s> rejected by lmtpserver" % addr)
                else:
                    rcpts.append(addr)
                    self.say("250 2.1.5 ok")
            elif verb == b"DATA":
                if not rcpts:
                    self.say("503 5.5.1 no recipients")
                    continue
                self.say("354 go ahead")
                data = []
                while True:
                    raw = self.rfile.readline(10000000)
                    if not raw:
                        return
                    if raw == b".\r\n":
                        break
                    if not raw.endswith(b"\r\n"):
                        self.say("500 5.5.2 bare LF in data")
                        return
                    if raw.startswith(b"."):
                        raw = raw[1:]
                    data.append(raw[:-2] + b"\n")
                for r in rcpts:
                    with lock:
                        counter += 1
                        n = counter
                    path = os.path.join(ARGS.out, "%d.%s" % (n, r))
                    with open(path + ".tmp", "wb") as f:
                        f.write(b"".join(data))
                    os.rename(path + ".tmp", path)
                    self.say("250 2.0.0 <%s> delivered" % r)
            elif verb == b"RSET":
                rcpts = []
                self.say("250 2.0.0 ok")
            elif verb == b"QUIT":
                self.say("221 2.0.0 bye")
                return
            else:
                self.say("502 5.5.2 unknown command")


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int)
    p.add_argument("--unix")
    p.add_argument("--out", required=True)
    p.add_argument("--reject", action="append", default=[])
    ARGS = p.parse_args()
    if ARGS.unix:
        srv = UnixServer(ARGS.unix, Handler)
        os.chmod(ARGS.unix, 0o777)
    else:
        srv = TCPServer(("127.0.0.1", ARGS.port), Handler)
    with open(os.path.join(ARGS.out, "ready"), "w") as f:
        f.write("ready\n")
    srv.serve_forever()


if __name__ == "__main__":
    main()
