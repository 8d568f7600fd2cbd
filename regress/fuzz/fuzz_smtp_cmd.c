/*
 * libFuzzer target for SMTP command syntax (src/lib/smtp_parse.c): an
 * arbitrary client line goes through smtp_cmd_split(), and its argument
 * (and the whole line, as if it were an argument) through the MAIL,
 * RCPT, BDAT and HELO parsers with the extensions picked by byte 0.
 * Checked: every failure is a 5xx reply of the documented set with an
 * enhanced status code; every accepted address is well-formed and
 * formats to text that parses back to it; parsed DSN fields are valid
 * xtext within their limits.  Nothing may crash or read out of bounds.
 *
 * Input: byte 0 = SMTP_EXT_* bits offered (low 5 bits) and whether
 * the transaction has SMTPUTF8 (bit 5); byte 1 picks max_size; the
 * rest is the line.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailaddr.h"
#include "smtp_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_err(const struct smtp_reply_err *err)
{
	if (err->text == NULL)
		abort();
	switch (err->code) {
	case 500:
	case 501:
	case 552:
	case 553:
	case 555:
		break;
	default:
		abort();
	}
	/* "5.x.y text" */
	if (err->text[0] != '5' || err->text[1] != '.' ||
	    strchr(err->text, ' ') == NULL ||
	    strlen(err->text) + 4 >= SMTP_REPLY_MAX)
		abort();
}

static void
check_addr(const struct mailaddr *a, int utf8, int allow_nodomain)
{
	struct mailaddr	b;
	char		buf[SMTP_MAILBOX_MAX + 1];
	size_t		i;
	int		n;

	if (strnlen(a->ma_user, sizeof(a->ma_user)) > SMTP_LOCALPART_MAX ||
	    strnlen(a->ma_domain, sizeof(a->ma_domain)) > SMTP_DOMAIN_MAX)
		abort();
	for (i = 0; a->ma_user[i] != '\0'; i++)
		if ((unsigned char)a->ma_user[i] < 0x20 ||
		    (!utf8 && (unsigned char)a->ma_user[i] >= 0x7f))
			abort();
	if (mailaddr_is_null(a))
		return;
	if (a->ma_domain[0] == '\0' && !allow_nodomain)
		abort();
	n = mailaddr_format(a, buf, sizeof(buf));
	if (n <= 0)
		abort();
	if (mailaddr_parse(&b, buf, n, (utf8 ? MAILADDR_UTF8 : 0) |
	    MAILADDR_NO_DOMAIN_OK, NULL) == -1)
		abort();
	if (strcmp(a->ma_user, b.ma_user) != 0 ||
	    strcmp(a->ma_domain, b.ma_domain) != 0)
		abort();
}

static void
parse_all(const char *arg, unsigned int ext, int utf8, uint64_t max)
{
	struct smtp_mail_args	ma;
	struct smtp_rcpt_args	ra;
	struct smtp_reply_err	err;
	uint64_t		sz;
	int			last;

	if (smtp_parse_mail(arg, ext, max, &ma, &err) == 0) {
		check_addr(&ma.ma_from, ma.ma_smtputf8, 0);
		if (ma.ma_null != mailaddr_is_null(&ma.ma_from))
			abort();
		if (ma.ma_smtputf8 && !(ext & SMTP_EXT_SMTPUTF8))
			abort();
		if (max != 0 && ma.ma_size > max)
			abort();
		if (ma.ma_body != SMTP_BODY_7BIT &&
		    ma.ma_body != SMTP_BODY_8BITMIME)
			abort();
		if (!smtp_xtext_valid(ma.ma_dsn_envid, SMTP_DSN_ENVID_MAX))
			abort();
		if ((ma.ma_dsn_ret != DSN_RET_NONE ||
		    ma.ma_dsn_envid[0] != '\0') && !(ext & SMTP_EXT_DSN))
			abort();
	} else
		check_err(&err);

	if (smtp_parse_rcpt(arg, ext, utf8, &ra, &err) == 0) {
		check_addr(&ra.ra_to, utf8, ra.ra_postmaster);
		if (mailaddr_is_null(&ra.ra_to))
			abort();
		if (ra.ra_postmaster && (strcmp(ra.ra_to.ma_user,
		    "postmaster") != 0 || ra.ra_to.ma_domain[0] != '\0'))
			abort();
		if ((ra.ra_dsn_notify & DSN_NOTIFY_NEVER) &&
		    ra.ra_dsn_notify != DSN_NOTIFY_NEVER)
			abort();
		if (strnlen(ra.ra_dsn_orcpt, sizeof(ra.ra_dsn_orcpt)) >
		    SMTP_DSN_ORCPT_MAX)
			abort();
		if ((ra.ra_dsn_notify != 0 || ra.ra_dsn_orcpt[0] != '\0') &&
		    !(ext & SMTP_EXT_DSN))
			abort();
	} else
		check_err(&err);

	if (smtp_parse_bdat(arg, &sz, &last, &err) == 0) {
		if (last != 0 && last != 1)
			abort();
	} else
		check_err(&err);

	if (smtp_parse_helo(arg, &err) == -1)
		check_err(&err);
	(void)smtp_xtext_valid(arg, SMTP_DSN_ORCPT_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t	 maxes[] = { 0, 1, 1000, 36700160,
	    UINT64_MAX };
	struct smtp_reply_err	 err;
	enum smtp_verb		 verb;
	char			*line, *arg, *whole;
	unsigned int		 ext;
	uint64_t		 max;
	size_t			 len, i;
	int			 utf8, r;

	if (size < 2)
		return 0;
	ext = data[0] & 0x1f;
	utf8 = (data[0] & 0x20) != 0 && (ext & SMTP_EXT_SMTPUTF8);
	max = maxes[data[1] % (sizeof(maxes) / sizeof(maxes[0]))];
	data += 2;
	len = size - 2;

	/* The argument parsers on the whole input, NUL-terminated. */
	whole = malloc(len + 1);
	if (whole == NULL)
		return 0;
	memcpy(whole, data, len);
	whole[len] = '\0';
	parse_all(whole, ext, utf8, max);
	free(whole);

	/* split writes line[len], so the buffer has one byte more. */
	line = malloc(len + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = 'X';
	r = smtp_cmd_split(line, len, &verb, &arg, &err);
	if (r == 0) {
		if (verb < SMTP_CMD_UNKNOWN || verb >= SMTP_CMD_COUNT)
			abort();
		if (arg == NULL || arg < line || arg > line + len ||
		    strlen(arg) > len)
			abort();
		if (smtp_verb_name(verb) == NULL)
			abort();
		/* No control byte survives a successful split. */
		for (i = 0; arg[i] != '\0'; i++)
			if ((unsigned char)arg[i] < 0x20 && arg[i] != '\t')
				abort();
		parse_all(arg, ext, utf8, max);
	} else if (r == -1) {
		check_err(&err);
	} else
		abort();
	free(line);
	return 0;
}
