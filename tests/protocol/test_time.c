/* Tests of RFC 3339 parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "wms/errors.h"
#include "wms/time.h"

static int64_t parse_ok(const char *s)
{
	int64_t ms = -1;
	assert_int_equal(wms_time_parse(s, &ms), 0);
	return ms;
}

static void test_utc_timestamps_round_trip(void **state)
{
	(void)state;
	char buf[WMS_TIME_BUFSZ];
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_string_equal(wms_time_format(parse_ok("2026-11-23T15:04:05Z"), buf),
	                    "2026-11-23T15:04:05Z");
	assert_string_equal(wms_time_format(parse_ok("2026-11-23T15:04:05.25Z"), buf),
	                    "2026-11-23T15:04:05.250Z");
	assert_string_equal(wms_time_format(parse_ok("2024-02-29T23:59:59Z"), buf),
	                    "2024-02-29T23:59:59Z");
}

static void test_offsets_are_converted_to_utc(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-23T16:04:05+01:00"), parse_ok("2026-11-23T15:04:05Z"));
	assert_int_equal(parse_ok("2026-11-23T10:34:05-04:30"), parse_ok("2026-11-23T15:04:05Z"));
	assert_int_equal(parse_ok("2026-11-23t15:04:05z"), parse_ok("2026-11-23T15:04:05Z"));
}

static void test_fractions_beyond_milliseconds_are_truncated(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-01-01T00:00:00.123456789Z") % 1000, 123);
}

static void test_malformed_instants_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"2026-11-23",
		"2026-11-23T15:04:05",
		"2026-13-01T00:00:00Z",
		"2025-02-29T00:00:00Z",
		"2026-11-31T00:00:00Z",
		"2026-11-23T24:00:00Z",
		"2026-11-23T15:04:05+1:00",
		"2026-11-23T15:04:05.Z",
		"2026-11-23T15:04:05Zjunk",
		"20261123T150405Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 42;
		assert_int_equal(wms_time_parse(bad[i], &ms), WMS_ETIME);
		assert_int_equal(ms, 42); /* untouched on failure */
	}
}

static void test_civil_day_numbers_round_trip_over_centuries(void **state)
{
	(void)state;
	for (int64_t d = -800000; d < 800000; d += 37) {
		int y;
		unsigned m, dd;
		wms_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(wms_days_from_civil(y, m, dd), d);
	}
}

/* The formatter writes digits itself; it must say what snprintf would, for any instant. */
static void test_formatting_matches_the_printf_spelling_for_any_instant(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 0001-01-01 .. 9999-12-31, half of them with milliseconds */
		int64_t lo = -62135596800000LL, hi = 253402300799999LL;
		int64_t ms = lo + (int64_t)(x % (uint64_t)(hi - lo));
		if (i % 2)
			ms -= ms % 1000;
		int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		int milli = (int)(ms - secs * 1000);
		int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
		int64_t rem = secs - days * 86400;
		int y;
		unsigned m, d;
		wms_civil_from_days(days, &y, &m, &d);
		char want[64], got[WMS_TIME_BUFSZ];
		if (milli)
			snprintf(want, sizeof(want), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
			         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), milli);
		else
			snprintf(want, sizeof(want), "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
			         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
		assert_string_equal(wms_time_format(ms, got), want);
		assert_int_equal(parse_ok(got), ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_timestamps_round_trip),
		cmocka_unit_test(test_offsets_are_converted_to_utc),
		cmocka_unit_test(test_fractions_beyond_milliseconds_are_truncated),
		cmocka_unit_test(test_malformed_instants_are_refused),
		cmocka_unit_test(test_civil_day_numbers_round_trip_over_centuries),
		cmocka_unit_test(test_formatting_matches_the_printf_spelling_for_any_instant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
