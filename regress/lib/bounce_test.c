/*
 * Unit tests for delivery status notifications (src/lib/bounce.c).
 * Each report is checked twice: by small checks here on the text (exact
 * header lines, the boundary, the report fields), and by Python's email
 * package as an independent MIME parser (the structure a mail client
 * sees: multipart/report with report-type=delivery-status and three
 * parts, the fields of message/delivery-status, the original).  The
 * Python half is skipped, and says so, when python3 is missing.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounce.h"
#include "smtp_parse.h"

#define NOW	1700000000	/* Tue, 14 Nov 2023 22:13:20 +0000 */

static const char orig_7bit[] =
    "Received: from client.example.net by mx.example.org\n"
    "From: Bob <bob@example.org>\n"
    "To: alice@example.net\n"
    "Subject: hello\n"
    "Message-ID: <1@example.org>\n"
    "\n"
    "Body line one.\n"
    "--not a boundary\n"
    "Body line three.\n";

/* Checks the report's structure with Python's email package. */
static const char checker[] =
"import sys, email, email.policy, email.utils\n"
"path, want_ctype, want_action, want_status, want_envid, want_orcpt, "
"want_diag, orig = sys.argv[1:9]\n"
"raw = open(path, 'rb').read()\n"
"m = email.message_from_bytes(raw, policy=email.policy.compat32)\n"
"def fail(why):\n"
"    print('checker: ' + why); sys.exit(1)\n"
"if m.get_content_type() != 'multipart/report': fail('type')\n"
"if m.get_param('report-type') != 'delivery-status': fail('report-type')\n"
"if m['Auto-Submitted'] != 'auto-replied': fail('auto-submitted')\n"
"if m['MIME-Version'] != '1.0': fail('mime-version')\n"
"if not m['From'].startswith('Mailer Daemon <MAILER-DAEMON@'): fail('from')\n"
"if not m['Message-ID'].startswith('<'): fail('message-id')\n"
"if email.utils.parsedate_tz(m['Date']) is None: fail('date')\n"
"parts = m.get_payload()\n"
"if len(parts) != 3: fail('%d parts' % len(parts))\n"
"if m.defects or any(p.defects for p in parts): fail('defects')\n"
"if parts[0].get_content_type() != 'text/plain': fail('part 1')\n"
"if parts[1].get_content_type() != 'message/delivery-status': "
"fail('part 2')\n"
"if parts[2].get_content_type() != want_ctype: fail('part 3 type')\n"
"blocks = parts[1].get_payload()\n"
"if len(blocks) != 2: fail('%d report blocks' % len(blocks))\n"
"msgf, rcptf = blocks\n"
"if not msgf['Reporting-MTA'].startswith('dns; '): fail('reporting-mta')\n"
"if (msgf['Original-Envelope-Id'] or '') != want_envid: fail('envid')\n"
"if msgf['Arrival-Date'] is None: fail('arrival-date')\n"
"if (rcptf['Original-Recipient'] or '') != want_orcpt: fail('orcpt')\n"
"if rcptf['Action'] != want_action: fail('action')\n"
"if rcptf['Status'] != want_status: fail('status ' + rcptf['Status'])\n"
"if (rcptf['Diagnostic-Code'] or '') != want_diag: fail('diagnostic')\n"
"if rcptf['Final-Recipient'] is None: fail('final-recipient')\n"
"o = open(orig, 'rb').read()\n"
"if want_ctype == 'message/rfc822':\n"
"    inner = parts[2].get_payload()[0]\n"
"    if inner['Subject'] != 'hello': fail('inner subject')\n"
"    if inner.get_payload(decode=False).encode('utf-8', 'surrogateescape')"
" not in o: fail('inner body')\n"
"else:\n"
"    hdrs = parts[2].get_payload(decode=True)\n"
"    if b'Subject: hello' not in hdrs: fail('headers')\n"
"    if b'Body line' in hdrs: fail('body in headers part')\n"
"print('checker: ok')\n";

static void
fill(struct envelope *evp)
{
	memset(evp, 0, sizeof(*evp));
	evp->evp_id = 0x1234abcd00c0ffeeULL;
	evp->evp_type = EVP_MTA;
	(void)strlcpy(evp->evp_sender.ma_user, "bob",
	    sizeof(evp->evp_sender.ma_user));
	(void)strlcpy(evp->evp_sender.ma_domain, "example.org",
	    sizeof(evp->evp_sender.ma_domain));
	(void)strlcpy(evp->evp_rcpt.ma_user, "alice",
	    sizeof(evp->evp_rcpt.ma_user));
	(void)strlcpy(evp->evp_rcpt.ma_domain, "example.net",
	    sizeof(evp->evp_rcpt.ma_domain));
	evp->evp_dest = evp->evp_rcpt;
	evp->evp_creation = NOW - 3600;
	evp->evp_expire = NOW + 86400;
	evp->evp_lasttry = NOW - 60;
	(void)strlcpy(evp->evp_errorline, "550 5.1.1 <alice@example.net>: "
	    "no such user", sizeof(evp->evp_errorline));
}

/* Write orig to a file, run bounce_write, return the report (malloc). */
static char *
make_bounce(const struct envelope *evp, int kind, const char *orig,
    size_t origlen)
{
	FILE	*in, *out;
	char	*buf;
	long	 n;

	ATF_REQUIRE((in = fopen("orig", "w+")) != NULL);
	ATF_REQUIRE_EQ(fwrite(orig, 1, origlen, in), origlen);
	rewind(in);
	ATF_REQUIRE((out = fopen("bounce", "w+")) != NULL);
	ATF_REQUIRE_EQ(bounce_write(out, evp, kind, in, "mx.example.org",
	    NOW), 0);
	fclose(in);
	ATF_REQUIRE((n = ftell(out)) > 0);
	rewind(out);
	ATF_REQUIRE((buf = malloc(n + 1)) != NULL);
	ATF_REQUIRE_EQ(fread(buf, 1, n, out), (size_t)n);
	buf[n] = '\0';
	fclose(out);
	return buf;
}

/* The line starting with prefix in the header block starting at p. */
static int
has_line(const char *text, const char *line)
{
	const char	*p = text;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

#define CHECK_LINE(text, line) \
	ATF_CHECK_MSG(has_line((text), (line)), "no line \"%s\"", (line))
#define CHECK_NO(text, s) \
	ATF_CHECK_MSG(strstr((text), (s)) == NULL, "unexpected \"%s\"", (s))

/*
 * Independent structure check: the boundary from Content-Type, exactly
 * three parts, the close delimiter last, LF line ends only (unless the
 * original brought CRs).
 */
static void
check_structure_cr(const char *text, int cr_ok)
{
	char		 boundary[128], delim[140], close[140];
	const char	*p, *q;
	int		 parts = 0;

	if (!cr_ok)
		ATF_REQUIRE(strchr(text, '\r') == NULL);
	p = strstr(text, "\tboundary=\"");
	ATF_REQUIRE(p != NULL);
	p += strlen("\tboundary=\"");
	q = strchr(p, '"');
	ATF_REQUIRE(q != NULL && q - p > 10 && q - p < 70);
	(void)snprintf(boundary, sizeof(boundary), "%.*s", (int)(q - p), p);
	(void)snprintf(delim, sizeof(delim), "\n--%s\n", boundary);
	(void)snprintf(close, sizeof(close), "\n--%s--\n", boundary);
	for (p = text; (p = strstr(p, delim)) != NULL; p++)
		parts++;
	ATF_CHECK_EQ(parts, 3);
	p = strstr(text, close);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(p[strlen(close)], '\0');
	/* Header section first, then the MIME preamble. */
	ATF_CHECK(strstr(text, "\n\nThis is a MIME-encapsulated message.\n")
	    != NULL);
	ATF_CHECK(strstr(text, "\n\nThis is a MIME-encapsulated message.\n") <
	    strstr(text, delim));
}

static void
check_structure(const char *text)
{
	check_structure_cr(text, 0);
}

static void
python_check(const char *ctype, const char *action, const char *status,
    const char *envid, const char *orcpt, const char *diag)
{
	FILE	*fp;
	char	*cmd;
	int	 rv;

	if (access("/usr/bin/python3", X_OK) == -1) {
		printf("python3 missing: MIME check by Python skipped\n");
		return;
	}
	ATF_REQUIRE((fp = fopen("checker.py", "w")) != NULL);
	ATF_REQUIRE(fputs(checker, fp) != EOF);
	ATF_REQUIRE(fclose(fp) == 0);
	ATF_REQUIRE(asprintf(&cmd, "/usr/bin/python3 checker.py bounce "
	    "'%s' '%s' '%s' '%s' '%s' '%s' orig", ctype, action, status,
	    envid, orcpt, diag) > 0);
	rv = system(cmd);
	free(cmd);
	ATF_CHECK_MSG(rv != -1 && WIFEXITED(rv) && WEXITSTATUS(rv) == 0,
	    "the Python MIME check failed");
}

ATF_TC_WITHOUT_HEAD(failed_headers);
ATF_TC_BODY(failed_headers, tc)
{
	struct envelope	 evp;
	char		*b;

	fill(&evp);
	b = make_bounce(&evp, BOUNCE_FAILED, orig_7bit, strlen(orig_7bit));
	check_structure(b);
	CHECK_LINE(b, "From: Mailer Daemon <MAILER-DAEMON@mx.example.org>");
	CHECK_LINE(b, "To: <bob@example.org>");
	CHECK_LINE(b, "Subject: Delivery status notification: failed");
	CHECK_LINE(b, "Date: Tue, 14 Nov 2023 22:13:20 +0000");
	CHECK_LINE(b, "MIME-Version: 1.0");
	CHECK_LINE(b, "Auto-Submitted: auto-replied");
	CHECK_LINE(b, "Content-Type: multipart/report; "
	    "report-type=delivery-status;");
	CHECK_LINE(b, "Content-Transfer-Encoding: 7bit");
	CHECK_LINE(b, "Content-Type: text/plain; charset=us-ascii");
	CHECK_LINE(b, "Content-Type: message/delivery-status");
	CHECK_LINE(b, "Content-Type: text/rfc822-headers");
	CHECK_LINE(b, "Reporting-MTA: dns; mx.example.org");
	CHECK_LINE(b, "Arrival-Date: Tue, 14 Nov 2023 21:13:20 +0000");
	CHECK_LINE(b, "Final-Recipient: rfc822; alice@example.net");
	CHECK_LINE(b, "Action: failed");
	CHECK_LINE(b, "Status: 5.1.1");
	CHECK_LINE(b, "Diagnostic-Code: smtp; 550 5.1.1 <alice@example.net>: "
	    "no such user");
	CHECK_LINE(b, "Last-Attempt-Date: Tue, 14 Nov 2023 22:12:20 +0000");
	CHECK_LINE(b, "    alice@example.net: 550 5.1.1 <alice@example.net>: "
	    "no such user");
	CHECK_NO(b, "Original-Envelope-Id:");
	CHECK_NO(b, "Original-Recipient:");
	CHECK_NO(b, "Will-Retry-Until:");
	CHECK_NO(b, "Body line");
	CHECK_NO(b, "message/rfc822");
	ATF_CHECK(strstr(b, "Message-ID: <1@example.org>\n") != NULL);
	python_check("text/rfc822-headers", "failed", "5.1.1", "", "",
	    "smtp; 550 5.1.1 <alice@example.net>: no such user");
	free(b);
}

ATF_TC_WITHOUT_HEAD(failed_full);
ATF_TC_BODY(failed_full, tc)
{
	struct envelope	 evp;
	char		*b;

	fill(&evp);
	evp.evp_dsn_ret = DSN_RET_FULL;
	(void)strlcpy(evp.evp_dsn_envid, "QQ314159", sizeof(evp.evp_dsn_envid));
	(void)strlcpy(evp.evp_dsn_orcpt, "rfc822;Alice+2B@example.net",
	    sizeof(evp.evp_dsn_orcpt));
	(void)strlcpy(evp.evp_dest.ma_user, "alice.smith",
	    sizeof(evp.evp_dest.ma_user));
	b = make_bounce(&evp, BOUNCE_FAILED, orig_7bit, strlen(orig_7bit));
	check_structure(b);
	CHECK_LINE(b, "Content-Type: message/rfc822");
	CHECK_LINE(b, "Original-Envelope-Id: QQ314159");
	CHECK_LINE(b, "Original-Recipient: rfc822;Alice+2B@example.net");
	CHECK_LINE(b, "Final-Recipient: rfc822; alice.smith@example.net");
	/* The whole original, byte for byte. */
	ATF_CHECK(strstr(b, orig_7bit) != NULL);
	CHECK_NO(b, "text/rfc822-headers");
	python_check("message/rfc822", "failed", "5.1.1", "QQ314159",
	    "rfc822;Alice+2B@example.net",
	    "smtp; 550 5.1.1 <alice@example.net>: no such user");
	free(b);
}

ATF_TC_WITHOUT_HEAD(delayed_hdrs);
ATF_TC_BODY(delayed_hdrs, tc)
{
	struct envelope	 evp;
	char		*b;

	fill(&evp);
	evp.evp_dsn_ret = DSN_RET_HDRS;
	(void)strlcpy(evp.evp_errorline, "Connection refused",
	    sizeof(evp.evp_errorline));
	b = make_bounce(&evp, BOUNCE_DELAYED, orig_7bit, strlen(orig_7bit));
	check_structure(b);
	CHECK_LINE(b, "Subject: Delivery status notification: delayed");
	CHECK_LINE(b, "Action: delayed");
	CHECK_LINE(b, "Status: 4.0.0");
	CHECK_LINE(b, "Will-Retry-Until: Wed, 15 Nov 2023 22:13:20 +0000");
	CHECK_LINE(b, "Content-Type: text/rfc822-headers");
	CHECK_NO(b, "Body line");
	python_check("text/rfc822-headers", "delayed", "4.0.0", "", "",
	    "smtp; Connection refused");
	free(b);
}

ATF_TC_WITHOUT_HEAD(status_codes);
ATF_TC_BODY(status_codes, tc)
{
	static const struct {
		const char	*line;
		int		 kind;
		const char	*status;
	} t[] = {
		{ "4.4.7 Envelope expired", BOUNCE_FAILED, "4.4.7" },
		{ "550 5.7.1 Relaying denied", BOUNCE_FAILED, "5.7.1" },
		{ "550-5.2.2 mailbox full", BOUNCE_FAILED, "5.2.2" },
		{ "451 4.3.0 try again", BOUNCE_DELAYED, "4.3.0" },
		{ "5.1.10 weird but valid", BOUNCE_FAILED, "5.1.10" },
		{ "550 no enhanced code", BOUNCE_FAILED, "5.0.0" },
		{ "2.0.0 not a failure", BOUNCE_FAILED, "5.0.0" },
		{ "5.1 short", BOUNCE_FAILED, "5.0.0" },
		{ "5.1.1000 long", BOUNCE_FAILED, "5.0.0" },
		{ "5.1.1x", BOUNCE_FAILED, "5.0.0" },
		{ "", BOUNCE_FAILED, "5.0.0" },
		{ "", BOUNCE_DELAYED, "4.0.0" },
	};
	struct envelope	 evp;
	char		*b, want[64];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fill(&evp);
		(void)strlcpy(evp.evp_errorline, t[i].line,
		    sizeof(evp.evp_errorline));
		b = make_bounce(&evp, t[i].kind, orig_7bit, strlen(orig_7bit));
		(void)snprintf(want, sizeof(want), "Status: %s", t[i].status);
		ATF_CHECK_MSG(has_line(b, want), "\"%s\": want %s", t[i].line,
		    want);
		if (t[i].line[0] == '\0')
			CHECK_NO(b, "Diagnostic-Code:");
		free(b);
	}
}

ATF_TC_WITHOUT_HEAD(eight_bit);
ATF_TC_BODY(eight_bit, tc)
{
	static const char orig[] =
	    "Subject: hello\n"
	    "X-Name: J\xc3\xb6rg\n"
	    "\n"
	    "Gr\xc3\xbc\xc3\x9f" "e\n";
	struct envelope	 evp;
	char		*b, *part3;

	/* 8-bit in the headers: the headers part is 8bit, and so is the
	 * whole message. */
	fill(&evp);
	b = make_bounce(&evp, BOUNCE_FAILED, orig, strlen(orig));
	check_structure(b);
	part3 = strstr(b, "Content-Type: text/rfc822-headers\n");
	ATF_REQUIRE(part3 != NULL);
	ATF_CHECK(strstr(part3, "Content-Transfer-Encoding: 8bit\n") != NULL);
	ATF_CHECK(strncmp(strstr(b, "Content-Transfer-Encoding:"),
	    "Content-Transfer-Encoding: 8bit\n", 32) == 0);
	ATF_CHECK(strstr(b, "X-Name: J\xc3\xb6rg\n") != NULL);
	python_check("text/rfc822-headers", "failed", "5.1.1", "", "",
	    "smtp; 550 5.1.1 <alice@example.net>: no such user");
	free(b);

	/* 8-bit only in the body: not included with the headers. */
	{
		static const char body8[] = "Subject: hello\n\nGr\xc3\xbc\n";

		b = make_bounce(&evp, BOUNCE_FAILED, body8, strlen(body8));
		CHECK_NO(b, "8bit");
		free(b);
		evp.evp_dsn_ret = DSN_RET_FULL;
		b = make_bounce(&evp, BOUNCE_FAILED, body8, strlen(body8));
		part3 = strstr(b, "Content-Type: message/rfc822\n");
		ATF_REQUIRE(part3 != NULL);
		ATF_CHECK(strstr(part3, "Content-Transfer-Encoding: 8bit\n") !=
		    NULL);
		free(b);
	}
}

ATF_TC_WITHOUT_HEAD(utf8_recipient);
ATF_TC_BODY(utf8_recipient, tc)
{
	struct envelope	 evp;
	char		*b;

	fill(&evp);
	(void)strlcpy(evp.evp_rcpt.ma_user, "j\xc3\xb6rg",
	    sizeof(evp.evp_rcpt.ma_user));
	(void)strlcpy(evp.evp_rcpt.ma_domain, "b\xc3\xbc" "cher.example",
	    sizeof(evp.evp_rcpt.ma_domain));
	evp.evp_dest = evp.evp_rcpt;
	b = make_bounce(&evp, BOUNCE_FAILED, orig_7bit, strlen(orig_7bit));
	check_structure(b);
	CHECK_LINE(b,
	    "Final-Recipient: utf-8; j\\x{F6}rg@b\\x{FC}cher.example");
	CHECK_LINE(b, "Content-Type: text/plain; charset=utf-8");
	ATF_CHECK(strstr(b, "    j\xc3\xb6rg@b\xc3\xbc" "cher.example: 550")
	    != NULL);
	free(b);
}

ATF_TC_WITHOUT_HEAD(odd_originals);
ATF_TC_BODY(odd_originals, tc)
{
	static const char crlf[] = "Subject: hello\r\nX: y\r\n\r\nbody\r\n";
	static const char nohdrend[] = "Subject: hello\nX: y";
	static const char nul[] = "Subject: a\0b\n\nbody\n";
	struct envelope	 evp;
	char		*b;

	fill(&evp);
	/* A CRLF original: the header section still ends at its empty
	 * line. */
	b = make_bounce(&evp, BOUNCE_FAILED, crlf, strlen(crlf));
	check_structure_cr(b, 1);
	ATF_CHECK(strstr(b, "X: y\r\n") != NULL);
	CHECK_NO(b, "body");
	free(b);

	/* No empty line and no final newline: all of it, newline added. */
	b = make_bounce(&evp, BOUNCE_FAILED, nohdrend, strlen(nohdrend));
	check_structure(b);
	ATF_CHECK(strstr(b, "Subject: hello\nX: y\n\n--") != NULL);
	free(b);

	/* An empty original. */
	b = make_bounce(&evp, BOUNCE_FAILED, "", 0);
	check_structure(b);
	free(b);

	/* A NUL byte is copied, not a reason to stop. */
	{
		FILE	*in, *out;
		char	 buf[16384];
		size_t	 n;

		ATF_REQUIRE((in = fopen("orig", "w+")) != NULL);
		ATF_REQUIRE_EQ(fwrite(nul, 1, sizeof(nul) - 1, in),
		    sizeof(nul) - 1);
		rewind(in);
		ATF_REQUIRE((out = fopen("bounce", "w+")) != NULL);
		ATF_REQUIRE_EQ(bounce_write(out, &evp, BOUNCE_FAILED, in,
		    "mx.example.org", NOW), 0);
		rewind(out);
		n = fread(buf, 1, sizeof(buf), out);
		ATF_CHECK(memmem(buf, n, "Subject: a\0b\n", 13) != NULL);
		ATF_CHECK(memmem(buf, n, "body", 4) == NULL);
		fclose(in);
		fclose(out);
	}
}

ATF_TC_WITHOUT_HEAD(hostile_fields);
ATF_TC_BODY(hostile_fields, tc)
{
	struct envelope	 evp;
	char		*b;

	/* Nothing from the envelope can add a header or report line. */
	fill(&evp);
	(void)strlcpy(evp.evp_errorline, "550 5.0.0 a\x01" "b\x1b" "c \xff",
	    sizeof(evp.evp_errorline));
	(void)strlcpy(evp.evp_dsn_envid, "x\x7fy", sizeof(evp.evp_dsn_envid));
	b = make_bounce(&evp, BOUNCE_FAILED, orig_7bit, strlen(orig_7bit));
	CHECK_LINE(b, "Diagnostic-Code: smtp; 550 5.0.0 a?b?c ?");
	CHECK_LINE(b, "Original-Envelope-Id: x?y");
	CHECK_NO(b, "\x1b");
	free(b);
}

ATF_TC_WITHOUT_HEAD(refusals);
ATF_TC_BODY(refusals, tc)
{
	struct envelope	 evp;
	FILE		*in, *out;

	ATF_REQUIRE((in = tmpfile()) != NULL);
	ATF_REQUIRE((out = tmpfile()) != NULL);
	fill(&evp);
	memset(&evp.evp_sender, 0, sizeof(evp.evp_sender));
	ATF_CHECK_EQ(bounce_write(out, &evp, BOUNCE_FAILED, in, "mx", NOW),
	    -1);
	ATF_CHECK_EQ(errno, EINVAL);
	fill(&evp);
	ATF_CHECK_EQ(bounce_write(out, &evp, 7, in, "mx", NOW), -1);
	ATF_CHECK_EQ(ftell(out), 0);
	fclose(in);
	fclose(out);

	/* A write error is reported. */
	ATF_REQUIRE((in = tmpfile()) != NULL);
	ATF_REQUIRE((out = fopen("/dev/full", "w")) != NULL);
	ATF_CHECK_EQ(bounce_write(out, &evp, BOUNCE_FAILED, in, "mx", NOW),
	    -1);
	fclose(in);
	fclose(out);
}

ATF_TC_WITHOUT_HEAD(locale_independent);
ATF_TC_BODY(locale_independent, tc)
{
	struct envelope	 evp;
	char		*b;

	/* Day and month names stay English whatever the locale. */
	if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL &&
	    setlocale(LC_ALL, "fr_FR.UTF-8") == NULL)
		printf("no other locale installed; checking in C only\n");
	fill(&evp);
	b = make_bounce(&evp, BOUNCE_FAILED, orig_7bit, strlen(orig_7bit));
	CHECK_LINE(b, "Date: Tue, 14 Nov 2023 22:13:20 +0000");
	free(b);
	(void)setlocale(LC_ALL, "C");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, failed_headers);
	ATF_TP_ADD_TC(tp, failed_full);
	ATF_TP_ADD_TC(tp, delayed_hdrs);
	ATF_TP_ADD_TC(tp, status_codes);
	ATF_TP_ADD_TC(tp, eight_bit);
	ATF_TP_ADD_TC(tp, utf8_recipient);
	ATF_TP_ADD_TC(tp, odd_originals);
	ATF_TP_ADD_TC(tp, hostile_fields);
	ATF_TP_ADD_TC(tp, refusals);
	ATF_TP_ADD_TC(tp, locale_independent);
	return atf_no_error();
}
