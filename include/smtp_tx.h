/*
 * One SMTP transaction in the smtp process (src/smtpd/smtp_tx.c): from
 * MAIL to the queue's commit or a rollback.  It owns the incoming
 * message's file descriptor, the set of accepted recipients, the
 * envelope template sent to lka for each RCPT, and the path of the
 * message bytes: Received header, DATA/BDAT decoding (smtp_data.h), a
 * bounded write buffer, write(2) to the spool file.
 */
#ifndef POSTERN_SMTP_TX_H
#define POSTERN_SMTP_TX_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "smtp_data.h"
#include "smtp_parse.h"

struct smtp_session;
struct smtp_header;

struct smtp_rcpt {
	RB_ENTRY(smtp_rcpt)	 r_node;
	char			 r_addr[];	/* "user@domain" */
};
RB_HEAD(smtp_rcpts, smtp_rcpt);

struct smtp_tx {
	uint32_t		 tx_msgid;
	int			 tx_fd;		/* message file or -1 */
	struct smtp_mail_args	 tx_mail;
	struct smtp_rcpts	 tx_rcpts;	/* accepted, for duplicates */
	size_t			 tx_nrcpt;
	char			*tx_rcpt_one;	/* the first accepted one */
	struct smtp_rcpt_args	 tx_pending;	/* RCPT waiting for lka */
	int			 tx_data_on;	/* DATA or BDAT started */
	int			 tx_bdat;	/* ... with BDAT */
	struct smtp_data	 tx_data;
	struct smtp_header	*tx_hdr;	/* NULL: stored as sent */
	char			*tx_buf;	/* SMTP_TX_BUFFER, in data */
	size_t			 tx_buflen;
	int			 tx_werrno;	/* a write to the file failed */
	uint64_t		 tx_odata;	/* bytes written to the file */
	time_t			 tx_start;
};

struct smtp_tx	*smtp_tx_new(uint32_t msgid, int fd,
		    const struct smtp_mail_args *);
/* Free it; with rollback the queue is told to drop the message. */
void		 smtp_tx_free(struct smtp_tx *, int rollback);

/* Recipients. */
int		 smtp_tx_rcpt_seen(const struct smtp_tx *,
		    const struct mailaddr *);
/* Ask lka about tx_pending (peerid: the session's request id); -1 if
 * the envelope cannot be built (a value the format refuses). */
int		 smtp_tx_rcpt_ask(struct smtp_session *);
void		 smtp_tx_rcpt_accepted(struct smtp_session *);

/* Message bytes.  begin writes the Received header and starts the
 * decoder (SMTP_DATA_MODE_*); feed and finish return like
 * smtp_data_feed/smtp_data_finish. */
void		 smtp_tx_data_begin(struct smtp_session *, int mode);
int		 smtp_tx_data_feed(struct smtp_tx *, const char *, size_t,
		    size_t *used);
int		 smtp_tx_data_finish(struct smtp_tx *);
/*
 * End of the message: flush and close the file.  0: ready to commit.
 * Otherwise the reply to give and the transaction is to be rolled
 * back: *code and *text (static) are set.
 */
int		 smtp_tx_data_end(struct smtp_tx *, int *code,
		    const char **text);
void		 smtp_tx_commit(struct smtp_tx *, uint32_t reqid);
/* "SMTP", "ESMTP" or "UTF8SMTP" for Received and the logs. */
const char	*smtp_tx_proto(const struct smtp_session *,
		    const struct smtp_tx *);

#endif
