/*
 * ca: holds every TLS private key and, once TLS lands, signs handshakes
 * on behalf of smtp and mta.  Runs as _smtpd chrooted to an empty
 * directory.  Peers: parent (configuration, the only source of keys),
 * control (stats), smtp and mta (signing requests).  Trusts the parent;
 * checks everything else.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "ca.h"
#include "log.h"
#include "proc.h"
#include "stat.h"

static void	ca_dispatch_parent(struct ipc_msg *);
static void	ca_dispatch_control(struct ipc_msg *);
static void	ca_dispatch_smtp(struct ipc_msg *);
static void	ca_dispatch_mta(struct ipc_msg *);
static void	ca_config(void);

static const struct proc_peer ca_peers[] = {
	{ PROC_PARENT,	ca_dispatch_parent },
	{ PROC_CONTROL,	ca_dispatch_control },
	{ PROC_SMTP,	ca_dispatch_smtp },
	{ PROC_MTA,	ca_dispatch_mta },
	{ PROC_PARENT,	NULL }
};

const struct proc_role ca_role = {
	.ro_peers = ca_peers,
	.ro_init = NULL,
	.ro_config = ca_config,
	.ro_shutdown = NULL,
};

static void
ca_dispatch_parent(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
ca_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
ca_dispatch_smtp(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SMTP, msg, "unexpected message");
}

static void
ca_dispatch_mta(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MTA, msg, "unexpected message");
}

/* The keys arrive only here; count them so that stats show it. */
static void
ca_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	const struct pki		*pki;
	int64_t				 nkeys = 0;

	TAILQ_FOREACH(pki, &conf->sc_pkis, pki_entry) {
		if (pki->pki_key != NULL)
			nkeys++;
	}
	stat_set("ca.keys", nkeys);
}
