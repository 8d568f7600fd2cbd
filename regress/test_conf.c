/*
 * Helpers for atf-c unit tests: files in the work directory and a
 * configuration parsed from a string (see test_conf.h).  Test code
 * only; runs in the test program, trusts its input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "test_conf.h"

void
test_write_file(const char *path, const char *text)
{
	FILE	*fp;

	ATF_REQUIRE_MSG((fp = fopen(path, "w")) != NULL, "cannot write %s",
	    path);
	fputs(text, fp);
	ATF_REQUIRE(fclose(fp) == 0);
}

struct smtpd_config *
test_conf_parse(const char *text)
{
	struct config_opts	 o;
	struct smtpd_config	*c;
	char			*errs = NULL;
	size_t			 len = 0;
	FILE			*err;

	test_write_file("t.conf", text);
	config_opts_init(&o);
	o.co_no_files = 1;
	o.co_no_resolve = 1;
	ATF_REQUIRE((err = open_memstream(&errs, &len)) != NULL);
	o.co_err = err;
	c = config_parse("t.conf", &o);
	fclose(err);
	config_opts_clear(&o);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	free(errs);
	return c;
}

static void
test_pem_take(BIO *bio, struct test_pem *out)
{
	char	*data;
	long	 n;

	n = BIO_get_mem_data(bio, &data);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE((out->p = malloc((size_t)n + 1)) != NULL);
	memcpy(out->p, data, (size_t)n);
	out->p[n] = '\0';
	out->len = (size_t)n;
	BIO_free(bio);
}

EVP_PKEY *
test_key_new(const char *type)
{
	EVP_PKEY	*k;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	ATF_REQUIRE_MSG(k != NULL, "cannot make a %s key", type);
	return k;
}

/* A self-signed certificate for k, in PEM. */
void
test_cert_pem(EVP_PKEY *k, const char *cn, struct test_pem *out)
{
	X509		*x;
	X509_NAME	*name;
	BIO		*bio;
	const EVP_MD	*md;

	ATF_REQUIRE((x = X509_new()) != NULL);
	ATF_REQUIRE(X509_set_version(x, 2) == 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	ATF_REQUIRE(X509_set_pubkey(x, k) == 1);
	name = X509_get_subject_name(x);
	ATF_REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) == 1);
	ATF_REQUIRE(X509_set_issuer_name(x, name) == 1);
	md = EVP_PKEY_is_a(k, "ED25519") ? NULL : EVP_sha256();
	ATF_REQUIRE(X509_sign(x, k, md) > 0);
	ATF_REQUIRE((bio = BIO_new(BIO_s_mem())) != NULL);
	ATF_REQUIRE(PEM_write_bio_X509(bio, x) == 1);
	X509_free(x);
	test_pem_take(bio, out);
}

/* The private key in PEM (PKCS#8), encrypted when pass is not NULL. */
void
test_key_pem(EVP_PKEY *k, const char *pass, struct test_pem *out)
{
	BIO	*bio;

	ATF_REQUIRE((bio = BIO_new(BIO_s_mem())) != NULL);
	ATF_REQUIRE(PEM_write_bio_PrivateKey(bio, k,
	    pass != NULL ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
	    (void *)(uintptr_t)pass) == 1);
	test_pem_take(bio, out);
}

void
test_sink_init(struct test_sink *s)
{
	memset(s, 0, sizeof(*s));
	s->s_fail_at = -1;
}

int
test_sink_collect(void *arg, const char *p, size_t n)
{
	struct test_sink	*s = arg;
	char			*nb;

	ATF_REQUIRE(n > 0);
	s->s_calls++;
	if (s->s_fail_at >= 0 && s->s_len + n > (size_t)s->s_fail_at)
		return -1;
	if (s->s_len + n > s->s_cap) {
		s->s_cap = (s->s_len + n) * 2;
		nb = realloc(s->s_buf, s->s_cap);
		ATF_REQUIRE(nb != NULL);
		s->s_buf = nb;
	}
	memcpy(s->s_buf + s->s_len, p, n);
	s->s_len += n;
	return 0;
}

uint32_t
test_piece_seed(uint32_t cut)
{
	return cut * 2654435761U + 1;
}

/* xorshift32 */
static uint32_t
test_rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

size_t
test_piece(uint32_t cut, uint32_t *x, size_t left)
{
	size_t	n;

	if (cut == 0)
		n = left;
	else if (cut == 1)
		n = 1;
	else if (test_rnd(x) % 8 == 0)
		n = test_rnd(x) % 5000;
	else
		n = test_rnd(x) % 7;
	return n > left ? left : n;
}
