/*
 * smtp: the SMTP frontend.  Runs as _smtpd chrooted to an empty
 * directory; it is the process that will parse client SMTP, so it
 * holds no keys and opens no files.  Peers: parent (configuration,
 * later the listening sockets), control (stats, pause), lka (rules),
 * queue (messages), ca (TLS signing).  This version holds the
 * configuration and answers stats; the sessions come with the next
 * issue.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "smtp.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	smtp_dispatch_parent(struct ipc_msg *);
static void	smtp_dispatch_control(struct ipc_msg *);
static void	smtp_dispatch_lka(struct ipc_msg *);
static void	smtp_dispatch_queue(struct ipc_msg *);
static void	smtp_dispatch_ca(struct ipc_msg *);
static void	smtp_pause(struct ipc_msg *);
static void	smtp_config(void);

static const struct proc_peer smtp_peers[] = {
	{ PROC_PARENT,	smtp_dispatch_parent },
	{ PROC_CONTROL,	smtp_dispatch_control },
	{ PROC_LKA,	smtp_dispatch_lka },
	{ PROC_QUEUE,	smtp_dispatch_queue },
	{ PROC_CA,	smtp_dispatch_ca },
	{ PROC_PARENT,	NULL }
};

static int			smtp_paused;

const struct proc_role smtp_role = {
	.ro_peers = smtp_peers,
	.ro_init = NULL,
	.ro_config = smtp_config,
	.ro_shutdown = NULL,
};

static void
smtp_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CTL_PAUSE:
		smtp_pause(msg);
		break;
	default:
		proc_bad_msg(PROC_PARENT, msg, "unexpected message");
	}
}

static void
smtp_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
smtp_dispatch_lka(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_LKA, msg, "unexpected message");
}

static void
smtp_dispatch_queue(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
}

static void
smtp_dispatch_ca(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CA, msg, "unexpected message");
}

/* The listeners this configuration asks for (the socket excluded). */
static void
smtp_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	const struct listener		*l;
	int64_t				 n = 0;

	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (!(l->l_flags & L_SOCKET))
			n++;
	}
	stat_set("smtp.listeners", n);
}

/* -P at start-up: the parent says this subsystem begins paused. */
static void
smtp_pause(struct ipc_msg *msg)
{
	smtp_paused = (proc_msg_u32(PROC_PARENT, msg) & PROC_PAUSE_SMTP) != 0;
	if (smtp_paused)
		log_info("smtp_pause: smtp is paused");
}
