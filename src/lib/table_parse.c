/*
 * The table(5) and aliases(5) file syntax (include/aliases.h).  Runs in
 * lka (loading file: tables and aliases) and in smtpctl/newaliases
 * (checking them).  The file is written by the administrator, but it
 * is still parsed as untrusted bytes: NUL bytes, over-long lines and
 * malformed entries are refused with a line number, never guessed at.
 * Library code: no logging, no exit.
 *
 * The rules follow OpenSMTPD's table_static loader (COMPAT.md 3.2):
 *  - each line is trimmed; a line whose first non-blank character is
 *    '#' is a comment (only whole lines: a '#' after data is data);
 *  - the first data line decides: if it holds a blank or a ':', the
 *    file is a mapping, else a list; a comment "# @list" before the
 *    first data line forces a list (whose entries may then hold ':',
 *    e.g. IPv6 addresses);
 *  - a mapping line is a key ending at the first blank or ':', then
 *    blanks and ": " separators, then the value (the rest of the line);
 *    a key without a value is an error, and so is a list line in a
 *    mapping file or a mapping line in a list file;
 *  - keys are lower-cased (ASCII only, independent of the locale).
 * With TABLE_PARSE_ALIASES the file is always a mapping, and a line
 * starting with a blank continues the previous entry's value: it is
 * joined with a ',' (aliases_parse_items() skips the empty item that a
 * trailing ',' then leaves), so a continuation line always starts new
 * items.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"

enum tp_type {
	TP_NONE,
	TP_LIST,
	TP_MAPPING,
};

struct tp_state {
	enum tp_type	 tp_type;
	int		 tp_forced;	/* "# @list" seen */
	int		 tp_flags;
	table_entry_cb	 tp_cb;
	void		*tp_arg;
	char		*tp_err;
	size_t		 tp_errlen;

	/* the entry being built (TABLE_PARSE_ALIASES: may continue) */
	char		*tp_entry;	/* key NUL value NUL */
	size_t		 tp_keylen;
	size_t		 tp_vallen;	/* 0: no entry pending */
	int		 tp_pending;
	int		 tp_line;
};

static int
tp_isblank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
tp_error(struct tp_state *tp, int line, const char *what)
{
	if (tp->tp_errlen == 0)
		return -1;
	if (line == 0)
		(void)snprintf(tp->tp_err, tp->tp_errlen, "%s", what);
	else
		(void)snprintf(tp->tp_err, tp->tp_errlen, "line %d: %s", line,
		    what);
	return -1;
}

/* Trim blanks on both sides of [*s, *s + *len). */
static void
tp_trim(const char **s, size_t *len)
{
	while (*len > 0 && tp_isblank((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && tp_isblank((*s)[*len - 1]))
		(*len)--;
}

static int
tp_flush(struct tp_state *tp)
{
	char	*val;
	int	 rv;

	if (!tp->tp_pending)
		return 0;
	tp->tp_pending = 0;
	val = tp->tp_type == TP_LIST ? NULL : tp->tp_entry + tp->tp_keylen + 1;
	rv = tp->tp_cb(tp->tp_arg, tp->tp_entry, val, tp->tp_line);
	if (rv == -1)
		return tp_error(tp, tp->tp_line, "stopped by the caller");
	return 0;
}

/* A first "# @list" comment forces a list. */
static void
tp_comment(struct tp_state *tp, const char *s, size_t len)
{
	s++;
	len--;
	tp_trim(&s, &len);
	if (tp->tp_type == TP_NONE && len == 5 && memcmp(s, "@list", 5) == 0)
		tp->tp_forced = 1;
}

static int
tp_data(struct tp_state *tp, const char *s, size_t len, int line)
{
	const char	*val;
	size_t		 klen, vlen, i;

	for (klen = 0; klen < len; klen++)
		if (tp_isblank(s[klen]) || s[klen] == ':')
			break;
	if (tp->tp_type == TP_NONE) {
		if (tp->tp_flags & TABLE_PARSE_ALIASES)
			tp->tp_type = TP_MAPPING;
		else if (tp->tp_forced || klen == len)
			tp->tp_type = TP_LIST;
		else
			tp->tp_type = TP_MAPPING;
	}
	if (tp->tp_type == TP_LIST) {
		if (tp->tp_forced) {
			for (klen = 0; klen < len; klen++)
				if (tp_isblank(s[klen]))
					break;
		}
		if (klen != len)
			return tp_error(tp, line,
			    "a mapping line in a list file");
		vlen = 0;
		val = s + len;
	} else {
		if (klen == 0)
			return tp_error(tp, line, "empty key");
		val = s + klen;
		vlen = len - klen;
		/* Blanks and ": " separators; a ':' right after the key
		 * needs no blank after it ("key:value"), nor one at the
		 * end of the line. */
		if (vlen > 0 && val[0] == ':') {
			val++;
			vlen--;
		}
		while (vlen > 0 && (tp_isblank(val[0]) ||
		    (val[0] == ':' && (vlen == 1 || tp_isblank(val[1]))))) {
			val++;
			vlen--;
		}
		if (vlen == 0)
			return tp_error(tp, line, klen == len ?
			    "a list line in a mapping file" :
			    "key without a value");
	}
	if (klen + vlen + 2 > TABLE_MAX_LINE)
		return tp_error(tp, line, "entry too long");
	if (tp_flush(tp) == -1)
		return -1;
	memcpy(tp->tp_entry, s, klen);
	for (i = 0; i < klen; i++)
		if (tp->tp_entry[i] >= 'A' && tp->tp_entry[i] <= 'Z')
			tp->tp_entry[i] += 'a' - 'A';
	tp->tp_entry[klen] = '\0';
	memcpy(tp->tp_entry + klen + 1, val, vlen);
	tp->tp_entry[klen + 1 + vlen] = '\0';
	tp->tp_keylen = klen;
	tp->tp_vallen = vlen;
	tp->tp_pending = 1;
	tp->tp_line = line;
	if ((tp->tp_flags & TABLE_PARSE_ALIASES) == 0)
		return tp_flush(tp);
	return 0;
}

static int
tp_continue(struct tp_state *tp, const char *s, size_t len, int line)
{
	size_t	 at;

	if (!tp->tp_pending)
		return tp_error(tp, line, "continuation line without an entry");
	if (tp->tp_keylen + tp->tp_vallen + len + 3 > TABLE_MAX_LINE)
		return tp_error(tp, line, "entry too long");
	at = tp->tp_keylen + 1 + tp->tp_vallen;
	tp->tp_entry[at++] = ',';
	memcpy(tp->tp_entry + at, s, len);
	tp->tp_entry[at + len] = '\0';
	tp->tp_vallen += len + 1;
	return 0;
}

int
table_parse_file(const char *buf, size_t len, int flags, table_entry_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct tp_state	 tp;
	const char	*p, *end, *eol, *next, *s;
	size_t		 n, raw;
	int		 line, rv = -1;

	if (errlen > 0)
		err[0] = '\0';
	memset(&tp, 0, sizeof(tp));
	tp.tp_flags = flags;
	tp.tp_cb = cb;
	tp.tp_arg = arg;
	tp.tp_err = err;
	tp.tp_errlen = errlen;
	if (len > TABLE_MAX_FILE)
		return tp_error(&tp, 0, "file too large");
	if ((tp.tp_entry = malloc(TABLE_MAX_LINE)) == NULL)
		return tp_error(&tp, 0, "out of memory");

	end = buf + len;
	for (p = buf, line = 0; p < end; p = next) {
		line++;
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		raw = eol - p;
		if (memchr(p, '\0', raw) != NULL) {
			tp_error(&tp, line, "NUL byte");
			goto done;
		}
		if (raw >= TABLE_MAX_LINE) {
			tp_error(&tp, line, "line too long");
			goto done;
		}
		s = p;
		n = raw;
		tp_trim(&s, &n);
		if (n == 0)
			continue;
		if (s[0] == '#') {
			tp_comment(&tp, s, n);
			continue;
		}
		if ((flags & TABLE_PARSE_ALIASES) && tp_isblank(p[0])) {
			if (tp_continue(&tp, s, n, line) == -1)
				goto done;
			continue;
		}
		if (tp_data(&tp, s, n, line) == -1)
			goto done;
	}
	if (tp_flush(&tp) == -1)
		goto done;
	rv = 0;

 done:
	free(tp.tp_entry);
	return rv;
}
