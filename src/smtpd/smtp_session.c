/*
 * SMTP sessions: socket I/O, the input loop, replies, timeouts and the
 * end of a session.  Runs in the smtp process (_smtpd, chrooted, under
 * its system call filter).  Every byte read here comes from an
 * untrusted client and never makes the process exit: a bad line gets
 * its reply, at worst the session ends.  Commands are in
 * smtp_command.c, transactions in smtp_tx.c.
 *
 * Input is read into a libevent buffer and processed in order
 * (PIPELINING, RFC 2920): every complete command is handled at once,
 * except that a command waiting for a peer (lka, queue) stops the
 * processing and the reading until the answer comes.  Replies are
 * queued and go out when the loop next runs, so the replies to a
 * pipelined group leave in one write.  A command line is never
 * buffered beyond SMTP_LINE_MAX: a longer one is answered and skipped
 * up to its LF.  A client that sends without reading stops being read
 * once SMTP_MAX_PENDING_OUT bytes of replies wait for it.
 *
 * Every entry point (socket callbacks, peers' answers) ends with
 * smtp_settle(), the one place that frees a session, so no code runs
 * on a freed session.  A session whose socket goes while a peer still
 * owes it an answer stays as a "zombie" until the answer, so that the
 * queue's message is rolled back after lka is done with it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "smtp_data.h"
#include "smtp_session.h"
#include "smtp_tx.h"

static void	smtp_read_cb(struct bufferevent *, void *);
static void	smtp_write_cb(struct bufferevent *, void *);
static void	smtp_event_cb(struct bufferevent *, short, void *);
static void	smtp_process(struct smtp_session *);
static void	smtp_settle(struct smtp_session *);

const char *
smtp_state_name(enum smtp_state state)
{
	switch (state) {
	case SMTP_S_CONNECTED:	return "connected";
	case SMTP_S_HELO:	return "helo";
	case SMTP_S_MAIL:	return "mail";
	case SMTP_S_RCPT:	return "rcpt";
	case SMTP_S_DATA:	return "data";
	case SMTP_S_BDAT:	return "bdat";
	case SMTP_S_CHUNKS:	return "chunks";
	case SMTP_S_QUIT:	return "quit";
	}
	return "?";
}

static uint64_t
smtp_new_id(void)
{
	return ((uint64_t)arc4random() << 32) | arc4random();
}

/* Greeting at once: no lookup of any kind comes before it. */
struct smtp_session *
smtp_session_new(struct smtp_listener *sl, int fd,
    const struct sockaddr_storage *ss, uint32_t reqid)
{
	struct smtp_session	*s;
	struct bufferevent	*bev;
	const void		*a;
	int			 on = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("smtp_session_new");
	/*
	 * Replies are gathered per round of input already; Nagle would
	 * only hold the answer of a pipelined RCPT until the client's
	 * delayed ACK of the previous one.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_debug("smtp_session_new: TCP_NODELAY: %s",
		    strerror(errno));
	s->s_reqid = reqid;
	s->s_id = smtp_new_id();
	s->s_l = sl;
	s->s_ss = *ss;
	s->s_state = SMTP_S_CONNECTED;
	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, a, s->s_addr, sizeof(s->s_addr)) ==
	    NULL)
		(void)strlcpy(s->s_addr, "?", sizeof(s->s_addr));
	(void)strlcpy(s->s_cmd, "<connect>", sizeof(s->s_cmd));

	log_info("%016llx smtp connected address=%s host=%s",
	    (unsigned long long)s->s_id, s->s_addr, s->s_addr);
	/* smtps: the greeting comes once the handshake is done. */
	if (sl->sl_flags & L_SMTPS) {
		smtp_tls_accept(s, fd);
		return s;
	}
	if ((bev = bufferevent_socket_new(proc_event_base(), fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("smtp_session_new: bufferevent_socket_new");
	smtp_session_setio(s, bev);
	smtp_session_greet(s);
	return s;
}

void
smtp_session_setio(struct smtp_session *s, struct bufferevent *bev)
{
	s->s_bev = bev;
	bufferevent_setcb(bev, smtp_read_cb, smtp_write_cb, smtp_event_cb, s);
	if (bufferevent_set_max_single_read(bev, SMTP_MAX_SINGLE_READ) == -1)
		fatalx("smtp_session_setio: bufferevent_set_max_single_read");
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) == -1)
		fatalx("smtp_session_setio: bufferevent_enable");
	/* The new bufferevent has no timeouts yet. */
	s->s_timeout = 0;
	smtp_session_timeouts(s);
}

void
smtp_session_greet(struct smtp_session *s)
{
	smtp_reply(s, "220 %s ESMTP Postern", s->s_l->sl_hostname);
}

/*
 * Idle timeout of the current state: waiting for a command or for
 * message bytes.  On a crowded server (more than 3/4 of the session
 * limit in use) it is halved, down to SMTP_MIN_TIMEOUT, so that silent
 * clients cannot hold every slot for long.  The write timeout is the
 * same: a client that does not read its replies is as idle.
 */
void
smtp_session_timeouts(struct smtp_session *s)
{
	const struct smtpd_config	*conf = proc_config();
	struct timeval			 tv;
	time_t				 t;

	if (s->s_bev == NULL)
		return;
	if (s->s_state == SMTP_S_DATA || s->s_state == SMTP_S_BDAT)
		t = conf->sc_smtp_timeout_data;
	else
		t = conf->sc_smtp_timeout_command;
	if (smtp_pressure() && t > SMTP_MIN_TIMEOUT)
		t = t / 2 > SMTP_MIN_TIMEOUT ? t / 2 : SMTP_MIN_TIMEOUT;
	if (t <= 0)
		t = 1;
	if (t == s->s_timeout)
		return;
	s->s_timeout = t;
	tv.tv_sec = t;
	tv.tv_usec = 0;
	if (bufferevent_set_timeouts(s->s_bev, &tv, &tv) == -1)
		fatalx("smtp_session_timeouts: bufferevent_set_timeouts");
}

/* ------------------------------------------------------------------ */
/* Replies */

/* Printable ASCII copy of a client line for the log. */
static void
smtp_log_cmd(struct smtp_session *s, const char *line, size_t len)
{
	size_t	i;

	if (len > SMTP_LOG_CMD_MAX)
		len = SMTP_LOG_CMD_MAX;
	for (i = 0; i < len; i++)
		s->s_cmd[i] = (line[i] >= 0x20 && line[i] < 0x7f &&
		    line[i] != '"') ? line[i] : '?';
	s->s_cmd[i] = '\0';
	smtp_auth_log_mask(s);
}

/*
 * One reply line.  A final 4xx/5xx line is a failed command: logged,
 * and one failure too many in a row becomes a 421 that ends the
 * session.  A 421 always ends it.
 */
void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	char		buf[SMTP_REPLY_MAX + 1];
	va_list		ap;
	int		n;

	if (s->s_bev == NULL || (s->s_flags & SF_CLOSING))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 4)
		fatalx("smtp_reply: short reply");
	if (buf[3] == ' ' && (buf[0] == '4' || buf[0] == '5')) {
		log_info("%016llx smtp failed-command command=\"%s\" "
		    "result=\"%s\"", (unsigned long long)s->s_id, s->s_cmd,
		    buf);
		if (++s->s_failures > proc_config()->sc_smtp_max_failures &&
		    strncmp(buf, "421", 3) != 0 &&
		    strncmp(buf, "521", 3) != 0) {
			(void)strlcpy(buf, "421 4.7.0 Too many errors",
			    sizeof(buf));
			s->s_reason = "too-many-errors";
		}
	} else if (buf[3] == ' ')
		s->s_failures = 0;
	if (log_trace_get() & TRACE_SMTP)
		log_info("%016llx smtp >>> %s", (unsigned long long)s->s_id,
		    buf);
	if (evbuffer_add_printf(bufferevent_get_output(s->s_bev), "%s\r\n",
	    buf) == -1)
		fatalx("smtp_reply: evbuffer_add_printf");
	if (strncmp(buf, "421 ", 4) == 0)
		smtp_session_close(s, s->s_reason != NULL ? s->s_reason :
		    "closing");
}

/* ------------------------------------------------------------------ */
/* Input */

static void
smtp_too_long(struct smtp_session *s, struct evbuffer *in, size_t len)
{
	char	 head[SMTP_LOG_CMD_MAX];
	ssize_t	 n;

	if ((n = evbuffer_copyout(in, head, sizeof(head))) < 0)
		n = 0;
	smtp_log_cmd(s, head, (size_t)n);
	explicit_bzero(head, sizeof(head));
	if (s->s_auth != NULL)
		smtp_auth_too_long(s);
	else
		smtp_reply(s, "500 5.5.2 Line too long");
	if (evbuffer_drain(in, len) == -1)
		fatalx("smtp_too_long: evbuffer_drain");
}

/* One command line from in; -1 when more bytes are needed. */
static int
smtp_line_in(struct smtp_session *s, struct evbuffer *in)
{
	static char		 line[SMTP_LINE_MAX + 2];
	struct evbuffer_ptr	 p;
	size_t			 avail = evbuffer_get_length(in), len;

	p = evbuffer_search(in, "\n", 1, NULL);
	if (s->s_flags & SF_DISCARD) {
		if (p.pos == -1) {
			(void)evbuffer_drain(in, avail);
			return -1;
		}
		(void)evbuffer_drain(in, (size_t)p.pos + 1);
		s->s_flags &= ~SF_DISCARD;
		return 0;
	}
	if (p.pos == -1) {
		/* A CR may still come before the LF. */
		if (avail <= SMTP_LINE_MAX + 1)
			return -1;
		smtp_too_long(s, in, avail);
		s->s_flags |= SF_DISCARD;
		return 0;
	}
	len = (size_t)p.pos;
	if (len > SMTP_LINE_MAX + 1) {
		smtp_too_long(s, in, len + 1);
		return 0;
	}
	if (evbuffer_remove(in, line, len + 1) != (int)(len + 1))
		fatalx("smtp_line_in: evbuffer_remove");
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SMTP_LINE_MAX) {
		smtp_log_cmd(s, line, len);
		if (s->s_auth != NULL)
			smtp_auth_too_long(s);
		else
			smtp_reply(s, "500 5.5.2 Line too long");
		explicit_bzero(line, len);
		return 0;
	}
	line[len] = '\0';
	smtp_log_cmd(s, line, len);
	if (log_trace_get() & TRACE_SMTP)
		log_info("%016llx smtp <<< %s (state %s)",
		    (unsigned long long)s->s_id, s->s_cmd,
		    smtp_state_name(s->s_state));
	smtp_command(s, line, len);
	return 0;
}

/* Message bytes for DATA or the current BDAT chunk. */
static void
smtp_data_in(struct smtp_session *s, struct evbuffer *in)
{
	struct evbuffer_iovec	 v;
	size_t			 len, used;
	int			 r;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		fatalx("smtp_data_in: evbuffer_peek");
	len = v.iov_len;
	if (s->s_state == SMTP_S_BDAT && len > s->s_chunk_left)
		len = (size_t)s->s_chunk_left;
	if (s->s_state == SMTP_S_BDAT && (s->s_flags & SF_CHUNK_BAD)) {
		used = len;
		r = SMTP_DATA_MORE;
	} else
		r = smtp_tx_data_feed(s->s_tx, v.iov_base, len, &used);
	if (used > len)
		fatalx("smtp_data_in: decoder used more than it got");
	if (evbuffer_drain(in, used) == -1)
		fatalx("smtp_data_in: evbuffer_drain");
	if (s->s_state == SMTP_S_BDAT) {
		s->s_chunk_left -= used;
		if (r == SMTP_DATA_MORE) {
			if (s->s_chunk_left == 0)
				smtp_command_chunk_end(s);
			return;
		}
	}
	if (r == SMTP_DATA_DONE && s->s_state == SMTP_S_DATA)
		smtp_command_data_end(s);
	else if (r != SMTP_DATA_MORE)
		smtp_command_bare(s, r);
}

static void
smtp_process(struct smtp_session *s)
{
	struct evbuffer	*in, *out;

	if (s->s_bev == NULL)
		return;
	in = bufferevent_get_input(s->s_bev);
	out = bufferevent_get_output(s->s_bev);
	while (!(s->s_flags & SF_CLOSING) && s->s_wait == SMTP_W_NONE &&
	    evbuffer_get_length(out) <= SMTP_MAX_PENDING_OUT &&
	    evbuffer_get_length(in) > 0) {
		if (s->s_state == SMTP_S_DATA || s->s_state == SMTP_S_BDAT)
			smtp_data_in(s, in);
		else if (smtp_line_in(s, in) == -1)
			break;
	}
}

/* ------------------------------------------------------------------ */
/* Life and end */

void
smtp_session_close(struct smtp_session *s, const char *reason)
{
	if (s->s_reason == NULL)
		s->s_reason = reason;
	s->s_flags |= SF_CLOSING;
}

/*
 * Decide what the session does next: free it once a closing session's
 * output is out, end it when the client has gone and nothing is left
 * to do, otherwise read when nothing holds the input back.
 */
static void
smtp_settle(struct smtp_session *s)
{
	size_t	out;

	if (s->s_bev == NULL)
		return;
	out = evbuffer_get_length(bufferevent_get_output(s->s_bev));
	/* STARTTLS's 220 is out: from here on only TLS. */
	if (s->s_wait == SMTP_W_TLS && s->s_ssl == NULL && out == 0 &&
	    !(s->s_flags & SF_CLOSING)) {
		smtp_tls_accept(s, -1);
		return;
	}
	if (!(s->s_flags & SF_CLOSING) && (s->s_flags & SF_EOF) &&
	    s->s_wait == SMTP_W_NONE && out <= SMTP_MAX_PENDING_OUT)
		smtp_session_close(s, "disconnect");
	if (s->s_flags & SF_CLOSING) {
		if (out == 0)
			smtp_session_free(s);
		else
			(void)bufferevent_disable(s->s_bev, EV_READ);
		return;
	}
	if (s->s_wait != SMTP_W_NONE || out > SMTP_MAX_PENDING_OUT ||
	    (s->s_flags & SF_EOF))
		(void)bufferevent_disable(s->s_bev, EV_READ);
	else
		(void)bufferevent_enable(s->s_bev, EV_READ);
	smtp_session_timeouts(s);
}

/* A peer answered and the session goes on with its input. */
void
smtp_session_resume(struct smtp_session *s)
{
	smtp_process(s);
	smtp_settle(s);
}

void
smtp_session_free(struct smtp_session *s)
{
	if (s->s_bev != NULL) {
		log_info("%016llx smtp disconnected reason=%s",
		    (unsigned long long)s->s_id, s->s_reason != NULL ?
		    s->s_reason : "disconnect");
		smtp_tls_close(s);
		bufferevent_free(s->s_bev);
		s->s_bev = NULL;
		smtp_session_detach(s);
	}
	/* A handshake owes no peer an answer. */
	if (s->s_wait == SMTP_W_TLS)
		s->s_wait = SMTP_W_NONE;
	if (s->s_wait != SMTP_W_NONE) {
		s->s_flags |= SF_ZOMBIE;
		return;
	}
	if (s->s_tx != NULL)
		smtp_tx_free(s->s_tx, 1);
	smtp_auth_free(s);
	free(s->s_helo);
	smtp_session_forget(s);
	free(s);
}

static void
smtp_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session	*s = arg;

	smtp_process(s);
	smtp_settle(s);
}

/* All output is out: a closing session ends, a blocked one reads. */
static void
smtp_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session	*s = arg;

	smtp_process(s);
	smtp_settle(s);
}

static void
smtp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session	*s = arg;

	if (s->s_wait == SMTP_W_TLS && s->s_ssl != NULL) {
		smtp_tls_event(s, what);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		s->s_flags |= SF_EOF;
		smtp_process(s);
	} else if (what & BEV_EVENT_TIMEOUT) {
		if ((what & BEV_EVENT_WRITING) || (s->s_flags & SF_CLOSING)) {
			/* It does not even read: nothing more to say. */
			if (s->s_reason == NULL)
				s->s_reason = "timeout";
			smtp_session_free(s);
			return;
		}
		s->s_reason = "timeout";
		log_debug("%016llx smtp_event_cb: idle for %lld s in state %s",
		    (unsigned long long)s->s_id, (long long)s->s_timeout,
		    smtp_state_name(s->s_state));
		smtp_reply(s, "421 4.4.2 %s Timeout", s->s_l->sl_hostname);
	} else {
		if (s->s_reason == NULL)
			s->s_reason = "io-error";
		smtp_session_free(s);
		return;
	}
	smtp_settle(s);
}
