/*
 * Logging, shared by every process.  This is the one piece of src/lib
 * that writes diagnostics: it is the mechanism the others report through.
 * Before chroot, log_init() opens syslog so that the socket to the
 * logger stays usable inside an empty root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_foreground = 1;
static int		 log_verbose;
static unsigned int	 log_trace;
static const char	*log_name = "smtpd";

void
log_init(int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!log_foreground)
		openlog("smtpd", LOG_PID | LOG_NDELAY, LOG_MAIL);
	tzset();
}

void
log_procname(const char *name)
{
	log_name = name;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_trace_set(unsigned int t)
{
	log_trace = t;
}

unsigned int
log_trace_get(void)
{
	return log_trace;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[8192];
	int	saved = errno;

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_foreground) {
		/* one write per line so that processes do not interleave */
		char	line[8400];
		int	n;

		n = snprintf(line, sizeof(line), "%s: %s\n", log_name, buf);
		if (n > 0) {
			if ((size_t)n >= sizeof(line))
				n = sizeof(line) - 1;
			(void)write(STDERR_FILENO, line, n);
		}
	} else
		syslog(pri, "%s: %s", log_name, buf);
	errno = saved;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	buf[8192];
	int	saved = errno;

	if (fmt == NULL) {
		logit(pri, "%s", strerror(saved));
		return;
	}
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	logit(pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
