#! /usr/bin/atf-sh
#
# The reserved words of smtpd.conf are listed twice: in the keyword table
# of src/smtpd/parse_lex.c, the lexer of parse.y (between the KEYWORDS
# BEGIN and KEYWORDS END comments, one `{ "word", TOKEN },` per line)
# and in man/smtpd.conf.5.
# These cases keep the two lists equal.
#
# Markup rule of man/smtpd.conf.5: every argument of an .Ic or .Cm macro
# is a reserved word of the grammar, and every reserved word appears as
# an .Ic or .Cm argument somewhere.  Literal values that the parser
# takes as plain strings (units, URL schemes, `stdin', limit names that
# are not keywords) are written with .Li, .Ql or .Dq instead.  The words
# are read from mandoc's syntax tree (-Ttree), so line breaks, Xo/Xc
# blocks, Op/Oo nesting and delimiters do not matter.

# doc_keywords PAGE: print every word given to .Ic or .Cm in PAGE, one
# a line, after undoing roff escapes.
doc_keywords()
{
	mandoc -Ttree "$1" | awk '
	{
		match($0, /^ */)
		ind = RLENGTH
		line = substr($0, ind + 1)
		if (inkw && ind <= kwind)
			inkw = 0
		if (line ~ /^(Ic|Cm) \(elem\)/) {
			inkw = 1
			kwind = ind
			next
		}
		if (inkw && line ~ / \(text\) [0-9]+:[0-9]+/) {
			sub(/ \(text\) [0-9]+:[0-9]+.*$/, "", line)
			gsub(/\\&/, "", line)
			gsub(/\\-/, "-", line)
			n = split(line, w, " ")
			for (i = 1; i <= n; i++)
				print w[i]
		}
	}'
}

# parser_keywords PARSEY: print the keyword table of PARSEY, in table
# order.  Exits non-zero and names the line when the block is missing or
# holds a line that is not `{ "word", TOKEN },`, a blank or a comment.
parser_keywords()
{
	awk '
	/\/\* KEYWORDS BEGIN \*\// { on = 1; begun = 1; next }
	/\/\* KEYWORDS END \*\// { if (on) ended = 1; on = 0; next }
	on {
		if ($0 ~ /^[ \t]*$/ || $0 ~ /^[ \t]*\/\*.*\*\/[ \t]*$/)
			next
		if ($0 ~ /^[ \t]*\{[ \t]*"[^"]+"[ \t]*,[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\}[ \t]*,?[ \t]*(\/\*.*\*\/)?[ \t]*$/) {
			s = $0
			sub(/^[^"]*"/, "", s)
			sub(/".*$/, "", s)
			print s
			next
		}
		printf("%s:%d: not a keyword table entry: %s\n", FILENAME,
		    NR, $0) > "/dev/stderr"
		bad = 1
	}
	END {
		if (!begun || !ended) {
			printf("%s: no /* KEYWORDS BEGIN */ ... " \
			    "/* KEYWORDS END */ block\n", FILENAME) > "/dev/stderr"
			exit 2
		}
		if (bad)
			exit 3
	}' "$1"
}

# split_doc_words PAGE: write the keyword-shaped words of PAGE to
# doc.words (sorted, unique) and the misfits to doc.bad.  Pure
# punctuation (delimiters such as `|', `,', `!') is ignored.
split_doc_words()
{
	[ -f "$1" ] || { echo "$1: no such file" >&2; return 1; }
	doc_keywords "$1" >doc.raw || return 1
	grep -E '^[a-z0-9][a-z0-9_+-]*$' doc.raw | LC_ALL=C sort -u >doc.words
	grep -Ev '^[a-z0-9][a-z0-9_+-]*$' doc.raw |
	    grep -Ev '^[][(){}.,;:|<>!?=*"'\'']+$' | LC_ALL=C sort -u >doc.bad
	return 0
}

# compare_keywords PAGE PARSEY: print a report and return 1 when the
# sets differ (in either direction), 2 when a list cannot be read.
compare_keywords()
{
	page=$1
	parsey=$2
	parser_keywords "$parsey" >table.raw || return 2
	LC_ALL=C sort -u table.raw >table.words
	split_doc_words "$page" || return 2
	nt=$(wc -l <table.words)
	nd=$(wc -l <doc.words)
	if [ "$nt" -eq 0 ] || [ "$nd" -eq 0 ]; then
		echo "empty keyword list: $nt in $parsey, $nd in $page"
		return 2
	fi
	LC_ALL=C comm -23 table.words doc.words >only.parser
	LC_ALL=C comm -13 table.words doc.words >only.doc
	rc=0
	if [ -s only.parser ]; then
		echo "in the keyword table of $parsey but not documented" \
		    "(as .Ic or .Cm) in $page:"
		sed 's/^/	/' only.parser
		rc=1
	fi
	if [ -s only.doc ]; then
		echo "documented as a keyword (.Ic or .Cm) in $page but not" \
		    "in the keyword table of $parsey:"
		sed 's/^/	/' only.doc
		rc=1
	fi
	return $rc
}

need_tools()
{
	command -v mandoc >/dev/null 2>&1 ||
	    atf_skip "mandoc is not installed (make deps installs it)"
}

atf_test_case doc_matches_parser
doc_matches_parser_head()
{
	atf_set descr "keywords of parse_lex.c equal those documented in smtpd.conf.5"
}
doc_matches_parser_body()
{
	need_tools
	top=$(atf_config_get top)
	page=$top/man/smtpd.conf.5
	parsey=$top/src/smtpd/parse_lex.c
	[ -f "$page" ] || atf_fail "man/smtpd.conf.5 does not exist"
	[ -f "$parsey" ] || atf_fail "src/smtpd/parse_lex.c does not exist"
	compare_keywords "$page" "$parsey" >report 2>&1
	rc=$?
	cat report
	nt=$(wc -l <table.words 2>/dev/null || echo 0)
	nd=$(wc -l <doc.words 2>/dev/null || echo 0)
	echo "$nt keywords in parse_lex.c, $nd documented in smtpd.conf.5"
	case $rc in
	0)	;;
	1)	atf_fail "keyword table and smtpd.conf.5 differ (see stdout)" ;;
	*)	atf_fail "cannot read the keyword lists (see stdout)" ;;
	esac
	# A grammar this size has far more than 50 reserved words; fewer
	# means the extraction broke, not that the lists agree.
	[ "$nt" -ge 50 ] || atf_fail "only $nt keywords extracted from parse_lex.c"
}

atf_test_case markup_is_keywords_only
markup_is_keywords_only_head()
{
	atf_set descr ".Ic/.Cm in smtpd.conf.5 carry only keyword-shaped words"
}
markup_is_keywords_only_body()
{
	need_tools
	top=$(atf_config_get top)
	split_doc_words "$top/man/smtpd.conf.5" ||
	    atf_fail "cannot read man/smtpd.conf.5"
	if [ -s doc.bad ]; then
		echo "these .Ic/.Cm arguments are not reserved words;" \
		    "write them with .Li, .Ql or .Dq:"
		sed 's/^/	/' doc.bad
		atf_fail "man/smtpd.conf.5 marks non-keywords as keywords"
	fi
}

atf_test_case table_sorted
table_sorted_head()
{
	atf_set descr "parse_lex.c's keyword table is sorted (bsearch) and unique"
}
table_sorted_body()
{
	top=$(atf_config_get top)
	parsey=$top/src/smtpd/parse_lex.c
	[ -f "$parsey" ] || atf_fail "src/smtpd/parse_lex.c does not exist"
	parser_keywords "$parsey" >table.raw 2>err ||
	    { cat err; atf_fail "cannot read the keyword table"; }
	LC_ALL=C sort -u table.raw >table.sorted
	if ! cmp -s table.raw table.sorted; then
		echo "table order vs. sorted unique order (strcmp):"
		diff table.raw table.sorted
		atf_fail "keyword table of parse_lex.c is not sorted and unique"
	fi
}

# The comparison must report a difference in each direction and a
# broken table; otherwise doc_matches_parser could pass vacuously.
atf_test_case detects_differences
detects_differences_head()
{
	atf_set descr "the comparison reports extra words on either side"
}
detects_differences_body()
{
	need_tools
	cat >page.5 <<'EOF'
.Dd $Mdocdate$
.Dt PAGE 5
.Os
.Sh NAME
.Nm page
.Nd keyword comparison self-test
.Sh DESCRIPTION
.Bl -tag -width Ds
.It Ic listen on Ar address Op Cm port Ar number
.It Xo
.Op Li \&!
.Cm from src Oo Cm regex Oc
.Ar net | Pf < Ar table Ns >
.Xc
Options
.Cm tls-require , auth-optional
and
.Cm onlydoc .
.It Ic queue Cm ttl Ar delay Ns Li d
.El
EOF
	cat >parse.y <<'EOF'
static const struct keywords keywords[] = {
	/* KEYWORDS BEGIN */
	{ "auth-optional",	AUTH_OPTIONAL },
	{ "from",		FROM },
	{ "listen",		LISTEN },
	{ "on",			ON },
	{ "onlyparser",		ONLYPARSER },
	{ "port",		PORT },
	{ "queue",		QUEUE },
	{ "regex",		REGEX },
	{ "src",		SRC },
	{ "tls-require",	TLS_REQUIRE },
	{ "ttl",		TTL },
	/* KEYWORDS END */
};
EOF
	compare_keywords page.5 parse.y >report 2>&1
	rc=$?
	cat report
	[ "$rc" -eq 1 ] || atf_fail "comparison returned $rc, expected 1"
	grep -A1 'not documented' report | grep -q 'onlyparser' ||
	    atf_fail "a parser-only keyword was not reported"
	grep -A1 'not in the keyword table' report | grep -q 'onlydoc' ||
	    atf_fail "a documentation-only keyword was not reported"
	[ "$(wc -l <only.parser)" -eq 1 ] && [ "$(wc -l <only.doc)" -eq 1 ] ||
	    atf_fail "words marked up across Xo/Op/Oo were not all found"

	# Equal sets compare clean.
	sed -e '/onlyparser/d' parse.y >parse2.y
	sed -e 's/Cm onlydoc/Li onlydoc/' page.5 >page2.5
	compare_keywords page2.5 parse2.y >report2 2>&1 ||
	    { cat report2; atf_fail "equal sets reported as different"; }

	# A malformed table line and a missing block are errors.
	sed -e 's/{ "regex",.*/regex REGEX/' parse2.y >parse3.y
	compare_keywords page2.5 parse3.y >report3 2>&1
	[ $? -eq 2 ] || atf_fail "malformed table line not reported"
	grep -q 'not a keyword table entry' report3 ||
	    atf_fail "malformed table line not named"
	sed -e '/KEYWORDS END/d' parse2.y >parse4.y
	compare_keywords page2.5 parse4.y >report4 2>&1
	[ $? -eq 2 ] || atf_fail "missing KEYWORDS END not reported"

	# A non-keyword under .Cm is caught by the markup check.
	sed -e 's/Cm onlydoc/Cm smtp+tls:\/\//' page.5 >page5.5
	split_doc_words page5.5
	grep -q 'smtp+tls://' doc.bad ||
	    atf_fail "a URL marked .Cm was not flagged"
}

atf_init_test_cases()
{
	atf_add_test_case doc_matches_parser
	atf_add_test_case markup_is_keywords_only
	atf_add_test_case table_sorted
	atf_add_test_case detects_differences
}
