/*
 * cal.h - the carrier-cutoff calendar: when the next truck leaves, when a parcel arrives, and
 * the last truck that still keeps a promise.
 *
 * A carrier's cutoff is a local wall time on some weekdays ("17:00, Mon-Fri" in the
 * warehouse's zone); its transit is counted in local calendar days. These functions turn that
 * into UTC instants (int64 ms since the Unix epoch) with tz, so that a cutoff stays at 17:00 on
 * the wall across DST changes. Wall times that fall into a gap or an overlap follow
 * tz_local_to_utc(): shifted forward by the gap, the earlier instant of an overlap.
 *
 * Pure functions of their arguments (time is a parameter: callers pass `now`); safe from any
 * thread. The zone is borrowed for the call.
 *
 * Weekday masks: bit 0 = Monday .. bit 6 = Sunday (CAL_MON .. CAL_SUN); higher bits are ignored.
 */
#ifndef WMS_CAL_H
#define WMS_CAL_H

#include <stdint.h>

#include "tz.h"

#define CAL_MON      (1u << 0)
#define CAL_TUE      (1u << 1)
#define CAL_WED      (1u << 2)
#define CAL_THU      (1u << 3)
#define CAL_FRI      (1u << 4)
#define CAL_SAT      (1u << 5)
#define CAL_SUN      (1u << 6)
#define CAL_WEEKDAYS (CAL_MON | CAL_TUE | CAL_WED | CAL_THU | CAL_FRI)
#define CAL_ALL_DAYS (CAL_WEEKDAYS | CAL_SAT | CAL_SUN)

/* Longest transit accepted, in days (the warehouse schema allows 0-60). */
#define CAL_TRANSIT_MAX 366

/*
 * Parses a cutoff "HH:MM", exactly two digits each, 00:00..23:59, nothing before or after, and
 * writes the minute of the day (0-1439) to *MINUTE. Errors: -1 (*MINUTE untouched).
 */
int cal_parse_hhmm(const char *s, int *minute);

/*
 * The first instant >= NOW_MS at which the local wall clock reads MINUTE (0-1439) on a day
 * whose bit is set in DAYS_MASK. Returns -1 when DAYS_MASK has no bit in 0..6 or MINUTE is out
 * of range (a cutoff is a whole minute, so it is never -1 ms).
 */
int64_t cal_next_cutoff(const struct tz *z, int64_t now_ms, int minute, unsigned days_mask);

/*
 * The last millisecond of the local day TRANSIT_DAYS calendar days after SHIP_MS's local date
 * (0 = the same day): the start of the following local day, minus 1 ms. The start of a day is
 * its midnight by tz_local_to_utc(), so when clocks fall back across midnight the day ends at
 * the first midnight, which is the conservative end for a promise. Returns INT64_MAX ("never",
 * which keeps no promise) when TRANSIT_DAYS is outside 0..CAL_TRANSIT_MAX.
 */
int64_t cal_delivery_by(const struct tz *z, int64_t ship_ms, int transit_days);

/*
 * The latest cutoff c >= NOW_MS (by cal_next_cutoff()'s rule) whose parcel still arrives in
 * time: cal_delivery_by(z, c, TRANSIT_DAYS) <= PROMISED_BY_MS. This is when the order must be
 * packed at the latest. Returns -1 when there is none (the promise cannot be kept, no day in
 * the mask, MINUTE or TRANSIT_DAYS out of range). Only cutoffs in the last TRANSIT_DAYS + 10
 * days before the promise are searched (at most 376 days), which always contains the answer.
 */
int64_t cal_latest_cutoff_for(const struct tz *z, int64_t now_ms, int minute, unsigned days_mask,
                              int transit_days, int64_t promised_by_ms);

#endif
