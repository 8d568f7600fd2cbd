/*
 * Rule matching: the "match" lines of smtpd.conf, tried in order for
 * each recipient, first match wins (COMPAT.md 1.4).
 *
 * Runs in lka as _smtpd, without chroot; also linked into unit tests.
 * Trusts the configuration; the envelope fields come from smtp (already
 * parsed and validated there, and re-validated by envelope_load()) and
 * are only compared, never interpreted.
 *
 * Not matched in this version: "from rdns" needs the client's reverse
 * name, which smtp does not look up yet (evp_hostname stays empty), so
 * it never matches; "tls" holds only for mail received over TLS.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "envelope.h"
#include "lka.h"
#include "log.h"
#include "proc.h"
#include "table.h"

/* Which lookup a condition's table is used with. */
enum rule_kind {
	RK_STRING,
	RK_DOMAIN,
	RK_MAILADDR,
	RK_NETADDR,
};

static int
rule_table(const struct lka_ctx *ctx, const struct match_cond *mc,
    enum rule_kind kind, const char *s, const struct mailaddr *ma)
{
	struct table_data	*td;
	char			 buf[SMTP_PATH_MAX + 1];

	if ((td = table_set_get(ctx->lc_tables, mc->mc_table)) == NULL)
		return -1;
	if (mc->mc_regex) {
		if (ma != NULL) {
			if (mailaddr_format(ma, buf, sizeof(buf)) == -1)
				return 0;
			s = buf;
		}
		return table_match_regex(td, s);
	}
	switch (kind) {
	case RK_STRING:
		return table_match_string(td, s);
	case RK_DOMAIN:
		return table_match_domain(td, s);
	case RK_MAILADDR:
		return table_match_mailaddr(td, ma,
		    ctx->lc_conf->sc_subaddr_delim);
	case RK_NETADDR:
		return table_match_netaddr(td, s);
	}
	return -1;
}

static int
rule_is_loopback(const char *src)
{
	struct in_addr	 in;
	struct in6_addr	 in6;

	if (inet_pton(AF_INET, src, &in) == 1)
		return (ntohl(in.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, src, &in6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&in6))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&in6))
			return in6.s6_addr[12] == 127;
	}
	return 0;
}

static int
rule_is_localaddr(const struct lka_ctx *ctx, const char *addr)
{
	size_t	i;

	if (rule_is_loopback(addr))
		return 1;
	for (i = 0; i < ctx->lc_nlocaladdrs; i++)
		if (strcasecmp(ctx->lc_localaddrs[i], addr) == 0)
			return 1;
	return 0;
}

int
lka_rule_local_source(const struct lka_ctx *ctx, const struct envelope *evp)
{
	if ((evp->evp_flags & EF_LOCAL) || strcmp(evp->evp_src, "local") == 0)
		return 1;
	return rule_is_localaddr(ctx, evp->evp_src);
}

int
lka_rule_local_domain(const struct lka_ctx *ctx, const struct envelope *evp,
    const char *domain)
{
	const struct smtpd_config	*conf = ctx->lc_conf;
	char				 lit[SMTP_DOMAIN_MAX + 1];
	size_t				 len;
	const char			*p;

	/* "postmaster" without a domain (RFC 5321 4.1.1.3). */
	if (domain[0] == '\0')
		return 1;
	if (strcasecmp(domain, "localhost") == 0 ||
	    strcasecmp(domain, "localhost.") == 0)
		return 1;
	if (conf->sc_hostname != NULL &&
	    strcasecmp(domain, conf->sc_hostname) == 0)
		return 1;
	if (evp->evp_smtpname[0] != '\0' &&
	    strcasecmp(domain, evp->evp_smtpname) == 0)
		return 1;
	len = strlen(domain);
	if (domain[0] == '[' && len >= 3 && domain[len - 1] == ']') {
		p = domain + 1;
		len -= 2;
		if (strncasecmp(p, "ipv6:", 5) == 0) {
			p += 5;
			len -= 5;
		}
		if (len >= sizeof(lit))
			return 0;
		memcpy(lit, p, len);
		lit[len] = '\0';
		return rule_is_localaddr(ctx, lit);
	}
	return 0;
}

/* Apply a condition's negation to a result (-1 stays -1). */
static int
rule_neg(const struct match_cond *mc, int r)
{
	if (r == -1)
		return -1;
	return mc->mc_neg ? !r : r;
}

static int
rule_authenticated(const struct envelope *evp)
{
	return (evp->evp_flags & EF_AUTHENTICATED) || evp->evp_auth[0] != '\0';
}

static int
rule_from(const struct lka_ctx *ctx, const struct match *m,
    const struct envelope *evp)
{
	const struct match_cond	*mc = &m->m_from_cond;
	int			 r = 0;

	switch (m->m_from) {
	case FROM_LOCAL:
		r = lka_rule_local_source(ctx, evp);
		break;
	case FROM_ANY:
		r = 1;
		break;
	case FROM_SOCKET:
		r = (evp->evp_flags & EF_LOCAL) ||
		    strcmp(evp->evp_src, "local") == 0;
		break;
	case FROM_SRC:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_NETADDR, evp->evp_src, NULL);
		break;
	case FROM_AUTH:
		r = rule_authenticated(evp);
		if (r && mc->mc_table != NULL)
			r = rule_table(ctx, mc, RK_STRING, evp->evp_auth, NULL);
		break;
	case FROM_RDNS:
		r = evp->evp_hostname[0] != '\0';
		if (r && mc->mc_table != NULL)
			r = rule_table(ctx, mc, RK_DOMAIN, evp->evp_hostname,
			    NULL);
		break;
	case FROM_MAIL_FROM:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_MAILADDR, NULL, &evp->evp_sender);
		break;
	}
	return rule_neg(mc, r);
}

static int
rule_for(const struct lka_ctx *ctx, const struct match *m,
    const struct envelope *evp, const struct mailaddr *rcpt)
{
	const struct match_cond	*mc = &m->m_for_cond;
	int			 r = 0;

	switch (m->m_for) {
	case FOR_LOCAL:
		r = lka_rule_local_domain(ctx, evp, rcpt->ma_domain);
		break;
	case FOR_ANY:
		r = 1;
		break;
	case FOR_DOMAIN:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_DOMAIN, rcpt->ma_domain, NULL);
		break;
	case FOR_RCPT_TO:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_MAILADDR, NULL, rcpt);
		break;
	}
	return rule_neg(mc, r);
}

static int
rule_opt(const struct lka_ctx *ctx, enum match_opt o,
    const struct match_cond *mc, const struct envelope *evp,
    const struct mailaddr *rcpt)
{
	int	r = 0;

	switch (o) {
	case MOPT_AUTH:
		r = rule_authenticated(evp);
		if (r && mc->mc_table != NULL)
			r = rule_table(ctx, mc, RK_STRING, evp->evp_auth, NULL);
		break;
	case MOPT_MAIL_FROM:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_MAILADDR, NULL, &evp->evp_sender);
		break;
	case MOPT_RCPT_TO:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_MAILADDR, NULL, rcpt);
		break;
	case MOPT_HELO:
		if (mc->mc_table == NULL)
			return -1;
		r = rule_table(ctx, mc, RK_DOMAIN, evp->evp_helo, NULL);
		break;
	case MOPT_TAG:
		if (mc->mc_table == NULL)
			return -1;
		if (evp->evp_tag[0] != '\0')
			r = rule_table(ctx, mc, RK_STRING, evp->evp_tag, NULL);
		break;
	case MOPT_TLS:
		r = (evp->evp_flags & EF_TLS) != 0;
		break;
	case MOPT_COUNT:
		return -1;
	}
	return rule_neg(mc, r);
}

/* 1 match, 0 no, -1 temporary failure. */
static int
rule_eval(const struct lka_ctx *ctx, const struct match *m,
    const struct envelope *evp, const struct mailaddr *rcpt)
{
	int	r, o;

	if ((r = rule_from(ctx, m, evp)) != 1)
		return r;
	if ((r = rule_for(ctx, m, evp, rcpt)) != 1)
		return r;
	for (o = 0; o < MOPT_COUNT; o++) {
		if (!m->m_opts[o].mc_set)
			continue;
		if ((r = rule_opt(ctx, o, &m->m_opts[o], evp, rcpt)) != 1)
			return r;
	}
	return 1;
}

int
lka_rule_match(const struct lka_ctx *ctx, const struct envelope *evp,
    const struct mailaddr *rcpt, const struct match **mp)
{
	const struct match	*m;
	int			 r;

	*mp = NULL;
	TAILQ_FOREACH(m, &ctx->lc_conf->sc_matches, m_entry) {
		r = rule_eval(ctx, m, evp, rcpt);
		if (r == -1) {
			log_warnx("lka_rule_match: rule at line %d: a table "
			    "is unusable, temporary failure", m->m_line);
			return -1;
		}
		if (r == 1) {
			if (log_trace_get() & TRACE_RULES)
				log_info("rule at line %d matched %s@%s",
				    m->m_line, rcpt->ma_user,
				    rcpt->ma_domain);
			*mp = m;
			return 1;
		}
	}
	return 0;
}
