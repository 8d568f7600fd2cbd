/*
 * The process layer, parent side.  Runs in the parent process as root:
 * builds the socketpair mesh, forks and re-executes every role with its
 * channels at fixed descriptors, distributes the configuration, tracks
 * readiness, reaps children and shuts the daemon down.  The parent
 * never reads network input; it trusts nothing its children say beyond
 * the few message types the process layer and smtpd.c claim.
 *
 * Any child's exit while the daemon runs is fatal for the daemon: the
 * parent logs which role died and why, asks the others to stop, and
 * exits non-zero.  It never keeps serving half-alive.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "log.h"
#include "mda.h"
#include "parent_auth.h"
#include "postern_limits.h"
#include "proc.h"
#include "proc_internal.h"
#include "proc_priv.h"

struct proc_child {
	pid_t		 ch_pid;
	int		 ch_alive;
	unsigned int	 ch_pending;	/* configs sent, not yet acknowledged */
};

static struct proc_child	 parent_children[PROC_COUNT];
static struct proc_parent_hooks	 parent_hooks;
static struct event_base	*parent_base;
static struct event		 parent_ev_chld, parent_ev_term, parent_ev_int,
				 parent_ev_hup, parent_ev_timeout,
				 parent_ev_lost;
static pid_t			 parent_pid;
static int			 parent_shutting_down;
static int			 parent_exitcode;
static int			 parent_first_ready = 1;
static int			 parent_cleaned;

static void	parent_exit(void) __attribute__((__noreturn__));
static void	parent_held_set(sigset_t *);

/* The signals the parent handles and holds until it can. */
static void
parent_held_set(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGHUP);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
}

void
proc_parent_hold_signals(void)
{
	sigset_t	held;

	parent_held_set(&held);
	if (sigprocmask(SIG_BLOCK, &held, NULL) == -1)
		fatal("proc_parent_hold_signals: sigprocmask");
}

static void
parent_cleanup(void)
{
	if (parent_cleaned || getpid() != parent_pid)
		return;
	parent_cleaned = 1;
	if (parent_hooks.ph_cleanup != NULL)
		parent_hooks.ph_cleanup();
}

/* fatal() in the parent: do not leave children, pid file or socket. */
static void
parent_atexit(void)
{
	int	id;

	if (getpid() != parent_pid || parent_cleaned)
		return;
	for (id = 1; id < PROC_COUNT; id++) {
		if (parent_children[id].ch_alive)
			(void)kill(parent_children[id].ch_pid, SIGTERM);
	}
	parent_cleanup();
}

static int
parent_nalive(void)
{
	int	id, n = 0;

	for (id = 1; id < PROC_COUNT; id++)
		n += parent_children[id].ch_alive;
	return n;
}

static void
parent_exit(void)
{
	parent_cleanup();
	log_info("parent_exit: exiting%s",
	    parent_exitcode != 0 ? " after an error" : "");
	exit(parent_exitcode);
}

static void
parent_kill_cb(int fd, short ev, void *arg)
{
	int	id, status;

	for (id = 1; id < PROC_COUNT; id++) {
		if (!parent_children[id].ch_alive)
			continue;
		log_warnx("parent_kill_cb: %s (pid %d) did not stop in %d "
		    "seconds, killing it", proc_name(id),
		    (int)parent_children[id].ch_pid, PROC_SHUTDOWN_TIMEOUT);
		(void)kill(parent_children[id].ch_pid, SIGKILL);
	}
	for (id = 1; id < PROC_COUNT; id++) {
		if (!parent_children[id].ch_alive)
			continue;
		while (waitpid(parent_children[id].ch_pid, &status, 0) == -1 &&
		    errno == EINTR)
			;
		parent_children[id].ch_alive = 0;
	}
	parent_exit();
}

void
proc_parent_shutdown(int exitcode)
{
	struct timeval	tv = { PROC_SHUTDOWN_TIMEOUT, 0 };
	int		id;

	if (parent_shutting_down) {
		if (exitcode != 0)
			parent_exitcode = exitcode;
		return;
	}
	parent_shutting_down = 1;
	parent_exitcode = exitcode;
	for (id = 1; id < PROC_COUNT; id++) {
		if (!parent_children[id].ch_alive)
			continue;
		proc_compose(id, IMSG_PROC_SHUTDOWN, 0, -1, NULL, 0);
		(void)proc_chan_flush_sync(id);
	}
	if (parent_nalive() == 0)
		parent_exit();
	evtimer_add(&parent_ev_timeout, &tv);
}

static void
parent_describe(int status, char *buf, size_t len)
{
	const char	*abbrev;

	if (WIFEXITED(status) && WEXITSTATUS(status) == PROC_EXIT_SECCOMP)
		(void)snprintf(buf, len, "was stopped by its system call "
		    "filter (status %d)", PROC_EXIT_SECCOMP);
	else if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		abbrev = sigabbrev_np(WTERMSIG(status));
		(void)snprintf(buf, len, "was killed by signal SIG%s (%s)%s",
		    abbrev != NULL ? abbrev : "?", strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else
		(void)snprintf(buf, len, "changed state (status 0x%x)", status);
}

static void
parent_sigchld(int sig, short ev, void *arg)
{
	char	why[128];
	pid_t	pid;
	int	status, id;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (id = 1; id < PROC_COUNT; id++) {
			if (parent_children[id].ch_alive &&
			    parent_children[id].ch_pid == pid)
				break;
		}
		if (id == PROC_COUNT) {
			/* Not a role: a delivery or PAM child (or nothing
			 * of ours). */
			if (!parent_deliver_reaped(pid, status))
				(void)parent_auth_reaped(pid, status);
			continue;
		}
		parent_children[id].ch_alive = 0;
		proc_chan_close(id);
		parent_describe(status, why, sizeof(why));
		if (!parent_shutting_down) {
			log_warnx("parent_sigchld: %s process (pid %d) %s, "
			    "shutting down", proc_name(id), (int)pid, why);
			proc_parent_shutdown(1);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("parent_sigchld: %s process (pid %d) %s "
			    "during shutdown", proc_name(id), (int)pid, why);
		else
			log_debug("parent_sigchld: %s process (pid %d) %s",
			    proc_name(id), (int)pid, why);
	}
	if (parent_shutting_down && parent_nalive() == 0)
		parent_exit();
}

static void
parent_sigterm(int sig, short ev, void *arg)
{
	log_info("parent_sigterm: received SIG%s, shutting down",
	    sigabbrev_np(sig));
	proc_parent_shutdown(0);
}

static void
parent_sighup(int sig, short ev, void *arg)
{
	if (parent_shutting_down)
		return;
	log_info("parent_sighup: received SIGHUP, reloading the "
	    "configuration");
	if (parent_hooks.ph_reload != NULL)
		parent_hooks.ph_reload();
}

/*
 * A channel closed while the child may still be alive.  Its SIGCHLD
 * normally follows at once and says why; if it does not, the child
 * closed the channel on its own, which is just as fatal.
 */
static void
parent_lost_cb(int fd, short ev, void *arg)
{
	int	id;

	if (parent_shutting_down)
		return;
	for (id = 1; id < PROC_COUNT; id++) {
		if (parent_children[id].ch_alive && proc_chan_fd(id) == -1) {
			log_warnx("parent_lost_cb: lost channel to %s (pid "
			    "%d), shutting down", proc_name(id),
			    (int)parent_children[id].ch_pid);
			proc_parent_shutdown(1);
			return;
		}
	}
}

static void
parent_lost(enum proc_id peer)
{
	struct timeval	tv = { 0, PROC_PEER_GRACE_MS * 1000 };

	proc_chan_close(peer);
	if (parent_shutting_down ||
	    evtimer_pending(&parent_ev_lost, NULL))
		return;
	evtimer_add(&parent_ev_lost, &tv);
}

void
proc_parent_ready(enum proc_id peer)
{
	int	id;

	if (parent_children[peer].ch_pending == 0)
		fatalx("proc_parent_ready: %s is ready for no configuration",
		    proc_name(peer));
	parent_children[peer].ch_pending--;
	for (id = 1; id < PROC_COUNT; id++) {
		if (parent_children[id].ch_pending != 0)
			return;
	}
	if (parent_hooks.ph_ready != NULL)
		parent_hooks.ph_ready(parent_first_ready);
	parent_first_ready = 0;
}

static void
parent_emit(void *arg, uint32_t type, const struct msg_out *mo)
{
	const enum proc_id	*to = arg;

	proc_send(*to, type, 0, -1, mo);
}

void
proc_parent_send_config(const struct smtpd_config *conf)
{
	enum proc_id	id;

	for (id = 1; id < PROC_COUNT; id++) {
		config_serialize(conf, id, parent_emit, &id);
		parent_children[id].ch_pending++;
	}
}

/*
 * In the forked child, before exec: move the role's channel ends (and
 * control's listening socket) to their fixed numbers and close the
 * rest.  Only async-signal-safe calls; failures end in _exit.
 */
static void
parent_child_exec(enum proc_id id, int ends[PROC_COUNT],
    int control_fd, int foreground, int verbose, const char *spool)
{
	static const char	 msg[] = "smtpd: cannot start a process\n";
	const char		*argv[10];
	struct sigaction	 sa;
	sigset_t		 held;
	int			 tmp[PROC_COUNT + 1], fd, peer, i;

	/* First out of the way of the fixed numbers, then into place. */
	for (peer = 0; peer < PROC_COUNT; peer++) {
		tmp[peer] = -1;
		if (ends[peer] == -1)
			continue;
		if ((tmp[peer] = fcntl(ends[peer], F_DUPFD_CLOEXEC,
		    PROC_FD_MAX + 1)) == -1)
			goto fail;
	}
	tmp[PROC_COUNT] = -1;
	if (id == PROC_CONTROL && (tmp[PROC_COUNT] = fcntl(control_fd,
	    F_DUPFD_CLOEXEC, PROC_FD_MAX + 1)) == -1)
		goto fail;
	for (fd = PROC_FD_BASE; fd <= PROC_FD_MAX; fd++) {
		i = fd - PROC_FD_BASE;
		if (tmp[i] == -1)
			(void)close(fd);
		else if (dup2(tmp[i], fd) == -1)
			goto fail;
	}
	closefrom(PROC_FD_MAX + 1);

	/*
	 * A short argv[0]: the process title ("smtpd: queue") then fits
	 * the argument area and ps shows it as is.
	 */
	i = 0;
	argv[i++] = "smtpd";
	argv[i++] = "-X";
	argv[i++] = proc_name(id);
	if (foreground)
		argv[i++] = "-d";
	if (verbose)
		argv[i++] = "-v";
	if (id == PROC_QUEUE) {
		argv[i++] = "-S";
		argv[i++] = spool;
	}
	argv[i] = NULL;

	/*
	 * The parent's handlers must not run here, and a role must not die
	 * of a SIGHUP or SIGINT before it ignores them itself: ignoring
	 * survives exec.  Then let go of what the parent held.
	 */
	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		goto fail;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		goto fail;
	parent_held_set(&held);
	if (sigprocmask(SIG_UNBLOCK, &held, NULL) == -1)
		goto fail;
	execv("/proc/self/exe", (char *const *)(uintptr_t)argv);
 fail:
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

void
proc_parent_start(int foreground, int verbose,
    const char *spool, int control_fd, const struct proc_role *role,
    const struct proc_parent_hooks *hooks)
{
	int		ends[PROC_COUNT][PROC_COUNT];
	int		sv[2], a, b, id;
	pid_t		pid;
	sigset_t	held;

	parent_pid = getpid();
	parent_hooks = *hooks;
	if ((parent_base = event_base_new()) == NULL)
		fatalx("proc_parent_start: event_base_new failed");
	proc_set_self(PROC_PARENT, role, parent_lost, parent_base);
	if (atexit(parent_atexit) != 0)
		fatalx("proc_parent_start: atexit");

	for (a = 0; a < PROC_COUNT; a++)
		for (b = 0; b < PROC_COUNT; b++)
			ends[a][b] = -1;
	for (a = 0; a < PROC_COUNT; a++) {
		for (b = a + 1; b < PROC_COUNT; b++) {
			if (!proc_has_channel(a, b))
				continue;
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
			    sv) == -1)
				fatal("proc_parent_start: socketpair");
			ends[a][b] = sv[0];
			ends[b][a] = sv[1];
		}
	}

	signal_set(&parent_ev_chld, SIGCHLD, parent_sigchld, NULL);
	signal_set(&parent_ev_term, SIGTERM, parent_sigterm, NULL);
	signal_set(&parent_ev_int, SIGINT, parent_sigterm, NULL);
	signal_set(&parent_ev_hup, SIGHUP, parent_sighup, NULL);
	event_base_set(parent_base, &parent_ev_chld);
	event_base_set(parent_base, &parent_ev_term);
	event_base_set(parent_base, &parent_ev_int);
	event_base_set(parent_base, &parent_ev_hup);
	signal_add(&parent_ev_chld, NULL);
	signal_add(&parent_ev_term, NULL);
	signal_add(&parent_ev_int, NULL);
	signal_add(&parent_ev_hup, NULL);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("proc_parent_start: signal");
	evtimer_set(&parent_ev_timeout, parent_kill_cb, NULL);
	event_base_set(parent_base, &parent_ev_timeout);
	evtimer_set(&parent_ev_lost, parent_lost_cb, NULL);
	event_base_set(parent_base, &parent_ev_lost);

	fflush(stdout);
	fflush(stderr);
	for (id = 1; id < PROC_COUNT; id++) {
		switch ((pid = fork())) {
		case -1:
			fatal("proc_parent_start: fork");
		case 0:
			parent_child_exec(id, ends[id], control_fd,
			    foreground, verbose, spool);
		}
		parent_children[id].ch_pid = pid;
		parent_children[id].ch_alive = 1;
		log_debug("proc_parent_start: %s is pid %d", proc_name(id),
		    (int)pid);
	}

	for (a = 0; a < PROC_COUNT; a++) {
		for (b = 0; b < PROC_COUNT; b++) {
			if (ends[a][b] == -1)
				continue;
			if (a == PROC_PARENT)
				proc_chan_open(b, ends[a][b]);
			else
				(void)close(ends[a][b]);
		}
	}

	/* Handlers are in place: a signal held since main is handled now. */
	parent_held_set(&held);
	if (sigprocmask(SIG_UNBLOCK, &held, NULL) == -1)
		fatal("proc_parent_start: sigprocmask");
}

__dead void
proc_parent_loop(void)
{
	(void)event_base_dispatch(parent_base);
	fatalx("proc_parent_loop: event loop ended");
}

void
proc_child_signals_reset(void)
{
	struct sigaction	 sa;
	sigset_t		 all;
	int			 sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_UNBLOCK, &all, NULL);
}
