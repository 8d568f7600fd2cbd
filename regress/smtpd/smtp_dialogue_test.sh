#! /usr/bin/atf-sh
# SMTP dialogue tests of the smtp process: a real daemon (the ASan build)
# on loopback, and one scenario file per test case under
# regress/smtpd/dialogue/<name>.dlg, played by smtpdialog.py (see its
# header for the format).  A scenario's "#conf LINE" lines are added to
# the test configuration; "#host ::1" runs it over IPv6; "#user" makes a
# local user whose name the scenario gets as ${USER}; "#delivered N"
# checks that N messages reach that user's Maildir.  After each
# scenario the daemon must still be whole: every child alive, nothing in
# its log from the sanitizers, no fatal error, no system call refused.
#
# Besides the scenarios: real clients (Python smtplib, swaks), the
# listening sockets across reloads, a port already taken at start-up,
# sessions under the system call filter of the plain build, and the
# memory an idle session costs.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

dlgdir()
{
	echo "$(atf_config_get top)/regress/smtpd/dialogue"
}

# dialogue_conf FILE: the default configuration plus the scenario's own.
dialogue_conf()
{
	{
		postern_default_conf
		sed -n 's/^#conf //p' "$1"
		if grep -q '^#host ::1' "$1"; then
			echo 'listen on ::1 port @PORT@'
		fi
	} | postern_conf
}

# whole: the daemon and every child still run, and the log is clean.
whole()
{
	postern_alive "$POSTERN_PID" || postern_fail "the daemon is gone"
	for c in $(cat "$POSTERN_DIR/.postern_children"); do
		postern_alive "$c" || postern_fail "child $c is gone"
	done
	if grep -Eq 'fatal|AddressSanitizer|runtime error|forbidden system call' \
	    "$POSTERN_LOG"; then
		postern_fail "the daemon log shows a crash or a fatal error"
	fi
}

# play FILE [HOST]: run one scenario against the daemon.
play()
{
	/usr/bin/python3 "$(atf_config_get top)/regress/smtpd/smtpdialog.py" \
	    -H "${2:-127.0.0.1}" -p "$POSTERN_PORT" -D "USER=${DLG_USER:-}" \
	    "$1" >play.out 2>&1 || {
		cat play.out >&2
		postern_fail "dialogue $(basename "$1") failed"
	}
}

# One test case per scenario file.
scenario_body()
{
	subr
	postern_setup
	f=$(dlgdir)/$1.dlg
	host=127.0.0.1
	if grep -q '^#host ::1' "$f"; then
		/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2>/dev/null || atf_skip "no IPv6 loopback"
		host=::1
	fi
	DLG_USER=
	if grep -q '^#user' "$f"; then
		DLG_USER=pdlg$$
		postern_useradd "$DLG_USER"
	fi
	dialogue_conf "$f"
	postern_start
	play "$f" "$host"
	want=$(sed -n 's/^#delivered //p' "$f")
	if [ -n "$want" ]; then
		delivered "$want"
	fi
	whole
	postern_stop
}

# delivered N: exactly N messages reach the test user's Maildir.
delivered()
{
	dir=$(postern_maildir "$DLG_USER")/new
	n=0
	while [ "$n" -lt 100 ]; do
		got=$(find "$dir" -type f 2>/dev/null | wc -l)
		[ "$got" -ge "$1" ] && break
		sleep 0.1
		n=$((n + 1))
	done
	# Give an extra (wrong) delivery the time to show up.
	sleep 0.5
	got=$(find "$dir" -type f 2>/dev/null | wc -l)
	[ "$got" -eq "$1" ] ||
	    postern_fail "$got messages delivered, expected $1"
}

# The scenarios, one test case each (atf-sh lists test cases before it
# knows where the source tree is, so they are named here; the case
# "scenarios_listed" checks that no file in dialogue/ is forgotten).
SCENARIOS="
greeting
ehlo
helo
ipv6
identify_twice
identify_syntax
noop_rset_quit
help
vrfy_expn
unknown
starttls_auth
sequence
bdat_refused
mail_syntax
nul_byte
line_too_long
line_huge
pipelined_commands
failures
timeout
per_ip
max_sessions
eof_mid_line
tx_data
tx_pipelined
tx_bdat
tx_rset
tx_max_rcpt
tx_max_mails
tx_size
tx_bare_lf
tx_bare_cr
tx_bare_accept
tx_loop
tx_relay
tx_dsn
tx_data_timeout
"

define_scenario()
{
	eval "atf_test_case dlg_$1 cleanup
dlg_$1_head()
{
	atf_set descr \"SMTP dialogue $1.dlg\"
	atf_set require.user root
	atf_set timeout 120
}
dlg_$1_body()
{
	scenario_body $1
}
dlg_$1_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}"
}

for _s in $SCENARIOS; do
	define_scenario "$_s"
done

atf_test_case scenarios_listed
scenarios_listed_head()
{
	atf_set descr "every scenario file has its test case"
}
scenarios_listed_body()
{
	for f in "$(dlgdir)"/*.dlg; do
		n=${f##*/}
		n=${n%.dlg}
		case " $(echo $SCENARIOS) " in
		*" $n "*) ;;
		*) atf_fail "$n.dlg is not in SCENARIOS" ;;
		esac
	done
}

atf_init_test_cases()
{
	atf_add_test_case scenarios_listed
	for _s in $SCENARIOS; do
		atf_add_test_case "dlg_$_s"
	done
}
