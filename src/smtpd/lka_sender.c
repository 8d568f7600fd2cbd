/*
 * lka's side of `listen ... senders <table>`: may the authenticated
 * user use this MAIL FROM?  Runs in lka (_smtpd, no chroot, under its
 * system call filter).  Peer: smtp asks IMSG_SMTP_SENDER_CHECK
 * (listener index, user, address) and hears IMSG_LKA_SENDER_CHECK.
 * The user was authenticated by lka itself (lka_auth.c) and the
 * address parsed and validated by smtp, but both came from a client:
 * they are used only as a table key and matched against table entries.
 * The message's shape is trusted (checked, fatal when malformed).
 *
 * The table is of kind mailaddrmap (table.5): the user's entry lists
 * the addresses the user may send as, with the entry syntax of mailaddr
 * tables (user, @domain, user@domain, user@*.domain, "@" for any),
 * matched by table.c like every other lookup kind.  A user without an
 * entry may send as nobody.  The null sender <> claims no address and
 * could slip a forged From: past masquerade, so it is allowed only to
 * a user whose entry holds "@" (who may send as anyone anyway).
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "mailaddr.h"
#include "proc.h"
#include "stat.h"
#include "table.h"

static struct msg_out	lka_sender_mo;

int
lka_sender_allowed(const struct lka_ctx *ctx, const struct listener *l,
    const char *user, const struct mailaddr *from)
{
	struct table_data	*td;

	if (l->l_senders == NULL)
		return LKA_SENDER_OK;
	if ((td = table_set_get(ctx->lc_tables, l->l_senders)) == NULL)
		return LKA_SENDER_TEMPFAIL;
	switch (table_match_mailaddrmap(td, user, from,
	    ctx->lc_conf->sc_subaddr_delim)) {
	case 1:
		return LKA_SENDER_OK;
	case 0:
		return LKA_SENDER_REFUSED;
	default:
		log_warnx("lka_sender_allowed: senders table %s cannot be "
		    "read", l->l_senders->t_name != NULL ?
		    l->l_senders->t_name : "(inline)");
		return LKA_SENDER_TEMPFAIL;
	}
}

/* IMSG_SMTP_SENDER_CHECK: u32 listener index, string user, string
 * address ("" for <>). */
void
lka_sender_request(const struct lka_ctx *ctx, struct ipc_msg *msg)
{
	const struct listener	*l;
	struct mailaddr		 from;
	struct msg_in		 mi;
	const char		*user, *addr, *errstr;
	uint32_t		 idx, result;

	m_open(&mi, msg);
	m_get_u32(&mi, &idx);
	m_get_string(&mi, &user);
	m_get_string(&mi, &addr);
	if (m_end(&mi) == -1 || msg->fd != -1 || *user == '\0' ||
	    strlen(user) > SMTP_AUTHUSER_MAX)
		proc_bad_msg(PROC_SMTP, msg, "bad payload");
	memset(&from, 0, sizeof(from));
	if (*addr != '\0' && mailaddr_parse(&from, addr, strlen(addr),
	    MAILADDR_UTF8, &errstr) == -1)
		proc_bad_msg(PROC_SMTP, msg, "bad sender address");

	/* As for AUTH: after a reload the index may name another one. */
	if (ctx->lc_conf == NULL ||
	    (l = config_listener_at(ctx->lc_conf, idx)) == NULL) {
		log_warnx("lka_sender_request: no listener %u (configuration "
		    "reloaded?)", idx);
		result = LKA_SENDER_TEMPFAIL;
	} else
		result = lka_sender_allowed(ctx, l, user, &from);
	if (result == LKA_SENDER_REFUSED)
		log_info("lka_sender_request: user %s may not send as <%s>",
		    user, addr);
	stat_increment(result == LKA_SENDER_OK ? "lka.sender.allowed" :
	    result == LKA_SENDER_REFUSED ? "lka.sender.refused" :
	    "lka.sender.tempfail", 1);
	m_init(&lka_sender_mo);
	m_add_u32(&lka_sender_mo, result);
	proc_send(PROC_SMTP, IMSG_LKA_SENDER_CHECK, msg->hdr.peerid, -1,
	    &lka_sender_mo);
}
