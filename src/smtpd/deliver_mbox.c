/*
 * mbox delivery (action mbox, and alias/.forward /file targets).  Runs
 * in a delivery child as the recipient user (never root), in the home
 * directory, umask 077.  Input: the message already read whole and an
 * expanded path.
 *
 * Postern never delivers as root, so it cannot create /var/mail/USER
 * in Debian's root:mail 2775 /var/mail as mail.local does: the mbox
 * must exist and belong to the user (or be in a directory the user may
 * write); otherwise the delivery fails temporarily and says so.
 *
 * Locking: a dotlock <path>.lock (O_EXCL; one older than
 * DELIVER_DOTLOCK_STALE seconds is removed) when the directory is
 * writable, then an fcntl write lock on the whole file, both retried
 * for DELIVER_LOCK_TIMEOUT seconds.  Writing: "From <sender> <date>",
 * the added headers, the message with mboxrd quoting (a line matching
 * ^>*From  gets one more '>'), a final blank line.  Append or nothing:
 * on any error the file is cut back to its size before.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "mailaddr.h"

#define MBOX_BUFSIZE	(64 * 1024)

struct mbox_out {
	int	mo_fd;
	size_t	mo_len;
	int	mo_errno;
	char	mo_buf[MBOX_BUFSIZE];
};

static void
mbox_flush(struct mbox_out *mo)
{
	if (mo->mo_errno == 0 && mo->mo_len > 0 &&
	    deliver_write_all(mo->mo_fd, mo->mo_buf, mo->mo_len) == -1)
		mo->mo_errno = errno;
	mo->mo_len = 0;
}

static void
mbox_put(struct mbox_out *mo, const char *p, size_t n)
{
	size_t	chunk;

	while (n > 0 && mo->mo_errno == 0) {
		if (mo->mo_len == sizeof(mo->mo_buf))
			mbox_flush(mo);
		chunk = sizeof(mo->mo_buf) - mo->mo_len;
		if (chunk > n)
			chunk = n;
		memcpy(mo->mo_buf + mo->mo_len, p, chunk);
		mo->mo_len += chunk;
		p += chunk;
		n -= chunk;
	}
}

/* Lines of buf, each matching ^>*From  quoted with one more '>'. */
static void
mbox_put_quoted(struct mbox_out *mo, const char *buf, size_t len, int *bol)
{
	const char	*p = buf, *end = buf + len, *nl, *q;

	while (p < end) {
		if (*bol) {
			for (q = p; q < end && *q == '>'; q++)
				;
			if ((size_t)(end - q) >= 5 &&
			    memcmp(q, "From ", 5) == 0)
				mbox_put(mo, ">", 1);
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			mbox_put(mo, p, (size_t)(end - p));
			*bol = 0;
			return;
		}
		mbox_put(mo, p, (size_t)(nl - p + 1));
		*bol = 1;
		p = nl + 1;
	}
}

static void
mbox_sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* 1 locked, 0 not possible here (directory not writable), -1 timeout. */
static int
mbox_dotlock(const char *lock, time_t deadline)
{
	struct stat	st;
	int		fd;

	for (;;) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			(void)close(fd);
			return 1;
		}
		if (errno != EEXIST)
			return 0;
		if (lstat(lock, &st) == 0 &&
		    st.st_mtime + DELIVER_DOTLOCK_STALE < time(NULL))
			(void)unlink(lock);
		else if (time(NULL) >= deadline)
			return -1;
		else
			mbox_sleep_ms(200);
	}
}

static int
mbox_fcntl_lock(int fd, time_t deadline)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (;;) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		if (time(NULL) >= deadline) {
			errno = EAGAIN;
			return -1;
		}
		mbox_sleep_ms(100);
	}
}

static int
mbox_write(struct deliver *d, int fd)
{
	static struct mbox_out	 mo;
	char			 from[SMTP_PATH_MAX + 1], date[64];
	const struct mailaddr	*sender = &d->d_evp->evp_sender;
	struct tm		*tm;
	time_t			 now;
	int			 bol = 1, n;

	memset(&mo, 0, offsetof(struct mbox_out, mo_buf));
	mo.mo_fd = fd;
	if (mailaddr_is_null(sender))
		(void)strlcpy(from, "MAILER-DAEMON", sizeof(from));
	else if (mailaddr_format(sender, from, sizeof(from)) < 0)
		(void)strlcpy(from, "MAILER-DAEMON", sizeof(from));
	now = time(NULL);
	if ((tm = localtime(&now)) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", tm) == 0)
		(void)strlcpy(date, "Thu Jan  1 00:00:00 1970", sizeof(date));
	n = snprintf(mo.mo_buf, sizeof(mo.mo_buf), "From %s %s\n", from,
	    date);
	if (n < 0 || (size_t)n >= sizeof(mo.mo_buf))
		return -1;
	mo.mo_len = (size_t)n;
	mbox_put_quoted(&mo, d->d_hdr, d->d_hdrlen, &bol);
	mbox_put_quoted(&mo, d->d_msg, d->d_msglen, &bol);
	if (!bol)
		mbox_put(&mo, "\n", 1);
	mbox_put(&mo, "\n", 1);
	mbox_flush(&mo);
	if (mo.mo_errno != 0) {
		errno = mo.mo_errno;
		return -1;
	}
	return 0;
}

int
deliver_mbox(struct deliver *d, const char *path)
{
	char		 lock[PATH_MAX];
	struct stat	 st;
	time_t		 deadline = time(NULL) + DELIVER_LOCK_TIMEOUT;
	off_t		 size;
	int		 fd, dotlocked = 0, saved, code;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock))
		return deliver_fail(d, EX_TEMPFAIL, "4.2.0 mbox path too "
		    "long");
	if ((dotlocked = mbox_dotlock(lock, deadline)) == -1)
		return deliver_fail(d, EX_TEMPFAIL, "4.2.0 %s is locked (%s "
		    "exists)", path, lock);

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		saved = errno;
		code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 cannot open mbox "
		    "%s as %s: %s%s", path, d->d_evp->evp_user,
		    strerror(saved), saved == EACCES ? " (Postern delivers as "
		    "the user: the mbox must exist and belong to the user)" :
		    "");
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 mbox %s is not a "
		    "plain file", path);
		goto out;
	}
	if (mbox_fcntl_lock(fd, deadline) == -1) {
		code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 cannot lock mbox "
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((size = lseek(fd, 0, SEEK_END)) == -1) {
		code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 cannot seek in "
		    "mbox %s: %s", path, strerror(errno));
		goto out;
	}
	if (mbox_write(d, fd) == -1 || fsync(fd) == -1) {
		saved = errno;
		/* Append or nothing. */
		if (ftruncate(fd, size) == -1 || fsync(fd) == -1)
			code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 write to "
			    "mbox %s failed (%s) and it could not be cut "
			    "back: %s", path, strerror(saved),
			    strerror(errno));
		else
			code = deliver_fail(d, EX_TEMPFAIL, "4.2.0 cannot "
			    "write to mbox %s: %s", path, strerror(saved));
		goto out;
	}
	code = 0;
 out:
	if (fd != -1)
		(void)close(fd);
	if (dotlocked == 1)
		(void)unlink(lock);
	return code;
}
