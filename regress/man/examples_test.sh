#! /usr/bin/atf-sh
#
# The configurations that the documentation shows must be accepted by
# the parser: each literal block of the EXAMPLES section of
# man/smtpd.conf.5, and the sample etc/smtpd.conf, go through
# `smtpd -n`.  Certificate and key paths in pki lines are pointed at a
# throw-away key pair made here, since the parser checks key files.

# examples PAGE DIR: write the literal blocks of PAGE's EXAMPLES section
# to DIR/ex1.conf, DIR/ex2.conf, ... with roff escapes undone; print how
# many were written.
examples()
{
	awk -v dir="$2" '
	/^\.Sh / { inex = ($0 == ".Sh EXAMPLES") ; next }
	inex && /^\.Bd -literal/ { n++; out = dir "/ex" n ".conf"; inbd = 1
	    printf("") > out; next }
	inex && inbd && /^\.Ed/ { inbd = 0; close(out); next }
	inex && inbd {
		line = $0
		gsub(/\\&/, "", line)
		gsub(/\\-/, "-", line)
		gsub(/\\e/, "\\", line)
		print line > out
	}
	END { print n + 0 }' "$1"
}

# keypair DIR: a self-signed certificate and a 0600 key in DIR.
keypair()
{
	command -v openssl >/dev/null 2>&1 ||
	    atf_skip "openssl is not installed (make deps installs it)"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj "/CN=mail.example.org" -keyout "$1/key.pem" \
	    -out "$1/cert.pem" >/dev/null 2>&1 ||
	    atf_fail "openssl cannot make a test key pair"
	chmod 600 "$1/key.pem"
}

# check_conf FILE: smtpd -n must accept FILE, with pki paths redirected.
check_conf()
{
	sed -e "s|\(pki [^ ]* cert \)\"[^\"]*\"|\1\"$PWD/cert.pem\"|" \
	    -e "s|\(pki [^ ]* key \)\"[^\"]*\"|\1\"$PWD/key.pem\"|" \
	    "$1" >check.conf
	if ! "$smtpd" -n -f check.conf >out 2>&1; then
		echo "--- $2:"
		cat check.conf
		echo "--- smtpd -n says:"
		cat out
		return 1
	fi
	return 0
}

find_smtpd()
{
	smtpd=$(atf_config_get bindir)/smtpd
	[ -x "$smtpd" ] || atf_fail "$smtpd is not built (make asan)"
}

atf_test_case manual_examples
manual_examples_head()
{
	atf_set descr "the EXAMPLES of smtpd.conf.5 pass smtpd -n"
}
manual_examples_body()
{
	top=$(atf_config_get top)
	find_smtpd
	keypair "$PWD"
	mkdir ex
	n=$(examples "$top/man/smtpd.conf.5" ex)
	[ "$n" -ge 3 ] ||
	    atf_fail "found $n literal blocks in EXAMPLES of smtpd.conf.5"
	bad=""
	i=1
	while [ "$i" -le "$n" ]; do
		check_conf "ex/ex$i.conf" "example $i of smtpd.conf.5" ||
		    bad="$bad $i"
		i=$((i + 1))
	done
	[ -z "$bad" ] || atf_fail "smtpd -n rejects example(s)$bad of smtpd.conf.5"
}

atf_test_case sample_config
sample_config_head()
{
	atf_set descr "etc/smtpd.conf, as shipped and with its comments enabled, passes smtpd -n"
}
sample_config_body()
{
	top=$(atf_config_get top)
	find_smtpd
	keypair "$PWD"
	check_conf "$top/etc/smtpd.conf" "etc/smtpd.conf" ||
	    atf_fail "smtpd -n rejects etc/smtpd.conf"
	# As `make run` starts it: the aliases macro given with -D.
	grep -Eq 'smtpd -d -f \$\(RUN_CONF\) .*-D aliases=' "$top/Makefile" ||
	    atf_fail "make run does not set the aliases macro (Makefile)"
	"$smtpd" -n -f "$top/etc/smtpd.conf" \
	    -D "aliases=file:$top/etc/aliases" >out 2>&1 ||
	    { cat out; atf_fail "smtpd -n -D aliases=... rejects etc/smtpd.conf"; }
	# The commented-out examples must be valid too once enabled (the
	# table file is made here since a minimal system may have none).
	printf 'postmaster: root\n' >aliases
	sed -e 's|^#\([a-z]\)|\1|' \
	    -e "s|file:/etc/aliases|file:$PWD/aliases|" \
	    "$top/etc/smtpd.conf" >enabled.conf
	check_conf enabled.conf "etc/smtpd.conf with the examples enabled" ||
	    atf_fail "smtpd -n rejects the commented examples of etc/smtpd.conf"
}

# The extraction must find what is there, or the cases above are void.
atf_test_case extraction
extraction_head()
{
	atf_set descr "literal blocks are extracted with escapes undone"
}
extraction_body()
{
	cat >page.5 <<'EOF'
.Sh DESCRIPTION
.Bd -literal
not an example
.Ed
.Sh EXAMPLES
.Bd -literal -offset indent
action "a" mda "/bin/x \-f" \e
	alias <t>
.Ed
text
.Bd -literal
match for any action "a"
.Ed
.Sh SEE ALSO
EOF
	mkdir ex
	n=$(examples page.5 ex)
	[ "$n" -eq 2 ] || atf_fail "expected 2 blocks, got $n"
	printf '%s\n' 'action "a" mda "/bin/x -f" \' '	alias <t>' >want1
	cmp -s want1 ex/ex1.conf || { diff want1 ex/ex1.conf;
	    atf_fail "block 1 extracted wrongly"; }
	grep -qx 'match for any action "a"' ex/ex2.conf ||
	    atf_fail "block 2 extracted wrongly"
}

atf_init_test_cases()
{
	atf_add_test_case manual_examples
	atf_add_test_case sample_config
	atf_add_test_case extraction
}
