/*
 * Delivery status notifications (include/bounce.h).  Runs in the queue,
 * which writes a bounce into a new spool message.  Its inputs are an
 * envelope that envelope_load() has already validated, and an original
 * message that came from the network: its bytes are copied into the
 * third part but never interpreted beyond finding the end of its header
 * section and whether it holds 8-bit data.  Everything that goes into
 * a header or the machine-readable report is reduced to printable
 * ASCII here, whatever the envelope holds.  Library code: no logging,
 * no exit.
 *
 * Postern sends RFC 3464 reports (multipart/report;
 * report-type=delivery-status, RFC 6522) where OpenSMTPD sends
 * multipart/mixed (COMPAT.md 8.7): mail clients and list managers can
 * then parse them.  The message is in spool form, LF line ends; the
 * mta or mda turns it into CRLF on the wire.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "smtp_parse.h"

#define BOUNCE_BOUNDARY_MAX	64

struct bounce_scan {
	int	bs_8bit;	/* a byte >= 0x80 in what is included */
	int	bs_clash;	/* a line starts with "--" boundary */
};

static const char *const bounce_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const bounce_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* RFC 5322 date in UTC, English names whatever the locale. */
static int
bounce_date(char *buf, size_t len, time_t t)
{
	struct tm	tm;
	int		n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	n = snprintf(buf, len, "%s, %d %s %d %02d:%02d:%02d +0000",
	    bounce_days[tm.tm_wday], tm.tm_mday, bounce_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

/*
 * Copy s into buf for a header or report field: printable ASCII kept,
 * anything else (control characters, 8-bit bytes) becomes '?'.
 */
static void
bounce_ascii(char *buf, size_t len, const char *s)
{
	size_t	i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++) {
		unsigned char	c = s[i];

		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[i] = '\0';
}

/* For the text part (UTF-8): only control characters are replaced. */
static void
bounce_text(char *buf, size_t len, const char *s)
{
	size_t	i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++) {
		unsigned char	c = s[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
}

static int
bounce_has_8bit(const char *s)
{
	return mailaddr_has_8bit(s, strlen(s));
}

static int
bounce_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s: 1 to max of them.  Returns how many, 0 if not. */
static size_t
bounce_digits(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; n < max && bounce_isdigit(s[n]); n++)
		;
	if (bounce_isdigit(s[n]))
		return 0;
	return n;
}

/*
 * The enhanced status code at the start of the error line, after an
 * optional 3-digit reply code ("550 5.1.1 ...", "5.1.1 ...", "550-5.1.1
 * ..."); only classes 4 and 5 count.  Otherwise the default.
 */
static void
bounce_status(char *buf, size_t len, const char *line, int kind)
{
	const char	*p = line;
	size_t		 n1, n2;

	if (bounce_digits(p, 3) == 3 && (p[3] == ' ' || p[3] == '-'))
		p += 4;
	if ((p[0] == '4' || p[0] == '5') && p[1] == '.' &&
	    (n1 = bounce_digits(p + 2, 3)) > 0 && p[2 + n1] == '.' &&
	    (n2 = bounce_digits(p + 3 + n1, 3)) > 0 &&
	    (p[3 + n1 + n2] == ' ' || p[3 + n1 + n2] == '\0')) {
		(void)snprintf(buf, len, "%.*s", (int)(3 + n1 + n2), p);
		return;
	}
	(void)snprintf(buf, len, "%s", kind == BOUNCE_DELAYED ? "4.0.0" :
	    "5.0.0");
}

/* The recipient the report is about: the final one when lka set it. */
static const struct mailaddr *
bounce_final(const struct envelope *evp)
{
	if (evp->evp_dest.ma_user[0] != '\0')
		return &evp->evp_dest;
	return &evp->evp_rcpt;
}

static void
bounce_boundary(char *buf, size_t len)
{
	(void)snprintf(buf, len, "=_postern_%08x%08x%08x",
	    arc4random(), arc4random(), arc4random());
}

/*
 * Read the part of orig that will be included (the header section up
 * to its empty line, or everything), copying it to out when out is not
 * NULL, and note 8-bit bytes and lines that would clash with the
 * boundary.  Byte by byte through stdio's buffers: no line is too long
 * and a NUL byte is just a byte.
 */
static int
bounce_copy(FILE *orig, FILE *out, int headers_only, const char *boundary,
    struct bounce_scan *bs)
{
	char	 head[2 + BOUNCE_BOUNDARY_MAX];
	size_t	 blen = strlen(boundary), col = 0;
	int	 c, c2;

	memset(bs, 0, sizeof(*bs));
	while ((c = getc(orig)) != EOF) {
		if (headers_only && col == 0) {
			if (c == '\n')
				break;
			if (c == '\r') {
				if ((c2 = getc(orig)) == '\n')
					break;
				if (c2 != EOF && ungetc(c2, orig) == EOF)
					return -1;
			}
		}
		if (col < 2 + blen) {
			head[col] = c;
			if (col + 1 == 2 + blen && head[0] == '-' &&
			    head[1] == '-' && memcmp(head + 2, boundary,
			    blen) == 0)
				bs->bs_clash = 1;
		}
		if (c >= 0x80)
			bs->bs_8bit = 1;
		if (out != NULL && putc(c, out) == EOF)
			return -1;
		col = c == '\n' ? 0 : col + 1;
	}
	if (ferror(orig))
		return -1;
	/* The part ends with a line break before the next boundary. */
	if (out != NULL && col != 0 && putc('\n', out) == EOF)
		return -1;
	return 0;
}

/*
 * An address for Final-Recipient: "rfc822; addr" when it is ASCII, else
 * RFC 6533's "utf-8; " type in its xtext form (ASCII only, as
 * message/delivery-status needs): each non-ASCII character, '\\', '+'
 * and '=' become \x{HEX} of their code point.
 */
static void
bounce_recipient(char *buf, size_t len, const char *addr)
{
	const unsigned char	*p = (const unsigned char *)addr;
	size_t			 o;
	uint32_t		 cp;
	int			 n, i, w;

	if (!bounce_has_8bit(addr)) {
		(void)snprintf(buf, len, "rfc822; ");
		o = strlen(buf);
		bounce_ascii(buf + o, len - o, addr);
		return;
	}
	(void)snprintf(buf, len, "utf-8; ");
	o = strlen(buf);
	while (*p != '\0' && o + 1 < len) {
		if (*p >= 0x21 && *p < 0x7f && *p != '\\' && *p != '+' &&
		    *p != '=') {
			buf[o++] = *p++;
			continue;
		}
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 3;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 4;
		} else {
			cp = '?';
			n = 0;
		}
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (n == 0 || i < n) {
			cp = 0xfffd;	/* not UTF-8: a replacement mark */
			n = 1;
		}
		p += n;
		w = snprintf(buf + o, len - o, "\\x{%X}", (unsigned)cp);
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += w;
	}
	buf[o] = '\0';
}

static int
bounce_headers(FILE *out, const struct envelope *evp, int kind,
    const char *name, time_t now, const char *boundary, int eightbit)
{
	char	date[64], sender[SMTP_PATH_MAX * 2];

	if (bounce_date(date, sizeof(date), now) == -1 ||
	    mailaddr_format(&evp->evp_sender, sender, sizeof(sender)) == -1)
		return -1;
	fprintf(out, "From: Mailer Daemon <MAILER-DAEMON@%s>\n", name);
	fprintf(out, "To: <%s>\n", sender);
	fprintf(out, "Subject: Delivery status notification: %s\n",
	    kind == BOUNCE_DELAYED ? "delayed" : "failed");
	fprintf(out, "Date: %s\n", date);
	fprintf(out, "Message-ID: <%08x%08x.%016llx@%s>\n", arc4random(),
	    arc4random(), (unsigned long long)evp->evp_id, name);
	fprintf(out, "MIME-Version: 1.0\n");
	fprintf(out, "Auto-Submitted: auto-replied\n");
	fprintf(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary);
	fprintf(out, "Content-Transfer-Encoding: %s\n",
	    eightbit ? "8bit" : "7bit");
	fprintf(out, "\nThis is a MIME-encapsulated message.\n\n");
	return 0;
}

static int
bounce_notification(FILE *out, const struct envelope *evp, int kind,
    const char *name, const char *boundary)
{
	char	rcpt[SMTP_PATH_MAX * 2], text[sizeof(rcpt)];
	char	err[ENVELOPE_ERRORLINE_MAX + 1], until[64];
	int	utf8;

	if (mailaddr_format(&evp->evp_rcpt, rcpt, sizeof(rcpt)) == -1)
		return -1;
	bounce_text(text, sizeof(text), rcpt);
	bounce_text(err, sizeof(err), evp->evp_errorline[0] != '\0' ?
	    evp->evp_errorline : (kind == BOUNCE_DELAYED ?
	    "temporary failure" : "permanent failure"));
	utf8 = bounce_has_8bit(text) || bounce_has_8bit(err);

	fprintf(out, "--%s\n", boundary);
	fprintf(out, "Content-Type: text/plain; charset=%s\n",
	    utf8 ? "utf-8" : "us-ascii");
	fprintf(out, "Content-Transfer-Encoding: %s\n", utf8 ? "8bit" : "7bit");
	fprintf(out, "Content-Description: Notification\n\n");
	fprintf(out, "Hi!\n\n"
	    "This is the MAILER-DAEMON at %s.  This message was created\n"
	    "automatically; please do not reply to it.\n\n", name);
	if (kind == BOUNCE_DELAYED) {
		fprintf(out, "Your message has not been delivered yet to the "
		    "recipient below:\na temporary error occurred.  "
		    "Nothing needs to be done: delivery is\nbeing retried");
		if (evp->evp_expire > 0 &&
		    bounce_date(until, sizeof(until), evp->evp_expire) == 0)
			fprintf(out, " until %s", until);
		fprintf(out, ".\n\n");
	} else
		fprintf(out, "Your message could not be delivered to the "
		    "recipient below:\na permanent error occurred.  "
		    "Delivery will not be retried.\n\n");
	fprintf(out, "    %s: %s\n\n", text, err);
	fprintf(out, "The delivery report and %s of your message follow.\n\n",
	    evp->evp_dsn_ret == DSN_RET_FULL ? "a copy" : "the headers");
	return 0;
}

static int
bounce_report(FILE *out, const struct envelope *evp, int kind,
    const char *name, const char *boundary)
{
	char	date[64], addr[SMTP_PATH_MAX * 2], ascii[SMTP_PATH_MAX * 8];
	char	field[SMTP_DSN_ORCPT_MAX + 16];
	char	err[ENVELOPE_ERRORLINE_MAX + 1], status[16];

	fprintf(out, "--%s\n", boundary);
	fprintf(out, "Content-Type: message/delivery-status\n");
	fprintf(out, "Content-Description: Delivery Report\n\n");

	/* Per-message fields. */
	fprintf(out, "Reporting-MTA: dns; %s\n", name);
	if (evp->evp_dsn_envid[0] != '\0') {
		bounce_ascii(field, sizeof(field), evp->evp_dsn_envid);
		fprintf(out, "Original-Envelope-Id: %s\n", field);
	}
	if (evp->evp_creation > 0 &&
	    bounce_date(date, sizeof(date), evp->evp_creation) == 0)
		fprintf(out, "Arrival-Date: %s\n", date);

	/* Per-recipient fields. */
	fprintf(out, "\n");
	if (evp->evp_dsn_orcpt[0] != '\0') {
		bounce_ascii(field, sizeof(field), evp->evp_dsn_orcpt);
		fprintf(out, "Original-Recipient: %s%s\n",
		    strchr(field, ';') != NULL ? "" : "rfc822;", field);
	}
	if (mailaddr_format(bounce_final(evp), addr, sizeof(addr)) == -1)
		return -1;
	bounce_recipient(ascii, sizeof(ascii), addr);
	fprintf(out, "Final-Recipient: %s\n", ascii);
	fprintf(out, "Action: %s\n",
	    kind == BOUNCE_DELAYED ? "delayed" : "failed");
	bounce_status(status, sizeof(status), evp->evp_errorline, kind);
	fprintf(out, "Status: %s\n", status);
	if (evp->evp_errorline[0] != '\0') {
		bounce_ascii(err, sizeof(err), evp->evp_errorline);
		fprintf(out, "Diagnostic-Code: smtp; %s\n", err);
	}
	if (evp->evp_lasttry > 0 &&
	    bounce_date(date, sizeof(date), evp->evp_lasttry) == 0)
		fprintf(out, "Last-Attempt-Date: %s\n", date);
	if (kind == BOUNCE_DELAYED && evp->evp_expire > 0 &&
	    bounce_date(date, sizeof(date), evp->evp_expire) == 0)
		fprintf(out, "Will-Retry-Until: %s\n", date);
	fprintf(out, "\n");
	return 0;
}

int
bounce_write(FILE *out, const struct envelope *evp, int kind, FILE *orig,
    const char *name, time_t now)
{
	struct bounce_scan	 bs;
	char			 boundary[BOUNCE_BOUNDARY_MAX];
	char			 host[SMTP_DOMAIN_MAX + 1];
	off_t			 start;
	int			 headers_only, tries, eightbit;

	if ((kind != BOUNCE_FAILED && kind != BOUNCE_DELAYED) ||
	    mailaddr_is_null(&evp->evp_sender)) {
		errno = EINVAL;	/* never a bounce to the null path */
		return -1;
	}
	bounce_ascii(host, sizeof(host), name);
	headers_only = evp->evp_dsn_ret != DSN_RET_FULL;

	/* First pass: 8-bit data, and a boundary the original lacks. */
	if ((start = ftello(orig)) == -1)
		return -1;
	for (tries = 0;; tries++) {
		bounce_boundary(boundary, sizeof(boundary));
		if (bounce_copy(orig, NULL, headers_only, boundary,
		    &bs) == -1 ||
		    fseeko(orig, start, SEEK_SET) == -1)
			return -1;
		if (!bs.bs_clash)
			break;
		if (tries == 8) {
			errno = EINVAL;
			return -1;
		}
	}
	eightbit = bs.bs_8bit || bounce_has_8bit(evp->evp_errorline) ||
	    bounce_has_8bit(evp->evp_rcpt.ma_user) ||
	    bounce_has_8bit(evp->evp_rcpt.ma_domain) ||
	    bounce_has_8bit(evp->evp_dest.ma_user) ||
	    bounce_has_8bit(evp->evp_dest.ma_domain);

	if (bounce_headers(out, evp, kind, host, now, boundary,
	    eightbit) == -1 ||
	    bounce_notification(out, evp, kind, host, boundary) == -1 ||
	    bounce_report(out, evp, kind, host, boundary) == -1)
		return -1;

	/* The original: its header section, or all of it. */
	fprintf(out, "--%s\n", boundary);
	if (headers_only) {
		fprintf(out, "Content-Type: text/rfc822-headers\n");
		fprintf(out, "Content-Description: Message headers\n");
	} else {
		fprintf(out, "Content-Type: message/rfc822\n");
		fprintf(out, "Content-Description: Original message\n");
	}
	if (bs.bs_8bit)
		fprintf(out, "Content-Transfer-Encoding: 8bit\n");
	fprintf(out, "\n");
	if (bounce_copy(orig, out, headers_only, boundary, &bs) == -1)
		return -1;
	fprintf(out, "\n--%s--\n", boundary);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
