/*
 * The mda process (src/smtpd/mda.c): what the process layer needs to
 * run it.  See proc.h for the role structure.
 */
#ifndef POSTERN_MDA_H
#define POSTERN_MDA_H

#include <sys/types.h>

#include "proc.h"

extern const struct proc_role	mda_role;

/*
 * Parent side of local deliveries (src/smtpd/parent_deliver.c).
 * parent_deliver_fork() handles IMSG_MDA_FORK; parent_deliver_reaped()
 * is called by the parent's SIGCHLD handler for every pid that is not a
 * role: it returns 1 if pid was a delivery child (and tells mda), else 0.
 * A refused fork's error text starts with an enhanced status code whose
 * class (4 or 5) tells mda whether to retry.
 */
struct ipc_msg;
void	parent_deliver_fork(struct ipc_msg *);
int	parent_deliver_reaped(pid_t, int status);

#endif
