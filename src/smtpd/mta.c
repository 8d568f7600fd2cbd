/*
 * mta: the outbound SMTP client.  Runs as _smtpd chrooted to an empty
 * directory; it will parse replies from remote servers and treats them
 * as hostile.  Peers: parent (configuration), control (stats, pause),
 * lka (MX and credentials), queue (message descriptors, results), ca
 * (client certificate signing), scheduler (delivery tasks).
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "mta.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	mta_dispatch_parent(struct ipc_msg *);
static void	mta_dispatch_control(struct ipc_msg *);
static void	mta_dispatch_lka(struct ipc_msg *);
static void	mta_dispatch_queue(struct ipc_msg *);
static void	mta_dispatch_ca(struct ipc_msg *);
static void	mta_dispatch_scheduler(struct ipc_msg *);
static void	mta_pause(struct ipc_msg *);
static void	mta_deliver(struct ipc_msg *);

static const struct proc_peer mta_peers[] = {
	{ PROC_PARENT,	mta_dispatch_parent },
	{ PROC_CONTROL,	mta_dispatch_control },
	{ PROC_LKA,	mta_dispatch_lka },
	{ PROC_QUEUE,	mta_dispatch_queue },
	{ PROC_CA,	mta_dispatch_ca },
	{ PROC_SCHEDULER,	mta_dispatch_scheduler },
	{ PROC_PARENT,	NULL }
};

static int			mta_paused;

const struct proc_role mta_role = {
	.ro_peers = mta_peers,
	.ro_init = NULL,
	.ro_config = NULL,
	.ro_shutdown = NULL,
};

static void
mta_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CTL_PAUSE:
		mta_pause(msg);
		break;
	default:
		proc_bad_msg(PROC_PARENT, msg, "unexpected message");
	}
}

static void
mta_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
mta_dispatch_lka(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_LKA, msg, "unexpected message");
}

static void
mta_dispatch_queue(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_QUEUE_DELIVER:
		mta_deliver(msg);
		break;
	default:
		proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
	}
}

/*
 * Outbound delivery comes with a later issue: until then every relayed
 * envelope fails temporarily, stays queued and is retried (and expires
 * with a bounce after the queue ttl), instead of being lost.
 */
static void
mta_deliver(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct msg_out	 out;
	struct envelope	 evp;
	char		 from[2 * SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 8];
	char		 to[2 * SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 8];
	const char	*text, *errstr;

	if (msg->fd == -1)
		proc_bad_msg(PROC_QUEUE, msg, "delivery without a message");
	close(msg->fd);
	m_open(&in, msg);
	m_get_string(&in, &text);
	if (m_end(&in) == -1)
		proc_bad_msg(PROC_QUEUE, msg, "bad delivery");
	if (envelope_load(&evp, text, strlen(text), &errstr) == -1) {
		log_warnx("mta_deliver: envelope: %s", errstr);
		proc_bad_msg(PROC_QUEUE, msg, "invalid envelope");
	}
	if (evp.evp_id == 0 || evp.evp_type != EVP_MTA)
		proc_bad_msg(PROC_QUEUE, msg, "not a relay envelope");
	if (mailaddr_format(&evp.evp_sender, from, sizeof(from)) == -1)
		strlcpy(from, "?", sizeof(from));
	if (mailaddr_format(&evp.evp_dest, to, sizeof(to)) == -1)
		strlcpy(to, "?", sizeof(to));
	log_info("%016llx mta delivery evpid=%016llx from=<%s> to=<%s> "
	    "rcpt=- source=\"-\" relay=\"-\" delay=%llds "
	    "result=\"TempFail\" "
	    "stat=\"outbound delivery is not available in this version\"",
	    (unsigned long long)evp.evp_id, (unsigned long long)evp.evp_id,
	    from, to, (long long)(time(NULL) - evp.evp_creation));
	m_init(&out);
	m_add_u64(&out, evp.evp_id);
	m_add_string(&out, "4.3.0 outbound delivery is not available in "
	    "this version");
	proc_send(PROC_QUEUE, IMSG_DELIVERY_TEMPFAIL, 0, -1, &out);
}

static void
mta_dispatch_ca(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CA, msg, "unexpected message");
}

static void
mta_dispatch_scheduler(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
}

/* -P at start-up: the parent says this subsystem begins paused. */
static void
mta_pause(struct ipc_msg *msg)
{
	mta_paused = (proc_msg_u32(PROC_PARENT, msg) & PROC_PAUSE_MTA) != 0;
	if (mta_paused)
		log_info("mta_pause: mta is paused");
}
