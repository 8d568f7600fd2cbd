/*
 * lka: the lookup agent.  Runs as _smtpd without chroot, because it
 * reads tables, aliases and (later) resolves DNS.  Peers: parent
 * (configuration), control (stats), smtp, mta, mda and queue (rule
 * matching, expansion, credentials, DNS once those issues land).  It
 * parses no network input; the configuration from the parent is
 * trusted, every other message is checked for shape.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	lka_dispatch_parent(struct ipc_msg *);
static void	lka_dispatch_control(struct ipc_msg *);
static void	lka_dispatch_smtp(struct ipc_msg *);
static void	lka_dispatch_mta(struct ipc_msg *);
static void	lka_dispatch_mda(struct ipc_msg *);
static void	lka_dispatch_queue(struct ipc_msg *);
static void	lka_config(void);

static const struct proc_peer lka_peers[] = {
	{ PROC_PARENT,	lka_dispatch_parent },
	{ PROC_CONTROL,	lka_dispatch_control },
	{ PROC_SMTP,	lka_dispatch_smtp },
	{ PROC_MTA,	lka_dispatch_mta },
	{ PROC_MDA,	lka_dispatch_mda },
	{ PROC_QUEUE,	lka_dispatch_queue },
	{ PROC_PARENT,	NULL }
};

const struct proc_role lka_role = {
	.ro_peers = lka_peers,
	.ro_init = NULL,
	.ro_config = lka_config,
	.ro_shutdown = NULL,
};

static void
lka_dispatch_parent(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
lka_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
lka_dispatch_smtp(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SMTP, msg, "unexpected message");
}

static void
lka_dispatch_mta(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MTA, msg, "unexpected message");
}

static void
lka_dispatch_mda(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MDA, msg, "unexpected message");
}

static void
lka_dispatch_queue(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
}

static void
lka_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	const struct table		*t;
	const struct match		*m;
	size_t				 ntables = 0, nrules = 0;

	TAILQ_FOREACH(t, &conf->sc_tables, t_entry)
		ntables++;
	TAILQ_FOREACH(m, &conf->sc_matches, m_entry)
		nrules++;
	log_debug("lka_config: %zu tables, %zu rules", ntables, nrules);
}
