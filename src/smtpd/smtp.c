/*
 * smtp: the SMTP frontend.  Runs as _smtpd chrooted to an empty
 * directory under its system call filter; it is the only process that
 * parses client SMTP, so it holds no keys and opens no files: listening
 * sockets come from the parent, message files from the queue.  Peers:
 * parent (configuration, listening sockets, pause), control (stats),
 * lka (a rule decision for each recipient), queue (create, commit and
 * roll back messages), ca (TLS private key operations, tls_key.c).
 * Trusted input: the messages of those peers (checked, fatal when
 * malformed).  Untrusted: every byte from a client (smtp_session.c,
 * smtp_tls.c).
 *
 * This file: the process, its listeners, accepting, the session limits
 * (total, per client address, descriptor budget) and the routing of
 * peers' answers to sessions by request id.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "proc.h"
#include "smtp.h"
#include "smtp_session.h"
#include "smtp_tx.h"
#include "stat.h"

/* Sessions per client address. */
struct smtp_ipcount {
	RB_ENTRY(smtp_ipcount)	 ic_node;
	sa_family_t		 ic_family;
	uint8_t			 ic_addr[16];
	size_t			 ic_count;
};
RB_HEAD(smtp_ipcounts, smtp_ipcount);
RB_HEAD(smtp_reqids, smtp_session);
TAILQ_HEAD(smtp_sessions, smtp_session);
TAILQ_HEAD(smtp_listeners, smtp_listener);

static void	smtp_dispatch_parent(struct ipc_msg *);
static void	smtp_dispatch_control(struct ipc_msg *);
static void	smtp_dispatch_lka(struct ipc_msg *);
static void	smtp_dispatch_queue(struct ipc_msg *);
static void	smtp_dispatch_ca(struct ipc_msg *);
static void	smtp_pause(struct ipc_msg *);
static void	smtp_init(void);
static void	smtp_config(void);
static void	smtp_accept(int, short, void *);
static void	smtp_listeners_enable(int);

static const struct proc_peer smtp_peers[] = {
	{ PROC_PARENT,	smtp_dispatch_parent },
	{ PROC_CONTROL,	smtp_dispatch_control },
	{ PROC_LKA,	smtp_dispatch_lka },
	{ PROC_QUEUE,	smtp_dispatch_queue },
	{ PROC_CA,	smtp_dispatch_ca },
	{ PROC_PARENT,	NULL }
};

const struct proc_role smtp_role = {
	.ro_peers = smtp_peers,
	.ro_init = smtp_init,
	.ro_config = smtp_config,
	.ro_shutdown = NULL,
};

static int			smtp_paused;
static int			smtp_backoff;	/* out of descriptors */
static struct event		smtp_backoff_ev;
static struct smtp_listeners	smtp_listeners =
    TAILQ_HEAD_INITIALIZER(smtp_listeners);
static struct smtp_sessions	smtp_sessions =
    TAILQ_HEAD_INITIALIZER(smtp_sessions);
static struct smtp_reqids	smtp_reqids = RB_INITIALIZER(&smtp_reqids);
static struct smtp_ipcounts	smtp_ipcounts = RB_INITIALIZER(&smtp_ipcounts);
static size_t			smtp_nsessions;	/* with a socket */
static size_t			smtp_fd_budget;	/* sessions the fds allow */
static uint32_t			smtp_next_reqid;
static int			smtp_crowded;	/* last smtp_pressure() */

/* Not static: libbsd cannot mark the unused generated functions. */
int	smtp_reqid_cmp(const struct smtp_session *,
	    const struct smtp_session *);
int	smtp_ipcount_cmp(const struct smtp_ipcount *,
	    const struct smtp_ipcount *);
RB_PROTOTYPE(smtp_reqids, smtp_session, s_node, smtp_reqid_cmp);
RB_PROTOTYPE(smtp_ipcounts, smtp_ipcount, ic_node, smtp_ipcount_cmp);

int
smtp_reqid_cmp(const struct smtp_session *a, const struct smtp_session *b)
{
	return a->s_reqid < b->s_reqid ? -1 : a->s_reqid > b->s_reqid;
}

int
smtp_ipcount_cmp(const struct smtp_ipcount *a, const struct smtp_ipcount *b)
{
	if (a->ic_family != b->ic_family)
		return a->ic_family < b->ic_family ? -1 : 1;
	return memcmp(a->ic_addr, b->ic_addr, sizeof(a->ic_addr));
}

RB_GENERATE(smtp_reqids, smtp_session, s_node, smtp_reqid_cmp);
RB_GENERATE(smtp_ipcounts, smtp_ipcount, ic_node, smtp_ipcount_cmp);

/* ------------------------------------------------------------------ */
/* Limits */

/*
 * Every session holds its socket and, during a transaction, a message
 * file: the descriptor limit (raised to its hard value at start) minus
 * a reserve for channels, listeners and the log bounds the sessions.
 * Running out would make the queue's descriptors undeliverable, which
 * the channel layer rightly treats as fatal.
 */
static void
smtp_init(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("smtp_init: getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("smtp_init: setrlimit");
		else if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("smtp_init: getrlimit");
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1024 * 1024)
		rl.rlim_cur = 1024 * 1024;
	if (rl.rlim_cur <= 2 * SMTP_SESSION_FD_RESERVE)
		fatalx("smtp_init: only %llu descriptors allowed",
		    (unsigned long long)rl.rlim_cur);
	smtp_fd_budget = (rl.rlim_cur - SMTP_SESSION_FD_RESERVE) / 2;
	log_debug("smtp_init: descriptors allow %zu sessions",
	    smtp_fd_budget);
	/* Counters show from the start, not from their first change. */
	stat_set("smtp.session", 0);
	stat_set("smtp.session.inet4", 0);
	stat_set("smtp.session.inet6", 0);
	stat_set("smtp.session.refused", 0);
	stat_set("smtp.tx", 0);
	stat_set("smtp.messages", 0);
}

static size_t
smtp_max_sessions(void)
{
	size_t	max = proc_config()->sc_smtp_max_sessions;

	return max < smtp_fd_budget ? max : smtp_fd_budget;
}

int
smtp_pressure(void)
{
	return smtp_nsessions * 4 > smtp_max_sessions() * 3;
}

/* Crossing the 3/4 mark changes the idle timeouts of every session. */
static void
smtp_pressure_check(void)
{
	struct smtp_session	*s;
	int			 crowded = smtp_pressure();

	if (crowded == smtp_crowded)
		return;
	smtp_crowded = crowded;
	log_info("smtp_pressure_check: %zu sessions of %zu: idle timeouts %s",
	    smtp_nsessions, smtp_max_sessions(),
	    crowded ? "shortened" : "back to normal");
	TAILQ_FOREACH(s, &smtp_sessions, s_entry)
		smtp_session_timeouts(s);
}

static void
smtp_ipcount_key(struct smtp_ipcount *key, const struct sockaddr_storage *ss)
{
	memset(key, 0, sizeof(*key));
	key->ic_family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(key->ic_addr,
		    &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(key->ic_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static size_t
smtp_ipcount_get(const struct sockaddr_storage *ss)
{
	struct smtp_ipcount	key, *ic;

	smtp_ipcount_key(&key, ss);
	ic = RB_FIND(smtp_ipcounts, &smtp_ipcounts, &key);
	return ic != NULL ? ic->ic_count : 0;
}

static void
smtp_ipcount_add(const struct sockaddr_storage *ss, int delta)
{
	struct smtp_ipcount	key, *ic;

	smtp_ipcount_key(&key, ss);
	if ((ic = RB_FIND(smtp_ipcounts, &smtp_ipcounts, &key)) == NULL) {
		if (delta < 0)
			fatalx("smtp_ipcount_add: address not counted");
		if ((ic = malloc(sizeof(*ic))) == NULL)
			fatal("smtp_ipcount_add");
		*ic = key;
		ic->ic_count = 0;
		RB_INSERT(smtp_ipcounts, &smtp_ipcounts, ic);
	}
	if (delta > 0)
		ic->ic_count++;
	else if (--ic->ic_count == 0) {
		RB_REMOVE(smtp_ipcounts, &smtp_ipcounts, ic);
		free(ic);
	}
}

static const char *
smtp_family_key(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? "smtp.session.inet6" :
	    "smtp.session.inet4";
}

void
smtp_session_detach(struct smtp_session *s)
{
	TAILQ_REMOVE(&smtp_sessions, s, s_entry);
	smtp_ipcount_add(&s->s_ss, -1);
	smtp_nsessions--;
	stat_decrement("smtp.session", 1);
	stat_decrement(smtp_family_key(&s->s_ss), 1);
	smtp_listener_unref(s->s_l);
	s->s_l = NULL;
	smtp_pressure_check();
	/* Descriptors were short: one just came back. */
	if (smtp_backoff) {
		smtp_backoff = 0;
		evtimer_del(&smtp_backoff_ev);
		smtp_listeners_enable(!smtp_paused);
	}
}

void
smtp_session_forget(struct smtp_session *s)
{
	RB_REMOVE(smtp_reqids, &smtp_reqids, s);
}

static uint32_t
smtp_reqid_new(void)
{
	struct smtp_session	key;

	do {
		if (++smtp_next_reqid == 0)
			smtp_next_reqid = 1;
		key.s_reqid = smtp_next_reqid;
	} while (RB_FIND(smtp_reqids, &smtp_reqids, &key) != NULL);
	return smtp_next_reqid;
}

/* ------------------------------------------------------------------ */
/* Listeners and accepting */

void
smtp_listener_unref(struct smtp_listener *sl)
{
	if (--sl->sl_refs > 0)
		return;
	TAILQ_REMOVE(&smtp_listeners, sl, sl_entry);
	SSL_CTX_free(sl->sl_tls);
	free(sl);
}

static void
smtp_listener_close(struct smtp_listener *sl)
{
	if (sl->sl_ev_on)
		event_del(&sl->sl_ev);
	sl->sl_ev_on = 0;
	(void)close(sl->sl_fd);
	sl->sl_fd = -1;
	log_debug("smtp_listener_close: listener %u closed", sl->sl_index);
	smtp_listener_unref(sl);
}

static void
smtp_listeners_enable(int on)
{
	struct smtp_listener	*sl;

	TAILQ_FOREACH(sl, &smtp_listeners, sl_entry) {
		if (sl->sl_fd == -1 || sl->sl_ev_on == on)
			continue;
		if (on)
			event_add(&sl->sl_ev, NULL);
		else
			event_del(&sl->sl_ev);
		sl->sl_ev_on = on;
	}
}

static void
smtp_backoff_cb(int fd, short ev, void *arg)
{
	smtp_backoff = 0;
	smtp_listeners_enable(!smtp_paused);
}

/* Refused before any session exists: one write, then close. */
static void
smtp_refuse(int fd, const char *addr, const char *reply, const char *why)
{
	ssize_t	n;

	n = send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
	(void)close(fd);
	log_info("smtp_refuse: refused a connection from %s: %s", addr,
	    why);
	stat_increment("smtp.session.refused", 1);
}

static void
smtp_accept_one(struct smtp_listener *sl, int fd,
    const struct sockaddr_storage *ss)
{
	const struct smtpd_config	*conf = proc_config();
	struct smtp_session		*s;
	char				 addr[INET6_ADDRSTRLEN];
	const void			*a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, a, addr, sizeof(addr)) == NULL)
		(void)strlcpy(addr, "?", sizeof(addr));

	if (smtp_nsessions >= smtp_max_sessions()) {
		smtp_refuse(fd, addr, "421 4.3.2 Too many connections\r\n",
		    "too many sessions");
		return;
	}
	if (smtp_ipcount_get(ss) >= conf->sc_smtp_max_sessions_per_ip) {
		smtp_refuse(fd, addr, "421 4.7.0 Too many connections from "
		    "your address\r\n", "too many sessions from this address");
		return;
	}
	/* smtps without a TLS context: nothing can be said in clear. */
	if ((sl->sl_flags & L_SMTPS) && sl->sl_tls == NULL) {
		smtp_refuse(fd, addr, "", "no TLS context for smtps");
		return;
	}
	sl->sl_refs++;
	s = smtp_session_new(sl, fd, ss, smtp_reqid_new());
	RB_INSERT(smtp_reqids, &smtp_reqids, s);
	TAILQ_INSERT_TAIL(&smtp_sessions, s, s_entry);
	smtp_ipcount_add(ss, 1);
	smtp_nsessions++;
	stat_increment("smtp.session", 1);
	stat_increment(smtp_family_key(ss), 1);
	smtp_pressure_check();
	smtp_session_timeouts(s);
}

static void
smtp_accept(int lfd, short ev, void *arg)
{
	struct smtp_listener	*sl = arg;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { SMTP_ACCEPT_BACKOFF, 0 };
	socklen_t		 len;
	int			 fd, i;

	/* A burst is taken in rounds so one listener cannot hog the loop. */
	for (i = 0; i < 64; i++) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_warn("smtp_accept: accept4, not accepting "
				    "for %d s", SMTP_ACCEPT_BACKOFF);
				smtp_listeners_enable(0);
				smtp_backoff = 1;
				evtimer_set(&smtp_backoff_ev, smtp_backoff_cb,
				    NULL);
				event_base_set(proc_event_base(),
				    &smtp_backoff_ev);
				evtimer_add(&smtp_backoff_ev, &tv);
				return;
			default:
				/* EAGAIN, or a connection that went away */
				return;
			}
		}
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
			(void)close(fd);
			continue;
		}
		smtp_accept_one(sl, fd, &ss);
	}
}

/* IMSG_PARENT_LISTENER: u32 index in sc_listeners, fd. */
static void
smtp_listener_add(struct ipc_msg *msg)
{
	const struct smtpd_config	*conf = proc_config();
	const struct listener		*l;
	struct smtp_listener		*sl;
	struct msg_in			 mi;
	uint32_t			 idx, i = 0;

	m_open(&mi, msg);
	m_get_u32(&mi, &idx);
	if (m_end(&mi) == -1 || msg->fd == -1 || conf == NULL)
		proc_bad_msg(PROC_PARENT, msg, "bad payload");
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (i++ == idx)
			break;
	}
	if (l == NULL || (l->l_flags & L_SOCKET))
		proc_bad_msg(PROC_PARENT, msg, "no such TCP listener");
	/*
	 * Speaking plain SMTP where the client expects a PROXY header
	 * would be worse than not listening.
	 */
	if (l->l_flags & L_PROXY_V2) {
		log_warnx("smtp_listener_add: %s port %u: proxy-v2 is not "
		    "supported yet, listener not opened", l->l_name,
		    l->l_port);
		(void)close(msg->fd);
		msg->fd = -1;
		return;
	}

	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		fatal("smtp_listener_add");
	sl->sl_fd = msg->fd;
	msg->fd = -1;
	sl->sl_index = idx;
	sl->sl_flags = l->l_flags;
	sl->sl_senders = l->l_senders != NULL;
	sl->sl_refs = 1;
	/* Its sessions keep this context across reloads. */
	if ((sl->sl_tls = tls_server_ctx(idx)) != NULL &&
	    SSL_CTX_up_ref(sl->sl_tls) != 1)
		fatalx("smtp_listener_add: SSL_CTX_up_ref failed");
	if (strlcpy(sl->sl_hostname, l->l_hostname != NULL ? l->l_hostname :
	    conf->sc_hostname, sizeof(sl->sl_hostname)) >=
	    sizeof(sl->sl_hostname))
		fatalx("smtp_listener_add: host name too long");
	if (l->l_tag != NULL && strlcpy(sl->sl_tag, l->l_tag,
	    sizeof(sl->sl_tag)) >= sizeof(sl->sl_tag))
		fatalx("smtp_listener_add: tag too long");
	event_set(&sl->sl_ev, sl->sl_fd, EV_READ | EV_PERSIST, smtp_accept,
	    sl);
	event_base_set(proc_event_base(), &sl->sl_ev);
	TAILQ_INSERT_TAIL(&smtp_listeners, sl, sl_entry);
	if (!smtp_paused && !smtp_backoff) {
		event_add(&sl->sl_ev, NULL);
		sl->sl_ev_on = 1;
	}
	log_debug("smtp_listener_add: listener %u (%s)", idx, l->l_name);
}

/* IMSG_PARENT_LISTENERS_DONE: what did not come again is closed. */
static void
smtp_listeners_done(struct ipc_msg *msg)
{
	struct smtp_listener	*sl, *next;
	int64_t			 n = 0;

	if (msg->datalen != 0 || msg->fd != -1)
		proc_bad_msg(PROC_PARENT, msg, "bad payload");
	for (sl = TAILQ_FIRST(&smtp_listeners); sl != NULL; sl = next) {
		next = TAILQ_NEXT(sl, sl_entry);
		if (sl->sl_fd == -1)
			continue;
		if (sl->sl_old)
			smtp_listener_close(sl);
		else
			n++;
	}
	stat_set("smtp.listeners", n);
}

/* ------------------------------------------------------------------ */
/* Peers */

static void
smtp_dispatch_parent(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_PARENT_LISTENER:
		smtp_listener_add(msg);
		break;
	case IMSG_PARENT_LISTENERS_DONE:
		smtp_listeners_done(msg);
		break;
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
smtp_dispatch_ca(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CA, msg, "unexpected message");
}

/* The session a peer answers, which must be waiting for that answer. */
static struct smtp_session *
smtp_answered(enum proc_id peer, struct ipc_msg *msg, enum smtp_wait want)
{
	struct smtp_session	key, *s;

	key.s_reqid = msg->hdr.peerid;
	if ((s = RB_FIND(smtp_reqids, &smtp_reqids, &key)) == NULL)
		proc_bad_msg(peer, msg, "unknown request id");
	if (s->s_wait != want)
		proc_bad_msg(peer, msg, "no such request pending");
	return s;
}

static void
smtp_dispatch_lka(struct ipc_msg *msg)
{
	struct smtp_session	*s;
	struct msg_in		 mi;
	const char		*text;
	uint32_t		 code;

	switch (msg->hdr.type) {
	case IMSG_LKA_RCPT:
		m_open(&mi, msg);
		m_get_u32(&mi, &code);
		m_get_nstring(&mi, &text);
		if (m_end(&mi) == -1 || msg->fd != -1)
			proc_bad_msg(PROC_LKA, msg, "bad payload");
		if (code != 250 && (code < 400 || code > 599))
			proc_bad_msg(PROC_LKA, msg, "bad reply code");
		if (text != NULL && (strlen(text) > SMTP_REPLY_MAX - 5 ||
		    strpbrk(text, "\r\n") != NULL))
			proc_bad_msg(PROC_LKA, msg, "bad reply text");
		s = smtp_answered(PROC_LKA, msg, SMTP_W_RCPT);
		smtp_session_rcpt_answer(s, code, text);
		break;
	case IMSG_LKA_AUTH:
		s = smtp_answered(PROC_LKA, msg, SMTP_W_AUTH);
		smtp_auth_answer(s, msg);
		break;
	case IMSG_LKA_SENDER_CHECK:
		code = proc_msg_u32(PROC_LKA, msg);
		if (code > LKA_SENDER_TEMPFAIL || msg->fd != -1)
			proc_bad_msg(PROC_LKA, msg, "bad result");
		s = smtp_answered(PROC_LKA, msg, SMTP_W_SENDER);
		smtp_session_sender_answer(s, code);
		break;
	default:
		proc_bad_msg(PROC_LKA, msg, "unexpected message");
	}
}

static void
smtp_dispatch_queue(struct ipc_msg *msg)
{
	struct smtp_session	*s;
	struct msg_in		 mi;
	uint32_t		 ok, msgid;
	int			 fd;

	switch (msg->hdr.type) {
	case IMSG_QUEUE_MESSAGE_CREATE:
		m_open(&mi, msg);
		m_get_u32(&mi, &ok);
		m_get_u32(&mi, &msgid);
		if (m_end(&mi) == -1 || ok > 1 || (ok && msgid == 0) ||
		    (ok != 0) != (msg->fd != -1))
			proc_bad_msg(PROC_QUEUE, msg, "bad payload");
		s = smtp_answered(PROC_QUEUE, msg, SMTP_W_CREATE);
		fd = msg->fd;
		msg->fd = -1;
		smtp_session_created(s, ok, msgid, fd);
		break;
	case IMSG_QUEUE_MESSAGE_COMMIT:
		m_open(&mi, msg);
		m_get_u32(&mi, &msgid);
		m_get_u32(&mi, &ok);
		if (m_end(&mi) == -1 || ok > 1 || msg->fd != -1)
			proc_bad_msg(PROC_QUEUE, msg, "bad payload");
		s = smtp_answered(PROC_QUEUE, msg, SMTP_W_COMMIT);
		if (s->s_tx == NULL || s->s_tx->tx_msgid != msgid)
			proc_bad_msg(PROC_QUEUE, msg, "wrong message id");
		smtp_session_committed(s, ok);
		break;
	default:
		proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
	}
}

/* ------------------------------------------------------------------ */

/*
 * A new configuration: the parent sends the listening sockets right
 * after it; those of the previous set that do not come again are
 * closed on IMSG_PARENT_LISTENERS_DONE.
 */
static void
smtp_config(void)
{
	struct smtp_listener	*sl;

	TAILQ_FOREACH(sl, &smtp_listeners, sl_entry)
		sl->sl_old = 1;
	tls_server_config(proc_config());
	smtp_pressure_check();
}

/* -P at start-up: the parent says this subsystem begins paused. */
static void
smtp_pause(struct ipc_msg *msg)
{
	smtp_paused = (proc_msg_u32(PROC_PARENT, msg) & PROC_PAUSE_SMTP) != 0;
	if (smtp_paused)
		log_info("smtp_pause: smtp is paused, not accepting "
		    "connections");
	if (!smtp_backoff)
		smtp_listeners_enable(!smtp_paused);
}
