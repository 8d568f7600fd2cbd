/*
 * Every inter-process message type, IMSG_<DOMAIN>_<VERB>, in one enum.
 * imsg_type_name() (src/lib/imsg_types.c) gives the name for logs; keep
 * the two lists in the same order.
 */
#ifndef POSTERN_IMSG_TYPES_H
#define POSTERN_IMSG_TYPES_H

#include <stdint.h>

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> children: configuration, sent in pieces, then END */
	IMSG_CONF_START,
	IMSG_CONF_GLOBAL,
	IMSG_CONF_TABLE,
	IMSG_CONF_TABLE_ENTRY,
	IMSG_CONF_PKI,
	IMSG_CONF_PKI_KEY,
	IMSG_CONF_CA,
	IMSG_CONF_LISTENER,
	IMSG_CONF_ACTION,
	IMSG_CONF_MATCH,
	IMSG_CONF_FILTER,
	IMSG_CONF_PROC,
	IMSG_CONF_MDA_WRAPPER,
	IMSG_CONF_MTA_LIMIT,
	IMSG_CONF_END,

	/* process layer */
	IMSG_PROC_READY,		/* child -> parent: init done */
	IMSG_PROC_SHUTDOWN,		/* parent -> child: exit cleanly */

	/* control */
	IMSG_CTL_OK,
	IMSG_CTL_FAIL,
	IMSG_CTL_VERBOSE,
	IMSG_CTL_TRACE,
	IMSG_CTL_STATS,			/* request / one process's answer */
	IMSG_CTL_STATS_END,
	IMSG_CTL_STATUS,
	IMSG_CTL_PAUSE,
	IMSG_CTL_RESUME,

	IMSG_TYPE_COUNT
};

const char	*imsg_type_name(uint32_t);

#endif
