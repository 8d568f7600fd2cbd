/*
 * Recipient expansion: from one RCPT to the envelopes to queue.  The
 * recipient goes through the rules (lka_rule.c), then, under a local
 * action, through virtual or aliases tables, the user base, ~/.forward
 * files and :include: files (COMPAT.md 4), until only deliveries are
 * left: a mailbox (the action's method), a /file, a |command, or a
 * remote address.
 *
 * Runs in lka as _smtpd, without chroot; also linked into unit tests.
 * Trusts the configuration.  Tables, :include: and .forward files are
 * parsed as untrusted (aliases_parse_items); bad content there is
 * logged and answered with a temporary failure, never fatal.  A
 * .forward is opened by the parent as its owner (parent_forward.c):
 * the expansion stops with LKA_EXPAND_FORWARD and resumes when the
 * caller hands the descriptor over.
 *
 * Choices (see forward.5 / aliases.5):
 *  - Each node is expanded once: a node met again (same kind, value,
 *    action and owner) is dropped, which ends loops; an expansion that
 *    ends with no delivery at all, deeper than EXPAND_MAX_DEPTH or
 *    larger than EXPAND_MAX_NODES fails with 524 5.2.4.
 *  - An alias or .forward naming its own user delivers to that user's
 *    mailbox, as "\user" does.
 *  - An address produced by an alias, a virtual table or a .forward
 *    goes through the rules again as if sent from the local host.  If
 *    no rule takes it, a local domain is expanded as a user of the same
 *    action, and any other domain is relayed through its MX: the
 *    recipient was already accepted by a rule, and its owner chose the
 *    forward address.
 *  - /file and |command targets of an aliases or virtual table run as
 *    the action's "user", else as lc_alias_user (the unprivileged daemon
 *    account, as OpenSMTPD does); those of a .forward run as its owner.
 *  - :include: is read for aliases tables only, never from a .forward.
 *  - Nothing is delivered as root (uid 0): root needs an alias.
 *  - With "user NAME" every mailbox delivery runs as NAME and no
 *    .forward is read.  With "userbase <t>" no .forward is read
 *    either: the parent finds homes in the password database, which
 *    need not agree with the table.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aliases.h"
#include "config.h"
#include "envelope.h"
#include "lka.h"
#include "log.h"
#include "mailaddr.h"
#include "proc.h"
#include "table.h"

struct xnode {
	TAILQ_ENTRY(xnode)	 xn_work;
	RB_ENTRY(xnode)		 xn_tree;
	char			*xn_key;	/* identity, for RB */
	enum expand_type	 xn_type;
	int			 xn_noexpand;
	int			 xn_root;
	const struct action	*xn_action;	/* NULL only for the root */
	struct mailaddr		 xn_addr;	/* destination so far */
	char			 xn_value[ENVELOPE_ARG_MAX + 1];
	int			 xn_code;	/* EXP_ERROR */
	int			 xn_depth;
	/* "" from a table; else the user whose .forward holds it */
	char			 xn_owner[ENVELOPE_USER_MAX + 1];
};

RB_HEAD(xtree, xnode);

struct lka_expand {
	const struct lka_ctx	*x_ctx;
	struct envelope		 x_tmpl;
	TAILQ_HEAD(, xnode)	 x_work;
	struct xtree		 x_nodes;
	size_t			 x_nnodes;
	int			 x_done;
	int			 x_code;
	char			 x_text[SMTP_REPLY_MAX];
	/* the node waiting for its user's .forward */
	struct xnode		*x_fwd;
	char			 x_fwduser[ENVELOPE_USER_MAX + 1];
	uid_t			 x_fwduid;
	gid_t			 x_fwdgid;
	char			 x_fwdhome[ENVELOPE_ARG_MAX + 1];
	struct envelope		*x_evps;
	size_t			 x_nevps;
	size_t			 x_capevps;
};

static int
xnode_cmp(struct xnode *a, struct xnode *b)
{
	return strcmp(a->xn_key, b->xn_key);
}

/* libbsd's tree.h marks static tree functions __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
RB_PROTOTYPE_STATIC(xtree, xnode, xn_tree, xnode_cmp)
RB_GENERATE_STATIC(xtree, xnode, xn_tree, xnode_cmp)

static void
x_error(struct lka_expand *x, int code, const char *text, const char *tail)
{
	char	rcpt[SMTP_PATH_MAX + 1];

	if (x->x_code != 0 && x->x_code != 250)
		return;
	if (mailaddr_format(&x->x_tmpl.evp_rcpt, rcpt, sizeof(rcpt)) == -1)
		strlcpy(rcpt, "?", sizeof(rcpt));
	x->x_code = code;
	snprintf(x->x_text, sizeof(x->x_text), "%s: <%s>%s", text, rcpt,
	    tail != NULL ? tail : "");
	if (log_trace_get() & TRACE_EXPAND)
		log_info("expand: %d %s", x->x_code, x->x_text);
}

static void
x_tempfail(struct lka_expand *x)
{
	x_error(x, 451, "4.3.0 Temporary failure", NULL);
}

static void
x_toobig(struct lka_expand *x)
{
	x_error(x, 524, "5.2.4 Mailing list expansion problem", NULL);
}

static int
x_failed(const struct lka_expand *x)
{
	return x->x_code != 0 && x->x_code != 250;
}

static void
x_lower(char *dst, size_t len, const char *src)
{
	size_t	i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* The user part without its sub-address ("bob+tag" -> "bob"). */
static void
x_strip_tag(const struct lka_expand *x, char *user)
{
	char	delim = x->x_ctx->lc_conf->sc_subaddr_delim, *p;

	if (delim != '\0' && (p = strchr(user, delim)) != NULL && p != user)
		*p = '\0';
}

/* Queue a node unless it was already seen.  -1 after an error. */
static int
x_add(struct lka_expand *x, struct xnode *n)
{
	char	user[SMTP_LOCALPART_MAX + 1];

	if (n->xn_depth > EXPAND_MAX_DEPTH) {
		log_warnx("expand: nesting deeper than %d levels",
		    EXPAND_MAX_DEPTH);
		free(n);
		x_toobig(x);
		return -1;
	}
	if (x->x_nnodes >= EXPAND_MAX_NODES) {
		log_warnx("expand: more than %d nodes", EXPAND_MAX_NODES);
		free(n);
		x_toobig(x);
		return -1;
	}
	x_lower(user, sizeof(user), n->xn_addr.ma_user);
	if (asprintf(&n->xn_key, "%d|%d|%p|%s|%s|%s|%s", n->xn_type,
	    n->xn_noexpand, (const void *)n->xn_action, n->xn_owner,
	    n->xn_type == EXP_ADDRESS ? n->xn_addr.ma_user : user,
	    n->xn_type == EXP_ADDRESS ? n->xn_addr.ma_domain : "",
	    n->xn_value) == -1)
		fatal("x_add");
	if (RB_INSERT(xtree, &x->x_nodes, n) != NULL) {
		if (log_trace_get() & TRACE_EXPAND)
			log_info("expand: dropping repeated node %s",
			    n->xn_key);
		free(n->xn_key);
		free(n);
		return 0;
	}
	x->x_nnodes++;
	TAILQ_INSERT_TAIL(&x->x_work, n, xn_work);
	return 0;
}

static struct xnode *
x_node(const struct xnode *parent, enum expand_type type)
{
	struct xnode	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("x_node");
	n->xn_type = type;
	if (parent != NULL) {
		n->xn_action = parent->xn_action;
		n->xn_addr = parent->xn_addr;
		n->xn_depth = parent->xn_depth + 1;
		strlcpy(n->xn_owner, parent->xn_owner, sizeof(n->xn_owner));
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Items of an alias value, a virtual value, a .forward, an :include: */

struct x_items {
	struct lka_expand	*xi_x;
	struct xnode		*xi_parent;
	const char		*xi_self;	/* lower-cased user or NULL */
	const char		*xi_owner;	/* .forward owner, or NULL */
	size_t			 xi_count;	/* items taken */
};

static int
x_item(void *arg, const struct expand_item *it)
{
	struct x_items		*xi = arg;
	struct lka_expand	*x = xi->xi_x;
	struct xnode		*n;
	char			 user[SMTP_LOCALPART_MAX + 1];

	if (it->en_type == EXP_INCLUDE && xi->xi_owner != NULL) {
		log_warnx("expand: .forward of %s: :include: ignored",
		    xi->xi_owner);
		return 0;
	}
	xi->xi_count++;
	n = x_node(xi->xi_parent, it->en_type);
	n->xn_noexpand = it->en_noexpand;
	strlcpy(n->xn_owner, xi->xi_owner != NULL ? xi->xi_owner : "",
	    sizeof(n->xn_owner));
	switch (it->en_type) {
	case EXP_ADDRESS:
		n->xn_addr = it->en_addr;
		break;
	case EXP_USERNAME:
		strlcpy(n->xn_addr.ma_user, it->en_addr.ma_user,
		    sizeof(n->xn_addr.ma_user));
		x_lower(user, sizeof(user), it->en_addr.ma_user);
		if (xi->xi_self != NULL && strcmp(user, xi->xi_self) == 0)
			n->xn_noexpand = 1;
		break;
	case EXP_FILENAME:
	case EXP_COMMAND:
	case EXP_INCLUDE:
		strlcpy(n->xn_value, it->en_value, sizeof(n->xn_value));
		break;
	case EXP_ERROR:
		strlcpy(n->xn_value, it->en_value, sizeof(n->xn_value));
		n->xn_code = it->en_code;
		break;
	default:
		free(n);
		return -1;
	}
	return x_add(x, n);
}

static int
x_parse(struct lka_expand *x, struct xnode *parent, const char *self,
    const char *owner, const char *buf, size_t len, const char *what)
{
	struct x_items	 xi;
	const char	*errstr = NULL;

	xi.xi_x = x;
	xi.xi_parent = parent;
	xi.xi_self = self;
	xi.xi_owner = owner;
	xi.xi_count = 0;
	if (aliases_parse_items(buf, len, x_item, &xi, &errstr) == -1) {
		if (!x_failed(x)) {
			log_warnx("expand: %s: %s", what,
			    errstr != NULL ? errstr : "bad item");
			x_tempfail(x);
		}
		return -1;
	}
	return (int)xi.xi_count;
}

/* ------------------------------------------------------------------ */
/* Users */

static enum evp_method
x_method(const struct action *a)
{
	switch (a->a_type) {
	case ACTION_MBOX:
		return EVP_M_MBOX;
	case ACTION_MAILDIR:
		return EVP_M_MAILDIR;
	case ACTION_LMTP:
		return EVP_M_LMTP;
	case ACTION_MDA:
		return EVP_M_MDA;
	default:
		return EVP_M_NONE;
	}
}

/* Append one envelope, unless the same delivery is already there. */
static void
x_leaf(struct lka_expand *x, const struct envelope *e)
{
	struct envelope	*v;
	size_t		 i, ncap;

	for (i = 0; i < x->x_nevps; i++) {
		v = &x->x_evps[i];
		if (v->evp_type == e->evp_type &&
		    v->evp_method == e->evp_method &&
		    v->evp_uid == e->evp_uid &&
		    strcmp(v->evp_dispatcher, e->evp_dispatcher) == 0 &&
		    strcmp(v->evp_user, e->evp_user) == 0 &&
		    strcmp(v->evp_mda_arg, e->evp_mda_arg) == 0 &&
		    strcmp(v->evp_relay, e->evp_relay) == 0 &&
		    mailaddr_cmp(&v->evp_dest, &e->evp_dest) == 0)
			return;
	}
	if (x->x_nevps == x->x_capevps) {
		ncap = x->x_capevps == 0 ? 4 : x->x_capevps * 2;
		if ((v = reallocarray(x->x_evps, ncap, sizeof(*v))) == NULL)
			fatal("x_leaf");
		x->x_evps = v;
		x->x_capevps = ncap;
	}
	x->x_evps[x->x_nevps++] = *e;
}

static void
x_dest(struct lka_expand *x, struct envelope *e, const struct xnode *n)
{
	const char	*dom;

	e->evp_dest = n->xn_addr;
	if (e->evp_dest.ma_domain[0] == '\0') {
		dom = x->x_tmpl.evp_smtpname[0] != '\0' ?
		    x->x_tmpl.evp_smtpname : x->x_ctx->lc_conf->sc_hostname;
		if (dom != NULL)
			strlcpy(e->evp_dest.ma_domain, dom,
			    sizeof(e->evp_dest.ma_domain));
	}
}

static void
x_leaf_mta(struct lka_expand *x, const struct xnode *n,
    const struct action *a)
{
	struct envelope	e = x->x_tmpl;

	e.evp_type = EVP_MTA;
	e.evp_method = EVP_M_NONE;
	x_dest(x, &e, n);
	if (a != NULL) {
		strlcpy(e.evp_dispatcher, a->a_name, sizeof(e.evp_dispatcher));
		if (a->a_type == ACTION_RELAY && a->a_host_url != NULL &&
		    strlcpy(e.evp_relay, a->a_host_url, sizeof(e.evp_relay)) >=
		    sizeof(e.evp_relay)) {
			x_tempfail(x);
			return;
		}
	}
	x_leaf(x, &e);
}

static void
x_leaf_mda(struct lka_expand *x, const struct xnode *n,
    const struct action *a, enum evp_method method, const char *arg,
    const char *user, uid_t uid, gid_t gid, const char *home)
{
	struct envelope	e = x->x_tmpl;

	e.evp_type = EVP_MDA;
	e.evp_method = method;
	x_dest(x, &e, n);
	strlcpy(e.evp_dispatcher, a->a_name, sizeof(e.evp_dispatcher));
	if (strlcpy(e.evp_user, user, sizeof(e.evp_user)) >=
	    sizeof(e.evp_user) ||
	    strlcpy(e.evp_home, home, sizeof(e.evp_home)) >=
	    sizeof(e.evp_home) ||
	    strlcpy(e.evp_mda_arg, arg != NULL ? arg : "",
	    sizeof(e.evp_mda_arg)) >= sizeof(e.evp_mda_arg)) {
		x_tempfail(x);
		return;
	}
	e.evp_uid = uid;
	e.evp_gid = gid;
	if (a->a_flags & A_JUNK)
		e.evp_flags |= EF_MAILDIR_JUNK;
	if (a->a_flags & A_RCPT_TO)
		e.evp_flags |= EF_LMTP_RCPT_TO;
	x_leaf(x, &e);
}

/* ------------------------------------------------------------------ */
/* One node of each kind */

static void
x_virtual(struct lka_expand *x, struct xnode *n, const struct action *a)
{
	struct table_data	*td;
	const struct mailaddr	*ma = &n->xn_addr;
	char			 user[SMTP_LOCALPART_MAX + 1];
	char			 base[sizeof(user)];
	char			 dom[SMTP_DOMAIN_MAX + 1];
	char			 keys[6][SMTP_LOCALPART_MAX + SMTP_DOMAIN_MAX + 3];
	const char		*val = NULL;
	size_t			 i, nkeys = 0;
	int			 r = 0;

	td = table_set_get(x->x_ctx->lc_tables, a->a_virtual);
	x_lower(user, sizeof(user), ma->ma_user);
	x_lower(dom, sizeof(dom), ma->ma_domain);
	strlcpy(base, user, sizeof(base));
	x_strip_tag(x, base);
	snprintf(keys[nkeys++], sizeof(keys[0]), "%s@%s", user, dom);
	if (strcmp(base, user) != 0)
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s@%s", base, dom);
	snprintf(keys[nkeys++], sizeof(keys[0]), "%s", user);
	if (strcmp(base, user) != 0)
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s", base);
	snprintf(keys[nkeys++], sizeof(keys[0]), "@%s", dom);
	snprintf(keys[nkeys++], sizeof(keys[0]), "@");
	for (i = 0; i < nkeys; i++)
		if ((r = table_lookup(td, keys[i], &val)) != 0)
			break;
	if (r == -1) {
		x_tempfail(x);
		return;
	}
	if (r == 0) {
		x_error(x, 550, "5.1.1 Invalid recipient", NULL);
		return;
	}
	n->xn_action = a;
	x_parse(x, n, NULL, NULL, val, strlen(val), "virtual table value");
}

static void
x_address(struct lka_expand *x, struct xnode *n)
{
	struct envelope		 e = x->x_tmpl;
	const struct match	*m;
	const struct action	*a, *parent = n->xn_action;
	struct xnode		*c;
	int			 r, local;

	if (!n->xn_root) {
		strlcpy(e.evp_src, "local", sizeof(e.evp_src));
		e.evp_flags |= EF_LOCAL;
	}
	r = lka_rule_match(x->x_ctx, &e, &n->xn_addr, &m);
	if (r == -1) {
		x_tempfail(x);
		return;
	}
	local = lka_rule_local_domain(x->x_ctx, &e, n->xn_addr.ma_domain);
	if (r == 0 || m->m_action == NULL) {
		if (n->xn_root) {
			if (r == 1)
				x_error(x, 550, "5.7.1 Delivery not "
				    "authorized, recipient rejected", NULL);
			else if (local)
				x_error(x, 550, "5.1.1 Invalid recipient",
				    NULL);
			else
				x_error(x, 550, "5.7.1 Delivery not "
				    "authorized, relaying denied", NULL);
			return;
		}
		/* Accepted already: see the comment at the top. */
		if (local && parent != NULL && parent->a_type != ACTION_RELAY) {
			c = x_node(n, EXP_USERNAME);
			x_add(x, c);
		} else
			x_leaf_mta(x, n, parent);
		return;
	}
	a = m->m_action;
	if (a->a_type == ACTION_RELAY) {
		x_leaf_mta(x, n, a);
		return;
	}
	if (a->a_virtual != NULL) {
		x_virtual(x, n, a);
		return;
	}
	n->xn_action = a;
	c = x_node(n, EXP_USERNAME);
	x_add(x, c);
}

static void
x_mailbox(struct lka_expand *x, struct xnode *n, const char *user, uid_t uid,
    gid_t gid, const char *home)
{
	const struct action	*a = n->xn_action;

	if (a->a_type == ACTION_FORWARD_ONLY) {
		x_error(x, 451, "4.2.4 Mailing list expansion problem", NULL);
		return;
	}
	if (a->a_type == ACTION_EXPAND_ONLY) {
		x_error(x, 524, "5.2.4 Mailing list expansion problem", NULL);
		return;
	}
	x_leaf_mda(x, n, a, x_method(a), a->a_arg, user, uid, gid, home);
}

static void
x_username(struct lka_expand *x, struct xnode *n)
{
	const struct action	*a = n->xn_action;
	struct table_data	*td;
	const char		*val = NULL, *name;
	char			 user[SMTP_LOCALPART_MAX + 1];
	char			 base[sizeof(user)];
	char			 home[ENVELOPE_ARG_MAX + 1];
	uid_t			 uid;
	gid_t			 gid;
	int			 r;

	if (a == NULL || a->a_type == ACTION_RELAY) {
		x_leaf_mta(x, n, a);
		return;
	}
	x_lower(user, sizeof(user), n->xn_addr.ma_user);
	strlcpy(base, user, sizeof(base));
	x_strip_tag(x, base);

	if (!n->xn_noexpand && a->a_alias != NULL) {
		td = table_set_get(x->x_ctx->lc_tables, a->a_alias);
		r = table_lookup(td, user, &val);
		if (r == 0 && strcmp(base, user) != 0)
			r = table_lookup(td, base, &val);
		if (r == -1) {
			x_tempfail(x);
			return;
		}
		if (r == 1) {
			x_parse(x, n, base, NULL, val, strlen(val),
			    "aliases value");
			return;
		}
	}

	name = a->a_user != NULL ? a->a_user : base;
	r = lka_user_lookup(x->x_ctx, a, name, &uid, &gid, home, sizeof(home));
	if (r == -1) {
		x_tempfail(x);
		return;
	}
	if (r == 0) {
		x_error(x, 550, "5.1.1 Invalid recipient", NULL);
		return;
	}
	if (uid == 0) {
		x_error(x, 550, "5.7.1 Delivery to root is not allowed",
		    " (add an alias for root)");
		return;
	}
	if (!n->xn_noexpand && a->a_user == NULL && a->a_userbase == NULL) {
		x->x_fwd = n;
		strlcpy(x->x_fwduser, name, sizeof(x->x_fwduser));
		x->x_fwduid = uid;
		x->x_fwdgid = gid;
		strlcpy(x->x_fwdhome, home, sizeof(x->x_fwdhome));
		return;
	}
	x_mailbox(x, n, name, uid, gid, home);
}

/* /file and |command: who runs them. */
static void
x_target(struct lka_expand *x, struct xnode *n)
{
	const struct action	*a = n->xn_action;
	const char		*name;
	char			 home[ENVELOPE_ARG_MAX + 1];
	uid_t			 uid;
	gid_t			 gid;
	int			 r;

	if (a == NULL || a->a_type == ACTION_RELAY) {
		x_tempfail(x);
		return;
	}
	if (a->a_type == ACTION_FORWARD_ONLY) {
		x_error(x, 451, "4.2.4 Mailing list expansion problem", NULL);
		return;
	}
	if (n->xn_owner[0] != '\0')
		name = n->xn_owner;
	else if (a->a_user != NULL)
		name = a->a_user;
	else {
		name = x->x_ctx->lc_alias_user;
		log_info("expand: %s %s from an aliases table runs as %s",
		    n->xn_type == EXP_COMMAND ? "command" : "file",
		    n->xn_value, name);
	}
	r = lka_user_lookup(x->x_ctx,
	    n->xn_owner[0] != '\0' || a->a_user != NULL ? a : NULL,
	    name, &uid, &gid, home, sizeof(home));
	if (r != 1) {
		log_warnx("expand: no account %s to run %s", name,
		    n->xn_value);
		x_tempfail(x);
		return;
	}
	if (uid == 0) {
		x_error(x, 550, "5.7.1 Delivery to root is not allowed",
		    " (add an alias for root)");
		return;
	}
	x_leaf_mda(x, n, a, n->xn_type == EXP_COMMAND ? EVP_M_PIPE :
	    EVP_M_FILE, n->xn_value, name, uid, gid, home);
}

static void
x_include(struct lka_expand *x, struct xnode *n)
{
	char	*buf;
	size_t	 len;
	int	 fd;

	if ((fd = open(n->xn_value, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) ==
	    -1) {
		log_warn("expand: :include:%s", n->xn_value);
		x_tempfail(x);
		return;
	}
	if (lka_file_read(fd, n->xn_value, &buf, &len) == -1) {
		close(fd);
		x_tempfail(x);
		return;
	}
	close(fd);
	x_parse(x, n, NULL, NULL, buf, len, n->xn_value);
	free(buf);
}

static void
x_error_node(struct lka_expand *x, struct xnode *n)
{
	char	text[ENVELOPE_ARG_MAX + 16];

	if (n->xn_code < 400 || n->xn_code > 599) {
		x_tempfail(x);
		return;
	}
	/* Postern always gives an enhanced status code (RFC 3463). */
	if (isdigit((unsigned char)n->xn_value[0]) && n->xn_value[1] == '.')
		strlcpy(text, n->xn_value, sizeof(text));
	else
		snprintf(text, sizeof(text), "%d.0.0 %s", n->xn_code / 100,
		    n->xn_value);
	x_error(x, n->xn_code, text, NULL);
}

/* ------------------------------------------------------------------ */

struct lka_expand *
lka_expand_new(const struct lka_ctx *ctx, const struct envelope *tmpl)
{
	struct lka_expand	*x;
	struct xnode		*n;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("lka_expand_new");
	x->x_ctx = ctx;
	x->x_tmpl = *tmpl;
	memset(&x->x_tmpl.evp_dest, 0, sizeof(x->x_tmpl.evp_dest));
	TAILQ_INIT(&x->x_work);
	RB_INIT(&x->x_nodes);
	n = x_node(NULL, EXP_ADDRESS);
	n->xn_root = 1;
	n->xn_addr = tmpl->evp_rcpt;
	x_add(x, n);
	return x;
}

enum lka_expand_status
lka_expand_run(struct lka_expand *x)
{
	struct xnode	*n;

	if (x->x_fwd != NULL)
		return LKA_EXPAND_FORWARD;
	while (!x->x_done && !x_failed(x) &&
	    (n = TAILQ_FIRST(&x->x_work)) != NULL) {
		TAILQ_REMOVE(&x->x_work, n, xn_work);
		switch (n->xn_type) {
		case EXP_ADDRESS:
			x_address(x, n);
			break;
		case EXP_USERNAME:
			x_username(x, n);
			if (x->x_fwd != NULL)
				return LKA_EXPAND_FORWARD;
			break;
		case EXP_FILENAME:
		case EXP_COMMAND:
			x_target(x, n);
			break;
		case EXP_INCLUDE:
			x_include(x, n);
			break;
		case EXP_ERROR:
			x_error_node(x, n);
			break;
		}
	}
	x->x_done = 1;
	if (!x_failed(x)) {
		if (x->x_nevps == 0) {
			log_warnx("expand: no delivery left");
			x_toobig(x);
		} else
			x->x_code = 250;
	}
	return LKA_EXPAND_DONE;
}

const char *
lka_expand_forward_user(const struct lka_expand *x)
{
	return x->x_fwd != NULL ? x->x_fwduser : NULL;
}

void
lka_expand_forward(struct lka_expand *x, int result, int fd)
{
	struct xnode	*n = x->x_fwd;
	char		*buf = NULL, what[ENVELOPE_USER_MAX + 32];
	size_t		 len = 0;
	int		 r;

	if (n == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	x->x_fwd = NULL;
	snprintf(what, sizeof(what), ".forward of %s", x->x_fwduser);
	if (result == 0 && fd != -1) {
		if (lka_file_read(fd, what, &buf, &len) == -1) {
			close(fd);
			x_tempfail(x);
			return;
		}
		close(fd);
		r = x_parse(x, n, x->x_fwduser, x->x_fwduser, buf, len, what);
		free(buf);
		/* Items (or an error): done.  Only blank lines, comments or
		 * ignored :include:s: the same as no .forward. */
		if (r != 0)
			return;
	} else if (fd != -1)
		close(fd);
	if (result != 0 && result != ENOENT && result != EPERM) {
		log_warnx("expand: %s: %s", what, strerror(result));
		x_tempfail(x);
		return;
	}
	/* None, empty, or refused by the owner/mode checks: the mailbox. */
	x_mailbox(x, n, x->x_fwduser, x->x_fwduid, x->x_fwdgid,
	    x->x_fwdhome);
}

int
lka_expand_code(const struct lka_expand *x)
{
	return x->x_code;
}

const char *
lka_expand_text(const struct lka_expand *x)
{
	return x->x_code == 250 ? NULL : x->x_text;
}

size_t
lka_expand_count(const struct lka_expand *x)
{
	return x->x_code == 250 ? x->x_nevps : 0;
}

const struct envelope *
lka_expand_envelope(const struct lka_expand *x, size_t i)
{
	if (i >= lka_expand_count(x))
		return NULL;
	return &x->x_evps[i];
}

void
lka_expand_free(struct lka_expand *x)
{
	struct xnode	*n, *next;

	if (x == NULL)
		return;
	for (n = RB_MIN(xtree, &x->x_nodes); n != NULL; n = next) {
		next = RB_NEXT(xtree, &x->x_nodes, n);
		RB_REMOVE(xtree, &x->x_nodes, n);
		free(n->xn_key);
		free(n);
	}
	free(x->x_evps);
	free(x);
}
