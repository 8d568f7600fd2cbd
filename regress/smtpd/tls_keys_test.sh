#! /usr/bin/atf-sh
#
# Private keys live only in ca (tls_key.c, ca.c).  A daemon with an RSA
# 2048, an ECDSA P-256 and an ECDSA P-384 pki, each on its own smtps
# listener, completes TLS 1.2 and TLS 1.3 handshakes with openssl
# s_client, every signature made by ca (its counters say so); the
# smtp process runs as _smtpd in an empty root, cannot read the key
# files, and its memory (read through /proc/PID/mem by memscan.py)
# holds no private key material after the handshakes, while the same
# scan of ca finds it (the positive control that shows the scan can
# fail).  A reload with a new key pair keeps handshakes working with the
# new key, and ca no longer holds the old one.  A key the parser cannot
# read is a file:line error at `smtpd -n`.

subr()
{
	. "$(atf_config_get top)/regress/common.subr"
}

memscan()
{
	/usr/bin/python3 "$(atf_config_get top)/regress/smtpd/memscan.py" "$@"
}

# Test PKI in ./pki: mkcerts.sh (CA, intermediate, RSA 2048 and ECDSA
# P-256 server chains) plus an ECDSA P-384 server certificate.  Keys
# are owned by root, mode 0600.
make_pki()
{
	command -v openssl >/dev/null 2>&1 || atf_skip "openssl not installed"
	[ -x /usr/bin/python3 ] || atf_skip "/usr/bin/python3 not installed"
	sh "$(atf_config_get top)/regress/smtpd/mkcerts.sh" pki \
	    >mkcerts.log 2>&1 || { cat mkcerts.log; atf_fail "mkcerts.sh failed"; }
	server_cert p384 "EC -pkeyopt ec_paramgen_curve:P-384" p384.test
}

# server_cert NAME "ALGORITHM OPTIONS" CN: pki/NAME.key, pki/NAME.crt
# and pki/NAME.chain.pem, issued by the test intermediate.
server_cert()
{
	(
		cd pki || exit 1
		umask 077
		# shellcheck disable=SC2086
		openssl genpkey -algorithm $2 -out "$1.key" 2>/dev/null &&
		printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		    "extendedKeyUsage=serverAuth" \
		    "subjectAltName=DNS:$3,DNS:localhost,IP:127.0.0.1" \
		    >"$1.ext" &&
		openssl req -new -key "$1.key" -subj "/O=Postern test/CN=$3" \
		    -out "$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA int.crt -CAkey int.key \
		    -CAcreateserial -days 30 -extfile "$1.ext" \
		    -out "$1.crt" 2>/dev/null &&
		cat "$1.crt" int.crt >"$1.chain.pem" &&
		chmod 0600 "$1.key" && chmod 0644 "$1.crt" "$1.chain.pem" &&
		rm -f "$1.csr" "$1.ext"
	) || atf_fail "openssl could not make the $1 certificate"
}

# A daemon with three smtps listeners: RSA on POSTERN_PORT, ECDSA P-256
# on PORT_EC, ECDSA P-384 on PORT_P384.
start_daemon()
{
	PORT_EC=$(postern_free_port)
	PORT_P384=$(postern_free_port)
	postern_conf <<EOF
queue path "@SPOOL@"
control socket "@SOCK@"
pidfile "@PIDFILE@"
pki rsa cert "@DIR@/pki/rsa.chain.pem"
pki rsa key "@DIR@/pki/rsa.key"
pki ecdsa cert "@DIR@/pki/ecdsa.chain.pem" key "@DIR@/pki/ecdsa.key"
pki p384 cert "@DIR@/pki/p384.chain.pem" key "@DIR@/pki/p384.key"
listen on 127.0.0.1 port @PORT@ smtps pki rsa
listen on 127.0.0.1 port $PORT_EC smtps pki ecdsa
listen on 127.0.0.1 port $PORT_P384 smtps pki p384
action "local" maildir
match from local for local action "local"
EOF
	postern_start
}

# hs PORT ARG...: a verified handshake with s_client (ARGs: protocol,
# sigalgs), the greeting read and QUIT answered through it (the client
# waits for the server to close); the summary is in hs.out.
hs()
{
	_port=$1
	shift
	echo QUIT | timeout 30 openssl s_client -connect "127.0.0.1:$_port" \
	    -CAfile pki/ca.crt -verify_return_error -brief -ign_eof "$@" \
	    >hs.out 2>&1
	_rc=$?
	if [ "$_rc" -ne 0 ] || ! grep -q '^Verification: OK' hs.out ||
	    ! grep -q '^220 ' hs.out; then
		cat hs.out
		postern_fail "handshake on port $_port ($*) failed (status $_rc)"
	fi
}

# expect LINE: hs.out has this exact line.
expect()
{
	grep -qxF "$1" hs.out || { cat hs.out; postern_fail "no \"$1\""; }
}

# ca_stat NAME: a counter of `smtpctl show stats` (0 when absent).
ca_stat()
{
	postern_smtpctl show stats >stats.out 2>&1 ||
	    { cat stats.out; postern_fail "smtpctl show stats failed"; }
	_v=$(sed -n "s/^$1=//p" stats.out)
	echo "${_v:-0}"
}

# check_confined ROLE: runs as _smtpd in an empty root directory.
check_confined()
{
	_pid=$(postern_role_pid "$1") || postern_fail "no $1 process"
	_uid=$(id -u _smtpd)
	awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$_pid/status" \
	    >uid.out
	[ "$(cat uid.out)" = "$_uid $_uid $_uid $_uid" ] ||
	    postern_fail "$1 runs as $(cat uid.out), not _smtpd ($_uid)"
	[ "$(readlink "/proc/$_pid/root")" != / ] ||
	    postern_fail "$1 is not chrooted"
	[ -d "/proc/$_pid/root/." ] ||
	    postern_fail "cannot see the root of $1"
	[ -z "$(ls -A "/proc/$_pid/root/")" ] ||
	    postern_fail "the root of $1 is not empty: $(ls -A "/proc/$_pid/root/")"
}

atf_test_case handshakes cleanup
handshakes_head()
{
	atf_set descr "RSA and ECDSA (P-256, P-384) keys held by ca: TLS 1.2" \
	    "and 1.3 handshakes, every signature made by ca"
	atf_set require.user root
	atf_set timeout 300
}
handshakes_body()
{
	subr
	postern_setup
	make_pki
	start_daemon
	[ "$(ca_stat ca.keys)" -eq 3 ] || postern_fail "ca does not hold 3 keys"

	hs "$POSTERN_PORT" -tls1_3
	expect "Protocol version: TLSv1.3"
	expect "Signature type: RSA-PSS"
	expect "Peer certificate: O = Postern test, CN = mail.test"
	hs "$POSTERN_PORT" -tls1_2
	expect "Protocol version: TLSv1.2"
	expect "Signature type: RSA-PSS"
	# PKCS#1 v1.5 signatures, still offered in TLS 1.2
	hs "$POSTERN_PORT" -tls1_2 -sigalgs RSA+SHA256
	expect "Signature type: RSA"
	expect "Hash used: SHA256"
	[ "$(ca_stat ca.rsa.sign)" -eq 3 ] ||
	    postern_fail "ca made $(ca_stat ca.rsa.sign) RSA signatures, not 3"

	for v in -tls1_3 -tls1_2; do
		hs "$PORT_EC" $v
		expect "Signature type: ECDSA"
		expect "Peer certificate: O = Postern test, CN = ecdsa.test"
		hs "$PORT_P384" $v
		expect "Signature type: ECDSA"
		expect "Peer certificate: O = Postern test, CN = p384.test"
	done
	expect "Protocol version: TLSv1.2"
	[ "$(ca_stat ca.ecdsa.sign)" -eq 4 ] ||
	    postern_fail "ca made $(ca_stat ca.ecdsa.sign) ECDSA signatures, not 4"
	if [ "$(ca_stat ca.refused)" -ne 0 ] || [ "$(ca_stat ca.failed)" -ne 0 ]
	then
		postern_fail "ca refused or failed an operation"
	fi

	# the system call filters let ca and smtp do all of this
	if grep -q 'forbidden system call' "$POSTERN_LOG"; then
		postern_fail "a process was stopped by its system call filter"
	fi
	postern_healthy
	postern_stop
}
handshakes_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case isolation cleanup
isolation_head()
{
	atf_set descr "after handshakes, smtp (and mta) cannot read the keys" \
	    "and hold no key material in memory; ca holds it"
	atf_set require.user root
	atf_set timeout 300
}
isolation_body()
{
	subr
	postern_setup
	make_pki
	start_daemon
	for v in -tls1_2 -tls1_3; do
		hs "$POSTERN_PORT" $v
		hs "$PORT_EC" $v
	done
	if [ "$(ca_stat ca.rsa.sign)" -ne 2 ] ||
	    [ "$(ca_stat ca.ecdsa.sign)" -ne 2 ]; then
		postern_fail "the handshakes were not signed by ca"
	fi

	check_confined smtp
	check_confined ca

	# _smtpd cannot open a key file, though it reaches the directory
	# (the certificate next to it can be read)
	_d=$POSTERN_DIR
	while [ "$_d" != / ]; do
		[ -n "$(find "$_d" -maxdepth 0 -perm -o+x)" ] ||
		    chmod o+x "$_d" || atf_fail "chmod o+x $_d"
		_d=$(dirname "$_d")
	done
	chmod 0755 pki
	g=$(id -g _smtpd)
	setpriv --reuid=_smtpd --regid="$g" --clear-groups \
	    cat pki/rsa.crt >/dev/null ||
	    atf_fail "_smtpd cannot read the certificate: the check means nothing"
	for k in rsa ecdsa p384; do
		if setpriv --reuid=_smtpd --regid="$g" --clear-groups \
		    cat "pki/$k.key" >/dev/null 2>&1; then
			atf_fail "_smtpd can read pki/$k.key"
		fi
	done

	smtp=$(postern_role_pid smtp)
	mta=$(postern_role_pid mta)
	ca=$(postern_role_pid ca)
	for k in rsa ecdsa; do
		for p in "$smtp" "$mta"; do
			memscan "pki/$k.key" "$p" >scan.out 2>scan.err
			rc=$?
			cat scan.out scan.err
			[ "$rc" -eq 0 ] ||
			    postern_fail "memscan of pid $p ($k key): status $rc"
		done
		# positive control: ca holds the key, and the scan finds it
		memscan "pki/$k.key" "$ca" >scan.out 2>scan.err
		rc=$?
		cat scan.out scan.err
		[ "$rc" -eq 1 ] ||
		    postern_fail "memscan did not find the $k key in ca (status $rc)"
		grep -q '^found .* (BIGNUM) at ' scan.out ||
		    postern_fail "the $k key's numbers are not in ca"
	done
	postern_healthy
	postern_stop
}
isolation_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	atf_set descr "SIGHUP with a new key pair: handshakes use the new" \
	    "key, ca no longer holds the old one"
	atf_set require.user root
	atf_set timeout 300
}
reload_body()
{
	subr
	postern_setup
	make_pki
	start_daemon
	hs "$POSTERN_PORT" -tls1_3
	expect "Peer certificate: O = Postern test, CN = mail.test"
	cp pki/rsa.key old-rsa.key

	# a new key and certificate under the same file names
	server_cert rsa "RSA -pkeyopt rsa_keygen_bits:2048" mail2.test
	cmp -s pki/rsa.key old-rsa.key && atf_fail "the key did not change"
	n=$(grep -c 'configuration reloaded' "$POSTERN_LOG")
	kill -HUP "$POSTERN_PID"
	i=0
	while [ "$(grep -c 'configuration reloaded' "$POSTERN_LOG")" -le "$n" ]; do
		[ "$i" -lt 300 ] || postern_fail "no reload after SIGHUP"
		sleep 0.1
		i=$((i + 1))
	done

	for v in -tls1_3 -tls1_2; do
		hs "$POSTERN_PORT" $v
		expect "Peer certificate: O = Postern test, CN = mail2.test"
		hs "$PORT_EC" $v
		expect "Peer certificate: O = Postern test, CN = ecdsa.test"
	done
	[ "$(ca_stat ca.refused)" -eq 0 ] || postern_fail "ca refused a key"

	ca=$(postern_role_pid ca)
	memscan pki/rsa.key "$ca" >scan.out 2>scan.err
	[ $? -eq 1 ] || { cat scan.out scan.err;
	    postern_fail "the new key is not in ca"; }
	# the old key's numbers were cleared when ca freed it
	memscan old-rsa.key "$ca" >scan.out 2>scan.err
	cat scan.out scan.err
	if grep -q '(BIGNUM)' scan.out; then
		postern_fail "ca still holds the old key's numbers"
	fi
	postern_healthy
	postern_stop
}
reload_cleanup()
{
	subr
	postern_cleanup
}

atf_test_case unreadable
unreadable_head()
{
	atf_set descr "smtpd -n by a user who cannot read the key: a" \
	    "file:line error"
	atf_set require.user root
}
unreadable_body()
{
	subr
	postern_setup
	make_pki
	_d=$POSTERN_DIR
	while [ "$_d" != / ]; do
		[ -n "$(find "$_d" -maxdepth 0 -perm -o+x)" ] ||
		    chmod o+x "$_d" || atf_fail "chmod o+x $_d"
		_d=$(dirname "$_d")
	done
	chmod 0755 pki
	cat >u.conf <<EOF
# a comment
pki mx.test cert "$POSTERN_DIR/pki/rsa.chain.pem"
pki mx.test key "$POSTERN_DIR/pki/rsa.key"
listen on 127.0.0.1 port 2525 smtps pki mx.test
match from local for local reject
EOF
	chmod 0644 u.conf
	# the binary where nobody can run it (the checkout may be in /root)
	postern_public_copy "$POSTERN_DIR/bin" "$POSTERN_BIN/smtpd"
	atf_check -s exit:0 -e inline:"configuration OK\n" \
	    "$POSTERN_DIR/bin/smtpd" -n -f u.conf
	atf_check -s exit:1 -e inline:"u.conf:3: cannot open key file $POSTERN_DIR/pki/rsa.key: Permission denied\n" \
	    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$POSTERN_DIR/bin/smtpd" -n -f u.conf
}

atf_init_test_cases()
{
	atf_add_test_case handshakes
	atf_add_test_case isolation
	atf_add_test_case reload
	atf_add_test_case unreadable
}
