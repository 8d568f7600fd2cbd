/*
 * scheduler: the in-memory schedule of envelopes (retries, backoff,
 * expiry, the in-flight cap).  Runs as _smtpq chrooted to an empty
 * directory and never sees message data.  Peers: parent
 * (configuration), control (stats), queue (envelopes and delivery
 * results in, delivery and expiry orders out).  Parses no network
 * input; a message from the queue that does not fit the schedule (an
 * unknown envelope, a result for one not in flight) is a bug and fatal.
 * The timing rules live in scheduler_backend.c.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "scheduler.h"
#include "stat.h"

static void	scheduler_dispatch_parent(struct ipc_msg *);
static void	scheduler_dispatch_control(struct ipc_msg *);
static void	scheduler_dispatch_queue(struct ipc_msg *);
static void	scheduler_dispatch_mta(struct ipc_msg *);
static void	scheduler_dispatch_mda(struct ipc_msg *);
static void	scheduler_init(void);
static void	scheduler_config(void);
static void	scheduler_timeout(int, short, void *);
static void	scheduler_arm(void);

static const struct proc_peer scheduler_peers[] = {
	{ PROC_PARENT,	scheduler_dispatch_parent },
	{ PROC_CONTROL,	scheduler_dispatch_control },
	{ PROC_QUEUE,	scheduler_dispatch_queue },
	{ PROC_MTA,	scheduler_dispatch_mta },
	{ PROC_MDA,	scheduler_dispatch_mda },
	{ PROC_PARENT,	NULL }
};

const struct proc_role scheduler_role = {
	.ro_peers = scheduler_peers,
	.ro_init = scheduler_init,
	.ro_config = scheduler_config,
	.ro_shutdown = NULL,
};

static struct sched	*sched;
static struct event	*sched_ev;
static int		 sched_configured;	/* first config arrived */

static void
scheduler_init(void)
{
	sched = sched_new(QUEUE_DEFAULT_RETRY_DELAY, QUEUE_MAX_RETRY_DELAY,
	    CONF_DEFAULT_SCHED_MAX_INFLIGHT);
	if (sched == NULL)
		fatal("scheduler_init: sched_new");
	sched_ev = evtimer_new(proc_event_base(), scheduler_timeout, NULL);
	if (sched_ev == NULL)
		fatalx("scheduler_init: evtimer_new");
}

/*
 * Envelopes may arrive from the queue before our own configuration: they
 * are held, and nothing is handed out, until the retry delay and the
 * in-flight cap are known.
 */
static void
scheduler_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	time_t				 delay;
	size_t				 inflight;

	delay = conf->sc_queue_retry_delay > 0 ? conf->sc_queue_retry_delay :
	    QUEUE_DEFAULT_RETRY_DELAY;
	inflight = conf->sc_sched_max_inflight > 0 ?
	    conf->sc_sched_max_inflight : CONF_DEFAULT_SCHED_MAX_INFLIGHT;
	sched_set_params(sched, delay, QUEUE_MAX_RETRY_DELAY, inflight);
	sched_configured = 1;
	log_debug("scheduler_config: retry delay %lld s, %zu in flight at most",
	    (long long)delay, inflight);
	scheduler_arm();
}

static void
scheduler_stats(void)
{
	stat_set("scheduler.envelopes", (int64_t)sched_count(sched));
	stat_set("scheduler.inflight", (int64_t)sched_inflight(sched));
}

/* One timer, for the earliest action; zero delay when one is due. */
static void
scheduler_arm(void)
{
	struct timeval	 tv;
	time_t		 when, now;

	scheduler_stats();
	if (!sched_configured)
		return;
	evtimer_del(sched_ev);
	if (sched_next_time(sched, &when) == -1)
		return;
	now = time(NULL);
	tv.tv_sec = when > now ? when - now : 0;
	tv.tv_usec = 0;
	evtimer_add(sched_ev, &tv);
}

/*
 * Hand out what is due, a batch at a time so that a large backlog (every
 * envelope of a big queue after a restart) does not hold the loop.
 */
static void
scheduler_timeout(int fd, short ev, void *arg)
{
	struct msg_out		 out;
	const struct smtpd_config *conf = proc_config();
	uint64_t		 evpid;
	time_t			 now;
	size_t			 n, batch;
	int			 action;

	batch = conf != NULL && conf->sc_sched_max_evp_batch_size > 0 ?
	    conf->sc_sched_max_evp_batch_size : CONF_DEFAULT_SCHED_EVP_BATCH;
	now = time(NULL);
	for (n = 0; n < batch && sched_next(sched, now, &evpid, &action); n++) {
		m_init(&out);
		m_add_u64(&out, evpid);
		if (action == SCHED_EXPIRE) {
			log_debug("scheduler: expire %016llx",
			    (unsigned long long)evpid);
			proc_send(PROC_QUEUE, IMSG_SCHED_ENVELOPE_EXPIRE, 0, -1,
			    &out);
		} else {
			log_debug("scheduler: deliver %016llx",
			    (unsigned long long)evpid);
			proc_send(PROC_QUEUE, IMSG_SCHED_ENVELOPE_DELIVER, 0,
			    -1, &out);
		}
	}
	scheduler_arm();
}

static void
scheduler_schedule(struct ipc_msg *msg)
{
	struct msg_in		 in;
	struct sched_info	 si;

	m_open(&in, msg);
	sched_info_get(&in, &si);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "bad envelope schedule");
	if (si.si_type != EVP_MDA && si.si_type != EVP_MTA)
		proc_bad_msg(PROC_QUEUE, msg, "bad envelope type");
	if (si.si_retry > 0 && si.si_lasttry <= 0)
		proc_bad_msg(PROC_QUEUE, msg, "retried but never tried");
	if (sched_insert(sched, &si) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "envelope already scheduled");
	log_debug("scheduler: new envelope %016llx retry %u",
	    (unsigned long long)si.si_evpid, si.si_retry);
}

static uint64_t
scheduler_get_evpid(struct ipc_msg *msg)
{
	struct msg_in	 in;
	uint64_t	 evpid;

	m_open(&in, msg);
	m_get_u64(&in, &evpid);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "bad envelope id");
	return evpid;
}

/* OK, PERMFAIL, REMOVE: the envelope is gone from the queue. */
static void
scheduler_forget(struct ipc_msg *msg)
{
	uint64_t	 evpid;

	evpid = scheduler_get_evpid(msg);
	if (sched_remove(sched, evpid) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "unknown envelope");
	log_debug("scheduler: %s %016llx", imsg_type_name(msg->hdr.type),
	    (unsigned long long)evpid);
}

static void
scheduler_tempfail(struct ipc_msg *msg)
{
	struct msg_in	 in;
	uint64_t	 evpid;
	uint32_t	 retry;
	int64_t		 lasttry;
	time_t		 when;

	m_open(&in, msg);
	m_get_u64(&in, &evpid);
	m_get_u32(&in, &retry);
	m_get_i64(&in, &lasttry);
	if (m_end(&in) == -1 || retry == 0 || lasttry <= 0)
		proc_bad_msg(PROC_QUEUE, msg, "bad tempfail");
	if (sched_tempfail(sched, evpid, retry, (time_t)lasttry) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "tempfail of an envelope not "
		    "in flight");
	if (sched_envelope_time(sched, evpid, &when) == 0)
		log_debug("scheduler: %016llx retry %u in %lld s",
		    (unsigned long long)evpid, retry,
		    (long long)(when - time(NULL)));
}

static void
scheduler_dispatch_queue(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_QUEUE, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_QUEUE_ENVELOPE_SCHEDULE:
		scheduler_schedule(msg);
		break;
	case IMSG_QUEUE_ENVELOPE_REMOVE:
	case IMSG_QUEUE_DELIVERY_OK:
	case IMSG_QUEUE_DELIVERY_PERMFAIL:
		scheduler_forget(msg);
		break;
	case IMSG_QUEUE_DELIVERY_TEMPFAIL:
		scheduler_tempfail(msg);
		break;
	default:
		proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
	}
	scheduler_arm();
}

static void
scheduler_dispatch_parent(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
scheduler_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
scheduler_dispatch_mta(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MTA, msg, "unexpected message");
}

static void
scheduler_dispatch_mda(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MDA, msg, "unexpected message");
}
