/*
 * SMTP AUTH (RFC 4954) decoding, process-free (src/lib/smtp_auth.c):
 * strict base64 (RFC 4648), the PLAIN (RFC 4616) and LOGIN mechanisms
 * as a small exchange machine, and the 334 prompts.  No logging, no
 * exit, no I/O: the smtp process feeds it the client's lines and turns
 * each step into a reply, a request to lka, or the end of the exchange.
 *
 * Every byte it sees comes from an untrusted client.  The decoded
 * secret lives only in struct smtp_auth_x and in stack buffers that are
 * wiped (explicit_bzero) before the functions return; callers wipe the
 * exchange with smtp_auth_x_clear() as soon as they are done with it.
 */
#ifndef POSTERN_SMTP_AUTH_H
#define POSTERN_SMTP_AUTH_H

#include <stddef.h>

#include "postern_limits.h"

enum smtp_auth_mech {
	SMTP_AUTH_MECH_NONE = 0,
	SMTP_AUTH_MECH_PLAIN,
	SMTP_AUTH_MECH_LOGIN,
};

/* What the caller does after a step. */
enum smtp_auth_step {
	SMTP_AUTH_PROMPT,	/* reply "334 <x->ax_prompt>", read a line */
	SMTP_AUTH_DONE,		/* ax_user and ax_passwd are set: check them */
	SMTP_AUTH_DENIED,	/* well-formed, but refused without a check
				 * (an authorization identity other than the
				 * user): treat as wrong credentials */
	SMTP_AUTH_FAIL,		/* reply ax_code ax_text; the exchange ends */
};

struct smtp_auth_x {
	enum smtp_auth_mech	 ax_mech;
	int			 ax_state;	/* private */
	const char		*ax_prompt;	/* base64 text, may be "" */
	int			 ax_code;	/* after SMTP_AUTH_FAIL */
	const char		*ax_text;	/* "5.x.y text", static */
	char			 ax_user[SMTP_AUTHUSER_MAX + 1];
	char			 ax_passwd[SMTP_AUTH_PASSWD_MAX + 1];
};

/*
 * Strict base64 (RFC 4648 section 4): only the alphabet, length a
 * multiple of 4, '=' only as one or two final pad characters, unused
 * bits of the last quantum zero (canonical form), no whitespace, at
 * most SMTP_AUTH_B64_MAX characters.  The single character "=" is the
 * empty response of RFC 4954 section 4.  Decodes into out (outsize
 * bytes); *outlen is the decoded length.  0, or -1 (malformed, too
 * long, or out too small).  On -1 out is wiped.
 */
int		 smtp_auth_b64_decode(const char *in, size_t inlen,
		    unsigned char *out, size_t outsize, size_t *outlen);
/* Encode len bytes into out, NUL-terminated.  Length, or -1 if out
 * (outsize bytes) is too small. */
int		 smtp_auth_b64_encode(const unsigned char *in, size_t len,
		    char *out, size_t outsize);

/* A mechanism name, case-insensitive; SMTP_AUTH_MECH_NONE if unknown. */
enum smtp_auth_mech smtp_auth_mech_lookup(const char *name);
const char	*smtp_auth_mech_name(enum smtp_auth_mech);

/*
 * The AUTH command's argument: "MECH" or "MECH initial-response".  Sets
 * up x and returns the first step.  An unknown mechanism is
 * SMTP_AUTH_FAIL with ax_code 504 (the caller names the mechanism in
 * its reply); a missing one 501.
 */
enum smtp_auth_step smtp_auth_x_start(struct smtp_auth_x *, const char *arg);
/*
 * One line of the client during the exchange (CRLF removed).  "*"
 * cancels (501 5.7.0).  Calling it after DONE, DENIED or FAIL is a
 * caller bug and fails with 503.
 */
enum smtp_auth_step smtp_auth_x_next(struct smtp_auth_x *, const char *line,
		    size_t len);
/* Wipe everything x holds. */
void		 smtp_auth_x_clear(struct smtp_auth_x *);

/*
 * RFC 4616 message "authzid NUL authcid NUL passwd" (len bytes, already
 * decoded) into user and passwd.  0; -1 malformed (no or extra NUL,
 * empty authcid or passwd, a field too long, a control byte in a name);
 * 1 well-formed but with an authzid other than the authcid.
 */
int		 smtp_auth_plain_split(const unsigned char *msg, size_t len,
		    char *user, size_t usersize, char *passwd,
		    size_t passwdsize);

#endif
