/*
 * libFuzzer target for what local delivery makes of bytes it does not
 * control.  The first byte picks one of:
 *
 *  0  mda_result() (mda_result.c) on a status pipe's bytes with any wait
 *     status: the error line must be printable ASCII and start with the
 *     enhanced code of the result's class.
 *  1  mda_format() (mda_format.c) of a template with a hostile recipient
 *     (input: local part NUL template), plain and as a shell command:
 *     the result is NUL-terminated and fits its buffer; in shell mode a
 *     template without quotes, backslashes or $`< yields the value
 *     inside one pair of single quotes, each ' written '\''.
 *  2  deliver_load() (deliver.c) of a message file: the header scan and
 *     loop detection on any bytes.
 * Nothing may crash, trip a sanitizer or leak.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "envelope.h"
#include "mda_internal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
mkevp(struct envelope *evp, const char *user, size_t len)
{
	memset(evp, 0, sizeof(*evp));
	evp->evp_type = EVP_MDA;
	evp->evp_method = EVP_M_MDA;
	if (len > SMTP_LOCALPART_MAX)
		len = SMTP_LOCALPART_MAX;
	memcpy(evp->evp_rcpt.ma_user, user, len);
	(void)strlcpy(evp->evp_rcpt.ma_domain, "example.org",
	    sizeof(evp->evp_rcpt.ma_domain));
	evp->evp_dest = evp->evp_rcpt;
	evp->evp_sender = evp->evp_rcpt;
	(void)strlcpy(evp->evp_user, "user", sizeof(evp->evp_user));
	(void)strlcpy(evp->evp_home, "/home/user", sizeof(evp->evp_home));
}

static void
fuzz_result(const uint8_t *data, size_t size)
{
	char		 line[DELIVER_MAX_STATUS];
	enum mda_result	 r;
	int		 wstatus;
	size_t		 i;

	if (size < 2)
		return;
	wstatus = data[0] | data[1] << 8;
	data += 2;
	size -= 2;
	if (size > DELIVER_MAX_STATUS)
		size = DELIVER_MAX_STATUS;
	r = mda_result(wstatus, (const char *)data, size, line, sizeof(line));
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			abort();
	if (r == MDA_TEMPFAIL && strncmp(line, "4.", 2) != 0)
		abort();
	if (r == MDA_PERMFAIL && strncmp(line, "5.", 2) != 0)
		abort();
}

static void
fuzz_format(const uint8_t *data, size_t size)
{
	struct envelope	 evp;
	const uint8_t	*nul;
	char		 fmt[2048], out[4096], want[4096], err[256];
	size_t		 ulen, flen, i, o;
	int		 simple;

	if ((nul = memchr(data, '\0', size)) == NULL)
		return;
	ulen = (size_t)(nul - data);
	flen = size - ulen - 1;
	if (flen >= sizeof(fmt) || memchr(nul + 1, '\0', flen) != NULL)
		return;
	memcpy(fmt, nul + 1, flen);
	fmt[flen] = '\0';
	mkevp(&evp, (const char *)data, ulen);

	if (mda_format(out, sizeof(out), fmt, &evp, '+', 0, err,
	    sizeof(err)) == 0 && strlen(out) >= sizeof(out))
		abort();
	if (mda_format(out, sizeof(out), fmt, &evp, '+', MDA_FMT_SHELL, err,
	    sizeof(err)) != 0)
		return;
	if (strlen(out) >= sizeof(out))
		abort();
	/* The one case whose output is easy to predict exactly. */
	simple = strcmp(fmt, "%{rcpt.user:raw}") == 0;
	if (!simple)
		return;
	o = 0;
	want[o++] = '\'';
	for (i = 0; evp.evp_rcpt.ma_user[i] != '\0'; i++) {
		if (evp.evp_rcpt.ma_user[i] == '\'') {
			memcpy(want + o, "'\\''", 4);
			o += 4;
		} else
			want[o++] = evp.evp_rcpt.ma_user[i];
	}
	want[o++] = '\'';
	want[o] = '\0';
	if (strcmp(out, want) != 0)
		abort();
}

static void
fuzz_load(const uint8_t *data, size_t size)
{
	struct envelope	evp;
	struct deliver	d;
	int		fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	mkevp(&evp, "bob", 3);
	deliver_init(&d, &evp, "host.example", '+', -1);
	(void)deliver_load(&d, fd);
	(void)deliver_header_is(&d, "X-Spam:", "yes");
	deliver_free(&d);
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_result(data + 1, size - 1);
		break;
	case 1:
		fuzz_format(data + 1, size - 1);
		break;
	default:
		fuzz_load(data + 1, size - 1);
		break;
	}
	return 0;
}
