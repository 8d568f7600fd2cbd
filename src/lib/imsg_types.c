/*
 * Names of the inter-process message types, for log lines that must say
 * which message a process could not handle.  Process-free.
 */
#include <stdio.h>

#include "imsg_types.h"

static const char *const imsg_names[IMSG_TYPE_COUNT] = {
	[IMSG_NONE] = "IMSG_NONE",
	[IMSG_CONF_START] = "IMSG_CONF_START",
	[IMSG_CONF_GLOBAL] = "IMSG_CONF_GLOBAL",
	[IMSG_CONF_TABLE] = "IMSG_CONF_TABLE",
	[IMSG_CONF_TABLE_ENTRY] = "IMSG_CONF_TABLE_ENTRY",
	[IMSG_CONF_PKI] = "IMSG_CONF_PKI",
	[IMSG_CONF_PKI_KEY] = "IMSG_CONF_PKI_KEY",
	[IMSG_CONF_CA] = "IMSG_CONF_CA",
	[IMSG_CONF_LISTENER] = "IMSG_CONF_LISTENER",
	[IMSG_CONF_ACTION] = "IMSG_CONF_ACTION",
	[IMSG_CONF_MATCH] = "IMSG_CONF_MATCH",
	[IMSG_CONF_FILTER] = "IMSG_CONF_FILTER",
	[IMSG_CONF_PROC] = "IMSG_CONF_PROC",
	[IMSG_CONF_MDA_WRAPPER] = "IMSG_CONF_MDA_WRAPPER",
	[IMSG_CONF_MTA_LIMIT] = "IMSG_CONF_MTA_LIMIT",
	[IMSG_CONF_END] = "IMSG_CONF_END",
	[IMSG_PROC_READY] = "IMSG_PROC_READY",
	[IMSG_PROC_SHUTDOWN] = "IMSG_PROC_SHUTDOWN",
	[IMSG_CTL_OK] = "IMSG_CTL_OK",
	[IMSG_CTL_FAIL] = "IMSG_CTL_FAIL",
	[IMSG_CTL_VERBOSE] = "IMSG_CTL_VERBOSE",
	[IMSG_CTL_TRACE] = "IMSG_CTL_TRACE",
	[IMSG_CTL_STATS] = "IMSG_CTL_STATS",
	[IMSG_CTL_STATS_END] = "IMSG_CTL_STATS_END",
	[IMSG_CTL_STATUS] = "IMSG_CTL_STATUS",
	[IMSG_CTL_PAUSE] = "IMSG_CTL_PAUSE",
	[IMSG_CTL_RESUME] = "IMSG_CTL_RESUME",
};

const char *
imsg_type_name(uint32_t type)
{
	static char	unknown[32];

	if (type < IMSG_TYPE_COUNT && imsg_names[type] != NULL)
		return imsg_names[type];
	(void)snprintf(unknown, sizeof(unknown), "IMSG_UNKNOWN(%u)", type);
	return unknown;
}
