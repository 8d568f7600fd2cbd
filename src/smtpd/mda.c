/*
 * mda: tracks local deliveries and asks the parent to run them as the
 * recipient.  Runs as _smtpd chrooted to an empty directory.  Peers:
 * parent (configuration, later delivery children), control (stats,
 * pause), lka (user lookups), queue (message descriptors, results),
 * scheduler (delivery tasks).  Parses no network input.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "mda.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	mda_dispatch_parent(struct ipc_msg *);
static void	mda_dispatch_control(struct ipc_msg *);
static void	mda_dispatch_lka(struct ipc_msg *);
static void	mda_dispatch_queue(struct ipc_msg *);
static void	mda_dispatch_scheduler(struct ipc_msg *);
static void	mda_pause(struct ipc_msg *);

static const struct proc_peer mda_peers[] = {
	{ PROC_PARENT,	mda_dispatch_parent },
	{ PROC_CONTROL,	mda_dispatch_control },
	{ PROC_LKA,	mda_dispatch_lka },
	{ PROC_QUEUE,	mda_dispatch_queue },
	{ PROC_SCHEDULER,	mda_dispatch_scheduler },
	{ PROC_PARENT,	NULL }
};

static int			mda_paused;

const struct proc_role mda_role = {
	.ro_peers = mda_peers,
	.ro_init = NULL,
	.ro_config = NULL,
	.ro_shutdown = NULL,
};

static void
mda_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CTL_PAUSE:
		mda_pause(msg);
		break;
	default:
		proc_bad_msg(PROC_PARENT, msg, "unexpected message");
	}
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
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
}

static void
mda_dispatch_scheduler(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
}

/* -P at start-up: the parent says this subsystem begins paused. */
static void
mda_pause(struct ipc_msg *msg)
{
	mda_paused = (proc_msg_u32(PROC_PARENT, msg) & PROC_PAUSE_MDA) != 0;
	if (mda_paused)
		log_info("mda_pause: mda is paused");
}
