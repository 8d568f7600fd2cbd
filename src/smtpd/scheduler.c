/*
 * scheduler: the in-memory schedule of envelopes (retries, expiry,
 * hold/pause, batching).  Runs as _smtpq chrooted to an empty
 * directory and never sees message data.  Peers: parent
 * (configuration), control (stats), queue (envelopes), mta and mda
 * (delivery tasks).  Parses no network input.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "scheduler.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	scheduler_dispatch_parent(struct ipc_msg *);
static void	scheduler_dispatch_control(struct ipc_msg *);
static void	scheduler_dispatch_queue(struct ipc_msg *);
static void	scheduler_dispatch_mta(struct ipc_msg *);
static void	scheduler_dispatch_mda(struct ipc_msg *);

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
	.ro_init = NULL,
	.ro_config = NULL,
	.ro_shutdown = NULL,
};

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
scheduler_dispatch_queue(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
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
