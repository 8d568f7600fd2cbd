/*
 * The private key OpenSSL gets in smtp and mta: the public half of a
 * certificate's key, whose private operations are performed by ca.
 * Runs in smtp (and later mta), as _smtpd, chrooted to an empty
 * directory.  Peer: ca, through proc_call() (IMSG_CA_*, payloads in
 * imsg_types.h).  Trusts the certificate it is given (it comes from the
 * parent's configuration) and checks the length and shape of every
 * answer from ca; an answer that says the operation failed makes that
 * handshake fail, never the process.
 *
 * Mechanism.  OpenSSL 3 offers two ways to put a key's private
 * operations somewhere else: a provider (a keymgmt plus signature and
 * asym-cipher implementations, each a table of OSSL_DISPATCH functions
 * with its parameters), or the legacy RSA_METHOD / EC_KEY_METHOD on a
 * key object of the old API.  We use the legacy methods: about a tenth
 * of the code, and OpenSSL 3.0 still routes such a key through the
 * legacy EVP path.  A key with a non-default method is "foreign"
 * (EVP_PKEY's foreign flag): it is never exported to a provider for an
 * operation, so libssl's EVP_DigestSign reaches rsa_priv_enc (PKCS#1
 * v1.5 DigestInfo for TLS 1.2, RSA_NO_PADDING over an encoding OpenSSL
 * made itself for PSS, which TLS 1.3 requires) and ECDSA reaches the
 * EC method's sign/sign_sig; EVP_PKEY_decrypt reaches rsa_priv_dec
 * (PKCS#1 v1.5, and OAEP checked by OpenSSL).  Every other operation
 * (public ones, size,
 * the comparison with the certificate that SSL_CTX_use_PrivateKey and
 * SSL_CTX_check_private_key make) goes through the default methods we
 * copied, on a key that holds only n and e, or the group and the point.
 * That last check is where OpenSMTPD 6.8 fails on OpenSSL 3 ("missing
 * private key"): it swapped the method into the legacy copy that
 * EVP_PKEY_get0_RSA() caches for a provider key, which the operations
 * never use.  Here the EVP_PKEY is built from our own RSA / EC_KEY, so
 * there is no provider copy to lose it.  tls_key_test.c and
 * tls_keys_test.sh complete TLS 1.2 and 1.3 handshakes with RSA keys
 * (PSS and PKCS#1 v1.5 signatures) and ECDSA P-256 and P-384 keys.
 *
 * The one thing the legacy path cannot do on OpenSSL 3.0 is RSA key
 * exchange (the TLS_RSA_* suites, without forward secrecy): libssl asks
 * for RSA_PKCS1_WITH_TLS_PADDING and passes the client's version as
 * provider parameters, which a legacy key refuses, so such a handshake
 * fails before the method is called.  Server contexts should leave
 * kRSA out of their cipher lists; clients then pick an ECDHE or DHE
 * suite, which every TLS 1.2 client has.  A provider of our own would
 * be the way to offer kRSA, at the price of a keymgmt, signature and
 * asym-cipher implementation whose names clash with the default
 * provider's "RSA" and "EC".
 *
 * OPENSSL_SUPPRESS_DEPRECATED: the RSA, EC_KEY and method functions are
 * deprecated in OpenSSL 3.0 (they still work and are in 3.x releases);
 * this file is the only one that needs them, so the deprecation
 * warnings, which -Werror would turn into errors, are silenced here
 * only.  Everything else uses the EVP interface.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "proc.h"
#include "tls.h"

/* What the key objects carry to find their key in ca (ex_data). */
struct tls_key_ref {
	uint8_t		kr_id[TLS_KEYID_LEN];
};

/* One call's expectations and result (handler argument). */
struct tls_key_answer {
	uint8_t		*ka_out;
	size_t		 ka_min;	/* accepted output lengths */
	size_t		 ka_max;
	size_t		 ka_len;
	int		 ka_ok;
};

static RSA_METHOD	*tls_key_rsa_meth;
static EC_KEY_METHOD	*tls_key_ec_meth;
static int		 tls_key_rsa_idx = -1;
static int		 tls_key_ec_idx = -1;

static void
tls_key_ref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	free(ptr);
}

int
tls_keyid(X509 *cert, uint8_t id[TLS_KEYID_LEN])
{
	unsigned char	*der = NULL;
	unsigned int	 len = 0;
	int		 n, r = -1;

	/* The certificate's own encoding of its SubjectPublicKeyInfo. */
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) > 0 &&
	    EVP_Digest(der, (size_t)n, id, &len, EVP_sha256(), NULL) == 1 &&
	    len == TLS_KEYID_LEN)
		r = 0;
	OPENSSL_free(der);
	return r;
}

int
tls_keyid_pkey(EVP_PKEY *pkey, uint8_t id[TLS_KEYID_LEN])
{
	unsigned char	*der = NULL;
	unsigned int	 len = 0;
	int		 n, r = -1;

	if ((n = i2d_PUBKEY(pkey, &der)) > 0 &&
	    EVP_Digest(der, (size_t)n, id, &len, EVP_sha256(), NULL) == 1 &&
	    len == TLS_KEYID_LEN)
		r = 0;
	OPENSSL_free(der);
	return r;
}

static void
tls_key_result(const struct ipc_msg *msg, void *arg)
{
	struct tls_key_answer	*ka = arg;
	struct msg_in		 mi;
	const void		*data;
	size_t			 len;
	uint32_t		 ok;

	m_open(&mi, msg);
	m_get_u32(&mi, &ok);
	m_get_data(&mi, &data, &len);
	if (m_end(&mi) == -1 || ok > 1 || (ok == 0 && len != 0))
		proc_bad_msg(PROC_CA, msg, "malformed result");
	if (ok == 0)
		return;
	if (len < ka->ka_min || len > ka->ka_max)
		proc_bad_msg(PROC_CA, msg, "result of the wrong length");
	memcpy(ka->ka_out, data, len);
	ka->ka_len = len;
	ka->ka_ok = 1;
}

/*
 * Ask ca for one operation; the output (between min and max bytes) is
 * written to out.  Returns its length, or -1 if ca refused.
 */
static int
tls_key_call(uint32_t type, const struct tls_key_ref *ref, int padding,
    const unsigned char *in, size_t inlen, unsigned char *out, size_t min,
    size_t max)
{
	static struct msg_out	 mo;
	struct tls_key_answer	 ka;
	enum proc_id		 me = proc_self();

	if (ref == NULL || !proc_has_channel(me, PROC_CA)) {
		log_warnx("tls_key_call: %s has no key reference or no "
		    "channel to ca", proc_name(me));
		return -1;
	}
	m_init(&mo);
	m_add_data(&mo, ref->kr_id, sizeof(ref->kr_id));
	if (type != IMSG_CA_ECDSA_SIGN)
		m_add_u32(&mo, (uint32_t)padding);
	m_add_data(&mo, in, inlen);
	if (m_error(&mo) == -1)
		fatalx("tls_key_call: request too large");
	memset(&ka, 0, sizeof(ka));
	ka.ka_out = out;
	ka.ka_min = min;
	ka.ka_max = max;
	proc_call(PROC_CA, type, &mo, IMSG_CA_RESULT, tls_key_result, &ka,
	    TLS_KEY_CALL_TIMEOUT_MS);
	explicit_bzero(&mo, m_len(&mo));
	if (!ka.ka_ok) {
		log_warnx("tls_key_call: ca refused %s", imsg_type_name(type));
		return -1;
	}
	return (int)ka.ka_len;
}

/* RSA: the signature is exactly the modulus size, a decryption at most. */
static int
tls_key_rsa_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	size_t	size = (size_t)RSA_size(rsa);

	if (flen <= 0 || (size_t)flen > size)
		return -1;
	return tls_key_call(IMSG_CA_RSA_PRIVENC,
	    RSA_get_ex_data(rsa, tls_key_rsa_idx), padding, from,
	    (size_t)flen, to, size, size);
}

static int
tls_key_rsa_dec(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	size_t	size = (size_t)RSA_size(rsa);

	if (flen <= 0 || (size_t)flen > size)
		return -1;
	return tls_key_call(IMSG_CA_RSA_PRIVDEC,
	    RSA_get_ex_data(rsa, tls_key_rsa_idx), padding, from,
	    (size_t)flen, to, 1, size);
}

/* ECDSA: ca answers a DER ECDSA-Sig-Value; it must parse whole. */
static ECDSA_SIG *
tls_key_ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	unsigned char		 der[TLS_KEY_MAX_ECDSA_SIG];
	const unsigned char	*p = der;
	ECDSA_SIG		*sig;
	size_t			 max;
	int			 n;

	max = (size_t)ECDSA_size(ec);
	if (dlen <= 0 || dlen > TLS_KEY_MAX_DIGEST || max == 0 ||
	    max > sizeof(der))
		return NULL;
	n = tls_key_call(IMSG_CA_ECDSA_SIGN, EC_KEY_get_ex_data(ec,
	    tls_key_ec_idx), 0, dgst, (size_t)dlen, der, 8, max);
	if (n == -1)
		return NULL;
	if ((sig = d2i_ECDSA_SIG(NULL, &p, n)) == NULL || p != der + n) {
		log_warnx("tls_key_ec_sign_sig: ca answered a malformed "
		    "signature");
		ECDSA_SIG_free(sig);
		return NULL;
	}
	return sig;
}

static int
tls_key_ec_sign(int type, const unsigned char *dgst, int dlen,
    unsigned char *out, unsigned int *outlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	ECDSA_SIG	*sig;
	unsigned char	*p = out;
	int		 n;

	*outlen = 0;
	if ((sig = tls_key_ec_sign_sig(dgst, dlen, kinv, r, ec)) == NULL)
		return 0;
	/* Re-encoded from the parsed value: canonical DER, and out has
	 * room for ECDSA_size() bytes (OpenSSL's contract). */
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	if (n <= 0 || n > ECDSA_size(ec))
		return 0;
	*outlen = (unsigned int)n;
	return 1;
}

static void
tls_key_methods(void)
{
	int	(*sign)(int, const unsigned char *, int, unsigned char *,
		    unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *);
	int	(*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);
	ECDSA_SIG *(*sign_sig)(const unsigned char *, int, const BIGNUM *,
		    const BIGNUM *, EC_KEY *);

	if (tls_key_rsa_meth != NULL)
		return;
	/* Copies of OpenSSL's own methods: public operations unchanged. */
	if ((tls_key_rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL())) == NULL ||
	    RSA_meth_set1_name(tls_key_rsa_meth, "postern ca") != 1 ||
	    RSA_meth_set_priv_enc(tls_key_rsa_meth, tls_key_rsa_enc) != 1 ||
	    RSA_meth_set_priv_dec(tls_key_rsa_meth, tls_key_rsa_dec) != 1)
		fatalx("tls_key_methods: RSA method");
	if ((tls_key_ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) == NULL)
		fatalx("tls_key_methods: EC method");
	EC_KEY_METHOD_get_sign(tls_key_ec_meth, &sign, &setup, &sign_sig);
	EC_KEY_METHOD_set_sign(tls_key_ec_meth, tls_key_ec_sign, setup,
	    tls_key_ec_sign_sig);
	tls_key_rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_key_ref_free);
	tls_key_ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_key_ref_free);
	if (tls_key_rsa_idx == -1 || tls_key_ec_idx == -1)
		fatalx("tls_key_methods: ex_data index");
}

/*
 * An RSA key with n and e of pub only, its private side in ca.  Takes
 * ref: it belongs to the key object once attached, freed here before.
 */
static EVP_PKEY *
tls_key_rsa(EVP_PKEY *pub, struct tls_key_ref *ref)
{
	BIGNUM		*n = NULL, *e = NULL;
	RSA		*rsa;
	EVP_PKEY	*pkey = NULL;

	if ((rsa = RSA_new()) == NULL) {
		free(ref);
		return NULL;
	}
	if (EVP_PKEY_get_bn_param(pub, "n", &n) != 1 ||
	    EVP_PKEY_get_bn_param(pub, "e", &e) != 1 ||
	    RSA_set0_key(rsa, n, e, NULL) != 1) {
		BN_free(n);
		BN_free(e);
		RSA_free(rsa);
		free(ref);
		return NULL;
	}
	if (RSA_set_method(rsa, tls_key_rsa_meth) != 1 ||
	    RSA_set_ex_data(rsa, tls_key_rsa_idx, ref) != 1) {
		RSA_free(rsa);
		free(ref);
		return NULL;
	}
	if ((pkey = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_RSA(pkey, rsa) != 1) {
		EVP_PKEY_free(pkey);
		RSA_free(rsa);
		return NULL;
	}
	return pkey;
}

/* An EC key with the group and point of pub only; takes ref. */
static EVP_PKEY *
tls_key_ec(EVP_PKEY *pub, struct tls_key_ref *ref)
{
	const EC_KEY	*src;
	EC_KEY		*ec;
	EVP_PKEY	*pkey = NULL;

	if ((src = EVP_PKEY_get0_EC_KEY(pub)) == NULL ||
	    (ec = EC_KEY_new()) == NULL) {
		free(ref);
		return NULL;
	}
	if (EC_KEY_set_method(ec, tls_key_ec_meth) != 1 ||
	    EC_KEY_set_group(ec, EC_KEY_get0_group(src)) != 1 ||
	    EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(src)) != 1 ||
	    EC_KEY_set_ex_data(ec, tls_key_ec_idx, ref) != 1) {
		EC_KEY_free(ec);
		free(ref);
		return NULL;
	}
	if ((pkey = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
		EVP_PKEY_free(pkey);
		EC_KEY_free(ec);
		return NULL;
	}
	return pkey;
}

EVP_PKEY *
tls_key_proxy(X509 *cert)
{
	struct tls_key_ref	*ref;
	EVP_PKEY		*pub, *pkey = NULL;
	int			 type;

	tls_key_methods();
	if ((pub = X509_get0_pubkey(cert)) == NULL) {
		log_warnx("tls_key_proxy: certificate without a usable "
		    "public key");
		return NULL;
	}
	if ((ref = calloc(1, sizeof(*ref))) == NULL)
		fatal("tls_key_proxy: calloc");
	if (tls_keyid(cert, ref->kr_id) == -1) {
		log_warnx("tls_key_proxy: cannot compute the key id");
		free(ref);
		return NULL;
	}
	switch ((type = EVP_PKEY_get_base_id(pub))) {
	case EVP_PKEY_RSA:
		pkey = tls_key_rsa(pub, ref);
		break;
	case EVP_PKEY_EC:
		pkey = tls_key_ec(pub, ref);
		break;
	default:
		log_warnx("tls_key_proxy: unsupported key type %s (RSA or EC "
		    "only)", OBJ_nid2sn(type));
		free(ref);
		return NULL;
	}
	if (pkey == NULL)
		log_warnx("tls_key_proxy: cannot build the %s key",
		    OBJ_nid2sn(type));
	return pkey;
}
