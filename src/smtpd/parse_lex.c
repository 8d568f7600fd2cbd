/*
 * smtpd.conf lexer: the keyword table, `file:line: message` error
 * reporting, the string pool, the stack of included files, macros and
 * the tokenizer behind yylex().
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 *
 * The input is parsed as if hostile: every file, line, token, macro
 * expansion and include depth is bounded, and a bad byte or an overlong
 * line refuses the file before the tokenizer sees it.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "postern_limits.h"
#include "parse.h"
#include "parse_internal.h"

struct pfile {
	char		*name;		/* as written */
	char		*buf;
	size_t		 len;
	size_t		 pos;
	int		 lineno;
	int		 eof_nl;	/* fake final newline returned */
	int		 start_nl;	/* ends the include line first */
	dev_t		 dev;
	ino_t		 ino;
	struct {
		struct macro	*m;
		const char	*val;	/* m's value when expanded */
		size_t		 pos;
	}		 frames[CONF_MAX_MACRO_DEPTH];
	int		 nframes;
};

/* A value lives in the string pool until parsing ends: a macro may be
 * redefined while an expansion of it is still being read. */
struct macro {
	TAILQ_ENTRY(macro) entry;
	char		*name;
	const char	*value;
	const char	*file;		/* NULL: from -D */
	int		 line;
	int		 used;
	int		 persist;
};

struct pool_str {
	struct pool_str	*next;
	char		 s[];
};

struct keyword {
	const char	*k_name;
	int		 k_val;
};

static const struct keyword keywords[] = {
	/* KEYWORDS BEGIN */
	{ "action",		ACTION },
	{ "admd",		ADMD },
	{ "alias",		ALIAS },
	{ "any",		ANY },
	{ "auth",		AUTH },
	{ "auth-optional",	AUTH_OPTIONAL },
	{ "backup",		BACKUP },
	{ "bare-cr",		BARE_CR },
	{ "bare-lf",		BARE_LF },
	{ "bounce",		BOUNCE },
	{ "bypass",		BYPASS },
	{ "ca",		CA },
	{ "cert",		CERT },
	{ "chain",		CHAIN },
	{ "chroot",		CHROOT },
	{ "ciphers",		CIPHERS },
	{ "commit",		COMMIT },
	{ "compression",	COMPRESSION },
	{ "connect",		CONNECT },
	{ "control",		CONTROL },
	{ "data",		DATA },
	{ "dhe",		DHE },
	{ "disconnect",	DISCONNECT },
	{ "domain",		DOMAIN },
	{ "ehlo",		EHLO },
	{ "encryption",	ENCRYPTION },
	{ "expand-only",	EXPAND_ONLY },
	{ "fcrdns",		FCRDNS },
	{ "filter",		FILTER },
	{ "for",		FOR },
	{ "forward-only",	FORWARD_ONLY },
	{ "from",		FROM },
	{ "group",		GROUP },
	{ "helo",		HELO },
	{ "helo-src",		HELO_SRC },
	{ "host",		HOST },
	{ "hostname",		HOSTNAME },
	{ "hostnames",		HOSTNAMES },
	{ "include",		INCLUDE },
	{ "inet4",		INET4 },
	{ "inet6",		INET6 },
	{ "junk",		JUNK },
	{ "key",		KEY },
	{ "limit",		LIMIT },
	{ "listen",		LISTEN },
	{ "lmtp",		LMTP },
	{ "local",		LOCAL },
	{ "mail-from",		MAIL_FROM },
	{ "maildir",		MAILDIR },
	{ "mask-src",		MASK_SRC },
	{ "masquerade",	MASQUERADE },
	{ "match",		MATCH },
	{ "max-deferred",	MAX_DEFERRED },
	{ "max-message-size",	MAX_MESSAGE_SIZE },
	{ "mbox",		MBOX },
	{ "mda",		MDA },
	{ "mta",		MTA },
	{ "mx",		MX },
	{ "no-dsn",		NO_DSN },
	{ "no-verify",		NO_VERIFY },
	{ "on",		ON },
	{ "path",		PATH },
	{ "phase",		PHASE },
	{ "pidfile",		PIDFILE },
	{ "pki",		PKI },
	{ "port",		PORT },
	{ "proc",		PROC },
	{ "proc-exec",		PROC_EXEC },
	{ "protocols",		PROTOCOLS },
	{ "proxy-v2",		PROXY_V2 },
	{ "queue",		QUEUE },
	{ "rcpt-to",		RCPT_TO },
	{ "rdns",		RDNS },
	{ "received-auth",	RECEIVED_AUTH },
	{ "regex",		REGEX },
	{ "reject",		REJECT },
	{ "relay",		RELAY },
	{ "report",		REPORT },
	{ "resolver",		RESOLVER },
	{ "retry-delay",	RETRY_DELAY },
	{ "rewrite",		REWRITE },
	{ "scheduler",		SCHEDULER },
	{ "senders",		SENDERS },
	{ "smtp",		SMTP },
	{ "smtps",		SMTPS },
	{ "socket",		SOCKET },
	{ "src",		SRC },
	{ "srs",		SRS },
	{ "sub-addr-delim",	SUB_ADDR_DELIM },
	{ "table",		TABLE },
	{ "tag",		TAG },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "tls-require",	TLS_REQUIRE },
	{ "ttl",		TTL },
	{ "user",		USER },
	{ "userbase",		USERBASE },
	{ "verify",		VERIFY },
	{ "virtual",		VIRTUAL },
	{ "warn-interval",	WARN_INTERVAL },
	{ "wrapper",		WRAPPER },
	/* KEYWORDS END */
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->k_name);
}

int
parse_keyword(const char *s)
{
	const struct keyword	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->k_val : STRING;
}

/* ------------------------------------------------------------------ */
/* Errors */

static struct pfile *
cur(void)
{
	return ps.nfiles > 0 ? ps.files[ps.nfiles - 1] : NULL;
}

const char *
parse_file_name(void)
{
	if (ps.nfiles > 0)
		return ps.files[ps.nfiles - 1]->name;
	return ps.topfile != NULL ? ps.topfile->name : "?";
}

static void
vperr_file(const char *file, int line, const char *fmt, va_list ap)
{
	if (ps.gave_up)
		return;
	ps.errors++;
	fprintf(ps.err, "%s:%d: ", file, line);
	vfprintf(ps.err, fmt, ap);
	fputc('\n', ps.err);
	if (ps.errors >= CONF_MAX_ERRORS) {
		fprintf(ps.err, "%s: too many errors, giving up\n", file);
		ps.gave_up = 1;
	}
}

void
parse_error_file(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(file, line, fmt, ap);
	va_end(ap);
}

/* An error at the current token. */
void
parse_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(parse_file_name(), ps.tok_line, fmt, ap);
	va_end(ap);
}

/* An error at a given line of the current file. */
void
parse_error_at(int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(parse_file_name(), line, fmt, ap);
	va_end(ap);
}

static char	tok_text[48];

void
parse_yyerror(const char *msg)
{
	if (ps.lex_error)
		return;		/* the lexer said what was wrong */
	/* a statement is a keyword or a macro definition: a word that is
	 * neither, followed by anything but '=', is an unknown keyword */
	if (ps.stmt_first == STRING && (ps.stmt_ntok == 1 ||
	    (ps.stmt_ntok == 2 && ps.last_tok != '='))) {
		parse_error_at(ps.stmt_line, "unknown keyword: %s",
		    ps.stmt_word);
		return;
	}
	if (tok_text[0] == '\0')
		parse_error("%s at end of line", msg);
	else
		parse_error("%s near \"%s\"", msg, tok_text);
}

void
parse_nomem(void)
{
	parse_error("out of memory");
}

/* A string that lives until parsing ends. */
char *
parse_strdup(const char *s)
{
	struct pool_str	*p;
	size_t		 len;

	len = strlen(s);
	if ((p = malloc(sizeof(*p) + len + 1)) == NULL) {
		parse_nomem();
		return (char *)"";	/* never written to */
	}
	memcpy(p->s, s, len + 1);
	p->next = ps.pool;
	ps.pool = p;
	return p->s;
}

/* A string owned by the config. */
char *
parse_xstrdup(const char *s)
{
	char	*r;

	if (s == NULL)
		return NULL;
	if ((r = strdup(s)) == NULL)
		parse_nomem();
	return r;
}

/* ------------------------------------------------------------------ */
/* Files */

/* A file-level error: at the include line for an included file, else
 * just "path: message" for the file named on the command line. */
static void
file_err(const char *path, int include, const char *msg)
{
	if (include)
		parse_error("%s: %s", path, msg);
	else if (!ps.gave_up) {
		fprintf(ps.err, "%s: %s\n", path, msg);
		ps.errors++;
	}
}

static int
load_file(struct pfile *f, int fd, int include)
{
	struct stat	 st;
	size_t		 off, linestart;
	ssize_t		 n;
	int		 line, bad = 0;

	if (fstat(fd, &st) == -1) {
		file_err(f->name, include, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		file_err(f->name, include, "not a regular file");
		return -1;
	}
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		file_err(f->name, include, "file too large");
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if ((f->buf = malloc((size_t)st.st_size + 1)) == NULL) {
		parse_nomem();
		return -1;
	}
	off = 0;
	while (off < (size_t)st.st_size) {
		n = read(fd, f->buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			file_err(f->name, include, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	f->len = off;
	f->buf[off] = '\0';

	/* Refuse the whole file on NUL bytes or overlong lines: the
	 * lexer then never sees them. */
	line = 1;
	linestart = 0;
	for (off = 0; off <= f->len; off++) {
		if (off < f->len && f->buf[off] == '\0') {
			parse_error_file(f->name, line,
			    "NUL byte in configuration");
			bad = 1;
			/* one report per line is enough */
			while (off < f->len && f->buf[off] != '\n')
				off++;
		}
		if (off == f->len || f->buf[off] == '\n') {
			if (off - linestart > CONF_MAX_LINE) {
				parse_error_file(f->name, line,
				    "line too long (more than %d bytes)",
				    CONF_MAX_LINE);
				bad = 1;
			}
			line++;
			linestart = off + 1;
		}
	}
	return bad ? -1 : 0;
}

static void
pfile_free(struct pfile *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

/* Open path and make it the current input.  An include reports its
 * failures at the include line of the current file. */
static int
pushfile(const char *path, int include)
{
	struct pfile	*f;
	struct stat	 st;
	int		 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (include)
			parse_error("failed to include file %s: %s", path,
			    strerror(errno));
		else
			file_err(path, 0, strerror(errno));
		return -1;
	}
	if (include && fstat(fd, &st) == 0) {
		for (i = 0; i < ps.nfiles; i++) {
			if (ps.files[i]->dev == st.st_dev &&
			    ps.files[i]->ino == st.st_ino) {
				parse_error("include recursion: %s is already "
				    "being read", path);
				close(fd);
				return -1;
			}
		}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		parse_nomem();
		close(fd);
		return -1;
	}
	f->name = parse_strdup(path);
	f->lineno = 1;
	if (load_file(f, fd, include) == -1) {
		close(fd);
		pfile_free(f);
		return -1;
	}
	close(fd);
	/* yacc may have reduced the include before reading the newline
	 * that ends it: give it one, an extra one is a blank line */
	f->start_nl = include;
	ps.files[ps.nfiles++] = f;
	if (ps.topfile == NULL)
		ps.topfile = f;
	return 0;
}

void
parse_include(const char *path)
{
	if (ps.opts->co_no_include) {
		parse_error("include is not allowed here");
		return;
	}
	if (ps.nfiles > CONF_MAX_INCLUDE_DEPTH) {
		parse_error("includes nested too deeply (at most %d)",
		    CONF_MAX_INCLUDE_DEPTH);
		return;
	}
	(void)pushfile(path, 1);
}

/* ------------------------------------------------------------------ */
/* Macros */

static int
macro_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > CONF_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static struct macro *
macro_get(const char *name)
{
	struct macro	*m;

	TAILQ_FOREACH(m, &ps.macros, entry)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static struct macro *
macro_add(const char *name, const char *value, int persist)
{
	struct macro	*m;

	if (ps.nmacros >= CONF_MAX_MACROS) {
		parse_error("too many macros (at most %d)", CONF_MAX_MACROS);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(name)) == NULL) {
		free(m);
		parse_nomem();
		return NULL;
	}
	m->value = parse_strdup(value);
	m->persist = persist;
	TAILQ_INSERT_TAIL(&ps.macros, m, entry);
	ps.nmacros++;
	return m;
}

void
parse_macro_set(const char *name, const char *value)
{
	struct macro	*m;

	if (!macro_name_ok(name)) {
		parse_error("invalid macro name: %s", name);
		return;
	}
	if ((m = macro_get(name)) != NULL) {
		if (m->persist)
			return;		/* -D wins */
		m->value = parse_strdup(value);
	} else if ((m = macro_add(name, value, 0)) == NULL)
		return;
	m->file = parse_file_name();
	m->line = ps.tok_line;
	m->used = 0;
}

static void
macros_free(void)
{
	struct macro	*m;

	while ((m = TAILQ_FIRST(&ps.macros)) != NULL) {
		TAILQ_REMOVE(&ps.macros, m, entry);
		free(m->name);
		free(m);
	}
	ps.nmacros = 0;
}

/* ------------------------------------------------------------------ */
/* Lexer */

#define LEOF	(-1)

/* The next character without consuming it: from the innermost macro
 * being expanded, else from the file, where backslash-newline pairs
 * are line continuations and vanish. */
static int
lpeek(void)
{
	struct pfile	*f;
	int		 i;

	if ((f = cur()) == NULL)
		return LEOF;
	for (i = f->nframes - 1; i >= 0; i--) {
		if (f->frames[i].val[f->frames[i].pos] != '\0')
			return (unsigned char)
			    f->frames[i].val[f->frames[i].pos];
	}
	while (f->pos + 1 < f->len && f->buf[f->pos] == '\\' &&
	    f->buf[f->pos + 1] == '\n') {
		f->pos += 2;
		f->lineno++;
	}
	if (f->pos >= f->len)
		return LEOF;
	return (unsigned char)f->buf[f->pos];
}

static int
lgetc(void)
{
	struct pfile	*f;
	int		 c, i;

	if ((c = lpeek()) == LEOF)
		return LEOF;
	f = cur();
	for (i = f->nframes - 1; i >= 0; i--) {
		if (f->frames[i].val[f->frames[i].pos] != '\0') {
			f->frames[i].pos++;
			return c;
		}
	}
	f->pos++;
	if (c == '\n')
		f->lineno++;
	return c;
}

/* Skip the rest of the line (not its newline) after a lexical error. */
static int
findeol(void)
{
	int	c;

	while ((c = lpeek()) != LEOF && c != '\n')
		(void)lgetc();
	ps.lex_error = 1;
	tok_text[0] = '\0';
	return ERROR;
}

static int
in_word(int c)
{
	if (c == LEOF || c > 0x7f)
		return 0;
	if (isalnum(c))
		return 1;
	return ispunct(c) && strchr("(){}<>!=#,\"'", c) == NULL;
}

static int
is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
expand_macro(struct pfile *f)
{
	char		 name[CONF_MAX_NAME + 1];
	struct macro	*m;
	size_t		 n = 0;
	int		 c, i;

	(void)lgetc();			/* '$' */
	while ((c = lpeek()) != LEOF && (isalnum(c) || c == '_')) {
		if (n >= CONF_MAX_NAME) {
			parse_error("macro name too long");
			return findeol();
		}
		name[n++] = (char)lgetc();
	}
	name[n] = '\0';
	if (n == 0) {
		parse_error("'$' must be followed by a macro name");
		return findeol();
	}
	if ((m = macro_get(name)) == NULL) {
		parse_error("macro '%s' not defined", name);
		return findeol();
	}
	for (i = 0; i < f->nframes; i++) {
		if (f->frames[i].m == m) {
			parse_error("macro '%s' expands to itself", name);
			return findeol();
		}
	}
	if (f->nframes >= CONF_MAX_MACRO_DEPTH) {
		parse_error("macros nested too deeply (at most %d)",
		    CONF_MAX_MACRO_DEPTH);
		return findeol();
	}
	m->used = 1;
	f->frames[f->nframes].m = m;
	f->frames[f->nframes].val = m->value;
	f->frames[f->nframes].pos = 0;
	f->nframes++;
	return 0;
}

static int
lex_quoted(char *buf)
{
	size_t	n = 0;
	int	c, q, next;

	q = lgetc();
	for (;;) {
		c = lpeek();
		if (c == LEOF || c == '\n') {
			parse_error("unterminated quoted string");
			return findeol();
		}
		(void)lgetc();
		if (c == q)
			break;
		if (c == '\\') {
			next = lpeek();
			if (next == q || next == '\\')
				c = lgetc();
		}
		if (n >= CONF_MAX_TOKEN) {
			parse_error("string too long (more than %d bytes)",
			    CONF_MAX_TOKEN);
			return findeol();
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	(void)strlcpy(tok_text, buf, sizeof(tok_text));
	yylval.v.string = parse_strdup(buf);
	return STRING;
}

static int
lex_word(char *buf, size_t n)
{
	const char	*errstr;
	int		 c, tok;

	while (in_word(c = lpeek())) {
		if (n >= CONF_MAX_TOKEN) {
			parse_error("string too long (more than %d bytes)",
			    CONF_MAX_TOKEN);
			return findeol();
		}
		buf[n++] = (char)lgetc();
	}
	buf[n] = '\0';
	(void)strlcpy(tok_text, buf, sizeof(tok_text));
	if (is_number(buf)) {
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			parse_error("\"%s\" invalid number: %s", buf, errstr);
			return findeol();
		}
		yylval.text = parse_strdup(buf);
		return NUMBER;
	}
	if ((tok = parse_keyword(buf)) == STRING)
		yylval.v.string = parse_strdup(buf);
	return tok;
}

static int
lex(void)
{
	char		 buf[CONF_MAX_TOKEN + 1];
	struct pfile	*f;
	int		 c, r;

top:
	if (ps.gave_up || (f = cur()) == NULL)
		return 0;
	if (f->start_nl) {
		f->start_nl = 0;
		tok_text[0] = '\0';
		return '\n';
	}
	/* macros fully read are done with at a token boundary */
	while (f->nframes > 0 &&
	    f->frames[f->nframes - 1].val[f->frames[f->nframes - 1].pos]
	    == '\0')
		f->nframes--;
	while ((c = lpeek()) == ' ' || c == '\t' || c == '\r')
		(void)lgetc();
	ps.tok_line = f->lineno;
	yylval.lineno = f->lineno;
	tok_text[0] = '\0';
	if (c == '#') {
		while ((c = lpeek()) != '\n' && c != LEOF)
			(void)lgetc();
	}
	if (c == LEOF) {
		if (!f->eof_nl) {
			/* a last line without newline still ends */
			f->eof_nl = 1;
			return '\n';
		}
		if (ps.nfiles == 1)
			return 0;
		pfile_free(f);
		ps.files[--ps.nfiles] = NULL;
		goto top;
	}
	if (c == '$') {
		if ((r = expand_macro(f)) != 0)
			return r;
		goto top;
	}
	if (c == '"' || c == '\'')
		return lex_quoted(buf);
	if (c == '-' || c == '=') {
		(void)lgetc();
		if (lpeek() == '>') {
			(void)lgetc();
			(void)strlcpy(tok_text, c == '-' ? "->" : "=>",
			    sizeof(tok_text));
			return ARROW;
		}
		if (c == '=') {
			(void)strlcpy(tok_text, "=", sizeof(tok_text));
			return '=';
		}
		if (!isdigit(lpeek())) {
			parse_error("unexpected character '-'");
			return findeol();
		}
		buf[0] = '-';
		return lex_word(buf, 1);
	}
	if (c < 0x80 && (isalnum(c) || c == ':' || c == '_' || c == '*'))
		return lex_word(buf, 0);
	(void)lgetc();
	if (c == '\n')
		return '\n';
	if (strchr("{}<>,!", c) != NULL) {
		tok_text[0] = (char)c;
		tok_text[1] = '\0';
		return c;
	}
	if (isprint(c))
		parse_error("unexpected character '%c'", c);
	else
		parse_error("unexpected character 0x%02x", (unsigned int)c);
	return findeol();
}

int
parse_yylex(void)
{
	int	tok;

	ps.lex_error = 0;
	tok = lex();
	if (tok == '\n' || tok == 0) {
		ps.at_stmt_start = 1;
		return tok;
	}
	if (ps.at_stmt_start) {
		ps.at_stmt_start = 0;
		ps.stmt_ntok = 0;
		ps.stmt_line = ps.tok_line;
		ps.stmt_first = tok;
		(void)strlcpy(ps.stmt_word, tok_text, sizeof(ps.stmt_word));
	}
	ps.stmt_ntok++;
	ps.last_tok = tok;
	return tok;
}

/* ------------------------------------------------------------------ */
/* Start and end of a parse, for config_parse() */

void
parse_lex_begin(void)
{
	TAILQ_INIT(&ps.macros);
	tok_text[0] = '\0';
}

/* A -D macro: a definition in the file does not override it. */
void
parse_macro_define(const char *name, const char *value)
{
	(void)macro_add(name, value, 1);
}

/* Open the file named on the command line. */
int
parse_lex_open(const char *path)
{
	return pushfile(path, 0);
}

/* The last line of the top file and its name, for errors about the
 * file as a whole. */
int
parse_lex_last_line(const char **name)
{
	int	lastline;

	lastline = ps.topfile->lineno;
	if (ps.topfile->len > 0 &&
	    ps.topfile->buf[ps.topfile->len - 1] == '\n')
		lastline--;
	if (lastline < 1)
		lastline = 1;
	*name = ps.topfile->name;
	return lastline;
}

void
parse_macros_warn_unused(void)
{
	struct macro	*m;

	TAILQ_FOREACH(m, &ps.macros, entry) {
		if (m->used)
			continue;
		if (m->file != NULL)
			fprintf(ps.err, "%s:%d: warning: macro "
			    "'%s' not used\n", m->file, m->line,
			    m->name);
		else
			fprintf(ps.err, "warning: macro '%s' "
			    "(-D) not used\n", m->name);
	}
}

/* Free the files, macros and string pool of the parse. */
void
parse_lex_end(void)
{
	struct pool_str	*p;

	while (ps.nfiles > 0)
		pfile_free(ps.files[--ps.nfiles]);
	macros_free();
	while ((p = ps.pool) != NULL) {
		ps.pool = p->next;
		free(p);
	}
}
