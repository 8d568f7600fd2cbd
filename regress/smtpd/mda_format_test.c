/*
 * Unit tests of format specifier expansion (mda_format.c) and of how
 * mda judges a finished delivery (mda_result.c).  The shell-quoting
 * cases run the expanded command with /bin/sh and check that a hostile
 * value comes out as one literal word, whatever quoting context of the
 * template it lands in.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "envelope.h"
#include "mda_internal.h"

static void
mkevp(struct envelope *evp)
{
	memset(evp, 0, sizeof(*evp));
	evp->evp_type = EVP_MDA;
	(void)strlcpy(evp->evp_sender.ma_user, "Alice", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp->evp_sender.ma_domain, "example.org",
	    SMTP_DOMAIN_MAX);
	(void)strlcpy(evp->evp_rcpt.ma_user, "bob+tag", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp->evp_rcpt.ma_domain, "example.net", SMTP_DOMAIN_MAX);
	(void)strlcpy(evp->evp_dest.ma_user, "Bob", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp->evp_dest.ma_domain, "example.net", SMTP_DOMAIN_MAX);
	(void)strlcpy(evp->evp_user, "bob", sizeof(evp->evp_user));
	(void)strlcpy(evp->evp_home, "/home/bob", sizeof(evp->evp_home));
}

static const char *
expand(const struct envelope *evp, const char *fmt, int flags)
{
	static char	buf[8192];
	char		err[256];

	if (mda_format(buf, sizeof(buf), fmt, evp, '+', flags, err,
	    sizeof(err)) == -1)
		return NULL;
	return buf;
}

ATF_TC_WITHOUT_HEAD(tokens);
ATF_TC_BODY(tokens, tc)
{
	struct envelope	evp;

	mkevp(&evp);
	ATF_CHECK_STREQ(expand(&evp, "%{sender}", 0), "Alice@example.org");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.user}", 0), "Alice");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain}", 0), "example.org");
	ATF_CHECK_STREQ(expand(&evp, "%{rcpt}", 0), "bob+tag@example.net");
	ATF_CHECK_STREQ(expand(&evp, "%{rcpt.user:strip}", 0), "bob");
	ATF_CHECK_STREQ(expand(&evp, "%{rcpt:strip}", 0), "bob@example.net");
	ATF_CHECK_STREQ(expand(&evp, "%{dest.user:lowercase}", 0), "bob");
	ATF_CHECK_STREQ(expand(&evp, "%{dest.domain:uppercase}", 0),
	    "EXAMPLE.NET");
	ATF_CHECK_STREQ(expand(&evp, "%{user.username}", 0), "bob");
	ATF_CHECK_STREQ(expand(&evp, "%{user.directory}/x", 0),
	    "/home/bob/x");
	ATF_CHECK_STREQ(expand(&evp, "%{mbox.from}", 0), "Alice@example.org");
	ATF_CHECK_STREQ(expand(&evp, "~/Maildir", 0), "/home/bob/Maildir");
	ATF_CHECK_STREQ(expand(&evp, "~", 0), "/home/bob");
	ATF_CHECK_STREQ(expand(&evp, "a~/b", 0), "a~/b");
	ATF_CHECK_STREQ(expand(&evp, "/m/%{rcpt.domain}/%{rcpt.user:strip}",
	    0), "/m/example.net/bob");
	ATF_CHECK_STREQ(expand(&evp, "100%", 0), "100%");

	/* ranges, inclusive, negative from the end */
	ATF_CHECK_STREQ(expand(&evp, "%{user.username[0]}", 0), "b");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain[-3:]}", 0), "org");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain[0:6]}", 0), "example");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain[0:-5]}", 0), "example");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain[8:]}", 0), "org");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.domain[50:]}", 0), "");
	ATF_CHECK_STREQ(expand(&evp, "%{sender.user[0:1]:lowercase}", 0),
	    "al");

	/* null sender */
	memset(&evp.evp_sender, 0, sizeof(evp.evp_sender));
	ATF_CHECK_STREQ(expand(&evp, "%{sender}", 0), "");
	ATF_CHECK_STREQ(expand(&evp, "%{mbox.from}", 0), "MAILER-DAEMON");

	/* errors */
	ATF_CHECK(expand(&evp, "%{nosuch}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender:bogus}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender[x]}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender[}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender[]}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender[1:2}", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{sender", 0) == NULL);
	ATF_CHECK(expand(&evp, "%{}", 0) == NULL);
}

ATF_TC_WITHOUT_HEAD(sanitise);
ATF_TC_BODY(sanitise, tc)
{
	struct envelope	evp;

	mkevp(&evp);
	(void)strlcpy(evp.evp_rcpt.ma_user, "a/../$x`y'|z", SMTP_LOCALPART_MAX);
	/* Without raw, OpenSMTPD's dangerous characters become ':'. */
	ATF_CHECK_STREQ(expand(&evp, "%{rcpt.user}", 0), "a:..::x:y::z");
	ATF_CHECK_STREQ(expand(&evp, "%{rcpt.user:raw}", 0), "a/../$x`y'|z");
	/* The home directory is the system's, kept as is. */
	(void)strlcpy(evp.evp_home, "/home/o'k", sizeof(evp.evp_home));
	ATF_CHECK_STREQ(expand(&evp, "%{user.directory}", 0), "/home/o'k");
}

/* Run sh -c "printf '%s|' <cmd words>" and return its output. */
static const char *
shell_output(const char *cmd)
{
	static char	out[8192];
	char		full[10000];
	FILE		*fp;
	size_t		 n;

	(void)snprintf(full, sizeof(full), "printf '[%%s]' %s", cmd);
	ATF_REQUIRE((fp = popen(full, "r")) != NULL);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	ATF_REQUIRE(pclose(fp) == 0);
	return out;
}

ATF_TC_WITHOUT_HEAD(shell_quoting);
ATF_TC_BODY(shell_quoting, tc)
{
	static const char	*hostile[] = {
		"plain",
		"it's",
		"''",
		"a b\tc",
		"$(touch /tmp/pwned-F)",
		"`touch /tmp/pwned-F`",
		"x;touch /tmp/pwned-F",
		"\"; touch /tmp/pwned-F; \"",
		"'\"$HOME\\",
		"line1\nline2",
		"*",
		"$((1+1))",
		"-n",
	};
	struct envelope	 evp;
	const char	*cmd;
	char		 want[1024];
	size_t		 i;

	mkevp(&evp);
	(void)unlink("/tmp/pwned-F");
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		(void)strlcpy(evp.evp_rcpt.ma_user, hostile[i],
		    SMTP_LOCALPART_MAX);
		(void)snprintf(want, sizeof(want), "[%s]", hostile[i]);

		/* unquoted */
		ATF_REQUIRE((cmd = expand(&evp, "%{rcpt.user:raw}",
		    MDA_FMT_SHELL)) != NULL);
		ATF_CHECK_STREQ_MSG(shell_output(cmd), want, "unquoted %s",
		    hostile[i]);
		/* inside single quotes */
		ATF_REQUIRE((cmd = expand(&evp, "'%{rcpt.user:raw}'",
		    MDA_FMT_SHELL)) != NULL);
		ATF_CHECK_STREQ_MSG(shell_output(cmd), want, "single %s",
		    hostile[i]);
		/* inside double quotes */
		ATF_REQUIRE((cmd = expand(&evp, "\"%{rcpt.user:raw}\"",
		    MDA_FMT_SHELL)) != NULL);
		ATF_CHECK_STREQ_MSG(shell_output(cmd), want, "double %s",
		    hostile[i]);
		/* glued to other text in each context */
		ATF_REQUIRE((cmd = expand(&evp, "a%{rcpt.user:raw}b "
		    "'c%{rcpt.user:raw}d' \"e\\\"%{rcpt.user:raw}f\"",
		    MDA_FMT_SHELL)) != NULL);
		(void)snprintf(want, sizeof(want), "[a%sb][c%sd][e\"%sf]",
		    hostile[i], hostile[i], hostile[i]);
		ATF_CHECK_STREQ_MSG(shell_output(cmd), want, "glued %s",
		    hostile[i]);
	}
	ATF_CHECK_MSG(access("/tmp/pwned-F", F_OK) == -1,
	    "a hostile value ran a command");

	/* Contexts the lexer cannot follow are refused. */
	ATF_CHECK(expand(&evp, "$(echo %{rcpt})", MDA_FMT_SHELL) == NULL);
	ATF_CHECK(expand(&evp, "\"$(echo %{rcpt})\"", MDA_FMT_SHELL) == NULL);
	ATF_CHECK(expand(&evp, "`echo` %{rcpt}", MDA_FMT_SHELL) == NULL);
	ATF_CHECK(expand(&evp, "${X:-%{rcpt}}", MDA_FMT_SHELL) == NULL);
	ATF_CHECK(expand(&evp, "cat <<E\n%{rcpt}\nE", MDA_FMT_SHELL) == NULL);
	/* ... but not when the construct is itself quoted. */
	ATF_CHECK(expand(&evp, "echo '$(x)' %{rcpt}", MDA_FMT_SHELL) != NULL);
	/* No ~ expansion in commands: the shell does that. */
	ATF_CHECK_STREQ(expand(&evp, "~/bin/x", MDA_FMT_SHELL), "~/bin/x");
}

ATF_TC_WITHOUT_HEAD(results);
ATF_TC_BODY(results, tc)
{
	char	line[DELIVER_MAX_STATUS];

#define ST(code)	((code) << 8)
#define S(s)		s, sizeof(s) - 1
	ATF_CHECK_EQ(mda_result(ST(0), "", 0, line, sizeof(line)), MDA_OK);
	ATF_CHECK_EQ(mda_result(ST(EX_TEMPFAIL), "", 0, line, sizeof(line)),
	    MDA_TEMPFAIL);
	ATF_CHECK_STREQ(line, "4.3.0 delivery exited with status 75");
	ATF_CHECK_EQ(mda_result(ST(EX_OSERR), S("x\n"), line, sizeof(line)),
	    MDA_TEMPFAIL);
	ATF_CHECK_STREQ(line, "4.3.0 x");
	ATF_CHECK_EQ(mda_result(ST(EX_IOERR), "", 0, line, sizeof(line)),
	    MDA_TEMPFAIL);
	ATF_CHECK_EQ(mda_result(ST(EX_CANTCREAT), "", 0, line, sizeof(line)),
	    MDA_PERMFAIL);
	ATF_CHECK_EQ(mda_result(ST(1), S("first\nno such user\n\n"), line,
	    sizeof(line)), MDA_PERMFAIL);
	ATF_CHECK_STREQ(line, "5.3.0 no such user");
	ATF_CHECK_EQ(mda_result(ST(EX_DATAERR), S("5.4.6 Loop detected\n"),
	    line, sizeof(line)), MDA_PERMFAIL);
	ATF_CHECK_STREQ(line, "5.4.6 Loop detected");
	/* killed by a signal: temporary */
	ATF_CHECK_EQ(mda_result(9, "", 0, line, sizeof(line)), MDA_TEMPFAIL);
	ATF_CHECK_STREQ(line, "4.3.0 delivery killed by signal 9");
	/* the class follows the result; LMTP reply codes are dropped */
	ATF_CHECK_EQ(mda_result(ST(75), S("5.2.2 full\n"), line,
	    sizeof(line)), MDA_TEMPFAIL);
	ATF_CHECK_STREQ(line, "4.2.2 full");
	ATF_CHECK_EQ(mda_result(ST(69), S("550 5.1.1 <x>: unknown"), line,
	    sizeof(line)), MDA_PERMFAIL);
	ATF_CHECK_STREQ(line, "5.1.1 <x>: unknown");
	/* control bytes and NULs never reach the log */
	ATF_CHECK_EQ(mda_result(ST(1), S("bad\r\x1b[2J\0x"), line,
	    sizeof(line)), MDA_PERMFAIL);
	ATF_CHECK_STREQ(line, "5.3.0 bad??[2J?x");
#undef ST
#undef S
}

ATF_TC_WITHOUT_HEAD(status_buffer);
ATF_TC_BODY(status_buffer, tc)
{
	char	buf[DELIVER_MAX_STATUS], big[DELIVER_MAX_STATUS * 3];
	size_t	len = 0;

	mda_status_append(buf, &len, "abc", 3);
	ATF_CHECK_EQ(len, 3);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 'E';
	mda_status_append(buf, &len, big, sizeof(big));
	ATF_CHECK_EQ(len, DELIVER_MAX_STATUS);
	ATF_CHECK_EQ(buf[DELIVER_MAX_STATUS - 1], 'E');
	mda_status_append(buf, &len, "\nlast", 5);
	ATF_CHECK_EQ(len, DELIVER_MAX_STATUS);
	ATF_CHECK(memcmp(buf + DELIVER_MAX_STATUS - 5, "\nlast", 5) == 0);
}

ATF_TC_WITHOUT_HEAD(duration);
ATF_TC_BODY(duration, tc)
{
	char	buf[64];

	mda_duration(buf, sizeof(buf), 0);
	ATF_CHECK_STREQ(buf, "0s");
	mda_duration(buf, sizeof(buf), 61);
	ATF_CHECK_STREQ(buf, "1m1s");
	mda_duration(buf, sizeof(buf), 90061);
	ATF_CHECK_STREQ(buf, "1d1h1m1s");
	mda_duration(buf, sizeof(buf), 3600);
	ATF_CHECK_STREQ(buf, "1h");
	mda_duration(buf, sizeof(buf), 8 * 86400 + 5);
	ATF_CHECK_STREQ(buf, "8d5s");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tokens);
	ATF_TP_ADD_TC(tp, sanitise);
	ATF_TP_ADD_TC(tp, shell_quoting);
	ATF_TP_ADD_TC(tp, results);
	ATF_TP_ADD_TC(tp, status_buffer);
	ATF_TP_ADD_TC(tp, duration);
	return atf_no_error();
}
