/*
 * Unit tests of tls_check_pair() (tls_check.c): the parse-time check
 * that a pki's certificate chain and key load and belong together.
 * Keys and self-signed certificates are made here with the OpenSSL API
 * (RSA 2048, EC P-256, Ed25519), so nothing is read from disk.
 */
#include <sys/types.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "postern_limits.h"
#include "tls.h"
#include "../test_conf.h"

static int
check(const struct test_pem *c, const struct test_pem *k, char *err, size_t len)
{
	return tls_check_pair(c->p, c->len, k->p, k->len, err, len);
}

#define CHECK_FAILS(c, k, what) do {					\
	char	 e_[256];						\
	ATF_CHECK_EQ(check((c), (k), e_, sizeof(e_)), -1);		\
	ATF_CHECK_MSG(strstr(e_, (what)) != NULL,			\
	    "error \"%s\" does not say \"%s\"", e_, (what));		\
} while (0)

ATF_TC_WITHOUT_HEAD(match);
ATF_TC_BODY(match, tc)
{
	const char	*types[] = { "RSA", "EC" };
	EVP_PKEY	*k;
	struct test_pem	 c, kp;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		k = test_key_new(types[i]);
		test_cert_pem(k, "mx.example.org", &c);
		test_key_pem(k, NULL, &kp);
		ATF_CHECK_EQ_MSG(check(&c, &kp, err, sizeof(err)), 0,
		    "%s: %s", types[i], err);
		ATF_CHECK_STREQ(err, "");
		free(c.p);
		free(kp.p);
		EVP_PKEY_free(k);
	}
}

ATF_TC_WITHOUT_HEAD(mismatch);
ATF_TC_BODY(mismatch, tc)
{
	EVP_PKEY	*rsa1, *rsa2, *ec1, *ec2;
	struct test_pem	 c_rsa1, c_ec1, k_rsa2, k_ec2, k_ec1;

	rsa1 = test_key_new("RSA");
	rsa2 = test_key_new("RSA");
	ec1 = test_key_new("EC");
	ec2 = test_key_new("EC");
	test_cert_pem(rsa1, "a", &c_rsa1);
	test_cert_pem(ec1, "b", &c_ec1);
	test_key_pem(rsa2, NULL, &k_rsa2);
	test_key_pem(ec2, NULL, &k_ec2);
	test_key_pem(ec1, NULL, &k_ec1);
	CHECK_FAILS(&c_rsa1, &k_rsa2, "certificate and key do not match");
	CHECK_FAILS(&c_ec1, &k_ec2, "certificate and key do not match");
	CHECK_FAILS(&c_rsa1, &k_ec1, "certificate and key do not match");
	CHECK_FAILS(&c_ec1, &k_rsa2, "certificate and key do not match");
	free(c_rsa1.p);
	free(c_ec1.p);
	free(k_rsa2.p);
	free(k_ec2.p);
	free(k_ec1.p);
	EVP_PKEY_free(rsa1);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ec1);
	EVP_PKEY_free(ec2);
}

ATF_TC_WITHOUT_HEAD(garbage);
ATF_TC_BODY(garbage, tc)
{
	EVP_PKEY	*k;
	struct test_pem	 c, kp, g, pg;
	char		 buf[4096];
	size_t		 i;

	k = test_key_new("EC");
	test_cert_pem(k, "mx", &c);
	test_key_pem(k, NULL, &kp);
	/* not PEM at all, and PEM armour around garbage */
	g.p = (char *)(uintptr_t)"hello, this is not a key\n";
	g.len = strlen(g.p);
	CHECK_FAILS(&c, &g, "the key does not parse");
	CHECK_FAILS(&g, &kp, "the certificate does not parse");
	pg.p = (char *)(uintptr_t)"-----BEGIN PRIVATE KEY-----\n"
	    "bm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n";
	pg.len = strlen(pg.p);
	CHECK_FAILS(&c, &pg, "the key does not parse");
	pg.p = (char *)(uintptr_t)"-----BEGIN CERTIFICATE-----\n"
	    "!!!!\n-----END CERTIFICATE-----\n";
	pg.len = strlen(pg.p);
	CHECK_FAILS(&pg, &kp, "the certificate does not parse");
	/* binary junk, NUL bytes included */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 131 + 7);
	g.p = buf;
	g.len = sizeof(buf);
	CHECK_FAILS(&c, &g, "the key does not parse");
	CHECK_FAILS(&g, &kp, "the certificate does not parse");
	/* a key where the certificate should be and the other way round */
	CHECK_FAILS(&kp, &kp, "the certificate does not parse");
	CHECK_FAILS(&c, &c, "the key does not parse");
	free(c.p);
	free(kp.p);
	EVP_PKEY_free(k);
}

ATF_TC_WITHOUT_HEAD(truncated);
ATF_TC_BODY(truncated, tc)
{
	EVP_PKEY	*k;
	struct test_pem	 c, kp, t;

	k = test_key_new("RSA");
	test_cert_pem(k, "mx", &c);
	test_key_pem(k, NULL, &kp);
	t = kp;
	t.len = kp.len / 2;
	CHECK_FAILS(&c, &t, "the key does not parse");
	/* the END line only is missing */
	t.len = (size_t)(strstr(kp.p, "-----END") - kp.p);
	CHECK_FAILS(&c, &t, "the key does not parse");
	t = c;
	t.len = c.len / 2;
	CHECK_FAILS(&t, &kp, "the certificate does not parse");
	t.len = 1;
	CHECK_FAILS(&t, &kp, "the certificate does not parse");
	t.len = 0;
	CHECK_FAILS(&t, &kp, "no certificate or no key");
	free(c.p);
	free(kp.p);
	EVP_PKEY_free(k);
}

ATF_TC_WITHOUT_HEAD(oversized);
ATF_TC_BODY(oversized, tc)
{
	EVP_PKEY	*k;
	struct test_pem	 c, kp, big;

	k = test_key_new("EC");
	test_cert_pem(k, "mx", &c);
	test_key_pem(k, NULL, &kp);
	/* a valid key followed by padding past the limit */
	big.len = CONF_MAX_PEM + 1;
	ATF_REQUIRE((big.p = malloc(big.len)) != NULL);
	memset(big.p, '\n', big.len);
	memcpy(big.p, kp.p, kp.len);
	CHECK_FAILS(&c, &big, "the key is too large");
	memset(big.p, '\n', big.len);
	memcpy(big.p, c.p, c.len);
	CHECK_FAILS(&big, &kp, "the certificate is too large");
	/* at the limit it is fine */
	big.len = CONF_MAX_PEM;
	ATF_CHECK_EQ(check(&big, &kp, NULL, 0), 0);
	free(big.p);
	free(c.p);
	free(kp.p);
	EVP_PKEY_free(k);
}

ATF_TC_WITHOUT_HEAD(encrypted);
ATF_TC_BODY(encrypted, tc)
{
	EVP_PKEY	*k;
	struct test_pem	 c, kp;

	k = test_key_new("RSA");
	test_cert_pem(k, "mx", &c);
	test_key_pem(k, "secret", &kp);
	CHECK_FAILS(&c, &kp, "the key is encrypted");
	free(c.p);
	free(kp.p);
	EVP_PKEY_free(k);
}

ATF_TC_WITHOUT_HEAD(key_type);
ATF_TC_BODY(key_type, tc)
{
	EVP_PKEY	*k;
	struct test_pem	 c, kp;

	k = test_key_new("ED25519");
	test_cert_pem(k, "mx", &c);
	test_key_pem(k, NULL, &kp);
	CHECK_FAILS(&c, &kp, "unsupported key type ED25519");
	free(c.p);
	free(kp.p);
	EVP_PKEY_free(k);
}

ATF_TC_WITHOUT_HEAD(chain);
ATF_TC_BODY(chain, tc)
{
	EVP_PKEY	*k, *k2;
	struct test_pem	 c, c2, kp, ch;
	char		 err[256];

	k = test_key_new("EC");
	k2 = test_key_new("EC");
	test_cert_pem(k, "leaf", &c);
	test_cert_pem(k2, "issuer", &c2);
	test_key_pem(k, NULL, &kp);
	ATF_REQUIRE((ch.p = malloc(c.len + c2.len + 64)) != NULL);
	/* leaf first, then another certificate: fine */
	memcpy(ch.p, c.p, c.len);
	memcpy(ch.p + c.len, c2.p, c2.len);
	ch.len = c.len + c2.len;
	ATF_CHECK_EQ_MSG(check(&ch, &kp, err, sizeof(err)), 0, "%s", err);
	/* the key must be the first certificate's */
	memcpy(ch.p, c2.p, c2.len);
	memcpy(ch.p + c2.len, c.p, c.len);
	CHECK_FAILS(&ch, &kp, "certificate and key do not match");
	/* a broken second certificate */
	memcpy(ch.p, c.p, c.len);
	ch.len = c.len;
	ch.len += (size_t)snprintf(ch.p + c.len, 64, "%s",
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	CHECK_FAILS(&ch, &kp, "certificate 2 of the chain does not parse");
	free(ch.p);
	free(c.p);
	free(c2.p);
	free(kp.p);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

ATF_TC_WITHOUT_HEAD(small_err);
ATF_TC_BODY(small_err, tc)
{
	struct test_pem	 g = { (char *)(uintptr_t)"x", 1 };
	char		 err[8];

	memset(err, 'z', sizeof(err));
	ATF_CHECK_EQ(check(&g, &g, err, sizeof(err)), -1);
	ATF_CHECK_EQ(strlen(err), sizeof(err) - 1);
	ATF_CHECK_EQ(check(&g, &g, NULL, 0), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, match);
	ATF_TP_ADD_TC(tp, mismatch);
	ATF_TP_ADD_TC(tp, garbage);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, oversized);
	ATF_TP_ADD_TC(tp, encrypted);
	ATF_TP_ADD_TC(tp, key_type);
	ATF_TP_ADD_TC(tp, chain);
	ATF_TP_ADD_TC(tp, small_err);
	return atf_no_error();
}
