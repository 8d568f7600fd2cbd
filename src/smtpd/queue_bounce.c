/*
 * Bounces, in the queue process (_smtpq, chrooted to the spool): when an
 * envelope fails for good or expires, build an RFC 3464 report
 * (bounce_write, src/lib/bounce.c) as a new incoming message, ask lka
 * to route it to the original sender (IMSG_QUEUE_BOUNCE_RCPT; lka adds
 * the envelopes like for an SMTP recipient and answers
 * IMSG_LKA_BOUNCE_RCPT), and commit it through the same group commit as
 * mail from smtp.  The failed envelope is removed only once its bounce
 * is committed or deliberately dropped, so a crash in between costs a
 * second report, never the only one.  Peers: lka.  Trusts the envelope
 * (already validated by queue.c); a malformed answer from lka is fatal.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "queue_internal.h"
#include "smtp_parse.h"
#include "stat.h"

struct qbounce {
	RB_ENTRY(qbounce)	 qb_entry;
	uint32_t		 qb_reqid;	/* our request id to lka */
	int			 qb_kind;	/* BOUNCE_FAILED, _DELAYED */
	uint64_t		 qb_orig;	/* the failed envelope */
	struct qmsg		*qb_msg;	/* the bounce being built */
	char			 qb_error[ENVELOPE_ERRORLINE_MAX + 1];
};

RB_HEAD(qbounce_tree, qbounce);

#define BOUNCE_ADDR_MAX	(2 * SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 8)

static int
qbounce_cmp(const struct qbounce *a, const struct qbounce *b)
{
	return a->qb_reqid < b->qb_reqid ? -1 : a->qb_reqid > b->qb_reqid;
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(qbounce_tree, qbounce, qb_entry, qbounce_cmp);

static struct qbounce_tree	 bounces = RB_INITIALIZER(&bounces);
static uint32_t			 bounce_reqid;

static const char *
bounce_hostname(void)
{
	const struct smtpd_config *conf = proc_config();

	if (conf != NULL && conf->sc_hostname != NULL &&
	    conf->sc_hostname[0] != '\0')
		return conf->sc_hostname;
	return "localhost";
}

/* Why no report of this kind (DSN_NOTIFY_FAILURE or _DELAY) is due,
 * or NULL if one is.  Without NOTIFY, both are sent (RFC 3461 5.1). */
static const char *
bounce_unwanted(const struct envelope *evp, int notify)
{
	if (mailaddr_is_null(&evp->evp_sender))
		return "null sender";
	if (evp->evp_flags & EF_BOUNCE)
		return "it is a bounce";
	if (evp->evp_dsn_notify & DSN_NOTIFY_NEVER)
		return "NOTIFY=NEVER";
	if (evp->evp_dsn_notify != 0 && (evp->evp_dsn_notify & notify) == 0)
		return notify == DSN_NOTIFY_FAILURE ? "NOTIFY without FAILURE" :
		    "NOTIFY without DELAY";
	return NULL;
}

/* The report into the new message file, from the original (ofd; both
 * descriptors are closed here): 0, or -1. */
static int
bounce_build(int fd, int ofd, const struct envelope *evp, int kind)
{
	FILE	*out, *orig;
	int	 r = 0;

	if ((out = fdopen(fd, "w")) == NULL) {
		log_warn("bounce_build: fdopen");
		close(fd);
		close(ofd);
		return -1;
	}
	if ((orig = fdopen(ofd, "r")) == NULL) {
		log_warn("bounce_build: fdopen");
		close(ofd);
		fclose(out);
		return -1;
	}
	if (bounce_write(out, evp, kind, orig, bounce_hostname(),
	    time(NULL)) == -1) {
		log_warnx("bounce_build: report for %016llx cannot be written",
		    (unsigned long long)evp->evp_id);
		r = -1;
	}
	fclose(orig);
	if (fclose(out) == EOF) {
		log_warn("bounce_build: write");
		r = -1;
	}
	return r;
}

/* The template lka expands: from <>, to the original sender. */
static int
bounce_template(const struct envelope *evp, char *text, size_t len)
{
	struct envelope	 b;

	memset(&b, 0, sizeof(b));
	b.evp_type = EVP_MDA;
	b.evp_flags = EF_BOUNCE | EF_LOCAL;
	strlcpy(b.evp_smtpname, bounce_hostname(), sizeof(b.evp_smtpname));
	strlcpy(b.evp_helo, bounce_hostname(), sizeof(b.evp_helo));
	strlcpy(b.evp_src, "local", sizeof(b.evp_src));
	b.evp_rcpt = evp->evp_sender;
	return envelope_dump(&b, text, len);
}

/*
 * Build a report of kind for evp and ask lka to route it.  0 when
 * started; -1 (logged) when the original message is gone (the envelope
 * was dropped to corrupt/) or the report could not be built (-2).
 */
static int
bounce_start(const struct envelope *evp, int kind, const char *sender)
{
	struct qbounce	*qb;
	struct qmsg	*qm;
	struct msg_out	 out;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	int		 fd, ofd;

	if (bounce_template(evp, text, sizeof(text)) == -1) {
		log_warnx("queue: envelope %016llx: bounce template refused",
		    (unsigned long long)evp->evp_id);
		return -2;
	}
	ofd = queue_be->qb_message_open(evpid_to_msgid(evp->evp_id));
	if (ofd == -1) {
		if (errno == ENOENT) {
			queue_evp_drop(evp->evp_id, 1, "message file missing");
			return -1;
		}
		log_warn("queue: envelope %016llx: open message",
		    (unsigned long long)evp->evp_id);
		return -2;
	}
	if ((qb = calloc(1, sizeof(*qb))) == NULL)
		fatal("bounce_start: calloc");
	if ((qm = queue_msg_new(qb, &fd)) == NULL) {
		close(ofd);
		free(qb);
		return -2;
	}
	if (bounce_build(fd, ofd, evp, kind) == -1) {
		queue_msg_rollback(qm);
		free(qb);
		return -2;
	}
	do {
		qb->qb_reqid = ++bounce_reqid;
	} while (qb->qb_reqid == 0 ||
	    RB_FIND(qbounce_tree, &bounces, qb) != NULL);
	qb->qb_kind = kind;
	qb->qb_orig = evp->evp_id;
	qb->qb_msg = qm;
	strlcpy(qb->qb_error, evp->evp_errorline, sizeof(qb->qb_error));
	RB_INSERT(qbounce_tree, &bounces, qb);

	log_debug("queue: %s report %08x for %016llx to <%s>",
	    kind == BOUNCE_DELAYED ? "delay" : "failure", qm->qm_msgid,
	    (unsigned long long)evp->evp_id, sender);
	m_init(&out);
	m_add_u32(&out, qm->qm_msgid);
	m_add_string(&out, text);
	proc_send(PROC_LKA, IMSG_QUEUE_BOUNCE_RCPT, qb->qb_reqid, -1, &out);
	return 0;
}

static void
bounce_sender(const struct envelope *evp, char *buf, size_t len)
{
	if (mailaddr_format(&evp->evp_sender, buf, len) == -1)
		strlcpy(buf, "?", len);
}

void
queue_bounce_failed(const struct envelope *evp)
{
	char		 sender[BOUNCE_ADDR_MAX];
	const char	*why;

	bounce_sender(evp, sender, sizeof(sender));
	if ((why = bounce_unwanted(evp, DSN_NOTIFY_FAILURE)) != NULL) {
		log_info("queue: envelope %016llx from <%s> failed (%s): no "
		    "bounce: %s", (unsigned long long)evp->evp_id, sender,
		    evp->evp_errorline, why);
		queue_permfail_done(evp->evp_id);
		return;
	}
	switch (bounce_start(evp, BOUNCE_FAILED, sender)) {
	case 0:
	case -1:
		break;
	default:
		queue_permfail_retry(evp->evp_id, evp->evp_errorline);
	}
}

/*
 * After a temporary failure (evp updated: lasttry is now): a delay
 * report when this failure is the first after one of the `bounce
 * warn-interval` delays since the envelope's creation.  Stateless: the
 * previous try came before the threshold, this one after it.  Best
 * effort: a report that cannot be made is only logged.
 */
void
queue_bounce_delayed(const struct envelope *evp, time_t prevtry)
{
	const struct smtpd_config *conf = proc_config();
	char		 sender[BOUNCE_ADDR_MAX];
	time_t		 at;
	size_t		 i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->sc_nbounce_warn; i++) {
		at = evp->evp_creation + conf->sc_bounce_warn[i];
		if (conf->sc_bounce_warn[i] > 0 && prevtry < at &&
		    at <= evp->evp_lasttry && at < evp->evp_expire)
			break;
	}
	if (i == conf->sc_nbounce_warn)
		return;
	bounce_sender(evp, sender, sizeof(sender));
	if (bounce_unwanted(evp, DSN_NOTIFY_DELAY) != NULL)
		return;
	if (bounce_start(evp, BOUNCE_DELAYED, sender) != 0)
		log_warnx("queue: envelope %016llx: no delay report",
		    (unsigned long long)evp->evp_id);
}

static void
bounce_free(struct qbounce *qb)
{
	RB_REMOVE(qbounce_tree, &bounces, qb);
	free(qb);
}

/* lka routed (or refused) the bounce's recipient. */
void
queue_bounce_lka(struct ipc_msg *msg)
{
	struct msg_in	 in;
	struct qbounce	*qb, needle;
	struct qmsg	*qm;
	const char	*text;
	uint32_t	 code;

	m_open(&in, msg);
	m_get_u32(&in, &code);
	m_get_nstring(&in, &text);
	if (m_end(&in) == -1 || code < 200 || code > 599)
		proc_bad_msg(PROC_LKA, msg, "bad bounce answer");
	needle.qb_reqid = msg->hdr.peerid;
	if ((qb = RB_FIND(qbounce_tree, &bounces, &needle)) == NULL ||
	    qb->qb_msg == NULL || qb->qb_msg->qm_state != QM_OPEN)
		proc_bad_msg(PROC_LKA, msg, "answer to no bounce");
	qm = qb->qb_msg;

	if (code == 250 && qm->qm_nevp > 0) {
		queue_msg_commit(qm);
		return;
	}
	queue_msg_rollback(qm);
	qb->qb_msg = NULL;
	if (qb->qb_kind == BOUNCE_DELAYED) {
		log_warnx("queue: delay report for %016llx dropped: %u %s",
		    (unsigned long long)qb->qb_orig, code,
		    text != NULL ? text : "no recipient");
	} else if (code / 100 == 4) {
		log_warnx("queue: bounce for %016llx not routed now: %u %s; "
		    "will retry", (unsigned long long)qb->qb_orig, code,
		    text != NULL ? text : "");
		queue_permfail_retry(qb->qb_orig, qb->qb_error);
	} else {
		log_warnx("queue: bounce for %016llx dropped: %u %s",
		    (unsigned long long)qb->qb_orig, code,
		    text != NULL ? text : "no recipient");
		stat_increment("queue.bounces_dropped", 1);
		queue_permfail_done(qb->qb_orig);
	}
	bounce_free(qb);
}

/* The group commit is done with the bounce message (freed by now). */
void
queue_bounce_committed(struct qbounce *qb, int ok)
{
	qb->qb_msg = NULL;
	if (qb->qb_kind == BOUNCE_DELAYED) {
		if (ok) {
			log_info("queue: delay report for %016llx queued",
			    (unsigned long long)qb->qb_orig);
			stat_increment("queue.delay_reports", 1);
		}
	} else if (ok) {
		log_info("queue: bounce for %016llx queued",
		    (unsigned long long)qb->qb_orig);
		stat_increment("queue.bounces", 1);
		queue_permfail_done(qb->qb_orig);
	} else
		queue_permfail_retry(qb->qb_orig, qb->qb_error);
	bounce_free(qb);
}
