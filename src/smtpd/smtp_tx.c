/*
 * SMTP transactions, in the smtp process (_smtpd, chrooted, filtered).
 * From MAIL to the queue's commit or a rollback: the incoming message's
 * descriptor (created and passed by the queue, the only process that
 * opens spool files), the accepted recipients, the envelope template
 * sent to lka for each RCPT, and the message bytes: our Received
 * header, then the client's data as the decoder of smtp_data.c emits
 * it (through the header tracker of smtp_header.c for a submission,
 * which adds a missing Date: or Message-ID:), gathered in a bounded
 * buffer and written with write(2).
 *
 * Trusted: the queue's descriptor and answers.  Untrusted: everything
 * that came from the client (addresses and parameters already parsed
 * and validated by smtp_parse.c; the envelope writer refuses anything
 * else that could not be stored safely).
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "mailaddr.h"
#include "proc.h"
#include "smtp_header.h"
#include "smtp_session.h"
#include "smtp_tx.h"
#include "stat.h"

/* Room for a formatted address with quoting and escapes. */
#define SMTP_ADDR_TEXT	(2 * SMTP_PATH_MAX + 8)

static int	smtp_tx_emit(void *, const char *, size_t);

static struct envelope	smtp_evp;
static char		smtp_evp_text[ENVELOPE_TEXT_MAX];
static struct msg_out	smtp_tx_mo;

/* Not static: libbsd cannot mark the unused generated functions. */
int	smtp_rcpt_cmp(const struct smtp_rcpt *, const struct smtp_rcpt *);
RB_PROTOTYPE(smtp_rcpts, smtp_rcpt, r_node, smtp_rcpt_cmp);

int
smtp_rcpt_cmp(const struct smtp_rcpt *a, const struct smtp_rcpt *b)
{
	return strcmp(a->r_addr, b->r_addr);
}

RB_GENERATE(smtp_rcpts, smtp_rcpt, r_node, smtp_rcpt_cmp);

/* Domains are lower-cased by the parser, local parts compare exactly
 * (RFC 5321 2.4): the formatted text is a fine key. */
static void
smtp_addr_text(const struct mailaddr *ma, char *buf, size_t len)
{
	if (mailaddr_format(ma, buf, len) == -1)
		fatalx("smtp_addr_text: address does not fit");
}

struct smtp_tx *
smtp_tx_new(uint32_t msgid, int fd, const struct smtp_mail_args *mail)
{
	struct smtp_tx	*tx;

	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		fatal("smtp_tx_new");
	tx->tx_msgid = msgid;
	tx->tx_fd = fd;
	tx->tx_mail = *mail;
	RB_INIT(&tx->tx_rcpts);
	tx->tx_start = time(NULL);
	stat_increment("smtp.tx", 1);
	return tx;
}

void
smtp_tx_free(struct smtp_tx *tx, int rollback)
{
	struct smtp_rcpt	*r, *next;

	if (tx->tx_fd != -1)
		(void)close(tx->tx_fd);
	if (rollback && tx->tx_msgid != 0) {
		m_init(&smtp_tx_mo);
		m_add_u32(&smtp_tx_mo, tx->tx_msgid);
		proc_send(PROC_QUEUE, IMSG_SMTP_MESSAGE_ROLLBACK, 0, -1,
		    &smtp_tx_mo);
	}
	for (r = RB_MIN(smtp_rcpts, &tx->tx_rcpts); r != NULL; r = next) {
		next = RB_NEXT(smtp_rcpts, &tx->tx_rcpts, r);
		RB_REMOVE(smtp_rcpts, &tx->tx_rcpts, r);
		free(r);
	}
	free(tx->tx_buf);
	free(tx->tx_hdr);
	free(tx);
	stat_decrement("smtp.tx", 1);
}

/* ------------------------------------------------------------------ */
/* Recipients */

int
smtp_tx_rcpt_seen(const struct smtp_tx *tx, const struct mailaddr *ma)
{
	char			 buf[SMTP_ADDR_TEXT];
	struct smtp_rcpt	*key;
	int			 seen;

	smtp_addr_text(ma, buf, sizeof(buf));
	if ((key = malloc(sizeof(*key) + strlen(buf) + 1)) == NULL)
		fatal("smtp_tx_rcpt_seen");
	memcpy(key->r_addr, buf, strlen(buf) + 1);
	seen = RB_FIND(smtp_rcpts, (struct smtp_rcpts *)(uintptr_t)
	    &tx->tx_rcpts, key) != NULL;
	free(key);
	return seen;
}

/* The session's and transaction's fields; lka fills the rest. */
int
smtp_tx_rcpt_ask(struct smtp_session *s)
{
	struct smtp_tx		*tx = s->s_tx;
	struct envelope		*evp = &smtp_evp;
	int			 n;

	memset(evp, 0, sizeof(*evp));
	if (tx->tx_mail.ma_smtputf8)
		evp->evp_flags |= EF_SMTPUTF8;
	if (tx->tx_mail.ma_body == SMTP_BODY_8BITMIME)
		evp->evp_flags |= EF_8BITMIME;
	if (s->s_flags & SF_TLS)
		evp->evp_flags |= EF_TLS;
	if (s->s_flags & SF_AUTHENTICATED) {
		evp->evp_flags |= EF_AUTHENTICATED;
		(void)strlcpy(evp->evp_auth, s->s_authuser,
		    sizeof(evp->evp_auth));
	}
	(void)strlcpy(evp->evp_tag, s->s_l->sl_tag, sizeof(evp->evp_tag));
	(void)strlcpy(evp->evp_smtpname, s->s_l->sl_hostname,
	    sizeof(evp->evp_smtpname));
	(void)strlcpy(evp->evp_helo, s->s_helo, sizeof(evp->evp_helo));
	(void)strlcpy(evp->evp_src, s->s_addr, sizeof(evp->evp_src));
	evp->evp_sender = tx->tx_mail.ma_from;
	evp->evp_rcpt = tx->tx_pending.ra_to;
	evp->evp_dsn_notify = tx->tx_pending.ra_dsn_notify;
	evp->evp_dsn_ret = tx->tx_mail.ma_dsn_ret;
	(void)strlcpy(evp->evp_dsn_envid, tx->tx_mail.ma_dsn_envid,
	    sizeof(evp->evp_dsn_envid));
	(void)strlcpy(evp->evp_dsn_orcpt, tx->tx_pending.ra_dsn_orcpt,
	    sizeof(evp->evp_dsn_orcpt));
	evp->evp_creation = tx->tx_start;

	if ((n = envelope_dump(evp, smtp_evp_text,
	    sizeof(smtp_evp_text))) == -1) {
		log_warnx("%016llx smtp_tx_rcpt_ask: the envelope of this "
		    "recipient cannot be written", (unsigned long long)s->s_id);
		return -1;
	}
	m_init(&smtp_tx_mo);
	m_add_u32(&smtp_tx_mo, tx->tx_msgid);
	m_add_string(&smtp_tx_mo, smtp_evp_text);
	if (m_error(&smtp_tx_mo) == -1)
		return -1;
	proc_send(PROC_LKA, IMSG_SMTP_RCPT, s->s_reqid, -1, &smtp_tx_mo);
	return 0;
}

/* lka said yes to tx_pending. */
void
smtp_tx_rcpt_accepted(struct smtp_session *s)
{
	struct smtp_tx		*tx = s->s_tx;
	char			 buf[SMTP_ADDR_TEXT], from[SMTP_ADDR_TEXT];
	struct smtp_rcpt	*r;
	size_t			 len;

	smtp_addr_text(&tx->tx_pending.ra_to, buf, sizeof(buf));
	len = strlen(buf);
	if ((r = malloc(sizeof(*r) + len + 1)) == NULL)
		fatal("smtp_tx_rcpt_accepted");
	memcpy(r->r_addr, buf, len + 1);
	if (RB_INSERT(smtp_rcpts, &tx->tx_rcpts, r) != NULL)
		fatalx("smtp_tx_rcpt_accepted: recipient accepted twice");
	if (tx->tx_rcpt_one == NULL)
		tx->tx_rcpt_one = r->r_addr;
	tx->tx_nrcpt++;
	smtp_addr_text(&tx->tx_mail.ma_from, from, sizeof(from));
	log_info("%016llx smtp envelope msgid=%08x from=<%s> to=<%s>",
	    (unsigned long long)s->s_id, tx->tx_msgid, from, buf);
}

/* ------------------------------------------------------------------ */
/* Message bytes */

static void
smtp_tx_flush(struct smtp_tx *tx)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < tx->tx_buflen && tx->tx_werrno == 0) {
		n = write(tx->tx_fd, tx->tx_buf + off, tx->tx_buflen - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			tx->tx_werrno = errno;
			log_warn("smtp_tx_flush: message %08x", tx->tx_msgid);
			break;
		}
		off += (size_t)n;
		tx->tx_odata += (uint64_t)n;
	}
	tx->tx_buflen = 0;
}

/*
 * The decoder's output.  A failed write is remembered and the rest of
 * the message thrown away, so that the client's data is still read to
 * its end and the session stays in step; the reply then says 451.
 */
static int
smtp_tx_emit(void *arg, const char *buf, size_t len)
{
	struct smtp_tx	*tx = arg;
	size_t		 n;

	while (len > 0 && tx->tx_werrno == 0) {
		n = SMTP_TX_BUFFER - tx->tx_buflen;
		if (n > len)
			n = len;
		memcpy(tx->tx_buf + tx->tx_buflen, buf, n);
		tx->tx_buflen += n;
		buf += n;
		len -= n;
		if (tx->tx_buflen == SMTP_TX_BUFFER)
			smtp_tx_flush(tx);
	}
	return 0;
}

/* RFC 5322 date in English whatever the locale, always UTC: the
 * chrooted process has no time zone files. */
static void
smtp_tx_date(char *buf, size_t len)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
				    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr",
				    "May", "Jun", "Jul", "Aug", "Sep", "Oct",
				    "Nov", "Dec" };
	struct tm		 tm;
	time_t			 now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL)
		fatal("smtp_tx_date: gmtime_r");
	(void)snprintf(buf, len, "%s, %d %s %d %02d:%02d:%02d +0000 (UTC)",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The "with" word: SMTP after HELO, ESMTP after EHLO, UTF8SMTP for a
 * SMTPUTF8 transaction (RFC 6531 4.3), then S with TLS and A when
 * authenticated (RFC 3848). */
const char *
smtp_tx_proto(const struct smtp_session *s, const struct smtp_tx *tx)
{
	static const char *const words[3][4] = {
		{ "SMTP", "SMTPS", "SMTPA", "SMTPSA" },
		{ "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" },
		{ "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" },
	};
	int	base, sec;

	if (!(s->s_flags & SF_EHLO))
		base = 0;
	else if (tx != NULL && tx->tx_mail.ma_smtputf8)
		base = 2;
	else
		base = 1;
	sec = ((s->s_flags & SF_TLS) ? 1 : 0) |
	    ((s->s_flags & SF_AUTHENTICATED) ? 2 : 0);
	return words[base][sec];
}

/*
 * After the id, on a TLS session: " (TLSv1.3:CIPHER:BITS:YES|NO|FAIL)",
 * then with received-auth " auth=yes user=NAME" or " auth=no"
 * (COMPAT.md 8.4).  The user name is printed only when it is plain
 * printable ASCII without spaces, so it cannot bend the header.
 */
static void
smtp_tx_received_tls(const struct smtp_session *s, char *buf, size_t len)
{
	const char	*u;
	int		 plain = 1;

	buf[0] = '\0';
	if (!(s->s_flags & SF_TLS))
		return;
	(void)snprintf(buf, len, " (%s)", s->s_tls);
	if (!(s->s_l->sl_flags & L_RECEIVED_AUTH))
		return;
	if (!(s->s_flags & SF_AUTHENTICATED)) {
		(void)strlcat(buf, " auth=no", len);
		return;
	}
	(void)strlcat(buf, " auth=yes", len);
	for (u = s->s_authuser; *u != '\0'; u++)
		if (*u <= ' ' || *u >= 0x7f || *u == ';')
			plain = 0;
	if (plain && s->s_authuser[0] != '\0') {
		(void)strlcat(buf, " user=", len);
		(void)strlcat(buf, s->s_authuser, len);
	}
}

/*
 * Our Received header (RFC 5321 4.4), LF line ends like the rest of
 * the stored message:
 *	Received: from <helo> ([<address>])
 *		by <name> (Postern) with <proto> id <msgid> [(<tls>) [auth]]
 *		for <rcpt>;		(only with exactly one recipient)
 *		<date>
 */
static void
smtp_tx_received(struct smtp_session *s, struct smtp_tx *tx)
{
	char	hdr[2048], date[64];
	char	tls[TLS_DESC_MAX + SMTP_AUTHUSER_MAX + 32];
	int	n;

	smtp_tx_date(date, sizeof(date));
	smtp_tx_received_tls(s, tls, sizeof(tls));
	n = snprintf(hdr, sizeof(hdr), "Received: %s%s%s%s%s%s%s"
	    "by %s (Postern) with %s id %08x%s%s%s%s;\n\t%s\n",
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : "from ",
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : s->s_helo,
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : " ([",
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" :
	    (s->s_ss.ss_family == AF_INET6 ? "IPv6:" : ""),
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : s->s_addr,
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : "])",
	    (s->s_l->sl_flags & L_MASK_SRC) ? "" : "\n\t",
	    s->s_l->sl_hostname, smtp_tx_proto(s, tx),
	    tx->tx_msgid, tls,
	    tx->tx_nrcpt == 1 ? "\n\tfor <" : "",
	    tx->tx_nrcpt == 1 ? tx->tx_rcpt_one : "",
	    tx->tx_nrcpt == 1 ? ">" : "", date);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		fatalx("smtp_tx_received: header too long");
	(void)smtp_tx_emit(tx, hdr, (size_t)n);
}

/* The decoder's output goes through the header tracker first. */
static int
smtp_tx_emit_header(void *arg, const char *buf, size_t len)
{
	struct smtp_tx	*tx = arg;

	return smtp_header_feed(tx->tx_hdr, buf, len);
}

/*
 * Submissions get a Date: and a Message-ID: when they lack one (RFC
 * 6409 8.2, 8.3): those of an authenticated session and those of the
 * local enqueuer socket.  Not every loopback listener, as OpenSMTPD
 * does: mail relayed through 127.0.0.1 (a content filter re-injecting,
 * a test sending exact bytes) must arrive as it was sent.  With
 * `senders ... masquerade` From: names the envelope sender.  The
 * fields added are bounded (smtp_header.h) and, like Received, not
 * counted against max-message-size, which limits what the client sends.
 */
static void
smtp_tx_header_setup(struct smtp_session *s, struct smtp_tx *tx)
{
	struct smtp_header_fix	fix;
	char			date[64], msgid[SMTP_HEADER_VALUE_MAX + 1];
	char			from[SMTP_ADDR_TEXT];
	int			auth = (s->s_flags & SF_AUTHENTICATED) != 0;

	if (!auth && !(s->s_l->sl_flags & L_SOCKET))
		return;
	smtp_tx_date(date, sizeof(date));
	(void)snprintf(msgid, sizeof(msgid), "<%08x%08x%08x%08x@%s>",
	    arc4random(), arc4random(), arc4random(), arc4random(),
	    s->s_l->sl_hostname);
	memset(&fix, 0, sizeof(fix));
	fix.hf_date = date;
	fix.hf_msgid = msgid;
	if (auth && (s->s_l->sl_flags & L_MASQUERADE) &&
	    !mailaddr_is_null(&tx->tx_mail.ma_from)) {
		smtp_addr_text(&tx->tx_mail.ma_from, from, sizeof(from));
		fix.hf_from = from;
	}
	if ((tx->tx_hdr = malloc(sizeof(*tx->tx_hdr))) == NULL)
		fatal("smtp_tx_header_setup");
	if (smtp_header_init(tx->tx_hdr, &fix, smtp_tx_emit, tx) == -1)
		fatalx("smtp_tx_header_setup: header values do not fit");
}

void
smtp_tx_data_begin(struct smtp_session *s, int mode)
{
	const struct smtpd_config	*conf = proc_config();
	struct smtp_tx			*tx = s->s_tx;

	if ((tx->tx_buf = malloc(SMTP_TX_BUFFER)) == NULL)
		fatal("smtp_tx_data_begin");
	tx->tx_buflen = 0;
	tx->tx_data_on = 1;
	tx->tx_bdat = mode == SMTP_DATA_MODE_BDAT;
	smtp_tx_received(s, tx);
	smtp_tx_header_setup(s, tx);
	smtp_data_init(&tx->tx_data, mode, conf->sc_smtp_bare_lf,
	    conf->sc_smtp_bare_cr, conf->sc_max_message_size,
	    tx->tx_hdr != NULL ? smtp_tx_emit_header : smtp_tx_emit, tx);
}

int
smtp_tx_data_feed(struct smtp_tx *tx, const char *buf, size_t len,
    size_t *used)
{
	return smtp_data_feed(&tx->tx_data, buf, len, used);
}

int
smtp_tx_data_finish(struct smtp_tx *tx)
{
	return smtp_data_finish(&tx->tx_data);
}

int
smtp_tx_data_end(struct smtp_tx *tx, int *code, const char **text)
{
	switch (smtp_data_error(&tx->tx_data)) {
	case SMTP_DATA_OK:
		break;
	case SMTP_DATA_TOO_BIG:
		*code = 552;
		*text = "5.3.4 Message too big for system";
		return -1;
	case SMTP_DATA_LOOP:
		*code = 554;
		*text = "5.4.6 Routing loop detected: Loop detected";
		return -1;
	default:
		fatalx("smtp_tx_data_end: unknown data error");
	}
	if (tx->tx_hdr != NULL)
		(void)smtp_header_finish(tx->tx_hdr);
	smtp_tx_flush(tx);
	free(tx->tx_buf);
	tx->tx_buf = NULL;
	if (tx->tx_werrno == 0) {
		if (close(tx->tx_fd) == -1) {
			tx->tx_werrno = errno;
			log_warn("smtp_tx_data_end: message %08x: close",
			    tx->tx_msgid);
		}
		tx->tx_fd = -1;
	}
	if (tx->tx_werrno != 0) {
		*code = 451;
		*text = "4.3.0 Temporary failure";
		return -1;
	}
	return 0;
}

void
smtp_tx_commit(struct smtp_tx *tx, uint32_t reqid)
{
	m_init(&smtp_tx_mo);
	m_add_u32(&smtp_tx_mo, tx->tx_msgid);
	proc_send(PROC_QUEUE, IMSG_SMTP_MESSAGE_COMMIT, reqid, -1,
	    &smtp_tx_mo);
}
