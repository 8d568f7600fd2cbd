#! /usr/bin/atf-sh
# TLS in the smtp process, against a real daemon (the ASan build) on
# loopback with a test PKI made by mkcerts.sh in each test case's work
# directory: STARTTLS and smtps with openssl s_client, swaks and
# Python's smtplib (certificate and host name checked against the test
# CA), mail delivered to a Maildir with ESMTPS and the TLS tuple in its
# Received header; SNI over two pki; protocol versions (TLS 1.0 and 1.1
# refused by default, `protocols`), RSA and ECDSA keys each with TLS
# 1.2 and 1.3; client certificates (`ca`, `tls-require verify`); the
# STARTTLS rules (530 before it, 503 twice or mid-transaction, EHLO
# again after it, 501 with an argument); STARTTLS command injection
# (CVE-2011-0411); a client that sends garbage instead of a ClientHello
# and one that stalls its handshake while others are served, and the
# idle timeout inside TLS; the plain build under its system call filter
# (DHE, SNI, client certificates, TLS 1.0 where allowed, a reload).
# Each case ends with the daemon whole: every process alive, no
# sanitizer report, no fatal error in the log.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

# tls_setup: daemon variables, the test PKI in $PKI, a user $U.
tls_setup()
{
	subr
	postern_setup
	command -v openssl >/dev/null 2>&1 || atf_skip "openssl not installed"
	PKI=$POSTERN_DIR/pki
	sh "$(atf_config_get top)/regress/smtpd/mkcerts.sh" "$PKI" \
	    >mkcerts.out 2>&1 || { cat mkcerts.out; atf_fail "mkcerts.sh failed"; }
	U=ptls$$
	postern_useradd "$U"
	tls_py
}

# tls_conf [LINE...]: the configuration with the test pki and ca, the
# default plaintext listener on POSTERN_PORT and the given lines.
tls_conf()
{
	{
		cat <<EOF
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
pki mail.test cert "$PKI/rsa.chain.pem"
pki mail.test key "$PKI/rsa.key"
pki ecdsa.test cert "$PKI/ecdsa.chain.pem"
pki ecdsa.test key "$PKI/ecdsa.key"
pki other.test cert "$PKI/other.chain.pem"
pki other.test key "$PKI/other.key"
ca testca cert "$PKI/ca.crt"
listen on 127.0.0.1 port @PORT@
EOF
		for _l in "$@"; do
			echo "$_l"
		done
		cat <<'EOF'
action "local" maildir
match from local for local action "local"
EOF
	} | postern_conf
}

# The Received header of the delivered message whose Subject is $1,
# unfolded on one line.
received_of()
{
	_f=$(grep -l "^Subject: $1\$" "$(postern_maildir "$U")"/new/* \
	    2>/dev/null | head -1)
	[ -n "$_f" ] || postern_fail "no delivered message with Subject $1"
	awk '/^Received: /{on=1} on{printf "%s ", $0} \
	    on && /^\t[A-Z][a-z][a-z], /{exit}' "$_f" | tr -s ' \t' '  '
	echo
}

# expect_received SUBJECT ERE: its Received header must match.
expect_received()
{
	_r=$(received_of "$1")
	echo "$1: $_r"
	echo "$_r" | grep -Eq -- "$2" ||
	    postern_fail "Received of $1 does not match $2: $_r"
}

TUPLE_NO='\(TLSv1\.[23]:[A-Z0-9_-]+:(128|256):NO\)'

# s_client [ARG...]: a handshake; stdin is the session's input.
s_client()
{
	timeout 20 openssl s_client -ign_eof -CAfile "$PKI/ca.crt" "$@" 2>&1
}

# The Python client, written once per test case (see its usage).
tls_py()
{
	cat >tlsc.py <<'EOF'
"""usage: tlsc.py CMD --port P [options]
  send        one message with smtplib (STARTTLS, or --smtps), the
              server's certificate and host name checked
  rules       the STARTTLS rules on a tls listener (prints what failed)
  inject      PAYLOAD pipelined with STARTTLS must never be answered
  garbage     not a ClientHello after 220: the session must just end
  stall       start a handshake and stall: prints seconds until EOF
  idle        a TLS session that goes quiet gets 421 (command timeout)
"""
import argparse, select, smtplib, socket, ssl, sys, time
from email.message import EmailMessage

p = argparse.ArgumentParser()
p.add_argument('cmd')
p.add_argument('--port', type=int, required=True)
p.add_argument('--ca')
p.add_argument('--to')
p.add_argument('--subject', default='tls')
p.add_argument('--smtps', action='store_true')
p.add_argument('--tls', choices=('1.2', '1.3'))
p.add_argument('--cert')
p.add_argument('--key')
p.add_argument('--payload', default='')
p.add_argument('--expect', default='ok')
p.add_argument('--partial', action='store_true')
a = p.parse_args()


def context():
    c = ssl.create_default_context(cafile=a.ca)
    c.check_hostname = True
    if a.tls:
        v = {'1.2': ssl.TLSVersion.TLSv1_2, '1.3': ssl.TLSVersion.TLSv1_3}
        c.minimum_version = c.maximum_version = v[a.tls]
    if a.cert:
        c.load_cert_chain(a.cert, a.key)
    return c


def message():
    m = EmailMessage()
    m['From'] = 'sender@example.org'
    m['To'] = a.to
    m['Subject'] = a.subject
    m.set_content('over TLS\n')
    return m


def send():
    try:
        if a.smtps:
            c = smtplib.SMTP_SSL('localhost', a.port, context=context(),
                                 timeout=30)
        else:
            c = smtplib.SMTP('localhost', a.port, timeout=30)
            c.ehlo('client.test')
            assert c.has_extn('starttls'), 'STARTTLS not offered'
            c.starttls(context=context())
        c.ehlo('client.test')
        assert not c.has_extn('starttls'), 'STARTTLS offered inside TLS'
        print('%s %s' % (c.sock.version(), c.sock.cipher()[0]))
        refused = c.send_message(message())
        assert refused == {}, refused
        c.quit()
    except (ssl.SSLError, smtplib.SMTPException, OSError) as e:
        print('failed: %r' % (e,))
        return 'refused'
    return 'ok'


def rules():
    bad = []
    c = smtplib.SMTP('localhost', a.port, timeout=30)
    code, _ = c.docmd('STARTTLS')
    if code != 503:
        bad.append('STARTTLS before EHLO: %d' % code)
    c.ehlo('client.test')
    code, msg = c.docmd('MAIL FROM:<a@example.org>')
    if (code, msg[:5]) != (530, b'5.7.0'):
        bad.append('MAIL before STARTTLS: %d %r' % (code, msg))
    code, _ = c.docmd('STARTTLS now')
    if code != 501:
        bad.append('STARTTLS with an argument: %d' % code)
    c.starttls(context=context())
    code, _ = c.docmd('MAIL FROM:<a@example.org>')
    if code != 503:
        bad.append('MAIL without EHLO after STARTTLS: %d' % code)
    c.ehlo('client.test')
    code, msg = c.docmd('STARTTLS')
    if code != 503 or b'already secured' not in msg:
        bad.append('second STARTTLS: %d %r' % (code, msg))
    code, _ = c.docmd('MAIL FROM:<a@example.org>')
    if code != 250:
        bad.append('MAIL after STARTTLS and EHLO: %d' % code)
    code, _ = c.docmd('STARTTLS')
    if code != 503:
        bad.append('STARTTLS in a transaction: %d' % code)
    code, _ = c.docmd('RSET')
    if code != 250:
        bad.append('RSET: %d' % code)
    c.quit()
    for b in bad:
        print(b)
    return 'ok' if not bad else 'bad'


def readline(s, deadline=10):
    """One reply line, byte by byte: nothing after it is consumed."""
    s.settimeout(deadline)
    line = b''
    while not line.endswith(b'\r\n'):
        b = s.recv(1)
        if not b:
            raise EOFError('EOF after %r' % line)
        line += b
    return line


def reply(s):
    lines = [readline(s)]
    while lines[-1][3:4] == b'-':
        lines.append(readline(s))
    return lines


def inject():
    s = socket.create_connection(('127.0.0.1', a.port), timeout=10)
    reply(s)
    payload = a.payload.encode().decode('unicode_escape').encode('latin-1')
    before = payload.split(b'STARTTLS\r\n')[0]
    s.sendall(payload)
    for _ in range(before.count(b'\r\n')):
        print('before: %r' % reply(s)[-1])
    r = reply(s)
    if r != [b'220 2.0.0 Ready to start TLS\r\n']:
        print('STARTTLS got %r' % r)
        return 'bad'
    # Any plaintext byte after the 220 is an answer to injected input.
    time.sleep(1)
    if select.select([s], [], [], 0)[0]:
        print('plaintext after 220: %r' % s.recv(4096))
        return 'bad'
    c = ssl.create_default_context(cafile=a.ca)
    try:
        t = c.wrap_socket(s, server_hostname='localhost')
    except (ssl.SSLError, OSError) as e:
        # The injected bytes reached the TLS layer: refused, safe.
        print('handshake failed: %r' % (e,))
        return 'ok'
    t.sendall(b'EHLO client.test\r\n')
    got = b''
    t.settimeout(3)
    try:
        while True:
            d = t.recv(4096)
            if not d:
                break
            got += d
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    codes = [l[:4] for l in got.split(b'\r\n') if l]
    print('inside TLS: %r' % codes)
    if not codes or codes[-1] != b'250 ' or \
            any(c not in (b'250-', b'250 ') for c in codes) or \
            got.count(b'250 ') != 1:
        return 'bad'
    return 'ok'


def garbage():
    s = socket.create_connection(('127.0.0.1', a.port), timeout=10)
    reply(s)
    s.sendall(b'EHLO client.test\r\n')
    reply(s)
    s.sendall(b'STARTTLS\r\n')
    if reply(s) != [b'220 2.0.0 Ready to start TLS\r\n']:
        return 'bad'
    s.sendall(b'GET / HTTP/1.0\r\n\r\nEHLO client.test\r\nRSET\r\n')
    got = b''
    s.settimeout(15)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    print('after garbage: %r' % got[:40])
    # Nothing or a TLS alert record, then EOF; never an SMTP reply.
    if got and not got.startswith(b'\x15\x03'):
        return 'bad'
    return 'ok'


def stall():
    s = socket.create_connection(('127.0.0.1', a.port), timeout=60)
    if not a.smtps:
        reply(s)
        s.sendall(b'EHLO client.test\r\nSTARTTLS\r\n')
        reply(s)
        reply(s)
    if a.partial:
        # A record header announcing a ClientHello that never comes.
        s.sendall(b'\x16\x03\x01\x02\x00\x01\x00')
    t0 = time.time()
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    print('%.1f' % (time.time() - t0))
    return 'ok'


def idle():
    c = smtplib.SMTP('localhost', a.port, timeout=30)
    c.ehlo('client.test')
    c.starttls(context=context())
    c.ehlo('client.test')
    t0 = time.time()
    code, msg = c.getreply()
    t = time.time() - t0
    print('idle inside TLS: %d %r after %.1f s' % (code, msg, t))
    return 'ok' if code == 421 and b'Timeout' in msg and 2 <= t < 15 \
        else 'bad'


r = {'send': send, 'rules': rules, 'inject': inject, 'garbage': garbage,
     'stall': stall, 'idle': idle}[a.cmd]()
print(r)
sys.exit(0 if r == a.expect else 1)
EOF
}

tlsc()
{
	/usr/bin/python3 "$POSTERN_DIR/tlsc.py" "$@" --ca "$PKI/ca.crt"
}

# ---------------------------------------------------------------------

atf_test_case starttls cleanup
starttls_head()
{
	atf_set descr "STARTTLS with s_client, swaks and smtplib: mail" \
	    "delivered, Received says ESMTPS and the TLS tuple"
	atf_set require.user root
	atf_set timeout 180
}
starttls_body()
{
	tls_setup
	P=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $P tls pki mail.test"
	postern_start
	# The chain (leaf + intermediate) verifies against the root only.
	printf 'EHLO client.test\r\nQUIT\r\n' | s_client -starttls smtp \
	    -connect "127.0.0.1:$P" -verify_return_error \
	    -verify_hostname localhost >sc.out
	grep -q '^Verify return code: 0 (ok)' sc.out &&
	    grep -q '^221 2.0.0' sc.out || { cat sc.out;
	    postern_fail "s_client -starttls smtp failed"; }
	grep -q '^250-STARTTLS' sc.out &&
	    postern_fail "STARTTLS advertised inside TLS"
	if command -v swaks >/dev/null 2>&1; then
		swaks --server 127.0.0.1 --port "$P" --tls --tls-verify \
		    --tls-ca-path "$PKI/ca.crt" --tls-sni localhost \
		    --from sender@example.org --to "$U@localhost" \
		    --h-Subject swaks-tls --body "swaks" >swaks.out 2>&1 ||
		    { cat swaks.out; postern_fail "swaks --tls failed"; }
	else
		echo "swaks not installed: swaks --tls skipped"
	fi
	tlsc send --port "$P" --to "$U@localhost" --subject smtplib-tls ||
	    postern_fail "smtplib starttls failed"
	# The plaintext listener offers no STARTTLS and answers 502.
	printf 'EHLO x\r\nSTARTTLS\r\nQUIT\r\n' | timeout 10 \
	    /usr/bin/python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(0.3); s.sendall(sys.stdin.buffer.read()); time.sleep(1)
sys.stdout.write(s.recv(65536).decode())' "$POSTERN_PORT" >plain.out
	grep -q '^502 5.5.1' plain.out && ! grep -q STARTTLS plain.out ||
	    { cat plain.out; postern_fail "plaintext listener and STARTTLS"; }

	n=1
	command -v swaks >/dev/null 2>&1 && n=2
	postern_mailtool wait-count --n "$n" "$(postern_maildir "$U")" ||
	    postern_fail "not every message was delivered"
	expect_received smtplib-tls \
	    "with ESMTPS id [0-9a-f]{8} $TUPLE_NO for <$U@localhost>;"
	command -v swaks >/dev/null 2>&1 && expect_received swaks-tls \
	    "with ESMTPS id [0-9a-f]{8} $TUPLE_NO for"
	grep -Eq 'smtp tls ciphers=TLSv1\.3:[A-Z0-9_]+:256 verify=NO' \
	    "$POSTERN_LOG" || postern_fail "no smtp tls log line"
	grep -q 'message msgid=.* proto=ESMTPS' "$POSTERN_LOG" ||
	    postern_fail "no proto=ESMTPS in the log"
	postern_healthy
	postern_stop
}
starttls_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case smtps cleanup
smtps_head()
{
	atf_set descr "smtps: handshake before the greeting (s_client," \
	    "swaks --tlsc, smtplib SMTP_SSL); a session survives a reload"
	atf_set require.user root
	atf_set timeout 180
}
smtps_body()
{
	tls_setup
	P=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $P smtps pki ecdsa.test"
	postern_start
	printf 'EHLO client.test\r\nQUIT\r\n' | s_client \
	    -connect "127.0.0.1:$P" -verify_return_error \
	    -verify_hostname localhost >sc.out
	grep -q '^220 [^ ]* ESMTP Postern' sc.out &&
	    grep -q 'subject=.*CN = ecdsa.test' sc.out &&
	    grep -q '^221 2.0.0' sc.out || { cat sc.out;
	    postern_fail "s_client on smtps failed"; }
	grep -q '^250-STARTTLS' sc.out &&
	    postern_fail "STARTTLS advertised on smtps"
	n=0
	if command -v swaks >/dev/null 2>&1; then
		swaks --server 127.0.0.1 --port "$P" --tlsc --tls-verify \
		    --tls-ca-path "$PKI/ca.crt" --tls-sni localhost \
		    --from sender@example.org --to "$U@localhost" \
		    --h-Subject swaks-tlsc --body "swaks" >swaks.out 2>&1 ||
		    { cat swaks.out; postern_fail "swaks --tlsc failed"; }
		n=1
	else
		echo "swaks not installed: swaks --tlsc skipped"
	fi
	tlsc send --smtps --port "$P" --to "$U@localhost" \
	    --subject smtplib-ssl || postern_fail "smtplib SMTP_SSL failed"
	# A session opened before a reload goes on with its old context.
	/usr/bin/python3 - "$P" "$PKI/ca.crt" "$U@localhost" "$POSTERN_PID" \
	    <<'EOF' || postern_fail "session across a reload failed"
import os, signal, smtplib, ssl, sys, time
port, ca, to, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
c = smtplib.SMTP_SSL('localhost', port, context=ssl.create_default_context(
    cafile=ca), timeout=30)
c.ehlo('client.test')
os.kill(pid, signal.SIGHUP)
time.sleep(2)
c.sendmail('sender@example.org', [to],
           'Subject: across-reload\r\n\r\nreloaded\r\n')
c.quit()
EOF
	postern_wait_log 'configuration reloaded'
	tlsc send --smtps --port "$P" --to "$U@localhost" \
	    --subject after-reload || postern_fail "smtps after a reload failed"
	postern_mailtool wait-count --n $((n + 3)) "$(postern_maildir "$U")" ||
	    postern_fail "not every message was delivered"
	expect_received smtplib-ssl "with ESMTPS id [0-9a-f]{8} $TUPLE_NO for"
	expect_received across-reload "with ESMTPS id [0-9a-f]{8} $TUPLE_NO"
	postern_healthy
	postern_stop
}
smtps_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case sni cleanup
sni_head()
{
	atf_set descr "two pki on one listener: the certificate follows" \
	    "the name the client asks for (SAN, wildcard), else the first"
	atf_set require.user root
	atf_set timeout 180
}
sni_body()
{
	tls_setup
	P=$(postern_free_port)
	S=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $P tls pki mail.test pki other.test" \
	    "listen on 127.0.0.1 port $S smtps pki other.test pki mail.test"
	postern_start
	for c in "$P mail.test mail.test" "$P other.test other.test" \
	    "$P a.wild.test other.test" "$P localhost mail.test" \
	    "$P unknown.test mail.test" "$P - mail.test" \
	    "$S mail.test mail.test" "$S - other.test" \
	    "$S unknown.test other.test"; do
		set -- $c
		if [ "$1" = "$P" ]; then st="-starttls smtp"; else st=; fi
		if [ "$2" = - ]; then sn=-noservername; else sn="-servername $2"; fi
		# shellcheck disable=SC2086
		printf 'QUIT\r\n' | s_client $st -connect "127.0.0.1:$1" $sn \
		    >sni.out
		grep -q "^subject=.*CN = $3\$" sni.out || { cat sni.out;
		    postern_fail "port $1, name $2: not the certificate of $3"; }
		echo "port $1, name $2: $3"
	done
	postern_healthy
	postern_stop
}
sni_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case protocols cleanup
protocols_head()
{
	atf_set descr "TLS 1.0 and 1.1 refused by default, protocols" \
	    "\"tlsv1.3\" refuses 1.2; RSA and ECDSA with TLS 1.2 and 1.3"
	atf_set require.user root
	atf_set timeout 240
}
protocols_body()
{
	tls_setup
	R=$(postern_free_port)
	E=$(postern_free_port)
	T=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $R tls pki mail.test" \
	    "listen on 127.0.0.1 port $E tls pki ecdsa.test" \
	    "listen on 127.0.0.1 port $T tls pki mail.test protocols \"tlsv1.3\""
	postern_start
	# SECLEVEL=0: the client would offer TLS 1.0/1.1, so that a
	# refusal is the server's.
	for v in tls1 tls1_1; do
		printf 'QUIT\r\n' | s_client -starttls smtp \
		    -connect "127.0.0.1:$R" -$v -cipher 'DEFAULT@SECLEVEL=0' \
		    >old.out
		grep -Eq 'alert protocol version|unsupported protocol' \
		    old.out && ! grep -q '^221' old.out || { cat old.out;
		    postern_fail "-$v was not refused by the server"; }
		echo "-$v refused"
	done
	printf 'QUIT\r\n' | s_client -starttls smtp -connect "127.0.0.1:$T" \
	    -tls1_2 >t12.out
	grep -q '^221' t12.out && { cat t12.out;
	    postern_fail "TLS 1.2 accepted with protocols tlsv1.3"; }
	printf 'QUIT\r\n' | s_client -starttls smtp -connect "127.0.0.1:$T" \
	    -tls1_3 >t13.out
	grep -q '^221' t13.out || { cat t13.out;
	    postern_fail "TLS 1.3 refused with protocols tlsv1.3"; }
	# Every key type with every version, a message each.
	n=0
	for k in "$R rsa" "$E ecdsa"; do
		set -- $k
		for v in 1.2 1.3; do
			printf 'QUIT\r\n' | s_client -starttls smtp \
			    -connect "127.0.0.1:$1" -tls$(echo $v | tr . _) \
			    -verify_return_error >kv.out
			case $2 in
			rsa) want='Server public key is 2048 bit' ;;
			ecdsa) want='Server public key is 256 bit' ;;
			esac
			grep -q "^$want" kv.out && grep -q \
			    "^New, TLSv$v, " kv.out && grep -q '^221' kv.out ||
			    { cat kv.out; postern_fail "$2 with TLS $v"; }
			tlsc send --tls "$v" --port "$1" --to "$U@localhost" \
			    --subject "$2-$v" || postern_fail "$2 TLS $v: smtplib"
			n=$((n + 1))
		done
	done
	postern_mailtool wait-count --n "$n" "$(postern_maildir "$U")" ||
	    postern_fail "not every message was delivered"
	for k in rsa ecdsa; do
		expect_received "$k-1.2" '\(TLSv1\.2:ECDHE-[A-Z0-9-]+:(128|256):NO\)'
		expect_received "$k-1.3" '\(TLSv1\.3:TLS_[A-Z0-9_]+:(128|256):NO\)'
	done
	postern_healthy
	postern_stop
}
protocols_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case client_cert cleanup
client_cert_head()
{
	atf_set descr "tls-require verify with a ca: no certificate and" \
	    "one from another CA refused, a good one accepted (YES); a ca" \
	    "without verify records NO, FAIL, YES"
	atf_set require.user root
	atf_set timeout 180
}
client_cert_body()
{
	tls_setup
	V=$(postern_free_port)
	O=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $V tls-require verify pki mail.test ca testca" \
	    "listen on 127.0.0.1 port $O tls pki mail.test ca testca"
	postern_start
	tlsc send --port "$V" --to "$U@localhost" --subject none \
	    --expect refused || postern_fail "no certificate was accepted"
	tlsc send --port "$V" --to "$U@localhost" --subject rogue \
	    --cert "$PKI/badclient.crt" --key "$PKI/badclient.key" \
	    --expect refused || postern_fail "a rogue certificate was accepted"
	tlsc send --port "$V" --to "$U@localhost" --subject verified \
	    --cert "$PKI/client.crt" --key "$PKI/client.key" ||
	    postern_fail "the good certificate was refused"
	for c in o-none o-rogue:badclient o-good:client; do
		s=${c%%:*}
		case $c in
		*:*) set -- --cert "$PKI/${c#*:}.crt" --key "$PKI/${c#*:}.key" ;;
		*) set -- ;;
		esac
		tlsc send --port "$O" --to "$U@localhost" --subject "$s" "$@" ||
		    postern_fail "optional client certificate: $s refused"
	done
	postern_mailtool wait-count --n 4 "$(postern_maildir "$U")" ||
	    postern_fail "not every message was delivered"
	expect_received verified '\(TLSv1\.[23]:[A-Z0-9_-]+:[0-9]+:YES\)'
	expect_received o-none '\(TLSv1\.[23]:[A-Z0-9_-]+:[0-9]+:NO\)'
	expect_received o-rogue '\(TLSv1\.[23]:[A-Z0-9_-]+:[0-9]+:FAIL\)'
	expect_received o-good '\(TLSv1\.[23]:[A-Z0-9_-]+:[0-9]+:YES\)'
	grep -q 'tls handshake failed.*reason=".*certificate' \
	    "$POSTERN_LOG" || postern_fail "refusals not logged"
	postern_healthy
	postern_stop
}
client_cert_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case rules cleanup
rules_head()
{
	atf_set descr "tls-require: 530 5.7.0 before STARTTLS; STARTTLS" \
	    "needs EHLO, no argument, no transaction; refused once secured;" \
	    "EHLO again after it"
	atf_set require.user root
	atf_set timeout 120
}
rules_body()
{
	tls_setup
	P=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $P tls-require pki mail.test"
	postern_start
	tlsc rules --port "$P" || postern_fail "a STARTTLS rule was broken"
	postern_healthy
	postern_stop
}
rules_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case injection cleanup
injection_head()
{
	atf_set descr "commands pipelined behind STARTTLS are never" \
	    "answered, in plaintext or inside TLS (CVE-2011-0411)"
	atf_set require.user root
	atf_set timeout 180
}
injection_body()
{
	tls_setup
	P=$(postern_free_port)
	tls_conf "listen on 127.0.0.1 port $P tls pki mail.test"
	postern_start
	for p in 'EHLO x\r\nSTARTTLS\r\nRSET\r\n' \
	    'EHLO x\r\nSTARTTLS\r\nMAIL FROM:<a@example.org>\r\n' \
	    'EHLO x\r\nSTARTTLS\r\nNOOP\r\nNOOP\r\nQUIT\r\n' \
	    'EHLO x\r\nSTARTTLS\r\nEHLO y\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<'"$U"'@localhost>\r\nDATA\r\nSubject: injected\r\n\r\nx\r\n.\r\n'; do
		echo "=== $p"
		tlsc inject --port "$P" --payload "$p" ||
		    postern_fail "injected input was answered: $p"
	done
	# The STARTTLS line alone in its write, the rest right after.
	tlsc inject --port "$P" --payload 'EHLO x\r\nSTARTTLS\r\n' ||
	    postern_fail "plain STARTTLS failed"
	sleep 1
	[ "$(postern_maildir_count "$U")" -eq 0 ] ||
	    postern_fail "an injected message was delivered"
	grep -q 'bytes sent after STARTTLS discarded' "$POSTERN_LOG" ||
	    echo "(the debug line about discarded bytes is not logged)"
	postern_healthy
	postern_stop
}
injection_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case bad_handshakes cleanup
bad_handshakes_head()
{
	atf_set descr "garbage instead of a ClientHello ends the session;" \
	    "a stalled handshake times out; others are served meanwhile;" \
	    "an idle TLS session times out"
	atf_set require.user root
	atf_set timeout 180
}
bad_handshakes_body()
{
	tls_setup
	P=$(postern_free_port)
	S=$(postern_free_port)
	tls_conf "smtp timeout command 3s" \
	    "listen on 127.0.0.1 port $P tls pki mail.test" \
	    "listen on 127.0.0.1 port $S smtps pki mail.test"
	postern_start
	tlsc garbage --port "$P" || postern_fail "garbage was answered"
	postern_wait_log 'tls handshake failed.*reason="[^"]*(wrong version|http request|record)'
	# Stalls: nothing after STARTTLS, half a record on smtps, nothing
	# on smtps; each must end in about the command timeout.
	tlsc stall --port "$P" >st1.out &
	s1=$!
	tlsc stall --port "$S" --smtps --partial >st2.out &
	s2=$!
	tlsc stall --port "$S" --smtps >st3.out &
	s3=$!
	sleep 1
	tlsc send --port "$P" --to "$U@localhost" --subject during-stall ||
	    postern_fail "not served while others stall"
	tlsc send --smtps --port "$S" --to "$U@localhost" \
	    --subject during-stall-smtps || postern_fail "smtps not served"
	for s in $s1 $s2 $s3; do
		wait "$s" || postern_fail "a stalled client failed"
	done
	for f in st1.out st2.out st3.out; do
		t=$(head -1 "$f")
		echo "$f: closed after $t s"
		awk -v t="$t" 'BEGIN { exit !(t >= 2 && t < 15) }' ||
		    postern_fail "$f: closed after $t s, timeout is 3 s"
	done
	[ "$(grep -c 'tls handshake failed.*reason="timeout"' \
	    "$POSTERN_LOG")" -ge 3 ] || postern_fail "timeouts not logged"
	# The idle timeout holds inside TLS too.
	tlsc idle --port "$P" || postern_fail "no idle timeout inside TLS"
	postern_mailtool wait-count --n 2 "$(postern_maildir "$U")" ||
	    postern_fail "not every message was delivered"
	postern_healthy
	postern_stop
}
bad_handshakes_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_test_case plain_filter cleanup
plain_filter_head()
{
	atf_set descr "the plain build under its system call filter: DHE" \
	    "auto and legacy, SNI, client certificates with and without a" \
	    "ca, TLS 1.0 where allowed, a reload, mail over TLS"
	atf_set require.user root
	atf_set timeout 180
}
plain_filter_body()
{
	tls_setup
	POSTERN_BIN=$(atf_config_get plainbindir)
	[ -x "$POSTERN_BIN/smtpd" ] || atf_fail "no $POSTERN_BIN/smtpd"
	A=$(postern_free_port)
	L=$(postern_free_port)
	V=$(postern_free_port)
	O=$(postern_free_port)
	tls_conf "pki mail.test dhe auto" "pki other.test dhe legacy" \
	    "listen on 127.0.0.1 port $A tls pki mail.test" \
	    "listen on 127.0.0.1 port $L smtps pki other.test" \
	    "listen on 127.0.0.1 port $V smtps verify pki ecdsa.test" \
	    "listen on 127.0.0.1 port $O tls pki mail.test pki other.test ca testca protocols \"all\""
	postern_start
	printf 'QUIT\r\n' | s_client -starttls smtp -connect "127.0.0.1:$A" \
	    -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256' >dhe.out
	grep -q '^Server Temp Key: DH, [0-9]* bits' dhe.out &&
	    grep -q '^221' dhe.out || { cat dhe.out; postern_fail "dhe auto"; }
	printf 'QUIT\r\n' | s_client -connect "127.0.0.1:$L" -tls1_2 \
	    -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' >legacy.out
	grep -q '^Server Temp Key: DH, 1024 bits' legacy.out &&
	    grep -q '^221' legacy.out ||
	    { cat legacy.out; postern_fail "dhe legacy"; }
	# verify without ca: the system's authorities, not the test CA.
	printf 'QUIT\r\n' | s_client -connect "127.0.0.1:$V" \
	    -cert "$PKI/client.crt" -key "$PKI/client.key" >v.out
	grep -q '^221' v.out && { cat v.out;
	    postern_fail "a client certificate of the test CA verified" \
	    "against the system's authorities"; }
	printf 'QUIT\r\n' | s_client -starttls smtp -connect "127.0.0.1:$O" \
	    -tls1 -cipher 'DEFAULT@SECLEVEL=0' -servername other.test \
	    -cert "$PKI/client.crt" -key "$PKI/client.key" >t10.out
	grep -q '^221' t10.out && grep -q 'subject=.*CN = other.test' t10.out &&
	    grep -Eq '^New, TLSv1(\.0)?, ' t10.out ||
	    { cat t10.out; postern_fail "TLS 1.0 with protocols all"; }
	kill -HUP "$POSTERN_PID"
	postern_wait_log 'configuration reloaded'
	tlsc send --port "$O" --to "$U@localhost" --subject plain-after-reload \
	    --cert "$PKI/client.crt" --key "$PKI/client.key" ||
	    postern_fail "mail over TLS after a reload"
	postern_mailtool wait-count --n 1 "$(postern_maildir "$U")" ||
	    postern_fail "the message was not delivered"
	expect_received plain-after-reload '\(TLSv1\.3:[A-Z0-9_]+:[0-9]+:YES\)'
	grep 'forbidden system call' "$POSTERN_LOG" &&
	    postern_fail "a system call was refused"
	postern_healthy
	postern_stop
}
plain_filter_cleanup()
{
	subr
	postern_cleanup
	postern_userdel_all
}

atf_init_test_cases()
{
	atf_add_test_case plain_filter
	atf_add_test_case starttls
	atf_add_test_case smtps
	atf_add_test_case sni
	atf_add_test_case protocols
	atf_add_test_case client_cert
	atf_add_test_case rules
	atf_add_test_case injection
	atf_add_test_case bad_handshakes
}
