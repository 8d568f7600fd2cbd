/*
 * The common part of a local delivery.  Runs in a delivery child forked
 * by the parent (parent_deliver.c), after it became the recipient user
 * (never root), changed to the home directory and set umask 077.  No
 * peers: the only output is the exit code and one status line on the
 * status descriptor (stderr), read by the mda process.
 *
 * Input: the envelope (re-validated by envelope_load in the parent) and
 * the committed message file, read through the descriptor the queue
 * opened.  The message is read whole before anything is written, and
 * its size must match fstat exactly: a short read is a temporary
 * failure, never a cut message delivered.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "envelope.h"
#include "mailaddr.h"

void
deliver_init(struct deliver *d, const struct envelope *evp,
    const char *hostname, char delim, int statusfd)
{
	memset(d, 0, sizeof(*d));
	d->d_evp = evp;
	d->d_hostname = hostname;
	d->d_subaddr_delim = delim;
	d->d_statusfd = statusfd;
}

void
deliver_free(struct deliver *d)
{
	free(d->d_msg);
	d->d_msg = NULL;
	d->d_msglen = 0;
}

int
deliver_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
deliver_fail(struct deliver *d, int code, const char *fmt, ...)
{
	va_list	ap;
	size_t	i;

	va_start(ap, fmt);
	(void)vsnprintf(d->d_error, sizeof(d->d_error) - 1, fmt, ap);
	va_end(ap);
	for (i = 0; d->d_error[i] != '\0'; i++)
		if (d->d_error[i] == '\n' || d->d_error[i] == '\r')
			d->d_error[i] = ' ';
	if (d->d_statusfd != -1) {
		d->d_error[i] = '\n';
		(void)deliver_write_all(d->d_statusfd, d->d_error, i + 1);
		d->d_error[i] = '\0';
	}
	return code;
}

/* Where the header ends: the blank line, or the end of the message. */
static const char *
header_end(const struct deliver *d)
{
	const char	*p = d->d_msg, *end = d->d_msg + d->d_msglen, *nl;

	while (p < end) {
		if (*p == '\n')
			return p;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return end;
		p = nl + 1;
	}
	return end;
}

int
deliver_header_is(const struct deliver *d, const char *name,
    const char *value)
{
	const char	*p = d->d_msg, *end, *v, *ve, *nl;
	size_t		 nlen = strlen(name), vlen = strlen(value);

	if (d->d_msg == NULL)
		return 0;
	end = header_end(d);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) >= nlen &&
		    strncasecmp(p, name, nlen) == 0) {
			/* the value, with continuation lines */
			v = p + nlen;
			ve = nl;
			while (ve < end && ve + 1 < end &&
			    (ve[1] == ' ' || ve[1] == '\t')) {
				if ((ve = memchr(ve + 1, '\n',
				    (size_t)(end - ve - 1))) == NULL)
					ve = end;
			}
			while (v < ve && (*v == ' ' || *v == '\t' ||
			    *v == '\r' || *v == '\n'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' ||
			    ve[-1] == '\r' || ve[-1] == '\n'))
				ve--;
			if ((size_t)(ve - v) == vlen &&
			    strncasecmp(v, value, vlen) == 0)
				return 1;
		}
		p = nl + 1;
	}
	return 0;
}

int
deliver_load(struct deliver *d, int fd)
{
	const struct envelope	*evp = d->d_evp;
	char			 sender[SMTP_PATH_MAX + 1], extra;
	struct stat		 st;
	size_t			 off;
	ssize_t			 n;
	int			 len;

	if (fstat(fd, &st) == -1)
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 cannot stat the "
		    "message file: %s", strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)DELIVER_MAX_MESSAGE)
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 message file is "
		    "not a regular file of a sane size");
	if ((d->d_msg = malloc((size_t)st.st_size + 1)) == NULL)
		return deliver_fail(d, EX_OSERR, "4.3.0 out of memory");
	for (off = 0; off < (size_t)st.st_size; off += (size_t)n) {
		n = pread(fd, d->d_msg + off, (size_t)st.st_size - off,
		    (off_t)off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1)
			return deliver_fail(d, EX_TEMPFAIL, "4.3.0 cannot read "
			    "the message file: %s", strerror(errno));
		if (n == 0)
			return deliver_fail(d, EX_TEMPFAIL, "4.3.0 message "
			    "file shorter than its size");
	}
	/* It must end where fstat said: a file still growing is not ours. */
	if ((n = pread(fd, &extra, 1, (off_t)off)) != 0)
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 message file "
		    "changed while read");
	d->d_msglen = off;
	d->d_msg[off] = '\0';

	if (mailaddr_format(&evp->evp_dest, d->d_dest, sizeof(d->d_dest)) < 0 ||
	    mailaddr_format(&evp->evp_sender, sender, sizeof(sender)) < 0)
		return deliver_fail(d, EX_SOFTWARE, "5.3.0 address too long");

	/* COMPAT 8.5: a Delivered-To: naming this destination is a loop. */
	if (deliver_header_is(d, "Delivered-To:", d->d_dest))
		return deliver_fail(d, EX_DATAERR, "5.4.6 Loop detected");

	if (mailaddr_is_null(&evp->evp_sender))
		len = snprintf(d->d_hdr, sizeof(d->d_hdr),
		    "Delivered-To: %s\n", d->d_dest);
	else
		len = snprintf(d->d_hdr, sizeof(d->d_hdr),
		    "Return-Path: <%s>\nDelivered-To: %s\n", sender, d->d_dest);
	if (len < 0 || (size_t)len >= sizeof(d->d_hdr))
		return deliver_fail(d, EX_SOFTWARE, "5.3.0 header too long");
	d->d_hdrlen = (size_t)len;
	return 0;
}

int
deliver_run(struct deliver *d)
{
	const struct envelope	*evp = d->d_evp;
	char			 arg[ENVELOPE_ARG_MAX * 4 + 1], err[256];
	const char		*fmt = evp->evp_mda_arg;
	int			 flags = 0;

	switch (evp->evp_method) {
	case EVP_M_MAILDIR:
		if (fmt[0] == '\0')
			fmt = "~/Maildir";
		break;
	case EVP_M_MBOX:
		if (fmt[0] == '\0')
			fmt = "/var/mail/%{user.username:raw}";
		break;
	case EVP_M_PIPE:
		if (fmt[0] == '|')
			fmt++;
		flags = MDA_FMT_SHELL;
		break;
	case EVP_M_MDA:
		flags = MDA_FMT_SHELL;
		break;
	case EVP_M_LMTP:
	case EVP_M_FILE:
		break;
	default:
		return deliver_fail(d, EX_SOFTWARE, "5.3.0 unknown delivery "
		    "method");
	}
	if (mda_format(arg, sizeof(arg), fmt, evp, d->d_subaddr_delim, flags,
	    err, sizeof(err)) == -1)
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 cannot expand "
		    "\"%s\": %s", fmt, err);
	if (arg[0] == '\0')
		return deliver_fail(d, EX_TEMPFAIL, "4.3.0 \"%s\" expands to "
		    "nothing", fmt);

	switch (evp->evp_method) {
	case EVP_M_MAILDIR:
		return deliver_maildir(d, arg,
		    (evp->evp_flags & EF_MAILDIR_JUNK) != 0);
	case EVP_M_MBOX:
	case EVP_M_FILE:
		return deliver_mbox(d, arg);
	case EVP_M_LMTP:
		return deliver_lmtp(d, arg);
	default:
		return deliver_command(d, arg);
	}
}
