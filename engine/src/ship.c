/* ship.c - shipping, manifests and carrier events (see ship.h). */
#include "ship.h"

#include "carrier.h"
#include "events.h"
#include "keys.h"
#include "master.h"
#include "orders.h"
#include "store.h"
#include "tz.h"
#include "watch.h"
#include "wms/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t time_of(const json_t *o, const char *name)
{
	int64_t t;
	const char *s = json_string_value(json_object_get(o, name));
	return s && wms_time_parse(s, &t) == 0 ? t : -1;
}

/* "S<order no>-<k>" -> order no and index k-1. */
static int parse_shipment(const char *id, uint64_t *no, size_t *idx)
{
	char *end;
	if (id[0] != 'S' || id[1] < '0' || id[1] > '9')
		return -1;
	unsigned long long n = strtoull(id + 1, &end, 10);
	if (*end != '-' || end[1] < '1' || end[1] > '9')
		return -1;
	unsigned long k = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		return -1;
	*no = n;
	*idx = k - 1;
	return 0;
}

static void manifest_key(struct key *k, const char *wh, const char *carrier, const char *date)
{
	key_str(k, wh);
	key_str(k, carrier);
	key_str(k, date);
}

static void local_date(const json_t *wh, int64_t t, char date[11])
{
	const struct tz *z;
	const char *zone = req_str(wh, "timezone");
	int y, m, d, wd, min;
	if (tz_get(zone ? zone : "UTC", &z) != 0)
		tz_get("UTC", &z);
	tz_local_date(z, t, &y, &m, &d, &wd, &min);
	char buf[32];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	memcpy(date, buf, 10);
	date[10] = '\0';
}

/* Adds the shipment to the carrier's open manifest of the cutoff's day (or a later day). */
static int manifest_add(struct cmd_ctx *c, const json_t *wh, const char *carrier, int64_t cutoff,
                        json_t *entry, char date[11])
{
	for (int day = 0; day < 14; day++) {
		struct key k = KEY_INIT;
		json_t *m = NULL;
		local_date(wh, cutoff + (int64_t)day * 86400000, date);
		manifest_key(&k, req_str(wh, "id"), carrier, date);
		int rc = store_get_json(c->txn, STORE_MANIFESTS, k.b, k.n, &m);
		if (rc && rc != WMS_ENOTFOUND)
			return rc;
		if (m && strcmp(req_str(m, "state"), "closed") == 0) {
			json_decref(m);
			continue;
		}
		if (m == NULL)
			m = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "warehouse", req_str(wh, "id"),
			              "carrier", carrier, "date", date, "state", "open",
			              "shipments");
		json_array_append(json_object_get(m, "shipments"), entry);
		rc = store_put_json(c->txn, STORE_MANIFESTS, k.b, k.n, m, 0);
		json_decref(m);
		return rc;
	}
	return cmd_fail(c, WMS_ESTATE, "carrier",
	                "every manifest of %s for the next 14 days is closed", carrier);
}

/*
 * The carrier and service ship.confirm may choose from. With the request's `carrier` the
 * service is the request's `service`, else the order's: overriding the carrier does not
 * change what the customer bought. With only `service`, the carrier is the order's, else
 * any. Without either, the order's carrier (if any) and any service: rate shopping (ship.h).
 * An override must name an option of the warehouse: unknown_carrier (field `carrier`) when
 * the warehouse has no such carrier, unknown_service (field `service`) when the carrier (or
 * no carrier of the warehouse) offers no such service.
 */
static int override_of(struct cmd_ctx *c, const json_t *wh, const json_t *sub, const char **carrier,
                       const char **service)
{
	const char *asked_carrier = req_str(c->req, "carrier");
	const char *asked_service = req_str(c->req, "service");
	*carrier = asked_carrier ? asked_carrier : req_str(sub, "carrier");
	*service = asked_service ? asked_service : asked_carrier ? req_str(sub, "service") : NULL;
	if (asked_carrier == NULL && asked_service == NULL)
		return 0; /* rate shopping */
	bool carrier_known = *carrier == NULL, option_known = false;
	size_t i;
	json_t *cr;
	json_array_foreach(json_object_get(wh, "carriers"), i, cr)
	{
		bool same = *carrier == NULL || strcmp(req_str(cr, "carrier"), *carrier) == 0;
		carrier_known |= same;
		option_known |= same && strcmp(req_str(cr, "service"), *service) == 0;
	}
	if (!carrier_known)
		return cmd_fail(c, WMS_ECARRIER, "carrier",
		                "carrier '%s' is not a carrier of warehouse '%s'", *carrier,
		                req_str(wh, "id"));
	if (!option_known)
		return cmd_fail(c, WMS_ESERVICE, "service",
		                "service '%s'%s is not offered by %s%s%s at warehouse '%s'",
		                *service, asked_service ? "" : " (the order's service)",
		                *carrier ? "carrier '" : "any carrier", *carrier ? *carrier : "",
		                *carrier ? "'" : "", req_str(wh, "id"));
	return 0;
}

int ship_confirm(struct cmd_ctx *c, json_t **reply)
{
	const char *sid = req_str(c->req, "shipment");
	uint64_t no;
	size_t idx;
	struct order o = ORDER_INIT;
	if (parse_shipment(sid, &no, &idx))
		return cmd_fail(c, WMS_EVALUE, "shipment",
		                "shipment '%s' is not a shipment id (S<n>-<k>)", sid);
	int rc = order_load_no(c->txn, no, &o);
	json_t *s = rc == 0 ? order_shipment(&o, sid, &idx) : NULL;
	/* A cancelled order's shipments stay on its record (an order cancelled by an earlier
	 * version has none): either way the answer is that it was cancelled. */
	if (rc == 0 && order_state(&o) == ORDER_CANCELLED) {
		const char *when = req_str(json_object_get(o.doc, "milestones"), "cancelled");
		rc = cmd_fail(c, WMS_ESTATE, "shipment",
		              "shipment '%s': order '%s' was cancelled%s%s; it does not ship", sid,
		              order_id(&o), when ? " at " : "", when ? when : "");
		order_release(&o);
		return rc;
	}
	if (rc == WMS_ENOTFOUND || (rc == 0 && s == NULL)) {
		order_release(&o);
		return cmd_fail(c, WMS_ENOTFOUND, "shipment", "shipment '%s' is not known", sid);
	}
	if (rc)
		return rc;
	const char *st = req_str(s, "state");
	if (st == NULL || strcmp(st, "packed") != 0) {
		rc = cmd_fail(c, WMS_ESTATE, "shipment",
		              "shipment '%s' is %s; only a packed one ships", sid,
		              st ? st : "allocated");
		order_release(&o);
		return rc;
	}
	json_t *wh;
	if ((rc = master_warehouse_load(c, req_str(s, "warehouse"), "warehouse", &wh))) {
		order_release(&o);
		return rc;
	}
	const json_t *sub = order_submitted(&o);
	int64_t promise = time_of(sub, "promised_by");
	const char *want_carrier, *want_service;
	struct carrier_option opt;
	if ((rc = override_of(c, wh, sub, &want_carrier, &want_service)) == 0)
		rc = carrier_best(wh, want_service, want_carrier, c->now, promise, &opt);
	if (rc == WMS_ENOTFOUND)
		rc =
		    cmd_fail(c, WMS_ECARRIER, want_carrier ? "carrier" : "shipment",
		             "warehouse '%s' has no carrier option%s%s%s%s", req_str(wh, "id"),
		             want_carrier ? " of " : "", want_carrier ? want_carrier : "",
		             want_service ? " for service " : "", want_service ? want_service : "");
	char tracking[40], cut[WMS_TIME_BUFSZ], by[WMS_TIME_BUFSZ], at[WMS_TIME_BUFSZ], date[11];
	if (rc == 0)
		rc = carrier_tracking(c, opt.carrier, tracking);
	if (rc == 0) {
		struct key k = KEY_INIT;
		struct key v = KEY_INIT;
		key_str(&k, tracking);
		key_u64(&v, no);
		key_u64(&v, idx);
		rc = store_put(c->txn, STORE_TRACKING, k.b, k.n, v.b, v.n, STORE_NOOVERWRITE);
	}
	size_t ncartons = json_array_size(json_object_get(s, "cartons"));
	if (rc == 0) {
		json_t *cartons = json_array();
		size_t i;
		json_t *ct;
		json_array_foreach(json_object_get(s, "cartons"), i, ct)
		    json_array_append(cartons, json_object_get(ct, "sscc"));
		json_t *entry = json_pack("{s:s, s:s, s:s, s:s, s:o}", "shipment", sid, "tracking",
		                          tracking, "tenant", order_tenant(&o), "order",
		                          order_id(&o), "cartons", cartons);
		rc = manifest_add(c, wh, opt.carrier, opt.cutoff, entry, date);
		json_decref(entry);
	}
	if (rc == 0) {
		/* The record says what ships: carrier, service, cutoff and estimate are the
		 * option chosen now (ship_service repeats the service, as earlier versions
		 * wrote it); delivery_by and on_time stay the allocation's plan. */
		wms_time_format(opt.cutoff, cut);
		wms_time_format(opt.delivery_by, by);
		json_object_set_new(s, "carrier", json_string(opt.carrier));
		json_object_set_new(s, "service", json_string(opt.service));
		json_object_set_new(s, "ship_service", json_string(opt.service));
		json_object_set_new(s, "tracking", json_string(tracking));
		json_object_set_new(s, "pickup", json_string(cut));
		json_object_set_new(s, "cutoff", json_string(cut));
		json_object_set_new(s, "estimate", json_string(by));
		json_object_set_new(s, "shipped_at", json_string(wms_time_format(c->now, at)));
		json_object_set_new(s, "manifest", json_string(date));
		rc = order_shipment_move(
		    c, &o, idx, ORDER_SHIPPED,
		    json_pack("{s:O, s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "warehouse",
		              json_object_get(s, "warehouse"), "carrier", opt.carrier, "service",
		              opt.service, "tracking", tracking, "estimate", by, "pickup", cut,
		              "cartons", (json_int_t)ncartons, "on_time", opt.on_time));
	}
	if (rc == 0 && !opt.on_time)
		rc = watch_risk(c, &o, sid, "cutoff_missed", opt.delivery_by);
	if (rc == 0 && !opt.on_time)
		rc = order_save(c, &o);
	if (rc == 0)
		*reply =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:{s:s, s:s}}", "shipment",
		              sid, "carrier", opt.carrier, "service", opt.service, "tracking",
		              tracking, "pickup", cut, "estimate", by, "on_time", opt.on_time,
		              "cost", opt.cost, "manifest", "carrier", opt.carrier, "date", date);
	json_decref(wh);
	order_release(&o);
	return rc;
}

int manifest_close(struct cmd_ctx *c, json_t **reply)
{
	const char *whid = req_str(c->req, "warehouse"), *carrier = req_str(c->req, "carrier");
	json_t *wh, *m = NULL;
	int rc = master_warehouse_load(c, whid, "warehouse", &wh);
	if (rc)
		return rc;
	char date[11];
	if (req_str(c->req, "date"))
		snprintf(date, sizeof(date), "%s", req_str(c->req, "date"));
	else
		local_date(wh, c->now, date);
	json_decref(wh);
	struct key k = KEY_INIT;
	manifest_key(&k, whid, carrier, date);
	rc = store_get_json(c->txn, STORE_MANIFESTS, k.b, k.n, &m);
	if (rc && rc != WMS_ENOTFOUND)
		return rc;
	if (m == NULL)
		m = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "warehouse", whid, "carrier", carrier,
		              "date", date, "state", "open", "shipments");
	bool changed = strcmp(req_str(m, "state"), "closed") != 0;
	size_t cartons = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(m, "shipments"), i, e) cartons +=
	    json_array_size(json_object_get(e, "cartons"));
	if (changed) {
		char at[WMS_TIME_BUFSZ];
		json_object_set_new(m, "state", json_string("closed"));
		json_object_set_new(m, "closed_at", json_string(wms_time_format(c->now, at)));
		json_object_set_new(m, "cartons", json_integer((json_int_t)cartons));
		rc = store_put_json(c->txn, STORE_MANIFESTS, k.b, k.n, m, 0);
		if (rc == 0)
			rc = ev_emit(
			    c, "manifest.closed", 0,
			    json_pack("{s:s, s:s, s:s, s:I, s:I}", "warehouse", whid, "carrier",
			              carrier, "date", date, "shipments",
			              (json_int_t)json_array_size(json_object_get(m, "shipments")),
			              "cartons", (json_int_t)cartons));
	}
	if (rc == 0)
		*reply = json_pack("{s:O, s:b}", "manifest", m, "changed", changed);
	json_decref(m);
	return rc;
}

/* Carrier statuses that move a parcel, with the state they move it to. */
static enum order_state status_state(const char *status)
{
	if (strcmp(status, "in_transit") == 0)
		return ORDER_IN_TRANSIT;
	if (strcmp(status, "out_for_delivery") == 0)
		return ORDER_OUT_FOR_DELIVERY;
	if (strcmp(status, "delivered") == 0)
		return ORDER_DELIVERED;
	if (strcmp(status, "returned_to_sender") == 0)
		return ORDER_RETURNED;
	return 0;
}

static int rank(enum order_state s)
{
	switch (s) {
	case ORDER_SHIPPED:
		return 1;
	case ORDER_IN_TRANSIT:
		return 2;
	case ORDER_OUT_FOR_DELIVERY:
		return 3;
	case ORDER_DELIVERED:
		return 4;
	case ORDER_RETURNED:
		return 5;
	default:
		return 0;
	}
}

/* Whether every line of the order went out in full in its shipments. */
static bool in_full(const struct order *o)
{
	json_t *want = json_object();
	size_t i, j;
	json_t *l, *s;
	json_array_foreach(json_object_get(order_submitted(o), "lines"), i, l) json_object_set_new(
	    want, req_str(l, "sku"),
	    json_integer(req_int(want, req_str(l, "sku"), 0) + req_int(l, "qty", 0)));
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		/* Only what went out counts: a shipment still in the warehouse, or a part
		 * waiting for stock (state backordered), has not shipped its lines. */
		if (!order_state_shipped(order_state_parse(req_str(s, "state"))))
			continue;
		json_array_foreach(json_object_get(s, "lines"), j, l) json_object_set_new(
		    want, req_str(l, "sku"),
		    json_integer(req_int(want, req_str(l, "sku"), 0) - req_int(l, "qty", 0)));
	}
	bool full = true;
	const char *k;
	json_t *v;
	json_object_foreach(want, k, v) full &= json_integer_value(v) <= 0;
	json_decref(want);
	return full;
}

/* Whether the recorded carrier event H is the news STATUS at AT in LOCATION (NULL: none). */
static bool same_news(const json_t *h, const char *status, int64_t at, const char *location)
{
	const char *loc = req_str(h, "location");
	if (strcmp(req_str(h, "status"), status) != 0 || time_of(h, "at") != at)
		return false;
	return loc == NULL || location == NULL ? loc == location : strcmp(loc, location) == 0;
}

static int ignored(json_t **reply, const char *tracking, const char *why)
{
	*reply = json_pack("{s:s, s:b, s:s}", "tracking", tracking, "ignored", 1, "why", why);
	return 0;
}

/* How far a carrier's clock may be off ours: scanners' clocks drift, time zones do not. */
#define CARRIER_SKEW_MS (15 * 60000)

/*
 * A carrier reports what happened, between the parcel leaving (shipped_at) and now: news from
 * before that or from the future is a broken feed (a default epoch, a local time sent as UTC),
 * and taken as it is it would decide on_time and the OTIF report. Refused, naming both ends.
 */
static int check_carrier_time(struct cmd_ctx *c, const json_t *s, int64_t at)
{
	char a[WMS_TIME_BUFSZ], b[WMS_TIME_BUFSZ];
	int64_t shipped = time_of(s, "shipped_at");
	if (shipped >= 0 && at < shipped - CARRIER_SKEW_MS)
		return cmd_fail(c, WMS_ERANGE, "at",
		                "at %s is before shipment %s left the warehouse (%s)",
		                wms_time_format(at, a), req_str(s, "id"),
		                wms_time_format(shipped, b));
	if (at > c->now + CARRIER_SKEW_MS)
		return cmd_fail(c, WMS_ERANGE, "at",
		                "at %s is in the future: the engine's time is %s (15 minutes of "
		                "clock skew allowed)",
		                wms_time_format(at, a), wms_time_format(c->now, b));
	return 0;
}

int carrier_event(struct cmd_ctx *c, json_t **reply)
{
	const char *tracking = req_str(c->req, "tracking"), *status = req_str(c->req, "status");
	struct key k = KEY_INIT;
	struct store_val v;
	key_str(&k, tracking);
	int rc = store_get(c->txn, STORE_TRACKING, k.b, k.n, &v);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, "tracking", "tracking number '%s' is not known",
		                tracking);
	if (rc)
		return rc;
	if (v.len != 16)
		return WMS_EINTERNAL;
	uint64_t no = key_get_u64(v.data);
	size_t idx = (size_t)key_get_u64((const uint8_t *)v.data + 8);
	int64_t at;
	if (wms_time_parse(req_str(c->req, "at"), &at))
		return cmd_fail(c, WMS_ETIME, "at", "at is not an RFC 3339 timestamp");
	struct order o = ORDER_INIT;
	if ((rc = order_load_no(c->txn, no, &o)))
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	json_t *s =
	    json_array_get(json_object_get(json_object_get(o.doc, "allocation"), "shipments"), idx);
	if (s == NULL) {
		order_release(&o);
		return WMS_EINTERNAL;
	}
	if ((rc = check_carrier_time(c, s, at))) {
		order_release(&o);
		return rc;
	}
	/* The same news twice (status, time and place) is a duplicate. */
	json_t *hist = json_object_get(s, "carrier_events");
	size_t i;
	json_t *h;
	json_array_foreach(hist, i, h)
	{
		if (same_news(h, status, at, req_str(c->req, "location"))) {
			order_release(&o);
			return ignored(reply, tracking, "duplicate");
		}
	}
	enum order_state cur = order_state_parse(req_str(s, "state"));
	enum order_state to = status_state(status);
	if (cur == ORDER_RETURNED) {
		order_release(&o);
		return ignored(reply, tracking, "stale: the parcel's trip has ended");
	}
	/* Forward only; but a parcel in transit is scanned at every hub it passes (a new scan
	 * while in transit), and a failed delivery sends it back in transit. */
	if (to && rank(to) <= rank(cur) && !(to == ORDER_IN_TRANSIT && cur == ORDER_IN_TRANSIT) &&
	    !(to == ORDER_IN_TRANSIT && cur == ORDER_OUT_FOR_DELIVERY)) {
		order_release(&o);
		return ignored(reply, tracking,
		               rank(to) == rank(cur) ? "duplicate"
		                                     : "stale: the parcel is further on");
	}
	if (cur == ORDER_DELIVERED || cur == ORDER_RETURNED) {
		order_release(&o);
		return ignored(reply, tracking, "stale: the parcel's trip has ended");
	}
	if (hist == NULL)
		json_object_set_new(s, "carrier_events", hist = json_array());
	json_t *rec =
	    json_pack("{s:s, s:O}", "status", status, "at", json_object_get(c->req, "at"));
	const char *fields[] = { "location", "detail", "reason", "estimate" };
	/* Every event of the parcel names its shipment (order_shipment_move adds it too). */
	json_t *extra =
	    json_pack("{s:O, s:s, s:O, s:O, s:O}", "shipment", json_object_get(s, "id"), "tracking",
	              tracking, "carrier", json_object_get(s, "carrier"), "warehouse",
	              json_object_get(s, "warehouse"), "carrier_at", json_object_get(c->req, "at"));
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		json_t *x = json_object_get(c->req, fields[f]);
		if (x) {
			json_object_set(rec, fields[f], x);
			json_object_set(extra, fields[f], x);
		}
	}
	json_array_append_new(hist, rec);
	int64_t promise = time_of(order_submitted(&o), "promised_by");
	int64_t est = time_of(c->req, "estimate");
	if (est >= 0)
		json_object_set(s, "estimate", json_object_get(c->req, "estimate"));
	if (strcmp(status, "exception") == 0) {
		const char *reason =
		    req_str(c->req, "reason") ? req_str(c->req, "reason") : "other";
		json_object_set_new(
		    s, "exception",
		    json_pack("{s:s, s:O}", "reason", reason, "at", json_object_get(c->req, "at")));
		/* The event says what is recorded: `other` when the carrier gave no reason. */
		json_object_set_new(extra, "reason", json_string(reason));
		/* A delay without the carrier's new date: a day later than we thought. */
		if (est < 0 && strcmp(reason, "delayed") == 0) {
			char e[WMS_TIME_BUFSZ];
			int64_t cur_est = time_of(s, "estimate");
			est = (cur_est > c->now ? cur_est : c->now) + 86400000;
			json_object_set_new(s, "estimate", json_string(wms_time_format(est, e)));
			json_object_set_new(extra, "estimate", json_string(e));
		}
		rc = order_emit(c, &o, "shipment.exception", extra);
		extra = NULL;
		if (rc == 0 && strcmp(reason, "address") != 0 && strcmp(reason, "damaged") != 0 &&
		    est < 0)
			est = time_of(s, "estimate");
		if (rc == 0 && est > promise)
			rc = watch_risk(c, &o, req_str(s, "id"), "carrier_exception", est);
		else if (rc == 0 &&
		         (strcmp(reason, "address") == 0 || strcmp(reason, "damaged") == 0))
			rc = watch_risk(c, &o, req_str(s, "id"), "carrier_exception",
			                (est > promise ? est : promise) + 86400000);
		if (rc == 0)
			rc = order_save(c, &o);
	} else if (to == ORDER_RETURNED) {
		json_object_set_new(s, "state", json_string("returned"));
		rc = order_emit(c, &o, "shipment.returned_to_sender", extra);
		extra = NULL;
		bool all = true;
		json_array_foreach(
		    json_object_get(json_object_get(o.doc, "allocation"), "shipments"), i, h) all &=
		    strcmp(req_str(h, "state") ? req_str(h, "state") : "", "returned") == 0;
		if (rc == 0 && all && order_can_move(order_state(&o), ORDER_RETURNED))
			rc = order_move(c, &o, ORDER_RETURNED,
			                json_pack("{s:s}", "reason", "returned_to_sender"));
		else if (rc == 0)
			rc = order_save(c, &o);
	} else {
		json_object_del(s, "exception");
		if (to == ORDER_DELIVERED) {
			json_object_set(s, "delivered_at", json_object_get(c->req, "at"));
			long long late =
			    at > promise ? (long long)((at - promise + 59999) / 60000) : 0;
			json_object_set_new(extra, "on_time", json_boolean(late == 0));
			json_object_set_new(extra, "in_full", json_boolean(in_full(&o)));
			json_object_set_new(extra, "late_by_minutes", json_integer(late));
			if (late > 0 && !json_object_get(o.doc, "late"))
				rc = watch_late(c, &o, at);
			if (rc == 0 && json_object_get(o.doc, "late"))
				json_object_set(extra, "compensation",
				                json_object_get(json_object_get(o.doc, "late"),
				                                "compensation"));
		} else if (rc == 0 && est > promise) {
			rc = watch_risk(c, &o, req_str(s, "id"), "carrier_delay", est);
		}
		if (rc == 0) {
			rc = order_shipment_move(c, &o, idx, to, extra);
			extra = NULL;
		}
	}
	json_decref(extra);
	if (rc == 0)
		*reply = json_pack("{s:s, s:s, s:s, s:s, s:b}", "tracking", tracking, "shipment",
		                   req_str(s, "id"), "order", order_id(&o), "state",
		                   order_state_name(order_state(&o)), "ignored", 0);
	order_release(&o);
	return rc;
}
