/*
 * tz.h - time zones from the system's TZif files, without the C library's global TZ state.
 *
 * A warehouse's cutoffs and promises are local wall times; the engine counts in UTC
 * milliseconds. This module converts between the two for any IANA zone, reading
 * /usr/share/zoneinfo/<name> itself (RFC 8536: the 64-bit data of TZif v2+, and the POSIX TZ
 * string in the footer for instants after the last transition), because setenv("TZ") +
 * localtime() is process-global and not thread-safe.
 *
 * Threading: tz_get() may be called from any thread (a mutex guards the cache). A zone is
 * immutable once returned, so every other function here may be called concurrently on it.
 *
 * Ownership: a zone from tz_get() is borrowed from a process-wide cache and stays valid until
 * tz_cache_clear(); callers never free it. A zone from tz_new() is owned by the caller
 * (tz_free()).
 *
 * Errors: tz_get() and tz_new() return 0 or -1 (unknown name, refused name, file that is not
 * valid TZif, out of memory); the caller names the field (WMS_ETZ). The conversions cannot
 * fail on a valid zone.
 *
 * Time: instants are int64 milliseconds since the Unix epoch, UTC, without leap seconds (POSIX
 * time). Offsets are seconds east of UTC. Wall times have minute resolution.
 */
#ifndef WMS_TZ_H
#define WMS_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Longest zone name accepted (the warehouse schema's "timezone" limit). */
#define TZ_NAME_MAX 64

struct tz;

/*
 * Finds zone NAME (e.g. "Europe/Berlin"), loading /usr/share/zoneinfo/NAME on first use, and
 * writes it to *OUT (borrowed, valid until tz_cache_clear()). "UTC" is built in and works
 * without tzdata. Names are refused, without touching the disk, when empty, longer than
 * TZ_NAME_MAX, starting or ending with '/', containing "..", an empty component, or a
 * character outside [A-Za-z0-9_+-/]. Files with leap seconds ("right/...") are refused: the
 * engine counts POSIX time. Failures are not cached: a later call tries the disk again.
 * Errors: -1.
 */
int tz_get(const char *name, const struct tz **out);

/*
 * Frees every zone tz_get() has loaded. Only for tests and leak checkers: no zone from
 * tz_get() may be in use, nor tz_get() running, while it runs.
 */
void tz_cache_clear(void);

/*
 * Builds zone NAME (copied; used only by tz_name()) from the TZif bytes TZIF[0..LEN) (borrowed
 * for the call) and writes it to *OUT, owned by the caller. This is tz_get()'s parser without
 * the file system: for zone data that does not come from /usr/share/zoneinfo, for golden and
 * truncated-file tests, and for fuzzing. Errors: -1 on anything that is not a complete, valid
 * TZif v1-v4 file (truncated, unsorted transitions, bad indices, offsets beyond +-26 h, leap
 * seconds, a footer that is not a valid POSIX TZ string).
 */
int tz_new(const char *name, const void *tzif, size_t len, struct tz **out);

/* Frees a zone from tz_new(). Accepts NULL. Never pass a zone from tz_get(). */
void tz_free(struct tz *z);

/* The zone's name as given to tz_get() or tz_new(); valid as long as the zone. */
const char *tz_name(const struct tz *z);

/* Seconds east of UTC in effect at instant UTC_MS (e.g. -14400 for New York in summer). */
int32_t tz_offset(const struct tz *z, int64_t utc_ms);

/*
 * The UTC instant (ms) at which the local wall clock reads year Y, month MON (1-12), day D
 * (1-31), MINUTE_OF_DAY (0-1439), at second 0.
 *
 * The fields are normalised like timegm(): day 32 is the next month's 1st, month 13 the next
 * year's January, minute 1440 the next day's midnight, so callers can add days and minutes
 * without calendar arithmetic.
 *
 * A wall time that does not exist (a gap, when clocks spring forward) is read with the offset
 * in effect before the gap, which is the same as shifting the wall time forward by the gap's
 * length: New York's 02:30 on a spring-forward day gives 03:30 EDT. A wall time that exists
 * twice (an overlap, when clocks fall back) gives the earlier of its two instants: New York's
 * 01:30 on a fall-back day gives 01:30 EDT, not 01:30 EST.
 *
 * Returns INT64_MIN when the normalised date is outside the years 0000-9999.
 */
int64_t tz_local_to_utc(const struct tz *z, int y, int mon, int d, int minute_of_day);

/*
 * The local wall clock at instant UTC_MS: year, month (1-12), day (1-31), weekday (0 = Monday
 * .. 6 = Sunday) and minute of the day (0-1439; seconds are dropped). Every out-parameter is
 * written.
 */
void tz_local_date(const struct tz *z, int64_t utc_ms, int *y, int *mon, int *d, int *wday,
                   int *minute_of_day);

#endif
