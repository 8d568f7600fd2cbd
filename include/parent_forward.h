/*
 * The parent's side of ~/.forward files (src/smtpd/parent_forward.c):
 * lka asks with IMSG_LKA_FORWARD_OPEN, the parent opens the file as
 * its owner, checks it and answers IMSG_PARENT_FORWARD_OPEN.
 */
#ifndef POSTERN_PARENT_FORWARD_H
#define POSTERN_PARENT_FORWARD_H

#include "ipc.h"

/* Handle IMSG_LKA_FORWARD_OPEN (fatal if malformed). */
void	parent_forward_open(struct ipc_msg *);

/*
 * Open user's ~/.forward for reading, as the user, with the checks of
 * forward.5.  0 with *fd, ENOENT (no such user, home or file), EPERM
 * (refused by the checks, logged) or another errno (temporary).
 */
int	parent_forward_file(const char *user, int *fd);

#endif
