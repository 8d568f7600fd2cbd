/*
 * ca: holds every TLS private key and performs the private-key
 * operations of handshakes on behalf of smtp and mta (the other half of
 * tls_key.c).  Runs as _smtpd chrooted to an empty directory.  Peers:
 * parent (configuration, the only source of keys), control (stats, in
 * the process layer), smtp and mta (IMSG_CA_* requests).  Trusts the
 * parent; checks everything from smtp and mta: a request that our own
 * tls_key.c could never have sent (wrong shape, length, padding or key
 * type) is fatal, a key id we do not hold (a handshake that began before
 * a reload) gets a refusal and a log line.
 *
 * Keys are loaded from the configuration's PEM into EVP_PKEYs on every
 * configuration and indexed by key id (SHA-256 of the certificate's
 * SubjectPublicKeyInfo, as smtp and mta compute it).  The previous keys
 * are freed then; OpenSSL clears private key numbers when it frees them.
 * (OpenSSL 3.0's DER decoder frees its own copies of a key's DER
 * without clearing them, so such a copy may stay in ca's free memory
 * until reused: this process only, where the key was anyway.)
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "ca.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "stat.h"
#include "tls.h"

struct ca_key {
	TAILQ_ENTRY(ca_key)	 ck_entry;
	uint8_t			 ck_id[TLS_KEYID_LEN];
	EVP_PKEY		*ck_pkey;
	int			 ck_type;	/* EVP_PKEY_RSA, EVP_PKEY_EC */
	size_t			 ck_size;	/* EVP_PKEY_get_size() */
	char			*ck_name;	/* the pki's, for logs */
};
TAILQ_HEAD(ca_keys, ca_key);

static struct ca_keys	ca_keys = TAILQ_HEAD_INITIALIZER(ca_keys);

static void	ca_init(void);
static void	ca_dispatch_parent(struct ipc_msg *);
static void	ca_dispatch_control(struct ipc_msg *);
static void	ca_dispatch_smtp(struct ipc_msg *);
static void	ca_dispatch_mta(struct ipc_msg *);
static void	ca_config(void);
static void	ca_shutdown(void);

static const struct proc_peer ca_peers[] = {
	{ PROC_PARENT,	ca_dispatch_parent },
	{ PROC_CONTROL,	ca_dispatch_control },
	{ PROC_SMTP,	ca_dispatch_smtp },
	{ PROC_MTA,	ca_dispatch_mta },
	{ PROC_PARENT,	NULL }
};

const struct proc_role ca_role = {
	.ro_peers = ca_peers,
	.ro_init = ca_init,
	.ro_config = ca_config,
	.ro_shutdown = ca_shutdown,
};

/*
 * The filter is loaded by now: OpenSSL must not look for its
 * configuration file, which is not in the empty root anyway (and open
 * is not among ca's system calls).  A no-op if the process layer
 * initialised OpenSSL before the chroot.
 */
static void
ca_init(void)
{
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		fatalx("ca_init: OPENSSL_init_crypto failed");
}

static void
ca_keys_clear(void)
{
	struct ca_key	*k;

	while ((k = TAILQ_FIRST(&ca_keys)) != NULL) {
		TAILQ_REMOVE(&ca_keys, k, ck_entry);
		EVP_PKEY_free(k->ck_pkey);
		free(k->ck_name);
		free(k);
	}
}

static struct ca_key *
ca_key_find(const uint8_t id[TLS_KEYID_LEN])
{
	struct ca_key	*k;

	TAILQ_FOREACH(k, &ca_keys, ck_entry) {
		if (memcmp(k->ck_id, id, TLS_KEYID_LEN) == 0)
			return k;
	}
	return NULL;
}

/* Never ask for a passphrase: the parent refuses encrypted keys. */
static int
ca_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/*
 * One pki's key.  The parent checked at parse time that the pair loads
 * and matches (tls_check.c), so a failure here is an internal error.
 */
static void
ca_key_load(const struct pki *pki)
{
	struct ca_key	*k;
	BIO		*bio;
	X509		*cert;
	EVP_PKEY	*pkey;
	uint8_t		 id[TLS_KEYID_LEN];
	int		 type;

	if ((bio = BIO_new_mem_buf(pki->pki_cert, (int)pki->pki_cert_len)) ==
	    NULL)
		fatalx("ca_key_load: BIO_new_mem_buf");
	cert = PEM_read_bio_X509(bio, NULL, ca_no_passphrase, NULL);
	BIO_free(bio);
	/* A read-only memory BIO on the PEM: no copy of the key text. */
	if ((bio = BIO_new_mem_buf(pki->pki_key, (int)pki->pki_key_len)) ==
	    NULL)
		fatalx("ca_key_load: BIO_new_mem_buf");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, ca_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (cert == NULL || pkey == NULL)
		fatalx("ca_key_load: pki %s: cannot load the %s", pki->pki_name,
		    cert == NULL ? "certificate" : "key");
	if (X509_check_private_key(cert, pkey) != 1 ||
	    tls_keyid(cert, id) == -1)
		fatalx("ca_key_load: pki %s: the key does not match the "
		    "certificate", pki->pki_name);
	X509_free(cert);
	type = EVP_PKEY_get_base_id(pkey);
	if ((type != EVP_PKEY_RSA && type != EVP_PKEY_EC) ||
	    EVP_PKEY_get_size(pkey) <= 0 ||
	    EVP_PKEY_get_size(pkey) > TLS_KEY_MAX_RSA_BYTES)
		fatalx("ca_key_load: pki %s: unsupported key", pki->pki_name);
	if (ca_key_find(id) != NULL) {
		/* several pki may share a key */
		EVP_PKEY_free(pkey);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->ck_name = strdup(pki->pki_name)) == NULL)
		fatal("ca_key_load");
	memcpy(k->ck_id, id, sizeof(k->ck_id));
	k->ck_pkey = pkey;
	k->ck_type = type;
	k->ck_size = (size_t)EVP_PKEY_get_size(pkey);
	TAILQ_INSERT_TAIL(&ca_keys, k, ck_entry);
	log_debug("ca_key_load: pki %s: %s key of %d bits", pki->pki_name,
	    type == EVP_PKEY_RSA ? "RSA" : "EC", EVP_PKEY_get_bits(pkey));
}

/* Every configuration replaces all keys. */
static void
ca_config(void)
{
	const struct smtpd_config	*conf = proc_config();
	const struct pki		*pki;
	int64_t				 nkeys = 0;

	ca_keys_clear();
	TAILQ_FOREACH(pki, &conf->sc_pkis, pki_entry) {
		if (pki->pki_key == NULL || pki->pki_cert == NULL)
			continue;
		ca_key_load(pki);
		nkeys++;
	}
	stat_set("ca.keys", nkeys);
}

static void
ca_shutdown(void)
{
	ca_keys_clear();
}

static void
ca_dispatch_parent(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_PARENT, msg, "unexpected message");
}

static void
ca_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
ca_answer(enum proc_id peer, const uint8_t *out, size_t len)
{
	static struct msg_out	mo;

	m_init(&mo);
	m_add_u32(&mo, out != NULL);
	m_add_data(&mo, out, out != NULL ? len : 0);
	proc_send(peer, IMSG_CA_RESULT, 0, -1, &mo);
	/* a decryption's output is a session's premaster secret */
	explicit_bzero(&mo, m_len(&mo));
}

/*
 * The paddings OpenSSL asks of a key's RSA method: PKCS#1 v1.5 (TLS 1.2
 * signatures over a DigestInfo; decryption), none for PSS (TLS 1.3 and
 * 1.2) and OAEP, whose encodings OpenSSL makes and checks itself.
 */
static int
ca_padding_ok(uint32_t padding)
{
	return padding == RSA_PKCS1_PADDING || padding == RSA_NO_PADDING;
}

/* The operation itself; 0 and the output in out, or -1. */
static int
ca_perform(const struct ca_key *k, uint32_t type, uint32_t padding,
    const void *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX	*ctx;
	int		 r;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->ck_pkey, NULL)) ==
	    NULL)
		return -1;
	switch (type) {
	case IMSG_CA_RSA_PRIVENC:
		r = EVP_PKEY_sign_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(ctx, (int)padding) == 1 &&
		    EVP_PKEY_sign(ctx, out, outlen, in, inlen) == 1;
		break;
	case IMSG_CA_RSA_PRIVDEC:
		r = EVP_PKEY_decrypt_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(ctx, (int)padding) == 1 &&
		    EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) == 1;
		break;
	default:
		/* no digest set: in is the digest, out a DER signature */
		r = EVP_PKEY_sign_init(ctx) == 1 &&
		    EVP_PKEY_sign(ctx, out, outlen, in, inlen) == 1;
		break;
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r ? 0 : -1;
}

static const char *
ca_stat_name(uint32_t type)
{
	switch (type) {
	case IMSG_CA_RSA_PRIVENC:
		return "ca.rsa.sign";
	case IMSG_CA_RSA_PRIVDEC:
		return "ca.rsa.decrypt";
	default:
		return "ca.ecdsa.sign";
	}
}

static void
ca_request(enum proc_id peer, struct ipc_msg *msg)
{
	static uint8_t	 out[TLS_KEY_MAX_RSA_BYTES];
	struct ca_key	*k;
	struct msg_in	 mi;
	uint8_t		 id[TLS_KEYID_LEN];
	uint32_t	 type = msg->hdr.type, padding = 0;
	const void	*in;
	size_t		 inlen, outlen;
	int		 rsa = type != IMSG_CA_ECDSA_SIGN;

	if (msg->fd != -1)
		proc_bad_msg(peer, msg, "unexpected descriptor");
	m_open(&mi, msg);
	m_get_fixed(&mi, id, sizeof(id));
	if (rsa)
		m_get_u32(&mi, &padding);
	m_get_data(&mi, &in, &inlen);
	if (m_end(&mi) == -1 || inlen == 0)
		proc_bad_msg(peer, msg, "malformed request");
	if ((k = ca_key_find(id)) == NULL) {
		log_warnx("ca_request: %s asked for key %02x%02x%02x%02x..., "
		    "which ca does not hold (reloaded?)", proc_name(peer),
		    id[0], id[1], id[2], id[3]);
		stat_increment("ca.refused", 1);
		ca_answer(peer, NULL, 0);
		return;
	}
	if (rsa && (k->ck_type != EVP_PKEY_RSA ||
	    !ca_padding_ok(padding) || inlen > k->ck_size))
		proc_bad_msg(peer, msg, "bad RSA request");
	if (!rsa && (k->ck_type != EVP_PKEY_EC ||
	    inlen > TLS_KEY_MAX_DIGEST))
		proc_bad_msg(peer, msg, "bad ECDSA request");
	outlen = sizeof(out);
	if (ca_perform(k, type, padding, in, inlen, out, &outlen) == -1) {
		log_warnx("ca_request: pki %s: %s for %s failed",
		    k->ck_name, imsg_type_name(type), proc_name(peer));
		stat_increment("ca.failed", 1);
		ca_answer(peer, NULL, 0);
		return;
	}
	stat_increment(ca_stat_name(type), 1);
	ca_answer(peer, out, outlen);
	explicit_bzero(out, outlen);
}

static void
ca_dispatch_peer(enum proc_id peer, struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_CA_RSA_PRIVENC:
	case IMSG_CA_RSA_PRIVDEC:
	case IMSG_CA_ECDSA_SIGN:
		ca_request(peer, msg);
		break;
	default:
		proc_bad_msg(peer, msg, "unexpected message");
	}
}

static void
ca_dispatch_smtp(struct ipc_msg *msg)
{
	ca_dispatch_peer(PROC_SMTP, msg);
}

static void
ca_dispatch_mta(struct ipc_msg *msg)
{
	ca_dispatch_peer(PROC_MTA, msg);
}
