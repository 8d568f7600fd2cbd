/*
 * libFuzzer target for AUTH decoding (src/lib/smtp_auth.c).  Byte 0
 * picks what the rest of the input is:
 *   0: base64 text: a decoded result must re-encode to the same text
 *      (the decoder accepts only the canonical form);
 *   1: a decoded PLAIN message for smtp_auth_plain_split();
 *   2: an exchange: LF-separated lines, the first is the AUTH argument
 *      ("PLAIN dGVzdA==", "LOGIN"), the others the client's responses.
 * Checked: every failure is one of the documented replies with an
 * enhanced status code and leaves no password behind; every success
 * holds a non-empty user without control bytes and a non-empty
 * password within their limits; prompts are the three of RFC 4954 use.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_b64(const uint8_t *data, size_t len)
{
	unsigned char	out[SMTP_AUTH_B64_MAX];
	char		back[SMTP_AUTH_B64_MAX + 1];
	size_t		n;

	if (smtp_auth_b64_decode((const char *)data, len, out, sizeof(out),
	    &n) == -1)
		return;
	if (n > len)
		abort();
	if (smtp_auth_b64_encode(out, n, back, sizeof(back)) < 0)
		abort();
	if (len == 1 && data[0] == '=') {
		if (n != 0)
			abort();
		return;
	}
	if (strlen(back) != len || memcmp(back, data, len) != 0)
		abort();
}

static void
check_name(const char *s, int empty_ok)
{
	size_t	i, len = strnlen(s, SMTP_AUTHUSER_MAX + 1);

	if (len > SMTP_AUTHUSER_MAX || (!empty_ok && len == 0))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
check_plain(const uint8_t *data, size_t len)
{
	char	user[SMTP_AUTHUSER_MAX + 1], pass[SMTP_AUTH_PASSWD_MAX + 1];
	size_t	plen;
	int	r;

	r = smtp_auth_plain_split(data, len, user, sizeof(user), pass,
	    sizeof(pass));
	if (r == -1)
		return;
	if (r != 0 && r != 1)
		abort();
	check_name(user, 0);
	if (r == 1)
		return;
	plen = strnlen(pass, sizeof(pass));
	if (plen == 0 || plen > SMTP_AUTH_PASSWD_MAX)
		abort();
	/* user NUL pass is the tail of the message. */
	if (len < plen || memcmp(data + len - plen, pass, plen) != 0)
		abort();
}

static int
check_step(const struct smtp_auth_x *x, enum smtp_auth_step st)
{
	size_t	i;

	switch (st) {
	case SMTP_AUTH_PROMPT:
		if (strcmp(x->ax_prompt, "") != 0 &&
		    strcmp(x->ax_prompt, "VXNlcm5hbWU6") != 0 &&
		    strcmp(x->ax_prompt, "UGFzc3dvcmQ6") != 0)
			abort();
		return 1;
	case SMTP_AUTH_DONE:
		check_name(x->ax_user, 0);
		i = strnlen(x->ax_passwd, sizeof(x->ax_passwd));
		if (i == 0 || i > SMTP_AUTH_PASSWD_MAX)
			abort();
		return 0;
	case SMTP_AUTH_DENIED:
		check_name(x->ax_user, 0);
		if (x->ax_passwd[0] != '\0')
			abort();
		return 0;
	case SMTP_AUTH_FAIL:
		if (x->ax_code != 500 && x->ax_code != 501 &&
		    x->ax_code != 503 && x->ax_code != 504)
			abort();
		if (x->ax_text == NULL || x->ax_text[0] != '5' ||
		    x->ax_text[1] != '.' || strlen(x->ax_text) > 100)
			abort();
		for (i = 0; i < sizeof(x->ax_passwd); i++)
			if (x->ax_passwd[i] != '\0')
				abort();
		return 0;
	}
	abort();
}

static void
check_exchange(const uint8_t *data, size_t len)
{
	struct smtp_auth_x	 x;
	const uint8_t		*nl;
	char			*arg;
	size_t			 n;
	int			 more;

	nl = memchr(data, '\n', len);
	n = nl != NULL ? (size_t)(nl - data) : len;
	/* The command line reached us without NUL (smtp_cmd_split). */
	if (memchr(data, '\0', n) != NULL || (arg = malloc(n + 1)) == NULL)
		return;
	memcpy(arg, data, n);
	arg[n] = '\0';
	more = check_step(&x, smtp_auth_x_start(&x, arg));
	free(arg);
	while (nl != NULL) {
		data = nl + 1;
		len -= n + 1;
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (!more) {
			/* Over: a further line is refused. */
			if (smtp_auth_x_next(&x, (const char *)data, n) !=
			    SMTP_AUTH_FAIL || x.ax_code != 503)
				abort();
			continue;
		}
		more = check_step(&x, smtp_auth_x_next(&x,
		    (const char *)data, n));
	}
	smtp_auth_x_clear(&x);
	if (x.ax_passwd[0] != '\0' || x.ax_user[0] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		check_b64(data + 1, size - 1);
		break;
	case 1:
		check_plain(data + 1, size - 1);
		break;
	default:
		check_exchange(data + 1, size - 1);
		break;
	}
	return 0;
}
