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
	uint64_t		 qb_orig;	/* the failed envelope */
	struct qmsg		*qb_msg;	/* the bounce being built */
	char			 qb_error[ENVELOPE_ERRORLINE_MAX + 1];
};

RB_HEAD(qbounce_tree, qbounce);

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

/* Why no report is due for this failure, or NULL if one is. */
static const char *
bounce_unwanted(const struct envelope *evp)
{
	if (mailaddr_is_null(&evp->evp_sender))
		return "null sender";
	if (evp->evp_flags & EF_BOUNCE)
		return "it is a bounce";
	if (evp->evp_dsn_notify & DSN_NOTIFY_NEVER)
		return "NOTIFY=NEVER";
	if (evp->evp_dsn_notify != 0 &&
	    (evp->evp_dsn_notify & DSN_NOTIFY_FAILURE) == 0)
		return "NOTIFY without FAILURE";
	return NULL;
}

/* The report into the new message file: 0, or -1. */
static int
bounce_build(int fd, const struct envelope *evp)
{
	FILE	*out, *orig = NULL;
	int	 ofd, r = 0;

	if ((out = fdopen(fd, "w")) == NULL) {
		log_warn("bounce_build: fdopen");
		close(fd);
		return -1;
	}
	ofd = queue_be->qb_message_open(evpid_to_msgid(evp->evp_id));
	if (ofd == -1 || (orig = fdopen(ofd, "r")) == NULL) {
		log_warn("bounce_build: original message of %016llx",
		    (unsigned long long)evp->evp_id);
		if (ofd != -1)
			close(ofd);
		fclose(out);
		return -1;
	}
	if (bounce_write(out, evp, BOUNCE_FAILED, orig, bounce_hostname(),
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

void
queue_bounce_failed(const struct envelope *evp)
{
	struct qbounce	*qb;
	struct qmsg	*qm;
	struct msg_out	 out;
	char		 text[ENVELOPE_TEXT_MAX + 1];
	char		 sender[2 * SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 8];
	const char	*why;
	int		 fd;

	if (mailaddr_format(&evp->evp_sender, sender, sizeof(sender)) == -1)
		strlcpy(sender, "?", sizeof(sender));
	if ((why = bounce_unwanted(evp)) != NULL) {
		log_info("queue: envelope %016llx from <%s> failed (%s): no "
		    "bounce: %s", (unsigned long long)evp->evp_id, sender,
		    evp->evp_errorline, why);
		queue_permfail_done(evp->evp_id);
		return;
	}
	if (bounce_template(evp, text, sizeof(text)) == -1) {
		/* The sender came from a valid envelope: cannot happen. */
		log_warnx("queue: envelope %016llx: bounce template refused",
		    (unsigned long long)evp->evp_id);
		queue_permfail_done(evp->evp_id);
		return;
	}
	if ((qb = calloc(1, sizeof(*qb))) == NULL)
		fatal("queue_bounce_failed: calloc");
	if ((qm = queue_msg_new(qb, &fd)) == NULL) {
		free(qb);
		queue_permfail_retry(evp->evp_id, evp->evp_errorline);
		return;
	}
	if (bounce_build(fd, evp) == -1) {
		queue_msg_rollback(qm);
		free(qb);
		queue_permfail_retry(evp->evp_id, evp->evp_errorline);
		return;
	}
	do {
		qb->qb_reqid = ++bounce_reqid;
	} while (qb->qb_reqid == 0 ||
	    RB_FIND(qbounce_tree, &bounces, qb) != NULL);
	qb->qb_orig = evp->evp_id;
	qb->qb_msg = qm;
	strlcpy(qb->qb_error, evp->evp_errorline, sizeof(qb->qb_error));
	RB_INSERT(qbounce_tree, &bounces, qb);

	log_debug("queue: bounce %08x for %016llx to <%s>", qm->qm_msgid,
	    (unsigned long long)evp->evp_id, sender);
	m_init(&out);
	m_add_u32(&out, qm->qm_msgid);
	m_add_string(&out, text);
	proc_send(PROC_LKA, IMSG_QUEUE_BOUNCE_RCPT, qb->qb_reqid, -1, &out);
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
	if (code / 100 == 4) {
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
	if (ok) {
		log_info("queue: bounce for %016llx queued",
		    (unsigned long long)qb->qb_orig);
		stat_increment("queue.bounces", 1);
		queue_permfail_done(qb->qb_orig);
	} else
		queue_permfail_retry(qb->qb_orig, qb->qb_error);
	bounce_free(qb);
}
