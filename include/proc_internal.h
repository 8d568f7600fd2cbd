/*
 * Process layer internals shared by proc.c (common and child side) and
 * proc_parent.c (parent side).  Role files use proc.h only.
 */
#ifndef POSTERN_PROC_INTERNAL_H
#define POSTERN_PROC_INTERNAL_H

#include "proc.h"

struct event_base;

void	proc_set_self(enum proc_id, const struct proc_role *,
	    void (*lost)(enum proc_id), struct event_base *);
/* The listening control socket proc_control_fd() returns. */
void	proc_set_control_fd(int);
void	proc_chan_open(enum proc_id peer, int fd);
void	proc_chan_close(enum proc_id peer);
int	proc_chan_fd(enum proc_id peer);
int	proc_chan_flush_sync(enum proc_id peer);
/* Parent: a child answered IMSG_PROC_READY. */
void	proc_parent_ready(enum proc_id peer);

#endif
