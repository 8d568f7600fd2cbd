/*
 * Delivery status notifications (RFC 3464, RFC 3461, RFC 6522): the
 * text of a bounce for one failed (or delayed) envelope.  Library code
 * (src/lib/bounce.c): it writes the message in spool form (LF line
 * ends) to a FILE and reads the original message from another; the
 * queue decides when to bounce and to whom.
 *
 * The report is multipart/report; report-type=delivery-status with
 * three parts: a human-readable text/plain explanation, a
 * message/delivery-status part (Reporting-MTA, Original-Envelope-Id,
 * Arrival-Date; Original-Recipient, Final-Recipient, Action, Status,
 * Diagnostic-Code, Last-Attempt-Date), and the original message:
 * text/rfc822-headers (default, RET=HDRS) or message/rfc822 (RET=FULL).
 * Status is taken from the enhanced code at the start of the error line
 * when there is one, else 5.0.0 (failed) / 4.0.0 (delayed).
 */
#ifndef POSTERN_BOUNCE_H
#define POSTERN_BOUNCE_H

#include <stdio.h>
#include <time.h>

#include "envelope.h"

#define BOUNCE_FAILED	0
#define BOUNCE_DELAYED	1

/*
 * Write the bounce message (headers included: From MAILER-DAEMON@name,
 * To the original sender, Subject, Date, Message-ID, MIME headers) for
 * the envelope evp of the message read from orig.  name: our host name
 * (evp_smtpname or the server name).  0, or -1 on a write or read error.
 */
int	 bounce_write(FILE *out, const struct envelope *evp, int kind,
	    FILE *orig, const char *name, time_t now);

#endif
