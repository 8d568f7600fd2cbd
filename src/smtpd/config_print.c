/*
 * The normalised configuration printed by `smtpd -nv`: one directive per
 * line, in declaration order (tables, pki, ca, procs, filters, listeners,
 * wrappers, actions, matches), every string quoted, every default that
 * was changed written out, inline tables written inline where they are
 * used.  The output parses back to a config that prints identically.
 *
 * Runs in the parent (or smtpd -n).  Trusts the config it is given: it
 * was built by the parser or config_ipc_recv.c, which checked it.
 * Never prints private key material or secrets other than those the
 * file contains.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static void
print_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A name bare when it lexes back as the same word, else quoted. */
static void
print_name(FILE *fp, const char *s)
{
	const char	*p;
	int		 digits = 1;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    s[0] == '_') || config_is_keyword(s))
		goto quote;
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			goto quote;
		if (*p < '0' || *p > '9')
			digits = 0;
	}
	if (!digits) {
		fputs(s, fp);
		return;
	}
quote:
	print_str(fp, s);
}

static void
print_delay(FILE *fp, time_t t)
{
	if (t % 86400 == 0)
		fprintf(fp, "%lldd", (long long)(t / 86400));
	else if (t % 3600 == 0)
		fprintf(fp, "%lldh", (long long)(t / 3600));
	else if (t % 60 == 0)
		fprintf(fp, "%lldm", (long long)(t / 60));
	else
		fprintf(fp, "%llds", (long long)t);
}

static void
print_table_body(FILE *fp, const struct table *t)
{
	const struct table_entry	*te;
	const char			*sep = "";

	fputs("{ ", fp);
	TAILQ_FOREACH(te, &t->t_entries, te_entry) {
		fputs(sep, fp);
		print_str(fp, te->te_key);
		if (te->te_val != NULL) {
			fputs(" = ", fp);
			print_str(fp, te->te_val);
		}
		sep = ", ";
	}
	fputs(" }", fp);
}

/* Where a table is used: <name>, or the inline form it was written in. */
static void
print_table_ref(FILE *fp, const struct table *t)
{
	const struct table_entry	*te;

	if (t == NULL) {
		fputs("<?>", fp);
		return;
	}
	if ((t->t_flags & T_ANON) == 0) {
		fputc('<', fp);
		print_name(fp, t->t_name);
		fputc('>', fp);
		return;
	}
	te = TAILQ_FIRST(&t->t_entries);
	if ((t->t_flags & T_STRING) && te != NULL && te->te_val == NULL &&
	    TAILQ_NEXT(te, te_entry) == NULL) {
		print_str(fp, te->te_key);
		return;
	}
	print_table_body(fp, t);
}

static void
print_cond(FILE *fp, const char *kw, const struct match_cond *mc)
{
	fputc(' ', fp);
	if (mc->mc_neg)
		fputc('!', fp);
	fputs(kw, fp);
	if (mc->mc_regex)
		fputs(" regex", fp);
	if (mc->mc_table != NULL) {
		fputc(' ', fp);
		print_table_ref(fp, mc->mc_table);
	}
}

static void
print_filter_ref(FILE *fp, const struct filter *f)
{
	size_t	i;

	if (!f->f_anon) {
		print_name(fp, f->f_name);
		return;
	}
	fputs("{ ", fp);
	for (i = 0; i < f->f_nchain; i++) {
		if (i > 0)
			fputs(", ", fp);
		print_name(fp, f->f_chain[i]->f_name);
	}
	fputs(" }", fp);
}

static void
print_proc_opts(FILE *fp, const struct proc *p)
{
	if (p->pr_user != NULL) {
		fputs(" user ", fp);
		print_str(fp, p->pr_user);
	}
	if (p->pr_group != NULL) {
		fputs(" group ", fp);
		print_str(fp, p->pr_group);
	}
	if (p->pr_chroot != NULL) {
		fputs(" chroot ", fp);
		print_str(fp, p->pr_chroot);
	}
}

static void
print_globals(FILE *fp, const struct smtpd_config *c)
{
	const struct mta_limit		*ml;
	size_t				 i;

	if (c->sc_queue_path != NULL &&
	    strcmp(c->sc_queue_path, CONF_DEFAULT_QUEUE_PATH) != 0) {
		fputs("queue path ", fp);
		print_str(fp, c->sc_queue_path);
		fputc('\n', fp);
	}
	if (c->sc_control_path != NULL &&
	    strcmp(c->sc_control_path, CONF_DEFAULT_CONTROL_PATH) != 0) {
		fputs("control socket ", fp);
		print_str(fp, c->sc_control_path);
		fputc('\n', fp);
	}
	if (c->sc_pidfile != NULL &&
	    strcmp(c->sc_pidfile, CONF_DEFAULT_PIDFILE) != 0) {
		fputs("pidfile ", fp);
		print_str(fp, c->sc_pidfile);
		fputc('\n', fp);
	}
	if (c->sc_resolver != NULL) {
		fputs("resolver ", fp);
		print_str(fp, c->sc_resolver);
		fputc('\n', fp);
	}
	if (c->sc_admd != NULL) {
		fputs("admd ", fp);
		print_str(fp, c->sc_admd);
		fputc('\n', fp);
	}
	if (c->sc_queue_ttl != QUEUE_DEFAULT_TTL) {
		fputs("queue ttl ", fp);
		print_delay(fp, c->sc_queue_ttl);
		fputc('\n', fp);
	}
	if (c->sc_queue_retry_delay != QUEUE_DEFAULT_RETRY_DELAY) {
		fputs("queue retry-delay ", fp);
		print_delay(fp, c->sc_queue_retry_delay);
		fputc('\n', fp);
	}
	if (c->sc_queue_compression)
		fputs("queue compression\n", fp);
	switch (c->sc_queue_encryption) {
	case QUEUE_ENC_NONE:
		break;
	case QUEUE_ENC_PROMPT:
		fputs("queue encryption\n", fp);
		break;
	case QUEUE_ENC_STDIN:
		fputs("queue encryption stdin\n", fp);
		break;
	case QUEUE_ENC_KEY:
		fputs("queue encryption ", fp);
		print_str(fp, c->sc_queue_key != NULL ? c->sc_queue_key : "");
		fputc('\n', fp);
		break;
	}
	if (c->sc_nbounce_warn != 1 ||
	    c->sc_bounce_warn[0] != BOUNCE_DEFAULT_WARN) {
		fputs("bounce warn-interval ", fp);
		for (i = 0; i < c->sc_nbounce_warn; i++) {
			if (i > 0)
				fputs(", ", fp);
			print_delay(fp, c->sc_bounce_warn[i]);
		}
		fputc('\n', fp);
	}
	if (c->sc_srs_key != NULL) {
		fputs("srs key ", fp);
		print_str(fp, c->sc_srs_key);
		fputc('\n', fp);
	}
	if (c->sc_srs_key_backup != NULL) {
		fputs("srs key backup ", fp);
		print_str(fp, c->sc_srs_key_backup);
		fputc('\n', fp);
	}
	if (c->sc_srs_ttl_days != CONF_DEFAULT_SRS_TTL_DAYS)
		fprintf(fp, "srs ttl %dd\n", c->sc_srs_ttl_days);
	if (c->sc_max_message_size != SMTP_DEFAULT_MAX_MESSAGE_SIZE)
		fprintf(fp, "smtp max-message-size %zu\n",
		    c->sc_max_message_size);
	if (c->sc_max_rcpt != SMTP_DEFAULT_MAX_RCPT)
		fprintf(fp, "smtp limit max-rcpt %zu\n", c->sc_max_rcpt);
	if (c->sc_max_mails != SMTP_DEFAULT_MAX_MAILS)
		fprintf(fp, "smtp limit max-mails %zu\n", c->sc_max_mails);
	if (c->sc_smtp_max_sessions != SMTP_DEFAULT_MAX_SESSIONS)
		fprintf(fp, "smtp limit max-sessions %zu\n",
		    c->sc_smtp_max_sessions);
	if (c->sc_smtp_max_sessions_per_ip != SMTP_DEFAULT_MAX_SESSIONS_PER_IP)
		fprintf(fp, "smtp limit max-sessions-per-ip %zu\n",
		    c->sc_smtp_max_sessions_per_ip);
	if (c->sc_smtp_max_failures != SMTP_DEFAULT_MAX_FAILURES)
		fprintf(fp, "smtp limit max-failures %zu\n",
		    c->sc_smtp_max_failures);
	if (c->sc_smtp_timeout_command != SMTP_DEFAULT_TIMEOUT_COMMAND) {
		fputs("smtp timeout command ", fp);
		print_delay(fp, c->sc_smtp_timeout_command);
		fputc('\n', fp);
	}
	if (c->sc_smtp_timeout_data != SMTP_DEFAULT_TIMEOUT_DATA) {
		fputs("smtp timeout data ", fp);
		print_delay(fp, c->sc_smtp_timeout_data);
		fputc('\n', fp);
	}
	if (c->sc_smtp_bare_lf != SMTP_BARE_REJECT)
		fputs("smtp bare-lf accept\n", fp);
	if (c->sc_smtp_bare_cr != SMTP_BARE_REJECT)
		fputs("smtp bare-cr accept\n", fp);
	if (c->sc_smtp_ciphers != NULL) {
		fputs("smtp ciphers ", fp);
		print_str(fp, c->sc_smtp_ciphers);
		fputc('\n', fp);
	}
	if (c->sc_subaddr_delim != '+') {
		char	d[2] = { c->sc_subaddr_delim, '\0' };

		fputs("smtp sub-addr-delim ", fp);
		print_str(fp, d);
		fputc('\n', fp);
	}
	if (c->sc_mta_max_deferred != CONF_DEFAULT_MTA_MAX_DEFERRED)
		fprintf(fp, "mta max-deferred %zu\n", c->sc_mta_max_deferred);
	TAILQ_FOREACH(ml, &c->sc_mta_limits, ml_entry) {
		fputs("mta limit", fp);
		if (ml->ml_domain != NULL) {
			fputs(" for domain ", fp);
			print_str(fp, ml->ml_domain);
		}
		if (ml->ml_family == AF_INET)
			fputs(" inet4", fp);
		else if (ml->ml_family == AF_INET6)
			fputs(" inet6", fp);
		if (ml->ml_key != NULL)
			fprintf(fp, " %s %lld", ml->ml_key,
			    (long long)ml->ml_value);
		fputc('\n', fp);
	}
#define LIMIT(field, dflt, text) \
	if (c->field != (dflt)) \
		fprintf(fp, text " %zu\n", c->field)
	LIMIT(sc_mda_max_session, CONF_DEFAULT_MDA_MAX_SESSION,
	    "mda limit max-session");
	LIMIT(sc_mda_max_session_per_user, CONF_DEFAULT_MDA_MAX_USER_SESSION,
	    "mda limit max-session-per-user");
	LIMIT(sc_mda_task_lowat, CONF_DEFAULT_MDA_TASK_LOWAT,
	    "mda limit task-lowat");
	LIMIT(sc_mda_task_hiwat, CONF_DEFAULT_MDA_TASK_HIWAT,
	    "mda limit task-hiwat");
	LIMIT(sc_mda_task_release, CONF_DEFAULT_MDA_TASK_RELEASE,
	    "mda limit task-release");
	LIMIT(sc_sched_max_inflight, CONF_DEFAULT_SCHED_MAX_INFLIGHT,
	    "scheduler limit max-inflight");
	LIMIT(sc_sched_max_evp_batch_size, CONF_DEFAULT_SCHED_EVP_BATCH,
	    "scheduler limit max-evp-batch-size");
	LIMIT(sc_sched_max_msg_batch_size, CONF_DEFAULT_SCHED_MSG_BATCH,
	    "scheduler limit max-msg-batch-size");
	LIMIT(sc_sched_max_schedule, CONF_DEFAULT_SCHED_MAX_SCHEDULE,
	    "scheduler limit max-schedule");
#undef LIMIT
}

static void
print_table(FILE *fp, const struct table *t)
{
	fputs("table ", fp);
	print_name(fp, t->t_name);
	fputc(' ', fp);
	if (t->t_config == NULL && t->t_backend_name == NULL) {
		print_table_body(fp, t);
	} else if (t->t_flags & T_FROMPATH) {
		print_str(fp, t->t_config);
	} else {
		char	buf[CONF_MAX_TOKEN * 2 + 2];

		(void)snprintf(buf, sizeof(buf), "%s%s%s",
		    t->t_backend_name != NULL ? t->t_backend_name : "",
		    t->t_config != NULL ? ":" : "",
		    t->t_config != NULL ? t->t_config : "");
		print_str(fp, buf);
	}
	fputc('\n', fp);
}

static void
print_filter(FILE *fp, const struct filter *f)
{
	const struct filter_cond	*fc;
	size_t				 i;
	static const char *const	 decisions[] = {
		[FDEC_BYPASS] = "bypass",
		[FDEC_JUNK] = "junk",
		[FDEC_REJECT] = "reject",
		[FDEC_DISCONNECT] = "disconnect",
		[FDEC_REWRITE] = "rewrite",
		[FDEC_REPORT] = "report",
	};

	fputs("filter ", fp);
	print_name(fp, f->f_name);
	switch (f->f_type) {
	case FILTER_PROC:
		fputs(" proc ", fp);
		print_name(fp, f->f_proc->pr_name);
		break;
	case FILTER_PROC_EXEC:
		fputs(" proc-exec ", fp);
		print_str(fp, f->f_proc->pr_command);
		print_proc_opts(fp, f->f_proc);
		break;
	case FILTER_CHAIN:
		fputs(" chain { ", fp);
		for (i = 0; i < f->f_nchain; i++) {
			if (i > 0)
				fputs(", ", fp);
			print_name(fp, f->f_chain[i]->f_name);
		}
		fputs(" }", fp);
		break;
	case FILTER_BUILTIN:
		fprintf(fp, " phase %s match",
		    config_filter_phase_name(f->f_phase));
		for (i = 0; i < f->f_nconds; i++) {
			fc = &f->f_conds[i];
			fputc(' ', fp);
			if (fc->fc_neg)
				fputc('!', fp);
			fputs(config_filter_cond_name(fc->fc_kind), fp);
			if (fc->fc_regex)
				fputs(" regex", fp);
			if (fc->fc_table != NULL) {
				fputc(' ', fp);
				print_table_ref(fp, fc->fc_table);
			}
		}
		fprintf(fp, " %s", decisions[f->f_decision]);
		if (f->f_decision_arg != NULL) {
			fputc(' ', fp);
			print_str(fp, f->f_decision_arg);
		}
		break;
	}
	fputc('\n', fp);
}

static void
print_listener(FILE *fp, const struct listener *l)
{
	char	host[NI_MAXHOST];
	size_t	i;

	if (l->l_flags & L_SOCKET) {
		if (l->l_flags & L_IMPLICIT)
			return;
		fputs("listen on socket", fp);
	} else {
		if (getnameinfo((const struct sockaddr *)&l->l_ss,
		    l->l_ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6), host, sizeof(host), NULL, 0,
		    NI_NUMERICHOST) != 0)
			(void)strlcpy(host, "?", sizeof(host));
		fputs("listen on ", fp);
		print_str(fp, host);
		if (l->l_family == AF_INET)
			fputs(" inet4", fp);
		else if (l->l_family == AF_INET6)
			fputs(" inet6", fp);
		fprintf(fp, " port %u", (unsigned int)l->l_port);
	}
	if (l->l_flags & L_SMTPS)
		fputs(" smtps", fp);
	else if (l->l_flags & L_TLS_REQUIRE)
		fputs(" tls-require", fp);
	else if (l->l_flags & L_TLS)
		fputs(" tls", fp);
	if (l->l_flags & L_TLS_VERIFY)
		fputs(" verify", fp);
	for (i = 0; i < l->l_npki; i++) {
		fputs(" pki ", fp);
		print_name(fp, l->l_pki[i]->pki_name);
	}
	if (l->l_ca != NULL) {
		fputs(" ca ", fp);
		print_name(fp, l->l_ca->ca_name);
	}
	if (l->l_flags & L_AUTH) {
		fputs(l->l_flags & L_AUTH_REQUIRE ? " auth" : " auth-optional",
		    fp);
		if (l->l_auth != NULL) {
			fputc(' ', fp);
			print_table_ref(fp, l->l_auth);
		}
	}
	if (l->l_hostname != NULL) {
		fputs(" hostname ", fp);
		print_str(fp, l->l_hostname);
	}
	if (l->l_hostnames != NULL) {
		fputs(" hostnames ", fp);
		print_table_ref(fp, l->l_hostnames);
	}
	if (l->l_tag != NULL) {
		fputs(" tag ", fp);
		print_str(fp, l->l_tag);
	}
	if (l->l_senders != NULL) {
		fputs(" senders ", fp);
		print_table_ref(fp, l->l_senders);
		if (l->l_flags & L_MASQUERADE)
			fputs(" masquerade", fp);
	}
	if (l->l_flags & L_MASK_SRC)
		fputs(" mask-src", fp);
	if (l->l_flags & L_RECEIVED_AUTH)
		fputs(" received-auth", fp);
	if (l->l_flags & L_NO_DSN)
		fputs(" no-dsn", fp);
	if (l->l_flags & L_PROXY_V2)
		fputs(" proxy-v2", fp);
	if (l->l_ciphers != NULL) {
		fputs(" ciphers ", fp);
		print_str(fp, l->l_ciphers);
	}
	if (l->l_protocols != NULL) {
		fputs(" protocols ", fp);
		print_str(fp, l->l_protocols);
	}
	if (l->l_filter != NULL) {
		fputs(" filter ", fp);
		print_filter_ref(fp, l->l_filter);
	}
	fputc('\n', fp);
}

static void
print_opt_str(FILE *fp, const char *kw, const char *s)
{
	if (s == NULL)
		return;
	fprintf(fp, " %s ", kw);
	print_str(fp, s);
}

static void
print_opt_table(FILE *fp, const char *kw, const struct table *t)
{
	if (t == NULL)
		return;
	fprintf(fp, " %s ", kw);
	print_table_ref(fp, t);
}

static void
print_action(FILE *fp, const struct action *a)
{
	fputs("action ", fp);
	print_name(fp, a->a_name);
	fprintf(fp, " %s", config_action_type_name(a->a_type));
	if (a->a_arg != NULL) {
		fputc(' ', fp);
		print_str(fp, a->a_arg);
	}
	if (a->a_flags & A_JUNK)
		fputs(" junk", fp);
	if (a->a_flags & A_RCPT_TO)
		fputs(" rcpt-to", fp);
	print_opt_table(fp, "alias", a->a_alias);
	print_opt_table(fp, "virtual", a->a_virtual);
	print_opt_table(fp, "userbase", a->a_userbase);
	print_opt_str(fp, "user", a->a_user);
	if (a->a_wrapper != NULL) {
		fputs(" wrapper ", fp);
		print_name(fp, a->a_wrapper);
	}
	print_opt_table(fp, "host", a->a_host_table);
	if (a->a_flags & A_BACKUP) {
		fputs(" backup", fp);
		print_opt_str(fp, "mx", a->a_backup_mx);
	}
	print_opt_table(fp, "domain", a->a_domain);
	print_opt_str(fp, "helo", a->a_helo);
	print_opt_table(fp, "helo-src", a->a_helo_src);
	if (a->a_flags & A_TLS)
		fputs(a->a_flags & A_NO_VERIFY ? " tls no-verify" : " tls", fp);
	print_opt_table(fp, "auth", a->a_auth);
	print_opt_table(fp, "src", a->a_src);
	if (a->a_flags & A_SRS)
		fputs(" srs", fp);
	print_opt_str(fp, "mail-from", a->a_mail_from);
	if (a->a_pki != NULL) {
		fputs(" pki ", fp);
		print_name(fp, a->a_pki->pki_name);
	}
	if (a->a_ca != NULL) {
		fputs(" ca ", fp);
		print_name(fp, a->a_ca->ca_name);
	}
	print_opt_str(fp, "ciphers", a->a_ciphers);
	print_opt_str(fp, "protocols", a->a_protocols);
	if (a->a_filter != NULL) {
		fputs(" filter ", fp);
		print_filter_ref(fp, a->a_filter);
	}
	if (a->a_ttl != 0) {
		fputs(" ttl ", fp);
		print_delay(fp, a->a_ttl);
	}
	fputc('\n', fp);
}

static void
print_match(FILE *fp, const struct match *m)
{
	static const char *const froms[] = {
		[FROM_LOCAL] = "from local",
		[FROM_ANY] = "from any",
		[FROM_SOCKET] = "from socket",
		[FROM_SRC] = "from src",
		[FROM_AUTH] = "from auth",
		[FROM_RDNS] = "from rdns",
		[FROM_MAIL_FROM] = "from mail-from",
	};
	static const char *const fors[] = {
		[FOR_LOCAL] = "for local",
		[FOR_ANY] = "for any",
		[FOR_DOMAIN] = "for domain",
		[FOR_RCPT_TO] = "for rcpt-to",
	};
	int	i;

	fputs("match", fp);
	print_cond(fp, froms[m->m_from], &m->m_from_cond);
	print_cond(fp, fors[m->m_for], &m->m_for_cond);
	for (i = 0; i < MOPT_COUNT; i++)
		if (m->m_opts[i].mc_set)
			print_cond(fp, config_mopt_name(i), &m->m_opts[i]);
	if (m->m_action == NULL)
		fputs(" reject\n", fp);
	else {
		fputs(" action ", fp);
		print_name(fp, m->m_action->a_name);
		fputc('\n', fp);
	}
}

void
config_print(FILE *fp, const struct smtpd_config *c)
{
	const struct table		*t;
	const struct pki		*p;
	const struct ca			*ca;
	const struct proc		*pr;
	const struct filter		*f;
	const struct listener		*l;
	const struct mda_wrapper	*w;
	const struct action		*a;
	const struct match		*m;

	print_globals(fp, c);
	TAILQ_FOREACH(t, &c->sc_tables, t_entry)
		if ((t->t_flags & T_ANON) == 0)
			print_table(fp, t);
	TAILQ_FOREACH(p, &c->sc_pkis, pki_entry) {
		fputs("pki ", fp);
		print_name(fp, p->pki_name);
		print_opt_str(fp, "cert", p->pki_cert_file);
		print_opt_str(fp, "key", p->pki_key_file);
		if (p->pki_dhe == PKI_DHE_AUTO)
			fputs(" dhe auto", fp);
		else if (p->pki_dhe == PKI_DHE_LEGACY)
			fputs(" dhe legacy", fp);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(ca, &c->sc_cas, ca_entry) {
		fputs("ca ", fp);
		print_name(fp, ca->ca_name);
		print_opt_str(fp, "cert", ca->ca_cert_file);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(pr, &c->sc_procs, pr_entry) {
		fputs("proc ", fp);
		print_name(fp, pr->pr_name);
		fputc(' ', fp);
		print_str(fp, pr->pr_command);
		print_proc_opts(fp, pr);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(f, &c->sc_filters, f_entry)
		if (!f->f_anon)
			print_filter(fp, f);
	TAILQ_FOREACH(l, &c->sc_listeners, l_entry)
		print_listener(fp, l);
	TAILQ_FOREACH(w, &c->sc_mda_wrappers, w_entry) {
		fputs("mda wrapper ", fp);
		print_name(fp, w->w_name);
		fputc(' ', fp);
		print_str(fp, w->w_command);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(a, &c->sc_actions, a_entry)
		print_action(fp, a);
	TAILQ_FOREACH(m, &c->sc_matches, m_entry)
		print_match(fp, m);
}
