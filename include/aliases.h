/*
 * The syntax of aliases(5), forward(5) and :include: files, and of
 * table(5) files.  Library code (src/lib/aliases.c, src/lib/table_parse.c):
 * parsing only; lka does lookups, recursion and loop detection.
 *
 * An alias value is a comma-separated list of items (commas inside
 * double quotes do not separate); each item is one of:
 *   user@domain	an address			EXP_ADDRESS
 *   user		a local user or another alias	EXP_USERNAME
 *   /path		append to a file (mbox format)	EXP_FILENAME
 *   "|command"	pipe to a command (quotes optional)	EXP_COMMAND
 *   :include:/path	read more items from a file	EXP_INCLUDE
 *   error:code text	refuse with this SMTP reply	EXP_ERROR
 *			(code 4xx or 5xx, required)
 * A leading backslash ("\user") means the user's own mailbox without
 * further alias or .forward expansion (EXP_USERNAME, en_noexpand).
 */
#ifndef POSTERN_ALIASES_H
#define POSTERN_ALIASES_H

#include <stddef.h>

#include "mailaddr.h"
#include "postern_limits.h"

enum expand_type {
	EXP_ADDRESS = 1,
	EXP_USERNAME,
	EXP_FILENAME,
	EXP_COMMAND,
	EXP_INCLUDE,
	EXP_ERROR,
};

struct expand_item {
	enum expand_type en_type;
	int		 en_noexpand;		/* "\user" */
	struct mailaddr	 en_addr;		/* EXP_ADDRESS, EXP_USERNAME */
	char		 en_value[ENVELOPE_ARG_MAX + 1]; /* path, command,
						 * or error text */
	int		 en_code;		/* EXP_ERROR: 4xx/5xx */
};

typedef int (*expand_item_cb)(void *arg, const struct expand_item *);

/*
 * Parse a list of items (the value of an alias, a .forward or
 * :include: file's content with newlines as separators too, a virtual
 * table value).  cb is called for each item in order; a cb returning -1
 * stops the parse (-1).  Empty items are skipped.  Returns 0, or -1 with
 * *errstr on malformed input (item too long, bad address, error: without
 * a valid code, unbalanced quote).
 */
int	 aliases_parse_items(const char *s, size_t len, expand_item_cb,
	    void *arg, const char **errstr);

/*
 * A table file (table(5), aliases(5)): one entry per line, "key value"
 * (the key ends at the first blank, or at a ':' ending it), or "key"
 * alone (a list); '#' starts a comment line; blank lines skipped; for
 * aliases, a line starting with a blank continues the previous one.
 * Keys are lower-cased.  cb gets each entry (val NULL in a list) and
 * its line number; returns -1 to stop.  A file mixing list and mapping
 * lines is refused.  0, or -1 with "line N: reason" in err.
 */
#define TABLE_PARSE_ALIASES	0x01	/* continuation lines, "key:" */
typedef int (*table_entry_cb)(void *arg, const char *key, const char *val,
    int line);
int	 table_parse_file(const char *buf, size_t len, int flags,
	    table_entry_cb, void *arg, char *err, size_t errlen);

#endif
