#! /usr/bin/atf-sh
# No open relay: with the rules of the sample configuration (local
# users only), an unauthenticated client cannot get mail queued for
# another domain, directly or through the old address tricks: the `%`
# hack, `!` bang paths, a quoted `@` in the local part, several `@`,
# and source routes.  Each refused recipient is followed, in the same
# transaction, by a valid local recipient and a message, so that a
# message is committed: the spool must then hold no envelope of type
# mta and the log no outbound delivery, and the local user gets exactly
# the messages meant for it.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

start_relay()
{
	postern_setup
	postern_conf <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
listen on 127.0.0.1 port @PORT@
action "local" maildir
match from local for local action "local"
match from any for local action "local"
EOF
	U=pr$$
	postern_useradd "$U"
	postern_start
}

# try ADDR WANT: RCPT TO:ADDR (as written) must get the reply WANT (a
# code, or code and enhanced code); a local recipient and a message
# follow (unless WANT is 250).  Collects failures in $BAD and counts
# messages in $SENT.
try()
{
	SEQ=$((SEQ + 1))
	# A recipient that must be accepted is the message's only one.
	also="--also $U@localhost"
	[ "$2" = 250 ] && also=
	# shellcheck disable=SC2086
	out=$(postern_mailtool rcpt --port "$POSTERN_PORT" \
	    --from sender@example.org --to "$1" $also \
	    --data --id "relay-$SEQ-$$" 2>&1)
	echo "RCPT TO:$1 -> $out"
	got=$(echo "$out" | head -n 1)
	case $got in
	"$2"|"$2 "*) ;;
	*) BAD="$BAD; RCPT TO:$1: got '$got', want '$2'" ;;
	esac
	echo "$out" | grep -q '^DATA 250' && SENT=$((SENT + 1))
	echo "$out" | grep -q '^FAIL' && BAD="$BAD; RCPT TO:$1: client failed"
}

no_relay_check()
{
	postern_mailtool wait-count --n "$SENT" --timeout 60 \
	    "$(postern_maildir "$U")" >/dev/null
	sleep 2
	n=$(postern_maildir_count "$U")
	[ "$n" -eq "$SENT" ] ||
	    BAD="$BAD; $U has $n messages, $SENT were sent to it"
	mta=$(postern_spool_envelopes mta)
	[ -z "$mta" ] ||
	    BAD="$BAD; envelopes for relaying in the spool: $(echo $mta)"
	grep -E 'mta (delivery|connecting)' "$POSTERN_LOG" &&
	    BAD="$BAD; the log shows outbound delivery"
	# Nothing went to another local mailbox either: the only Maildir
	# under the test homes is the user's.
	others=$(find "$POSTERN_DIR/home" -name new -type d |
	    grep -v "^$(postern_maildir "$U")/new\$")
	[ -z "$others" ] || BAD="$BAD; other mailboxes: $(echo $others)"
	[ -z "$BAD" ] || postern_fail "relay control:${BAD#;}"
	postern_healthy
	postern_stop
}

atf_test_case other_domain cleanup
other_domain_head()
{
	atf_set descr "unauthenticated mail to another domain is refused" \
	    "with 550 5.7.1"
	atf_set require.user root
	atf_set timeout 300
}
other_domain_body()
{
	subr
	start_relay
	BAD= SENT=0 SEQ=0
	try "<user@other.example>" "550 5.7.1"
	try "<$U@other.example>" "550 5.7.1"
	try "<user@OTHER.EXAMPLE>" "550 5.7.1"
	try "<user@localhost.other.example>" "550 5.7.1"
	try "<user@other.example> NOTIFY=NEVER" "550 5.7.1"
	try "<postmaster@other.example>" "550 5.7.1"
	try "<user@[192.0.2.1]>" "550 5.7.1"
	no_relay_check
}
other_domain_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case tricks cleanup
tricks_head()
{
	atf_set descr "%, !, quoted @, several @ and source routes never" \
	    "reach another domain"
	atf_set require.user root
	atf_set timeout 300
}
tricks_body()
{
	subr
	start_relay
	BAD= SENT=0 SEQ=0
	# A local part holding % or ! is just a local part: no such user.
	try "<user%other.example@localhost>" "550 5.1.1"
	try "<$U%other.example@localhost>" "550 5.1.1"
	try "<other.example!user@localhost>" "550 5.1.1"
	try "<other.example!$U@localhost>" "550 5.1.1"
	try "<\"user@other.example\"@localhost>" "550 5.1.1"
	try "<\"$U@other.example\"@localhost>" "550 5.1.1"
	# Several @ outside quotes: not an address.
	try "<user@other.example@localhost>" "501"
	try "<$U@localhost@other.example>" "501"
	# Source routes are ignored: what counts is the mailbox.
	try "<@localhost:user@other.example>" "550 5.7.1"
	try "<@localhost,@localhost:$U@other.example>" "550 5.7.1"
	try "<@other.example:$U@localhost>" "250"
	no_relay_check
}
tricks_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case sample_config cleanup
sample_config_head()
{
	atf_set descr "etc/smtpd.conf and etc/aliases as shipped: local" \
	    "users get mail, other domains are refused, root only by alias"
	atf_set require.user root
	atf_set timeout 300
}
sample_config_body()
{
	subr
	postern_setup
	top=$(atf_config_get top)
	# The sample, with this test's own files and port; the aliases
	# macro set on the command line as `make run` does.
	{
		printf 'queue path "@SPOOL@"\ncontrol socket "@SOCK@"\n'
		printf 'pidfile "@PIDFILE@"\n'
		sed 's/^\(listen on 127.0.0.1 port \)2525$/\1@PORT@/' \
		    "$top/etc/smtpd.conf"
	} | postern_conf
	grep -q "port $POSTERN_PORT" "$POSTERN_CONF" ||
	    atf_fail "etc/smtpd.conf has no 'listen on 127.0.0.1 port 2525'"
	U=pr$$
	postern_useradd "$U"
	postern_public_copy "$POSTERN_DIR/etc" etc/aliases
	postern_start -D "aliases=file:$POSTERN_DIR/etc/aliases"
	BAD= SENT=0 SEQ=0
	try "<$U@localhost>" "250"
	try "<user@other.example>" "550 5.7.1"
	try "<root@localhost>" "550 5.7.1"
	try "<postmaster@localhost>" "550 5.7.1"
	try "<nosuchuser$$@localhost>" "550 5.1.1"
	# Stop only once everything is delivered: this case is about the
	# sample configuration, inbound_crash_test about restarts.
	postern_mailtool wait-count --n "$SENT" --timeout 60 \
	    "$(postern_maildir "$U")" >/dev/null
	postern_wait_drained 60 || postern_fail "the queue did not drain"
	postern_stop

	# Once root is aliased to a real user, as etc/aliases asks, the
	# role addresses reach that user.
	sed "s/^#root:.*/root: $U/" "$top/etc/aliases" \
	    >"$POSTERN_DIR/etc/aliases"
	grep -q "^root: $U\$" "$POSTERN_DIR/etc/aliases" ||
	    atf_fail "etc/aliases has no '#root:' line to enable"
	postern_start -D "aliases=file:$POSTERN_DIR/etc/aliases"
	try "<postmaster@localhost>" "250"
	try "<root@localhost>" "250"
	try "<MAILER-DAEMON@localhost>" "250"
	no_relay_check
}
sample_config_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case other_domain
	atf_add_test_case tricks
	atf_add_test_case sample_config
}
