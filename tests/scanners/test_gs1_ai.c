/*
 * test_gs1_ai.c - the AI table and the checks of AI values: the table's own invariants (so a
 * row added later cannot break the parser), then every kind of value check through the public
 * parser, using the bracketed form so each test states the AI and value it is about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wms/barcode.h"
#include "../../scanners/src/gs1_ai.h"

#include <stdio.h>
#include <string.h>

/* Parses TEXT with no options and fails the test, naming the error, unless it is accepted. */
#define assert_accepted(text)                                                                      \
	do {                                                                                       \
		struct wms_barcode bc_;                                                            \
		struct wms_barcode_error e_ = WMS_BARCODE_ERROR_INIT;                              \
		int rc_ = wms_barcode_parse(text, strlen(text), NULL, &bc_, &e_);                  \
		if (rc_ != 0)                                                                      \
			fail_msg("%s refused: %s: %s", text, wms_barcode_errname(rc_),             \
			         e_.message);                                                      \
	} while (0)

/* Parses TEXT and fails the test unless it is refused with class CLS. */
#define assert_refused(text, cls)                                                                  \
	do {                                                                                       \
		struct wms_barcode bc_;                                                            \
		struct wms_barcode_error e_ = WMS_BARCODE_ERROR_INIT;                              \
		int rc_ = wms_barcode_parse(text, strlen(text), NULL, &bc_, &e_);                  \
		if (rc_ != -(cls))                                                                 \
			fail_msg("%s: expected %s, got %s: %s", text, wms_barcode_errname(cls),    \
			         rc_ ? wms_barcode_errname(rc_) : "accepted", e_.message);         \
	} while (0)

static bool digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void test_table_rows_are_sorted_and_ranges_are_well_formed(void **state)
{
	(void)state;
	assert_true(gs1_ai_count() > 150);
	for (size_t i = 0; i < gs1_ai_count(); i++) {
		const struct gs1_ai_def *d = gs1_ai_at(i);
		assert_true(digits(d->lo) && digits(d->hi));
		assert_int_equal(strlen(d->lo), strlen(d->hi));
		assert_in_range(strlen(d->lo), 2, 4);
		assert_true(strcmp(d->lo, d->hi) <= 0);
		if (i > 0)
			assert_true(strcmp(gs1_ai_at(i - 1)->hi, d->lo) < 0);
	}
}

static void test_all_ais_sharing_two_first_digits_have_the_same_length(void **state)
{
	(void)state;
	/* The raw form relies on this: the first two digits say how long the AI is. */
	for (size_t i = 0; i < gs1_ai_count(); i++) {
		const struct gs1_ai_def *d = gs1_ai_at(i);
		assert_int_equal(gs1_ai_length(d->lo), strlen(d->lo));
		assert_int_equal(gs1_ai_length(d->hi), strlen(d->hi));
	}
}

static void test_predefined_length_ais_have_a_fixed_length(void **state)
{
	(void)state;
	for (size_t i = 0; i < gs1_ai_count(); i++) {
		const struct gs1_ai_def *d = gs1_ai_at(i);
		if (gs1_ai_predefined(d->lo))
			assert_int_equal(gs1_ai_min_len(d), gs1_ai_max_len(d));
	}
}

static void test_components_fit_the_result_and_only_the_last_varies(void **state)
{
	(void)state;
	for (size_t i = 0; i < gs1_ai_count(); i++) {
		const struct gs1_ai_def *d = gs1_ai_at(i);
		bool seen_optional = false;
		assert_true(gs1_ai_max_len(d) <= WMS_BARCODE_MAX_VALUE);
		assert_true(gs1_ai_min_len(d) >= 1);
		for (int k = 0; k < GS1_MAX_COMPS && d->comp[k].cset; k++) {
			const struct gs1_comp *c = &d->comp[k];
			bool last = k + 1 == GS1_MAX_COMPS || d->comp[k + 1].cset == 0;
			if (c->min != c->max)
				assert_true(last);
			if (seen_optional)
				assert_true(c->optional);
			seen_optional = seen_optional || c->optional;
		}
	}
}

static void test_digital_link_qualifiers_are_known_ais(void **state)
{
	(void)state;
	for (size_t i = 0; i < gs1_ai_count(); i++) {
		const struct gs1_ai_def *d = gs1_ai_at(i);
		const char *p = d->dl_quals;
		if (!(d->flags & GS1_DL_PKEY)) {
			assert_string_equal(p, "");
			continue;
		}
		while (*p) {
			size_t n = strcspn(p, ",|");
			assert_non_null(gs1_ai_find(p, n));
			p += n + (p[n] ? 1 : 0);
		}
	}
}

static void test_lookup_finds_ranges_and_refuses_unassigned_ais(void **state)
{
	(void)state;
	assert_non_null(gs1_ai_find("3105", 4));
	assert_null(gs1_ai_find("3106", 4));
	assert_non_null(gs1_ai_find("91", 2));
	assert_non_null(gs1_ai_find("99", 2));
	assert_non_null(gs1_ai_find("7041", 4));
	assert_non_null(gs1_ai_find("717", 3));
	assert_null(gs1_ai_find("14", 2));
	assert_null(gs1_ai_find("04", 2));
	assert_null(gs1_ai_find("7042", 4));
	assert_null(gs1_ai_find("1", 1));
	assert_null(gs1_ai_find("01A", 3));
	assert_string_equal(gs1_ai_find("3103", 4)->title, "NET WEIGHT (kg)");
}

static void test_predefined_length_table_is_the_standard_prefix_list(void **state)
{
	static const char *yes[] = { "00", "01", "02",   "03",   "04",   "11",  "17",
		                     "19", "20", "3103", "3302", "3695", "410", "417" };
	static const char *no[] = { "10",  "21",  "22",   "235",  "30",   "37",   "3900",
		                    "400", "420", "4300", "7003", "8005", "8006", "90" };
	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(gs1_ai_predefined(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(gs1_ai_predefined(no[i]));
}

static void test_character_sets_have_the_sizes_their_names_say(void **state)
{
	int n82 = 0, n39 = 0, n64 = 0;
	(void)state;
	for (int c = 0; c < 256; c++) {
		n82 += gs1_cset82(c);
		n39 += gs1_cset39(c);
		n64 += gs1_cset64(c);
	}
	assert_int_equal(n82, 82);
	assert_int_equal(n39, 39);
	assert_int_equal(n64, 65); /* 64 symbols and the '=' pad */
	assert_true(gs1_cset39('#') && !gs1_cset82('#'));
}

static void test_gs_alias_may_only_be_a_character_gs1_data_never_holds(void **state)
{
	char printable[32] = "";
	size_t n = 0;
	(void)state;
	for (int c = 0x20; c < 0x7f; c++)
		if (wms_barcode_gs_alias_ok(c))
			printable[n++] = (char)c;
	assert_string_equal(printable, " $@[\\]^`{|}~");
	assert_true(wms_barcode_gs_alias_ok(0x1c));
	assert_true(wms_barcode_gs_alias_ok(0x1d));
	assert_true(wms_barcode_gs_alias_ok(0x1e));
	assert_true(wms_barcode_gs_alias_ok(0x7f));
	/* outside both sets, but a keyboard wedge ends or splits a scan at them */
	assert_false(wms_barcode_gs_alias_ok('\t'));
	assert_false(wms_barcode_gs_alias_ok('\n'));
	assert_false(wms_barcode_gs_alias_ok('\r'));
	assert_false(wms_barcode_gs_alias_ok('#'));
	assert_false(wms_barcode_gs_alias_ok('('));
	assert_false(wms_barcode_gs_alias_ok(0));
	assert_false(wms_barcode_gs_alias_ok(0xc3));
}

static void test_expiry_date_with_a_real_day_is_accepted(void **state)
{
	(void)state;
	assert_accepted("(17)261231");
	assert_accepted("(11)260101");
	assert_accepted("(15)260430");
}

static void test_dd_00_means_end_of_month_where_the_ai_allows_it(void **state)
{
	(void)state;
	assert_accepted("(17)250200");
	assert_accepted("(15)261200");
	assert_accepted("(4324)2612000830");
	/* 7006 (first freeze date) is a real day: DD=00 is not allowed. */
	assert_refused("(7006)250100", WMS_BCERR_BAD_DATE);
}

static void test_feb_29_exists_only_in_leap_years(void **state)
{
	(void)state;
	assert_accepted("(17)240229");
	assert_accepted("(17)000229"); /* 2000: divisible by 400 */
	assert_refused("(17)250229", WMS_BCERR_BAD_DATE);
	assert_refused("(17)260229", WMS_BCERR_BAD_DATE);
	assert_accepted("(7250)20000229");
	assert_refused("(7250)19000229", WMS_BCERR_BAD_DATE); /* 1900: divisible by 100 */
}

static void test_impossible_months_and_days_are_bad_dates(void **state)
{
	(void)state;
	assert_refused("(17)261301", WMS_BCERR_BAD_DATE);
	assert_refused("(17)260001", WMS_BCERR_BAD_DATE);
	assert_refused("(17)260431", WMS_BCERR_BAD_DATE);
	assert_refused("(17)260132", WMS_BCERR_BAD_DATE);
	assert_refused("(11)269999", WMS_BCERR_BAD_DATE);
}

static void test_times_are_checked_hour_and_minute(void **state)
{
	(void)state;
	assert_accepted("(7003)2612312359");
	assert_refused("(7003)2612312400", WMS_BCERR_BAD_DATE);
	assert_refused("(7003)2612311260", WMS_BCERR_BAD_DATE);
	assert_accepted("(8008)26123123");
	assert_accepted("(8008)2612312359");
	assert_accepted("(8008)261231235959");
	assert_refused("(8008)261231235960", WMS_BCERR_BAD_DATE);
	assert_refused("(8008)261231235", WMS_BCERR_BAD_LENGTH);
}

static void test_dates_of_the_wrong_length_or_with_letters_are_refused(void **state)
{
	(void)state;
	assert_refused("(17)2612", WMS_BCERR_BAD_LENGTH);
	assert_refused("(17)2612310", WMS_BCERR_BAD_LENGTH);
	assert_refused("(17)26123A", WMS_BCERR_BAD_CHARSET);
}

static void test_check_digits_are_verified_on_keys(void **state)
{
	(void)state;
	assert_accepted("(00)106141411234567897");
	assert_refused("(00)106141411234567898", WMS_BCERR_CHECK_DIGIT);
	assert_refused("(01)09506000134353", WMS_BCERR_CHECK_DIGIT);
	assert_refused("(02)09506000134353", WMS_BCERR_CHECK_DIGIT);
	assert_accepted("(414)9520123456788");
	assert_accepted("(410)0614141000012");
	for (int ai = 410; ai <= 417; ai++) {
		char text[32];
		snprintf(text, sizeof(text), "(%d)9520123456787", ai);
		assert_refused(text, WMS_BCERR_CHECK_DIGIT);
	}
	assert_refused("(8017)106141411234567898", WMS_BCERR_CHECK_DIGIT);
	assert_refused("(253)9520123456787ABC", WMS_BCERR_CHECK_DIGIT);
}

static void test_character_sets_are_enforced_per_ai(void **state)
{
	(void)state;
	assert_accepted("(10)AB-12/x.y_z%&");
	assert_refused("(10)AB#12", WMS_BCERR_BAD_CHARSET);
	assert_refused("(10)AB 12", WMS_BCERR_BAD_CHARSET);
	assert_refused("(30)12a", WMS_BCERR_BAD_CHARSET);
	assert_accepted("(8010)AB#12-/9");                   /* CSET 39 holds '#' */
	assert_refused("(8010)ab12", WMS_BCERR_BAD_CHARSET); /* but no lower case */
	assert_accepted("(8030)aZ09-_==");
	assert_refused("(8030)a+b", WMS_BCERR_BAD_CHARSET);
}

static void test_lengths_are_enforced_per_ai_and_component(void **state)
{
	(void)state;
	assert_refused("(01)0950600013435", WMS_BCERR_BAD_LENGTH);
	assert_refused("(10)ABCDEFGHIJKLMNOPQRSTU", WMS_BCERR_BAD_LENGTH);
	assert_accepted("(10)ABCDEFGHIJKLMNOPQRST");
	assert_refused("(10)", WMS_BCERR_BAD_LENGTH);
	assert_accepted("(253)9520123456788");
	assert_accepted("(253)9520123456788SERIAL-7");
	assert_accepted("(423)276");
	assert_accepted("(423)276528040");
	assert_refused("(423)2765", WMS_BCERR_BAD_LENGTH);
	assert_accepted("(8003)09520123456788");
	assert_accepted("(8003)09520123456788ASSET1");
	assert_accepted("(8043)106141411234567897");
	assert_accepted("(8043)10614141123456789712");
}

static void test_measure_ais_take_six_digits_and_a_decimal_indicator_up_to_5(void **state)
{
	(void)state;
	assert_accepted("(3103)001250");
	assert_accepted("(3300)000012");
	assert_accepted("(3695)123456");
	assert_refused("(3103)1250", WMS_BCERR_BAD_LENGTH);
	assert_refused("(3106)001250", WMS_BCERR_UNKNOWN_AI);
	assert_refused("(3696)001250", WMS_BCERR_UNKNOWN_AI);
	assert_accepted("(3922)1999");
	assert_accepted("(3932)9781999");
}

static void test_simple_checks_on_flags_pieces_and_signs(void **state)
{
	(void)state;
	assert_accepted("(4321)1");
	assert_refused("(4321)2", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(8006)095060001343520203");
	assert_refused("(8006)095060001343520302", WMS_BCERR_BAD_FORMAT);
	assert_refused("(8006)095060001343520003", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(4330)001234-");
	assert_accepted("(4330)001234");
	assert_refused("(4330)001234+", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(4300)ACME%20LTD");
	assert_refused("(4300)ACME%2", WMS_BCERR_BAD_FORMAT);
	assert_refused("(8011)0123", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(8011)0");
	assert_accepted("(7258)1/2");
	assert_refused("(7258)3/2", WMS_BCERR_BAD_FORMAT);
	assert_refused("(8003)19520123456788", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(8001)01230050007001");
	assert_refused("(8001)00000050007001", WMS_BCERR_BAD_FORMAT);
	assert_refused("(8001)01230050007051", WMS_BCERR_BAD_FORMAT);
	assert_accepted("(4309)03953768730266250500");
	assert_refused("(4309)19000000000266250500", WMS_BCERR_BAD_FORMAT);
}

static void test_unassigned_ais_are_unknown(void **state)
{
	(void)state;
	assert_refused("(14)123456", WMS_BCERR_UNKNOWN_AI);
	assert_refused("(04)123456", WMS_BCERR_UNKNOWN_AI);
	assert_refused("(7042)AB", WMS_BCERR_UNKNOWN_AI);
	assert_refused("(89)AB", WMS_BCERR_UNKNOWN_AI);
	assert_accepted("(99)anything-goes");
	assert_accepted("(7041)PX");
	assert_accepted("(717)052-20220012345");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows_are_sorted_and_ranges_are_well_formed),
		cmocka_unit_test(test_all_ais_sharing_two_first_digits_have_the_same_length),
		cmocka_unit_test(test_predefined_length_ais_have_a_fixed_length),
		cmocka_unit_test(test_components_fit_the_result_and_only_the_last_varies),
		cmocka_unit_test(test_digital_link_qualifiers_are_known_ais),
		cmocka_unit_test(test_lookup_finds_ranges_and_refuses_unassigned_ais),
		cmocka_unit_test(test_predefined_length_table_is_the_standard_prefix_list),
		cmocka_unit_test(test_character_sets_have_the_sizes_their_names_say),
		cmocka_unit_test(test_gs_alias_may_only_be_a_character_gs1_data_never_holds),
		cmocka_unit_test(test_expiry_date_with_a_real_day_is_accepted),
		cmocka_unit_test(test_dd_00_means_end_of_month_where_the_ai_allows_it),
		cmocka_unit_test(test_feb_29_exists_only_in_leap_years),
		cmocka_unit_test(test_impossible_months_and_days_are_bad_dates),
		cmocka_unit_test(test_times_are_checked_hour_and_minute),
		cmocka_unit_test(test_dates_of_the_wrong_length_or_with_letters_are_refused),
		cmocka_unit_test(test_check_digits_are_verified_on_keys),
		cmocka_unit_test(test_character_sets_are_enforced_per_ai),
		cmocka_unit_test(test_lengths_are_enforced_per_ai_and_component),
		cmocka_unit_test(test_measure_ais_take_six_digits_and_a_decimal_indicator_up_to_5),
		cmocka_unit_test(test_simple_checks_on_flags_pieces_and_signs),
		cmocka_unit_test(test_unassigned_ais_are_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
