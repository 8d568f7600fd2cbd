/*
 * The file table backend (file:/path): a table(5) file read whole when
 * a configuration arrives (start and every reload).  If it cannot be
 * read, table.c keeps the previous contents.  Also the file reader the
 * static backend uses for its path form.
 *
 * Runs in lka as _smtpd, without chroot.  The file belongs to the
 * administrator but its bytes are parsed as untrusted by
 * table_parse_file() (src/lib/table_parse.c); size is bounded by
 * TABLE_MAX_FILE.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "config.h"
#include "postern_limits.h"
#include "table.h"

static int
table_file_entry(void *arg, const char *key, const char *val, int line)
{
	return table_data_add(arg, key, val);
}

int
table_file_read(struct table_data *td, const char *path, int flags,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, perr[256];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, pflags = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > TABLE_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    TABLE_MAX_FILE);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: file grew while being read", path);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (flags & TABLE_LOAD_ALIASES)
		pflags |= TABLE_PARSE_ALIASES;
	perr[0] = '\0';
	if (table_parse_file(buf, len, pflags, table_file_entry, td, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, errlen, "%s: %s", path,
		    perr[0] != '\0' ? perr : "out of memory");
		goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	if (fd != -1)
		close(fd);
	return -1;
}

static int
table_file_load(struct table_data *td, const struct table *t, int flags,
    char *err, size_t errlen)
{
	if (t->t_config == NULL) {
		snprintf(err, errlen, "no path");
		return -1;
	}
	return table_file_read(td, t->t_config, flags, err, errlen);
}

const struct table_ops table_file_ops = {
	.to_name = "file",
	.to_load = table_file_load,
};
