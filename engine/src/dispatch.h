/*
 * dispatch.h - the op table: which handler runs each op of the protocol.
 *
 * Adding an op = its schema in wms-protocol/src/ops.c + a handler + a row in dispatch.c +
 * tests. dispatch_check() (called at engine open, and by a test) refuses a build in which an
 * op of the protocol has no handler or a handler names an op the protocol lacks.
 */
#ifndef WMS_DISPATCH_H
#define WMS_DISPATCH_H

#include "cmd.h"
#include "wms/ops.h"

/* The handler of OP (never NULL once dispatch_check passed). */
cmd_handler dispatch_handler(const struct wms_op_spec *op);

/* 0 when the protocol's ops and the handlers match one to one; else WMS_EINTERNAL with ERR. */
int dispatch_check(struct wms_error *err);

/*
 * The engine's periodic duties (promise watch and the like), run by the writer in a write
 * transaction at each tick and after the simulated clock moves. Returns 0 or an error that
 * rolls the tick back.
 */
int dispatch_tick(struct cmd_ctx *c);

#endif
