/*
 * The mda process (src/smtpd/mda.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_MDA_H
#define POSTERN_MDA_H

#include "proc.h"

extern const struct proc_role	mda_role;

#endif
