/*
 * Privileges of every role, in one table that an audit reads in one
 * screen: user, root directory and system call filter.  Also the code
 * that applies them in a freshly executed child: chroot, chdir,
 * setgroups/setresgid/setresuid, a check that root cannot be regained,
 * and the seccomp filter.
 *
 * Runs in each child at start-up, as root, before any message from a
 * peer is read; trusts only the table below and the spool path given
 * by the parent on the command line.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proc_priv.h"

#define USER_DAEMON	"_smtpd"
#define USER_QUEUE	"_smtpq"

/*
 * Syscall allowlists, one per role.  NULL means no filter is installed
 * yet: the roles do not do their real work in this version, and an
 * allowlist is only worth having once it is tested against that work.
 * A list ends with -1.
 */
static const struct proc_priv proc_privs[PROC_COUNT] = {
	/* id		name		user		root		filter */
	[PROC_PARENT] =	{ "parent",	NULL,		PRIV_ROOT_NONE,	NULL },
	[PROC_CONTROL] = { "control",	USER_DAEMON,	PRIV_ROOT_EMPTY, NULL },
	[PROC_LKA] =	{ "lka",	USER_DAEMON,	PRIV_ROOT_NONE,	NULL },
	[PROC_CA] =	{ "ca",		USER_DAEMON,	PRIV_ROOT_EMPTY, NULL },
	[PROC_QUEUE] =	{ "queue",	USER_QUEUE,	PRIV_ROOT_SPOOL, NULL },
	[PROC_SCHEDULER] = { "scheduler", USER_QUEUE,	PRIV_ROOT_EMPTY, NULL },
	[PROC_SMTP] =	{ "smtp",	USER_DAEMON,	PRIV_ROOT_EMPTY, NULL },
	[PROC_MTA] =	{ "mta",	USER_DAEMON,	PRIV_ROOT_EMPTY, NULL },
	[PROC_MDA] =	{ "mda",	USER_DAEMON,	PRIV_ROOT_EMPTY, NULL },
};

const struct proc_priv *
proc_priv_get(enum proc_id id)
{
	if ((int)id < 0 || id >= PROC_COUNT)
		fatalx("proc_priv_get: bad process id %d", (int)id);
	return &proc_privs[id];
}

int
proc_priv_lookup(const char *name, enum proc_id *id)
{
	int	i;

	for (i = 0; i < PROC_COUNT; i++) {
		if (strcmp(proc_privs[i].pv_name, name) == 0) {
			*id = (enum proc_id)i;
			return 0;
		}
	}
	return -1;
}

/*
 * A root directory must be a directory owned by root that nobody else
 * can write to: otherwise the unprivileged role could plant files in
 * the tree it is confined to, or swap the tree under it.
 */
static void
proc_priv_check_root(const char *path)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		fatal("proc_priv_check_root: %s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("proc_priv_check_root: %s is not a directory", path);
	if (st.st_uid != 0)
		fatalx("proc_priv_check_root: %s is not owned by root", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("proc_priv_check_root: %s is writable by group or "
		    "others", path);
}

static void
proc_priv_seccomp(const char *name, const int *syscalls)
{
	scmp_filter_ctx	 ctx;
	int		 r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("proc_priv_seccomp: PR_SET_NO_NEW_PRIVS");
	if (syscalls == NULL)
		return;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("proc_priv_seccomp: %s: seccomp_init failed", name);
	for (; *syscalls != -1; syscalls++) {
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *syscalls,
		    0)) < 0)
			fatalx("proc_priv_seccomp: %s: syscall %d: %s", name,
			    *syscalls, strerror(-r));
	}
	if ((r = seccomp_load(ctx)) < 0)
		fatalx("proc_priv_seccomp: %s: seccomp_load: %s", name,
		    strerror(-r));
	seccomp_release(ctx);
}

void
proc_priv_drop(enum proc_id id, const char *spool)
{
	const struct proc_priv	*pv = proc_priv_get(id);
	const struct passwd	*pw;
	const char		*root;
	uid_t			 uid, ruid, euid, suid;
	gid_t			 gid, rgid, egid, sgid;

	if (pv->pv_user == NULL)
		fatalx("proc_priv_drop: %s has no user to drop to",
		    pv->pv_name);
	/* Before chroot: the user database is outside the new root. */
	if ((pw = getpwnam(pv->pv_user)) == NULL)
		fatalx("proc_priv_drop: unknown user %s", pv->pv_user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0 || gid == 0)
		fatalx("proc_priv_drop: user %s has uid or gid 0",
		    pv->pv_user);

	switch (pv->pv_root) {
	case PRIV_ROOT_NONE:
		root = NULL;
		break;
	case PRIV_ROOT_EMPTY:
		root = PROC_EMPTY_DIR;
		break;
	case PRIV_ROOT_SPOOL:
		if (spool == NULL || spool[0] != '/')
			fatalx("proc_priv_drop: %s needs an absolute spool "
			    "path", pv->pv_name);
		root = spool;
		break;
	default:
		fatalx("proc_priv_drop: bad root kind %d", pv->pv_root);
	}
	if (root != NULL) {
		proc_priv_check_root(root);
		if (chroot(root) == -1)
			fatal("proc_priv_drop: chroot %s", root);
	}
	if (chdir("/") == -1)
		fatal("proc_priv_drop: chdir /");

	if (setgroups(1, &gid) == -1)
		fatal("proc_priv_drop: setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("proc_priv_drop: setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("proc_priv_drop: setresuid");

	/* Verify instead of trusting the calls above. */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("proc_priv_drop: getresuid/getresgid");
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid)
		fatalx("proc_priv_drop: ids not dropped");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("proc_priv_drop: could regain uid 0");
	if (setgid(0) != -1 || setegid(0) != -1)
		fatalx("proc_priv_drop: could regain gid 0");

	proc_priv_seccomp(pv->pv_name, pv->pv_syscalls);
}
