/*
 * The parent's listening sockets (src/smtpd/parent_listen.c): one TCP
 * socket per address of the configuration's `listen on` lines, bound by
 * the parent (root, so that port 25 works) and handed to the smtp
 * process as IMSG_PARENT_LISTENER after each configuration.
 */
#ifndef POSTERN_PARENT_LISTEN_H
#define POSTERN_PARENT_LISTEN_H

struct smtpd_config;

/*
 * Make the set of bound sockets match conf: keep the socket of an
 * address and port that stays, bind the new ones, close the dropped
 * ones.  At start-up (startup != 0) a socket that cannot be bound is
 * fatal, with a message naming the address and port; on a reload it is
 * logged and that listener stays closed.
 */
void	parent_listen_bind(const struct smtpd_config *conf, int startup);

/* Send smtp a copy of every bound socket with its listener index, then
 * IMSG_PARENT_LISTENERS_DONE.  Call right after the configuration. */
void	parent_listen_send(const struct smtpd_config *conf);

#endif
