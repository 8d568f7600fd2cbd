/*
 * The scheduler process (src/smtpd/scheduler.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_SCHEDULER_H
#define POSTERN_SCHEDULER_H

#include "proc.h"

extern const struct proc_role	scheduler_role;

#endif
