/*
 * Configuration distribution, sending side: the parent cuts its parsed
 * config into one message per object and sends each child only what its
 * role needs (config_ipc_recv.c rebuilds it in the child).
 *
 * config_serialize() runs in the parent (root) and trusts the config;
 * it reaches the children through the emit function its caller gives.
 *
 * What each role gets (P_* parts below):
 *
 *	role		parts
 *	parent		everything (reload checks, tests)
 *	control		globals
 *	lka		globals + srs keys, tables with their inline entries,
 *			pki/ca names (no PEM), procs, filters, listeners,
 *			mda wrappers, actions with relay hosts, matches
 *	ca		globals, pki with certificates and private keys
 *	queue		globals + queue encryption key
 *	scheduler	globals
 *	smtp		globals, table names, pki and ca with certificates
 *			(no keys), procs, filters, listeners
 *	mta		globals, table names, pki and ca with certificates
 *			(no keys), procs, filters, wrappers, actions with
 *			relay hosts, mta limits
 *	mda		globals, table names, pki/ca names, procs, filters,
 *			wrappers, actions without relay hosts
 *
 * Private keys go to ca only, the srs keys to lka only, the queue key to
 * queue only; inline table entries (which may hold credentials) to lka.
 * "Table names" are table headers (name, backend, path) without entries,
 * sent so that references from listeners and actions resolve.
 *
 * "Relay hosts" are an action's host table reference and, when that is
 * a single URL, the URL itself.  The mta relays with them; a host table
 * of several URLs (or a named one) is looked up through lka, which holds
 * the entries.  Roles without relay hosts get the action with no host.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_ipc_internal.h"
#include "imsg_types.h"
#include "ipc.h"
#include "postern_limits.h"

#define P_SRS_KEY	0x0001
#define P_QUEUE_KEY	0x0002
#define P_TABLES	0x0004
#define P_ENTRIES	0x0008
#define P_PKI		0x0010	/* pki and ca headers */
#define P_CERTS		0x0020
#define P_KEYS		0x0040
#define P_FILTERS	0x0080	/* procs and filters */
#define P_LISTENERS	0x0100
#define P_ACTIONS	0x0200	/* mda wrappers and actions */
#define P_MATCHES	0x0400
#define P_MTA_LIMITS	0x0800
#define P_RELAY_HOSTS	0x1000	/* action host tables and URLs */
#define P_REFS		(P_TABLES | P_PKI | P_FILTERS)
#define P_ALL		0x1fff

static const uint32_t role_parts[PROC_COUNT] = {
	[PROC_PARENT] = P_ALL,
	[PROC_CONTROL] = 0,
	[PROC_LKA] = P_SRS_KEY | P_REFS | P_ENTRIES | P_LISTENERS |
	    P_ACTIONS | P_RELAY_HOSTS | P_MATCHES,
	[PROC_CA] = P_PKI | P_CERTS | P_KEYS,
	[PROC_QUEUE] = P_QUEUE_KEY | P_REFS | P_ACTIONS,	/* per-action ttl */
	[PROC_SCHEDULER] = 0,
	[PROC_SMTP] = P_REFS | P_CERTS | P_LISTENERS,
	[PROC_MTA] = P_REFS | P_CERTS | P_ACTIONS | P_RELAY_HOSTS |
	    P_MTA_LIMITS,
	[PROC_MDA] = P_REFS | P_ACTIONS,
};


/* Where each object sits in its list, sorted by address: a large config
 * has thousands of tables and actions, each referred to many times, and
 * walking the list for every reference made sending it quadratic. */
struct ref_pos {
	const void	*rp_ptr;
	uint32_t	 rp_pos;
};

struct ref_map {
	struct ref_pos	*rm_v;		/* NULL: not built, walk the list */
	size_t		 rm_n;
	size_t		 rm_cap;
	int		 rm_failed;
};

enum ref_kind {
	REF_TABLE = 0,
	REF_PKI,
	REF_CA,
	REF_PROC,
	REF_FILTER,
	REF_ACTION,
	REF_COUNT
};

struct ser {
	const struct smtpd_config	*conf;
	struct ref_map			 refs[REF_COUNT];
	uint32_t			 parts;
	config_emit_fn			 emit;
	void				*arg;
	struct msg_out			*mo;
	uint32_t			 counts[ST_END + 1]; /* [ST_END]: entries
							    * and keys */
};

static struct msg_out	ser_mo;

static void
ser_send(struct ser *s, uint32_t type, enum conf_stage st)
{
	/* parse-time limits keep every object inside one message; one that
	 * does not fit is dropped and the END counts make the child fail */
	if (m_error(s->mo) == -1)
		return;
	s->emit(s->arg, type, s->mo);
	s->counts[st]++;
}

static int
ref_pos_cmp(const void *a, const void *b)
{
	uintptr_t	x = (uintptr_t)((const struct ref_pos *)a)->rp_ptr;
	uintptr_t	y = (uintptr_t)((const struct ref_pos *)b)->rp_ptr;

	return x < y ? -1 : x > y;
}

static void
ref_add(struct ref_map *rm, const void *p)
{
	struct ref_pos	*v;
	size_t		 cap;

	if (rm->rm_failed)
		return;
	if (rm->rm_n == rm->rm_cap) {
		cap = rm->rm_cap == 0 ? 64 : rm->rm_cap * 2;
		if ((v = reallocarray(rm->rm_v, cap, sizeof(*v))) == NULL) {
			/* lookups fall back to walking the list */
			free(rm->rm_v);
			memset(rm, 0, sizeof(*rm));
			rm->rm_failed = 1;
			return;
		}
		rm->rm_v = v;
		rm->rm_cap = cap;
	}
	rm->rm_v[rm->rm_n].rp_ptr = p;
	rm->rm_v[rm->rm_n].rp_pos = (uint32_t)rm->rm_n;
	rm->rm_n++;
}

static void
refs_build(struct ser *s)
{
	const struct smtpd_config	*c = s->conf;
	const struct table		*t;
	const struct pki		*p;
	const struct ca			*ca;
	const struct proc		*pr;
	const struct filter		*f;
	const struct action		*a;
	int				 i;

	TAILQ_FOREACH(t, &c->sc_tables, t_entry)
		ref_add(&s->refs[REF_TABLE], t);
	TAILQ_FOREACH(p, &c->sc_pkis, pki_entry)
		ref_add(&s->refs[REF_PKI], p);
	TAILQ_FOREACH(ca, &c->sc_cas, ca_entry)
		ref_add(&s->refs[REF_CA], ca);
	TAILQ_FOREACH(pr, &c->sc_procs, pr_entry)
		ref_add(&s->refs[REF_PROC], pr);
	TAILQ_FOREACH(f, &c->sc_filters, f_entry)
		ref_add(&s->refs[REF_FILTER], f);
	TAILQ_FOREACH(a, &c->sc_actions, a_entry)
		ref_add(&s->refs[REF_ACTION], a);
	for (i = 0; i < REF_COUNT; i++)
		if (s->refs[i].rm_v != NULL)
			qsort(s->refs[i].rm_v, s->refs[i].rm_n,
			    sizeof(*s->refs[i].rm_v), ref_pos_cmp);
}

static void
refs_free(struct ser *s)
{
	int	i;

	for (i = 0; i < REF_COUNT; i++) {
		free(s->refs[i].rm_v);
		memset(&s->refs[i], 0, sizeof(s->refs[i]));
	}
}

/* Answer (1) with p's position in its list, NOREF if NULL or absent;
 * 0 without a map, and the caller walks the list. */
static int
ref_find(const struct ser *s, enum ref_kind kind, const void *p,
    uint32_t *pos)
{
	const struct ref_map	*rm = &s->refs[kind];
	struct ref_pos		 key, *r;

	if (p == NULL) {
		*pos = NOREF;
		return 1;
	}
	if (rm->rm_v == NULL)
		return 0;
	key.rp_ptr = p;
	r = bsearch(&key, rm->rm_v, rm->rm_n, sizeof(*rm->rm_v),
	    ref_pos_cmp);
	*pos = r != NULL ? r->rp_pos : NOREF;
	return 1;
}

static uint32_t
table_index(const struct ser *s, const struct table *p)
{
	const struct table	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_TABLE, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_tables, t_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static uint32_t
pki_index(const struct ser *s, const struct pki *p)
{
	const struct pki	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_PKI, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_pkis, pki_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static uint32_t
ca_index(const struct ser *s, const struct ca *p)
{
	const struct ca	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_CA, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_cas, ca_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static uint32_t
proc_index(const struct ser *s, const struct proc *p)
{
	const struct proc	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_PROC, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_procs, pr_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static uint32_t
filter_index(const struct ser *s, const struct filter *p)
{
	const struct filter	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_FILTER, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_filters, f_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static uint32_t
action_index(const struct ser *s, const struct action *p)
{
	const struct action	*x;
	uint32_t	 i = 0;

	if (ref_find(s, REF_ACTION, p, &i))
		return i;
	TAILQ_FOREACH(x, &s->conf->sc_actions, a_entry) {
		if (x == p)
			return i;
		i++;
	}
	return NOREF;
}

static void
ser_global(struct ser *s)
{
	const struct smtpd_config	*c = s->conf;
	struct msg_out			*mo = s->mo;
	size_t				 i;

	m_init(mo);
	m_add_string(mo, c->sc_queue_path);
	m_add_string(mo, c->sc_control_path);
	m_add_string(mo, c->sc_pidfile);
	m_add_string(mo, c->sc_resolver);
	m_add_string(mo, c->sc_hostname);
	m_add_string(mo, c->sc_admd);
	m_add_i64(mo, (int64_t)c->sc_queue_ttl);
	m_add_u8(mo, (uint8_t)c->sc_queue_compression);
	m_add_u8(mo, (uint8_t)c->sc_queue_encryption);
	m_add_string(mo, (s->parts & P_QUEUE_KEY) ? c->sc_queue_key : NULL);
	m_add_u32(mo, (uint32_t)c->sc_nbounce_warn);
	for (i = 0; i < c->sc_nbounce_warn; i++)
		m_add_i64(mo, (int64_t)c->sc_bounce_warn[i]);
	m_add_string(mo, (s->parts & P_SRS_KEY) ? c->sc_srs_key : NULL);
	m_add_string(mo, (s->parts & P_SRS_KEY) ? c->sc_srs_key_backup :
	    NULL);
	/* whether keys exist is no secret: srs rules depend on it */
	m_add_u8(mo, c->sc_srs_key != NULL);
	m_add_int(mo, c->sc_srs_ttl_days);
	m_add_u64(mo, c->sc_max_message_size);
	m_add_u64(mo, c->sc_max_rcpt);
	m_add_u64(mo, c->sc_max_mails);
	m_add_string(mo, c->sc_smtp_ciphers);
	m_add_u8(mo, (uint8_t)c->sc_subaddr_delim);
	m_add_u64(mo, c->sc_mta_max_deferred);
	m_add_u64(mo, c->sc_mda_max_session);
	m_add_u64(mo, c->sc_mda_max_session_per_user);
	m_add_u64(mo, c->sc_mda_task_lowat);
	m_add_u64(mo, c->sc_mda_task_hiwat);
	m_add_u64(mo, c->sc_mda_task_release);
	m_add_u64(mo, c->sc_sched_max_inflight);
	m_add_u64(mo, c->sc_sched_max_evp_batch_size);
	m_add_u64(mo, c->sc_sched_max_msg_batch_size);
	m_add_u64(mo, c->sc_sched_max_schedule);
	m_add_u64(mo, c->sc_smtp_max_sessions);
	m_add_u64(mo, c->sc_smtp_max_sessions_per_ip);
	m_add_u64(mo, c->sc_smtp_max_failures);
	m_add_i64(mo, (int64_t)c->sc_smtp_timeout_command);
	m_add_i64(mo, (int64_t)c->sc_smtp_timeout_data);
	m_add_i64(mo, (int64_t)c->sc_queue_retry_delay);
	m_add_u8(mo, (uint8_t)c->sc_smtp_bare_lf);
	m_add_u8(mo, (uint8_t)c->sc_smtp_bare_cr);
	m_add_u32(mo, c->sc_anon_next);
	ser_send(s, IMSG_CONF_GLOBAL, ST_GLOBAL);
}

static void
ser_tables(struct ser *s)
{
	const struct table		*t;
	const struct table_entry	*te;
	int				 entries;

	TAILQ_FOREACH(t, &s->conf->sc_tables, t_entry) {
		entries = (s->parts & P_ENTRIES) != 0;
		m_init(s->mo);
		m_add_string(s->mo, t->t_name);
		m_add_u8(s->mo, (uint8_t)t->t_backend);
		m_add_string(s->mo, t->t_backend_name);
		m_add_string(s->mo, t->t_config);
		m_add_u32(s->mo, t->t_flags);
		m_add_int(s->mo, t->t_line);
		m_add_u32(s->mo, entries ? (uint32_t)t->t_nentries : 0);
		ser_send(s, IMSG_CONF_TABLE, ST_TABLE);
		if (!entries)
			continue;
		TAILQ_FOREACH(te, &t->t_entries, te_entry) {
			m_init(s->mo);
			m_add_string(s->mo, te->te_key);
			m_add_string(s->mo, te->te_val);
			ser_send(s, IMSG_CONF_TABLE_ENTRY, ST_END);
		}
	}
}

static void
ser_pki_ca(struct ser *s)
{
	const struct pki	*p;
	const struct ca		*c;
	uint32_t		 i = 0;
	int			 certs = (s->parts & P_CERTS) != 0;

	TAILQ_FOREACH(p, &s->conf->sc_pkis, pki_entry) {
		m_init(s->mo);
		m_add_string(s->mo, p->pki_name);
		m_add_string(s->mo, p->pki_cert_file);
		m_add_string(s->mo, p->pki_key_file);
		m_add_u8(s->mo, (uint8_t)p->pki_dhe);
		m_add_int(s->mo, p->pki_line);
		m_add_data(s->mo, certs ? p->pki_cert : NULL,
		    certs && p->pki_cert != NULL ? p->pki_cert_len : 0);
		ser_send(s, IMSG_CONF_PKI, ST_PKI);
		if ((s->parts & P_KEYS) && p->pki_key != NULL) {
			m_init(s->mo);
			m_add_u32(s->mo, i);
			m_add_data(s->mo, p->pki_key, p->pki_key_len);
			ser_send(s, IMSG_CONF_PKI_KEY, ST_END);
		}
		i++;
	}
	TAILQ_FOREACH(c, &s->conf->sc_cas, ca_entry) {
		m_init(s->mo);
		m_add_string(s->mo, c->ca_name);
		m_add_string(s->mo, c->ca_cert_file);
		m_add_int(s->mo, c->ca_line);
		m_add_data(s->mo, certs ? c->ca_cert : NULL,
		    certs && c->ca_cert != NULL ? c->ca_cert_len : 0);
		ser_send(s, IMSG_CONF_CA, ST_CA);
	}
}

static void
add_proc_fields(struct msg_out *mo, const struct proc *p)
{
	m_add_string(mo, p->pr_name);
	m_add_string(mo, p->pr_command);
	m_add_string(mo, p->pr_user);
	m_add_string(mo, p->pr_group);
	m_add_string(mo, p->pr_chroot);
	m_add_int(mo, p->pr_line);
}

static void
ser_filters(struct ser *s)
{
	const struct smtpd_config	*c = s->conf;
	const struct proc		*p;
	const struct filter		*f;
	size_t				 i;

	TAILQ_FOREACH(p, &c->sc_procs, pr_entry) {
		m_init(s->mo);
		add_proc_fields(s->mo, p);
		ser_send(s, IMSG_CONF_PROC, ST_PROC);
	}
	TAILQ_FOREACH(f, &c->sc_filters, f_entry) {
		m_init(s->mo);
		m_add_string(s->mo, f->f_name);
		m_add_u8(s->mo, (uint8_t)f->f_anon);
		m_add_u8(s->mo, (uint8_t)f->f_type);
		m_add_int(s->mo, f->f_line);
		switch (f->f_type) {
		case FILTER_PROC:
			m_add_u32(s->mo, proc_index(s, f->f_proc));
			break;
		case FILTER_PROC_EXEC:
			add_proc_fields(s->mo, f->f_proc);
			break;
		case FILTER_CHAIN:
			m_add_u32(s->mo, (uint32_t)f->f_nchain);
			for (i = 0; i < f->f_nchain; i++)
				m_add_u32(s->mo, filter_index(s,
				    f->f_chain[i]));
			break;
		case FILTER_BUILTIN:
			m_add_u8(s->mo, (uint8_t)f->f_phase);
			m_add_u32(s->mo, (uint32_t)f->f_nconds);
			for (i = 0; i < f->f_nconds; i++) {
				m_add_u8(s->mo, (uint8_t)f->f_conds[i].fc_kind);
				m_add_u8(s->mo, (uint8_t)f->f_conds[i].fc_neg);
				m_add_u8(s->mo,
				    (uint8_t)f->f_conds[i].fc_regex);
				m_add_u32(s->mo, table_index(s,
				    f->f_conds[i].fc_table));
			}
			m_add_u8(s->mo, (uint8_t)f->f_decision);
			m_add_string(s->mo, f->f_decision_arg);
			break;
		}
		ser_send(s, IMSG_CONF_FILTER, ST_FILTER);
	}
}

static void
ser_listeners(struct ser *s)
{
	const struct smtpd_config	*c = s->conf;
	const struct listener		*l;
	size_t				 i;

	TAILQ_FOREACH(l, &c->sc_listeners, l_entry) {
		m_init(s->mo);
		m_add_string(s->mo, l->l_name);
		m_add_int(s->mo, l->l_family);
		m_add_sockaddr(s->mo, (const struct sockaddr *)&l->l_ss);
		m_add_u32(s->mo, l->l_port);
		m_add_u32(s->mo, l->l_flags);
		m_add_string(s->mo, l->l_hostname);
		m_add_u32(s->mo, table_index(s, l->l_hostnames));
		m_add_u32(s->mo, table_index(s, l->l_auth));
		m_add_u32(s->mo, table_index(s, l->l_senders));
		m_add_string(s->mo, l->l_tag);
		m_add_u32(s->mo, (uint32_t)l->l_npki);
		for (i = 0; i < l->l_npki; i++)
			m_add_u32(s->mo, pki_index(s, l->l_pki[i]));
		m_add_u32(s->mo, ca_index(s, l->l_ca));
		m_add_u32(s->mo, filter_index(s, l->l_filter));
		m_add_string(s->mo, l->l_ciphers);
		m_add_string(s->mo, l->l_protocols);
		m_add_int(s->mo, l->l_line);
		ser_send(s, IMSG_CONF_LISTENER, ST_LISTENER);
	}
}

static void
ser_actions(struct ser *s)
{
	const struct smtpd_config	*c = s->conf;
	const struct mda_wrapper	*w;
	const struct action		*a;
	int				 hosts;

	hosts = (s->parts & P_RELAY_HOSTS) != 0;
	TAILQ_FOREACH(w, &c->sc_mda_wrappers, w_entry) {
		m_init(s->mo);
		m_add_string(s->mo, w->w_name);
		m_add_string(s->mo, w->w_command);
		ser_send(s, IMSG_CONF_MDA_WRAPPER, ST_WRAPPER);
	}
	TAILQ_FOREACH(a, &c->sc_actions, a_entry) {
		m_init(s->mo);
		m_add_string(s->mo, a->a_name);
		m_add_u8(s->mo, (uint8_t)a->a_type);
		m_add_u32(s->mo, a->a_flags);
		m_add_string(s->mo, a->a_arg);
		m_add_u32(s->mo, table_index(s, a->a_alias));
		m_add_u32(s->mo, table_index(s, a->a_virtual));
		m_add_u32(s->mo, table_index(s, a->a_userbase));
		m_add_string(s->mo, a->a_user);
		m_add_string(s->mo, a->a_wrapper);
		m_add_i64(s->mo, (int64_t)a->a_ttl);
		m_add_u32(s->mo, hosts ? table_index(s, a->a_host_table) :
		    NOREF);
		m_add_string(s->mo, hosts ? a->a_host_url : NULL);
		m_add_string(s->mo, a->a_backup_mx);
		m_add_u32(s->mo, table_index(s, a->a_domain));
		m_add_string(s->mo, a->a_helo);
		m_add_u32(s->mo, table_index(s, a->a_helo_src));
		m_add_u32(s->mo, table_index(s, a->a_auth));
		m_add_u32(s->mo, table_index(s, a->a_src));
		m_add_string(s->mo, a->a_mail_from);
		m_add_u32(s->mo, pki_index(s, a->a_pki));
		m_add_u32(s->mo, ca_index(s, a->a_ca));
		m_add_string(s->mo, a->a_ciphers);
		m_add_string(s->mo, a->a_protocols);
		m_add_u32(s->mo, filter_index(s, a->a_filter));
		m_add_int(s->mo, a->a_line);
		ser_send(s, IMSG_CONF_ACTION, ST_ACTION);
	}
}

static void
add_cond(struct ser *s, const struct match_cond *mc)
{
	m_add_u8(s->mo, (uint8_t)mc->mc_set);
	m_add_u8(s->mo, (uint8_t)mc->mc_neg);
	m_add_u8(s->mo, (uint8_t)mc->mc_regex);
	m_add_u32(s->mo, table_index(s, mc->mc_table));
}

static void
ser_matches(struct ser *s)
{
	const struct match	*m;
	int			 i;

	TAILQ_FOREACH(m, &s->conf->sc_matches, m_entry) {
		m_init(s->mo);
		m_add_u8(s->mo, (uint8_t)m->m_from);
		add_cond(s, &m->m_from_cond);
		m_add_u8(s->mo, (uint8_t)m->m_for);
		add_cond(s, &m->m_for_cond);
		for (i = 0; i < MOPT_COUNT; i++)
			add_cond(s, &m->m_opts[i]);
		m_add_u32(s->mo, action_index(s, m->m_action));
		m_add_int(s->mo, m->m_line);
		ser_send(s, IMSG_CONF_MATCH, ST_MATCH);
	}
}

static void
ser_mta_limits(struct ser *s)
{
	const struct mta_limit	*ml;

	TAILQ_FOREACH(ml, &s->conf->sc_mta_limits, ml_entry) {
		m_init(s->mo);
		m_add_string(s->mo, ml->ml_domain);
		m_add_int(s->mo, ml->ml_family);
		m_add_string(s->mo, ml->ml_key);
		m_add_i64(s->mo, ml->ml_value);
		ser_send(s, IMSG_CONF_MTA_LIMIT, ST_MTA_LIMIT);
	}
}

void
config_serialize(const struct smtpd_config *conf, enum proc_id to,
    config_emit_fn emit, void *arg)
{
	struct ser	s;
	int		i;

	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.parts = (unsigned int)to < PROC_COUNT ? role_parts[to] : 0;
	s.emit = emit;
	s.arg = arg;
	s.mo = &ser_mo;
	refs_build(&s);

	m_init(s.mo);
	m_add_u32(s.mo, CONF_IPC_MAGIC);
	m_add_u32(s.mo, (uint32_t)to);
	m_add_u32(s.mo, s.parts);
	emit(arg, IMSG_CONF_START, s.mo);

	ser_global(&s);
	if (s.parts & P_TABLES)
		ser_tables(&s);
	if (s.parts & P_PKI)
		ser_pki_ca(&s);
	if (s.parts & P_FILTERS)
		ser_filters(&s);
	if (s.parts & P_LISTENERS)
		ser_listeners(&s);
	if (s.parts & P_ACTIONS)
		ser_actions(&s);
	if (s.parts & P_MATCHES)
		ser_matches(&s);
	if (s.parts & P_MTA_LIMITS)
		ser_mta_limits(&s);

	m_init(s.mo);
	for (i = ST_GLOBAL; i <= ST_END; i++)
		m_add_u32(s.mo, s.counts[i]);
	emit(arg, IMSG_CONF_END, s.mo);
	explicit_bzero(&ser_mo, sizeof(ser_mo));
	refs_free(&s);
}
