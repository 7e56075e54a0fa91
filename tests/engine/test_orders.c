/*
 * Orders through the engine's ops (orders.h): what order.submit refuses before anything is
 * stored, and what order.get shows of an order.
 * Network: tseed_basic (W1 in UTC, DHL standard 17:00 +2 days, SKU-1..5, 100 units each).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_an_insert_that_cannot_be_printed_as_a_label_is_refused_at_submit),
		cmocka_unit_test(test_a_lower_case_insert_is_accepted_and_its_carton_closes),
		cmocka_unit_test(test_order_get_shows_the_contract_and_not_the_engines_bookkeeping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
