/*
 * Unit tests for the envelope text format (src/lib/envelope.c): a fully
 * populated envelope round trips (UTF-8 and quoted addresses included),
 * the writer refuses what it must not write (CR, LF, NUL, overlong
 * fields, unknown enums), and the reader refuses every damaged or forged
 * file: injected lines, duplicate keys, truncation, huge values, unknown
 * keys, bad numbers, bad words, missing keys.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "envelope.h"
#include "smtp_parse.h"

static void
fill(struct envelope *evp)
{
	memset(evp, 0, sizeof(*evp));
	evp->evp_id = 0x1234abcd00c0ffeeULL;
	evp->evp_type = EVP_MDA;
	evp->evp_flags = EF_ALL;
	(void)strlcpy(evp->evp_tag, "INBOUND", sizeof(evp->evp_tag));
	(void)strlcpy(evp->evp_smtpname, "mx.example.org",
	    sizeof(evp->evp_smtpname));
	(void)strlcpy(evp->evp_helo, "client.example.net",
	    sizeof(evp->evp_helo));
	(void)strlcpy(evp->evp_hostname, "host.example.net",
	    sizeof(evp->evp_hostname));
	(void)strlcpy(evp->evp_src, "2001:db8::1", sizeof(evp->evp_src));
	(void)strlcpy(evp->evp_auth, "bob", sizeof(evp->evp_auth));
	(void)strlcpy(evp->evp_sender.ma_user, "john doe",
	    sizeof(evp->evp_sender.ma_user));
	(void)strlcpy(evp->evp_sender.ma_domain, "example.net",
	    sizeof(evp->evp_sender.ma_domain));
	(void)strlcpy(evp->evp_rcpt.ma_user, "j\xc3\xb6rg",
	    sizeof(evp->evp_rcpt.ma_user));
	(void)strlcpy(evp->evp_rcpt.ma_domain, "b\xc3\xbc" "cher.example",
	    sizeof(evp->evp_rcpt.ma_domain));
	(void)strlcpy(evp->evp_dest.ma_user, "joerg",
	    sizeof(evp->evp_dest.ma_user));
	(void)strlcpy(evp->evp_dest.ma_domain, "example.org",
	    sizeof(evp->evp_dest.ma_domain));
	(void)strlcpy(evp->evp_dispatcher, "local_mail",
	    sizeof(evp->evp_dispatcher));
	evp->evp_method = EVP_M_MDA;
	(void)strlcpy(evp->evp_user, "joerg", sizeof(evp->evp_user));
	evp->evp_uid = 1000;
	evp->evp_gid = 4294967294U;
	(void)strlcpy(evp->evp_home, "/home/joerg", sizeof(evp->evp_home));
	(void)strlcpy(evp->evp_mda_arg, "/usr/bin/procmail -f \"%{sender}\"",
	    sizeof(evp->evp_mda_arg));
	(void)strlcpy(evp->evp_relay, "", sizeof(evp->evp_relay));
	evp->evp_dsn_notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE |
	    DSN_NOTIFY_DELAY;
	evp->evp_dsn_ret = DSN_RET_HDRS;
	(void)strlcpy(evp->evp_dsn_envid, "QQ314159+2B",
	    sizeof(evp->evp_dsn_envid));
	(void)strlcpy(evp->evp_dsn_orcpt, "rfc822;joerg@example.org",
	    sizeof(evp->evp_dsn_orcpt));
	evp->evp_creation = 1700000000;
	evp->evp_expire = 1700345600;
	evp->evp_lasttry = 1700000600;
	evp->evp_retry = 4294967295U;
	(void)strlcpy(evp->evp_errorline, "421 4.3.0 Temporary: a: b: c",
	    sizeof(evp->evp_errorline));
}

static int
dump(const struct envelope *evp, char *buf, size_t len)
{
	return envelope_dump(evp, buf, len);
}

/* Load must fail; the reason must mention what. */
static void
load_bad(const char *text, size_t len, const char *what)
{
	struct envelope	 evp;
	const char	*errstr = NULL;

	memset(&evp, 0x5a, sizeof(evp));
	if (envelope_load(&evp, text, len, &errstr) != -1)
		atf_tc_fail("loaded: %.*s", (int)len, text);
	ATF_REQUIRE(errstr != NULL);
	if (what != NULL)
		ATF_CHECK_MSG(strstr(errstr, what) != NULL,
		    "error \"%s\" does not mention \"%s\"", errstr, what);
	/* A refused file leaves nothing half-read behind. */
	ATF_CHECK_EQ(evp.evp_id, 0);
	ATF_CHECK_EQ(evp.evp_rcpt.ma_user[0], '\0');
}

static void
load_bad_str(const char *text, const char *what)
{
	load_bad(text, strlen(text), what);
}

/* The text of a good envelope with the line for key replaced by line
 * (NULL: removed). */
static void
edit(const char *text, const char *key, const char *line, char *out,
    size_t outlen)
{
	const char	*p, *eol;
	size_t		 klen = strlen(key);

	out[0] = '\0';
	for (p = text; *p != '\0'; p = eol + 1) {
		eol = strchr(p, '\n');
		ATF_REQUIRE(eol != NULL);
		if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == ':') {
			if (line != NULL) {
				(void)strlcat(out, line, outlen);
				(void)strlcat(out, "\n", outlen);
			}
			continue;
		}
		ATF_REQUIRE(strlen(out) + (eol - p) + 2 < outlen);
		strncat(out, p, eol - p + 1);
	}
}

static const char good_text[] =
    "version: 1\n"
    "id: 1234abcd00c0ffee\n"
    "type: mda\n"
    "flags: authenticated bounce smtputf8 8bitmime tls local junk rcpt-to\n"
    "tag: INBOUND\n"
    "smtpname: mx.example.org\n"
    "helo: client.example.net\n"
    "hostname: host.example.net\n"
    "src: 2001:db8::1\n"
    "auth: bob\n"
    "sender: \"john doe\"@example.net\n"
    "rcpt: j\xc3\xb6rg@b\xc3\xbc" "cher.example\n"
    "dest: joerg@example.org\n"
    "dispatcher: local_mail\n"
    "method: mda\n"
    "user: joerg\n"
    "uid: 1000\n"
    "gid: 4294967294\n"
    "home: /home/joerg\n"
    "mda-arg: /usr/bin/procmail -f \"%{sender}\"\n"
    "relay: \n"
    "dsn-notify: success,failure,delay\n"
    "dsn-ret: hdrs\n"
    "dsn-envid: QQ314159+2B\n"
    "dsn-orcpt: rfc822;joerg@example.org\n"
    "creation: 1700000000\n"
    "expire: 1700345600\n"
    "lasttry: 1700000600\n"
    "retry: 4294967295\n"
    "errorline: 421 4.3.0 Temporary: a: b: c\n";

ATF_TC_WITHOUT_HEAD(round_trip);
ATF_TC_BODY(round_trip, tc)
{
	struct envelope	 a, b;
	char		 buf[ENVELOPE_TEXT_MAX], buf2[ENVELOPE_TEXT_MAX];
	const char	*errstr;
	int		 n;

	fill(&a);
	n = dump(&a, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ((size_t)n, strlen(buf));
	ATF_CHECK_STREQ(buf, good_text);
	if (envelope_load(&b, buf, n, &errstr) == -1)
		atf_tc_fail("load: %s", errstr);
	ATF_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	ATF_CHECK_EQ(dump(&b, buf2, sizeof(buf2)), n);
	ATF_CHECK_STREQ(buf, buf2);

	/* The buffer must hold the text and its NUL. */
	ATF_CHECK_EQ(dump(&a, buf2, n), -1);
	ATF_CHECK_STREQ(buf2, "");
	ATF_CHECK_EQ(dump(&a, buf2, n + 1), n);
}

ATF_TC_WITHOUT_HEAD(minimal);
ATF_TC_BODY(minimal, tc)
{
	struct envelope	 a, b;
	char		 buf[ENVELOPE_TEXT_MAX];
	const char	*errstr;
	const char	*text =
	    "rcpt: postmaster\n"
	    "dest: \n"
	    "expire: 0\n"
	    "sender: \n"
	    "version: 1\n"
	    "method: none\n"
	    "creation: 0\n"
	    "type: none\n"
	    "id: 0000000000000000\n";
	int		 n;

	/* Any order, optional keys left out, null sender, empty dest. */
	if (envelope_load(&a, text, strlen(text), &errstr) == -1)
		atf_tc_fail("load: %s", errstr);
	ATF_CHECK_EQ(a.evp_id, 0);
	ATF_CHECK_EQ(a.evp_type, 0);
	ATF_CHECK(mailaddr_is_null(&a.evp_sender));
	ATF_CHECK_STREQ(a.evp_rcpt.ma_user, "postmaster");
	ATF_CHECK_STREQ(a.evp_rcpt.ma_domain, "");
	ATF_CHECK_EQ(a.evp_dsn_notify, 0);
	ATF_CHECK_EQ(a.evp_dsn_ret, DSN_RET_NONE);

	/* Written back in full, in the fixed order. */
	n = dump(&a, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK(strncmp(buf, "version: 1\nid: 0000000000000000\n"
	    "type: none\nflags: \n", 50) == 0);
	ATF_CHECK(strstr(buf, "\nsender: \nrcpt: postmaster\ndest: \n") !=
	    NULL);
	ATF_CHECK(strstr(buf, "\ndsn-notify: \ndsn-ret: \n") != NULL);
	if (envelope_load(&b, buf, n, &errstr) == -1)
		atf_tc_fail("reload: %s", errstr);
	ATF_CHECK(memcmp(&a, &b, sizeof(a)) == 0);

	/* "never" alone. */
	a.evp_dsn_notify = DSN_NOTIFY_NEVER;
	a.evp_dsn_ret = DSN_RET_FULL;
	ATF_REQUIRE((n = dump(&a, buf, sizeof(buf))) > 0);
	ATF_CHECK(strstr(buf, "\ndsn-notify: never\ndsn-ret: full\n") !=
	    NULL);
	ATF_REQUIRE(envelope_load(&b, buf, n, &errstr) == 0);
	ATF_CHECK_EQ(b.evp_dsn_notify, DSN_NOTIFY_NEVER);
}

ATF_TC_WITHOUT_HEAD(dump_refuses);
ATF_TC_BODY(dump_refuses, tc)
{
	struct envelope	 a;
	char		 buf[ENVELOPE_TEXT_MAX];

	/* CR, LF in any text field: the CVE-2020-8794 injection. */
	fill(&a);
	(void)strlcpy(a.evp_helo, "x\nmda-arg: /bin/sh", sizeof(a.evp_helo));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	ATF_CHECK_STREQ(buf, "");
	fill(&a);
	(void)strlcpy(a.evp_errorline, "550 x\r", sizeof(a.evp_errorline));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	(void)strlcpy(a.evp_dsn_envid, "\n", sizeof(a.evp_dsn_envid));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	(void)strlcpy(a.evp_sender.ma_user, "a\nb",
	    sizeof(a.evp_sender.ma_user));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);

	/* A field without its NUL: too long for it. */
	fill(&a);
	memset(a.evp_tag, 'x', sizeof(a.evp_tag));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	memset(a.evp_rcpt.ma_domain, 'x', sizeof(a.evp_rcpt.ma_domain));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);

	/* Unknown enums and flags. */
	fill(&a);
	a.evp_type = 3;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_method = 42;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_flags = 0x100;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_dsn_ret = 3;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_dsn_notify = 0x10;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_dsn_notify = DSN_NOTIFY_NEVER | DSN_NOTIFY_DELAY;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);

	/* Semantics: ids, root, relays with a local method, times. */
	fill(&a);
	a.evp_id = 0x00000000ffffffffULL;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_id = 0x1234567800000000ULL;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_uid = 0;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_uid = (uid_t)-1;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_type = EVP_MTA;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	a.evp_method = EVP_M_NONE;
	ATF_CHECK(dump(&a, buf, sizeof(buf)) > 0);
	fill(&a);
	a.evp_creation = -1;
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);

	/* Addresses: an empty recipient, a domain without a user, one
	 * that would not read back. */
	fill(&a);
	memset(&a.evp_rcpt, 0, sizeof(a.evp_rcpt));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	a.evp_dest.ma_user[0] = '\0';
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);
	fill(&a);
	(void)strlcpy(a.evp_dest.ma_domain, "bad domain",
	    sizeof(a.evp_dest.ma_domain));
	ATF_CHECK_EQ(dump(&a, buf, sizeof(buf)), -1);

	/* Too small a buffer. */
	fill(&a);
	ATF_CHECK_EQ(dump(&a, buf, 100), -1);
	ATF_CHECK_EQ(dump(&a, buf, 1), -1);
}

ATF_TC_WITHOUT_HEAD(load_structure);
ATF_TC_BODY(load_structure, tc)
{
	char	 buf[2 * ENVELOPE_TEXT_MAX];
	size_t	 n = strlen(good_text);

	/* The reference text itself loads. */
	{
		struct envelope	 evp;
		const char	*errstr;

		if (envelope_load(&evp, good_text, n, &errstr) == -1)
			atf_tc_fail("load: %s", errstr);
	}

	/* Truncated anywhere: no final newline, or a missing key. */
	load_bad(good_text, n - 1, "newline");
	load_bad(good_text, n / 2, NULL);
	load_bad(good_text, 0, "empty");
	{
		size_t	cut;
		const char *p;

		/* Cut after each complete line: some required key is
		 * missing, unless only optional trailing keys are lost. */
		for (p = good_text; (p = strchr(p, '\n')) != NULL; p++) {
			cut = p + 1 - good_text;
			if (cut < strlen(good_text) &&
			    cut <= (size_t)(strstr(good_text, "expire:") -
			    good_text))
				load_bad(good_text, cut, "missing");
		}
	}

	/* Duplicated line: the injection OpenSMTPD fell to. */
	(void)snprintf(buf, sizeof(buf), "%smda-arg: /bin/sh -c evil\n",
	    good_text);
	load_bad_str(buf, "mda-arg: given twice");
	(void)snprintf(buf, sizeof(buf), "%sversion: 1\n", good_text);
	load_bad_str(buf, "given twice");

	/* Unknown key, bad line shapes. */
	(void)snprintf(buf, sizeof(buf), "%sx-new-field: 1\n", good_text);
	load_bad_str(buf, "unknown key");
	(void)snprintf(buf, sizeof(buf), "%s\n", good_text);
	load_bad_str(buf, "key: value");
	(void)snprintf(buf, sizeof(buf), "%sno colon here\n", good_text);
	load_bad_str(buf, "key: value");
	edit(good_text, "retry", "retry:5", buf, sizeof(buf));
	load_bad_str(buf, "key: value");
	edit(good_text, "retry", "Retry: 5", buf, sizeof(buf));
	load_bad_str(buf, "unknown key");
	edit(good_text, "retry", " retry: 5", buf, sizeof(buf));
	load_bad_str(buf, "unknown key");
	edit(good_text, "helo", "helo: a\rb", buf, sizeof(buf));
	load_bad_str(buf, "helo: invalid");

	/* NUL inside the text. */
	memcpy(buf, good_text, n);
	buf[20] = '\0';
	load_bad(buf, n, NULL);

	/* A CRLF file is not an envelope. */
	edit(good_text, "retry", "retry: 5\r", buf, sizeof(buf));
	load_bad_str(buf, "retry: invalid");

	/* Bytes after the last line, without a newline. */
	(void)snprintf(buf, sizeof(buf), "%sretry", good_text);
	load_bad_str(buf, "newline");

	/* Over the size limit. */
	memset(buf, 'a', sizeof(buf));
	load_bad(buf, ENVELOPE_TEXT_MAX + 1, "too long");
}

/* Replace one line of good_text and expect a refusal naming the key. */
static void
bad_value(const char *key, const char *line)
{
	char	buf[2 * ENVELOPE_TEXT_MAX];
	char	what[64];

	edit(good_text, key, line, buf, sizeof(buf));
	(void)snprintf(what, sizeof(what), "%s: ", key);
	load_bad_str(buf, what);
}

static void
good_value(const char *key, const char *line)
{
	struct envelope	 evp;
	char		 buf[2 * ENVELOPE_TEXT_MAX];
	const char	*errstr;

	edit(good_text, key, line, buf, sizeof(buf));
	if (envelope_load(&evp, buf, strlen(buf), &errstr) == -1)
		atf_tc_fail("%s refused: %s", line, errstr);
}

ATF_TC_WITHOUT_HEAD(load_values);
ATF_TC_BODY(load_values, tc)
{
	char	 line[4 * ENVELOPE_TEXT_MAX];

	bad_value("version", "version: 2");
	bad_value("version", "version: 01x");
	bad_value("id", "id: 1234abcd00c0ffe");
	bad_value("id", "id: 1234abcd00c0ffee0");
	bad_value("id", "id: 1234abcd00c0ffeg");
	bad_value("id", "id: -234abcd00c0ffee");
	bad_value("id", "id: 00000000ffffffff");
	bad_value("id", "id: ffffffff00000000");
	good_value("id", "id: 1234ABCD00C0FFEE");
	bad_value("type", "type: MDA");
	bad_value("type", "type: smtp");
	bad_value("type", "type: ");
	bad_value("flags", "flags: tls tls");
	bad_value("flags", "flags: tls  local");
	bad_value("flags", "flags: tls ");
	bad_value("flags", "flags: secure");
	good_value("flags", "flags: local tls");
	bad_value("method", "method: smtp");
	bad_value("uid", "uid: 0");		/* local delivery as root */
	bad_value("uid", "uid: 4294967295");
	bad_value("uid", "uid: 99999999999999999999999");
	bad_value("uid", "uid: -1");
	bad_value("uid", "uid: +5");
	bad_value("uid", "uid:  5");
	bad_value("uid", "uid: 5 ");
	bad_value("uid", "uid: ");
	bad_value("gid", "gid: 0x10");
	good_value("gid", "gid: 0");
	bad_value("creation", "creation: 1e9");
	bad_value("creation", "creation: 18446744073709551616");
	bad_value("creation", "creation: 9223372036854775807");
	bad_value("expire", "expire: ");
	bad_value("retry", "retry: 4294967296");
	bad_value("dsn-notify", "dsn-notify: never,delay");
	bad_value("dsn-notify", "dsn-notify: success,success");
	bad_value("dsn-notify", "dsn-notify: success,");
	bad_value("dsn-notify", "dsn-notify: sometimes");
	good_value("dsn-notify", "dsn-notify: delay,success");
	bad_value("dsn-ret", "dsn-ret: FULL");
	bad_value("dsn-ret", "dsn-ret: headers");

	/* Addresses must parse. */
	bad_value("sender", "sender: <bob@example.org>");
	bad_value("sender", "sender: bob@");
	bad_value("sender", "sender: @example.org");
	bad_value("sender", "sender: bob@exa mple.org");
	bad_value("rcpt", "rcpt: ");
	bad_value("dest", "dest: a@b@c");
	good_value("dest", "dest: \"a@b\"@c.example");

	/* Values too long for their field. */
	(void)snprintf(line, sizeof(line), "tag: %0*d", CONF_MAX_TAG + 1, 0);
	bad_value("tag", line);
	(void)snprintf(line, sizeof(line), "tag: %0*d", CONF_MAX_TAG, 0);
	good_value("tag", line);
	(void)snprintf(line, sizeof(line), "src: %064d", 0);
	bad_value("src", line);
	(void)snprintf(line, sizeof(line), "errorline: %0*d",
	    ENVELOPE_ERRORLINE_MAX + 1, 0);
	bad_value("errorline", line);
	(void)snprintf(line, sizeof(line), "dsn-envid: %0*d",
	    SMTP_DSN_ENVID_MAX + 1, 0);
	bad_value("dsn-envid", line);
	(void)snprintf(line, sizeof(line), "rcpt: %0*d@example.org",
	    SMTP_LOCALPART_MAX + 1, 0);
	bad_value("rcpt", line);
	(void)snprintf(line, sizeof(line), "mda-arg: %0*d",
	    ENVELOPE_ARG_MAX + 1, 0);
	bad_value("mda-arg", line);
}

ATF_TC_WITHOUT_HEAD(names);
ATF_TC_BODY(names, tc)
{
	ATF_CHECK_STREQ(envelope_method_name(EVP_M_MAILDIR), "maildir");
	ATF_CHECK_STREQ(envelope_method_name(EVP_M_PIPE), "pipe");
	ATF_CHECK_STREQ(envelope_method_name((enum evp_method)99), "unknown");
	ATF_CHECK_STREQ(envelope_type_name(EVP_MTA), "mta");
	ATF_CHECK_STREQ(envelope_type_name((enum evp_type)7), "unknown");
}

ATF_TC_WITHOUT_HEAD(ids);
ATF_TC_BODY(ids, tc)
{
	uint32_t	msgid, prev = 0;
	uint64_t	evpid;
	int		i, same = 0;

	for (i = 0; i < 1000; i++) {
		msgid = envelope_new_msgid();
		ATF_REQUIRE(msgid != 0);
		evpid = envelope_new_evpid(msgid);
		ATF_REQUIRE_EQ(evpid_to_msgid(evpid), msgid);
		ATF_REQUIRE((uint32_t)evpid != 0);
		if (msgid == prev)
			same++;
		prev = msgid;
	}
	ATF_CHECK(same < 2);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, round_trip);
	ATF_TP_ADD_TC(tp, minimal);
	ATF_TP_ADD_TC(tp, dump_refuses);
	ATF_TP_ADD_TC(tp, load_structure);
	ATF_TP_ADD_TC(tp, load_values);
	ATF_TP_ADD_TC(tp, names);
	ATF_TP_ADD_TC(tp, ids);
	return atf_no_error();
}
