/*
 * Framed messages between Postern processes over a SOCK_STREAM unix
 * socket pair, with file descriptors passed by SCM_RIGHTS.  Written for
 * Postern from the idea of OpenBSD's imsg; no code is shared with it.
 *
 * Library code: never logs, never exits.  Every function reports errors
 * by return value and errno; the process layer decides that a broken
 * peer is fatal.
 *
 * Wire format of one message (host byte order: both ends are the same
 * binary on the same host):
 *
 *	uint32_t type;		IMSG_* value
 *	uint32_t len;		header + payload, IPC_HEADER_SIZE..IPC_MAX_SIZE
 *	uint32_t peerid;	request/session id chosen by the sender
 *	uint32_t pid;		bits 0-30: sender's pid; bit 31 (IPC_F_HASFD):
 *				one descriptor travels with this message
 *	payload[len - IPC_HEADER_SIZE]
 *
 * A descriptor is attached (SCM_RIGHTS) to the sendmsg() that carries
 * the first byte of its message, so it is always received no later than
 * the message's first byte.  The receiver keeps received descriptors in
 * a FIFO; a message with IPC_F_HASFD takes the oldest one.  A complete
 * IPC_F_HASFD message with no queued descriptor, a descriptor left over
 * when every received byte has been consumed, a length outside the
 * bounds, or more than IPC_MAX_FDS_QUEUED pending descriptors are all
 * protocol errors (EBADMSG).
 */
#ifndef POSTERN_IPC_H
#define POSTERN_IPC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "postern_limits.h"

#define IPC_F_HASFD	0x80000000U
#define IPC_PID_MASK	0x7fffffffU

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;
	uint32_t	peerid;
	uint32_t	pid;
};

/* One received message; data points into the channel's buffer and is
 * valid until the next ipc_read() or ipc_get() on that channel. */
struct ipc_msg {
	struct ipc_hdr	 hdr;
	const uint8_t	*data;
	size_t		 datalen;
	int		 fd;		/* -1 if none; caller owns it */
};

struct ipc_out;				/* queued outgoing message */
TAILQ_HEAD(ipc_outq, ipc_out);

struct ipc_chan {
	int		 ch_fd;
	pid_t		 ch_pid;		/* stamped into every header */
	uint8_t		*ch_rbuf;		/* 2 * IPC_MAX_SIZE */
	size_t		 ch_rlen;		/* bytes held in ch_rbuf */
	size_t		 ch_roff;		/* start of unconsumed bytes */
	int		 ch_rfds[IPC_MAX_FDS_QUEUED];
	size_t		 ch_nrfds;
	struct ipc_outq	 ch_outq;
	size_t		 ch_outbytes;		/* total queued */
	uint64_t	 ch_nread;		/* statistics */
	uint64_t	 ch_nwritten;
};

/* Set up a channel on a connected socket (made non-blocking here).
 * Returns 0, or -1 with errno (ENOMEM). */
int	ipc_init(struct ipc_chan *, int fd);

/* Close every queued descriptor, free queued output, close ch_fd. */
void	ipc_clear(struct ipc_chan *);

/* Read what the socket has.  Returns bytes read (> 0), 0 on EOF, or -1
 * with errno: EAGAIN/EINTR (try later), EBADMSG (descriptor trouble:
 * truncated control data, too many fds, fds with no byte), ENOBUFS (the
 * caller did not take the complete messages with ipc_get() before
 * reading again), or the recvmsg error.  Received descriptors are
 * close-on-exec.  After EOF, ipc_truncated() tells whether the peer
 * went away in the middle of a message. */
ssize_t	ipc_read(struct ipc_chan *);

/* Non-zero if unconsumed bytes or unclaimed descriptors are left: after
 * ipc_read() returned 0 (EOF) and ipc_get() returned 0, this means the
 * peer closed the channel in the middle of a message. */
int	ipc_truncated(const struct ipc_chan *);

/* Take the next complete message.  Returns 1 and fills *msg, 0 when more
 * bytes are needed, -1 with errno EBADMSG on a protocol error.  After a
 * -1 the channel is unusable. */
int	ipc_get(struct ipc_chan *, struct ipc_msg *msg);

/* Queue a message.  fd (or -1) is owned by the channel from now on and
 * closed once sent, or at once if this call fails.  Returns 0, or -1
 * with errno: EMSGSIZE (payload over IPC_MAX_PAYLOAD), ENOBUFS (over
 * IPC_MAX_OUT_QUEUED), EINVAL (NULL data with len > 0), ENOMEM. */
int	ipc_compose(struct ipc_chan *, uint32_t type, uint32_t peerid,
	    int fd, const void *data, size_t len);

/* Write as much queued output as the socket takes.  Returns 0 (maybe
 * with output still queued), or -1 with errno (EPIPE, ...).  EAGAIN and
 * EINTR are not errors: they return 0. */
int	ipc_flush(struct ipc_chan *);

/* Bytes still queued for writing. */
size_t	ipc_pending(const struct ipc_chan *);

/*
 * Typed payload cursor.  Every field is written as a one-byte type tag
 * followed by its value, so that a reader that expects another type
 * fails instead of reinterpreting bytes.
 *
 * Writing: m_init(), any number of m_add_*(), then m_len()/m_data() to
 * pass to ipc_compose().  Overflowing IPC_MAX_PAYLOAD sets a sticky
 * error reported by m_error().
 *
 * Reading: m_open() on a received message, m_get_*() in order, then
 * m_end().  A failed m_get_*() sets a sticky error, zeroes its output
 * (NULL for strings and blobs) and makes every later call fail; m_end()
 * returns -1 if any read failed or bytes are left over.  Callers may
 * therefore read every field and check once with m_end(), but must not
 * use the values before that check.
 */
enum m_tag {
	M_TAG_U8 = 1,
	M_TAG_U32,
	M_TAG_U64,
	M_TAG_I64,
	M_TAG_STRING,		/* u32 length incl. NUL, bytes, NUL */
	M_TAG_NULLSTR,		/* a NULL string: tag only */
	M_TAG_DATA,		/* u32 length, bytes */
	M_TAG_SOCKADDR,		/* u32 length, struct sockaddr bytes */
};

struct msg_out {
	uint8_t		 mo_buf[IPC_MAX_PAYLOAD];
	size_t		 mo_len;
	int		 mo_err;
};

struct msg_in {
	const uint8_t	*mi_buf;
	size_t		 mi_len;
	size_t		 mi_off;
	int		 mi_err;
};

void	 m_init(struct msg_out *);
void	 m_add_u8(struct msg_out *, uint8_t);
void	 m_add_u32(struct msg_out *, uint32_t);
void	 m_add_u64(struct msg_out *, uint64_t);
void	 m_add_i64(struct msg_out *, int64_t);
void	 m_add_int(struct msg_out *, int);		/* as i64 */
void	 m_add_string(struct msg_out *, const char *);	/* NULL allowed */
void	 m_add_data(struct msg_out *, const void *, size_t);
/* sa points to a whole sockaddr_in, sockaddr_in6 or sockaddr_un (its
 * length follows from its family); any other family sets the error. */
void	 m_add_sockaddr(struct msg_out *, const struct sockaddr *);
int	 m_error(const struct msg_out *);		/* -1 if overflowed */
const void *m_data(const struct msg_out *);
size_t	 m_len(const struct msg_out *);

void	 m_open(struct msg_in *, const struct ipc_msg *);
void	 m_open_buf(struct msg_in *, const void *, size_t);
void	 m_get_u8(struct msg_in *, uint8_t *);
void	 m_get_u32(struct msg_in *, uint32_t *);
void	 m_get_u64(struct msg_in *, uint64_t *);
void	 m_get_i64(struct msg_in *, int64_t *);
void	 m_get_int(struct msg_in *, int *);	/* fails if out of int range */
/* The string points into the message; it is NUL-terminated at the
 * recorded length and holds no other NUL.  *s is NULL on error and for
 * a NULL string (m_get_string fails on a NULL string; m_get_nstring
 * accepts it). */
void	 m_get_string(struct msg_in *, const char **s);
void	 m_get_nstring(struct msg_in *, const char **s);
/* Blob of any length up to the payload; points into the message. */
void	 m_get_data(struct msg_in *, const void **p, size_t *len);
/* Blob (written with m_add_data) whose length must be exactly len;
 * copied into dst, which is zeroed on error. */
void	 m_get_fixed(struct msg_in *, void *dst, size_t len);
/* A sockaddr whose length matches its family (AF_INET, AF_INET6,
 * AF_UNIX); copied into ss. */
void	 m_get_sockaddr(struct msg_in *, struct sockaddr_storage *ss);
int	 m_end(struct msg_in *);			/* 0 or -1 */

#endif
