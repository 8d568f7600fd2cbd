/*
 * Recipient expansion (lka_expand.c) without the daemon: rules decide,
 * then aliases (pipes, files, includes, loops, error codes, nesting
 * limits), sub-addressing, virtual tables, userbase, ~/.forward content
 * handed over as a descriptor, the refusal of root, and the envelopes
 * built for each delivery.
 */
#include <sys/types.h>

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
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
static char			 cwd[1024];

/* @DIR@ in text becomes the work directory. */
static void
setup(const char *text)
{
	char			 buf[8192];
	size_t			 n = 0;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	while (*text != '\0' && n + strlen(cwd) + 1 < sizeof(buf)) {
		if (strncmp(text, "@DIR@", 5) == 0) {
			memcpy(buf + n, cwd, strlen(cwd));
			n += strlen(cwd);
			text += 5;
		} else
			buf[n++] = *text++;
	}
	buf[n] = '\0';
	conf = test_conf_parse(buf);
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

/*
 * Expand rcpt from src.  .forward requests are answered from files
 * "fwd.<user>" in the work directory (missing: ENOENT; "fwd.<user>.perm"
 * existing: EPERM).  Returns the expansion (to free).
 */
static struct lka_expand *
expand(const char *src, const char *rcpt)
{
	struct envelope		 e;
	struct lka_expand	*x;
	char			 path[1100];
	int			 fd, loops = 0;

	memset(&e, 0, sizeof(e));
	strlcpy(e.evp_src, src, sizeof(e.evp_src));
	strlcpy(e.evp_smtpname, "mx.test.example", sizeof(e.evp_smtpname));
	split(&e.evp_sender, "sender@example.org");
	split(&e.evp_rcpt, rcpt);
	x = lka_expand_new(&ctx, &e);
	while (lka_expand_run(x) == LKA_EXPAND_FORWARD) {
		ATF_REQUIRE(++loops < 100);
		snprintf(path, sizeof(path), "fwd.%s.perm",
		    lka_expand_forward_user(x));
		if (access(path, F_OK) == 0) {
			lka_expand_forward(x, EPERM, -1);
			continue;
		}
		snprintf(path, sizeof(path), "fwd.%s",
		    lka_expand_forward_user(x));
		if ((fd = open(path, O_RDONLY)) == -1)
			lka_expand_forward(x, ENOENT, -1);
		else
			lka_expand_forward(x, 0, fd);
	}
	return x;
}

/* Index of the envelope for dest with method m (and arg), or -1. */
static int
find(struct lka_expand *x, enum evp_method m, const char *arg,
    const char *user)
{
	const struct envelope	*e;
	size_t			 i;

	for (i = 0; i < lka_expand_count(x); i++) {
		e = lka_expand_envelope(x, i);
		if (e->evp_method == m &&
		    (arg == NULL || strcmp(e->evp_mda_arg, arg) == 0) &&
		    (user == NULL || strcmp(e->evp_user, user) == 0))
			return (int)i;
	}
	return -1;
}

static int
find_mta(struct lka_expand *x, const char *dest)
{
	const struct envelope	*e;
	char			 buf[400];
	size_t			 i;

	for (i = 0; i < lka_expand_count(x); i++) {
		e = lka_expand_envelope(x, i);
		snprintf(buf, sizeof(buf), "%s@%s", e->evp_dest.ma_user,
		    e->evp_dest.ma_domain);
		if (e->evp_type == EVP_MTA && strcmp(buf, dest) == 0)
			return (int)i;
	}
	return -1;
}

#define USERS	"table users { bob = \"1001:1001:/home/bob\", " \
		"carol = \"1002:1002:/home/carol\", " \
		"vmail = \"2000:2000:/var/vmail\", " \
		"dave = \"1003:1003:/home/dave\", " \
		"zero = \"0:0:/root\" }\n"

#define BASE	"listen on 127.0.0.1\n" USERS \
		"table aliases \"file:@DIR@/aliases\"\n" \
		"action \"local\" maildir alias <aliases> userbase <users>\n" \
		"match from local for local action \"local\"\n" \
		"match from any for local action \"local\"\n"

static const char aliases[] =
    "postmaster: root\n"
    "root: bob\n"
    "team: bob, carol, \"|/usr/bin/logger -t team\", /var/log/team.mbox,\n"
    "  ext@example.net\n"
    "loop1: loop2\n"
    "loop2: loop1\n"
    "gone: error:550 5.1.1 gone away\n"
    "later: error:450 4.2.1 try later\n"
    "plain: error:550 no enhanced code\n"
    "dave: dave, carol\n"
    "list: :include:@DIR@/list.inc\n"
    "nobody-here: nosuchuser\n"
    "dup: bob, \\bob, bob@localhost, team\n"
    "empty: bob@localhost\n"
    "c1: c2\nc2: c3\nc3: c4\nc4: c5\nc5: c6\nc6: c7\nc7: c8\nc8: c9\n"
    "c9: c10\nc10: c11\nc11: c12\nc12: c13\nc13: c14\nc14: c15\n"
    "c15: c16\nc16: c17\nc17: c18\nc18: c19\nc19: bob\n"
    "d1: d2\nd2: d3\nd3: bob\n"
    "badinc: :include:@DIR@/no-such-file\n";

static void
write_aliases(void)
{
	char	buf[4096], *p;

	strlcpy(buf, aliases, sizeof(buf));
	while ((p = strstr(buf, "@DIR@")) != NULL) {
		char	rest[4096];

		strlcpy(rest, p + 5, sizeof(rest));
		snprintf(p, sizeof(buf) - (p - buf), "%s%s", cwd, rest);
	}
	test_write_file("aliases", buf);
	test_write_file("list.inc", "# members\nbob\ncarol, ext2@example.net\n");
}

ATF_TC_WITHOUT_HEAD(local_user);
ATF_TC_BODY(local_user, tc)
{
	struct lka_expand	*x;
	const struct envelope	*e;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	write_aliases();
	setup(BASE);
	x = expand("127.0.0.1", "Bob@localhost");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	e = lka_expand_envelope(x, 0);
	ATF_CHECK_EQ(e->evp_type, EVP_MDA);
	ATF_CHECK_EQ(e->evp_method, EVP_M_MAILDIR);
	ATF_CHECK_STREQ(e->evp_user, "bob");
	ATF_CHECK_EQ(e->evp_uid, 1001);
	ATF_CHECK_EQ(e->evp_gid, 1001);
	ATF_CHECK_STREQ(e->evp_home, "/home/bob");
	ATF_CHECK_STREQ(e->evp_dispatcher, "local");
	ATF_CHECK_STREQ(e->evp_mda_arg, "");
	ATF_CHECK_STREQ(e->evp_dest.ma_user, "Bob");
	ATF_CHECK_STREQ(e->evp_dest.ma_domain, "localhost");
	ATF_CHECK_STREQ(e->evp_rcpt.ma_user, "Bob");
	lka_expand_free(x);

	/* sub-address: the user's mailbox, the tag kept in dest */
	x = expand("127.0.0.1", "bob+lists@localhost");
	ATF_REQUIRE_EQ(lka_expand_code(x), 250);
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	e = lka_expand_envelope(x, 0);
	ATF_CHECK_STREQ(e->evp_user, "bob");
	ATF_CHECK_STREQ(e->evp_dest.ma_user, "bob+lists");
	lka_expand_free(x);

	x = expand("127.0.0.1", "zed@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x),
	    "5.1.1 Invalid recipient: <zed@localhost>");
	ATF_CHECK_EQ(lka_expand_count(x), 0);
	lka_expand_free(x);

	/* relaying denied */
	x = expand("198.51.100.1", "bob@example.com");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x), "5.7.1 Delivery not authorized, "
	    "relaying denied: <bob@example.com>");
	lka_expand_free(x);

	/* root, unaliased, in the user base */
	x = expand("127.0.0.1", "zero@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x), "5.7.1 Delivery to root is not "
	    "allowed: <zero@localhost> (add an alias for root)");
	lka_expand_free(x);
	teardown();
}

ATF_TC_WITHOUT_HEAD(aliases);
ATF_TC_BODY(aliases, tc)
{
	struct lka_expand	*x;
	const struct envelope	*e;
	int			 i;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	write_aliases();
	setup(BASE);

	x = expand("127.0.0.1", "postmaster");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	ATF_CHECK_STREQ(lka_expand_envelope(x, 0)->evp_user, "bob");
	lka_expand_free(x);

	x = expand("198.51.100.1", "TEAM@localhost");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_CHECK_EQ(lka_expand_count(x), 5);
	ATF_CHECK(find(x, EVP_M_MAILDIR, "", "bob") >= 0);
	ATF_CHECK(find(x, EVP_M_MAILDIR, "", "carol") >= 0);
	i = find(x, EVP_M_PIPE, "/usr/bin/logger -t team", NULL);
	ATF_REQUIRE(i >= 0);
	e = lka_expand_envelope(x, i);
	/* from the aliases table: the unprivileged account */
	ATF_CHECK_STREQ(e->evp_user, "nobody");
	ATF_CHECK(e->evp_uid != 0);
	ATF_CHECK(find(x, EVP_M_FILE, "/var/log/team.mbox", "nobody") >= 0);
	i = find_mta(x, "ext@example.net");
	ATF_REQUIRE(i >= 0);
	ATF_CHECK_STREQ(lka_expand_envelope(x, i)->evp_relay, "");
	lka_expand_free(x);

	/* sub-address falls back to the alias without it */
	x = expand("127.0.0.1", "team+x@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_count(x), 5);
	lka_expand_free(x);

	x = expand("127.0.0.1", "loop1@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 524);
	ATF_CHECK_STREQ(lka_expand_text(x), "5.2.4 Mailing list expansion "
	    "problem: <loop1@localhost>");
	lka_expand_free(x);

	x = expand("127.0.0.1", "gone@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x),
	    "5.1.1 gone away: <gone@localhost>");
	lka_expand_free(x);

	x = expand("127.0.0.1", "later@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 450);
	ATF_CHECK_STREQ(lka_expand_text(x),
	    "4.2.1 try later: <later@localhost>");
	lka_expand_free(x);

	/* an enhanced code is always given */
	x = expand("127.0.0.1", "plain@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x),
	    "5.0.0 no enhanced code: <plain@localhost>");
	lka_expand_free(x);

	/* naming itself: its own mailbox, no loop */
	x = expand("127.0.0.1", "dave@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_count(x), 2);
	lka_expand_free(x);

	x = expand("127.0.0.1", "list@localhost");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_CHECK_EQ(lka_expand_count(x), 3);
	ATF_CHECK(find_mta(x, "ext2@example.net") >= 0);
	lka_expand_free(x);

	x = expand("127.0.0.1", "badinc@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 451);
	ATF_CHECK_STREQ(lka_expand_text(x),
	    "4.3.0 Temporary failure: <badinc@localhost>");
	lka_expand_free(x);

	x = expand("127.0.0.1", "nobody-here@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	lka_expand_free(x);

	/* duplicates are delivered once */
	x = expand("127.0.0.1", "dup@localhost");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_CHECK_EQ(lka_expand_count(x), 5);
	lka_expand_free(x);

	/* deeper than EXPAND_MAX_DEPTH */
	x = expand("127.0.0.1", "c1@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 524);
	lka_expand_free(x);
	x = expand("127.0.0.1", "d1@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 250);
	lka_expand_free(x);
	teardown();
}

ATF_TC_WITHOUT_HEAD(aliases_unreadable);
ATF_TC_BODY(aliases_unreadable, tc)
{
	struct lka_expand	*x;

	setup(BASE);		/* no aliases file written */
	x = expand("127.0.0.1", "bob@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 451);
	lka_expand_free(x);
	teardown();
}

/*
 * ~/.forward, for a system account (getpwnam): "nobody" exists on every
 * Debian system.  With a userbase table no .forward is read.
 */
#define SYSTEM	"listen on 127.0.0.1\n" USERS \
		"action \"local\" maildir\n" \
		"action \"ub\" maildir userbase <users>\n" \
		"match from any for domain \"ub.example\" action \"ub\"\n" \
		"match from any for local action \"local\"\n"

ATF_TC_WITHOUT_HEAD(forward);
ATF_TC_BODY(forward, tc)
{
	struct lka_expand	*x;
	const struct envelope	*e;
	int			 i;

	test_write_file("fwd.nobody", "# forward\nfar@example.net, \\nobody\n"
	    "\"|/usr/bin/procmail -a x\"\n:include:/etc/passwd\n");
	test_write_file("fwd.bob", "far@example.net\n");
	setup(SYSTEM);
	x = expand("127.0.0.1", "nobody@localhost");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_CHECK_EQ(lka_expand_count(x), 3);
	ATF_CHECK(find_mta(x, "far@example.net") >= 0);
	ATF_CHECK(find(x, EVP_M_MAILDIR, "", "nobody") >= 0);
	i = find(x, EVP_M_PIPE, "/usr/bin/procmail -a x", NULL);
	ATF_REQUIRE(i >= 0);
	e = lka_expand_envelope(x, i);
	/* a .forward's command runs as its owner */
	ATF_CHECK_STREQ(e->evp_user, "nobody");
	ATF_CHECK(e->evp_uid != 0);
	lka_expand_free(x);

	/* userbase: no .forward */
	x = expand("127.0.0.1", "bob@ub.example");
	ATF_REQUIRE_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_count(x), 1);
	ATF_CHECK(find(x, EVP_M_MAILDIR, "", "bob") >= 0);
	lka_expand_free(x);

	/* an empty .forward is no .forward */
	test_write_file("fwd.nobody", "\n \n# nothing\n");
	x = expand("127.0.0.1", "nobody@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_count(x), 1);
	lka_expand_free(x);

	/* refused by the parent's checks: ignored */
	test_write_file("fwd.nobody", "far@example.net\n");
	test_write_file("fwd.nobody.perm", "");
	x = expand("127.0.0.1", "nobody@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_count(x), 1);
	ATF_CHECK(find_mta(x, "far@example.net") == -1);
	lka_expand_free(x);
	unlink("fwd.nobody.perm");

	/* a broken .forward: temporary failure */
	test_write_file("fwd.nobody", "\"|unbalanced\n");
	x = expand("127.0.0.1", "nobody@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 451);
	lka_expand_free(x);
	teardown();
}

ATF_TC_WITHOUT_HEAD(root_by_getpwnam);
ATF_TC_BODY(root_by_getpwnam, tc)
{
	struct lka_expand	*x;

	setup("listen on 127.0.0.1\naction \"l\" mbox\n"
	    "match for local action \"l\"\n");
	x = expand("127.0.0.1", "root@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK(strstr(lka_expand_text(x), "root is not allowed") != NULL);
	lka_expand_free(x);
	teardown();
}

ATF_TC_WITHOUT_HEAD(virtual_and_user);
ATF_TC_BODY(virtual_and_user, tc)
{
	struct lka_expand	*x;
	const struct envelope	*e;

	setup("listen on 127.0.0.1\n" USERS
	    "table v { \"bob@virt.example\" = bob, "
	    "\"sales@virt.example\" = \"bob, carol@virt.example\", "
	    "\"fw@virt.example\" = \"someone@remote.example\", "
	    "\"@virt.example\" = catchall }\n"
	    "action \"virt\" lmtp \"/run/lmtp.sock\" rcpt-to virtual <v> "
	    "userbase <users> user vmail\n"
	    "action \"out\" relay host \"smtp://smarthost.example:2525\"\n"
	    "match from any for domain \"virt.example\" action \"virt\"\n"
	    "match from local for any action \"out\"\n");
	x = expand("198.51.100.1", "bob@virt.example");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	e = lka_expand_envelope(x, 0);
	ATF_CHECK_EQ(e->evp_method, EVP_M_LMTP);
	ATF_CHECK_STREQ(e->evp_mda_arg, "/run/lmtp.sock");
	ATF_CHECK(e->evp_flags & EF_LMTP_RCPT_TO);
	ATF_CHECK_STREQ(e->evp_user, "vmail");
	ATF_CHECK_EQ(e->evp_uid, 2000);
	ATF_CHECK_STREQ(e->evp_dest.ma_user, "bob");
	ATF_CHECK_STREQ(e->evp_dest.ma_domain, "virt.example");
	lka_expand_free(x);

	x = expand("198.51.100.1", "sales@virt.example");
	ATF_REQUIRE_EQ_MSG(lka_expand_code(x), 250, "%s", lka_expand_text(x));
	ATF_CHECK_EQ(lka_expand_count(x), 2);
	lka_expand_free(x);

	x = expand("198.51.100.1", "whoever+tag@virt.example");
	ATF_REQUIRE_EQ(lka_expand_code(x), 250);
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	ATF_CHECK_STREQ(lka_expand_envelope(x, 0)->evp_dest.ma_user,
	    "catchall");
	lka_expand_free(x);

	/* a forward address goes through the rules as local mail */
	x = expand("198.51.100.1", "fw@virt.example");
	ATF_REQUIRE_EQ(lka_expand_code(x), 250);
	ATF_REQUIRE_EQ(lka_expand_count(x), 1);
	e = lka_expand_envelope(x, 0);
	ATF_CHECK_EQ(e->evp_type, EVP_MTA);
	ATF_CHECK_STREQ(e->evp_dispatcher, "out");
	ATF_CHECK_STREQ(e->evp_relay, "smtp://smarthost.example:2525");
	lka_expand_free(x);

	/* relay from local */
	x = expand("127.0.0.1", "x@elsewhere.example");
	ATF_REQUIRE_EQ(lka_expand_code(x), 250);
	ATF_CHECK_EQ(lka_expand_envelope(x, 0)->evp_type, EVP_MTA);
	lka_expand_free(x);
	teardown();
}

ATF_TC_WITHOUT_HEAD(reject_rule);
ATF_TC_BODY(reject_rule, tc)
{
	struct lka_expand	*x;

	setup("listen on 127.0.0.1\naction \"l\" mbox\n"
	    "match from any for local rcpt-to \"nope\" reject\n"
	    "match from any for local action \"l\"\n");
	x = expand("198.51.100.1", "nope@localhost");
	ATF_CHECK_EQ(lka_expand_code(x), 550);
	ATF_CHECK_STREQ(lka_expand_text(x), "5.7.1 Delivery not authorized, "
	    "recipient rejected: <nope@localhost>");
	lka_expand_free(x);
	teardown();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, local_user);
	ATF_TP_ADD_TC(tp, aliases);
	ATF_TP_ADD_TC(tp, aliases_unreadable);
	ATF_TP_ADD_TC(tp, forward);
	ATF_TP_ADD_TC(tp, root_by_getpwnam);
	ATF_TP_ADD_TC(tp, virtual_and_user);
	ATF_TP_ADD_TC(tp, reject_rule);
	return atf_no_error();
}
