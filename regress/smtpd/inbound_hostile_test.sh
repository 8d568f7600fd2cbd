#! /usr/bin/atf-sh
# Hostile clients against a real daemon: a 1 MB command line, NUL and
# 8-bit bytes in commands, a flood of junk commands, a client that
# stalls in the middle of DATA and one that disconnects there, and a
# million pipelined RCPTs (distinct ones: at most max-rcpt accepted,
# then 452; and one address repeated).  Meanwhile a second client sends
# a message every 0.2 s and every one of them must be accepted and
# delivered.
# At the end the daemon and all its processes are the ones that
# started, the log shows no crash, nothing of the hostile sessions was
# delivered and nothing is left in the spool's incoming/.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

MAXRCPT=100

atf_test_case hostile cleanup
hostile_head()
{
	atf_set descr "hostile input never crashes the daemon, is never" \
	    "delivered, and other clients keep being served"
	atf_set require.user root
	atf_set timeout 600
}
hostile_body()
{
	subr
	# Keep freed memory from piling up in ASan's quarantine, so that
	# the smtp process's RSS says what the code holds.
	ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=16
	export ASAN_OPTIONS
	postern_setup
	postern_conf <<EOF
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
smtp timeout data 2s
smtp limit max-rcpt $MAXRCPT
listen on 127.0.0.1 port @PORT@
action "local" maildir
match from local for local action "local"
EOF
	U=ph$$t
	S=ph$$s
	postern_useradd "$U"
	postern_useradd "$S"
	postern_start

	smtp=$(postern_role_pid smtp) || postern_fail "no smtp process"
	rss0=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$smtp/status")

	postern_mailtool steady --port "$POSTERN_PORT" --to "$S@localhost" \
	    --stop "$POSTERN_DIR/stop" --out "$POSTERN_DIR/steady" &
	steady=$!
	echo "$steady" >"$POSTERN_DIR/.steady"
	sleep 1

	bad=
	for h in longline badbytes flood stall disconnect manyrcpt samercpt; do
		echo "=== $h"
		postern_mailtool hostile "$h" --port "$POSTERN_PORT" \
		    --to "$U@localhost" --id "$h-$$" --stall 2 \
		    --maxrcpt "$MAXRCPT" || bad="$bad $h"
		postern_alive "$POSTERN_PID" ||
		    postern_fail "the daemon died during $h;$bad"
	done

	rss1=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$smtp/status")
	echo "smtp process RSS: $rss0 kB before, $rss1 kB after"
	[ $((rss1 - rss0)) -lt 65536 ] ||
	    bad="$bad memory(smtp grew from $rss0 to $rss1 kB)"

	touch "$POSTERN_DIR/stop"
	wait "$steady"
	ok=$(grep -c '^ok ' "$POSTERN_DIR/steady")
	echo "steady client: $ok messages accepted"
	if grep '^fail' "$POSTERN_DIR/steady"; then
		bad="$bad steady-client-refused"
	fi
	[ "$ok" -ge 5 ] || bad="$bad steady-client-sent-only-$ok"
	postern_mailtool wait-count --n "$ok" --timeout 60 \
	    "$(postern_maildir "$S")" >/dev/null
	postern_mailtool verify --exact --acked "$POSTERN_DIR/steady" \
	    "$(postern_maildir "$S")" || bad="$bad steady-delivery"

	# Nothing of the hostile sessions is delivered or left behind.
	n=$(postern_maildir_count "$U")
	[ "$n" -eq 0 ] || bad="$bad $n-hostile-messages-delivered"
	i=0
	while [ -n "$(postern_incoming_files)" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	left=$(postern_incoming_files)
	[ -z "$left" ] || bad="$bad incoming-leftovers($left)"

	[ -z "$bad" ] || postern_fail "hostile input:$bad"
	postern_healthy
	postern_stop
}
hostile_cleanup()
{
	subr
	[ -f .steady ] && kill "$(cat .steady)" 2>/dev/null
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case hostile
}
