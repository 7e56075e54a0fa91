/*
 * returns.h - returns and exchanges, and the on-time-in-full report.
 *
 * return.authorize {tenant, order, rma?, lines: [{sku, qty, reason, exchange_sku?}]}:
 *   for a delivered order (no more units than were delivered and not already authorised);
 *   reasons wrong_item, damaged, unwanted, exchange. A wrong_item line is a packing error: it
 *   is traced back to the pick and pack scans of that sku in the original order (who, where,
 *   which scan), counted for OTIF, and answered with the tenant's packing_error compensation.
 *   A wrong_item or exchange line creates one linked replacement order "<order>-R<n>" (or
 *   "<rma>-R<n>" when the order id is too long for that; never an id the tenant already has)
 *   with the same sku, or exchange_sku, shipped express when the compensation says so and a
 *   warehouse offers it, promised the latest delivery of the service's fastest option over
 *   the warehouses offering it (carrier_best, now + handling), so that allocation plans it
 *   on time from whichever of them holds the stock. return.authorized.
 * return.receive {rma, codes: [scans]}: each scan parsed with the barcode library and matched
 *   to a line still expected; unknown or unexpected scans are listed as refused, the rest
 *   counted. return.received.
 * return.grade {rma, lines: [{sku, qty, grade: restock|quarantine, location?, lot?}]}: graded
 *   units of what was received; restock puts them back on a location of the warehouse that
 *   shipped them under the lot rules of stock.receive (a lot-tracked item's into a lot the
 *   warehouse knows, with its expiry; an untracked item's never into a lot), stock on hand
 *   grows and backorders may fill; quarantine keeps them out.
 *   return.graded. When every authorised unit is graded the return is closed; an order whose
 *   every unit came back becomes returned.
 *
 * report.otif {from, to, by: warehouse|tenant|carrier|day (UTC date of the promise)}: orders
 * promised in [from, to), grouped by warehouse or carrier of their first shipment that ships
 * from a warehouse (a part waiting for stock has neither; the carrier is the one it left with)
 * (cancelled ones excluded), delivered on time (delivery at or before the promise) and in full
 * (every unit shipped and no packing error reported), per group, with the misses broken down by
 * cause: late_wave, short_pick, carrier_delay, packing_error, or not_delivered when none is
 * known yet.
 */
#ifndef WMS_RETURNS_H
#define WMS_RETURNS_H

#include "cmd.h"

int return_authorize(struct cmd_ctx *c, json_t **reply);
int return_receive(struct cmd_ctx *c, json_t **reply);
int return_grade(struct cmd_ctx *c, json_t **reply);
int report_otif(struct cmd_ctx *c, json_t **reply);

#endif
