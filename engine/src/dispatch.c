/* dispatch.c - the op table (see dispatch.h). */
#include "dispatch.h"

#include "master.h"
#include "orders.h"
#include "pack.h"
#include "pick.h"
#include "returns.h"
#include "scan.h"
#include "ship.h"
#include "sysops.h"
#include "watch.h"
#include "wave.h"

#include <string.h>

struct op_row {
	const char *name;
	cmd_handler handler;
};

/* One row per op of the protocol (wms-protocol/src/ops.c), same order. */
static const struct op_row op_rows[] = {
	{ "ping", sys_ping },
	{ "clock.set", sys_clock_set },
	{ "clock.advance", sys_clock_advance },
	{ "events.read", sys_events_read },
	{ "tenant.put", master_tenant_put },
	{ "tenant.get", master_tenant_get },
	{ "warehouse.put", master_warehouse_put },
	{ "warehouse.get", master_warehouse_get },
	{ "item.put", master_item_put },
	{ "item.get", master_item_get },
	{ "stock.receive", master_stock_receive },
	{ "stock.adjust", master_stock_adjust },
	{ "stock.get", master_stock_get },
	{ "order.submit", order_submit },
	{ "order.get", order_get },
	{ "order.cancel", order_cancel },
	{ "wave.plan", wave_plan },
	{ "wave.get", wave_get },
	{ "wave.release", wave_release },
	{ "wave.cancel", wave_cancel },
	{ "task.next", task_next },
	{ "device.put", device_put },
	{ "pick.scan", pick_scan },
	{ "pick.short", pick_short },
	{ "pack.scan", pack_scan },
	{ "pack.weigh", pack_weigh },
	{ "pack.close", pack_close },
	{ "pack.abort", pack_abort },
	{ "ship.confirm", ship_confirm },
	{ "manifest.close", manifest_close },
	{ "carrier.event", carrier_event },
	{ "return.authorize", return_authorize },
	{ "return.receive", return_receive },
	{ "return.grade", return_grade },
	{ "report.otif", report_otif },
};
#define N_ROWS (sizeof(op_rows) / sizeof(op_rows[0]))

cmd_handler dispatch_handler(const struct wms_op_spec *op)
{
	size_t n;
	const struct wms_op_spec *ops = wms_ops(&n);
	size_t i = (size_t)(op - ops);
	/* Rows mirror the protocol table, so the index is the answer; the name check keeps a
	 * reordered table from silently running the wrong handler. */
	if (i < N_ROWS && strcmp(op_rows[i].name, op->name) == 0)
		return op_rows[i].handler;
	for (i = 0; i < N_ROWS; i++)
		if (strcmp(op_rows[i].name, op->name) == 0)
			return op_rows[i].handler;
	return NULL;
}

int dispatch_check(struct wms_error *err)
{
	size_t n;
	const struct wms_op_spec *ops = wms_ops(&n);
	for (size_t i = 0; i < n; i++)
		if (dispatch_handler(&ops[i]) == NULL)
			return wms_error_set(err, WMS_EINTERNAL, "op",
			                     "op '%s' of the protocol has no handler", ops[i].name);
	for (size_t i = 0; i < N_ROWS; i++)
		if (wms_op_find(op_rows[i].name) == NULL)
			return wms_error_set(err, WMS_EINTERNAL, "op",
			                     "handler for '%s', which the protocol does not define",
			                     op_rows[i].name);
	return 0;
}

int dispatch_tick(struct cmd_ctx *c)
{
	return watch_tick(c);
}
