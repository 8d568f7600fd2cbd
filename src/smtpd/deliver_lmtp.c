/*
 * LMTP delivery (RFC 2033).  Runs in a delivery child as the recipient
 * user (never root): the connection is made as the user.  Input: the
 * message already read whole, and the destination "host:port",
 * "[addr]:port" or "/path/to/socket" (an "lmtp://" prefix is allowed).
 *
 * The server's replies are untrusted: lines are read into a bounded
 * buffer, only the code and the last line's text are used.  Every step
 * has a timeout (DELIVER_LMTP_TIMEOUT); a timeout, a connection failure
 * or a 4xx is a temporary failure, a 5xx a permanent one with the
 * server's text as the error line.  RCPT TO names the user (OpenSMTPD's
 * default) or, with the action's rcpt-to option, the destination
 * address.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "mailaddr.h"

#define LMTP_BUFSIZE	(64 * 1024)

struct lmtp {
	int	 l_fd;
	char	 l_in[SMTP_REPLY_MAX * 4];
	size_t	 l_inlen;
	char	 l_out[LMTP_BUFSIZE];
	size_t	 l_outlen;
	char	 l_reply[SMTP_REPLY_MAX + 1];	/* last line of a reply */
	int	 l_code;
	int	 l_err;		/* errno of an I/O failure, ETIMEDOUT */
	int	 l_ext;		/* LHLO: LMTP_EXT_* the server offers */
};

#define LMTP_EXT_8BITMIME	0x01
#define LMTP_EXT_SMTPUTF8	0x02

static int
lmtp_wait(struct lmtp *l, short what)
{
	struct pollfd	pfd = { l->l_fd, what, 0 };
	int		n;

	do {
		n = poll(&pfd, 1, DELIVER_LMTP_TIMEOUT * 1000);
	} while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static int
lmtp_flush(struct lmtp *l)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < l->l_outlen && l->l_err == 0) {
		if (lmtp_wait(l, POLLOUT) == -1) {
			l->l_err = errno;
			break;
		}
		n = send(l->l_fd, l->l_out + off, l->l_outlen - off,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			l->l_err = errno;
		else
			off += (size_t)n;
	}
	l->l_outlen = 0;
	return l->l_err == 0 ? 0 : -1;
}

static void
lmtp_put(struct lmtp *l, const char *p, size_t n)
{
	size_t	chunk;

	while (n > 0 && l->l_err == 0) {
		if (l->l_outlen == sizeof(l->l_out))
			(void)lmtp_flush(l);
		chunk = sizeof(l->l_out) - l->l_outlen;
		if (chunk > n)
			chunk = n;
		memcpy(l->l_out + l->l_outlen, p, chunk);
		l->l_outlen += chunk;
		p += chunk;
		n -= chunk;
	}
}

/* Read one reply (all its lines); l_code, l_reply.  -1 on I/O trouble
 * or a malformed reply. */
static int
lmtp_reply(struct lmtp *l)
{
	char	*nl, *line;
	ssize_t	 n;
	size_t	 len, i;
	int	 last;

	for (;;) {
		while ((nl = memchr(l->l_in, '\n', l->l_inlen)) == NULL) {
			if (l->l_inlen == sizeof(l->l_in)) {
				l->l_err = EPROTO;
				return -1;
			}
			if (lmtp_wait(l, POLLIN) == -1) {
				l->l_err = errno;
				return -1;
			}
			n = recv(l->l_fd, l->l_in + l->l_inlen,
			    sizeof(l->l_in) - l->l_inlen, 0);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				l->l_err = n == 0 ? ECONNRESET : errno;
				return -1;
			}
			l->l_inlen += (size_t)n;
		}
		line = l->l_in;
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-')) {
			l->l_err = EPROTO;
			return -1;
		}
		l->l_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		for (i = 0; i < len && i < sizeof(l->l_reply) - 1; i++)
			l->l_reply[i] = (line[i] >= 0x20 && line[i] < 0x7f) ?
			    line[i] : '?';
		l->l_reply[i] = '\0';
		if (strcasecmp(l->l_reply + 3, "-8BITMIME") == 0 ||
		    strcasecmp(l->l_reply + 3, " 8BITMIME") == 0)
			l->l_ext |= LMTP_EXT_8BITMIME;
		if (strcasecmp(l->l_reply + 3, "-SMTPUTF8") == 0 ||
		    strcasecmp(l->l_reply + 3, " SMTPUTF8") == 0)
			l->l_ext |= LMTP_EXT_SMTPUTF8;
		last = len == 3 || line[3] == ' ';
		l->l_inlen -= (size_t)(nl + 1 - l->l_in);
		memmove(l->l_in, nl + 1, l->l_inlen);
		if (last)
			return 0;
	}
}

static int
lmtp_connect(struct deliver *d, struct lmtp *l, const char *dest)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_un	 sun;
	char			 host[SMTP_DOMAIN_MAX + 1], *port;
	const char		*p;
	int			 r, fd = -1, err = 0;
	socklen_t		 elen = sizeof(err);

	if (strncmp(dest, "lmtp://", 7) == 0)
		dest += 7;
	if (dest[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlcpy(sun.sun_path, dest, sizeof(sun.sun_path)) >=
		    sizeof(sun.sun_path))
			return deliver_fail(d, EX_TEMPFAIL, "4.3.5 LMTP "
			    "socket path too long");
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			err = errno;
			if (fd != -1)
				(void)close(fd);
			return deliver_fail(d, EX_TEMPFAIL, "4.4.1 cannot "
			    "connect to LMTP socket %s: %s", dest,
			    strerror(err));
		}
		l->l_fd = fd;
		return 0;
	}
	if (dest[0] == '[') {
		if ((p = strchr(dest, ']')) == NULL || p[1] != ':')
			return deliver_fail(d, EX_TEMPFAIL, "4.3.5 bad LMTP "
			    "destination %s", dest);
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(p - dest - 1), dest + 1);
		p += 2;
	} else {
		if ((p = strrchr(dest, ':')) == NULL)
			return deliver_fail(d, EX_TEMPFAIL, "4.3.5 LMTP "
			    "destination %s has no port", dest);
		(void)snprintf(host, sizeof(host), "%.*s", (int)(p - dest),
		    dest);
		p++;
	}
	port = (char *)(uintptr_t)p;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0)
		return deliver_fail(d, EX_TEMPFAIL, "4.4.3 cannot resolve "
		    "LMTP host %s: %s", host, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		l->l_fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && lmtp_wait(l, POLLOUT) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
		    err == 0))
			break;
		if (err == 0)
			err = errno;
		(void)close(fd);
		fd = l->l_fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return deliver_fail(d, EX_TEMPFAIL, "4.4.1 cannot connect to "
		    "LMTP server %s: %s", dest, strerror(err));
	return 0;
}

/* Send a command, read the reply; 0 if 2xx/3xx, else the exit code. */
static int
lmtp_cmd(struct deliver *d, struct lmtp *l, const char *what,
    const char *cmd)
{
	if (cmd != NULL) {
		lmtp_put(l, cmd, strlen(cmd));
		lmtp_put(l, "\r\n", 2);
		(void)lmtp_flush(l);
	}
	if (l->l_err != 0 || lmtp_reply(l) == -1)
		return deliver_fail(d, EX_TEMPFAIL, "4.4.2 LMTP %s: %s", what,
		    strerror(l->l_err));
	if (l->l_code >= 200 && l->l_code < 400)
		return 0;
	return deliver_fail(d, l->l_code >= 500 ? EX_UNAVAILABLE :
	    EX_TEMPFAIL, "%s", l->l_reply);
}

/* The message with CRLF line ends and dot-stuffing. */
static void
lmtp_put_data(struct lmtp *l, const char *buf, size_t len, int *bol)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 n;

	while (p < end && l->l_err == 0) {
		if (*bol && *p == '.')
			lmtp_put(l, ".", 1);
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			lmtp_put(l, p, (size_t)(end - p));
			*bol = 0;
			return;
		}
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		lmtp_put(l, p, n);
		lmtp_put(l, "\r\n", 2);
		*bol = 1;
		p = nl + 1;
	}
}

int
deliver_lmtp(struct deliver *d, const char *dest)
{
	static struct lmtp	 l;
	const struct envelope	*evp = d->d_evp;
	char			 cmd[SMTP_PATH_MAX + 64];
	char			 sender[SMTP_PATH_MAX + 1];
	int			 code, bol = 1;

	memset(&l, 0, sizeof(l));
	l.l_fd = -1;
	if ((code = lmtp_connect(d, &l, dest)) != 0)
		return code;
	if ((code = lmtp_cmd(d, &l, "greeting", NULL)) != 0)
		goto out;
	(void)snprintf(cmd, sizeof(cmd), "LHLO %s", d->d_hostname);
	l.l_ext = 0;
	if ((code = lmtp_cmd(d, &l, "LHLO", cmd)) != 0)
		goto out;
	if (mailaddr_format(&evp->evp_sender, sender, sizeof(sender)) < 0)
		sender[0] = '\0';
	/* Parameters the server offers and the message needs. */
	(void)snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>%s%s", sender,
	    (evp->evp_flags & EF_8BITMIME) && (l.l_ext & LMTP_EXT_8BITMIME) ?
	    " BODY=8BITMIME" : "",
	    (evp->evp_flags & EF_SMTPUTF8) && (l.l_ext & LMTP_EXT_SMTPUTF8) ?
	    " SMTPUTF8" : "");
	if ((code = lmtp_cmd(d, &l, "MAIL FROM", cmd)) != 0)
		goto out;
	(void)snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>",
	    (evp->evp_flags & EF_LMTP_RCPT_TO) ? d->d_dest : evp->evp_user);
	if ((code = lmtp_cmd(d, &l, "RCPT TO", cmd)) != 0)
		goto out;
	if ((code = lmtp_cmd(d, &l, "DATA", "DATA")) != 0)
		goto out;
	if (l.l_code != 354) {
		code = deliver_fail(d, EX_TEMPFAIL, "4.5.0 LMTP DATA: "
		    "unexpected reply %s", l.l_reply);
		goto out;
	}
	lmtp_put_data(&l, d->d_hdr, d->d_hdrlen, &bol);
	lmtp_put_data(&l, d->d_msg, d->d_msglen, &bol);
	if (!bol)
		lmtp_put(&l, "\r\n", 2);
	/* One reply per accepted recipient: here exactly one. */
	code = lmtp_cmd(d, &l, "end of data", ".");
 out:
	if (l.l_err == 0) {
		/* Leave politely; the reply does not matter. */
		lmtp_put(&l, "QUIT\r\n", 6);
		(void)lmtp_flush(&l);
	}
	(void)close(l.l_fd);
	return code;
}
