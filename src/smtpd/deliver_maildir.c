/*
 * Maildir delivery.  Runs in a delivery child as the recipient user
 * (never root), in the home directory, umask 077.  Input: the message
 * already read whole (deliver.c) and an expanded maildir path.
 *
 * The message is written to tmp/<unique>, fsynced, renamed (without
 * replacing anything) into new/, and new/ is fsynced; only then is the
 * delivery done.  Any failure removes what was written and is a
 * temporary failure: new/ never holds an empty or cut file.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"

/* fsync a directory by name. */
static int
sync_dir(const char *path)
{
	int	fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

static int
maildir_temp(int err)
{
	/* Everything that can go wrong here may be fixed by waiting or by
	 * the user: a full disk (ENOSPC, EDQUOT) above all. */
	(void)err;
	return EX_TEMPFAIL;
}

/* Make dir and its tmp/ new/ cur/ if missing (0700). */
static int
maildir_make(struct deliver *d, const char *dir)
{
	static const char	*subs[] = { "tmp", "new", "cur" };
	char			 path[PATH_MAX], parent[PATH_MAX], *slash;
	size_t			 i;
	int			 created = 0;

	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST)
		return deliver_fail(d, maildir_temp(errno), "4.2.0 cannot "
		    "create maildir %s: %s", dir, strerror(errno));
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    subs[i]) >= sizeof(path))
			return deliver_fail(d, EX_TEMPFAIL, "4.2.0 maildir "
			    "path too long");
		if (mkdir(path, 0700) == 0)
			created = 1;
		else if (errno != EEXIST)
			return deliver_fail(d, maildir_temp(errno), "4.2.0 "
			    "cannot create %s: %s", path, strerror(errno));
	}
	if (!created)
		return 0;
	/* New directories must survive a crash with the mail in them. */
	(void)strlcpy(parent, dir, sizeof(parent));
	if ((slash = strrchr(parent, '/')) == NULL)
		(void)strlcpy(parent, ".", sizeof(parent));
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (sync_dir(dir) == -1 || sync_dir(parent) == -1)
		return deliver_fail(d, maildir_temp(errno), "4.2.0 cannot "
		    "sync maildir %s: %s", dir, strerror(errno));
	return 0;
}

/* The host name with '/' and ':' written as \057 and \072 (maildir). */
static void
maildir_host(const char *host, char *buf, size_t len)
{
	size_t	o = 0;

	buf[0] = '\0';
	for (; *host != '\0' && o + 5 < len; host++) {
		if (*host == '/' || *host == ':') {
			(void)snprintf(buf + o, len - o, "\\%03o",
			    (unsigned char)*host);
			o += 4;
		} else
			buf[o++] = *host;
		buf[o] = '\0';
	}
}

int
deliver_maildir(struct deliver *d, const char *path, int junk)
{
	char		 dir[PATH_MAX], tmp[PATH_MAX], new[PATH_MAX];
	char		 newdir[PATH_MAX], host[256], name[512];
	struct timeval	 tv;
	int		 fd, r, saved;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return deliver_fail(d, EX_TEMPFAIL, "4.2.0 maildir path too "
		    "long");
	if ((r = maildir_make(d, dir)) != 0)
		return r;
	if (junk && deliver_header_is(d, "X-Spam:", "yes")) {
		if (strlcat(dir, "/.Junk", sizeof(dir)) >= sizeof(dir))
			return deliver_fail(d, EX_TEMPFAIL, "4.2.0 maildir "
			    "path too long");
		if ((r = maildir_make(d, dir)) != 0)
			return r;
	}

	(void)gettimeofday(&tv, NULL);
	maildir_host(d->d_hostname, host, sizeof(host));
	(void)snprintf(name, sizeof(name), "%lld.M%ldP%dQ%016llx.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
	    (unsigned long long)d->d_evp->evp_id, host);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(new, sizeof(new), "%s/new/%s", dir, name) >=
	    sizeof(new) ||
	    (size_t)snprintf(newdir, sizeof(newdir), "%s/new", dir) >=
	    sizeof(newdir))
		return deliver_fail(d, EX_TEMPFAIL, "4.2.0 maildir path too "
		    "long");

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return deliver_fail(d, maildir_temp(errno), "4.2.0 cannot "
		    "create %s: %s", tmp, strerror(errno));
	if (deliver_write_all(fd, d->d_hdr, d->d_hdrlen) == -1 ||
	    deliver_write_all(fd, d->d_msg, d->d_msglen) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		return deliver_fail(d, maildir_temp(saved), "4.2.0 cannot "
		    "write %s: %s", tmp, strerror(saved));
	}
	if (close(fd) == -1) {
		saved = errno;
		(void)unlink(tmp);
		return deliver_fail(d, maildir_temp(saved), "4.2.0 cannot "
		    "write %s: %s", tmp, strerror(saved));
	}
	r = renameat2(AT_FDCWD, tmp, AT_FDCWD, new, RENAME_NOREPLACE);
	if (r == -1 && errno == EINVAL)	/* file system without the flag */
		r = link(tmp, new) == 0 ? unlink(tmp) : -1;
	if (r == -1) {
		saved = errno;
		(void)unlink(tmp);
		return deliver_fail(d, maildir_temp(saved), "4.2.0 cannot "
		    "move the message into %s: %s", newdir, strerror(saved));
	}
	/*
	 * Not durable until new/ is: take it back out rather than tell
	 * the queue it is delivered (a retry then costs no duplicate).
	 */
	if (sync_dir(newdir) == -1) {
		saved = errno;
		(void)unlink(new);
		return deliver_fail(d, maildir_temp(saved), "4.2.0 cannot "
		    "sync %s: %s", newdir, strerror(saved));
	}
	return 0;
}
