/*
 * The queue process (src/smtpd/queue.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include "proc.h"

extern const struct proc_role	queue_role;

#endif
