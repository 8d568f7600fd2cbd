/*
 * Unit tests for the header section tracker (src/lib/smtp_header.c):
 * where the header section ends (empty line, a line that is no field,
 * the end of the message), which fields it holds whatever their case,
 * spacing or folding, what is added and where, the From: rewrite of
 * masquerade, and broken or hostile input: no header section, a line
 * without a colon, a 1 MB header line, a 1 MB line with no colon, NUL
 * bytes, CR-only line ends, a header section that never ends, an
 * oversized From:.  Every case is also fed one byte at a time and in
 * pseudo-random pieces and must give the same output.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "smtp_header.h"
#include "../test_conf.h"

#define DATE	"Mon, 23 Nov 2026 07:54:40 +0000 (UTC)"
#define MSGID	"<0123456789abcdef@mx.example.org>"
#define SENDER	"alice@example.org"
#define ADD	"Date: " DATE "\nMessage-ID: " MSGID "\n"

static const struct smtp_header_fix fix_add = { DATE, MSGID, NULL };
static const struct smtp_header_fix fix_masq = { DATE, MSGID, SENDER };
static const struct smtp_header_fix fix_none = { NULL, NULL, NULL };

struct result {
	struct test_sink	 r_out;
	unsigned int	 r_seen;
	int		 r_end;
};

/* cut 0: all at once; 1: a byte at a time; else random pieces. */
static void
run(const char *in, size_t len, const struct smtp_header_fix *fix,
    uint32_t cut, struct result *r)
{
	struct smtp_header	*sh;
	size_t			 pos = 0, n;
	uint32_t		 x = test_piece_seed(cut);

	memset(r, 0, sizeof(*r));
	test_sink_init(&r->r_out);
	ATF_REQUIRE((sh = malloc(sizeof(*sh))) != NULL);
	ATF_REQUIRE_EQ(smtp_header_init(sh, fix, test_sink_collect, &r->r_out), 0);
	while (pos < len) {
		n = test_piece(cut, &x, len - pos);
		ATF_REQUIRE_EQ(smtp_header_feed(sh, in + pos, n), 0);
		pos += n;
	}
	ATF_REQUIRE_EQ(smtp_header_finish(sh), 0);
	/* Finishing twice adds nothing. */
	ATF_REQUIRE_EQ(smtp_header_finish(sh), 0);
	r->r_seen = smtp_header_seen(sh);
	r->r_end = smtp_header_end(sh);
	free(sh);
}

static void
expect_fix(const char *in, size_t len, const struct smtp_header_fix *fix,
    const char *want, size_t wantlen, unsigned int seen, int end)
{
	struct result	r;
	uint32_t	cut;

	for (cut = 0; cut < 20; cut++) {
		if (cut == 1 && len > 100000)
			continue;	/* a byte at a time: too slow */
		run(in, len, fix, cut, &r);
		ATF_CHECK_EQ_MSG(r.r_out.s_len, wantlen, "cut %u: output "
		    "length %zu, want %zu", cut, r.r_out.s_len, wantlen);
		if (r.r_out.s_len == wantlen && wantlen > 0)
			ATF_CHECK_MSG(memcmp(r.r_out.s_buf, want, wantlen) == 0,
			    "cut %u: output \"%.*s\", want \"%.*s\"", cut,
			    (int)(r.r_out.s_len > 300 ? 300 : r.r_out.s_len),
			    r.r_out.s_buf, (int)(wantlen > 300 ? 300 :
			    wantlen), want);
		ATF_CHECK_EQ_MSG(r.r_seen, seen, "cut %u: seen %#x, want %#x",
		    cut, r.r_seen, seen);
		ATF_CHECK_EQ_MSG(r.r_end, end, "cut %u: end %d, want %d", cut,
		    r.r_end, end);
		free(r.r_out.s_buf);
	}
}

#define S(s)		s, sizeof(s) - 1
#define F_DATE		SMTP_HEADER_DATE
#define F_MSGID		SMTP_HEADER_MSGID
#define F_FROM		SMTP_HEADER_FROM
#define E_EMPTY		SMTP_HEADER_END_EMPTY
#define E_BODY		SMTP_HEADER_END_BODY
#define E_EOF		SMTP_HEADER_END_EOF

/* Input, fix, wanted output (strings without NUL). */
#define EXPECT(in, fix, out, seen, end) \
	expect_fix(S(in), fix, S(out), seen, end)

ATF_TC_WITHOUT_HEAD(add_missing);
ATF_TC_BODY(add_missing, tc)
{
	EXPECT("Subject: x\nTo: <b@example.net>\n\nbody\n", &fix_add,
	    "Subject: x\nTo: <b@example.net>\n" ADD "\nbody\n", 0, E_EMPTY);
	/* Only the missing one. */
	EXPECT("Date: x\n\nbody\n", &fix_add,
	    "Date: x\nMessage-ID: " MSGID "\n\nbody\n", F_DATE, E_EMPTY);
	EXPECT("Message-ID: <a@b>\n\nbody\n", &fix_add,
	    "Message-ID: <a@b>\nDate: " DATE "\n\nbody\n", F_MSGID,
	    E_EMPTY);
	/* Nothing asked: nothing added. */
	EXPECT("Subject: x\n\nbody\n", &fix_none, "Subject: x\n\nbody\n", 0,
	    E_EMPTY);
	EXPECT("Subject: x\n\nbody\n", NULL, "Subject: x\n\nbody\n", 0,
	    E_EMPTY);
	/* The body may look like a header section: it is not one. */
	EXPECT("Subject: x\n\nDate: y\n\nMessage-ID: z\n", &fix_add,
	    "Subject: x\n" ADD "\nDate: y\n\nMessage-ID: z\n", 0, E_EMPTY);
	/* An empty message gets the fields and nothing else. */
	EXPECT("", &fix_add, ADD, 0, E_EOF);
	/* Only an empty line: the header section is empty. */
	EXPECT("\n", &fix_add, ADD "\n", 0, E_EMPTY);
	EXPECT("\nbody\n", &fix_add, ADD "\nbody\n", 0, E_EMPTY);
}

ATF_TC_WITHOUT_HEAD(present_untouched);
ATF_TC_BODY(present_untouched, tc)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 end;
	} ins[] = {
		{ S("Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <a@b>\n"
		    "\nbody\n"), E_EMPTY },
		/* Odd case, spaces before the colon (RFC 5322 4.5.3). */
		{ S("dAtE: x\nMESSAGE-id: <a@b>\n\nbody\n"), E_EMPTY },
		{ S("DATE \t: x\nmessage-ID  :<a@b>\n\nbody\n"), E_EMPTY },
		/* Folded values, and the fields last. */
		{ S("Subject: a\n\tb\nDate:\n Mon, 1 Jan 2024\n 00:00:00 "
		    "+0000\nMessage-ID:\n\t<a@b>\n\nbody\n"), E_EMPTY },
		/* Empty values still count: a second Date would be worse. */
		{ S("Date:\nMessage-ID:\n\n"), E_EMPTY },
		/* Present, header section to the end of the message. */
		{ S("Date: x\nMessage-ID: y\n"), E_EOF },
		{ S("Date: x\nMessage-ID: y"), E_EOF },
		/* Present, body without the empty line. */
		{ S("Date: x\nMessage-ID: y\nbody, no empty line\n"), E_BODY },
		/* 8-bit and NUL in values pass through. */
		{ S("Date: \xc3\xa9\nMessage-ID: a\0b\n\n\0\n"), E_EMPTY },
	};
	size_t	i;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
		expect_fix(ins[i].in, ins[i].len, &fix_add, ins[i].in,
		    ins[i].len, F_DATE | F_MSGID, ins[i].end);
	/* Names that only look alike are other fields. */
	EXPECT("Dates: x\nX-Date: y\nMessage-IDs: z\nResent-Date: w\n\n",
	    &fix_add, "Dates: x\nX-Date: y\nMessage-IDs: z\nResent-Date: w\n"
	    ADD "\n", 0, E_EMPTY);
	/* A field named in a continuation line is part of another. */
	EXPECT("Subject: x\n Date: y\n\n", &fix_add,
	    "Subject: x\n Date: y\n" ADD "\n", 0, E_EMPTY);
}

ATF_TC_WITHOUT_HEAD(no_header_block);
ATF_TC_BODY(no_header_block, tc)
{
	/* A body alone: the fields, an empty line, the body. */
	EXPECT("Hello world\nsecond line\n", &fix_add,
	    ADD "\nHello world\nsecond line\n", 0, E_BODY);
	EXPECT("Hello", &fix_add, ADD "\nHello", 0, E_BODY);
	/* A first line starting with a space continues nothing. */
	EXPECT(" Date: x\n\n", &fix_add, ADD "\n Date: x\n\n", 0, E_BODY);
	EXPECT("\tx\n", &fix_add, ADD "\n\tx\n", 0, E_BODY);
	/* A colon first: no field name. */
	EXPECT(": x\n\n", &fix_add, ADD "\n: x\n\n", 0, E_BODY);
	/* 8-bit in the name. */
	EXPECT("Subj\xc3\xa9t: x\n\n", &fix_add,
	    ADD "\nSubj\xc3\xa9t: x\n\n", 0, E_BODY);
	/* Nothing to add: not even the empty line. */
	EXPECT("Hello world\n", &fix_none, "Hello world\n", 0, E_BODY);
}

ATF_TC_WITHOUT_HEAD(header_without_colon);
ATF_TC_BODY(header_without_colon, tc)
{
	/* The body starts at the first line that is no field. */
	EXPECT("Subject: x\nthis is the body\nDate: y\n", &fix_add,
	    "Subject: x\n" ADD "\nthis is the body\nDate: y\n", 0, E_BODY);
	/* A name, spaces, then no colon. */
	EXPECT("Subject: x\nDate y\n\n", &fix_add,
	    "Subject: x\n" ADD "\nDate y\n\n", 0, E_BODY);
	EXPECT("Subject: x\nDate  \t\n\n", &fix_add,
	    "Subject: x\n" ADD "\nDate  \t\n\n", 0, E_BODY);
	/* A name cut by the end of the message. */
	EXPECT("Subject: x\nDat", &fix_add, "Subject: x\n" ADD "\nDat", 0,
	    E_BODY);
	EXPECT("Subject: x\nDate ", &fix_add, "Subject: x\n" ADD "\nDate ",
	    0, E_BODY);
	/* "From " (an mbox line) is no field. */
	EXPECT("From alice Mon Jan 1\nSubject: x\n\n", &fix_add,
	    ADD "\nFrom alice Mon Jan 1\nSubject: x\n\n", 0, E_BODY);
}

ATF_TC_WITHOUT_HEAD(huge_lines);
ATF_TC_BODY(huge_lines, tc)
{
	const size_t	 big = 1024 * 1024;
	char		*in, *want;
	size_t		 len, n;

	ATF_REQUIRE((in = malloc(big + 100)) != NULL);
	ATF_REQUIRE((want = malloc(big + 400)) != NULL);

	/* A 1 MB field value streams through; the field ends it. */
	len = 0;
	memcpy(in, "X-Long: ", 8);
	len = 8;
	memset(in + len, 'a', big);
	len += big;
	memcpy(in + len, "\n\nbody\n", 7);
	len += 7;
	n = len - 7 + 1;
	memcpy(want, in, n);
	memcpy(want + n, ADD, strlen(ADD));
	memcpy(want + n + strlen(ADD), "\nbody\n", 6);
	expect_fix(in, len, &fix_add, want, n + strlen(ADD) + 6, 0,
	    E_EMPTY);

	/* A 1 MB line of name characters without a colon: no field can
	 * be that long, it is the body, found at the cap. */
	memset(in, 'a', big);
	memcpy(in + big, ": x\n", 4);
	len = big + 4;
	memcpy(want, ADD "\n", strlen(ADD) + 1);
	memcpy(want + strlen(ADD) + 1, in, len);
	expect_fix(in, len, &fix_add, want, len + strlen(ADD) + 1, 0,
	    E_BODY);

	/* A name of exactly the cap with its colon is still a field. */
	memset(in, 'b', SMTP_HEADER_NAME_MAX);
	memcpy(in + SMTP_HEADER_NAME_MAX, ":\n\n", 3);
	len = SMTP_HEADER_NAME_MAX + 3;
	memcpy(want, in, len - 1);
	memcpy(want + len - 1, ADD "\n", strlen(ADD) + 1);
	expect_fix(in, len, &fix_add, want, len + strlen(ADD), 0, E_EMPTY);
	/* One more byte of name: the body. */
	memset(in, 'b', SMTP_HEADER_NAME_MAX + 1);
	memcpy(in + SMTP_HEADER_NAME_MAX + 1, ":\n\n", 3);
	len = SMTP_HEADER_NAME_MAX + 4;
	memcpy(want, ADD "\n", strlen(ADD) + 1);
	memcpy(want + strlen(ADD) + 1, in, len);
	expect_fix(in, len, &fix_add, want, len + strlen(ADD) + 1, 0,
	    E_BODY);
	/* Spaces count too: name, 1 MB of spaces, colon. */
	memcpy(in, "Date", 4);
	memset(in + 4, ' ', big);
	memcpy(in + 4 + big, ": x\n\n", 5);
	len = big + 9;
	memcpy(want, ADD "\n", strlen(ADD) + 1);
	memcpy(want + strlen(ADD) + 1, in, len);
	expect_fix(in, len, &fix_add, want, len + strlen(ADD) + 1, 0,
	    E_BODY);
	free(in);
	free(want);
}

ATF_TC_WITHOUT_HEAD(nul_bytes);
ATF_TC_BODY(nul_bytes, tc)
{
	/* NUL in a name: no field. */
	EXPECT("Da\0te: x\n\n", &fix_add, ADD "\nDa\0te: x\n\n", 0, E_BODY);
	/* NUL at the start of a line. */
	EXPECT("Subject: x\n\0\n\n", &fix_add,
	    "Subject: x\n" ADD "\n\0\n\n", 0, E_BODY);
	/* NUL in a value: part of the field. */
	EXPECT("Subject: \0\0\nDate: x\n\n", &fix_add,
	    "Subject: \0\0\nDate: x\nMessage-ID: " MSGID "\n\n", F_DATE,
	    E_EMPTY);
}

ATF_TC_WITHOUT_HEAD(cr_only);
ATF_TC_BODY(cr_only, tc)
{
	/* Bare CRs (smtp bare-cr accept) end no line: one long field,
	 * the header section never ends, the fields go last after an
	 * LF. */
	EXPECT("Subject: x\rDate: y\r\rbody\r", &fix_add,
	    "Subject: x\rDate: y\r\rbody\r\n" ADD, 0, E_EOF);
	/* A line holding only a CR is not empty: the body. */
	EXPECT("Subject: x\n\r\nbody\n", &fix_add,
	    "Subject: x\n" ADD "\n\r\nbody\n", 0, E_BODY);
	/* CR in a name. */
	EXPECT("Date\r: x\n\n", &fix_add, ADD "\nDate\r: x\n\n", 0, E_BODY);
	/* Nothing to add: not even the LF. */
	EXPECT("Subject: x\rDate", &fix_none, "Subject: x\rDate", 0, E_EOF);
}

ATF_TC_WITHOUT_HEAD(never_ends);
ATF_TC_BODY(never_ends, tc)
{
	char	*in, *want;
	size_t	 i, len = 0, n = 100000;

	EXPECT("Subject: x\nTo: y\n", &fix_add, "Subject: x\nTo: y\n" ADD, 0,
	    E_EOF);
	EXPECT("Subject: x\nTo: y", &fix_add, "Subject: x\nTo: y\n" ADD, 0,
	    E_EOF);
	EXPECT("Subject: x\n\tfolded", &fix_add,
	    "Subject: x\n\tfolded\n" ADD, 0, E_EOF);

	/* 100,000 fields and continuation lines, no end: streamed, the
	 * fields added last. */
	ATF_REQUIRE((in = malloc(n * 16)) != NULL);
	ATF_REQUIRE((want = malloc(n * 16 + 200)) != NULL);
	for (i = 0; i < n; i++) {
		memcpy(in + len, i % 2 ? "\tcont\n" : "X-F: v\n",
		    i % 2 ? 6 : 7);
		len += i % 2 ? 6 : 7;
	}
	memcpy(want, in, len);
	memcpy(want + len, ADD, strlen(ADD));
	expect_fix(in, len, &fix_add, want, len + strlen(ADD), 0, E_EOF);
	free(in);
	free(want);
}

ATF_TC_WITHOUT_HEAD(masquerade);
ATF_TC_BODY(masquerade, tc)
{
#define M	"Date: x\nMessage-ID: y\n"
#define MS	(F_DATE | F_MSGID | F_FROM)
	EXPECT(M "From: Bob <bob@example.net>\nTo: z\n\nbody\n", &fix_masq,
	    M "From: Bob <" SENDER ">\nTo: z\n\nbody\n", MS, E_EMPTY);
	/* Quoted display name holding the special characters. */
	EXPECT(M "FROM: \"Doe, <John>\" <j@x>\n\n", &fix_masq,
	    M "From: \"Doe, <John>\" <" SENDER ">\n\n", MS, E_EMPTY);
	EXPECT(M "From: \"a\\\"<b\" <j@x>\n\n", &fix_masq,
	    M "From: \"a\\\"<b\" <" SENDER ">\n\n", MS, E_EMPTY);
	/* Comments. */
	EXPECT(M "From: (x <y>) Bob <j@x>\n\n", &fix_masq,
	    M "From: (x <y>) Bob <" SENDER ">\n\n", MS, E_EMPTY);
	/* Folded: unfolded. */
	EXPECT(M "From: Bob\n Smith\n\t<bob@example.net>\nTo: z\n\n",
	    &fix_masq, M "From: Bob Smith <" SENDER ">\nTo: z\n\n", MS,
	    E_EMPTY);
	/* A bare address, a list, a group: the sender alone. */
	EXPECT(M "From: bob@example.net\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	EXPECT(M "From: a@x, Bob <b@x>\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	EXPECT(M "From: friends: a@x, b@x;\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	EXPECT(M "From: <b@x>\n\n", &fix_masq, M "From: <" SENDER ">\n\n",
	    MS, E_EMPTY);
	EXPECT(M "From:\n\n", &fix_masq, M "From: <" SENDER ">\n\n", MS,
	    E_EMPTY);
	/* A display name with control characters is dropped. */
	EXPECT(M "From: B\0b <b@x>\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	EXPECT(M "From: B\rb <b@x>\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	/* Unbalanced quote: no '<' at the top level. */
	EXPECT(M "From: \"Bob <b@x>\n\n", &fix_masq,
	    M "From: <" SENDER ">\n\n", MS, E_EMPTY);
	/* Every From: field. */
	EXPECT(M "From: A <a@x>\nfrom: B <b@x>\n\n", &fix_masq,
	    M "From: A <" SENDER ">\nFrom: B <" SENDER ">\n\n", MS,
	    E_EMPTY);
	/* None: one is added with the others. */
	EXPECT("Subject: x\n\nbody\n", &fix_masq,
	    "Subject: x\n" ADD "From: <" SENDER ">\n\nbody\n", 0, E_EMPTY);
	/* From last, at the end of the message, with or without LF. */
	EXPECT(M "From: Bob <b@x>\n", &fix_masq, M "From: Bob <" SENDER ">\n",
	    MS, E_EOF);
	EXPECT(M "From: Bob <b@x>", &fix_masq, M "From: Bob <" SENDER ">\n",
	    MS, E_EOF);
	EXPECT(M "From: Bob\n <b@x>", &fix_masq, M "From: Bob <" SENDER ">\n",
	    MS, E_EOF);
	/* From, then a body line without the empty line. */
	EXPECT(M "From: Bob <b@x>\nbody\n", &fix_masq,
	    M "From: Bob <" SENDER ">\nbody\n", MS, E_BODY);
	/* From: in the body is left alone. */
	EXPECT(M "From: A <a@x>\n\nFrom: B <b@x>\n", &fix_masq,
	    M "From: A <" SENDER ">\n\nFrom: B <b@x>\n", MS, E_EMPTY);
	/* Without masquerade From: is not touched. */
	EXPECT(M "From: A <a@x>\n\n", &fix_add, M "From: A <a@x>\n\n",
	    F_DATE | F_MSGID | F_FROM, E_EMPTY);
#undef M
#undef MS
}

ATF_TC_WITHOUT_HEAD(masquerade_oversized);
ATF_TC_BODY(masquerade_oversized, tc)
{
	char	*in, *want;
	size_t	 len, n, wl;

	ATF_REQUIRE((in = malloc(1024 * 1024 + 200)) != NULL);
	ATF_REQUIRE((want = malloc(1024)) != NULL);
	/* A From: over the cap (here 1 MB in continuation lines): it is
	 * replaced whole, and what follows is intact. */
	len = 0;
	memcpy(in, "From: ", 6);
	len = 6;
	for (n = 0; n < 1024 * 1024 / 64; n++) {
		memset(in + len, 'x', 62);
		in[len + 62] = '\n';
		in[len + 63] = ' ';
		len += 64;
	}
	memcpy(in + len, "<a@b>\nSubject: s\n\nbody\n", 23);
	len += 23;
	wl = (size_t)snprintf(want, 1024, "From: <%s>\nSubject: s\n%s\nbody\n",
	    SENDER, ADD);
	expect_fix(in, len, &fix_masq, want, wl, F_FROM, E_EMPTY);

	/* Just under the cap: the display name is kept. */
	n = SMTP_HEADER_FROM_MAX - strlen("From: ") - strlen(" <a@b>\n");
	memcpy(in, "From: ", 6);
	memset(in + 6, 'n', n);
	memcpy(in + 6 + n, " <a@b>\n\n", 8);
	len = 6 + n + 8;
	free(want);
	ATF_REQUIRE((want = malloc(len + 400)) != NULL);
	memcpy(want, in, 6 + n + 1);
	wl = 6 + n + 1;
	wl += (size_t)sprintf(want + wl, "<%s>\n%s\n", SENDER, ADD);
	expect_fix(in, len, &fix_masq, want, wl, F_FROM, E_EMPTY);
	free(in);
	free(want);
}

ATF_TC_WITHOUT_HEAD(init_values);
ATF_TC_BODY(init_values, tc)
{
	struct smtp_header		 sh;
	struct smtp_header_fix		 fix;
	struct test_sink		 s;
	char				 big[SMTP_HEADER_VALUE_MAX + 2];

	test_sink_init(&s);
	fix = fix_add;
	fix.hf_date = "a\r\nBcc: x";
	ATF_CHECK_EQ(smtp_header_init(&sh, &fix, test_sink_collect, &s), -1);
	fix = fix_add;
	fix.hf_msgid = "<a@b>\n";
	ATF_CHECK_EQ(smtp_header_init(&sh, &fix, test_sink_collect, &s), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fix = fix_masq;
	fix.hf_from = big;
	ATF_CHECK_EQ(smtp_header_init(&sh, &fix, test_sink_collect, &s), -1);
	big[sizeof(big) - 2] = '\0';
	ATF_CHECK_EQ(smtp_header_init(&sh, &fix, test_sink_collect, &s), 0);
	/* The fixed memory: nothing else is allocated. */
	ATF_CHECK(sizeof(sh) < 8 * 1024);
}

ATF_TC_WITHOUT_HEAD(emit_failure);
ATF_TC_BODY(emit_failure, tc)
{
	struct smtp_header	sh;
	struct test_sink		s;

	test_sink_init(&s);
	s.s_fail_at = 0;	/* every emit fails */
	ATF_REQUIRE_EQ(smtp_header_init(&sh, &fix_add, test_sink_collect, &s), 0);
	ATF_CHECK_EQ(smtp_header_feed(&sh, S("Subject: x\n")), -1);
	ATF_REQUIRE_EQ(smtp_header_init(&sh, &fix_add, test_sink_collect, &s), 0);
	ATF_CHECK_EQ(smtp_header_feed(&sh, S("Subj")), 0);	/* held */
	ATF_CHECK_EQ(smtp_header_finish(&sh), -1);
	ATF_REQUIRE_EQ(smtp_header_init(&sh, &fix_masq, test_sink_collect, &s), 0);
	ATF_CHECK_EQ(smtp_header_feed(&sh, S("From: a\n")), 0);	/* held */
	ATF_CHECK_EQ(smtp_header_feed(&sh, S("\n")), -1);
	ATF_REQUIRE_EQ(smtp_header_init(&sh, &fix_add, test_sink_collect, &s), 0);
	ATF_CHECK_EQ(smtp_header_feed(&sh, S("\n")), -1);
	free(s.s_buf);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, add_missing);
	ATF_TP_ADD_TC(tp, present_untouched);
	ATF_TP_ADD_TC(tp, no_header_block);
	ATF_TP_ADD_TC(tp, header_without_colon);
	ATF_TP_ADD_TC(tp, huge_lines);
	ATF_TP_ADD_TC(tp, nul_bytes);
	ATF_TP_ADD_TC(tp, cr_only);
	ATF_TP_ADD_TC(tp, never_ends);
	ATF_TP_ADD_TC(tp, masquerade);
	ATF_TP_ADD_TC(tp, masquerade_oversized);
	ATF_TP_ADD_TC(tp, init_values);
	ATF_TP_ADD_TC(tp, emit_failure);
	return atf_no_error();
}
