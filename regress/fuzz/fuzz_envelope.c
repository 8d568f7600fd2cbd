/*
 * libFuzzer target for the envelope text format (src/lib/envelope.c),
 * the file the queue reads back from the spool and every process
 * reads from a channel.  For every input the reader accepts:
 *
 *	load(input) = e1;  dump(e1) = t1;  load(t1) = e2;  dump(e2) = t2
 *
 * dump must succeed, e1 and e2 must be identical structs and t1 and t2
 * identical texts.  Then a bounce for e1 is written (src/lib/bounce.c),
 * with the input itself as the original message: its header section
 * may hold no control character but tab and LF, whatever the envelope
 * holds.  Nothing may crash, trip a sanitizer or leak.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_bounce(const struct envelope *evp, const uint8_t *data, size_t size)
{
	FILE	*orig, *out;
	char	*buf = NULL;
	size_t	 len = 0, i;

	if (mailaddr_is_null(&evp->evp_sender) || size == 0)
		return;
	if ((orig = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL ||
	    (out = open_memstream(&buf, &len)) == NULL)
		abort();
	if (bounce_write(out, evp, size % 2 ? BOUNCE_FAILED : BOUNCE_DELAYED,
	    orig, evp->evp_smtpname[0] != '\0' ? evp->evp_smtpname :
	    "mx.example.org", 1700000000) == -1)
		abort();
	fclose(orig);
	fclose(out);
	for (i = 0; i + 1 < len && !(buf[i] == '\n' && buf[i + 1] == '\n');
	    i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n' &&
		    buf[i] != '\t') || buf[i] == 0x7f) {
			fprintf(stderr, "control character in the bounce "
			    "headers:\n%s", buf);
			abort();
		}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 t1[ENVELOPE_TEXT_MAX + 1];
	static char	 t2[ENVELOPE_TEXT_MAX + 1];
	struct envelope	 e1, e2;
	const char	*errstr;
	char		*copy;
	int		 n1, n2;

	/* An exact-size heap copy, so that ASan sees any overread. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	if (envelope_load(&e1, copy, size, &errstr) == -1) {
		if (errstr == NULL)
			abort();
		free(copy);
		return 0;
	}
	free(copy);

	if ((n1 = envelope_dump(&e1, t1, sizeof(t1))) == -1) {
		fprintf(stderr, "loaded envelope does not dump\n");
		abort();
	}
	if (envelope_load(&e2, t1, n1, &errstr) == -1) {
		fprintf(stderr, "dumped envelope does not load (%s):\n%s",
		    errstr, t1);
		abort();
	}
	if (memcmp(&e1, &e2, sizeof(e1)) != 0) {
		fprintf(stderr, "reloaded envelope differs:\n%s", t1);
		abort();
	}
	if ((n2 = envelope_dump(&e2, t2, sizeof(t2))) != n1 ||
	    memcmp(t1, t2, n1) != 0) {
		fprintf(stderr, "second dump differs:\n%s---\n%s", t1, t2);
		abort();
	}
	check_bounce(&e1, data, size);
	return 0;
}
