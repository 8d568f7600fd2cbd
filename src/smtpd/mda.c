/*
 * mda: tracks local deliveries and asks the parent to run them as the
 * recipient.  Runs as _smtpd chrooted to an empty directory.  Peers:
 * parent (configuration, pause; forks delivery children and reports
 * their exit), queue (IMSG_QUEUE_DELIVER with the message descriptor;
 * the results), control (stats), lka and scheduler (nothing yet).
 *
 * Input it trusts: none.  Envelopes are re-validated (envelope_load);
 * a bad one is a broken peer (fatal).  The status pipe of a delivery
 * child carries bytes written by a user's process: at most
 * DELIVER_MAX_STATUS of them are kept, only printable ASCII of the last
 * line is used, and the result is decided by the exit status alone.
 *
 * Concurrency: at most sc_mda_max_session deliveries run, at most
 * sc_mda_max_session_per_user for one user; the rest wait in arrival
 * order per user, users served round-robin.  At most mda_max_pending
 * wait (MDA_MAX_PENDING, lowered to fit the descriptor limit: each
 * waiting delivery holds its message descriptor); beyond that the
 * queue hears TEMPFAIL "4.3.0 mda busy".
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "mailaddr.h"
#include "mda.h"
#include "mda_internal.h"
#include "proc.h"
#include "stat.h"

static void	mda_init(void);
static void	mda_dispatch_parent(struct ipc_msg *);
static void	mda_dispatch_control(struct ipc_msg *);
static void	mda_dispatch_lka(struct ipc_msg *);
static void	mda_dispatch_queue(struct ipc_msg *);
static void	mda_dispatch_scheduler(struct ipc_msg *);
static void	mda_pause(struct ipc_msg *);
static void	mda_deliver(struct ipc_msg *);
static void	mda_forked(struct ipc_msg *);
static void	mda_exited(struct ipc_msg *);
static void	mda_pump(void);
static void	mda_shutdown(void);
static void	mda_start(struct mda_delivery *);
static void	mda_status_cb(int, short, void *);
static void	mda_grace_cb(int, short, void *);
static void	mda_done(struct mda_delivery *);

static const struct proc_peer mda_peers[] = {
	{ PROC_PARENT,	mda_dispatch_parent },
	{ PROC_CONTROL,	mda_dispatch_control },
	{ PROC_LKA,	mda_dispatch_lka },
	{ PROC_QUEUE,	mda_dispatch_queue },
	{ PROC_SCHEDULER,	mda_dispatch_scheduler },
	{ PROC_PARENT,	NULL }
};

const struct proc_role mda_role = {
	.ro_peers = mda_peers,
	.ro_init = mda_init,
	.ro_config = mda_pump,
	.ro_shutdown = mda_shutdown,
};

static int
mda_user_cmp(struct mda_user *a, struct mda_user *b)
{
	return strcmp(a->mu_name, b->mu_name);
}

static int
mda_delivery_cmp(struct mda_delivery *a, struct mda_delivery *b)
{
	return a->md_id < b->md_id ? -1 : a->md_id > b->md_id;
}

/* libbsd's tree.h marks static tree functions __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

RB_HEAD(mda_users, mda_user);
RB_GENERATE_STATIC(mda_users, mda_user, mu_entry, mda_user_cmp)
RB_HEAD(mda_deliveries, mda_delivery);
RB_GENERATE_STATIC(mda_deliveries, mda_delivery, md_entry,
    mda_delivery_cmp)

static struct mda_users		mda_users = RB_INITIALIZER(&mda_users);
static struct mda_deliveries	mda_deliveries =
    RB_INITIALIZER(&mda_deliveries);
/* Users with a waiting delivery and room to start it, served in turn. */
static TAILQ_HEAD(, mda_user)	mda_ready = TAILQ_HEAD_INITIALIZER(mda_ready);
static int			mda_paused;
static uint32_t			mda_nextid;
static size_t			mda_nrunning;
static size_t			mda_nwaiting;
static size_t			mda_max_pending = MDA_MAX_PENDING;

/*
 * Each waiting delivery holds a descriptor: never wait for more than the
 * descriptor limit allows (a descriptor the kernel cannot give us would
 * break the queue's channel).
 */
static void
mda_init(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("mda_init: getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
		    getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("mda_init: getrlimit");
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < MDA_MAX_PENDING + MDA_FD_RESERVE) {
		if (rl.rlim_cur <= 2 * MDA_FD_RESERVE)
			fatalx("mda_init: descriptor limit %llu too low",
			    (unsigned long long)rl.rlim_cur);
		mda_max_pending = rl.rlim_cur - MDA_FD_RESERVE;
	}
	log_debug("mda_init: up to %zu deliveries may wait",
	    mda_max_pending);
}

static size_t
mda_max_session(void)
{
	const struct smtpd_config	*conf = proc_config();

	if (conf == NULL || conf->sc_mda_max_session == 0)
		return CONF_DEFAULT_MDA_MAX_SESSION;
	return conf->sc_mda_max_session;
}

static size_t
mda_max_user(void)
{
	const struct smtpd_config	*conf = proc_config();

	if (conf == NULL || conf->sc_mda_max_session_per_user == 0)
		return CONF_DEFAULT_MDA_MAX_USER_SESSION;
	return conf->sc_mda_max_session_per_user;
}

/* ------------------------------------------------------------------ */
/* Peers */

static void
mda_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CTL_PAUSE:
		mda_pause(msg);
		return;
	case IMSG_PARENT_FORK:
		mda_forked(msg);
		return;
	case IMSG_PARENT_DELIVERY_EXIT:
		mda_exited(msg);
		return;
	}
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
mda_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
mda_dispatch_lka(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_LKA, msg, "unexpected message");
}

static void
mda_dispatch_queue(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_QUEUE_DELIVER:
		mda_deliver(msg);
		return;
	}
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
}

static void
mda_dispatch_scheduler(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
}

/*
 * IMSG_CTL_PAUSE from the parent (-P at start-up): deliveries wait.
 * Nothing resumes them yet (smtpctl resume is not wired to mda).
 */
static void
mda_pause(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_PARENT, msg, "unexpected descriptor");
	mda_paused = (proc_msg_u32(PROC_PARENT, msg) & PROC_PAUSE_MDA) != 0;
	if (mda_paused)
		log_info("mda_pause: mda is paused");
	mda_pump();
}

/* ------------------------------------------------------------------ */
/* Deliveries */

static struct mda_delivery *
mda_find(enum proc_id peer, struct ipc_msg *msg, enum mda_state state)
{
	struct mda_delivery	key, *md;

	key.md_id = msg->hdr.peerid;
	if ((md = RB_FIND(mda_deliveries, &mda_deliveries, &key)) == NULL)
		proc_bad_msg(peer, msg, "unknown delivery");
	if (md->md_state != state)
		proc_bad_msg(peer, msg, "delivery in the wrong state");
	return md;
}

static void
mda_reply(uint32_t type, uint64_t evpid, const char *line)
{
	struct msg_out	mo;

	m_init(&mo);
	m_add_u64(&mo, evpid);
	if (type != IMSG_DELIVERY_OK)
		m_add_string(&mo, line);
	proc_send(PROC_QUEUE, type, 0, -1, &mo);
}

static void
mda_user_ready(struct mda_user *mu)
{
	int	ready;

	ready = !TAILQ_EMPTY(&mu->mu_waiting) &&
	    mu->mu_running < mda_max_user();
	if (ready && !mu->mu_ready)
		TAILQ_INSERT_TAIL(&mda_ready, mu, mu_ready_entry);
	else if (!ready && mu->mu_ready)
		TAILQ_REMOVE(&mda_ready, mu, mu_ready_entry);
	mu->mu_ready = ready;
}

static void
mda_deliver(struct ipc_msg *msg)
{
	struct envelope		 evp;
	struct mda_delivery	*md;
	struct mda_user		*mu, key;
	struct msg_in		 in;
	const char		*text, *errstr;
	char			 from[SMTP_PATH_MAX + 1], to[SMTP_PATH_MAX + 1];
	char			 rcpt[SMTP_PATH_MAX + 1];

	m_open(&in, msg);
	m_get_string(&in, &text);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "bad delivery request");
	if (msg->fd == -1)
		proc_bad_msg(PROC_QUEUE, msg, "delivery without a message");
	if (envelope_load(&evp, text, strlen(text), &errstr) == -1) {
		log_warnx("mda_deliver: bad envelope: %s", errstr);
		proc_bad_msg(PROC_QUEUE, msg, "bad envelope");
	}
	if (evp.evp_type != EVP_MDA)
		proc_bad_msg(PROC_QUEUE, msg, "not a local envelope");
	/* Running deliveries hold their status pipe. */
	if (mda_nwaiting + mda_nrunning >= mda_max_pending) {
		(void)close(msg->fd);
		msg->fd = -1;
		log_warnx("mda_deliver: evpid %016llx: %zu deliveries "
		    "waiting, busy", (unsigned long long)evp.evp_id,
		    mda_nwaiting);
		stat_increment("mda.busy", 1);
		mda_reply(IMSG_DELIVERY_TEMPFAIL, evp.evp_id, "4.3.0 mda busy");
		return;
	}

	if ((md = calloc(1, sizeof(*md))) == NULL ||
	    (md->md_text = strdup(text)) == NULL)
		fatal("mda_deliver: calloc");
	do {
		md->md_id = ++mda_nextid;
	} while (md->md_id == 0 ||
	    RB_INSERT(mda_deliveries, &mda_deliveries, md) != NULL);
	md->md_state = MDA_WAITING;
	md->md_msgfd = msg->fd;
	msg->fd = -1;
	md->md_pipefd = -1;
	md->md_evpid = evp.evp_id;
	md->md_creation = evp.evp_creation;
	md->md_session = ((uint64_t)arc4random() << 32) | arc4random();
	(void)mailaddr_format(&evp.evp_sender, from, sizeof(from));
	(void)mailaddr_format(&evp.evp_dest, to, sizeof(to));
	(void)mailaddr_format(&evp.evp_rcpt, rcpt, sizeof(rcpt));
	if (asprintf(&md->md_logid, "from=<%s> to=<%s> %s%s%suser=%s", from,
	    to, strcmp(rcpt, to) != 0 ? "rcpt=<" : "",
	    strcmp(rcpt, to) != 0 ? rcpt : "",
	    strcmp(rcpt, to) != 0 ? "> " : "", evp.evp_user) == -1)
		fatal("mda_deliver: asprintf");

	(void)strlcpy(key.mu_name, evp.evp_user, sizeof(key.mu_name));
	if ((mu = RB_FIND(mda_users, &mda_users, &key)) == NULL) {
		if ((mu = calloc(1, sizeof(*mu))) == NULL)
			fatal("mda_deliver: calloc");
		(void)strlcpy(mu->mu_name, evp.evp_user, sizeof(mu->mu_name));
		TAILQ_INIT(&mu->mu_waiting);
		RB_INSERT(mda_users, &mda_users, mu);
	}
	md->md_user = mu;
	TAILQ_INSERT_TAIL(&mu->mu_waiting, md, md_wait_entry);
	mda_nwaiting++;
	stat_increment("mda.waiting", 1);
	mda_user_ready(mu);
	mda_pump();
}

static void
mda_pump(void)
{
	struct mda_user		*mu;
	struct mda_delivery	*md;

	if (mda_paused)
		return;
	while (mda_nrunning < mda_max_session() &&
	    (mu = TAILQ_FIRST(&mda_ready)) != NULL) {
		md = TAILQ_FIRST(&mu->mu_waiting);
		TAILQ_REMOVE(&mu->mu_waiting, md, md_wait_entry);
		mda_nwaiting--;
		stat_decrement("mda.waiting", 1);
		mu->mu_running++;
		mda_nrunning++;
		/* Round-robin: this user goes to the back of the line. */
		TAILQ_REMOVE(&mda_ready, mu, mu_ready_entry);
		mu->mu_ready = 0;
		mda_user_ready(mu);
		mda_start(md);
	}
}

static void
mda_start(struct mda_delivery *md)
{
	struct msg_out	mo;

	m_init(&mo);
	m_add_string(&mo, md->md_text);
	proc_send(PROC_PARENT, IMSG_MDA_FORK, md->md_id, md->md_msgfd, &mo);
	md->md_msgfd = -1;
	free(md->md_text);
	md->md_text = NULL;
	md->md_state = MDA_FORKING;
	md->md_start = time(NULL);
	stat_increment("mda.running", 1);
}

/* IMSG_PARENT_FORK */
static void
mda_forked(struct ipc_msg *msg)
{
	struct mda_delivery	*md;
	struct msg_in		 in;
	const char		*error;
	uint32_t		 ok;
	int64_t			 pid;

	md = mda_find(PROC_PARENT, msg, MDA_FORKING);
	m_open(&in, msg);
	m_get_u32(&in, &ok);
	m_get_nstring(&in, &error);
	m_get_i64(&in, &pid);
	if (m_end(&in) == -1 || ok > 1)
		proc_bad_msg(PROC_PARENT, msg, "bad fork answer");
	if (!ok) {
		if (msg->fd != -1 || error == NULL)
			proc_bad_msg(PROC_PARENT, msg, "bad fork refusal");
		md->md_result = error[0] == '4' ? MDA_TEMPFAIL : MDA_PERMFAIL;
		mda_result_text(md->md_errline, sizeof(md->md_errline), error,
		    md->md_result);
		mda_done(md);
		return;
	}
	if (msg->fd == -1 || error != NULL || pid <= 0 || pid > INT32_MAX)
		proc_bad_msg(PROC_PARENT, msg, "bad fork answer");
	md->md_pid = (pid_t)pid;
	md->md_pipefd = msg->fd;
	msg->fd = -1;
	if (fcntl(md->md_pipefd, F_SETFL, O_NONBLOCK) == -1)
		fatal("mda_forked: fcntl");
	md->md_state = MDA_RUNNING;
	event_set(&md->md_ev, md->md_pipefd, EV_READ | EV_PERSIST,
	    mda_status_cb, md);
	event_base_set(proc_event_base(), &md->md_ev);
	if (event_add(&md->md_ev, NULL) == -1)
		fatalx("mda_forked: event_add");
	evtimer_set(&md->md_grace, mda_grace_cb, md);
	event_base_set(proc_event_base(), &md->md_grace);
}

static void
mda_status_close(struct mda_delivery *md)
{
	if (md->md_pipefd == -1)
		return;
	event_del(&md->md_ev);
	(void)close(md->md_pipefd);
	md->md_pipefd = -1;
}

/* Both the exit and the end of the status pipe are in: decide. */
static void
mda_decide(struct mda_delivery *md)
{
	if (!md->md_exited || md->md_pipefd != -1)
		return;
	evtimer_del(&md->md_grace);
	md->md_result = mda_result(md->md_wstatus, md->md_status,
	    md->md_statuslen, md->md_errline, sizeof(md->md_errline));
	mda_done(md);
}

static void
mda_status_cb(int fd, short ev, void *arg)
{
	struct mda_delivery	*md = arg;
	char			 buf[4096];
	ssize_t			 n;

	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		log_warn("mda_status_cb: evpid %016llx",
		    (unsigned long long)md->md_evpid);
		n = 0;
	}
	if (n == 0) {
		mda_status_close(md);
		mda_decide(md);
		return;
	}
	mda_status_append(md->md_status, &md->md_statuslen, buf, (size_t)n);
}

/* The child exited but something it started still holds its stderr. */
static void
mda_grace_cb(int fd, short ev, void *arg)
{
	struct mda_delivery	*md = arg;

	log_warnx("mda_grace_cb: evpid %016llx: status pipe still open %d "
	    "seconds after the delivery exited", (unsigned long long)
	    md->md_evpid, MDA_STATUS_GRACE);
	mda_status_close(md);
	mda_decide(md);
}

/* IMSG_PARENT_DELIVERY_EXIT */
static void
mda_exited(struct ipc_msg *msg)
{
	struct mda_delivery	*md;
	struct msg_in		 in;
	struct timeval		 tv = { MDA_STATUS_GRACE, 0 };
	int			 status;

	if (msg->fd != -1)
		proc_bad_msg(PROC_PARENT, msg, "unexpected descriptor");
	md = mda_find(PROC_PARENT, msg, MDA_RUNNING);
	m_open(&in, msg);
	m_get_int(&in, &status);
	if (m_end(&in) == -1 || md->md_exited)
		proc_bad_msg(PROC_PARENT, msg, "bad exit report");
	md->md_exited = 1;
	md->md_wstatus = status;
	if (md->md_pipefd != -1)
		evtimer_add(&md->md_grace, &tv);
	mda_decide(md);
}

static void
mda_done(struct mda_delivery *md)
{
	struct mda_user	*mu = md->md_user;
	char		 delay[64];
	static const char *names[] = { "Ok", "TempFail", "PermFail" };
	static const uint32_t types[] = { IMSG_DELIVERY_OK,
	    IMSG_DELIVERY_TEMPFAIL, IMSG_DELIVERY_PERMFAIL };
	static const char *stats[] = { "mda.delivery.ok",
	    "mda.delivery.tempfail", "mda.delivery.permfail" };

	mda_duration(delay, sizeof(delay), time(NULL) - md->md_creation);
	log_info("%016llx mda delivery evpid=%016llx %s delay=%s result=%s "
	    "stat=%s", (unsigned long long)md->md_session,
	    (unsigned long long)md->md_evpid, md->md_logid, delay,
	    names[md->md_result], md->md_result == MDA_OK ? "Delivered" :
	    md->md_errline);
	mda_reply(types[md->md_result], md->md_evpid, md->md_errline);
	stat_increment(stats[md->md_result], 1);
	stat_decrement("mda.running", 1);

	RB_REMOVE(mda_deliveries, &mda_deliveries, md);
	mu->mu_running--;
	mda_nrunning--;
	if (mu->mu_running == 0 && TAILQ_EMPTY(&mu->mu_waiting)) {
		RB_REMOVE(mda_users, &mda_users, mu);
		free(mu);
	} else
		mda_user_ready(mu);
	mda_status_close(md);
	free(md->md_logid);
	free(md->md_text);
	free(md);
	mda_pump();
	if (proc_shutting_down() && mda_nrunning == 0)
		proc_shutdown_release();
}

/*
 * A clean stop: start nothing new (waiting deliveries stay in the
 * queue for the next start), but let the running ones finish and
 * report, so that the queue forgets what was delivered instead of
 * delivering it again after the restart.
 */
static void
mda_shutdown(void)
{
	mda_paused = 1;
	if (mda_nrunning == 0)
		return;
	log_info("mda_shutdown: waiting for %zu running deliveries",
	    mda_nrunning);
	proc_shutdown_hold();
}
