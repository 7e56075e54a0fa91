/* carrier.c - carrier options and tracking numbers (see carrier.h). */
#include "carrier.h"

#include "cal.h"
#include "store.h"
#include "tz.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static unsigned days_mask(const json_t *days)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	if (days == NULL)
		return CAL_ALL_DAYS;
	unsigned m = 0;
	size_t i;
	json_t *v;
	json_array_foreach(days, i, v) for (unsigned k = 0; k < 7;
	                                    k++) if (strcmp(json_string_value(v), names[k]) == 0)
	    m |= 1u << k;
	return m;
}

static int option_of(const struct tz *z, const json_t *cr, int64_t ready, struct carrier_option *o)
{
	int minute;
	if (cal_parse_hhmm(req_str(cr, "cutoff"), &minute) != 0)
		return -1;
	int64_t cutoff = cal_next_cutoff(z, ready, minute, days_mask(json_object_get(cr, "days")));
	if (cutoff < 0)
		return -1;
	o->carrier = req_str(cr, "carrier");
	o->service = req_str(cr, "service");
	o->transit_days = (int)req_int(cr, "transit_days", 0);
	o->cutoff = cutoff;
	o->delivery_by = cal_delivery_by(z, cutoff, o->transit_days);
	o->cost = req_num(cr, "cost", 0);
	return 0;
}

static int zone_of(const json_t *wh, const struct tz **z)
{
	const char *zone = req_str(wh, "timezone");
	return tz_get(zone ? zone : "UTC", z) == 0 ? 0 : WMS_ETZ;
}

int carrier_best(const json_t *wh, const char *service, const char *carrier, int64_t ready,
                 int64_t promised_by, struct carrier_option *out)
{
	const struct tz *z;
	if (zone_of(wh, &z))
		return WMS_ETZ;
	bool found = false;
	size_t i;
	json_t *cr;
	json_array_foreach(json_object_get(wh, "carriers"), i, cr)
	{
		struct carrier_option o;
		if ((service && strcmp(req_str(cr, "service"), service) != 0) ||
		    (carrier && strcmp(req_str(cr, "carrier"), carrier) != 0) ||
		    option_of(z, cr, ready, &o) != 0)
			continue;
		o.on_time = o.delivery_by <= promised_by;
		/* Among options that keep the promise the cheapest; when none does, the one that
		 * arrives first, since the customer is waiting. */
		bool better = !found || (o.on_time && !out->on_time);
		if (found && o.on_time == out->on_time) {
			if (o.on_time)
				better = o.cost < out->cost ||
				         (o.cost == out->cost && o.delivery_by < out->delivery_by);
			else
				better = o.delivery_by < out->delivery_by ||
				         (o.delivery_by == out->delivery_by && o.cost < out->cost);
		}
		if (better) {
			*out = o;
			found = true;
		}
	}
	return found ? 0 : WMS_ENOTFOUND;
}

int carrier_option(const json_t *wh, const char *carrier, const char *service, int64_t ready,
                   struct carrier_option *out)
{
	const struct tz *z;
	if (zone_of(wh, &z))
		return WMS_ETZ;
	size_t i;
	json_t *cr;
	json_array_foreach(json_object_get(wh, "carriers"), i, cr)
	{
		if (strcmp(req_str(cr, "carrier"), carrier) == 0 &&
		    strcmp(req_str(cr, "service"), service) == 0 &&
		    option_of(z, cr, ready, out) == 0) {
			out->on_time = true;
			return 0;
		}
	}
	return WMS_ENOTFOUND;
}

/* GS1 mod-10 over the digits of S (check digit excluded). */
static int mod10(const char *s)
{
	int sum = 0, w = 3;
	for (int i = (int)strlen(s) - 1; i >= 0; i--, w = 4 - w)
		sum += (s[i] - '0') * w;
	return (10 - sum % 10) % 10;
}

/* UPS: characters after "1Z"; letters count as (value - 63) % 10; odd positions x1, even x2. */
static int ups_check(const char *s)
{
	int sum = 0;
	for (int i = 0; s[i]; i++) {
		int v = isdigit((unsigned char)s[i]) ? s[i] - '0' : (s[i] - 63) % 10;
		sum += (i % 2) ? 2 * v : v;
	}
	return (10 - sum % 10) % 10;
}

int carrier_tracking(struct cmd_ctx *c, const char *carrier, char buf[40])
{
	char name[80];
	uint64_t n;
	snprintf(name, sizeof(name), "tracking/%s", carrier);
	int rc = store_counter_next(c->txn, name, &n);
	if (rc)
		return rc;
	char body[24], up[16];
	if (strcasecmp(carrier, "UPS") == 0) {
		snprintf(body, sizeof(body), "W4M7X301%07" PRIu64, n % 10000000);
		snprintf(buf, 40, "1Z%.23s%d", body, ups_check(body));
	} else if (strcasecmp(carrier, "FedEx") == 0) {
		static const int w[] = { 3, 1, 7 };
		snprintf(body, sizeof(body), "7%010" PRIu64, n % (uint64_t)10000000000);
		int sum = 0, len = (int)strlen(body);
		for (int i = len - 1, k = 0; i >= 0; i--, k++)
			sum += (body[i] - '0') * w[k % 3];
		snprintf(buf, 40, "%.23s%d", body, sum % 11 % 10);
	} else if (strcasecmp(carrier, "USPS") == 0) {
		snprintf(body, sizeof(body), "940011189922%09" PRIu64, n % (uint64_t)1000000000);
		snprintf(buf, 40, "%.23s%d", body, mod10(body));
	} else if (strcasecmp(carrier, "DHL") == 0) {
		uint64_t v = (uint64_t)100000000 + n % 900000000;
		snprintf(buf, 40, "%09" PRIu64 "%d", v, (int)(v % 7));
	} else {
		int k = 0;
		for (const char *p = carrier; *p && k < 12; p++)
			if (isalnum((unsigned char)*p))
				up[k++] = (char)toupper((unsigned char)*p);
		up[k] = '\0';
		snprintf(buf, 40, "%s%010" PRIu64, up, n % (uint64_t)10000000000);
	}
	return 0;
}
