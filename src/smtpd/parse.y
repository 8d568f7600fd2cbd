/*
 * smtpd.conf parser: the OpenSMTPD 6.8 / 7.x grammar plus Postern's own
 * directives (queue path, control socket, pidfile, resolver).
 *
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`.
 * The file is trusted to the extent its owner is root, but is parsed as
 * if hostile: every token, line and file is bounded, every error is
 * reported as "file:line: message" and parsing goes on to report the
 * rest (up to CONF_MAX_ERRORS).  Nothing here exits or logs.
 *
 * Memory: every string the lexer makes is kept in a pool freed when
 * parsing ends, so error recovery never leaks; grammar actions copy what
 * they keep into the config.  Objects being built (listener options, an
 * action, a match, a filter) hang off the parser state and are freed by
 * parse_recover() when a syntax error abandons their line.
 */

%{
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "postern_limits.h"

struct pfile {
	char		*name;		/* as written */
	char		*buf;
	size_t		 len;
	size_t		 pos;
	int		 lineno;
	int		 eof_nl;	/* fake final newline returned */
	int		 start_nl;	/* ends the include line first */
	dev_t		 dev;
	ino_t		 ino;
	struct {
		struct macro	*m;
		const char	*val;	/* m's value when expanded */
		size_t		 pos;
	}		 frames[CONF_MAX_MACRO_DEPTH];
	int		 nframes;
};

/* A value lives in the string pool until parsing ends: a macro may be
 * redefined while an expansion of it is still being read. */
struct macro {
	TAILQ_ENTRY(macro) entry;
	char		*name;
	const char	*value;
	const char	*file;		/* NULL: from -D */
	int		 line;
	int		 used;
	int		 persist;
};
TAILQ_HEAD(macros, macro);

struct pool_str {
	struct pool_str	*next;
	char		 s[];
};

/* Options of the "listen on" being parsed. */
struct listen_opts {
	int		 socket;
	char		*target;
	int		 family;
	int		 family_set;
	int		 port;		/* 0: default */
	uint32_t	 flags;
	uint32_t	 seen;
	char		*hostname;
	struct table	*hostnames;
	struct table	*auth;
	struct table	*senders;
	char		*tag;
	struct pki	*pki[CONF_MAX_LISTENER_PKI];
	size_t		 npki;
	struct ca	*ca;
	struct filter	*filter;
	char		*ciphers;
	char		*protocols;
};

#define LO_FAMILY	0x0001
#define LO_PORT		0x0002
#define LO_TLS		0x0004
#define LO_AUTH		0x0008
#define LO_HOSTNAME	0x0010
#define LO_HOSTNAMES	0x0020
#define LO_TAG		0x0040
#define LO_SENDERS	0x0080
#define LO_MASK_SRC	0x0100
#define LO_RECV_AUTH	0x0200
#define LO_NO_DSN	0x0400
#define LO_PROXY	0x0800
#define LO_CA		0x1000
#define LO_FILTER	0x2000
#define LO_CIPHERS	0x4000
#define LO_PROTOCOLS	0x8000
#define LO_PKI		0x10000
#define LO_SOCKET_OK	(LO_FILTER | LO_MASK_SRC | LO_TAG | LO_NO_DSN)

static struct parser {
	struct smtpd_config	*conf;
	struct config_opts	*opts;
	FILE			*err;
	struct pfile		*files[CONF_MAX_INCLUDE_DEPTH + 1];
	int			 nfiles;
	struct pfile		*topfile;
	struct macros		 macros;
	size_t			 nmacros;
	struct pool_str		*pool;
	int			 errors;
	int			 gave_up;
	int			 lex_error;	/* last token was ERROR */
	int			 at_stmt_start;
	int			 stmt_line;
	int			 stmt_ntok;	/* tokens in statement so far */
	int			 stmt_first;	/* its first token */
	int			 last_tok;
	char			 stmt_word[48];
	int			 tok_line;
	const char		*tok_text;	/* for syntax error messages */

	struct listen_opts	 lo;
	struct action		*action;
	struct match		*match;
	struct filter		*filter;	/* named filter being built */
	struct filter		*chain;		/* chain receiving elements */
	struct proc		*proc;
	struct table		*table;		/* inline table being filled */
	struct pki		*pki;
	const char		*mta_domain;
	int			 table_kind;	/* 0 unknown, T_LIST, T_MAP */
} ps;

int		 yyparse(void);
static int	 yylex(void);
static void	 yyerror(const char *);
static void	 perr(const char *, ...) __attribute__((format(printf, 1, 2)));
static void	 perr_at(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static char	*pstrdup(const char *);
static char	*xstrdup(const char *);
static void	 parse_recover(void);
static void	 do_include(const char *);
static void	 macro_set(const char *, const char *);
static struct table *table_string(const char *);
static void	 table_inline_begin(const char *);
static struct table *table_inline_end(void);
static void	 table_value(const char *, const char *);
static void	 table_decl(const char *, const char *);
static struct table *table_ref(const char *);
static void	 pki_begin(const char *);
static void	 pki_cert(const char *);
static void	 pki_key(const char *);
static void	 pki_dhe(const char *);
static void	 ca_decl(const char *, const char *);
static void	 proc_begin(const char *, const char *, int);
static void	 proc_user(int, const char *);
static void	 proc_end(void);
static void	 filter_begin(const char *, enum filter_type);
static void	 filter_proc(const char *);
static void	 filter_end(void);
static void	 chain_begin(int anon);
static struct filter *chain_end(void);
static void	 chain_add(const char *);
static struct filter *filter_named(const char *);
static void	 fcond(int, enum filter_cond_kind, int, struct table *);
static void	 fdecision(enum filter_decision, const char *);
static void	 listen_begin(void);
static void	 listen_target(int, const char *);
static void	 listen_flag(uint32_t, uint32_t, const char *);
static void	 listen_tls(uint32_t);
static void	 listen_auth(uint32_t, struct table *);
static void	 listen_port_num(int64_t);
static void	 listen_port_name(const char *);
static void	 listen_family(int);
static void	 listen_str(uint32_t, char **, const char *, const char *);
static void	 listen_table(uint32_t, struct table **, struct table *,
		    const char *);
static void	 listen_pki(const char *);
static void	 listen_ca(const char *);
static void	 listen_filter(struct filter *);
static void	 listen_end(void);
static void	 action_begin(const char *);
static void	 action_method(enum action_type, const char *, uint32_t);
static void	 action_str(char **, const char *, const char *, int);
static void	 action_table(struct table **, struct table *, const char *,
		    int);
static void	 action_flag(uint32_t, const char *);
static void	 action_ttl(const char *);
static void	 action_host(struct table *);
static void	 action_backup(const char *);
static void	 action_domain(struct table *);
static void	 action_pki(const char *);
static void	 action_ca(const char *);
static void	 action_filter(struct filter *);
static void	 action_end(void);
static void	 match_begin(void);
static void	 match_from(int, enum match_from, int, struct table *);
static void	 match_for(int, enum match_for, int, struct table *);
static void	 match_opt(int, enum match_opt, int, struct table *);
static void	 match_end(const char *);
static void	 set_limit(const char *, const char *, int64_t);
static void	 mta_limit(int, const char *, int64_t);
static void	 set_size(const char *);
static void	 set_global_path(char **, const char *, const char *, int);
static void	 set_resolver(const char *);
static void	 set_queue_encryption(const char *);
static void	 set_delay(time_t *, const char *, const char *);
static void	 add_bounce_delay(const char *);
static void	 set_srs_key(char **, const char *);
static void	 set_srs_ttl(const char *);
static void	 set_subaddr_delim(const char *);
static void	 set_admd(const char *);
static void	 add_wrapper(const char *, const char *);

typedef struct {
	union {
		char			*string;
		struct table		*table;
		struct filter		*filter;
		int64_t			 number;
	} v;
	char		*text;		/* NUMBER: its digits */
	int		 lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

%}

%token	ACTION ADMD ALIAS ANY ARROW AUTH AUTH_OPTIONAL
%token	BACKUP BOUNCE BYPASS
%token	CA CERT CHAIN CHROOT CIPHERS COMMIT COMPRESSION CONNECT CONTROL
%token	DATA DHE DISCONNECT DOMAIN
%token	EHLO ENCRYPTION ERROR EXPAND_ONLY
%token	FCRDNS FILTER FOR FORWARD_ONLY FROM
%token	GROUP
%token	HELO HELO_SRC HOST HOSTNAME HOSTNAMES
%token	INCLUDE INET4 INET6
%token	JUNK
%token	KEY
%token	LIMIT LISTEN LMTP LOCAL
%token	MAIL_FROM MAILDIR MASK_SRC MASQUERADE MATCH MAX_DEFERRED
%token	MAX_MESSAGE_SIZE MBOX MDA MTA MX
%token	NO_DSN NO_VERIFY
%token	ON
%token	PATH PHASE PIDFILE PKI PORT PROC PROC_EXEC PROTOCOLS PROXY_V2
%token	QUEUE
%token	RCPT_TO RDNS RECEIVED_AUTH REGEX REJECT RELAY REPORT RESOLVER REWRITE
%token	SCHEDULER SENDERS SMTP SMTPS SOCKET SRC SRS SUB_ADDR_DELIM
%token	TABLE TAG TLS TLS_REQUIRE TTL
%token	USER USERBASE
%token	VERIFY VIRTUAL
%token	WARN_INTERVAL WRAPPER

%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.string>	str
%type	<v.table>	tables tablenew tableref
%type	<v.filter>	filterref
%type	<v.number>	negation regex

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar directive '\n'
		| grammar error '\n'		{ parse_recover(); yyerrok; }
		;

directive	: admd | bounce | ca | control | filter | listen | match
		| mda | mta | pidfile | pki | proc | queue | resolver
		| scheduler | smtp | srs | table | action
		;

str		: STRING			{ $$ = $1; }
		| NUMBER			{ $$ = $<text>1; }
		;

include		: INCLUDE STRING		{ do_include($2); }
		;

varset		: STRING '=' str		{ macro_set($1, $3); }
		;

optnl		: /* empty */
		| optnl '\n'
		;

sep		: ',' optnl
		| '\n' optnl
		;

optsep		: /* empty */
		| sep
		;

negation	: /* empty */			{ $$ = 0; }
		| '!'				{ $$ = 1; }
		;

regex		: /* empty */			{ $$ = 0; }
		| REGEX				{ $$ = 1; }
		;

/* ---------------------------------------------------------------- */
/* tables */

assign		: '=' | ARROW
		;

tableval	: str				{ table_value($1, NULL); }
		| str assign str		{ table_value($1, $3); }
		;

tableval_list	: tableval
		| tableval_list sep tableval
		;

tablebody	: '{' optnl tableval_list optsep '}'
		;

tablenew	: str				{ $$ = table_string($1); }
		| '{'				{ table_inline_begin(NULL); }
		  optnl tableval_list optsep '}' { $$ = table_inline_end(); }
		;

tableref	: '<' str '>'			{ $$ = table_ref($2); }
		;

tables		: tablenew			{ $$ = $1; }
		| tableref			{ $$ = $1; }
		;

table		: TABLE str str			{ table_decl($2, $3); }
		| TABLE str			{ table_inline_begin($2); }
		  tablebody			{ (void)table_inline_end(); }
		;

/* ---------------------------------------------------------------- */
/* globals */

admd		: ADMD str			{ set_admd($2); }
		;

bounce		: BOUNCE WARN_INTERVAL		{ ps.conf->sc_nbounce_warn = 0; }
		  bouncedelays
		;

bouncedelays	: str				{ add_bounce_delay($1); }
		| bouncedelays ',' str		{ add_bounce_delay($3); }
		;

control		: CONTROL SOCKET str		{
			set_global_path(&ps.conf->sc_control_path, $3,
			    "control socket", 1);
		}
		;

pidfile		: PIDFILE str			{
			set_global_path(&ps.conf->sc_pidfile, $2, "pidfile", 0);
		}
		;

resolver	: RESOLVER str			{ set_resolver($2); }
		;

queue		: QUEUE COMPRESSION		{
			ps.conf->sc_queue_compression = 1;
		}
		| QUEUE ENCRYPTION		{ set_queue_encryption(NULL); }
		| QUEUE ENCRYPTION str		{ set_queue_encryption($3); }
		| QUEUE TTL str			{
			set_delay(&ps.conf->sc_queue_ttl, $3, "ttl");
		}
		| QUEUE PATH str		{
			set_global_path(&ps.conf->sc_queue_path, $3,
			    "queue path", 0);
		}
		;

srs		: SRS KEY str			{ set_srs_key(&ps.conf->sc_srs_key, $3); }
		| SRS KEY BACKUP str		{
			set_srs_key(&ps.conf->sc_srs_key_backup, $4);
		}
		| SRS TTL str			{ set_srs_ttl($3); }
		;

smtp		: SMTP LIMIT smtp_limits
		| SMTP CIPHERS str		{
			free(ps.conf->sc_smtp_ciphers);
			ps.conf->sc_smtp_ciphers = xstrdup($3);
		}
		| SMTP MAX_MESSAGE_SIZE str	{ set_size($3); }
		| SMTP SUB_ADDR_DELIM str	{ set_subaddr_delim($3); }
		;

smtp_limits	: STRING NUMBER			{ set_limit("smtp", $1, $2); }
		| smtp_limits STRING NUMBER	{ set_limit("smtp", $2, $3); }
		;

mda		: MDA LIMIT mda_limits
		| MDA WRAPPER str str		{ add_wrapper($3, $4); }
		;

mda_limits	: STRING NUMBER			{ set_limit("mda", $1, $2); }
		| mda_limits STRING NUMBER	{ set_limit("mda", $2, $3); }
		;

scheduler	: SCHEDULER LIMIT sched_limits
		;

sched_limits	: STRING NUMBER			{ set_limit("scheduler", $1, $2); }
		| sched_limits STRING NUMBER	{ set_limit("scheduler", $2, $3); }
		;

mta		: MTA MAX_DEFERRED NUMBER	{
			if ($3 < 1 || $3 > CONF_MAX_NUMBER)
				perr("invalid max-deferred: %lld",
				    (long long)$3);
			else
				ps.conf->sc_mta_max_deferred = (size_t)$3;
		}
		| MTA LIMIT FOR DOMAIN str	{ ps.mta_domain = $5; }
		  mta_limits			{ ps.mta_domain = NULL; }
		| MTA LIMIT			{ ps.mta_domain = NULL; }
		  mta_limits
		;

mta_limits	: mta_limitel
		| mta_limits mta_limitel
		;

mta_limitel	: INET4				{ mta_limit(AF_INET, NULL, 0); }
		| INET6				{ mta_limit(AF_INET6, NULL, 0); }
		| STRING NUMBER			{ mta_limit(AF_UNSPEC, $1, $2); }
		;

/* ---------------------------------------------------------------- */
/* pki, ca */

pki		: PKI str			{ pki_begin($2); } pki_params
		;

pki_params	: pki_param
		| pki_params pki_param
		;

pki_param	: CERT str			{ pki_cert($2); }
		| KEY str			{ pki_key($2); }
		| DHE str			{ pki_dhe($2); }
		;

ca		: CA str CERT str		{ ca_decl($2, $4); }
		;

/* ---------------------------------------------------------------- */
/* proc, filter */

proc		: PROC str str			{ proc_begin($2, $3, 0); }
		  proc_params			{ proc_end(); }
		;

proc_params	: /* empty */
		| proc_params proc_param
		;

proc_param	: USER str			{ proc_user(0, $2); }
		| GROUP str			{ proc_user(1, $2); }
		| CHROOT str			{ proc_user(2, $2); }
		;

filter		: FILTER str PROC str		{
			filter_begin($2, FILTER_PROC);
			filter_proc($4);
			filter_end();
		}
		| FILTER str PROC_EXEC str	{
			filter_begin($2, FILTER_PROC_EXEC);
			proc_begin($2, $4, 1);
		} proc_params			{ proc_end(); filter_end(); }
		| FILTER str CHAIN		{
			filter_begin($2, FILTER_CHAIN);
			chain_begin(0);
		} '{' optnl filter_list optsep '}' {
			(void)chain_end();
			filter_end();
		}
		| FILTER str PHASE		{
			filter_begin($2, FILTER_BUILTIN);
		} filter_phase MATCH fconds fdecision { filter_end(); }
		;

filter_list	: filterel
		| filter_list sep filterel
		;

filterel	: str				{ chain_add($1); }
		;

filterref	: str				{ $$ = filter_named($1); }
		| '{'				{ chain_begin(1); }
		  optnl filter_list optsep '}'	{ $$ = chain_end(); }
		;

filter_phase	: CONNECT	{ if (ps.filter) ps.filter->f_phase = FPHASE_CONNECT; }
		| HELO		{ if (ps.filter) ps.filter->f_phase = FPHASE_HELO; }
		| EHLO		{ if (ps.filter) ps.filter->f_phase = FPHASE_EHLO; }
		| AUTH		{ if (ps.filter) ps.filter->f_phase = FPHASE_AUTH; }
		| MAIL_FROM	{ if (ps.filter) ps.filter->f_phase = FPHASE_MAIL_FROM; }
		| RCPT_TO	{ if (ps.filter) ps.filter->f_phase = FPHASE_RCPT_TO; }
		| DATA		{ if (ps.filter) ps.filter->f_phase = FPHASE_DATA; }
		| COMMIT	{ if (ps.filter) ps.filter->f_phase = FPHASE_COMMIT; }
		;

fconds		: fcond
		| fconds fcond
		;

fcond		: negation FCRDNS		{ fcond($1, FCOND_FCRDNS, 0, NULL); }
		| negation RDNS			{ fcond($1, FCOND_RDNS, 0, NULL); }
		| negation RDNS regex tables	{ fcond($1, FCOND_RDNS, $3, $4); }
		| negation SRC regex tables	{ fcond($1, FCOND_SRC, $3, $4); }
		| negation HELO regex tables	{ fcond($1, FCOND_HELO, $3, $4); }
		| negation AUTH			{ fcond($1, FCOND_AUTH, 0, NULL); }
		| negation AUTH regex tables	{ fcond($1, FCOND_AUTH, $3, $4); }
		| negation MAIL_FROM regex tables {
			fcond($1, FCOND_MAIL_FROM, $3, $4);
		}
		| negation RCPT_TO regex tables	{ fcond($1, FCOND_RCPT_TO, $3, $4); }
		;

fdecision	: BYPASS			{ fdecision(FDEC_BYPASS, NULL); }
		| JUNK				{ fdecision(FDEC_JUNK, NULL); }
		| REJECT str			{ fdecision(FDEC_REJECT, $2); }
		| DISCONNECT str		{ fdecision(FDEC_DISCONNECT, $2); }
		| REWRITE str			{ fdecision(FDEC_REWRITE, $2); }
		| REPORT str			{ fdecision(FDEC_REPORT, $2); }
		;

/* ---------------------------------------------------------------- */
/* listen */

listen		: LISTEN ON			{ listen_begin(); }
		  listen_tgt listen_opts	{ listen_end(); }
		;

listen_tgt	: SOCKET			{ listen_target(1, NULL); }
		| str				{ listen_target(0, $1); }
		;

listen_opts	: /* empty */
		| listen_opts listen_opt
		;

listen_opt	: INET4				{ listen_family(AF_INET); }
		| INET6				{ listen_family(AF_INET6); }
		| PORT NUMBER			{ listen_port_num($2); }
		| PORT STRING			{ listen_port_name($2); }
		| PORT SMTP			{ listen_port_name("smtp"); }
		| PORT SMTPS			{ listen_port_name("smtps"); }
		| TLS				{ listen_tls(L_TLS); }
		| TLS_REQUIRE			{ listen_tls(L_TLS | L_TLS_REQUIRE); }
		| TLS_REQUIRE VERIFY		{
			listen_tls(L_TLS | L_TLS_REQUIRE | L_TLS_VERIFY);
		}
		| SMTPS				{ listen_tls(L_SMTPS); }
		| SMTPS VERIFY			{ listen_tls(L_SMTPS | L_TLS_VERIFY); }
		| AUTH				{ listen_auth(L_AUTH_REQUIRE, NULL); }
		| AUTH tables			{ listen_auth(L_AUTH_REQUIRE, $2); }
		| AUTH_OPTIONAL			{ listen_auth(0, NULL); }
		| AUTH_OPTIONAL tables		{ listen_auth(0, $2); }
		| HOSTNAME str			{
			listen_str(LO_HOSTNAME, &ps.lo.hostname, $2, "hostname");
		}
		| HOSTNAMES tables		{
			listen_table(LO_HOSTNAMES, &ps.lo.hostnames, $2,
			    "hostnames");
		}
		| TAG str			{
			listen_str(LO_TAG, &ps.lo.tag, $2, "tag");
		}
		| SENDERS tables		{
			listen_table(LO_SENDERS, &ps.lo.senders, $2, "senders");
		}
		| SENDERS tables MASQUERADE	{
			listen_table(LO_SENDERS, &ps.lo.senders, $2, "senders");
			ps.lo.flags |= L_MASQUERADE;
		}
		| MASK_SRC			{
			listen_flag(LO_MASK_SRC, L_MASK_SRC, "mask-src");
		}
		| RECEIVED_AUTH			{
			listen_flag(LO_RECV_AUTH, L_RECEIVED_AUTH,
			    "received-auth");
		}
		| NO_DSN			{
			listen_flag(LO_NO_DSN, L_NO_DSN, "no-dsn");
		}
		| PROXY_V2			{
			listen_flag(LO_PROXY, L_PROXY_V2, "proxy-v2");
		}
		| PKI str			{ listen_pki($2); }
		| CA str			{ listen_ca($2); }
		| FILTER filterref		{ listen_filter($2); }
		| CIPHERS str			{
			listen_str(LO_CIPHERS, &ps.lo.ciphers, $2, "ciphers");
		}
		| PROTOCOLS str			{
			listen_str(LO_PROTOCOLS, &ps.lo.protocols, $2,
			    "protocols");
		}
		;

/* ---------------------------------------------------------------- */
/* action */

action		: ACTION str			{ action_begin($2); }
		  action_method action_opts	{ action_end(); }
		;

action_method	: MBOX			{ action_method(ACTION_MBOX, NULL, 0); }
		| MAILDIR		{ action_method(ACTION_MAILDIR, NULL, 0); }
		| MAILDIR JUNK		{
			action_method(ACTION_MAILDIR, NULL, A_JUNK);
		}
		| MAILDIR str		{ action_method(ACTION_MAILDIR, $2, 0); }
		| MAILDIR str JUNK	{
			action_method(ACTION_MAILDIR, $2, A_JUNK);
		}
		| LMTP str		{ action_method(ACTION_LMTP, $2, 0); }
		| LMTP str RCPT_TO	{
			action_method(ACTION_LMTP, $2, A_RCPT_TO);
		}
		| MDA str		{ action_method(ACTION_MDA, $2, 0); }
		| FORWARD_ONLY		{
			action_method(ACTION_FORWARD_ONLY, NULL, 0);
		}
		| EXPAND_ONLY		{
			action_method(ACTION_EXPAND_ONLY, NULL, 0);
		}
		| RELAY			{ action_method(ACTION_RELAY, NULL, 0); }
		;

action_opts	: /* empty */
		| action_opts action_opt
		;

action_opt	: USER str		{
			action_str(&ps.action->a_user, $2, "user", 0);
		}
		| ALIAS tables		{
			action_table(&ps.action->a_alias, $2, "alias", 0);
		}
		| VIRTUAL tables	{
			action_table(&ps.action->a_virtual, $2, "virtual", 0);
		}
		| USERBASE tables	{
			action_table(&ps.action->a_userbase, $2, "userbase", 0);
		}
		| WRAPPER str		{
			action_str(&ps.action->a_wrapper, $2, "wrapper", 0);
		}
		| TTL str		{ action_ttl($2); }
		| HELO str		{
			action_str(&ps.action->a_helo, $2, "helo", 1);
		}
		| HELO_SRC tables	{
			action_table(&ps.action->a_helo_src, $2, "helo-src", 1);
		}
		| PKI str		{ action_pki($2); }
		| CA str		{ action_ca($2); }
		| CIPHERS str		{
			action_str(&ps.action->a_ciphers, $2, "ciphers", 1);
		}
		| PROTOCOLS str		{
			action_str(&ps.action->a_protocols, $2, "protocols", 1);
		}
		| SRC tables		{
			action_table(&ps.action->a_src, $2, "src", 1);
		}
		| MAIL_FROM str		{
			action_str(&ps.action->a_mail_from, $2, "mail-from", 1);
		}
		| BACKUP		{ action_backup(NULL); }
		| BACKUP MX str		{ action_backup($3); }
		| HOST tables		{ action_host($2); }
		| DOMAIN tables		{ action_domain($2); }
		| TLS			{ action_flag(A_TLS, "tls"); }
		| TLS NO_VERIFY		{
			action_flag(A_TLS | A_NO_VERIFY, "tls");
		}
		| AUTH tables		{
			action_table(&ps.action->a_auth, $2, "auth", 1);
		}
		| FILTER filterref	{ action_filter($2); }
		| SRS			{ action_flag(A_SRS, "srs"); }
		;

/* ---------------------------------------------------------------- */
/* match */

match		: MATCH				{ match_begin(); }
		  match_opts match_decision
		;

match_decision	: REJECT			{ match_end(NULL); }
		| ACTION str			{ match_end($2); }
		;

match_opts	: /* empty */
		| match_opts match_opt
		;

match_opt	: negation FROM ANY	{ match_from($1, FROM_ANY, 0, NULL); }
		| negation FROM LOCAL	{ match_from($1, FROM_LOCAL, 0, NULL); }
		| negation FROM SOCKET	{ match_from($1, FROM_SOCKET, 0, NULL); }
		| negation FROM SRC regex tables {
			match_from($1, FROM_SRC, $4, $5);
		}
		| negation FROM AUTH	{ match_from($1, FROM_AUTH, 0, NULL); }
		| negation FROM AUTH regex tables {
			match_from($1, FROM_AUTH, $4, $5);
		}
		| negation FROM RDNS	{ match_from($1, FROM_RDNS, 0, NULL); }
		| negation FROM RDNS regex tables {
			match_from($1, FROM_RDNS, $4, $5);
		}
		| negation FROM MAIL_FROM regex tables {
			match_from($1, FROM_MAIL_FROM, $4, $5);
		}
		| negation FOR ANY	{ match_for($1, FOR_ANY, 0, NULL); }
		| negation FOR LOCAL	{ match_for($1, FOR_LOCAL, 0, NULL); }
		| negation FOR DOMAIN regex tables {
			match_for($1, FOR_DOMAIN, $4, $5);
		}
		| negation FOR RCPT_TO regex tables {
			match_for($1, FOR_RCPT_TO, $4, $5);
		}
		| negation AUTH		{ match_opt($1, MOPT_AUTH, 0, NULL); }
		| negation AUTH regex tables {
			match_opt($1, MOPT_AUTH, $3, $4);
		}
		| negation MAIL_FROM regex tables {
			match_opt($1, MOPT_MAIL_FROM, $3, $4);
		}
		| negation RCPT_TO regex tables {
			match_opt($1, MOPT_RCPT_TO, $3, $4);
		}
		| negation HELO regex tables {
			match_opt($1, MOPT_HELO, $3, $4);
		}
		| negation TAG regex tables {
			match_opt($1, MOPT_TAG, $3, $4);
		}
		| negation TLS		{ match_opt($1, MOPT_TLS, 0, NULL); }
		;

%%

/* ------------------------------------------------------------------ */
/* Keywords */

struct keyword {
	const char	*k_name;
	int		 k_val;
};

static const struct keyword keywords[] = {
	/* KEYWORDS BEGIN */
	{ "action",		ACTION },
	{ "admd",		ADMD },
	{ "alias",		ALIAS },
	{ "any",		ANY },
	{ "auth",		AUTH },
	{ "auth-optional",	AUTH_OPTIONAL },
	{ "backup",		BACKUP },
	{ "bounce",		BOUNCE },
	{ "bypass",		BYPASS },
	{ "ca",		CA },
	{ "cert",		CERT },
	{ "chain",		CHAIN },
	{ "chroot",		CHROOT },
	{ "ciphers",		CIPHERS },
	{ "commit",		COMMIT },
	{ "compression",	COMPRESSION },
	{ "connect",		CONNECT },
	{ "control",		CONTROL },
	{ "data",		DATA },
	{ "dhe",		DHE },
	{ "disconnect",	DISCONNECT },
	{ "domain",		DOMAIN },
	{ "ehlo",		EHLO },
	{ "encryption",	ENCRYPTION },
	{ "expand-only",	EXPAND_ONLY },
	{ "fcrdns",		FCRDNS },
	{ "filter",		FILTER },
	{ "for",		FOR },
	{ "forward-only",	FORWARD_ONLY },
	{ "from",		FROM },
	{ "group",		GROUP },
	{ "helo",		HELO },
	{ "helo-src",		HELO_SRC },
	{ "host",		HOST },
	{ "hostname",		HOSTNAME },
	{ "hostnames",		HOSTNAMES },
	{ "include",		INCLUDE },
	{ "inet4",		INET4 },
	{ "inet6",		INET6 },
	{ "junk",		JUNK },
	{ "key",		KEY },
	{ "limit",		LIMIT },
	{ "listen",		LISTEN },
	{ "lmtp",		LMTP },
	{ "local",		LOCAL },
	{ "mail-from",		MAIL_FROM },
	{ "maildir",		MAILDIR },
	{ "mask-src",		MASK_SRC },
	{ "masquerade",	MASQUERADE },
	{ "match",		MATCH },
	{ "max-deferred",	MAX_DEFERRED },
	{ "max-message-size",	MAX_MESSAGE_SIZE },
	{ "mbox",		MBOX },
	{ "mda",		MDA },
	{ "mta",		MTA },
	{ "mx",		MX },
	{ "no-dsn",		NO_DSN },
	{ "no-verify",		NO_VERIFY },
	{ "on",		ON },
	{ "path",		PATH },
	{ "phase",		PHASE },
	{ "pidfile",		PIDFILE },
	{ "pki",		PKI },
	{ "port",		PORT },
	{ "proc",		PROC },
	{ "proc-exec",		PROC_EXEC },
	{ "protocols",		PROTOCOLS },
	{ "proxy-v2",		PROXY_V2 },
	{ "queue",		QUEUE },
	{ "rcpt-to",		RCPT_TO },
	{ "rdns",		RDNS },
	{ "received-auth",	RECEIVED_AUTH },
	{ "regex",		REGEX },
	{ "reject",		REJECT },
	{ "relay",		RELAY },
	{ "report",		REPORT },
	{ "resolver",		RESOLVER },
	{ "rewrite",		REWRITE },
	{ "scheduler",		SCHEDULER },
	{ "senders",		SENDERS },
	{ "smtp",		SMTP },
	{ "smtps",		SMTPS },
	{ "socket",		SOCKET },
	{ "src",		SRC },
	{ "srs",		SRS },
	{ "sub-addr-delim",	SUB_ADDR_DELIM },
	{ "table",		TABLE },
	{ "tag",		TAG },
	{ "tls",		TLS },
	{ "tls-require",	TLS_REQUIRE },
	{ "ttl",		TTL },
	{ "user",		USER },
	{ "userbase",		USERBASE },
	{ "verify",		VERIFY },
	{ "virtual",		VIRTUAL },
	{ "warn-interval",	WARN_INTERVAL },
	{ "wrapper",		WRAPPER },
	/* KEYWORDS END */
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->k_name);
}

static int
lookup(const char *s)
{
	const struct keyword	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->k_val : STRING;
}

int
config_is_keyword(const char *s)
{
	return lookup(s) != STRING;
}


/* ------------------------------------------------------------------ */
/* Errors */

static struct pfile *
cur(void)
{
	return ps.nfiles > 0 ? ps.files[ps.nfiles - 1] : NULL;
}

static const char *
cur_name(void)
{
	if (ps.nfiles > 0)
		return ps.files[ps.nfiles - 1]->name;
	return ps.topfile != NULL ? ps.topfile->name : "?";
}

static void
vperr_file(const char *file, int line, const char *fmt, va_list ap)
{
	if (ps.gave_up)
		return;
	ps.errors++;
	fprintf(ps.err, "%s:%d: ", file, line);
	vfprintf(ps.err, fmt, ap);
	fputc('\n', ps.err);
	if (ps.errors >= CONF_MAX_ERRORS) {
		fprintf(ps.err, "%s: too many errors, giving up\n", file);
		ps.gave_up = 1;
	}
}

static void
perr_file(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
perr_file(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(file, line, fmt, ap);
	va_end(ap);
}

/* An error at the current token. */
static void
perr(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(cur_name(), ps.tok_line, fmt, ap);
	va_end(ap);
}

/* An error at a given line of the current file. */
static void
perr_at(int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vperr_file(cur_name(), line, fmt, ap);
	va_end(ap);
}

static char	tok_text[48];

static void
yyerror(const char *msg)
{
	if (ps.lex_error)
		return;		/* the lexer said what was wrong */
	/* a statement is a keyword or a macro definition: a word that is
	 * neither, followed by anything but '=', is an unknown keyword */
	if (ps.stmt_first == STRING && (ps.stmt_ntok == 1 ||
	    (ps.stmt_ntok == 2 && ps.last_tok != '='))) {
		perr_at(ps.stmt_line, "unknown keyword: %s", ps.stmt_word);
		return;
	}
	if (tok_text[0] == '\0')
		perr("%s at end of line", msg);
	else
		perr("%s near \"%s\"", msg, tok_text);
}

static void
nomem(void)
{
	perr("out of memory");
}

/* A string that lives until parsing ends. */
static char *
pstrdup(const char *s)
{
	struct pool_str	*p;
	size_t		 len;

	len = strlen(s);
	if ((p = malloc(sizeof(*p) + len + 1)) == NULL) {
		nomem();
		return (char *)"";	/* never written to */
	}
	memcpy(p->s, s, len + 1);
	p->next = ps.pool;
	ps.pool = p;
	return p->s;
}

/* A string owned by the config. */
static char *
xstrdup(const char *s)
{
	char	*r;

	if (s == NULL)
		return NULL;
	if ((r = strdup(s)) == NULL)
		nomem();
	return r;
}

/* ------------------------------------------------------------------ */
/* Files */

/* A file-level error: at the include line for an included file, else
 * just "path: message" for the file named on the command line. */
static void
file_err(const char *path, int include, const char *msg)
{
	if (include)
		perr("%s: %s", path, msg);
	else if (!ps.gave_up) {
		fprintf(ps.err, "%s: %s\n", path, msg);
		ps.errors++;
	}
}

static int
load_file(struct pfile *f, int fd, int include)
{
	struct stat	 st;
	size_t		 off, linestart;
	ssize_t		 n;
	int		 line, bad = 0;

	if (fstat(fd, &st) == -1) {
		file_err(f->name, include, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		file_err(f->name, include, "not a regular file");
		return -1;
	}
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		file_err(f->name, include, "file too large");
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if ((f->buf = malloc((size_t)st.st_size + 1)) == NULL) {
		nomem();
		return -1;
	}
	off = 0;
	while (off < (size_t)st.st_size) {
		n = read(fd, f->buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			file_err(f->name, include, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	f->len = off;
	f->buf[off] = '\0';

	/* Refuse the whole file on NUL bytes or overlong lines: the
	 * lexer then never sees them. */
	line = 1;
	linestart = 0;
	for (off = 0; off <= f->len; off++) {
		if (off < f->len && f->buf[off] == '\0') {
			perr_file(f->name, line, "NUL byte in configuration");
			bad = 1;
			/* one report per line is enough */
			while (off < f->len && f->buf[off] != '\n')
				off++;
		}
		if (off == f->len || f->buf[off] == '\n') {
			if (off - linestart > CONF_MAX_LINE) {
				perr_file(f->name, line,
				    "line too long (more than %d bytes)",
				    CONF_MAX_LINE);
				bad = 1;
			}
			line++;
			linestart = off + 1;
		}
	}
	return bad ? -1 : 0;
}

static void
pfile_free(struct pfile *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

/* Open path and make it the current input.  An include reports its
 * failures at the include line of the current file. */
static int
pushfile(const char *path, int include)
{
	struct pfile	*f;
	struct stat	 st;
	int		 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (include)
			perr("failed to include file %s: %s", path,
			    strerror(errno));
		else
			file_err(path, 0, strerror(errno));
		return -1;
	}
	if (include && fstat(fd, &st) == 0) {
		for (i = 0; i < ps.nfiles; i++) {
			if (ps.files[i]->dev == st.st_dev &&
			    ps.files[i]->ino == st.st_ino) {
				perr("include recursion: %s is already being "
				    "read", path);
				close(fd);
				return -1;
			}
		}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		nomem();
		close(fd);
		return -1;
	}
	f->name = pstrdup(path);
	f->lineno = 1;
	if (load_file(f, fd, include) == -1) {
		close(fd);
		pfile_free(f);
		return -1;
	}
	close(fd);
	/* yacc may have reduced the include before reading the newline
	 * that ends it: give it one, an extra one is a blank line */
	f->start_nl = include;
	ps.files[ps.nfiles++] = f;
	if (ps.topfile == NULL)
		ps.topfile = f;
	return 0;
}

static void
do_include(const char *path)
{
	if (ps.opts->co_no_include) {
		perr("include is not allowed here");
		return;
	}
	if (ps.nfiles > CONF_MAX_INCLUDE_DEPTH) {
		perr("includes nested too deeply (at most %d)",
		    CONF_MAX_INCLUDE_DEPTH);
		return;
	}
	(void)pushfile(path, 1);
}

/* ------------------------------------------------------------------ */
/* Macros */

static int
macro_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > CONF_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static struct macro *
macro_get(const char *name)
{
	struct macro	*m;

	TAILQ_FOREACH(m, &ps.macros, entry)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static struct macro *
macro_add(const char *name, const char *value, int persist)
{
	struct macro	*m;

	if (ps.nmacros >= CONF_MAX_MACROS) {
		perr("too many macros (at most %d)", CONF_MAX_MACROS);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(name)) == NULL) {
		free(m);
		nomem();
		return NULL;
	}
	m->value = pstrdup(value);
	m->persist = persist;
	TAILQ_INSERT_TAIL(&ps.macros, m, entry);
	ps.nmacros++;
	return m;
}

static void
macro_set(const char *name, const char *value)
{
	struct macro	*m;

	if (!macro_name_ok(name)) {
		perr("invalid macro name: %s", name);
		return;
	}
	if ((m = macro_get(name)) != NULL) {
		if (m->persist)
			return;		/* -D wins */
		m->value = pstrdup(value);
	} else if ((m = macro_add(name, value, 0)) == NULL)
		return;
	m->file = cur_name();
	m->line = ps.tok_line;
	m->used = 0;
}

static void
macros_free(void)
{
	struct macro	*m;

	while ((m = TAILQ_FIRST(&ps.macros)) != NULL) {
		TAILQ_REMOVE(&ps.macros, m, entry);
		free(m->name);
		free(m);
	}
	ps.nmacros = 0;
}

/* ------------------------------------------------------------------ */
/* Lexer */

#define LEOF	(-1)

/* The next character without consuming it: from the innermost macro
 * being expanded, else from the file, where backslash-newline pairs
 * are line continuations and vanish. */
static int
lpeek(void)
{
	struct pfile	*f;
	int		 i;

	if ((f = cur()) == NULL)
		return LEOF;
	for (i = f->nframes - 1; i >= 0; i--) {
		if (f->frames[i].val[f->frames[i].pos] != '\0')
			return (unsigned char)
			    f->frames[i].val[f->frames[i].pos];
	}
	while (f->pos + 1 < f->len && f->buf[f->pos] == '\\' &&
	    f->buf[f->pos + 1] == '\n') {
		f->pos += 2;
		f->lineno++;
	}
	if (f->pos >= f->len)
		return LEOF;
	return (unsigned char)f->buf[f->pos];
}

static int
lgetc(void)
{
	struct pfile	*f;
	int		 c, i;

	if ((c = lpeek()) == LEOF)
		return LEOF;
	f = cur();
	for (i = f->nframes - 1; i >= 0; i--) {
		if (f->frames[i].val[f->frames[i].pos] != '\0') {
			f->frames[i].pos++;
			return c;
		}
	}
	f->pos++;
	if (c == '\n')
		f->lineno++;
	return c;
}

/* Skip the rest of the line (not its newline) after a lexical error. */
static int
findeol(void)
{
	int	c;

	while ((c = lpeek()) != LEOF && c != '\n')
		(void)lgetc();
	ps.lex_error = 1;
	tok_text[0] = '\0';
	return ERROR;
}

static int
in_word(int c)
{
	if (c == LEOF || c > 0x7f)
		return 0;
	if (isalnum(c))
		return 1;
	return ispunct(c) && strchr("(){}<>!=#,\"'", c) == NULL;
}

static int
is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
expand_macro(struct pfile *f)
{
	char		 name[CONF_MAX_NAME + 1];
	struct macro	*m;
	size_t		 n = 0;
	int		 c, i;

	(void)lgetc();			/* '$' */
	while ((c = lpeek()) != LEOF && (isalnum(c) || c == '_')) {
		if (n >= CONF_MAX_NAME) {
			perr("macro name too long");
			return findeol();
		}
		name[n++] = (char)lgetc();
	}
	name[n] = '\0';
	if (n == 0) {
		perr("'$' must be followed by a macro name");
		return findeol();
	}
	if ((m = macro_get(name)) == NULL) {
		perr("macro '%s' not defined", name);
		return findeol();
	}
	for (i = 0; i < f->nframes; i++) {
		if (f->frames[i].m == m) {
			perr("macro '%s' expands to itself", name);
			return findeol();
		}
	}
	if (f->nframes >= CONF_MAX_MACRO_DEPTH) {
		perr("macros nested too deeply (at most %d)",
		    CONF_MAX_MACRO_DEPTH);
		return findeol();
	}
	m->used = 1;
	f->frames[f->nframes].m = m;
	f->frames[f->nframes].val = m->value;
	f->frames[f->nframes].pos = 0;
	f->nframes++;
	return 0;
}

static int
lex_quoted(char *buf)
{
	size_t	n = 0;
	int	c, q, next;

	q = lgetc();
	for (;;) {
		c = lpeek();
		if (c == LEOF || c == '\n') {
			perr("unterminated quoted string");
			return findeol();
		}
		(void)lgetc();
		if (c == q)
			break;
		if (c == '\\') {
			next = lpeek();
			if (next == q || next == '\\')
				c = lgetc();
		}
		if (n >= CONF_MAX_TOKEN) {
			perr("string too long (more than %d bytes)",
			    CONF_MAX_TOKEN);
			return findeol();
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	(void)strlcpy(tok_text, buf, sizeof(tok_text));
	yylval.v.string = pstrdup(buf);
	return STRING;
}

static int
lex_word(char *buf, size_t n)
{
	const char	*errstr;
	int		 c, tok;

	while (in_word(c = lpeek())) {
		if (n >= CONF_MAX_TOKEN) {
			perr("string too long (more than %d bytes)",
			    CONF_MAX_TOKEN);
			return findeol();
		}
		buf[n++] = (char)lgetc();
	}
	buf[n] = '\0';
	(void)strlcpy(tok_text, buf, sizeof(tok_text));
	if (is_number(buf)) {
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			perr("\"%s\" invalid number: %s", buf, errstr);
			return findeol();
		}
		yylval.text = pstrdup(buf);
		return NUMBER;
	}
	if ((tok = lookup(buf)) == STRING)
		yylval.v.string = pstrdup(buf);
	return tok;
}

static int
lex(void)
{
	char		 buf[CONF_MAX_TOKEN + 1];
	struct pfile	*f;
	int		 c, r;

top:
	if (ps.gave_up || (f = cur()) == NULL)
		return 0;
	if (f->start_nl) {
		f->start_nl = 0;
		tok_text[0] = '\0';
		return '\n';
	}
	/* macros fully read are done with at a token boundary */
	while (f->nframes > 0 &&
	    f->frames[f->nframes - 1].val[f->frames[f->nframes - 1].pos]
	    == '\0')
		f->nframes--;
	while ((c = lpeek()) == ' ' || c == '\t' || c == '\r')
		(void)lgetc();
	ps.tok_line = f->lineno;
	yylval.lineno = f->lineno;
	tok_text[0] = '\0';
	if (c == '#') {
		while ((c = lpeek()) != '\n' && c != LEOF)
			(void)lgetc();
	}
	if (c == LEOF) {
		if (!f->eof_nl) {
			/* a last line without newline still ends */
			f->eof_nl = 1;
			return '\n';
		}
		if (ps.nfiles == 1)
			return 0;
		pfile_free(f);
		ps.files[--ps.nfiles] = NULL;
		goto top;
	}
	if (c == '$') {
		if ((r = expand_macro(f)) != 0)
			return r;
		goto top;
	}
	if (c == '"' || c == '\'')
		return lex_quoted(buf);
	if (c == '-' || c == '=') {
		(void)lgetc();
		if (lpeek() == '>') {
			(void)lgetc();
			(void)strlcpy(tok_text, c == '-' ? "->" : "=>",
			    sizeof(tok_text));
			return ARROW;
		}
		if (c == '=') {
			(void)strlcpy(tok_text, "=", sizeof(tok_text));
			return '=';
		}
		if (!isdigit(lpeek())) {
			perr("unexpected character '-'");
			return findeol();
		}
		buf[0] = '-';
		return lex_word(buf, 1);
	}
	if (c < 0x80 && (isalnum(c) || c == ':' || c == '_' || c == '*'))
		return lex_word(buf, 0);
	(void)lgetc();
	if (c == '\n')
		return '\n';
	if (strchr("{}<>,!", c) != NULL) {
		tok_text[0] = (char)c;
		tok_text[1] = '\0';
		return c;
	}
	if (isprint(c))
		perr("unexpected character '%c'", c);
	else
		perr("unexpected character 0x%02x", (unsigned int)c);
	return findeol();
}

static int
yylex(void)
{
	int	tok;

	ps.lex_error = 0;
	tok = lex();
	if (tok == '\n' || tok == 0) {
		ps.at_stmt_start = 1;
		return tok;
	}
	if (ps.at_stmt_start) {
		ps.at_stmt_start = 0;
		ps.stmt_ntok = 0;
		ps.stmt_line = ps.tok_line;
		ps.stmt_first = tok;
		(void)strlcpy(ps.stmt_word, tok_text, sizeof(ps.stmt_word));
	}
	ps.stmt_ntok++;
	ps.last_tok = tok;
	return tok;
}

/* ------------------------------------------------------------------ */
/* Recovery: a syntax error abandoned the statement being built. */

static void
parse_recover(void)
{
	size_t	i;

	free(ps.lo.hostname);
	free(ps.lo.tag);
	free(ps.lo.ciphers);
	free(ps.lo.protocols);
	memset(&ps.lo, 0, sizeof(ps.lo));
	config_action_free(ps.action);
	ps.action = NULL;
	config_match_free(ps.match);
	ps.match = NULL;
	/* an anonymous chain being built is not in the list yet */
	if (ps.chain != NULL && ps.chain != ps.filter)
		config_filter_free(ps.chain);
	ps.chain = NULL;
	if (ps.filter != NULL) {
		if (ps.filter->f_type == FILTER_PROC_EXEC &&
		    ps.filter->f_proc == ps.proc)
			ps.proc = NULL;
		config_filter_free(ps.filter);
		ps.filter = NULL;
	}
	config_proc_free(ps.proc);
	ps.proc = NULL;
	/* inline tables are already in the config list */
	ps.table = NULL;
	ps.pki = NULL;
	ps.mta_domain = NULL;
	(void)i;
}

/* ------------------------------------------------------------------ */
/* Tables */

static struct table *
table_string(const char *s)
{
	struct table	*t;

	if ((t = config_table_new(ps.conf, NULL)) == NULL) {
		nomem();
		return NULL;
	}
	t->t_flags |= T_STRING | T_LIST;
	t->t_line = ps.tok_line;
	if (config_table_add(t, s, NULL) == -1)
		nomem();
	return t;
}

static void
table_inline_begin(const char *name)
{
	struct table	*t;

	if (name != NULL && config_table_find(ps.conf, name) != NULL) {
		/* keep parsing its entries, as an anonymous table */
		perr("table \"%s\" already defined", name);
		name = NULL;
	}
	if (name != NULL && name[0] == '#') {
		perr("invalid table name: %s", name);
		name = NULL;
	}
	if ((t = config_table_new(ps.conf, name)) == NULL) {
		nomem();
		ps.table = NULL;
		return;
	}
	t->t_line = ps.tok_line;
	ps.table = t;
	ps.table_kind = 0;
}

static void
table_value(const char *key, const char *val)
{
	int	kind = val == NULL ? T_LIST : T_MAP;

	if (ps.table == NULL)
		return;
	if (ps.table_kind != 0 && ps.table_kind != kind) {
		perr("table mixes list entries and key-value pairs");
		return;
	}
	ps.table_kind = kind;
	if (config_table_add(ps.table, key, val) == -1) {
		if (errno == E2BIG)
			perr("too many entries in table (at most %d)",
			    CONF_MAX_TABLE_ENTRIES);
		else
			nomem();
	}
}

static struct table *
table_inline_end(void)
{
	struct table	*t = ps.table;

	if (t != NULL)
		t->t_flags |= ps.table_kind;
	ps.table = NULL;
	return t;
}

static int
backend_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static void
table_decl(const char *name, const char *spec)
{
	struct table	*t;
	char		*backend;
	const char	*config = NULL;
	size_t		 len;

	if (config_table_find(ps.conf, name) != NULL) {
		perr("table \"%s\" already defined", name);
		return;
	}
	if (name[0] == '#') {
		perr("invalid table name: %s", name);
		return;
	}
	if (spec[0] == '/') {
		backend = pstrdup("static");
		config = spec;
	} else {
		len = strcspn(spec, ":");
		backend = pstrdup(spec);
		backend[len] = '\0';
		if (spec[len] == ':')
			config = spec + len + 1;
		if (config != NULL && config[0] != '/') {
			perr("invalid backend parameter for table: %s", name);
			return;
		}
		if (!backend_name_ok(backend)) {
			perr("invalid table backend: %s", backend);
			return;
		}
	}
	if ((t = config_table_new(ps.conf, name)) == NULL) {
		nomem();
		return;
	}
	t->t_line = ps.tok_line;
	if (spec[0] == '/')
		t->t_flags |= T_FROMPATH;
	if (strcmp(backend, "static") == 0)
		t->t_backend = TABLE_STATIC;
	else if (strcmp(backend, "file") == 0)
		t->t_backend = TABLE_FILE;
	else if (strcmp(backend, "db") == 0)
		t->t_backend = TABLE_DB;
	else
		t->t_backend = TABLE_PROC;
	t->t_backend_name = xstrdup(backend);
	t->t_config = xstrdup(config);
	if (t->t_backend != TABLE_PROC && config == NULL)
		perr("table \"%s\": backend %s needs an absolute path", name,
		    backend);
}

static struct table *
table_ref(const char *name)
{
	struct table	*t;

	if ((t = config_table_find(ps.conf, name)) == NULL)
		perr("no such table: %s", name);
	return t;
}

/* ------------------------------------------------------------------ */
/* pki and ca */

struct pki_origin {
	struct pki	*po_pki;
	const char	*po_file;
	int		 po_line;
};
static struct pki_origin	*pki_origins;
static size_t			 npki_origins;

static int
hostname_ok(const char *s)
{
	if (strcmp(s, "*") == 0)
		return 1;
	if (*s == '\0' || strlen(s) > CONF_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._*", *s) == NULL)
			return 0;
	return 1;
}

/* An SMTP address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]": a
 * server name or an EHLO argument may be one (RFC 5321, 4.1.3). */
static int
addr_literal_ok(const char *s)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr	 in6;
	struct in_addr	 in4;
	size_t		 len;

	len = strlen(s);
	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, buf + 5, &in6) == 1;
	return inet_pton(AF_INET, buf, &in4) == 1;
}

/* Read a PEM file whole.  A secret file must be a regular file owned by
 * root or us with no group or other access. */
static int
read_pem(const char *path, const char *what, int secret, char **out,
    size_t *outlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		perr("cannot open %s file %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		perr("%s file %s is not a regular file", what, path);
		goto fail;
	}
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		perr("%s file %s is accessible by group or others "
		    "(mode %04o)", what, path,
		    (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	if (secret && st.st_uid != 0 && st.st_uid != geteuid()) {
		perr("%s file %s: owner is neither root nor the current "
		    "user", what, path);
		goto fail;
	}
	if (st.st_size > CONF_MAX_PEM) {
		perr("%s file %s is too large (more than %d bytes)", what,
		    path, CONF_MAX_PEM);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		nomem();
		goto fail;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	if (off == 0 || strstr(buf, "-----BEGIN ") == NULL ||
	    strlen(buf) != off) {
		perr("%s file %s is not in PEM format", what, path);
		freezero(buf, off + 1);
		return -1;
	}
	*out = buf;
	*outlen = off;
	return 0;
fail:
	close(fd);
	return -1;
}

static void
pki_begin(const char *name)
{
	struct pki		*p;
	struct pki_origin	*po;
	char			*lc;
	size_t			 i;

	ps.pki = NULL;
	if (!hostname_ok(name)) {
		perr("not a valid domain name: %s", name);
		return;
	}
	lc = pstrdup(name);
	for (i = 0; lc[i] != '\0'; i++)
		lc[i] = (char)tolower((unsigned char)lc[i]);
	if ((p = config_pki_find(ps.conf, lc)) != NULL) {
		ps.pki = p;
		return;
	}
	po = reallocarray(pki_origins, npki_origins + 1, sizeof(*po));
	if (po == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		if (po != NULL)
			pki_origins = po;
		nomem();
		return;
	}
	pki_origins = po;
	if ((p->pki_name = xstrdup(lc)) == NULL) {
		free(p);
		return;
	}
	p->pki_line = ps.tok_line;
	TAILQ_INSERT_TAIL(&ps.conf->sc_pkis, p, pki_entry);
	po[npki_origins].po_pki = p;
	po[npki_origins].po_file = cur_name();
	po[npki_origins].po_line = ps.tok_line;
	npki_origins++;
	ps.pki = p;
}

static void
pki_cert(const char *file)
{
	struct pki	*p = ps.pki;

	if (p == NULL)
		return;
	if (p->pki_cert_file != NULL) {
		perr("certificate already specified for pki %s", p->pki_name);
		return;
	}
	p->pki_cert_file = xstrdup(file);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "certificate", 0, &p->pki_cert,
		    &p->pki_cert_len);
}

static void
pki_key(const char *file)
{
	struct pki	*p = ps.pki;

	if (p == NULL)
		return;
	if (p->pki_key_file != NULL) {
		perr("key already specified for pki %s", p->pki_name);
		return;
	}
	p->pki_key_file = xstrdup(file);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "key", 1, &p->pki_key, &p->pki_key_len);
}

static void
pki_dhe(const char *s)
{
	struct pki	*p = ps.pki;
	enum pki_dhe	 d;

	if (strcasecmp(s, "none") == 0)
		d = PKI_DHE_NONE;
	else if (strcasecmp(s, "auto") == 0)
		d = PKI_DHE_AUTO;
	else if (strcasecmp(s, "legacy") == 0)
		d = PKI_DHE_LEGACY;
	else {
		perr("invalid DHE keyword: %s", s);
		return;
	}
	if (p != NULL)
		p->pki_dhe = d;
}

static void
ca_decl(const char *name, const char *file)
{
	struct ca	*c;

	if (!hostname_ok(name)) {
		perr("not a valid domain name: %s", name);
		return;
	}
	if (config_ca_find(ps.conf, name) != NULL) {
		perr("ca already defined: %s", name);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		nomem();
		return;
	}
	if ((c->ca_name = xstrdup(name)) == NULL) {
		free(c);
		return;
	}
	c->ca_cert_file = xstrdup(file);
	c->ca_line = ps.tok_line;
	TAILQ_INSERT_TAIL(&ps.conf->sc_cas, c, ca_entry);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "ca certificate", 0, &c->ca_cert,
		    &c->ca_cert_len);
}

/* ------------------------------------------------------------------ */
/* proc and filter */

static int	proc_for_filter;

static void
proc_begin(const char *name, const char *cmd, int for_filter)
{
	struct proc	*p;

	proc_for_filter = for_filter;
	ps.proc = NULL;
	if (!for_filter && config_proc_find(ps.conf, name) != NULL)
		perr("processor already exists with that name: %s", name);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		nomem();
		return;
	}
	p->pr_name = xstrdup(name);
	p->pr_command = xstrdup(cmd);
	p->pr_line = ps.tok_line;
	if (p->pr_name == NULL || p->pr_command == NULL) {
		config_proc_free(p);
		return;
	}
	ps.proc = p;
	if (for_filter && ps.filter != NULL)
		ps.filter->f_proc = p;
}

static void
proc_user(int which, const char *val)
{
	static const char *const what[] = { "user", "group", "chroot" };
	char		**field;

	if (ps.proc == NULL)
		return;
	field = which == 0 ? &ps.proc->pr_user :
	    which == 1 ? &ps.proc->pr_group : &ps.proc->pr_chroot;
	if (*field != NULL) {
		perr("%s already specified for this processor", what[which]);
		return;
	}
	*field = xstrdup(val);
}

static void
proc_end(void)
{
	if (ps.proc != NULL && !proc_for_filter)
		TAILQ_INSERT_TAIL(&ps.conf->sc_procs, ps.proc, pr_entry);
	ps.proc = NULL;
}

static void
filter_begin(const char *name, enum filter_type type)
{
	struct filter	*f;

	ps.filter = NULL;
	if (config_filter_find(ps.conf, name) != NULL)
		perr("filter already exists with that name: %s", name);
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		nomem();
		return;
	}
	if ((f->f_name = xstrdup(name)) == NULL) {
		free(f);
		return;
	}
	f->f_type = type;
	f->f_line = ps.tok_line;
	ps.filter = f;
}

static void
filter_proc(const char *name)
{
	struct proc	*p;

	if ((p = config_proc_find(ps.conf, name)) == NULL) {
		perr("no processor exist with that name: %s", name);
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

static void
filter_end(void)
{
	struct filter	*f = ps.filter;
	size_t		 i;

	if (f == NULL)
		return;
	if (f->f_type == FILTER_BUILTIN) {
		for (i = 0; i < f->f_nconds; i++)
			if (!fcond_allowed(f->f_phase, f->f_conds[i].fc_kind))
				perr_at(ps.stmt_line, "%s condition is not "
				    "allowed in phase %s",
				    config_filter_cond_name(
				    f->f_conds[i].fc_kind),
				    config_filter_phase_name(f->f_phase));
		if (f->f_decision == FDEC_JUNK && f->f_phase == FPHASE_COMMIT)
			perr_at(ps.stmt_line, "junk is not allowed in phase "
			    "commit");
	}
	if (f->f_type == FILTER_PROC && f->f_proc == NULL) {
		config_filter_free(f);
		ps.filter = NULL;
		return;
	}
	TAILQ_INSERT_TAIL(&ps.conf->sc_filters, f, f_entry);
	ps.filter = NULL;
}

static void
chain_begin(int anon)
{
	struct filter	*f;
	char		 name[32];

	if (!anon) {
		ps.chain = ps.filter;
		return;
	}
	ps.chain = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		nomem();
		return;
	}
	(void)snprintf(name, sizeof(name), "#%u", ++ps.conf->sc_anon_next);
	if ((f->f_name = xstrdup(name)) == NULL) {
		free(f);
		return;
	}
	f->f_anon = 1;
	f->f_type = FILTER_CHAIN;
	f->f_line = ps.tok_line;
	ps.chain = f;
}

static void
chain_add(const char *name)
{
	struct filter	*c = ps.chain, *fr, **v;
	size_t		 i;

	if ((fr = config_filter_find(ps.conf, name)) == NULL) {
		perr("no filter exist with that name: %s", name);
		return;
	}
	if (fr->f_type == FILTER_CHAIN) {
		perr("no filter chain allowed within a filter chain: %s",
		    name);
		return;
	}
	if (c == NULL)
		return;
	for (i = 0; i < c->f_nchain; i++) {
		if (c->f_chain[i] == fr) {
			perr("no filter allowed twice within a filter chain: "
			    "%s", name);
			return;
		}
		if (fr->f_proc != NULL && c->f_chain[i]->f_proc == fr->f_proc) {
			perr("no proc allowed twice within a filter chain: %s",
			    fr->f_proc->pr_name);
			return;
		}
	}
	if (c->f_nchain >= CONF_MAX_CHAIN) {
		perr("too many filters in chain (at most %d)", CONF_MAX_CHAIN);
		return;
	}
	v = reallocarray(c->f_chain, c->f_nchain + 1, sizeof(*v));
	if (v == NULL) {
		nomem();
		return;
	}
	v[c->f_nchain++] = fr;
	c->f_chain = v;
}

static struct filter *
chain_end(void)
{
	struct filter	*c = ps.chain;

	ps.chain = NULL;
	if (c == NULL || !c->f_anon)
		return c;
	TAILQ_INSERT_TAIL(&ps.conf->sc_filters, c, f_entry);
	return c;
}

static struct filter *
filter_named(const char *name)
{
	struct filter	*f;

	if ((f = config_filter_find(ps.conf, name)) == NULL)
		perr("no filter exist with that name: %s", name);
	return f;
}

static void
fcond(int neg, enum filter_cond_kind kind, int regex, struct table *t)
{
	struct filter		*f = ps.filter;
	struct filter_cond	*v;

	if (f == NULL)
		return;
	if (f->f_nconds >= CONF_MAX_FILTER_CONDS) {
		perr("too many conditions in filter (at most %d)",
		    CONF_MAX_FILTER_CONDS);
		return;
	}
	v = reallocarray(f->f_conds, f->f_nconds + 1, sizeof(*v));
	if (v == NULL) {
		nomem();
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

static void
fdecision(enum filter_decision d, const char *arg)
{
	if ((d == FDEC_REJECT || d == FDEC_DISCONNECT) && !smtp_reply_ok(arg))
		perr("%s message must start with a 4xx or 5xx code: %s",
		    d == FDEC_REJECT ? "reject" : "disconnect", arg);
	if (ps.filter == NULL)
		return;
	ps.filter->f_decision = d;
	ps.filter->f_decision_arg = xstrdup(arg);
}

/* ------------------------------------------------------------------ */
/* listen on */

static void
listen_begin(void)
{
	parse_recover();
	ps.lo.family = AF_UNSPEC;
}

static void
listen_target(int socket, const char *name)
{
	ps.lo.socket = socket;
	ps.lo.target = name != NULL ? pstrdup(name) : NULL;
}

static void
listen_flag(uint32_t seen, uint32_t flag, const char *what)
{
	if (ps.lo.seen & seen) {
		perr("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	ps.lo.flags |= flag;
}

static void
listen_family(int family)
{
	if (ps.lo.seen & LO_FAMILY) {
		perr("address family already specified");
		return;
	}
	ps.lo.seen |= LO_FAMILY;
	ps.lo.family = family;
}

static void
listen_tls(uint32_t flags)
{
	if (ps.lo.seen & LO_TLS) {
		perr("TLS mode already specified");
		return;
	}
	ps.lo.seen |= LO_TLS;
	ps.lo.flags |= flags;
}

static void
listen_auth(uint32_t flags, struct table *t)
{
	if (ps.lo.seen & LO_AUTH) {
		perr("auth already specified");
		return;
	}
	ps.lo.seen |= LO_AUTH;
	ps.lo.flags |= L_AUTH | flags;
	ps.lo.auth = t;
}

static void
listen_port_num(int64_t n)
{
	if (ps.lo.seen & LO_PORT) {
		perr("port already specified");
		return;
	}
	ps.lo.seen |= LO_PORT;
	if (n <= 0 || n > 65535) {
		perr("invalid port: %lld", (long long)n);
		return;
	}
	ps.lo.port = (int)n;
}

static void
listen_port_name(const char *name)
{
	struct servent	*se;

	if (ps.lo.seen & LO_PORT) {
		perr("port already specified");
		return;
	}
	ps.lo.seen |= LO_PORT;
	if (strcmp(name, "smtp") == 0)
		ps.lo.port = 25;
	else if (strcmp(name, "smtps") == 0)
		ps.lo.port = 465;
	else if (strcmp(name, "submission") == 0)
		ps.lo.port = 587;
	else if (!ps.opts->co_no_files &&
	    (se = getservbyname(name, "tcp")) != NULL)
		ps.lo.port = ntohs((uint16_t)se->s_port);
	else
		perr("invalid port: %s", name);
}

static void
listen_str(uint32_t seen, char **field, const char *val, const char *what)
{
	if (ps.lo.seen & seen) {
		perr("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	if (seen == LO_TAG && strlen(val) > CONF_MAX_TAG) {
		perr("tag name too long (at most %d characters)", CONF_MAX_TAG);
		return;
	}
	if (seen == LO_HOSTNAME && !hostname_ok(val) && !addr_literal_ok(val)) {
		perr("not a valid host name: %s", val);
		return;
	}
	*field = xstrdup(val);
}

static void
listen_table(uint32_t seen, struct table **field, struct table *t,
    const char *what)
{
	if (ps.lo.seen & seen) {
		perr("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	*field = t;
}

static void
listen_pki(const char *name)
{
	struct pki	*p;
	size_t		 i;

	ps.lo.seen |= LO_PKI;
	if ((p = config_pki_find(ps.conf, name)) == NULL) {
		perr("pki name not found: %s", name);
		return;
	}
	for (i = 0; i < ps.lo.npki; i++)
		if (ps.lo.pki[i] == p) {
			perr("pki %s already specified", name);
			return;
		}
	if (ps.lo.npki >= CONF_MAX_LISTENER_PKI) {
		perr("too many pki specified (at most %d)",
		    CONF_MAX_LISTENER_PKI);
		return;
	}
	ps.lo.pki[ps.lo.npki++] = p;
}

static void
listen_ca(const char *name)
{
	if (ps.lo.seen & LO_CA) {
		perr("ca already specified");
		return;
	}
	ps.lo.seen |= LO_CA;
	if ((ps.lo.ca = config_ca_find(ps.conf, name)) == NULL)
		perr("ca name not found: %s", name);
}

static void
listen_filter(struct filter *f)
{
	if (ps.lo.seen & LO_FILTER) {
		perr("filter already specified");
		return;
	}
	ps.lo.seen |= LO_FILTER;
	ps.lo.filter = f;
}

static int
ss_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return 0;
}

static void
ss_set_port(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int
ss_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0 &&
		    ((const struct sockaddr_in *)a)->sin_port ==
		    ((const struct sockaddr_in *)b)->sin_port;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0 &&
		    ((const struct sockaddr_in6 *)a)->sin6_port ==
		    ((const struct sockaddr_in6 *)b)->sin6_port &&
		    ((const struct sockaddr_in6 *)a)->sin6_scope_id ==
		    ((const struct sockaddr_in6 *)b)->sin6_scope_id;
	return 0;
}

static void
addr_push(struct sockaddr_storage *v, size_t *n, const struct sockaddr *sa,
    int family)
{
	size_t	len, i;

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return;
	if (family != AF_UNSPEC && sa->sa_family != family)
		return;
	if (*n >= CONF_MAX_LISTEN_ADDRS)
		return;
	len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	memset(&v[*n], 0, sizeof(v[*n]));
	memcpy(&v[*n], sa, len);
	for (i = 0; i < *n; i++)
		if (ss_same(&v[i], &v[*n]))
			return;
	(*n)++;
}

/*
 * Addresses of a listen target, in OpenSMTPD's order of attempts: an
 * interface name, a literal address, a host name.  Postern adds "all"
 * (every address of every interface) and "egress" (every address of
 * every interface that is not loopback), which OpenBSD gets from
 * interface groups and Linux does not have.
 */
static size_t
listen_resolve(const char *name, int family, struct sockaddr_storage *v)
{
	struct ifaddrs	*ifap, *p;
	struct addrinfo	 hints, *res, *r;
	size_t		 n = 0;
	int		 all, egress;

	all = strcmp(name, "all") == 0;
	egress = strcmp(name, "egress") == 0;
	if (getifaddrs(&ifap) == 0) {
		for (p = ifap; p != NULL; p = p->ifa_next) {
			if (all || (egress && !(p->ifa_flags & IFF_LOOPBACK)) ||
			    strcmp(p->ifa_name, name) == 0)
				addr_push(v, &n, p->ifa_addr, family);
		}
		freeifaddrs(ifap);
	}
	if (n > 0 || all || egress)
		return n;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (r = res; r != NULL; r = r->ai_next)
			addr_push(v, &n, r->ai_addr, family);
		freeaddrinfo(res);
		return n;
	}
	if (ps.opts->co_no_resolve)
		return 0;
	hints.ai_flags = 0;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (r = res; r != NULL; r = r->ai_next)
			addr_push(v, &n, r->ai_addr, family);
		freeaddrinfo(res);
	}
	return n;
}

static struct listener *
listener_new(void)
{
	struct listener	*l;
	size_t		 i;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		nomem();
		return NULL;
	}
	l->l_line = ps.stmt_line;
	l->l_family = ps.lo.family;
	l->l_flags = ps.lo.flags;
	l->l_hostname = xstrdup(ps.lo.hostname);
	l->l_hostnames = ps.lo.hostnames;
	l->l_auth = ps.lo.auth;
	l->l_senders = ps.lo.senders;
	l->l_tag = xstrdup(ps.lo.tag);
	l->l_ca = ps.lo.ca;
	l->l_filter = ps.lo.filter;
	l->l_ciphers = xstrdup(ps.lo.ciphers);
	l->l_protocols = xstrdup(ps.lo.protocols);
	if (ps.lo.npki > 0) {
		if ((l->l_pki = calloc(ps.lo.npki, sizeof(*l->l_pki))) ==
		    NULL) {
			nomem();
			config_listener_free(l);
			return NULL;
		}
		for (i = 0; i < ps.lo.npki; i++)
			l->l_pki[i] = ps.lo.pki[i];
		l->l_npki = ps.lo.npki;
	}
	return l;
}

static void
listen_end(void)
{
	struct sockaddr_storage	 addrs[CONF_MAX_LISTEN_ADDRS];
	struct listener		*l;
	struct pki		*p;
	const char		*hn;
	size_t			 n, i;
	int			 line = ps.stmt_line;

	if (ps.lo.socket) {
		if (ps.lo.seen & ~LO_SOCKET_OK)
			perr_at(line, "only filter, mask-src, tag and no-dsn "
			    "may be used with listen on socket");
		if (config_socket_listener(ps.conf) != NULL)
			perr_at(line, "socket listener already configured");
		else if ((l = listener_new()) != NULL) {
			l->l_name = xstrdup("socket");
			l->l_flags |= L_SOCKET | L_LOCAL;
			l->l_ss.ss_family = AF_UNIX;
			TAILQ_INSERT_TAIL(&ps.conf->sc_listeners, l, l_entry);
		}
		goto done;
	}
	if (ps.lo.target == NULL)
		goto done;
	if ((ps.lo.flags & L_AUTH) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		perr_at(line, "invalid listen option: auth requires "
		    "tls/smtps");
	if ((ps.lo.seen & LO_PKI) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		perr_at(line, "invalid listen option: pki requires tls/smtps");
	if ((ps.lo.seen & LO_CA) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		perr_at(line, "invalid listen option: ca requires tls/smtps");
	if ((ps.lo.flags & (L_TLS | L_SMTPS)) && !(ps.lo.seen & LO_PKI)) {
		hn = ps.lo.hostname != NULL ? ps.lo.hostname :
		    ps.conf->sc_hostname;
		if ((p = config_pki_find(ps.conf, hn)) == NULL)
			p = config_pki_find(ps.conf, "*");
		if (p == NULL)
			perr_at(line, "invalid listen option: tls/smtps "
			    "requires a pki (no pki option, and no pki named "
			    "\"%s\" or \"*\")", hn);
		else
			ps.lo.pki[ps.lo.npki++] = p;
	}
	if (ps.lo.port == 0)
		ps.lo.port = (ps.lo.flags & L_SMTPS) ? 465 : 25;

	n = listen_resolve(ps.lo.target, ps.lo.family, addrs);
	if (n == 0) {
		perr_at(line, "invalid virtual ip or interface: %s",
		    ps.lo.target);
		goto done;
	}
	for (i = 0; i < n; i++) {
		ss_set_port(&addrs[i], (in_port_t)ps.lo.port);
		if ((l = listener_new()) == NULL)
			break;
		l->l_name = xstrdup(ps.lo.target);
		l->l_ss = addrs[i];
		l->l_port = (in_port_t)ps.lo.port;
		if (ss_is_loopback(&addrs[i]))
			l->l_flags |= L_LOCAL;
		TAILQ_INSERT_TAIL(&ps.conf->sc_listeners, l, l_entry);
	}
done:
	parse_recover();
}

/* ------------------------------------------------------------------ */
/* action */

static int	action_dup;

static void
action_begin(const char *name)
{
	parse_recover();
	action_dup = 0;
	if (config_action_find(ps.conf, name) != NULL) {
		perr("dispatcher already declared with that name: %s", name);
		action_dup = 1;
	}
	if ((ps.action = calloc(1, sizeof(*ps.action))) == NULL) {
		nomem();
		return;
	}
	ps.action->a_name = xstrdup(name);
	ps.action->a_line = ps.stmt_line;
}

static void
action_method(enum action_type type, const char *arg, uint32_t flags)
{
	if (ps.action == NULL)
		return;
	ps.action->a_type = type;
	ps.action->a_arg = xstrdup(arg);
	ps.action->a_flags |= flags;
	if (type == ACTION_LMTP && arg != NULL && arg[0] != '/' &&
	    strchr(arg, ':') == NULL)
		perr("invalid lmtp destination: %s (host:port or /socket)",
		    arg);
	if (type == ACTION_MAILDIR && arg != NULL && arg[0] == '\0')
		perr("empty maildir path");
}

/* Is option `what` legal for this action's method?  Reports if not. */
static int
action_opt_ok(const char *what, int relay_only)
{
	struct action	*a = ps.action;

	if (a == NULL)
		return 0;
	if (relay_only && a->a_type != ACTION_RELAY) {
		perr("%s may only be specified for relay actions", what);
		return 0;
	}
	if (!relay_only && a->a_type == ACTION_RELAY &&
	    strcmp(what, "ttl") != 0) {
		perr("%s may not be specified for relay actions", what);
		return 0;
	}
	return 1;
}

static void
action_str(char **field, const char *val, const char *what, int relay_only)
{
	struct action	*a = ps.action;

	if (!action_opt_ok(what, relay_only))
		return;
	if (*field != NULL) {
		perr("%s already specified for this dispatcher", what);
		return;
	}
	if (field == &a->a_user) {
		if (a->a_type == ACTION_MBOX) {
			perr("user may not be specified for this dispatcher");
			return;
		}
		if (a->a_type == ACTION_FORWARD_ONLY ||
		    a->a_type == ACTION_EXPAND_ONLY) {
			perr("user may not be specified for %s",
			    config_action_type_name(a->a_type));
			return;
		}
	}
	if (field == &a->a_wrapper &&
	    config_wrapper_find(ps.conf, val) == NULL) {
		perr("no mda wrapper with that name: %s", val);
		return;
	}
	if (field == &a->a_mail_from) {
		const char	*at = strchr(val, '@');

		if (at == NULL || strchr(at + 1, '@') != NULL ||
		    strpbrk(val, " \t<>") != NULL) {
			perr("invalid mail-from address: %s", val);
			return;
		}
	}
	if (field == &a->a_helo && !hostname_ok(val) && !addr_literal_ok(val)) {
		perr("invalid helo name: %s", val);
		return;
	}
	*field = xstrdup(val);
}

static void
action_table(struct table **field, struct table *t, const char *what,
    int relay_only)
{
	struct action	*a = ps.action;

	if (!action_opt_ok(what, relay_only))
		return;
	if (*field != NULL) {
		perr("%s mapping already specified for this dispatcher", what);
		return;
	}
	if ((field == &a->a_alias && a->a_virtual != NULL) ||
	    (field == &a->a_virtual && a->a_alias != NULL)) {
		perr("alias and virtual may not be used together");
		return;
	}
	*field = t;
}

static void
action_flag(uint32_t flag, const char *what)
{
	if (!action_opt_ok(what, 1))
		return;
	if (ps.action->a_flags & flag & (A_TLS | A_SRS)) {
		perr("%s already specified for this dispatcher", what);
		return;
	}
	if ((flag & A_SRS) && ps.conf->sc_srs_key == NULL) {
		perr("an srs key is required for srs to be specified in an "
		    "action");
		return;
	}
	ps.action->a_flags |= flag;
}

static void
action_ttl(const char *s)
{
	time_t	t;

	if (!action_opt_ok("ttl", 0))
		return;
	if (ps.action->a_ttl != 0) {
		perr("ttl already specified for this dispatcher");
		return;
	}
	if (config_parse_delay(s, &t) == -1) {
		perr("ttl delay \"%s\" is invalid", s);
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
		perr("relay host table must be a list of URLs, not a mapping");
		return 0;
	}
	TAILQ_FOREACH(te, &t->t_entries, te_entry) {
		if (config_relay_url_parse(te->te_key, &rh, &errstr) == -1) {
			perr("invalid relay host \"%s\": %s", te->te_key,
			    errstr);
			ok = 0;
		}
		config_relay_host_clear(&rh);
	}
	return ok;
}

static void
action_host(struct table *t)
{
	struct action	*a = ps.action;
	const char	*errstr, *url;

	if (!action_opt_ok("host", 1))
		return;
	if (a->a_host_table != NULL || a->a_domain != NULL) {
		perr("host mapping already specified for this dispatcher");
		return;
	}
	if (a->a_flags & A_BACKUP) {
		perr("backup and host are mutually exclusive");
		return;
	}
	/* set even when invalid: later options are checked against it */
	if ((a->a_host_table = t) == NULL || !action_host_check(t))
		return;
	if ((t->t_flags & T_ANON) == 0 || t->t_nentries != 1)
		return;
	url = TAILQ_FIRST(&t->t_entries)->te_key;
	if (config_relay_url_parse(url, &a->a_host, &errstr) == -1) {
		perr("invalid relay host \"%s\": %s", url, errstr);
		return;
	}
	a->a_host_url = xstrdup(url);
}

static void
action_backup(const char *mx)
{
	struct action	*a = ps.action;

	if (!action_opt_ok("backup", 1))
		return;
	if (a->a_flags & A_BACKUP) {
		perr("backup already specified for this dispatcher");
		return;
	}
	if (a->a_host_table != NULL) {
		perr("backup and host are mutually exclusive");
		return;
	}
	if (a->a_domain != NULL) {
		perr("backup and domain are mutually exclusive");
		return;
	}
	if (mx != NULL && !hostname_ok(mx)) {
		perr("invalid backup mx name: %s", mx);
		return;
	}
	a->a_flags |= A_BACKUP;
	a->a_backup_mx = xstrdup(mx);
}

static void
action_domain(struct table *t)
{
	struct action	*a = ps.action;

	if (!action_opt_ok("domain", 1))
		return;
	if (a->a_host_table != NULL || a->a_domain != NULL) {
		perr("host mapping already specified for this dispatcher");
		return;
	}
	if (a->a_flags & A_BACKUP) {
		perr("backup and domain are mutually exclusive");
		return;
	}
	a->a_domain = t;
}

static void
action_pki(const char *name)
{
	if (!action_opt_ok("pki", 1))
		return;
	if (ps.action->a_pki != NULL) {
		perr("pki already specified for this dispatcher");
		return;
	}
	if ((ps.action->a_pki = config_pki_find(ps.conf, name)) == NULL)
		perr("pki name not found: %s", name);
}

static void
action_ca(const char *name)
{
	if (!action_opt_ok("ca", 1))
		return;
	if (ps.action->a_ca != NULL) {
		perr("ca already specified for this dispatcher");
		return;
	}
	if ((ps.action->a_ca = config_ca_find(ps.conf, name)) == NULL)
		perr("ca name not found: %s", name);
}

static void
action_filter(struct filter *f)
{
	if (!action_opt_ok("filter", 1))
		return;
	if (ps.action->a_filter != NULL) {
		perr("filter already specified for this dispatcher");
		return;
	}
	ps.action->a_filter = f;
}

static void
action_end(void)
{
	struct action	*a = ps.action;

	if (a == NULL)
		return;
	if (a->a_auth != NULL && a->a_host_table == NULL)
		perr_at(ps.stmt_line, "auth may not be specified without host "
		    "on a dispatcher");
	if (a->a_name == NULL || action_dup ||
	    config_action_index(ps.conf, a) == -1)
		config_action_free(a);
	else
		TAILQ_INSERT_TAIL(&ps.conf->sc_actions, a, a_entry);
	ps.action = NULL;
}

/* ------------------------------------------------------------------ */
/* match */

static const char *const mopt_names[MOPT_COUNT] = {
	[MOPT_AUTH] = "auth",
	[MOPT_MAIL_FROM] = "mail-from",
	[MOPT_RCPT_TO] = "rcpt-to",
	[MOPT_HELO] = "helo",
	[MOPT_TAG] = "tag",
	[MOPT_TLS] = "tls",
};

static void
match_begin(void)
{
	parse_recover();
	if ((ps.match = calloc(1, sizeof(*ps.match))) == NULL) {
		nomem();
		return;
	}
	ps.match->m_line = ps.stmt_line;
}

static void
match_from(int neg, enum match_from from, int regex, struct table *t)
{
	struct match	*m = ps.match;

	if (m == NULL)
		return;
	if (m->m_from_cond.mc_set) {
		perr("from already specified for this rule");
		return;
	}
	if ((from == FROM_AUTH && m->m_opts[MOPT_AUTH].mc_set) ||
	    (from == FROM_MAIL_FROM && m->m_opts[MOPT_MAIL_FROM].mc_set)) {
		perr("%s already specified for this rule",
		    from == FROM_AUTH ? "auth" : "mail-from");
		return;
	}
	m->m_from = from;
	m->m_from_cond.mc_set = 1;
	m->m_from_cond.mc_neg = neg;
	m->m_from_cond.mc_regex = regex;
	m->m_from_cond.mc_table = t;
}

static void
match_for(int neg, enum match_for mfor, int regex, struct table *t)
{
	struct match	*m = ps.match;

	if (m == NULL)
		return;
	if (m->m_for_cond.mc_set) {
		perr("for already specified for this rule");
		return;
	}
	if (mfor == FOR_RCPT_TO && m->m_opts[MOPT_RCPT_TO].mc_set) {
		perr("rcpt-to already specified for this rule");
		return;
	}
	m->m_for = mfor;
	m->m_for_cond.mc_set = 1;
	m->m_for_cond.mc_neg = neg;
	m->m_for_cond.mc_regex = regex;
	m->m_for_cond.mc_table = t;
}

static void
match_opt(int neg, enum match_opt opt, int regex, struct table *t)
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
		perr("%s already specified for this rule", mopt_names[opt]);
		return;
	}
	m->m_opts[opt].mc_set = 1;
	m->m_opts[opt].mc_neg = neg;
	m->m_opts[opt].mc_regex = regex;
	m->m_opts[opt].mc_table = t;
}

static void
match_end(const char *action)
{
	struct match	*m = ps.match;
	struct action	*a = NULL;

	if (action != NULL && (a = config_action_find(ps.conf, action)) ==
	    NULL)
		perr("no such dispatcher: %s", action);
	if (m == NULL)
		return;
	m->m_action = a;
	TAILQ_INSERT_TAIL(&ps.conf->sc_matches, m, m_entry);
	ps.match = NULL;
}

/* ------------------------------------------------------------------ */
/* Global settings */

static const char *const mta_limit_keys[] = {
	"conn-delay-connector", "conn-delay-domain", "conn-delay-host",
	"conn-delay-relay", "conn-delay-route", "conn-delay-source",
	"discdelay-route", "max-conn-per-connector", "max-conn-per-domain",
	"max-conn-per-host", "max-conn-per-relay", "max-conn-per-route",
	"max-conn-per-source", "max-failures-per-session",
	"max-mail-per-session", "sessdelay-keepalive",
	"sessdelay-transaction", "task-hiwat", "task-lowat", "task-release",
};

int
config_mta_limit_key_ok(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof(mta_limit_keys) / sizeof(mta_limit_keys[0]);
	    i++)
		if (strcmp(mta_limit_keys[i], key) == 0)
			return 1;
	return 0;
}

static void
set_limit(const char *section, const char *key, int64_t val)
{
	struct smtpd_config	*c = ps.conf;
	size_t			*field = NULL;

	if (strcmp(section, "smtp") == 0) {
		if (strcmp(key, "max-rcpt") == 0)
			field = &c->sc_max_rcpt;
		else if (strcmp(key, "max-mails") == 0)
			field = &c->sc_max_mails;
		else {
			perr("invalid session limit keyword: %s", key);
			return;
		}
	} else if (strcmp(section, "mda") == 0) {
		if (strcmp(key, "max-session") == 0)
			field = &c->sc_mda_max_session;
		else if (strcmp(key, "max-session-per-user") == 0)
			field = &c->sc_mda_max_session_per_user;
		else if (strcmp(key, "task-lowat") == 0)
			field = &c->sc_mda_task_lowat;
		else if (strcmp(key, "task-hiwat") == 0)
			field = &c->sc_mda_task_hiwat;
		else if (strcmp(key, "task-release") == 0)
			field = &c->sc_mda_task_release;
		else {
			perr("invalid mda limit keyword: %s", key);
			return;
		}
	} else {
		if (strcmp(key, "max-inflight") == 0)
			field = &c->sc_sched_max_inflight;
		else if (strcmp(key, "max-evp-batch-size") == 0)
			field = &c->sc_sched_max_evp_batch_size;
		else if (strcmp(key, "max-msg-batch-size") == 0)
			field = &c->sc_sched_max_msg_batch_size;
		else if (strcmp(key, "max-schedule") == 0)
			field = &c->sc_sched_max_schedule;
		else {
			perr("invalid scheduler limit keyword: %s", key);
			return;
		}
	}
	if (val < 1 || val > CONF_MAX_NUMBER) {
		perr("invalid value for %s: %lld", key, (long long)val);
		return;
	}
	*field = (size_t)val;
}

static void
mta_limit(int family, const char *key, int64_t val)
{
	struct mta_limit	*ml;

	if (key != NULL && !config_mta_limit_key_ok(key)) {
		perr("invalid mta limit keyword: %s", key);
		return;
	}
	if (key != NULL && (val < 0 || val > CONF_MAX_NUMBER)) {
		perr("invalid value for %s: %lld", key, (long long)val);
		return;
	}
	if ((ml = calloc(1, sizeof(*ml))) == NULL) {
		nomem();
		return;
	}
	ml->ml_family = family;
	ml->ml_value = val;
	if (ps.mta_domain != NULL)
		ml->ml_domain = xstrdup(ps.mta_domain);
	if (key != NULL)
		ml->ml_key = xstrdup(key);
	TAILQ_INSERT_TAIL(&ps.conf->sc_mta_limits, ml, ml_entry);
}

static void
set_size(const char *s)
{
	if (config_parse_size(s, &ps.conf->sc_max_message_size) == -1)
		perr("invalid size: %s", s);
}

static void
set_global_path(char **field, const char *val, const char *what,
    int is_socket)
{
	struct sockaddr_un	sun;

	if (*field != NULL) {
		perr("%s already specified", what);
		return;
	}
	if (val[0] != '/') {
		perr("%s must be an absolute path: %s", what, val);
		return;
	}
	if (is_socket && strlen(val) >= sizeof(sun.sun_path)) {
		perr("%s path too long: %s", what, val);
		return;
	}
	*field = xstrdup(val);
}

static void
set_resolver(const char *s)
{
	if (ps.conf->sc_resolver != NULL) {
		perr("resolver already specified");
		return;
	}
	if (config_resolver_parse(s, NULL, NULL) == -1) {
		perr("invalid resolver address: %s", s);
		return;
	}
	ps.conf->sc_resolver = xstrdup(s);
}

static void
set_queue_encryption(const char *key)
{
	struct smtpd_config	*c = ps.conf;

	if (c->sc_queue_encryption != QUEUE_ENC_NONE) {
		perr("queue encryption already specified");
		return;
	}
	if (key == NULL)
		c->sc_queue_encryption = QUEUE_ENC_PROMPT;
	else if (strcasecmp(key, "stdin") == 0 || strcmp(key, "-") == 0)
		c->sc_queue_encryption = QUEUE_ENC_STDIN;
	else if (key[0] == '\0')
		perr("empty queue encryption key");
	else {
		c->sc_queue_encryption = QUEUE_ENC_KEY;
		c->sc_queue_key = xstrdup(key);
	}
}

static void
set_delay(time_t *field, const char *s, const char *what)
{
	if (config_parse_delay(s, field) == -1)
		perr("invalid %s delay: %s", what, s);
}

static void
add_bounce_delay(const char *s)
{
	struct smtpd_config	*c = ps.conf;
	time_t			 t;

	if (config_parse_delay(s, &t) == -1) {
		perr("invalid bounce delay: %s", s);
		return;
	}
	if (c->sc_nbounce_warn >= BOUNCE_MAX_WARN) {
		perr("too many bounce warn-interval delays (at most %d)",
		    BOUNCE_MAX_WARN);
		return;
	}
	c->sc_bounce_warn[c->sc_nbounce_warn++] = t;
}

static void
set_srs_key(char **field, const char *key)
{
	if (*field != NULL) {
		perr("srs key%s already specified",
		    field == &ps.conf->sc_srs_key ? "" : " backup");
		return;
	}
	if (key[0] == '\0') {
		perr("empty srs key");
		return;
	}
	*field = xstrdup(key);
}

static void
set_srs_ttl(const char *s)
{
	time_t	t;

	if (config_parse_delay(s, &t) == -1) {
		perr("ttl delay \"%s\" is invalid", s);
		return;
	}
	if (t < 86400) {
		perr("ttl delay \"%s\" is too short", s);
		return;
	}
	ps.conf->sc_srs_ttl_days = (int)(t / 86400);
}

static void
set_subaddr_delim(const char *s)
{
	if (strlen(s) != 1) {
		perr("subaddressing-delimiter must be one character");
		return;
	}
	if (isspace((unsigned char)*s) || !isprint((unsigned char)*s) ||
	    *s == '@') {
		perr("sub-addr-delim uses invalid character");
		return;
	}
	ps.conf->sc_subaddr_delim = *s;
}

static void
set_admd(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!isprint((unsigned char)*p)) {
			perr("not a valid admd");
			return;
		}
	if (*s == '\0') {
		perr("not a valid admd");
		return;
	}
	free(ps.conf->sc_admd);
	ps.conf->sc_admd = xstrdup(s);
}

static void
add_wrapper(const char *name, const char *cmd)
{
	struct mda_wrapper	*w;

	if (config_wrapper_find(ps.conf, name) != NULL) {
		perr("mda wrapper already declared with that name: %s", name);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		nomem();
		return;
	}
	w->w_name = xstrdup(name);
	w->w_command = xstrdup(cmd);
	if (w->w_name == NULL || w->w_command == NULL) {
		free(w->w_name);
		free(w->w_command);
		free(w);
		return;
	}
	TAILQ_INSERT_TAIL(&ps.conf->sc_mda_wrappers, w, w_entry);
}

/* ------------------------------------------------------------------ */
/* Entry point */

static void
pki_origins_check(void)
{
	size_t		 i;
	struct pki	*p;

	for (i = 0; i < npki_origins; i++) {
		p = pki_origins[i].po_pki;
		if (p->pki_cert_file == NULL)
			perr_file(pki_origins[i].po_file,
			    pki_origins[i].po_line,
			    "pki %s: no certificate specified", p->pki_name);
		if (p->pki_key_file == NULL)
			perr_file(pki_origins[i].po_file,
			    pki_origins[i].po_line,
			    "pki %s: no key specified", p->pki_name);
	}
}

static void
fill_defaults(struct smtpd_config *c)
{
	struct listener		*l;
	struct sockaddr_un	*sun;

	if (c->sc_queue_path == NULL)
		c->sc_queue_path = xstrdup(CONF_DEFAULT_QUEUE_PATH);
	if (c->sc_control_path == NULL)
		c->sc_control_path = xstrdup(CONF_DEFAULT_CONTROL_PATH);
	if (c->sc_pidfile == NULL)
		c->sc_pidfile = xstrdup(CONF_DEFAULT_PIDFILE);
	if ((l = config_socket_listener(c)) == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL) {
			nomem();
			return;
		}
		l->l_name = xstrdup("socket");
		l->l_flags = L_SOCKET | L_LOCAL | L_IMPLICIT;
		l->l_family = AF_UNSPEC;
		TAILQ_INSERT_TAIL(&c->sc_listeners, l, l_entry);
	}
	/* the enqueuer socket is the control socket, as in OpenSMTPD */
	sun = (struct sockaddr_un *)&l->l_ss;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (c->sc_control_path != NULL)
		(void)strlcpy(sun->sun_path, c->sc_control_path,
		    sizeof(sun->sun_path));
}

struct smtpd_config *
config_parse(const char *path, struct config_opts *opts)
{
	struct config_opts	 defopts;
	struct config_macro	*cm;
	struct macro		*m;
	struct pool_str		*p;
	struct smtpd_config	*conf;
	int			 lastline, errors;

	memset(&ps, 0, sizeof(ps));
	TAILQ_INIT(&ps.macros);
	if (opts == NULL) {
		config_opts_init(&defopts);
		opts = &defopts;
	}
	ps.opts = opts;
	ps.err = opts->co_err != NULL ? opts->co_err : stderr;
	ps.at_stmt_start = 1;
	tok_text[0] = '\0';
	pki_origins = NULL;
	npki_origins = 0;
	proc_for_filter = 0;
	action_dup = 0;

	if ((conf = config_new()) == NULL) {
		fprintf(ps.err, "%s: out of memory\n", path);
		return NULL;
	}
	ps.conf = conf;
	conf->sc_hostname = opts->co_no_files ? strdup("localhost") :
	    config_server_name();
	if (conf->sc_hostname == NULL)
		nomem();

	TAILQ_FOREACH(cm, &opts->co_macros, cm_entry)
		(void)macro_add(cm->cm_name, cm->cm_value, 1);

	if (pushfile(path, 0) == 0) {
		(void)yyparse();
		parse_recover();
		lastline = ps.topfile->lineno;
		if (ps.topfile->len > 0 &&
		    ps.topfile->buf[ps.topfile->len - 1] == '\n')
			lastline--;
		if (lastline < 1)
			lastline = 1;
		pki_origins_check();
		if (TAILQ_EMPTY(&conf->sc_matches))
			perr_file(ps.topfile->name, lastline,
			    "no rules, nothing to do");
		if (opts->co_verbose) {
			TAILQ_FOREACH(m, &ps.macros, entry) {
				if (m->used)
					continue;
				if (m->file != NULL)
					fprintf(ps.err, "%s:%d: warning: macro "
					    "'%s' not used\n", m->file, m->line,
					    m->name);
				else
					fprintf(ps.err, "warning: macro '%s' "
					    "(-D) not used\n", m->name);
			}
		}
		fill_defaults(conf);
	}

	while (ps.nfiles > 0)
		pfile_free(ps.files[--ps.nfiles]);
	macros_free();
	while ((p = ps.pool) != NULL) {
		ps.pool = p->next;
		free(p);
	}
	free(pki_origins);
	pki_origins = NULL;
	npki_origins = 0;
	if (opts == &defopts)
		config_opts_clear(&defopts);

	errors = ps.errors;
	memset(&ps, 0, sizeof(ps));
	if (errors > 0) {
		config_free(conf);
		return NULL;
	}
	return conf;
}
