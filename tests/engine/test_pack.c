/*
 * Pack verification through the engine's ops, verdict by verdict: a picked tote opens a carton
 * at a station, every item and insert is checked against the shipment, the scale against the
 * weight rule of pack.h, and closing gives the carton an SSCC and a GS1-128 label.
 * Network: tpick_seed (tests/support/tpick.h); orders are picked through pick.scan first.
 * Every test opens a fresh engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "tengine.h"
#include "tpick.h"

/* pack.h: expected = tare + items, tolerance = max(tolerance_g, tolerance_pct of expected). */
#define TARE_G        150
#define TOLERANCE_G   25
#define TOLERANCE_PCT 5
/* pack.h PACK_SERIAL_COUNTER (pack.h's handler names clash with this file's helpers). */
#define PACK_SERIAL_COUNTER "sscc_serial"

static json_t *pack_scan_at(struct tengine *t, const char *station, const char *sid,
                            const char *code)
{
	return tcall(t,
	             "{\"op\":\"pack.scan\",\"station\":\"%s\",\"scan_id\":\"%s\",\"code\":\"%s\"}",
	             station, sid, code);
}

static json_t *pack_scan(struct tengine *t, const char *sid, const char *code)
{
	return pack_scan_at(t, "PS-1", sid, code);
}

static json_t *pack_weigh(struct tengine *t, const char *sid, long long grams)
{
	return tcall(
	    t, "{\"op\":\"pack.weigh\",\"station\":\"PS-1\",\"scan_id\":\"%s\",\"grams\":%lld}",
	    sid, grams);
}

static json_t *pack_close(struct tengine *t, const char *sid)
{
	return tcall(t, "{\"op\":\"pack.close\",\"station\":\"PS-1\",\"scan_id\":\"%s\"}", sid);
}

/* The tote of acme order ID's first shipment (static buffer). */
static const char *tote_of(struct tengine *t, const char *id)
{
	static char tote[32];
	json_t *o = tpick_order(t, id);
	const char *s = tget_str(o, "order.allocation.shipments[0].tote");
	assert_non_null(s);
	snprintf(tote, sizeof(tote), "%s", s);
	json_decref(o);
	return tote;
}

/* A fresh engine with order O-1 of LINES (and EXTRA order fields) picked; TOTE its tote. */
static void open_picked(struct tengine *t, const char *lines, const char *extra, char tote[32])
{
	tengine_open(t);
	tpick_seed(t);
	tpick_submit(t, "O-1", lines, extra);
	json_decref(tpick_release_next(t));
	assert_true(tpick_pick_all(t) > 0);
	assert_string_equal(tpick_order_state(t, "O-1"), "picked");
	snprintf(tote, 32, "%s", tote_of(t, "O-1"));
}

/* A fresh engine with O-1 (QTY1 x SKU-1) and O-2 (1 x SKU-2) picked, in totes T1 and T2. */
static void open_two_picked(struct tengine *t, const char *qty1, char t1[32], char t2[32])
{
	tengine_open(t);
	tpick_seed(t);
	char lines[64];
	snprintf(lines, sizeof(lines), "[{\"sku\":\"SKU-1\",\"qty\":%s}]", qty1);
	tpick_submit(t, "O-1", lines, "");
	tpick_submit(t, "O-2", "[{\"sku\":\"SKU-2\",\"qty\":1}]", "");
	json_decref(tpick_release_next(t));
	assert_int_equal(tpick_pick_all(t), 2);
	snprintf(t1, 32, "%s", tote_of(t, "O-1"));
	snprintf(t2, 32, "%s", tote_of(t, "O-2"));
}

/* The same, with the tote scanned at PS-1. */
static void open_carton(struct tengine *t, const char *lines, const char *extra, char tote[32])
{
	open_picked(t, lines, extra, tote);
	tpick_expect(pack_scan(t, "tote", tote), "accepted", NULL);
}

/* The documented tolerance for an expected weight, in grams (may be fractional). */
static double tolerance(double expected, double abs_g, double pct)
{
	double rel = expected * pct / 100.0;
	return rel > abs_g ? rel : abs_g;
}

/* What pack.h says of READING against EXPECTED. */
static bool within(long long reading, long long expected, double abs_g, double pct)
{
	double d = (double)(reading > expected ? reading - expected : expected - reading);
	return d <= tolerance((double)expected, abs_g, pct);
}

/* The GS1 mod-10 check digit of an SSCC's first 17 digits, computed here. */
static bool sscc_ok(const char *sscc)
{
	if (sscc == NULL || strlen(sscc) != 18 || strspn(sscc, "0123456789") != 18)
		return false;
	return sscc[17] - '0' == tpick_check_digit(sscc, 17);
}

/* ---- opening the carton ---- */

static void test_pack_scan_of_a_picked_tote_opens_the_carton_for_its_order(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	long long seq = tpick_last_seq(&t);
	json_t *r = pack_scan(&t, "k1", tote);
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	assert_string_equal(tget_str(r, "order"), "O-1");
	assert_string_equal(tget_str(r, "tote"), tote);
	assert_non_null(strstr(tget_str(r, "instruction"), "2 to go"));
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	json_t *ev = tpick_events(&t, seq, "order.packing");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].station"), "PS-1");
	json_decref(ev);
	/* Its own tote again is fine: the carton stays open. */
	tpick_expect(pack_scan(&t, "k2", tote), "accepted", NULL);
	tengine_close(&t);
}

static void test_pack_scan_of_a_tote_without_a_picked_order_is_refused(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	json_t *n = tpick_release_next(&t);
	char tote[32], task[64], loc[64];
	snprintf(tote, sizeof(tote), "%s", tget_str(n, "task.tote"));
	snprintf(task, sizeof(task), "%s", tget_str(n, "task.id"));
	snprintf(loc, sizeof(loc), "LOC-%s", tget_str(n, "task.location"));
	json_decref(n);
	/* A tote that holds no order. */
	json_t *r = pack_scan(&t, "k1", "TOTE-999999");
	assert_string_equal(treply_code(r), "unknown_barcode");
	assert_non_null(strstr(tget_str(r, "message"), "TOTE-999999"));
	json_decref(r);
	/* The tote of an order still being picked. */
	tpick_expect(tpick_scan(&t, task, "p1", loc), "accepted", NULL);
	tpick_expect(tpick_scan(&t, task, "p2", TPICK_GTIN1), "accepted", NULL);
	r = pack_scan(&t, "k2", tote);
	assert_string_equal(tget_str(r, "verdict"), "refused");
	assert_string_equal(treply_code(r), "invalid_state");
	assert_non_null(strstr(tget_str(r, "message"), "picking"));
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-1"), "picking");
	/* Nothing but a tote opens a carton. */
	tpick_expect(pack_scan(&t, "k3", TPICK_GTIN1), "refused", "out_of_sequence");
	tpick_expect(pack_weigh(&t, "k4", 250), "refused", "out_of_sequence");
	tpick_expect(pack_close(&t, "k5"), "refused", "out_of_sequence");
	json_t *ev = tpick_events(&t, 0, "pack.rejected");
	assert_int_equal(tget_int(ev, "count"), 5);
	json_decref(ev);
	tengine_close(&t);
}

static void test_a_station_with_an_open_carton_refuses_another_tote(void **state)
{
	(void)state;
	struct tengine t;
	char t1[32], t2[32];
	open_two_picked(&t, "1", t1, t2);
	tpick_expect(pack_scan(&t, "k1", t1), "accepted", NULL);
	json_t *r = pack_scan(&t, "k2", t2);
	assert_string_equal(treply_code(r), "out_of_sequence");
	assert_non_null(strstr(tget_str(r, "message"), t1));
	json_decref(r);
	/* The open carton's tote cannot be opened at a second station. */
	r = pack_scan_at(&t, "PS-2", "k1", t1);
	assert_string_equal(treply_code(r), "invalid_state");
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-2"), "picked");
	tpick_expect(pack_scan_at(&t, "PS-2", "k2", t2), "accepted", NULL);
	tengine_close(&t);
}

/* ---- items ---- */

static void test_pack_scan_of_an_item_not_in_the_order_is_not_in_order(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	json_t *r = pack_scan(&t, "k1", TPICK_UPC2);
	assert_string_equal(treply_code(r), "not_in_order");
	assert_non_null(strstr(tget_str(r, "message"), "SKU-2"));
	assert_non_null(strstr(tget_str(r, "message"), "O-1"));
	json_decref(r);
	/* Not items of the tenant at all. */
	tpick_expect(pack_scan(&t, "k2", TPICK_GTIN_BETA), "refused", "unknown_barcode");
	r = pack_scan(&t, "k3", "4006381333932");
	assert_string_equal(treply_code(r), "unknown_barcode");
	assert_string_equal(tget_str(r, "barcode_error"), "check_digit");
	json_decref(r);
	/* Another engine label is no item. */
	tpick_expect(pack_scan(&t, "k4", "LOC-A01-01-1"), "refused", "out_of_sequence");
	tengine_close(&t);
}

static void test_pack_scan_past_what_the_shipment_expects_is_over_pack(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	json_t *r = pack_scan(&t, "k1", TPICK_GTIN1);
	assert_non_null(strstr(tget_str(r, "message"), "1 of 2"));
	json_decref(r);
	/* A case of 6 on 1 of 2. */
	r = pack_scan(&t, "k2", tpick_case_gtin());
	assert_string_equal(treply_code(r), "over_pack");
	assert_non_null(strstr(tget_str(r, "message"), "1 still expected"));
	json_decref(r);
	/* A raw element string with GS (ASCII 29) after a variable-length field. */
	tpick_expect(pack_scan(&t, "k3", "010" TPICK_GTIN1 "21SN1\\u001d10ABC"), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k4", TPICK_GTIN1), "refused", "over_pack");
	/* Still exactly two in the carton: it weighs and closes as two. */
	tpick_expect(pack_weigh(&t, "k5", TARE_G + 200), "accepted", NULL);
	tpick_expect(pack_close(&t, "k6"), "accepted", NULL);
	tengine_close(&t);
}

static void test_pack_scan_of_a_case_gtin_counts_its_pack_quantity(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":7}]", "", tote);
	json_t *r = pack_scan(&t, "k1", tpick_case_gtin());
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	assert_non_null(strstr(tget_str(r, "message"), "6 of 7"));
	json_decref(r);
	tpick_expect(pack_close(&t, "k2"), "refused", "incomplete");
	tpick_expect(pack_scan(&t, "k3", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "k4", TARE_G + 700), "accepted", NULL);
	json_t *c = pack_close(&t, "k5");
	assert_string_equal(tget_str(c, "verdict"), "accepted");
	json_decref(c);
	json_t *o = tpick_order(&t, "O-1");
	assert_int_equal(tget_int(o, "order.allocation.shipments[0].cartons[0].items.SKU-1"), 7);
	json_decref(o);
	tengine_close(&t);
}

/* ---- inserts ---- */

static void test_pack_close_before_the_inserts_is_missing_insert(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":1}]",
	            ",\"gift_message\":\"Happy birthday\",\"inserts\":[\"XMAS-CARD\",\"promo\"]",
	            tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	json_t *r = pack_close(&t, "k2");
	assert_string_equal(treply_code(r), "missing_insert");
	assert_non_null(strstr(tget_str(r, "message"), "INS-XMAS-CARD"));
	json_decref(r);
	/* An insert the order does not have. */
	r = pack_scan(&t, "k3", "INS-EASTER");
	assert_string_equal(tget_str(r, "verdict"), "refused");
	assert_string_equal(treply_code(r), "not_in_order");
	assert_non_null(strstr(tget_str(r, "message"), "INS-EASTER"));
	json_decref(r);
	tpick_expect(pack_scan(&t, "k4", "ins-xmas-card"), "accepted", NULL);
	r = pack_close(&t, "k5");
	assert_string_equal(treply_code(r), "missing_insert");
	assert_non_null(strstr(tget_str(r, "message"), "INS-PROMO"));
	json_decref(r);
	tpick_expect(pack_scan(&t, "k6", "INS-PROMO"), "accepted", NULL);
	r = pack_close(&t, "k7");
	assert_string_equal(treply_code(r), "missing_insert");
	assert_non_null(strstr(tget_str(r, "message"), "INS-GIFT"));
	json_decref(r);
	tpick_expect(pack_scan(&t, "k8", "INS-GIFT"), "accepted", NULL);
	/* Every insert in: now only the scale is missing. */
	tpick_expect(pack_close(&t, "k9"), "refused", "weight_mismatch");
	tpick_expect(pack_weigh(&t, "k10", TARE_G + 100), "accepted", NULL);
	tpick_expect(pack_close(&t, "k11"), "accepted", NULL);
	tengine_close(&t);
}

/* ---- the scale ---- */

/* Weighs READINGS (sids w0..) on the open carton of EXPECTED grams, checking each verdict
 * against the documented rule. */
static void weigh_all(struct tengine *t, long long expected, double abs_g, double pct,
                      const long long *readings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char sid[32];
		snprintf(sid, sizeof(sid), "w%zu", i);
		bool ok = within(readings[i], expected, abs_g, pct);
		json_t *r = pack_weigh(t, sid, readings[i]);
		const char *v = tget_str(r, "verdict");
		if (v == NULL || strcmp(v, ok ? "accepted" : "refused") != 0)
			fail_msg("%lld g against %lld g: expected %s, got %s", readings[i],
			         expected, ok ? "accepted" : "weight_mismatch",
			         tget_str(r, "message"));
		if (!ok)
			assert_string_equal(treply_code(r), "weight_mismatch");
		assert_int_equal(tget_int(r, "expected_g"), expected);
		json_decref(r);
	}
}

static void test_pack_weigh_of_a_light_carton_allows_the_fixed_gram_floor(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":1}]", "", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	long long want = TARE_G + 100; /* 250 g: 5 % is 12.5 g, the 25 g floor applies */
	assert_true(tolerance((double)want, TOLERANCE_G, TOLERANCE_PCT) == TOLERANCE_G);
	const long long readings[] = { 276, 224, 300, 0, 275, 225, 250 };
	weigh_all(&t, want, TOLERANCE_G, TOLERANCE_PCT, readings, 7);
	assert_false(within(276, want, TOLERANCE_G, TOLERANCE_PCT));
	assert_true(within(275, want, TOLERANCE_G, TOLERANCE_PCT));
	tengine_close(&t);
}

static void test_pack_weigh_of_a_heavy_carton_allows_the_percentage(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-3\",\"qty\":2}]", "", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_EAN3), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k2", TPICK_EAN3), "accepted", NULL);
	long long want = TARE_G + 2 * 2000; /* 4150 g: 5 % is 207.5 g, above the floor */
	assert_true(tolerance((double)want, TOLERANCE_G, TOLERANCE_PCT) > 207.0);
	/* 208 g off is outside 207.5 g; 207 g off is inside. */
	const long long readings[] = { 4358, 3942, 4500, 4357, 3943, 4150 };
	weigh_all(&t, want, TOLERANCE_G, TOLERANCE_PCT, readings, 6);
	assert_false(within(4358, want, TOLERANCE_G, TOLERANCE_PCT));
	tengine_close(&t);
}

static void test_pack_weigh_follows_the_warehouses_tare_and_tolerances(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	json_decref(tcall_ok(
	    &t, "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"W1\","
	        "\"timezone\":\"UTC\",\"location\":{\"lat\":52.52,\"lon\":13.40},"
	        "\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,"
	        "\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},"
	        "\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	        "\"transit_days\":2,\"cost\":4.5}],\"carton_tare_g\":300,"
	        "\"weight_tolerance_g\":10,\"weight_tolerance_pct\":2.5}}"));
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-2\",\"qty\":3}]", "");
	json_decref(tpick_release_next(&t));
	tpick_pick_all(&t);
	tpick_expect(pack_scan(&t, "tote", tote_of(&t, "O-1")), "accepted", NULL);
	for (int i = 0; i < 3; i++) {
		char sid[32];
		snprintf(sid, sizeof(sid), "k%d", i);
		tpick_expect(pack_scan(&t, sid, TPICK_UPC2), "accepted", NULL);
	}
	long long want = 300 + 3 * 250; /* 1050 g: 2.5 % is 26.25 g */
	const long long readings[] = { 1077, 1023, 1076, 1024 };
	weigh_all(&t, want, 10, 2.5, readings, 4);
	tengine_close(&t);
}

static void test_pack_weigh_before_every_item_is_packed_is_incomplete(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "k2", TARE_G + 100), "refused", "incomplete");
	tengine_close(&t);
}

/* ---- closing ---- */

static void test_pack_close_while_an_item_is_missing_is_incomplete(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":2},{\"sku\":\"SKU-2\",\"qty\":1}]", "", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k2", TPICK_UPC2), "accepted", NULL);
	json_t *r = pack_close(&t, "k3");
	assert_string_equal(treply_code(r), "incomplete");
	assert_non_null(strstr(tget_str(r, "message"), "1 unit"));
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	tengine_close(&t);
}

static void
test_pack_close_without_an_accepted_weight_since_the_last_change_is_refused(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":1}]", ",\"gift_message\":\"Hi\"", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k2", "INS-GIFT"), "accepted", NULL);
	/* Never weighed. */
	json_t *r = pack_close(&t, "k3");
	assert_string_equal(treply_code(r), "weight_mismatch");
	assert_non_null(strstr(tget_str(r, "instruction"), "scale"));
	json_decref(r);
	/* Weighed outside the tolerance. */
	tpick_expect(pack_weigh(&t, "k4", 400), "refused", "weight_mismatch");
	tpick_expect(pack_close(&t, "k5"), "refused", "weight_mismatch");
	/* Weighed, then the carton changed: the gift card scanned again. */
	tpick_expect(pack_weigh(&t, "k6", TARE_G + 100), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k7", "INS-GIFT"), "accepted", NULL);
	tpick_expect(pack_close(&t, "k8"), "refused", "weight_mismatch");
	tpick_expect(pack_weigh(&t, "k9", TARE_G + 100), "accepted", NULL);
	tpick_expect(pack_close(&t, "k10"), "accepted", NULL);
	tengine_close(&t);
}

/* Packs O-1 (SKU-1 x 2) picked into TOTE at PS-1; returns the close reply (owned). */
static json_t *pack_two(struct tengine *t, const char *tote, const char *p)
{
	char sid[32];
	snprintf(sid, sizeof(sid), "%s-tote", p);
	tpick_expect(pack_scan(t, sid, tote), "accepted", NULL);
	for (int i = 0; i < 2; i++) {
		snprintf(sid, sizeof(sid), "%s-%d", p, i);
		tpick_expect(pack_scan(t, sid, TPICK_GTIN1), "accepted", NULL);
	}
	snprintf(sid, sizeof(sid), "%s-w", p);
	tpick_expect(pack_weigh(t, sid, TARE_G + 200), "accepted", NULL);
	snprintf(sid, sizeof(sid), "%s-c", p);
	json_t *r = pack_close(t, sid);
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	return r;
}

static void
test_pack_close_assigns_an_sscc_of_the_tenants_prefix_with_a_valid_check_digit(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	json_t *r = pack_two(&t, tote, "a");
	const char *sscc = tget_str(r, "sscc");
	assert_non_null(sscc);
	assert_int_equal(strlen(sscc), 18);
	assert_true(sscc_ok(sscc));
	/* Extension digit 0, then the tenant's company prefix. */
	assert_int_equal(sscc[0], '0');
	assert_memory_equal(sscc + 1, TPICK_PREFIX, strlen(TPICK_PREFIX));
	assert_string_equal(tget_str(r, "order"), "O-1");
	assert_string_equal(tget_str(r, "tote"), tote);
	json_decref(r);
	tengine_close(&t);
}

static void
test_pack_close_prints_a_zpl_label_with_the_sscc_as_gs1_128_and_the_ship_to(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32], fd[64];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	json_t *r = pack_two(&t, tote, "a");
	const char *zpl = tget_str(r, "label_zpl");
	assert_non_null(zpl);
	assert_memory_equal(zpl, "^XA", 3);
	assert_non_null(strstr(zpl, "^XZ"));
	/* Code 128 in mode D (GS1-128) whose field data is the SSCC behind AI (00). */
	snprintf(fd, sizeof(fd), "^FD(00)%s^FS", tget_str(r, "sscc"));
	const char *bar = strstr(zpl, fd);
	assert_non_null(bar);
	const char *bc = strstr(zpl, "^BCN");
	assert_non_null(bc);
	assert_true(bc < bar);
	assert_non_null(strstr(bc, ",D^FD"));
	assert_non_null(strstr(zpl, "Ann Lee"));
	assert_non_null(strstr(zpl, "10115"));
	assert_non_null(strstr(zpl, "O-1"));
	json_decref(r);
	tengine_close(&t);
}

static void test_pack_close_moves_the_order_to_packed_and_frees_the_tote(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	long long seq = tpick_last_seq(&t);
	json_t *r = pack_two(&t, tote, "a");
	char sscc[19];
	snprintf(sscc, sizeof(sscc), "%s", tget_str(r, "sscc"));
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packed");
	json_t *ev = tpick_events(&t, seq, "order.packed");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].sscc"), sscc);
	assert_non_null(tget(ev, "events[0].carton"));
	assert_string_equal(tget_str(ev, "events[0].carton.sscc"), sscc);
	assert_int_equal(tget_int(ev, "events[0].carton.weight_g"), TARE_G + 200);
	assert_int_equal(tget_int(ev, "events[0].carton.items.SKU-1"), 2);
	assert_string_equal(tget_str(ev, "events[0].station"), "PS-1");
	assert_non_null(tget_str(ev, "events[0].shipment"));
	json_decref(ev);
	json_t *o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].cartons[0].sscc"), sscc);
	assert_null(tget(o, "order.allocation.shipments[0].tote"));
	json_decref(o);
	/* The tote holds nothing now, and the station is idle again. */
	r = pack_scan_at(&t, "PS-2", "k1", tote);
	assert_string_equal(treply_code(r), "unknown_barcode");
	json_decref(r);
	tpick_expect(pack_scan(&t, "k2", TPICK_GTIN1), "refused", "out_of_sequence");
	tengine_close(&t);
}

static void test_two_cartons_get_different_ssccs(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	tpick_submit(&t, "O-2", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 2);
	char t1[32], t2[32];
	snprintf(t1, sizeof(t1), "%s", tote_of(&t, "O-1"));
	snprintf(t2, sizeof(t2), "%s", tote_of(&t, "O-2"));
	json_t *a = pack_two(&t, t1, "a"), *b = pack_two(&t, t2, "b");
	assert_true(sscc_ok(tget_str(a, "sscc")));
	assert_true(sscc_ok(tget_str(b, "sscc")));
	assert_string_not_equal(tget_str(a, "sscc"), tget_str(b, "sscc"));
	assert_string_equal(tget_str(b, "order"), "O-2");
	json_decref(a);
	json_decref(b);
	tengine_close(&t);
}

/* ---- resent scans and refusals ---- */

static void assert_same_verdict(json_t *r, json_t *s)
{
	assert_true(json_is_true(tget(s, "resent")));
	json_t *a = json_deep_copy(r), *b = json_deep_copy(s);
	json_object_del(b, "resent");
	json_object_del(a, "req_id");
	json_object_del(b, "req_id");
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
		char *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("resent verdict differs:\n%s\n%s", x, y);
	}
	json_decref(a);
	json_decref(b);
}

static void test_resent_pack_scans_are_answered_once(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	json_t *a = pack_scan(&t, "k1", tote), *b = pack_scan(&t, "k1", tote);
	assert_same_verdict(a, b);
	json_decref(a);
	json_decref(b);
	a = pack_scan(&t, "k2", TPICK_GTIN1);
	b = pack_scan(&t, "k2", TPICK_GTIN1);
	assert_same_verdict(a, b);
	json_decref(a);
	json_decref(b);
	/* The resend did not count: the next unit is the second of two. */
	json_t *r = pack_scan(&t, "k3", TPICK_GTIN1);
	assert_non_null(strstr(tget_str(r, "message"), "2 of 2"));
	json_decref(r);
	a = pack_weigh(&t, "k4", TARE_G + 200);
	b = pack_weigh(&t, "k4", TARE_G + 200);
	assert_same_verdict(a, b);
	json_decref(a);
	json_decref(b);
	a = pack_close(&t, "k5");
	b = pack_close(&t, "k5");
	assert_same_verdict(a, b);
	assert_string_equal(tget_str(a, "verdict"), "accepted");
	json_decref(a);
	json_decref(b);
	json_t *ev = tpick_events(&t, 0, "order.packed");
	assert_int_equal(tget_int(ev, "count"), 1);
	json_decref(ev);
	json_t *o = tpick_order(&t, "O-1");
	assert_int_equal(json_array_size(tget(o, "order.allocation.shipments[0].cartons")), 1);
	json_decref(o);
	/* The same scan id with another request is a conflict, not a scan. */
	r = tcall_err(&t, "conflict",
	              "{\"op\":\"pack.scan\",\"station\":\"PS-1\",\"scan_id\":\"k2\","
	              "\"code\":\"0" TPICK_GTIN1 "\"}");
	assert_string_equal(tget_str(r, "error.field"), "scan_id");
	json_decref(r);
	tengine_close(&t);
}

static void test_a_pack_refusal_has_the_verdict_shape_and_changes_nothing(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":1}]", "", tote);
	json_t *o = tpick_order(&t, "O-1");
	json_t *before = json_deep_copy(tget(o, "order"));
	json_object_del(before, "timeline");
	json_decref(o);
	long long seq = tpick_last_seq(&t);
	json_t *r = pack_scan(&t, "k1", TPICK_UPC2);
	assert_true(json_is_false(tget(r, "ok")));
	assert_string_equal(tget_str(r, "verdict"), "refused");
	assert_non_null(tget_str(r, "message"));
	assert_non_null(tget_str(r, "instruction"));
	assert_string_equal(tget_str(r, "error.code"), "not_in_order");
	assert_string_equal(tget_str(r, "error.message"), tget_str(r, "message"));
	assert_string_equal(tget_str(r, "error.field"), "code");
	json_decref(r);
	json_t *ev = tpick_events(&t, seq, NULL);
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].type"), "pack.rejected");
	assert_string_equal(tget_str(ev, "events[0].reason"), "not_in_order");
	assert_string_equal(tget_str(ev, "events[0].station"), "PS-1");
	assert_string_equal(tget_str(ev, "events[0].order"), "O-1");
	assert_string_equal(tget_str(ev, "events[0].scanned"), TPICK_UPC2);
	json_decref(ev);
	o = tpick_order(&t, "O-1");
	json_t *after = json_deep_copy(tget(o, "order"));
	json_object_del(after, "timeline");
	json_decref(o);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	/* The carton still expects its one unit. */
	tpick_expect(pack_scan(&t, "k2", TPICK_GTIN1), "accepted", NULL);
	tengine_close(&t);
}

/* ---- regressions ---- */

static void test_a_refused_weighing_voids_the_weight_accepted_before_it(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_carton(&t, "[{\"sku\":\"SKU-1\",\"qty\":1}]", "", tote);
	tpick_expect(pack_scan(&t, "k1", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "k2", TARE_G + 100), "accepted", NULL);
	/* Something was put on the scale with it: the last reading is what is there. */
	tpick_expect(pack_weigh(&t, "k3", TARE_G + 400), "refused", "weight_mismatch");
	json_t *r = pack_close(&t, "k4");
	assert_string_equal(treply_code(r), "weight_mismatch");
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	tpick_expect(pack_weigh(&t, "k5", TARE_G + 100), "accepted", NULL);
	tpick_expect(pack_close(&t, "k6"), "accepted", NULL);
	tengine_close(&t);
}

static void test_inserts_and_the_gift_card_go_into_one_carton_of_a_split_order(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":1},{\"sku\":\"SKU-2\",\"qty\":1}]",
	             ",\"gift_message\":\"Enjoy\",\"inserts\":[\"PROMO\"]");
	json_t *o = tpick_order(&t, "O-1");
	char s1[32], s2[32];
	snprintf(s1, sizeof(s1), "%s", tget_str(o, "order.allocation.shipments[0].id"));
	snprintf(s2, sizeof(s2), "%s", tget_str(o, "order.allocation.shipments[1].id"));
	assert_string_equal(tget_str(o, "order.allocation.shipments[1].warehouse"), "W2");
	assert_string_equal(tget_str(o, "order.allocation.inserts_shipment"), s1);
	json_decref(o);
	json_decref(tpick_release_next_in(&t, "W1"));
	json_decref(tpick_release_next_in(&t, "W2"));
	assert_int_equal(tpick_pick_all_in(&t, "W1"), 1);
	assert_int_equal(tpick_pick_all_in(&t, "W2"), 1);
	o = tpick_order(&t, "O-1");
	char t1[32], t2[32];
	snprintf(t1, sizeof(t1), "%s", tget_str(o, "order.allocation.shipments[0].tote"));
	snprintf(t2, sizeof(t2), "%s", tget_str(o, "order.allocation.shipments[1].tote"));
	json_decref(o);
	/* W2's carton expects no insert: the card is not for it, and it closes without. */
	json_t *r = pack_scan_at(&t, "PS-2", "m1", t2);
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	assert_null(strstr(tget_str(r, "message"), "inserts"));
	json_decref(r);
	tpick_expect(pack_scan_at(&t, "PS-2", "m2", TPICK_UPC2), "accepted", NULL);
	tpick_expect(pack_scan_at(&t, "PS-2", "m3", "INS-GIFT"), "refused", "not_in_order");
	tpick_expect(pack_scan_at(&t, "PS-2", "m4", "INS-PROMO"), "refused", "not_in_order");
	tpick_expect(tcall(&t,
	                   "{\"op\":\"pack.weigh\",\"station\":\"PS-2\",\"scan_id\":\"m5\","
	                   "\"grams\":%d}",
	                   TARE_G + 250),
	             "accepted", NULL);
	tpick_expect(tcall(&t, "{\"op\":\"pack.close\",\"station\":\"PS-2\",\"scan_id\":\"m6\"}"),
	             "accepted", NULL);
	/* W1's carton carries both. */
	tpick_expect(pack_scan(&t, "k1", t1), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k2", TPICK_EAN3), "accepted", NULL);
	r = pack_close(&t, "k3");
	assert_string_equal(treply_code(r), "missing_insert");
	assert_non_null(strstr(tget_str(r, "message"), "INS-PROMO"));
	json_decref(r);
	tpick_expect(pack_scan(&t, "k4", "INS-PROMO"), "accepted", NULL);
	tpick_expect(pack_close(&t, "k5"), "refused", "missing_insert");
	tpick_expect(pack_scan(&t, "k6", "INS-GIFT"), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "k7", TARE_G + 2000), "accepted", NULL);
	tpick_expect(pack_close(&t, "k8"), "accepted", NULL);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packed");
	tengine_close(&t);
}

static void test_a_refused_tote_of_an_order_not_yet_picked_is_in_that_orders_timeline(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	json_t *n = tpick_release_next(&t);
	char tote[32];
	snprintf(tote, sizeof(tote), "%s", tget_str(n, "task.tote"));
	json_decref(n);
	long long seq = tpick_last_seq(&t);
	tpick_expect(pack_scan(&t, "k1", tote), "refused", "invalid_state");
	json_t *ev = tpick_events(&t, seq, "pack.rejected");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].tenant"), "acme");
	assert_string_equal(tget_str(ev, "events[0].order"), "O-1");
	assert_string_equal(tget_str(ev, "events[0].tote"), tote);
	assert_non_null(tget_str(ev, "events[0].shipment"));
	json_decref(ev);
	json_t *o = tpick_order(&t, "O-1");
	json_t *tl = tget(o, "order.timeline");
	bool found = false;
	for (size_t i = 0; i < json_array_size(tl); i++)
		found |= strcmp(tget_str(json_array_get(tl, i), "type"), "pack.rejected") == 0;
	assert_true(found);
	json_decref(o);
	tengine_close(&t);
}

/* The serial reference of an SSCC whose company prefix has PLEN digits. */
static unsigned long long sscc_serial(const char *sscc, size_t plen)
{
	unsigned long long v = 0;
	for (size_t i = 1 + plen; i < 17; i++)
		v = v * 10 + (unsigned long long)(sscc[i] - '0');
	return v;
}

static void test_sscc_serials_are_counted_per_company_prefix(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"beta\",\"name\":"
	                         "\"Beta\",\"gs1_company_prefix\":\"4098765\"}}"));
	json_decref(tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A09-01-1\",\"tenant\":\"beta\",\"sku\":\"B-1\",\"qty\":5}"));
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	tpick_submit(&t, "O-2", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	json_decref(tcall_ok(
	    &t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"beta\",\"id\":\"B-O-1\","
	        "\"lines\":[{\"sku\":\"B-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Bo\",\"address\":"
	        "\"Main 2\",\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":"
	        "\"standard\",\"promised_by\":\"2026-11-30T23:59:59Z\"}}"));
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 3);
	json_t *a = pack_two(&t, tote_of(&t, "O-1"), "a");
	json_t *bo = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"beta\",\"id\":\"B-O-1\"}");
	char btote[32];
	snprintf(btote, sizeof(btote), "%s", tget_str(bo, "order.allocation.shipments[0].tote"));
	json_decref(bo);
	tpick_expect(pack_scan(&t, "b-tote", btote), "accepted", NULL);
	tpick_expect(pack_scan(&t, "b-1", TPICK_GTIN_BETA), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "b-w", TARE_G + 100), "accepted", NULL);
	json_t *b = pack_close(&t, "b-c");
	assert_string_equal(tget_str(b, "verdict"), "accepted");
	json_t *c = pack_two(&t, tote_of(&t, "O-2"), "c");
	/* Each prefix counts its own serials: beta's first carton is serial 1 too. */
	assert_memory_equal(tget_str(a, "sscc") + 1, TPICK_PREFIX, 7);
	assert_memory_equal(tget_str(b, "sscc") + 1, "4098765", 7);
	assert_int_equal(sscc_serial(tget_str(a, "sscc"), 7), 1);
	assert_int_equal(sscc_serial(tget_str(b, "sscc"), 7), 1);
	assert_int_equal(sscc_serial(tget_str(c, "sscc"), 7), 2);
	assert_true(sscc_ok(tget_str(b, "sscc")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	tengine_close(&t);
}

/* With the engine stopped, advances the meta counter NAME by N (as N cartons would). */
static void advance_counter(struct tengine *t, const char *name, int n)
{
	struct store *st;
	struct store_txn *txn;
	uint64_t v = 0;
	tengine_stop(t);
	assert_int_equal(store_open(t->dir, NULL, &st), 0);
	assert_int_equal(store_write_begin(st, &txn), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_counter_next(txn, name, &v), 0);
	assert_int_equal(store_commit(txn), 0);
	store_close(st);
	assert_int_equal(tengine_start(t), 0);
}

static void
test_pack_close_refuses_when_a_prefixs_serials_run_out_and_never_repeats_one(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	/* A 12-digit prefix leaves 4 digits of serial: 9,999 cartons. */
	json_decref(tcall_ok(&t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                         "\"Acme\",\"gs1_company_prefix\":\"401234567890\"}}"));
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	tpick_submit(&t, "O-2", "[{\"sku\":\"SKU-1\",\"qty\":2}]", "");
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 2);
	char t1[32], t2[32];
	snprintf(t1, sizeof(t1), "%s", tote_of(&t, "O-1"));
	snprintf(t2, sizeof(t2), "%s", tote_of(&t, "O-2"));
	advance_counter(&t, PACK_SERIAL_COUNTER "/401234567890", 9998);
	json_t *a = pack_two(&t, t1, "a");
	assert_true(sscc_ok(tget_str(a, "sscc")));
	assert_int_equal(sscc_serial(tget_str(a, "sscc"), 12), 9999);
	json_decref(a);
	/* The last serial is gone: a clear error, no SSCC, and the carton stays open. */
	tpick_expect(pack_scan(&t, "b-tote", t2), "accepted", NULL);
	tpick_expect(pack_scan(&t, "b-0", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_scan(&t, "b-1", TPICK_GTIN1), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "b-w", TARE_G + 200), "accepted", NULL);
	json_t *r = tcall_err(&t, "bad_value",
	                      "{\"op\":\"pack.close\",\"station\":\"PS-1\",\"scan_id\":\"b-c\"}");
	assert_string_equal(tget_str(r, "error.field"), "tenant.gs1_company_prefix");
	assert_non_null(strstr(tget_str(r, "error.message"), "401234567890"));
	assert_non_null(strstr(tget_str(r, "error.message"), "9999"));
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-2"), "packing");
	/* With another prefix the same carton closes, on that prefix's first serial. */
	json_decref(tcall_ok(&t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                         "\"Acme\",\"gs1_company_prefix\":\"" TPICK_PREFIX "\"}}"));
	json_t *c = pack_close(&t, "b-c2");
	assert_string_equal(tget_str(c, "verdict"), "accepted");
	assert_memory_equal(tget_str(c, "sscc") + 1, TPICK_PREFIX, 7);
	assert_int_equal(sscc_serial(tget_str(c, "sscc"), 7), 1);
	json_decref(c);
	tengine_close(&t);
}

static void test_serials_start_after_the_engine_wide_counter_of_earlier_versions(void **state)
{
	(void)state;
	struct tengine t;
	char tote[32];
	open_picked(&t, "[{\"sku\":\"SKU-1\",\"qty\":2}]", "", tote);
	/* A store of an earlier version gave out serials 1-5 from one counter for all. */
	advance_counter(&t, PACK_SERIAL_COUNTER, 5);
	json_t *r = pack_two(&t, tote, "a");
	assert_int_equal(sscc_serial(tget_str(r, "sscc"), 7), 6);
	json_decref(r);
	tengine_close(&t);
}

/* Whether every ^FD...^FS field of ZPL is free of raw '^' and '~'. */
static bool zpl_fields_clean(const char *zpl)
{
	int fields = 0;
	for (const char *p = strstr(zpl, "^FD"); p; p = strstr(p, "^FD")) {
		p += 3;
		const char *end = strstr(p, "^FS");
		if (end == NULL)
			return false;
		for (const char *q = p; q < end; q++)
			if (*q == '^' || *q == '~')
				return false;
		fields++;
		p = end;
	}
	return fields > 0;
}

static void test_the_label_escapes_zpl_control_characters_in_its_text(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	json_decref(
	    tcall_ok(&t, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"O^1~X\","
	                 "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":2}],\"ship_to\":{\"name\":"
	                 "\"Ann ^XZ~JA_Lee\",\"address\":\"Main ^FS 1\",\"postal_code\":\"10115\","
	                 "\"country\":\"DE\"},\"service\":\"standard\",\"promised_by\":"
	                 "\"2026-11-30T23:59:59Z\"}}"));
	json_decref(tpick_release_next(&t));
	assert_int_equal(tpick_pick_all(&t), 1);
	json_t *r = pack_two(&t, tote_of(&t, "O^1~X"), "a");
	const char *zpl = tget_str(r, "label_zpl");
	assert_non_null(zpl);
	if (!zpl_fields_clean(zpl))
		fail_msg("a field carries a raw ^ or ~:\n%s", zpl);
	/* The text is there, escaped, and the label ends once, at its end. */
	assert_non_null(strstr(zpl, "^FH^FDAnn _5EXZ_7EJA_5FLee^FS"));
	assert_non_null(strstr(zpl, "^FH^FDMain _5EFS 1^FS"));
	assert_non_null(strstr(zpl, "O_5E1_7EX"));
	const char *xz = strstr(zpl, "^XZ");
	assert_non_null(xz);
	assert_null(strstr(xz + 3, "^XZ"));
	json_decref(r);
	tengine_close(&t);
}

/* ---- backing out ---- */

static json_t *pack_abort(struct tengine *t, const char *station, const char *sid)
{
	return tcall(t,
	             "{\"op\":\"pack.abort\",\"station\":\"%s\",\"scan_id\":\"%s\","
	             "\"reason\":\"wrong tote\"}",
	             station, sid);
}

static void test_pack_abort_sends_the_tote_back_for_packing_and_frees_the_station(void **state)
{
	(void)state;
	struct tengine t;
	char t1[32], t2[32];
	open_two_picked(&t, "2", t1, t2);
	/* The packer takes O-1's tote by mistake and packs one unit before noticing. */
	tpick_expect(pack_scan(&t, "k1", t1), "accepted", NULL);
	tpick_expect(pack_scan(&t, "k2", TPICK_GTIN1), "accepted", NULL);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	tpick_expect(pack_scan(&t, "k3", t2), "refused", "out_of_sequence");
	long long seq = tpick_last_seq(&t);
	json_t *r = pack_abort(&t, "PS-1", "k4");
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	assert_string_equal(tget_str(r, "order"), "O-1");
	assert_int_equal(tget_int(r, "units_back"), 1);
	assert_non_null(strstr(tget_str(r, "instruction"), t1));
	json_decref(r);
	/* Picked again, with no trace of a packing that did not happen but the event. */
	assert_string_equal(tpick_order_state(&t, "O-1"), "picked");
	json_t *o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].state"), "picked");
	assert_null(tget(o, "order.allocation.shipments[0].milestones.packing"));
	assert_null(tget(o, "order.milestones.packing"));
	assert_non_null(tget(o, "order.milestones.picked"));
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].tote"), t1);
	json_decref(o);
	json_t *ev = tpick_events(&t, seq, "pack.aborted");
	assert_int_equal(tget_int(ev, "count"), 1);
	assert_string_equal(tget_str(ev, "events[0].tote"), t1);
	assert_int_equal(tget_int(ev, "events[0].packed.SKU-1"), 1);
	assert_string_equal(tget_str(ev, "events[0].order_state"), "picked");
	assert_string_equal(tget_str(ev, "events[0].reason"), "wrong tote");
	json_decref(ev);
	/* The station takes the right tote now, and the aborted one starts over elsewhere,
	 * expecting both of its units again. */
	tpick_expect(pack_scan(&t, "k5", t2), "accepted", NULL);
	r = pack_scan_at(&t, "PS-2", "k1", t1);
	assert_string_equal(tget_str(r, "verdict"), "accepted");
	assert_non_null(strstr(tget_str(r, "instruction"), "2 to go"));
	json_decref(r);
	/* A resent abort is answered once; at an idle station there is nothing to abort. */
	r = pack_abort(&t, "PS-1", "k4");
	assert_int_equal(tget_int(r, "units_back"), 1);
	json_decref(r);
	assert_string_equal(tpick_order_state(&t, "O-2"), "packing");
	tpick_expect(pack_abort(&t, "PS-3", "k1"), "refused", "out_of_sequence");
	tengine_close(&t);
}

static void test_pack_abort_of_one_carton_of_a_split_order_takes_the_order_back_to_picked(void **s)
{
	(void)s;
	struct tengine t;
	tengine_open(&t);
	tpick_seed(&t);
	tpick_split_stock(&t);
	tpick_submit(&t, "O-1", "[{\"sku\":\"SKU-3\",\"qty\":1},{\"sku\":\"SKU-2\",\"qty\":1}]", "");
	json_decref(tpick_release_next_in(&t, "W1"));
	json_decref(tpick_release_next_in(&t, "W2"));
	assert_int_equal(tpick_pick_all_in(&t, "W1"), 1);
	assert_int_equal(tpick_pick_all_in(&t, "W2"), 1);
	json_t *o = tpick_order(&t, "O-1");
	char t1[32], t2[32];
	snprintf(t1, sizeof(t1), "%s", tget_str(o, "order.allocation.shipments[0].tote"));
	snprintf(t2, sizeof(t2), "%s", tget_str(o, "order.allocation.shipments[1].tote"));
	json_decref(o);
	/* Both cartons open: the order is packing. One is backed out. */
	tpick_expect(pack_scan(&t, "k1", t1), "accepted", NULL);
	tpick_expect(pack_scan_at(&t, "PS-2", "m1", t2), "accepted", NULL);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packing");
	tpick_expect(pack_abort(&t, "PS-2", "m2"), "accepted", NULL);
	/* An order is as far as its least advanced shipment: picked, the other still packing. */
	o = tpick_order(&t, "O-1");
	assert_string_equal(tget_str(o, "order.state"), "picked");
	assert_string_equal(tget_str(o, "order.allocation.shipments[0].state"), "packing");
	assert_string_equal(tget_str(o, "order.allocation.shipments[1].state"), "picked");
	json_decref(o);
	/* The open carton closes, and the aborted one packs again: the order ends packed. */
	tpick_expect(pack_scan(&t, "k2", TPICK_EAN3), "accepted", NULL);
	tpick_expect(pack_weigh(&t, "k3", TARE_G + 2000), "accepted", NULL);
	tpick_expect(pack_close(&t, "k4"), "accepted", NULL);
	tpick_expect(pack_scan_at(&t, "PS-2", "m3", t2), "accepted", NULL);
	tpick_expect(pack_scan_at(&t, "PS-2", "m4", TPICK_UPC2), "accepted", NULL);
	tpick_expect(tcall(&t,
	                   "{\"op\":\"pack.weigh\",\"station\":\"PS-2\",\"scan_id\":\"m5\","
	                   "\"grams\":%d}",
	                   TARE_G + 250),
	             "accepted", NULL);
	tpick_expect(tcall(&t, "{\"op\":\"pack.close\",\"station\":\"PS-2\",\"scan_id\":\"m6\"}"),
	             "accepted", NULL);
	assert_string_equal(tpick_order_state(&t, "O-1"), "packed");
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_scan_of_a_picked_tote_opens_the_carton_for_its_order),
		cmocka_unit_test(test_pack_scan_of_a_tote_without_a_picked_order_is_refused),
		cmocka_unit_test(test_a_station_with_an_open_carton_refuses_another_tote),
		cmocka_unit_test(test_pack_scan_of_an_item_not_in_the_order_is_not_in_order),
		cmocka_unit_test(test_pack_scan_past_what_the_shipment_expects_is_over_pack),
		cmocka_unit_test(test_pack_scan_of_a_case_gtin_counts_its_pack_quantity),
		cmocka_unit_test(test_pack_close_before_the_inserts_is_missing_insert),
		cmocka_unit_test(test_pack_weigh_of_a_light_carton_allows_the_fixed_gram_floor),
		cmocka_unit_test(test_pack_weigh_of_a_heavy_carton_allows_the_percentage),
		cmocka_unit_test(test_pack_weigh_follows_the_warehouses_tare_and_tolerances),
		cmocka_unit_test(test_pack_weigh_before_every_item_is_packed_is_incomplete),
		cmocka_unit_test(test_pack_close_while_an_item_is_missing_is_incomplete),
		cmocka_unit_test(
		    test_pack_close_without_an_accepted_weight_since_the_last_change_is_refused),
		cmocka_unit_test(
		    test_pack_close_assigns_an_sscc_of_the_tenants_prefix_with_a_valid_check_digit),
		cmocka_unit_test(
		    test_pack_close_prints_a_zpl_label_with_the_sscc_as_gs1_128_and_the_ship_to),
		cmocka_unit_test(test_pack_close_moves_the_order_to_packed_and_frees_the_tote),
		cmocka_unit_test(test_two_cartons_get_different_ssccs),
		cmocka_unit_test(test_resent_pack_scans_are_answered_once),
		cmocka_unit_test(test_a_pack_refusal_has_the_verdict_shape_and_changes_nothing),
		cmocka_unit_test(test_a_refused_weighing_voids_the_weight_accepted_before_it),
		cmocka_unit_test(
		    test_inserts_and_the_gift_card_go_into_one_carton_of_a_split_order),
		cmocka_unit_test(
		    test_a_refused_tote_of_an_order_not_yet_picked_is_in_that_orders_timeline),
		cmocka_unit_test(test_sscc_serials_are_counted_per_company_prefix),
		cmocka_unit_test(
		    test_pack_close_refuses_when_a_prefixs_serials_run_out_and_never_repeats_one),
		cmocka_unit_test(
		    test_serials_start_after_the_engine_wide_counter_of_earlier_versions),
		cmocka_unit_test(test_the_label_escapes_zpl_control_characters_in_its_text),
		cmocka_unit_test(
		    test_pack_abort_sends_the_tote_back_for_packing_and_frees_the_station),
		cmocka_unit_test(
		    test_pack_abort_of_one_carton_of_a_split_order_takes_the_order_back_to_picked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
