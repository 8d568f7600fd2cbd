/*
 * The SMTP listening sockets, parent side.  Runs in the parent as root
 * (binding port 25 needs it) and reads no network input: it binds,
 * listens and passes copies of the sockets to the smtp process, which
 * alone accepts on them.  Trusts the parsed configuration only.
 *
 * A socket outlives configurations: on SIGHUP an address and port that
 * stay keep their socket (binding them again would fail while the old
 * socket exists, and pending connections would be lost); new ones are
 * bound and dropped ones closed.  smtp receives the whole set again
 * after every configuration and closes the copies it did not get again.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "parent_listen.h"
#include "proc.h"

struct parent_sock {
	TAILQ_ENTRY(parent_sock) ps_entry;
	struct sockaddr_storage	 ps_ss;
	int			 ps_fd;
	int			 ps_keep;	/* wanted by the new config */
};
TAILQ_HEAD(parent_socks, parent_sock);

static struct parent_socks	parent_socks =
    TAILQ_HEAD_INITIALIZER(parent_socks);
static struct msg_out		parent_listen_mo;

/* Same family, address, port (and IPv6 scope). */
static int
parent_ss_equal(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss_family != b->ss_family)
		return 0;
	switch (a->ss_family) {
	case AF_INET:
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

/* "127.0.0.1 port 25" / "::1 port 25" for messages. */
static const char *
parent_ss_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char		 host[INET6_ADDRSTRLEN];
	const void	*addr;
	in_port_t	 port;

	if (ss->ss_family == AF_INET) {
		addr = &((const struct sockaddr_in *)ss)->sin_addr;
		port = ((const struct sockaddr_in *)ss)->sin_port;
	} else {
		addr = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	}
	if (inet_ntop(ss->ss_family, addr, host, sizeof(host)) == NULL)
		(void)strlcpy(host, "?", sizeof(host));
	(void)snprintf(buf, len, "%s port %u", host, ntohs(port));
	return buf;
}

static int
parent_is_tcp(const struct listener *l)
{
	return !(l->l_flags & L_SOCKET) && (l->l_ss.ss_family == AF_INET ||
	    l->l_ss.ss_family == AF_INET6);
}

static struct parent_sock *
parent_sock_find(const struct sockaddr_storage *ss)
{
	struct parent_sock	*ps;

	TAILQ_FOREACH(ps, &parent_socks, ps_entry) {
		if (parent_ss_equal(&ps->ps_ss, ss))
			return ps;
	}
	return NULL;
}

/*
 * A listening socket for ss, or -1 with errno.  The backlog is the
 * system's maximum: a burst of clients must queue in the kernel, not
 * be refused (OpenSMTPD's backlog of 5 is one of its slow paths).
 */
static int
parent_sock_open(const struct sockaddr_storage *ss)
{
	socklen_t	slen;
	int		fd, on = 1, saved;

	slen = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "listen on ::" must not take the IPv4 port as well. */
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, slen) == -1)
		goto fail;
	if (listen(fd, SOMAXCONN) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

void
parent_listen_bind(const struct smtpd_config *conf, int startup)
{
	const struct listener	*l;
	struct parent_sock	*ps, *next;
	char			 where[INET6_ADDRSTRLEN + 16];
	int			 fd;

	TAILQ_FOREACH(ps, &parent_socks, ps_entry)
		ps->ps_keep = 0;
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (!parent_is_tcp(l))
			continue;
		if ((ps = parent_sock_find(&l->l_ss)) != NULL) {
			ps->ps_keep = 1;
			continue;
		}
		if ((fd = parent_sock_open(&l->l_ss)) == -1) {
			parent_ss_str(&l->l_ss, where, sizeof(where));
			if (startup)
				fatal("parent_listen_bind: cannot listen on "
				    "%s", where);
			log_warn("parent_listen_bind: cannot listen on %s, "
			    "this listener stays closed", where);
			continue;
		}
		if ((ps = calloc(1, sizeof(*ps))) == NULL)
			fatal("parent_listen_bind");
		ps->ps_ss = l->l_ss;
		ps->ps_fd = fd;
		ps->ps_keep = 1;
		TAILQ_INSERT_TAIL(&parent_socks, ps, ps_entry);
		log_debug("parent_listen_bind: listening on %s",
		    parent_ss_str(&l->l_ss, where, sizeof(where)));
	}
	for (ps = TAILQ_FIRST(&parent_socks); ps != NULL; ps = next) {
		next = TAILQ_NEXT(ps, ps_entry);
		if (ps->ps_keep)
			continue;
		log_debug("parent_listen_bind: closing %s",
		    parent_ss_str(&ps->ps_ss, where, sizeof(where)));
		(void)close(ps->ps_fd);
		TAILQ_REMOVE(&parent_socks, ps, ps_entry);
		free(ps);
	}
}

/*
 * Each socket goes once, with the index of the first listener naming
 * its address: "listen on lo" next to "listen on 127.0.0.1" must not
 * make smtp accept twice on one socket.
 */
void
parent_listen_send(const struct smtpd_config *conf)
{
	const struct listener	*l, *first;
	struct parent_sock	*ps;
	uint32_t		 idx = 0;
	int			 fd;

	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (!parent_is_tcp(l) ||
		    (ps = parent_sock_find(&l->l_ss)) == NULL)
			goto next;
		TAILQ_FOREACH(first, &conf->sc_listeners, l_entry) {
			if (parent_is_tcp(first) &&
			    parent_ss_equal(&first->l_ss, &l->l_ss))
				break;
		}
		if (first != l) {
			log_warnx("parent_listen_send: %s line %d: the "
			    "address is already a listener (line %d), this "
			    "one is ignored", l->l_name, l->l_line,
			    first->l_line);
			goto next;
		}
		if ((fd = fcntl(ps->ps_fd, F_DUPFD_CLOEXEC, 0)) == -1)
			fatal("parent_listen_send: dup");
		m_init(&parent_listen_mo);
		m_add_u32(&parent_listen_mo, idx);
		proc_send(PROC_SMTP, IMSG_PARENT_LISTENER, 0, fd,
		    &parent_listen_mo);
 next:
		idx++;
	}
	proc_compose(PROC_SMTP, IMSG_PARENT_LISTENERS_DONE, 0, -1, NULL, 0);
}
