/*
 * The AUTH command (RFC 4954) in the smtp process (_smtpd, chrooted,
 * filtered).  The exchange's lines come from untrusted clients and are
 * decoded by src/lib/smtp_auth.c; every problem is a reply.  The secret
 * goes to lka (IMSG_SMTP_AUTH), which checks it against the listener's
 * credentials table or through PAM in the parent, and answers
 * IMSG_LKA_AUTH (trusted, shape checked here).
 *
 * AUTH is offered and taken only on listeners with `auth` or
 * `auth-optional`, inside TLS, before authentication succeeded and
 * outside a transaction.  Guessing is made slow per client address
 * (IPv6: per /64): every failure is answered after a delay that doubles
 * with the failures of that address, and past SMTP_AUTH_MAX_FAILURES in
 * SMTP_AUTH_FAIL_WINDOW the address gets 454 without lka being asked.
 * An attempt counts as a failure from the moment it goes to lka and is
 * taken back when it succeeds, so that parallel sessions of one address
 * cannot run more guesses at once than the limit allows.
 *
 * The password is wiped from the command line, the exchange and the
 * message buffer as soon as it is sent; it is never logged, and the
 * command text kept for logs is masked (smtp_auth_log_mask).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "smtp_auth.h"
#include "smtp_session.h"
#include "stat.h"

/* Result codes of IMSG_LKA_AUTH (imsg_types.h). */
#define AUTH_OK		0
#define AUTH_REFUSED	1
#define AUTH_TEMPFAIL	2

/* Longest user name in the log line. */
#define AUTH_LOG_USER	64

struct smtp_auth {
	struct smtp_auth_x	 sa_x;
	char			 sa_mech[16];	/* the client's word, for 504 */
	int			 sa_asked;	/* lka has the question */
	struct event		 sa_timer;	/* the failure delay */
	int			 sa_timer_on;
};

/* Failures per client address (IPv6: per /64). */
struct smtp_authfail {
	RB_ENTRY(smtp_authfail)	 af_node;
	TAILQ_ENTRY(smtp_authfail) af_lru;	/* least recently used first */
	sa_family_t		 af_family;
	uint8_t			 af_addr[16];
	unsigned int		 af_count;	/* in the current window */
	time_t			 af_start;	/* the window's first failure */
};
RB_HEAD(smtp_authfails, smtp_authfail);
TAILQ_HEAD(smtp_authfail_lru, smtp_authfail);

static struct smtp_authfails	 af_tree = RB_INITIALIZER(&af_tree);
static struct smtp_authfail_lru	 af_lru = TAILQ_HEAD_INITIALIZER(af_lru);
static size_t			 af_count;
static struct msg_out		 smtp_auth_mo;

int	smtp_authfail_cmp(const struct smtp_authfail *,
	    const struct smtp_authfail *);
RB_PROTOTYPE(smtp_authfails, smtp_authfail, af_node, smtp_authfail_cmp);

int
smtp_authfail_cmp(const struct smtp_authfail *a, const struct smtp_authfail *b)
{
	if (a->af_family != b->af_family)
		return a->af_family < b->af_family ? -1 : 1;
	return memcmp(a->af_addr, b->af_addr, sizeof(a->af_addr));
}

RB_GENERATE(smtp_authfails, smtp_authfail, af_node, smtp_authfail_cmp);

/* ------------------------------------------------------------------ */
/* Failures per address */

static void
af_remove(struct smtp_authfail *af)
{
	RB_REMOVE(smtp_authfails, &af_tree, af);
	TAILQ_REMOVE(&af_lru, af, af_lru);
	af_count--;
	free(af);
}

/* The entry of ss, after dropping what expired; NULL if none (create:
 * a new one, evicting the least recently used when the table is full). */
static struct smtp_authfail *
af_get(const struct sockaddr_storage *ss, int create)
{
	struct smtp_authfail	 key, *af;
	time_t			 now = time(NULL);

	while ((af = TAILQ_FIRST(&af_lru)) != NULL &&
	    now - af->af_start >= SMTP_AUTH_FAIL_WINDOW)
		af_remove(af);
	memset(&key, 0, sizeof(key));
	key.af_family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(key.af_addr, &((const struct sockaddr_in *)ss)->sin_addr,
		    4);
	else if (ss->ss_family == AF_INET6)
		memcpy(key.af_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 8);
	if ((af = RB_FIND(smtp_authfails, &af_tree, &key)) != NULL) {
		if (now - af->af_start >= SMTP_AUTH_FAIL_WINDOW) {
			af->af_count = 0;
			af->af_start = now;
		}
		TAILQ_REMOVE(&af_lru, af, af_lru);
		TAILQ_INSERT_TAIL(&af_lru, af, af_lru);
		return af;
	}
	if (!create)
		return NULL;
	if (af_count >= SMTP_AUTH_FAIL_ADDRS)
		af_remove(TAILQ_FIRST(&af_lru));
	if ((af = malloc(sizeof(*af))) == NULL)
		fatal("af_get");
	*af = key;
	af->af_start = now;
	RB_INSERT(smtp_authfails, &af_tree, af);
	TAILQ_INSERT_TAIL(&af_lru, af, af_lru);
	af_count++;
	return af;
}

static int
af_blocked(const struct sockaddr_storage *ss)
{
	struct smtp_authfail	*af;

	return (af = af_get(ss, 0)) != NULL &&
	    af->af_count >= SMTP_AUTH_MAX_FAILURES;
}

/* Seconds before the 535 of a failure that made the count n. */
static int
af_delay(unsigned int n)
{
	int	d = SMTP_AUTH_DELAY_FIRST;

	while (n-- > 1 && d < SMTP_AUTH_DELAY_MAX)
		d *= 2;
	return d < SMTP_AUTH_DELAY_MAX ? d : SMTP_AUTH_DELAY_MAX;
}

/* ------------------------------------------------------------------ */
/* The exchange */

/* The user as the log shows it: printable, no blanks, cut. */
static void
smtp_auth_log(struct smtp_session *s, const char *user, const char *result)
{
	char	buf[AUTH_LOG_USER + 1];
	size_t	i;

	for (i = 0; i < AUTH_LOG_USER && user[i] != '\0'; i++)
		buf[i] = (user[i] > 0x20 && user[i] < 0x7f &&
		    user[i] != '"') ? user[i] : '?';
	buf[i] = '\0';
	log_info("%016llx smtp authentication user=%s result=%s",
	    (unsigned long long)s->s_id, buf, result);
}

void
smtp_auth_free(struct smtp_session *s)
{
	struct smtp_auth	*sa = s->s_auth;

	if (sa == NULL)
		return;
	if (sa->sa_timer_on)
		evtimer_del(&sa->sa_timer);
	smtp_auth_x_clear(&sa->sa_x);
	free(sa);
	s->s_auth = NULL;
}

int
smtp_auth_offered(const struct smtp_session *s)
{
	return s->s_l != NULL && (s->s_l->sl_flags & L_AUTH) &&
	    (s->s_flags & SF_TLS) && !(s->s_flags & SF_AUTHENTICATED);
}

/* The failure delay is over: say so and read again. */
static void
smtp_auth_delay_cb(int fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;

	s->s_auth->sa_timer_on = 0;
	s->s_wait = SMTP_W_NONE;
	smtp_auth_free(s);
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	smtp_reply(s, "535 5.7.8 Authentication credentials invalid");
	smtp_session_resume(s);
}

/* Wrong credentials: counted (if not yet), logged, answered late. */
static void
smtp_auth_failed(struct smtp_session *s, int counted)
{
	struct smtp_auth	*sa = s->s_auth;
	struct smtp_authfail	*af;
	struct timeval		 tv;

	af = af_get(&s->s_ss, 1);
	if (!counted)
		af->af_count++;
	smtp_auth_log(s, sa->sa_x.ax_user, "permfail");
	stat_increment("smtp.auth.failure", 1);
	smtp_auth_x_clear(&sa->sa_x);
	if (s->s_flags & SF_ZOMBIE) {
		s->s_wait = SMTP_W_NONE;
		smtp_auth_free(s);
		smtp_session_free(s);
		return;
	}
	s->s_wait = SMTP_W_AUTH;
	tv.tv_sec = af_delay(af->af_count);
	tv.tv_usec = 0;
	evtimer_set(&sa->sa_timer, smtp_auth_delay_cb, s);
	event_base_set(proc_event_base(), &sa->sa_timer);
	evtimer_add(&sa->sa_timer, &tv);
	sa->sa_timer_on = 1;
}

/* Complete credentials: lka checks them. */
static void
smtp_auth_ask(struct smtp_session *s)
{
	struct smtp_auth	*sa = s->s_auth;

	af_get(&s->s_ss, 1)->af_count++;
	m_init(&smtp_auth_mo);
	m_add_u32(&smtp_auth_mo, s->s_l->sl_index);
	m_add_string(&smtp_auth_mo, sa->sa_x.ax_user);
	m_add_string(&smtp_auth_mo, sa->sa_x.ax_passwd);
	explicit_bzero(sa->sa_x.ax_passwd, sizeof(sa->sa_x.ax_passwd));
	proc_send(PROC_LKA, IMSG_SMTP_AUTH, s->s_reqid, -1, &smtp_auth_mo);
	explicit_bzero(smtp_auth_mo.mo_buf, smtp_auth_mo.mo_len);
	sa->sa_asked = 1;
	s->s_wait = SMTP_W_AUTH;
}

static void
smtp_auth_step(struct smtp_session *s, enum smtp_auth_step step)
{
	struct smtp_auth	*sa = s->s_auth;

	switch (step) {
	case SMTP_AUTH_PROMPT:
		smtp_reply(s, "334 %s", sa->sa_x.ax_prompt);
		return;
	case SMTP_AUTH_DONE:
		smtp_auth_ask(s);
		return;
	case SMTP_AUTH_DENIED:
		smtp_auth_failed(s, 0);
		return;
	case SMTP_AUTH_FAIL:
		if (sa->sa_x.ax_code == 504)
			smtp_reply(s, "504 5.7.4 Security features not "
			    "supported: AUTH method \"%s\" not supported",
			    sa->sa_mech);
		else
			smtp_reply(s, "%d %s", sa->sa_x.ax_code,
			    sa->sa_x.ax_text);
		smtp_auth_free(s);
		return;
	}
}

/* AUTH's checks, in the order a client needs to hear them. */
int
smtp_auth_check(struct smtp_session *s, char *arg)
{
	if (s->s_state != SMTP_S_HELO) {
		smtp_reply(s, "503 5.5.1 Invalid command: AUTH not allowed "
		    "during a transaction");
		return -1;
	}
	if (s->s_flags & SF_AUTHENTICATED) {
		smtp_reply(s, "503 5.5.1 Invalid command: Already "
		    "authenticated");
		return -1;
	}
	/* Like STARTTLS on a listener without tls. */
	if (!(s->s_l->sl_flags & L_AUTH)) {
		smtp_reply(s, "502 5.5.1 Command not implemented");
		return -1;
	}
	if (!(s->s_flags & SF_TLS)) {
		smtp_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return -1;
	}
	if (af_blocked(&s->s_ss)) {
		stat_increment("smtp.auth.blocked", 1);
		smtp_reply(s, "454 4.7.0 Too many authentication failures");
		return -1;
	}
	return 0;
}

void
smtp_auth_command(struct smtp_session *s, char *arg)
{
	struct smtp_auth	*sa;
	size_t			 i;

	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		fatal("smtp_auth_command");
	s->s_auth = sa;
	/* The mechanism as the client wrote it, for the 504. */
	for (i = 0; arg != NULL && i < sizeof(sa->sa_mech) - 1 &&
	    arg[i] != '\0' && arg[i] != ' '; i++)
		sa->sa_mech[i] = (arg[i] > 0x20 && arg[i] < 0x7f &&
		    arg[i] != '"') ? arg[i] : '?';
	smtp_auth_step(s, smtp_auth_x_start(&sa->sa_x, arg));
	if (arg != NULL)
		explicit_bzero(arg, strlen(arg));
}

/* A client line while the exchange waits for one. */
void
smtp_auth_input(struct smtp_session *s, char *line, size_t len)
{
	smtp_auth_step(s, smtp_auth_x_next(&s->s_auth->sa_x, line, len));
	explicit_bzero(line, len);
}

/* A line over the limit in the exchange: it ends (RFC 4954 4). */
void
smtp_auth_too_long(struct smtp_session *s)
{
	smtp_reply(s, "500 5.5.6 Authentication Exchange line is too long");
	smtp_auth_free(s);
}

/* IMSG_LKA_AUTH: u32 result. */
void
smtp_auth_answer(struct smtp_session *s, struct ipc_msg *msg)
{
	struct smtp_auth	*sa = s->s_auth;
	struct smtp_authfail	*af;
	struct msg_in		 mi;
	uint32_t		 result;

	m_open(&mi, msg);
	m_get_u32(&mi, &result);
	if (m_end(&mi) == -1 || msg->fd != -1 || result > AUTH_TEMPFAIL)
		proc_bad_msg(PROC_LKA, msg, "bad payload");
	if (sa == NULL || !sa->sa_asked || sa->sa_timer_on)
		proc_bad_msg(PROC_LKA, msg, "no authentication pending");
	sa->sa_asked = 0;
	if (result == AUTH_REFUSED) {
		smtp_auth_failed(s, 1);
		return;
	}
	/* Not a failure: the attempt no longer counts. */
	if ((af = af_get(&s->s_ss, 0)) != NULL && af->af_count > 0)
		af->af_count--;
	s->s_wait = SMTP_W_NONE;
	if (result == AUTH_OK) {
		smtp_auth_log(s, sa->sa_x.ax_user, "ok");
		stat_increment("smtp.auth.success", 1);
		s->s_flags |= SF_AUTHENTICATED;
		(void)strlcpy(s->s_authuser, sa->sa_x.ax_user,
		    sizeof(s->s_authuser));
	} else {
		smtp_auth_log(s, sa->sa_x.ax_user, "tempfail");
		stat_increment("smtp.auth.tempfail", 1);
	}
	smtp_auth_free(s);
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	if (result == AUTH_OK)
		smtp_reply(s, "235 2.0.0 Authentication succeeded");
	else
		smtp_reply(s, "454 4.7.0 Temporary authentication failure");
	smtp_session_resume(s);
}

/*
 * The command text kept for logs (s_cmd) must not carry credentials:
 * an exchange line is shown as what it answers, and AUTH's initial
 * response is cut off after the mechanism.
 */
void
smtp_auth_log_mask(struct smtp_session *s)
{
	char	*p;

	if (s->s_auth != NULL && !s->s_auth->sa_asked &&
	    !s->s_auth->sa_timer_on) {
		(void)snprintf(s->s_cmd, sizeof(s->s_cmd), "AUTH %s (response)",
		    smtp_auth_mech_name(s->s_auth->sa_x.ax_mech));
		return;
	}
	if (strncasecmp(s->s_cmd, "AUTH ", 5) != 0)
		return;
	for (p = s->s_cmd + 5; *p == ' '; p++)
		;
	if ((p = strchr(p, ' ')) != NULL)
		(void)strlcpy(p, " ****", sizeof(s->s_cmd) -
		    (size_t)(p - s->s_cmd));
}
