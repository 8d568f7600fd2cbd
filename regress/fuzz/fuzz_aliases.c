/*
 * libFuzzer target for the aliases(5)/table(5) syntax (src/lib/aliases.c,
 * src/lib/table_parse.c), the parsers lka runs on alias tables and on
 * users' .forward files.  The input is parsed as a table file in both
 * modes, every value of an aliases-mode parse is split into items, and
 * the whole input is also split into items directly.  Checks beyond
 * "no crash": keys are lower-case, every item is one of the six kinds
 * with a NUL-terminated value, error codes are 4xx/5xx, and a list file
 * passes NULL values while a mapping passes non-empty ones.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"

#define FUZZ_MAX_INPUT	(256 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_state {
	int	mode;		/* -1 unknown, 0 list, 1 mapping */
	int	items;
};

static int
item_cb(void *arg, const struct expand_item *it)
{
	struct fuzz_state	*st = arg;

	st->items++;
	if (strnlen(it->en_value, sizeof(it->en_value)) ==
	    sizeof(it->en_value) ||
	    strnlen(it->en_addr.ma_user, sizeof(it->en_addr.ma_user)) ==
	    sizeof(it->en_addr.ma_user) ||
	    strnlen(it->en_addr.ma_domain, sizeof(it->en_addr.ma_domain)) ==
	    sizeof(it->en_addr.ma_domain))
		abort();
	switch (it->en_type) {
	case EXP_ADDRESS:
		if (it->en_addr.ma_user[0] == '\0' ||
		    it->en_addr.ma_domain[0] == '\0')
			abort();
		break;
	case EXP_USERNAME:
		if (it->en_addr.ma_user[0] == '\0' ||
		    it->en_addr.ma_domain[0] != '\0')
			abort();
		break;
	case EXP_FILENAME:
	case EXP_INCLUDE:
		if (it->en_value[0] != '/')
			abort();
		break;
	case EXP_COMMAND:
		if (it->en_value[0] == '\0')
			abort();
		break;
	case EXP_ERROR:
		if (it->en_code < 400 || it->en_code > 599 ||
		    it->en_value[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	if (it->en_noexpand && it->en_type != EXP_USERNAME)
		abort();
	return 0;
}

static int
entry_cb(void *arg, const char *key, const char *val, int line)
{
	struct fuzz_state	*st = arg;
	struct fuzz_state	 items;
	const char		*errstr, *p;
	int			 mode = val != NULL;

	if (line < 1 || key[0] == '\0')
		abort();
	for (p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	if (st->mode != -1 && st->mode != mode)
		abort();
	st->mode = mode;
	if (val != NULL) {
		if (val[0] == '\0')
			abort();
		memset(&items, 0, sizeof(items));
		(void)aliases_parse_items(val, strlen(val), item_cb, &items,
		    &errstr);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state	 st;
	const char		*errstr;
	char			*copy, err[256];
	int			 flags;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);

	for (flags = 0; flags <= TABLE_PARSE_ALIASES;
	    flags += TABLE_PARSE_ALIASES) {
		memset(&st, 0, sizeof(st));
		st.mode = -1;
		err[0] = 'x';
		if (table_parse_file(copy, size, flags, entry_cb, &st, err,
		    sizeof(err)) == -1) {
			if (strncmp(err, "line ", 5) != 0)
				abort();
		} else if ((flags & TABLE_PARSE_ALIASES) && st.mode == 0)
			abort();
	}

	memset(&st, 0, sizeof(st));
	errstr = NULL;
	if (aliases_parse_items(copy, size, item_cb, &st, &errstr) == -1 &&
	    errstr == NULL)
		abort();
	free(copy);
	return 0;
}
