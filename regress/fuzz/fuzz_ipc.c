/*
 * libFuzzer target for the IPC receiver (src/lib/ipc.c) and the payload
 * cursor (src/lib/ipc_msg.c): what a compromised peer process could
 * send.  The input is a control prefix and a byte stream; the stream is
 * written into a socketpair in chunks (some carrying descriptors), read
 * with ipc_read()/ipc_get(), every message's payload decoded with a
 * sequence of m_get_*() calls, and every message sent back through a
 * second channel and compared.  Nothing may crash, leak memory or leak a
 * descriptor.
 *
 * Input: byte 0 seeds the chunking and descriptor choices, byte 1 the
 * decoder's choices; the rest is the stream.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

#define FUZZ_MAX_CHUNK	4096
#define FUZZ_MAX_STEPS	64
#define FUZZ_FD_WINDOW	256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint32_t
rnd(uint32_t *s)
{
	/* xorshift32: reproducible choices from one input byte. */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
send_chunk(int s, const uint8_t *p, size_t len, int pfd, int nfds)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(2 * sizeof(int))];
	} cmsgbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	int		 fds[2] = { pfd, pfd };

	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	/* The reader drains after every chunk, so a chunk always fits. */
	if (sendmsg(s, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
}

/*
 * Decode a payload, mostly following its tags, sometimes not.  Every
 * accepted field is written again with m_add_*(): a payload that reads
 * without error must encode back to exactly the same bytes.
 */
static void
decode(const struct ipc_msg *msg, uint32_t *seed)
{
	static struct msg_out	 re;
	struct msg_in		 mi;
	struct sockaddr_storage	 ss;
	const char		*s;
	const void		*p;
	uint8_t			 u8, fixed[32];
	uint32_t		 u32, r;
	uint64_t		 u64;
	int64_t			 i64;
	size_t			 len;
	volatile size_t		 sink = 0;
	int			 i, step, op, tag, nullok;

	m_init(&re);
	m_open(&mi, msg);
	for (step = 0; step < FUZZ_MAX_STEPS; step++) {
		if (mi.mi_err || mi.mi_off >= mi.mi_len)
			break;
		r = rnd(seed);
		tag = mi.mi_buf[mi.mi_off];
		op = tag;
		if (r % 5 == 0)
			op = (r >> 8) % 12;
		nullok = 0;
		switch (op) {
		case M_TAG_U8:
			m_get_u8(&mi, &u8);
			sink += u8;
			if (mi.mi_err == 0)
				m_add_u8(&re, u8);
			break;
		case M_TAG_U32:
			m_get_u32(&mi, &u32);
			sink += u32;
			if (mi.mi_err == 0)
				m_add_u32(&re, u32);
			break;
		case M_TAG_U64:
			m_get_u64(&mi, &u64);
			sink += u64;
			if (mi.mi_err == 0)
				m_add_u64(&re, u64);
			break;
		case M_TAG_I64:
			if (r & 0x100) {
				m_get_i64(&mi, &i64);
				sink += (size_t)i64;
				if (mi.mi_err == 0)
					m_add_i64(&re, i64);
			} else {
				m_get_int(&mi, &i);
				sink += (size_t)i;
				if (mi.mi_err == 0)
					m_add_int(&re, i);
			}
			break;
		case M_TAG_STRING:
		case M_TAG_NULLSTR:
			op = M_TAG_STRING;
			if (r & 0x200)
				m_get_string(&mi, &s);
			else {
				m_get_nstring(&mi, &s);
				nullok = 1;
			}
			if (s != NULL)
				sink += strlen(s);
			if (mi.mi_err == 0)
				m_add_string(&re, s);
			break;
		case M_TAG_DATA:
			if (r & 0x400) {
				m_get_data(&mi, &p, &len);
				if (p != NULL && len > 0)
					sink += ((const uint8_t *)p)[len - 1];
				if (mi.mi_err == 0)
					m_add_data(&re, p, len);
			} else {
				len = (r >> 16) % (sizeof(fixed) + 1);
				m_get_fixed(&mi, fixed, len);
				if (len > 0)
					sink += fixed[len - 1];
				if (mi.mi_err == 0)
					m_add_data(&re, fixed, len);
			}
			break;
		case M_TAG_SOCKADDR:
			m_get_sockaddr(&mi, &ss);
			sink += ss.ss_family;
			if (mi.mi_err == 0)
				m_add_sockaddr(&re, (struct sockaddr *)&ss);
			break;
		default:
			op = M_TAG_U8;
			m_get_u8(&mi, &u8);
			if (mi.mi_err == 0)
				m_add_u8(&re, u8);
			break;
		}
		/* A getter never accepts a field of another type. */
		if (mi.mi_err == 0 && tag != op &&
		    !(nullok && tag == M_TAG_NULLSTR))
			abort();
	}
	if (m_end(&mi) == 0 && (m_error(&re) != 0 ||
	    m_len(&re) != msg->datalen ||
	    (m_len(&re) > 0 && memcmp(m_data(&re), msg->data, m_len(&re)))))
		abort();
	(void)sink;
}

/* Send the message back out through ipc_compose() and compare. */
static void
echo(struct ipc_chan *out, struct ipc_chan *in, const struct ipc_msg *msg)
{
	struct ipc_msg	back;
	int		fd = -1, r, tries;

	if (msg->fd != -1 && (fd = dup(msg->fd)) == -1)
		abort();
	if (ipc_compose(out, msg->hdr.type, msg->hdr.peerid, fd, msg->data,
	    msg->datalen) == -1)
		abort();
	for (tries = 0; tries < 1000; tries++) {
		if (ipc_flush(out) == -1)
			abort();
		if (ipc_read(in) == -1 && errno != EAGAIN)
			abort();
		if ((r = ipc_get(in, &back)) == 1)
			break;
		if (r == -1)
			abort();
	}
	if (tries == 1000 || ipc_pending(out) != 0)
		abort();
	if (back.hdr.type != msg->hdr.type ||
	    back.hdr.peerid != msg->hdr.peerid ||
	    back.datalen != msg->datalen ||
	    (back.fd == -1) != (msg->fd == -1) ||
	    (back.datalen > 0 &&
	    memcmp(back.data, msg->data, back.datalen) != 0))
		abort();
	if (back.fd != -1)
		close(back.fd);
	if (ipc_get(in, &back) != 0)
		abort();
}

static int
take(struct ipc_chan *ch, struct ipc_chan *eo, struct ipc_chan *ei,
    uint32_t *dseed)
{
	struct ipc_msg	msg;
	int		r;

	while ((r = ipc_get(ch, &msg)) == 1) {
		if (msg.hdr.len != IPC_HEADER_SIZE + msg.datalen)
			abort();
		if ((msg.fd != -1) != ((msg.hdr.pid & IPC_F_HASFD) != 0))
			abort();
		decode(&msg, dseed);
		echo(eo, ei, &msg);
		if (msg.fd != -1)
			close(msg.fd);
	}
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_chan	 ch, eo, ei;
	uint8_t		 open_before[FUZZ_FD_WINDOW];
	uint32_t	 cseed, dseed, r;
	uint8_t		 ctl;
	size_t		 off, len, maxchunk;
	ssize_t		 n;
	int		 sp[2], ep[2], pp[2], fd, base, ok = 1, nfds;

	if (size < 2)
		return 0;
	ctl = data[0];
	cseed = 0x9e3779b9U ^ ctl ^ ((uint32_t)size << 8);
	if (cseed == 0)
		cseed = 1;
	dseed = 0x7f4a7c15U ^ data[1];
	data += 2;
	size -= 2;

	base = fcntl(0, F_DUPFD, 0);
	if (base == -1)
		abort();
	close(base);
	for (fd = 0; fd < FUZZ_FD_WINDOW; fd++)
		open_before[fd] = fcntl(base + fd, F_GETFD) != -1;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, ep) == -1 || pipe(pp) == -1)
		abort();
	if (ipc_init(&ch, sp[1]) == -1 || ipc_init(&eo, ep[0]) == -1 ||
	    ipc_init(&ei, ep[1]) == -1)
		abort();

	/* A third of the seeds feed the stream a byte at a time. */
	maxchunk = ctl % 3 == 0 ? 1 : FUZZ_MAX_CHUNK;
	for (off = 0; ok && off < size; off += len) {
		r = rnd(&cseed);
		len = 1 + r % (r & 0x10000 ? 64 : maxchunk);
		if (len > size - off)
			len = size - off;
		/* Now and then a descriptor or two ride along. */
		nfds = (r >> 20) % 6 == 0 ? 1 + ((r >> 24) & 1) : 0;
		send_chunk(sp[0], data + off, len, pp[1], nfds);
		for (;;) {
			if ((n = ipc_read(&ch)) == -1) {
				if (errno != EAGAIN)
					ok = 0;
				break;
			}
			if (n == 0)
				abort();	/* our end is still open */
			if (take(&ch, &eo, &ei, &dseed) == -1) {
				ok = 0;
				break;
			}
		}
	}
	close(sp[0]);
	while (ok && (n = ipc_read(&ch)) > 0)
		if (take(&ch, &eo, &ei, &dseed) == -1)
			ok = 0;
	if (ok)
		(void)ipc_truncated(&ch);

	ipc_clear(&ch);
	ipc_clear(&eo);
	ipc_clear(&ei);
	close(pp[0]);
	close(pp[1]);
	for (fd = 0; fd < FUZZ_FD_WINDOW; fd++)
		if (!open_before[fd] && fcntl(base + fd, F_GETFD) != -1)
			abort();	/* a descriptor leaked */
	return 0;
}
