/*
 * libFuzzer target for mail address parsing (src/lib/mailaddr.c), what
 * the smtp process reads in MAIL and RCPT and lka reads in tables,
 * aliases and .forward files.  For every input accepted as an address
 * or a path:
 *
 *	parse(input) = a;  format(a) = s;  parse(s) = b;  a == b
 *	parse_path("<" s ">") = a  (when the input was a path)
 *
 * and s fits in SMTP_MAILBOX_MAX + 1 bytes, a holds no control byte, a lower-case domain that passes
 * mailaddr_domain_valid(), and valid UTF-8 (or plain ASCII without
 * MAILADDR_UTF8).  Nothing may crash or read out of bounds.
 *
 * Input: byte 0 picks the flags (bit 0 UTF8, bit 1 NO_DOMAIN_OK, bit 2
 * path, bit 3 allow the null path); the rest is the text.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailaddr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_fields(const struct mailaddr *a, int flags)
{
	size_t	ul, dl, i;

	ul = strnlen(a->ma_user, sizeof(a->ma_user));
	dl = strnlen(a->ma_domain, sizeof(a->ma_domain));
	if (ul > SMTP_LOCALPART_MAX || dl > SMTP_DOMAIN_MAX)
		abort();
	for (i = 0; i < ul; i++)
		if ((unsigned char)a->ma_user[i] < 0x20 ||
		    a->ma_user[i] == 0x7f)
			abort();
	for (i = 0; i < dl; i++)
		if ((unsigned char)a->ma_domain[i] <= 0x20 ||
		    a->ma_domain[i] == 0x7f ||
		    (a->ma_domain[i] >= 'A' && a->ma_domain[i] <= 'Z'))
			abort();
	if (flags & MAILADDR_UTF8) {
		if (!mailaddr_utf8_valid(a->ma_user, ul) ||
		    !mailaddr_utf8_valid(a->ma_domain, dl))
			abort();
	} else {
		for (i = 0; i < ul; i++)
			if ((unsigned char)a->ma_user[i] >= 0x80)
				abort();
		for (i = 0; i < dl; i++)
			if ((unsigned char)a->ma_domain[i] >= 0x80)
				abort();
	}
	if (dl > 0 && !mailaddr_domain_valid(a->ma_domain,
	    flags & MAILADDR_UTF8))
		abort();
	if (dl == 0 && ul > 0 && !(flags & MAILADDR_NO_DOMAIN_OK))
		abort();
}

static void
round_trip(const struct mailaddr *a, int flags, int path)
{
	struct mailaddr	 b;
	char		 buf[SMTP_MAILBOX_MAX + 1], pbuf[SMTP_PATH_MAX + 1];
	const char	*errstr;
	int		 n;

	n = mailaddr_format(a, buf, sizeof(buf));
	if (n < 0 || (size_t)n != strlen(buf))
		abort();
	if (mailaddr_is_null(a)) {
		if (n != 0)
			abort();
		return;
	}
	if (mailaddr_parse(&b, buf, n, flags & (MAILADDR_UTF8 |
	    MAILADDR_NO_DOMAIN_OK), &errstr) == -1)
		abort();
	if (mailaddr_cmp(a, &b) != 0 || strcmp(a->ma_user, b.ma_user) != 0 ||
	    strcmp(a->ma_domain, b.ma_domain) != 0)
		abort();
	/* A shorter buffer must fail cleanly. */
	if (n > 0 && mailaddr_format(a, pbuf, n) != -1)
		abort();
	if (n > 0 && pbuf[0] != '\0')
		abort();
	if (!path)
		return;
	/* The formatted form is never longer than the path it came from. */
	pbuf[0] = '<';
	memcpy(pbuf + 1, buf, n);
	pbuf[n + 1] = '>';
	if (mailaddr_parse_path(&b, pbuf, n + 2, 0, flags & MAILADDR_UTF8,
	    &errstr) == -1)
		abort();
	if (strcmp(a->ma_user, b.ma_user) != 0 ||
	    strcmp(a->ma_domain, b.ma_domain) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr	 a;
	const char	*errstr, *s;
	char		*copy;
	int		 flags = 0, path, allow_null, r;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		flags |= MAILADDR_UTF8;
	if (data[0] & 2)
		flags |= MAILADDR_NO_DOMAIN_OK;
	path = (data[0] & 4) != 0;
	allow_null = (data[0] & 8) != 0;
	size--;
	/* An exact-size heap copy, so that reading past len is caught. */
	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size);
	s = copy;

	errstr = NULL;
	if (path) {
		r = mailaddr_parse_path(&a, s, size, allow_null,
		    flags & MAILADDR_UTF8, &errstr);
		if (r == 0) {
			check_fields(&a, flags & MAILADDR_UTF8);
			if (mailaddr_is_null(&a) && !allow_null)
				abort();
			round_trip(&a, flags & MAILADDR_UTF8, 1);
		}
	} else {
		r = mailaddr_parse(&a, s, size, flags, &errstr);
		if (r == 0) {
			check_fields(&a, flags);
			if (mailaddr_is_null(&a))
				abort();
			round_trip(&a, flags, 0);
		}
	}
	if (r == -1 && errstr == NULL)
		abort();
	/* Whatever it is, mailaddr_utf8_valid reads only len bytes. */
	(void)mailaddr_utf8_valid(s, size);
	free(copy);
	return 0;
}
