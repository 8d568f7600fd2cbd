/*
 * LD_PRELOAD wrapper for the benchmark only (regress/bench/run.sh): raise
 * the backlog of every listen(2) to at least SOMAXCONN.  OpenSMTPD 6.8
 * listens with a backlog of 5, so under 100 concurrent connections the
 * kernel drops SYNs and clients wait for retransmissions (1 s, 3 s, ...);
 * that measures the backlog, not the server.  run.sh reports OpenSMTPD
 * with and without this wrapper.  Build:
 *	cc -shared -fPIC -o listen_backlog.so listen_backlog.c -ldl
 */

#define _GNU_SOURCE
#include <sys/socket.h>

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

int	listen(int, int);

int
listen(int fd, int backlog)
{
	static int	(*real_listen)(int, int);

	if (real_listen == NULL) {
		real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
		if (real_listen == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (backlog < SOMAXCONN)
		backlog = SOMAXCONN;
	return real_listen(fd, backlog);
}
