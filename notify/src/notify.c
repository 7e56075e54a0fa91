/* notify.c - events to customer messages (see wms/notify.h). */
#include "wms/notify.h"

#include "memo.h"
#include "wms/schema.h"
#include "wms/time.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct wms_notify {
	struct memo *delays;  /* order -> estimate of the last delay notice (NO_ESTIMATE: none) */
	struct memo *transit; /* shipment -> 1 once its first in-transit scan was announced */
	struct memo *orders;  /* order -> its channels and promise (facts_pack) */
	wms_notify_lookup_fn lookup;
	void *lookup_arg;
};

/* A delay notice without a new date: any later notice with a date is news. */
#define NO_ESTIMATE INT64_MIN

/* How many short skus a backorder notice names before "and N more". */
#define SKUS_NAMED 5

int wms_notify_new(const struct wms_notify_opts *opts, struct wms_notify **out)
{
	size_t dcap = opts && opts->delay_memory ? opts->delay_memory : WMS_NOTIFY_MEMORY_DEFAULT;
	size_t tcap =
	    opts && opts->transit_memory ? opts->transit_memory : WMS_NOTIFY_MEMORY_DEFAULT;
	size_t ocap = opts && opts->order_memory ? opts->order_memory : WMS_NOTIFY_MEMORY_DEFAULT;
	struct wms_notify *n = calloc(1, sizeof(*n));
	int rc = WMS_ENOMEM;
	if (n == NULL)
		goto fail;
	if ((rc = memo_new(dcap, &n->delays)) != 0 || (rc = memo_new(tcap, &n->transit)) != 0 ||
	    (rc = memo_new(ocap, &n->orders)) != 0)
		goto fail;
	n->lookup = opts ? opts->lookup : NULL;
	n->lookup_arg = opts ? opts->lookup_arg : NULL;
	*out = n;
	return 0;
fail:
	wms_notify_free(n);
	return rc;
}

void wms_notify_free(struct wms_notify *n)
{
	if (n == NULL)
		return;
	memo_free(n->delays);
	memo_free(n->transit);
	memo_free(n->orders);
	free(n);
}

/* ---- reading an event ---- */

/* What the notifier knows of an order beyond one event: where its customer can be reached. */
#define CH_EMAIL   1u /* ship_to has an email */
#define CH_SMS     2u /* ship_to has a phone */
#define CH_PROMISE 4u /* the promise is known */
struct facts {
	bool resolved; /* looked for already (during this event) */
	bool known;    /* the order's ship_to was seen: channels below are its own */
	unsigned channels;
	int64_t promise; /* with CH_PROMISE */
};

/* The fields every handler uses, read once. Strings are borrowed from the event. */
struct ev {
	const json_t *obj;
	uint64_t seq;
	const char *type;
	const char *tenant;
	const char *order;
	int64_t at; /* the event's time: when the engine recorded it, for the year of dates */
	bool have_at;
	struct facts *facts; /* the order's, found on demand (order_facts) */
};

/* A string field, or NULL when it is missing, not a string, or empty. */
static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && s[0] ? s : NULL;
}

static bool timestamp(const json_t *obj, const char *key, int64_t *ms)
{
	return wms_time_parse(str(obj, key), ms) == 0;
}

static bool integer(const json_t *obj, const char *key, long long *v)
{
	const json_t *j = json_object_get(obj, key);
	if (!json_is_integer(j))
		return false;
	*v = (long long)json_integer_value(j);
	return true;
}

/* The sum of "qty" over an array of lines (0 when there is none). */
static long long units(const json_t *lines)
{
	long long total = 0, q;
	size_t i;
	const json_t *line;
	json_array_foreach(lines, i, line)
	{
		if (integer(line, "qty", &q) && q > 0 && q < 1000000000LL)
			total += q;
	}
	return total;
}

/* ---- what is known of an order ---- */

/*
 * A memo value: the flags in the low 3 bits and the promise (ms, >= 0: every promise is after
 * 1970) above them; a promise that does not fit is left out.
 */
static int64_t facts_pack(const struct facts *f)
{
	bool promise = (f->channels & CH_PROMISE) && f->promise >= 0 && f->promise < INT64_MAX / 8;
	return (promise ? f->promise * 8 : 0) + (int64_t)(f->channels & (promise ? 7u : 3u));
}

static void facts_unpack(int64_t v, struct facts *f)
{
	f->known = true;
	f->channels = (unsigned)(v % 8);
	f->promise = (f->channels & CH_PROMISE) ? v / 8 : 0;
}

/* The facts of ORDER (an order.received event or an order.get order); false without ship_to. */
static bool facts_of(const json_t *order, struct facts *f)
{
	const json_t *st = json_object_get(order, "ship_to");
	if (!json_is_object(st))
		return false;
	f->known = true;
	f->channels = (str(st, "email") ? CH_EMAIL : 0) | (str(st, "phone") ? CH_SMS : 0);
	if (timestamp(order, "promised_by", &f->promise))
		f->channels |= CH_PROMISE;
	return true;
}

/* What is known of E's order: remembered, else asked for through opts.lookup (once). */
static const struct facts *order_facts(struct wms_notify *n, const struct ev *e)
{
	struct facts *f = e->facts;
	if (f->resolved)
		return f;
	f->resolved = true;
	uint64_t key = memo_key(e->tenant, e->order);
	int64_t v;
	if (memo_get(n->orders, key, &v)) {
		facts_unpack(v, f);
		return f;
	}
	json_t *order = NULL;
	if (n->lookup && n->lookup(n->lookup_arg, e->tenant, e->order, &order) == 0 &&
	    facts_of(order, f))
		memo_put(n->orders, key, facts_pack(f));
	json_decref(order);
	return f;
}

/*
 * Sends OUT's messages on the channels the order has (wms/notify.h): drops the others, and
 * for a customer with a phone only, sends by sms what would have gone by email alone.
 */
static void keep_reachable(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	const struct facts *f = order_facts(n, e);
	if (!f->known)
		return; /* not known: the table's channels */
	size_t kept = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct wms_notify_msg *m = &out->msg[i];
		bool email = strcmp(m->channel, "email") == 0;
		bool keep =
		    (email && (f->channels & CH_EMAIL)) || (!email && (f->channels & CH_SMS));
		if (!keep && email && (f->channels & CH_SMS)) {
			/* Phone only: the email's text by sms, unless the kind has its own sms. */
			bool has_sms = false;
			for (size_t j = 0; j < out->n; j++)
				has_sms |= j != i && strcmp(out->msg[j].channel, "sms") == 0 &&
				           strcmp(out->msg[j].kind, m->kind) == 0;
			if (!has_sms) {
				m->channel = "sms";
				keep = true;
			}
		}
		if (keep && kept != i)
			out->msg[kept] = *m;
		kept += keep;
	}
	out->n = kept;
}

/* ---- words for people ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int year_of(int64_t ms)
{
	int y;
	unsigned m, d;
	wms_civil_from_days(floor_div(ms, WMS_MS_PER_DAY), &y, &m, &d);
	return y;
}

/* "Thu 26 Nov" (UTC), with the year when it is not the year of the event. */
static const char *day(const struct ev *e, int64_t ms, char buf[32])
{
	static const char *const wd[7] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t days = floor_div(ms, WMS_MS_PER_DAY);
	int y;
	unsigned m, d;
	wms_civil_from_days(days, &y, &m, &d);
	const char *w = wd[(days % 7 + 7) % 7]; /* 1970-01-01 was a Thursday */
	if (e->have_at && year_of(e->at) != y)
		snprintf(buf, 32, "%s %u %s %d", w, d, mon[m - 1], y);
	else
		snprintf(buf, 32, "%s %u %s", w, d, mon[m - 1]);
	return buf;
}

/* Whether A and B fall on the same UTC day: the day is all a notice names. */
static bool same_day(int64_t a, int64_t b)
{
	return floor_div(a, WMS_MS_PER_DAY) == floor_div(b, WMS_MS_PER_DAY);
}

/* "14:32 UTC". */
static const char *clock_time(int64_t ms, char buf[16])
{
	int64_t s = floor_div(ms, 1000) - floor_div(ms, WMS_MS_PER_DAY) * 86400;
	snprintf(buf, 16, "%02d:%02d UTC", (int)(s / 3600), (int)(s / 60 % 60));
	return buf;
}

/* "about 3 hours": rounded to what a customer cares about. */
static const char *lateness(long long minutes, char buf[48])
{
	if (minutes < 90) {
		snprintf(buf, 48, "%lld minute%s", minutes, minutes == 1 ? "" : "s");
	} else if (minutes < 36 * 60) {
		long long h = (minutes + 30) / 60;
		snprintf(buf, 48, "about %lld hours", h);
	} else {
		long long d = (minutes + 720) / 1440;
		snprintf(buf, 48, "about %lld days", d);
	}
	return buf;
}

/* ---- building a message ---- */

/* A text being written into a message's fixed buffer; it truncates rather than fails. */
struct text {
	char *buf;
	size_t len;
	bool full;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	if (t->full)
		return;
	size_t room = WMS_NOTIFY_TEXT_MAX - t->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room) {
		t->len += (size_t)n;
		return;
	}
	/* Too long: end in "..." on a whole UTF-8 character, so the line stays valid text. */
	size_t cut = WMS_NOTIFY_TEXT_MAX - 4;
	while (cut > 0 && ((unsigned char)t->buf[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(t->buf + cut, "...", 4);
	t->len = cut + 3;
	t->full = true;
}

/* Starts a message of KIND on CHANNEL about E's order. */
static struct text begin(struct wms_notify_out *out, const struct ev *e, const char *channel,
                         const char *kind)
{
	struct wms_notify_msg *m = &out->msg[out->n++];
	m->seq = e->seq;
	snprintf(m->type, sizeof(m->type), "%s", e->type);
	snprintf(m->tenant, sizeof(m->tenant), "%s", e->tenant);
	snprintf(m->order, sizeof(m->order), "%s", e->order);
	m->channel = channel;
	m->kind = kind;
	m->text[0] = '\0';
	return (struct text){ m->text, 0, false };
}

/* The length of the valid UTF-8 character at P (N bytes left), or 0 (RFC 3629 table 3). */
static size_t utf8_char(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
		hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/*
 * Control characters (a newline in a carrier's note) would break the one-line output, and
 * bytes that are not UTF-8 (a cut word) could not be sent as JSON: both become printable.
 */
static void end(struct text *t)
{
	unsigned char *p = (unsigned char *)t->buf;
	for (size_t i = 0; i < t->len;) {
		size_t n = utf8_char(p + i, t->len - i);
		if (n == 0) {
			p[i] = '?';
			n = 1;
		} else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
			p[i] = ' ';
		}
		i += n;
	}
}

/* " with UPS (tracking 1Z...)" (PREP "with" or "by"), or what of it is known. */
static void add_carrier(struct text *t, const json_t *o, const char *prep)
{
	const char *carrier = str(o, "carrier"), *tracking = str(o, "tracking");
	if (carrier && tracking)
		add(t, " %s %s (tracking %s)", prep, carrier, tracking);
	else if (carrier)
		add(t, " %s %s", prep, carrier);
	else if (tracking)
		add(t, " (tracking %s)", tracking);
}

/*
 * When the carrier saw what E reports, into *MS: its "carrier_at" (PROTOCOL.md 5.6). The
 * envelope's "at" is when the engine recorded the news, which can be hours or days later (a
 * carrier's batch upload, a simulated clock): a customer told "delivered at 18:00" for a
 * parcel handed over at 17:00 is told something false. The envelope's time stands in only
 * for an event without carrier_at. False when neither is there.
 */
static bool carrier_time(const struct ev *e, int64_t *ms)
{
	if (timestamp(e->obj, "carrier_at", ms))
		return true;
	*ms = e->at;
	return e->have_at;
}

/* " Expected delivery: Thu 26 Nov." when the event has an estimate. */
static void add_estimate(struct text *t, const struct ev *e, const char *label)
{
	int64_t est;
	char d[32];
	if (timestamp(e->obj, "estimate", &est))
		add(t, " %s: %s.", label, day(e, est, d));
}

/* ---- one handler per event type ---- */

typedef void (*handler_fn)(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out);

static void on_received(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	/* Where the customer can be reached, for this and every later message of the order. */
	struct facts f = { .resolved = true };
	if (facts_of(e->obj, &f)) {
		memo_put(n->orders, memo_key(e->tenant, e->order), facts_pack(&f));
		*e->facts = f;
	}
	struct text t = begin(out, e, "email", "received");
	long long u = units(json_object_get(e->obj, "lines"));
	int64_t by;
	char d[32];
	add(&t, "Thank you for your order %s", e->order);
	if (u > 0)
		add(&t, " (%lld item%s)", u, u == 1 ? "" : "s");
	add(&t, ". We have received it");
	if (timestamp(e->obj, "promised_by", &by))
		add(&t, " and will deliver it by %s", day(e, by, d));
	if (str(e->obj, "service")) {
		/* Service ids are words joined by '_' ("next_day"): say them as words. */
		char svc[WMS_NOTIFY_ID_MAX];
		snprintf(svc, sizeof(svc), "%s", str(e->obj, "service"));
		for (char *p = svc; *p; p++)
			if (*p == '_')
				*p = ' ';
		add(&t, " with %s shipping", svc);
	}
	add(&t, ". We will let you know as soon as it ships.");
	end(&t);
}

/*
 * Why an order waits, from the event's reason (the engine's sentence, PROTOCOL.md 5.4 rule 5:
 * not enough stock, splitting not allowed, no warehouse offering the service) and its missing
 * list: an order that waits to ship complete is not "out of stock".
 */
enum hold { HOLD_STOCK, HOLD_WHOLE, HOLD_SERVICE, HOLD_OTHER };

static enum hold hold_of(const char *reason, bool skus_named)
{
	if (skus_named)
		return HOLD_STOCK;
	if (reason && strstr(reason, "splitting is not allowed"))
		return HOLD_WHOLE;
	if (reason && strstr(reason, "offers service"))
		return HOLD_SERVICE;
	if (reason && strstr(reason, "not enough stock"))
		return HOLD_STOCK;
	return HOLD_OTHER;
}

static void on_backordered(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	struct text t = begin(out, e, "email", "backordered");
	/* The engine lists each sku short as {sku, need, available} (PROTOCOL.md 8.1). */
	const json_t *missing = json_object_get(e->obj, "missing");
	size_t i, named = 0, more = 0;
	const json_t *line;
	json_array_foreach(missing, i, line)
	{
		if (str(line, "sku"))
			named++;
	}
	switch (hold_of(str(e->obj, "reason"), named > 0)) {
	case HOLD_WHOLE:
		add(&t,
		    "Your order %s is waiting so that it can be sent to you complete, in one "
		    "delivery: its items are not all in the same warehouse at the moment. We will "
		    "send it as soon as it can ship in full and tell you the new delivery date.",
		    e->order);
		end(&t);
		return;
	case HOLD_SERVICE:
		add(&t,
		    "We cannot ship your order %s with the delivery service you chose at the "
		    "moment. We are looking into it and will tell you the new delivery date.",
		    e->order);
		end(&t);
		return;
	case HOLD_OTHER:
		add(&t,
		    "Your order %s is on hold for the moment. We will send it as soon as we can "
		    "and "
		    "tell you the new delivery date.",
		    e->order);
		end(&t);
		return;
	case HOLD_STOCK:
		break;
	}
	named = 0;
	json_array_foreach(missing, i, line)
	{
		long long need, avail = 0;
		const char *sku = str(line, "sku");
		if (sku == NULL)
			continue;
		if (named == SKUS_NAMED) {
			more++;
			continue;
		}
		add(&t, named == 0 ? "Part of your order %s is temporarily out of stock: " : ", ",
		    e->order);
		/* The units that are not there: what the order needs beyond what is available. */
		if (!integer(line, "available", &avail) || avail < 0)
			avail = 0;
		if (integer(line, "need", &need) && need > avail)
			add(&t, "%lld x %s", need - avail, sku);
		else
			add(&t, "%s", sku);
		named++;
	}
	if (named == 0)
		add(&t, "Part of your order %s is temporarily out of stock", e->order);
	if (more)
		add(&t, " and %zu more item%s", more, more == 1 ? "" : "s");
	add(&t,
	    ". We will send %s as soon as %s back in stock and tell you the new delivery "
	    "date.",
	    named + more == 1 ? "it" : "them", named + more == 1 ? "it is" : "they are");
	end(&t);
}

static void on_cancelled(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	/* A cancelled order will not be late any more: free its delay memory now. */
	memo_del(n->delays, memo_key(e->tenant, e->order));
	struct text t = begin(out, e, "email", "cancelled");
	const char *reason = str(e->obj, "reason");
	add(&t, "Your order %s has been cancelled", e->order);
	if (reason)
		add(&t, " (reason: %s)", reason);
	add(&t, ". Anything you paid for it will be refunded to your original payment method.");
	end(&t);
}

static void on_shipped(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	struct text t = begin(out, e, "email", "shipped");
	const char *carrier = str(e->obj, "carrier"), *tracking = str(e->obj, "tracking");
	long long cartons = 0;
	add(&t, "Your order %s has shipped", e->order);
	if (carrier)
		add(&t, " with %s", carrier);
	if (integer(e->obj, "cartons", &cartons) && cartons > 1)
		add(&t, " in %lld parcels", cartons);
	if (tracking)
		add(&t, ", tracking %s", tracking);
	add(&t, ".");
	add_estimate(&t, e, "Expected delivery");
	end(&t);
}

/* The key of a shipment: its id, or its tracking number when the id is missing. */
static bool shipment_key(const struct ev *e, uint64_t *key)
{
	const char *id = str(e->obj, "shipment");
	const char *tracking = str(e->obj, "tracking");
	if (id == NULL && tracking == NULL)
		return false;
	*key = memo_key(e->tenant, id ? id : tracking);
	return true;
}

static void on_in_transit(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	/* Carriers scan a parcel at every hub: only the first scan is news to the customer. */
	uint64_t key;
	if (shipment_key(e, &key)) {
		if (memo_get(n->transit, key, NULL))
			return;
		memo_put(n->transit, key, 1);
	}
	struct text t = begin(out, e, "email", "in_transit");
	const char *where = str(e->obj, "location");
	add(&t, "Your parcel for order %s is on its way", e->order);
	add_carrier(&t, e->obj, "with");
	if (where)
		add(&t, ", last scanned in %s", where);
	add(&t, ".");
	add_estimate(&t, e, "Expected delivery");
	end(&t);
}

static void on_out_for_delivery(struct wms_notify *n, const struct ev *e,
                                struct wms_notify_out *out)
{
	(void)n;
	char d[32];
	int64_t when;
	bool have_when = carrier_time(e, &when);
	/* "Today" is the day the message goes out, the engine's; news of another day names it. */
	bool today = have_when && (!e->have_at || same_day(when, e->at));
	struct text t = begin(out, e, "email", "out_for_delivery");
	add(&t, "Your parcel for order %s is out for delivery", e->order);
	if (have_when)
		add(&t, today ? " today (%s)" : " on %s", day(e, when, d));
	add_carrier(&t, e->obj, "with");
	add(&t, ". Please make sure someone can receive it.");
	end(&t);
	/* The day itself is when a text message helps: short, with the tracking number. */
	t = begin(out, e, "sms", "out_for_delivery");
	const char *carrier = str(e->obj, "carrier"), *tracking = str(e->obj, "tracking");
	add(&t, "Order %s is out for delivery", e->order);
	if (today || !have_when)
		add(&t, " today");
	else
		add(&t, " on %s", day(e, when, d));
	if (carrier)
		add(&t, " with %s", carrier);
	add(&t, ".");
	if (tracking)
		add(&t, " Tracking: %s", tracking);
	end(&t);
}

static void on_delivered(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	char d[32], c[16];
	struct text t = begin(out, e, "email", "delivered");
	const char *where = str(e->obj, "location");
	int64_t when;
	add(&t, "Your parcel for order %s was delivered", e->order);
	if (carrier_time(e, &when))
		add(&t, " on %s at %s", day(e, when, d), clock_time(when, c));
	add_carrier(&t, e->obj, "by");
	add(&t, ".");
	if (where)
		add(&t, " Delivered to: %s.", where);
	add(&t, " If you cannot find it, reply to this message and we will help.");
	end(&t);
}

static void on_exception(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	const char *reason = str(e->obj, "reason"), *detail = str(e->obj, "detail");
	const char *carrier = str(e->obj, "carrier"), *tracking = str(e->obj, "tracking");
	const char *who = carrier ? carrier : "The delivery company";
	bool address = reason && strcmp(reason, "address") == 0;
	struct text t = begin(out, e, "email", "exception");
	if (address) {
		add(&t,
		    "%s could not deliver your parcel for order %s because of a problem with "
		    "the delivery address.",
		    who, e->order);
		if (detail)
			add(&t, " Carrier's note: %s.", detail);
		add(&t, " Please reply to this message with the correct address");
		if (tracking)
			add(&t, ", or contact %s with tracking number %s", who, tracking);
		add(&t, ", so that we can deliver it.");
	} else if (reason && strcmp(reason, "damaged") == 0) {
		add(&t,
		    "We are sorry: your parcel for order %s was damaged on its way to you. We "
		    "will contact you shortly to arrange a replacement or a refund.",
		    e->order);
	} else if (reason && strcmp(reason, "delayed") == 0) {
		add(&t, "%s reports that your parcel for order %s is delayed", who, e->order);
		if (tracking)
			add(&t, " (tracking %s)", tracking);
		add(&t, ".");
		int64_t est;
		char d[32];
		if (timestamp(e->obj, "estimate", &est))
			add(&t, " New expected delivery: %s.", day(e, est, d));
		else
			add(&t, " We will tell you the new delivery date as soon as we know it.");
	} else {
		add(&t, "%s reported a problem with your parcel for order %s", who, e->order);
		if (detail || reason)
			add(&t, ": %s", detail ? detail : reason);
		add(&t, ". We are looking into it and will update you.");
	}
	end(&t);
	if (address) {
		/* The customer has to act: worth a text message too. */
		t = begin(out, e, "sms", "exception");
		add(&t,
		    "Action needed: %s could not deliver order %s because of an address "
		    "problem. Please check your email.",
		    carrier ? carrier : "the carrier", e->order);
		end(&t);
	}
}

static void on_returned_to_sender(struct wms_notify *n, const struct ev *e,
                                  struct wms_notify_out *out)
{
	(void)n;
	struct text t = begin(out, e, "email", "exception");
	add(&t, "Your parcel for order %s could not be delivered and is on its way back to us",
	    e->order);
	add_carrier(&t, e->obj, "with");
	add(&t, ". We will contact you to arrange a new delivery or a refund.");
	end(&t);
}

/* Why an order is late, in the customer's words: "... running late because <clause>." */
static const char *delay_reason(const char *reason)
{
	static const struct {
		const char *code, *words;
	} reasons[] = {
		{ "late_at_allocation",
		  "the earliest delivery we can arrange is after the date we promised" },
		{ "late_wave", "preparing it in our warehouse is taking longer than planned" },
		{ "short_pick", "an item needs extra time to be found in our warehouse" },
		{ "pick_delay", "picking it in our warehouse is taking longer than planned" },
		{ "pack_delay", "packing it is taking longer than planned" },
		{ "carrier_delay", "the delivery company is running behind schedule" },
		{ "carrier_exception", "the delivery company reported a problem with your parcel" },
		{ "cutoff_missed", "it missed the delivery company's last collection of the day" },
	};
	for (size_t i = 0; reason && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].code, reason) == 0)
			return reasons[i].words;
	return "of an unexpected delay";
}

/*
 * Whether a delay notice with this estimate is news for E's order, and if so remembers it:
 * one notice per order, and another only when the date moved to a later day (the notice
 * names days: a customer told "Friday" twice learns nothing the second time).
 */
static bool delay_is_news(struct wms_notify *n, const struct ev *e, bool have_est, int64_t est)
{
	uint64_t key = memo_key(e->tenant, e->order);
	int64_t last;
	if (memo_get(n->delays, key, &last) &&
	    (!have_est || (last != NO_ESTIMATE &&
	                   floor_div(est, WMS_MS_PER_DAY) <= floor_div(last, WMS_MS_PER_DAY))))
		return false;
	memo_put(n->delays, key, have_est ? est : NO_ESTIMATE);
	return true;
}

static void on_at_risk(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	int64_t est = NO_ESTIMATE, by;
	bool have_est = timestamp(e->obj, "estimate", &est);
	bool have_by = timestamp(e->obj, "promised_by", &by);
	if (!delay_is_news(n, e, have_est, est))
		return;

	char d1[32], d2[32];
	const char *why = delay_reason(str(e->obj, "reason"));
	struct text t = begin(out, e, "email", "delay");
	if (have_est && have_by && est <= by) {
		add(&t,
		    "Your order %s may be delayed because %s. We still expect to deliver it by "
		    "%s, within our promise of %s, and will keep you updated.",
		    e->order, why, day(e, est, d1), day(e, by, d2));
	} else {
		add(&t, "Your order %s is running late because %s.", e->order, why);
		if (have_est && have_by && same_day(est, by))
			add(&t,
			    " It should still reach you on %s, but later in the day than we "
			    "promised.",
			    day(e, est, d1));
		else if (have_est && have_by)
			add(&t, " New expected delivery: %s (we had promised %s).", day(e, est, d1),
			    day(e, by, d2));
		else if (have_est)
			add(&t, " New expected delivery: %s.", day(e, est, d1));
		else
			add(&t, " We will tell you the new delivery date as soon as we know it.");
		add(&t, " We are sorry for the wait and will keep you updated.");
	}
	end(&t);
}

/*
 * Late at allocation (on_time false): the earliest delivery the engine could plan, its
 * delivery_by, is after the promise. The customer hears it at once; the engine's order.at_risk
 * for the same order then repeats nothing (delay_is_news).
 */
static void on_allocated(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	if (!json_is_false(json_object_get(e->obj, "on_time")))
		return;
	int64_t est = NO_ESTIMATE;
	bool have_est = timestamp(e->obj, "delivery_by", &est);
	if (!delay_is_news(n, e, have_est, est))
		return;
	const struct facts *f = order_facts(n, e);
	char d1[32], d2[32];
	struct text t = begin(out, e, "email", "delay");
	add(&t, "Your order %s will arrive later than we promised", e->order);
	if (have_est && (f->channels & CH_PROMISE) && same_day(est, f->promise))
		add(&t, ": it should still reach you on %s, but later in the day.",
		    day(e, est, d1));
	else if (have_est && (f->channels & CH_PROMISE))
		add(&t, ": the earliest we can deliver it is %s (we had promised %s).",
		    day(e, est, d1), day(e, f->promise, d2));
	else if (have_est)
		add(&t, ": the earliest we can deliver it is %s.", day(e, est, d1));
	else
		add(&t, ". We will tell you the new delivery date as soon as we know it.");
	add(&t, " We are sorry for the wait and will keep you updated.");
	end(&t);
}

/*
 * Whether TEXT is the engine's default sentence for a compensation of KIND (PROTOCOL.md 5.2:
 * "a P% voucher for your next order", "free shipping on your next order", ...), which the
 * apology already says in its own words: repeated as the extra it would read "a 10% voucher
 * for your next order: a 10% voucher for your next order". A tenant's own text (a voucher
 * code) is not.
 */
static bool default_offer(const char *kind, const char *text)
{
	static const char tail[] = "% voucher for your next order";
	if (strcmp(kind, "free_shipping") == 0)
		return strcmp(text, "free shipping on your next order") == 0;
	if (strcmp(kind, "replacement_express") == 0)
		return strcmp(text, "a replacement shipped express at no cost") == 0;
	if (strcmp(kind, "voucher") != 0 || strncmp(text, "a ", 2) != 0)
		return false;
	size_t n = strlen(text), digits = strspn(text + 2, "0123456789.");
	return digits > 0 && n == 2 + digits + sizeof(tail) - 1 &&
	       strcmp(text + 2 + digits, tail) == 0;
}

static void on_late(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	const json_t *comp = json_object_get(e->obj, "compensation");
	const char *kind = str(comp, "kind"), *extra = str(comp, "text");
	if (kind && extra && default_offer(kind, extra))
		extra = NULL;
	long long late = 0;
	double pct = 0;
	int64_t by;
	char d[32], l[48];
	struct text t = begin(out, e, "email", "apology");
	add(&t, "We are sorry: we promised to deliver your order %s", e->order);
	if (timestamp(e->obj, "promised_by", &by))
		add(&t, " by %s", day(e, by, d));
	add(&t, " and we did not keep that promise");
	if (integer(e->obj, "late_by_minutes", &late) && late > 0)
		add(&t, " (it is %s late)", lateness(late, l));
	add(&t, ".");
	/* percent is a number (an integer or, as the engine keeps numbers, a real). */
	const json_t *pj = json_object_get(comp, "percent");
	bool have_pct =
	    json_is_number(pj) && json_number_value(pj) > 0 && json_number_value(pj) <= 100;
	if (have_pct)
		pct = json_number_value(pj);
	if (kind && strcmp(kind, "voucher") == 0) {
		if (have_pct)
			add(&t, " As an apology, here is a %g%% voucher for your next order", pct);
		else
			add(&t, " As an apology, here is a voucher for your next order");
		add(&t, extra ? ": %s." : ".", extra);
	} else if (kind && strcmp(kind, "free_shipping") == 0) {
		add(&t, " As an apology, your next order ships free");
		add(&t, extra ? " (%s)." : ".", extra);
	} else if (kind && strcmp(kind, "replacement_express") == 0) {
		add(&t,
		    " As an apology, we are sending you a replacement by express delivery at no "
		    "cost");
		add(&t, extra ? " (%s)." : ".", extra);
	} else if (kind && strcmp(kind, "none") != 0 && extra) {
		add(&t, " As an apology: %s.", extra); /* a kind this build does not know */
	}
	end(&t);
}

/*
 * What a return's units come to, by the reason of their return line (the engine gives it on
 * each line of return.received and return.graded, PROTOCOL.md 5.8): a wrong item was
 * replaced and an exchange sent, both as the return's replacement order, at authorisation;
 * the rest (damaged, unwanted, or a line without a reason from an older engine) is refunded.
 * A customer whose wrong item was replaced is owed no refund, and must not be promised one.
 */
struct settlement {
	long long refund, replaced, exchanged; /* units */
};

static void settle(const json_t *lines, struct settlement *s)
{
	long long q;
	size_t i;
	const json_t *line;
	*s = (struct settlement){ 0, 0, 0 };
	json_array_foreach(lines, i, line)
	{
		if (!integer(line, "qty", &q) || q <= 0 || q >= 1000000000LL)
			continue;
		const char *why = str(line, "reason");
		if (why && strcmp(why, "wrong_item") == 0)
			s->replaced += q;
		else if (why && strcmp(why, "exchange") == 0)
			s->exchanged += q;
		else
			s->refund += q;
	}
}

/* " Your replacement comes as order SO-1001-R1; ..." for what S says was sent already. */
static void add_replacement(struct text *t, const struct ev *e, const struct settlement *s)
{
	if (s->replaced == 0 && s->exchanged == 0)
		return;
	const char *what = s->exchanged == 0 ? "Your replacement comes"
	                   : s->replaced == 0
	                       ? "What you chose in exchange comes"
	                       : "Your replacement and what you chose in exchange come";
	const char *order = str(e->obj, "replacement");
	if (order)
		add(t, " %s as order %s; we will let you know when it ships.", what, order);
	else
		add(t, " %s as a separate order; we will let you know when it ships.", what);
}

/* " for the other 2 items" when part of the return was replaced, else nothing. */
static const char *others(const struct settlement *s, char buf[48])
{
	buf[0] = '\0';
	if (s->replaced + s->exchanged > 0 && s->refund == 1)
		snprintf(buf, 48, " for the other item");
	else if (s->replaced + s->exchanged > 0)
		snprintf(buf, 48, " for the other %lld items", s->refund);
	return buf;
}

static void on_return_received(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	struct text t = begin(out, e, "email", "return_received");
	const char *rma = str(e->obj, "rma");
	struct settlement s;
	char o[48];
	settle(json_object_get(e->obj, "lines"), &s);
	long long u = s.refund + s.replaced + s.exchanged;
	add(&t, "We have received your return");
	if (rma)
		add(&t, " %s", rma);
	add(&t, " for order %s", e->order);
	if (u > 0)
		add(&t, " (%lld item%s)", u, u == 1 ? "" : "s");
	if (s.refund > 0 || u == 0)
		add(&t, ". We will check %s and confirm your refund%s.",
		    u == 1 ? "it" : "the items", others(&s, o));
	else
		add(&t, ". We will check %s.", u == 1 ? "it" : "the items");
	add_replacement(&t, e, &s);
	end(&t);
}

static void on_return_graded(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	(void)n;
	const json_t *lines = json_object_get(e->obj, "lines"), *line;
	long long ok = 0, held = 0, q;
	size_t i;
	json_array_foreach(lines, i, line)
	{
		if (!integer(line, "qty", &q) || q <= 0 || q >= 1000000000LL)
			continue;
		const char *g = str(line, "grade");
		if (g && strcmp(g, "quarantine") == 0)
			held += q;
		else
			ok += q;
	}
	struct settlement s;
	char o[48];
	settle(lines, &s);
	const char *rma = str(e->obj, "rma");
	const json_t *r = json_object_get(e->obj, "refund");
	const json_t *amount = json_is_object(r) ? json_object_get(r, "amount") : r;
	const char *currency = json_is_object(r) ? str(r, "currency") : NULL;
	struct text t = begin(out, e, "email", "refund");
	add(&t, "We have checked your return");
	if (rma)
		add(&t, " %s", rma);
	add(&t, " for order %s", e->order);
	if (ok + held > 0 && held == 0)
		add(&t, ": all %lld item%s accepted", ok, ok == 1 ? "" : "s");
	else if (ok + held > 0)
		add(&t, ": %lld item%s accepted, %lld set aside for a closer inspection", ok,
		    ok == 1 ? "" : "s", held);
	add(&t, ".");
	add_replacement(&t, e, &s);
	/* The refund: a number, {"amount", "currency"}, or words the OMS chose. An amount the
	 * event names is said even for a replaced item: the OMS decided it. */
	if (json_is_number(amount) && json_number_value(amount) > 0)
		add(&t, " A refund of %.2f%s%s%s is on its way to your original payment method.",
		    json_number_value(amount), currency ? " " : "", currency ? currency : "",
		    s.refund > 0 ? others(&s, o) : "");
	else if (json_is_string(amount) && str(e->obj, "refund"))
		add(&t, " Refund: %s.", str(e->obj, "refund"));
	else if (s.refund > 0 || ok + held == 0)
		add(&t, " We will confirm the amount of your refund%s separately.", others(&s, o));
	if (held > 0)
		add(&t, " We will contact you about the item%s set aside.", held == 1 ? "" : "s");
	end(&t);
}

static void on_order_done(struct wms_notify *n, const struct ev *e, struct wms_notify_out *out)
{
	/* Delivered: the shipment events told the customer; only the memory is freed. */
	(void)out;
	memo_del(n->delays, memo_key(e->tenant, e->order));
}

/* Every event type a customer hears about, and what the rest do. A type not listed here
 * (pick.*, wave.*, pack.*, stock.*, order.split, ...) produces nothing. */
static const struct {
	const char *type;
	handler_fn fn;
} handlers[] = {
	{ "order.received", on_received },
	{ "order.backordered", on_backordered },
	{ "order.allocated", on_allocated },
	{ "order.cancelled", on_cancelled },
	{ "order.at_risk", on_at_risk },
	{ "order.late", on_late },
	{ "order.delivered", on_order_done },
	{ "shipment.shipped", on_shipped },
	{ "shipment.in_transit", on_in_transit },
	{ "shipment.out_for_delivery", on_out_for_delivery },
	{ "shipment.delivered", on_delivered },
	{ "shipment.exception", on_exception },
	{ "shipment.returned_to_sender", on_returned_to_sender },
	{ "return.received", on_return_received },
	{ "return.graded", on_return_graded },
};

int wms_notify_event(struct wms_notify *n, const json_t *event, struct wms_notify_out *out)
{
	struct facts facts = { .resolved = false };
	struct ev e = { .obj = event, .facts = &facts };
	long long seq;
	out->n = 0;
	if (!json_is_object(event) || !integer(event, "seq", &seq) || seq < 0 ||
	    (e.type = str(event, "type")) == NULL || strlen(e.type) >= WMS_NOTIFY_TYPE_MAX)
		return WMS_EVALUE;
	e.seq = (uint64_t)seq;
	e.tenant = json_string_value(json_object_get(event, "tenant"));
	e.order = json_string_value(json_object_get(event, "order"));
	if ((e.tenant && !wms_id_valid(e.tenant, WMS_ID_MAX)) ||
	    (e.order && !wms_id_valid(e.order, WMS_ID_MAX)))
		return WMS_EVALUE;
	if (e.tenant == NULL || e.order == NULL)
		return 0; /* a message goes to the customer of an order */
	e.have_at = timestamp(event, "at", &e.at);
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (strcmp(handlers[i].type, e.type) == 0) {
			handlers[i].fn(n, &e, out);
			break;
		}
	}
	if (out->n > 0)
		keep_reachable(n, &e, out);
	return 0;
}

int wms_notify_format_line(const struct wms_notify_msg *m, char *buf, size_t size, size_t *len)
{
	int w = snprintf(buf, size, "%llu %s %s %s %s: %s\n", (unsigned long long)m->seq, m->tenant,
	                 m->order, m->channel, m->kind, m->text);
	if (w < 0 || (size_t)w >= size)
		return WMS_ETOOLONG;
	*len = (size_t)w;
	return 0;
}

int wms_notify_msg_json(const struct wms_notify_msg *m, json_t **out)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)m->seq,
	                      "type", m->type, "tenant", m->tenant, "order", m->order, "channel",
	                      m->channel, "kind", m->kind, "text", m->text);
	if (j == NULL)
		return WMS_ENOMEM;
	*out = j;
	return 0;
}
