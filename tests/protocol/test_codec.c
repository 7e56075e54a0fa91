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
		cmocka_unit_test(test_missing_and_unknown_ops_are_named),
		cmocka_unit_test(test_duplicate_keys_are_refused),
		cmocka_unit_test(test_unknown_nested_field_is_named_with_its_path),
		cmocka_unit_test(test_missing_nested_field_is_named_with_its_path),
		cmocka_unit_test(test_wrong_type_names_field_and_value),
		cmocka_unit_test(test_zero_and_huge_quantities_are_out_of_range),
		cmocka_unit_test(test_overlong_id_is_too_long_and_spaces_are_bad_value),
		cmocka_unit_test(test_bad_timestamp_is_named),
		cmocka_unit_test(test_ten_thousand_lines_are_out_of_range),
		cmocka_unit_test(test_oversize_message_is_too_large),
		cmocka_unit_test(test_req_id_is_kept_even_when_validation_fails),
		cmocka_unit_test(test_gtin_shorthand_strings_and_objects_both_validate),
		cmocka_unit_test(test_every_error_code_has_a_distinct_wire_name),
		cmocka_unit_test(test_every_op_has_a_schema_and_unique_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
