/* Tests of the request codec and the strict schema validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wms/codec.h"

/* Parses TEXT and returns the code; the error's field and message are left in ERR. */
static int parse(const char *text, struct wms_error *err)
{
	struct wms_request req = WMS_REQUEST_INIT;
	*err = (struct wms_error)WMS_ERROR_INIT;
	int rc = wms_request_parse(text, strlen(text), &req, err);
	wms_request_release(&req);
	return rc;
}

#define ORDER_OK                                                                                   \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\",\"lines\":[{"     \
	"\"sku\":"                                                                                 \
	"\"A\",\"qty\":1},{\"sku\":\"B\",\"qty\":2}],\"ship_to\":{\"name\":\"Ann\",\"address\":"   \
	"\"Main 1\",\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":\"standard\","       \
	"\"promised_by\":\"2026-11-27T23:59:59Z\"}}"

static void test_a_valid_order_parses(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse(ORDER_OK, &err), 0);
}

static void test_trailing_newline_and_nul_are_accepted(void **state)
{
	(void)state;
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	const char with_nl[] = "{\"op\":\"ping\"}\r\n";
	assert_int_equal(wms_request_parse(with_nl, strlen(with_nl), &req, &err), 0);
	wms_request_release(&req);
	const char with_nul[] = "{\"op\":\"ping\"}";
	assert_int_equal(wms_request_parse(with_nul, sizeof(with_nul), &req, &err), 0);
	wms_request_release(&req);
}

static void test_garbage_bytes_are_bad_json(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("\x01\x02garbage\xff", &err), WMS_EBADJSON);
	assert_int_equal(parse("{\"op\":\"ping\"", &err), WMS_EBADJSON);
	assert_non_null(strstr(err.message, "byte"));
}

static void test_invalid_utf8_is_bad_json(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"ping\",\"req_id\":\"\xc3\x28\"}", &err), WMS_EBADJSON);
}

/* The reply to RAW as the engine builds it: parsed back, so it must be JSON. */
static json_t *error_reply_of(const char *raw, size_t len)
{
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	assert_int_not_equal(wms_request_parse(raw, len, &req, &err), 0);
	size_t n;
	char *text = wms_reply_error_text(req.req_id, &err, &n);
	wms_request_release(&req);
	assert_non_null(text);
	json_t *r = json_loadb(text, n, 0, NULL);
	free(text);
	assert_non_null(r);
	return r;
}

/* Regression (found by fuzz_json): jansson quotes the offending bytes in its message, and a
 * message that was not UTF-8 made the reply unbuildable, so the client heard no_memory. */
static void test_an_error_quoting_bytes_that_are_not_utf8_is_still_a_json_reply(void **state)
{
	(void)state;
	static const char raw[] = "{\"no\":7,\"s\":\"\\u0\xc6\x9a\xc6\xa3ud834\xff\xfe\"}";
	json_t *r = error_reply_of(raw, sizeof(raw) - 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
	                    "bad_json");
	json_decref(r);
	/* an unknown op is quoted up to 64 bytes: the cut may fall inside a character */
	char op[128];
	memset(op, 'x', 63);
	memcpy(op + 63, "\xc3\xa9\xc3\xa9", 4);
	op[67] = '\0';
	char req[256];
	int n = snprintf(req, sizeof(req), "{\"op\":\"%s\"}", op);
	r = error_reply_of(req, (size_t)n);
	const char *msg =
	    json_string_value(json_object_get(json_object_get(r, "error"), "message"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "xxxxx"));
	json_decref(r);
}

static void test_an_empty_message_or_a_non_object_is_a_bad_request(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("", &err), WMS_EBADREQ);
	assert_int_equal(parse("[1,2]", &err), WMS_EBADREQ);
}

/* Regression: `null` and `"ping"` are valid JSON, not requests: they were bad_json ("'[' or '{'
 * expected") while `[]` was bad_request. Any valid JSON that is not an object is bad_request,
 * and the message says what it is; text that is not JSON stays bad_json. */
static void test_valid_json_that_is_not_an_object_is_a_bad_request_saying_what_it_is(void **state)
{
	(void)state;
	static const struct {
		const char *body, *kind;
	} cases[] = {
		{ "null", "JSON null" },        { "\"ping\"", "a JSON string" },
		{ "[]", "a JSON array" },       { "42", "a JSON number" },
		{ "true\n", "a JSON boolean" }, { "-1.5", "a JSON number" },
	};
	struct wms_error err;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].body, &err), WMS_EBADREQ);
		assert_non_null(strstr(err.message, cases[i].kind));
		assert_non_null(strstr(err.message, "not an object"));
	}
	assert_int_equal(parse("ping", &err), WMS_EBADJSON);
	assert_int_equal(parse("nul", &err), WMS_EBADJSON);
	assert_int_equal(parse("\"ping", &err), WMS_EBADJSON);
}

static void test_missing_and_unknown_ops_are_named(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"req_id\":\"r\"}", &err), WMS_EMISSING);
	assert_string_equal(err.field, "op");
	assert_int_equal(parse("{\"op\":\"order.explode\"}", &err), WMS_EUNKNOWNOP);
	assert_non_null(strstr(err.message, "order.explode"));
	assert_int_equal(parse("{\"op\":7}", &err), WMS_ETYPE);
}

static void test_duplicate_keys_are_refused(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"ping\",\"op\":\"ping\"}", &err), WMS_EBADJSON);
	assert_non_null(strstr(err.message, "duplicate"));
}

static void test_unknown_nested_field_is_named_with_its_path(void **state)
{
	(void)state;
	struct wms_error err;
	const char *t = "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
	                "\"lines\":[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\",\"qty\":2,\"colour\":"
	                "\"red\"}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
	                "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":\"standard\","
	                "\"promised_by\":\"2026-11-27T23:59:59Z\"}}";
	assert_int_equal(parse(t, &err), WMS_EUNKNOWNFIELD);
	assert_string_equal(err.field, "order.lines[1].colour");
}

static void test_missing_nested_field_is_named_with_its_path(void **state)
{
	(void)state;
	struct wms_error err;
	const char *t =
	    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
	    "\"lines\":[{\"sku\":\"A\"}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"M\","
	    "\"postal_code\":\"1\",\"country\":\"DE\"},\"service\":\"s\","
	    "\"promised_by\":\"2026-11-27T23:59:59Z\"}}";
	assert_int_equal(parse(t, &err), WMS_EMISSING);
	assert_string_equal(err.field, "order.lines[0].qty");
}

static void test_wrong_type_names_field_and_value(void **state)
{
	(void)state;
	struct wms_error err;
	const char *t =
	    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
	    "\"lines\":[{\"sku\":\"A\",\"qty\":\"2\"}],\"ship_to\":{\"name\":\"Ann\","
	    "\"address\":\"M\",\"postal_code\":\"1\",\"country\":\"DE\"},\"service\":\"s\","
	    "\"promised_by\":\"2026-11-27T23:59:59Z\"}}";
	assert_int_equal(parse(t, &err), WMS_ETYPE);
	assert_string_equal(err.field, "order.lines[0].qty");
	assert_non_null(strstr(err.message, "'2'"));
}

static void test_zero_and_huge_quantities_are_out_of_range(void **state)
{
	(void)state;
	struct wms_error err;
	char t[1024];
#define QTY_FMT                                                                                    \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","                 \
	"\"lines\":[{\"sku\":\"A\",\"qty\":%s}],\"ship_to\":{\"name\":\"Ann\","                    \
	"\"address\":\"M\",\"postal_code\":\"1\",\"country\":\"DE\"},"                             \
	"\"service\":\"s\",\"promised_by\":\"2026-11-27T23:59:59Z\"}}"
	snprintf(t, sizeof(t), QTY_FMT, "0");
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.lines[0].qty");
	snprintf(t, sizeof(t), QTY_FMT, "99999999999999999");
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	snprintf(t, sizeof(t), QTY_FMT, "-3");
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	snprintf(t, sizeof(t), QTY_FMT, "1.5");
	assert_int_equal(parse(t, &err), WMS_ETYPE);
}

/* Regression: "seconds is 3.2e+08; must be 0 to 3.2e+08" hid the value and made it look in
 * range. Integers are printed in full, reals with the digits that tell them from the bound. */
static void test_an_out_of_range_number_is_shown_in_full_with_its_bounds(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"clock.advance\",\"seconds\":320000001}", &err),
	                 WMS_ERANGE);
	assert_string_equal(err.field, "seconds");
	assert_string_equal(err.message, "seconds is 320000001; must be 0 to 320000000");
	assert_int_equal(parse("{\"op\":\"clock.advance\",\"seconds\":320000000.001}", &err),
	                 WMS_ERANGE);
	assert_string_equal(err.message, "seconds is 320000000.001; must be 0 to 320000000");
	assert_int_equal(parse("{\"op\":\"clock.advance\",\"seconds\":-0.5}", &err), WMS_ERANGE);
	assert_string_equal(err.message, "seconds is -0.5; must be 0 to 320000000");
	/* a real bound keeps its fraction: slot_length is 0.01..100 */
	assert_int_equal(parse("{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W\",\"name\":"
	                       "\"W\",\"location\":{\"lat\":0,\"lon\":0},\"layout\":{\"aisles\":1,"
	                       "\"slots_per_side\":1,\"slot_length\":0.009,\"aisle_spacing\":1},"
	                       "\"carriers\":[]}}",
	                       &err),
	                 WMS_ERANGE);
	assert_string_equal(err.message,
	                    "warehouse.layout.slot_length is 0.009; must be 0.01 to 100");
	/* an integer field with a large bound: events.read after is 0..9e15 */
	assert_int_equal(parse("{\"op\":\"events.read\",\"after\":9000000000000001}", &err),
	                 WMS_ERANGE);
	assert_string_equal(err.message,
	                    "after is 9000000000000001; must be 0 to 9000000000000000");
}

static void test_overlong_id_is_too_long_and_spaces_are_bad_value(void **state)
{
	(void)state;
	struct wms_error err;
	char t[512];
	char id[80];
	memset(id, 'x', 70);
	id[70] = '\0';
	snprintf(t, sizeof(t), "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
	assert_int_equal(parse(t, &err), WMS_ETOOLONG);
	assert_string_equal(err.field, "id");
	assert_int_equal(parse("{\"op\":\"order.get\",\"tenant\":\"ac me\",\"id\":\"1\"}", &err),
	                 WMS_EVALUE);
	assert_string_equal(err.field, "tenant");
}

/* An order whose ship_to.NAME and gift_message are the JSON string bodies given (escaped). */
static int parse_order_texts(const char *name, const char *gift, struct wms_error *err)
{
	char t[1024];
	snprintf(t, sizeof(t),
	         "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
	         "\"lines\":[{\"sku\":\"A\",\"qty\":1}],\"ship_to\":{\"name\":\"%s\","
	         "\"address\":\"Main 1\",\"postal_code\":\"10115\",\"country\":\"DE\"},"
	         "\"service\":\"s\",\"promised_by\":\"2026-11-27T23:59:59Z\","
	         "\"gift_message\":\"%s\"}}",
	         name, gift);
	return parse(t, err);
}

/* Regression: TAB, LF and CR passed in every string, so a name "A\tB" or an address "B\nC"
 * reached labels and carriers. Only free-text fields (PROTOCOL.md 2) may hold them. */
static void test_tab_and_line_breaks_are_refused_outside_free_text(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse_order_texts("Ann", "Happy\\nbirthday,\\tAnn\\r\\n", &err), 0);
	assert_int_equal(parse_order_texts("A\\tB", "hi", &err), WMS_EVALUE);
	assert_string_equal(err.field, "order.ship_to.name");
	assert_non_null(strstr(err.message, "TAB (0x09) at byte 1"));
	assert_int_equal(parse_order_texts("B\\nC", "hi", &err), WMS_EVALUE);
	assert_non_null(strstr(err.message, "LF (0x0A)"));
	assert_int_equal(parse_order_texts("B\\rC", "hi", &err), WMS_EVALUE);
	assert_int_equal(parse_order_texts("B\\u001fC", "hi", &err), WMS_EVALUE);
	assert_int_equal(parse_order_texts("B\\u007fC", "hi", &err), WMS_EVALUE);
	/* free text still refuses the other controls */
	assert_int_equal(parse_order_texts("Ann", "a\\u0007b", &err), WMS_EVALUE);
	assert_string_equal(err.field, "order.gift_message");
	assert_int_equal(parse("{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"t\",\"name\":"
	                       "\"Acme\\tLtd\"}}",
	                       &err),
	                 WMS_EVALUE);
	assert_string_equal(err.field, "tenant.name");
	assert_int_equal(parse("{\"op\":\"order.cancel\",\"tenant\":\"t\",\"id\":\"o\","
	                       "\"reason\":\"a\\nb\"}",
	                       &err),
	                 WMS_EVALUE);
	assert_string_equal(err.field, "reason");
	assert_int_equal(parse("{\"op\":\"carrier.event\",\"tracking\":\"T1\",\"status\":"
	                       "\"exception\",\"at\":\"2026-11-27T10:00:00Z\",\"detail\":"
	                       "\"Address unknown.\\nReturned to depot.\"}",
	                       &err),
	                 0);
	assert_int_equal(parse("{\"op\":\"carrier.event\",\"tracking\":\"T1\",\"status\":"
	                       "\"exception\",\"at\":\"2026-11-27T10:00:00Z\",\"location\":"
	                       "\"Hamburg\\nDE\"}",
	                       &err),
	                 WMS_EVALUE);
	assert_string_equal(err.field, "location");
}

/* A scanner's code is passed to the barcode reader as sent (GS, a GS alias, a wedge's CR LF). */
static void test_a_scan_code_may_carry_the_control_characters_a_scanner_sends(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"pick.scan\",\"device\":\"d\",\"scan_id\":\"1\","
	                       "\"task\":\"t\",\"code\":\"0109506000134352\\u001c10L1\\r\\n\"}",
	                       &err),
	                 0);
	assert_int_equal(parse("{\"op\":\"return.receive\",\"rma\":\"r\",\"codes\":"
	                       "[\"0109506000134352\\u001d10L1\\r\"]}",
	                       &err),
	                 0);
}

/* Regression: the message advised "a control character" as a GS alias, yet FS (0x1C) was
 * refused while LF and TAB, which a keyboard wedge can never deliver, were accepted. */
static void test_a_gs_alias_may_be_fs_or_rs_but_not_tab_cr_or_lf(void **state)
{
	(void)state;
	struct wms_error err;
	static const char *const ok[] = { "\\u001c", "\\u001e", "\\u001d", "~", "\\u001c|" };
	static const char *const bad[] = { "\\n", "\\t", "\\r", "\\u001c\\n" };
	char t[256];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(t, sizeof(t),
		         "{\"op\":\"device.put\",\"device\":{\"id\":\"HH-1\",\"gs_alias\":\"%s\"}}",
		         ok[i]);
		assert_int_equal(parse(t, &err), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t),
		         "{\"op\":\"device.put\",\"device\":{\"id\":\"HH-1\",\"gs_alias\":\"%s\"}}",
		         bad[i]);
		assert_int_equal(parse(t, &err), WMS_EVALUE);
		assert_string_equal(err.field, "device.gs_alias");
		assert_non_null(strstr(err.message, "keyboard-wedge"));
	}
}

static void test_bad_timestamp_is_named(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"clock.set\",\"at\":\"2026-02-30T00:00:00Z\"}", &err),
	                 WMS_ETIME);
	assert_string_equal(err.field, "at");
	assert_int_equal(parse("{\"op\":\"clock.set\",\"at\":\"tomorrow\"}", &err), WMS_ETIME);
}

static void test_ten_thousand_lines_are_out_of_range(void **state)
{
	(void)state;
	size_t cap = 10000 * 32 + 1024, n = 0;
	char *t = malloc(cap);
	n += (size_t)sprintf(t + n, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"a\","
	                            "\"id\":\"1\",\"lines\":[");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(t + n, "%s{\"sku\":\"S%d\",\"qty\":1}", i ? "," : "", i);
	n += (size_t)sprintf(t + n, "],\"ship_to\":{\"name\":\"A\",\"address\":\"M\","
	                            "\"postal_code\":\"1\",\"country\":\"DE\"},\"service\":\"s\","
	                            "\"promised_by\":\"2026-11-27T23:59:59Z\"}}");
	struct wms_error err;
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.lines");
	assert_non_null(strstr(err.message, "10000"));
	free(t);
}

static void test_oversize_message_is_too_large(void **state)
{
	(void)state;
	size_t n = WMS_MAX_MESSAGE + 10;
	char *t = malloc(n);
	memset(t, ' ', n);
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	assert_int_equal(wms_request_parse(t, n, &req, &err), WMS_ETOOLARGE);
	wms_request_release(&req);
	free(t);
}

static void test_req_id_is_kept_even_when_validation_fails(void **state)
{
	(void)state;
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	const char *t = "{\"op\":\"ping\",\"req_id\":\"abc\",\"bogus\":1}";
	assert_int_equal(wms_request_parse(t, strlen(t), &req, &err), WMS_EUNKNOWNFIELD);
	assert_string_equal(req.req_id, "abc");
	char *reply = wms_reply_error_text(req.req_id, &err, NULL);
	assert_non_null(strstr(reply, "\"req_id\":\"abc\""));
	assert_non_null(strstr(reply, "\"code\":\"unknown_field\""));
	assert_non_null(strstr(reply, "\"field\":\"bogus\""));
	free(reply);
	wms_request_release(&req);
}

static void test_gtin_shorthand_strings_and_objects_both_validate(void **state)
{
	(void)state;
	struct wms_error err;
	assert_int_equal(parse("{\"op\":\"item.put\",\"item\":{\"tenant\":\"a\",\"sku\":\"s\","
	                       "\"gtins\":[\"4006381333931\",{\"gtin\":\"14006381333938\","
	                       "\"qty\":12}],\"weight_g\":10}}",
	                       &err),
	                 0);
	assert_int_equal(parse("{\"op\":\"item.put\",\"item\":{\"tenant\":\"a\",\"sku\":\"s\","
	                       "\"gtins\":[12],\"weight_g\":10}}",
	                       &err),
	                 WMS_ETYPE);
	assert_string_equal(err.field, "item.gtins[0]");
}

/* Parses TEXT, which must be valid, and returns its tree (the caller json_decrefs it). */
static json_t *parsed(const char *text)
{
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	if (wms_request_parse(text, strlen(text), &req, &err) != 0)
		fail_msg("refused with %s (%s): %s", wms_errname(err.code), err.message, text);
	json_t *root = json_incref(req.root);
	wms_request_release(&req);
	return root;
}

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	return json_string_value(b ? json_object_get(v, b) : v);
}

static void test_timestamps_are_rewritten_to_the_engines_utc_spelling(void **state)
{
	(void)state;
	static const struct {
		const char *sent, *kept;
	} cases[] = {
		{ "2026-12-10t00:00:00z", "2026-12-10T00:00:00Z" },
		{ "2026-12-31T23:59:60Z", "2026-12-31T23:59:59Z" },
		{ "2026-12-08T23:59:59.123456+02:00", "2026-12-08T21:59:59.123Z" },
		{ "2026-12-08 10:00:00.000-05:30", "2026-12-08T15:30:00Z" },
		{ "2026-11-27T23:59:59Z", "2026-11-27T23:59:59Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char t[1024];
		snprintf(t, sizeof(t),
		         "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
		         "\"lines\":[{\"sku\":\"A\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\","
		         "\"address\":\"M\",\"postal_code\":\"1\",\"country\":\"DE\"},"
		         "\"service\":\"s\",\"promised_by\":\"%s\",\"placed_at\":\"%s\"}}",
		         cases[i].sent, cases[i].sent);
		json_t *r = parsed(t);
		json_t *o = json_object_get(r, "order");
		assert_string_equal(str_at(o, "promised_by", NULL), cases[i].kept);
		assert_string_equal(str_at(o, "placed_at", NULL), cases[i].kept);
		json_decref(r);
	}
	/* Every op's timestamps, not only the order's. */
	json_t *r =
	    parsed("{\"op\":\"carrier.event\",\"tracking\":\"1Z\",\"status\":\"in_transit\","
	           "\"at\":\"2026-12-10t08:00:00+01:00\",\"estimate\":"
	           "\"2026-12-12T18:00:00.5Z\"}");
	assert_string_equal(str_at(r, "at", NULL), "2026-12-10T07:00:00Z");
	assert_string_equal(str_at(r, "estimate", NULL), "2026-12-12T18:00:00.500Z");
	json_decref(r);
	r = parsed("{\"op\":\"report.otif\",\"from\":\"2026-12-01t00:00:00Z\",\"to\":"
	           "\"2026-12-02T00:00:00+00:00\"}");
	assert_string_equal(str_at(r, "from", NULL), "2026-12-01T00:00:00Z");
	assert_string_equal(str_at(r, "to", NULL), "2026-12-02T00:00:00Z");
	json_decref(r);
}

static void test_number_fields_become_reals_and_integer_fields_stay_integers(void **state)
{
	(void)state;
	json_t *r =
	    parsed("{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\","
	           "\"lines\":[{\"sku\":\"A\",\"qty\":2}],\"ship_to\":{\"name\":\"Ann\","
	           "\"address\":\"M\",\"postal_code\":\"1\",\"country\":\"US\",\"lat\":40,"
	           "\"lon\":-74},\"service\":\"s\",\"promised_by\":"
	           "\"2026-11-27T23:59:59Z\",\"priority\":3}}");
	json_t *o = json_object_get(r, "order"), *st = json_object_get(o, "ship_to");
	assert_true(json_is_real(json_object_get(st, "lat")));
	assert_true(json_is_real(json_object_get(st, "lon")));
	assert_true(json_real_value(json_object_get(st, "lon")) == -74.0);
	assert_true(json_is_integer(json_object_get(o, "priority")));
	assert_true(json_is_integer(
	    json_object_get(json_array_get(json_object_get(o, "lines"), 0), "qty")));
	json_decref(r);
	/* Nested and in arrays of objects: a warehouse's layout and carriers. */
	r = parsed("{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
	           "\"location\":{\"lat\":52,\"lon\":13},\"layout\":{\"aisles\":2,"
	           "\"slots_per_side\":4,\"slot_length\":1,\"aisle_spacing\":3,\"depot\":{"
	           "\"aisle\":1,\"offset\":2}},\"carriers\":[{\"carrier\":\"UPS\",\"service\":"
	           "\"standard\",\"cutoff\":\"17:00\",\"transit_days\":2,\"cost\":7}]}}");
	json_t *w = json_object_get(r, "warehouse"), *l = json_object_get(w, "layout");
	assert_true(json_is_real(json_object_get(json_object_get(w, "location"), "lat")));
	assert_true(json_is_real(json_object_get(l, "slot_length")));
	assert_true(json_is_integer(json_object_get(l, "aisles")));
	assert_true(json_is_real(json_object_get(json_object_get(l, "depot"), "offset")));
	assert_true(json_is_integer(json_object_get(json_object_get(l, "depot"), "aisle")));
	json_t *c = json_array_get(json_object_get(w, "carriers"), 0);
	assert_true(json_is_real(json_object_get(c, "cost")));
	assert_true(json_is_integer(json_object_get(c, "transit_days")));
	json_decref(r);
}

/* The location of stock.receive as the codec leaves it for the engine. */
static char *received_location(const char *loc)
{
	char t[256];
	snprintf(t, sizeof(t),
	         "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":\"%s\","
	         "\"tenant\":\"acme\",\"sku\":\"A\",\"qty\":1}",
	         loc);
	json_t *r = parsed(t);
	char *s = strdup(json_string_value(json_object_get(r, "location")));
	json_decref(r);
	return s;
}

/* A location code has one spelling (PROTOCOL.md 4, 6), so resends with idem_key compare equal
 * whether they wrote the label prefix, lower case or other zero-padding. */
static void test_location_codes_are_given_one_spelling(void **state)
{
	(void)state;
	static const struct {
		const char *sent, *kept;
	} cases[] = {
		{ "A01-01-1", "A01-01-1" },
		{ "LOC-A01-01-1", "A01-01-1" },
		{ "loc-a1-1-1", "A01-01-1" },
		{ "A001-000001-01", "A01-01-1" },
		{ "B123-7-12", "B123-07-12" },
		{ "A0-0-0", "A00-00-0" },
		/* not a location code: left as sent, for the engine to refuse by name */
		{ "A01_17_1", "A01_17_1" },
		{ "17-A01-1", "17-A01-1" },
		{ "A0000001-01-1", "A0000001-01-1" },
		{ "LOC-", "LOC-" },
		{ "A01-01-1 ", "A01-01-1 " },
		{ "LOC-LOC-A01-01-1", "LOC-LOC-A01-01-1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *kept = received_location(cases[i].sent);
		if (strcmp(kept, cases[i].kept) != 0)
			fail_msg("'%s' was kept as '%s', expected '%s'", cases[i].sent, kept,
			         cases[i].kept);
		free(kept);
	}
	/* a carrier's location is a place name, not a bin: untouched */
	json_t *r = parsed("{\"op\":\"carrier.event\",\"tracking\":\"T\",\"status\":"
	                   "\"in_transit\",\"at\":\"2026-11-27T10:00:00Z\",\"location\":"
	                   "\"loc-a1-1-1\"}");
	assert_string_equal(json_string_value(json_object_get(r, "location")), "loc-a1-1-1");
	json_decref(r);
	r = parsed("{\"op\":\"return.grade\",\"rma\":\"R\",\"lines\":[{\"sku\":\"A\","
	           "\"qty\":1,\"grade\":\"restock\",\"location\":\"LOC-a2-3-4\"}]}");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(r, "lines"), 0), "location")),
	                    "A02-03-4");
	json_decref(r);
}

/* An order written by two JSON serialisers (-74 and -74.0, "z" and "Z") is the same order:
 * what the engine compares for an idempotent resend (PROTOCOL.md 4) is equal. */
static void test_an_order_resent_in_another_spelling_is_the_same_content(void **state)
{
	(void)state;
#define RESEND_FMT                                                                                 \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"SO-1\",\"lines\":[{"     \
	"\"sku\":\"A\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"M\","               \
	"\"postal_code\":\"1\",\"country\":\"US\",\"lat\":%s,\"lon\":%s},\"service\":\"s\","       \
	"\"promised_by\":\"%s\"}}"
	char a[1024], b[1024], c[1024];
	snprintf(a, sizeof(a), RESEND_FMT, "40.7128", "-74", "2026-12-10t00:00:00z");
	snprintf(b, sizeof(b), RESEND_FMT, "40.712800000000001", "-74.0", "2026-12-10T00:00:00Z");
	snprintf(c, sizeof(c), RESEND_FMT, "40.7128", "-74.5", "2026-12-10T00:00:00Z");
	json_t *ra = parsed(a), *rb = parsed(b), *rc = parsed(c);
	assert_true(json_equal(json_object_get(ra, "order"), json_object_get(rb, "order")));
	assert_false(json_equal(json_object_get(ra, "order"), json_object_get(rc, "order")));
	json_decref(ra);
	json_decref(rb);
	json_decref(rc);
}

/* Regression: a number jansson cannot hold made the whole request bad_json "too big integer"
 * with no field; it is a number out of range, and its field is named when it can be found. */
static void test_a_number_too_large_for_json_is_out_of_range_with_its_field(void **state)
{
	(void)state;
	struct wms_error err;
	char t[1024];
	snprintf(t, sizeof(t), QTY_FMT, "100000000000000000000");
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.lines[0].qty");
	assert_non_null(strstr(err.message, "100000000000000000000"));
	assert_non_null(strstr(err.message, "line 1 column 85"));
	assert_non_null(strstr(err.message, "must be 1 to 100000"));
	assert_int_equal(t[84], '1'); /* column 85 is where the number starts */
	snprintf(t, sizeof(t), QTY_FMT, "-1e400");
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.lines[0].qty");
	assert_non_null(strstr(err.message, "-1e400"));

	/* A number field, on the second line of the request; req_id is still echoed. */
	struct wms_request req = WMS_REQUEST_INIT;
	const char *lat = "{\"op\":\"order.submit\",\"req_id\":\"r-9\",\"order\":{\"ship_to\":\n"
	                  "{\"lat\":1e400}}}";
	err = (struct wms_error)WMS_ERROR_INIT;
	assert_int_equal(wms_request_parse(lat, strlen(lat), &req, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.ship_to.lat");
	assert_non_null(strstr(err.message, "1e400 (line 2 column 8)"));
	assert_non_null(strstr(err.message, "must be -90 to 90"));
	assert_non_null(req.req_id);
	assert_string_equal(req.req_id, "r-9");
	wms_request_release(&req);

	/* Not a field of the op: the path, and jansson's range. */
	assert_int_equal(parse("{\"op\":\"ping\",\"x\":[0,123456789012345678901234567890]}", &err),
	                 WMS_ERANGE);
	assert_string_equal(err.field, "x[1]");
	assert_non_null(strstr(err.message, "9223372036854775807"));
	/* No op to follow: no field, but still the number, where it is and the range. */
	assert_int_equal(parse("{\"qty\":99999999999999999999}", &err), WMS_ERANGE);
	assert_string_equal(err.field, "");
	assert_non_null(strstr(err.message, "99999999999999999999 at line 1 column 8"));
	assert_non_null(strstr(err.message, "1.8e308"));
	/* A number of 300 digits is quoted cut. */
	char big[400];
	memset(big, '9', 300);
	big[300] = '\0';
	snprintf(t, sizeof(t), QTY_FMT, big);
	assert_int_equal(parse(t, &err), WMS_ERANGE);
	assert_string_equal(err.field, "order.lines[0].qty");
	assert_non_null(strstr(err.message, "999..."));
	assert_null(strstr(err.message, big));
}

static void test_every_error_code_has_a_distinct_wire_name(void **state)
{
	(void)state;
	static const int codes[] = {
#define X(sym, val, name, text) sym,
		WMS_ERRORS(X)
#undef X
	};
	size_t n = sizeof(codes) / sizeof(codes[0]);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wms_errcode(wms_errname(codes[i])), codes[i]);
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(wms_errname(codes[i]), wms_errname(codes[j]));
	}
}

static void test_every_op_has_a_schema_and_unique_name(void **state)
{
	(void)state;
	size_t n;
	const struct wms_op_spec *ops = wms_ops(&n);
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(ops[i].schema);
		assert_ptr_equal(wms_op_find(ops[i].name), &ops[i]);
		assert_true(ops[i].flags == WMS_OP_READ || ops[i].flags == WMS_OP_WRITE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_valid_order_parses),
		cmocka_unit_test(test_trailing_newline_and_nul_are_accepted),
		cmocka_unit_test(test_garbage_bytes_are_bad_json),
		cmocka_unit_test(test_invalid_utf8_is_bad_json),
		cmocka_unit_test(
		    test_an_error_quoting_bytes_that_are_not_utf8_is_still_a_json_reply),
		cmocka_unit_test(test_an_empty_message_or_a_non_object_is_a_bad_request),
		cmocka_unit_test(
		    test_valid_json_that_is_not_an_object_is_a_bad_request_saying_what_it_is),
		cmocka_unit_test(test_missing_and_unknown_ops_are_named),
		cmocka_unit_test(test_duplicate_keys_are_refused),
		cmocka_unit_test(test_unknown_nested_field_is_named_with_its_path),
		cmocka_unit_test(test_missing_nested_field_is_named_with_its_path),
		cmocka_unit_test(test_wrong_type_names_field_and_value),
		cmocka_unit_test(test_zero_and_huge_quantities_are_out_of_range),
		cmocka_unit_test(test_an_out_of_range_number_is_shown_in_full_with_its_bounds),
		cmocka_unit_test(test_overlong_id_is_too_long_and_spaces_are_bad_value),
		cmocka_unit_test(test_tab_and_line_breaks_are_refused_outside_free_text),
		cmocka_unit_test(test_a_scan_code_may_carry_the_control_characters_a_scanner_sends),
		cmocka_unit_test(test_a_gs_alias_may_be_fs_or_rs_but_not_tab_cr_or_lf),
		cmocka_unit_test(test_bad_timestamp_is_named),
		cmocka_unit_test(test_ten_thousand_lines_are_out_of_range),
		cmocka_unit_test(test_oversize_message_is_too_large),
		cmocka_unit_test(test_req_id_is_kept_even_when_validation_fails),
		cmocka_unit_test(test_gtin_shorthand_strings_and_objects_both_validate),
		cmocka_unit_test(test_timestamps_are_rewritten_to_the_engines_utc_spelling),
		cmocka_unit_test(test_number_fields_become_reals_and_integer_fields_stay_integers),
		cmocka_unit_test(test_an_order_resent_in_another_spelling_is_the_same_content),
		cmocka_unit_test(test_location_codes_are_given_one_spelling),
		cmocka_unit_test(test_a_number_too_large_for_json_is_out_of_range_with_its_field),
		cmocka_unit_test(test_every_error_code_has_a_distinct_wire_name),
		cmocka_unit_test(test_every_op_has_a_schema_and_unique_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
