/*
 * SMTP AUTH decoding (RFC 4954, RFC 4616 PLAIN, the LOGIN mechanism):
 * strict base64 and the exchange machine of smtp_auth.h.  Library code:
 * no logging, no exit, no process state.  Its input is the untrusted
 * client's lines; everything that holds a decoded secret on the stack
 * is wiped before returning.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "smtp_auth.h"

/* ax_state */
enum {
	AX_IDLE = 0,		/* not started, or over */
	AX_PLAIN,		/* 334 sent, waiting for the PLAIN message */
	AX_LOGIN_USER,		/* 334 Username: sent */
	AX_LOGIN_PASS,		/* 334 Password: sent */
};

/* Decoded bytes of the longest response we take. */
#define AX_DECODED_MAX	(SMTP_AUTH_B64_MAX / 4 * 3)

/* The 334 texts of LOGIN are encoded when first needed. */
static char	ax_prompt_user[16];	/* "Username:" */
static char	ax_prompt_pass[16];	/* "Password:" */

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
smtp_auth_b64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outsize, size_t *outlen)
{
	size_t		i, j, o = 0, pad = 0;
	uint32_t	q;
	int		v[4], last;

	*outlen = 0;
	/* RFC 4954 section 4: "=" is an empty initial response. */
	if (inlen == 1 && in[0] == '=')
		return 0;
	if (inlen > SMTP_AUTH_B64_MAX || inlen % 4 != 0)
		goto bad;
	if (inlen > 0 && in[inlen - 1] == '=') {
		pad++;
		if (in[inlen - 2] == '=')
			pad++;
	}
	if (inlen / 4 * 3 - pad > outsize)
		goto bad;
	for (i = 0; i < inlen; i += 4) {
		last = i + 4 == inlen;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=') {
				/* Only the final pad positions. */
				if (!last || j < 4 - pad)
					goto bad;
				v[j] = 0;
			} else if ((v[j] = b64_value(in[i + j])) == -1)
				goto bad;
		}
		/* Bits past the data must be zero (canonical form). */
		if (last && ((pad == 2 && (v[1] & 0x0f) != 0) ||
		    (pad == 1 && (v[2] & 0x03) != 0)))
			goto bad;
		q = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[o++] = (q >> 16) & 0xff;
		if (!last || pad < 2)
			out[o++] = (q >> 8) & 0xff;
		if (!last || pad < 1)
			out[o++] = q & 0xff;
	}
	q = 0;
	explicit_bzero(v, sizeof(v));
	*outlen = o;
	return 0;
bad:
	explicit_bzero(v, sizeof(v));
	explicit_bzero(out, outsize);
	return -1;
}

int
smtp_auth_b64_encode(const unsigned char *in, size_t len, char *out,
    size_t outsize)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, o = 0;
	uint32_t		 q;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 ||
	    (len + 2) / 3 * 4 + 1 > outsize)
		return -1;
	for (i = 0; i < len; i += 3) {
		q = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			q |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			q |= in[i + 2];
		out[o++] = abc[(q >> 18) & 0x3f];
		out[o++] = abc[(q >> 12) & 0x3f];
		out[o++] = i + 1 < len ? abc[(q >> 6) & 0x3f] : '=';
		out[o++] = i + 2 < len ? abc[q & 0x3f] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

enum smtp_auth_mech
smtp_auth_mech_lookup(const char *name)
{
	if (strcasecmp(name, "PLAIN") == 0)
		return SMTP_AUTH_MECH_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return SMTP_AUTH_MECH_LOGIN;
	return SMTP_AUTH_MECH_NONE;
}

const char *
smtp_auth_mech_name(enum smtp_auth_mech mech)
{
	switch (mech) {
	case SMTP_AUTH_MECH_PLAIN:
		return "PLAIN";
	case SMTP_AUTH_MECH_LOGIN:
		return "LOGIN";
	default:
		return "NONE";
	}
}

/* A user name: no control byte (it reaches logs and envelopes). */
static int
ax_name_ok(const unsigned char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
smtp_auth_plain_split(const unsigned char *msg, size_t len, char *user,
    size_t usersize, char *passwd, size_t passwdsize)
{
	const unsigned char	*n1, *n2, *u, *p;
	size_t			 zlen, ulen, plen;

	if ((n1 = memchr(msg, '\0', len)) == NULL)
		return -1;
	u = n1 + 1;
	if ((n2 = memchr(u, '\0', len - (size_t)(u - msg))) == NULL)
		return -1;
	p = n2 + 1;
	zlen = (size_t)(n1 - msg);
	ulen = (size_t)(n2 - u);
	plen = len - (size_t)(p - msg);
	if (memchr(p, '\0', plen) != NULL)
		return -1;
	if (ulen == 0 || plen == 0 || zlen >= usersize || ulen >= usersize ||
	    plen >= passwdsize)
		return -1;
	if (!ax_name_ok(msg, zlen) || !ax_name_ok(u, ulen))
		return -1;
	memcpy(user, u, ulen);
	user[ulen] = '\0';
	/* No proxy authorization: acting as another user is refused. */
	if (zlen != 0 && (zlen != ulen || memcmp(msg, u, ulen) != 0))
		return 1;
	memcpy(passwd, p, plen);
	passwd[plen] = '\0';
	return 0;
}

static enum smtp_auth_step
ax_fail(struct smtp_auth_x *x, int code, const char *text)
{
	explicit_bzero(x->ax_passwd, sizeof(x->ax_passwd));
	x->ax_state = AX_IDLE;
	x->ax_code = code;
	x->ax_text = text;
	return SMTP_AUTH_FAIL;
}

static enum smtp_auth_step
ax_prompt(struct smtp_auth_x *x, int state)
{
	static const char	user[] = "Username:", pass[] = "Password:";

	if (ax_prompt_user[0] == '\0') {
		(void)smtp_auth_b64_encode((const unsigned char *)user,
		    sizeof(user) - 1, ax_prompt_user, sizeof(ax_prompt_user));
		(void)smtp_auth_b64_encode((const unsigned char *)pass,
		    sizeof(pass) - 1, ax_prompt_pass, sizeof(ax_prompt_pass));
	}
	x->ax_state = state;
	switch (state) {
	case AX_LOGIN_USER:
		x->ax_prompt = ax_prompt_user;
		break;
	case AX_LOGIN_PASS:
		x->ax_prompt = ax_prompt_pass;
		break;
	default:
		x->ax_prompt = "";
		break;
	}
	return SMTP_AUTH_PROMPT;
}

/* One decoded response in the current state. */
static enum smtp_auth_step
ax_response(struct smtp_auth_x *x, const unsigned char *buf, size_t len)
{
	switch (x->ax_state) {
	case AX_PLAIN:
		switch (smtp_auth_plain_split(buf, len, x->ax_user,
		    sizeof(x->ax_user), x->ax_passwd, sizeof(x->ax_passwd))) {
		case 0:
			x->ax_state = AX_IDLE;
			return SMTP_AUTH_DONE;
		case 1:
			explicit_bzero(x->ax_passwd, sizeof(x->ax_passwd));
			x->ax_state = AX_IDLE;
			return SMTP_AUTH_DENIED;
		default:
			return ax_fail(x, 501, "5.5.2 Syntax error: malformed "
			    "AUTH PLAIN response");
		}
	case AX_LOGIN_USER:
		if (len == 0 || len >= sizeof(x->ax_user) ||
		    memchr(buf, '\0', len) != NULL || !ax_name_ok(buf, len))
			return ax_fail(x, 501, "5.5.2 Syntax error: invalid "
			    "user name");
		memcpy(x->ax_user, buf, len);
		x->ax_user[len] = '\0';
		return ax_prompt(x, AX_LOGIN_PASS);
	case AX_LOGIN_PASS:
		if (len == 0 || len >= sizeof(x->ax_passwd) ||
		    memchr(buf, '\0', len) != NULL)
			return ax_fail(x, 501, "5.5.2 Syntax error: invalid "
			    "password");
		memcpy(x->ax_passwd, buf, len);
		x->ax_passwd[len] = '\0';
		x->ax_state = AX_IDLE;
		return SMTP_AUTH_DONE;
	default:
		return ax_fail(x, 503, "5.5.1 Invalid command: no "
		    "authentication exchange in progress");
	}
}

/* A base64 line from the client, decoded and handled. */
static enum smtp_auth_step
ax_line(struct smtp_auth_x *x, const char *line, size_t len)
{
	unsigned char		buf[AX_DECODED_MAX];
	size_t			n;
	enum smtp_auth_step	step;

	if (len > SMTP_AUTH_B64_MAX)
		return ax_fail(x, 500, "5.5.6 Authentication Exchange line "
		    "is too long");
	if (smtp_auth_b64_decode(line, len, buf, sizeof(buf), &n) == -1)
		return ax_fail(x, 501, "5.5.2 Syntax error: invalid base64 "
		    "data");
	step = ax_response(x, buf, n);
	explicit_bzero(buf, sizeof(buf));
	return step;
}

enum smtp_auth_step
smtp_auth_x_start(struct smtp_auth_x *x, const char *arg)
{
	char		 mech[32];
	const char	*sp, *ir = NULL;
	size_t		 len;

	smtp_auth_x_clear(x);
	if (arg == NULL || *arg == '\0')
		return ax_fail(x, 501, "5.5.4 Syntax error: AUTH requires a "
		    "mechanism");
	if ((sp = strchr(arg, ' ')) != NULL) {
		len = (size_t)(sp - arg);
		ir = sp + 1;
	} else
		len = strlen(arg);
	if (len == 0 || len >= sizeof(mech))
		return ax_fail(x, 504, "5.7.4 Security features not "
		    "supported");
	memcpy(mech, arg, len);
	mech[len] = '\0';
	if ((x->ax_mech = smtp_auth_mech_lookup(mech)) == SMTP_AUTH_MECH_NONE)
		return ax_fail(x, 504, "5.7.4 Security features not "
		    "supported");
	x->ax_state = x->ax_mech == SMTP_AUTH_MECH_PLAIN ? AX_PLAIN :
	    AX_LOGIN_USER;
	if (ir == NULL)
		return ax_prompt(x, x->ax_state);
	/* The initial response of RFC 4954: PLAIN's message, LOGIN's
	 * user name. */
	return ax_line(x, ir, strlen(ir));
}

enum smtp_auth_step
smtp_auth_x_next(struct smtp_auth_x *x, const char *line, size_t len)
{
	if (x->ax_state == AX_IDLE)
		return ax_fail(x, 503, "5.5.1 Invalid command: no "
		    "authentication exchange in progress");
	if (len == 1 && line[0] == '*')
		return ax_fail(x, 501, "5.7.0 Authentication cancelled");
	return ax_line(x, line, len);
}

void
smtp_auth_x_clear(struct smtp_auth_x *x)
{
	explicit_bzero(x, sizeof(*x));
	x->ax_mech = SMTP_AUTH_MECH_NONE;
	x->ax_state = AX_IDLE;
	x->ax_prompt = "";
	x->ax_text = NULL;
}
