/*
 * smtpd.conf: pki and ca declarations, and the host name checks the
 * listen and action statements share.
 * Runs in the parent (as root) at start and on SIGHUP, and in `smtpd -n`,
 * called from the grammar in parse.y; talks to no peer.
 *
 * Certificates and keys are read here, so key files are checked for
 * ownership and mode before they are opened; once the whole file is
 * parsed, parse_pki_check() makes sure that every pki has both and that
 * they belong together (tls_check.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "postern_limits.h"
#include "parse_internal.h"
#include "tls.h"

int
parse_hostname_ok(const char *s)
{
	if (strcmp(s, "*") == 0)
		return 1;
	if (*s == '\0' || strlen(s) > CONF_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._*", *s) == NULL)
			return 0;
	return 1;
}

/* An SMTP address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]": a
 * server name or an EHLO argument may be one (RFC 5321, 4.1.3). */
int
parse_addr_literal_ok(const char *s)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr	 in6;
	struct in_addr	 in4;
	size_t		 len;

	len = strlen(s);
	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, buf + 5, &in6) == 1;
	return inet_pton(AF_INET, buf, &in4) == 1;
}

/* Read a PEM file whole.  A secret file must be a regular file owned by
 * root or us with no group or other access. */
static int
read_pem(const char *path, const char *what, int secret, char **out,
    size_t *outlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		parse_error("cannot open %s file %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		parse_error("%s file %s is not a regular file", what, path);
		goto fail;
	}
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		parse_error("%s file %s is accessible by group or others "
		    "(mode %04o)", what, path,
		    (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	if (secret && st.st_uid != 0 && st.st_uid != geteuid()) {
		parse_error("%s file %s: owner is neither root nor the current "
		    "user", what, path);
		goto fail;
	}
	if (st.st_size > CONF_MAX_PEM) {
		parse_error("%s file %s is too large (more than %d bytes)",
		    what, path, CONF_MAX_PEM);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		parse_nomem();
		goto fail;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	if (off == 0 || strstr(buf, "-----BEGIN ") == NULL ||
	    strlen(buf) != off) {
		parse_error("%s file %s is not in PEM format", what, path);
		freezero(buf, off + 1);
		return -1;
	}
	*out = buf;
	*outlen = off;
	return 0;
fail:
	close(fd);
	return -1;
}

void
parse_pki_begin(const char *name)
{
	struct pki		*p;
	struct pki_origin	*po;
	char			*lc;
	size_t			 i;

	ps.pki = NULL;
	if (!parse_hostname_ok(name)) {
		parse_error("not a valid domain name: %s", name);
		return;
	}
	lc = parse_strdup(name);
	for (i = 0; lc[i] != '\0'; i++)
		lc[i] = (char)tolower((unsigned char)lc[i]);
	if ((p = config_pki_find(ps.conf, lc)) != NULL) {
		ps.pki = p;
		return;
	}
	po = reallocarray(ps.pki_origins, ps.npki_origins + 1, sizeof(*po));
	if (po == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		if (po != NULL)
			ps.pki_origins = po;
		parse_nomem();
		return;
	}
	ps.pki_origins = po;
	if ((p->pki_name = parse_xstrdup(lc)) == NULL) {
		free(p);
		return;
	}
	p->pki_line = ps.tok_line;
	TAILQ_INSERT_TAIL(&ps.conf->sc_pkis, p, pki_entry);
	po[ps.npki_origins].po_pki = p;
	po[ps.npki_origins].po_file = parse_file_name();
	po[ps.npki_origins].po_line = ps.tok_line;
	ps.npki_origins++;
	ps.pki = p;
}

void
parse_pki_cert(const char *file)
{
	struct pki	*p = ps.pki;

	if (p == NULL)
		return;
	if (p->pki_cert_file != NULL) {
		parse_error("certificate already specified for pki %s",
		    p->pki_name);
		return;
	}
	p->pki_cert_file = parse_xstrdup(file);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "certificate", 0, &p->pki_cert,
		    &p->pki_cert_len);
}

void
parse_pki_key(const char *file)
{
	struct pki	*p = ps.pki;

	if (p == NULL)
		return;
	if (p->pki_key_file != NULL) {
		parse_error("key already specified for pki %s", p->pki_name);
		return;
	}
	p->pki_key_file = parse_xstrdup(file);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "key", 1, &p->pki_key, &p->pki_key_len);
}

void
parse_pki_dhe(const char *s)
{
	struct pki	*p = ps.pki;
	enum pki_dhe	 d;

	if (strcasecmp(s, "none") == 0)
		d = PKI_DHE_NONE;
	else if (strcasecmp(s, "auto") == 0)
		d = PKI_DHE_AUTO;
	else if (strcasecmp(s, "legacy") == 0)
		d = PKI_DHE_LEGACY;
	else {
		parse_error("invalid DHE keyword: %s", s);
		return;
	}
	if (p != NULL)
		p->pki_dhe = d;
}

void
parse_ca_decl(const char *name, const char *file)
{
	struct ca	*c;

	if (!parse_hostname_ok(name)) {
		parse_error("not a valid domain name: %s", name);
		return;
	}
	if (config_ca_find(ps.conf, name) != NULL) {
		parse_error("ca already defined: %s", name);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		parse_nomem();
		return;
	}
	if ((c->ca_name = parse_xstrdup(name)) == NULL) {
		free(c);
		return;
	}
	c->ca_cert_file = parse_xstrdup(file);
	c->ca_line = ps.tok_line;
	TAILQ_INSERT_TAIL(&ps.conf->sc_cas, c, ca_entry);
	if (!ps.opts->co_no_files)
		(void)read_pem(file, "ca certificate", 0, &c->ca_cert,
		    &c->ca_cert_len);
}

/*
 * End of parse: each pki needs a certificate and a key, and they must
 * load and match.  Reported at the pki's first line: its cert and key
 * may be given on separate statements.
 */
void
parse_pki_check(void)
{
	struct pki_origin	*po;
	struct pki		*p;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < ps.npki_origins; i++) {
		po = &ps.pki_origins[i];
		p = po->po_pki;
		if (p->pki_cert_file == NULL)
			parse_error_file(po->po_file, po->po_line,
			    "pki %s: no certificate specified", p->pki_name);
		if (p->pki_key_file == NULL)
			parse_error_file(po->po_file, po->po_line,
			    "pki %s: no key specified", p->pki_name);
		/* NULL when not read (-n with files off, or an error
		 * already reported) */
		if (p->pki_cert == NULL || p->pki_key == NULL)
			continue;
		if (tls_check_pair(p->pki_cert, p->pki_cert_len, p->pki_key,
		    p->pki_key_len, err, sizeof(err)) == -1)
			parse_error_file(po->po_file, po->po_line, "pki %s: %s",
			    p->pki_name, err);
	}
}
