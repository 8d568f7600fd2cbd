/*
 * The scheduler's timing logic: which envelope is due when, backoff,
 * expiry and the in-flight cap (see scheduler.h).  Runs inside the
 * scheduler process (_smtpq, empty chroot) and in unit tests; it has no
 * clock, no I/O and no peers.  Its input comes from the queue through
 * scheduler.c, which has already checked the messages' shape; the
 * checks here (unknown or duplicate ids) let the caller treat a broken
 * peer as fatal.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>

#include "ipc.h"
#include "log.h"
#include "scheduler.h"

#define SE_WAITING	0
#define SE_INFLIGHT	1

struct sched_evp {
	RB_ENTRY(sched_evp)	 se_byid;
	RB_ENTRY(sched_evp)	 se_bytime;	/* only while waiting */
	struct sched_info	 se_info;
	time_t			 se_next;
	int			 se_state;
};

RB_HEAD(sched_ids, sched_evp);
RB_HEAD(sched_times, sched_evp);

struct sched {
	struct sched_ids	 s_ids;
	struct sched_times	 s_times;
	size_t			 s_count;
	size_t			 s_inflight;
	time_t			 s_retry_delay;
	time_t			 s_max_retry_delay;
	size_t			 s_max_inflight;
};

static int
sched_id_cmp(const struct sched_evp *a, const struct sched_evp *b)
{
	if (a->se_info.si_evpid < b->se_info.si_evpid)
		return -1;
	return a->se_info.si_evpid > b->se_info.si_evpid;
}

static int
sched_time_cmp(const struct sched_evp *a, const struct sched_evp *b)
{
	if (a->se_next != b->se_next)
		return a->se_next < b->se_next ? -1 : 1;
	return sched_id_cmp(a, b);
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(sched_ids, sched_evp, se_byid, sched_id_cmp);
RB_GENERATE_STATIC(sched_times, sched_evp, se_bytime, sched_time_cmp);

void
sched_info_add(struct msg_out *out, const struct sched_info *si)
{
	m_add_u64(out, si->si_evpid);
	m_add_u8(out, si->si_type);
	m_add_i64(out, si->si_creation);
	m_add_i64(out, si->si_expire);
	m_add_u32(out, si->si_retry);
	m_add_i64(out, si->si_lasttry);
}

void
sched_info_get(struct msg_in *in, struct sched_info *si)
{
	int64_t	 creation, expire, lasttry;

	m_get_u64(in, &si->si_evpid);
	m_get_u8(in, &si->si_type);
	m_get_i64(in, &creation);
	m_get_i64(in, &expire);
	m_get_u32(in, &si->si_retry);
	m_get_i64(in, &lasttry);
	si->si_creation = (time_t)creation;
	si->si_expire = (time_t)expire;
	si->si_lasttry = (time_t)lasttry;
}

struct sched *
sched_new(time_t retry_delay, time_t max_retry_delay, size_t max_inflight)
{
	struct sched	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	RB_INIT(&s->s_ids);
	RB_INIT(&s->s_times);
	s->s_retry_delay = retry_delay > 0 ? retry_delay : 1;
	s->s_max_retry_delay = max_retry_delay > 0 ? max_retry_delay : 1;
	s->s_max_inflight = max_inflight > 0 ? max_inflight : 1;
	return s;
}

void
sched_free(struct sched *s)
{
	struct sched_evp	*se, *next;

	if (s == NULL)
		return;
	RB_FOREACH_SAFE(se, sched_ids, &s->s_ids, next) {
		RB_REMOVE(sched_ids, &s->s_ids, se);
		free(se);
	}
	free(s);
}

time_t
sched_backoff(const struct sched *s, uint32_t retry)
{
	time_t		 d;
	uint32_t	 i;

	d = s->s_retry_delay;
	for (i = 1; i < retry && d < s->s_max_retry_delay; i++)
		d *= 2;
	return d < s->s_max_retry_delay ? d : s->s_max_retry_delay;
}

/*
 * When a waiting envelope is next due.  Never after its expiry; but an
 * envelope whose last try already came after its expiry (the expiry
 * itself failed temporarily, e.g. its bounce could not be queued) waits
 * one backoff delay instead of spinning.
 */
static time_t
sched_compute_next(const struct sched *s, const struct sched_info *si)
{
	time_t	 next;

	if (si->si_retry == 0)
		return 0;
	next = si->si_lasttry + sched_backoff(s, si->si_retry);
	if (si->si_expire > si->si_lasttry && next > si->si_expire)
		next = si->si_expire;
	return next;
}

static void
sched_wait(struct sched *s, struct sched_evp *se)
{
	se->se_state = SE_WAITING;
	se->se_next = sched_compute_next(s, &se->se_info);
	if (RB_INSERT(sched_times, &s->s_times, se) != NULL)
		fatalx("sched_wait: envelope %016llx twice in the schedule",
		    (unsigned long long)se->se_info.si_evpid);
}

void
sched_set_params(struct sched *s, time_t retry_delay, time_t max_retry_delay,
    size_t max_inflight)
{
	struct sched_evp	*se;

	s->s_retry_delay = retry_delay > 0 ? retry_delay : 1;
	s->s_max_retry_delay = max_retry_delay > 0 ? max_retry_delay : 1;
	s->s_max_inflight = max_inflight > 0 ? max_inflight : 1;

	/* Every key may change: rebuild the time order from the ids. */
	RB_INIT(&s->s_times);
	RB_FOREACH(se, sched_ids, &s->s_ids) {
		if (se->se_state == SE_WAITING)
			sched_wait(s, se);
	}
}

static struct sched_evp *
sched_find(const struct sched *s, uint64_t evpid)
{
	struct sched_evp	 needle;

	needle.se_info.si_evpid = evpid;
	return RB_FIND(sched_ids, (struct sched_ids *)(uintptr_t)&s->s_ids,
	    &needle);
}

int
sched_insert(struct sched *s, const struct sched_info *si)
{
	struct sched_evp	*se;

	if (si->si_evpid == 0 || sched_find(s, si->si_evpid) != NULL)
		return -1;
	if ((se = calloc(1, sizeof(*se))) == NULL)
		fatal("sched_insert: calloc");
	se->se_info = *si;
	RB_INSERT(sched_ids, &s->s_ids, se);
	sched_wait(s, se);
	s->s_count++;
	return 0;
}

int
sched_tempfail(struct sched *s, uint64_t evpid, uint32_t retry,
    time_t lasttry)
{
	struct sched_evp	*se;

	if ((se = sched_find(s, evpid)) == NULL ||
	    se->se_state != SE_INFLIGHT)
		return -1;
	s->s_inflight--;
	se->se_info.si_retry = retry > 0 ? retry : 1;
	se->se_info.si_lasttry = lasttry;
	sched_wait(s, se);
	return 0;
}

int
sched_remove(struct sched *s, uint64_t evpid)
{
	struct sched_evp	*se;

	if ((se = sched_find(s, evpid)) == NULL)
		return -1;
	if (se->se_state == SE_INFLIGHT)
		s->s_inflight--;
	else
		RB_REMOVE(sched_times, &s->s_times, se);
	RB_REMOVE(sched_ids, &s->s_ids, se);
	s->s_count--;
	free(se);
	return 0;
}

int
sched_next(struct sched *s, time_t now, uint64_t *evpid, int *action)
{
	struct sched_evp	*se;

	if (s->s_inflight >= s->s_max_inflight)
		return 0;
	if ((se = RB_MIN(sched_times, &s->s_times)) == NULL ||
	    se->se_next > now)
		return 0;
	RB_REMOVE(sched_times, &s->s_times, se);
	se->se_state = SE_INFLIGHT;
	s->s_inflight++;
	*evpid = se->se_info.si_evpid;
	*action = now >= se->se_info.si_expire ? SCHED_EXPIRE : SCHED_DELIVER;
	return 1;
}

int
sched_next_time(const struct sched *s, time_t *when)
{
	struct sched_evp	*se;

	if (s->s_inflight >= s->s_max_inflight)
		return -1;
	se = RB_MIN(sched_times, (struct sched_times *)(uintptr_t)&s->s_times);
	if (se == NULL)
		return -1;
	*when = se->se_next;
	return 0;
}

int
sched_envelope_time(const struct sched *s, uint64_t evpid, time_t *when)
{
	struct sched_evp	*se;

	if ((se = sched_find(s, evpid)) == NULL ||
	    se->se_state != SE_WAITING)
		return -1;
	*when = se->se_next;
	return 0;
}

size_t
sched_count(const struct sched *s)
{
	return s->s_count;
}

size_t
sched_inflight(const struct sched *s)
{
	return s->s_inflight;
}
