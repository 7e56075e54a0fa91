/* tz.c - time zones from TZif files (see tz.h). Formats: RFC 8536 and POSIX TZ strings. */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_DIR "/usr/share/zoneinfo/"
#define DAY    86400
/* The largest tzdata file is under 4 KiB; anything much bigger is not a zone. */
#define TZ_FILE_MAX   (256 * 1024)
#define TZ_FOOTER_MAX 128
/* tzdata has about 600 names and failures are not cached, so this is never reached in use;
 * it only bounds the table if something loops over made-up names. */
#define TZ_CACHE_MAX 2048
/* RFC 8536 section 3.2: utoff should be within -24:59:59..25:59:59. Holding offsets to this keeps
 * tz_local_to_utc()'s two-day search window sufficient. */
#define TZ_OFF_MIN (-89999)
#define TZ_OFF_MAX 93599
/* Transitions beyond +-2^60 s are refused so that sums with offsets cannot overflow; zic's
 * earliest "big bang" transition is -2^59. */
#define TZ_TIME_LIMIT ((int64_t)1 << 60)
/* tz_local_to_utc() accepts the years 0000-9999: seconds from the epoch to their ends. */
#define LOCAL_MIN (-62167219200LL)
#define LOCAL_MAX 253402300799LL

/* A POSIX TZ rule date: Jn (1-365, never counting Feb 29), n (0-365, counting it) or Mm.w.d. */
enum { WHEN_J = 1, WHEN_N, WHEN_M };

struct tz_when {
	int kind;
	int m, w, d;  /* WHEN_M: month, week 1-5 (5 = last), weekday 0 = Sunday; else d = n */
	int32_t secs; /* local time of the change; -167 h..167 h since TZif v3 */
};

/* The footer's rule for instants after the last transition. */
struct tz_rule {
	int32_t std_off, dst_off; /* seconds east */
	bool has_dst;
	struct tz_when start; /* into DST, in standard local time */
	struct tz_when end;   /* out of DST, in daylight local time */
};

/* One allocation: the struct, then AT, OFF and TYPE (tz_free() is free()). */
struct tz {
	char name[TZ_NAME_MAX + 1];
	size_t ntrans;
	int64_t *at;   /* transition instants, seconds, strictly ascending */
	uint8_t *type; /* the local time type from each transition on */
	size_t ntypes;
	int32_t *off; /* each type's offset; type 0 also holds before the first transition */
	bool has_rule;
	struct tz_rule rule;
};

/* Built in so that "UTC" works on a machine without tzdata. */
static int32_t utc_off[1];
static const struct tz tz_utc = { .name = "UTC", .ntypes = 1, .off = utc_off };

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tz **cache; /* guarded by cache_mu */
static size_t cache_n, cache_cap;

/* ---- calendar arithmetic (proleptic Gregorian, after Howard Hinnant's algorithms) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return len[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 1970-01-01 to Y-M-D; M is 1-12, D may run past the month. */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t utc_year(int64_t t)
{
	int64_t y;
	int m, d;
	civil_from_days(floor_div(t, DAY), &y, &m, &d);
	return y;
}

/* ---- the footer's POSIX TZ rule ---- */

/* The day (from the epoch) on which rule date W falls in year Y. */
static int64_t when_day(const struct tz_when *w, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);
	if (w->kind == WHEN_J)
		return jan1 + w->d - 1 + (is_leap(y) && w->d >= 60);
	if (w->kind == WHEN_N)
		return jan1 + w->d;
	int64_t first = days_from_civil(y, w->m, 1);
	int wd1 = (int)floor_mod(first + 4, 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
	int64_t day = first + (w->d - wd1 + 7) % 7 + 7 * (w->w - 1);
	while (day - first >= days_in_month(y, w->m))
		day -= 7; /* week 5 means the last such weekday */
	return day;
}

/* The rule's two changes in year Y, as UTC seconds: into DST, out of DST. */
static void rule_year(const struct tz_rule *r, int64_t y, int64_t ev[2])
{
	ev[0] = when_day(&r->start, y) * DAY + r->start.secs - r->std_off;
	ev[1] = when_day(&r->end, y) * DAY + r->end.secs - r->dst_off;
}

/*
 * The rule's offset at T: the offset after the latest change at or before T. Changes are taken
 * from neighbouring years too, because a change time of up to 167 h can push a year's change
 * into the next year. On a tie the later one in rule order wins, so "EST5EDT,0/0,J365/25"
 * (the tz idiom for DST all year) stays in DST when one year's end meets the next one's start.
 */
static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t y = utc_year(t), best = INT64_MIN, ev[2];
	int32_t off = r->std_off;
	for (int64_t yy = y - 2; yy <= y + 1; yy++) {
		rule_year(r, yy, ev);
		if (ev[0] <= t && ev[0] >= best) {
			best = ev[0];
			off = r->dst_off;
		}
		if (ev[1] <= t && ev[1] >= best) {
			best = ev[1];
			off = r->std_off;
		}
	}
	return off;
}

/* The first change of the rule after T, or INT64_MAX. */
static int64_t rule_next(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return INT64_MAX;
	int64_t y = utc_year(t), next = INT64_MAX, ev[2];
	for (int64_t yy = y - 1; yy <= y + 2; yy++) {
		rule_year(r, yy, ev);
		for (int i = 0; i < 2; i++)
			if (ev[i] > t && ev[i] < next)
				next = ev[i];
	}
	return next;
}

/* ---- POSIX TZ string parser (the footer); locale-free on purpose ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* 1-3 digits, at most MAX; NULL otherwise. */
static const char *p_num(const char *p, int max, int *v)
{
	int n = 0, x = 0;
	while (p && is_digit(*p) && n < 3) {
		x = x * 10 + (*p++ - '0');
		n++;
	}
	if (p == NULL || n == 0 || is_digit(*p) || x > max)
		return NULL;
	*v = x;
	return p;
}

/* [+-]hh[:mm[:ss]] with hh at most MAXH, as signed seconds (the sign as written). */
static const char *p_hms(const char *p, int maxh, int32_t *secs)
{
	int h, m = 0, s = 0;
	bool neg = false;
	if (p == NULL)
		return NULL;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	p = p_num(p, maxh, &h);
	if (p && *p == ':') {
		p = p_num(p + 1, 59, &m);
		if (p && *p == ':')
			p = p_num(p + 1, 59, &s);
	}
	if (p)
		*secs = (neg ? -1 : 1) * (h * 3600 + m * 60 + s);
	return p;
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits, '+' and '-'. */
static const char *p_name(const char *p)
{
	const char *s;
	if (p == NULL)
		return NULL;
	if (*p == '<') {
		for (s = ++p; is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-'; p++)
			;
		return (p - s >= 3 && *p == '>') ? p + 1 : NULL;
	}
	for (s = p; is_alpha(*p); p++)
		;
	return p - s >= 3 ? p : NULL;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static const char *p_when(const char *p, struct tz_when *w)
{
	if (p == NULL)
		return NULL;
	w->secs = 2 * 3600;
	if (*p == 'J') {
		w->kind = WHEN_J;
		p = p_num(p + 1, 365, &w->d);
		if (p && w->d < 1)
			return NULL;
	} else if (*p == 'M') {
		w->kind = WHEN_M;
		p = p_num(p + 1, 12, &w->m);
		if (p == NULL || w->m < 1 || *p != '.')
			return NULL;
		p = p_num(p + 1, 5, &w->w);
		if (p == NULL || w->w < 1 || *p != '.')
			return NULL;
		p = p_num(p + 1, 6, &w->d);
	} else {
		w->kind = WHEN_N;
		p = p_num(p, 365, &w->d);
	}
	if (p && *p == '/')
		p = p_hms(p + 1, 167, &w->secs);
	return p;
}

static bool off_ok(int32_t off)
{
	return off >= TZ_OFF_MIN && off <= TZ_OFF_MAX;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]. 0 or -1. */
static int parse_rule(const char *s, struct tz_rule *r)
{
	int32_t std, dst;
	const char *p = p_hms(p_name(s), 24, &std);
	memset(r, 0, sizeof(*r));
	if (p == NULL)
		return -1;
	r->std_off = r->dst_off = -std; /* POSIX offsets count west */
	if (*p != '\0') {
		r->has_dst = true;
		p = p_name(p);
		if (p == NULL)
			return -1;
		r->dst_off = r->std_off + 3600;
		if (*p != ',' && *p != '\0') {
			p = p_hms(p, 24, &dst);
			if (p == NULL)
				return -1;
			r->dst_off = -dst;
		}
		if (*p == '\0') {
			/* No dates: the US rules, as glibc and tzcode assume. zic always writes
			 * them. */
			r->start = (struct tz_when){ WHEN_M, 3, 2, 0, 2 * 3600 };
			r->end = (struct tz_when){ WHEN_M, 11, 1, 0, 2 * 3600 };
		} else {
			if (*p != ',')
				return -1;
			p = p_when(p + 1, &r->start);
			if (p == NULL || *p != ',')
				return -1;
			p = p_when(p + 1, &r->end);
			if (p == NULL || *p != '\0')
				return -1;
		}
	}
	return off_ok(r->std_off) && off_ok(r->dst_off) ? 0 : -1;
}

/* ---- TZif reader (RFC 8536) ---- */

struct reader {
	const unsigned char *p;
	size_t left;
};

static const unsigned char *take(struct reader *r, size_t n)
{
	const unsigned char *p = r->p;
	if (n > r->left)
		return NULL;
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct header {
	int version; /* 1-4 */
	uint32_t isut, isstd, leap, time, type, chars;
};

static int read_header(struct reader *r, struct header *h)
{
	const unsigned char *p = take(r, 44);
	if (p == NULL || memcmp(p, "TZif", 4) != 0 || (p[4] != 0 && (p[4] < '2' || p[4] > '4')))
		return -1;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	return 0;
}

/* Bytes of the data block that follows header H, with TSIZE-byte times (4 in v1, 8 after). */
static uint64_t body_len(const struct header *h, int tsize)
{
	return (uint64_t)h->time * (uint64_t)(tsize + 1) + (uint64_t)h->type * 6 + h->chars +
	       (uint64_t)h->leap * (uint64_t)(tsize + 4) + h->isstd + h->isut;
}

/* Reads and checks a data block into Z, whose arrays are sized from H. */
static int read_body(struct reader *r, const struct header *h, int tsize, struct tz *z)
{
	const unsigned char *times = take(r, (size_t)h->time * (size_t)tsize);
	const unsigned char *idx = take(r, h->time);
	const unsigned char *types = take(r, (size_t)h->type * 6);
	if (times == NULL || idx == NULL || types == NULL ||
	    take(r, (size_t)h->chars + h->isstd + h->isut) == NULL)
		return -1;
	for (size_t i = 0; i < h->time; i++) {
		const unsigned char *t = times + i * (size_t)tsize;
		z->at[i] = tsize == 8 ? be64(t) : (int64_t)(int32_t)be32(t);
		z->type[i] = idx[i];
		if (idx[i] >= h->type || z->at[i] < -TZ_TIME_LIMIT || z->at[i] > TZ_TIME_LIMIT ||
		    (i > 0 && z->at[i] <= z->at[i - 1]))
			return -1;
	}
	for (size_t i = 0; i < h->type; i++) {
		const unsigned char *t = types + i * 6;
		z->off[i] = (int32_t)be32(t);
		if (!off_ok(z->off[i]) || t[4] > 1 || t[5] >= h->chars)
			return -1;
	}
	z->ntrans = h->time;
	z->ntypes = h->type;
	return 0;
}

/* The footer: "\n" POSIX-TZ-string "\n", ending the file. An empty string means no rule. */
static int read_footer(struct reader *r, struct tz *z)
{
	char s[TZ_FOOTER_MAX + 1];
	const unsigned char *nl;
	size_t n;
	if (r->left < 2 || r->p[0] != '\n')
		return -1;
	nl = memchr(r->p + 1, '\n', r->left - 1);
	n = nl ? (size_t)(nl - r->p) - 1 : 0;
	if (nl == NULL || n > TZ_FOOTER_MAX || r->left != n + 2 || memchr(r->p + 1, '\0', n))
		return -1;
	memcpy(s, r->p + 1, n);
	s[n] = '\0';
	r->left = 0;
	if (n == 0)
		return 0;
	z->has_rule = true;
	return parse_rule(s, &z->rule);
}

int tz_new(const char *name, const void *tzif, size_t len, struct tz **out)
{
	struct reader r = { tzif, len };
	struct header h;
	struct tz *z = NULL;
	int tsize = 4;
	size_t nlen = name ? strnlen(name, TZ_NAME_MAX + 1) : 0;

	if (name == NULL || nlen > TZ_NAME_MAX || tzif == NULL || read_header(&r, &h) != 0)
		goto fail;
	if (h.version >= 2) {
		/* The v1 block only serves old readers; the 64-bit block after it is complete. */
		if (body_len(&h, 4) > r.left || take(&r, (size_t)body_len(&h, 4)) == NULL ||
		    read_header(&r, &h) != 0)
			goto fail;
		tsize = 8;
	}
	/* Leap-second ("right/") zones count TAI-like seconds; the engine counts POSIX time. */
	if (h.type == 0 || h.chars == 0 || h.leap != 0 || (h.isstd != 0 && h.isstd != h.type) ||
	    (h.isut != 0 && h.isut != h.type) || body_len(&h, tsize) > r.left)
		goto fail;
	/* Sizes are bounded by LEN now, so the sum cannot overflow. */
	z = calloc(1, sizeof(*z) + (size_t)h.time * (sizeof(int64_t) + 1) +
	                  (size_t)h.type * sizeof(int32_t));
	if (z == NULL)
		goto fail;
	memcpy(z->name, name, nlen);
	z->at = (int64_t *)(z + 1);
	z->off = (int32_t *)(z->at + h.time);
	z->type = (uint8_t *)(z->off + h.type);
	if (read_body(&r, &h, tsize, z) != 0)
		goto fail;
	if (tsize == 8 ? read_footer(&r, z) != 0 : r.left != 0)
		goto fail;
	*out = z;
	return 0;
fail:
	free(z);
	return -1;
}

void tz_free(struct tz *z)
{
	free(z);
}

/* ---- conversions ---- */

/* Offset at T (seconds): type 0 before the first transition, the footer's rule from the last
 * one on (or everywhere when there are none), the transition table in between. */
static int32_t offset_at(const struct tz *z, int64_t t)
{
	if (z->ntrans == 0 || t >= z->at[z->ntrans - 1])
		return z->has_rule ? rule_offset(&z->rule, t)
		                   : z->off[z->ntrans ? z->type[z->ntrans - 1] : 0];
	if (t < z->at[0])
		return z->off[0];
	size_t lo = 0, hi = z->ntrans - 1; /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[z->type[lo]];
}

/* The first instant after T at which the offset may change, or INT64_MAX. */
static int64_t next_change(const struct tz *z, int64_t t)
{
	if (z->ntrans == 0 || t >= z->at[z->ntrans - 1])
		return z->has_rule ? rule_next(&z->rule, t) : INT64_MAX;
	if (t < z->at[0])
		return z->at[0];
	size_t lo = 0, hi = z->ntrans - 1; /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->at[hi];
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

int32_t tz_offset(const struct tz *z, int64_t utc_ms)
{
	return offset_at(z, floor_div(utc_ms, 1000));
}

/*
 * Walks the stretches of constant offset from two days before the wall time (offsets stay
 * within +-26 h) and stops at the first stretch that reaches the wall time: its instant is the
 * earlier one of an overlap, and if the stretch begins after it, the wall time fell into a gap
 * and is read with the offset before the gap.
 */
int64_t tz_local_to_utc(const struct tz *z, int y, int mon, int d, int minute_of_day)
{
	int64_t yy = (int64_t)y + floor_div((int64_t)mon - 1, 12);
	int m = (int)floor_mod((int64_t)mon - 1, 12) + 1;
	int64_t local =
	    (days_from_civil(yy, m, 1) + (int64_t)d - 1) * DAY + (int64_t)minute_of_day * 60;
	if (local < LOCAL_MIN || local > LOCAL_MAX)
		return INT64_MIN;

	int64_t u = local - 2 * DAY;
	int32_t o = offset_at(z, u), before = o;
	for (;;) {
		int64_t next = next_change(z, u); /* [u, next) has offset o */
		if (local - o < next)
			return (local - (local - o >= u ? o : before)) * 1000;
		before = o;
		u = next;
		o = offset_at(z, u);
	}
}

void tz_local_date(const struct tz *z, int64_t utc_ms, int *y, int *mon, int *d, int *wday,
                   int *minute_of_day)
{
	int64_t t = floor_div(utc_ms, 1000), yy;
	t += offset_at(z, t);
	int64_t days = floor_div(t, DAY);
	civil_from_days(days, &yy, mon, d);
	*y = (int)yy;
	*wday = (int)floor_mod(days + 3, 7); /* 1970-01-01 was a Thursday; 0 = Monday */
	*minute_of_day = (int)((t - days * DAY) / 60);
}

/* ---- the cache ---- */

/* Names become paths, so only what tzdata uses is let through: no "..", no absolute paths. */
static bool name_ok(const char *name)
{
	size_t n = strnlen(name, TZ_NAME_MAX + 1);
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/' ||
	    strstr(name, "..") || strstr(name, "//"))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' && c != '-' && c != '/')
			return false;
	}
	return true;
}

static int load_file(const char *name, struct tz **out)
{
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX];
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	int rc = -1;

	memcpy(path, TZ_DIR, sizeof(TZ_DIR) - 1);
	memcpy(path + sizeof(TZ_DIR) - 1, name, strlen(name) + 1);
	/* O_NONBLOCK: a FIFO planted under zoneinfo must not hang the caller holding the lock. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > TZ_FILE_MAX)
		goto fail;
	buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	rc = tz_new(name, buf, got, out);
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int tz_get(const char *name, const struct tz **out)
{
	struct tz *z;
	int rc = -1;

	if (name == NULL || !name_ok(name))
		return -1;
	if (strcmp(name, "UTC") == 0) {
		*out = &tz_utc;
		return 0;
	}
	pthread_mutex_lock(&cache_mu);
	/* A linear scan: a process uses a handful of zones, and this runs once per request. */
	for (size_t i = 0; i < cache_n; i++) {
		if (strcmp(cache[i]->name, name) == 0) {
			*out = cache[i];
			rc = 0;
			goto done;
		}
	}
	if (cache_n == TZ_CACHE_MAX)
		goto done;
	if (cache_n == cache_cap) {
		size_t cap = cache_cap ? cache_cap * 2 : 16;
		struct tz **grown = realloc(cache, cap * sizeof(*grown));
		if (grown == NULL)
			goto done;
		cache = grown;
		cache_cap = cap;
	}
	if (load_file(name, &z) != 0)
		goto done;
	cache[cache_n++] = z;
	*out = z;
	rc = 0;
done:
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

void tz_cache_clear(void)
{
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < cache_n; i++)
		tz_free(cache[i]);
	free(cache);
	cache = NULL;
	cache_n = cache_cap = 0;
	pthread_mutex_unlock(&cache_mu);
}
