/*
 * The ca process (src/smtpd/ca.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_CA_H
#define POSTERN_CA_H

#include "proc.h"

extern const struct proc_role	ca_role;

#endif
