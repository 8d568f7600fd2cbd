#!/usr/bin/python3
# SMTP client and Maildir checker for the end-to-end tests of inbound
# mail (regress/smtpd/inbound_*_test.sh).  Standard library only.
#
# The client speaks raw SMTP over a socket so that the tests decide
# every byte on the wire (smtplib rewrites line ends, has no BDAT and
# cannot send broken input).  Messages are kept in their stored form:
# LF line ends, no dot-stuffing -- exactly what must arrive in the
# Maildir below the trace headers added by the server.  The client
# turns them into the wire form (CRLF, dot-stuffed for DATA).
#
#   gen KIND FILE [--id ID]       write a test message (KIND: 7bit 8bit
#                                 utf8 empty dots longline big)
#   send --port P --from A --to B [--to C] --file F [--bdat N]
#        [--params "P1 P2"] [--expect CODE] [--stage STAGE]
#                                 one transaction; prints each reply;
#                                 exit 0 when the last reply has CODE
#                                 (default 250), given at STAGE (mail,
#                                 rcpt, data, end, bdat, bdat-last)
#   check --maildir D --file F --from A --to B [--owner U] [--timeout S]
#                                 wait until the message of F (by its
#                                 Message-ID) is in D/new, check and
#                                 strip Return-Path, Delivered-To and
#                                 Received, compare the rest byte for
#                                 byte with F
#   count D...                    messages in the Maildirs D (new/ + cur/)
#   wait-count --n N [--timeout S] D...
#                                 wait until the Maildirs hold N messages
#   smuggle --port P --from A --to B --victim V --variant NAME
#           [--bdat] [--tag T]    a DATA (or one BDAT LAST chunk) whose
#                                 body holds a bare-CR/LF "end of data"
#                                 and a second transaction; prints the
#                                 codes received after it; Message-ID
#                                 <smuggle-T@test.postern> (T: NAME)
#   rcpt --port P --from A --to ADDR [--also B] [--data] [--id ID]
#                                 prints "CODE text" of the RCPT reply
#                                 for ADDR (sent as given: "<...>"),
#                                 then RCPT TO:<B>; with --data, a
#                                 message follows when a RCPT got 250
#                                 ("DATA CODE text")
#   hostile NAME --port P [--to B] [--stall S] [--rcpts N] [--maxrcpt M]
#                                 longline badbytes flood stall
#                                 disconnect manyrcpt samercpt: prints what
#                                 happened, exit 1 when the server's
#                                 behaviour is wrong
#   steady --port P --to B --stop FILE --out FILE
#                                 send a message every 0.2 s until FILE
#                                 exists; "ok ID" / "fail ID why" lines
#   load --port P --clients N --msgs M --to B[,C...] --out FILE
#        [--tag T]                N concurrent sessions of M messages
#                                 (ids T-cNNN-NNNNNN)
#   blast --port P --clients N --to B[,C...] --stop FILE --out FILE
#                                 senders that reconnect through daemon
#                                 kills; "ok ID" for every 250
#   verify --acked FILE [--exact] D...
#                                 every ID of FILE's "ok" lines is in the
#                                 Maildirs (exactly once with --exact;
#                                 else duplicates are listed), and every
#                                 delivered file is complete
import argparse
import os
import random
import re
import socket
import sys
import threading
import time

CRLF = b"\r\n"


class SMTPError(Exception):
    pass


class Client:
    """A raw SMTP client: replies are (code, text) with text the last
    line's text; code None means the server closed the connection."""

    def __init__(self, port, host="127.0.0.1", timeout=60):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.ext = []

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                return (None, b"".join(lines).decode("utf-8", "replace"))
            lines.append(ln)
            if len(ln) < 4 or ln[3:4] != b"-":
                break
        code = lines[-1][:3]
        try:
            c = int(code)
        except ValueError:
            raise SMTPError("bad reply line %r" % lines[-1])
        self.lines = lines
        return (c, lines[-1][4:].decode("utf-8", "replace"))

    def cmd(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(text + CRLF)
        return self.reply()

    def greet(self, helo="client.test"):
        c, t = self.reply()
        if c != 220:
            raise SMTPError("greeting: %s %s" % (c, t))
        c, t = self.cmd("EHLO " + helo)
        if c != 250:
            raise SMTPError("EHLO: %s %s" % (c, t))
        self.ext = [ln[4:].decode("utf-8", "replace").upper()
                    for ln in self.lines[1:]]


def wire(msg, stuff=True):
    """Stored form (LF) to wire form (CRLF, dot-stuffed for DATA)."""
    lines = msg.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
        end = CRLF
    else:
        end = CRLF		# the stored form gains the missing LF
    if stuff:
        lines = [b"." + ln if ln.startswith(b".") else ln for ln in lines]
    if not lines:
        return b""
    return CRLF.join(lines) + end


def transaction(cl, mfrom, rcpts, msg, bdat=0, params="", log=None):
    """Run MAIL, RCPT..., DATA or BDAT.  Returns the list of (stage,
    code, text); stops at the first refusal."""
    out = []

    def note(stage, r):
        out.append((stage, r[0], r[1]))
        if log is not None:
            log("%s: %s %s" % (stage, r[0], r[1]))
        return r[0]

    m = "MAIL FROM:<%s>" % mfrom
    if params:
        m += " " + params
    if note("mail", cl.cmd(m)) != 250:
        return out
    ok = 0
    for r in rcpts:
        if note("rcpt", cl.cmd("RCPT TO:<%s>" % r)) == 250:
            ok += 1
    if ok == 0:
        return out
    if bdat:
        data = wire(msg, stuff=False)
        pos = 0
        while True:
            chunk = data[pos:pos + bdat]
            pos += len(chunk)
            last = pos >= len(data)
            cl.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"")
                    + chunk)
            if note("bdat-last" if last else "bdat", cl.reply()) != 250:
                return out
            if last:
                return out
    if note("data", cl.cmd("DATA")) != 354:
        return out
    cl.send(wire(msg) + b".\r\n")
    note("end", cl.reply())
    return out


# ----------------------------------------------------------------------
# Test messages.

def headers(mid, subject, extra=b""):
    return (b"From: Sender <sender@example.org>\n"
            b"To: Recipient <rcpt@localhost>\n"
            b"Subject: " + subject + b"\n"
            b"Date: Mon, 23 Nov 2026 12:00:00 +0000\n"
            b"Message-ID: <" + mid + b"@test.postern>\n" + extra)


def gen_message(kind, mid):
    mid = mid.encode()
    rnd = random.Random(kind + mid.decode())
    if kind == "7bit":
        body = b"".join(b"line %d: the quick brown fox jumps over the lazy"
                        b" dog\n" % i for i in range(200))
        body += b"\ttabbed line\n  indented\n\nafter an empty line\n"
        return headers(mid, b"seven bit") + b"\n" + body
    if kind == "8bit":
        body = b"Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e\n"
        body += b"latin-1 bytes: \xe9\xe8\xff\xa0\x80\n"
        body += bytes(range(0x80, 0x100)) + b"\n"
        return (headers(mid, b"eight bit",
                        b"MIME-Version: 1.0\n"
                        b"Content-Type: text/plain; charset=utf-8\n"
                        b"Content-Transfer-Encoding: 8bit\n")
                + b"\n" + body)
    if kind == "utf8":
        return (("From: J\u00f6rg \u00d6sterreich <j\u00f6rg@b\u00fccher."
                 "example>\n"
                 "To: \u0394\u03bf\u03ba\u03b9\u03bc\u03ae <rcpt@localhost>\n"
                 "Subject: \u65e5\u672c\u8a9e \u2014 \u00e9t\u00e9 "
                 "\U0001f600\n"
                 "Date: Mon, 23 Nov 2026 12:00:00 +0000\n"
                 "Message-ID: <%s@test.postern>\n"
                 "MIME-Version: 1.0\n"
                 "Content-Type: text/plain; charset=utf-8\n"
                 "Content-Transfer-Encoding: 8bit\n"
                 "\n"
                 "\u041f\u0440\u0438\u0432\u0435\u0442, \u4e16\u754c\n"
                 "\U0001f4e8 \u00e0\u00e9\u00ee\u00f5\u00fc\n"
                 % mid.decode()).encode("utf-8"))
    if kind == "empty":
        return headers(mid, b"empty body") + b"\n"
    if kind == "dots":
        body = (b".\n..\n...\n.leading dot\n..two leading dots\n"
                b". space after dot\nnot a dot .\n.\n\n.\n"
                b"end.\n..\n.-looking text\n.")
        return headers(mid, b"dots") + b"\n" + body + b"\n"
    if kind == "longline":
        body = b"x" * 998 + b"\n" + b"y" * 999 + b"\n"
        body += bytes(rnd.choice(b"abcdefghij ") for _ in range(100 * 1024))
        body += b"\n" + b"z" * (1024 * 1024) + b"\nshort\n"
        return headers(mid, b"long lines") + b"\n" + body
    if kind == "big":
        size = 30 * 1024 * 1024
        alpha = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 b"0123456789+/")
        line = bytes(rnd.choice(alpha) for _ in range(76 * 64))
        lines = [line[i:i + 76] for i in range(0, len(line), 76)]
        out = [headers(mid, b"thirty megabytes") + b"\n"]
        n = 0
        i = 0
        while n < size:
            ln = lines[i % len(lines)] + b"\n"
            if i % 1000 == 0:
                ln = b".%d dot-stuffed line\n" % i
            out.append(ln)
            n += len(ln)
            i += 1
        return b"".join(out)
    raise SystemExit("unknown message kind " + kind)


def message_id(msg):
    m = re.search(rb"^Message-ID: <([^>]*)>", msg, re.M | re.I)
    return m.group(1) if m else None


# ----------------------------------------------------------------------
# Maildirs.

def maildir_files(dirs):
    out = []
    for d in dirs:
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            try:
                names = os.listdir(p)
            except FileNotFoundError:
                continue
            out.extend(os.path.join(p, n) for n in names
                       if not n.startswith("."))
    return out


TRACE = (b"return-path:", b"delivered-to:", b"received:")


def strip_trace(data):
    """Split the trace fields added at the top from the rest."""
    fields = []
    pos = 0
    while True:
        eol = data.find(b"\n", pos)
        if eol < 0:
            break
        ln = data[pos:eol]
        if ln[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + ln
        elif ln.lower().startswith(TRACE):
            fields.append(ln)
        else:
            break
        pos = eol + 1
    return fields, data[pos:]


def check_delivery(path, orig, mfrom, rcpt, owner=None):
    data = open(path, "rb").read()
    fields, rest = strip_trace(data)
    errs = []
    names = [f.split(b":", 1)[0].lower() for f in fields]
    for n in (b"return-path", b"delivered-to", b"received"):
        if names.count(n) != 1:
            errs.append("%d %s fields at the top (want 1)" %
                        (names.count(n), n.decode()))
    for f in fields:
        low = f.lower()
        if low.startswith(b"return-path:"):
            want = b"<" + mfrom.encode("utf-8") + b">"
            if f.split(b":", 1)[1].strip() != want:
                errs.append("Return-Path is %r, want %r" % (f, want))
        elif low.startswith(b"delivered-to:"):
            if rcpt.encode("utf-8").lower() not in low:
                errs.append("Delivered-To %r does not name %s" % (f, rcpt))
        elif low.startswith(b"received:"):
            flat = b" ".join(f.split())
            # RFC 3848 and RFC 6531 protocol types.
            for w in (rb"^Received: from \S+", rb" by \S+",
                      rb" with (E?SMTP|UTF8SMTP)S?A? ", rb" id \S+",
                      rb";.*\d\d:\d\d:\d\d [+-]\d{4}"):
                if not re.search(w, flat):
                    errs.append("Received %r lacks %s" % (flat, w.decode()))
    if rest != orig:
        n = min(len(rest), len(orig))
        i = 0
        while i < n and rest[i] == orig[i]:
            i += 1
        errs.append("body differs from the original at byte %d of %d "
                    "(delivered %d bytes below the trace fields): "
                    "delivered %r, sent %r" % (i, len(orig), len(rest),
                                               rest[max(0, i - 20):i + 40],
                                               orig[max(0, i - 20):i + 40]))
    if owner is not None:
        import pwd
        st = os.stat(path)
        want = pwd.getpwnam(owner).pw_uid
        if st.st_uid != want:
            errs.append("file owned by uid %d, want %s (%d)" %
                        (st.st_uid, owner, want))
    return errs


def find_by_id(dirs, mid):
    pat = re.compile(rb"^Message-ID: <" + re.escape(mid) + rb">", re.M | re.I)
    hits = []
    for p in maildir_files(dirs):
        try:
            with open(p, "rb") as f:
                head = f.read(64 * 1024)
        except FileNotFoundError:
            continue
        if pat.search(head):
            hits.append(p)
    return hits


# ----------------------------------------------------------------------
# Commands.

def cmd_gen(a):
    msg = gen_message(a.kind, a.id or "%s.%d.%d" % (a.kind, os.getpid(),
                                                     int(time.time())))
    open(a.file, "wb").write(msg)


def cmd_send(a):
    msg = open(a.file, "rb").read()
    cl = Client(a.port)
    cl.greet()
    res = transaction(cl, a.mfrom, a.to, msg, bdat=a.bdat, params=a.params,
                      log=print)
    try:
        cl.cmd("QUIT")
    except OSError:
        pass
    cl.close()
    last = res[-1]
    if last[1] != a.expect:
        print("FAIL: last reply (%s) is %s %s, expected %d" %
              (last[0], last[1], last[2], a.expect))
        return 1
    if a.stage and last[0] != a.stage:
        print("FAIL: the refusal came at %s, expected at %s" %
              (last[0], a.stage))
        return 1
    return 0


def cmd_check(a):
    orig = open(a.file, "rb").read()
    mid = message_id(orig)
    deadline = time.time() + a.timeout
    hits = []
    while time.time() < deadline:
        hits = find_by_id([a.maildir], mid)
        if hits:
            break
        time.sleep(0.2)
    if not hits:
        print("FAIL: no message <%s> in %s/new after %d s" %
              (mid.decode("utf-8", "replace"), a.maildir, a.timeout))
        return 1
    time.sleep(0.3)		# a duplicate would show up now
    hits = find_by_id([a.maildir], mid)
    if len(hits) != 1:
        print("FAIL: %d copies of <%s>" % (len(hits), mid.decode()))
        return 1
    if "/new/" not in hits[0]:
        print("FAIL: %s is not in new/" % hits[0])
        return 1
    errs = check_delivery(hits[0], orig, a.mfrom, a.to, a.owner)
    for e in errs:
        print("FAIL: %s: %s" % (hits[0], e))
    if not errs:
        print("ok: %s matches %s (%d bytes)" % (hits[0], a.file, len(orig)))
    return 1 if errs else 0


def cmd_count(a):
    print(len(maildir_files(a.dirs)))


def cmd_wait_count(a):
    deadline = time.time() + a.timeout
    n = 0
    while time.time() < deadline:
        n = len(maildir_files(a.dirs))
        if n >= a.n:
            break
        time.sleep(0.2)
    print(n)
    return 0 if n >= a.n else 1


SMUGGLE = {
    "lf-dot-lf": b"\n.\n",
    "cr-dot-cr": b"\r.\r",
    "lf-dot-crlf": b"\n.\r\n",
    "crlf-dot-lf": b"\r\n.\n",
    "cr-dot-lf": b"\r.\n",
    "crlf-dot-cr": b"\r\n.\r",
}


def cmd_smuggle(a):
    seq = SMUGGLE[a.variant]
    cl = Client(a.port, timeout=15)
    cl.greet()
    tag = (a.tag or a.variant).encode()
    steps = [("MAIL FROM:<%s>" % a.mfrom, 250), ("RCPT TO:<%s>" % a.to, 250)]
    if not a.bdat:
        steps.append(("DATA", 354))
    for cmd, want in steps:
        c, t = cl.cmd(cmd)
        if c != want:
            print("FAIL: %s: %s %s" % (cmd, c, t))
            return 1
    body = (b"From: <%s>\r\nTo: <%s>\r\nSubject: smuggling %s\r\n"
            b"Message-ID: <smuggle-%s@test.postern>\r\n\r\n"
            b"first message" % (a.mfrom.encode(), a.to.encode(), tag, tag)
            + seq +
            b"MAIL FROM:<spoofed@example.org>\r\n"
            b"RCPT TO:<%s>\r\n"
            b"DATA\r\n"
            b"From: <spoofed@example.org>\r\n"
            b"Subject: smuggled %s\r\n\r\n"
            b"SMUGGLED-BODY\r\n"
            b".\r\n" % (a.victim.encode(), tag))
    if a.bdat:
        # One chunk: BDAT has no end marker, the policy on bare CR/LF
        # must still hold.
        body = b"BDAT %d LAST\r\n" % len(body) + body
    codes = []
    try:
        cl.send(body)
    except OSError as e:
        codes.append("send-error:%s" % e.__class__.__name__)
    cl.s.settimeout(5)
    quit_sent = False
    while True:
        try:
            c, t = cl.reply()
        except (socket.timeout, OSError):
            codes.append("timeout")
            break
        if c is None:
            codes.append("closed")
            break
        codes.append(str(c))
        print("reply: %s %s" % (c, t))
        # QUIT only once the message is answered: a server that closed
        # would otherwise reset the connection over our unread reply.
        if c == 250 and not quit_sent:
            quit_sent = True
            try:
                cl.send(b"QUIT\r\n")
            except OSError:
                pass
    cl.close()
    print("codes: " + " ".join(codes))
    return 0


def cmd_rcpt(a):
    cl = Client(a.port, timeout=30)
    cl.greet()
    c, t = cl.cmd("MAIL FROM:<%s>" % a.mfrom)
    if c != 250:
        print("MAIL %s %s" % (c, t))
        return 1
    # The address is sent exactly as given (it may hold <, @, :).
    line = "RCPT TO:" + a.to
    c, t = cl.cmd(line)
    print("%s %s" % (c, t))
    if a.also:
        c, t = cl.cmd("RCPT TO:<%s>" % a.also)
        if c != 250:
            print("FAIL: RCPT TO:<%s>: %s %s" % (a.also, c, t))
            return 1
    if c == 250 and a.data:
        c2, t2 = cl.cmd("DATA")
        if c2 == 354:
            cl.send(b"Subject: relay test\r\nMessage-ID: <%s@test.postern>"
                    b"\r\n\r\nrelay test to %s\r\n.\r\n" %
                    (a.id.encode(), a.to.encode("utf-8")))
            c2, t2 = cl.reply()
        print("DATA %s %s" % (c2, t2))
    try:
        cl.cmd("QUIT")
    except OSError:
        pass
    cl.close()
    return 0


# -- hostile clients ---------------------------------------------------

def expect_alive(cl, what):
    c, t = cl.cmd("NOOP")
    if c != 250:
        print("FAIL: after %s, NOOP got %s %s (session should go on)" %
              (what, c, t))
        return 1
    return 0


def hostile_longline(a):
    cl = Client(a.port)
    cl.greet()
    cl.send(b"NOOP " + b"a" * (1024 * 1024) + CRLF)
    c, t = cl.reply()
    print("1 MB command line: %s %s" % (c, t))
    if c != 500 or not t.startswith("5.5.2"):
        print("FAIL: expected 500 5.5.2")
        return 1
    cl.send(b"MAIL FROM:<" + b"b" * (1024 * 1024) + b"@example.org>" + CRLF)
    c, t = cl.reply()
    print("1 MB MAIL line: %s %s" % (c, t))
    if c is None or c < 500:
        print("FAIL: expected a 5xx reply")
        return 1
    return expect_alive(cl, "1 MB lines")


def hostile_badbytes(a):
    cl = Client(a.port)
    cl.greet()
    rc = 0
    for line in (b"NO\x00OP", b"\x00", b"HELP\x00\xff", b"MAIL FROM:<a\x00b@"
                 b"example.org>", b"RCPT TO:<\xff\xfe@localhost>",
                 b"\xc3\xa9\xc3\xa9\xc3\xa9", b"EH\x80LO x", b"\x1b[31mNOOP",
                 b"MAIL FROM:<\xe9t\xe9@example.org>",
                 b"MAIL FROM:<sender@exa\x00mple.org> BODY=\xff"):
        cl.send(line + CRLF)
        c, t = cl.reply()
        print("%r: %s %s" % (line, c, t))
        if c is None or c < 500 or c > 599:
            print("FAIL: expected a 5xx reply")
            rc = 1
            break
        # RSET keeps the run of failures below the limit.
        cl.cmd("RSET")
    return rc or expect_alive(cl, "NUL and 8-bit commands")


def hostile_flood(a):
    cl = Client(a.port, timeout=30)
    cl.greet()
    cl.send(b"".join(b"JUNK%d \x01\x02 garbage\r\n" % i for i in range(2000)))
    codes = []
    while True:
        try:
            c, t = cl.reply()
        except OSError:
            break
        if c is None:
            break
        codes.append(c)
        if c == 421:
            print("421 after %d replies: %s" % (len(codes) - 1, t))
            break
    print("flood: %d replies, last %s" % (len(codes), codes[-1:]))
    if 421 not in codes:
        print("FAIL: no 421 after a flood of 2000 junk commands")
        return 1
    if len(codes) > 101:
        print("FAIL: 421 only after %d failed commands" % (len(codes) - 1))
        return 1
    # The session must be closed now.
    cl.s.settimeout(5)
    try:
        c, t = cl.cmd("NOOP")
    except OSError:
        c = None
    if c is not None:
        print("FAIL: session still answers after 421: %s %s" % (c, t))
        return 1
    return 0


def open_data(a, cl):
    cl.greet()
    for cmd, want in (("MAIL FROM:<hostile@example.org>", 250),
                      ("RCPT TO:<%s>" % a.to, 250), ("DATA", 354)):
        c, t = cl.cmd(cmd)
        if c != want:
            print("FAIL: %s: %s %s" % (cmd, c, t))
            return 1
    cl.send(b"Subject: half a message\r\nMessage-ID: <%s@test.postern>\r\n"
            b"\r\n" % a.id.encode() + b"partial line\r\n" * 1000 +
            b"no end of line")
    return 0


def hostile_stall(a):
    cl = Client(a.port, timeout=a.stall + 30)
    if open_data(a, cl):
        return 1
    t0 = time.time()
    c, t = cl.reply()
    dt = time.time() - t0
    print("stalled mid-DATA: %s %s after %.1f s" % (c, t, dt))
    if c != 421:
        print("FAIL: expected 421 when the data timeout fires")
        return 1
    if dt > a.stall + 10:
        print("FAIL: the timeout took %.1f s (configured %d s)" %
              (dt, a.stall))
        return 1
    c, t = cl.reply()
    if c is not None:
        print("FAIL: session not closed after 421: %s %s" % (c, t))
        return 1
    return 0


def hostile_disconnect(a):
    cl = Client(a.port)
    if open_data(a, cl):
        return 1
    time.sleep(0.5)
    cl.s.shutdown(socket.SHUT_RDWR)
    cl.close()
    print("disconnected mid-DATA")
    return 0


def rss_kb(pid):
    for ln in open("/proc/%d/status" % pid):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    return 0


def hostile_manyrcpt(a):
    cl = Client(a.port, timeout=120)
    cl.greet()
    c, t = cl.cmd("MAIL FROM:<many@example.org>")
    if c != 250:
        print("FAIL: MAIL: %s %s" % (c, t))
        return 1
    codes = {}
    first452 = [None]
    got = [0]
    cond = threading.Condition()
    done = threading.Event()

    def reader():
        while True:
            try:
                c, t = cl.reply()
            except OSError:
                break
            if c is None:
                break
            codes[c] = codes.get(c, 0) + 1
            if c in (452, 451) and first452[0] is None:
                first452[0] = (got[0], t)
            with cond:
                got[0] += 1
                cond.notify()
            if c == 421:
                break
        done.set()
        with cond:
            cond.notify()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    # Pipelined in batches, with at most WINDOW commands unanswered: a
    # client that does not read its replies is rightly cut off by the
    # server's bound on pending output, which is not what is tested.
    # Distinct recipients (sub-addresses of one user), since a server
    # may fold repeats of one address into one recipient; "samercpt"
    # repeats one address instead: only the daemon's health and memory
    # are checked then.
    batch, window = 1000, 2000
    local, domain = a.to.encode().rsplit(b"@", 1)
    same = b"RCPT TO:<%s>\r\n" % a.to.encode() * batch
    sent = 0
    try:
        while sent < a.rcpts and not done.is_set():
            if a.name == "samercpt":
                data = same
            else:
                data = b"".join(b"RCPT TO:<%s+%d@%s>\r\n" % (local, n, domain)
                                for n in range(sent, sent + batch))
            with cond:
                while sent - got[0] > window - batch and not done.is_set():
                    if not cond.wait(60):
                        break
            if done.is_set():
                break
            cl.send(data)
            sent += batch
    except OSError as e:
        print("send stopped after %d RCPTs: %s" % (sent, e))
    if not done.is_set():
        try:
            cl.send(b"QUIT\r\n")
        except OSError:
            pass
    done.wait(120)
    cl.close()
    print("sent %d RCPTs; replies by code: %s; first refusal: %s" %
          (sent, sorted(codes.items()), first452[0]))
    if a.name == "samercpt":
        return 0 if done.is_set() else 1
    if codes.get(250, 0) > a.maxrcpt:
        print("FAIL: %d RCPTs accepted, limit %d" % (codes.get(250, 0),
                                                      a.maxrcpt))
        return 1
    if codes.get(452, 0) == 0:
        print("FAIL: no 452 for recipients over the limit")
        return 1
    if not done.is_set():
        print("FAIL: the server neither answered everything nor closed")
        return 1
    return 0


def cmd_hostile(a):
    return {"longline": hostile_longline, "badbytes": hostile_badbytes,
            "flood": hostile_flood, "stall": hostile_stall,
            "disconnect": hostile_disconnect,
            "manyrcpt": hostile_manyrcpt,
            "samercpt": hostile_manyrcpt}[a.name](a)


# -- many messages -----------------------------------------------------

def numbered(tag, n, rcpt):
    mid = "%s-%06d" % (tag, n)
    return mid, (b"From: <load@example.org>\nTo: <%s>\n"
                 b"Subject: message %s\n"
                 b"Message-ID: <%s@test.postern>\n"
                 b"X-Test-Seq: %s\n\n"
                 b"body of %s\n" % (rcpt.encode(), mid.encode(),
                                    mid.encode(), mid.encode(),
                                    mid.encode())
                 + b"filler line to make it a bit bigger\n" * 20
                 + b"END-OF-MESSAGE %s\n" % mid.encode())


class Recorder:
    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def put(self, line):
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def cmd_steady(a):
    rec = Recorder(a.out)
    n = 0
    tag = "steady%d" % os.getpid()
    while not os.path.exists(a.stop):
        mid, msg = numbered(tag, n, a.to)
        n += 1
        try:
            cl = Client(a.port, timeout=30)
            cl.greet()
            res = transaction(cl, "steady@example.org", [a.to], msg)
            cl.cmd("QUIT")
            cl.close()
            if res[-1][1] == 250 and res[-1][0] == "end":
                rec.put("ok " + mid)
            else:
                rec.put("fail %s %s %s %s" % ((mid,) + res[-1]))
        except (OSError, SMTPError) as e:
            rec.put("fail %s %r" % (mid, e))
        time.sleep(0.2)
    return 0


def cmd_load(a):
    rec = Recorder(a.out)
    rcpts = a.to.split(",")
    errors = []
    start = threading.Barrier(a.clients)

    def client(i):
        rcpt = rcpts[i % len(rcpts)]
        try:
            cl = Client(a.port, timeout=120)
            start.wait(60)
            cl.greet("client%d.test" % i)
            for j in range(a.msgs):
                mid, msg = numbered("%s-c%03d" % (a.tag, i), j, rcpt)
                res = transaction(cl, "load@example.org", [rcpt], msg)
                if res[-1][0] == "end" and res[-1][1] == 250:
                    rec.put("ok " + mid)
                else:
                    rec.put("fail %s %s %s %s" % ((mid,) + res[-1]))
                    errors.append(mid)
            cl.cmd("QUIT")
            cl.close()
        except (OSError, SMTPError, threading.BrokenBarrierError) as e:
            rec.put("fail client%d %r" % (i, e))
            errors.append("client%d" % i)

    t0 = time.time()
    ths = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    dt = time.time() - t0
    print("%d clients x %d messages in %.1f s, %d failures" %
          (a.clients, a.msgs, dt, len(errors)))
    return 1 if errors else 0


def cmd_blast(a):
    rec = Recorder(a.out)
    rcpts = a.to.split(",")
    stop = threading.Event()

    def client(i):
        rcpt = rcpts[i % len(rcpts)]
        n = 0
        while not stop.is_set():
            cl = None
            try:
                cl = Client(a.port, timeout=10)
                cl.greet("blast%d.test" % i)
                while not stop.is_set():
                    mid, msg = numbered("crash-%d-c%03d" % (os.getpid(), i),
                                        n, rcpt)
                    n += 1
                    res = transaction(cl, "crash@example.org", [rcpt], msg)
                    if res[-1][0] == "end" and res[-1][1] == 250:
                        rec.put("ok " + mid)
                    elif res[-1][1] is None:
                        break
            except (OSError, SMTPError):
                pass
            if cl is not None:
                cl.close()
            time.sleep(0.05)

    ths = [threading.Thread(target=client, args=(i,), daemon=True)
           for i in range(a.clients)]
    for t in ths:
        t.start()
    while not os.path.exists(a.stop):
        time.sleep(0.1)
    stop.set()
    for t in ths:
        t.join(20)
    return 0


def cmd_verify(a):
    acked = []
    for ln in open(a.acked):
        w = ln.split()
        if len(w) >= 2 and w[0] == "ok":
            acked.append(w[1])
    seen = {}
    bad = []
    for p in maildir_files(a.dirs):
        data = open(p, "rb").read()
        m = re.search(rb"^X-Test-Seq: (\S+)$", data, re.M)
        if m is None:
            bad.append("%s: no X-Test-Seq (%d bytes)" % (p, len(data)))
            continue
        mid = m.group(1).decode()
        if not data.endswith(b"END-OF-MESSAGE %s\n" % mid.encode()):
            bad.append("%s: %s is cut short (%d bytes)" % (p, mid, len(data)))
        seen[mid] = seen.get(mid, 0) + 1
    missing = [m for m in acked if m not in seen]
    dups = sorted(m for m, n in seen.items() if n > 1)
    unacked = [m for m in seen if m not in set(acked)]
    print("%d messages got 250, %d distinct delivered, %d files, "
          "%d delivered without a 250 seen (allowed)" %
          (len(acked), len(seen), sum(seen.values()), len(unacked)))
    rc = 0
    for b in bad:
        print("FAIL: " + b)
        rc = 1
    if len(set(acked)) != len(acked):
        print("FAIL: an id got 250 twice (test bug)")
        rc = 1
    if missing:
        print("FAIL: %d messages that got 250 are missing: %s" %
              (len(missing), " ".join(missing[:50])))
        rc = 1
    if dups:
        print("%s: %d duplicates: %s" % ("FAIL" if a.exact else "logged",
                                         len(dups), " ".join(
                                             "%s(x%d)" % (m, seen[m])
                                             for m in dups)))
        if a.exact:
            rc = 1
    if a.exact and unacked:
        print("FAIL: delivered but never acknowledged: %s" %
              " ".join(unacked[:50]))
        rc = 1
    return rc


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("gen")
    s.add_argument("kind")
    s.add_argument("file")
    s.add_argument("--id")

    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--from", dest="mfrom", required=True)
    s.add_argument("--to", action="append", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--bdat", type=int, default=0)
    s.add_argument("--params", default="")
    s.add_argument("--expect", type=int, default=250)
    s.add_argument("--stage")

    s = sub.add_parser("check")
    s.add_argument("--maildir", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--from", dest="mfrom", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--owner")
    s.add_argument("--timeout", type=int, default=30)

    s = sub.add_parser("count")
    s.add_argument("dirs", nargs="+")

    s = sub.add_parser("wait-count")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--timeout", type=int, default=60)
    s.add_argument("dirs", nargs="+")

    s = sub.add_parser("smuggle")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--from", dest="mfrom", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--victim", required=True)
    s.add_argument("--variant", required=True, choices=sorted(SMUGGLE))
    s.add_argument("--bdat", action="store_true")
    s.add_argument("--tag")

    s = sub.add_parser("rcpt")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--from", dest="mfrom", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--data", action="store_true")
    s.add_argument("--id", default="relay")
    s.add_argument("--also")

    s = sub.add_parser("hostile")
    s.add_argument("name")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--to", default="")
    s.add_argument("--id", default="hostile")
    s.add_argument("--stall", type=int, default=2)
    s.add_argument("--rcpts", type=int, default=1000000)
    s.add_argument("--maxrcpt", type=int, default=1000)

    s = sub.add_parser("steady")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--stop", required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("load")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--clients", type=int, default=200)
    s.add_argument("--msgs", type=int, default=10)
    s.add_argument("--tag", default="load")
    s.add_argument("--to", required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("blast")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--clients", type=int, default=20)
    s.add_argument("--to", required=True)
    s.add_argument("--stop", required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("verify")
    s.add_argument("--acked", required=True)
    s.add_argument("--exact", action="store_true")
    s.add_argument("dirs", nargs="+")

    a = p.parse_args()
    fn = {"gen": cmd_gen, "send": cmd_send, "check": cmd_check,
          "count": cmd_count, "wait-count": cmd_wait_count,
          "smuggle": cmd_smuggle, "rcpt": cmd_rcpt, "hostile": cmd_hostile,
          "steady": cmd_steady, "load": cmd_load, "blast": cmd_blast,
          "verify": cmd_verify}[a.cmd]
    try:
        return fn(a) or 0
    except (OSError, SMTPError) as e:
        print("FAIL: %s: %r" % (a.cmd, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
