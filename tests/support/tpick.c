/* tpick.c - see tpick.h. */
#include "tpick.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int tpick_check_digit(const char *s, size_t n)
{
	int sum = 0;
	/* Weights 3 and 1 alternate from the rightmost digit, which weighs 3. */
	for (size_t i = 0; i < n; i++)
		sum += (s[n - 1 - i] - '0') * (i % 2 == 0 ? 3 : 1);
	return (10 - sum % 10) % 10;
}

const char *tpick_case_gtin(void)
{
	static char g[15];
	/* Indicator 1, the unit GTIN-13 without its check digit, a new check digit. */
	snprintf(g, sizeof(g), "1%.12s", TPICK_GTIN1);
	g[13] = (char)('0' + tpick_check_digit(g, 13));
	g[14] = '\0';
	return g;
}

static void warehouse(struct tengine *t, const char *id, double lat, double lon, double cost)
{
	json_decref(tcall_ok(
	    t,
	    "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"%s\",\"name\":\"%s\","
	    "\"timezone\":\"UTC\",\"location\":{\"lat\":%.2f,\"lon\":%.2f},"
	    "\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,"
	    "\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},"
	    "\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	    "\"transit_days\":2,\"cost\":%.1f}]}}",
	    id, id, lat, lon, cost));
}

static void item(struct tengine *t, const char *tenant, const char *sku, const char *gtins,
                 int grams, const char *extra)
{
	json_decref(tcall_ok(t,
	                     "{\"op\":\"item.put\",\"item\":{\"tenant\":\"%s\",\"sku\":\"%s\","
	                     "\"gtins\":%s,\"weight_g\":%d%s}}",
	                     tenant, sku, gtins, grams, extra));
}

static void stock(struct tengine *t, const char *sku, const char *loc, int qty, const char *lot,
                  const char *expiry)
{
	char extra[96] = "";
	if (lot)
		snprintf(extra, sizeof(extra), ",\"lot\":\"%s\",\"expiry\":\"%s\"", lot, expiry);
	json_decref(tcall_ok(t,
	                     "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":\"%s\","
	                     "\"tenant\":\"acme\",\"sku\":\"%s\",\"qty\":%d%s,"
	                     "\"idem_key\":\"seed-%s-%s-%s\"}",
	                     loc, sku, qty, extra, sku, loc, lot ? lot : "-"));
}

void tpick_seed(struct tengine *t)
{
	char gtins[96];
	json_decref(tcall_ok(t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                        "\"Acme\",\"gs1_company_prefix\":\"" TPICK_PREFIX "\"}}"));
	json_decref(tcall_ok(t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"beta\",\"name\":"
	                        "\"Beta\"}}"));
	warehouse(t, "W1", 52.52, 13.40, 4.5);
	warehouse(t, "W2", 48.14, 11.58, 9.0);
	snprintf(gtins, sizeof(gtins), "[\"%s\",{\"gtin\":\"%s\",\"qty\":6}]", TPICK_GTIN1,
	         tpick_case_gtin());
	item(t, "acme", "SKU-1", gtins, 100, "");
	item(t, "acme", "SKU-2", "[\"" TPICK_UPC2 "\"]", 250, "");
	item(t, "acme", "SKU-3", "[\"" TPICK_EAN3 "\"]", 2000, "");
	item(t, "acme", "LOT-1", "[\"" TPICK_GTIN_LOT "\"]", 300, ",\"lot_tracked\":true");
	item(t, "beta", "B-1", "[\"" TPICK_GTIN_BETA "\"]", 100, "");
	stock(t, "SKU-1", "A01-01-1", 100, NULL, NULL);
	stock(t, "SKU-2", "A02-01-1", 50, NULL, NULL);
	stock(t, "SKU-3", "A03-01-1", 20, NULL, NULL);
	stock(t, "LOT-1", "A04-01-1", 10, "L1", "2027-03-31");
	stock(t, "LOT-1", "A04-02-1", 10, "L2", "2027-09-30");
}

void tpick_submit(struct tengine *t, const char *id, const char *lines, const char *extra)
{
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	             "\"lines\":%s,\"ship_to\":{\"name\":\"Ann Lee\",\"address\":\"Main 1\","
	             "\"postal_code\":\"10115\",\"country\":\"DE\",\"lat\":52.53,\"lon\":13.38},"
	             "\"service\":\"standard\",\"promised_by\":\"2026-11-30T23:59:59Z\"%s}}",
	             id, lines, extra));
}

json_t *tpick_next_in(struct tengine *t, const char *wh)
{
	return tcall_ok(t, "{\"op\":\"task.next\",\"warehouse\":\"%s\",\"picker\":\"P1\"}", wh);
}

json_t *tpick_next(struct tengine *t)
{
	return tpick_next_in(t, "W1");
}

json_t *tpick_release_next(struct tengine *t)
{
	return tpick_release_next_in(t, "W1");
}

json_t *tpick_release_next_in(struct tengine *t, const char *wh)
{
	json_t *p =
	    tcall_ok(t, "{\"op\":\"wave.plan\",\"warehouse\":\"%s\",\"max_orders\":1000}", wh);
	json_t *waves = tget(p, "waves");
	assert_true(json_array_size(waves) > 0);
	for (size_t i = 0; i < json_array_size(waves); i++)
		json_decref(
		    tcall_ok(t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}",
		             json_string_value(json_object_get(json_array_get(waves, i), "id"))));
	json_decref(p);
	return tpick_next_in(t, wh);
}

json_t *tpick_scan_dev(struct tengine *t, const char *device, const char *task, const char *scan_id,
                       const char *code)
{
	return tcall(t,
	             "{\"op\":\"pick.scan\",\"device\":\"%s\",\"scan_id\":\"%s\",\"task\":\"%s\","
	             "\"code\":\"%s\"}",
	             device, scan_id, task, code);
}

json_t *tpick_scan(struct tengine *t, const char *task, const char *scan_id, const char *code)
{
	return tpick_scan_dev(t, TPICK_DEVICE, task, scan_id, code);
}

void tpick_expect(json_t *r, const char *verdict, const char *code)
{
	const char *v = tget_str(r, "verdict");
	if (v == NULL || strcmp(v, verdict) != 0 ||
	    (code && (treply_code(r) == NULL || strcmp(treply_code(r), code) != 0))) {
		char *s = json_dumps(r, JSON_COMPACT);
		fail_msg("expected %s %s, got %s", verdict, code ? code : "", s ? s : "?");
	}
	json_decref(r);
}

/* The code a picker scans for one unit of SKU (lot-tracked: with the task's lot). */
static void unit_code(const json_t *task, char *buf, size_t n)
{
	const char *sku = tget_str(task, "sku"), *lot = tget_str(task, "lot");
	if (strcmp(sku, "SKU-1") == 0)
		snprintf(buf, n, "%s", TPICK_GTIN1);
	else if (strcmp(sku, "SKU-2") == 0)
		snprintf(buf, n, "%s", TPICK_UPC2);
	else if (strcmp(sku, "SKU-3") == 0)
		snprintf(buf, n, "%s", TPICK_EAN3);
	else if (strcmp(sku, "LOT-1") == 0 && lot)
		snprintf(buf, n, "(01)%s(10)%s", TPICK_GTIN_LOT, lot);
	else if (strcmp(sku, "LOT-1") == 0) /* packing does not check lots */
		snprintf(buf, n, "(01)%s", TPICK_GTIN_LOT);
	else if (strcmp(sku, "B-1") == 0)
		snprintf(buf, n, "%s", TPICK_GTIN_BETA);
	else
		fail_msg("no barcode for sku %s", sku);
}

void tpick_do_task(struct tengine *t, const json_t *task, const char *prefix)
{
	char sid[64], code[128];
	const char *id = tget_str(task, "id");
	snprintf(sid, sizeof(sid), "%s-l", prefix);
	snprintf(code, sizeof(code), "LOC-%s", tget_str(task, "location"));
	tpick_expect(tpick_scan(t, id, sid, code), "accepted", NULL);
	unit_code(task, code, sizeof(code));
	for (long long q = tget_int(task, "picked"); q < tget_int(task, "qty"); q++) {
		snprintf(sid, sizeof(sid), "%s-%lld", prefix, q + 1);
		tpick_expect(tpick_scan(t, id, sid, code), "accepted", NULL);
	}
	snprintf(sid, sizeof(sid), "%s-t", prefix);
	tpick_expect(tpick_scan(t, id, sid, tget_str(task, "tote")), "accepted", NULL);
}

int tpick_pick_all(struct tengine *t)
{
	return tpick_pick_all_in(t, "W1");
}

int tpick_pick_all_in(struct tengine *t, const char *wh)
{
	for (int i = 0; i < 200; i++) {
		json_t *n = tpick_next_in(t, wh);
		if (json_is_null(tget(n, "task"))) {
			json_decref(n);
			return i;
		}
		char prefix[48];
		snprintf(prefix, sizeof(prefix), "all-%s-%d", wh, i);
		tpick_do_task(t, tget(n, "task"), prefix);
		json_decref(n);
	}
	fail_msg("picking never ended");
	return -1;
}

long long tpick_last_seq(struct tengine *t)
{
	json_t *p = tcall_ok(t, "{\"op\":\"ping\"}");
	long long s = tget_int(p, "last_seq");
	json_decref(p);
	return s;
}

json_t *tpick_events(struct tengine *t, long long after, const char *prefix)
{
	if (prefix)
		return tcall_ok(t, "{\"op\":\"events.read\",\"after\":%lld,\"prefix\":\"%s\"}",
		                after, prefix);
	return tcall_ok(t, "{\"op\":\"events.read\",\"after\":%lld}", after);
}

json_t *tpick_stock(struct tengine *t, const char *sku, const char *location)
{
	if (location)
		return tcall_ok(t,
		                "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"%s\","
		                "\"warehouse\":\"W1\",\"location\":\"%s\"}",
		                sku, location);
	return tcall_ok(t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"%s\"}", sku);
}

json_t *tpick_order(struct tengine *t, const char *id)
{
	return tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
}

const char *tpick_order_state(struct tengine *t, const char *id)
{
	static char state[32];
	json_t *o = tpick_order(t, id);
	snprintf(state, sizeof(state), "%s",
	         tget_str(o, "order.state") ? tget_str(o, "order.state") : "?");
	json_decref(o);
	return state;
}

/* The shipment SHIP of acme order ID in an order.get reply, or NULL. */
static json_t *shipment_of(json_t *o, const char *ship)
{
	json_t *ships = tget(o, "order.allocation.shipments");
	for (size_t i = 0; i < json_array_size(ships); i++)
		if (strcmp(tget_str(json_array_get(ships, i), "id"), ship) == 0)
			return json_array_get(ships, i);
	return NULL;
}

json_t *tpick_pack_shipment(struct tengine *t, const char *id, const char *ship,
                            const char *station, const char *insert, const char *prefix)
{
	json_t *o = tpick_order(t, id);
	json_t *s = shipment_of(o, ship);
	if (s == NULL || tget_str(s, "tote") == NULL)
		fail_msg("order %s has no shipment %s in a tote", id, ship);
	char sid[64], code[128];
	snprintf(sid, sizeof(sid), "%s-tote", prefix);
	tpick_expect(tcall(t,
	                   "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"%s\","
	                   "\"code\":\"%s\"}",
	                   station, sid, tget_str(s, "tote")),
	             "accepted", NULL);
	json_t *lines = tget(s, "lines");
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *l = json_array_get(lines, i);
		unit_code(l, code, sizeof(code));
		for (long long u = 0; u < tget_int(l, "qty"); u++) {
			snprintf(sid, sizeof(sid), "%s-%zu-%lld", prefix, i, u);
			tpick_expect(tcall(t,
			                   "{\"op\":\"pack.scan\",\"station\":\"%s\","
			                   "\"scan_id\":\"%s\",\"code\":\"%s\"}",
			                   station, sid, code),
			             "accepted", NULL);
		}
	}
	json_decref(o);
	if (insert) {
		snprintf(sid, sizeof(sid), "%s-ins", prefix);
		tpick_expect(tcall(t,
		                   "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"%s\","
		                   "\"code\":\"%s\"}",
		                   station, sid, insert),
		             "accepted", NULL);
	}
	/* An empty scale tells the expected weight; then the carton weighs just that. */
	snprintf(sid, sizeof(sid), "%s-w0", prefix);
	json_t *w = tcall(t,
	                  "{\"op\":\"pack.weigh\",\"station\":\"%s\",\"scan_id\":\"%s\","
	                  "\"grams\":0}",
	                  station, sid);
	long long grams = tget_int(w, "expected_g");
	assert_true(grams > 0);
	json_decref(w);
	snprintf(sid, sizeof(sid), "%s-w1", prefix);
	tpick_expect(tcall(t,
	                   "{\"op\":\"pack.weigh\",\"station\":\"%s\",\"scan_id\":\"%s\","
	                   "\"grams\":%lld}",
	                   station, sid, grams),
	             "accepted", NULL);
	snprintf(sid, sizeof(sid), "%s-c", prefix);
	return tcall(t, "{\"op\":\"pack.close\",\"station\":\"%s\",\"scan_id\":\"%s\"}", station,
	             sid);
}

void tpick_assert_reservations(struct tengine *t, const char *const *ids, size_t n)
{
	static const char *const skus[] = { "SKU-1", "SKU-2", "SKU-3", "LOT-1" };
	for (size_t k = 0; k < sizeof(skus) / sizeof(skus[0]); k++) {
		long long held = 0;
		for (size_t i = 0; i < n; i++) {
			json_t *o = tpick_order(t, ids[i]);
			json_t *ships = tget(o, "order.allocation.shipments");
			for (size_t si = 0; si < json_array_size(ships); si++) {
				const char *st = tget_str(json_array_get(ships, si), "state");
				if (st && strcmp(st, "cancelled") == 0)
					continue; /* kept for the record, holds nothing */
				json_t *lines = tget(json_array_get(ships, si), "lines");
				for (size_t li = 0; li < json_array_size(lines); li++) {
					json_t *l = json_array_get(lines, li);
					if (strcmp(tget_str(l, "sku"), skus[k]) != 0)
						continue;
					json_t *picks = tget(l, "picks");
					for (size_t pi = 0; pi < json_array_size(picks); pi++) {
						json_t *pk = json_array_get(picks, pi);
						held +=
						    tget_int(pk, "qty") - tget_int(pk, "picked");
					}
				}
			}
			json_decref(o);
		}
		json_t *st = tpick_stock(t, skus[k], NULL);
		if (tget_int(st, "reserved") != held)
			fail_msg("%s: stock reserves %lld, the open allocations hold %lld", skus[k],
			         tget_int(st, "reserved"), held);
		json_decref(st);
	}
}

void tpick_split_stock(struct tengine *t)
{
	json_decref(tcall_ok(t, "{\"op\":\"stock.adjust\",\"warehouse\":\"W1\",\"location\":"
	                        "\"A02-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-2\",\"qty\":0}"));
	json_decref(tcall_ok(t, "{\"op\":\"stock.receive\",\"warehouse\":\"W2\",\"location\":"
	                        "\"A02-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-2\",\"qty\":5,"
	                        "\"idem_key\":\"split-W2-SKU-2\"}"));
}
