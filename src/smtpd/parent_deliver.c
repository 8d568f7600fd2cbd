/*
 * Delivery children, parent side.  Runs in the parent (root, no
 * syscall filter).  Peer: mda, which asks for a delivery with
 * IMSG_MDA_FORK and hears IMSG_PARENT_FORK and, when the child is
 * reaped, IMSG_PARENT_DELIVERY_EXIT (imsg_types.h).
 *
 * Trusted input: none beyond what envelope_load() re-validates.  The
 * parent refuses uid or gid 0 and unknown methods, forks, and the child
 * becomes the recipient (groups, gid, uid, checked) before it opens or
 * creates anything; then it runs deliver.c.  The parent never reads
 * what the child writes: the read end of the child's status pipe goes
 * to mda, which is unprivileged.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "mda.h"
#include "proc.h"
#include "proc_internal.h"

struct pd_child {
	TAILQ_ENTRY(pd_child)	 pc_entry;
	pid_t			 pc_pid;
	uint32_t		 pc_id;		/* mda's delivery id */
};
static TAILQ_HEAD(, pd_child)	pd_children =
    TAILQ_HEAD_INITIALIZER(pd_children);
static size_t			pd_nchildren;

static void	pd_answer(uint32_t, int, const char *, pid_t, int);
static __dead void pd_child(const struct envelope *, int, int, pid_t);

static void
pd_answer(uint32_t id, int ok, const char *error, pid_t pid, int fd)
{
	struct msg_out	mo;

	m_init(&mo);
	m_add_u32(&mo, ok ? 1 : 0);
	m_add_string(&mo, error);
	m_add_i64(&mo, (int64_t)pid);
	proc_send(PROC_MDA, IMSG_PARENT_FORK, id, fd, &mo);
}

static size_t
pd_max_children(void)
{
	const struct smtpd_config	*conf = proc_config();

	if (conf == NULL || conf->sc_mda_max_session == 0)
		return CONF_DEFAULT_MDA_MAX_SESSION;
	return conf->sc_mda_max_session;
}

void
parent_deliver_fork(struct ipc_msg *msg)
{
	struct envelope	 evp;
	struct msg_in	 in;
	struct pd_child	*pc;
	const char	*text, *errstr;
	int		 fds[2], msgfd;
	pid_t		 pid, ppid;

	m_open(&in, msg);
	m_get_string(&in, &text);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_MDA, msg, "bad fork request");
	if (msg->fd == -1)
		proc_bad_msg(PROC_MDA, msg, "fork request without a message");
	if (envelope_load(&evp, text, strlen(text), &errstr) == -1) {
		log_warnx("parent_deliver_fork: bad envelope: %s", errstr);
		proc_bad_msg(PROC_MDA, msg, "bad envelope");
	}
	msgfd = msg->fd;
	msg->fd = -1;

	if (evp.evp_type != EVP_MDA || evp.evp_method < EVP_M_MBOX ||
	    evp.evp_method > EVP_M_PIPE) {
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "5.3.0 not a local delivery",
		    -1, -1);
		return;
	}
	if (evp.evp_uid == 0 || evp.evp_gid == 0) {
		log_warnx("parent_deliver_fork: refusing to deliver as root "
		    "(evpid %016llx, user %s)",
		    (unsigned long long)evp.evp_id, evp.evp_user);
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "5.7.1 not allowed to deliver "
		    "to: root", -1, -1);
		return;
	}
	if (evp.evp_home[0] != '/') {
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "4.3.0 user has no absolute "
		    "home directory", -1, -1);
		return;
	}
	if (pd_nchildren >= pd_max_children()) {
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "4.3.0 too many deliveries "
		    "running", -1, -1);
		return;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		fatal("parent_deliver_fork: calloc");
	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("parent_deliver_fork: pipe2");
		free(pc);
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "4.3.0 cannot create a pipe",
		    -1, -1);
		return;
	}
	ppid = getpid();
	switch ((pid = fork())) {
	case -1:
		log_warn("parent_deliver_fork: fork");
		free(pc);
		(void)close(fds[0]);
		(void)close(fds[1]);
		(void)close(msgfd);
		pd_answer(msg->hdr.peerid, 0, "4.3.0 cannot fork", -1, -1);
		return;
	case 0:
		(void)close(fds[0]);
		pd_child(&evp, fds[1], msgfd, ppid);
	}
	(void)close(fds[1]);
	(void)close(msgfd);
	pc->pc_pid = pid;
	pc->pc_id = msg->hdr.peerid;
	TAILQ_INSERT_TAIL(&pd_children, pc, pc_entry);
	pd_nchildren++;
	log_debug("parent_deliver_fork: evpid %016llx: pid %d as %s "
	    "(%u:%u), method %s", (unsigned long long)evp.evp_id, (int)pid,
	    evp.evp_user, (unsigned)evp.evp_uid, (unsigned)evp.evp_gid,
	    envelope_method_name(evp.evp_method));
	pd_answer(pc->pc_id, 1, NULL, pid, fds[0]);
}

int
parent_deliver_reaped(pid_t pid, int status)
{
	struct pd_child	*pc;
	struct msg_out	 mo;

	TAILQ_FOREACH(pc, &pd_children, pc_entry)
		if (pc->pc_pid == pid)
			break;
	if (pc == NULL)
		return 0;
	TAILQ_REMOVE(&pd_children, pc, pc_entry);
	pd_nchildren--;
	if (proc_chan_fd(PROC_MDA) != -1) {
		m_init(&mo);
		m_add_int(&mo, status);
		proc_send(PROC_MDA, IMSG_PARENT_DELIVERY_EXIT, pc->pc_id, -1,
		    &mo);
	}
	free(pc);
	return 1;
}

/* ------------------------------------------------------------------ */
/* The delivery child, until it runs the method. */

static __dead void
pd_child_fail(int fd, int code, const char *why)
{
	char	line[DELIVER_MAX_STATUS];
	int	len;

	len = snprintf(line, sizeof(line), "%s: %s\n", why, strerror(errno));
	if (len > 0)
		(void)deliver_write_all(fd, line, (size_t)len < sizeof(line) ?
		    (size_t)len : sizeof(line) - 1);
	_exit(code);
}

static __dead void
pd_child(const struct envelope *evp, int statusfd, int msgfd, pid_t ppid)
{
	const struct smtpd_config	*conf = proc_config();
	struct deliver			 d;
	uid_t				 ru, eu, su;
	gid_t				 rg, eg, sg;
	int				 sfd, mfd, nfd, code;

	/* A killed daemon must never leave a delivery running half-way. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		pd_child_fail(statusfd, EX_OSERR, "4.3.0 prctl");
	if (getppid() != ppid)
		_exit(EX_TEMPFAIL);
	proc_child_signals_reset();
	if (setsid() == -1)
		pd_child_fail(statusfd, EX_OSERR, "4.3.0 setsid");

	/* stdin, stdout: /dev/null; stderr: status; 3: the message. */
	if ((sfd = fcntl(statusfd, F_DUPFD, 10)) == -1 ||
	    (mfd = fcntl(msgfd, F_DUPFD, 10)) == -1 ||
	    (nfd = open("/dev/null", O_RDWR)) == -1)
		pd_child_fail(statusfd, EX_OSERR, "4.3.0 descriptors");
	if (dup2(nfd, STDIN_FILENO) == -1 || dup2(nfd, STDOUT_FILENO) == -1 ||
	    dup2(sfd, STDERR_FILENO) == -1 || dup2(mfd, 3) == -1 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		pd_child_fail(statusfd, EX_OSERR, "4.3.0 descriptors");
	closefrom(4);

	/* Become the user, for good. */
	if (initgroups(evp->evp_user, evp->evp_gid) == -1 &&
	    setgroups(1, &evp->evp_gid) == -1)
		pd_child_fail(STDERR_FILENO, EX_OSERR, "4.3.0 setgroups");
	if (setresgid(evp->evp_gid, evp->evp_gid, evp->evp_gid) == -1)
		pd_child_fail(STDERR_FILENO, EX_OSERR, "4.3.0 setresgid");
	if (setresuid(evp->evp_uid, evp->evp_uid, evp->evp_uid) == -1)
		pd_child_fail(STDERR_FILENO, EX_OSERR, "4.3.0 setresuid");
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != evp->evp_uid || eu != ru || su != ru ||
	    rg != evp->evp_gid || eg != rg || sg != rg ||
	    ru == 0 || setuid(0) != -1) {
		errno = EPERM;
		pd_child_fail(STDERR_FILENO, EX_OSERR, "4.3.0 privileges "
		    "not dropped");
	}
	/*
	 * The child still holds a copy of the parent's memory (the
	 * configuration): the user must not be able to read it through
	 * ptrace or /proc until a command is executed.
	 */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		pd_child_fail(STDERR_FILENO, EX_OSERR, "4.3.0 prctl");
	if (chdir(evp->evp_home) == -1)
		pd_child_fail(STDERR_FILENO, EX_TEMPFAIL, "4.3.0 cannot "
		    "enter the home directory");
	(void)umask(077);

	deliver_init(&d, evp, conf != NULL && conf->sc_hostname != NULL ?
	    conf->sc_hostname : "localhost",
	    conf != NULL ? conf->sc_subaddr_delim : '+', STDERR_FILENO);
	if ((code = deliver_load(&d, 3)) == 0)
		code = deliver_run(&d);
	_exit(code);
}
