/*
 * Tables as lka sees them (src/smtpd/table.c and its backends
 * table_static.c, table_file.c): the contents of every table of the
 * configuration, loaded into memory when the configuration arrives,
 * and the lookups of COMPAT.md 3.3 on them.
 *
 * A backend only fills a table's entries (struct table_ops, chosen by
 * the backend word of the config); table.c owns the storage and every
 * lookup kind, so each kind behaves the same whatever the backend.
 * Keys are lower-cased on load (COMPAT 3, quirk 8: inline keys too);
 * the key as written is kept for regular expressions, which are
 * compiled case-insensitive anyway.
 *
 * Every lookup returns 1 (found / matches), 0 (not found) or -1 (the
 * table is unusable: it could never be loaded), which callers turn
 * into a temporary failure.
 */
#ifndef POSTERN_TABLE_H
#define POSTERN_TABLE_H

#include <sys/types.h>

#include <stddef.h>

#include "mailaddr.h"

struct smtpd_config;
struct table;
struct table_data;
struct table_set;

/* One backend: fills td with the contents described by t. */
struct table_ops {
	const char	*to_name;
	/* 0, or -1 with a reason in err (the old contents then stay). */
	int		(*to_load)(struct table_data *, const struct table *,
			    int flags, char *err, size_t errlen);
	/* Load again before a lookup when the file's mtime changed. */
	int		 to_autoreload;
};

/* flags of to_load */
#define TABLE_LOAD_ALIASES	0x01	/* used as alias/virtual: aliases(5)
					 * syntax (continuation lines) */

extern const struct table_ops	table_static_ops;
extern const struct table_ops	table_file_ops;
extern const struct table_ops	table_db_ops;

/* For backends: add one entry (val NULL in a list).  0 or -1 (ENOMEM). */
int	 table_data_add(struct table_data *, const char *key, const char *val);
/* For backends: read a whole table file (table(5)/aliases(5) syntax)
 * into td.  0 or -1 with err. */
int	 table_file_read(struct table_data *, const char *path, int flags,
	    char *err, size_t errlen);

/*
 * Load every table of conf.  A table whose load fails keeps the
 * contents it had in old (same name, backend and path), with a log
 * line; without old contents it is unusable and its lookups return -1.
 * proc tables are refused here (logged, unusable): Postern has no
 * table processes yet.  old may be NULL; it is not freed.
 */
struct table_set *table_set_load(const struct smtpd_config *conf,
	    const struct table_set *old);
void		 table_set_free(struct table_set *);
/* The loaded form of a table of the configuration (never NULL for a
 * table of the config the set was loaded from; NULL otherwise). */
struct table_data *table_set_get(const struct table_set *,
	    const struct table *);
size_t		 table_data_count(const struct table_data *);

/* List membership / exact key (string, tag, auth user; lower-cased). */
int	 table_match_string(struct table_data *, const char *);
/* Domain: exact or '*' glob on the whole name, case-insensitive. */
int	 table_match_domain(struct table_data *, const char *);
/* Mail address entries: user, @domain, user@domain, user@*.dom, "@".
 * A sub-address in the address is ignored unless the entry has one. */
int	 table_match_mailaddr(struct table_data *, const struct mailaddr *,
	    char subaddr_delim);
/* Mailaddrmap (`senders`): any entry of key's value (a list separated
 * by commas or spaces, entries as for table_match_mailaddr) matches ma.
 * The null path matches only the entry "@".  0 also when key is not
 * in the table. */
int	 table_match_mailaddrmap(struct table_data *, const char *key,
	    const struct mailaddr *, char subaddr_delim);
/* Client address ("192.0.2.1", "::1", "local") against addresses and
 * CIDR blocks (bare, "ipv6:" prefixed or in brackets). */
int	 table_match_netaddr(struct table_data *, const char *);
/* Any entry, as a POSIX extended regex (case-insensitive, unanchored),
 * matches s.  An entry that does not compile makes the table unusable
 * for regex use (-1, logged once). */
int	 table_match_regex(struct table_data *, const char *);
/* Mapping: value of the exact (lower-cased) key. */
int	 table_lookup(struct table_data *, const char *key, const char **val);
/* userinfo value "uid:gid:home" of user. */
int	 table_lookup_userinfo(struct table_data *, const char *user,
	    uid_t *, gid_t *, char *home, size_t homelen);

/* Case-insensitive glob with '*' only (domains). */
int	 table_glob(const char *pattern, const char *s);

#endif
