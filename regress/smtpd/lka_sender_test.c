/*
 * `listen ... senders <table>` as lka decides it (lka_sender.c over
 * table.c's mailaddrmap lookup) on configurations parsed from text:
 * user, @domain, user@domain, globbed domains and "@" entries, case,
 * sub-addresses, the null sender, a user without an entry, a listener
 * without `senders`, a file table and a table that cannot be read.
 */
#include <sys/types.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lka.h"
#include "mailaddr.h"
#include "table.h"
#include "../test_conf.h"

static struct smtpd_config	*conf;
static struct lka_ctx		 ctx;

static void
setup(const char *text)
{
	conf = test_conf_parse(text);
	memset(&ctx, 0, sizeof(ctx));
	ctx.lc_conf = conf;
	ctx.lc_tables = table_set_load(conf, NULL);
	ctx.lc_alias_user = "nobody";
}

static void
teardown(void)
{
	table_set_free(ctx.lc_tables);
	config_free(conf);
}

/* The first TCP listener, or the one on port. */
static const struct listener *
listener(in_port_t port)
{
	const struct listener	*l;

	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry)
		if (!(l->l_flags & L_SOCKET) && (port == 0 ||
		    l->l_port == port))
			return l;
	atf_tc_fail("no listener on port %u", port);
	return NULL;
}

/* user may send as addr ("" for <>) on the listener of port? */
static int
check(in_port_t port, const char *user, const char *addr)
{
	struct mailaddr	 ma;
	const char	*errstr;

	memset(&ma, 0, sizeof(ma));
	if (*addr != '\0')
		ATF_REQUIRE_MSG(mailaddr_parse(&ma, addr, strlen(addr),
		    MAILADDR_UTF8, &errstr) == 0, "%s: %s", addr, errstr);
	return lka_sender_allowed(&ctx, listener(port), user, &ma);
}

#define OK	LKA_SENDER_OK
#define NO	LKA_SENDER_REFUSED
#define TEMP	LKA_SENDER_TEMPFAIL

#define CONF \
	"table users { alice = \"alice@example.org, @example.net\", " \
	"bob = \"bob@*.example.com\", carol = \"@\", " \
	"dave = \"dave+news@example.org dave@example.com\", " \
	"erin = \"erin\" }\n" \
	"listen on 127.0.0.1 port 587 senders <users>\n" \
	"listen on 127.0.0.1 port 25\n" \
	"match for local reject\n"

ATF_TC_WITHOUT_HEAD(entries);
ATF_TC_BODY(entries, tc)
{
	setup(CONF);
	/* user@domain */
	ATF_CHECK_EQ(check(587, "alice", "alice@example.org"), OK);
	ATF_CHECK_EQ(check(587, "alice", "ALICE@Example.ORG"), OK);
	ATF_CHECK_EQ(check(587, "alice", "alice@example.com"), NO);
	ATF_CHECK_EQ(check(587, "alice", "bob@example.org"), NO);
	ATF_CHECK_EQ(check(587, "alice", "alice@sub.example.org"), NO);
	/* @domain: anyone there */
	ATF_CHECK_EQ(check(587, "alice", "anyone@example.net"), OK);
	ATF_CHECK_EQ(check(587, "alice", "x@sub.example.net"), NO);
	/* globbed domain */
	ATF_CHECK_EQ(check(587, "bob", "bob@mail.example.com"), OK);
	ATF_CHECK_EQ(check(587, "bob", "bob@a.b.example.com"), OK);
	ATF_CHECK_EQ(check(587, "bob", "bob@example.com"), NO);
	ATF_CHECK_EQ(check(587, "bob", "bob@mail.example.org"), NO);
	ATF_CHECK_EQ(check(587, "bob", "rob@mail.example.com"), NO);
	/* "@": any sender */
	ATF_CHECK_EQ(check(587, "carol", "whoever@anywhere.example"), OK);
	/* a bare user: that local part at any domain */
	ATF_CHECK_EQ(check(587, "erin", "erin@example.org"), OK);
	ATF_CHECK_EQ(check(587, "erin", "erin@elsewhere.example"), OK);
	ATF_CHECK_EQ(check(587, "erin", "erik@example.org"), NO);
	/* the user is a key: case-insensitive, as every table key */
	ATF_CHECK_EQ(check(587, "Alice", "alice@example.org"), OK);
	/* no entry: nothing */
	ATF_CHECK_EQ(check(587, "mallory", "mallory@example.org"), NO);
	ATF_CHECK_EQ(check(587, "alice@example.org", "alice@example.org"),
	    NO);
	/* a listener without senders takes anything */
	ATF_CHECK_EQ(check(25, "mallory", "alice@example.org"), OK);
	teardown();
}

ATF_TC_WITHOUT_HEAD(subaddress);
ATF_TC_BODY(subaddress, tc)
{
	setup(CONF);
	/* An entry without one allows any sub-address of it. */
	ATF_CHECK_EQ(check(587, "alice", "alice+lists@example.org"), OK);
	ATF_CHECK_EQ(check(587, "dave", "dave+x@example.com"), OK);
	/* An entry with one allows exactly it. */
	ATF_CHECK_EQ(check(587, "dave", "dave+news@example.org"), OK);
	ATF_CHECK_EQ(check(587, "dave", "dave@example.org"), NO);
	ATF_CHECK_EQ(check(587, "dave", "dave+other@example.org"), NO);
	teardown();
}

ATF_TC_WITHOUT_HEAD(null_sender);
ATF_TC_BODY(null_sender, tc)
{
	setup(CONF);
	/* <> only for a user who may use any sender. */
	ATF_CHECK_EQ(check(587, "carol", ""), OK);
	ATF_CHECK_EQ(check(587, "alice", ""), NO);
	ATF_CHECK_EQ(check(587, "erin", ""), NO);
	ATF_CHECK_EQ(check(587, "mallory", ""), NO);
	ATF_CHECK_EQ(check(25, "mallory", ""), OK);
	teardown();
}

ATF_TC_WITHOUT_HEAD(file_table);
ATF_TC_BODY(file_table, tc)
{
	char	cwd[1024], text[4096];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	test_write_file("senders", "# who sends as whom\n"
	    "alice\talice@example.org, @example.net\n"
	    "bob: bob@example.org\n");
	snprintf(text, sizeof(text), "table s file:%s/senders\n"
	    "table gone file:%s/missing\n"
	    "listen on 127.0.0.1 port 587 senders <s> masquerade\n"
	    "listen on 127.0.0.1 port 588 senders <gone>\n"
	    "match for local reject\n", cwd, cwd);
	setup(text);
	ATF_CHECK_EQ(check(587, "alice", "alice@example.org"), OK);
	ATF_CHECK_EQ(check(587, "alice", "x@example.net"), OK);
	ATF_CHECK_EQ(check(587, "bob", "bob@example.org"), OK);
	ATF_CHECK_EQ(check(587, "bob", "alice@example.org"), NO);
	ATF_CHECK(listener(587)->l_flags & L_MASQUERADE);
	/* A table that could never be read: a temporary failure. */
	ATF_CHECK_EQ(check(588, "alice", "alice@example.org"), TEMP);
	teardown();
}

ATF_TC_WITHOUT_HEAD(listener_index);
ATF_TC_BODY(listener_index, tc)
{
	const struct listener	*l;
	uint32_t		 i = 0;

	setup(CONF);
	/* The index smtp sends names the same listener here. */
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry)
		ATF_CHECK(config_listener_at(conf, i++) == l);
	ATF_CHECK(config_listener_at(conf, i) == NULL);
	ATF_CHECK(config_listener_at(conf, UINT32_MAX) == NULL);
	teardown();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, entries);
	ATF_TP_ADD_TC(tp, subaddress);
	ATF_TP_ADD_TC(tp, null_sender);
	ATF_TP_ADD_TC(tp, file_table);
	ATF_TP_ADD_TC(tp, listener_index);
	return atf_no_error();
}
