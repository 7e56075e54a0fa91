/* returns.c - returns, exchanges and the OTIF report (see returns.h). */
#include "jtext.h"
#include "returns.h"

#include "alloc.h"
#include "carrier.h"
#include "events.h"
#include "keys.h"
#include "master.h"
#include "orders.h"
#include "store.h"
#include "watch.h"
#include "wh.h"
#include "wms/barcode.h"
#include "wms/time.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t time_of(const json_t *o, const char *name)
{
	int64_t t;
	const char *s = json_string_value(json_object_get(o, name));
	return s && wms_time_parse(s, &t) == 0 ? t : -1;
}

static json_t *shipments(const struct order *o)
{
	return json_object_get(json_object_get(o->doc, "allocation"), "shipments");
}

/* Units of SKU in delivered shipments, and the warehouse that shipped the most of them. */
static long long delivered_units(const struct order *o, const char *sku, const char **wh)
{
	long long n = 0, best = 0;
	size_t i, j;
	json_t *s, *l;
	json_array_foreach(shipments(o), i, s)
	{
		if (strcmp(req_str(s, "state") ? req_str(s, "state") : "", "delivered") != 0)
			continue;
		json_array_foreach(json_object_get(s, "lines"), j, l)
		{
			if (strcmp(req_str(l, "sku"), sku) != 0)
				continue;
			long long q = req_int(l, "qty", 0);
			n += q;
			if (q > best && wh) {
				best = q;
				*wh = req_str(s, "warehouse");
			}
		}
	}
	return n;
}

static void rma_key(struct key *k, const char *rma)
{
	key_str(k, rma);
}

static int rma_load(struct cmd_ctx *c, const char *rma, json_t **out)
{
	struct key k = KEY_INIT;
	rma_key(&k, rma);
	int rc = store_get_json(c->txn, STORE_RETURNS, k.b, k.n, out);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, "rma", "return '%s' is not known", rma);
	return rc;
}

static int rma_save(struct cmd_ctx *c, const json_t *r)
{
	struct key k = KEY_INIT;
	rma_key(&k, req_str(r, "rma"));
	return store_put_json(c->txn, STORE_RETURNS, k.b, k.n, r, 0);
}

/* The pick and pack scans of SKU in the order: who, where, which scan. */
static json_t *trace(struct cmd_ctx *c, uint64_t no, const char *sku)
{
	json_t *tl = NULL, *out = json_array();
	if (ev_order_timeline(c->txn, no, &tl) != 0)
		return out;
	size_t i;
	json_t *e;
	json_array_foreach(tl, i, e)
	{
		const char *type = req_str(e, "type");
		if (type == NULL || req_str(e, "sku") == NULL ||
		    strcmp(req_str(e, "sku"), sku) != 0)
			continue;
		if (strcmp(type, "pick.confirmed") != 0 && strcmp(type, "pack.scanned") != 0)
			continue;
		json_t *t = json_pack("{s:O, s:O, s:O}", "type", json_object_get(e, "type"), "seq",
		                      json_object_get(e, "seq"), "at", json_object_get(e, "at"));
		const char *keep[] = { "task",    "device", "picker", "location",
			               "station", "tote",   "lot" };
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (json_object_get(e, keep[k]))
				json_object_set(t, keep[k], json_object_get(e, keep[k]));
		json_array_append_new(out, t);
	}
	json_decref(tl);
	return out;
}

/*
 * The promise a replacement sent with SERVICE can keep, in *PROMISE: the latest, over the
 * warehouses offering SERVICE, of the delivery of their fastest option for a parcel ready now
 * plus the warehouse's handling time, by the cutoffs, days, transit and zone that allocation
 * plans with (carrier_best, alloc.h rule 1). A promise that nothing keeps makes carrier_best
 * choose the earliest delivery. The replacement is submitted before allocation picks its
 * warehouse, so the promise must hold for any of them: made from the one that ships first it
 * would be late from another that holds the stock, and a promise made as "now + 3 days" was
 * late from a Sunday evening (no cutoff before Monday, the local day ending after it), so the
 * customer got an order confirmation and a delay apology at once. Returns WMS_ENOTFOUND when
 * no warehouse offers SERVICE (a zone missing from the system counts as not offering it, as in
 * allocation).
 */
static int replacement_promise(struct cmd_ctx *c, const char *service, int64_t *promise)
{
	json_t *list = NULL;
	int rc = master_warehouses(c, &list);
	if (rc)
		return rc;
	int64_t latest = INT64_MIN;
	size_t i;
	json_t *w;
	json_array_foreach(list, i, w)
	{
		int64_t ready =
		    c->now + req_int(w, "handling_minutes", ALLOC_HANDLING_MINUTES) * 60000;
		struct carrier_option o;
		/* cal_delivery_by's "never" (a transit beyond the calendar) is no promise. */
		if (carrier_best(w, service, NULL, ready, INT64_MIN, &o) == 0 &&
		    o.delivery_by != INT64_MAX && o.delivery_by > latest)
			latest = o.delivery_by;
	}
	json_decref(list);
	if (latest == INT64_MIN)
		return WMS_ENOTFOUND;
	*promise = latest;
	return 0;
}

/* Longest order id (PROTOCOL.md: an id is 1-64 characters). */
#define ORDER_ID_MAX 64
/* Candidate ids tried for one replacement before giving up. */
#define REPLACEMENT_TRIES 100

/*
 * The id of O's next replacement, for return RMA: "<order>-R<n>" (n counts the order's
 * replacements) when that fits an id, else "<rma>-R<n>" (an rma is unique, and a return
 * authorises at most one replacement), the rma cut to fit when it is that long itself. An id
 * some order of the tenant already has (an OMS order named like a replacement, or two cut rmas
 * alike) is skipped for the next n, so the replacement is always a new order: order.submit
 * would answer a resend of an existing one instead. Errors: WMS_ECONFLICT naming `rma`.
 */
static int replacement_id(struct cmd_ctx *c, const struct order *o, const char *rma,
                          char id[ORDER_ID_MAX + 1])
{
	size_t n = json_array_size(json_object_get(o->doc, "replacements")) + 1;
	for (int tries = 0; tries < REPLACEMENT_TRIES; tries++, n++) {
		char suffix[24];
		int sl = snprintf(suffix, sizeof(suffix), "-R%zu", n);
		const char *base = order_id(o);
		if (strlen(base) + (size_t)sl > ORDER_ID_MAX)
			base = rma;
		snprintf(id, ORDER_ID_MAX + 1, "%.*s%s", ORDER_ID_MAX - sl, base, suffix);
		uint64_t no;
		int rc = order_find(c->txn, order_tenant(o), id, &no);
		if (rc == WMS_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
	}
	return cmd_fail(c, WMS_ECONFLICT, "rma",
	                "no free id for the replacement order of return '%s' after %d tries", rma,
	                REPLACEMENT_TRIES);
}

/* Submits the linked replacement order through order.submit itself. */
static int replacement(struct cmd_ctx *c, const struct order *o, const char *rma, json_t *lines,
                       bool express, json_t **reply)
{
	const json_t *sub = order_submitted(o);
	char id[ORDER_ID_MAX + 1], by[WMS_TIME_BUFSZ];
	int rc = replacement_id(c, o, rma, id);
	if (rc)
		return rc;
	/* Express when the compensation says so and some warehouse offers it; else the
	 * order's own service. */
	const char *service = req_str(sub, "service");
	int64_t promise = 0;
	rc = express ? replacement_promise(c, "express", &promise) : WMS_ENOTFOUND;
	if (rc == 0)
		service = "express";
	else if (rc == WMS_ENOTFOUND)
		rc = replacement_promise(c, service, &promise);
	if (rc == WMS_ENOTFOUND) {
		/* No warehouse ships the order's service any more: the replacement is backordered
		 * for that reason (alloc.h) whatever it is promised; a week, as before. */
		promise = c->now + 7 * WMS_MS_PER_DAY;
		rc = 0;
	}
	if (rc)
		return rc;
	json_t *order =
	    json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:i}", "tenant", order_tenant(o), "id", id,
	              "lines", lines, "ship_to", json_object_get(sub, "ship_to"), "service",
	              service, "promised_by", wms_time_format(promise, by), "priority", 9);
	struct cmd_ctx sc = *c;
	sc.req = json_pack("{s:s, s:o}", "op", "order.submit", "order", order);
	rc = order_submit(&sc, reply);
	if (rc)
		c->err = sc.err;
	json_decref((json_t *)sc.req);
	return rc;
}

static const char *rma_field(char *buf, size_t n, size_t i, const char *name)
{
	snprintf(buf, n, "lines[%zu].%s", i, name);
	return buf;
}

int return_authorize(struct cmd_ctx *c, json_t **reply)
{
	struct order o = ORDER_INIT;
	const char *tenant = req_str(c->req, "tenant"), *oid = req_str(c->req, "order");
	int rc = order_load(c, tenant, oid, &o);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, "order", "order '%s' of tenant '%s' is not known",
		                oid, tenant);
	if (rc)
		return rc;
	json_t *returned = json_object_get(o.doc, "returned_units");
	if (returned == NULL)
		json_object_set_new(o.doc, "returned_units", returned = json_object());
	json_t *lines = json_array(), *repl_lines = json_array(), *traces = json_array();
	bool packing_error = false, express = false;
	size_t i;
	json_t *l;
	char f[48];
	json_array_foreach(json_object_get(c->req, "lines"), i, l)
	{
		const char *sku = req_str(l, "sku"), *reason = req_str(l, "reason");
		long long qty = req_int(l, "qty", 0);
		long long have = delivered_units(&o, sku, NULL) - req_int(returned, sku, 0);
		if (qty > have) {
			rc = cmd_fail(
			    c, have > 0 ? WMS_ERANGE : WMS_ESTATE,
			    rma_field(f, sizeof(f), i, "qty"),
			    "%s: %lld x %s to return, but %lld delivered and not yet returned "
			    "in order %s",
			    f, qty, sku, have, order_id(&o));
			break;
		}
		json_object_set_new(returned, sku, json_integer(req_int(returned, sku, 0) + qty));
		json_t *line =
		    json_pack("{s:s, s:I, s:s, s:i, s:i}", "sku", sku, "qty", (json_int_t)qty,
		              "reason", reason, "received", 0, "graded", 0);
		if (strcmp(reason, "wrong_item") == 0) {
			packing_error = true;
			json_array_append_new(traces, json_pack("{s:s, s:o}", "sku", sku, "scans",
			                                        trace(c, o.no, sku)));
			json_array_append_new(repl_lines, json_pack("{s:s, s:I}", "sku", sku, "qty",
			                                            (json_int_t)qty));
		} else if (strcmp(reason, "exchange") == 0) {
			const char *to =
			    req_str(l, "exchange_sku") ? req_str(l, "exchange_sku") : sku;
			json_object_set_new(line, "exchange_sku", json_string(to));
			json_array_append_new(
			    repl_lines, json_pack("{s:s, s:I}", "sku", to, "qty", (json_int_t)qty));
		}
		json_array_append_new(lines, line);
	}
	json_t *comp = NULL, *repl = NULL;
	if (rc == 0 && packing_error) {
		watch_cause(&o, "packing_error");
		rc = watch_compensation(c, &o, "packing_error", 0, &comp);
		express = comp && strcmp(req_str(comp, "kind"), "replacement_express") == 0;
	}
	/* The rma first: the replacement's id may be made from it. */
	char rma[80];
	if (rc == 0) {
		if (req_str(c->req, "rma")) {
			snprintf(rma, sizeof(rma), "%s", req_str(c->req, "rma"));
			struct key k = KEY_INIT;
			struct store_val v;
			rma_key(&k, rma);
			if (store_get(c->txn, STORE_RETURNS, k.b, k.n, &v) == 0)
				rc = cmd_fail(c, WMS_ECONFLICT, "rma", "return '%s' already exists",
				              rma);
		} else {
			uint64_t n;
			rc = store_counter_next(c->txn, "rma_no", &n);
			snprintf(rma, sizeof(rma), "RMA-%06" PRIu64, n);
		}
	}
	if (rc == 0 && json_array_size(repl_lines) > 0)
		rc = replacement(c, &o, rma, repl_lines, express, &repl);
	if (rc == 0) {
		json_t *r = json_pack("{s:s, s:s, s:s, s:I, s:O, s:s}", "rma", rma, "tenant",
		                      order_tenant(&o), "order", order_id(&o), "order_no",
		                      (json_int_t)o.no, "lines", lines, "state", "authorized");
		json_t *fields = json_pack("{s:s, s:O}", "rma", rma, "lines", lines);
		if (repl) {
			const char *rid = json_string_value(
			    json_object_get(json_object_get(repl, "order"), "id"));
			json_object_set_new(r, "replacement", json_string(rid));
			json_object_set_new(fields, "replacement", json_string(rid));
			json_t *prev = json_object_get(o.doc, "replacements");
			if (prev == NULL)
				json_object_set_new(o.doc, "replacements", prev = json_array());
			json_array_append_new(prev, json_string(rid));
		}
		if (json_array_size(traces)) {
			json_object_set(r, "trace", traces);
			json_object_set(fields, "trace", traces);
		}
		if (comp) {
			json_object_set(r, "compensation", comp);
			json_object_set(fields, "compensation", comp);
		}
		rc = rma_save(c, r);
		if (rc == 0)
			rc = order_save(c, &o);
		if (rc == 0)
			rc = order_emit(c, &o, "return.authorized", fields);
		else
			json_decref(fields);
		if (rc == 0)
			*reply = json_pack("{s:o}", "return", r);
		else
			json_decref(r);
	}
	json_decref(comp);
	json_decref(repl);
	json_decref(lines);
	json_decref(repl_lines);
	json_decref(traces);
	order_release(&o);
	return rc;
}

int return_receive(struct cmd_ctx *c, json_t **reply)
{
	json_t *r;
	int rc = rma_load(c, req_str(c->req, "rma"), &r);
	if (rc)
		return rc;
	if (strcmp(req_str(r, "state"), "closed") == 0) {
		rc = cmd_fail(c, WMS_ESTATE, "rma", "return '%s' is closed", req_str(r, "rma"));
		json_decref(r);
		return rc;
	}
	json_t *accepted = json_array(), *refused = json_array();
	size_t i, j;
	json_t *code, *l;
	json_array_foreach(json_object_get(c->req, "codes"), i, code)
	{
		const char *text = json_string_value(code);
		struct wms_barcode bc;
		struct wms_barcode_error e = WMS_BARCODE_ERROR_INIT;
		char sku[80];
		int pack = 1;
		if (wms_barcode_parse(text, strlen(text), NULL, &bc, &e) != 0 ||
		    bc.gtin[0] == '\0' ||
		    master_gtin_lookup(c->txn, req_str(r, "tenant"), bc.gtin, sku, sizeof(sku),
		                       &pack)) {
			json_array_append_new(refused, json_pack("{s:s, s:s}", "code", text,
			                                         "reason", "unknown_barcode"));
			continue;
		}
		json_t *hit = NULL;
		json_array_foreach(json_object_get(r, "lines"), j,
		                   l) if (!hit && strcmp(req_str(l, "sku"), sku) == 0 &&
		                          req_int(l, "received", 0) + pack <= req_int(l, "qty", 0))
		    hit = l;
		if (hit == NULL) {
			json_array_append_new(refused,
			                      json_pack("{s:s, s:s, s:s}", "code", text, "sku", sku,
			                                "reason", "not_in_order"));
			continue;
		}
		json_object_set_new(hit, "received",
		                    json_integer(req_int(hit, "received", 0) + pack));
		/* The line's reason says what the units come to (a refund, or a replacement
		 * already sent), which the customer is told on receipt. */
		json_array_append_new(accepted,
		                      json_pack("{s:s, s:s, s:i, s:s}", "code", text, "sku", sku,
		                                "qty", pack, "reason", req_str(hit, "reason")));
	}
	bool all = true;
	json_array_foreach(json_object_get(r, "lines"), j, l) all &=
	    req_int(l, "received", 0) >= req_int(l, "qty", 0);
	if (json_array_size(accepted) > 0) {
		json_object_set_new(r, "state",
		                    json_string(all ? "received" : "partially_received"));
		rc = rma_save(c, r);
		json_t *fields = NULL;
		if (rc == 0)
			fields = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "tenant",
			                   json_object_get(r, "tenant"), "order",
			                   json_object_get(r, "order"), "rma",
			                   json_object_get(r, "rma"), "lines", accepted, "state",
			                   json_object_get(r, "state"), "refused", refused);
		if (fields && json_object_get(r, "replacement"))
			json_object_set(fields, "replacement", json_object_get(r, "replacement"));
		if (rc == 0)
			rc = ev_emit(c, "return.received", (uint64_t)req_int(r, "order_no", 0),
			             fields);
	}
	if (rc == 0)
		*reply = json_pack("{s:O, s:O, s:o, s:o}", "rma", json_object_get(r, "rma"),
		                   "state", json_object_get(r, "state"), "accepted", accepted,
		                   "refused", refused);
	else {
		json_decref(accepted);
		json_decref(refused);
	}
	json_decref(r);
	return rc;
}

/*
 * Puts QTY units of grade line G (index I) of return R back on location CANON of warehouse WH,
 * under the lot rules of stock.receive and stock.adjust (master.h): a lot-tracked item's
 * units go back into a named lot whose expiry the warehouse records (they came out of it),
 * an untracked item's never into a lot. Then the tenant's backorders of the sku may fill.
 */
static int restock(struct cmd_ctx *c, const json_t *r, const json_t *g, size_t i, const char *wh,
                   const char *canon, long long qty)
{
	const char *tenant = req_str(r, "tenant"), *sku = req_str(g, "sku"),
	           *lot = req_str(g, "lot");
	char f[48], expiry[16] = "", where[WH_LOC_MAX];
	json_t *item = NULL, *row = NULL;
	struct key k = KEY_INIT;
	int rc = master_item_load(c, tenant, sku, rma_field(f, sizeof(f), i, "sku"), &item);
	if (rc == 0)
		rc = master_lot_rule(c, item, lot, rma_field(f, sizeof(f), i, "lot"), "restocked");
	json_decref(item);
	if (rc == 0 && lot) {
		bool known;
		if ((rc = master_lot_expiry(c->txn, tenant, sku, wh, lot, &known, expiry, where)))
			return rc;
		if (!known)
			return cmd_fail(c, WMS_ENOTFOUND, rma_field(f, sizeof(f), i, "lot"),
			                "%s: lot '%s' of sku '%s' was never received in warehouse "
			                "'%s', so its expiry is not known there; restock it under "
			                "the lot it was shipped from",
			                f, lot, sku, wh);
	}
	if (rc)
		return rc;
	master_stock_key(&k, tenant, sku, wh, canon, lot);
	if ((rc = master_stock_change(c, &k, qty, 0, &row)))
		return rc;
	/* A lot restocked at a new location brings its expiry, as stock.adjust does. */
	if (expiry[0] && req_str(row, "expiry") == NULL) {
		json_object_set_new(row, "expiry", json_string(expiry));
		rc = store_put_json(c->txn, STORE_STOCK, k.b, k.n, row, 0);
	}
	json_decref(row);
	if (rc == 0)
		rc = alloc_backorders(c, tenant, sku);
	return rc;
}

int return_grade(struct cmd_ctx *c, json_t **reply)
{
	json_t *r;
	int rc = rma_load(c, req_str(c->req, "rma"), &r);
	if (rc)
		return rc;
	struct order o = ORDER_INIT;
	if ((rc = order_load_no(c->txn, (uint64_t)req_int(r, "order_no", 0), &o))) {
		json_decref(r);
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	}
	json_t *graded = json_array();
	size_t i, j;
	json_t *g, *l;
	char f[48];
	long long restocked = 0;
	json_array_foreach(json_object_get(c->req, "lines"), i, g)
	{
		const char *sku = req_str(g, "sku"), *grade = req_str(g, "grade");
		long long qty = req_int(g, "qty", 0), left = 0;
		json_t *line = NULL;
		json_array_foreach(json_object_get(r, "lines"), j, l)
		{
			if (strcmp(req_str(l, "sku"), sku) != 0)
				continue;
			long long room = req_int(l, "received", 0) - req_int(l, "graded", 0);
			left += room;
			if (line == NULL && room >= qty)
				line = l;
		}
		if (line == NULL) {
			rc = cmd_fail(c, WMS_ERANGE, rma_field(f, sizeof(f), i, "qty"),
			              "%s: %lld x %s to grade, %lld received and not graded", f,
			              qty, sku, left);
			break;
		}
		if (strcmp(grade, "restock") == 0) {
			const char *whid = NULL, *loc = req_str(g, "location");
			delivered_units(&o, sku, &whid);
			json_t *wh = NULL;
			char canon[WH_LOC_MAX];
			if (loc == NULL) {
				rc = cmd_fail(
				    c, WMS_EMISSING, rma_field(f, sizeof(f), i, "location"),
				    "%s: restocking needs the location to put %s on", f, sku);
				break;
			}
			if ((rc = master_warehouse_load(c, whid, "warehouse", &wh)))
				break;
			rc = wh_location(wh, loc, canon, NULL, &c->err);
			json_decref(wh);
			if (rc || (rc = restock(c, r, g, i, whid, canon, qty)))
				break;
			restocked += qty;
			json_object_set_new(g, "warehouse", json_string(whid));
		}
		json_object_set_new(line, "graded", json_integer(req_int(line, "graded", 0) + qty));
		/* The graded units' return line: its reason (and exchange_sku) says whether they
		 * are refunded or were replaced, for the customer's message. */
		json_t *gl = json_deep_copy(g);
		json_object_set(gl, "reason", json_object_get(line, "reason"));
		if (json_object_get(line, "exchange_sku"))
			json_object_set(gl, "exchange_sku", json_object_get(line, "exchange_sku"));
		json_array_append_new(graded, gl);
	}
	bool all = true;
	long long back = 0;
	json_array_foreach(json_object_get(r, "lines"), j, l)
	{
		all &= req_int(l, "graded", 0) >= req_int(l, "qty", 0);
		back += req_int(l, "qty", 0);
	}
	if (rc == 0) {
		json_object_set_new(r, "state", json_string(all ? "closed" : req_str(r, "state")));
		rc = rma_save(c, r);
	}
	if (rc == 0) {
		json_t *fields = json_pack("{s:O, s:O, s:I, s:O}", "rma", json_object_get(r, "rma"),
		                           "lines", graded, "restocked", (json_int_t)restocked,
		                           "state", json_object_get(r, "state"));
		if (json_object_get(r, "replacement"))
			json_object_set(fields, "replacement", json_object_get(r, "replacement"));
		rc = order_emit(c, &o, "return.graded", fields);
	}
	/* Every unit of the order came back: the order is returned. */
	if (rc == 0 && all && order_can_move(order_state(&o), ORDER_RETURNED)) {
		long long units = 0, returned = 0;
		const char *k;
		json_t *v;
		json_array_foreach(json_object_get(order_submitted(&o), "lines"), j, l) units +=
		    req_int(l, "qty", 0);
		json_object_foreach(json_object_get(o.doc, "returned_units"), k, v) returned +=
		    json_integer_value(v);
		if (returned >= units)
			rc = order_move(c, &o, ORDER_RETURNED,
			                json_pack("{s:O}", "rma", json_object_get(r, "rma")));
	}
	if (rc == 0)
		*reply = json_pack("{s:O, s:O, s:O, s:I}", "rma", json_object_get(r, "rma"),
		                   "state", json_object_get(r, "state"), "graded", graded,
		                   "restocked", (json_int_t)restocked);
	json_decref(graded);
	json_decref(r);
	order_release(&o);
	return rc;
}

/* ---- OTIF ---- */

/* Totals over every group. */
struct grp {
	long long orders, otif, on_time, in_full;
	json_t *misses;
};

static const char *group_of(const json_t *doc, const char *by, char buf[16])
{
	/* The order's first shipment that ships from a warehouse: slot 0 may hold a part
	 * waiting for stock, which has no warehouse or carrier (alloc.h). */
	json_t *s0 = NULL, *s;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(doc, "allocation"), "shipments"), i, s)
	{
		if (req_str(s, "warehouse")) {
			s0 = s;
			break;
		}
	}
	if (strcmp(by, "tenant") == 0)
		return req_str(doc, "tenant");
	if (strcmp(by, "warehouse") == 0)
		return s0 && req_str(s0, "warehouse") ? req_str(s0, "warehouse") : "(none)";
	if (strcmp(by, "carrier") == 0)
		return s0 && req_str(s0, "carrier") ? req_str(s0, "carrier") : "(none)";
	/* The UTC date of the promise: the text as submitted may carry another offset. */
	char t[WMS_TIME_BUFSZ];
	int64_t promise = time_of(json_object_get(doc, "order"), "promised_by");
	snprintf(buf, 16, "%.10s", promise >= 0 ? wms_time_format(promise, t) : "(none)");
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int report_otif(struct cmd_ctx *c, json_t **reply)
{
	int64_t from, to;
	if (wms_time_parse(req_str(c->req, "from"), &from) ||
	    wms_time_parse(req_str(c->req, "to"), &to))
		return cmd_fail(c, WMS_ETIME, "from", "from and to must be RFC 3339 timestamps");
	if (to <= from)
		return cmd_fail(c, WMS_ERANGE, "to", "to (%s) must be after from (%s)",
		                req_str(c->req, "to"), req_str(c->req, "from"));
	const char *by = req_str(c->req, "by") ? req_str(c->req, "by") : "warehouse";
	json_t *groups = json_object();
	struct grp total = { 0, 0, 0, 0, json_object() };
	struct store_cursor *cur;
	struct store_val k, v;
	int rc = store_cursor_open(c->txn, STORE_ORDERS, &cur);
	if (rc) {
		json_decref(groups);
		json_decref(total.misses);
		return rc;
	}
	for (rc = store_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(cur, &k, &v)) {
		json_t *doc = jtext_load(v.data, v.len);
		if (doc == NULL)
			continue;
		struct order o = { key_get_u64(k.data), doc, false };
		int64_t promise = time_of(order_submitted(&o), "promised_by");
		if (promise < from || promise >= to || order_state(&o) == ORDER_CANCELLED) {
			json_decref(doc);
			continue;
		}
		/* Delivered when every shipment is; on time when the last arrived by the promise.
		 */
		int64_t last = -1;
		bool delivered = json_array_size(shipments(&o)) > 0;
		size_t i;
		json_t *s;
		json_array_foreach(shipments(&o), i, s)
		{
			int64_t d = time_of(s, "delivered_at");
			delivered &= d >= 0;
			if (d > last)
				last = d;
		}
		json_t *issues = json_object_get(doc, "issues");
		bool on_time = delivered && last <= promise;
		long long want = 0, shipped = 0;
		json_t *l;
		json_array_foreach(json_object_get(order_submitted(&o), "lines"), i, l) want +=
		    req_int(l, "qty", 0);
		json_array_foreach(shipments(&o), i, s)
		{
			size_t j;
			json_array_foreach(json_object_get(s, "lines"), j, l) shipped +=
			    req_int(l, "qty", 0);
		}
		bool in_full = delivered && shipped >= want &&
		               json_object_get(issues, "packing_error") == NULL;
		char buf[16];
		const char *key = group_of(doc, by, buf);
		json_t *g = json_object_get(groups, key);
		if (g == NULL)
			json_object_set_new(groups, key,
			                    g = json_pack("{s:s, s:i, s:i, s:i, s:i, s:{}}",
			                                  "group", key, "orders", 0, "otif", 0,
			                                  "on_time", 0, "in_full", 0, "misses"));
		json_object_set_new(g, "orders", json_integer(req_int(g, "orders", 0) + 1));
		total.orders++;
		if (on_time) {
			json_object_set_new(g, "on_time",
			                    json_integer(req_int(g, "on_time", 0) + 1));
			total.on_time++;
		}
		if (in_full) {
			json_object_set_new(g, "in_full",
			                    json_integer(req_int(g, "in_full", 0) + 1));
			total.in_full++;
		}
		if (on_time && in_full) {
			json_object_set_new(g, "otif", json_integer(req_int(g, "otif", 0) + 1));
			total.otif++;
		} else {
			/* Each cause the order met counts once; none known yet: not delivered. */
			static const char *const causes[] = { "late_wave", "short_pick",
				                              "carrier_delay", "packing_error" };
			int n = 0;
			for (size_t q = 0; q < sizeof(causes) / sizeof(causes[0]); q++) {
				if (json_object_get(issues, causes[q]) == NULL)
					continue;
				n++;
				json_t *m = json_object_get(g, "misses");
				json_object_set_new(m, causes[q],
				                    json_integer(req_int(m, causes[q], 0) + 1));
				json_object_set_new(
				    total.misses, causes[q],
				    json_integer(req_int(total.misses, causes[q], 0) + 1));
			}
			if (n == 0) {
				const char *cause = delivered ? "other" : "not_delivered";
				json_t *m = json_object_get(g, "misses");
				json_object_set_new(m, cause,
				                    json_integer(req_int(m, cause, 0) + 1));
				json_object_set_new(
				    total.misses, cause,
				    json_integer(req_int(total.misses, cause, 0) + 1));
			}
		}
		json_decref(doc);
	}
	store_cursor_close(cur);
	if (rc != WMS_ENOTFOUND) {
		json_decref(groups);
		json_decref(total.misses);
		return rc;
	}
	/* Groups in key order, whatever order the hash table keeps. */
	size_t ng = json_object_size(groups), gi = 0;
	const char **keys = calloc(ng ? ng : 1, sizeof(*keys));
	const char *key;
	json_t *g;
	json_object_foreach(groups, key, g) keys[gi++] = key;
	qsort(keys, ng, sizeof(*keys), cmp_str);
	json_t *list = json_array();
	for (gi = 0; gi < ng; gi++) {
		g = json_object_get(groups, keys[gi]);
		long long n = req_int(g, "orders", 0);
		json_object_set_new(g, "otif_rate",
		                    json_real(n ? (double)req_int(g, "otif", 0) / (double)n : 0.0));
		json_array_append(list, g);
	}
	free(keys);
	json_decref(groups);
	*reply = json_pack("{s:O, s:O, s:s, s:{s:I, s:I, s:I, s:I, s:f, s:o}, s:o}", "from",
	                   json_object_get(c->req, "from"), "to", json_object_get(c->req, "to"),
	                   "by", by, "total", "orders", (json_int_t)total.orders, "otif",
	                   (json_int_t)total.otif, "on_time", (json_int_t)total.on_time, "in_full",
	                   (json_int_t)total.in_full, "otif_rate",
	                   total.orders ? (double)total.otif / (double)total.orders : 0.0, "misses",
	                   total.misses, "groups", list);
	return 0;
}
