/*
 * test_labels.c - the engine's own labels (LOC-, TOTE-, STN-, CTN-, INS-, CART-, USR-) as
 * plain Code 128 / Code 39 scans: each type, each identifier, case folding, and the ways a
 * label can be malformed.
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

static void assert_label(const char *text, enum wms_internal_type type, const char *id)
{
	struct wms_barcode bc;
	parse_ok(text, &bc);
	assert_int_equal(bc.kind, WMS_BC_INTERNAL);
	assert_int_equal(bc.internal_type, type);
	assert_string_equal(bc.internal_id, id);
	assert_int_equal(bc.n_ais, 0);
	assert_string_equal(bc.gtin, "");
}

static void test_each_label_type_is_recognised_with_its_full_text_as_id(void **state)
{
	(void)state;
	assert_label("LOC-A01-02-3", WMS_INTERNAL_LOCATION, "LOC-A01-02-3");
	assert_label("TOTE-000123", WMS_INTERNAL_TOTE, "TOTE-000123");
	assert_label("STN-PACK-04", WMS_INTERNAL_STATION, "STN-PACK-04");
	assert_label("CTN-0000042", WMS_INTERNAL_CARTON, "CTN-0000042");
	assert_label("INS-XMAS-CARD", WMS_INTERNAL_INSERT, "INS-XMAS-CARD");
	assert_label("CART-17", WMS_INTERNAL_CART, "CART-17");
	assert_label("USR-JDOE", WMS_INTERNAL_USER, "USR-JDOE");
	assert_label("LOC-B", WMS_INTERNAL_LOCATION, "LOC-B");
}

static void test_label_type_values_and_names_are_stable(void **state)
{
	(void)state;
	assert_int_equal(WMS_INTERNAL_LOCATION, 1);
	assert_int_equal(WMS_INTERNAL_USER, 7);
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_LOCATION), "location");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_TOTE), "tote");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_STATION), "station");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_CARTON), "carton");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_INSERT), "insert");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_CART), "cart");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_USER), "user");
	assert_string_equal(wms_internal_type_name(WMS_INTERNAL_NONE), "");
}

static void test_labels_arrive_under_code_128_code_39_or_no_identifier(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]C0LOC-A01-02-3", &bc);
	assert_string_equal(bc.symbology, "]C0");
	assert_string_equal(bc.internal_id, "LOC-A01-02-3");
	parse_ok("]A0TOTE-000123", &bc);
	assert_string_equal(bc.symbology, "]A0");
	assert_int_equal(bc.internal_type, WMS_INTERNAL_TOTE);
	parse_ok("TOTE-000123\r\n", &bc);
	assert_string_equal(bc.internal_id, "TOTE-000123");
}

static void test_lower_case_from_a_caps_lock_wedge_is_folded_to_upper_case(void **state)
{
	(void)state;
	assert_label("loc-a01-02-3", WMS_INTERNAL_LOCATION, "LOC-A01-02-3");
	assert_label("Tote-000123", WMS_INTERNAL_TOTE, "TOTE-000123");
	assert_label("usr-jDoe", WMS_INTERNAL_USER, "USR-JDOE");
}

static void test_digits_only_labels_refuse_letters_with_the_position(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("TOTE-12A", WMS_BCERR_BAD_CHARSET);
	assert_int_equal(err.position, 8);
	assert_non_null(strstr(err.message, "'A'"));
	refused("CTN-00-42", WMS_BCERR_BAD_CHARSET);
	refused("CART-1 7", WMS_BCERR_BAD_CHARSET);
}

static void test_empty_labels_and_empty_groups_are_bad_format(void **state)
{
	(void)state;
	refused("LOC-", WMS_BCERR_BAD_FORMAT);
	refused("TOTE-", WMS_BCERR_BAD_FORMAT);
	refused("LOC--A1", WMS_BCERR_BAD_FORMAT);
	refused("LOC-A--1", WMS_BCERR_BAD_FORMAT);
	refused("LOC-A1-", WMS_BCERR_BAD_FORMAT);
}

static void test_group_labels_refuse_characters_outside_a_z_0_9(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("LOC-A_1", WMS_BCERR_BAD_CHARSET);
	assert_int_equal(err.position, 6);
	refused("STN-PACK/4", WMS_BCERR_BAD_CHARSET);
	refused("USR-J\xc3\xa9", WMS_BCERR_BAD_CHARSET);
}

static void test_a_label_longer_than_63_characters_is_bad_length(void **state)
{
	char text[80];
	(void)state;
	memcpy(text, "LOC-", 4);
	memset(text + 4, 'A', 59);
	text[63] = '\0';
	assert_label(text, WMS_INTERNAL_LOCATION, text);
	text[63] = 'A';
	text[64] = '\0';
	refused(text, WMS_BCERR_BAD_LENGTH);
}

static void test_look_alike_prefixes_are_not_labels(void **state)
{
	(void)state;
	refused("LOCATION-1", WMS_BCERR_BAD_FORMAT);
	refused("TOTE000123", WMS_BCERR_BAD_FORMAT);
	refused("CARTON-1", WMS_BCERR_BAD_FORMAT);
}

static void test_labels_under_gs1_or_number_identifiers_are_refused(void **state)
{
	(void)state;
	refused("]C1LOC-A01", WMS_BCERR_BAD_FORMAT);
	refused("]E0TOTE-1", WMS_BCERR_BAD_CHARSET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_label_type_is_recognised_with_its_full_text_as_id),
		cmocka_unit_test(test_label_type_values_and_names_are_stable),
		cmocka_unit_test(test_labels_arrive_under_code_128_code_39_or_no_identifier),
		cmocka_unit_test(test_lower_case_from_a_caps_lock_wedge_is_folded_to_upper_case),
		cmocka_unit_test(test_digits_only_labels_refuse_letters_with_the_position),
		cmocka_unit_test(test_empty_labels_and_empty_groups_are_bad_format),
		cmocka_unit_test(test_group_labels_refuse_characters_outside_a_z_0_9),
		cmocka_unit_test(test_a_label_longer_than_63_characters_is_bad_length),
		cmocka_unit_test(test_look_alike_prefixes_are_not_labels),
		cmocka_unit_test(test_labels_under_gs1_or_number_identifiers_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
