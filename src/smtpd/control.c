/*
 * The control process.  Runs as _smtpd, chrooted to an empty directory,
 * and serves the control socket that the parent bound and handed over
 * (proc_control_fd()).  Peers: the parent (pause state, its counters)
 * and every other process (their counters, log level changes).
 *
 * Input it does not trust: everything a client writes on the control
 * socket.  A client is identified by the kernel (SO_PEERCRED), never by
 * what it says; commands that change the daemon need uid 0.  A
 * malformed, oversized or unknown request gets IMSG_CTL_FAIL and the
 * connection is closed; nothing a client sends is fatal.  Messages from
 * the other processes are trusted to be well formed, and one that is
 * not is fatal (proc_bad_msg), as everywhere in the daemon.
 *
 * A request that needs other processes (show stats) is sent to them
 * with the client's id as peerid and tracked in a ctl_request until
 * every process has answered, even if the client has gone meanwhile:
 * its id is not reused before then, so a late answer can never reach
 * another client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "stat.h"

/* libbsd's tree.h marks static tree functions __unused but leaves the
 * macro undefined on Linux. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

struct ctl_request;

struct ctl_client {
	RB_ENTRY(ctl_client)	 c_entry;
	uint32_t		 c_id;
	uid_t			 c_uid;
	pid_t			 c_pid;
	struct ipc_chan		 c_chan;
	struct event		*c_rev;
	struct event		*c_wev;
	struct event		*c_timer;
	struct ctl_request	*c_req;		/* relayed, unanswered */
	int			 c_closing;	/* flush, then close */
	int			 c_dead;	/* close without flushing */
};
RB_HEAD(ctl_clients, ctl_client);

struct ctl_request {
	RB_ENTRY(ctl_request)	 r_entry;
	uint32_t		 r_id;		/* = the client's id */
	struct ctl_client	*r_client;	/* NULL once it left */
	uint32_t		 r_type;
	uint32_t		 r_waiting;	/* bit per proc_id */
};
RB_HEAD(ctl_requests, ctl_request);

struct ctl_command {
	uint32_t	  cc_type;
	int		  cc_root;		/* needs uid 0 */
	const char	 *cc_name;		/* for logs */
	int		(*cc_run)(struct ctl_client *, struct msg_in *);
};

static void	control_init(void);
static void	control_config(void);
static void	control_shutdown(void);
static void	control_dispatch_parent(struct ipc_msg *);
static void	control_dispatch_lka(struct ipc_msg *);
static void	control_dispatch_ca(struct ipc_msg *);
static void	control_dispatch_queue(struct ipc_msg *);
static void	control_dispatch_scheduler(struct ipc_msg *);
static void	control_dispatch_smtp(struct ipc_msg *);
static void	control_dispatch_mta(struct ipc_msg *);
static void	control_dispatch_mda(struct ipc_msg *);
static void	control_dispatch_child(enum proc_id, struct ipc_msg *);
static void	control_no_fd(enum proc_id, struct ipc_msg *);
static void	control_accept(int, short, void *);
static void	control_accept_resume(int, short, void *);
static void	control_refuse(int, const char *);
static void	control_client_read(int, short, void *);
static void	control_client_write(int, short, void *);
static void	control_client_timeout(int, short, void *);
static void	control_client_request(struct ctl_client *, struct ipc_msg *);
static void	control_client_arm(struct ctl_client *);
static void	control_client_close(struct ctl_client *);
static void	control_reply(struct ctl_client *, uint32_t,
		    const struct msg_out *);
static void	control_fail(struct ctl_client *, uint32_t, const char *);
static int	control_cmd_stats(struct ctl_client *, struct msg_in *);
static int	control_cmd_status(struct ctl_client *, struct msg_in *);
static int	control_cmd_verbose(struct ctl_client *, struct msg_in *);
static void	control_stats_answer(enum proc_id, struct ipc_msg *);
static void	control_stats_forward(struct ctl_client *, struct msg_in *);
static void	control_stats_pair(struct ctl_client *, const char *, int64_t);
static void	control_request_done(struct ctl_request *);
static int	control_client_cmp(struct ctl_client *, struct ctl_client *);
static int	control_request_cmp(struct ctl_request *, struct ctl_request *);

RB_PROTOTYPE_STATIC(ctl_clients, ctl_client, c_entry, control_client_cmp)
RB_PROTOTYPE_STATIC(ctl_requests, ctl_request, r_entry, control_request_cmp)

static const struct proc_peer control_peers[] = {
	{ PROC_PARENT,		control_dispatch_parent },
	{ PROC_LKA,		control_dispatch_lka },
	{ PROC_CA,		control_dispatch_ca },
	{ PROC_QUEUE,		control_dispatch_queue },
	{ PROC_SCHEDULER,	control_dispatch_scheduler },
	{ PROC_SMTP,		control_dispatch_smtp },
	{ PROC_MTA,		control_dispatch_mta },
	{ PROC_MDA,		control_dispatch_mda },
	{ 0,			NULL },
};

const struct proc_role control_role = {
	control_peers,
	control_init,
	control_config,
	control_shutdown,
};

static const struct ctl_command control_commands[] = {
	{ IMSG_CTL_STATS,	0, "show stats",	control_cmd_stats },
	{ IMSG_CTL_STATUS,	0, "show status",	control_cmd_status },
	{ IMSG_CTL_VERBOSE,	1, "log verbose/brief",	control_cmd_verbose },
};

static struct ctl_clients	 control_clients =
    RB_INITIALIZER(&control_clients);
static struct ctl_requests	 control_requests =
    RB_INITIALIZER(&control_requests);
static size_t			 control_nclients;
static uint32_t			 control_lastid;
static uint32_t			 control_paused;	/* PROC_PAUSE_* */
static struct timespec		 control_started;
static int			 control_fd = -1;
static struct event		*control_ev;
static struct event		*control_backoff_ev;

RB_GENERATE_STATIC(ctl_clients, ctl_client, c_entry, control_client_cmp)
RB_GENERATE_STATIC(ctl_requests, ctl_request, r_entry, control_request_cmp)

static int
control_client_cmp(struct ctl_client *a, struct ctl_client *b)
{
	return a->c_id < b->c_id ? -1 : a->c_id > b->c_id;
}

static int
control_request_cmp(struct ctl_request *a, struct ctl_request *b)
{
	return a->r_id < b->r_id ? -1 : a->r_id > b->r_id;
}

static void
control_init(void)
{
	struct event_base	*base = proc_event_base();

	if (clock_gettime(CLOCK_MONOTONIC, &control_started) == -1)
		fatal("control_init: clock_gettime");
	if ((control_fd = proc_control_fd()) == -1)
		fatalx("control_init: no control socket");
	control_ev = event_new(base, control_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	control_backoff_ev = evtimer_new(base, control_accept_resume, NULL);
	if (control_ev == NULL || control_backoff_ev == NULL)
		fatalx("control_init: event_new");
	if (event_add(control_ev, NULL) == -1)
		fatalx("control_init: event_add");
	stat_set("control.session", 0);
}

static void
control_config(void)
{
	/* Control needs nothing from the configuration. */
}

static void
control_shutdown(void)
{
	struct ctl_client	*c, *next;

	RB_FOREACH_SAFE(c, ctl_clients, &control_clients, next)
		control_client_close(c);
}

/* ------------------------------------------------------------------ */
/* Other processes */

static void
control_dispatch_parent(struct ipc_msg *msg)
{
	struct msg_in	in;
	uint32_t	mask;

	control_no_fd(PROC_PARENT, msg);
	switch (msg->hdr.type) {
	case IMSG_CTL_PAUSE:
		if (msg->hdr.peerid != 0)
			proc_bad_msg(PROC_PARENT, msg, "pause with a peerid");
		m_open(&in, msg);
		m_get_u32(&in, &mask);
		if (m_end(&in) == -1 || (mask & ~(PROC_PAUSE_MDA |
		    PROC_PAUSE_MTA | PROC_PAUSE_SMTP)) != 0)
			proc_bad_msg(PROC_PARENT, msg, "bad pause mask");
		control_paused = mask;
		return;
	case IMSG_CTL_STATS:
		control_stats_answer(PROC_PARENT, msg);
		return;
	}
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

/* No message of another process to control carries a descriptor. */
static void
control_no_fd(enum proc_id peer, struct ipc_msg *msg)
{
	if (msg->fd == -1)
		return;
	(void)close(msg->fd);
	msg->fd = -1;
	proc_bad_msg(peer, msg, "unexpected descriptor");
}

/* The other processes only answer control's own requests. */
static void
control_dispatch_child(enum proc_id peer, struct ipc_msg *msg)
{
	control_no_fd(peer, msg);
	if (msg->hdr.type != IMSG_CTL_STATS)
		proc_bad_msg(peer, msg, "unexpected message");
	control_stats_answer(peer, msg);
}

static void
control_dispatch_lka(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_LKA, msg);
}

static void
control_dispatch_ca(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_CA, msg);
}

static void
control_dispatch_queue(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_QUEUE, msg);
}

static void
control_dispatch_scheduler(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_SCHEDULER, msg);
}

static void
control_dispatch_smtp(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_SMTP, msg);
}

static void
control_dispatch_mta(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_MTA, msg);
}

static void
control_dispatch_mda(struct ipc_msg *msg)
{
	control_dispatch_child(PROC_MDA, msg);
}

/* ------------------------------------------------------------------ */
/* Clients: accepting and refusing */

static void
control_accept(int fd, short ev, void *arg)
{
	struct ctl_client	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	size_t			 limit;
	int			 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Stop accepting for a moment, or we spin. */
			log_warn("control_accept");
			event_del(control_ev);
			(void)event_add(control_backoff_ev,
			    &(struct timeval){ CONTROL_ACCEPT_BACKOFF, 0 });
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control_accept");
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred)) {
		log_warn("control_accept: SO_PEERCRED");
		close(s);
		return;
	}

	/* The last slots are kept for root, so that local users cannot
	 * lock the administrator out. */
	limit = CONTROL_MAX_CLIENTS;
	if (cred.uid != 0)
		limit -= CONTROL_ROOT_RESERVE;
	if (control_nclients >= limit) {
		log_warnx("control_accept: too many clients, refusing uid %u "
		    "pid %d", (unsigned)cred.uid, (int)cred.pid);
		control_refuse(s, "too many control clients");
		return;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control_accept: calloc");
		close(s);
		return;
	}
	if (ipc_init(&c->c_chan, s) == -1) {
		log_warn("control_accept: ipc_init");
		free(c);
		close(s);
		return;
	}
	c->c_uid = cred.uid;
	c->c_pid = cred.pid;
	c->c_rev = event_new(proc_event_base(), s, EV_READ | EV_PERSIST,
	    control_client_read, c);
	c->c_wev = event_new(proc_event_base(), s, EV_WRITE,
	    control_client_write, c);
	c->c_timer = evtimer_new(proc_event_base(), control_client_timeout,
	    c);
	if (c->c_rev == NULL || c->c_wev == NULL || c->c_timer == NULL)
		fatalx("control_accept: event_new");

	/* Ids of clients still connected or still awaited are skipped. */
	do {
		c->c_id = ++control_lastid;
	} while (c->c_id == 0 ||
	    RB_FIND(ctl_clients, &control_clients, c) != NULL ||
	    RB_FIND(ctl_requests, &control_requests,
	    &(struct ctl_request){ .r_id = c->c_id }) != NULL);
	RB_INSERT(ctl_clients, &control_clients, c);
	control_nclients++;
	stat_increment("control.session", 1);
	log_debug("control_accept: client %u: uid %u pid %d", c->c_id,
	    (unsigned)c->c_uid, (int)c->c_pid);
	control_client_arm(c);
}

static void
control_accept_resume(int fd, short ev, void *arg)
{
	if (event_add(control_ev, NULL) == -1)
		fatalx("control_accept_resume: event_add");
}

/* Best effort: one FAIL written without waiting, then close. */
static void
control_refuse(int s, const char *why)
{
	struct ipc_chan	chan;
	struct msg_out	out;

	if (ipc_init(&chan, s) == -1) {
		close(s);
		return;
	}
	m_init(&out);
	m_add_u32(&out, CONTROL_FAIL_BUSY);
	m_add_string(&out, why);
	if (ipc_compose(&chan, IMSG_CTL_FAIL, 0, -1, m_data(&out),
	    m_len(&out)) == 0)
		(void)ipc_flush(&chan);
	ipc_clear(&chan);
}

/* ------------------------------------------------------------------ */
/* Clients: I/O */

/*
 * Read while no answer is owed; a client that sends a request before
 * the previous one is answered breaks the protocol.
 */
static void
control_client_read(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;
	struct ipc_msg		 msg;
	ssize_t			 n;
	int			 r;

	n = ipc_read(&c->c_chan);
	if (n == 0) {
		control_client_close(c);
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == EBADMSG)
			log_warnx("control_client_read: client %u: bad "
			    "descriptors", c->c_id);
		control_client_close(c);
		return;
	}

	while (!c->c_closing && (r = ipc_get(&c->c_chan, &msg)) != 0) {
		if (r == -1) {
			log_warnx("control_client_read: client %u uid %u: "
			    "malformed message", c->c_id, (unsigned)c->c_uid);
			control_fail(c, CONTROL_FAIL_PROTOCOL,
			    "malformed request");
			break;
		}
		control_client_request(c, &msg);
	}
	control_client_arm(c);
}

static void
control_client_request(struct ctl_client *c, struct ipc_msg *msg)
{
	const struct ctl_command	*cmd = NULL;
	struct msg_in			 in;
	size_t				 i;

	if (msg->fd != -1) {
		close(msg->fd);
		log_warnx("control_client_request: client %u uid %u: "
		    "unexpected descriptor", c->c_id, (unsigned)c->c_uid);
		control_fail(c, CONTROL_FAIL_PROTOCOL, "unexpected descriptor");
		return;
	}
	if (msg->hdr.peerid != CONTROL_PROTO_VERSION) {
		log_warnx("control_client_request: client %u uid %u: "
		    "protocol version %u", c->c_id, (unsigned)c->c_uid,
		    msg->hdr.peerid);
		control_fail(c, CONTROL_FAIL_VERSION,
		    "incompatible smtpctl and smtpd");
		return;
	}
	if (msg->datalen > CONTROL_MAX_REQUEST) {
		log_warnx("control_client_request: client %u uid %u: "
		    "request of %zu bytes", c->c_id, (unsigned)c->c_uid,
		    msg->datalen);
		control_fail(c, CONTROL_FAIL_PROTOCOL, "request too large");
		return;
	}
	if (ipc_pending(&c->c_chan) > CONTROL_MAX_OUTPUT) {
		/* It asks without reading the answers: do not queue more. */
		log_warnx("control_client_request: client %u uid %u: "
		    "%zu bytes of answers unread", c->c_id,
		    (unsigned)c->c_uid, ipc_pending(&c->c_chan));
		c->c_closing = c->c_dead = 1;
		return;
	}
	if (c->c_req != NULL) {
		log_warnx("control_client_request: client %u uid %u: "
		    "request while one is pending", c->c_id,
		    (unsigned)c->c_uid);
		control_fail(c, CONTROL_FAIL_PROTOCOL,
		    "one request at a time");
		return;
	}
	for (i = 0; i < sizeof(control_commands) /
	    sizeof(control_commands[0]); i++)
		if (control_commands[i].cc_type == msg->hdr.type)
			cmd = &control_commands[i];
	if (cmd == NULL) {
		log_warnx("control_client_request: client %u uid %u: "
		    "unknown request %s", c->c_id, (unsigned)c->c_uid,
		    imsg_type_name(msg->hdr.type));
		control_fail(c, CONTROL_FAIL_PROTOCOL, "unknown request");
		return;
	}

	log_debug("control_client_request: client %u uid %u: %s", c->c_id,
	    (unsigned)c->c_uid, cmd->cc_name);
	if (cmd->cc_root && c->c_uid != 0) {
		log_warnx("control_client_request: client %u uid %u: "
		    "refused %s", c->c_id, (unsigned)c->c_uid, cmd->cc_name);
		control_fail(c, CONTROL_FAIL_DENIED, "need root privileges");
		return;
	}
	m_open(&in, msg);
	if (cmd->cc_run(c, &in) == -1) {
		log_warnx("control_client_request: client %u uid %u: "
		    "malformed %s", c->c_id, (unsigned)c->c_uid,
		    cmd->cc_name);
		control_fail(c, CONTROL_FAIL_PROTOCOL, "malformed request");
		return;
	}
	if (c->c_req == NULL)
		(void)event_add(c->c_timer,
		    &(struct timeval){ CONTROL_IDLE_TIMEOUT, 0 });
}

static void
control_client_write(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;

	if (ipc_flush(&c->c_chan) == -1) {
		if (errno != EPIPE && errno != ECONNRESET)
			log_warn("control_client_write: client %u", c->c_id);
		control_client_close(c);
		return;
	}
	control_client_arm(c);
}

static void
control_client_timeout(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;

	log_debug("control_client_timeout: client %u uid %u: idle",
	    c->c_id, (unsigned)c->c_uid);
	control_client_close(c);
}

/*
 * Wait for what the client's state needs next, or close it.  Called
 * last by every event handler that touched the client, never in the
 * middle of composing answers, so that nothing uses a freed client.
 */
static void
control_client_arm(struct ctl_client *c)
{
	if (c->c_dead || (c->c_closing && ipc_pending(&c->c_chan) == 0)) {
		control_client_close(c);
		return;
	}
	if (c->c_closing)
		event_del(c->c_rev);
	else if (!event_pending(c->c_rev, EV_READ, NULL) &&
	    event_add(c->c_rev, NULL) == -1)
		fatalx("control_client_arm: event_add");
	if (ipc_pending(&c->c_chan) > 0 &&
	    !event_pending(c->c_wev, EV_WRITE, NULL) &&
	    event_add(c->c_wev, NULL) == -1)
		fatalx("control_client_arm: event_add");
	if (!c->c_closing && c->c_req == NULL &&
	    !evtimer_pending(c->c_timer, NULL))
		(void)event_add(c->c_timer,
		    &(struct timeval){ CONTROL_IDLE_TIMEOUT, 0 });
}

static void
control_client_close(struct ctl_client *c)
{
	log_debug("control_client_close: client %u", c->c_id);
	if (c->c_req != NULL)
		c->c_req->r_client = NULL;
	RB_REMOVE(ctl_clients, &control_clients, c);
	control_nclients--;
	stat_decrement("control.session", 1);
	event_free(c->c_rev);
	event_free(c->c_wev);
	event_free(c->c_timer);
	ipc_clear(&c->c_chan);
	free(c);
}

static void
control_reply(struct ctl_client *c, uint32_t type, const struct msg_out *m)
{
	if (m_error(m) == -1)
		fatalx("control_reply: %s too large", imsg_type_name(type));
	if (c->c_dead)
		return;
	if (ipc_compose(&c->c_chan, type, 0, -1, m_data(m), m_len(m)) ==
	    -1) {
		/* A client that does not read its answers is dropped. */
		log_warn("control_reply: client %u", c->c_id);
		c->c_closing = c->c_dead = 1;
	}
}

static void
control_fail(struct ctl_client *c, uint32_t code, const char *why)
{
	struct msg_out	out;

	m_init(&out);
	m_add_u32(&out, code);
	m_add_string(&out, why);
	if (code == CONTROL_FAIL_PROTOCOL || code == CONTROL_FAIL_VERSION) {
		/*
		 * The client gets a short while to read this, and no more:
		 * the idle timer may be off (a request pending), and a
		 * client that never reads would keep its slot for ever.
		 */
		c->c_closing = 1;
		if (event_add(c->c_timer,
		    &(struct timeval){ CONTROL_CLOSE_TIMEOUT, 0 }) == -1)
			fatalx("control_fail: event_add");
	}
	control_reply(c, IMSG_CTL_FAIL, &out);
}

/* ------------------------------------------------------------------ */
/* Commands */

static int
control_cmd_status(struct ctl_client *c, struct msg_in *in)
{
	struct msg_out	out;
	uint32_t	flags = 0;

	if (m_end(in) == -1)
		return -1;
	if (control_paused & PROC_PAUSE_MDA)
		flags |= CONTROL_PAUSED_MDA;
	if (control_paused & PROC_PAUSE_MTA)
		flags |= CONTROL_PAUSED_MTA;
	if (control_paused & PROC_PAUSE_SMTP)
		flags |= CONTROL_PAUSED_SMTP;
	m_init(&out);
	m_add_u32(&out, flags);
	control_reply(c, IMSG_CTL_STATUS, &out);
	return 0;
}

static int
control_cmd_verbose(struct ctl_client *c, struct msg_in *in)
{
	struct msg_out	out;
	enum proc_id	p;
	int		level;

	m_get_int(in, &level);
	if (m_end(in) == -1 || (level != 0 && level != 1))
		return -1;

	log_setverbose(level);
	m_init(&out);
	m_add_int(&out, level);
	for (p = 0; p < PROC_COUNT; p++)
		if (p != PROC_CONTROL && proc_has_channel(PROC_CONTROL, p))
			proc_send(p, IMSG_CTL_VERBOSE, 0, -1, &out);
	log_info("control: %s logging, asked by uid %u",
	    level ? "verbose" : "brief", (unsigned)c->c_uid);

	m_init(&out);
	control_reply(c, IMSG_CTL_OK, &out);
	return 0;
}

/* Ask every process for its counters; answers come back one each. */
static int
control_cmd_stats(struct ctl_client *c, struct msg_in *in)
{
	struct ctl_request	*r;
	enum proc_id		 p;

	if (m_end(in) == -1)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("control_cmd_stats: calloc");
		control_fail(c, CONTROL_FAIL_ERROR, "out of memory");
		return 0;
	}
	r->r_id = c->c_id;
	r->r_client = c;
	r->r_type = IMSG_CTL_STATS;
	for (p = 0; p < PROC_COUNT; p++) {
		if (p == PROC_CONTROL || !proc_has_channel(PROC_CONTROL, p))
			continue;
		proc_compose(p, IMSG_CTL_STATS, r->r_id, -1, NULL, 0);
		r->r_waiting |= 1U << p;
	}
	if (RB_INSERT(ctl_requests, &control_requests, r) != NULL)
		fatalx("control_cmd_stats: request %u exists", r->r_id);
	c->c_req = r;
	evtimer_del(c->c_timer);
	if (r->r_waiting == 0)
		control_request_done(r);
	return 0;
}

static void
control_stats_answer(enum proc_id peer, struct ipc_msg *msg)
{
	struct ctl_request	*r, key;
	struct ctl_client	*c;
	struct msg_in		 in;
	const char		*name, *k;
	uint32_t		 pid, n, i;
	int64_t			 v;

	key.r_id = msg->hdr.peerid;
	r = RB_FIND(ctl_requests, &control_requests, &key);
	if (r == NULL || r->r_type != IMSG_CTL_STATS ||
	    (r->r_waiting & (1U << peer)) == 0)
		proc_bad_msg(peer, msg, "stats answer to no request");

	/* Check the whole answer before forwarding any of it. */
	m_open(&in, msg);
	stat_msg_read(&in, &name, &pid, &n);
	if (n > STAT_MAX_KEYS)
		proc_bad_msg(peer, msg, "too many counters");
	for (i = 0; i < n; i++)
		stat_msg_next(&in, &k, &v);
	if (m_end(&in) == -1 || strcmp(name, proc_name(peer)) != 0)
		proc_bad_msg(peer, msg, "malformed stats answer");

	r->r_waiting &= ~(1U << peer);
	if ((c = r->r_client) == NULL) {
		log_debug("control_stats_answer: client %u has left, answer "
		    "of %s dropped", r->r_id, proc_name(peer));
		if (r->r_waiting == 0)
			control_request_done(r);
		return;
	}
	m_open(&in, msg);
	control_stats_forward(c, &in);
	if (r->r_waiting == 0)
		control_request_done(r);
	control_client_arm(c);
}

/* A checked stat.h answer, as "<proc>.pid" and one pair per counter. */
static void
control_stats_forward(struct ctl_client *c, struct msg_in *in)
{
	const char	*name, *k;
	char		 key[STAT_MAX_KEYLEN + 16];
	uint32_t	 pid, n, i;
	int64_t		 v;

	stat_msg_read(in, &name, &pid, &n);
	if (snprintf(key, sizeof(key), "%s.pid", name) >= (int)sizeof(key))
		fatalx("control_stats_forward: process name too long");
	control_stats_pair(c, key, pid);
	for (i = 0; i < n; i++) {
		stat_msg_next(in, &k, &v);
		control_stats_pair(c, k, v);
	}
}

static void
control_stats_pair(struct ctl_client *c, const char *key, int64_t value)
{
	struct msg_out	out;

	if (c->c_closing)
		return;
	m_init(&out);
	m_add_string(&out, key);
	m_add_i64(&out, value);
	control_reply(c, IMSG_CTL_STATS, &out);
}

/*
 * Every process answered: add control's own lines and finish.  The
 * caller arms the client.
 */
static void
control_request_done(struct ctl_request *r)
{
	struct ctl_client	*c = r->r_client;
	struct msg_out		 out;
	struct msg_in		 in;
	struct timespec		 now;

	RB_REMOVE(ctl_requests, &control_requests, r);
	free(r);
	if (c == NULL)
		return;
	c->c_req = NULL;

	m_init(&out);
	stat_msg_build(&out, proc_name(PROC_CONTROL), getpid());
	if (m_error(&out) == -1)
		fatalx("control_request_done: own stats too large");
	m_open_buf(&in, m_data(&out), m_len(&out));
	control_stats_forward(c, &in);
	if (m_end(&in) == -1)
		fatalx("control_request_done: own stats malformed");

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		fatal("control_request_done: clock_gettime");
	control_stats_pair(c, "uptime",
	    (int64_t)(now.tv_sec - control_started.tv_sec));

	m_init(&out);
	if (!c->c_closing)
		control_reply(c, IMSG_CTL_STATS_END, &out);
}
