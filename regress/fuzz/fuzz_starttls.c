/*
 * libFuzzer target for the STARTTLS transition of the smtp process
 * (src/smtpd/smtp_tls.c, smtp_session.c, smtp_command.c, tls.c).  The
 * real smtp role runs inside the fuzzer: its listener on 127.0.0.1, its
 * sessions, its event loop (pumped between the client's steps), and the
 * listener's TLS context built by tls.c from a configuration.  Only the
 * private key differs: the fuzzer generates an ECDSA key at start and
 * puts it in the context in place of the proxy key, whose operations
 * would go to a ca process that does not exist here (the fuzzer is not
 * smtp and may hold a key).
 *
 * Each input is one session: the client writes "EHLO x\r\nSTARTTLS\r\n"
 * followed by the plaintext part of the input in one write, then either
 * completes a TLS handshake and says EHLO and QUIT inside it, or sends
 * the rest of the input raw in place of a ClientHello.  Checked, so that
 * no plaintext byte after STARTTLS is ever interpreted (CVE-2011-0411):
 * the replies before the handshake are exactly EHLO's and the 220; no
 * plaintext follows the 220; inside TLS the first reply is the answer to
 * the client's own EHLO, then 221 to QUIT; raw bytes never get an SMTP
 * reply.  An injected command that ran would also reach the queue or lka
 * channel, which does not exist: fatal, and found.  The session must end
 * every time (a later greeting that is not 220 means sessions leaked).
 *
 * Input: byte 0: bit 0 raw bytes instead of a handshake, bit 1 the
 * client stops at TLS 1.2; byte 1: how many of the following bytes are
 * the plaintext part (scaled to the input); the rest is the raw part.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "proc_internal.h"
#include "smtp.h"
#include "tls.h"

#define PUMP_MAX	20000	/* loop turns before giving up */
#define REPLY_MAX	8192

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct event_base	*base;
static struct sockaddr_in	 addr;
static SSL_CTX			*client_ctx;

static void
lost(enum proc_id peer)
{
	abort();
}

/* A self-signed P-256 certificate for CN fuzz.test, and its key. */
static char *
make_cert(EVP_PKEY **keyp)
{
	EVP_PKEY	*key;
	X509		*x;
	X509_NAME	*name;
	BIO		*bio;
	BUF_MEM		*mem;
	char		*pem;

	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		abort();
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, x) != 1)
		abort();
	BIO_get_mem_ptr(bio, &mem);
	if ((pem = strndup(mem->data, mem->length)) == NULL)
		abort();
	BIO_free(bio);
	X509_free(x);
	*keyp = key;
	return pem;
}

static struct smtpd_config *
make_config(const char *pem, uint32_t *lindex)
{
	static const char	 text[] =
	    "pki fuzz.test cert \"/nonexistent.crt\" key \"/nonexistent.key\"\n"
	    "listen on 127.0.0.1 port 25 tls pki fuzz.test\n"
	    "action \"local\" maildir\n"
	    "match from local for local action \"local\"\n";
	struct config_opts	 o;
	struct smtpd_config	*conf;
	struct listener		*l;
	struct pki		*p;
	char			 path[] = "/tmp/fuzz_starttls.XXXXXX";
	uint32_t		 i = 0;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		abort();
	close(fd);
	config_opts_init(&o);
	o.co_no_files = 1;
	o.co_no_resolve = 1;
	conf = config_parse(path, &o);
	config_opts_clear(&o);
	unlink(path);
	if (conf == NULL || (p = config_pki_find(conf, "fuzz.test")) == NULL)
		abort();
	if ((p->pki_cert = strdup(pem)) == NULL)
		abort();
	p->pki_cert_len = strlen(pem);
	TAILQ_FOREACH(l, &conf->sc_listeners, l_entry) {
		if (l->l_flags & L_TLS)
			break;
		i++;
	}
	if (l == NULL)
		abort();
	*lindex = i;
	return conf;
}

/* The parent's IMSG_PARENT_LISTENER and LISTENERS_DONE, by hand. */
static void
give_listener(uint32_t idx, int fd)
{
	const struct proc_peer	*pp;
	struct ipc_msg		 msg;
	struct msg_out		 mo;

	for (pp = smtp_role.ro_peers; pp->pp_dispatch != NULL; pp++)
		if (pp->pp_peer == PROC_PARENT)
			break;
	if (pp->pp_dispatch == NULL)
		abort();
	m_init(&mo);
	m_add_u32(&mo, idx);
	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = IMSG_PARENT_LISTENER;
	msg.data = m_data(&mo);
	msg.datalen = m_len(&mo);
	msg.fd = fd;
	pp->pp_dispatch(&msg);
	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = IMSG_PARENT_LISTENERS_DONE;
	msg.fd = -1;
	pp->pp_dispatch(&msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct smtpd_config	*conf;
	EVP_PKEY		*key;
	SSL_CTX			*ctx;
	socklen_t		 len = sizeof(addr);
	uint32_t		 idx;
	char			*pem;
	int			 fd, on = 1;

	log_init(1, 0);
	log_procname("smtp");
	tls_init(1);
	if ((base = event_base_new()) == NULL)
		abort();
	proc_set_self(PROC_SMTP, &smtp_role, lost, base);
	pem = make_cert(&key);
	conf = make_config(pem, &idx);
	free(pem);
	proc_config_install(conf);
	smtp_role.ro_init();
	smtp_role.ro_config();
	if ((ctx = tls_server_ctx(idx)) == NULL ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		abort();
	EVP_PKEY_free(key);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) == -1)
		abort();
	give_listener(idx, fd);

	if ((client_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		abort();
	SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
	return 0;
}

/* One turn of the server's loop, and a look at the client's socket. */
static void
pump(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	event_base_loop(base, EVLOOP_NONBLOCK);
	(void)poll(&pfd, 1, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Plaintext up to and including a final reply line ("NNN "); the
 * length, 0 on EOF or when nothing comes. */
static size_t
read_reply(int fd, char *buf, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;
	char	*last;
	int	 i;

	for (i = 0; i < PUMP_MAX && len < size - 1; i++) {
		n = recv(fd, buf + len, 1, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno != EAGAIN)
				break;
			pump(fd);
			continue;
		}
		len++;
		buf[len] = '\0';
		if (buf[len - 1] != '\n')
			continue;
		last = buf + len - 2;
		while (last > buf && last[-1] != '\n')
			last--;
		if (strlen(last) >= 4 && last[3] == ' ')
			return len;
		i = 0;
	}
	return 0;
}

/* What the server sends within a few turns after the 220. */
static ssize_t
peek_more(int fd, unsigned char *c)
{
	ssize_t	n = -1;
	int	i;

	for (i = 0; i < 20; i++) {
		pump(fd);
		n = recv(fd, c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n >= 0)
			return n;
	}
	return n;
}

static void
send_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;
	int		 i = 0;

	while (len > 0 && i++ < PUMP_MAX) {
		n = send(fd, b, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			b += n;
			len -= (size_t)n;
		} else if (n == -1 && errno != EAGAIN)
			return;
		pump(fd);
	}
}

/* Wait for the server to end the session, so that it is freed. */
static void
finish(int fd, SSL *ssl)
{
	char	buf[512];
	int	i;

	if (ssl != NULL)
		SSL_free(ssl);
	(void)shutdown(fd, SHUT_WR);
	for (i = 0; i < PUMP_MAX; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n == -1 && errno != EAGAIN))
			break;
		pump(fd);
	}
	close(fd);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ERR_clear_error();
}

/* Drive SSL_connect, SSL_read or SSL_write with the loop turning. */
static int
tls_step(SSL *ssl, int fd, int op, void *buf, int len)
{
	int	i, r = -1, e;

	for (i = 0; i < PUMP_MAX; i++) {
		if (op == 0)
			r = SSL_connect(ssl);
		else if (op == 1)
			r = SSL_read(ssl, buf, len);
		else
			r = SSL_write(ssl, buf, len);
		if (r > 0)
			return r;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -1;
		pump(fd);
	}
	return -1;
}

/* A whole reply inside TLS; its length, 0 when it does not come. */
static size_t
tls_reply(SSL *ssl, int fd, char *buf, size_t size)
{
	size_t	 len = 0;
	char	*last;
	int	 n;

	while (len < size - 1) {
		if ((n = tls_step(ssl, fd, 1, buf + len,
		    (int)(size - 1 - len))) <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (buf[len - 1] != '\n')
			continue;
		last = buf + len - 2;
		while (last > buf && last[-1] != '\n')
			last--;
		if (strlen(last) >= 4 && last[3] == ' ')
			return len;
	}
	return 0;
}

static int
ends_with(const char *buf, size_t len, const char *tail)
{
	size_t	n = strlen(tail);

	return len >= n && memcmp(buf + len - n, tail, n) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 hello[] = "EHLO x\r\nSTARTTLS\r\n";
	char			 buf[REPLY_MAX];
	uint8_t			*out;
	const uint8_t		*raw;
	unsigned char		 c;
	size_t			 nplain, nraw, n;
	SSL			*ssl = NULL;
	int			 fd, mode, on = 1;

	if (size < 2 || size > 65536)
		return 0;
	mode = data[0];
	nplain = (size - 2) * data[1] / 255;
	raw = data + 2 + nplain;
	nraw = size - 2 - nplain;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		abort();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 &&
	    errno != EINPROGRESS)
		abort();
	/* The greeting: anything else means earlier sessions live on. */
	if (read_reply(fd, buf, sizeof(buf)) == 0 || strncmp(buf, "220 ", 4))
		abort();

	/* EHLO, STARTTLS and the plaintext part in one write. */
	if ((out = malloc(sizeof(hello) - 1 + nplain)) == NULL)
		abort();
	memcpy(out, hello, sizeof(hello) - 1);
	memcpy(out + sizeof(hello) - 1, data + 2, nplain);
	send_all(fd, out, sizeof(hello) - 1 + nplain);
	free(out);
	if ((n = read_reply(fd, buf, sizeof(buf))) == 0 ||
	    strncmp(buf, "250-", 4) != 0 ||
	    !ends_with(buf, n, "\r\n250 HELP\r\n"))
		abort();
	if (read_reply(fd, buf, sizeof(buf)) == 0 ||
	    strcmp(buf, "220 2.0.0 Ready to start TLS\r\n") != 0)
		abort();
	/* After the 220: nothing, EOF, or a TLS alert when bytes the
	 * server had not read yet went to its TLS layer.  Never text. */
	if (peek_more(fd, &c) == 1 && c != 0x15)
		abort();

	if (mode & 1) {
		send_all(fd, raw, nraw);
		if (peek_more(fd, &c) == 1 && (c < 0x14 || c > 0x18))
			abort();
		finish(fd, NULL);
		return 0;
	}

	if ((ssl = SSL_new(client_ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		abort();
	if (mode & 2)
		SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
	if (tls_step(ssl, fd, 0, NULL, 0) <= 0) {
		/* The injected bytes reached the TLS layer: refused. */
		finish(fd, ssl);
		return 0;
	}
	if (tls_step(ssl, fd, 2, (void *)(uintptr_t)"EHLO y\r\n", 8) != 8)
		abort();
	/* The first reply inside TLS answers our EHLO, and only it. */
	if ((n = tls_reply(ssl, fd, buf, sizeof(buf))) == 0 ||
	    strncmp(buf, "250-", 4) != 0 || strstr(buf, " Hello y ") == NULL ||
	    !ends_with(buf, n, "\r\n250 HELP\r\n"))
		abort();
	if (tls_step(ssl, fd, 2, (void *)(uintptr_t)"QUIT\r\n", 6) != 6 ||
	    tls_reply(ssl, fd, buf, sizeof(buf)) == 0 ||
	    strncmp(buf, "221 ", 4) != 0)
		abort();
	finish(fd, ssl);
	return 0;
}
