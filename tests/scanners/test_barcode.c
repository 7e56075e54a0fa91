/*
 * test_barcode.c - wms_barcode_parse as the engine sees it: every input form (plain GTINs,
 * raw and bracketed element strings, with and without AIM identifiers, keyboard-wedge
 * whitespace, GS aliases), the separator rules, repeated AIs, round trips between the forms,
 * every error class with its position, and the accessors. Golden vectors are the GS1 General
 * Specifications' examples and real scanner output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wms/barcode.h"

#include <stdio.h>
#include <string.h>

#define GS "\x1d"

static void parse_ok_n(const char *text, size_t len, const struct wms_barcode_opts *opts,
                       struct wms_barcode *bc)
{
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int rc = wms_barcode_parse(text, len, opts, bc, &err);
	if (rc != 0)
		fail_msg("'%s' refused: %s: %s", text, wms_barcode_errname(rc), err.message);
}

static void parse_ok(const char *text, struct wms_barcode *bc)
{
	parse_ok_n(text, strlen(text), NULL, bc);
}

/* Parses TEXT, expects class CLS and returns the error for further checks. */
static struct wms_barcode_error refused_n(const char *text, size_t len,
                                          const struct wms_barcode_opts *opts, int cls)
{
	struct wms_barcode bc;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int rc = wms_barcode_parse(text, len, opts, &bc, &err);
	if (rc != -cls)
		fail_msg("'%s': expected %s, got %s: %s", text, wms_barcode_errname(cls),
		         rc ? wms_barcode_errname(rc) : "accepted", err.message);
	assert_int_equal(err.cls, cls);
	assert_true(err.message[0] != '\0');
	return err;
}

static struct wms_barcode_error refused(const char *text, int cls)
{
	return refused_n(text, strlen(text), NULL, cls);
}

static void assert_ai(const struct wms_barcode *bc, size_t i, const char *ai, const char *value)
{
	assert_true(i < bc->n_ais);
	assert_string_equal(bc->ais[i].ai, ai);
	assert_string_equal(bc->ais[i].value, value);
}

/* ---- plain numbers ---- */

static void test_ean_13_without_identifier_is_normalised_to_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("4006381333931", &bc);
	assert_int_equal(bc.kind, WMS_BC_GTIN);
	assert_string_equal(bc.gtin, "04006381333931");
	assert_string_equal(bc.symbology, "");
	assert_int_equal(bc.n_ais, 0);
}

static void test_upc_a_without_identifier_is_normalised_to_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("036000291452", &bc);
	assert_int_equal(bc.kind, WMS_BC_GTIN);
	assert_string_equal(bc.gtin, "00036000291452");
}

static void test_upc_a_under_E0_is_normalised_to_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	/* ]E0 sends UPC-A as 13 digits with a leading 0. */
	parse_ok("]E00036000291452", &bc);
	assert_int_equal(bc.kind, WMS_BC_GTIN);
	assert_string_equal(bc.symbology, "]E0");
	assert_string_equal(bc.gtin, "00036000291452");
	parse_ok("]E0036000291452", &bc);
	assert_string_equal(bc.gtin, "00036000291452");
}

static void test_ean_8_under_E4_and_without_identifier_is_normalised_to_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]E496385074", &bc);
	assert_string_equal(bc.symbology, "]E4");
	assert_string_equal(bc.gtin, "00000096385074");
	parse_ok("96385074", &bc);
	assert_string_equal(bc.gtin, "00000096385074");
}

static void test_itf_14_under_I1_is_a_gtin14(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]I110012345678902", &bc);
	assert_int_equal(bc.kind, WMS_BC_GTIN);
	assert_string_equal(bc.gtin, "10012345678902");
	parse_ok("10012345678902", &bc);
	assert_string_equal(bc.gtin, "10012345678902");
}

static void test_a_number_of_the_wrong_length_for_its_symbology_is_bad_length(void **state)
{
	(void)state;
	refused("]E096385074", WMS_BCERR_BAD_LENGTH);
	refused("]E44006381333931", WMS_BCERR_BAD_LENGTH);
	refused("40063813339", WMS_BCERR_BAD_LENGTH);
	refused("12345", WMS_BCERR_BAD_LENGTH);
	/* Plain Code 128 without FNC1 is not GS1 data, however GS1-like the digits look. */
	refused("]C00109506000134352", WMS_BCERR_BAD_LENGTH);
}

/* Regression: ]E3 fell through to "any GTIN length", so 12 digits under ]E3 (EAN-13 with an
 * add-on: 13 + 2 or 13 + 5 digits) were read as a UPC-A. Each ]E identifier's data must fit. */
static void test_data_that_does_not_fit_its_ean_upc_identifier_is_bad_length(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("]E3614141001033", WMS_BCERR_BAD_LENGTH);
	assert_non_null(strstr(err.message, "12 digits"));
	assert_non_null(strstr(err.message, "13 + 2 or 13 + 5"));
	refused("]E34006381333931", WMS_BCERR_BAD_LENGTH);         /* 13: no add-on */
	refused("]E3400638133393112345678", WMS_BCERR_BAD_LENGTH); /* 13 + 8 */
	refused("]E34006381333931123", WMS_BCERR_BAD_LENGTH);      /* 13 + 3 */
	refused("]E396385074", WMS_BCERR_BAD_LENGTH);              /* an EAN-8 */
	refused("]E34006381333932"
	        "12",
	        WMS_BCERR_CHECK_DIGIT);
	refused("]E3400638133393X"
	        "12",
	        WMS_BCERR_BAD_CHARSET);
	refused("]E1123", WMS_BCERR_BAD_LENGTH);
	refused("]E21234", WMS_BCERR_BAD_LENGTH);
	refused("]E1"
	        "4006381333931",
	        WMS_BCERR_BAD_LENGTH);
	refused("]E04006381333931"
	        "12",
	        WMS_BCERR_BAD_LENGTH); /* an add-on belongs under ]E3 */
	refused("]E4963850741", WMS_BCERR_BAD_LENGTH);
	/* an add-on alone names no item, and ]E5 is no EAN/UPC identifier */
	refused("]E112", WMS_BCERR_BAD_FORMAT);
	refused("]E212345", WMS_BCERR_BAD_FORMAT);
	refused("]E54006381333931", WMS_BCERR_BAD_FORMAT);
}

/* What real scanners send under ]E: EAN-13 with its add-on under ]E3, the add-on as a packet
 * of its own after ]E0 or ]E4; the add-on (a price, an issue) is not part of the GTIN. */
static void test_an_ean_13_with_its_add_on_is_read_as_the_ean_13(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]E3400638133393112", &bc);
	assert_int_equal(bc.kind, WMS_BC_GTIN);
	assert_string_equal(bc.symbology, "]E3");
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("]E3400638133393112345\r\n", &bc);
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("]E30036000291452"
	         "12",
	         &bc); /* UPC-A as 13 digits, with a 2-digit add-on */
	assert_string_equal(bc.gtin, "00036000291452");
	parse_ok("]E04006381333931]E112", &bc);
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("]E04006381333931]E212345", &bc);
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("]E496385074]E212345", &bc);
	assert_string_equal(bc.gtin, "00000096385074");
	refused("]E04006381333931]E1123", WMS_BCERR_BAD_CHARSET);
}

static void test_gtin_with_wrong_check_digit_names_the_expected_digit(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("4006381333932", WMS_BCERR_CHECK_DIGIT);
	assert_int_equal(err.position, 13);
	assert_non_null(strstr(err.message, "check digit is 2, expected 1"));
	refused("]E00036000291453", WMS_BCERR_CHECK_DIGIT);
	refused("]E496385075", WMS_BCERR_CHECK_DIGIT);
}

static void test_letters_in_a_number_symbology_are_bad_charset(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("]E0400638133393X", WMS_BCERR_BAD_CHARSET);
	assert_int_equal(err.position, 16);
}

/* ---- whitespace, identifiers ---- */

static void test_keyboard_wedge_whitespace_is_trimmed(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok(" \t4006381333931\r\n", &bc);
	assert_string_equal(bc.gtin, "04006381333931");
	parse_ok("]C1010950600013435210ABC\r", &bc);
	assert_ai(&bc, 1, "10", "ABC");
}

static void test_an_empty_scan_is_empty(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("", WMS_BCERR_EMPTY);
	assert_int_equal(err.position, 0);
	refused(" \r\n\t", WMS_BCERR_EMPTY);
	refused("]C1", WMS_BCERR_EMPTY);
	refused("]C1\r\n", WMS_BCERR_EMPTY);
	refused("]C1" GS, WMS_BCERR_EMPTY);
	refused_n(NULL, 0, NULL, WMS_BCERR_EMPTY);
}

static void test_a_malformed_aim_identifier_is_bad_format(void **state)
{
	(void)state;
	refused("]", WMS_BCERR_BAD_FORMAT);
	refused("]C", WMS_BCERR_BAD_FORMAT);
	refused("]C#0109506000134352", WMS_BCERR_BAD_FORMAT);
}

static void test_every_gs1_identifier_announces_an_element_string(void **state)
{
	static const char *ids[] = { "]C1", "]d2", "]Q3", "]e0", "]J1" };
	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct wms_barcode bc;
		char text[64];
		snprintf(text, sizeof(text),
		         "%s0109506000134352"
		         "17261231"
		         "10LOT1",
		         ids[i]);
		parse_ok(text, &bc);
		assert_int_equal(bc.kind, WMS_BC_ELEMENT_STRING);
		assert_string_equal(bc.symbology, ids[i]);
		assert_string_equal(bc.gtin, "09506000134352");
		assert_int_equal(bc.n_ais, 3);
	}
}

static void test_a_gs1_identifier_with_no_element_string_is_refused(void **state)
{
	(void)state;
	refused("]C1LOC-A01", WMS_BCERR_BAD_FORMAT);
	refused("]d2https://id.gs1.org/01/09506000134352", WMS_BCERR_BAD_FORMAT);
}

static void test_unrecognised_plain_text_is_bad_format(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("HELLO WORLD", WMS_BCERR_BAD_FORMAT);
	assert_int_equal(err.position, 1);
	refused("]A0HELLO", WMS_BCERR_BAD_FORMAT);
	refused("]Q1hello", WMS_BCERR_BAD_FORMAT);
}

/* ---- element strings: golden vectors ---- */

static void test_gs1_example_gtin_expiry_lot_parses_in_bracketed_form(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("(01)09506000134352(17)201225(10)ABC123", &bc);
	assert_int_equal(bc.kind, WMS_BC_ELEMENT_STRING);
	assert_string_equal(bc.gtin, "09506000134352");
	assert_int_equal(bc.n_ais, 3);
	assert_ai(&bc, 0, "01", "09506000134352");
	assert_ai(&bc, 1, "17", "201225");
	assert_ai(&bc, 2, "10", "ABC123");
}

static void test_gs1_example_gtin_expiry_lot_parses_in_raw_form(void **state)
{
	struct wms_barcode bc;
	(void)state;
	/* 01 and 17 have predefined lengths: no separator needed before 10. */
	parse_ok("]C1010950600013435217201225"
	         "10ABC123",
	         &bc);
	assert_string_equal(bc.symbology, "]C1");
	assert_int_equal(bc.n_ais, 3);
	assert_ai(&bc, 1, "17", "201225");
	assert_ai(&bc, 2, "10", "ABC123");
}

static void test_sscc_example_parses_and_is_returned_by_the_accessor(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("(00)106141411234567897", &bc);
	assert_string_equal(wms_barcode_sscc(&bc), "106141411234567897");
	assert_string_equal(bc.gtin, "");
	parse_ok("]C100106141411234567897", &bc);
	assert_string_equal(wms_barcode_sscc(&bc), "106141411234567897");
}

static void test_logistic_label_with_sscc_content_count_and_weight_parses(void **state)
{
	struct wms_barcode bc;
	struct wms_measure m;
	unsigned long count;
	(void)state;
	parse_ok("]C100106141411234567897"
	         "0209506000134352"
	         "3710" GS "3302001250"
	         "17261200",
	         &bc);
	assert_int_equal(bc.n_ais, 5);
	assert_string_equal(bc.gtin, ""); /* (02) is the content, not the item */
	assert_true(wms_barcode_count(&bc, &count));
	assert_int_equal(count, 10);
	assert_true(wms_barcode_measure(&bc, "330", &m));
	assert_string_equal(m.ai, "3302");
	assert_int_equal(m.value, 1250);
	assert_int_equal(m.decimals, 2);
	assert_false(wms_barcode_measure(&bc, "310", &m));
}

static void test_scanner_without_identifier_sends_gs_for_fnc1(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("0109506000134352"
	         "10LOT1" GS "21SER9",
	         &bc);
	assert_int_equal(bc.kind, WMS_BC_ELEMENT_STRING);
	assert_ai(&bc, 1, "10", "LOT1");
	assert_ai(&bc, 2, "21", "SER9");
	/* Some send the leading FNC1 too. */
	parse_ok(GS "0109506000134352"
	            "10LOT1",
	         &bc);
	assert_ai(&bc, 1, "10", "LOT1");
}

static void test_separators_after_predefined_fields_and_at_the_end_are_tolerated(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("]C10109506000134352" GS "17261231" GS "10ABC" GS, &bc);
	assert_int_equal(bc.n_ais, 3);
	assert_ai(&bc, 2, "10", "ABC");
}

/* ---- separators ---- */

static void test_a_variable_field_legally_absorbs_what_follows_it(void **state)
{
	struct wms_barcode bc;
	(void)state;
	/* No GS after the lot: "17261231" is part of the lot, not an expiry. */
	parse_ok("0109506000134352"
	         "10ABC17261231",
	         &bc);
	assert_int_equal(bc.n_ais, 2);
	assert_ai(&bc, 1, "10", "ABC17261231");
	assert_null(wms_barcode_ai(&bc, "17"));
}

static void test_a_variable_field_past_its_maximum_is_a_missing_separator(void **state)
{
	struct wms_barcode_error err;
	const char *text = "]C10109506000134352"
	                   "10ABCDEFGHIJ"
	                   "21SERIAL0000012345";
	(void)state;
	err = refused(text, WMS_BCERR_MISSING_SEPARATOR);
	assert_string_equal(err.ai, "10");
	/* The lot starts at byte 22 (1-based); the 21st character is where it overflows. */
	assert_int_equal(err.position, 22 + 20);
	assert_non_null(strstr(err.message, "at most 20"));
}

static void
test_a_fixed_field_that_needs_a_separator_and_lacks_it_is_missing_separator(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	/* 8005 is 6 digits but not of predefined length: a GS must follow it. */
	err = refused("]C10109506000134352"
	              "8005123456"
	              "10ABC",
	              WMS_BCERR_MISSING_SEPARATOR);
	assert_string_equal(err.ai, "8005");
	struct wms_barcode bc;
	parse_ok("]C10109506000134352"
	         "8005123456" GS "10ABC",
	         &bc);
	assert_ai(&bc, 1, "8005", "123456");
}

static void test_a_separator_inside_a_predefined_field_is_bad_length(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("]C1010950600" GS "0134352", WMS_BCERR_BAD_LENGTH);
	assert_string_equal(err.ai, "01");
	refused("]C10109506000134352"
	        "1726",
	        WMS_BCERR_BAD_LENGTH);
}

static void test_two_separators_in_a_row_are_bad_format(void **state)
{
	(void)state;
	refused("]C10109506000134352"
	        "10ABC" GS GS "21X",
	        WMS_BCERR_BAD_FORMAT);
}

static void test_raw_form_names_unknown_and_truncated_ais(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("]C10109506000134352"
	              "14123456",
	              WMS_BCERR_UNKNOWN_AI);
	assert_int_equal(err.position, 20);
	err = refused("]C10109506000134352"
	              "7042AB",
	              WMS_BCERR_UNKNOWN_AI);
	assert_string_equal(err.ai, "7042");
	refused("]C10109506000134352"
	        "7",
	        WMS_BCERR_BAD_FORMAT);
	refused("]C10109506000134352"
	        "70",
	        WMS_BCERR_UNKNOWN_AI);
	refused("]C10109506000134352"
	        "1X",
	        WMS_BCERR_BAD_FORMAT);
}

/* ---- bracketed form ---- */

static void test_bracketed_form_escapes_a_literal_parenthesis(void **state)
{
	struct wms_barcode bc;
	char out[64];
	(void)state;
	parse_ok("(10)AB\\(C)(17)261231", &bc);
	assert_ai(&bc, 0, "10", "AB(C)");
	assert_ai(&bc, 1, "17", "261231");
	assert_int_equal(
	    wms_barcode_to_element_string(&bc, WMS_ES_BRACKETED, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "(10)AB\\(C)(17)261231");
}

static void test_bracketed_form_with_broken_brackets_is_bad_format(void **state)
{
	(void)state;
	refused("(01", WMS_BCERR_BAD_FORMAT);
	refused("(1)2", WMS_BCERR_BAD_FORMAT);
	refused("(01A)09506000134352", WMS_BCERR_BAD_FORMAT);
	refused("(12345)X", WMS_BCERR_BAD_FORMAT);
}

static void test_text_without_an_opening_parenthesis_is_read_as_the_raw_form(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	/* AI 01, then a ')' where a digit belongs. */
	err = refused("01)09506000134352", WMS_BCERR_BAD_CHARSET);
	assert_string_equal(err.ai, "01");
	assert_int_equal(err.position, 3);
}

static void test_a_closing_parenthesis_inside_a_bracketed_value_is_data(void **state)
{
	struct wms_barcode bc;
	(void)state;
	/* ')' is in CSET 82; only '(' opens the next AI. */
	parse_ok("(10)ABC)(21)X", &bc);
	assert_ai(&bc, 0, "10", "ABC)");
}

/* ---- repeated AIs ---- */

static void test_an_ai_repeated_with_the_same_value_is_kept_once(void **state)
{
	struct wms_barcode bc;
	(void)state;
	parse_ok("(01)09506000134352(10)A1(01)09506000134352(10)A1", &bc);
	assert_int_equal(bc.n_ais, 2);
	parse_ok("]C110A1" GS "10A1", &bc);
	assert_int_equal(bc.n_ais, 1);
}

static void test_an_ai_repeated_with_a_different_value_is_refused(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("(10)A1(21)S(10)A2", WMS_BCERR_BAD_FORMAT);
	assert_string_equal(err.ai, "10");
	assert_non_null(strstr(err.message, "'A1'"));
	assert_non_null(strstr(err.message, "'A2'"));
	refused("]C10109506000134352"
	        "0109506000134369",
	        WMS_BCERR_BAD_FORMAT);
}

/* ---- round trips ---- */

static void assert_same_ais(const struct wms_barcode *a, const struct wms_barcode *b)
{
	assert_int_equal(a->n_ais, b->n_ais);
	for (size_t i = 0; i < a->n_ais; i++)
		assert_ai(b, i, a->ais[i].ai, a->ais[i].value);
	assert_string_equal(a->gtin, b->gtin);
}

static void test_bracketed_to_raw_with_gs_and_back_gives_the_same_result(void **state)
{
	static const char *cases[] = {
		"(01)09506000134352(17)201225(10)ABC123",
		"(01)09506000134352(10)ABC123(17)201225",
		"(00)106141411234567897(02)09506000134352(37)10(3302)001250",
		"(01)09506000134352(21)12345(8005)123456(3103)000500(10)L(90)X",
		"(414)9520123456788(254)EXT(7040)1A2B",
		"(8006)095060001343520203(22)2A(10)ABC(21)S1",
		"(8030)aZ09-_==",
		"(10)AB\\(C)(91)x(92)y",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wms_barcode a, b, c;
		char raw[512], text[520], br[512];
		size_t n;
		parse_ok(cases[i], &a);
		assert_int_equal(
		    wms_barcode_to_element_string(&a, WMS_ES_RAW, raw, sizeof(raw), &n), 0);
		assert_int_equal(strlen(raw), n);
		snprintf(text, sizeof(text), "]C1%s", raw);
		parse_ok(text, &b);
		assert_same_ais(&a, &b);
		assert_int_equal(
		    wms_barcode_to_element_string(&b, WMS_ES_BRACKETED, br, sizeof(br), NULL), 0);
		assert_string_equal(br, cases[i]);
		parse_ok(br, &c);
		assert_same_ais(&a, &c);
	}
}

static void test_raw_form_puts_gs_only_after_fields_that_need_it(void **state)
{
	struct wms_barcode bc;
	char raw[128];
	(void)state;
	parse_ok("(01)09506000134352(10)ABC(17)261231(21)S1", &bc);
	assert_int_equal(wms_barcode_to_element_string(&bc, WMS_ES_RAW, raw, sizeof(raw), NULL), 0);
	assert_string_equal(raw, "0109506000134352"
	                         "10ABC" GS "17261231"
	                         "21S1");
}

static void test_writing_an_element_string_refuses_small_buffers_and_labels(void **state)
{
	struct wms_barcode bc;
	char buf[16];
	(void)state;
	parse_ok("(01)09506000134352(10)ABC", &bc);
	assert_int_equal(
	    wms_barcode_to_element_string(&bc, WMS_ES_BRACKETED, buf, sizeof(buf), NULL),
	    -WMS_BCERR_BAD_LENGTH);
	assert_string_equal(buf, "");
	parse_ok("4006381333931", &bc);
	assert_int_equal(wms_barcode_to_element_string(&bc, WMS_ES_BRACKETED, buf, 0, NULL),
	                 -WMS_BCERR_BAD_LENGTH);
	char big[32];
	assert_int_equal(
	    wms_barcode_to_element_string(&bc, WMS_ES_BRACKETED, big, sizeof(big), NULL), 0);
	assert_string_equal(big, "(01)04006381333931");
	parse_ok("TOTE-1", &bc);
	assert_int_equal(wms_barcode_to_element_string(&bc, WMS_ES_RAW, big, sizeof(big), NULL),
	                 -WMS_BCERR_BAD_FORMAT);
}

/* ---- GS alias ---- */

static void test_gs_alias_stands_for_the_group_separator(void **state)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode bc;
	const char *text = "]C10109506000134352"
	                   "10LOT1|17261231|21S";
	(void)state;
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "|^", NULL), 0);
	parse_ok_n(text, strlen(text), &opts, &bc);
	assert_int_equal(bc.n_ais, 4);
	assert_ai(&bc, 1, "10", "LOT1");
	assert_ai(&bc, 3, "21", "S");
	/* Without the alias the '|' is data, and not CSET 82. */
	refused(text, WMS_BCERR_BAD_CHARSET);
	/* Without an identifier, an alias first is the leading FNC1. */
	const char *bare = "^0109506000134352"
	                   "10LOT1^21S";
	parse_ok_n(bare, strlen(bare), &opts, &bc);
	assert_int_equal(bc.n_ais, 3);
}

static void test_gs_alias_inside_cset_82_or_cset_39_is_refused(void **state)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	(void)state;
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "~", NULL), 0);
	assert_string_equal(opts.gs_alias, "~");
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "#", &err), -WMS_BCERR_BAD_CHARSET);
	assert_non_null(strstr(err.message, "'#'"));
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "%", NULL), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "(", NULL), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "a", NULL), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "|||||||||", NULL),
	                 -WMS_BCERR_BAD_LENGTH);
	assert_string_equal(opts.gs_alias, "~"); /* unchanged by the refusals */
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "", NULL), 0);
	assert_string_equal(opts.gs_alias, "");
}

/* Regression: the alias message advised "a control character" and FS is a common choice; TAB,
 * CR and LF were accepted though a keyboard wedge ends or splits a scan at them. */
static void test_gs_alias_may_be_fs_or_rs_but_not_tab_cr_or_lf(void **state)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	struct wms_barcode bc;
	const char *text = "]C10109506000134352"
	                   "10LOT1\x1c"
	                   "17261231";
	(void)state;
	assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, "\x1c\x1e", NULL), 0);
	parse_ok_n(text, strlen(text), &opts, &bc);
	assert_int_equal(bc.n_ais, 3);
	assert_ai(&bc, 1, "10", "LOT1");
	assert_ai(&bc, 2, "17", "261231");
	static const char *const bad[] = { "\t", "\n", "\r", "~\r" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = (struct wms_barcode_error)WMS_BARCODE_ERROR_INIT;
		assert_int_equal(wms_barcode_opts_set_gs_alias(&opts, bad[i], &err),
		                 -WMS_BCERR_BAD_CHARSET);
		assert_non_null(strstr(err.message, "keyboard-wedge"));
	}
	assert_string_equal(opts.gs_alias, "\x1c\x1e"); /* unchanged by the refusals */
}

static void test_options_with_a_bad_alias_set_by_hand_are_refused_at_parse(void **state)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	(void)state;
	opts.gs_alias[0] = 'A';
	refused_n("4006381333931", 13, &opts, WMS_BCERR_BAD_CHARSET);
}

/* ---- bounds, bytes, positions ---- */

static void test_more_than_32_element_strings_is_bad_length(void **state)
{
	static const char *ais[] = { "90",   "91",   "92",   "93",   "94",   "95",   "96",
		                     "97",   "98",   "99",   "240",  "241",  "243",  "250",
		                     "251",  "400",  "403",  "420",  "7002", "7005", "7008",
		                     "7009", "7010", "7020", "7021", "7022", "7023", "7240",
		                     "8002", "8009", "8012", "10",   "21" };
	char text[1024];
	size_t o = 0;
	struct wms_barcode bc;
	(void)state;
	for (size_t i = 0; i < 32; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "(%s)A", ais[i]);
	parse_ok(text, &bc);
	assert_int_equal(bc.n_ais, WMS_BARCODE_MAX_AIS);
	snprintf(text + o, sizeof(text) - o, "(%s)A", ais[32]);
	refused(text, WMS_BCERR_BAD_LENGTH);
}

static void test_a_scan_longer_than_the_limit_is_bad_length(void **state)
{
	static char text[WMS_BARCODE_MAX_INPUT + 2];
	(void)state;
	memset(text, '1', sizeof(text) - 1);
	refused_n(text, WMS_BARCODE_MAX_INPUT + 1, NULL, WMS_BCERR_BAD_LENGTH);
}

static void test_nul_and_control_bytes_are_bad_charset_and_shown_escaped(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused_n("(10)A\0B", 7, NULL, WMS_BCERR_BAD_CHARSET);
	assert_int_equal(err.position, 6);
	assert_non_null(strstr(err.message, "\\x00"));
	err = refused("(10)A\x01"
	              "B",
	              WMS_BCERR_BAD_CHARSET);
	assert_non_null(strstr(err.message, "\\x01"));
	refused("(10)\xc3\xa9", WMS_BCERR_BAD_CHARSET);
}

static void test_positions_count_from_the_text_as_given_before_trimming(void **state)
{
	struct wms_barcode_error err;
	(void)state;
	err = refused("  4006381333932", WMS_BCERR_CHECK_DIGIT);
	assert_int_equal(err.position, 15);
	err = refused("\t(01)09506000134352(17)261331", WMS_BCERR_BAD_DATE);
	assert_string_equal(err.ai, "17");
	assert_int_equal(err.position, 26); /* the month */
}

static void test_a_refused_scan_leaves_the_result_untouched(void **state)
{
	struct wms_barcode bc;
	(void)state;
	memset(&bc, 0x5a, sizeof(bc));
	assert_int_equal(wms_barcode_parse("(01)09506000134353", 18, NULL, &bc, NULL),
	                 -WMS_BCERR_CHECK_DIGIT);
	for (size_t i = 0; i < sizeof(bc); i++)
		assert_int_equal(((unsigned char *)&bc)[i], 0x5a);
}

/* ---- accessors, dates, names ---- */

static void test_accessors_return_lot_serial_and_expiry(void **state)
{
	struct wms_barcode bc;
	struct wms_date d;
	(void)state;
	parse_ok("(01)09506000134352(17)261200(10)LOT-7(21)SN42", &bc);
	assert_string_equal(wms_barcode_lot(&bc), "LOT-7");
	assert_string_equal(wms_barcode_serial(&bc), "SN42");
	assert_null(wms_barcode_sscc(&bc));
	assert_string_equal(wms_barcode_ai(&bc, "17"), "261200");
	assert_null(wms_barcode_ai(&bc, "15"));
	assert_true(wms_barcode_expiry(&bc, 2025, &d));
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.month, 12);
	assert_int_equal(d.day, 31); /* DD=00: the end of the month */
	parse_ok("4006381333931", &bc);
	assert_false(wms_barcode_expiry(&bc, 2025, &d));
	assert_null(wms_barcode_lot(&bc));
}

static void test_count_prefers_ai_37_and_falls_back_to_ai_30(void **state)
{
	struct wms_barcode bc;
	unsigned long n = 0;
	(void)state;
	parse_ok("(01)09506000134352(30)12", &bc);
	assert_true(wms_barcode_count(&bc, &n));
	assert_int_equal(n, 12);
	parse_ok("(00)106141411234567897(02)09506000134352(37)99999999", &bc);
	assert_true(wms_barcode_count(&bc, &n));
	assert_int_equal(n, 99999999);
	parse_ok("(01)09506000134352", &bc);
	assert_false(wms_barcode_count(&bc, &n));
}

static void test_gs1_dates_take_the_century_from_the_sliding_window(void **state)
{
	struct wms_date d;
	(void)state;
	assert_int_equal(wms_gs1_date("991231", 2026, &d), 0);
	assert_int_equal(d.year, 1999);
	assert_int_equal(wms_gs1_date("761231", 2026, &d), 0); /* 50 ahead: this century */
	assert_int_equal(d.year, 2076);
	assert_int_equal(wms_gs1_date("771231", 2026, &d), 0); /* 51 ahead: last century */
	assert_int_equal(d.year, 1977);
	assert_int_equal(wms_gs1_date("100101", 2090, &d), 0); /* 80 back: next century */
	assert_int_equal(d.year, 2110);
	assert_int_equal(wms_gs1_date("400101", 2090, &d), 0); /* 50 back: next century */
	assert_int_equal(d.year, 2140);
	assert_int_equal(wms_gs1_date("410101", 2090, &d), 0); /* 49 back: this century */
	assert_int_equal(d.year, 2041);
	assert_int_equal(wms_gs1_date("260215", 0, &d), 0);
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.day, 15);
}

static void test_gs1_dates_resolve_end_of_month_and_refuse_impossible_days(void **state)
{
	struct wms_date d;
	(void)state;
	assert_int_equal(wms_gs1_date("240200", 2026, &d), 0);
	assert_int_equal(d.day, 29);
	assert_int_equal(wms_gs1_date("250200", 2026, &d), 0);
	assert_int_equal(d.day, 28);
	assert_int_equal(wms_gs1_date("000200", 2026, &d), 0);
	assert_int_equal(d.day, 29); /* 2000 was a leap year */
	assert_int_equal(wms_gs1_date("000229", 2060, &d), -WMS_BCERR_BAD_DATE); /* 2100 is not */
	assert_int_equal(wms_gs1_date("251301", 2026, &d), -WMS_BCERR_BAD_DATE);
	assert_int_equal(wms_gs1_date("25010", 2026, &d), -WMS_BCERR_BAD_CHARSET);
	assert_int_equal(wms_gs1_date("2501A1", 2026, &d), -WMS_BCERR_BAD_CHARSET);
}

static void test_every_error_class_has_a_stable_name_both_ways(void **state)
{
	static const char *names[] = { "",           "empty",    "check_digit", "unknown_ai",
		                       "bad_length", "bad_date", "bad_charset", "missing_separator",
		                       "bad_format" };
	(void)state;
	for (int cls = 1; cls <= 8; cls++) {
		assert_string_equal(wms_barcode_errname(cls), names[cls]);
		assert_string_equal(wms_barcode_errname(-cls), names[cls]);
		assert_int_equal(wms_barcode_errclass(names[cls]), cls);
	}
	assert_string_equal(wms_barcode_errname(0), "");
	assert_string_equal(wms_barcode_errname(9), "");
	assert_int_equal(wms_barcode_errclass("nope"), 0);
	assert_int_equal(wms_barcode_errclass(NULL), 0);
}

static void test_kinds_have_stable_values_and_names(void **state)
{
	(void)state;
	assert_int_equal(WMS_BC_GTIN, 1);
	assert_int_equal(WMS_BC_ELEMENT_STRING, 2);
	assert_int_equal(WMS_BC_DIGITAL_LINK, 3);
	assert_int_equal(WMS_BC_INTERNAL, 4);
	assert_string_equal(wms_barcode_kind_name(WMS_BC_GTIN), "gtin");
	assert_string_equal(wms_barcode_kind_name(WMS_BC_ELEMENT_STRING), "element_string");
	assert_string_equal(wms_barcode_kind_name(WMS_BC_DIGITAL_LINK), "digital_link");
	assert_string_equal(wms_barcode_kind_name(WMS_BC_INTERNAL), "internal");
	assert_string_equal(wms_barcode_kind_name(WMS_BC_NONE), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ean_13_without_identifier_is_normalised_to_gtin14),
		cmocka_unit_test(test_upc_a_without_identifier_is_normalised_to_gtin14),
		cmocka_unit_test(test_upc_a_under_E0_is_normalised_to_gtin14),
		cmocka_unit_test(
		    test_ean_8_under_E4_and_without_identifier_is_normalised_to_gtin14),
		cmocka_unit_test(test_itf_14_under_I1_is_a_gtin14),
		cmocka_unit_test(test_a_number_of_the_wrong_length_for_its_symbology_is_bad_length),
		cmocka_unit_test(test_data_that_does_not_fit_its_ean_upc_identifier_is_bad_length),
		cmocka_unit_test(test_an_ean_13_with_its_add_on_is_read_as_the_ean_13),
		cmocka_unit_test(test_gtin_with_wrong_check_digit_names_the_expected_digit),
		cmocka_unit_test(test_letters_in_a_number_symbology_are_bad_charset),
		cmocka_unit_test(test_keyboard_wedge_whitespace_is_trimmed),
		cmocka_unit_test(test_an_empty_scan_is_empty),
		cmocka_unit_test(test_a_malformed_aim_identifier_is_bad_format),
		cmocka_unit_test(test_every_gs1_identifier_announces_an_element_string),
		cmocka_unit_test(test_a_gs1_identifier_with_no_element_string_is_refused),
		cmocka_unit_test(test_unrecognised_plain_text_is_bad_format),
		cmocka_unit_test(test_gs1_example_gtin_expiry_lot_parses_in_bracketed_form),
		cmocka_unit_test(test_gs1_example_gtin_expiry_lot_parses_in_raw_form),
		cmocka_unit_test(test_sscc_example_parses_and_is_returned_by_the_accessor),
		cmocka_unit_test(test_logistic_label_with_sscc_content_count_and_weight_parses),
		cmocka_unit_test(test_scanner_without_identifier_sends_gs_for_fnc1),
		cmocka_unit_test(
		    test_separators_after_predefined_fields_and_at_the_end_are_tolerated),
		cmocka_unit_test(test_a_variable_field_legally_absorbs_what_follows_it),
		cmocka_unit_test(test_a_variable_field_past_its_maximum_is_a_missing_separator),
		cmocka_unit_test(
		    test_a_fixed_field_that_needs_a_separator_and_lacks_it_is_missing_separator),
		cmocka_unit_test(test_a_separator_inside_a_predefined_field_is_bad_length),
		cmocka_unit_test(test_two_separators_in_a_row_are_bad_format),
		cmocka_unit_test(test_raw_form_names_unknown_and_truncated_ais),
		cmocka_unit_test(test_bracketed_form_escapes_a_literal_parenthesis),
		cmocka_unit_test(test_bracketed_form_with_broken_brackets_is_bad_format),
		cmocka_unit_test(test_text_without_an_opening_parenthesis_is_read_as_the_raw_form),
		cmocka_unit_test(test_a_closing_parenthesis_inside_a_bracketed_value_is_data),
		cmocka_unit_test(test_an_ai_repeated_with_the_same_value_is_kept_once),
		cmocka_unit_test(test_an_ai_repeated_with_a_different_value_is_refused),
		cmocka_unit_test(test_bracketed_to_raw_with_gs_and_back_gives_the_same_result),
		cmocka_unit_test(test_raw_form_puts_gs_only_after_fields_that_need_it),
		cmocka_unit_test(test_writing_an_element_string_refuses_small_buffers_and_labels),
		cmocka_unit_test(test_gs_alias_stands_for_the_group_separator),
		cmocka_unit_test(test_gs_alias_inside_cset_82_or_cset_39_is_refused),
		cmocka_unit_test(test_gs_alias_may_be_fs_or_rs_but_not_tab_cr_or_lf),
		cmocka_unit_test(test_options_with_a_bad_alias_set_by_hand_are_refused_at_parse),
		cmocka_unit_test(test_more_than_32_element_strings_is_bad_length),
		cmocka_unit_test(test_a_scan_longer_than_the_limit_is_bad_length),
		cmocka_unit_test(test_nul_and_control_bytes_are_bad_charset_and_shown_escaped),
		cmocka_unit_test(test_positions_count_from_the_text_as_given_before_trimming),
		cmocka_unit_test(test_a_refused_scan_leaves_the_result_untouched),
		cmocka_unit_test(test_accessors_return_lot_serial_and_expiry),
		cmocka_unit_test(test_count_prefers_ai_37_and_falls_back_to_ai_30),
		cmocka_unit_test(test_gs1_dates_take_the_century_from_the_sliding_window),
		cmocka_unit_test(test_gs1_dates_resolve_end_of_month_and_refuse_impossible_days),
		cmocka_unit_test(test_every_error_class_has_a_stable_name_both_ways),
		cmocka_unit_test(test_kinds_have_stable_values_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
