/*
 * The queue's start-up, in the queue process (_smtpq, chrooted to the
 * spool): remove what a crash left half received in incoming/, then walk
 * the committed queue one bucket per loop iteration (so the channels
 * drain in between, and a big queue never piles up in one channel) and
 * hand every envelope to the scheduler.  Every envelope file is
 * re-validated with envelope_load and must hold the id of its name; a
 * file that fails is moved to corrupt/ and logged, never believed and
 * never fatal.  Messages committed while the walk runs are already
 * known to the scheduler and are skipped when their bucket comes.
 * Peers: the scheduler (IMSG_QUEUE_ENVELOPE_SCHEDULE).
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>

#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "queue.h"
#include "queue_internal.h"
#include "scheduler.h"
#include "stat.h"

/* msgid of a message committed while the start-up load still runs. */
struct qfresh {
	RB_ENTRY(qfresh)	 qf_entry;
	uint32_t		 qf_msgid;
};

RB_HEAD(qfresh_tree, qfresh);

static int
qfresh_cmp(const struct qfresh *a, const struct qfresh *b)
{
	return a->qf_msgid < b->qf_msgid ? -1 : a->qf_msgid > b->qf_msgid;
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(qfresh_tree, qfresh, qf_entry, qfresh_cmp);

static struct qfresh_tree	 queue_fresh = RB_INITIALIZER(&queue_fresh);
static struct event		*queue_load_ev;
static unsigned int		 queue_load_bucket;	/* next to load */
static int			 queue_loading;
static size_t			 queue_load_count;
static size_t			 queue_load_notes;

static void	queue_load_run(int, short, void *);

static void
queue_note(void *arg, int corrupt, const char *what)
{
	if (corrupt) {
		queue_load_notes++;
		stat_increment("queue.corrupt", 1);
		log_warnx("queue: %s", what);
	} else
		log_info("queue: %s", what);
}

static int
queue_load_envelope(void *arg, uint64_t evpid, const char *text, size_t len)
{
	struct envelope		 evp;
	struct sched_info	 si;
	struct msg_out		 out;
	struct qfresh		 needle;
	const char		*errstr;

	/* Committed by this process since start: the scheduler has it. */
	needle.qf_msgid = evpid_to_msgid(evpid);
	if (RB_FIND(qfresh_tree, &queue_fresh, &needle) != NULL)
		return 0;
	if (envelope_load(&evp, text, len, &errstr) == -1) {
		log_warnx("queue_load: envelope %016llx: %s",
		    (unsigned long long)evpid, errstr);
		return -1;
	}
	if (evp.evp_id != evpid) {
		log_warnx("queue_load: envelope %016llx: holds id %016llx",
		    (unsigned long long)evpid,
		    (unsigned long long)evp.evp_id);
		return -1;
	}
	si.si_evpid = evpid;
	si.si_type = (uint8_t)evp.evp_type;
	si.si_creation = evp.evp_creation;
	si.si_expire = evp.evp_expire;
	si.si_retry = evp.evp_retry;
	si.si_lasttry = evp.evp_lasttry;
	if (si.si_retry > 0 && si.si_lasttry <= 0)
		si.si_retry = 0;
	m_init(&out);
	sched_info_add(&out, &si);
	proc_send(PROC_SCHEDULER, IMSG_QUEUE_ENVELOPE_SCHEDULE, 0, -1, &out);
	queue_load_count++;
	return 0;
}

/* One bucket per loop iteration, so the channels drain in between. */
static void
queue_load_run(int fd, short ev, void *arg)
{
	struct qfresh	*qf, *next;

	if (queue_load_bucket < queue_be->qb_nbuckets) {
		if (queue_be->qb_load_bucket(queue_load_bucket,
		    queue_load_envelope, queue_note, NULL) == -1)
			log_warn("queue_load: bucket %u", queue_load_bucket);
		queue_load_bucket++;
		event_active(queue_load_ev, EV_TIMEOUT, 1);
		return;
	}
	queue_loading = 0;
	RB_FOREACH_SAFE(qf, qfresh_tree, &queue_fresh, next) {
		RB_REMOVE(qfresh_tree, &queue_fresh, qf);
		free(qf);
	}
	log_info("queue: loaded %zu envelopes, %zu moved to corrupt/",
	    queue_load_count, queue_load_notes);
}

void
queue_load_start(void)
{
	if (queue_be->qb_clear_incoming(queue_note, NULL) == -1)
		log_warn("queue_load: cannot clear incoming/ completely");
	queue_load_ev = event_new(proc_event_base(), -1, 0, queue_load_run,
	    NULL);
	if (queue_load_ev == NULL)
		fatalx("queue_load_start: event_new");
	queue_loading = 1;
	event_active(queue_load_ev, EV_TIMEOUT, 1);
}

void
queue_load_fresh(uint32_t msgid)
{
	struct qfresh	*qf;

	if (!queue_loading)
		return;
	if ((qf = calloc(1, sizeof(*qf))) == NULL)
		fatal("queue_load_fresh: calloc");
	qf->qf_msgid = msgid;
	if (RB_INSERT(qfresh_tree, &queue_fresh, qf) != NULL)
		free(qf);
}
