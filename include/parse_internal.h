/*
 * Private to the smtpd.conf parser: parse.y (grammar, tables, global
 * settings, config_parse()) and the parse_*.c files it is split into.
 * Only those files include this header; the rest of the daemon sees
 * config_parse() and friends through config.h.
 *
 * The parser state `ps` is one global because yacc's yyparse() takes no
 * argument; config_parse() clears it before and after each parse.
 */
#ifndef PARSE_INTERNAL_H
#define PARSE_INTERNAL_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "postern_limits.h"

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

/* Where a pki was declared, to report a missing cert or key there. */
struct pki_origin {
	struct pki	*po_pki;
	const char	*po_file;
	int		 po_line;
};

/* Lexer-only types (parse_lex.c). */
struct pfile;
struct macro;
struct pool_str;
TAILQ_HEAD(macros, macro);

struct parser {
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
	struct pki_origin	*pki_origins;
	size_t			 npki_origins;
	int			 proc_for_filter; /* proc is a filter's */
	int			 action_dup;	/* action name was taken */
};

extern struct parser	ps;

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

extern YYSTYPE	yylval;		/* defined by yacc in parse.c */

/* parse.y */
void		 parse_recover(void);

/* parse_lex.c */
int		 parse_keyword(const char *);
int		 parse_yylex(void);
void		 parse_yyerror(const char *);
void		 parse_lex_begin(void);
int		 parse_lex_open(const char *);
int		 parse_lex_last_line(const char **);
void		 parse_macro_define(const char *, const char *);
void		 parse_macros_warn_unused(void);
void		 parse_lex_end(void);
const char	*parse_file_name(void);
void		 parse_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 parse_error_at(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 parse_error_file(const char *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 parse_nomem(void);
char		*parse_strdup(const char *);
char		*parse_xstrdup(const char *);
void		 parse_include(const char *);
void		 parse_macro_set(const char *, const char *);

/* parse_pki.c */
int		 parse_hostname_ok(const char *);
int		 parse_addr_literal_ok(const char *);
void		 parse_pki_begin(const char *);
void		 parse_pki_cert(const char *);
void		 parse_pki_key(const char *);
void		 parse_pki_dhe(const char *);
void		 parse_ca_decl(const char *, const char *);
void		 parse_pki_check(void);

/* parse_filter.c */
void		 parse_proc_begin(const char *, const char *, int);
void		 parse_proc_user(int, const char *);
void		 parse_proc_end(void);
void		 parse_filter_begin(const char *, enum filter_type);
void		 parse_filter_proc(const char *);
void		 parse_filter_end(void);
void		 parse_chain_begin(int);
struct filter	*parse_chain_end(void);
void		 parse_chain_add(const char *);
struct filter	*parse_filter_named(const char *);
void		 parse_fcond(int, enum filter_cond_kind, int, struct table *);
void		 parse_fdecision(enum filter_decision, const char *);

/* parse_listen.c */
void		 parse_listen_begin(void);
void		 parse_listen_target(int, const char *);
void		 parse_listen_flag(uint32_t, uint32_t, const char *);
void		 parse_listen_tls(uint32_t);
void		 parse_listen_auth(uint32_t, struct table *);
void		 parse_listen_port_num(int64_t);
void		 parse_listen_port_name(const char *);
void		 parse_listen_family(int);
void		 parse_listen_str(uint32_t, char **, const char *,
		    const char *);
void		 parse_listen_table(uint32_t, struct table **, struct table *,
		    const char *);
void		 parse_listen_pki(const char *);
void		 parse_listen_ca(const char *);
void		 parse_listen_filter(struct filter *);
void		 parse_listen_end(void);

/* parse_action.c */
void		 parse_action_begin(const char *);
void		 parse_action_method(enum action_type, const char *, uint32_t);
void		 parse_action_str(char **, const char *, const char *, int);
void		 parse_action_table(struct table **, struct table *,
		    const char *, int);
void		 parse_action_flag(uint32_t, const char *);
void		 parse_action_ttl(const char *);
void		 parse_action_host(struct table *);
void		 parse_action_backup(const char *);
void		 parse_action_domain(struct table *);
void		 parse_action_pki(const char *);
void		 parse_action_ca(const char *);
void		 parse_action_filter(struct filter *);
void		 parse_action_end(void);

/* parse_match.c */
void		 parse_match_begin(void);
void		 parse_match_from(int, enum match_from, int, struct table *);
void		 parse_match_for(int, enum match_for, int, struct table *);
void		 parse_match_opt(int, enum match_opt, int, struct table *);
void		 parse_match_end(const char *);

#endif /* PARSE_INTERNAL_H */
