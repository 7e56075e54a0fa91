/* cal.c - the carrier-cutoff calendar (see cal.h). All calendar arithmetic is left to tz. */
#include "cal.h"

#include <stddef.h>

#define DAY_MS (86400 * (int64_t)1000)

int cal_parse_hhmm(const char *s, int *minute)
{
	/* By hand rather than sscanf("%2d:%2d"), which also takes " 7:5", "+1:30" and "07:5". */
	if (s == NULL)
		return -1;
	for (int i = 0; i < 5; i++)
		if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (s[5] != '\0' || h > 23 || m > 59)
		return -1;
	*minute = h * 60 + m;
	return 0;
}

int64_t cal_next_cutoff(const struct tz *z, int64_t now_ms, int minute, unsigned days_mask)
{
	int y, mon, d, wday, min;
	if ((days_mask & CAL_ALL_DAYS) == 0 || minute < 0 || minute >= 24 * 60)
		return -1;
	tz_local_date(z, now_ms, &y, &mon, &d, &wday, &min);
	/*
	 * Each day's cutoff from the local date of NOW on; eight days always reach a day in the
	 * mask. Yesterday is tried first because its cutoff can fall into a gap that spans
	 * midnight and be shifted forward into today.
	 */
	for (int i = -1; i <= 7; i++) {
		if ((days_mask & (1u << ((wday + i + 7) % 7))) == 0)
			continue;
		int64_t c = tz_local_to_utc(z, y, mon, d + i, minute);
		if (c == INT64_MIN)
			return -1; /* beyond the year 9999 */
		if (c >= now_ms)
			return c;
	}
	return -1;
}

int64_t cal_delivery_by(const struct tz *z, int64_t ship_ms, int transit_days)
{
	int y, mon, d, wday, min;
	if (transit_days < 0 || transit_days > CAL_TRANSIT_MAX)
		return INT64_MAX;
	tz_local_date(z, ship_ms, &y, &mon, &d, &wday, &min);
	int64_t next_day = tz_local_to_utc(z, y, mon, d + transit_days + 1, 0);
	return next_day == INT64_MIN ? INT64_MAX : next_day - 1;
}

int64_t cal_latest_cutoff_for(const struct tz *z, int64_t now_ms, int minute, unsigned days_mask,
                              int transit_days, int64_t promised_by_ms)
{
	int64_t best = -1, from = now_ms, c;
	if (transit_days < 0 || transit_days > CAL_TRANSIT_MAX || promised_by_ms < now_ms)
		return -1;
	/*
	 * A cutoff on day D delivers by the end of D + transit, so the latest good one lies within
	 * a week before the promise's date minus the transit: TRANSIT_DAYS + 10 days before the
	 * promise leaves two days for offsets. Starting there bounds the walk however far away
	 * the promise is.
	 */
	int64_t span = (transit_days + 10) * DAY_MS;
	if ((uint64_t)promised_by_ms - (uint64_t)now_ms > (uint64_t)span)
		from = promised_by_ms - span;
	for (c = cal_next_cutoff(z, from, minute, days_mask); c != -1 && c <= promised_by_ms;
	     c = cal_next_cutoff(z, c + 1, minute, days_mask))
		if (cal_delivery_by(z, c, transit_days) <= promised_by_ms)
			best = c;
	return best;
}
