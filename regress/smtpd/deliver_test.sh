#! /usr/bin/atf-sh
# Local delivery end to end: a message sent over SMTP to a test user
# (created here, home under the test's work directory) arrives through
# each delivery method, written by that user (file ownership checked):
# maildir (with junk), mbox (against a concurrent writer holding the
# lock), lmtp (a Python LMTP server on loopback that rejects one of two
# recipients: one delivered, one bounced), an mda command that exits 75
# once then 0 (retried, delivered once), an mda command's environment,
# and root refused.  mda logs one line per delivery attempt.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# start_deliver ACTION-LINES: the daemon with the given action lines
# (named "deliver"), every local recipient matched to it.
start_deliver()
{
	postern_setup
	{
		cat <<'EOF'
queue path "@SPOOL@"
queue retry-delay 1s
control socket "@SOCK@"
pidfile "@PIDFILE@"
listen on 127.0.0.1 port @PORT@
EOF
		echo "$1"
		echo 'match from local for local action "deliver"'
	} | postern_conf
}

owner_of()
{
	stat -c %U "$1"
}

# mda_line USER RESULT: wait for mda's delivery line for USER.
mda_line()
{
	postern_wait_log "mda delivery evpid=[0-9a-f]{16} from=<[^>]*> \
to=<$1@localhost> (rcpt=<[^>]*> )?user=$1 delay=[0-9a-z]+ result=$2 stat=" 60
}

cleanup_all()
{
	postern_cleanup
	[ -f lmtp.pid ] && kill "$(cat lmtp.pid)" 2>/dev/null
	[ -f writer.pid ] && kill "$(cat writer.pid)" 2>/dev/null
	if [ -f .mboxes ]; then
		for f in $(cat .mboxes); do
			rm -f "$f" "$f.lock"
		done
	fi
	postern_userdel_all
}

atf_test_case maildir cleanup
maildir_head()
{
	atf_set descr "maildir and its junk folder, written as the user"
	atf_set timeout 120
}
maildir_body()
{
	subr
	start_deliver 'action "deliver" maildir junk'
	U=pd$$
	postern_useradd "$U"
	postern_start
	printf 'Subject: ham\n\nham\n' >ham.eml
	printf 'X-Spam: Yes\nSubject: spam\n\nspam\n' >spam.eml
	postern_send s@example.org "$U@localhost" ham.eml >/dev/null ||
	    postern_fail "send ham"
	postern_send s@example.org "$U@localhost" spam.eml >/dev/null ||
	    postern_fail "send spam"
	md=$(postern_maildir "$U")
	postern_mailtool wait-count --n 1 --timeout 60 "$md" >/dev/null ||
	    postern_fail "ham not delivered"
	postern_mailtool wait-count --n 1 --timeout 60 "$md/.Junk" \
	    >/dev/null || postern_fail "spam not in .Junk"
	for f in "$md" "$md/new" "$md/.Junk" "$md"/new/* "$md"/.Junk/new/*; do
		[ "$(owner_of "$f")" = "$U" ] ||
		    postern_fail "$f belongs to $(owner_of "$f")"
	done
	[ "$(stat -c %a "$md"/new/*)" = 600 ] || postern_fail "mode"
	grep -q '^Subject: ham$' "$md"/new/* || postern_fail "wrong message"
	[ -z "$(ls "$md/tmp")" ] || postern_fail "tmp/ not empty"
	mda_line "$U" Ok
	postern_healthy
	postern_stop
}
maildir_cleanup()
{
	subr
	cleanup_all
}

atf_test_case mbox cleanup
mbox_head()
{
	atf_set descr "mbox: appended as the user while a concurrent writer \
holds the lock; a missing mbox is a temporary failure"
	atf_set timeout 180
}
mbox_body()
{
	subr
	[ -d /var/mail ] || atf_skip "no /var/mail"
	start_deliver 'action "deliver" mbox'
	U=pm$$
	V=pn$$
	postern_useradd "$U"
	postern_useradd "$V"
	# Postern never delivers as root: the mbox must exist, the user's.
	MBOX=/var/mail/$U
	echo "$MBOX" >.mboxes
	echo "/var/mail/$V" >>.mboxes
	install -m 600 -o "$U" -g "$U" /dev/null "$MBOX"
	postern_start

	# A writer that holds the fcntl lock for 4 seconds.
	/usr/bin/python3 - "$MBOX" <<'EOF' &
import fcntl, sys, time
with open(sys.argv[1], "a") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    open("writer.locked", "w").close()
    f.write("From writer@example.org Mon Jan  1 00:00:00 2024\n")
    f.flush()
    time.sleep(4)
    f.write("Subject: writer\n\nFrom the writer\n\n")
    f.flush()
EOF
	echo $! >writer.pid
	n=0
	while [ ! -f writer.locked ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	printf 'Subject: mbox\n\nFrom here\n>From there\nbody\n' >m.eml
	postern_send sender@example.org "$U@localhost" m.eml >/dev/null ||
	    postern_fail "send"
	mda_line "$U" Ok
	wait "$(cat writer.pid)"
	rm -f writer.pid
	[ "$(owner_of "$MBOX")" = "$U" ] || postern_fail "mbox owner changed"
	# The writer's message whole, then ours with quoted From lines.
	MBOXTEXT=$(tr '\n' '|' <"$MBOX")
	/usr/bin/python3 - "$MBOX" <<'EOF' || postern_fail "mbox: $MBOXTEXT"
import re, sys
t = open(sys.argv[1]).read()
w = ("From writer@example.org Mon Jan  1 00:00:00 2024\n"
     "Subject: writer\n\nFrom the writer\n\n")
assert t.startswith(w), "writer cut"
rest = t[len(w):]
assert re.match(r"From sender@example\.org \w{3} \w{3} [ \d]\d "
                r"\d\d:\d\d:\d\d \d{4}\n", rest), rest[:80]
assert "\nReturn-Path: <sender@example.org>\n" in rest
assert "\nSubject: mbox\n\n>From here\n>>From there\nbody\n\n" in rest
assert rest.endswith("body\n\n")
EOF
	[ ! -e "$MBOX.lock" ] || postern_fail "dotlock left"

	# No mbox for V and /var/mail is not the user's: retried, not lost.
	if [ "$(stat -c %U /var/mail)" = root ] && [ ! -e "/var/mail/$V" ]; then
		postern_send sender@example.org "$V@localhost" m.eml \
		    >/dev/null || postern_fail "send"
		mda_line "$V" TempFail
		grep "user=$V .*result=TempFail" "$POSTERN_LOG" |
		    grep -q 'must exist' || postern_fail "no clear reason"
		[ ! -e "/var/mail/$V" ] || postern_fail "mbox created"
	fi
	postern_healthy
	postern_stop
}
mbox_cleanup()
{
	subr
	cleanup_all
}

# start_lmtp [--reject X]...: the LMTP server on a free port ($LPORT).
start_lmtp()
{
	LPORT=$(postern_free_port)
	mkdir -p lmtp.out
	/usr/bin/python3 "$(atf_config_get top)/regress/smtpd/lmtpserver.py" \
	    --port "$LPORT" --out lmtp.out "$@" >lmtp.log 2>&1 &
	echo $! >lmtp.pid
	n=0
	while [ ! -f lmtp.out/ready ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -f lmtp.out/ready ] || atf_fail "LMTP server did not start"
}

atf_test_case lmtp cleanup
lmtp_head()
{
	atf_set descr "lmtp to a server on loopback that rejects one of two \
recipients: one delivered, one bounced"
	atf_set timeout 120
}
lmtp_body()
{
	subr
	U=pl$$
	V=pr$$
	start_lmtp --reject "$V"
	start_deliver "action \"deliver\" lmtp \"127.0.0.1:$LPORT\""
	postern_useradd "$U"
	postern_useradd "$V"
	postern_start
	printf 'Subject: lmtp\n\n.dot\nbody\n' >m.eml
	postern_send sender@example.org "$U@localhost" m.eml \
	    --to "$V@localhost" >/dev/null || postern_fail "send"
	mda_line "$U" Ok
	mda_line "$V" PermFail
	grep "user=$V .*result=PermFail" "$POSTERN_LOG" |
	    grep -q "stat=5.1.1 <$V> rejected by lmtpserver" ||
	    postern_fail "the server's reply is not the error"
	[ "$(ls lmtp.out | grep -c "\.$U\$")" = 1 ] ||
	    postern_fail "not delivered once: $(ls lmtp.out | tr "\n" " ")"
	ls lmtp.out | grep -q "\.$V\$" && postern_fail "rejected but stored"
	f=$(ls lmtp.out/*."$U")
	grep -q '^Return-Path: <sender@example.org>$' "$f" ||
	    postern_fail "no Return-Path"
	grep -q "^Delivered-To: $U@localhost\$" "$f" ||
	    postern_fail "no Delivered-To"
	grep -q '^\.dot$' "$f" || postern_fail "dot-stuffing broken"
	grep -q "^RCPT TO:<$U>\$" lmtp.out/commands.log ||
	    postern_fail "RCPT TO is not the user name"
	grep -q "^LHLO " lmtp.out/commands.log || postern_fail "no LHLO"
	postern_healthy
	postern_stop
}
lmtp_cleanup()
{
	subr
	cleanup_all
}

atf_test_case mda_retry cleanup
mda_retry_head()
{
	atf_set descr "an mda command exiting 75 is retried, then delivered \
once, as the user, with OpenSMTPD's environment"
	atf_set timeout 120
}
mda_retry_body()
{
	subr
	U=pa$$
	postern_setup
	install -d -m 755 bin
	cat >bin/mda.sh <<'EOF'
#!/bin/sh
# First call: temporary failure; later: keep the message and the env.
if [ ! -e "$HOME/tried" ]; then
	: >"$HOME/tried"
	echo "first try" >&2
	echo "4.2.0 come back later" >&2
	exit 75
fi
cat >"$HOME/got.$$"
env | sort >"$HOME/env.$$"
printf '%s\n' "$@" >"$HOME/args.$$"
exit 0
EOF
	chmod 755 bin/mda.sh
	MDA="$(pwd -P)/bin/mda.sh %{rcpt} %{sender.user}"
	start_deliver "action \"deliver\" mda \"$MDA\""
	postern_useradd "$U"
	postern_start
	printf 'Subject: mda\n\nbody\n' >m.eml
	postern_send "s'x@example.org" "$U+tag@localhost" m.eml >/dev/null ||
	    postern_fail "send"
	postern_wait_log "to=<$U(\+tag)?@localhost> (rcpt=<[^>]*> )?user=$U \
delay=[0-9a-z]+ result=TempFail stat=4\.2\.0 come back later" 60
	postern_wait_log "to=<$U(\+tag)?@localhost> (rcpt=<[^>]*> )?user=$U \
delay=[0-9a-z]+ result=Ok stat=Delivered" 60
	home=$POSTERN_DIR/home/$U
	sleep 2
	[ "$(ls "$home" | grep -c '^got\.')" = 1 ] ||
	    postern_fail "not delivered exactly once:" \
	    "$(ls "$home" | tr "\n" " ")"
	got=$(ls "$home"/got.*)
	[ "$(owner_of "$got")" = "$U" ] || postern_fail "written as root?"
	grep -q '^Subject: mda$' "$got" || postern_fail "message"
	grep -q "^Delivered-To: $U+tag@localhost\$" "$got" ||
	    postern_fail "Delivered-To"
	env=$(cat "$home"/env.*)
	for v in "HOME=$home" "USER=$U" "LOGNAME=$U" "SHELL=/bin/sh" \
	    "SENDER=s'x@example.org" "RECIPIENT=$U+tag@localhost" \
	    "ORIGINAL_RECIPIENT=$U+tag@localhost" "DOMAIN=localhost" \
	    "LOCAL=$U+tag" "EXTENSION=tag" "PATH=/usr/bin:/bin"; do
		echo "$env" | grep -qxF "$v" ||
		    postern_fail "environment lacks $v: $env"
	done
	# %{sender.user} with its quote, one argument, sanitised (' -> :)
	[ "$(cat "$home"/args.*)" = "$U+tag@localhost
s:x" ] || postern_fail "arguments: $(cat "$home"/args.*)"
	postern_healthy
	postern_stop
}
mda_retry_cleanup()
{
	subr
	cleanup_all
}

atf_test_case root_refused cleanup
root_refused_head()
{
	atf_set descr "mail for root, or for a user of group root, is never \
delivered"
	atf_set timeout 60
}
root_refused_body()
{
	subr
	start_deliver 'action "deliver" maildir "@DIR@/rootmail"'
	postern_start
	out=$(postern_mailtool rcpt --port "$POSTERN_PORT" \
	    --from s@example.org --to "<root@localhost>" 2>&1)
	case $out in
	5*) ;;
	*) postern_fail "RCPT TO root: $out" ;;
	esac
	sleep 1
	[ ! -e "$POSTERN_DIR/rootmail" ] || postern_fail "delivered to root"

	# A user whose group is root (gid 0): lka lets it through, the
	# parent refuses to fork the delivery, the mail bounces.
	G=pg$$
	install -d -m 755 "$POSTERN_DIR/home"
	useradd -M -g 0 -d "$POSTERN_DIR/home/$G" -s /usr/sbin/nologin "$G" ||
	    atf_fail "useradd $G"
	echo "$G" >>"$POSTERN_DIR/.postern_users"
	install -d -m 755 -o "$G" -g 0 "$POSTERN_DIR/home/$G"
	postern_send s@example.org "$G@localhost" >/dev/null ||
	    postern_fail "send to $G"
	mda_line "$G" PermFail
	grep "user=$G .*result=PermFail" "$POSTERN_LOG" |
	    grep -q 'stat=5.7.1 not allowed to deliver to: root' ||
	    postern_fail "no refusal from the parent"
	[ ! -e "$POSTERN_DIR/rootmail" ] || postern_fail "delivered as gid 0"
	postern_healthy
	postern_stop
}
root_refused_cleanup()
{
	subr
	cleanup_all
}

atf_test_case paused cleanup
paused_head()
{
	atf_set descr "smtpd -P mda: mail is accepted and kept, not delivered"
	atf_set timeout 60
}
paused_body()
{
	subr
	start_deliver 'action "deliver" maildir'
	U=pp$$
	postern_useradd "$U"
	postern_start -P mda
	postern_wait_log "mda_pause: mda is paused" 10
	postern_send s@example.org "$U@localhost" >/dev/null ||
	    postern_fail "send"
	sleep 3
	[ "$(postern_maildir_count "$U")" = 0 ] ||
	    postern_fail "delivered while paused"
	[ -n "$(postern_spool_envelopes mda)" ] ||
	    postern_fail "the message is not in the queue"
	grep -q "mda delivery" "$POSTERN_LOG" &&
	    postern_fail "a delivery was attempted"
	postern_healthy
	postern_stop
}
paused_cleanup()
{
	subr
	cleanup_all
}

atf_test_case limits cleanup
limits_head()
{
	atf_set descr "mda limit max-session-per-user 1: one delivery at a \
time per user, while two users are served at once"
	atf_set timeout 120
}
limits_body()
{
	subr
	U=pu$$
	V=pv$$
	postern_setup
	install -d -m 1777 shared
	install -d -m 755 bin
	# Marks an overlap for one user, and two users served at once.
	{
		echo '#!/bin/sh'
		echo "S=$(pwd -P)/shared"
		cat <<'SCRIPT'
mkdir "$S/$USER.busy" 2>/dev/null || : >"$S/overlap.$USER"
[ "$(ls -d "$S"/*.busy | wc -l)" -ge 2 ] && : >"$S/cross.$USER"
cat >/dev/null
sleep 1
[ "$(ls -d "$S"/*.busy | wc -l)" -ge 2 ] && : >"$S/cross.$USER"
rmdir "$S/$USER.busy"
: >"$S/done.$USER.$$"
SCRIPT
	} >bin/slow.sh
	chmod 755 bin/slow.sh
	start_deliver "mda limit max-session-per-user 1
action \"deliver\" mda \"$(pwd -P)/bin/slow.sh\""
	postern_useradd "$U"
	postern_useradd "$V"
	postern_start
	for i in 1 2 3; do
		postern_send s@example.org "$U@localhost" >/dev/null ||
		    postern_fail "send $i"
		postern_send s@example.org "$V@localhost" >/dev/null ||
		    postern_fail "send $i"
	done
	n=0
	while [ "$(ls shared | grep -c '^done\.')" -lt 6 ]; do
		n=$((n + 1))
		[ $n -lt 60 ] ||
		    postern_fail "not all delivered: $(ls shared | tr "\n" " ")"
		sleep 1
	done
	if ls shared | grep -q '^overlap'; then
		postern_fail "two deliveries for one user at once:" \
		    "$(ls shared | tr "\n" " ")"
	fi
	ls shared | grep -q '^cross\.' ||
	    postern_fail "the two users were never served at once"
	postern_healthy
	postern_stop
}
limits_cleanup()
{
	subr
	cleanup_all
}

atf_test_case hostile_rcpt cleanup
hostile_rcpt_head()
{
	atf_set descr "shell syntax in a recipient's sub-address reaches an \
mda command as one literal argument (the CVE-2020-7247 class)"
	atf_set timeout 120
}
hostile_rcpt_body()
{
	subr
	U=ph$$
	postern_setup
	install -d -m 755 bin
	cat >bin/args.sh <<'SCRIPT'
#!/bin/sh
cat >/dev/null
printf '[%s]\n' "$@" >>"$HOME/args"
SCRIPT
	chmod 755 bin/args.sh
	PWN=/tmp/pw$$
	echo "$PWN" >.pwn
	MDA="$(pwd -P)/bin/args.sh %{rcpt.user:raw} '%{rcpt.user:raw}'"
	MDA="$MDA \\\"%{rcpt.user:raw}\\\" x%{rcpt:raw|lowercase}"
	start_deliver "action \"deliver\" mda \"$MDA\""
	postern_useradd "$U"
	postern_start
	# Each a valid quoted local part; the tag holds shell syntax.
	n=0
	for tag in "\$(touch $PWN)" "\`touch $PWN\`" "'; touch $PWN; '" \
	    "\\\"; touch $PWN; \\\"" "a b;touch $PWN|x&"; do
		n=$((n + 1))
		postern_send s@example.org "\"$U+$tag\"@localhost" \
		    >send.out 2>&1 ||
		    postern_fail "send $n: $(tr '\n' ' ' <send.out)"
	done
	home=$POSTERN_DIR/home/$U
	i=0
	while [ "$(grep -c . "$home/args" 2>/dev/null)" -lt $((n * 4)) ]; do
		i=$((i + 1))
		[ $i -lt 60 ] ||
		    postern_fail "not delivered: $(tr '\n' ' ' <"$home/args")"
		sleep 1
	done
	[ ! -e "$PWN" ] || postern_fail "a recipient ran a command"
	# Every argument is the raw local part, whatever quoting surrounds it.
	for tag in "\$(touch $PWN)" "\`touch $PWN\`" "'; touch $PWN; '" \
	    "\"; touch $PWN; \"" "a b;touch $PWN|x&"; do
		want="[$U+$tag]"
		[ "$(grep -cxF -- "$want" "$home/args")" = 3 ] ||
		    postern_fail "argument $want not seen 3 times:" \
		    "$(tr '\n' ' ' <"$home/args")"
	done
	postern_healthy
	postern_stop
}
hostile_rcpt_cleanup()
{
	subr
	[ -f .pwn ] && rm -f "$(cat .pwn)"
	cleanup_all
}

atf_test_case lmtp_unix cleanup
lmtp_unix_head()
{
	atf_set descr "lmtp to a UNIX socket with rcpt-to: the recipient \
address is given to the server, the connection is the user's"
	atf_set timeout 120
}
lmtp_unix_body()
{
	subr
	U=px$$
	postern_setup
	mkdir -p lmtp.out
	/usr/bin/python3 "$(atf_config_get top)/regress/smtpd/lmtpserver.py" \
	    --unix "$POSTERN_DIR/lmtp.sock" --out lmtp.out >lmtp.log 2>&1 &
	echo $! >lmtp.pid
	n=0
	while [ ! -f lmtp.out/ready ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -f lmtp.out/ready ] || atf_fail "LMTP server did not start"
	start_deliver "action \"deliver\" lmtp \"$POSTERN_DIR/lmtp.sock\" \
rcpt-to"
	postern_useradd "$U"
	postern_start
	printf 'Subject: unix\n\nbody\n' >m.eml
	postern_send sender@example.org "$U+box@localhost" m.eml >/dev/null ||
	    postern_fail "send"
	postern_wait_log "user=$U delay=[0-9a-z]+ result=Ok stat=Delivered" 60
	grep -q "^RCPT TO:<$U+box@localhost>\$" lmtp.out/commands.log ||
	    postern_fail "RCPT TO: $(tr '\n' ' ' <lmtp.out/commands.log)"
	[ "$(ls lmtp.out | grep -c "^[0-9]*\.$U+box@localhost\$")" = 1 ] ||
	    postern_fail "not stored once: $(ls lmtp.out | tr '\n' ' ')"
	postern_healthy
	postern_stop
}
lmtp_unix_cleanup()
{
	subr
	cleanup_all
}

atf_init_test_cases()
{
	atf_add_test_case lmtp_unix
	atf_add_test_case hostile_rcpt
	atf_add_test_case limits
	atf_add_test_case paused
	atf_add_test_case maildir
	atf_add_test_case mbox
	atf_add_test_case lmtp
	atf_add_test_case mda_retry
	atf_add_test_case root_refused
}
