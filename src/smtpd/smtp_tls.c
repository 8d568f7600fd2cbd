/*
 * TLS in SMTP sessions: the STARTTLS command (RFC 3207), implicit TLS
 * on smtps listeners, the handshake and what it leaves in the session.
 * Runs in the smtp process (_smtpd, chrooted, under its system call
 * filter).  Untrusted input: the client's command line and everything
 * it sends around the handshake; a bad handshake ends that session,
 * never the process.  The contexts come from tls.c, the private key
 * operations of each handshake go to ca (tls_key.c).
 *
 * The plaintext channel ends with our 220.  Whatever the client sent
 * after the STARTTLS line before it could read that reply is thrown
 * away at once and the socket is not read again in plaintext: the
 * handshake starts on a fresh bufferevent once the 220 is out, so a
 * command pipelined behind STARTTLS (CVE-2011-0411) is never answered,
 * neither in plaintext nor inside TLS.  Bytes still in the kernel go
 * to the TLS layer, which takes them for a broken ClientHello.  After
 * the handshake the session starts over: no HELO, no transaction, no
 * authentication (RFC 3207, 4.2).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "smtp_session.h"
#include "tls.h"

/* Drop what the client sent in plaintext and we have not read yet. */
static size_t
smtp_tls_discard(struct smtp_session *s)
{
	struct evbuffer	*in = bufferevent_get_input(s->s_bev);
	size_t		 n = evbuffer_get_length(in);

	if (n > 0 && evbuffer_drain(in, n) == -1)
		fatalx("smtp_tls_discard: evbuffer_drain");
	return n;
}

/*
 * STARTTLS: offered only on a tls or tls-require listener whose context
 * could be built, in a session that is not secured yet, between
 * transactions, without argument.
 */
int
smtp_tls_check(struct smtp_session *s, char *arg)
{
	if (s->s_flags & SF_TLS) {
		smtp_reply(s, "503 5.5.1 Invalid command: Channel already "
		    "secured");
		return -1;
	}
	if (!(s->s_l->sl_flags & L_TLS)) {
		smtp_reply(s, "502 5.5.1 Command not implemented");
		return -1;
	}
	if (s->s_state != SMTP_S_HELO || s->s_tx != NULL) {
		smtp_reply(s, "503 5.5.1 Invalid command: %s",
		    s->s_state == SMTP_S_CONNECTED ? "Send HELO or EHLO first" :
		    "Command not allowed at this point.");
		return -1;
	}
	if (arg != NULL && *arg != '\0') {
		smtp_reply(s, "501 5.5.4 Syntax error: no argument allowed");
		return -1;
	}
	if (s->s_l->sl_tls == NULL) {
		smtp_reply(s, "454 4.7.0 TLS not available due to temporary "
		    "reason");
		return -1;
	}
	return 0;
}

int
smtp_tls_offered(const struct smtp_session *s)
{
	return (s->s_l->sl_flags & L_TLS) && s->s_l->sl_tls != NULL &&
	    !(s->s_flags & SF_TLS);
}

void
smtp_tls_starttls(struct smtp_session *s, char *arg)
{
	size_t	n;

	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	s->s_wait = SMTP_W_TLS;
	n = smtp_tls_discard(s);
	if (n > 0)
		log_debug("%016llx smtp_tls_starttls: %zu bytes sent after "
		    "STARTTLS discarded", (unsigned long long)s->s_id, n);
}

/*
 * The 220 is out (or an smtps client connected): the socket goes to a
 * TLS bufferevent that accepts the handshake.  The plaintext
 * bufferevent, with anything it may still hold, is freed without
 * closing the socket.
 */
void
smtp_tls_accept(struct smtp_session *s, int fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if (s->s_bev != NULL) {
		fd = bufferevent_getfd(s->s_bev);
		(void)smtp_tls_discard(s);
		if (bufferevent_setfd(s->s_bev, -1) == -1)
			fatalx("smtp_tls_accept: bufferevent_setfd");
		bufferevent_free(s->s_bev);
		s->s_bev = NULL;
	}
	if ((ssl = SSL_new(s->s_l->sl_tls)) == NULL)
		fatalx("smtp_tls_accept: SSL_new failed");
	if ((bev = bufferevent_openssl_socket_new(proc_event_base(), fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("smtp_tls_accept: bufferevent_openssl_socket_new");
	/* A client that closes without close_notify has just left. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	s->s_ssl = ssl;
	s->s_wait = SMTP_W_TLS;
	smtp_session_setio(s, bev);
}

/* The OpenSSL reason of a failed handshake, for the log. */
static void
smtp_tls_reason(struct smtp_session *s, char *buf, size_t len)
{
	unsigned long	e, first = 0;

	/* libevent also queues the SSL_get_error() code, a small number
	 * without a library. */
	while ((e = bufferevent_get_openssl_error(s->s_bev)) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	if (first != 0)
		ERR_error_string_n(first, buf, len);
	else
		(void)strlcpy(buf, "connection closed", len);
	ERR_clear_error();
}

/* Everything the client said before the handshake is forgotten. */
static void
smtp_tls_reset(struct smtp_session *s)
{
	free(s->s_helo);
	s->s_helo = NULL;
	s->s_flags &= ~(SF_EHLO | SF_AUTHENTICATED);
	explicit_bzero(s->s_authuser, sizeof(s->s_authuser));
	s->s_state = SMTP_S_CONNECTED;
}

/* An event on the TLS bufferevent before the handshake is done. */
void
smtp_tls_event(struct smtp_session *s, short what)
{
	char		 why[256];
	const char	*verify;

	s->s_wait = SMTP_W_NONE;
	if (!(what & BEV_EVENT_CONNECTED)) {
		if (what & BEV_EVENT_TIMEOUT) {
			(void)strlcpy(why, "timeout", sizeof(why));
			s->s_reason = "timeout";
		} else {
			smtp_tls_reason(s, why, sizeof(why));
			s->s_reason = "tls-failed";
		}
		log_info("%016llx smtp tls handshake failed address=%s "
		    "reason=\"%s\"", (unsigned long long)s->s_id, s->s_addr,
		    why);
		smtp_session_free(s);
		return;
	}
	tls_describe(s->s_ssl, s->s_tls, sizeof(s->s_tls));
	s->s_flags |= SF_TLS;
	if (tls_peer_verified(s->s_ssl))
		s->s_flags |= SF_TLS_VERIFIED;
	/* "proto:cipher:bits:verify": the log keeps them apart. */
	verify = strrchr(s->s_tls, ':');
	log_info("%016llx smtp tls ciphers=%.*s verify=%s",
	    (unsigned long long)s->s_id,
	    verify != NULL ? (int)(verify - s->s_tls) : (int)strlen(s->s_tls),
	    s->s_tls, verify != NULL ? verify + 1 : "?");
	smtp_tls_reset(s);
	if (s->s_l->sl_flags & L_SMTPS)
		smtp_session_greet(s);
	smtp_session_resume(s);
}

/* The session ends: say so inside TLS when the channel is still good. */
void
smtp_tls_close(struct smtp_session *s)
{
	if (s->s_ssl == NULL)
		return;
	if ((s->s_flags & SF_TLS) && (s->s_reason == NULL ||
	    (strcmp(s->s_reason, "io-error") != 0 &&
	    strcmp(s->s_reason, "tls-failed") != 0)))
		(void)SSL_shutdown(s->s_ssl);
	ERR_clear_error();
	/* The bufferevent frees it. */
	s->s_ssl = NULL;
}
