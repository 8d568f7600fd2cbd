/*
 * Unit tests for aliases(5)/forward(5) items (src/lib/aliases.c): each
 * of the six kinds, quoting and escapes, separators, and every item the
 * parser must refuse (unbalanced quotes, over-long items, NUL bytes,
 * control characters, error: without a valid code, bad addresses).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "aliases.h"

/* Items rendered as "KIND:value;" for compact comparisons. */
struct collect {
	char	out[16384];
	int	n;
	int	stop_at;
};

static const char *
kind(enum expand_type t)
{
	switch (t) {
	case EXP_ADDRESS:
		return "addr";
	case EXP_USERNAME:
		return "user";
	case EXP_FILENAME:
		return "file";
	case EXP_COMMAND:
		return "cmd";
	case EXP_INCLUDE:
		return "incl";
	case EXP_ERROR:
		return "err";
	}
	return "?";
}

static int
collect_cb(void *arg, const struct expand_item *it)
{
	struct collect	*c = arg;
	char		 one[2048];

	c->n++;
	if (c->stop_at != 0 && c->n == c->stop_at)
		return -1;
	switch (it->en_type) {
	case EXP_ADDRESS:
		(void)snprintf(one, sizeof(one), "addr:[%s]@[%s];",
		    it->en_addr.ma_user, it->en_addr.ma_domain);
		break;
	case EXP_USERNAME:
		ATF_CHECK_STREQ(it->en_addr.ma_domain, "");
		(void)snprintf(one, sizeof(one), "user%s:%s;",
		    it->en_noexpand ? "!" : "", it->en_addr.ma_user);
		break;
	case EXP_ERROR:
		(void)snprintf(one, sizeof(one), "err:%d:%s;", it->en_code,
		    it->en_value);
		break;
	default:
		(void)snprintf(one, sizeof(one), "%s:%s;", kind(it->en_type),
		    it->en_value);
		break;
	}
	if (it->en_type != EXP_USERNAME)
		ATF_CHECK_EQ(it->en_noexpand, 0);
	(void)strlcat(c->out, one, sizeof(c->out));
	return 0;
}

static void
ok_len(const char *s, size_t len, const char *want)
{
	struct collect	 c;
	const char	*errstr;

	memset(&c, 0, sizeof(c));
	if (aliases_parse_items(s, len, collect_cb, &c, &errstr) == -1)
		atf_tc_fail("refused [%s]: %s", s, errstr);
	ATF_CHECK_STREQ_MSG(c.out, want, "input [%s]", s);
}

static void
ok(const char *s, const char *want)
{
	ok_len(s, strlen(s), want);
}

static void
bad_len(const char *s, size_t len, const char *want_err)
{
	struct collect	 c;
	const char	*errstr = NULL;

	memset(&c, 0, sizeof(c));
	if (aliases_parse_items(s, len, collect_cb, &c, &errstr) != -1)
		atf_tc_fail("accepted [%s] as %s", s, c.out);
	ATF_REQUIRE(errstr != NULL);
	if (want_err != NULL)
		ATF_CHECK_STREQ_MSG(errstr, want_err, "input [%s]", s);
}

static void
bad(const char *s, const char *want_err)
{
	bad_len(s, strlen(s), want_err);
}

ATF_TC_WITHOUT_HEAD(kinds);
ATF_TC_BODY(kinds, tc)
{
	ok("bob@Example.ORG", "addr:[bob]@[example.org];");
	ok("bob", "user:bob;");
	ok("first.last-x_y+tag", "user:first.last-x_y+tag;");
	ok("/var/mail/archive", "file:/var/mail/archive;");
	ok("|/usr/bin/procmail -a x", "cmd:/usr/bin/procmail -a x;");
	ok(":include:/etc/mail/staff", "incl:/etc/mail/staff;");
	ok("include:/etc/mail/staff", "incl:/etc/mail/staff;");
	ok("error:550 gone away", "err:550:gone away;");
	ok(":error:450 try later", "err:450:try later;");
	ok("ERROR:550 5.1.1 user unknown", "err:550:5.1.1 user unknown;");
	ok("error:421 4.3.2 not now", "err:421:4.3.2 not now;");
	ok("\\root", "user!:root;");
}

ATF_TC_WITHOUT_HEAD(lists);
ATF_TC_BODY(lists, tc)
{
	ok("a, b@example.org ,  /tmp/x,|cmd",
	    "user:a;addr:[b]@[example.org];file:/tmp/x;cmd:cmd;");
	/* Newlines separate too (.forward, :include: files). */
	ok("a\nb\r\n\n c \n", "user:a;user:b;user:c;");
	/* Empty items are skipped. */
	ok(",, a,,,", "user:a;");
	ok("", "");
	ok("  \t ", "");
	/* Comment lines (.forward): only where a line starts. */
	ok("# mine\nbob\n  # indented, too\n\n/tmp/x # not here\n#",
	    "user:bob;file:/tmp/x # not here;");
	ok("#only a comment", "");
	bad("a, #b", "invalid user name");
}

ATF_TC_WITHOUT_HEAD(quoting);
ATF_TC_BODY(quoting, tc)
{
	/* A comma inside quotes does not separate. */
	ok("\"|/bin/echo a, b\", bob", "cmd:/bin/echo a, b;user:bob;");
	ok("'|/bin/echo a, b'", "cmd:/bin/echo a, b;");
	/* Escapes inside a quoted item are undone. */
	ok("\"|/bin/echo \\\"x\\\"\"", "cmd:/bin/echo \"x\";");
	/* An unquoted command keeps its inner quotes for the shell. */
	ok("|/bin/echo \"a, b\"", "cmd:/bin/echo \"a, b\";");
	/* A quoted local part reaches the address parser. */
	ok("\"john doe\"@example.org", "addr:[john doe]@[example.org];");
	ok("\"a,b\"@example.org, c", "addr:[a,b]@[example.org];user:c;");
	/* A single quote inside a word is not a quote. */
	ok("o'brien@example.org, x", "addr:[o'brien]@[example.org];user:x;");
	/* A whole quoted address. */
	ok("\"bob@example.org\"", "addr:[bob]@[example.org];");
	/* An escaped comma does not separate (and is not a user name). */
	bad("a\\,b", "invalid user name");
	/* UTF-8 addresses. */
	ok("j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	    "addr:[j\xc3\xb6rg]@[b\xc3\xbc" "cher.example];");
}

ATF_TC_WITHOUT_HEAD(errors_refused);
ATF_TC_BODY(errors_refused, tc)
{
	bad("error:", "error: needs a 4xx or 5xx code");
	bad("error:gone", "error: needs a 4xx or 5xx code");
	bad("error:250 fine", "error: needs a 4xx or 5xx code");
	bad("error:650 x", "error: needs a 4xx or 5xx code");
	bad("error:55 x", "error: needs a 4xx or 5xx code");
	bad("error:5500 x", "error: needs a 4xx or 5xx code");
	bad("error:550", "error: needs a text after the code");
	bad("error:550   ", "error: needs a text after the code");
	bad("error:550x", "error: needs a text after the code");
	/* An enhanced code of the wrong class, or malformed. */
	bad("error:550 4.1.1 x", "error: bad enhanced status code");
	bad("error:450 5.1.1 x", "error: bad enhanced status code");
	bad("error:550 5.1 x", "error: bad enhanced status code");
	bad("error:550 5.1.1000 x", "error: bad enhanced status code");
	/* A comma ends the item: the rest is another (valid) item. */
	ok("error:550 a, b", "err:550:a;user:b;");
}

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	bad("\"unbalanced", "unbalanced quote");
	bad("a, '|cmd", "unbalanced quote");
	bad("a\\", "backslash at the end of a line");
	bad("a\\\nb", "backslash at the end of a line");
	bad("\"|cmd a,\nb\"", "unbalanced quote");
	bad("\"|cmd a,\\\nb\"", "unbalanced quote");
	bad_len("a\0b", 3, "NUL byte");
	bad("a\x01" "b", "control character in an item");
	bad("|echo \x1b[2J", "control character in an item");
	bad("\"\"", "empty quoted item");
	bad("|", "empty path or command");
	bad(":include:", ":include: needs an absolute path");
	bad(":include:relative/path", ":include: needs an absolute path");
	bad("\\", "backslash at the end of a line");
	bad("\\bob@example.org", "invalid user name after '\\'");
	bad("\\", NULL);
	bad("user name", "invalid user name");
	bad("bob%other", "invalid user name");
	bad("bob@", NULL);
	bad("@example.org", NULL);
	bad("bob@exa mple.org", NULL);
	bad("bob@@example.org", NULL);
	bad("a, ok@example.org, b!c", "invalid user name");
}

ATF_TC_WITHOUT_HEAD(limits);
ATF_TC_BODY(limits, tc)
{
	char	buf[4 * ENVELOPE_ARG_MAX];
	char	want[4 * ENVELOPE_ARG_MAX];

	/* A command exactly ENVELOPE_ARG_MAX long is fine, one more not. */
	buf[0] = '|';
	memset(buf + 1, 'x', ENVELOPE_ARG_MAX);
	buf[ENVELOPE_ARG_MAX + 1] = '\0';
	(void)snprintf(want, sizeof(want), "cmd:%s;", buf + 1);
	ok(buf, want);
	buf[ENVELOPE_ARG_MAX + 1] = 'x';
	buf[ENVELOPE_ARG_MAX + 2] = '\0';
	bad(buf, "item too long");

	/* Raw items too long to be anything. */
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	bad(buf, "item too long");

	/* error text too long. */
	memcpy(buf, "error:550 ", 10);
	memset(buf + 10, 'e', ENVELOPE_ARG_MAX + 1);
	buf[10 + ENVELOPE_ARG_MAX + 1] = '\0';
	bad(buf, "item too long");

	/* A user name over the local part limit. */
	memset(buf, 'u', SMTP_LOCALPART_MAX + 1);
	buf[SMTP_LOCALPART_MAX + 1] = '\0';
	bad(buf, "invalid user name");
	buf[SMTP_LOCALPART_MAX] = '\0';
	ATF_REQUIRE(snprintf(want, sizeof(want), "user:%s;", buf) > 0);
	ok(buf, want);
}

ATF_TC_WITHOUT_HEAD(callback_stops);
ATF_TC_BODY(callback_stops, tc)
{
	struct collect	 c;
	const char	*errstr;

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	ATF_CHECK_EQ(aliases_parse_items("a, b, c", 7, collect_cb, &c,
	    &errstr), -1);
	ATF_CHECK_EQ(c.n, 2);
	ATF_CHECK_STREQ(c.out, "user:a;");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, kinds);
	ATF_TP_ADD_TC(tp, lists);
	ATF_TP_ADD_TC(tp, quoting);
	ATF_TP_ADD_TC(tp, errors_refused);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, limits);
	ATF_TP_ADD_TC(tp, callback_stops);
	return atf_no_error();
}
