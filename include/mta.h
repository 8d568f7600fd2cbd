/*
 * The mta process (src/smtpd/mta.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_MTA_H
#define POSTERN_MTA_H

#include "proc.h"

extern const struct proc_role	mta_role;

#endif
