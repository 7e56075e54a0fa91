/*
 * master.h - master data: tenants (the 3PL's client brands), warehouses, the item master and
 * stock.
 *
 * Documents are stored as the JSON the client sent (validated), plus engine fields
 * ("updated_at", canonical forms). Puts are create-or-replace and naturally idempotent: a put
 * that changes nothing emits no event and answers "changed": false.
 *
 * Stock rows are keyed (tenant, sku, warehouse, location, lot) so that every row of an item
 * across the network is one prefix scan: that is how allocation looks for stock.
 * A row holds {"on_hand","reserved","expiry","count_required"?}; available = on_hand -
 * reserved.
 *
 * Counts. A bin found short at picking (pick.short) cannot be trusted for what it still shows:
 * every row of that (warehouse, location, sku), each lot, gets "count_required": {since, task}
 * (stock.count_required, once per row until it is counted). Allocation does not reserve from
 * a flagged row (alloc.h); what it holds stays booked, and reservations made before stay.
 * stock.get shows the flag. A count of the row (stock.adjust with `qty`; a `delta` is not a
 * count) clears it: stock.counted {before, delta, on_hand, since, task}, after stock.adjusted
 * when the count changed the quantity, and backorders of the sku are allocated when the row
 * has stock available, even for a count that changed nothing.
 */
#ifndef WMS_MASTER_H
#define WMS_MASTER_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"
#include "keys.h"

int master_tenant_put(struct cmd_ctx *c, json_t **reply);
int master_tenant_get(struct cmd_ctx *c, json_t **reply);
int master_warehouse_put(struct cmd_ctx *c, json_t **reply);
int master_warehouse_get(struct cmd_ctx *c, json_t **reply);
int master_item_put(struct cmd_ctx *c, json_t **reply);
int master_item_get(struct cmd_ctx *c, json_t **reply);
int master_stock_receive(struct cmd_ctx *c, json_t **reply);
int master_stock_adjust(struct cmd_ctx *c, json_t **reply);
int master_stock_get(struct cmd_ctx *c, json_t **reply);

/* Loads a tenant (new reference in *OUT). Errors: WMS_ETENANT with FIELD named. */
int master_tenant_load(struct cmd_ctx *c, const char *id, const char *field, json_t **out);
/* Loads a warehouse. Errors: WMS_EWAREHOUSE with FIELD named. */
int master_warehouse_load(struct cmd_ctx *c, const char *id, const char *field, json_t **out);
/*
 * The same for a caller that only reads it: on the writer thread the document comes from the
 * writer's parsed copy (master_warehouses), shared, so the caller must not change it; in a
 * read handler it is loaded. Scans consult the layout at every location label.
 */
int master_warehouse_read(struct cmd_ctx *c, const char *id, const char *field, json_t **out);
/*
 * Loads an item (new reference). On the writer thread the document is the writer's parsed
 * copy, shared: callers only read it (an order consults every line's item, and items change
 * rarely); item.put and a failed batch drop the copies. Errors: WMS_ESKU with FIELD named.
 */
int master_item_load(struct cmd_ctx *c, const char *tenant, const char *sku, const char *field,
                     json_t **out);

/* The stock row key of (tenant, sku, warehouse, location, lot); LOT NULL or "" = no lot. */
void master_stock_key(struct key *k, const char *tenant, const char *sku, const char *warehouse,
                      const char *location, const char *lot);

/*
 * Adds DELTA_ON_HAND and DELTA_RESERVED to a stock row (creating it), refusing to go below
 * zero or to leave more reserved beyond what is on hand than there was before (a row can be
 * over-reserved after a count found less than allocations hold: picking and releasing may
 * still shrink it, nothing may grow it). *ROW (optional) receives the new row.
 * Errors: WMS_ESTOCK naming field qty.
 */
int master_stock_change(struct cmd_ctx *c, const struct key *k, long long delta_on_hand,
                        long long delta_reserved, json_t **row);

/*
 * Flags every stock row of (TENANT, SKU, WAREHOUSE, LOCATION) as needing a count (above):
 * found short by task TASK, now. Rows flagged already keep their flag. Errors: store errors.
 */
int master_stock_count_required(struct cmd_ctx *c, const char *tenant, const char *sku,
                                const char *warehouse, const char *location, const char *task);

/*
 * The lot rule of stock (stock.receive, stock.adjust, return.grade): a lot-tracked ITEM's units
 * are always held in a named lot, an untracked item's never. LOT may be NULL; HOW says what is
 * being done ("received", "counted", "restocked") for the message. Errors, naming FIELD:
 * WMS_EMISSING (no lot for a lot-tracked item), WMS_EVALUE (a lot for an untracked one).
 */
int master_lot_rule(struct cmd_ctx *c, const json_t *item, const char *lot, const char *field,
                    const char *how);

/*
 * What WAREHOUSE holds of lot LOT of (TENANT, SKU), at any location: *KNOWN whether any stock
 * row of the lot exists, EXPIRY the lot's expiry date ("" when none is recorded) and WHERE a
 * location (WH_LOC_MAX bytes) that records it. Errors: store errors.
 */
int master_lot_expiry(struct store_txn *txn, const char *tenant, const char *sku,
                      const char *warehouse, const char *lot, bool *known, char expiry[16],
                      char *where);

/*
 * Every warehouse document, as a JSON array (new reference). The writer keeps them parsed
 * between commands (orders consult them all the time and they change rarely);
 * warehouse.put and a failed batch drop that copy. Read handlers load from their transaction.
 */
int master_warehouses(struct cmd_ctx *c, json_t **list);
/* Drops the writer's parsed master data (writer thread). */
void master_cache_drop(struct wms_engine *e);

/* Resolves a GTIN (any length, normalised to 14 digits) within TENANT to (sku, pack qty).
 * Errors: WMS_ENOTFOUND, WMS_EGTIN (malformed). SKU receives at most 65 bytes. */
int master_gtin_lookup(struct store_txn *txn, const char *tenant, const char *gtin, char *sku,
                       size_t sku_size, int *pack_qty);

#endif
