/*
 * Helpers for atf-c unit tests that need files in the test's work
 * directory or a parsed configuration (linked into every unit test).
 */
#ifndef POSTERN_TEST_CONF_H
#define POSTERN_TEST_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct smtpd_config;

/* Write text to path (created or truncated); fails the test if not. */
void	test_write_file(const char *path, const char *text);

/* Parse text as smtpd.conf (written to t.conf in the work directory)
 * without reading pki files or resolving names; fails the test with
 * the parser's errors if it does not parse. */
struct smtpd_config *test_conf_parse(const char *text);

/*
 * TLS material made in memory with the OpenSSL API: a fresh key ("RSA"
 * 2048, "EC" P-256, or any type name EVP_PKEY_Q_keygen takes), a
 * self-signed certificate for it, and the key in PEM (PKCS#8, encrypted
 * with pass when not NULL).  The PEM texts are malloc'd.
 */
/* A PEM text in memory. */
struct test_pem {
	char	*p;
	size_t	 len;
};

EVP_PKEY	*test_key_new(const char *type);
void		 test_cert_pem(EVP_PKEY *, const char *cn, struct test_pem *);
void		 test_key_pem(EVP_PKEY *, const char *pass, struct test_pem *);

/*
 * Collector for the output callbacks of the stream decoders
 * (smtp_data, smtp_header): test_sink_collect() appends to s_buf and
 * fails (-1) the call that would pass s_fail_at bytes in total, never
 * when s_fail_at is -1 (test_sink_init() sets that).
 */
struct test_sink {
	char	*s_buf;
	size_t	 s_len;
	size_t	 s_cap;
	long	 s_fail_at;
	size_t	 s_calls;
};

void		 test_sink_init(struct test_sink *);
int		 test_sink_collect(void *arg, const char *p, size_t n);

/*
 * The size of the next piece when an input is fed in pieces, at most
 * left: cut 0 all at once, 1 one byte at a time, otherwise
 * pseudo-random sizes from the state *x (seed it with
 * test_piece_seed(cut)).
 */
uint32_t	 test_piece_seed(uint32_t cut);
size_t		 test_piece(uint32_t cut, uint32_t *x, size_t left);

#endif
