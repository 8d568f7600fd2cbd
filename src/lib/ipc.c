/*
 * Framed inter-process channel (see include/ipc.h for the wire format).
 * Runs in every process, on both ends of every socketpair.  It trusts
 * nothing it reads: lengths are checked as soon as a header is complete,
 * descriptors are counted and bounded, and any inconsistency is reported
 * as EBADMSG for the caller to treat as fatal.  Library code: it never
 * logs and never exits.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

#define IPC_RBUF_SIZE	(2 * IPC_MAX_SIZE)

struct ipc_out {
	TAILQ_ENTRY(ipc_out)	 o_entry;
	int			 o_fd;		/* -1 once sent or if none */
	size_t			 o_len;		/* header + payload */
	size_t			 o_off;		/* bytes already written */
	uint8_t			 o_buf[];
};

static void	ipc_close_fds(int *, size_t);
static int	ipc_take_fds(struct ipc_chan *, struct msghdr *);

int
ipc_init(struct ipc_chan *ch, int fd)
{
	int	flags;

	memset(ch, 0, sizeof(*ch));
	ch->ch_fd = -1;
	TAILQ_INIT(&ch->ch_outq);
	if ((ch->ch_rbuf = malloc(IPC_RBUF_SIZE)) == NULL)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		free(ch->ch_rbuf);
		ch->ch_rbuf = NULL;
		return -1;
	}
	ch->ch_fd = fd;
	ch->ch_pid = getpid();
	return 0;
}

void
ipc_clear(struct ipc_chan *ch)
{
	struct ipc_out	*o;

	while ((o = TAILQ_FIRST(&ch->ch_outq)) != NULL) {
		TAILQ_REMOVE(&ch->ch_outq, o, o_entry);
		if (o->o_fd != -1)
			close(o->o_fd);
		freezero(o, sizeof(*o) + o->o_len);
	}
	ch->ch_outbytes = 0;
	ipc_close_fds(ch->ch_rfds, ch->ch_nrfds);
	ch->ch_nrfds = 0;
	free(ch->ch_rbuf);
	ch->ch_rbuf = NULL;
	ch->ch_rlen = ch->ch_roff = 0;
	if (ch->ch_fd != -1)
		close(ch->ch_fd);
	ch->ch_fd = -1;
}

static void
ipc_close_fds(int *fds, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Move the descriptors of every SCM_RIGHTS block into the channel's
 * FIFO.  On any trouble every descriptor of this read is closed, so that
 * none leaks, and the read fails.
 */
static int
ipc_take_fds(struct ipc_chan *ch, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	int		 fds[IPC_MAX_FDS_PER_READ];
	size_t		 nfds = 0, i, n;
	int		 bad = 0;

	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		if (cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int	fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (nfds < IPC_MAX_FDS_PER_READ)
				fds[nfds++] = fd;
			else {
				/* Cannot happen with our buffer size. */
				close(fd);
				bad = 1;
			}
		}
	}
	if (!bad && ch->ch_nrfds + nfds > IPC_MAX_FDS_QUEUED)
		bad = 1;
	if (bad) {
		ipc_close_fds(fds, nfds);
		errno = EBADMSG;
		return -1;
	}
	memcpy(ch->ch_rfds + ch->ch_nrfds, fds, nfds * sizeof(int));
	ch->ch_nrfds += nfds;
	return (int)nfds;
}

ssize_t
ipc_read(struct ipc_chan *ch)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(IPC_MAX_FDS_PER_READ *
				    sizeof(int))];
	} cmsgbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	ssize_t		 n;
	int		 nfds;

	if (ch->ch_rbuf == NULL) {
		errno = EBADF;
		return -1;
	}
	/* Keep unconsumed bytes at the start: the buffer never grows. */
	if (ch->ch_roff > 0) {
		memmove(ch->ch_rbuf, ch->ch_rbuf + ch->ch_roff,
		    ch->ch_rlen - ch->ch_roff);
		ch->ch_rlen -= ch->ch_roff;
		ch->ch_roff = 0;
	}
	if (ch->ch_rlen >= IPC_RBUF_SIZE) {
		/* The caller did not drain complete messages first. */
		errno = ENOBUFS;
		return -1;
	}

	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ch->ch_rbuf + ch->ch_rlen;
	iov.iov_len = IPC_RBUF_SIZE - ch->ch_rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(ch->ch_fd, &mh, MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	if ((nfds = ipc_take_fds(ch, &mh)) == -1)
		return -1;
	if (n == 0 && nfds > 0) {
		/* Descriptors without any byte: nothing can claim them. */
		ch->ch_nrfds -= nfds;
		ipc_close_fds(ch->ch_rfds + ch->ch_nrfds, nfds);
		errno = EBADMSG;
		return -1;
	}
	ch->ch_rlen += n;
	return n;
}

int
ipc_truncated(const struct ipc_chan *ch)
{
	return ch->ch_rlen > ch->ch_roff || ch->ch_nrfds > 0;
}

int
ipc_get(struct ipc_chan *ch, struct ipc_msg *msg)
{
	struct ipc_hdr	 hdr;
	size_t		 avail;

	msg->fd = -1;
	if (ch->ch_rbuf == NULL) {
		errno = EBADF;
		return -1;
	}
	avail = ch->ch_rlen - ch->ch_roff;
	if (avail == 0) {
		/*
		 * A descriptor travels with the first byte of its message.
		 * Every byte received so far belongs to a message already
		 * taken, so a descriptor still queued has no message.
		 */
		if (ch->ch_nrfds > 0) {
			errno = EBADMSG;
			return -1;
		}
		return 0;
	}
	if (avail < IPC_HEADER_SIZE)
		return 0;
	memcpy(&hdr, ch->ch_rbuf + ch->ch_roff, sizeof(hdr));
	/* Check the length before waiting for a body that may never come. */
	if (hdr.len < IPC_HEADER_SIZE || hdr.len > IPC_MAX_SIZE) {
		errno = EBADMSG;
		return -1;
	}
	if (avail < hdr.len)
		return 0;
	if (hdr.pid & IPC_F_HASFD) {
		if (ch->ch_nrfds == 0) {
			errno = EBADMSG;
			return -1;
		}
		msg->fd = ch->ch_rfds[0];
		ch->ch_nrfds--;
		memmove(ch->ch_rfds, ch->ch_rfds + 1,
		    ch->ch_nrfds * sizeof(int));
	}
	msg->hdr = hdr;
	msg->data = ch->ch_rbuf + ch->ch_roff + IPC_HEADER_SIZE;
	msg->datalen = hdr.len - IPC_HEADER_SIZE;
	ch->ch_roff += hdr.len;
	ch->ch_nread++;
	return 1;
}

int
ipc_compose(struct ipc_chan *ch, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct ipc_out	*o;
	struct ipc_hdr	 hdr;
	size_t		 total;

	if (len > IPC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (data == NULL && len > 0) {
		errno = EINVAL;
		goto fail;
	}
	total = IPC_HEADER_SIZE + len;
	if (ch->ch_outbytes + total > IPC_MAX_OUT_QUEUED) {
		errno = ENOBUFS;
		goto fail;
	}
	if ((o = malloc(sizeof(*o) + total)) == NULL)
		goto fail;
	hdr.type = type;
	hdr.len = (uint32_t)total;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)ch->ch_pid & IPC_PID_MASK;
	if (fd != -1)
		hdr.pid |= IPC_F_HASFD;
	memcpy(o->o_buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(o->o_buf + IPC_HEADER_SIZE, data, len);
	o->o_fd = fd;
	o->o_len = total;
	o->o_off = 0;
	TAILQ_INSERT_TAIL(&ch->ch_outq, o, o_entry);
	ch->ch_outbytes += total;
	return 0;

 fail:
	if (fd != -1) {
		int	saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

int
ipc_flush(struct ipc_chan *ch)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct iovec	 iov[IPC_MAX_IOV];
	struct msghdr	 mh;
	struct cmsghdr	*cm;
	struct ipc_out	*o, *first;
	ssize_t		 n;
	size_t		 left, chunk;
	int		 niov;

	while ((first = TAILQ_FIRST(&ch->ch_outq)) != NULL) {
		/*
		 * Gather messages into one sendmsg(), but a message with a
		 * descriptor always starts its own, so that the descriptor
		 * travels with the first byte of its message.
		 */
		niov = 0;
		TAILQ_FOREACH(o, &ch->ch_outq, o_entry) {
			if (niov == IPC_MAX_IOV ||
			    (o != first && o->o_fd != -1))
				break;
			iov[niov].iov_base = o->o_buf + o->o_off;
			iov[niov].iov_len = o->o_len - o->o_off;
			niov++;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = niov;
		if (first->o_fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &first->o_fd, sizeof(int));
		}
		n = sendmsg(ch->ch_fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -1;
		}
		if (n == 0)
			return 0;
		if (first->o_fd != -1) {
			/* The peer holds its own copy now. */
			close(first->o_fd);
			first->o_fd = -1;
		}
		left = (size_t)n;
		ch->ch_outbytes -= left;
		while (left > 0 && (o = TAILQ_FIRST(&ch->ch_outq)) != NULL) {
			chunk = o->o_len - o->o_off;
			if (chunk > left)
				chunk = left;
			o->o_off += chunk;
			left -= chunk;
			if (o->o_off == o->o_len) {
				TAILQ_REMOVE(&ch->ch_outq, o, o_entry);
				/* Some payloads are secrets (AUTH). */
				freezero(o, sizeof(*o) + o->o_len);
				ch->ch_nwritten++;
			}
		}
	}
	return 0;
}

size_t
ipc_pending(const struct ipc_chan *ch)
{
	return ch->ch_outbytes;
}
