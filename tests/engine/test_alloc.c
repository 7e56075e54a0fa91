/*
 * Allocation rules, one test each: in full beats near, the promise beats cost, cost decides
 * among equals, splits use the fewest warehouses, no split means backorder, backorders fill on
 * receipt oldest promise first, lots go first-expiry-first-out and never past the promise, and
 * cancellation gives the stock back. Engine time: Tuesday 2026-11-24 08:00 UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tengine.h"

/* Warehouse ID at (LAT, LON) with DHL standard: cutoff 17:00 UTC, TRANSIT days, COST. */
static void warehouse(struct tengine *t, const char *id, double lat, double lon, int transit,
                      double cost)
{
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"%s\",\"name\":\"%s\","
	             "\"timezone\":\"UTC\",\"location\":{\"lat\":%f,\"lon\":%f},\"layout\":{"
	             "\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,\"aisle_spacing\":"
	             "5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},\"carriers\":[{"
	             "\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	             "\"transit_days\":%d,\"cost\":%g}]}}",
	             id, id, lat, lon, transit, cost));
}

static void item(struct tengine *t, const char *sku, int lot_tracked)
{
	json_decref(tcall_ok(t,
	                     "{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"%s\","
	                     "\"weight_g\":100,\"lot_tracked\":%s}}",
	                     sku, lot_tracked ? "true" : "false"));
}

static int receipt;

static void stock(struct tengine *t, const char *wh, const char *loc, const char *sku, int qty,
                  const char *lot, const char *expiry)
{
	char extra[128] = "";
	if (lot)
		snprintf(extra, sizeof(extra), ",\"lot\":\"%s\",\"expiry\":\"%s\"", lot, expiry);
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"stock.receive\",\"warehouse\":\"%s\",\"location\":\"%s\","
	             "\"tenant\":\"acme\",\"sku\":\"%s\",\"qty\":%d,\"idem_key\":\"r%d\"%s}",
	             wh, loc, sku, qty, ++receipt, extra));
}

static void open_net(struct tengine *t, int allow_split)
{
	tengine_open(t);
	json_decref(tcall_ok(t,
	                     "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\","
	                     "\"allow_split\":%s}}",
	                     allow_split ? "true" : "false"));
	item(t, "A", 0);
	item(t, "B", 0);
}

/* Submits an order of LINES (JSON array text) shipping to Berlin, promised by PROMISE. */
static json_t *submit(struct tengine *t, const char *id, const char *lines, const char *promise,
                      const char *extra)
{
	return tcall_ok(
	    t,
	    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	    "\"lines\":%s,\"ship_to\":{\"name\":\"Ann\",\"address\":\"Unter den Linden 1\","
	    "\"postal_code\":\"10117\",\"country\":\"DE\",\"lat\":52.517,\"lon\":13.389},"
	    "\"service\":\"standard\",\"promised_by\":\"%s\"%s}}",
	    id, lines, promise, extra ? extra : "");
}

static long long available(struct tengine *t, const char *sku)
{
	json_t *r = tcall_ok(t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"%s\"}", sku);
	long long a = tget_int(r, "available");
	json_decref(r);
	return a;
}

static void test_a_warehouse_that_ships_in_full_beats_a_nearer_one_that_cannot(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "BER", 52.52, 13.40, 2, 5);
	warehouse(&t, "MUC", 48.14, 11.58, 2, 5);
	stock(&t, "BER", "A01-01-1", "A", 1, NULL, NULL);
	stock(&t, "MUC", "A01-01-1", "A", 5, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":3}]", "2026-11-30T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "allocated");
	assert_string_equal(tget_str(r, "order.allocation.decision"), "single");
	assert_string_equal(tget_str(r, "order.allocation.shipments[0].warehouse"), "MUC");
	json_decref(r);
	tengine_close(&t);
}

static void test_meeting_the_promise_beats_a_lower_cost(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "BER", 52.52, 13.40, 5, 5);  /* near and cheap, but 5 days */
	warehouse(&t, "MUC", 48.14, 11.58, 1, 15); /* far and dear, next day */
	stock(&t, "BER", "A01-01-1", "A", 10, NULL, NULL);
	stock(&t, "MUC", "A01-01-1", "A", 10, NULL, NULL);
	/* Cutoff today 17:00, +1 day = Wednesday: only MUC makes a Thursday-morning promise. */
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":1}]", "2026-11-26T08:00:00Z", NULL);
	assert_string_equal(tget_str(r, "order.allocation.shipments[0].warehouse"), "MUC");
	assert_true(json_is_true(tget(r, "order.allocation.shipments[0].on_time")));
	json_decref(r);
	tengine_close(&t);
}

static void test_among_on_time_warehouses_the_lowest_cost_wins(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "BER", 52.52, 13.40, 2, 20); /* near but dear */
	warehouse(&t, "MUC", 48.14, 11.58, 2, 5);  /* ~500 km * 0.01 = 5: total 10 */
	warehouse(&t, "HAM", 53.55, 9.99, 2, 5);   /* ~255 km: total 7.6 */
	stock(&t, "BER", "A01-01-1", "A", 10, NULL, NULL);
	stock(&t, "MUC", "A01-01-1", "A", 10, NULL, NULL);
	stock(&t, "HAM", "A01-01-1", "A", 10, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":1}]", "2026-11-30T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.allocation.shipments[0].warehouse"), "HAM");
	json_decref(r);
	tengine_close(&t);
}

static void test_a_split_uses_the_fewest_warehouses_that_cover_the_order(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "W1", 52.52, 13.40, 2, 5);
	warehouse(&t, "W2", 52.52, 13.40, 2, 5);
	warehouse(&t, "W3", 52.52, 13.40, 2, 1);
	stock(&t, "W1", "A01-01-1", "A", 2, NULL, NULL);
	stock(&t, "W2", "A01-01-1", "B", 2, NULL, NULL);
	stock(&t, "W3", "A01-01-1", "A", 1, NULL, NULL);
	stock(&t, "W3", "A01-02-1", "B", 1, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":2},{\"sku\":\"B\",\"qty\":2}]",
	                   "2026-11-30T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "allocated");
	assert_string_equal(tget_str(r, "order.allocation.decision"), "split");
	json_t *ships = tget(r, "order.allocation.shipments");
	assert_int_equal(json_array_size(ships), 2);
	assert_string_equal(tget_str(ships, "[0].warehouse"), "W1");
	assert_string_equal(tget_str(ships, "[1].warehouse"), "W2");
	json_decref(r);
	r = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.split\"}");
	assert_int_equal(tget_int(r, "count"), 1);
	json_decref(r);
	tengine_close(&t);
}

static void test_a_tenant_without_splits_backorders_unless_the_order_allows_it(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 0);
	warehouse(&t, "W1", 52.52, 13.40, 2, 5);
	warehouse(&t, "W2", 52.52, 13.40, 2, 5);
	stock(&t, "W1", "A01-01-1", "A", 5, NULL, NULL);
	stock(&t, "W2", "A01-01-1", "B", 5, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\",\"qty\":1}]",
	                   "2026-11-30T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "backordered");
	assert_non_null(strstr(tget_str(r, "order.allocation.reason"), "splitting is not allowed"));
	json_decref(r);
	assert_int_equal(available(&t, "A"), 5); /* a backorder holds nothing */
	r = submit(&t, "O2", "[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\",\"qty\":1}]",
	           "2026-11-30T23:59:59Z", ",\"allow_split\":true");
	assert_string_equal(tget_str(r, "order.allocation.decision"), "split");
	json_decref(r);
	tengine_close(&t);
}

static void test_receipts_allocate_backorders_oldest_promise_first(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "W1", 52.52, 13.40, 2, 5);
	json_decref(
	    submit(&t, "LATER", "[{\"sku\":\"A\",\"qty\":3}]", "2026-12-10T23:59:59Z", NULL));
	json_decref(
	    submit(&t, "SOONER", "[{\"sku\":\"A\",\"qty\":3}]", "2026-12-01T23:59:59Z", NULL));
	stock(&t, "W1", "A01-01-1", "A", 4, NULL, NULL);
	json_t *a = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"SOONER\"}");
	json_t *b = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"LATER\"}");
	assert_string_equal(tget_str(a, "order.state"), "allocated");
	assert_string_equal(tget_str(b, "order.state"), "backordered");
	json_decref(a);
	json_decref(b);
	stock(&t, "W1", "A01-02-1", "A", 2, NULL, NULL);
	b = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"LATER\"}");
	assert_string_equal(tget_str(b, "order.state"), "allocated");
	/* Its timeline tells the story: received, backordered, allocated. */
	json_t *tl = tget(b, "order.timeline");
	assert_string_equal(tget_str(tl, "[1].type"), "order.backordered");
	assert_string_equal(tget_str(tl, "[2].type"), "order.allocated");
	json_decref(b);
	tengine_close(&t);
}

static void test_lots_go_first_expiry_first_out_and_never_expire_before_the_promise(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	item(&t, "CREAM", 1);
	warehouse(&t, "W1", 52.52, 13.40, 2, 5);
	stock(&t, "W1", "A01-01-1", "CREAM", 5, "EXPIRED", "2026-11-01");
	stock(&t, "W1", "A01-02-1", "CREAM", 5, "TOOSOON", "2026-11-27");
	stock(&t, "W1", "A01-03-1", "CREAM", 2, "FIRST", "2026-12-15");
	stock(&t, "W1", "A01-04-1", "CREAM", 9, "LATER", "2027-06-30");
	json_t *r =
	    submit(&t, "O1", "[{\"sku\":\"CREAM\",\"qty\":4}]", "2026-11-28T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "allocated");
	json_decref(r);
	r = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O1\"}");
	json_t *picks = tget(r, "order.allocation.shipments[0].lines[0].picks");
	assert_int_equal(json_array_size(picks), 2);
	assert_string_equal(tget_str(picks, "[0].lot"), "FIRST");
	assert_int_equal(tget_int(picks, "[0].qty"), 2);
	assert_string_equal(tget_str(picks, "[1].lot"), "LATER");
	assert_int_equal(tget_int(picks, "[1].qty"), 2);
	json_decref(r);
	/* Only unusable lots left for a big order: backorder, not an expired pick. */
	r = submit(&t, "O2", "[{\"sku\":\"CREAM\",\"qty\":8}]", "2026-11-28T23:59:59Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "backordered");
	json_decref(r);
	tengine_close(&t);
}

static void test_cancelling_an_allocated_order_gives_its_stock_back(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "W1", 52.52, 13.40, 2, 5);
	stock(&t, "W1", "A01-01-1", "A", 10, NULL, NULL);
	json_decref(submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":4}]", "2026-11-30T23:59:59Z", NULL));
	assert_int_equal(available(&t, "A"), 6);
	json_t *r = tcall_ok(&t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"O1\"}");
	assert_true(json_is_true(json_object_get(r, "changed")));
	json_decref(r);
	assert_int_equal(available(&t, "A"), 10);
	r = tcall_ok(&t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"O1\"}");
	assert_false(json_is_true(json_object_get(r, "changed")));
	json_decref(r);
	assert_int_equal(available(&t, "A"), 10);
	tengine_close(&t);
}

static void test_a_late_promise_still_allocates_and_says_so(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "W1", 52.52, 13.40, 3, 5);
	stock(&t, "W1", "A01-01-1", "A", 10, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":1}]", "2026-11-25T12:00:00Z", NULL);
	assert_string_equal(tget_str(r, "order.state"), "allocated");
	assert_false(json_is_true(tget(r, "order.allocation.shipments[0].on_time")));
	assert_non_null(strstr(tget_str(r, "order.allocation.reason"), "cannot meet"));
	json_decref(r);
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_a_warehouse_that_ships_in_full_beats_a_nearer_one_that_cannot),
		cmocka_unit_test(test_meeting_the_promise_beats_a_lower_cost),
		cmocka_unit_test(test_among_on_time_warehouses_the_lowest_cost_wins),
		cmocka_unit_test(test_a_split_uses_the_fewest_warehouses_that_cover_the_order),
		cmocka_unit_test(
		    test_a_tenant_without_splits_backorders_unless_the_order_allows_it),
		cmocka_unit_test(test_receipts_allocate_backorders_oldest_promise_first),
		cmocka_unit_test(
		    test_lots_go_first_expiry_first_out_and_never_expire_before_the_promise),
		cmocka_unit_test(test_cancelling_an_allocated_order_gives_its_stock_back),
		cmocka_unit_test(test_a_late_promise_still_allocates_and_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
