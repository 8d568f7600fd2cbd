/*
 * Rule matching (lka_rule.c) on configurations parsed from text: the
 * origin (from), destination (for) and transaction options, negation,
 * regex, first match wins, reject rules, and a temporary failure when a
 * table cannot be read.
 */
#include <sys/types.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "lka.h"
#include "table.h"
#include "../test_conf.h"

static struct smtpd_config	*conf;
static struct lka_ctx		 ctx;
static char			*localaddrs[] = { "192.0.2.10",
				    "2001:db8::10" };

static void
setup(const char *text)
{
	conf = test_conf_parse(text);
	memset(&ctx, 0, sizeof(ctx));
	ctx.lc_conf = conf;
	ctx.lc_tables = table_set_load(conf, NULL);
	ctx.lc_localaddrs = localaddrs;
	ctx.lc_nlocaladdrs = 2;
	ctx.lc_alias_user = "nobody";
}

static void
teardown(void)
{
	table_set_free(ctx.lc_tables);
	config_free(conf);
}

static void
split(struct mailaddr *ma, const char *s)
{
	const char	*at = strrchr(s, '@');

	memset(ma, 0, sizeof(*ma));
	if (at == NULL) {
		strlcpy(ma->ma_user, s, sizeof(ma->ma_user));
		return;
	}
	snprintf(ma->ma_user, sizeof(ma->ma_user), "%.*s", (int)(at - s), s);
	strlcpy(ma->ma_domain, at + 1, sizeof(ma->ma_domain));
}

static struct envelope *
evp(const char *src, const char *sender, const char *rcpt)
{
	static struct envelope	e;

	memset(&e, 0, sizeof(e));
	strlcpy(e.evp_src, src, sizeof(e.evp_src));
	strlcpy(e.evp_smtpname, "mx.test.example", sizeof(e.evp_smtpname));
	strlcpy(e.evp_helo, "client.example", sizeof(e.evp_helo));
	split(&e.evp_sender, sender);
	split(&e.evp_rcpt, rcpt);
	return &e;
}

/* Line of the matching rule, 0 for none, -1 for a temporary failure. */
static int
line(struct envelope *e)
{
	const struct match	*m;
	int			 r;

	r = lka_rule_match(&ctx, e, &e->evp_rcpt, &m);
	if (r != 1)
		return r;
	return m->m_line;
}

ATF_TC_WITHOUT_HEAD(local_and_any);
ATF_TC_BODY(local_and_any, tc)
{
	setup("listen on 127.0.0.1\n"
	    "action \"local\" maildir\n"
	    "action \"out\" relay\n"
	    "match from local for local action \"local\"\n"	/* 4 */
	    "match from any for local action \"local\"\n"	/* 5 */
	    "match from local for any action \"out\"\n");	/* 6 */
	ATF_CHECK_EQ(line(evp("127.0.0.1", "a@b.example", "bob@localhost")),
	    4);
	ATF_CHECK_EQ(line(evp("local", "", "bob@LOCALHOST")), 4);
	ATF_CHECK_EQ(line(evp("::1", "a@b.example", "bob@mx.test.example")),
	    4);
	ATF_CHECK_EQ(line(evp("192.0.2.10", "", "bob@[192.0.2.10]")), 4);
	ATF_CHECK_EQ(line(evp("192.0.2.10", "", "bob@[IPv6:2001:db8::10]")),
	    4);
	ATF_CHECK_EQ(line(evp("127.0.0.1", "", "postmaster")), 4);
	ATF_CHECK_EQ(line(evp("127.0.0.1", "", "bob@[192.0.2.99]")), 6);
	/* server name from the configuration */
	{
		char	rcpt[300];

		snprintf(rcpt, sizeof(rcpt), "bob@%s", conf->sc_hostname);
		ATF_CHECK_EQ(line(evp("198.51.100.7", "", rcpt)), 5);
	}
	ATF_CHECK_EQ(line(evp("198.51.100.7", "a@b.example",
	    "bob@localhost")), 5);
	/* not local, not from local: no rule (relaying denied) */
	ATF_CHECK_EQ(line(evp("198.51.100.7", "a@b.example",
	    "bob@example.com")), 0);
	ATF_CHECK_EQ(line(evp("198.51.100.7", "a@b.example",
	    "bob@localhost.example.com")), 0);
	ATF_CHECK_EQ(line(evp("127.0.0.1", "", "bob@example.com")), 6);
	teardown();
}

ATF_TC_WITHOUT_HEAD(conditions);
ATF_TC_BODY(conditions, tc)
{
	struct envelope	*e;

	setup("listen on 127.0.0.1\n"
	    "table nets { \"10.0.0.0/8\", \"2001:db8::/32\" }\n"
	    "table doms { example.org, \"*.example.net\" }\n"
	    "action \"a\" maildir\n"
	    /* 5 */
	    "match from src <nets> for domain <doms> action \"a\"\n"
	    /* 6 */
	    "match from any for domain \"example.com\" mail-from "
	    "\"@bad.example\" reject\n"
	    /* 7 */
	    "match from any for domain \"example.com\" !mail-from "
	    "\"@good.example\" reject\n"
	    /* 8 */
	    "match from any for domain \"example.com\" action \"a\"\n"
	    /* 9 */
	    "match from auth for any action \"a\"\n"
	    /* 10 */
	    "match from any for rcpt-to regex \"ab+c@\" action \"a\"\n"
	    /* 11 */
	    "match from any for any helo \"h.example\" action \"a\"\n"
	    /* 12 */
	    "match from any for any tag \"T1\" action \"a\"\n"
	    /* 13 */
	    "match from any for any auth \"alice\" action \"a\"\n"
	    /* 14 */
	    "match from rdns for any action \"a\"\n"
	    /* 15 */
	    "match !from src <nets> for domain \"tls.example\" tls "
	    "action \"a\"\n");
	ATF_CHECK_EQ(line(evp("10.1.1.1", "", "x@example.org")), 5);
	ATF_CHECK_EQ(line(evp("2001:db8::5", "", "x@a.example.net")), 5);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "", "x@example.org")), 0);
	ATF_CHECK_EQ(line(evp("10.1.1.1", "", "x@example.net")), 0);
	/* first match wins: the reject line comes first */
	ATF_CHECK_EQ(line(evp("11.1.1.1", "u@bad.example", "x@example.com")),
	    6);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "u@other.example",
	    "x@example.com")), 7);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "u@GOOD.example",
	    "x@example.com")), 8);
	e = evp("11.1.1.1", "", "x@remote.example");
	ATF_CHECK_EQ(line(e), 0);
	e->evp_flags |= EF_AUTHENTICATED;
	strlcpy(e->evp_auth, "bob", sizeof(e->evp_auth));
	ATF_CHECK_EQ(line(e), 9);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "", "xABbbc@remote.example")), 10);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "", "xac@remote.example")), 0);
	e = evp("11.1.1.1", "", "x@remote.example");
	strlcpy(e->evp_helo, "H.example", sizeof(e->evp_helo));
	ATF_CHECK_EQ(line(e), 11);
	e = evp("11.1.1.1", "", "x@remote.example");
	strlcpy(e->evp_tag, "t1", sizeof(e->evp_tag));
	ATF_CHECK_EQ(line(e), 12);
	/* "auth alice" in a rule whose origin is any */
	e = evp("11.1.1.1", "", "x@remote.example");
	strlcpy(e->evp_auth, "alice", sizeof(e->evp_auth));
	e->evp_flags |= EF_AUTHENTICATED;
	ATF_CHECK_EQ(line(e), 9);
	/* rdns: only with a reverse name, which smtp does not set yet */
	e = evp("11.1.1.1", "", "x@remote.example");
	strlcpy(e->evp_hostname, "client.example", sizeof(e->evp_hostname));
	ATF_CHECK_EQ(line(e), 14);
	/* tls */
	e = evp("11.1.1.1", "", "x@tls.example");
	ATF_CHECK_EQ(line(e), 0);
	e->evp_flags |= EF_TLS;
	ATF_CHECK_EQ(line(e), 15);
	e = evp("10.0.0.1", "", "x@tls.example");
	e->evp_flags |= EF_TLS;
	ATF_CHECK_EQ(line(e), 0);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mapping_and_file_tables);
ATF_TC_BODY(mapping_and_file_tables, tc)
{
	char	text[4096], cwd[1024];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	test_write_file("domains", "# domains\nexample.org\n*.example.net\n");
	test_write_file("senders", "alice@example.org  ok\n@trusted.example ok\n");
	snprintf(text, sizeof(text), "listen on 127.0.0.1\n"
	    "table d \"file:%s/domains\"\n"
	    "table s \"file:%s/senders\"\n"
	    "table gone \"file:%s/missing\"\n"
	    "action \"a\" maildir\n"
	    "match from any mail-from <s> for domain <d> action \"a\"\n"
	    "match from any for domain <gone> action \"a\"\n", cwd, cwd, cwd);
	setup(text);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "Alice@example.org",
	    "x@mx.example.net")), 6);
	ATF_CHECK_EQ(line(evp("11.1.1.1", "bob@trusted.example",
	    "x@example.org")), 6);
	/* the next rule needs a table that could not be read */
	ATF_CHECK_EQ(line(evp("11.1.1.1", "bob@example.org",
	    "x@example.org")), -1);
	teardown();
}

ATF_TC_WITHOUT_HEAD(negated_for_and_socket);
ATF_TC_BODY(negated_for_and_socket, tc)
{
	setup("listen on 127.0.0.1\n"
	    "action \"a\" maildir\n"
	    "action \"r\" relay\n"
	    "match from socket for any action \"r\"\n"			/* 4 */
	    "match from local !for local action \"r\"\n"		/* 5 */
	    "match from any for local action \"a\"\n");			/* 6 */
	ATF_CHECK_EQ(line(evp("local", "", "x@example.com")), 4);
	ATF_CHECK_EQ(line(evp("127.0.0.1", "", "x@example.com")), 5);
	ATF_CHECK_EQ(line(evp("127.0.0.1", "", "x@localhost")), 6);
	ATF_CHECK_EQ(line(evp("203.0.113.1", "", "x@example.com")), 0);
	ATF_CHECK(lka_rule_local_source(&ctx, evp("192.0.2.10", "", "x")));
	ATF_CHECK(!lka_rule_local_source(&ctx, evp("192.0.2.11", "", "x")));
	teardown();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, local_and_any);
	ATF_TP_ADD_TC(tp, conditions);
	ATF_TP_ADD_TC(tp, mapping_and_file_tables);
	ATF_TP_ADD_TC(tp, negated_for_and_socket);
	return atf_no_error();
}
