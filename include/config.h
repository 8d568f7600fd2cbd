/*
 * The configuration of one Postern instance, as parsed from smtpd.conf
 * (parse.y and parse_*.c), printed in normalised form (config_print.c)
 * and sent to each process in pieces (config_ipc_send.c, read back by
 * config_ipc_recv.c).
 *
 * A config is a tree of lists owned by struct smtpd_config.  Objects
 * refer to each other by pointer (a listener to its pki and tables, a
 * match to its action); every referenced object is declared earlier in
 * the same config, so the lists are in declaration order and a pointer
 * never dangles while the config lives.  config_free() releases it all.
 *
 * Tables written inline ({ a, b }, "string") are anonymous: they carry
 * T_ANON, are named "#N" and are never found by config_table_find().
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ipc.h"
#include "postern_limits.h"
#include "proc_id.h"
#include "smtp_data.h"

#define CONF_DEFAULT_QUEUE_PATH		"/var/spool/smtpd"
#define CONF_DEFAULT_CONTROL_PATH	"/var/run/smtpd.sock"
#define CONF_DEFAULT_PIDFILE		"/var/run/smtpd.pid"
#define CONF_MAILNAME_FILE		"/etc/mailname"

/* ------------------------------------------------------------------ */
/* Tables */

enum table_backend {
	TABLE_STATIC = 0,	/* inline, or "static:" / bare path */
	TABLE_FILE,		/* file:/path */
	TABLE_DB,		/* db:/path */
	TABLE_PROC,		/* any other backend word: table-<word> */
};

#define T_ANON		0x01	/* written inline at the point of use */
#define T_STRING	0x02	/* a single quoted string used as table */
#define T_LIST		0x04	/* inline list (values NULL) */
#define T_MAP		0x08	/* inline mapping */
#define T_FROMPATH	0x10	/* declared as a bare /path (static) */

struct table_entry {
	TAILQ_ENTRY(table_entry) te_entry;
	char			*te_key;
	char			*te_val;	/* NULL in a list */
};
TAILQ_HEAD(table_entries, table_entry);

struct table {
	TAILQ_ENTRY(table)	 t_entry;
	RB_ENTRY(table)		 t_node;	/* sc_table_index, named only */
	char			*t_name;
	enum table_backend	 t_backend;
	char			*t_backend_name; /* TABLE_PROC: the word */
	char			*t_config;	/* path or proc config; NULL inline */
	uint32_t		 t_flags;
	struct table_entries	 t_entries;	/* inline tables only */
	size_t			 t_nentries;
	int			 t_line;
};
TAILQ_HEAD(tables, table);
RB_HEAD(table_index, table);

/* ------------------------------------------------------------------ */
/* TLS material */

enum pki_dhe {
	PKI_DHE_NONE = 0,
	PKI_DHE_AUTO,
	PKI_DHE_LEGACY,
};

struct pki {
	TAILQ_ENTRY(pki)	 pki_entry;
	char			*pki_name;	/* lower-cased host name or "*" */
	char			*pki_cert_file;
	char			*pki_key_file;
	enum pki_dhe		 pki_dhe;
	/* Read by the parent at parse time (unless file checks are off).
	 * The key bytes go only to ca; smtp and mta get the cert. */
	char			*pki_cert;	/* PEM, NUL-terminated */
	size_t			 pki_cert_len;
	char			*pki_key;	/* PEM, wiped on free */
	size_t			 pki_key_len;
	int			 pki_line;
};
TAILQ_HEAD(pkis, pki);

struct ca {
	TAILQ_ENTRY(ca)		 ca_entry;
	char			*ca_name;
	char			*ca_cert_file;
	char			*ca_cert;	/* PEM bundle */
	size_t			 ca_cert_len;
	int			 ca_line;
};
TAILQ_HEAD(cas, ca);

/* ------------------------------------------------------------------ */
/* Filters and filter processes */

struct proc {
	TAILQ_ENTRY(proc)	 pr_entry;
	char			*pr_name;
	char			*pr_command;
	char			*pr_user;
	char			*pr_group;
	char			*pr_chroot;
	int			 pr_line;
};
TAILQ_HEAD(procs, proc);

enum filter_type {
	FILTER_PROC_EXEC = 0,	/* filter NAME proc-exec "cmd" [user..] */
	FILTER_PROC,		/* filter NAME proc PROCNAME */
	FILTER_CHAIN,		/* filter NAME chain { a, b } */
	FILTER_BUILTIN,		/* filter NAME phase P match ... DECISION */
};

enum filter_phase {
	FPHASE_CONNECT = 0,
	FPHASE_HELO,
	FPHASE_EHLO,
	FPHASE_AUTH,
	FPHASE_MAIL_FROM,
	FPHASE_RCPT_TO,
	FPHASE_DATA,
	FPHASE_COMMIT,
	FPHASE_COUNT
};

enum filter_cond_kind {
	FCOND_FCRDNS = 0,
	FCOND_RDNS,		/* table optional */
	FCOND_SRC,
	FCOND_HELO,
	FCOND_AUTH,		/* table optional */
	FCOND_MAIL_FROM,
	FCOND_RCPT_TO,
	FCOND_COUNT
};

enum filter_decision {
	FDEC_BYPASS = 0,
	FDEC_JUNK,
	FDEC_REJECT,
	FDEC_DISCONNECT,
	FDEC_REWRITE,
	FDEC_REPORT,
};

struct filter_cond {
	enum filter_cond_kind	 fc_kind;
	int			 fc_neg;
	int			 fc_regex;
	struct table		*fc_table;	/* may be NULL (fcrdns, rdns, auth) */
};

struct filter {
	TAILQ_ENTRY(filter)	 f_entry;
	char			*f_name;	/* "#N" for an anonymous chain */
	int			 f_anon;
	enum filter_type	 f_type;
	struct proc		*f_proc;	/* PROC, PROC_EXEC (own proc) */
	struct filter		**f_chain;	/* CHAIN */
	size_t			 f_nchain;
	enum filter_phase	 f_phase;	/* BUILTIN */
	struct filter_cond	*f_conds;
	size_t			 f_nconds;
	enum filter_decision	 f_decision;
	char			*f_decision_arg; /* reject/disconnect/... text */
	int			 f_line;
};
TAILQ_HEAD(filters, filter);

/* ------------------------------------------------------------------ */
/* Listeners */

#define L_SOCKET	0x0001	/* the local enqueuer socket */
#define L_TLS		0x0002	/* STARTTLS offered */
#define L_TLS_REQUIRE	0x0004
#define L_SMTPS		0x0008
#define L_TLS_VERIFY	0x0010	/* client certificate required */
#define L_AUTH		0x0020	/* AUTH offered */
#define L_AUTH_REQUIRE	0x0040	/* ... and required (plain "auth") */
#define L_MASK_SRC	0x0080
#define L_RECEIVED_AUTH	0x0100
#define L_NO_DSN	0x0200
#define L_PROXY_V2	0x0400
#define L_MASQUERADE	0x0800
#define L_LOCAL		0x1000	/* loopback address (or the socket) */
#define L_IMPLICIT	0x2000	/* socket listener nobody wrote */

struct listener {
	TAILQ_ENTRY(listener)	 l_entry;
	char			*l_name;	/* as written: "lo", "::1", "socket" */
	int			 l_family;	/* inet4/inet6 or AF_UNSPEC */
	struct sockaddr_storage	 l_ss;		/* AF_UNIX for the socket */
	in_port_t		 l_port;	/* host order; 0 for socket */
	uint32_t		 l_flags;
	char			*l_hostname;	/* NULL: sc_hostname */
	struct table		*l_hostnames;
	struct table		*l_auth;	/* NULL: system accounts */
	struct table		*l_senders;
	char			*l_tag;
	struct pki		**l_pki;
	size_t			 l_npki;
	struct ca		*l_ca;
	struct filter		*l_filter;
	char			*l_ciphers;
	char			*l_protocols;
	int			 l_line;
};
TAILQ_HEAD(listeners, listener);

/* ------------------------------------------------------------------ */
/* Actions (OpenSMTPD "dispatchers") */

enum action_type {
	ACTION_MBOX = 0,
	ACTION_MAILDIR,
	ACTION_LMTP,
	ACTION_MDA,
	ACTION_FORWARD_ONLY,
	ACTION_EXPAND_ONLY,
	ACTION_RELAY,
};

#define A_JUNK		0x0001	/* maildir junk */
#define A_RCPT_TO	0x0002	/* lmtp rcpt-to */
#define A_TLS		0x0004	/* relay tls */
#define A_NO_VERIFY	0x0008	/* relay tls no-verify */
#define A_SRS		0x0010
#define A_BACKUP	0x0020

enum relay_proto {
	RELAY_SMTP = 0,		/* opportunistic STARTTLS */
	RELAY_SMTP_TLS,		/* smtp+tls: mandatory STARTTLS */
	RELAY_SMTP_NOTLS,
	RELAY_SMTPS,
	RELAY_LMTP,
};

struct relay_host {
	enum relay_proto	 rh_proto;
	char			*rh_label;	/* NULL if none */
	char			*rh_host;	/* name, or "[addr]" literal */
	in_port_t		 rh_port;	/* 0: protocol default */
};

struct action {
	TAILQ_ENTRY(action)	 a_entry;
	RB_ENTRY(action)	 a_node;	/* sc_action_index */
	char			*a_name;
	enum action_type	 a_type;
	uint32_t		 a_flags;
	char			*a_arg;		/* maildir path, lmtp dest, mda cmd */

	/* local delivery options */
	struct table		*a_alias;
	struct table		*a_virtual;
	struct table		*a_userbase;
	char			*a_user;
	char			*a_wrapper;	/* name of an mda wrapper */
	time_t			 a_ttl;		/* 0: queue ttl */

	/* relay options */
	/* "host": a table of relay URLs (a string is a one-entry anonymous
	 * table).  When that table is anonymous with a single entry, the
	 * URL is also kept as a_host_url and parsed in a_host, so the
	 * common smarthost needs no lookup; otherwise both are unset. */
	struct table		*a_host_table;
	char			*a_host_url;
	struct relay_host	 a_host;	/* parsed a_host_url */
	char			*a_backup_mx;
	struct table		*a_domain;	/* per-domain relay URLs */
	char			*a_helo;
	struct table		*a_helo_src;
	struct table		*a_auth;
	struct table		*a_src;
	char			*a_mail_from;
	struct pki		*a_pki;
	struct ca		*a_ca;
	char			*a_ciphers;
	char			*a_protocols;
	struct filter		*a_filter;
	int			 a_line;
};
TAILQ_HEAD(actions, action);
RB_HEAD(action_index, action);

/* ------------------------------------------------------------------ */
/* Match rules */

enum match_from {
	FROM_LOCAL = 0,		/* default */
	FROM_ANY,
	FROM_SOCKET,
	FROM_SRC,
	FROM_AUTH,
	FROM_RDNS,
	FROM_MAIL_FROM,
};

enum match_for {
	FOR_LOCAL = 0,		/* default */
	FOR_ANY,
	FOR_DOMAIN,
	FOR_RCPT_TO,
};

/* One condition of a rule: present or not, negated, regex, table. */
struct match_cond {
	int			 mc_set;
	int			 mc_neg;
	int			 mc_regex;
	struct table		*mc_table;	/* NULL when not needed */
};

enum match_opt {
	MOPT_AUTH = 0,
	MOPT_MAIL_FROM,
	MOPT_RCPT_TO,
	MOPT_HELO,
	MOPT_TAG,
	MOPT_TLS,
	MOPT_COUNT
};

struct match {
	TAILQ_ENTRY(match)	 m_entry;
	enum match_from		 m_from;
	struct match_cond	 m_from_cond;	/* mc_set: written explicitly */
	enum match_for		 m_for;
	struct match_cond	 m_for_cond;
	struct match_cond	 m_opts[MOPT_COUNT];
	struct action		*m_action;	/* NULL: reject */
	int			 m_line;
};
TAILQ_HEAD(matches, match);

/* ------------------------------------------------------------------ */
/* Global settings */

struct mda_wrapper {
	TAILQ_ENTRY(mda_wrapper) w_entry;
	char			*w_name;
	char			*w_command;
};
TAILQ_HEAD(mda_wrappers, mda_wrapper);

/* One "mta limit [for domain D] [inet4|inet6] KEY N" setting, in order. */
struct mta_limit {
	TAILQ_ENTRY(mta_limit)	 ml_entry;
	char			*ml_domain;	/* NULL: default limits */
	int			 ml_family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	char			*ml_key;	/* NULL: only sets the family */
	int64_t			 ml_value;
};
TAILQ_HEAD(mta_limits, mta_limit);

enum queue_encryption {
	QUEUE_ENC_NONE = 0,
	QUEUE_ENC_KEY,		/* key given in the config */
	QUEUE_ENC_PROMPT,	/* no key: ask on the terminal at start */
	QUEUE_ENC_STDIN,	/* "stdin" or "-": read from stdin at start */
};

struct smtpd_config {
	/* Postern's own */
	char			*sc_queue_path;
	char			*sc_control_path;
	char			*sc_pidfile;
	char			*sc_resolver;	/* NULL: /etc/resolv.conf */

	/* computed at parse time, not printed */
	char			*sc_hostname;

	char			*sc_admd;

	/* queue */
	time_t			 sc_queue_ttl;
	time_t			 sc_queue_retry_delay;	/* first retry; doubles */
	int			 sc_queue_compression;
	enum queue_encryption	 sc_queue_encryption;
	char			*sc_queue_key;	/* QUEUE_ENC_KEY only */

	/* bounce */
	time_t			 sc_bounce_warn[BOUNCE_MAX_WARN];
	size_t			 sc_nbounce_warn;

	/* srs */
	char			*sc_srs_key;
	char			*sc_srs_key_backup;
	int			 sc_srs_ttl_days;

	/* smtp */
	size_t			 sc_max_message_size;
	size_t			 sc_max_rcpt;
	size_t			 sc_max_mails;
	char			*sc_smtp_ciphers;	/* NULL: default */
	char			 sc_subaddr_delim;
	/* Postern's own smtp settings (see smtpd.conf.5) */
	size_t			 sc_smtp_max_sessions;	/* "smtp limit max-sessions" */
	size_t			 sc_smtp_max_sessions_per_ip;
	size_t			 sc_smtp_max_failures;	/* failed commands in a row */
	time_t			 sc_smtp_timeout_command; /* "smtp timeout command" */
	time_t			 sc_smtp_timeout_data;	/* "smtp timeout data" */
	int			 sc_smtp_bare_lf;	/* SMTP_BARE_*, smtp_data.h */
	int			 sc_smtp_bare_cr;

	/* mta */
	size_t			 sc_mta_max_deferred;
	struct mta_limits	 sc_mta_limits;

	/* mda */
	size_t			 sc_mda_max_session;
	size_t			 sc_mda_max_session_per_user;
	size_t			 sc_mda_task_lowat;
	size_t			 sc_mda_task_hiwat;
	size_t			 sc_mda_task_release;
	struct mda_wrappers	 sc_mda_wrappers;

	/* scheduler */
	size_t			 sc_sched_max_inflight;
	size_t			 sc_sched_max_evp_batch_size;
	size_t			 sc_sched_max_msg_batch_size;
	size_t			 sc_sched_max_schedule;

	struct tables		 sc_tables;
	/* Named tables by name: a large config has thousands of tables and
	 * every reference looks one up. */
	struct table_index	 sc_table_index;
	struct pkis		 sc_pkis;
	struct cas		 sc_cas;
	struct procs		 sc_procs;
	struct filters		 sc_filters;
	struct listeners	 sc_listeners;	/* socket listener included */
	struct actions		 sc_actions;
	/* Actions by name: every match line looks its action up. */
	struct action_index	 sc_action_index;
	struct matches		 sc_matches;

	unsigned int		 sc_anon_next;	/* for "#N" names */
};

/* ------------------------------------------------------------------ */
/* Parsing */

struct config_macro {
	TAILQ_ENTRY(config_macro) cm_entry;
	char			*cm_name;
	char			*cm_value;
};
TAILQ_HEAD(config_macros, config_macro);

struct config_opts {
	struct config_macros	 co_macros;	/* from -D, override the file */
	int			 co_verbose;	/* warn about unused macros */
	int			 co_no_include;	/* refuse "include" (fuzzing) */
	int			 co_no_files;	/* no stat/read of pki, ca files */
	int			 co_no_resolve;	/* no getifaddrs/getaddrinfo for
						 * names: only literal addresses */
	FILE			*co_err;	/* errors go here; NULL: stderr */
};

void	config_opts_init(struct config_opts *);
int	config_opts_define(struct config_opts *, const char *nameval);
void	config_opts_clear(struct config_opts *);

/* Parse path (the name errors are reported under).  Returns NULL after
 * printing every error as "file:line: message". */
struct smtpd_config *config_parse(const char *path, struct config_opts *);

/* config.c */
struct smtpd_config *config_new(void);
void	config_free(struct smtpd_config *);
void	config_set_defaults(struct smtpd_config *);
struct table	*config_table_find(const struct smtpd_config *, const char *);
/* Make a named table findable; fails (-1) if the name is taken. */
int		 config_table_index(struct smtpd_config *, struct table *);
struct pki	*config_pki_find(const struct smtpd_config *, const char *);
struct ca	*config_ca_find(const struct smtpd_config *, const char *);
struct proc	*config_proc_find(const struct smtpd_config *, const char *);
struct filter	*config_filter_find(const struct smtpd_config *, const char *);
struct action	*config_action_find(const struct smtpd_config *, const char *);
/* The keyword of a match option, as written in smtpd.conf. */
const char	*config_mopt_name(enum match_opt);
/* Make an action findable; fails (-1) if the name is taken. */
int		 config_action_index(struct smtpd_config *, struct action *);
struct mda_wrapper *config_wrapper_find(const struct smtpd_config *,
	    const char *);
struct table	*config_table_new(struct smtpd_config *, const char *name);
int	config_table_add(struct table *, const char *key, const char *val);
void	config_table_free(struct table *);
void	config_listener_free(struct listener *);
void	config_action_free(struct action *);
void	config_filter_free(struct filter *);
void	config_proc_free(struct proc *);
void	config_pki_free(struct pki *);
void	config_ca_free(struct ca *);
void	config_match_free(struct match *);
/* The socket listener (always present after a successful parse). */
struct listener	*config_socket_listener(const struct smtpd_config *);
/* The listener at index idx of sc_listeners (the socket counts), or
 * NULL: the index smtp and lka use in their messages. */
struct listener	*config_listener_at(const struct smtpd_config *, uint32_t idx);
const char	*config_action_type_name(enum action_type);
const char	*config_filter_phase_name(enum filter_phase);
const char	*config_filter_cond_name(enum filter_cond_kind);
int	config_relay_url_parse(const char *, struct relay_host *,
	    const char **errstr);
void	config_relay_host_clear(struct relay_host *);
/* Delays ("4d") and sizes ("35M"): 0 or -1. */
int	config_parse_delay(const char *, time_t *);
int	config_parse_size(const char *, size_t *);
/* "ip" or "ip@port"; fills ss (port 53 by default) when not NULL. */
int	config_resolver_parse(const char *, struct sockaddr_storage *,
	    socklen_t *);
int	config_mta_limit_key_ok(const char *);	/* parse.y */
int	config_is_keyword(const char *);		/* parse.y */
/* Server name: /etc/mailname, else gethostname, else canonical name. */
char	*config_server_name(void);

/* config_print.c */
void	config_print(FILE *, const struct smtpd_config *);

/* ------------------------------------------------------------------ */
/* Distribution over IPC (config_ipc_send.c, config_ipc_recv.c) */

typedef void (*config_emit_fn)(void *arg, uint32_t imsg_type,
    const struct msg_out *);

/* Emit IMSG_CONF_START, the pieces role `to` needs, IMSG_CONF_END.
 * PROC_PARENT means everything (used by tests and for reload checks). */
void	config_serialize(const struct smtpd_config *, enum proc_id to,
	    config_emit_fn, void *arg);

struct config_builder {
	struct smtpd_config	*cb_conf;
	int			 cb_stage;	/* last stage received */
	int			 cb_done;
	uint32_t		 cb_counts[16];	/* objects per stage */
	struct table		*cb_table;	/* receiving entries for */
	uint32_t		 cb_entries_left;
	struct table		**cb_tablev;	/* index -> object */
	size_t			 cb_ntables;
	struct pki		**cb_pkiv;
	size_t			 cb_npkis;
	struct ca		**cb_cav;
	size_t			 cb_ncas;
	struct proc		**cb_procv;
	size_t			 cb_nprocs;
	struct filter		**cb_filterv;
	size_t			 cb_nfilters;
	struct action		**cb_actionv;
	size_t			 cb_nactions;
};

void	config_builder_init(struct config_builder *);
/* 0: more to come, 1: complete, -1: malformed or out of order. */
int	config_deserialize(struct config_builder *, const struct ipc_msg *);
struct smtpd_config *config_builder_take(struct config_builder *);
void	config_builder_clear(struct config_builder *);

#endif
