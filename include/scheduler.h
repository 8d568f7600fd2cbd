/*
 * The scheduler process (src/smtpd/scheduler.c) and its timing logic
 * (src/smtpd/scheduler_backend.c).
 *
 * The backend is a pure module (no process, no event loop, no clock of
 * its own: callers pass "now"), so that tests can drive it directly.  It
 * holds every committed envelope the queue told about, indexed by id and
 * ordered by the time of its next action:
 *
 *  - a new envelope (retry 0) is due at once;
 *  - after a temporary failure it is due at
 *	lasttry + min(retry_delay << (retry - 1), max_retry_delay)
 *    but never later than its expiry;
 *  - once due it is handed out as EXPIRE if now >= expire, else as
 *    DELIVER, and stays "in flight" until the queue reports a result;
 *    at most max_inflight envelopes are in flight, the rest wait.
 */
#ifndef POSTERN_SCHEDULER_H
#define POSTERN_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ipc.h"
#include "proc.h"

extern const struct proc_role	scheduler_role;

/* What the scheduler knows of an envelope (the "sched" payload of the
 * queue <-> scheduler messages, imsg_types.h). */
struct sched_info {
	uint64_t	si_evpid;
	uint8_t		si_type;		/* enum evp_type */
	time_t		si_creation;
	time_t		si_expire;
	uint32_t	si_retry;
	time_t		si_lasttry;
};

/* The "sched" payload: writer, and reader (values valid after m_end). */
void	sched_info_add(struct msg_out *, const struct sched_info *);
void	sched_info_get(struct msg_in *, struct sched_info *);

#define SCHED_DELIVER	1
#define SCHED_EXPIRE	2

struct sched;

struct sched	*sched_new(time_t retry_delay, time_t max_retry_delay,
		    size_t max_inflight);
void		 sched_free(struct sched *);

/* New parameters (a configuration reload): every waiting envelope's
 * next action time is computed again. */
void		 sched_set_params(struct sched *, time_t retry_delay,
		    time_t max_retry_delay, size_t max_inflight);

/* Delay before retry number `retry` (>= 1). */
time_t		 sched_backoff(const struct sched *, uint32_t retry);

/* 0, or -1 if the id is 0 or already known. */
int		 sched_insert(struct sched *, const struct sched_info *);

/* An envelope in flight failed temporarily: wait for its next try.
 * 0, or -1 if it is unknown or not in flight. */
int		 sched_tempfail(struct sched *, uint64_t evpid, uint32_t retry,
		    time_t lasttry);

/* Forget an envelope (delivered, bounced, removed by the queue).
 * 0, or -1 if it is unknown. */
int		 sched_remove(struct sched *, uint64_t evpid);

/*
 * The next envelope due at `now`, if any and if fewer than max_inflight
 * are in flight: 1 with *evpid and *action (SCHED_DELIVER or
 * SCHED_EXPIRE) set, the envelope now in flight; else 0.
 */
int		 sched_next(struct sched *, time_t now, uint64_t *evpid,
		    int *action);

/* When sched_next() can next return something: 0 with *when set, or -1
 * if nothing waits or the in-flight cap is reached. */
int		 sched_next_time(const struct sched *, time_t *when);

/* Time of the next action of a waiting envelope: 0 with *when, or -1
 * if it is unknown or in flight. */
int		 sched_envelope_time(const struct sched *, uint64_t evpid,
		    time_t *when);

size_t		 sched_count(const struct sched *);
size_t		 sched_inflight(const struct sched *);

#endif
