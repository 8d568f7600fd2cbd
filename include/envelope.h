/*
 * Envelopes: one recipient of one message, with everything the queue,
 * the scheduler and the delivery agents need.  Library code
 * (src/lib/envelope.c): no logging, no exit.
 *
 * The text form is the only serialisation: it is what the queue writes
 * into the spool (one file per envelope) and what travels between
 * processes (string payloads, see imsg_types.h).  One "key: value" per
 * line, LF-terminated, first line "version: 1".  envelope_dump() refuses
 * any value holding CR, LF or NUL or too long for its field;
 * envelope_load() re-validates every field (known key, each key at most
 * once, required keys present, lengths, numbers in range, addresses
 * parse, enum words known) and refuses anything else, so a damaged or
 * forged file is refused as a whole (OpenSMTPD CVE-2020-8794 injected a
 * line into its text envelope).  Unknown keys are an error, so a newer
 * format is never half-read.
 *
 * Identifiers: a message id is 32 random bits (never 0); an envelope id
 * is msgid << 32 | 32 random bits (low part never 0).  Printed as
 * %08x and %016llx.
 */
#ifndef POSTERN_ENVELOPE_H
#define POSTERN_ENVELOPE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailaddr.h"
#include "postern_limits.h"

#define ENVELOPE_VERSION	1

#define evpid_to_msgid(id)	((uint32_t)((uint64_t)(id) >> 32))

enum evp_type {
	EVP_MDA = 1,		/* local delivery (mda) */
	EVP_MTA = 2,		/* relay (mta) */
};

/* How a local envelope is delivered. */
enum evp_method {
	EVP_M_NONE = 0,		/* EVP_MTA */
	EVP_M_MBOX,		/* evp_mda_arg: mbox path format or "" */
	EVP_M_MAILDIR,		/* evp_mda_arg: maildir path format or "" */
	EVP_M_LMTP,		/* evp_mda_arg: host:port or /unix/socket */
	EVP_M_MDA,		/* evp_mda_arg: command (action "mda") */
	EVP_M_FILE,		/* evp_mda_arg: /path from an alias/.forward */
	EVP_M_PIPE,		/* evp_mda_arg: |command from an alias/.forward */
};

/* evp_flags */
#define EF_AUTHENTICATED	0x0001	/* the client used AUTH */
#define EF_BOUNCE		0x0002	/* a bounce: never bounce it again */
#define EF_SMTPUTF8		0x0004	/* MAIL ... SMTPUTF8 */
#define EF_8BITMIME		0x0008	/* MAIL ... BODY=8BITMIME */
#define EF_TLS			0x0010	/* received over TLS */
#define EF_LOCAL		0x0020	/* from the local socket (sendmail) */
#define EF_MAILDIR_JUNK		0x0040	/* maildir "junk" option */
#define EF_LMTP_RCPT_TO		0x0080	/* lmtp "rcpt-to" option */
#define EF_ALL			0x00ff

struct envelope {
	uint64_t	 evp_id;		/* 0 until the queue sets it */
	enum evp_type	 evp_type;
	uint32_t	 evp_flags;

	/* where the message came from (set by smtp) */
	char		 evp_tag[CONF_MAX_TAG + 1];	/* listener tag or "" */
	char		 evp_smtpname[SMTP_DOMAIN_MAX + 1]; /* our name there */
	char		 evp_helo[SMTP_DOMAIN_MAX + 1];
	char		 evp_hostname[SMTP_DOMAIN_MAX + 1]; /* client rDNS or "" */
	char		 evp_src[64];	/* "192.0.2.1", "::1" or "local" */
	char		 evp_auth[SMTP_AUTHUSER_MAX + 1];	/* or "" */

	/* addresses */
	struct mailaddr	 evp_sender;	/* null reverse path: both empty */
	struct mailaddr	 evp_rcpt;	/* as given in RCPT TO */
	struct mailaddr	 evp_dest;	/* after expansion (set by lka) */

	/* delivery, set by lka from the matching rule's action */
	char		 evp_dispatcher[CONF_MAX_NAME + 1];	/* action name */
	enum evp_method	 evp_method;
	char		 evp_user[ENVELOPE_USER_MAX + 1];	/* local account */
	uid_t		 evp_uid;	/* of evp_user, never 0 for MDA */
	gid_t		 evp_gid;
	char		 evp_home[ENVELOPE_ARG_MAX + 1];	/* of evp_user */
	char		 evp_mda_arg[ENVELOPE_ARG_MAX + 1];	/* see evp_method */
	char		 evp_relay[ENVELOPE_ARG_MAX + 1];	/* MTA: "host"
						 * relay URL or "" (MX) */

	/* DSN, RFC 3461 (set by smtp) */
	int		 evp_dsn_notify;	/* DSN_NOTIFY_*, 0: not given */
	int		 evp_dsn_ret;		/* DSN_RET_* */
	char		 evp_dsn_envid[SMTP_DSN_ENVID_MAX + 1];
	char		 evp_dsn_orcpt[SMTP_DSN_ORCPT_MAX + 1];

	/* scheduling (set by the queue) */
	time_t		 evp_creation;
	time_t		 evp_expire;		/* absolute time */
	time_t		 evp_lasttry;		/* 0: never tried */
	uint32_t	 evp_retry;
	char		 evp_errorline[ENVELOPE_ERRORLINE_MAX + 1];
};

/* Text form into buf (NUL-terminated).  Returns its length, or -1
 * (a value with CR/LF/NUL, an unknown enum, or buf too small). */
int	 envelope_dump(const struct envelope *, char *buf, size_t len);

/* Parse and validate the text form (len bytes, need not be
 * NUL-terminated).  0, or -1 with *errstr naming the line or key. */
int	 envelope_load(struct envelope *, const char *buf, size_t len,
	    const char **errstr);

const char	*envelope_method_name(enum evp_method);
const char	*envelope_type_name(enum evp_type);

/* Random ids (arc4random): a new message id, and an envelope id in it. */
uint32_t	 envelope_new_msgid(void);
uint64_t	 envelope_new_evpid(uint32_t msgid);

#endif
