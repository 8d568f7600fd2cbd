/*
 * AUTH on system accounts, parent side.  Runs in the parent (root, no
 * system call filter).  Peer: lka, which sends IMSG_LKA_AUTH_PAM (user,
 * password) and hears IMSG_PARENT_AUTH_PAM (0 accepted, 1 refused, 2
 * temporary failure).  The user and password come from a client
 * through smtp and lka: the parent does nothing with them but hand
 * them to a child, which gives them to PAM.
 *
 * The parent never blocks on PAM: each check runs in a child of its
 * own, forked here, that stays root because pam_unix must read
 * /etc/shadow.  The child runs service "smtpd" (Debian: without
 * /etc/pam.d/smtpd PAM falls back to /etc/pam.d/other), answers the
 * password prompt from memory, runs pam_authenticate and
 * pam_acct_mgmt, and exits 0, 1 or 2.  PAM's own failure delay is
 * switched off: the delay policy is smtp's, per client address.  A
 * child that is killed, crashes or runs past PARENT_AUTH_TIMEOUT
 * (then SIGKILL) is a temporary failure, and so is a full table of
 * children (PARENT_AUTH_MAX_CHILDREN).
 *
 * The parent's copy of the password is wiped right after the fork, the
 * child's once PAM is done with it.  The child cannot be ptraced or
 * dumped.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "parent_auth.h"
#include "proc.h"
#include "proc_internal.h"

/* Exit status of a PAM child = result of IMSG_PARENT_AUTH_PAM. */
#define PA_OK		0
#define PA_REFUSED	1
#define PA_TEMPFAIL	2

struct pa_child {
	TAILQ_ENTRY(pa_child)	 pc_entry;
	pid_t			 pc_pid;
	uint32_t		 pc_id;		/* lka's request id */
	struct event		 pc_timer;
	int			 pc_killed;	/* by the timer */
};
static TAILQ_HEAD(, pa_child)	pa_children =
    TAILQ_HEAD_INITIALIZER(pa_children);
static size_t			pa_nchildren;

struct pa_cred {
	const char	*cr_user;
	const char	*cr_passwd;
};

static void
pa_answer(uint32_t id, uint32_t result)
{
	struct msg_out	mo;

	if (proc_chan_fd(PROC_LKA) == -1)
		return;
	m_init(&mo);
	m_add_u32(&mo, result);
	proc_send(PROC_LKA, IMSG_PARENT_AUTH_PAM, id, -1, &mo);
}

/* ------------------------------------------------------------------ */
/* The child */

/* PAM asks; we answer from memory.  Strings we give are PAM's to free. */
static int
pa_conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	const struct pa_cred	*cr = arg;
	struct pam_response	*r;
	int			 i;

	*resp = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if ((r[i].resp = strdup(cr->cr_passwd)) == NULL)
				goto fail;
			break;
		case PAM_PROMPT_ECHO_ON:
			if ((r[i].resp = strdup(cr->cr_user)) == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

/* PAM_FAIL_DELAY: no sleep in the child; smtp delays the answer. */
static void
pa_nodelay(int retval, unsigned int usec, void *arg)
{
}

static int
pa_result(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return PA_OK;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_PERM_DENIED:
	case PAM_CRED_INSUFFICIENT:
	case PAM_MAXTRIES:
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
		return PA_REFUSED;
	default:
		return PA_TEMPFAIL;
	}
}

static __dead void
pa_child(char *user, char *passwd, pid_t ppid)
{
	struct pa_cred		 cr = { user, passwd };
	struct pam_conv		 conv = { pa_conv, &cr };
	pam_handle_t		*pamh = NULL;
	int			 rc, code;

	/* A dead daemon leaves no check behind. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != ppid)
		_exit(PA_TEMPFAIL);
	/* It holds a password: no ptrace, no core. */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		_exit(PA_TEMPFAIL);
	proc_child_signals_reset();
	/* The parent's channels and sockets are none of its business. */
	closefrom(STDERR_FILENO + 1);

	rc = pam_start(PARENT_AUTH_PAM_SERVICE, user, &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		log_warnx("parent_auth: pam_start: %s",
		    pam_strerror(pamh, rc));
		_exit(PA_TEMPFAIL);
	}
	rc = pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)pa_nodelay);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, PAM_SILENT |
		    PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, PAM_SILENT |
		    PAM_DISALLOW_NULL_AUTHTOK);
	code = pa_result(rc);
	if (code == PA_TEMPFAIL)
		log_warnx("parent_auth: PAM service %s: %s",
		    PARENT_AUTH_PAM_SERVICE, pam_strerror(pamh, rc));
	(void)pam_end(pamh, rc);
	explicit_bzero(passwd, strlen(passwd));
	_exit(code);
}

/* ------------------------------------------------------------------ */
/* The parent */

static void
pa_timeout(int fd, short ev, void *arg)
{
	struct pa_child	*pc = arg;

	log_warnx("parent_auth: PAM check (pid %d) still running after %d "
	    "seconds, killing it", (int)pc->pc_pid, PARENT_AUTH_TIMEOUT);
	pc->pc_killed = 1;
	(void)kill(pc->pc_pid, SIGKILL);
}

/* IMSG_LKA_AUTH_PAM: string user, string password. */
void
parent_auth_pam(struct ipc_msg *msg)
{
	char		 user[SMTP_AUTHUSER_MAX + 1];
	char		 passwd[SMTP_AUTH_PASSWD_MAX + 1];
	struct timeval	 tv = { PARENT_AUTH_TIMEOUT, 0 };
	struct pa_child	*pc;
	struct msg_in	 mi;
	const char	*u, *p;
	pid_t		 pid, ppid;

	m_open(&mi, msg);
	m_get_string(&mi, &u);
	m_get_string(&mi, &p);
	if (m_end(&mi) == -1 || msg->fd != -1 || *u == '\0' ||
	    strlcpy(user, u, sizeof(user)) >= sizeof(user) ||
	    strlcpy(passwd, p, sizeof(passwd)) >= sizeof(passwd)) {
		if (p != NULL)
			explicit_bzero((void *)(uintptr_t)p, strlen(p));
		explicit_bzero(passwd, sizeof(passwd));
		proc_bad_msg(PROC_LKA, msg, "bad payload");
	}
	explicit_bzero((void *)(uintptr_t)p, strlen(p));

	if (pa_nchildren >= PARENT_AUTH_MAX_CHILDREN) {
		log_warnx("parent_auth: %zu PAM checks running, refusing "
		    "temporarily", pa_nchildren);
		explicit_bzero(passwd, sizeof(passwd));
		pa_answer(msg->hdr.peerid, PA_TEMPFAIL);
		return;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		fatal("parent_auth_pam");
	ppid = getpid();
	if ((pid = fork()) == -1) {
		log_warn("parent_auth: fork");
		explicit_bzero(passwd, sizeof(passwd));
		free(pc);
		pa_answer(msg->hdr.peerid, PA_TEMPFAIL);
		return;
	}
	if (pid == 0)
		pa_child(user, passwd, ppid);
	explicit_bzero(passwd, sizeof(passwd));
	pc->pc_pid = pid;
	pc->pc_id = msg->hdr.peerid;
	evtimer_set(&pc->pc_timer, pa_timeout, pc);
	event_base_set(proc_event_base(), &pc->pc_timer);
	evtimer_add(&pc->pc_timer, &tv);
	TAILQ_INSERT_TAIL(&pa_children, pc, pc_entry);
	pa_nchildren++;
	log_debug("parent_auth: PAM check for %s in pid %d", user, (int)pid);
}

int
parent_auth_reaped(pid_t pid, int status)
{
	struct pa_child	*pc;
	uint32_t	 result;

	TAILQ_FOREACH(pc, &pa_children, pc_entry)
		if (pc->pc_pid == pid)
			break;
	if (pc == NULL)
		return 0;
	TAILQ_REMOVE(&pa_children, pc, pc_entry);
	pa_nchildren--;
	evtimer_del(&pc->pc_timer);
	if (!pc->pc_killed && WIFEXITED(status) &&
	    WEXITSTATUS(status) <= PA_TEMPFAIL)
		result = (uint32_t)WEXITSTATUS(status);
	else {
		if (!pc->pc_killed)
			log_warnx("parent_auth: PAM check (pid %d) ended "
			    "abnormally (status 0x%x)", (int)pid, status);
		result = PA_TEMPFAIL;
	}
	pa_answer(pc->pc_id, result);
	free(pc);
	return 1;
}
