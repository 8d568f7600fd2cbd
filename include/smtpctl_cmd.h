/*
 * smtpctl's command table: each command is a sequence of words, and
 * every word given on the command line may be an unambiguous prefix of
 * the word in the table ("sh st" is "show stats").
 */
#ifndef POSTERN_SMTPCTL_CMD_H
#define POSTERN_SMTPCTL_CMD_H

#include <stddef.h>

#define SMTPCTL_CMD_MAX_WORDS	8

struct smtpctl_cmd {
	const char	*c_words;	/* "show stats" */
	int		(*c_run)(void);	/* returns the exit status */
	/* Instead of c_run, for a command that takes one optional
	 * argument after its words ("encrypt [string]"); NULL if none. */
	int		(*c_run_arg)(const char *);
};

/*
 * Find the command that argv names and run it; return what it returns.
 * After the words of a command with c_run_arg, one more argument that
 * is not a word of a longer command is that command's argument.
 * If argv names no command, print to stderr either "invalid command"
 * (words after a complete command) or "possibilities are:" followed by
 * every word that could come next, each behind the words matched so
 * far, and return -1.
 */
int	smtpctl_cmd_run(const struct smtpctl_cmd *, size_t, int, char **);

#endif
