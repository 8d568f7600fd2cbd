#! /usr/bin/atf-sh
# Crash safety: 20 clients send messages without pause while the whole
# daemon (the parent and every child, delivery children included) is
# killed with SIGKILL at random moments and restarted on the same
# spool, several rounds.  The clients record every message that got a
# 250.  After a last start and once the queue has drained, every one
# of them must be in the Maildirs, complete.  A message may arrive
# twice only when a kill fell between its delivery and the queue's
# removal of it: duplicates are listed, they do not fail the test.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

ROUNDS=5

# A random delay between 0.5 and 3 s.
random_delay()
{
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo "$((n % 26 + 5))" | sed 's/\(.\)$/.\1/; s/^\./0./'
}

# Kill the daemon and all its children at once: stopped first, so that
# the parent forks nothing between the listing and the kill.
kill_all()
{
	kill -STOP "$POSTERN_PID" 2>/dev/null
	kids=$(postern_children)
	# shellcheck disable=SC2086
	kill -KILL "$POSTERN_PID" $kids 2>/dev/null
	postern_wait_exit 10 || postern_fail "the killed daemon is still there"
	for k in $kids; do
		i=0
		while postern_alive "$k" && [ "$i" -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
	echo "killed $POSTERN_PID and $(echo $kids | wc -w) children"
}

atf_test_case crash cleanup
crash_head()
{
	atf_set descr "SIGKILL of the whole daemon under load never loses" \
	    "a message that got 250"
	atf_set require.user root
	atf_set timeout 600
}
crash_body()
{
	subr
	postern_setup
	postern_conf <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
smtp limit max-sessions-per-ip 1000
listen on 127.0.0.1 port @PORT@
action "local" maildir
match from local for local action "local"
EOF
	U1=pc$$a
	U2=pc$$b
	postern_useradd "$U1"
	postern_useradd "$U2"
	D1=$(postern_maildir "$U1")
	D2=$(postern_maildir "$U2")
	postern_start

	postern_mailtool blast --port "$POSTERN_PORT" --clients 20 \
	    --to "$U1@localhost,$U2@localhost" --stop "$POSTERN_DIR/stop" \
	    --out "$POSTERN_DIR/acked" &
	blast=$!
	echo "$blast" >"$POSTERN_DIR/.blast"

	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		sleep "$(random_delay)"
		echo "round $r: $(grep -c '^ok' "$POSTERN_DIR/acked") accepted"
		kill_all
		cat "$POSTERN_LOG" >>"$POSTERN_DIR/all.log"
		postern_start
		r=$((r + 1))
	done
	sleep 1
	touch "$POSTERN_DIR/stop"
	wait "$blast"
	n=$(grep -c '^ok' "$POSTERN_DIR/acked")
	echo "$n messages got 250"
	[ "$n" -ge 20 ] || postern_fail "only $n messages accepted in all"

	# Drain: no envelope left in the spool, then the Maildirs settle.
	postern_wait_drained 60 || echo "queue not drained:" \
	    "$(postern_spool_envelopes | wc -l) envelopes left"
	sleep 1
	postern_mailtool verify --acked "$POSTERN_DIR/acked" "$D1" "$D2" ||
	    postern_fail "messages that got 250 were lost"
	postern_healthy
	cat "$POSTERN_LOG" >>"$POSTERN_DIR/all.log"
	if grep -Eq 'AddressSanitizer|runtime error' "$POSTERN_DIR/all.log"
	then
		grep -E 'AddressSanitizer|runtime error' "$POSTERN_DIR/all.log"
		postern_fail "a sanitizer report in the logs of earlier rounds"
	fi
	postern_stop
}
crash_cleanup()
{
	subr
	touch stop
	[ -f .blast ] && kill "$(cat .blast)" 2>/dev/null
	postern_cleanup
	postern_userdel_all
}

atf_test_case clean_restart cleanup
clean_restart_head()
{
	atf_set descr "SIGTERM right after messages are accepted, then a" \
	    "restart: each message delivered exactly once"
	atf_set require.user root
	atf_set timeout 300
}
clean_restart_body()
{
	subr
	postern_setup
	U=pc$$t
	postern_useradd "$U"
	D=$(postern_maildir "$U")
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		postern_start
		postern_mailtool load --port "$POSTERN_PORT" --clients 4 \
		    --msgs 3 --to "$U@localhost" --tag "round$r" \
		    --out "$POSTERN_DIR/acked" ||
		    postern_fail "messages refused in round $r"
		# Deliveries are in flight now: a clean stop must either
		# finish and record them or leave them to the next start.
		postern_stop
		cat "$POSTERN_LOG" >>"$POSTERN_DIR/all.log"
		echo "round $r: $(postern_maildir_count "$U") delivered," \
		    "$(postern_spool_envelopes | wc -l) envelopes queued"
		r=$((r + 1))
	done
	postern_start
	postern_wait_drained 60 || postern_fail "the queue did not drain"
	sleep 1
	postern_mailtool verify --exact --acked "$POSTERN_DIR/acked" "$D" ||
	    postern_fail "a clean stop and start lost or duplicated messages"
	postern_healthy
	postern_stop
}
clean_restart_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case crash
	atf_add_test_case clean_restart
}
