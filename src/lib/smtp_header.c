/*
 * The header section of a message being received (see smtp_header.h):
 * a streaming filter between the DATA/BDAT decoder and the spool file,
 * in the smtp process, on bytes straight from the client, none of which
 * is trusted.  It finds where the header section ends, notes which of
 * Date:, Message-ID: and From: it holds, adds the missing ones the
 * caller asked for and rewrites From: for masquerade.  All of its state
 * is in struct smtp_header, so the input may be cut anywhere: fed one
 * byte at a time or all at once, the output is the same.  Memory is
 * fixed (the struct); nothing grows with the input.  Library code: no
 * I/O of its own, no logging, no exit.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_header.h"

enum {
	ST_LINE = 0,	/* at the start of a line of the header section */
	ST_NAME,	/* what may be a field name (held in sh_line) */
	ST_NAME_WSP,	/* spaces or tabs after it, before ':' (held) */
	ST_VALUE,	/* in a field, up to the end of its line */
	ST_BODY,	/* past the header section: bytes pass through */
};

/* Room for one added field: name, value, LF. */
#define FIELD_MAX	(SMTP_HEADER_VALUE_MAX + 32)

static int	out(struct smtp_header *, const char *, size_t);
static int	add_fields(struct smtp_header *, int);
static int	end_header(struct smtp_header *, int);
static int	not_field(struct smtp_header *);
static int	field(struct smtp_header *);
static void	hold(struct smtp_header *, const char *, size_t);
static int	from_flush(struct smtp_header *);

static int
set_value(char *dst, const char *src)
{
	size_t	len;

	dst[0] = '\0';
	if (src == NULL)
		return 0;
	len = strlen(src);
	if (len > SMTP_HEADER_VALUE_MAX || strpbrk(src, "\r\n") != NULL)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

int
smtp_header_init(struct smtp_header *sh, const struct smtp_header_fix *fix,
    smtp_header_emit emit, void *arg)
{
	memset(sh, 0, sizeof(*sh));
	sh->sh_state = ST_LINE;
	sh->sh_end = SMTP_HEADER_END_NONE;
	sh->sh_emit = emit;
	sh->sh_arg = arg;
	if (fix == NULL)
		return 0;
	if (set_value(sh->sh_date, fix->hf_date) == -1 ||
	    set_value(sh->sh_msgid, fix->hf_msgid) == -1 ||
	    set_value(sh->sh_sender, fix->hf_from) == -1)
		return -1;
	return 0;
}

static int
out(struct smtp_header *sh, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	return sh->sh_emit(sh->sh_arg, p, n) < 0 ? -1 : 0;
}

static int
is_name_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Would the end of the header section add anything? */
static int
want_fields(const struct smtp_header *sh)
{
	return (!(sh->sh_seen & SMTP_HEADER_DATE) && sh->sh_date[0]) ||
	    (!(sh->sh_seen & SMTP_HEADER_MSGID) && sh->sh_msgid[0]) ||
	    (!(sh->sh_seen & SMTP_HEADER_FROM) && sh->sh_sender[0]);
}

/* The missing fields; with sep, an empty line after them (the body
 * follows without one). */
static int
add_fields(struct smtp_header *sh, int sep)
{
	char	buf[FIELD_MAX];
	int	n, added = 0;

	if (!(sh->sh_seen & SMTP_HEADER_DATE) && sh->sh_date[0]) {
		n = snprintf(buf, sizeof(buf), "Date: %s\n", sh->sh_date);
		if (out(sh, buf, (size_t)n) == -1)
			return -1;
		added = 1;
	}
	if (!(sh->sh_seen & SMTP_HEADER_MSGID) && sh->sh_msgid[0]) {
		n = snprintf(buf, sizeof(buf), "Message-ID: %s\n",
		    sh->sh_msgid);
		if (out(sh, buf, (size_t)n) == -1)
			return -1;
		added = 1;
	}
	if (!(sh->sh_seen & SMTP_HEADER_FROM) && sh->sh_sender[0]) {
		n = snprintf(buf, sizeof(buf), "From: <%s>\n", sh->sh_sender);
		if (out(sh, buf, (size_t)n) == -1)
			return -1;
		added = 1;
	}
	if (added && sep)
		return out(sh, "\n", 1);
	return 0;
}

static int
end_header(struct smtp_header *sh, int how)
{
	sh->sh_end = how;
	sh->sh_state = ST_BODY;
	return add_fields(sh, how == SMTP_HEADER_END_BODY);
}

/* The held start of a line is no field: the body begins with it. */
static int
not_field(struct smtp_header *sh)
{
	if (end_header(sh, SMTP_HEADER_END_BODY) == -1)
		return -1;
	return out(sh, sh->sh_line, sh->sh_linelen);
}

static unsigned int
name_kind(const char *name, size_t len)
{
	if (len == 4 && strncasecmp(name, "date", 4) == 0)
		return SMTP_HEADER_DATE;
	if (len == 10 && strncasecmp(name, "message-id", 10) == 0)
		return SMTP_HEADER_MSGID;
	if (len == 4 && strncasecmp(name, "from", 4) == 0)
		return SMTP_HEADER_FROM;
	return 0;
}

/* The held start of a line and the ':' after it make a field. */
static int
field(struct smtp_header *sh)
{
	unsigned int	kind;

	if (sh->sh_state == ST_NAME)
		sh->sh_namelen = sh->sh_linelen;
	kind = name_kind(sh->sh_line, sh->sh_namelen);
	sh->sh_seen |= kind;
	sh->sh_nfields++;
	sh->sh_state = ST_VALUE;
	if (kind == SMTP_HEADER_FROM && sh->sh_sender[0]) {
		sh->sh_holding = 1;
		sh->sh_from_over = 0;
		sh->sh_fromlen = 0;
		hold(sh, sh->sh_line, sh->sh_linelen);
		hold(sh, ":", 1);
		return 0;
	}
	if (out(sh, sh->sh_line, sh->sh_linelen) == -1)
		return -1;
	return out(sh, ":", 1);
}

/* Bytes of the From: field being held; past the cap, only counted as
 * lost. */
static void
hold(struct smtp_header *sh, const char *p, size_t n)
{
	if (sh->sh_from_over)
		return;
	if (n > sizeof(sh->sh_from) - sh->sh_fromlen) {
		sh->sh_from_over = 1;
		return;
	}
	memcpy(sh->sh_from + sh->sh_fromlen, p, n);
	sh->sh_fromlen += n;
}

/*
 * The display name of the first mailbox of a From: value: the text
 * before the first '<' outside quoted strings and comments, if no ','
 * ';' or ':' comes first at that level.  Returns its length (0: none)
 * and sets *start.
 */
static size_t
from_display(const char *v, const char *e, const char **start)
{
	const char	*p;
	int		 quote = 0, depth = 0;

	for (p = v; p < e; p++) {
		if (quote || depth > 0) {
			if (*p == '\\') {
				if (p + 1 < e)
					p++;	/* quoted-pair */
			} else if (quote && *p == '"')
				quote = 0;
			else if (!quote && *p == '(')
				depth++;
			else if (!quote && *p == ')')
				depth--;
			continue;
		}
		switch (*p) {
		case '"':
			quote = 1;
			break;
		case '(':
			depth = 1;
			break;
		case '<':
			*start = v;
			return (size_t)(p - v);
		case ',':
		case ';':
		case ':':
			return 0;
		}
	}
	return 0;
}

/* Write the held From: field rewritten to name the sender. */
static int
from_flush(struct smtp_header *sh)
{
	char		 buf[SMTP_HEADER_FROM_MAX + FIELD_MAX];
	const char	*v, *e, *d = NULL, *colon;
	size_t		 n = 0, dlen = 0, i;
	unsigned char	 c;

	sh->sh_holding = 0;
	if (!sh->sh_from_over &&
	    (colon = memchr(sh->sh_from, ':', sh->sh_fromlen)) != NULL) {
		v = colon + 1;
		e = sh->sh_from + sh->sh_fromlen;
		dlen = from_display(v, e, &d);
		for (i = 0; i < dlen; i++) {
			c = (unsigned char)d[i];
			if ((c < 32 && c != '\t' && c != '\n') || c == 127) {
				dlen = 0;
				break;
			}
		}
	}
	memcpy(buf, "From: ", 6);
	n = 6;
	/* Unfolded (LFs dropped), spaces trimmed at both ends. */
	while (dlen > 0 && (is_wsp(*d) || *d == '\n')) {
		d++;
		dlen--;
	}
	while (dlen > 0 && (is_wsp(d[dlen - 1]) || d[dlen - 1] == '\n'))
		dlen--;
	for (i = 0; i < dlen; i++)
		if (d[i] != '\n')
			buf[n++] = d[i];
	if (dlen > 0)
		buf[n++] = ' ';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<%s>\n",
	    sh->sh_sender);
	sh->sh_fromlen = 0;
	return out(sh, buf, n);
}

int
smtp_header_feed(struct smtp_header *sh, const char *buf, size_t len)
{
	const char	*p = buf, *e = buf + len, *nl;
	size_t		 n;
	unsigned char	 c;

	while (p < e) {
		c = (unsigned char)*p;
		switch (sh->sh_state) {
		case ST_BODY:
			return out(sh, p, (size_t)(e - p));
		case ST_VALUE:
			nl = memchr(p, '\n', (size_t)(e - p));
			n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(e - p);
			if (sh->sh_holding)
				hold(sh, p, n);
			else if (out(sh, p, n) == -1)
				return -1;
			p += n;
			if (nl != NULL)
				sh->sh_state = ST_LINE;
			break;
		case ST_LINE:
			/* Decided without consuming: the next state takes c. */
			if (sh->sh_holding) {
				if (is_wsp(c)) {
					sh->sh_state = ST_VALUE;
					break;
				}
				if (from_flush(sh) == -1)
					return -1;
			}
			if (c == '\n') {
				if (end_header(sh, SMTP_HEADER_END_EMPTY) == -1)
					return -1;
			} else if (is_wsp(c) && sh->sh_nfields > 0)
				sh->sh_state = ST_VALUE;
			else if (is_name_char(c)) {
				sh->sh_linelen = 0;
				sh->sh_namelen = 0;
				sh->sh_state = ST_NAME;
			} else if (end_header(sh, SMTP_HEADER_END_BODY) == -1)
				return -1;
			break;
		case ST_NAME:
		case ST_NAME_WSP:
			if (c == ':') {
				p++;
				if (field(sh) == -1)
					return -1;
				break;
			}
			if (is_wsp(c)) {
				if (sh->sh_state == ST_NAME) {
					sh->sh_namelen = sh->sh_linelen;
					sh->sh_state = ST_NAME_WSP;
				}
			} else if (!is_name_char(c) ||
			    sh->sh_state == ST_NAME_WSP) {
				if (not_field(sh) == -1)
					return -1;
				break;
			}
			/* No field name and ':' can be longer than a line. */
			if (sh->sh_linelen == sizeof(sh->sh_line)) {
				if (not_field(sh) == -1)
					return -1;
				break;
			}
			sh->sh_line[sh->sh_linelen++] = (char)c;
			p++;
			break;
		}
	}
	return 0;
}

int
smtp_header_finish(struct smtp_header *sh)
{
	switch (sh->sh_state) {
	case ST_BODY:
		return 0;
	case ST_NAME:
	case ST_NAME_WSP:
		return not_field(sh);
	case ST_VALUE:
		/* The last line has no LF: one goes before what is added. */
		if (sh->sh_holding) {
			if (from_flush(sh) == -1)
				return -1;
		} else if (want_fields(sh) && out(sh, "\n", 1) == -1)
			return -1;
		break;
	case ST_LINE:
		if (sh->sh_holding && from_flush(sh) == -1)
			return -1;
		break;
	}
	return end_header(sh, SMTP_HEADER_END_EOF);
}

unsigned int
smtp_header_seen(const struct smtp_header *sh)
{
	return sh->sh_seen;
}

int
smtp_header_end(const struct smtp_header *sh)
{
	return sh->sh_end;
}
