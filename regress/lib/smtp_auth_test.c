/*
 * Unit tests for AUTH decoding (src/lib/smtp_auth.c): strict base64 in
 * both directions, the PLAIN message split, the PLAIN and LOGIN
 * exchanges with and without initial response, cancellation, and
 * broken, oversized and hostile input.  Every failure path checks the
 * reply code and enhanced status code the client would see.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "smtp_auth.h"

/* Base64 of len bytes of s, in a static buffer. */
static const char *
b64(const char *s, size_t len)
{
	static char	out[4 * SMTP_LINE_MAX];

	ATF_REQUIRE(smtp_auth_b64_encode((const unsigned char *)s, len, out,
	    sizeof(out)) >= 0);
	return out;
}

static void
dec_ok(const char *in, const char *want, size_t wantlen)
{
	unsigned char	out[64];
	size_t		n = 99;

	ATF_REQUIRE_MSG(smtp_auth_b64_decode(in, strlen(in), out,
	    sizeof(out), &n) == 0, "\"%s\" refused", in);
	ATF_CHECK_EQ_MSG(n, wantlen, "length of \"%s\"", in);
	ATF_CHECK_MSG(memcmp(out, want, wantlen) == 0, "bytes of \"%s\"", in);
}

static void
dec_bad(const char *in, size_t len)
{
	unsigned char	out[64];
	size_t		n = 99, i;

	memset(out, 'x', sizeof(out));
	ATF_CHECK_MSG(smtp_auth_b64_decode(in, len, out, sizeof(out),
	    &n) == -1, "\"%.*s\" accepted", (int)len, in);
	ATF_CHECK_EQ(n, 0);
	for (i = 0; i < sizeof(out); i++)
		ATF_REQUIRE_MSG(out[i] == 0, "output not wiped after \"%.*s\"",
		    (int)len, in);
}

ATF_TC_WITHOUT_HEAD(b64_decode_valid);
ATF_TC_BODY(b64_decode_valid, tc)
{
	dec_ok("", "", 0);
	dec_ok("=", "", 0);		/* RFC 4954 empty response */
	dec_ok("Zg==", "f", 1);
	dec_ok("Zm8=", "fo", 2);
	dec_ok("Zm9v", "foo", 3);
	dec_ok("Zm9vYg==", "foob", 4);
	dec_ok("Zm9vYmE=", "fooba", 5);
	dec_ok("Zm9vYmFy", "foobar", 6);
	dec_ok("AHVzZXIAcGFzcw==", "\0user\0pass", 10);
	dec_ok("+/+/", "\xfb\xff\xbf", 3);
	dec_ok("VXNlcm5hbWU6", "Username:", 9);
}

ATF_TC_WITHOUT_HEAD(b64_decode_strict);
ATF_TC_BODY(b64_decode_strict, tc)
{
	unsigned char	small[2];
	size_t		n;

	dec_bad("Z", 1);
	dec_bad("Zg", 2);
	dec_bad("Zg=", 3);
	dec_bad("Zg===", 5);
	dec_bad("====", 4);
	dec_bad("Z===", 4);
	dec_bad("Zg=a", 4);		/* pad inside the quantum */
	dec_bad("Zg==Zg==", 8);		/* pad before the end */
	dec_bad("Zh==", 4);		/* non-zero unused bits */
	dec_bad("Zm9=", 4);
	dec_bad("Zm9v\r\n", 6);
	dec_bad("Zm9 v", 5);
	dec_bad(" Zm9v", 5);
	dec_bad("Zm9v ", 5);
	dec_bad("Zm\tv", 4);
	dec_bad("Zm-v", 4);		/* base64url is not base64 */
	dec_bad("Zm_v", 4);
	dec_bad("Zm9v\0Zg==", 9);
	dec_bad("Zm9\0", 4);
	dec_bad("Zm\xc3\xa9", 4);
	dec_bad("==", 2);
	/* Output too small for the decoded bytes. */
	ATF_CHECK(smtp_auth_b64_decode("Zm9v", 4, small, sizeof(small),
	    &n) == -1);
}

ATF_TC_WITHOUT_HEAD(b64_decode_limit);
ATF_TC_BODY(b64_decode_limit, tc)
{
	unsigned char	*out;
	char		*in;
	size_t		 n, outsize = SMTP_AUTH_B64_MAX;

	in = malloc(SMTP_AUTH_B64_MAX + 5);
	out = malloc(outsize);
	ATF_REQUIRE(in != NULL && out != NULL);
	memset(in, 'A', SMTP_AUTH_B64_MAX + 4);
	ATF_CHECK(smtp_auth_b64_decode(in, SMTP_AUTH_B64_MAX, out, outsize,
	    &n) == 0);
	ATF_CHECK_EQ(n, SMTP_AUTH_B64_MAX / 4 * 3);
	ATF_CHECK(smtp_auth_b64_decode(in, SMTP_AUTH_B64_MAX + 4, out,
	    outsize, &n) == -1);
	free(in);
	free(out);
}

ATF_TC_WITHOUT_HEAD(b64_encode);
ATF_TC_BODY(b64_encode, tc)
{
	unsigned char	 all[256], back[256];
	char		 out[400], tiny[8];
	size_t		 i, len, n;

	ATF_CHECK_STREQ(b64("", 0), "");
	ATF_CHECK_STREQ(b64("f", 1), "Zg==");
	ATF_CHECK_STREQ(b64("fo", 2), "Zm8=");
	ATF_CHECK_STREQ(b64("foo", 3), "Zm9v");
	ATF_CHECK_STREQ(b64("Username:", 9), "VXNlcm5hbWU6");
	ATF_CHECK_STREQ(b64("Password:", 9), "UGFzc3dvcmQ6");
	/* Every length and byte value round-trips. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	for (len = 0; len <= sizeof(all); len++) {
		ATF_REQUIRE(smtp_auth_b64_encode(all, len, out,
		    sizeof(out)) == (int)((len + 2) / 3 * 4));
		ATF_REQUIRE(smtp_auth_b64_decode(out, strlen(out), back,
		    sizeof(back), &n) == 0);
		ATF_REQUIRE_EQ(n, len);
		ATF_REQUIRE(memcmp(all, back, len) == 0);
	}
	/* "Zm9v" and its NUL need 5 bytes. */
	ATF_CHECK(smtp_auth_b64_encode((const unsigned char *)"foo", 3, tiny,
	    4) == -1);
	ATF_CHECK(smtp_auth_b64_encode((const unsigned char *)"foo", 3, tiny,
	    5) == 4);
}

static int
split(const char *msg, size_t len, char *user, char *pass)
{
	return smtp_auth_plain_split((const unsigned char *)msg, len, user,
	    SMTP_AUTHUSER_MAX + 1, pass, SMTP_AUTH_PASSWD_MAX + 1);
}

ATF_TC_WITHOUT_HEAD(plain_split);
ATF_TC_BODY(plain_split, tc)
{
	char	user[SMTP_AUTHUSER_MAX + 1], pass[SMTP_AUTH_PASSWD_MAX + 1];
	char	big[2 * SMTP_AUTH_PASSWD_MAX];

	ATF_CHECK_EQ(split("\0alice\0secret", 13, user, pass), 0);
	ATF_CHECK_STREQ(user, "alice");
	ATF_CHECK_STREQ(pass, "secret");
	ATF_CHECK_EQ(split("alice\0alice\0s", 13, user, pass), 0);
	ATF_CHECK_STREQ(user, "alice");
	ATF_CHECK_STREQ(pass, "s");		/* 1-char passwords (7.8) */
	/* Spaces and any non-NUL byte are allowed in a password. */
	ATF_CHECK_EQ(split("\0bob\0 p\x01\xff ", 10, user, pass), 0);
	ATF_CHECK_STREQ(pass, " p\x01\xff ");

	/* Another authorization identity: well-formed, refused. */
	ATF_CHECK_EQ(split("root\0alice\0secret", 17, user, pass), 1);
	ATF_CHECK_STREQ(user, "alice");
	ATF_CHECK_EQ(split("alic\0alice\0secret", 17, user, pass), 1);
	ATF_CHECK_EQ(split("Alice\0alice\0secret", 18, user, pass), 1);

	ATF_CHECK_EQ(split("", 0, user, pass), -1);
	ATF_CHECK_EQ(split("alice", 5, user, pass), -1);
	ATF_CHECK_EQ(split("alice\0secret", 12, user, pass), -1);
	ATF_CHECK_EQ(split("\0\0secret", 8, user, pass), -1);
	ATF_CHECK_EQ(split("\0alice\0", 7, user, pass), -1);
	ATF_CHECK_EQ(split("\0alice\0sec\0ret", 14, user, pass), -1);
	ATF_CHECK_EQ(split("\0alice\0secret\0", 14, user, pass), -1);
	ATF_CHECK_EQ(split("\0\0\0", 3, user, pass), -1);
	ATF_CHECK_EQ(split("\0al\nice\0secret", 14, user, pass), -1);
	ATF_CHECK_EQ(split("\0al\x7fice\0secret", 14, user, pass), -1);
	ATF_CHECK_EQ(split("a\rb\0ab\0secret", 13, user, pass), -1);

	/* Field limits: user 255, password 1024. */
	memset(big, 'u', sizeof(big));
	big[0] = '\0';
	big[SMTP_AUTHUSER_MAX + 1] = '\0';
	ATF_CHECK_EQ(split(big, SMTP_AUTHUSER_MAX + 3, user, pass), 0);
	ATF_CHECK_EQ(strlen(user), SMTP_AUTHUSER_MAX);
	memset(big, 'u', sizeof(big));
	big[0] = '\0';
	big[SMTP_AUTHUSER_MAX + 2] = '\0';
	ATF_CHECK_EQ(split(big, SMTP_AUTHUSER_MAX + 4, user, pass), -1);
	memset(big, 'p', sizeof(big));
	memcpy(big, "\0u\0", 3);
	ATF_CHECK_EQ(split(big, 3 + SMTP_AUTH_PASSWD_MAX, user, pass), 0);
	ATF_CHECK_EQ(strlen(pass), SMTP_AUTH_PASSWD_MAX);
	ATF_CHECK_EQ(split(big, 4 + SMTP_AUTH_PASSWD_MAX, user, pass), -1);
}

static void
check_fail(struct smtp_auth_x *x, enum smtp_auth_step st, int code,
    const char *status)
{
	size_t	i;

	ATF_REQUIRE_EQ_MSG(st, SMTP_AUTH_FAIL, "step %d", st);
	ATF_CHECK_EQ(x->ax_code, code);
	ATF_REQUIRE(x->ax_text != NULL);
	ATF_CHECK_MSG(strncmp(x->ax_text, status, strlen(status)) == 0,
	    "text \"%s\", want %s", x->ax_text, status);
	for (i = 0; i < sizeof(x->ax_passwd); i++)
		ATF_REQUIRE_MSG(x->ax_passwd[i] == 0, "password kept");
}

ATF_TC_WITHOUT_HEAD(plain_exchange);
ATF_TC_BODY(plain_exchange, tc)
{
	struct smtp_auth_x	x;
	char			arg[4 * SMTP_LINE_MAX + 16];

	/* Without initial response: "334 " then the message. */
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	ATF_CHECK_EQ(x.ax_mech, SMTP_AUTH_MECH_PLAIN);
	ATF_CHECK_STREQ(x.ax_prompt, "");
	ATF_REQUIRE_EQ(smtp_auth_x_next(&x, "AGFsaWNlAHNlY3JldA==", 20),
	    SMTP_AUTH_DONE);
	ATF_CHECK_STREQ(x.ax_user, "alice");
	ATF_CHECK_STREQ(x.ax_passwd, "secret");
	/* Over: more lines are a caller bug. */
	check_fail(&x, smtp_auth_x_next(&x, "AGFsaWNlAHNlY3JldA==", 20),
	    503, "5.5.1");
	smtp_auth_x_clear(&x);
	ATF_CHECK_STREQ(x.ax_passwd, "");

	/* With it, mechanism in any case. */
	snprintf(arg, sizeof(arg), "pLaIn %s", b64("\0bob\0pw", 7));
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, arg), SMTP_AUTH_DONE);
	ATF_CHECK_STREQ(x.ax_user, "bob");
	ATF_CHECK_STREQ(x.ax_passwd, "pw");

	snprintf(arg, sizeof(arg), "PLAIN %s", b64("admin\0bob\0pw", 12));
	ATF_CHECK_EQ(smtp_auth_x_start(&x, arg), SMTP_AUTH_DENIED);
	ATF_CHECK_STREQ(x.ax_user, "bob");
	ATF_CHECK_STREQ(x.ax_passwd, "");

	/* "=" is an empty initial response: a malformed message. */
	check_fail(&x, smtp_auth_x_start(&x, "PLAIN ="), 501, "5.5.2");
	check_fail(&x, smtp_auth_x_start(&x, "PLAIN !!!!"), 501, "5.5.2");
	check_fail(&x, smtp_auth_x_start(&x, "PLAIN  AGFsaWNlAHNlY3JldA=="),
	    501, "5.5.2");
	check_fail(&x, smtp_auth_x_start(&x, "PLAIN AGFsaWNlAHNlY3JldA== x"),
	    501, "5.5.2");
	snprintf(arg, sizeof(arg), "PLAIN %s", b64("alice\0secret", 12));
	check_fail(&x, smtp_auth_x_start(&x, arg), 501, "5.5.2");

	/* Cancelled, or garbage at the prompt. */
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "*", 1), 501, "5.7.0");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "**", 2), 501, "5.5.2");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "", 0), 501, "5.5.2");
}

ATF_TC_WITHOUT_HEAD(login_exchange);
ATF_TC_BODY(login_exchange, tc)
{
	struct smtp_auth_x	x;

	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN"), SMTP_AUTH_PROMPT);
	ATF_CHECK_EQ(x.ax_mech, SMTP_AUTH_MECH_LOGIN);
	ATF_CHECK_STREQ(x.ax_prompt, "VXNlcm5hbWU6");
	ATF_REQUIRE_EQ(smtp_auth_x_next(&x, "YWxpY2U=", 8), SMTP_AUTH_PROMPT);
	ATF_CHECK_STREQ(x.ax_prompt, "UGFzc3dvcmQ6");
	ATF_REQUIRE_EQ(smtp_auth_x_next(&x, "c2VjcmV0", 8), SMTP_AUTH_DONE);
	ATF_CHECK_STREQ(x.ax_user, "alice");
	ATF_CHECK_STREQ(x.ax_passwd, "secret");

	/* The initial response is the user name. */
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "login YWxpY2U="),
	    SMTP_AUTH_PROMPT);
	ATF_CHECK_STREQ(x.ax_prompt, "UGFzc3dvcmQ6");
	ATF_CHECK_STREQ(x.ax_user, "alice");
	ATF_REQUIRE_EQ(smtp_auth_x_next(&x, "cA==", 4), SMTP_AUTH_DONE);
	ATF_CHECK_STREQ(x.ax_passwd, "p");

	/* Cancel at either step. */
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "*", 1), 501, "5.7.0");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN YWxpY2U="),
	    SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "*", 1), 501, "5.7.0");

	/* Empty, NUL-holding or control-holding names; empty password. */
	check_fail(&x, smtp_auth_x_start(&x, "LOGIN ="), 501, "5.5.2");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "", 0), 501, "5.5.2");
	check_fail(&x, smtp_auth_x_start(&x, "LOGIN YQBi"), 501, "5.5.2");
	check_fail(&x, smtp_auth_x_start(&x, "LOGIN YQpi"), 501, "5.5.2");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN YWxpY2U="),
	    SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "=", 1), 501, "5.5.2");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN YWxpY2U="),
	    SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "cABx", 4), 501, "5.5.2");
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN YWxpY2U="),
	    SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, "c2VjcmV0\r", 9), 501, "5.5.2");
}

ATF_TC_WITHOUT_HEAD(mechanisms);
ATF_TC_BODY(mechanisms, tc)
{
	struct smtp_auth_x	x;

	check_fail(&x, smtp_auth_x_start(&x, NULL), 501, "5.5.4");
	check_fail(&x, smtp_auth_x_start(&x, ""), 501, "5.5.4");
	check_fail(&x, smtp_auth_x_start(&x, "CRAM-MD5"), 504, "5.7.4");
	check_fail(&x, smtp_auth_x_start(&x, "XOAUTH2 dGVzdA=="), 504,
	    "5.7.4");
	check_fail(&x, smtp_auth_x_start(&x, " PLAIN"), 504, "5.7.4");
	check_fail(&x, smtp_auth_x_start(&x, "PLAINX"), 504, "5.7.4");
	check_fail(&x, smtp_auth_x_start(&x, "PLAI"), 504, "5.7.4");
	check_fail(&x, smtp_auth_x_start(&x,
	    "AVERYLONGMECHANISMNAMEOFMORETHANTHIRTYTWOBYTES"), 504, "5.7.4");
	ATF_CHECK_EQ(smtp_auth_mech_lookup("login"), SMTP_AUTH_MECH_LOGIN);
	ATF_CHECK_EQ(smtp_auth_mech_lookup("Plain"), SMTP_AUTH_MECH_PLAIN);
	ATF_CHECK_EQ(smtp_auth_mech_lookup(""), SMTP_AUTH_MECH_NONE);
	ATF_CHECK_STREQ(smtp_auth_mech_name(SMTP_AUTH_MECH_LOGIN), "LOGIN");
	/* Not started: a line is refused. */
	smtp_auth_x_clear(&x);
	check_fail(&x, smtp_auth_x_next(&x, "*", 1), 503, "5.5.1");
}

/* Responses at and past the line limit; a PLAIN message of the longest
 * legal fields fits in one line. */
ATF_TC_WITHOUT_HEAD(oversized);
ATF_TC_BODY(oversized, tc)
{
	struct smtp_auth_x	 x;
	char			*msg, *line;
	size_t			 len;

	len = 1 + SMTP_AUTHUSER_MAX + 1 + SMTP_AUTH_PASSWD_MAX;
	msg = malloc(len);
	line = malloc(4 * SMTP_AUTH_B64_MAX);
	ATF_REQUIRE(msg != NULL && line != NULL);
	memset(msg, 'a', len);
	msg[0] = '\0';
	msg[1 + SMTP_AUTHUSER_MAX] = '\0';
	snprintf(line, 4 * SMTP_AUTH_B64_MAX, "%s", b64(msg, len));
	ATF_REQUIRE(strlen(line) <= SMTP_AUTH_B64_MAX);
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	ATF_CHECK_EQ(smtp_auth_x_next(&x, line, strlen(line)),
	    SMTP_AUTH_DONE);
	ATF_CHECK_EQ(strlen(x.ax_passwd), SMTP_AUTH_PASSWD_MAX);

	/* One byte of password more: still valid base64, refused. */
	free(msg);
	len++;
	msg = malloc(len);
	ATF_REQUIRE(msg != NULL);
	memset(msg, 'a', len);
	msg[0] = '\0';
	msg[1 + SMTP_AUTHUSER_MAX] = '\0';
	snprintf(line, 4 * SMTP_AUTH_B64_MAX, "%s", b64(msg, len));
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "PLAIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, line, strlen(line)), 501,
	    "5.5.2");

	/* A line past the limit: 500 5.5.6 (RFC 4954 section 4). */
	memset(line, 'A', SMTP_AUTH_B64_MAX + 4);
	ATF_REQUIRE_EQ(smtp_auth_x_start(&x, "LOGIN"), SMTP_AUTH_PROMPT);
	check_fail(&x, smtp_auth_x_next(&x, line, SMTP_AUTH_B64_MAX + 4),
	    500, "5.5.6");
	free(msg);
	free(line);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, b64_decode_valid);
	ATF_TP_ADD_TC(tp, b64_decode_strict);
	ATF_TP_ADD_TC(tp, b64_decode_limit);
	ATF_TP_ADD_TC(tp, b64_encode);
	ATF_TP_ADD_TC(tp, plain_split);
	ATF_TP_ADD_TC(tp, plain_exchange);
	ATF_TP_ADD_TC(tp, login_exchange);
	ATF_TP_ADD_TC(tp, mechanisms);
	ATF_TP_ADD_TC(tp, oversized);
	return atf_no_error();
}
