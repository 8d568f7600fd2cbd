/*
 * The "fs" queue backend: one directory per message, one file per
 * envelope.  Runs in the queue process (_smtpq, chrooted to the spool
 * root) and in unit tests (root, in a temporary directory); every path
 * is relative to the root descriptor given to fs_init(), so both look
 * the same.  No peers; it trusts its caller's ids but not the spool's
 * contents: names that are not ours, missing files and oversized
 * envelope files are moved to corrupt/ rather than believed.
 *
 * Layout (COMPAT.md section 7):
 *
 *	incoming/<msgid>/message		being received or built
 *	incoming/<msgid>/<evpid>
 *	queue/<bucket>/<msgid>/message		committed
 *	queue/<bucket>/<msgid>/<evpid>
 *	corrupt/<msgid> or corrupt/<evpid>	moved aside, never read
 *
 * msgid is %08x, evpid %016llx, bucket %02x = msgid & 0xff.
 *
 * Durability: a commit is one syncfs() for the whole batch (every file
 * and directory written in incoming/), the renames into queue/, then a
 * second syncfs() for the renames.  A message is thus in queue/
 * completely or not at all after any crash.  Measured on the project's
 * shared 2-vCPU ext4 machine under load (1 KiB messages, 1 envelope,
 * 600 commits): one at a time (fsync message, fsync envelope, rename,
 * fsync both directories) 62/s; batches of 10 and 100 with per-file
 * fsync()s 77/s and 50/s; with syncfs + renames + fsync of each touched
 * directory 140-190/s; with syncfs + renames + syncfs 290-420/s.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern_limits.h"
#include "queue.h"

#define FS_PATH_MAX	128
#define FS_NBUCKETS	256
#define FS_TMP_SUFFIX	".tmp"
#define FS_CORRUPT_TRIES 100
#define FS_NOTE_MAX	512		/* a log line about the spool */

static int	fs_root = -1;
static uint8_t	fs_bucket_made[FS_NBUCKETS];

static int
fs_path(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fs_path(char *buf, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, FS_PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= FS_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
fs_msgdir(char *buf, int incoming, uint32_t msgid)
{
	if (incoming)
		return fs_path(buf, "incoming/%08x", msgid);
	return fs_path(buf, "queue/%02x/%08x", msgid & 0xff, msgid);
}

static int
fs_evpfile(char *buf, int incoming, uint64_t evpid)
{
	uint32_t	 msgid = (uint32_t)(evpid >> 32);

	if (incoming)
		return fs_path(buf, "incoming/%08x/%016llx", msgid,
		    (unsigned long long)evpid);
	return fs_path(buf, "queue/%02x/%08x/%016llx", msgid & 0xff,
	    msgid, (unsigned long long)evpid);
}

static int
fs_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Remove a file that could not be completed: -1, errno kept. */
static int
fs_discard(int at, const char *path)
{
	int	saved = errno;

	(void)unlinkat(at, path, 0);
	errno = saved;
	return -1;
}

/* A new file holding exactly text (fsync'd if sync), or -1. */
static int
fs_write_file(int at, const char *path, const char *text, size_t len,
    int flags, int sync)
{
	int	 fd, saved;

	fd = openat(at, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    flags, 0600);
	if (fd == -1)
		return -1;
	if (fs_write_all(fd, text, len) == -1 || (sync && fsync(fd) == -1)) {
		saved = errno;
		close(fd);
		errno = saved;
		return fs_discard(at, path);
	}
	if (close(fd) == -1)
		return fs_discard(at, path);
	return 0;
}

/* Read a whole small file into buf (NUL-terminated); EFBIG if it does
 * not fit in len - 1 bytes. */
static ssize_t
fs_read_file(int at, const char *path, char *buf, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;
	int	 fd, saved;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(at, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	for (;;) {
		n = read(fd, buf + got, len - got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == len) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Remove path (a file, or a directory and what it holds, depth levels
 * deep).  A path that is already gone is not an error. */
static int
fs_rmtree(int at, const char *path, int depth)
{
	struct dirent	*de;
	DIR		*dir;
	int		 fd, r = 0, saved;

	if (unlinkat(at, path, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth <= 0) {
		errno = ENOTEMPTY;
		return -1;
	}
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_rmtree(dirfd(dir), de->d_name, depth - 1) == -1)
			r = -1;
	}
	saved = errno;
	closedir(dir);
	if (r == -1) {
		errno = saved;
		return -1;
	}
	if (unlinkat(at, path, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* Move at/path to corrupt/name, or name.N if taken. */
static int
fs_move_corrupt(int at, const char *path, const char *name)
{
	char	 dst[FS_PATH_MAX];
	int	 i;

	for (i = 0; i < FS_CORRUPT_TRIES; i++) {
		if (i == 0) {
			if (fs_path(dst, "corrupt/%s", name) == -1)
				return -1;
		} else if (fs_path(dst, "corrupt/%s.%d", name, i) == -1)
			return -1;
		if (faccessat(fs_root, dst, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (renameat(at, path, fs_root, dst) == 0)
			return 0;
		if (errno != EEXIST && errno != ENOTEMPTY)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/*
 * Move at/name aside to corrupt/ and tell note why (what), saying
 * whether the move worked: a file that cannot be moved stays where it
 * is, unread, and is reported again at the next start.
 */
static void
fs_aside(int at, const char *name, const char *what, queue_note_cb note,
    void *arg)
{
	char	 line[FS_NOTE_MAX];

	if (fs_move_corrupt(at, name, name) == 0)
		snprintf(line, sizeof(line), "%s, moved to corrupt/", what);
	else
		snprintf(line, sizeof(line), "%s, left in place (cannot move "
		    "it to corrupt/: %s)", what, strerror(errno));
	note(arg, 1, line);
}

/*
 * rootfd is a directory descriptor or AT_FDCWD (the queue runs with its
 * chroot, the spool root, as working directory, and so holds no
 * descriptor between messages).  The spool root itself is root's (mode
 * 0711): the queue may only pass through it, so syncfs() goes through
 * queue/, ours and on the same file system.
 */
static int
fs_init(int rootfd)
{
	char		 path[FS_PATH_MAX];
	unsigned int	 b;

	fs_root = rootfd;
	memset(fs_bucket_made, 0, sizeof(fs_bucket_made));
	if (faccessat(fs_root, "queue", R_OK | W_OK | X_OK, 0) == -1)
		return -1;
	/* Every bucket now, so that no commit pays for a mkdir. */
	for (b = 0; b < FS_NBUCKETS; b++) {
		if (fs_path(path, "queue/%02x", b) == -1)
			return -1;
		if (mkdirat(fs_root, path, 0700) == 0 || errno == EEXIST)
			fs_bucket_made[b] = 1;
	}
	return 0;
}

static int
fs_sync(void)
{
	int	 fd, r, saved;

	fd = openat(fs_root, "queue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

static int
fs_clear_incoming(queue_note_cb note, void *arg)
{
	struct dirent	*de;
	DIR		*dir;
	char		 what[FS_NOTE_MAX];
	int		 fd, r = 0;

	fd = openat(fs_root, "incoming", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_rmtree(dirfd(dir), de->d_name, 3) == -1) {
			r = -1;
			continue;
		}
		snprintf(what, sizeof(what), "incoming/%s: half-received, "
		    "removed", de->d_name);
		note(arg, 0, what);
	}
	closedir(dir);
	return r;
}

static int
fs_message_create(uint32_t msgid)
{
	char	 dir[FS_PATH_MAX], path[FS_PATH_MAX];
	int	 fd, saved;

	/* A committed message may hold this id already. */
	if (fs_msgdir(path, 0, msgid) == -1)
		return -1;
	if (faccessat(fs_root, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (fs_msgdir(dir, 1, msgid) == -1)
		return -1;
	if (mkdirat(fs_root, dir, 0700) == -1)
		return -1;
	if (fs_path(path, "%s/message", dir) == -1)
		goto fail;
	fd = openat(fs_root, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	fs_rmtree(fs_root, dir, 1);
	errno = saved;
	return -1;
}

static int
fs_envelope_create(uint32_t msgid, uint64_t evpid, const char *text,
    size_t len)
{
	char	 path[FS_PATH_MAX];

	if (evpid >> 32 != msgid) {
		errno = EINVAL;
		return -1;
	}
	if (fs_evpfile(path, 1, evpid) == -1)
		return -1;
	return fs_write_file(fs_root, path, text, len, O_EXCL, 0);
}

static int
fs_envelope_discard(uint32_t msgid, uint64_t evpid)
{
	char	 path[FS_PATH_MAX];

	if (evpid >> 32 != msgid) {
		errno = EINVAL;
		return -1;
	}
	if (fs_evpfile(path, 1, evpid) == -1)
		return -1;
	if (unlinkat(fs_root, path, 0) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
fs_message_rollback(uint32_t msgid)
{
	char	 dir[FS_PATH_MAX];

	if (fs_msgdir(dir, 1, msgid) == -1)
		return -1;
	return fs_rmtree(fs_root, dir, 2);
}

static int
fs_message_commit(const uint32_t *msgids, int *ok, size_t n)
{
	char	 src[FS_PATH_MAX], dst[FS_PATH_MAX];
	size_t	 i, moved = 0;
	unsigned int b;

	for (i = 0; i < n; i++)
		ok[i] = 0;
	/* Data and envelopes of the whole batch, and incoming/ itself. */
	if (fs_sync() == -1)
		return 0;

	for (i = 0; i < n; i++) {
		b = msgids[i] & 0xff;
		if (!fs_bucket_made[b]) {
			if (fs_path(dst, "queue/%02x", b) == -1)
				continue;
			if (mkdirat(fs_root, dst, 0700) == -1 &&
			    errno != EEXIST)
				continue;
			fs_bucket_made[b] = 1;
		}
		if (fs_msgdir(src, 1, msgids[i]) == -1 ||
		    fs_msgdir(dst, 0, msgids[i]) == -1)
			continue;
		if (renameat(fs_root, src, fs_root, dst) == -1)
			continue;
		ok[i] = 1;
		moved++;
	}
	if (moved == 0)
		return 0;

	/*
	 * Make the renames durable.  A second syncfs() measured faster than
	 * an fsync() of each touched directory (one journal commit each):
	 * see the figures in the header.
	 */
	if (fs_sync() == -1)
		return -1;
	return 0;
}

static int
fs_message_open(uint32_t msgid)
{
	char	 path[FS_PATH_MAX];

	if (fs_path(path, "queue/%02x/%08x/message", msgid & 0xff,
	    msgid) == -1)
		return -1;
	return openat(fs_root, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static ssize_t
fs_envelope_read(uint64_t evpid, char *buf, size_t len)
{
	char	 path[FS_PATH_MAX];

	if (fs_evpfile(path, 0, evpid) == -1)
		return -1;
	return fs_read_file(fs_root, path, buf, len);
}

/*
 * An envelope is replaced in two steps so that updates share the group
 * commit's syncfs: the new text goes to <evpid>.tmp (not synced), and
 * once a sync has run, the rename puts it in place.  A crash leaves the
 * old or the new file, never a cut one (a left-over .tmp is removed at
 * start).
 */
static int
fs_envelope_stage(uint64_t evpid, const char *text, size_t len)
{
	char	 path[FS_PATH_MAX], tmp[FS_PATH_MAX];

	if (fs_evpfile(path, 0, evpid) == -1 ||
	    fs_path(tmp, "%s%s", path, FS_TMP_SUFFIX) == -1)
		return -1;
	if (faccessat(fs_root, path, F_OK, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return fs_write_file(fs_root, tmp, text, len, O_TRUNC, 0);
}

static int
fs_envelope_install(uint64_t evpid)
{
	char	 path[FS_PATH_MAX], tmp[FS_PATH_MAX];

	if (fs_evpfile(path, 0, evpid) == -1 ||
	    fs_path(tmp, "%s%s", path, FS_TMP_SUFFIX) == -1)
		return -1;
	if (renameat(fs_root, tmp, fs_root, path) == -1)
		return fs_discard(fs_root, tmp);
	return 0;
}

/* If the message has no envelope left, remove it: 1 if it went. */
static int
fs_message_gc(uint32_t msgid)
{
	struct dirent	*de;
	DIR		*d;
	char		 dir[FS_PATH_MAX];
	int		 fd, used = 0;

	if (fs_msgdir(dir, 0, msgid) == -1)
		return -1;
	fd = openat(fs_root, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (!used && (de = readdir(d)) != NULL)
		used = strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "message") != 0;
	closedir(d);
	if (used)
		return 0;
	if (fs_rmtree(fs_root, dir, 1) == -1)
		return -1;
	return 1;
}

static int
fs_envelope_delete(uint64_t evpid)
{
	char	 path[FS_PATH_MAX];

	if (fs_evpfile(path, 0, evpid) == -1)
		return -1;
	if (unlinkat(fs_root, path, 0) == -1)
		return -1;
	return fs_message_gc((uint32_t)(evpid >> 32));
}

static int
fs_envelope_corrupt(uint64_t evpid, int whole_message)
{
	char	 path[FS_PATH_MAX], name[32];
	uint32_t msgid = (uint32_t)(evpid >> 32);

	if (whole_message) {
		if (fs_msgdir(path, 0, msgid) == -1)
			return -1;
		snprintf(name, sizeof(name), "%08x", msgid);
		if (fs_move_corrupt(fs_root, path, name) == -1)
			return -1;
		return 1;
	}
	if (fs_evpfile(path, 0, evpid) == -1)
		return -1;
	snprintf(name, sizeof(name), "%016llx", (unsigned long long)evpid);
	if (fs_move_corrupt(fs_root, path, name) == -1)
		return -1;
	return fs_message_gc(msgid);
}

/* Exactly `digits` lower-case hex digits. */
static int
fs_hexname(const char *s, size_t digits, uint64_t *v)
{
	size_t	 i;
	uint64_t x = 0;
	char	 c;

	for (i = 0; i < digits; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			x = x << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	if (s[digits] != '\0')
		return -1;
	*v = x;
	return 0;
}

static int
fs_has_suffix(const char *s, const char *suffix)
{
	size_t	 a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

/* The envelopes of one committed message (msgfd, closed here); the
 * number kept, or -1. */
static int
fs_load_envelopes(int msgfd, uint32_t msgid, queue_load_cb cb,
    queue_note_cb note, void *arg)
{
	struct dirent	*de;
	DIR		*dir;
	char		 text[ENVELOPE_TEXT_MAX + 1], what[FS_NOTE_MAX];
	uint64_t	 evpid;
	ssize_t		 len;
	int		 kept = 0;

	if ((dir = fdopendir(msgfd)) == NULL) {
		close(msgfd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "message") == 0)
			continue;
		if (fs_has_suffix(de->d_name, FS_TMP_SUFFIX)) {
			/* An update cut short: the envelope itself is whole. */
			unlinkat(dirfd(dir), de->d_name, 0);
			continue;
		}
		if (fs_hexname(de->d_name, 16, &evpid) == -1 ||
		    evpid >> 32 != msgid || (uint32_t)evpid == 0) {
			snprintf(what, sizeof(what), "message %08x: stray "
			    "file %s", msgid, de->d_name);
			fs_aside(dirfd(dir), de->d_name, what, note, arg);
			continue;
		}
		len = fs_read_file(dirfd(dir), de->d_name, text, sizeof(text));
		if (len == -1 || cb(arg, evpid, text, (size_t)len) == -1) {
			snprintf(what, sizeof(what), "envelope %016llx: %s",
			    (unsigned long long)evpid,
			    len == -1 ? strerror(errno) : "refused");
			fs_aside(dirfd(dir), de->d_name, what, note, arg);
			continue;
		}
		kept++;
	}
	closedir(dir);
	return kept;
}

static int
fs_load_bucket(unsigned int bucket, queue_load_cb cb, queue_note_cb note,
    void *arg)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*dir;
	char		 path[FS_PATH_MAX], what[FS_NOTE_MAX];
	uint64_t	 v;
	uint32_t	 msgid;
	int		 fd, msgfd, kept;

	if (bucket >= FS_NBUCKETS || fs_path(path, "queue/%02x", bucket) == -1)
		return -1;
	fd = openat(fs_root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_hexname(de->d_name, 8, &v) == -1 || v == 0 ||
		    (v & 0xff) != bucket) {
			snprintf(what, sizeof(what), "stray queue/%02x/%s",
			    bucket, de->d_name);
			fs_aside(dirfd(dir), de->d_name, what, note, arg);
			continue;
		}
		msgid = (uint32_t)v;
		msgfd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (msgfd == -1 || fstatat(msgfd, "message", &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode)) {
			if (msgfd != -1)
				close(msgfd);
			snprintf(what, sizeof(what), "message %08x: no message "
			    "file", msgid);
			fs_aside(dirfd(dir), de->d_name, what, note, arg);
			continue;
		}
		kept = fs_load_envelopes(msgfd, msgid, cb, note, arg);
		if (kept == -1) {
			snprintf(what, sizeof(what), "message %08x: "
			    "unreadable directory", msgid);
			fs_aside(dirfd(dir), de->d_name, what, note, arg);
		} else if (kept == 0) {
			fs_rmtree(dirfd(dir), de->d_name, 1);
			snprintf(what, sizeof(what), "message %08x: no "
			    "envelopes left, removed", msgid);
			note(arg, 0, what);
		}
	}
	closedir(dir);
	return 0;
}

const struct queue_backend queue_backend_fs = {
	.qb_name = "fs",
	.qb_init = fs_init,
	.qb_clear_incoming = fs_clear_incoming,
	.qb_message_create = fs_message_create,
	.qb_envelope_create = fs_envelope_create,
	.qb_envelope_discard = fs_envelope_discard,
	.qb_message_rollback = fs_message_rollback,
	.qb_message_commit = fs_message_commit,
	.qb_message_open = fs_message_open,
	.qb_envelope_read = fs_envelope_read,
	.qb_envelope_stage = fs_envelope_stage,
	.qb_envelope_install = fs_envelope_install,
	.qb_sync = fs_sync,
	.qb_envelope_delete = fs_envelope_delete,
	.qb_envelope_corrupt = fs_envelope_corrupt,
	.qb_nbuckets = FS_NBUCKETS,
	.qb_load_bucket = fs_load_bucket,
};

static const struct queue_backend *const queue_backends[] = {
	&queue_backend_fs,
};

const struct queue_backend *
queue_backend_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(queue_backends) / sizeof(queue_backends[0]);
	    i++) {
		if (strcmp(queue_backends[i]->qb_name, name) == 0)
			return queue_backends[i];
	}
	return NULL;
}
