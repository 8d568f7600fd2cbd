/*
 * smtpd.conf: `action` statements (local delivery methods and relay
 * options).
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 */
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "postern_limits.h"
#include "parse_internal.h"

void
parse_action_begin(const char *name)
{
	parse_recover();
	ps.action_dup = 0;
	if (config_action_find(ps.conf, name) != NULL) {
		parse_error("dispatcher already declared with that name: %s",
		    name);
		ps.action_dup = 1;
	}
	if ((ps.action = calloc(1, sizeof(*ps.action))) == NULL) {
		parse_nomem();
		return;
	}
	ps.action->a_name = parse_xstrdup(name);
	ps.action->a_line = ps.stmt_line;
}

void
parse_action_method(enum action_type type, const char *arg, uint32_t flags)
{
	if (ps.action == NULL)
		return;
	ps.action->a_type = type;
	ps.action->a_arg = parse_xstrdup(arg);
	ps.action->a_flags |= flags;
	if (type == ACTION_LMTP && arg != NULL && arg[0] != '/' &&
	    strchr(arg, ':') == NULL)
		parse_error("invalid lmtp destination: %s "
		    "(host:port or /socket)", arg);
	if (type == ACTION_MAILDIR && arg != NULL && arg[0] == '\0')
		parse_error("empty maildir path");
}

/* Is option `what` legal for this action's method?  Reports if not. */
static int
action_opt_ok(const char *what, int relay_only)
{
	struct action	*a = ps.action;

	if (a == NULL)
		return 0;
	if (relay_only && a->a_type != ACTION_RELAY) {
		parse_error("%s may only be specified for relay actions", what);
		return 0;
	}
	if (!relay_only && a->a_type == ACTION_RELAY &&
	    strcmp(what, "ttl") != 0) {
		parse_error("%s may not be specified for relay actions", what);
		return 0;
	}
	return 1;
}

void
parse_action_str(char **field, const char *val, const char *what,
    int relay_only)
{
	struct action	*a = ps.action;

	if (!action_opt_ok(what, relay_only))
		return;
	if (*field != NULL) {
		parse_error("%s already specified for this dispatcher", what);
		return;
	}
	if (field == &a->a_user) {
		if (a->a_type == ACTION_MBOX) {
			parse_error("user may not be specified for this "
			    "dispatcher");
			return;
		}
		if (a->a_type == ACTION_FORWARD_ONLY ||
		    a->a_type == ACTION_EXPAND_ONLY) {
			parse_error("user may not be specified for %s",
			    config_action_type_name(a->a_type));
			return;
		}
	}
	if (field == &a->a_wrapper &&
	    config_wrapper_find(ps.conf, val) == NULL) {
		parse_error("no mda wrapper with that name: %s", val);
		return;
	}
	if (field == &a->a_mail_from) {
		const char	*at = strchr(val, '@');

		if (at == NULL || strchr(at + 1, '@') != NULL ||
		    strpbrk(val, " \t<>") != NULL) {
			parse_error("invalid mail-from address: %s", val);
			return;
		}
	}
	if (field == &a->a_helo && !parse_hostname_ok(val) &&
	    !parse_addr_literal_ok(val)) {
		parse_error("invalid helo name: %s", val);
		return;
	}
	*field = parse_xstrdup(val);
}

void
parse_action_table(struct table **field, struct table *t, const char *what,
    int relay_only)
{
	struct action	*a = ps.action;

	if (!action_opt_ok(what, relay_only))
		return;
	if (*field != NULL) {
		parse_error("%s mapping already specified for this dispatcher",
		    what);
		return;
	}
	if ((field == &a->a_alias && a->a_virtual != NULL) ||
	    (field == &a->a_virtual && a->a_alias != NULL)) {
		parse_error("alias and virtual may not be used together");
		return;
	}
	*field = t;
}

void
parse_action_flag(uint32_t flag, const char *what)
{
	if (!action_opt_ok(what, 1))
		return;
	if (ps.action->a_flags & flag & (A_TLS | A_SRS)) {
		parse_error("%s already specified for this dispatcher", what);
		return;
	}
	if ((flag & A_SRS) && ps.conf->sc_srs_key == NULL) {
		parse_error("an srs key is required for srs to be specified "
		    "in an action");
		return;
	}
	ps.action->a_flags |= flag;
}

void
parse_action_ttl(const char *s)
{
	time_t	t;

	if (!action_opt_ok("ttl", 0))
		return;
	if (ps.action->a_ttl != 0) {
		parse_error("ttl already specified for this dispatcher");
		return;
	}
	if (config_parse_delay(s, &t) == -1) {
		parse_error("ttl delay \"%s\" is invalid", s);
		return;
	}
	ps.action->a_ttl = t;
}

/* Every entry of an inline host table must be a relay URL.  Tables
 * read from elsewhere (files, databases, procs) are checked when the
 * mta uses them. */
static int
action_host_check(const struct table *t)
{
	const struct table_entry	*te;
	struct relay_host		 rh;
	const char			*errstr;
	int				 ok = 1;

	if (t->t_flags & T_MAP) {
		parse_error("relay host table must be a list of URLs, not a "
		    "mapping");
		return 0;
	}
	TAILQ_FOREACH(te, &t->t_entries, te_entry) {
		if (config_relay_url_parse(te->te_key, &rh, &errstr) == -1) {
			parse_error("invalid relay host \"%s\": %s", te->te_key,
			    errstr);
			ok = 0;
		}
		config_relay_host_clear(&rh);
	}
	return ok;
}

void
parse_action_host(struct table *t)
{
	struct action	*a = ps.action;
	const char	*errstr, *url;

	if (!action_opt_ok("host", 1))
		return;
	if (a->a_host_table != NULL || a->a_domain != NULL) {
		parse_error("host mapping already specified for this "
		    "dispatcher");
		return;
	}
	if (a->a_flags & A_BACKUP) {
		parse_error("backup and host are mutually exclusive");
		return;
	}
	/* set even when invalid: later options are checked against it */
	if ((a->a_host_table = t) == NULL || !action_host_check(t))
		return;
	if ((t->t_flags & T_ANON) == 0 || t->t_nentries != 1)
		return;
	url = TAILQ_FIRST(&t->t_entries)->te_key;
	if (config_relay_url_parse(url, &a->a_host, &errstr) == -1) {
		parse_error("invalid relay host \"%s\": %s", url, errstr);
		return;
	}
	a->a_host_url = parse_xstrdup(url);
}

void
parse_action_backup(const char *mx)
{
	struct action	*a = ps.action;

	if (!action_opt_ok("backup", 1))
		return;
	if (a->a_flags & A_BACKUP) {
		parse_error("backup already specified for this dispatcher");
		return;
	}
	if (a->a_host_table != NULL) {
		parse_error("backup and host are mutually exclusive");
		return;
	}
	if (a->a_domain != NULL) {
		parse_error("backup and domain are mutually exclusive");
		return;
	}
	if (mx != NULL && !parse_hostname_ok(mx)) {
		parse_error("invalid backup mx name: %s", mx);
		return;
	}
	a->a_flags |= A_BACKUP;
	a->a_backup_mx = parse_xstrdup(mx);
}

void
parse_action_domain(struct table *t)
{
	struct action	*a = ps.action;

	if (!action_opt_ok("domain", 1))
		return;
	if (a->a_host_table != NULL || a->a_domain != NULL) {
		parse_error("host mapping already specified for this "
		    "dispatcher");
		return;
	}
	if (a->a_flags & A_BACKUP) {
		parse_error("backup and domain are mutually exclusive");
		return;
	}
	a->a_domain = t;
}

void
parse_action_pki(const char *name)
{
	if (!action_opt_ok("pki", 1))
		return;
	if (ps.action->a_pki != NULL) {
		parse_error("pki already specified for this dispatcher");
		return;
	}
	if ((ps.action->a_pki = config_pki_find(ps.conf, name)) == NULL)
		parse_error("pki name not found: %s", name);
}

void
parse_action_ca(const char *name)
{
	if (!action_opt_ok("ca", 1))
		return;
	if (ps.action->a_ca != NULL) {
		parse_error("ca already specified for this dispatcher");
		return;
	}
	if ((ps.action->a_ca = config_ca_find(ps.conf, name)) == NULL)
		parse_error("ca name not found: %s", name);
}

void
parse_action_filter(struct filter *f)
{
	if (!action_opt_ok("filter", 1))
		return;
	if (ps.action->a_filter != NULL) {
		parse_error("filter already specified for this dispatcher");
		return;
	}
	ps.action->a_filter = f;
}

void
parse_action_end(void)
{
	struct action	*a = ps.action;

	if (a == NULL)
		return;
	if (a->a_auth != NULL && a->a_host_table == NULL)
		parse_error_at(ps.stmt_line, "auth may not be specified "
		    "without host on a dispatcher");
	if (a->a_name == NULL || ps.action_dup ||
	    config_action_index(ps.conf, a) == -1)
		config_action_free(a);
	else
		TAILQ_INSERT_TAIL(&ps.conf->sc_actions, a, a_entry);
	ps.action = NULL;
}
