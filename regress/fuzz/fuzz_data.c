/*
 * libFuzzer target for the DATA/BDAT stream (src/lib/smtp_data.c): the
 * bytes a client sends after DATA or in BDAT chunks.  Each input runs
 * under all four bare CR/LF policy pairs, fed all at once and fed in
 * pseudo-random pieces (from the first bytes of the input); result,
 * consumed length, output, size, hop count and error must be the same.
 * Under reject/reject in DATA mode the output is also compared with a
 * small line-by-line model of RFC 5321 4.5.2.  Also checked: no CR
 * reaches the output unless bare CRs are accepted, DATA never ends
 * except right after
 * CRLF "." CRLF (or ".\r\n" at the very start), and output never
 * exceeds the size limit.
 *
 * Input: byte 0 = chunking seed (feed_all: seed 0 is one piece, 1 is
 * one byte at a time), byte 1 = mode (bit 0: BDAT) and size
 * limit (bits 1-2); the rest is the stream.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct sink {
	char	*s_buf;
	size_t	 s_len;
	size_t	 s_cap;
};

struct run {
	int		ru_rc;
	size_t		ru_used;
	struct sink	ru_out;
	int		ru_error;
	uint64_t	ru_size;
	unsigned int	ru_hops;
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
feed_all(const char *in, size_t len, int mode, int lf, int cr,
    uint64_t max, uint32_t seed, struct run *ru)
{
	struct smtp_data	sd;
	size_t			pos = 0, n, used;
	uint32_t		x = seed;

	memset(ru, 0, sizeof(*ru));
	smtp_data_init(&sd, mode, lf, cr, max, collect, &ru->ru_out);
	ru->ru_rc = SMTP_DATA_MORE;
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
		ru->ru_rc = smtp_data_feed(&sd, in + pos, n, &used);
		if (used > n || (ru->ru_rc == SMTP_DATA_MORE && used != n))
			abort();
		pos += used;
		if (ru->ru_rc != SMTP_DATA_MORE)
			break;
	}
	if (mode == SMTP_DATA_MODE_BDAT && ru->ru_rc == SMTP_DATA_MORE)
		ru->ru_rc = smtp_data_finish(&sd);
	ru->ru_used = pos;
	ru->ru_error = smtp_data_error(&sd);
	ru->ru_size = sd.sd_size;
	ru->ru_hops = sd.sd_hops;
}

/*
 * RFC 5321 4.5.2 with bare CR and LF refused: lines end with CRLF, "."
 * ends, a leading dot is removed.  Returns the expected rc and fills
 * out (as much as smtp_data would have emitted for MORE and DONE).
 */
static int
model(const char *in, size_t len, struct sink *out, size_t *used)
{
	size_t	pos = 0, k, start;

	for (;;) {
		start = pos;
		for (k = pos; k < len; k++) {
			if (in[k] == '\n') {
				*used = k + 1;
				return SMTP_DATA_FATAL_BARE_LF;
			}
			if (in[k] == '\r') {
				if (k + 1 == len)
					break;
				if (in[k + 1] != '\n') {
					*used = k + 1;
					return SMTP_DATA_FATAL_BARE_CR;
				}
				break;
			}
		}
		if (k >= len || k + 1 == len) {
			/* Incomplete line: a pending CR and a leading dot
			 * are not emitted yet. */
			if (start < k && in[start] == '.')
				start++;
			if (k > start)
				collect(out, in + start, k - start);
			*used = len;
			return SMTP_DATA_MORE;
		}
		if (k - start == 1 && in[start] == '.') {
			*used = k + 2;
			return SMTP_DATA_DONE;
		}
		if (k > start && in[start] == '.')
			start++;
		if (k > start)
			collect(out, in + start, k - start);
		collect(out, "\n", 1);
		pos = k + 2;
	}
}

static void
same(const struct run *a, const struct run *b)
{
	if (a->ru_rc != b->ru_rc || a->ru_used != b->ru_used ||
	    a->ru_error != b->ru_error || a->ru_size != b->ru_size ||
	    a->ru_hops != b->ru_hops || a->ru_out.s_len != b->ru_out.s_len)
		abort();
	if (a->ru_out.s_len > 0 && memcmp(a->ru_out.s_buf, b->ru_out.s_buf,
	    a->ru_out.s_len) != 0)
		abort();
}

static void
check_one(const char *in, size_t len, int mode, int lf, int cr,
    uint64_t max, const struct run *ru)
{
	const struct sink	*o = &ru->ru_out;

	if (ru->ru_used > len)
		abort();
	if (max != 0 && o->s_len > max)
		abort();
	if (ru->ru_size < o->s_len)
		abort();
	if (ru->ru_rc == SMTP_DATA_DONE && ru->ru_error == SMTP_DATA_OK &&
	    ru->ru_size != o->s_len)
		abort();
	/* CR reaches the output only as a bare CR kept under accept. */
	if (cr == SMTP_BARE_REJECT && o->s_len > 0 &&
	    memchr(o->s_buf, '\r', o->s_len) != NULL)
		abort();
	if (mode == SMTP_DATA_MODE_DATA && ru->ru_rc == SMTP_DATA_DONE) {
		/* The only end: CRLF "." CRLF, or ".\r\n" at the start. */
		if (ru->ru_used == 3) {
			if (memcmp(in, ".\r\n", 3) != 0)
				abort();
		} else if (ru->ru_used < 5 ||
		    memcmp(in + ru->ru_used - 5, "\r\n.\r\n", 5) != 0)
			abort();
	}
	if (mode == SMTP_DATA_MODE_BDAT && ru->ru_rc == SMTP_DATA_MORE)
		abort();
	if (mode == SMTP_DATA_MODE_BDAT && ru->ru_rc == SMTP_DATA_DONE &&
	    ru->ru_used != len)
		abort();
	if (ru->ru_rc == SMTP_DATA_FATAL_BARE_LF && lf != SMTP_BARE_REJECT)
		abort();
	if (ru->ru_rc == SMTP_DATA_FATAL_BARE_CR && cr != SMTP_BARE_REJECT)
		abort();
	if (ru->ru_rc == SMTP_DATA_FATAL_OUTPUT)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t	 maxes[] = { 0, 16, 1000, 100000 };
	struct run		 one, cut, byte;
	struct sink		 m;
	const char		*in;
	char			*copy;
	size_t			 len, mused;
	uint64_t		 max;
	uint32_t		 seed;
	int			 mode, lf, cr, mrc;

	if (size < 2)
		return 0;
	seed = data[0] * 2654435761U + 2;	/* 0 and 1 are taken */
	if (seed < 2)
		seed += 2;
	mode = (data[1] & 1) ? SMTP_DATA_MODE_BDAT : SMTP_DATA_MODE_DATA;
	max = maxes[(data[1] >> 1) & 3];
	len = size - 2;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 2, len);
	in = copy;

	for (lf = SMTP_BARE_REJECT; lf <= SMTP_BARE_ACCEPT; lf++) {
		for (cr = SMTP_BARE_REJECT; cr <= SMTP_BARE_ACCEPT; cr++) {
			feed_all(in, len, mode, lf, cr, max, 0, &one);
			feed_all(in, len, mode, lf, cr, max, seed, &cut);
			check_one(in, len, mode, lf, cr, max, &one);
			same(&one, &cut);
			if (len <= 4096) {
				feed_all(in, len, mode, lf, cr, max, 1, &byte);
				same(&one, &byte);
				free(byte.ru_out.s_buf);
			}
			if (mode == SMTP_DATA_MODE_DATA &&
			    lf == SMTP_BARE_REJECT && cr == SMTP_BARE_REJECT &&
			    max == 0) {
				memset(&m, 0, sizeof(m));
				mrc = model(in, len, &m, &mused);
				if (mrc != one.ru_rc || mused != one.ru_used)
					abort();
				if (mrc != SMTP_DATA_FATAL_BARE_LF &&
				    mrc != SMTP_DATA_FATAL_BARE_CR &&
				    (m.s_len != one.ru_out.s_len ||
				    (m.s_len > 0 && memcmp(m.s_buf,
				    one.ru_out.s_buf, m.s_len) != 0)))
					abort();
				free(m.s_buf);
			}
			free(one.ru_out.s_buf);
			free(cut.ru_out.s_buf);
		}
	}
	free(copy);
	return 0;
}
