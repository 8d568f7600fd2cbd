/*
 * The message data stream of one SMTP transaction (see smtp_data.h):
 * a byte-level state machine that turns what a client sends after DATA
 * or in BDAT chunks into the message as stored (LF line ends, dot
 * stuffing removed).  Runs in the smtp process on bytes straight from
 * the network, none of which is trusted.  It keeps all of its state in
 * struct smtp_data, so the input may be cut anywhere: fed one byte at a
 * time or all at once, the output and the verdict are the same.
 * Library code: no I/O of its own, no logging, no exit.
 *
 * Line ends, precisely:
 *   - CR LF ends a line (stored as LF) and is the only line end after
 *     which "." CR LF ends DATA.  At the start, the CRLF that ended the
 *     DATA command counts, so ".\r\n" alone is an empty message.
 *   - A bare LF (not after CR): SMTP_BARE_REJECT stops at once with
 *     SMTP_DATA_FATAL_BARE_LF; SMTP_BARE_ACCEPT stores it as a line end.
 *     The line after it is a line start for dot-unstuffing (a leading
 *     "." is removed), but never the start of the end marker: "\n.\r\n"
 *     stores "\n\n" and DATA goes on.
 *   - A bare CR (a CR followed by anything but LF): SMTP_BARE_REJECT
 *     stops with SMTP_DATA_FATAL_BARE_CR when the byte after it arrives
 *     (or at BDAT LAST); SMTP_BARE_ACCEPT stores it as a data byte.  A
 *     line that starts with "." then a bare CR loses the dot like any
 *     stuffed line.
 * Size: every stored byte counts (LF for each line end, the removed
 * dots do not).  sd_max 0 means no limit.  Once over the limit nothing
 * more is emitted, but the stream is still read to its end.
 * Hops: a "Received:" field name (any case) at the start of a line of
 * the header section, which ends at the first empty stored line.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "postern_limits.h"
#include "smtp_data.h"

enum {
	ST_BOL = 0,	/* line start after CRLF: "." may begin the end */
	ST_BOL_LF,	/* line start after a bare LF (accept policy) */
	ST_MID,		/* inside a line */
	ST_CR,		/* after a CR inside a line */
	ST_DOT,		/* after "." at ST_BOL */
	ST_DOT_CR,	/* after "." CR at ST_BOL */
	ST_DONE,
	ST_FATAL_LF,
	ST_FATAL_CR,
	ST_FATAL_OUTPUT
};

#define RECEIVED	"received:"
#define RECEIVED_LEN	(sizeof(RECEIVED) - 1)
#define OUTBUF_SIZE	4096

/* Stored bytes gathered for one emit call. */
struct outbuf {
	char	ob_buf[OUTBUF_SIZE];
	size_t	ob_len;
};

static int	flush(struct smtp_data *, struct outbuf *);
static void	header_byte(struct smtp_data *, char);
static int	put(struct smtp_data *, struct outbuf *, char);
static int	put_span(struct smtp_data *, struct outbuf *, const char *,
		    size_t);
static int	fatal(struct smtp_data *, int);
static void	finalize(struct smtp_data *);

void
smtp_data_init(struct smtp_data *sd, int mode, int bare_lf, int bare_cr,
    uint64_t max_size, smtp_data_emit emit, void *arg)
{
	memset(sd, 0, sizeof(*sd));
	sd->sd_mode = mode;
	sd->sd_bare_lf = bare_lf;
	sd->sd_bare_cr = bare_cr;
	sd->sd_max = max_size;
	sd->sd_state = ST_BOL;
	sd->sd_error = SMTP_DATA_OK;
	sd->sd_in_header = 1;
	sd->sd_emit = emit;
	sd->sd_arg = arg;
}

static int
flush(struct smtp_data *sd, struct outbuf *ob)
{
	size_t	n = ob->ob_len;

	ob->ob_len = 0;
	if (n > 0 && sd->sd_emit(sd->sd_arg, ob->ob_buf, n) < 0)
		return -1;
	return 0;
}

/* Follow the header section and count its Received: fields. */
static void
header_byte(struct smtp_data *sd, char c)
{
	if (c == '\n') {
		if (sd->sd_hlen == 0)
			sd->sd_in_header = 0;
		sd->sd_hlen = 0;
		return;
	}
	if (sd->sd_hlen >= RECEIVED_LEN)
		return;
	sd->sd_hline[sd->sd_hlen++] = c;
	if (sd->sd_hlen == RECEIVED_LEN &&
	    strncasecmp(sd->sd_hline, RECEIVED, RECEIVED_LEN) == 0 &&
	    sd->sd_hops <= SMTP_MAX_HOPS)
		sd->sd_hops++;	/* saturates one past the limit */
}

static int
put(struct smtp_data *sd, struct outbuf *ob, char c)
{
	if (sd->sd_in_header)
		header_byte(sd, c);
	sd->sd_size++;
	if (sd->sd_max != 0 && sd->sd_size > sd->sd_max)
		return 0;
	ob->ob_buf[ob->ob_len++] = c;
	if (ob->ob_len == sizeof(ob->ob_buf))
		return flush(sd, ob);
	return 0;
}

/* Bytes inside a line, none of them CR or LF. */
static int
put_span(struct smtp_data *sd, struct outbuf *ob, const char *p, size_t n)
{
	uint64_t	room;

	if (sd->sd_max != 0 && sd->sd_size >= sd->sd_max)
		room = 0;
	else if (sd->sd_max != 0)
		room = sd->sd_max - sd->sd_size;
	else
		room = n;
	sd->sd_size += n;
	if (room < n)
		n = room;
	if (n == 0)
		return 0;
	if (n <= sizeof(ob->ob_buf) - ob->ob_len) {
		memcpy(ob->ob_buf + ob->ob_len, p, n);
		ob->ob_len += n;
		return 0;
	}
	if (flush(sd, ob) == -1 || sd->sd_emit(sd->sd_arg, p, n) < 0)
		return -1;
	return 0;
}

static int
fatal(struct smtp_data *sd, int st)
{
	sd->sd_state = st;
	switch (st) {
	case ST_FATAL_LF:
		return SMTP_DATA_FATAL_BARE_LF;
	case ST_FATAL_CR:
		return SMTP_DATA_FATAL_BARE_CR;
	default:
		sd->sd_state = ST_FATAL_OUTPUT;
		return SMTP_DATA_FATAL_OUTPUT;
	}
}

static void
finalize(struct smtp_data *sd)
{
	sd->sd_state = ST_DONE;
	if (sd->sd_max != 0 && sd->sd_size > sd->sd_max)
		sd->sd_error = SMTP_DATA_TOO_BIG;
	else if (sd->sd_hops > SMTP_MAX_HOPS)
		sd->sd_error = SMTP_DATA_LOOP;
	else
		sd->sd_error = SMTP_DATA_OK;
}

int
smtp_data_feed(struct smtp_data *sd, const char *buf, size_t len,
    size_t *used)
{
	struct outbuf	 ob;
	size_t		 i = 0, j;
	char		 c;
	int		 bdat = sd->sd_mode == SMTP_DATA_MODE_BDAT;

	*used = 0;
	switch (sd->sd_state) {
	case ST_DONE:
		return SMTP_DATA_DONE;
	case ST_FATAL_LF:
	case ST_FATAL_CR:
	case ST_FATAL_OUTPUT:
		return fatal(sd, sd->sd_state);
	}
	ob.ob_len = 0;

	while (i < len) {
		c = buf[i];
again:
		switch (sd->sd_state) {
		case ST_BOL:
			if (c == '.' && !bdat) {
				sd->sd_state = ST_DOT;
				break;
			}
			sd->sd_state = ST_MID;
			goto again;
		case ST_BOL_LF:
			sd->sd_state = ST_MID;
			if (c == '.' && !bdat)
				break;		/* stuffed dot */
			goto again;
		case ST_DOT:
			if (c == '\r') {
				sd->sd_state = ST_DOT_CR;
				break;
			}
			sd->sd_state = ST_MID;	/* the dot was stuffing */
			goto again;
		case ST_DOT_CR:
			if (c == '\n') {
				if (flush(sd, &ob) == -1)
					return fatal(sd, ST_FATAL_OUTPUT);
				finalize(sd);
				*used = i + 1;
				return SMTP_DATA_DONE;
			}
			if (sd->sd_bare_cr != SMTP_BARE_ACCEPT) {
				*used = i;
				(void)flush(sd, &ob);
				return fatal(sd, ST_FATAL_CR);
			}
			sd->sd_state = ST_MID;
			if (put(sd, &ob, '\r') == -1)
				return fatal(sd, ST_FATAL_OUTPUT);
			goto again;
		case ST_MID:
			if (c == '\r') {
				sd->sd_state = ST_CR;
				break;
			}
			if (c == '\n') {
				if (sd->sd_bare_lf != SMTP_BARE_ACCEPT) {
					*used = i + 1;
					(void)flush(sd, &ob);
					return fatal(sd, ST_FATAL_LF);
				}
				sd->sd_state = ST_BOL_LF;
				if (put(sd, &ob, '\n') == -1)
					return fatal(sd, ST_FATAL_OUTPUT);
				break;
			}
			if (sd->sd_in_header && sd->sd_hlen < RECEIVED_LEN) {
				if (put(sd, &ob, c) == -1)
					return fatal(sd, ST_FATAL_OUTPUT);
				break;
			}
			/* The common case: copy up to the next CR or LF. */
			for (j = i; j < len && buf[j] != '\r' &&
			    buf[j] != '\n'; j++)
				;
			if (put_span(sd, &ob, buf + i, j - i) == -1)
				return fatal(sd, ST_FATAL_OUTPUT);
			i = j;
			continue;
		case ST_CR:
			if (c == '\n') {
				sd->sd_state = ST_BOL;
				if (put(sd, &ob, '\n') == -1)
					return fatal(sd, ST_FATAL_OUTPUT);
				break;
			}
			if (sd->sd_bare_cr != SMTP_BARE_ACCEPT) {
				*used = i;
				(void)flush(sd, &ob);
				return fatal(sd, ST_FATAL_CR);
			}
			sd->sd_state = ST_MID;
			if (put(sd, &ob, '\r') == -1)
				return fatal(sd, ST_FATAL_OUTPUT);
			goto again;
		}
		i++;
	}
	if (flush(sd, &ob) == -1)
		return fatal(sd, ST_FATAL_OUTPUT);
	*used = len;
	return SMTP_DATA_MORE;
}

int
smtp_data_finish(struct smtp_data *sd)
{
	struct outbuf	ob;

	switch (sd->sd_state) {
	case ST_DONE:
		return SMTP_DATA_DONE;
	case ST_FATAL_LF:
	case ST_FATAL_CR:
	case ST_FATAL_OUTPUT:
		return fatal(sd, sd->sd_state);
	}
	if (sd->sd_mode != SMTP_DATA_MODE_BDAT)
		return SMTP_DATA_MORE;	/* DATA ends only at CRLF.CRLF */
	ob.ob_len = 0;
	if (sd->sd_state == ST_CR) {
		/* A CR at the end of the last chunk has no LF to pair. */
		if (sd->sd_bare_cr != SMTP_BARE_ACCEPT)
			return fatal(sd, ST_FATAL_CR);
		if (put(sd, &ob, '\r') == -1 || flush(sd, &ob) == -1)
			return fatal(sd, ST_FATAL_OUTPUT);
	}
	finalize(sd);
	return SMTP_DATA_DONE;
}

int
smtp_data_error(const struct smtp_data *sd)
{
	return sd->sd_error;
}
