/*
 * How the mda process judges a finished delivery: the wait status of
 * the delivery child decides the result; the bytes the child (or the
 * user's command it ran) wrote on its status pipe only give the text.
 * Runs in mda (_smtpd, chrooted); the status bytes are untrusted, so
 * only printable ASCII of the last line is kept, bounded.
 *
 * sysexits(3) semantics: EX_TEMPFAIL (75) asks for a retry; EX_OSERR
 * (71: fork, memory) and EX_IOERR (74: an I/O error, a full disk) are
 * passing troubles of the system, retried too, and so is a child killed
 * by a signal (a crash or the operator, not a verdict on the mail).
 * Every other status (EX_DATAERR for a loop, EX_NOUSER, EX_NOPERM,
 * EX_CANTCREAT: "a user-specified output file cannot be created", i.e.
 * the user's setup, EX_UNAVAILABLE, EX_SOFTWARE, an MDA's 1, ...) is
 * permanent and bounces, as OpenSMTPD bounces all but 71 and 75.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "mda_internal.h"

void
mda_status_append(char *buf, size_t *len, const char *data, size_t n)
{
	if (n >= DELIVER_MAX_STATUS) {
		memcpy(buf, data + n - DELIVER_MAX_STATUS, DELIVER_MAX_STATUS);
		*len = DELIVER_MAX_STATUS;
		return;
	}
	if (*len + n > DELIVER_MAX_STATUS) {
		memmove(buf, buf + (*len + n - DELIVER_MAX_STATUS),
		    DELIVER_MAX_STATUS - n);
		*len = DELIVER_MAX_STATUS - n;
	}
	memcpy(buf + *len, data, n);
	*len += n;
}

/* "X.Y.Z" at s (class digit, 1-3 digits, 1-3 digits) then space/end:
 * its length, or 0. */
static size_t
enhanced_code(const char *s)
{
	size_t	i = 0, n, part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (s[i++] != '.')
			return 0;
		for (n = 0; n < 3 && isdigit((unsigned char)s[i]); n++)
			i++;
		if (n == 0)
			return 0;
	}
	return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

void
mda_result_text(char *out, size_t outlen, const char *text,
    enum mda_result result)
{
	char		 line[DELIVER_MAX_STATUS];
	const char	*start, *end, *p;
	size_t		 o = 0, code;
	int		 class = result == MDA_TEMPFAIL ? '4' :
			    result == MDA_PERMFAIL ? '5' : '2';

	/* The last line that holds something besides white space. */
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		;
	for (p = start; p < end && o + 1 < sizeof(line); p++) {
		if (*p >= 0x20 && *p <= 0x7e)
			line[o++] = *p;
		else if (*p == '\t')
			line[o++] = ' ';
		else
			line[o++] = '?';
	}
	line[o] = '\0';
	p = line;
	while (*p == ' ')
		p++;
	/* An SMTP/LMTP reply code before the enhanced one is dropped. */
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-') &&
	    enhanced_code(p + 4) != 0)
		p += 4;
	if ((code = enhanced_code(p)) != 0) {
		/* The class is the result's, whatever the text claimed. */
		(void)snprintf(out, outlen, "%c%s", class, p + 1);
		return;
	}
	if (*p == '\0')
		p = result == MDA_OK ? "Delivered" : "Delivery failed";
	(void)snprintf(out, outlen, "%s %s", result == MDA_TEMPFAIL ?
	    "4.3.0" : result == MDA_PERMFAIL ? "5.3.0" : "2.0.0", p);
}

enum mda_result
mda_result(int wstatus, const char *status, size_t len, char *errline,
    size_t errlen)
{
	enum mda_result	 r;
	char		 text[DELIVER_MAX_STATUS + 1], why[64];
	const char	*p;
	size_t		 i;
	int		 code;

	if (len > DELIVER_MAX_STATUS)
		len = DELIVER_MAX_STATUS;
	memcpy(text, status, len);
	text[len] = '\0';
	/* A NUL inside would hide what follows; make it visible. */
	for (i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = '?';
	if (WIFEXITED(wstatus)) {
		code = WEXITSTATUS(wstatus);
		if (code == 0)
			r = MDA_OK;
		else if (code == EX_TEMPFAIL || code == EX_OSERR ||
		    code == EX_IOERR)
			r = MDA_TEMPFAIL;
		else
			r = MDA_PERMFAIL;
		(void)snprintf(why, sizeof(why), "delivery exited with "
		    "status %d", code);
	} else {
		r = MDA_TEMPFAIL;
		(void)snprintf(why, sizeof(why), "delivery killed by signal "
		    "%d", WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	}
	if (r == MDA_OK) {
		(void)snprintf(errline, errlen, "Delivered");
		return r;
	}
	/* Nothing said: the status is the reason. */
	for (p = text; *p != '\0' && isspace((unsigned char)*p); p++)
		;
	mda_result_text(errline, errlen, *p == '\0' ? why : text, r);
	return r;
}

void
mda_duration(char *buf, size_t len, time_t t)
{
	static const struct {
		time_t	 secs;
		char	 unit;
	} units[] = {
		{ 24 * 3600, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t	i, o = 0;
	int	n;

	buf[0] = '\0';
	if (t <= 0) {
		(void)snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (t < units[i].secs)
			continue;
		n = snprintf(buf + o, len - o, "%lld%c",
		    (long long)(t / units[i].secs), units[i].unit);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
		t %= units[i].secs;
	}
}
