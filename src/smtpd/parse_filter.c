/*
 * smtpd.conf: proc declarations, filters (builtin, proc-exec and
 * chains) and their conditions and decisions.
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 */
#include <sys/types.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "postern_limits.h"
#include "parse_internal.h"

void
parse_proc_begin(const char *name, const char *cmd, int for_filter)
{
	struct proc	*p;

	ps.proc_for_filter = for_filter;
	ps.proc = NULL;
	if (!for_filter && config_proc_find(ps.conf, name) != NULL)
		parse_error("processor already exists with that name: %s",
		    name);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		parse_nomem();
		return;
	}
	p->pr_name = parse_xstrdup(name);
	p->pr_command = parse_xstrdup(cmd);
	p->pr_line = ps.tok_line;
	if (p->pr_name == NULL || p->pr_command == NULL) {
		config_proc_free(p);
		return;
	}
	ps.proc = p;
	if (for_filter && ps.filter != NULL)
		ps.filter->f_proc = p;
}

void
parse_proc_user(int which, const char *val)
{
	static const char *const what[] = { "user", "group", "chroot" };
	char		**field;

	if (ps.proc == NULL)
		return;
	field = which == 0 ? &ps.proc->pr_user :
	    which == 1 ? &ps.proc->pr_group : &ps.proc->pr_chroot;
	if (*field != NULL) {
		parse_error("%s already specified for this processor",
		    what[which]);
		return;
	}
	*field = parse_xstrdup(val);
}

void
parse_proc_end(void)
{
	if (ps.proc != NULL && !ps.proc_for_filter)
		TAILQ_INSERT_TAIL(&ps.conf->sc_procs, ps.proc, pr_entry);
	ps.proc = NULL;
}

void
parse_filter_begin(const char *name, enum filter_type type)
{
	struct filter	*f;

	ps.filter = NULL;
	if (config_filter_find(ps.conf, name) != NULL)
		parse_error("filter already exists with that name: %s", name);
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		parse_nomem();
		return;
	}
	if ((f->f_name = parse_xstrdup(name)) == NULL) {
		free(f);
		return;
	}
	f->f_type = type;
	f->f_line = ps.tok_line;
	ps.filter = f;
}

void
parse_filter_proc(const char *name)
{
	struct proc	*p;

	if ((p = config_proc_find(ps.conf, name)) == NULL) {
		parse_error("no processor exist with that name: %s", name);
		return;
	}
	if (ps.filter != NULL)
		ps.filter->f_proc = p;
}

/* Which conditions each phase may test (OpenSMTPD's rules). */
static int
fcond_allowed(enum filter_phase phase, enum filter_cond_kind kind)
{
	switch (kind) {
	case FCOND_FCRDNS:
	case FCOND_RDNS:
	case FCOND_SRC:
		return 1;
	case FCOND_HELO:
		return phase != FPHASE_CONNECT;
	case FCOND_AUTH:
		return phase != FPHASE_CONNECT && phase != FPHASE_HELO &&
		    phase != FPHASE_EHLO;
	case FCOND_MAIL_FROM:
		return phase == FPHASE_MAIL_FROM || phase == FPHASE_RCPT_TO ||
		    phase == FPHASE_DATA || phase == FPHASE_COMMIT;
	case FCOND_RCPT_TO:
		return phase == FPHASE_RCPT_TO;
	case FCOND_COUNT:
		break;
	}
	return 0;
}

void
parse_filter_end(void)
{
	struct filter	*f = ps.filter;
	size_t		 i;

	if (f == NULL)
		return;
	if (f->f_type == FILTER_BUILTIN) {
		for (i = 0; i < f->f_nconds; i++)
			if (!fcond_allowed(f->f_phase, f->f_conds[i].fc_kind))
				parse_error_at(ps.stmt_line, "%s condition "
				    "is not allowed in phase %s",
				    config_filter_cond_name(
				    f->f_conds[i].fc_kind),
				    config_filter_phase_name(f->f_phase));
		if (f->f_decision == FDEC_JUNK && f->f_phase == FPHASE_COMMIT)
			parse_error_at(ps.stmt_line, "junk is not allowed in "
			    "phase commit");
	}
	if (f->f_type == FILTER_PROC && f->f_proc == NULL) {
		config_filter_free(f);
		ps.filter = NULL;
		return;
	}
	TAILQ_INSERT_TAIL(&ps.conf->sc_filters, f, f_entry);
	ps.filter = NULL;
}

void
parse_chain_begin(int anon)
{
	struct filter	*f;
	char		 name[32];

	if (!anon) {
		ps.chain = ps.filter;
		return;
	}
	ps.chain = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		parse_nomem();
		return;
	}
	(void)snprintf(name, sizeof(name), "#%u", ++ps.conf->sc_anon_next);
	if ((f->f_name = parse_xstrdup(name)) == NULL) {
		free(f);
		return;
	}
	f->f_anon = 1;
	f->f_type = FILTER_CHAIN;
	f->f_line = ps.tok_line;
	ps.chain = f;
}

void
parse_chain_add(const char *name)
{
	struct filter	*c = ps.chain, *fr, **v;
	size_t		 i;

	if ((fr = config_filter_find(ps.conf, name)) == NULL) {
		parse_error("no filter exist with that name: %s", name);
		return;
	}
	if (fr->f_type == FILTER_CHAIN) {
		parse_error("no filter chain allowed within a filter chain: %s",
		    name);
		return;
	}
	if (c == NULL)
		return;
	for (i = 0; i < c->f_nchain; i++) {
		if (c->f_chain[i] == fr) {
			parse_error("no filter allowed twice within a filter "
			    "chain: %s", name);
			return;
		}
		if (fr->f_proc != NULL && c->f_chain[i]->f_proc == fr->f_proc) {
			parse_error("no proc allowed twice within a filter "
			    "chain: %s", fr->f_proc->pr_name);
			return;
		}
	}
	if (c->f_nchain >= CONF_MAX_CHAIN) {
		parse_error("too many filters in chain (at most %d)",
		    CONF_MAX_CHAIN);
		return;
	}
	v = reallocarray(c->f_chain, c->f_nchain + 1, sizeof(*v));
	if (v == NULL) {
		parse_nomem();
		return;
	}
	v[c->f_nchain++] = fr;
	c->f_chain = v;
}

struct filter *
parse_chain_end(void)
{
	struct filter	*c = ps.chain;

	ps.chain = NULL;
	if (c == NULL || !c->f_anon)
		return c;
	TAILQ_INSERT_TAIL(&ps.conf->sc_filters, c, f_entry);
	return c;
}

struct filter *
parse_filter_named(const char *name)
{
	struct filter	*f;

	if ((f = config_filter_find(ps.conf, name)) == NULL)
		parse_error("no filter exist with that name: %s", name);
	return f;
}

void
parse_fcond(int neg, enum filter_cond_kind kind, int regex, struct table *t)
{
	struct filter		*f = ps.filter;
	struct filter_cond	*v;

	if (f == NULL)
		return;
	if (f->f_nconds >= CONF_MAX_FILTER_CONDS) {
		parse_error("too many conditions in filter (at most %d)",
		    CONF_MAX_FILTER_CONDS);
		return;
	}
	v = reallocarray(f->f_conds, f->f_nconds + 1, sizeof(*v));
	if (v == NULL) {
		parse_nomem();
		return;
	}
	f->f_conds = v;
	v[f->f_nconds].fc_kind = kind;
	v[f->f_nconds].fc_neg = neg;
	v[f->f_nconds].fc_regex = regex;
	v[f->f_nconds].fc_table = t;
	f->f_nconds++;
}

static int
smtp_reply_ok(const char *s)
{
	return (s[0] == '4' || s[0] == '5') &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    (s[3] == ' ' || s[3] == '\0');
}

void
parse_fdecision(enum filter_decision d, const char *arg)
{
	if ((d == FDEC_REJECT || d == FDEC_DISCONNECT) && !smtp_reply_ok(arg))
		parse_error("%s message must start with a 4xx or 5xx code: %s",
		    d == FDEC_REJECT ? "reject" : "disconnect", arg);
	if (ps.filter == NULL)
		return;
	ps.filter->f_decision = d;
	ps.filter->f_decision_arg = parse_xstrdup(arg);
}
