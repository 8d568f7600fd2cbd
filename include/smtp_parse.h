/*
 * SMTP command syntax (RFC 5321, 1870, 2920, 3030, 3461, 6152, 6531):
 * splitting a command line into verb and argument, and parsing the
 * arguments of MAIL, RCPT and BDAT.  Library code (src/lib/smtp_parse.c):
 * no logging, no exit, no session state; the smtp process decides what
 * is allowed when.
 *
 * Every failure comes back as an SMTP reply: a code and the rest of the
 * line with its enhanced status code (RFC 3463), e.g.
 * 501 "5.5.4 Syntax error in parameters".  Code choice:
 *   500  5.5.1/5.5.2  unknown command, line too long, NUL in the line
 *   501  5.5.4 / 5.1.x syntax error in the argument, bad address
 *   553  5.1.3        address not allowed (e.g. UTF-8 without SMTPUTF8)
 *   555  5.5.4        MAIL/RCPT parameter not recognised or not offered
 *   552  5.3.4        SIZE= above the limit
 */
#ifndef POSTERN_SMTP_PARSE_H
#define POSTERN_SMTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "mailaddr.h"
#include "postern_limits.h"

enum smtp_verb {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,		/* "MAIL FROM:" */
	SMTP_CMD_RCPT,		/* "RCPT TO:" */
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_HELP,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
	SMTP_CMD_COUNT
};

struct smtp_reply_err {
	int		 code;		/* 500, 501, 553, 555, 552 */
	const char	*text;		/* "5.5.4 ..." (static string) */
};

/*
 * Split one command line (CRLF already removed, len bytes, may hold
 * anything) into a verb and its argument.  The verb is matched
 * case-insensitively; "MAIL FROM:" and "RCPT TO:" are matched with their
 * colon, spaces before the path are tolerated (as OpenSMTPD and Postfix
 * do).  *arg points into line (NUL-terminated copy made by the caller:
 * line must be writable and line[len] must exist).  A line holding NUL
 * or other control bytes but TAB gives -1 with err set (500 5.5.2).
 * An unknown verb gives SMTP_CMD_UNKNOWN and 0.
 */
int	 smtp_cmd_split(char *line, size_t len, enum smtp_verb *,
	    char **arg, struct smtp_reply_err *);
const char *smtp_verb_name(enum smtp_verb);

/* Extensions a session offers; the parsers refuse parameters of
 * extensions not offered with 555. */
#define SMTP_EXT_SIZE		0x01
#define SMTP_EXT_8BITMIME	0x02
#define SMTP_EXT_SMTPUTF8	0x04
#define SMTP_EXT_DSN		0x08
#define SMTP_EXT_CHUNKING	0x10

#define SMTP_BODY_7BIT		0
#define SMTP_BODY_8BITMIME	1
#define SMTP_BODY_BINARYMIME	2	/* refused: BINARYMIME not offered */

#define DSN_RET_NONE		0
#define DSN_RET_FULL		1
#define DSN_RET_HDRS		2

#define DSN_NOTIFY_NEVER	0x01
#define DSN_NOTIFY_SUCCESS	0x02
#define DSN_NOTIFY_FAILURE	0x04
#define DSN_NOTIFY_DELAY	0x08

struct smtp_mail_args {
	struct mailaddr	 ma_from;	/* null path: both parts empty */
	int		 ma_null;
	uint64_t	 ma_size;	/* SIZE=, 0 if absent */
	int		 ma_body;	/* SMTP_BODY_* */
	int		 ma_smtputf8;
	int		 ma_dsn_ret;	/* DSN_RET_* */
	char		 ma_dsn_envid[SMTP_DSN_ENVID_MAX + 1]; /* xtext as sent */
};

struct smtp_rcpt_args {
	struct mailaddr	 ra_to;
	int		 ra_postmaster;	/* bare <postmaster> */
	int		 ra_dsn_notify;	/* DSN_NOTIFY_* bits, 0: absent */
	char		 ra_dsn_orcpt[SMTP_DSN_ORCPT_MAX + 1]; /* "rfc822;xtext" */
};

/*
 * arg is what follows "MAIL FROM:" / "RCPT TO:" (the path and the
 * parameters).  ext: SMTP_EXT_* offered on this session.  max_size: the
 * configured message size limit (SIZE= above it is 552 5.3.4).  A
 * parameter given twice is 501.  An address with non-ASCII bytes needs
 * SMTPUTF8 on MAIL (553 5.6.7 otherwise).  0, or -1 with err.
 */
int	 smtp_parse_mail(const char *arg, unsigned int ext, uint64_t max_size,
	    struct smtp_mail_args *, struct smtp_reply_err *);
/* smtputf8: the transaction's MAIL had SMTPUTF8. */
int	 smtp_parse_rcpt(const char *arg, unsigned int ext, int smtputf8,
	    struct smtp_rcpt_args *, struct smtp_reply_err *);

/* "BDAT <size> [LAST]": 0, or -1 with err (501). */
int	 smtp_parse_bdat(const char *arg, uint64_t *size, int *last,
	    struct smtp_reply_err *);

/* HELO/EHLO argument: a domain or address literal; 0 or -1 (501). */
int	 smtp_parse_helo(const char *arg, struct smtp_reply_err *);

/* RFC 3461 xtext: valid encoding, decoded length within max. */
int	 smtp_xtext_valid(const char *, size_t maxdecoded);

#endif
