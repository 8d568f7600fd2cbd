/*
 * smtpd.conf: `match` rules and the action they name.
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 */
#include <sys/types.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "postern_limits.h"
#include "parse_internal.h"

void
parse_match_begin(void)
{
	parse_recover();
	if ((ps.match = calloc(1, sizeof(*ps.match))) == NULL) {
		parse_nomem();
		return;
	}
	ps.match->m_line = ps.stmt_line;
}

void
parse_match_from(int neg, enum match_from from, int regex, struct table *t)
{
	struct match	*m = ps.match;

	if (m == NULL)
		return;
	if (m->m_from_cond.mc_set) {
		parse_error("from already specified for this rule");
		return;
	}
	if ((from == FROM_AUTH && m->m_opts[MOPT_AUTH].mc_set) ||
	    (from == FROM_MAIL_FROM && m->m_opts[MOPT_MAIL_FROM].mc_set)) {
		parse_error("%s already specified for this rule",
		    from == FROM_AUTH ? "auth" : "mail-from");
		return;
	}
	m->m_from = from;
	m->m_from_cond.mc_set = 1;
	m->m_from_cond.mc_neg = neg;
	m->m_from_cond.mc_regex = regex;
	m->m_from_cond.mc_table = t;
}

void
parse_match_for(int neg, enum match_for mfor, int regex, struct table *t)
{
	struct match	*m = ps.match;

	if (m == NULL)
		return;
	if (m->m_for_cond.mc_set) {
		parse_error("for already specified for this rule");
		return;
	}
	if (mfor == FOR_RCPT_TO && m->m_opts[MOPT_RCPT_TO].mc_set) {
		parse_error("rcpt-to already specified for this rule");
		return;
	}
	m->m_for = mfor;
	m->m_for_cond.mc_set = 1;
	m->m_for_cond.mc_neg = neg;
	m->m_for_cond.mc_regex = regex;
	m->m_for_cond.mc_table = t;
}

void
parse_match_opt(int neg, enum match_opt opt, int regex, struct table *t)
{
	struct match	*m = ps.match;

	if (m == NULL)
		return;
	if (m->m_opts[opt].mc_set ||
	    (opt == MOPT_AUTH && m->m_from_cond.mc_set &&
	    m->m_from == FROM_AUTH) ||
	    (opt == MOPT_MAIL_FROM && m->m_from_cond.mc_set &&
	    m->m_from == FROM_MAIL_FROM) ||
	    (opt == MOPT_RCPT_TO && m->m_for_cond.mc_set &&
	    m->m_for == FOR_RCPT_TO)) {
		parse_error("%s already specified for this rule",
		    config_mopt_name(opt));
		return;
	}
	m->m_opts[opt].mc_set = 1;
	m->m_opts[opt].mc_neg = neg;
	m->m_opts[opt].mc_regex = regex;
	m->m_opts[opt].mc_table = t;
}

void
parse_match_end(const char *action)
{
	struct match	*m = ps.match;
	struct action	*a = NULL;

	if (action != NULL && (a = config_action_find(ps.conf, action)) ==
	    NULL)
		parse_error("no such dispatcher: %s", action);
	if (m == NULL)
		return;
	m->m_action = a;
	TAILQ_INSERT_TAIL(&ps.conf->sc_matches, m, m_entry);
	ps.match = NULL;
}
