/*
 * Unit tests of the process layer's dispatch (proc.c) and of the
 * per-process counters (stat.c).  A forked test child plays a role with
 * a small peer table and runs the real event loop on one end of a
 * socketpair; the test writes messages on the other end and checks what
 * comes back, or that the child dies with a log line naming the
 * process, the peer and the message type.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "proc_internal.h"
#include "stat.h"

static void	test_dispatch_smtp(struct ipc_msg *);
static void	test_init(void);
static void	test_config(void);

/* lka talking to smtp and control; smtp may only send IMSG_CTL_OK. */
static const struct proc_peer test_peers[] = {
	{ PROC_SMTP,	test_dispatch_smtp },
	{ PROC_PARENT,	NULL }
};

static const struct proc_role test_role = {
	.ro_peers = test_peers,
	.ro_init = test_init,
	.ro_config = test_config,
	.ro_shutdown = NULL,
};

static void
test_dispatch_smtp(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CTL_OK:
		/* Echo, so that the test sees it was claimed. */
		proc_compose(PROC_SMTP, IMSG_CTL_OK, msg->hdr.peerid, -1,
		    NULL, 0);
		break;
	default:
		proc_bad_msg(PROC_SMTP, msg, "unexpected message");
	}
}

static void
test_init(void)
{
}

static void
test_config(void)
{
}

static void
test_lost(enum proc_id peer)
{
	fatalx("test_lost: lost channel to %s", proc_name(peer));
}

struct child {
	pid_t		 pid;
	int		 errfd;		/* child's stderr */
	struct ipc_chan	 smtp;		/* the test is smtp ... */
	struct ipc_chan	 control;	/* ... and control */
};

/* Start a child that is "lka" with channels to smtp and control. */
static void
child_start(struct child *c)
{
	int	sv_smtp[2], sv_ctl[2], errp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv_smtp) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv_ctl) == 0);
	ATF_REQUIRE(pipe(errp) == 0);
	ATF_REQUIRE((c->pid = fork()) != -1);
	if (c->pid == 0) {
		struct event_base	*base;

		(void)dup2(errp[1], STDERR_FILENO);
		close(errp[0]);
		close(sv_smtp[0]);
		close(sv_ctl[0]);
		log_init(1, 0);
		log_procname("lka");
		if ((base = event_base_new()) == NULL)
			_exit(90);
		proc_set_self(PROC_LKA, &test_role, test_lost, base);
		proc_chan_open(PROC_SMTP, sv_smtp[1]);
		proc_chan_open(PROC_CONTROL, sv_ctl[1]);
		(void)event_base_dispatch(base);
		_exit(91);
	}
	close(errp[1]);
	close(sv_smtp[1]);
	close(sv_ctl[1]);
	c->errfd = errp[0];
	ATF_REQUIRE(ipc_init(&c->smtp, sv_smtp[0]) == 0);
	ATF_REQUIRE(ipc_init(&c->control, sv_ctl[0]) == 0);
}

static void
chan_send(struct ipc_chan *ch, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	ATF_REQUIRE(ipc_compose(ch, type, peerid, fd, data, len) == 0);
	while (ipc_pending(ch) > 0)
		ATF_REQUIRE(ipc_flush(ch) == 0);
}

/* Wait for one message; fails the test after 10 s. */
static void
chan_recv(struct ipc_chan *ch, struct ipc_msg *msg)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		r;

	for (;;) {
		r = ipc_get(ch, msg);
		ATF_REQUIRE(r != -1);
		if (r == 1)
			return;
		pfd.fd = ch->ch_fd;
		pfd.events = POLLIN;
		ATF_REQUIRE_MSG(poll(&pfd, 1, 10000) == 1, "no answer");
		n = ipc_read(ch);
		ATF_REQUIRE_MSG(n > 0 || (n == -1 && errno == EAGAIN),
		    "channel closed");
	}
}

/* The child must exit 1 and its log must contain want. */
static void
child_dies_with(struct child *c, const char *want)
{
	char	buf[4096];
	size_t	len = 0;
	ssize_t	n;
	int	status;

	ATF_REQUIRE(waitpid(c->pid, &status, 0) == c->pid);
	while (len < sizeof(buf) - 1 &&
	    (n = read(c->errfd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	printf("child log: %s\n", buf);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "child status 0x%x", status);
	ATF_REQUIRE_MSG(strstr(buf, want) != NULL, "'%s' not in log: %s",
	    want, buf);
	ipc_clear(&c->smtp);
	ipc_clear(&c->control);
	close(c->errfd);
}

static void
child_stop(struct child *c)
{
	int	status;

	kill(c->pid, SIGKILL);
	(void)waitpid(c->pid, &status, 0);
	ipc_clear(&c->smtp);
	ipc_clear(&c->control);
	close(c->errfd);
}

ATF_TC_WITHOUT_HEAD(claimed_message);
ATF_TC_BODY(claimed_message, tc)
{
	struct child	c;
	struct ipc_msg	msg;

	child_start(&c);
	chan_send(&c.smtp, IMSG_CTL_OK, 42, -1, NULL, 0);
	chan_recv(&c.smtp, &msg);
	ATF_CHECK_EQ(msg.hdr.type, IMSG_CTL_OK);
	ATF_CHECK_EQ(msg.hdr.peerid, 42);
	ATF_CHECK_EQ(msg.hdr.pid & IPC_PID_MASK, (uint32_t)c.pid);
	child_stop(&c);
}

ATF_TC_WITHOUT_HEAD(unclaimed_type_is_fatal);
ATF_TC_BODY(unclaimed_type_is_fatal, tc)
{
	struct child	c;

	child_start(&c);
	chan_send(&c.smtp, IMSG_CTL_STATUS, 1, -1, "x", 1);
	child_dies_with(&c, "lka: IMSG_CTL_STATUS from smtp: unexpected "
	    "message");
}

ATF_TC_WITHOUT_HEAD(unknown_type_is_fatal);
ATF_TC_BODY(unknown_type_is_fatal, tc)
{
	struct child	c;

	child_start(&c);
	chan_send(&c.smtp, 9999, 1, -1, NULL, 0);
	child_dies_with(&c, "IMSG_UNKNOWN(9999) from smtp");
}

ATF_TC_WITHOUT_HEAD(peer_without_handler_is_fatal);
ATF_TC_BODY(peer_without_handler_is_fatal, tc)
{
	struct child	c;

	/* control is a peer, but the role has no handler for it. */
	child_start(&c);
	chan_send(&c.control, IMSG_CTL_PAUSE, 1, -1, NULL, 0);
	child_dies_with(&c, "lka: IMSG_CTL_PAUSE from control: no handler "
	    "for this peer");
}

ATF_TC_WITHOUT_HEAD(bad_generic_payload_is_fatal);
ATF_TC_BODY(bad_generic_payload_is_fatal, tc)
{
	struct child	c;
	struct msg_out	mo;

	child_start(&c);
	m_init(&mo);
	m_add_string(&mo, "not an int");
	chan_send(&c.control, IMSG_CTL_VERBOSE, 0, -1, m_data(&mo),
	    m_len(&mo));
	child_dies_with(&c, "lka: IMSG_CTL_VERBOSE from control: bad payload");
}

ATF_TC_WITHOUT_HEAD(stray_descriptor_is_fatal);
ATF_TC_BODY(stray_descriptor_is_fatal, tc)
{
	struct child	c;
	struct msg_out	mo;
	int		fd;

	child_start(&c);
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY)) != -1);
	m_init(&mo);
	m_add_u32(&mo, 0);
	chan_send(&c.control, IMSG_CTL_TRACE, 0, fd, m_data(&mo), m_len(&mo));
	child_dies_with(&c, "lka: IMSG_CTL_TRACE from control: unexpected "
	    "descriptor");
}

/*
 * The real control role, with a listening socket and channels to the
 * parent and lka (played by the test through c->smtp and c->control:
 * here the first is the parent's channel, the second lka's).
 */
static void
control_child_start(struct child *c)
{
	int	sv_par[2], sv_lka[2], errp[2], ls;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv_par) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv_lka) == 0);
	ATF_REQUIRE(pipe(errp) == 0);
	ATF_REQUIRE((ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK,
	    0)) != -1);
	/* An address length of just the family: an abstract autobind. */
	ATF_REQUIRE(bind(ls, (struct sockaddr *)&(struct sockaddr){
	    .sa_family = AF_UNIX }, sizeof(sa_family_t)) == 0);
	ATF_REQUIRE(listen(ls, 1) == 0);
	ATF_REQUIRE((c->pid = fork()) != -1);
	if (c->pid == 0) {
		struct event_base	*base;

		(void)dup2(errp[1], STDERR_FILENO);
		close(errp[0]);
		close(sv_par[0]);
		close(sv_lka[0]);
		log_init(1, 0);
		log_procname("control");
		if ((base = event_base_new()) == NULL)
			_exit(90);
		proc_set_self(PROC_CONTROL, &control_role, test_lost, base);
		proc_set_control_fd(ls);
		proc_chan_open(PROC_PARENT, sv_par[1]);
		proc_chan_open(PROC_LKA, sv_lka[1]);
		control_role.ro_init();
		(void)event_base_dispatch(base);
		_exit(91);
	}
	close(ls);
	close(errp[1]);
	close(sv_par[1]);
	close(sv_lka[1]);
	c->errfd = errp[0];
	ATF_REQUIRE(ipc_init(&c->smtp, sv_par[0]) == 0);
	ATF_REQUIRE(ipc_init(&c->control, sv_lka[0]) == 0);
}

/* A descriptor on a message control does not expect is fatal there too
 * (it used to be kept open and the message accepted). */
ATF_TC_WITHOUT_HEAD(control_stray_descriptor_is_fatal);
ATF_TC_BODY(control_stray_descriptor_is_fatal, tc)
{
	struct child	c;
	struct msg_out	mo;
	siginfo_t	si;
	int		fd, i;

	control_child_start(&c);
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY)) != -1);
	m_init(&mo);
	m_add_u32(&mo, PROC_PAUSE_MDA);
	chan_send(&c.smtp, IMSG_CTL_PAUSE, 0, fd, m_data(&mo), m_len(&mo));
	/* Do not wait for ever for a child that takes the message. */
	for (i = 0; i < 100; i++) {
		memset(&si, 0, sizeof(si));
		ATF_REQUIRE(waitid(P_PID, c.pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == 0);
		if (si.si_pid == c.pid)
			break;
		usleep(100000);
	}
	if (i == 100) {
		child_stop(&c);
		atf_tc_fail("control accepted a descriptor with "
		    "IMSG_CTL_PAUSE");
	}
	child_dies_with(&c, "control: IMSG_CTL_PAUSE from parent: "
	    "unexpected descriptor");
}

ATF_TC_WITHOUT_HEAD(bad_header_is_fatal);
ATF_TC_BODY(bad_header_is_fatal, tc)
{
	struct child	c;
	struct ipc_hdr	hdr;

	child_start(&c);
	hdr.type = IMSG_CTL_OK;
	hdr.len = IPC_MAX_SIZE + 1;
	hdr.peerid = 0;
	hdr.pid = 1;
	ATF_REQUIRE(write(c.smtp.ch_fd, &hdr, sizeof(hdr)) ==
	    (ssize_t)sizeof(hdr));
	child_dies_with(&c, "lka: proc_chan_cb: malformed message from smtp");
}

ATF_TC_WITHOUT_HEAD(peer_eof_is_fatal);
ATF_TC_BODY(peer_eof_is_fatal, tc)
{
	struct child	c;
	struct ipc_hdr	hdr;

	/* Half a message, then the peer goes away. */
	child_start(&c);
	hdr.type = IMSG_CTL_OK;
	hdr.len = IPC_HEADER_SIZE + 8;
	hdr.peerid = 0;
	hdr.pid = 1;
	ATF_REQUIRE(write(c.smtp.ch_fd, &hdr, sizeof(hdr)) ==
	    (ssize_t)sizeof(hdr));
	close(c.smtp.ch_fd);
	c.smtp.ch_fd = -1;
	child_dies_with(&c, "lost channel to smtp");
}

ATF_TC_WITHOUT_HEAD(stats_answer);
ATF_TC_BODY(stats_answer, tc)
{
	struct child	 c;
	struct ipc_msg	 msg;
	struct msg_in	 mi;
	const char	*name;
	uint32_t	 pid, n;

	child_start(&c);
	chan_send(&c.control, IMSG_CTL_STATS, 7, -1, NULL, 0);
	chan_recv(&c.control, &msg);
	ATF_CHECK_EQ(msg.hdr.type, IMSG_CTL_STATS);
	ATF_CHECK_EQ(msg.hdr.peerid, 7);
	m_open(&mi, &msg);
	stat_msg_read(&mi, &name, &pid, &n);
	ATF_REQUIRE_EQ(n, 0);
	ATF_REQUIRE(m_end(&mi) == 0);
	ATF_CHECK_STREQ(name, "lka");
	ATF_CHECK_EQ(pid, (uint32_t)c.pid);
	child_stop(&c);
}

ATF_TC_WITHOUT_HEAD(mesh);
ATF_TC_BODY(mesh, tc)
{
	int	a, b;

	for (a = 0; a < PROC_COUNT; a++) {
		ATF_CHECK(!proc_has_channel(a, a));
		for (b = 0; b < PROC_COUNT; b++)
			ATF_CHECK_EQ(proc_has_channel(a, b),
			    proc_has_channel(b, a));
		if (a != PROC_PARENT)
			ATF_CHECK(proc_has_channel(PROC_PARENT, a));
		if (a != PROC_CONTROL)
			ATF_CHECK(proc_has_channel(PROC_CONTROL, a));
	}
	ATF_CHECK(proc_has_channel(PROC_SMTP, PROC_LKA));
	ATF_CHECK(proc_has_channel(PROC_SMTP, PROC_QUEUE));
	ATF_CHECK(proc_has_channel(PROC_SMTP, PROC_CA));
	ATF_CHECK(proc_has_channel(PROC_QUEUE, PROC_SCHEDULER));
	/* The separation the mesh exists for. */
	ATF_CHECK(!proc_has_channel(PROC_SMTP, PROC_MTA));
	ATF_CHECK(!proc_has_channel(PROC_SMTP, PROC_MDA));
	ATF_CHECK(!proc_has_channel(PROC_SMTP, PROC_SCHEDULER));
	ATF_CHECK(!proc_has_channel(PROC_CA, PROC_QUEUE));
	ATF_CHECK(!proc_has_channel(PROC_CA, PROC_LKA));
	ATF_CHECK(!proc_has_channel(PROC_CA, PROC_MDA));
	ATF_CHECK(!proc_has_channel(PROC_SCHEDULER, PROC_LKA));
	ATF_CHECK(!proc_has_channel(PROC_MTA, PROC_MDA));
	ATF_CHECK(!proc_has_channel(PROC_LKA, PROC_COUNT));
}

ATF_TC_WITHOUT_HEAD(trace_names);
ATF_TC_BODY(trace_names, tc)
{
	unsigned int	m;

	ATF_REQUIRE(proc_trace_lookup("imsg", &m) == 0);
	ATF_CHECK_EQ(m, TRACE_IMSG);
	ATF_REQUIRE(proc_trace_lookup("transfer", &m) == 0);
	ATF_CHECK_EQ(m, TRACE_MTA);
	ATF_REQUIRE(proc_trace_lookup("all", &m) == 0);
	ATF_CHECK_EQ(m, TRACE_ALL);
	ATF_REQUIRE(proc_trace_lookup("profile-imsg", &m) == 0);
	ATF_CHECK_EQ(m, PROFILE_IMSG);
	ATF_CHECK(proc_trace_lookup("bogus", &m) == -1);
	ATF_CHECK(proc_trace_lookup("", &m) == -1);
}

ATF_TC_WITHOUT_HEAD(stat_counters);
ATF_TC_BODY(stat_counters, tc)
{
	static struct msg_out	 mo;
	struct msg_in		 mi;
	char			 key[STAT_MAX_KEYLEN + 2];
	const char		*name, *k;
	uint32_t		 pid, n, i;
	int64_t			 v;
	int			 j;

	stat_increment("b.count", 3);
	stat_decrement("b.count", 1);
	stat_set("a.value", -5);
	ATF_REQUIRE(stat_get("b.count", &v) == 0);
	ATF_CHECK_EQ(v, 2);
	ATF_REQUIRE(stat_get("a.value", &v) == 0);
	ATF_CHECK_EQ(v, -5);
	ATF_CHECK(stat_get("c.none", &v) == -1);

	/* Over-long names are refused, never truncated into another. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	stat_increment(key, 1);
	ATF_CHECK(stat_get(key, &v) == -1);

	stat_msg_build(&mo, "lka", 1234);
	m_open_buf(&mi, m_data(&mo), m_len(&mo));
	stat_msg_read(&mi, &name, &pid, &n);
	ATF_REQUIRE_EQ(n, 2);
	stat_msg_next(&mi, &k, &v);
	ATF_CHECK_STREQ(k, "a.value");
	ATF_CHECK_EQ(v, -5);
	stat_msg_next(&mi, &k, &v);
	ATF_CHECK_STREQ(k, "b.count");
	ATF_CHECK_EQ(v, 2);
	ATF_REQUIRE(m_end(&mi) == 0);
	ATF_CHECK_STREQ(name, "lka");
	ATF_CHECK_EQ(pid, 1234);

	/* The table is bounded: extra keys are dropped. */
	for (j = 0; j < STAT_MAX_KEYS + 10; j++) {
		(void)snprintf(key, sizeof(key), "k.%d", j);
		stat_increment(key, 1);
	}
	stat_msg_build(&mo, "lka", 1);
	m_open_buf(&mi, m_data(&mo), m_len(&mo));
	stat_msg_read(&mi, &name, &pid, &n);
	ATF_CHECK_EQ(n, STAT_MAX_KEYS);
	for (i = 0; i < n; i++)
		stat_msg_next(&mi, &k, &v);
	ATF_CHECK(m_end(&mi) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, claimed_message);
	ATF_TP_ADD_TC(tp, unclaimed_type_is_fatal);
	ATF_TP_ADD_TC(tp, unknown_type_is_fatal);
	ATF_TP_ADD_TC(tp, peer_without_handler_is_fatal);
	ATF_TP_ADD_TC(tp, bad_generic_payload_is_fatal);
	ATF_TP_ADD_TC(tp, stray_descriptor_is_fatal);
	ATF_TP_ADD_TC(tp, control_stray_descriptor_is_fatal);
	ATF_TP_ADD_TC(tp, bad_header_is_fatal);
	ATF_TP_ADD_TC(tp, peer_eof_is_fatal);
	ATF_TP_ADD_TC(tp, stats_answer);
	ATF_TP_ADD_TC(tp, mesh);
	ATF_TP_ADD_TC(tp, trace_names);
	ATF_TP_ADD_TC(tp, stat_counters);
	return atf_no_error();
}
