/*
 * Per-process counters (`smtpctl show stats`).  Each process keeps its
 * own small table of named signed counters; control collects them with
 * IMSG_CTL_STATS (see proc.h) and prints them.  Keys are dotted names
 * such as "smtp.session" or "control.session", at most STAT_MAX_KEYLEN
 * bytes; a process holds at most STAT_MAX_KEYS of them (an extra key is
 * dropped with a warning, never fatal: counters are observability).
 *
 * Wire format of one process's answer (IMSG_CTL_STATS payload):
 *	m_add_string(process name)	"lka", "queue", ...
 *	m_add_u32(pid)
 *	m_add_u32(n)			number of counters
 *	n times: m_add_string(key), m_add_i64(value)
 * Build it with stat_msg_build(); read it with stat_msg_read() and
 * stat_msg_next(), then m_end().
 */
#ifndef POSTERN_STAT_H
#define POSTERN_STAT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

void	stat_increment(const char *key, size_t n);
void	stat_decrement(const char *key, size_t n);
void	stat_set(const char *key, int64_t value);
/* 0 and the value, or -1 if the key is unknown. */
int	stat_get(const char *key, int64_t *value);

/* This process's answer, keys in sorted order. */
void	stat_msg_build(struct msg_out *, const char *procname, pid_t pid);
/* Header of an answer; the caller then calls stat_msg_next() n times
 * and m_end().  Values must not be used before m_end() says 0. */
void	stat_msg_read(struct msg_in *, const char **procname, uint32_t *pid,
	    uint32_t *n);
void	stat_msg_next(struct msg_in *, const char **key, int64_t *value);

#endif
