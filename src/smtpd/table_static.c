/*
 * The static table backend: inline tables of smtpd.conf ({ a, b },
 * { k = v }, "string") and "static:/path" or bare /path tables, whose
 * file is read whenever a configuration arrives.
 *
 * Runs in lka as _smtpd, without chroot; trusts the configuration from
 * the parent, parses files with table_parse_file() (table_file.c).
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>

#include "config.h"
#include "table.h"

static int
table_static_load(struct table_data *td, const struct table *t, int flags,
    char *err, size_t errlen)
{
	const struct table_entry	*e;

	if (t->t_config != NULL)
		return table_file_read(td, t->t_config, flags, err, errlen);
	TAILQ_FOREACH(e, &t->t_entries, te_entry) {
		if (table_data_add(td, e->te_key, e->te_val) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

const struct table_ops table_static_ops = {
	.to_name = "static",
	.to_load = table_static_load,
};
