/* master.c - tenants, warehouses, items, stock (see master.h). */
#include "jtext.h"
#include "master.h"

#include "alloc.h"
#include "engine.h"
#include "events.h"
#include "store.h"
#include "wh.h"
#include "wms/barcode.h"
#include "wms/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOCK_GET_MAX 1000

/* ---- shared helpers ---- */

static int load_doc(struct cmd_ctx *c, enum store_tbl t, const struct key *k, int missing,
                    const char *field, const char *what, const char *id, json_t **out)
{
	int rc = store_get_json(c->txn, t, k->b, k->n, out);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, missing, field, "%s '%s' is not known", what, id);
	return rc;
}

int master_tenant_load(struct cmd_ctx *c, const char *id, const char *field, json_t **out)
{
	struct key k = KEY_INIT;
	key_str(&k, id);
	return load_doc(c, STORE_TENANTS, &k, WMS_ETENANT, field, "tenant", id, out);
}

int master_warehouse_load(struct cmd_ctx *c, const char *id, const char *field, json_t **out)
{
	struct key k = KEY_INIT;
	key_str(&k, id);
	return load_doc(c, STORE_WAREHOUSES, &k, WMS_EWAREHOUSE, field, "warehouse", id, out);
}

/* Item documents the writer keeps parsed (master_item_load). */
#define ITEM_CACHE_MAX 100000

int master_item_load(struct cmd_ctx *c, const char *tenant, const char *sku, const char *field,
                     json_t **out)
{
	struct key k = KEY_INIT;
	*out = NULL;
	key_str(&k, tenant);
	key_str(&k, sku);
	/* The store key (tenant NUL sku NUL) names the copy: ids hold no NUL. */
	json_t *cache = c->evs ? c->eng->item_cache : NULL;
	json_t *hit = cache ? json_object_getn(cache, (const char *)k.b, k.n) : NULL;
	if (hit) {
		*out = json_incref(hit);
		return 0;
	}
	int rc = store_get_json(c->txn, STORE_ITEMS, k.b, k.n, out);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ESKU, field,
		                "sku '%s' is not in the item master of tenant '%s'", sku, tenant);
	if (rc || c->evs == NULL)
		return rc;
	/* Bounded: a catalogue of millions must not live in the writer; past the bound the
	 * copies start over. */
	if (c->eng->item_cache == NULL || json_object_size(c->eng->item_cache) >= ITEM_CACHE_MAX) {
		json_decref(c->eng->item_cache);
		c->eng->item_cache = json_object();
	}
	if (c->eng->item_cache)
		json_object_setn_nocheck(c->eng->item_cache, (const char *)k.b, k.n, *out);
	return 0;
}

/*
 * Create-or-replace of a document: compares with what is stored (ignoring engine fields),
 * writes and emits TYPE.created / TYPE.updated only when something changed.
 */
static int put_doc(struct cmd_ctx *c, enum store_tbl t, const struct key *k, json_t *doc,
                   const char *type, json_t *ev_fields, bool *changed)
{
	json_t *old = NULL;
	char at[WMS_TIME_BUFSZ], evtype[64];
	int rc = store_get_json(c->txn, t, k->b, k->n, &old);
	if (rc && rc != WMS_ENOTFOUND) {
		json_decref(ev_fields);
		return rc;
	}
	if (old) {
		json_object_del(old, "updated_at");
		*changed = !json_equal(old, doc);
		json_decref(old);
	} else {
		*changed = true;
	}
	if (!*changed) {
		json_decref(ev_fields);
		return 0;
	}
	snprintf(evtype, sizeof(evtype), "%s.%s", type, old ? "updated" : "created");
	json_t *stored = json_copy(doc);
	json_object_set_new(stored, "updated_at", json_string(wms_time_format(c->now, at)));
	rc = store_put_json(c->txn, t, k->b, k->n, stored, 0);
	json_decref(stored);
	if (rc) {
		json_decref(ev_fields);
		return rc;
	}
	return ev_emit(c, evtype, 0, ev_fields);
}

static json_t *put_reply(const char *member, json_t *doc, bool changed)
{
	return json_pack("{s:O, s:b}", member, doc, "changed", changed);
}

/* ---- tenants ---- */

/* The lengths of a GS1 company prefix: 6 to 12 digits. */
#define GS1_PREFIX_MIN 6
#define GS1_PREFIX_MAX 12

/*
 * A tenant's cartons get SSCCs built on its GS1 company prefix (7.10): one that cannot be a
 * prefix is refused here, when the tenant is put, rather than at its first pack.close.
 */
static int check_gs1_prefix(struct cmd_ctx *c, const char *prefix)
{
	if (prefix == NULL)
		return 0; /* the default prefix */
	size_t n = strlen(prefix), digits = 0;
	while (digits < n && prefix[digits] >= '0' && prefix[digits] <= '9')
		digits++;
	if (digits == n && n >= GS1_PREFIX_MIN && n <= GS1_PREFIX_MAX)
		return 0;
	return cmd_fail(c, WMS_EVALUE, "tenant.gs1_company_prefix",
	                "tenant.gs1_company_prefix '%s' is not a GS1 company prefix: %d to %d "
	                "digits",
	                prefix, GS1_PREFIX_MIN, GS1_PREFIX_MAX);
}

int master_tenant_put(struct cmd_ctx *c, json_t **reply)
{
	json_t *t = json_object_get(c->req, "tenant");
	const char *id = req_str(t, "id");
	struct key k = KEY_INIT;
	bool changed;
	key_str(&k, id);
	int rc = check_gs1_prefix(c, req_str(t, "gs1_company_prefix"));
	if (rc)
		return rc;
	rc = put_doc(c, STORE_TENANTS, &k, t, "tenant",
	             json_pack("{s:s, s:O}", "tenant", id, "settings", t), &changed);
	if (rc)
		return rc;
	*reply = put_reply("tenant", t, changed);
	return 0;
}

int master_tenant_get(struct cmd_ctx *c, json_t **reply)
{
	json_t *t;
	int rc = master_tenant_load(c, req_str(c->req, "id"), "id", &t);
	if (rc)
		return rc;
	*reply = json_pack("{s:o}", "tenant", t);
	return 0;
}

/* ---- warehouses ---- */

void master_cache_drop(struct wms_engine *e)
{
	json_decref(e->wh_cache);
	e->wh_cache = NULL;
	json_decref(e->item_cache);
	e->item_cache = NULL;
}

static int load_warehouses(struct store_txn *txn, json_t **out)
{
	struct store_cursor *cur;
	struct store_val k, v;
	json_t *list = json_array();
	int rc = store_cursor_open(txn, STORE_WAREHOUSES, &cur);
	if (rc) {
		json_decref(list);
		return rc;
	}
	for (rc = store_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(cur, &k, &v)) {
		json_t *wh = jtext_load(v.data, v.len);
		if (wh == NULL) {
			rc = WMS_EIO;
			break;
		}
		json_array_append_new(list, wh);
	}
	store_cursor_close(cur);
	if (rc != WMS_ENOTFOUND) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int master_warehouse_read(struct cmd_ctx *c, const char *id, const char *field, json_t **out)
{
	if (c->evs == NULL)
		return master_warehouse_load(c, id, field, out);
	json_t *all;
	int rc = master_warehouses(c, &all);
	if (rc)
		return rc;
	size_t i;
	json_t *wh;
	json_array_foreach(all, i, wh)
	{
		const char *wid = json_string_value(json_object_get(wh, "id"));
		if (wid && strcmp(wid, id) == 0) {
			*out = json_incref(wh);
			json_decref(all);
			return 0;
		}
	}
	json_decref(all);
	return master_warehouse_load(c, id, field, out); /* names the error */
}

int master_warehouses(struct cmd_ctx *c, json_t **list)
{
	if (c->evs == NULL) /* a read handler: not on the writer thread */
		return load_warehouses(c->txn, list);
	if (c->eng->wh_cache == NULL) {
		int rc = load_warehouses(c->txn, &c->eng->wh_cache);
		if (rc)
			return rc;
	}
	*list = json_incref(c->eng->wh_cache);
	return 0;
}

int master_warehouse_put(struct cmd_ctx *c, json_t **reply)
{
	json_t *w = json_object_get(c->req, "warehouse");
	const char *id = req_str(w, "id");
	struct key k = KEY_INIT;
	bool changed;
	int rc = wh_validate(w, &c->err);
	if (rc)
		return rc;
	master_cache_drop(c->eng);
	key_str(&k, id);
	rc = put_doc(c, STORE_WAREHOUSES, &k, w, "warehouse",
	             json_pack("{s:s, s:O, s:O}", "warehouse", id, "location",
	                       json_object_get(w, "location"), "carriers",
	                       json_object_get(w, "carriers")),
	             &changed);
	if (rc)
		return rc;
	*reply = put_reply("warehouse", w, changed);
	if (*reply)
		json_object_set_new(*reply, "locations",
		                    json_integer((json_int_t)wh_location_count(w)));
	return 0;
}

int master_warehouse_get(struct cmd_ctx *c, json_t **reply)
{
	json_t *w;
	int rc = master_warehouse_load(c, req_str(c->req, "id"), "id", &w);
	if (rc)
		return rc;
	json_object_set_new(w, "locations", json_integer((json_int_t)wh_location_count(w)));
	*reply = json_pack("{s:o}", "warehouse", w);
	return 0;
}

/* ---- items ---- */

static void gtin_key(struct key *k, const char *gtin14, const char *tenant)
{
	key_str(k, gtin14);
	key_str(k, tenant);
}

/*
 * What a GTIN stands for follows from its indicator digit (the first of its 14-digit form):
 *   0    a unit GTIN (every GTIN-8, -12 and -13, and a GTIN-14 starting with 0): one unit, so
 *        it cannot carry a pack quantity above 1;
 *   1-8  a case GTIN-14: a pack of several units, so it must state its qty, at least 2;
 *   9    a variable-measure item (sold by weight or length), which an engine that counts
 *        units cannot pick or pack.
 * G is the entry as sent (a string or {gtin, qty}), I its index, CODE the GTIN as sent.
 */
static int gtin_pack_rule(struct cmd_ctx *c, const json_t *g, size_t i, const char *code,
                          const char g14[15], long long qty)
{
	char field[64];
	bool has_qty = json_is_object(g) && json_object_get(g, "qty") != NULL;
	int indicator = g14[0] - '0';
	if (indicator == 9) {
		snprintf(field, sizeof(field), "item.gtins[%zu]", i);
		return cmd_fail(c, WMS_EVALUE, field,
		                "%s '%s' is a variable-measure GTIN-14 (indicator digit 9); the "
		                "engine counts units and takes unit or case GTINs only",
		                field, code);
	}
	snprintf(field, sizeof(field), "item.gtins[%zu].qty", i);
	if (indicator == 0 && qty > 1)
		return cmd_fail(c, WMS_EVALUE, field,
		                "%s is %lld but '%s' is a unit GTIN (indicator digit 0), which "
		                "stands for 1 unit; a pack of %lld needs a case GTIN-14 "
		                "(indicator 1-8)",
		                field, qty, code, qty);
	if (indicator != 0 && !has_qty)
		return cmd_fail(
		    c, WMS_EMISSING, field,
		    "missing field '%s': '%s' is a case GTIN-14 (indicator digit %d); "
		    "send {\"gtin\": \"%s\", \"qty\": n} with the units it holds, n >= 2",
		    field, code, indicator, code);
	if (indicator != 0 && qty < 2)
		return cmd_fail(c, WMS_EVALUE, field,
		                "%s is %lld but '%s' is a case GTIN-14 (indicator digit %d), which "
		                "holds 2 or more units",
		                field, qty, code, indicator);
	return 0;
}

/* Normalises the item's GTIN list in place to [{"gtin": 14 digits, "qty": n}], refusing bad
 * check digits, pack quantities that contradict the GTIN's kind, and the same GTIN twice. */
static int normalise_gtins(struct cmd_ctx *c, json_t *item)
{
	json_t *list = json_object_get(item, "gtins");
	json_t *out = json_array();
	size_t i;
	json_t *g;
	int rc;
	json_array_foreach(list, i, g)
	{
		char field[48], g14[15];
		snprintf(field, sizeof(field), "item.gtins[%zu]", i);
		const char *code = json_is_string(g) ? json_string_value(g) : req_str(g, "gtin");
		long long qty = json_is_object(g) ? req_int(g, "qty", 1) : 1;
		if (wms_gtin_normalise(code, strlen(code), g14, NULL) != 0) {
			json_decref(out);
			return cmd_fail(
			    c, WMS_EGTIN, field,
			    "%s '%s' is not a GTIN: 8, 12, 13 or 14 digits with a valid "
			    "check digit",
			    field, code);
		}
		if ((rc = gtin_pack_rule(c, g, i, code, g14, qty))) {
			json_decref(out);
			return rc;
		}
		for (size_t j = 0; j < json_array_size(out); j++)
			if (strcmp(req_str(json_array_get(out, j), "gtin"), g14) == 0) {
				json_decref(out);
				return cmd_fail(c, WMS_EDUPGTIN, field,
				                "%s '%s' is listed twice for this item", field,
				                code);
			}
		json_array_append_new(out,
		                      json_pack("{s:s, s:I}", "gtin", g14, "qty", (json_int_t)qty));
	}
	json_object_set_new(item, "gtins", out);
	return 0;
}

int master_item_put(struct cmd_ctx *c, json_t **reply)
{
	json_t *item = json_deep_copy(json_object_get(c->req, "item"));
	json_t *tenant = NULL, *old = NULL;
	const char *tid = req_str(item, "tenant"), *sku = req_str(item, "sku");
	struct key k = KEY_INIT;
	bool changed;
	int rc;
	if (item == NULL)
		return WMS_ENOMEM;
	if ((rc = master_tenant_load(c, tid, "item.tenant", &tenant)))
		goto out;
	master_cache_drop(c->eng); /* before the write: no copy outlives it */
	if (json_object_get(item, "gtins") == NULL)
		json_object_set_new(item, "gtins", json_array());
	if ((rc = normalise_gtins(c, item)))
		goto out;
	key_str(&k, tid);
	key_str(&k, sku);
	rc = store_get_json(c->txn, STORE_ITEMS, k.b, k.n, &old);
	if (rc && rc != WMS_ENOTFOUND)
		goto out;

	/* The GTIN index: claim each GTIN for this item, refusing one that another item of the
	 * tenant holds; release the ones this item no longer lists. */
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(item, "gtins"), i, g)
	{
		struct key gk = KEY_INIT;
		struct store_val v;
		gtin_key(&gk, req_str(g, "gtin"), tid);
		rc = store_get(c->txn, STORE_GTINS, gk.b, gk.n, &v);
		if (rc == 0) {
			json_t *owner = jtext_load(v.data, v.len);
			const char *osku = req_str(owner, "sku");
			bool mine = osku && strcmp(osku, sku) == 0;
			if (!mine) {
				char field[48];
				snprintf(field, sizeof(field), "item.gtins[%zu]", i);
				rc = cmd_fail(c, WMS_EDUPGTIN, field,
				              "GTIN %s already belongs to sku '%s' of tenant '%s'",
				              req_str(g, "gtin"), osku ? osku : "?", tid);
				json_decref(owner);
				goto out;
			}
			json_decref(owner);
		} else if (rc != WMS_ENOTFOUND) {
			goto out;
		}
		json_t *idx = json_pack("{s:s, s:O}", "sku", sku, "qty", json_object_get(g, "qty"));
		rc = store_put_json(c->txn, STORE_GTINS, gk.b, gk.n, idx, 0);
		json_decref(idx);
		if (rc)
			goto out;
	}
	if (old) {
		json_array_foreach(json_object_get(old, "gtins"), i, g)
		{
			const char *og = req_str(g, "gtin");
			bool kept = false;
			size_t j;
			json_t *ng;
			json_array_foreach(json_object_get(item, "gtins"), j, ng) kept |=
			    strcmp(req_str(ng, "gtin"), og) == 0;
			if (kept)
				continue;
			struct key gk = KEY_INIT;
			gtin_key(&gk, og, tid);
			rc = store_del(c->txn, STORE_GTINS, gk.b, gk.n);
			if (rc && rc != WMS_ENOTFOUND)
				goto out;
		}
	}
	rc = put_doc(c, STORE_ITEMS, &k, item, "item",
	             json_pack("{s:s, s:s, s:O}", "tenant", tid, "sku", sku, "item", item),
	             &changed);
	if (rc)
		goto out;
	*reply = put_reply("item", item, changed);
out:
	json_decref(old);
	json_decref(tenant);
	json_decref(item);
	return rc;
}

int master_item_get(struct cmd_ctx *c, json_t **reply)
{
	json_t *item;
	int rc =
	    master_item_load(c, req_str(c->req, "tenant"), req_str(c->req, "sku"), "sku", &item);
	if (rc)
		return rc;
	*reply = json_pack("{s:o}", "item", item);
	return 0;
}

int master_gtin_lookup(struct store_txn *txn, const char *tenant, const char *gtin, char *sku,
                       size_t sku_size, int *pack_qty)
{
	char g14[15];
	struct key k = KEY_INIT;
	json_t *doc;
	if (wms_gtin_normalise(gtin, strlen(gtin), g14, NULL) != 0)
		return WMS_EGTIN;
	gtin_key(&k, g14, tenant);
	int rc = store_get_json(txn, STORE_GTINS, k.b, k.n, &doc);
	if (rc)
		return rc;
	snprintf(sku, sku_size, "%s", req_str(doc, "sku"));
	*pack_qty = (int)req_int(doc, "qty", 1);
	json_decref(doc);
	return 0;
}

/* ---- stock ---- */

void master_stock_key(struct key *k, const char *tenant, const char *sku, const char *warehouse,
                      const char *location, const char *lot)
{
	key_str(k, tenant);
	key_str(k, sku);
	key_str(k, warehouse);
	key_str(k, location);
	key_str(k, lot ? lot : "");
}

/* The stock row of K, or a new empty one (nothing on hand, nothing reserved). */
static int stock_row_load(struct cmd_ctx *c, const struct key *k, json_t **row)
{
	*row = NULL;
	int rc = store_get_json(c->txn, STORE_STOCK, k->b, k->n, row);
	if (rc == WMS_ENOTFOUND) {
		*row = json_pack("{s:i, s:i}", "on_hand", 0, "reserved", 0);
		rc = *row ? 0 : WMS_ENOMEM;
	}
	return rc;
}

int master_stock_change(struct cmd_ctx *c, const struct key *k, long long d_on_hand,
                        long long d_reserved, json_t **row_out)
{
	json_t *row = NULL;
	int rc = stock_row_load(c, k, &row);
	if (rc)
		return rc;
	long long on_hand0 = req_int(row, "on_hand", 0), reserved0 = req_int(row, "reserved", 0);
	long long on_hand = on_hand0 + d_on_hand, reserved = reserved0 + d_reserved;
	long long over0 = reserved0 > on_hand0 ? reserved0 - on_hand0 : 0;
	if (on_hand < 0 || reserved < 0 || reserved - on_hand > over0) {
		json_decref(row);
		return cmd_fail(c, WMS_ESTOCK, "qty",
		                "stock would be %lld on hand with %lld reserved for orders",
		                on_hand, reserved);
	}
	json_object_set_new(row, "on_hand", json_integer(on_hand));
	json_object_set_new(row, "reserved", json_integer(reserved));
	rc = store_put_json(c->txn, STORE_STOCK, k->b, k->n, row, 0);
	if (rc == 0 && row_out)
		*row_out = json_incref(row);
	json_decref(row);
	return rc;
}

/* Splits a stock key back into its parts (pointers into K's bytes, borrowed). */
static int split_stock_key(const struct store_val *k, const char *parts[5]);

int master_stock_count_required(struct cmd_ctx *c, const char *tenant, const char *sku,
                                const char *warehouse, const char *location, const char *task)
{
	struct key prefix = KEY_INIT;
	struct store_cursor *cur;
	struct store_val k, v;
	json_t *lots = json_array();
	char at[WMS_TIME_BUFSZ];
	key_str(&prefix, tenant);
	key_str(&prefix, sku);
	key_str(&prefix, warehouse);
	key_str(&prefix, location);
	int rc = store_cursor_open(c->txn, STORE_STOCK, &cur);
	if (rc) {
		json_decref(lots);
		return rc;
	}
	/* Every lot of the sku in that bin: the shelf, not one lot, was found wrong. Collect
	 * first, then write (writes under a cursor move it). */
	for (rc = store_cursor_seek(cur, prefix.b, prefix.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
	     rc = store_cursor_next(cur, &k, &v)) {
		const char *p[5];
		if (split_stock_key(&k, p) == 0)
			json_array_append_new(lots, json_string(p[4]));
	}
	store_cursor_close(cur);
	rc = rc == WMS_ENOTFOUND ? 0 : rc;
	wms_time_format(c->now, at);
	size_t i;
	json_t *lot;
	json_array_foreach(lots, i, lot)
	{
		struct key rk = KEY_INIT;
		json_t *row;
		if (rc)
			break;
		master_stock_key(&rk, tenant, sku, warehouse, location, json_string_value(lot));
		if ((rc = store_get_json(c->txn, STORE_STOCK, rk.b, rk.n, &row)))
			break;
		if (json_object_get(row, "count_required") == NULL) {
			/* Flagged once: the first shortage says since when the bin is in doubt. */
			json_object_set_new(row, "count_required",
			                    json_pack("{s:s, s:s}", "since", at, "task", task));
			rc = store_put_json(c->txn, STORE_STOCK, rk.b, rk.n, row, 0);
			json_t *ev =
			    json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s}", "tenant", tenant,
			              "sku", sku, "warehouse", warehouse, "location", location,
			              "on_hand", json_object_get(row, "on_hand"), "reserved",
			              json_object_get(row, "reserved"), "since", at, "task", task);
			if (json_string_length(lot) > 0)
				json_object_set(ev, "lot", lot);
			if (rc == 0)
				rc = ev_emit(c, "stock.count_required", 0, ev);
			else
				json_decref(ev);
		}
		json_decref(row);
	}
	json_decref(lots);
	return rc;
}

/* Checks the parts every stock op shares and returns the canonical location code. */
static int stock_refs(struct cmd_ctx *c, char canon[WH_LOC_MAX], json_t **item_out)
{
	json_t *wh = NULL, *tenant = NULL;
	const char *tid = req_str(c->req, "tenant");
	int rc = master_warehouse_load(c, req_str(c->req, "warehouse"), "warehouse", &wh);
	if (rc == 0)
		rc = wh_location(wh, req_str(c->req, "location"), canon, NULL, &c->err);
	if (rc == 0)
		rc = master_tenant_load(c, tid, "tenant", &tenant);
	if (rc == 0)
		rc = master_item_load(c, tid, req_str(c->req, "sku"), "sku", item_out);
	json_decref(wh);
	json_decref(tenant);
	return rc;
}

static int split_stock_key(const struct store_val *k, const char *parts[5])
{
	const char *p = k->data, *end = p + k->len;
	for (int i = 0; i < 5; i++) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		if (z == NULL)
			return -1;
		parts[i] = p;
		p = z + 1;
	}
	return 0;
}

/*
 * The lot rules receive and adjust share: a lot-tracked item's stock is always in a named lot
 * (received with its expiry), an untracked item's never is, so allocation never has to guess
 * whether a row without a lot may be shipped against a lot-tracked order line.
 */
int master_lot_rule(struct cmd_ctx *c, const json_t *item, const char *lot, const char *field,
                    const char *how)
{
	const char *sku = req_str(item, "sku"), *tenant = req_str(item, "tenant");
	if (req_bool(item, "lot_tracked", 0) && lot == NULL)
		return cmd_fail(
		    c, WMS_EMISSING, field,
		    "missing field '%s': sku '%s' of tenant '%s' is lot-tracked, so its "
		    "stock is %s by lot",
		    field, sku, tenant, how);
	if (!req_bool(item, "lot_tracked", 0) && lot != NULL)
		return cmd_fail(c, WMS_EVALUE, field,
		                "%s '%s': sku '%s' of tenant '%s' is not lot-tracked, so its stock "
		                "has no lots (item.lot_tracked)",
		                field, lot, sku, tenant);
	return 0;
}

static int stock_lot_rules(struct cmd_ctx *c, const json_t *item, bool receiving)
{
	const char *sku = req_str(c->req, "sku"), *tenant = req_str(c->req, "tenant");
	const char *lot = req_str(c->req, "lot"), *expiry = req_str(c->req, "expiry");
	int rc = master_lot_rule(c, item, lot, "lot", receiving ? "received" : "counted");
	if (rc)
		return rc;
	if (req_bool(item, "lot_tracked", 0)) {
		if (receiving && expiry == NULL)
			return cmd_fail(c, WMS_EMISSING, "expiry",
			                "missing field 'expiry': sku '%s' of tenant '%s' is "
			                "lot-tracked, so lot '%s' is received with its expiry date",
			                sku, tenant, lot);
		return 0;
	}
	if (expiry)
		return cmd_fail(c, WMS_EVALUE, "expiry",
		                "expiry '%s': sku '%s' of tenant '%s' is not lot-tracked, so its "
		                "stock has no expiry dates (item.lot_tracked)",
		                expiry, sku, tenant);
	return 0;
}

/* A lot is one production batch, so it has one expiry date wherever it is stored. */
int master_lot_expiry(struct store_txn *txn, const char *tenant, const char *sku,
                      const char *warehouse, const char *lot, bool *known, char expiry[16],
                      char *where)
{
	struct key prefix = KEY_INIT;
	struct store_cursor *cur;
	struct store_val k, v;
	key_str(&prefix, tenant);
	key_str(&prefix, sku);
	key_str(&prefix, warehouse);
	*known = false;
	expiry[0] = '\0';
	where[0] = '\0';
	int rc = store_cursor_open(txn, STORE_STOCK, &cur);
	if (rc)
		return rc;
	for (rc = store_cursor_seek(cur, prefix.b, prefix.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
	     rc = store_cursor_next(cur, &k, &v)) {
		const char *p[5];
		if (split_stock_key(&k, p) || strcmp(p[4], lot) != 0)
			continue;
		*known = true;
		json_t *row = jtext_load(v.data, v.len);
		const char *e = req_str(row, "expiry");
		bool found = e != NULL;
		if (found) {
			snprintf(expiry, 16, "%s", e);
			snprintf(where, WH_LOC_MAX, "%s", p[3]);
		}
		json_decref(row);
		if (found)
			break;
	}
	store_cursor_close(cur);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

/* master_lot_expiry of the request's (tenant, sku, warehouse). */
static int lot_expiry(struct cmd_ctx *c, const char *lot, bool *known, char expiry[16],
                      char where[WH_LOC_MAX])
{
	return master_lot_expiry(c->txn, req_str(c->req, "tenant"), req_str(c->req, "sku"),
	                         req_str(c->req, "warehouse"), lot, known, expiry, where);
}

int master_stock_receive(struct cmd_ctx *c, json_t **reply)
{
	char loc[WH_LOC_MAX], had[16], had_at[WH_LOC_MAX];
	json_t *item = NULL, *row = NULL;
	const char *lot = req_str(c->req, "lot"), *expiry = req_str(c->req, "expiry");
	const char *sku = req_str(c->req, "sku"), *wh = req_str(c->req, "warehouse");
	long long qty = req_int(c->req, "qty", 0);
	struct key k = KEY_INIT;
	bool known;
	int rc = stock_refs(c, loc, &item);
	if (rc || (rc = stock_lot_rules(c, item, true)))
		goto out;
	/* The rules leave a lot only for a lot-tracked item, and always with an expiry. */
	if (lot) {
		if ((rc = lot_expiry(c, lot, &known, had, had_at)))
			goto out;
		if (had[0] && strcmp(had, expiry) != 0) {
			rc = cmd_fail(
			    c, WMS_ECONFLICT, "expiry",
			    "expiry %s: lot '%s' of sku '%s' in warehouse '%s' already has "
			    "expiry %s (at %s); a lot has one expiry date",
			    expiry, lot, sku, wh, had, had_at);
			goto out;
		}
	}
	master_stock_key(&k, req_str(c->req, "tenant"), sku, wh, loc, lot);
	if ((rc = master_stock_change(c, &k, qty, 0, &row)))
		goto out;
	if (expiry && !req_str(row, "expiry")) {
		json_object_set_new(row, "expiry", json_string(expiry));
		if ((rc = store_put_json(c->txn, STORE_STOCK, k.b, k.n, row, 0)))
			goto out;
	}
	json_t *ev =
	    json_pack("{s:s, s:s, s:s, s:s, s:I, s:O}", "tenant", req_str(c->req, "tenant"), "sku",
	              sku, "warehouse", wh, "location", loc, "qty", (json_int_t)qty, "on_hand",
	              json_object_get(row, "on_hand"));
	if (lot)
		json_object_set_new(ev, "lot", json_string(lot));
	if (expiry)
		json_object_set_new(ev, "expiry", json_string(expiry));
	if ((rc = ev_emit(c, "stock.received", 0, ev)))
		goto out;
	/* New stock may complete backordered orders: oldest promise first. */
	if ((rc = alloc_backorders(c, req_str(c->req, "tenant"), req_str(c->req, "sku"))))
		goto out;
	json_object_set_new(row, "location", json_string(loc));
	*reply = json_pack("{s:O}", "stock", row);
out:
	json_decref(row);
	json_decref(item);
	return rc;
}

/* Sets the row of K to QTY on hand, as counted, whatever is reserved there. */
static int stock_count(struct cmd_ctx *c, const struct key *k, long long qty, json_t **row_out)
{
	json_t *row = NULL;
	int rc = stock_row_load(c, k, &row);
	if (rc)
		return rc;
	json_object_set_new(row, "on_hand", json_integer(qty));
	if ((rc = store_put_json(c->txn, STORE_STOCK, k->b, k->n, row, 0)) == 0)
		*row_out = row;
	else
		json_decref(row);
	return rc;
}

int master_stock_adjust(struct cmd_ctx *c, json_t **reply)
{
	char loc[WH_LOC_MAX], expiry[16] = "", where[WH_LOC_MAX];
	json_t *item = NULL, *row = NULL, *qty = json_object_get(c->req, "qty"),
	       *delta = json_object_get(c->req, "delta");
	const char *lot = req_str(c->req, "lot"), *sku = req_str(c->req, "sku"),
	           *wh = req_str(c->req, "warehouse");
	struct key k = KEY_INIT;
	struct store_val v;
	long long before = 0;
	int rc;
	if ((qty == NULL) == (delta == NULL))
		return cmd_fail(c, WMS_EMISSING, qty ? "delta" : "qty",
		                "stock.adjust takes exactly one of 'qty' (the counted quantity) "
		                "or 'delta' (a change)");
	if ((rc = stock_refs(c, loc, &item)) || (rc = stock_lot_rules(c, item, false)))
		goto out;
	master_stock_key(&k, req_str(c->req, "tenant"), sku, wh, loc, lot);
	rc = store_get(c->txn, STORE_STOCK, k.b, k.n, &v);
	if (rc == 0) {
		json_t *cur = jtext_load(v.data, v.len);
		before = req_int(cur, "on_hand", 0);
		json_decref(cur);
	} else if (rc != WMS_ENOTFOUND) {
		goto out;
	} else if (lot) {
		/* A lot found at a new location brings its expiry from where it was received;
		 * a lot never received here has no known expiry: receiving records it. */
		bool known;
		if ((rc = lot_expiry(c, lot, &known, expiry, where)))
			goto out;
		if (!known) {
			rc = cmd_fail(c, WMS_ENOTFOUND, "lot",
			              "lot '%s' of sku '%s' was never received in warehouse '%s'; "
			              "receive it with stock.receive, which records its expiry",
			              lot, sku, wh);
			goto out;
		}
	}
	long long d = qty ? (long long)json_integer_value(qty) - before
	                  : (long long)json_integer_value(delta);
	if (qty)
		rc = stock_count(c, &k, (long long)json_integer_value(qty), &row);
	else
		rc = master_stock_change(c, &k, d, 0, &row);
	if (rc)
		goto out;
	/* A count below what allocations hold is still the bin's truth: those picks will come
	 * up short at the bin and be re-allocated (pick.short). The reply says how many. */
	long long over = req_int(row, "reserved", 0) - req_int(row, "on_hand", 0);
	if (expiry[0]) {
		json_object_set_new(row, "expiry", json_string(expiry));
		if ((rc = store_put_json(c->txn, STORE_STOCK, k.b, k.n, row, 0)))
			goto out;
	}
	json_t *ev =
	    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:O}", "tenant", req_str(c->req, "tenant"),
	              "sku", sku, "warehouse", wh, "location", loc, "delta", (json_int_t)d,
	              "before", (json_int_t)before, "on_hand", json_object_get(row, "on_hand"));
	if (over > 0)
		json_object_set_new(ev, "over_reserved", json_integer(over));
	if (lot)
		json_object_set_new(ev, "lot", json_string(lot));
	if (req_str(c->req, "reason"))
		json_object_set_new(ev, "reason", json_string(req_str(c->req, "reason")));
	if (d != 0 && (rc = ev_emit(c, "stock.adjusted", 0, ev)))
		goto out;
	if (d == 0)
		json_decref(ev);
	/* A count (qty, not a delta) is what a bin found short waited for: it is trusted again,
	 * and what it holds may serve backorders even when the count changed nothing. */
	json_t *flag = json_object_get(row, "count_required");
	bool counted = qty != NULL && flag != NULL;
	if (counted) {
		json_t *cev = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:O, s:O}", "tenant",
		                        req_str(c->req, "tenant"), "sku", sku, "warehouse", wh,
		                        "location", loc, "before", (json_int_t)before, "delta",
		                        (json_int_t)d, "on_hand", json_object_get(row, "on_hand"),
		                        "since", json_object_get(flag, "since"), "task",
		                        json_object_get(flag, "task"));
		if (lot)
			json_object_set_new(cev, "lot", json_string(lot));
		json_object_del(row, "count_required");
		if ((rc = store_put_json(c->txn, STORE_STOCK, k.b, k.n, row, 0))) {
			json_decref(cev);
			goto out;
		}
		if ((rc = ev_emit(c, "stock.counted", 0, cev)))
			goto out;
	}
	bool usable = req_int(row, "on_hand", 0) > req_int(row, "reserved", 0);
	if ((d > 0 || (counted && usable)) &&
	    (rc = alloc_backorders(c, req_str(c->req, "tenant"), req_str(c->req, "sku"))))
		goto out;
	json_object_set_new(row, "location", json_string(loc));
	*reply = json_pack("{s:O, s:I}", "stock", row, "delta", (json_int_t)d);
	if (*reply && over > 0)
		json_object_set_new(*reply, "over_reserved", json_integer(over));
out:
	json_decref(row);
	json_decref(item);
	return rc;
}

/*
 * stock.get cursors: the stock key of the last row of a page, in hex. Opaque to clients; the
 * key itself (not a row count) so that a page boundary survives rows added or removed between
 * two pages.
 */
static void cursor_encode(const void *key, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = key;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Decodes CURSOR into K; refuses one that is not from a stock.get of the query's PREFIX. */
static int cursor_decode(struct cmd_ctx *c, const char *cursor, const struct key *prefix,
                         struct key *k)
{
	size_t n = strlen(cursor);
	bool ok = n % 2 == 0 && n / 2 <= KEY_MAX;
	for (size_t i = 0; ok && i < n / 2; i++) {
		int hi = hex_digit(cursor[2 * i]), lo = hex_digit(cursor[2 * i + 1]);
		ok = hi >= 0 && lo >= 0;
		if (ok)
			k->b[i] = (uint8_t)(hi << 4 | lo);
	}
	k->n = n / 2;
	if (!ok || !key_has_prefix(k->b, k->n, prefix) || k->n == prefix->n)
		return cmd_fail(c, WMS_EVALUE, "after",
		                "after '%.40s%s' is not a cursor of this query: pass the 'next' of "
		                "the previous stock.get page with the same tenant and sku",
		                cursor, n > 40 ? "..." : "");
	return 0;
}

int master_stock_get(struct cmd_ctx *c, json_t **reply)
{
	const char *tenant = req_str(c->req, "tenant"), *sku = req_str(c->req, "sku"),
	           *wh = req_str(c->req, "warehouse"), *loc = req_str(c->req, "location"),
	           *after = req_str(c->req, "after");
	size_t limit = (size_t)req_int(c->req, "limit", STOCK_GET_MAX);
	char canon[WH_LOC_MAX];
	json_t *t = NULL, *rows = json_array();
	struct store_cursor *cur = NULL;
	struct store_val k, v;
	struct key from = KEY_INIT, last = KEY_INIT;
	long long on_hand = 0, reserved = 0;
	bool more = false;
	int rc = master_tenant_load(c, tenant, "tenant", &t);
	if (rc)
		goto out;
	if (loc) {
		json_t *w = NULL;
		if (wh == NULL) {
			rc = cmd_fail(c, WMS_EMISSING, "warehouse",
			              "missing field 'warehouse': a location is only meaningful "
			              "within a warehouse");
			goto out;
		}
		rc = master_warehouse_load(c, wh, "warehouse", &w);
		if (rc == 0)
			rc = wh_location(w, loc, canon, NULL, &c->err);
		json_decref(w);
		if (rc)
			goto out;
		loc = canon;
	}
	struct key prefix = KEY_INIT;
	key_str(&prefix, tenant);
	if (sku)
		key_str(&prefix, sku);
	if (after && (rc = cursor_decode(c, after, &prefix, &from)))
		goto out;
	if (!after)
		from = prefix;
	if ((rc = store_cursor_open(c->txn, STORE_STOCK, &cur)))
		goto out;
	/* The first page sums every row of the query (the totals); a later page reads only
	 * from its cursor to one row past its end, so paging through N rows costs O(N). */
	for (rc = store_cursor_seek(cur, from.b, from.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
	     rc = store_cursor_next(cur, &k, &v)) {
		const char *p[5];
		if (after && k.len == from.n && memcmp(k.data, from.b, from.n) == 0)
			continue; /* the previous page's last row */
		if (split_stock_key(&k, p))
			continue;
		if ((wh && strcmp(p[2], wh) != 0) || (loc && strcmp(p[3], loc) != 0))
			continue;
		if (json_array_size(rows) >= limit) {
			more = true;
			if (after)
				break;
		}
		json_t *row = jtext_load(v.data, v.len);
		if (row == NULL)
			continue;
		long long oh = req_int(row, "on_hand", 0), rs = req_int(row, "reserved", 0);
		on_hand += oh;
		reserved += rs;
		if (more) {
			json_decref(row);
			continue;
		}
		json_t *out_row =
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "sku", p[1], "warehouse", p[2],
		              "location", p[3], "on_hand", (json_int_t)oh, "reserved",
		              (json_int_t)rs, "available", (json_int_t)(oh - rs));
		if (p[4][0])
			json_object_set_new(out_row, "lot", json_string(p[4]));
		if (json_object_get(row, "expiry"))
			json_object_set(out_row, "expiry", json_object_get(row, "expiry"));
		if (json_object_get(row, "count_required"))
			json_object_set(out_row, "count_required",
			                json_object_get(row, "count_required"));
		json_array_append_new(rows, out_row);
		json_decref(row);
		memcpy(last.b, k.data, k.len);
		last.n = k.len;
	}
	if (rc == WMS_ENOTFOUND)
		rc = 0;
	if (rc)
		goto out;
	*reply = json_pack("{s:s, s:O, s:b}", "tenant", tenant, "rows", rows, "truncated", more);
	if (*reply == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	if (!after) {
		json_object_set_new(*reply, "on_hand", json_integer(on_hand));
		json_object_set_new(*reply, "reserved", json_integer(reserved));
		json_object_set_new(*reply, "available", json_integer(on_hand - reserved));
	}
	if (more) {
		char next[2 * KEY_MAX + 1];
		cursor_encode(last.b, last.n, next);
		json_object_set_new(*reply, "next", json_string(next));
	}
out:
	store_cursor_close(cur);
	json_decref(rows);
	json_decref(t);
	return rc;
}
