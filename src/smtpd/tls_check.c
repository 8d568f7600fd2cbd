/*
 * Whether a pki's certificate chain and private key load and belong
 * together.  Runs in the parent (root) when it parses the configuration
 * at start and on SIGHUP, and in `smtpd -n`; talks to no peer.  The PEM
 * comes from files the parser read (parse_pki.c), which the
 * administrator controls, but they may be anything: every failure is a
 * message for a file:line error, never a crash.  The key is loaded
 * here only to be compared, then freed (OpenSSL clears its numbers).
 *
 * The checks are those that would otherwise make smtp or ca fail after
 * start: the chain's certificates parse (leaf first), the key is an
 * unencrypted RSA or EC key in PEM (no passphrase can be typed at
 * start), its size is within what ca handles, and it is the leaf's key.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "postern_limits.h"
#include "tls.h"

static void
tls_check_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Never ask for a passphrase (OpenSSL would prompt on the terminal). */
static int
tls_check_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/* Whether the PEM text holds an encrypted key, in either format. */
static int
tls_check_encrypted(const char *pem, size_t len)
{
	return memmem(pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----",
	    37) != NULL || memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) !=
	    NULL;
}

/* The leaf, after checking that every certificate of the chain parses. */
static X509 *
tls_check_chain(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO		*bio;
	X509		*leaf = NULL, *x;
	unsigned long	 e;
	int		 n = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		tls_check_err(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		x = PEM_read_bio_X509(bio, NULL, tls_check_no_passphrase, NULL);
		if (x == NULL)
			break;
		if (leaf == NULL)
			leaf = x;
		else
			X509_free(x);
		n++;
	}
	/* The loop ends at the end of the text or at a block that fails. */
	e = ERR_peek_last_error();
	BIO_free(bio);
	if (n == 0 || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		if (n == 0)
			tls_check_err(err, errlen, "the certificate does "
			    "not parse");
		else
			tls_check_err(err, errlen, "certificate %d of the "
			    "chain does not parse", n + 1);
		X509_free(leaf);
		return NULL;
	}
	return leaf;
}

static EVP_PKEY *
tls_check_key(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*pkey;
	int		 type;

	if (tls_check_encrypted(pem, len)) {
		tls_check_err(err, errlen, "the key is encrypted (a "
		    "passphrase cannot be given at start)");
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		tls_check_err(err, errlen, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_check_no_passphrase,
	    NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		tls_check_err(err, errlen, "the key does not parse (an RSA or "
		    "EC private key in PEM is expected)");
		return NULL;
	}
	type = EVP_PKEY_get_base_id(pkey);
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		tls_check_err(err, errlen, "unsupported key type %s (RSA or "
		    "EC only)", OBJ_nid2sn(type));
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (EVP_PKEY_get_size(pkey) <= 0 ||
	    EVP_PKEY_get_size(pkey) > TLS_KEY_MAX_RSA_BYTES) {
		tls_check_err(err, errlen, "the key is too large (%d bits)",
		    EVP_PKEY_get_bits(pkey));
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int
tls_check_pair(const char *cert_pem, size_t cert_len, const char *key_pem,
    size_t key_len, char *err, size_t errlen)
{
	X509		*cert = NULL;
	EVP_PKEY	*pkey = NULL;
	int		 r = -1;

	tls_check_err(err, errlen, "%s", "");
	if (cert_pem == NULL || key_pem == NULL || cert_len == 0 ||
	    key_len == 0) {
		tls_check_err(err, errlen, "no certificate or no key");
		return -1;
	}
	if (cert_len > CONF_MAX_PEM || key_len > CONF_MAX_PEM) {
		tls_check_err(err, errlen, "the %s is too large (more than %d "
		    "bytes)", cert_len > CONF_MAX_PEM ? "certificate" : "key",
		    CONF_MAX_PEM);
		return -1;
	}
	ERR_clear_error();
	if ((cert = tls_check_chain(cert_pem, cert_len, err, errlen)) ==
	    NULL || (pkey = tls_check_key(key_pem, key_len, err, errlen)) ==
	    NULL)
		goto done;
	if (X509_check_private_key(cert, pkey) != 1) {
		tls_check_err(err, errlen, "certificate and key do not match");
		goto done;
	}
	r = 0;
done:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	ERR_clear_error();
	return r;
}
