/*
 * Orders through the engine's ops (orders.h): what order.submit refuses before anything is
 * stored, when a resent order is the same order, what order.get shows of an order, and
 * cancellation at every stage of the floor: tasks withdrawn, totes and stations freed,
 * cartons voided, units put back, and the cancelled order's work refused by name.
 * Networks: tseed_basic (W1 in UTC, DHL standard 17:00 +2 days, SKU-1..5, 100 units each)
 * and, for the floor, tpick_seed (tests/support/tpick.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tengine.h"
#include "tflow.h"
#include "tpick.h"
#include "wms/country.h"

/* order.submit of acme order ID, 1 x SKU-1, with EXTRA (",\"k\":v") in the order: the reply
 * (owned), asserted ok, or refused with CODE when CODE is not NULL. */
#define SUBMIT_FMT                                                                                 \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{"       \
	"\"sku\":"                                                                                 \
	"\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main "                  \
	"1\",\"postal_code\":"                                                                     \
	"\"10115\",\"country\":\"DE\"},\"service\":\"standard\",\"promised_by\":"                  \
	"\"2026-11-30T23:59:59Z\"%s}}"
static json_t *submit(struct tengine *t, const char *code, const char *id, const char *extra)
{
	return code ? tcall_err(t, code, SUBMIT_FMT, id, extra)
	            : tcall_ok(t, SUBMIT_FMT, id, extra);
}

static void test_an_insert_that_cannot_be_printed_as_a_label_is_refused_at_submit(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	/* INS- labels are A-Z/0-9 groups joined by single '-', at most 63 characters. */
	static const char *const bad[] = {
		"xmas_card",
		"XMAS--CARD",
		"-XMAS",
		"XMAS-",
		"CARD.2026",
		"SCH\xc3\x96N",
		"A23456789012345678901234567890123456789012345678901234567890", /* 60 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[160];
		snprintf(extra, sizeof(extra), ",\"inserts\":[\"FLYER\",\"%s\"]", bad[i]);
		json_t *r = submit(&t, "bad_value", "O-1", extra);
		assert_string_equal(tget_str(r, "error.field"), "order.inserts[1]");
		json_decref(r);
	}
	/* Nothing was stored: the order is not known. */
	json_decref(tcall_err(&t, "not_found",
	                      "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}"));
	/* The longest insert that fits a label is accepted. */
	json_decref(submit(
	    &t, NULL, "O-2",
	    ",\"inserts\":[\"A2345678901234567890123456789012345678901234567890123456789\"]"));
	tengine_close(&t);
}

static void test_a_lower_case_insert_is_accepted_and_its_carton_closes(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	/* Labels fold case (scanners/src/labels.c): INS-flyer-2026 reads as INS-FLYER-2026. */
	json_decref(submit(&t, NULL, "O-1", ",\"inserts\":[\"flyer-2026\"]"));
	tflow_release(&t, "W1");
	assert_int_equal(tflow_pick_all(&t, "W1", "P1"), 1);
	const char *ids[] = { "O-1" };
	assert_int_equal(tflow_pack(&t, "PS-1", "acme", ids, 1), 1);
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	assert_string_equal(tget_str(o, "order.state"), "packed");
	json_decref(o);
	tengine_close(&t);
}

static void test_order_get_shows_the_contract_and_not_the_engines_bookkeeping(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(submit(&t, NULL, "O-1", ""));
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	/* An allocated order is watched (its next deadline is kept with it), but that is not
	 * part of the contract. */
	assert_null(tget(o, "order.watch_due"));
	assert_null(tget(o, "order.reply"));
	static const char *const shown[] = { "tenant",   "id",         "lines",      "no",
		                             "state",    "milestones", "allocation", "promised_by",
		                             "estimate", "on_time",    "in_full",    "timeline" };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		char path[48];
		snprintf(path, sizeof(path), "order.%s", shown[i]);
		if (tget(o, path) == NULL)
			fail_msg("order.get lacks %s", path);
	}
	assert_string_equal(tget_str(o, "order.state"), "allocated");
	json_decref(o);
	tengine_close(&t);
}

/* ---- resends ---- */

static void test_a_resent_order_that_writes_out_the_default_priority_is_the_same_order(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_t *a = submit(&t, NULL, "O-1", "");
	/* The OMS's retry writes the defaults out: priority 0 and no inserts. */
	json_t *b = submit(&t, NULL, "O-1", ",\"priority\":0,\"inserts\":[]");
	assert_true(json_equal(tget(a, "order"), tget(b, "order")));
	json_decref(a);
	json_decref(b);
	/* The same again the other way round, and one event of submission in all. */
	json_decref(submit(&t, NULL, "O-2", ",\"priority\":0"));
	json_decref(submit(&t, NULL, "O-2", ""));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.received\"}");
	assert_int_equal(tget_int(ev, "count"), 2);
	json_decref(ev);
	/* Another priority is another order. */
	json_t *r = submit(&t, "conflict", "O-1", ",\"priority\":1");
	assert_string_equal(tget_str(r, "error.field"), "order.id");
	json_decref(r);
	tengine_close(&t);
}

static void test_a_blank_ship_to_name_is_refused_naming_order_ship_to_name(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_t *r = tcall_err(
	    &t, "bad_value",
	    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"O-1\",\"lines\":[{"
	    "\"sku\":\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"  \",\"address\":\"Main 1\","
	    "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":\"standard\","
	    "\"promised_by\":\"2026-11-30T23:59:59Z\"}}");
	assert_string_equal(tget_str(r, "error.field"), "order.ship_to.name");
	assert_non_null(strstr(tget_str(r, "error.message"), "order.ship_to.name"));
	json_decref(r);
	tengine_close(&t);
}

/* order.submit of acme order ID with ship_to.country CC (may be any JSON string body). */
#define COUNTRY_FMT                                                                                \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{"       \
	"\"sku\":\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","      \
	"\"postal_code\":\"10115\",\"country\":\"%s\"},\"service\":\"standard\","                  \
	"\"promised_by\":\"2026-11-30T23:59:59Z\"}}"

/* Regression: the country was checked for shape only, so UK, EU, XX, QQ and AA were stored and
 * printed on labels. Only officially assigned ISO 3166-1 alpha-2 codes are accepted, and the
 * message offers the code meant when there is an obvious one. */
static void test_a_ship_to_country_must_be_an_assigned_iso_3166_code(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	long long seq = tpick_last_seq(&t);
	static const struct {
		const char *cc, *hint;
	} bad[] = {
		{ "UK", "use 'GB'" },
		{ "us", "use 'US'" },
		{ "EL", "use 'GR'" },
		{ "EU", "officially assigned" },
		{ "XX", "officially assigned" },
		{ "QQ", "officially assigned" },
		{ "AA", "officially assigned" },
		{ "XK", "officially assigned" },
		{ "D", "officially assigned" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = tcall_err(&t, "bad_value", COUNTRY_FMT, "O-1", bad[i].cc);
		assert_string_equal(tget_str(r, "error.field"), "order.ship_to.country");
		const char *msg = tget_str(r, "error.message");
		assert_non_null(strstr(msg, bad[i].cc));
		if (strstr(msg, bad[i].hint) == NULL)
			fail_msg("country '%s': expected \"%s\" in \"%s\"", bad[i].cc, bad[i].hint,
			         msg);
		json_decref(r);
	}
	assert_int_equal(tpick_last_seq(&t), seq); /* refused: nothing stored */
	static const char *const good[] = { "GB", "US", "SS", "AX", "ZW", "AD", "BQ" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char id[16];
		snprintf(id, sizeof(id), "O-%zu", i + 2);
		json_decref(tcall_ok(&t, COUNTRY_FMT, id, good[i]));
	}
	tengine_close(&t);
}

/* The table itself: 249 codes, sorted and unique (the bisection relies on it), upper case. */
static void test_the_country_table_holds_the_249_assigned_codes_in_order(void **state)
{
	(void)state;
	assert_int_equal(wms_country_count(), 249);
	for (size_t i = 0; i < wms_country_count(); i++) {
		const char *cc = wms_country_at(i);
		assert_true(cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' && !cc[2]);
		assert_true(wms_country_valid(cc));
		if (i > 0)
			assert_true(strcmp(wms_country_at(i - 1), cc) < 0);
	}
	assert_null(wms_country_at(249));
	assert_false(wms_country_valid("UK"));
	assert_false(wms_country_valid("gb"));
	assert_false(wms_country_valid("GBR"));
	assert_false(wms_country_valid(""));
	assert_false(wms_country_valid(NULL));
	assert_null(wms_country_instead("GB"));
	assert_null(wms_country_instead("XX"));
	assert_string_equal(wms_country_instead("uk"), "GB");
}

/* ---- cancellation on the floor ---- */

/* FIELD ("on_hand", "reserved") of acme SKU at W1's LOCATION. */
static long long stock_at(struct tengine *t, const char *sku, const char *location,
                          const char *field)
{
	json_t *s = tpick_stock(t, sku, location);
	long long v = tget_int(s, field);
	json_decref(s);
	return v;
}

static json_t *cancel(struct tengine *t, const char *id)
{
	return tcall_ok(t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
}

/* Whether the string array ARR holds S. */
static bool holds(const json_t *arr, const char *s)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
			return true;
	return false;
}

/* The task of ORDER for SKU on the cart of a task.next reply N, as tpick_do_task takes it
 * (owned), or NULL. */
static json_t *task_on_cart(const json_t *n, const char *order, const char *sku)
{
	const json_t *stops = tget(n, "batch.stops"), *totes = tget(n, "batch.totes");
	const char *tote = NULL;
	for (size_t i = 0; i < json_array_size(totes); i++)
		if (strcmp(tget_str(json_array_get(totes, i), "order"), order) == 0)
			tote = tget_str(json_array_get(totes, i), "tote");
	for (size_t i = 0; tote && i < json_array_size(stops); i++) {
		const json_t *st = json_array_get(stops, i);
		if (strcmp(tget_str(st, "order"), order) == 0 &&
		    strcmp(tget_str(st, "sku"), sku) == 0)
			return json_pack("{s:O, s:O, s:O, s:O, s:i, s:s}", "id", tget(st, "task"),
			                 "location", tget(st, "location"), "sku", tget(st, "sku"),
			                 "qty", tget(st, "qty"), "picked", 0, "tote", tote);
	}
	return NULL;
}

static void
test_cancelling_a_released_order_withdraws_its_tasks_and_puts_picked_units_back(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2},{\"sku\":\"SKU-2\",\"qty\":1}]",
	             "");
	tpick_submit(&t, "O-2", "[{\"sku\":\"SKU-3\",\"qty\":1}]", "");
	json_t *n = tpick_release_next(&t); /* picker P1 has the cart of both */
	json_t *sku1 = task_on_cart(n, "O-1", "SKU-1"), *sku2 = task_on_cart(n, "O-1", "SKU-2");
	assert_non_null(sku1);
	assert_non_null(sku2);
	char tote[32], t2[64];
	snprintf(tote, sizeof(tote), "%s", tget_str(sku1, "tote"));
	snprintf(t2, sizeof(t2), "%s", tget_str(sku2, "id"));
	json_decref(n);
	/* SKU-1 x 2 is in the tote and off the shelf; SKU-2 not yet picked. */
	tpick_do_task(&t, sku1, "a");
	json_decref(sku1);
	json_decref(sku2);
	assert_int_equal(stock_at(&t, "SKU-1", "A01-01-1", "on_hand"), 98);
	long long seq = tpick_last_seq(&t);
	json_t *r = cancel(&t, "O-1");
	assert_true(json_is_true(tget(r, "changed")));
	assert_int_equal(json_array_size(tget(r, "undone.tasks_withdrawn")), 1);
	assert_string_equal(tget_str(r, "undone.tasks_withdrawn[0]"), t2);
	assert_true(holds(tget(r, "undone.totes_freed"), tote));
	assert_int_equal(json_array_size(tget(r, "undone.units_put_back")), 1);
	assert_string_equal(tget_str(r, "undone.units_put_back[0].sku"), "SKU-1");
	assert_string_equal(tget_str(r, "undone.units_put_back[0].location"), "A01-01-1");
	assert_int_equal(tget_int(r, "undone.units_put_back[0].qty"), 2);
	assert_int_equal(tget_int(r, "undone.units_released"), 1); /* SKU-2, never picked */
	json_decref(r);
	/* The event says the same. */
	json_t *ev = tpick_events(&t, seq, "order.cancelled");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].tasks_withdrawn[0]"), t2);
	assert_int_equal(tget_int(ev, "events[0].units_put_back[0].qty"), 2);
	json_decref(ev);
	/* The units are back on the shelf, nothing is held for O-1. */
	json_t *st = tpick_stock(&t, "SKU-1", "A01-01-1");
	assert_int_equal(tget_int(st, "on_hand"), 100);
	assert_int_equal(tget_int(st, "reserved"), 0);
	json_decref(st);
	assert_int_equal(stock_at(&t, "SKU-2", "A02-01-1", "reserved"), 0);
	static const char *const ids[] = { "O-1", "O-2" };
	tpick_assert_reservations(&t, ids, 2);
	/* The picker is sent for O-2 only; a scan of O-1's withdrawn task names the
	 * cancellation. */
	json_t *next = tpick_next(&t);
	assert_string_equal(tget_str(next, "task.order"), "O-2");
	json_decref(next);
	r = tpick_scan(&t, t2, "w1", "LOC-A02-01-1");
	assert_string_equal(tget_str(r, "verdict"), "refused");
	assert_string_equal(treply_code(r), "invalid_state");
	assert_non_null(strstr(tget_str(r, "message"), "cancelled"));
	json_decref(r);
	/* The tote holds nothing now: at a pack station it says why. */
	r = tcall(&t,
	          "{\"op\":\"pack.scan\",\"station\":\"PS-1\",\"scan_id\":\"p1\",\"code\":\"%s\"}",
	          tote);
	assert_string_equal(tget_str(r, "verdict"), "refused");
	assert_string_equal(treply_code(r), "invalid_state");
	assert_non_null(strstr(tget_str(r, "message"), "cancelled"));
	json_decref(r);
	/* O-2 is picked to the end: the cart completes and the picker is free. */
	assert_int_equal(tpick_pick_all(&t), 1);
	ev = tpick_events(&t, seq, "batch.completed");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].picker"), "P1");
	json_decref(ev);
	assert_string_equal(tpick_order_state(&t, "O-2"), "picked");
	tengine_close(&t);
}

static void
test_cancelling_the_only_order_of_a_cart_completes_the_batch_and_frees_the_picker(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":1}]", "");
	json_decref(tpick_release_next(&t)); /* P1 holds the batch */
	long long seq = tpick_last_seq(&t);
	json_decref(cancel(&t, "O-1"));
	json_t *ev = tpick_events(&t, seq, "batch.completed");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].picker"), "P1");
	json_decref(ev);
	json_t *n = tpick_next(&t);
	assert_true(json_is_null(tget(n, "task")));
	json_decref(n);
	/* The shipment stays on the record, cancelled, without its tote. */
	json_t *o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.state"), "cancelled");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].state"), "cancelled");
	assert_null(tget(o, "order.allocation.shipments[0].tote"));
	assert_true(json_is_null(tget(o, "order.estimate")));
	json_decref(o);
	tengine_close(&t);
}

static void
test_cancelling_an_order_at_a_pack_station_idles_the_station_and_its_scans_name_it(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	tpick_submit(&t, "O-2", "[{\"sku\":\"SKU-3\",\"qty\":1}]", "");
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 2);
	json_t *o = tpick_order(&t, "O-1");
	char tote[32];
	snprintf(tote, sizeof(tote), "%s", tget_str(o, "order.allocation.shipments[0].tote"));
	json_decref(o);
	tpick_expect(tcall(&t,
	                   "{\"op\":\"pack.scan\",\"station\":\"PS-1\",\"scan_id\":\"p1\","
	                   "\"code\":\"%s\"}",
	                   tote),
	             "accepted", NULL);
	tpick_expect(tcall(&t, "{\"op\":\"pack.scan\",\"station\":\"PS-1\",\"scan_id\":\"p2\","
	                       "\"code\":\"" TPICK_GTIN1 "\"}"),
	             "accepted", NULL);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	json_t *r = cancel(&t, "O-1");
	assert_true(holds(tget(r, "undone.stations_idled"), "PS-1"));
	assert_true(holds(tget(r, "undone.totes_freed"), tote));
	assert_int_equal(tget_int(r, "undone.units_put_back[0].qty"), 2);
	json_decref(r);
	assert_int_equal(stock_at(&t, "SKU-1", "A01-01-1", "on_hand"), 100);
	/* The packer's next scans are refused naming the cancellation, in O-1's timeline. */
	long long seq = tpick_last_seq(&t);
	r = tcall(&t, "{\"op\":\"pack.scan\",\"station\":\"PS-1\",\"scan_id\":\"p3\","
	              "\"code\":\"" TPICK_GTIN1 "\"}");
	assert_string_equal(treply_code(r), "invalid_state");
	assert_non_null(strstr(tget_str(r, "message"), "cancelled"));
	json_decref(r);
	r = tcall(&t, "{\"op\":\"pack.close\",\"station\":\"PS-1\",\"scan_id\":\"p4\"}");
	assert_string_equal(treply_code(r), "invalid_state");
	json_decref(r);
	json_t *ev = tpick_events(&t, seq, "pack.rejected");
	assert_int_equal(tget_int(ev, "count"), 2);
	assert_string_equal(tget_str(ev, "events[0].order"), "O-1");
	json_decref(ev);
	/* The station is idle: it packs O-2 from its tote to the label. */
	o = tpick_order(&t, "O-2");
	char ship[32];
	snprintf(ship, sizeof(ship), "%s", tget_str(o, "order.allocation.shipments[0].id"));
	json_decref(o);
	r = tpick_pack_shipment(&t, "O-2", ship, "PS-1", NULL, "q");
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-2"), "packed");
	tengine_close(&t);
}

static void test_cancelling_a_packed_order_voids_its_carton_and_ship_confirm_names_the_cancellation(
    void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-2\",\"qty\":3}]", "");
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 1);
	json_t *o = tpick_order(&t, "O-1");
	char ship[32];
	snprintf(ship, sizeof(ship), "%s", tget_str(o, "order.allocation.shipments[0].id"));
	json_decref(o);
	json_t *r = tpick_pack_shipment(&t, "O-1", ship, "PS-1", NULL, "p");
	char sscc[32];
	snprintf(sscc, sizeof(sscc), "%s", tget_str(r, "sscc"));
	json_decref(r);
	assert_int_equal(stock_at(&t, "SKU-2", "A02-01-1", "on_hand"), 47);
	r = cancel(&t, "O-1");
	assert_true(holds(tget(r, "undone.cartons_voided"), sscc));
	json_decref(r);
	o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].cartons[0].sscc"), sscc);
	assert_non_null(tget_str(o, "order.allocation.shipments[0].cartons[0].voided"));
	json_decref(o);
	json_t *st = tpick_stock(&t, "SKU-2", "A02-01-1");
	assert_int_equal(tget_int(st, "on_hand"), 50);
	assert_int_equal(tget_int(st, "reserved"), 0);
	json_decref(st);
	r = tcall_err(&t, "invalid_state", "{\"op\":\"ship.confirm\",\"shipment\":\"%s\"}", ship);
	assert_string_equal(tget_str(r, "error.field"), "shipment");
	assert_non_null(strstr(tget_str(r, "error.message"), "cancelled"));
	json_decref(r);
	/* Cancelling again changes nothing. */
	r = cancel(&t, "O-1");
	assert_false(json_is_true(tget(r, "changed")));
	json_decref(r);
	assert_int_equal(stock_at(&t, "SKU-2", "A02-01-1", "on_hand"), 50);
	tengine_close(&t);
}

static void
test_an_order_waiting_for_a_part_cannot_be_cancelled_once_another_part_shipped(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	/* SKU-3 from W1, SKU-2 from W2; W1's 20 SKU-3 are short and none is left. */
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":20},{\"sku\":\"SKU-2\",\"qty\":1}]",
	             "");
	json_t *n = tpick_release_next_in(&t, "W1");
	char task[64];
	snprintf(task, sizeof(task), "%s", tget_str(n, "task.id"));
	json_decref(n);
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"pick.short\",\"device\":\"HH-1\",\"scan_id\":\"s1\","
	                     "\"task\":\"%s\",\"found\":5}",
	                     task));
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	json_decref(tpick_release_next_in(&t, "W2"));
	assert_int_equal(tpick_pick_all_in(&t, "W2"), 1);
	json_t *o = tpick_order(&t, "O-1");
	char ship[32];
	snprintf(ship, sizeof(ship), "%s", tget_str(o, "order.allocation.shipments[1].id"));
	json_decref(o);
	json_decref(tpick_pack_shipment(&t, "O-1", ship, "PS-2", NULL, "p"));
	json_decref(tcall_ok(&t, "{\"op\":\"ship.confirm\",\"shipment\":\"%s\"}", ship));
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	long long seq = tpick_last_seq(&t);
	json_t *r = tcall_err(&t, "invalid_state",
	                      "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	assert_string_equal(tget_str(r, "error.field"), "id");
	assert_non_null(strstr(tget_str(r, "error.message"), ship));
	json_decref(r);
	/* Refused means nothing changed: no event, the part still waits. */
	assert_int_equal(tpick_last_seq(&t), seq);
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_an_insert_that_cannot_be_printed_as_a_label_is_refused_at_submit),
		cmocka_unit_test(test_a_lower_case_insert_is_accepted_and_its_carton_closes),
		cmocka_unit_test(test_order_get_shows_the_contract_and_not_the_engines_bookkeeping),
		cmocka_unit_test(
		    test_a_resent_order_that_writes_out_the_default_priority_is_the_same_order),
		cmocka_unit_test(test_a_blank_ship_to_name_is_refused_naming_order_ship_to_name),
		cmocka_unit_test(test_a_ship_to_country_must_be_an_assigned_iso_3166_code),
		cmocka_unit_test(test_the_country_table_holds_the_249_assigned_codes_in_order),
		cmocka_unit_test(
		    test_cancelling_a_released_order_withdraws_its_tasks_and_puts_picked_units_back),
		cmocka_unit_test(
		    test_cancelling_the_only_order_of_a_cart_completes_the_batch_and_frees_the_picker),
		cmocka_unit_test(
		    test_cancelling_an_order_at_a_pack_station_idles_the_station_and_its_scans_name_it),
		cmocka_unit_test(
		    test_cancelling_a_packed_order_voids_its_carton_and_ship_confirm_names_the_cancellation),
		cmocka_unit_test(
		    test_an_order_waiting_for_a_part_cannot_be_cancelled_once_another_part_shipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
