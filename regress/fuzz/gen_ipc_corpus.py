#!/usr/bin/env python3
# Write the seed corpus of regress/fuzz/fuzz_ipc.c: a few valid streams
# of encoded IPC messages (see include/ipc.h), each behind the fuzzer's
# two control bytes.  Host byte order, as on the wire.
#   usage: python3 regress/fuzz/gen_ipc_corpus.py [outdir]
import os
import struct
import sys

HDR = 16
HASFD = 0x80000000
U8, U32, U64, I64, STRING, NULLSTR, DATA, SOCKADDR = range(1, 9)


def msg(mtype, payload=b"", peerid=0, pid=4242, fd=False):
    return struct.pack("=IIII", mtype, HDR + len(payload), peerid,
                       pid | (HASFD if fd else 0)) + payload


def u8(v): return struct.pack("=BB", U8, v)
def u32(v): return struct.pack("=BI", U32, v)
def u64(v): return struct.pack("=BQ", U64, v)
def i64(v): return struct.pack("=Bq", I64, v)
def nullstr(): return struct.pack("=B", NULLSTR)


def string(s):
    b = s.encode() + b"\0"
    return struct.pack("=BI", STRING, len(b)) + b


def data(b):
    return struct.pack("=BI", DATA, len(b)) + b


def sockaddr(b):
    return struct.pack("=BI", SOCKADDR, len(b)) + b


def sin(port, addr):
    return struct.pack("=H", 2) + struct.pack(">H", port) + \
        bytes(addr) + bytes(8)


def sin6(port, addr):
    return struct.pack("=H", 10) + struct.pack(">HI", port, 0) + \
        bytes(addr) + struct.pack("=I", 0)


def sun(path):
    p = path.encode()
    return struct.pack("=H", 1) + p + bytes(108 - len(p))


seeds = {
    "empty": (0x01, 0x00, msg(1)),
    "ints": (0x01, 0x11, msg(5, u8(7) + u32(0xdeadbeef) + u64(2**64 - 1) +
                             i64(-1) + i64(2**31 - 1), peerid=3)),
    "strings": (0x02, 0x22, msg(9, string("hello") + string("") +
                                nullstr() + string("mx.example.org"))),
    "addrs": (0x04, 0x33, msg(12, sockaddr(sin(25, [127, 0, 0, 1])) +
                              sockaddr(sin6(587, [0] * 15 + [1])) +
                              sockaddr(sun("/var/run/smtpd.sock")))),
    "data": (0x05, 0x44, msg(14, data(bytes(range(40))) + data(b"") +
                             data(b"fixed-16-bytes!!"))),
    "many": (0x07, 0x55, b"".join(msg(20 + i, u32(i) + string("m%d" % i),
                                      peerid=i) for i in range(12))),
    "bytewise": (0x03, 0x66, msg(2, u32(1) + string("slow")) +
                 msg(3, data(b"abc")) + msg(4)),
    "withfd": (0x10, 0x77, msg(30, u32(99), fd=True) + msg(31) +
               msg(32, string("after"), fd=True)),
    "large": (0x08, 0x88, msg(40, data(bytes(3000)) + string("x" * 900))),
    "mixed": (0x0b, 0x99, msg(1, u8(1)) + msg(2, string("a") + i64(-5)) +
              msg(3, sockaddr(sin(2525, [127, 0, 0, 2])) + nullstr())),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_ipc")
os.makedirs(out, exist_ok=True)
for name, (c0, c1, stream) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([c0, c1]) + stream)
