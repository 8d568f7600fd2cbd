/*
 * Mail addresses (RFC 5321 4.1.2, RFC 6531 3.3): parsing, validation,
 * formatting and comparison.  Runs in smtp (on client input), lka
 * (aliases, tables, .forward), queue and mda (envelope contents).  It
 * trusts none of its input: every byte is checked against the grammar
 * and every length against the limits of postern_limits.h.  Library
 * code: it never logs and never exits.
 *
 * Nothing here interprets a local part: '%', '!' and a quoted '@' are
 * ordinary characters of the user name, and a source route is checked
 * and dropped, so that the domain after the last unquoted '@' is the
 * only destination an address can name.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mailaddr.h"

/* The longest address literal: "[IPv6:" + 45 + "]". */
#define LITERAL_MAX	64
#define LABEL_MAX	63

static int	is_atext(unsigned char, int);
static int	is_qtext(unsigned char, int);
static int	parse_local(const char *, size_t, size_t *, char *, size_t *,
		    int, const char **);
static int	domain_check(const char *, size_t, int, int);
static int	literal_check(const char *, size_t);
static int	local_is_dotatom(const char *);

/* RFC 5322 atext; UTF-8 bytes are atext under SMTPUTF8 (RFC 6531). */
static int
is_atext(unsigned char c, int utf8)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (c >= 0x80)
		return utf8;
	return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != '\0';
}

/* RFC 5321 qtextSMTP: printable ASCII but '"' and '\\'. */
static int
is_qtext(unsigned char c, int utf8)
{
	if (c >= 0x80)
		return utf8;
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

int
mailaddr_has_8bit(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

int
mailaddr_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	uint32_t		 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;	/* continuation, 0xc0/0xc1, 0xf5.. */
		if (len - i - 1 < n)
			return 0;	/* truncated */
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;	/* overlong, too big, surrogate */
		i += n + 1;
	}
	return 1;
}

/*
 * Parse the local part at the start of s (len bytes): a dot-atom or a
 * quoted string.  The unquoted value goes to out (room for
 * SMTP_LOCALPART_MAX + 1), *used is the bytes of s it took.
 */
static int
parse_local(const char *s, size_t len, size_t *used, char *out,
    size_t *outlen, int utf8, const char **errstr)
{
	size_t		i = 0, o = 0;
	unsigned char	c;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			c = s[i];
			if (c == '\\') {
				if (++i == len)
					break;
				c = s[i];
				if ((c < 32 || c > 126) &&
				    !(utf8 && c >= 0x80)) {
					*errstr = "invalid quoted local part";
					return -1;
				}
			} else if (!is_qtext(c, utf8)) {
				*errstr = c >= 0x80 ?
				    "non-ASCII address without SMTPUTF8" :
				    "invalid quoted local part";
				return -1;
			}
			if (o >= SMTP_LOCALPART_MAX) {
				*errstr = "local part too long";
				return -1;
			}
			out[o++] = c;
		}
		if (i >= len) {
			*errstr = "unterminated quoted local part";
			return -1;
		}
		i++;	/* closing quote */
	} else {
		for (i = 0; i < len && s[i] != '@'; i++) {
			c = s[i];
			if (c == '.') {
				if (i == 0 || s[i - 1] == '.' ||
				    i + 1 == len || s[i + 1] == '@') {
					*errstr = "invalid dot in local part";
					return -1;
				}
			} else if (!is_atext(c, utf8)) {
				*errstr = c >= 0x80 ?
				    "non-ASCII address without SMTPUTF8" :
				    "invalid character in local part";
				return -1;
			}
			if (o >= SMTP_LOCALPART_MAX) {
				*errstr = "local part too long";
				return -1;
			}
			out[o++] = c;
		}
	}
	if (i > SMTP_LOCALPART_MAX) {
		*errstr = "local part too long";
		return -1;
	}
	if (o == 0) {
		*errstr = "empty local part";
		return -1;
	}
	if (utf8 && !mailaddr_utf8_valid(out, o)) {
		*errstr = "invalid UTF-8 in local part";
		return -1;
	}
	out[o] = '\0';
	*outlen = o;
	*used = i;
	return 0;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]", brackets included. */
static int
literal_check(const char *s, size_t len)
{
	char			 buf[LITERAL_MAX];
	struct in_addr		 in4;
	struct in6_addr		 in6;
	size_t			 i;

	if (len < 3 || len >= sizeof(buf) || s[0] != '[' || s[len - 1] != ']')
		return 0;
	/* inet_pton() stops at a NUL: look at every byte first. */
	for (i = 1; i < len - 1; i++)
		if (strchr("0123456789abcdefABCDEFiIpPvV:.", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	if (len > 6 && strncasecmp(s + 1, "IPv6:", 5) == 0) {
		memcpy(buf, s + 6, len - 7);
		buf[len - 7] = '\0';
		return inet_pton(AF_INET6, buf, &in6) == 1;
	}
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	return inet_pton(AF_INET, buf, &in4) == 1;
}

/*
 * A domain of len bytes: LDH labels of 1..63 octets without a leading
 * or trailing hyphen, or an address literal.  underscore: also allow
 * '_' in labels (MAILADDR_HOSTNAME: HELO names, as res_hnok() does).
 */
static int
domain_check(const char *s, size_t len, int flags, int underscore)
{
	size_t		i, lab = 0;
	unsigned char	c;
	int		utf8 = (flags & MAILADDR_UTF8) != 0;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return 0;
	if (s[0] == '[')
		return literal_check(s, len);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (c == '-') {
			if (lab == 0)
				return 0;
		} else if (c >= 0x80) {
			if (!utf8)
				return 0;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (underscore && c == '_')))
			return 0;
		if (++lab > LABEL_MAX)
			return 0;
	}
	if (lab == 0 || s[len - 1] == '-')
		return 0;
	if (utf8 && !mailaddr_utf8_valid(s, len))
		return 0;
	return 1;
}

int
mailaddr_domain_valid(const char *s, int flags)
{
	size_t	len;

	len = strnlen(s, SMTP_DOMAIN_MAX + 1);
	return domain_check(s, len, flags,
	    (flags & MAILADDR_HOSTNAME) != 0);
}

int
mailaddr_parse(struct mailaddr *ma, const char *s, size_t len, int flags,
    const char **errstr)
{
	const char	*dummy;
	size_t		 used, ulen, dlen, i;
	int		 utf8 = (flags & MAILADDR_UTF8) != 0;

	if (errstr == NULL)
		errstr = &dummy;
	memset(ma, 0, sizeof(*ma));
	if (len > SMTP_MAILBOX_MAX) {
		/* As in a path; so that every address formats in
		 * SMTP_MAILBOX_MAX bytes, whatever file it came from. */
		*errstr = "address too long";
		return -1;
	}
	if (!utf8 && mailaddr_has_8bit(s, len)) {
		*errstr = "non-ASCII address without SMTPUTF8";
		return -1;
	}
	if (parse_local(s, len, &used, ma->ma_user, &ulen, utf8,
	    errstr) == -1)
		goto fail;
	if (used == len) {
		if (flags & MAILADDR_NO_DOMAIN_OK)
			return 0;
		*errstr = "missing domain";
		goto fail;
	}
	if (s[used] != '@') {
		*errstr = "invalid local part";
		goto fail;
	}
	s += used + 1;
	dlen = len - used - 1;
	if (dlen > SMTP_DOMAIN_MAX) {
		*errstr = "domain too long";
		goto fail;
	}
	if (memchr(s, '@', dlen) != NULL) {
		*errstr = "more than one @";
		goto fail;
	}
	if (!domain_check(s, dlen, flags, 0)) {
		*errstr = "invalid domain";
		goto fail;
	}
	for (i = 0; i < dlen; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			ma->ma_domain[i] = s[i] - 'A' + 'a';
		else
			ma->ma_domain[i] = s[i];
	}
	ma->ma_domain[dlen] = '\0';
	return 0;
fail:
	memset(ma, 0, sizeof(*ma));
	return -1;
}

/*
 * RFC 5321 4.1.2 Path = "<" [ A-d-l ":" ] Mailbox ">", where
 * A-d-l = At-domain *( "," At-domain ) and At-domain = "@" Domain.
 */
int
mailaddr_parse_path(struct mailaddr *ma, const char *s, size_t len,
    int allow_null, int flags, const char **errstr)
{
	const char	*dummy, *p, *end, *d;
	size_t		 n;

	if (errstr == NULL)
		errstr = &dummy;
	memset(ma, 0, sizeof(*ma));
	if (len < 2 || s[0] != '<' || s[len - 1] != '>') {
		*errstr = "path not in angle brackets";
		return -1;
	}
	if (len > SMTP_PATH_MAX) {
		*errstr = "path too long";
		return -1;
	}
	if (len == 2) {
		if (allow_null)
			return 0;
		*errstr = "null path not allowed";
		return -1;
	}
	p = s + 1;
	end = s + len - 1;
	if (*p == '@') {
		/* Source route: check each domain, then forget it. */
		for (;;) {
			d = ++p;
			while (p < end && *p != ',' && *p != ':')
				p++;
			if (p == end) {
				*errstr = "invalid source route";
				return -1;
			}
			n = p - d;
			if (!domain_check(d, n, flags, 0)) {
				*errstr = "invalid domain in source route";
				return -1;
			}
			if (*p == ':')
				break;
			if (++p == end || *p != '@') {
				*errstr = "invalid source route";
				return -1;
			}
		}
		p++;
	}
	return mailaddr_parse(ma, p, end - p, flags, errstr);
}

int
mailaddr_is_null(const struct mailaddr *ma)
{
	return ma->ma_user[0] == '\0' && ma->ma_domain[0] == '\0';
}

/* A local part that can be written without quotes. */
static int
local_is_dotatom(const char *u)
{
	size_t	i;

	if (u[0] == '\0' || u[0] == '.')
		return 0;
	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] == '.') {
			if (u[i + 1] == '.' || u[i + 1] == '\0')
				return 0;
		} else if (!is_atext((unsigned char)u[i], 1))
			return 0;
	}
	return 1;
}

int
mailaddr_format(const struct mailaddr *ma, char *buf, size_t len)
{
	size_t	o = 0, i;
	int	quote;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (mailaddr_is_null(ma))
		return 0;
	quote = !local_is_dotatom(ma->ma_user);
#define PUT(c) do {			\
	if (o + 1 >= len)		\
		goto toosmall;		\
	buf[o++] = (c);			\
} while (0)
	if (quote)
		PUT('"');
	for (i = 0; ma->ma_user[i] != '\0'; i++) {
		if (quote && (ma->ma_user[i] == '"' ||
		    ma->ma_user[i] == '\\'))
			PUT('\\');
		PUT(ma->ma_user[i]);
	}
	if (quote)
		PUT('"');
	if (ma->ma_domain[0] != '\0') {
		PUT('@');
		for (i = 0; ma->ma_domain[i] != '\0'; i++)
			PUT(ma->ma_domain[i]);
	}
#undef PUT
	buf[o] = '\0';
	return (int)o;
toosmall:
	buf[0] = '\0';
	return -1;
}

int
mailaddr_cmp(const struct mailaddr *a, const struct mailaddr *b)
{
	int	r;

	if ((r = strcmp(a->ma_user, b->ma_user)) != 0)
		return r;
	return strcasecmp(a->ma_domain, b->ma_domain);
}
