/*
 * SMTP command syntax: splitting a command line into verb and argument,
 * and parsing the arguments of MAIL, RCPT, BDAT and HELO/EHLO (RFC 5321
 * 4.1, with the parameters of RFC 1870, 3030, 3461, 4954, 6152 and
 * 6531).  Runs in the smtp process on lines read from clients, which
 * are entirely untrusted: every byte is checked, every length bounded,
 * and every failure is an SMTP reply, never a crash.  Library code: it
 * never logs, never exits and keeps no state between calls; what is
 * allowed when is the session's business, and what an address may reach
 * is lka's.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mailaddr.h"
#include "smtp_parse.h"

#define KEYWORD_MAX	32	/* longest esmtp-keyword we look at */

/* Parameters of MAIL and RCPT, one bit each to find duplicates. */
enum param {
	P_SIZE = 0,
	P_BODY,
	P_SMTPUTF8,
	P_RET,
	P_ENVID,
	P_AUTH,
	P_NOTIFY,
	P_ORCPT,
	P_UNKNOWN
};

struct param_def {
	const char	*pd_name;
	enum param	 pd_param;
	int		 pd_rcpt;	/* a RCPT parameter, else MAIL */
	unsigned int	 pd_ext;	/* needed extension, 0: always */
	int		 pd_value;	/* 1: needs a value, 0: takes none */
	const char	*pd_unsupported; /* 555 text when not offered */
};

static const struct param_def params[] = {
	{ "SIZE", P_SIZE, 0, SMTP_EXT_SIZE, 1,
	    "5.5.4 Invalid command arguments: Unsupported option SIZE" },
	{ "BODY", P_BODY, 0, SMTP_EXT_8BITMIME, 1,
	    "5.5.4 Invalid command arguments: Unsupported option BODY" },
	{ "SMTPUTF8", P_SMTPUTF8, 0, SMTP_EXT_SMTPUTF8, 0,
	    "5.5.4 Invalid command arguments: Unsupported option SMTPUTF8" },
	{ "RET", P_RET, 0, SMTP_EXT_DSN, 1,
	    "5.5.4 Invalid command arguments: Unsupported option RET" },
	{ "ENVID", P_ENVID, 0, SMTP_EXT_DSN, 1,
	    "5.5.4 Invalid command arguments: Unsupported option ENVID" },
	{ "AUTH", P_AUTH, 0, 0, 1, NULL },
	{ "NOTIFY", P_NOTIFY, 1, SMTP_EXT_DSN, 1,
	    "5.5.4 Invalid command arguments: Unsupported option NOTIFY" },
	{ "ORCPT", P_ORCPT, 1, SMTP_EXT_DSN, 1,
	    "5.5.4 Invalid command arguments: Unsupported option ORCPT" },
};

static const struct {
	const char	*v_name;
	enum smtp_verb	 v_verb;
	const char	*v_then;	/* what must follow ("FROM:") */
} verbs[] = {
	{ "HELO", SMTP_CMD_HELO, NULL },
	{ "EHLO", SMTP_CMD_EHLO, NULL },
	{ "MAIL", SMTP_CMD_MAIL, "FROM:" },
	{ "RCPT", SMTP_CMD_RCPT, "TO:" },
	{ "DATA", SMTP_CMD_DATA, NULL },
	{ "BDAT", SMTP_CMD_BDAT, NULL },
	{ "RSET", SMTP_CMD_RSET, NULL },
	{ "NOOP", SMTP_CMD_NOOP, NULL },
	{ "QUIT", SMTP_CMD_QUIT, NULL },
	{ "HELP", SMTP_CMD_HELP, NULL },
	{ "VRFY", SMTP_CMD_VRFY, NULL },
	{ "EXPN", SMTP_CMD_EXPN, NULL },
	{ "STARTTLS", SMTP_CMD_STARTTLS, NULL },
	{ "AUTH", SMTP_CMD_AUTH, NULL },
};

static const char *verb_names[SMTP_CMD_COUNT] = {
	[SMTP_CMD_UNKNOWN] = "UNKNOWN",
	[SMTP_CMD_HELO] = "HELO",
	[SMTP_CMD_EHLO] = "EHLO",
	[SMTP_CMD_MAIL] = "MAIL FROM",
	[SMTP_CMD_RCPT] = "RCPT TO",
	[SMTP_CMD_DATA] = "DATA",
	[SMTP_CMD_BDAT] = "BDAT",
	[SMTP_CMD_RSET] = "RSET",
	[SMTP_CMD_NOOP] = "NOOP",
	[SMTP_CMD_QUIT] = "QUIT",
	[SMTP_CMD_HELP] = "HELP",
	[SMTP_CMD_VRFY] = "VRFY",
	[SMTP_CMD_EXPN] = "EXPN",
	[SMTP_CMD_STARTTLS] = "STARTTLS",
	[SMTP_CMD_AUTH] = "AUTH",
};

/* Replies.  Texts are static: the caller sends them as they are. */
#define REPLY(name, c, t) \
	static const struct smtp_reply_err name = { c, t }
REPLY(E_CTRL, 500, "5.5.2 Syntax error: invalid character in command");
REPLY(E_MAIL_VERB, 501, "5.5.4 Syntax: MAIL FROM:<address>");
REPLY(E_RCPT_VERB, 501, "5.5.4 Syntax: RCPT TO:<address>");
REPLY(E_SENDER, 501, "5.1.7 Sender address syntax error");
REPLY(E_RCPT, 501, "5.1.3 Recipient address syntax error");
REPLY(E_UTF8, 553, "5.6.7 Non-ASCII address requires SMTPUTF8");
REPLY(E_PARAM, 501, "5.5.4 Syntax error in parameters");
REPLY(E_DUP, 501, "5.5.4 Duplicate parameter");
REPLY(E_UNSUPPORTED, 555, "5.5.4 Invalid command arguments: Unsupported "
    "option");
REPLY(E_SIZE_BIG, 552, "5.3.4 Message size exceeds fixed maximum message "
    "size");
REPLY(E_SIZE_BAD, 501, "5.5.4 Invalid SIZE parameter");
REPLY(E_BODY_BAD, 501, "5.5.4 Invalid BODY parameter");
REPLY(E_BINARY, 555, "5.5.4 Invalid command arguments: Unsupported "
    "option BODY=BINARYMIME");
REPLY(E_RET_BAD, 501, "5.5.4 Invalid RET parameter");
REPLY(E_ENVID_BAD, 501, "5.5.4 Invalid ENVID parameter");
REPLY(E_AUTH_BAD, 501, "5.5.4 Invalid AUTH parameter");
REPLY(E_NOTIFY_BAD, 501, "5.5.4 Invalid NOTIFY parameter");
REPLY(E_NOTIFY_NEVER, 501, "5.5.4 NOTIFY option NEVER cannot be combined "
    "with other options");
REPLY(E_ORCPT_BAD, 501, "5.5.4 Invalid ORCPT parameter");
REPLY(E_BDAT, 501, "5.5.4 Syntax: BDAT <size> [LAST]");
REPLY(E_HELO_EMPTY, 501, "5.5.4 Invalid command: HELO/EHLO requires "
    "domain name");
REPLY(E_HELO_BAD, 501, "5.5.4 Invalid command arguments: Invalid domain "
    "name");
#undef REPLY

/* One parameter as found on the line: keyword, and value if any. */
struct param_tok {
	char		 pt_key[KEYWORD_MAX + 1];
	const char	*pt_val;	/* NULL: no '=' */
	size_t		 pt_vlen;
};

static int	fail(struct smtp_reply_err *, const struct smtp_reply_err *);
static int	is_sp(char);
static int	path_end(const char *, size_t *);
static int	next_param(const char **, struct param_tok *);
static const struct param_def *param_find(const char *, int);
static int	parse_u64(const char *, size_t, uint64_t *);
static int	val_is(const struct param_tok *, const char *);
static int	parse_notify(const struct param_tok *, int *);
static int	orcpt_valid(const struct param_tok *);
static int	xtext_check(const char *, size_t, size_t);
static int	isxdigit_ascii(char);
static int	parse_params(const char *, int, unsigned int, uint64_t,
		    struct smtp_mail_args *, struct smtp_rcpt_args *,
		    struct smtp_reply_err *);

static int
fail(struct smtp_reply_err *err, const struct smtp_reply_err *e)
{
	*err = *e;
	return -1;
}

static int
is_sp(char c)
{
	return c == ' ' || c == '\t';
}

const char *
smtp_verb_name(enum smtp_verb v)
{
	if ((int)v < 0 || v >= SMTP_CMD_COUNT || verb_names[v] == NULL)
		return "UNKNOWN";
	return verb_names[v];
}

int
smtp_cmd_split(char *line, size_t len, enum smtp_verb *verb, char **arg,
    struct smtp_reply_err *err)
{
	size_t		 i, n, tlen;
	unsigned char	 c;
	char		*p;

	*verb = SMTP_CMD_UNKNOWN;
	*arg = line + len;
	for (i = 0; i < len; i++) {
		c = line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			line[len] = '\0';
			return fail(err, &E_CTRL);
		}
	}
	line[len] = '\0';
	while (len > 0 && is_sp(line[len - 1]))
		line[--len] = '\0';
	*arg = line + len;

	n = strcspn(line, " \t");
	p = line + n;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].v_name) == n &&
		    strncasecmp(line, verbs[i].v_name, n) == 0)
			break;
	}
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		while (is_sp(*p))
			p++;
		*arg = p;
		return 0;
	}
	if (verbs[i].v_then != NULL) {
		/* "MAIL FROM:" and "RCPT TO:" with exactly one space. */
		tlen = strlen(verbs[i].v_then);
		if (*p != ' ' || strncasecmp(p + 1, verbs[i].v_then, tlen) != 0)
			return fail(err, verbs[i].v_verb == SMTP_CMD_MAIL ?
			    &E_MAIL_VERB : &E_RCPT_VERB);
		p += 1 + tlen;
	}
	while (is_sp(*p))
		p++;
	*verb = verbs[i].v_verb;
	*arg = p;
	return 0;
}

/*
 * Length of the path at the start of s ("<" ... ">"), skipping quoted
 * strings, where '>' and spaces are ordinary characters.
 */
static int
path_end(const char *s, size_t *len)
{
	size_t	i;
	int	quoted = 0;

	if (s[0] != '<')
		return -1;
	for (i = 1; s[i] != '\0'; i++) {
		if (quoted) {
			if (s[i] == '\\') {
				if (s[i + 1] == '\0')
					return -1;
				i++;
			} else if (s[i] == '"')
				quoted = 0;
		} else if (s[i] == '"')
			quoted = 1;
		else if (s[i] == '>') {
			*len = i + 1;
			return 0;
		} else if (is_sp(s[i]))
			return -1;
	}
	return -1;
}

/*
 * Read the next parameter at *s (RFC 5321 4.1.2 esmtp-param):
 * keyword [ "=" value ].  1 and *s advanced, 0 at the end, -1 on a
 * syntax error.
 */
static int
next_param(const char **s, struct param_tok *pt)
{
	const char	*p = *s;
	size_t		 n = 0;
	unsigned char	 c;

	while (is_sp(*p))
		p++;
	if (*p == '\0')
		return 0;
	memset(pt, 0, sizeof(*pt));
	for (; *p != '\0' && *p != '=' && !is_sp(*p); p++) {
		c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || (c == '-' && n > 0)))
			return -1;
		if (n >= KEYWORD_MAX)
			return -1;
		pt->pt_key[n++] = c;
	}
	if (n == 0)
		return -1;
	pt->pt_key[n] = '\0';
	if (*p == '=') {
		pt->pt_val = ++p;
		for (; *p != '\0' && !is_sp(*p); p++) {
			c = *p;
			if (c < 33 || c > 126 || c == '=')
				return -1;
		}
		pt->pt_vlen = p - pt->pt_val;
		if (pt->pt_vlen == 0)
			return -1;
	}
	*s = p;
	return 1;
}

static const struct param_def *
param_find(const char *key, int rcpt)
{
	size_t	i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (params[i].pd_rcpt == rcpt &&
		    strcasecmp(key, params[i].pd_name) == 0)
			return &params[i];
	return NULL;
}

/* Decimal digits only; 1 if the value overflows (*v is then the max). */
static int
parse_u64(const char *s, size_t len, uint64_t *v)
{
	size_t	i;
	int	over = 0;

	*v = 0;
	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (*v > (UINT64_MAX - (s[i] - '0')) / 10) {
			over = 1;
			*v = UINT64_MAX;
		} else if (!over)
			*v = *v * 10 + (s[i] - '0');
	}
	return over;
}

static int
val_is(const struct param_tok *pt, const char *word)
{
	return pt->pt_vlen == strlen(word) &&
	    strncasecmp(pt->pt_val, word, pt->pt_vlen) == 0;
}

/* RFC 3461 hexchar wants upper case; lower case is accepted. */
static int
isxdigit_ascii(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
	    (c >= 'a' && c <= 'f');
}

static int
xtext_check(const char *s, size_t len, size_t maxdecoded)
{
	size_t		i, n = 0;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '+') {
			if (len - i < 3 || !isxdigit_ascii(s[i + 1]) ||
			    !isxdigit_ascii(s[i + 2]))
				return 0;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return 0;
		if (++n > maxdecoded)
			return 0;
	}
	return 1;
}

int
smtp_xtext_valid(const char *s, size_t maxdecoded)
{
	return xtext_check(s, strlen(s), maxdecoded);
}

/* NOTIFY=NEVER, or a comma list of SUCCESS, FAILURE, DELAY. */
static int
parse_notify(const struct param_tok *pt, int *bits)
{
	const char	*p = pt->pt_val, *end = pt->pt_val + pt->pt_vlen, *q;
	size_t		 n;

	*bits = 0;
	while (p <= end) {
		for (q = p; q < end && *q != ','; q++)
			;
		n = q - p;
		if (n == 5 && strncasecmp(p, "NEVER", n) == 0)
			*bits |= DSN_NOTIFY_NEVER;
		else if (n == 7 && strncasecmp(p, "SUCCESS", n) == 0)
			*bits |= DSN_NOTIFY_SUCCESS;
		else if (n == 7 && strncasecmp(p, "FAILURE", n) == 0)
			*bits |= DSN_NOTIFY_FAILURE;
		else if (n == 5 && strncasecmp(p, "DELAY", n) == 0)
			*bits |= DSN_NOTIFY_DELAY;
		else
			return -1;
		p = q + 1;
	}
	return 0;
}

/* ORCPT=addr-type;xtext with addr-type rfc822 or utf-8 (RFC 6533). */
static int
orcpt_valid(const struct param_tok *pt)
{
	const char	*semi;
	size_t		 tlen;

	if (pt->pt_vlen > SMTP_DSN_ORCPT_MAX)
		return 0;
	semi = memchr(pt->pt_val, ';', pt->pt_vlen);
	if (semi == NULL)
		return 0;
	tlen = semi - pt->pt_val;
	if (!((tlen == 6 && strncasecmp(pt->pt_val, "rfc822", 6) == 0) ||
	    (tlen == 5 && strncasecmp(pt->pt_val, "utf-8", 5) == 0)))
		return 0;
	tlen++;
	if (tlen == pt->pt_vlen)
		return 0;
	return xtext_check(semi + 1, pt->pt_vlen - tlen, SMTP_DSN_ORCPT_MAX);
}

/*
 * The parameters after the path.  ma is set for MAIL, ra for RCPT; each
 * keyword may appear once, and only if its extension is offered.
 */
static int
parse_params(const char *p, int rcpt, unsigned int ext, uint64_t max_size,
    struct smtp_mail_args *ma, struct smtp_rcpt_args *ra,
    struct smtp_reply_err *err)
{
	struct param_tok	 pt;
	const struct param_def	*pd;
	unsigned int		 seen = 0;
	uint64_t		 v;
	int			 r, bits;

	while ((r = next_param(&p, &pt)) == 1) {
		if ((pd = param_find(pt.pt_key, rcpt)) == NULL)
			return fail(err, &E_UNSUPPORTED);
		if (pd->pd_ext != 0 && (ext & pd->pd_ext) == 0) {
			err->code = 555;
			err->text = pd->pd_unsupported;
			return -1;
		}
		if (seen & (1U << pd->pd_param))
			return fail(err, &E_DUP);
		seen |= 1U << pd->pd_param;
		if ((pd->pd_value == 1 && pt.pt_val == NULL) ||
		    (pd->pd_value == 0 && pt.pt_val != NULL))
			return fail(err, &E_PARAM);

		switch (pd->pd_param) {
		case P_SIZE:
			r = parse_u64(pt.pt_val, pt.pt_vlen, &v);
			if (r == -1 || (r == 1 && max_size == 0))
				return fail(err, &E_SIZE_BAD);
			if (max_size != 0 && v > max_size)
				return fail(err, &E_SIZE_BIG);
			ma->ma_size = v;
			break;
		case P_BODY:
			if (val_is(&pt, "7BIT"))
				ma->ma_body = SMTP_BODY_7BIT;
			else if (val_is(&pt, "8BITMIME"))
				ma->ma_body = SMTP_BODY_8BITMIME;
			else if (val_is(&pt, "BINARYMIME"))
				return fail(err, &E_BINARY);
			else
				return fail(err, &E_BODY_BAD);
			break;
		case P_SMTPUTF8:
			ma->ma_smtputf8 = 1;
			break;
		case P_RET:
			if (val_is(&pt, "FULL"))
				ma->ma_dsn_ret = DSN_RET_FULL;
			else if (val_is(&pt, "HDRS"))
				ma->ma_dsn_ret = DSN_RET_HDRS;
			else
				return fail(err, &E_RET_BAD);
			break;
		case P_ENVID:
			/* RFC 3461 4.4: at most 100 characters as sent. */
			if (pt.pt_vlen > SMTP_DSN_ENVID_MAX ||
			    !xtext_check(pt.pt_val, pt.pt_vlen,
			    SMTP_DSN_ENVID_MAX))
				return fail(err, &E_ENVID_BAD);
			memcpy(ma->ma_dsn_envid, pt.pt_val, pt.pt_vlen);
			ma->ma_dsn_envid[pt.pt_vlen] = '\0';
			break;
		case P_AUTH:
			/* RFC 4954 5: checked, then ignored. */
			if (!xtext_check(pt.pt_val, pt.pt_vlen, SMTP_PATH_MAX))
				return fail(err, &E_AUTH_BAD);
			break;
		case P_NOTIFY:
			if (parse_notify(&pt, &bits) == -1)
				return fail(err, &E_NOTIFY_BAD);
			if ((bits & DSN_NOTIFY_NEVER) && bits != DSN_NOTIFY_NEVER)
				return fail(err, &E_NOTIFY_NEVER);
			ra->ra_dsn_notify = bits;
			break;
		case P_ORCPT:
			if (!orcpt_valid(&pt))
				return fail(err, &E_ORCPT_BAD);
			memcpy(ra->ra_dsn_orcpt, pt.pt_val, pt.pt_vlen);
			ra->ra_dsn_orcpt[pt.pt_vlen] = '\0';
			break;
		case P_UNKNOWN:
			return fail(err, &E_UNSUPPORTED);
		}
	}
	if (r == -1)
		return fail(err, &E_PARAM);
	return 0;
}

int
smtp_parse_mail(const char *arg, unsigned int ext, uint64_t max_size,
    struct smtp_mail_args *ma, struct smtp_reply_err *err)
{
	size_t	plen;
	int	flags;

	memset(ma, 0, sizeof(*ma));
	while (is_sp(*arg))
		arg++;
	if (path_end(arg, &plen) == -1 ||
	    (arg[plen] != '\0' && !is_sp(arg[plen])))
		return fail(err, &E_SENDER);
	if (parse_params(arg + plen, 0, ext, max_size, ma, NULL, err) == -1)
		return -1;
	if (mailaddr_has_8bit(arg, plen) && !ma->ma_smtputf8)
		return fail(err, &E_UTF8);
	flags = ma->ma_smtputf8 ? MAILADDR_UTF8 : 0;
	if (mailaddr_parse_path(&ma->ma_from, arg, plen, 1, flags,
	    NULL) == -1)
		return fail(err, &E_SENDER);
	ma->ma_null = mailaddr_is_null(&ma->ma_from);
	return 0;
}

int
smtp_parse_rcpt(const char *arg, unsigned int ext, int smtputf8,
    struct smtp_rcpt_args *ra, struct smtp_reply_err *err)
{
	static const char	 pm[] = "<postmaster>";
	size_t			 plen;

	memset(ra, 0, sizeof(*ra));
	while (is_sp(*arg))
		arg++;
	if (path_end(arg, &plen) == -1 ||
	    (arg[plen] != '\0' && !is_sp(arg[plen])))
		return fail(err, &E_RCPT);
	if (parse_params(arg + plen, 1, ext, 0, NULL, ra, err) == -1)
		return -1;
	if (plen == sizeof(pm) - 1 && strncasecmp(arg, pm, plen) == 0) {
		/* RFC 5321 4.1.1.3: "<Postmaster>" without a domain. */
		memcpy(ra->ra_to.ma_user, "postmaster", sizeof("postmaster"));
		ra->ra_postmaster = 1;
		return 0;
	}
	if (mailaddr_has_8bit(arg, plen) && !smtputf8)
		return fail(err, &E_UTF8);
	if (mailaddr_parse_path(&ra->ra_to, arg, plen, 0,
	    smtputf8 ? MAILADDR_UTF8 : 0, NULL) == -1)
		return fail(err, &E_RCPT);
	return 0;
}

int
smtp_parse_bdat(const char *arg, uint64_t *size, int *last,
    struct smtp_reply_err *err)
{
	const char	*p;
	size_t		 n;

	*size = 0;
	*last = 0;
	while (is_sp(*arg))
		arg++;
	n = strspn(arg, "0123456789");
	if (parse_u64(arg, n, size) != 0)
		return fail(err, &E_BDAT);
	p = arg + n;
	if (*p != '\0' && !is_sp(*p))
		return fail(err, &E_BDAT);
	while (is_sp(*p))
		p++;
	if (strncasecmp(p, "LAST", 4) == 0) {
		*last = 1;
		p += 4;
		while (is_sp(*p))
			p++;
	}
	if (*p != '\0') {
		*size = 0;
		*last = 0;
		return fail(err, &E_BDAT);
	}
	return 0;
}

int
smtp_parse_helo(const char *arg, struct smtp_reply_err *err)
{
	char	name[SMTP_DOMAIN_MAX + 1];
	size_t	len;

	while (is_sp(*arg))
		arg++;
	len = strlen(arg);
	while (len > 0 && is_sp(arg[len - 1]))
		len--;
	if (len == 0)
		return fail(err, &E_HELO_EMPTY);
	if (len >= sizeof(name))
		return fail(err, &E_HELO_BAD);
	memcpy(name, arg, len);
	name[len] = '\0';
	if (!mailaddr_domain_valid(name, MAILADDR_HOSTNAME))
		return fail(err, &E_HELO_BAD);
	return 0;
}
