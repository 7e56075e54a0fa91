/* orders.c - order submission, look-up, cancellation, lifecycle (see orders.h). */
#include "orders.h"

#include "alloc.h"
#include "events.h"
#include "keys.h"
#include "master.h"
#include "pack.h"
#include "store.h"
#include "watch.h"
#include "wave.h"
#include "wms/barcode.h"
#include "wms/country.h"
#include "wms/time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[ORDER_STATE_MAX + 1] = {
	[ORDER_RECEIVED] = "received",
	[ORDER_ALLOCATED] = "allocated",
	[ORDER_BACKORDERED] = "backordered",
	[ORDER_WAVED] = "waved",
	[ORDER_PICKING] = "picking",
	[ORDER_PICKED] = "picked",
	[ORDER_PACKING] = "packing",
	[ORDER_PACKED] = "packed",
	[ORDER_SHIPPED] = "shipped",
	[ORDER_IN_TRANSIT] = "in_transit",
	[ORDER_OUT_FOR_DELIVERY] = "out_for_delivery",
	[ORDER_DELIVERED] = "delivered",
	[ORDER_CANCELLED] = "cancelled",
	[ORDER_EXCEPTION] = "exception",
	[ORDER_RETURNED] = "returned",
};

#define B(s) (1u << (s))
/* can_move[from] = the set of states `from` may move to. */
static const unsigned can_move[ORDER_STATE_MAX + 1] = {
	[ORDER_RECEIVED] = B(ORDER_ALLOCATED) | B(ORDER_BACKORDERED) | B(ORDER_CANCELLED),
	[ORDER_BACKORDERED] = B(ORDER_ALLOCATED) | B(ORDER_CANCELLED),
	[ORDER_ALLOCATED] = B(ORDER_WAVED) | B(ORDER_BACKORDERED) | B(ORDER_CANCELLED),
	[ORDER_WAVED] = B(ORDER_PICKING) | B(ORDER_PICKED) | B(ORDER_ALLOCATED) |
	                B(ORDER_BACKORDERED) | B(ORDER_CANCELLED),
	[ORDER_PICKING] = B(ORDER_PICKED) | B(ORDER_ALLOCATED) | B(ORDER_BACKORDERED) |
	                  B(ORDER_CANCELLED) | B(ORDER_EXCEPTION),
	[ORDER_PICKED] =
	    B(ORDER_PACKING) | B(ORDER_PACKED) | B(ORDER_CANCELLED) | B(ORDER_EXCEPTION),
	[ORDER_PACKING] = B(ORDER_PACKED) | B(ORDER_CANCELLED) | B(ORDER_EXCEPTION),
	[ORDER_PACKED] = B(ORDER_SHIPPED) | B(ORDER_CANCELLED) | B(ORDER_EXCEPTION),
	[ORDER_SHIPPED] = B(ORDER_IN_TRANSIT) | B(ORDER_OUT_FOR_DELIVERY) | B(ORDER_DELIVERED) |
	                  B(ORDER_EXCEPTION) | B(ORDER_RETURNED),
	[ORDER_IN_TRANSIT] =
	    B(ORDER_OUT_FOR_DELIVERY) | B(ORDER_DELIVERED) | B(ORDER_EXCEPTION) | B(ORDER_RETURNED),
	[ORDER_OUT_FOR_DELIVERY] =
	    B(ORDER_DELIVERED) | B(ORDER_EXCEPTION) | B(ORDER_RETURNED) | B(ORDER_IN_TRANSIT),
	[ORDER_EXCEPTION] = B(ORDER_IN_TRANSIT) | B(ORDER_OUT_FOR_DELIVERY) | B(ORDER_DELIVERED) |
	                    B(ORDER_RETURNED) | B(ORDER_CANCELLED) | B(ORDER_ALLOCATED) |
	                    B(ORDER_BACKORDERED) | B(ORDER_PICKED) | B(ORDER_PACKED),
	[ORDER_DELIVERED] = B(ORDER_RETURNED),
	[ORDER_CANCELLED] = 0,
	[ORDER_RETURNED] = 0,
};
#undef B

const char *order_state_name(enum order_state s)
{
	return s >= 1 && s <= ORDER_STATE_MAX ? state_names[s] : "unknown";
}

enum order_state order_state_parse(const char *name)
{
	for (int s = 1; name && s <= ORDER_STATE_MAX; s++)
		if (strcmp(state_names[s], name) == 0)
			return (enum order_state)s;
	return 0;
}

bool order_can_move(enum order_state from, enum order_state to)
{
	if (from < 1 || from > ORDER_STATE_MAX || to < 1 || to > ORDER_STATE_MAX)
		return false;
	return (can_move[from] >> to) & 1u;
}

bool order_state_shipped(enum order_state s)
{
	return s == ORDER_SHIPPED || s == ORDER_IN_TRANSIT || s == ORDER_OUT_FOR_DELIVERY ||
	       s == ORDER_DELIVERED || s == ORDER_RETURNED;
}

/* ---- storage ---- */

static void id_key(struct key *k, const char *tenant, const char *id)
{
	key_str(k, tenant);
	key_str(k, id);
}

int order_load_no(struct store_txn *txn, uint64_t no, struct order *out)
{
	struct key k = KEY_INIT;
	key_u64(&k, no);
	json_t *doc;
	int rc = store_get_json(txn, STORE_ORDERS, k.b, k.n, &doc);
	if (rc)
		return rc;
	out->no = no;
	out->doc = doc;
	return 0;
}

int order_find(struct store_txn *txn, const char *tenant, const char *id, uint64_t *no)
{
	struct key k = KEY_INIT;
	struct store_val v;
	id_key(&k, tenant, id);
	int rc = store_get(txn, STORE_ORDER_IDS, k.b, k.n, &v);
	if (rc)
		return rc;
	if (v.len != 8)
		return WMS_EIO;
	*no = key_get_u64(v.data);
	return 0;
}

int order_load(struct cmd_ctx *c, const char *tenant, const char *id, struct order *out)
{
	uint64_t no;
	int rc = order_find(c->txn, tenant, id, &no);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, "id", "order '%s' of tenant '%s' is not known",
		                id, tenant);
	if (rc)
		return rc;
	return order_load_no(c->txn, no, out);
}

int order_save(struct cmd_ctx *c, const struct order *o)
{
	struct key k = KEY_INIT;
	key_u64(&k, o->no);
	/* Every change of an order passes here, so its promise watch follows it. */
	int rc = watch_sync(c, o);
	if (rc)
		return rc;
	return store_put_json(c->txn, STORE_ORDERS, k.b, k.n, o->doc, 0);
}

void order_release(struct order *o)
{
	if (o == NULL)
		return;
	json_decref(o->doc);
	*o = (struct order)ORDER_INIT;
}

enum order_state order_state(const struct order *o)
{
	return order_state_parse(json_string_value(json_object_get(o->doc, "state")));
}

const char *order_tenant(const struct order *o)
{
	return json_string_value(json_object_get(o->doc, "tenant"));
}

const char *order_id(const struct order *o)
{
	return json_string_value(json_object_get(o->doc, "id"));
}

const json_t *order_submitted(const struct order *o)
{
	return json_object_get(o->doc, "order");
}

int order_emit(struct cmd_ctx *c, const struct order *o, const char *type, json_t *fields)
{
	json_t *ev = json_pack("{s:s, s:s}", "tenant", order_tenant(o), "order", order_id(o));
	if (ev == NULL) {
		json_decref(fields);
		return WMS_ENOMEM;
	}
	if (fields) {
		json_object_update(ev, fields);
		json_decref(fields);
	}
	return ev_emit(c, type, o->no, ev);
}

int order_move(struct cmd_ctx *c, struct order *o, enum order_state to, json_t *extra)
{
	enum order_state from = order_state(o);
	char at[WMS_TIME_BUFSZ], type[48];
	if (!order_can_move(from, to)) {
		json_decref(extra);
		return cmd_fail(c, WMS_ESTATE, "", "order '%s' is %s; it cannot become %s",
		                order_id(o), order_state_name(from), order_state_name(to));
	}
	json_object_set_new(o->doc, "state", json_string(order_state_name(to)));
	json_t *ms = json_object_get(o->doc, "milestones");
	if (ms == NULL) {
		ms = json_object();
		json_object_set_new(o->doc, "milestones", ms);
	}
	json_object_set_new(ms, order_state_name(to), json_string(wms_time_format(c->now, at)));
	int rc = o->defer_save ? 0 : order_save(c, o);
	if (rc) {
		json_decref(extra);
		return rc;
	}
	json_t *f =
	    json_pack("{s:s, s:s}", "state", order_state_name(to), "from", order_state_name(from));
	if (extra) {
		json_object_update(f, extra);
		json_decref(extra);
	}
	snprintf(type, sizeof(type), "order.%s", order_state_name(to));
	return order_emit(c, o, type, f);
}

/* Lifecycle rank of the states a shipment passes through, for "least advanced". */
static int ship_rank(enum order_state s)
{
	switch (s) {
	case ORDER_ALLOCATED:
		return 1;
	case ORDER_WAVED:
		return 2;
	case ORDER_PICKING:
		return 3;
	case ORDER_PICKED:
		return 4;
	case ORDER_PACKING:
		return 5;
	case ORDER_PACKED:
		return 6;
	case ORDER_SHIPPED:
		return 7;
	case ORDER_IN_TRANSIT:
		return 8;
	case ORDER_OUT_FOR_DELIVERY:
		return 9;
	case ORDER_DELIVERED:
		return 10;
	default:
		return 0;
	}
}

json_t *order_shipment(const struct order *o, const char *ship, size_t *idx)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		if (strcmp(req_str(s, "id"), ship) == 0) {
			if (idx)
				*idx = i;
			return s;
		}
	}
	return NULL;
}

int order_shipment_move(struct cmd_ctx *c, struct order *o, size_t idx, enum order_state to,
                        json_t *extra)
{
	json_t *ships = json_object_get(json_object_get(o->doc, "allocation"), "shipments");
	json_t *s = json_array_get(ships, idx);
	char at[WMS_TIME_BUFSZ];
	if (s == NULL) {
		json_decref(extra);
		return WMS_EINTERNAL;
	}
	if (extra == NULL)
		extra = json_object();
	json_object_set(extra, "shipment", json_object_get(s, "id"));
	json_object_set_new(s, "state", json_string(order_state_name(to)));
	json_t *ms = json_object_get(s, "milestones");
	if (ms == NULL)
		json_object_set_new(s, "milestones", ms = json_object());
	json_object_set_new(ms, order_state_name(to), json_string(wms_time_format(c->now, at)));

	/* The least advanced shipment decides the order's state. */
	int least = ship_rank(to);
	size_t i;
	json_t *x;
	json_array_foreach(ships, i, x)
	{
		enum order_state st = order_state_parse(req_str(x, "state"));
		int r = ship_rank(st ? st : ORDER_ALLOCATED);
		if (r < least)
			least = r;
	}
	enum order_state cur = order_state(o);
	bool moves = ship_rank(cur) != 0 && least > ship_rank(cur);
	/* From the dock on, a parcel's own news is a shipment event even when the order moves
	 * too: trackers follow parcels. */
	if (!moves || ship_rank(to) >= ship_rank(ORDER_SHIPPED)) {
		int rc = moves ? 0 : order_save(c, o);
		if (rc == 0) {
			char type[48];
			snprintf(type, sizeof(type), "shipment.%s", order_state_name(to));
			rc = order_emit(c, o, type,
			                moves ? json_deep_copy(extra) : json_incref(extra));
		}
		if (rc || !moves) {
			json_decref(extra);
			return rc;
		}
	}
	/* Step through the intermediate states so the timeline has each milestone. */
	static const enum order_state chain[] = { ORDER_ALLOCATED,        ORDER_WAVED,
		                                  ORDER_PICKING,          ORDER_PICKED,
		                                  ORDER_PACKING,          ORDER_PACKED,
		                                  ORDER_SHIPPED,          ORDER_IN_TRANSIT,
		                                  ORDER_OUT_FOR_DELIVERY, ORDER_DELIVERED };
	int rc = 0;
	for (size_t k = 0; k < sizeof(chain) / sizeof(chain[0]) && rc == 0; k++) {
		int r = ship_rank(chain[k]);
		if (r <= ship_rank(order_state(o)) || r > least)
			continue;
		if (r < least && !order_can_move(order_state(o), chain[k]))
			continue; /* a step the lifecycle lets an order skip */
		if (r < least && r > ship_rank(ORDER_SHIPPED))
			continue; /* carriers report what happened; we do not invent their scans */
		rc = order_move(c, o, chain[k], json_deep_copy(extra));
	}
	json_decref(extra);
	return rc;
}

/* ---- submission ---- */

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Whether some warehouse offers SERVICE (and, when CARRIER is set, through that carrier). */
static int service_known(struct cmd_ctx *c, const char *service, const char *carrier, bool *known,
                         bool *carrier_known)
{
	json_t *list;
	size_t i, j;
	json_t *wh, *cr;
	*known = false;
	*carrier_known = false;
	int rc = master_warehouses(c, &list);
	if (rc)
		return rc;
	json_array_foreach(list, i, wh)
	{
		json_array_foreach(json_object_get(wh, "carriers"), j, cr)
		{
			if (strcmp(req_str(cr, "service"), service) != 0)
				continue;
			*known = true;
			if (carrier && strcmp(req_str(cr, "carrier"), carrier) == 0)
				*carrier_known = true;
		}
	}
	json_decref(list);
	return 0;
}

/*
 * Packing asks for INS-<code> for each insert (7.7), so a code must make a label the barcode
 * library reads as an insert (labels.c: A-Z and 0-9 groups joined by single '-', at most 63
 * characters with the prefix; letters in either case, folded to upper case as the label is).
 * Anything else could never be scanned and its carton never closed.
 */
static int validate_inserts(struct cmd_ctx *c, const json_t *o)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "inserts"), i, v)
	{
		const char *code = json_string_value(v);
		char label[WMS_BARCODE_MAX_LABEL + 2], field[40];
		struct wms_barcode bc;
		int n = snprintf(label, sizeof(label), "INS-%s", code);
		bool ok = n > 0 && (size_t)n < sizeof(label) &&
		          wms_barcode_parse(label, (size_t)n, NULL, &bc, NULL) == 0 &&
		          bc.kind == WMS_BC_INTERNAL && bc.internal_type == WMS_INTERNAL_INSERT;
		if (ok)
			continue;
		snprintf(field, sizeof(field), "order.inserts[%zu]", i);
		return cmd_fail(c, WMS_EVALUE, field,
		                "%s '%s' cannot be printed as an insert label INS-<code>: use "
		                "letters and digits in groups joined by single '-', at most %d "
		                "characters",
		                field, code, WMS_BARCODE_MAX_LABEL - 4);
	}
	return 0;
}

static int validate_order(struct cmd_ctx *c, const json_t *o)
{
	const char *tenant = req_str(o, "tenant");
	json_t *t = NULL;
	int rc = master_tenant_load(c, tenant, "order.tenant", &t);
	json_decref(t);
	if (rc)
		return rc;
	const json_t *st = json_object_get(o, "ship_to");
	static const char *const needed[] = { "name", "address", "postal_code" };
	for (size_t i = 0; i < 3; i++)
		if (blank(req_str(st, needed[i]))) {
			char field[40];
			snprintf(field, sizeof(field), "order.ship_to.%s", needed[i]);
			return cmd_fail(c, WMS_EVALUE, field, "%s is blank", field);
		}
	/* The real list, not the shape: "UK" or "XX" would be printed on a label no carrier
	 * takes. A likely meaning ("GB" for "UK", "US" for "us") is offered. */
	const char *cc = req_str(st, "country");
	if (!wms_country_valid(cc)) {
		const char *instead = wms_country_instead(cc);
		if (instead)
			return cmd_fail(c, WMS_EVALUE, "order.ship_to.country",
			                "order.ship_to.country '%s' is not an ISO 3166-1 alpha-2 "
			                "code: use '%s'",
			                cc, instead);
		return cmd_fail(c, WMS_EVALUE, "order.ship_to.country",
		                "order.ship_to.country '%s' is not an officially assigned ISO "
		                "3166-1 alpha-2 code (e.g. DE, GB, US)",
		                cc);
	}
	if ((json_object_get(st, "lat") == NULL) != (json_object_get(st, "lon") == NULL))
		return cmd_fail(c, WMS_EMISSING,
		                json_object_get(st, "lat") ? "order.ship_to.lon"
		                                           : "order.ship_to.lat",
		                "order.ship_to needs both lat and lon, or neither");
	if ((rc = validate_inserts(c, o)))
		return rc;
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(o, "lines"), i, line)
	{
		char field[48];
		json_t *item = NULL;
		snprintf(field, sizeof(field), "order.lines[%zu].sku", i);
		rc = master_item_load(c, tenant, req_str(line, "sku"), field, &item);
		json_decref(item);
		if (rc) {
			if (rc == WMS_ESKU)
				cmd_fail(c, WMS_ESKU, field,
				         "line %zu: sku '%s' is not in the item master of tenant "
				         "'%s'",
				         i + 1, req_str(line, "sku"), tenant);
			return rc;
		}
	}
	bool known, carrier_known;
	const char *service = req_str(o, "service"), *carrier = req_str(o, "carrier");
	if ((rc = service_known(c, service, carrier, &known, &carrier_known)))
		return rc;
	if (!known)
		return cmd_fail(c, WMS_ESERVICE, "order.service",
		                "order.service '%s' is not offered by any warehouse's carriers",
		                service);
	if (carrier && !carrier_known)
		return cmd_fail(c, WMS_ECARRIER, "order.carrier",
		                "order.carrier '%s' does not offer service '%s' at any warehouse",
		                carrier, service);
	return 0;
}

/*
 * ORDER (an order as submitted) for the idempotency comparison: a copy without the optional
 * fields that state their default, so that an OMS writing "priority": 0 on one attempt and
 * leaving it out on the next sends the same order. Only fields with a fixed default count:
 * priority 0 and an empty inserts list (none); allow_split defaults to the tenant's setting,
 * which may change, so an explicit value is not the same as none. New reference.
 */
static json_t *order_compared(const json_t *order)
{
	json_t *o = json_copy((json_t *)order); /* shallow: only top-level members go */
	json_t *prio = json_object_get(o, "priority");
	if (json_is_integer(prio) && json_integer_value(prio) == 0)
		json_object_del(o, "priority");
	json_t *ins = json_object_get(o, "inserts");
	if (json_is_array(ins) && json_array_size(ins) == 0)
		json_object_del(o, "inserts");
	return o;
}

/* Whether two submissions of an order are the same order (section 4 of PROTOCOL.md). */
static bool order_same(const json_t *a, const json_t *b)
{
	json_t *x = order_compared(a), *y = order_compared(b);
	bool same = x && y && json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

int order_submit(struct cmd_ctx *c, json_t **reply)
{
	const json_t *o = json_object_get(c->req, "order");
	const char *tenant = req_str(o, "tenant"), *id = req_str(o, "id");
	struct order ord = ORDER_INIT;
	struct key k = KEY_INIT;
	struct store_val v;
	int rc;

	/* A resend of the same order answers what was answered; a different order under the
	 * same id is a client bug the OMS must hear about. */
	id_key(&k, tenant, id);
	rc = store_get(c->txn, STORE_ORDER_IDS, k.b, k.n, &v);
	if (rc == 0) {
		if ((rc = order_load_no(c->txn, key_get_u64(v.data), &ord)))
			goto out;
		/* Same content: equal JSON, whatever the key order of either submission, an
		 * explicit default counting as absent. */
		if (!order_same(order_submitted(&ord), o)) {
			rc = cmd_fail(
			    c, WMS_ECONFLICT, "order.id",
			    "order '%s' of tenant '%s' was already submitted with different "
			    "content",
			    id, tenant);
			goto out;
		}
		*reply = json_incref(json_object_get(ord.doc, "reply"));
		goto out;
	}
	if (rc != WMS_ENOTFOUND)
		goto out;
	if ((rc = validate_order(c, o)))
		goto out;

	if ((rc = store_counter_next(c->txn, "order_no", &ord.no)))
		goto out;
	char at[WMS_TIME_BUFSZ];
	ord.doc = json_pack("{s:I, s:s, s:s, s:s, s:O, s:{s:s}}", "no", (json_int_t)ord.no,
	                    "tenant", tenant, "id", id, "state", "received", "order", o,
	                    "milestones", "received", wms_time_format(c->now, at));
	if (ord.doc == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	json_t *ev = json_pack(
	    "{s:s, s:O, s:O, s:O, s:O}", "state", "received", "lines", json_object_get(o, "lines"),
	    "service", json_object_get(o, "service"), "promised_by",
	    json_object_get(o, "promised_by"), "ship_to", json_object_get(o, "ship_to"));
	if ((rc = order_emit(c, &ord, "order.received", ev)))
		goto out;
	/* Allocation happens in the same transaction: the OMS learns at once where the order
	 * ships from and whether the promise holds. */
	ord.defer_save = true;
	if ((rc = alloc_order(c, &ord)))
		goto out;
	json_t *body =
	    json_pack("{s:{s:s, s:s, s:I, s:s, s:o}}", "order", "tenant", tenant, "id", id, "no",
	              (json_int_t)ord.no, "state", order_state_name(order_state(&ord)),
	              "allocation", alloc_summary(json_object_get(ord.doc, "allocation")));
	if (body == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	/* The reply is part of the document so that a resend is answered with it; the document
	 * is written once, an append under the new internal number. */
	json_object_set(ord.doc, "reply", body);
	struct key nk = KEY_INIT;
	key_u64(&nk, ord.no);
	if ((rc = watch_sync(c, &ord)) ||
	    (rc = store_put_json(c->txn, STORE_ORDERS, nk.b, nk.n, ord.doc, STORE_APPEND)) ||
	    (rc = store_put(c->txn, STORE_ORDER_IDS, k.b, k.n, nk.b, nk.n, STORE_NOOVERWRITE))) {
		json_decref(body);
		goto out;
	}
	*reply = body;
out:
	order_release(&ord);
	return rc;
}

/*
 * What the customer wants to know at a glance: the promise, the current delivery estimate
 * (the latest over the shipments: delivered_at once delivered, the carrier's or the plan's
 * estimate before), and whether it is on time and in full (null while unknown).
 */
static void add_outlook(json_t *out, const struct order *o)
{
	const json_t *sub = order_submitted(o);
	int64_t promise = 0, est = -1, t;
	wms_time_parse(req_str(sub, "promised_by"), &promise);
	json_t *ships = json_object_get(json_object_get(o->doc, "allocation"), "shipments");
	bool delivered = json_array_size(ships) > 0;
	long long want = 0, shipped = 0;
	size_t i, j;
	json_t *s, *l;
	json_array_foreach(json_object_get(sub, "lines"), i, l) want += req_int(l, "qty", 0);
	json_array_foreach(ships, i, s)
	{
		/* A cancelled order's shipments are kept for the record: none will arrive. */
		const char *sst = req_str(s, "state");
		if (sst && strcmp(sst, "cancelled") == 0) {
			delivered = false;
			continue;
		}
		const char *d = req_str(s, "delivered_at");
		const char *e = d                        ? d
		                : req_str(s, "estimate") ? req_str(s, "estimate")
		                                         : req_str(s, "delivery_by");
		delivered &= d != NULL;
		if (e && wms_time_parse(e, &t) == 0 && t > est)
			est = t;
		json_array_foreach(json_object_get(s, "lines"), j, l) shipped +=
		    req_int(l, "qty", 0);
	}
	char buf[WMS_TIME_BUFSZ];
	enum order_state st = order_state(o);
	json_object_set(out, "promised_by", json_object_get(sub, "promised_by"));
	json_object_set_new(out, "estimate",
	                    est >= 0 ? json_string(wms_time_format(est, buf)) : json_null());
	json_object_set_new(out, "on_time",
	                    st == ORDER_CANCELLED || est < 0 ? json_null()
	                                                     : json_boolean(est <= promise));
	bool packing_error =
	    json_object_get(json_object_get(o->doc, "issues"), "packing_error") != NULL;
	json_object_set_new(out, "in_full",
	                    delivered ? json_boolean(shipped >= want && !packing_error)
	                              : json_null());
}

int order_get(struct cmd_ctx *c, json_t **reply)
{
	struct order o = ORDER_INIT;
	json_t *timeline;
	int rc = order_load(c, req_str(c->req, "tenant"), req_str(c->req, "id"), &o);
	if (rc)
		return rc;
	if ((rc = ev_order_timeline(c->txn, o.no, &timeline))) {
		order_release(&o);
		return rc;
	}
	/* The order as the client knows it, then what the engine knows about it: the fields
	 * of the contract (PROTOCOL.md 5.3), not the engine's bookkeeping (watch_due, reply). */
	static const char *const shown[] = { "no",         "state",          "milestones",
		                             "allocation", "issues",         "at_risk",
		                             "late",       "returned_units", "replacements" };
	json_t *out = json_deep_copy(order_submitted(&o));
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		json_t *val = json_object_get(o.doc, shown[i]);
		if (val)
			json_object_set(out, shown[i], val);
	}
	add_outlook(out, &o);
	json_object_set_new(out, "timeline", timeline);
	*reply = json_pack("{s:o}", "order", out);
	order_release(&o);
	return *reply ? 0 : WMS_ENOMEM;
}

/* The first shipment of O that has left the warehouse (shipped or later), or NULL. */
static const json_t *shipped_shipment(const struct order *o)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		if (order_state_shipped(order_state_parse(req_str(s, "state"))))
			return s;
	}
	return NULL;
}

/*
 * Withdraws the floor's work for O, recording in UNDONE what was undone: each shipment's open
 * pick tasks (tasks_withdrawn), its tote (totes_freed), the stations packing it
 * (stations_idled) and its closed cartons, voided in place (cartons_voided: their SSCCs).
 */
static int cancel_floor_work(struct cmd_ctx *c, struct order *o, json_t *undone)
{
	size_t i, j;
	json_t *s, *ct;
	char at[WMS_TIME_BUFSZ];
	int rc = 0;
	wms_time_format(c->now, at);
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		const char *batch = req_str(s, "batch"), *tote = req_str(s, "tote");
		if (batch &&
		    (rc = wave_shipment_withdraw(c, batch, req_str(s, "id"), NULL,
		                                 json_object_get(undone, "tasks_withdrawn"))))
			return rc;
		bool freed = false;
		if (tote && (rc = wave_tote_cancel(c, tote, &freed)))
			return rc;
		if (freed)
			json_array_append_new(json_object_get(undone, "totes_freed"),
			                      json_string(tote));
		json_array_foreach(json_object_get(s, "cartons"), j, ct)
		{
			if (json_object_get(ct, "voided"))
				continue;
			/* The SSCC stays issued (never reused); the carton will not ship. */
			json_object_set_new(ct, "voided", json_string(at));
			json_array_append(json_object_get(undone, "cartons_voided"),
			                  json_object_get(ct, "sscc"));
		}
	}
	return pack_stations_drop(c, o->no, json_object_get(undone, "stations_idled"));
}

int order_cancel(struct cmd_ctx *c, json_t **reply)
{
	struct order o = ORDER_INIT;
	const char *reason = req_str(c->req, "reason");
	int rc = order_load(c, req_str(c->req, "tenant"), req_str(c->req, "id"), &o);
	if (rc)
		return rc;
	enum order_state s = order_state(&o);
	bool changed = false;
	const json_t *gone = shipped_shipment(&o);
	json_t *undone = NULL;
	if (s == ORDER_CANCELLED) {
		/* Cancelling twice is the same request resent: nothing more to do. */
	} else if (order_state_shipped(s)) {
		rc = cmd_fail(c, WMS_ESTATE, "id",
		              "order '%s' is %s; it has left the warehouse and cannot be cancelled",
		              order_id(&o), order_state_name(s));
	} else if (gone) {
		/* An order waiting for a part of it is backordered while its other shipments
		 * move on: one of those may be with the carrier already. */
		rc = cmd_fail(c, WMS_ESTATE, "id",
		              "order '%s' is %s but its shipment %s is %s: part of it has left the "
		              "warehouse and it cannot be cancelled",
		              order_id(&o), order_state_name(s), req_str(gone, "id"),
		              req_str(gone, "state"));
	} else {
		changed = true;
		undone = json_pack("{s:[], s:[], s:[], s:[], s:[], s:i}", "tasks_withdrawn",
		                   "totes_freed", "stations_idled", "cartons_voided",
		                   "units_put_back", "units_released", 0);
		if (undone == NULL)
			rc = WMS_ENOMEM;
		/* Cancellation undoes everything the order holds, floor work included, in the
		 * same transaction: pickers stop being sent for it, its totes and stations are
		 * free, its stock is back. */
		if (rc == 0)
			rc = cancel_floor_work(c, &o, undone);
		if (rc == 0)
			rc = alloc_cancel(c, &o, undone);
		if (rc == 0) {
			json_t *ev = json_deep_copy(undone);
			if (reason)
				json_object_set_new(ev, "reason", json_string(reason));
			rc = order_move(c, &o, ORDER_CANCELLED, ev);
		}
	}
	if (rc == 0) {
		*reply = json_pack("{s:{s:s, s:s, s:s}, s:b}", "order", "tenant", order_tenant(&o),
		                   "id", order_id(&o), "state", "cancelled", "changed", changed);
		if (*reply && undone)
			json_object_set(*reply, "undone", undone);
		rc = *reply ? 0 : WMS_ENOMEM;
	}
	json_decref(undone);
	order_release(&o);
	return rc;
}
