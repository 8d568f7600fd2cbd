/*
 * Local delivery, as run inside a delivery child (parent_deliver.c forks
 * it; by the time any function here runs, the child is the recipient
 * user, in its home directory, with umask 077).  Nothing here runs as
 * root, logs, or uses the event loop: a method returns an exit code in
 * sysexits(3) terms and leaves one status line (the reason for a
 * failure) in d_error, which the child also writes to its status
 * descriptor (stderr, read by the mda process).
 *
 * Exit codes, and what the mda process makes of them (mda_result()):
 *	0			delivered
 *	EX_TEMPFAIL (75)	temporary failure, retried
 *	EX_OSERR (71)		temporary (fork, memory, system trouble)
 *	EX_IOERR (74)		temporary (disk full, I/O error)
 *	killed by a signal	temporary
 *	anything else		permanent (bounce), e.g. EX_DATAERR for a
 *				mail loop, EX_NOPERM, EX_UNAVAILABLE
 * Commands (mda "...", |pipe) exit with their own status, judged the
 * same way.
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "postern_limits.h"

struct deliver {
	const struct envelope	*d_evp;
	const char		*d_hostname;	/* LHLO, maildir file names */
	char			 d_subaddr_delim; /* EXTENSION, :strip */
	int			 d_statusfd;	/* for the status line, or -1 */

	/* the message, read whole from the spool descriptor */
	char			*d_msg;
	size_t			 d_msglen;
	/* "Return-Path: <s>\nDelivered-To: d\n" */
	char			 d_hdr[2 * SMTP_PATH_MAX + 64];
	size_t			 d_hdrlen;
	char			 d_dest[SMTP_PATH_MAX + 1];	/* dest, text */

	char			 d_error[DELIVER_MAX_STATUS];
};

/* deliver.c */
void	 deliver_init(struct deliver *, const struct envelope *,
	    const char *hostname, char subaddr_delim, int statusfd);
/* Read the whole message from fd (pread from 0; its fstat size must be
 * read exactly, anything else is a temporary failure), check for a
 * mail loop and build the added header lines.  0 or an EX_* code. */
int	 deliver_load(struct deliver *, int fd);
/* Run the envelope's method.  0 or an EX_* code; d_error is set and
 * written to d_statusfd on failure. */
int	 deliver_run(struct deliver *);
void	 deliver_free(struct deliver *);
/* Record the failure reason (d_error, d_statusfd); returns code. */
int	 deliver_fail(struct deliver *, int code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Header field "name" (with colon, case-insensitive) present in the
 * message header with exactly this value (trimmed, case-insensitive). */
int	 deliver_header_is(const struct deliver *, const char *name,
	    const char *value);
/* write(2) all of buf; 0 or -1 with errno. */
int	 deliver_write_all(int fd, const void *buf, size_t len);

/* deliver_maildir.c: path is expanded (absolute, or relative to the
 * home directory, which is the current directory). */
int	 deliver_maildir(struct deliver *, const char *path, int junk);

/* deliver_mbox.c: mbox and alias /file deliveries. */
int	 deliver_mbox(struct deliver *, const char *path);

/* deliver_lmtp.c: "host:port", "[addr]:port" or "/unix/socket". */
int	 deliver_lmtp(struct deliver *, const char *dest);

/* deliver_mda.c: /bin/sh -c command, the message on its stdin. */
int	 deliver_command(struct deliver *, const char *command);

/*
 * mda_format.c: OpenSMTPD format specifiers (%{sender}, %{rcpt.user},
 * %{dest.domain:lowercase}, %{user.username[0]}, ...) and a leading
 * "~" (the home directory).  MDA_FMT_SHELL: the text is a /bin/sh
 * command; each expanded value is inserted as one single-quoted shell
 * word that fits the quoting context it lands in, so envelope data can
 * never become shell syntax.  Returns 0, or -1 with a reason in err.
 */
#define MDA_FMT_SHELL	0x01
int	 mda_format(char *buf, size_t len, const char *fmt,
	    const struct envelope *, char subaddr_delim, int flags,
	    char *err, size_t errlen);

#endif
