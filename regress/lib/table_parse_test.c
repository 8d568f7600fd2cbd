/*
 * Unit tests for the table(5)/aliases(5) file syntax
 * (src/lib/table_parse.c): list and mapping detection, "# @list",
 * separators, comments, lower-cased keys, aliases continuation lines,
 * and every malformed file it must refuse with a line number.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "aliases.h"

/* Every entry as "key=value|" (or "key|" in a list) plus its line. */
struct collect {
	char	out[8192];
	char	lines[512];
	int	n;
	int	stop_at;	/* 0: never stop */
};

static int
collect_cb(void *arg, const char *key, const char *val, int line)
{
	struct collect	*c = arg;
	char		 num[16];

	c->n++;
	if (c->stop_at != 0 && c->n == c->stop_at)
		return -1;
	(void)strlcat(c->out, key, sizeof(c->out));
	if (val != NULL) {
		(void)strlcat(c->out, "=", sizeof(c->out));
		(void)strlcat(c->out, val, sizeof(c->out));
	}
	(void)strlcat(c->out, "|", sizeof(c->out));
	(void)snprintf(num, sizeof(num), "%d ", line);
	(void)strlcat(c->lines, num, sizeof(c->lines));
	return 0;
}

static int
parse(const char *text, int flags, struct collect *c, char *err,
    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	return table_parse_file(text, strlen(text), flags, collect_cb, c, err,
	    errlen);
}

static void
ok(const char *text, int flags, const char *want)
{
	struct collect	c;
	char		err[256];

	if (parse(text, flags, &c, err, sizeof(err)) == -1)
		atf_tc_fail("refused %s: %s", text, err);
	ATF_CHECK_STREQ_MSG(c.out, want, "input %s", text);
}

#define BAD(text, flags, want_err) \
	bad((text), sizeof(text) - 1, (flags), (want_err))

static void
bad(const char *text, size_t len, int flags, const char *want_err)
{
	struct collect	c;
	char		err[256];

	memset(&c, 0, sizeof(c));
	if (table_parse_file(text, len, flags, collect_cb, &c, err,
	    sizeof(err)) != -1)
		atf_tc_fail("accepted %s", text);
	ATF_CHECK_STREQ_MSG(err, want_err, "input %s", text);
}

ATF_TC_WITHOUT_HEAD(list);
ATF_TC_BODY(list, tc)
{
	ok("example.org\n*.Example.NET\n\n   \nlocalhost", 0,
	    "example.org|*.example.net|localhost|");
	ok("# a comment\n  # another\nOne\n", 0, "one|");
	/* A line with a blank in a list file: mixing. */
	BAD("a\nb c\n", 0, "line 2: a mapping line in a list file");
	BAD("a\nb:c\n", 0, "line 2: a mapping line in a list file");
}

ATF_TC_WITHOUT_HEAD(forced_list);
ATF_TC_BODY(forced_list, tc)
{
	/* IPv6 addresses hold ':', which would make a mapping. */
	ok("# @list\n::1\nfe80::1\n192.0.2.0/24\n", 0,
	    "::1|fe80::1|192.0.2.0/24|");
	ok("#@list\n::1\n", 0, "::1|");
	BAD("# @list\n::1\nfoo bar\n", 0,
	    "line 3: a mapping line in a list file");
	/* After the first data line the marker means nothing. */
	BAD("a:b\n# @list\nc\n", 0,
	    "line 3: a list line in a mapping file");
}

ATF_TC_WITHOUT_HEAD(mapping);
ATF_TC_BODY(mapping, tc)
{
	ok("Key value\nk2\tv2 with  spaces, commas\n", 0,
	    "key=value|k2=v2 with  spaces, commas|");
	ok("a: b\nc:d\ne :f\ng:: h\n", 0, "a=b|c=d|e=:f|g=h|");
	/* A '#' after data is data (OpenSMTPD 6.8). */
	ok("k v # not a comment\n", 0, "k=v # not a comment|");
	/* CRLF files, trailing blanks, no final newline. */
	ok("k v\r\nk2 v2  \r\nk3 v3", 0, "k=v|k2=v2|k3=v3|");
	ok("", 0, "");
	ok("# only a comment\n\n", 0, "");
	/* Values keep their case; keys do not. */
	ok("USER@Example.ORG Value@Example.ORG\n", 0,
	    "user@example.org=Value@Example.ORG|");
}

ATF_TC_WITHOUT_HEAD(mapping_errors);
ATF_TC_BODY(mapping_errors, tc)
{
	BAD("k v\nlonely\n", 0, "line 2: a list line in a mapping file");
	BAD("k v\nk2:\n", 0, "line 2: key without a value");
	BAD("k v\nk2 :  \n", 0, "line 2: key without a value");
	BAD(": v\n", 0, "line 1: empty key");
	BAD("k v\nk\0x v\n", 0, "line 2: NUL byte");
}

ATF_TC_WITHOUT_HEAD(line_numbers);
ATF_TC_BODY(line_numbers, tc)
{
	struct collect	c;
	char		err[128];

	ATF_REQUIRE_EQ(parse("# c\n\na b\n\n# d\nc d\n", 0, &c, err,
	    sizeof(err)), 0);
	ATF_CHECK_STREQ(c.lines, "3 6 ");
	ATF_REQUIRE_EQ(parse("root: a,\n  b,\n\tc\nx: y\n",
	    TABLE_PARSE_ALIASES, &c, err, sizeof(err)), 0);
	ATF_CHECK_STREQ(c.lines, "1 4 ");
}

ATF_TC_WITHOUT_HEAD(aliases);
ATF_TC_BODY(aliases, tc)
{
	ok("root: admin, bob\n", TABLE_PARSE_ALIASES, "root=admin, bob|");
	ok("Root admin\n", TABLE_PARSE_ALIASES, "root=admin|");
	/* Continuation lines start new items. */
	ok("list: a,\n  b,\n\tc\n# comment\n  d\nx: y\n", TABLE_PARSE_ALIASES,
	    "list=a,,b,,c,d|x=y|");
	/* A lone word is never a list in an aliases file. */
	BAD("root\n", TABLE_PARSE_ALIASES,
	    "line 1: a list line in a mapping file");
	BAD("  b\nroot: a\n", TABLE_PARSE_ALIASES,
	    "line 1: continuation line without an entry");
	/* Without the flag, indentation is just trimmed. */
	ok("a b\n  c d\n", 0, "a=b|c=d|");
}

ATF_TC_WITHOUT_HEAD(limits);
ATF_TC_BODY(limits, tc)
{
	struct collect	 c;
	char		 err[128];
	char		*big;
	size_t		 n, i;

	/* One line at the limit is refused. */
	n = TABLE_MAX_LINE + 10;
	ATF_REQUIRE((big = malloc(n + 1)) != NULL);
	memset(big, 'a', n);
	big[1] = ' ';
	big[n] = '\0';
	bad(big, n, 0, "line 1: line too long");

	free(big);

	/* Continuations cannot grow an entry past the limit either. */
	n = 2 * TABLE_MAX_LINE;
	ATF_REQUIRE((big = malloc(n)) != NULL);
	memcpy(big, "k: v\n", 5);
	for (i = 5; i + 100 <= n; i += 100) {
		big[i] = ' ';
		memset(big + i + 1, 'x', 98);
		big[i + 99] = '\n';
	}
	n = i;
	memset(&c, 0, sizeof(c));
	ATF_CHECK_EQ(table_parse_file(big, n, TABLE_PARSE_ALIASES,
	    collect_cb, &c, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "entry too long") != NULL, "%s", err);
	ATF_CHECK_EQ(c.n, 0);
	free(big);
}

ATF_TC_WITHOUT_HEAD(callback_stops);
ATF_TC_BODY(callback_stops, tc)
{
	struct collect	c;
	char		err[128];

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	ATF_CHECK_EQ(table_parse_file("a b\nc d\ne f\n", 12, 0, collect_cb,
	    &c, err, sizeof(err)), -1);
	ATF_CHECK_EQ(c.n, 2);
	ATF_CHECK_STREQ(err, "line 2: stopped by the caller");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, list);
	ATF_TP_ADD_TC(tp, forced_list);
	ATF_TP_ADD_TC(tp, mapping);
	ATF_TP_ADD_TC(tp, mapping_errors);
	ATF_TP_ADD_TC(tp, line_numbers);
	ATF_TP_ADD_TC(tp, aliases);
	ATF_TP_ADD_TC(tp, limits);
	ATF_TP_ADD_TC(tp, callback_stops);
	return atf_no_error();
}
