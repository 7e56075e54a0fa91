/*
 * Waves and picking through the engine's API: planning batches and routes with the figures an
 * operator checks, deterministic plans, release to totes and tasks, a picker walking the route,
 * every pick scan verified (location, item, lot, quantity, tote), resent scans answered once,
 * shortages re-allocated, cancelled plans given back to the queue.
 * Network: tseed_basic (W1: 10 aisles x 45 slots, SKU-1..5 at A01..A05-01-1, 100 each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tengine.h"

static const char *const gtin_of[] = { "4006381333931", "09506000134352", "96385074",
	                               "036000291452", "5901234123457" };

static void submit(struct tengine *t, const char *id, int sku_a, int qty_a, int sku_b, int qty_b)
{
	char lines[160];
	if (sku_b)
		snprintf(lines, sizeof(lines),
		         "[{\"sku\":\"SKU-%d\",\"qty\":%d},{\"sku\":\"SKU-%d\",\"qty\":%d}]", sku_a,
		         qty_a, sku_b, qty_b);
	else
		snprintf(lines, sizeof(lines), "[{\"sku\":\"SKU-%d\",\"qty\":%d}]", sku_a, qty_a);
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	             "\"lines\":%s,\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	             "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":"
	             "\"standard\",\"promised_by\":\"2026-11-30T23:59:59Z\"}}",
	             id, lines));
}

static void open_with_orders(struct tengine *t, int n)
{
	tengine_open(t);
	tseed_basic(t);
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "O-%02d", i);
		submit(t, id, 1 + i % 5, 1 + i % 3, i % 2 ? 1 + (i + 2) % 5 : 0, 1);
	}
}

static json_t *plan(struct tengine *t)
{
	return tcall_ok(t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\",\"cart\":{\"totes\":4,"
	                   "\"units\":20}}");
}

static void test_plan_batches_and_routes_with_the_operators_figures(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 12);
	json_t *r = plan(&t);
	assert_int_equal(json_array_size(tget(r, "waves")), 1);
	assert_int_equal(tget_int(r, "waves[0].orders"), 12);
	assert_int_equal(tget_int(r, "still_queued"), 0);
	assert_true(tget_int(r, "waves[0].carts") >= 3); /* 12 orders, 4 totes a cart */
	double len = json_number_value(tget(r, "waves[0].length_m"));
	double ss = json_number_value(tget(r, "waves[0].sshape_length_m"));
	double single = json_number_value(tget(r, "waves[0].single_length_m"));
	assert_true(len > 0 && len <= ss + 1e-9 && len < single);
	long long units = 0, orders = 0;
	for (size_t b = 0; b < json_array_size(tget(r, "waves[0].batches")); b++) {
		json_t *bt = json_array_get(tget(r, "waves[0].batches"), b);
		assert_true(json_array_size(json_object_get(bt, "orders")) <= 4);
		assert_true(json_integer_value(json_object_get(bt, "units")) <= 20);
		units += json_integer_value(json_object_get(bt, "units"));
		orders += (long long)json_array_size(json_object_get(bt, "orders"));
	}
	assert_int_equal(orders, 12);
	assert_int_equal(units, tget_int(r, "waves[0].units"));
	/* Everything is in a wave now: a second plan finds nothing. */
	json_t *again = plan(&t);
	assert_int_equal(json_array_size(tget(again, "waves")), 0);
	/* wave.get lists each batch's stops in route order with where they are. */
	json_t *g =
	    tcall_ok(&t, "{\"op\":\"wave.get\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_string_equal(tget_str(g, "wave.state"), "planned");
	json_t *stop = tget(g, "wave.batches[0].stops[0]");
	assert_non_null(json_object_get(stop, "location"));
	assert_true(json_integer_value(json_object_get(stop, "aisle")) >= 1);
	assert_non_null(json_object_get(stop, "position"));
	json_decref(g);
	json_decref(again);
	json_decref(r);
	tengine_close(&t);
}

static void test_the_same_input_plans_the_same_waves_byte_for_byte(void **state)
{
	(void)state;
	char *text[2];
	for (int k = 0; k < 2; k++) {
		struct tengine t;
		open_with_orders(&t, 20);
		json_t *r = plan(&t);
		json_t *g = tcall_ok(&t, "{\"op\":\"wave.get\",\"wave\":\"%s\"}",
		                     tget_str(r, "waves[0].id"));
		text[k] = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(g);
		json_decref(r);
		tengine_close(&t);
	}
	assert_string_equal(text[0], text[1]);
	free(text[0]);
	free(text[1]);
}

static void test_wave_get_pages_through_the_batches(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 25);
	/* One tote a cart: 25 batches. */
	json_t *r =
	    tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\",\"cart\":{\"totes\":1}}");
	/* wave.plan and wave.get name the count alike (both names, in both replies). */
	assert_int_equal(tget_int(r, "waves[0].batches_count"), 25);
	assert_int_equal(tget_int(r, "waves[0].batch_count"), 25);
	int seen = 0;
	long long after = 0;
	for (int page = 0; page < 10; page++) {
		json_t *g = tcall_ok(&t,
		                     "{\"op\":\"wave.get\",\"wave\":\"%s\",\"batches_after\":%lld,"
		                     "\"batch_limit\":10}",
		                     tget_str(r, "waves[0].id"), after);
		assert_int_equal(tget_int(g, "wave.batch_count"), 25);
		assert_int_equal(tget_int(g, "wave.batches_count"), 25);
		json_t *bs = tget(g, "wave.batches");
		for (size_t i = 0; i < json_array_size(bs); i++)
			assert_int_equal(
			    json_integer_value(json_object_get(json_array_get(bs, i), "batch")),
			    ++seen);
		json_t *next = tget(g, "next_batches_after");
		bool last = json_is_null(next);
		after = json_integer_value(next);
		json_decref(g);
		if (last)
			break;
	}
	assert_int_equal(seen, 25);
	json_decref(r);
	tengine_close(&t);
}

static void test_limits_split_the_queue_into_waves_in_cutoff_order(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 10);
	json_t *r = tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\",\"max_orders\":4,"
	                         "\"waves\":2}");
	assert_int_equal(json_array_size(tget(r, "waves")), 2);
	assert_int_equal(tget_int(r, "waves[0].orders"), 4);
	assert_int_equal(tget_int(r, "waves[1].orders"), 4);
	assert_int_equal(tget_int(r, "still_queued"), 2);
	json_decref(r);
	tengine_close(&t);
}

static void test_cancelling_a_planned_wave_gives_its_orders_back(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 5);
	json_t *r = plan(&t);
	json_t *c =
	    tcall_ok(&t, "{\"op\":\"wave.cancel\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_int_equal(tget_int(c, "requeued"), 5);
	json_t *again = plan(&t);
	assert_int_equal(tget_int(again, "waves[0].orders"), 5);
	json_decref(tcall_err(&t, "invalid_state", "{\"op\":\"wave.release\",\"wave\":\"%s\"}",
	                      tget_str(r, "waves[0].id")));
	json_decref(again);
	json_decref(c);
	json_decref(r);
	tengine_close(&t);
}

static void test_cancelling_a_cancelled_wave_answers_changed_false(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 3);
	json_t *r = plan(&t);
	const char *wave = tget_str(r, "waves[0].id");
	json_t *c = tcall_ok(&t, "{\"op\":\"wave.cancel\",\"wave\":\"%s\"}", wave);
	assert_true(json_is_true(tget(c, "changed")));
	json_decref(c);
	json_t *p = tcall_ok(&t, "{\"op\":\"ping\"}");
	long long seq = tget_int(p, "last_seq");
	json_decref(p);
	/* The same request again, as order.cancel of a cancelled order: nothing to do. */
	c = tcall_ok(&t, "{\"op\":\"wave.cancel\",\"wave\":\"%s\"}", wave);
	assert_false(json_is_true(tget(c, "changed")));
	assert_string_equal(tget_str(c, "state"), "cancelled");
	assert_int_equal(tget_int(c, "requeued"), 0);
	json_decref(c);
	p = tcall_ok(&t, "{\"op\":\"ping\"}");
	assert_int_equal(tget_int(p, "last_seq"), seq);
	json_decref(p);
	/* The orders were given back once: one wave of 3. */
	json_t *again = plan(&t);
	assert_int_equal(tget_int(again, "waves[0].orders"), 3);
	json_decref(again);
	json_decref(r);
	tengine_close(&t);
}

static void test_an_order_cancelled_in_a_planned_wave_is_skipped_at_release(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 3);
	json_t *r = plan(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"O-01\"}"));
	json_t *rel =
	    tcall_ok(&t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_int_equal(json_array_size(tget(rel, "skipped")), 1);
	assert_string_equal(tget_str(rel, "skipped[0].order"), "O-01");
	json_decref(rel);
	/* No task names it, and the order stays cancelled. */
	json_t *g =
	    tcall_ok(&t, "{\"op\":\"wave.get\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	json_t *bs = tget(g, "wave.batches");
	for (size_t i = 0; i < json_array_size(bs); i++) {
		json_t *totes = tget(json_array_get(bs, i), "totes");
		for (size_t k = 0; k < json_array_size(totes); k++)
			assert_string_not_equal(tget_str(json_array_get(totes, k), "order"),
			                        "O-01");
	}
	json_decref(g);
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-01\"}");
	assert_string_equal(tget_str(o, "order.state"), "cancelled");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].state"), "cancelled");
	json_decref(o);
	json_decref(r);
	tengine_close(&t);
}

/* Releases the only wave and returns the task picker P1 gets. */
static json_t *release_and_next(struct tengine *t)
{
	json_t *r = plan(t);
	json_t *rel =
	    tcall_ok(t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_true(tget_int(rel, "tasks") > 0);
	json_decref(rel);
	json_decref(r);
	return tcall_ok(t, "{\"op\":\"task.next\",\"warehouse\":\"W1\",\"picker\":\"P1\"}");
}

static json_t *scan(struct tengine *t, const char *task, const char *id, const char *code)
{
	return tcall(t,
	             "{\"op\":\"pick.scan\",\"device\":\"HH-1\",\"scan_id\":\"%s\",\"task\":\"%s\","
	             "\"code\":\"%s\"}",
	             id, task, code);
}

static void assert_verdict(json_t *r, const char *verdict, const char *code)
{
	if (strcmp(tget_str(r, "verdict"), verdict) != 0)
		print_message("verdict: %s\n", tget_str(r, "message"));
	assert_string_equal(tget_str(r, "verdict"), verdict);
	if (code)
		assert_string_equal(tget_str(r, "error.code"), code);
	json_decref(r);
}

static void test_release_moves_orders_to_waved_and_task_next_walks_the_route(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 3);
	json_t *n = release_and_next(&t);
	assert_int_equal(tget_int(n, "task.seq"), 1);
	assert_non_null(strstr(tget_str(n, "task.instruction"), "LOC-"));
	assert_non_null(strstr(tget_str(n, "task.tote"), "TOTE-"));
	/* Asking again gives the same task: the picker keeps the cart. */
	json_t *n2 = tcall_ok(&t, "{\"op\":\"task.next\",\"warehouse\":\"W1\",\"picker\":\"P1\"}");
	assert_string_equal(tget_str(n, "task.id"), tget_str(n2, "task.id"));
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}",
	                     tget_str(n, "task.order"));
	assert_string_equal(tget_str(o, "order.state"), "waved");
	json_decref(o);
	json_decref(n2);
	json_decref(n);
	tengine_close(&t);
}

static void test_every_pick_scan_is_checked_until_the_order_is_picked(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 1); /* O-00: 1 x SKU-1 at A01-01-1 */
	json_t *n = release_and_next(&t);
	char task[64], loc[64], tote[32], other_tote[32];
	snprintf(task, sizeof(task), "%s", tget_str(n, "task.id"));
	snprintf(loc, sizeof(loc), "LOC-%s", tget_str(n, "task.location"));
	snprintf(tote, sizeof(tote), "%s", tget_str(n, "task.tote"));
	snprintf(other_tote, sizeof(other_tote), "TOTE-999999");
	assert_verdict(scan(&t, task, "s1", gtin_of[0]), "refused", "out_of_sequence");
	assert_verdict(scan(&t, task, "s2", "LOC-A09-01-1"), "refused", "wrong_location");
	assert_verdict(scan(&t, task, "s3", loc), "accepted", NULL);
	assert_verdict(scan(&t, task, "s4", gtin_of[1]), "refused", "wrong_item");
	assert_verdict(scan(&t, task, "s5", "4006381333932"), "refused", "unknown_barcode");
	assert_verdict(scan(&t, task, "s6", "00000000000000"), "refused", "unknown_barcode");
	assert_verdict(scan(&t, task, "s7", tote), "refused", "incomplete");
	/* A GS1 element string of the right item counts like its GTIN. */
	assert_verdict(scan(&t, task, "s8", "(01)04006381333931"), "accepted", NULL);
	assert_verdict(scan(&t, task, "s9", gtin_of[0]), "refused", "over_pick");
	assert_verdict(scan(&t, task, "s10", other_tote), "refused", "wrong_tote");
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-00\"}");
	assert_string_equal(tget_str(o, "order.state"), "picking");
	json_decref(o);
	assert_verdict(scan(&t, task, "s11", tote), "accepted", NULL);
	o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-00\"}");
	assert_string_equal(tget_str(o, "order.state"), "picked");
	json_decref(o);
	/* The unit left the shelf. */
	json_t *s = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-1\"}");
	assert_int_equal(tget_int(s, "on_hand"), 99);
	json_decref(s);
	/* Refusals are facts: one pick.rejected event per refused scan. */
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"pick.rejected\"}");
	assert_int_equal(tget_int(ev, "count"), 8);
	json_decref(ev);
	json_t *done =
	    tcall_ok(&t, "{\"op\":\"task.next\",\"warehouse\":\"W1\",\"picker\":\"P1\"}");
	assert_true(json_is_null(tget(done, "task")));
	json_decref(done);
	json_decref(n);
	tengine_close(&t);
}

static void test_a_resent_scan_gets_the_first_verdict_and_counts_once(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 3); /* O-02: 3 x SKU-3 */
	json_t *n = release_and_next(&t);
	char task[64], loc[64];
	snprintf(task, sizeof(task), "%s", tget_str(n, "task.id"));
	snprintf(loc, sizeof(loc), "LOC-%s", tget_str(n, "task.location"));
	long long qty = tget_int(n, "task.qty");
	int sku = atoi(tget_str(n, "task.sku") + 4);
	assert_verdict(scan(&t, task, "r1", loc), "accepted", NULL);
	json_t *a = scan(&t, task, "r2", gtin_of[sku - 1]);
	json_t *b = scan(&t, task, "r2", gtin_of[sku - 1]);
	assert_int_equal(tget_int(a, "task.picked"), 1);
	assert_int_equal(tget_int(b, "task.picked"), 1);
	assert_true(json_is_true(tget(b, "resent")));
	if (qty > 1)
		assert_verdict(scan(&t, task, "r3", gtin_of[sku - 1]), "accepted", NULL);
	/* The same scan id with another code is a conflict, not a scan. */
	json_decref(tcall_err(&t, "conflict",
	                      "{\"op\":\"pick.scan\",\"device\":\"HH-1\",\"scan_id\":\"r2\","
	                      "\"task\":\"%s\",\"code\":\"%s\"}",
	                      task, loc));
	json_decref(a);
	json_decref(b);
	json_decref(n);
	tengine_close(&t);
}

static void test_a_short_pick_writes_off_stock_and_reallocates(void **state)
{
	(void)state;
	struct tengine t;
	open_with_orders(&t, 1); /* O-00: 1 x SKU-1, the only location of SKU-1 */
	json_t *n = release_and_next(&t);
	json_t *r = tcall_ok(&t,
	                     "{\"op\":\"pick.short\",\"device\":\"HH-1\",\"scan_id\":\"x1\","
	                     "\"task\":\"%s\",\"found\":0}",
	                     tget_str(n, "task.id"));
	/* One unit written off; 99 remain, but the bin was found short: until it is counted
	 * nothing is allocated from it, and it is the only one, so the order waits. */
	assert_string_equal(tget_str(r, "order_state"), "backordered");
	json_t *s = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-1\"}");
	assert_int_equal(tget_int(s, "on_hand"), 99);
	assert_int_equal(tget_int(s, "reserved"), 0);
	json_decref(s);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"pick.short\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	json_decref(ev);
	/* The count confirms the 99: the order is allocated again from the bin. */
	json_decref(tcall_ok(&t, "{\"op\":\"stock.adjust\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A01-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":99}"));
	s = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-1\"}");
	assert_int_equal(tget_int(s, "reserved"), 1);
	json_decref(s);
	/* It can be planned again. */
	json_t *p = plan(&t);
	assert_int_equal(tget_int(p, "waves[0].orders"), 1);
	json_decref(p);
	json_decref(r);
	json_decref(n);
	tengine_close(&t);
}

/* Picks every task of picker P1's cart, returning the tote of the first order. */
static void pick_all(struct tengine *t, char *tote, size_t n)
{
	tote[0] = '\0';
	for (int i = 0; i < 50; i++) {
		json_t *nx =
		    tcall_ok(t, "{\"op\":\"task.next\",\"warehouse\":\"W1\",\"picker\":\"P1\"}");
		if (json_is_null(tget(nx, "task"))) {
			json_decref(nx);
			return;
		}
		char task[64], code[64], sid[32];
		snprintf(task, sizeof(task), "%s", tget_str(nx, "task.id"));
		if (!tote[0])
			snprintf(tote, n, "%s", tget_str(nx, "task.tote"));
		snprintf(code, sizeof(code), "LOC-%s", tget_str(nx, "task.location"));
		snprintf(sid, sizeof(sid), "p%d-loc", i);
		assert_verdict(scan(t, task, sid, code), "accepted", NULL);
		int sku = atoi(tget_str(nx, "task.sku") + 4);
		for (long long q = 0; q < tget_int(nx, "task.qty"); q++) {
			char id[48];
			snprintf(id, sizeof(id), "p%d-%lld", i, q);
			assert_verdict(scan(t, task, id, gtin_of[sku - 1]), "accepted", NULL);
		}
		char id[32];
		snprintf(id, sizeof(id), "p%d-tote", i);
		assert_verdict(scan(t, task, id, tget_str(nx, "task.tote")), "accepted", NULL);
		json_decref(nx);
	}
	fail_msg("the cart never emptied");
}

static void test_wave_get_caps_the_at_risk_list_as_wave_plan_does(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A01-02-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\","
	                         "\"qty\":2000,\"idem_key\":\"more\"}"));
	enum { N = 1005 }; /* more than a reply lists */
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof(id), "R-%04d", i);
		submit(&t, id, 1, 1, 0, 0);
	}
	/* A day of packing per cart: every shipment misses today's cutoff. */
	json_t *r = tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\",\"max_orders\":"
	                         "2000,\"method\":\"single\",\"pack_minutes\":1440}");
	assert_int_equal(tget_int(r, "waves[0].at_risk_count"), N);
	assert_int_equal(json_array_size(tget(r, "waves[0].at_risk")), 1000);
	json_t *g =
	    tcall_ok(&t, "{\"op\":\"wave.get\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_int_equal(tget_int(g, "wave.at_risk_count"), N);
	assert_int_equal(json_array_size(tget(g, "wave.at_risk")), 1000);
	/* The listed ones are the first in plan order, the same as wave.plan's. */
	assert_string_equal(tget_str(g, "wave.at_risk[999].shipment"),
	                    tget_str(r, "waves[0].at_risk[999].shipment"));
	json_decref(g);
	/* Released, the wave keeps the capped list and its count. */
	json_decref(
	    tcall_ok(&t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id")));
	g = tcall_ok(&t, "{\"op\":\"wave.get\",\"wave\":\"%s\"}", tget_str(r, "waves[0].id"));
	assert_int_equal(tget_int(g, "wave.at_risk_count"), N);
	assert_int_equal(json_array_size(tget(g, "wave.at_risk")), 1000);
	json_decref(g);
	json_decref(r);
	tengine_close(&t);
}

/* ---- finished batches (the batch queue and the pickers) ---- */

/* Plans the queue with one tote a cart (a batch per order) and releases it: the wave id. */
static void release_one_order_carts(struct tengine *t, char wave[16])
{
	json_t *r = tcall_ok(t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\","
	                        "\"cart\":{\"totes\":1}}");
	snprintf(wave, 16, "%s", tget_str(r, "waves[0].id"));
	json_decref(r);
	json_decref(tcall_ok(t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", wave));
}

/* Batch K of WAVE as wave.get shows it (owned). */
static json_t *batch_doc(struct tengine *t, const char *wave, int k)
{
	json_t *g = tcall_ok(t,
	                     "{\"op\":\"wave.get\",\"wave\":\"%s\",\"batches_after\":%d,"
	                     "\"batch_limit\":1}",
	                     wave, k - 1);
	json_t *b = json_incref(tget(g, "wave.batches[0]"));
	json_decref(g);
	assert_non_null(b);
	return b;
}

/* Picks every stop of batch document B by its task ids, without task.next. */
static void pick_batch_by_task_ids(struct tengine *t, const json_t *b, const char *prefix)
{
	json_t *stops = json_object_get(b, "stops");
	for (size_t i = 0; i < json_array_size(stops); i++) {
		json_t *st = json_array_get(stops, i);
		const char *task = json_string_value(json_object_get(st, "task"));
		char id[48], code[64];
		assert_non_null(task);
		int sku = atoi(json_string_value(json_object_get(st, "sku")) + 4);
		snprintf(id, sizeof(id), "%s-%zu-l", prefix, i);
		snprintf(code, sizeof(code), "LOC-%s",
		         json_string_value(json_object_get(st, "location")));
		assert_verdict(scan(t, task, id, code), "accepted", NULL);
		for (long long q = 0; q < json_integer_value(json_object_get(st, "qty")); q++) {
			snprintf(id, sizeof(id), "%s-%zu-%lld", prefix, i, q);
			assert_verdict(scan(t, task, id, gtin_of[sku - 1]), "accepted", NULL);
		}
		/* The tote of the stop's shipment, from the batch's totes. */
		json_t *totes = json_object_get(b, "totes");
		const char *tote = NULL;
		for (size_t k = 0; k < json_array_size(totes); k++)
			if (strcmp(json_string_value(
			               json_object_get(json_array_get(totes, k), "shipment")),
			           json_string_value(json_object_get(st, "shipment"))) == 0)
				tote = json_string_value(
				    json_object_get(json_array_get(totes, k), "tote"));
		assert_non_null(tote);
		snprintf(id, sizeof(id), "%s-%zu-t", prefix, i);
		assert_verdict(scan(t, task, id, tote), "accepted", NULL);
	}
}

static json_t *next_for(struct tengine *t, const char *picker)
{
	return tcall_ok(t, "{\"op\":\"task.next\",\"warehouse\":\"W1\",\"picker\":\"%s\"}", picker);
}

static void assert_no_work(json_t *r)
{
	assert_true(json_is_null(tget(r, "batch")));
	assert_true(json_is_null(tget(r, "task")));
	assert_non_null(tget_str(r, "message"));
	json_decref(r);
}

/* The batch.completed events after seq AFTER (owned events.read reply). */
static json_t *completed_after(struct tengine *t, long long after)
{
	return tcall_ok(t, "{\"op\":\"events.read\",\"after\":%lld,\"prefix\":\"batch.completed\"}",
	                after);
}

static void test_a_batch_finished_before_any_picker_took_it_is_never_handed_out(void **state)
{
	(void)state;
	struct tengine t;
	char wave[16], b2[32];
	open_with_orders(&t, 2); /* two orders, one cart each: batches B1 and B2 */
	release_one_order_carts(&t, wave);
	/* B1's tasks are scanned from wave.get, with no picker ever asking for them. */
	json_t *b1 = batch_doc(&t, wave, 1);
	pick_batch_by_task_ids(&t, b1, "d");
	json_decref(b1);
	b1 = batch_doc(&t, wave, 1);
	assert_string_equal(tget_str(b1, "state"), "completed");
	json_decref(b1);
	/* batch.completed carries its fields; no picker had it, so none is named. */
	json_t *ev = completed_after(&t, 0);
	assert_int_equal(tget_int(ev, "count"), 1);
	char b1id[32];
	snprintf(b1id, sizeof(b1id), "%s-B1", wave);
	assert_string_equal(tget_str(ev, "events[0].batch"), b1id);
	assert_string_equal(tget_str(ev, "events[0].wave"), wave);
	assert_string_equal(tget_str(ev, "events[0].warehouse"), "W1");
	assert_null(tget(ev, "events[0].picker"));
	json_decref(ev);
	/* The first picker gets B2, not the finished B1; the next one finds no work. */
	snprintf(b2, sizeof(b2), "%s-B2", wave);
	json_t *n = next_for(&t, "P1");
	assert_string_equal(tget_str(n, "batch.id"), b2);
	assert_string_equal(tget_str(n, "batch.state"), "picking");
	assert_non_null(tget_str(n, "task.id"));
	json_decref(n);
	assert_no_work(next_for(&t, "P2"));
	/* B1 stays completed: nobody set it back to picking. */
	b1 = batch_doc(&t, wave, 1);
	assert_string_equal(tget_str(b1, "state"), "completed");
	assert_null(tget(b1, "picker"));
	json_decref(b1);
	tengine_close(&t);
}

static void test_a_picker_who_finishes_a_batch_gets_the_next_one_then_no_work(void **state)
{
	(void)state;
	struct tengine t;
	char wave[16], bid[32];
	open_with_orders(&t, 2);
	release_one_order_carts(&t, wave);
	/* P1 takes B1 and finishes it through task.next. */
	json_t *n = next_for(&t, "P1");
	snprintf(bid, sizeof(bid), "%s-B1", wave);
	assert_string_equal(tget_str(n, "batch.id"), bid);
	json_decref(n);
	json_t *b1 = batch_doc(&t, wave, 1);
	pick_batch_by_task_ids(&t, b1, "p");
	json_decref(b1);
	json_t *ev = completed_after(&t, 0);
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].batch"), bid);
	assert_string_equal(tget_str(ev, "events[0].picker"), "P1");
	json_decref(ev);
	/* Free again, P1 gets the next batch with its first task. */
	snprintf(bid, sizeof(bid), "%s-B2", wave);
	n = next_for(&t, "P1");
	assert_string_equal(tget_str(n, "batch.id"), bid);
	assert_string_equal(tget_str(n, "batch.picker"), "P1");
	assert_non_null(tget_str(n, "task.id"));
	json_decref(n);
	/* Another picker finds nothing: B2 is P1's, B1 is done. */
	assert_no_work(next_for(&t, "P2"));
	/* P1 finishes B2 too: then neither picker is handed a finished batch. */
	json_t *b2 = batch_doc(&t, wave, 2);
	pick_batch_by_task_ids(&t, b2, "q");
	json_decref(b2);
	assert_no_work(next_for(&t, "P1"));
	assert_no_work(next_for(&t, "P2"));
	ev = completed_after(&t, 0);
	assert_int_equal(tget_int(ev, "count"), 2);
	json_decref(ev);
	tengine_close(&t);
}

static void test_a_batch_shorted_before_any_picker_took_it_leaves_the_queue(void **state)
{
	(void)state;
	struct tengine t;
	char wave[16], bid[32];
	open_with_orders(&t, 2); /* O-00: 1 x SKU-1 alone in B1 */
	release_one_order_carts(&t, wave);
	json_t *b1 = batch_doc(&t, wave, 1);
	json_t *r = tcall_ok(&t,
	                     "{\"op\":\"pick.short\",\"device\":\"HH-1\",\"scan_id\":\"s1\","
	                     "\"task\":\"%s\",\"found\":0}",
	                     tget_str(b1, "stops[0].task"));
	json_decref(r);
	json_decref(b1);
	/* Every task of B1 is finished (shorted): it is completed and out of the queue. */
	b1 = batch_doc(&t, wave, 1);
	assert_string_equal(tget_str(b1, "state"), "completed");
	json_decref(b1);
	json_t *n = next_for(&t, "P1");
	snprintf(bid, sizeof(bid), "%s-B2", wave);
	assert_string_equal(tget_str(n, "batch.id"), bid);
	json_decref(n);
	assert_no_work(next_for(&t, "P2"));
	tengine_close(&t);
}

static json_t *pack(struct tengine *t, const char *op, const char *id, const char *field)
{
	return tcall(t, "{\"op\":\"pack.%s\",\"station\":\"PS-1\",\"scan_id\":\"%s\"%s}", op, id,
	             field);
}

static void test_packing_checks_items_inserts_and_weight_before_the_sscc_label(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	/* 2 x SKU-2 (200 g each) with a gift message: carton 150 g + 400 g, needs INS-GIFT. */
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":"
	                         "\"G-1\",\"lines\":[{\"sku\":\"SKU-2\",\"qty\":2}],\"ship_to\":{"
	                         "\"name\":\"Ann ^XZ\",\"address\":\"Main 1\",\"postal_code\":"
	                         "\"10115\",\"country\":\"DE\"},\"service\":\"standard\","
	                         "\"promised_by\":\"2026-11-30T23:59:59Z\",\"gift_message\":"
	                         "\"Happy birthday\"}}"));
	json_decref(release_and_next(&t));
	char tote[32], field[96];
	pick_all(&t, tote, sizeof(tote));
	assert_verdict(pack(&t, "scan", "k1", ",\"code\":\"4006381333931\""), "refused",
	               "out_of_sequence");
	snprintf(field, sizeof(field), ",\"code\":\"%s\"", tote);
	assert_verdict(pack(&t, "scan", "k2", field), "accepted", NULL);
	assert_verdict(pack(&t, "scan", "k3", ",\"code\":\"4006381333931\""), "refused",
	               "not_in_order");
	assert_verdict(pack(&t, "scan", "k4", ",\"code\":\"09506000134352\""), "accepted", NULL);
	assert_verdict(pack(&t, "close", "k5", ""), "refused", "incomplete");
	assert_verdict(pack(&t, "scan", "k6", ",\"code\":\"]C10109506000134352\""), "accepted",
	               NULL);
	assert_verdict(pack(&t, "scan", "k7", ",\"code\":\"09506000134352\""), "refused",
	               "over_pack");
	assert_verdict(pack(&t, "close", "k8", ""), "refused", "missing_insert");
	assert_verdict(pack(&t, "scan", "k9", ",\"code\":\"INS-GIFT\""), "accepted", NULL);
	assert_verdict(pack(&t, "close", "k10", ""), "refused", "weight_mismatch");
	assert_verdict(pack(&t, "weigh", "k11", ",\"grams\":700"), "refused", "weight_mismatch");
	assert_verdict(pack(&t, "weigh", "k12", ",\"grams\":560"), "accepted", NULL);
	json_t *r = pack(&t, "close", "k13", "");
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	const char *sscc = tget_str(r, "sscc");
	assert_int_equal(strlen(sscc), 18);
	assert_memory_equal(sscc, "00614141", 8);
	assert_non_null(strstr(tget_str(r, "label_zpl"), "^BCN"));
	assert_non_null(strstr(tget_str(r, "label_zpl"), sscc));
	assert_null(strstr(tget_str(r, "label_zpl"), "Ann ^XZ")); /* customer text escaped */
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"G-1\"}");
	assert_string_equal(tget_str(o, "order.state"), "packed");
	json_decref(o);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"pack.rejected\"}");
	assert_int_equal(tget_int(ev, "count"), 7);
	json_decref(ev);
	json_decref(r);
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_batches_and_routes_with_the_operators_figures),
		cmocka_unit_test(test_the_same_input_plans_the_same_waves_byte_for_byte),
		cmocka_unit_test(test_wave_get_pages_through_the_batches),
		cmocka_unit_test(test_limits_split_the_queue_into_waves_in_cutoff_order),
		cmocka_unit_test(test_cancelling_a_planned_wave_gives_its_orders_back),
		cmocka_unit_test(test_cancelling_a_cancelled_wave_answers_changed_false),
		cmocka_unit_test(test_an_order_cancelled_in_a_planned_wave_is_skipped_at_release),
		cmocka_unit_test(test_release_moves_orders_to_waved_and_task_next_walks_the_route),
		cmocka_unit_test(test_every_pick_scan_is_checked_until_the_order_is_picked),
		cmocka_unit_test(test_a_resent_scan_gets_the_first_verdict_and_counts_once),
		cmocka_unit_test(test_a_short_pick_writes_off_stock_and_reallocates),
		cmocka_unit_test(
		    test_packing_checks_items_inserts_and_weight_before_the_sscc_label),
		cmocka_unit_test(test_wave_get_caps_the_at_risk_list_as_wave_plan_does),
		cmocka_unit_test(
		    test_a_batch_finished_before_any_picker_took_it_is_never_handed_out),
		cmocka_unit_test(test_a_picker_who_finishes_a_batch_gets_the_next_one_then_no_work),
		cmocka_unit_test(test_a_batch_shorted_before_any_picker_took_it_leaves_the_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
