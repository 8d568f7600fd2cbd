/*
 * libFuzzer target for the smtpd.conf parser (src/smtpd/parse.y) and,
 * for every input it accepts, the printer and the IPC codec:
 *
 *	parse(input) = c1;  print(c1) = p1;  parse(p1) = c2;  print(c2) = p2
 *	serialize(c1) -> deserialize = c3;  print(c3) = p3
 *
 * p1, p2 and p3 must be identical (the -nv round trip and the child's
 * copy of the config).  Includes, file reads and host name resolution
 * are off, so a run touches nothing but its own memfd.  Nothing may
 * crash or leak; the parser keeps no state from one run to the next.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "imsg_types.h"
#include "ipc.h"

#define FUZZ_MAX_INPUT	(256 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*devnull;

struct stream {
	struct config_builder	 cb;
	int			 result;
};

static void
feed(void *arg, uint32_t type, const struct msg_out *mo)
{
	struct stream	*s = arg;
	struct ipc_msg	 msg;

	if (s->result != 0)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = type;
	msg.hdr.len = (uint32_t)(IPC_HEADER_SIZE + m_len(mo));
	msg.data = m_data(mo);
	msg.datalen = m_len(mo);
	msg.fd = -1;
	s->result = config_deserialize(&s->cb, &msg);
}

/* Parse what is in fd; NULL if refused. */
static struct smtpd_config *
parse_fd(int fd)
{
	struct config_opts	 opts;
	struct smtpd_config	*conf;
	char			 path[64];

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_opts_init(&opts);
	opts.co_no_include = 1;
	opts.co_no_files = 1;
	opts.co_no_resolve = 1;
	opts.co_err = devnull;
	conf = config_parse(path, &opts);
	config_opts_clear(&opts);
	return conf;
}

static int
memfd_with(const void *data, size_t len)
{
	int	fd;

	if ((fd = memfd_create("fuzz_config", MFD_CLOEXEC)) == -1)
		abort();
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		abort();
	return fd;
}

static char *
print_conf(const struct smtpd_config *conf, size_t *len)
{
	char	*buf = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	config_print(fp, conf);
	fclose(fp);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpd_config	*c1, *c2, *c3;
	struct stream		 s;
	char			*p1, *p2, *p3;
	size_t			 l1, l2, l3;
	int			 fd;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();

	fd = memfd_with(data, size);
	c1 = parse_fd(fd);
	close(fd);
	if (c1 == NULL)
		return 0;

	p1 = print_conf(c1, &l1);
	fd = memfd_with(p1, l1);
	c2 = parse_fd(fd);
	close(fd);
	if (c2 == NULL) {
		fprintf(stderr, "printed config does not parse:\n%s", p1);
		abort();
	}
	p2 = print_conf(c2, &l2);
	if (l1 != l2 || memcmp(p1, p2, l1) != 0) {
		fprintf(stderr, "round trip differs:\n%s---\n%s", p1, p2);
		abort();
	}

	memset(&s, 0, sizeof(s));
	config_builder_init(&s.cb);
	config_serialize(c1, PROC_PARENT, feed, &s);
	if (s.result != 1) {
		fprintf(stderr, "own serialization refused (%d):\n%s",
		    s.result, p1);
		abort();
	}
	c3 = config_builder_take(&s.cb);
	config_builder_clear(&s.cb);
	p3 = print_conf(c3, &l3);
	if (l1 != l3 || memcmp(p1, p3, l1) != 0) {
		fprintf(stderr, "IPC copy differs:\n%s---\n%s", p1, p3);
		abort();
	}

	free(p1);
	free(p2);
	free(p3);
	config_free(c1);
	config_free(c2);
	config_free(c3);
	return 0;
}
