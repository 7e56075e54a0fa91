/*
 * Returns and the OTIF report (returns.h) through the engine's ops, on orders that went
 * through the floor and were delivered (tflow.h): what return.authorize refuses and names,
 * replacement orders that never collide, return.grade restocking under the lot rules of
 * stock.receive, and report.otif's days.
 * Network: tseed_basic (W1 in UTC, DHL standard 17:00 +2 days, SKU-1..5 at A0k-01-1) plus the
 * lot-tracked LOT-1 (lot L1, expiry 2027-03-31, 10 units at A06-01-1).
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

#define PROMISE "2026-11-28T00:00:00Z"

static void open_network(struct tengine *t)
{
	tengine_open(t);
	tseed_basic(t);
	json_decref(tcall_ok(t, "{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":"
	                        "\"LOT-1\",\"gtins\":[\"4006381334006\"],\"weight_g\":50,"
	                        "\"lot_tracked\":true}}"));
	json_decref(tcall_ok(t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                        "\"A06-01-1\",\"tenant\":\"acme\",\"sku\":\"LOT-1\",\"qty\":10,"
	                        "\"lot\":\"L1\",\"expiry\":\"2027-03-31\",\"idem_key\":\"lot\"}"));
}

static void submit(struct tengine *t, const char *id, const char *lines)
{
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	             "\"lines\":%s,\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	             "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":"
	             "\"standard\",\"promised_by\":\"" PROMISE "\"}}",
	             id, lines));
}

/* Every queued order through the floor, shipped and delivered: orders IDS[0..N). */
static void deliver_all(struct tengine *t, const char *const *ids, size_t n)
{
	tflow_release(t, "W1");
	tflow_pick_all(t, "W1", "P1");
	assert_int_equal(tflow_pack(t, "PS-1", "acme", ids, n), (int)n);
	for (size_t i = 0; i < n; i++) {
		const char *tr = tflow_ship(t, "acme", ids[i]);
		assert_non_null(tr);
		tclock_reach(t, "2026-11-26T10:00:00Z");
		json_decref(tcall_ok(t,
		                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
		                     "\"delivered\",\"at\":\"2026-11-26T10:00:00Z\"}",
		                     tr));
	}
}

static json_t *stock_at(struct tengine *t, const char *sku, const char *location)
{
	return tcall_ok(t,
	                "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"%s\",\"warehouse\":"
	                "\"W1\",\"location\":\"%s\"}",
	                sku, location);
}

static void test_a_return_of_an_unknown_order_names_the_order_field(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	json_t *r = tcall_err(&t, "not_found",
	                      "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":\"NOPE\","
	                      "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1,\"reason\":\"unwanted\"}]}");
	assert_string_equal(tget_str(r, "error.field"), "order");
	assert_non_null(strstr(tget_str(r, "error.message"), "NOPE"));
	json_decref(r);
	tengine_close(&t);
}

static void test_restocking_follows_the_lot_rules_of_stock_receive(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	submit(&t, "O-1", "[{\"sku\":\"LOT-1\",\"qty\":2},{\"sku\":\"SKU-1\",\"qty\":1}]");
	const char *ids[] = { "O-1" };
	deliver_all(&t, ids, 1);
	json_t *a = tcall_ok(&t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":"
	                         "\"O-1\",\"lines\":[{\"sku\":\"LOT-1\",\"qty\":2,\"reason\":"
	                         "\"unwanted\"},{\"sku\":\"SKU-1\",\"qty\":1,\"reason\":"
	                         "\"unwanted\"}]}");
	char rma[64];
	snprintf(rma, sizeof(rma), "%s", tget_str(a, "return.rma"));
	json_decref(a);
	json_t *rec = tcall_ok(&t,
	                       "{\"op\":\"return.receive\",\"rma\":\"%s\",\"codes\":["
	                       "\"(01)04006381334006(10)L1\",\"4006381334006\",\"4006381333931\"]}",
	                       rma);
	assert_int_equal(json_array_size(tget(rec, "accepted")), 3);
	json_decref(rec);
	/* A lot-tracked item goes back under a lot: without one it is missing_field. */
	json_t *r = tcall_err(&t, "missing_field",
	                      "{\"op\":\"return.grade\",\"rma\":\"%s\",\"lines\":[{\"sku\":"
	                      "\"LOT-1\",\"qty\":2,\"grade\":\"restock\",\"location\":"
	                      "\"A07-01-1\"}]}",
	                      rma);
	assert_string_equal(tget_str(r, "error.field"), "lines[0].lot");
	json_decref(r);
	/* A lot the warehouse never received has no known expiry: not_found, as stock.adjust. */
	r = tcall_err(&t, "not_found",
	              "{\"op\":\"return.grade\",\"rma\":\"%s\",\"lines\":[{\"sku\":\"LOT-1\","
	              "\"qty\":2,\"grade\":\"restock\",\"location\":\"A07-01-1\",\"lot\":\"L9\"}]}",
	              rma);
	assert_string_equal(tget_str(r, "error.field"), "lines[0].lot");
	json_decref(r);
	/* An untracked item never goes into a lot: bad_value, as stock.receive. */
	r = tcall_err(&t, "bad_value",
	              "{\"op\":\"return.grade\",\"rma\":\"%s\",\"lines\":[{\"sku\":\"LOT-1\","
	              "\"qty\":2,\"grade\":\"restock\",\"location\":\"A07-01-1\",\"lot\":\"L1\"},"
	              "{\"sku\":\"SKU-1\",\"qty\":1,\"grade\":\"restock\",\"location\":"
	              "\"A01-01-1\",\"lot\":\"L1\"}]}",
	              rma);
	assert_string_equal(tget_str(r, "error.field"), "lines[1].lot");
	json_decref(r);
	/* The refusals changed nothing: no stock of LOT-1 at the new location yet. */
	json_t *s = stock_at(&t, "LOT-1", "A07-01-1");
	assert_int_equal(json_array_size(tget(s, "rows")), 0);
	json_decref(s);
	/* Under its lot, at a new location, the units come back with the lot's expiry. */
	json_t *g =
	    tcall_ok(&t,
	             "{\"op\":\"return.grade\",\"rma\":\"%s\",\"lines\":[{\"sku\":\"LOT-1\","
	             "\"qty\":2,\"grade\":\"restock\",\"location\":\"A07-01-1\",\"lot\":"
	             "\"L1\"},{\"sku\":\"SKU-1\",\"qty\":1,\"grade\":\"restock\","
	             "\"location\":\"A01-01-1\"}]}",
	             rma);
	assert_string_equal(tget_str(g, "state"), "closed");
	assert_int_equal(tget_int(g, "restocked"), 3);
	json_decref(g);
	s = stock_at(&t, "LOT-1", "A07-01-1");
	assert_int_equal(json_array_size(tget(s, "rows")), 1);
	assert_string_equal(tget_str(s, "rows[0].lot"), "L1");
	assert_string_equal(tget_str(s, "rows[0].expiry"), "2027-03-31");
	assert_int_equal(tget_int(s, "rows[0].on_hand"), 2);
	json_decref(s);
	s = stock_at(&t, "SKU-1", "A01-01-1");
	assert_null(tget(s, "rows[0].lot"));
	assert_int_equal(tget_int(s, "rows[0].on_hand"), 100);
	json_decref(s);
	tengine_close(&t);
}

/* return.authorize of one exchange of SKU-1 in order ID for SKU: the replacement's id. */
static void exchange(struct tengine *t, const char *id, const char *sku, char out[80])
{
	json_t *r = tcall_ok(t,
	                     "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":\"%s\","
	                     "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1,\"reason\":\"exchange\","
	                     "\"exchange_sku\":\"%s\"}]}",
	                     id, sku);
	snprintf(out, 80, "%s", tget_str(r, "return.replacement"));
	json_decref(r);
}

/* The sku of the replacement order ID's only line. */
static void assert_replacement_ships(struct tengine *t, const char *id, const char *sku)
{
	json_t *o = tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
	assert_string_equal(tget_str(o, "order.lines[0].sku"), sku);
	assert_int_equal(tget_int(o, "order.priority"), 9);
	json_decref(o);
}

static void test_replacement_orders_of_long_ids_alike_never_collide(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	/* Two 64-character ids that differ only after their 60th character. */
	const char *a = "LONG-ORDER-ID-OF-AN-OMS-THAT-NUMBERS-EVERYTHING-00000000000-AAAA";
	const char *b = "LONG-ORDER-ID-OF-AN-OMS-THAT-NUMBERS-EVERYTHING-00000000000-BBBB";
	assert_int_equal(strlen(a), 64);
	submit(&t, a, "[{\"sku\":\"SKU-1\",\"qty\":1}]");
	submit(&t, b, "[{\"sku\":\"SKU-1\",\"qty\":1}]");
	/* And an OMS order already named like the next replacement of "X". */
	submit(&t, "X", "[{\"sku\":\"SKU-1\",\"qty\":1}]");
	submit(&t, "X-R1", "[{\"sku\":\"SKU-5\",\"qty\":1}]");
	const char *ids[] = { a, b, "X" };
	deliver_all(&t, ids, 3);
	char ra[80], rb[80], rx[80];
	exchange(&t, a, "SKU-2", ra);
	exchange(&t, b, "SKU-3", rb);
	exchange(&t, "X", "SKU-4", rx);
	assert_string_not_equal(ra, rb);
	assert_true(strlen(ra) <= 64 && strlen(rb) <= 64);
	/* Each replacement is a new order with its own line, not another's answered again. */
	assert_replacement_ships(&t, ra, "SKU-2");
	assert_replacement_ships(&t, rb, "SKU-3");
	assert_string_not_equal(rx, "X-R1");
	assert_replacement_ships(&t, rx, "SKU-4");
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"X-R1\"}");
	assert_string_equal(tget_str(o, "order.lines[0].sku"), "SKU-5");
	json_decref(o);
	/* The originals list their own. */
	o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", b);
	assert_string_equal(tget_str(o, "order.replacements[0]"), rb);
	json_decref(o);
	tengine_close(&t);
}

/* W1 of tseed_basic moved to ZONE with CARRIERS (a JSON array). */
static void put_w1(struct tengine *t, const char *zone, const char *carriers)
{
	json_decref(tcall_ok(t,
	                     "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":"
	                     "\"One\",\"timezone\":\"%s\",\"location\":{\"lat\":52.52,\"lon\":"
	                     "13.40},\"layout\":{\"aisles\":10,\"slots_per_side\":45,"
	                     "\"slot_length\":1,\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,"
	                     "\"depot\":{\"aisle\":1}},\"carriers\":%s}}",
	                     zone, carriers));
}

/* Express like a US network's: weekdays only, 17:00 local, two days. */
#define WEEKDAY_EXPRESS(carrier, cutoff, days)                                                     \
	"{\"carrier\":\"" carrier "\",\"service\":\"express\",\"cutoff\":\"" cutoff                \
	"\",\"transit_days\":" days ",\"cost\":15.8,\"days\":[\"mon\",\"tue\",\"wed\","            \
	"\"thu\",\"fri\"]}"

/* O-1 (one SKU-1) delivered; then the clock on a Sunday evening, 13:00 in New York. */
static void delivered_then_sunday_evening(struct tengine *t)
{
	submit(t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":1}]");
	const char *ids[] = { "O-1" };
	deliver_all(t, ids, 1);
	json_decref(tcall_ok(t, "{\"op\":\"clock.set\",\"at\":\"2026-12-06T18:00:00Z\"}"));
}

/* A wrong_item return of O-1's SKU-1: the replacement order, as order.get shows it. */
static json_t *wrong_item_replacement(struct tengine *t)
{
	json_t *a = tcall_ok(t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":"
	                        "\"O-1\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1,\"reason\":"
	                        "\"wrong_item\"}]}");
	assert_string_equal(tget_str(a, "return.compensation.kind"), "replacement_express");
	json_t *o = tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}",
	                     tget_str(a, "return.replacement"));
	json_decref(a);
	return o;
}

/* No order.at_risk in ORDER's timeline (order.get): the customer hears of no delay. */
static void assert_never_at_risk(const json_t *order)
{
	size_t i;
	json_t *e;
	json_array_foreach(tget(order, "order.timeline"), i, e)
	{
		if (strcmp(tget_str(e, "type"), "order.at_risk") == 0)
			fail_msg("replacement at risk: %s", tget_str(e, "reason"));
	}
}

/*
 * The new-user trial: a wrong item reported on a Sunday evening got a replacement promised
 * "now + 3 days", which no weekday express leaving on Monday can keep by the end of the local
 * Wednesday; the customer was told of the replacement and of its delay at once. The promise
 * is the end of Wednesday in New York, when the express that leaves on Monday is due.
 */
static void test_a_wrong_item_replacement_authorised_on_a_sunday_evening_is_on_time(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	delivered_then_sunday_evening(&t);
	put_w1(&t, "America/New_York",
	       "[{\"carrier\":\"UPS\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	       "\"transit_days\":4,\"cost\":7.45}," WEEKDAY_EXPRESS("UPS", "17:00", "2") "]");
	json_t *o = wrong_item_replacement(&t);
	assert_true(json_is_true(tget(o, "order.allocation.shipments[0].on_time")));
	assert_true(json_is_true(tget(o, "order.on_time")));
	assert_never_at_risk(o);
	assert_string_equal(tget_str(o, "order.service"), "express");
	assert_string_equal(tget_str(o, "order.promised_by"), "2026-12-10T04:59:59.999Z");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].delivery_by"),
	                    "2026-12-10T04:59:59.999Z");
	json_decref(o);
	tengine_close(&t);
}

/*
 * The replacement is promised before allocation chooses its warehouse: when the one that
 * shipped the wrong item has no more of it, the slower one that has it still keeps the
 * promise.
 */
static void test_a_replacement_from_a_slower_warehouse_still_keeps_its_promise(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	delivered_then_sunday_evening(&t);
	put_w1(&t, "America/New_York", "[" WEEKDAY_EXPRESS("UPS", "17:00", "2") "]");
	json_decref(tcall_ok(&t, "{\"op\":\"stock.adjust\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A01-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\","
	                         "\"delta\":-99}"));
	json_decref(tcall_ok(
	    &t,
	    "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W2\",\"name\":\"Two\","
	    "\"timezone\":\"America/Los_Angeles\",\"location\":{\"lat\":39.5,\"lon\":"
	    "-119.7},\"layout\":{\"aisles\":4,\"slots_per_side\":10,\"slot_length\":1,"
	    "\"aisle_spacing\":5},\"carriers\":[" WEEKDAY_EXPRESS("FedEx", "16:00", "3") "]}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W2\",\"location\":"
	                         "\"A01-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":5,"
	                         "\"idem_key\":\"w2\"}"));
	json_t *o = wrong_item_replacement(&t);
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].warehouse"), "W2");
	assert_true(json_is_true(tget(o, "order.allocation.shipments[0].on_time")));
	assert_never_at_risk(o);
	/* FedEx leaves Reno on Monday and is due by the end of Thursday, Pacific time. */
	assert_string_equal(tget_str(o, "order.promised_by"), "2026-12-11T07:59:59.999Z");
	json_decref(o);
	tengine_close(&t);
}

/*
 * What a returned unit comes to is the reason of its return line: a wrong item was replaced,
 * an unwanted one is refunded. The receive and grade events say it per line, and name the
 * replacement, so that a customer is not promised a refund for what was replaced.
 */
static void test_received_and_graded_returns_say_each_lines_reason_and_the_replacement(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":1},{\"sku\":\"SKU-2\",\"qty\":1}]");
	const char *ids[] = { "O-1" };
	deliver_all(&t, ids, 1);
	json_t *a = tcall_ok(&t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":"
	                         "\"O-1\",\"rma\":\"RMA-9\",\"lines\":[{\"sku\":\"SKU-1\","
	                         "\"qty\":1,\"reason\":\"wrong_item\"},{\"sku\":\"SKU-2\","
	                         "\"qty\":1,\"reason\":\"unwanted\"}]}");
	assert_string_equal(tget_str(a, "return.replacement"), "O-1-R1");
	json_decref(a);
	json_t *r = tcall_ok(&t, "{\"op\":\"return.receive\",\"rma\":\"RMA-9\",\"codes\":["
	                         "\"4006381333931\",\"09506000134352\"]}");
	assert_string_equal(tget_str(r, "accepted[0].reason"), "wrong_item");
	assert_string_equal(tget_str(r, "accepted[1].reason"), "unwanted");
	json_decref(r);
	json_decref(tcall_ok(&t, "{\"op\":\"return.grade\",\"rma\":\"RMA-9\",\"lines\":["
	                         "{\"sku\":\"SKU-2\",\"qty\":1,\"grade\":\"quarantine\"},"
	                         "{\"sku\":\"SKU-1\",\"qty\":1,\"grade\":\"quarantine\"}]}"));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"return.\"}");
	assert_int_equal(tget_int(ev, "count"), 3);
	assert_string_equal(tget_str(ev, "events[1].type"), "return.received");
	assert_string_equal(tget_str(ev, "events[1].replacement"), "O-1-R1");
	assert_string_equal(tget_str(ev, "events[1].lines[0].reason"), "wrong_item");
	assert_string_equal(tget_str(ev, "events[2].type"), "return.graded");
	assert_string_equal(tget_str(ev, "events[2].replacement"), "O-1-R1");
	assert_string_equal(tget_str(ev, "events[2].lines[0].sku"), "SKU-2");
	assert_string_equal(tget_str(ev, "events[2].lines[0].reason"), "unwanted");
	assert_string_equal(tget_str(ev, "events[2].lines[1].reason"), "wrong_item");
	json_decref(ev);
	/* A return with nothing replaced names no replacement. */
	submit(&t, "O-2", "[{\"sku\":\"SKU-3\",\"qty\":1}]");
	const char *ids2[] = { "O-2" };
	deliver_all(&t, ids2, 1);
	json_decref(tcall_ok(&t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":"
	                         "\"O-2\",\"rma\":\"RMA-10\",\"lines\":[{\"sku\":\"SKU-3\","
	                         "\"qty\":1,\"reason\":\"damaged\"}]}"));
	json_decref(tcall_ok(&t, "{\"op\":\"return.receive\",\"rma\":\"RMA-10\",\"codes\":["
	                         "\"96385074\"]}"));
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"return.received\"}");
	assert_int_equal(tget_int(ev, "count"), 2);
	assert_string_equal(tget_str(ev, "events[1].lines[0].reason"), "damaged");
	assert_null(tget(ev, "events[1].replacement"));
	json_decref(ev);
	tengine_close(&t);
}

static void test_otif_by_day_groups_on_the_utc_date_of_the_promise(void **state)
{
	(void)state;
	struct tengine t;
	open_network(&t);
	/* 01:00 on the 28th at +02:00 is 23:00 UTC on the 27th. */
	json_decref(
	    tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"O-1\","
	                 "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\","
	                 "\"address\":\"Main 1\",\"postal_code\":\"10115\",\"country\":\"DE\"},"
	                 "\"service\":\"standard\",\"promised_by\":"
	                 "\"2026-11-28T01:00:00+02:00\"}}"));
	json_t *rep = tcall_ok(&t, "{\"op\":\"report.otif\",\"from\":\"2026-11-27T00:00:00Z\","
	                           "\"to\":\"2026-11-29T00:00:00Z\",\"by\":\"day\"}");
	assert_int_equal(json_array_size(tget(rep, "groups")), 1);
	assert_string_equal(tget_str(rep, "groups[0].group"), "2026-11-27");
	assert_int_equal(tget_int(rep, "groups[0].orders"), 1);
	json_decref(rep);
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_return_of_an_unknown_order_names_the_order_field),
		cmocka_unit_test(test_restocking_follows_the_lot_rules_of_stock_receive),
		cmocka_unit_test(test_replacement_orders_of_long_ids_alike_never_collide),
		cmocka_unit_test(
		    test_a_wrong_item_replacement_authorised_on_a_sunday_evening_is_on_time),
		cmocka_unit_test(
		    test_a_replacement_from_a_slower_warehouse_still_keeps_its_promise),
		cmocka_unit_test(
		    test_received_and_graded_returns_say_each_lines_reason_and_the_replacement),
		cmocka_unit_test(test_otif_by_day_groups_on_the_utc_date_of_the_promise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
