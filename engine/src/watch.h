/*
 * watch.h - the promise watch: on the engine's clock, notice as early as it can be known that
 * an order will miss its promise, and when it has.
 *
 * Every open order has one entry in the watch index, at its next deadline:
 *   - for each shipment not yet shipped, the moment it must have left its current state to
 *     make its carrier cutoff: cutoff - the share of the warehouse's handling time that state
 *     still needs (allocated: all of it, the last wave that can make the cutoff must start;
 *     waved 2/3, picking 1/2, picked 1/3, packing 1/6, packed: the cutoff itself);
 *   - the promise itself, until the order is known late.
 * order_save() keeps the entry current (watch_sync), so every state change moves it.
 *
 * When a deadline passes (watch_tick, run by the writer on every tick and every clock move,
 * stamping what it finds at the instant it became knowable):
 *   - the shipment is re-planned onto its carrier's next cutoff it can still make; if the new
 *     delivery estimate is after the promise, order.at_risk {reason, estimate, promised_by}
 *     (reasons: late_wave, pick_delay, pack_delay, cutoff_missed), once per estimate, and the
 *     cause is kept for OTIF; otherwise shipment.rescheduled;
 *   - a part waiting for stock (state backordered, alloc.h) has no deadline, and has not left:
 *     an order late with one is not the carrier's doing;
 *   - a promise that passed before delivery: order.late {late_by_minutes (expected, from the
 *     current estimate), compensation} with the tenant's compensation policy.
 * Carrier-side risks (exceptions, estimates past the promise) are raised by carrier.event
 * through watch_risk(), a shipment planned late by allocation (late_at_allocation, alloc.h)
 * and a parcel handed over late (cutoff_missed, ship.c) too. Reasons other than the carrier's
 * and short_pick count as late_wave for OTIF.
 *
 * Compensation policy (tenant "compensation": rules in order, the first that matches applies):
 *   {"when": "late", "max_late_minutes": 1440, "kind": "voucher", "percent": 10}
 *   {"when": "late", "kind": "free_shipping"}
 *   {"when": "packing_error", "kind": "replacement_express"}
 * Without a policy these three rules apply.
 */
#ifndef WMS_WATCH_H
#define WMS_WATCH_H

#include "cmd.h"
#include "orders.h"

/* Re-indexes O at its next deadline (or drops it when nothing is left to watch). */
int watch_sync(struct cmd_ctx *c, const struct order *o);

/* Handles every deadline that has passed by c->now. */
int watch_tick(struct cmd_ctx *c);

/*
 * Raises order.at_risk for O with REASON and the new ESTIMATE when it is after the promise and
 * later than any estimate already announced (no repeat for the same news). Records the cause.
 */
int watch_risk(struct cmd_ctx *c, struct order *o, const char *shipment, const char *reason,
               int64_t estimate);

/* The compensation of O's tenant for WHEN ("late", "packing_error") and LATE_MINUTES: a new
 * object {kind, percent?, text}. */
int watch_compensation(struct cmd_ctx *c, const struct order *o, const char *when,
                       long long late_minutes, json_t **out);

/* Records CAUSE ("late_wave", "short_pick", "carrier_delay", "packing_error") in O for OTIF. */
void watch_cause(struct order *o, const char *cause);

/* Marks O late now when its promise passed (at delivery or by the watch); emits order.late. */
int watch_late(struct cmd_ctx *c, struct order *o, int64_t estimate);

#endif
