/*
 * TLS in the processes that talk to the network (smtp now, mta later).
 *
 *   tls.c	server contexts built from the configuration: certificate
 *		chains of every pki, SNI selection, protocols and ciphers,
 *		DHE, client-certificate verification against a `ca`, and
 *		the description of a finished handshake for logs and the
 *		Received header.
 *   tls_key.c	the private key OpenSSL gets in these processes: the
 *		public half of the certificate's key, whose private
 *		operations are forwarded to ca (IMSG_CA_*, proc_call()).
 *		No private key material ever enters smtp or mta.
 *   tls_check.c  the parse-time check that a pki's certificate and key
 *		belong together (parent and `smtpd -n` only).
 *
 * ca.c is the other half of tls_key.c: it loads the keys the parent
 * sends (IMSG_CONF_PKI_KEY) and performs the operations.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct smtpd_config;

/* Length of a key id: SHA-256 of the DER SubjectPublicKeyInfo. */
#define TLS_KEYID_LEN		32

/* Longest description from tls_describe(), with its NUL. */
#define TLS_DESC_MAX		128

/*
 * Process start, before the chroot: load what OpenSSL needs from the
 * file system (its configuration, the default provider) so that later
 * context building works inside an empty root.  With anchors, also the
 * system's trust anchors, for peers verified without a `ca` (smtp,
 * mta); ca verifies nothing and does without them.
 */
void		 tls_init(int anchors);

/*
 * A new configuration (from ro_config): build a server context for every
 * listener with L_TLS or L_SMTPS, replacing the previous ones.  Sessions
 * that run keep their SSL object and with it a reference to the old
 * context.  A listener whose context cannot be built is logged and
 * served without TLS offered (its STARTTLS answers 454, an smtps
 * connection is closed).
 */
void		 tls_server_config(const struct smtpd_config *);

/* The server context of the listener at this index of sc_listeners
 * (counting every entry), or NULL. */
SSL_CTX		*tls_server_ctx(uint32_t lindex);

/*
 * After a successful handshake: "TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO"
 * (protocol, cipher, secret bits, client certificate YES = verified,
 * FAIL = presented and invalid, NO = none), as the Received header and
 * the `smtp tls` log line show it.
 */
void		 tls_describe(SSL *, char *buf, size_t len);
/* Whether the peer presented a certificate that verified. */
int		 tls_peer_verified(SSL *);

/*
 * A `protocols` string in libtls syntax, as OpenSMTPD 7.x takes it:
 * words separated by ',' or ':' (case ignored): tlsv1.0 tlsv1.1 tlsv1.2
 * tlsv1.3, tlsv1 (all four), all and legacy (all four), default and
 * secure (1.2 and 1.3); '!' before a word removes it.  NULL means
 * "default".  The set of TLS_PROTO_* bits, or -1 (unknown word, empty
 * set).  Also used by the parser, so that a bad string is a config
 * error at `smtpd -n`.
 */
#define TLS_PROTO_TLSv1_0	0x01
#define TLS_PROTO_TLSv1_1	0x02
#define TLS_PROTO_TLSv1_2	0x04
#define TLS_PROTO_TLSv1_3	0x08
#define TLS_PROTO_ALL		0x0f
#define TLS_PROTO_DEFAULT	(TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3)
int		 tls_protocols_parse(const char *, uint32_t *);
/* Whether OpenSSL takes this TLS 1.2 cipher list; 0 or -1. */
int		 tls_ciphers_check(const char *);

/*
 * tls_key.c.  An EVP_PKEY with the public key of cert whose private
 * operations (RSA sign/decrypt, ECDSA sign) are performed by ca.  NULL
 * with an error logged if the key type is not RSA or EC.
 */
EVP_PKEY	*tls_key_proxy(X509 *cert);
/* The key id of a certificate's public key; 0 or -1. */
int		 tls_keyid(X509 *cert, uint8_t id[TLS_KEYID_LEN]);
int		 tls_keyid_pkey(EVP_PKEY *, uint8_t id[TLS_KEYID_LEN]);

/*
 * tls_check.c.  Whether cert_pem (a chain, leaf first) and key_pem load
 * and belong together; -1 with a message in err otherwise.
 */
int		 tls_check_pair(const char *cert_pem, size_t cert_len,
		    const char *key_pem, size_t key_len, char *err,
		    size_t errlen);

#endif
