/*
 * The envelope text format (include/envelope.h).  Runs in smtp, lka,
 * queue, scheduler, mda, mta and smtpctl: wherever an envelope is
 * written into the spool or onto a channel, or read back.  The reader
 * trusts nothing: the bytes may come from a damaged spool file or a
 * forged one, and the values in it came from the network in the first
 * place.  Library code: no logging, no exit.
 *
 * Format, version 1.  The first line is "version: 1", then one line
 * per field in the order below, each "key: value" (a colon and exactly
 * one space, then the value up to the LF, nothing trimmed), every line
 * LF-terminated, no blank lines.  The reader takes the keys in any
 * order; a key given twice, a key it does not know, a line without
 * ": ", a missing final LF or bytes after it refuse the whole file.
 *
 *   version     1                                 required
 *   id          envelope id, 16 hex digits;       required
 *               0 before the queue sets it, else neither half is 0
 *   type        mda | mta | none (a template      required
 *               before lka has chosen)
 *   flags       words separated by one space, each at most once:
 *               authenticated bounce smtputf8 8bitmime tls local
 *               junk rcpt-to
 *   tag, smtpname, helo, hostname, src, auth
 *               text (session facts from smtp)
 *   sender      user@domain, "" for the null path  required
 *   rcpt        user@domain (or a bare user)       required, not ""
 *   dest        user@domain, "" before lka         required
 *   dispatcher  action name
 *   method      none mbox maildir lmtp mda file pipe   required
 *   user        local account
 *   uid, gid    decimal, below 4294967295; a local delivery (type mda,
 *               method not none) never has uid 0
 *   home, mda-arg, relay   text
 *   dsn-notify  "never", or some of "success,failure,delay" in this
 *               order, or "" (not given)
 *   dsn-ret     full | hdrs | ""
 *   dsn-envid, dsn-orcpt   text as received (xtext)
 *   creation, expire       decimal epoch seconds          required
 *   lasttry     decimal epoch seconds, 0: never tried
 *   retry       decimal count
 *   errorline   text of the last error
 *
 * Keys not marked required may be left out and read as "" or 0; the
 * writer always writes every key.  Addresses are written by
 * mailaddr_format() and read by mailaddr_parse() (UTF-8 allowed, a
 * bare user allowed), so quoted local parts survive.  No text value may
 * hold CR, LF or NUL, or be longer than its field; numbers are plain
 * decimal digits without sign or blanks.  envelope_dump() applies the
 * same checks as envelope_load() before writing, so what it writes
 * always reads back.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "smtp_parse.h"

#define EVP_UID_MAX	4294967294ULL	/* (uid_t)-1: "no change" */
#define EVP_TIME_MAX	253402300799ULL	/* 9999-12-31T23:59:59Z */
#define EVP_KEY_MAX	16

enum evp_kind {
	K_VERSION,
	K_ID,
	K_TYPE,
	K_FLAGS,
	K_STR,		/* char array at off, size sz */
	K_ADDR,		/* struct mailaddr at off */
	K_METHOD,
	K_UID,		/* uid_t / gid_t at off */
	K_NOTIFY,
	K_RET,
	K_TIME,		/* time_t at off */
	K_U32,		/* uint32_t at off */
};

#define F_REQUIRED	0x01
#define F_NONEMPTY	0x02	/* K_ADDR: not the null path */

struct evp_field {
	const char	*ef_key;
	enum evp_kind	 ef_kind;
	size_t		 ef_off;
	size_t		 ef_size;
	int		 ef_flags;
};

#define FSTR(k, m)	{ k, K_STR, offsetof(struct envelope, m), \
			    sizeof(((struct envelope *)0)->m), 0 }
#define FOFF(k, t, m, f) { k, t, offsetof(struct envelope, m), 0, f }

/* Output order. */
static const struct evp_field evp_fields[] = {
	{ "version",	K_VERSION,	0, 0, F_REQUIRED },
	FOFF("id",	K_ID,		evp_id,	F_REQUIRED),
	FOFF("type",	K_TYPE,		evp_type,	F_REQUIRED),
	FOFF("flags",	K_FLAGS,	evp_flags,	0),
	FSTR("tag",			evp_tag),
	FSTR("smtpname",		evp_smtpname),
	FSTR("helo",			evp_helo),
	FSTR("hostname",		evp_hostname),
	FSTR("src",			evp_src),
	FSTR("auth",			evp_auth),
	FOFF("sender",	K_ADDR,		evp_sender, F_REQUIRED),
	FOFF("rcpt",	K_ADDR,		evp_rcpt, F_REQUIRED | F_NONEMPTY),
	FOFF("dest",	K_ADDR,		evp_dest,	F_REQUIRED),
	FSTR("dispatcher",		evp_dispatcher),
	FOFF("method",	K_METHOD,	evp_method,	F_REQUIRED),
	FSTR("user",			evp_user),
	FOFF("uid",	K_UID,		evp_uid,	0),
	FOFF("gid",	K_UID,		evp_gid,	0),
	FSTR("home",			evp_home),
	FSTR("mda-arg",			evp_mda_arg),
	FSTR("relay",			evp_relay),
	FOFF("dsn-notify", K_NOTIFY,	evp_dsn_notify,	0),
	FOFF("dsn-ret",	K_RET,		evp_dsn_ret,	0),
	FSTR("dsn-envid",		evp_dsn_envid),
	FSTR("dsn-orcpt",		evp_dsn_orcpt),
	FOFF("creation", K_TIME,	evp_creation,	F_REQUIRED),
	FOFF("expire",	K_TIME,		evp_expire, F_REQUIRED),
	FOFF("lasttry",	K_TIME,		evp_lasttry,	0),
	FOFF("retry",	K_U32,		evp_retry,	0),
	FSTR("errorline",		evp_errorline),
};
#define EVP_NFIELDS	(sizeof(evp_fields) / sizeof(evp_fields[0]))

struct evp_word {
	const char	*ew_word;
	int		 ew_value;
};

/* Output order of the flag words. */
static const struct evp_word evp_flag_words[] = {
	{ "authenticated",	EF_AUTHENTICATED },
	{ "bounce",		EF_BOUNCE },
	{ "smtputf8",		EF_SMTPUTF8 },
	{ "8bitmime",		EF_8BITMIME },
	{ "tls",		EF_TLS },
	{ "local",		EF_LOCAL },
	{ "junk",		EF_MAILDIR_JUNK },
	{ "rcpt-to",		EF_LMTP_RCPT_TO },
};

static const struct evp_word evp_notify_words[] = {
	{ "success",	DSN_NOTIFY_SUCCESS },
	{ "failure",	DSN_NOTIFY_FAILURE },
	{ "delay",	DSN_NOTIFY_DELAY },
};

static const struct evp_word evp_type_words[] = {
	{ "none",	0 },
	{ "mda",	EVP_MDA },
	{ "mta",	EVP_MTA },
};

static const struct evp_word evp_method_words[] = {
	{ "none",	EVP_M_NONE },
	{ "mbox",	EVP_M_MBOX },
	{ "maildir",	EVP_M_MAILDIR },
	{ "lmtp",	EVP_M_LMTP },
	{ "mda",	EVP_M_MDA },
	{ "file",	EVP_M_FILE },
	{ "pipe",	EVP_M_PIPE },
};

static const struct evp_word evp_ret_words[] = {
	{ "",		DSN_RET_NONE },
	{ "full",	DSN_RET_FULL },
	{ "hdrs",	DSN_RET_HDRS },
};

#define NWORDS(a)	(sizeof(a) / sizeof((a)[0]))

/* Writing: a cursor that turns any overflow into one error at the end. */
struct evp_out {
	char	*eo_buf;
	size_t	 eo_len;
	size_t	 eo_pos;
	int	 eo_err;
};

static const char *
word_name(const struct evp_word *w, size_t n, int value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (w[i].ew_value == value)
			return w[i].ew_word;
	return NULL;
}

static int
word_value(const struct evp_word *w, size_t n, const char *s, size_t len,
    int *value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strlen(w[i].ew_word) == len &&
		    memcmp(w[i].ew_word, s, len) == 0) {
			*value = w[i].ew_value;
			return 0;
		}
	return -1;
}

const char *
envelope_method_name(enum evp_method m)
{
	const char	*s;

	s = word_name(evp_method_words, NWORDS(evp_method_words), m);
	return s != NULL ? s : "unknown";
}

const char *
envelope_type_name(enum evp_type t)
{
	const char	*s;

	s = word_name(evp_type_words, NWORDS(evp_type_words), t);
	return s != NULL ? s : "unknown";
}

uint32_t
envelope_new_msgid(void)
{
	uint32_t	id;

	do {
		id = arc4random();
	} while (id == 0);
	return id;
}

uint64_t
envelope_new_evpid(uint32_t msgid)
{
	uint32_t	low;

	do {
		low = arc4random();
	} while (low == 0);
	return (uint64_t)msgid << 32 | low;
}

/* Text that may appear as a value: no CR, LF or NUL inside len bytes. */
static int
text_ok(const char *s, size_t len)
{
	return memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL &&
	    memchr(s, '\0', len) == NULL;
}

/* Length of a NUL-terminated char array field, -1 if it is not. */
static ssize_t
field_strlen(const char *s, size_t size)
{
	size_t	n;

	n = strnlen(s, size);
	if (n == size)
		return -1;
	return n;
}

static int
addr_check(const struct mailaddr *ma, int flags)
{
	ssize_t	ul, dl;

	if ((ul = field_strlen(ma->ma_user, sizeof(ma->ma_user))) == -1 ||
	    (dl = field_strlen(ma->ma_domain, sizeof(ma->ma_domain))) == -1)
		return -1;
	if (ul == 0 && dl == 0)
		return (flags & F_NONEMPTY) ? -1 : 0;
	if (ul == 0)
		return -1;
	return 0;
}

static int
addr_parse(struct mailaddr *ma, const char *s, size_t len)
{
	const char	*errstr;

	memset(ma, 0, sizeof(*ma));
	if (len == 0)
		return 0;
	if (mailaddr_parse(ma, s, len, MAILADDR_UTF8 | MAILADDR_NO_DOMAIN_OK,
	    &errstr) == -1)
		return -1;
	/* A domain without a local part is not an address we can write. */
	if (ma->ma_user[0] == '\0')
		return -1;
	return 0;
}

/*
 * Semantic checks shared by the writer and the reader: everything a
 * field's own syntax does not already say.
 */
static const char *
envelope_check(const struct envelope *evp)
{
	if (evp->evp_id != 0 && (evpid_to_msgid(evp->evp_id) == 0 ||
	    (uint32_t)evp->evp_id == 0))
		return "id: half of it is zero";
	if (evp->evp_type == EVP_MTA && evp->evp_method != EVP_M_NONE)
		return "method: a relayed envelope has no local method";
	if (evp->evp_type == EVP_MDA && evp->evp_method != EVP_M_NONE &&
	    evp->evp_uid == 0)
		return "uid: a local delivery never runs as root";
	if ((evp->evp_dsn_notify & DSN_NOTIFY_NEVER) &&
	    evp->evp_dsn_notify != DSN_NOTIFY_NEVER)
		return "dsn-notify: never with other values";
	return NULL;
}

static void
out_bytes(struct evp_out *eo, const char *s, size_t len)
{
	if (eo->eo_err)
		return;
	if (len >= eo->eo_len - eo->eo_pos) {
		eo->eo_err = 1;
		return;
	}
	memcpy(eo->eo_buf + eo->eo_pos, s, len);
	eo->eo_pos += len;
	eo->eo_buf[eo->eo_pos] = '\0';
}

static void
out_str(struct evp_out *eo, const char *s)
{
	out_bytes(eo, s, strlen(s));
}

static void
out_u64(struct evp_out *eo, unsigned long long v, int hex)
{
	char	num[32];

	if (hex)
		(void)snprintf(num, sizeof(num), "%016llx", v);
	else
		(void)snprintf(num, sizeof(num), "%llu", v);
	out_str(eo, num);
}

/* Write one field's value; -1 if the struct holds something invalid. */
static int
dump_field(struct evp_out *eo, const struct envelope *evp,
    const struct evp_field *ef)
{
	const char	*base = (const char *)evp + ef->ef_off;
	const char	*w;
	char		 addr[SMTP_PATH_MAX * 2];
	struct mailaddr	 ma;
	ssize_t		 n;
	size_t		 i;
	int		 v, first;
	unsigned long long t;

	switch (ef->ef_kind) {
	case K_VERSION:
		out_u64(eo, ENVELOPE_VERSION, 0);
		break;
	case K_ID:
		out_u64(eo, evp->evp_id, 1);
		break;
	case K_TYPE:
		w = word_name(evp_type_words, NWORDS(evp_type_words),
		    evp->evp_type);
		if (w == NULL)
			return -1;
		out_str(eo, w);
		break;
	case K_FLAGS:
		if (evp->evp_flags & ~(uint32_t)EF_ALL)
			return -1;
		first = 1;
		for (i = 0; i < NWORDS(evp_flag_words); i++) {
			if ((evp->evp_flags & evp_flag_words[i].ew_value) == 0)
				continue;
			if (!first)
				out_str(eo, " ");
			out_str(eo, evp_flag_words[i].ew_word);
			first = 0;
		}
		break;
	case K_STR:
		if ((n = field_strlen(base, ef->ef_size)) == -1 ||
		    !text_ok(base, n))
			return -1;
		out_bytes(eo, base, n);
		break;
	case K_ADDR:
		memcpy(&ma, base, sizeof(ma));
		if (addr_check(&ma, ef->ef_flags) == -1)
			return -1;
		if (ma.ma_user[0] == '\0')
			break;
		if ((n = mailaddr_format(&ma, addr, sizeof(addr))) == -1 ||
		    !text_ok(addr, n))
			return -1;
		/* What is written must read back as the same address. */
		{
			struct mailaddr	back;

			if (addr_parse(&back, addr, n) == -1 ||
			    mailaddr_cmp(&back, &ma) != 0)
				return -1;
		}
		out_bytes(eo, addr, n);
		break;
	case K_METHOD:
		w = word_name(evp_method_words, NWORDS(evp_method_words),
		    evp->evp_method);
		if (w == NULL)
			return -1;
		out_str(eo, w);
		break;
	case K_UID:
		if (ef->ef_off == offsetof(struct envelope, evp_uid))
			t = evp->evp_uid;
		else
			t = evp->evp_gid;
		if (t > EVP_UID_MAX)
			return -1;
		out_u64(eo, t, 0);
		break;
	case K_NOTIFY:
		v = evp->evp_dsn_notify;
		if (v & ~(DSN_NOTIFY_NEVER | DSN_NOTIFY_SUCCESS |
		    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY))
			return -1;
		if (v == DSN_NOTIFY_NEVER) {
			out_str(eo, "never");
			break;
		}
		first = 1;
		for (i = 0; i < NWORDS(evp_notify_words); i++) {
			if ((v & evp_notify_words[i].ew_value) == 0)
				continue;
			if (!first)
				out_str(eo, ",");
			out_str(eo, evp_notify_words[i].ew_word);
			first = 0;
		}
		break;
	case K_RET:
		w = word_name(evp_ret_words, NWORDS(evp_ret_words),
		    evp->evp_dsn_ret);
		if (w == NULL)
			return -1;
		out_str(eo, w);
		break;
	case K_TIME:
		{
			time_t	tv;

			memcpy(&tv, base, sizeof(tv));
			if (tv < 0 || (unsigned long long)tv > EVP_TIME_MAX)
				return -1;
			out_u64(eo, (unsigned long long)tv, 0);
		}
		break;
	case K_U32:
		out_u64(eo, evp->evp_retry, 0);
		break;
	}
	return 0;
}

int
envelope_dump(const struct envelope *evp, char *buf, size_t len)
{
	struct evp_out	 eo;
	size_t		 i;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (envelope_check(evp) != NULL)
		return -1;
	eo.eo_buf = buf;
	eo.eo_len = len;
	eo.eo_pos = 0;
	eo.eo_err = 0;
	for (i = 0; i < EVP_NFIELDS; i++) {
		out_str(&eo, evp_fields[i].ef_key);
		out_str(&eo, ": ");
		if (dump_field(&eo, evp, &evp_fields[i]) == -1) {
			buf[0] = '\0';
			return -1;
		}
		out_str(&eo, "\n");
	}
	if (eo.eo_err || eo.eo_pos > ENVELOPE_TEXT_MAX) {
		buf[0] = '\0';
		return -1;
	}
	return (int)eo.eo_pos;
}

/* Reading. */

/* Plain decimal digits, no sign, no blanks, at most max. */
static int
parse_decimal(const char *s, size_t len, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long	n = 0;
	size_t			i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (max - (unsigned)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	*v = n;
	return 0;
}

static int
parse_hex64(const char *s, size_t len, uint64_t *v)
{
	uint64_t	n = 0;
	size_t		i;
	int		d;

	if (len != 16)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		n = n << 4 | (uint64_t)d;
	}
	*v = n;
	return 0;
}

/* A list of words separated by sep, each known and given at most once. */
static int
parse_words(const struct evp_word *w, size_t nw, char sep, const char *s,
    size_t len, int *bits)
{
	const char	*p, *end = s + len, *e;
	int		 v, acc = 0;

	*bits = 0;
	if (len == 0)
		return 0;
	for (p = s;; p = e + 1) {
		if ((e = memchr(p, sep, end - p)) == NULL)
			e = end;
		if (word_value(w, nw, p, e - p, &v) == -1 || (acc & v))
			return -1;
		acc |= v;
		if (e == end)
			break;
	}
	*bits = acc;
	return 0;
}

static int
load_field(struct envelope *evp, const struct evp_field *ef, const char *s,
    size_t len)
{
	char			*base = (char *)evp + ef->ef_off;
	unsigned long long	 n;
	int			 v;

	switch (ef->ef_kind) {
	case K_VERSION:
		if (parse_decimal(s, len, 1000, &n) == -1 ||
		    n != ENVELOPE_VERSION)
			return -1;
		break;
	case K_ID:
		if (parse_hex64(s, len, &evp->evp_id) == -1)
			return -1;
		break;
	case K_TYPE:
		if (word_value(evp_type_words, NWORDS(evp_type_words), s, len,
		    &v) == -1)
			return -1;
		evp->evp_type = v;
		break;
	case K_FLAGS:
		if (parse_words(evp_flag_words, NWORDS(evp_flag_words), ' ',
		    s, len, &v) == -1)
			return -1;
		evp->evp_flags = v;
		break;
	case K_STR:
		if (len >= ef->ef_size)
			return -1;
		memcpy(base, s, len);
		base[len] = '\0';
		break;
	case K_ADDR:
		{
			struct mailaddr	 ma;
			struct mailaddr	*dst = (struct mailaddr *)base;

			if (addr_parse(&ma, s, len) == -1 ||
			    addr_check(&ma, ef->ef_flags) == -1)
				return -1;
			/* Only the strings: nothing the parser left
			 * after a NUL reaches the struct. */
			memset(dst, 0, sizeof(*dst));
			(void)strlcpy(dst->ma_user, ma.ma_user,
			    sizeof(dst->ma_user));
			(void)strlcpy(dst->ma_domain, ma.ma_domain,
			    sizeof(dst->ma_domain));
		}
		break;
	case K_METHOD:
		if (word_value(evp_method_words, NWORDS(evp_method_words), s,
		    len, &v) == -1)
			return -1;
		evp->evp_method = v;
		break;
	case K_UID:
		if (parse_decimal(s, len, EVP_UID_MAX, &n) == -1)
			return -1;
		if (ef->ef_off == offsetof(struct envelope, evp_uid))
			evp->evp_uid = (uid_t)n;
		else
			evp->evp_gid = (gid_t)n;
		break;
	case K_NOTIFY:
		if (len == 5 && memcmp(s, "never", 5) == 0)
			v = DSN_NOTIFY_NEVER;
		else if (parse_words(evp_notify_words,
		    NWORDS(evp_notify_words), ',', s, len, &v) == -1)
			return -1;
		evp->evp_dsn_notify = v;
		break;
	case K_RET:
		if (word_value(evp_ret_words, NWORDS(evp_ret_words), s, len,
		    &v) == -1)
			return -1;
		evp->evp_dsn_ret = v;
		break;
	case K_TIME:
		{
			time_t	tv;

			if (parse_decimal(s, len, EVP_TIME_MAX, &n) == -1)
				return -1;
			tv = (time_t)n;
			memcpy(base, &tv, sizeof(tv));
		}
		break;
	case K_U32:
		if (parse_decimal(s, len, UINT32_MAX, &n) == -1)
			return -1;
		evp->evp_retry = (uint32_t)n;
		break;
	}
	return 0;
}

static const char *
load_error(size_t line, const char *key, const char *what)
{
	static char	 msg[128];

	if (line == 0 && key != NULL)
		(void)snprintf(msg, sizeof(msg), "%s: %s", key, what);
	else if (key != NULL)
		(void)snprintf(msg, sizeof(msg), "line %zu: %s: %s", line, key,
		    what);
	else
		(void)snprintf(msg, sizeof(msg), "line %zu: %s", line, what);
	return msg;
}

int
envelope_load(struct envelope *evp, const char *buf, size_t len,
    const char **errstr)
{
	const char	*p, *end, *eol, *sep, *why;
	char		 key[EVP_KEY_MAX + 1];
	unsigned char	 seen[EVP_NFIELDS];
	size_t		 i, line, klen;

	memset(evp, 0, sizeof(*evp));
	memset(seen, 0, sizeof(seen));
	*errstr = NULL;
	if (len > ENVELOPE_TEXT_MAX) {
		*errstr = "envelope too long";
		return -1;
	}
	if (len == 0) {
		*errstr = "empty envelope";
		return -1;
	}
	if (buf[len - 1] != '\n') {
		*errstr = "no newline at the end";
		return -1;
	}
	end = buf + len;
	for (p = buf, line = 1; p < end; p = eol + 1, line++) {
		/* Always found: buf ends in LF. */
		eol = memchr(p, '\n', end - p);
		sep = memchr(p, ':', eol - p);
		if (sep == NULL || sep + 1 >= eol || sep[1] != ' ') {
			*errstr = load_error(line, NULL, "not \"key: value\"");
			goto fail;
		}
		klen = sep - p;
		for (i = 0; i < EVP_NFIELDS; i++)
			if (strlen(evp_fields[i].ef_key) == klen &&
			    memcmp(evp_fields[i].ef_key, p, klen) == 0)
				break;
		if (i == EVP_NFIELDS) {
			if (klen > EVP_KEY_MAX)
				klen = EVP_KEY_MAX;
			memcpy(key, p, klen);
			key[klen] = '\0';
			if (!text_ok(key, klen) ||
			    strspn(key, "abcdefghijklmnopqrstuvwxyz-") != klen)
				(void)strlcpy(key, "?", sizeof(key));
			*errstr = load_error(line, key, "unknown key");
			goto fail;
		}
		if (seen[i]) {
			*errstr = load_error(line, evp_fields[i].ef_key,
			    "given twice");
			goto fail;
		}
		seen[i] = 1;
		if (!text_ok(sep + 2, eol - (sep + 2)) ||
		    load_field(evp, &evp_fields[i], sep + 2,
		    eol - (sep + 2)) == -1) {
			*errstr = load_error(line, evp_fields[i].ef_key,
			    "invalid value");
			goto fail;
		}
	}
	for (i = 0; i < EVP_NFIELDS; i++)
		if ((evp_fields[i].ef_flags & F_REQUIRED) && !seen[i]) {
			*errstr = load_error(0, evp_fields[i].ef_key,
			    "missing");
			goto fail;
		}
	if ((why = envelope_check(evp)) != NULL) {
		*errstr = why;
		goto fail;
	}
	return 0;

 fail:
	memset(evp, 0, sizeof(*evp));
	return -1;
}
