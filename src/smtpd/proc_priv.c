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
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proc_priv.h"

#define USER_DAEMON	"_smtpd"
#define USER_QUEUE	"_smtpq"

/*
 * System call allowlists.  A role may make the calls of proc_sys_common
 * plus those of its own list; any other call stops it at once (see
 * proc_priv_sigsys) and the parent then shuts the daemon down.  A role
 * that gains work (files, sockets, DNS) adds the calls it needs to its
 * own list here, next to its user and root directory, and nowhere else.
 * Calls made before the filter is loaded (exec, libc start-up, chroot,
 * setresuid, the event base) need not be listed.
 */
#define SYS(x)	SCMP_SYS(x)

/* What every role's event loop, IPC channels, allocator and log use. */
static const int proc_sys_common[] = {
	/* memory */
	SYS(brk), SYS(mmap), SYS(munmap), SYS(mremap), SYS(madvise),
	SYS(mprotect),
	/* event loop and channels */
	SYS(epoll_wait), SYS(epoll_pwait), SYS(epoll_ctl), SYS(poll),
	SYS(ppoll), SYS(read), SYS(readv), SYS(write), SYS(writev),
	SYS(recvmsg), SYS(sendmsg), SYS(sendto), SYS(recvfrom), SYS(close),
	SYS(fcntl), SYS(fstat), SYS(newfstatat), SYS(lseek),
	/* signals, time, identity, randomness, exit */
	SYS(rt_sigaction), SYS(rt_sigprocmask), SYS(rt_sigreturn),
	SYS(sigaltstack), SYS(clock_gettime), SYS(gettimeofday),
	SYS(clock_nanosleep), SYS(nanosleep), SYS(getpid), SYS(gettid),
	SYS(getuid), SYS(geteuid), SYS(getgid), SYS(getegid),
	SYS(getrandom), SYS(futex), SYS(exit), SYS(exit_group),
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer runtime, to be able to print its report. */
	SYS(openat), SYS(readlink), SYS(readlinkat), SYS(prlimit64),
	SYS(getrlimit), SYS(sched_yield), SYS(pread64), SYS(ioctl),
#endif
	-1
};

/* control: accepts smtpctl clients and reads their credentials. */
static const int proc_sys_control[] = {
	SYS(accept4), SYS(accept), SYS(getsockopt), SYS(shutdown), -1
};

/* queue: the spool (queue_fs.c): files and directories under the
 * chroot, directory walks, group commit (syncfs, fsync), bounces (stdio
 * on spool files). */
static const int proc_sys_queue[] = {
	SYS(access), SYS(faccessat), SYS(faccessat2), SYS(openat),
	SYS(mkdirat), SYS(renameat), SYS(renameat2), SYS(unlinkat),
	SYS(getdents64), SYS(fsync), SYS(fdatasync), SYS(syncfs), -1
};

/* mda: sizes its waiting list to the descriptor limit at start. */
static const int proc_sys_mda[] = {
	SYS(getrlimit), SYS(setrlimit), SYS(prlimit64), -1
};

/* smtp: accepts clients on the sockets the parent bound (and sets
 * TCP_NODELAY on them), raises its descriptor limit at start (sessions
 * are sized to it), and libevent asks how many bytes a socket holds
 * (ioctl FIONREAD). */
static const int proc_sys_smtp[] = {
	SYS(accept4), SYS(setsockopt), SYS(getrlimit), SYS(setrlimit),
	SYS(prlimit64), SYS(ioctl), SYS(shutdown), -1
};

/* lka: reads table, aliases and :include: files (db: tables through
 * libdb, which reads pages with pread) and calls getpwnam
 * (nss files: /etc/nsswitch.conf and /etc/passwd; the nscd client tries
 * a unix socket first; Debian's "systemd" nss module, loaded when files
 * has no answer, reads its capability bounding set with prctl, walks
 * paths with readlinkat and may talk varlink on a unix socket), and
 * lists the local addresses with getifaddrs (a netlink socket) for
 * "from local"/"for local". */
static const int proc_sys_lka[] = {
	SYS(openat), SYS(socket), SYS(connect), SYS(bind), SYS(getsockname),
	SYS(setsockopt), SYS(getsockopt), SYS(prctl), SYS(readlinkat),
	SYS(readlink), SYS(pread64), -1
};

/* ca: loads keys from the PEM its configuration carries and signs with
 * OpenSSL; nothing beyond the common calls (getrandom for RSA blinding
 * and ECDSA nonces).  OpenSSL read its own files before the chroot
 * (tls_init).  tls_keys_test.sh runs handshakes under this filter. */
static const int proc_sys_ca[] = { -1 };

static const int proc_sys_none[] = { -1 };

static const struct proc_priv proc_privs[PROC_COUNT] = {
	/* id		name		user		root		filter */
	[PROC_PARENT] =	{ "parent",	NULL,		PRIV_ROOT_NONE,	NULL },
	[PROC_CONTROL] = { "control",	USER_DAEMON,	PRIV_ROOT_EMPTY,
			    proc_sys_control },
	[PROC_LKA] =	{ "lka",	USER_DAEMON,	PRIV_ROOT_NONE,
			    proc_sys_lka },
	[PROC_CA] =	{ "ca",		USER_DAEMON,	PRIV_ROOT_EMPTY,
			    proc_sys_ca },
	[PROC_QUEUE] =	{ "queue",	USER_QUEUE,	PRIV_ROOT_SPOOL,
			    proc_sys_queue },
	[PROC_SCHEDULER] = { "scheduler", USER_QUEUE,	PRIV_ROOT_EMPTY,
			    proc_sys_none },
	[PROC_SMTP] =	{ "smtp",	USER_DAEMON,	PRIV_ROOT_EMPTY,
			    proc_sys_smtp },
	[PROC_MTA] =	{ "mta",	USER_DAEMON,	PRIV_ROOT_EMPTY,
			    proc_sys_none },
	[PROC_MDA] =	{ "mda",	USER_DAEMON,	PRIV_ROOT_EMPTY,
			    proc_sys_mda },
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

/*
 * A forbidden call lands here (SCMP_ACT_TRAP) instead of silently killing
 * the process, so that the log can say which call it was.  Only
 * async-signal-safe work: format the number by hand, write(2) it to
 * stderr (the log in the foreground), and exit with PROC_EXIT_SECCOMP,
 * which the parent reports as a filter violation.  The call itself was
 * never executed.
 */
static const char	*proc_priv_name = "?";

static size_t
proc_priv_append(char *buf, size_t len, size_t size, const char *str)
{
	while (*str != '\0' && len < size)
		buf[len++] = *str++;
	return len;
}

static void
proc_priv_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char		 buf[128], num[16];
	size_t		 len, n = 0;
	unsigned int	 nr = (unsigned int)si->si_syscall;

	do {
		num[n++] = '0' + nr % 10;
		nr /= 10;
	} while (nr != 0 && n < sizeof(num));
	len = proc_priv_append(buf, 0, sizeof(buf) - sizeof(num) - 1,
	    proc_priv_name);
	len = proc_priv_append(buf, len, sizeof(buf) - sizeof(num) - 1,
	    ": forbidden system call ");
	while (n > 0)
		buf[len++] = num[--n];
	buf[len++] = '\n';
	(void)write(STDERR_FILENO, buf, len);
	_exit(PROC_EXIT_SECCOMP);
}

static void
proc_priv_seccomp(const char *name, const int *syscalls)
{
	struct sigaction	 sa;
	scmp_filter_ctx		 ctx;
	const int		*lists[2] = { proc_sys_common, syscalls };
	const int		*sys;
	size_t			 i;
	int			 r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("proc_priv_seccomp: PR_SET_NO_NEW_PRIVS");
	if (syscalls == NULL)
		return;

	proc_priv_name = name;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = proc_priv_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("proc_priv_seccomp: sigaction");

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		fatalx("proc_priv_seccomp: %s: seccomp_init failed", name);
	for (i = 0; i < 2; i++) {
		for (sys = lists[i]; *sys != -1; sys++) {
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *sys,
			    0)) < 0)
				fatalx("proc_priv_seccomp: %s: syscall %d: %s",
				    name, *sys, strerror(-r));
		}
	}
	/*
	 * syslog(3) reconnects to the log socket by itself when the logger
	 * restarts: allow local sockets only, never a network socket.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS(connect), 0)) < 0)
		fatalx("proc_priv_seccomp: %s: syslog rules: %s", name,
		    strerror(-r));
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
	/*
	 * Alias pipes of the system aliases file run as _smtpd (as in
	 * OpenSMTPD) unless the action names a user: such a command must
	 * not be able to ptrace a role or read its memory through /proc.
	 */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		fatal("proc_priv_drop: PR_SET_DUMPABLE");

	proc_priv_seccomp(pv->pv_name, pv->pv_syscalls);
}
