/*
 * Logging for every Postern process: syslog (facility mail) by default,
 * stderr in the foreground.  Each line carries the process name set with
 * log_procname().  fatal() adds strerror(errno); fatalx() does not.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>

void	log_init(int foreground, int verbose);
void	log_procname(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_trace_set(unsigned int);
unsigned int log_trace_get(void);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
__attribute__((noreturn)) void fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
