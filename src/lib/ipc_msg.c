/*
 * Typed payload cursor for inter-process messages (see include/ipc.h).
 * Runs in every process.  The reader trusts no byte of the payload:
 * every field carries a type tag, every length is checked against what
 * is left, strings must end in their own NUL, and the first failure is
 * sticky so that a caller can read all fields and check once with
 * m_end().  Library code: it never logs and never exits.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ipc.h"

static void	m_add_raw(struct msg_out *, const void *, size_t);
static void	m_add_tag(struct msg_out *, enum m_tag);
static void	m_add_blob(struct msg_out *, enum m_tag, const void *, size_t);
static int	m_get_raw(struct msg_in *, void *, size_t);
static int	m_get_tag(struct msg_in *, enum m_tag);
static int	m_get_blob(struct msg_in *, enum m_tag, const uint8_t **,
		    size_t *);
static size_t	m_sockaddr_len(sa_family_t);

/* Writing. */

void
m_init(struct msg_out *mo)
{
	mo->mo_len = 0;
	mo->mo_err = 0;
}

static void
m_add_raw(struct msg_out *mo, const void *p, size_t len)
{
	if (mo->mo_err)
		return;
	if (len > sizeof(mo->mo_buf) - mo->mo_len) {
		mo->mo_err = EMSGSIZE;
		return;
	}
	if (len > 0)
		memcpy(mo->mo_buf + mo->mo_len, p, len);
	mo->mo_len += len;
}

static void
m_add_tag(struct msg_out *mo, enum m_tag tag)
{
	uint8_t	t = (uint8_t)tag;

	m_add_raw(mo, &t, sizeof(t));
}

/* Tag, u32 length, bytes: all or nothing, so a failed field leaves no
 * half-written tag behind. */
static void
m_add_blob(struct msg_out *mo, enum m_tag tag, const void *p, size_t len)
{
	uint32_t	l;

	if (mo->mo_err)
		return;
	if (p == NULL && len > 0) {
		mo->mo_err = EINVAL;
		return;
	}
	if (len > sizeof(mo->mo_buf) - mo->mo_len ||
	    1 + sizeof(l) > sizeof(mo->mo_buf) - mo->mo_len - len) {
		mo->mo_err = EMSGSIZE;
		return;
	}
	l = (uint32_t)len;
	m_add_tag(mo, tag);
	m_add_raw(mo, &l, sizeof(l));
	m_add_raw(mo, p, len);
}

/* Tag and fixed-size value in one write: all or nothing. */
static void
m_add_scalar(struct msg_out *mo, enum m_tag tag, const void *v, size_t len)
{
	uint8_t	buf[1 + sizeof(uint64_t)];

	buf[0] = tag;
	memcpy(buf + 1, v, len);
	m_add_raw(mo, buf, 1 + len);
}

void
m_add_u8(struct msg_out *mo, uint8_t v)
{
	m_add_scalar(mo, M_TAG_U8, &v, sizeof(v));
}

void
m_add_u32(struct msg_out *mo, uint32_t v)
{
	m_add_scalar(mo, M_TAG_U32, &v, sizeof(v));
}

void
m_add_u64(struct msg_out *mo, uint64_t v)
{
	m_add_scalar(mo, M_TAG_U64, &v, sizeof(v));
}

void
m_add_i64(struct msg_out *mo, int64_t v)
{
	m_add_scalar(mo, M_TAG_I64, &v, sizeof(v));
}

void
m_add_int(struct msg_out *mo, int v)
{
	m_add_i64(mo, v);
}

void
m_add_string(struct msg_out *mo, const char *s)
{
	if (s == NULL) {
		m_add_tag(mo, M_TAG_NULLSTR);
		return;
	}
	m_add_blob(mo, M_TAG_STRING, s, strlen(s) + 1);
}

void
m_add_data(struct msg_out *mo, const void *p, size_t len)
{
	m_add_blob(mo, M_TAG_DATA, p, len);
}

static size_t
m_sockaddr_len(sa_family_t family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_UNIX:
		return sizeof(struct sockaddr_un);
	default:
		return 0;
	}
}

void
m_add_sockaddr(struct msg_out *mo, const struct sockaddr *sa)
{
	size_t	len;

	if (mo->mo_err)
		return;
	if (sa == NULL || (len = m_sockaddr_len(sa->sa_family)) == 0) {
		mo->mo_err = EAFNOSUPPORT;
		return;
	}
	m_add_blob(mo, M_TAG_SOCKADDR, sa, len);
}

int
m_error(const struct msg_out *mo)
{
	return mo->mo_err ? -1 : 0;
}

const void *
m_data(const struct msg_out *mo)
{
	return mo->mo_buf;
}

size_t
m_len(const struct msg_out *mo)
{
	return mo->mo_len;
}

/* Reading. */

void
m_open(struct msg_in *mi, const struct ipc_msg *msg)
{
	m_open_buf(mi, msg->data, msg->datalen);
}

void
m_open_buf(struct msg_in *mi, const void *buf, size_t len)
{
	mi->mi_buf = buf;
	mi->mi_len = len;
	mi->mi_off = 0;
	mi->mi_err = 0;
	if (buf == NULL && len > 0)
		mi->mi_err = EINVAL;
}

static int
m_get_raw(struct msg_in *mi, void *dst, size_t len)
{
	if (mi->mi_err)
		return -1;
	if (len > mi->mi_len - mi->mi_off) {
		mi->mi_err = EBADMSG;
		return -1;
	}
	memcpy(dst, mi->mi_buf + mi->mi_off, len);
	mi->mi_off += len;
	return 0;
}

static int
m_get_tag(struct msg_in *mi, enum m_tag want)
{
	uint8_t	tag;

	if (m_get_raw(mi, &tag, sizeof(tag)) == -1)
		return -1;
	if (tag != (uint8_t)want) {
		mi->mi_err = EBADMSG;
		return -1;
	}
	return 0;
}

/* Tag, u32 length, bytes; *p points into the payload. */
static int
m_get_blob(struct msg_in *mi, enum m_tag tag, const uint8_t **p,
    size_t *len)
{
	uint32_t	l;

	*p = NULL;
	*len = 0;
	if (m_get_tag(mi, tag) == -1 || m_get_raw(mi, &l, sizeof(l)) == -1)
		return -1;
	if (l > mi->mi_len - mi->mi_off) {
		mi->mi_err = EBADMSG;
		return -1;
	}
	*p = mi->mi_buf + mi->mi_off;
	*len = l;
	mi->mi_off += l;
	return 0;
}

void
m_get_u8(struct msg_in *mi, uint8_t *v)
{
	*v = 0;
	if (m_get_tag(mi, M_TAG_U8) == -1 ||
	    m_get_raw(mi, v, sizeof(*v)) == -1)
		*v = 0;
}

void
m_get_u32(struct msg_in *mi, uint32_t *v)
{
	*v = 0;
	if (m_get_tag(mi, M_TAG_U32) == -1 ||
	    m_get_raw(mi, v, sizeof(*v)) == -1)
		*v = 0;
}

void
m_get_u64(struct msg_in *mi, uint64_t *v)
{
	*v = 0;
	if (m_get_tag(mi, M_TAG_U64) == -1 ||
	    m_get_raw(mi, v, sizeof(*v)) == -1)
		*v = 0;
}

void
m_get_i64(struct msg_in *mi, int64_t *v)
{
	*v = 0;
	if (m_get_tag(mi, M_TAG_I64) == -1 ||
	    m_get_raw(mi, v, sizeof(*v)) == -1)
		*v = 0;
}

void
m_get_int(struct msg_in *mi, int *v)
{
	int64_t	 i;

	*v = 0;
	m_get_i64(mi, &i);
	if (mi->mi_err)
		return;
	if (i < INT_MIN || i > INT_MAX) {
		mi->mi_err = ERANGE;
		return;
	}
	*v = (int)i;
}

static void
m_get_str(struct msg_in *mi, const char **s, int nullok)
{
	const uint8_t	*p;
	size_t		 len;
	uint8_t		 tag;

	*s = NULL;
	if (mi->mi_err)
		return;
	/* Peek at the tag: a NULL string is a tag alone. */
	if (mi->mi_off < mi->mi_len) {
		tag = mi->mi_buf[mi->mi_off];
		if (tag == M_TAG_NULLSTR) {
			if (nullok)
				mi->mi_off++;
			else
				mi->mi_err = EBADMSG;
			return;
		}
	}
	if (m_get_blob(mi, M_TAG_STRING, &p, &len) == -1)
		return;
	/* Exactly one NUL, and it is the last byte. */
	if (len == 0 || p[len - 1] != '\0' ||
	    memchr(p, '\0', len - 1) != NULL) {
		mi->mi_err = EBADMSG;
		return;
	}
	*s = (const char *)p;
}

void
m_get_string(struct msg_in *mi, const char **s)
{
	m_get_str(mi, s, 0);
}

void
m_get_nstring(struct msg_in *mi, const char **s)
{
	m_get_str(mi, s, 1);
}

void
m_get_data(struct msg_in *mi, const void **p, size_t *len)
{
	const uint8_t	*b;

	m_get_blob(mi, M_TAG_DATA, &b, len);
	*p = b;
}

void
m_get_fixed(struct msg_in *mi, void *dst, size_t len)
{
	const uint8_t	*p;
	size_t		 l;

	if (m_get_blob(mi, M_TAG_DATA, &p, &l) == 0 && l != len)
		mi->mi_err = EBADMSG;
	if (mi->mi_err) {
		memset(dst, 0, len);
		return;
	}
	memcpy(dst, p, len);
}

void
m_get_sockaddr(struct msg_in *mi, struct sockaddr_storage *ss)
{
	const uint8_t	*p;
	size_t		 len;
	sa_family_t	 family;
	struct sockaddr_un *su;

	memset(ss, 0, sizeof(*ss));
	if (m_get_blob(mi, M_TAG_SOCKADDR, &p, &len) == -1)
		return;
	if (len < sizeof(family)) {
		mi->mi_err = EBADMSG;
		return;
	}
	memcpy(&family, p + offsetof(struct sockaddr, sa_family),
	    sizeof(family));
	if (m_sockaddr_len(family) == 0 || len != m_sockaddr_len(family) ||
	    len > sizeof(*ss)) {
		mi->mi_err = EBADMSG;
		return;
	}
	memcpy(ss, p, len);
	if (family == AF_UNIX) {
		/* A path must end inside sun_path. */
		su = (struct sockaddr_un *)ss;
		if (memchr(su->sun_path, '\0', sizeof(su->sun_path)) ==
		    NULL) {
			memset(ss, 0, sizeof(*ss));
			mi->mi_err = EBADMSG;
		}
	}
}

int
m_end(struct msg_in *mi)
{
	if (mi->mi_err == 0 && mi->mi_off != mi->mi_len)
		mi->mi_err = EBADMSG;
	if (mi->mi_err) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
