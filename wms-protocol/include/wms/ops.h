/*
 * wms/ops.h - the operations of protocol version 1 and their schemas.
 *
 * This table is the contract's machine-readable half (PROTOCOL.md is the other): every op the
 * engine serves is here with its flags and request schema. The engine binds a handler to each
 * (and its tests check that none is missing); clients use it to validate before sending.
 *
 * Static const data; thread-safe.
 */
#ifndef WMS_OPS_H
#define WMS_OPS_H

#include <stddef.h>

#include "wms/schema.h"

enum wms_op_flags {
	WMS_OP_READ = 0x1,  /* answered from a read transaction, never changes state */
	WMS_OP_WRITE = 0x2, /* goes through the single writer; accepts idem_key */
};

struct wms_op_spec {
	const char *name;
	unsigned flags;
	const struct wms_schema *schema;
};

/* The op named NAME, or NULL. */
const struct wms_op_spec *wms_op_find(const char *name);

/* All ops, in table order; *N receives the count. */
const struct wms_op_spec *wms_ops(size_t *n);

#endif
