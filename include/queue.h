/*
 * The queue process (src/smtpd/queue*.c) and its storage backend
 * (src/smtpd/queue_fs.c), chosen by name with queue_backend_lookup().
 *
 * A backend works relative to a directory standing for the spool root
 * (in the daemon: the working directory, "/" of the queue's chroot; in
 * tests: a temporary directory), so the same code runs in both.  A
 * message is first "incoming" (being received or built), then
 * "committed" (in the queue, durable) by a group commit, and loses its
 * envelopes one by one until it is gone.  Functions return 0 (or a descriptor, or a length)
 * on success, -1 with errno on failure; they never log and never exit:
 * the queue decides.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "proc.h"

extern const struct proc_role	queue_role;

/*
 * Called by qb_load for each envelope file of a committed message: 0
 * keeps it, -1 means it is corrupt (the backend moves it to corrupt/).
 */
typedef int (*queue_load_cb)(void *arg, uint64_t evpid, const char *text,
    size_t len);

/* Called by qb_load for what it moved aside (corrupt 1) or removed
 * (corrupt 0): a description ("message 1a2b3c4d: no message file, moved
 * to corrupt/") for the log. */
typedef void (*queue_note_cb)(void *arg, int corrupt, const char *what);

struct queue_backend {
	const char	*qb_name;
	/* rootfd: the spool root (a directory descriptor the caller keeps
	 * open, or AT_FDCWD when it is the working directory). */
	int	(*qb_init)(int rootfd);
	/* Remove every incoming message (half received at a crash). */
	int	(*qb_clear_incoming)(queue_note_cb, void *);

	/* Incoming messages.  create: a write-only descriptor of the
	 * new message file; EEXIST if msgid is in use (pick another). */
	int	(*qb_message_create)(uint32_t msgid);
	int	(*qb_envelope_create)(uint32_t msgid, uint64_t evpid,
		    const char *text, size_t len);
	int	(*qb_envelope_discard)(uint32_t msgid, uint64_t evpid);
	int	(*qb_message_rollback)(uint32_t msgid);
	/*
	 * Make n incoming messages durable and move them into the queue:
	 * ok[i] says which made it.  Returns -1 only if a step common to
	 * the whole batch failed after some messages were moved: their
	 * durability is then unknown.
	 */
	int	(*qb_message_commit)(const uint32_t *msgids, int *ok, size_t n);

	/* Committed messages. */
	int	(*qb_message_open)(uint32_t msgid);	/* read-only fd */
	ssize_t	(*qb_envelope_read)(uint64_t evpid, char *buf, size_t len);
	/*
	 * Replace an envelope: stage the new text (ENOENT if the envelope
	 * is gone), make it durable with qb_sync or a commit's sync, then
	 * install it (atomic: a crash leaves the old or the new text).
	 */
	int	(*qb_envelope_stage)(uint64_t evpid, const char *text,
		    size_t len);
	int	(*qb_envelope_install)(uint64_t evpid);
	int	(*qb_sync)(void);
	/* 1 if that was the last envelope and the message is gone too. */
	int	(*qb_envelope_delete)(uint64_t evpid);
	/* Move one envelope (or, if its message file is missing or
	 * unreadable, the whole message) to corrupt/.  1 if the whole
	 * message went. */
	int	(*qb_envelope_corrupt)(uint64_t evpid, int whole_message);

	/*
	 * Load the committed messages of one bucket (0..nbuckets-1),
	 * calling cb for each envelope; messages without a message file
	 * are moved to corrupt/, messages left without envelopes are
	 * removed, stray files are moved aside; note tells about each.
	 */
	size_t	  qb_nbuckets;
	int	(*qb_load_bucket)(unsigned int bucket, queue_load_cb,
		    queue_note_cb, void *);
};

const struct queue_backend	*queue_backend_lookup(const char *name);

extern const struct queue_backend	queue_backend_fs;

#endif
