/*
 * smtpd.conf: `listen on` options, and turning the target (socket,
 * interface, address, host name, "all", "egress") into listeners.
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 *
 * Host names and interfaces are resolved here, at parse time.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "postern_limits.h"
#include "parse_internal.h"
#include "tls.h"

void
parse_listen_begin(void)
{
	parse_recover();
	ps.lo.family = AF_UNSPEC;
}

void
parse_listen_target(int socket, const char *name)
{
	ps.lo.socket = socket;
	ps.lo.target = name != NULL ? parse_strdup(name) : NULL;
}

void
parse_listen_flag(uint32_t seen, uint32_t flag, const char *what)
{
	if (ps.lo.seen & seen) {
		parse_error("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	ps.lo.flags |= flag;
}

void
parse_listen_family(int family)
{
	if (ps.lo.seen & LO_FAMILY) {
		parse_error("address family already specified");
		return;
	}
	ps.lo.seen |= LO_FAMILY;
	ps.lo.family = family;
}

void
parse_listen_tls(uint32_t flags)
{
	if (ps.lo.seen & LO_TLS) {
		parse_error("TLS mode already specified");
		return;
	}
	ps.lo.seen |= LO_TLS;
	ps.lo.flags |= flags;
}

void
parse_listen_auth(uint32_t flags, struct table *t)
{
	if (ps.lo.seen & LO_AUTH) {
		parse_error("auth already specified");
		return;
	}
	ps.lo.seen |= LO_AUTH;
	ps.lo.flags |= L_AUTH | flags;
	ps.lo.auth = t;
}

void
parse_listen_port_num(int64_t n)
{
	if (ps.lo.seen & LO_PORT) {
		parse_error("port already specified");
		return;
	}
	ps.lo.seen |= LO_PORT;
	if (n <= 0 || n > 65535) {
		parse_error("invalid port: %lld", (long long)n);
		return;
	}
	ps.lo.port = (int)n;
}

void
parse_listen_port_name(const char *name)
{
	struct servent	*se;

	if (ps.lo.seen & LO_PORT) {
		parse_error("port already specified");
		return;
	}
	ps.lo.seen |= LO_PORT;
	if (strcmp(name, "smtp") == 0)
		ps.lo.port = 25;
	else if (strcmp(name, "smtps") == 0)
		ps.lo.port = 465;
	else if (strcmp(name, "submission") == 0)
		ps.lo.port = 587;
	else if (!ps.opts->co_no_files &&
	    (se = getservbyname(name, "tcp")) != NULL)
		ps.lo.port = ntohs((uint16_t)se->s_port);
	else
		parse_error("invalid port: %s", name);
}

void
parse_listen_str(uint32_t seen, char **field, const char *val, const char *what)
{
	uint32_t	protos;

	if (ps.lo.seen & seen) {
		parse_error("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	if (seen == LO_TAG && strlen(val) > CONF_MAX_TAG) {
		parse_error("tag name too long (at most %d characters)",
		    CONF_MAX_TAG);
		return;
	}
	if (seen == LO_HOSTNAME && !parse_hostname_ok(val) &&
	    !parse_addr_literal_ok(val)) {
		parse_error("not a valid host name: %s", val);
		return;
	}
	if (seen == LO_PROTOCOLS && tls_protocols_parse(val, &protos) == -1) {
		parse_error("invalid protocols: %s", val);
		return;
	}
	if (seen == LO_CIPHERS && tls_ciphers_check(val) == -1) {
		parse_error("invalid ciphers: %s", val);
		return;
	}
	*field = parse_xstrdup(val);
}

void
parse_listen_table(uint32_t seen, struct table **field, struct table *t,
    const char *what)
{
	if (ps.lo.seen & seen) {
		parse_error("%s already specified", what);
		return;
	}
	ps.lo.seen |= seen;
	*field = t;
}

void
parse_listen_pki(const char *name)
{
	struct pki	*p;
	size_t		 i;

	ps.lo.seen |= LO_PKI;
	if ((p = config_pki_find(ps.conf, name)) == NULL) {
		parse_error("pki name not found: %s", name);
		return;
	}
	for (i = 0; i < ps.lo.npki; i++)
		if (ps.lo.pki[i] == p) {
			parse_error("pki %s already specified", name);
			return;
		}
	if (ps.lo.npki >= CONF_MAX_LISTENER_PKI) {
		parse_error("too many pki specified (at most %d)",
		    CONF_MAX_LISTENER_PKI);
		return;
	}
	ps.lo.pki[ps.lo.npki++] = p;
}

void
parse_listen_ca(const char *name)
{
	if (ps.lo.seen & LO_CA) {
		parse_error("ca already specified");
		return;
	}
	ps.lo.seen |= LO_CA;
	if ((ps.lo.ca = config_ca_find(ps.conf, name)) == NULL)
		parse_error("ca name not found: %s", name);
}

void
parse_listen_filter(struct filter *f)
{
	if (ps.lo.seen & LO_FILTER) {
		parse_error("filter already specified");
		return;
	}
	ps.lo.seen |= LO_FILTER;
	ps.lo.filter = f;
}

static int
ss_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return 0;
}

static void
ss_set_port(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int
ss_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0 &&
		    ((const struct sockaddr_in *)a)->sin_port ==
		    ((const struct sockaddr_in *)b)->sin_port;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0 &&
		    ((const struct sockaddr_in6 *)a)->sin6_port ==
		    ((const struct sockaddr_in6 *)b)->sin6_port &&
		    ((const struct sockaddr_in6 *)a)->sin6_scope_id ==
		    ((const struct sockaddr_in6 *)b)->sin6_scope_id;
	return 0;
}

static void
addr_push(struct sockaddr_storage *v, size_t *n, const struct sockaddr *sa,
    int family)
{
	size_t	len, i;

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return;
	if (family != AF_UNSPEC && sa->sa_family != family)
		return;
	if (*n >= CONF_MAX_LISTEN_ADDRS)
		return;
	len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	memset(&v[*n], 0, sizeof(v[*n]));
	memcpy(&v[*n], sa, len);
	for (i = 0; i < *n; i++)
		if (ss_same(&v[i], &v[*n]))
			return;
	(*n)++;
}

/*
 * Addresses of a listen target, in OpenSMTPD's order of attempts: an
 * interface name, a literal address, a host name.  Postern adds "all"
 * (every address of every interface) and "egress" (every address of
 * every interface that is not loopback), which OpenBSD gets from
 * interface groups and Linux does not have.
 */
static size_t
listen_resolve(const char *name, int family, struct sockaddr_storage *v)
{
	struct ifaddrs	*ifap, *p;
	struct addrinfo	 hints, *res, *r;
	size_t		 n = 0;
	int		 all, egress;

	all = strcmp(name, "all") == 0;
	egress = strcmp(name, "egress") == 0;
	if (getifaddrs(&ifap) == 0) {
		for (p = ifap; p != NULL; p = p->ifa_next) {
			if (all || (egress && !(p->ifa_flags & IFF_LOOPBACK)) ||
			    strcmp(p->ifa_name, name) == 0)
				addr_push(v, &n, p->ifa_addr, family);
		}
		freeifaddrs(ifap);
	}
	if (n > 0 || all || egress)
		return n;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (r = res; r != NULL; r = r->ai_next)
			addr_push(v, &n, r->ai_addr, family);
		freeaddrinfo(res);
		return n;
	}
	if (ps.opts->co_no_resolve)
		return 0;
	hints.ai_flags = 0;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (r = res; r != NULL; r = r->ai_next)
			addr_push(v, &n, r->ai_addr, family);
		freeaddrinfo(res);
	}
	return n;
}

static struct listener *
listener_new(void)
{
	struct listener	*l;
	size_t		 i;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		parse_nomem();
		return NULL;
	}
	l->l_line = ps.stmt_line;
	l->l_family = ps.lo.family;
	l->l_flags = ps.lo.flags;
	l->l_hostname = parse_xstrdup(ps.lo.hostname);
	l->l_hostnames = ps.lo.hostnames;
	l->l_auth = ps.lo.auth;
	l->l_senders = ps.lo.senders;
	l->l_tag = parse_xstrdup(ps.lo.tag);
	l->l_ca = ps.lo.ca;
	l->l_filter = ps.lo.filter;
	l->l_ciphers = parse_xstrdup(ps.lo.ciphers);
	l->l_protocols = parse_xstrdup(ps.lo.protocols);
	if (ps.lo.npki > 0) {
		if ((l->l_pki = calloc(ps.lo.npki, sizeof(*l->l_pki))) ==
		    NULL) {
			parse_nomem();
			config_listener_free(l);
			return NULL;
		}
		for (i = 0; i < ps.lo.npki; i++)
			l->l_pki[i] = ps.lo.pki[i];
		l->l_npki = ps.lo.npki;
	}
	return l;
}

void
parse_listen_end(void)
{
	struct sockaddr_storage	 addrs[CONF_MAX_LISTEN_ADDRS];
	struct listener		*l;
	struct pki		*p;
	const char		*hn;
	size_t			 n, i;
	int			 line = ps.stmt_line;

	if (ps.lo.socket) {
		if (ps.lo.seen & ~LO_SOCKET_OK)
			parse_error_at(line, "only filter, mask-src, tag and "
			    "no-dsn may be used with listen on socket");
		if (config_socket_listener(ps.conf) != NULL)
			parse_error_at(line,
			    "socket listener already configured");
		else if ((l = listener_new()) != NULL) {
			l->l_name = parse_xstrdup("socket");
			l->l_flags |= L_SOCKET | L_LOCAL;
			l->l_ss.ss_family = AF_UNIX;
			TAILQ_INSERT_TAIL(&ps.conf->sc_listeners, l, l_entry);
		}
		goto done;
	}
	if (ps.lo.target == NULL)
		goto done;
	if ((ps.lo.flags & L_AUTH) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		parse_error_at(line, "invalid listen option: auth requires "
		    "tls/smtps");
	if ((ps.lo.seen & LO_PKI) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		parse_error_at(line,
		    "invalid listen option: pki requires tls/smtps");
	if ((ps.lo.seen & LO_CA) && !(ps.lo.flags & (L_TLS | L_SMTPS)))
		parse_error_at(line,
		    "invalid listen option: ca requires tls/smtps");
	if ((ps.lo.flags & (L_TLS | L_SMTPS)) && !(ps.lo.seen & LO_PKI)) {
		hn = ps.lo.hostname != NULL ? ps.lo.hostname :
		    ps.conf->sc_hostname;
		if ((p = config_pki_find(ps.conf, hn)) == NULL)
			p = config_pki_find(ps.conf, "*");
		if (p == NULL)
			parse_error_at(line, "invalid listen option: tls/smtps "
			    "requires a pki (no pki option, and no pki named "
			    "\"%s\" or \"*\")", hn);
		else
			ps.lo.pki[ps.lo.npki++] = p;
	}
	if (ps.lo.port == 0)
		ps.lo.port = (ps.lo.flags & L_SMTPS) ? 465 : 25;

	n = listen_resolve(ps.lo.target, ps.lo.family, addrs);
	if (n == 0) {
		parse_error_at(line, "invalid virtual ip or interface: %s",
		    ps.lo.target);
		goto done;
	}
	for (i = 0; i < n; i++) {
		ss_set_port(&addrs[i], (in_port_t)ps.lo.port);
		if ((l = listener_new()) == NULL)
			break;
		l->l_name = parse_xstrdup(ps.lo.target);
		l->l_ss = addrs[i];
		l->l_port = (in_port_t)ps.lo.port;
		if (ss_is_loopback(&addrs[i]))
			l->l_flags |= L_LOCAL;
		TAILQ_INSERT_TAIL(&ps.conf->sc_listeners, l, l_entry);
	}
done:
	parse_recover();
}
