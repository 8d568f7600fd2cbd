/*
 * Unit tests for mail address parsing and formatting
 * (src/lib/mailaddr.c): RFC 5321 Mailbox and Path syntax, length limits
 * at and one past each limit, quoted local parts, address literals,
 * UTF-8 under SMTPUTF8, and every way a local part could try to name a
 * second destination ('%', '!', quoted '@', two '@', source routes).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailaddr.h"

/* Parse s (NUL-terminated) and expect success with user and domain. */
static void
ok(const char *s, int flags, const char *user, const char *domain)
{
	struct mailaddr	 ma;
	const char	*errstr = NULL;

	if (mailaddr_parse(&ma, s, strlen(s), flags, &errstr) == -1)
		atf_tc_fail("\"%s\" refused: %s", s, errstr);
	ATF_CHECK_STREQ_MSG(ma.ma_user, user, "user of \"%s\"", s);
	ATF_CHECK_STREQ_MSG(ma.ma_domain, domain, "domain of \"%s\"", s);
}

static void
bad(const char *s, int flags)
{
	struct mailaddr	 ma;
	const char	*errstr = NULL;

	ATF_CHECK_MSG(mailaddr_parse(&ma, s, strlen(s), flags, &errstr) == -1,
	    "\"%s\" accepted", s);
	ATF_CHECK_MSG(errstr != NULL, "no reason for \"%s\"", s);
	ATF_CHECK_STREQ(ma.ma_user, "");
	ATF_CHECK_STREQ(ma.ma_domain, "");
}

static void
path_ok(const char *s, int allow_null, int flags, const char *user,
    const char *domain)
{
	struct mailaddr	 ma;
	const char	*errstr = NULL;

	if (mailaddr_parse_path(&ma, s, strlen(s), allow_null, flags,
	    &errstr) == -1)
		atf_tc_fail("path \"%s\" refused: %s", s, errstr);
	ATF_CHECK_STREQ_MSG(ma.ma_user, user, "user of \"%s\"", s);
	ATF_CHECK_STREQ_MSG(ma.ma_domain, domain, "domain of \"%s\"", s);
}

static void
path_bad(const char *s, int allow_null, int flags)
{
	struct mailaddr	 ma;
	const char	*errstr = NULL;

	ATF_CHECK_MSG(mailaddr_parse_path(&ma, s, strlen(s), allow_null,
	    flags, &errstr) == -1, "path \"%s\" accepted", s);
	ATF_CHECK_MSG(errstr != NULL, "no reason for \"%s\"", s);
}

/* n copies of c followed by tail. */
static char *
rep(char c, size_t n, const char *head, const char *tail)
{
	char	*s;
	size_t	 h = strlen(head), t = strlen(tail);

	s = malloc(h + n + t + 1);
	ATF_REQUIRE(s != NULL);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

ATF_TC_WITHOUT_HEAD(simple);
ATF_TC_BODY(simple, tc)
{
	ok("user@example.org", 0, "user", "example.org");
	ok("User.Name@Example.ORG", 0, "User.Name", "example.org");
	ok("a@b", 0, "a", "b");
	ok("first.last+tag@sub.example.org", 0, "first.last+tag",
	    "sub.example.org");
	ok("!#$%&'*+-/=?^_`{|}~@x.y", 0, "!#$%&'*+-/=?^_`{|}~", "x.y");
	ok("u@a-b.c-d", 0, "u", "a-b.c-d");
	ok("u@123.example", 0, "u", "123.example");
	ok("u@1.2.3.4", 0, "u", "1.2.3.4");	/* LDH labels, not a literal */
	/* Not NUL-terminated: only len bytes count. */
	{
		struct mailaddr	ma;

		ATF_REQUIRE(mailaddr_parse(&ma, "ab@cd.efXXX", 8, 0,
		    NULL) == 0);
		ATF_CHECK_STREQ(ma.ma_user, "ab");
		ATF_CHECK_STREQ(ma.ma_domain, "cd.ef");
	}
}

ATF_TC_WITHOUT_HEAD(dot_atom_errors);
ATF_TC_BODY(dot_atom_errors, tc)
{
	bad("", 0);
	bad("@example.org", 0);
	bad(".user@example.org", 0);
	bad("user.@example.org", 0);
	bad("us..er@example.org", 0);
	bad("us er@example.org", 0);
	bad("us(er)@example.org", 0);
	bad("us,er@example.org", 0);
	bad("us:er@example.org", 0);
	bad("us;er@example.org", 0);
	bad("us<er@example.org", 0);
	bad("us>er@example.org", 0);
	bad("us[er@example.org", 0);
	bad("us\\er@example.org", 0);
	bad("us\"er@example.org", 0);
	bad("us\ter@example.org", 0);
	bad("us\rer@example.org", 0);
	bad("us\ner@example.org", 0);
	bad("user", 0);
	bad("user@", 0);
	bad("\"user\"x@example.org", 0);
	{
		struct mailaddr	ma;

		ATF_CHECK(mailaddr_parse(&ma, "us\0er@example.org", 17, 0,
		    NULL) == -1);
		ATF_CHECK(mailaddr_parse(&ma, "user@exa\0mple.org", 17, 0,
		    NULL) == -1);
	}
}

ATF_TC_WITHOUT_HEAD(domain_errors);
ATF_TC_BODY(domain_errors, tc)
{
	bad("u@-example.org", 0);
	bad("u@example-.org", 0);
	bad("u@exa_mple.org", 0);
	bad("u@example..org", 0);
	bad("u@.example.org", 0);
	bad("u@example.org.", 0);
	bad("u@exa mple.org", 0);
	bad("u@example.org>", 0);
	bad("u@[192.0.2.1", 0);
	bad("u@192.0.2.1]", 0);
	bad("u@[192.0.2.256]", 0);
	bad("u@[192.0.2]", 0);
	bad("u@[192.0.2.1.5]", 0);
	bad("u@[]", 0);
	bad("u@[example.org]", 0);
	bad("u@[IPv6:192.0.2.1x]", 0);
	bad("u@[IPv6:2001:db8::1::2]", 0);
	bad("u@[IPv6:]", 0);
	bad("u@[IPv4:192.0.2.1]", 0);
	bad("u@[x-tag:stuff]", 0);
	bad("u@[2001:db8::1]", 0);	/* IPv6 needs its tag */
	bad("u@[IPv6:2001:db8::1 ]", 0);
	bad("u@[ 192.0.2.1]", 0);
	{
		/* A NUL inside a literal must not cut it short (found by
		 * fuzz_addr: inet_pton() stops at the NUL). */
		struct mailaddr	ma;

		ATF_CHECK(mailaddr_parse(&ma, "u@[IPv6:2001:db8::\0\0001]",
		    22, 0, NULL) == -1);
		ATF_CHECK(mailaddr_parse(&ma, "u@[192.0.2.1\0]", 14, 0,
		    NULL) == -1);
		ATF_CHECK(mailaddr_parse_path(&ma, "<u@[192.0.2.1\0]>", 16, 0,
		    0, NULL) == -1);
	}
	ATF_CHECK(!mailaddr_domain_valid("", 0));
	ATF_CHECK(!mailaddr_domain_valid("a_b.example", 0));
	ATF_CHECK(mailaddr_domain_valid("a_b.example", MAILADDR_HOSTNAME));
	ATF_CHECK(mailaddr_domain_valid("example.org", 0));
	ATF_CHECK(mailaddr_domain_valid("[127.0.0.1]", 0));
	ATF_CHECK(mailaddr_domain_valid("[IPv6:::1]", 0));
	ATF_CHECK(!mailaddr_domain_valid("ex\xc3\xa9.org", 0));
	ATF_CHECK(mailaddr_domain_valid("ex\xc3\xa9.org", MAILADDR_UTF8));
}

ATF_TC_WITHOUT_HEAD(literals);
ATF_TC_BODY(literals, tc)
{
	ok("u@[192.0.2.1]", 0, "u", "[192.0.2.1]");
	ok("u@[IPv6:2001:db8::1]", 0, "u", "[ipv6:2001:db8::1]");
	ok("u@[ipv6:::1]", 0, "u", "[ipv6:::1]");
	ok("u@[IPv6:::ffff:192.0.2.1]", 0, "u", "[ipv6:::ffff:192.0.2.1]");
	ok("u@[IPv6:2001:DB8:0:0:0:0:0:1]", 0, "u",
	    "[ipv6:2001:db8:0:0:0:0:0:1]");
}

ATF_TC_WITHOUT_HEAD(quoted);
ATF_TC_BODY(quoted, tc)
{
	ok("\"john doe\"@example.org", 0, "john doe", "example.org");
	ok("\"a\\\"b\"@example.org", 0, "a\"b", "example.org");
	ok("\"a\\\\b\"@example.org", 0, "a\\b", "example.org");
	ok("\"\\a\"@example.org", 0, "a", "example.org");
	ok("\"plain\"@example.org", 0, "plain", "example.org");
	ok("\"a..b\"@example.org", 0, "a..b", "example.org");
	ok("\"(),:;<>[]\"@example.org", 0, "(),:;<>[]", "example.org");
	bad("\"\"@example.org", 0);		/* empty local part */
	bad("\"unterminated@example.org", 0);
	bad("\"a\\\"@example.org", 0);		/* escaped closing quote */
	bad("\"a\tb\"@example.org", 0);		/* control in qtext */
	bad("\"a\\\tb\"@example.org", 0);	/* quoted-pair is 32..126 */
	bad("\"a\\\rb\"@example.org", 0);
	bad("\"a\rb\"@example.org", 0);
	bad("\"a\nb\"@example.org", 0);
	bad("\"a\"\"b\"@example.org", 0);
	bad("\"a\".b@example.org", 0);
	bad("\"a", 0);
	bad("\"a\\", 0);
	ok("\"a b\"", MAILADDR_NO_DOMAIN_OK, "a b", "");
}

/* Nothing in a local part routes: the domain is always the last one. */
ATF_TC_WITHOUT_HEAD(relay_tricks);
ATF_TC_BODY(relay_tricks, tc)
{
	ok("user%remote@local", 0, "user%remote", "local");
	ok("user%remote.example@local.example", 0, "user%remote.example",
	    "local.example");
	ok("remote!user@local", 0, "remote!user", "local");
	ok("\"user@remote\"@local", 0, "user@remote", "local");
	ok("\"user@remote\"@local", MAILADDR_NO_DOMAIN_OK, "user@remote",
	    "local");
	bad("user@remote@local", 0);
	bad("user@remote@local", MAILADDR_NO_DOMAIN_OK);
	bad("\"user\"@remote@local", 0);
	bad("user@[192.0.2.1]@local", 0);
	bad("@remote:user@local", 0);	/* a route only inside a path */
	path_ok("<@remote:user@local>", 0, 0, "user", "local");
	path_ok("<@a.example,@b.example:user@local>", 0, 0, "user", "local");
	path_ok("<user%remote@local>", 0, 0, "user%remote", "local");
	path_ok("<remote!user@local>", 0, 0, "remote!user", "local");
	path_ok("<\"user@remote\"@local>", 0, 0, "user@remote", "local");
	path_ok("<\"a>b\"@local>", 0, 0, "a>b", "local");
	path_bad("<user@remote@local>", 0, 0);
	path_bad("<@remote:user@remote@local>", 0, 0);
}

ATF_TC_WITHOUT_HEAD(no_domain);
ATF_TC_BODY(no_domain, tc)
{
	ok("postmaster", MAILADDR_NO_DOMAIN_OK, "postmaster", "");
	ok("user.name", MAILADDR_NO_DOMAIN_OK, "user.name", "");
	bad("postmaster", 0);
	bad("user@", MAILADDR_NO_DOMAIN_OK);
	bad("", MAILADDR_NO_DOMAIN_OK);
}

ATF_TC_WITHOUT_HEAD(length_limits);
ATF_TC_BODY(length_limits, tc)
{
	struct mailaddr	 ma;
	char		*s, *u, *q;
	char		 dom[SMTP_DOMAIN_MAX + 2];
	char		 buf[1024];
	size_t		 n;

	/* Local part: 64 octets as written, quotes included. */
	s = rep('a', 64, "", "@example.org");
	u = rep('a', 64, "", "");
	ok(s, 0, u, "example.org");
	free(s);
	s = rep('a', 65, "", "@example.org");
	bad(s, 0);
	free(s);
	free(u);
	q = rep('a', 62, "\"", "\"@example.org");
	u = rep('a', 62, "", "");
	ok(q, 0, u, "example.org");
	free(q);
	free(u);
	q = rep('a', 63, "\"", "\"@example.org");
	bad(q, 0);
	free(q);
	q = rep(' ', 65, "\"", "\"@example.org");
	bad(q, 0);
	free(q);

	/* Label: 63 octets. */
	s = rep('b', 63, "u@", ".example");
	ATF_CHECK(mailaddr_parse(&ma, s, strlen(s), 0, NULL) == 0);
	free(s);
	s = rep('b', 64, "u@", ".example");
	bad(s, 0);
	free(s);

	/* Domain: 255 octets, labels of 63. */
	n = 0;
	while (n < SMTP_DOMAIN_MAX) {
		size_t	l = SMTP_DOMAIN_MAX - n;

		if (n > 0) {
			dom[n++] = '.';
			l--;
		}
		if (l > 63)
			l = 63;
		memset(dom + n, 'c', l);
		n += l;
	}
	dom[n] = '\0';
	ATF_REQUIRE_EQ(strlen(dom), SMTP_DOMAIN_MAX);
	ATF_CHECK(mailaddr_domain_valid(dom, 0));
	/* ... but a mailbox is at most 254 octets, as in a path. */
	snprintf(buf, sizeof(buf), "u@%s", dom);
	bad(buf, 0);
	snprintf(buf, sizeof(buf), "u@%s", dom + 3);
	ATF_REQUIRE_EQ(strlen(buf), SMTP_MAILBOX_MAX);
	ok(buf, 0, "u", dom + 3);
	snprintf(buf, sizeof(buf), "uu@%s", dom + 3);
	bad(buf, 0);
	/* 256: add a character to the last label (still <= 63). */
	dom[n] = 'c';
	dom[n + 1] = '\0';
	ATF_CHECK(!mailaddr_domain_valid(dom, 0));
	snprintf(buf, sizeof(buf), "u@%s", dom);
	bad(buf, 0);
	/* Any parsed address formats within SMTP_MAILBOX_MAX, even with
	 * a quoted local part full of characters that need escapes. */
	{
		char	txt[SMTP_MAILBOX_MAX + 1];
		char	in[SMTP_MAILBOX_MAX + 8];
		char	d[200];

		for (n = 0; n < 189; n++)
			d[n] = (n % 60 == 59) ? '.' : 'e';
		d[189] = '\0';
		memset(buf, 0, sizeof(buf));
		for (n = 0; n < 31; n++)
			memcpy(buf + 2 * n, "\\\"", 2);
		snprintf(in, sizeof(in), "\"%s\"@%s", buf, d);
		ATF_REQUIRE_EQ(strlen(in), SMTP_MAILBOX_MAX);
		ATF_REQUIRE(mailaddr_parse(&ma, in, strlen(in), 0, NULL) == 0);
		ATF_CHECK_EQ(strlen(ma.ma_user), 31);
		ATF_CHECK_EQ(mailaddr_format(&ma, txt, sizeof(txt)),
		    SMTP_MAILBOX_MAX);
		ATF_CHECK_STREQ(txt, in);
	}

	/* Path: 256 octets including the brackets and the route. */
	{
		char	path[SMTP_PATH_MAX + 8];
		size_t	fixed = strlen("<@:u@x.example>");
		size_t	dl = SMTP_PATH_MAX - fixed;	/* route domain */
		char	*rd;

		/* one route domain of labels making dl octets */
		rd = malloc(dl + 2);
		ATF_REQUIRE(rd != NULL);
		for (n = 0; n < dl; n++)
			rd[n] = (n % 60 == 59) ? '.' : 'r';
		if (rd[dl - 1] == '.')
			rd[dl - 1] = 'r';
		rd[dl] = '\0';
		snprintf(path, sizeof(path), "<@%s:u@x.example>", rd);
		ATF_REQUIRE_EQ(strlen(path), SMTP_PATH_MAX);
		path_ok(path, 0, 0, "u", "x.example");
		snprintf(path, sizeof(path), "<@%s:u@xy.example>", rd);
		ATF_REQUIRE_EQ(strlen(path), SMTP_PATH_MAX + 1);
		path_bad(path, 0, 0);
		free(rd);
	}
	/* 64-octet local part + 189-octet domain + "<@>" = 256. */
	{
		char	path[SMTP_PATH_MAX + 8];
		char	d[200];

		for (n = 0; n < 189; n++)
			d[n] = (n % 60 == 59) ? '.' : 'e';
		d[189] = '\0';
		u = rep('a', 64, "", "");
		snprintf(path, sizeof(path), "<%s@%s>", u, d);
		ATF_REQUIRE_EQ(strlen(path), SMTP_PATH_MAX);
		path_ok(path, 0, 0, u, d);
		snprintf(path, sizeof(path), "<%s@%se>", u, d);
		path_bad(path, 0, 0);
		free(u);
	}
}

ATF_TC_WITHOUT_HEAD(paths);
ATF_TC_BODY(paths, tc)
{
	struct mailaddr	ma;

	path_ok("<user@example.org>", 0, 0, "user", "example.org");
	path_ok("<>", 1, 0, "", "");
	ATF_REQUIRE(mailaddr_parse_path(&ma, "<>", 2, 1, 0, NULL) == 0);
	ATF_CHECK(mailaddr_is_null(&ma));
	ATF_REQUIRE(mailaddr_parse_path(&ma, "<a@b>", 5, 1, 0, NULL) == 0);
	ATF_CHECK(!mailaddr_is_null(&ma));
	path_bad("<>", 0, 0);
	path_bad("", 1, 0);
	path_bad("<", 1, 0);
	path_bad(">", 1, 0);
	path_bad("user@example.org", 0, 0);
	path_bad("<user@example.org", 0, 0);
	path_bad("user@example.org>", 0, 0);
	path_bad("<<user@example.org>>", 0, 0);
	path_bad("< user@example.org>", 0, 0);
	path_bad("<user@example.org >", 0, 0);
	path_bad("<user>", 0, 0);
	path_bad("<postmaster>", 0, 0);
	path_ok("<postmaster>", 0, MAILADDR_NO_DOMAIN_OK, "postmaster", "");
	/* Source routes: each domain is checked, then dropped. */
	path_ok("<@a:u@b>", 0, 0, "u", "b");
	path_ok("<@[192.0.2.1]:u@b>", 0, 0, "u", "b");
	path_bad("<@:u@b>", 0, 0);
	path_bad("<@a,:u@b>", 0, 0);
	path_bad("<@a,b:u@b>", 0, 0);
	path_bad("<@a@b:u@b>", 0, 0);
	path_bad("<@-a:u@b>", 0, 0);
	path_bad("<@a:>", 0, 0);
	path_bad("<@a>", 0, 0);
	path_bad("<@a:@b:u@c>", 0, 0);
	path_bad("<@a;u@b>", 0, 0);
	/* Not NUL-terminated. */
	ATF_REQUIRE(mailaddr_parse_path(&ma, "<a@b>junk", 5, 0, 0,
	    NULL) == 0);
	ATF_CHECK_STREQ(ma.ma_domain, "b");
}

ATF_TC_WITHOUT_HEAD(utf8_valid);
ATF_TC_BODY(utf8_valid, tc)
{
#define V(s)	mailaddr_utf8_valid(s, sizeof(s) - 1)
	ATF_CHECK(V(""));
	ATF_CHECK(V("plain ascii"));
	ATF_CHECK(V("\xc3\xa9"));			/* U+00E9 */
	ATF_CHECK(V("\xc2\x80"));			/* U+0080 */
	ATF_CHECK(V("\xdf\xbf"));			/* U+07FF */
	ATF_CHECK(V("\xe0\xa0\x80"));			/* U+0800 */
	ATF_CHECK(V("\xe2\x82\xac"));			/* U+20AC */
	ATF_CHECK(V("\xed\x9f\xbf"));			/* U+D7FF */
	ATF_CHECK(V("\xee\x80\x80"));			/* U+E000 */
	ATF_CHECK(V("\xef\xbf\xbf"));			/* U+FFFF */
	ATF_CHECK(V("\xf0\x90\x80\x80"));		/* U+10000 */
	ATF_CHECK(V("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	ATF_CHECK(!V("\x80"));				/* lone continuation */
	ATF_CHECK(!V("\xbf"));
	ATF_CHECK(!V("\xc0\x80"));			/* overlong NUL */
	ATF_CHECK(!V("\xc1\xbf"));			/* overlong */
	ATF_CHECK(!V("\xe0\x80\x80"));			/* overlong */
	ATF_CHECK(!V("\xe0\x9f\xbf"));			/* overlong */
	ATF_CHECK(!V("\xf0\x80\x80\x80"));		/* overlong */
	ATF_CHECK(!V("\xf0\x8f\xbf\xbf"));		/* overlong */
	ATF_CHECK(!V("\xed\xa0\x80"));			/* U+D800 */
	ATF_CHECK(!V("\xed\xbf\xbf"));			/* U+DFFF */
	ATF_CHECK(!V("\xf4\x90\x80\x80"));		/* U+110000 */
	ATF_CHECK(!V("\xf5\x80\x80\x80"));
	ATF_CHECK(!V("\xff"));
	ATF_CHECK(!V("\xfe"));
	ATF_CHECK(!V("\xc3"));				/* truncated */
	ATF_CHECK(!V("\xe2\x82"));
	ATF_CHECK(!V("\xf0\x90\x80"));
	ATF_CHECK(!V("a\xc3"));
	ATF_CHECK(!V("\xc3\x28"));			/* bad continuation */
	ATF_CHECK(!V("\xe2\x28\xa1"));
	ATF_CHECK(!V("\xf0\x90\x28\xbc"));
	/* len bounds the scan: a sequence cut by len is truncated. */
	ATF_CHECK(!mailaddr_utf8_valid("\xc3\xa9", 1));
	ATF_CHECK(mailaddr_utf8_valid("a\xc3\xa9", 1));
#undef V
}

ATF_TC_WITHOUT_HEAD(utf8_addresses);
ATF_TC_BODY(utf8_addresses, tc)
{
	ok("j\xc3\xb6rg@example.org", MAILADDR_UTF8, "j\xc3\xb6rg",
	    "example.org");
	ok("u@b\xc3\xbc" "cher.example", MAILADDR_UTF8, "u",
	    "b\xc3\xbc" "cher.example");
	ok("\"j\xc3\xb6 rg\"@example.org", MAILADDR_UTF8, "j\xc3\xb6 rg",
	    "example.org");
	ok("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", MAILADDR_UTF8, "\xe7\x94\xa8\xe6\x88\xb7",
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a");
	/* Upper-case ASCII in a U-label domain is lowered, UTF-8 kept. */
	ok("u@\xc3\x89X.org", MAILADDR_UTF8, "u", "\xc3\x89x.org");
	bad("j\xc3\xb6rg@example.org", 0);
	bad("u@b\xc3\xbc" "cher.example", 0);
	bad("\"j\xc3\xb6rg\"@example.org", 0);
	bad("j\xc0\x80rg@example.org", MAILADDR_UTF8);		/* overlong */
	bad("j\xed\xa0\x80rg@example.org", MAILADDR_UTF8);	/* surrogate */
	bad("j\xc3@example.org", MAILADDR_UTF8);		/* truncated */
	bad("u@b\xc3.example", MAILADDR_UTF8);
	bad("u@b\xed\xbf\xbf.example", MAILADDR_UTF8);
	bad("\"j\xc3\"@example.org", MAILADDR_UTF8);
	bad("j\xff@example.org", MAILADDR_UTF8);
	path_ok("<j\xc3\xb6rg@example.org>", 0, MAILADDR_UTF8, "j\xc3\xb6rg",
	    "example.org");
	path_bad("<j\xc3\xb6rg@example.org>", 0, 0);
}

/* Format quotes only when needed, and re-parses to the same address. */
static void
round_trip(const char *s, int flags, const char *want)
{
	struct mailaddr	 a, b;
	char		 buf[SMTP_PATH_MAX + 1];
	int		 n;

	if (mailaddr_parse(&a, s, strlen(s), flags, NULL) == -1)
		atf_tc_fail("\"%s\" refused", s);
	n = mailaddr_format(&a, buf, sizeof(buf));
	ATF_REQUIRE_MSG(n >= 0, "format of \"%s\" failed", s);
	ATF_CHECK_EQ((size_t)n, strlen(buf));
	ATF_CHECK_STREQ_MSG(buf, want, "format of \"%s\"", s);
	ATF_REQUIRE_MSG(mailaddr_parse(&b, buf, n, flags, NULL) == 0,
	    "\"%s\" does not re-parse", buf);
	ATF_CHECK_EQ(mailaddr_cmp(&a, &b), 0);
	ATF_CHECK_STREQ(a.ma_user, b.ma_user);
	ATF_CHECK_STREQ(a.ma_domain, b.ma_domain);
}

ATF_TC_WITHOUT_HEAD(format);
ATF_TC_BODY(format, tc)
{
	struct mailaddr	 ma;
	char		 buf[64];

	round_trip("user@Example.ORG", 0, "user@example.org");
	round_trip("\"john doe\"@example.org", 0, "\"john doe\"@example.org");
	round_trip("\"plain\"@example.org", 0, "plain@example.org");
	round_trip("\"\\p\\l\"@example.org", 0, "pl@example.org");
	round_trip("\"a\\\"b\"@x", 0, "\"a\\\"b\"@x");
	round_trip("\"a\\\\b\"@x", 0, "\"a\\\\b\"@x");
	round_trip("\"a..b\"@x", 0, "\"a..b\"@x");
	round_trip("\".a\"@x", 0, "\".a\"@x");
	round_trip("\"a.\"@x", 0, "\"a.\"@x");
	round_trip("\"user@remote\"@local", 0, "\"user@remote\"@local");
	round_trip("user%remote@local", 0, "user%remote@local");
	round_trip("u@[IPv6:::1]", 0, "u@[ipv6:::1]");
	round_trip("postmaster", MAILADDR_NO_DOMAIN_OK, "postmaster");
	round_trip("\"a b\"", MAILADDR_NO_DOMAIN_OK, "\"a b\"");
	round_trip("j\xc3\xb6rg@\xc3\xa9x.org", MAILADDR_UTF8,
	    "j\xc3\xb6rg@\xc3\xa9x.org");

	/* Null path formats as "". */
	memset(&ma, 0, sizeof(ma));
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "");

	/* Buffer exactly big enough, and one byte short. */
	ATF_REQUIRE(mailaddr_parse(&ma, "ab@cd", 5, 0, NULL) == 0);
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, 6), 5);
	ATF_CHECK_STREQ(buf, "ab@cd");
	memset(buf, 'X', sizeof(buf));
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, 5), -1);
	ATF_CHECK_STREQ(buf, "");
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, 0), -1);
	ATF_REQUIRE(mailaddr_parse(&ma, "\"a b\"@cd", 8, 0, NULL) == 0);
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, 9), 8);
	ATF_CHECK_EQ(mailaddr_format(&ma, buf, 8), -1);
	ATF_CHECK_STREQ(buf, "");
}

ATF_TC_WITHOUT_HEAD(compare);
ATF_TC_BODY(compare, tc)
{
	struct mailaddr	a, b;

	ATF_REQUIRE(mailaddr_parse(&a, "User@EXAMPLE.org", 16, 0, NULL) == 0);
	ATF_REQUIRE(mailaddr_parse(&b, "User@example.ORG", 16, 0, NULL) == 0);
	ATF_CHECK_EQ(mailaddr_cmp(&a, &b), 0);
	ATF_REQUIRE(mailaddr_parse(&b, "user@example.org", 16, 0, NULL) == 0);
	ATF_CHECK(mailaddr_cmp(&a, &b) != 0);
	ATF_CHECK((mailaddr_cmp(&a, &b) < 0) == (mailaddr_cmp(&b, &a) > 0));
	/* Structs filled by hand: domain compared without case. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	strcpy(a.ma_user, "x");
	strcpy(b.ma_user, "x");
	strcpy(a.ma_domain, "Example.Org");
	strcpy(b.ma_domain, "example.org");
	ATF_CHECK_EQ(mailaddr_cmp(&a, &b), 0);
	strcpy(b.ma_domain, "example.net");
	ATF_CHECK(mailaddr_cmp(&a, &b) != 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, simple);
	ATF_TP_ADD_TC(tp, dot_atom_errors);
	ATF_TP_ADD_TC(tp, domain_errors);
	ATF_TP_ADD_TC(tp, literals);
	ATF_TP_ADD_TC(tp, quoted);
	ATF_TP_ADD_TC(tp, relay_tricks);
	ATF_TP_ADD_TC(tp, no_domain);
	ATF_TP_ADD_TC(tp, length_limits);
	ATF_TP_ADD_TC(tp, paths);
	ATF_TP_ADD_TC(tp, utf8_valid);
	ATF_TP_ADD_TC(tp, utf8_addresses);
	ATF_TP_ADD_TC(tp, format);
	ATF_TP_ADD_TC(tp, compare);
	return atf_no_error();
}
