/*
 * libFuzzer target for the header section tracker (src/lib/smtp_header.c):
 * the stored form of a message as the client wrote it.  Checked for
 * every input:
 *   - the output is the same fed at once, one byte at a time and in
 *     pseudo-random pieces (seeded by the input);
 *   - with nothing to add the output is the input, byte for byte;
 *   - without masquerade the output equals a simple line-by-line model:
 *     the input with the missing fields inserted where the header
 *     section ends (and the empty line or LF the rules add), and the
 *     same fields seen;
 *   - a second pass over the output with the same settings changes
 *     nothing (everything asked for is then present, From: already
 *     names the sender).
 *
 * Input: byte 0 = chunking seed, byte 1 = settings (bit 0: a Date
 * value, bit 1: a Message-ID value, bit 2: masquerade), the rest is
 * the message.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define DATE	"Mon, 23 Nov 2026 07:54:40 +0000 (UTC)"
#define MSGID	"<0123456789abcdef@mx.example.org>"
#define SENDER	"s@x.example"

struct sink {
	char	*s_buf;
	size_t	 s_len;
	size_t	 s_cap;
};

struct run {
	struct sink	 ru_out;
	unsigned int	 ru_seen;
	int		 ru_end;
};

static int
collect(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;
	char		*nb;

	if (n == 0)
		abort();	/* never called for nothing */
	if (s->s_len + n > s->s_cap) {
		s->s_cap = (s->s_len + n) * 2;
		if ((nb = realloc(s->s_buf, s->s_cap)) == NULL)
			abort();
		s->s_buf = nb;
	}
	memcpy(s->s_buf + s->s_len, p, n);
	s->s_len += n;
	return 0;
}

static void
feed(const char *in, size_t len, const struct smtp_header_fix *fix,
    uint32_t seed, struct run *ru)
{
	static struct smtp_header	sh;
	size_t				pos = 0, n;
	uint32_t			x = seed;

	memset(ru, 0, sizeof(*ru));
	if (smtp_header_init(&sh, fix, collect, &ru->ru_out) == -1)
		abort();
	while (pos < len) {
		if (seed == 0)
			n = len - pos;
		else if (seed == 1)
			n = 1;
		else {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			n = (x % 4 == 0) ? x % 300 : x % 5;
		}
		if (n > len - pos)
			n = len - pos;
		if (smtp_header_feed(&sh, in + pos, n) == -1)
			abort();
		pos += n;
	}
	if (smtp_header_finish(&sh) == -1)
		abort();
	ru->ru_seen = smtp_header_seen(&sh);
	ru->ru_end = smtp_header_end(&sh);
}

static void
same(const struct run *a, const struct run *b)
{
	if (a->ru_seen != b->ru_seen || a->ru_end != b->ru_end ||
	    a->ru_out.s_len != b->ru_out.s_len)
		abort();
	if (a->ru_out.s_len > 0 && memcmp(a->ru_out.s_buf, b->ru_out.s_buf,
	    a->ru_out.s_len) != 0)
		abort();
}

static int
name_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* The model, without masquerade: output in m, returns the end kind. */
static int
model(const char *in, size_t len, const struct smtp_header_fix *fix,
    struct sink *m, unsigned int *seen)
{
	const char	*nl;
	size_t		 pos = 0, i, j, nfields = 0, at = len;
	int		 end = SMTP_HEADER_END_EOF, want;
	unsigned char	 c;

	*seen = 0;
	while (pos < len) {
		c = (unsigned char)in[pos];
		if (c == '\n') {
			end = SMTP_HEADER_END_EMPTY;
			at = pos;
			break;
		}
		if (wsp(c) && nfields > 0)
			goto next;
		for (i = pos; i < len && name_char((unsigned char)in[i]); i++)
			;
		for (j = i; j < len && wsp((unsigned char)in[j]); j++)
			;
		if (i == pos || j == len || in[j] != ':' ||
		    j - pos > SMTP_HEADER_NAME_MAX) {
			end = SMTP_HEADER_END_BODY;
			at = pos;
			break;
		}
		if (i - pos == 4 && strncasecmp(in + pos, "date", 4) == 0)
			*seen |= SMTP_HEADER_DATE;
		if (i - pos == 10 &&
		    strncasecmp(in + pos, "message-id", 10) == 0)
			*seen |= SMTP_HEADER_MSGID;
		if (i - pos == 4 && strncasecmp(in + pos, "from", 4) == 0)
			*seen |= SMTP_HEADER_FROM;
		nfields++;
next:
		nl = memchr(in + pos, '\n', len - pos);
		pos = nl != NULL ? (size_t)(nl - in) + 1 : len;
	}
	want = (fix->hf_date != NULL && !(*seen & SMTP_HEADER_DATE)) ||
	    (fix->hf_msgid != NULL && !(*seen & SMTP_HEADER_MSGID));
	if (at > 0)
		collect(m, in, at);
	if (want && end == SMTP_HEADER_END_EOF && len > 0 &&
	    in[len - 1] != '\n')
		collect(m, "\n", 1);
	if (fix->hf_date != NULL && !(*seen & SMTP_HEADER_DATE))
		collect(m, "Date: " DATE "\n", strlen("Date: " DATE "\n"));
	if (fix->hf_msgid != NULL && !(*seen & SMTP_HEADER_MSGID))
		collect(m, "Message-ID: " MSGID "\n",
		    strlen("Message-ID: " MSGID "\n"));
	if (want && end == SMTP_HEADER_END_BODY)
		collect(m, "\n", 1);
	if (len > at)
		collect(m, in + at, len - at);
	return end;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_header_fix	 fix;
	struct run		 one, cut, byte, again;
	struct sink		 m;
	const char		*in;
	char			*copy;
	size_t			 len;
	uint32_t		 seed;
	unsigned int		 mseen;
	int			 mend;

	if (size < 2)
		return 0;
	seed = data[0] * 2654435761U + 2;	/* 0 and 1 are taken */
	if (seed < 2)
		seed += 2;
	memset(&fix, 0, sizeof(fix));
	if (data[1] & 1)
		fix.hf_date = DATE;
	if (data[1] & 2)
		fix.hf_msgid = MSGID;
	if (data[1] & 4)
		fix.hf_from = SENDER;
	len = size - 2;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 2, len);
	in = copy;

	feed(in, len, &fix, 0, &one);
	feed(in, len, &fix, seed, &cut);
	same(&one, &cut);
	if (len <= 4096) {
		feed(in, len, &fix, 1, &byte);
		same(&one, &byte);
		free(byte.ru_out.s_buf);
	}
	if (fix.hf_date == NULL && fix.hf_msgid == NULL &&
	    fix.hf_from == NULL && (one.ru_out.s_len != len ||
	    (len > 0 && memcmp(one.ru_out.s_buf, in, len) != 0)))
		abort();
	if (fix.hf_from == NULL) {
		memset(&m, 0, sizeof(m));
		mend = model(in, len, &fix, &m, &mseen);
		if (mend != one.ru_end || mseen != one.ru_seen ||
		    m.s_len != one.ru_out.s_len || (m.s_len > 0 &&
		    memcmp(m.s_buf, one.ru_out.s_buf, m.s_len) != 0))
			abort();
		free(m.s_buf);
	}
	/* A rewritten From: can outgrow the cap only near it. */
	if (len + 64 < SMTP_HEADER_FROM_MAX) {
		feed(one.ru_out.s_buf != NULL ? one.ru_out.s_buf : "",
		    one.ru_out.s_len, &fix, 0, &again);
		if (again.ru_out.s_len != one.ru_out.s_len ||
		    (again.ru_out.s_len > 0 && memcmp(again.ru_out.s_buf,
		    one.ru_out.s_buf, again.ru_out.s_len) != 0))
			abort();
		free(again.ru_out.s_buf);
	}
	free(one.ru_out.s_buf);
	free(cut.ru_out.s_buf);
	free(copy);
	return 0;
}
