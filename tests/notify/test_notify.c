/*
 * test_notify.c - which events a customer hears about, and in which words (wms/notify.h).
 *
 * Each test gets a fresh notifier and feeds it events as JSON text, then checks the messages:
 * their kind and channel, and the facts the text must carry (order, carrier, tracking, dates
 * in people's words). Exact texts are asserted only where the wording is part of the contract
 * (the shipped example of the issue).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tengine.h"
#include "tflow.h"
#include "wms/notify.h"

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)

#define assert_lacks(hay, needle)                                                                  \
	do {                                                                                       \
		if (strstr((hay), (needle)) != NULL)                                               \
			fail_msg("did not expect \"%s\" in:\n%s", (needle), (hay));                \
	} while (0)

static int fresh(void **state)
{
	struct wms_notify *n;
	if (wms_notify_new(NULL, &n) != 0)
		return -1;
	*state = n;
	return 0;
}

static int release(void **state)
{
	wms_notify_free(*state);
	return 0;
}

/* Feeds one event (JSON text) and returns what it produced; the event must be accepted. */
static struct wms_notify_out feed(struct wms_notify *n, const char *text)
{
	struct wms_notify_out out;
	json_error_t jerr;
	json_t *ev = json_loads(text, 0, &jerr);
	if (ev == NULL)
		fail_msg("bad test event (%s): %s", jerr.text, text);
	int rc = wms_notify_event(n, ev, &out);
	json_decref(ev);
	if (rc != 0)
		fail_msg("event refused with %s: %s", wms_errname(rc), text);
	return out;
}

/* Feeds an event that must produce exactly one message of KIND by email; returns it. */
static struct wms_notify_msg one(struct wms_notify *n, const char *kind, const char *text)
{
	struct wms_notify_out out = feed(n, text);
	if (out.n != 1)
		fail_msg("expected 1 message, got %zu for %s", out.n, text);
	assert_string_equal(out.msg[0].kind, kind);
	assert_string_equal(out.msg[0].channel, "email");
	assert_string_equal(out.msg[0].tenant, "acme");
	return out.msg[0];
}

#define EV(seq, type, at, rest)                                                                    \
	"{\"seq\":" #seq ",\"type\":\"" type "\",\"at\":\"" at "\",\"tenant\":\"acme\","           \
	"\"order\":\"SO-1001\"" rest "}"

/* ---- one kind each ---- */

static void test_order_received_thanks_the_customer_with_items_and_promised_day(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "received",
	        EV(5, "order.received", "2026-11-23T09:00:00Z",
	           ",\"no\":7,\"service\":\"standard\",\"promised_by\":\"2026-11-26T23:59:59Z\","
	           "\"lines\":[{\"sku\":\"A\",\"qty\":2},{\"sku\":\"B\",\"qty\":1}]"));
	assert_int_equal(m.seq, 5);
	assert_string_equal(m.order, "SO-1001");
	assert_string_equal(m.type, "order.received");
	assert_contains(m.text, "Thank you for your order SO-1001 (3 items)");
	assert_contains(m.text, "by Thu 26 Nov");
	assert_contains(m.text, "standard shipping");
	m = one(*state, "received",
	        EV(6, "order.received", "2026-11-23T09:00:00Z", ",\"service\":\"next_day\""));
	assert_contains(m.text, "with next day shipping");
	/* A service name cut to 64 bytes inside a character still makes a valid text. */
	char ev[512], svc[160] = "";
	for (int i = 0; i < 40; i++)
		strcat(svc, "\xc3\xa9"); /* 80 bytes of é */
	snprintf(ev, sizeof(ev),
	         EV(7, "order.received", "2026-11-23T09:00:00Z", ",\"service\":\"%s\""), svc);
	m = one(*state, "received", ev);
	json_t *j = NULL;
	assert_int_equal(wms_notify_msg_json(&m, &j), 0);
	json_decref(j);
}

static void test_backorder_names_the_short_skus_and_counts_the_rest(void **state)
{
	/* The engine's shape (PROTOCOL.md 8.1): missing [{sku, need, available}]. */
	struct wms_notify_msg m =
	    one(*state, "backordered",
	        EV(7, "order.backordered", "2026-11-23T09:00:01Z",
	           ",\"reason\":\"insufficient_stock\",\"missing\":[{\"sku\":\"S1\",\"need\":3,"
	           "\"available\":1},{\"sku\":\"S2\",\"need\":1,\"available\":0},{\"sku\":\"S3\","
	           "\"need\":1,\"available\":0},{\"sku\":\"S4\",\"need\":1,\"available\":0},"
	           "{\"sku\":\"S5\",\"need\":1,\"available\":0},{\"sku\":\"S6\",\"need\":4,"
	           "\"available\":0}]"));
	assert_contains(m.text, "Part of your order SO-1001 is temporarily out of stock: 2 x S1, "
	                        "1 x S2");
	assert_contains(m.text, "S5 and 1 more item.");
	assert_lacks(m.text, "S6");
	assert_lacks(m.text, "insufficient_stock"); /* an engine code is not customer words */
	assert_contains(m.text, "new delivery date");
}

/*
 * The contract between the two sides: an order the engine itself backorders (tengine, its
 * real event) gives a notice that names the missing item and how many are missing.
 */
static void test_a_backorder_the_engine_emits_names_its_missing_items(void **state)
{
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t); /* 100 of each sku at W1 */
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-3\",\"qty\":130}],"
	                         "\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                         "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":"
	                         "\"standard\",\"promised_by\":\"2026-11-30T23:59:59Z\"}}"));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.backordered\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	struct wms_notify_out out;
	assert_int_equal(wms_notify_event(*state, tget(ev, "events[0]"), &out), 0);
	json_decref(ev);
	tengine_close(&t);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].kind, "backordered");
	assert_contains(out.msg[0].text, "temporarily out of stock: 30 x SKU-3");
}

static void test_shipped_names_carrier_tracking_and_the_expected_day(void **state)
{
	struct wms_notify_out out =
	    feed(*state, EV(118, "shipment.shipped", "2026-11-24T15:04:05Z",
	                    ",\"shipment\":\"SO-1001-1\",\"warehouse\":\"W1\",\"carrier\":\"UPS\","
	                    "\"service\":\"standard\",\"tracking\":\"1Z999AA10123456784\","
	                    "\"estimate\":\"2026-11-26T18:00:00Z\",\"cartons\":1"));
	char line[WMS_NOTIFY_LINE_MAX];
	size_t len;
	assert_int_equal(out.n, 1);
	assert_int_equal(wms_notify_format_line(&out.msg[0], line, sizeof(line), &len), 0);
	assert_string_equal(line, "118 acme SO-1001 email shipped: Your order SO-1001 has shipped "
	                          "with UPS, tracking 1Z999AA10123456784. Expected delivery: Thu "
	                          "26 Nov.\n");
	assert_int_equal(len, strlen(line));
}

static void test_shipped_in_several_cartons_says_how_many_parcels(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "shipped",
	        EV(9, "shipment.shipped", "2026-11-24T15:04:05Z",
	           ",\"carrier\":\"DHL\",\"tracking\":\"JD0001\",\"cartons\":3"));
	assert_contains(m.text, "has shipped with DHL in 3 parcels, tracking JD0001.");
}

static void test_only_the_first_in_transit_scan_of_a_shipment_is_announced(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "in_transit",
	        EV(10, "shipment.in_transit", "2026-11-24T22:00:00Z",
	           ",\"shipment\":\"SO-1001-1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	           "\"location\":\"Memphis, TN\",\"estimate\":\"2026-11-26T18:00:00Z\""));
	assert_contains(m.text, "on its way with UPS (tracking 1Z9), last scanned in Memphis, TN.");
	assert_contains(m.text, "Expected delivery: Thu 26 Nov.");
	struct wms_notify_out again =
	    feed(*state, EV(11, "shipment.in_transit", "2026-11-25T02:00:00Z",
	                    ",\"shipment\":\"SO-1001-1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	                    "\"location\":\"Louisville, KY\""));
	assert_int_equal(again.n, 0);
	/* The order's second shipment is news again. */
	one(*state, "in_transit",
	    EV(12, "shipment.in_transit", "2026-11-25T02:00:00Z",
	       ",\"shipment\":\"SO-1001-2\",\"carrier\":\"UPS\",\"tracking\":\"1Z8\""));
}

static void test_in_transit_memory_is_bounded_and_forgets_the_oldest_shipment(void **state)
{
	(void)state;
	struct wms_notify_opts o = WMS_NOTIFY_OPTS_INIT;
	struct wms_notify *n;
	o.transit_memory = 2;
	assert_int_equal(wms_notify_new(&o, &n), 0);
	static const char *const ev[] = {
		EV(1, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"A\""),
		EV(2, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"B\""),
		EV(3, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"A\""),
		EV(4, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"C\""),
		EV(5, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"A\""),
		EV(6, "shipment.in_transit", "2026-11-24T22:00:00Z", ",\"shipment\":\"B\""),
	};
	/* A, B new; A known (and now recent); C new and B forgotten (least recent); A known; B
	 * new again: the memory held two shipments, never three. */
	static const size_t want[] = { 1, 1, 0, 1, 0, 1 };
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		struct wms_notify_out out = feed(n, ev[i]);
		if (out.n != want[i])
			fail_msg("event %zu: %zu messages, expected %zu", i + 1, out.n, want[i]);
	}
	wms_notify_free(n);
}

static void test_out_for_delivery_goes_by_email_and_sms(void **state)
{
	struct wms_notify_out out =
	    feed(*state, EV(20, "shipment.out_for_delivery", "2026-11-27T07:12:00Z",
	                    ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\""));
	assert_int_equal(out.n, 2);
	assert_string_equal(out.msg[0].channel, "email");
	assert_string_equal(out.msg[0].kind, "out_for_delivery");
	assert_contains(out.msg[0].text, "out for delivery today (Fri 27 Nov) with UPS");
	assert_string_equal(out.msg[1].channel, "sms");
	assert_string_equal(out.msg[1].kind, "out_for_delivery");
	assert_contains(out.msg[1].text, "Tracking: 1Z9");
	assert_true(strlen(out.msg[1].text) <= 160); /* one SMS */
}

static void test_delivered_says_the_day_the_time_in_utc_and_the_place(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "delivered",
	        EV(21, "shipment.delivered", "2026-11-27T14:32:10Z",
	           ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	           "\"location\":\"Front door\""));
	assert_contains(m.text, "delivered on Fri 27 Nov at 14:32 UTC by UPS (tracking 1Z9)");
	assert_contains(m.text, "Delivered to: Front door.");
}

/*
 * A regression of the new-user trial: the engine recorded a delivery at 18:00 that the
 * carrier made at 17:00 (its "carrier_at"); the customer was told 18:00, the envelope's "at".
 */
static void test_delivered_says_when_the_carrier_delivered_not_when_the_engine_heard(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "delivered",
	        EV(21, "shipment.delivered", "2026-12-06T18:00:00Z",
	           ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	           "\"carrier_at\":\"2026-12-06T17:00:00Z\""));
	assert_contains(m.text, "was delivered on Sun 6 Dec at 17:00 UTC by UPS");
	assert_lacks(m.text, "18:00");
	/* News recorded days later still names the carrier's day. */
	m = one(*state, "delivered",
	        EV(22, "shipment.delivered", "2026-12-09T08:00:00Z",
	           ",\"carrier_at\":\"2026-12-06T17:05:00Z\""));
	assert_contains(m.text, "was delivered on Sun 6 Dec at 17:05 UTC.");
	/* The carrier's own offset is the same instant, said in UTC like every other time. */
	m = one(*state, "delivered",
	        EV(23, "shipment.delivered", "2026-12-06T18:00:00Z",
	           ",\"carrier_at\":\"2026-12-06T12:00:00-05:00\""));
	assert_contains(m.text, "was delivered on Sun 6 Dec at 17:00 UTC.");
	/* Without carrier_at (an older producer) the envelope's time is all there is. */
	m = one(*state, "delivered",
	        EV(24, "shipment.delivered", "2026-12-06T18:00:00Z", ",\"carrier_at\":\"soon\""));
	assert_contains(m.text, "was delivered on Sun 6 Dec at 18:00 UTC.");
}

/* The trial's other half: "out for delivery today (Fri 4 Dec)" when the carrier said Sun 6. */
static void test_out_for_delivery_names_the_carriers_day_and_says_today_only_for_today(void **state)
{
	struct wms_notify_out out =
	    feed(*state, EV(30, "shipment.out_for_delivery", "2026-12-04T18:00:00Z",
	                    ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	                    "\"carrier_at\":\"2026-12-06T07:30:00Z\""));
	assert_int_equal(out.n, 2);
	assert_contains(out.msg[0].text, "is out for delivery on Sun 6 Dec with UPS");
	assert_lacks(out.msg[0].text, "today");
	assert_lacks(out.msg[0].text, "Fri 4 Dec");
	assert_contains(out.msg[1].text,
	                "Order SO-1001 is out for delivery on Sun 6 Dec with UPS.");
	/* The van left this morning and the engine heard of it this afternoon: today. */
	out = feed(*state, EV(31, "shipment.out_for_delivery", "2026-12-06T15:00:00Z",
	                      ",\"shipment\":\"S2\",\"carrier\":\"UPS\","
	                      "\"carrier_at\":\"2026-12-06T07:30:00Z\""));
	assert_int_equal(out.n, 2);
	assert_contains(out.msg[0].text, "is out for delivery today (Sun 6 Dec) with UPS");
	assert_contains(out.msg[1].text, "is out for delivery today with UPS.");
}

static void test_delay_notice_gives_the_reason_in_customer_words_and_the_new_day(void **state)
{
	static const char *const codes[] = { "late_at_allocation", "late_wave",     "short_pick",
		                             "pick_delay",         "pack_delay",    "carrier_delay",
		                             "carrier_exception",  "cutoff_missed", "gremlins" };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.at_risk\",\"at\":\"2026-11-25T03:00:00Z\","
		         "\"tenant\":\"acme\",\"order\":\"R-%zu\",\"reason\":\"%s\",\"estimate\":"
		         "\"2026-11-27T18:00:00Z\",\"promised_by\":\"2026-11-26T23:59:59Z\"}",
		         30 + i, i, codes[i]);
		struct wms_notify_out out = feed(*state, ev);
		assert_int_equal(out.n, 1);
		assert_string_equal(out.msg[0].kind, "delay");
		assert_contains(out.msg[0].text, "is running late because ");
		assert_contains(out.msg[0].text,
		                "New expected delivery: Fri 27 Nov (we had promised Thu 26 Nov).");
		assert_lacks(out.msg[0].text, codes[i]); /* never the engine's code */
	}
}

static void test_delay_is_not_repeated_unless_the_estimate_moves_later(void **state)
{
	const char *first = EV(40, "order.at_risk", "2026-11-25T03:00:00Z",
	                       ",\"reason\":\"late_wave\",\"estimate\":\"2026-11-27T18:00:00Z\","
	                       "\"promised_by\":\"2026-11-26T23:59:59Z\"");
	const char *same = EV(41, "order.at_risk", "2026-11-25T04:00:00Z",
	                      ",\"reason\":\"pack_delay\",\"estimate\":\"2026-11-27T18:00:00Z\","
	                      "\"promised_by\":\"2026-11-26T23:59:59Z\"");
	const char *earlier = EV(42, "order.at_risk", "2026-11-25T05:00:00Z",
	                         ",\"reason\":\"late_wave\",\"estimate\":\"2026-11-27T09:00:00Z\"");
	const char *no_date =
	    EV(43, "order.at_risk", "2026-11-25T05:00:00Z", ",\"reason\":\"late_wave\"");
	const char *later =
	    EV(44, "order.at_risk", "2026-11-25T06:00:00Z",
	       ",\"reason\":\"carrier_delay\",\"estimate\":\"2026-11-28T18:00:00Z\","
	       "\"promised_by\":\"2026-11-26T23:59:59Z\"");
	one(*state, "delay", first);
	assert_int_equal(feed(*state, same).n, 0);
	assert_int_equal(feed(*state, earlier).n, 0);
	assert_int_equal(feed(*state, no_date).n, 0);
	struct wms_notify_msg m = one(*state, "delay", later);
	assert_contains(m.text, "New expected delivery: Sat 28 Nov");
	assert_int_equal(feed(*state, later).n, 0);
}

static void test_a_first_delay_without_a_date_promises_one_and_a_dated_one_follows(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "delay",
	        EV(45, "order.at_risk", "2026-11-25T05:00:00Z", ",\"reason\":\"short_pick\""));
	assert_contains(m.text, "We will tell you the new delivery date as soon as we know it.");
	one(*state, "delay",
	    EV(46, "order.at_risk", "2026-11-25T06:00:00Z",
	       ",\"reason\":\"short_pick\",\"estimate\":\"2026-11-28T18:00:00Z\""));
}

static void test_delay_memory_is_bounded_and_forgets_the_oldest_order(void **state)
{
	(void)state;
	struct wms_notify_opts o = WMS_NOTIFY_OPTS_INIT;
	struct wms_notify *n;
	o.delay_memory = 2;
	assert_int_equal(wms_notify_new(&o, &n), 0);
	static const char *const orders[] = { "A", "B", "A", "C", "B", "A" };
	/* A, B noticed; A remembered; C noticed and B forgotten; B noticed again (A forgotten);
	 * A noticed again. */
	static const size_t want[] = { 1, 1, 0, 1, 1, 1 };
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.at_risk\",\"at\":\"2026-11-25T03:00:00Z\","
		         "\"tenant\":\"acme\",\"order\":\"%s\",\"reason\":\"late_wave\","
		         "\"estimate\":\"2026-11-27T18:00:00Z\"}",
		         i + 1, orders[i]);
		struct wms_notify_out out = feed(n, ev);
		if (out.n != want[i])
			fail_msg("event %zu (order %s): %zu messages, expected %zu", i + 1,
			         orders[i], out.n, want[i]);
	}
	wms_notify_free(n);
}

static void test_the_same_order_id_of_two_tenants_is_two_orders(void **state)
{
	const char *acme = EV(47, "order.at_risk", "2026-11-25T03:00:00Z",
	                      ",\"reason\":\"late_wave\",\"estimate\":\"2026-11-27T18:00:00Z\"");
	const char *globex =
	    "{\"seq\":48,\"type\":\"order.at_risk\",\"at\":\"2026-11-25T03:00:00Z\",\"tenant\":"
	    "\"globex\",\"order\":\"SO-1001\",\"reason\":\"late_wave\",\"estimate\":"
	    "\"2026-11-27T18:00:00Z\"}";
	assert_int_equal(feed(*state, acme).n, 1);
	assert_int_equal(feed(*state, globex).n, 1);
}

static void test_a_risk_still_within_the_promise_says_so(void **state)
{
	struct wms_notify_msg m = one(*state, "delay",
	                              EV(49, "order.at_risk", "2026-11-24T03:00:00Z",
	                                 ",\"reason\":\"cutoff_missed\",\"estimate\":"
	                                 "\"2026-11-26T12:00:00Z\",\"promised_by\":"
	                                 "\"2026-11-26T23:59:59Z\""));
	assert_contains(m.text, "may be delayed because it missed");
	assert_contains(m.text, "still expect to deliver it by Thu 26 Nov");
}

static void test_cancelling_an_order_clears_its_delay_memory(void **state)
{
	const char *risk = EV(50, "order.at_risk", "2026-11-25T03:00:00Z",
	                      ",\"reason\":\"late_wave\",\"estimate\":\"2026-11-27T18:00:00Z\"");
	one(*state, "delay", risk);
	one(*state, "cancelled", EV(51, "order.cancelled", "2026-11-25T04:00:00Z", ""));
	one(*state, "delay", risk); /* forgotten, so a (re-submitted) order is told again */
}

/* An order.received for SO-1001 whose ship_to has CONTACT (",\"email\":...", or ""). */
static struct wms_notify_out received_with(struct wms_notify *n, const char *contact)
{
	char ev[512];
	snprintf(ev, sizeof(ev),
	         EV(1, "order.received", "2026-11-23T09:00:00Z",
	            ",\"promised_by\":\"2026-11-26T23:59:59Z\",\"ship_to\":{\"name\":\"Ann\","
	            "\"address\":\"Main 1\",\"postal_code\":\"10115\",\"country\":\"DE\"%s}"),
	         contact);
	return feed(n, ev);
}

#define OUT_FOR_DELIVERY                                                                           \
	EV(20, "shipment.out_for_delivery", "2026-11-27T07:12:00Z",                                \
	   ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\"")
#define SHIPPED                                                                                    \
	EV(18, "shipment.shipped", "2026-11-25T15:00:00Z",                                         \
	   ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\"")

static void test_an_order_with_an_email_only_gets_no_sms(void **state)
{
	struct wms_notify_out out = received_with(*state, ",\"email\":\"ann@example.com\"");
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "email");
	out = feed(*state, OUT_FOR_DELIVERY);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "email");
	assert_string_equal(out.msg[0].kind, "out_for_delivery");
	out = feed(*state, EV(23, "shipment.exception", "2026-11-27T10:00:00Z",
	                      ",\"reason\":\"address\",\"carrier\":\"UPS\""));
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "email");
}

static void test_an_order_with_a_phone_only_gets_everything_by_sms(void **state)
{
	struct wms_notify_out out = received_with(*state, ",\"phone\":\"+49 30 1234567\"");
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "sms");
	assert_contains(out.msg[0].text, "Thank you for your order SO-1001");
	out = feed(*state, SHIPPED);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "sms");
	assert_string_equal(out.msg[0].kind, "shipped");
	/* A kind with its own text message sends that one, not the email's text as well. */
	out = feed(*state, OUT_FOR_DELIVERY);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "sms");
	assert_contains(out.msg[0].text, "Order SO-1001 is out for delivery today");
}

static void test_an_order_without_email_or_phone_gets_no_message(void **state)
{
	assert_int_equal(received_with(*state, "").n, 0);
	assert_int_equal(feed(*state, SHIPPED).n, 0);
	assert_int_equal(feed(*state, OUT_FOR_DELIVERY).n, 0);
	/* An empty contact is no contact. */
	struct wms_notify *n;
	assert_int_equal(wms_notify_new(NULL, &n), 0);
	assert_int_equal(received_with(n, ",\"email\":\"\",\"phone\":\"\"").n, 0);
	wms_notify_free(n);
}

static void test_an_order_with_both_gets_email_and_sms_as_the_table_says(void **state)
{
	struct wms_notify_out out =
	    received_with(*state, ",\"email\":\"ann@example.com\",\"phone\":\"+4930123\"");
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "email");
	out = feed(*state, OUT_FOR_DELIVERY);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.msg[0].channel, "email");
	assert_string_equal(out.msg[1].channel, "sms");
}

/* What a lookup of an order the notifier has not seen answers, and how often it was asked. */
struct lookup {
	const char *order_json; /* NULL: the lookup fails */
	int calls;
};

static int lookup_fn(void *arg, const char *tenant, const char *order, json_t **out)
{
	struct lookup *l = arg;
	l->calls++;
	assert_string_equal(tenant, "acme");
	assert_string_equal(order, "SO-1001");
	if (l->order_json == NULL)
		return WMS_ETIMEDOUT;
	*out = json_loads(l->order_json, 0, NULL);
	assert_non_null(*out);
	return 0;
}

static void test_an_order_not_seen_is_looked_up_once_for_its_channels(void **state)
{
	(void)state;
	struct lookup l = { "{\"tenant\":\"acme\",\"id\":\"SO-1001\",\"promised_by\":"
		            "\"2026-11-26T23:59:59Z\",\"ship_to\":{\"name\":\"Ann\",\"phone\":"
		            "\"+4930123\"},\"state\":\"shipped\"}",
		            0 };
	struct wms_notify_opts o = WMS_NOTIFY_OPTS_INIT;
	struct wms_notify *n;
	o.lookup = lookup_fn;
	o.lookup_arg = &l;
	assert_int_equal(wms_notify_new(&o, &n), 0);
	/* Events that say nothing to the customer ask nothing. */
	assert_int_equal(
	    feed(n, EV(3, "order.picked", "2026-11-25T10:00:00Z", ",\"shipment\":\"S1\"")).n, 0);
	assert_int_equal(l.calls, 0);
	struct wms_notify_out out = feed(n, SHIPPED);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "sms");
	out = feed(n, OUT_FOR_DELIVERY);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].channel, "sms");
	assert_int_equal(l.calls, 1); /* remembered */
	wms_notify_free(n);

	/* A lookup that cannot tell: the table's channels, and asked again next time. */
	l = (struct lookup){ NULL, 0 };
	assert_int_equal(wms_notify_new(&o, &n), 0);
	out = feed(n, OUT_FOR_DELIVERY);
	assert_int_equal(out.n, 2);
	assert_int_equal(feed(n, SHIPPED).n, 1);
	assert_int_equal(l.calls, 2);
	wms_notify_free(n);
}

static void test_the_order_memory_is_bounded(void **state)
{
	(void)state;
	struct wms_notify_opts o = WMS_NOTIFY_OPTS_INIT;
	struct wms_notify *n;
	o.order_memory = 1;
	assert_int_equal(wms_notify_new(&o, &n), 0);
	/* SO-1001 reachable by phone only, then forgotten for another order: not known, so the
	 * table's channels again. */
	assert_int_equal(received_with(n, ",\"phone\":\"+4930123\"").n, 1);
	assert_string_equal(feed(n, SHIPPED).msg[0].channel, "sms");
	feed(n, "{\"seq\":2,\"type\":\"order.received\",\"tenant\":\"acme\",\"order\":\"OTHER\","
	        "\"ship_to\":{\"email\":\"x@example.com\"}}");
	assert_int_equal(feed(n, OUT_FOR_DELIVERY).n, 2);
	wms_notify_free(n);
}

static void test_a_backorder_that_waits_to_ship_complete_is_not_out_of_stock(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "backordered",
	        EV(7, "order.backordered", "2026-11-23T09:00:01Z",
	           ",\"reason\":\"no single warehouse holds the whole order and splitting is "
	           "not allowed for this order\",\"missing\":[]"));
	assert_lacks(m.text, "out of stock");
	assert_lacks(m.text, "splitting");
	assert_contains(m.text, "Your order SO-1001 is waiting so that it can be sent to you "
	                        "complete");
	assert_contains(m.text, "new delivery date");
	m = one(*state, "backordered",
	        EV(8, "order.backordered", "2026-11-23T09:00:01Z",
	           ",\"reason\":\"no warehouse offers service 'same_day'\",\"missing\":[]"));
	assert_lacks(m.text, "out of stock");
	assert_contains(m.text, "with the delivery service you chose");
	m = one(*state, "backordered",
	        EV(9, "order.backordered", "2026-11-23T09:00:01Z", ",\"reason\":\"gremlins\""));
	assert_lacks(m.text, "out of stock");
	assert_lacks(m.text, "gremlins");
	assert_contains(m.text, "on hold");
}

/*
 * Feeds every event of the engine's log to N; the messages of the events of TYPE in *OUT, and
 * in *KINDS (may be NULL) how many messages of kind KIND the whole log produced.
 */
static size_t feed_log(struct tengine *t, struct wms_notify *n, const char *type,
                       struct wms_notify_out *out, const char *kind, size_t *kinds)
{
	json_t *ev = tcall_ok(t, "{\"op\":\"events.read\"}");
	size_t i, hits = 0;
	json_t *e;
	if (kinds)
		*kinds = 0;
	json_array_foreach(json_object_get(ev, "events"), i, e)
	{
		struct wms_notify_out o;
		assert_int_equal(wms_notify_event(n, e, &o), 0);
		if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0) {
			*out = o;
			hits++;
		}
		for (size_t m = 0; kinds && m < o.n; m++)
			*kinds += strcmp(o.msg[m].kind, kind) == 0;
	}
	json_decref(ev);
	return hits;
}

/*
 * The contract with the engine: carrier.event's "at" is the carrier's time, which its
 * shipment.* events carry as carrier_at (PROTOCOL.md 5.6), while their envelope "at" is the
 * engine's. A delivery reported an hour late is announced at the carrier's hour.
 */
static void test_a_delivery_the_engine_records_late_is_told_at_the_carriers_time(void **state)
{
	struct tengine t;
	tengine_open(&t); /* simulated clock: 2026-11-24T08:00Z */
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],"
	                         "\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                         "\"postal_code\":\"10115\",\"country\":\"DE\",\"email\":"
	                         "\"ann@example.com\"},\"service\":\"standard\",\"promised_by\":"
	                         "\"2026-11-30T23:59:59Z\"}}"));
	const char *ids[] = { "SO-1001" };
	tflow_release(&t, "W1");
	tflow_pick_all(&t, "W1", "P1");
	assert_int_equal(tflow_pack(&t, "PS-1", "acme", ids, 1), 1);
	const char *tracking = tflow_ship(&t, "acme", "SO-1001");
	assert_non_null(tracking);
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-26T18:00:00Z\"}"));
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
	                     "\"out_for_delivery\",\"at\":\"2026-11-26T07:10:00Z\"}",
	                     tracking));
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
	                     "\"delivered\",\"at\":\"2026-11-26T17:00:00Z\"}",
	                     tracking));
	struct wms_notify_out out;
	assert_int_equal(feed_log(&t, *state, "shipment.delivered", &out, NULL, NULL), 1);
	assert_int_equal(out.n, 1);
	assert_contains(out.msg[0].text, "was delivered on Thu 26 Nov at 17:00 UTC");
	assert_int_equal(feed_log(&t, *state, "shipment.out_for_delivery", &out, NULL, NULL), 1);
	tengine_close(&t);
	assert_contains(out.msg[0].text, "out for delivery today (Thu 26 Nov)");
}

/*
 * The new-user trial end to end, with the engine's own events: a wrong item reported on a
 * Sunday evening, replaced express from a warehouse whose express leaves on weekdays. The
 * replacement's customer hears "received" and no delay at once (its promise is one the
 * network keeps), and the return's messages speak of the replacement, not of a refund.
 */
static void test_a_wrong_item_return_the_engine_handles_tells_of_its_replacement(void **state)
{
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],"
	                         "\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                         "\"postal_code\":\"10115\",\"country\":\"DE\",\"email\":"
	                         "\"ann@example.com\"},\"service\":\"standard\",\"promised_by\":"
	                         "\"2026-11-30T23:59:59Z\"}}"));
	const char *ids[] = { "SO-1001" };
	tflow_release(&t, "W1");
	tflow_pick_all(&t, "W1", "P1");
	assert_int_equal(tflow_pack(&t, "PS-1", "acme", ids, 1), 1);
	const char *tracking = tflow_ship(&t, "acme", "SO-1001");
	assert_non_null(tracking);
	tclock_reach(&t, "2026-11-26T10:00:00Z");
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
	                     "\"delivered\",\"at\":\"2026-11-26T10:00:00Z\"}",
	                     tracking));
	json_decref(tcall_ok(
	    &t, "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
	        "\"timezone\":\"America/New_York\",\"location\":{\"lat\":40.7,\"lon\":-74.2},"
	        "\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,"
	        "\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},"
	        "\"carriers\":[{\"carrier\":\"UPS\",\"service\":\"express\",\"cutoff\":"
	        "\"17:00\",\"transit_days\":2,\"cost\":15.8,\"days\":[\"mon\",\"tue\",\"wed\","
	        "\"thu\",\"fri\"]}]}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-12-06T18:00:00Z\"}"));
	json_decref(tcall_ok(&t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":"
	                         "\"SO-1001\",\"rma\":\"RMA-1\",\"lines\":[{\"sku\":\"SKU-1\","
	                         "\"qty\":1,\"reason\":\"wrong_item\"}]}"));
	json_decref(tcall_ok(&t, "{\"op\":\"return.receive\",\"rma\":\"RMA-1\",\"codes\":["
	                         "\"4006381333931\"]}"));
	json_decref(tcall_ok(&t, "{\"op\":\"return.grade\",\"rma\":\"RMA-1\",\"lines\":["
	                         "{\"sku\":\"SKU-1\",\"qty\":1,\"grade\":\"quarantine\"}]}"));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\"}");
	tengine_close(&t);
	size_t i, received = 0, delays = 0;
	char got_back[WMS_NOTIFY_TEXT_MAX] = "", graded[WMS_NOTIFY_TEXT_MAX] = "";
	json_t *e;
	json_array_foreach(json_object_get(ev, "events"), i, e)
	{
		struct wms_notify_out o;
		assert_int_equal(wms_notify_event(*state, e, &o), 0);
		for (size_t k = 0; k < o.n; k++) {
			const struct wms_notify_msg *m = &o.msg[k];
			if (strcmp(m->order, "SO-1001-R1") == 0) {
				received += strcmp(m->kind, "received") == 0;
				delays += strcmp(m->kind, "delay") == 0;
			} else if (strcmp(m->kind, "return_received") == 0) {
				snprintf(got_back, sizeof(got_back), "%s", m->text);
			} else if (strcmp(m->type, "return.graded") == 0) {
				snprintf(graded, sizeof(graded), "%s", m->text);
			}
		}
	}
	json_decref(ev);
	assert_int_equal(received, 1);
	assert_int_equal(delays, 0);
	assert_contains(got_back, "Your replacement comes as order SO-1001-R1");
	assert_lacks(got_back, "refund");
	assert_contains(graded, "Your replacement comes as order SO-1001-R1");
	assert_lacks(graded, "refund");
}

/*
 * The contract with the engine's own reason: a tenant that does not split, and an order whose
 * two skus are in two warehouses, is backordered with missing [] (PROTOCOL.md 5.4 rule 5).
 */
static void test_a_no_split_backorder_the_engine_emits_says_the_order_waits(void **state)
{
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t); /* SKU-1..5 at W1 */
	json_decref(tcall_ok(&t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                         "\"Acme\",\"allow_split\":false}}"));
	json_decref(tcall_ok(
	    &t, "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W2\",\"name\":\"Two\","
	        "\"timezone\":\"UTC\",\"location\":{\"lat\":48.1,\"lon\":11.6},\"layout\":{"
	        "\"aisles\":4,\"slots_per_side\":10,\"slot_length\":1,\"aisle_spacing\":5},"
	        "\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":"
	        "\"17:00\",\"transit_days\":2,\"cost\":4.5}]}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":"
	                         "\"SKU-9\",\"weight_g\":100}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W2\",\"location\":"
	                         "\"A01-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-9\",\"qty\":5,"
	                         "\"idem_key\":\"w2\"}"));
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1},"
	                         "{\"sku\":\"SKU-9\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\","
	                         "\"address\":\"Main 1\",\"postal_code\":\"10115\",\"country\":"
	                         "\"DE\",\"email\":\"ann@example.com\"},\"service\":\"standard\","
	                         "\"promised_by\":\"2026-11-30T23:59:59Z\"}}"));
	struct wms_notify_out out;
	assert_int_equal(feed_log(&t, *state, "order.backordered", &out, NULL, NULL), 1);
	tengine_close(&t);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].kind, "backordered");
	assert_lacks(out.msg[0].text, "out of stock");
	assert_contains(out.msg[0].text, "sent to you complete");
}

static void test_an_order_late_at_allocation_is_told_at_once_and_only_once(void **state)
{
	received_with(*state, ",\"email\":\"ann@example.com\"");
	struct wms_notify_msg m =
	    one(*state, "delay",
	        EV(2, "order.allocated", "2026-11-23T09:00:00Z",
	           ",\"decision\":\"single\",\"on_time\":false,\"delivery_by\":"
	           "\"2026-11-28T23:59:59Z\",\"shipments\":[]"));
	assert_contains(m.text, "Your order SO-1001 will arrive later than we promised: the "
	                        "earliest we can deliver it is Sat 28 Nov (we had promised Thu 26 "
	                        "Nov).");
	/* The engine's order.at_risk for the same lateness, even a few hours off, is no news. */
	assert_int_equal(feed(*state, EV(3, "order.at_risk", "2026-11-23T09:00:00Z",
	                                 ",\"reason\":\"late_at_allocation\",\"estimate\":"
	                                 "\"2026-11-28T18:00:00Z\",\"promised_by\":"
	                                 "\"2026-11-26T23:59:59Z\""))
	                     .n,
	                 0);
	/* A later day is. */
	m = one(*state, "delay",
	        EV(4, "order.at_risk", "2026-11-24T09:00:00Z",
	           ",\"reason\":\"carrier_delay\",\"estimate\":\"2026-11-29T18:00:00Z\","
	           "\"promised_by\":\"2026-11-26T23:59:59Z\""));
	assert_contains(m.text, "New expected delivery: Sun 29 Nov");
	/* On time at allocation: nothing to say. */
	assert_int_equal(feed(*state, EV(5, "order.allocated", "2026-11-23T09:00:00Z",
	                                 ",\"on_time\":true,\"delivery_by\":"
	                                 "\"2026-11-25T23:59:59Z\""))
	                     .n,
	                 0);
	/* The at_risk first (another order): the allocation then repeats nothing. */
	one(*state, "delay",
	    "{\"seq\":6,\"type\":\"order.at_risk\",\"tenant\":\"acme\",\"order\":\"SO-2\","
	    "\"estimate\":\"2026-11-28T18:00:00Z\"}");
	assert_int_equal(feed(*state, "{\"seq\":7,\"type\":\"order.allocated\",\"tenant\":\"acme\","
	                              "\"order\":\"SO-2\",\"on_time\":false,\"delivery_by\":"
	                              "\"2026-11-28T23:59:59Z\"}")
	                     .n,
	                 0);
}

/* Late by hours, on the promised day: "Thu 26 Nov (we had promised Thu 26 Nov)" says nothing. */
static void test_a_delay_within_the_promised_day_says_later_in_the_day(void **state)
{
	received_with(*state, ",\"email\":\"ann@example.com\""); /* promised 26 Nov 23:59:59 */
	struct wms_notify_msg m =
	    one(*state, "delay",
	        EV(2, "order.allocated", "2026-11-23T09:00:00Z",
	           ",\"on_time\":false,\"delivery_by\":\"2026-11-26T23:59:59.999Z\""));
	assert_contains(m.text, "it should still reach you on Thu 26 Nov, but later in the day.");
	assert_lacks(m.text, "we had promised");
	m = one(*state, "delay",
	        "{\"seq\":3,\"type\":\"order.at_risk\",\"tenant\":\"acme\",\"order\":\"SO-2\","
	        "\"reason\":\"late_wave\",\"estimate\":\"2026-11-26T20:00:00Z\",\"promised_by\":"
	        "\"2026-11-26T12:00:00Z\"}");
	assert_contains(m.text,
	                "It should still reach you on Thu 26 Nov, but later in the day than "
	                "we promised.");
	assert_lacks(m.text, "we had promised");
}

/* The contract: the engine's order.allocated for an order it cannot deliver in time. */
static void test_a_late_allocation_the_engine_emits_gives_the_delay_notice(void **state)
{
	struct tengine t;
	tengine_open(&t); /* simulated clock: 2026-11-24T08:00Z; W1 delivers in 2 days */
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],"
	                         "\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                         "\"postal_code\":\"10115\",\"country\":\"DE\",\"email\":"
	                         "\"ann@example.com\"},\"service\":\"standard\",\"promised_by\":"
	                         "\"2026-11-25T12:00:00Z\"}}"));
	struct wms_notify_out out;
	size_t delays;
	assert_int_equal(feed_log(&t, *state, "order.allocated", &out, "delay", &delays), 1);
	tengine_close(&t);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].kind, "delay");
	assert_contains(out.msg[0].text, "(we had promised Wed 25 Nov)");
	/* The engine's own order.at_risk (late_at_allocation) for it repeats nothing. */
	assert_int_equal(delays, 1);
}

static void test_a_voucher_percent_the_engine_keeps_as_a_real_is_named(void **state)
{
	static const struct {
		const char *pct, *want;
	} cases[] = { { "15.0", "here is a 15% voucher" },
		      { "12.5", "here is a 12.5% voucher" },
		      { "0", "here is a voucher for" } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.late\",\"tenant\":\"acme\",\"order\":"
		         "\"SO-%zu\",\"compensation\":{\"kind\":\"voucher\",\"percent\":%s}}",
		         80 + i, i, cases[i].pct);
		assert_contains(one(*state, "apology", ev).text, cases[i].want);
	}
}

/* The engine always sends a text; its default sentence is not repeated after our own words. */
static void test_the_engines_default_offer_text_is_not_repeated(void **state)
{
	static const struct {
		const char *comp, *want;
	} cases[] = {
		{ "{\"kind\":\"voucher\",\"percent\":10,\"text\":\"a 10% voucher for your next "
		  "order\"}",
		  "As an apology, here is a 10% voucher for your next order." },
		{ "{\"kind\":\"voucher\",\"percent\":12.5,\"text\":\"a 12.5% voucher for your next "
		  "order\"}",
		  "As an apology, here is a 12.5% voucher for your next order." },
		{ "{\"kind\":\"free_shipping\",\"text\":\"free shipping on your next order\"}",
		  "As an apology, your next order ships free." },
		{ "{\"kind\":\"replacement_express\",\"text\":\"a replacement shipped express at "
		  "no "
		  "cost\"}",
		  "express delivery at no cost." },
		{ "{\"kind\":\"voucher\",\"percent\":10,\"text\":\"a 10% voucher for your next "
		  "order, "
		  "code SORRY\"}",
		  "here is a 10% voucher for your next order: a 10% voucher for your next order, "
		  "code "
		  "SORRY." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.late\",\"tenant\":\"acme\",\"order\":"
		         "\"SO-%zu\",\"compensation\":%s}",
		         90 + i, i, cases[i].comp);
		struct wms_notify_msg m = one(*state, "apology", ev);
		assert_contains(m.text, cases[i].want);
	}
}

/* The contract: the apology for the engine's own order.late, with its own text. */
static void test_the_apology_for_an_engine_late_event_says_the_offer_once(void **state)
{
	struct tengine t;
	tengine_open(&t); /* 2026-11-24T08:00Z */
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                         "\"Acme\",\"compensation\":[{\"when\":\"late\",\"kind\":"
	                         "\"voucher\",\"percent\":10}]}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                         "\"id\":\"SO-1001\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],"
	                         "\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                         "\"postal_code\":\"10115\",\"country\":\"DE\",\"email\":"
	                         "\"ann@example.com\"},\"service\":\"express\",\"promised_by\":"
	                         "\"2026-11-25T12:00:00Z\"}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-26T00:00:00Z\"}"));
	struct wms_notify_out out;
	assert_int_equal(feed_log(&t, *state, "order.late", &out, NULL, NULL), 1);
	tengine_close(&t);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0].kind, "apology");
	assert_contains(out.msg[0].text, "As an apology, here is a 10% voucher for your next "
	                                 "order.");
	assert_lacks(out.msg[0].text, "order: a 10%");
}

static void test_late_order_apologises_with_each_kind_of_compensation(void **state)
{
	static const struct {
		const char *comp, *want;
	} cases[] = {
		{ "{\"kind\":\"voucher\",\"percent\":15,\"text\":\"SORRY15\"}",
		  "As an apology, here is a 15% voucher for your next order: SORRY15." },
		{ "{\"kind\":\"voucher\"}", "here is a voucher for your next order." },
		{ "{\"kind\":\"free_shipping\"}", "As an apology, your next order ships free." },
		{ "{\"kind\":\"replacement_express\"}", "a replacement by express delivery" },
		{ "{\"kind\":\"none\"}", "did not keep that promise (it is about 15 hours late)." },
		{ "{\"kind\":\"flowers\",\"text\":\"a bouquet is on its way\"}",
		  "As an apology: a bouquet is on its way." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.late\",\"at\":\"2026-11-27T00:00:00Z\","
		         "\"tenant\":\"acme\",\"order\":\"SO-1001\",\"promised_by\":"
		         "\"2026-11-26T23:59:59Z\",\"late_by_minutes\":870,\"compensation\":%s}",
		         60 + i, cases[i].comp);
		struct wms_notify_out out = feed(*state, ev);
		assert_int_equal(out.n, 1);
		assert_string_equal(out.msg[0].kind, "apology");
		assert_contains(out.msg[0].text, "We are sorry: we promised to deliver your order "
		                                 "SO-1001 by Thu 26 Nov");
		assert_contains(out.msg[0].text, cases[i].want);
		if (strcmp(cases[i].comp, "{\"kind\":\"none\"}") == 0)
			assert_lacks(out.msg[0].text, "As an apology");
	}
}

static void test_lateness_is_said_in_minutes_hours_or_days(void **state)
{
	static const struct {
		int minutes;
		const char *want;
	} cases[] = { { 1, "(it is 1 minute late)" },
		      { 45, "(it is 45 minutes late)" },
		      { 180, "(it is about 3 hours late)" },
		      { 3 * 1440 + 100, "(it is about 3 days late)" } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"order.late\",\"at\":\"2026-11-27T00:00:00Z\","
		         "\"tenant\":\"acme\",\"order\":\"SO-1001\",\"late_by_minutes\":%d,"
		         "\"compensation\":{\"kind\":\"none\"}}",
		         70 + i, cases[i].minutes);
		struct wms_notify_out out = feed(*state, ev);
		assert_int_equal(out.n, 1);
		assert_contains(out.msg[0].text, cases[i].want);
	}
}

static void test_an_address_exception_asks_for_action_by_email_and_sms(void **state)
{
	struct wms_notify_out out =
	    feed(*state, EV(80, "shipment.exception", "2026-11-27T11:00:00Z",
	                    ",\"shipment\":\"S1\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	                    "\"reason\":\"address\",\"detail\":\"Apartment number missing\""));
	assert_int_equal(out.n, 2);
	assert_string_equal(out.msg[0].kind, "exception");
	assert_string_equal(out.msg[0].channel, "email");
	assert_contains(out.msg[0].text, "UPS could not deliver your parcel for order SO-1001 "
	                                 "because of a problem with the delivery address.");
	assert_contains(out.msg[0].text, "Carrier's note: Apartment number missing.");
	assert_contains(out.msg[0].text, "tracking number 1Z9");
	assert_string_equal(out.msg[1].channel, "sms");
	assert_contains(out.msg[1].text, "Action needed");
}

static void test_damaged_delayed_and_other_exceptions_are_in_customer_words(void **state)
{
	struct wms_notify_msg m = one(*state, "exception",
	                              EV(81, "shipment.exception", "2026-11-27T11:00:00Z",
	                                 ",\"carrier\":\"DHL\",\"reason\":\"damaged\""));
	assert_contains(m.text, "was damaged on its way to you");
	assert_contains(m.text, "replacement or a refund");
	m = one(*state, "exception",
	        EV(82, "shipment.exception", "2026-11-27T11:00:00Z",
	           ",\"carrier\":\"DHL\",\"tracking\":\"JD1\",\"reason\":\"delayed\","
	           "\"estimate\":\"2026-11-30T12:00:00Z\""));
	assert_contains(m.text, "DHL reports that your parcel for order SO-1001 is delayed "
	                        "(tracking JD1). New expected delivery: Mon 30 Nov.");
	m = one(*state, "exception",
	        EV(83, "shipment.exception", "2026-11-27T11:00:00Z",
	           ",\"carrier\":\"DHL\",\"reason\":\"weather\",\"detail\":\"Snow storm at hub\""));
	assert_contains(m.text, "DHL reported a problem with your parcel for order SO-1001: Snow "
	                        "storm at hub.");
}

static void test_returned_to_sender_is_an_exception_notice(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "exception",
	        EV(84, "shipment.returned_to_sender", "2026-11-30T11:00:00Z",
	           ",\"shipment\":\"S1\",\"carrier\":\"DHL\",\"tracking\":\"JD1\""));
	assert_contains(m.text, "on its way back to us with DHL (tracking JD1)");
	assert_contains(m.text, "new delivery or a refund");
}

static void test_a_cancelled_order_gives_the_reason_and_the_refund(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "cancelled",
	        EV(90, "order.cancelled", "2026-11-24T10:00:00Z",
	           ",\"from\":\"allocated\",\"reason\":\"customer request\""));
	assert_contains(m.text, "Your order SO-1001 has been cancelled (reason: customer "
	                        "request).");
	assert_contains(m.text, "refunded");
	m = one(*state, "cancelled", EV(91, "order.cancelled", "2026-11-24T10:00:00Z", ""));
	assert_contains(m.text, "Your order SO-1001 has been cancelled. Anything you paid");
}

static void test_a_received_return_is_confirmed_with_its_rma_and_items(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "return_received",
	        EV(92, "return.received", "2026-12-03T10:00:00Z",
	           ",\"rma\":\"RMA-77\",\"lines\":[{\"sku\":\"A\",\"qty\":2}]"));
	assert_contains(m.text, "We have received your return RMA-77 for order SO-1001 (2 items).");
}

static void test_a_graded_return_announces_the_refund(void **state)
{
	struct wms_notify_msg m = one(
	    *state, "refund",
	    EV(93, "return.graded", "2026-12-04T10:00:00Z",
	       ",\"rma\":\"RMA-77\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"grade\":\"restock\"},"
	       "{\"sku\":\"B\",\"qty\":1,\"grade\":\"quarantine\"}],\"refund\":{\"amount\":24.5,"
	       "\"currency\":\"EUR\"}"));
	assert_contains(m.text, "1 item accepted, 1 set aside for a closer inspection.");
	assert_contains(m.text, "A refund of 24.50 EUR is on its way");
	assert_contains(m.text, "We will contact you about the item set aside.");
	m = one(*state, "refund",
	        EV(94, "return.graded", "2026-12-04T10:00:00Z",
	           ",\"rma\":\"RMA-78\",\"lines\":[{\"sku\":\"A\",\"qty\":2,\"grade\":"
	           "\"restock\"}],\"refund\":19.9"));
	assert_contains(m.text, "all 2 items accepted. A refund of 19.90 is on its way");
	m = one(*state, "refund",
	        EV(95, "return.graded", "2026-12-04T10:00:00Z",
	           ",\"rma\":\"RMA-79\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"grade\":"
	           "\"restock\"}]"));
	assert_contains(m.text, "We will confirm the amount of your refund separately.");
}

/*
 * A regression of the new-user trial: the grade of a wrong-item return said "we will confirm
 * the amount of your refund" to a customer who had been sent a replacement. What the units
 * come to is the reason of their return line, which the engine gives on each line.
 */
static void test_a_graded_return_says_replacement_exchange_or_refund_by_reason(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "refund",
	        EV(96, "return.graded", "2026-12-08T10:00:00Z",
	           ",\"rma\":\"RMA-1\",\"replacement\":\"SO-1001-R1\",\"lines\":[{\"sku\":"
	           "\"A\",\"qty\":1,\"grade\":\"restock\",\"reason\":\"wrong_item\"}]"));
	assert_contains(m.text, "all 1 item accepted. Your replacement comes as order SO-1001-R1; "
	                        "we will let you know when it ships.");
	assert_lacks(m.text, "refund");
	m = one(*state, "refund",
	        EV(97, "return.graded", "2026-12-08T10:00:00Z",
	           ",\"rma\":\"RMA-2\",\"replacement\":\"SO-1001-R2\",\"lines\":[{\"sku\":"
	           "\"A\",\"qty\":1,\"grade\":\"restock\",\"reason\":\"exchange\","
	           "\"exchange_sku\":\"B\"}]"));
	assert_contains(m.text, "What you chose in exchange comes as order SO-1001-R2");
	assert_lacks(m.text, "refund");
	/* Part replaced, part refunded: each said, the refund for the rest only. */
	m = one(*state, "refund",
	        EV(98, "return.graded", "2026-12-08T10:00:00Z",
	           ",\"rma\":\"RMA-3\",\"replacement\":\"SO-1001-R3\",\"lines\":[{\"sku\":"
	           "\"A\",\"qty\":1,\"grade\":\"quarantine\",\"reason\":\"wrong_item\"},"
	           "{\"sku\":\"B\",\"qty\":2,\"grade\":\"restock\",\"reason\":\"unwanted\"}]"));
	assert_contains(m.text, "Your replacement comes as order SO-1001-R3");
	assert_contains(m.text, "We will confirm the amount of your refund for the other 2 items "
	                        "separately.");
	assert_contains(m.text, "We will contact you about the item set aside.");
	/* Damaged and unwanted units are refunded, as before. */
	m = one(*state, "refund",
	        EV(99, "return.graded", "2026-12-08T10:00:00Z",
	           ",\"rma\":\"RMA-4\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"grade\":"
	           "\"restock\",\"reason\":\"damaged\"}]"));
	assert_contains(m.text, "We will confirm the amount of your refund separately.");
	assert_lacks(m.text, "replacement");
}

static void test_a_received_return_that_was_replaced_promises_no_refund(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "return_received",
	        EV(100, "return.received", "2026-12-07T10:00:00Z",
	           ",\"rma\":\"RMA-1\",\"replacement\":\"SO-1001-R1\",\"lines\":[{\"code\":"
	           "\"4006381333931\",\"sku\":\"A\",\"qty\":1,\"reason\":\"wrong_item\"}]"));
	assert_contains(m.text, "(1 item). We will check it. Your replacement comes as order "
	                        "SO-1001-R1;");
	assert_lacks(m.text, "refund");
	m = one(*state, "return_received",
	        EV(101, "return.received", "2026-12-07T10:00:00Z",
	           ",\"rma\":\"RMA-2\",\"replacement\":\"SO-1001-R2\",\"lines\":[{\"sku\":"
	           "\"A\",\"qty\":1,\"reason\":\"wrong_item\"},{\"sku\":\"B\",\"qty\":1,"
	           "\"reason\":\"unwanted\"}]"));
	assert_contains(m.text, "We will check the items and confirm your refund for the other "
	                        "item. Your replacement comes as order SO-1001-R2;");
}

/* ---- what produces nothing, and what is refused ---- */

static void test_warehouse_internal_events_produce_nothing(void **state)
{
	static const char *const types[] = { "pick.scan",       "pick.short",    "wave.planned",
		                             "wave.released",   "pack.closed",   "pack.weighed",
		                             "order.allocated", "order.split",   "order.waved",
		                             "order.picked",    "order.packed",  "stock.received",
		                             "order.delivered", "clock.changed", "order.shipped" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char ev[256];
		snprintf(ev, sizeof(ev),
		         "{\"seq\":%zu,\"type\":\"%s\",\"at\":\"2026-11-24T10:00:00Z\",\"tenant\":"
		         "\"acme\",\"order\":\"SO-1001\",\"estimate\":\"2026-11-26T10:00:00Z\"}",
		         100 + i, types[i]);
		struct wms_notify_out out = feed(*state, ev);
		if (out.n != 0)
			fail_msg("%s produced %zu messages", types[i], out.n);
	}
}

static void test_events_about_no_order_produce_nothing(void **state)
{
	struct wms_notify_out out =
	    feed(*state, "{\"seq\":1,\"type\":\"tenant.created\",\"at\":\"2026-11-24T10:00:00Z\","
	                 "\"tenant\":\"acme\",\"settings\":{}}");
	assert_int_equal(out.n, 0);
	out = feed(*state, "{\"seq\":2,\"type\":\"shipment.shipped\",\"tenant\":\"acme\"}");
	assert_int_equal(out.n, 0);
}

static void test_malformed_events_are_refused_with_bad_value(void **state)
{
	static const char *const bad[] = {
		"[1,2]",
		"{\"type\":\"order.received\",\"tenant\":\"acme\",\"order\":\"A\"}",
		"{\"seq\":-1,\"type\":\"order.received\",\"tenant\":\"acme\",\"order\":\"A\"}",
		"{\"seq\":1.5,\"type\":\"order.received\",\"tenant\":\"acme\",\"order\":\"A\"}",
		"{\"seq\":1,\"tenant\":\"acme\",\"order\":\"A\"}",
		"{\"seq\":1,\"type\":\"order.received\",\"tenant\":\"ac me\",\"order\":\"A\"}",
		"{\"seq\":1,\"type\":\"order.received\",\"tenant\":\"acme\",\"order\":\"A\\nB\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wms_notify_out out = { 99 };
		json_t *ev = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(ev);
		if (wms_notify_event(*state, ev, &out) != WMS_EVALUE)
			fail_msg("not refused: %s", bad[i]);
		assert_int_equal(out.n, 0);
		json_decref(ev);
	}
}

static void test_missing_optional_fields_leave_no_gaps_in_the_text(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "shipped", EV(120, "shipment.shipped", "2026-11-24T10:00:00Z", ""));
	assert_string_equal(m.text, "Your order SO-1001 has shipped.");
	m = one(*state, "received", EV(121, "order.received", "2026-11-24T10:00:00Z", ""));
	assert_string_equal(m.text, "Thank you for your order SO-1001. We have received it. We "
	                            "will let you know as soon as it ships.");
	m = one(*state, "delivered",
	        "{\"seq\":122,\"type\":\"shipment.delivered\",\"tenant\":\"acme\",\"order\":"
	        "\"SO-1001\"}");
	assert_string_equal(m.text, "Your parcel for order SO-1001 was delivered. If you cannot "
	                            "find it, reply to this message and we will help.");
	struct wms_notify_out out =
	    feed(*state,
	         EV(123, "shipment.exception", "2026-11-24T10:00:00Z", ",\"reason\":\"address\""));
	assert_int_equal(out.n, 2);
	m = out.msg[0];
	assert_contains(m.text, "The delivery company could not deliver");
	assert_contains(out.msg[1].text, "Action needed: the carrier could not deliver");
}

static void test_unknown_fields_and_wrong_types_are_ignored(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "shipped",
	        EV(124, "shipment.shipped", "2026-11-24T10:00:00Z",
	           ",\"carrier\":\"UPS\",\"cartons\":\"two\",\"tracking\":7,\"estimate\":\"soon\","
	           "\"future_field\":{\"x\":[1,2,3]}"));
	assert_string_equal(m.text, "Your order SO-1001 has shipped with UPS.");
}

static void test_control_characters_in_carrier_notes_become_spaces(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "exception",
	        EV(125, "shipment.exception", "2026-11-24T10:00:00Z",
	           ",\"carrier\":\"UPS\",\"reason\":\"other\",\"detail\":\"line one\\nline "
	           "two\\r\\u0007\""));
	assert_contains(m.text, "line one line two");
	for (const char *p = m.text; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7F);
}

static void test_a_day_in_another_year_shows_the_year(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "shipped",
	        EV(126, "shipment.shipped", "2026-12-30T10:00:00Z",
	           ",\"carrier\":\"UPS\",\"estimate\":\"2027-01-04T12:00:00Z\""));
	assert_contains(m.text, "Expected delivery: Mon 4 Jan 2027.");
}

static void test_an_overlong_text_is_cut_with_an_ellipsis_on_a_whole_character(void **state)
{
	/* 1,500 two-byte characters: the text cannot hold them. */
	size_t n = 1500;
	char *detail = malloc(n * 2 + 1), *ev = malloc(n * 2 + 512);
	for (size_t i = 0; i < n; i++)
		memcpy(detail + 2 * i, "\xc3\xa9", 2); /* é */
	detail[n * 2] = '\0';
	snprintf(ev, n * 2 + 512,
	         EV(127, "shipment.exception", "2026-11-24T10:00:00Z",
	            ",\"carrier\":\"UPS\",\"reason\":\"other\",\"detail\":\"%s\""),
	         detail);
	struct wms_notify_msg m = one(*state, "exception", ev);
	size_t len = strlen(m.text);
	assert_true(len < WMS_NOTIFY_TEXT_MAX);
	assert_string_equal(m.text + len - 3, "...");
	/* Valid UTF-8 up to the dots: the JSON encoder accepts it. */
	json_t *j = NULL;
	assert_int_equal(wms_notify_msg_json(&m, &j), 0);
	json_decref(j);
	free(detail);
	free(ev);
}

/* ---- output ---- */

static void test_a_text_line_is_seq_tenant_order_channel_kind_text(void **state)
{
	struct wms_notify_out out =
	    feed(*state, EV(130, "shipment.out_for_delivery", "2026-11-27T07:12:00Z",
	                    ",\"carrier\":\"UPS\""));
	char line[WMS_NOTIFY_LINE_MAX];
	size_t len;
	assert_int_equal(wms_notify_format_line(&out.msg[1], line, sizeof(line), &len), 0);
	assert_string_equal(line, "130 acme SO-1001 sms out_for_delivery: Order SO-1001 is out for "
	                          "delivery today with UPS.\n");
	char small[16];
	assert_int_equal(wms_notify_format_line(&out.msg[1], small, sizeof(small), &len),
	                 WMS_ETOOLONG);
}

static void test_a_json_message_carries_every_field(void **state)
{
	struct wms_notify_msg m =
	    one(*state, "shipped",
	        EV(131, "shipment.shipped", "2026-11-24T10:00:00Z", ",\"carrier\":\"UPS\""));
	json_t *j = NULL;
	assert_int_equal(wms_notify_msg_json(&m, &j), 0);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"seq\":131,\"type\":\"shipment.shipped\",\"tenant\":\"acme\","
	                       "\"order\":\"SO-1001\",\"channel\":\"email\",\"kind\":\"shipped\","
	                       "\"text\":\"Your order SO-1001 has shipped with UPS.\"}");
	free(s);
	json_decref(j);
}

static void test_a_memory_over_its_bound_is_refused(void **state)
{
	(void)state;
	struct wms_notify_opts o = WMS_NOTIFY_OPTS_INIT;
	struct wms_notify *n = NULL;
	o.delay_memory = (size_t)1 << 30;
	assert_int_equal(wms_notify_new(&o, &n), WMS_ERANGE);
	assert_null(n);
	wms_notify_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fresh, release)
		T(test_order_received_thanks_the_customer_with_items_and_promised_day),
		T(test_backorder_names_the_short_skus_and_counts_the_rest),
		T(test_a_backorder_the_engine_emits_names_its_missing_items),
		T(test_shipped_names_carrier_tracking_and_the_expected_day),
		T(test_shipped_in_several_cartons_says_how_many_parcels),
		T(test_only_the_first_in_transit_scan_of_a_shipment_is_announced),
		T(test_in_transit_memory_is_bounded_and_forgets_the_oldest_shipment),
		T(test_out_for_delivery_goes_by_email_and_sms),
		T(test_delivered_says_the_day_the_time_in_utc_and_the_place),
		T(test_delivered_says_when_the_carrier_delivered_not_when_the_engine_heard),
		T(test_out_for_delivery_names_the_carriers_day_and_says_today_only_for_today),
		T(test_a_delivery_the_engine_records_late_is_told_at_the_carriers_time),
		T(test_delay_notice_gives_the_reason_in_customer_words_and_the_new_day),
		T(test_delay_is_not_repeated_unless_the_estimate_moves_later),
		T(test_a_first_delay_without_a_date_promises_one_and_a_dated_one_follows),
		T(test_delay_memory_is_bounded_and_forgets_the_oldest_order),
		T(test_the_same_order_id_of_two_tenants_is_two_orders),
		T(test_a_risk_still_within_the_promise_says_so),
		T(test_cancelling_an_order_clears_its_delay_memory),
		T(test_an_order_with_an_email_only_gets_no_sms),
		T(test_an_order_with_a_phone_only_gets_everything_by_sms),
		T(test_an_order_without_email_or_phone_gets_no_message),
		T(test_an_order_with_both_gets_email_and_sms_as_the_table_says),
		T(test_an_order_not_seen_is_looked_up_once_for_its_channels),
		T(test_the_order_memory_is_bounded),
		T(test_a_backorder_that_waits_to_ship_complete_is_not_out_of_stock),
		T(test_a_no_split_backorder_the_engine_emits_says_the_order_waits),
		T(test_an_order_late_at_allocation_is_told_at_once_and_only_once),
		T(test_a_delay_within_the_promised_day_says_later_in_the_day),
		T(test_a_late_allocation_the_engine_emits_gives_the_delay_notice),
		T(test_a_voucher_percent_the_engine_keeps_as_a_real_is_named),
		T(test_the_engines_default_offer_text_is_not_repeated),
		T(test_the_apology_for_an_engine_late_event_says_the_offer_once),
		T(test_late_order_apologises_with_each_kind_of_compensation),
		T(test_lateness_is_said_in_minutes_hours_or_days),
		T(test_an_address_exception_asks_for_action_by_email_and_sms),
		T(test_damaged_delayed_and_other_exceptions_are_in_customer_words),
		T(test_returned_to_sender_is_an_exception_notice),
		T(test_a_cancelled_order_gives_the_reason_and_the_refund),
		T(test_a_received_return_is_confirmed_with_its_rma_and_items),
		T(test_a_graded_return_announces_the_refund),
		T(test_a_graded_return_says_replacement_exchange_or_refund_by_reason),
		T(test_a_received_return_that_was_replaced_promises_no_refund),
		T(test_a_wrong_item_return_the_engine_handles_tells_of_its_replacement),
		T(test_warehouse_internal_events_produce_nothing),
		T(test_events_about_no_order_produce_nothing),
		T(test_malformed_events_are_refused_with_bad_value),
		T(test_missing_optional_fields_leave_no_gaps_in_the_text),
		T(test_unknown_fields_and_wrong_types_are_ignored),
		T(test_control_characters_in_carrier_notes_become_spaces),
		T(test_a_day_in_another_year_shows_the_year),
		T(test_an_overlong_text_is_cut_with_an_ellipsis_on_a_whole_character),
		T(test_a_text_line_is_seq_tenant_order_channel_kind_text),
		T(test_a_json_message_carries_every_field),
		T(test_a_memory_over_its_bound_is_refused),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
