/*
 * Mail addresses (RFC 5321 4.1.2, RFC 6531): parsing, validation and
 * formatting.  Library code (src/lib/mailaddr.c): no logging, no exit.
 *
 * A struct mailaddr holds the local part *unquoted* ("john doe" for
 * "\"john doe\"@example.org") and the domain as written but lower-cased
 * (an address literal "[192.0.2.1]" keeps its brackets).  The null
 * reverse path has both parts empty.  The bare "postmaster" recipient
 * (RFC 5321 4.1.1.3) is parsed as user "postmaster", empty domain, with
 * MAILADDR_POSTMASTER set by the caller's flags.
 *
 * Nothing in the local part is routing: '%', '!', '@' inside quotes and
 * source routes never name another destination.  Source routes
 * ("@a,@b:user@dom") are accepted and dropped.
 */
#ifndef POSTERN_MAILADDR_H
#define POSTERN_MAILADDR_H

#include <stddef.h>

#include "postern_limits.h"

struct mailaddr {
	char	ma_user[SMTP_LOCALPART_MAX + 1];
	char	ma_domain[SMTP_DOMAIN_MAX + 1];
};

/* flags for mailaddr_parse() */
#define MAILADDR_UTF8		0x01	/* SMTPUTF8: UTF-8 in both parts */
#define MAILADDR_NO_DOMAIN_OK	0x02	/* "user" without @domain is valid
					 * (aliases, tables, postmaster) */
#define MAILADDR_HOSTNAME	0x04	/* mailaddr_domain_valid() only: also
					 * '_' inside labels (HELO names, as
					 * res_hnok(3) allows) */

/*
 * Parse an address without angle brackets: "user@domain",
 * "\"quoted local\"@domain", "user@[192.0.2.1]", "user@[IPv6:::1]".
 * s need not be NUL-terminated (len bytes), at most SMTP_MAILBOX_MAX.
 * 0, or -1 with *errstr set to a short reason ("local part too long",
 * "invalid domain", ...).
 */
int	 mailaddr_parse(struct mailaddr *, const char *s, size_t len,
	    int flags, const char **errstr);

/*
 * Parse an SMTP path: "<...>" with optional source route, or "<>" (the
 * null path, only when allow_null).  The RFC 5321 length limits apply
 * to the path as written.  0, or -1 with *errstr.
 */
int	 mailaddr_parse_path(struct mailaddr *, const char *s, size_t len,
	    int allow_null, int flags, const char **errstr);

/* Valid domain (dot-atom of LDH labels, or an address literal);
 * with MAILADDR_UTF8, U-labels in UTF-8 are allowed. */
int	 mailaddr_domain_valid(const char *, int flags);

/* True for the null reverse path. */
int	 mailaddr_is_null(const struct mailaddr *);

/*
 * "user@domain", quoting the local part when it needs it; "" for the
 * null path, "user" when the domain is empty.  Returns the length, or
 * -1 if buf is too small (buf then holds "").  An address that came from
 * mailaddr_parse() or mailaddr_parse_path() always fits in
 * SMTP_MAILBOX_MAX + 1 bytes: both refuse longer text, and the
 * formatted text is never longer than what was parsed.
 */
int	 mailaddr_format(const struct mailaddr *, char *buf, size_t len);

/* Case-insensitive domain, case-sensitive local part (RFC 5321 2.4). */
int	 mailaddr_cmp(const struct mailaddr *, const struct mailaddr *);

/* True if any of the len bytes of s is not ASCII. */
int	 mailaddr_has_8bit(const char *s, size_t len);

/* True if s is valid UTF-8 (no overlongs, no surrogates). */
int	 mailaddr_utf8_valid(const char *s, size_t len);

#endif
