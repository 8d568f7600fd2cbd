/*
 * The Postern processes.  Shared by the process layer (proc.h), the
 * configuration distribution (which part of the config each role gets)
 * and the control protocol (stats name each process).
 */
#ifndef POSTERN_PROC_ID_H
#define POSTERN_PROC_ID_H

enum proc_id {
	PROC_PARENT = 0,
	PROC_CONTROL,
	PROC_LKA,
	PROC_CA,
	PROC_QUEUE,
	PROC_SCHEDULER,
	PROC_SMTP,
	PROC_MTA,
	PROC_MDA,
	PROC_COUNT
};

#endif
