/*
 * Allocation rules, one test each: in full beats near, the promise beats cost, cost decides
 * among equals, splits use the fewest warehouses, no split means backorder, backorders fill on
 * receipt oldest promise first, lots go first-expiry-first-out and never past the promise,
 * cancellation gives the stock back, and a short pick on a split order allocates only the
 * shorted part again, or makes only that part wait for stock. Engine time: Tuesday
 * 2026-11-24 08:00 UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>

#include "proc.h"
#include "tengine.h"
#include "tpick.h"
#include "wms/errors.h"

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

static void test_an_order_late_at_allocation_is_at_risk_at_once_with_its_estimate(void **state)
{
	(void)state;
	struct tengine t;
	open_net(&t, 1);
	warehouse(&t, "W1", 52.52, 13.40, 3, 5);
	stock(&t, "W1", "A01-01-1", "A", 10, NULL, NULL);
	json_t *r = submit(&t, "O1", "[{\"sku\":\"A\",\"qty\":1}]", "2026-11-25T12:00:00Z", NULL);
	char by[40], ship[32];
	snprintf(by, sizeof(by), "%s", tget_str(r, "order.allocation.shipments[0].delivery_by"));
	snprintf(ship, sizeof(ship), "%s", tget_str(r, "order.allocation.shipments[0].id"));
	json_decref(r);
	/* An order that keeps its promise hears of no risk. */
	json_decref(submit(&t, "O2", "[{\"sku\":\"A\",\"qty\":1}]", "2026-12-30T12:00:00Z", NULL));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.at_risk\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].order"), "O1");
	assert_string_equal(tget_str(ev, "events[0].reason"), "late_at_allocation");
	assert_string_equal(tget_str(ev, "events[0].estimate"), by);
	assert_string_equal(tget_str(ev, "events[0].shipment"), ship);
	assert_true(tget_int(ev, "events[0].late_by_minutes") > 0);
	long long risk_seq = tget_int(ev, "events[0].seq");
	json_decref(ev);
	/* Right after its allocation, in the submission's own commit. */
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.allocated\"}");
	assert_int_equal(tget_int(ev, "events[0].seq"), risk_seq - 1);
	json_decref(ev);
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O1\"}");
	assert_string_equal(tget_str(o, "order.at_risk.reason"), "late_at_allocation");
	assert_string_equal(tget_str(o, "order.at_risk.estimate"), by);
	json_decref(o);
	tengine_close(&t);
}

/* ---- short picks: only the shorted part is allocated again ---- */

/* Submits acme order ID of LINES promised by PROMISE on the tpick network. */
static void tp_submit(struct tengine *t, const char *id, const char *lines, const char *promise)
{
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	             "\"lines\":%s,\"ship_to\":{\"name\":\"Ann Lee\",\"address\":\"Main 1\","
	             "\"postal_code\":\"10115\",\"country\":\"DE\",\"lat\":52.53,\"lon\":13.38},"
	             "\"service\":\"standard\",\"promised_by\":\"%s\"}}",
	             id, lines, promise));
}

static void tp_receive(struct tengine *t, const char *wh, const char *loc, const char *sku, int qty)
{
	json_decref(tcall_ok(t,
	                     "{\"op\":\"stock.receive\",\"warehouse\":\"%s\",\"location\":\"%s\","
	                     "\"tenant\":\"acme\",\"sku\":\"%s\",\"qty\":%d,\"idem_key\":"
	                     "\"r%d\"}",
	                     wh, loc, sku, qty, ++receipt));
}

/* The W1 pick task of shipment SHIP among the released ones (static buffer). */
static const char *task_of(struct tengine *t, const char *ship)
{
	static char id[64];
	json_t *n = tpick_next_in(t, "W1");
	json_t *stops = tget(n, "batch.stops");
	id[0] = '\0';
	for (size_t i = 0; i < json_array_size(stops); i++) {
		json_t *st = json_array_get(stops, i);
		if (strcmp(tget_str(st, "shipment"), ship) == 0)
			snprintf(id, sizeof(id), "%s", tget_str(st, "task"));
	}
	json_decref(n);
	if (id[0] == '\0')
		fail_msg("no task of shipment %s", ship);
	return id;
}

static json_t *short_pick(struct tengine *t, const char *task, const char *sid, long long found)
{
	return tcall_ok(t,
	                "{\"op\":\"pick.short\",\"device\":\"" TPICK_DEVICE
	                "\",\"scan_id\":\"%s\",\"task\":\"%s\",\"found\":%lld}",
	                sid, task, found);
}

static const char *ship_at(const json_t *o, int k)
{
	char path[64];
	snprintf(path, sizeof(path), "order.allocation.shipments[%d].id", k);
	return tget_str(o, path);
}

static void
test_a_shorted_part_without_stock_waits_alone_and_a_receipt_allocates_only_it(void **state)
{
	(void)state;
	struct tengine t;
	static const char *const orders[] = { "O-1" };
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	tp_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":20},{\"sku\":\"SKU-2\",\"qty\":1}]",
	          "2026-11-30T23:59:59Z");
	json_t *o = tpick_order(&t, "O-1");
	long long no = tget_int(o, "order.no");
	char s1[32], s2[32], s3[32], s4[32];
	snprintf(s1, sizeof(s1), "%s", ship_at(o, 0));
	snprintf(s2, sizeof(s2), "%s", ship_at(o, 1));
	snprintf(s3, sizeof(s3), "S%lld-3", no);
	snprintf(s4, sizeof(s4), "S%lld-4", no);
	json_decref(o);
	json_decref(tpick_release_next_in(&t, "W1"));
	json_decref(tpick_release_next_in(&t, "W2"));
	/* 5 of the 20 SKU-3 are there, and no more anywhere. */
	long long seq = tpick_last_seq(&t);
	json_t *r = short_pick(&t, task_of(&t, s1), "s1", 5);
	assert_string_equal(tget_str(r, "order_state"), "backordered");
	json_decref(r);
	o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.state"), "backordered");
	/* The missing part waits in the shorted shipment's slot, holding nothing; W2's
	 * shipment is untouched. */
	json_t *w = tget(o, "order.allocation.shipments[0]");
	assert_string_equal(tget_str(w, "id"), s3);
	assert_string_equal(tget_str(w, "state"), "backordered");
	assert_int_equal(json_array_size(tget(w, "lines")), 1);
	assert_string_equal(tget_str(w, "lines[0].sku"), "SKU-3");
	assert_int_equal(tget_int(w, "lines[0].qty"), 20);
	assert_null(tget(w, "lines[0].picks"));
	assert_string_equal(ship_at(o, 1), s2);
	assert_string_equal(tget_str(o, "order.allocation.shipments[1].state"), "waved");
	assert_string_equal(tget_str(o, "order.allocation.replaced[0].id"), s1);
	assert_string_equal(tget_str(o, "order.allocation.replaced[0].replaced_by[0]"), s3);
	json_decref(o);
	json_t *ev = tpick_events(&t, seq, "order.backordered");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].shipment"), s3);
	assert_string_equal(tget_str(ev, "events[0].replaces"), s1);
	assert_int_equal(json_array_size(tget(ev, "events[0].missing")), 1);
	assert_string_equal(tget_str(ev, "events[0].missing[0].sku"), "SKU-3");
	assert_int_equal(tget_int(ev, "events[0].missing[0].need"), 20);
	/* The 5 found are in a bin that now needs a count: not usable until counted. */
	assert_int_equal(tget_int(ev, "events[0].missing[0].available"), 0);
	assert_int_equal(json_array_size(tget(ev, "events[0].waiting")), 1);
	assert_string_equal(tget_str(ev, "events[0].waiting[0].sku"), "SKU-3");
	json_decref(ev);
	ev = tpick_events(&t, seq, "order.allocated");
	assert_int_equal(tget_int(ev, "count"), 0);
	json_decref(ev);
	tpick_assert_reservations(&t, orders, 1);
	/* W2's shipment is picked and packed meanwhile: shipment events, the order waits. */
	seq = tpick_last_seq(&t);
	assert_int_equal(tpick_pick_all_in(&t, "W2"), 1);
	r = tpick_pack_shipment(&t, "O-1", s2, "PS-2", NULL, "p2");
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	json_decref(r);
	ev = tpick_events(&t, seq, "shipment.");
	assert_true(tget_int(ev, "count") >= 2);
	json_decref(ev);
	ev = tpick_events(&t, seq, "order.");
	assert_int_equal(tget_int(ev, "count"), 0);
	json_decref(ev);
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	tpick_assert_reservations(&t, orders, 1);
	/* Stock of another sku allocates nothing. */
	tp_receive(&t, "W1", "A07-01-1", "SKU-1", 5);
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	/* SKU-3 arrives: only the waiting part is allocated, as a new shipment. */
	seq = tpick_last_seq(&t);
	tp_receive(&t, "W1", "A06-01-1", "SKU-3", 20);
	o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.state"), "allocated");
	json_t *ships = tget(o, "order.allocation.shipments");
	assert_int_equal(json_array_size(ships), 2);
	assert_string_equal(tget_str(ships, "[0].id"), s4);
	assert_string_equal(tget_str(ships, "[0].warehouse"), "W1");
	assert_string_equal(tget_str(ships, "[0].state"), "allocated");
	assert_string_equal(tget_str(ships, "[0].lines[0].picks[0].location"), "A06-01-1");
	assert_int_equal(tget_int(ships, "[0].lines[0].picks[0].qty"), 20);
	assert_string_equal(tget_str(ships, "[1].id"), s2);
	assert_string_equal(tget_str(ships, "[1].state"), "packed");
	assert_int_equal(json_array_size(tget(ships, "[1].cartons")), 1);
	assert_string_equal(tget_str(o, "order.allocation.replaced[1].id"), s3);
	assert_string_equal(tget_str(o, "order.allocation.replaced[1].state"), "filled");
	assert_string_equal(tget_str(o, "order.allocation.replaced[1].replaced_by[0]"), s4);
	json_decref(o);
	ev = tpick_events(&t, seq, "order.allocated");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].from"), "backordered");
	assert_int_equal(json_array_size(tget(ev, "events[0].shipments")), 1);
	assert_string_equal(tget_str(ev, "events[0].shipments[0].id"), s4);
	assert_string_equal(tget_str(ev, "events[0].replaces"), s3);
	json_decref(ev);
	tpick_assert_reservations(&t, orders, 1);
	/* The part is off the backorder list: more stock allocates nothing more. */
	seq = tpick_last_seq(&t);
	tp_receive(&t, "W1", "A08-01-1", "SKU-3", 20);
	ev = tpick_events(&t, seq, "order.");
	assert_int_equal(tget_int(ev, "count"), 0);
	json_decref(ev);
	tpick_assert_reservations(&t, orders, 1);
	tengine_close(&t);
}

/*
 * The split order O-1 of the tpick network (SKU-3 x 20 from W1, SKU-2 x 1 from W2) with W1's
 * shipment shorted and no SKU-3 left: slot 0 is the waiting part. W2's shipment is shipped
 * and delivered. Returns the delivery's tracking number (static buffer).
 */
static const char *deliver_beside_a_waiting_part(struct tengine *t)
{
	static char tracking[48];
	tengine_open(t);
	tpick_seed(t);
	tpick_split_stock(t);
	tp_submit(t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":20},{\"sku\":\"SKU-2\",\"qty\":1}]",
	          "2026-11-30T23:59:59Z");
	json_t *o = tpick_order(t, "O-1");
	char s1[32], s2[32];
	snprintf(s1, sizeof(s1), "%s", ship_at(o, 0));
	snprintf(s2, sizeof(s2), "%s", ship_at(o, 1));
	json_decref(o);
	json_decref(tpick_release_next_in(t, "W1"));
	json_decref(tpick_release_next_in(t, "W2"));
	json_decref(short_pick(t, task_of(t, s1), "s1", 5));
	assert_int_equal(tpick_pick_all_in(t, "W2"), 1);
	json_decref(tpick_pack_shipment(t, "O-1", s2, "PS-2", NULL, "p"));
	json_t *r = tcall_ok(t, "{\"op\":\"ship.confirm\",\"shipment\":\"%s\"}", s2);
	snprintf(tracking, sizeof(tracking), "%s", tget_str(r, "tracking"));
	json_decref(r);
	o = tpick_order(t, "O-1");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].state"), "backordered");
	assert_null(tget(o, "order.allocation.shipments[0].warehouse"));
	json_decref(o);
	tclock_reach(t, "2026-11-26T11:00:00Z");
	json_decref(tcall_ok(t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
	                     "\"delivered\",\"at\":\"2026-11-26T11:00:00Z\"}",
	                     tracking));
	return tracking;
}

static void test_a_delivered_shipment_of_an_order_waiting_for_a_part_is_not_in_full(void **state)
{
	(void)state;
	struct tengine t;
	deliver_beside_a_waiting_part(&t);
	json_t *ev = tpick_events(&t, 0, "shipment.delivered");
	assert_int_equal(tget_int(ev, "count"), 1);
	/* 20 x SKU-3 are still waiting for stock: the customer has one line of two. */
	assert_false(json_is_true(tget(ev, "events[0].in_full")));
	json_decref(ev);
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	tengine_close(&t);
}

static void
test_otif_groups_an_order_whose_first_slot_waits_under_the_warehouse_it_ships_from(void **state)
{
	(void)state;
	struct tengine t;
	deliver_beside_a_waiting_part(&t);
	static const char *const by[][2] = { { "warehouse", "W2" }, { "carrier", "DHL" } };
	for (size_t i = 0; i < 2; i++) {
		json_t *r = tcall_ok(&t,
		                     "{\"op\":\"report.otif\",\"from\":\"2026-11-01T00:00:00Z\","
		                     "\"to\":\"2026-12-31T00:00:00Z\",\"by\":\"%s\"}",
		                     by[i][0]);
		assert_int_equal(json_array_size(tget(r, "groups")), 1);
		assert_string_equal(tget_str(r, "groups[0].group"), by[i][1]);
		assert_int_equal(tget_int(r, "groups[0].orders"), 1);
		assert_int_equal(tget_int(r, "groups[0].otif"), 0);
		json_decref(r);
	}
	tengine_close(&t);
}

static void test_waiting_parts_are_allocated_oldest_promise_first(void **state)
{
	(void)state;
	struct tengine t;
	static const char *const orders[] = { "LATER", "SOONER" };
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	const char *lines = "[{\"sku\":\"SKU-3\",\"qty\":10},{\"sku\":\"SKU-2\",\"qty\":1}]";
	tp_submit(&t, "LATER", lines, "2026-12-10T23:59:59Z");
	tp_submit(&t, "SOONER", lines, "2026-12-01T23:59:59Z");
	json_t *a = tpick_order(&t, "LATER"), *b = tpick_order(&t, "SOONER");
	char la[32], so[32];
	snprintf(la, sizeof(la), "%s", ship_at(a, 0));
	snprintf(so, sizeof(so), "%s", ship_at(b, 0));
	assert_string_equal(tget_str(a, "order.allocation.decision"), "split");
	assert_string_equal(tget_str(b, "order.allocation.decision"), "split");
	json_decref(a);
	json_decref(b);
	json_decref(tpick_release_next_in(&t, "W1"));
	/* Both W1 parts are short: each finds none of its 10, and W1's 20 are written off. */
	char task[64];
	snprintf(task, sizeof(task), "%s", task_of(&t, la));
	json_decref(short_pick(&t, task, "s1", 0));
	snprintf(task, sizeof(task), "%s", task_of(&t, so));
	json_decref(short_pick(&t, task, "s2", 0));
	assert_string_equal(tpick_order_state(&t, "LATER"), "backordered");
	assert_string_equal(tpick_order_state(&t, "SOONER"), "backordered");
	tpick_assert_reservations(&t, orders, 2);
	/* Enough for one: the sooner promise gets it. */
	tp_receive(&t, "W1", "A06-01-1", "SKU-3", 10);
	assert_string_equal(tpick_order_state(&t, "SOONER"), "allocated");
	assert_string_equal(tpick_order_state(&t, "LATER"), "backordered");
	tpick_assert_reservations(&t, orders, 2);
	tp_receive(&t, "W1", "A06-02-1", "SKU-3", 10);
	assert_string_equal(tpick_order_state(&t, "LATER"), "allocated");
	tpick_assert_reservations(&t, orders, 2);
	tengine_close(&t);
}

static void test_cancelling_an_order_waiting_for_a_part_gives_back_what_the_rest_holds(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	tp_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":20},{\"sku\":\"SKU-2\",\"qty\":1}]",
	          "2026-11-30T23:59:59Z");
	json_t *o = tpick_order(&t, "O-1");
	char s1[32];
	snprintf(s1, sizeof(s1), "%s", ship_at(o, 0));
	json_decref(o);
	json_decref(tpick_release_next_in(&t, "W1"));
	json_decref(short_pick(&t, task_of(&t, s1), "s1", 5));
	assert_string_equal(tpick_order_state(&t, "O-1"), "backordered");
	json_t *s = tpick_stock(&t, "SKU-2", NULL);
	assert_int_equal(tget_int(s, "reserved"), 1); /* W2's shipment */
	json_decref(s);
	json_decref(tcall_ok(&t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"O-1\"}"));
	s = tpick_stock(&t, "SKU-2", NULL);
	assert_int_equal(tget_int(s, "reserved"), 0);
	json_decref(s);
	/* Off the backorder list too: new stock leaves it cancelled. */
	tp_receive(&t, "W1", "A06-01-1", "SKU-3", 20);
	assert_string_equal(tpick_order_state(&t, "O-1"), "cancelled");
	s = tpick_stock(&t, "SKU-3", NULL);
	assert_int_equal(tget_int(s, "reserved"), 0);
	json_decref(s);
	tengine_close(&t);
}

static void test_a_part_reallocated_while_the_order_stays_allocated_is_still_announced(void **state)
{
	(void)state;
	struct tengine t;
	static const char *const orders[] = { "O-1" };
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	tp_receive(&t, "W1", "A05-01-1", "SKU-3", 30);
	tp_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":20},{\"sku\":\"SKU-2\",\"qty\":1}]",
	          "2026-11-30T23:59:59Z");
	json_t *o = tpick_order(&t, "O-1");
	char s1[32];
	snprintf(s1, sizeof(s1), "%s", ship_at(o, 0));
	json_decref(o);
	/* Only W1 is waved: W2's shipment is still allocated, and so is the order. */
	json_decref(tpick_release_next_in(&t, "W1"));
	assert_string_equal(tpick_order_state(&t, "O-1"), "allocated");
	long long seq = tpick_last_seq(&t);
	json_decref(short_pick(&t, task_of(&t, s1), "s1", 0));
	json_t *ev = tpick_events(&t, seq, "order.allocated");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].state"), "allocated");
	assert_string_equal(tget_str(ev, "events[0].from"), "allocated");
	assert_string_equal(tget_str(ev, "events[0].replaces"), s1);
	json_decref(ev);
	assert_string_equal(tpick_order_state(&t, "O-1"), "allocated");
	tpick_assert_reservations(&t, orders, 1);
	/* Both shipments are in their warehouses' wave queues. */
	json_t *p = tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\"}");
	assert_int_equal(tget_int(p, "waves[0].orders"), 1);
	json_decref(p);
	p = tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W2\"}");
	assert_int_equal(tget_int(p, "waves[0].orders"), 1);
	json_decref(p);
	tengine_close(&t);
}

/* ---- the demo network ---- */

/* What a warehouse holds of (tenant, sku) that an order promised by PROMISE may use. */
static json_t *usable_book(const json_t *net, const char *promise)
{
	json_t *book = json_object();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(net, "stock"), i, st)
	{
		const char *exp = tget_str(st, "expiry");
		/* A lot is good to the end of its expiry date; the promise is a time that day. */
		if (exp && strncmp(exp, promise, 10) < 0)
			continue;
		char k[200];
		snprintf(k, sizeof(k), "%s|%s|%s", tget_str(st, "warehouse"),
		         tget_str(st, "tenant"), tget_str(st, "sku"));
		json_object_set_new(book, k, json_integer(tget_int(book, k) + tget_int(st, "qty")));
	}
	return book;
}

static long long book_get(json_t *book, const char *wh, const char *tenant, const char *sku)
{
	char k[200];
	snprintf(k, sizeof(k), "%s|%s|%s", wh, tenant, sku);
	return (long long)json_integer_value(json_object_get(book, k));
}

static void book_take(json_t *book, const char *wh, const char *tenant, const char *sku,
                      long long q)
{
	char k[200];
	snprintf(k, sizeof(k), "%s|%s|%s", wh, tenant, sku);
	json_object_set_new(book, k, json_integer(book_get(book, wh, tenant, sku) - q));
}

static void test_on_the_demo_network_an_order_one_warehouse_can_fill_ships_from_one(void **state)
{
	(void)state;
	static const char *const whs[] = { "EWR1", "ORD1", "RNO1" };
	const char *promise = "2026-12-04T23:00:00Z";
	struct tengine t;
	char path[PATH_MAX];
	struct wms_error err = WMS_ERROR_INIT;
	size_t loaded;
	tengine_open(&t);
	if (wms_engine_seed(t.e, proc_root_path("engine/demo/network.json", path), &loaded, &err))
		fail_msg("seed: %s", err.message);
	json_error_t jerr;
	json_t *net = json_load_file(path, 0, &jerr);
	assert_non_null(net);
	json_t *book = usable_book(net, promise);
	json_t *items = json_object_get(net, "items");
	unsigned long long x = 42;
	int singles = 0, could = 0;
	for (int n = 0; n < 300; n++) {
		/* A deterministic mix of 1-4 lines of one tenant's items. */
		const char *tenant = n % 3 ? "acme" : "globex";
		json_t *lines = json_array();
		int nl = 1 + (int)((x = x * 6364136223846793005ULL + 1) >> 33) % 4;
		for (int k = 0; k < nl; k++) {
			json_t *it;
			do {
				x = x * 6364136223846793005ULL + 1;
				it = json_array_get(items,
				                    (size_t)((x >> 33) % json_array_size(items)));
			} while (strcmp(tget_str(it, "tenant"), tenant) != 0);
			bool dup = false;
			for (size_t q = 0; q < json_array_size(lines); q++)
				dup |= strcmp(tget_str(json_array_get(lines, q), "sku"),
				              tget_str(it, "sku")) == 0;
			if (!dup)
				json_array_append_new(lines, json_pack("{s:s, s:i}", "sku",
				                                       tget_str(it, "sku"), "qty",
				                                       1 + (int)(x >> 40) % 3));
		}
		/* The test's own answer: can one warehouse fill it all? */
		bool one = false;
		for (int w = 0; w < 3 && !one; w++) {
			bool all = true;
			for (size_t q = 0; q < json_array_size(lines); q++) {
				json_t *l = json_array_get(lines, q);
				all &= book_get(book, whs[w], tenant, tget_str(l, "sku")) >=
				       tget_int(l, "qty");
			}
			one = all;
		}
		char *ltext = json_dumps(lines, JSON_COMPACT);
		json_t *r = tcall_ok(
		    &t,
		    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"%s\",\"id\":"
		    "\"DEMO-%d\",\"lines\":%s,\"ship_to\":{\"name\":\"A\",\"address\":"
		    "\"1 Main St\",\"postal_code\":\"10001\",\"country\":\"US\",\"lat\":"
		    "40.75,\"lon\":-73.99},\"service\":\"standard\",\"promised_by\":\"%s\"}}",
		    tenant, n, ltext, promise);
		free(ltext);
		const char *decision = tget_str(r, "order.allocation.decision");
		could += one;
		if (one) {
			if (strcmp(decision, "single") != 0)
				fail_msg("DEMO-%d: one warehouse could fill it, decision %s: %s", n,
				         decision, tget_str(r, "order.allocation.reason"));
			singles++;
		} else {
			assert_string_not_equal(decision, "single");
			if (strcmp(tenant, "globex") == 0) /* globex never splits */
				assert_string_equal(decision, "backorder");
		}
		/* Keep the book in step with what the engine reserved. */
		json_t *ships = tget(r, "order.allocation.shipments");
		for (size_t si = 0; si < json_array_size(ships); si++) {
			json_t *sh = json_array_get(ships, si);
			for (size_t q = 0; q < json_array_size(json_object_get(sh, "lines")); q++) {
				json_t *l = json_array_get(json_object_get(sh, "lines"), q);
				book_take(book, tget_str(sh, "warehouse"), tenant,
				          tget_str(l, "sku"), tget_int(l, "qty"));
			}
		}
		json_decref(r);
		json_decref(lines);
	}
	/* The network is stocked so that most orders can ship whole from one place. */
	assert_true(could > 200);
	assert_int_equal(singles, could);
	json_decref(book);
	json_decref(net);
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
		cmocka_unit_test(
		    test_an_order_late_at_allocation_is_at_risk_at_once_with_its_estimate),
		cmocka_unit_test(
		    test_a_shorted_part_without_stock_waits_alone_and_a_receipt_allocates_only_it),
		cmocka_unit_test(
		    test_a_delivered_shipment_of_an_order_waiting_for_a_part_is_not_in_full),
		cmocka_unit_test(
		    test_otif_groups_an_order_whose_first_slot_waits_under_the_warehouse_it_ships_from),
		cmocka_unit_test(test_waiting_parts_are_allocated_oldest_promise_first),
		cmocka_unit_test(
		    test_a_part_reallocated_while_the_order_stays_allocated_is_still_announced),
		cmocka_unit_test(
		    test_cancelling_an_order_waiting_for_a_part_gives_back_what_the_rest_holds),
		cmocka_unit_test(
		    test_on_the_demo_network_an_order_one_warehouse_can_fill_ships_from_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
