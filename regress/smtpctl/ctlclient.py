#!/usr/bin/python3
# A raw client of the control socket for the smtpctl tests: it speaks
# (and deliberately breaks) the framed protocol of include/ipc.h so that
# the tests can check what the control process does with hostile input.
#
#   ctlclient.py TOP SOCKET garbage      random bytes, then wait for close
#   ctlclient.py TOP SOCKET lying        header claims more than is sent
#   ctlclient.py TOP SOCKET toolong      header claims more than the max
#   ctlclient.py TOP SOCKET shortlen     header length below header size
#   ctlclient.py TOP SOCKET oversized    complete request over the limit
#   ctlclient.py TOP SOCKET unknown      valid frame of an unknown type
#   ctlclient.py TOP SOCKET badverbose   IMSG_CTL_VERBOSE with a bad payload
#   ctlclient.py TOP SOCKET version      request with another version
#   ctlclient.py TOP SOCKET twice        two requests without waiting
#   ctlclient.py TOP SOCKET fd           request carrying a descriptor
#   ctlclient.py TOP SOCKET strayfd      descriptor without the flag
#   ctlclient.py TOP SOCKET hangup N     N x (show stats request, close)
#   ctlclient.py TOP SOCKET many N CMD.. hold N connections, run CMD
#   ctlclient.py TOP SOCKET stuck S CMD.. never read: fill the server's
#                                        buffer with answers, break the
#                                        protocol while a request is
#                                        pending, run CMD after S seconds
#
# Prints one result line per action; exit 0 unless the socket could not
# be reached at all.
import os
import re
import socket
import struct
import subprocess
import sys
import time

HDR = struct.Struct("=IIII")


def imsg_types(top):
    src = open(os.path.join(top, "include/imsg_types.h")).read()
    body = src[src.index("enum imsg_type {") + len("enum imsg_type {"):]
    body = re.sub(r"/\*.*?\*/", "", body[:body.index("}")], flags=re.S)
    types, v = {}, 0
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            name, val = item.split("=")
            item, v = name.strip(), int(val.strip(), 0)
        types[item] = v
        v += 1
    return types


def proto_version(top):
    src = open(os.path.join(top, "include/control.h")).read()
    return int(re.search(r"#define\s+CONTROL_PROTO_VERSION\s+(\d+)",
                         src).group(1))


def frame(mtype, payload=b"", peerid=1, length=None):
    if length is None:
        length = HDR.size + len(payload)
    return HDR.pack(mtype, length, peerid, os.getpid() & 0x7fffffff) + \
        payload


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def answer(s, timeout=5.0):
    """Read what the server sends until it closes or goes quiet:
    returns (list of message types, closed?)."""
    s.settimeout(timeout)
    data, closed = b"", False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            s.settimeout(0.5)
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    types = []
    while len(data) >= HDR.size:
        t, ln, _, _ = HDR.unpack_from(data)
        if ln < HDR.size or ln > len(data):
            break
        types.append(t)
        data = data[ln:]
    return types, closed


def report(name, s, types_by_num):
    got, closed = answer(s)
    names = [types_by_num.get(t, str(t)) for t in got]
    print("%s: %s %s" % (name, ",".join(names) or "-",
                         "closed" if closed else "open"))


def main():
    top, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    types = imsg_types(top)
    byn = {v: k for k, v in types.items()}
    ver = proto_version(top)

    if mode == "garbage":
        s = connect(path)
        s.sendall(bytes((i * 37 + 11) % 256 for i in range(4096)))
        report(mode, s, byn)
    elif mode == "lying":
        # Promise 60000 bytes, send 10, then give up.
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"x" * 10, ver,
                        length=60000)[:HDR.size + 10])
        got, closed = answer(s, 1.0)
        print("lying: %s" % ("closed" if closed else "open"))
    elif mode == "toolong":
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver,
                        length=0xfffffff0))
        report(mode, s, byn)
    elif mode == "shortlen":
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver, length=3))
        report(mode, s, byn)
    elif mode == "oversized":
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"\0" * 8000, ver))
        report(mode, s, byn)
    elif mode == "unknown":
        s = connect(path)
        s.sendall(frame(9999, b"", ver))
        report(mode, s, byn)
    elif mode == "badverbose":
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_VERBOSE"], b"\x04abc", ver))
        report(mode, s, byn)
    elif mode == "version":
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver + 100))
        report(mode, s, byn)
    elif mode == "twice":
        # A second request before the first is answered.
        s = connect(path)
        s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver) +
                  frame(types["IMSG_CTL_STATS"], b"", ver))
        report(mode, s, byn)
    elif mode in ("fd", "strayfd"):
        # A descriptor with a request that announces it, or one that
        # comes with a request that does not.
        s = connect(path)
        f = frame(types["IMSG_CTL_STATUS"], b"", ver)
        if mode == "fd":
            f = HDR.pack(types["IMSG_CTL_STATUS"], HDR.size, ver,
                         0x80000000 | (os.getpid() & 0x7fffffff))
        with open("/dev/null") as null:
            socket.send_fds(s, [f], [null.fileno()])
        report(mode, s, byn)
    elif mode == "hangup":
        for _ in range(int(sys.argv[4])):
            s = connect(path)
            s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver))
            s.close()
        print("hangup: done")
    elif mode == "many":
        n, cmd = int(sys.argv[4]), sys.argv[5:]
        socks = [connect(path) for _ in range(n)]
        time.sleep(0.5)
        refused = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(65536) is not None:
                    refused += 1	# a FAIL or EOF: refused
            except BlockingIOError:
                pass
            except ConnectionResetError:
                refused += 1
        print("many: accepted=%d refused=%d" % (n - refused, refused))
        sys.stdout.flush()
        if cmd:
            r = subprocess.run(cmd)
            print("many: command exit %d" % r.returncode)
        for s in socks:
            s.close()
    elif mode == "stuck":
        secs, cmd = float(sys.argv[4]), sys.argv[5:]
        s = connect(path)
        end_t = types["IMSG_CTL_STATS_END"]
        sent = 0
        while sent < 1000:
            s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver))
            sent += 1
            # Peek (never read) until this answer is complete; a queue
            # that stops growing means the server can write no more.
            last, still = -1, 0
            while True:
                try:
                    data = s.recv(1 << 22,
                                  socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    data = b""
                ends, off = 0, 0
                while off + HDR.size <= len(data):
                    t, ln, _, _ = HDR.unpack_from(data, off)
                    if ln < HDR.size or off + ln > len(data):
                        break
                    ends += t == end_t
                    off += ln
                if ends == sent:
                    break
                still = still + 1 if len(data) == last else 0
                last = len(data)
                if still >= 20:
                    break
                time.sleep(0.025)
            if ends != sent:
                break
        # Now a request, and a second one while it is pending.
        s.sendall(frame(types["IMSG_CTL_STATS"], b"", ver) +
                  frame(types["IMSG_CTL_STATS"], b"", ver))
        print("stuck: %d requests" % sent)
        sys.stdout.flush()
        time.sleep(secs)
        r = subprocess.run(cmd)
        print("stuck: command exit %d" % r.returncode)
        s.close()
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
