/* watch.c - the promise watch (see watch.h). */
#include "watch.h"

#include "alloc.h"
#include "carrier.h"
#include "events.h"
#include "keys.h"
#include "master.h"
#include "store.h"
#include "wms/time.h"

#include <stdio.h>
#include <string.h>

/* Work a tick does at most; the rest waits for the next tick (bounded transactions). */
#define WATCH_TICK_MAX 20000

static int64_t time_of(const json_t *o, const char *name)
{
	int64_t t;
	const char *s = json_string_value(json_object_get(o, name));
	return s && wms_time_parse(s, &t) == 0 ? t : -1;
}

static int64_t promised_by(const struct order *o)
{
	return time_of(order_submitted(o), "promised_by");
}

/* Sixths of the handling time a shipment in state S still needs before its cutoff. */
static int sixths_needed(enum order_state s)
{
	switch (s) {
	case ORDER_ALLOCATED:
		return 6;
	case ORDER_WAVED:
		return 4;
	case ORDER_PICKING:
		return 3;
	case ORDER_PICKED:
		return 2;
	case ORDER_PACKING:
		return 1;
	case ORDER_PACKED:
		return 0;
	default:
		return -1; /* shipped or beyond: the carrier's part */
	}
}

static enum order_state ship_state(const json_t *s)
{
	enum order_state st = order_state_parse(req_str(s, "state"));
	return st ? st : ORDER_ALLOCATED;
}

static int64_t needed_ms(const json_t *s, enum order_state st)
{
	return req_int(s, "handling_minutes", ALLOC_HANDLING_MINUTES) * 60000 * sixths_needed(st) /
	       6;
}

/* The next instant something about O must be checked, or -1. */
static int64_t next_due(const struct order *o)
{
	enum order_state st = order_state(o);
	if (st == ORDER_CANCELLED || st == ORDER_DELIVERED || st == ORDER_RETURNED ||
	    st == ORDER_RECEIVED)
		return -1;
	int64_t due = json_object_get(o->doc, "late") ? -1 : promised_by(o);
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		enum order_state ss = ship_state(s);
		int64_t cutoff = time_of(s, "cutoff");
		if (sixths_needed(ss) < 0 || cutoff < 0)
			continue;
		int64_t d = cutoff - needed_ms(s, ss);
		if (due < 0 || d < due)
			due = d;
	}
	return due;
}

static void watch_key(struct key *k, int64_t due, uint64_t no)
{
	key_u64(k, (uint64_t)due);
	key_u64(k, no);
}

int watch_sync(struct cmd_ctx *c, const struct order *o)
{
	int64_t due = next_due(o);
	json_t *old = json_object_get(o->doc, "watch_due");
	int64_t was = json_is_integer(old) ? (int64_t)json_integer_value(old) : -1;
	if (due == was)
		return 0;
	int rc = 0;
	if (was >= 0) {
		struct key k = KEY_INIT;
		watch_key(&k, was, o->no);
		rc = store_del(c->txn, STORE_WATCH, k.b, k.n);
		if (rc == WMS_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0 && due >= 0) {
		struct key k = KEY_INIT;
		watch_key(&k, due, o->no);
		rc = store_put(c->txn, STORE_WATCH, k.b, k.n, "", 0, 0);
	}
	if (due >= 0)
		json_object_set_new(o->doc, "watch_due", json_integer(due));
	else
		json_object_del(o->doc, "watch_due");
	return rc;
}

void watch_cause(struct order *o, const char *cause)
{
	json_t *issues = json_object_get(o->doc, "issues");
	if (issues == NULL)
		json_object_set_new(o->doc, "issues", issues = json_object());
	json_object_set_new(issues, cause, json_true());
}

/* The OTIF cause a watch reason counts under. */
static const char *cause_of(const char *reason)
{
	if (strcmp(reason, "carrier_delay") == 0 || strcmp(reason, "carrier_exception") == 0)
		return "carrier_delay";
	if (strcmp(reason, "short_pick") == 0)
		return "short_pick";
	return "late_wave";
}

int watch_risk(struct cmd_ctx *c, struct order *o, const char *shipment, const char *reason,
               int64_t estimate)
{
	int64_t promise = promised_by(o);
	if (estimate <= promise)
		return 0;
	json_t *risk = json_object_get(o->doc, "at_risk");
	if (risk && time_of(risk, "estimate") >= estimate)
		return 0; /* already told, with this estimate or a later one */
	char e[WMS_TIME_BUFSZ], p[WMS_TIME_BUFSZ], at[WMS_TIME_BUFSZ];
	json_object_set_new(o->doc, "at_risk",
	                    json_pack("{s:s, s:s, s:s, s:s}", "reason", reason, "estimate",
	                              wms_time_format(estimate, e), "at",
	                              wms_time_format(c->now, at), "shipment", shipment));
	watch_cause(o, cause_of(reason));
	return order_emit(c, o, "order.at_risk",
	                  json_pack("{s:s, s:s, s:s, s:s, s:I}", "reason", reason, "estimate", e,
	                            "promised_by", wms_time_format(promise, p), "shipment",
	                            shipment, "late_by_minutes",
	                            (json_int_t)((estimate - promise + 59999) / 60000)));
}

/* The default policy when a tenant states none. */
static json_t *default_policy(void)
{
	return json_pack("[{s:s, s:i, s:s, s:i}, {s:s, s:s}, {s:s, s:s}]", "when", "late",
	                 "max_late_minutes", 1440, "kind", "voucher", "percent", 10, "when", "late",
	                 "kind", "free_shipping", "when", "packing_error", "kind",
	                 "replacement_express");
}

int watch_compensation(struct cmd_ctx *c, const struct order *o, const char *when,
                       long long late_minutes, json_t **out)
{
	json_t *tenant = NULL, *rules;
	int rc = master_tenant_load(c, order_tenant(o), "tenant", &tenant);
	if (rc)
		return rc;
	rules = json_object_get(tenant, "compensation");
	json_t *dflt = rules ? NULL : default_policy();
	if (dflt)
		rules = dflt;
	*out = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r)
	{
		if (strcmp(req_str(r, "when"), when) != 0)
			continue;
		json_t *max = json_object_get(r, "max_late_minutes");
		if (max && late_minutes > json_integer_value(max))
			continue;
		*out = json_pack("{s:O}", "kind", json_object_get(r, "kind"));
		char text[200];
		const char *kind = req_str(r, "kind");
		if (json_object_get(r, "percent"))
			json_object_set(*out, "percent", json_object_get(r, "percent"));
		if (req_str(r, "text"))
			snprintf(text, sizeof(text), "%s", req_str(r, "text"));
		else if (strcmp(kind, "voucher") == 0)
			/* percent is a number field: the codec keeps it as a real (15.0) */
			snprintf(text, sizeof(text), "a %g%% voucher for your next order",
			         req_num(r, "percent", 10));
		else if (strcmp(kind, "free_shipping") == 0)
			snprintf(text, sizeof(text), "free shipping on your next order");
		else if (strcmp(kind, "replacement_express") == 0)
			snprintf(text, sizeof(text), "a replacement shipped express at no cost");
		else if (strcmp(kind, "refund") == 0)
			snprintf(text, sizeof(text), "a refund of your shipping costs");
		else
			text[0] = '\0';
		json_object_set_new(*out, "text", json_string(text));
		break;
	}
	if (*out == NULL)
		*out = json_pack("{s:s}", "kind", "none");
	json_decref(dflt);
	json_decref(tenant);
	return 0;
}

/* The latest delivery estimate over O's shipments. */
static int64_t order_estimate(const struct order *o)
{
	int64_t e = -1;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		int64_t t = time_of(s, "estimate");
		if (t < 0)
			t = time_of(s, "delivery_by");
		if (t > e)
			e = t;
	}
	return e;
}

int watch_late(struct cmd_ctx *c, struct order *o, int64_t estimate)
{
	if (json_object_get(o->doc, "late"))
		return 0;
	int64_t promise = promised_by(o);
	if (estimate < 0 || estimate <= promise)
		estimate = c->now > promise ? c->now : promise + 60000;
	long long late = (long long)((estimate - promise + 59999) / 60000);
	json_t *comp;
	int rc = watch_compensation(c, o, "late", late, &comp);
	if (rc)
		return rc;
	char p[WMS_TIME_BUFSZ], e[WMS_TIME_BUFSZ], at[WMS_TIME_BUFSZ];
	json_object_set_new(o->doc, "late",
	                    json_pack("{s:s, s:I, s:O}", "at", wms_time_format(c->now, at),
	                              "late_by_minutes", (json_int_t)late, "compensation", comp));
	if (json_object_get(json_object_get(o->doc, "issues"), "late_wave") == NULL &&
	    json_object_get(json_object_get(o->doc, "issues"), "short_pick") == NULL &&
	    json_object_get(json_object_get(o->doc, "issues"), "carrier_delay") == NULL) {
		/* Late without an earlier cause: late if it never left in time, else the carrier.
		 */
		json_t *ships = json_object_get(json_object_get(o->doc, "allocation"), "shipments");
		bool left = json_array_size(ships) > 0;
		size_t i;
		json_t *s;
		/* Left means with the carrier: a part waiting for stock (state backordered,
		 * which has no deadline of its own) has not left, whatever its siblings did. */
		json_array_foreach(ships, i, s) left &=
		    ship_state(s) != ORDER_BACKORDERED && sixths_needed(ship_state(s)) < 0;
		watch_cause(o, left ? "carrier_delay" : "late_wave");
	}
	return order_emit(c, o, "order.late",
	                  json_pack("{s:s, s:I, s:s, s:o}", "promised_by",
	                            wms_time_format(promise, p), "late_by_minutes",
	                            (json_int_t)late, "estimate", wms_time_format(estimate, e),
	                            "compensation", comp));
}

static const char *risk_reason(enum order_state st)
{
	switch (st) {
	case ORDER_ALLOCATED:
		return "late_wave";
	case ORDER_WAVED:
	case ORDER_PICKING:
		return "pick_delay";
	case ORDER_PICKED:
	case ORDER_PACKING:
		return "pack_delay";
	default:
		return "cutoff_missed";
	}
}

/* A shipment missed its deadline at time T: onto the next cutoff it can make. */
static int replan_onto(struct cmd_ctx *c, struct order *o, json_t *s, unsigned idx,
                       enum order_state st, const struct carrier_option *opt_in)
{
	int rc;
	struct carrier_option opt = *opt_in;
	bool queued = st == ORDER_ALLOCATED && json_object_get(s, "wave") == NULL;
	if (queued && (rc = alloc_queue_del(c, o, s, idx)))
		return rc;
	char cut[WMS_TIME_BUFSZ], by[WMS_TIME_BUFSZ];
	json_object_set_new(s, "cutoff", json_string(wms_time_format(opt.cutoff, cut)));
	json_object_set_new(s, "carrier", json_string(opt.carrier));
	json_object_set_new(s, "estimate", json_string(wms_time_format(opt.delivery_by, by)));
	if (queued && (rc = alloc_queue_put(c, o, s, idx)))
		return rc;
	if (opt.delivery_by > promised_by(o))
		return watch_risk(c, o, req_str(s, "id"), risk_reason(st), opt.delivery_by);
	return order_emit(c, o, "shipment.rescheduled",
	                  json_pack("{s:O, s:s, s:s, s:s, s:s}", "shipment",
	                            json_object_get(s, "id"), "state", order_state_name(st),
	                            "cutoff", cut, "estimate", by, "reason", risk_reason(st)));
}

static int replan(struct cmd_ctx *c, struct order *o, json_t *s, unsigned idx)
{
	enum order_state st = ship_state(s);
	json_t *wh;
	int rc = master_warehouse_load(c, req_str(s, "warehouse"), "warehouse", &wh);
	if (rc)
		return rc;
	struct carrier_option opt;
	/* At its deadline the shipment has not moved on: the cutoff it was aiming at is lost
	 * (hence the millisecond), the next one it can make is the new plan. */
	int64_t ready = c->now + needed_ms(s, st) + 1;
	rc = carrier_option(wh, req_str(s, "carrier"), req_str(s, "service"), ready, &opt);
	if (rc == WMS_ENOTFOUND) /* the warehouse dropped that carrier: any of its options */
		rc = carrier_best(wh, NULL, NULL, ready, promised_by(o), &opt);
	if (rc == 0)
		rc = replan_onto(c, o, s, idx, st, &opt);
	json_decref(wh); /* OPT borrows from it */
	return rc == WMS_ENOTFOUND || rc == WMS_ETZ ? 0 : rc;
}

/* Everything due about order NO at time T. */
static int check_order(struct cmd_ctx *c, uint64_t no)
{
	struct order o = ORDER_INIT;
	int rc = order_load_no(c->txn, no, &o);
	if (rc)
		return rc == WMS_ENOTFOUND ? 0 : rc;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o.doc, "allocation"), "shipments"), i, s)
	{
		enum order_state st = ship_state(s);
		int64_t cutoff = time_of(s, "cutoff");
		if (rc || sixths_needed(st) < 0 || cutoff < 0 || c->now < cutoff - needed_ms(s, st))
			continue;
		rc = replan(c, &o, s, (unsigned)i);
	}
	if (rc == 0 && !json_object_get(o.doc, "late") && c->now >= promised_by(&o) &&
	    next_due(&o) >= 0)
		rc = watch_late(c, &o, order_estimate(&o));
	if (rc == 0)
		rc = order_save(c, &o); /* re-indexes at the next deadline */
	order_release(&o);
	return rc;
}

int watch_tick(struct cmd_ctx *c)
{
	int64_t now = c->now, last_due = -1;
	uint64_t last_no = 0;
	int rc = 0;
	for (int n = 0; n < WATCH_TICK_MAX && rc == 0; n++) {
		struct store_cursor *cur;
		struct store_val k;
		if ((rc = store_cursor_open(c->txn, STORE_WATCH, &cur)))
			break;
		rc = store_cursor_seek(cur, NULL, 0, &k, NULL);
		int64_t due = rc == 0 && k.len == 16 ? (int64_t)key_get_u64(k.data) : -1;
		uint64_t no = rc == 0 && k.len == 16 ? key_get_u64((const uint8_t *)k.data + 8) : 0;
		store_cursor_close(cur);
		if (rc == WMS_ENOTFOUND) {
			rc = 0;
			break;
		}
		if (rc || due > now)
			break;
		struct key key = KEY_INIT;
		watch_key(&key, due, no);
		if (due == last_due && no == last_no) {
			/* Checking it moved nothing (no carrier option left to re-plan onto): stop
			 * watching rather than spin; the order keeps its at_risk/late facts. */
			rc = store_del(c->txn, STORE_WATCH, key.b, key.n);
			continue;
		}
		last_due = due;
		last_no = no;
		/* What is found is stamped with the moment it became knowable. */
		c->now = due > 0 ? due : now;
		struct order probe = ORDER_INIT;
		if (order_load_no(c->txn, no, &probe) == 0) {
			json_t *w = json_object_get(probe.doc, "watch_due");
			bool stale = !json_is_integer(w) || json_integer_value(w) != due;
			order_release(&probe);
			if (stale) { /* an index entry the order has moved past */
				rc = store_del(c->txn, STORE_WATCH, key.b, key.n);
				continue;
			}
			rc = check_order(c, no);
		} else {
			rc = store_del(c->txn, STORE_WATCH, key.b, key.n);
		}
	}
	c->now = now;
	return rc;
}
