/*
 * ~/.forward files, opened by the parent for lka (forward.5).  Runs in
 * the parent, as root.  Peer: lka, which sends only a user name; that
 * name is looked up in the password database and nothing else from the
 * message is used.  The file is never read here: the descriptor goes
 * to lka, which parses it.
 *
 * The home directory and the file are opened with the user's effective
 * ids (setgroups/setegid/seteuid, restored and verified afterwards), so
 * root's privileges never open a path the user controls, and with
 * O_NOFOLLOW so a symbolic link is refused.  Then (COMPAT.md 4.2): the
 * file must be a regular file owned by the user or root and writable by
 * neither group nor others, and the home directory must be writable by
 * neither group nor others; otherwise EPERM and a log line, and lka
 * ignores the file.  A sticky home directory is a temporary failure.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>



#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "parent_forward.h"
#include "proc.h"

#define FORWARD_GROUPS_MAX	1024

static void
parent_forward_restore(const gid_t *groups, int ngroups)
{
	if (seteuid(0) == -1 || setegid(0) == -1)
		fatal("parent_forward_restore");
	if (setgroups(ngroups, groups) == -1)
		fatal("parent_forward_restore: setgroups");
	if (geteuid() != 0 || getegid() != 0)
		fatalx("parent_forward_restore: ids not restored");
}

/* Both opens run with the user's effective ids. */
static int
parent_forward_open_as(uid_t uid, gid_t gid, const char *home, int *dfd,
    int *fd)
{
	gid_t	saved[FORWARD_GROUPS_MAX];
	int	nsaved, err = 0;

	*dfd = *fd = -1;
	if ((nsaved = getgroups(FORWARD_GROUPS_MAX, saved)) == -1)
		fatal("parent_forward_open_as: getgroups");
	if (setgroups(1, &gid) == -1 || setegid(gid) == -1 ||
	    seteuid(uid) == -1)
		fatal("parent_forward_open_as: dropping to uid %u",
		    (unsigned int)uid);
	*dfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd == -1)
		err = errno;
	else {
		*fd = openat(*dfd, ".forward", O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (*fd == -1)
			err = errno;
	}
	parent_forward_restore(saved, nsaved);
	return err;
}

int
parent_forward_file(const char *user, int *fdp)
{
	struct passwd	*pw;
	struct stat	 st;
	char		 home[PATH_MAX];
	uid_t		 uid;
	gid_t		 gid;
	int		 dfd, fd, err;

	*fdp = -1;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH)
			return ENOENT;
		err = errno;
		log_warn("parent_forward: getpwnam %s", user);
		return err;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (strlcpy(home, pw->pw_dir, sizeof(home)) >= sizeof(home) ||
	    home[0] != '/')
		return ENOENT;
	if (uid == 0) {
		/* Never delivered to (lka refuses it): never read. */
		log_warnx("parent_forward: not reading the .forward of %s "
		    "(uid 0)", user);
		return EPERM;
	}

	err = parent_forward_open_as(uid, gid, home, &dfd, &fd);
	if (err != 0) {
		if (dfd != -1)
			close(dfd);
		if (err == ENOENT || err == ENOTDIR)
			return ENOENT;
		if (err == ELOOP || err == EACCES) {
			log_warnx("parent_forward: %s/.forward: %s, ignored",
			    home, strerror(err));
			return EPERM;
		}
		log_warnx("parent_forward: %s/.forward: %s", home,
		    strerror(err));
		return err;
	}
	if (fstat(dfd, &st) == -1) {
		err = errno;
		goto fail;
	}
	if (st.st_mode & S_ISVTX) {
		log_warnx("parent_forward: home %s is sticky, deferring",
		    home);
		err = EAGAIN;
		goto fail;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != uid && st.st_uid != 0)) {
		log_warnx("parent_forward: home %s is writable by group or "
		    "others, or owned by someone else: .forward ignored", home);
		err = EPERM;
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		err = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != uid && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_warnx("parent_forward: %s/.forward is not a regular file "
		    "of %s writable only by its owner: ignored", home, user);
		err = EPERM;
		goto fail;
	}
	close(dfd);
	*fdp = fd;
	return 0;
fail:
	close(dfd);
	close(fd);
	return err;
}

void
parent_forward_open(struct ipc_msg *msg)
{
	struct msg_in	 mi;
	struct msg_out	*mo;
	const char	*user;
	int		 fd = -1, result;

	if (msg->fd != -1)
		proc_bad_msg(PROC_LKA, msg, "unexpected descriptor");
	m_open(&mi, msg);
	m_get_string(&mi, &user);
	if (m_end(&mi) == -1 || user[0] == '\0')
		proc_bad_msg(PROC_LKA, msg, "bad payload");
	result = parent_forward_file(user, &fd);
	if ((mo = malloc(sizeof(*mo))) == NULL)
		fatal("parent_forward_open");
	m_init(mo);
	m_add_u32(mo, result);
	proc_send(PROC_LKA, IMSG_PARENT_FORWARD_OPEN, msg->hdr.peerid, fd, mo);
	free(mo);
}
