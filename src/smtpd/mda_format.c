/*
 * Format specifiers of delivery arguments (OpenSMTPD's %{...} and a
 * leading ~), expanded inside a delivery child, as the recipient user.
 * The envelope is the input: its addresses come from the network, so
 * every value is either used as one path string (maildir, mbox, file)
 * or inserted into a shell command as exactly one quoted word.
 *
 * Syntax: %{name[range]:mod|mod}.  Names: sender, sender.user,
 * sender.domain, rcpt, rcpt.user, rcpt.domain, dest, dest.user,
 * dest.domain, user.username, user.directory, mbox.from.  Ranges pick
 * characters, inclusive, negative counting from the end: [N], [N:],
 * [-N:], [N:M], [N:-M].  Modifiers: lowercase, uppercase, strip (drop
 * the sub-address tag), raw (keep the characters below).  Without raw,
 * each of !#$%&'*?/^`{|}~ in a value (not user.directory) becomes ':',
 * as in OpenSMTPD.
 *
 * Shell commands (MDA_FMT_SHELL): the template is the administrator's,
 * the values are not.  A small lexer follows the template's quoting
 * (unquoted, '...', "...") and inserts each value so that it stays one
 * literal word there: 'v' unquoted, v inside '...', "'v'" inside "...",
 * with every ' of the value written '\''.  A specifier that follows a
 * command substitution or parameter expansion ($( ` ${) or a here-
 * document (<<) is refused: its quoting context cannot be known without
 * a full shell parser.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "envelope.h"
#include "mailaddr.h"

#define FMT_TOKEN_MAX	64
#define FMT_ESCAPE	"!#$%&'*?/^`{|}~"

struct fmt_out {
	char	*fo_buf;
	size_t	 fo_len;
	size_t	 fo_off;
	int	 fo_over;
};

enum fmt_ctx { CTX_NONE, CTX_SINGLE, CTX_DOUBLE };

static void
out_ch(struct fmt_out *fo, char c)
{
	if (fo->fo_off + 1 >= fo->fo_len) {
		fo->fo_over = 1;
		return;
	}
	fo->fo_buf[fo->fo_off++] = c;
	fo->fo_buf[fo->fo_off] = '\0';
}

static void
out_str(struct fmt_out *fo, const char *s)
{
	while (*s != '\0')
		out_ch(fo, *s++);
}

/* The value inside single quotes: ' becomes '\'' */
static void
out_squoted(struct fmt_out *fo, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			out_str(fo, "'\\''");
		else
			out_ch(fo, *s);
	}
}

static void
fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Drop "+tag" from the local part. */
static void
strip_tag(char *user, char delim)
{
	char	*p;

	if (delim != '\0' && (p = strchr(user, delim)) != NULL && p != user)
		*p = '\0';
}

static int
addr_value(const struct mailaddr *ma, const char *part, int strip,
    char delim, char *out, size_t outlen)
{
	struct mailaddr	a = *ma;

	if (strip)
		strip_tag(a.ma_user, delim);
	if (part == NULL)
		return mailaddr_format(&a, out, outlen) < 0 ? -1 : 0;
	if (strcmp(part, "user") == 0)
		return strlcpy(out, a.ma_user, outlen) >= outlen ? -1 : 0;
	if (strcmp(part, "domain") == 0)
		return strlcpy(out, a.ma_domain, outlen) >= outlen ? -1 : 0;
	return -1;
}

/* The raw value of one name; *sanitise says whether it may be altered. */
static int
token_value(const char *name, const struct envelope *evp, int strip,
    char delim, char *out, size_t outlen, int *sanitise)
{
	static const struct {
		const char	*prefix;
		size_t		 off;
	} addrs[] = {
		{ "sender",	offsetof(struct envelope, evp_sender) },
		{ "rcpt",	offsetof(struct envelope, evp_rcpt) },
		{ "dest",	offsetof(struct envelope, evp_dest) },
	};
	const struct mailaddr	*ma;
	const char		*dot;
	size_t			 i, plen;

	*sanitise = 1;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		plen = strlen(addrs[i].prefix);
		if (strncmp(name, addrs[i].prefix, plen) != 0)
			continue;
		if (name[plen] != '\0' && name[plen] != '.')
			continue;
		ma = (const struct mailaddr *)(const void *)
		    ((const char *)evp + addrs[i].off);
		dot = name[plen] == '.' ? name + plen + 1 : NULL;
		return addr_value(ma, dot, strip, delim, out, outlen);
	}
	if (strcmp(name, "user.username") == 0)
		return strlcpy(out, evp->evp_user, outlen) >= outlen ? -1 : 0;
	if (strcmp(name, "user.directory") == 0) {
		*sanitise = 0;
		return strlcpy(out, evp->evp_home, outlen) >= outlen ? -1 : 0;
	}
	if (strcmp(name, "mbox.from") == 0) {
		if (mailaddr_is_null(&evp->evp_sender))
			return strlcpy(out, "MAILER-DAEMON", outlen) >= outlen ?
			    -1 : 0;
		return addr_value(&evp->evp_sender, NULL, strip, delim, out,
		    outlen);
	}
	return -1;
}

static int
parse_off(const char **pp, long *v)
{
	char	*end;

	if (**pp != '-' && !isdigit((unsigned char)**pp))
		return -1;
	*v = strtol(*pp, &end, 10);
	if (end == *pp || *v > 100000 || *v < -100000)
		return -1;
	*pp = end;
	return 0;
}

/* "[N]", "[N:]", "[N:M]" on value (inclusive, negative from the end). */
static int
apply_range(const char *range, char *value)
{
	long		 beg, end, len = (long)strlen(value);
	const char	*p = range;

	if (parse_off(&p, &beg) == -1)
		return -1;
	if (*p == ']')
		end = beg;
	else if (*p == ':' && p[1] == ']')
		end = -1;
	else if (*p == ':') {
		p++;
		if (parse_off(&p, &end) == -1 || *p != ']')
			return -1;
	} else
		return -1;
	if (beg < 0)
		beg += len;
	if (end < 0)
		end += len;
	if (beg < 0)
		beg = 0;
	if (end >= len)
		end = len - 1;
	if (len == 0 || beg > end) {
		value[0] = '\0';
		return 0;
	}
	memmove(value, value + beg, (size_t)(end - beg + 1));
	value[end - beg + 1] = '\0';
	return 0;
}

/*
 * Expand the token between "%{" and "}" (tok, toklen) into value.
 */
static int
expand_token(const char *tok, size_t toklen, const struct envelope *evp,
    char delim, char *value, size_t valuelen, char *err, size_t errlen)
{
	char	 copy[FMT_TOKEN_MAX], name[FMT_TOKEN_MAX];
	char	*mods, *range, *m, *next;
	int	 lower = 0, upper = 0, strip = 0, raw = 0, sanitise;
	size_t	 i;

	if (toklen == 0 || toklen >= sizeof(copy)) {
		fmt_err(err, errlen, "bad format specifier");
		return -1;
	}
	memcpy(copy, tok, toklen);
	copy[toklen] = '\0';
	if ((mods = strchr(copy, ':')) != NULL &&
	    ((range = strchr(copy, '[')) == NULL || range > mods))
		*mods++ = '\0';
	else if (mods != NULL && (m = strchr(copy, ']')) != NULL &&
	    (mods = strchr(m, ':')) != NULL)
		*mods++ = '\0';
	else
		mods = NULL;
	if ((range = strchr(copy, '[')) != NULL) {
		*range++ = '\0';
		if (range[0] == '\0' || range[strlen(range) - 1] != ']') {
			fmt_err(err, errlen, "bad range in %%{%s}", copy);
			return -1;
		}
	}
	for (m = mods; m != NULL; m = next) {
		if ((next = strchr(m, '|')) != NULL)
			*next++ = '\0';
		if (strcmp(m, "lowercase") == 0)
			lower = 1;
		else if (strcmp(m, "uppercase") == 0)
			upper = 1;
		else if (strcmp(m, "strip") == 0)
			strip = 1;
		else if (strcmp(m, "raw") == 0)
			raw = 1;
		else {
			fmt_err(err, errlen, "unknown modifier \"%s\" in "
			    "%%{%s}", m, copy);
			return -1;
		}
	}
	(void)strlcpy(name, copy, sizeof(name));
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (token_value(name, evp, strip, delim, value, valuelen,
	    &sanitise) == -1) {
		fmt_err(err, errlen, "unknown format specifier %%{%s}", name);
		return -1;
	}
	if (range != NULL && apply_range(range, value) == -1) {
		fmt_err(err, errlen, "bad range in %%{%s}", name);
		return -1;
	}
	for (i = 0; value[i] != '\0'; i++) {
		if (lower)
			value[i] = (char)tolower((unsigned char)value[i]);
		if (upper)
			value[i] = (char)toupper((unsigned char)value[i]);
		if (!raw && sanitise && strchr(FMT_ESCAPE, value[i]) != NULL)
			value[i] = ':';
	}
	return 0;
}

int
mda_format(char *buf, size_t len, const char *fmt,
    const struct envelope *evp, char delim, int flags, char *err,
    size_t errlen)
{
	struct fmt_out	 fo = { buf, len, 0, 0 };
	enum fmt_ctx	 ctx = CTX_NONE;
	char		 value[ENVELOPE_ARG_MAX + 1];
	const char	*p, *end;
	int		 shell = (flags & MDA_FMT_SHELL) != 0, opaque = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	err[0] = '\0';
	p = fmt;
	if (!shell && p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		out_str(&fo, evp->evp_home);
		p++;
	}
	while (*p != '\0') {
		if (p[0] == '%' && p[1] == '{') {
			if ((end = strchr(p + 2, '}')) == NULL) {
				fmt_err(err, errlen, "unterminated %%{");
				return -1;
			}
			if (shell && opaque) {
				fmt_err(err, errlen, "format specifier after "
				    "a command substitution, parameter "
				    "expansion or here-document");
				return -1;
			}
			if (expand_token(p + 2, (size_t)(end - p - 2), evp,
			    delim, value, sizeof(value), err, errlen) == -1)
				return -1;
			if (!shell)
				out_str(&fo, value);
			else if (ctx == CTX_SINGLE)
				out_squoted(&fo, value);
			else {
				out_str(&fo, ctx == CTX_DOUBLE ? "\"'" : "'");
				out_squoted(&fo, value);
				out_str(&fo, ctx == CTX_DOUBLE ? "'\"" : "'");
			}
			p = end + 1;
			continue;
		}
		if (shell) {
			switch (ctx) {
			case CTX_NONE:
			case CTX_DOUBLE:
				if (p[0] == '`' || (p[0] == '$' &&
				    (p[1] == '(' || p[1] == '{')) ||
				    (ctx == CTX_NONE && p[0] == '<' &&
				    p[1] == '<'))
					opaque = 1;
				if (p[0] == '\\' && p[1] != '\0') {
					out_ch(&fo, *p++);
					break;
				}
				if (ctx == CTX_NONE && p[0] == '\'')
					ctx = CTX_SINGLE;
				else if (p[0] == '"')
					ctx = ctx == CTX_DOUBLE ? CTX_NONE :
					    CTX_DOUBLE;
				break;
			case CTX_SINGLE:
				if (p[0] == '\'')
					ctx = CTX_NONE;
				break;
			}
		}
		out_ch(&fo, *p++);
	}
	if (fo.fo_over) {
		fmt_err(err, errlen, "expansion too long");
		return -1;
	}
	return 0;
}
