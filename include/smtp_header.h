/*
 * The header section of a message being received, followed as a
 * stream (src/lib/smtp_header.c): the smtp process feeds it the message
 * bytes as they are stored (lines end with LF, dot-stuffing already
 * removed; see smtp_data.h) and it passes them on through an emit
 * callback, adding the fields a submission lacks and rewriting From:
 * for `senders ... masquerade`.  Library code: no I/O, no logging, no
 * exit.  Every byte is untrusted.
 *
 * The header section ends at the first of:
 *   - an empty line (a lone LF): the fields to add go before it;
 *   - a line that cannot be a header field: one that starts with a
 *     space or tab but continues no field, or whose first bytes are not
 *     a field name (printable ASCII but ':') followed by optional
 *     spaces or tabs and ':'.  The message then has a body without the
 *     empty line that should separate it (or no header section at
 *     all); the fields to add go before that line, followed by an empty
 *     line, so that the result is a well-formed message;
 *   - the end of the message: the fields to add go last (after an LF
 *     if the last line had none).
 * Nothing is ever added or changed when nothing is to be added: a
 * message that has every field passes through byte for byte.
 *
 * Field names are compared case-insensitively ("dAtE :" is a Date
 * field, RFC 5322 4.5.3 allows spaces before the colon); a folded field
 * (continuation lines starting with a space or tab) is one field; lines
 * may be of any length and hold any byte (NUL, bare CR, 8-bit).
 *
 * Memory is bounded, whatever the input:
 *   - while a line's kind is unknown its first bytes are held, at most
 *     SMTP_HEADER_NAME_MAX (998, the longest line RFC 5322 2.1.1
 *     allows).  A line that reaches the cap without a ':' cannot be a
 *     field: it is taken as the start of the body;
 *   - with masquerade a From: field is held whole to be rewritten, at
 *     most SMTP_HEADER_FROM_MAX bytes.  A longer one is dropped and
 *     replaced by "From: <sender>" alone (its display name is lost);
 *   - everything else streams through.
 * A header section that never ends (no empty line, only fields up to
 * the end of the message) is passed through as it comes; the fields to
 * add are written at the end.
 *
 * Masquerade: each From: field becomes "From: <display name> <sender>":
 * the display name of its first mailbox (the text before its first
 * top-level "<", when that comes before any top-level "," ";" or ":")
 * is kept, unfolded, unless it holds control characters; every address
 * is replaced by the sender.  Without any From: field, "From: <sender>"
 * is added.
 */
#ifndef POSTERN_SMTP_HEADER_H
#define POSTERN_SMTP_HEADER_H

#include <stddef.h>

#include "postern_limits.h"

/* Fields seen (smtp_header_seen) */
#define SMTP_HEADER_DATE	0x01
#define SMTP_HEADER_MSGID	0x02
#define SMTP_HEADER_FROM	0x04

/* Where the header section ended (smtp_header_end) */
#define SMTP_HEADER_END_NONE	0	/* not yet */
#define SMTP_HEADER_END_EMPTY	1	/* at an empty line */
#define SMTP_HEADER_END_BODY	2	/* at a line that is no field */
#define SMTP_HEADER_END_EOF	3	/* at the end of the message */

/* Longest value given to smtp_header_init (without the NUL). */
#define SMTP_HEADER_VALUE_MAX	(SMTP_DOMAIN_MAX + 128)

typedef int (*smtp_header_emit)(void *arg, const char *buf, size_t len);

/* What to do; NULL or "" for each: nothing. */
struct smtp_header_fix {
	const char	*hf_date;	/* Date: value if none is there */
	const char	*hf_msgid;	/* Message-ID: value ("<id@host>") */
	const char	*hf_from;	/* masquerade: the sender, "user@dom" */
};

struct smtp_header {
	/* private */
	int		 sh_state;
	int		 sh_end;
	unsigned int	 sh_seen;
	size_t		 sh_nfields;	/* field lines so far */
	int		 sh_holding;	/* the current field is a held From */
	int		 sh_from_over;	/* ... too long: replaced whole */
	char		 sh_date[SMTP_HEADER_VALUE_MAX + 1];
	char		 sh_msgid[SMTP_HEADER_VALUE_MAX + 1];
	char		 sh_sender[SMTP_HEADER_VALUE_MAX + 1];
	char		 sh_line[SMTP_HEADER_NAME_MAX];
	size_t		 sh_linelen;
	size_t		 sh_namelen;
	char		 sh_from[SMTP_HEADER_FROM_MAX];
	size_t		 sh_fromlen;
	smtp_header_emit sh_emit;
	void		*sh_arg;
};

/* 0, or -1 when a value is too long or holds CR, LF or NUL. */
int		 smtp_header_init(struct smtp_header *,
		    const struct smtp_header_fix *, smtp_header_emit,
		    void *arg);
/* Feed len bytes of the stored message.  0, or -1 if emit failed. */
int		 smtp_header_feed(struct smtp_header *, const char *,
		    size_t len);
/* The end of the message.  0, or -1 if emit failed. */
int		 smtp_header_finish(struct smtp_header *);
unsigned int	 smtp_header_seen(const struct smtp_header *);
int		 smtp_header_end(const struct smtp_header *);

#endif
