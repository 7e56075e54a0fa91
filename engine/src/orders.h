/*
 * orders.h - orders: submission, look-up, cancellation, and the order lifecycle.
 *
 *                 +--> backordered --+
 *                 |                  v
 *   received --+--+--> allocated --> waved --> picking --> picked --> packing --> packed
 *                                                                                  |
 *   delivered <-- out_for_delivery <-- in_transit <-- shipped <--------------------+
 *       |
 *       +--> returned            any state before shipped --> cancelled
 *                                from picking on, a problem --> exception
 *
 * order_move() is the one function that changes an order's state: it checks order_can_move(),
 * stamps the milestone time, saves the document and emits "order.<state>" in the same
 * transaction. Invariants: a cancelled order holds no reservation and no work on the floor;
 * only orders none of whose shipments has shipped can be cancelled; states never move
 * backwards along the delivery chain except to re-allocate (a short pick sends picking/waved
 * back to allocated or backordered).
 *
 * The order's state is the least advanced of its shipments' (order_shipment_move). A part
 * waiting for stock after a short pick (alloc.h, state backordered) counts as below
 * allocated: an order waiting for a part stays backordered while its other shipments move on
 * (their moves are shipment.<state> events, up to shipped and beyond), and becomes allocated
 * once no part waits.
 *
 * Cancellation (order.cancel), at any state before shipped, and refused (invalid_state) when
 * any shipment has shipped: the order's open pick tasks are withdrawn (counted as finished by
 * their batches, wave.h), its totes freed, the pack stations packing it made idle (pack.h),
 * its closed cartons voided (kept with "voided": time), units already picked put back on hand
 * where they came from and its reservations released (alloc_cancel); it leaves the wave
 * queue and the backorder index. Its shipments stay in the allocation, state "cancelled".
 * order.cancelled carries what was undone: tasks_withdrawn, totes_freed, stations_idled,
 * cartons_voided, units_put_back [{shipment, sku, warehouse, location, lot?, qty}] and
 * units_released. Work of a cancelled order is refused naming the cancellation: ship.confirm
 * with invalid_state, pick and pack scans with an invalid_state verdict.
 *
 * Storage: orders live under a sequential internal number ("no", appended: new orders cost a
 * sequential write), with an index (tenant, id) -> no. The document is
 *   {"no","tenant","id","state","order":{as submitted},"milestones":{state: time},
 *    "reply":{the submit reply}, ...fields added by allocation, waves, packing, shipping}.
 */
#ifndef WMS_ORDERS_H
#define WMS_ORDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"

/* Stored and wire-visible: never renumber. */
enum order_state {
	ORDER_RECEIVED = 1,
	ORDER_ALLOCATED = 2,
	ORDER_BACKORDERED = 3,
	ORDER_WAVED = 4,
	ORDER_PICKING = 5,
	ORDER_PICKED = 6,
	ORDER_PACKING = 7,
	ORDER_PACKED = 8,
	ORDER_SHIPPED = 9,
	ORDER_IN_TRANSIT = 10,
	ORDER_OUT_FOR_DELIVERY = 11,
	ORDER_DELIVERED = 12,
	ORDER_CANCELLED = 13,
	ORDER_EXCEPTION = 14,
	ORDER_RETURNED = 15,
};
#define ORDER_STATE_MAX 15

const char *order_state_name(enum order_state s);
/* The state named NAME, or 0. */
enum order_state order_state_parse(const char *name);
bool order_can_move(enum order_state from, enum order_state to);
/* Whether the order has left the building (shipped or later, or returned). */
bool order_state_shipped(enum order_state s);

/* An order loaded for change; owns DOC. */
struct order {
	uint64_t no;
	json_t *doc;
	bool defer_save; /* order_move leaves saving to the caller (one write for a new order) */
};
#define ORDER_INIT                                                                                 \
	{                                                                                          \
		0, NULL, false                                                                     \
	}

/* Loads by tenant and id. Errors: WMS_ENOTFOUND (with c->err naming field `id`). */
int order_load(struct cmd_ctx *c, const char *tenant, const char *id, struct order *out);
/* The internal number of order ID of TENANT. Errors: WMS_ENOTFOUND (c->err untouched). */
int order_find(struct store_txn *txn, const char *tenant, const char *id, uint64_t *no);
int order_load_no(struct store_txn *txn, uint64_t no, struct order *out);
int order_save(struct cmd_ctx *c, const struct order *o);
void order_release(struct order *o);

enum order_state order_state(const struct order *o);
const char *order_tenant(const struct order *o);
const char *order_id(const struct order *o);
/* The order as submitted (borrowed from the document). */
const json_t *order_submitted(const struct order *o);

/*
 * Moves O to state TO (checked), stamps milestones[TO] = now, saves (unless o->defer_save), and
 * emits "order.<to>"
 * carrying tenant, order, from, and EXTRA's fields (stolen, may be NULL).
 * Errors: WMS_ESTATE when the move is not allowed.
 */
int order_move(struct cmd_ctx *c, struct order *o, enum order_state to, json_t *extra);

/*
 * Moves shipment IDX of O's allocation to state TO (stamped in the shipment's "milestones").
 * The order's own state is the least advanced of its shipments' states: when that advances,
 * the order moves (order_move, through every intermediate state) and its events carry EXTRA
 * and "shipment"; otherwise a "shipment.<to>" event with EXTRA says what happened. EXTRA is
 * stolen. Saves O.
 */
int order_shipment_move(struct cmd_ctx *c, struct order *o, size_t idx, enum order_state to,
                        json_t *extra);

/* The shipment of O's allocation with id SHIP (borrowed) and its index, or NULL. */
json_t *order_shipment(const struct order *o, const char *ship, size_t *idx);

/* Emits an order event that is not a state change ("order.at_risk"); FIELDS stolen. */
int order_emit(struct cmd_ctx *c, const struct order *o, const char *type, json_t *fields);

int order_submit(struct cmd_ctx *c, json_t **reply);
int order_get(struct cmd_ctx *c, json_t **reply);
int order_cancel(struct cmd_ctx *c, json_t **reply);

#endif
