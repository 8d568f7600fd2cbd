/*
 * Configuration objects: allocation, defaults, lookups by name, free,
 * and the small value parsers (delays, sizes, relay URLs) shared by the
 * parser and the IPC decoder.
 *
 * Runs in the parent (parsing) and in every child (a config rebuilt from
 * IPC).  Trusts nothing it is given: values come from the config file or
 * from a peer, and every parser here bounds-checks.  Never logs, never
 * exits: failures are return values.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "config.h"
#include "postern_limits.h"

struct smtpd_config *
config_new(void)
{
	struct smtpd_config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	TAILQ_INIT(&conf->sc_tables);
	RB_INIT(&conf->sc_table_index);
	TAILQ_INIT(&conf->sc_pkis);
	TAILQ_INIT(&conf->sc_cas);
	TAILQ_INIT(&conf->sc_procs);
	TAILQ_INIT(&conf->sc_filters);
	TAILQ_INIT(&conf->sc_listeners);
	TAILQ_INIT(&conf->sc_actions);
	RB_INIT(&conf->sc_action_index);
	TAILQ_INIT(&conf->sc_matches);
	TAILQ_INIT(&conf->sc_mta_limits);
	TAILQ_INIT(&conf->sc_mda_wrappers);
	config_set_defaults(conf);
	return conf;
}

/* Numeric defaults only; path defaults are filled in after parsing so
 * that "was it written?" stays visible (see config_parse()). */
void
config_set_defaults(struct smtpd_config *conf)
{
	conf->sc_queue_ttl = QUEUE_DEFAULT_TTL;
	conf->sc_bounce_warn[0] = BOUNCE_DEFAULT_WARN;
	conf->sc_nbounce_warn = 1;
	conf->sc_srs_ttl_days = CONF_DEFAULT_SRS_TTL_DAYS;
	conf->sc_max_message_size = SMTP_DEFAULT_MAX_MESSAGE_SIZE;
	conf->sc_max_rcpt = SMTP_DEFAULT_MAX_RCPT;
	conf->sc_max_mails = SMTP_DEFAULT_MAX_MAILS;
	conf->sc_subaddr_delim = '+';
	conf->sc_smtp_max_sessions = SMTP_DEFAULT_MAX_SESSIONS;
	conf->sc_smtp_max_sessions_per_ip = SMTP_DEFAULT_MAX_SESSIONS_PER_IP;
	conf->sc_smtp_max_failures = SMTP_DEFAULT_MAX_FAILURES;
	conf->sc_smtp_timeout_command = SMTP_DEFAULT_TIMEOUT_COMMAND;
	conf->sc_smtp_timeout_data = SMTP_DEFAULT_TIMEOUT_DATA;
	conf->sc_smtp_bare_lf = SMTP_BARE_REJECT;
	conf->sc_smtp_bare_cr = SMTP_BARE_REJECT;
	conf->sc_queue_retry_delay = QUEUE_DEFAULT_RETRY_DELAY;
	conf->sc_mta_max_deferred = CONF_DEFAULT_MTA_MAX_DEFERRED;
	conf->sc_mda_max_session = CONF_DEFAULT_MDA_MAX_SESSION;
	conf->sc_mda_max_session_per_user = CONF_DEFAULT_MDA_MAX_USER_SESSION;
	conf->sc_mda_task_lowat = CONF_DEFAULT_MDA_TASK_LOWAT;
	conf->sc_mda_task_hiwat = CONF_DEFAULT_MDA_TASK_HIWAT;
	conf->sc_mda_task_release = CONF_DEFAULT_MDA_TASK_RELEASE;
	conf->sc_sched_max_inflight = CONF_DEFAULT_SCHED_MAX_INFLIGHT;
	conf->sc_sched_max_evp_batch_size = CONF_DEFAULT_SCHED_EVP_BATCH;
	conf->sc_sched_max_msg_batch_size = CONF_DEFAULT_SCHED_MSG_BATCH;
	conf->sc_sched_max_schedule = CONF_DEFAULT_SCHED_MAX_SCHEDULE;
}

static void
freezero_str(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s));
}

void
config_table_free(struct table *t)
{
	struct table_entry	*te;

	if (t == NULL)
		return;
	while ((te = TAILQ_FIRST(&t->t_entries)) != NULL) {
		TAILQ_REMOVE(&t->t_entries, te, te_entry);
		/* inline tables may hold credentials */
		freezero_str(te->te_key);
		freezero_str(te->te_val);
		free(te);
	}
	free(t->t_name);
	free(t->t_backend_name);
	free(t->t_config);
	free(t);
}

void
config_pki_free(struct pki *p)
{
	if (p == NULL)
		return;
	free(p->pki_name);
	free(p->pki_cert_file);
	free(p->pki_key_file);
	free(p->pki_cert);
	if (p->pki_key != NULL)
		freezero(p->pki_key, p->pki_key_len + 1);
	free(p);
}

void
config_ca_free(struct ca *c)
{
	if (c == NULL)
		return;
	free(c->ca_name);
	free(c->ca_cert_file);
	free(c->ca_cert);
	free(c);
}

void
config_proc_free(struct proc *p)
{
	if (p == NULL)
		return;
	free(p->pr_name);
	free(p->pr_command);
	free(p->pr_user);
	free(p->pr_group);
	free(p->pr_chroot);
	free(p);
}

void
config_filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	if (f->f_type == FILTER_PROC_EXEC)
		config_proc_free(f->f_proc);	/* its own, not shared */
	free(f->f_name);
	free(f->f_chain);
	free(f->f_conds);
	free(f->f_decision_arg);
	free(f);
}

void
config_listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	free(l->l_name);
	free(l->l_hostname);
	free(l->l_tag);
	free(l->l_pki);
	free(l->l_ciphers);
	free(l->l_protocols);
	free(l);
}

void
config_relay_host_clear(struct relay_host *rh)
{
	free(rh->rh_label);
	free(rh->rh_host);
	memset(rh, 0, sizeof(*rh));
}

void
config_action_free(struct action *a)
{
	if (a == NULL)
		return;
	free(a->a_name);
	free(a->a_arg);
	free(a->a_user);
	free(a->a_wrapper);
	free(a->a_host_url);
	config_relay_host_clear(&a->a_host);
	free(a->a_backup_mx);
	free(a->a_helo);
	free(a->a_mail_from);
	free(a->a_ciphers);
	free(a->a_protocols);
	free(a);
}

void
config_match_free(struct match *m)
{
	free(m);
}

void
config_free(struct smtpd_config *conf)
{
	struct table		*t;
	struct pki		*p;
	struct ca		*c;
	struct proc		*pr;
	struct filter		*f;
	struct listener		*l;
	struct action		*a;
	struct match		*m;
	struct mta_limit	*ml;
	struct mda_wrapper	*w;

	if (conf == NULL)
		return;
	while ((m = TAILQ_FIRST(&conf->sc_matches)) != NULL) {
		TAILQ_REMOVE(&conf->sc_matches, m, m_entry);
		config_match_free(m);
	}
	/* the index only points into the list: drop it, then the actions */
	RB_INIT(&conf->sc_action_index);
	while ((a = TAILQ_FIRST(&conf->sc_actions)) != NULL) {
		TAILQ_REMOVE(&conf->sc_actions, a, a_entry);
		config_action_free(a);
	}
	while ((l = TAILQ_FIRST(&conf->sc_listeners)) != NULL) {
		TAILQ_REMOVE(&conf->sc_listeners, l, l_entry);
		config_listener_free(l);
	}
	while ((f = TAILQ_FIRST(&conf->sc_filters)) != NULL) {
		TAILQ_REMOVE(&conf->sc_filters, f, f_entry);
		config_filter_free(f);
	}
	while ((pr = TAILQ_FIRST(&conf->sc_procs)) != NULL) {
		TAILQ_REMOVE(&conf->sc_procs, pr, pr_entry);
		config_proc_free(pr);
	}
	while ((c = TAILQ_FIRST(&conf->sc_cas)) != NULL) {
		TAILQ_REMOVE(&conf->sc_cas, c, ca_entry);
		config_ca_free(c);
	}
	while ((p = TAILQ_FIRST(&conf->sc_pkis)) != NULL) {
		TAILQ_REMOVE(&conf->sc_pkis, p, pki_entry);
		config_pki_free(p);
	}
	while ((t = TAILQ_FIRST(&conf->sc_tables)) != NULL) {
		TAILQ_REMOVE(&conf->sc_tables, t, t_entry);
		config_table_free(t);
	}
	while ((ml = TAILQ_FIRST(&conf->sc_mta_limits)) != NULL) {
		TAILQ_REMOVE(&conf->sc_mta_limits, ml, ml_entry);
		free(ml->ml_domain);
		free(ml->ml_key);
		free(ml);
	}
	while ((w = TAILQ_FIRST(&conf->sc_mda_wrappers)) != NULL) {
		TAILQ_REMOVE(&conf->sc_mda_wrappers, w, w_entry);
		free(w->w_name);
		free(w->w_command);
		free(w);
	}
	free(conf->sc_queue_path);
	free(conf->sc_control_path);
	free(conf->sc_pidfile);
	free(conf->sc_resolver);
	free(conf->sc_hostname);
	free(conf->sc_admd);
	freezero_str(conf->sc_queue_key);
	freezero_str(conf->sc_srs_key);
	freezero_str(conf->sc_srs_key_backup);
	free(conf->sc_smtp_ciphers);
	free(conf);
}

/* ------------------------------------------------------------------ */
/* Lookups by name.  Anonymous objects are never found. */

static int
config_table_cmp(const struct table *a, const struct table *b)
{
	return strcmp(a->t_name, b->t_name);
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* used by sys/tree.h */
#endif
RB_GENERATE_STATIC(table_index, table, t_node, config_table_cmp);

struct table *
config_table_find(const struct smtpd_config *conf, const char *name)
{
	struct table	key;

	key.t_name = (char *)(uintptr_t)name;
	return RB_FIND(table_index, (struct table_index *)(uintptr_t)
	    &conf->sc_table_index, &key);
}

int
config_table_index(struct smtpd_config *conf, struct table *t)
{
	if (t->t_flags & T_ANON)
		return 0;
	return RB_INSERT(table_index, &conf->sc_table_index, t) == NULL ?
	    0 : -1;
}

struct pki *
config_pki_find(const struct smtpd_config *conf, const char *name)
{
	struct pki	*p;

	TAILQ_FOREACH(p, &conf->sc_pkis, pki_entry)
		if (strcasecmp(p->pki_name, name) == 0)
			return p;
	return NULL;
}

struct ca *
config_ca_find(const struct smtpd_config *conf, const char *name)
{
	struct ca	*c;

	TAILQ_FOREACH(c, &conf->sc_cas, ca_entry)
		if (strcasecmp(c->ca_name, name) == 0)
			return c;
	return NULL;
}

struct proc *
config_proc_find(const struct smtpd_config *conf, const char *name)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &conf->sc_procs, pr_entry)
		if (strcmp(p->pr_name, name) == 0)
			return p;
	return NULL;
}

struct filter *
config_filter_find(const struct smtpd_config *conf, const char *name)
{
	struct filter	*f;

	TAILQ_FOREACH(f, &conf->sc_filters, f_entry)
		if (!f->f_anon && strcmp(f->f_name, name) == 0)
			return f;
	return NULL;
}

static int
config_action_cmp(const struct action *a, const struct action *b)
{
	return strcmp(a->a_name, b->a_name);
}

RB_GENERATE_STATIC(action_index, action, a_node, config_action_cmp);

const char *
config_mopt_name(enum match_opt opt)
{
	static const char *const names[MOPT_COUNT] = {
		[MOPT_AUTH] = "auth",
		[MOPT_MAIL_FROM] = "mail-from",
		[MOPT_RCPT_TO] = "rcpt-to",
		[MOPT_HELO] = "helo",
		[MOPT_TAG] = "tag",
		[MOPT_TLS] = "tls",
	};

	return (unsigned int)opt < MOPT_COUNT ? names[opt] : "?";
}

struct action *
config_action_find(const struct smtpd_config *conf, const char *name)
{
	struct action	key;

	key.a_name = (char *)(uintptr_t)name;
	return RB_FIND(action_index, (struct action_index *)(uintptr_t)
	    &conf->sc_action_index, &key);
}

int
config_action_index(struct smtpd_config *conf, struct action *a)
{
	return RB_INSERT(action_index, &conf->sc_action_index, a) == NULL ?
	    0 : -1;
}

struct mda_wrapper *
config_wrapper_find(const struct smtpd_config *conf, const char *name)
{
	struct mda_wrapper	*w;

	TAILQ_FOREACH(w, &conf->sc_mda_wrappers, w_entry)
		if (strcmp(w->w_name, name) == 0)
			return w;
	return NULL;
}

struct listener *
config_socket_listener(const struct smtpd_config *conf)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry)
		if (l->l_flags & L_SOCKET)
			return l;
	return NULL;
}

struct listener *
config_listener_at(const struct smtpd_config *conf, uint32_t idx)
{
	struct listener	*l;
	uint32_t	 i = 0;

	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry)
		if (i++ == idx)
			return l;
	return NULL;
}

/* A new empty table appended to the config.  name NULL: anonymous. */
struct table *
config_table_new(struct smtpd_config *conf, const char *name)
{
	struct table	*t;
	char		 buf[32];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	TAILQ_INIT(&t->t_entries);
	if (name == NULL) {
		(void)snprintf(buf, sizeof(buf), "#%u", ++conf->sc_anon_next);
		t->t_flags |= T_ANON;
		name = buf;
	}
	if ((t->t_name = strdup(name)) == NULL) {
		free(t);
		return NULL;
	}
	if (config_table_index(conf, t) == -1) {
		free(t->t_name);
		free(t);
		errno = EEXIST;
		return NULL;
	}
	TAILQ_INSERT_TAIL(&conf->sc_tables, t, t_entry);
	return t;
}

int
config_table_add(struct table *t, const char *key, const char *val)
{
	struct table_entry	*te;

	if (t->t_nentries >= CONF_MAX_TABLE_ENTRIES) {
		errno = E2BIG;
		return -1;
	}
	if ((te = calloc(1, sizeof(*te))) == NULL)
		return -1;
	if ((te->te_key = strdup(key)) == NULL)
		goto fail;
	if (val != NULL && (te->te_val = strdup(val)) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&t->t_entries, te, te_entry);
	t->t_nentries++;
	return 0;
fail:
	free(te->te_key);
	free(te);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Names for the printer and for logs. */

const char *
config_action_type_name(enum action_type type)
{
	switch (type) {
	case ACTION_MBOX:		return "mbox";
	case ACTION_MAILDIR:		return "maildir";
	case ACTION_LMTP:		return "lmtp";
	case ACTION_MDA:		return "mda";
	case ACTION_FORWARD_ONLY:	return "forward-only";
	case ACTION_EXPAND_ONLY:	return "expand-only";
	case ACTION_RELAY:		return "relay";
	}
	return "?";
}

const char *
config_filter_phase_name(enum filter_phase phase)
{
	static const char *const names[FPHASE_COUNT] = {
		[FPHASE_CONNECT] = "connect",
		[FPHASE_HELO] = "helo",
		[FPHASE_EHLO] = "ehlo",
		[FPHASE_AUTH] = "auth",
		[FPHASE_MAIL_FROM] = "mail-from",
		[FPHASE_RCPT_TO] = "rcpt-to",
		[FPHASE_DATA] = "data",
		[FPHASE_COMMIT] = "commit",
	};

	if ((unsigned int)phase < FPHASE_COUNT)
		return names[phase];
	return "?";
}

const char *
config_filter_cond_name(enum filter_cond_kind kind)
{
	static const char *const names[FCOND_COUNT] = {
		[FCOND_FCRDNS] = "fcrdns",
		[FCOND_RDNS] = "rdns",
		[FCOND_SRC] = "src",
		[FCOND_HELO] = "helo",
		[FCOND_AUTH] = "auth",
		[FCOND_MAIL_FROM] = "mail-from",
		[FCOND_RCPT_TO] = "rcpt-to",
	};

	if ((unsigned int)kind < FCOND_COUNT)
		return names[kind];
	return "?";
}

/* ------------------------------------------------------------------ */
/* Values */

/* "<digits><s|m|h|d>", at least 1, at most CONF_MAX_DELAY seconds. */
int
config_parse_delay(const char *s, time_t *out)
{
	char		 buf[32];
	const char	*errstr;
	size_t		 len;
	long long	 factor, n;

	len = strlen(s);
	if (len < 2 || len >= sizeof(buf))
		return -1;
	switch (s[len - 1]) {
	case 's':
		factor = 1;
		break;
	case 'm':
		factor = 60;
		break;
	case 'h':
		factor = 60 * 60;
		break;
	case 'd':
		factor = 24 * 60 * 60;
		break;
	default:
		return -1;
	}
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	n = strtonum(buf, 1, CONF_MAX_DELAY / factor, &errstr);
	if (errstr != NULL)
		return -1;
	*out = (time_t)(n * factor);
	return 0;
}

/* A byte count, or a number with one scale suffix B K M G T P E (any
 * case); the result must fit CONF_MAX_SIZE. */
int
config_parse_size(const char *s, size_t *out)
{
	char		 buf[32];
	const char	*errstr;
	size_t		 len;
	long long	 n;
	unsigned int	 shift = 0;

	len = strlen(s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	if (!isdigit((unsigned char)buf[len - 1])) {
		switch (toupper((unsigned char)buf[len - 1])) {
		case 'B': shift = 0; break;
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		case 'P': shift = 50; break;
		case 'E': shift = 60; break;
		default:
			return -1;
		}
		buf[--len] = '\0';
	}
	if (len == 0 || !isdigit((unsigned char)buf[0]))
		return -1;
	n = strtonum(buf, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	if (shift >= 63 || n > (CONF_MAX_SIZE >> shift))
		return -1;
	*out = (size_t)n << shift;
	return 0;
}

/* Relay URL: [proto://[label@]]host[:port] with proto smtp, smtp+tls,
 * smtp+notls, smtps or lmtp; host a name or a bracketed literal. */
int
config_relay_url_parse(const char *url, struct relay_host *rh,
    const char **errstr)
{
	static const struct {
		const char	*name;
		enum relay_proto proto;
	} protos[] = {
		{ "smtp", RELAY_SMTP },
		{ "smtp+tls", RELAY_SMTP_TLS },
		{ "smtp+notls", RELAY_SMTP_NOTLS },
		{ "smtps", RELAY_SMTPS },
		{ "lmtp", RELAY_LMTP },
	};
	const char	*p, *host, *end, *perr;
	size_t		 i, len;
	char		 port[8];
	long long	 n;

	memset(rh, 0, sizeof(*rh));
	rh->rh_proto = RELAY_SMTP;
	p = url;
	if ((end = strstr(p, "://")) != NULL) {
		len = end - p;
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (strlen(protos[i].name) == len &&
			    strncasecmp(protos[i].name, p, len) == 0)
				break;
		if (i == sizeof(protos) / sizeof(protos[0])) {
			*errstr = "unknown protocol";
			return -1;
		}
		rh->rh_proto = protos[i].proto;
		p = end + 3;
	}
	if ((end = strchr(p, '@')) != NULL) {
		if (end == p) {
			*errstr = "empty label";
			goto fail;
		}
		if (rh->rh_proto != RELAY_SMTP_TLS &&
		    rh->rh_proto != RELAY_SMTPS) {
			*errstr = "a label requires smtp+tls or smtps";
			goto fail;
		}
		if ((rh->rh_label = strndup(p, end - p)) == NULL)
			goto nomem;
		for (i = 0; rh->rh_label[i] != '\0'; i++)
			if (!isalnum((unsigned char)rh->rh_label[i]) &&
			    strchr("-_.", rh->rh_label[i]) == NULL) {
				*errstr = "invalid label";
				goto fail;
			}
		p = end + 1;
	}
	host = p;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end == p + 1) {
			*errstr = "invalid address literal";
			goto fail;
		}
		end++;
	} else {
		end = p + strcspn(p, ":");
		if (end == p) {
			*errstr = "missing host";
			goto fail;
		}
		for (i = 0; host + i < end; i++)
			if (!isalnum((unsigned char)host[i]) &&
			    strchr("-_.", host[i]) == NULL) {
				*errstr = "invalid host name";
				goto fail;
			}
	}
	if ((rh->rh_host = strndup(host, end - host)) == NULL)
		goto nomem;
	if (*end == ':') {
		len = strlen(end + 1);
		if (len == 0 || len >= sizeof(port)) {
			*errstr = "invalid port";
			goto fail;
		}
		memcpy(port, end + 1, len + 1);
		n = strtonum(port, 1, 65535, &perr);
		if (perr != NULL) {
			*errstr = "invalid port";
			goto fail;
		}
		rh->rh_port = (in_port_t)n;
	} else if (*end != '\0') {
		*errstr = "trailing characters after host";
		goto fail;
	}
	if (rh->rh_proto == RELAY_LMTP && rh->rh_port == 0) {
		*errstr = "lmtp requires a port";
		goto fail;
	}
	return 0;
nomem:
	*errstr = "out of memory";
fail:
	config_relay_host_clear(rh);
	return -1;
}

/* The server name: the first line of /etc/mailname, else the host name,
 * made canonical through getaddrinfo when it has no dot. */
char *
config_server_name(void)
{
	char		 buf[HOST_NAME_MAX + 2], *p;
	FILE		*fp;
	struct addrinfo	 hints, *res;

	if ((fp = fopen(CONF_MAILNAME_FILE, "r")) != NULL) {
		p = fgets(buf, sizeof(buf), fp);
		(void)fclose(fp);
		if (p != NULL) {
			buf[strcspn(buf, " \t\r\n")] = '\0';
			if (buf[0] != '\0')
				return strdup(buf);
		}
	}
	if (gethostname(buf, sizeof(buf)) == -1)
		return strdup("localhost");
	buf[sizeof(buf) - 1] = '\0';
	if (strchr(buf, '.') == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(buf, NULL, &hints, &res) == 0) {
			if (res->ai_canonname != NULL &&
			    strlen(res->ai_canonname) < sizeof(buf))
				(void)strlcpy(buf, res->ai_canonname,
				    sizeof(buf));
			freeaddrinfo(res);
		}
	}
	return strdup(buf);
}

/* "ip" or "ip@port" (IPv4 or IPv6 literal). */
int
config_resolver_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char		 buf[INET6_ADDRSTRLEN + 16], *at;
	const char	*errstr;
	struct addrinfo	 hints, *res;
	long long	 port = 53;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((at = strrchr(buf, '@')) != NULL) {
		*at++ = '\0';
		port = strtonum(at, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (buf[0] == '\0' || getaddrinfo(buf, NULL, &hints, &res) != 0)
		return -1;
	if (ss != NULL && res->ai_addrlen <= sizeof(*ss)) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port =
			    htons((in_port_t)port);
		else
			((struct sockaddr_in6 *)ss)->sin6_port =
			    htons((in_port_t)port);
		if (sslen != NULL)
			*sslen = res->ai_addrlen;
	}
	freeaddrinfo(res);
	return 0;
}

void
config_opts_init(struct config_opts *o)
{
	memset(o, 0, sizeof(*o));
	TAILQ_INIT(&o->co_macros);
}

/* "-D name=value": name of letters, digits and '_'; a later definition
 * of the same name replaces the earlier one. */
int
config_opts_define(struct config_opts *o, const char *nameval)
{
	struct config_macro	*cm;
	const char		*eq, *p;
	char			*name, *value;

	if ((eq = strchr(nameval, '=')) == NULL || eq == nameval ||
	    (size_t)(eq - nameval) > CONF_MAX_NAME ||
	    strlen(eq + 1) > CONF_MAX_TOKEN)
		return -1;
	for (p = nameval; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	if ((name = strndup(nameval, eq - nameval)) == NULL)
		return -1;
	if ((value = strdup(eq + 1)) == NULL) {
		free(name);
		return -1;
	}
	TAILQ_FOREACH(cm, &o->co_macros, cm_entry) {
		if (strcmp(cm->cm_name, name) == 0) {
			free(name);
			free(cm->cm_value);
			cm->cm_value = value;
			return 0;
		}
	}
	if ((cm = calloc(1, sizeof(*cm))) == NULL) {
		free(name);
		free(value);
		return -1;
	}
	cm->cm_name = name;
	cm->cm_value = value;
	TAILQ_INSERT_TAIL(&o->co_macros, cm, cm_entry);
	return 0;
}

void
config_opts_clear(struct config_opts *o)
{
	struct config_macro	*cm;

	while ((cm = TAILQ_FIRST(&o->co_macros)) != NULL) {
		TAILQ_REMOVE(&o->co_macros, cm, cm_entry);
		free(cm->cm_name);
		free(cm->cm_value);
		free(cm);
	}
}
