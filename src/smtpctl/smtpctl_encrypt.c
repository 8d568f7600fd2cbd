/*
 * smtpctl encrypt [string]: print a crypt(3) hash for a credentials
 * table (table.5), of the argument or of each line read on stdin.
 * Runs in smtpctl without the daemon.  Its input is its own user's
 * secret; it trusts it and only hashes it.  Before hashing it gives up
 * every privilege: root becomes _smtpd (as OpenSMTPD's smtpctl does),
 * and the setgid queue group smtpctl is installed with is dropped.
 *
 * The method is libxcrypt's preferred one (crypt_gensalt_rn() with no
 * prefix): yescrypt ($y$) on Debian 12.  OpenSMTPD 6.8 on Debian prints
 * SHA-512 crypt ($6$); both verify in smtpd, and so do bcrypt hashes
 * made elsewhere.  Secrets are wiped once hashed.
 */
#include <sys/types.h>

#include <crypt.h>
#include <err.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpctl_encrypt.h"

/* The unprivileged user root becomes (tools/users.sh). */
#define ENCRYPT_USER	"_smtpd"

static void
encrypt_droppriv(void)
{
	struct passwd	*pw;
	gid_t		 gid = getgid();

	if (geteuid() == 0) {
		if ((pw = getpwnam(ENCRYPT_USER)) == NULL)
			errx(1, "unknown user %s", ENCRYPT_USER);
		if (setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
			err(1, "cannot drop privileges");
		if (setuid(0) != -1)
			errx(1, "privileges not dropped");
		return;
	}
	/* setgid smtpctl: the queue group is not needed for this. */
	if (setresgid(gid, gid, gid) == -1)
		err(1, "cannot drop privileges");
}

/* Hash one passphrase and print it. */
static int
encrypt_one(const char *pass)
{
	static struct crypt_data	 cd;
	char				 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char			*out;

	if (crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)) == NULL)
		err(1, "crypt_gensalt_rn");
	out = crypt_rn(pass, salt, &cd, sizeof(cd));
	if (out == NULL) {
		explicit_bzero(&cd, sizeof(cd));
		warnx("cannot hash this string (longer than %d bytes?)",
		    CRYPT_MAX_PASSPHRASE_SIZE - 1);
		return 1;
	}
	printf("%s\n", out);
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

int
smtpctl_encrypt(const char *arg)
{
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 len;
	int	 ret = 0;

	encrypt_droppriv();
	if (arg != NULL)
		return encrypt_one(arg);
	while ((len = getline(&line, &size, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		ret |= encrypt_one(line);
		explicit_bzero(line, size);
		if (fflush(stdout) == EOF)
			err(1, "stdout");
	}
	if (ferror(stdin))
		err(1, "stdin");
	if (line != NULL)
		explicit_bzero(line, size);
	free(line);
	return ret;
}
