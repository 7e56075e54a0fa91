/*
 * alloc.h - allocation: which warehouse ships which part of an order, from which locations.
 *
 * Rules, in order (deterministic: the same store and order give the same decision):
 *   1. A single warehouse that holds every line IN FULL is preferred to any split.
 *   2. Among those, one whose next reachable carrier cutoff plus transit days delivers by the
 *      promise (`on_time`) is preferred.
 *   3. Then the lowest cost: the carrier's cost plus a distance term
 *      (ALLOC_KM_COST per km, great-circle from the warehouse to ship_to's lat/lon).
 *   4. Ties: the warehouse id, in byte order.
 * When no warehouse can ship in full and splitting is allowed (the order's allow_split, else
 * the tenant's, default true), the order is split over the FEWEST warehouses whose stock
 * together covers it (then on time, then cost); otherwise it is backordered, reserving nothing.
 *
 * Reservation: per line and warehouse, stock rows are taken first-expiry-first-out for
 * lot-tracked items, never a lot that has expired or expires before the promise; among equal
 * rows the one that holds the whole quantity, then the location code. Reserved stock counts
 * against `available` at once, in the same transaction as the decision.
 *
 * Reachable cutoff: the first carrier cutoff at or after now + the warehouse's
 * handling_minutes (default 60): the time it takes to wave, pick and pack an order.
 *
 * The decision is stored in the order document under "allocation"
 *   {"decision": "single"|"split"|"backorder", "reason": text, "at": time,
 *    "shipments": [{"id", "warehouse", "carrier", "service", "cutoff", "delivery_by",
 *                   "on_time", "cost", "distance_km",
 *                   "lines": [{"line", "sku", "qty",
 *                              "picks": [{"location", "lot"?, "expiry"?, "qty"}]}]}]}
 * and announced by order.allocated (and order.split) or order.backordered, with the reason.
 *
 * Threading: writer thread (write transactions) only.
 */
#ifndef WMS_ALLOC_H
#define WMS_ALLOC_H

#include "cmd.h"
#include "keys.h"
#include "orders.h"

/* Currency units per km of distance from warehouse to customer, in the cost comparison. */
#define ALLOC_KM_COST 0.01
/* Default time from allocation to a parcel ready for the carrier. */
#define ALLOC_HANDLING_MINUTES 60

/*
 * Allocates O (state received or backordered, holding nothing): reserves stock, writes the
 * decision into O's document (the caller saves it, or order_move does) and moves O to
 * allocated or backordered with its events.
 */
int alloc_order(struct cmd_ctx *c, struct order *o);

/* Releases every reservation O holds (cancellation, re-allocation) and clears "allocation". */
int alloc_release(struct cmd_ctx *c, struct order *o, const char *why);

/*
 * Stock of (TENANT, SKU) arrived: allocates backordered orders that need it, oldest promise
 * first, as long as they can now be allocated.
 */
int alloc_backorders(struct cmd_ctx *c, const char *tenant, const char *sku);

/* Drops O from the backorder index (cancellation). */
int alloc_backorder_forget(struct cmd_ctx *c, const struct order *o);

/* The allocation as a reply shows it: decision, reason, and per shipment id, warehouse,
 * carrier, cutoff, delivery_by, on_time (new reference; an empty object for NULL). */
json_t *alloc_summary(const json_t *allocation);

/*
 * The wave queue: every allocated shipment waiting for a wave, keyed
 * (warehouse, cutoff, 9 - priority, order no, shipment index) so that wave planning reads a
 * warehouse's work in cutoff order, most urgent first. alloc_order adds, alloc_release
 * removes; wave planning removes what it waves (alloc_queue_del).
 */
void alloc_queue_key(struct key *k, const char *warehouse, int64_t cutoff, int priority,
                     uint64_t order_no, unsigned shipment_index);
int alloc_queue_put(struct cmd_ctx *c, const struct order *o, const json_t *shipment,
                    unsigned shipment_index);
int alloc_queue_del(struct cmd_ctx *c, const struct order *o, const json_t *shipment,
                    unsigned shipment_index);

/* Great-circle distance in km between two WGS84 points. */
double alloc_distance_km(double lat1, double lon1, double lat2, double lon2);

#endif
