/*
 * TLS server contexts.  Runs in smtp (_smtpd, chrooted to an empty
 * directory, under its system call filter); tls_protocols_parse() and
 * tls_ciphers_check() also run in the parent and `smtpd -n` while the
 * configuration is parsed.  No peer: the certificates come with the
 * configuration from the parent (trusted), and the private key
 * operations go to ca through tls_key.c.  The only untrusted input
 * seen here is what a client's handshake gives the callbacks: the
 * server name it asks for (SNI) and its certificate chain.
 *
 * One SSL_CTX per pki of a listener.  The first is the listener's
 * context; the others hang off it (ex_data) for the server name
 * callback, which moves a handshake to the context whose certificate
 * names the host the client asked for.  A context lives as long as a
 * session still uses it: a reload builds new ones and only drops our
 * reference to the old ones.
 *
 * No session cache and no session tickets: a ticket is encrypted with
 * a key that would live here, in the process that parses network
 * input, and whoever read that key could decrypt the resumption
 * secrets of every session it protects.  Mail clients seldom resume;
 * every handshake does one private key operation in ca instead.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "log.h"
#include "postern_limits.h"
#include "tls.h"

#define TLS_DEFAULT_CIPHERS	"HIGH:!aNULL:!MD5"

/* The contexts of a listener, for SNI: ex_data of the first, which is
 * sn_ctx[0]. */
struct tls_sni {
	size_t		 sn_n;
	SSL_CTX		*sn_ctx[CONF_MAX_LISTENER_PKI];
};

static int		  tls_sni_idx = -1;
static X509_STORE	 *tls_system_store;	/* `verify` without `ca` */
static SSL_CTX		**tls_ctxs;		/* by listener index */
static size_t		  tls_nctxs;

static void
tls_sni_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_sni	*sn = ptr;
	size_t		 i;

	if (sn == NULL)
		return;
	for (i = 1; i < sn->sn_n; i++)
		SSL_CTX_free(sn->sn_ctx[i]);
	free(sn);
}


/*
 * Before the chroot: OpenSSL reads its configuration file, loads the
 * default provider's algorithms and error strings, and seeds its
 * random generator; building a throw-away context fetches what a
 * server context needs.  The system's trust anchors are read for
 * listeners that verify client certificates without a `ca`.
 */
void
tls_init(int anchors)
{
	SSL_CTX	*ctx;

	if (tls_sni_idx != -1)
		return;
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
	    NULL) != 1)
		fatalx("tls_init: OPENSSL_init_ssl failed");
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatalx("tls_init: SSL_CTX_new failed");
	SSL_CTX_free(ctx);
	if ((tls_sni_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_sni_free)) == -1)
		fatalx("tls_init: SSL_CTX_get_ex_new_index failed");
	if (!anchors)
		return;
	/*
	 * The bundle file only, read in full now: a hashed directory
	 * lookup would open files at verification time, inside the chroot
	 * and against the system call filter.
	 */
	if ((tls_system_store = X509_STORE_new()) == NULL)
		fatalx("tls_init: X509_STORE_new failed");
	if (X509_STORE_load_file(tls_system_store,
	    X509_get_default_cert_file()) != 1)
		log_debug("tls_init: no system trust anchors in %s",
		    X509_get_default_cert_file());
	ERR_clear_error();
}

/* ------------------------------------------------------------------ */
/* Configuration strings */

int
tls_protocols_parse(const char *str, uint32_t *out)
{
	static const struct {
		const char	*name;
		uint32_t	 bits;
	} words[] = {
		{ "tlsv1.0", TLS_PROTO_TLSv1_0 },
		{ "tlsv1.1", TLS_PROTO_TLSv1_1 },
		{ "tlsv1.2", TLS_PROTO_TLSv1_2 },
		{ "tlsv1.3", TLS_PROTO_TLSv1_3 },
		{ "tlsv1", TLS_PROTO_ALL },
		{ "all", TLS_PROTO_ALL },
		{ "legacy", TLS_PROTO_ALL },
		{ "default", TLS_PROTO_DEFAULT },
		{ "secure", TLS_PROTO_DEFAULT },
	};
	const char	*p, *end;
	uint32_t	 set = 0, bits;
	size_t		 len, i;
	int		 neg;

	if (str == NULL) {
		*out = TLS_PROTO_DEFAULT;
		return 0;
	}
	for (p = str;; p = end + 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",:");
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if ((neg = len > 0 && *p == '!')) {
			p++;
			len--;
			/* "!tlsv1.0" alone starts from everything. */
			if (set == 0)
				set = TLS_PROTO_ALL;
		}
		bits = 0;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len &&
			    strncasecmp(words[i].name, p, len) == 0)
				bits = words[i].bits;
		if (bits == 0)
			return -1;
		set = neg ? set & ~bits : set | bits;
		if (*end == '\0')
			break;
	}
	if (set == 0)
		return -1;
	*out = set;
	return 0;
}

/*
 * The administrator's cipher list, less RSA key exchange: the key in
 * smtp is a proxy (tls_key.c) and OpenSSL 3.0 cannot run the TLS_RSA_*
 * suites through it, so offering them would make such a client fail in
 * the middle of the handshake instead of picking ECDHE or DHE, which
 * every TLS 1.2 client has.  (Those suites have no forward secrecy.)
 */
static int
tls_set_ciphers(SSL_CTX *ctx, const char *ciphers)
{
	char	buf[CONF_MAX_TOKEN + sizeof(":!kRSA")];
	int	n;

	n = snprintf(buf, sizeof(buf), "%s:!kRSA", ciphers);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return SSL_CTX_set_cipher_list(ctx, buf) == 1 ? 0 : -1;
}

int
tls_ciphers_check(const char *ciphers)
{
	SSL_CTX	*ctx;
	int	 ok;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return -1;
	ok = tls_set_ciphers(ctx, ciphers) == 0;
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* The OpenSSL reason of the last error, for a log line. */
static const char *
tls_error(void)
{
	static char	buf[256];
	unsigned long	e;

	if ((e = ERR_peek_last_error()) == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* Lowest and highest version, with the ones between that are off. */
static int
tls_set_protocols(SSL_CTX *ctx, uint32_t set)
{
	static const int	versions[] = { TLS1_VERSION, TLS1_1_VERSION,
				    TLS1_2_VERSION, TLS1_3_VERSION };
	static const uint64_t	nos[] = { SSL_OP_NO_TLSv1,
				    SSL_OP_NO_TLSv1_1, SSL_OP_NO_TLSv1_2,
				    SSL_OP_NO_TLSv1_3 };
	int			lo = -1, hi = -1, i;

	for (i = 0; i < 4; i++)
		if (set & (1U << i)) {
			if (lo == -1)
				lo = i;
			hi = i;
		}
	if (lo == -1 || SSL_CTX_set_min_proto_version(ctx, versions[lo]) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, versions[hi]) != 1)
		return -1;
	for (i = lo; i < hi; i++)
		if (!(set & (1U << i)))
			SSL_CTX_set_options(ctx, nos[i]);
	/*
	 * TLS 1.0 and 1.1 sign with SHA-1, which OpenSSL 3 allows only at
	 * security level 0: without this, asking for them would be a
	 * setting that does nothing.
	 */
	if (lo < 2)
		SSL_CTX_set_security_level(ctx, 0);
	return 0;
}

/* `dhe legacy`: the 1024-bit group of RFC 5114, allowed at level 1. */
static int
tls_set_dhe_legacy(SSL_CTX *ctx)
{
	EVP_PKEY_CTX	*pctx;
	EVP_PKEY	*dh = NULL;
	OSSL_PARAM	 params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)(uintptr_t)"dh_1024_160", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL)) == NULL)
		return -1;
	if (EVP_PKEY_fromdata_init(pctx) != 1 || EVP_PKEY_fromdata(pctx, &dh,
	    EVP_PKEY_KEY_PARAMETERS, params) != 1) {
		EVP_PKEY_CTX_free(pctx);
		return -1;
	}
	EVP_PKEY_CTX_free(pctx);
	if (SSL_CTX_get_security_level(ctx) > 1)
		SSL_CTX_set_security_level(ctx, 1);
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		return -1;
	}
	return 0;
}

/* The leaf, its chain, and the proxy key whose operations ca does. */
static int
tls_set_chain(SSL_CTX *ctx, const struct pki *pki)
{
	BIO		*bio;
	X509		*x;
	EVP_PKEY	*key;
	int		 n = 0, ret = -1;

	if (pki->pki_cert == NULL) {
		log_warnx("tls_set_chain: pki %s: no certificate",
		    pki->pki_name);
		return -1;
	}
	if ((bio = BIO_new_mem_buf(pki->pki_cert, (int)pki->pki_cert_len)) ==
	    NULL)
		fatalx("tls_set_chain: BIO_new_mem_buf failed");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (n++ == 0) {
			if (SSL_CTX_use_certificate(ctx, x) != 1) {
				X509_free(x);
				goto done;
			}
			key = tls_key_proxy(x);
			X509_free(x);
			if (key == NULL)
				goto done;
			if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
				EVP_PKEY_free(key);
				goto done;
			}
			EVP_PKEY_free(key);
		} else if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			goto done;
		}
	}
	/* The end of the PEM data is the "error" that ends the loop. */
	ERR_clear_error();
	if (n == 0) {
		log_warnx("tls_set_chain: pki %s: no certificate in the PEM "
		    "data", pki->pki_name);
		goto done;
	}
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto done;
	ret = 0;
done:
	BIO_free(bio);
	return ret;
}

/* Trust anchors for client certificates, and the names we ask for. */
static int
tls_set_ca(SSL_CTX *ctx, const struct ca *ca)
{
	X509_STORE		*store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME)	*names;
	X509_NAME		*name;
	BIO			*bio;
	X509			*x;
	int			 n = 0;

	if (ca->ca_cert == NULL)
		return -1;
	if ((names = sk_X509_NAME_new_null()) == NULL)
		fatalx("tls_set_ca: sk_X509_NAME_new_null failed");
	if ((bio = BIO_new_mem_buf(ca->ca_cert, (int)ca->ca_cert_len)) ==
	    NULL)
		fatalx("tls_set_ca: BIO_new_mem_buf failed");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		name = X509_NAME_dup(X509_get_subject_name(x));
		if (name == NULL || X509_STORE_add_cert(store, x) != 1 ||
		    sk_X509_NAME_push(names, name) <= 0) {
			X509_NAME_free(name);
			X509_free(x);
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			BIO_free(bio);
			return -1;
		}
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	return 0;
}

/*
 * Every certificate problem is recorded in the session (its verify
 * result) and the handshake goes on, unless the listener requires a
 * valid certificate: then OpenSSL's own verdict stands.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xctx)
{
	SSL	*ssl;

	ssl = X509_STORE_CTX_get_ex_data(xctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL &&
	    (SSL_get_verify_mode(ssl) & SSL_VERIFY_FAIL_IF_NO_PEER_CERT))
		return ok;
	return 1;
}

/* SNI: the first context whose certificate names the host asked for,
 * else the listener's first. */
static int
tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_sni	*sn;
	const char	*name;
	X509		*x;
	size_t		 i;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	sn = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_sni_idx);
	if (name == NULL || sn == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 0; i < sn->sn_n; i++) {
		if ((x = SSL_CTX_get0_certificate(sn->sn_ctx[i])) == NULL)
			continue;
		if (X509_check_host(x, name, strlen(name),
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1)
			continue;
		if (i > 0 && SSL_set_SSL_CTX(ssl, sn->sn_ctx[i]) == NULL)
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *
tls_ctx_new(const struct smtpd_config *conf, const struct listener *l,
    const struct pki *pki, uint32_t protos)
{
	static const unsigned char	 sid[] = "postern-smtp";
	SSL_CTX				*ctx;
	const char			*ciphers, *what;
	int				 mode;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatalx("tls_ctx_new: SSL_CTX_new failed");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	(void)SSL_CTX_set_num_tickets(ctx, 0);
	(void)SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);

	ciphers = l->l_ciphers != NULL ? l->l_ciphers :
	    conf->sc_smtp_ciphers != NULL ? conf->sc_smtp_ciphers :
	    TLS_DEFAULT_CIPHERS;
	what = "protocols";
	if (tls_set_protocols(ctx, protos) == -1)
		goto fail;
	what = "ciphers";
	if (tls_set_ciphers(ctx, ciphers) == -1)
		goto fail;
	what = "dhe";
	if (pki->pki_dhe == PKI_DHE_AUTO && SSL_CTX_set_dh_auto(ctx, 1) != 1)
		goto fail;
	if (pki->pki_dhe == PKI_DHE_LEGACY && tls_set_dhe_legacy(ctx) == -1)
		goto fail;
	what = "certificate and key";
	if (tls_set_chain(ctx, pki) == -1)
		goto fail;
	if (l->l_ca != NULL || (l->l_flags & L_TLS_VERIFY)) {
		what = "ca";
		if (l->l_ca != NULL && tls_set_ca(ctx, l->l_ca) == -1)
			goto fail;
		if (l->l_ca == NULL)
			SSL_CTX_set1_cert_store(ctx, tls_system_store);
		mode = SSL_VERIFY_PEER;
		if (l->l_flags & L_TLS_VERIFY)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_CTX_set_verify(ctx, mode, tls_verify_cb);
	}
	return ctx;
fail:
	log_warnx("tls_ctx_new: listener %s port %u, pki %s: bad %s: %s",
	    l->l_name, l->l_port, pki->pki_name, what, tls_error());
	SSL_CTX_free(ctx);
	return NULL;
}

/* The first pki's context, carrying the others for SNI. */
static SSL_CTX *
tls_listener_ctx(const struct smtpd_config *conf, const struct listener *l)
{
	struct tls_sni	*sn;
	uint32_t	 protos;
	size_t		 i;

	if (l->l_npki == 0 || l->l_npki > CONF_MAX_LISTENER_PKI ||
	    tls_protocols_parse(l->l_protocols, &protos) == -1) {
		log_warnx("tls_listener_ctx: listener %s port %u: no pki or "
		    "bad protocols", l->l_name, l->l_port);
		return NULL;
	}
	if ((sn = calloc(1, sizeof(*sn))) == NULL)
		fatal("tls_listener_ctx");
	for (i = 0; i < l->l_npki; i++) {
		if ((sn->sn_ctx[i] = tls_ctx_new(conf, l, l->l_pki[i],
		    protos)) == NULL) {
			while (i-- > 0)
				SSL_CTX_free(sn->sn_ctx[i]);
			free(sn);
			return NULL;
		}
		sn->sn_n++;
	}
	if (SSL_CTX_set_ex_data(sn->sn_ctx[0], tls_sni_idx, sn) != 1)
		fatalx("tls_listener_ctx: SSL_CTX_set_ex_data failed");
	if (sn->sn_n > 1)
		SSL_CTX_set_tlsext_servername_callback(sn->sn_ctx[0],
		    tls_servername_cb);
	return sn->sn_ctx[0];
}

void
tls_server_config(const struct smtpd_config *conf)
{
	const struct listener	*l;
	SSL_CTX			**ctxs;
	size_t			  n = 0, i;

	if (tls_sni_idx == -1)
		fatalx("tls_server_config: tls_init was not called");
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry)
		n++;
	if ((ctxs = calloc(n > 0 ? n : 1, sizeof(*ctxs))) == NULL)
		fatal("tls_server_config");
	i = 0;
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (l->l_flags & (L_TLS | L_SMTPS))
			ctxs[i] = tls_listener_ctx(conf, l);
		if ((l->l_flags & (L_TLS | L_SMTPS)) && ctxs[i] == NULL)
			log_warnx("tls_server_config: listener %s port %u "
			    "serves without TLS", l->l_name, l->l_port);
		i++;
	}
	for (i = 0; i < tls_nctxs; i++)
		SSL_CTX_free(tls_ctxs[i]);
	free(tls_ctxs);
	tls_ctxs = ctxs;
	tls_nctxs = n;
}

SSL_CTX *
tls_server_ctx(uint32_t lindex)
{
	return lindex < tls_nctxs ? tls_ctxs[lindex] : NULL;
}

/* ------------------------------------------------------------------ */
/* A finished handshake */

int
tls_peer_verified(SSL *ssl)
{
	return SSL_get0_peer_certificate(ssl) != NULL &&
	    SSL_get_verify_result(ssl) == X509_V_OK;
}

void
tls_describe(SSL *ssl, char *buf, size_t len)
{
	const char	*verify;

	if (SSL_get0_peer_certificate(ssl) == NULL)
		verify = "NO";
	else
		verify = tls_peer_verified(ssl) ? "YES" : "FAIL";
	(void)snprintf(buf, len, "%s:%s:%d:%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), SSL_get_cipher_bits(ssl, NULL), verify);
}
