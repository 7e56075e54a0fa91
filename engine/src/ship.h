/*
 * ship.h - handing parcels to carriers and following them to the customer.
 *
 * ship.confirm {shipment, carrier?, service?}: a packed shipment is rate-shopped among its
 * warehouse's carrier options (carrier.h: the cheapest that still delivers by the promise from
 * the next cutoff; the order's own `carrier`, or the request's carrier/service, restrict the
 * choice), gets a tracking number, joins that carrier's manifest for the local date of the
 * cutoff (the next day's when that one is closed), and moves to shipped:
 * shipment.shipped {warehouse, carrier, service, tracking, estimate, cartons} (and
 * order.shipped once every shipment of the order is out). An override (the request's carrier
 * and/or service; with a carrier the service defaults to the order's) must be an option of
 * the warehouse: unknown_carrier (field carrier) or unknown_service (field service). The
 * shipment then records what ships: carrier, service, cutoff and estimate of the chosen
 * option (ship_service and pickup repeat them), so the promise watch, order.get and
 * report.otif follow the parcel that left. A cancelled order's shipment is invalid_state.
 *
 * manifest.close {warehouse, carrier, date?}: closes the day's manifest (default: today in the
 * warehouse's zone) and lists its shipments and cartons; manifest.closed. Closing it again
 * answers the same list and changes nothing.
 *
 * carrier.event {tracking, status, at, location?, detail?, reason?, estimate?}:
 *   in_transit, out_for_delivery, delivered move the shipment forward (shipment.<status>; the
 *   order follows its least advanced shipment, order.delivered carries on_time, in_full (every
 *   ordered unit in shipments that have shipped: a part waiting for stock has not) and
 *   late_by_minutes); exception records the carrier's problem (shipment.exception {reason})
 *   and raises order.at_risk when the delivery slips past the promise; returned_to_sender
 *   ends the parcel's trip (shipment.returned_to_sender). A carrier `estimate` after the
 *   promise raises order.at_risk (carrier_delay).
 *   Every event of a parcel carries its shipment; an exception's carries the reason recorded
 *   (`other` when the carrier gave none).
 *   An unknown tracking number is not_found. The same news again (status, time and location)
 *   is a duplicate, and so is out_for_delivery or delivered while the parcel already is; a new
 *   in_transit scan while in transit is a hub scan and is recorded. An event that would move
 *   the parcel backwards (in_transit after delivered) is stale, as is anything after the trip
 *   ended: both are answered {ignored: true, why} and change nothing.
 */
#ifndef WMS_SHIP_H
#define WMS_SHIP_H

#include "cmd.h"

int ship_confirm(struct cmd_ctx *c, json_t **reply);
int manifest_close(struct cmd_ctx *c, json_t **reply);
int carrier_event(struct cmd_ctx *c, json_t **reply);

#endif
