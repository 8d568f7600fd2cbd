/*
 * Deliveries, in the queue process (_smtpq, chrooted to the spool): the
 * scheduler's orders (deliver, expire) and the results from mda and mta.
 * For a delivery the queue reads the envelope file again (the spool is
 * the truth, re-validated by envelope_load), opens the message
 * read-only and hands both to mda (local) or mta (relay); a result
 * removes the envelope (delivered), counts a retry in its file
 * (temporary failure) or starts its bounce (permanent failure, expiry).
 * Peers: scheduler, mda, mta, through queue.c's dispatchers.  A result
 * for an envelope that is not out for delivery, or an order for one
 * already being worked on, is a peer's bug and fatal; a missing or
 * damaged envelope file is not (moved to corrupt/, the scheduler told).
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "queue.h"
#include "queue_internal.h"
#include "stat.h"

/* A committed envelope the queue is working on (scheduler said go). */
struct qevp {
	RB_ENTRY(qevp)		 qe_entry;
	uint64_t		 qe_evpid;
	int			 qe_state;
	enum proc_id		 qe_peer;	/* QE_DELIVERING */
};
#define QE_DELIVERING	0	/* at mda or mta */
#define QE_FAILING	1	/* bounce being built, or expiring */

RB_HEAD(qevp_tree, qevp);

static int
qevp_cmp(const struct qevp *a, const struct qevp *b)
{
	return a->qe_evpid < b->qe_evpid ? -1 : a->qe_evpid > b->qe_evpid;
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(qevp_tree, qevp, qe_entry, qevp_cmp);

static struct qevp_tree		 queue_evps = RB_INITIALIZER(&queue_evps);

static struct qevp *
queue_evp_find(uint64_t evpid)
{
	struct qevp	 needle;

	needle.qe_evpid = evpid;
	return RB_FIND(qevp_tree, &queue_evps, &needle);
}

static void
queue_evp_forget(uint64_t evpid)
{
	struct qevp	*qe;

	if ((qe = queue_evp_find(evpid)) != NULL) {
		RB_REMOVE(qevp_tree, &queue_evps, qe);
		free(qe);
	}
}

static struct qevp *
queue_evp_track(uint64_t evpid, int state, enum proc_id peer)
{
	struct qevp	*qe;

	if ((qe = calloc(1, sizeof(*qe))) == NULL)
		fatal("queue_evp_track: calloc");
	qe->qe_evpid = evpid;
	qe->qe_state = state;
	qe->qe_peer = peer;
	if (RB_INSERT(qevp_tree, &queue_evps, qe) != NULL)
		fatalx("queue_evp_track: %016llx twice",
		    (unsigned long long)evpid);
	return qe;
}

static void
queue_sched_evpid(uint32_t type, uint64_t evpid)
{
	struct msg_out	 out;

	m_init(&out);
	m_add_u64(&out, evpid);
	proc_send(PROC_SCHEDULER, type, 0, -1, &out);
}

/* Give up an envelope the spool cannot serve any more. */
void
queue_evp_drop(uint64_t evpid, int whole_message, const char *why)
{
	int	 r;

	r = queue_be->qb_envelope_corrupt(evpid, whole_message);
	if (r == -1 && errno != ENOENT)
		log_warn("queue: envelope %016llx: %s; moving it to corrupt/",
		    (unsigned long long)evpid, why);
	else
		log_warnx("queue: envelope %016llx: %s; %s",
		    (unsigned long long)evpid, why, r == -1 ? "it is gone" :
		    whole_message ? "message moved to corrupt/" :
		    "moved to corrupt/");
	stat_increment("queue.corrupt", 1);
	queue_evp_forget(evpid);
	queue_sched_evpid(IMSG_QUEUE_ENVELOPE_REMOVE, evpid);
}

/* The envelope cannot be read now: the scheduler retries it later
 * (its retry count in the file is left as it is). */
static void
queue_evp_later(uint64_t evpid)
{
	struct msg_out	 out;

	queue_evp_forget(evpid);
	stat_increment("queue.tempfail", 1);
	m_init(&out);
	m_add_u64(&out, evpid);
	m_add_u32(&out, 1);
	m_add_i64(&out, time(NULL));
	proc_send(PROC_SCHEDULER, IMSG_QUEUE_DELIVERY_TEMPFAIL, 0, -1, &out);
}

int
queue_evp_read(uint64_t evpid, struct envelope *evp, char *text,
    size_t len)
{
	const char	*errstr;
	ssize_t		 n;

	if ((n = queue_be->qb_envelope_read(evpid, text, len)) == -1) {
		if (errno == ENOENT || errno == EFBIG || errno == ELOOP) {
			queue_evp_drop(evpid, 0, errno == ENOENT ?
			    "envelope file missing" : strerror(errno));
			return -1;
		}
		/* Out of descriptors, memory, an I/O error: try later. */
		log_warn("queue: envelope %016llx: read",
		    (unsigned long long)evpid);
		queue_evp_later(evpid);
		return -1;
	}
	if (envelope_load(evp, text, (size_t)n, &errstr) == -1) {
		queue_evp_drop(evpid, 0, errstr);
		return -1;
	}
	if (evp->evp_id != evpid) {
		queue_evp_drop(evpid, 0, "file holds another envelope id");
		return -1;
	}
	return 0;
}

void
queue_evp_set_error(struct envelope *evp, const char *prefix,
    const char *line)
{
	size_t	 i;

	strlcpy(evp->evp_errorline, prefix != NULL ? prefix : "",
	    sizeof(evp->evp_errorline));
	strlcat(evp->evp_errorline, line, sizeof(evp->evp_errorline));
	for (i = 0; evp->evp_errorline[i] != '\0'; i++) {
		if ((unsigned char)evp->evp_errorline[i] < 0x20 ||
		    evp->evp_errorline[i] == 0x7f)
			evp->evp_errorline[i] = ' ';
	}
}

void
queue_sched_deliver(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct msg_out	 out;
	struct envelope	 evp;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	uint64_t	 evpid;
	enum proc_id	 peer;
	int		 fd;

	m_open(&in, msg);
	m_get_u64(&in, &evpid);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_SCHEDULER, msg, "bad deliver order");
	if (queue_evp_find(evpid) != NULL)
		proc_bad_msg(PROC_SCHEDULER, msg, "envelope already in flight");
	if (queue_evp_read(evpid, &evp, text, sizeof(text)) == -1)
		return;
	if ((fd = queue_be->qb_message_open(evpid_to_msgid(evpid))) == -1) {
		if (errno == ENOENT) {
			queue_evp_drop(evpid, 1, "message file missing");
			return;
		}
		log_warn("queue: envelope %016llx: open message",
		    (unsigned long long)evpid);
		queue_evp_track(evpid, QE_FAILING, PROC_QUEUE);
		queue_permfail_retry(evpid, "4.3.0 Cannot open the queued "
		    "message");
		return;
	}
	peer = evp.evp_type == EVP_MTA ? PROC_MTA : PROC_MDA;
	queue_evp_track(evpid, QE_DELIVERING, peer);
	m_init(&out);
	m_add_string(&out, text);
	proc_send(peer, IMSG_QUEUE_DELIVER, 0, fd, &out);
	log_debug("queue: envelope %016llx to %s", (unsigned long long)evpid,
	    proc_name(peer));
}

void
queue_sched_expire(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct envelope	 evp;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	char		 last[ENVELOPE_ERRORLINE_MAX + 1];
	uint64_t	 evpid;

	m_open(&in, msg);
	m_get_u64(&in, &evpid);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_SCHEDULER, msg, "bad expire order");
	if (queue_evp_find(evpid) != NULL)
		proc_bad_msg(PROC_SCHEDULER, msg, "envelope already in flight");
	if (queue_evp_read(evpid, &evp, text, sizeof(text)) == -1)
		return;
	queue_evp_track(evpid, QE_FAILING, PROC_QUEUE);
	strlcpy(last, evp.evp_errorline, sizeof(last));
	if (last[0] != '\0' && strncmp(last, "4.4.7 ", 6) != 0) {
		queue_evp_set_error(&evp, "4.4.7 Envelope expired; last "
		    "error: ", last);
	} else if (last[0] == '\0')
		queue_evp_set_error(&evp, NULL, "4.4.7 Envelope expired");
	log_info("queue: envelope %016llx expired", (unsigned long long)evpid);
	stat_increment("queue.expired", 1);
	queue_bounce_failed(&evp);
}

void
queue_permfail_done(uint64_t evpid)
{
	if (queue_be->qb_envelope_delete(evpid) == -1)
		log_warn("queue: remove envelope %016llx",
		    (unsigned long long)evpid);
	queue_evp_forget(evpid);
	stat_increment("queue.permfail", 1);
	queue_sched_evpid(IMSG_QUEUE_DELIVERY_PERMFAIL, evpid);
}

/*
 * Count a temporary failure in the envelope file and tell the scheduler
 * when to come back; after a delivery attempt (warn), maybe a delay
 * report.  The new text is staged here and installed after the next
 * group commit's sync (queue_tempfail_done), so that retries cost no
 * fsync of their own.
 */
static void
queue_tempfail(uint64_t evpid, const char *line, int warn)
{
	struct qupdate	*qu;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	int		 len;

	if ((qu = calloc(1, sizeof(*qu))) == NULL)
		fatal("queue_tempfail: calloc");
	if (queue_evp_read(evpid, &qu->qu_evp, text, sizeof(text)) == -1) {
		free(qu);
		return;
	}
	qu->qu_warn = warn;
	qu->qu_prevtry = qu->qu_evp.evp_lasttry;
	if (qu->qu_evp.evp_retry < UINT32_MAX)
		qu->qu_evp.evp_retry++;
	qu->qu_evp.evp_lasttry = time(NULL);
	queue_evp_set_error(&qu->qu_evp, NULL, line);
	if ((len = envelope_dump(&qu->qu_evp, text, sizeof(text))) == -1 ||
	    queue_be->qb_envelope_stage(evpid, text, (size_t)len) == -1) {
		log_warn("queue: envelope %016llx: update",
		    (unsigned long long)evpid);
		queue_tempfail_done(qu, 0);
		return;
	}
	queue_update_add(qu);
}

/* The update is durable (synced), or could not be made (!synced). */
void
queue_tempfail_done(struct qupdate *qu, int synced)
{
	struct msg_out	 out;
	uint64_t	 evpid = qu->qu_evp.evp_id;

	if (synced && queue_be->qb_envelope_install(evpid) == -1)
		log_warn("queue: envelope %016llx: update",
		    (unsigned long long)evpid);
	queue_evp_forget(evpid);
	stat_increment("queue.tempfail", 1);
	m_init(&out);
	m_add_u64(&out, evpid);
	m_add_u32(&out, qu->qu_evp.evp_retry);
	m_add_i64(&out, qu->qu_evp.evp_lasttry);
	proc_send(PROC_SCHEDULER, IMSG_QUEUE_DELIVERY_TEMPFAIL, 0, -1, &out);
	if (qu->qu_warn) {
		if (qu->qu_prevtry == 0)
			qu->qu_prevtry = qu->qu_evp.evp_creation - 1;
		queue_bounce_delayed(&qu->qu_evp, qu->qu_prevtry);
	}
	free(qu);
}

void
queue_permfail_retry(uint64_t evpid, const char *errorline)
{
	queue_tempfail(evpid, errorline, 0);
}

void
queue_delivery_result(enum proc_id peer, struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct envelope	 evp;
	struct qevp	*qe;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	const char	*line = NULL;
	uint64_t	 evpid;

	if (msg->fd != -1)
		proc_bad_msg(peer, msg, "unexpected descriptor");
	m_open(&in, msg);
	m_get_u64(&in, &evpid);
	if (msg->hdr.type != IMSG_DELIVERY_OK)
		m_get_string(&in, &line);
	if (m_end(&in) == -1)
		proc_bad_msg(peer, msg, "bad delivery result");
	qe = queue_evp_find(evpid);
	if (qe == NULL || qe->qe_state != QE_DELIVERING || qe->qe_peer != peer)
		proc_bad_msg(peer, msg, "result for an envelope not there");

	switch (msg->hdr.type) {
	case IMSG_DELIVERY_OK:
		if (queue_be->qb_envelope_delete(evpid) == -1)
			log_warn("queue: remove delivered envelope %016llx",
			    (unsigned long long)evpid);
		queue_evp_forget(evpid);
		stat_increment("queue.delivered", 1);
		queue_sched_evpid(IMSG_QUEUE_DELIVERY_OK, evpid);
		break;
	case IMSG_DELIVERY_TEMPFAIL:
		queue_tempfail(evpid, line, 1);
		break;
	case IMSG_DELIVERY_PERMFAIL:
		if (queue_evp_read(evpid, &evp, text, sizeof(text)) == -1)
			return;
		qe->qe_state = QE_FAILING;
		queue_evp_set_error(&evp, NULL, line);
		queue_bounce_failed(&evp);
		break;
	}
}
