/*
 * Unit tests for the DATA/BDAT stream (src/lib/smtp_data.c): the end
 * marker, dot-unstuffing, every SMTP smuggling sequence under both bare
 * CR/LF policies, empty and very long messages, the size limit at and
 * one past it, Received: hop counting at 100 and 101, BDAT chunk
 * boundaries, and that any way of cutting the input gives the same
 * result as feeding it all at once.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "postern_limits.h"
#include "smtp_data.h"
#include "../test_conf.h"

struct result {
	int		r_rc;
	size_t		r_used;		/* input consumed in total */
	struct test_sink	r_out;
	int		r_error;
	uint64_t	r_size;
	unsigned int	r_hops;
};

/*
 * Feed in (len bytes).  cut 0: all at once; 1: one byte at a time;
 * otherwise pseudo-random chunk sizes seeded by cut.  BDAT: the
 * chunks are the BDAT chunks and smtp_data_finish() ends them.
 */
static void
run(const char *in, size_t len, int mode, int lf, int cr, uint64_t max,
    uint32_t cut, long fail_at, struct result *r)
{
	struct smtp_data	sd;
	size_t			pos = 0, n, used;
	uint32_t		x = test_piece_seed(cut);

	memset(r, 0, sizeof(*r));
	test_sink_init(&r->r_out);
	r->r_out.s_fail_at = fail_at;
	smtp_data_init(&sd, mode, lf, cr, max, test_sink_collect, &r->r_out);
	r->r_rc = SMTP_DATA_MORE;
	while (pos < len) {
		n = test_piece(cut, &x, len - pos);
		used = (size_t)-1;
		r->r_rc = smtp_data_feed(&sd, in + pos, n, &used);
		ATF_REQUIRE(used <= n);
		if (r->r_rc == SMTP_DATA_MORE)
			ATF_REQUIRE_EQ(used, n);
		pos += used;
		if (r->r_rc != SMTP_DATA_MORE)
			break;
	}
	if (mode == SMTP_DATA_MODE_BDAT && r->r_rc == SMTP_DATA_MORE)
		r->r_rc = smtp_data_finish(&sd);
	r->r_used = pos;
	r->r_error = smtp_data_error(&sd);
	r->r_size = sd.sd_size;
	r->r_hops = sd.sd_hops;
}

static void
result_free(struct result *r)
{
	free(r->r_out.s_buf);
	r->r_out.s_buf = NULL;
}

/* The result must not depend on how the input is cut. */
static void
same_cut_independent(const char *in, size_t len, int mode, int lf, int cr,
    uint64_t max, struct result *ref)
{
	struct result	r;
	uint32_t	cut;

	run(in, len, mode, lf, cr, max, 0, -1, ref);
	for (cut = 1; cut < 24; cut++) {
		run(in, len, mode, lf, cr, max, cut, -1, &r);
		ATF_CHECK_EQ_MSG(r.r_rc, ref->r_rc, "cut %u: rc", cut);
		ATF_CHECK_EQ_MSG(r.r_used, ref->r_used, "cut %u: used", cut);
		ATF_CHECK_EQ_MSG(r.r_error, ref->r_error, "cut %u: error", cut);
		ATF_CHECK_EQ_MSG(r.r_size, ref->r_size, "cut %u: size", cut);
		ATF_CHECK_EQ_MSG(r.r_hops, ref->r_hops, "cut %u: hops", cut);
		ATF_CHECK_EQ_MSG(r.r_out.s_len, ref->r_out.s_len,
		    "cut %u: output length", cut);
		if (r.r_out.s_len == ref->r_out.s_len && r.r_out.s_len > 0)
			ATF_CHECK_MSG(memcmp(r.r_out.s_buf, ref->r_out.s_buf,
			    r.r_out.s_len) == 0, "cut %u: output", cut);
		result_free(&r);
	}
}

/* Expect rc, output and consumed length, whatever the cuts. */
static void
expect(const char *in, size_t len, int mode, int lf, int cr, int rc,
    const char *out, size_t outlen, size_t used)
{
	struct result	r;

	same_cut_independent(in, len, mode, lf, cr, 0, &r);
	ATF_CHECK_EQ_MSG(r.r_rc, rc, "rc %d, want %d", r.r_rc, rc);
	if (rc == SMTP_DATA_DONE || rc == SMTP_DATA_MORE) {
		ATF_CHECK_EQ_MSG(r.r_out.s_len, outlen, "output length %zu, "
		    "want %zu", r.r_out.s_len, outlen);
		if (r.r_out.s_len == outlen && outlen > 0)
			ATF_CHECK_MSG(memcmp(r.r_out.s_buf, out, outlen) == 0,
			    "output \"%.*s\" want \"%.*s\"",
			    (int)r.r_out.s_len, r.r_out.s_buf, (int)outlen,
			    out);
		ATF_CHECK_EQ(r.r_size, outlen);
	}
	if (used != (size_t)-1)
		ATF_CHECK_EQ_MSG(r.r_used, used, "used %zu, want %zu",
		    r.r_used, used);
	result_free(&r);
}

#define D	SMTP_DATA_MODE_DATA
#define B	SMTP_DATA_MODE_BDAT
#define REJ	SMTP_BARE_REJECT
#define ACC	SMTP_BARE_ACCEPT
#define S(s)	s, sizeof(s) - 1

ATF_TC_WITHOUT_HEAD(basic);
ATF_TC_BODY(basic, tc)
{
	expect(S("Subject: x\r\n\r\nbody\r\n.\r\n"), D, REJ, REJ,
	    SMTP_DATA_DONE, S("Subject: x\n\nbody\n"), 23);
	/* Whatever follows the end belongs to the next command. */
	expect(S("a\r\n.\r\nQUIT\r\n"), D, REJ, REJ, SMTP_DATA_DONE,
	    S("a\n"), 6);
	expect(S("a\r\n.\r\nMAIL FROM:<x@y>\r\n"), D, ACC, ACC,
	    SMTP_DATA_DONE, S("a\n"), 6);
	/* Not ended yet. */
	expect(S("a\r\n.\r"), D, REJ, REJ, SMTP_DATA_MORE, S("a\n"), 5);
	expect(S("a\r\n."), D, REJ, REJ, SMTP_DATA_MORE, S("a\n"), 4);
	expect(S("a\r\n"), D, REJ, REJ, SMTP_DATA_MORE, S("a\n"), 3);
	expect(S("a\r"), D, REJ, REJ, SMTP_DATA_MORE, S("a"), 2);
	/* 8-bit and NUL bytes are data. */
	expect(S("\xc3\xa9\0\xff\r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE,
	    S("\xc3\xa9\0\xff\n"), 9);
	/* A message without a final line end cannot end. */
	expect(S("a.\r\n"), D, REJ, REJ, SMTP_DATA_MORE, S("a.\n"), 4);
	expect(S("a\r\n .\r\n"), D, REJ, REJ, SMTP_DATA_MORE,
	    S("a\n .\n"), 7);
}

ATF_TC_WITHOUT_HEAD(empty);
ATF_TC_BODY(empty, tc)
{
	/* The CRLF of the DATA command starts the end marker. */
	expect(S(".\r\n"), D, REJ, REJ, SMTP_DATA_DONE, "", 0, 3);
	expect(S(".\r\nRSET\r\n"), D, REJ, REJ, SMTP_DATA_DONE, "", 0, 3);
	expect(S("\r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE, S("\n"), 5);
	expect(S(""), D, REJ, REJ, SMTP_DATA_MORE, "", 0, 0);
	expect(S(""), B, REJ, REJ, SMTP_DATA_DONE, "", 0, 0);
}

ATF_TC_WITHOUT_HEAD(dot_stuffing);
ATF_TC_BODY(dot_stuffing, tc)
{
	expect(S("..\r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE, S(".\n"), 7);
	expect(S("..a\r\n...\r\n.b\r\n.\r\n"), D, REJ, REJ,
	    SMTP_DATA_DONE, S(".a\n..\nb\n"), 17);
	expect(S("a\r\n.. \r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE,
	    S("a\n. \n"), 11);
	/* Only a leading dot is stuffing. */
	expect(S("a.b\r\na..\r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE,
	    S("a.b\na..\n"), 13);
	/* ". " and ".x" lines are not the end. */
	expect(S(". \r\n.x\r\n.\r\n"), D, REJ, REJ, SMTP_DATA_DONE,
	    S(" \nx\n"), 11);
	/* BDAT has no stuffing and no end marker. */
	expect(S("..\r\n.\r\n"), B, REJ, REJ, SMTP_DATA_DONE,
	    S("..\n.\n"), 7);
}

/*
 * Each smuggling sequence inside a body followed by what would be a
 * second transaction: it never ends the data.  Reject stops at the
 * first bare byte; accept keeps everything as data until the real end.
 */
ATF_TC_WITHOUT_HEAD(smuggling);
ATF_TC_BODY(smuggling, tc)
{
	static const struct {
		const char	*seq;
		int		 rc_reject;
		size_t		 used_reject;	/* after "a\r\n" */
		const char	*out_accept;
	} t[] = {
		{ "\n.\n", SMTP_DATA_FATAL_BARE_LF, 1, "\n\n" },
		{ "\r.\r", SMTP_DATA_FATAL_BARE_CR, 0, "\r.\r" },
		{ "\n.\r\n", SMTP_DATA_FATAL_BARE_LF, 1, "\n\n" },
		{ "\r\n.\n", SMTP_DATA_FATAL_BARE_LF, 4, "\n\n" },
		{ "\r.\n", SMTP_DATA_FATAL_BARE_CR, 0, "\r.\n" },
	};
	static const char	 tail[] = "MAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\n"
	    "DATA\r\nevil\r\n";
	char			 in[256], out[256];
	size_t			 i, n, on;
	struct result		 r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* The sequence right after a complete line, as attacks do. */
		n = (size_t)snprintf(in, sizeof(in), "a\r\n%s%s\r\n.\r\n",
		    t[i].seq, tail);
		/* and also inside a line */
		same_cut_independent(in, n, D, REJ, REJ, 0, &r);
		ATF_CHECK_EQ_MSG(r.r_rc, t[i].rc_reject, "seq %zu: rc %d",
		    i, r.r_rc);
		/* The position: the bad byte (LF) or the byte after a
		 * bare CR; "a\r\n" is 3 bytes, the reject point follows. */
		if (t[i].rc_reject == SMTP_DATA_FATAL_BARE_LF)
			ATF_CHECK_EQ_MSG(r.r_used, 3 + t[i].used_reject,
			    "seq %zu: used %zu", i, r.r_used);
		else
			ATF_CHECK_EQ_MSG(r.r_used, 4, "seq %zu: used %zu",
			    i, r.r_used);
		result_free(&r);

		/* Reject of one policy only: the other kind passes. */
		same_cut_independent(in, n, D,
		    t[i].rc_reject == SMTP_DATA_FATAL_BARE_LF ? REJ : ACC,
		    t[i].rc_reject == SMTP_DATA_FATAL_BARE_CR ? REJ : ACC,
		    0, &r);
		ATF_CHECK_EQ_MSG(r.r_rc, t[i].rc_reject,
		    "seq %zu: one-policy rc %d", i, r.r_rc);
		result_free(&r);

		on = (size_t)snprintf(out, sizeof(out), "a\n%s%s\n",
		    t[i].out_accept,
		    "MAIL FROM:<evil@x>\nRCPT TO:<v@y>\nDATA\nevil\n");
		expect(in, n, D, ACC, ACC, SMTP_DATA_DONE, out, on, n);

		/* Inside a line. */
		n = (size_t)snprintf(in, sizeof(in), "ab%s%s\r\n.\r\n",
		    t[i].seq, tail);
		same_cut_independent(in, n, D, REJ, REJ, 0, &r);
		ATF_CHECK_EQ_MSG(r.r_rc, t[i].rc_reject,
		    "seq %zu in line: rc %d", i, r.r_rc);
		ATF_CHECK(r.r_rc != SMTP_DATA_DONE);
		result_free(&r);
		same_cut_independent(in, n, D, ACC, ACC, 0, &r);
		ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
		ATF_CHECK_EQ(r.r_used, n);
		result_free(&r);
	}
	/* After a bare LF under accept, a "." line is stuffing, never the
	 * end; the next CRLF-started "." line is. */
	expect(S("a\n.\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE, S("a\n\n"),
	    8);
	expect(S("a\n..\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE,
	    S("a\n.\n"), 9);
	/* A bare CR right after a stuffed dot at a CRLF line start. */
	expect(S("a\r\n.\rb\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE,
	    S("a\n\rb\n"), 11);
	expect(S("a\r\n.\rb\r\n.\r\n"), D, ACC, REJ,
	    SMTP_DATA_FATAL_BARE_CR, NULL, 0, 5);
	expect(S("a\r\n.\r\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE,
	    S("a\n\r\n"), 10);
	/* CR CR LF: the first CR is bare. */
	expect(S("a\r\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE,
	    S("a\r\n"), 7);
	expect(S("a\r\r\n.\r\n"), D, ACC, REJ, SMTP_DATA_FATAL_BARE_CR,
	    NULL, 0, 2);
	/* A bare LF as the very first byte. */
	expect(S("\n.\r\n"), D, REJ, ACC, SMTP_DATA_FATAL_BARE_LF, NULL, 0,
	    1);
	expect(S("\n.\r\n.\r\n"), D, ACC, ACC, SMTP_DATA_DONE, S("\n\n"),
	    7);
}

/* A fatal result is sticky, and nothing after it is taken. */
ATF_TC_WITHOUT_HEAD(fatal_sticky);
ATF_TC_BODY(fatal_sticky, tc)
{
	struct smtp_data	sd;
	struct test_sink		out;
	size_t			used;

	test_sink_init(&out);
	smtp_data_init(&sd, D, REJ, REJ, 0, test_sink_collect, &out);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("ab\ncd"), &used),
	    SMTP_DATA_FATAL_BARE_LF);
	ATF_CHECK_EQ(used, 3);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S(".\r\n"), &used),
	    SMTP_DATA_FATAL_BARE_LF);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_EQ(smtp_data_finish(&sd), SMTP_DATA_FATAL_BARE_LF);
	free(out.s_buf);

	test_sink_init(&out);
	smtp_data_init(&sd, D, REJ, REJ, 0, test_sink_collect, &out);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("ab\r"), &used), SMTP_DATA_MORE);
	ATF_CHECK_EQ(used, 3);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("x\r\n.\r\n"), &used),
	    SMTP_DATA_FATAL_BARE_CR);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("\r\n.\r\n"), &used),
	    SMTP_DATA_FATAL_BARE_CR);
	free(out.s_buf);

	/* After DONE, nothing more is taken. */
	test_sink_init(&out);
	smtp_data_init(&sd, D, REJ, REJ, 0, test_sink_collect, &out);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S(".\r\nx"), &used),
	    SMTP_DATA_DONE);
	ATF_CHECK_EQ(used, 3);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("x"), &used), SMTP_DATA_DONE);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_EQ(smtp_data_finish(&sd), SMTP_DATA_DONE);
	ATF_CHECK_EQ(out.s_len, 0);
	free(out.s_buf);

	/* DATA does not end at finish(). */
	test_sink_init(&out);
	smtp_data_init(&sd, D, REJ, REJ, 0, test_sink_collect, &out);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("a\r\n"), &used), SMTP_DATA_MORE);
	ATF_CHECK_EQ(smtp_data_finish(&sd), SMTP_DATA_MORE);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S(".\r\n"), &used), SMTP_DATA_DONE);
	free(out.s_buf);
}

ATF_TC_WITHOUT_HEAD(output_failure);
ATF_TC_BODY(output_failure, tc)
{
	struct result	r;
	char		*in;
	size_t		 n = 100000;
	uint32_t	 cut;

	in = malloc(n + 5);
	ATF_REQUIRE(in != NULL);
	memset(in, 'x', n);
	memcpy(in + n, "\r\n.\r\n", 5);
	for (cut = 0; cut < 5; cut++) {
		run(in, n + 5, D, REJ, REJ, 0, cut, 5000, &r);
		ATF_CHECK_EQ(r.r_rc, SMTP_DATA_FATAL_OUTPUT);
		ATF_CHECK(r.r_out.s_len <= 5000);
		result_free(&r);
		run(in, n + 5, B, REJ, REJ, 0, cut, 5000, &r);
		ATF_CHECK_EQ(r.r_rc, SMTP_DATA_FATAL_OUTPUT);
		result_free(&r);
	}
	/* Failing on the very last flush. */
	run(S("ab\r\n.\r\n"), D, REJ, REJ, 0, 0, 2, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_FATAL_OUTPUT);
	result_free(&r);
	free(in);
}

/* A 1 MB line is stored unchanged, in DATA and in BDAT. */
ATF_TC_WITHOUT_HEAD(long_line);
ATF_TC_BODY(long_line, tc)
{
	struct result	r;
	char		*in;
	size_t		 n = 1024 * 1024, i;

	in = malloc(n + 5);
	ATF_REQUIRE(in != NULL);
	for (i = 0; i < n; i++)
		in[i] = 'A' + i % 26;
	in[0] = '.';			/* stuffed */
	in[n / 2] = '.';		/* not stuffing */
	memcpy(in + n, "\r\n.\r\n", 5);
	run(in, n + 5, D, REJ, REJ, 0, 0, -1, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_CHECK_EQ(r.r_used, n + 5);
	ATF_REQUIRE_EQ(r.r_out.s_len, n);
	ATF_CHECK(memcmp(r.r_out.s_buf, in + 1, n - 1) == 0);
	ATF_CHECK_EQ(r.r_out.s_buf[n - 1], '\n');
	result_free(&r);
	run(in, n + 5, D, REJ, REJ, 0, 3, -1, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_REQUIRE_EQ(r.r_out.s_len, n);
	ATF_CHECK(memcmp(r.r_out.s_buf, in + 1, n - 1) == 0);
	result_free(&r);
	run(in, n + 2, B, REJ, REJ, 0, 0, -1, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_REQUIRE_EQ(r.r_out.s_len, n + 1);
	ATF_CHECK(memcmp(r.r_out.s_buf, in, n) == 0);
	result_free(&r);
	free(in);
}

ATF_TC_WITHOUT_HEAD(size_limit);
ATF_TC_BODY(size_limit, tc)
{
	static const char	in[] = "Subject: s\r\n\r\n..body\r\n.\r\nNOOP\r\n";
	static const char	out[] = "Subject: s\n\n.body\n";
	size_t			olen = sizeof(out) - 1, inlen = 25;
	struct result		r;

	/* At the limit: accepted, all emitted. */
	same_cut_independent(in, sizeof(in) - 1, D, REJ, REJ, olen, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_OK);
	ATF_CHECK_EQ(r.r_used, inlen);
	ATF_CHECK_EQ(r.r_size, olen);
	ATF_REQUIRE_EQ(r.r_out.s_len, olen);
	ATF_CHECK(memcmp(r.r_out.s_buf, out, olen) == 0);
	result_free(&r);
	/* One over: read to the end, emit no more than the limit. */
	same_cut_independent(in, sizeof(in) - 1, D, REJ, REJ, olen - 1, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_TOO_BIG);
	ATF_CHECK_EQ(r.r_used, inlen);
	ATF_CHECK_EQ(r.r_size, olen);
	ATF_CHECK(r.r_out.s_len <= olen - 1);
	result_free(&r);
	/* Far over, with long lines. */
	{
		char	*big;
		size_t	 n = 300000;

		big = malloc(n + 5);
		ATF_REQUIRE(big != NULL);
		memset(big, 'z', n);
		memcpy(big + n, "\r\n.\r\n", 5);
		same_cut_independent(big, n + 5, D, REJ, REJ, 1000, &r);
		ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
		ATF_CHECK_EQ(r.r_error, SMTP_DATA_TOO_BIG);
		ATF_CHECK_EQ(r.r_used, n + 5);
		ATF_CHECK_EQ(r.r_size, n + 1);
		ATF_CHECK(r.r_out.s_len <= 1000);
		result_free(&r);
		same_cut_independent(big, n + 2, B, REJ, REJ, n + 1, &r);
		ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
		ATF_CHECK_EQ(r.r_error, SMTP_DATA_OK);
		ATF_CHECK_EQ(r.r_out.s_len, n + 1);
		result_free(&r);
		same_cut_independent(big, n + 2, B, REJ, REJ, n, &r);
		ATF_CHECK_EQ(r.r_error, SMTP_DATA_TOO_BIG);
		result_free(&r);
		free(big);
	}
}

/* nhops Received: fields, then more header and a body. */
static char *
hops_message(unsigned int nhops, const char *name, size_t *len)
{
	char	*m, *p;
	size_t	 cap = (size_t)nhops * 64 + 256;
	unsigned int i;

	m = malloc(cap);
	ATF_REQUIRE(m != NULL);
	p = m;
	p += sprintf(p, "Subject: loop\r\nX-Received: no\r\n");
	for (i = 0; i < nhops; i++)
		p += sprintf(p, "%s from h%u\r\n\tby x\r\n", name, i);
	p += sprintf(p, "\r\nReceived: in the body\r\n.\r\n");
	*len = p - m;
	return m;
}

ATF_TC_WITHOUT_HEAD(hops);
ATF_TC_BODY(hops, tc)
{
	struct result	 r;
	char		*m;
	size_t		 n;

	m = hops_message(SMTP_MAX_HOPS, "Received:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_CHECK_EQ(r.r_hops, SMTP_MAX_HOPS);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_OK);
	result_free(&r);
	free(m);

	m = hops_message(SMTP_MAX_HOPS + 1, "Received:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_rc, SMTP_DATA_DONE);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_LOOP);
	ATF_CHECK_EQ(r.r_used, n);
	result_free(&r);
	same_cut_independent(m, n, B, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_LOOP);
	result_free(&r);
	free(m);

	m = hops_message(SMTP_MAX_HOPS + 1, "rEcEiVeD:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_LOOP);
	result_free(&r);
	free(m);

	/* A stuffed dot does not hide the field name. */
	m = hops_message(SMTP_MAX_HOPS + 1, ".Received:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_LOOP);
	result_free(&r);
	free(m);

	/* Not field names: no colon right after, another name. */
	m = hops_message(SMTP_MAX_HOPS + 50, "Received", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_hops, 0);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_OK);
	result_free(&r);
	free(m);
	m = hops_message(SMTP_MAX_HOPS + 50, "Receive:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 0, &r);
	ATF_CHECK_EQ(r.r_hops, 0);
	result_free(&r);
	free(m);

	/* Too big wins over the loop. */
	m = hops_message(SMTP_MAX_HOPS + 1, "Received:", &n);
	same_cut_independent(m, n, D, REJ, REJ, 100, &r);
	ATF_CHECK_EQ(r.r_error, SMTP_DATA_TOO_BIG);
	result_free(&r);
	free(m);

	/* Received: after the header section is not a hop. */
	{
		char	*b, *p;
		int	 i;

		b = malloc(200 * 40 + 64);
		ATF_REQUIRE(b != NULL);
		p = b;
		p += sprintf(p, "Subject: x\r\n\r\n");
		for (i = 0; i < 200; i++)
			p += sprintf(p, "Received: from body\r\n");
		p += sprintf(p, ".\r\n");
		same_cut_independent(b, p - b, D, REJ, REJ, 0, &r);
		ATF_CHECK_EQ(r.r_hops, 0);
		ATF_CHECK_EQ(r.r_error, SMTP_DATA_OK);
		result_free(&r);
		free(b);
	}
}

ATF_TC_WITHOUT_HEAD(bdat_chunks);
ATF_TC_BODY(bdat_chunks, tc)
{
	struct smtp_data	sd;
	struct test_sink		out;
	size_t			used;

	/* CR at the end of one chunk, LF at the start of the next. */
	test_sink_init(&out);
	smtp_data_init(&sd, B, REJ, REJ, 0, test_sink_collect, &out);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("Subject: a\r"), &used),
	    SMTP_DATA_MORE);
	ATF_CHECK_EQ(used, 11);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("\n\r\n.\r\n"), &used),
	    SMTP_DATA_MORE);
	ATF_CHECK_EQ(used, 6);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S(""), &used), SMTP_DATA_MORE);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("last"), &used), SMTP_DATA_MORE);
	ATF_CHECK_EQ(smtp_data_finish(&sd), SMTP_DATA_DONE);
	ATF_CHECK_EQ(smtp_data_error(&sd), SMTP_DATA_OK);
	ATF_REQUIRE_EQ(out.s_len, 18);
	ATF_CHECK(memcmp(out.s_buf, "Subject: a\n\n.\nlast", 18) == 0);
	ATF_CHECK_EQ(smtp_data_finish(&sd), SMTP_DATA_DONE);
	ATF_CHECK_EQ(smtp_data_feed(&sd, S("more"), &used), SMTP_DATA_DONE);
	ATF_CHECK_EQ(used, 0);
	free(out.s_buf);

	/* A CR ending the last chunk is bare. */
	expect(S("abc\r"), B, REJ, REJ, SMTP_DATA_FATAL_BARE_CR, NULL, 0, 4);
	expect(S("abc\r"), B, REJ, ACC, SMTP_DATA_DONE, S("abc\r"), 4);
	/* Bare bytes in BDAT follow the same policies. */
	expect(S("a\nb\r\n"), B, REJ, REJ, SMTP_DATA_FATAL_BARE_LF, NULL, 0,
	    2);
	expect(S("a\nb\r\n"), B, ACC, REJ, SMTP_DATA_DONE, S("a\nb\n"), 5);
	expect(S("a\rb\r\n"), B, REJ, REJ, SMTP_DATA_FATAL_BARE_CR, NULL, 0,
	    2);
	expect(S("a\rb\r\n"), B, REJ, ACC, SMTP_DATA_DONE, S("a\rb\n"), 5);
	/* No end marker, no stuffing. */
	expect(S("x\r\n.\r\n..\r\nQUIT\r\n"), B, REJ, REJ, SMTP_DATA_DONE,
	    S("x\n.\n..\nQUIT\n"), 16);
}

/* Many inputs, both modes, all policies: cuts never change a thing. */
ATF_TC_WITHOUT_HEAD(split_equivalence);
ATF_TC_BODY(split_equivalence, tc)
{
	static const char *const inputs[] = {
		"Subject: x\r\n\r\nbody\r\n.\r\n",
		".\r\n",
		"..\r\n...\r\n.\r\n",
		"a\n.\nb\r\n.\r\n",
		"a\r.\rb\r\n.\r\n",
		"a\n.\r\nb\r\n.\r\n",
		"a\r\n.\nb\r\n.\r\n",
		"a\r.\nb\r\n.\r\n",
		"\r\r\n\n\r\n.\r\r\n.\n.\r\n",
		"Received: a\r\nreceived: b\r\n\r\nReceived: c\r\n.\r\n",
		"\r\n.\r\n",
		".\r.\r\n.\r\n",
		"\n\n\n.\r\n",
		"x\r",
		"Received:\r\nReceived\r\n Received: x\r\n\r\n.\r\n",
		"",
	};
	struct result	r;
	size_t		i;
	int		mode, lf, cr;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		for (mode = D; mode <= B; mode++)
			for (lf = REJ; lf <= ACC; lf++)
				for (cr = REJ; cr <= ACC; cr++) {
					same_cut_independent(inputs[i],
					    strlen(inputs[i]), mode, lf, cr, 0,
					    &r);
					result_free(&r);
					same_cut_independent(inputs[i],
					    strlen(inputs[i]), mode, lf, cr, 5,
					    &r);
					result_free(&r);
				}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, basic);
	ATF_TP_ADD_TC(tp, empty);
	ATF_TP_ADD_TC(tp, dot_stuffing);
	ATF_TP_ADD_TC(tp, smuggling);
	ATF_TP_ADD_TC(tp, fatal_sticky);
	ATF_TP_ADD_TC(tp, output_failure);
	ATF_TP_ADD_TC(tp, long_line);
	ATF_TP_ADD_TC(tp, size_limit);
	ATF_TP_ADD_TC(tp, hops);
	ATF_TP_ADD_TC(tp, bdat_chunks);
	ATF_TP_ADD_TC(tp, split_equivalence);
	return atf_no_error();
}
