/*
 * Helpers for atf-c unit tests that need files in the test's work
 * directory or a parsed configuration (linked into every unit test).
 */
#ifndef POSTERN_TEST_CONF_H
#define POSTERN_TEST_CONF_H

struct smtpd_config;

/* Write text to path (created or truncated); fails the test if not. */
void	test_write_file(const char *path, const char *text);

/* Parse text as smtpd.conf (written to t.conf in the work directory)
 * without reading pki files or resolving names; fails the test with
 * the parser's errors if it does not parse. */
struct smtpd_config *test_conf_parse(const char *text);

#endif
