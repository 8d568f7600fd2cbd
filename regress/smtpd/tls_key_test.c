/*
 * Unit tests of the key proxy (tls_key.c) and its other half in ca
 * (ca.c), in one process: the process layer is replaced by the fakes
 * below, so that the proxy's proc_call() hands each request straight to
 * ca's dispatcher and ca's answer straight back.  Keys and self-signed
 * certificates are made here; handshakes run between two SSL objects
 * over a BIO pair.  Covers RSA (TLS 1.3 and TLS 1.2 with PSS and with
 * PKCS#1 v1.5), ECDSA P-256 and P-384, a key ca does not hold (the
 * handshake fails, the process goes on), malformed answers from ca and
 * malformed requests to it (both fatal: proc_bad_msg), and a reload.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <setjmp.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ca.h"
#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "proc.h"
#include "stat.h"
#include "tls.h"

/* ------------------------------------------------------------------ */
/* The process layer, faked. */

static struct smtpd_config	 conf;
static uint8_t			 answer_buf[IPC_MAX_PAYLOAD];
static struct ipc_msg		 answer;
static int			 ncalls;	/* proc_call()s made */
static uint32_t			 last_padding;
static uint32_t			 last_type;
/* Change ca's answer before the proxy reads it (NULL: leave it). */
static void			(*tamper)(struct ipc_msg *);
/* proc_bad_msg: 0 fails the test, 1 longjmps, 2 reports on bad_fd and
 * exits (a child: what it skipped cannot leak into the test). */
static jmp_buf			 bad_jmp;
static int			 bad_armed;
static int			 bad_fd = -1;
static char			 bad_why[128];
static int64_t			 nrefused, nsigned;

enum proc_id
proc_self(void)
{
	return PROC_SMTP;
}

int
proc_has_channel(enum proc_id a, enum proc_id b)
{
	return 1;
}

const char *
proc_name(enum proc_id p)
{
	return p == PROC_CA ? "ca" : p == PROC_SMTP ? "smtp" : "other";
}

const struct smtpd_config *
proc_config(void)
{
	return &conf;
}

void
stat_set(const char *key, int64_t v)
{
}

void
stat_increment(const char *key, size_t n)
{
	if (strcmp(key, "ca.refused") == 0)
		nrefused += (int64_t)n;
	else if (strstr(key, ".sign") != NULL)
		nsigned += (int64_t)n;
}

__dead void
proc_bad_msg(enum proc_id peer, const struct ipc_msg *msg, const char *why)
{
	if (bad_armed == 2) {
		(void)write(bad_fd, why, strlen(why));
		_exit(0);
	}
	if (!bad_armed)
		atf_tc_fail("unexpected proc_bad_msg from %s: %s",
		    proc_name(peer), why);
	(void)strlcpy(bad_why, why, sizeof(bad_why));
	longjmp(bad_jmp, 1);
}

/* ca answers through proc_send(). */
void
proc_send(enum proc_id to, uint32_t type, uint32_t peerid, int fd,
    const struct msg_out *mo)
{
	ATF_REQUIRE_EQ(to, PROC_SMTP);
	ATF_REQUIRE_EQ(type, IMSG_CA_RESULT);
	memcpy(answer_buf, m_data(mo), m_len(mo));
	memset(&answer, 0, sizeof(answer));
	answer.hdr.type = type;
	answer.data = answer_buf;
	answer.datalen = m_len(mo);
	answer.fd = -1;
}

static void
ca_dispatch(struct ipc_msg *msg)
{
	const struct proc_peer	*pp;

	for (pp = ca_role.ro_peers; pp->pp_dispatch != NULL; pp++) {
		if (pp->pp_peer == PROC_SMTP) {
			pp->pp_dispatch(msg);
			return;
		}
	}
	atf_tc_fail("ca has no smtp peer");
}

void
proc_call(enum proc_id to, uint32_t type, const struct msg_out *mo,
    uint32_t want, void (*handler)(const struct ipc_msg *, void *),
    void *arg, int timeout_ms)
{
	static uint8_t	 buf[IPC_MAX_PAYLOAD];
	struct ipc_msg	 req;
	struct msg_in	 mi;
	uint8_t		 id[TLS_KEYID_LEN];

	ATF_REQUIRE_EQ(to, PROC_CA);
	ATF_REQUIRE_EQ(want, IMSG_CA_RESULT);
	memcpy(buf, m_data(mo), m_len(mo));
	memset(&req, 0, sizeof(req));
	req.hdr.type = type;
	req.data = buf;
	req.datalen = m_len(mo);
	req.fd = -1;
	ncalls++;
	last_type = type;
	if (type != IMSG_CA_ECDSA_SIGN) {
		m_open(&mi, &req);
		m_get_fixed(&mi, id, sizeof(id));
		m_get_u32(&mi, &last_padding);
	}
	ca_dispatch(&req);
	if (tamper != NULL)
		tamper(&answer);
	handler(&answer, arg);
}

/* ------------------------------------------------------------------ */
/* Keys, certificates and handshakes. */

struct kp {
	EVP_PKEY	*k;
	X509		*x;
	char		*cert_pem;
	char		*key_pem;
};

static char *
bio_text(BIO *bio, size_t *len)
{
	char	*data, *s;
	long	 n;

	n = BIO_get_mem_data(bio, &data);
	ATF_REQUIRE(n > 0 && (s = malloc((size_t)n + 1)) != NULL);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return s;
}

static void
kp_new(struct kp *kp, const char *type, const char *curve)
{
	X509_NAME	*name;
	BIO		*bio;
	size_t		 len;

	if (strcmp(type, "RSA") == 0)
		kp->k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "EC") == 0)
		kp->k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	else
		kp->k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	ATF_REQUIRE(kp->k != NULL);
	ATF_REQUIRE((kp->x = X509_new()) != NULL);
	ASN1_INTEGER_set(X509_get_serialNumber(kp->x), 1);
	X509_gmtime_adj(X509_getm_notBefore(kp->x), 0);
	X509_gmtime_adj(X509_getm_notAfter(kp->x), 86400);
	ATF_REQUIRE(X509_set_pubkey(kp->x, kp->k) == 1);
	name = X509_get_subject_name(kp->x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mx.test", -1, -1, 0);
	X509_set_issuer_name(kp->x, name);
	ATF_REQUIRE(X509_sign(kp->x, kp->k, EVP_PKEY_is_a(kp->k, "ED25519") ?
	    NULL : EVP_sha256()) > 0);
	bio = BIO_new(BIO_s_mem());
	ATF_REQUIRE(PEM_write_bio_X509(bio, kp->x) == 1);
	kp->cert_pem = bio_text(bio, &len);
	bio = BIO_new(BIO_s_mem());
	ATF_REQUIRE(PEM_write_bio_PrivateKey(bio, kp->k, NULL, NULL, 0, NULL,
	    NULL) == 1);
	kp->key_pem = bio_text(bio, &len);
}

static void
kp_free(struct kp *kp)
{
	EVP_PKEY_free(kp->k);
	X509_free(kp->x);
	free(kp->cert_pem);
	free(kp->key_pem);
}

/* A new configuration for ca with these pairs, loaded. */
static void
ca_load(struct kp **kps, size_t n)
{
	struct pki	*p;
	size_t		 i;

	while ((p = TAILQ_FIRST(&conf.sc_pkis)) != NULL) {
		TAILQ_REMOVE(&conf.sc_pkis, p, pki_entry);
		config_pki_free(p);
	}
	TAILQ_INIT(&conf.sc_pkis);
	for (i = 0; i < n; i++) {
		ATF_REQUIRE((p = calloc(1, sizeof(*p))) != NULL);
		ATF_REQUIRE(asprintf(&p->pki_name, "pki%zu", i) > 0);
		p->pki_cert = strdup(kps[i]->cert_pem);
		p->pki_cert_len = strlen(p->pki_cert);
		p->pki_key = strdup(kps[i]->key_pem);
		p->pki_key_len = strlen(p->pki_key);
		TAILQ_INSERT_TAIL(&conf.sc_pkis, p, pki_entry);
	}
	ca_role.ro_config();
}

static void
setup(void)
{
	TAILQ_INIT(&conf.sc_pkis);
	ca_role.ro_init();
	ncalls = 0;
	tamper = NULL;
	bad_armed = 0;
	nrefused = nsigned = 0;
}

/*
 * A handshake with a server that has cert and the proxy key, from a
 * client limited to version (and sigalgs or ciphers when not NULL).
 * 0 when it completed.
 */
static int
handshake(X509 *cert, int version, const char *sigalgs, const char *ciphers)
{
	SSL_CTX		*sctx, *cctx;
	SSL		*c, *s;
	BIO		*b1, *b2;
	EVP_PKEY	*key;
	int		 i, rc = 0, rs = 0, r = -1;

	ATF_REQUIRE((key = tls_key_proxy(cert)) != NULL);
	ATF_REQUIRE((sctx = SSL_CTX_new(TLS_server_method())) != NULL);
	ATF_REQUIRE((cctx = SSL_CTX_new(TLS_client_method())) != NULL);
	/* what tls.c does, and where OpenSMTPD 6.8 fails on OpenSSL 3 */
	ATF_REQUIRE(SSL_CTX_use_certificate(sctx, cert) == 1);
	ATF_REQUIRE_MSG(SSL_CTX_use_PrivateKey(sctx, key) == 1,
	    "SSL_CTX_use_PrivateKey refused the proxy key");
	ATF_REQUIRE_MSG(SSL_CTX_check_private_key(sctx) == 1,
	    "SSL_CTX_check_private_key refused the proxy key");
	EVP_PKEY_free(key);
	ATF_REQUIRE(SSL_CTX_set_cipher_list(sctx, "ALL") == 1);
	SSL_CTX_set_min_proto_version(cctx, version);
	SSL_CTX_set_max_proto_version(cctx, version);
	if (sigalgs != NULL)
		ATF_REQUIRE(SSL_CTX_set1_sigalgs_list(cctx, sigalgs) == 1);
	if (ciphers != NULL)
		ATF_REQUIRE(SSL_CTX_set_cipher_list(cctx, ciphers) == 1);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	ATF_REQUIRE(BIO_new_bio_pair(&b1, 0, &b2, 0) == 1);
	SSL_set_bio(c, b1, b1);
	SSL_set_bio(s, b2, b2);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 50; i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
		if (rc == 1 && rs == 1) {
			r = 0;
			break;
		}
		if ((rc <= 0 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) ||
		    (rs <= 0 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ))
			break;
	}
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return r;
}

/* ------------------------------------------------------------------ */

ATF_TC_WITHOUT_HEAD(keyid);
ATF_TC_BODY(keyid, tc)
{
	struct kp	 rsa, ec;
	uint8_t		 a[TLS_KEYID_LEN], b[TLS_KEYID_LEN];

	kp_new(&rsa, "RSA", NULL);
	kp_new(&ec, "EC", "P-256");
	/* the certificate's and the private key's public part agree */
	ATF_REQUIRE(tls_keyid(rsa.x, a) == 0 && tls_keyid_pkey(rsa.k, b) == 0);
	ATF_CHECK(memcmp(a, b, sizeof(a)) == 0);
	ATF_REQUIRE(tls_keyid(ec.x, b) == 0);
	ATF_CHECK(memcmp(a, b, sizeof(a)) != 0);
	ATF_REQUIRE(tls_keyid_pkey(ec.k, a) == 0);
	ATF_CHECK(memcmp(a, b, sizeof(a)) == 0);
	kp_free(&rsa);
	kp_free(&ec);
}

ATF_TC_WITHOUT_HEAD(rsa);
ATF_TC_BODY(rsa, tc)
{
	struct kp	 rsa, *kps[1] = { &rsa };

	setup();
	kp_new(&rsa, "RSA", NULL);
	ca_load(kps, 1);
	/* TLS 1.3: PSS, encoded by OpenSSL, raw RSA in ca */
	ATF_CHECK_EQ(handshake(rsa.x, TLS1_3_VERSION, NULL, NULL), 0);
	ATF_CHECK_EQ(ncalls, 1);
	ATF_CHECK_EQ(last_type, IMSG_CA_RSA_PRIVENC);
	ATF_CHECK_EQ(last_padding, RSA_NO_PADDING);
	ATF_CHECK_EQ(handshake(rsa.x, TLS1_2_VERSION, "rsa_pss_rsae_sha256",
	    NULL), 0);
	ATF_CHECK_EQ(last_padding, RSA_NO_PADDING);
	/* TLS 1.2, PKCS#1 v1.5 over a DigestInfo */
	ATF_CHECK_EQ(handshake(rsa.x, TLS1_2_VERSION, "RSA+SHA256", NULL), 0);
	ATF_CHECK_EQ(last_padding, RSA_PKCS1_PADDING);
	ATF_CHECK_EQ(handshake(rsa.x, TLS1_2_VERSION, "RSA+SHA512", NULL), 0);
	ATF_CHECK_EQ(ncalls, 4);
	ATF_CHECK_EQ(nsigned, 4);
	kp_free(&rsa);
}

ATF_TC_WITHOUT_HEAD(ecdsa);
ATF_TC_BODY(ecdsa, tc)
{
	struct kp	 p256, p384, *kps[2] = { &p256, &p384 };

	setup();
	kp_new(&p256, "EC", "P-256");
	kp_new(&p384, "EC", "P-384");
	ca_load(kps, 2);
	ATF_CHECK_EQ(handshake(p256.x, TLS1_3_VERSION, NULL, NULL), 0);
	ATF_CHECK_EQ(last_type, IMSG_CA_ECDSA_SIGN);
	ATF_CHECK_EQ(handshake(p256.x, TLS1_2_VERSION, NULL, NULL), 0);
	ATF_CHECK_EQ(handshake(p384.x, TLS1_3_VERSION, NULL, NULL), 0);
	ATF_CHECK_EQ(handshake(p384.x, TLS1_2_VERSION, "ECDSA+SHA256", NULL),
	    0);
	ATF_CHECK_EQ(ncalls, 4);
	ATF_CHECK_EQ(nsigned, 4);
	kp_free(&p256);
	kp_free(&p384);
}

/* RSA key exchange needs libssl's TLS padding, which OpenSSL 3.0 does
 * not pass to a legacy key (see tls_key.c): refused, no crash. */
ATF_TC_WITHOUT_HEAD(rsa_kex);
ATF_TC_BODY(rsa_kex, tc)
{
	struct kp	 rsa, *kps[1] = { &rsa };

	setup();
	kp_new(&rsa, "RSA", NULL);
	ca_load(kps, 1);
	ATF_CHECK_EQ(handshake(rsa.x, TLS1_2_VERSION, NULL, "AES128-SHA"),
	    -1);
	ATF_CHECK_EQ(ncalls, 0);
	/* the key's decryption itself works through ca */
	{
		EVP_PKEY_CTX	*ctx;
		EVP_PKEY	*key;
		unsigned char	 ct[256], pt[256];
		size_t		 ctlen = sizeof(ct), ptlen = sizeof(pt);
		int		 pads[2] = { RSA_PKCS1_PADDING,
				    RSA_PKCS1_OAEP_PADDING }, i;

		ATF_REQUIRE((key = tls_key_proxy(rsa.x)) != NULL);
		for (i = 0; i < 2; i++) {
			ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(rsa.x), NULL);
			ctlen = sizeof(ct);
			ATF_REQUIRE(EVP_PKEY_encrypt_init(ctx) == 1 &&
			    EVP_PKEY_CTX_set_rsa_padding(ctx, pads[i]) == 1 &&
			    EVP_PKEY_encrypt(ctx, ct, &ctlen,
			    (const unsigned char *)"premaster", 9) == 1);
			EVP_PKEY_CTX_free(ctx);
			ctx = EVP_PKEY_CTX_new(key, NULL);
			ptlen = sizeof(pt);
			ATF_CHECK(EVP_PKEY_decrypt_init(ctx) == 1 &&
			    EVP_PKEY_CTX_set_rsa_padding(ctx, pads[i]) == 1 &&
			    EVP_PKEY_decrypt(ctx, pt, &ptlen, ct, ctlen) == 1);
			ATF_CHECK(ptlen == 9 && memcmp(pt, "premaster", 9) == 0);
			ATF_CHECK_EQ(last_type, IMSG_CA_RSA_PRIVDEC);
			EVP_PKEY_CTX_free(ctx);
		}
		EVP_PKEY_free(key);
	}
	kp_free(&rsa);
}

/* A key ca does not hold: the handshake fails, the process goes on. */
ATF_TC_WITHOUT_HEAD(unknown_key);
ATF_TC_BODY(unknown_key, tc)
{
	struct kp	 a, b, *kps[1] = { &a };

	setup();
	kp_new(&a, "RSA", NULL);
	kp_new(&b, "EC", "P-256");
	ca_load(kps, 1);
	ATF_CHECK_EQ(handshake(b.x, TLS1_3_VERSION, NULL, NULL), -1);
	ATF_CHECK_EQ(ncalls, 1);
	ATF_CHECK_EQ(nrefused, 1);
	/* a reload replaces the keys: now b works and a is refused */
	kps[0] = &b;
	ca_load(kps, 1);
	ATF_CHECK_EQ(handshake(b.x, TLS1_3_VERSION, NULL, NULL), 0);
	ATF_CHECK_EQ(handshake(a.x, TLS1_3_VERSION, NULL, NULL), -1);
	ATF_CHECK_EQ(nrefused, 2);
	kp_free(&a);
	kp_free(&b);
}

ATF_TC_WITHOUT_HEAD(unsupported);
ATF_TC_BODY(unsupported, tc)
{
	struct kp	 ed;

	setup();
	kp_new(&ed, "ED25519", NULL);
	ATF_CHECK(tls_key_proxy(ed.x) == NULL);
	kp_free(&ed);
}

/* ------------------------------------------------------------------ */
/* Broken answers from ca, broken requests to ca: fatal. */

static void
answer_short(struct ipc_msg *msg)
{
	struct msg_out	 mo;
	static uint8_t	 out[100];

	m_init(&mo);
	m_add_u32(&mo, 1);
	m_add_data(&mo, out, sizeof(out));
	memcpy(answer_buf, m_data(&mo), m_len(&mo));
	msg->datalen = m_len(&mo);
}

static void
answer_bad_ok(struct ipc_msg *msg)
{
	struct msg_out	 mo;

	m_init(&mo);
	m_add_u32(&mo, 2);
	m_add_data(&mo, NULL, 0);
	memcpy(answer_buf, m_data(&mo), m_len(&mo));
	msg->datalen = m_len(&mo);
}

static void
answer_not_der(struct ipc_msg *msg)
{
	struct msg_out	 mo;
	static uint8_t	 out[64];

	memset(out, 0x30, sizeof(out));
	m_init(&mo);
	m_add_u32(&mo, 1);
	m_add_data(&mo, out, sizeof(out));
	memcpy(answer_buf, m_data(&mo), m_len(&mo));
	msg->datalen = m_len(&mo);
}

static void
answer_truncated(struct ipc_msg *msg)
{
	msg->datalen -= 1;
}

/* A TLS 1.3 handshake with cert in a child whose ca answers are
 * changed by fn; what proc_bad_msg said ("" if not called). */
static void
child_handshake(X509 *cert, void (*fn)(struct ipc_msg *), char *why,
    size_t len)
{
	int	 p[2], status;
	ssize_t	 n;
	pid_t	 pid;

	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		bad_fd = p[1];
		bad_armed = 2;
		tamper = fn;
		(void)handshake(cert, TLS1_3_VERSION, NULL, NULL);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], why, len - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

ATF_TC_WITHOUT_HEAD(bad_answer);
ATF_TC_BODY(bad_answer, tc)
{
	struct kp	 rsa, ec, *kps[2] = { &rsa, &ec };
	void		(*bad[])(struct ipc_msg *) = { answer_short,
			    answer_bad_ok, answer_truncated };
	const char	*why[] = { "result of the wrong length",
			    "malformed result", "malformed result" };
	char		 got[128];
	size_t		 i;

	setup();
	kp_new(&rsa, "RSA", NULL);
	kp_new(&ec, "EC", "P-256");
	ca_load(kps, 2);
	for (i = 0; i < 3; i++) {
		child_handshake(rsa.x, bad[i], got, sizeof(got));
		ATF_CHECK_STREQ(got, why[i]);
	}
	/* the same answers untouched: no complaint */
	child_handshake(rsa.x, NULL, got, sizeof(got));
	ATF_CHECK_STREQ(got, "");
	/* a signature that is not DER: that handshake fails, no more */
	tamper = answer_not_der;
	ATF_CHECK_EQ(handshake(ec.x, TLS1_3_VERSION, NULL, NULL), -1);
	tamper = NULL;
	ATF_CHECK_EQ(handshake(ec.x, TLS1_3_VERSION, NULL, NULL), 0);
	kp_free(&rsa);
	kp_free(&ec);
}

/* Send one hand-made request to ca; the reason it was fatal, or NULL. */
static const char *
ca_request(uint32_t type, const uint8_t *id, int padding, size_t inlen,
    int extra)
{
	static struct msg_out	 mo;
	static uint8_t		 in[4096];
	struct ipc_msg		 req;

	m_init(&mo);
	m_add_data(&mo, id, TLS_KEYID_LEN);
	if (padding != -1)
		m_add_u32(&mo, (uint32_t)padding);
	memset(in, 1, sizeof(in));
	m_add_data(&mo, in, inlen);
	if (extra)
		m_add_u32(&mo, 0);
	memset(&req, 0, sizeof(req));
	req.hdr.type = type;
	req.data = m_data(&mo);
	req.datalen = m_len(&mo);
	req.fd = -1;
	bad_armed = 1;
	bad_why[0] = '\0';
	if (setjmp(bad_jmp) == 0) {
		ca_dispatch(&req);
		bad_armed = 0;
		return NULL;
	}
	bad_armed = 0;
	return bad_why;
}

ATF_TC_WITHOUT_HEAD(bad_request);
ATF_TC_BODY(bad_request, tc)
{
	struct kp	 rsa, ec, *kps[2] = { &rsa, &ec };
	uint8_t		 rid[TLS_KEYID_LEN], eid[TLS_KEYID_LEN];
	uint8_t		 none[TLS_KEYID_LEN];
	const char	*r;

	setup();
	kp_new(&rsa, "RSA", NULL);
	kp_new(&ec, "EC", "P-256");
	ca_load(kps, 2);
	ATF_REQUIRE(tls_keyid(rsa.x, rid) == 0 && tls_keyid(ec.x, eid) == 0);
	memset(none, 7, sizeof(none));

	/* well-formed: answered */
	ATF_CHECK(ca_request(IMSG_CA_RSA_PRIVENC, rid, RSA_PKCS1_PADDING, 51,
	    0) == NULL);
	ATF_CHECK(ca_request(IMSG_CA_ECDSA_SIGN, eid, -1, 32, 0) == NULL);
	/* an unknown key: refused, not fatal */
	ATF_CHECK(ca_request(IMSG_CA_ECDSA_SIGN, none, -1, 32, 0) == NULL);
	ATF_CHECK_EQ(nrefused, 1);

	r = ca_request(IMSG_CA_RSA_PRIVENC, rid, RSA_PKCS1_PADDING, 257, 0);
	ATF_CHECK(r != NULL && strcmp(r, "bad RSA request") == 0);
	r = ca_request(IMSG_CA_RSA_PRIVENC, rid, 6, 32, 0);
	ATF_CHECK(r != NULL && strcmp(r, "bad RSA request") == 0);
	r = ca_request(IMSG_CA_RSA_PRIVDEC, eid, RSA_PKCS1_PADDING, 32, 0);
	ATF_CHECK(r != NULL && strcmp(r, "bad RSA request") == 0);
	r = ca_request(IMSG_CA_ECDSA_SIGN, eid, -1, 65, 0);
	ATF_CHECK(r != NULL && strcmp(r, "bad ECDSA request") == 0);
	r = ca_request(IMSG_CA_ECDSA_SIGN, rid, -1, 32, 0);
	ATF_CHECK(r != NULL && strcmp(r, "bad ECDSA request") == 0);
	r = ca_request(IMSG_CA_ECDSA_SIGN, eid, -1, 32, 1);
	ATF_CHECK(r != NULL && strcmp(r, "malformed request") == 0);
	r = ca_request(IMSG_CA_ECDSA_SIGN, eid, -1, 0, 0);
	ATF_CHECK(r != NULL && strcmp(r, "malformed request") == 0);
	r = ca_request(IMSG_CA_RSA_PRIVENC, rid, -1, 32, 0);
	ATF_CHECK(r != NULL && strcmp(r, "malformed request") == 0);
	r = ca_request(IMSG_CA_RESULT, rid, -1, 32, 0);
	ATF_CHECK(r != NULL && strcmp(r, "unexpected message") == 0);
	kp_free(&rsa);
	kp_free(&ec);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, keyid);
	ATF_TP_ADD_TC(tp, rsa);
	ATF_TP_ADD_TC(tp, ecdsa);
	ATF_TP_ADD_TC(tp, rsa_kex);
	ATF_TP_ADD_TC(tp, unknown_key);
	ATF_TP_ADD_TC(tp, unsupported);
	ATF_TP_ADD_TC(tp, bad_answer);
	ATF_TP_ADD_TC(tp, bad_request);
	return atf_no_error();
}
