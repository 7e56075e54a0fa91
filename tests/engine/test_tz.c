/*
 * Tests of time zones (tz) and the carrier-cutoff calendar (cal).
 *
 * The reference for offsets and wall dates is glibc's localtime_r() under setenv("TZ"), used
 * here only: the engine must not touch the process-global TZ. The zones are chosen for what
 * they make hard: Lord Howe's half-hour DST, Kolkata's half-hour offset, Chatham's 45 minutes,
 * Dublin's negative DST, Sao Paulo's abandoned DST, Nuuk's negative and Jerusalem's >24 h
 * transition times (TZif v3), Casablanca's Ramadan transitions, Apia's skipped day.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cal.h"
#include "tz.h"

#define SEC    1000LL
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

/* ---- helpers ---- */

/* UTC ms of a UTC calendar time (glibc's timegm, tests only). */
static int64_t utc(int y, int mon, int d, int h, int mi)
{
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * SEC;
}

static void iso(int64_t ms, char buf[64])
{
	time_t t = (time_t)(ms >= 0 ? ms / SEC : -((-ms + SEC - 1) / SEC));
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)t * SEC));
}

/* Fails naming both instants in ISO form, so a wrong hour is visible at once. */
#define assert_ms_equal(got, want) ms_equal((got), (want), __FILE__, __LINE__)
static void ms_equal(int64_t got, int64_t want, const char *file, int line)
{
	char g[64], w[64];
	if (got == want)
		return;
	iso(got, g);
	iso(want, w);
	print_error("got %s (%lld), want %s (%lld)\n", g, (long long)got, w, (long long)want);
	_fail(file, line);
}

static const struct tz *zone(const char *name)
{
	const struct tz *z = NULL;
	if (tz_get(name, &z) != 0)
		fail_msg("tz_get(\"%s\") failed; is tzdata installed (scripts/deps.sh)?", name);
	return z;
}

static void use_glibc_zone(const char *tzenv)
{
	setenv("TZ", tzenv, 1);
	tzset(); /* localtime_r() is not required to re-read TZ */
}

/* Compares offset and wall clock at second T with glibc's, for zone Z under TZ=LABEL. */
static long expect_same_as_glibc(const struct tz *z, const char *label, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int y, mon, d, wday, minute;
	if (localtime_r(&tt, &tm) == NULL)
		fail_msg("%s: localtime_r failed at %lld", label, (long long)t);
	/* The offset from the second's first ms, the wall date from its last: both must hold. */
	int32_t off = tz_offset(z, t * SEC);
	tz_local_date(z, t * SEC + 999, &y, &mon, &d, &wday, &minute);
	if (off != tm.tm_gmtoff || y != tm.tm_year + 1900 || mon != tm.tm_mon + 1 ||
	    d != tm.tm_mday || wday != (tm.tm_wday + 6) % 7 ||
	    minute != tm.tm_hour * 60 + tm.tm_min) {
		char when[64];
		iso(t * SEC, when);
		fail_msg("%s at %s: tz %+d %04d-%02d-%02d wday %d minute %d; glibc %+ld "
		         "%04d-%02d-%02d wday %d minute %d",
		         label, when, off, y, mon, d, wday, minute, tm.tm_gmtoff, tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, (tm.tm_wday + 6) % 7,
		         tm.tm_hour * 60 + tm.tm_min);
	}
	return tm.tm_gmtoff;
}

/*
 * Walks [FROM, TO] (seconds) in steps of STEP and, wherever either implementation's offset
 * changes between two samples, bisects down to the exact second and checks both sides. Returns
 * the number of changes found, so a caller can tell the walk saw the zone's transitions.
 */
static int compare_with_glibc(const struct tz *z, const char *tzenv, int64_t from, int64_t to,
                              int64_t step)
{
	int changes = 0;
	use_glibc_zone(tzenv);
	int64_t prev = from;
	long prev_off = expect_same_as_glibc(z, tzenv, prev);
	for (int64_t t = from + step; t <= to; t += step) {
		long off = expect_same_as_glibc(z, tzenv, t);
		if (off != prev_off) {
			int64_t lo = prev, hi = t; /* offset prev_off at lo, not at hi */
			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;
				struct tm tm;
				time_t tt = (time_t)mid;
				localtime_r(&tt, &tm);
				if (tm.tm_gmtoff == prev_off && tz_offset(z, mid * SEC) == prev_off)
					lo = mid;
				else
					hi = mid;
			}
			expect_same_as_glibc(z, tzenv, lo);
			expect_same_as_glibc(z, tzenv, hi);
			changes++;
		}
		prev = t;
		prev_off = off;
	}
	return changes;
}

/* ---- offsets and wall dates against glibc ---- */

static void test_offset_matches_glibc_across_zones_and_centuries(void **state)
{
	static const struct {
		const char *name;
		int min_changes; /* transitions 1970-2100 the walk must see */
	} zones[] = {
		{ "America/New_York", 250 },    { "Europe/London", 250 },
		{ "Australia/Lord_Howe", 230 }, { "Asia/Kolkata", 0 },
		{ "America/Sao_Paulo", 60 },    { "Pacific/Chatham", 240 },
		{ "Europe/Dublin", 250 },       { "UTC", 0 },
		{ "America/Nuuk", 230 },        { "Asia/Jerusalem", 230 },
		{ "Africa/Casablanca", 180 },   { "Pacific/Apia", 20 },
		{ "Antarctica/Troll", 180 },    { "America/St_Johns", 250 },
		{ "Asia/Tehran", 60 },          { "Europe/Berlin", 230 },
	};
	(void)state;
	/* A step that is not a multiple of an hour or a day, so samples drift through the clock. */
	const int64_t step = 86400 + 3600 + 7 * 60 + 13;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const struct tz *z = zone(zones[i].name);
		assert_string_equal(tz_name(z), zones[i].name);
		int n = compare_with_glibc(z, zones[i].name, utc(1970, 1, 1, 0, 0) / SEC,
		                           utc(2100, 12, 31, 23, 59) / SEC, step);
		if (n < zones[i].min_changes)
			fail_msg("%s: only %d offset changes seen 1970-2100, expected %d",
			         zones[i].name, n, zones[i].min_changes);
		/* The last century before the epoch, coarser: LMT, wartime double summer time. */
		compare_with_glibc(z, zones[i].name, utc(1900, 1, 1, 0, 0) / SEC,
		                   utc(1970, 1, 1, 0, 0) / SEC, 7 * step);
	}
}

/* A TZif v3 file with no transitions and one type, so FOOTER decides every instant. */
static size_t make_tzif(unsigned char *buf, size_t cap, int32_t off, const char *footer)
{
	size_t n = 0, flen = strlen(footer);
	assert_true(cap >= 2 * (44 + 10) + flen + 2);
	for (int block = 0; block < 2; block++) {
		unsigned char *h = buf + n;
		memset(h, 0, 44);
		memcpy(h, "TZif3", 5);
		h[39] = 1; /* typecnt */
		h[43] = 4; /* charcnt */
		n += 44;
		buf[n++] = (unsigned char)((uint32_t)off >> 24);
		buf[n++] = (unsigned char)((uint32_t)off >> 16);
		buf[n++] = (unsigned char)((uint32_t)off >> 8);
		buf[n++] = (unsigned char)off;
		buf[n++] = 0; /* isdst */
		buf[n++] = 0; /* desigidx */
		memcpy(buf + n, "AAA", 4);
		n += 4;
	}
	buf[n++] = '\n';
	memcpy(buf + n, footer, flen);
	n += flen;
	buf[n++] = '\n';
	return n;
}

static struct tz *footer_zone(const char *footer)
{
	unsigned char buf[512];
	struct tz *z = NULL;
	size_t n = make_tzif(buf, sizeof(buf), 0, footer);
	if (tz_new("footer", buf, n, &z) != 0)
		fail_msg("footer \"%s\" refused", footer);
	return z;
}

static void test_footer_rules_match_glibc_for_every_date_form(void **state)
{
	static const char *const footers[] = {
		"AAA3BBB,J60/2,J300/2",                     /* Jn: never counts Feb 29 */
		"AAA-5BBB-6,59/2,299/2",                    /* n: counts Feb 29 */
		"<+03>-3<+0430>-4:30,M3.5.0/-1,M10.5.0/26", /* quoted names, v3 times */
		"XXX4YYY3,M4.1.0/1:30:15,M9.5.6/23:59:59",  /* seconds in the times */
		"<-0330>3:30<-0230>,M11.1.0/0,M3.2.0/0",    /* southern hemisphere */
		"IST-1GMT0,M10.5.0,M3.5.0/1",               /* Dublin: negative DST */
		"AAA-10BBB,M1.5.1/100,M12.1.2/-100",        /* times that leave their day */
		"<+0545>-5:45",                             /* no DST at all */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		struct tz *z = footer_zone(footers[i]);
		int n = compare_with_glibc(z, footers[i], utc(1970, 1, 1, 0, 0) / SEC,
		                           utc(2100, 12, 31, 0, 0) / SEC, 86400 * 3 + 3607);
		if (i + 1 < sizeof(footers) / sizeof(footers[0]) && n < 250)
			fail_msg("%s: only %d offset changes seen", footers[i], n);
		tz_free(z);
	}
}

static void test_footer_permanent_dst_idiom_stays_in_dst(void **state)
{
	/* tz's idiom for DST all year: each year's end (Dec 31 25:00) meets the next one's start.
	 */
	struct tz *z = footer_zone("EST5EDT,0/0,J365/25");
	(void)state;
	for (int y = 1971; y < 2100; y += 7) {
		assert_int_equal(tz_offset(z, utc(y, 1, 1, 0, 0)), -4 * 3600);
		assert_int_equal(tz_offset(z, utc(y, 1, 1, 5, 0)), -4 * 3600);
		assert_int_equal(tz_offset(z, utc(y, 1, 1, 5, 0) - 1), -4 * 3600);
		assert_int_equal(tz_offset(z, utc(y, 7, 1, 0, 0)), -4 * 3600);
		assert_int_equal(tz_offset(z, utc(y, 12, 31, 23, 59)), -4 * 3600);
	}
	tz_free(z);
}

/* ---- wall time to instant ---- */

static void test_local_to_utc_resolves_gap_forward_and_overlap_earlier(void **state)
{
	const struct tz *ny = zone("America/New_York");
	const struct tz *lh = zone("Australia/Lord_Howe");
	const struct tz *dub = zone("Europe/Dublin");
	const struct tz *cha = zone("Pacific/Chatham");
	(void)state;
	/* An ordinary wall time. */
	assert_ms_equal(tz_local_to_utc(ny, 2024, 6, 7, 17 * 60), utc(2024, 6, 7, 21, 0));
	/* New York springs forward 02:00 -> 03:00: 02:30 is read as EST, i.e. 03:30 EDT. */
	assert_ms_equal(tz_local_to_utc(ny, 2024, 3, 10, 2 * 60 + 30), utc(2024, 3, 10, 7, 30));
	assert_ms_equal(tz_local_to_utc(ny, 2024, 3, 10, 2 * 60), utc(2024, 3, 10, 7, 0));
	assert_ms_equal(tz_local_to_utc(ny, 2024, 3, 10, 3 * 60), utc(2024, 3, 10, 7, 0));
	/* Falls back 02:00 -> 01:00: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST); the first. */
	assert_ms_equal(tz_local_to_utc(ny, 2024, 11, 3, 90), utc(2024, 11, 3, 5, 30));
	assert_ms_equal(tz_local_to_utc(ny, 2024, 11, 3, 60), utc(2024, 11, 3, 5, 0));
	assert_ms_equal(tz_local_to_utc(ny, 2024, 11, 3, 2 * 60), utc(2024, 11, 3, 7, 0));
	/* Lord Howe: half-hour gap 02:00 -> 02:30 (+10:30 -> +11). */
	assert_ms_equal(tz_local_to_utc(lh, 2024, 10, 6, 2 * 60 + 15), utc(2024, 10, 5, 15, 45));
	/* ... and half-hour overlap 02:00 -> 01:30: 01:45 first happens at +11. */
	assert_ms_equal(tz_local_to_utc(lh, 2024, 4, 7, 60 + 45), utc(2024, 4, 6, 14, 45));
	/* Dublin's gap 01:00 -> 02:00 in March; 01:30 is read as GMT. */
	assert_ms_equal(tz_local_to_utc(dub, 2024, 3, 31, 90), utc(2024, 3, 31, 1, 30));
	/* Chatham springs forward 02:45 -> 03:45 (+12:45 -> +13:45). */
	assert_ms_equal(tz_local_to_utc(cha, 2024, 9, 29, 3 * 60), utc(2024, 9, 28, 14, 15));
	/* The footer era (after the table ends in 2037) resolves the same way. */
	assert_ms_equal(tz_local_to_utc(ny, 2090, 3, 12, 2 * 60 + 30), utc(2090, 3, 12, 7, 30));
	assert_ms_equal(tz_local_to_utc(ny, 2090, 11, 5, 90), utc(2090, 11, 5, 5, 30));
}

static void test_local_to_utc_round_trips_every_wall_time(void **state)
{
	static const char *const names[] = { "America/New_York", "Australia/Lord_Howe",
		                             "Pacific/Chatham",  "Europe/Dublin",
		                             "Pacific/Apia",     "Asia/Kolkata" };
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct tz *z = zone(names[i]);
		int overlaps = 0;
		for (int64_t u = utc(1971, 1, 1, 0, 0); u < utc(2100, 1, 1, 0, 0);
		     u += 5 * HOUR + 17 * MINUTE) {
			int y, mon, d, wday, minute;
			tz_local_date(z, u, &y, &mon, &d, &wday, &minute);
			int64_t back = tz_local_to_utc(z, y, mon, d, minute);
			if (back == u)
				continue;
			/* Only the later instant of an overlap may map elsewhere: to the earlier
			 * one, which must show the same wall clock. */
			int y2, mon2, d2, wday2, minute2;
			tz_local_date(z, back, &y2, &mon2, &d2, &wday2, &minute2);
			if (!(back < u && u - back <= 3 * HOUR && y2 == y && mon2 == mon &&
			      d2 == d && minute2 == minute)) {
				char a[64], b[64];
				iso(u, a);
				iso(back, b);
				fail_msg(
				    "%s: %s reads %04d-%02d-%02d %d min, which maps back to %s",
				    names[i], a, y, mon, d, minute, b);
			}
			overlaps++;
		}
		/* Kolkata has no overlap after 1971; the others have them most years. */
		if (strcmp(names[i], "Asia/Kolkata") != 0 && overlaps == 0)
			fail_msg("%s: no overlap met, the walk is too coarse", names[i]);
	}
}

static void test_local_to_utc_normalises_out_of_range_fields(void **state)
{
	const struct tz *z = zone("UTC");
	(void)state;
	assert_ms_equal(tz_local_to_utc(z, 2024, 1, 32, 0), utc(2024, 2, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2023, 2, 29, 0), utc(2023, 3, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2024, 13, 1, 0), utc(2025, 1, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2024, 0, 1, 0), utc(2023, 12, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2024, 3, 0, 0), utc(2024, 2, 29, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2024, 12, 31, 1440), utc(2025, 1, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 2024, 12, 31 + 365, 0), utc(2025, 12, 31, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 1969, 12, 31, 1439), -MINUTE);
	assert_ms_equal(tz_local_to_utc(z, 0, 1, 1, 0), utc(0, 1, 1, 0, 0));
	assert_ms_equal(tz_local_to_utc(z, 9999, 12, 31, 1439), utc(9999, 12, 31, 23, 59));
	/* Outside 0000-9999, and fields that would overflow an int on the way. */
	assert_ms_equal(tz_local_to_utc(z, 10000, 1, 1, 0), INT64_MIN);
	assert_ms_equal(tz_local_to_utc(z, -1, 12, 31, 1439), INT64_MIN);
	assert_ms_equal(tz_local_to_utc(z, 2147483647, 2147483647, 2147483647, 2147483647),
	                INT64_MIN);
	assert_ms_equal(
	    tz_local_to_utc(z, -2147483647 - 1, -2147483647 - 1, -2147483647 - 1, -2147483647 - 1),
	    INT64_MIN);
}

static void test_local_date_reports_weekday_and_minute(void **state)
{
	const struct tz *ny = zone("America/New_York");
	const struct tz *u = zone("UTC");
	int y, mon, d, wday, minute;
	(void)state;
	/* 03:30 EDT on Sunday 2024-03-10, the first morning of DST. */
	tz_local_date(ny, utc(2024, 3, 10, 7, 30) + 59999, &y, &mon, &d, &wday, &minute);
	assert_int_equal(y, 2024);
	assert_int_equal(mon, 3);
	assert_int_equal(d, 10);
	assert_int_equal(wday, 6);
	assert_int_equal(minute, 3 * 60 + 30);
	/* Friday evening in New York is already Saturday in UTC. */
	tz_local_date(ny, utc(2024, 6, 8, 2, 0), &y, &mon, &d, &wday, &minute);
	assert_int_equal(d, 7);
	assert_int_equal(wday, 4);
	assert_int_equal(minute, 22 * 60);
	/* The last millisecond before the epoch: Wednesday 1969-12-31 23:59. */
	tz_local_date(u, -1, &y, &mon, &d, &wday, &minute);
	assert_int_equal(y, 1969);
	assert_int_equal(mon, 12);
	assert_int_equal(d, 31);
	assert_int_equal(wday, 2);
	assert_int_equal(minute, 1439);
	/* Monday 2024-01-01 00:00. */
	tz_local_date(u, utc(2024, 1, 1, 0, 0), &y, &mon, &d, &wday, &minute);
	assert_int_equal(wday, 0);
	assert_int_equal(minute, 0);
	/* The extremes of the type do not overflow. */
	tz_local_date(ny, INT64_MAX, &y, &mon, &d, &wday, &minute);
	assert_true(y > 292000000);
	tz_local_date(ny, INT64_MIN, &y, &mon, &d, &wday, &minute);
	assert_true(y < -292000000);
}

/* ---- names, cache, parser ---- */

static void test_unknown_and_unsafe_zone_names_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"Nowhere/Atlantis",
		"../../../etc/passwd",
		"America/../UTC",
		"/usr/share/zoneinfo/UTC",
		"/etc/localtime",
		"America/New_York/",
		"America//New_York",
		"America",   /* a directory */
		"zone.tab",  /* a file, not TZif; '.' is refused anyway */
		"tzdata.zi", /* ditto */
		"iso3166",   /* no such file */
		"./UTC",     /* exists, but '.' is not in a zone name */
		"Etc/./UTC",
		"Europe/Berlin;rm",
		"Europe/Berlin ",
		" UTC",
		"utc\n",
		"Europe\\Berlin",
		"Europe/Berlin\x01",
		"right/UTC", /* leap seconds */
		"America/New_York_America/New_York_America/New_York_America/New_York",
	};
	const struct tz *sentinel = (const struct tz *)&sentinel, *z = sentinel;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tz_get(bad[i], &z) != -1)
			fail_msg("tz_get(\"%s\") was accepted", bad[i]);
		assert_ptr_equal(z, sentinel);
	}
	assert_int_equal(tz_get(NULL, &z), -1);
	assert_ptr_equal(z, sentinel);
	/* The names around the refused ones still work. */
	assert_int_equal(tz_get("Etc/GMT+5", &z), 0);
	assert_int_equal(tz_offset(z, 0), -5 * 3600);
	assert_int_equal(tz_get("America/Argentina/ComodRivadavia", &z), 0);
}

static void test_utc_is_built_in_and_zones_are_cached(void **state)
{
	const struct tz *a, *b;
	(void)state;
	assert_int_equal(tz_get("UTC", &a), 0);
	assert_string_equal(tz_name(a), "UTC");
	assert_int_equal(tz_offset(a, INT64_MIN), 0);
	assert_int_equal(tz_offset(a, INT64_MAX), 0);
	/* Built in: clearing the cache does not take it away. */
	tz_cache_clear();
	assert_int_equal(tz_get("UTC", &b), 0);
	assert_ptr_equal(a, b);

	assert_int_equal(tz_get("Europe/Berlin", &a), 0);
	assert_int_equal(tz_get("Europe/Berlin", &b), 0);
	assert_ptr_equal(a, b);
	assert_string_equal(tz_name(a), "Europe/Berlin");
	/* An alias is its own entry, with its own name and the same rules. */
	assert_int_equal(tz_get("Europe/Busingen", &b), 0);
	assert_ptr_not_equal(a, b);
	assert_string_equal(tz_name(b), "Europe/Busingen");
	assert_int_equal(tz_offset(b, utc(2024, 7, 1, 0, 0)), 7200);
}

#define RACERS 8
static void *get_berlin(void *arg)
{
	const struct tz **out = arg;
	if (tz_get("Europe/Berlin", out) != 0)
		*out = NULL;
	return NULL;
}

static void test_get_from_many_threads_loads_one_zone(void **state)
{
	pthread_t th[RACERS];
	const struct tz *got[RACERS];
	(void)state;
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, get_berlin, &got[i]), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < RACERS; i++) {
		assert_non_null(got[i]);
		assert_ptr_equal(got[i], got[0]);
	}
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = malloc(1 << 16);
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	assert_true(*len > 0 && *len < (1 << 16));
	return buf;
}

static void test_truncated_or_corrupt_tzif_refused(void **state)
{
	size_t len;
	unsigned char *buf = slurp("/usr/share/zoneinfo/America/New_York", &len);
	unsigned char *copy = malloc(len + 1);
	struct tz *z = NULL;
	(void)state;
	assert_non_null(copy);
	assert_int_equal(tz_new("America/New_York", buf, len, &z), 0);
	assert_int_equal(tz_offset(z, utc(2024, 7, 1, 0, 0)), -4 * 3600);
	tz_free(z);
	tz_free(NULL);
	/* Every truncation, down to nothing, is refused; so is a byte too many. */
	for (size_t n = 0; n < len; n++) {
		memcpy(copy, buf, n);
		if (tz_new("cut", copy, n, &z) != -1)
			fail_msg("a file cut to %zu of %zu bytes was accepted", n, len);
	}
	memcpy(copy, buf, len);
	copy[len] = '\n';
	assert_int_equal(tz_new("long", copy, len + 1, &z), -1);
	/* Flip each byte of both headers: the result is refused or still a coherent zone. */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0xff;
		if (tz_new("flip", copy, len, &z) == 0) {
			int y, mon, d, wday, minute;
			tz_offset(z, 0);
			tz_local_date(z, utc(2024, 7, 1, 0, 0), &y, &mon, &d, &wday, &minute);
			tz_local_to_utc(z, 2024, 3, 10, 150);
			tz_free(z);
		}
	}
	/* Specific corruptions. */
	memcpy(copy, buf, len);
	copy[0] = 'X'; /* magic */
	assert_int_equal(tz_new("x", copy, len, &z), -1);
	memcpy(copy, buf, len);
	copy[4] = '9'; /* version */
	assert_int_equal(tz_new("x", copy, len, &z), -1);
	assert_int_equal(tz_new(NULL, buf, len, &z), -1);
	assert_int_equal(tz_new("x", NULL, len, &z), -1);
	free(copy);
	free(buf);
}

static void test_malformed_footers_refused(void **state)
{
	static const char *const bad[] = {
		"AB3",                        /* name too short */
		"AAA",                        /* no offset */
		"AAA25",                      /* offset beyond 24 h */
		"<AB>3",                      /* quoted name too short */
		"<+03-3",                     /* unterminated quote */
		"AAA3BBB,M13.1.0,M1.1.0",     /* month 13 */
		"AAA3BBB,M3.0.0,M11.1.0",     /* week 0 */
		"AAA3BBB,M3.2.7,M11.1.0",     /* weekday 7 */
		"AAA3BBB,J0,J100",            /* J counts from 1 */
		"AAA3BBB,366,100",            /* n ends at 365 */
		"AAA3BBB,M3.2.0/168,M11.1.0", /* time beyond 167 h */
		"AAA3BBB,M3.2.0",             /* no end */
		"AAA3BBB,M3.2.0,M11.1.0,",    /* trailing text */
		"AAA3BBB,M3.2.0,M11.1.0 ",
		"AAA3:60",                   /* minutes */
		"AAA3BBB-27,M3.2.0,M11.1.0", /* DST offset out of range */
		"AAA3BBB,M3.2.0/2:,M11.1.0",
		"AAA1234",
	};
	unsigned char buf[512];
	struct tz *z = NULL;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = make_tzif(buf, sizeof(buf), 0, bad[i]);
		if (tz_new("bad", buf, n, &z) != -1)
			fail_msg("footer \"%s\" was accepted", bad[i]);
	}
	/* Their well-formed neighbours are accepted. */
	z = footer_zone("");
	tz_free(z);
	z = footer_zone("AAA3BBB");
	assert_int_equal(tz_offset(z, utc(2024, 7, 1, 0, 0)), -2 * 3600);
	assert_int_equal(tz_offset(z, utc(2024, 1, 1, 0, 0)), -3 * 3600);
	tz_free(z);
	z = footer_zone("AAA3BBB2,M3.2.0/-167,M11.1.0/167");
	tz_free(z);
}

/* ---- the cutoff calendar ---- */

static void test_parse_hhmm_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"",      "7:05",  "07:5",   "24:00",    "23:60",
		"07-05", " 7:05", "07:05 ", "+7:05",    "07:05\n",
		"0705",  "aa:bb", "-1:00",  "07:05:00", "7:5",
		"1:234", "99:99", "07:0x",  "07 05",    "\xef\xbc\x90\xef\xbc\x97:05"
	};
	int m = -42;
	(void)state;
	assert_int_equal(cal_parse_hhmm("00:00", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(cal_parse_hhmm("23:59", &m), 0);
	assert_int_equal(m, 1439);
	assert_int_equal(cal_parse_hhmm("07:05", &m), 0);
	assert_int_equal(m, 425);
	m = -42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cal_parse_hhmm(bad[i], &m) != -1)
			fail_msg("\"%s\" was accepted as %d", bad[i], m);
		assert_int_equal(m, -42);
	}
	assert_int_equal(cal_parse_hhmm(NULL, &m), -1);
}

static void test_next_cutoff_skips_days_outside_mask(void **state)
{
	const struct tz *z = zone("UTC");
	const int five_pm = 17 * 60;
	(void)state;
	/* Friday 2024-06-07 after the truck: Monday's. */
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 7, 18, 0), five_pm, CAL_WEEKDAYS),
	                utc(2024, 6, 10, 17, 0));
	/* Before it, and exactly at it: Friday's. */
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 7, 17, 0) - 1, five_pm, CAL_WEEKDAYS),
	                utc(2024, 6, 7, 17, 0));
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 7, 17, 0), five_pm, CAL_WEEKDAYS),
	                utc(2024, 6, 7, 17, 0));
	/* Sundays only, and Wednesday seen from Thursday: six days ahead. */
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 7, 18, 0), five_pm, CAL_SUN),
	                utc(2024, 6, 9, 17, 0));
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 6, 17, 1), five_pm, CAL_WED),
	                utc(2024, 6, 12, 17, 0));
	/* Wednesday's own cutoff has just passed: a week ahead. */
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 5, 17, 0) + 1, five_pm, CAL_WED),
	                utc(2024, 6, 12, 17, 0));
	/* No day in the mask, or a minute that is not one. */
	assert_ms_equal(cal_next_cutoff(z, 0, five_pm, 0), -1);
	assert_ms_equal(cal_next_cutoff(z, 0, five_pm, 1u << 7), -1);
	assert_ms_equal(cal_next_cutoff(z, 0, five_pm, ~CAL_ALL_DAYS), -1);
	assert_ms_equal(cal_next_cutoff(z, 0, 1440, CAL_ALL_DAYS), -1);
	assert_ms_equal(cal_next_cutoff(z, 0, -1, CAL_ALL_DAYS), -1);
	/* Bits above Sunday are ignored. */
	assert_ms_equal(cal_next_cutoff(z, utc(2024, 6, 7, 18, 0), five_pm, CAL_SUN | 0xff00u),
	                utc(2024, 6, 9, 17, 0));

	/* Every mask from every hour of a week, against the definition. */
	const struct tz *ny = zone("America/New_York");
	for (unsigned mask = 1; mask < 128; mask++) {
		for (int64_t now = utc(2024, 3, 4, 0, 0); now < utc(2024, 3, 18, 0, 0);
		     now += 5 * HOUR + 7 * MINUTE) {
			int64_t c = cal_next_cutoff(ny, now, five_pm, mask);
			int y, mon, d, wday, minute;
			assert_true(c >= now);
			tz_local_date(ny, c, &y, &mon, &d, &wday, &minute);
			assert_int_equal(minute, five_pm);
			assert_true(mask & (1u << wday));
			/* None missed: each day of the week before C's is outside the mask or past.
			 */
			for (int k = 1; k <= 7; k++)
				assert_true((mask & (1u << ((wday + 7 - k) % 7))) == 0 ||
				            tz_local_to_utc(ny, y, mon, d - k, five_pm) < now);
		}
	}
}

static void test_next_cutoff_keeps_wall_time_across_dst(void **state)
{
	const struct tz *ny = zone("America/New_York");
	const struct tz *lon = zone("Europe/London");
	const struct tz *lh = zone("Australia/Lord_Howe");
	(void)state;
	/* Friday 17:00 EST is 22:00Z; Monday 17:00 EDT is 21:00Z. */
	assert_ms_equal(cal_next_cutoff(ny, utc(2024, 3, 8, 12, 0), 17 * 60, CAL_WEEKDAYS),
	                utc(2024, 3, 8, 22, 0));
	assert_ms_equal(cal_next_cutoff(ny, utc(2024, 3, 8, 22, 0) + 1, 17 * 60, CAL_WEEKDAYS),
	                utc(2024, 3, 11, 21, 0));
	/* London in autumn: 16:00 BST (15:00Z) on Friday, 16:00 GMT (16:00Z) on Monday. */
	assert_ms_equal(cal_next_cutoff(lon, utc(2024, 10, 25, 15, 0) + 1, 16 * 60, CAL_WEEKDAYS),
	                utc(2024, 10, 28, 16, 0));
	/* The footer era behaves the same (New York's table ends in 2037). */
	assert_ms_equal(cal_next_cutoff(ny, utc(2091, 3, 9, 22, 0) + 1, 17 * 60, CAL_WEEKDAYS),
	                utc(2091, 3, 12, 21, 0));
	/* A cutoff inside the spring gap: 02:30 is read as EST, 03:30 EDT. */
	assert_ms_equal(cal_next_cutoff(ny, utc(2024, 3, 10, 0, 0), 150, CAL_ALL_DAYS),
	                utc(2024, 3, 10, 7, 30));
	/* A cutoff inside the autumn overlap happens once, at its first 01:30 (EDT) ... */
	assert_ms_equal(cal_next_cutoff(ny, utc(2024, 11, 3, 0, 0), 90, CAL_ALL_DAYS),
	                utc(2024, 11, 3, 5, 30));
	/* ... so after it, the next is Monday's 01:30 EST, not the repeated hour. */
	assert_ms_equal(cal_next_cutoff(ny, utc(2024, 11, 3, 5, 30) + 1, 90, CAL_ALL_DAYS),
	                utc(2024, 11, 4, 6, 30));
	/* Lord Howe's half-hour change: 17:00 +11 then 17:00 +10:30. */
	assert_ms_equal(cal_next_cutoff(lh, utc(2024, 4, 5, 6, 0) + 1, 17 * 60, CAL_WEEKDAYS),
	                utc(2024, 4, 8, 6, 30));
}

static void test_delivery_by_is_end_of_local_day(void **state)
{
	const struct tz *ny = zone("America/New_York");
	const struct tz *u = zone("UTC");
	(void)state;
	/* Shipped Friday 17:00 EDT: the same day ends at 03:59:59.999Z. */
	assert_ms_equal(cal_delivery_by(ny, utc(2024, 6, 7, 21, 0), 0), utc(2024, 6, 8, 4, 0) - 1);
	assert_ms_equal(cal_delivery_by(ny, utc(2024, 6, 7, 21, 0), 2), utc(2024, 6, 10, 4, 0) - 1);
	/* Friday 22:00 EDT is Saturday in UTC; the local date counts. */
	assert_ms_equal(cal_delivery_by(ny, utc(2024, 6, 8, 2, 0), 0), utc(2024, 6, 8, 4, 0) - 1);
	/* Shipped in EST, delivered in EDT: Sunday 2024-03-10 has 23 hours. */
	assert_ms_equal(cal_delivery_by(ny, utc(2024, 3, 9, 22, 0), 1), utc(2024, 3, 11, 4, 0) - 1);
	assert_ms_equal(cal_delivery_by(ny, utc(2024, 3, 9, 22, 0), 0), utc(2024, 3, 10, 5, 0) - 1);
	/* Across a month and a year end. */
	assert_ms_equal(cal_delivery_by(u, utc(2024, 12, 30, 10, 0), 3), utc(2025, 1, 3, 0, 0) - 1);
	/* At the first and last millisecond of a day. */
	assert_ms_equal(cal_delivery_by(u, utc(2024, 6, 7, 0, 0), 0), utc(2024, 6, 8, 0, 0) - 1);
	assert_ms_equal(cal_delivery_by(u, utc(2024, 6, 8, 0, 0) - 1, 0),
	                utc(2024, 6, 8, 0, 0) - 1);
	/* A transit the calendar does not take never delivers. */
	assert_ms_equal(cal_delivery_by(u, 0, -1), INT64_MAX);
	assert_ms_equal(cal_delivery_by(u, 0, CAL_TRANSIT_MAX + 1), INT64_MAX);
	assert_ms_equal(cal_delivery_by(u, 0, CAL_TRANSIT_MAX),
	                (int64_t)(CAL_TRANSIT_MAX + 1) * DAY - 1);
}

/* The definition, walked cutoff by cutoff from NOW. */
static int64_t latest_by_walking(const struct tz *z, int64_t now, int minute, unsigned mask,
                                 int transit, int64_t promised)
{
	int64_t best = -1;
	for (int64_t c = cal_next_cutoff(z, now, minute, mask); c != -1 && c <= promised;
	     c = cal_next_cutoff(z, c + 1, minute, mask))
		if (cal_delivery_by(z, c, transit) <= promised)
			best = c;
	return best;
}

static void test_latest_cutoff_for_promise(void **state)
{
	const struct tz *u = zone("UTC");
	const struct tz *ny = zone("America/New_York");
	const int five_pm = 17 * 60;
	const int64_t monday = utc(2024, 6, 3, 8, 0);
	(void)state;
	/* Two days' transit, promised by the end of Friday 2024-06-07: Wednesday's truck. */
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 2, utc(2024, 6, 8, 0, 0) - 1),
	    utc(2024, 6, 5, 17, 0));
	/* One millisecond less and Wednesday's parcel is late: Tuesday's. */
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 2, utc(2024, 6, 8, 0, 0) - 2),
	    utc(2024, 6, 4, 17, 0));
	/* Promised by Monday night: Friday's, because the weekend has no truck. */
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 2, utc(2024, 6, 11, 0, 0) - 1),
	    utc(2024, 6, 7, 17, 0));
	/* Promised too soon: none. */
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 2, utc(2024, 6, 5, 12, 0)), -1);
	/* The only good truck is the one at NOW; a millisecond later there is none. */
	assert_ms_equal(cal_latest_cutoff_for(u, utc(2024, 6, 5, 17, 0), five_pm, CAL_WEEKDAYS, 2,
	                                      utc(2024, 6, 8, 0, 0) - 1),
	                utc(2024, 6, 5, 17, 0));
	assert_ms_equal(cal_latest_cutoff_for(u, utc(2024, 6, 5, 17, 0) + 1, five_pm, CAL_WEEKDAYS,
	                                      2, utc(2024, 6, 8, 0, 0) - 1),
	                -1);
	/* A promise in the past, an empty mask, a bad transit. */
	assert_ms_equal(cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 0, monday - 1), -1);
	assert_ms_equal(cal_latest_cutoff_for(u, monday, five_pm, 0, 2, monday + 30 * DAY), -1);
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, -1, monday + 30 * DAY), -1);
	/* A promise three years out is answered without walking three years: Friday 2027-03-05's
	 * truck for a promise of Monday 2027-03-08's end. */
	assert_ms_equal(
	    cal_latest_cutoff_for(u, monday, five_pm, CAL_WEEKDAYS, 1, utc(2027, 3, 9, 0, 0) - 1),
	    utc(2027, 3, 5, 17, 0));
	/* New York around both DST changes, against the definition walked cutoff by cutoff. */
	for (int64_t promised = utc(2024, 3, 1, 0, 0); promised < utc(2024, 3, 25, 0, 0);
	     promised += 7 * HOUR + 11 * MINUTE) {
		for (int transit = 0; transit <= 3; transit++) {
			int64_t now = utc(2024, 2, 25, 9, 0);
			assert_ms_equal(
			    cal_latest_cutoff_for(ny, now, five_pm, CAL_MON | CAL_WED | CAL_SAT,
			                          transit, promised),
			    latest_by_walking(ny, now, five_pm, CAL_MON | CAL_WED | CAL_SAT,
			                      transit, promised));
			now = utc(2024, 10, 25, 9, 0);
			assert_ms_equal(cal_latest_cutoff_for(ny, now, 90, CAL_ALL_DAYS, transit,
			                                      promised + 245 * DAY),
			                latest_by_walking(ny, now, 90, CAL_ALL_DAYS, transit,
			                                  promised + 245 * DAY));
		}
	}
}

/* Each test starts with an empty cache and leaves none behind (valgrind, ASan). */
static int clear_cache(void **state)
{
	(void)state;
	tz_cache_clear();
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, clear_cache, clear_cache)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_offset_matches_glibc_across_zones_and_centuries),
		T(test_footer_rules_match_glibc_for_every_date_form),
		T(test_footer_permanent_dst_idiom_stays_in_dst),
		T(test_local_to_utc_resolves_gap_forward_and_overlap_earlier),
		T(test_local_to_utc_round_trips_every_wall_time),
		T(test_local_to_utc_normalises_out_of_range_fields),
		T(test_local_date_reports_weekday_and_minute),
		T(test_unknown_and_unsafe_zone_names_refused),
		T(test_utc_is_built_in_and_zones_are_cached),
		T(test_get_from_many_threads_loads_one_zone),
		T(test_truncated_or_corrupt_tzif_refused),
		T(test_malformed_footers_refused),
		T(test_parse_hhmm_refuses_malformed),
		T(test_next_cutoff_skips_days_outside_mask),
		T(test_next_cutoff_keeps_wall_time_across_dst),
		T(test_delivery_by_is_end_of_local_day),
		T(test_latest_cutoff_for_promise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
