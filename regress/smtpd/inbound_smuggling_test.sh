#! /usr/bin/atf-sh
# SMTP smuggling (CVE-2023-51764 and its family): a body holding a bare
# LF or bare CR variant of "end of data" (\n.\n, \r.\r, \n.\r\n,
# \r\n.\n, \r.\n, \r\n.\r) followed by a second MAIL/RCPT/DATA
# transaction to another user; and the same bytes in one BDAT chunk,
# where the bare CR/LF policy must hold as well.  The only end of DATA
# is CRLF.CRLF, so the second transaction is never run:
#   - default policy (smtp bare-lf reject, smtp bare-cr reject): the
#     session gets 521 and is closed; nothing is delivered to anyone;
#   - with "smtp bare-lf accept" and "smtp bare-cr accept": the whole
#     thing is ONE message for the first recipient, the embedded
#     commands are body text, and the victim receives nothing.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

VARIANTS="lf-dot-lf cr-dot-cr lf-dot-crlf crlf-dot-lf cr-dot-lf crlf-dot-cr"

# smuggle TAG [ARG...]: run mailtool.py smuggle, print its output, set
# CODES to the replies seen after the message.
smuggle()
{
	tag=$1
	shift
	echo "=== $tag"
	postern_mailtool smuggle --port "$POSTERN_PORT" \
	    --from sender@example.org --to "$USER1@localhost" \
	    --victim "$USER2@localhost" --tag "$tag" "$@" >out 2>&1
	cat out
	CODES=$(sed -n 's/^codes: //p' out)
}

# start_smuggle [CONFIG-LINE...]
start_smuggle()
{
	postern_setup
	{
		for l in "$@"; do
			echo "$l"
		done
		cat <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
listen on 127.0.0.1 port @PORT@
action "local" maildir
match from local for local action "local"
EOF
	} | postern_conf
	USER1=ps$$a
	USER2=ps$$v
	postern_useradd "$USER1"
	postern_useradd "$USER2"
	postern_start
}

# A control message through the same daemon proves that delivery works,
# so that "nothing delivered" means something.
control_message()
{
	f=$POSTERN_DIR/control.eml
	printf 'Subject: control\nMessage-ID: <%s@test.postern>\n\nok\n' \
	    "control-$$" >"$f"
	postern_send sender@example.org "$USER1@localhost" "$f" ||
	    postern_fail "the control message was refused"
	postern_mailtool check --maildir "$(postern_maildir "$USER1")" \
	    --file "$f" --from sender@example.org --to "$USER1@localhost" ||
	    postern_fail "the control message was not delivered"
}

atf_test_case reject cleanup
reject_head()
{
	atf_set descr "default policy: a bare CR/LF end-of-data variant" \
	    "gets 521 and closes the session; nothing is delivered"
	atf_set require.user root
	atf_set timeout 300
}
reject_body()
{
	subr
	start_smuggle
	bad=
	for v in $VARIANTS; do
		smuggle "$v" --variant "$v"
		[ "$CODES" = "521 closed" ] || bad="$bad $v(replies: $CODES)"
	done
	# The policy holds for BDAT too, where nothing ends the data early.
	for v in lf-dot-lf cr-dot-cr; do
		smuggle "bdat-$v" --variant "$v" --bdat
		[ "$CODES" = "521 closed" ] ||
		    bad="$bad bdat-$v(replies: $CODES)"
	done
	control_message
	sleep 2
	n1=$(postern_maildir_count "$USER1")
	n2=$(postern_maildir_count "$USER2")
	[ "$n2" -eq 0 ] || bad="$bad victim-received-$n2"
	[ "$n1" -eq 1 ] || bad="$bad first-user-has-$n1-messages(want-1)"
	[ -z "$(postern_incoming_files)" ] || bad="$bad incoming-leftovers"
	[ -z "$bad" ] || postern_fail "smuggling not refused:$bad"
	postern_healthy
	postern_stop
}
reject_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case accept cleanup
accept_head()
{
	atf_set descr "bare-lf/bare-cr accept: each variant is one message" \
	    "with the embedded commands as body text; no second message"
	atf_set require.user root
	atf_set timeout 300
}
accept_body()
{
	subr
	start_smuggle "smtp bare-lf accept" "smtp bare-cr accept"
	bad=
	md1=$(postern_maildir "$USER1")
	tags=
	for v in $VARIANTS; do
		smuggle "$v" --variant "$v"
		tags="$tags $v"
		# One 250 for the one message, then QUIT's 221.
		[ "$CODES" = "250 221 closed" ] ||
		    bad="$bad $v(replies: $CODES)"
	done
	for v in lf-dot-lf cr-dot-cr; do
		smuggle "bdat-$v" --variant "$v" --bdat
		tags="$tags bdat-$v"
		[ "$CODES" = "250 221 closed" ] ||
		    bad="$bad bdat-$v(replies: $CODES)"
	done
	n=0
	for v in $tags; do
		n=$((n + 1))
	done
	postern_mailtool wait-count --n "$n" --timeout 60 "$md1" >/dev/null ||
	    bad="$bad only-$(postern_maildir_count "$USER1")-of-$n-delivered"
	sleep 2
	for v in $tags; do
		f=$(grep -l "^Message-ID: <smuggle-$v@test.postern>" \
		    "$md1"/new/* 2>/dev/null)
		c=$(echo "$f" | grep -c .)
		if [ "$c" -ne 1 ]; then
			bad="$bad $v($c-copies)"
			continue
		fi
		grep -q "^RCPT TO:<$USER2@localhost>" "$f" &&
		    grep -q 'SMUGGLED-BODY' "$f" ||
		    bad="$bad $v(embedded-commands-not-in-body)"
	done
	n1=$(postern_maildir_count "$USER1")
	n2=$(postern_maildir_count "$USER2")
	[ "$n1" -eq "$n" ] || bad="$bad first-user-has-$n1(want-$n)"
	[ "$n2" -eq 0 ] || bad="$bad victim-received-$n2"
	[ -z "$bad" ] || postern_fail "smuggling with bare-lf/cr accept:$bad"
	postern_healthy
	postern_stop
}
accept_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case reject
	atf_add_test_case accept
}
