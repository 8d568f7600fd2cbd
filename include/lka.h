/*
 * The lka process (src/smtpd/lka.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_LKA_H
#define POSTERN_LKA_H

#include "proc.h"

extern const struct proc_role	lka_role;

#endif
