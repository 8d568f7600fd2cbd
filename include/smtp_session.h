/*
 * Inside the smtp process: the listeners and session registry of smtp.c,
 * the SMTP session state machine of smtp_session.c and the transaction
 * of smtp_tx.c.  Nothing outside the smtp process includes this.
 */
#ifndef POSTERN_SMTP_SESSION_H
#define POSTERN_SMTP_SESSION_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "postern_limits.h"
#include "tls.h"

/* A listening socket received from the parent; sessions hold a
 * reference, so that a reload can drop it while they last. */
struct smtp_listener {
	TAILQ_ENTRY(smtp_listener) sl_entry;
	int			 sl_fd;
	struct event		 sl_ev;
	int			 sl_ev_on;	/* sl_ev is added */
	uint32_t		 sl_index;	/* in sc_listeners */
	uint32_t		 sl_flags;	/* L_* */
	int			 sl_old;	/* not in the newest set */
	unsigned int		 sl_refs;	/* sessions, +1 while open */
	char			 sl_hostname[SMTP_DOMAIN_MAX + 1];
	char			 sl_tag[CONF_MAX_TAG + 1];
	int			 sl_senders;	/* `senders`: lka checks MAIL */
	SSL_CTX			*sl_tls;	/* a reference; NULL: no TLS */
};

enum smtp_state {
	SMTP_S_CONNECTED,	/* greeted, waiting for HELO/EHLO */
	SMTP_S_HELO,		/* identified, no transaction */
	SMTP_S_MAIL,		/* MAIL accepted, no recipient yet */
	SMTP_S_RCPT,		/* one recipient accepted or more */
	SMTP_S_DATA,		/* reading the DATA body */
	SMTP_S_BDAT,		/* reading the bytes of a BDAT chunk */
	SMTP_S_CHUNKS,		/* between two BDAT chunks */
	SMTP_S_QUIT,		/* the last reply goes out, then close */
};

/* What the session waits for; input is not read meanwhile. */
enum smtp_wait {
	SMTP_W_NONE,
	SMTP_W_CREATE,		/* IMSG_QUEUE_MESSAGE_CREATE */
	SMTP_W_RCPT,		/* IMSG_LKA_RCPT */
	SMTP_W_COMMIT,		/* IMSG_QUEUE_MESSAGE_COMMIT */
	SMTP_W_TLS,		/* the TLS handshake (STARTTLS, smtps) */
	SMTP_W_AUTH,		/* IMSG_LKA_AUTH, then the failure delay */
	SMTP_W_SENDER,		/* IMSG_LKA_SENDER_CHECK */
};

/* s_flags */
#define SF_EHLO		0x0001	/* identified with EHLO */
#define SF_CLOSING	0x0002	/* close once the output is sent */
#define SF_DISCARD	0x0004	/* skipping a too long line up to LF */
#define SF_EOF		0x0008	/* the client closed its side */
#define SF_ZOMBIE	0x0010	/* socket gone, an answer still due */
#define SF_PRESSURE	0x0020	/* timeouts set for a crowded server */
#define SF_CHUNK_BAD	0x0040	/* current BDAT chunk is discarded */
#define SF_TLS		0x0080	/* the channel is encrypted */
#define SF_TLS_VERIFIED	0x0100	/* ... and the client's certificate verified */
#define SF_AUTHENTICATED 0x0200	/* AUTH succeeded: s_authuser is set */

struct smtp_tx;
struct smtp_auth;		/* smtp_auth.c */

struct smtp_session {
	RB_ENTRY(smtp_session)	 s_node;	/* by s_reqid */
	TAILQ_ENTRY(smtp_session) s_entry;	/* every live session */
	uint32_t		 s_reqid;	/* peerid of our requests */
	uint64_t		 s_id;		/* log key, %016llx */
	struct bufferevent	*s_bev;		/* NULL once closed */
	struct smtp_listener	*s_l;
	struct sockaddr_storage	 s_ss;		/* the client */
	char			 s_addr[INET6_ADDRSTRLEN];
	enum smtp_state		 s_state;
	enum smtp_wait		 s_wait;
	unsigned int		 s_flags;
	unsigned int		 s_failures;	/* failed commands in a row */
	size_t			 s_nmails;	/* transactions started */
	time_t			 s_timeout;	/* current idle timeout */
	uint64_t		 s_chunk_left;	/* BDAT bytes still to read */
	int			 s_chunk_last;	/* that chunk is the LAST */
	enum smtp_state		 s_chunk_ret;	/* state after a refused one */
	uint64_t		 s_chunk_size;	/* for its reply */
	char			*s_helo;	/* NULL before HELO/EHLO */
	struct smtp_tx		*s_tx;
	SSL			*s_ssl;		/* NULL: plaintext */
	char			 s_tls[TLS_DESC_MAX];	/* tls_describe() */
	char			 s_authuser[SMTP_AUTHUSER_MAX + 1];
	struct smtp_auth	*s_auth;	/* an AUTH exchange in progress */
	const char		*s_reason;	/* why it ends, for the log */
	char			 s_cmd[SMTP_LOG_CMD_MAX + 1]; /* for logs */
};

/* smtp.c: the registry, limits and peers. */
void		 smtp_listener_unref(struct smtp_listener *);
/* The session's socket is closed: it no longer counts against limits. */
void		 smtp_session_detach(struct smtp_session *);
/* The session is freed: no answer may name its request id any more. */
void		 smtp_session_forget(struct smtp_session *);
/* More than 3/4 of the session limit in use: shorter idle timeouts. */
int		 smtp_pressure(void);

/* smtp_session.c */
struct smtp_session *smtp_session_new(struct smtp_listener *, int fd,
		    const struct sockaddr_storage *, uint32_t reqid);
void		 smtp_session_timeouts(struct smtp_session *);
/* The session's socket is now this bufferevent (plaintext or TLS). */
void		 smtp_session_setio(struct smtp_session *,
		    struct bufferevent *);
void		 smtp_session_greet(struct smtp_session *);
const char	*smtp_state_name(enum smtp_state);
void		 smtp_reply(struct smtp_session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 smtp_session_close(struct smtp_session *, const char *reason);
void		 smtp_session_resume(struct smtp_session *);
void		 smtp_session_free(struct smtp_session *);

/* smtp_command.c: one command line (CRLF removed, NUL-terminated,
 * writable); the end of DATA or of the last chunk; the end of a chunk;
 * a fatal result of the data decoder. */
void		 smtp_command(struct smtp_session *, char *line, size_t len);
void		 smtp_command_data_end(struct smtp_session *);
void		 smtp_command_chunk_end(struct smtp_session *);
void		 smtp_command_bare(struct smtp_session *, int);

/* smtp_tls.c: the STARTTLS verb (check, proceed), whether EHLO offers
 * it; the handshake on a socket (smtps) or on the session's channel
 * once STARTTLS's 220 is out; its outcome; close_notify at the end. */
int		 smtp_tls_check(struct smtp_session *, char *);
void		 smtp_tls_starttls(struct smtp_session *, char *);
int		 smtp_tls_offered(const struct smtp_session *);
void		 smtp_tls_accept(struct smtp_session *, int fd);
void		 smtp_tls_event(struct smtp_session *, short what);
void		 smtp_tls_close(struct smtp_session *);

/* smtp_auth.c: the AUTH verb (check, proceed), whether EHLO offers it;
 * the client's lines while the exchange lasts (s_auth set), a line over
 * the limit in it; lka's IMSG_LKA_AUTH; the command text for logs with
 * credentials masked; freeing the exchange with the session. */
struct ipc_msg;
int		 smtp_auth_check(struct smtp_session *, char *);
void		 smtp_auth_command(struct smtp_session *, char *);
int		 smtp_auth_offered(const struct smtp_session *);
void		 smtp_auth_input(struct smtp_session *, char *line, size_t len);
void		 smtp_auth_too_long(struct smtp_session *);
void		 smtp_auth_answer(struct smtp_session *, struct ipc_msg *);
void		 smtp_auth_log_mask(struct smtp_session *);
void		 smtp_auth_free(struct smtp_session *);

/* Answers from peers (smtp.c decodes, the session acts); each ends by
 * resuming the session's input. */
void		 smtp_session_created(struct smtp_session *, int ok,
		    uint32_t msgid, int fd);
void		 smtp_session_rcpt_answer(struct smtp_session *,
		    uint32_t code, const char *text);
void		 smtp_session_committed(struct smtp_session *, int ok);
/* IMSG_LKA_SENDER_CHECK: LKA_SENDER_OK, _REFUSED or _TEMPFAIL. */
void		 smtp_session_sender_answer(struct smtp_session *,
		    uint32_t result);

#endif
