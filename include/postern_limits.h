/*
 * Every numeric limit of Postern in one place.  A limit that protects the
 * daemon from its input is never computed elsewhere; code refers to these
 * names so that an audit can read them in one screen.
 */
#ifndef POSTERN_LIMITS_H
#define POSTERN_LIMITS_H

/* Inter-process messages (see ipc.h). */
#define IPC_HEADER_SIZE		16
#define IPC_MAX_SIZE		(64 * 1024)	/* header + payload */
#define IPC_MAX_PAYLOAD		(IPC_MAX_SIZE - IPC_HEADER_SIZE)
#define IPC_MAX_FDS_QUEUED	64		/* received, not yet claimed */
#define IPC_MAX_OUT_QUEUED	(64 * 1024 * 1024) /* bytes waiting to be sent */
#define IPC_MAX_FDS_PER_READ	16		/* control buffer of one recvmsg */
#define IPC_MAX_IOV		64		/* messages gathered per sendmsg */

/* Configuration. */
#define CONF_MAX_INCLUDE_DEPTH	16
#define CONF_MAX_MACRO_DEPTH	16
#define CONF_MAX_LINE		(64 * 1024)	/* one logical line */
#define CONF_MAX_ERRORS		100		/* then stop reporting */
#define CONF_MAX_NAME		128		/* table, action, pki names */
#define CONF_MAX_TAG		32		/* listener tags (OpenSMTPD) */
#define CONF_MAX_TOKEN		4096		/* one word or quoted string */
#define CONF_MAX_FILE_SIZE	(16 * 1024 * 1024) /* one config file */
#define CONF_MAX_PEM		(48 * 1024)	/* cert, key or CA bundle */
#define CONF_MAX_LISTENER_PKI	32		/* pki per listener (SNI) */
#define CONF_MAX_CHAIN		64		/* filters in one chain */
#define CONF_MAX_FILTER_CONDS	16		/* conditions of a builtin */
#define CONF_MAX_TABLE_ENTRIES	100000		/* one inline table */
#define CONF_MAX_MACROS		1024		/* defined macros */
#define CONF_MAX_LISTEN_ADDRS	256		/* addresses of one listen on */
#define CONF_MAX_DELAY		(365LL * 24 * 60 * 60) /* any delay option */
#define CONF_MAX_SIZE		(1LL << 40)	/* any size option */
#define CONF_MAX_NUMBER		1000000000LL	/* limit values */

/* Defaults of rarely changed settings (OpenSMTPD's values). */
#define CONF_DEFAULT_SRS_TTL_DAYS	4
#define CONF_DEFAULT_MTA_MAX_DEFERRED	100
#define CONF_DEFAULT_MDA_MAX_SESSION	50
#define CONF_DEFAULT_MDA_MAX_USER_SESSION 7
#define CONF_DEFAULT_MDA_TASK_LOWAT	30
#define CONF_DEFAULT_MDA_TASK_HIWAT	50
#define CONF_DEFAULT_MDA_TASK_RELEASE	10
#define CONF_DEFAULT_SCHED_MAX_INFLIGHT	5000
#define CONF_DEFAULT_SCHED_EVP_BATCH	256
#define CONF_DEFAULT_SCHED_MSG_BATCH	1024
#define CONF_DEFAULT_SCHED_MAX_SCHEDULE	10

/* TLS private-key operations forwarded to ca (tls_key.c, ca.c). */
#define TLS_KEY_CALL_TIMEOUT_MS	10000		/* then smtp/mta give up: fatal */
#define TLS_KEY_MAX_DIGEST	64		/* ECDSA input: SHA-512 at most */
#define TLS_KEY_MAX_ECDSA_SIG	256		/* DER signature (P-521: 139) */
#define TLS_KEY_MAX_RSA_BYTES	2048		/* 16384-bit modulus */

/* Control socket. */
#define CONTROL_MAX_CLIENTS	64
#define CONTROL_MAX_REQUEST	4096
#define CONTROL_ROOT_RESERVE	8		/* of MAX_CLIENTS, only for root */
#define CONTROL_IDLE_TIMEOUT	60		/* seconds without a request */
#define CONTROL_CLOSE_TIMEOUT	5		/* seconds to read a last answer */
#define CONTROL_ACCEPT_BACKOFF	1		/* seconds, when out of fds */
#define CONTROL_MAX_OUTPUT	(256 * 1024)	/* unread answers to one client */

/* SMTP defaults that config may override. */
#define SMTP_DEFAULT_MAX_MESSAGE_SIZE	(35 * 1024 * 1024)
#define SMTP_DEFAULT_MAX_RCPT		1000
#define SMTP_DEFAULT_MAX_MAILS		100
#define SMTP_DEFAULT_MAX_SESSIONS	4096	/* also capped by RLIMIT_NOFILE */
#define SMTP_DEFAULT_MAX_SESSIONS_PER_IP 64
#define SMTP_DEFAULT_MAX_FAILURES	10	/* failed commands in a row */
#define SMTP_DEFAULT_TIMEOUT_COMMAND	300	/* RFC 5321 4.5.3.2.7 */
#define SMTP_DEFAULT_TIMEOUT_DATA	180	/* RFC 5321 4.5.3.2.5 */

/* SMTP syntax (RFC 5321 4.5.3.1) and Postern's fixed SMTP limits. */
#define SMTP_LOCALPART_MAX	64		/* octets */
#define SMTP_DOMAIN_MAX		255
#define SMTP_PATH_MAX		256		/* <local@domain> incl. brackets */
#define SMTP_MAILBOX_MAX	(SMTP_PATH_MAX - 2) /* local@domain: any parsed
						 * address formats within it */
#define SMTP_LINE_MAX		2048		/* command line: 512 + room for
						 * ESMTP parameters (RFC 3461
						 * adds up to 600) */
#define SMTP_REPLY_MAX		512		/* one reply line */
#define SMTP_MAX_HOPS		100		/* Received: headers, then 554 */
#define SMTP_DSN_ENVID_MAX	100		/* RFC 3461 4.4 */
#define SMTP_DSN_ORCPT_MAX	500		/* RFC 3461 4.2 */
#define SMTP_AUTHUSER_MAX	255
#define SMTP_AUTH_PASSWD_MAX	1024		/* bytes of an AUTH password */
#define SMTP_AUTH_B64_MAX	SMTP_LINE_MAX	/* base64 characters of one
						 * AUTH response: the longest
						 * PLAIN message (255 + 255 +
						 * 1024 + 2 NULs) fits */
#define SMTP_AUTH_DELAY_FIRST	1		/* seconds before the 535 of a
						 * first failure; doubles with
						 * each failure from the same
						 * address ... */
#define SMTP_AUTH_DELAY_MAX	16		/* ... up to this */
#define SMTP_AUTH_MAX_FAILURES	5		/* failures per address within
						 * SMTP_AUTH_FAIL_WINDOW: then
						 * AUTH gets 454 at once */
#define SMTP_AUTH_FAIL_WINDOW	(15 * 60)	/* seconds a failure counts */
#define SMTP_AUTH_FAIL_ADDRS	8192		/* addresses remembered; the
						 * least recently failed one
						 * goes when full */
#define LKA_MAX_AUTH_PAM	256		/* PAM checks lka waits for */
#define PARENT_AUTH_MAX_CHILDREN 16		/* PAM children at once */
#define PARENT_AUTH_TIMEOUT	20		/* seconds a PAM child may run,
						 * then SIGKILL: tempfail */
#define SMTP_SESSION_FD_RESERVE	32		/* fds kept for the rest */
#define SMTP_MAX_PENDING_OUT	(256 * 1024)	/* unread replies: stop reading */
#define SMTP_LOG_CMD_MAX	100		/* command text kept for logs */
#define SMTP_TX_BUFFER		(16 * 1024)	/* message bytes gathered per
						 * write(2) to the spool */
#define SMTP_MAX_SINGLE_READ	(64 * 1024)	/* bytes taken from a client
						 * per read */
#define SMTP_MIN_TIMEOUT	10		/* seconds: idle timeouts never
						 * shrink below this under load */
#define SMTP_ACCEPT_BACKOFF	1		/* seconds without accepting
						 * when out of descriptors */
#define SMTP_HEADER_NAME_MAX	998		/* line start held to find a
						 * field name (RFC 5322 2.1.1) */
#define SMTP_HEADER_FROM_MAX	4096		/* From: held for masquerade */

/* Envelopes and the queue (envelope.h, queue_fs.c). */
#define ENVELOPE_TEXT_MAX	8192		/* one serialised envelope */
#define ENVELOPE_USER_MAX	255		/* local account name */
#define ENVELOPE_ARG_MAX	1024		/* mda command, file, path */
#define ENVELOPE_ERRORLINE_MAX	512
#define QUEUE_DEFAULT_RETRY_DELAY 60		/* first retry; then doubles */
#define QUEUE_MAX_RETRY_DELAY	(4 * 60 * 60)	/* backoff cap */
#define QUEUE_COMMIT_BATCH_MAX	1024		/* messages per group commit */
#define QUEUE_MAX_MSG_ENVELOPES	(1024 * 1024)	/* envelopes of one message
						 * (max-rcpt x expansion) */

/* Expansion in lka (aliases, virtual, .forward, :include:). */
#define EXPAND_MAX_DEPTH	16		/* nesting of aliases */
#define EXPAND_MAX_NODES	1024		/* addresses from one recipient */
#define EXPAND_MAX_FILE		(1024 * 1024)	/* .forward, :include: file */
#define TABLE_MAX_FILE		(256 * 1024 * 1024) /* one table file */
#define LKA_MAX_REQUESTS	16384		/* recipients being expanded */
#define TABLE_MAX_LINE		(64 * 1024)	/* one entry, with its aliases
						 * continuation lines */

/* Local delivery. */
#define DELIVER_MAX_STATUS	512		/* error text from a delivery */
#define MDA_MAX_PENDING		100000		/* deliveries waiting in mda */
#define MDA_FD_RESERVE		64		/* mda descriptors kept free of
						 * waiting deliveries */
#define MDA_STATUS_GRACE	10		/* seconds to wait for a status
						 * pipe's end after the exit */
#define DELIVER_LOCK_TIMEOUT	60		/* seconds to get an mbox lock */
#define DELIVER_DOTLOCK_STALE	300		/* seconds: older .lock removed */
#define DELIVER_LMTP_TIMEOUT	300		/* seconds per LMTP step */
#define DELIVER_COMMAND_TIMEOUT	1000		/* seconds an mda command may
						 * run (Postfix's default) */
#define DELIVER_MAX_MESSAGE	(2LL * 1024 * 1024 * 1024 - 1) /* bytes a
						 * delivery child reads into
						 * memory */

/* Queue defaults. */
#define QUEUE_DEFAULT_TTL	(4 * 24 * 60 * 60)
#define BOUNCE_DEFAULT_WARN	(4 * 60 * 60)
#define BOUNCE_MAX_WARN		4

/* Process layer. */
#define PROC_SHUTDOWN_TIMEOUT	5		/* seconds, then SIGKILL */
#define PROC_PEER_GRACE_MS	1000		/* wait for SHUTDOWN on peer EOF */

/* Per-process counters (stat.h). */
#define STAT_MAX_KEYS		256
#define STAT_MAX_KEYLEN		64

#endif
