/*
 * Internals of the mda process (src/smtpd/mda.c) and the pure functions
 * that judge a delivery's outcome (src/smtpd/mda_result.c, unit-tested
 * in regress/smtpd/mda_test.c).
 */
#ifndef POSTERN_MDA_INTERNAL_H
#define POSTERN_MDA_INTERNAL_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "envelope.h"
#include "postern_limits.h"

enum mda_state {
	MDA_WAITING,		/* in its user's queue */
	MDA_FORKING,		/* IMSG_MDA_FORK sent */
	MDA_RUNNING,		/* child running: status pipe and exit due */
};

enum mda_result {
	MDA_OK,
	MDA_TEMPFAIL,
	MDA_PERMFAIL,
};

struct mda_user {
	RB_ENTRY(mda_user)		 mu_entry;
	TAILQ_ENTRY(mda_user)		 mu_ready_entry;
	int				 mu_ready;
	char				 mu_name[ENVELOPE_USER_MAX + 1];
	size_t				 mu_running;
	TAILQ_HEAD(, mda_delivery)	 mu_waiting;
};

struct mda_delivery {
	RB_ENTRY(mda_delivery)		 md_entry;
	TAILQ_ENTRY(mda_delivery)	 md_wait_entry;
	uint32_t			 md_id;
	enum mda_state			 md_state;
	struct mda_user			*md_user;
	uint64_t			 md_evpid;
	uint64_t			 md_session;	/* log line id */
	time_t				 md_creation;
	time_t				 md_start;
	char				*md_text;	/* envelope text */
	char				*md_logid;	/* from= to= user= */
	int				 md_msgfd;	/* until sent */
	pid_t				 md_pid;
	int				 md_pipefd;
	struct event			 md_ev;
	struct event			 md_grace;
	int				 md_exited;
	int				 md_wstatus;
	char				 md_status[DELIVER_MAX_STATUS];
	size_t				 md_statuslen;
	enum mda_result			 md_result;
	char				 md_errline[DELIVER_MAX_STATUS];
};

/*
 * The outcome of a delivery from its wait status and what it wrote on
 * its status pipe; errline gets the error line (see mda_result_text).
 * exit 0: OK.  EX_TEMPFAIL, EX_OSERR, EX_IOERR or a signal: TEMPFAIL.
 * Any other status: PERMFAIL.
 */
enum mda_result	mda_result(int wstatus, const char *status, size_t len,
		    char *errline, size_t errlen);
/* The last non-empty line of text, printable ASCII only, prefixed with
 * an enhanced status code of the result's class when it has none. */
void		mda_result_text(char *out, size_t outlen, const char *text,
		    enum mda_result);
/* Append to a status buffer of DELIVER_MAX_STATUS bytes, keeping the
 * newest bytes. */
void		mda_status_append(char *buf, size_t *len, const char *data,
		    size_t n);
/* "1d2h3m4s" style delay (days at most, zero units left out), as
 * OpenSMTPD logs it. */
void		mda_duration(char *buf, size_t len, time_t t);

#endif
