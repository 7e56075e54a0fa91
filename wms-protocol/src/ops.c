/*
 * ops.c - the op table of protocol version 1 and the request schemas.
 *
 * Bounds here are the protocol's limits and PROTOCOL.md quotes them; change both together.
 */
#include "wms/ops.h"

#include <string.h>

#define REQ WMS_F_REQUIRED
#define OPT 0
#define F_ID(n, fl)                                                                                \
	{                                                                                          \
		.name = n, .type = WMS_T_ID, .flags = fl                                           \
	}
#define F_STR(n, fl, mx)                                                                           \
	{                                                                                          \
		.name = n, .type = WMS_T_STRING, .flags = fl, .max = mx                            \
	}
/* A scanner's text as sent: GS (ASCII 29) between GS1 element strings, a GS alias, a wedge's
 * CR LF; the barcode library judges it (wms/schema.h WMS_F_SCAN). */
#define F_SCAN(n, fl, mx)                                                                          \
	{                                                                                          \
		.name = n, .type = WMS_T_STRING, .flags = (fl) | WMS_F_SCAN, .max = mx             \
	}
/* Free text over several lines: may hold TAB, LF and CR (PROTOCOL.md section 2). */
#define F_TEXT(n, fl, mx)                                                                          \
	{                                                                                          \
		.name = n, .type = WMS_T_STRING, .flags = (fl) | WMS_F_TEXT, .max = mx             \
	}
/* A location code of the warehouse's layout: given one spelling by the codec (wms/schema.h). */
#define F_LOC(n, fl, mx)                                                                           \
	{                                                                                          \
		.name = n, .type = WMS_T_STRING, .flags = (fl) | WMS_F_LOCATION, .max = mx         \
	}
#define F_INT(n, fl, lo, hi)                                                                       \
	{                                                                                          \
		.name = n, .type = WMS_T_INT, .flags = fl, .min = lo, .max = hi                    \
	}
#define F_NUM(n, fl, lo, hi)                                                                       \
	{                                                                                          \
		.name = n, .type = WMS_T_NUMBER, .flags = fl, .min = lo, .max = hi                 \
	}
#define F_BOOL(n, fl)                                                                              \
	{                                                                                          \
		.name = n, .type = WMS_T_BOOL, .flags = fl                                         \
	}
#define F_TIME(n, fl)                                                                              \
	{                                                                                          \
		.name = n, .type = WMS_T_TIME, .flags = fl                                         \
	}
#define F_DATE(n, fl)                                                                              \
	{                                                                                          \
		.name = n, .type = WMS_T_DATE, .flags = fl                                         \
	}
#define F_ENUM(n, fl, vals)                                                                        \
	{                                                                                          \
		.name = n, .type = WMS_T_ENUM, .flags = fl, .values = vals                         \
	}
#define F_OBJ(n, fl, sch)                                                                          \
	{                                                                                          \
		.name = n, .type = WMS_T_OBJECT, .flags = fl, .schema = &sch                       \
	}
#define F_OBJS(n, fl, lo, hi, sch)                                                                 \
	{                                                                                          \
		.name = n, .type = WMS_T_ARRAY, .flags = fl, .min = lo, .max = hi,                 \
		.elem = WMS_T_OBJECT, .schema = &sch                                               \
	}
#define F_IDS(n, fl, lo, hi)                                                                       \
	{                                                                                          \
		.name = n, .type = WMS_T_ARRAY, .flags = fl, .min = lo, .max = hi,                 \
		.elem = WMS_T_ID                                                                   \
	}
#define F_END                                                                                      \
	{                                                                                          \
		NULL                                                                               \
	}
#define SCHEMA(var, nm, ...)                                                                       \
	static const struct wms_field var##_fields[] = { __VA_ARGS__, F_END };                     \
	static const struct wms_schema var = { nm, var##_fields }

/* Coordinates: WGS84 degrees. */
#define F_LAT(fl) F_NUM("lat", fl, -90, 90)
#define F_LON(fl) F_NUM("lon", fl, -180, 180)

static const struct wms_field empty_fields[] = { F_END };

/* ---- engine ---- */
static const struct wms_schema s_ping = { "ping", empty_fields };
SCHEMA(s_clock_set, "clock.set", F_TIME("at", REQ));
SCHEMA(s_clock_advance, "clock.advance", F_NUM("seconds", REQ, 0, 3.2e8));
SCHEMA(s_events_read, "events.read", F_INT("after", OPT, 0, 9.0e15), F_INT("limit", OPT, 1, 10000),
       F_STR("prefix", OPT, 64));

/* ---- master data ---- */
static const char *const comp_when[] = { "late", "packing_error", NULL };
static const char *const comp_kinds[] = { "voucher", "free_shipping", "replacement_express",
	                                  "refund",  "none",          NULL };
SCHEMA(s_comp_rule, "rule", F_ENUM("when", REQ, comp_when),
       F_INT("max_late_minutes", OPT, 0, 5256000), F_ENUM("kind", REQ, comp_kinds),
       F_NUM("percent", OPT, 0, 100), F_STR("text", OPT, 200));
SCHEMA(s_tenant, "tenant", F_ID("id", REQ), F_STR("name", REQ, 200), F_BOOL("allow_split", OPT),
       F_STR("gs1_company_prefix", OPT, 12), F_OBJS("compensation", OPT, 0, 16, s_comp_rule));
SCHEMA(s_tenant_put, "tenant.put", F_OBJ("tenant", REQ, s_tenant));
SCHEMA(s_tenant_get, "tenant.get", F_ID("id", REQ));

SCHEMA(s_geo, "location", F_LAT(REQ), F_LON(REQ));
SCHEMA(s_depot, "depot", F_INT("aisle", REQ, 1, 200), F_NUM("offset", OPT, 0, 1000),
       F_NUM("shift", OPT, -1000, 1000));
SCHEMA(s_layout, "layout", F_INT("aisles", REQ, 1, 200), F_INT("blocks", OPT, 1, 8),
       F_INT("slots_per_side", REQ, 1, 500), F_NUM("slot_length", REQ, 0.01, 100),
       F_NUM("aisle_spacing", REQ, 0.01, 100), F_NUM("end_gap", OPT, 0, 100),
       F_INT("levels", OPT, 1, 20), F_OBJ("depot", OPT, s_depot));
static const char *const weekdays[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL };
SCHEMA(s_carrier, "carrier", F_ID("carrier", REQ), F_ID("service", REQ), F_STR("cutoff", REQ, 5),
       F_INT("transit_days", REQ, 0, 60), F_NUM("cost", REQ, 0, 1.0e6),
       { .name = "days",
         .type = WMS_T_ARRAY,
         .min = 1,
         .max = 7,
         .elem = WMS_T_ENUM,
         .values = weekdays });
SCHEMA(s_warehouse, "warehouse", F_ID("id", REQ), F_STR("name", REQ, 200),
       F_STR("timezone", OPT, 64), F_OBJ("location", REQ, s_geo), F_OBJ("layout", REQ, s_layout),
       F_OBJS("carriers", REQ, 1, 64, s_carrier), F_IDS("pack_stations", OPT, 0, 256),
       F_INT("handling_minutes", OPT, 0, 10080), F_INT("pack_minutes", OPT, 0, 1440),
       F_INT("carton_tare_g", OPT, 0, 100000), F_INT("weight_tolerance_g", OPT, 0, 100000),
       F_NUM("weight_tolerance_pct", OPT, 0, 100));
SCHEMA(s_warehouse_put, "warehouse.put", F_OBJ("warehouse", REQ, s_warehouse));
SCHEMA(s_warehouse_get, "warehouse.get", F_ID("id", REQ));

SCHEMA(s_gtin_entry, "gtin", F_STR("gtin", REQ, 14), F_INT("qty", OPT, 1, 100000));
SCHEMA(s_dims, "dims_mm", F_INT("l", REQ, 1, 10000), F_INT("w", REQ, 1, 10000),
       F_INT("h", REQ, 1, 10000));
SCHEMA(s_item, "item", F_ID("tenant", REQ), F_ID("sku", REQ), F_STR("description", OPT, 200),
       { .name = "gtins",
         .type = WMS_T_ARRAY,
         .flags = WMS_F_SHORTHAND,
         .min = 0,
         .max = 16,
         .elem = WMS_T_OBJECT,
         .schema = &s_gtin_entry },
       F_INT("weight_g", REQ, 0, 1000000), F_OBJ("dims_mm", OPT, s_dims),
       F_BOOL("lot_tracked", OPT), F_BOOL("serial_tracked", OPT));
SCHEMA(s_item_put, "item.put", F_OBJ("item", REQ, s_item));
SCHEMA(s_item_get, "item.get", F_ID("tenant", REQ), F_ID("sku", REQ));

SCHEMA(s_stock_receive, "stock.receive", F_ID("warehouse", REQ), F_LOC("location", REQ, 32),
       F_ID("tenant", REQ), F_ID("sku", REQ), F_INT("qty", REQ, 1, 1000000), F_ID("lot", OPT),
       F_DATE("expiry", OPT));
SCHEMA(s_stock_adjust, "stock.adjust", F_ID("warehouse", REQ), F_LOC("location", REQ, 32),
       F_ID("tenant", REQ), F_ID("sku", REQ), F_ID("lot", OPT), F_INT("qty", OPT, 0, 1000000),
       F_INT("delta", OPT, -1000000, 1000000), F_STR("reason", OPT, 200));
/* after: the opaque cursor of the previous page (hex of a store key, at most 2 x 511 bytes). */
SCHEMA(s_stock_get, "stock.get", F_ID("tenant", REQ), F_ID("sku", OPT), F_ID("warehouse", OPT),
       F_LOC("location", OPT, 32), F_STR("after", OPT, 1024), F_INT("limit", OPT, 1, 1000));

/* ---- orders ---- */
SCHEMA(s_line, "line", F_ID("sku", REQ), F_INT("qty", REQ, 1, 100000), F_ID("line", OPT));
SCHEMA(s_ship_to, "ship_to", F_STR("name", REQ, 200), F_STR("address", REQ, 500),
       F_STR("city", OPT, 100), F_STR("region", OPT, 100), F_STR("postal_code", REQ, 20),
       F_STR("country", REQ, 2), F_LAT(OPT), F_LON(OPT), F_STR("email", OPT, 254),
       F_STR("phone", OPT, 32));
SCHEMA(s_order, "order", F_ID("tenant", REQ), F_ID("id", REQ),
       F_OBJS("lines", REQ, 1, 1000, s_line), F_OBJ("ship_to", REQ, s_ship_to),
       F_ID("service", REQ), F_TIME("promised_by", REQ), F_TEXT("gift_message", OPT, 500),
       F_IDS("inserts", OPT, 0, 16), F_INT("priority", OPT, 0, 9), F_BOOL("allow_split", OPT),
       F_ID("carrier", OPT), F_TIME("placed_at", OPT));
SCHEMA(s_order_submit, "order.submit", F_OBJ("order", REQ, s_order));
SCHEMA(s_order_ref, "order.get", F_ID("tenant", REQ), F_ID("id", REQ));
SCHEMA(s_order_cancel, "order.cancel", F_ID("tenant", REQ), F_ID("id", REQ),
       F_STR("reason", OPT, 200));

/* ---- waves and picking ---- */
static const char *const batch_methods[] = { "savings", "fcfs", "single", NULL };
SCHEMA(s_cart, "cart", F_INT("totes", OPT, 1, 100), F_INT("units", OPT, 1, 1000000));
SCHEMA(s_wave_plan, "wave.plan", F_ID("warehouse", REQ), F_INT("max_orders", OPT, 1, 100000),
       F_INT("max_units", OPT, 1, 10000000), F_INT("max_carts", OPT, 1, 10000),
       F_INT("waves", OPT, 1, 100), F_OBJ("cart", OPT, s_cart),
       F_ENUM("method", OPT, batch_methods), F_TIME("cutoff_before", OPT),
       F_NUM("walk_mps", OPT, 0.1, 10), F_NUM("pick_seconds", OPT, 0, 3600),
       F_INT("pickers", OPT, 1, 10000), F_INT("pack_minutes", OPT, 0, 1440));
SCHEMA(s_wave_ref, "wave.get", F_ID("wave", REQ), F_INT("batches_after", OPT, 0, 1.0e9),
       F_INT("batch_limit", OPT, 1, 1000));
SCHEMA(s_wave_release, "wave.release", F_ID("wave", REQ));
SCHEMA(s_wave_cancel, "wave.cancel", F_ID("wave", REQ), F_STR("reason", OPT, 200));
SCHEMA(s_task_next, "task.next", F_ID("warehouse", REQ), F_ID("picker", REQ));
SCHEMA(s_device, "device", F_ID("id", REQ),
       { .name = "gs_alias", .type = WMS_T_STRING, .flags = WMS_F_GS_ALIAS, .max = 8 },
       F_ID("kind", OPT), F_ID("warehouse", OPT), F_ID("station", OPT));
SCHEMA(s_device_put, "device.put", F_OBJ("device", REQ, s_device));
SCHEMA(s_pick_scan, "pick.scan", F_ID("device", REQ), F_ID("scan_id", REQ), F_ID("task", REQ),
       F_SCAN("code", REQ, 4096), F_ID("picker", OPT));
SCHEMA(s_pick_short, "pick.short", F_ID("device", REQ), F_ID("scan_id", REQ), F_ID("task", REQ),
       F_INT("found", REQ, 0, 1000000), F_ID("picker", OPT), F_STR("reason", OPT, 200));
SCHEMA(s_pack_scan, "pack.scan", F_ID("station", REQ), F_ID("scan_id", REQ),
       F_SCAN("code", REQ, 4096), F_ID("packer", OPT));
SCHEMA(s_pack_weigh, "pack.weigh", F_ID("station", REQ), F_ID("scan_id", REQ),
       F_INT("grams", REQ, 0, 1000000), F_ID("packer", OPT));
SCHEMA(s_pack_close, "pack.close", F_ID("station", REQ), F_ID("scan_id", REQ), F_ID("packer", OPT));
SCHEMA(s_pack_abort, "pack.abort", F_ID("station", REQ), F_ID("scan_id", REQ), F_ID("packer", OPT),
       F_STR("reason", OPT, 200));

/* ---- shipping ---- */
static const char *const carrier_statuses[] = { "in_transit", "out_for_delivery",   "delivered",
	                                        "exception",  "returned_to_sender", NULL };
SCHEMA(s_ship_confirm, "ship.confirm", F_ID("shipment", REQ), F_ID("carrier", OPT),
       F_ID("service", OPT));
SCHEMA(s_manifest_close, "manifest.close", F_ID("warehouse", REQ), F_ID("carrier", REQ),
       F_DATE("date", OPT));
SCHEMA(s_carrier_event, "carrier.event", F_STR("tracking", REQ, 40),
       F_ENUM("status", REQ, carrier_statuses), F_TIME("at", REQ), F_STR("location", OPT, 200),
       F_TEXT("detail", OPT, 500), F_ID("reason", OPT), F_TIME("estimate", OPT));

/* ---- returns and reports ---- */
static const char *const return_reasons[] = { "wrong_item", "damaged", "unwanted", "exchange",
	                                      NULL };
static const char *const grades[] = { "restock", "quarantine", NULL };
static const char *const otif_by[] = { "warehouse", "tenant", "carrier", "day", NULL };
SCHEMA(s_return_line, "line", F_ID("sku", REQ), F_INT("qty", REQ, 1, 100000),
       F_ENUM("reason", REQ, return_reasons), F_ID("exchange_sku", OPT));
SCHEMA(s_return_authorize, "return.authorize", F_ID("tenant", REQ), F_ID("order", REQ),
       F_ID("rma", OPT), F_OBJS("lines", REQ, 1, 1000, s_return_line));
SCHEMA(s_return_receive, "return.receive", F_ID("rma", REQ),
       { .name = "codes",
         .type = WMS_T_ARRAY,
         .flags = REQ | WMS_F_SCAN,
         .min = 1,
         .max = 1000,
         .elem = WMS_T_STRING,
         .emax = 4096 },
       F_ID("station", OPT));
SCHEMA(s_grade_line, "line", F_ID("sku", REQ), F_INT("qty", REQ, 1, 100000),
       F_ENUM("grade", REQ, grades), F_LOC("location", OPT, 40), F_ID("lot", OPT));
SCHEMA(s_return_grade, "return.grade", F_ID("rma", REQ),
       F_OBJS("lines", REQ, 1, 1000, s_grade_line));
SCHEMA(s_report_otif, "report.otif", F_TIME("from", REQ), F_TIME("to", REQ),
       F_ENUM("by", OPT, otif_by));

#define R WMS_OP_READ
#define W WMS_OP_WRITE
static const struct wms_op_spec op_table[] = {
	{ "ping", R, &s_ping },
	{ "clock.set", W, &s_clock_set },
	{ "clock.advance", W, &s_clock_advance },
	{ "events.read", R, &s_events_read },
	{ "tenant.put", W, &s_tenant_put },
	{ "tenant.get", R, &s_tenant_get },
	{ "warehouse.put", W, &s_warehouse_put },
	{ "warehouse.get", R, &s_warehouse_get },
	{ "item.put", W, &s_item_put },
	{ "item.get", R, &s_item_get },
	{ "stock.receive", W, &s_stock_receive },
	{ "stock.adjust", W, &s_stock_adjust },
	{ "stock.get", R, &s_stock_get },
	{ "order.submit", W, &s_order_submit },
	{ "order.get", R, &s_order_ref },
	{ "order.cancel", W, &s_order_cancel },
	{ "wave.plan", W, &s_wave_plan },
	{ "wave.get", R, &s_wave_ref },
	{ "wave.release", W, &s_wave_release },
	{ "wave.cancel", W, &s_wave_cancel },
	{ "task.next", W, &s_task_next },
	{ "device.put", W, &s_device_put },
	{ "pick.scan", W, &s_pick_scan },
	{ "pick.short", W, &s_pick_short },
	{ "pack.scan", W, &s_pack_scan },
	{ "pack.weigh", W, &s_pack_weigh },
	{ "pack.close", W, &s_pack_close },
	{ "pack.abort", W, &s_pack_abort },
	{ "ship.confirm", W, &s_ship_confirm },
	{ "manifest.close", W, &s_manifest_close },
	{ "carrier.event", W, &s_carrier_event },
	{ "return.authorize", W, &s_return_authorize },
	{ "return.receive", W, &s_return_receive },
	{ "return.grade", W, &s_return_grade },
	{ "report.otif", R, &s_report_otif },
};

const struct wms_op_spec *wms_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (strcmp(op_table[i].name, name) == 0)
			return &op_table[i];
	return NULL;
}

const struct wms_op_spec *wms_ops(size_t *n)
{
	*n = sizeof(op_table) / sizeof(op_table[0]);
	return op_table;
}
