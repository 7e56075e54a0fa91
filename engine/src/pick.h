/*
 * pick.h - pick verification: every scan of a picker checked against the task in hand.
 *
 * A task (wave.h) is one stop: a location, a sku (and lot, when lot-tracked), a quantity and
 * the tote of the order. Its scans go, in order:
 *
 *   location  the location: its LOC- label, or the bare code (A01-02-3) when the label lost
 *             its prefix, in either case, with any zero-padding, also behind a plain-text AIM
 *             identifier (]C0, ]A0); codes are read with the warehouse's layout, so any
 *             other location (even one outside the layout) is wrong_location, at any step
 *   item      item barcodes until the quantity is reached: a GTIN, an element string or a
 *             Digital Link of the task's item (a case GTIN counts its pack quantity); another
 *             item is wrong_item, one the item master does not know unknown_barcode, more than
 *             the quantity over_pick; for lot-tracked items the scan must carry the lot (AI 10)
 *             and it must be the allocated one (wrong_lot), and an expiry (AI 17) before today
 *             is expired_lot
 *   tote      the order's tote; another is wrong_tote. The task is done.
 *
 * Anything else at a step is out_of_sequence. An unreadable scan is unknown_barcode with the
 * barcode library's error class (`barcode_error`). Every verdict carries the task as it
 * stands after the scan: task {id, state, step, picked, qty} (step "location" for a task
 * not yet begun). Each accepted scan emits pick.scanned; the finished task
 * pick.confirmed (and takes the units off the location's stock); the last task of a shipment
 * moves it to picked (order.picked). Every refusal emits pick.rejected and changes nothing
 * else.
 *
 * pick.short {task, found}: the location holds fewer units than the task asks (FOUND, the
 * units there, counting those already picked). The missing units (qty - found) are written
 * off the location's stock row of the task's lot, and taken out of the task's own pick in the
 * allocation (same line, location and lot); the rest of the row stays as booked (FOUND speaks
 * for the task only). The bin is in doubt: every stock row of the sku at that location gets
 * count_required (master.h), so no allocation, this one's included, takes from it until it is
 * counted. The shipment's tasks are withdrawn (units already in the tote go back to their
 * locations), and the shipment's part of the order is allocated again from what the network
 * still holds, as new shipments, or waits for stock (alloc_short, alloc.h): the order's other
 * shipments go on untouched; an order of one shipment is allocated again whole. Events
 * pick.short, stock.count_required (a row newly flagged), then the re-allocation's. Reply:
 * the accepted verdict with order_state, the order's state after it. Errors, not verdicts
 * (not recorded): invalid_state for a task that is not open (the message says when its order
 * was cancelled) or whose order no longer holds its shipment, out_of_range (field found).
 *
 * A cancelled order's tasks are withdrawn (orders.h): a scan of one is refused with the
 * verdict invalid_state naming the cancellation, and so is a scan of an open task of an order
 * cancelled before cancellation withdrew tasks.
 */
#ifndef WMS_PICK_H
#define WMS_PICK_H

#include "cmd.h"

int pick_scan(struct cmd_ctx *c, json_t **reply);
int pick_short(struct cmd_ctx *c, json_t **reply);

#endif
