/*
 * Every inter-process message type, IMSG_<DOMAIN>_<VERB>, in one enum.
 * imsg_type_name() (src/lib/imsg_types.c) gives the name for logs; keep
 * the two lists in the same order.
 *
 * The mail flow (issue 4).  "peerid" is the ipc header's peerid; a
 * request id is chosen by the sender of a request and echoed in the
 * answer.  Envelopes travel as their text form (envelope.h:
 * envelope_dump/envelope_load), so there is one codec for the spool and
 * the channels, and every receiver re-validates them.
 *
 * parent -> smtp (sent right after each configuration's IMSG_CONF_END):
 *  IMSG_PARENT_LISTENER	fd: bound, listening, non-blocking socket;
 *				u32 index of the listener in sc_listeners
 *				(counting every entry, socket included)
 *  IMSG_PARENT_LISTENERS_DONE	empty: the set is complete; smtp closes
 *				listeners it had and did not get again
 *
 * smtp <-> queue (peerid: smtp's request id)
 *  IMSG_SMTP_MESSAGE_CREATE	empty
 *  IMSG_QUEUE_MESSAGE_CREATE	u32 ok (1/0), u32 msgid; fd: the new
 *				message file, write-only (-1 when not ok)
 *  IMSG_SMTP_MESSAGE_COMMIT	u32 msgid (smtp wrote and closed its fd)
 *  IMSG_QUEUE_MESSAGE_COMMIT	u32 msgid, u32 ok: durable (fsync, rename,
 *				dir fsync done) -- only now smtp says 250
 *  IMSG_SMTP_MESSAGE_ROLLBACK	u32 msgid; no answer
 *
 * smtp <-> lka (peerid: smtp's request id)
 *  IMSG_SMTP_RCPT		u32 msgid, string envelope template (session
 *				and transaction fields filled, evp_dest and
 *				delivery fields empty)
 *  IMSG_LKA_RCPT		u32 code (250 or 4xx/5xx), string reply text
 *				after the code, e.g. "5.7.1 Relaying denied"
 *				(NULL for 250).  When 250, the envelopes are
 *				already in the queue's incoming message.
 *
 * lka <-> queue (peerid: lka's own request id)
 *  IMSG_LKA_ENVELOPE		u32 msgid, string envelope (evp_id 0: the
 *				queue assigns it)
 *  IMSG_LKA_ENVELOPE_END	u32 msgid, u32 count of envelopes sent
 *  IMSG_QUEUE_ENVELOPE_ACK	u32 ok: all written into incoming/msgid
 *  IMSG_QUEUE_BOUNCE_RCPT	u32 msgid of a bounce being built, string
 *				envelope template (null sender, EF_BOUNCE,
 *				evp_rcpt = original sender); peerid: queue's
 *				request id.  lka expands it as local mail
 *				(sends IMSG_LKA_ENVELOPE.._END with its own id,
 *				waits for the ACK) then answers:
 *  IMSG_LKA_BOUNCE_RCPT	u32 code, string text (like IMSG_LKA_RCPT);
 *				peerid: the queue's request id
 *
 * lka <-> parent (peerid: lka's request id)
 *  IMSG_LKA_FORWARD_OPEN	string user name
 *  IMSG_PARENT_FORWARD_OPEN	u32 result: 0 opened (fd = ~/.forward,
 *				read-only), ENOENT none, other errno: temporary
 *				failure (EPERM: refused by the owner/mode checks)
 *
 * queue <-> scheduler (payload "sched" = u64 evpid, u8 evp_type,
 * i64 creation, i64 expire, u32 retry, i64 lasttry)
 *  IMSG_QUEUE_ENVELOPE_SCHEDULE	sched: a committed envelope (after commit
 *				and at start-up)
 *  IMSG_QUEUE_ENVELOPE_REMOVE	u64 evpid: the queue dropped it (corrupt)
 *  IMSG_QUEUE_DELIVERY_OK	u64 evpid: delivered, removed
 *  IMSG_QUEUE_DELIVERY_TEMPFAIL u64 evpid, u32 retry, i64 lasttry
 *  IMSG_QUEUE_DELIVERY_PERMFAIL u64 evpid: bounced (if due), removed
 *  IMSG_SCHED_ENVELOPE_DELIVER	u64 evpid: deliver it now
 *  IMSG_SCHED_ENVELOPE_EXPIRE	u64 evpid: past its ttl; bounce, remove,
 *				answer IMSG_QUEUE_DELIVERY_PERMFAIL
 *
 * queue <-> mda, mta
 *  IMSG_QUEUE_DELIVER		string envelope; fd: message file, read-only
 *  IMSG_DELIVERY_OK		u64 evpid
 *  IMSG_DELIVERY_TEMPFAIL	u64 evpid, string error line
 *  IMSG_DELIVERY_PERMFAIL	u64 evpid, string error line
 *
 * mda <-> parent (peerid: mda's delivery id)
 *  IMSG_MDA_FORK		string envelope; fd: message file
 *  IMSG_PARENT_FORK		u32 ok, string error (NULL if ok), i64 pid;
 *				fd: read end of the delivery child's status
 *				pipe (-1 when not ok)
 *  IMSG_PARENT_DELIVERY_EXIT	int wait status of the delivery child
 *
 * TLS private keys (issue 5).  Keys live only in ca.  smtp and mta build
 * their TLS contexts from the certificates and give OpenSSL a key whose
 * private operations are forwarded here (tls_key.c).  The call is
 * synchronous: the asking process writes one request and blocks until
 * the answer (proc_call()), so at most one request per peer is in
 * flight and ca never sends anything unasked on these channels.
 * "keyid" is the SHA-256 of the certificate's DER SubjectPublicKeyInfo
 * (32 bytes), so a reload that changes a key can never make ca use the
 * wrong one.  peerid: 0.
 *
 * smtp|mta <-> ca
 *  IMSG_CA_RSA_PRIVENC	data keyid, u32 padding (RSA_*_PADDING), data
 *				input (at most the key size)
 *  IMSG_CA_RSA_PRIVDEC	same payload
 *  IMSG_CA_ECDSA_SIGN	data keyid, data digest (at most 64 bytes)
 *  IMSG_CA_RESULT		u32 ok (1/0), data output (DER ECDSA-Sig-Value
 *				or RSA output; NULL when not ok)
 *
 * AUTH (issue 5).  smtp decodes the exchange; lka checks the secret
 * against the listener's credentials table (crypt(3)), or asks the
 * parent to check a system account through PAM.  Passwords are wiped
 * (explicit_bzero) by every process as soon as it is done with them.
 * Result codes: 0 accepted, 1 refused (535), 2 temporary failure (454).
 *
 * smtp <-> lka (peerid: smtp's request id)
 *  IMSG_SMTP_AUTH		u32 listener index, string user, string password
 *  IMSG_LKA_AUTH		u32 result
 *  IMSG_SMTP_SENDER_CHECK	u32 listener index, string authenticated user,
 *				string MAIL FROM address ("" for <>); asked
 *				only when the listener has `senders`
 *  IMSG_LKA_SENDER_CHECK	u32 result (0 allowed, 1 refused, 2 tempfail)
 *
 * lka <-> parent (peerid: lka's request id)
 *  IMSG_LKA_AUTH_PAM		string user, string password: the parent
 *				forks a child that runs PAM service "smtpd"
 *  IMSG_PARENT_AUTH_PAM	u32 result
 */
#ifndef POSTERN_IMSG_TYPES_H
#define POSTERN_IMSG_TYPES_H

#include <stdint.h>

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> children: configuration, sent in pieces, then END */
	IMSG_CONF_START,
	IMSG_CONF_GLOBAL,
	IMSG_CONF_TABLE,
	IMSG_CONF_TABLE_ENTRY,
	IMSG_CONF_PKI,
	IMSG_CONF_PKI_KEY,
	IMSG_CONF_CA,
	IMSG_CONF_LISTENER,
	IMSG_CONF_ACTION,
	IMSG_CONF_MATCH,
	IMSG_CONF_FILTER,
	IMSG_CONF_PROC,
	IMSG_CONF_MDA_WRAPPER,
	IMSG_CONF_MTA_LIMIT,
	IMSG_CONF_END,

	/* process layer */
	IMSG_PROC_READY,		/* child -> parent: init done */
	IMSG_PROC_SHUTDOWN,		/* parent -> child: exit cleanly */

	/* control */
	IMSG_CTL_OK,
	IMSG_CTL_FAIL,
	IMSG_CTL_VERBOSE,
	IMSG_CTL_TRACE,
	IMSG_CTL_STATS,			/* request / one process's answer */
	IMSG_CTL_STATS_END,
	IMSG_CTL_STATUS,
	IMSG_CTL_PAUSE,
	IMSG_CTL_RESUME,

	/* mail flow, see above */
	IMSG_PARENT_LISTENER,
	IMSG_PARENT_LISTENERS_DONE,
	IMSG_SMTP_MESSAGE_CREATE,
	IMSG_QUEUE_MESSAGE_CREATE,
	IMSG_SMTP_MESSAGE_COMMIT,
	IMSG_QUEUE_MESSAGE_COMMIT,
	IMSG_SMTP_MESSAGE_ROLLBACK,
	IMSG_SMTP_RCPT,
	IMSG_LKA_RCPT,
	IMSG_LKA_ENVELOPE,
	IMSG_LKA_ENVELOPE_END,
	IMSG_QUEUE_ENVELOPE_ACK,
	IMSG_QUEUE_BOUNCE_RCPT,
	IMSG_LKA_BOUNCE_RCPT,
	IMSG_LKA_FORWARD_OPEN,
	IMSG_PARENT_FORWARD_OPEN,
	IMSG_QUEUE_ENVELOPE_SCHEDULE,
	IMSG_QUEUE_ENVELOPE_REMOVE,
	IMSG_QUEUE_DELIVERY_OK,
	IMSG_QUEUE_DELIVERY_TEMPFAIL,
	IMSG_QUEUE_DELIVERY_PERMFAIL,
	IMSG_SCHED_ENVELOPE_DELIVER,
	IMSG_SCHED_ENVELOPE_EXPIRE,
	IMSG_QUEUE_DELIVER,
	IMSG_DELIVERY_OK,
	IMSG_DELIVERY_TEMPFAIL,
	IMSG_DELIVERY_PERMFAIL,
	IMSG_MDA_FORK,
	IMSG_PARENT_FORK,
	IMSG_PARENT_DELIVERY_EXIT,

	/* TLS keys and AUTH, see above */
	IMSG_CA_RSA_PRIVENC,
	IMSG_CA_RSA_PRIVDEC,
	IMSG_CA_ECDSA_SIGN,
	IMSG_CA_RESULT,
	IMSG_SMTP_AUTH,
	IMSG_LKA_AUTH,
	IMSG_SMTP_SENDER_CHECK,
	IMSG_LKA_SENDER_CHECK,
	IMSG_LKA_AUTH_PAM,
	IMSG_PARENT_AUTH_PAM,

	IMSG_TYPE_COUNT
};

const char	*imsg_type_name(uint32_t);

#endif
