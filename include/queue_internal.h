/*
 * Inside the queue process: what queue.c and queue_bounce.c share.
 * Not for other processes (they talk to the queue by messages only).
 */
#ifndef POSTERN_QUEUE_INTERNAL_H
#define POSTERN_QUEUE_INTERNAL_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "envelope.h"
#include "ipc.h"
#include "queue.h"
#include "scheduler.h"

/* An incoming message: being received by smtp or built as a bounce. */
struct qmsg {
	RB_ENTRY(qmsg)		 qm_entry;
	TAILQ_ENTRY(qmsg)	 qm_commit;	/* while QM_COMMITTING */
	uint32_t		 qm_msgid;
	int			 qm_state;
	uint32_t		 qm_reqid;	/* smtp's request id */
	struct qbounce		*qm_bounce;	/* NULL: from smtp */
	struct sched_info	*qm_evps;	/* its envelopes so far */
	size_t			 qm_nevp;
	size_t			 qm_evpsz;
};

/* A temporary failure whose envelope update waits for a sync. */
struct qupdate {
	TAILQ_ENTRY(qupdate)	 qu_entry;
	struct envelope		 qu_evp;	/* as updated */
	time_t			 qu_prevtry;	/* lasttry before */
	int			 qu_warn;	/* maybe a delay report */
};

#define QM_OPEN		0	/* receiving envelopes */
#define QM_COMMITTING	1	/* waiting for the next group commit */

extern const struct queue_backend	*queue_be;

/* A new incoming message (fd: its write-only message file), or NULL. */
struct qmsg	*queue_msg_new(struct qbounce *, int *fd);
/* Join the next group commit; queue_bounce_committed() follows for a
 * bounce. */
void		 queue_msg_commit(struct qmsg *);
void		 queue_msg_rollback(struct qmsg *);
/* Install with the next group commit's sync, then
 * queue_tempfail_done(). */
void		 queue_update_add(struct qupdate *);

/* queue_deliver.c */
/* Read and validate a committed envelope: 0, or -1 (the envelope was
 * moved to corrupt/, or could not be read now and is retried later;
 * the scheduler was told either way). */
int		 queue_evp_read(uint64_t evpid, struct envelope *,
		    char *text, size_t len);
/* Give up an envelope the spool cannot serve: to corrupt/ (with its
 * message if whole_message), logged, the scheduler told. */
void		 queue_evp_drop(uint64_t evpid, int whole_message,
		    const char *why);
/* Copy an error line into the envelope, made safe for the text form. */
void		 queue_evp_set_error(struct envelope *, const char *,
		    const char *);

/* End of a permanent failure or expiry (the bounce is queued, was not
 * needed, or was dropped): remove the envelope, tell the scheduler. */
void		 queue_permfail_done(uint64_t evpid);
/* The bounce could not be queued now: keep the envelope, count a
 * temporary failure so that it comes back later. */
void		 queue_permfail_retry(uint64_t evpid, const char *errorline);

/* queue_load.c: clear incoming/, then load the queue (in the loop). */
void		 queue_load_start(void);
/* A message committed now: the load must not schedule it again. */
void		 queue_load_fresh(uint32_t msgid);

/* queue_deliver.c: the scheduler's orders, mda's and mta's results. */
void		 queue_sched_deliver(struct ipc_msg *);
void		 queue_sched_expire(struct ipc_msg *);
void		 queue_delivery_result(enum proc_id, struct ipc_msg *);
void		 queue_tempfail_done(struct qupdate *, int synced);

/* queue_bounce.c */
void		 queue_bounce_failed(const struct envelope *);
void		 queue_bounce_delayed(const struct envelope *, time_t prevtry);
void		 queue_bounce_lka(struct ipc_msg *);
void		 queue_bounce_committed(struct qbounce *, int ok);

#endif
