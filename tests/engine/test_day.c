/*
 * A full simulated day and its aftermath, on the simulated clock, through the engine's ops:
 * 40 orders submitted and allocated; a wave of 32 picked, packed and shipped the same day; 8
 * left out of the day's waves (late waves) and shipped the next day; 4 of the shipped parcels
 * delayed by the carrier. The test keeps its own book of what it did and checks the engine
 * against it: every order that ends up late raised order.at_risk before its promise passed
 * (it was knowable for all of them), every missed promise produced order.late with the
 * compensation the tenant's policy gives for that lateness, and report.otif counts what the
 * test counted.
 * Network: tseed_basic (W1 in UTC, DHL standard cutoff 17:00, 2 days transit).
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
#include "wms/notify.h"
#include "wms/time.h"

#define N_ORDERS  40
#define N_WAVED   32 /* the day's waves take the first 32 in queue order */
#define N_DELAYED 4  /* of the waved ones, the carrier delays these */
#define PROMISE   "2026-11-27T00:00:00Z"

struct book {
	char tracking[N_ORDERS][64];
	int64_t delivered[N_ORDERS];
	int late_wave[N_ORDERS], delayed[N_ORDERS];
};

static void at(struct tengine *t, const char *when)
{
	json_decref(tcall_ok(t, "{\"op\":\"clock.set\",\"at\":\"%s\"}", when));
}

static void id_of(int i, char id[16])
{
	snprintf(id, 16, "D-%02d", i);
}

/* Ships every packed order of the book that has no tracking yet. */
static void ship_packed(struct tengine *t, struct book *b)
{
	for (int i = 0; i < N_ORDERS; i++) {
		char id[16];
		id_of(i, id);
		if (b->tracking[i][0])
			continue;
		const char *tr = tflow_ship(t, "acme", id);
		if (tr)
			snprintf(b->tracking[i], sizeof(b->tracking[i]), "%s", tr);
	}
}

static void pack_all(struct tengine *t)
{
	char ids[N_ORDERS][16];
	const char *p[N_ORDERS];
	for (int i = 0; i < N_ORDERS; i++) {
		id_of(i, ids[i]);
		p[i] = ids[i];
	}
	tflow_pack(t, "PS-1", "acme", p, N_ORDERS);
}

static void carrier(struct tengine *t, const char *tracking, const char *status, const char *when,
                    const char *extra)
{
	tclock_reach(t, when);
	json_decref(tcall_ok(t,
	                     "{\"op\":\"carrier.event\",\"tracking\":\"%s\",\"status\":\"%s\","
	                     "\"at\":\"%s\"%s}",
	                     tracking, status, when, extra ? extra : ""));
}

static void deliver(struct tengine *t, struct book *b, int i, const char *when)
{
	carrier(t, b->tracking[i], "delivered", when, NULL);
	assert_int_equal(wms_time_parse(when, &b->delivered[i]), 0);
}

/* The compensation this test's policy gives for LATE minutes. */
static const char *policy_for(long long late)
{
	return late <= 720 ? "voucher" : "free_shipping";
}

static void test_a_simulated_day_warns_before_promises_fail_and_reports_otif(void **state)
{
	(void)state;
	struct tengine t;
	struct book b;
	memset(&b, 0, sizeof(b));
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t,
	                     "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\","
	                     "\"allow_split\":true,\"compensation\":[{\"when\":\"late\","
	                     "\"max_late_minutes\":720,\"kind\":\"voucher\",\"percent\":5},"
	                     "{\"when\":\"late\",\"kind\":\"free_shipping\"}]}}"));
	/* 08:00: the OMS sends the day's orders, each customer with an email address (the
	 * notification service writes only to a channel the order has). */
	for (int i = 0; i < N_ORDERS; i++) {
		char id[16];
		id_of(i, id);
		json_decref(tcall_ok(
		    &t,
		    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":"
		    "\"%s\",\"lines\":[{\"sku\":\"SKU-%d\",\"qty\":%d}],\"ship_to\":{"
		    "\"name\":\"C%d\",\"address\":\"Main %d\",\"postal_code\":\"10115\","
		    "\"country\":\"DE\",\"email\":\"c%d@example.com\"},\"service\":\"standard\","
		    "\"promised_by\":\"%s\"}}",
		    id, 1 + i % 5, 1 + i % 2, i, i, i, PROMISE));
		b.late_wave[i] = i >= N_WAVED;
		b.delayed[i] = i < N_DELAYED;
	}
	/* 09:00: one wave of 32 (queue order = submission order here); the rest waits. */
	at(&t, "2026-11-24T09:00:00Z");
	json_t *p =
	    tcall_ok(&t, "{\"op\":\"wave.plan\",\"warehouse\":\"W1\",\"max_orders\":%d}", N_WAVED);
	assert_int_equal(tget_int(p, "waves[0].orders"), N_WAVED);
	json_decref(
	    tcall_ok(&t, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", tget_str(p, "waves[0].id")));
	json_decref(p);
	at(&t, "2026-11-24T10:00:00Z");
	tflow_pick_all(&t, "W1", "P1");
	at(&t, "2026-11-24T12:00:00Z");
	pack_all(&t);
	ship_packed(&t, &b);
	for (int i = 0; i < N_ORDERS; i++)
		assert_int_equal(b.tracking[i][0] != '\0', !b.late_wave[i]);
	/* The day goes on; the 8 not waved miss the 17:00 truck. */
	at(&t, "2026-11-24T20:00:00Z");
	for (int i = 0; i < N_WAVED; i++)
		carrier(&t, b.tracking[i], "in_transit", "2026-11-24T19:30:00Z", NULL);
	/* Next morning: the carrier reports delays; the late ones go through the floor. */
	at(&t, "2026-11-25T09:00:00Z");
	for (int i = 0; i < N_ORDERS; i++)
		if (b.delayed[i])
			carrier(&t, b.tracking[i], "exception", "2026-11-25T08:40:00Z",
			        ",\"reason\":\"delayed\",\"estimate\":\"2026-11-27T06:00:00Z\"");
	tflow_release(&t, "W1");
	tflow_pick_all(&t, "W1", "P1");
	pack_all(&t);
	ship_packed(&t, &b);
	for (int i = 0; i < N_ORDERS; i++)
		assert_true(b.tracking[i][0] != '\0');
	/* Deliveries. */
	at(&t, "2026-11-26T18:00:00Z");
	for (int i = 0; i < N_WAVED; i++)
		if (!b.delayed[i])
			deliver(&t, &b, i, "2026-11-26T14:00:00Z");
	at(&t, "2026-11-27T08:00:00Z");
	for (int i = 0; i < N_ORDERS; i++)
		if (b.delayed[i])
			deliver(&t, &b, i, "2026-11-27T05:00:00Z");
	at(&t, "2026-11-28T08:00:00Z");
	for (int i = N_WAVED; i < N_ORDERS; i++)
		deliver(&t, &b, i, "2026-11-27T15:00:00Z");
	at(&t, "2026-11-29T00:00:00Z");

	/* The test's own count, then the engine's facts against it. */
	int64_t promise;
	assert_int_equal(wms_time_parse(PROMISE, &promise), 0);
	int otif = 0, late_wave = 0, carrier_delay = 0;
	for (int i = 0; i < N_ORDERS; i++) {
		char id[16];
		id_of(i, id);
		bool late = b.delivered[i] > promise;
		otif += !late;
		late_wave += late && b.late_wave[i];
		carrier_delay += late && b.delayed[i];
		json_t *o =
		    tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
		assert_string_equal(tget_str(o, "order.state"), "delivered");
		json_t *tl = tget(o, "order.timeline");
		int64_t risk_at = -1;
		json_t *late_ev = NULL;
		for (size_t k = 0; k < json_array_size(tl); k++) {
			json_t *e = json_array_get(tl, k);
			const char *type = json_string_value(json_object_get(e, "type"));
			int64_t when;
			wms_time_parse(json_string_value(json_object_get(e, "at")), &when);
			if (strcmp(type, "order.at_risk") == 0 && risk_at < 0)
				risk_at = when;
			if (strcmp(type, "order.late") == 0) {
				assert_null(late_ev); /* once */
				late_ev = e;
			}
		}
		if (late) {
			if (risk_at < 0 || risk_at >= promise)
				fail_msg("%s was late but not announced at risk before its promise",
				         id);
			if (late_ev == NULL)
				fail_msg("%s missed its promise without order.late", id);
			long long by =
			    json_integer_value(json_object_get(late_ev, "late_by_minutes"));
			assert_true(by > 0);
			json_t *comp = json_object_get(late_ev, "compensation");
			assert_string_equal(json_string_value(json_object_get(comp, "kind")),
			                    policy_for(by));
			/* the tenant's own words: its percent, not the default policy's */
			if (strcmp(policy_for(by), "voucher") == 0)
				assert_string_equal(
				    json_string_value(json_object_get(comp, "text")),
				    "a 5% voucher for your next order");
			assert_false(json_is_true(tget(o, "order.on_time")));
		} else {
			if (risk_at >= 0 || late_ev)
				fail_msg("%s was on time but the engine said otherwise", id);
			assert_true(json_is_true(tget(o, "order.on_time")));
			assert_true(json_is_true(tget(o, "order.in_full")));
		}
		json_decref(o);
	}
	assert_int_equal(otif, N_ORDERS - (N_ORDERS - N_WAVED) - N_DELAYED);

	/* What the reference notification service tells the customers, from the stream. */
	struct wms_notify *nt;
	assert_int_equal(wms_notify_new(NULL, &nt), 0);
	int delay_before[N_ORDERS] = { 0 }, apology[N_ORDERS] = { 0 }, shipped[N_ORDERS] = { 0 };
	for (long long after = 0;;) {
		json_t *page = tcall_ok(&t, "{\"op\":\"events.read\",\"after\":%lld}", after);
		json_t *evs = tget(page, "events");
		for (size_t k = 0; k < json_array_size(evs); k++) {
			struct wms_notify_out out;
			json_t *e = json_array_get(evs, k);
			assert_int_equal(wms_notify_event(nt, e, &out), 0);
			for (size_t m = 0; m < out.n; m++) {
				int i = atoi(out.msg[m].order + 2);
				int64_t when;
				wms_time_parse(tget_str(e, "at"), &when);
				if (strcmp(out.msg[m].kind, "delay") == 0 && when < promise)
					delay_before[i]++;
				if (strcmp(out.msg[m].kind, "apology") == 0)
					apology[i]++;
				if (strcmp(out.msg[m].kind, "shipped") == 0)
					shipped[i]++;
			}
		}
		long long next = tget_int(page, "next_after");
		bool done = json_array_size(evs) == 0 || next == tget_int(page, "last_seq");
		after = next;
		json_decref(page);
		if (done)
			break;
	}
	wms_notify_free(nt);
	for (int i = 0; i < N_ORDERS; i++) {
		bool late = b.delivered[i] > promise;
		assert_int_equal(shipped[i], 1);
		if (late && (delay_before[i] == 0 || apology[i] != 1))
			fail_msg(
			    "D-%02d was late: %d delay notices before the promise, %d apologies", i,
			    delay_before[i], apology[i]);
		if (!late && (delay_before[i] || apology[i]))
			fail_msg("D-%02d was on time but its customer heard of a delay", i);
	}
	json_t *r = tcall_ok(&t, "{\"op\":\"report.otif\",\"from\":\"2026-11-26T00:00:00Z\","
	                         "\"to\":\"2026-11-28T00:00:00Z\",\"by\":\"tenant\"}");
	assert_int_equal(tget_int(r, "total.orders"), N_ORDERS);
	assert_int_equal(tget_int(r, "total.otif"), otif);
	assert_int_equal(tget_int(r, "total.misses.late_wave"), late_wave);
	assert_int_equal(tget_int(r, "total.misses.carrier_delay"), carrier_delay);
	assert_string_equal(tget_str(r, "groups[0].group"), "acme");
	assert_int_equal(tget_int(r, "groups[0].otif"), otif);
	json_decref(r);
	tengine_close(&t);
}

static void test_a_wrong_item_return_is_traced_to_its_scans_and_replaced_express(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(
	    tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"R-1\","
	                 "\"lines\":[{\"sku\":\"SKU-2\",\"qty\":2}],\"ship_to\":{\"name\":\"A\","
	                 "\"address\":\"B\",\"postal_code\":\"1\",\"country\":\"DE\"},"
	                 "\"service\":\"standard\",\"promised_by\":\"" PROMISE "\"}}"));
	tflow_release(&t, "W1");
	tflow_pick_all(&t, "W1", "P7");
	const char *ids[] = { "R-1" };
	tflow_pack(&t, "PS-3", "acme", ids, 1);
	char tracking[64];
	snprintf(tracking, sizeof(tracking), "%s", tflow_ship(&t, "acme", "R-1"));
	carrier(&t, tracking, "delivered", "2026-11-26T10:00:00Z", NULL);
	/* Returning more than was delivered is refused and changes nothing. */
	json_decref(
	    tcall_err(&t, "out_of_range",
	              "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":\"R-1\","
	              "\"lines\":[{\"sku\":\"SKU-2\",\"qty\":3,\"reason\":\"wrong_item\"}]}"));
	json_t *r =
	    tcall_ok(&t, "{\"op\":\"return.authorize\",\"tenant\":\"acme\",\"order\":\"R-1\","
	                 "\"lines\":[{\"sku\":\"SKU-2\",\"qty\":1,\"reason\":\"wrong_item\"}]}");
	assert_string_equal(tget_str(r, "return.compensation.kind"), "replacement_express");
	assert_string_equal(tget_str(r, "return.replacement"), "R-1-R1");
	/* Who picked it, where, and at which station it was packed. */
	json_t *scans = tget(r, "return.trace[0].scans");
	int picks = 0, packs = 0;
	for (size_t i = 0; i < json_array_size(scans); i++) {
		json_t *s = json_array_get(scans, i);
		if (strcmp(json_string_value(json_object_get(s, "type")), "pick.confirmed") == 0) {
			picks++;
			assert_string_equal(json_string_value(json_object_get(s, "location")),
			                    "A02-01-1");
		} else {
			packs++;
			assert_string_equal(json_string_value(json_object_get(s, "station")),
			                    "PS-3");
		}
	}
	assert_int_equal(picks, 1);
	assert_int_equal(packs, 2);
	char rma[64];
	snprintf(rma, sizeof(rma), "%s", tget_str(r, "return.rma"));
	json_decref(r);
	json_t *repl = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"R-1-R1\"}");
	assert_string_equal(tget_str(repl, "order.service"), "express");
	assert_string_equal(tget_str(repl, "order.state"), "allocated");
	json_decref(repl);
	json_t *rec = tcall_ok(&t,
	                       "{\"op\":\"return.receive\",\"rma\":\"%s\",\"codes\":["
	                       "\"4006381333931\",\"(01)09506000134352\"]}",
	                       rma);
	assert_int_equal(json_array_size(tget(rec, "accepted")), 1);
	assert_string_equal(tget_str(rec, "refused[0].reason"), "not_in_order");
	assert_string_equal(tget_str(rec, "state"), "received");
	json_decref(rec);
	json_t *s0 = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-2\"}");
	long long before = tget_int(s0, "on_hand");
	json_decref(s0);
	json_t *g =
	    tcall_ok(&t,
	             "{\"op\":\"return.grade\",\"rma\":\"%s\",\"lines\":[{\"sku\":\"SKU-2\","
	             "\"qty\":1,\"grade\":\"restock\",\"location\":\"A02-01-1\"}]}",
	             rma);
	assert_string_equal(tget_str(g, "state"), "closed");
	json_decref(g);
	s0 = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-2\"}");
	assert_int_equal(tget_int(s0, "on_hand"), before + 1);
	json_decref(s0);
	/* A packing error is an OTIF miss even when the parcel came on time. */
	json_t *rep = tcall_ok(&t, "{\"op\":\"report.otif\",\"from\":\"2026-11-26T00:00:00Z\","
	                           "\"to\":\"2026-11-28T00:00:00Z\",\"by\":\"warehouse\"}");
	assert_int_equal(tget_int(rep, "total.on_time"), 1);
	assert_int_equal(tget_int(rep, "total.otif"), 0);
	assert_int_equal(tget_int(rep, "total.misses.packing_error"), 1);
	json_decref(rep);
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_simulated_day_warns_before_promises_fail_and_reports_otif),
		cmocka_unit_test(
		    test_a_wrong_item_return_is_traced_to_its_scans_and_replaced_express),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
