/*
 * test_layout.c - layout parameters, location codes and the walking metric.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "layout.h"

#define EPS 1e-12

static struct layout classic(void)
{
	struct layout_params p = LAYOUT_PARAMS_INIT;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	return l;
}

static struct layout_point pt(int aisle, int block, int position)
{
	struct layout_point p = { aisle, block, position };
	return p;
}

/* Field by field: the struct has padding. */
static void assert_loc_equal(const struct layout_loc *a, const struct layout_loc *b)
{
	assert_memory_equal(&a->point, &b->point, sizeof(a->point));
	assert_int_equal(a->aisle, b->aisle);
	assert_int_equal(a->block, b->block);
	assert_int_equal(a->bay, b->bay);
	assert_int_equal(a->side, b->side);
	assert_int_equal(a->position, b->position);
	assert_int_equal(a->level, b->level);
	assert_true(a->x == b->x && a->y == b->y);
}

static void test_default_params_are_the_classic_literature_layout(void **st)
{
	(void)st;
	struct layout l = classic();
	assert_int_equal(l.p.aisles, 10);
	assert_int_equal(l.p.slots_per_side, 45);
	assert_true(fabs(l.block_len - 47) < EPS);
	assert_int_equal(l.depot_on, 1);
	size_t n;
	assert_int_equal(layout_location_count(&l, &n), 0);
	assert_int_equal(n, 10 * 90);
}

static void test_each_bad_parameter_is_named_with_its_value(void **st)
{
	(void)st;
	static const struct {
		const char *field;
		int code;
		const char *value;
	} cases[] = {
		{ "layout.aisles", WMS_ERANGE, "201" },
		{ "layout.blocks", WMS_ERANGE, "0" },
		{ "layout.slots_per_side", WMS_ERANGE, "501" },
		{ "layout.levels", WMS_ERANGE, "21" },
		{ "layout.slot_length", WMS_ERANGE, "0" },
		{ "layout.aisle_spacing", WMS_EVALUE, "nan" },
		{ "layout.end_gap", WMS_ERANGE, "-1" },
		{ "layout.depot_aisle", WMS_ERANGE, "11" },
		{ "layout.depot_offset", WMS_EVALUE, "inf" },
		{ "layout.depot_shift", WMS_ERANGE, "5000" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct layout_params p = LAYOUT_PARAMS_INIT;
		switch (i) {
		case 0:
			p.aisles = 201;
			break;
		case 1:
			p.blocks = 0;
			break;
		case 2:
			p.slots_per_side = 501;
			break;
		case 3:
			p.levels = 21;
			break;
		case 4:
			p.slot_length = 0;
			break;
		case 5:
			p.aisle_spacing = NAN;
			break;
		case 6:
			p.end_gap = -1;
			break;
		case 7:
			p.depot_aisle = 11;
			break;
		case 8:
			p.depot_offset = INFINITY;
			break;
		default:
			p.depot_shift = 5000;
			break;
		}
		struct wms_error err = WMS_ERROR_INIT;
		struct layout l;
		memset(&l, 0x5a, sizeof(l));
		struct layout before = l;
		assert_int_equal(layout_init(&l, &p, &err), cases[i].code);
		assert_int_equal(err.code, cases[i].code);
		assert_string_equal(err.field, cases[i].field);
		assert_non_null(strstr(err.message, cases[i].field));
		assert_non_null(strstr(err.message, cases[i].value));
		assert_memory_equal(&l, &before, sizeof(l)); /* untouched on error */
	}
	assert_int_equal(layout_validate(NULL, NULL), WMS_EVALUE);
}

static void test_location_codes_parse_to_canonical_form_and_coordinates(void **st)
{
	(void)st;
	struct layout l = classic();
	struct layout_loc loc;
	char canon[LAYOUT_CODE_MAX];
	assert_int_equal(layout_parse_location(&l, "A01-17-2", &loc, canon, NULL), WMS_ELOCATION);
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.levels = 4;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	assert_int_equal(layout_parse_location(&l, "A01-17-2", &loc, canon, NULL), 0);
	assert_string_equal(canon, "A01-17-2");
	assert_int_equal(loc.aisle, 1);
	assert_int_equal(loc.block, 0);
	assert_int_equal(loc.bay, 17);
	assert_int_equal(loc.side, LAYOUT_SIDE_LEFT);
	assert_int_equal(loc.position, 9);
	assert_int_equal(loc.level, 2);
	assert_true(fabs(loc.x - 0) < EPS);
	assert_true(fabs(loc.y - (1 + 8.5)) < EPS);
	/* prefix, case and padding are accepted; the canonical code is the same */
	const char *same[] = { "LOC-A01-17-2", "loc-a1-017-02", "a0001-17-2", "LOC-a01-00017-2" };
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct layout_loc other;
		memset(canon, 0, sizeof(canon));
		assert_int_equal(layout_parse_location(&l, same[i], &other, canon, NULL), 0);
		assert_string_equal(canon, "A01-17-2");
		assert_memory_equal(&other.point, &loc.point, sizeof(loc.point));
	}
	/* even bays are on the right and share the pick point of the odd bay before them */
	struct layout_loc right;
	assert_int_equal(layout_parse_location(&l, "A01-18-1", &right, NULL, NULL), 0);
	assert_int_equal(right.side, LAYOUT_SIDE_RIGHT);
	assert_memory_equal(&right.point, &loc.point, sizeof(loc.point));
}

static void test_canonical_widths_grow_with_the_layout(void **st)
{
	(void)st;
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = 120;
	p.slots_per_side = 60;
	p.levels = 12;
	p.blocks = 3;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	char code[LAYOUT_CODE_MAX];
	assert_int_equal(layout_location_code(&l, 7, 2, 9, 3, code), 0);
	assert_string_equal(code, "C007-009-03");
	struct layout_loc loc;
	char canon[LAYOUT_CODE_MAX];
	assert_int_equal(layout_parse_location(&l, "c7-9-3", &loc, canon, NULL), 0);
	assert_string_equal(canon, "C007-009-03");
	assert_int_equal(loc.block, 2);
	assert_true(fabs(loc.y - (2 * (2 + 60) + 1 + 4.5)) < EPS);
	assert_int_equal(layout_location_code(&l, 121, 0, 1, 1, code), WMS_ELOCATION);
	assert_int_equal(layout_location_code(&l, 1, 3, 1, 1, code), WMS_ELOCATION);
	assert_int_equal(layout_location_code(&l, 1, 0, 121, 1, code), WMS_ELOCATION);
	assert_int_equal(layout_location_code(&l, 1, 0, 1, 13, code), WMS_ELOCATION);
}

static void test_malformed_and_outside_codes_get_distinct_errors(void **st)
{
	(void)st;
	struct layout l = classic();
	static const char *malformed[] = {
		"",          "LOC-",      "A",        "A01",       "A01-17",    "A01-17-",
		"01-17-1",   "A01-17-1x", "A01_17_1", "A 01-17-1", "A01--17-1", "A1234567-1-1",
		"-A01-17-1", "LOC A01",   "AA01-1-1", "A01-17-1-", "A+1-17-1",  "Ä01-17-1",
	};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct wms_error err = WMS_ERROR_INIT;
		struct layout_loc loc;
		if (layout_parse_location(&l, malformed[i], &loc, NULL, &err) != WMS_EVALUE)
			fail_msg("'%s' was not refused as malformed", malformed[i]);
		assert_string_equal(err.field, "location");
		assert_non_null(strstr(err.message, malformed[i]));
	}
	static const char *outside[] = { "B01-01-1", "A11-01-1", "A00-01-1", "A01-91-1",
		                         "A01-00-1", "A01-01-2", "A01-01-0", "Z01-01-1" };
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		struct wms_error err = WMS_ERROR_INIT;
		struct layout_loc loc;
		if (layout_parse_location(&l, outside[i], &loc, NULL, &err) != WMS_ELOCATION)
			fail_msg("'%s' was not refused as outside the layout", outside[i]);
		assert_non_null(strstr(err.message, outside[i]));
	}
	struct layout_loc loc;
	assert_int_equal(layout_parse_location(&l, NULL, &loc, NULL, NULL), WMS_EVALUE);
}

static void test_every_enumerated_location_parses_back_to_itself(void **st)
{
	(void)st;
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = 4;
	p.blocks = 2;
	p.slots_per_side = 6;
	p.levels = 3;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	size_t n;
	layout_location_count(&l, &n);
	assert_int_equal(n, 4 * 2 * 12 * 3);
	char prev[LAYOUT_CODE_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		struct layout_loc loc, back;
		char code[LAYOUT_CODE_MAX], canon[LAYOUT_CODE_MAX];
		assert_int_equal(layout_location_at(&l, i, &loc, code), 0);
		assert_true(strcmp(prev, code) < 0); /* enumeration is in code order */
		strcpy(prev, code);
		assert_int_equal(layout_parse_location(&l, code, &back, canon, NULL), 0);
		assert_string_equal(canon, code);
		assert_loc_equal(&back, &loc);
		assert_true(layout_point_valid(&l, &loc.point));
		struct layout_point k = layout_key_point(layout_point_key(&loc.point));
		assert_memory_equal(&k, &loc.point, sizeof(k));
	}
	struct layout_loc loc;
	assert_int_equal(layout_location_at(&l, n, &loc, NULL), WMS_ERANGE);
}

static void test_distances_follow_aisles_and_cross_aisles(void **st)
{
	(void)st;
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.blocks = 2;
	p.depot_aisle = 3;
	p.depot_offset = 2;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0); /* block_len 47, aisles 5 apart */
	struct layout_point depot = layout_depot(&l);
	struct layout_point a = pt(1, 0, 10), b = pt(1, 0, 40), c = pt(2, 0, 10), d = pt(2, 1, 5);
	/* same sub-aisle: straight */
	assert_true(fabs(layout_distance(&l, &a, &b) - 30) < EPS);
	/* same block, other aisle: out at the front (10.5 + 10.5) beats the back (37.5 + 37.5) */
	assert_true(fabs(layout_distance(&l, &a, &c) - (5 + 21)) < EPS);
	/* near the back of block 0: out through the middle cross aisle */
	struct layout_point e = pt(4, 0, 44);
	assert_true(fabs(layout_distance(&l, &b, &e) - (15 + (47 - 40.5) + (47 - 44.5))) < EPS);
	/* different blocks: rectilinear */
	assert_true(fabs(layout_distance(&l, &a, &d) - (5 + (47 + 5.5 - 10.5))) < EPS);
	/* depot: offset, along the front cross aisle, up the aisle */
	assert_true(fabs(layout_distance(&l, &depot, &a) - (2 + 10 + 10.5)) < EPS);
	assert_true(fabs(layout_distance(&l, &depot, &d) - (2 + 5 + 47 + 5.5)) < EPS);
	assert_true(layout_distance(&l, &depot, &depot) == 0);
	assert_true(layout_distance(&l, &d, &a) == layout_distance(&l, &a, &d));
}

static void test_depot_shift_moves_the_depot_along_the_front_cross_aisle(void **st)
{
	(void)st;
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.depot_aisle = 2;
	p.depot_shift = 2.5;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	assert_int_equal(l.depot_on, 0);
	struct layout_point depot = layout_depot(&l), a = pt(1, 0, 1);
	assert_true(fabs(layout_distance(&l, &depot, &a) - (7.5 + 1.5)) < EPS);
	/* a shift of whole spacings lands on another aisle */
	p.depot_shift = -5;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	assert_int_equal(l.depot_on, 1);
	assert_true(fabs(layout_distance(&l, &depot, &a) - 1.5) < EPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_params_are_the_classic_literature_layout),
		cmocka_unit_test(test_each_bad_parameter_is_named_with_its_value),
		cmocka_unit_test(test_location_codes_parse_to_canonical_form_and_coordinates),
		cmocka_unit_test(test_canonical_widths_grow_with_the_layout),
		cmocka_unit_test(test_malformed_and_outside_codes_get_distinct_errors),
		cmocka_unit_test(test_every_enumerated_location_parses_back_to_itself),
		cmocka_unit_test(test_distances_follow_aisles_and_cross_aisles),
		cmocka_unit_test(test_depot_shift_moves_the_depot_along_the_front_cross_aisle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
