#! /usr/bin/atf-sh
# Load: 200 concurrent clients each send 10 messages in one session, to
# four local users.  Every message must get 250 and be delivered
# exactly once (each carries a unique X-Test-Seq header, counted in the
# Maildirs), and every delivered file must be complete.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

atf_test_case load cleanup
load_head()
{
	atf_set descr "200 concurrent clients x 10 messages: each" \
	    "delivered exactly once"
	atf_set require.user root
	atf_set timeout 900
}
load_body()
{
	subr
	postern_setup
	# All clients come from 127.0.0.1: lift the per-address cap.
	postern_conf <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
smtp limit max-sessions-per-ip 1000
listen on 127.0.0.1 port @PORT@
action "local" maildir
match from local for local action "local"
EOF
	users=
	dirs=
	for i in 1 2 3 4; do
		u=pl$$u$i
		postern_useradd "$u"
		users="$users${users:+,}$u@localhost"
		dirs="$dirs $(postern_maildir "$u")"
	done
	# 200 sessions, each with a socket and a message file open at
	# times: room for the daemon (which inherits this) and the client.
	ulimit -n 4096 2>/dev/null
	postern_start

	postern_mailtool load --port "$POSTERN_PORT" --clients 200 --msgs 10 \
	    --to "$users" --out "$POSTERN_DIR/acked" ||
	    { grep '^fail' "$POSTERN_DIR/acked" | head -20;
	    postern_fail "not every message was accepted"; }
	# shellcheck disable=SC2086
	postern_mailtool wait-count --n 2000 --timeout 300 $dirs ||
	    echo "not all 2000 delivered in 300 s"
	sleep 2
	# shellcheck disable=SC2086
	postern_mailtool verify --exact --acked "$POSTERN_DIR/acked" $dirs ||
	    postern_fail "not every message delivered exactly once"
	postern_healthy
	postern_stop
}
load_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case load
}
