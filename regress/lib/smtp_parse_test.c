/*
 * Unit tests for SMTP command syntax (src/lib/smtp_parse.c): verb
 * splitting, MAIL and RCPT paths and ESMTP parameters, BDAT and HELO
 * arguments, xtext.  Every reply code path is exercised and the exact
 * code and enhanced status code are checked.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "smtp_parse.h"

#define EXT_ALL	(SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | \
		    SMTP_EXT_DSN | SMTP_EXT_CHUNKING)

/* Split a copy of s; return the verb and copy the argument to argbuf. */
static int
split(const char *s, enum smtp_verb *v, char *argbuf, size_t argsz,
    struct smtp_reply_err *err)
{
	char	*line, *arg;
	size_t	 len = strlen(s);
	int	 r;

	line = malloc(len + 1);
	ATF_REQUIRE(line != NULL);
	memcpy(line, s, len);
	line[len] = 'X';	/* split must write the NUL itself */
	r = smtp_cmd_split(line, len, v, &arg, err);
	ATF_REQUIRE(arg != NULL);
	ATF_REQUIRE(arg >= line && arg <= line + len);
	snprintf(argbuf, argsz, "%s", arg);
	free(line);
	return r;
}

static void
split_ok(const char *s, enum smtp_verb want, const char *wantarg)
{
	struct smtp_reply_err	err;
	enum smtp_verb		v;
	char			arg[4096];

	ATF_REQUIRE_MSG(split(s, &v, arg, sizeof(arg), &err) == 0,
	    "\"%s\" refused", s);
	ATF_CHECK_EQ_MSG(v, want, "verb of \"%s\": %s", s, smtp_verb_name(v));
	ATF_CHECK_STREQ_MSG(arg, wantarg, "argument of \"%s\"", s);
}

static void
split_bad(const char *s, size_t len, int code, const char *status)
{
	struct smtp_reply_err	err;
	enum smtp_verb		v;
	char			*line, *arg;

	line = malloc(len + 1);
	ATF_REQUIRE(line != NULL);
	memcpy(line, s, len);
	memset(&err, 0, sizeof(err));
	ATF_CHECK_MSG(smtp_cmd_split(line, len, &v, &arg, &err) == -1,
	    "\"%s\" accepted", s);
	ATF_CHECK_EQ_MSG(err.code, code, "code for \"%s\"", s);
	ATF_REQUIRE(err.text != NULL);
	ATF_CHECK_MSG(strncmp(err.text, status, strlen(status)) == 0,
	    "\"%s\": text \"%s\"", s, err.text);
	free(line);
}

/* Expect MAIL/RCPT refused with code and enhanced status. */
static void
mail_bad(const char *arg, unsigned int ext, uint64_t max, int code,
    const char *status)
{
	struct smtp_mail_args	ma;
	struct smtp_reply_err	err;

	memset(&err, 0, sizeof(err));
	ATF_CHECK_MSG(smtp_parse_mail(arg, ext, max, &ma, &err) == -1,
	    "MAIL \"%s\" accepted", arg);
	ATF_CHECK_EQ_MSG(err.code, code, "MAIL \"%s\": %d %s", arg, err.code,
	    err.text ? err.text : "");
	ATF_REQUIRE(err.text != NULL);
	ATF_CHECK_MSG(strncmp(err.text, status, strlen(status)) == 0,
	    "MAIL \"%s\": text \"%s\"", arg, err.text);
}

static void
mail_ok(const char *arg, unsigned int ext, uint64_t max,
    struct smtp_mail_args *ma)
{
	struct smtp_reply_err	err;

	memset(&err, 0, sizeof(err));
	ATF_REQUIRE_MSG(smtp_parse_mail(arg, ext, max, ma, &err) == 0,
	    "MAIL \"%s\" refused: %d %s", arg, err.code,
	    err.text ? err.text : "");
}

static void
rcpt_bad(const char *arg, unsigned int ext, int utf8, int code,
    const char *status)
{
	struct smtp_rcpt_args	ra;
	struct smtp_reply_err	err;

	memset(&err, 0, sizeof(err));
	ATF_CHECK_MSG(smtp_parse_rcpt(arg, ext, utf8, &ra, &err) == -1,
	    "RCPT \"%s\" accepted", arg);
	ATF_CHECK_EQ_MSG(err.code, code, "RCPT \"%s\": %d %s", arg, err.code,
	    err.text ? err.text : "");
	ATF_REQUIRE(err.text != NULL);
	ATF_CHECK_MSG(strncmp(err.text, status, strlen(status)) == 0,
	    "RCPT \"%s\": text \"%s\"", arg, err.text);
}

static void
rcpt_ok(const char *arg, unsigned int ext, int utf8,
    struct smtp_rcpt_args *ra)
{
	struct smtp_reply_err	err;

	memset(&err, 0, sizeof(err));
	ATF_REQUIRE_MSG(smtp_parse_rcpt(arg, ext, utf8, ra, &err) == 0,
	    "RCPT \"%s\" refused: %d %s", arg, err.code,
	    err.text ? err.text : "");
}

ATF_TC_WITHOUT_HEAD(split_verbs);
ATF_TC_BODY(split_verbs, tc)
{
	split_ok("HELO example.org", SMTP_CMD_HELO, "example.org");
	split_ok("ehlo example.org", SMTP_CMD_EHLO, "example.org");
	split_ok("EhLo   example.org  ", SMTP_CMD_EHLO, "example.org");
	split_ok("MAIL FROM:<a@b>", SMTP_CMD_MAIL, "<a@b>");
	split_ok("mail from:<a@b>", SMTP_CMD_MAIL, "<a@b>");
	split_ok("MAIL FROM: <a@b> SIZE=10", SMTP_CMD_MAIL, "<a@b> SIZE=10");
	split_ok("MAIL FROM:   <a@b>", SMTP_CMD_MAIL, "<a@b>");
	split_ok("MAIL FROM:\t<a@b>", SMTP_CMD_MAIL, "<a@b>");
	split_ok("MAIL FROM:<>", SMTP_CMD_MAIL, "<>");
	split_ok("RCPT TO:<a@b>", SMTP_CMD_RCPT, "<a@b>");
	split_ok("Rcpt To: <a@b> NOTIFY=NEVER", SMTP_CMD_RCPT,
	    "<a@b> NOTIFY=NEVER");
	split_ok("DATA", SMTP_CMD_DATA, "");
	split_ok("data ", SMTP_CMD_DATA, "");
	split_ok("BDAT 100 LAST", SMTP_CMD_BDAT, "100 LAST");
	split_ok("RSET", SMTP_CMD_RSET, "");
	split_ok("NOOP anything at all", SMTP_CMD_NOOP, "anything at all");
	split_ok("QUIT", SMTP_CMD_QUIT, "");
	split_ok("HELP", SMTP_CMD_HELP, "");
	split_ok("VRFY user", SMTP_CMD_VRFY, "user");
	split_ok("EXPN list", SMTP_CMD_EXPN, "list");
	split_ok("STARTTLS", SMTP_CMD_STARTTLS, "");
	split_ok("AUTH PLAIN AGFAYg==", SMTP_CMD_AUTH, "PLAIN AGFAYg==");
	split_ok("NOOP\targ", SMTP_CMD_NOOP, "arg");
	/* 8-bit bytes are not control bytes (SMTPUTF8 addresses). */
	split_ok("RCPT TO:<j\xc3\xb6rg@b>", SMTP_CMD_RCPT,
	    "<j\xc3\xb6rg@b>");
}

ATF_TC_WITHOUT_HEAD(split_unknown);
ATF_TC_BODY(split_unknown, tc)
{
	split_ok("", SMTP_CMD_UNKNOWN, "");
	split_ok("   ", SMTP_CMD_UNKNOWN, "");
	split_ok("FOO bar", SMTP_CMD_UNKNOWN, "bar");
	split_ok("NOOPX", SMTP_CMD_UNKNOWN, "");
	split_ok("NOO", SMTP_CMD_UNKNOWN, "");
	split_ok("ETRN example.org", SMTP_CMD_UNKNOWN, "example.org");
	split_ok("STARTTLSX", SMTP_CMD_UNKNOWN, "");
	split_ok(" NOOP", SMTP_CMD_UNKNOWN, "NOOP");
	split_ok("MAILFROM:<a@b>", SMTP_CMD_UNKNOWN, "");
	split_ok("GET / HTTP/1.0", SMTP_CMD_UNKNOWN, "/ HTTP/1.0");
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_MAIL), "MAIL FROM");
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_STARTTLS), "STARTTLS");
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_UNKNOWN), "UNKNOWN");
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_COUNT), "UNKNOWN");
	ATF_CHECK_STREQ(smtp_verb_name((enum smtp_verb)-1), "UNKNOWN");
}

ATF_TC_WITHOUT_HEAD(split_errors);
ATF_TC_BODY(split_errors, tc)
{
	char	c[2];
	int	i;

	split_bad("NOOP\0x", 6, 500, "5.5.2");
	split_bad("\0", 1, 500, "5.5.2");
	split_bad("MAIL FROM:<a@b>\r", 16, 500, "5.5.2");
	split_bad("MAIL FROM:<a@b>\rRCPT TO:<c@d>", 29, 500, "5.5.2");
	split_bad("MAIL FROM:<a\n@b>", 16, 500, "5.5.2");
	split_bad("NOOP \x1b[31m", 10, 500, "5.5.2");
	split_bad("NOOP \x7f", 6, 500, "5.5.2");
	for (i = 1; i < 0x20; i++) {
		if (i == '\t')
			continue;
		c[0] = (char)i;
		c[1] = 'x';
		split_bad(c, 2, 500, "5.5.2");
	}
	/* MAIL and RCPT need their FROM: / TO: */
	split_bad("MAIL", 4, 501, "5.5.4");
	split_bad("MAIL <a@b>", 10, 501, "5.5.4");
	split_bad("MAIL FROM <a@b>", 15, 501, "5.5.4");
	split_bad("MAIL FROM :<a@b>", 16, 501, "5.5.4");
	split_bad("MAIL  FROM:<a@b>", 16, 501, "5.5.4");
	split_bad("MAIL TO:<a@b>", 13, 501, "5.5.4");
	split_bad("RCPT", 4, 501, "5.5.4");
	split_bad("RCPT FROM:<a@b>", 15, 501, "5.5.4");
	split_bad("RCPT TO <a@b>", 13, 501, "5.5.4");
}

ATF_TC_WITHOUT_HEAD(mail_paths);
ATF_TC_BODY(mail_paths, tc)
{
	struct smtp_mail_args	ma;

	mail_ok("<user@example.org>", 0, 0, &ma);
	ATF_CHECK_STREQ(ma.ma_from.ma_user, "user");
	ATF_CHECK_STREQ(ma.ma_from.ma_domain, "example.org");
	ATF_CHECK_EQ(ma.ma_null, 0);
	ATF_CHECK_EQ(ma.ma_size, 0);
	ATF_CHECK_EQ(ma.ma_body, SMTP_BODY_7BIT);
	ATF_CHECK_EQ(ma.ma_smtputf8, 0);
	ATF_CHECK_EQ(ma.ma_dsn_ret, DSN_RET_NONE);
	ATF_CHECK_STREQ(ma.ma_dsn_envid, "");

	mail_ok("<>", 0, 0, &ma);
	ATF_CHECK_EQ(ma.ma_null, 1);
	ATF_CHECK_STREQ(ma.ma_from.ma_user, "");
	ATF_CHECK_STREQ(ma.ma_from.ma_domain, "");

	mail_ok("  <a@B.example>", 0, 0, &ma);
	ATF_CHECK_STREQ(ma.ma_from.ma_domain, "b.example");
	mail_ok("<@relay.example:a@b.example>", 0, 0, &ma);
	ATF_CHECK_STREQ(ma.ma_from.ma_user, "a");
	ATF_CHECK_STREQ(ma.ma_from.ma_domain, "b.example");
	mail_ok("<\"a > b\"@c.example>", 0, 0, &ma);
	ATF_CHECK_STREQ(ma.ma_from.ma_user, "a > b");

	mail_bad("", 0, 0, 501, "5.1.7");
	mail_bad("a@b", 0, 0, 501, "5.1.7");
	mail_bad("<a@b", 0, 0, 501, "5.1.7");
	mail_bad("<a@b>x", 0, 0, 501, "5.1.7");
	mail_bad("<a@b>>", 0, 0, 501, "5.1.7");
	mail_bad("<a @b>", 0, 0, 501, "5.1.7");
	mail_bad("<a@-b>", 0, 0, 501, "5.1.7");
	mail_bad("<user>", 0, 0, 501, "5.1.7");
	mail_bad("<a@b@c>", 0, 0, 501, "5.1.7");
	mail_bad("<\"a@b>", 0, 0, 501, "5.1.7");
	mail_bad("<\"a\\", 0, 0, 501, "5.1.7");
	/* Non-ASCII without SMTPUTF8. */
	mail_bad("<j\xc3\xb6rg@example.org>", EXT_ALL, 0, 553, "5.6.7");
	mail_bad("<a@\xc3\xa9x.org>", EXT_ALL, 0, 553, "5.6.7");
	mail_ok("<j\xc3\xb6rg@example.org> SMTPUTF8", EXT_ALL, 0, &ma);
	ATF_CHECK_EQ(ma.ma_smtputf8, 1);
	ATF_CHECK_STREQ(ma.ma_from.ma_user, "j\xc3\xb6rg");
	/* ... and invalid UTF-8 even with it. */
	mail_bad("<j\xc0\xafrg@example.org> SMTPUTF8", EXT_ALL, 0, 501,
	    "5.1.7");
}

ATF_TC_WITHOUT_HEAD(mail_params);
ATF_TC_BODY(mail_params, tc)
{
	struct smtp_mail_args	ma;

	mail_ok("<a@b> SIZE=1000 BODY=8BITMIME", EXT_ALL, 2000, &ma);
	ATF_CHECK_EQ(ma.ma_size, 1000);
	ATF_CHECK_EQ(ma.ma_body, SMTP_BODY_8BITMIME);
	mail_ok("<a@b> size=2000 body=7bit", EXT_ALL, 2000, &ma);
	ATF_CHECK_EQ(ma.ma_size, 2000);
	ATF_CHECK_EQ(ma.ma_body, SMTP_BODY_7BIT);
	mail_ok("<a@b>  SIZE=0", EXT_ALL, 2000, &ma);
	ATF_CHECK_EQ(ma.ma_size, 0);
	mail_ok("<a@b> SIZE=18446744073709551615", EXT_ALL, 0, &ma);
	ATF_CHECK_EQ(ma.ma_size, UINT64_MAX);
	mail_ok("<a@b> RET=FULL ENVID=QQ+2B1", EXT_ALL, 0, &ma);
	ATF_CHECK_EQ(ma.ma_dsn_ret, DSN_RET_FULL);
	ATF_CHECK_STREQ(ma.ma_dsn_envid, "QQ+2B1");
	mail_ok("<a@b> ret=hdrs", EXT_ALL, 0, &ma);
	ATF_CHECK_EQ(ma.ma_dsn_ret, DSN_RET_HDRS);
	mail_ok("<a@b> AUTH=<>", 0, 0, &ma);
	mail_ok("<a@b> AUTH=user+40example.org", 0, 0, &ma);
	mail_ok("<a@b> smtputf8", EXT_ALL, 0, &ma);
	ATF_CHECK_EQ(ma.ma_smtputf8, 1);
	mail_ok("<> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>",
	    EXT_ALL, 100, &ma);
	ATF_CHECK_EQ(ma.ma_null, 1);

	/* SIZE */
	mail_bad("<a@b> SIZE=2001", EXT_ALL, 2000, 552, "5.3.4");
	mail_bad("<a@b> SIZE=99999999999999999999999", EXT_ALL, 2000, 552,
	    "5.3.4");
	mail_bad("<a@b> SIZE=18446744073709551616", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE=", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE=-1", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE=1k", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE=10", EXT_ALL & ~SMTP_EXT_SIZE, 0, 555, "5.5.4");
	/* BODY */
	mail_bad("<a@b> BODY=BINARYMIME", EXT_ALL, 0, 555, "5.5.4");
	mail_bad("<a@b> BODY=8BIT", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> BODY", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> BODY=8BITMIME", EXT_ALL & ~SMTP_EXT_8BITMIME, 0, 555,
	    "5.5.4");
	/* SMTPUTF8 */
	mail_bad("<a@b> SMTPUTF8=yes", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SMTPUTF8", EXT_ALL & ~SMTP_EXT_SMTPUTF8, 0, 555,
	    "5.5.4");
	/* DSN */
	mail_bad("<a@b> RET=ALL", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> RET=FULL", EXT_ALL & ~SMTP_EXT_DSN, 0, 555, "5.5.4");
	mail_bad("<a@b> ENVID=x", EXT_ALL & ~SMTP_EXT_DSN, 0, 555, "5.5.4");
	mail_bad("<a@b> ENVID=a+2", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> ENVID=a+GG", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> ENVID=a+", EXT_ALL, 0, 501, "5.5.4");
	/* AUTH= is checked though ignored */
	mail_bad("<a@b> AUTH=a+zz", EXT_ALL, 0, 501, "5.5.4");
	/* unknown, RCPT-only and duplicate parameters */
	mail_bad("<a@b> FOO=bar", EXT_ALL, 0, 555, "5.5.4");
	mail_bad("<a@b> FOO", EXT_ALL, 0, 555, "5.5.4");
	mail_bad("<a@b> NOTIFY=NEVER", EXT_ALL, 0, 555, "5.5.4");
	mail_bad("<a@b> ORCPT=rfc822;a@b", EXT_ALL, 0, 555, "5.5.4");
	mail_bad("<a@b> SIZE=1 SIZE=1", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> BODY=7BIT body=8BITMIME", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SMTPUTF8 SMTPUTF8", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> RET=FULL RET=HDRS", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> ENVID=a ENVID=b", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> AUTH=<> AUTH=<>", EXT_ALL, 0, 501, "5.5.4");
	/* parameter syntax */
	mail_bad("<a@b> =x", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> -SIZE=1", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SI_ZE=1", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> SIZE=1=2", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> ENVID=a\xc3\xa9", EXT_ALL, 0, 501, "5.5.4");
	mail_bad("<a@b> XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX=1",
	    EXT_ALL, 0, 501, "5.5.4");
}

ATF_TC_WITHOUT_HEAD(envid_limit);
ATF_TC_BODY(envid_limit, tc)
{
	struct smtp_mail_args	ma;
	char			arg[512], v[SMTP_DSN_ENVID_MAX + 2];

	memset(v, 'e', SMTP_DSN_ENVID_MAX);
	v[SMTP_DSN_ENVID_MAX] = '\0';
	snprintf(arg, sizeof(arg), "<a@b> ENVID=%s", v);
	mail_ok(arg, EXT_ALL, 0, &ma);
	ATF_CHECK_STREQ(ma.ma_dsn_envid, v);
	v[SMTP_DSN_ENVID_MAX] = 'e';
	v[SMTP_DSN_ENVID_MAX + 1] = '\0';
	snprintf(arg, sizeof(arg), "<a@b> ENVID=%s", v);
	mail_bad(arg, EXT_ALL, 0, 501, "5.5.4");

	ATF_CHECK(smtp_xtext_valid("", 0));
	ATF_CHECK(smtp_xtext_valid("abc", 3));
	ATF_CHECK(!smtp_xtext_valid("abcd", 3));
	ATF_CHECK(smtp_xtext_valid("a+2Bc", 3));
	ATF_CHECK(!smtp_xtext_valid("a+2Bcd", 3));
	ATF_CHECK(smtp_xtext_valid("+2b", 1));
	ATF_CHECK(!smtp_xtext_valid("+2", 10));
	ATF_CHECK(!smtp_xtext_valid("+", 10));
	ATF_CHECK(!smtp_xtext_valid("+G0", 10));
	ATF_CHECK(!smtp_xtext_valid("a=b", 10));
	ATF_CHECK(!smtp_xtext_valid("a b", 10));
	ATF_CHECK(!smtp_xtext_valid("a\x7f", 10));
	ATF_CHECK(!smtp_xtext_valid("a\xc3\xa9", 10));
	ATF_CHECK(smtp_xtext_valid("!\"#$%&'()*,-./09:;<>?@AZ[\\]^_`az{|}~",
	    100));
}

ATF_TC_WITHOUT_HEAD(rcpt);
ATF_TC_BODY(rcpt, tc)
{
	struct smtp_rcpt_args	ra;
	char			arg[1024], v[SMTP_DSN_ORCPT_MAX + 2];

	rcpt_ok("<user@example.org>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "user");
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "example.org");
	ATF_CHECK_EQ(ra.ra_postmaster, 0);
	ATF_CHECK_EQ(ra.ra_dsn_notify, 0);
	ATF_CHECK_STREQ(ra.ra_dsn_orcpt, "");

	/* Postmaster without a domain, any case. */
	rcpt_ok("<postmaster>", 0, 0, &ra);
	ATF_CHECK_EQ(ra.ra_postmaster, 1);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "postmaster");
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "");
	rcpt_ok("<PostMaster> NOTIFY=NEVER", EXT_ALL, 0, &ra);
	ATF_CHECK_EQ(ra.ra_postmaster, 1);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "postmaster");
	rcpt_ok("<postmaster@example.org>", 0, 0, &ra);
	ATF_CHECK_EQ(ra.ra_postmaster, 0);
	rcpt_bad("<postmaster2>", 0, 0, 501, "5.1.3");
	rcpt_bad("<root>", 0, 0, 501, "5.1.3");

	/* Relay tricks parse to local part + final domain. */
	rcpt_ok("<user%remote.example@local.example>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "user%remote.example");
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "local.example");
	rcpt_ok("<remote.example!user@local.example>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "remote.example!user");
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "local.example");
	rcpt_ok("<\"user@remote.example\"@local.example>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "user@remote.example");
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "local.example");
	rcpt_ok("<@local.example:user@remote.example>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "remote.example");
	rcpt_ok("<@remote.example:user@local.example>", 0, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_domain, "local.example");
	rcpt_bad("<user@remote.example@local.example>", 0, 0, 501, "5.1.3");
	rcpt_bad("<user@remote.example@local.example>", 0, 0, 501, "5.1.3");

	rcpt_bad("<>", 0, 0, 501, "5.1.3");
	rcpt_bad("", 0, 0, 501, "5.1.3");
	rcpt_bad("user@example.org", 0, 0, 501, "5.1.3");
	rcpt_bad("<user@example.org>junk", 0, 0, 501, "5.1.3");
	rcpt_bad("<j\xc3\xb6rg@example.org>", EXT_ALL, 0, 553, "5.6.7");
	rcpt_ok("<j\xc3\xb6rg@example.org>", EXT_ALL, 1, &ra);
	ATF_CHECK_STREQ(ra.ra_to.ma_user, "j\xc3\xb6rg");

	/* NOTIFY */
	rcpt_ok("<a@b> NOTIFY=NEVER", EXT_ALL, 0, &ra);
	ATF_CHECK_EQ(ra.ra_dsn_notify, DSN_NOTIFY_NEVER);
	rcpt_ok("<a@b> notify=success,Failure,DELAY", EXT_ALL, 0, &ra);
	ATF_CHECK_EQ(ra.ra_dsn_notify,
	    DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY);
	rcpt_ok("<a@b> NOTIFY=DELAY", EXT_ALL, 0, &ra);
	ATF_CHECK_EQ(ra.ra_dsn_notify, DSN_NOTIFY_DELAY);
	rcpt_bad("<a@b> NOTIFY=NEVER,SUCCESS", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=FAILURE,NEVER", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=SOMETIMES", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=SUCCESS,", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=,SUCCESS", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=SUCCESS,,DELAY", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> NOTIFY=NEVER", EXT_ALL & ~SMTP_EXT_DSN, 0, 555,
	    "5.5.4");
	rcpt_bad("<a@b> NOTIFY=NEVER NOTIFY=NEVER", EXT_ALL, 0, 501, "5.5.4");

	/* ORCPT */
	rcpt_ok("<a@b> ORCPT=rfc822;a+40b", EXT_ALL, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_dsn_orcpt, "rfc822;a+40b");
	rcpt_ok("<a@b> ORCPT=RFC822;a@b", EXT_ALL, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_dsn_orcpt, "RFC822;a@b");
	rcpt_ok("<a@b> ORCPT=utf-8;j\\x{F6}rg@b", EXT_ALL, 0, &ra);
	rcpt_bad("<a@b> ORCPT=x400;a", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> ORCPT=rfc822", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> ORCPT=rfc822;", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> ORCPT=;a@b", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> ORCPT=rfc822;a+4", EXT_ALL, 0, 501, "5.5.4");
	rcpt_bad("<a@b> ORCPT=rfc822;a@b", EXT_ALL & ~SMTP_EXT_DSN, 0, 555,
	    "5.5.4");
	rcpt_bad("<a@b> ORCPT=rfc822;a ORCPT=rfc822;a", EXT_ALL, 0, 501,
	    "5.5.4");
	memset(v, 'o', sizeof(v));
	memcpy(v, "rfc822;", 7);
	v[SMTP_DSN_ORCPT_MAX] = '\0';
	snprintf(arg, sizeof(arg), "<a@b> ORCPT=%s", v);
	rcpt_ok(arg, EXT_ALL, 0, &ra);
	ATF_CHECK_STREQ(ra.ra_dsn_orcpt, v);
	v[SMTP_DSN_ORCPT_MAX] = 'o';
	v[SMTP_DSN_ORCPT_MAX + 1] = '\0';
	snprintf(arg, sizeof(arg), "<a@b> ORCPT=%s", v);
	rcpt_bad(arg, EXT_ALL, 0, 501, "5.5.4");

	/* MAIL parameters are not RCPT parameters. */
	rcpt_bad("<a@b> SIZE=10", EXT_ALL, 0, 555, "5.5.4");
	rcpt_bad("<a@b> BODY=8BITMIME", EXT_ALL, 0, 555, "5.5.4");
	rcpt_bad("<a@b> RET=FULL", EXT_ALL, 0, 555, "5.5.4");
	rcpt_bad("<a@b> AUTH=<>", EXT_ALL, 0, 555, "5.5.4");
	rcpt_bad("<a@b> X-FOO", EXT_ALL, 0, 555, "5.5.4");
	rcpt_bad("<a@b> =", EXT_ALL, 0, 501, "5.5.4");
}

ATF_TC_WITHOUT_HEAD(bdat);
ATF_TC_BODY(bdat, tc)
{
	struct smtp_reply_err	err;
	uint64_t		size;
	int			last;

#define BDAT_OK(s, n, l) do {						\
	ATF_CHECK_MSG(smtp_parse_bdat(s, &size, &last, &err) == 0,	\
	    "BDAT \"%s\" refused", s);					\
	ATF_CHECK_EQ(size, (uint64_t)(n));				\
	ATF_CHECK_EQ(last, l);						\
} while (0)
#define BDAT_BAD(s) do {						\
	memset(&err, 0, sizeof(err));					\
	ATF_CHECK_MSG(smtp_parse_bdat(s, &size, &last, &err) == -1,	\
	    "BDAT \"%s\" accepted", s);					\
	ATF_CHECK_EQ(err.code, 501);					\
	ATF_CHECK(err.text != NULL &&					\
	    strncmp(err.text, "5.5.4", 5) == 0);			\
} while (0)
	BDAT_OK("0", 0, 0);
	BDAT_OK("0 LAST", 0, 1);
	BDAT_OK("100", 100, 0);
	BDAT_OK("100 LAST", 100, 1);
	BDAT_OK("100 last", 100, 1);
	BDAT_OK("100  LaSt ", 100, 1);
	BDAT_OK("007", 7, 0);
	BDAT_OK("18446744073709551615 LAST", UINT64_MAX, 1);
	BDAT_BAD("");
	BDAT_BAD("LAST");
	BDAT_BAD("-1");
	BDAT_BAD("+1");
	BDAT_BAD("1e3");
	BDAT_BAD("0x10");
	BDAT_BAD("10LAST");
	BDAT_BAD("10 LASTX");
	BDAT_BAD("10 LAS");
	BDAT_BAD("10 LAST LAST");
	BDAT_BAD("10 FIRST");
	BDAT_BAD("10 20");
	BDAT_BAD("18446744073709551616");
	BDAT_BAD("99999999999999999999999999");
#undef BDAT_OK
#undef BDAT_BAD
}

ATF_TC_WITHOUT_HEAD(helo);
ATF_TC_BODY(helo, tc)
{
	struct smtp_reply_err	err;
	char			long_name[300];

#define HELO_OK(s) ATF_CHECK_MSG(smtp_parse_helo(s, &err) == 0,	\
	"HELO \"%s\" refused", s)
#define HELO_BAD(s) do {						\
	memset(&err, 0, sizeof(err));					\
	ATF_CHECK_MSG(smtp_parse_helo(s, &err) == -1,			\
	    "HELO \"%s\" accepted", s);					\
	ATF_CHECK_EQ(err.code, 501);					\
	ATF_CHECK(err.text != NULL &&					\
	    strncmp(err.text, "5.5.4", 5) == 0);			\
} while (0)
	HELO_OK("example.org");
	HELO_OK("mail.EXAMPLE.org");
	HELO_OK("localhost");
	HELO_OK("my_pc.local");		/* res_hnok-style leniency */
	HELO_OK("[192.0.2.1]");
	HELO_OK("[IPv6:2001:db8::1]");
	HELO_OK("192.0.2.1");
	HELO_OK(" example.org ");
	HELO_BAD("");
	HELO_BAD("   ");
	HELO_BAD("exa mple.org");
	HELO_BAD("example.org.");
	HELO_BAD("-example.org");
	HELO_BAD("example..org");
	HELO_BAD("[192.0.2.300]");
	HELO_BAD("[example.org]");
	HELO_BAD("ex\xc3\xa9.org");
	HELO_BAD("<example.org>");
	HELO_BAD("user@example.org");
	memset(long_name, 'a', sizeof(long_name));
	long_name[sizeof(long_name) - 1] = '\0';
	HELO_BAD(long_name);
	memset(&err, 0, sizeof(err));
	ATF_CHECK(smtp_parse_helo("", &err) == -1);
	ATF_CHECK(err.text != NULL && strstr(err.text, "requires") != NULL);
#undef HELO_OK
#undef HELO_BAD
}

/* Every reply text carries an enhanced status code of its class. */
ATF_TC_WITHOUT_HEAD(reply_format);
ATF_TC_BODY(reply_format, tc)
{
	static const char	*mails[] = {
		"", "<a@b> SIZE=5", "<a@b> FOO", "<a@b> BODY=BINARYMIME",
		"<\xc3\xa9@b>", "<a@b> SIZE=1 SIZE=1", "<a@b> =",
		"<a@b> SIZE=x", "<a@b> BODY=x", "<a@b> RET=x",
		"<a@b> ENVID=+", "<a@b> AUTH=+", "<a@b> SMTPUTF8",
	};
	struct smtp_mail_args	ma;
	struct smtp_reply_err	err;
	size_t			i;
	unsigned int		ext;

	for (i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		for (ext = 0; ext <= EXT_ALL; ext += EXT_ALL) {
			memset(&err, 0, sizeof(err));
			if (smtp_parse_mail(mails[i], ext, 4, &ma,
			    &err) == 0)
				continue;
			ATF_REQUIRE(err.text != NULL);
			ATF_CHECK_MSG(err.code >= 500 && err.code <= 559,
			    "%d", err.code);
			ATF_CHECK_MSG(err.text[0] == '5' &&
			    err.text[1] == '.' && err.text[3] == '.' &&
			    strchr(err.text, ' ') != NULL,
			    "\"%s\" lacks an enhanced status code", err.text);
			ATF_CHECK(strlen(err.text) < SMTP_REPLY_MAX - 4);
		}
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, split_verbs);
	ATF_TP_ADD_TC(tp, split_unknown);
	ATF_TP_ADD_TC(tp, split_errors);
	ATF_TP_ADD_TC(tp, mail_paths);
	ATF_TP_ADD_TC(tp, mail_params);
	ATF_TP_ADD_TC(tp, envid_limit);
	ATF_TP_ADD_TC(tp, rcpt);
	ATF_TP_ADD_TC(tp, bdat);
	ATF_TP_ADD_TC(tp, helo);
	ATF_TP_ADD_TC(tp, reply_format);
	return atf_no_error();
}
