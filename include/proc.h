/*
 * The process layer: fork + re-exec of each role, the socketpair mesh,
 * chroot and privilege drop, the event loop, generic messages, shutdown.
 * Role files (lka.c, queue.c, control.c, ...) only declare a peer table,
 * an init function and <me>_dispatch_<peer> handlers; they never fork,
 * chroot or change uid themselves.
 *
 * Start-up.  The parent (root) parses the configuration, prepares the
 * spool, binds the control socket, then for each role forks and execs
 * /proc/self/exe with the hidden option `-X <role>`.  The child finds
 * its channels at fixed descriptor numbers: the channel to peer P is
 * descriptor PROC_FD_BASE + P (so the parent is always PROC_FD_BASE),
 * and the control process alone also inherits the listening control
 * socket at PROC_FD_CONTROL_SOCK.  Every other descriptor above stderr
 * is closed.  The child chroots, drops to its user, loads its syscall
 * filter, calls its role's ro_init, then runs the event loop.
 *
 * Configuration.  The parent sends IMSG_CONF_START .. IMSG_CONF_END (the
 * pieces the role needs) on start and on every successful SIGHUP
 * reload.  The process layer feeds them to the config builder; on
 * IMSG_CONF_END it swaps the new config in (proc_config() returns it),
 * frees the old one, calls the role's ro_config and answers
 * IMSG_PROC_READY (empty).  Roles never see IMSG_CONF_* themselves.
 *
 * Shutdown.  The parent sends IMSG_PROC_SHUTDOWN; the child calls
 * ro_shutdown (if any) and exits 0.  A child that loses any channel
 * (EOF or error) exits non-zero: a peer died, and the parent shuts the
 * whole daemon down when it sees a child exit.
 *
 * Control requests (agreed with control.c).  Control has a channel to
 * every other process.  It forwards a client's request with
 * proc_compose(target, type, client_id, ...), the peerid carrying the
 * control client's id; the target answers with the same peerid, so
 * control can route the answer to the right client.  Handled here for
 * every process (parent included), before the role's dispatch:
 *
 *  IMSG_CTL_VERBOSE  control -> each process, payload m_add_int(level)
 *                    (0 brief, 1 debug).  No answer.  Control
 *                    broadcasts it to every process itself (it has the
 *                    channels) and applies it locally.
 *  IMSG_CTL_TRACE    control -> each process, payload m_add_u32(mask)
 *                    (the full new trace mask, see log_trace_set).
 *                    No answer.  The parent sends the same message
 *                    (peerid 0) to every child right after start when
 *                    smtpd was given -T; children accept both from the
 *                    parent and from control.
 *  IMSG_CTL_STATS    control -> each process, empty payload; the answer
 *                    is one IMSG_CTL_STATS back to control with the same
 *                    peerid carrying that process's counters in the
 *                    format of stat.h (stat_msg_build/stat_msg_read).
 *                    Control asks every process and builds its own entry
 *                    with stat_msg_build too.
 *
 * Paused subsystems (-P).  After the first configuration, the parent
 * sends IMSG_CTL_PAUSE with peerid 0 and payload m_add_u32(mask of
 * PROC_PAUSE_*) to control (for `show status`) and to each of smtp, mta
 * and mda whose bit is set.  It is sent only when the mask is not 0.
 * Control tells a message from the parent (peerid 0, arriving on the
 * parent's channel) from answers to its own requests by the peer.
 */
#ifndef POSTERN_PROC_H
#define POSTERN_PROC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "proc_id.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/* Descriptor layout in a freshly executed child. */
#define PROC_FD_BASE		3
#define PROC_FD_CONTROL_SOCK	(PROC_FD_BASE + PROC_COUNT)
#define PROC_FD_MAX		PROC_FD_CONTROL_SOCK

/* Subsystems that -P or `smtpctl pause` can hold (IMSG_CTL_PAUSE). */
#define PROC_PAUSE_MDA		0x01
#define PROC_PAUSE_MTA		0x02
#define PROC_PAUSE_SMTP		0x04

/*
 * One entry per peer a role talks to; the table ends with an entry
 * whose pp_dispatch is NULL.  A message from a peer not in the table,
 * or of a type the handler does not claim, must end in proc_bad_msg().
 * The message's fd (if any) belongs to the handler.
 */
struct proc_peer {
	enum proc_id	 pp_peer;
	void		(*pp_dispatch)(struct ipc_msg *);
};

/* What a role file exports (e.g. `const struct proc_role lka_role`). */
struct proc_role {
	const struct proc_peer	*ro_peers;
	/* Each hook may be NULL. */
	void			(*ro_init)(void);	/* after privdrop */
	void			(*ro_config)(void);	/* new config in */
	void			(*ro_shutdown)(void);
};

/*
 * Clean shutdown with work in flight.  A role's ro_shutdown may call
 * proc_shutdown_hold() to keep running after IMSG_PROC_SHUTDOWN (mda
 * waits for its running deliveries, the queue for their results) and
 * calls proc_shutdown_release() when done: every channel is flushed and
 * the process exits 0.  Meanwhile the other roles exit, so a lost
 * channel to a peer other than the parent is expected and closed
 * quietly, and messages to it are dropped.  The parent kills whatever
 * is left after PROC_SHUTDOWN_TIMEOUT.
 */
void		 proc_shutdown_hold(void);
__attribute__((__noreturn__)) void proc_shutdown_release(void);
int		 proc_shutting_down(void);
/* Whether the channel to peer is still open. */
int		 proc_peer_open(enum proc_id);

/* Identity. */
const char	*proc_name(enum proc_id);
enum proc_id	 proc_self(void);
int		 proc_has_channel(enum proc_id a, enum proc_id b);

/*
 * Sending.  fd (or -1) is handed over and closed once sent.  Sending to
 * a peer the mesh does not give this process, or a failure to queue, is
 * fatal: it is a programming error or the peer is hopeless.
 */
void		 proc_compose(enum proc_id to, uint32_t type, uint32_t peerid,
		    int fd, const void *data, size_t len);
void		 proc_send(enum proc_id to, uint32_t type, uint32_t peerid,
		    int fd, const struct msg_out *);

/*
 * A synchronous request, for work OpenSSL needs done inside one of its
 * callbacks (the private-key operations that ca performs): send mo to
 * the peer and block, without running the event loop, until the peer's
 * answer of type want arrives; handler gets it and must not keep msg.
 * Only for a channel on which the peer never sends anything unasked.
 * Any other message, a broken channel, or no answer within timeout_ms
 * is fatal: the process cannot go on without its peer.
 */
void		 proc_call(enum proc_id to, uint32_t type, const struct msg_out *,
		    uint32_t want, void (*handler)(const struct ipc_msg *, void *),
		    void *arg, int timeout_ms);

/* Fatal: names this process, the peer and the message type. */
__dead void	 proc_bad_msg(enum proc_id peer, const struct ipc_msg *,
		    const char *why);
/* The payload of a message that carries one u32 (the PROC_PAUSE_* mask
 * of IMSG_CTL_PAUSE, the trace mask of IMSG_CTL_TRACE); fatal if bad. */
uint32_t	 proc_msg_u32(enum proc_id peer, const struct ipc_msg *);

/*
 * The listening control socket inherited by the control process
 * (already bound and listening, non-blocking), or -1 elsewhere.
 */
int		 proc_control_fd(void);

/* Current configuration of this process (NULL before the first). */
struct smtpd_config;
const struct smtpd_config *proc_config(void);

/* The event base of this process, for role timers and sockets. */
struct event_base;
struct event_base *proc_event_base(void);

/*
 * Trace flags (-T, `smtpctl trace`), stored with log_trace_set().  The
 * names are OpenSMTPD's; proc_trace_lookup() maps one name to its bits
 * (0) or fails (-1).  With TRACE_IMSG the process layer logs every
 * message sent and received.
 */
#define TRACE_IMSG		0x0001
#define TRACE_IO		0x0002
#define TRACE_SMTP		0x0004
#define TRACE_FILTERS		0x0008
#define TRACE_MTA		0x0010
#define TRACE_BOUNCE		0x0020
#define TRACE_SCHEDULER		0x0040
#define TRACE_LOOKUP		0x0080
#define TRACE_STAT		0x0100
#define TRACE_RULES		0x0200
#define TRACE_MPROC		0x0400
#define TRACE_EXPAND		0x0800
#define TRACE_TABLES		0x1000
#define TRACE_QUEUE		0x2000
#define TRACE_ALL		0x3fff
#define PROFILE_TOSTAT		0x10000
#define PROFILE_IMSG		0x20000
#define PROFILE_QUEUE		0x40000

int		 proc_trace_lookup(const char *name, unsigned int *mask);

/* Entry point of a re-executed child (from smtpd.c's main): `smtpd -X
 * role [-d] [-v] [-S spool]`.  Trace flags arrive as IMSG_CTL_TRACE
 * from the parent right after start. */
__dead void	 proc_child_main(const char *role, int foreground,
		    int verbose, const char *spool);

/*
 * Parent only (smtpd.c).  proc_parent_start() forks and execs every
 * role with its channels and returns; the parent then sends the
 * configuration with proc_parent_send_config() and runs
 * proc_parent_loop().  Signals are handled here: SIGCHLD (a role died:
 * log which and why, shut down, exit 1), SIGTERM/SIGINT (clean
 * shutdown, exit 0), SIGHUP (ph_reload).  ph_cleanup runs once before
 * the parent exits, also on fatal errors.
 */
struct proc_parent_hooks {
	void	(*ph_ready)(int first);	/* every role took the config */
	void	(*ph_reload)(void);	/* SIGHUP */
	void	(*ph_cleanup)(void);	/* pid file, control socket */
};

/*
 * Parent only, in main before the control socket or the pid file
 * exists: hold SIGHUP, SIGTERM and SIGINT until proc_parent_start() has
 * its handlers, so that an early signal is a reload or a clean stop
 * instead of killing the parent with its pid file and socket left.
 */
void		 proc_parent_hold_signals(void);
void		 proc_parent_start(int foreground, int verbose,
		    const char *spool, int control_fd,
		    const struct proc_role *, const struct proc_parent_hooks *);
void		 proc_parent_send_config(const struct smtpd_config *);
/* In a child the parent forks for work of its own (a delivery, a PAM
 * check): every signal back to its default action, none blocked. */
void		 proc_child_signals_reset(void);
__dead void	 proc_parent_loop(void);
void		 proc_parent_shutdown(int exitcode);
/* Replace the config proc_config() returns (frees the old one). */
void		 proc_config_install(struct smtpd_config *);

#endif
