/*
 * lka: the lookup agent.  Runs as _smtpd without chroot, because it
 * reads tables, aliases and :include: files and calls getpwnam (DNS
 * comes later).  Peers: parent (configuration; opens ~/.forward files
 * and runs PAM checks for it), control (stats), smtp (a rule decision
 * and expansion for each RCPT, AUTH checks in lka_auth.c), queue
 * (takes the envelopes; asks for bounce recipients),
 * mta and mda (nothing yet).  It parses no network input; the
 * configuration from the parent is trusted, every other message is
 * checked for shape and envelopes are re-validated by envelope_load().
 *
 * One request per recipient: expand it (lka_expand.c), possibly waiting
 * for the parent to open a .forward, then hand the envelopes to the
 * queue (IMSG_LKA_ENVELOPE .. _END, our request id as peerid), wait for
 * its ACK and only then answer the requester.  Requests in flight are
 * bounded by LKA_MAX_REQUESTS; beyond it a recipient gets a temporary
 * failure.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ifaddrs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "proc.h"
#include "proc_priv.h"
#include "stat.h"
#include "table.h"

enum lka_req_state {
	LR_EXPAND,		/* running or waiting for a .forward */
	LR_ACK,			/* envelopes sent, waiting for the queue */
};

struct lka_req {
	RB_ENTRY(lka_req)	 lr_node;
	uint32_t		 lr_id;
	enum proc_id		 lr_peer;	/* PROC_SMTP or PROC_QUEUE */
	uint32_t		 lr_peerid;
	uint32_t		 lr_msgid;
	enum lka_req_state	 lr_state;
	int			 lr_stale;	/* config changed meanwhile */
	struct mailaddr		 lr_rcpt;
	struct lka_expand	*lr_x;
};

RB_HEAD(lka_reqs, lka_req);

static struct lka_reqs	 lka_reqs = RB_INITIALIZER(&lka_reqs);
static size_t		 lka_nreqs;
static uint32_t		 lka_next_id;
static struct lka_ctx	 lka_ctx;
static struct msg_out	 lka_mo;

static void	lka_dispatch_parent(struct ipc_msg *);
static void	lka_dispatch_control(struct ipc_msg *);
static void	lka_dispatch_smtp(struct ipc_msg *);
static void	lka_dispatch_mta(struct ipc_msg *);
static void	lka_dispatch_mda(struct ipc_msg *);
static void	lka_dispatch_queue(struct ipc_msg *);
static void	lka_config(void);
static void	lka_run(struct lka_req *);

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

static int
lka_req_cmp(struct lka_req *a, struct lka_req *b)
{
	return a->lr_id < b->lr_id ? -1 : a->lr_id > b->lr_id;
}

/* libbsd's tree.h marks static tree functions __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
RB_PROTOTYPE_STATIC(lka_reqs, lka_req, lr_node, lka_req_cmp)
RB_GENERATE_STATIC(lka_reqs, lka_req, lr_node, lka_req_cmp)

static struct lka_req *
lka_req_find(uint32_t id)
{
	struct lka_req	key;

	key.lr_id = id;
	return RB_FIND(lka_reqs, &lka_reqs, &key);
}

static void
lka_req_free(struct lka_req *r)
{
	RB_REMOVE(lka_reqs, &lka_reqs, r);
	lka_nreqs--;
	stat_decrement("lka.requests", 1);
	lka_expand_free(r->lr_x);
	free(r);
}

/* Answer the requester and forget the request. */
static void
lka_reply(struct lka_req *r, int code, const char *text)
{
	m_init(&lka_mo);
	m_add_u32(&lka_mo, code);
	m_add_string(&lka_mo, code == 250 ? NULL : text);
	proc_send(r->lr_peer, r->lr_peer == PROC_SMTP ? IMSG_LKA_RCPT :
	    IMSG_LKA_BOUNCE_RCPT, r->lr_peerid, -1, &lka_mo);
	stat_increment(code == 250 ? "lka.rcpt.accepted" :
	    code < 500 ? "lka.rcpt.tempfail" : "lka.rcpt.refused", 1);
	lka_req_free(r);
}

static void
lka_reply_tempfail(struct lka_req *r)
{
	char	addr[SMTP_PATH_MAX + 1], text[SMTP_REPLY_MAX];

	if (mailaddr_format(&r->lr_rcpt, addr, sizeof(addr)) == -1)
		strlcpy(addr, "?", sizeof(addr));
	snprintf(text, sizeof(text), "4.3.0 Temporary failure: <%s>", addr);
	lka_reply(r, 451, text);
}

/*
 * Expansion done and accepted: hand the envelopes to the queue.  Every
 * envelope is checked to serialise before any is sent, so that a
 * refused recipient never leaves envelopes behind.
 */
static void
lka_submit(struct lka_req *r)
{
	char	buf[ENVELOPE_TEXT_MAX];
	size_t	i, n = lka_expand_count(r->lr_x);

	for (i = 0; i < n; i++) {
		if (envelope_dump(lka_expand_envelope(r->lr_x, i), buf,
		    sizeof(buf)) == -1) {
			log_warnx("lka_submit: envelope %zu of request %u "
			    "cannot be written", i, r->lr_id);
			lka_reply_tempfail(r);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		(void)envelope_dump(lka_expand_envelope(r->lr_x, i), buf,
		    sizeof(buf));
		m_init(&lka_mo);
		m_add_u32(&lka_mo, r->lr_msgid);
		m_add_string(&lka_mo, buf);
		proc_send(PROC_QUEUE, IMSG_LKA_ENVELOPE, r->lr_id, -1, &lka_mo);
	}
	m_init(&lka_mo);
	m_add_u32(&lka_mo, r->lr_msgid);
	m_add_u32(&lka_mo, n);
	proc_send(PROC_QUEUE, IMSG_LKA_ENVELOPE_END, r->lr_id, -1, &lka_mo);
	r->lr_state = LR_ACK;
}

static void
lka_run(struct lka_req *r)
{
	const char	*user;

	if (lka_expand_run(r->lr_x) == LKA_EXPAND_FORWARD) {
		user = lka_expand_forward_user(r->lr_x);
		m_init(&lka_mo);
		m_add_string(&lka_mo, user);
		proc_send(PROC_PARENT, IMSG_LKA_FORWARD_OPEN, r->lr_id, -1,
		    &lka_mo);
		return;
	}
	if (lka_expand_code(r->lr_x) != 250) {
		lka_reply(r, lka_expand_code(r->lr_x),
		    lka_expand_text(r->lr_x));
		return;
	}
	lka_submit(r);
}

/* A recipient to expand, from smtp or (a bounce) from the queue. */
static void
lka_request(enum proc_id peer, struct ipc_msg *msg)
{
	struct msg_in	 mi;
	struct envelope	 evp;
	struct lka_req	*r;
	const char	*text, *errstr = NULL;
	uint32_t	 msgid;

	m_open(&mi, msg);
	m_get_u32(&mi, &msgid);
	m_get_string(&mi, &text);
	if (m_end(&mi) == -1)
		proc_bad_msg(peer, msg, "bad payload");
	if (envelope_load(&evp, text, strlen(text), &errstr) == -1) {
		log_warnx("lka_request: envelope: %s",
		    errstr != NULL ? errstr : "invalid");
		proc_bad_msg(peer, msg, "bad envelope");
	}
	if (peer == PROC_QUEUE) {
		/* A bounce is mail from the local host. */
		strlcpy(evp.evp_src, "local", sizeof(evp.evp_src));
		evp.evp_flags |= EF_LOCAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("lka_request");
	do {
		r->lr_id = ++lka_next_id;
	} while (r->lr_id == 0 || lka_req_find(r->lr_id) != NULL);
	r->lr_peer = peer;
	r->lr_peerid = msg->hdr.peerid;
	r->lr_msgid = msgid;
	r->lr_rcpt = evp.evp_rcpt;
	RB_INSERT(lka_reqs, &lka_reqs, r);
	lka_nreqs++;
	stat_increment("lka.requests", 1);
	if (lka_nreqs > LKA_MAX_REQUESTS || proc_config() == NULL) {
		log_warnx("lka_request: %zu requests in flight, refusing "
		    "temporarily", lka_nreqs);
		lka_reply_tempfail(r);
		return;
	}
	r->lr_x = lka_expand_new(&lka_ctx, &evp);
	lka_run(r);
}

static void
lka_forward_answer(struct ipc_msg *msg)
{
	struct msg_in	 mi;
	struct lka_req	*r;
	uint32_t	 result;
	int		 fd = msg->fd;

	m_open(&mi, msg);
	m_get_u32(&mi, &result);
	if (m_end(&mi) == -1 || (result == 0) != (fd != -1))
		proc_bad_msg(PROC_PARENT, msg, "bad payload");
	r = lka_req_find(msg->hdr.peerid);
	if (r == NULL || r->lr_state != LR_EXPAND ||
	    lka_expand_forward_user(r->lr_x) == NULL)
		proc_bad_msg(PROC_PARENT, msg, "no such request");
	if (r->lr_stale) {
		if (fd != -1)
			close(fd);
		lka_reply_tempfail(r);
		return;
	}
	lka_expand_forward(r->lr_x, result, fd);
	lka_run(r);
}

static void
lka_ack(struct ipc_msg *msg)
{
	struct msg_in	 mi;
	struct lka_req	*r;
	uint32_t	 ok;

	m_open(&mi, msg);
	m_get_u32(&mi, &ok);
	if (m_end(&mi) == -1 || msg->fd != -1)
		proc_bad_msg(PROC_QUEUE, msg, "bad payload");
	r = lka_req_find(msg->hdr.peerid);
	if (r == NULL || r->lr_state != LR_ACK)
		proc_bad_msg(PROC_QUEUE, msg, "no such request");
	if (!ok)
		lka_reply_tempfail(r);
	else
		lka_reply(r, 250, NULL);
}

static void
lka_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_PARENT_FORWARD_OPEN:
		lka_forward_answer(msg);
		break;
	case IMSG_PARENT_AUTH_PAM:
		lka_auth_pam_answer(msg);
		break;
	default:
		proc_bad_msg(PROC_PARENT, msg, "unexpected message");
	}
}

static void
lka_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
lka_dispatch_smtp(struct ipc_msg *msg)
{
	if (msg->fd != -1)
		proc_bad_msg(PROC_SMTP, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_SMTP_RCPT:
		lka_request(PROC_SMTP, msg);
		break;
	case IMSG_SMTP_AUTH:
		lka_auth_request(&lka_ctx, msg);
		break;
	case IMSG_SMTP_SENDER_CHECK:
		lka_sender_request(&lka_ctx, msg);
		break;
	default:
		proc_bad_msg(PROC_SMTP, msg, "unexpected message");
	}
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
	if (msg->fd != -1)
		proc_bad_msg(PROC_QUEUE, msg, "unexpected descriptor");
	switch (msg->hdr.type) {
	case IMSG_QUEUE_ENVELOPE_ACK:
		lka_ack(msg);
		break;
	case IMSG_QUEUE_BOUNCE_RCPT:
		lka_request(PROC_QUEUE, msg);
		break;
	default:
		proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
	}
}

/* The addresses of the local interfaces, for "from local", "for local". */
static void
lka_localaddrs(struct lka_ctx *ctx)
{
	struct ifaddrs	*ifa, *p;
	char		 buf[INET6_ADDRSTRLEN];
	const void	*a;
	size_t		 i, n = 0;

	for (i = 0; i < ctx->lc_nlocaladdrs; i++)
		free(ctx->lc_localaddrs[i]);
	free(ctx->lc_localaddrs);
	ctx->lc_localaddrs = NULL;
	ctx->lc_nlocaladdrs = 0;
	if (getifaddrs(&ifa) == -1) {
		log_warn("lka_localaddrs: getifaddrs (only loopback is "
		    "local)");
		return;
	}
	for (p = ifa; p != NULL; p = p->ifa_next)
		n++;
	if (n > 0 && (ctx->lc_localaddrs = calloc(n,
	    sizeof(*ctx->lc_localaddrs))) == NULL)
		fatal("lka_localaddrs");
	for (p = ifa; p != NULL; p = p->ifa_next) {
		if (p->ifa_addr == NULL)
			continue;
		/* inet_ntop, not getnameinfo: no interface name lookup
		 * (an ioctl) for scoped addresses, and a client address
		 * never carries a scope anyway. */
		if (p->ifa_addr->sa_family == AF_INET)
			a = &((struct sockaddr_in *)p->ifa_addr)->sin_addr;
		else if (p->ifa_addr->sa_family == AF_INET6)
			a = &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(p->ifa_addr->sa_family, a, buf, sizeof(buf)) ==
		    NULL)
			continue;
		if ((ctx->lc_localaddrs[ctx->lc_nlocaladdrs] =
		    strdup(buf)) == NULL)
			fatal("lka_localaddrs");
		ctx->lc_nlocaladdrs++;
	}
	freeifaddrs(ifa);
}

static void
lka_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	struct table_set		*old = lka_ctx.lc_tables;
	const struct match		*m;
	struct lka_req			*r;
	size_t				 nrules = 0;

	/* Expansions in progress point into the old config. */
	RB_FOREACH(r, lka_reqs, &lka_reqs)
		if (r->lr_state == LR_EXPAND)
			r->lr_stale = 1;
	lka_ctx.lc_conf = conf;
	lka_ctx.lc_tables = table_set_load(conf, old);
	table_set_free(old);
	if (lka_ctx.lc_alias_user == NULL)
		lka_ctx.lc_alias_user = proc_priv_get(PROC_LKA)->pv_user;
	lka_localaddrs(&lka_ctx);
	TAILQ_FOREACH(m, &conf->sc_matches, m_entry)
		nrules++;
	log_debug("lka_config: %zu rules, %zu local addresses", nrules,
	    lka_ctx.lc_nlocaladdrs);
}
