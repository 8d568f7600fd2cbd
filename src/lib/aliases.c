/*
 * Items of aliases(5), forward(5) and :include: files (include/aliases.h).
 * Runs in lka, on alias table values, virtual table values and the
 * contents of .forward and :include: files.  A .forward file is written
 * by a local user, so nothing here trusts its input: every item is
 * classified and validated, and anything that is not exactly one of the
 * six kinds refuses the whole list.  Library code: no logging, no exit.
 *
 * Splitting: items are separated by ',' and by newlines.  A ','
 * inside double quotes does not separate, nor one escaped by a
 * backslash; single quotes quote too, but only when the item starts
 * with one (so that "o'brien@example.org" stays an address).  Quotes
 * and escapes never span lines.  A line whose first non-blank
 * character is '#' is a comment (forward(5)).  An item is then trimmed
 * of blanks; empty items are skipped.
 *
 * Classifying, in this order (COMPAT.md 4.1), on the item with its
 * outer quotes removed when the whole item is one quoted string:
 *   \user                   EXP_USERNAME, en_noexpand
 *   error:NNN text          EXP_ERROR (also ":error:"; NNN is 4xx or
 *                           5xx; text must be there, and an enhanced
 *                           code at its start must be of NNN's class)
 *   :include:/path          EXP_INCLUDE (also "include:")
 *   |command                EXP_COMMAND (en_value without the '|')
 *   /path                   EXP_FILENAME
 *   anything with '@'       EXP_ADDRESS (mailaddr_parse, UTF-8 allowed)
 *   user                    EXP_USERNAME (letters, digits, "_.-+")
 * Control characters are refused in every item: they could only end
 * up in a log line, a command line or an SMTP reply.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"

/* Room for one raw item: the value plus quotes and escapes. */
#define ALIAS_RAW_MAX	(2 * ENVELOPE_ARG_MAX + 2)

static int
al_isblank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
al_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
al_isalnum(char c)
{
	return al_isdigit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
al_prefix(const char *s, size_t len, const char *pfx)
{
	size_t	 i, n = strlen(pfx);

	if (len < n)
		return 0;
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != pfx[i])
			return 0;
	}
	return 1;
}

static int
al_username_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > SMTP_LOCALPART_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!al_isalnum(s[i]) && strchr("_.-+", s[i]) == NULL)
			return 0;
	return 1;
}

/* An enhanced status code "C.S.D" of class cls at the start of s. */
static int
al_enhanced_ok(const char *s, size_t len, char cls)
{
	size_t	i = 0, n;
	int	part;

	if (len < 5 || s[0] != cls || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && al_isdigit(s[i]) && n < 3; n++)
			i++;
		if (n == 0 || (i < len && al_isdigit(s[i])))
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == len || s[i] == ' ';
}

static int
al_error(struct expand_item *it, const char *s, size_t len,
    const char **errstr)
{
	size_t	 i;

	while (len > 0 && al_isblank(s[0])) {
		s++;
		len--;
	}
	if (len < 3 || (s[0] != '4' && s[0] != '5') || !al_isdigit(s[1]) ||
	    !al_isdigit(s[2]) || (len > 3 && al_isdigit(s[3]))) {
		*errstr = "error: needs a 4xx or 5xx code";
		return -1;
	}
	it->en_code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	for (i = 3; i < len && al_isblank(s[i]); i++)
		;
	if (i == 3 || i == len) {
		*errstr = "error: needs a text after the code";
		return -1;
	}
	if (al_isdigit(s[i]) && i + 1 < len && s[i + 1] == '.' &&
	    !al_enhanced_ok(s + i, len - i, s[0])) {
		*errstr = "error: bad enhanced status code";
		return -1;
	}
	if (len - i > ENVELOPE_ARG_MAX) {
		*errstr = "item too long";
		return -1;
	}
	memcpy(it->en_value, s + i, len - i);
	it->en_value[len - i] = '\0';
	it->en_type = EXP_ERROR;
	return 0;
}

static int
al_value(struct expand_item *it, enum expand_type type, const char *s,
    size_t len, const char **errstr)
{
	if (len == 0) {
		*errstr = "empty path or command";
		return -1;
	}
	if (len > ENVELOPE_ARG_MAX) {
		*errstr = "item too long";
		return -1;
	}
	memcpy(it->en_value, s, len);
	it->en_value[len] = '\0';
	it->en_type = type;
	return 0;
}

/* s: the item, without its outer quotes if it was one quoted string. */
static int
al_classify(struct expand_item *it, const char *s, size_t len, int quoted,
    const char **errstr)
{
	const char	*p;
	size_t		 i;

	memset(it, 0, sizeof(*it));
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
			*errstr = "control character in an item";
			return -1;
		} else if (s[i] == 0x7f) {
			*errstr = "control character in an item";
			return -1;
		}
	if (!quoted && s[0] == '\\') {
		if (!al_username_ok(s + 1, len - 1)) {
			*errstr = "invalid user name after '\\'";
			return -1;
		}
		memcpy(it->en_addr.ma_user, s + 1, len - 1);
		it->en_type = EXP_USERNAME;
		it->en_noexpand = 1;
		return 0;
	}
	if (al_prefix(s, len, "error:"))
		return al_error(it, s + 6, len - 6, errstr);
	if (al_prefix(s, len, ":error:"))
		return al_error(it, s + 7, len - 7, errstr);
	p = NULL;
	if (al_prefix(s, len, ":include:"))
		p = s + 9;
	else if (al_prefix(s, len, "include:"))
		p = s + 8;
	if (p != NULL) {
		len -= p - s;
		while (len > 0 && al_isblank(*p)) {
			p++;
			len--;
		}
		if (len == 0 || p[0] != '/') {
			*errstr = ":include: needs an absolute path";
			return -1;
		}
		return al_value(it, EXP_INCLUDE, p, len, errstr);
	}
	if (s[0] == '|') {
		p = s + 1;
		len--;
		while (len > 0 && al_isblank(*p)) {
			p++;
			len--;
		}
		return al_value(it, EXP_COMMAND, p, len, errstr);
	}
	if (s[0] == '/')
		return al_value(it, EXP_FILENAME, s, len, errstr);
	if (memchr(s, '@', len) != NULL) {
		/* A quoted local part ("\"john doe\"@example.org") is not a
		 * quoted item: its quotes reach the address parser. */
		if (mailaddr_parse(&it->en_addr, s, len, MAILADDR_UTF8,
		    errstr) == -1)
			return -1;
		if (it->en_addr.ma_user[0] == '\0' ||
		    it->en_addr.ma_domain[0] == '\0') {
			*errstr = "invalid address";
			return -1;
		}
		it->en_type = EXP_ADDRESS;
		return 0;
	}
	if (!al_username_ok(s, len)) {
		*errstr = "invalid user name";
		return -1;
	}
	memcpy(it->en_addr.ma_user, s, len);
	it->en_type = EXP_USERNAME;
	return 0;
}

/*
 * The item [s, s + len) as written.  If it is one quoted string, its
 * content (escapes undone) is classified instead.
 */
static int
al_item(const char *s, size_t len, expand_item_cb cb, void *arg,
    const char **errstr)
{
	struct expand_item	 it;
	char			 buf[ALIAS_RAW_MAX + 1];
	const char		*v;
	size_t			 i, n;
	int			 quoted = 0;
	char			 q;

	while (len > 0 && al_isblank(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && al_isblank(s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (len > ALIAS_RAW_MAX) {
		*errstr = "item too long";
		return -1;
	}
	v = s;
	n = len;
	q = s[0];
	if ((q == '"' || q == '\'') && len >= 2) {
		/* Find the closing quote; only a whole quoted item counts. */
		for (i = 1; i < len; i++) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == q)
				break;
		}
		if (i == len - 1) {
			n = 0;
			for (i = 1; i < len - 1; i++) {
				if (s[i] == '\\' && i + 1 < len - 1)
					i++;
				buf[n++] = s[i];
			}
			buf[n] = '\0';
			v = buf;
			quoted = 1;
		}
	}
	if (n == 0) {
		*errstr = "empty quoted item";
		return -1;
	}
	if (al_classify(&it, v, n, quoted, errstr) == -1)
		return -1;
	if (cb(arg, &it) == -1) {
		*errstr = "stopped by the caller";
		return -1;
	}
	return 0;
}

int
aliases_parse_items(const char *s, size_t len, expand_item_cb cb, void *arg,
    const char **errstr)
{
	size_t	 i, start = 0;
	char	 q = '\0';
	int	 at_start = 1, at_bol = 1;

	*errstr = NULL;
	if (memchr(s, '\0', len) != NULL) {
		*errstr = "NUL byte";
		return -1;
	}
	for (i = 0; i < len; i++) {
		char	c = s[i];

		if (q != '\0') {
			/* Quotes never span lines. */
			if (c == '\n' || (c == '\\' && i + 1 < len &&
			    s[i + 1] == '\n'))
				break;
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == q)
				q = '\0';
			continue;
		}
		/* A line whose first non-blank is '#' is a comment (.forward,
		 * :include: files). */
		if (at_bol && c == '#') {
			while (i + 1 < len && s[i + 1] != '\n')
				i++;
			start = i + 1;
			continue;
		}
		if (c == '\\') {
			if (i + 1 == len || s[i + 1] == '\n') {
				*errstr = "backslash at the end of a line";
				return -1;
			}
			i++;
			at_start = at_bol = 0;
			continue;
		}
		if (c == '"' || (c == '\'' && at_start)) {
			q = c;
			at_start = at_bol = 0;
			continue;
		}
		if (c == ',' || c == '\n') {
			if (al_item(s + start, i - start, cb, arg,
			    errstr) == -1)
				return -1;
			start = i + 1;
			at_start = 1;
			at_bol = c == '\n';
			continue;
		}
		if (!al_isblank(c))
			at_start = at_bol = 0;
	}
	if (q != '\0') {
		*errstr = "unbalanced quote";
		return -1;
	}
	return al_item(s + start, len - start, cb, arg, errstr);
}
