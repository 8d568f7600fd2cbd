/*
 * Unit tests for the typed payload cursor (src/lib/ipc_msg.c): every
 * field type round trips, and every malformed payload a broken peer
 * could send (wrong tag, short field, bad string, bad length, bad
 * address, leftover bytes) is refused with a sticky error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "ipc.h"

/* Hand-made payloads. */
struct raw {
	uint8_t	b[256];
	size_t	n;
};

static void
raw_u8(struct raw *r, uint8_t v)
{
	ATF_REQUIRE(r->n < sizeof(r->b));
	r->b[r->n++] = v;
}

static void
raw_u32(struct raw *r, uint32_t v)
{
	ATF_REQUIRE(r->n + sizeof(v) <= sizeof(r->b));
	memcpy(r->b + r->n, &v, sizeof(v));
	r->n += sizeof(v);
}

static void
raw_bytes(struct raw *r, const void *p, size_t len)
{
	ATF_REQUIRE(r->n + len <= sizeof(r->b));
	memcpy(r->b + r->n, p, len);
	r->n += len;
}

/* Open a reader on what the writer produced. */
static void
reopen(struct msg_in *mi, const struct msg_out *mo)
{
	ATF_REQUIRE_EQ(m_error(mo), 0);
	m_open_buf(mi, m_data(mo), m_len(mo));
}

ATF_TC_WITHOUT_HEAD(integers);
ATF_TC_BODY(integers, tc)
{
	struct msg_out	mo;
	struct msg_in	mi;
	uint8_t		u8;
	uint32_t	u32;
	uint64_t	u64;
	int64_t		i64;
	int		i;

	m_init(&mo);
	m_add_u8(&mo, 0);
	m_add_u8(&mo, UINT8_MAX);
	m_add_u32(&mo, 0xdeadbeef);
	m_add_u64(&mo, UINT64_MAX);
	m_add_i64(&mo, INT64_MIN);
	m_add_int(&mo, INT_MIN);
	m_add_int(&mo, INT_MAX);
	m_add_int(&mo, -1);
	reopen(&mi, &mo);
	m_get_u8(&mi, &u8);
	ATF_REQUIRE_EQ(u8, 0);
	m_get_u8(&mi, &u8);
	ATF_REQUIRE_EQ(u8, UINT8_MAX);
	m_get_u32(&mi, &u32);
	ATF_REQUIRE_EQ(u32, 0xdeadbeef);
	m_get_u64(&mi, &u64);
	ATF_REQUIRE_EQ(u64, UINT64_MAX);
	m_get_i64(&mi, &i64);
	ATF_REQUIRE_EQ(i64, INT64_MIN);
	m_get_int(&mi, &i);
	ATF_REQUIRE_EQ(i, INT_MIN);
	m_get_int(&mi, &i);
	ATF_REQUIRE_EQ(i, INT_MAX);
	m_get_int(&mi, &i);
	ATF_REQUIRE_EQ(i, -1);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
}

/* The encoding is part of the contract: tag byte, then host order. */
ATF_TC_WITHOUT_HEAD(wire_format);
ATF_TC_BODY(wire_format, tc)
{
	struct msg_out	 mo;
	const uint8_t	*p;
	uint32_t	 v = 0x01020304, l;

	m_init(&mo);
	m_add_u32(&mo, v);
	m_add_string(&mo, "ab");
	m_add_string(&mo, NULL);
	ATF_REQUIRE_EQ(m_len(&mo), 1 + 4 + 1 + 4 + 3 + 1);
	p = m_data(&mo);
	ATF_REQUIRE_EQ(p[0], M_TAG_U32);
	ATF_REQUIRE(memcmp(p + 1, &v, 4) == 0);
	ATF_REQUIRE_EQ(p[5], M_TAG_STRING);
	memcpy(&l, p + 6, 4);
	ATF_REQUIRE_EQ(l, 3);
	ATF_REQUIRE(memcmp(p + 10, "ab", 3) == 0);
	ATF_REQUIRE_EQ(p[13], M_TAG_NULLSTR);
}

ATF_TC_WITHOUT_HEAD(int_out_of_range);
ATF_TC_BODY(int_out_of_range, tc)
{
	struct msg_out	mo;
	struct msg_in	mi;
	int		i = 5;

	m_init(&mo);
	m_add_i64(&mo, (int64_t)INT_MAX + 1);
	reopen(&mi, &mo);
	m_get_int(&mi, &i);
	ATF_REQUIRE_EQ(i, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_i64(&mo, (int64_t)INT_MIN - 1);
	reopen(&mi, &mo);
	i = 5;
	m_get_int(&mi, &i);
	ATF_REQUIRE_EQ(i, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(truncated_integer);
ATF_TC_BODY(truncated_integer, tc)
{
	struct raw	r = { .n = 0 };
	struct msg_in	mi;
	uint32_t	u32 = 1;
	uint64_t	u64 = 1;

	raw_u8(&r, M_TAG_U32);
	raw_u8(&r, 1);
	raw_u8(&r, 2);
	m_open_buf(&mi, r.b, r.n);
	m_get_u32(&mi, &u32);
	ATF_REQUIRE_EQ(u32, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* A tag with nothing after it at all. */
	r.n = 0;
	raw_u8(&r, M_TAG_U64);
	m_open_buf(&mi, r.b, r.n);
	m_get_u64(&mi, &u64);
	ATF_REQUIRE_EQ(u64, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* Reading past the end of an empty payload. */
	m_open_buf(&mi, NULL, 0);
	m_get_u32(&mi, &u32);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(wrong_tag);
ATF_TC_BODY(wrong_tag, tc)
{
	struct msg_out	 mo;
	struct msg_in	 mi;
	uint64_t	 u64 = 1;
	uint32_t	 u32 = 1;
	int64_t		 i64 = 1;
	const void	*p;
	size_t		 len = 1;
	const char	*s;

	/* Same width, different type: still refused. */
	m_init(&mo);
	m_add_u64(&mo, 7);
	reopen(&mi, &mo);
	m_get_i64(&mi, &i64);
	ATF_REQUIRE_EQ(i64, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_u32(&mo, 7);
	reopen(&mi, &mo);
	m_get_u64(&mi, &u64);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_string(&mo, "abc");
	reopen(&mi, &mo);
	m_get_data(&mi, &p, &len);
	ATF_REQUIRE(p == NULL);
	ATF_REQUIRE_EQ(len, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_data(&mo, "abc", 4);
	reopen(&mi, &mo);
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_string(&mo, NULL);
	reopen(&mi, &mo);
	m_get_u32(&mi, &u32);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(unknown_tag);
ATF_TC_BODY(unknown_tag, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const char	*s;
	uint8_t		 u8 = 1;

	raw_u8(&r, 0);
	raw_u8(&r, 9);
	m_open_buf(&mi, r.b, r.n);
	m_get_u8(&mi, &u8);
	ATF_REQUIRE_EQ(u8, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	r.n = 0;
	raw_u8(&r, 200);
	m_open_buf(&mi, r.b, r.n);
	m_get_nstring(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(strings);
ATF_TC_BODY(strings, tc)
{
	struct msg_out	 mo;
	struct msg_in	 mi;
	const char	*s1, *s2, *s3, *s4;
	char		 big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m_init(&mo);
	m_add_string(&mo, "hello");
	m_add_string(&mo, "");
	m_add_string(&mo, big);
	m_add_string(&mo, "via nstring");
	reopen(&mi, &mo);
	m_get_string(&mi, &s1);
	m_get_string(&mi, &s2);
	m_get_string(&mi, &s3);
	m_get_nstring(&mi, &s4);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	ATF_REQUIRE_STREQ(s1, "hello");
	ATF_REQUIRE_STREQ(s2, "");
	ATF_REQUIRE_STREQ(s3, big);
	ATF_REQUIRE_STREQ(s4, "via nstring");
	/* Strings point into the payload, no copy. */
	ATF_REQUIRE((const uint8_t *)s1 > (const uint8_t *)m_data(&mo));
	ATF_REQUIRE((const uint8_t *)s4 < (const uint8_t *)m_data(&mo) +
	    m_len(&mo));
}

ATF_TC_WITHOUT_HEAD(null_string);
ATF_TC_BODY(null_string, tc)
{
	struct msg_out	 mo;
	struct msg_in	 mi;
	const char	*s = "x", *t;

	m_init(&mo);
	m_add_string(&mo, NULL);
	m_add_string(&mo, "after");
	reopen(&mi, &mo);
	m_get_nstring(&mi, &s);
	ATF_REQUIRE(s == NULL);
	m_get_string(&mi, &t);
	ATF_REQUIRE_STREQ(t, "after");
	ATF_REQUIRE_EQ(m_end(&mi), 0);

	/* m_get_string() refuses a NULL string. */
	reopen(&mi, &mo);
	s = "x";
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

/* A string whose recorded length does not end in NUL. */
ATF_TC_WITHOUT_HEAD(string_not_terminated);
ATF_TC_BODY(string_not_terminated, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const char	*s = "x";

	raw_u8(&r, M_TAG_STRING);
	raw_u32(&r, 3);
	raw_bytes(&r, "abc", 3);
	m_open_buf(&mi, r.b, r.n);
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* The NUL is there, but just after the recorded length. */
	r.n = 0;
	raw_u8(&r, M_TAG_STRING);
	raw_u32(&r, 3);
	raw_bytes(&r, "abc", 4);
	m_open_buf(&mi, r.b, r.n);
	s = "x";
	m_get_nstring(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(string_interior_nul);
ATF_TC_BODY(string_interior_nul, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const char	*s = "x";

	raw_u8(&r, M_TAG_STRING);
	raw_u32(&r, 4);
	raw_bytes(&r, "a\0b", 4);
	m_open_buf(&mi, r.b, r.n);
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(string_zero_length);
ATF_TC_BODY(string_zero_length, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const char	*s = "x";

	raw_u8(&r, M_TAG_STRING);
	raw_u32(&r, 0);
	m_open_buf(&mi, r.b, r.n);
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(string_length_overrun);
ATF_TC_BODY(string_length_overrun, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const char	*s = "x";
	uint32_t	 lens[] = { 5, 100, UINT32_MAX };
	size_t		 i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		r.n = 0;
		raw_u8(&r, M_TAG_STRING);
		raw_u32(&r, lens[i]);
		raw_bytes(&r, "abc", 4);
		m_open_buf(&mi, r.b, r.n);
		m_get_string(&mi, &s);
		ATF_REQUIRE(s == NULL);
		ATF_REQUIRE_EQ(m_end(&mi), -1);
	}
	/* A length field cut short. */
	r.n = 0;
	raw_u8(&r, M_TAG_STRING);
	raw_u8(&r, 4);
	m_open_buf(&mi, r.b, r.n);
	m_get_string(&mi, &s);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(data);
ATF_TC_BODY(data, tc)
{
	struct msg_out	 mo;
	struct msg_in	 mi;
	const void	*p1, *p2;
	size_t		 l1, l2;
	uint8_t		 blob[300];
	size_t		 i;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;	/* includes NUL bytes */
	m_init(&mo);
	m_add_data(&mo, blob, sizeof(blob));
	m_add_data(&mo, NULL, 0);
	reopen(&mi, &mo);
	m_get_data(&mi, &p1, &l1);
	m_get_data(&mi, &p2, &l2);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	ATF_REQUIRE_EQ(l1, sizeof(blob));
	ATF_REQUIRE(memcmp(p1, blob, sizeof(blob)) == 0);
	ATF_REQUIRE_EQ(l2, 0);
	ATF_REQUIRE(p2 != NULL);
}

ATF_TC_WITHOUT_HEAD(data_length_overrun);
ATF_TC_BODY(data_length_overrun, tc)
{
	struct raw	 r = { .n = 0 };
	struct msg_in	 mi;
	const void	*p;
	size_t		 len;

	raw_u8(&r, M_TAG_DATA);
	raw_u32(&r, UINT32_MAX);
	raw_bytes(&r, "abcdefgh", 8);
	m_open_buf(&mi, r.b, r.n);
	m_get_data(&mi, &p, &len);
	ATF_REQUIRE(p == NULL);
	ATF_REQUIRE_EQ(len, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* One byte too many claimed. */
	r.n = 0;
	raw_u8(&r, M_TAG_DATA);
	raw_u32(&r, 9);
	raw_bytes(&r, "abcdefgh", 8);
	m_open_buf(&mi, r.b, r.n);
	m_get_data(&mi, &p, &len);
	ATF_REQUIRE(p == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(fixed);
ATF_TC_BODY(fixed, tc)
{
	struct msg_out	mo;
	struct msg_in	mi;
	struct {
		uint32_t	a;
		uint16_t	b;
	}		in = { 0x11223344, 0x5566 }, out;

	m_init(&mo);
	m_add_data(&mo, &in, sizeof(in));
	reopen(&mi, &mo);
	m_get_fixed(&mi, &out, sizeof(out));
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	ATF_REQUIRE_EQ(out.a, in.a);
	ATF_REQUIRE_EQ(out.b, in.b);
}

ATF_TC_WITHOUT_HEAD(fixed_wrong_length);
ATF_TC_BODY(fixed_wrong_length, tc)
{
	struct msg_out	mo;
	struct msg_in	mi;
	uint8_t		in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
	size_t		i;

	/* Shorter and longer than expected. */
	m_init(&mo);
	m_add_data(&mo, in, 7);
	reopen(&mi, &mo);
	memset(out, 0xff, sizeof(out));
	m_get_fixed(&mi, out, sizeof(out));
	for (i = 0; i < sizeof(out); i++)
		ATF_REQUIRE_EQ(out[i], 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	m_init(&mo);
	m_add_data(&mo, in, 8);
	reopen(&mi, &mo);
	memset(out, 0xff, sizeof(out));
	m_get_fixed(&mi, out, 4);
	ATF_REQUIRE_EQ(out[0], 0);
	ATF_REQUIRE_EQ(out[4], 0xff);	/* only len bytes are touched */
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(sockaddr_inet);
ATF_TC_BODY(sockaddr_inet, tc)
{
	struct msg_out		 mo;
	struct msg_in		 mi;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr_un	 sun;
	struct sockaddr_storage	 ss4, ss6, ssu;
	const struct sockaddr_in *g4;
	const struct sockaddr_in6 *g6;
	const struct sockaddr_un *gu;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(25);
	ATF_REQUIRE(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr) == 1);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(587);
	sin6.sin6_scope_id = 3;
	ATF_REQUIRE(inet_pton(AF_INET6, "::1", &sin6.sin6_addr) == 1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/var/run/smtpd.sock", sizeof(sun.sun_path));

	m_init(&mo);
	m_add_sockaddr(&mo, (struct sockaddr *)&sin);
	m_add_sockaddr(&mo, (struct sockaddr *)&sin6);
	m_add_sockaddr(&mo, (struct sockaddr *)&sun);
	reopen(&mi, &mo);
	m_get_sockaddr(&mi, &ss4);
	m_get_sockaddr(&mi, &ss6);
	m_get_sockaddr(&mi, &ssu);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	g4 = (const struct sockaddr_in *)&ss4;
	g6 = (const struct sockaddr_in6 *)&ss6;
	gu = (const struct sockaddr_un *)&ssu;
	ATF_REQUIRE(memcmp(g4, &sin, sizeof(sin)) == 0);
	ATF_REQUIRE(memcmp(g6, &sin6, sizeof(sin6)) == 0);
	ATF_REQUIRE_EQ(gu->sun_family, AF_UNIX);
	ATF_REQUIRE_STREQ(gu->sun_path, "/var/run/smtpd.sock");
}

/* A sockaddr blob whose length does not match its family. */
ATF_TC_WITHOUT_HEAD(sockaddr_wrong_length);
ATF_TC_BODY(sockaddr_wrong_length, tc)
{
	struct raw		 r;
	struct msg_in		 mi;
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;

	/* AF_INET6 family, AF_INET length. */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	r.n = 0;
	raw_u8(&r, M_TAG_SOCKADDR);
	raw_u32(&r, sizeof(struct sockaddr_in));
	raw_bytes(&r, &sin6, sizeof(struct sockaddr_in));
	m_open_buf(&mi, r.b, r.n);
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(ss.ss_family, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* AF_INET, one byte too long. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	r.n = 0;
	raw_u8(&r, M_TAG_SOCKADDR);
	raw_u32(&r, sizeof(sin) + 1);
	raw_bytes(&r, &sin, sizeof(sin));
	raw_u8(&r, 0);
	m_open_buf(&mi, r.b, r.n);
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(m_end(&mi), -1);

	/* Too short to hold a family. */
	r.n = 0;
	raw_u8(&r, M_TAG_SOCKADDR);
	raw_u32(&r, 1);
	raw_u8(&r, AF_INET);
	m_open_buf(&mi, r.b, r.n);
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(sockaddr_bad_family);
ATF_TC_BODY(sockaddr_bad_family, tc)
{
	struct raw		 r = { .n = 0 };
	struct msg_out		 mo;
	struct msg_in		 mi;
	struct sockaddr_storage	 ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	m_init(&mo);
	m_add_sockaddr(&mo, (struct sockaddr *)&ss);
	ATF_REQUIRE_EQ(m_error(&mo), -1);
	ATF_REQUIRE_EQ(m_len(&mo), 0);

	/* A reader refuses an unknown family too. */
	ss.ss_family = AF_PACKET;
	raw_u8(&r, M_TAG_SOCKADDR);
	raw_u32(&r, sizeof(struct sockaddr_in));
	raw_bytes(&r, &ss, sizeof(struct sockaddr_in));
	m_open_buf(&mi, r.b, r.n);
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

/* A unix path that fills sun_path without a NUL. */
ATF_TC_WITHOUT_HEAD(sockaddr_unix_unterminated);
ATF_TC_BODY(sockaddr_unix_unterminated, tc)
{
	struct msg_out		 mo;
	struct msg_in		 mi;
	struct sockaddr_un	 sun;
	struct sockaddr_storage	 ss;

	memset(&sun, 'a', sizeof(sun));
	sun.sun_family = AF_UNIX;
	m_init(&mo);
	m_add_sockaddr(&mo, (struct sockaddr *)&sun);
	reopen(&mi, &mo);
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(ss.ss_family, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(leftover_bytes);
ATF_TC_BODY(leftover_bytes, tc)
{
	struct raw	r;
	struct msg_out	mo;
	struct msg_in	mi;
	uint32_t	v;

	m_init(&mo);
	m_add_u32(&mo, 1);
	m_add_u32(&mo, 2);
	reopen(&mi, &mo);
	m_get_u32(&mi, &v);
	ATF_REQUIRE_EQ(v, 1);
	errno = 0;
	ATF_REQUIRE_EQ(m_end(&mi), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);

	/* A single stray byte after a valid field. */
	r.n = 0;
	raw_u8(&r, M_TAG_U32);
	raw_u32(&r, 3);
	raw_u8(&r, 0);
	m_open_buf(&mi, r.b, r.n);
	m_get_u32(&mi, &v);
	ATF_REQUIRE_EQ(v, 3);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
	m_open_buf(&mi, r.b, r.n - 1);
	m_get_u32(&mi, &v);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
}

ATF_TC_WITHOUT_HEAD(empty_payload);
ATF_TC_BODY(empty_payload, tc)
{
	struct msg_out	mo;
	struct msg_in	mi;
	struct ipc_msg	msg;

	m_init(&mo);
	ATF_REQUIRE_EQ(m_len(&mo), 0);
	reopen(&mi, &mo);
	ATF_REQUIRE_EQ(m_end(&mi), 0);

	memset(&msg, 0, sizeof(msg));
	msg.data = NULL;
	msg.datalen = 0;
	m_open(&mi, &msg);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
}

/* m_open() reads the payload of a received message. */
ATF_TC_WITHOUT_HEAD(open_msg);
ATF_TC_BODY(open_msg, tc)
{
	struct msg_out	 mo;
	struct msg_in	 mi;
	struct ipc_msg	 msg;
	const char	*s;
	uint64_t	 u;

	m_init(&mo);
	m_add_u64(&mo, 99);
	m_add_string(&mo, "peer");
	memset(&msg, 0, sizeof(msg));
	msg.data = m_data(&mo);
	msg.datalen = m_len(&mo);
	msg.fd = -1;
	m_open(&mi, &msg);
	m_get_u64(&mi, &u);
	m_get_string(&mi, &s);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	ATF_REQUIRE_EQ(u, 99);
	ATF_REQUIRE_STREQ(s, "peer");

	/* A shorter view of the same bytes is a truncated message. */
	msg.datalen--;
	m_open(&mi, &msg);
	m_get_u64(&mi, &u);
	m_get_string(&mi, &s);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

/* After one failure, every later read fails and zeroes its output. */
ATF_TC_WITHOUT_HEAD(sticky_error);
ATF_TC_BODY(sticky_error, tc)
{
	struct msg_out		 mo;
	struct msg_in		 mi;
	uint32_t		 u32 = 1;
	uint8_t			 u8 = 1;
	uint64_t		 u64 = 1;
	int64_t			 i64 = 1;
	int			 i = 1;
	const char		*s = "x";
	const void		*p = "x";
	size_t			 len = 1;
	uint8_t			 fixed[4] = { 1, 1, 1, 1 };
	struct sockaddr_storage	 ss;
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	m_init(&mo);
	m_add_u32(&mo, 5);		/* read as u8: fails */
	m_add_u8(&mo, 6);
	m_add_u32(&mo, 7);
	m_add_u64(&mo, 8);
	m_add_i64(&mo, 9);
	m_add_int(&mo, 10);
	m_add_string(&mo, "s");
	m_add_data(&mo, "d", 1);
	m_add_data(&mo, "ffff", 4);
	m_add_sockaddr(&mo, (struct sockaddr *)&sin);
	reopen(&mi, &mo);
	m_get_u8(&mi, &u8);
	ATF_REQUIRE_EQ(u8, 0);
	u8 = 1;
	m_get_u8(&mi, &u8);
	m_get_u32(&mi, &u32);
	m_get_u64(&mi, &u64);
	m_get_i64(&mi, &i64);
	m_get_int(&mi, &i);
	m_get_nstring(&mi, &s);
	m_get_data(&mi, &p, &len);
	m_get_fixed(&mi, fixed, sizeof(fixed));
	memset(&ss, 0xff, sizeof(ss));
	m_get_sockaddr(&mi, &ss);
	ATF_REQUIRE_EQ(u8, 0);
	ATF_REQUIRE_EQ(u32, 0);
	ATF_REQUIRE_EQ(u64, 0);
	ATF_REQUIRE_EQ(i64, 0);
	ATF_REQUIRE_EQ(i, 0);
	ATF_REQUIRE(s == NULL);
	ATF_REQUIRE(p == NULL);
	ATF_REQUIRE_EQ(len, 0);
	ATF_REQUIRE_EQ(fixed[0], 0);
	ATF_REQUIRE_EQ(fixed[3], 0);
	ATF_REQUIRE_EQ(ss.ss_family, 0);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
	ATF_REQUIRE_EQ(m_end(&mi), -1);
}

ATF_TC_WITHOUT_HEAD(add_exact_fit);
ATF_TC_BODY(add_exact_fit, tc)
{
	static struct msg_out	 mo;
	static uint8_t		 blob[IPC_MAX_PAYLOAD];
	struct msg_in		 mi;
	const void		*p;
	size_t			 len;

	/* tag + length + bytes fill the payload to the last byte. */
	m_init(&mo);
	m_add_data(&mo, blob, IPC_MAX_PAYLOAD - 5);
	ATF_REQUIRE_EQ(m_error(&mo), 0);
	ATF_REQUIRE_EQ(m_len(&mo), IPC_MAX_PAYLOAD);
	reopen(&mi, &mo);
	m_get_data(&mi, &p, &len);
	ATF_REQUIRE_EQ(m_end(&mi), 0);
	ATF_REQUIRE_EQ(len, IPC_MAX_PAYLOAD - 5);

	/* One more byte does not fit, and nothing is half written. */
	m_init(&mo);
	m_add_data(&mo, blob, IPC_MAX_PAYLOAD - 4);
	ATF_REQUIRE_EQ(m_error(&mo), -1);
	ATF_REQUIRE_EQ(m_len(&mo), 0);
}

ATF_TC_WITHOUT_HEAD(add_overflow);
ATF_TC_BODY(add_overflow, tc)
{
	static struct msg_out	 mo;
	static char		 str[IPC_MAX_PAYLOAD];
	size_t			 n = 0, before;

	m_init(&mo);
	while (m_error(&mo) == 0) {
		before = m_len(&mo);
		m_add_u64(&mo, n++);
		ATF_REQUIRE(m_len(&mo) <= IPC_MAX_PAYLOAD);
	}
	/* The failed field left no partial bytes behind. */
	ATF_REQUIRE_EQ(m_len(&mo), before);
	ATF_REQUIRE(IPC_MAX_PAYLOAD - m_len(&mo) < 9);
	/* Sticky: even a field that would fit is refused now. */
	m_add_u8(&mo, 1);
	ATF_REQUIRE_EQ(m_len(&mo), before);
	ATF_REQUIRE_EQ(m_error(&mo), -1);
	/* m_init() starts over. */
	m_init(&mo);
	ATF_REQUIRE_EQ(m_error(&mo), 0);

	/* A single string longer than a payload. */
	memset(str, 'a', sizeof(str) - 1);
	str[sizeof(str) - 1] = '\0';
	m_add_string(&mo, str);
	ATF_REQUIRE_EQ(m_error(&mo), -1);

	/* Data with a NULL pointer and a length. */
	m_init(&mo);
	m_add_data(&mo, NULL, 3);
	ATF_REQUIRE_EQ(m_error(&mo), -1);
}

/* Every byte of a valid payload cut short must be refused. */
ATF_TC_WITHOUT_HEAD(every_truncation);
ATF_TC_BODY(every_truncation, tc)
{
	struct msg_out		 mo;
	struct msg_in		 mi;
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;
	const char		*s, *ns;
	const void		*p;
	size_t			 cut, len;
	uint8_t			 u8;
	uint32_t		 u32;
	uint64_t		 u64;
	int			 i;
	char			 fixed[3];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	m_init(&mo);
	m_add_u8(&mo, 1);
	m_add_u32(&mo, 2);
	m_add_u64(&mo, 3);
	m_add_int(&mo, 4);
	m_add_string(&mo, "five");
	m_add_string(&mo, NULL);
	m_add_data(&mo, "six", 3);
	m_add_data(&mo, "sev", 3);
	m_add_sockaddr(&mo, (struct sockaddr *)&sin);
	for (cut = 0; cut <= m_len(&mo); cut++) {
		m_open_buf(&mi, m_data(&mo), cut);
		m_get_u8(&mi, &u8);
		m_get_u32(&mi, &u32);
		m_get_u64(&mi, &u64);
		m_get_int(&mi, &i);
		m_get_string(&mi, &s);
		m_get_nstring(&mi, &ns);
		m_get_data(&mi, &p, &len);
		m_get_fixed(&mi, fixed, sizeof(fixed));
		m_get_sockaddr(&mi, &ss);
		if (cut < m_len(&mo))
			ATF_REQUIRE_EQ_MSG(m_end(&mi), -1, "cut %zu", cut);
		else {
			ATF_REQUIRE_EQ(m_end(&mi), 0);
			ATF_REQUIRE_STREQ(s, "five");
			ATF_REQUIRE(ns == NULL);
			ATF_REQUIRE_EQ(i, 4);
			ATF_REQUIRE(memcmp(fixed, "sev", 3) == 0);
			ATF_REQUIRE_EQ(ss.ss_family, AF_INET);
		}
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, integers);
	ATF_TP_ADD_TC(tp, wire_format);
	ATF_TP_ADD_TC(tp, int_out_of_range);
	ATF_TP_ADD_TC(tp, truncated_integer);
	ATF_TP_ADD_TC(tp, wrong_tag);
	ATF_TP_ADD_TC(tp, unknown_tag);
	ATF_TP_ADD_TC(tp, strings);
	ATF_TP_ADD_TC(tp, null_string);
	ATF_TP_ADD_TC(tp, string_not_terminated);
	ATF_TP_ADD_TC(tp, string_interior_nul);
	ATF_TP_ADD_TC(tp, string_zero_length);
	ATF_TP_ADD_TC(tp, string_length_overrun);
	ATF_TP_ADD_TC(tp, data);
	ATF_TP_ADD_TC(tp, data_length_overrun);
	ATF_TP_ADD_TC(tp, fixed);
	ATF_TP_ADD_TC(tp, fixed_wrong_length);
	ATF_TP_ADD_TC(tp, sockaddr_inet);
	ATF_TP_ADD_TC(tp, sockaddr_wrong_length);
	ATF_TP_ADD_TC(tp, sockaddr_bad_family);
	ATF_TP_ADD_TC(tp, sockaddr_unix_unterminated);
	ATF_TP_ADD_TC(tp, leftover_bytes);
	ATF_TP_ADD_TC(tp, empty_payload);
	ATF_TP_ADD_TC(tp, open_msg);
	ATF_TP_ADD_TC(tp, sticky_error);
	ATF_TP_ADD_TC(tp, add_exact_fit);
	ATF_TP_ADD_TC(tp, add_overflow);
	ATF_TP_ADD_TC(tp, every_truncation);
	return atf_no_error();
}
