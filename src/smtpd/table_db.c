/*
 * The db table backend (db:/path): a Berkeley DB hash (or btree) file
 * as OpenSMTPD's makemap writes it, read through libdb's 1.85 API,
 * whose files Debian's libdb5.3 reads and writes ("Berkeley DB (Hash,
 * version 9)").  Keys and values are stored with their terminating NUL;
 * a list (makemap -t set) has empty values.  The whole file is read
 * into memory when a configuration arrives, and again when its mtime
 * changes (table.c checks before each lookup), as OpenSMTPD does.
 *
 * Runs in lka as _smtpd, without chroot.  The file is the
 * administrator's, but every key and value is checked (a NUL inside,
 * over-long) before it is used; size is bounded by TABLE_MAX_FILE.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <db_185.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "postern_limits.h"
#include "table.h"

#define TABLE_DB_MAX_ITEM	(64 * 1024)	/* one key or value */

/* A key or value as a C string: the stored NUL dropped, none inside. */
static int
table_db_str(const DBT *d, char *buf, size_t len)
{
	size_t	n = d->size;

	if (n > 0 && ((const char *)d->data)[n - 1] == '\0')
		n--;
	if (n >= len || memchr(d->data, '\0', n) != NULL)
		return -1;
	memcpy(buf, d->data, n);
	buf[n] = '\0';
	return 0;
}

static int
table_db_load(struct table_data *td, const struct table *t, int flags,
    char *err, size_t errlen)
{
	static char	 kbuf[TABLE_DB_MAX_ITEM], vbuf[TABLE_DB_MAX_ITEM];
	struct stat	 st;
	DB		*db;
	DBT		 key, val;
	int		 r;

	if (t->t_config == NULL) {
		snprintf(err, errlen, "no path");
		return -1;
	}
	if (stat(t->t_config, &st) == -1) {
		snprintf(err, errlen, "%s: %s", t->t_config, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TABLE_MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %d "
		    "bytes", t->t_config, TABLE_MAX_FILE);
		return -1;
	}
	if ((db = dbopen(t->t_config, O_RDONLY, 0, DB_HASH, NULL)) == NULL &&
	    (db = dbopen(t->t_config, O_RDONLY, 0, DB_BTREE, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a Berkeley DB hash or btree: %s",
		    t->t_config, strerror(errno));
		return -1;
	}
	for (r = db->seq(db, &key, &val, R_FIRST); r == 0;
	    r = db->seq(db, &key, &val, R_NEXT)) {
		if (table_db_str(&key, kbuf, sizeof(kbuf)) == -1 ||
		    table_db_str(&val, vbuf, sizeof(vbuf)) == -1 ||
		    kbuf[0] == '\0') {
			snprintf(err, errlen, "%s: a key or value is empty, too "
			    "long or holds a NUL", t->t_config);
			db->close(db);
			return -1;
		}
		if (table_data_add(td, kbuf, vbuf[0] != '\0' ? vbuf :
		    NULL) == -1) {
			snprintf(err, errlen, "out of memory");
			db->close(db);
			return -1;
		}
	}
	if (r == -1) {
		snprintf(err, errlen, "%s: %s", t->t_config, strerror(errno));
		db->close(db);
		return -1;
	}
	db->close(db);
	return 0;
}

const struct table_ops table_db_ops = {
	.to_name = "db",
	.to_load = table_db_load,
	.to_autoreload = 1,
};
