#! /usr/bin/atf-sh
# The queue and the scheduler end to end: mail accepted while local
# delivery is paused survives a restart and is delivered after it; a
# half-received message (incoming/) is removed at start; a corrupt
# envelope file is moved to corrupt/ with a log line while the rest is
# delivered; an envelope that keeps failing temporarily expires after
# `queue ttl` with an RFC 3464 bounce to its (local) sender, none when
# the recipient said NOTIFY=NEVER, and a delay report once `bounce
# warn-interval` has passed; a permanent failure bounces at once; a
# bounce that cannot be delivered is never bounced again.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# conf_queue [TTL [EXTRA-LINE]]: the daemon with a maildir for every
# local user, "later" (mda exits 75: temporary failure) for $B and
# "never" (mda exits 1: permanent failure) for $C, a short ttl (4s by
# default) and retry delay (1s).
conf_queue()
{
	postern_setup
	A=qa$$
	B=qb$$
	C=qc$$
	{
		echo "queue ttl ${1:-4s}"
		[ -z "${2:-}" ] || echo "$2"
		cat <<'EOF'
queue path "@SPOOL@"
queue retry-delay 1s
control socket "@SOCK@"
pidfile "@PIDFILE@"
listen on 127.0.0.1 port @PORT@
action "local" maildir
action "later" mda "exit 75"
action "never" mda "exit 1"
EOF
		echo "match from local for rcpt-to \"$B@localhost\" action \"later\""
		echo "match from local for rcpt-to \"$C@localhost\" action \"never\""
		echo 'match from local for local action "local"'
	} | postern_conf
	postern_useradd "$A"
	postern_useradd "$B"
	postern_useradd "$C"
}

# send FROM TO [RCPT-OPTION]: one message with smtplib; fails the test
# unless the server accepted it.
send()
{
	/usr/bin/python3 - "$POSTERN_PORT" "$1" "$2" "${3:-}" <<'EOF' ||
import smtplib, sys
port, mfrom, rcpt, opt = sys.argv[1:5]
s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
refused = s.sendmail(mfrom, [rcpt],
    "Subject: queue test\nMessage-ID: <%s@test>\n\nbody\n" % rcpt,
    rcpt_options=[opt] if opt else [])
s.quit()
sys.exit(1 if refused else 0)
EOF
	    postern_fail "message from $1 to $2 refused"
}

# The committed envelope files (queue/), one path per line.
committed()
{
	find "$POSTERN_SPOOL/queue" -type f -name '????????????????' 2>/dev/null
}

wait_spool_empty()
{
	_n=0
	while [ -n "$(committed)" ]; do
		_n=$((_n + 1))
		[ "$_n" -lt 300 ] || postern_fail "the queue is not empty: \
$(committed)"
		sleep 0.1
	done
}

# wait_committed N: until N envelope files are in queue/.
wait_committed()
{
	_n=0
	while [ "$(committed | wc -l)" -ne "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -lt 300 ] || postern_fail "expected $1 committed \
envelopes, have $(committed | wc -l)"
		sleep 0.1
	done
}

# bounce_in USER: the path of the one message in USER's Maildir/new.
bounce_in()
{
	postern_mailtool wait-count --n 1 --timeout 60 \
	    "$(postern_maildir "$1")" >/dev/null ||
	    postern_fail "no bounce for $1"
	ls "$(postern_maildir "$1")"/new/*
}

cleanup_all()
{
	postern_cleanup
	postern_userdel_all
}

atf_test_case restart cleanup
restart_head()
{
	atf_set descr "mail accepted while mda is paused is in queue/ and \
delivered after a restart"
	atf_set timeout 120
}
restart_body()
{
	subr
	conf_queue
	postern_start -P mda
	send "$A@localhost" "$A@localhost"
	send "$A@localhost" "$A@localhost"
	wait_committed 2
	[ -z "$(postern_incoming_files)" ] || postern_fail "incoming/ not empty"
	postern_stop
	[ "$(postern_maildir_count "$A")" -eq 0 ] ||
	    postern_fail "delivered while paused"
	[ "$(committed | wc -l)" -eq 2 ] || postern_fail "the queue lost mail"

	postern_start
	postern_wait_log "queue: loaded 2 envelopes, 0 moved to corrupt/" ||
	    postern_fail "start-up load not logged"
	postern_mailtool wait-count --n 2 --timeout 60 \
	    "$(postern_maildir "$A")" >/dev/null ||
	    postern_fail "not delivered after the restart"
	wait_spool_empty
	postern_healthy
	postern_stop
}
restart_cleanup()
{
	subr
	cleanup_all
}

atf_test_case incoming cleanup
incoming_head()
{
	atf_set descr "a half-received message in incoming/ is removed at start"
	atf_set timeout 120
}
incoming_body()
{
	subr
	conf_queue
	postern_start
	postern_stop
	d=$POSTERN_SPOOL/incoming/0badf00d
	mkdir -p "$d"
	printf 'Subject: half\n\ncut' >"$d/message"
	printf 'version: 1\n' >"$d/0badf00d00000001"
	chown -R _smtpq "$d"
	postern_start
	postern_wait_log "incoming/0badf00d: half-received, removed" ||
	    postern_fail "not logged"
	[ ! -e "$d" ] || postern_fail "$d is still there"
	send "$A@localhost" "$A@localhost"
	postern_mailtool wait-count --n 1 --timeout 60 \
	    "$(postern_maildir "$A")" >/dev/null || postern_fail "no delivery"
	postern_healthy
	postern_stop
}
incoming_cleanup()
{
	subr
	cleanup_all
}

atf_test_case corrupt cleanup
corrupt_head()
{
	atf_set descr "a corrupt envelope file goes to corrupt/ with a log \
line; the daemon keeps running and delivers the rest"
	atf_set timeout 120
}
corrupt_body()
{
	subr
	conf_queue
	postern_start -P mda
	send "$A@localhost" "$A@localhost"
	send "$A@localhost" "$A@localhost"
	send "$A@localhost" "$A@localhost"
	wait_committed 3
	postern_stop
	set -- $(committed)
	# An injected line (CVE-2020-8794 style), a cut file, and one good.
	printf 'rcpt: root@localhost\n' >>"$1"
	head -c 20 "$2" >"$2.cut" && mv "$2.cut" "$2" && chown _smtpq "$2"
	bad1=$(basename "$1")
	bad2=$(basename "$2")

	postern_start
	postern_wait_log "envelope $bad1: .*moved to corrupt/" ||
	    postern_fail "injected line not refused"
	postern_wait_log "envelope $bad2: .*moved to corrupt/" ||
	    postern_fail "cut file not refused"
	postern_wait_log "queue: loaded 1 envelopes, 2 moved to corrupt/" ||
	    postern_fail "load summary"
	[ -f "$POSTERN_SPOOL/corrupt/$bad1" ] || postern_fail "$bad1 not kept"
	[ -f "$POSTERN_SPOOL/corrupt/$bad2" ] || postern_fail "$bad2 not kept"
	postern_mailtool wait-count --n 1 --timeout 60 \
	    "$(postern_maildir "$A")" >/dev/null ||
	    postern_fail "the good message was not delivered"
	wait_spool_empty
	# Messages whose only envelope went are gone from queue/ too.
	[ -z "$(find "$POSTERN_SPOOL/queue" -name message)" ] ||
	    postern_fail "message files left in queue/"
	send "$A@localhost" "$A@localhost"
	postern_mailtool wait-count --n 2 --timeout 60 \
	    "$(postern_maildir "$A")" >/dev/null ||
	    postern_fail "no delivery after the corrupt files"
	postern_healthy
	postern_stop
}
corrupt_cleanup()
{
	subr
	cleanup_all
}

atf_test_case expire cleanup
expire_head()
{
	atf_set descr "temporary failures retried until queue ttl, then an \
RFC 3464 failure report to the sender"
	atf_set timeout 120
}
expire_body()
{
	subr
	conf_queue
	postern_start
	send "$A@localhost" "$B@localhost"
	f=$(bounce_in "$A")
	grep -q '^From: .*<MAILER-DAEMON@' "$f" || postern_fail "From"
	grep -q "^To: <$A@localhost>" "$f" || postern_fail "To"
	grep -q '^Content-Type: multipart/report; report-type=delivery-status' \
	    "$f" || postern_fail "not a multipart/report"
	grep -q '^Content-Type: message/delivery-status' "$f" ||
	    postern_fail "no delivery-status part"
	grep -q "^Final-Recipient: rfc822; $B@localhost" "$f" ||
	    postern_fail "Final-Recipient"
	grep -q '^Action: failed' "$f" || postern_fail "Action (quirk 12 fixed)"
	grep -q '^Status: 4.4.7' "$f" || postern_fail "Status"
	grep -q 'Envelope expired; last error: 4.3.0' "$f" ||
	    postern_fail "the last error is not in the report"
	grep -q '^Subject: queue test' "$f" ||
	    postern_fail "original headers missing"
	# Retried before expiring (first after 1 s, then 2 s).
	n=$(grep -c "to=<$B@localhost> user=$B .*result=TempFail" \
	    "$POSTERN_LOG")
	[ "$n" -ge 2 ] || postern_fail "only $n attempts before expiry"
	postern_wait_log "envelope [0-9a-f]{16} expired" || postern_fail "log"
	wait_spool_empty
	postern_healthy
	postern_stop
}
expire_cleanup()
{
	subr
	cleanup_all
}

atf_test_case notify_never cleanup
notify_never_head()
{
	atf_set descr "NOTIFY=NEVER: an expired envelope is dropped without \
a bounce, and the drop is logged"
	atf_set timeout 120
}
notify_never_body()
{
	subr
	conf_queue
	postern_start
	send "$A@localhost" "$B@localhost" NOTIFY=NEVER
	postern_wait_log "failed \(4.4.7 Envelope expired.*no bounce: \
NOTIFY=NEVER" 60 || postern_fail "drop not logged"
	wait_spool_empty
	sleep 1
	[ "$(postern_maildir_count "$A")" -eq 0 ] ||
	    postern_fail "a bounce was sent"
	postern_healthy
	postern_stop
}
notify_never_cleanup()
{
	subr
	cleanup_all
}

atf_test_case delay_report cleanup
delay_report_head()
{
	atf_set descr "bounce warn-interval: one delay report when the first \
failure after the interval happens, none with NOTIFY=FAILURE, then the \
failure reports"
	atf_set timeout 120
}
delay_report_body()
{
	subr
	# Tries at 0, 1, 3 s (the warning: 2 s have passed), expiry at 6 s.
	conf_queue 6s "bounce warn-interval 2s"
	postern_start
	send "$A@localhost" "$B@localhost"
	send "$A@localhost" "$B@localhost" NOTIFY=FAILURE
	md=$(postern_maildir "$A")
	postern_mailtool wait-count --n 3 --timeout 60 "$md" >/dev/null ||
	    postern_fail "want 1 delay and 2 failure reports, have \
$(postern_maildir_count "$A")"
	wait_spool_empty
	sleep 2
	[ "$(postern_maildir_count "$A")" -eq 3 ] ||
	    postern_fail "more than 3 reports"
	[ "$(grep -l '^Action: delayed' "$md"/new/* | wc -l)" -eq 1 ] ||
	    postern_fail "not exactly one delay report"
	[ "$(grep -l '^Action: failed' "$md"/new/* | wc -l)" -eq 2 ] ||
	    postern_fail "not exactly two failure reports"
	grep -q '^Subject: Delivery status notification: delayed' \
	    $(grep -l '^Action: delayed' "$md"/new/*) ||
	    postern_fail "delay report subject"
	postern_healthy
	postern_stop
}
delay_report_cleanup()
{
	subr
	cleanup_all
}

atf_test_case relay cleanup
relay_head()
{
	atf_set descr "a relayed envelope is kept and retried (outbound \
delivery is not there yet), then returned after queue ttl"
	atf_set timeout 120
}
relay_body()
{
	subr
	postern_setup
	A=qa$$
	postern_conf <<'EOF'
queue path "@SPOOL@"
queue ttl 3s
queue retry-delay 1s
control socket "@SOCK@"
pidfile "@PIDFILE@"
listen on 127.0.0.1 port @PORT@
action "local" maildir
action "out" relay
match from local for local action "local"
match from local for any action "out"
EOF
	postern_useradd "$A"
	postern_start
	send "$A@localhost" "someone@example.com"
	re='mta delivery evpid=[0-9a-f]{16} from=<[^>]*> '
	re="${re}to=<someone@example.com> .*result=\"TempFail\""
	postern_wait_log "$re" || postern_fail "no attempt"
	[ "$(postern_spool_envelopes mta | wc -l)" -eq 1 ] ||
	    postern_fail "the relayed envelope is not kept"
	f=$(bounce_in "$A")
	grep -q '^Final-Recipient: rfc822; someone@example.com' "$f" ||
	    postern_fail "Final-Recipient"
	grep -q 'outbound delivery is not available' "$f" ||
	    postern_fail "the last error is not in the report"
	wait_spool_empty
	postern_healthy
	postern_stop
}
relay_cleanup()
{
	subr
	cleanup_all
}

atf_test_case permfail cleanup
permfail_head()
{
	atf_set descr "a permanent failure bounces at once; a bounce that \
fails is not bounced again"
	atf_set timeout 120
}
permfail_body()
{
	subr
	conf_queue
	postern_start
	send "$A@localhost" "$C@localhost"
	f=$(bounce_in "$A")
	grep -q '^Action: failed' "$f" || postern_fail "Action"
	grep -q '^Status: 5.3.0' "$f" || postern_fail "Status"
	grep -q "command exited with status 1" "$f" ||
	    postern_fail "the error is not in the report"
	n=$(grep -c "to=<$C@localhost> user=$C .*result=PermFail" \
	    "$POSTERN_LOG")
	[ "$n" -eq 1 ] || postern_fail "$n attempts, want 1"
	wait_spool_empty

	# C's bounce goes to C, whose mda fails again: no third message.
	send "$C@localhost" "$C@localhost"
	postern_wait_log "from=<> to=<$C@localhost> user=$C .*result=PermFail" \
	    60 || postern_fail "the bounce was not tried"
	postern_wait_log "no bounce: (null sender|it is a bounce)" 60 ||
	    postern_fail "the bounce of a bounce not refused"
	wait_spool_empty
	postern_healthy
	postern_stop
}
permfail_cleanup()
{
	subr
	cleanup_all
}

atf_test_case action_ttl cleanup
action_ttl_head()
{
	atf_set descr "an action's own ttl overrides queue ttl (the queue \
gets the actions with its configuration)"
	atf_set timeout 120
}
action_ttl_body()
{
	subr
	conf_queue 1h
	sed -i 's/^action "later" mda "exit 75"$/& ttl 3s/' "$POSTERN_CONF"
	grep -q 'ttl 3s' "$POSTERN_CONF" || atf_fail "config not changed"
	postern_start
	send "$A@localhost" "$B@localhost"
	f=$(bounce_in "$A")
	grep -q '^Status: 4.4.7' "$f" || postern_fail "not expired by ttl 3s"
	wait_spool_empty
	postern_healthy
	postern_stop
}
action_ttl_cleanup()
{
	subr
	cleanup_all
}

atf_init_test_cases()
{
	atf_add_test_case restart
	atf_add_test_case incoming
	atf_add_test_case corrupt
	atf_add_test_case expire
	atf_add_test_case notify_never
	atf_add_test_case delay_report
	atf_add_test_case relay
	atf_add_test_case permfail
	atf_add_test_case action_ttl
}
