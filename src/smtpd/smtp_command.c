/*
 * SMTP commands: the verb table (where each verb is allowed, how its
 * argument is checked, what it does) and the answers of lka and the
 * queue that complete MAIL, RCPT and the end of the message.  Runs in
 * the smtp process (_smtpd, chrooted, filtered).  The command lines
 * come from untrusted clients: every problem is a reply, never an exit.
 * Peers' answers (decoded and checked in smtp.c) are trusted.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "mailaddr.h"
#include "proc.h"
#include "smtp_parse.h"
#include "smtp_session.h"
#include "smtp_tx.h"
#include "stat.h"

#define ST(x)		(1U << (x))
#define ST_CMD		(ST(SMTP_S_CONNECTED) | ST(SMTP_S_HELO) | \
			 ST(SMTP_S_MAIL) | ST(SMTP_S_RCPT) | ST(SMTP_S_CHUNKS))

struct smtp_cmd {
	unsigned int	 c_states;	/* where the verb is allowed */
	/* Argument checks; -1 when they replied.  NULL: none. */
	int		(*c_check)(struct smtp_session *, char *);
	void		(*c_proceed)(struct smtp_session *, char *);
};

static int	smtp_check_helo(struct smtp_session *, char *);
static int	smtp_check_mail(struct smtp_session *, char *);
static int	smtp_check_rcpt(struct smtp_session *, char *);
static int	smtp_check_noarg(struct smtp_session *, char *);
static void	smtp_do_helo(struct smtp_session *, char *);
static void	smtp_do_ehlo(struct smtp_session *, char *);
static void	smtp_do_mail(struct smtp_session *, char *);
static void	smtp_do_rcpt(struct smtp_session *, char *);
static void	smtp_do_data(struct smtp_session *, char *);
static void	smtp_do_bdat(struct smtp_session *, char *);
static void	smtp_do_rset(struct smtp_session *, char *);
static void	smtp_do_noop(struct smtp_session *, char *);
static void	smtp_do_quit(struct smtp_session *, char *);
static void	smtp_do_help(struct smtp_session *, char *);
static void	smtp_do_vrfy(struct smtp_session *, char *);
static void	smtp_do_expn(struct smtp_session *, char *);
static const char *smtp_misplaced(const struct smtp_session *,
		    enum smtp_verb);

/* BDAT checks its state itself: a refused chunk must still be read. */
static const struct smtp_cmd smtp_cmds[SMTP_CMD_COUNT] = {
	[SMTP_CMD_HELO] = { ST(SMTP_S_CONNECTED), smtp_check_helo,
	    smtp_do_helo },
	[SMTP_CMD_EHLO] = { ST(SMTP_S_CONNECTED), smtp_check_helo,
	    smtp_do_ehlo },
	[SMTP_CMD_MAIL] = { ST(SMTP_S_HELO), smtp_check_mail, smtp_do_mail },
	[SMTP_CMD_RCPT] = { ST(SMTP_S_MAIL) | ST(SMTP_S_RCPT),
	    smtp_check_rcpt, smtp_do_rcpt },
	[SMTP_CMD_DATA] = { ST(SMTP_S_RCPT), smtp_check_noarg,
	    smtp_do_data },
	[SMTP_CMD_BDAT] = { ST_CMD, NULL, smtp_do_bdat },
	[SMTP_CMD_RSET] = { ST_CMD, smtp_check_noarg, smtp_do_rset },
	[SMTP_CMD_NOOP] = { ST_CMD, NULL, smtp_do_noop },
	[SMTP_CMD_QUIT] = { ST_CMD, smtp_check_noarg, smtp_do_quit },
	[SMTP_CMD_HELP] = { ST_CMD, NULL, smtp_do_help },
	[SMTP_CMD_VRFY] = { ST_CMD, NULL, smtp_do_vrfy },
	[SMTP_CMD_EXPN] = { ST_CMD, NULL, smtp_do_expn },
	[SMTP_CMD_STARTTLS] = { ST_CMD, smtp_tls_check, smtp_tls_starttls },
	[SMTP_CMD_AUTH] = { ST_CMD, smtp_auth_check, smtp_auth_command },
};

/* Filled by the checks of MAIL and RCPT, used by their proceed. */
static struct smtp_mail_args	smtp_mail_args;
static struct smtp_rcpt_args	smtp_rcpt_args;

static const char *
smtp_name(const struct smtp_session *s)
{
	return s->s_l != NULL ? s->s_l->sl_hostname : "localhost";
}

/* Extensions this session offers (none after HELO). */
static unsigned int
smtp_ext(const struct smtp_session *s)
{
	unsigned int	ext;

	if (!(s->s_flags & SF_EHLO))
		return 0;
	ext = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_CHUNKING;
	if (s->s_l != NULL && !(s->s_l->sl_flags & L_NO_DSN))
		ext |= SMTP_EXT_DSN;
	return ext;
}

/* ------------------------------------------------------------------ */
/* Commands */

static int
smtp_check_noarg(struct smtp_session *s, char *arg)
{
	if (arg != NULL && *arg != '\0') {
		smtp_reply(s, "501 5.5.4 Syntax error: no argument allowed");
		return -1;
	}
	return 0;
}

static int
smtp_check_helo(struct smtp_session *s, char *arg)
{
	struct smtp_reply_err	err;

	if (arg == NULL || *arg == '\0') {
		smtp_reply(s, "501 5.5.4 Invalid command: HELO/EHLO requires "
		    "domain name");
		return -1;
	}
	if (smtp_parse_helo(arg, &err) == -1) {
		smtp_reply(s, "%d %s", err.code, err.text);
		return -1;
	}
	return 0;
}

static void
smtp_set_helo(struct smtp_session *s, const char *arg)
{
	free(s->s_helo);
	if ((s->s_helo = strndup(arg, SMTP_DOMAIN_MAX)) == NULL)
		fatal("smtp_set_helo");
	s->s_state = SMTP_S_HELO;
}

static void
smtp_do_helo(struct smtp_session *s, char *arg)
{
	smtp_set_helo(s, arg);
	smtp_reply(s, "250 %s Hello %s [%s], pleased to meet you",
	    smtp_name(s), s->s_helo, s->s_addr);
}

static void
smtp_do_ehlo(struct smtp_session *s, char *arg)
{
	s->s_flags |= SF_EHLO;
	smtp_set_helo(s, arg);
	smtp_reply(s, "250-%s Hello %s [%s], pleased to meet you",
	    smtp_name(s), s->s_helo, s->s_addr);
	smtp_reply(s, "250-8BITMIME");
	smtp_reply(s, "250-ENHANCEDSTATUSCODES");
	smtp_reply(s, "250-SIZE %zu", proc_config()->sc_max_message_size);
	if (smtp_ext(s) & SMTP_EXT_DSN)
		smtp_reply(s, "250-DSN");
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250-SMTPUTF8");
	smtp_reply(s, "250-CHUNKING");
	if (smtp_tls_offered(s))
		smtp_reply(s, "250-STARTTLS");
	if (smtp_auth_offered(s))
		smtp_reply(s, "250-AUTH PLAIN LOGIN");
	smtp_reply(s, "250 HELP");
}

static int
smtp_check_mail(struct smtp_session *s, char *arg)
{
	const struct smtpd_config	*conf = proc_config();
	struct smtp_reply_err		 err;

	/* tls-require verify and smtps verify: the handshake already
	 * refused a client without a valid certificate. */
	if (((s->s_l->sl_flags & L_TLS_REQUIRE) && !(s->s_flags & SF_TLS)) ||
	    ((s->s_l->sl_flags & L_TLS_VERIFY) &&
	    !(s->s_flags & SF_TLS_VERIFIED))) {
		smtp_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return -1;
	}
	if ((s->s_l->sl_flags & L_AUTH_REQUIRE) &&
	    !(s->s_flags & SF_AUTHENTICATED)) {
		smtp_reply(s, "530 5.7.0 Must issue an AUTH command first");
		return -1;
	}
	if (s->s_nmails >= conf->sc_max_mails) {
		smtp_reply(s, "452 4.5.3 Too many messages sent");
		return -1;
	}
	if (smtp_parse_mail(arg != NULL ? arg : "", smtp_ext(s),
	    conf->sc_max_message_size, &smtp_mail_args, &err) == -1) {
		smtp_reply(s, "%d %s", err.code, err.text);
		return -1;
	}
	return 0;
}

static void
smtp_mail_create(struct smtp_session *s)
{
	s->s_wait = SMTP_W_CREATE;
	proc_compose(PROC_QUEUE, IMSG_SMTP_MESSAGE_CREATE, s->s_reqid, -1,
	    NULL, 0);
}

/*
 * `senders <table>`: lka says whether the authenticated user owns the
 * sender address before MAIL is answered.  An unauthenticated session
 * is not asked about: on such a listener `auth` (required) already
 * refused its MAIL, and with auth-optional it may send as anyone, as
 * in OpenSMTPD.
 */
static void
smtp_do_mail(struct smtp_session *s, char *arg)
{
	static struct msg_out	mo;	/* too big for the stack */
	char			from[SMTP_MAILBOX_MAX + 1];

	s->s_tx = smtp_tx_new(0, -1, &smtp_mail_args);
	if (!s->s_l->sl_senders || !(s->s_flags & SF_AUTHENTICATED)) {
		smtp_mail_create(s);
		return;
	}
	if (mailaddr_format(&smtp_mail_args.ma_from, from, sizeof(from)) == -1)
		fatalx("smtp_do_mail: address does not fit");
	m_init(&mo);
	m_add_u32(&mo, s->s_l->sl_index);
	m_add_string(&mo, s->s_authuser);
	m_add_string(&mo, from);
	proc_send(PROC_LKA, IMSG_SMTP_SENDER_CHECK, s->s_reqid, -1, &mo);
	s->s_wait = SMTP_W_SENDER;
}

/* The user's name in a reply, if it can be shown as it is. */
static const char *
smtp_authuser_text(const struct smtp_session *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s->s_authuser; *p != '\0'; p++)
		if (*p < 0x21 || *p == 0x7f)
			return "(unprintable)";
	return s->s_authuser;
}

/*
 * 553 5.7.1, where OpenSMTPD 6.8 says "530 Sender rejected": 530 means
 * "authentication required" (RFC 4954), which sends clients back to
 * ask for a password that was right; 553 is RFC 5321's "mailbox name
 * not allowed" and 5.7.1 (RFC 3463) says the sender is not authorized,
 * with the words Postfix uses for the same check.
 */
void
smtp_session_sender_answer(struct smtp_session *s, uint32_t result)
{
	s->s_wait = SMTP_W_NONE;
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	if (result == LKA_SENDER_OK) {
		smtp_mail_create(s);
		return;
	}
	smtp_tx_free(s->s_tx, 0);
	s->s_tx = NULL;
	if (result == LKA_SENDER_REFUSED)
		smtp_reply(s, "553 5.7.1 Sender address rejected: not owned "
		    "by user %s", smtp_authuser_text(s));
	else
		smtp_reply(s, "451 4.3.0 Temporary failure");
	smtp_session_resume(s);
}

void
smtp_session_created(struct smtp_session *s, int ok, uint32_t msgid, int fd)
{
	struct smtp_tx	*tx = s->s_tx;

	s->s_wait = SMTP_W_NONE;
	if (ok) {
		tx->tx_msgid = msgid;
		tx->tx_fd = fd;
	}
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	if (!ok) {
		smtp_tx_free(tx, 0);
		s->s_tx = NULL;
		smtp_reply(s, "451 4.3.0 Temporary failure");
	} else {
		s->s_nmails++;
		s->s_state = SMTP_S_MAIL;
		smtp_reply(s, "250 2.0.0 Ok");
	}
	smtp_session_resume(s);
}

static int
smtp_check_rcpt(struct smtp_session *s, char *arg)
{
	struct smtp_tx		*tx = s->s_tx;
	struct smtp_reply_err	 err;

	if (smtp_parse_rcpt(arg != NULL ? arg : "", smtp_ext(s),
	    tx->tx_mail.ma_smtputf8, &smtp_rcpt_args, &err) == -1) {
		smtp_reply(s, "%d %s", err.code, err.text);
		return -1;
	}
	/* A duplicate is no new recipient: it passes even at the limit. */
	if (tx->tx_nrcpt >= proc_config()->sc_max_rcpt &&
	    !smtp_tx_rcpt_seen(tx, &smtp_rcpt_args.ra_to)) {
		smtp_reply(s, "452 4.5.3 Too many recipients");
		return -1;
	}
	return 0;
}

static void
smtp_do_rcpt(struct smtp_session *s, char *arg)
{
	struct smtp_tx	*tx = s->s_tx;

	/* The same recipient again: lka already said yes once. */
	if (smtp_tx_rcpt_seen(tx, &smtp_rcpt_args.ra_to)) {
		smtp_reply(s, "250 2.1.5 Destination address valid: "
		    "Recipient ok");
		return;
	}
	tx->tx_pending = smtp_rcpt_args;
	if (smtp_tx_rcpt_ask(s) == -1) {
		smtp_reply(s, "451 4.3.0 Temporary failure");
		return;
	}
	s->s_wait = SMTP_W_RCPT;
}

void
smtp_session_rcpt_answer(struct smtp_session *s, uint32_t code,
    const char *text)
{
	s->s_wait = SMTP_W_NONE;
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	if (code == 250) {
		smtp_tx_rcpt_accepted(s);
		s->s_state = SMTP_S_RCPT;
		smtp_reply(s, "250 2.1.5 Destination address valid: "
		    "Recipient ok");
	} else
		smtp_reply(s, "%u %s", code, text != NULL ? text :
		    (code < 500 ? "4.0.0 Temporary failure" :
		    "5.0.0 Recipient refused"));
	smtp_session_resume(s);
}

static void
smtp_do_data(struct smtp_session *s, char *arg)
{
	smtp_reply(s, "354 Enter mail, end with \".\" on a line by itself");
	s->s_state = SMTP_S_DATA;
	smtp_tx_data_begin(s, SMTP_DATA_MODE_DATA);
	smtp_session_timeouts(s);
}

/* The message is complete: commit it, or answer why not. */
void
smtp_command_data_end(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->s_tx;
	const char	*text;
	int		 code;

	s->s_state = SMTP_S_HELO;
	if (smtp_tx_data_end(tx, &code, &text) != 0) {
		smtp_tx_free(tx, 1);
		s->s_tx = NULL;
		smtp_reply(s, "%d %s", code, text);
		smtp_session_timeouts(s);
		return;
	}
	smtp_tx_commit(tx, s->s_reqid);
	s->s_wait = SMTP_W_COMMIT;
	smtp_session_timeouts(s);
}

void
smtp_session_committed(struct smtp_session *s, int ok)
{
	struct smtp_tx	*tx = s->s_tx;
	uint32_t	 msgid = tx->tx_msgid;

	s->s_wait = SMTP_W_NONE;
	if (ok) {
		log_info("%016llx smtp message msgid=%08x size=%llu "
		    "nrcpt=%zu proto=%s", (unsigned long long)s->s_id,
		    tx->tx_msgid, (unsigned long long)tx->tx_odata,
		    tx->tx_nrcpt, smtp_tx_proto(s, tx));
		stat_increment("smtp.messages", 1);
	}
	/* Committed or refused by the queue: nothing to roll back. */
	smtp_tx_free(tx, 0);
	s->s_tx = NULL;
	if (s->s_flags & SF_ZOMBIE) {
		smtp_session_free(s);
		return;
	}
	if (ok)
		smtp_reply(s, "250 2.0.0 %08x Message accepted for delivery",
		    msgid);
	else
		smtp_reply(s, "451 4.3.0 Temporary failure");
	smtp_session_resume(s);
}

/*
 * BDAT <size> [LAST] (RFC 3030).  A chunk the session cannot take is
 * still read and thrown away, so that its bytes are never taken for
 * commands.
 */
static void
smtp_do_bdat(struct smtp_session *s, char *arg)
{
	struct smtp_reply_err	err;
	uint64_t		size;
	int			last;

	if (smtp_parse_bdat(arg != NULL ? arg : "", &size, &last,
	    &err) == -1) {
		smtp_reply(s, "%d %s", err.code, err.text);
		return;
	}
	/*
	 * A chunk over twice the size limit cannot fit even if half its
	 * bytes were CRs of CRLFs: skipping it would only let the client
	 * make us read for ever, so the session ends here.
	 */
	if (size / 2 > proc_config()->sc_max_message_size) {
		smtp_reply(s, "552 5.3.4 Message too big for system");
		smtp_session_close(s, "too-big");
		return;
	}
	s->s_chunk_left = size;
	s->s_chunk_size = size;
	s->s_chunk_last = last;
	s->s_chunk_ret = s->s_state;
	if (!(smtp_ext(s) & SMTP_EXT_CHUNKING) ||
	    (s->s_state != SMTP_S_RCPT && s->s_state != SMTP_S_CHUNKS)) {
		s->s_flags |= SF_CHUNK_BAD;
		if (!(smtp_ext(s) & SMTP_EXT_CHUNKING))
			smtp_reply(s, "503 5.5.1 Invalid command: CHUNKING "
			    "is not offered after HELO");
		else
			smtp_reply(s, "%s", smtp_misplaced(s,
			    SMTP_CMD_BDAT));
	} else if (!s->s_tx->tx_data_on)
		smtp_tx_data_begin(s, SMTP_DATA_MODE_BDAT);
	s->s_state = SMTP_S_BDAT;
	smtp_session_timeouts(s);
	if (size == 0)
		smtp_command_chunk_end(s);
}

/* The bytes of a chunk are in (or thrown away). */
void
smtp_command_chunk_end(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->s_tx;
	int		 r;

	if (s->s_flags & SF_CHUNK_BAD) {
		s->s_flags &= ~SF_CHUNK_BAD;
		s->s_state = s->s_chunk_ret;
		smtp_session_timeouts(s);
		return;
	}
	if (s->s_chunk_last) {
		if ((r = smtp_tx_data_finish(tx)) != SMTP_DATA_DONE) {
			smtp_command_bare(s, r);
			return;
		}
		smtp_command_data_end(s);
		return;
	}
	/* Over the size limit already: no point reading more chunks. */
	if (smtp_data_error(&tx->tx_data) != SMTP_DATA_OK) {
		smtp_command_data_end(s);
		return;
	}
	s->s_state = SMTP_S_CHUNKS;
	smtp_session_timeouts(s);
	smtp_reply(s, "250 2.0.0 %llu octets received",
	    (unsigned long long)s->s_chunk_size);
}

/* The data decoder stopped on a bare LF or CR: nothing after it can be
 * trusted to be where the client thinks, so the session ends. */
void
smtp_command_bare(struct smtp_session *s, int r)
{
	s->s_state = SMTP_S_QUIT;
	if (r == SMTP_DATA_FATAL_BARE_CR)
		smtp_reply(s, "521 5.5.2 Bare CR received; lines must end "
		    "with CRLF");
	else if (r == SMTP_DATA_FATAL_BARE_LF)
		smtp_reply(s, "521 5.5.2 Bare LF received; lines must end "
		    "with CRLF");
	else
		smtp_reply(s, "421 4.3.0 Temporary failure");
	smtp_session_close(s, r == SMTP_DATA_FATAL_BARE_CR ? "bare-cr" :
	    r == SMTP_DATA_FATAL_BARE_LF ? "bare-lf" : "error");
}

static void
smtp_do_rset(struct smtp_session *s, char *arg)
{
	if (s->s_tx != NULL) {
		smtp_tx_free(s->s_tx, 1);
		s->s_tx = NULL;
	}
	s->s_state = s->s_helo != NULL ? SMTP_S_HELO : SMTP_S_CONNECTED;
	smtp_reply(s, "250 2.0.0 Reset state");
}

static void
smtp_do_noop(struct smtp_session *s, char *arg)
{
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
smtp_do_quit(struct smtp_session *s, char *arg)
{
	s->s_state = SMTP_S_QUIT;
	smtp_reply(s, "221 2.0.0 Bye");
	smtp_session_close(s, "quit");
}

static void
smtp_do_help(struct smtp_session *s, char *arg)
{
	smtp_reply(s, "214-2.0.0 This is Postern");
	smtp_reply(s, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
	    "RSET NOOP QUIT HELP VRFY");
	smtp_reply(s, "214-2.0.0 To report bugs in the implementation, "
	    "contact the postmaster of this host");
	smtp_reply(s, "214 2.0.0 End of HELP info");
}

/* Never says whether a user exists (no lookup at all). */
static void
smtp_do_vrfy(struct smtp_session *s, char *arg)
{
	smtp_reply(s, "252 2.5.2 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

static void
smtp_do_expn(struct smtp_session *s, char *arg)
{
	smtp_reply(s, "502 5.5.1 EXPN not supported");
}

/* The 503 for a verb used in the wrong state. */
static const char *
smtp_misplaced(const struct smtp_session *s, enum smtp_verb verb)
{
	if (verb == SMTP_CMD_HELO || verb == SMTP_CMD_EHLO)
		return "503 5.5.1 Invalid command: Already identified";
	if (s->s_state == SMTP_S_CONNECTED)
		return "503 5.5.1 Invalid command: Send HELO or EHLO first";
	if (s->s_state == SMTP_S_CHUNKS)
		return "503 5.5.1 Invalid command: BDAT transaction in "
		    "progress";
	switch (verb) {
	case SMTP_CMD_MAIL:
		return "503 5.5.1 Invalid command: Transaction already "
		    "started";
	case SMTP_CMD_RCPT:
		return "503 5.5.1 Invalid command: No sender specified";
	case SMTP_CMD_DATA:
	case SMTP_CMD_BDAT:
		if (s->s_state == SMTP_S_MAIL)
			return "503 5.5.1 Invalid command: No recipient "
			    "specified";
		return "503 5.5.1 Invalid command: No sender specified";
	default:
		return "503 5.5.1 Invalid command: Command not allowed at "
		    "this point.";
	}
}

/* One command line (CRLF removed, NUL-terminated, writable). */
void
smtp_command(struct smtp_session *s, char *line, size_t len)
{
	const struct smtp_cmd	*cmd;
	struct smtp_reply_err	 err;
	enum smtp_verb		 verb;
	char			*arg = NULL;

	/* Inside an AUTH exchange a line is a response, not a command. */
	if (s->s_auth != NULL) {
		smtp_auth_input(s, line, len);
		return;
	}
	if (smtp_cmd_split(line, len, &verb, &arg, &err) == -1) {
		smtp_reply(s, "%d %s", err.code, err.text);
		return;
	}
	if ((unsigned int)verb >= SMTP_CMD_COUNT ||
	    smtp_cmds[verb].c_proceed == NULL) {
		smtp_reply(s, "500 5.5.1 Invalid command: Command "
		    "unrecognized");
		return;
	}
	cmd = &smtp_cmds[verb];
	if (!(cmd->c_states & ST(s->s_state))) {
		smtp_reply(s, "%s", smtp_misplaced(s, verb));
		return;
	}
	if (cmd->c_check != NULL && cmd->c_check(s, arg) == -1)
		return;
	cmd->c_proceed(s, arg);
}
