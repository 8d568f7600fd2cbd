/*
 * Configuration distribution, receiving side: a child rebuilds a struct
 * smtpd_config from the messages config_ipc_send.c wrote for its role.
 *
 * config_deserialize() runs in every child and trusts nothing: a message
 * of the wrong shape, out of order, with an index that refers to nothing
 * received, or a stream whose END counts disagree, is refused (-1) and
 * the caller treats that as fatal.
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

void
config_builder_init(struct config_builder *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->cb_stage = -1;
}

void
config_builder_clear(struct config_builder *cb)
{
	config_free(cb->cb_conf);
	free(cb->cb_tablev);
	free(cb->cb_pkiv);
	free(cb->cb_cav);
	free(cb->cb_procv);
	free(cb->cb_filterv);
	free(cb->cb_actionv);
	config_builder_init(cb);
}

struct smtpd_config *
config_builder_take(struct config_builder *cb)
{
	struct smtpd_config	*c;

	if (!cb->cb_done)
		return NULL;
	c = cb->cb_conf;
	cb->cb_conf = NULL;
	return c;
}

/* Append p to a growing index -> object vector. */
static int
vec_push(void ***v, size_t *n, void *p)
{
	void	**nv;

	if (*n >= CONF_MAX_TABLE_ENTRIES * 4)
		return -1;
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL)
		return -1;
	nv[(*n)++] = p;
	*v = nv;
	return 0;
}

/* Copy of a string from a message (NULL stays NULL); -1 on ENOMEM. */
static int
dup_str(char **dst, const char *s)
{
	*dst = NULL;
	if (s == NULL)
		return 0;
	if ((*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

static int
get_ref(uint32_t idx, void **v, size_t n, void **out)
{
	*out = NULL;
	if (idx == NOREF)
		return 0;
	if (idx >= n)
		return -1;
	*out = v[idx];
	return 0;
}

#define TABLE_REF(cb, idx, out) \
	get_ref((idx), (void **)(cb)->cb_tablev, (cb)->cb_ntables, \
	    (void **)(out))

static int
de_global(struct config_builder *cb, struct msg_in *mi)
{
	struct smtpd_config	*c = cb->cb_conf;
	const char		*qp, *cp, *pf, *res, *hn, *admd, *qk, *sk, *skb;
	const char		*ciph;
	int64_t			 ttl, bw[BOUNCE_MAX_WARN], tmo[3];
	uint64_t		 u[16];
	uint32_t		 nbw, anon;
	uint8_t			 comp, enc, delim, has_srs, bare_lf, bare_cr;
	int			 srs_days;
	size_t			 i;

	m_get_string(mi, &qp);
	m_get_string(mi, &cp);
	m_get_string(mi, &pf);
	m_get_nstring(mi, &res);
	m_get_nstring(mi, &hn);
	m_get_nstring(mi, &admd);
	m_get_i64(mi, &ttl);
	m_get_u8(mi, &comp);
	m_get_u8(mi, &enc);
	m_get_nstring(mi, &qk);
	m_get_u32(mi, &nbw);
	if (nbw > BOUNCE_MAX_WARN)
		return -1;
	for (i = 0; i < nbw; i++)
		m_get_i64(mi, &bw[i]);
	m_get_nstring(mi, &sk);
	m_get_nstring(mi, &skb);
	m_get_u8(mi, &has_srs);
	m_get_int(mi, &srs_days);
	m_get_u64(mi, &u[0]);
	m_get_u64(mi, &u[1]);
	m_get_u64(mi, &u[2]);
	m_get_nstring(mi, &ciph);
	m_get_u8(mi, &delim);
	for (i = 3; i < 16; i++)
		m_get_u64(mi, &u[i]);
	for (i = 0; i < 3; i++)
		m_get_i64(mi, &tmo[i]);
	m_get_u8(mi, &bare_lf);
	m_get_u8(mi, &bare_cr);
	m_get_u32(mi, &anon);
	if (m_end(mi) == -1)
		return -1;
	if (ttl <= 0 || ttl > CONF_MAX_DELAY || comp > 1 ||
	    enc > QUEUE_ENC_STDIN || srs_days < 1 || delim == '\0')
		return -1;
	for (i = 0; i < nbw; i++)
		if (bw[i] <= 0 || bw[i] > CONF_MAX_DELAY)
			return -1;
	for (i = 0; i < 16; i++)
		if (u[i] > (uint64_t)CONF_MAX_SIZE)
			return -1;
	for (i = 0; i < 3; i++)
		if (tmo[i] <= 0 || tmo[i] > CONF_MAX_DELAY)
			return -1;
	if (bare_lf > SMTP_BARE_ACCEPT || bare_cr > SMTP_BARE_ACCEPT)
		return -1;
	if (dup_str(&c->sc_queue_path, qp) == -1 ||
	    dup_str(&c->sc_control_path, cp) == -1 ||
	    dup_str(&c->sc_pidfile, pf) == -1 ||
	    dup_str(&c->sc_resolver, res) == -1 ||
	    dup_str(&c->sc_hostname, hn) == -1 ||
	    dup_str(&c->sc_admd, admd) == -1 ||
	    dup_str(&c->sc_queue_key, qk) == -1 ||
	    dup_str(&c->sc_srs_key, sk) == -1 ||
	    dup_str(&c->sc_srs_key_backup, skb) == -1 ||
	    dup_str(&c->sc_smtp_ciphers, ciph) == -1)
		return -1;
	(void)has_srs;
	c->sc_queue_ttl = (time_t)ttl;
	c->sc_queue_compression = comp;
	c->sc_queue_encryption = (enum queue_encryption)enc;
	c->sc_nbounce_warn = nbw;
	for (i = 0; i < nbw; i++)
		c->sc_bounce_warn[i] = (time_t)bw[i];
	c->sc_srs_ttl_days = srs_days;
	c->sc_max_message_size = (size_t)u[0];
	c->sc_max_rcpt = (size_t)u[1];
	c->sc_max_mails = (size_t)u[2];
	c->sc_subaddr_delim = (char)delim;
	c->sc_mta_max_deferred = (size_t)u[3];
	c->sc_mda_max_session = (size_t)u[4];
	c->sc_mda_max_session_per_user = (size_t)u[5];
	c->sc_mda_task_lowat = (size_t)u[6];
	c->sc_mda_task_hiwat = (size_t)u[7];
	c->sc_mda_task_release = (size_t)u[8];
	c->sc_sched_max_inflight = (size_t)u[9];
	c->sc_sched_max_evp_batch_size = (size_t)u[10];
	c->sc_sched_max_msg_batch_size = (size_t)u[11];
	c->sc_sched_max_schedule = (size_t)u[12];
	c->sc_smtp_max_sessions = (size_t)u[13];
	c->sc_smtp_max_sessions_per_ip = (size_t)u[14];
	c->sc_smtp_max_failures = (size_t)u[15];
	c->sc_smtp_timeout_command = (time_t)tmo[0];
	c->sc_smtp_timeout_data = (time_t)tmo[1];
	c->sc_queue_retry_delay = (time_t)tmo[2];
	c->sc_smtp_bare_lf = bare_lf;
	c->sc_smtp_bare_cr = bare_cr;
	c->sc_anon_next = anon;
	return 0;
}

static int
de_table(struct config_builder *cb, struct msg_in *mi)
{
	struct table	*t;
	const char	*name, *bname, *cfg;
	uint32_t	 flags, nentries;
	uint8_t		 backend;
	int		 line;

	m_get_string(mi, &name);
	m_get_u8(mi, &backend);
	m_get_nstring(mi, &bname);
	m_get_nstring(mi, &cfg);
	m_get_u32(mi, &flags);
	m_get_int(mi, &line);
	m_get_u32(mi, &nentries);
	if (m_end(mi) == -1)
		return -1;
	if (backend > TABLE_PROC || nentries > CONF_MAX_TABLE_ENTRIES ||
	    (flags & ~(T_ANON | T_STRING | T_LIST | T_MAP | T_FROMPATH)) != 0)
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	TAILQ_INIT(&t->t_entries);
	if (dup_str(&t->t_name, name) == -1 ||
	    dup_str(&t->t_backend_name, bname) == -1 ||
	    dup_str(&t->t_config, cfg) == -1) {
		config_table_free(t);
		return -1;
	}
	t->t_backend = (enum table_backend)backend;
	t->t_flags = flags;
	t->t_line = line;
	if (config_table_index(cb->cb_conf, t) == -1) {
		config_table_free(t);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_tables, t, t_entry);
	if (vec_push((void ***)&cb->cb_tablev, &cb->cb_ntables, t) == -1)
		return -1;
	cb->cb_table = t;
	cb->cb_entries_left = nentries;
	return 0;
}

static int
de_table_entry(struct config_builder *cb, struct msg_in *mi)
{
	const char	*key, *val;

	m_get_string(mi, &key);
	m_get_nstring(mi, &val);
	if (m_end(mi) == -1)
		return -1;
	if (cb->cb_table == NULL || cb->cb_entries_left == 0)
		return -1;
	if (config_table_add(cb->cb_table, key, val) == -1)
		return -1;
	cb->cb_entries_left--;
	return 0;
}

static int
pem_copy(char **dst, size_t *dstlen, const void *p, size_t len)
{
	*dst = NULL;
	*dstlen = 0;
	if (len == 0)
		return 0;
	if (len > CONF_MAX_PEM || memchr(p, '\0', len) != NULL)
		return -1;
	if ((*dst = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*dst, p, len);
	(*dst)[len] = '\0';
	*dstlen = len;
	return 0;
}

static int
de_pki(struct config_builder *cb, struct msg_in *mi)
{
	struct pki	*p;
	const char	*name, *cert, *key;
	const void	*data;
	size_t		 len;
	uint8_t		 dhe;
	int		 line;

	m_get_string(mi, &name);
	m_get_nstring(mi, &cert);
	m_get_nstring(mi, &key);
	m_get_u8(mi, &dhe);
	m_get_int(mi, &line);
	m_get_data(mi, &data, &len);
	if (m_end(mi) == -1 || dhe > PKI_DHE_LEGACY)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	if (dup_str(&p->pki_name, name) == -1 ||
	    dup_str(&p->pki_cert_file, cert) == -1 ||
	    dup_str(&p->pki_key_file, key) == -1 ||
	    pem_copy(&p->pki_cert, &p->pki_cert_len, data, len) == -1) {
		config_pki_free(p);
		return -1;
	}
	p->pki_dhe = (enum pki_dhe)dhe;
	p->pki_line = line;
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_pkis, p, pki_entry);
	return vec_push((void ***)&cb->cb_pkiv, &cb->cb_npkis, p);
}

static int
de_pki_key(struct config_builder *cb, struct msg_in *mi)
{
	struct pki	*p;
	const void	*data;
	size_t		 len;
	uint32_t	 idx;

	m_get_u32(mi, &idx);
	m_get_data(mi, &data, &len);
	if (m_end(mi) == -1 || len == 0)
		return -1;
	/* the key follows its own pki */
	if (cb->cb_npkis == 0 || idx != cb->cb_npkis - 1)
		return -1;
	p = cb->cb_pkiv[idx];
	if (p->pki_key != NULL)
		return -1;
	return pem_copy(&p->pki_key, &p->pki_key_len, data, len);
}

static int
de_ca(struct config_builder *cb, struct msg_in *mi)
{
	struct ca	*c;
	const char	*name, *file;
	const void	*data;
	size_t		 len;
	int		 line;

	m_get_string(mi, &name);
	m_get_nstring(mi, &file);
	m_get_int(mi, &line);
	m_get_data(mi, &data, &len);
	if (m_end(mi) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (dup_str(&c->ca_name, name) == -1 ||
	    dup_str(&c->ca_cert_file, file) == -1 ||
	    pem_copy(&c->ca_cert, &c->ca_cert_len, data, len) == -1) {
		config_ca_free(c);
		return -1;
	}
	c->ca_line = line;
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_cas, c, ca_entry);
	return vec_push((void ***)&cb->cb_cav, &cb->cb_ncas, c);
}

static struct proc *
get_proc_fields(struct msg_in *mi)
{
	struct proc	*p;
	const char	*name, *cmd, *user, *group, *chroot;
	int		 line;

	m_get_string(mi, &name);
	m_get_string(mi, &cmd);
	m_get_nstring(mi, &user);
	m_get_nstring(mi, &group);
	m_get_nstring(mi, &chroot);
	m_get_int(mi, &line);
	if (mi->mi_err)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (dup_str(&p->pr_name, name) == -1 ||
	    dup_str(&p->pr_command, cmd) == -1 ||
	    dup_str(&p->pr_user, user) == -1 ||
	    dup_str(&p->pr_group, group) == -1 ||
	    dup_str(&p->pr_chroot, chroot) == -1) {
		config_proc_free(p);
		return NULL;
	}
	p->pr_line = line;
	return p;
}

static int
de_proc(struct config_builder *cb, struct msg_in *mi)
{
	struct proc	*p;

	if ((p = get_proc_fields(mi)) == NULL)
		return -1;
	if (m_end(mi) == -1) {
		config_proc_free(p);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_procs, p, pr_entry);
	return vec_push((void ***)&cb->cb_procv, &cb->cb_nprocs, p);
}

static int
de_filter_body(struct config_builder *cb, struct msg_in *mi,
    struct filter *f)
{
	uint32_t	 idx, n, i;
	uint8_t		 u8, kind, neg, regex;
	const char	*arg;

	switch (f->f_type) {
	case FILTER_PROC:
		m_get_u32(mi, &idx);
		if (mi->mi_err || get_ref(idx, (void **)cb->cb_procv,
		    cb->cb_nprocs, (void **)&f->f_proc) == -1 ||
		    f->f_proc == NULL)
			return -1;
		break;
	case FILTER_PROC_EXEC:
		if ((f->f_proc = get_proc_fields(mi)) == NULL)
			return -1;
		break;
	case FILTER_CHAIN:
		m_get_u32(mi, &n);
		if (mi->mi_err || n == 0 || n > CONF_MAX_CHAIN)
			return -1;
		if ((f->f_chain = calloc(n, sizeof(*f->f_chain))) == NULL)
			return -1;
		for (i = 0; i < n; i++) {
			m_get_u32(mi, &idx);
			if (mi->mi_err || get_ref(idx, (void **)cb->cb_filterv,
			    cb->cb_nfilters, (void **)&f->f_chain[i]) == -1 ||
			    f->f_chain[i] == NULL ||
			    f->f_chain[i]->f_type == FILTER_CHAIN)
				return -1;
			f->f_nchain++;
		}
		break;
	case FILTER_BUILTIN:
		m_get_u8(mi, &u8);
		m_get_u32(mi, &n);
		if (mi->mi_err || u8 >= FPHASE_COUNT ||
		    n > CONF_MAX_FILTER_CONDS)
			return -1;
		f->f_phase = (enum filter_phase)u8;
		if (n > 0 && (f->f_conds = calloc(n, sizeof(*f->f_conds))) ==
		    NULL)
			return -1;
		for (i = 0; i < n; i++) {
			m_get_u8(mi, &kind);
			m_get_u8(mi, &neg);
			m_get_u8(mi, &regex);
			m_get_u32(mi, &idx);
			if (mi->mi_err || kind >= FCOND_COUNT || neg > 1 ||
			    regex > 1 || TABLE_REF(cb, idx,
			    &f->f_conds[i].fc_table) == -1)
				return -1;
			f->f_conds[i].fc_kind = (enum filter_cond_kind)kind;
			f->f_conds[i].fc_neg = neg;
			f->f_conds[i].fc_regex = regex;
			f->f_nconds++;
		}
		m_get_u8(mi, &u8);
		m_get_nstring(mi, &arg);
		if (mi->mi_err || u8 > FDEC_REPORT)
			return -1;
		f->f_decision = (enum filter_decision)u8;
		if (dup_str(&f->f_decision_arg, arg) == -1)
			return -1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int
de_filter(struct config_builder *cb, struct msg_in *mi)
{
	struct filter	*f;
	const char	*name;
	uint8_t		 anon, type;
	int		 line;

	m_get_string(mi, &name);
	m_get_u8(mi, &anon);
	m_get_u8(mi, &type);
	m_get_int(mi, &line);
	if (mi->mi_err || anon > 1 || type > FILTER_BUILTIN)
		return -1;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->f_type = (enum filter_type)type;
	f->f_anon = anon;
	f->f_line = line;
	if (dup_str(&f->f_name, name) == -1 ||
	    de_filter_body(cb, mi, f) == -1 || m_end(mi) == -1) {
		config_filter_free(f);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_filters, f, f_entry);
	return vec_push((void ***)&cb->cb_filterv, &cb->cb_nfilters, f);
}

static int
de_listener(struct config_builder *cb, struct msg_in *mi)
{
	struct listener	*l;
	const char	*name, *hostname, *tag, *ciphers, *protocols;
	uint32_t	 port, flags, ihn, iauth, isend, npki, ica, ifil, idx;
	uint32_t	 pkis[CONF_MAX_LISTENER_PKI];
	int		 family, line;
	size_t		 i;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	m_get_string(mi, &name);
	m_get_int(mi, &family);
	m_get_sockaddr(mi, &l->l_ss);
	m_get_u32(mi, &port);
	m_get_u32(mi, &flags);
	m_get_nstring(mi, &hostname);
	m_get_u32(mi, &ihn);
	m_get_u32(mi, &iauth);
	m_get_u32(mi, &isend);
	m_get_nstring(mi, &tag);
	m_get_u32(mi, &npki);
	if (npki > CONF_MAX_LISTENER_PKI)
		goto fail;
	for (i = 0; i < npki; i++)
		m_get_u32(mi, &pkis[i]);
	m_get_u32(mi, &ica);
	m_get_u32(mi, &ifil);
	m_get_nstring(mi, &ciphers);
	m_get_nstring(mi, &protocols);
	m_get_int(mi, &line);
	if (m_end(mi) == -1)
		goto fail;
	if (port > 65535 || (family != AF_UNSPEC && family != AF_INET &&
	    family != AF_INET6) || (flags & ~0x3fffU) != 0)
		goto fail;
	if ((flags & L_SOCKET) ? l->l_ss.ss_family != AF_UNIX :
	    (l->l_ss.ss_family != AF_INET && l->l_ss.ss_family != AF_INET6))
		goto fail;
	if (dup_str(&l->l_name, name) == -1 ||
	    dup_str(&l->l_hostname, hostname) == -1 ||
	    dup_str(&l->l_tag, tag) == -1 ||
	    dup_str(&l->l_ciphers, ciphers) == -1 ||
	    dup_str(&l->l_protocols, protocols) == -1)
		goto fail;
	if (tag != NULL && strlen(tag) > CONF_MAX_TAG)
		goto fail;
	l->l_family = family;
	l->l_port = (in_port_t)port;
	l->l_flags = flags;
	l->l_line = line;
	if (TABLE_REF(cb, ihn, &l->l_hostnames) == -1 ||
	    TABLE_REF(cb, iauth, &l->l_auth) == -1 ||
	    TABLE_REF(cb, isend, &l->l_senders) == -1 ||
	    get_ref(ica, (void **)cb->cb_cav, cb->cb_ncas,
	    (void **)&l->l_ca) == -1 ||
	    get_ref(ifil, (void **)cb->cb_filterv, cb->cb_nfilters,
	    (void **)&l->l_filter) == -1)
		goto fail;
	if (npki > 0) {
		if ((l->l_pki = calloc(npki, sizeof(*l->l_pki))) == NULL)
			goto fail;
		for (i = 0; i < npki; i++) {
			idx = pkis[i];
			if (idx == NOREF || get_ref(idx, (void **)cb->cb_pkiv,
			    cb->cb_npkis, (void **)&l->l_pki[i]) == -1)
				goto fail;
		}
		l->l_npki = npki;
	}
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_listeners, l, l_entry);
	return 0;
fail:
	config_listener_free(l);
	return -1;
}

static int
de_wrapper(struct config_builder *cb, struct msg_in *mi)
{
	struct mda_wrapper	*w;
	const char		*name, *cmd;

	m_get_string(mi, &name);
	m_get_string(mi, &cmd);
	if (m_end(mi) == -1)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	if (dup_str(&w->w_name, name) == -1 ||
	    dup_str(&w->w_command, cmd) == -1) {
		free(w->w_name);
		free(w);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_mda_wrappers, w, w_entry);
	return 0;
}

static int
de_action(struct config_builder *cb, struct msg_in *mi)
{
	struct action	*a;
	const char	*name, *arg, *user, *wrapper, *host, *bmx, *helo;
	const char	*mfrom, *ciphers, *protocols, *errstr;
	uint32_t	 flags, ial, ivi, iub, ihost, idom, ihs, iauth, isrc;
	uint32_t	 ipki, ica, ifil;
	uint8_t		 type;
	int64_t		 ttl;
	int		 line;

	m_get_string(mi, &name);
	m_get_u8(mi, &type);
	m_get_u32(mi, &flags);
	m_get_nstring(mi, &arg);
	m_get_u32(mi, &ial);
	m_get_u32(mi, &ivi);
	m_get_u32(mi, &iub);
	m_get_nstring(mi, &user);
	m_get_nstring(mi, &wrapper);
	m_get_i64(mi, &ttl);
	m_get_u32(mi, &ihost);
	m_get_nstring(mi, &host);
	m_get_nstring(mi, &bmx);
	m_get_u32(mi, &idom);
	m_get_nstring(mi, &helo);
	m_get_u32(mi, &ihs);
	m_get_u32(mi, &iauth);
	m_get_u32(mi, &isrc);
	m_get_nstring(mi, &mfrom);
	m_get_u32(mi, &ipki);
	m_get_u32(mi, &ica);
	m_get_nstring(mi, &ciphers);
	m_get_nstring(mi, &protocols);
	m_get_u32(mi, &ifil);
	m_get_int(mi, &line);
	if (m_end(mi) == -1)
		return -1;
	if (type > ACTION_RELAY || (flags & ~0x3fU) != 0 || ttl < 0 ||
	    ttl > CONF_MAX_DELAY)
		return -1;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	a->a_type = (enum action_type)type;
	a->a_flags = flags;
	a->a_ttl = (time_t)ttl;
	a->a_line = line;
	if (dup_str(&a->a_name, name) == -1 ||
	    dup_str(&a->a_arg, arg) == -1 ||
	    dup_str(&a->a_user, user) == -1 ||
	    dup_str(&a->a_wrapper, wrapper) == -1 ||
	    dup_str(&a->a_host_url, host) == -1 ||
	    dup_str(&a->a_backup_mx, bmx) == -1 ||
	    dup_str(&a->a_helo, helo) == -1 ||
	    dup_str(&a->a_mail_from, mfrom) == -1 ||
	    dup_str(&a->a_ciphers, ciphers) == -1 ||
	    dup_str(&a->a_protocols, protocols) == -1)
		goto fail;
	if (host != NULL &&
	    config_relay_url_parse(host, &a->a_host, &errstr) == -1)
		goto fail;
	if (wrapper != NULL && config_wrapper_find(cb->cb_conf, wrapper) ==
	    NULL)
		goto fail;
	if (TABLE_REF(cb, ial, &a->a_alias) == -1 ||
	    TABLE_REF(cb, ihost, &a->a_host_table) == -1 ||
	    TABLE_REF(cb, ivi, &a->a_virtual) == -1 ||
	    TABLE_REF(cb, iub, &a->a_userbase) == -1 ||
	    TABLE_REF(cb, idom, &a->a_domain) == -1 ||
	    TABLE_REF(cb, ihs, &a->a_helo_src) == -1 ||
	    TABLE_REF(cb, iauth, &a->a_auth) == -1 ||
	    TABLE_REF(cb, isrc, &a->a_src) == -1 ||
	    get_ref(ipki, (void **)cb->cb_pkiv, cb->cb_npkis,
	    (void **)&a->a_pki) == -1 ||
	    get_ref(ica, (void **)cb->cb_cav, cb->cb_ncas,
	    (void **)&a->a_ca) == -1 ||
	    get_ref(ifil, (void **)cb->cb_filterv, cb->cb_nfilters,
	    (void **)&a->a_filter) == -1)
		goto fail;
	/* a cached URL comes with its table, and only relays have hosts */
	if ((host != NULL && a->a_host_table == NULL) ||
	    (a->a_host_table != NULL && a->a_type != ACTION_RELAY))
		goto fail;
	/* names are unique, as in the parser */
	if (config_action_index(cb->cb_conf, a) == -1)
		goto fail;
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_actions, a, a_entry);
	return vec_push((void ***)&cb->cb_actionv, &cb->cb_nactions, a);
fail:
	config_action_free(a);
	return -1;
}

static void
get_cond(struct config_builder *cb, struct msg_in *mi, struct match_cond *mc,
    int *bad)
{
	uint8_t		set, neg, regex;
	uint32_t	idx;

	m_get_u8(mi, &set);
	m_get_u8(mi, &neg);
	m_get_u8(mi, &regex);
	m_get_u32(mi, &idx);
	if (mi->mi_err || set > 1 || neg > 1 || regex > 1 ||
	    TABLE_REF(cb, idx, &mc->mc_table) == -1) {
		*bad = 1;
		return;
	}
	mc->mc_set = set;
	mc->mc_neg = neg;
	mc->mc_regex = regex;
}

static int
de_match(struct config_builder *cb, struct msg_in *mi)
{
	struct match	*m;
	uint8_t		 from, mfor;
	uint32_t	 iact;
	int		 i, bad = 0;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -1;
	m_get_u8(mi, &from);
	get_cond(cb, mi, &m->m_from_cond, &bad);
	m_get_u8(mi, &mfor);
	get_cond(cb, mi, &m->m_for_cond, &bad);
	for (i = 0; i < MOPT_COUNT; i++)
		get_cond(cb, mi, &m->m_opts[i], &bad);
	m_get_u32(mi, &iact);
	m_get_int(mi, &m->m_line);
	if (m_end(mi) == -1 || bad || from > FROM_MAIL_FROM ||
	    mfor > FOR_RCPT_TO || get_ref(iact, (void **)cb->cb_actionv,
	    cb->cb_nactions, (void **)&m->m_action) == -1) {
		free(m);
		return -1;
	}
	m->m_from = (enum match_from)from;
	m->m_for = (enum match_for)mfor;
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_matches, m, m_entry);
	return 0;
}

static int
de_mta_limit(struct config_builder *cb, struct msg_in *mi)
{
	struct mta_limit	*ml;
	const char		*domain, *key;
	int			 family;
	int64_t			 value;

	m_get_nstring(mi, &domain);
	m_get_int(mi, &family);
	m_get_nstring(mi, &key);
	m_get_i64(mi, &value);
	if (m_end(mi) == -1)
		return -1;
	if ((family != AF_UNSPEC && family != AF_INET && family != AF_INET6) ||
	    (key != NULL && !config_mta_limit_key_ok(key)) || value < 0 ||
	    value > CONF_MAX_NUMBER)
		return -1;
	if ((ml = calloc(1, sizeof(*ml))) == NULL)
		return -1;
	if (dup_str(&ml->ml_domain, domain) == -1 ||
	    dup_str(&ml->ml_key, key) == -1) {
		free(ml->ml_domain);
		free(ml);
		return -1;
	}
	ml->ml_family = family;
	ml->ml_value = value;
	TAILQ_INSERT_TAIL(&cb->cb_conf->sc_mta_limits, ml, ml_entry);
	return 0;
}

static int
de_start(struct config_builder *cb, struct msg_in *mi)
{
	uint32_t	magic, role, parts;

	m_get_u32(mi, &magic);
	m_get_u32(mi, &role);
	m_get_u32(mi, &parts);
	if (m_end(mi) == -1 || magic != CONF_IPC_MAGIC || role >= PROC_COUNT)
		return -1;
	if ((cb->cb_conf = config_new()) == NULL)
		return -1;
	return 0;
}

static int
de_end(struct config_builder *cb, struct msg_in *mi)
{
	uint32_t	n;
	int		i;

	for (i = ST_GLOBAL; i <= ST_END; i++) {
		m_get_u32(mi, &n);
		if (mi->mi_err || n != cb->cb_counts[i])
			return -1;
	}
	if (m_end(mi) == -1)
		return -1;
	return 1;
}

static int
stage_of(uint32_t type)
{
	switch (type) {
	case IMSG_CONF_START:		return ST_START;
	case IMSG_CONF_GLOBAL:		return ST_GLOBAL;
	case IMSG_CONF_TABLE:
	case IMSG_CONF_TABLE_ENTRY:	return ST_TABLE;
	case IMSG_CONF_PKI:
	case IMSG_CONF_PKI_KEY:		return ST_PKI;
	case IMSG_CONF_CA:		return ST_CA;
	case IMSG_CONF_PROC:		return ST_PROC;
	case IMSG_CONF_FILTER:		return ST_FILTER;
	case IMSG_CONF_LISTENER:	return ST_LISTENER;
	case IMSG_CONF_MDA_WRAPPER:	return ST_WRAPPER;
	case IMSG_CONF_ACTION:		return ST_ACTION;
	case IMSG_CONF_MATCH:		return ST_MATCH;
	case IMSG_CONF_MTA_LIMIT:	return ST_MTA_LIMIT;
	case IMSG_CONF_END:		return ST_END;
	}
	return -1;
}

int
config_deserialize(struct config_builder *cb, const struct ipc_msg *msg)
{
	struct msg_in	 mi;
	uint32_t	 type = msg->hdr.type;
	int		 st, r;

	if (cb->cb_done || msg->fd != -1 || (st = stage_of(type)) == -1)
		return -1;
	/* START first, then GLOBAL, then the rest in stage order; table
	 * entries only right after their table and up to its count */
	if ((cb->cb_stage == -1) != (st == ST_START))
		return -1;
	if (cb->cb_stage == ST_START && st != ST_GLOBAL)
		return -1;
	if (st < cb->cb_stage || (st == ST_GLOBAL && cb->cb_stage >= ST_GLOBAL))
		return -1;
	if (type == IMSG_CONF_TABLE_ENTRY) {
		if (cb->cb_table == NULL || cb->cb_entries_left == 0)
			return -1;
	} else if (cb->cb_entries_left != 0)
		return -1;
	if (type != IMSG_CONF_TABLE_ENTRY)
		cb->cb_table = NULL;
	cb->cb_stage = st;

	m_open(&mi, msg);
	switch (type) {
	case IMSG_CONF_START:		r = de_start(cb, &mi); break;
	case IMSG_CONF_GLOBAL:		r = de_global(cb, &mi); break;
	case IMSG_CONF_TABLE:		r = de_table(cb, &mi); break;
	case IMSG_CONF_TABLE_ENTRY:	r = de_table_entry(cb, &mi); break;
	case IMSG_CONF_PKI:		r = de_pki(cb, &mi); break;
	case IMSG_CONF_PKI_KEY:		r = de_pki_key(cb, &mi); break;
	case IMSG_CONF_CA:		r = de_ca(cb, &mi); break;
	case IMSG_CONF_PROC:		r = de_proc(cb, &mi); break;
	case IMSG_CONF_FILTER:		r = de_filter(cb, &mi); break;
	case IMSG_CONF_LISTENER:	r = de_listener(cb, &mi); break;
	case IMSG_CONF_MDA_WRAPPER:	r = de_wrapper(cb, &mi); break;
	case IMSG_CONF_ACTION:		r = de_action(cb, &mi); break;
	case IMSG_CONF_MATCH:		r = de_match(cb, &mi); break;
	case IMSG_CONF_MTA_LIMIT:	r = de_mta_limit(cb, &mi); break;
	case IMSG_CONF_END:		r = de_end(cb, &mi); break;
	default:			r = -1; break;
	}
	if (r == -1)
		return -1;
	if (type == IMSG_CONF_TABLE_ENTRY || type == IMSG_CONF_PKI_KEY)
		cb->cb_counts[ST_END]++;
	else if (st != ST_START && st != ST_END)
		cb->cb_counts[st]++;
	if (r == 1)
		cb->cb_done = 1;
	return r;
}
