/*
 * Unit tests for the framed channel (src/lib/ipc.c): framing, partial
 * reads and writes, full socket buffers, size limits, descriptors in
 * flight and every protocol error the receiver must detect.  Raw
 * sendmsg() calls stand in for a hostile or broken peer.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "ipc.h"

/* A pair of connected channels. */
static void
chan_pair(struct ipc_chan *a, struct ipc_chan *b)
{
	int	sp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_REQUIRE(ipc_init(a, sp[0]) == 0);
	ATF_REQUIRE(ipc_init(b, sp[1]) == 0);
}

/* A receiving channel and the raw (blocking) socket of its peer. */
static int
raw_pair(struct ipc_chan *b)
{
	int	sp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_REQUIRE(ipc_init(b, sp[1]) == 0);
	return sp[0];
}

/* Send bytes with zero or more descriptors attached, as a peer might. */
static void
raw_send(int s, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(64 * sizeof(int))];
	} cmsgbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;

	ATF_REQUIRE(nfds <= 64);
	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
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
	ATF_REQUIRE_EQ(sendmsg(s, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Encode a header (and payload) as the wire format says. */
static size_t
encode(uint8_t *buf, uint32_t type, uint32_t len, uint32_t peerid,
    uint32_t pid, const void *payload, size_t plen)
{
	struct ipc_hdr	hdr;

	hdr.type = type;
	hdr.len = len;
	hdr.peerid = peerid;
	hdr.pid = pid;
	memcpy(buf, &hdr, sizeof(hdr));
	if (plen > 0)
		memcpy(buf + sizeof(hdr), payload, plen);
	return sizeof(hdr) + plen;
}

/*
 * One read, as an event loop does when the socket is readable; the
 * caller takes the complete messages before reading again.  Returns the
 * bytes read, 0 if none were waiting, -1 on EOF.
 */
static ssize_t
read_once(struct ipc_chan *ch)
{
	ssize_t	n;

	n = ipc_read(ch);
	if (n == -1) {
		ATF_REQUIRE_MSG(errno == EAGAIN, "ipc_read: %s",
		    strerror(errno));
		return 0;
	}
	if (n == 0)
		return -1;
	return n;
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* A pipe; returns the read end, *w gets the write end. */
static int
mkpipe(int *w)
{
	int	p[2];

	ATF_REQUIRE(pipe(p) == 0);
	*w = p[1];
	return p[0];
}

/* True if every write end of the pipe is closed (reading gives EOF). */
static int
pipe_at_eof(int r)
{
	char	c;
	int	flags;
	ssize_t	n;

	flags = fcntl(r, F_GETFL);
	ATF_REQUIRE(fcntl(r, F_SETFL, flags | O_NONBLOCK) == 0);
	n = read(r, &c, 1);
	return n == 0;
}

static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((seed * 31 + i * 7) ^ (i >> 8));
}

static int
check_fill(const uint8_t *p, size_t len, uint32_t seed)
{
	uint8_t	*want;
	int	 ok;

	ATF_REQUIRE((want = malloc(len + 1)) != NULL);
	fill(want, len, seed);
	ok = memcmp(p, want, len) == 0;
	free(want);
	return ok;
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;

	chan_pair(&a, &b);
	ATF_REQUIRE(ipc_compose(&a, 42, 7, -1, "hello", 5) == 0);
	ATF_REQUIRE_EQ(ipc_pending(&a), IPC_HEADER_SIZE + 5);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE + 5);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 42);
	ATF_REQUIRE_EQ(m.hdr.peerid, 7);
	ATF_REQUIRE_EQ(m.hdr.len, IPC_HEADER_SIZE + 5);
	ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)getpid());
	ATF_REQUIRE_EQ(m.datalen, 5);
	ATF_REQUIRE(memcmp(m.data, "hello", 5) == 0);
	ATF_REQUIRE_EQ(m.fd, -1);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ATF_REQUIRE_EQ(b.ch_nread, 1);
	ATF_REQUIRE_EQ(a.ch_nwritten, 1);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(empty_payload);
ATF_TC_BODY(empty_payload, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;

	chan_pair(&a, &b);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, NULL, 0) == 0);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE_EQ(m.datalen, 0);
	ATF_REQUIRE_EQ(m.hdr.len, IPC_HEADER_SIZE);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(compose_null_data);
ATF_TC_BODY(compose_null_data, tc)
{
	struct ipc_chan	a, b;

	chan_pair(&a, &b);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_compose(&a, 1, 0, -1, NULL, 3), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(several_per_read);
ATF_TC_BODY(several_per_read, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;
	uint32_t	i, v;

	chan_pair(&a, &b);
	for (i = 0; i < 20; i++)
		ATF_REQUIRE(ipc_compose(&a, 100 + i, i, -1, &i,
		    sizeof(i)) == 0);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	/* All twenty arrive in one read. */
	ATF_REQUIRE_EQ(ipc_read(&b), 20 * (IPC_HEADER_SIZE + 4));
	for (i = 0; i < 20; i++) {
		ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
		ATF_REQUIRE_EQ(m.hdr.type, 100 + i);
		ATF_REQUIRE_EQ(m.hdr.peerid, i);
		ATF_REQUIRE_EQ(m.datalen, 4);
		memcpy(&v, m.data, 4);
		ATF_REQUIRE_EQ(v, i);
	}
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ipc_clear(&a);
	ipc_clear(&b);
}

/*
 * The encoded stream of three messages goes through a socket one byte
 * at a time: ipc_get() must say "need more" until each last byte.
 */
ATF_TC_WITHOUT_HEAD(partial_read_bytewise);
ATF_TC_BODY(partial_read_bytewise, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[512], payload[100];
	size_t		len = 0, ends[3], i, k = 0;
	int		s;

	fill(payload, sizeof(payload), 1);
	len += encode(buf + len, 1, IPC_HEADER_SIZE + 100, 11, 0,
	    payload, 100);
	ends[0] = len;
	len += encode(buf + len, 2, IPC_HEADER_SIZE, 12, 0, NULL, 0);
	ends[1] = len;
	len += encode(buf + len, 3, IPC_HEADER_SIZE + 3, 13, 0, "abc", 3);
	ends[2] = len;

	s = raw_pair(&b);
	for (i = 0; i < len; i++) {
		raw_send(s, buf + i, 1, NULL, 0);
		ATF_REQUIRE_EQ(ipc_read(&b), 1);
		if (k < 3 && i + 1 == ends[k]) {
			ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
			ATF_REQUIRE_EQ(m.hdr.type, k + 1);
			ATF_REQUIRE_EQ(m.hdr.peerid, 11 + k);
			if (k == 0)
				ATF_REQUIRE(check_fill(m.data, 100, 1));
			if (k == 2)
				ATF_REQUIRE(memcmp(m.data, "abc", 3) == 0);
			k++;
		}
		ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	}
	ATF_REQUIRE_EQ(k, 3);
	close(s);
	ATF_REQUIRE_EQ(ipc_read(&b), 0);
	ATF_REQUIRE(!ipc_truncated(&b));
	ipc_clear(&b);
}

/*
 * A writer with the smallest send buffer: one large message leaves in
 * pieces, each flush continuing in the middle of the message.
 */
ATF_TC_WITHOUT_HEAD(partial_write_small_sndbuf);
ATF_TC_BODY(partial_write_small_sndbuf, tc)
{
	struct ipc_chan	 a, b;
	struct ipc_msg	 m;
	uint8_t		*payload;
	size_t		 total = 3 * (IPC_HEADER_SIZE + 60000), prev;
	int		 sz = 1, got = 0, flushes = 0, mid = 0;

	chan_pair(&a, &b);
	ATF_REQUIRE(setsockopt(a.ch_fd, SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)) == 0);
	ATF_REQUIRE((payload = malloc(60000)) != NULL);
	for (sz = 0; sz < 3; sz++) {
		fill(payload, 60000, sz);
		ATF_REQUIRE(ipc_compose(&a, 9, sz, -1, payload, 60000) == 0);
	}
	ATF_REQUIRE_EQ(ipc_pending(&a), total);
	while (got < 3) {
		prev = ipc_pending(&a);
		ATF_REQUIRE(ipc_flush(&a) == 0);
		flushes++;
		if (ipc_pending(&a) > 0 &&
		    ipc_pending(&a) % (IPC_HEADER_SIZE + 60000) != 0)
			mid++;
		ATF_REQUIRE(ipc_pending(&a) <= prev);
		ATF_REQUIRE(read_once(&b) >= 0);
		while (ipc_get(&b, &m) == 1) {
			ATF_REQUIRE_EQ(m.hdr.peerid, (uint32_t)got);
			ATF_REQUIRE_EQ(m.datalen, 60000);
			ATF_REQUIRE(check_fill(m.data, 60000, got));
			got++;
		}
		ATF_REQUIRE_MSG(flushes < 10000, "no progress");
	}
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	/* The small buffer really forced writes to stop mid-message. */
	ATF_REQUIRE(flushes > 3);
	ATF_REQUIRE(mid > 0);
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

/*
 * Far more output than the socket holds: flush until it would block,
 * then alternate reading and flushing; everything arrives, in order.
 */
ATF_TC_WITHOUT_HEAD(full_socket_buffer);
ATF_TC_BODY(full_socket_buffer, tc)
{
	struct ipc_chan	 a, b;
	struct ipc_msg	 m;
	uint8_t		*payload;
	uint32_t	 i, n = 3000, got = 0;
	size_t		 len, before;
	int		 rounds = 0;

	chan_pair(&a, &b);
	ATF_REQUIRE((payload = malloc(4096)) != NULL);
	for (i = 0; i < n; i++) {
		len = 1 + (i * 977) % 4000;	/* sizes vary */
		fill(payload, len, i);
		ATF_REQUIRE(ipc_compose(&a, 5, i, -1, payload, len) == 0);
	}
	before = ipc_pending(&a);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	/* Would block: some written, much left. */
	ATF_REQUIRE(ipc_pending(&a) > 0);
	ATF_REQUIRE(ipc_pending(&a) < before);
	before = ipc_pending(&a);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ATF_REQUIRE_EQ(ipc_pending(&a), before);

	while (got < n) {
		ATF_REQUIRE(read_once(&b) >= 0);
		while (ipc_get(&b, &m) == 1) {
			len = 1 + (got * 977) % 4000;
			ATF_REQUIRE_EQ(m.hdr.peerid, got);
			ATF_REQUIRE_EQ(m.datalen, len);
			ATF_REQUIRE(check_fill(m.data, len, got));
			got++;
		}
		ATF_REQUIRE(ipc_flush(&a) == 0);
		ATF_REQUIRE_MSG(++rounds < 100000, "no progress");
	}
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	ATF_REQUIRE_EQ(a.ch_nwritten, n);
	ATF_REQUIRE_EQ(b.ch_nread, n);
	ATF_REQUIRE(rounds > 1);
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(max_size_ok);
ATF_TC_BODY(max_size_ok, tc)
{
	struct ipc_chan	 a, b;
	struct ipc_msg	 m;
	uint8_t		*payload;
	int		 got = 0, rounds = 0;

	chan_pair(&a, &b);
	ATF_REQUIRE((payload = malloc(IPC_MAX_PAYLOAD)) != NULL);
	fill(payload, IPC_MAX_PAYLOAD, 77);
	/* Three in a row: more than the read buffer holds at once. */
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, payload, IPC_MAX_PAYLOAD) == 0);
	ATF_REQUIRE(ipc_compose(&a, 1, 1, -1, payload, IPC_MAX_PAYLOAD) == 0);
	ATF_REQUIRE(ipc_compose(&a, 1, 2, -1, payload, IPC_MAX_PAYLOAD) == 0);
	while (got < 3) {
		ATF_REQUIRE(ipc_flush(&a) == 0);
		ATF_REQUIRE(read_once(&b) >= 0);
		while (ipc_get(&b, &m) == 1) {
			ATF_REQUIRE_EQ(m.hdr.len, IPC_MAX_SIZE);
			ATF_REQUIRE_EQ(m.hdr.peerid, (uint32_t)got);
			ATF_REQUIRE_EQ(m.datalen, IPC_MAX_PAYLOAD);
			ATF_REQUIRE(check_fill(m.data, IPC_MAX_PAYLOAD, 77));
			got++;
		}
		ATF_REQUIRE_MSG(++rounds < 10000, "no progress");
	}
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(oversize_refused);
ATF_TC_BODY(oversize_refused, tc)
{
	struct ipc_chan	 a, b;
	uint8_t		*payload;
	int		 r, w;

	chan_pair(&a, &b);
	ATF_REQUIRE((payload = calloc(1, IPC_MAX_PAYLOAD + 1)) != NULL);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_compose(&a, 1, 0, -1, payload,
	    IPC_MAX_PAYLOAD + 1), -1);
	ATF_REQUIRE_EQ(errno, EMSGSIZE);
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	/* A descriptor handed over with a refused message is closed. */
	r = mkpipe(&w);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_compose(&a, 1, 0, w, payload, SIZE_MAX), -1);
	ATF_REQUIRE_EQ(errno, EMSGSIZE);
	ATF_REQUIRE(!fd_is_open(w));
	ATF_REQUIRE(pipe_at_eof(r));
	close(r);
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(out_queue_limit);
ATF_TC_BODY(out_queue_limit, tc)
{
	struct ipc_chan	 a, b;
	uint8_t		*payload;
	size_t		 n = 0;

	chan_pair(&a, &b);
	ATF_REQUIRE((payload = calloc(1, IPC_MAX_PAYLOAD)) != NULL);
	while (ipc_compose(&a, 1, 0, -1, payload, IPC_MAX_PAYLOAD) == 0) {
		n++;
		ATF_REQUIRE(n <= IPC_MAX_OUT_QUEUED / IPC_MAX_SIZE);
	}
	ATF_REQUIRE_EQ(errno, ENOBUFS);
	ATF_REQUIRE_EQ(n, IPC_MAX_OUT_QUEUED / IPC_MAX_SIZE);
	ATF_REQUIRE(ipc_pending(&a) <= IPC_MAX_OUT_QUEUED);
	/* Exactly full: not even a header fits. */
	ATF_REQUIRE_EQ(ipc_pending(&a), IPC_MAX_OUT_QUEUED);
	ATF_REQUIRE_EQ(ipc_compose(&a, 1, 0, -1, NULL, 0), -1);
	ATF_REQUIRE_EQ(errno, ENOBUFS);
	/* Once some of it is written there is room again. */
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ATF_REQUIRE(ipc_pending(&a) < IPC_MAX_OUT_QUEUED);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, NULL, 0) == 0);
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

/* A header claiming more than IPC_MAX_SIZE fails before any body. */
ATF_TC_WITHOUT_HEAD(lying_length_big);
ATF_TC_BODY(lying_length_big, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE];
	int		s;

	s = raw_pair(&b);
	encode(buf, 1, IPC_MAX_SIZE + 1, 0, 0, NULL, 0);
	raw_send(s, buf, sizeof(buf), NULL, 0);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	close(s);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(lying_length_huge);
ATF_TC_BODY(lying_length_huge, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE + 8];
	int		s;

	s = raw_pair(&b);
	encode(buf, 1, UINT32_MAX, 0, 0, "12345678", 8);
	raw_send(s, buf, sizeof(buf), NULL, 0);
	ATF_REQUIRE(ipc_read(&b) > 0);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	close(s);
	ipc_clear(&b);
}

/* A length smaller than the header itself. */
ATF_TC_WITHOUT_HEAD(lying_length_small);
ATF_TC_BODY(lying_length_small, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE];
	uint32_t	lens[] = { 0, 1, IPC_HEADER_SIZE - 1 };
	size_t		i;
	int		s;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		s = raw_pair(&b);
		encode(buf, 1, lens[i], 0, 0, NULL, 0);
		raw_send(s, buf, sizeof(buf), NULL, 0);
		ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
		errno = 0;
		ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
		ATF_REQUIRE_EQ(errno, EBADMSG);
		/* Still an error: the channel stays unusable. */
		ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
		close(s);
		ipc_clear(&b);
	}
}

ATF_TC_WITHOUT_HEAD(truncated_header);
ATF_TC_BODY(truncated_header, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE];
	int		s;

	s = raw_pair(&b);
	encode(buf, 1, IPC_HEADER_SIZE, 0, 0, NULL, 0);
	raw_send(s, buf, 10, NULL, 0);
	close(s);
	ATF_REQUIRE_EQ(ipc_read(&b), 10);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ATF_REQUIRE_EQ(ipc_read(&b), 0);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ATF_REQUIRE(ipc_truncated(&b));
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(truncated_body);
ATF_TC_BODY(truncated_body, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE + 10];
	int		s;

	s = raw_pair(&b);
	encode(buf, 1, IPC_HEADER_SIZE + 20, 0, 0, "0123456789", 10);
	raw_send(s, buf, sizeof(buf), NULL, 0);
	close(s);
	ATF_REQUIRE_EQ(ipc_read(&b), sizeof(buf));
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ATF_REQUIRE_EQ(ipc_read(&b), 0);
	ATF_REQUIRE(ipc_truncated(&b));
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(clean_eof);
ATF_TC_BODY(clean_eof, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;

	chan_pair(&a, &b);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, "x", 1) == 0);
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ipc_clear(&a);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE + 1);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE_EQ(ipc_read(&b), 0);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ATF_REQUIRE(!ipc_truncated(&b));
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(read_eagain);
ATF_TC_BODY(read_eagain, tc)
{
	struct ipc_chan	a, b;

	chan_pair(&a, &b);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_read(&b), -1);
	ATF_REQUIRE(errno == EAGAIN || errno == EWOULDBLOCK);
	/* Flushing nothing is fine. */
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ipc_clear(&a);
	ipc_clear(&b);
}

/*
 * The read buffer holds two maximal messages and never grows: a reader
 * that does not take its messages gets ENOBUFS, and can go on once it
 * has taken them (the buffer is compacted).
 */
ATF_TC_WITHOUT_HEAD(read_buffer_bounded);
ATF_TC_BODY(read_buffer_bounded, tc)
{
	struct ipc_chan	 a, b;
	struct ipc_msg	 m;
	uint8_t		*payload;
	ssize_t		 n;
	size_t		 total = 0;
	int		 i, got = 0;

	chan_pair(&a, &b);
	ATF_REQUIRE((payload = malloc(IPC_MAX_PAYLOAD)) != NULL);
	for (i = 0; i < 3; i++) {
		fill(payload, IPC_MAX_PAYLOAD, i);
		ATF_REQUIRE(ipc_compose(&a, 1, i, -1, payload,
		    IPC_MAX_PAYLOAD) == 0);
	}
	for (i = 0; i < 1000 && ipc_pending(&a) > 0; i++) {
		ATF_REQUIRE(ipc_flush(&a) == 0);
		while ((n = ipc_read(&b)) > 0)
			total += n;
		if (total >= 2 * IPC_MAX_SIZE)
			break;
	}
	ATF_REQUIRE_EQ(total, 2 * IPC_MAX_SIZE);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_read(&b), -1);
	ATF_REQUIRE_EQ(errno, ENOBUFS);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE(check_fill(m.data, IPC_MAX_PAYLOAD, 0));
	got = 1;
	for (i = 0; i < 1000 && got < 3; i++) {
		ATF_REQUIRE(ipc_flush(&a) == 0);
		ATF_REQUIRE(read_once(&b) >= 0);
		while (ipc_get(&b, &m) == 1) {
			ATF_REQUIRE_EQ(m.hdr.peerid, (uint32_t)got);
			ATF_REQUIRE(check_fill(m.data, IPC_MAX_PAYLOAD, got));
			got++;
		}
	}
	ATF_REQUIRE_EQ(got, 3);
	ATF_REQUIRE(b.ch_rlen <= 2 * IPC_MAX_SIZE);
	free(payload);
	ipc_clear(&a);
	ipc_clear(&b);
}

ATF_TC_WITHOUT_HEAD(fd_roundtrip);
ATF_TC_BODY(fd_roundtrip, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;
	char		c = 0;
	int		r, w;

	chan_pair(&a, &b);
	r = mkpipe(&w);
	ATF_REQUIRE(ipc_compose(&a, 3, 4, w, "fd", 2) == 0);
	/* The channel owns w now; it is closed once sent. */
	ATF_REQUIRE(ipc_flush(&a) == 0);
	ATF_REQUIRE(!fd_is_open(w));
	ATF_REQUIRE(ipc_read(&b) > 0);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE(m.fd >= 0);
	ATF_REQUIRE(m.hdr.pid & IPC_F_HASFD);
	ATF_REQUIRE_EQ(m.hdr.pid & IPC_PID_MASK, (uint32_t)getpid());
	/* Received descriptors are close-on-exec. */
	ATF_REQUIRE(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
	ATF_REQUIRE_EQ(write(m.fd, "z", 1), 1);
	ATF_REQUIRE_EQ(read(r, &c, 1), 1);
	ATF_REQUIRE_EQ(c, 'z');
	close(m.fd);
	ATF_REQUIRE(pipe_at_eof(r));
	close(r);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	ipc_clear(&a);
	ipc_clear(&b);
}

/*
 * Fifty messages, each with the write end of its own pipe, mixed with
 * messages without descriptors.  Each descriptor must be the one of its
 * message: write the message's number through it and read it back from
 * the matching pipe.
 */
ATF_TC_WITHOUT_HEAD(many_fds);
ATF_TC_BODY(many_fds, tc)
{
	struct ipc_chan	a, b;
	struct ipc_msg	m;
	int		r[50], w, i, got = 0, plain = 0, rounds = 0;
	uint32_t	idx, v;

	chan_pair(&a, &b);
	for (i = 0; i < 50; i++) {
		r[i] = mkpipe(&w);
		idx = i;
		ATF_REQUIRE(ipc_compose(&a, 1, i, w, &idx, sizeof(idx)) == 0);
		if (i % 3 == 0)
			ATF_REQUIRE(ipc_compose(&a, 2, i, -1, NULL, 0) == 0);
	}
	while (got < 50) {
		ATF_REQUIRE(ipc_flush(&a) == 0);
		ATF_REQUIRE(read_once(&b) >= 0);
		while (ipc_get(&b, &m) == 1) {
			if (m.hdr.type == 2) {
				ATF_REQUIRE_EQ(m.fd, -1);
				plain++;
				continue;
			}
			ATF_REQUIRE(m.fd >= 0);
			memcpy(&idx, m.data, sizeof(idx));
			ATF_REQUIRE_EQ(idx, (uint32_t)got);
			ATF_REQUIRE_EQ(write(m.fd, &idx, sizeof(idx)),
			    (ssize_t)sizeof(idx));
			close(m.fd);
			got++;
		}
		ATF_REQUIRE_MSG(++rounds < 1000, "no progress");
	}
	ATF_REQUIRE_EQ(plain, 17);
	ATF_REQUIRE_EQ(b.ch_nrfds, 0);
	for (i = 0; i < 50; i++) {
		ATF_REQUIRE_EQ(read(r[i], &v, sizeof(v)), (ssize_t)sizeof(v));
		ATF_REQUIRE_EQ(v, (uint32_t)i);
		/* Every copy of the write end is closed. */
		ATF_REQUIRE(pipe_at_eof(r[i]));
		close(r[i]);
	}
	ipc_clear(&a);
	ipc_clear(&b);
}

/* More unclaimed descriptors than IPC_MAX_FDS_QUEUED is an error. */
ATF_TC_WITHOUT_HEAD(too_many_fds);
ATF_TC_BODY(too_many_fds, tc)
{
	struct ipc_chan	b;
	uint8_t		buf[IPC_HEADER_SIZE];
	ssize_t		n = 0;
	int		s, r, w, i;

	s = raw_pair(&b);
	r = mkpipe(&w);
	encode(buf, 1, IPC_HEADER_SIZE, 0, IPC_F_HASFD, NULL, 0);
	for (i = 0; i < IPC_MAX_FDS_QUEUED + 1; i++)
		raw_send(s, buf, sizeof(buf), &w, 1);
	close(w);
	/* One read per descriptor-carrying send; nothing is taken. */
	for (i = 0; i < IPC_MAX_FDS_QUEUED + 1; i++)
		if ((n = ipc_read(&b)) == -1)
			break;
	ATF_REQUIRE_EQ(n, -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	ATF_REQUIRE(b.ch_nrfds <= IPC_MAX_FDS_QUEUED);
	close(s);
	ipc_clear(&b);
	/* No copy of the pipe's write end leaked. */
	ATF_REQUIRE(pipe_at_eof(r));
	close(r);
}

/* The first byte and the descriptor come first, the rest later. */
ATF_TC_WITHOUT_HEAD(fd_before_rest);
ATF_TC_BODY(fd_before_rest, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE + 4];
	char		c;
	int		s, r, w;

	s = raw_pair(&b);
	r = mkpipe(&w);
	encode(buf, 8, sizeof(buf), 1, 1234 | IPC_F_HASFD, "data", 4);
	raw_send(s, buf, 1, &w, 1);
	close(w);
	ATF_REQUIRE_EQ(ipc_read(&b), 1);
	ATF_REQUIRE_EQ(b.ch_nrfds, 1);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	raw_send(s, buf + 1, 10, NULL, 0);
	ATF_REQUIRE_EQ(ipc_read(&b), 10);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	raw_send(s, buf + 11, sizeof(buf) - 11, NULL, 0);
	ATF_REQUIRE_EQ(ipc_read(&b), sizeof(buf) - 11);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 8);
	ATF_REQUIRE_EQ(m.hdr.pid & IPC_PID_MASK, 1234);
	ATF_REQUIRE(memcmp(m.data, "data", 4) == 0);
	ATF_REQUIRE(m.fd >= 0);
	ATF_REQUIRE_EQ(write(m.fd, "q", 1), 1);
	ATF_REQUIRE_EQ(read(r, &c, 1), 1);
	close(m.fd);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	close(s);
	ipc_clear(&b);
	close(r);
}

/*
 * A descriptor that arrives with a later part of its own message (not
 * with its first byte) is still matched once the message is complete.
 */
ATF_TC_WITHOUT_HEAD(fd_with_later_part);
ATF_TC_BODY(fd_with_later_part, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE + 4];
	int		s, r, w;

	s = raw_pair(&b);
	r = mkpipe(&w);
	encode(buf, 8, sizeof(buf), 1, IPC_F_HASFD, "data", 4);
	raw_send(s, buf, IPC_HEADER_SIZE, NULL, 0);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 0);
	raw_send(s, buf + IPC_HEADER_SIZE, 4, &w, 1);
	close(w);
	ATF_REQUIRE_EQ(ipc_read(&b), 4);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE(m.fd >= 0);
	close(m.fd);
	ATF_REQUIRE(pipe_at_eof(r));
	close(s);
	ipc_clear(&b);
	close(r);
}

/* A complete message without IPC_F_HASFD arrives with a descriptor. */
ATF_TC_WITHOUT_HEAD(fd_without_message);
ATF_TC_BODY(fd_without_message, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE];
	int		s, r, w;

	s = raw_pair(&b);
	r = mkpipe(&w);
	encode(buf, 8, sizeof(buf), 1, 0, NULL, 0);
	raw_send(s, buf, sizeof(buf), &w, 1);
	close(w);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE_EQ(m.fd, -1);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	close(s);
	ipc_clear(&b);
	ATF_REQUIRE(pipe_at_eof(r));
	close(r);
}

/* Two descriptors, one message that claims one: the other is stray. */
ATF_TC_WITHOUT_HEAD(extra_fd);
ATF_TC_BODY(extra_fd, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE];
	int		s, r, w[2];

	s = raw_pair(&b);
	r = mkpipe(&w[0]);
	w[1] = dup(w[0]);
	encode(buf, 8, sizeof(buf), 1, IPC_F_HASFD, NULL, 0);
	raw_send(s, buf, sizeof(buf), w, 2);
	close(w[0]);
	close(w[1]);
	ATF_REQUIRE_EQ(ipc_read(&b), IPC_HEADER_SIZE);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), 1);
	ATF_REQUIRE(m.fd >= 0);
	close(m.fd);
	ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	close(s);
	ipc_clear(&b);
	ATF_REQUIRE(pipe_at_eof(r));
	close(r);
}

ATF_TC_WITHOUT_HEAD(hasfd_without_fd);
ATF_TC_BODY(hasfd_without_fd, tc)
{
	struct ipc_chan	b;
	struct ipc_msg	m;
	uint8_t		buf[IPC_HEADER_SIZE + 2];
	int		s;

	s = raw_pair(&b);
	encode(buf, 8, sizeof(buf), 1, IPC_F_HASFD, "ab", 2);
	raw_send(s, buf, sizeof(buf), NULL, 0);
	ATF_REQUIRE_EQ(ipc_read(&b), sizeof(buf));
	errno = 0;
	ATF_REQUIRE_EQ(ipc_get(&b, &m), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	ATF_REQUIRE_EQ(m.fd, -1);
	close(s);
	ipc_clear(&b);
}

/*
 * More descriptors in one send than the receiver's control buffer
 * holds: the kernel truncates, and every descriptor that did arrive is
 * closed.
 */
ATF_TC_WITHOUT_HEAD(control_truncated);
ATF_TC_BODY(control_truncated, tc)
{
	struct ipc_chan	b;
	uint8_t		buf[IPC_HEADER_SIZE];
	int		s, r, w[IPC_MAX_FDS_PER_READ + 4], i;

	s = raw_pair(&b);
	r = mkpipe(&w[0]);
	for (i = 1; i < IPC_MAX_FDS_PER_READ + 4; i++)
		ATF_REQUIRE((w[i] = dup(w[0])) != -1);
	encode(buf, 8, sizeof(buf), 1, IPC_F_HASFD, NULL, 0);
	raw_send(s, buf, sizeof(buf), w, IPC_MAX_FDS_PER_READ + 4);
	for (i = 0; i < IPC_MAX_FDS_PER_READ + 4; i++)
		close(w[i]);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_read(&b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	ATF_REQUIRE_EQ(b.ch_nrfds, 0);
	ATF_REQUIRE(pipe_at_eof(r));
	close(s);
	ipc_clear(&b);
	close(r);
}

/* Unsent messages and their descriptors are released by ipc_clear(). */
ATF_TC_WITHOUT_HEAD(clear_releases);
ATF_TC_BODY(clear_releases, tc)
{
	struct ipc_chan	a, b;
	int		r, w;

	chan_pair(&a, &b);
	r = mkpipe(&w);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, "x", 1) == 0);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, w, "y", 1) == 0);
	ATF_REQUIRE(fd_is_open(w));
	ipc_clear(&a);
	ATF_REQUIRE(pipe_at_eof(r));
	ATF_REQUIRE_EQ(a.ch_fd, -1);
	ATF_REQUIRE_EQ(ipc_pending(&a), 0);
	close(r);
	ipc_clear(&b);
}

/* A vanished peer is an error for the writer, not a SIGPIPE. */
ATF_TC_WITHOUT_HEAD(flush_epipe);
ATF_TC_BODY(flush_epipe, tc)
{
	struct ipc_chan	a, b;

	chan_pair(&a, &b);
	ipc_clear(&b);
	ATF_REQUIRE(ipc_compose(&a, 1, 0, -1, "x", 1) == 0);
	errno = 0;
	ATF_REQUIRE_EQ(ipc_flush(&a), -1);
	ATF_REQUIRE_EQ(errno, EPIPE);
	ipc_clear(&a);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, empty_payload);
	ATF_TP_ADD_TC(tp, compose_null_data);
	ATF_TP_ADD_TC(tp, several_per_read);
	ATF_TP_ADD_TC(tp, partial_read_bytewise);
	ATF_TP_ADD_TC(tp, partial_write_small_sndbuf);
	ATF_TP_ADD_TC(tp, full_socket_buffer);
	ATF_TP_ADD_TC(tp, max_size_ok);
	ATF_TP_ADD_TC(tp, oversize_refused);
	ATF_TP_ADD_TC(tp, out_queue_limit);
	ATF_TP_ADD_TC(tp, lying_length_big);
	ATF_TP_ADD_TC(tp, lying_length_huge);
	ATF_TP_ADD_TC(tp, lying_length_small);
	ATF_TP_ADD_TC(tp, truncated_header);
	ATF_TP_ADD_TC(tp, truncated_body);
	ATF_TP_ADD_TC(tp, clean_eof);
	ATF_TP_ADD_TC(tp, read_eagain);
	ATF_TP_ADD_TC(tp, read_buffer_bounded);
	ATF_TP_ADD_TC(tp, fd_roundtrip);
	ATF_TP_ADD_TC(tp, many_fds);
	ATF_TP_ADD_TC(tp, too_many_fds);
	ATF_TP_ADD_TC(tp, fd_before_rest);
	ATF_TP_ADD_TC(tp, fd_with_later_part);
	ATF_TP_ADD_TC(tp, fd_without_message);
	ATF_TP_ADD_TC(tp, extra_fd);
	ATF_TP_ADD_TC(tp, hasfd_without_fd);
	ATF_TP_ADD_TC(tp, control_truncated);
	ATF_TP_ADD_TC(tp, clear_releases);
	ATF_TP_ADD_TC(tp, flush_epipe);
	return atf_no_error();
}
