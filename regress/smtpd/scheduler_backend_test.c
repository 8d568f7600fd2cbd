/*
 * Unit tests for the scheduler's timing logic (src/smtpd/scheduler_backend.c):
 * new envelopes are due at once, temporary failures back off
 * exponentially up to the cap and never past the expiry, due envelopes
 * past their expiry are expired, the in-flight cap holds the rest back,
 * and ids the schedule does not know (or knows twice) are refused.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include "ipc.h"
#include "scheduler.h"

#define T0	1000000		/* an arbitrary "now" */

static struct sched_info
info(uint64_t evpid, time_t expire, uint32_t retry, time_t lasttry)
{
	struct sched_info	 si;

	memset(&si, 0, sizeof(si));
	si.si_evpid = evpid;
	si.si_type = 1;
	si.si_creation = T0 - 10;
	si.si_expire = expire;
	si.si_retry = retry;
	si.si_lasttry = lasttry;
	return si;
}

static void
insert(struct sched *s, uint64_t evpid, time_t expire, uint32_t retry,
    time_t lasttry)
{
	struct sched_info	 si = info(evpid, expire, retry, lasttry);

	ATF_REQUIRE_EQ(sched_insert(s, &si), 0);
}

/* The envelope due at now must be evpid with action. */
static void
expect_next(struct sched *s, time_t now, uint64_t evpid, int action)
{
	uint64_t	 got;
	int		 act;

	ATF_REQUIRE_EQ_MSG(sched_next(s, now, &got, &act), 1,
	    "nothing due at %lld", (long long)now);
	ATF_CHECK_EQ_MSG(got, evpid, "got %llx, want %llx",
	    (unsigned long long)got, (unsigned long long)evpid);
	ATF_CHECK_EQ(act, action);
}

static void
expect_none(struct sched *s, time_t now)
{
	uint64_t	 got;
	int		 act;

	ATF_CHECK_EQ_MSG(sched_next(s, now, &got, &act), 0,
	    "unexpected %llx due at %lld", (unsigned long long)got,
	    (long long)now);
}

ATF_TC_WITHOUT_HEAD(new_envelope_due_now);
ATF_TC_BODY(new_envelope_due_now, tc)
{
	struct sched	*s;
	time_t		 when;

	ATF_REQUIRE((s = sched_new(10, 100, 10)) != NULL);
	ATF_CHECK_EQ(sched_next_time(s, &when), -1);
	insert(s, 0x100000001ULL, T0 + 1000, 0, 0);
	ATF_CHECK_EQ(sched_count(s), 1);
	ATF_REQUIRE_EQ(sched_next_time(s, &when), 0);
	ATF_CHECK(when <= T0);
	expect_next(s, T0, 0x100000001ULL, SCHED_DELIVER);
	ATF_CHECK_EQ(sched_inflight(s), 1);
	expect_none(s, T0 + 100000);
	ATF_CHECK_EQ(sched_next_time(s, &when), -1);
	ATF_CHECK_EQ(sched_remove(s, 0x100000001ULL), 0);
	ATF_CHECK_EQ(sched_count(s), 0);
	ATF_CHECK_EQ(sched_inflight(s), 0);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(backoff_doubles_to_cap);
ATF_TC_BODY(backoff_doubles_to_cap, tc)
{
	struct sched	*s;
	uint64_t	 id = 0x200000002ULL;
	time_t		 when, last = T0;
	const time_t	 want[] = { 10, 20, 40, 80, 100, 100, 100 };
	uint32_t	 retry;

	ATF_REQUIRE((s = sched_new(10, 100, 10)) != NULL);
	ATF_CHECK_EQ(sched_backoff(s, 1), 10);
	ATF_CHECK_EQ(sched_backoff(s, 4), 80);
	ATF_CHECK_EQ(sched_backoff(s, 5), 100);
	ATF_CHECK_EQ(sched_backoff(s, 4000000000U), 100);

	insert(s, id, T0 + 1000000, 0, 0);
	expect_next(s, T0, id, SCHED_DELIVER);
	for (retry = 1; retry <= 7; retry++) {
		ATF_REQUIRE_EQ(sched_tempfail(s, id, retry, last), 0);
		ATF_REQUIRE_EQ(sched_envelope_time(s, id, &when), 0);
		ATF_CHECK_EQ_MSG(when, last + want[retry - 1],
		    "retry %u: due at +%lld, want +%lld", retry,
		    (long long)(when - last), (long long)want[retry - 1]);
		expect_none(s, when - 1);
		expect_next(s, when, id, SCHED_DELIVER);
		last = when;
	}
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(never_after_expiry);
ATF_TC_BODY(never_after_expiry, tc)
{
	struct sched	*s;
	uint64_t	 id = 0x300000003ULL;
	time_t		 when;

	ATF_REQUIRE((s = sched_new(60, 3600, 10)) != NULL);
	insert(s, id, T0 + 30, 0, 0);
	expect_next(s, T0, id, SCHED_DELIVER);
	/* The next try would be at T0 + 60, after the expiry. */
	ATF_REQUIRE_EQ(sched_tempfail(s, id, 1, T0), 0);
	ATF_REQUIRE_EQ(sched_envelope_time(s, id, &when), 0);
	ATF_CHECK_EQ(when, T0 + 30);
	expect_none(s, T0 + 29);
	expect_next(s, T0 + 30, id, SCHED_EXPIRE);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(expired_at_insert);
ATF_TC_BODY(expired_at_insert, tc)
{
	struct sched	*s;

	ATF_REQUIRE((s = sched_new(60, 3600, 10)) != NULL);
	insert(s, 0x400000004ULL, T0 - 1, 0, 0);
	expect_next(s, T0, 0x400000004ULL, SCHED_EXPIRE);
	sched_free(s);
}

/* An expiry that failed temporarily (its bounce could not be queued)
 * waits a backoff delay rather than coming back at once forever. */
ATF_TC_WITHOUT_HEAD(retry_after_expiry);
ATF_TC_BODY(retry_after_expiry, tc)
{
	struct sched	*s;
	uint64_t	 id = 0x500000005ULL;
	time_t		 when;

	ATF_REQUIRE((s = sched_new(60, 3600, 10)) != NULL);
	insert(s, id, T0 - 100, 0, 0);
	expect_next(s, T0, id, SCHED_EXPIRE);
	ATF_REQUIRE_EQ(sched_tempfail(s, id, 1, T0), 0);
	ATF_REQUIRE_EQ(sched_envelope_time(s, id, &when), 0);
	ATF_CHECK_EQ(when, T0 + 60);
	expect_none(s, T0 + 59);
	expect_next(s, T0 + 60, id, SCHED_EXPIRE);
	sched_free(s);
}

/* Loaded at start-up after earlier failures. */
ATF_TC_WITHOUT_HEAD(loaded_with_retries);
ATF_TC_BODY(loaded_with_retries, tc)
{
	struct sched	*s;
	time_t		 when;

	ATF_REQUIRE((s = sched_new(10, 1000, 10)) != NULL);
	insert(s, 0x600000006ULL, T0 + 10000, 3, T0 - 5);
	ATF_REQUIRE_EQ(sched_next_time(s, &when), 0);
	ATF_CHECK_EQ(when, T0 - 5 + 40);
	expect_none(s, T0);
	expect_next(s, T0 + 35, 0x600000006ULL, SCHED_DELIVER);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(time_order);
ATF_TC_BODY(time_order, tc)
{
	struct sched	*s;

	ATF_REQUIRE((s = sched_new(10, 1000, 100)) != NULL);
	insert(s, 0x700000003ULL, T0 + 10000, 2, T0);		/* T0 + 20 */
	insert(s, 0x700000001ULL, T0 + 10000, 1, T0);		/* T0 + 10 */
	insert(s, 0x700000004ULL, T0 + 15, 3, T0);		/* T0 + 15 */
	insert(s, 0x700000002ULL, T0 + 10000, 0, 0);		/* now */
	insert(s, 0x700000005ULL, T0 + 10000, 0, 0);		/* now */
	expect_next(s, T0, 0x700000002ULL, SCHED_DELIVER);
	expect_next(s, T0, 0x700000005ULL, SCHED_DELIVER);
	expect_none(s, T0 + 9);
	expect_next(s, T0 + 100, 0x700000001ULL, SCHED_DELIVER);
	expect_next(s, T0 + 100, 0x700000004ULL, SCHED_EXPIRE);
	expect_next(s, T0 + 100, 0x700000003ULL, SCHED_DELIVER);
	expect_none(s, T0 + 100000);
	ATF_CHECK_EQ(sched_inflight(s), 5);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(inflight_cap);
ATF_TC_BODY(inflight_cap, tc)
{
	struct sched	*s;
	time_t		 when;

	ATF_REQUIRE((s = sched_new(10, 1000, 2)) != NULL);
	insert(s, 0x800000001ULL, T0 + 100, 0, 0);
	insert(s, 0x800000002ULL, T0 + 100, 0, 0);
	insert(s, 0x800000003ULL, T0 + 100, 0, 0);
	expect_next(s, T0, 0x800000001ULL, SCHED_DELIVER);
	expect_next(s, T0, 0x800000002ULL, SCHED_DELIVER);
	expect_none(s, T0);
	ATF_CHECK_EQ(sched_next_time(s, &when), -1);
	ATF_CHECK_EQ(sched_inflight(s), 2);
	/* A result frees a slot. */
	ATF_REQUIRE_EQ(sched_remove(s, 0x800000001ULL), 0);
	ATF_CHECK_EQ(sched_next_time(s, &when), 0);
	expect_next(s, T0, 0x800000003ULL, SCHED_DELIVER);
	/* A higher cap from a reload frees more. */
	ATF_REQUIRE_EQ(sched_tempfail(s, 0x800000002ULL, 1, T0), 0);
	ATF_REQUIRE_EQ(sched_tempfail(s, 0x800000003ULL, 1, T0), 0);
	ATF_CHECK_EQ(sched_inflight(s), 0);
	sched_set_params(s, 5, 1000, 1);
	ATF_REQUIRE_EQ(sched_next_time(s, &when), 0);
	ATF_CHECK_EQ(when, T0 + 5);
	expect_next(s, T0 + 5, 0x800000002ULL, SCHED_DELIVER);
	expect_none(s, T0 + 5);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(unknown_and_duplicate);
ATF_TC_BODY(unknown_and_duplicate, tc)
{
	struct sched		*s;
	struct sched_info	 si;

	ATF_REQUIRE((s = sched_new(10, 1000, 10)) != NULL);
	insert(s, 0x900000001ULL, T0 + 100, 0, 0);
	si = info(0x900000001ULL, T0 + 100, 0, 0);
	ATF_CHECK_EQ(sched_insert(s, &si), -1);
	si = info(0, T0 + 100, 0, 0);
	ATF_CHECK_EQ(sched_insert(s, &si), -1);
	/* Not in flight yet. */
	ATF_CHECK_EQ(sched_tempfail(s, 0x900000001ULL, 1, T0), -1);
	ATF_CHECK_EQ(sched_tempfail(s, 0x900000002ULL, 1, T0), -1);
	ATF_CHECK_EQ(sched_remove(s, 0x900000002ULL), -1);
	ATF_CHECK_EQ(sched_remove(s, 0x900000001ULL), 0);
	ATF_CHECK_EQ(sched_remove(s, 0x900000001ULL), -1);
	ATF_CHECK_EQ(sched_count(s), 0);
	sched_free(s);
}

ATF_TC_WITHOUT_HEAD(info_payload);
ATF_TC_BODY(info_payload, tc)
{
	struct msg_out		 out;
	struct msg_in		 in;
	struct sched_info	 a, b;

	a = info(0xa00000001ULL, T0 + 345600, 7, T0 - 3);
	m_init(&out);
	sched_info_add(&out, &a);
	ATF_REQUIRE_EQ(m_error(&out), 0);
	m_open_buf(&in, m_data(&out), m_len(&out));
	memset(&b, 0, sizeof(b));
	sched_info_get(&in, &b);
	ATF_REQUIRE_EQ(m_end(&in), 0);
	ATF_CHECK_EQ(b.si_evpid, a.si_evpid);
	ATF_CHECK_EQ(b.si_type, a.si_type);
	ATF_CHECK_EQ(b.si_creation, a.si_creation);
	ATF_CHECK_EQ(b.si_expire, a.si_expire);
	ATF_CHECK_EQ(b.si_retry, a.si_retry);
	ATF_CHECK_EQ(b.si_lasttry, a.si_lasttry);

	/* One byte short: refused. */
	m_open_buf(&in, m_data(&out), m_len(&out) - 1);
	sched_info_get(&in, &b);
	ATF_CHECK_EQ(m_end(&in), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, new_envelope_due_now);
	ATF_TP_ADD_TC(tp, backoff_doubles_to_cap);
	ATF_TP_ADD_TC(tp, never_after_expiry);
	ATF_TP_ADD_TC(tp, expired_at_insert);
	ATF_TP_ADD_TC(tp, retry_after_expiry);
	ATF_TP_ADD_TC(tp, loaded_with_retries);
	ATF_TP_ADD_TC(tp, time_order);
	ATF_TP_ADD_TC(tp, inflight_cap);
	ATF_TP_ADD_TC(tp, unknown_and_duplicate);
	ATF_TP_ADD_TC(tp, info_payload);
	return atf_no_error();
}
