/*
 * wms/time.h - timestamps on the wire: RFC 3339, held as milliseconds since the Unix epoch (UTC).
 *
 * The engine keeps every instant as int64_t milliseconds UTC ("ms"). On the wire instants are
 * RFC 3339 strings; the engine writes them in UTC with a "Z" and adds ".mmm" only when the
 * milliseconds are not zero. Parsing accepts any RFC 3339 date-time: 'T' or 't' or one space,
 * fractional seconds (truncated to milliseconds), "Z"/"z" or a numeric offset.
 *
 * Threading: pure functions. Errors: WMS_ETIME for anything that is not a valid instant.
 */
#ifndef WMS_TIME_H
#define WMS_TIME_H

#include <stddef.h>
#include <stdint.h>

#define WMS_TIME_BUFSZ 32
#define WMS_MS_PER_DAY 86400000LL

/* Parses an RFC 3339 date-time into *MS. Returns 0 or WMS_ETIME (leaves *MS alone). */
int wms_time_parse(const char *s, int64_t *ms);

/* Writes MS as "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into BUF (WMS_TIME_BUFSZ bytes). Returns BUF. */
char *wms_time_format(int64_t ms, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date (any year in 1..9999). */
int64_t wms_days_from_civil(int y, unsigned m, unsigned d);

/* The civil date of a day number (inverse of wms_days_from_civil). */
void wms_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);

/* Days in month M of year Y (M 1..12). */
unsigned wms_days_in_month(int y, unsigned m);

/* The current wall-clock time in ms (CLOCK_REALTIME). The engine reads it only in its clock. */
int64_t wms_wall_ms(void);

#endif
