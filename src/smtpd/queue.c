/*
 * queue: the only process that opens spool files.  Runs as _smtpq
 * chrooted to the spool directory (the `queue path`), so every path it
 * uses is relative to the spool root.  Peers: parent (configuration),
 * control (stats), smtp (new messages), mta and mda (message
 * descriptors, results), lka (expansion of bounces), scheduler
 * (envelopes).  Parses no network input.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "queue.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	queue_dispatch_parent(struct ipc_msg *);
static void	queue_dispatch_control(struct ipc_msg *);
static void	queue_dispatch_smtp(struct ipc_msg *);
static void	queue_dispatch_mta(struct ipc_msg *);
static void	queue_dispatch_mda(struct ipc_msg *);
static void	queue_dispatch_lka(struct ipc_msg *);
static void	queue_dispatch_scheduler(struct ipc_msg *);
static void	queue_init(void);

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
	.ro_shutdown = NULL,
};

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

static void
queue_dispatch_smtp(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SMTP, msg, "unexpected message");
}

static void
queue_dispatch_mta(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MTA, msg, "unexpected message");
}

static void
queue_dispatch_mda(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MDA, msg, "unexpected message");
}

static void
queue_dispatch_lka(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_LKA, msg, "unexpected message");
}

static void
queue_dispatch_scheduler(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
}

/*
 * The parent created the spool tree before starting us; check that this
 * process, as _smtpq inside the chroot, can really use it, so that a
 * broken set-up fails at start and not on the first message.
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
}
