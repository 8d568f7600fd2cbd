/*
 * Unit tests of the privilege table (proc_priv.c): a forked child takes
 * the identity of a role with the real proc_priv_drop() (chroot, user,
 * system call filter) and then tries calls its role may and may not
 * make.  A forbidden call must stop the child with PROC_EXIT_SECCOMP and
 * a line on stderr naming the role and the call; an allowed one must
 * work.  Needs root and the _smtpd/_smtpq users (`make users`).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_id.h"
#include "proc_priv.h"

enum probe {
	PROBE_NOTHING,		/* allowed: getpid, write, exit */
	PROBE_INET_SOCKET,	/* socket(AF_INET): never allowed */
	PROBE_UNIX_SOCKET,	/* socket(AF_UNIX): allowed (syslog) */
	PROBE_EXECVE,		/* never allowed */
	PROBE_ACCEPT4,		/* control only */
	PROBE_IDENTITY,		/* report uid and whether / is the chroot */
};

struct result {
	int	status;		/* from waitpid */
	char	err[512];	/* the child's stderr */
	char	out[128];	/* what the child wrote on its pipe */
};

static void
probe(enum proc_id role, enum probe what, struct result *res)
{
	int	 errpipe[2], outpipe[2], fd, r;
	ssize_t	 n;
	size_t	 off;
	pid_t	 pid;
	char	 buf[64];

	memset(res, 0, sizeof(*res));
	ATF_REQUIRE(pipe(errpipe) == 0);
	ATF_REQUIRE(pipe(outpipe) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)dup2(errpipe[1], STDERR_FILENO);
		close(errpipe[0]);
		close(outpipe[0]);
		proc_priv_drop(role, NULL);
		switch (what) {
		case PROBE_NOTHING:
			(void)getpid();
			break;
		case PROBE_INET_SOCKET:
			fd = socket(AF_INET, SOCK_STREAM, 0);
			(void)snprintf(buf, sizeof(buf), "socket %d\n", fd);
			(void)write(outpipe[1], buf, strlen(buf));
			break;
		case PROBE_UNIX_SOCKET:
			fd = socket(AF_UNIX, SOCK_DGRAM, 0);
			(void)snprintf(buf, sizeof(buf), "unix %s\n",
			    fd >= 0 ? "ok" : strerror(errno));
			(void)write(outpipe[1], buf, strlen(buf));
			break;
		case PROBE_EXECVE:
			(void)syscall(SYS_execve, "/bin/true", NULL, NULL);
			break;
		case PROBE_ACCEPT4:
			r = accept4(-1, NULL, NULL, 0);
			(void)snprintf(buf, sizeof(buf), "accept4 %d %s\n", r,
			    r == -1 && errno == EBADF ? "EBADF" : "?");
			(void)write(outpipe[1], buf, strlen(buf));
			break;
		case PROBE_IDENTITY:
			(void)snprintf(buf, sizeof(buf), "uid %u gid %u\n",
			    (unsigned int)getuid(), (unsigned int)getgid());
			(void)write(outpipe[1], buf, strlen(buf));
			break;
		}
		_exit(0);
	}
	close(errpipe[1]);
	close(outpipe[1]);
	ATF_REQUIRE(waitpid(pid, &res->status, 0) == pid);
	for (off = 0; off < sizeof(res->err) - 1; off += n)
		if ((n = read(errpipe[0], res->err + off,
		    sizeof(res->err) - 1 - off)) <= 0)
			break;
	for (off = 0; off < sizeof(res->out) - 1; off += n)
		if ((n = read(outpipe[0], res->out + off,
		    sizeof(res->out) - 1 - off)) <= 0)
			break;
	close(errpipe[0]);
	close(outpipe[0]);
}

static void
require_stopped(const struct result *res, const char *role, long nr)
{
	char	want[128];

	(void)snprintf(want, sizeof(want), "%s: forbidden system call %ld",
	    role, nr);
	ATF_CHECK_MSG(WIFEXITED(res->status) &&
	    WEXITSTATUS(res->status) == PROC_EXIT_SECCOMP,
	    "status 0x%x, stderr: %s", res->status, res->err);
	ATF_CHECK_MSG(strstr(res->err, want) != NULL,
	    "expected \"%s\" in stderr: %s", want, res->err);
	ATF_CHECK_MSG(res->out[0] == '\0',
	    "the forbidden call returned to the caller: %s", res->out);
}

static void
require_ok(const struct result *res)
{
	ATF_CHECK_MSG(WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0,
	    "status 0x%x, stderr: %s", res->status, res->err);
}

/* Every case drops privileges, so every case needs root. */
#define ROOT_TC(name)							\
	ATF_TC(name);							\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "require.user", "root");		\
	}

ROOT_TC(allowed_calls)
ATF_TC_BODY(allowed_calls, tc)
{
	struct result	res;
	int		id;

	for (id = PROC_CONTROL; id < PROC_COUNT; id++) {
		if (id == PROC_QUEUE)
			continue;	/* needs a spool to chroot into */
		probe(id, PROBE_NOTHING, &res);
		require_ok(&res);
	}
}

ROOT_TC(identity)
ATF_TC_BODY(identity, tc)
{
	struct result	 res;
	struct passwd	*pw;
	char		 want[64];

	ATF_REQUIRE((pw = getpwnam("_smtpd")) != NULL);
	(void)snprintf(want, sizeof(want), "uid %u gid %u\n",
	    (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid);
	probe(PROC_SMTP, PROBE_IDENTITY, &res);
	require_ok(&res);
	ATF_CHECK_STREQ(res.out, want);
}

ROOT_TC(network_socket_refused)
ATF_TC_BODY(network_socket_refused, tc)
{
	struct result	res;

	/* Not even the roles that will talk to the network may make
	 * their own sockets: the parent binds listeners. */
	probe(PROC_SMTP, PROBE_INET_SOCKET, &res);
	require_stopped(&res, "smtp", SYS_socket);
	probe(PROC_CONTROL, PROBE_INET_SOCKET, &res);
	require_stopped(&res, "control", SYS_socket);
}

ROOT_TC(unix_socket_allowed)
ATF_TC_BODY(unix_socket_allowed, tc)
{
	struct result	res;

	probe(PROC_MTA, PROBE_UNIX_SOCKET, &res);
	require_ok(&res);
	ATF_CHECK_STREQ(res.out, "unix ok\n");
}

ROOT_TC(execve_refused)
ATF_TC_BODY(execve_refused, tc)
{
	struct result	res;

	probe(PROC_LKA, PROBE_EXECVE, &res);
	require_stopped(&res, "lka", SYS_execve);
	probe(PROC_MDA, PROBE_EXECVE, &res);
	require_stopped(&res, "mda", SYS_execve);
}

ROOT_TC(per_role_lists)
ATF_TC_BODY(per_role_lists, tc)
{
	struct result	res;

	/* accept4 is on the lists of control and smtp only. */
	probe(PROC_CONTROL, PROBE_ACCEPT4, &res);
	require_ok(&res);
	ATF_CHECK_STREQ(res.out, "accept4 -1 EBADF\n");
	probe(PROC_SMTP, PROBE_ACCEPT4, &res);
	require_ok(&res);
	ATF_CHECK_STREQ(res.out, "accept4 -1 EBADF\n");
	probe(PROC_CA, PROBE_ACCEPT4, &res);
	require_stopped(&res, "ca", SYS_accept4);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, allowed_calls);
	ATF_TP_ADD_TC(tp, identity);
	ATF_TP_ADD_TC(tp, network_socket_refused);
	ATF_TP_ADD_TC(tp, unix_socket_allowed);
	ATF_TP_ADD_TC(tp, execve_refused);
	ATF_TP_ADD_TC(tp, per_role_lists);
	return atf_no_error();
}
