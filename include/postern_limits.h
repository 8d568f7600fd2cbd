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

/* Control socket. */
#define CONTROL_MAX_CLIENTS	64
#define CONTROL_MAX_REQUEST	4096

/* SMTP defaults that config may override. */
#define SMTP_DEFAULT_MAX_MESSAGE_SIZE	(35 * 1024 * 1024)
#define SMTP_DEFAULT_MAX_RCPT		1000
#define SMTP_DEFAULT_MAX_MAILS		100

/* Queue defaults. */
#define QUEUE_DEFAULT_TTL	(4 * 24 * 60 * 60)
#define BOUNCE_DEFAULT_WARN	(4 * 60 * 60)
#define BOUNCE_MAX_WARN		4

#endif
