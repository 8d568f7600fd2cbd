#! /usr/bin/atf-sh
#
# Every manual page under man/ must be clean under
# `mandoc -Tlint -Wwarning`: no warnings, no errors, no unsupported
# requests.  One case per page that the project ships, and one that
# sweeps the whole directory so that a page added later is covered too.

# Lint one page; fail with mandoc's own messages when it complains.
lint_page()
{
	top=$(atf_config_get top)
	page=$top/man/$1
	[ -f "$page" ] || atf_fail "man/$1 does not exist"
	command -v mandoc >/dev/null 2>&1 ||
	    atf_skip "mandoc is not installed (make deps installs it)"
	if ! mandoc -Tlint -Wwarning "$page" >lint.out 2>&1 ||
	    [ -s lint.out ]; then
		cat lint.out
		atf_fail "mandoc -Tlint -Wwarning reports problems in man/$1"
	fi
	# The page must also render: an empty or near-empty result means
	# the source is not mdoc at all.
	mandoc -Tascii "$page" >render.out 2>&1 ||
	    atf_fail "mandoc cannot render man/$1"
	lines=$(wc -l <render.out)
	[ "$lines" -ge 20 ] ||
	    atf_fail "man/$1 renders to only $lines lines"
}

atf_test_case smtpd_8
smtpd_8_head()
{
	atf_set descr "man/smtpd.8 is clean under mandoc -Tlint -Wwarning"
}
smtpd_8_body()
{
	lint_page smtpd.8
}

atf_test_case smtpd_conf_5
smtpd_conf_5_head()
{
	atf_set descr "man/smtpd.conf.5 is clean under mandoc -Tlint -Wwarning"
}
smtpd_conf_5_body()
{
	lint_page smtpd.conf.5
}

atf_test_case smtpctl_8
smtpctl_8_head()
{
	atf_set descr "man/smtpctl.8 is clean under mandoc -Tlint -Wwarning"
}
smtpctl_8_body()
{
	lint_page smtpctl.8
}

atf_test_case aliases_5
aliases_5_head()
{
	atf_set descr "man/aliases.5 is clean under mandoc -Tlint -Wwarning"
}
aliases_5_body()
{
	lint_page aliases.5
}

atf_test_case forward_5
forward_5_head()
{
	atf_set descr "man/forward.5 is clean under mandoc -Tlint -Wwarning"
}
forward_5_body()
{
	lint_page forward.5
}

atf_test_case table_5
table_5_head()
{
	atf_set descr "man/table.5 is clean under mandoc -Tlint -Wwarning"
}
table_5_body()
{
	lint_page table.5
}

atf_test_case all_pages
all_pages_head()
{
	atf_set descr "every page in man/ is clean under mandoc -Tlint"
}
all_pages_body()
{
	top=$(atf_config_get top)
	command -v mandoc >/dev/null 2>&1 ||
	    atf_skip "mandoc is not installed (make deps installs it)"
	n=0
	bad=""
	for page in "$top"/man/*.[1-9]; do
		[ -f "$page" ] || continue
		n=$((n + 1))
		if ! mandoc -Tlint -Wwarning "$page" >lint.out 2>&1 ||
		    [ -s lint.out ]; then
			cat lint.out
			bad="$bad ${page##*/}"
		fi
	done
	[ "$n" -ge 6 ] || atf_fail "expected at least 6 pages in man/, found $n"
	[ -z "$bad" ] || atf_fail "mandoc -Tlint complains about:$bad"
}

# The linter itself must be able to fail: a page with a known defect
# has to be reported, or the cases above prove nothing.
atf_test_case lint_catches_defects
lint_catches_defects_head()
{
	atf_set descr "mandoc -Tlint -Wwarning reports a deliberately bad page"
}
lint_catches_defects_body()
{
	command -v mandoc >/dev/null 2>&1 ||
	    atf_skip "mandoc is not installed (make deps installs it)"
	cat >bad.8 <<'EOF'
.Dd $Mdocdate$
.Dt BAD 8
.Os
.Sh NAME
.Nm bad
.Nd a page with a defect
.Sh DESCRIPTION
.Bl -tag
.It Fl x
an unclosed list and a trailing space 
EOF
	if mandoc -Tlint -Wwarning bad.8 >lint.out 2>&1 &&
	    ! [ -s lint.out ]; then
		atf_fail "mandoc accepted a broken page; the lint cases are void"
	fi
}

atf_init_test_cases()
{
	atf_add_test_case smtpd_8
	atf_add_test_case smtpd_conf_5
	atf_add_test_case smtpctl_8
	atf_add_test_case aliases_5
	atf_add_test_case forward_5
	atf_add_test_case table_5
	atf_add_test_case all_pages
	atf_add_test_case lint_catches_defects
}
