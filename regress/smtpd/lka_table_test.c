/*
 * Tables as lka loads them (table.c, table_static.c, table_file.c):
 * inline lists and mappings, file tables, keeping old contents when a
 * reload cannot read the file, and each lookup kind (string, domain
 * globs, mail addresses, network addresses, regex, userinfo).
 */
#include <sys/types.h>

#include <atf-c.h>
#include <db_185.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mailaddr.h"
#include "table.h"
#include "../test_conf.h"

static struct table_data *
get(struct table_set *ts, struct smtpd_config *c, const char *name)
{
	struct table	*t;

	ATF_REQUIRE((t = config_table_find(c, name)) != NULL);
	return table_set_get(ts, t);
}

static struct mailaddr *
addr(const char *user, const char *domain)
{
	static struct mailaddr	ma;

	memset(&ma, 0, sizeof(ma));
	strlcpy(ma.ma_user, user, sizeof(ma.ma_user));
	strlcpy(ma.ma_domain, domain, sizeof(ma.ma_domain));
	return &ma;
}

#define RULES	"listen on 127.0.0.1\nmatch for local reject\n"

ATF_TC_WITHOUT_HEAD(inline_list_and_map);
ATF_TC_BODY(inline_list_and_map, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*l, *m;
	const char		*v;

	c = test_conf_parse("table l { Alice, \"bob\", \"*.Example.org\" }\n"
	    "table m { K1 = v1, \"k2\" = \"Value Two\", k1 = last }\n" RULES);
	ts = table_set_load(c, NULL);
	l = get(ts, c, "l");
	m = get(ts, c, "m");
	ATF_CHECK_EQ(table_data_count(l), 3);
	ATF_CHECK_EQ(table_match_string(l, "alice"), 1);
	ATF_CHECK_EQ(table_match_string(l, "ALICE"), 1);
	ATF_CHECK_EQ(table_match_string(l, "carol"), 0);
	ATF_CHECK_EQ(table_lookup(m, "K2", &v), 1);
	ATF_CHECK_STREQ(v, "Value Two");
	/* a duplicate key: the last one wins */
	ATF_CHECK_EQ(table_lookup(m, "k1", &v), 1);
	ATF_CHECK_STREQ(v, "last");
	ATF_CHECK_EQ(table_lookup(m, "k3", &v), 0);
	ATF_CHECK(v == NULL);
	table_set_free(ts);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(domain_globs);
ATF_TC_BODY(domain_globs, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*d;

	c = test_conf_parse("table d { example.com, \"*.Example.org\", \"a*z.net\" }\n"
	    RULES);
	ts = table_set_load(c, NULL);
	d = get(ts, c, "d");
	ATF_CHECK_EQ(table_match_domain(d, "EXAMPLE.com"), 1);
	ATF_CHECK_EQ(table_match_domain(d, "sub.example.com"), 0);
	ATF_CHECK_EQ(table_match_domain(d, "mx.example.org"), 1);
	ATF_CHECK_EQ(table_match_domain(d, "a.b.example.org"), 1);
	ATF_CHECK_EQ(table_match_domain(d, "example.org"), 0);
	ATF_CHECK_EQ(table_match_domain(d, "evilexample.org"), 0);
	ATF_CHECK_EQ(table_match_domain(d, "abcz.net"), 1);
	ATF_CHECK_EQ(table_match_domain(d, "az.net"), 1);
	ATF_CHECK_EQ(table_match_domain(d, "abc.net"), 0);
	ATF_CHECK(table_glob("*", "anything"));
	ATF_CHECK(table_glob("a*b*c", "aXXbYYc"));
	ATF_CHECK(!table_glob("a*b*c", "aXXbYY"));
	table_set_free(ts);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(mailaddr);
ATF_TC_BODY(mailaddr, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*t, *all;

	c = test_conf_parse("table t { bob, \"@example.org\", \"alice@*.example.net\","
	    " \"carol+x@example.com\" }\ntable all { \"@\" }\n" RULES);
	ts = table_set_load(c, NULL);
	t = get(ts, c, "t");
	all = get(ts, c, "all");
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("Bob", "any.where"), '+'),
	    1);
	/* the sub-address is ignored unless the entry has one */
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("bob+tag", "x.org"), '+'),
	    1);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("bobby", "x.org"), '+'), 0);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("x", "EXAMPLE.org"), '+'),
	    1);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("x", "sub.example.org"),
	    '+'), 0);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("alice", "mx.example.net"),
	    '+'), 1);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("alice", "example.net"),
	    '+'), 0);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("carol+x", "example.com"),
	    '+'), 1);
	ATF_CHECK_EQ(table_match_mailaddr(t, addr("carol", "example.com"),
	    '+'), 0);
	ATF_CHECK_EQ(table_match_mailaddr(all, addr("", ""), '+'), 1);
	ATF_CHECK_EQ(table_match_mailaddr(all, addr("z", "q.example"), '+'),
	    1);
	table_set_free(ts);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(netaddr);
ATF_TC_BODY(netaddr, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*n;

	c = test_conf_parse("table n { \"10.0.0.0/8\", \"192.168.1.5\", \"::1\", "
	    "\"ipv6:2001:db8::/32\", \"[fe80::1]\", \"172.16.0.0/12\" }\n"
	    RULES);
	ts = table_set_load(c, NULL);
	n = get(ts, c, "n");
	ATF_CHECK_EQ(table_match_netaddr(n, "10.1.2.3"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "11.1.2.3"), 0);
	ATF_CHECK_EQ(table_match_netaddr(n, "192.168.1.5"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "192.168.1.6"), 0);
	ATF_CHECK_EQ(table_match_netaddr(n, "::1"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "2001:db8:1::25"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "2001:db9::25"), 0);
	ATF_CHECK_EQ(table_match_netaddr(n, "fe80::1"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "172.31.255.255"), 1);
	ATF_CHECK_EQ(table_match_netaddr(n, "172.32.0.1"), 0);
	ATF_CHECK_EQ(table_match_netaddr(n, "local"), 0);
	ATF_CHECK_EQ(table_match_netaddr(n, "garbage"), 0);
	table_set_free(ts);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(regex);
ATF_TC_BODY(regex, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*r, *bad;

	c = test_conf_parse("table r { \"^a.*z$\", \"[0-9]{3}\" }\n"
	    "table bad { \"(unclosed\" }\n" RULES);
	ts = table_set_load(c, NULL);
	r = get(ts, c, "r");
	bad = get(ts, c, "bad");
	ATF_CHECK_EQ(table_match_regex(r, "AbcZ"), 1);
	ATF_CHECK_EQ(table_match_regex(r, "abc"), 0);
	ATF_CHECK_EQ(table_match_regex(r, "x123y"), 1);
	ATF_CHECK_EQ(table_match_regex(bad, "(unclosed"), -1);
	table_set_free(ts);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(file_table_and_reload);
ATF_TC_BODY(file_table_and_reload, tc)
{
	struct smtpd_config	*c, *c2;
	struct table_set	*ts, *ts2, *ts3;
	struct table_data	*f;
	const char		*v;
	char			 conf[4096], cwd[1024];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	test_write_file("map", "# a comment\nAlice  alice@example.org\n"
	    "bob: bob@example.org, carol\n");
	snprintf(conf, sizeof(conf), "table f \"file:%s/map\"\n"
	    "table s \"%s/map\"\ntable gone \"file:%s/none\"\n" RULES,
	    cwd, cwd, cwd);
	c = test_conf_parse(conf);
	ts = table_set_load(c, NULL);
	f = get(ts, c, "f");
	ATF_CHECK_EQ(table_lookup(f, "alice", &v), 1);
	ATF_CHECK_STREQ(v, "alice@example.org");
	ATF_CHECK_EQ(table_lookup(f, "BOB", &v), 1);
	ATF_CHECK_STREQ(v, "bob@example.org, carol");
	ATF_CHECK_EQ(table_lookup(get(ts, c, "s"), "alice", &v), 1);
	/* never loaded: unusable */
	ATF_CHECK_EQ(table_lookup(get(ts, c, "gone"), "alice", &v), -1);
	ATF_CHECK_EQ(table_match_string(get(ts, c, "gone"), "x"), -1);

	/* the file disappears: a reload keeps what was there */
	ATF_REQUIRE(unlink("map") == 0);
	c2 = test_conf_parse(conf);
	ts2 = table_set_load(c2, ts);
	table_set_free(ts);
	config_free(c);
	f = get(ts2, c2, "f");
	ATF_CHECK_EQ(table_lookup(f, "alice", &v), 1);
	ATF_CHECK_STREQ(v, "alice@example.org");

	/* and a bad file too */
	test_write_file("map", "key value\nlist-line-in-a-mapping\n");
	ts3 = table_set_load(c2, ts2);
	ATF_CHECK_EQ(table_lookup(table_set_get(ts3,
	    config_table_find(c2, "f")), "bob", &v), 1);
	table_set_free(ts2);

	/* a good file is read again */
	test_write_file("map", "alice new@example.org\n");
	ts2 = table_set_load(c2, ts3);
	ATF_CHECK_EQ(table_lookup(get(ts2, c2, "f"), "alice", &v), 1);
	ATF_CHECK_STREQ(v, "new@example.org");
	ATF_CHECK_EQ(table_lookup(get(ts2, c2, "f"), "bob", &v), 0);
	table_set_free(ts3);
	table_set_free(ts2);
	config_free(c2);
}

ATF_TC_WITHOUT_HEAD(userinfo);
ATF_TC_BODY(userinfo, tc)
{
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*u;
	uid_t			 uid;
	gid_t			 gid;
	char			 home[256];

	c = test_conf_parse("table u { vmail = \"1001:1002:/var/vmail\", "
	    "bad = \"x:1:/h\", rel = \"1:1:home\" }\n" RULES);
	ts = table_set_load(c, NULL);
	u = get(ts, c, "u");
	ATF_CHECK_EQ(table_lookup_userinfo(u, "VMAIL", &uid, &gid, home,
	    sizeof(home)), 1);
	ATF_CHECK_EQ(uid, 1001);
	ATF_CHECK_EQ(gid, 1002);
	ATF_CHECK_STREQ(home, "/var/vmail");
	ATF_CHECK_EQ(table_lookup_userinfo(u, "nobody", &uid, &gid, home,
	    sizeof(home)), 0);
	ATF_CHECK_EQ(table_lookup_userinfo(u, "bad", &uid, &gid, home,
	    sizeof(home)), -1);
	ATF_CHECK_EQ(table_lookup_userinfo(u, "rel", &uid, &gid, home,
	    sizeof(home)), -1);
	table_set_free(ts);
	config_free(c);
}

/* Write a db file as makemap does: keys and values with their NUL. */
static void
write_db(const char *path, const char *const *kv, size_t n)
{
	DB	*db;
	DBT	 key, val;
	size_t	 i;

	unlink(path);
	db = dbopen(path, O_CREAT | O_RDWR | O_TRUNC, 0644, DB_HASH, NULL);
	ATF_REQUIRE(db != NULL);
	for (i = 0; i + 1 < n; i += 2) {
		key.data = (void *)(uintptr_t)kv[i];
		key.size = strlen(kv[i]) + 1;
		val.data = (void *)(uintptr_t)kv[i + 1];
		val.size = strlen(kv[i + 1]) + 1;
		ATF_REQUIRE(db->put(db, &key, &val, 0) == 0);
	}
	ATF_REQUIRE(db->close(db) == 0);
}

ATF_TC_WITHOUT_HEAD(db_table);
ATF_TC_BODY(db_table, tc)
{
	static const char *const v1[] = {
		"alice", "alice@example.org",
		"team", "alice, bob",
	};
	static const char *const v2[] = {
		"alice", "new@example.org",
		"carol", "carol@example.org",
	};
	static const char *const set[] = { "example.org", "" };
	struct smtpd_config	*c;
	struct table_set	*ts;
	struct table_data	*d;
	struct timespec		 tv[2];
	const char		*v;
	char			 conf[4096], cwd[1024];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	write_db("map.db", v1, 4);
	write_db("set.db", set, 2);
	snprintf(conf, sizeof(conf), "table m \"db:%s/map.db\"\n"
	    "table s \"db:%s/set.db\"\ntable bad \"db:%s/t.conf\"\n" RULES,
	    cwd, cwd, cwd);
	c = test_conf_parse(conf);
	ts = table_set_load(c, NULL);
	d = get(ts, c, "m");
	ATF_CHECK_EQ(table_lookup(d, "ALICE", &v), 1);
	ATF_CHECK_STREQ(v, "alice@example.org");
	ATF_CHECK_EQ(table_lookup(d, "team", &v), 1);
	ATF_CHECK_STREQ(v, "alice, bob");
	ATF_CHECK_EQ(table_lookup(d, "carol", &v), 0);
	ATF_CHECK_EQ(table_match_domain(get(ts, c, "s"), "example.org"), 1);
	ATF_CHECK_EQ(table_match_domain(get(ts, c, "s"), "example.com"), 0);
	/* not a db file */
	ATF_CHECK_EQ(table_match_string(get(ts, c, "bad"), "x"), -1);

	/* a new file (newer mtime) is read before the next lookup */
	write_db("map.db", v2, 4);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) + 10;
	tv[0].tv_nsec = tv[1].tv_nsec = 0;
	ATF_REQUIRE(utimensat(AT_FDCWD, "map.db", tv, 0) == 0);
	ATF_CHECK_EQ(table_lookup(d, "carol", &v), 1);
	ATF_CHECK_EQ(table_lookup(d, "alice", &v), 1);
	ATF_CHECK_STREQ(v, "new@example.org");
	ATF_CHECK_EQ(table_lookup(d, "team", &v), 0);

	/* a broken file: the contents stay */
	test_write_file("map.db", "not a db\n");
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) + 20;
	ATF_REQUIRE(utimensat(AT_FDCWD, "map.db", tv, 0) == 0);
	ATF_CHECK_EQ(table_lookup(d, "carol", &v), 1);
	table_set_free(ts);
	config_free(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, inline_list_and_map);
	ATF_TP_ADD_TC(tp, domain_globs);
	ATF_TP_ADD_TC(tp, mailaddr);
	ATF_TP_ADD_TC(tp, netaddr);
	ATF_TP_ADD_TC(tp, regex);
	ATF_TP_ADD_TC(tp, file_table_and_reload);
	ATF_TP_ADD_TC(tp, userinfo);
	ATF_TP_ADD_TC(tp, db_table);
	return atf_no_error();
}
