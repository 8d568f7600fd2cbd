/*
 * The control process and the protocol smtpctl speaks with it.
 *
 * smtpctl connects to the control socket and exchanges ipc.h frames
 * (same header, same payload cursor) with the control process.  Every
 * request carries CONTROL_PROTO_VERSION in its peerid so that a
 * mismatched smtpctl and smtpd fail with a clear message instead of
 * misreading each other.
 *
 * Requests and their answers (payloads in m_add_* order):
 *
 *	IMSG_CTL_STATS		(empty)
 *	    -> IMSG_CTL_STATS	string key, i64 value	(any number)
 *	    -> IMSG_CTL_STATS_END (empty)
 *	IMSG_CTL_STATUS		(empty)
 *	    -> IMSG_CTL_STATUS	u32 CONTROL_PAUSED_* bits
 *	IMSG_CTL_VERBOSE	int level (0: brief, 1: verbose)
 *	    -> IMSG_CTL_OK	(empty)
 *
 * Any request may instead be answered by IMSG_CTL_FAIL: u32 CONTROL_FAIL_*
 * code, string reason.  The control process closes the connection after
 * a FAIL of code CONTROL_FAIL_PROTOCOL or CONTROL_FAIL_BUSY.
 */
#ifndef POSTERN_CONTROL_H
#define POSTERN_CONTROL_H

#include <stdint.h>

#define CONTROL_PROTO_VERSION	1

#define CONTROL_DEFAULT_SOCKET	"/var/run/smtpd.sock"

/* IMSG_CTL_FAIL codes. */
#define CONTROL_FAIL_ERROR	1	/* the command failed */
#define CONTROL_FAIL_DENIED	2	/* the peer may not run it */
#define CONTROL_FAIL_PROTOCOL	3	/* malformed, unknown, oversized */
#define CONTROL_FAIL_VERSION	4	/* other protocol version */
#define CONTROL_FAIL_BUSY	5	/* too many clients */

/* IMSG_CTL_STATUS bits. */
#define CONTROL_PAUSED_MDA	0x01
#define CONTROL_PAUSED_MTA	0x02
#define CONTROL_PAUSED_SMTP	0x04

/* The control process's role for the process layer (proc.h). */
struct proc_role;
extern const struct proc_role control_role;

#endif
