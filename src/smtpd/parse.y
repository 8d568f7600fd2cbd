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
 *
 * This file holds the grammar, tables, global settings and config_parse().
 * The lexer (keywords, errors, includes, macros, string pool) is in
 * parse_lex.c; pki and ca, proc and filter, listen, action and match
 * statements are built in parse_pki.c, parse_filter.c, parse_listen.c,
 * parse_action.c and parse_match.c.  Their shared state is in
 * include/parse_internal.h.
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
#include "parse_internal.h"
#include "tls.h"

struct parser	 ps;

int		 yyparse(void);
static int	 yylex(void);
static void	 yyerror(const char *);
static struct table *table_string(const char *);
static void	 table_inline_begin(const char *);
static struct table *table_inline_end(void);
static void	 table_value(const char *, const char *);
static void	 table_decl(const char *, const char *);
static struct table *table_ref(const char *);
static void	 set_limit(const char *, const char *, int64_t);
static void	 mta_limit(int, const char *, int64_t);
static void	 set_size(const char *);
static void	 set_global_path(char **, const char *, const char *, int);
static void	 set_resolver(const char *);
static void	 set_queue_encryption(const char *);
static void	 set_delay(time_t *, const char *, const char *);
static void	 add_bounce_delay(const char *);
static void	 set_smtp_timeout(const char *, const char *);
static void	 set_srs_key(char **, const char *);
static void	 set_srs_ttl(const char *);
static void	 set_subaddr_delim(const char *);
static void	 set_admd(const char *);
static void	 add_wrapper(const char *, const char *);
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
%token	BARE_CR BARE_LF RETRY_DELAY TIMEOUT
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
%type	<v.number>	negation regex bare_policy

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

include		: INCLUDE STRING		{ parse_include($2); }
		;

varset		: STRING '=' str		{ parse_macro_set($1, $3); }
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
		| QUEUE RETRY_DELAY str		{
			set_delay(&ps.conf->sc_queue_retry_delay, $3,
			    "retry-delay");
			if (ps.conf->sc_queue_retry_delay < 1)
				parse_error("retry-delay must be at least 1s");
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
			if (tls_ciphers_check($3) == -1)
				parse_error("invalid ciphers: %s", $3);
			free(ps.conf->sc_smtp_ciphers);
			ps.conf->sc_smtp_ciphers = parse_xstrdup($3);
		}
		| SMTP MAX_MESSAGE_SIZE str	{ set_size($3); }
		| SMTP SUB_ADDR_DELIM str	{ set_subaddr_delim($3); }
		| SMTP TIMEOUT STRING str	{ set_smtp_timeout($3, $4); }
		| SMTP TIMEOUT DATA str		{ set_smtp_timeout("data", $4); }
		| SMTP BARE_LF bare_policy	{ ps.conf->sc_smtp_bare_lf = $3; }
		| SMTP BARE_CR bare_policy	{ ps.conf->sc_smtp_bare_cr = $3; }
		;

bare_policy	: REJECT			{ $$ = SMTP_BARE_REJECT; }
		| STRING			{
			if (strcmp($1, "accept") == 0)
				$$ = SMTP_BARE_ACCEPT;
			else {
				parse_error("expected accept or reject, "
				    "not %s", $1);
				$$ = SMTP_BARE_REJECT;
			}
		}
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
				parse_error("invalid max-deferred: %lld",
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

pki		: PKI str			{ parse_pki_begin($2); } pki_params
		;

pki_params	: pki_param
		| pki_params pki_param
		;

pki_param	: CERT str			{ parse_pki_cert($2); }
		| KEY str			{ parse_pki_key($2); }
		| DHE str			{ parse_pki_dhe($2); }
		;

ca		: CA str CERT str		{ parse_ca_decl($2, $4); }
		;

/* ---------------------------------------------------------------- */
/* proc, filter */

proc		: PROC str str			{ parse_proc_begin($2, $3, 0); }
		  proc_params			{ parse_proc_end(); }
		;

proc_params	: /* empty */
		| proc_params proc_param
		;

proc_param	: USER str			{ parse_proc_user(0, $2); }
		| GROUP str			{ parse_proc_user(1, $2); }
		| CHROOT str			{ parse_proc_user(2, $2); }
		;

filter		: FILTER str PROC str		{
			parse_filter_begin($2, FILTER_PROC);
			parse_filter_proc($4);
			parse_filter_end();
		}
		| FILTER str PROC_EXEC str	{
			parse_filter_begin($2, FILTER_PROC_EXEC);
			parse_proc_begin($2, $4, 1);
		} proc_params			{ parse_proc_end(); parse_filter_end(); }
		| FILTER str CHAIN		{
			parse_filter_begin($2, FILTER_CHAIN);
			parse_chain_begin(0);
		} '{' optnl filter_list optsep '}' {
			(void)parse_chain_end();
			parse_filter_end();
		}
		| FILTER str PHASE		{
			parse_filter_begin($2, FILTER_BUILTIN);
		} filter_phase MATCH fconds fdecision { parse_filter_end(); }
		;

filter_list	: filterel
		| filter_list sep filterel
		;

filterel	: str				{ parse_chain_add($1); }
		;

filterref	: str				{ $$ = parse_filter_named($1); }
		| '{'				{ parse_chain_begin(1); }
		  optnl filter_list optsep '}'	{ $$ = parse_chain_end(); }
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

fcond		: negation FCRDNS		{ parse_fcond($1, FCOND_FCRDNS, 0, NULL); }
		| negation RDNS			{ parse_fcond($1, FCOND_RDNS, 0, NULL); }
		| negation RDNS regex tables	{ parse_fcond($1, FCOND_RDNS, $3, $4); }
		| negation SRC regex tables	{ parse_fcond($1, FCOND_SRC, $3, $4); }
		| negation HELO regex tables	{ parse_fcond($1, FCOND_HELO, $3, $4); }
		| negation AUTH			{ parse_fcond($1, FCOND_AUTH, 0, NULL); }
		| negation AUTH regex tables	{ parse_fcond($1, FCOND_AUTH, $3, $4); }
		| negation MAIL_FROM regex tables {
			parse_fcond($1, FCOND_MAIL_FROM, $3, $4);
		}
		| negation RCPT_TO regex tables	{ parse_fcond($1, FCOND_RCPT_TO, $3, $4); }
		;

fdecision	: BYPASS			{ parse_fdecision(FDEC_BYPASS, NULL); }
		| JUNK				{ parse_fdecision(FDEC_JUNK, NULL); }
		| REJECT str			{ parse_fdecision(FDEC_REJECT, $2); }
		| DISCONNECT str		{ parse_fdecision(FDEC_DISCONNECT, $2); }
		| REWRITE str			{ parse_fdecision(FDEC_REWRITE, $2); }
		| REPORT str			{ parse_fdecision(FDEC_REPORT, $2); }
		;

/* ---------------------------------------------------------------- */
/* listen */

listen		: LISTEN ON			{ parse_listen_begin(); }
		  listen_tgt listen_opts	{ parse_listen_end(); }
		;

listen_tgt	: SOCKET			{ parse_listen_target(1, NULL); }
		| str				{ parse_listen_target(0, $1); }
		;

listen_opts	: /* empty */
		| listen_opts listen_opt
		;

listen_opt	: INET4				{ parse_listen_family(AF_INET); }
		| INET6				{ parse_listen_family(AF_INET6); }
		| PORT NUMBER			{ parse_listen_port_num($2); }
		| PORT STRING			{ parse_listen_port_name($2); }
		| PORT SMTP			{ parse_listen_port_name("smtp"); }
		| PORT SMTPS			{ parse_listen_port_name("smtps"); }
		| TLS				{ parse_listen_tls(L_TLS); }
		| TLS_REQUIRE			{ parse_listen_tls(L_TLS | L_TLS_REQUIRE); }
		| TLS_REQUIRE VERIFY		{
			parse_listen_tls(L_TLS | L_TLS_REQUIRE | L_TLS_VERIFY);
		}
		| SMTPS				{ parse_listen_tls(L_SMTPS); }
		| SMTPS VERIFY			{ parse_listen_tls(L_SMTPS | L_TLS_VERIFY); }
		| AUTH				{ parse_listen_auth(L_AUTH_REQUIRE, NULL); }
		| AUTH tables			{ parse_listen_auth(L_AUTH_REQUIRE, $2); }
		| AUTH_OPTIONAL			{ parse_listen_auth(0, NULL); }
		| AUTH_OPTIONAL tables		{ parse_listen_auth(0, $2); }
		| HOSTNAME str			{
			parse_listen_str(LO_HOSTNAME, &ps.lo.hostname, $2, "hostname");
		}
		| HOSTNAMES tables		{
			parse_listen_table(LO_HOSTNAMES, &ps.lo.hostnames, $2,
			    "hostnames");
		}
		| TAG str			{
			parse_listen_str(LO_TAG, &ps.lo.tag, $2, "tag");
		}
		| SENDERS tables		{
			parse_listen_table(LO_SENDERS, &ps.lo.senders, $2, "senders");
		}
		| SENDERS tables MASQUERADE	{
			parse_listen_table(LO_SENDERS, &ps.lo.senders, $2, "senders");
			ps.lo.flags |= L_MASQUERADE;
		}
		| MASK_SRC			{
			parse_listen_flag(LO_MASK_SRC, L_MASK_SRC, "mask-src");
		}
		| RECEIVED_AUTH			{
			parse_listen_flag(LO_RECV_AUTH, L_RECEIVED_AUTH,
			    "received-auth");
		}
		| NO_DSN			{
			parse_listen_flag(LO_NO_DSN, L_NO_DSN, "no-dsn");
		}
		| PROXY_V2			{
			parse_listen_flag(LO_PROXY, L_PROXY_V2, "proxy-v2");
		}
		| PKI str			{ parse_listen_pki($2); }
		| CA str			{ parse_listen_ca($2); }
		| FILTER filterref		{ parse_listen_filter($2); }
		| CIPHERS str			{
			parse_listen_str(LO_CIPHERS, &ps.lo.ciphers, $2, "ciphers");
		}
		| PROTOCOLS str			{
			parse_listen_str(LO_PROTOCOLS, &ps.lo.protocols, $2,
			    "protocols");
		}
		;

/* ---------------------------------------------------------------- */
/* action */

action		: ACTION str			{ parse_action_begin($2); }
		  action_method action_opts	{ parse_action_end(); }
		;

action_method	: MBOX			{ parse_action_method(ACTION_MBOX, NULL, 0); }
		| MAILDIR		{ parse_action_method(ACTION_MAILDIR, NULL, 0); }
		| MAILDIR JUNK		{
			parse_action_method(ACTION_MAILDIR, NULL, A_JUNK);
		}
		| MAILDIR str		{ parse_action_method(ACTION_MAILDIR, $2, 0); }
		| MAILDIR str JUNK	{
			parse_action_method(ACTION_MAILDIR, $2, A_JUNK);
		}
		| LMTP str		{ parse_action_method(ACTION_LMTP, $2, 0); }
		| LMTP str RCPT_TO	{
			parse_action_method(ACTION_LMTP, $2, A_RCPT_TO);
		}
		| MDA str		{ parse_action_method(ACTION_MDA, $2, 0); }
		| FORWARD_ONLY		{
			parse_action_method(ACTION_FORWARD_ONLY, NULL, 0);
		}
		| EXPAND_ONLY		{
			parse_action_method(ACTION_EXPAND_ONLY, NULL, 0);
		}
		| RELAY			{ parse_action_method(ACTION_RELAY, NULL, 0); }
		;

action_opts	: /* empty */
		| action_opts action_opt
		;

action_opt	: USER str		{
			parse_action_str(&ps.action->a_user, $2, "user", 0);
		}
		| ALIAS tables		{
			parse_action_table(&ps.action->a_alias, $2, "alias", 0);
		}
		| VIRTUAL tables	{
			parse_action_table(&ps.action->a_virtual, $2, "virtual", 0);
		}
		| USERBASE tables	{
			parse_action_table(&ps.action->a_userbase, $2, "userbase", 0);
		}
		| WRAPPER str		{
			parse_action_str(&ps.action->a_wrapper, $2, "wrapper", 0);
		}
		| TTL str		{ parse_action_ttl($2); }
		| HELO str		{
			parse_action_str(&ps.action->a_helo, $2, "helo", 1);
		}
		| HELO_SRC tables	{
			parse_action_table(&ps.action->a_helo_src, $2, "helo-src", 1);
		}
		| PKI str		{ parse_action_pki($2); }
		| CA str		{ parse_action_ca($2); }
		| CIPHERS str		{
			parse_action_str(&ps.action->a_ciphers, $2, "ciphers", 1);
		}
		| PROTOCOLS str		{
			parse_action_str(&ps.action->a_protocols, $2, "protocols", 1);
		}
		| SRC tables		{
			parse_action_table(&ps.action->a_src, $2, "src", 1);
		}
		| MAIL_FROM str		{
			parse_action_str(&ps.action->a_mail_from, $2, "mail-from", 1);
		}
		| BACKUP		{ parse_action_backup(NULL); }
		| BACKUP MX str		{ parse_action_backup($3); }
		| HOST tables		{ parse_action_host($2); }
		| DOMAIN tables		{ parse_action_domain($2); }
		| TLS			{ parse_action_flag(A_TLS, "tls"); }
		| TLS NO_VERIFY		{
			parse_action_flag(A_TLS | A_NO_VERIFY, "tls");
		}
		| AUTH tables		{
			parse_action_table(&ps.action->a_auth, $2, "auth", 1);
		}
		| FILTER filterref	{ parse_action_filter($2); }
		| SRS			{ parse_action_flag(A_SRS, "srs"); }
		;

/* ---------------------------------------------------------------- */
/* match */

match		: MATCH				{ parse_match_begin(); }
		  match_opts match_decision
		;

match_decision	: REJECT			{ parse_match_end(NULL); }
		| ACTION str			{ parse_match_end($2); }
		;

match_opts	: /* empty */
		| match_opts match_opt
		;

match_opt	: negation FROM ANY	{ parse_match_from($1, FROM_ANY, 0, NULL); }
		| negation FROM LOCAL	{ parse_match_from($1, FROM_LOCAL, 0, NULL); }
		| negation FROM SOCKET	{ parse_match_from($1, FROM_SOCKET, 0, NULL); }
		| negation FROM SRC regex tables {
			parse_match_from($1, FROM_SRC, $4, $5);
		}
		| negation FROM AUTH	{ parse_match_from($1, FROM_AUTH, 0, NULL); }
		| negation FROM AUTH regex tables {
			parse_match_from($1, FROM_AUTH, $4, $5);
		}
		| negation FROM RDNS	{ parse_match_from($1, FROM_RDNS, 0, NULL); }
		| negation FROM RDNS regex tables {
			parse_match_from($1, FROM_RDNS, $4, $5);
		}
		| negation FROM MAIL_FROM regex tables {
			parse_match_from($1, FROM_MAIL_FROM, $4, $5);
		}
		| negation FOR ANY	{ parse_match_for($1, FOR_ANY, 0, NULL); }
		| negation FOR LOCAL	{ parse_match_for($1, FOR_LOCAL, 0, NULL); }
		| negation FOR DOMAIN regex tables {
			parse_match_for($1, FOR_DOMAIN, $4, $5);
		}
		| negation FOR RCPT_TO regex tables {
			parse_match_for($1, FOR_RCPT_TO, $4, $5);
		}
		| negation AUTH		{ parse_match_opt($1, MOPT_AUTH, 0, NULL); }
		| negation AUTH regex tables {
			parse_match_opt($1, MOPT_AUTH, $3, $4);
		}
		| negation MAIL_FROM regex tables {
			parse_match_opt($1, MOPT_MAIL_FROM, $3, $4);
		}
		| negation RCPT_TO regex tables {
			parse_match_opt($1, MOPT_RCPT_TO, $3, $4);
		}
		| negation HELO regex tables {
			parse_match_opt($1, MOPT_HELO, $3, $4);
		}
		| negation TAG regex tables {
			parse_match_opt($1, MOPT_TAG, $3, $4);
		}
		| negation TLS		{ parse_match_opt($1, MOPT_TLS, 0, NULL); }
		;

%%

/* ------------------------------------------------------------------ */
/* The lexer (parse_lex.c), as yyparse() calls it */

static int
yylex(void)
{
	return parse_yylex();
}

static void
yyerror(const char *msg)
{
	parse_yyerror(msg);
}

int
config_is_keyword(const char *s)
{
	return parse_keyword(s) != STRING;
}

/* ------------------------------------------------------------------ */
/* Recovery: a syntax error abandoned the statement being built. */

void
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
		parse_nomem();
		return NULL;
	}
	t->t_flags |= T_STRING | T_LIST;
	t->t_line = ps.tok_line;
	if (config_table_add(t, s, NULL) == -1)
		parse_nomem();
	return t;
}

static void
table_inline_begin(const char *name)
{
	struct table	*t;

	if (name != NULL && config_table_find(ps.conf, name) != NULL) {
		/* keep parsing its entries, as an anonymous table */
		parse_error("table \"%s\" already defined", name);
		name = NULL;
	}
	if (name != NULL && name[0] == '#') {
		parse_error("invalid table name: %s", name);
		name = NULL;
	}
	if ((t = config_table_new(ps.conf, name)) == NULL) {
		parse_nomem();
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
		parse_error("table mixes list entries and key-value pairs");
		return;
	}
	ps.table_kind = kind;
	if (config_table_add(ps.table, key, val) == -1) {
		if (errno == E2BIG)
			parse_error("too many entries in table (at most %d)",
			    CONF_MAX_TABLE_ENTRIES);
		else
			parse_nomem();
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
		parse_error("table \"%s\" already defined", name);
		return;
	}
	if (name[0] == '#') {
		parse_error("invalid table name: %s", name);
		return;
	}
	if (spec[0] == '/') {
		backend = parse_strdup("static");
		config = spec;
	} else {
		len = strcspn(spec, ":");
		backend = parse_strdup(spec);
		backend[len] = '\0';
		if (spec[len] == ':')
			config = spec + len + 1;
		if (config != NULL && config[0] != '/') {
			parse_error("invalid backend parameter for table: %s", name);
			return;
		}
		if (!backend_name_ok(backend)) {
			parse_error("invalid table backend: %s", backend);
			return;
		}
	}
	if ((t = config_table_new(ps.conf, name)) == NULL) {
		parse_nomem();
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
	t->t_backend_name = parse_xstrdup(backend);
	t->t_config = parse_xstrdup(config);
	if (t->t_backend != TABLE_PROC && config == NULL)
		parse_error("table \"%s\": backend %s needs an absolute path", name,
		    backend);
}

static struct table *
table_ref(const char *name)
{
	struct table	*t;

	if ((t = config_table_find(ps.conf, name)) == NULL)
		parse_error("no such table: %s", name);
	return t;
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
		else if (strcmp(key, "max-sessions") == 0)
			field = &c->sc_smtp_max_sessions;
		else if (strcmp(key, "max-sessions-per-ip") == 0)
			field = &c->sc_smtp_max_sessions_per_ip;
		else if (strcmp(key, "max-failures") == 0)
			field = &c->sc_smtp_max_failures;
		else {
			parse_error("invalid session limit keyword: %s", key);
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
			parse_error("invalid mda limit keyword: %s", key);
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
			parse_error("invalid scheduler limit keyword: %s", key);
			return;
		}
	}
	if (val < 1 || val > CONF_MAX_NUMBER) {
		parse_error("invalid value for %s: %lld", key, (long long)val);
		return;
	}
	*field = (size_t)val;
}

static void
mta_limit(int family, const char *key, int64_t val)
{
	struct mta_limit	*ml;

	if (key != NULL && !config_mta_limit_key_ok(key)) {
		parse_error("invalid mta limit keyword: %s", key);
		return;
	}
	if (key != NULL && (val < 0 || val > CONF_MAX_NUMBER)) {
		parse_error("invalid value for %s: %lld", key, (long long)val);
		return;
	}
	if ((ml = calloc(1, sizeof(*ml))) == NULL) {
		parse_nomem();
		return;
	}
	ml->ml_family = family;
	ml->ml_value = val;
	if (ps.mta_domain != NULL)
		ml->ml_domain = parse_xstrdup(ps.mta_domain);
	if (key != NULL)
		ml->ml_key = parse_xstrdup(key);
	TAILQ_INSERT_TAIL(&ps.conf->sc_mta_limits, ml, ml_entry);
}

static void
set_size(const char *s)
{
	if (config_parse_size(s, &ps.conf->sc_max_message_size) == -1)
		parse_error("invalid size: %s", s);
}

static void
set_global_path(char **field, const char *val, const char *what,
    int is_socket)
{
	struct sockaddr_un	sun;

	if (*field != NULL) {
		parse_error("%s already specified", what);
		return;
	}
	if (val[0] != '/') {
		parse_error("%s must be an absolute path: %s", what, val);
		return;
	}
	if (is_socket && strlen(val) >= sizeof(sun.sun_path)) {
		parse_error("%s path too long: %s", what, val);
		return;
	}
	*field = parse_xstrdup(val);
}

static void
set_resolver(const char *s)
{
	if (ps.conf->sc_resolver != NULL) {
		parse_error("resolver already specified");
		return;
	}
	if (config_resolver_parse(s, NULL, NULL) == -1) {
		parse_error("invalid resolver address: %s", s);
		return;
	}
	ps.conf->sc_resolver = parse_xstrdup(s);
}

static void
set_queue_encryption(const char *key)
{
	struct smtpd_config	*c = ps.conf;

	if (c->sc_queue_encryption != QUEUE_ENC_NONE) {
		parse_error("queue encryption already specified");
		return;
	}
	if (key == NULL)
		c->sc_queue_encryption = QUEUE_ENC_PROMPT;
	else if (strcasecmp(key, "stdin") == 0 || strcmp(key, "-") == 0)
		c->sc_queue_encryption = QUEUE_ENC_STDIN;
	else if (key[0] == '\0')
		parse_error("empty queue encryption key");
	else {
		c->sc_queue_encryption = QUEUE_ENC_KEY;
		c->sc_queue_key = parse_xstrdup(key);
	}
}

static void
set_delay(time_t *field, const char *s, const char *what)
{
	if (config_parse_delay(s, field) == -1)
		parse_error("invalid %s delay: %s", what, s);
}

static void
add_bounce_delay(const char *s)
{
	struct smtpd_config	*c = ps.conf;
	time_t			 t;

	if (config_parse_delay(s, &t) == -1) {
		parse_error("invalid bounce delay: %s", s);
		return;
	}
	if (c->sc_nbounce_warn >= BOUNCE_MAX_WARN) {
		parse_error("too many bounce warn-interval delays (at most %d)",
		    BOUNCE_MAX_WARN);
		return;
	}
	c->sc_bounce_warn[c->sc_nbounce_warn++] = t;
}

/* "smtp timeout command|data DELAY" (Postern's own). */
static void
set_smtp_timeout(const char *state, const char *delay)
{
	time_t	*field;

	if (strcmp(state, "command") == 0)
		field = &ps.conf->sc_smtp_timeout_command;
	else if (strcmp(state, "data") == 0)
		field = &ps.conf->sc_smtp_timeout_data;
	else {
		parse_error("invalid smtp timeout state: %s (command or data)",
		    state);
		return;
	}
	if (config_parse_delay(delay, field) == -1 || *field < 1)
		parse_error("invalid smtp timeout delay: %s", delay);
}

static void
set_srs_key(char **field, const char *key)
{
	if (*field != NULL) {
		parse_error("srs key%s already specified",
		    field == &ps.conf->sc_srs_key ? "" : " backup");
		return;
	}
	if (key[0] == '\0') {
		parse_error("empty srs key");
		return;
	}
	*field = parse_xstrdup(key);
}

static void
set_srs_ttl(const char *s)
{
	time_t	t;

	if (config_parse_delay(s, &t) == -1) {
		parse_error("ttl delay \"%s\" is invalid", s);
		return;
	}
	if (t < 86400) {
		parse_error("ttl delay \"%s\" is too short", s);
		return;
	}
	ps.conf->sc_srs_ttl_days = (int)(t / 86400);
}

static void
set_subaddr_delim(const char *s)
{
	if (strlen(s) != 1) {
		parse_error("subaddressing-delimiter must be one character");
		return;
	}
	if (isspace((unsigned char)*s) || !isprint((unsigned char)*s) ||
	    *s == '@') {
		parse_error("sub-addr-delim uses invalid character");
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
			parse_error("not a valid admd");
			return;
		}
	if (*s == '\0') {
		parse_error("not a valid admd");
		return;
	}
	free(ps.conf->sc_admd);
	ps.conf->sc_admd = parse_xstrdup(s);
}

static void
add_wrapper(const char *name, const char *cmd)
{
	struct mda_wrapper	*w;

	if (config_wrapper_find(ps.conf, name) != NULL) {
		parse_error("mda wrapper already declared with that name: %s", name);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		parse_nomem();
		return;
	}
	w->w_name = parse_xstrdup(name);
	w->w_command = parse_xstrdup(cmd);
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
fill_defaults(struct smtpd_config *c)
{
	struct listener		*l;
	struct sockaddr_un	*sun;

	if (c->sc_queue_path == NULL)
		c->sc_queue_path = parse_xstrdup(CONF_DEFAULT_QUEUE_PATH);
	if (c->sc_control_path == NULL)
		c->sc_control_path = parse_xstrdup(CONF_DEFAULT_CONTROL_PATH);
	if (c->sc_pidfile == NULL)
		c->sc_pidfile = parse_xstrdup(CONF_DEFAULT_PIDFILE);
	if ((l = config_socket_listener(c)) == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL) {
			parse_nomem();
			return;
		}
		l->l_name = parse_xstrdup("socket");
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
	struct smtpd_config	*conf;
	const char		*topname;
	int			 lastline, errors;

	memset(&ps, 0, sizeof(ps));
	parse_lex_begin();
	if (opts == NULL) {
		config_opts_init(&defopts);
		opts = &defopts;
	}
	ps.opts = opts;
	ps.err = opts->co_err != NULL ? opts->co_err : stderr;
	ps.at_stmt_start = 1;

	if ((conf = config_new()) == NULL) {
		fprintf(ps.err, "%s: out of memory\n", path);
		return NULL;
	}
	ps.conf = conf;
	conf->sc_hostname = opts->co_no_files ? strdup("localhost") :
	    config_server_name();
	if (conf->sc_hostname == NULL)
		parse_nomem();

	TAILQ_FOREACH(cm, &opts->co_macros, cm_entry)
		parse_macro_define(cm->cm_name, cm->cm_value);

	if (parse_lex_open(path) == 0) {
		(void)yyparse();
		parse_recover();
		lastline = parse_lex_last_line(&topname);
		parse_pki_check();
		if (TAILQ_EMPTY(&conf->sc_matches))
			parse_error_file(topname, lastline,
			    "no rules, nothing to do");
		if (opts->co_verbose)
			parse_macros_warn_unused();
		fill_defaults(conf);
	}

	parse_lex_end();
	free(ps.pki_origins);
	ps.pki_origins = NULL;
	ps.npki_origins = 0;
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
