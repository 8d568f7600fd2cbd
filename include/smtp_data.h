/*
 * The message data stream of one SMTP transaction: DATA (dot-stuffed,
 * ended by CRLF.CRLF) or BDAT chunks (RFC 3030, no stuffing, no end
 * marker).  Library code (src/lib/smtp_data.c): a byte-level state
 * machine with no I/O of its own; the caller feeds the bytes read from
 * the client and receives the message as it is to be stored.
 *
 * What is stored: every line ends with a single LF (the spool and
 * Maildir use Unix line ends; mta and lmtp put CRLF back), dot-stuffing
 * removed.  The only end of DATA is CR LF "." CR LF, where the first
 * CRLF is the end of the previous line (or the DATA command itself);
 * a bare CR or bare LF never ends a line for this purpose (SMTP
 * smuggling, CVE-2023-51764 and friends).
 *
 * Bare LF (an LF not preceded by CR) and bare CR (a CR not followed by
 * LF) follow the policies given at init:
 *   SMTP_BARE_REJECT: stop at once with SMTP_DATA_FATAL_BARE_LF / _CR;
 *     the session answers 521 5.5.2 and closes, so nothing after it is
 *     ever read as a command.
 *   SMTP_BARE_ACCEPT: a bare LF ends a stored line (stored as LF); a
 *     bare CR is kept as a data byte.  Neither can end DATA.
 * Lines have no length limit besides the message size (they are stored
 * unchanged; outbound delivery handles them).
 *
 * Non-fatal problems are remembered and reported when the data ends, so
 * that the session keeps its place in the stream: size over the limit
 * (552 5.3.4; nothing more is emitted), more than SMTP_MAX_HOPS
 * "Received:" header fields (554 5.4.6).
 */
#ifndef POSTERN_SMTP_DATA_H
#define POSTERN_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

/* What the smtp process does with a bare CR or LF in message data
 * ("smtp bare-lf" / "smtp bare-cr" in smtpd.conf). */
#define SMTP_BARE_REJECT	0	/* 521 5.5.2 and close (default) */
#define SMTP_BARE_ACCEPT	1	/* keep it as message data */

#define SMTP_DATA_MODE_DATA	0	/* dot-stuffed, ends at CRLF.CRLF */
#define SMTP_DATA_MODE_BDAT	1	/* raw chunks, ends at BDAT LAST */

/* smtp_data_feed() results */
#define SMTP_DATA_MORE		0	/* all input consumed, want more */
#define SMTP_DATA_DONE		1	/* end of DATA seen: *used tells where
					 * the next command starts */
#define SMTP_DATA_FATAL_BARE_LF	-1
#define SMTP_DATA_FATAL_BARE_CR	-2
#define SMTP_DATA_FATAL_OUTPUT	-3	/* the emit callback failed */

/* errors reported at the end (smtp_data_error) */
#define SMTP_DATA_OK		0
#define SMTP_DATA_TOO_BIG	1	/* 552 5.3.4 */
#define SMTP_DATA_LOOP		2	/* 554 5.4.6 too many hops */

typedef int (*smtp_data_emit)(void *arg, const char *buf, size_t len);

struct smtp_data {
	int		 sd_mode;
	int		 sd_bare_lf;	/* SMTP_BARE_* */
	int		 sd_bare_cr;
	uint64_t	 sd_max;	/* stored bytes allowed; 0: no limit
					 * (as "SIZE 0", RFC 1870) */
	uint64_t	 sd_size;	/* stored bytes so far (counted even
					 * past the limit) */
	int		 sd_state;	/* private */
	int		 sd_error;	/* SMTP_DATA_OK, _TOO_BIG, _LOOP */
	int		 sd_in_header;	/* private: still in the header */
	unsigned int	 sd_hops;	/* Received: fields seen */
	char		 sd_hline[16];	/* private: start of a header line */
	size_t		 sd_hlen;
	smtp_data_emit	 sd_emit;
	void		*sd_arg;
};

void	 smtp_data_init(struct smtp_data *, int mode, int bare_lf,
	    int bare_cr, uint64_t max_size, smtp_data_emit, void *arg);
/*
 * Feed len bytes.  *used is set to the bytes consumed: all of them for
 * SMTP_DATA_MORE, up to and including the final CRLF for
 * SMTP_DATA_DONE (the rest belongs to the next command).  Output comes
 * through the emit callback, in pieces of any size.
 */
int	 smtp_data_feed(struct smtp_data *, const char *buf, size_t len,
	    size_t *used);
/* BDAT LAST: flush what is pending (a CR at the end of the last chunk
 * is a bare CR).  Returns like smtp_data_feed (DONE or FATAL). */
int	 smtp_data_finish(struct smtp_data *);
int	 smtp_data_error(const struct smtp_data *);

#endif
