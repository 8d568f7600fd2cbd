#! /usr/bin/atf-sh
# lka end to end: rules, aliases and ~/.forward against a live daemon.
# The replies a client sees for each refusal (relaying denied, unknown
# user, alias error: codes, expansion loops, root, unreadable aliases),
# and the deliveries an accepted recipient turns into: aliases to
# users, pipes and files (run as the unprivileged daemon account),
# :include: lists, sub-addresses, and a user's ~/.forward (pipes run as
# that user; a .forward others can write is ignored).

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# start_lka: users A and B, an aliases table, the sample rules.
start_lka()
{
	postern_setup
	A=la$$
	B=lb$$
	postern_useradd "$A"
	postern_useradd "$B"
	OUT=$POSTERN_DIR/out
	install -d -m 777 "$OUT"
	cat >"$POSTERN_DIR/list.inc" <<EOF
# members
$A
$B
EOF
	chmod 644 "$POSTERN_DIR/list.inc"
	cat >"$POSTERN_DIR/aliases" <<EOF
# test aliases
root: $A
postmaster: root
team: $A, $B
piped: "|/bin/sh -c 'id -un > $OUT/piped.who; cat > $OUT/piped.msg'"
filed: $OUT/filed.mbox
list: :include:$POSTERN_DIR/list.inc
gone: error:550 5.1.1 gone away
later: error:450 4.2.1 try again later
loop1: loop2
loop2: loop1
both: $A, \\$A, $A@localhost, team
EOF
	chmod 644 "$POSTERN_DIR/aliases"
	postern_conf <<EOF
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
table aliases "file:@DIR@/aliases"
listen on 127.0.0.1 port @PORT@
action "local" maildir alias <aliases>
match from local for local action "local"
match from any for local action "local"
EOF
	postern_start
}

# rcpt ADDR WANT: RCPT TO:<ADDR> must get a reply starting with WANT;
# a message follows when it is accepted.
rcpt()
{
	out=$(postern_mailtool rcpt --port "$POSTERN_PORT" \
	    --from sender@example.org --to "<$1>" --data \
	    --id "lka-$1-$$" 2>&1)
	echo "RCPT TO:<$1> -> $out"
	got=$(echo "$out" | head -n 1)
	case $got in
	"$2"*) ;;
	*) BAD="$BAD; RCPT TO:<$1>: got '$got', want '$2...'" ;;
	esac
	case $2 in
	250*)
		echo "$out" | grep -q '^DATA 250' ||
		    BAD="$BAD; RCPT TO:<$1>: message not accepted: $out" ;;
	esac
}

check_bad()
{
	[ -z "$BAD" ] || postern_fail "${BAD#; }"
}

atf_test_case refusals cleanup
refusals_head()
{
	atf_set "descr" "the reply of each kind of refused recipient"
	atf_set "require.user" "root"
}
refusals_body()
{
	subr
	start_lka
	BAD=
	rcpt "someone@example.com" "550 5.7.1 Delivery not authorized, \
relaying denied: <someone@example.com>"
	rcpt "nosuchuser$$@localhost" \
	    "550 5.1.1 Invalid recipient: <nosuchuser$$@localhost>"
	rcpt "gone@localhost" "550 5.1.1 gone away: <gone@localhost>"
	rcpt "later@localhost" "450 4.2.1 try again later: <later@localhost>"
	rcpt "loop1@localhost" \
	    "524 5.2.4 Mailing list expansion problem: <loop1@localhost>"
	check_bad
	postern_healthy
	postern_stop
}
refusals_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case aliases cleanup
aliases_head()
{
	atf_set "descr" "aliases to users, lists, pipes, files, includes"
	atf_set "require.user" "root"
}
aliases_body()
{
	subr
	start_lka
	BAD=
	rcpt "postmaster@localhost" 250		# root -> A
	rcpt "TEAM@localhost" 250		# A, B
	rcpt "team+tag@localhost" 250		# A, B
	rcpt "list@localhost" 250		# A, B
	rcpt "both@localhost" 250		# A once, B
	rcpt "$B+box@localhost" 250		# B
	rcpt "piped@localhost" 250
	rcpt "filed@localhost" 250
	check_bad
	MA=$(postern_maildir "$A")
	MB=$(postern_maildir "$B")
	postern_mailtool wait-count --n 5 --timeout 60 "$MA" >/dev/null ||
	    postern_fail "$A got $(postern_maildir_count "$A") of 5 messages"
	postern_mailtool wait-count --n 5 --timeout 60 "$MB" >/dev/null ||
	    postern_fail "$B got $(postern_maildir_count "$B") of 5 messages"
	n=0
	while [ ! -s "$OUT/piped.msg" ] || [ ! -s "$OUT/filed.mbox" ]; do
		n=$((n + 1))
		[ "$n" -lt 60 ] || postern_fail "pipe or file not delivered"
		sleep 1
	done
	sleep 2
	[ "$(postern_maildir_count "$A")" -eq 5 ] ||
	    BAD="$BAD; $A has $(postern_maildir_count "$A") messages, not 5"
	[ "$(postern_maildir_count "$B")" -eq 5 ] ||
	    BAD="$BAD; $B has $(postern_maildir_count "$B") messages, not 5"
	grep -q 'lka-piped@localhost' "$OUT/piped.msg" ||
	    BAD="$BAD; the pipe did not get the message"
	who=$(cat "$OUT/piped.who")
	[ "$who" = _smtpd ] || [ "$who" = opensmtpd ] ||
	    BAD="$BAD; the alias pipe ran as '$who'"
	grep -q '^From ' "$OUT/filed.mbox" ||
	    BAD="$BAD; the file is not in mbox format"
	grep -q 'lka-filed@localhost' "$OUT/filed.mbox" ||
	    BAD="$BAD; the file did not get the message"
	# The sub-address stays in the delivered-to address.
	grep -rqi "^Delivered-To: $B+box@localhost" "$MB/new" ||
	    BAD="$BAD; no Delivered-To with the sub-address"
	check_bad
	postern_healthy
	postern_stop
}
aliases_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case forward cleanup
forward_head()
{
	atf_set "descr" "~/.forward: copies, pipes as the user, mode checks"
	atf_set "require.user" "root"
}
forward_body()
{
	subr
	start_lka
	BAD=
	HA=$POSTERN_DIR/home/$A
	cat >"$HA/.forward" <<EOF
# keep a copy, give one to B, run a command
\\$A
$B@localhost
"|/bin/sh -c 'id -un > $HA/fwd.who'"
EOF
	chown "$A" "$HA/.forward"
	chmod 644 "$HA/.forward"
	rcpt "$A@localhost" 250
	MA=$(postern_maildir "$A")
	MB=$(postern_maildir "$B")
	postern_mailtool wait-count --n 1 --timeout 60 "$MA" >/dev/null ||
	    postern_fail "$A got no copy"
	postern_mailtool wait-count --n 1 --timeout 60 "$MB" >/dev/null ||
	    postern_fail "$B got no forwarded copy"
	n=0
	while [ ! -s "$HA/fwd.who" ]; do
		n=$((n + 1))
		[ "$n" -lt 60 ] || postern_fail "the .forward pipe did not run"
		sleep 1
	done
	[ "$(cat "$HA/fwd.who")" = "$A" ] ||
	    BAD="$BAD; the .forward pipe ran as $(cat "$HA/fwd.who")"

	# Writable by others: ignored, the mail stays with A.
	chmod 666 "$HA/.forward"
	rcpt "$A@localhost" 250
	postern_mailtool wait-count --n 2 --timeout 60 "$MA" >/dev/null ||
	    postern_fail "$A did not get the second message"
	postern_wait_log "forward.*ignored" 10 ||
	    BAD="$BAD; the refused .forward was not logged"
	sleep 2
	[ "$(postern_maildir_count "$B")" -eq 1 ] ||
	    BAD="$BAD; a group/world-writable .forward was obeyed"

	# A symbolic link is never followed.
	rm -f "$HA/.forward"
	echo "$B@localhost" >"$POSTERN_DIR/target"
	chmod 644 "$POSTERN_DIR/target"
	ln -s "$POSTERN_DIR/target" "$HA/.forward"
	rcpt "$A@localhost" 250
	postern_mailtool wait-count --n 3 --timeout 60 "$MA" >/dev/null ||
	    postern_fail "$A did not get the third message"
	sleep 2
	[ "$(postern_maildir_count "$B")" -eq 1 ] ||
	    BAD="$BAD; a .forward symlink was followed"

	# A home others can write: the .forward is ignored; a sticky
	# home: the recipient is deferred.
	rm -f "$HA/.forward"
	echo "$B@localhost" >"$HA/.forward"
	chown "$A" "$HA/.forward"
	chmod 775 "$HA"
	rcpt "$A@localhost" 250
	postern_wait_log "home $HA is writable by group" 10 ||
	    BAD="$BAD; a group-writable home was not refused"
	chmod 1755 "$HA"
	rcpt "$A@localhost" "451 4.3.0 Temporary failure: <$A@localhost>"
	chmod 755 "$HA"
	sleep 2
	[ "$(postern_maildir_count "$B")" -eq 1 ] ||
	    BAD="$BAD; a .forward in an unsafe home was obeyed"
	check_bad
	postern_healthy
	postern_stop
}
forward_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case root_and_unreadable cleanup
root_and_unreadable_head()
{
	atf_set "descr" "root without alias is refused; no aliases file: 451"
	atf_set "require.user" "root"
}
root_and_unreadable_body()
{
	subr
	postern_setup
	A=lr$$
	postern_useradd "$A"
	postern_conf <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
table aliases "file:@DIR@/no-aliases"
listen on 127.0.0.1 port @PORT@
action "local" maildir
action "aliased" maildir alias <aliases>
match from any for local rcpt-to "@localhost" action "local"
match from any for local action "aliased"
EOF
	postern_start
	BAD=
	rcpt "root@localhost" "550 5.7.1 Delivery to root is not allowed"
	rcpt "$A@localhost" 250
	rcpt "$A@[127.0.0.1]" "451 4.3.0 Temporary failure: <$A@[127.0.0.1]>"
	postern_wait_log "table aliases: .*no-aliases" 5 ||
	    BAD="$BAD; the unreadable table was not logged"
	check_bad
	postern_healthy
	postern_stop
}
root_and_unreadable_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case reload cleanup
reload_head()
{
	atf_set "descr" "SIGHUP reads tables again, keeps unreadable ones"
	atf_set "require.user" "root"
}
reload_body()
{
	subr
	start_lka
	BAD=
	MA=$(postern_maildir "$A")
	MB=$(postern_maildir "$B")
	echo "moved: $A" >>"$POSTERN_DIR/aliases"
	kill -HUP "$POSTERN_PID"
	postern_wait_log "configuration reloaded" 30 ||
	    postern_fail "no reload after SIGHUP"
	rcpt "moved@localhost" 250
	postern_mailtool wait-count --n 1 --timeout 60 "$MA" >/dev/null ||
	    postern_fail "moved@ did not reach $A"

	sed -i "s/^moved: .*/moved: $B/" "$POSTERN_DIR/aliases"
	kill -HUP "$POSTERN_PID"
	n=0
	until [ "$(grep -c 'configuration reloaded' "$POSTERN_LOG")" -ge 2 ]; do
		n=$((n + 1))
		[ "$n" -lt 60 ] || postern_fail "no second reload"
		sleep 0.5
	done
	rcpt "moved@localhost" 250
	postern_mailtool wait-count --n 1 --timeout 60 "$MB" >/dev/null ||
	    postern_fail "after the reload moved@ did not reach $B"

	# The file goes away: the table keeps what it had.
	mv "$POSTERN_DIR/aliases" "$POSTERN_DIR/aliases.away"
	kill -HUP "$POSTERN_PID"
	postern_wait_log "table aliases: .*keeping its previous contents" 30 ||
	    postern_fail "the failed table reload was not logged"
	rcpt "moved@localhost" 250
	postern_mailtool wait-count --n 2 --timeout 60 "$MB" >/dev/null ||
	    postern_fail "with the old contents moved@ did not reach $B"
	sleep 1
	[ "$(postern_maildir_count "$A")" -eq 1 ] ||
	    BAD="$BAD; $A got mail meant for $B"
	check_bad
	postern_healthy
	postern_stop
}
reload_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case virtual cleanup
virtual_head()
{
	atf_set "descr" "virtual domains: per-address, catch-all, forward"
	atf_set "require.user" "root"
}
virtual_body()
{
	subr
	postern_setup
	A=lv$$
	B=lw$$
	postern_useradd "$A"
	postern_useradd "$B"
	cat >"$POSTERN_DIR/virtual" <<EOF
alice@virt.example	$A
sales@virt.example	$A, $B
fw@virt.example		$B@localhost
nobody@virt.example	error:550 5.1.1 no such mailbox here
@virt.example		$B
EOF
	chmod 644 "$POSTERN_DIR/virtual"
	postern_conf <<'EOF'
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
table vmap "file:@DIR@/virtual"
listen on 127.0.0.1 port @PORT@
action "local" maildir
action "virt" maildir virtual <vmap>
match from any for domain "virt.example" action "virt"
match from any for local action "local"
EOF
	postern_start
	BAD=
	rcpt "Alice@virt.example" 250		# A
	rcpt "sales@virt.example" 250		# A, B
	rcpt "fw@virt.example" 250		# B
	rcpt "anyone+x@virt.example" 250	# B
	rcpt "nobody@virt.example" \
	    "550 5.1.1 no such mailbox here: <nobody@virt.example>"
	rcpt "x@other.example" "550 5.7.1 Delivery not authorized"
	check_bad
	postern_mailtool wait-count --n 2 --timeout 60 \
	    "$(postern_maildir "$A")" >/dev/null ||
	    postern_fail "$A got $(postern_maildir_count "$A") of 2"
	postern_mailtool wait-count --n 3 --timeout 60 \
	    "$(postern_maildir "$B")" >/dev/null ||
	    postern_fail "$B got $(postern_maildir_count "$B") of 3"
	sleep 2
	[ "$(postern_maildir_count "$A")" -eq 2 ] ||
	    BAD="$BAD; $A has $(postern_maildir_count "$A") messages"
	[ "$(postern_maildir_count "$B")" -eq 3 ] ||
	    BAD="$BAD; $B has $(postern_maildir_count "$B") messages"
	check_bad
	postern_healthy
	postern_stop
}
virtual_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case refusals
	atf_add_test_case aliases
	atf_add_test_case forward
	atf_add_test_case root_and_unreadable
	atf_add_test_case reload
	atf_add_test_case virtual
}
