/*
 * The process layer, common part and child side.  Linked into the one
 * smtpd binary; runs in every process.  In a child it runs first as
 * root (descriptor clean-up, privilege drop via proc_priv.c), then as
 * the role's user for the rest of the process's life: it drives the
 * channels to the peers of the mesh below with libevent, handles the
 * messages every process understands (configuration, shutdown, stats,
 * verbose/trace) and hands everything else to the role's peer table.
 *
 * Trusts: the parent (configuration, shutdown).  Every message is still
 * checked for shape; a malformed or unclaimed one is fatal, naming this
 * process, the peer and the type.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "config.h"
#include "control.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "mda.h"
#include "mta.h"
#include "postern_limits.h"
#include "proc.h"
#include "proc_internal.h"
#include "proc_priv.h"
#include "queue.h"
#include "scheduler.h"
#include "smtp.h"
#include "stat.h"
#include "tls.h"

/*
 * The mesh: which processes have a channel, from DESIGN.md's message
 * flow.  The parent and control have a channel to every process (the
 * parent for configuration, readiness, shutdown and, later, sockets and
 * deliveries it runs; control for stats, verbose/trace, pause/resume
 * and the queue commands).  Between the roles:
 *  smtp-lka	rule match for MAIL/RCPT, alias expansion, credentials
 *  smtp-queue	create a message, receive its fd, commit
 *  smtp-ca	TLS private key operations for STARTTLS/SMTPS
 *  mta-lka	MX and address lookups, relay credentials, helo names
 *  mta-queue	message fd to send, delivery results
 *  mta-ca	client certificate signing
 *  mda-lka	user lookups for local delivery
 *  mda-queue	message fd to deliver, delivery results
 *  queue-lka	expansion of envelopes created by the queue (bounces)
 *  queue-scheduler  new, committed and finished envelopes
 *  scheduler-mta, scheduler-mda  delivery tasks chosen by the scheduler
 * There is no other channel: ca never sees the queue, smtp never talks
 * to mta, the scheduler never sees message data.
 */
static const struct {
	enum proc_id	a;
	enum proc_id	b;
} proc_links[] = {
	{ PROC_SMTP, PROC_LKA },
	{ PROC_SMTP, PROC_QUEUE },
	{ PROC_SMTP, PROC_CA },
	{ PROC_MTA, PROC_LKA },
	{ PROC_MTA, PROC_QUEUE },
	{ PROC_MTA, PROC_CA },
	{ PROC_MDA, PROC_LKA },
	{ PROC_MDA, PROC_QUEUE },
	{ PROC_QUEUE, PROC_LKA },
	{ PROC_QUEUE, PROC_SCHEDULER },
	{ PROC_SCHEDULER, PROC_MTA },
	{ PROC_SCHEDULER, PROC_MDA },
};

struct proc_chan {
	struct ipc_chan	 pc_ipc;
	struct event	 pc_ev;
	short		 pc_events;
	int		 pc_open;
	enum proc_id	 pc_peer;
};

static enum proc_id		 proc_me = PROC_PARENT;
static const struct proc_role	*proc_role;
static struct proc_chan		 proc_chans[PROC_COUNT];
static struct event_base	*proc_base;
static struct smtpd_config	*proc_conf;
static void			(*proc_lost)(enum proc_id);
static int			 proc_ctlfd = -1;
static struct msg_out		 proc_mo;	/* too big for the stack */
static int			 proc_in_shutdown;
static int			 proc_held;

/* Child side: configuration being received. */
static struct config_builder	 proc_cb;
static int			 proc_cb_active;

static const struct {
	const char	*tn_name;
	unsigned int	 tn_mask;
} proc_trace_names[] = {
	{ "imsg",		TRACE_IMSG },
	{ "io",			TRACE_IO },
	{ "smtp",		TRACE_SMTP },
	{ "filters",		TRACE_FILTERS },
	{ "mta",		TRACE_MTA },
	{ "transfer",		TRACE_MTA },
	{ "bounce",		TRACE_BOUNCE },
	{ "bounces",		TRACE_BOUNCE },
	{ "scheduler",		TRACE_SCHEDULER },
	{ "lookup",		TRACE_LOOKUP },
	{ "stat",		TRACE_STAT },
	{ "stats",		TRACE_STAT },
	{ "rules",		TRACE_RULES },
	{ "mproc",		TRACE_MPROC },
	{ "expand",		TRACE_EXPAND },
	{ "table",		TRACE_TABLES },
	{ "tables",		TRACE_TABLES },
	{ "queue",		TRACE_QUEUE },
	{ "all",		TRACE_ALL },
	{ "profstat",		PROFILE_TOSTAT },
	{ "profile-imsg",	PROFILE_IMSG },
	{ "profile-queue",	PROFILE_QUEUE },
};

static void	proc_chan_cb(int, short, void *);
static void	proc_chan_update(struct proc_chan *);
static void	proc_dispatch(enum proc_id, struct ipc_msg *);
static int	proc_generic(enum proc_id, struct ipc_msg *);
static void	proc_child_lost(enum proc_id);

const char *
proc_name(enum proc_id id)
{
	return proc_priv_get(id)->pv_name;
}

enum proc_id
proc_self(void)
{
	return proc_me;
}

int
proc_has_channel(enum proc_id a, enum proc_id b)
{
	size_t	i;

	if (a == b || (int)a < 0 || a >= PROC_COUNT || (int)b < 0 ||
	    b >= PROC_COUNT)
		return 0;
	if (a == PROC_PARENT || b == PROC_PARENT ||
	    a == PROC_CONTROL || b == PROC_CONTROL)
		return 1;
	for (i = 0; i < sizeof(proc_links) / sizeof(proc_links[0]); i++) {
		if ((proc_links[i].a == a && proc_links[i].b == b) ||
		    (proc_links[i].a == b && proc_links[i].b == a))
			return 1;
	}
	return 0;
}

int
proc_trace_lookup(const char *name, unsigned int *mask)
{
	size_t	i;

	for (i = 0; i < sizeof(proc_trace_names) /
	    sizeof(proc_trace_names[0]); i++) {
		if (strcmp(proc_trace_names[i].tn_name, name) == 0) {
			*mask = proc_trace_names[i].tn_mask;
			return 0;
		}
	}
	return -1;
}

int
proc_control_fd(void)
{
	return proc_ctlfd;
}

void
proc_set_control_fd(int fd)
{
	proc_ctlfd = fd;
}

const struct smtpd_config *
proc_config(void)
{
	return proc_conf;
}

void
proc_config_install(struct smtpd_config *conf)
{
	struct smtpd_config	*old = proc_conf;

	proc_conf = conf;
	if (old != NULL)
		config_free(old);
}

struct event_base *
proc_event_base(void)
{
	return proc_base;
}

/* ------------------------------------------------------------------ */
/* Channels */

void
proc_chan_open(enum proc_id peer, int fd)
{
	struct proc_chan	*pc = &proc_chans[peer];

	if (pc->pc_open)
		fatalx("proc_chan_open: channel to %s already open",
		    proc_name(peer));
	if (ipc_init(&pc->pc_ipc, fd) == -1)
		fatal("proc_chan_open: %s", proc_name(peer));
	pc->pc_peer = peer;
	pc->pc_open = 1;
	pc->pc_events = 0;
	proc_chan_update(pc);
}

void
proc_chan_close(enum proc_id peer)
{
	struct proc_chan	*pc = &proc_chans[peer];

	if (!pc->pc_open)
		return;
	if (pc->pc_events != 0)
		event_del(&pc->pc_ev);
	ipc_clear(&pc->pc_ipc);
	pc->pc_open = 0;
	pc->pc_events = 0;
}

int
proc_chan_fd(enum proc_id peer)
{
	if (!proc_chans[peer].pc_open)
		return -1;
	return proc_chans[peer].pc_ipc.ch_fd;
}

/* Write what the channel holds now, blocking until done or an error;
 * used just before a process exits or waits. */
int
proc_chan_flush_sync(enum proc_id peer)
{
	struct proc_chan	*pc = &proc_chans[peer];
	struct pollfd		 pfd;

	if (!pc->pc_open)
		return -1;
	while (ipc_pending(&pc->pc_ipc) > 0) {
		if (ipc_flush(&pc->pc_ipc) == -1)
			return -1;
		if (ipc_pending(&pc->pc_ipc) == 0)
			break;
		pfd.fd = pc->pc_ipc.ch_fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) <= 0)
			return -1;
	}
	return 0;
}

static void
proc_chan_update(struct proc_chan *pc)
{
	short	want = EV_READ | EV_PERSIST;

	if (!pc->pc_open)
		return;
	if (ipc_pending(&pc->pc_ipc) > 0)
		want |= EV_WRITE;
	if (want == pc->pc_events)
		return;
	if (pc->pc_events != 0)
		event_del(&pc->pc_ev);
	if (event_assign(&pc->pc_ev, proc_base, pc->pc_ipc.ch_fd, want,
	    proc_chan_cb, pc) == -1 || event_add(&pc->pc_ev, NULL) == -1)
		fatalx("proc_chan_update: cannot watch channel to %s",
		    proc_name(pc->pc_peer));
	pc->pc_events = want;
}

static void
proc_chan_cb(int fd, short what, void *arg)
{
	struct proc_chan	*pc = arg;
	enum proc_id		 peer = pc->pc_peer;
	struct ipc_msg		 msg;
	ssize_t			 n = 1;
	int			 r;

	if (what & EV_WRITE) {
		if (ipc_flush(&pc->pc_ipc) == -1) {
			log_debug("proc_chan_cb: write to %s: %s",
			    proc_name(peer), strerror(errno));
			proc_lost(peer);
			return;
		}
	}
	if (what & EV_READ) {
		n = ipc_read(&pc->pc_ipc);
		if (n == -1) {
			if (errno == EBADMSG || errno == ENOBUFS)
				fatalx("%s: proc_chan_cb: protocol error "
				    "from %s: %s", proc_name(proc_me),
				    proc_name(peer), strerror(errno));
			if (errno != EAGAIN && errno != EINTR) {
				log_debug("proc_chan_cb: read from %s: %s",
				    proc_name(peer), strerror(errno));
				proc_lost(peer);
				return;
			}
		}
		/* A handler may close the channel (parent shutdown). */
		while (pc->pc_open) {
			if ((r = ipc_get(&pc->pc_ipc, &msg)) == -1)
				fatalx("%s: proc_chan_cb: malformed message "
				    "from %s", proc_name(proc_me),
				    proc_name(peer));
			if (r == 0)
				break;
			proc_dispatch(peer, &msg);
		}
		if (n == 0) {
			if (pc->pc_open && ipc_truncated(&pc->pc_ipc))
				log_warnx("%s: proc_chan_cb: %s closed the "
				    "channel inside a message",
				    proc_name(proc_me), proc_name(peer));
			proc_lost(peer);
			return;
		}
	}
	proc_chan_update(pc);
}

void
proc_compose(enum proc_id to, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct proc_chan	*pc;

	if ((int)to < 0 || to >= PROC_COUNT || !proc_has_channel(proc_me, to))
		fatalx("%s: proc_compose: no channel to process %d for %s",
		    proc_name(proc_me), (int)to, imsg_type_name(type));
	pc = &proc_chans[to];
	if (!pc->pc_open) {
		/* The peer is gone; the parent is already shutting down. */
		if (fd != -1)
			close(fd);
		return;
	}
	if (log_trace_get() & TRACE_IMSG)
		log_info("imsg: %s -> %s: %s len=%zu%s", proc_name(proc_me),
		    proc_name(to), imsg_type_name(type), len,
		    fd != -1 ? " fd" : "");
	if (ipc_compose(&pc->pc_ipc, type, peerid, fd, data, len) == -1)
		fatal("%s: proc_compose: %s to %s", proc_name(proc_me),
		    imsg_type_name(type), proc_name(to));
	proc_chan_update(pc);
}

void
proc_send(enum proc_id to, uint32_t type, uint32_t peerid, int fd,
    const struct msg_out *mo)
{
	if (m_error(mo) == -1)
		fatalx("%s: proc_send: %s to %s does not fit one message",
		    proc_name(proc_me), imsg_type_name(type), proc_name(to));
	proc_compose(to, type, peerid, fd, m_data(mo), m_len(mo));
}

void
proc_call(enum proc_id to, uint32_t type, const struct msg_out *mo,
    uint32_t want, void (*handler)(const struct ipc_msg *, void *),
    void *arg, int timeout_ms)
{
	struct proc_chan	*pc = &proc_chans[to];
	struct ipc_msg		 msg;
	struct pollfd		 pfd;
	struct timespec		 t0, t1;
	ssize_t			 n;
	int			 r, left;

	proc_send(to, type, 0, -1, mo);
	if (!pc->pc_open || proc_chan_flush_sync(to) == -1)
		fatalx("%s: proc_call: cannot send %s to %s",
		    proc_name(proc_me), imsg_type_name(type), proc_name(to));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((r = ipc_get(&pc->pc_ipc, &msg)) == -1)
			fatalx("%s: proc_call: malformed message from %s",
			    proc_name(proc_me), proc_name(to));
		if (r == 1)
			break;
		(void)clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			fatalx("%s: proc_call: %s did not answer %s within "
			    "%d ms", proc_name(proc_me), proc_name(to),
			    imsg_type_name(type), timeout_ms);
		pfd.fd = pc->pc_ipc.ch_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			fatal("%s: proc_call: poll", proc_name(proc_me));
		n = ipc_read(&pc->pc_ipc);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			fatalx("%s: proc_call: lost %s waiting for the answer "
			    "to %s", proc_name(proc_me), proc_name(to),
			    imsg_type_name(type));
	}
	if (log_trace_get() & TRACE_IMSG)
		log_info("imsg: %s <- %s: %s len=%zu (call)",
		    proc_name(proc_me), proc_name(to),
		    imsg_type_name(msg.hdr.type), msg.datalen);
	if (msg.hdr.type != want || msg.fd != -1)
		proc_bad_msg(to, &msg, "unexpected answer to a call");
	handler(&msg, arg);
	proc_chan_update(pc);
}

__dead void
proc_bad_msg(enum proc_id peer, const struct ipc_msg *msg, const char *why)
{
	fatalx("%s: %s from %s: %s (len %zu)", proc_name(proc_me),
	    imsg_type_name(msg->hdr.type), proc_name(peer), why,
	    msg->datalen);
}

uint32_t
proc_msg_u32(enum proc_id peer, const struct ipc_msg *msg)
{
	struct msg_in	mi;
	uint32_t	v;

	m_open(&mi, msg);
	m_get_u32(&mi, &v);
	if (m_end(&mi) == -1)
		proc_bad_msg(peer, msg, "bad payload");
	return v;
}

/* ------------------------------------------------------------------ */
/* Dispatch */

static void
proc_dispatch(enum proc_id peer, struct ipc_msg *msg)
{
	const struct proc_peer	*pp;

	if (log_trace_get() & TRACE_IMSG)
		log_info("imsg: %s <- %s: %s len=%zu%s", proc_name(proc_me),
		    proc_name(peer), imsg_type_name(msg->hdr.type),
		    msg->datalen, msg->fd != -1 ? " fd" : "");
	if (proc_generic(peer, msg))
		return;
	for (pp = proc_role->ro_peers; pp->pp_dispatch != NULL; pp++) {
		if (pp->pp_peer == peer) {
			pp->pp_dispatch(msg);
			return;
		}
	}
	proc_bad_msg(peer, msg, "no handler for this peer");
}

static void
proc_no_fd(enum proc_id peer, struct ipc_msg *msg)
{
	if (msg->fd != -1) {
		close(msg->fd);
		msg->fd = -1;
		proc_bad_msg(peer, msg, "unexpected descriptor");
	}
}

static void
proc_ctl_verbose(enum proc_id peer, struct ipc_msg *msg)
{
	struct msg_in	mi;
	int		level;

	m_open(&mi, msg);
	m_get_int(&mi, &level);
	if (m_end(&mi) == -1 || level < 0)
		proc_bad_msg(peer, msg, "bad payload");
	log_setverbose(level);
	log_debug("proc_ctl_verbose: debug logging on");
}

static void
proc_ctl_trace(enum proc_id peer, struct ipc_msg *msg)
{
	log_trace_set(proc_msg_u32(peer, msg));
}

static void
proc_ctl_stats(enum proc_id peer, struct ipc_msg *msg)
{
	if (msg->datalen != 0)
		proc_bad_msg(peer, msg, "bad payload");
	stat_msg_build(&proc_mo, proc_name(proc_me), getpid());
	proc_send(PROC_CONTROL, IMSG_CTL_STATS, msg->hdr.peerid, -1,
	    &proc_mo);
}

static void
proc_child_conf(struct ipc_msg *msg)
{
	struct smtpd_config	*conf;
	char			 key[STAT_MAX_KEYLEN + 1];
	int			 r;

	if (!proc_cb_active) {
		config_builder_init(&proc_cb);
		proc_cb_active = 1;
	}
	if ((r = config_deserialize(&proc_cb, msg)) == -1)
		proc_bad_msg(PROC_PARENT, msg, "malformed configuration");
	if (r == 0)
		return;
	if ((conf = config_builder_take(&proc_cb)) == NULL)
		fatalx("%s: proc_child_conf: incomplete configuration",
		    proc_name(proc_me));
	config_builder_clear(&proc_cb);
	proc_cb_active = 0;
	proc_config_install(conf);

	(void)snprintf(key, sizeof(key), "%s.config.loads",
	    proc_name(proc_me));
	stat_increment(key, 1);
	log_debug("proc_child_conf: configuration received");
	if (proc_role->ro_config != NULL)
		proc_role->ro_config();
	proc_compose(PROC_PARENT, IMSG_PROC_READY, 0, -1, NULL, 0);
}

/* Messages every process handles the same way; 1 if handled. */
static int
proc_generic(enum proc_id peer, struct ipc_msg *msg)
{
	uint32_t	type = msg->hdr.type;

	if (peer == PROC_CONTROL || (peer == PROC_PARENT &&
	    proc_me != PROC_PARENT)) {
		switch (type) {
		case IMSG_CTL_VERBOSE:
			proc_no_fd(peer, msg);
			proc_ctl_verbose(peer, msg);
			return 1;
		case IMSG_CTL_TRACE:
			proc_no_fd(peer, msg);
			proc_ctl_trace(peer, msg);
			return 1;
		}
	}
	if (peer == PROC_CONTROL && type == IMSG_CTL_STATS) {
		proc_no_fd(peer, msg);
		proc_ctl_stats(peer, msg);
		return 1;
	}
	if (proc_me == PROC_PARENT) {
		if (type == IMSG_PROC_READY) {
			proc_no_fd(peer, msg);
			if (msg->datalen != 0)
				proc_bad_msg(peer, msg, "bad payload");
			proc_parent_ready(peer);
			return 1;
		}
		return 0;
	}
	if (peer != PROC_PARENT)
		return 0;
	if (type >= IMSG_CONF_START && type <= IMSG_CONF_END) {
		proc_no_fd(peer, msg);
		proc_child_conf(msg);
		return 1;
	}
	if (type == IMSG_PROC_SHUTDOWN) {
		proc_no_fd(peer, msg);
		if (proc_in_shutdown)
			return 1;
		proc_in_shutdown = 1;
		if (proc_role->ro_shutdown != NULL)
			proc_role->ro_shutdown();
		if (proc_held) {
			log_debug("proc_generic: finishing work in flight "
			    "before exiting");
			return 1;
		}
		log_debug("proc_generic: exiting on request of the parent");
		exit(0);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Child side */

void
proc_shutdown_hold(void)
{
	if (!proc_in_shutdown)
		fatalx("proc_shutdown_hold: not shutting down");
	proc_held = 1;
}

void
proc_shutdown_release(void)
{
	int	id;

	for (id = 0; id < PROC_COUNT; id++)
		(void)proc_chan_flush_sync(id);
	log_debug("proc_shutdown_release: work in flight done, exiting");
	exit(0);
}

int
proc_shutting_down(void)
{
	return proc_in_shutdown;
}

int
proc_peer_open(enum proc_id peer)
{
	if ((int)peer < 0 || peer >= PROC_COUNT)
		return 0;
	return proc_chans[peer].pc_open;
}

/*
 * A peer other than the parent went away.  During a clean shutdown the
 * parent's IMSG_PROC_SHUTDOWN may still be on its way: give it a short
 * grace period so that a clean stop is not logged as a failure.
 */
static void
proc_child_lost(enum proc_id peer)
{
	struct proc_chan	*pp = &proc_chans[PROC_PARENT];
	struct pollfd		 pfd;
	struct ipc_msg		 msg;
	struct timespec		 start, now;
	long			 left;
	ssize_t			 n;
	int			 r;

	if (proc_held) {
		/* Peers exit while this process finishes its work. */
		proc_chan_close(peer);
		if (peer != PROC_PARENT)
			return;
		log_debug("proc_child_lost: the parent is gone, exiting");
		exit(0);
	}
	if (peer != PROC_PARENT && pp->pc_open) {
		proc_chan_close(peer);
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = PROC_PEER_GRACE_MS -
			    ((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				break;
			pfd.fd = pp->pc_ipc.ch_fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) <= 0)
				break;
			if ((n = ipc_read(&pp->pc_ipc)) == -1 &&
			    errno != EAGAIN && errno != EINTR)
				break;
			while ((r = ipc_get(&pp->pc_ipc, &msg)) == 1)
				proc_dispatch(PROC_PARENT, &msg);
			/* The shutdown came and this role finishes its work
			 * first (what followed it was dispatched above): the
			 * loss was expected. */
			if (proc_held)
				return;
			if (r == -1 || n == 0)
				break;
		}
	}
	fatalx("%s: proc_child_lost: lost channel to %s", proc_name(proc_me),
	    proc_name(peer));
}

/*
 * Keep exactly the descriptors this role owns: stdio, its channels at
 * PROC_FD_BASE + peer and, for control, the listening socket.
 */
static void
proc_child_fds(enum proc_id me)
{
	int	fd, devnull;

	for (fd = PROC_FD_BASE; fd <= PROC_FD_MAX; fd++) {
		int owned;

		if (fd == PROC_FD_CONTROL_SOCK)
			owned = (me == PROC_CONTROL);
		else
			owned = proc_has_channel(me, fd - PROC_FD_BASE);
		if (!owned) {
			(void)close(fd);
			continue;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			fatal("proc_child_fds: %s: descriptor %d missing",
			    proc_name(me), fd);
	}
	closefrom(PROC_FD_MAX + 1);
	/* Nothing reads the terminal; keep stdout/stderr for -d logs. */
	if ((devnull = open("/dev/null", O_RDONLY)) == -1)
		fatal("proc_child_fds: /dev/null");
	if (devnull != STDIN_FILENO) {
		if (dup2(devnull, STDIN_FILENO) == -1)
			fatal("proc_child_fds: dup2");
		(void)close(devnull);
	}
}

static const struct proc_role *
proc_role_of(enum proc_id id)
{
	switch (id) {
	case PROC_CONTROL:
		return &control_role;
	case PROC_LKA:
		return &lka_role;
	case PROC_CA:
		return &ca_role;
	case PROC_QUEUE:
		return &queue_role;
	case PROC_SCHEDULER:
		return &scheduler_role;
	case PROC_SMTP:
		return &smtp_role;
	case PROC_MTA:
		return &mta_role;
	case PROC_MDA:
		return &mda_role;
	default:
		fatalx("proc_role_of: no role for process %d", (int)id);
	}
}

__dead void
proc_child_main(const char *role, int foreground, int verbose,
    const char *spool)
{
	enum proc_id	 me;
	int		 peer;

	if (proc_priv_lookup(role, &me) == -1 || me == PROC_PARENT)
		fatalx("proc_child_main: unknown role %s", role);
	/* Before log_init: syslog's socket must survive the clean-up. */
	proc_child_fds(me);
	log_init(foreground, verbose);
	log_procname(proc_name(me));
	proc_me = me;
	proc_role = proc_role_of(me);
	proc_lost = proc_child_lost;
	setproctitle("%s", proc_name(me));

	if ((proc_base = event_base_new()) == NULL)
		fatalx("proc_child_main: event_base_new failed");
	/* OpenSSL reads its files while they can still be reached. */
	if (me == PROC_SMTP || me == PROC_MTA || me == PROC_CA)
		tls_init(me != PROC_CA);
	proc_priv_drop(me, spool);

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR ||
	    signal(SIGINT, SIG_IGN) == SIG_ERR)
		fatal("proc_child_main: signal");

	for (peer = 0; peer < PROC_COUNT; peer++) {
		if (proc_has_channel(me, peer))
			proc_chan_open(peer, PROC_FD_BASE + peer);
	}
	if (me == PROC_CONTROL)
		proc_set_control_fd(PROC_FD_CONTROL_SOCK);

	if (proc_role->ro_init != NULL)
		proc_role->ro_init();
	log_debug("proc_child_main: started");
	(void)event_base_dispatch(proc_base);
	fatalx("proc_child_main: event loop ended");
}

/* Parent side hooks (proc_parent.c). */
void
proc_set_self(enum proc_id me, const struct proc_role *role,
    void (*lost)(enum proc_id), struct event_base *base)
{
	proc_me = me;
	proc_role = role;
	proc_lost = lost;
	proc_base = base;
}
