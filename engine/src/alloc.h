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
 * against `available` at once, in the same transaction as the decision. A row flagged
 * `count_required` (its bin was found short at picking, master.h) is not used until a count
 * clears it: the next picker would be sent to the same shelf.
 *
 * Reachable cutoff: the first carrier cutoff at or after now + the warehouse's
 * handling_minutes (default 60): the time it takes to wave, pick and pack an order.
 *
 * The decision is stored in the order document under "allocation"
 *   {"decision": "single"|"split"|"backorder", "reason": text, "at": time,
 *    "shipments": [{"id", "warehouse", "carrier", "service", "cutoff", "delivery_by",
 *                   "on_time", "cost", "distance_km", "state", ...,
 *                   "lines": [{"line", "sku", "qty", "ref"?,
 *                              "picks": [{"location", "lot"?, "expiry"?, "qty"}]}]}],
 *    "replaced": [shipments taken out of service, oldest first]?,
 *    "inserts_shipment": id?}
 * and announced by order.allocated (and order.split) or order.backordered, with the reason.
 * An allocation whose shipments cannot all keep the promise (on_time false) is followed at
 * once by order.at_risk {reason "late_at_allocation", estimate: the latest late shipment's
 * delivery_by} (watch_risk), so the customer hears of the delay at confirmation.
 * Shipment ids are "S<order no>-<k>", k counting every shipment the order has had: an id never
 * names two shipments. inserts_shipment names the one shipment whose carton carries the
 * order's inserts and gift card (the first; for an order that has any).
 *
 * Short picks (alloc_short). A shorted shipment gives back what it still holds and moves to
 * "replaced" (state "short", "replaced_by": the ids that took over). When it was the order's
 * only shipment, the whole order is allocated again (or backordered) as at submission. Else
 * only its part is: its lines (sku, qty) are allocated anew by rules 1-5 and the reservation
 * rule, for those lines alone (in full from one warehouse preferred; split as the order or
 * tenant allows), as new shipments; the other shipments keep their stock, ids and work. The
 * first new shipment takes the shorted one's slot in "shipments", more are appended: slots
 * never move, because the wave queue and the tracking index name shipments by slot.
 * When the part cannot be allocated, a WAITING PART takes the slot:
 *   {"id", "state": "backordered", "lines": [{"line", "sku", "qty", "ref"?}] (no picks),
 *    "reason", "missing": [{sku, need, available}], "since", "milestones"}
 * It holds nothing; the order is on the backorder index, and stock arriving for one of its
 * skus (alloc_backorders) allocates that part alone, which then moves to "replaced" (state
 * "filled", "replaced_by").
 *
 * The order's state is the least advanced of its shipments' (orders.h), a waiting part
 * counting as backordered, below allocated: while any part waits the order is backordered,
 * whatever its other shipments do (their moves are shipment.<state> events); once no part
 * waits it is allocated, its new shipments being the least advanced. A re-allocated part is
 * announced by order.allocated / order.split carrying only the new shipments and "replaces"
 * (the id it replaces), or by order.backordered carrying "missing", "shipment" (the waiting
 * part's id), "waiting" (its lines) and "replaces". When the order's state does not change
 * (it was allocated already, or another part still waits) the event is emitted all the
 * same, its "state" and "from" both the order's state.
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
/* Shipments of an order, waiting parts included (the wave queue numbers them in a byte). */
#define ALLOC_SHIPMENTS_MAX 255

/*
 * Allocates O (state received or backordered, holding nothing): reserves stock, writes the
 * decision into O's document (the caller saves it, or order_move does) and moves O to
 * allocated or backordered with its events.
 */
int alloc_order(struct cmd_ctx *c, struct order *o);

/*
 * Cancellation's part (orders.h): every shipment of O gives back what it holds: unpicked
 * reservations are released, units picked off a shelf ("picked") go back on hand where they
 * came from (the pick records "put_back"), it leaves the wave queue, and it stays in
 * "allocation" in state "cancelled" (milestone "cancelled", no "tote"), waiting parts too; O
 * leaves the backorder index. The caller has checked that no shipment has shipped and has
 * withdrawn the floor's work (tasks, totes, stations, cartons). UNDONE (borrowed) collects
 * what was undone: "units_put_back" (an array, appended {shipment, sku, warehouse, location,
 * lot?, qty}) and "units_released" (an integer, increased). Errors: store errors.
 */
int alloc_cancel(struct cmd_ctx *c, struct order *o, json_t *undone);

/*
 * Shipment IDX of O was shorted at picking: re-allocates its part as described above (the
 * whole order when it was the only shipment). The caller has withdrawn its tasks and put its
 * picked units back on their shelves, clearing their "picked" (the shipment's picks then
 * hold all their qty). Saves O and emits the re-allocation's events.
 * Errors: WMS_EINTERNAL when IDX is no shipment; store errors.
 */
int alloc_short(struct cmd_ctx *c, struct order *o, size_t idx);

/*
 * Stock of (TENANT, SKU) arrived: allocates backordered orders that need it, oldest promise
 * first, as long as they can now be allocated: an order's waiting parts that ask for SKU, each
 * alone, or a wholly backordered order.
 */
int alloc_backorders(struct cmd_ctx *c, const char *tenant, const char *sku);

/* The allocation as a reply shows it: decision, reason, and per shipment id, warehouse,
 * carrier, cutoff, delivery_by, on_time, lines [{sku, qty}] (a waiting part: id, state
 * "backordered", lines) (new reference; an empty object for NULL). */
json_t *alloc_summary(const json_t *allocation);

/*
 * The wave queue: every allocated shipment waiting for a wave, keyed
 * (warehouse, cutoff, 9 - priority, order no, shipment slot) so that wave planning reads a
 * warehouse's work in cutoff order, most urgent first. alloc_order adds, alloc_cancel
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
