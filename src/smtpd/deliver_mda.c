/*
 * Command delivery: action mda "COMMAND" and alias/.forward |command.
 * Runs in a delivery child as the recipient user (never root), in the
 * home directory.  The command (already expanded by mda_format with
 * every envelope value shell-quoted) runs as /bin/sh -c COMMAND with:
 *	stdin	the message, added headers first, written by this child
 *	stdout	/dev/null
 *	stderr	a pipe read here: its first DELIVER_MAX_STATUS bytes are
 *		kept, the last line of them becomes the status line
 *	env	exactly PATH HOME USER LOGNAME SHELL SENDER RECIPIENT
 *		ORIGINAL_RECIPIENT DOMAIN LOCAL [EXTENSION] (OpenSMTPD 7.6)
 * The command's exit status is the delivery's (0 delivered; 75, 74 and
 * 71 retried; others bounce: see mda_result.c); killed by a signal is a
 * temporary failure, and so is running longer than
 * DELIVER_COMMAND_TIMEOUT (its process group is then killed).  A
 * command that exits without reading all of its input is judged by its
 * exit status alone (EPIPE is not an error).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "mailaddr.h"

#define CMD_ENV_MAX	16

struct cmd_env {
	char	*ce_vars[CMD_ENV_MAX + 1];
	size_t	 ce_n;
};

static int
env_add(struct cmd_env *ce, const char *name, const char *value)
{
	if (ce->ce_n == CMD_ENV_MAX ||
	    asprintf(&ce->ce_vars[ce->ce_n], "%s=%s", name, value) == -1)
		return -1;
	ce->ce_vars[++ce->ce_n] = NULL;
	return 0;
}

static int
env_build(struct deliver *d, struct cmd_env *ce)
{
	const struct envelope	*evp = d->d_evp;
	char			 sender[SMTP_PATH_MAX + 1];
	char			 rcpt[SMTP_PATH_MAX + 1];
	const char		*ext = NULL;

	memset(ce, 0, sizeof(*ce));
	if (mailaddr_format(&evp->evp_sender, sender, sizeof(sender)) < 0 ||
	    mailaddr_format(&evp->evp_rcpt, rcpt, sizeof(rcpt)) < 0)
		return -1;
	if (d->d_subaddr_delim != '\0')
		ext = strchr(evp->evp_dest.ma_user, d->d_subaddr_delim);
	if (env_add(ce, "PATH", _PATH_DEFPATH) == -1 ||
	    env_add(ce, "HOME", evp->evp_home) == -1 ||
	    env_add(ce, "USER", evp->evp_user) == -1 ||
	    env_add(ce, "LOGNAME", evp->evp_user) == -1 ||
	    env_add(ce, "SHELL", _PATH_BSHELL) == -1 ||
	    env_add(ce, "SENDER", sender) == -1 ||
	    env_add(ce, "RECIPIENT", d->d_dest) == -1 ||
	    env_add(ce, "ORIGINAL_RECIPIENT", rcpt) == -1 ||
	    env_add(ce, "DOMAIN", evp->evp_dest.ma_domain) == -1 ||
	    env_add(ce, "LOCAL", evp->evp_dest.ma_user) == -1 ||
	    (ext != NULL && ext != evp->evp_dest.ma_user &&
	    env_add(ce, "EXTENSION", ext + 1) == -1))
		return -1;
	return 0;
}

static void
env_free(struct cmd_env *ce)
{
	size_t	i;

	for (i = 0; i < ce->ce_n; i++)
		free(ce->ce_vars[i]);
}

/* In the forked command: stdin from the pipe, stderr to the other. */
static __attribute__((__noreturn__)) void
cmd_exec(const char *command, int in, int err, char **env)
{
	static const char	msg[] = "4.3.0 cannot run /bin/sh\n";
	char *const		argv[] = { "sh", "-c",
				    (char *)(uintptr_t)command, NULL };

	/* Its own process group: a timeout kills whatever it started. */
	if (setpgid(0, 0) == -1 || dup2(in, STDIN_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		_exit(EX_OSERR);
	execve(_PATH_BSHELL, argv, env);
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EX_OSERR);
}

/*
 * Feed the message to the command and collect its stderr until the
 * command has exited and (unless something it left behind holds it)
 * its stderr is closed.
 */
static int
cmd_feed(struct deliver *d, pid_t pid, int in, int err, char *errbuf,
    size_t *errlen, int *wstatus)
{
	struct pollfd	 pfd[2];
	const char	*parts[2] = { d->d_hdr, d->d_msg };
	size_t		 lens[2] = { d->d_hdrlen, d->d_msglen };
	size_t		 part = 0, off = 0;
	char		 junk[4096];
	ssize_t		 n;
	time_t		 deadline = time(NULL) + DELIVER_COMMAND_TIMEOUT;
	int		 exited = 0, nfds, nap = 1;

	(void)fcntl(in, F_SETFL, O_NONBLOCK);
	(void)fcntl(err, F_SETFL, O_NONBLOCK);
	while (part < 2 && lens[part] == 0)
		part++;
	if (part == 2) {
		(void)close(in);
		in = -1;
	}
	while (err != -1 || !exited) {
		if (!exited && time(NULL) >= deadline) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, wstatus, 0) == -1 && errno == EINTR)
				;
			errno = ETIMEDOUT;
			return -1;
		}
		pfd[0].fd = err;
		pfd[0].events = POLLIN;
		pfd[1].fd = in;
		pfd[1].events = POLLOUT;
		nfds = 2;
		/* Only waiting for the exit: look again soon, then less
		 * often. */
		if (err == -1 && in == -1)
			nap = nap < 100 ? nap * 2 : 100;
		if (poll(pfd, nfds, exited ? 100 : err == -1 && in == -1 ?
		    nap : 1000) == -1 && errno != EINTR)
			return -1;
		if (!exited) {
			n = waitpid(pid, wstatus, WNOHANG);
			if (n == pid)
				exited = 1;
			else if (n == -1 && errno != EINTR)
				return -1;
		}
		if (err != -1 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			n = read(err, junk, sizeof(junk));
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				(void)close(err);
				err = -1;
			} else if (n > 0 && *errlen < DELIVER_MAX_STATUS) {
				if ((size_t)n > DELIVER_MAX_STATUS - *errlen)
					n = (ssize_t)(DELIVER_MAX_STATUS -
					    *errlen);
				memcpy(errbuf + *errlen, junk, (size_t)n);
				*errlen += (size_t)n;
			}
		} else if (err != -1 && exited &&
		    (pfd[0].revents & POLLIN) == 0) {
			/* Exited, and its stderr lives on elsewhere. */
			(void)close(err);
			err = -1;
		}
		if (in != -1 && (pfd[1].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			n = write(in, parts[part] + off, lens[part] - off);
			if (n == -1 && errno != EAGAIN && errno != EINTR) {
				/* EPIPE: it stopped reading; its exit
				 * status says whether that is fine. */
				(void)close(in);
				in = -1;
			} else if (n > 0 && (off += (size_t)n) == lens[part]) {
				off = 0;
				while (++part < 2 && lens[part] == 0)
					;
				if (part == 2) {
					(void)close(in);
					in = -1;
				}
			}
		}
		if (exited && in != -1) {
			(void)close(in);
			in = -1;
		}
	}
	return 0;
}

int
deliver_command(struct deliver *d, const char *command)
{
	struct cmd_env	 ce;
	struct sigaction sa;
	char		 errbuf[DELIVER_MAX_STATUS + 1], *line, *end;
	size_t		 errlen = 0;
	int		 in[2], err[2], wstatus = 0, code;
	pid_t		 pid;

	if (env_build(d, &ce) == -1) {
		env_free(&ce);
		return deliver_fail(d, EX_OSERR, "4.3.0 cannot build the "
		    "environment");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (pipe2(in, O_CLOEXEC) == -1) {
		env_free(&ce);
		return deliver_fail(d, EX_OSERR, "4.3.0 pipe: %s",
		    strerror(errno));
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		env_free(&ce);
		(void)close(in[0]);
		(void)close(in[1]);
		return deliver_fail(d, EX_OSERR, "4.3.0 pipe: %s",
		    strerror(errno));
	}
	if ((pid = fork()) == -1) {
		env_free(&ce);
		return deliver_fail(d, EX_OSERR, "4.3.0 fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		sa.sa_handler = SIG_DFL;
		(void)sigaction(SIGPIPE, &sa, NULL);
		cmd_exec(command, in[0], err[1], ce.ce_vars);
	}
	env_free(&ce);
	(void)close(in[0]);
	(void)close(err[1]);
	if (cmd_feed(d, pid, in[1], err[0], errbuf, &errlen, &wstatus) == -1) {
		if (errno == ETIMEDOUT)
			return deliver_fail(d, EX_TEMPFAIL, "4.4.7 command "
			    "killed after %d seconds", DELIVER_COMMAND_TIMEOUT);
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return deliver_fail(d, EX_OSERR, "4.3.0 running the command "
		    "failed: %s", strerror(errno));
	}
	if (WIFSIGNALED(wstatus))
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 command killed by "
		    "signal %d", WTERMSIG(wstatus));
	if ((code = WEXITSTATUS(wstatus)) == 0)
		return 0;

	/* The last line of what the command said, or its status. */
	errbuf[errlen] = '\0';
	for (end = errbuf + errlen; end > errbuf && (end[-1] == '\n' ||
	    end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	if ((line = strrchr(errbuf, '\n')) != NULL)
		line++;
	else
		line = errbuf;
	if (*line == '\0')
		return deliver_fail(d, code, "command exited with status %d",
		    code);
	return deliver_fail(d, code, "%s", line);
}
