/*
 * The parent's side of AUTH on system accounts (src/smtpd/parent_auth.c):
 * lka asks with IMSG_LKA_AUTH_PAM, the parent forks a child that runs
 * PAM service "smtpd" and answers IMSG_PARENT_AUTH_PAM from the child's
 * exit status.
 */
#ifndef POSTERN_PARENT_AUTH_H
#define POSTERN_PARENT_AUTH_H

#include <sys/types.h>

#include "ipc.h"

/* PAM service name: /etc/pam.d/smtpd (etc/pam.d/smtpd). */
#define PARENT_AUTH_PAM_SERVICE	"smtpd"

/* Handle IMSG_LKA_AUTH_PAM (fatal if malformed). */
void	parent_auth_pam(struct ipc_msg *);

/* From the parent's SIGCHLD handler for a pid that is not a role: 1 if
 * it was a PAM child (lka is told), else 0. */
int	parent_auth_reaped(pid_t, int status);

#endif
