/*
 * The parser through its C interface: defaults, what lands in the
 * structures, config_opts (macros, verbose warnings, no includes, no
 * file checks) and the value parsers shared with the IPC decoder.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void
write_conf(const char *path, const char *text)
{
	FILE	*fp;

	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	fputs(text, fp);
	fclose(fp);
}

/* Parse text; errors (if any) are returned in *errs. */
static struct smtpd_config *
parse_text(const char *text, struct config_opts *o, char **errs)
{
	struct config_opts	 local;
	struct smtpd_config	*conf;
	size_t			 len = 0;
	FILE			*err;

	write_conf("t.conf", text);
	if (o == NULL) {
		config_opts_init(&local);
		o = &local;
	}
	*errs = NULL;
	err = open_memstream(errs, &len);
	ATF_REQUIRE(err != NULL);
	o->co_err = err;
	conf = config_parse("t.conf", o);
	fclose(err);
	o->co_err = NULL;
	if (o == &local)
		config_opts_clear(&local);
	return conf;
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	struct smtpd_config	*c;
	struct listener		*l;
	struct match		*m;
	char			*errs;

	c = parse_text("listen on 127.0.0.1\nmatch for local reject\n", NULL,
	    &errs);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	ATF_CHECK_STREQ(errs, "");
	ATF_CHECK_STREQ(c->sc_queue_path, "/var/spool/smtpd");
	ATF_CHECK_STREQ(c->sc_control_path, "/var/run/smtpd.sock");
	ATF_CHECK_STREQ(c->sc_pidfile, "/var/run/smtpd.pid");
	ATF_CHECK(c->sc_resolver == NULL);
	ATF_CHECK(c->sc_hostname != NULL && c->sc_hostname[0] != '\0');
	ATF_CHECK_EQ(c->sc_max_message_size, 35 * 1024 * 1024);
	ATF_CHECK_EQ(c->sc_max_rcpt, 1000);
	ATF_CHECK_EQ(c->sc_max_mails, 100);
	ATF_CHECK_EQ(c->sc_queue_ttl, 4 * 86400);
	ATF_CHECK_EQ(c->sc_nbounce_warn, 1);
	ATF_CHECK_EQ(c->sc_bounce_warn[0], 4 * 3600);
	ATF_CHECK_EQ(c->sc_subaddr_delim, '+');

	l = TAILQ_FIRST(&c->sc_listeners);
	ATF_REQUIRE(l != NULL);
	ATF_CHECK_EQ(l->l_port, 25);
	ATF_CHECK_EQ(l->l_ss.ss_family, AF_INET);
	ATF_CHECK(l->l_flags & L_LOCAL);
	l = config_socket_listener(c);
	ATF_REQUIRE(l != NULL);
	ATF_CHECK(l->l_flags & L_IMPLICIT);
	ATF_CHECK_EQ(l->l_ss.ss_family, AF_UNIX);

	m = TAILQ_FIRST(&c->sc_matches);
	ATF_REQUIRE(m != NULL);
	ATF_CHECK_EQ(m->m_from, FROM_LOCAL);
	ATF_CHECK_EQ(m->m_for, FOR_LOCAL);
	ATF_CHECK(m->m_action == NULL);
	free(errs);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(structures);
ATF_TC_BODY(structures, tc)
{
	struct config_opts	 o;
	struct smtpd_config	*c;
	struct listener		*l;
	struct action		*a;
	struct match		*m;
	struct table		*t;
	char			*errs;

	config_opts_init(&o);
	o.co_no_files = 1;	/* pki files are not read */
	c = parse_text(
	    "queue path \"/q\"\ncontrol socket \"/c.sock\"\n"
	    "pidfile \"/p.pid\"\nresolver \"::1@5353\"\n"
	    "pki mail cert \"/no/cert\" key \"/no/key\"\n"
	    "table d { a.example, b.example }\n"
	    "listen on 127.0.0.1 smtps pki mail auth-optional tag T\n"
	    "action \"r\" relay host \"smtps://mx.example.org\" tls\n"
	    "match !from src \"10.0.0.1\" for domain <d> mail-from regex "
	    "\"^a\" action \"r\"\n", &o, &errs);
	config_opts_clear(&o);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	ATF_CHECK_STREQ(c->sc_queue_path, "/q");
	ATF_CHECK_STREQ(c->sc_control_path, "/c.sock");
	ATF_CHECK_STREQ(c->sc_pidfile, "/p.pid");
	ATF_CHECK_STREQ(c->sc_resolver, "::1@5353");

	l = TAILQ_FIRST(&c->sc_listeners);
	ATF_REQUIRE(l != NULL);
	ATF_CHECK_EQ(l->l_port, 465);
	ATF_CHECK(l->l_flags & L_SMTPS);
	ATF_CHECK(l->l_flags & L_AUTH);
	ATF_CHECK(!(l->l_flags & L_AUTH_REQUIRE));
	ATF_CHECK_EQ(l->l_npki, 1);
	ATF_CHECK_STREQ(l->l_tag, "T");

	a = config_action_find(c, "r");
	ATF_REQUIRE(a != NULL);
	ATF_CHECK_EQ(a->a_type, ACTION_RELAY);
	ATF_CHECK_EQ(a->a_host.rh_proto, RELAY_SMTPS);
	ATF_CHECK_STREQ(a->a_host.rh_host, "mx.example.org");
	ATF_CHECK(a->a_flags & A_TLS);

	m = TAILQ_FIRST(&c->sc_matches);
	ATF_REQUIRE(m != NULL);
	ATF_CHECK_EQ(m->m_from, FROM_SRC);
	ATF_CHECK(m->m_from_cond.mc_neg);
	t = m->m_from_cond.mc_table;
	ATF_REQUIRE(t != NULL);
	ATF_CHECK(t->t_flags & T_ANON);
	ATF_CHECK_STREQ(TAILQ_FIRST(&t->t_entries)->te_key, "10.0.0.1");
	ATF_CHECK_EQ(m->m_for, FOR_DOMAIN);
	ATF_CHECK(m->m_for_cond.mc_table == config_table_find(c, "d"));
	ATF_CHECK(m->m_opts[MOPT_MAIL_FROM].mc_set);
	ATF_CHECK(m->m_opts[MOPT_MAIL_FROM].mc_regex);
	ATF_CHECK(m->m_action == a);
	/* anonymous tables are not found by name */
	ATF_CHECK(config_table_find(c, t->t_name) == NULL);
	free(errs);
	config_free(c);
}

ATF_TC_WITHOUT_HEAD(opts);
ATF_TC_BODY(opts, tc)
{
	struct config_opts	 o;
	struct smtpd_config	*c;
	char			*errs;

	config_opts_init(&o);
	ATF_CHECK_EQ(config_opts_define(&o, "noequals"), -1);
	ATF_CHECK_EQ(config_opts_define(&o, "=x"), -1);
	ATF_CHECK_EQ(config_opts_define(&o, "bad name=x"), -1);
	ATF_CHECK_EQ(config_opts_define(&o, "p=1"), 0);
	ATF_CHECK_EQ(config_opts_define(&o, "p=2525"), 0);	/* replaces */
	ATF_CHECK_EQ(config_opts_define(&o, "empty="), 0);
	o.co_verbose = 1;
	c = parse_text("p = 25\nunused = \"x\"\nlisten on 127.0.0.1 port $p\n"
	    "match for local reject\n", &o, &errs);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	ATF_CHECK_EQ(TAILQ_FIRST(&c->sc_listeners)->l_port, 2525);
	ATF_CHECK_MSG(strstr(errs, "t.conf:2: warning: macro 'unused' not "
	    "used\n") != NULL, "no unused warning: %s", errs);
	ATF_CHECK_MSG(strstr(errs, "warning: macro 'empty' (-D) not used") !=
	    NULL, "no -D warning: %s", errs);
	ATF_CHECK(strstr(errs, "'p'") == NULL);
	free(errs);
	config_free(c);

	/* without verbose, no warnings */
	o.co_verbose = 0;
	c = parse_text("unused = \"x\"\nmatch for local reject\n", &o, &errs);
	ATF_REQUIRE(c != NULL);
	ATF_CHECK_STREQ(errs, "");
	free(errs);
	config_free(c);

	/* includes can be forbidden (the fuzzer does) */
	o.co_no_include = 1;
	c = parse_text("include \"t.conf\"\nmatch for local reject\n", &o,
	    &errs);
	ATF_CHECK(c == NULL);
	ATF_CHECK_STREQ(errs, "t.conf:1: include is not allowed here\n");
	free(errs);
	config_opts_clear(&o);
}

ATF_TC_WITHOUT_HEAD(error_limit);
ATF_TC_BODY(error_limit, tc)
{
	struct smtpd_config	*c;
	char			*errs, *text, *p;
	size_t			 lines = 0;
	int			 i;

	text = calloc(300, 16);
	ATF_REQUIRE(text != NULL);
	for (i = 0; i < 300; i++)
		strcat(text, "queue ttl 4x\n");
	c = parse_text(text, NULL, &errs);
	ATF_CHECK(c == NULL);
	for (p = errs; *p != '\0'; p++)
		if (*p == '\n')
			lines++;
	ATF_CHECK_EQ(lines, CONF_MAX_ERRORS + 1);
	ATF_CHECK(strstr(errs, "too many errors, giving up") != NULL);
	free(text);
	free(errs);
}

ATF_TC_WITHOUT_HEAD(values);
ATF_TC_BODY(values, tc)
{
	struct relay_host	 rh;
	const char		*errstr;
	size_t			 sz;
	time_t			 t;

	ATF_CHECK(config_parse_delay("4d", &t) == 0 && t == 4 * 86400);
	ATF_CHECK(config_parse_delay("90s", &t) == 0 && t == 90);
	ATF_CHECK(config_parse_delay("2h", &t) == 0 && t == 7200);
	ATF_CHECK(config_parse_delay("5m", &t) == 0 && t == 300);
	ATF_CHECK_EQ(config_parse_delay("0s", &t), -1);
	ATF_CHECK_EQ(config_parse_delay("4", &t), -1);
	ATF_CHECK_EQ(config_parse_delay("d", &t), -1);
	ATF_CHECK_EQ(config_parse_delay("-1d", &t), -1);
	ATF_CHECK_EQ(config_parse_delay("4w", &t), -1);
	ATF_CHECK_EQ(config_parse_delay("99999999999d", &t), -1);

	ATF_CHECK(config_parse_size("35M", &sz) == 0 && sz == 36700160);
	ATF_CHECK(config_parse_size("512k", &sz) == 0 && sz == 524288);
	ATF_CHECK(config_parse_size("1024", &sz) == 0 && sz == 1024);
	ATF_CHECK(config_parse_size("10B", &sz) == 0 && sz == 10);
	ATF_CHECK(config_parse_size("1G", &sz) == 0 && sz == 1073741824);
	ATF_CHECK_EQ(config_parse_size("1E", &sz), -1);	/* over max */
	ATF_CHECK_EQ(config_parse_size("M", &sz), -1);
	ATF_CHECK_EQ(config_parse_size("1.5M", &sz), -1);
	ATF_CHECK_EQ(config_parse_size("-1", &sz), -1);

	ATF_REQUIRE(config_relay_url_parse("mx.example.org", &rh, &errstr) ==
	    0);
	ATF_CHECK_EQ(rh.rh_proto, RELAY_SMTP);
	ATF_CHECK_EQ(rh.rh_port, 0);
	config_relay_host_clear(&rh);
	ATF_REQUIRE(config_relay_url_parse("smtp+tls://lbl@[10.0.0.1]:2525",
	    &rh, &errstr) == 0);
	ATF_CHECK_EQ(rh.rh_proto, RELAY_SMTP_TLS);
	ATF_CHECK_STREQ(rh.rh_label, "lbl");
	ATF_CHECK_STREQ(rh.rh_host, "[10.0.0.1]");
	ATF_CHECK_EQ(rh.rh_port, 2525);
	config_relay_host_clear(&rh);
	ATF_CHECK_EQ(config_relay_url_parse("lmtp://host", &rh, &errstr), -1);
	ATF_CHECK_EQ(config_relay_url_parse("smtp://a@host", &rh, &errstr),
	    -1);
	ATF_CHECK_EQ(config_relay_url_parse("smtp://host:0", &rh, &errstr),
	    -1);
	ATF_CHECK_EQ(config_relay_url_parse("smtp://ho st", &rh, &errstr), -1);
	ATF_CHECK_EQ(config_relay_url_parse("smtp://", &rh, &errstr), -1);

	ATF_CHECK_EQ(config_resolver_parse("127.0.0.1", NULL, NULL), 0);
	ATF_CHECK_EQ(config_resolver_parse("::1@53", NULL, NULL), 0);
	ATF_CHECK_EQ(config_resolver_parse("localhost", NULL, NULL), -1);
	ATF_CHECK_EQ(config_resolver_parse("1.2.3.4@0", NULL, NULL), -1);

	ATF_CHECK(config_is_keyword("listen"));
	ATF_CHECK(config_is_keyword("wrapper"));
	ATF_CHECK(config_is_keyword("action"));
	ATF_CHECK(!config_is_keyword("frobnicate"));
}

/* relay host: one string, an inline list, a named table. */
ATF_TC_WITHOUT_HEAD(relay_hosts);
ATF_TC_BODY(relay_hosts, tc)
{
	struct smtpd_config	*c;
	struct action		*a;
	struct table		*t;
	char			*errs;

	c = parse_text("table r { \"smtp://a.example.org\" }\n"
	    "action one relay host \"smtps://mx.example.org:465\"\n"
	    "action list relay host { \"smtp://a.example.org\", "
	    "\"lmtp://b.example.org:24\" }\n"
	    "action named relay host <r>\n"
	    "match for any action one\n", NULL, &errs);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	ATF_CHECK_STREQ(errs, "");

	a = config_action_find(c, "one");
	ATF_REQUIRE(a != NULL);
	t = a->a_host_table;
	ATF_REQUIRE(t != NULL);
	ATF_CHECK(t->t_flags & T_ANON);
	ATF_CHECK(t->t_flags & T_STRING);
	ATF_CHECK_EQ(t->t_nentries, 1);
	ATF_CHECK_STREQ(a->a_host_url, "smtps://mx.example.org:465");
	ATF_CHECK_EQ(a->a_host.rh_proto, RELAY_SMTPS);
	ATF_CHECK_STREQ(a->a_host.rh_host, "mx.example.org");
	ATF_CHECK_EQ(a->a_host.rh_port, 465);

	a = config_action_find(c, "list");
	ATF_REQUIRE(a != NULL);
	t = a->a_host_table;
	ATF_REQUIRE(t != NULL);
	ATF_CHECK(t->t_flags & T_ANON);
	ATF_CHECK(t->t_flags & T_LIST);
	ATF_CHECK_EQ(t->t_nentries, 2);
	/* several URLs: no single one to cache */
	ATF_CHECK(a->a_host_url == NULL);
	ATF_CHECK(a->a_host.rh_host == NULL);

	a = config_action_find(c, "named");
	ATF_REQUIRE(a != NULL);
	ATF_CHECK(a->a_host_table == config_table_find(c, "r"));
	ATF_CHECK(a->a_host_url == NULL);
	free(errs);
	config_free(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, structures);
	ATF_TP_ADD_TC(tp, opts);
	ATF_TP_ADD_TC(tp, error_limit);
	ATF_TP_ADD_TC(tp, values);
	ATF_TP_ADD_TC(tp, relay_hosts);
	return atf_no_error();
}
