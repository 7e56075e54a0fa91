/*
 * Shipping and after: rate shopping and tracking numbers, manifests, carrier events (forward
 * only, duplicates and stale news ignored), the promise watch raising order.at_risk at the
 * moment a miss becomes knowable and order.late with the tenant's compensation.
 * Network: tseed_basic (W1 in UTC: DHL standard 17:00 +2 days 4.50, express 15:00 +1 day 9.90).
 * Engine time starts Tuesday 2026-11-24 08:00 UTC.
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

static void submit_for(struct tengine *t, const char *id, const char *promise, const char *service)
{
	json_decref(
	    tcall_ok(t,
	             "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	             "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\","
	             "\"address\":\"Main 1\",\"postal_code\":\"10115\",\"country\":\"DE\"},"
	             "\"service\":\"%s\",\"promised_by\":\"%s\"}}",
	             id, service, promise));
}

static void submit(struct tengine *t, const char *id, const char *promise)
{
	submit_for(t, id, promise, "standard");
}

static const char *state_of(struct tengine *t, const char *id, char buf[32])
{
	json_t *o = tcall_ok(t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
	snprintf(buf, 32, "%s", tget_str(o, "order.state"));
	json_decref(o);
	return buf;
}

static long long count(struct tengine *t, const char *prefix)
{
	json_t *r = tcall_ok(t, "{\"op\":\"events.read\",\"prefix\":\"%s\"}", prefix);
	long long n = tget_int(r, "count");
	json_decref(r);
	return n;
}

/* An order through the floor to packed. */
static void to_packed(struct tengine *t, const char *id, const char *promise)
{
	submit(t, id, promise);
	tflow_release(t, "W1");
	tflow_pick_all(t, "W1", "P1");
	const char *ids[] = { id };
	assert_int_equal(tflow_pack(t, "PS-1", "acme", ids, 1), 1);
}

static void carrier(struct tengine *t, const char *tracking, const char *status, const char *at,
                    const char *extra, int ignored)
{
	tclock_reach(t, at);
	json_t *r = tcall_ok(t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":\"%s\","
	                     "\"at\":\"%s\"%s}",
	                     tracking, status, at, extra ? extra : "");
	assert_int_equal(json_is_true(tget(r, "ignored")), ignored);
	json_decref(r);
}

static void test_a_packed_order_ships_with_a_tracking_number_and_is_followed_to_the_door(void **s)
{
	(void)s;
	struct tengine t;
	char st[32];
	tengine_open(&t);
	tseed_basic(&t);
	to_packed(&t, "O-1", "2026-11-28T00:00:00Z");
	json_t *r = tcall_ok(&t, "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\"}");
	/* Both DHL options keep the promise: the cheaper one wins. */
	assert_string_equal(tget_str(r, "service"), "standard");
	assert_true(json_is_true(tget(r, "on_time")));
	char tracking[64];
	snprintf(tracking, sizeof(tracking), "%s", tget_str(r, "tracking"));
	assert_int_equal(strlen(tracking), 10); /* DHL: 9 digits and a mod-7 check */
	assert_int_equal(
	    tracking[9] - '0',
	    atoll((char[10]){ tracking[0], tracking[1], tracking[2], tracking[3], tracking[4],
	                      tracking[5], tracking[6], tracking[7], tracking[8], 0 }) %
	        7);
	json_decref(r);
	assert_string_equal(state_of(&t, "O-1", st), "shipped");
	json_decref(
	    tcall_err(&t, "invalid_state", "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\"}"));

	json_t *m =
	    tcall_ok(&t, "{\"op\":\"manifest.close\",\"warehouse\":\"W1\",\"carrier\":\"DHL\"}");
	assert_int_equal(json_array_size(tget(m, "manifest.shipments")), 1);
	assert_string_equal(tget_str(m, "manifest.shipments[0].tracking"), tracking);
	assert_true(json_is_true(tget(m, "changed")));
	json_decref(m);

	carrier(&t, tracking, "in_transit", "2026-11-24T19:00:00Z", ",\"location\":\"Leipzig\"", 0);
	carrier(&t, tracking, "in_transit", "2026-11-24T19:00:00Z", ",\"location\":\"Leipzig\"",
	        1); /* the same news again: a duplicate */
	assert_string_equal(state_of(&t, "O-1", st), "in_transit");
	carrier(&t, tracking, "delivered", "2026-11-26T11:00:00Z", NULL, 0);
	assert_string_equal(state_of(&t, "O-1", st), "delivered");
	carrier(&t, tracking, "in_transit", "2026-11-26T12:00:00Z", NULL, 1); /* stale */
	assert_string_equal(state_of(&t, "O-1", st), "delivered");
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.delivered\"}");
	assert_true(json_is_true(tget(ev, "events[0].on_time")));
	assert_true(json_is_true(tget(ev, "events[0].in_full")));
	json_decref(ev);
	/* The carrier skipped out_for_delivery: the order did not invent it. */
	assert_int_equal(count(&t, "order.out_for_delivery"), 0);
	json_decref(tcall_err(&t, "not_found",
	                      "{\"op\":\"carrier.event\",\"tracking\":\"NOPE\",\"status\":"
	                      "\"delivered\",\"at\":\"2026-11-26T11:00:00Z\"}"));
	tengine_close(&t);
}

static void test_a_wave_not_started_in_time_raises_at_risk_when_it_becomes_knowable(void **s)
{
	(void)s;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	/* Cutoff 17:00 today, delivery by the end of Thursday: just in time. */
	submit(&t, "O-1", "2026-11-27T00:00:00Z");
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-24T15:59:00Z\"}"));
	assert_int_equal(count(&t, "order.at_risk"), 0);
	/* Handling takes 60 minutes: not waved by 16:00, the 17:00 cutoff is gone. */
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-24T18:30:00Z\"}"));
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.at_risk\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].reason"), "late_wave");
	assert_string_equal(tget_str(ev, "events[0].at"), "2026-11-24T16:00:00Z");
	assert_string_equal(tget_str(ev, "events[0].estimate"), "2026-11-27T23:59:59.999Z");
	json_decref(ev);
	/* Next morning it goes through the floor and out with Wednesday's pickup: no new news. */
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-25T10:00:00Z\"}"));
	tflow_release(&t, "W1");
	tflow_pick_all(&t, "W1", "P1");
	const char *ids[] = { "O-1" };
	assert_int_equal(tflow_pack(&t, "PS-1", "acme", ids, 1), 1);
	assert_non_null(tflow_ship(&t, "acme", "O-1"));
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-26T10:00:00Z\"}"));
	assert_int_equal(count(&t, "order.at_risk"), 1);
	/* The promise passes undelivered: late, by about a day: a 10% voucher by default. */
	json_decref(tcall_ok(&t, "{\"op\":\"clock.set\",\"at\":\"2026-11-27T06:00:00Z\"}"));
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.late\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].at"), "2026-11-27T00:00:00Z");
	assert_string_equal(tget_str(ev, "events[0].compensation.kind"), "voucher");
	assert_int_equal(tget_int(ev, "events[0].compensation.percent"), 10);
	json_decref(ev);
	tengine_close(&t);
}

static void
test_a_carrier_delay_past_the_promise_is_at_risk_and_late_uses_the_tenants_policy(void **s)
{
	(void)s;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\","
	                     "\"allow_split\":true,\"compensation\":[{\"when\":\"late\","
	                     "\"max_late_minutes\":60,\"kind\":\"voucher\",\"percent\":5},"
	                     "{\"when\":\"late\",\"kind\":\"free_shipping\"}]}}"));
	to_packed(&t, "O-1", "2026-11-28T00:00:00Z");
	json_t *r = tcall_ok(&t, "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\"}");
	char tracking[64];
	snprintf(tracking, sizeof(tracking), "%s", tget_str(r, "tracking"));
	json_decref(r);
	carrier(&t, tracking, "exception", "2026-11-25T09:00:00Z",
	        ",\"reason\":\"delayed\",\"estimate\":\"2026-11-29T18:00:00Z\"", 0);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.at_risk\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].reason"), "carrier_exception");
	assert_string_equal(tget_str(ev, "events[0].estimate"), "2026-11-29T18:00:00Z");
	json_decref(ev);
	carrier(&t, tracking, "delivered", "2026-11-29T17:00:00Z", NULL, 0);
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.late\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].compensation.kind"), "free_shipping");
	json_decref(ev);
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.delivered\"}");
	assert_false(json_is_true(tget(ev, "events[0].on_time")));
	assert_int_equal(tget_int(ev, "events[0].late_by_minutes"), 2460);
	json_decref(ev);
	tengine_close(&t);
}

/* O-1 packed and shipped (promise 2026-11-28): its tracking number into TRACKING. */
static void shipped(struct tengine *t, char tracking[64])
{
	to_packed(t, "O-1", "2026-11-28T00:00:00Z");
	json_t *r = tcall_ok(t, "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\"}");
	snprintf(tracking, 64, "%s", tget_str(r, "tracking"));
	json_decref(r);
}

static void
test_each_hub_scan_in_transit_is_news_and_only_the_same_scan_again_is_a_duplicate(void **s)
{
	(void)s;
	struct tengine t;
	char tracking[64], st[32];
	tengine_open(&t);
	tseed_basic(&t);
	shipped(&t, tracking);
	carrier(&t, tracking, "in_transit", "2026-11-24T19:00:00Z", ",\"location\":\"Leipzig\"", 0);
	/* The parcel passes another hub: a new in_transit scan, recorded and announced. */
	carrier(&t, tracking, "in_transit", "2026-11-25T03:00:00Z", ",\"location\":\"Hannover\"",
	        0);
	/* The same time at another place is another scan too. */
	carrier(&t, tracking, "in_transit", "2026-11-25T03:00:00Z", ",\"location\":\"Kassel\"", 0);
	/* The carrier resends the Hannover scan: that one is a duplicate. */
	carrier(&t, tracking, "in_transit", "2026-11-25T03:00:00Z", ",\"location\":\"Hannover\"",
	        1);
	assert_int_equal(count(&t, "shipment.in_transit"), 3);
	assert_int_equal(count(&t, "order.in_transit"), 1); /* the order moved once */
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	json_t *hist = tget(o, "order.allocation.shipments[0].carrier_events");
	assert_int_equal(json_array_size(hist), 3);
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].carrier_events[1].location"),
	                    "Hannover");
	assert_string_equal(tget_str(o, "order.state"), "in_transit");
	json_decref(o);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"shipment.in_transit\"}");
	assert_string_equal(tget_str(ev, "events[1].location"), "Hannover");
	assert_string_equal(tget_str(ev, "events[1].shipment"), "S1-1");
	json_decref(ev);
	/* Delivered, a late hub scan does not move the order back. */
	carrier(&t, tracking, "delivered", "2026-11-26T11:00:00Z", NULL, 0);
	carrier(&t, tracking, "in_transit", "2026-11-26T12:00:00Z", ",\"location\":\"Berlin\"", 1);
	assert_string_equal(state_of(&t, "O-1", st), "delivered");
	assert_int_equal(count(&t, "shipment.in_transit"), 3);
	tengine_close(&t);
}

static void test_exception_and_return_events_name_the_shipment_and_the_recorded_reason(void **s)
{
	(void)s;
	struct tengine t;
	char tracking[64];
	tengine_open(&t);
	tseed_basic(&t);
	shipped(&t, tracking);
	/* No reason from the carrier: recorded as `other`, and the event says so. */
	carrier(&t, tracking, "exception", "2026-11-25T09:00:00Z", ",\"detail\":\"sorter jam\"", 0);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"shipment.exception\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].shipment"), "S1-1");
	assert_string_equal(tget_str(ev, "events[0].reason"), "other");
	assert_string_equal(tget_str(ev, "events[0].tracking"), tracking);
	json_decref(ev);
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].exception.reason"), "other");
	json_decref(o);
	carrier(&t, tracking, "exception", "2026-11-25T10:00:00Z", ",\"reason\":\"address\"", 0);
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"shipment.exception\"}");
	assert_string_equal(tget_str(ev, "events[1].reason"), "address");
	json_decref(ev);
	carrier(&t, tracking, "returned_to_sender", "2026-11-26T08:00:00Z", NULL, 0);
	ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"shipment.returned_to_sender\"}");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].shipment"), "S1-1");
	json_decref(ev);
	/* The trip has ended: later news changes nothing. */
	carrier(&t, tracking, "in_transit", "2026-11-26T09:00:00Z", NULL, 1);
	tengine_close(&t);
}

/* ---- ship.confirm with a carrier of the operator's choice ---- */

/* W1 of tseed_basic plus UPS standard (18:00, 3 days, 3.00): UPS offers no express. Then
 * O-1, express, promised by 2026-11-26, packed (DHL express: 15:00 today, due tomorrow). */
static void packed_express_with_ups_at_hand(struct tengine *t)
{
	tengine_open(t);
	tseed_basic(t);
	json_decref(tcall_ok(
	    t,
	    "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
	    "\"timezone\":\"UTC\",\"location\":{\"lat\":52.52,\"lon\":13.40},"
	    "\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,"
	    "\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},"
	    "\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	    "\"transit_days\":2,\"cost\":4.5},{\"carrier\":\"DHL\",\"service\":\"express\","
	    "\"cutoff\":\"15:00\",\"transit_days\":1,\"cost\":9.9},{\"carrier\":\"UPS\","
	    "\"service\":\"standard\",\"cutoff\":\"18:00\",\"transit_days\":3,\"cost\":3.0}]}}"));
	submit_for(t, "O-1", "2026-11-26T00:00:00Z", "express");
	tflow_release(t, "W1");
	tflow_pick_all(t, "W1", "P1");
	const char *ids[] = { "O-1" };
	assert_int_equal(tflow_pack(t, "PS-1", "acme", ids, 1), 1);
}

static void
test_ship_confirm_with_an_option_the_warehouse_lacks_is_refused_naming_the_field(void **s)
{
	(void)s;
	struct tengine t;
	packed_express_with_ups_at_hand(&t);
	/* UPS is here, but not for express, the order's service. */
	json_t *r =
	    tcall_err(&t, "unknown_service",
	              "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\",\"carrier\":\"UPS\"}");
	assert_string_equal(tget_str(r, "error.field"), "service");
	assert_non_null(strstr(tget_str(r, "error.message"), "express"));
	json_decref(r);
	r = tcall_err(&t, "unknown_service",
	              "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\",\"carrier\":\"DHL\","
	              "\"service\":\"overnight\"}");
	assert_string_equal(tget_str(r, "error.field"), "service");
	json_decref(r);
	r = tcall_err(&t, "unknown_carrier",
	              "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\",\"carrier\":\"FedEx\"}");
	assert_string_equal(tget_str(r, "error.field"), "carrier");
	json_decref(r);
	/* Nothing shipped. */
	char st[32];
	assert_string_equal(state_of(&t, "O-1", st), "packed");
	tengine_close(&t);
}

static void test_ship_confirm_with_a_carrier_override_records_what_actually_ships(void **s)
{
	(void)s;
	struct tengine t;
	packed_express_with_ups_at_hand(&t);
	json_t *r = tcall_ok(&t, "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\",\"carrier\":"
	                         "\"UPS\",\"service\":\"standard\"}");
	assert_string_equal(tget_str(r, "carrier"), "UPS");
	assert_string_equal(tget_str(r, "service"), "standard");
	assert_false(json_is_true(tget(r, "on_time"))); /* 3 days from tonight */
	char pickup[40], estimate[40];
	snprintf(pickup, sizeof(pickup), "%s", tget_str(r, "pickup"));
	snprintf(estimate, sizeof(estimate), "%s", tget_str(r, "estimate"));
	assert_string_equal(pickup, "2026-11-24T18:00:00Z");
	json_decref(r);
	/* The shipment's record is the UPS option that left, not the DHL express plan. */
	json_t *o = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"O-1\"}");
	json_t *sh = tget(o, "order.allocation.shipments[0]");
	assert_string_equal(tget_str(sh, "carrier"), "UPS");
	assert_string_equal(tget_str(sh, "service"), "standard");
	assert_string_equal(tget_str(sh, "ship_service"), "standard");
	assert_string_equal(tget_str(sh, "cutoff"), pickup);
	assert_string_equal(tget_str(sh, "estimate"), estimate);
	/* The promise watch and the customer's outlook go by it. */
	assert_string_equal(tget_str(o, "order.estimate"), estimate);
	assert_false(json_is_true(tget(o, "order.on_time")));
	assert_string_equal(tget_str(o, "order.at_risk.reason"), "cutoff_missed");
	assert_string_equal(tget_str(o, "order.at_risk.estimate"), estimate);
	json_decref(o);
	json_t *ev = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"shipment.shipped\"}");
	assert_string_equal(tget_str(ev, "events[0].carrier"), "UPS");
	assert_string_equal(tget_str(ev, "events[0].service"), "standard");
	json_decref(ev);
	/* report.otif groups it under the carrier that took it. */
	r = tcall_ok(&t, "{\"op\":\"report.otif\",\"from\":\"2026-11-01T00:00:00Z\","
	                 "\"to\":\"2026-12-31T00:00:00Z\",\"by\":\"carrier\"}");
	assert_string_equal(tget_str(r, "groups[0].group"), "UPS");
	json_decref(r);
	tengine_close(&t);
}

static long long last_seq(struct tengine *t)
{
	json_t *r = tcall_ok(t, "{\"op\":\"ping\"}");
	long long n = tget_int(r, "last_seq");
	json_decref(r);
	return n;
}

static void test_carrier_news_from_before_the_parcel_left_or_from_the_future_is_refused(void **s)
{
	(void)s;
	struct tengine t;
	char st[32];
	tengine_open(&t);
	tseed_basic(&t);
	to_packed(&t, "O-1", "2026-11-28T00:00:00Z");
	json_t *r = tcall_ok(&t, "{\"op\":\"ship.confirm\",\"shipment\":\"S1-1\"}");
	char tracking[64];
	snprintf(tracking, sizeof(tracking), "%s", tget_str(r, "tracking"));
	json_decref(r);
	long long seq = last_seq(&t);
	/* A feed's default epoch would make any late parcel on time. */
	r = tcall_err(&t, "out_of_range",
	              "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":\"delivered\","
	              "\"at\":\"2020-01-01T00:00:00Z\"}",
	              tracking);
	assert_string_equal(tget_str(r, "error.field"), "at");
	assert_non_null(strstr(tget_str(r, "error.message"), "2020-01-01T00:00:00Z"));
	assert_non_null(strstr(tget_str(r, "error.message"), "before shipment S1-1 left"));
	json_decref(r);
	/* The engine runs at 08:00 (the simulated clock): news of 19:00 has not happened. */
	r = tcall_err(&t, "out_of_range",
	              "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":\"in_transit\","
	              "\"at\":\"2026-11-24T19:00:00Z\"}",
	              tracking);
	assert_non_null(strstr(tget_str(r, "error.message"), "in the future"));
	json_decref(r);
	assert_string_equal(state_of(&t, "O-1", st), "shipped");
	assert_int_equal(last_seq(&t), seq);
	/* Within the skew allowed for a carrier's clock, either side, the news counts. */
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":"
	                     "\"in_transit\",\"at\":\"2026-11-24T08:10:00Z\"}",
	                     tracking));
	assert_string_equal(state_of(&t, "O-1", st), "in_transit");
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_a_packed_order_ships_with_a_tracking_number_and_is_followed_to_the_door),
		cmocka_unit_test(
		    test_a_wave_not_started_in_time_raises_at_risk_when_it_becomes_knowable),
		cmocka_unit_test(
		    test_a_carrier_delay_past_the_promise_is_at_risk_and_late_uses_the_tenants_policy),
		cmocka_unit_test(
		    test_each_hub_scan_in_transit_is_news_and_only_the_same_scan_again_is_a_duplicate),
		cmocka_unit_test(
		    test_exception_and_return_events_name_the_shipment_and_the_recorded_reason),
		cmocka_unit_test(
		    test_ship_confirm_with_an_option_the_warehouse_lacks_is_refused_naming_the_field),
		cmocka_unit_test(
		    test_ship_confirm_with_a_carrier_override_records_what_actually_ships),
		cmocka_unit_test(
		    test_carrier_news_from_before_the_parcel_left_or_from_the_future_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
