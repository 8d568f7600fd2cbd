/*
 * `smtpctl encrypt [string]` (src/smtpctl/smtpctl_encrypt.c): crypt(3)
 * hashes for credentials tables, made without the daemon.
 */
#ifndef POSTERN_SMTPCTL_ENCRYPT_H
#define POSTERN_SMTPCTL_ENCRYPT_H

/* Print the hash of arg, or of each line of stdin when arg is NULL.
 * Returns the exit status. */
int	smtpctl_encrypt(const char *arg);

#endif
