/*
 * Unit tests for the fs queue backend (src/smtpd/queue_fs.c), run in the
 * test case's work directory standing in for the queue's chroot: the
 * incoming -> queue life of a message, group commit with a failing
 * member, atomic envelope updates, removal of the last envelope, and
 * the start-up walk that must move every kind of damage to corrupt/
 * (and drop half-received messages) without ever failing.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "queue.h"

static const struct queue_backend *be;

static void
setup(void)
{
	int	 fd;

	ATF_REQUIRE(mkdir("queue", 0700) == 0);
	ATF_REQUIRE(mkdir("incoming", 0700) == 0);
	ATF_REQUIRE(mkdir("corrupt", 0700) == 0);
	ATF_REQUIRE((be = queue_backend_lookup("fs")) != NULL);
	ATF_REQUIRE(queue_backend_lookup("nosuch") == NULL);
	ATF_REQUIRE((fd = open(".", O_RDONLY | O_DIRECTORY)) != -1);
	ATF_REQUIRE_EQ(be->qb_init(fd), 0);
}

static int
exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
exists(const char *fmt, ...)
{
	struct stat	 sb;
	char		 path[256];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return lstat(path, &sb) == 0;
}

static size_t
count_dir(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* An incoming message with the given body and envelopes "evp N". */
static void
make_msg(uint32_t msgid, const char *body, size_t nevp)
{
	char	 text[64];
	size_t	 i;
	int	 fd;

	ATF_REQUIRE((fd = be->qb_message_create(msgid)) != -1);
	ATF_REQUIRE(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
	ATF_REQUIRE(close(fd) == 0);
	for (i = 1; i <= nevp; i++) {
		snprintf(text, sizeof(text), "evp %zu\n", i);
		ATF_REQUIRE_EQ(be->qb_envelope_create(msgid,
		    (uint64_t)msgid << 32 | i, text, strlen(text)), 0);
	}
}

static void
commit_one(uint32_t msgid)
{
	int	 ok = 0;

	ATF_REQUIRE_EQ(be->qb_message_commit(&msgid, &ok, 1), 0);
	ATF_REQUIRE_EQ(ok, 1);
}

ATF_TC_WITHOUT_HEAD(create_commit_read);
ATF_TC_BODY(create_commit_read, tc)
{
	char	 buf[64];
	ssize_t	 n;
	int	 fd;

	setup();
	make_msg(0x12345678, "Subject: hi\n\nbody\n", 2);
	ATF_CHECK(exists("incoming/12345678/message"));
	ATF_CHECK(exists("incoming/12345678/1234567800000002"));
	/* The id is taken, incoming or committed. */
	errno = 0;
	ATF_CHECK_EQ(be->qb_message_create(0x12345678), -1);
	ATF_CHECK_EQ(errno, EEXIST);
	/* An envelope of another message is refused. */
	ATF_CHECK_EQ(be->qb_envelope_create(0x12345678, 0x1111111100000001ULL,
	    "x", 1), -1);

	commit_one(0x12345678);
	ATF_CHECK(!exists("incoming/12345678"));
	ATF_CHECK(exists("queue/78/12345678/message"));
	ATF_CHECK(exists("queue/78/12345678/1234567800000001"));
	errno = 0;
	ATF_CHECK_EQ(be->qb_message_create(0x12345678), -1);
	ATF_CHECK_EQ(errno, EEXIST);

	n = be->qb_envelope_read(0x1234567800000002ULL, buf, sizeof(buf));
	ATF_REQUIRE_EQ(n, 6);
	ATF_CHECK_STREQ(buf, "evp 2\n");
	ATF_REQUIRE((fd = be->qb_message_open(0x12345678)) != -1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ATF_REQUIRE(n > 0);
	buf[n] = '\0';
	ATF_CHECK_STREQ(buf, "Subject: hi\n\nbody\n");
	ATF_CHECK_EQ(be->qb_message_open(0x22222222), -1);

	/* Too big for the buffer: refused, not cut. */
	errno = 0;
	ATF_CHECK_EQ(be->qb_envelope_read(0x1234567800000002ULL, buf, 6), -1);
	ATF_CHECK_EQ(errno, EFBIG);
}

ATF_TC_WITHOUT_HEAD(rollback_and_discard);
ATF_TC_BODY(rollback_and_discard, tc)
{
	setup();
	make_msg(0x0badcafe, "x\n", 3);
	ATF_CHECK_EQ(be->qb_envelope_discard(0x0badcafe,
	    0x0badcafe00000002ULL), 0);
	ATF_CHECK(!exists("incoming/0badcafe/0badcafe00000002"));
	ATF_CHECK(exists("incoming/0badcafe/0badcafe00000003"));
	/* Already gone is fine. */
	ATF_CHECK_EQ(be->qb_envelope_discard(0x0badcafe,
	    0x0badcafe00000002ULL), 0);
	ATF_CHECK_EQ(be->qb_message_rollback(0x0badcafe), 0);
	ATF_CHECK(!exists("incoming/0badcafe"));
	ATF_CHECK_EQ(be->qb_message_rollback(0x0badcafe), 0);
	ATF_CHECK_EQ(count_dir("incoming"), 0);
}

ATF_TC_WITHOUT_HEAD(group_commit);
ATF_TC_BODY(group_commit, tc)
{
	uint32_t	 ids[4] = { 0xaaaa0001, 0xbbbb0002, 0xcccc0001,
			    0xdddd0003 };
	int		 ok[4];

	setup();
	make_msg(ids[0], "a\n", 1);
	make_msg(ids[1], "b\n", 2);
	/* ids[2]: never created */
	make_msg(ids[3], "d\n", 1);
	ATF_REQUIRE_EQ(be->qb_message_commit(ids, ok, 4), 0);
	ATF_CHECK_EQ(ok[0], 1);
	ATF_CHECK_EQ(ok[1], 1);
	ATF_CHECK_EQ(ok[2], 0);
	ATF_CHECK_EQ(ok[3], 1);
	ATF_CHECK(exists("queue/01/aaaa0001/message"));
	ATF_CHECK(exists("queue/02/bbbb0002/bbbb000200000002"));
	ATF_CHECK(exists("queue/03/dddd0003/message"));
	ATF_CHECK(!exists("queue/01/cccc0001"));
	ATF_CHECK_EQ(count_dir("incoming"), 0);
}

ATF_TC_WITHOUT_HEAD(update_and_delete);
ATF_TC_BODY(update_and_delete, tc)
{
	char	 buf[64];

	setup();
	make_msg(0x01020304, "m\n", 2);
	commit_one(0x01020304);

	ATF_REQUIRE_EQ(be->qb_envelope_stage(0x0102030400000001ULL,
	    "retry 1\n", 8), 0);
	/* Staged: the old text is still the envelope. */
	ATF_REQUIRE_EQ(be->qb_envelope_read(0x0102030400000001ULL, buf,
	    sizeof(buf)), 6);
	ATF_CHECK_STREQ(buf, "evp 1\n");
	ATF_REQUIRE_EQ(be->qb_sync(), 0);
	ATF_REQUIRE_EQ(be->qb_envelope_install(0x0102030400000001ULL), 0);
	ATF_REQUIRE_EQ(be->qb_envelope_read(0x0102030400000001ULL, buf,
	    sizeof(buf)), 8);
	ATF_CHECK_STREQ(buf, "retry 1\n");
	ATF_CHECK_EQ(count_dir("queue/04/01020304"), 3);	/* with message */
	/* Nothing staged: nothing installed. */
	ATF_CHECK_EQ(be->qb_envelope_install(0x0102030400000001ULL), -1);
	/* An envelope that is gone is not brought back by an update. */
	errno = 0;
	ATF_CHECK_EQ(be->qb_envelope_stage(0x0102030400000009ULL, "x", 1),
	    -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK(!exists("queue/04/01020304/0102030400000009"));
	ATF_CHECK(!exists("queue/04/01020304/"
	    "0102030400000009.tmp"));

	ATF_CHECK_EQ(be->qb_envelope_delete(0x0102030400000001ULL), 0);
	ATF_CHECK(exists("queue/04/01020304/message"));
	ATF_CHECK_EQ(be->qb_envelope_delete(0x0102030400000001ULL), -1);
	ATF_CHECK_EQ(be->qb_envelope_delete(0x0102030400000002ULL), 1);
	ATF_CHECK(!exists("queue/04/01020304"));
}

ATF_TC_WITHOUT_HEAD(corrupt_moves);
ATF_TC_BODY(corrupt_moves, tc)
{
	setup();
	make_msg(0x05060708, "m\n", 2);
	make_msg(0x15060708, "m\n", 1);
	commit_one(0x05060708);
	commit_one(0x15060708);

	ATF_CHECK_EQ(be->qb_envelope_corrupt(0x0506070800000001ULL, 0), 0);
	ATF_CHECK(exists("corrupt/0506070800000001"));
	ATF_CHECK(exists("queue/08/05060708/0506070800000002"));
	/* The last one: the message goes with it. */
	ATF_CHECK_EQ(be->qb_envelope_corrupt(0x0506070800000002ULL, 0), 1);
	ATF_CHECK(exists("corrupt/0506070800000002"));
	ATF_CHECK(!exists("queue/08/05060708"));

	ATF_CHECK_EQ(be->qb_envelope_corrupt(0x1506070800000001ULL, 1), 1);
	ATF_CHECK(exists("corrupt/15060708/message"));
	ATF_CHECK(!exists("queue/08/15060708"));
}

static size_t	 nnotes;

static void
count_note(void *arg, int corrupt, const char *what)
{
	ATF_CHECK_EQ(corrupt, 0);
	nnotes++;
}

ATF_TC_WITHOUT_HEAD(clear_incoming);
ATF_TC_BODY(clear_incoming, tc)
{
	setup();
	make_msg(0x0000aa01, "half\n", 2);
	make_msg(0x0000aa02, "half\n", 0);
	ATF_REQUIRE(mkdir("incoming/junk", 0700) == 0);
	ATF_REQUIRE(mkdir("incoming/junk/deeper", 0700) == 0);
	ATF_CHECK_EQ(count_dir("incoming"), 3);
	nnotes = 0;
	ATF_CHECK_EQ(be->qb_clear_incoming(count_note, NULL), 0);
	ATF_CHECK_EQ(nnotes, 3);
	ATF_CHECK_EQ(count_dir("incoming"), 0);
	ATF_CHECK(exists("incoming"));
}

/* Start-up walk. */
struct walk {
	size_t	 ncb;
	size_t	 nnote;
	size_t	 ncorrupt;
	char	 seen[16][17];
};

static int
walk_cb(void *arg, uint64_t evpid, const char *text, size_t len)
{
	struct walk	*w = arg;

	if (w->ncb < 16)
		snprintf(w->seen[w->ncb], sizeof(w->seen[0]), "%016llx",
		    (unsigned long long)evpid);
	w->ncb++;
	ATF_CHECK_EQ(strlen(text), len);
	return strncmp(text, "bad", 3) == 0 ? -1 : 0;
}

static void
walk_note(void *arg, int corrupt, const char *what)
{
	struct walk	*w = arg;

	w->nnote++;
	w->ncorrupt += corrupt;
	printf("note: %s\n", what);
}

static void
plant(const char *path, const char *text)
{
	FILE	*f;

	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(text, f);
	ATF_REQUIRE(fclose(f) == 0);
}

ATF_TC_WITHOUT_HEAD(load_walk);
ATF_TC_BODY(load_walk, tc)
{
	struct walk	 w;
	unsigned int	 b;

	setup();
	ATF_CHECK_EQ(be->qb_nbuckets, 256);
	/* A good message with three envelopes, one of them bad. */
	make_msg(0x00000101, "good\n", 3);
	commit_one(0x00000101);
	plant("queue/01/00000101/0000010100000002", "bad envelope");
	/* A left-over update and a stray file next to the envelopes. */
	plant("queue/01/00000101/0000010100000003.tmp", "half");
	plant("queue/01/00000101/notes.txt", "hello");
	/* A message whose message file is missing. */
	make_msg(0x00000201, "lost\n", 1);
	commit_one(0x00000201);
	ATF_REQUIRE(unlink("queue/01/00000201/message") == 0);
	/* A message with no envelope left. */
	make_msg(0x00000301, "empty\n", 1);
	commit_one(0x00000301);
	ATF_REQUIRE(unlink("queue/01/00000301/0000030100000001")
	    == 0);
	/* Names that are not ours. */
	ATF_REQUIRE(mkdir("queue/01/00000102", 0700) == 0);	/* bucket 02 */
	plant("queue/01/README", "x");
	/* A message in another bucket. */
	make_msg(0xffffff02, "other\n", 1);
	commit_one(0xffffff02);

	memset(&w, 0, sizeof(w));
	ATF_REQUIRE_EQ(be->qb_load_bucket(1, walk_cb, walk_note, &w), 0);
	ATF_CHECK_EQ(w.ncb, 3);		/* the three of 00000101 */
	ATF_CHECK(exists("queue/01/00000101/0000010100000001"));
	ATF_CHECK(exists("queue/01/00000101/0000010100000003"));
	ATF_CHECK(!exists("queue/01/00000101/0000010100000002"));
	ATF_CHECK(!exists("queue/01/00000101/"
	    "0000010100000003.tmp"));
	ATF_CHECK(exists("corrupt/0000010100000002"));
	ATF_CHECK(exists("corrupt/notes.txt"));
	ATF_CHECK(exists("corrupt/00000201/0000020100000001"));
	ATF_CHECK(!exists("queue/01/00000201"));
	ATF_CHECK(!exists("queue/01/00000301"));
	ATF_CHECK(exists("corrupt/00000102"));
	ATF_CHECK(exists("corrupt/README"));
	ATF_CHECK_EQ(count_dir("queue/01"), 1);
	/* bad envelope, stray file, no message file, empty message,
	 * wrong bucket, README; all but the empty message are corrupt */
	ATF_CHECK_EQ(w.nnote, 6);
	ATF_CHECK_EQ(w.ncorrupt, 5);

	/* The whole queue: the rest is found once, nothing else moves. */
	memset(&w, 0, sizeof(w));
	for (b = 0; b < be->qb_nbuckets; b++)
		ATF_REQUIRE_EQ(be->qb_load_bucket(b, walk_cb, walk_note, &w),
		    0);
	ATF_CHECK_EQ(w.ncb, 3);
	ATF_CHECK_EQ(w.nnote, 0);
	/* A second corrupt file of the same name gets its own. */
	plant("queue/01/00000101/0000010100000001", "bad again");
	make_msg(0x00000401, "x\n", 0);
	ATF_REQUIRE(rename("incoming/00000401", "queue/01/00000401") == 0);
	plant("queue/01/00000401/0000040100000001", "bad");
	memset(&w, 0, sizeof(w));
	ATF_REQUIRE_EQ(be->qb_load_bucket(1, walk_cb, walk_note, &w), 0);
	ATF_CHECK(exists("corrupt/0000010100000001"));
	ATF_CHECK_EQ(w.nnote, 3);	/* 2 bad envelopes, 1 empty message */
	ATF_CHECK_EQ(w.ncorrupt, 2);
	ATF_CHECK(exists("queue/01/00000101/0000010100000003"));
}

/* Without corrupt/, a bad file stays where it is, unread, and the note
 * says so; the walk goes on. */
static char	 last_note[512];

static void
keep_note(void *arg, int corrupt, const char *what)
{
	ATF_CHECK_EQ(corrupt, 1);
	snprintf(last_note, sizeof(last_note), "%s", what);
}

ATF_TC_WITHOUT_HEAD(corrupt_unmovable);
ATF_TC_BODY(corrupt_unmovable, tc)
{
	struct walk	 w;

	setup();
	make_msg(0x00000105, "m\n", 2);
	commit_one(0x00000105);
	plant("queue/05/00000105/0000010500000001", "bad");
	ATF_REQUIRE(rmdir("corrupt") == 0);
	memset(&w, 0, sizeof(w));
	ATF_REQUIRE_EQ(be->qb_load_bucket(5, walk_cb, keep_note, &w), 0);
	ATF_CHECK_EQ(w.ncb, 2);
	ATF_CHECK(strstr(last_note, "envelope 0000010500000001: refused, "
	    "left in place") != NULL);
	ATF_CHECK(exists("queue/05/00000105/0000010500000001"));
	ATF_CHECK(exists("queue/05/00000105/0000010500000002"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, create_commit_read);
	ATF_TP_ADD_TC(tp, rollback_and_discard);
	ATF_TP_ADD_TC(tp, group_commit);
	ATF_TP_ADD_TC(tp, update_and_delete);
	ATF_TP_ADD_TC(tp, corrupt_moves);
	ATF_TP_ADD_TC(tp, clear_incoming);
	ATF_TP_ADD_TC(tp, load_walk);
	ATF_TP_ADD_TC(tp, corrupt_unmovable);
	return atf_no_error();
}
