/*
 * test_digital_link.c - GS1 Digital Link URIs: primary keys, qualifiers in the standard's
 * order, query attributes, percent-decoding, any host and path prefix, short names, and the
 * ways a URI is refused. Examples follow the GS1 Digital Link standard's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wms/barcode.h"

#include <string.h>

static void parse_ok(const char *text, struct wms_barcode *bc)
{
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int rc = wms_barcode_parse(text, strlen(text), NULL, bc, &err);
	if (rc != 0)
		fail_msg("'%s' refused: %s: %s", text, wms_barcode_errname(rc), err.message);
	assert_int_equal(bc->kind, WMS_BC_DIGITAL_LINK);
}

static struct wms_barcode_error refused(const char *text, int cls)
{
	struct wms_barcode bc;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int rc = wms_barcode_parse(text, strlen(text), NULL, &bc, &err);
	if (rc != -cls)
		fail_msg("'%s': expected %s, got %s: %s", text, wms_barcode_errname(cls),
		         rc ? wms_barcode_errname(rc) : "accepted", err.message);
	return err;
}

static void assert_ai(const struct wms_barcode *bc, size_t i, const char *ai, const char *value)
{
	assert_true(i < bc->n_ais);
	assert_string_equal(bc->ais[i].ai, ai);
	assert_string_equal(bc->ais[i].value, value);
}

static void test_gtin_with_lot_and_expiry_attribute_parses(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://id.gs1.org/01/09506000134352/10/ABC?17=261231", &bc);
	assert_string_equal(bc.gtin, "09506000134352");
	assert_int_equal(bc.n_ais, 3);
	assert_ai(&bc, 0, "01", "09506000134352");
	assert_ai(&bc, 1, "10", "ABC");
	assert_ai(&bc, 2, "17", "261231");
}

static void test_any_host_and_any_path_prefix_before_the_key_is_accepted(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://brand.example.com:8443/shop/p/01/09506000134352/21/SER1"
	         "?linkType=gs1:pip&utm_source=qr",
	         &bc);
	assert_int_equal(bc.n_ais, 2);
	assert_ai(&bc, 1, "21", "SER1");
	parse_ok("HTTP://EXAMPLE.COM/01/09506000134352", &bc);
	assert_int_equal(bc.n_ais, 1);
	parse_ok("https://example.com/01/09506000134352/", &bc);
	assert_int_equal(bc.n_ais, 1);
	parse_ok("https://example.com/01/09506000134352#top", &bc);
}

static void test_all_qualifiers_of_a_gtin_in_the_standard_order_parse(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://example.com/01/09506000134352/22/2A/10/ABC123/21/12345?17=180426", &bc);
	assert_int_equal(bc.n_ais, 5);
	assert_ai(&bc, 1, "22", "2A");
	assert_ai(&bc, 2, "10", "ABC123");
	assert_ai(&bc, 3, "21", "12345");
	assert_ai(&bc, 4, "17", "180426");
	parse_ok("https://example.com/01/09506000134352/21/12345", &bc);
	parse_ok("https://example.com/01/09506000134352/235/TPX-1", &bc);
}

static void test_qualifiers_out_of_order_are_refused(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("https://example.com/01/09506000134352/21/S1/10/ABC", WMS_BCERR_BAD_FORMAT);
	assert_string_equal(err.ai, "10");
	assert_non_null(strstr(err.message, "out of order"));
	/* 235 is an alternative to 22/10/21, not a companion. */
	refused("https://example.com/01/09506000134352/10/ABC/235/X", WMS_BCERR_BAD_FORMAT);
}

static void test_a_data_attribute_in_the_path_is_refused(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("https://example.com/01/09506000134352/17/261231", WMS_BCERR_BAD_FORMAT);
	assert_string_equal(err.ai, "17");
	assert_non_null(strstr(err.message, "query string"));
}

static void test_a_path_ai_before_the_primary_key_is_refused(void **state)
{
	(void)state;
	refused("https://example.com/10/ABC/01/09506000134352", WMS_BCERR_BAD_FORMAT);
}

static void test_shorter_gtins_in_the_path_become_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://id.gs1.org/01/4006381333931", &bc);
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("https://id.gs1.org/01/96385074", &bc);
	assert_string_equal(bc.gtin, "00000096385074");
	parse_ok("https://id.gs1.org/01/036000291452", &bc);
	assert_string_equal(bc.gtin, "00036000291452");
}

static void test_a_wrong_check_digit_in_the_path_is_refused_with_its_position(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("https://id.gs1.org/01/09506000134353", WMS_BCERR_CHECK_DIGIT);
	assert_int_equal(err.position, 36);
	refused("https://id.gs1.org/01/4006381333932", WMS_BCERR_CHECK_DIGIT);
}

static void test_other_primary_keys_and_their_qualifiers_parse(void **state)
{
	struct wms_barcode bc;
	unsigned long n;
	(void)state;
	parse_ok("https://id.gs1.org/00/106141411234567897?02=09506000134352&37=10", &bc);
	assert_string_equal(wms_barcode_sscc(&bc), "106141411234567897");
	assert_true(wms_barcode_count(&bc, &n));
	assert_int_equal(n, 10);
	parse_ok("https://id.gs1.org/414/9520123456788/254/EXT1", &bc);
	assert_ai(&bc, 1, "254", "EXT1");
	parse_ok("https://id.gs1.org/8004/9520614141234567", &bc);
	parse_ok("https://id.gs1.org/8006/095060001343520102/10/L1", &bc);
}

static void test_short_names_from_the_first_release_are_understood(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://example.com/gtin/09506000134352/lot/ABC/ser/7", &bc);
	assert_ai(&bc, 0, "01", "09506000134352");
	assert_ai(&bc, 1, "10", "ABC");
	assert_ai(&bc, 2, "21", "7");
	parse_ok("https://example.com/sscc/106141411234567897", &bc);
	assert_ai(&bc, 0, "00", "106141411234567897");
}

static void test_values_are_percent_decoded(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://example.com/01/09506000134352/10/AB%2FC%41?99=x%25y", &bc);
	assert_ai(&bc, 1, "10", "AB/CA");
	assert_ai(&bc, 2, "99", "x%y");
}

static void test_broken_escapes_and_decoded_bytes_outside_cset_82_are_refused(void **state)
{
	(void)state;
	refused("https://example.com/01/09506000134352/10/AB%G1", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/01/09506000134352/10/AB%2", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/01/09506000134352/10/AB%20C", WMS_BCERR_BAD_CHARSET);
	refused("https://example.com/01/09506000134352/10/AB%00", WMS_BCERR_BAD_CHARSET);
}

static void test_query_attributes_are_checked_like_element_strings(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("https://example.com/01/09506000134352?17=261331", WMS_BCERR_BAD_DATE);
	assert_string_equal(err.ai, "17");
	assert_int_equal(err.position, 44); /* the month */
	refused("https://example.com/01/09506000134352?14=1", WMS_BCERR_UNKNOWN_AI);
	refused("https://example.com/01/09506000134352?3103=12", WMS_BCERR_BAD_LENGTH);
	refused("https://example.com/01/09506000134352?17", WMS_BCERR_BAD_FORMAT);
}

static void test_qualifiers_and_non_attributes_are_refused_in_the_query(void **state)
{
	(void)state;
	/* 10 qualifies a GTIN: it belongs in the path. 21 is never an attribute. */
	refused("https://example.com/01/09506000134352?10=ABC", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/00/106141411234567897?21=S", WMS_BCERR_BAD_FORMAT);
}

static void test_non_gs1_query_parameters_are_ignored(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://example.com/01/09506000134352?&linkType=all&&x=1&17=261231&", &bc);
	assert_int_equal(bc.n_ais, 2);
	assert_ai(&bc, 1, "17", "261231");
}

static void test_repeats_in_path_and_query_follow_the_repeat_rule(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("https://example.com/00/106141411234567897?00=106141411234567897", &bc);
	assert_int_equal(bc.n_ais, 1);
	refused("https://example.com/01/09506000134352?17=261231&17=261230", WMS_BCERR_BAD_FORMAT);
}

static void test_uris_without_a_host_or_a_primary_key_are_refused(void **state)
{
	(void)state;
	refused("https://", WMS_BCERR_BAD_FORMAT);
	refused("https:///01/09506000134352", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/foo/bar", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/01", WMS_BCERR_BAD_FORMAT);
	refused("https://example.com/10/ABC", WMS_BCERR_BAD_FORMAT);
}

static void test_characters_a_uri_cannot_hold_literally_are_bad_charset(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("https://example.com/01/09506000134352/10/A C", WMS_BCERR_BAD_CHARSET);
	assert_int_equal(err.position, 43);
	refused("https://example.com/01/09506000134352/10/A\x1d"
	        "C",
	        WMS_BCERR_BAD_CHARSET);
	refused("https://exa mple.com/01/09506000134352", WMS_BCERR_BAD_CHARSET);
}

static void test_a_value_longer_than_any_ai_allows_is_bad_length(void **state)
{
	char text[256] = "https://example.com/01/09506000134352?99=";
	(void)state;
	memset(text + strlen(text), 'x', 91);
	refused(text, WMS_BCERR_BAD_LENGTH);
}

static void test_digital_link_under_a_plain_2d_identifier_keeps_the_identifier(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]Q1https://id.gs1.org/01/09506000134352", &bc);
	assert_string_equal(bc.symbology, "]Q1");
	parse_ok("]d1https://id.gs1.org/01/09506000134352\r\n", &bc);
	assert_string_equal(bc.symbology, "]d1");
}

static void test_digital_link_is_written_back_as_an_element_string(void **state)
{
	struct wms_barcode bc;
	char out[128];
	(void)state;
	parse_ok("https://id.gs1.org/01/09506000134352/10/ABC?17=261231", &bc);
	assert_int_equal(
	    wms_barcode_to_element_string(&bc, WMS_ES_BRACKETED, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "(01)09506000134352(10)ABC(17)261231");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gtin_with_lot_and_expiry_attribute_parses),
		cmocka_unit_test(test_any_host_and_any_path_prefix_before_the_key_is_accepted),
		cmocka_unit_test(test_all_qualifiers_of_a_gtin_in_the_standard_order_parse),
		cmocka_unit_test(test_qualifiers_out_of_order_are_refused),
		cmocka_unit_test(test_a_data_attribute_in_the_path_is_refused),
		cmocka_unit_test(test_a_path_ai_before_the_primary_key_is_refused),
		cmocka_unit_test(test_shorter_gtins_in_the_path_become_gtin14),
		cmocka_unit_test(test_a_wrong_check_digit_in_the_path_is_refused_with_its_position),
		cmocka_unit_test(test_other_primary_keys_and_their_qualifiers_parse),
		cmocka_unit_test(test_short_names_from_the_first_release_are_understood),
		cmocka_unit_test(test_values_are_percent_decoded),
		cmocka_unit_test(test_broken_escapes_and_decoded_bytes_outside_cset_82_are_refused),
		cmocka_unit_test(test_query_attributes_are_checked_like_element_strings),
		cmocka_unit_test(test_qualifiers_and_non_attributes_are_refused_in_the_query),
		cmocka_unit_test(test_non_gs1_query_parameters_are_ignored),
		cmocka_unit_test(test_repeats_in_path_and_query_follow_the_repeat_rule),
		cmocka_unit_test(test_uris_without_a_host_or_a_primary_key_are_refused),
		cmocka_unit_test(test_characters_a_uri_cannot_hold_literally_are_bad_charset),
		cmocka_unit_test(test_a_value_longer_than_any_ai_allows_is_bad_length),
		cmocka_unit_test(
		    test_digital_link_under_a_plain_2d_identifier_keeps_the_identifier),
		cmocka_unit_test(test_digital_link_is_written_back_as_an_element_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
