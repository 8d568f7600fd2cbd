/*
 * Per-process counters.  Linked into every process (parent and all
 * roles); each process counts only its own events, in memory, and
 * answers IMSG_CTL_STATS from control through the process layer.
 * Trusts its callers (keys are program constants); reads nothing from
 * outside.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"
#include "postern_limits.h"
#include "stat.h"

struct stat_entry {
	RB_ENTRY(stat_entry)	 se_entry;
	char			 se_key[STAT_MAX_KEYLEN + 1];
	int64_t			 se_value;
};

RB_HEAD(stat_tree, stat_entry);

/* Not static: libbsd cannot mark the unused generated functions. */
int	stat_cmp(const struct stat_entry *, const struct stat_entry *);
RB_PROTOTYPE(stat_tree, stat_entry, se_entry, stat_cmp);

static struct stat_tree	stat_entries = RB_INITIALIZER(&stat_entries);
static size_t		stat_count;
static int		stat_full_warned;

int
stat_cmp(const struct stat_entry *a, const struct stat_entry *b)
{
	return strcmp(a->se_key, b->se_key);
}

RB_GENERATE(stat_tree, stat_entry, se_entry, stat_cmp);

static struct stat_entry *
stat_find(const char *key)
{
	struct stat_entry	 needle;

	if (strlcpy(needle.se_key, key, sizeof(needle.se_key)) >=
	    sizeof(needle.se_key))
		return NULL;
	return RB_FIND(stat_tree, &stat_entries, &needle);
}

/* The entry for key, created at 0 if needed; NULL if it cannot be. */
static struct stat_entry *
stat_lookup(const char *key)
{
	struct stat_entry	*se;

	if ((se = stat_find(key)) != NULL)
		return se;
	if (strlen(key) > STAT_MAX_KEYLEN || key[0] == '\0') {
		log_warnx("stat_lookup: invalid counter name \"%.*s\"",
		    STAT_MAX_KEYLEN, key);
		return NULL;
	}
	if (stat_count >= STAT_MAX_KEYS) {
		if (!stat_full_warned)
			log_warnx("stat_lookup: more than %d counters, "
			    "dropping \"%s\"", STAT_MAX_KEYS, key);
		stat_full_warned = 1;
		return NULL;
	}
	if ((se = calloc(1, sizeof(*se))) == NULL)
		fatal("stat_lookup: calloc");
	(void)strlcpy(se->se_key, key, sizeof(se->se_key));
	RB_INSERT(stat_tree, &stat_entries, se);
	stat_count++;
	return se;
}

void
stat_increment(const char *key, size_t n)
{
	struct stat_entry	*se;

	if ((se = stat_lookup(key)) != NULL)
		se->se_value += (int64_t)n;
}

void
stat_decrement(const char *key, size_t n)
{
	struct stat_entry	*se;

	if ((se = stat_lookup(key)) != NULL)
		se->se_value -= (int64_t)n;
}

void
stat_set(const char *key, int64_t value)
{
	struct stat_entry	*se;

	if ((se = stat_lookup(key)) != NULL)
		se->se_value = value;
}

int
stat_get(const char *key, int64_t *value)
{
	struct stat_entry	*se;

	if ((se = stat_find(key)) == NULL)
		return -1;
	*value = se->se_value;
	return 0;
}

void
stat_msg_build(struct msg_out *mo, const char *procname, pid_t pid)
{
	struct stat_entry	*se;

	m_init(mo);
	m_add_string(mo, procname);
	m_add_u32(mo, (uint32_t)pid);
	m_add_u32(mo, (uint32_t)stat_count);
	RB_FOREACH(se, stat_tree, &stat_entries) {
		m_add_string(mo, se->se_key);
		m_add_i64(mo, se->se_value);
	}
	/* STAT_MAX_KEYS * STAT_MAX_KEYLEN fits IPC_MAX_PAYLOAD by far. */
	if (m_error(mo) == -1)
		fatalx("stat_msg_build: counters do not fit one message");
}

void
stat_msg_read(struct msg_in *mi, const char **procname, uint32_t *pid,
    uint32_t *n)
{
	m_get_string(mi, procname);
	m_get_u32(mi, pid);
	m_get_u32(mi, n);
}

void
stat_msg_next(struct msg_in *mi, const char **key, int64_t *value)
{
	m_get_string(mi, key);
	m_get_i64(mi, value);
}
