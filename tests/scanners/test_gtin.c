/*
 * test_gtin.c - GS1 keys: modulo-10 check digits, GTIN normalisation to GTIN-14, GLN and SSCC
 * validation, building SSCCs. Vectors are the published examples (GS1 General Specifications,
 * GS1 US, the EAN/UPC examples everyone uses), checked independently of this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wms/barcode.h"

#include <string.h>

static void test_check_digit_of_published_gtins_is_computed(void **state)
{
	(void)state;
	assert_int_equal(wms_gtin_check_digit("0950600013435", 13), 2);
	assert_int_equal(wms_gtin_check_digit("400638133393", 12), 1);
	assert_int_equal(wms_gtin_check_digit("03600029145", 11), 2);
	assert_int_equal(wms_gtin_check_digit("9638507", 7), 4);
	assert_int_equal(wms_gtin_check_digit("1001234567890", 13), 2);
}

static void test_check_digit_of_sscc_and_gln_is_computed(void **state)
{
	(void)state;
	assert_int_equal(wms_gtin_check_digit("10614141123456789", 17), 7);
	assert_int_equal(wms_gtin_check_digit("952012345678", 12), 8);
	assert_int_equal(wms_gtin_check_digit("061414100001", 12), 2);
}

static void test_check_digit_refuses_non_digits_and_bad_lengths(void **state)
{
	(void)state;
	assert_int_equal(wms_gtin_check_digit("12A4", 4), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_gtin_check_digit("1", 0), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_gtin_check_digit("123456789012345678", 18), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_gtin_check_digit(NULL, 3), -WMS_BCERR_BAD_LENGTH);
}

static void test_gtin_valid_accepts_8_12_13_and_14_digits(void **state)
{
	(void)state;
	assert_true(wms_gtin_valid("96385074"));
	assert_true(wms_gtin_valid("036000291452"));
	assert_true(wms_gtin_valid("4006381333931"));
	assert_true(wms_gtin_valid("09506000134352"));
	assert_true(wms_gtin_valid("10012345678902"));
}

static void test_gtin_valid_refuses_wrong_check_digit_length_and_characters(void **state)
{
	(void)state;
	assert_false(wms_gtin_valid("4006381333932"));
	assert_false(wms_gtin_valid("40063813339"));   /* 11 digits */
	assert_false(wms_gtin_valid("0950600013435")); /* 13 digits, not a GTIN-13 */
	assert_false(wms_gtin_valid("095060001343520"));
	assert_false(wms_gtin_valid("4006381333 31"));
	assert_false(wms_gtin_valid(""));
	assert_false(wms_gtin_valid(NULL));
}

static void test_normalise_pads_every_gtin_to_14_digits(void **state)
{
	char out[15];
	(void)state;
	assert_int_equal(wms_gtin_normalise("96385074", 8, out, NULL), 0);
	assert_string_equal(out, "00000096385074");
	assert_int_equal(wms_gtin_normalise("036000291452", 12, out, NULL), 0);
	assert_string_equal(out, "00036000291452");
	assert_int_equal(wms_gtin_normalise("4006381333931", 13, out, NULL), 0);
	assert_string_equal(out, "04006381333931");
	assert_int_equal(wms_gtin_normalise("09506000134352", 14, out, NULL), 0);
	assert_string_equal(out, "09506000134352");
}

static void test_normalise_names_the_wrong_check_digit_and_leaves_out_alone(void **state)
{
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	char out[15] = "untouched";
	(void)state;
	assert_int_equal(wms_gtin_normalise("4006381333932", 13, out, &err),
	                 -WMS_BCERR_CHECK_DIGIT);
	assert_int_equal(err.cls, WMS_BCERR_CHECK_DIGIT);
	assert_int_equal(err.position, 13);
	assert_non_null(strstr(err.message, "expected 1"));
	assert_string_equal(out, "untouched");
}

static void test_normalise_refuses_empty_short_and_lettered_input(void **state)
{
	char out[15];
	(void)state;
	assert_int_equal(wms_gtin_normalise("", 0, out, NULL), -WMS_BCERR_EMPTY);
	assert_int_equal(wms_gtin_normalise("1234567", 7, out, NULL), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_gtin_normalise("400638133393X", 13, out, NULL),
	                 -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_gtin_normalise("123456789012345", 15, out, NULL),
	                 -WMS_BCERR_BAD_LENGTH);
}

static void test_gln_valid_checks_13_digits_and_check_digit(void **state)
{
	(void)state;
	assert_true(wms_gln_valid("9520123456788"));
	assert_true(wms_gln_valid("0614141000012"));
	assert_false(wms_gln_valid("9520123456787"));
	assert_false(wms_gln_valid("952012345678"));
}

static void test_sscc_valid_checks_18_digits_and_check_digit(void **state)
{
	(void)state;
	assert_true(wms_sscc_valid("106141411234567897"));
	assert_false(wms_sscc_valid("106141411234567898"));
	assert_false(wms_sscc_valid("10614141123456789"));
	assert_false(wms_sscc_valid(NULL));
}

static void test_sscc_make_rebuilds_the_gs1_us_example(void **state)
{
	char out[19];
	(void)state;
	/* Extension 1, company prefix 0614141, serial reference 123456789. */
	assert_int_equal(wms_sscc_make(1, "0614141", 123456789ULL, out), 0);
	assert_string_equal(out, "106141411234567897");
	assert_true(wms_sscc_valid(out));
}

static void test_sscc_make_zero_pads_the_serial_reference(void **state)
{
	char out[19];
	(void)state;
	assert_int_equal(wms_sscc_make(0, "952012345678", 42, out), 0);
	assert_int_equal(strlen(out), 18);
	assert_memory_equal(out, "0952012345678004", 16);
	assert_true(wms_sscc_valid(out));
}

static void test_sscc_make_refuses_serials_that_do_not_fit_and_bad_prefixes(void **state)
{
	char out[19] = "untouched";
	(void)state;
	/* A 12-digit prefix leaves 4 digits of serial reference: 9999 fits, 10000 does not. */
	assert_int_equal(wms_sscc_make(0, "952012345678", 9999, out), 0);
	assert_int_equal(wms_sscc_make(0, "952012345678", 10000, out), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_sscc_make(0, "952", 1, out), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_sscc_make(0, "9520123456789", 1, out), -WMS_BCERR_BAD_LENGTH);
	assert_int_equal(wms_sscc_make(0, "95201A3", 1, out), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_sscc_make(10, "9520123", 1, out), -WMS_BCERR_BAD_FORMAT);
	assert_int_equal(wms_sscc_make(0, NULL, 1, out), -WMS_BCERR_BAD_LENGTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_digit_of_published_gtins_is_computed),
		cmocka_unit_test(test_check_digit_of_sscc_and_gln_is_computed),
		cmocka_unit_test(test_check_digit_refuses_non_digits_and_bad_lengths),
		cmocka_unit_test(test_gtin_valid_accepts_8_12_13_and_14_digits),
		cmocka_unit_test(test_gtin_valid_refuses_wrong_check_digit_length_and_characters),
		cmocka_unit_test(test_normalise_pads_every_gtin_to_14_digits),
		cmocka_unit_test(test_normalise_names_the_wrong_check_digit_and_leaves_out_alone),
		cmocka_unit_test(test_normalise_refuses_empty_short_and_lettered_input),
		cmocka_unit_test(test_gln_valid_checks_13_digits_and_check_digit),
		cmocka_unit_test(test_sscc_valid_checks_18_digits_and_check_digit),
		cmocka_unit_test(test_sscc_make_rebuilds_the_gs1_us_example),
		cmocka_unit_test(test_sscc_make_zero_pads_the_serial_reference),
		cmocka_unit_test(test_sscc_make_refuses_serials_that_do_not_fit_and_bad_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
