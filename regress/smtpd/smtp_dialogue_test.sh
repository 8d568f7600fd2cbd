#! /usr/bin/atf-sh
# SMTP dialogue tests of the smtp process: a real daemon (the ASan build)
# on loopback, and one scenario file per test case under
# regress/smtpd/dialogue/<name>.dlg, played by smtpdialog.py (see its
# header for the format).  Header lines of a scenario:
#	#conf LINE	added to the test configuration
#	#listen OPTS	added to its listen line
#	#host ::1	the scenario runs over IPv6
#	#user		a local user is made; the scenario knows it as ${USER}
#	#delivered N	exactly N messages must reach that user's Maildir
# After each scenario the daemon must still be whole: every child alive,
# nothing in its log from the sanitizers, no fatal error, no system call
# refused.
#
# Besides the scenarios: real clients (Python smtplib, swaks), our
# Received header, the listening sockets across reloads, a port already
# taken at start-up, a full spool file system, sessions under the system
# call filter of the plain build, and the memory an idle session costs.

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
	opts=$(sed -n 's/^#listen //p' "$1")
	{
		postern_default_conf | sed "/^listen on /s/\$/${opts:+ $opts}/"
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
listener_options
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
bdat_huge
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
pressure
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

# ---------------------------------------------------------------------
# Real clients.

atf_test_case smtplib_client cleanup
smtplib_client_head()
{
	atf_set descr "Python smtplib sends two messages in one session"
	atf_set require.user root
	atf_set timeout 120
}
smtplib_client_body()
{
	subr
	postern_setup
	DLG_USER=pdlg$$
	postern_useradd "$DLG_USER"
	postern_start
	/usr/bin/python3 - "$POSTERN_PORT" "$DLG_USER" <<'EOF2' ||
import smtplib, sys
from email.message import EmailMessage
port, user = int(sys.argv[1]), sys.argv[2]
with smtplib.SMTP('127.0.0.1', port, timeout=30) as c:
    code, _ = c.ehlo('client.example.org')
    assert code == 250, code
    for ext in ('pipelining', 'chunking', '8bitmime', 'smtputf8', 'size',
                'enhancedstatuscodes', 'dsn'):
        assert c.has_extn(ext), ext
    assert not c.has_extn('starttls')
    for i in range(2):
        m = EmailMessage()
        m['From'] = 'sender@example.org'
        m['To'] = '%s@localhost' % user
        m['Subject'] = 'smtplib %d' % i
        m.set_content('hello from smtplib\n.\nnot the end\n')
        refused = c.send_message(m, mail_options=['BODY=8BITMIME'],
                                 rcpt_options=['NOTIFY=FAILURE'])
        assert refused == {}, refused
    try:
        c.sendmail('sender@example.org', ['nobody@elsewhere.example.com'],
                   'Subject: no\r\n\r\nno\r\n')
        raise SystemExit('relay accepted')
    except smtplib.SMTPRecipientsRefused:
        pass
EOF2
	    postern_fail "smtplib session failed"
	delivered 2
	f=$(grep -l 'smtplib 0' "$(postern_maildir "$DLG_USER")"/new/*) ||
	    postern_fail "first message not found"
	# Our Received header (COMPAT.md 8.4, Postern's name).
	awk '/^Received: /{on=1} on{print} /^\t[A-Z][a-z][a-z], /{exit}' "$f" \
	    >received.txt
	cat received.txt
	head -1 received.txt | grep -q \
	    '^Received: from client\.example\.org (\[127\.0\.0\.1\])$' ||
	    postern_fail "Received: wrong from clause"
	sed -n 2p received.txt | grep -Eq \
	    '^	by [^ ]+ \(Postern\) with ESMTP id [0-9a-f]{8}$' ||
	    postern_fail "Received: wrong by clause"
	sed -n 3p received.txt | grep -q "^	for <$DLG_USER@localhost>;$" ||
	    postern_fail "Received: wrong for clause"
	sed -n 4p received.txt | grep -Eq \
	    '^	[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000 \(UTC\)$' ||
	    postern_fail "Received: wrong date"
	whole
	postern_stop
}
smtplib_client_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case swaks_client cleanup
swaks_client_head()
{
	atf_set descr "swaks sends with and without PIPELINING and with BDAT"
	atf_set require.user root
	atf_set timeout 120
}
swaks_client_body()
{
	subr
	command -v swaks >/dev/null || atf_skip "swaks is not installed"
	postern_setup
	DLG_USER=pdlg$$
	postern_useradd "$DLG_USER"
	postern_start
	for opt in "" --pipeline; do
		swaks --server 127.0.0.1 --port "$POSTERN_PORT" \
		    --helo client.example.org --from sender@example.org \
		    --to "$DLG_USER@localhost" --header "Subject: swaks $opt" \
		    $opt >swaks.out 2>&1 || {
			cat swaks.out >&2
			postern_fail "swaks $opt failed"
		}
		grep -q '<- *250 2.0.0 [0-9a-f]* Message accepted' swaks.out ||
		    { cat swaks.out >&2; postern_fail "no 250 for swaks $opt"; }
	done
	# A refused recipient makes swaks fail.
	! swaks --server 127.0.0.1 --port "$POSTERN_PORT" \
	    --from sender@example.org --to nobody@elsewhere.example.com \
	    >swaks.out 2>&1 || postern_fail "relay accepted through swaks"
	delivered 2
	whole
	postern_stop
}
swaks_client_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

# ---------------------------------------------------------------------
# Listening sockets.

# banner PORT [HOST]: the greeting line on that port, or "refused".
banner()
{
	/usr/bin/python3 - "$1" "${2:-127.0.0.1}" <<'EOF2'
import socket, sys
try:
    s = socket.create_connection((sys.argv[2], int(sys.argv[1])), 5)
    f = s.makefile('rb')
    print(f.readline().decode().strip())
    s.sendall(b'QUIT\r\n')
except OSError:
    print('refused')
EOF2
}

atf_test_case listener_reload cleanup
listener_reload_head()
{
	atf_set descr "SIGHUP keeps a listening socket that stays, opens" \
	    "new ones and closes dropped ones; per-listener host names"
	atf_set require.user root
	atf_set timeout 120
}
listener_reload_body()
{
	subr
	postern_setup
	port2=$(postern_free_port)
	postern_start
	case $(banner "$POSTERN_PORT") in
	"220 "*" ESMTP Postern") ;;
	*) postern_fail "no banner on the first port" ;;
	esac
	[ "$(banner "$port2")" = refused ] ||
	    postern_fail "second port open before the reload"

	{ postern_default_conf
	  echo "listen on 127.0.0.1 port $port2 hostname mx2.example.org"; } |
	    postern_conf
	kill -HUP "$POSTERN_PID"
	postern_wait_log 'configuration reloaded'
	sleep 0.5
	case $(banner "$POSTERN_PORT") in
	"220 "*" ESMTP Postern") ;;
	*) postern_fail "the first port did not survive the reload" ;;
	esac
	[ "$(banner "$port2")" = "220 mx2.example.org ESMTP Postern" ] ||
	    postern_fail "second port: $(banner "$port2")"

	postern_default_conf | sed "s/port @PORT@/port $port2/" | postern_conf
	kill -HUP "$POSTERN_PID"
	n=$(grep -c 'configuration reloaded' "$POSTERN_LOG")
	while [ "$(grep -c 'configuration reloaded' "$POSTERN_LOG")" -lt 2 ]; do
		sleep 0.1
	done
	sleep 0.5
	[ "$(banner "$POSTERN_PORT")" = refused ] ||
	    postern_fail "dropped port still open"
	case $(banner "$port2") in
	"220 "*" ESMTP Postern") ;;
	*) postern_fail "no banner on the second port" ;;
	esac
	whole
	postern_stop
}
listener_reload_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case port_taken cleanup
port_taken_head()
{
	atf_set descr "a port that cannot be bound stops start-up with a" \
	    "message naming the address and port"
	atf_set require.user root
	atf_set timeout 60
}
port_taken_body()
{
	subr
	postern_setup
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
time.sleep(30)' "$POSTERN_PORT" &
	holder=$!
	sleep 0.5
	"$POSTERN_BIN/smtpd" -d -f "$POSTERN_CONF" >"$POSTERN_LOG" 2>&1
	rc=$?
	kill "$holder"
	[ "$rc" -ne 0 ] || postern_fail "smtpd started on a taken port"
	grep -q "cannot listen on 127.0.0.1 port $POSTERN_PORT: Address already in use" \
	    "$POSTERN_LOG" || postern_fail "no clear message"
	[ ! -e "$POSTERN_PIDFILE" ] || postern_fail "pid file left behind"
}
port_taken_cleanup()
{
	subr
	postern_cleanup
}

# ---------------------------------------------------------------------
# System call filter and memory.

atf_test_case plain_filter cleanup
plain_filter_head()
{
	atf_set descr "sessions and transactions under the system call" \
	    "filter of the plain (non-sanitizer) build"
	atf_set require.user root
	atf_set timeout 180
}
plain_filter_body()
{
	subr
	postern_setup
	POSTERN_BIN=$(atf_config_get plainbindir)
	[ -x "$POSTERN_BIN/smtpd" ] || atf_fail "no $POSTERN_BIN/smtpd"
	DLG_USER=pdlg$$
	postern_useradd "$DLG_USER"
	for s in tx_pipelined tx_bdat tx_size line_huge failures timeout \
	    per_ip; do
		f=$(dlgdir)/$s.dlg
		dialogue_conf "$f"
		postern_start
		play "$f"
		whole
		postern_stop
	done
}
plain_filter_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case idle_memory cleanup
idle_memory_head()
{
	atf_set descr "1000 idle sessions after EHLO cost the smtp process" \
	    "little memory (plain build; the figure is printed)"
	atf_set require.user root
	atf_set timeout 180
}
idle_memory_body()
{
	subr
	postern_setup
	POSTERN_BIN=$(atf_config_get plainbindir)
	{ postern_default_conf
	  echo "smtp limit max-sessions-per-ip 2000"
	  echo "smtp limit max-sessions 4000"; } | postern_conf
	postern_start
	smtp=$(postern_role_pid smtp) || postern_fail "no smtp process"
	/usr/bin/python3 - "$POSTERN_PORT" "$smtp" <<'EOF2' >memory.out 2>&1 ||
import resource, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
def pss():
    with open('/proc/%s/smaps_rollup' % pid) as f:
        for line in f:
            if line.startswith('Pss:'):
                return int(line.split()[1])
def session():
    s = socket.create_connection(('127.0.0.1', port), 10)
    f = s.makefile('rb')
    f.readline()
    s.sendall(b'EHLO idle.example.org\r\n')
    while not f.readline().startswith(b'250 '):
        pass
    return s, f
# Warm up the allocator and libevent with a few sessions first.
warm = [session() for _ in range(20)]
for s, f in warm:
    s.close()
time.sleep(0.5)
before = pss()
n = 1000
held = [session() for _ in range(n)]
time.sleep(0.5)
after = pss()
per = (after - before) * 1024 / n
print('smtp Pss %d KiB -> %d KiB with %d idle sessions: %.1f KiB each' %
      (before, after, n, per / 1024))
if per > 16 * 1024:
    raise SystemExit('more than 16 KiB per idle session')
EOF2
	    { cat memory.out >&2; postern_fail "idle sessions cost too much"; }
	cat memory.out
	whole
	postern_stop
}
idle_memory_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case disk_full cleanup
disk_full_head()
{
	atf_set descr "a message that does not fit on the spool's file" \
	    "system gets 451 4.3.0 and is dropped; the session goes on"
	atf_set require.user root
	atf_set timeout 120
}
disk_full_body()
{
	subr
	postern_setup
	DLG_USER=pdlg$$
	postern_useradd "$DLG_USER"
	mkdir -p "$POSTERN_SPOOL"
	mount -t tmpfs -o size=2m,mode=0711 tmpfs "$POSTERN_SPOOL" ||
	    atf_skip "cannot mount a small tmpfs for the spool"
	touch .mounted
	postern_start
	cat >full.dlg <<'EOF2'
<<< 220 .*
>>> EHLO client.example.org
<<+ 250 HELP
>>> MAIL FROM:<sender@example.org>
<<< 250 .*
>>> RCPT TO:<${USER}@localhost>
<<< 250 .*
>>> DATA
<<< 354 .*
>>> Subject: too big for the disk
>>> 
>>* 40000 0123456789012345678901234567890123456789012345678901234567890123456789012345678\r\n
>>> .
<<< 451 4\.3\.0 Temporary failure
>>> MAIL FROM:<sender@example.org>
<<< 250 .*
>>> RCPT TO:<${USER}@localhost>
<<< 250 .*
>>> DATA
<<< 354 .*
>>> Subject: small
>>> .
<<< 250 2\.0\.0 [0-9a-f]{8} Message accepted for delivery
>>> QUIT
<<< 221 .*
<<.
EOF2
	play full.dlg
	delivered 1
	grep -q 'Subject: small' "$(postern_maildir "$DLG_USER")"/new/* ||
	    postern_fail "the small message is not the one delivered"
	whole
	postern_stop
	umount "$POSTERN_SPOOL" && rm -f .mounted
}
disk_full_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
	if [ -f .mounted ]; then
		umount "$(pwd -P)/spool" 2>/dev/null || umount -l "$(pwd -P)/spool"
	fi
}

atf_test_case slow_reader cleanup
slow_reader_head()
{
	atf_set descr "a client that pipelines without reading: the server" \
	    "stops reading instead of buffering replies, answers every" \
	    "command once the client reads, and its memory stays flat" \
	    "(plain build)"
	atf_set require.user root
	atf_set timeout 120
}
slow_reader_body()
{
	subr
	postern_setup
	POSTERN_BIN=$(atf_config_get plainbindir)
	postern_start
	smtp=$(postern_role_pid smtp) || postern_fail "no smtp process"
	/usr/bin/python3 - "$POSTERN_PORT" "$smtp" <<'EOF2' >reader.out 2>&1 ||
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for line in open('/proc/%s/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
def replies(s, want, secs):
    s.settimeout(secs)
    got = 0
    while got < want:
        b = s.recv(1 << 20)
        if not b:
            raise SystemExit('closed after %d of %d replies' % (got, want))
        got += b.count(b'\r\n')
    return got
# 1. 30000 commands in one go, their 420 KB of replies only read after:
# the server stops and resumes reading, every command is answered.
s = socket.create_connection(('127.0.0.1', port), 10)
s.sendall(b'NOOP\r\n' * 30000)
time.sleep(1)
got = replies(s, 30001, 30)
s.close()
# 2. A flood that is never read: the server's memory stays flat.
before = rss()
s = socket.create_connection(('127.0.0.1', port), 10)
s.setblocking(False)
chunk = b'NOOP\r\n' * 10000
sent = 0
t0 = time.time()
while time.time() - t0 < 2:
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.05)
peak = rss()
s.close()
# 3. Still serving.
s = socket.create_connection(('127.0.0.1', port), 10)
s.sendall(b'NOOP\r\nQUIT\r\n')
replies(s, 3, 10)
print('%d replies to 30000 pipelined commands; %d commands never read: '
      'smtp VmRSS %d KiB -> %d KiB' % (got, sent // 6, before, peak))
if peak - before > 8 * 1024:
    raise SystemExit('smtp grew by more than 8 MiB')
EOF2
	    { cat reader.out >&2; postern_fail "slow reader"; }
	cat reader.out
	whole
	postern_stop
}
slow_reader_cleanup()
{
	subr
	postern_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case slow_reader
	atf_add_test_case disk_full
	atf_add_test_case smtplib_client
	atf_add_test_case swaks_client
	atf_add_test_case listener_reload
	atf_add_test_case port_taken
	atf_add_test_case plain_filter
	atf_add_test_case idle_memory
	atf_add_test_case scenarios_listed
	for _s in $SCENARIOS; do
		atf_add_test_case "dlg_$_s"
	done
}
