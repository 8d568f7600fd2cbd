#! /usr/bin/atf-sh
# Integration tests of the process layer: a real daemon (the ASan build)
# with its own spool, control socket and pid file in the test's work
# directory.  Checks what an operator relies on: each role's user, root
# directory and descriptors, stats over the control socket, death of a
# child taking the daemon down with a reason, clean SIGTERM, SIGHUP
# reloads, refusal to share a control socket, the spool tree, -n.

# The helpers, sourced by each body and cleanup: atf-sh knows the kyua
# configuration (`top`) only once a test case runs.
subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# role user root-directory (SPOOL: the test's queue path)
ROLES="control:_smtpd:/var/empty
lka:_smtpd:/
ca:_smtpd:/var/empty
queue:_smtpq:SPOOL
scheduler:_smtpq:/var/empty
smtp:_smtpd:/var/empty
mta:_smtpd:/var/empty
mda:_smtpd:/var/empty"

# Channels of each role (proc.c's mesh) plus control's listening socket
# and smtp's listening socket (the default configuration has one).
sockets_of()
{
	case $1 in
	control) echo 9 ;;
	lka) echo 6 ;;
	ca) echo 4 ;;
	queue) echo 7 ;;
	scheduler) echo 5 ;;
	smtp) echo 6 ;;
	mta) echo 6 ;;
	mda) echo 5 ;;
	esac
}

# status_ids PID Uid|Gid: the four ids of the line, space-separated.
status_ids()
{
	awk -v k="$2:" '$1 == k { print $2, $3, $4, $5 }' "/proc/$1/status"
}

atf_test_case roles cleanup
roles_head()
{
	atf_set descr "every role runs as its user in its root directory," \
	    "holds only its channels, and only the parent is root"
	atf_set require.user root
	atf_set timeout 120
}
roles_body()
{
	subr
	postern_setup
	postern_start

	[ "$(status_ids "$POSTERN_PID" Uid)" = "0 0 0 0" ] ||
	    postern_fail "the parent does not run as root"
	n=$(postern_children | wc -l)
	[ "$n" -eq 8 ] || postern_fail "expected 8 children, found $n"

	for p in $(postern_children); do
		uids=$(status_ids "$p" Uid)
		gids=$(status_ids "$p" Gid)
		case " $uids $gids " in
		*" 0 "*) postern_fail "child $p keeps id 0: uid $uids" \
		    "gid $gids" ;;
		esac
	done

	for e in $ROLES; do
		role=${e%%:*}
		user=${e#*:}
		user=${user%%:*}
		root=${e##*:}
		[ "$root" = SPOOL ] && root=$POSTERN_SPOOL
		pid=$(postern_role_pid "$role") ||
		    postern_fail "no child titled 'smtpd: $role'"
		uid=$(id -u "$user")
		gid=$(id -g "$user")
		[ "$(status_ids "$pid" Uid)" = "$uid $uid $uid $uid" ] ||
		    postern_fail "$role: uids $(status_ids "$pid" Uid)," \
		    "expected $user ($uid)"
		[ "$(status_ids "$pid" Gid)" = "$gid $gid $gid $gid" ] ||
		    postern_fail "$role: gids $(status_ids "$pid" Gid)," \
		    "expected $gid"
		groups=$(awk '$1 == "Groups:" { $1 = ""; print }' \
		    "/proc/$pid/status" | tr -d ' ')
		[ "$groups" = "$gid" ] ||
		    postern_fail "$role: supplementary groups '$groups'"
		r=$(readlink "/proc/$pid/root")
		[ "$r" = "$root" ] ||
		    postern_fail "$role: root directory $r, expected $root"
		# Only its channels: sockets counted, no other file open.
		socks=0
		for fd in /proc/"$pid"/fd/*; do
			n=${fd##*/}
			t=$(readlink "$fd")
			case $t in
			socket:*) socks=$((socks + 1)) ;;
			pipe:*|anon_inode:*) ;;
			*) [ "$n" -le 2 ] || postern_fail "$role: fd $n" \
			    "is $t" ;;
			esac
		done
		[ "$socks" -eq "$(sockets_of "$role")" ] ||
		    postern_fail "$role: $socks sockets open, expected" \
		    "$(sockets_of "$role")"
	done

	postern_stop
}
roles_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case stats cleanup
stats_head()
{
	atf_set descr "smtpctl show stats lists every process with its pid"
	atf_set require.user root
	atf_set timeout 120
}
stats_body()
{
	subr
	postern_setup
	postern_start
	postern_smtpctl show stats >stats.out 2>&1 ||
	    { cat stats.out; postern_fail "smtpctl show stats failed"; }
	cat stats.out
	grep -qx "parent.pid=$POSTERN_PID" stats.out ||
	    postern_fail "no parent.pid=$POSTERN_PID"
	for role in control lka ca queue scheduler smtp mta mda; do
		pid=$(postern_role_pid "$role")
		grep -qx "$role.pid=$pid" stats.out ||
		    postern_fail "no $role.pid=$pid"
		grep -qx "$role.config.loads=1" stats.out ||
		    postern_fail "$role did not count its configuration"
	done
	grep -qx "smtp.listeners=1" stats.out ||
	    postern_fail "smtp.listeners=1 missing"
	grep -q '^uptime=' stats.out || postern_fail "no uptime"
	postern_stop
}
stats_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case child_killed cleanup
child_killed_head()
{
	atf_set descr "kill -9 of any child makes the whole daemon exit" \
	    "non-zero with a log line naming the role"
	atf_set require.user root
	atf_set timeout 300
}
child_killed_body()
{
	subr
	postern_setup
	for role in control lka ca queue scheduler smtp mta mda; do
		postern_start
		kids=$(postern_children)
		pid=$(postern_role_pid "$role")
		kill -9 "$pid"
		postern_wait_exit ||
		    postern_fail "smtpd still runs after $role was killed"
		[ "$POSTERN_STATUS" -ne 0 ] ||
		    postern_fail "smtpd exited 0 after $role was killed"
		grep -Eq "$role process \(pid $pid\) was killed by signal SIGKILL" \
		    "$POSTERN_LOG" ||
		    postern_fail "no log line naming $role (pid $pid)"
		for k in $kids; do
			! postern_alive "$k" ||
			    postern_fail "child $k survived ($role killed)"
		done
		[ ! -e "$POSTERN_PIDFILE" ] || postern_fail "pid file left"
		[ ! -e "$POSTERN_SOCK" ] || postern_fail "socket left"
		cp "$POSTERN_LOG" "killed-$role.log"
	done
}
child_killed_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case sigterm cleanup
sigterm_head()
{
	atf_set descr "SIGTERM and SIGINT stop everything and leave no" \
	    "process, pid file or socket behind"
	atf_set require.user root
	atf_set timeout 120
}
sigterm_body()
{
	subr
	postern_setup
	for sig in TERM INT; do
		postern_start
		[ "$(cat "$POSTERN_PIDFILE")" = "$POSTERN_PID" ] ||
		    postern_fail "pid file does not hold $POSTERN_PID"
		kids=$(postern_children)
		kill -"$sig" "$POSTERN_PID"
		postern_wait_exit || postern_fail "no exit after SIG$sig"
		[ "$POSTERN_STATUS" -eq 0 ] ||
		    postern_fail "exit status $POSTERN_STATUS after SIG$sig"
		for k in $kids; do
			! postern_alive "$k" || postern_fail "child $k left"
		done
		[ ! -e "$POSTERN_PIDFILE" ] || postern_fail "pid file left"
		[ ! -e "$POSTERN_SOCK" ] || postern_fail "socket left"
		# A clean stop is not reported as a failure by any role.
		! grep -Eq "lost channel|protocol error|killing it" \
		    "$POSTERN_LOG" || postern_fail "unclean stop on SIG$sig"
	done
}
sigterm_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case sighup cleanup
sighup_head()
{
	atf_set descr "SIGHUP applies a changed valid configuration and" \
	    "keeps the running one when the new file is broken"
	atf_set require.user root
	atf_set timeout 120
}
sighup_body()
{
	subr
	postern_setup
	postern_start
	kids=$(postern_children | sort)
	port2=$(postern_free_port)

	{ postern_default_conf; echo "listen on 127.0.0.1 port $port2"; } |
	    postern_conf
	kill -HUP "$POSTERN_PID"
	postern_wait_log "configuration reloaded"
	postern_smtpctl show stats >stats.out
	cat stats.out
	grep -qx "smtp.listeners=2" stats.out ||
	    postern_fail "new listener not applied"
	grep -qx "smtp.config.loads=2" stats.out ||
	    postern_fail "smtp did not take a second configuration"
	[ "$(postern_children | sort)" = "$kids" ] ||
	    postern_fail "processes were restarted by SIGHUP"

	{ postern_default_conf; echo "syntax-error here"; } | postern_conf
	kill -HUP "$POSTERN_PID"
	postern_wait_log "keeping the running configuration"
	grep -q "smtpd.conf:7:" "$POSTERN_LOG" ||
	    postern_fail "the error itself (file:line) was not logged"
	postern_alive "$POSTERN_PID" || postern_fail "daemon died"
	postern_smtpctl show stats >stats.out
	cat stats.out
	grep -qx "smtp.listeners=2" stats.out ||
	    postern_fail "running config lost"
	grep -qx "smtp.config.loads=2" stats.out ||
	    postern_fail "a broken config was sent to smtp"
	[ "$(grep -c "configuration reloaded" "$POSTERN_LOG")" -eq 1 ] ||
	    postern_fail "a broken config was reported as reloaded"
	postern_stop
	[ "$POSTERN_STATUS" -eq 0 ] || postern_fail "exit $POSTERN_STATUS"
}
sighup_cleanup()
{
	subr
	postern_cleanup
}

# Start smtpd -d N times, send SIG as soon as the pid file exists (the
# pid file and the socket are made before the parent's handlers are in
# place), and check the outcome: SIGTERM stops it cleanly, SIGHUP is a
# reload that leaves it running.  Either way nothing may be left behind.
early_signal_run()
{
	cat >early.py <<'EOF'
import os, signal, subprocess, sys, time
smtpd, conf, pidf, sock, log, sig, n = sys.argv[1:8]
sig, bad = getattr(signal, "SIG" + sig), 0
def gone(p, secs):
    end = time.time() + secs
    while time.time() < end:
        if p.poll() is not None:
            return True
        time.sleep(0.05)
    return False
for i in range(int(n)):
    for f in (pidf, sock):
        if os.path.exists(f):
            os.unlink(f)
    out = open(log, "w")
    p = subprocess.Popen([smtpd, "-d", "-f", conf], stdout=out,
                         stderr=subprocess.STDOUT)
    open(".postern_daemon", "w").write("%d\n" % p.pid)
    while not os.path.exists(pidf) and p.poll() is None:
        pass
    p.send_signal(sig)
    if sig == signal.SIGHUP:
        end = time.time() + 30
        while p.poll() is None and time.time() < end and \
                "startup complete" not in open(log).read():
            time.sleep(0.05)
        if p.poll() is not None:
            print("run %d: SIGHUP killed smtpd (status %d)" % (i, p.returncode))
            bad += 1
            continue
        p.send_signal(signal.SIGTERM)
    if not gone(p, 30):
        p.kill()
        print("run %d: no exit" % i)
        bad += 1
        continue
    left = [f for f in (pidf, sock) if os.path.exists(f)]
    if p.returncode != 0 or left:
        print("run %d: status %d, left %s" % (i, p.returncode, left))
        bad += 1
sys.exit(1 if bad else 0)
EOF
	python3 early.py "$POSTERN_BIN/smtpd" "$POSTERN_CONF" \
	    "$POSTERN_PIDFILE" "$POSTERN_SOCK" "$POSTERN_LOG" "$1" "$2" \
	    >early.out 2>&1 ||
	    postern_fail "SIG$1 at start-up: $(tr '\n' ';' <early.out)"
}

atf_test_case early_signal cleanup
early_signal_head()
{
	atf_set descr "SIGHUP or SIGTERM right after the pid file appears:" \
	    "no death by signal, nothing left behind"
	atf_set require.user root
	atf_set timeout 300
}
early_signal_body()
{
	subr
	postern_setup
	early_signal_run HUP 5
	early_signal_run TERM 10
}
early_signal_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case second_daemon cleanup
second_daemon_head()
{
	atf_set descr "a second daemon on the same control socket refuses" \
	    "to start and leaves the first one alone"
	atf_set require.user root
	atf_set timeout 120
}
second_daemon_body()
{
	subr
	postern_setup
	postern_start
	mkdir second
	sed -e "s|$POSTERN_SPOOL|$POSTERN_DIR/second/spool|" \
	    -e "s|$POSTERN_PIDFILE|$POSTERN_DIR/second/smtpd.pid|" \
	    "$POSTERN_CONF" >second/smtpd.conf
	atf_check -s exit:1 -o empty \
	    -e match:"another smtpd is already running" \
	    "$POSTERN_BIN/smtpd" -d -f second/smtpd.conf
	postern_alive "$POSTERN_PID" || postern_fail "first daemon died"
	[ -S "$POSTERN_SOCK" ] || postern_fail "first daemon's socket gone"
	[ "$(cat "$POSTERN_PIDFILE")" = "$POSTERN_PID" ] ||
	    postern_fail "first daemon's pid file changed"
	[ ! -e second/smtpd.pid ] || postern_fail "second pid file written"
	postern_smtpctl show stats >/dev/null ||
	    postern_fail "first daemon no longer answers"
	postern_stop
}
second_daemon_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case same_pidfile cleanup
same_pidfile_head()
{
	atf_set descr "a second daemon with another socket and spool but" \
	    "the same pid file refuses to start and leaves it alone"
	atf_set require.user root
	atf_set timeout 120
}
same_pidfile_body()
{
	subr
	postern_setup
	postern_start
	mkdir second
	sed -e "s|$POSTERN_SPOOL|$POSTERN_DIR/second/spool|" \
	    -e "s|$POSTERN_SOCK|$POSTERN_DIR/second/ctl.sock|" \
	    "$POSTERN_CONF" >second/smtpd.conf
	atf_check -s exit:1 -o empty \
	    -e match:"another smtpd \\(pid $POSTERN_PID\\) holds" \
	    "$POSTERN_BIN/smtpd" -d -f second/smtpd.conf
	[ "$(cat "$POSTERN_PIDFILE")" = "$POSTERN_PID" ] ||
	    postern_fail "first daemon's pid file changed or removed"
	[ ! -e second/ctl.sock ] || postern_fail "second socket created"
	[ ! -e second/spool ] || postern_fail "second spool created"
	postern_alive "$POSTERN_PID" || postern_fail "first daemon died"
	postern_stop
	[ ! -e "$POSTERN_PIDFILE" ] || postern_fail "pid file left behind"
}
same_pidfile_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case stale_socket cleanup
stale_socket_head()
{
	atf_set descr "a stale control socket is replaced; a file that is" \
	    "not a socket is refused"
	atf_set require.user root
	atf_set timeout 120
}
stale_socket_body()
{
	subr
	postern_setup
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$POSTERN_SOCK"
	[ -S "$POSTERN_SOCK" ] || atf_fail "could not make a stale socket"
	postern_start
	grep -q "removing stale control socket" "$POSTERN_LOG" ||
	    postern_fail "stale socket not reported"
	postern_smtpctl show status >/dev/null || postern_fail "no answer"
	postern_stop

	echo "not a socket" >"$POSTERN_SOCK"
	atf_check -s exit:1 -e match:"exists and is not a socket" \
	    "$POSTERN_BIN/smtpd" -d -f "$POSTERN_CONF"
	[ "$(cat "$POSTERN_SOCK")" = "not a socket" ] ||
	    atf_fail "the file was touched"
}
stale_socket_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case spool cleanup
spool_head()
{
	atf_set descr "the spool tree is created, wrong modes and owners" \
	    "are fixed, a file where a directory belongs is refused"
	atf_set require.user root
	atf_set timeout 120
}
spool_body()
{
	subr
	postern_setup
	# Pre-existing with the wrong owner and mode: must be fixed.
	mkdir -p "$POSTERN_SPOOL/incoming"
	chmod 755 "$POSTERN_SPOOL" "$POSTERN_SPOOL/incoming"
	chown nobody "$POSTERN_SPOOL/incoming"
	postern_start
	postern_stop
	for e in ".:711:root:root" "queue:700:_smtpq:root" \
	    "incoming:700:_smtpq:root" "corrupt:700:_smtpq:root" \
	    "purge:700:_smtpq:root" "temporary:700:_smtpq:root" \
	    "offline:770:root:_smtpq"; do
		d=${e%%:*}
		got=$(stat -c '%F:%a:%U:%G' "$POSTERN_SPOOL/$d")
		[ "$got" = "directory:${e#*:}" ] ||
		    postern_fail "$d is $got, expected directory:${e#*:}"
	done
	grep -q "incoming: mode changed from 0755 to 0700" "$POSTERN_LOG" ||
	    postern_fail "fixing the mode was not logged"

	rmdir "$POSTERN_SPOOL/purge"
	echo x >"$POSTERN_SPOOL/purge"
	atf_check -s exit:1 -e match:"purge is not a directory" \
	    "$POSTERN_BIN/smtpd" -d -f "$POSTERN_CONF"
	[ ! -e "$POSTERN_PIDFILE" ] || atf_fail "pid file left behind"
	[ ! -e "$POSTERN_SOCK" ] || atf_fail "socket left behind"
}
spool_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case not_root
not_root_head()
{
	atf_set descr "smtpd refuses to start as a non-root user"
	atf_set require.user root
}
not_root_body()
{
	subr
	postern_setup
	chmod 755 "$POSTERN_DIR"
	chmod 644 "$POSTERN_CONF"
	postern_public_copy "$POSTERN_DIR/bin" "$POSTERN_BIN/smtpd"
	atf_check -s exit:1 -e match:"need root privileges" \
	    su nobody -s /bin/sh -c \
	    "ASAN_OPTIONS=$ASAN_OPTIONS $POSTERN_DIR/bin/smtpd -d -f $POSTERN_CONF"
	[ ! -e "$POSTERN_SPOOL" ] || atf_fail "spool created by non-root"
	[ ! -e "$POSTERN_SOCK" ] || atf_fail "socket created by non-root"
}

atf_test_case check_config
check_config_head()
{
	atf_set descr "-n checks the configuration (exit 0 or 1), -nv" \
	    "prints it"
	atf_set require.user root
}
check_config_body()
{
	subr
	postern_setup
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "$POSTERN_BIN/smtpd" -n -f "$POSTERN_CONF"
	listen="listen on \"?127\\.0\\.0\\.1\"? port $POSTERN_PORT"
	atf_check -s exit:0 -o match:"$listen" -e empty \
	    "$POSTERN_BIN/smtpd" -nv -f "$POSTERN_CONF"
	[ ! -e "$POSTERN_SPOOL" ] || atf_fail "-n created the spool"
	{ postern_default_conf; echo "syntax-error here"; } | postern_conf
	atf_check -s exit:1 -o empty -e match:"smtpd.conf:7: " \
	    "$POSTERN_BIN/smtpd" -n -f "$POSTERN_CONF"
	atf_check -s exit:1 -e match:"missing.conf" \
	    "$POSTERN_BIN/smtpd" -n -f "$POSTERN_DIR/missing.conf"
}

atf_test_case options cleanup
options_head()
{
	atf_set descr "-P starts a subsystem paused, -T imsg traces" \
	    "messages, bad option values are refused"
	atf_set require.user root
	atf_set timeout 120
}
options_body()
{
	subr
	postern_setup
	atf_check -s exit:1 -e match:"invalid system" \
	    "$POSTERN_BIN/smtpd" -d -P bogus -f "$POSTERN_CONF"
	atf_check -s exit:1 -e match:"unknown trace flag" \
	    "$POSTERN_BIN/smtpd" -d -T bogus -f "$POSTERN_CONF"
	atf_check -s exit:0 -o match:"usage: smtpd" "$POSTERN_BIN/smtpd" -h

	postern_start -P smtp -P mda -T imsg
	atf_check -s exit:0 -o inline:"MDA paused\nMTA running\nSMTP paused\n" \
	    "$POSTERN_BIN/smtpctl" -s "$POSTERN_SOCK" show status
	grep -q "smtp_pause: smtp is paused" "$POSTERN_LOG" ||
	    postern_fail "smtp was not told it is paused"
	grep -q "mda_pause: mda is paused" "$POSTERN_LOG" ||
	    postern_fail "mda was not told it is paused"
	grep -q "imsg: queue <- parent: IMSG_CONF_END" "$POSTERN_LOG" ||
	    postern_fail "-T imsg does not trace messages"
	postern_stop
}
options_cleanup()
{
	subr
	postern_cleanup
}

# filter_run: a daemon's whole life so far (start, stats, status, log
# level both ways, a reload, stop) with every child under its system
# call filter; fails if any role hit a forbidden call.
filter_run()
{
	postern_start
	for p in $(postern_children); do
		grep -q '^Seccomp:[[:space:]]*2' "/proc/$p/status" ||
		    postern_fail "child $p has no system call filter"
		grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$p/status" ||
		    postern_fail "child $p may gain privileges"
	done
	postern_smtpctl show stats >/dev/null || postern_fail "show stats"
	postern_smtpctl show status >/dev/null || postern_fail "show status"
	postern_smtpctl log verbose >/dev/null || postern_fail "log verbose"
	kill -HUP "$POSTERN_PID"
	postern_wait_log 'configuration reloaded' ||
	    postern_fail "no reload"
	postern_smtpctl log brief >/dev/null || postern_fail "log brief"
	postern_stop
	[ "$POSTERN_STATUS" -eq 0 ] ||
	    postern_fail "daemon exited with status $POSTERN_STATUS"
	! grep -q 'forbidden system call\|system call filter' \
	    "$POSTERN_LOG" || postern_fail "a role hit its filter"
}

atf_test_case syscall_filter cleanup
syscall_filter_head()
{
	atf_set descr "every role runs under its seccomp filter, in the" \
	    "sanitizer build and in the plain build the service runs"
	atf_set require.user root
	atf_set timeout 120
}
syscall_filter_body()
{
	subr
	postern_setup
	filter_run
	# The sanitizer build allows a few more calls for its runtime: the
	# plain build must get through the same life on its own list.
	POSTERN_BIN=$(atf_config_get plainbindir)
	[ -x "$POSTERN_BIN/smtpd" ] || atf_fail "no $POSTERN_BIN/smtpd"
	filter_run
}
syscall_filter_cleanup()
{
	subr
	postern_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case syscall_filter
	atf_add_test_case roles
	atf_add_test_case stats
	atf_add_test_case child_killed
	atf_add_test_case sigterm
	atf_add_test_case sighup
	atf_add_test_case early_signal
	atf_add_test_case second_daemon
	atf_add_test_case same_pidfile
	atf_add_test_case stale_socket
	atf_add_test_case spool
	atf_add_test_case not_root
	atf_add_test_case check_config
	atf_add_test_case options
}
