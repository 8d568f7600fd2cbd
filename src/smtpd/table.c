/*
 * Tables in lka: loading every table of a new configuration through its
 * backend (table_static.c, table_file.c, table_db.c), keeping the old
 * contents of a table whose file cannot be read on a reload, reloading
 * db tables whose file changed, and the lookup kinds of
 * COMPAT.md 3.3 (string, domain, mail address, network address, regex,
 * mapping, userinfo).
 *
 * Runs in lka as _smtpd, without chroot.  Trusts the configuration
 * from the parent; table files are the administrator's but are parsed
 * as untrusted bytes by table_parse_file().  A table that fails to
 * load is logged, never fatal.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>




#include "config.h"
#include "log.h"
#include "table.h"

struct table_ent {
	char		*te_key;	/* lower-cased */
	char		*te_raw;	/* as written (regular expressions) */
	char		*te_val;	/* NULL in a list */
	size_t		 te_seq;	/* order of appearance */
};

struct table_data {
	const struct table	*td_conf;
	const struct table_ops	*td_ops;
	int			 td_flags;	/* TABLE_LOAD_* */
	struct timespec		 td_mtime;	/* to_autoreload: when read */
	char			*td_name;
	enum table_backend	 td_backend;
	char			*td_path;
	int			 td_usable;
	struct table_ent	*td_ents;
	size_t			 td_n;
	size_t			 td_cap;
	size_t			*td_wild;	/* entries holding a '*' */
	size_t			 td_nwild;
	regex_t			*td_re;
	int			 td_re_state;	/* 0 not yet, 1 ok, -1 bad */
};

struct table_set {
	struct table_data	**ts_v;		/* sorted by td_conf */
	size_t			 ts_n;
};

static void
table_data_clear(struct table_data *td)
{
	size_t	i;

	for (i = 0; i < td->td_n; i++) {
		if (td->td_re_state == 1)
			regfree(&td->td_re[i]);
		free(td->td_ents[i].te_key);
		free(td->td_ents[i].te_raw);
		free(td->td_ents[i].te_val);
	}
	free(td->td_ents);
	free(td->td_re);
	free(td->td_wild);
	td->td_wild = NULL;
	td->td_nwild = 0;
	td->td_ents = NULL;
	td->td_re = NULL;
	td->td_n = td->td_cap = 0;
	td->td_re_state = 0;
}

int
table_data_add(struct table_data *td, const char *key, const char *val)
{
	struct table_ent	*e;
	size_t			 i, ncap;

	if (td->td_n == td->td_cap) {
		ncap = td->td_cap == 0 ? 16 : td->td_cap * 2;
		e = reallocarray(td->td_ents, ncap, sizeof(*e));
		if (e == NULL)
			return -1;
		td->td_ents = e;
		td->td_cap = ncap;
	}
	e = &td->td_ents[td->td_n];
	memset(e, 0, sizeof(*e));
	if ((e->te_key = strdup(key)) == NULL ||
	    (e->te_raw = strdup(key)) == NULL ||
	    (val != NULL && (e->te_val = strdup(val)) == NULL)) {
		free(e->te_key);
		free(e->te_raw);
		return -1;
	}
	for (i = 0; e->te_key[i] != '\0'; i++)
		e->te_key[i] = tolower((unsigned char)e->te_key[i]);
	e->te_seq = td->td_n++;
	return 0;
}

static int
table_ent_cmp(const void *a, const void *b)
{
	const struct table_ent	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->te_key, y->te_key)) != 0)
		return r;
	return x->te_seq < y->te_seq ? -1 : x->te_seq > y->te_seq;
}

/* Sort by key; of duplicate keys the last one written wins (COMPAT 3.2). */
static void
table_data_finish(struct table_data *td)
{
	size_t	i, j;

	if (td->td_n == 0)
		return;
	qsort(td->td_ents, td->td_n, sizeof(*td->td_ents), table_ent_cmp);
	for (i = 0, j = 0; i < td->td_n; i++) {
		if (i + 1 < td->td_n && strcmp(td->td_ents[i].te_key,
		    td->td_ents[i + 1].te_key) == 0) {
			free(td->td_ents[i].te_key);
			free(td->td_ents[i].te_raw);
			free(td->td_ents[i].te_val);
			continue;
		}
		td->td_ents[j++] = td->td_ents[i];
	}
	td->td_n = j;
	/* Globs cannot be found by key: keep them aside. */
	for (i = 0; i < td->td_n; i++) {
		if (strchr(td->td_ents[i].te_key, '*') == NULL)
			continue;
		if (td->td_wild == NULL && (td->td_wild = calloc(td->td_n,
		    sizeof(*td->td_wild))) == NULL)
			fatal("table_data_finish");
		td->td_wild[td->td_nwild++] = i;
	}
}

/* The mtime of the table's file; -1 without a path or on error. */
static int
table_data_mtime(const struct table_data *td, struct timespec *ts)
{
	struct stat	st;

	memset(ts, 0, sizeof(*ts));
	if (td->td_path == NULL || stat(td->td_path, &st) == -1)
		return -1;
	*ts = st.st_mtim;
	return 0;
}

static const struct table_ops *
table_ops_get(enum table_backend b)
{
	switch (b) {
	case TABLE_STATIC:
		return &table_static_ops;
	case TABLE_FILE:
		return &table_file_ops;
	case TABLE_DB:
		return &table_db_ops;
	default:
		return NULL;
	}
}

static int
table_is_alias(const struct smtpd_config *conf, const struct table *t)
{
	const struct action	*a;

	TAILQ_FOREACH(a, &conf->sc_actions, a_entry)
		if (a->a_alias == t || a->a_virtual == t)
			return 1;
	return 0;
}

static const struct table_data *
table_set_find_old(const struct table_set *old, const struct table_data *td)
{
	size_t	i;

	if (old == NULL)
		return NULL;
	for (i = 0; i < old->ts_n; i++) {
		const struct table_data *o = old->ts_v[i];

		if (o->td_usable && o->td_backend == td->td_backend &&
		    strcmp(o->td_name, td->td_name) == 0 &&
		    o->td_path != NULL && td->td_path != NULL &&
		    strcmp(o->td_path, td->td_path) == 0)
			return o;
	}
	return NULL;
}

static int
table_data_copy(struct table_data *td, const struct table_data *o)
{
	size_t	i;

	for (i = 0; i < o->td_n; i++) {
		if (table_data_add(td, o->td_ents[i].te_raw,
		    o->td_ents[i].te_val) == -1)
			return -1;
	}
	return 0;
}

static void
table_load_one(const struct smtpd_config *conf, struct table_data *td,
    const struct table *t, const struct table_set *old)
{
	const struct table_ops	*ops;
	const struct table_data	*o;
	char			 err[256];
	int			 flags = 0;

	err[0] = '\0';
	if ((ops = table_ops_get(t->t_backend)) == NULL) {
		log_warnx("table %s: backend \"%s\" is not supported by this "
		    "version of Postern; lookups in it fail temporarily",
		    t->t_name, t->t_backend_name != NULL ?
		    t->t_backend_name : "?");
		return;
	}
	if (table_is_alias(conf, t))
		flags |= TABLE_LOAD_ALIASES;
	td->td_ops = ops;
	td->td_flags = flags;
	table_data_mtime(td, &td->td_mtime);
	if (ops->to_load(td, t, flags, err, sizeof(err)) == 0) {
		table_data_finish(td);
		td->td_usable = 1;
		log_debug("table %s: %zu entries (%s)", t->t_name, td->td_n,
		    ops->to_name);
		return;
	}
	table_data_clear(td);
	if ((o = table_set_find_old(old, td)) != NULL) {
		log_warnx("table %s: %s; keeping its previous contents",
		    t->t_name, err);
		if (table_data_copy(td, o) == -1)
			fatal("table_load_one");
		table_data_finish(td);
		td->td_usable = 1;
		return;
	}
	log_warnx("table %s: %s; lookups in it fail temporarily", t->t_name,
	    err);
}

/*
 * A backend with to_autoreload is read again when its file's mtime
 * changed since it was read; if that fails, the contents stay as they
 * were (logged) and the next lookup tries again.
 */
static void
table_refresh(struct table_data *td)
{
	struct table_data	 nt;
	struct timespec		 mt;
	char			 err[256];

	if (td->td_ops == NULL || !td->td_ops->to_autoreload ||
	    td->td_conf == NULL)
		return;
	if (table_data_mtime(td, &mt) == -1 ||
	    (mt.tv_sec == td->td_mtime.tv_sec &&
	    mt.tv_nsec == td->td_mtime.tv_nsec))
		return;
	memset(&nt, 0, sizeof(nt));
	nt.td_name = td->td_name;
	err[0] = '\0';
	if (td->td_ops->to_load(&nt, td->td_conf, td->td_flags, err,
	    sizeof(err)) == -1) {
		table_data_clear(&nt);
		log_warnx("table %s: changed but unreadable: %s", td->td_name,
		    err);
		return;
	}
	table_data_finish(&nt);
	table_data_clear(td);
	td->td_ents = nt.td_ents;
	td->td_n = nt.td_n;
	td->td_cap = nt.td_cap;
	td->td_wild = nt.td_wild;
	td->td_nwild = nt.td_nwild;
	td->td_mtime = mt;
	td->td_usable = 1;
	log_info("table %s: reloaded, %zu entries", td->td_name, td->td_n);
}

/* Usable for a lookup (after a reload if its file changed). */
static int
table_ready(struct table_data *td)
{
	if (td == NULL)
		return 0;
	table_refresh(td);
	return td->td_usable;
}

static int
table_set_cmp(const void *a, const void *b)
{
	const struct table_data	*const *x = a, *const *y = b;
	uintptr_t		 p = (uintptr_t)(*x)->td_conf;
	uintptr_t		 q = (uintptr_t)(*y)->td_conf;

	return p < q ? -1 : p > q;
}

struct table_set *
table_set_load(const struct smtpd_config *conf, const struct table_set *old)
{
	struct table_set	*ts;
	struct table_data	*td;
	const struct table	*t;
	size_t			 n = 0;

	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		fatal("table_set_load");
	TAILQ_FOREACH(t, &conf->sc_tables, t_entry)
		n++;
	if (n > 0 && (ts->ts_v = calloc(n, sizeof(*ts->ts_v))) == NULL)
		fatal("table_set_load");
	TAILQ_FOREACH(t, &conf->sc_tables, t_entry) {
		if ((td = calloc(1, sizeof(*td))) == NULL ||
		    (td->td_name = strdup(t->t_name)) == NULL ||
		    (t->t_config != NULL &&
		    (td->td_path = strdup(t->t_config)) == NULL))
			fatal("table_set_load");
		td->td_conf = t;
		td->td_backend = t->t_backend;
		ts->ts_v[ts->ts_n++] = td;
		table_load_one(conf, td, t, old);
	}
	if (ts->ts_n > 0)
		qsort(ts->ts_v, ts->ts_n, sizeof(*ts->ts_v), table_set_cmp);
	return ts;
}

void
table_set_free(struct table_set *ts)
{
	size_t	i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->ts_n; i++) {
		table_data_clear(ts->ts_v[i]);
		free(ts->ts_v[i]->td_name);
		free(ts->ts_v[i]->td_path);
		free(ts->ts_v[i]);
	}
	free(ts->ts_v);
	free(ts);
}

struct table_data *
table_set_get(const struct table_set *ts, const struct table *t)
{
	size_t	lo = 0, hi = ts->ts_n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((uintptr_t)ts->ts_v[mid]->td_conf == (uintptr_t)t)
			return ts->ts_v[mid];
		if ((uintptr_t)ts->ts_v[mid]->td_conf < (uintptr_t)t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
table_data_count(const struct table_data *td)
{
	return td->td_n;
}

/* ------------------------------------------------------------------ */
/* Lookups */

static int
table_lower(char *dst, size_t len, const char *src)
{
	size_t	i;

	for (i = 0; src[i] != '\0'; i++) {
		if (i + 1 >= len)
			return -1;
		dst[i] = tolower((unsigned char)src[i]);
	}
	dst[i] = '\0';
	return 0;
}

static const struct table_ent *
table_find(const struct table_data *td, const char *lkey)
{
	size_t	lo = 0, hi = td->td_n, mid;
	int	r;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		r = strcmp(lkey, td->td_ents[mid].te_key);
		if (r == 0)
			return &td->td_ents[mid];
		if (r > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
table_lookup(struct table_data *td, const char *key, const char **val)
{
	const struct table_ent	*e;
	char			 lkey[1024];

	*val = NULL;
	if (!table_ready(td))
		return -1;
	if (table_lower(lkey, sizeof(lkey), key) == -1)
		return 0;
	if ((e = table_find(td, lkey)) == NULL)
		return 0;
	*val = e->te_val != NULL ? e->te_val : "";
	return 1;
}

int
table_match_string(struct table_data *td, const char *s)
{
	const char	*val;

	return table_lookup(td, s, &val);
}

int
table_glob(const char *p, const char *s)
{
	/* Iterative '*' matching with one backtrack point. */
	const char	*star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p != '\0' && tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
table_match_domain(struct table_data *td, const char *domain)
{
	char	key[SMTP_DOMAIN_MAX + 2];
	size_t	i;

	if (!table_ready(td))
		return -1;
	if (table_lower(key, sizeof(key), domain) == -1)
		return 0;
	if (table_find(td, key) != NULL)
		return 1;
	for (i = 0; i < td->td_nwild; i++)
		if (table_glob(td->td_ents[td->td_wild[i]].te_key, key))
			return 1;
	return 0;
}

/* The user part of an entry against the address's local part. */
static int
table_user_match(const char *euser, size_t elen, const char *user,
    char delim)
{
	size_t	ulen = strlen(user);
	char	*d;

	if (delim != '\0' && memchr(euser, delim, elen) == NULL &&
	    (d = strchr(user, delim)) != NULL)
		ulen = d - user;
	return elen == ulen && strncasecmp(euser, user, ulen) == 0;
}

/* One entry (user, @domain, user@domain, "@") against an address. */
static int
table_mailaddr_ent(const char *k, const struct mailaddr *ma, const char *dom,
    char delim)
{
	const char	*at;

	if ((at = strrchr(k, '@')) == NULL)
		return table_user_match(k, strlen(k), ma->ma_user, delim);
	if (at != k && !table_user_match(k, at - k, ma->ma_user, delim))
		return 0;
	return at[1] == '\0' || table_glob(at + 1, dom);
}

int
table_match_mailaddr(struct table_data *td, const struct mailaddr *ma,
    char delim)
{
	const struct table_ent	*e;
	char			 dom[SMTP_DOMAIN_MAX + 2];
	char			 user[SMTP_LOCALPART_MAX + 2], base[sizeof(user)];
	char			 keys[6][SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 4];
	char			*d;
	size_t			 i;

	if (!table_ready(td))
		return -1;
	if (table_lower(dom, sizeof(dom), ma->ma_domain) == -1 ||
	    table_lower(user, sizeof(user), ma->ma_user) == -1)
		return 0;
	strlcpy(base, user, sizeof(base));
	if (delim != '\0' && (d = strchr(base, delim)) != NULL)
		*d = '\0';
	/* The entries an address can match without a glob, by key. */
	snprintf(keys[0], sizeof(keys[0]), "@");
	snprintf(keys[1], sizeof(keys[1]), "@%s", dom);
	snprintf(keys[2], sizeof(keys[2]), "%s", user);
	snprintf(keys[3], sizeof(keys[3]), "%s", base);
	snprintf(keys[4], sizeof(keys[4]), "%s@%s", user, dom);
	snprintf(keys[5], sizeof(keys[5]), "%s@%s", base, dom);
	for (i = 0; i < 6; i++)
		if ((e = table_find(td, keys[i])) != NULL &&
		    table_mailaddr_ent(e->te_key, ma, dom, delim))
			return 1;
	for (i = 0; i < td->td_nwild; i++)
		if (table_mailaddr_ent(td->td_ents[td->td_wild[i]].te_key, ma,
		    dom, delim))
			return 1;
	return 0;
}

int
table_match_mailaddrmap(struct table_data *td, const char *key,
    const struct mailaddr *ma, char delim)
{
	char		 dom[SMTP_DOMAIN_MAX + 2];
	char		 ent[SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 4];
	const char	*val, *p;
	size_t		 n;
	int		 r, null = mailaddr_is_null(ma);

	if ((r = table_lookup(td, key, &val)) != 1)
		return r;
	if (!null && table_lower(dom, sizeof(dom), ma->ma_domain) == -1)
		return 0;
	for (p = val; *(p += strspn(p, ", \t")) != '\0'; p += n) {
		n = strcspn(p, ", \t");
		if (n >= sizeof(ent))
			continue;	/* longer than any address */
		memcpy(ent, p, n);
		ent[n] = '\0';
		if (null ? strcmp(ent, "@") == 0 :
		    table_mailaddr_ent(ent, ma, dom, delim))
			return 1;
	}
	return 0;
}

/* "1.2.3.4", "10.0.0.0/8", "::1", "ipv6:::1", "[::1]", "[::1]/64". */
static int
table_netaddr_parse(const char *s, int *af, uint8_t *addr, int *bits)
{
	char		 buf[INET6_ADDRSTRLEN + 16], *slash, *p;
	const char	*errstr;
	size_t		 len;

	if (strncasecmp(s, "ipv6:", 5) == 0)
		s += 5;
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	*bits = -1;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		*bits = strtonum(slash, 0, 128, &errstr);
		if (errstr != NULL)
			return -1;
	}
	p = buf;
	len = strlen(p);
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p[len - 1] = '\0';
		p++;
		if (strncasecmp(p, "ipv6:", 5) == 0)
			p += 5;
	}
	if (inet_pton(AF_INET, p, addr) == 1) {
		*af = AF_INET;
		if (*bits == -1)
			*bits = 32;
		return *bits <= 32 ? 0 : -1;
	}
	if (inet_pton(AF_INET6, p, addr) == 1) {
		*af = AF_INET6;
		if (*bits == -1)
			*bits = 128;
		return 0;
	}
	return -1;
}

static int
table_prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int	n = bits / 8, r = bits % 8;
	uint8_t	mask;

	if (memcmp(a, b, n) != 0)
		return 0;
	if (r == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - r));
	return (a[n] & mask) == (b[n] & mask);
}

int
table_match_netaddr(struct table_data *td, const char *src)
{
	uint8_t	 a[16], e[16];
	int	 af, eaf, bits, ebits;
	char	 key[128];
	size_t	 i;

	if (!table_ready(td))
		return -1;
	if (table_lower(key, sizeof(key), src) == -1)
		return 0;
	if (table_find(td, key) != NULL)
		return 1;
	if (table_netaddr_parse(src, &af, a, &bits) == -1)
		return 0;
	for (i = 0; i < td->td_n; i++) {
		if (table_netaddr_parse(td->td_ents[i].te_key, &eaf, e,
		    &ebits) == -1 || eaf != af)
			continue;
		if (table_prefix_eq(a, e, ebits))
			return 1;
	}
	return 0;
}

static int
table_regex_compile(struct table_data *td)
{
	char	ebuf[128];
	size_t	i;
	int	r;

	if (td->td_re_state != 0)
		return td->td_re_state;
	if (td->td_n > 0 &&
	    (td->td_re = calloc(td->td_n, sizeof(*td->td_re))) == NULL)
		fatal("table_regex_compile");
	for (i = 0; i < td->td_n; i++) {
		r = regcomp(&td->td_re[i], td->td_ents[i].te_raw,
		    REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (r != 0) {
			regerror(r, &td->td_re[i], ebuf, sizeof(ebuf));
			log_warnx("table %s: bad regular expression \"%s\": %s",
			    td->td_name, td->td_ents[i].te_raw, ebuf);
			while (i > 0)
				regfree(&td->td_re[--i]);
			free(td->td_re);
			td->td_re = NULL;
			td->td_re_state = -1;
			return -1;
		}
	}
	td->td_re_state = 1;
	return 1;
}

int
table_match_regex(struct table_data *td, const char *s)
{
	size_t	i;

	if (!table_ready(td))
		return -1;
	if (table_regex_compile(td) == -1)
		return -1;
	for (i = 0; i < td->td_n; i++)
		if (regexec(&td->td_re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int
table_lookup_userinfo(struct table_data *td, const char *user, uid_t *uid,
    gid_t *gid, char *home, size_t homelen)
{
	const char	*val, *errstr;
	char		 buf[ENVELOPE_ARG_MAX + 64], *p, *q;
	int		 r;

	if ((r = table_lookup(td, user, &val)) != 1)
		return r;
	if (strlcpy(buf, val, sizeof(buf)) >= sizeof(buf))
		goto bad;
	if ((p = strchr(buf, ':')) == NULL)
		goto bad;
	*p++ = '\0';
	if ((q = strchr(p, ':')) == NULL)
		goto bad;
	*q++ = '\0';
	*uid = strtonum(buf, 0, UINT_MAX - 1, &errstr);
	if (errstr != NULL)
		goto bad;
	*gid = strtonum(p, 0, UINT_MAX - 1, &errstr);
	if (errstr != NULL)
		goto bad;
	if (q[0] != '/' || strlcpy(home, q, homelen) >= homelen)
		goto bad;
	return 1;
bad:
	log_warnx("table %s: bad userinfo for %s (want uid:gid:/home)",
	    td->td_name, user);
	return -1;
}
