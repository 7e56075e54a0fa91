/* time.c - RFC 3339 parsing and formatting (see wms/time.h). */
#include "wms/time.h"

#include "wms/errors.h"

#include <stdio.h>
#include <time.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t wms_days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void wms_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

unsigned wms_days_in_month(int y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int wms_time_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, se;
	if (s == NULL)
		return WMS_ETIME;
	/* YYYY-MM-DDTHH:MM:SS is 19 fixed characters. */
	for (int i = 0; i < 19; i++)
		if (s[i] == '\0')
			return WMS_ETIME;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		return WMS_ETIME;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > (int)wms_days_in_month(y, (unsigned)mo) ||
	    h > 23 || mi > 59 || se > 60)
		return WMS_ETIME;
	if (se == 60) /* a leap second is the last instant of its minute */
		se = 59;
	const char *p = s + 19;
	int frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return WMS_ETIME;
		for (; n < 3; n++)
			frac *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return WMS_ETIME;
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return WMS_ETIME;
	}
	if (*p != '\0')
		return WMS_ETIME;
	int64_t days = wms_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)offset_min * 60;
	*ms = secs * 1000 + frac;
	return 0;
}

/* N decimal digits of V, zero-padded, at *P. */
static void put_digits(char **p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		(*p)[i] = (char)('0' + v % 10);
	*p += n;
}

char *wms_time_format(int64_t ms, char *buf)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int milli = (int)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	int y;
	unsigned m, d;
	wms_civil_from_days(days, &y, &m, &d);
	int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), s = (int)(rem % 60);
	if (y < 0 || y > 9999) {
		if (milli)
			snprintf(buf, WMS_TIME_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m,
			         d, h, mi, s, milli);
		else
			snprintf(buf, WMS_TIME_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, h,
			         mi, s);
		return buf;
	}
	/* Every event and document carries times: written digit by digit, not by snprintf,
	 * which cost the writer thread more than the rest of the formatting together. */
	char *p = buf;
	put_digits(&p, (unsigned)y, 4);
	*p++ = '-';
	put_digits(&p, m, 2);
	*p++ = '-';
	put_digits(&p, d, 2);
	*p++ = 'T';
	put_digits(&p, (unsigned)h, 2);
	*p++ = ':';
	put_digits(&p, (unsigned)mi, 2);
	*p++ = ':';
	put_digits(&p, (unsigned)s, 2);
	if (milli) {
		*p++ = '.';
		put_digits(&p, (unsigned)milli, 3);
	}
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

int64_t wms_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
