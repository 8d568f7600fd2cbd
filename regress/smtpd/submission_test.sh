#! /usr/bin/atf-sh
# The submission service end to end: `listen ... tls-require auth
# <creds> senders <users> [masquerade]` with `match from auth for any`.
# MAIL before STARTTLS and before AUTH gets 530; after AUTH a message to
# a foreign domain is accepted and arrives at a sink on loopback (an
# LMTP server: relay delivery is not active yet) byte for byte, with our
# Received field and a Date: and Message-ID: added at the end of its
# header section, through DATA and BDAT.  The same message from an
# unauthenticated session on a plain loopback listener is refused
# (550 relaying denied), and local mail taken there is stored exactly
# as sent (no Date/Message-ID: loopback is not "local submission").
# senders: owned addresses, @domain entries, sub-addresses pass; a
# forged sender, the null sender and a user without an entry get
# 553 5.7.1.  masquerade rewrites From: (keeping the display name) or
# adds it.  Date/Message-ID present in odd case, spaced or folded are
# left alone; a message without a header section gets them before an
# added empty line.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# A free port other than those given and POSTERN_PORT.
sub_port()
{
	while :; do
		_p=$(postern_free_port)
		case " $* $POSTERN_PORT " in
		*" $_p "*) ;;
		*) echo "$_p"; return 0 ;;
		esac
	done
}

# crypt(3) hash of $1: smtpctl encrypt, else SHA-512 crypt by openssl.
sub_hash()
{
	"$POSTERN_BIN/smtpctl" encrypt "$1" 2>/dev/null && return 0
	command -v openssl >/dev/null 2>&1 ||
	    atf_skip "neither smtpctl encrypt nor openssl can hash a password"
	openssl passwd -6 "$1"
}

# The SMTP client: sub_client PORT STEP...; one line per step in "out":
# "VERB CODE TEXT" (see the script).
sub_write_client()
{
	cat >"$POSTERN_DIR/subclient.py" <<'EOF'
#!/usr/bin/python3
# subclient.py --port P --ca FILE STEP...: EHLO, then each STEP:
#   starttls | auth:USER:PASS (PLAIN) | mail:ADDR | rcpt:ADDR | rset |
#   data:FILE | bdat:FILE (two chunks, the second LAST)
# FILE is the message in stored form (LF line ends).  Prints
# "VERB CODE TEXT" per step, "EOF" if the server hangs up.
import argparse
import base64
import smtplib
import ssl
import sys

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--ca", required=True)
p.add_argument("steps", nargs="*")
a = p.parse_args()
s = smtplib.SMTP("127.0.0.1", a.port, local_hostname="client.test",
                 timeout=60)
s.ehlo()
for step in a.steps:
    verb, _, arg = step.partition(":")
    try:
        if verb == "starttls":
            ctx = ssl.create_default_context(cafile=a.ca)
            code, msg = s.starttls(context=ctx)
            s.ehlo()
        elif verb == "auth":
            user, _, pw = arg.partition(":")
            tok = base64.b64encode(b"\0" + user.encode() + b"\0" +
                                   pw.encode()).decode()
            code, msg = s.docmd("AUTH", "PLAIN " + tok)
        elif verb == "mail":
            code, msg = s.docmd("MAIL", "FROM:<%s>" % arg)
        elif verb == "rcpt":
            code, msg = s.docmd("RCPT", "TO:<%s>" % arg)
        elif verb == "rset":
            code, msg = s.docmd("RSET")
        elif verb == "data":
            # smtplib leaves the line ends of bytes alone.
            with open(arg, "rb") as f:
                code, msg = s.data(f.read().replace(b"\n", b"\r\n"))
        elif verb == "bdat":
            with open(arg, "rb") as f:
                data = f.read().replace(b"\n", b"\r\n")
            half = len(data) // 2
            s.putcmd("BDAT", "%d" % half)
            s.send(data[:half])
            code, msg = s.getreply()
            if code == 250:
                s.putcmd("BDAT", "%d LAST" % (len(data) - half))
                s.send(data[half:])
                code, msg = s.getreply()
        else:
            sys.exit("unknown step " + step)
    except smtplib.SMTPResponseException as e:
        code, msg = e.smtp_code, e.smtp_error
    except smtplib.SMTPServerDisconnected:
        print("EOF")
        break
    if isinstance(msg, bytes):
        msg = msg.decode("latin-1")
    print("%s %d %s" % (verb, code, msg.replace("\n", " ")), flush=True)
try:
    s.quit()
except Exception:
    pass
EOF
	cat >"$POSTERN_DIR/subcheck.py" <<'EOF'
#!/usr/bin/python3
# subcheck.py FILE EXPECTED PROTO HOST: FILE is what the sink stored.
# Before our Received field only Return-Path/Delivered-To may come; the
# Received field must say "by HOST (Postern) with PROTO"; after it the
# bytes must be EXPECTED exactly, where a line "@DATE@" stands for an
# added RFC 5322 Date: field and "@MSGID@" for an added
# "Message-ID: <32 hex digits@HOST>".
import re
import sys

path, exp_path, proto, host = sys.argv[1:5]
data = open(path, "rb").read().decode("latin-1")
exp = open(exp_path, "rb").read().decode("latin-1")
pos = data.find("Received: ")
if pos < 0:
    sys.exit("no Received field in %s" % path)
for line in data[:pos].splitlines():
    if not re.match(r"(Return-Path|Delivered-To): ", line):
        sys.exit("unexpected line before Received: %r" % line)
lines = data[pos:].split("\n")
n = 1
while n < len(lines) and lines[n].startswith("\t"):
    n += 1
received = "\n".join(lines[:n])
if not re.search(r"by %s \(Postern\) with %s id [0-9a-f]{8}" %
                 (re.escape(host), proto), received):
    sys.exit("Received field not by %s with %s:\n%s" % (host, proto,
                                                        received))
rest = "\n".join(lines[n:])
date = (r"Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
        r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
        r"[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000 \(UTC\)\n")
msgid = r"Message-ID: <[0-9a-f]{32}@%s>\n" % re.escape(host)
pat = ""
for piece in re.split(r"(@DATE@\n|@MSGID@\n)", exp):
    if piece == "@DATE@\n":
        pat += date
    elif piece == "@MSGID@\n":
        pat += msgid
    else:
        pat += re.escape(piece)
if not re.fullmatch(pat, rest, re.S):
    sys.exit("stored message differs:\n--- got:\n%s--- expected:\n%s" %
             (rest, exp))
EOF
}

sub_client()
{
	_port=$1
	shift
	/usr/bin/python3 "$POSTERN_DIR/subclient.py" --port "$_port" \
	    --ca "$POSTERN_DIR/certs/ca.crt" "$@" >out 2>client.err ||
	    postern_fail "subclient.py failed: $(cat client.err)"
}

# expect_out LINE...: "out" must be exactly these lines (each a
# "VERB CODE" prefix, extended regexes allowed after it).
expect_out()
{
	_n=0
	for _want in "$@"; do
		_n=$((_n + 1))
		_got=$(sed -n "${_n}p" out)
		echo "$_got" | grep -Eq "^$_want" ||
		    postern_fail "step $_n: got '$_got', want '$_want'" \
		    "(all: $(tr '\n' '|' <out))"
	done
	[ "$(wc -l <out)" -eq "$_n" ] ||
	    postern_fail "more replies than expected: $(tr '\n' '|' <out)"
}

# The daemon, a test PKI, the tables and the LMTP sink:
#   POSTERN_PORT  plain listener, no auth (like port 25), host plain.test
#   PORT_SUB      tls-require auth <creds> senders <users>, host sub.test
#   PORT_MASQ     the same with masquerade, host masq.test
# Authenticated mail goes to the sink whatever its domain; other mail
# only for local.test.
sub_start()
{
	subr
	postern_setup
	command -v openssl >/dev/null 2>&1 ||
	    atf_skip "openssl is not installed (make deps installs it)"
	PORT_SUB=$(sub_port)
	PORT_MASQ=$(sub_port "$PORT_SUB")
	LPORT=$(sub_port "$PORT_SUB" "$PORT_MASQ")
	sub_write_client
	# lka reads the tables as _smtpd: every directory above them must
	# be searchable.
	_d=$POSTERN_DIR
	while [ "$_d" != / ] && [ -n "$_d" ]; do
		[ -n "$(find "$_d" -maxdepth 0 -perm -o+x)" ] ||
		    chmod o+x "$_d" || atf_fail "chmod o+x $_d"
		_d=$(dirname "$_d")
	done
	{
		for u in alice bob carol; do
			printf '%s\t%s\n' "$u" "$(sub_hash "pw-$u")"
		done
	} >"$POSTERN_DIR/creds"
	printf 'alice\talice@example.org, @alice.example.net\n%s\n' \
	    'bob	bob@example.org' >"$POSTERN_DIR/users"
	chmod 644 "$POSTERN_DIR/creds" "$POSTERN_DIR/users"
	sh "$(atf_config_get top)/regress/smtpd/mkcerts.sh" \
	    "$POSTERN_DIR/certs" >"$POSTERN_DIR/mkcerts.log" 2>&1 ||
	    atf_fail "mkcerts.sh: $(tail -5 "$POSTERN_DIR/mkcerts.log")"

	# The LMTP delivery runs as a user with a home to enter.
	SINKUSER=sk$$
	postern_useradd "$SINKUSER"
	mkdir -p sink
	/usr/bin/python3 "$(atf_config_get top)/regress/smtpd/lmtpserver.py" \
	    --port "$LPORT" --out sink >sink.log 2>&1 &
	echo $! >sink.pid
	_n=0
	while [ ! -f sink/ready ] && [ $_n -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -f sink/ready ] || atf_fail "the LMTP sink did not start"

	postern_conf <<EOF
queue path "@SPOOL@"
queue retry-delay 1s
control socket "@SOCK@"
pidfile "@PIDFILE@"
table creds "file:@DIR@/creds"
table users "file:@DIR@/users"
table localdoms { local.test }
pki sub.test cert "@DIR@/certs/rsa.chain.pem"
pki sub.test key "@DIR@/certs/rsa.key"
listen on 127.0.0.1 port @PORT@ hostname plain.test
listen on 127.0.0.1 port $PORT_SUB hostname sub.test tls-require \
	pki sub.test auth <creds> senders <users>
listen on 127.0.0.1 port $PORT_MASQ hostname masq.test tls-require \
	pki sub.test auth <creds> senders <users> masquerade
action "sink" lmtp "127.0.0.1:$LPORT" rcpt-to user $SINKUSER
match from auth for any action "sink"
match from local for domain <localdoms> action "sink"
EOF
	postern_start
}

sub_cleanup()
{
	subr
	postern_cleanup
	[ -f sink.pid ] && kill "$(cat sink.pid)" 2>/dev/null
	postern_userdel_all
	return 0
}

# stored RCPT EXPECTED PROTO HOST: wait for the sink's copy for RCPT and
# check it against EXPECTED (see subcheck.py).
stored()
{
	_n=0
	while [ -z "$(ls sink | grep -F ".$1")" ] && [ $_n -lt 300 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	_f=$(ls sink | grep -F ".$1" | grep -v '\.tmp$' | head -n 1)
	[ -n "$_f" ] || postern_fail "nothing arrived for $1 at the sink"
	[ "$(ls sink | grep -cF ".$1")" -eq 1 ] ||
	    postern_fail "more than one copy for $1: $(ls sink)"
	/usr/bin/python3 "$POSTERN_DIR/subcheck.py" "sink/$_f" "$2" "$3" \
	    "$4" >check.err 2>&1 ||
	    postern_fail "$1: $(cat check.err)"
}

AUTH_ALICE="starttls auth:alice:pw-alice"

atf_test_case submit cleanup
submit_head()
{
	atf_set descr "MAIL before STARTTLS and before AUTH gets 530; after" \
	    "AUTH mail to a foreign domain arrives with Received, Date and" \
	    "Message-ID (DATA and BDAT)"
	atf_set timeout 180
}
submit_body()
{
	sub_start
	printf 'From: Alice <alice@example.org>\nTo: <t1@foreign.example>\n%s' \
	    'Subject: submission

Hello.
.a line with a leading dot
' >m.eml
	printf 'From: Alice <alice@example.org>\nTo: <t1@foreign.example>\n%s' \
	    'Subject: submission
@DATE@
@MSGID@

Hello.
.a line with a leading dot
' >m.exp
	sub_client "$PORT_SUB" mail:alice@example.org starttls \
	    mail:alice@example.org auth:alice:pw-wrong auth:alice:pw-alice \
	    mail:alice@example.org rcpt:t1@foreign.example data:m.eml \
	    mail:alice@example.org rcpt:t2@foreign.example bdat:m.eml
	expect_out "mail 530 5.7.0 Must issue a STARTTLS" "starttls 220" \
	    "mail 530 5.7.0 Must issue an AUTH" "auth 535" "auth 235" \
	    "mail 250" "rcpt 250" "data 250" "mail 250" "rcpt 250" "bdat 250"
	stored t1@foreign.example m.exp ESMTPSA sub.test
	stored t2@foreign.example m.exp ESMTPSA sub.test
	postern_healthy
}
submit_cleanup()
{
	sub_cleanup
}

atf_test_case plain_loopback cleanup
plain_loopback_head()
{
	atf_set descr "without AUTH, mail to a foreign domain is refused" \
	    "(550 relaying denied); local mail taken on a loopback listener" \
	    "is stored exactly as sent, without Date or Message-ID"
	atf_set timeout 180
}
plain_loopback_body()
{
	sub_start
	printf 'Subject: no date, no id\n\nbody\n' >m.eml
	cp m.eml m.exp
	printf 'just a body, no header\n' >h.eml
	cp h.eml h.exp
	sub_client "$POSTERN_PORT" mail:alice@example.org \
	    rcpt:t1@foreign.example rcpt:t1@local.test data:m.eml \
	    mail:alice@example.org rcpt:t2@local.test data:h.eml
	expect_out "mail 250" \
	    "rcpt 550 5.7.1 Delivery not authorized, relaying denied" \
	    "rcpt 250" "data 250" "mail 250" "rcpt 250" "data 250"
	# The same on the submission port is not even taken without TLS.
	sub_client "$PORT_SUB" mail:alice@example.org
	expect_out "mail 530"
	stored t1@local.test m.exp ESMTP plain.test
	stored t2@local.test h.exp ESMTP plain.test
	[ -z "$(ls sink | grep foreign)" ] ||
	    postern_fail "a refused recipient got mail: $(ls sink)"
	postern_healthy
}
plain_loopback_cleanup()
{
	sub_cleanup
}

atf_test_case senders cleanup
senders_head()
{
	atf_set descr "senders: owned addresses and @domain entries pass," \
	    "a forged sender, the null sender and a user without an entry" \
	    "get 553 5.7.1; a refused MAIL starts no transaction"
	atf_set timeout 180
}
senders_body()
{
	sub_start
	printf 'Subject: s\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n%s' \
	    'Message-ID: <s@test>

body
' >m.eml
	cp m.eml m.exp
	sub_client "$PORT_SUB" $AUTH_ALICE mail:alice@example.org rset \
	    mail:Alice@Example.ORG rset mail:alice+lists@example.org rset \
	    mail:anyone@alice.example.net rset \
	    mail:bob@example.org rcpt:t1@foreign.example \
	    mail:alice@example.net mail: mail:alice@sub.alice.example.net \
	    mail:alice@example.org rcpt:s1@foreign.example data:m.eml
	expect_out "starttls 220" "auth 235" "mail 250" "rset 250" \
	    "mail 250" "rset 250" "mail 250" "rset 250" "mail 250" "rset 250" \
	    "mail 553 5.7.1 Sender address rejected: not owned by user alice" \
	    "rcpt 503" "mail 553 5.7.1" "mail 553 5.7.1" "mail 553 5.7.1" \
	    "mail 250" "rcpt 250" "data 250"
	sub_client "$PORT_SUB" starttls auth:carol:pw-carol \
	    mail:carol@example.org
	expect_out "starttls 220" "auth 235" \
	    "mail 553 5.7.1 Sender address rejected: not owned by user carol"
	sub_client "$PORT_SUB" starttls auth:bob:pw-bob mail:alice@example.org \
	    mail:bob@example.org rcpt:s2@foreign.example data:m.eml
	expect_out "starttls 220" "auth 235" "mail 553 5.7.1" "mail 250" \
	    "rcpt 250" "data 250"
	stored s1@foreign.example m.exp ESMTPSA sub.test
	stored s2@foreign.example m.exp ESMTPSA sub.test
	postern_wait_log "user alice may not send as <bob@example.org>" 10
	[ "$(ls sink | grep -c '@foreign')" -eq 2 ] ||
	    postern_fail "unexpected deliveries: $(ls sink)"
	postern_healthy
}
senders_cleanup()
{
	sub_cleanup
}

atf_test_case masquerade cleanup
masquerade_head()
{
	atf_set descr "masquerade: From: names the envelope sender (display" \
	    "name kept, folded From unfolded) or is added; without" \
	    "masquerade From: is left alone"
	atf_set timeout 180
}
masquerade_body()
{
	sub_start
	printf 'Subject: m\nFrom: "Example, Alice"\n\t<someone@else.example>\n%s' \
	    'Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <m1@test>

From: in the body <x@y> stays
' >m1.eml
	printf 'Subject: m\nFrom: "Example, Alice" <alice@example.org>\n%s' \
	    'Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <m1@test>

From: in the body <x@y> stays
' >m1.exp
	printf 'Subject: no from\n\nbody\n' >m2.eml
	printf 'Subject: no from\n@DATE@\n@MSGID@\nFrom: <%s>\n\nbody\n' \
	    'anyone@alice.example.net' >m2.exp
	sub_client "$PORT_MASQ" $AUTH_ALICE mail:alice@example.org \
	    rcpt:m1@foreign.example data:m1.eml \
	    mail:anyone@alice.example.net rcpt:m2@foreign.example data:m2.eml
	expect_out "starttls 220" "auth 235" "mail 250" "rcpt 250" \
	    "data 250" "mail 250" "rcpt 250" "data 250"
	stored m1@foreign.example m1.exp ESMTPSA masq.test
	stored m2@foreign.example m2.exp ESMTPSA masq.test
	# No masquerade on PORT_SUB.
	sub_client "$PORT_SUB" $AUTH_ALICE mail:alice@example.org \
	    rcpt:m3@foreign.example data:m1.eml
	expect_out "starttls 220" "auth 235" "mail 250" "rcpt 250" \
	    "data 250"
	stored m3@foreign.example m1.eml ESMTPSA sub.test
	postern_healthy
}
masquerade_cleanup()
{
	sub_cleanup
}

atf_test_case date_msgid cleanup
date_msgid_head()
{
	atf_set descr "Date and Message-ID present in odd case, spaced or" \
	    "folded are left alone; only the missing one is added; a body" \
	    "without header section gets both and an empty line"
	atf_set timeout 180
}
date_msgid_body()
{
	sub_start
	printf 'dAtE :\n Mon, 1 Jan 2024\n 00:00:00 +0000\n%s' \
	    'MESSAGE-id:
	<odd@test>
Subject: odd

body
' >odd.eml
	printf 'Subject: x\nmessage-id: <only-id@test>\n\nbody\n' >id.eml
	printf 'Subject: x\nmessage-id: <only-id@test>\n@DATE@\n\nbody\n' \
	    >id.exp
	printf 'no header here\nsecond line\n' >nohdr.eml
	printf '@DATE@\n@MSGID@\n\nno header here\nsecond line\n' >nohdr.exp
	sub_client "$PORT_SUB" $AUTH_ALICE \
	    mail:alice@example.org rcpt:d1@foreign.example data:odd.eml \
	    mail:alice@example.org rcpt:d2@foreign.example data:id.eml \
	    mail:alice@example.org rcpt:d3@foreign.example bdat:nohdr.eml
	expect_out "starttls 220" "auth 235" "mail 250" "rcpt 250" \
	    "data 250" "mail 250" "rcpt 250" "data 250" "mail 250" \
	    "rcpt 250" "bdat 250"
	stored d1@foreign.example odd.eml ESMTPSA sub.test
	stored d2@foreign.example id.exp ESMTPSA sub.test
	stored d3@foreign.example nohdr.exp ESMTPSA sub.test
	postern_healthy
}
date_msgid_cleanup()
{
	sub_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case submit
	atf_add_test_case plain_loopback
	atf_add_test_case senders
	atf_add_test_case masquerade
	atf_add_test_case date_msgid
}
