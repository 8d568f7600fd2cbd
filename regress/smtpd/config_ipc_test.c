/*
 * Configuration distribution: a rich config is serialized for every
 * role and rebuilt; the full copy prints exactly like the original, each
 * role gets its secrets and nothing else, and a truncated, reordered or
 * damaged message stream is refused.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "../test_conf.h"

struct captured {
	uint32_t	 type;
	uint8_t		*data;
	size_t		 len;
};

struct stream {
	struct captured	*msgs;
	size_t		 n;
};

static void
capture(void *arg, uint32_t type, const struct msg_out *mo)
{
	struct stream	*s = arg;
	struct captured	*c;

	s->msgs = reallocarray(s->msgs, s->n + 1, sizeof(*s->msgs));
	ATF_REQUIRE(s->msgs != NULL);
	c = &s->msgs[s->n++];
	c->type = type;
	c->len = m_len(mo);
	c->data = malloc(c->len + 1);
	ATF_REQUIRE(c->data != NULL);
	memcpy(c->data, m_data(mo), c->len);
}

static void
stream_free(struct stream *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->msgs[i].data);
	free(s->msgs);
	memset(s, 0, sizeof(*s));
}

/* Feed messages; returns the last result, stopping at the first -1. */
static int
feed(struct config_builder *cb, const struct captured *v, size_t n)
{
	struct ipc_msg	msg;
	size_t		i;
	int		r = 0;

	for (i = 0; i < n; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdr.type = v[i].type;
		msg.hdr.len = (uint32_t)(IPC_HEADER_SIZE + v[i].len);
		msg.data = v[i].data;
		msg.datalen = v[i].len;
		msg.fd = -1;
		if ((r = config_deserialize(cb, &msg)) == -1)
			return -1;
	}
	return r;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	ATF_REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

/* A real pair (the parser checks that they match), and a line of the
 * base64 of each, to find them in a role's configuration stream. */
static char	cert_mark[65], key_mark[65];

static const char rich_conf[] =
    "queue path \"/tmp/postern-test/spool\"\n"
    "control socket \"/tmp/postern-test/ctl.sock\"\n"
    "pidfile \"/tmp/postern-test/pid\"\n"
    "resolver \"127.0.0.1@53\"\n"
    "queue encryption \"QUEUEKEYQUEUEKEY\"\n"
    "queue ttl 2d\n"
    "bounce warn-interval 1h, 2h\n"
    "srs key \"SRSKEYPRIMARY\"\n"
    "srs key backup \"SRSKEYBACKUP\"\n"
    "smtp max-message-size 10M\n"
    "mta limit for domain example.org max-conn-per-host 3\n"
    "mda wrapper w \"/bin/wrap %{mda}\"\n"
    "table creds { label = \"user:CREDPASSWORD\" }\n"
    "table doms { example.org, example.net }\n"
    "table aliases file:/etc/aliases\n"
    "table relays { \"smtp://a.example.org\", \"smtp://b.example.org\" }\n"
    "pki mx.example.org cert \"cert.pem\" key \"key.pem\"\n"
    "ca trusted cert \"cert.pem\"\n"
    "proc p \"/bin/cat\" user nobody\n"
    "filter f1 proc p\n"
    "filter f2 proc-exec \"/bin/true\"\n"
    "filter f3 phase connect match !fcrdns src { \"10.0.0.0/8\" } "
    "reject \"550 go\"\n"
    "filter ch chain { f1, f3 }\n"
    "listen on socket tag LOCAL\n"
    "listen on 127.0.0.1 port 10025 tls pki mx.example.org "
    "auth <creds> filter { f2, f3 } tag IN\n"
    "listen on ::1 port 10465 smtps verify pki mx.example.org ca trusted\n"
    "action \"local\" maildir \"~/Mail\" alias <aliases> wrapper w\n"
    "action \"out\" relay host \"smtp+tls://label@mx.example.org:587\" "
    "auth <creds> srs pki mx.example.org ca trusted filter ch\n"
    "action \"multi\" relay host <relays>\n"
    "action \"list\" relay host { \"smtp://c.example.org\", "
    "\"smtps://d.example.org\" }\n"
    "match from any for domain <doms> action \"local\"\n"
    "match from auth for any !tls action \"out\"\n"
    "match from any for any reject\n";

/* The second line of a PEM text: 64 characters of base64 inside it. */
static void
pem_mark(const struct test_pem *pem, char mark[65])
{
	const char	*nl;

	ATF_REQUIRE((nl = strchr(pem->p, '\n')) != NULL);
	ATF_REQUIRE(strlen(nl + 1) > 64);
	memcpy(mark, nl + 1, 64);
	mark[64] = '\0';
}

static struct smtpd_config *
rich_config(void)
{
	struct config_opts	 opts;
	struct smtpd_config	*conf;

	EVP_PKEY		*k;
	struct test_pem		 cert, key;

	k = test_key_new("EC");
	test_cert_pem(k, "mx.example.org", &cert);
	test_key_pem(k, NULL, &key);
	EVP_PKEY_free(k);
	pem_mark(&cert, cert_mark);
	pem_mark(&key, key_mark);
	write_file("cert.pem", cert.p, 0644);
	write_file("key.pem", key.p, 0600);
	free(cert.p);
	free(key.p);
	write_file("rich.conf", rich_conf, 0644);
	config_opts_init(&opts);
	conf = config_parse("rich.conf", &opts);
	config_opts_clear(&opts);
	ATF_REQUIRE_MSG(conf != NULL, "rich.conf did not parse");
	return conf;
}

static char *
print_to_string(const struct smtpd_config *conf)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	ATF_REQUIRE(fp != NULL);
	config_print(fp, conf);
	fclose(fp);
	return buf;
}

static struct smtpd_config *
roundtrip(const struct smtpd_config *conf, enum proc_id role,
    struct stream *s)
{
	struct config_builder	 cb;
	struct smtpd_config	*copy;

	memset(s, 0, sizeof(*s));
	config_serialize(conf, role, capture, s);
	ATF_REQUIRE(s->n >= 3);
	ATF_REQUIRE_EQ(s->msgs[0].type, IMSG_CONF_START);
	ATF_REQUIRE_EQ(s->msgs[s->n - 1].type, IMSG_CONF_END);
	config_builder_init(&cb);
	ATF_REQUIRE_EQ_MSG(feed(&cb, s->msgs, s->n), 1,
	    "role %d: stream not accepted", (int)role);
	copy = config_builder_take(&cb);
	ATF_REQUIRE(copy != NULL);
	config_builder_clear(&cb);
	return copy;
}

/* No message of the stream contains the bytes of secret. */
static int
stream_has(const struct stream *s, const char *secret)
{
	size_t	i, len = strlen(secret);

	for (i = 0; i < s->n; i++)
		if (memmem(s->msgs[i].data, s->msgs[i].len, secret, len) !=
		    NULL)
			return 1;
	return 0;
}

ATF_TC_WITHOUT_HEAD(full_roundtrip);
ATF_TC_BODY(full_roundtrip, tc)
{
	struct smtpd_config	*conf, *copy;
	struct stream		 s;
	char			*a, *b;

	conf = rich_config();
	copy = roundtrip(conf, PROC_PARENT, &s);
	a = print_to_string(conf);
	b = print_to_string(copy);
	ATF_CHECK_STREQ(a, b);
	ATF_CHECK(strstr(a, "SRSKEYPRIMARY") != NULL);
	ATF_CHECK_STREQ(copy->sc_queue_path, "/tmp/postern-test/spool");
	ATF_CHECK_STREQ(copy->sc_hostname, conf->sc_hostname);
	ATF_CHECK(TAILQ_FIRST(&copy->sc_pkis)->pki_key != NULL);
	ATF_CHECK(config_socket_listener(copy) != NULL);
	free(a);
	free(b);
	stream_free(&s);
	config_free(copy);
	config_free(conf);
}

/* Relay host tables go to the roles that relay or look them up. */
static void
check_relay_hosts(const struct smtpd_config *copy, int role)
{
	struct action	*a;
	int		 want = role == PROC_MTA || role == PROC_LKA ||
			    role == PROC_PARENT;

	if ((a = config_action_find(copy, "multi")) == NULL) {
		ATF_CHECK_MSG(role != PROC_MTA && role != PROC_LKA &&
		    role != PROC_MDA && role != PROC_PARENT,
		    "role %d: no action", role);
		return;
	}
	ATF_CHECK_EQ_MSG(a->a_host_table != NULL, want,
	    "role %d: host table", role);
	if (want && a->a_host_table != NULL)
		ATF_CHECK(a->a_host_table == config_table_find(copy,
		    "relays"));
	a = config_action_find(copy, "list");
	ATF_REQUIRE(a != NULL);
	ATF_CHECK_EQ_MSG(a->a_host_table != NULL, want,
	    "role %d: inline host table", role);
	if (want && a->a_host_table != NULL)
		ATF_CHECK_EQ(a->a_host_table->t_nentries,
		    role == PROC_MTA ? 0 : 2);
	a = config_action_find(copy, "out");
	ATF_REQUIRE(a != NULL);
	ATF_CHECK_EQ_MSG(a->a_host_url != NULL, want,
	    "role %d: host url", role);
	if (want && a->a_host_url != NULL) {
		ATF_CHECK_EQ(a->a_host.rh_proto, RELAY_SMTP_TLS);
		ATF_CHECK_STREQ(a->a_host.rh_label, "label");
		ATF_CHECK_EQ(a->a_host.rh_port, 587);
	}
}

ATF_TC_WITHOUT_HEAD(roles_get_their_part);
ATF_TC_BODY(roles_get_their_part, tc)
{
	struct smtpd_config	*conf, *copy;
	struct stream		 s;
	struct pki		*p;
	struct table		*t;
	int			 role;

	conf = rich_config();
	for (role = 0; role < PROC_COUNT; role++) {
		copy = roundtrip(conf, (enum proc_id)role, &s);
		/* everyone knows the paths */
		ATF_CHECK_STREQ(copy->sc_control_path,
		    "/tmp/postern-test/ctl.sock");
		ATF_CHECK_EQ(copy->sc_queue_ttl, 2 * 86400);
		/* private keys: ca (and the parent) only */
		ATF_CHECK_EQ_MSG(stream_has(&s, key_mark),
		    role == PROC_CA || role == PROC_PARENT,
		    "role %d: key material", role);
		TAILQ_FOREACH(p, &copy->sc_pkis, pki_entry)
			ATF_CHECK_EQ(p->pki_key != NULL,
			    role == PROC_CA || role == PROC_PARENT);
		/* srs keys: lka only */
		ATF_CHECK_EQ_MSG(stream_has(&s, "SRSKEY"),
		    role == PROC_LKA || role == PROC_PARENT,
		    "role %d: srs key", role);
		ATF_CHECK_EQ(copy->sc_srs_key != NULL,
		    role == PROC_LKA || role == PROC_PARENT);
		/* queue key: queue only */
		ATF_CHECK_EQ_MSG(stream_has(&s, "QUEUEKEY"),
		    role == PROC_QUEUE || role == PROC_PARENT,
		    "role %d: queue key", role);
		/* inline credentials: lka only */
		ATF_CHECK_EQ_MSG(stream_has(&s, "CREDPASSWORD"),
		    role == PROC_LKA || role == PROC_PARENT,
		    "role %d: table entries", role);
		/* certificates: smtp, mta, ca */
		ATF_CHECK_EQ_MSG(stream_has(&s, cert_mark),
		    role == PROC_SMTP || role == PROC_MTA ||
		    role == PROC_CA || role == PROC_PARENT,
		    "role %d: certificates", role);
		check_relay_hosts(copy, role);
		switch (role) {
		case PROC_SMTP:
			ATF_CHECK(!TAILQ_EMPTY(&copy->sc_listeners));
			ATF_CHECK(TAILQ_EMPTY(&copy->sc_matches));
			p = TAILQ_FIRST(&copy->sc_pkis);
			ATF_REQUIRE(p != NULL);
			ATF_CHECK(p->pki_cert != NULL);
			break;
		case PROC_LKA:
			ATF_CHECK(!TAILQ_EMPTY(&copy->sc_matches));
			t = config_table_find(copy, "doms");
			ATF_REQUIRE(t != NULL);
			ATF_CHECK_EQ(t->t_nentries, 2);
			break;
		case PROC_MTA:
			ATF_CHECK(!TAILQ_EMPTY(&copy->sc_actions));
			ATF_CHECK(!TAILQ_EMPTY(&copy->sc_mta_limits));
			ATF_CHECK(TAILQ_EMPTY(&copy->sc_listeners));
			break;
		case PROC_CONTROL:
		case PROC_SCHEDULER:
			ATF_CHECK(TAILQ_EMPTY(&copy->sc_tables));
			ATF_CHECK(TAILQ_EMPTY(&copy->sc_listeners));
			ATF_CHECK(TAILQ_EMPTY(&copy->sc_actions));
			break;
		}
		stream_free(&s);
		config_free(copy);
	}
	config_free(conf);
}

ATF_TC_WITHOUT_HEAD(bad_streams);
ATF_TC_BODY(bad_streams, tc)
{
	struct smtpd_config	*conf;
	struct config_builder	 cb;
	struct stream		 s;
	struct captured		*v, tmp;
	size_t			 i, n;

	conf = rich_config();
	memset(&s, 0, sizeof(s));
	config_serialize(conf, PROC_PARENT, capture, &s);
	n = s.n;
	v = s.msgs;
	ATF_REQUIRE(n > 10);

	/* no END: never complete */
	config_builder_init(&cb);
	ATF_CHECK_EQ(feed(&cb, v, n - 1), 0);
	ATF_CHECK(config_builder_take(&cb) == NULL);
	config_builder_clear(&cb);

	/* each message left out in turn: refused somewhere */
	for (i = 1; i < n - 1; i++) {
		struct captured	*w = calloc(n, sizeof(*w));

		ATF_REQUIRE(w != NULL);
		memcpy(w, v, i * sizeof(*w));
		memcpy(w + i, v + i + 1, (n - i - 1) * sizeof(*w));
		config_builder_init(&cb);
		ATF_CHECK_EQ_MSG(feed(&cb, w, n - 1), -1,
		    "stream without message %zu (%s) accepted", i,
		    imsg_type_name(v[i].type));
		config_builder_clear(&cb);
		free(w);
	}

	/* the last two objects swapped (match before action etc.) */
	for (i = 1; i + 2 < n; i++) {
		if (v[i].type == v[i + 1].type)
			continue;
		tmp = v[i];
		v[i] = v[i + 1];
		v[i + 1] = tmp;
		config_builder_init(&cb);
		ATF_CHECK_EQ_MSG(feed(&cb, v, n), -1,
		    "swapped %s and %s accepted", imsg_type_name(v[i].type),
		    imsg_type_name(v[i + 1].type));
		config_builder_clear(&cb);
		tmp = v[i];
		v[i] = v[i + 1];
		v[i + 1] = tmp;
	}

	/* each message cut short by one byte */
	for (i = 0; i < n; i++) {
		if (v[i].len == 0)
			continue;
		v[i].len--;
		config_builder_init(&cb);
		ATF_CHECK_EQ_MSG(feed(&cb, v, n), -1,
		    "short %s accepted", imsg_type_name(v[i].type));
		config_builder_clear(&cb);
		v[i].len++;
	}

	/* trailing garbage */
	v[3].data = realloc(v[3].data, v[3].len + 1);
	ATF_REQUIRE(v[3].data != NULL);
	v[3].data[v[3].len++] = 1;
	config_builder_init(&cb);
	ATF_CHECK_EQ(feed(&cb, v, n), -1);
	config_builder_clear(&cb);
	v[3].len--;

	/* a complete stream, then one more message */
	config_builder_init(&cb);
	ATF_CHECK_EQ(feed(&cb, v, n), 1);
	ATF_CHECK_EQ(feed(&cb, v, 1), -1);
	config_builder_clear(&cb);

	stream_free(&s);
	config_free(conf);
}

/* Two actions of one name are refused, as the parser refuses them. */
ATF_TC_WITHOUT_HEAD(dup_action_refused);
ATF_TC_BODY(dup_action_refused, tc)
{
	struct config_opts	 opts;
	struct smtpd_config	*conf;
	struct config_builder	 cb;
	struct stream		 s;
	uint8_t			*p;
	size_t			 i, renamed = 0;

	write_file("dup.conf", "action \"aa1\" mbox\naction \"aa2\" mbox\n"
	    "match for local action \"aa2\"\n", 0644);
	config_opts_init(&opts);
	conf = config_parse("dup.conf", &opts);
	config_opts_clear(&opts);
	ATF_REQUIRE(conf != NULL);
	ATF_CHECK(config_action_find(conf, "aa1") ==
	    TAILQ_FIRST(&conf->sc_actions));
	ATF_CHECK(config_action_find(conf, "aa2") ==
	    TAILQ_LAST(&conf->sc_actions, actions));
	ATF_CHECK(config_action_find(conf, "aa") == NULL);

	memset(&s, 0, sizeof(s));
	config_serialize(conf, PROC_PARENT, capture, &s);
	config_builder_init(&cb);
	ATF_CHECK_EQ(feed(&cb, s.msgs, s.n), 1);
	config_builder_clear(&cb);

	/* the second action renamed to the first one's name */
	for (i = 0; i < s.n; i++) {
		if (s.msgs[i].type != IMSG_CONF_ACTION)
			continue;
		p = memmem(s.msgs[i].data, s.msgs[i].len, "aa2", 3);
		if (p != NULL) {
			p[2] = '1';
			renamed++;
		}
	}
	ATF_REQUIRE_EQ(renamed, 1);
	config_builder_init(&cb);
	ATF_CHECK_EQ(feed(&cb, s.msgs, s.n), -1);
	config_builder_clear(&cb);
	stream_free(&s);
	config_free(conf);
}

/* Many objects referred to out of order: every reference keeps its
 * target through the serializer's position maps. */
ATF_TC_WITHOUT_HEAD(many_refs);
ATF_TC_BODY(many_refs, tc)
{
	struct config_opts	 opts;
	struct smtpd_config	*conf, *copy;
	struct stream		 s;
	FILE			*fp;
	char			*a, *b;
	int			 i, n = 600;

	ATF_REQUIRE((fp = fopen("many.conf", "w")) != NULL);
	for (i = 0; i < n; i++)
		fprintf(fp, "table t%d { d%d.example }\n", i, i);
	for (i = 0; i < n; i++)
		fprintf(fp, "action a%d relay host { \"smtp://mx%d.example\", "
		    "\"smtp://mx.example\" } src <t%d>\n", i, i, (i * 7) % n);
	for (i = 0; i < n; i++)
		fprintf(fp, "match from any for domain <t%d> action a%d\n",
		    (i * 13) % n, (i * 11) % n);
	fclose(fp);
	config_opts_init(&opts);
	conf = config_parse("many.conf", &opts);
	config_opts_clear(&opts);
	ATF_REQUIRE(conf != NULL);
	copy = roundtrip(conf, PROC_PARENT, &s);
	a = print_to_string(conf);
	b = print_to_string(copy);
	ATF_CHECK_STREQ(a, b);
	free(a);
	free(b);
	stream_free(&s);
	config_free(copy);
	config_free(conf);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, full_roundtrip);
	ATF_TP_ADD_TC(tp, roles_get_their_part);
	ATF_TP_ADD_TC(tp, bad_streams);
	ATF_TP_ADD_TC(tp, dup_action_refused);
	ATF_TP_ADD_TC(tp, many_refs);
	return atf_no_error();
}
