/*
 * smtpctl: the administration client of smtpd.  Runs as the invoking
 * user (the daemon, not smtpctl, decides what that user may do: the
 * control process checks the peer's uid on the socket).  Talks only to
 * the control process over the control socket, with the framed messages
 * of ipc.h (protocol in control.h).  It trusts the command line of its
 * user; answers from the daemon are checked with the payload cursor and
 * printed only after non-printable bytes are masked.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "imsg_types.h"
#include "ipc.h"
#include "smtpctl_cmd.h"
#include "smtpctl_encrypt.h"

struct stat_entry {
	char		*se_key;
	int64_t		 se_value;
};

static void	usage(void) __attribute__((noreturn));
static void	ctl_connect(void);
static void	ctl_send(uint32_t, const struct msg_out *);
static void	ctl_recv(struct ipc_msg *);
static void	ctl_expect(const struct ipc_msg *, uint32_t);
static int	ctl_fail(const struct ipc_msg *, int);
static int	ctl_simple(uint32_t, const struct msg_out *);
static char	*ctl_visible(const char *);
static void	ctl_duration(int64_t, char *, size_t);
static int	stat_cmp(const void *, const void *);
static int	do_log_brief(void);
static int	do_log_verbose(void);
static int	do_show_stats(void);
static int	do_show_status(void);

static const struct smtpctl_cmd smtpctl_cmds[] = {
	{ "show stats",		do_show_stats,	NULL },
	{ "show status",	do_show_status,	NULL },
	{ "log brief",		do_log_brief,	NULL },
	{ "log verbose",	do_log_verbose,	NULL },
	{ "encrypt",		NULL,		smtpctl_encrypt },
};

static const char	*ctl_path = CONTROL_DEFAULT_SOCKET;
static struct ipc_chan	 ctl_chan;

static void
usage(void)
{
	fprintf(stderr, "usage: smtpctl [-s socket] command [argument ...]\n");
	exit(1);
}

static void
ctl_connect(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, ctl_path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", ctl_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR)
			errx(1, "smtpd doesn't seem to be running");
		err(1, "%s", ctl_path);
	}
	if (ipc_init(&ctl_chan, fd) == -1)
		err(1, "ipc_init");
}

static void
ctl_send(uint32_t type, const struct msg_out *m)
{
	struct pollfd	pfd;

	ctl_connect();
	if (m_error(m) == -1)
		errx(1, "request too large");
	if (ipc_compose(&ctl_chan, type, CONTROL_PROTO_VERSION, -1,
	    m_data(m), m_len(m)) == -1)
		err(1, "ipc_compose");
	while (ipc_pending(&ctl_chan) > 0) {
		if (ipc_flush(&ctl_chan) == -1) {
			/* The daemon may have said why before it closed
			 * (too many clients): ctl_recv() reads that. */
			if (errno == EPIPE || errno == ECONNRESET)
				return;
			err(1, "write to smtpd");
		}
		if (ipc_pending(&ctl_chan) == 0)
			break;
		pfd.fd = ctl_chan.ch_fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			err(1, "poll");
	}
}

static void
ctl_recv(struct ipc_msg *msg)
{
	struct pollfd	pfd;
	ssize_t		n;

	for (;;) {
		switch (ipc_get(&ctl_chan, msg)) {
		case 1:
			if (msg->fd != -1)
				errx(1, "unexpected descriptor from smtpd");
			return;
		case -1:
			errx(1, "malformed answer from smtpd");
		default:
			break;
		}
		pfd.fd = ctl_chan.ch_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		n = ipc_read(&ctl_chan);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			errx(1, "smtpd closed the connection");
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			err(1, "read from smtpd");
	}
}

/* A FAIL ends any command; anything but the expected type is fatal. */
static void
ctl_expect(const struct ipc_msg *msg, uint32_t type)
{
	if (msg->hdr.type == IMSG_CTL_FAIL)
		exit(ctl_fail(msg, 0));
	if (msg->hdr.type != type)
		errx(1, "unexpected answer from smtpd: %s",
		    imsg_type_name(msg->hdr.type));
}

/*
 * Report a FAIL answer.  A refusal (no privileges, protocol trouble,
 * daemon busy) is an error on stderr; a command that ran and failed is
 * "command failed: why" on stdout when verbose, as OpenSMTPD prints it.
 */
static int
ctl_fail(const struct ipc_msg *msg, int verbose)
{
	struct msg_in	 in;
	const char	*reason;
	uint32_t	 code;

	m_open(&in, msg);
	m_get_u32(&in, &code);
	m_get_string(&in, &reason);
	if (m_end(&in) == -1)
		errx(1, "malformed failure answer from smtpd");
	if (code != CONTROL_FAIL_ERROR)
		errx(1, "%s", ctl_visible(reason));
	if (verbose) {
		if (*reason != '\0')
			printf("command failed: %s\n", ctl_visible(reason));
		else
			printf("command failed\n");
	}
	return 1;
}

/* A request answered by OK or FAIL. */
static int
ctl_simple(uint32_t type, const struct msg_out *m)
{
	struct ipc_msg	msg;
	struct msg_in	in;

	ctl_send(type, m);
	ctl_recv(&msg);
	switch (msg.hdr.type) {
	case IMSG_CTL_OK:
		m_open(&in, &msg);
		if (m_end(&in) == -1)
			errx(1, "malformed answer from smtpd");
		printf("command succeeded\n");
		return 0;
	case IMSG_CTL_FAIL:
		return ctl_fail(&msg, 1);
	default:
		errx(1, "unexpected answer from smtpd: %s",
		    imsg_type_name(msg.hdr.type));
	}
}

/* A copy of s with bytes a terminal would interpret masked. */
static char *
ctl_visible(const char *s)
{
	char	*p, *v;

	if ((v = strdup(s)) == NULL)
		err(1, "strdup");
	for (p = v; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			*p = '?';
	return v;
}

/* "0s", "6s", "1h2m3s", "3d4m": zero units are left out. */
static void
ctl_duration(int64_t t, char *buf, size_t len)
{
	static const struct {
		int64_t	secs;
		char	unit;
	} units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	char	part[32];
	size_t	i;

	buf[0] = '\0';
	if (t == 0) {
		(void)strlcpy(buf, "0s", len);
		return;
	}
	if (t < 0) {
		(void)strlcpy(buf, "-", len);
		t = t == INT64_MIN ? INT64_MAX : -t;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (t / units[i].secs == 0)
			continue;
		(void)snprintf(part, sizeof(part), "%" PRId64 "%c",
		    t / units[i].secs, units[i].unit);
		(void)strlcat(buf, part, len);
		t %= units[i].secs;
	}
}

static int
stat_cmp(const void *a, const void *b)
{
	const struct stat_entry	*x = a, *y = b;

	return strcmp(x->se_key, y->se_key);
}

static int
do_show_stats(void)
{
	struct msg_out		 out;
	struct msg_in		 in;
	struct ipc_msg		 msg;
	struct stat_entry	*tab = NULL, *tmp;
	size_t			 n = 0, cap = 0, i;
	const char		*key;
	int64_t			 value;
	char			 human[64];

	m_init(&out);
	ctl_send(IMSG_CTL_STATS, &out);
	for (;;) {
		ctl_recv(&msg);
		if (msg.hdr.type == IMSG_CTL_STATS_END)
			break;
		ctl_expect(&msg, IMSG_CTL_STATS);
		m_open(&in, &msg);
		m_get_string(&in, &key);
		m_get_i64(&in, &value);
		if (m_end(&in) == -1)
			errx(1, "malformed statistics from smtpd");
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			tmp = reallocarray(tab, cap, sizeof(*tab));
			if (tmp == NULL)
				err(1, "reallocarray");
			tab = tmp;
		}
		tab[n].se_key = ctl_visible(key);
		tab[n].se_value = value;
		n++;
	}
	m_open(&in, &msg);
	if (m_end(&in) == -1)
		errx(1, "malformed statistics from smtpd");

	qsort(tab, n, sizeof(*tab), stat_cmp);
	for (i = 0; i < n; i++) {
		printf("%s=%" PRId64 "\n", tab[i].se_key, tab[i].se_value);
		if (strcmp(tab[i].se_key, "uptime") == 0) {
			ctl_duration(tab[i].se_value, human, sizeof(human));
			printf("uptime.human=%s\n", human);
		}
		free(tab[i].se_key);
	}
	free(tab);
	return 0;
}

static int
do_show_status(void)
{
	struct msg_out	out;
	struct msg_in	in;
	struct ipc_msg	msg;
	uint32_t	flags;

	m_init(&out);
	ctl_send(IMSG_CTL_STATUS, &out);
	ctl_recv(&msg);
	ctl_expect(&msg, IMSG_CTL_STATUS);
	m_open(&in, &msg);
	m_get_u32(&in, &flags);
	if (m_end(&in) == -1)
		errx(1, "malformed status from smtpd");
	printf("MDA %s\n", flags & CONTROL_PAUSED_MDA ? "paused" : "running");
	printf("MTA %s\n", flags & CONTROL_PAUSED_MTA ? "paused" : "running");
	printf("SMTP %s\n", flags & CONTROL_PAUSED_SMTP ? "paused" : "running");
	return 0;
}

static int
do_log_brief(void)
{
	struct msg_out	out;

	m_init(&out);
	m_add_int(&out, 0);
	return ctl_simple(IMSG_CTL_VERBOSE, &out);
}

static int
do_log_verbose(void)
{
	struct msg_out	out;

	m_init(&out);
	m_add_int(&out, 1);
	return ctl_simple(IMSG_CTL_VERBOSE, &out);
}

int
main(int argc, char *argv[])
{
	int	ch, ret;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		switch (ch) {
		case 's':
			ctl_path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	/* A daemon that went away must be a write error, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);

	ret = smtpctl_cmd_run(smtpctl_cmds,
	    sizeof(smtpctl_cmds) / sizeof(smtpctl_cmds[0]), argc, argv);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return ret;
}
