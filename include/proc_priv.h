/*
 * The privilege table of the process layer (proc_priv.c): for each role
 * its user, root directory and system call filter, and the function
 * that applies them in a freshly executed child.  Only the process
 * layer uses this header.
 */
#ifndef POSTERN_PROC_PRIV_H
#define POSTERN_PROC_PRIV_H

#include "proc_id.h"

/* Exit status of a role stopped by its system call filter. */
#define PROC_EXIT_SECCOMP	159

/* Root-owned empty directory for chrooted roles (tools/users.sh). */
#define PROC_EMPTY_DIR	"/var/empty"

enum priv_root {
	PRIV_ROOT_NONE = 0,	/* no chroot (parent, lka: reads tables) */
	PRIV_ROOT_EMPTY,	/* PROC_EMPTY_DIR */
	PRIV_ROOT_SPOOL,	/* the queue path of the configuration */
};

struct proc_priv {
	const char	*pv_name;	/* also the process title and log name */
	const char	*pv_user;	/* NULL: stays root (parent only) */
	enum priv_root	 pv_root;
	const int	*pv_syscalls;	/* -1 terminated; NULL: no filter */
};

const struct proc_priv *proc_priv_get(enum proc_id);
int	proc_priv_lookup(const char *name, enum proc_id *);
/* chroot, drop to the role's user, verify, load the filter; fatal on
 * any failure.  spool is the queue path (used by PRIV_ROOT_SPOOL). */
void	proc_priv_drop(enum proc_id, const char *spool);

#endif
