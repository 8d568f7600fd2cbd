/*
 * The lka process (src/smtpd/lka.c) and its helpers: rule matching
 * (lka_rule.c) and recipient expansion (lka_expand.c).  See proc.h for
 * the role structure, table.h for tables.
 *
 * The helpers are process-free so that unit tests can drive them with
 * a parsed configuration: the only request that leaves the process
 * (opening a ~/.forward through the parent) is returned to the caller
 * as a step of the expansion.
 */
#ifndef POSTERN_LKA_H
#define POSTERN_LKA_H

#include <sys/types.h>

#include <stddef.h>

#include "envelope.h"
#include "mailaddr.h"
#include "postern_limits.h"
#include "proc.h"

extern const struct proc_role	lka_role;

struct smtpd_config;
struct table_set;
struct match;

/* What rule matching and expansion need to know. */
struct lka_ctx {
	const struct smtpd_config *lc_conf;
	struct table_set	*lc_tables;
	char			**lc_localaddrs;	/* e.g. "192.0.2.1" */
	size_t			 lc_nlocaladdrs;
	/* Account that runs /file and |command targets of an aliases or
	 * virtual table when the action has no "user" (COMPAT 4.1). */
	const char		*lc_alias_user;
};

/* lka_rule.c */
/*
 * The first rule of conf matching evp (session fields) with recipient
 * rcpt.  1 with *m set (m_action NULL: a reject rule), 0 when no rule
 * matches, -1 when a table needed could not be read (temporary).
 */
int	lka_rule_match(const struct lka_ctx *, const struct envelope *evp,
	    const struct mailaddr *rcpt, const struct match **m);
/* "for local": the domain is one of ours (COMPAT 1.4). */
int	lka_rule_local_domain(const struct lka_ctx *, const struct envelope *,
	    const char *domain);
/* "from local": the local socket, a loopback or a local address. */
int	lka_rule_local_source(const struct lka_ctx *, const struct envelope *);

/* lka_user.c */
struct action;
/* The account name: 1 with its ids and home, 0 no such user, -1 lookup
 * failure (logged).  From a's userbase table if it has one. */
int	lka_user_lookup(const struct lka_ctx *, const struct action *a,
	    const char *name, uid_t *, gid_t *, char *home, size_t homelen);
/* Read a regular file's whole content (at most EXPAND_MAX_FILE) from
 * fd into a new buffer.  0, or -1 logged (what names the file). */
int	lka_file_read(int fd, const char *what, char **buf, size_t *len);

/* lka_expand.c */
enum lka_expand_status {
	LKA_EXPAND_DONE = 0,	/* lka_expand_code() tells how */
	LKA_EXPAND_FORWARD,	/* open lka_expand_forward_user()'s .forward */
};

struct lka_expand;

/* Start expanding tmpl->evp_rcpt; tmpl carries the session fields. */
struct lka_expand *lka_expand_new(const struct lka_ctx *,
	    const struct envelope *tmpl);
enum lka_expand_status lka_expand_run(struct lka_expand *);
const char	*lka_expand_forward_user(const struct lka_expand *);
/*
 * The answer for the pending .forward: result 0 with fd (read here,
 * then closed), ENOENT (none), EPERM (refused by the parent's checks:
 * ignored, as OpenSMTPD does), another errno (temporary failure).
 * Call lka_expand_run() again afterwards.
 */
void		 lka_expand_forward(struct lka_expand *, int result, int fd);
/* After LKA_EXPAND_DONE: 250, or the SMTP code of the refusal with its
 * text (enhanced code first, ": <rcpt>" last, no CRLF). */
int		 lka_expand_code(const struct lka_expand *);
const char	*lka_expand_text(const struct lka_expand *);
size_t		 lka_expand_count(const struct lka_expand *);
const struct envelope *lka_expand_envelope(const struct lka_expand *,
	    size_t);
void		 lka_expand_free(struct lka_expand *);

/* lka_auth.c: IMSG_SMTP_AUTH from smtp (a credentials table, or PAM
 * through the parent) and the parent's IMSG_PARENT_AUTH_PAM. */
struct ipc_msg;
void		 lka_auth_request(const struct lka_ctx *, struct ipc_msg *);
void		 lka_auth_pam_answer(struct ipc_msg *);

/* lka_sender.c: IMSG_SMTP_SENDER_CHECK, `listen ... senders <table>`.
 * Results, as in IMSG_LKA_SENDER_CHECK: */
#define LKA_SENDER_OK		0
#define LKA_SENDER_REFUSED	1
#define LKA_SENDER_TEMPFAIL	2
struct listener;
/* May user send as from (the null path: both parts empty) on l? */
int		 lka_sender_allowed(const struct lka_ctx *,
		    const struct listener *, const char *user,
		    const struct mailaddr *from);
void		 lka_sender_request(const struct lka_ctx *, struct ipc_msg *);

#endif
