/*
 * wms/notify.h - customer notifications from the event stream: one event in, the messages a
 * customer should get for it out.
 *
 * The engine's events say what happened to an order ("shipment.shipped", "order.at_risk");
 * this module decides whether the customer hears about it and in which words. It reads the
 * fields of the event contract (PROTOCOL.md section 8), ignores fields it does not know and
 * writes around optional fields that are missing. Warehouse-internal events (pick.*, wave.*,
 * pack.*, stock.*, ...) produce nothing.
 *
 *   event                                 kind              channel
 *   order.received                        received          email
 *   order.backordered                     backordered       email
 *   order.allocated (on_time false)       delay             email
 *   shipment.shipped                      shipped           email
 *   shipment.in_transit (first per shpt)  in_transit        email
 *   shipment.out_for_delivery             out_for_delivery  email + sms
 *   shipment.delivered                    delivered         email
 *   order.at_risk                         delay             email
 *   order.late                            apology           email
 *   shipment.exception                    exception         email (+ sms when the address
 *                                                           needs the customer's action)
 *   shipment.returned_to_sender           exception         email
 *   order.cancelled                       cancelled         email
 *   return.received                       return_received   email
 *   return.graded                         refund            email
 *
 * Channels. The table gives a customer who can be reached both ways. A customer is written to
 * on the channels the order has: its ship_to "email" (email) and "phone" (sms), learnt from
 * the order's order.received (or, for an order the notifier has not seen, from opts.lookup):
 *   - email and phone: the table;
 *   - email only: the email messages (the sms ones are dropped);
 *   - phone only: everything by sms: a kind the table sends by email only goes by sms with
 *     the same text, a kind with both sends only its sms;
 *   - neither: nothing. The brand kept the contact to itself, and with it the conversation;
 *     there is no one this service could write to;
 *   - not known (order.received never seen, and no lookup or the lookup failed): the table.
 *
 * Dates are written for people ("Thu 26 Nov", the year only when it is not the event's year)
 * and are UTC days; clock times say "UTC". What happened at the carrier (out for delivery,
 * delivered) is dated by the carrier's time, the event's "carrier_at", not by its "at" (when
 * the engine recorded the news, possibly much later), and is "today" only when that is the
 * day of the event; "at" stands in only when there is no carrier_at.
 *
 * Words from the event that reach a customer (carrier notes, a cancellation reason, a voucher
 * code) are kept as they are except that control characters become spaces, so a message is
 * always one line. A backorder notice says why the order waits, from the event's reason: items
 * out of stock (named from "missing"), an order that must ship complete from one warehouse
 * (the brand does not split), or a service no warehouse offers.
 *
 * Returns. return.received and return.graded say what the units come to, by the reason the
 * engine gives each line: a wrong item's replacement or an exchange was created with the
 * return, as order "replacement", and is named; damaged and unwanted units (or lines without
 * a reason) are refunded. A customer sent a replacement is promised no refund. The kind of
 * return.graded stays "refund" whatever the outcome, so that gateways keep their templates.
 *
 * Delays. A delay notice comes from order.at_risk, or at once from an order.allocated that is
 * late at allocation (on_time false; its delivery_by is the new estimate), whichever comes
 * first: the engine raises order.at_risk for such an order too, and one notice per order is
 * sent, another only when the estimate moves to a later day ("Friday" twice is no news).
 *
 * Memory is bounded (opts below): the delay notices, the first in-transit scan of each
 * shipment, and each order's channels and promise. Each memory forgets its least recently
 * used entry when full, and none is kept across restarts (a restarted notifier may announce
 * one more in-transit scan or delay for an order it saw before; channels come back through
 * opts.lookup).
 *
 * Threading: a struct wms_notify is used by one thread at a time. Ownership: events are
 * borrowed; messages are embedded in the caller's struct wms_notify_out (fixed size, nothing
 * to free). Errors: 0 or a negative WMS_E* code (wms/errors.h).
 */
#ifndef WMS_NOTIFY_H
#define WMS_NOTIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wms/errors.h"

#define WMS_NOTIFY_ID_MAX   65   /* an id (64 bytes) and its NUL */
#define WMS_NOTIFY_TYPE_MAX 64   /* an event type and its NUL */
#define WMS_NOTIFY_TEXT_MAX 1024 /* a message's text and its NUL; longer texts end in "..." */
#define WMS_NOTIFY_MAX_MSGS 2    /* messages one event can produce */

/* Default capacity of each memory: about 2 MB each, and weeks of a busy stream. */
#define WMS_NOTIFY_MEMORY_DEFAULT 65536

/*
 * Asks for an order the notifier has not seen (its order.received came before the notifier
 * started, or was forgotten): 0 with *ORDER a new reference to the order as order.get returns
 * it (its "ship_to" and "promised_by" are read), or non-zero when it cannot tell (the order is
 * then treated as not known). Called only for events that produce a message, at most once per
 * event; an answer is remembered with the order.
 */
typedef int (*wms_notify_lookup_fn)(void *arg, const char *tenant, const char *order,
                                    json_t **order_out);

struct wms_notify_opts {
	size_t delay_memory;   /* orders whose last delay notice is remembered; 0: default */
	size_t transit_memory; /* shipments whose first in-transit scan is remembered; 0: default */
	size_t order_memory;   /* orders whose channels and promise are remembered; 0: default */
	wms_notify_lookup_fn lookup; /* NULL: an order not seen is not known */
	void *lookup_arg;
};
#define WMS_NOTIFY_OPTS_INIT                                                                       \
	{                                                                                          \
		0, 0, 0, NULL, NULL                                                                \
	}

/* One message to one customer. Strings are NUL-terminated; channel and kind are static. */
struct wms_notify_msg {
	uint64_t seq;                   /* the event's seq */
	char type[WMS_NOTIFY_TYPE_MAX]; /* the event's type */
	char tenant[WMS_NOTIFY_ID_MAX]; /* the brand the customer bought from */
	char order[WMS_NOTIFY_ID_MAX];  /* the order id the customer knows */
	const char *channel;            /* "email" or "sms" */
	const char *kind;               /* "shipped", "delay", ... (table above) */
	char text[WMS_NOTIFY_TEXT_MAX]; /* what the customer reads: one line */
};

/* What one event produced: N messages, 0..WMS_NOTIFY_MAX_MSGS. */
struct wms_notify_out {
	size_t n;
	struct wms_notify_msg msg[WMS_NOTIFY_MAX_MSGS];
};

struct wms_notify;

/* A notifier with its memories (OPTS may be NULL: defaults; copied). Errors: WMS_ERANGE (a
 * capacity over 16,777,216), WMS_ENOMEM. */
int wms_notify_new(const struct wms_notify_opts *opts, struct wms_notify **out);

/* Accepts NULL. */
void wms_notify_free(struct wms_notify *n);

/*
 * Turns EVENT into the customer messages it calls for, in *OUT (always written: n is 0 when
 * the event is not for customers, is about no order, or the order has no channel). Updates
 * the memories; may call opts.lookup.
 * Errors: WMS_EVALUE when EVENT is not an object with a non-negative integer "seq" and a
 * string "type", or names a tenant or order that is not an id (1-64 visible ASCII
 * characters); *OUT then holds no message.
 */
int wms_notify_event(struct wms_notify *n, const json_t *event, struct wms_notify_out *out);

/*
 * Writes M as one text line "<seq> <tenant> <order> <channel> <kind>: <text>\n" into BUF
 * (SIZE bytes; WMS_NOTIFY_LINE_MAX always suffices) and its length, without the NUL, in *LEN.
 * Errors: WMS_ETOOLONG when BUF is too small.
 */
#define WMS_NOTIFY_LINE_MAX (24 + 2 * WMS_NOTIFY_ID_MAX + 32 + WMS_NOTIFY_TEXT_MAX + 2)
int wms_notify_format_line(const struct wms_notify_msg *m, char *buf, size_t size, size_t *len);

/*
 * M as a new JSON object {"seq", "type", "tenant", "order", "channel", "kind", "text"} in
 * *OUT (the caller json_decrefs it). Errors: WMS_ENOMEM.
 */
int wms_notify_msg_json(const struct wms_notify_msg *m, json_t **out);

#endif
