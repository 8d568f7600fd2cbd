#!/usr/bin/env python3
"""Small measuring helpers for regress/bench/run.sh.

  benchtool.py tree PID
      Print "NPROC RSS_KB PSS_KB PIDS" for PID and all its descendants
      (found through the parent pid in /proc/*/stat).  Zombies are not
      counted.  PSS comes from /proc/PID/smaps_rollup (or smaps).
  benchtool.py listening PORT
      Exit 0 if some socket listens on TCP PORT (IPv4 or IPv6).
  benchtool.py ready T0_NS PID PORT TIMEOUT_S [-- CMD...]
      Poll every 2 ms until TCP PORT listens (PORT 0: skip) and CMD (if
      given) exits 0.  Print "PORT_MS CMD_MS": the milliseconds from
      T0_NS (date +%s%N before the daemon was started) to each event, or
      "-" for one not reached.  Exit 0 when both were reached, 1 on
      timeout, 2 if PID died first.
  benchtool.py cycle LOG PORT SETTLE_S CTL STOP -- CMD...
      One start/measure/stop cycle of a daemon: start CMD (stdout and
      stderr to LOG; it must stay in the foreground), poll as `ready`
      does for PORT and for the shell command CTL ("" for none), wait
      SETTLE_S seconds, measure the process tree as `tree` does, then
      stop it: STOP is "TERM" (SIGTERM to the daemon) or a shell command,
      and wait until every process of the tree has exited (SIGKILL after
      10 s).  Once CTL succeeds, PORT gets 2 s more at most.  "{pid}" in CTL and STOP is replaced by the daemon's pid.
      The processes measured are listed in LOG.procs (pid, user, RSS
      and PSS in KiB, command line).
      Prints "PORT_MS CTL_MS NPROC RSS_KB PSS_KB STOP_MS PIDS"; exit 0 on
      success, 1 on timeout, 2 if the daemon died, 3 if it had to be
      killed.
  benchtool.py smtp [OPTIONS] -- CMD...
      The SMTP section for one daemon: start CMD (in the foreground,
      output to --log), wait until --port greets (220), then for each
      concurrency in --conc and each of --repeat rounds: empty --maildir,
      run smtp-source (--source) with -s C -m --msgs -l --size and the
      words of --source-args, time it (accepted), then poll the number of files in --maildir/new and cur
      until it reaches --msgs (delivered), --timeout s have passed since
      smtp-source started, or none arrived for --stall s.  The CPU time
      of the daemon's process tree over that interval is reported too,
      and the client's (user + system of --source and the processes it
      waited for, from start to exit).  A concurrency may be C,ARG,...:
      the ARGs are added to that run's command line, and the whole word
      names the run in the output (tlsload.py: "20,--per-conn,10"; with
      --handshake-only it sends no mail and nothing is waited for).
      The client's output goes to --source-log (default: --log).
      Then, if --idle
      N > 0, measure the process tree's PSS, open N connections that each
      read the greeting and said EHLO, wait --settle s, measure again.
      Stop with --stop ("TERM" or a shell command; "{pid}" is replaced)
      and wait until every process of the tree exited.  Prints lines:
        ready MS
        backlog N    (of the listening socket, from ss)
        load C MSGS ACCEPT_S DELIVER_S DELIVERED SOURCE_RC CPU_S LOADAVG
             CLIENT_CPU_S
        cpu C NAME=CPU_S...
        idle N_OPEN PSS_BEFORE_KB PSS_AFTER_KB NPROC_BEFORE NPROC_AFTER
        stop MS
      ("-" for what was not reached); exit 0, 1 if the daemon was never
      ready, 2 if it died, 3 if it had to be killed.
  benchtool.py smtpsum FILE
      Summarise the output of `smtp`: for each concurrency a line
        rate C ACCEPTED_PER_S DELIVERED_PER_S ROUNDS FAILED CPU_MS_PER_MSG
             CLIENT_CPU_MS_PER_MSG CLIENT_CPU_PERCENT
        loadavg MIN MAX   (1-minute load average before the runs)
      (medians over the rounds; CPU: of the daemon's processes from the
      start of smtp-source until all were delivered; client CPU per
      message and as a percentage of one CPU over the client's run time;
      a round whose messages were not all
      delivered counts as FAILED and not in the delivered median), and
        idle N_OPEN KIB_PER_SESSION NPROC_BEFORE NPROC_AFTER
        backlog N
  benchtool.py cpusum FILE RUN
      From the output of `smtp`: each process's CPU ms per message in the
      runs named RUN (median over rounds), "NAME=MS ...", largest first.
  benchtool.py castat STATS OUT RUN
      Postern's ca in the runs named RUN: "ops_per_msg N ops_per_s N
      ca_ms_per_op N ca_busy_pct N smtp_busy_pct N rounds N" from the
      `smtpctl show stats` lines the tls section's hook wrote (STATS)
      and the output of `smtp` (OUT).
  benchtool.py tlsclient FILE
      Sum the summary lines of tlsload.py in FILE: "sessions N resumed R
      errors E proto P=N,... cipher C,... error \"FIRST\"" (the summaries
      of runs without TLS, "tlsload-plain", are left out).
  benchtool.py alive PID...
      Exit 0 if any PID is still a live (non-zombie) process.
  benchtool.py timeit RUNS WARMUP -- CMD...
      Run CMD WARMUP+RUNS times (output discarded) and print the median,
      min and max wall time in ms of the timed runs; exit 1 if a run fails.
  benchtool.py hyperfine JSON
      Print the median, min and max (ms) from a hyperfine --export-json file.
  benchtool.py maxrss -- CMD...
      Run CMD once (output discarded), print its peak RSS in KiB.
  benchtool.py callgrind LOG
      Print the instruction count ("Collected :") from a callgrind log.
  benchtool.py median V...
      Print the median of the numeric values (non-numeric ones ignored).
  benchtool.py div A B
      Print A / B, or "-" if either is not a number or B is 0.
  benchtool.py report TSV
      Print the result table from the TSV rows written by run.sh.
"""
import json
import os
import pwd
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time


def proc_stat(pid):
    """Return (state, ppid) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    # comm may hold spaces and parentheses: split after the last ')'.
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def descendants(root):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st is None or st[0] == "Z":
            continue
        children.setdefault(st[1], []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        st = proc_stat(p)
        if st is None or st[0] == "Z":
            continue
        out.append(p)
        todo.extend(children.get(p, []))
    return sorted(out)


def mem_of(pid):
    """(rss_kb, pss_kb) of one process."""
    rss = pss = 0
    for name in ("smaps_rollup", "smaps"):
        try:
            with open("/proc/%d/%s" % (pid, name)) as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            return rss, pss
        except OSError:
            continue
    return 0, 0


def user_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    uid = int(line.split()[2])   # effective uid
                    try:
                        return pwd.getpwuid(uid).pw_name
                    except KeyError:
                        return str(uid)
    except OSError:
        pass
    return "?"


def cmdline_of(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            c = f.read().replace(b"\0", b" ").strip()
        return c.decode("utf-8", "replace")[:70]
    except OSError:
        return "?"


def cmd_tree(args):
    pids = descendants(int(args[0]))
    rss = pss = 0
    for p in pids:
        r, s = mem_of(p)
        rss += r
        pss += s
    print(len(pids), rss, pss, ",".join(str(p) for p in pids))


def listens(port):
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and \
                            int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


def cmd_listening(args):
    sys.exit(0 if listens(int(args[0])) else 1)


def cmd_ready(args):
    t0, pid, port, timeout = int(args[0]), int(args[1]), int(args[2]), \
        float(args[3])
    cmd = args[5:] if len(args) > 4 and args[4] == "--" else args[4:]
    port_ms = None if port else "-"
    cmd_ms = None if cmd else "-"
    rc = 0
    while port_ms is None or cmd_ms is None:
        now = time.time_ns()
        if port_ms is None and listens(port):
            port_ms = "%.1f" % ((now - t0) / 1e6)
        if cmd_ms is None and subprocess.call(
                cmd, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            # Counted when the answer is in, i.e. including the client.
            cmd_ms = "%.1f" % ((time.time_ns() - t0) / 1e6)
        if port_ms is not None and cmd_ms is not None:
            break
        st = proc_stat(pid)
        if st is None or st[0] == "Z":
            rc = 2
            break
        if (time.time_ns() - t0) / 1e9 > timeout:
            rc = 1
            break
        time.sleep(0.002)
    print(port_ms or "-", cmd_ms or "-")
    sys.exit(rc)


def alive(pids):
    for p in pids:
        st = proc_stat(p)
        if st is not None and st[0] != "Z":
            return True
    return False


def cmd_cycle(args):
    logname, port, settle, ctl, stop = args[0], int(args[1]), \
        float(args[2]), args[3], args[4]
    cmd = args[6:] if args[5] == "--" else args[5:]
    log = open(logname, "w")
    t0 = time.time_ns()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    pid = proc.pid
    with open(logname + ".pid", "w") as f:
        f.write("%d\n" % pid)

    def interrupted(signum, frame):
        try:
            os.kill(pid, 15)
        except OSError:
            pass
        sys.exit(128 + signum)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    ctl = ctl.replace("{pid}", str(pid))
    stop = stop.replace("{pid}", str(pid))
    port_ms = None if port else "-"
    ctl_ms = None if ctl else "-"
    rc = 0
    while port_ms is None or ctl_ms is None:
        now = time.time_ns()
        if port_ms is None and listens(port):
            port_ms = "%.1f" % ((now - t0) / 1e6)
        if ctl_ms is None and subprocess.call(
                ctl, shell=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            # Counted when the answer is in, i.e. including the client.
            ctl_ms = "%.1f" % ((time.time_ns() - t0) / 1e6)
        if port_ms is not None and ctl_ms is not None:
            break
        if proc.poll() is not None:
            rc = 2
            break
        elapsed = (time.time_ns() - t0) / 1e9
        # A daemon whose control answers gets 2 s more to listen (one
        # without an SMTP service yet must not cost 20 s per start).
        if elapsed > 20 or (ctl_ms not in (None, "-") and
                            elapsed > float(ctl_ms) / 1e3 + 2):
            rc = 1
            break
        time.sleep(0.002)
    nproc = rss = pss = "-"
    pids = [pid]
    if rc == 0 or (rc == 1 and ctl_ms not in (None, "-")):
        time.sleep(settle)
        pids = descendants(pid)
        rss = pss = 0
        with open(logname + ".procs", "w") as f:
            for p in pids:
                r, s = mem_of(p)
                rss += r
                pss += s
                f.write("%7d %-10s %7d %7d  %s\n" % (
                    p, user_of(p), r, s, cmdline_of(p)))
        nproc = len(pids)
    t1 = time.time_ns()
    if proc.poll() is None:
        if stop == "TERM":
            os.kill(pid, 15)
        else:
            subprocess.call(stop, shell=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while alive(pids) or proc.poll() is None:
        if (time.time_ns() - t1) / 1e9 > 10:
            for p in pids:
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
            rc = rc or 3
            break
        time.sleep(0.002)
    t2 = time.time_ns()
    proc.wait()
    os.unlink(logname + ".pid")
    stop_ms = "%.1f" % ((t2 - t1) / 1e6)
    print(port_ms or "-", ctl_ms or "-", nproc, rss, pss, stop_ms,
          ",".join(str(p) for p in pids))
    sys.exit(rc)


def greets(port, timeout=2.0):
    """True if 127.0.0.1:port answers with a 220 greeting."""
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout) as s:
            s.settimeout(timeout)
            buf = b""
            while b"\n" not in buf:
                d = s.recv(512)
                if not d:
                    return False
                buf += d
            ok = buf.startswith(b"220")
            try:
                s.sendall(b"QUIT\r\n")
                s.recv(512)
            except OSError:
                pass
            return ok
    except OSError:
        return False


def maildir_count(d):
    n = 0
    for sub in ("new", "cur"):
        try:
            with os.scandir(os.path.join(d, sub)) as it:
                for e in it:
                    if not e.name.startswith("."):
                        n += 1
        except OSError:
            pass
    return n


def maildir_empty(d):
    for sub in ("new", "cur", "tmp"):
        p = os.path.join(d, sub)
        try:
            names = os.listdir(p)
        except OSError:
            continue
        for n in names:
            try:
                os.unlink(os.path.join(p, n))
            except OSError:
                pass


CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root):
    """{process name: CPU seconds} over root and its descendants, with
    the children each has reaped (delivery helpers, Postfix's smtpd)."""
    out = {}
    for p in descendants(root):
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        ticks = sum(int(x) for x in rest[11:15])
        name = cmdline_of(p)
        if name.startswith("smtpd: "):      # Postern, OpenSMTPD roles
            name = " ".join(name.split()[:2])
        else:
            name = os.path.basename(name.split()[0]) if name else "?"
        out[name] = out.get(name, 0) + ticks / CLK_TCK
    return out


def tree_pss(root):
    pids = descendants(root)
    pss = 0
    for p in pids:
        pss += mem_of(p)[1]
    return len(pids), pss


def idle_sessions(port, n, timeout):
    """Open n connections that read the greeting and said EHLO; return
    (list of sockets that got the EHLO reply, all sockets)."""
    import selectors
    import socket
    sel = selectors.DefaultSelector()
    socks, done = [], []
    state = {}
    pending = 0
    started = 0
    deadline = time.time() + timeout
    # At most 50 handshakes in flight: a daemon with a small listen
    # backlog must not turn this into a SYN retransmission test.
    while (started < n or pending) and time.time() < deadline:
        while started < n and pending < 50:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                started += 1
                continue
            socks.append(s)
            state[s] = [0, b""]     # 0: greeting, 1: EHLO reply
            sel.register(s, selectors.EVENT_READ)
            started += 1
            pending += 1
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                d = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            st = state[s]
            if not d:
                sel.unregister(s)
                pending -= 1
                continue
            st[1] += d
            # A reply is complete at a line "NNN " (not "NNN-").
            lines = st[1].split(b"\r\n")
            if not any(len(l) >= 4 and l[3:4] == b" " for l in lines[:-1]):
                continue
            st[1] = b""
            if st[0] == 0:
                st[0] = 1
                try:
                    s.sendall(b"EHLO idle.bench.example\r\n")
                except OSError:
                    sel.unregister(s)
                    pending -= 1
            else:
                sel.unregister(s)
                pending -= 1
                if lines[0].startswith(b"250"):
                    done.append(s)
    sel.close()
    return done, socks


def cmd_smtp(args):
    import argparse
    ap = argparse.ArgumentParser(prog="benchtool.py smtp")
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--stop", default="TERM")
    ap.add_argument("--source", required=True)
    ap.add_argument("--source-args", default="",
                    help="more words for every --source command line")
    ap.add_argument("--source-log", default="",
                    help="file for the client's output (default: --log)")
    ap.add_argument("--sender", default="sender@localhost")
    ap.add_argument("--rcpt", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--msgs", type=int, default=2000)
    ap.add_argument("--conc", default="20 100")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--stall", type=float, default=30,
                    help="give up when no delivery for this long")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--settle", type=float, default=2)
    ap.add_argument("--hook", default="",
                    help="shell command run around each load: "
                    "'{what} {conc} {pid}' (what: start or stop)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    o = ap.parse_args(args)
    cmd = o.cmd[1:] if o.cmd and o.cmd[0] == "--" else o.cmd
    log = open(o.log, "w")
    slog = open(o.source_log, "a") if o.source_log else log
    t0 = time.time_ns()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    pid = proc.pid
    with open(o.log + ".pid", "w") as f:
        f.write("%d\n" % pid)

    def interrupted(signum, frame):
        try:
            os.kill(pid, 15)
        except OSError:
            pass
        sys.exit(128 + signum)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    rc = 0
    ready = None
    while True:
        if listens(o.port) and greets(o.port):
            ready = "%.1f" % ((time.time_ns() - t0) / 1e6)
            break
        if proc.poll() is not None:
            rc = 2
            break
        if (time.time_ns() - t0) / 1e9 > 30:
            rc = 1
            break
        time.sleep(0.01)
    print("ready", ready or "-", flush=True)
    if ready:
        # The listen(2) backlog, as the kernel has it (ss: Send-Q of a
        # listening socket).
        try:
            out = subprocess.run(
                ["ss", "-Hltn", "sport = :%d" % o.port],
                capture_output=True, text=True).stdout.split()
            print("backlog", out[2] if len(out) > 2 else "-", flush=True)
        except OSError:
            pass
    if rc == 0:
        time.sleep(1)
        for rnd in range(o.repeat):
            for run in o.conc.split():
                c, *extra = run.split(",")
                if proc.poll() is not None:
                    rc = 2
                    break
                maildir_empty(o.maildir)
                if o.hook:
                    subprocess.call(o.hook.format(what="start", conc=run,
                                                  pid=pid), shell=True)
                srccmd = [o.source, "-s", c, "-m", str(o.msgs),
                          "-l", str(o.size), "-f", o.sender, "-t", o.rcpt]
                srccmd += shlex.split(o.source_args) + extra
                srccmd.append("127.0.0.1:%d" % o.port)
                log.write("bench: %s (round %d)\n"
                          % (" ".join(srccmd), rnd + 1))
                log.flush()
                slog.write("bench: %s (round %d)\n"
                           % (" ".join(srccmd), rnd + 1))
                slog.flush()
                cpu0 = tree_cpu(pid)
                with open("/proc/loadavg") as f:
                    load0 = f.read().split()[0]
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                a = time.perf_counter()
                # A process group of its own: a client that forks
                # workers is stopped whole on a timeout.
                src = subprocess.Popen(srccmd, stdin=subprocess.DEVNULL,
                                       stdout=slog, stderr=subprocess.STDOUT,
                                       start_new_session=True)
                try:
                    src_rc = src.wait(o.timeout)
                    acc = time.perf_counter() - a
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(src.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    src.wait()
                    src_rc = "timeout"
                    acc = None
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                ccpu = (ru1.ru_utime + ru1.ru_stime) - \
                    (ru0.ru_utime + ru0.ru_stime)
                dlv = None
                # A client that failed will not have sent every message:
                # wait only for what it got accepted.
                stall = o.stall if src_rc == 0 else min(o.stall, 3)
                # tlsload.py --handshake-only sends no mail.
                want = 0 if "--handshake-only" in extra else o.msgs
                n = maildir_count(o.maildir)
                last, last_t = n, time.perf_counter()
                while n < want and time.perf_counter() - a < o.timeout:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.02)
                    n = maildir_count(o.maildir)
                    if n != last:
                        last, last_t = n, time.perf_counter()
                    elif time.perf_counter() - last_t > stall:
                        break
                if n >= want:
                    dlv = time.perf_counter() - a if want else acc
                cpu1 = tree_cpu(pid)
                cpu = {k: v - cpu0.get(k, 0) for k, v in cpu1.items()}
                if o.hook:
                    subprocess.call(o.hook.format(what="stop", conc=run,
                                                  pid=pid), shell=True)
                print("load", run, o.msgs,
                      "%.3f" % acc if acc is not None else "-",
                      "%.3f" % dlv if dlv is not None else "-", n, src_rc,
                      "%.2f" % sum(cpu.values()), load0, "%.2f" % ccpu,
                      flush=True)
                print("cpu", run, " ".join(
                    "%s=%.2f" % (k.replace(" ", "_"), v)
                    for k, v in sorted(cpu.items(), key=lambda x: -x[1])
                    if v > 0), flush=True)
                # Let the daemon finish what the load left (removals,
                # late deliveries beyond N) before the next run.
                time.sleep(1)
        if o.idle > 0 and proc.poll() is None:
            maildir_empty(o.maildir)
            time.sleep(o.settle)
            nb, before = tree_pss(pid)
            done, socks = idle_sessions(o.port, o.idle, 60)
            time.sleep(o.settle)
            na, after = tree_pss(pid)
            print("idle", len(done), before, after, nb, na, flush=True)
            for s in socks:
                s.close()
            time.sleep(0.5)
    pids = descendants(pid)
    t1 = time.time_ns()
    if proc.poll() is None:
        if o.stop == "TERM":
            os.kill(pid, 15)
        else:
            subprocess.call(o.stop.replace("{pid}", str(pid)), shell=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while alive(pids) or proc.poll() is None:
        if (time.time_ns() - t1) / 1e9 > 10:
            for p in pids:
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
            rc = rc or 3
            break
        time.sleep(0.01)
    proc.wait()
    os.unlink(o.log + ".pid")
    print("stop", "%.1f" % ((time.time_ns() - t1) / 1e6), flush=True)
    sys.exit(rc)


def cmd_smtpsum(args):
    acc, dlv, rounds, failed, order = {}, {}, {}, {}, []
    backlog = False
    cpums, loads, ccpums, ccpupct = {}, [], {}, {}
    with open(args[0]) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "load" and len(w) >= 7:
                c, msgs = w[1], int(w[2])
                if c not in rounds:
                    order.append(c)
                    rounds[c] = failed[c] = 0
                    acc[c], dlv[c] = [], []
                rounds[c] += 1
                if len(w) >= 9:
                    cpums.setdefault(c, []).append(
                        float(w[7]) * 1000.0 / (int(w[5]) or int(w[2])))
                    loads.append(float(w[8]))
                if len(w) >= 10:
                    ccpums.setdefault(c, []).append(
                        float(w[9]) * 1000.0 / msgs)
                    if w[3] != "-":
                        ccpupct.setdefault(c, []).append(
                            float(w[9]) * 100.0 / float(w[3]))
                if w[3] != "-" and w[6] == "0":
                    acc[c].append(msgs / float(w[3]))
                if w[4] != "-":
                    dlv[c].append(msgs / float(w[4]))
                else:
                    failed[c] += 1
            elif w[0] == "backlog" and len(w) >= 2 and not backlog:
                backlog = True
                print("backlog", w[1])
            elif w[0] == "idle" and len(w) >= 6:
                n, before, after = int(w[1]), int(w[2]), int(w[3])
                per = "%.1f" % ((after - before) / n) if n > 0 else "-"
                print("idle", n, per, w[4], w[5])
    for c in order:
        print("rate", c,
              "%.1f" % statistics.median(acc[c]) if acc[c] else "-",
              "%.1f" % statistics.median(dlv[c]) if dlv[c] else "-",
              rounds[c], failed[c],
              "%.2f" % statistics.median(cpums[c]) if c in cpums else "-",
              "%.2f" % statistics.median(ccpums[c]) if c in ccpums else "-",
              "%.0f" % statistics.median(ccpupct[c]) if c in ccpupct
              else "-")
    if loads:
        print("loadavg %.1f %.1f" % (min(loads), max(loads)))


def cmd_cpusum(args):
    """CPU per message of each of the daemon's processes in the runs
    named RUN (medians over the rounds), from the output of `smtp`."""
    per, msgs = {}, None
    with open(args[0]) as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[0] == "load" and w[1] == args[1]:
                msgs = (int(w[5]) or int(w[2]))
            elif len(w) >= 2 and w[0] == "cpu" and w[1] == args[1] and msgs:
                for kv in w[2:]:
                    k, _, v = kv.partition("=")
                    per.setdefault(k, []).append(float(v) * 1000.0 / msgs)
                msgs = None
    med = {k: statistics.median(v) for k, v in per.items()}
    print(" ".join("%s=%.2f" % (k, v) for k, v in
                   sorted(med.items(), key=lambda x: -x[1]) if v >= 0.005))


def cmd_castat(args):
    """Postern's ca under TLS load: STATS has the lines the tls section's
    hook wrote around each run ("start|stop RUN key=value..." from
    `smtpctl show stats`), OUT the output of `smtp`.  For the runs named
    RUN, medians of: key operations per message, per second of the run,
    ca CPU ms per operation, and the share of the run's wall time ca and
    smtp were on a CPU."""
    run = args[2]
    ops, start = [], None
    with open(args[0]) as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or w[1] != run:
                continue
            n = 0
            for kv in w[2:]:
                k, _, v = kv.partition("=")
                if k.startswith("ca.") and (k.endswith(".sign") or
                                            k.endswith(".decrypt")):
                    n += int(v)
            if w[0] == "start":
                start = n
            elif w[0] == "stop" and start is not None:
                ops.append(n - start)
                start = None
    loads, cpus = [], []
    with open(args[1]) as f:
        for line in f:
            w = line.split()
            if len(w) >= 4 and w[0] == "load" and w[1] == run:
                loads.append((int(w[2]), float(w[3]) if w[3] != "-"
                              else None))
            elif len(w) >= 2 and w[0] == "cpu" and w[1] == run:
                cpus.append(dict((kv.partition("=")[0],
                                  float(kv.partition("=")[2]))
                                 for kv in w[2:]))
    per_msg, per_s, ms_op, ca_busy, smtp_busy = [], [], [], [], []
    for (msgs, wall), cpu, n in zip(loads, cpus, ops):
        ca = cpu.get("smtpd:_ca", 0.0)
        per_msg.append(n / msgs)
        if n:
            ms_op.append(ca * 1000.0 / n)
        if wall:
            per_s.append(n / wall)
            ca_busy.append(ca * 100.0 / wall)
            smtp_busy.append(cpu.get("smtpd:_smtp", 0.0) * 100.0 / wall)

    def med(v, f):
        return f % statistics.median(v) if v else "-"
    print("ops_per_msg", med(per_msg, "%.2f"), "ops_per_s", med(per_s, "%.0f"),
          "ca_ms_per_op", med(ms_op, "%.3f"), "ca_busy_pct",
          med(ca_busy, "%.0f"), "smtp_busy_pct", med(smtp_busy, "%.0f"),
          "rounds", len(ops))


def cmd_tlsclient(args):
    """Sum the `tlsload` lines of a client log: the protocols and
    ciphers negotiated, sessions, errors and the first error."""
    proto, cipher, sessions, errors, err = {}, {}, 0, 0, ""
    resumed = 0
    with open(args[0]) as f:
        for line in f:
            if not line.startswith("tlsload msgs "):
                continue
            head, _, e = line.rstrip("\n").partition(" error ")
            w = head.split()
            kv = dict(zip(w[1::2], w[2::2]))
            sessions += int(kv.get("sessions", 0))
            errors += int(kv.get("errors", 0))
            resumed += int(kv.get("resumed", 0))
            for name, d in (("proto", proto), ("cipher", cipher)):
                for item in kv.get(name, "-").split(","):
                    if item == "-":
                        continue
                    k, _, n = item.partition("=")
                    d[k] = d.get(k, 0) + (int(n) if n else 1)
            if not err and e and e != '""':
                err = json.loads(e)
    print("sessions %d resumed %d errors %d proto %s cipher %s error %s" % (
        sessions, resumed, errors,
        ",".join("%s=%d" % kv for kv in sorted(proto.items())) or "-",
        ",".join(sorted(cipher)) or "-", json.dumps(err)))


def cmd_alive(args):
    for a in args:
        st = proc_stat(int(a))
        if st is not None and st[0] != "Z":
            sys.exit(0)
    sys.exit(1)


def cmd_timeit(args):
    runs, warmup = int(args[0]), int(args[1])
    cmd = args[3:] if args[2] == "--" else args[2:]
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        t1 = time.perf_counter()
        if rc != 0:
            sys.exit(1)
        if i >= warmup:
            times.append((t1 - t0) * 1000.0)
    print("%.3f %.3f %.3f" % (statistics.median(times), min(times),
                              max(times)))


def cmd_hyperfine(args):
    with open(args[0]) as f:
        r = json.load(f)["results"][0]
    print("%.3f %.3f %.3f" % (r["median"] * 1000.0, r["min"] * 1000.0,
                              r["max"] * 1000.0))


def cmd_maxrss(args):
    cmd = args[1:] if args[0] == "--" else args
    rc = subprocess.call(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if rc != 0:
        sys.exit(1)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def cmd_callgrind(args):
    with open(args[0]) as f:
        for line in f:
            m = re.search(r"Collected\s*:\s*(\d+)", line)
            if m:
                print(m.group(1))
                return
    sys.exit(1)


def num(v):
    try:
        return float(v)
    except ValueError:
        return None


def cmd_median(args):
    vals = [x for x in (num(a) for a in args) if x is not None]
    if not vals:
        print("-")
    else:
        print("%.3f" % statistics.median(vals))


def cmd_div(args):
    print(ratio(args[0], args[1]))


def fmt(v, unit):
    x = num(v)
    if x is None:
        # A measured failure ("fails", with the error in a note).
        return v if v.startswith("fails") else "-"
    if unit == "count":
        return "%d" % round(x)
    if unit == "Minstr":
        return "%.1f" % x
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def ratio(a, b):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0:
        return "-"
    return "%.2f" % (x / y)


def cmd_report(args):
    rows = []
    notes = []
    with open(args[0]) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if parts[0] == "note":
                notes.append(parts[1])
            elif parts[0] == "row":
                rows.append(parts[1:])
    head = ("metric", "unit", "Postern", "OpenSMTPD", "Postfix",
            "P/OpenSMTPD", "P/Postfix")
    table = [head]
    for metric, unit, p, o, x in rows:
        table.append((metric, unit, fmt(p, unit), fmt(o, unit), fmt(x, unit),
                      ratio(p, o), ratio(p, x)))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for n, r in enumerate(table):
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(r[2:], widths[2:])]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    if notes:
        print()
        for n in notes:
            print("* " + n)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = globals().get("cmd_" + cmd)
    if fn is None:
        sys.exit("benchtool: unknown command %s" % cmd)
    fn(args)


if __name__ == "__main__":
    main()
