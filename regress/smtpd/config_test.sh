#! /usr/bin/env atf-sh
#
# smtpd.conf parsing through the real binary: valid configs parse and
# round-trip through `smtpd -nv`, broken ones fail with exactly the
# expected `file:line: message` lines, macros and includes behave, and
# hostile input gives a clear error instead of a crash (the binary under
# test is the ASan+UBSan build).

confdir()
{
	echo "$(atf_config_get top)/regress/smtpd/conf"
}

smtpd_bin()
{
	echo "$(atf_config_get bindir)/smtpd"
}

# A throw-away certificate and keys in the work directory, under the
# names the test configs refer to through @DIR@.
make_pki()
{
	command -v openssl >/dev/null 2>&1 || atf_skip "openssl not installed"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key \
	    -out server.crt -days 3650 -subj /CN=mx.example.org \
	    >/dev/null 2>&1 || atf_fail "openssl could not make a certificate"
	chmod 600 server.key
	cp server.crt good.crt
	cp server.key good.key
	cp server.crt mail.example.com.crt
	cp server.key mail.example.com.key
	chmod 600 good.key mail.example.com.key
	cp server.key groupread.key
	chmod 640 groupread.key
	cp server.key worldread.key
	chmod 604 worldread.key
	echo "not a certificate" > notpem.crt
	# pairs that do not load or match (tls_check.c)
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out other.key >/dev/null 2>&1 ||
	    atf_fail "openssl could not make a key"
	openssl pkey -in server.key -aes256 -passout pass:secret \
	    -out encrypted.key >/dev/null 2>&1 ||
	    atf_fail "openssl could not encrypt a key"
	printf '%s\n' '-----BEGIN PRIVATE KEY-----' 'bm90IGEga2V5IGF0IGFsbA==' \
	    '-----END PRIVATE KEY-----' > garbage.key
	printf '%s\n' '-----BEGIN CERTIFICATE-----' 'bm90IGEgY2VydGlmaWNhdGU=' \
	    '-----END CERTIFICATE-----' > garbage.crt
	cp server.key nobody.key
	chmod 600 other.key encrypted.key garbage.key nobody.key
	chown 65534 nobody.key
	mkdir dir.key
}

# Copy a conf directory here and replace @DIR@ by this directory.
stage()
{
	cp -R "$1"/. .
	for f in $(find . -name '*.conf' -o -name '*.inc' -o -name '*.err'); do
		sed "s|@DIR@|$PWD|g" "$f" > "$f.tmp" && mv "$f.tmp" "$f"
	done
}

atf_test_case valid
valid_head()
{
	atf_set descr "valid configs parse, print and re-parse to the same output"
}
valid_body()
{
	bin=$(smtpd_bin)
	stage "$(confdir)/valid"
	make_pki
	n=0
	fails=""
	for f in *.conf; do
		name=${f%.conf}
		args=""
		[ -f "$name.args" ] && args=$(cat "$name.args")
		# "configuration OK" goes to stderr, as in OpenSMTPD
		# shellcheck disable=SC2086
		if ! $bin -n $args -f "$f" > "$name.ok" 2>&1; then
			echo "== $f: smtpd -n failed:"; cat "$name.ok"
			fails="$fails $f"; continue
		fi
		if [ "$(cat "$name.ok")" != "configuration OK" ]; then
			echo "== $f: -n printed:"; cat "$name.ok"
			fails="$fails $f"; continue
		fi
		# shellcheck disable=SC2086
		if ! $bin -nv $args -f "$f" > "$name.a" 2> "$name.err"; then
			echo "== $f: smtpd -nv failed:"; cat "$name.err"
			fails="$fails $f"; continue
		fi
		if [ ! -s "$name.a" ]; then
			echo "== $f: -nv printed nothing"
			fails="$fails $f"; continue
		fi
		if ! $bin -nv -f "$name.a" > "$name.b" 2> "$name.err"; then
			echo "== $f: the printed config does not parse:"
			cat "$name.err"; cat -n "$name.a"
			fails="$fails $f"; continue
		fi
		if ! cmp -s "$name.a" "$name.b"; then
			echo "== $f: round trip differs:"
			diff -u "$name.a" "$name.b"
			fails="$fails $f"; continue
		fi
		n=$((n + 1))
	done
	[ -z "$fails" ] || atf_fail "valid configs failed:$fails"
	[ "$n" -ge 5 ] || atf_fail "only $n valid configs found"
}

atf_test_case valid_hermetic
valid_hermetic_head()
{
	atf_set descr "valid configs listen on no name that needs a resolver"
}
valid_hermetic_body()
{
	# A host name in valid/ makes that test depend on /etc/hosts or
	# DNS (a minimal root has no "localhost"); listen_hostname covers
	# names.  Addresses, "all", macros and interface names are fine.
	bad=""
	for f in $(find "$(confdir)/valid" -type f | sort); do
		for w in $(sed -n \
		    's/^[[:space:]]*listen[[:space:]]\{1,\}on[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' \
		    "$f" | tr -d '"'); do
			case "$w" in
			all|socket|\$*|*:*)
				continue ;;
			esac
			expr "$w" : '[0-9.]*$' >/dev/null && continue
			[ -e "/sys/class/net/$w" ] && continue
			bad="$bad ${f##*/}:$w"
		done
	done
	[ -z "$bad" ] || atf_fail "valid configs need a resolver:$bad"
}

atf_test_case listen_hostname
listen_hostname_head()
{
	atf_set descr "listen on a host name: one listener per address it resolves to"
}
listen_hostname_body()
{
	bin=$(smtpd_bin)
	getent ahosts localhost > addrs 2>/dev/null ||
	    atf_skip "\"localhost\" does not resolve here (no /etc/hosts?): host name listeners not tested"
	cat > h.conf <<'EOF'
listen on localhost port 10033
action "local" mbox
match from any for local action "local"
EOF
	atf_check -e inline:"configuration OK\n" "$bin" -n -f h.conf
	atf_check -o save:a "$bin" -nv -f h.conf
	grep '^listen on ".*" port 10033$' a > got ||
	    { cat a; atf_fail "no listener for localhost"; }
	# every listener is on an address the resolver gave for the name
	for addr in $(sed 's/^listen on "\(.*\)" port 10033$/\1/' got); do
		awk '{ print $1 }' addrs | grep -qxF "$addr" ||
		    { cat a addrs; atf_fail "$addr is not an address of localhost"; }
	done
	atf_check -o save:b "$bin" -nv -f a
	atf_check cmp a b
}

atf_test_case sample
sample_head()
{
	atf_set descr "the sample etc/smtpd.conf parses and round-trips"
}
sample_body()
{
	bin=$(smtpd_bin)
	conf="$(atf_config_get top)/etc/smtpd.conf"
	[ -f "$conf" ] || atf_skip "no etc/smtpd.conf yet"
	atf_check -e inline:"configuration OK\n" "$bin" -n -f "$conf"
	atf_check -o save:a "$bin" -nv -f "$conf"
	atf_check -o save:b "$bin" -nv -f a
	atf_check cmp a b
}

atf_test_case broken
broken_head()
{
	atf_set descr "each broken config fails with exactly its expected errors"
}
broken_body()
{
	bin=$(smtpd_bin)
	stage "$(confdir)/broken"
	make_pki
	n=0
	fails=""
	for f in *.conf; do
		name=${f%.conf}
		if [ ! -f "$name.err" ]; then
			echo "== $f: no $name.err"
			fails="$fails $f"; continue
		fi
		$bin -n -f "$f" > "$name.out" 2> "$name.got"
		rc=$?
		if [ "$rc" -ne 1 ]; then
			echo "== $f: exit status $rc, expected 1"
			cat "$name.got"
			fails="$fails $f"; continue
		fi
		if [ -s "$name.out" ]; then
			echo "== $f: printed on stdout:"; cat "$name.out"
			fails="$fails $f"; continue
		fi
		if ! cmp -s "$name.err" "$name.got"; then
			echo "== $f: wrong errors:"
			diff -u "$name.err" "$name.got"
			fails="$fails $f"; continue
		fi
		n=$((n + 1))
	done
	[ -z "$fails" ] || atf_fail "broken configs not refused as expected:$fails"
	[ "$n" -ge 45 ] || atf_fail "only $n broken configs checked"
}

atf_test_case macros
macros_head()
{
	atf_set descr "-D defines and overrides macros (unused-macro warnings: parse_test)"
}
macros_body()
{
	bin=$(smtpd_bin)
	cat > m.conf <<'EOF'
addr = "127.0.0.1"
unused = "x"
listen on $addr port $port
match for local reject
EOF
	atf_check -s exit:1 -e inline:"m.conf:3: macro 'port' not defined\n" \
	    "$bin" -n -f m.conf
	atf_check -e inline:"configuration OK\n" "$bin" -n -D port=2525 \
	    -f m.conf
	atf_check -o match:'^listen on "127.0.0.2" port 2525$' -e ignore \
	    "$bin" -nv -D port=2525 -D addr=127.0.0.2 -f m.conf
	atf_check -s not-exit:0 -e ignore -o ignore "$bin" -n \
	    -D "bad name=1" -f m.conf
}

atf_test_case includes
includes_head()
{
	atf_set descr "include: nesting works, missing and recursive files are errors"
}
includes_body()
{
	bin=$(smtpd_bin)
	mkdir d
	echo 'include "d/b.inc"' > d/a.inc
	echo 'table t { x }' > d/b.inc
	printf 'include "d/a.inc"\nmatch for domain <t> reject\n' > ok.conf
	atf_check -o match:'^table t \{ "x" \}$' "$bin" -nv -f ok.conf

	printf 'match for local reject\ninclude "d/none.inc"\n' > miss.conf
	atf_check -s exit:1 -e inline:"miss.conf:2: failed to include file d/none.inc: No such file or directory\n" \
	    "$bin" -n -f miss.conf

	echo 'include "d/y.inc"' > d/x.inc
	echo 'include "d/x.inc"' > d/y.inc
	printf 'include "d/x.inc"\nmatch for local reject\n' > loop.conf
	atf_check -s exit:1 -e inline:"d/y.inc:1: include recursion: d/x.inc is already being read\n" \
	    "$bin" -n -f loop.conf

	# deeper than the limit, without a loop
	i=0
	while [ $i -lt 20 ]; do
		echo "include \"d/n$((i + 1)).inc\"" > d/n$i.inc
		i=$((i + 1))
	done
	echo 'match for local reject' > d/n20.inc
	echo 'include "d/n0.inc"' > deep.conf
	atf_check -s exit:1 -e match:'includes nested too deeply' \
	    "$bin" -n -f deep.conf
}

atf_test_case hostile
hostile_head()
{
	atf_set descr "hostile input gives a clear error, never a crash"
}
hostile_body()
{
	bin=$(smtpd_bin)

	# a 1 MB line
	{ printf 'table t { "'; head -c 1048576 /dev/zero | tr '\0' a;
	  printf '" }\nmatch for local reject\n'; } > long.conf
	atf_check -s exit:1 \
	    -e inline:"long.conf:1: line too long (more than 65536 bytes)\n" \
	    "$bin" -n -f long.conf

	# a long token on a legal line
	{ printf 'table t { "'; head -c 5000 /dev/zero | tr '\0' b;
	  printf '" }\nmatch for local reject\n'; } > token.conf
	atf_check -s exit:1 \
	    -e inline:"token.conf:1: string too long (more than 4096 bytes)\n" \
	    "$bin" -n -f token.conf

	# deep nesting of braces and brackets
	{ head -c 20000 /dev/zero | tr '\0' '{'; echo;
	  echo 'match for local reject'; } > braces.conf
	atf_check -s exit:1 -e match:'^braces.conf:1: syntax error' \
	    "$bin" -n -f braces.conf
	{ printf 'listen on 127.0.0.1 filter '; head -c 20000 /dev/zero |
	  tr '\0' '<'; echo; echo 'match for local reject'; } > angles.conf
	atf_check -s exit:1 -e match:'^angles.conf:1: ' \
	    "$bin" -n -f angles.conf

	# binary garbage (NUL bytes refused as such)
	head -c 65536 /dev/urandom > garbage.conf
	"$bin" -n -f garbage.conf > out 2> err
	rc=$?
	[ "$rc" -eq 1 ] || { cat err; atf_fail "garbage: exit status $rc"; }
	grep -q '^garbage.conf:[0-9]*: ' err || { cat err;
	    atf_fail "garbage: no file:line error"; }

	# printable garbage, one error per line at most, bounded output
	head -c 200000 /dev/urandom | tr -dc 'a-z{}<>!=,"# \n' > text.conf
	"$bin" -n -f text.conf > out 2> err
	rc=$?
	[ "$rc" -eq 1 ] || { head err; atf_fail "text garbage: exit status $rc"; }
	[ "$(wc -l < err)" -le 102 ] || atf_fail "more than CONF_MAX_ERRORS reported"

	# a config that includes itself
	printf 'include "self.conf"\nmatch for local reject\n' > self.conf
	atf_check -s exit:1 \
	    -e inline:"self.conf:1: include recursion: self.conf is already being read\n" \
	    "$bin" -n -f self.conf

	# a macro that expands to itself, directly and through another
	printf 'a = "$b"\nb = "$a"\nlisten on $a\nmatch for local reject\n' \
	    > mrec.conf
	atf_check -s exit:1 -e inline:"mrec.conf:3: macro 'a' expands to itself\n" \
	    "$bin" -n -f mrec.conf

	# a macro whose expansion redefines it (shorter) while the old
	# value is still being read
	printf '%s\n' "a = 'a = \"127.0.0.1\"'" '$a' 'listen on $a' \
	    'match for local reject' > mredef.conf
	atf_check -o inline:"listen on \"127.0.0.1\" port 25\nmatch from local for local reject\n" \
	    "$bin" -nv -f mredef.conf

	# not a file
	atf_check -s exit:1 -e match:'not a regular file' "$bin" -n -f .
}

atf_init_test_cases()
{
	atf_add_test_case valid
	atf_add_test_case valid_hermetic
	atf_add_test_case listen_hostname
	atf_add_test_case sample
	atf_add_test_case broken
	atf_add_test_case macros
	atf_add_test_case includes
	atf_add_test_case hostile
}
