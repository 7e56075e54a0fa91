/*
 * sysops.h - the engine's own ops: ping, the simulated clock, and event replay.
 */
#ifndef WMS_SYSOPS_H
#define WMS_SYSOPS_H

#include "cmd.h"

int sys_ping(struct cmd_ctx *c, json_t **reply);
int sys_clock_set(struct cmd_ctx *c, json_t **reply);
int sys_clock_advance(struct cmd_ctx *c, json_t **reply);
int sys_events_read(struct cmd_ctx *c, json_t **reply);

#endif
