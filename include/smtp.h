/*
 * The smtp process (src/smtpd/smtp.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include "proc.h"

extern const struct proc_role	smtp_role;

#endif
