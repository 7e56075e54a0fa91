/* tflow.c - see tflow.h. */
#include "tflow.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static unsigned scan_no;

/* The tenant's first GTIN of SKU (as item.put normalised it). */
static void gtin_of(struct tengine *t, const char *tenant, const char *sku, char out[32])
{
	json_t *it =
	    tcall_ok(t, "{\"op\":\"item.get\",\"tenant\":\"%s\",\"sku\":\"%s\"}", tenant, sku);
	json_t *g = tget(it, "item.gtins[0]");
	const char *s = json_is_string(g) ? json_string_value(g)
	                                  : json_string_value(json_object_get(g, "gtin"));
	assert_non_null(s);
	snprintf(out, 32, "%s", s);
	json_decref(it);
}

static void accept(json_t *r)
{
	if (strcmp(tget_str(r, "verdict") ? tget_str(r, "verdict") : "", "accepted") != 0)
		fail_msg("scan refused: %s", tget_str(r, "message") ? tget_str(r, "message")
		                                                    : tget_str(r, "error.message"));
	json_decref(r);
}

int tflow_release(struct tengine *t, const char *wh)
{
	json_t *p =
	    tcall_ok(t, "{\"op\":\"wave.plan\",\"warehouse\":\"%s\",\"max_orders\":1000}", wh);
	size_t n = json_array_size(tget(p, "waves"));
	for (size_t i = 0; i < n; i++)
		json_decref(tcall_ok(
		    t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}",
		    json_string_value(json_object_get(json_array_get(tget(p, "waves"), i), "id"))));
	json_decref(p);
	return (int)n;
}

int tflow_pick_all(struct tengine *t, const char *wh, const char *picker)
{
	int done = 0;
	for (int guard = 0; guard < 10000; guard++) {
		json_t *nx = tcall_ok(
		    t, "{\"op\":\"task.next\",\"warehouse\":\"%s\",\"picker\":\"%s\"}", wh, picker);
		json_t *task = tget(nx, "task");
		if (json_is_null(task)) {
			json_decref(nx);
			return done;
		}
		const char *id = tget_str(task, "id"), *tenant = tget_str(task, "tenant");
		char gtin[32], code[160];
		gtin_of(t, tenant, tget_str(task, "sku"), gtin);
		accept(tcall(
		    t,
		    "{\"op\":\"pick.scan\",\"device\":\"T\",\"scan_id\":\"f%u\",\"task\":\"%s\","
		    "\"code\":\"LOC-%s\"}",
		    ++scan_no, id, tget_str(task, "location")));
		for (long long q = tget_int(task, "picked"); q < tget_int(task, "qty"); q++) {
			if (tget_str(task, "lot"))
				snprintf(code, sizeof(code), "(01)%s(10)%s", gtin,
				         tget_str(task, "lot"));
			else
				snprintf(code, sizeof(code), "%s", gtin);
			accept(tcall(t,
			             "{\"op\":\"pick.scan\",\"device\":\"T\",\"scan_id\":\"f%u\","
			             "\"task\":\"%s\",\"code\":\"%s\"}",
			             ++scan_no, id, code));
		}
		accept(tcall(
		    t,
		    "{\"op\":\"pick.scan\",\"device\":\"T\",\"scan_id\":\"f%u\",\"task\":\"%s\","
		    "\"code\":\"%s\"}",
		    ++scan_no, id, tget_str(task, "tote")));
		done++;
		json_decref(nx);
	}
	fail_msg("picking never ended");
	return done;
}

static int pack_shipment(struct tengine *t, const char *station, const char *tenant,
                         const json_t *order, const json_t *s)
{
	const char *tote = json_string_value(json_object_get(s, "tote"));
	if (tote == NULL || strcmp(json_string_value(json_object_get(s, "state")), "picked") != 0)
		return 0;
	accept(tcall(
	    t, "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"f%u\",\"code\":\"%s\"}",
	    station, ++scan_no, tote));
	long long grams = 150;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(s, "lines"), i, l)
	{
		char gtin[32];
		const char *sku = json_string_value(json_object_get(l, "sku"));
		gtin_of(t, tenant, sku, gtin);
		json_t *it = tcall_ok(t, "{\"op\":\"item.get\",\"tenant\":\"%s\",\"sku\":\"%s\"}",
		                      tenant, sku);
		long long w = tget_int(it, "item.weight_g");
		json_decref(it);
		for (long long q = 0; q < json_integer_value(json_object_get(l, "qty")); q++) {
			accept(tcall(t,
			             "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"f%u\","
			             "\"code\":\"%s\"}",
			             station, ++scan_no, gtin));
			grams += w;
		}
	}
	json_t *v;
	json_array_foreach(json_object_get(order, "inserts"), i, v)
	    accept(tcall(t,
	                 "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"f%u\","
	                 "\"code\":\"INS-%s\"}",
	                 station, ++scan_no, json_string_value(v)));
	if (json_object_get(order, "gift_message"))
		accept(tcall(t,
		             "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"f%u\","
		             "\"code\":\"INS-GIFT\"}",
		             station, ++scan_no));
	accept(tcall(
	    t, "{\"op\":\"pack.weigh\",\"station\":\"%s\",\"scan_id\":\"f%u\",\"grams\":%lld}",
	    station, ++scan_no, grams));
	accept(tcall(t, "{\"op\":\"pack.close\",\"station\":\"%s\",\"scan_id\":\"f%u\"}", station,
	             ++scan_no));
	return 1;
}

int tflow_pack(struct tengine *t, const char *station, const char *tenant, const char *const *ids,
               size_t n)
{
	int cartons = 0;
	for (size_t k = 0; k < n; k++) {
		json_t *o = tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"%s\",\"id\":\"%s\"}",
		                     tenant, ids[k]);
		json_t *ships = tget(o, "order.allocation.shipments");
		for (size_t i = 0; i < json_array_size(ships); i++)
			cartons += pack_shipment(t, station, tenant, tget(o, "order"),
			                         json_array_get(ships, i));
		json_decref(o);
	}
	return cartons;
}

const char *tflow_ship(struct tengine *t, const char *tenant, const char *id)
{
	static char first[64];
	first[0] = '\0';
	json_t *o =
	    tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"%s\",\"id\":\"%s\"}", tenant, id);
	json_t *ships = tget(o, "order.allocation.shipments");
	for (size_t i = 0; i < json_array_size(ships); i++) {
		json_t *s = json_array_get(ships, i);
		const char *st = json_string_value(json_object_get(s, "state"));
		if (st == NULL || strcmp(st, "packed") != 0)
			continue;
		json_t *r = tcall_ok(t, "{\"op\":\"ship.confirm\",\"shipment\":\"%s\"}",
		                     json_string_value(json_object_get(s, "id")));
		if (!first[0])
			snprintf(first, sizeof(first), "%s", tget_str(r, "tracking"));
		json_decref(r);
	}
	json_decref(o);
	return first[0] ? first : NULL;
}
