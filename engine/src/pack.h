/*
 * pack.h - pack verification at a pack station: tote in, every item checked, inserts, the
 * scale, and a carton label with an SSCC.
 *
 * A station works one carton at a time (a session, stored per station id):
 *   pack.scan  a tote (TOTE-...) opens the session for the order it holds; the shipment must
 *              be picked. Then each scan is an item (GTIN, element string, Digital Link: the
 *              case GTIN counts its pack quantity) checked against what the shipment still
 *              expects (not_in_order, over_pack), or an insert label: INS-<id> for each id in
 *              the order's `inserts`, INS-GIFT for an order with a gift_message. Inserts and
 *              the gift card go into ONE carton of an order: that of the shipment its
 *              allocation names (`inserts_shipment`, alloc.h), else of its first shipment;
 *              the other shipments' cartons expect none.
 *   pack.weigh the scale's grams, compared with the expected weight: the items' weight_g plus
 *              the carton's tare (warehouse `carton_tare_g`, default 150 g), within
 *              max(tolerance_g, tolerance_pct of the expected weight) (warehouse
 *              `weight_tolerance_g` default 25 g, `weight_tolerance_pct` default 5 %): a
 *              fixed floor for light cartons, a share for heavy ones (weight_mismatch).
 *              The share is exact: 5 % of 4150 g is 207.5 g, so a reading 207 g off is
 *              accepted and one 208 g off is not. Weighing before every item is packed is
 *              incomplete. An accepted weight is kept until the carton changes (an item or
 *              insert scanned) or a later weighing is refused: the last reading is what is
 *              on the scale, so a refused one voids the accepted one.
 *   pack.close refuses while an item or insert is missing (incomplete, missing_insert) or the
 *              carton has not been weighed within tolerance (weight_mismatch); otherwise it
 *              assigns an SSCC-18 (extension 0, the tenant's `gs1_company_prefix`, default the
 *              GS1 US example prefix 0614141, and a serial counted per company prefix in the
 *              meta counter "sscc_serial/<prefix>", after the last value of the engine-wide
 *              counter "sscc_serial" of earlier versions; when the prefix's 16 - P digits of
 *              serial run out the close fails with bad_value, field
 *              tenant.gs1_company_prefix, and no SSCC is issued twice), returns the ZPL
 *              label (the SSCC as GS1-128, ship-to, order, carrier and service; every text
 *              field under ^FH with '^', '~', '_' and control bytes written as _XX), frees
 *              the tote, and moves
 *              the shipment to packed (order.packed with `sscc`, `weight_g`, `station`, `tote`
 *              and `carton`, the carton as recorded on the shipment: {sscc, weight_g,
 *              station, items: {sku: units}}).
 *   pack.abort backs out of the open carton (a wrong tote scanned, a carton to redo): the
 *              shipment is picked again, and so is the order when it was packing (its
 *              least advanced shipment decides; their "packing" milestones go), the station is idle, the tote keeps the order,
 *              and pack.aborted {station, tenant, order, shipment, tote, packed, units,
 *              shipment_state, order_state, reason?, packer?} says what was undone. At an
 *              idle station it is refused like any other scan there (out_of_sequence).
 * Every refusal is recorded and emits pack.rejected, with tenant, order, shipment and tote of
 * the open carton, or of the order a scanned tote names when it opens none (so the refusal is
 * in that order's timeline); resent scans are answered once (scan.h).
 * Cancellation (orders.h): a tote freed by its order's cancellation (wave.h) is refused
 * invalid_state naming it, and so is anything but a tote at a station whose carton was
 * dropped (pack_stations_drop), until the next tote; a carton of a cancelled order is never
 * closed (invalid_state). A refusal changes
 * nothing else, but for the refused weighing that voids the weight (above).
 */
#ifndef WMS_PACK_H
#define WMS_PACK_H

#include "cmd.h"

#define PACK_TARE_G         150
#define PACK_TOLERANCE_G    25
#define PACK_TOLERANCE_PCT  5.0
#define PACK_DEFAULT_PREFIX "0614141"
/* The meta counter of SSCC serials: "<this>/<company prefix>" per prefix; the bare name is
 * the engine-wide counter of earlier versions, read (never advanced) as the starting point. */
#define PACK_SERIAL_COUNTER "sscc_serial"

/*
 * Cancellation (orders.h): drops every station's session holding order ORDER_NO. The station
 * becomes idle; a note of the dropped carton {tenant, order, order_no, shipment, tote, at}
 * stays until the station opens its next carton, so that scans of the dropped carton are
 * refused naming the cancellation (invalid_state), not as out of sequence. The station ids
 * are appended to IDS (may be NULL). Errors: store errors.
 */
int pack_stations_drop(struct cmd_ctx *c, uint64_t order_no, json_t *ids);

int pack_scan(struct cmd_ctx *c, json_t **reply);
int pack_weigh(struct cmd_ctx *c, json_t **reply);
int pack_close(struct cmd_ctx *c, json_t **reply);
int pack_abort(struct cmd_ctx *c, json_t **reply);

#endif
