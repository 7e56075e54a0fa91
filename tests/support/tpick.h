/*
 * tpick.h - a small network and scan helpers for the pick and pack verification tests
 * (tests/engine/test_pick.c, test_pack.c), driven through the engine's ops only.
 *
 * tpick_seed loads:
 *   tenant "acme" (gs1_company_prefix TPICK_PREFIX), tenant "beta";
 *   warehouses W1 (Berlin, DHL standard 17:00, 2 days, cost 4.5) and W2 (Munich, the same
 *   service at cost 9.0, so an order near Berlin goes to W1 while W1 has the stock); both
 *   10 aisles x 45 slots x 4 levels, default tare and tolerances;
 *   items of acme:
 *     SKU-1   100 g, unit GTIN-13 TPICK_GTIN1, case GTIN-14 tpick_case_gtin() of 6 units
 *     SKU-2   250 g, UPC-A TPICK_UPC2
 *     SKU-3  2000 g, EAN-8 TPICK_EAN3
 *     LOT-1   300 g, GTIN-14 TPICK_GTIN_LOT, lot-tracked
 *   item of beta: B-1 with GTIN-13 TPICK_GTIN_BETA (not an item of acme);
 *   stock in W1: SKU-1 100 at A01-01-1, SKU-2 50 at A02-01-1, SKU-3 20 at A03-01-1,
 *   LOT-1 lot L1 (expiry 2027-03-31) 10 at A04-01-1 and lot L2 (2027-09-30) 10 at A04-02-1.
 * The engine's clock starts at 2026-11-24T08:00:00Z (tengine.h).
 *
 * Every helper asserts what it needs (cmocka) so a test reads as its story.
 */
#ifndef WMS_TEST_TPICK_H
#define WMS_TEST_TPICK_H

#include "tengine.h"

#define TPICK_PREFIX    "4012345"
#define TPICK_GTIN1     "4006381333931"
#define TPICK_UPC2      "036000291452"
#define TPICK_EAN3      "96385074"
#define TPICK_GTIN_LOT  "09506000134352"
#define TPICK_GTIN_BETA "5901234123457"
#define TPICK_DEVICE    "HH-1"

/* The GS1 mod-10 check digit of the N digits at S (computed here, not by the library). */
int tpick_check_digit(const char *s, size_t n);

/* The case GTIN-14 of SKU-1 (indicator 1, 6 units). Static buffer. */
const char *tpick_case_gtin(void);

void tpick_seed(struct tengine *t);

/* Submits acme order ID with LINES (a JSON array text) and EXTRA (",\"k\":v" or ""). */
void tpick_submit(struct tengine *t, const char *id, const char *lines, const char *extra);

/* Plans and releases every queued shipment of W1; returns task.next of picker P1 (owned). */
json_t *tpick_release_next(struct tengine *t);
/* The same in warehouse WH. */
json_t *tpick_release_next_in(struct tengine *t, const char *wh);

/* task.next of picker P1 in W1 (owned). */
json_t *tpick_next(struct tengine *t);
/* task.next of picker P1 in warehouse WH (owned). */
json_t *tpick_next_in(struct tengine *t, const char *wh);

/* pick.scan by device DEVICE: the reply (owned). CODE is put into JSON as is. */
json_t *tpick_scan_dev(struct tengine *t, const char *device, const char *task, const char *scan_id,
                       const char *code);
/* The same by TPICK_DEVICE. */
json_t *tpick_scan(struct tengine *t, const char *task, const char *scan_id, const char *code);

/* Asserts the verdict ("accepted"/"refused") and, for a refusal, its error code (may be NULL);
 * releases R. */
void tpick_expect(json_t *r, const char *verdict, const char *code);

/* Picks the task TASK (a task.next reply's task) in full: location, units, tote. Scan ids are
 * PREFIX-l, PREFIX-1.., PREFIX-t. */
void tpick_do_task(struct tengine *t, const json_t *task, const char *prefix);
/* (unit codes: SKU-1..3, LOT-1 with the task's lot, and beta's B-1) */

/* Picks every released task of W1 with picker P1. Returns tasks done. */
int tpick_pick_all(struct tengine *t);
/* The same in warehouse WH. */
int tpick_pick_all_in(struct tengine *t, const char *wh);

/*
 * Packs shipment SHIP of acme order ID (picked, in its tote) at STATION: the tote, every unit
 * of its lines, the label INSERT (NULL: none), an empty-scale reading that tells the expected
 * weight, that weight, close. Scan ids start with PREFIX; each step must be accepted. Returns
 * the pack.close reply (owned).
 */
json_t *tpick_pack_shipment(struct tengine *t, const char *id, const char *ship,
                            const char *station, const char *insert, const char *prefix);

/* Asserts, for every acme sku, that stock.get's reserved over the network equals what the
 * allocations of acme orders IDS (N of them) still hold: each pick's qty less its picked
 * (a cancelled shipment holds nothing). */
void tpick_assert_reservations(struct tengine *t, const char *const *ids, size_t n);

/* Stock for a split: W1's SKU-2 counted to 0, 5 x SKU-2 received in W2 at A02-01-1. An order
 * of SKU-3 and SKU-2 then ships SKU-3 from W1 and SKU-2 from W2. */
void tpick_split_stock(struct tengine *t);

/* The engine's last event seq. */
long long tpick_last_seq(struct tengine *t);
/* events.read after AFTER with PREFIX (may be NULL): the reply (owned). */
json_t *tpick_events(struct tengine *t, long long after, const char *prefix);

/* stock.get of acme SKU at W1 LOCATION (NULL: every row of SKU): the reply (owned). */
json_t *tpick_stock(struct tengine *t, const char *sku, const char *location);

/* order.get of acme ID (owned). */
json_t *tpick_order(struct tengine *t, const char *id);
/* The state of acme order ID (static buffer). */
const char *tpick_order_state(struct tengine *t, const char *id);

#endif
