/*
 * queue: the only process that opens spool files.  Runs as _smtpq
 * chrooted to the spool directory (the `queue path`), so every path it
 * uses is relative to the spool root.  Peers: parent (configuration),
 * control (stats), smtp (new messages), lka (envelopes, bounce
 * routing), scheduler (envelopes in, delivery orders out), mda and mta
 * (message descriptors out, results in).  Parses no network input: the
 * envelopes it gets are re-validated (envelope_load) and a malformed
 * message from a peer is fatal; a bad spool file never is (it goes to
 * corrupt/).  Storage is the backend of queue_fs.c; the start-up load is
 * in queue_load.c, deliveries in queue_deliver.c, bounces in
 * queue_bounce.c.
 *
 * Group commit: a commit request joins a list and a zero-delay event is
 * made active, so every commit already read from the channels in this
 * loop iteration joins the same batch; the batch costs two syncfs calls
 * (queue_fs.c), then every session of the batch is answered.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

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
#include "postern_limits.h"
#include "proc.h"
#include "queue.h"
#include "queue_internal.h"
#include "scheduler.h"
#include "stat.h"

static void	queue_dispatch_parent(struct ipc_msg *);
static void	queue_dispatch_control(struct ipc_msg *);
static void	queue_dispatch_smtp(struct ipc_msg *);
static void	queue_dispatch_mta(struct ipc_msg *);
static void	queue_dispatch_mda(struct ipc_msg *);
static void	queue_dispatch_lka(struct ipc_msg *);
static void	queue_dispatch_scheduler(struct ipc_msg *);
static void	queue_init(void);
static void	queue_shutdown(void);
static void	queue_updates_run(int);
static void	queue_commit_run(int, short, void *);

static const struct proc_peer queue_peers[] = {
	{ PROC_PARENT,	queue_dispatch_parent },
	{ PROC_CONTROL,	queue_dispatch_control },
	{ PROC_SMTP,	queue_dispatch_smtp },
	{ PROC_MTA,	queue_dispatch_mta },
	{ PROC_MDA,	queue_dispatch_mda },
	{ PROC_LKA,	queue_dispatch_lka },
	{ PROC_SCHEDULER,	queue_dispatch_scheduler },
	{ PROC_PARENT,	NULL }
};

const struct proc_role queue_role = {
	.ro_peers = queue_peers,
	.ro_init = queue_init,
	.ro_config = NULL,
	.ro_shutdown = queue_shutdown,
};

/* A request from lka adding envelopes to an incoming message. */
struct qlka {
	RB_ENTRY(qlka)		 ql_entry;
	uint32_t		 ql_reqid;
	uint32_t		 ql_msgid;
	uint32_t		 ql_count;	/* envelopes received */
	int			 ql_failed;
	uint64_t		*ql_evpids;	/* written for it */
	size_t			 ql_n;
	size_t			 ql_sz;
};

RB_HEAD(qmsg_tree, qmsg);
RB_HEAD(qlka_tree, qlka);
TAILQ_HEAD(qmsg_list, qmsg);

static int
qmsg_cmp(const struct qmsg *a, const struct qmsg *b)
{
	return a->qm_msgid < b->qm_msgid ? -1 : a->qm_msgid > b->qm_msgid;
}

static int
qlka_cmp(const struct qlka *a, const struct qlka *b)
{
	return a->ql_reqid < b->ql_reqid ? -1 : a->ql_reqid > b->ql_reqid;
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(qmsg_tree, qmsg, qm_entry, qmsg_cmp);
RB_GENERATE_STATIC(qlka_tree, qlka, ql_entry, qlka_cmp);

const struct queue_backend	*queue_be;

static struct qmsg_tree		 queue_msgs = RB_INITIALIZER(&queue_msgs);
static struct qlka_tree		 queue_lkas = RB_INITIALIZER(&queue_lkas);
static struct qmsg_list		 queue_commits =
				    TAILQ_HEAD_INITIALIZER(queue_commits);
static size_t			 queue_ncommits;
static TAILQ_HEAD(, qupdate)	 queue_updates =
				    TAILQ_HEAD_INITIALIZER(queue_updates);
static struct event		*queue_commit_ev;
static size_t			 queue_nincoming;

#define QUEUE_MSGID_TRIES	100

/*
 * The parent created the spool tree before starting us; check that this
 * process, as _smtpq inside the chroot, can really use it, so that a
 * broken set-up fails at start and not on the first message.  Then drop
 * what a crash left half received, and start loading the queue.
 */
static void
queue_init(void)
{
	static const char *const dirs[] = {
		"/queue", "/incoming", "/corrupt", "/purge", "/temporary"
	};
	size_t	i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (access(dirs[i], R_OK | W_OK | X_OK) == -1)
			fatal("queue_init: spool directory %s", dirs[i]);
	}
	if ((queue_be = queue_backend_lookup("fs")) == NULL)
		fatalx("queue_init: no fs backend");
	/* The process layer made the spool root our working directory. */
	if (queue_be->qb_init(AT_FDCWD) == -1)
		fatal("queue_init: backend %s", queue_be->qb_name);
	queue_commit_ev = event_new(proc_event_base(), -1, 0,
	    queue_commit_run, NULL);
	if (queue_commit_ev == NULL)
		fatalx("queue_init: event_new");
	queue_load_start();
}

/*
 * A clean stop: mda finishes its running deliveries and reports them
 * before it exits, so stay until its channel closes (or the parent's
 * deadline nears), then make the removals of delivered envelopes
 * durable.  Messages waiting for a commit are not committed: their
 * sessions are gone and were never told 250, so the start-up clears
 * them with the rest of incoming/.
 */
static struct event	*queue_shutdown_ev;
static time_t		 queue_shutdown_deadline;

static void
queue_shutdown_check(int fd, short ev, void *arg)
{
	struct timeval	tv = { 0, 100 * 1000 };

	if (proc_peer_open(PROC_MDA) &&
	    time(NULL) < queue_shutdown_deadline) {
		evtimer_add(queue_shutdown_ev, &tv);
		return;
	}
	queue_updates_run(0);
	if (queue_be->qb_sync() == -1)
		log_warn("queue_shutdown: sync");
	proc_shutdown_release();
}

static void
queue_shutdown(void)
{
	struct timeval	tv = { 0, 0 };

	if (queue_be == NULL)
		return;
	proc_shutdown_hold();
	queue_shutdown_deadline = time(NULL) + PROC_SHUTDOWN_TIMEOUT - 1;
	if ((queue_shutdown_ev = evtimer_new(proc_event_base(),
	    queue_shutdown_check, NULL)) == NULL)
		fatalx("queue_shutdown: evtimer_new");
	evtimer_add(queue_shutdown_ev, &tv);
}

/* ------------------------------------------------------------------ */
/* incoming messages and group commit */

static struct qmsg *
queue_msg_find(uint32_t msgid)
{
	struct qmsg	 needle;

	needle.qm_msgid = msgid;
	return RB_FIND(qmsg_tree, &queue_msgs, &needle);
}

struct qmsg *
queue_msg_new(struct qbounce *qb, int *fdp)
{
	struct qmsg	*qm;
	uint32_t	 msgid;
	int		 fd = -1, i;

	for (i = 0; i < QUEUE_MSGID_TRIES; i++) {
		msgid = envelope_new_msgid();
		if (queue_msg_find(msgid) != NULL)
			continue;
		if ((fd = queue_be->qb_message_create(msgid)) != -1)
			break;
		if (errno != EEXIST) {
			log_warn("queue_msg_new: create message %08x", msgid);
			return NULL;
		}
	}
	if (fd == -1) {
		log_warnx("queue_msg_new: no free message id");
		return NULL;
	}
	if ((qm = calloc(1, sizeof(*qm))) == NULL)
		fatal("queue_msg_new: calloc");
	qm->qm_msgid = msgid;
	qm->qm_state = QM_OPEN;
	qm->qm_bounce = qb;
	RB_INSERT(qmsg_tree, &queue_msgs, qm);
	queue_nincoming++;
	stat_set("queue.incoming", (int64_t)queue_nincoming);
	*fdp = fd;
	return qm;
}

static void
queue_msg_free(struct qmsg *qm)
{
	RB_REMOVE(qmsg_tree, &queue_msgs, qm);
	queue_nincoming--;
	stat_set("queue.incoming", (int64_t)queue_nincoming);
	free(qm->qm_evps);
	free(qm);
}

void
queue_msg_rollback(struct qmsg *qm)
{
	if (queue_be->qb_message_rollback(qm->qm_msgid) == -1)
		log_warn("queue_msg_rollback: message %08x", qm->qm_msgid);
	if (qm->qm_state == QM_COMMITTING) {
		TAILQ_REMOVE(&queue_commits, qm, qm_commit);
		queue_ncommits--;
	}
	queue_msg_free(qm);
}

void
queue_msg_commit(struct qmsg *qm)
{
	qm->qm_state = QM_COMMITTING;
	TAILQ_INSERT_TAIL(&queue_commits, qm, qm_commit);
	queue_ncommits++;
	/* Runs after every event already active in this iteration. */
	event_active(queue_commit_ev, EV_TIMEOUT, 1);
}

void
queue_update_add(struct qupdate *qu)
{
	TAILQ_INSERT_TAIL(&queue_updates, qu, qu_entry);
	event_active(queue_commit_ev, EV_TIMEOUT, 1);
}

/* Envelope updates staged before this run are covered by its sync. */
static void
queue_updates_run(int synced)
{
	struct qupdate	*qu;
	TAILQ_HEAD(, qupdate) run = TAILQ_HEAD_INITIALIZER(run);

	TAILQ_CONCAT(&run, &queue_updates, qu_entry);
	if (TAILQ_EMPTY(&run))
		return;
	if (!synced && queue_be->qb_sync() == -1)
		log_warn("queue: sync of envelope updates");
	else
		synced = 1;
	while ((qu = TAILQ_FIRST(&run)) != NULL) {
		TAILQ_REMOVE(&run, qu, qu_entry);
		queue_tempfail_done(qu, synced);
	}
}

static void
queue_smtp_commit_answer(uint32_t reqid, uint32_t msgid, int ok)
{
	struct msg_out	 out;

	m_init(&out);
	m_add_u32(&out, msgid);
	m_add_u32(&out, ok ? 1 : 0);
	proc_send(PROC_SMTP, IMSG_QUEUE_MESSAGE_COMMIT, reqid, -1, &out);
}

/* A message is in the queue: the scheduler gets its envelopes. */
static void
queue_msg_committed(struct qmsg *qm)
{
	struct msg_out	 out;
	size_t		 i;

	for (i = 0; i < qm->qm_nevp; i++) {
		m_init(&out);
		sched_info_add(&out, &qm->qm_evps[i]);
		proc_send(PROC_SCHEDULER, IMSG_QUEUE_ENVELOPE_SCHEDULE, 0, -1,
		    &out);
	}
	queue_load_fresh(qm->qm_msgid);
	stat_increment("queue.committed", 1);
	log_debug("queue: message %08x committed, %zu envelopes",
	    qm->qm_msgid, qm->qm_nevp);
}

static void
queue_commit_run(int fd, short ev, void *arg)
{
	static uint32_t	 msgids[QUEUE_COMMIT_BATCH_MAX];
	static int	 ok[QUEUE_COMMIT_BATCH_MAX];
	static struct qmsg *batch[QUEUE_COMMIT_BATCH_MAX];
	struct qmsg	*qm;
	struct qbounce	*qb;
	size_t		 n = 0, i;

	while (n < QUEUE_COMMIT_BATCH_MAX &&
	    (qm = TAILQ_FIRST(&queue_commits)) != NULL) {
		TAILQ_REMOVE(&queue_commits, qm, qm_commit);
		queue_ncommits--;
		batch[n] = qm;
		msgids[n] = qm->qm_msgid;
		n++;
	}
	if (n == 0) {
		queue_updates_run(0);
		return;
	}
	if (queue_be->qb_message_commit(msgids, ok, n) == -1)
		fatal("queue_commit: moved messages may not be durable");
	stat_increment("queue.commit_batches", 1);
	log_debug("queue: group commit of %zu messages", n);
	/* A message made it: the batch's first sync ran. */
	for (i = 0; i < n && !ok[i]; i++)
		;
	queue_updates_run(i < n);

	for (i = 0; i < n; i++) {
		qm = batch[i];
		qb = qm->qm_bounce;
		if (ok[i])
			queue_msg_committed(qm);
		else {
			log_warnx("queue: message %08x: commit failed",
			    qm->qm_msgid);
			if (queue_be->qb_message_rollback(qm->qm_msgid) == -1)
				log_warn("queue: rollback of %08x",
				    qm->qm_msgid);
		}
		if (qb == NULL)
			queue_smtp_commit_answer(qm->qm_reqid, qm->qm_msgid,
			    ok[i]);
		queue_msg_free(qm);
		if (qb != NULL)
			queue_bounce_committed(qb, ok[i]);
	}
	if (!TAILQ_EMPTY(&queue_commits))
		event_active(queue_commit_ev, EV_TIMEOUT, 1);
}

static void
queue_smtp_create(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct msg_out	 out;
	struct qmsg	*qm;
	int		 fd = -1;

	m_open(&in, msg);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_SMTP, msg, "bad message create");
	qm = queue_msg_new(NULL, &fd);
	if (qm != NULL)
		qm->qm_reqid = msg->hdr.peerid;
	m_init(&out);
	m_add_u32(&out, qm != NULL ? 1 : 0);
	m_add_u32(&out, qm != NULL ? qm->qm_msgid : 0);
	proc_send(PROC_SMTP, IMSG_QUEUE_MESSAGE_CREATE, msg->hdr.peerid, fd,
	    &out);
}

static uint32_t
queue_get_msgid(enum proc_id peer, struct ipc_msg *msg)
{
	struct msg_in	 in;
	uint32_t	 msgid;

	m_open(&in, msg);
	m_get_u32(&in, &msgid);
	if (m_end(&in) == -1)
		proc_bad_msg(peer, msg, "bad message id");
	return msgid;
}

static void
queue_smtp_commit(struct ipc_msg *msg)
{
	struct qmsg	*qm;
	uint32_t	 msgid;

	msgid = queue_get_msgid(PROC_SMTP, msg);
	qm = queue_msg_find(msgid);
	if (qm == NULL || qm->qm_bounce != NULL || qm->qm_state != QM_OPEN)
		proc_bad_msg(PROC_SMTP, msg, "commit of a message not open");
	qm->qm_reqid = msg->hdr.peerid;
	if (qm->qm_nevp == 0) {
		log_warnx("queue: message %08x: no envelopes, refused",
		    msgid);
		queue_msg_rollback(qm);
		queue_smtp_commit_answer(msg->hdr.peerid, msgid, 0);
		return;
	}
	queue_msg_commit(qm);
}

/* The client went away or the transaction failed.  A message already
 * committing is left to finish: a duplicate at worst, never a loss. */
static void
queue_smtp_rollback(struct ipc_msg *msg)
{
	struct qmsg	*qm;
	uint32_t	 msgid;

	msgid = queue_get_msgid(PROC_SMTP, msg);
	qm = queue_msg_find(msgid);
	if (qm == NULL || qm->qm_bounce != NULL)
		proc_bad_msg(PROC_SMTP, msg, "rollback of an unknown message");
	if (qm->qm_state != QM_OPEN) {
		log_warnx("queue: message %08x: rollback while committing, "
		    "ignored", msgid);
		return;
	}
	log_debug("queue: message %08x rolled back", msgid);
	queue_msg_rollback(qm);
}

static void
queue_dispatch_smtp(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_SMTP, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_SMTP_MESSAGE_CREATE:
		queue_smtp_create(msg);
		break;
	case IMSG_SMTP_MESSAGE_COMMIT:
		queue_smtp_commit(msg);
		break;
	case IMSG_SMTP_MESSAGE_ROLLBACK:
		queue_smtp_rollback(msg);
		break;
	default:
		proc_bad_msg(PROC_SMTP, msg, "unexpected message");
	}
}

/* ------------------------------------------------------------------ */
/* envelopes from lka */

static struct qlka *
queue_lka_find(uint32_t reqid)
{
	struct qlka	 needle;

	needle.ql_reqid = reqid;
	return RB_FIND(qlka_tree, &queue_lkas, &needle);
}

static int
queue_msg_add_evp(struct qmsg *qm, const struct sched_info *si)
{
	struct sched_info *p;
	size_t		 sz;

	if (qm->qm_nevp >= QUEUE_MAX_MSG_ENVELOPES)
		return -1;
	if (qm->qm_nevp == qm->qm_evpsz) {
		sz = qm->qm_evpsz ? qm->qm_evpsz * 2 : 4;
		if ((p = reallocarray(qm->qm_evps, sz, sizeof(*p))) == NULL)
			fatal("queue_msg_add_evp: reallocarray");
		qm->qm_evps = p;
		qm->qm_evpsz = sz;
	}
	qm->qm_evps[qm->qm_nevp++] = *si;
	return 0;
}

static int
queue_msg_has_evp(const struct qmsg *qm, uint64_t evpid)
{
	size_t	 i;

	for (i = 0; i < qm->qm_nevp; i++)
		if (qm->qm_evps[i].si_evpid == evpid)
			return 1;
	return 0;
}

/* Write one envelope of an lka request: 0, or -1 (request fails). */
static int
queue_lka_write(struct qlka *ql, struct qmsg *qm, struct envelope *evp)
{
	const struct smtpd_config *conf = proc_config();
	const struct action *act;
	struct sched_info si;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	uint64_t	*p;
	time_t		 ttl;
	int		 len;

	do {
		evp->evp_id = envelope_new_evpid(qm->qm_msgid);
	} while (queue_msg_has_evp(qm, evp->evp_id));
	ttl = conf != NULL && conf->sc_queue_ttl > 0 ? conf->sc_queue_ttl :
	    QUEUE_DEFAULT_TTL;
	/* An action's own ttl, when this process is given the actions
	 * (config_ipc_send.c decides; today the queue gets none). */
	if (conf != NULL && evp->evp_dispatcher[0] != '\0' &&
	    (act = config_action_find(conf, evp->evp_dispatcher)) != NULL &&
	    act->a_ttl > 0)
		ttl = act->a_ttl;
	evp->evp_creation = time(NULL);
	evp->evp_expire = evp->evp_creation + ttl;
	evp->evp_lasttry = 0;
	evp->evp_retry = 0;
	evp->evp_errorline[0] = '\0';
	if ((len = envelope_dump(evp, text, sizeof(text))) == -1) {
		log_warnx("queue: message %08x: envelope cannot be written",
		    qm->qm_msgid);
		return -1;
	}
	if (ql->ql_n == ql->ql_sz) {
		ql->ql_sz = ql->ql_sz ? ql->ql_sz * 2 : 4;
		p = reallocarray(ql->ql_evpids, ql->ql_sz, sizeof(*p));
		if (p == NULL)
			fatal("queue_lka_write: reallocarray");
		ql->ql_evpids = p;
	}
	si.si_evpid = evp->evp_id;
	si.si_type = (uint8_t)evp->evp_type;
	si.si_creation = evp->evp_creation;
	si.si_expire = evp->evp_expire;
	si.si_retry = 0;
	si.si_lasttry = 0;
	if (queue_msg_add_evp(qm, &si) == -1) {
		log_warnx("queue: message %08x: too many envelopes",
		    qm->qm_msgid);
		return -1;
	}
	if (queue_be->qb_envelope_create(qm->qm_msgid, evp->evp_id, text,
	    (size_t)len) == -1) {
		log_warn("queue: message %08x: write envelope", qm->qm_msgid);
		qm->qm_nevp--;
		return -1;
	}
	ql->ql_evpids[ql->ql_n++] = evp->evp_id;
	return 0;
}

static void
queue_lka_envelope(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct envelope	 evp;
	struct qlka	*ql;
	struct qmsg	*qm;
	const char	*text, *errstr;
	uint32_t	 msgid;

	m_open(&in, msg);
	m_get_u32(&in, &msgid);
	m_get_string(&in, &text);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_LKA, msg, "bad envelope message");
	if (envelope_load(&evp, text, strlen(text), &errstr) == -1) {
		log_warnx("queue: envelope from lka: %s", errstr);
		proc_bad_msg(PROC_LKA, msg, "invalid envelope");
	}
	if (evp.evp_id != 0)
		proc_bad_msg(PROC_LKA, msg, "envelope with an id");

	if ((ql = queue_lka_find(msg->hdr.peerid)) == NULL) {
		if ((ql = calloc(1, sizeof(*ql))) == NULL)
			fatal("queue_lka_envelope: calloc");
		ql->ql_reqid = msg->hdr.peerid;
		ql->ql_msgid = msgid;
		RB_INSERT(qlka_tree, &queue_lkas, ql);
	} else if (ql->ql_msgid != msgid)
		proc_bad_msg(PROC_LKA, msg, "request changed message");
	if (ql->ql_count == UINT32_MAX)
		proc_bad_msg(PROC_LKA, msg, "too many envelopes");
	ql->ql_count++;
	if (ql->ql_failed)
		return;

	/* smtp may have rolled the message back meanwhile. */
	qm = queue_msg_find(msgid);
	if (qm == NULL || qm->qm_state != QM_OPEN) {
		log_debug("queue: envelope for message %08x, which is not "
		    "open", msgid);
		ql->ql_failed = 1;
		return;
	}
	if (queue_lka_write(ql, qm, &evp) == -1)
		ql->ql_failed = 1;
}

static void
queue_lka_envelope_end(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct msg_out	 out;
	struct qlka	*ql;
	struct qmsg	*qm;
	uint32_t	 msgid, count;
	size_t		 i, j;
	int		 ok = 1;

	m_open(&in, msg);
	m_get_u32(&in, &msgid);
	m_get_u32(&in, &count);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_LKA, msg, "bad envelope end");
	ql = queue_lka_find(msg->hdr.peerid);
	if (ql == NULL) {
		if (count != 0)
			proc_bad_msg(PROC_LKA, msg, "envelope count mismatch");
		if (queue_msg_find(msgid) == NULL)
			ok = 0;
	} else {
		if (ql->ql_msgid != msgid || ql->ql_count != count)
			proc_bad_msg(PROC_LKA, msg, "envelope count mismatch");
		RB_REMOVE(qlka_tree, &queue_lkas, ql);
		if (ql->ql_failed) {
			/* Undo the part that was written. */
			ok = 0;
			qm = queue_msg_find(msgid);
			for (i = 0; i < ql->ql_n; i++) {
				if (queue_be->qb_envelope_discard(msgid,
				    ql->ql_evpids[i]) == -1)
					log_warn("queue: discard envelope");
				if (qm == NULL || qm->qm_state != QM_OPEN)
					continue;
				for (j = 0; j < qm->qm_nevp; j++) {
					if (qm->qm_evps[j].si_evpid !=
					    ql->ql_evpids[i])
						continue;
					qm->qm_evps[j] =
					    qm->qm_evps[--qm->qm_nevp];
					break;
				}
			}
		}
		free(ql->ql_evpids);
		free(ql);
	}
	m_init(&out);
	m_add_u32(&out, ok);
	proc_send(PROC_LKA, IMSG_QUEUE_ENVELOPE_ACK, msg->hdr.peerid, -1,
	    &out);
}

static void
queue_dispatch_lka(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_LKA, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_LKA_ENVELOPE:
		queue_lka_envelope(msg);
		break;
	case IMSG_LKA_ENVELOPE_END:
		queue_lka_envelope_end(msg);
		break;
	case IMSG_LKA_BOUNCE_RCPT:
		queue_bounce_lka(msg);
		break;
	default:
		proc_bad_msg(PROC_LKA, msg, "unexpected message");
	}
}

static void
queue_dispatch_scheduler(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_SCHEDULER, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_SCHED_ENVELOPE_DELIVER:
		queue_sched_deliver(msg);
		break;
	case IMSG_SCHED_ENVELOPE_EXPIRE:
		queue_sched_expire(msg);
		break;
	default:
		proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
	}
}

static void
queue_dispatch_mda(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_DELIVERY_OK:
	case IMSG_DELIVERY_TEMPFAIL:
	case IMSG_DELIVERY_PERMFAIL:
		queue_delivery_result(PROC_MDA, msg);
		break;
	default:
		proc_bad_msg(PROC_MDA, msg, "unexpected message");
	}
}

static void
queue_dispatch_mta(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_DELIVERY_OK:
	case IMSG_DELIVERY_TEMPFAIL:
	case IMSG_DELIVERY_PERMFAIL:
		queue_delivery_result(PROC_MTA, msg);
		break;
	default:
		proc_bad_msg(PROC_MTA, msg, "unexpected message");
	}
}

static void
queue_dispatch_parent(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
queue_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}
