/*
 * smtpctl command-line matching.  Runs in smtpctl, with the invoking
 * user's privileges; talks to nobody.  Its input is the command line,
 * which it only compares against the built-in table.
 *
 * The table is flat ("show stats", "show status", ...); the words that
 * may follow a given prefix are those of the commands sharing it, in
 * table order, each listed once.  A word on the command line selects the
 * table word it equals, or else the only table word it is a prefix of.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpctl_cmd.h"

struct cmd_split {
	const struct smtpctl_cmd	*s_cmd;
	size_t				 s_nwords;
	char				*s_words[SMTPCTL_CMD_MAX_WORDS];
	char				*s_buf;
};

static void	cmd_split(struct cmd_split *, const struct smtpctl_cmd *);
static int	cmd_prefix_is(const struct cmd_split *, char **, size_t);
static size_t	cmd_next_words(const struct cmd_split *, size_t, char **,
		    size_t, char **);
static void	cmd_fail(const struct cmd_split *, size_t, char **, size_t);
static size_t	cmd_complete(const struct cmd_split *, size_t, char **,
		    size_t);

static void
cmd_split(struct cmd_split *s, const struct smtpctl_cmd *cmd)
{
	char	*p, *w;

	s->s_cmd = cmd;
	s->s_nwords = 0;
	if ((s->s_buf = strdup(cmd->c_words)) == NULL)
		err(1, "strdup");
	p = s->s_buf;
	while ((w = strsep(&p, " ")) != NULL) {
		if (*w == '\0')
			continue;
		if (s->s_nwords == SMTPCTL_CMD_MAX_WORDS)
			errx(1, "cmd_split: too many words: %s", cmd->c_words);
		s->s_words[s->s_nwords++] = w;
	}
}

/* Do the first n words of s equal the matched table words? */
static int
cmd_prefix_is(const struct cmd_split *s, char **matched, size_t n)
{
	size_t	i;

	if (s->s_nwords < n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(s->s_words[i], matched[i]) != 0)
			return 0;
	return 1;
}

/* The distinct words that may follow the n matched words, table order. */
static size_t
cmd_next_words(const struct cmd_split *tab, size_t ntab, char **matched,
    size_t n, char **out)
{
	size_t	i, j, nout = 0;

	for (i = 0; i < ntab; i++) {
		if (tab[i].s_nwords <= n || !cmd_prefix_is(&tab[i], matched, n))
			continue;
		for (j = 0; j < nout; j++)
			if (strcmp(out[j], tab[i].s_words[n]) == 0)
				break;
		if (j == nout)
			out[nout++] = tab[i].s_words[n];
	}
	return nout;
}

/* The command whose words are exactly the n matched ones, or ntab. */
static size_t
cmd_complete(const struct cmd_split *tab, size_t ntab, char **matched,
    size_t n)
{
	size_t	i;

	for (i = 0; i < ntab; i++)
		if (tab[i].s_nwords == n && cmd_prefix_is(&tab[i], matched, n))
			return i;
	return ntab;
}

static void
cmd_fail(const struct cmd_split *tab, size_t ntab, char **matched, size_t n)
{
	char	*next[ntab];
	size_t	 nnext, i, j;

	nnext = cmd_next_words(tab, ntab, matched, n, next);
	if (nnext == 0) {
		fprintf(stderr, "invalid command\n");
		return;
	}
	fprintf(stderr, "possibilities are:\n");
	for (i = 0; i < nnext; i++) {
		for (j = 0; j < n; j++)
			fprintf(stderr, "%s ", matched[j]);
		fprintf(stderr, "%s\n", next[i]);
	}
}

int
smtpctl_cmd_run(const struct smtpctl_cmd *cmds, size_t ncmds, int argc,
    char **argv)
{
	struct cmd_split	 tab[ncmds];
	char			*matched[SMTPCTL_CMD_MAX_WORDS];
	char			*next[ncmds], *best;
	size_t			 i, j, n, nnext, len;
	int			 ret = -1;

	for (i = 0; i < ncmds; i++)
		cmd_split(&tab[i], &cmds[i]);

	for (n = 0; n < (size_t)argc; n++) {
		if (n == SMTPCTL_CMD_MAX_WORDS) {
			fprintf(stderr, "invalid command\n");
			goto done;
		}
		nnext = cmd_next_words(tab, ncmds, matched, n, next);
		best = NULL;
		for (j = 0; j < nnext; j++)
			if (strcmp(next[j], argv[n]) == 0)
				best = next[j];
		if (best == NULL) {
			len = strlen(argv[n]);
			for (j = 0; j < nnext; j++) {
				if (strncmp(next[j], argv[n], len) != 0)
					continue;
				if (best != NULL) {
					best = NULL;	/* ambiguous */
					break;
				}
				best = next[j];
			}
		}
		if (best == NULL && n + 1 == (size_t)argc &&
		    (i = cmd_complete(tab, ncmds, matched, n)) < ncmds &&
		    tab[i].s_cmd->c_run_arg != NULL) {
			ret = tab[i].s_cmd->c_run_arg(argv[n]);
			goto done;
		}
		if (best == NULL) {
			cmd_fail(tab, ncmds, matched, n);
			goto done;
		}
		matched[n] = best;
	}

	for (i = 0; i < ncmds; i++) {
		if (tab[i].s_nwords == n && cmd_prefix_is(&tab[i], matched, n)) {
			ret = tab[i].s_cmd->c_run_arg != NULL ?
			    tab[i].s_cmd->c_run_arg(NULL) :
			    tab[i].s_cmd->c_run();
			goto done;
		}
	}
	cmd_fail(tab, ncmds, matched, n);

done:
	for (i = 0; i < ncmds; i++)
		free(tab[i].s_buf);
	return ret;
}
