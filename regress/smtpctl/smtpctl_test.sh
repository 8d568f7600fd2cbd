#!/usr/bin/env atf-sh
#
# smtpctl against a real daemon: its commands and their output formats,
# word abbreviation, privilege checks by peer uid, and what the control
# process does with hostile clients (it must survive all of them).

# Start a daemon whose control socket a non-root user can reach: the
# kyua work directory is not searchable by others, so the socket goes
# into a directory of its own under /tmp.
ctl_start()
{
	. "$(atf_config_get top)/regress/common.subr"
	postern_setup
	CTL_SOCKDIR=$(mktemp -d /tmp/postern-ctl.XXXXXX) ||
	    atf_fail "mktemp"
	echo "$CTL_SOCKDIR" >.ctl_sockdir
	chmod 755 "$CTL_SOCKDIR"
	POSTERN_SOCK=$CTL_SOCKDIR/ctl.sock
	postern_default_conf | postern_conf
	postern_start "$@"
	# nobody runs smtpctl and the client, which reads two headers:
	# copies in a directory nobody can reach, wherever the checkout is.
	postern_public_copy "$CTL_SOCKDIR" "$POSTERN_BIN/smtpctl" \
	    regress/smtpctl/ctlclient.py
	postern_public_copy "$CTL_SOCKDIR/include" include/imsg_types.h \
	    include/control.h
	CTL=$CTL_SOCKDIR/smtpctl
	CTLCLIENT=$CTL_SOCKDIR/ctlclient.py
	TOP=$CTL_SOCKDIR
}

ctl_cleanup()
{
	. "$(atf_config_get top)/regress/common.subr"
	postern_cleanup
	if [ -f .ctl_sockdir ]; then
		rm -rf "$(cat .ctl_sockdir)"
	fi
}

# Run a command as nobody; the environment keeps the sanitizer options.
as_nobody()
{
	su nobody -s /bin/sh -c "ASAN_OPTIONS=$ASAN_OPTIONS; export ASAN_OPTIONS; $*"
}

# Value of KEY in `show stats` output held in file $1.
stat_value()
{
	sed -n "s/^$2=//p" "$1"
}

ctl_check_alive()
{
	postern_alive "$POSTERN_PID" || postern_fail "smtpd died"
	postern_smtpctl show stats >stats.after 2>&1 ||
	    postern_fail "show stats failed afterwards: $(cat stats.after)"
	[ "$(stat_value stats.after control.pid)" = "$1" ] ||
	    postern_fail "control pid changed from $1 to" \
	    "$(stat_value stats.after control.pid)"
	postern_alive "$1" || postern_fail "control process $1 is gone"
}

atf_test_case show_stats cleanup
show_stats_head()
{
	atf_set descr "show stats: uptime, uptime.human, a pid for every" \
	    "process, control.session"
	atf_set require.user root
}
show_stats_body()
{
	ctl_start
	sleep 1
	postern_smtpctl show stats >out 2>err ||
	    postern_fail "show stats failed: $(cat err)"
	cat out
	# key=value lines only, sorted, nothing on stderr.
	[ -s err ] && postern_fail "stderr: $(cat err)"
	grep -Ev '^[a-z][a-z0-9_.-]*=[^ ]+$' out &&
	    postern_fail "lines not in key=value form"
	cut -d= -f1 out | LC_ALL=C sort -c || postern_fail "keys are not sorted"

	up=$(stat_value out uptime)
	case "$up" in
	''|*[!0-9]*) postern_fail "uptime is '$up'" ;;
	esac
	[ "$up" -ge 1 ] && [ "$up" -lt 120 ] ||
	    postern_fail "uptime $up out of range"
	[ "$(stat_value out uptime.human)" = "${up}s" ] ||
	    postern_fail "uptime.human is '$(stat_value out uptime.human)'"

	# Every process, each a real process; the children's parent is
	# the daemon whose pid the pid file holds.
	[ "$(stat_value out parent.pid)" = "$POSTERN_PID" ] ||
	    postern_fail "parent.pid != $POSTERN_PID"
	[ "$(cat "$POSTERN_PIDFILE")" = "$POSTERN_PID" ] ||
	    postern_fail "pid file does not hold $POSTERN_PID"
	for p in control lka ca queue scheduler smtp mta mda; do
		pid=$(stat_value out $p.pid)
		[ -n "$pid" ] || postern_fail "no $p.pid"
		postern_alive "$pid" || postern_fail "$p.pid $pid not alive"
		ppid=$(awk '/^PPid:/ { print $2 }' /proc/$pid/status)
		[ "$ppid" = "$POSTERN_PID" ] ||
		    postern_fail "$p.pid $pid has parent $ppid"
		[ "$(postern_role_pid $p)" = "$pid" ] ||
		    postern_fail "$p.pid $pid is not 'smtpd: $p'"
	done
	[ "$(grep -c '\.pid=' out)" -eq 9 ] || postern_fail "not 9 pids"
	# The only client connected is this smtpctl.
	[ "$(stat_value out control.session)" = 1 ] ||
	    postern_fail "control.session is not 1"
	postern_stop
}
show_stats_cleanup()
{
	ctl_cleanup
}

atf_test_case show_status cleanup
show_status_head()
{
	atf_set descr "show status: three lines, paused state from -P"
	atf_set require.user root
}
show_status_body()
{
	ctl_start
	printf 'MDA running\nMTA running\nSMTP running\n' >expout
	atf_check -o file:expout "$CTL" -s "$POSTERN_SOCK" show status
	postern_stop

	ctl_start -P mda -P smtp
	printf 'MDA paused\nMTA running\nSMTP paused\n' >expout
	atf_check -o file:expout "$CTL" -s "$POSTERN_SOCK" show status
	postern_stop
}
show_status_cleanup()
{
	ctl_cleanup
}

atf_test_case log_verbose cleanup
log_verbose_head()
{
	atf_set descr "log verbose/brief as root: every process changes" \
	    "its log level"
	atf_set require.user root
}
log_verbose_body()
{
	ctl_start
	postern_smtpctl show stats >/dev/null
	grep -q 'control_client_request' "$POSTERN_LOG" &&
	    postern_fail "debug lines before log verbose"

	atf_check -o inline:"command succeeded\n" \
	    "$CTL" -s "$POSTERN_SOCK" log verbose
	for p in parent lka ca queue scheduler smtp mta mda; do
		postern_wait_log "^$p: proc_ctl_verbose: debug logging on" 10
	done
	postern_smtpctl show stats >/dev/null
	postern_wait_log "^control: control_client_request: client [0-9]+ uid 0: show stats" 10

	atf_check -o inline:"command succeeded\n" \
	    "$CTL" -s "$POSTERN_SOCK" log brief
	sleep 0.5
	n=$(grep -c 'control_client_request' "$POSTERN_LOG")
	postern_smtpctl show stats >/dev/null
	postern_smtpctl show status >/dev/null
	sleep 0.5
	[ "$(grep -c 'control_client_request' "$POSTERN_LOG")" = "$n" ] ||
	    postern_fail "debug lines after log brief"
	postern_stop
}
log_verbose_cleanup()
{
	ctl_cleanup
}

atf_test_case nonroot cleanup
nonroot_head()
{
	atf_set descr "a non-root user may show stats and status but is" \
	    "refused log verbose/brief"
	atf_set require.user root
}
nonroot_body()
{
	ctl_start
	as_nobody "'$CTL' -s '$POSTERN_SOCK' log verbose" >out 2>err
	rc=$?
	[ "$rc" = 1 ] || postern_fail "log verbose as nobody: exit $rc"
	[ -s out ] && postern_fail "stdout: $(cat out)"
	grep -qx 'smtpctl: need root privileges' err ||
	    postern_fail "stderr: $(cat err)"
	as_nobody "'$CTL' -s '$POSTERN_SOCK' log brief" >out 2>err
	[ $? = 1 ] && grep -q 'need root privileges' err ||
	    postern_fail "log brief as nobody not refused"
	postern_wait_log 'refused log verbose/brief' 5
	grep -q 'proc_ctl_verbose' "$POSTERN_LOG" &&
	    postern_fail "verbose logging was switched on"

	as_nobody "'$CTL' -s '$POSTERN_SOCK' show stats" >out 2>err ||
	    postern_fail "show stats as nobody: $(cat err)"
	grep -q '^uptime=' out && grep -q '^control.pid=' out ||
	    postern_fail "show stats as nobody: $(cat out)"
	as_nobody "'$CTL' -s '$POSTERN_SOCK' show status" >out 2>err ||
	    postern_fail "show status as nobody: $(cat err)"
	grep -qx 'SMTP running' out || postern_fail "show status: $(cat out)"
	postern_stop
}
nonroot_cleanup()
{
	ctl_cleanup
}

atf_test_case abbreviations cleanup
abbreviations_head()
{
	atf_set descr "unambiguous prefixes select a command; ambiguous" \
	    "or incomplete ones list the possibilities, exit 255"
	atf_set require.user root
}
abbreviations_body()
{
	ctl_start
	printf 'MDA running\nMTA running\nSMTP running\n' >status
	atf_check -o file:status "$CTL" -s "$POSTERN_SOCK" sh statu
	atf_check -o file:status "$CTL" -s "$POSTERN_SOCK" s status
	atf_check -o match:'^uptime=' "$CTL" -s "$POSTERN_SOCK" sh stats
	atf_check -o match:'^uptime=' "$CTL" -s "$POSTERN_SOCK" show stats
	atf_check -o inline:"command succeeded\n" \
	    "$CTL" -s "$POSTERN_SOCK" l v
	atf_check -o inline:"command succeeded\n" \
	    "$CTL" -s "$POSTERN_SOCK" lo br

	printf 'possibilities are:\nshow stats\nshow status\n' >show
	atf_check -s exit:255 -e file:show "$CTL" -s "$POSTERN_SOCK" sh st
	atf_check -s exit:255 -e file:show "$CTL" -s "$POSTERN_SOCK" sh stat
	atf_check -s exit:255 -e file:show "$CTL" -s "$POSTERN_SOCK" show
	atf_check -s exit:255 -e file:show "$CTL" -s "$POSTERN_SOCK" sh x
	printf 'possibilities are:\nlog brief\nlog verbose\n' >log
	atf_check -s exit:255 -e file:log "$CTL" -s "$POSTERN_SOCK" log
	printf 'possibilities are:\nshow\nlog\nencrypt\n' >top
	atf_check -s exit:255 -e file:top "$CTL" -s "$POSTERN_SOCK"
	atf_check -s exit:255 -e inline:"invalid command\n" \
	    "$CTL" -s "$POSTERN_SOCK" show stats now
	postern_stop
}
abbreviations_cleanup()
{
	ctl_cleanup
}

atf_test_case unknown_command
unknown_command_head()
{
	atf_set descr "an unknown command lists the commands, exit 255," \
	    "without contacting the daemon"
}
unknown_command_body()
{
	ctl=$(atf_config_get bindir)/smtpctl
	export ASAN_OPTIONS=detect_leaks=0
	printf 'possibilities are:\nshow\nlog\nencrypt\n' >top
	atf_check -s exit:255 -e file:top "$ctl" -s /nonexistent frobnicate
	atf_check -s exit:255 -e file:top "$ctl" -s /nonexistent schedule all
	printf 'possibilities are:\nshow stats\nshow status\n' >show
	atf_check -s exit:255 -e file:show "$ctl" -s /nonexistent show queue
	atf_check -s exit:1 -e match:'^usage: smtpctl' "$ctl" -x
}

atf_test_case not_running
not_running_head()
{
	atf_set descr "no daemon: 'smtpd doesn't seem to be running', exit 1"
}
not_running_body()
{
	ctl=$(atf_config_get bindir)/smtpctl
	export ASAN_OPTIONS=detect_leaks=0
	msg="smtpctl: smtpd doesn't seem to be running\n"
	atf_check -s exit:1 -e inline:"$msg" "$ctl" -s "$(pwd)/none.sock" \
	    show stats
	atf_check -s exit:1 -e inline:"$msg" "$ctl" -s "$(pwd)/none.sock" \
	    log verbose
	# A socket file nobody listens on.
	python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind("dead.sock")'
	atf_check -s exit:1 -e inline:"$msg" "$ctl" -s "$(pwd)/dead.sock" \
	    show status
}

atf_test_case hostile_clients cleanup
hostile_clients_head()
{
	atf_set descr "garbage, lying lengths, unknown and malformed" \
	    "requests from a non-root client: refused, daemon unharmed"
	atf_set require.user root
}
hostile_clients_body()
{
	ctl_start
	postern_smtpctl show stats >stats.before
	cpid=$(stat_value stats.before control.pid)
	py="python3 '$CTLCLIENT' '$TOP' '$POSTERN_SOCK'"

	# Out-of-bounds lengths and garbage break the framing: closed.
	for m in garbage toolong shortlen; do
		as_nobody "$py $m" >out 2>&1 || postern_fail "$m: $(cat out)"
		grep -q "^$m: .* closed$" out || postern_fail "$(cat out)"
	done
	# Complete but unacceptable requests: a FAIL, then closed.
	for m in oversized unknown version badverbose twice fd strayfd; do
		as_nobody "$py $m" >out 2>&1 || postern_fail "$m: $(cat out)"
		case $m in
		badverbose) want="$m: IMSG_CTL_FAIL open" ;;  # refused first
		# The request is fine; the extra descriptor is not.
		strayfd) want="$m: IMSG_CTL_STATUS,IMSG_CTL_FAIL closed" ;;
		*) want="$m: IMSG_CTL_FAIL closed" ;;
		esac
		[ "$(cat out)" = "$want" ] || postern_fail "got '$(cat out)'"
	done
	# The same malformed verbose request from root: malformed, closed.
	eval "$py badverbose" >out 2>&1
	[ "$(cat out)" = "badverbose: IMSG_CTL_FAIL closed" ] ||
	    postern_fail "root badverbose: $(cat out)"
	# A header that promises more than comes: the client waits alone.
	as_nobody "$py lying" >out 2>&1 || postern_fail "lying: $(cat out)"
	[ "$(cat out)" = "lying: open" ] || postern_fail "$(cat out)"

	postern_wait_log 'control_client_request: client [0-9]+ uid [0-9]+: unknown request' 5
	ctl_check_alive "$cpid"
	postern_stop
}
hostile_clients_cleanup()
{
	ctl_cleanup
}

atf_test_case max_clients cleanup
max_clients_head()
{
	atf_set descr "clients beyond CONTROL_MAX_CLIENTS are refused; slots" \
	    "are kept for root"
	atf_set require.user root
}
max_clients_body()
{
	ctl_start
	top=$(atf_config_get top)
	max=$(sed -n 's/^#define[ 	]*CONTROL_MAX_CLIENTS[ 	]*\([0-9]*\).*/\1/p' \
	    "$top/include/postern_limits.h")
	reserve=$(sed -n 's/^#define[ 	]*CONTROL_ROOT_RESERVE[ 	]*\([0-9]*\).*/\1/p' \
	    "$top/include/postern_limits.h")
	[ -n "$max" ] && [ -n "$reserve" ] || atf_fail "limits not found"
	postern_smtpctl show stats >stats.before
	cpid=$(stat_value stats.before control.pid)
	py="python3 '$CTLCLIENT' '$TOP' '$POSTERN_SOCK'"

	# Root fills every slot; the extra clients get a FAIL and EOF.
	eval "$py many $((max + 5))" >out 2>&1
	[ "$(head -1 out)" = "many: accepted=$max refused=5" ] ||
	    postern_fail "root: $(cat out)"
	# A local user gets all but the reserve, and its own smtpctl is
	# refused while they are taken...
	as_nobody "$py many $max '$CTL' -s '$POSTERN_SOCK' show stats" \
	    >out 2>&1
	[ "$(head -1 out)" = "many: accepted=$((max - reserve)) refused=$reserve" ] ||
	    postern_fail "nobody: $(cat out)"
	grep -qx 'smtpctl: too many control clients' out &&
	    grep -qx 'many: command exit 1' out ||
	    postern_fail "nobody's smtpctl was not refused: $(cat out)"
	# ... but root still gets in.
	as_nobody "$py many $((max - reserve)) sleep 4" >held 2>&1 &
	holder=$!
	sleep 2
	postern_smtpctl show stats >out 2>&1 ||
	    postern_fail "root refused while nobody holds the slots: $(cat out)"
	grep -qx "control.session=$((max - reserve + 1))" out ||
	    postern_fail "control.session: $(cat out)"
	wait $holder
	[ "$(head -1 held)" = "many: accepted=$((max - reserve)) refused=0" ] ||
	    postern_fail "holder: $(cat held)"
	# Counting follows the clients.
	as_nobody "$py many 10 '$CTL' -s '$POSTERN_SOCK' show stats" >out 2>&1
	grep -qx 'control.session=11' out ||
	    postern_fail "control.session with 10 idle clients: $(cat out)"
	postern_wait_log 'too many clients' 5
	ctl_check_alive "$cpid"
	postern_stop
}
max_clients_cleanup()
{
	ctl_cleanup
}

atf_test_case hangup cleanup
hangup_head()
{
	atf_set descr "clients that leave right after asking show stats"
	atf_set require.user root
}
hangup_body()
{
	ctl_start
	postern_smtpctl show stats >stats.before
	cpid=$(stat_value stats.before control.pid)
	postern_smtpctl log verbose >/dev/null
	python3 "$CTLCLIENT" "$TOP" "$POSTERN_SOCK" hangup 200 >out 2>&1 ||
	    postern_fail "hangup: $(cat out)"
	ctl_check_alive "$cpid"
	# The answers did arrive for clients that had gone.
	grep -Eq 'client [0-9]+ has left, answer of [a-z]+ dropped' \
	    "$POSTERN_LOG" || postern_fail "no answer outlived its client"
	# Every one of them is gone again.
	[ "$(stat_value stats.after control.session)" = 1 ] ||
	    postern_fail "control.session=$(stat_value stats.after control.session)"
	postern_stop
}
hangup_cleanup()
{
	ctl_cleanup
}

atf_test_case stuck_client cleanup
stuck_client_head()
{
	atf_set descr "a client that never reads and breaks the protocol" \
	    "while a request is pending is closed after" \
	    "CONTROL_CLOSE_TIMEOUT, not kept for ever"
	atf_set require.user root
	atf_set timeout 120
}
stuck_client_body()
{
	ctl_start
	top=$(atf_config_get top)
	secs=$(sed -n 's/^#define[ 	]*CONTROL_CLOSE_TIMEOUT[ 	]*\([0-9]*\).*/\1/p' \
	    "$top/include/postern_limits.h")
	[ -n "$secs" ] || atf_fail "CONTROL_CLOSE_TIMEOUT not found"
	postern_smtpctl show stats >stats.before
	cpid=$(stat_value stats.before control.pid)
	as_nobody "python3 '$CTLCLIENT' '$TOP' '$POSTERN_SOCK' stuck" \
	    "$((secs + 3)) '$CTL' -s '$POSTERN_SOCK' show stats" >out 2>&1
	cat out
	grep -qx 'stuck: command exit 0' out || postern_fail "$(cat out)"
	grep -qx 'control.session=1' out ||
	    postern_fail "the stuck client is still there: $(cat out)"
	postern_wait_log 'request while one is pending' 5
	ctl_check_alive "$cpid"
	postern_stop
}
stuck_client_cleanup()
{
	ctl_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case show_stats
	atf_add_test_case show_status
	atf_add_test_case log_verbose
	atf_add_test_case nonroot
	atf_add_test_case abbreviations
	atf_add_test_case unknown_command
	atf_add_test_case not_running
	atf_add_test_case hostile_clients
	atf_add_test_case max_clients
	atf_add_test_case hangup
	atf_add_test_case stuck_client
}
