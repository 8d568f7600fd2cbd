/*
 * Private to config_ipc_send.c and config_ipc_recv.c, the two sides of
 * the config distribution: what both must agree on.  Only those two
 * files include this header.
 */
#ifndef CONFIG_IPC_INTERNAL_H
#define CONFIG_IPC_INTERNAL_H

#include <stdint.h>

#define CONF_IPC_MAGIC	0x50434631U	/* "PCF1" */
#define NOREF		UINT32_MAX

/* Order in which messages must arrive; a message may not go back. */
enum conf_stage {
	ST_START = 0,
	ST_GLOBAL,
	ST_TABLE,
	ST_PKI,
	ST_CA,
	ST_PROC,
	ST_FILTER,
	ST_LISTENER,
	ST_WRAPPER,
	ST_ACTION,
	ST_MATCH,
	ST_MTA_LIMIT,
	ST_END,
};

#endif /* CONFIG_IPC_INTERNAL_H */
