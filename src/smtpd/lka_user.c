/*
 * Accounts and small files for recipient expansion: the delivery
 * account of a user (an action's userbase table, else getpwnam), and
 * the bounded read of a :include: or ~/.forward file.
 *
 * Runs in lka as _smtpd, without chroot (getpwnam and the files need
 * it); also linked into unit tests.  Trusts the configuration; the
 * files' content is returned as bytes for aliases_parse_items().
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lka.h"
#include "log.h"
#include "postern_limits.h"
#include "table.h"

int
lka_user_lookup(const struct lka_ctx *ctx, const struct action *a,
    const char *name, uid_t *uid, gid_t *gid, char *home, size_t homelen)
{
	struct passwd	*pw;

	if (strlen(name) > ENVELOPE_USER_MAX)
		return 0;
	if (a != NULL && a->a_userbase != NULL)
		return table_lookup_userinfo(table_set_get(ctx->lc_tables,
		    a->a_userbase), name, uid, gid, home, homelen);
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			return 0;
		log_warn("lka_user_lookup: getpwnam %s", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (strlcpy(home, pw->pw_dir, homelen) >= homelen) {
		log_warnx("lka_user_lookup: home of %s too long", name);
		return -1;
	}
	return 1;
}

int
lka_file_read(int fd, const char *what, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 r;

	*bufp = NULL;
	if (fstat(fd, &st) == -1) {
		log_warn("lka_file_read: %s", what);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("lka_file_read: %s: not a regular file", what);
		return -1;
	}
	if ((buf = malloc(EXPAND_MAX_FILE + 1)) == NULL)
		fatal("lka_file_read");
	for (;;) {
		r = read(fd, buf + len, EXPAND_MAX_FILE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("lka_file_read: %s", what);
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += r;
		if (len > EXPAND_MAX_FILE) {
			log_warnx("lka_file_read: %s: larger than %d bytes",
			    what, EXPAND_MAX_FILE);
			free(buf);
			return -1;
		}
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}
