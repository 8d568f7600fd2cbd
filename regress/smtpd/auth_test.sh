#! /usr/bin/atf-sh
# SMTP AUTH (RFC 4954) end to end: PLAIN and LOGIN over SMTPS and
# STARTTLS against a credentials table of yescrypt (made by `smtpctl
# encrypt`), bcrypt and SHA-512 crypt hashes and against system
# accounts through PAM; swaks, Python's smtplib and a raw client
# (authclient.py).  Refusals: AUTH before TLS (538), MAIL before AUTH
# on an `auth` listener (530), malformed base64 and PLAIN messages
# (501), a cancelled exchange (501), an unknown mechanism (504), a line
# too long (500), AUTH in a transaction or twice (503), an unreadable
# table (454).  Wrong credentials get 535 after a delay that grows with
# the failures of the address, and past the limit the address gets 454
# without its password being checked.  Secrets never reach the log.
# An authenticated message is delivered with "ESMTPSA" in Received.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# Prints a free port other than those given.
auth_port()
{
	while :; do
		_p=$(postern_free_port)
		case " $* $POSTERN_PORT " in
		*" $_p "*) ;;
		*) echo "$_p"; return 0 ;;
		esac
	done
}

# auth_start [AUTH]: a daemon with a test PKI and three listeners:
#   POSTERN_PORT  smtps, auth <creds>
#   PORT_OPT      STARTTLS offered, auth-optional <creds>
#   PORT_SUB      tls-require, `auth AUTH` (default <creds>; "" = PAM)
# Only authenticated clients may send mail (to local users).  The
# credentials table is $POSTERN_DIR/creds, written by the caller first.
auth_start()
{
	_sub=${1-<creds>}
	PORT_OPT=$(auth_port)
	PORT_SUB=$(auth_port "$PORT_OPT")
	CA=$POSTERN_DIR/certs/ca.crt
	CLIENT=$POSTERN_DIR/authclient.py
	cp "$(atf_config_get top)/regress/smtpd/authclient.py" "$CLIENT"
	# lka reads the table as _smtpd: every directory above it must be
	# searchable.
	_d=$POSTERN_DIR
	while [ "$_d" != / ] && [ -n "$_d" ]; do
		[ -n "$(find "$_d" -maxdepth 0 -perm -o+x)" ] ||
		    chmod o+x "$_d" || atf_fail "chmod o+x $_d"
		_d=$(dirname "$_d")
	done
	[ -f "$POSTERN_DIR/creds" ] && chmod 644 "$POSTERN_DIR/creds"
	sh "$(atf_config_get top)/regress/smtpd/mkcerts.sh" \
	    "$POSTERN_DIR/certs" >"$POSTERN_DIR/mkcerts.log" 2>&1 ||
	    atf_fail "mkcerts.sh: $(tail -5 "$POSTERN_DIR/mkcerts.log")"
	postern_conf <<EOF
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
table creds "file:@DIR@/creds"
pki mail.test cert "@DIR@/certs/rsa.chain.pem"
pki mail.test key "@DIR@/certs/rsa.key"
listen on 127.0.0.1 port @PORT@ smtps pki mail.test auth <creds>
listen on 127.0.0.1 port $PORT_OPT tls pki mail.test auth-optional <creds>
listen on 127.0.0.1 port $PORT_SUB tls-require pki mail.test auth $_sub
action "local" maildir
match from auth for local action "local"
EOF
	postern_start
}

# client PORT TLS STEP...: run authclient.py; its output is in "out".
client()
{
	_port=$1
	_tls=$2
	shift 2
	/usr/bin/python3 "$CLIENT" --port "$_port" --tls "$_tls" --ca "$CA" \
	    "$@" >out 2>&1
	_st=$?
	sed 's/^/    /' out
	[ "$_st" -eq 0 ] || postern_fail "authclient.py failed: $(cat out)"
}

# expect N CODE [TEXT]: the reply to step N (1 = first step) starts with
# CODE (and holds TEXT); collects failures in BAD.
expect()
{
	_got=$(sed -n "$(($1 + 1))p" out)
	case $_got in
	"$2"*) ;;
	*) BAD="$BAD; step $1: got '$_got', want '$2'"; return 1 ;;
	esac
	if [ -n "$3" ] && ! echo "$_got" | grep -qF -- "$3"; then
		BAD="$BAD; step $1: '$_got' lacks '$3'"
		return 1
	fi
	return 0
}

# secs N: the seconds step N took.
secs()
{
	sed -n "$(($1 + 1))p" out | awk '{ print $NF }'
}

# Is a >= b (decimals)?
ge()
{
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'
}

check_bad()
{
	[ -z "$BAD" ] || postern_fail "${BAD#; }"
}

# Does the hash verify the password (crypt(3) through Python)?
crypt_ok()
{
	/usr/bin/python3 -W ignore -c 'import crypt, sys
sys.exit(crypt.crypt(sys.argv[1], sys.argv[2]) != sys.argv[2])' "$1" "$2"
}

have_pycrypt()
{
	/usr/bin/python3 -W ignore -c 'import crypt' 2>/dev/null
}

atf_test_case encrypt
encrypt_head()
{
	atf_set descr "smtpctl encrypt: a yescrypt hash of the argument or of" \
	    "each stdin line, that crypt(3) verifies; no daemon needed"
	atf_set require.user root
}
encrypt_body()
{
	subr
	CTL=$(atf_config_get bindir)/smtpctl
	[ -x "$CTL" ] || atf_fail "no $CTL"
	have_pycrypt || atf_skip "Python's crypt module is missing"
	h=$("$CTL" encrypt 'sekret word') || atf_fail "smtpctl encrypt failed"
	echo "$h"
	case $h in
	'$y$'*) ;;
	*) atf_fail "not a yescrypt hash: $h" ;;
	esac
	crypt_ok 'sekret word' "$h" || atf_fail "$h does not verify"
	crypt_ok 'sekret wore' "$h" && atf_fail "$h verifies a wrong password"
	# Abbreviated, and stdin: one hash per line, empty lines included.
	printf 'one\ntwo words\n\nlast' | "$CTL" enc >hashes ||
	    atf_fail "smtpctl enc (stdin) failed"
	cat hashes
	[ "$(wc -l <hashes)" -eq 4 ] || atf_fail "not 4 hashes"
	i=0
	for pw in one 'two words' '' last; do
		i=$((i + 1))
		crypt_ok "$pw" "$(sed -n "${i}p" hashes)" ||
		    atf_fail "hash $i does not verify '$pw'"
	done
	# The salt is random.
	[ "$("$CTL" encrypt x)" != "$("$CTL" encrypt x)" ] ||
	    atf_fail "two hashes of the same string are equal"
	"$CTL" encrypt a b >/dev/null 2>&1 && atf_fail "two arguments taken"
	return 0
}

atf_test_case hashes cleanup
hashes_head()
{
	atf_set descr "AUTH PLAIN and LOGIN against yescrypt, bcrypt and" \
	    "SHA-512 crypt hashes: right passwords 235, wrong ones 535"
	atf_set require.user root
	atf_set timeout 180
}
hashes_body()
{
	subr
	postern_setup
	have_pycrypt || atf_skip "Python's crypt module is missing"
	yes=$("$POSTERN_BIN/smtpctl" encrypt 'Yes-pass 1') ||
	    atf_fail "smtpctl encrypt"
	if command -v mkpasswd >/dev/null; then
		bc=$(echo 'Bc-pass 2' | mkpasswd -s -m bcrypt)
	else
		bc=$(/usr/bin/python3 -W ignore -c 'import crypt
salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)
print(crypt.crypt("Bc-pass 2", salt))')
	fi
	sha=$(openssl passwd -6 'Sha-pass:3') || atf_fail "openssl passwd -6"
	cat >"$POSTERN_DIR/creds" <<EOF
# user	hash
yes	$yes
bc	$bc
sha	$sha
bad	\$9\$bogus
EOF
	cat "$POSTERN_DIR/creds"
	auth_start
	BAD=
	for t in "yes:Yes-pass 1" "bc:Bc-pass 2" "sha:Sha-pass:3"; do
		u=${t%%:*}
		p=${t#*:}
		# PLAIN with an initial response, over smtps.
		client "$POSTERN_PORT" smtps "AUTH PLAIN {plain:$u:$p}"
		expect 1 "235 2.0.0 Authentication succeeded"
		# LOGIN, user name as the initial response, over STARTTLS.
		client "$PORT_OPT" starttls "AUTH LOGIN {b64:$u}" "{b64:$p}"
		expect 1 "334 UGFzc3dvcmQ6"
		expect 2 "235 2.0.0"
		# PLAIN without initial response; LOGIN in two steps.
		client "$PORT_SUB" starttls "AUTH PLAIN" "{plain:$u:$p}" \
		    "AUTH LOGIN"
		# "334 " with nothing after it, then the seconds.
		sed -n 2p out | grep -qE '^334  [0-9.]+$' ||
		    BAD="$BAD; PLAIN prompt not empty"
		expect 2 "235 "
		expect 3 "503 5.5.1" "Already authenticated"
		client "$PORT_SUB" starttls "AUTH LOGIN" "{b64:$u}" "{b64:$p}"
		expect 1 "334 VXNlcm5hbWU6"
		expect 2 "334 UGFzc3dvcmQ6"
		expect 3 "235 "
	done
	grep -q 'smtp authentication user=yes result=ok' "$POSTERN_LOG" ||
	    BAD="$BAD; no log line for user yes"
	# Wrong passwords, one per hash type, in parallel (each waits for
	# its delay); a user with an invalid hash.
	pids=
	for t in "yes:Yes-pass 2" "bc:bc-pass 2" "sha:Sha-pass:" "bad:x"; do
		/usr/bin/python3 "$CLIENT" --port "$POSTERN_PORT" --tls smtps \
		    --ca "$CA" "AUTH PLAIN {plain:${t%%:*}:${t#*:}}" \
		    >"wrong.${t%%:*}" 2>&1 &
		pids="$pids $!"
	done
	# Not a bare wait: the daemon is a child of this shell too.
	wait $pids
	for u in yes bc sha bad; do
		sed 's/^/    /' "wrong.$u"
		grep -q '^535 5.7.8 Authentication credentials invalid' \
		    "wrong.$u" || BAD="$BAD; wrong password of $u: not 535"
	done
	[ "$(grep -c 'authentication user=[a-z]* result=permfail' \
	    "$POSTERN_LOG")" -eq 4 ] || BAD="$BAD; not 4 permfail log lines"
	grep -q 'credentials of user bad are not a hash' "$POSTERN_LOG" ||
	    BAD="$BAD; the invalid hash was not logged"
	check_bad
	postern_healthy
	postern_stop
}
hashes_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case clients cleanup
clients_head()
{
	atf_set descr "swaks (--tls, --tlsc; PLAIN, LOGIN) and smtplib" \
	    "login(): authenticated mail reaches the Maildir, with ESMTPSA" \
	    "in Received; without AUTH the rule refuses it"
	atf_set require.user root
	atf_set timeout 180
}
clients_body()
{
	subr
	postern_setup
	U=au$$
	postern_useradd "$U"
	h=$("$POSTERN_BIN/smtpctl" encrypt 'Client pass') ||
	    atf_fail "smtpctl encrypt"
	echo "sender@example.org $h" >"$POSTERN_DIR/creds"
	auth_start
	BAD=
	n=0
	if command -v swaks >/dev/null; then
		for mode in "--tls PLAIN $PORT_OPT" \
		    "--tlsc LOGIN $POSTERN_PORT" "--tls LOGIN $PORT_SUB"; do
			set -- $mode
			swaks --server 127.0.0.1 --port "$3" "$1" --auth "$2" \
			    --auth-user sender@example.org \
			    --auth-password 'Client pass' \
			    --from sender@example.org --to "$U@localhost" \
			    --header "Subject: swaks $2 $1" \
			    --timeout 30 >swaks.out 2>&1 ||
			    BAD="$BAD; swaks $mode failed: $(tail -3 swaks.out)"
			grep -q '<~  235 ' swaks.out ||
			    BAD="$BAD; swaks $mode: no 235"
			n=$((n + 1))
		done
	else
		echo "swaks is missing: its part is skipped"
	fi
	/usr/bin/python3 - "$PORT_SUB" "$CA" "$U@localhost" \
	    >py.out 2>&1 <<'EOF' ||
import smtplib, ssl, sys
port, ca, to = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.starttls(context=ctx)
code, text = s.login("sender@example.org", "Client pass")
print(code, text.decode())
s.sendmail("sender@example.org", [to],
           "Subject: smtplib\r\nMessage-ID: <smtplib@test>\r\n\r\nhi\r\n")
s.quit()
EOF
	    BAD="$BAD; smtplib failed: $(tail -3 py.out)"
	cat py.out
	n=$((n + 1))
	# Not authenticated: the only rule wants AUTH.
	client "$PORT_OPT" starttls "MAIL FROM:<sender@example.org>" \
	    "RCPT TO:<$U@localhost>"
	expect 1 "250 "
	expect 2 "550 "
	postern_mailtool wait-count --n "$n" --timeout 60 \
	    "$(postern_maildir "$U")" >/dev/null ||
	    BAD="$BAD; $n messages expected in the Maildir"
	for f in "$(postern_maildir "$U")"/new/*; do
		sed -n '/^Received:/,/^[^ 	]/p' "$f" | head -4
		grep -q 'with ESMTPSA' "$f" ||
		    BAD="$BAD; $(basename "$f"): Received without ESMTPSA"
	done
	check_bad
	postern_healthy
	postern_stop
}
clients_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case pam cleanup
pam_head()
{
	atf_set descr "auth without a table: a system account made in the" \
	    "test, through PAM service smtpd; a wrong password gets 535"
	atf_set require.user root
	atf_set timeout 120
}
pam_body()
{
	subr
	postern_setup
	command -v chpasswd >/dev/null || atf_skip "chpasswd is missing"
	U=ap$$
	postern_useradd "$U"
	echo "$U:Pam pass-7" | chpasswd || atf_fail "chpasswd"
	: >"$POSTERN_DIR/creds"
	auth_start ""
	BAD=
	client "$PORT_SUB" starttls "MAIL FROM:<$U@localhost>" \
	    "AUTH PLAIN {plain:$U:Pam pass-7}" "MAIL FROM:<$U@localhost>" \
	    "RCPT TO:<$U@localhost>" DATA "{msg:pam-$$@test}"
	expect 1 "530 5.7.0 Must issue an AUTH command first"
	expect 2 "235 "
	expect 3 "250 "
	expect 4 "250 "
	expect 6 "250 "
	client "$PORT_SUB" starttls "AUTH LOGIN {b64:$U}" "{b64:Pam pass-8}"
	expect 2 "535 5.7.8"
	client "$PORT_SUB" starttls "AUTH PLAIN {plain:nosuch$$:Pam pass-7}"
	expect 1 "535 5.7.8"
	grep -q "authentication user=$U result=ok" "$POSTERN_LOG" ||
	    BAD="$BAD; no ok log line"
	[ "$(grep -c 'result=permfail' "$POSTERN_LOG")" -eq 2 ] ||
	    BAD="$BAD; not 2 permfail log lines"
	postern_mailtool wait-count --n 1 --timeout 60 \
	    "$(postern_maildir "$U")" >/dev/null ||
	    BAD="$BAD; the message did not arrive"
	check_bad
	postern_healthy
	postern_stop
}
pam_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case refusals cleanup
refusals_head()
{
	atf_set descr "538 before TLS, 530 MAIL before AUTH, 501 bad base64" \
	    "and PLAIN, 501 cancel, 504 mechanism, 500 long line, 503 in a" \
	    "transaction and twice, 454 unreadable table; no secret logged"
	atf_set require.user root
	atf_set timeout 120
}
refusals_body()
{
	subr
	postern_setup
	h=$("$POSTERN_BIN/smtpctl" encrypt 'Refusal-pass') ||
	    atf_fail "smtpctl encrypt"
	echo "ref $h" >"$POSTERN_DIR/creds"
	auth_start
	BAD=
	# Plaintext: no AUTH offered, 538 when tried.
	client "$PORT_OPT" none "AUTH PLAIN {plain:ref:Refusal-pass}" \
	    "AUTH LOGIN" NOOP
	grep -q '^EHLO.*AUTH' out && BAD="$BAD; AUTH offered before TLS"
	grep -q '^EHLO.*STARTTLS' out || BAD="$BAD; STARTTLS not offered"
	expect 1 "538 5.7.11 Encryption required"
	expect 2 "538 "
	expect 3 "250 "
	# tls-require + auth: MAIL refused until AUTH, AUTH offered.
	client "$PORT_SUB" starttls "MAIL FROM:<a@example.org>" \
	    "AUTH PLAIN !!!!" "AUTH PLAIN" "bm90IGJhc2U2NA" "AUTH PLAIN" \
	    "{b64:ref:Refusal-pass}" "AUTH PLAIN {b64:x\\0}" \
	    "AUTH LOGIN" "*" "AUTH PLAIN" "*" "AUTH CRAM-MD5" "AUTH" \
	    "AUTH LOGIN" "{long:3000}" NOOP \
	    "AUTH PLAIN {plain:ref:Refusal-pass}" "AUTH LOGIN"
	grep -q '^EHLO.*AUTH PLAIN LOGIN' out || BAD="$BAD; AUTH not offered"
	expect 1 "530 5.7.0 Must issue an AUTH command first"
	expect 2 "501 5.5.2"
	expect 3 "334 "
	expect 4 "501 5.5.2"
	expect 5 "334 "
	expect 6 "501 5.5.2"
	expect 7 "501 5.5.2"
	expect 8 "334 VXNlcm5hbWU6"
	expect 9 "501 5.7.0 Authentication cancelled"
	expect 10 "334 "
	expect 11 "501 5.7.0 Authentication cancelled"
	expect 12 "504 5.7.4 Security features not supported" \
	    'AUTH method "CRAM-MD5" not supported'
	expect 13 "501 5.5.4"
	expect 14 "334 VXNlcm5hbWU6"
	expect 15 "500 5.5.6 Authentication Exchange line is too long"
	expect 16 "250 "
	expect 17 "235 "
	expect 18 "503 5.5.1" "Already authenticated"
	# auth-optional: mail without AUTH is taken (the rule decides), and
	# AUTH is refused inside a transaction.
	client "$PORT_OPT" starttls "MAIL FROM:<a@example.org>" \
	    "AUTH PLAIN {plain:ref:Refusal-pass}" RSET \
	    "AUTH PLAIN {plain:ref:Refusal-pass}"
	expect 1 "250 "
	expect 2 "503 5.5.1" "transaction"
	expect 3 "250 "
	expect 4 "235 "
	# Neither the password nor its base64 form is in the log.
	grep -F 'Refusal-pass' "$POSTERN_LOG" && BAD="$BAD; password logged"
	b=$(printf '\0ref\0Refusal-pass' | base64)
	grep -F "$b" "$POSTERN_LOG" && BAD="$BAD; base64 credentials logged"
	grep -q 'command="AUTH PLAIN \*\*\*\*"' "$POSTERN_LOG" ||
	    BAD="$BAD; the masked command is not logged"
	check_bad
	postern_healthy
	postern_stop
}
refusals_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case tempfail cleanup
tempfail_head()
{
	atf_set descr "a credentials table that cannot be read: 454 4.7.0" \
	    "Temporary authentication failure, logged result=tempfail"
	atf_set require.user root
	atf_set timeout 60
}
tempfail_body()
{
	subr
	postern_setup
	auth_start
	BAD=
	client "$POSTERN_PORT" smtps "AUTH PLAIN {plain:ref:x}" NOOP
	expect 1 "454 4.7.0 Temporary authentication failure"
	expect 2 "250 "
	grep -q 'authentication user=ref result=tempfail' "$POSTERN_LOG" ||
	    BAD="$BAD; no tempfail log line"
	check_bad
	postern_healthy
	postern_stop
}
tempfail_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case delay cleanup
delay_head()
{
	atf_set descr "535 comes after 1 s, then 2 s for the next failure of" \
	    "the address; past 5 failures AUTH gets 454 without a check," \
	    "even with the right password"
	atf_set require.user root
	atf_set timeout 180
}
delay_body()
{
	subr
	postern_setup
	h=$("$POSTERN_BIN/smtpctl" encrypt 'Delay-pass') ||
	    atf_fail "smtpctl encrypt"
	echo "del $h" >"$POSTERN_DIR/creds"
	auth_start
	BAD=
	client "$POSTERN_PORT" smtps "AUTH PLAIN {plain:del:wrong1}" \
	    "AUTH PLAIN {plain:del:wrong2}" NOOP
	expect 1 "535 5.7.8"
	expect 2 "535 5.7.8"
	expect 3 "250 "
	t1=$(secs 1)
	t2=$(secs 2)
	ge "$t1" 0.9 || BAD="$BAD; first 535 after $t1 s"
	ge "$t2" 1.9 || BAD="$BAD; second 535 after $t2 s"
	ge "$t2" "$(awk -v a="$t1" 'BEGIN { print a + 0.5 }')" ||
	    BAD="$BAD; no growth: $t1 s then $t2 s"
	# Three more at once reach the limit (delays 4, 8, 16 s).
	pids=
	for i in 3 4 5; do
		/usr/bin/python3 "$CLIENT" --port "$POSTERN_PORT" --tls smtps \
		    --ca "$CA" "AUTH LOGIN {b64:del}" "{b64:wrong$i}" \
		    >"wrong.$i" 2>&1 &
		pids="$pids $!"
	done
	wait $pids
	for i in 3 4 5; do
		sed 's/^/    /' "wrong.$i"
		grep -q '^535 ' "wrong.$i" || BAD="$BAD; failure $i: no 535"
	done
	n=$(grep -c 'result=permfail' "$POSTERN_LOG")
	[ "$n" -eq 5 ] || BAD="$BAD; $n permfail log lines, not 5"
	client "$PORT_OPT" starttls "AUTH PLAIN {plain:del:Delay-pass}" \
	    "AUTH LOGIN" NOOP
	expect 1 "454 4.7.0 Too many authentication failures"
	expect 2 "454 4.7.0"
	expect 3 "250 "
	ge 0.5 "$(secs 1)" || BAD="$BAD; the 454 took $(secs 1) s"
	grep -q 'user=del result=ok' "$POSTERN_LOG" &&
	    BAD="$BAD; the blocked address was checked"
	check_bad
	postern_healthy
	postern_stop
}
delay_cleanup()
{
	subr
	postern_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case encrypt
	atf_add_test_case hashes
	atf_add_test_case clients
	atf_add_test_case pam
	atf_add_test_case refusals
	atf_add_test_case tempfail
	atf_add_test_case delay
}
