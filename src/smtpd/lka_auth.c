/*
 * lka's side of SMTP AUTH.  Runs in lka (_smtpd, no chroot, under its
 * system call filter).  Peers: smtp asks IMSG_SMTP_AUTH (listener
 * index, user, password) and hears IMSG_LKA_AUTH; for a listener whose
 * `auth` names no table, the parent checks a system account through
 * PAM (IMSG_LKA_AUTH_PAM, answered IMSG_PARENT_AUTH_PAM).  The user
 * and password were decoded by smtp from untrusted client input: they
 * are only used as a table key and as crypt(3)'s passphrase.  The
 * messages themselves are trusted for their shape (checked, fatal when
 * malformed).
 *
 * A credentials table maps a user to a crypt(3) hash (table.5).  The
 * hash is checked with crypt_rn() of libxcrypt, which knows yescrypt
 * ($y$), bcrypt ($2b$), SHA-512 ($6$) and SHA-256 ($5$) crypt, and
 * compared in constant time.  An unknown user costs a crypt_rn() too,
 * on a setting of the system's default method, so that the time of an
 * answer does not tell which users exist.
 *
 * lka is single-threaded: a hash check blocks every other lookup while
 * it runs.  Measured on the development machine: yescrypt at its
 * default cost about 55 ms (and 16 MiB), bcrypt at cost 10 about 110 ms,
 * SHA-512 crypt about 1 ms.  That is acceptable because the
 * smtp process lets a client address have at most
 * SMTP_AUTH_MAX_FAILURES checks in flight or failed per window, a
 * failure is answered only after a growing delay, and a successful
 * client authenticates once per session; recipients that wait behind a
 * check are delayed by milliseconds, not refused.
 *
 * The password is wiped from the received message and from every
 * buffer here once it was hashed or sent on; it is never logged.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "lka.h"
#include "log.h"
#include "proc.h"
#include "stat.h"
#include "table.h"

/* Result codes of IMSG_LKA_AUTH and IMSG_PARENT_AUTH_PAM. */
#define AUTH_OK		0
#define AUTH_REFUSED	1
#define AUTH_TEMPFAIL	2

/* A check the parent runs for us. */
struct lka_pam {
	RB_ENTRY(lka_pam)	 lp_node;
	uint32_t		 lp_id;		/* our peerid to the parent */
	uint32_t		 lp_smtpid;	/* smtp's request id */
};
RB_HEAD(lka_pams, lka_pam);

static struct lka_pams	 lka_pams = RB_INITIALIZER(&lka_pams);
static size_t		 lka_npams;
static uint32_t		 lka_pam_next;
static struct msg_out	 lka_auth_mo;
static struct crypt_data lka_crypt;
/* Setting of the system's default method, hashed for unknown users. */
static char		 lka_dummy[CRYPT_GENSALT_OUTPUT_SIZE];

static int
lka_pam_cmp(struct lka_pam *a, struct lka_pam *b)
{
	return a->lp_id < b->lp_id ? -1 : a->lp_id > b->lp_id;
}

#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
RB_PROTOTYPE_STATIC(lka_pams, lka_pam, lp_node, lka_pam_cmp)
RB_GENERATE_STATIC(lka_pams, lka_pam, lp_node, lka_pam_cmp)

static void
lka_auth_reply(uint32_t smtpid, uint32_t result)
{
	m_init(&lka_auth_mo);
	m_add_u32(&lka_auth_mo, result);
	proc_send(PROC_SMTP, IMSG_LKA_AUTH, smtpid, -1, &lka_auth_mo);
	stat_increment(result == AUTH_OK ? "lka.auth.ok" :
	    result == AUTH_REFUSED ? "lka.auth.refused" : "lka.auth.tempfail",
	    1);
}

/* A secret inside a received message: the channel's buffer. */
static void
lka_auth_wipe(const char *s)
{
	if (s != NULL)
		explicit_bzero((void *)(uintptr_t)s, strlen(s));
}

/*
 * passwd against hash (NULL: an unknown user, checked against the
 * dummy setting so that it costs the same).  AUTH_OK or AUTH_REFUSED.
 */
static uint32_t
lka_auth_crypt(const char *user, const char *passwd, const char *hash)
{
	const char	*setting = hash, *out;
	uint32_t	 result = AUTH_REFUSED;

	if (lka_dummy[0] == '\0' && crypt_gensalt_rn(NULL, 0, NULL, 0,
	    lka_dummy, sizeof(lka_dummy)) == NULL)
		fatal("lka_auth_crypt: crypt_gensalt_rn");
	if (setting == NULL)
		setting = lka_dummy;
	out = crypt_rn(passwd, setting, &lka_crypt, sizeof(lka_crypt));
	if (hash != NULL && out == NULL)
		log_warnx("lka_auth_crypt: the credentials of user %s are "
		    "not a hash this system's crypt(3) knows (or the "
		    "password is too long)", user);
	if (hash != NULL && out != NULL && strlen(out) == strlen(hash) &&
	    CRYPTO_memcmp(out, hash, strlen(hash)) == 0)
		result = AUTH_OK;
	explicit_bzero(&lka_crypt, sizeof(lka_crypt));
	return result;
}

/* System account: the parent runs PAM in a child. */
static void
lka_auth_pam(uint32_t smtpid, const char *user, const char *passwd)
{
	struct lka_pam	*lp;

	if (lka_npams >= LKA_MAX_AUTH_PAM) {
		log_warnx("lka_auth_pam: %zu PAM checks pending, refusing "
		    "temporarily", lka_npams);
		lka_auth_reply(smtpid, AUTH_TEMPFAIL);
		return;
	}
	if ((lp = calloc(1, sizeof(*lp))) == NULL)
		fatal("lka_auth_pam");
	do {
		lp->lp_id = ++lka_pam_next;
	} while (lp->lp_id == 0 || RB_FIND(lka_pams, &lka_pams, lp) != NULL);
	lp->lp_smtpid = smtpid;
	RB_INSERT(lka_pams, &lka_pams, lp);
	lka_npams++;
	m_init(&lka_auth_mo);
	m_add_string(&lka_auth_mo, user);
	m_add_string(&lka_auth_mo, passwd);
	proc_send(PROC_PARENT, IMSG_LKA_AUTH_PAM, lp->lp_id, -1, &lka_auth_mo);
	explicit_bzero(lka_auth_mo.mo_buf, lka_auth_mo.mo_len);
}

/* IMSG_SMTP_AUTH: u32 listener index, string user, string password. */
void
lka_auth_request(const struct lka_ctx *ctx, struct ipc_msg *msg)
{
	const struct listener	*l;
	struct table_data	*td;
	struct msg_in		 mi;
	const char		*user, *passwd, *hash;
	uint32_t		 idx, result;

	m_open(&mi, msg);
	m_get_u32(&mi, &idx);
	m_get_string(&mi, &user);
	m_get_string(&mi, &passwd);
	if (m_end(&mi) == -1 || msg->fd != -1 || *user == '\0' ||
	    strlen(user) > SMTP_AUTHUSER_MAX ||
	    strlen(passwd) > SMTP_AUTH_PASSWD_MAX) {
		lka_auth_wipe(passwd);
		proc_bad_msg(PROC_SMTP, msg, "bad payload");
	}
	/*
	 * smtp names the listener as its configuration had it; after a
	 * reload ours may be newer and differ.  That race is no peer
	 * bug: the client may try again.
	 */
	if (ctx->lc_conf == NULL ||
	    (l = config_listener_at(ctx->lc_conf, idx)) == NULL ||
	    !(l->l_flags & L_AUTH)) {
		log_warnx("lka_auth_request: listener %u does not take AUTH "
		    "(configuration reloaded?)", idx);
		lka_auth_wipe(passwd);
		lka_auth_reply(msg->hdr.peerid, AUTH_TEMPFAIL);
		return;
	}
	if (l->l_auth == NULL) {
		lka_auth_pam(msg->hdr.peerid, user, passwd);
		lka_auth_wipe(passwd);
		return;
	}
	td = table_set_get(ctx->lc_tables, l->l_auth);
	switch (td != NULL ? table_lookup(td, user, &hash) : -1) {
	case 1:
		result = lka_auth_crypt(user, passwd, hash);
		break;
	case 0:
		(void)lka_auth_crypt(user, passwd, NULL);
		result = AUTH_REFUSED;
		break;
	default:
		log_warnx("lka_auth_request: credentials table %s cannot be "
		    "read", l->l_auth->t_name != NULL ? l->l_auth->t_name :
		    "(inline)");
		result = AUTH_TEMPFAIL;
		break;
	}
	lka_auth_wipe(passwd);
	lka_auth_reply(msg->hdr.peerid, result);
}

/* IMSG_PARENT_AUTH_PAM: u32 result. */
void
lka_auth_pam_answer(struct ipc_msg *msg)
{
	struct lka_pam	 key, *lp;
	struct msg_in	 mi;
	uint32_t	 result;

	m_open(&mi, msg);
	m_get_u32(&mi, &result);
	if (m_end(&mi) == -1 || msg->fd != -1 || result > AUTH_TEMPFAIL)
		proc_bad_msg(PROC_PARENT, msg, "bad payload");
	key.lp_id = msg->hdr.peerid;
	if ((lp = RB_FIND(lka_pams, &lka_pams, &key)) == NULL)
		proc_bad_msg(PROC_PARENT, msg, "no such PAM check");
	RB_REMOVE(lka_pams, &lka_pams, lp);
	lka_npams--;
	lka_auth_reply(lp->lp_smtpid, result);
	free(lp);
}
