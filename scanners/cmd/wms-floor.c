/*
 * wms-floor - a floor simulator: pickers and pack stations working a shift against a running
 * engine over nng, with mistakes injected at known rates that the engine must catch.
 *
 *   wms-floor [--url URL] [--events URL] [--network FILE --orders N] [--warehouse WH]...
 *             [--pickers P] [--stations K] [--error-rate R] [--inject TYPE=R,...]
 *             [--duration S] [--json]                            (wms-floor --help: all)
 *
 * Shape. The main thread prepares the work (optionally generates and submits orders, plans and
 * releases waves), then runs the floor: one thread per picker and per pack station, each a
 * device with its own id and its own connection (struct wms_client), and one feed thread that
 * follows the event stream for picked totes (order.picked and shipment.picked, each shipment
 * once and gap-free through wms_tailer) and queues them for the stations. When the pickers
 * run out of released work (or --duration passes), the stations drain the queue; then every
 * carton packed is checked against order.get, independently of the verdicts, and a report is
 * printed (a table on stderr; with --json one JSON object on stdout).
 *
 * Mistakes. Each injected mistake has the verdict the engine must answer (wrong_item at pick,
 * not_in_order at pack, ...); a refusal with that code is "caught", an acceptance "missed", a
 * refusal with another code "other". After a refusal the simulated worker corrects the mistake
 * and goes on, as a person with a beeping scanner would. A refusal of a scan that was NOT a
 * mistake is "unexpected" and is reported with the engine's message.
 *
 * Only wms-protocol's client library and the barcode library's constants are used: the
 * simulator sees the engine exactly as floor devices do. Exit status: 0 when every injected
 * mistake was caught with its verdict, nothing unexpected happened and every packed carton
 * matches its order; 1 otherwise; 2 usage; 3 no engine.
 */
#include "wms/barcode.h"
#include "wms/client.h"
#include "wms/codec.h"
#include "wms/country.h"
#include "wms/errors.h"
#include "wms/time.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK       0
#define EXIT_FAILED   1
#define EXIT_USAGE    2
#define EXIT_NOENGINE 3

#define ID_MAX        64   /* protocol ids are 1-64 visible ASCII characters */
#define MAX_WH        64   /* warehouses worked in one run */
#define MAX_DEVICES   1024 /* pickers + stations */
#define MAX_PROBLEMS  50   /* problems kept for the report (all are counted) */
#define CALL_RETRIES  3    /* transport failures before a call is given up */
#define BUSY_RETRIES  200  /* "busy" answers before a call is given up (2 ms apart) */
#define FEED_GRACE_MS 30000
#define QUEUE_MAX     1000000

/* The engine's packing defaults (engine/src/pack.h) for warehouses that do not set their own
 * carton_tare_g, weight_tolerance_g, weight_tolerance_pct. */
#define DEFAULT_TARE_G        150
#define DEFAULT_TOLERANCE_G   25
#define DEFAULT_TOLERANCE_PCT 5.0

static const char usage_text[] =
    "usage: wms-floor [options]\n"
    "\n"
    "Simulates a warehouse floor against a running wmsd: pickers ask task.next and scan\n"
    "locations, items and totes; pack stations take picked totes from the event stream, scan\n"
    "the tote, every item and insert, weigh and close. Mistakes are injected at the given rates\n"
    "and each must be refused by the engine with its verdict. Ends when the released work is\n"
    "done (or --duration passes), checks every packed carton against its order and reports.\n"
    "\n"
    "  --url URL           engine commands (default " WMS_DEFAULT_URL ")\n"
    "  --events URL        engine events (default " WMS_DEFAULT_EVENTS_URL ")\n"
    "  --network FILE      network file (tenants, warehouses, items, stock) to generate orders\n"
    "                      from; its warehouses are worked unless --warehouse is given\n"
    "  --orders N          first generate and submit N orders (needs --network), then plan and\n"
    "                      release waves (wave.plan, wave.release) for the warehouses\n"
    "  --plan              plan and release waves even without --orders\n"
    "  --warehouse WH      work warehouse WH (repeatable; default: all of the network)\n"
    "  --pickers P         picker threads (default 4)\n"
    "  --stations K        pack station threads (default 2; 0: no packing)\n"
    "  --walk-speed MPS    pickers walk between stops at MPS metres/s in real time\n"
    "                      (default 0: no delay)\n"
    "  --error-rate R      probability of each mistake at each chance to make it (0..1)\n"
    "  --inject LIST       per type, e.g. wrong_item=0.01,extra_unit=0.005; types: wrong_item,\n"
    "                      extra_unit, wrong_tote, skipped_item, wrong_lot, missing_insert,\n"
    "                      wrong_weight, wrong_location, and resent_scan (an accepted scan\n"
    "                      sent again by a device that lost the answer: must count once)\n"
    "  --duration S        stop after S seconds of floor time (default: when the work is done)\n"
    "  --time-limit S      hard bound on the floor phase (default 600)\n"
    "  --timeout MS        per call (default 10000)\n"
    "  --seed N            random seed (default: from the clock; printed in the report)\n"
    "  --wave-orders N     orders per wave (default 100)\n"
    "  --country CC        ship-to country of generated orders (default US)\n"
    "  --json              print the report as one JSON object on stdout\n"
    "  --quiet             no table, no problem lines on stderr\n"
    "  --verbose           also print every refusal on stderr\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 when every injected mistake was caught with its verdict, no correct scan\n"
    "was refused and every packed carton matches its order; 1 otherwise; 2 usage; 3 no engine.\n";

/* ---- mistakes ---- */

enum fault {
	F_WRONG_ITEM,
	F_EXTRA_UNIT,
	F_WRONG_TOTE,
	F_SKIPPED_ITEM,
	F_WRONG_LOT,
	F_MISSING_INSERT,
	F_WRONG_WEIGHT,
	F_WRONG_LOCATION,
	F_RESENT_SCAN, /* not a worker's mistake: the network's; the scan must count once */
	F_COUNT
};

static const char *const fault_names[F_COUNT] = {
	"wrong_item",     "extra_unit",   "wrong_tote",     "skipped_item", "wrong_lot",
	"missing_insert", "wrong_weight", "wrong_location", "resent_scan",
};

/* What the engine must answer, for the report. */
static const char *const fault_verdicts[F_COUNT] = {
	"wrong_item | not_in_order",
	"over_pick | over_pack",
	"wrong_tote",
	"incomplete",
	"wrong_lot",
	"missing_insert",
	"weight_mismatch",
	"wrong_location",
	"first verdict, once",
};

struct fault_count {
	atomic_uint_fast64_t injected, caught, missed, other;
};

/* ---- latency histogram: 1 us resolution below 64 us, then 32 sub-buckets per octave ---- */

#define HIST_SUB 32
#define HIST_N   (64 + 40 * HIST_SUB)

struct hist {
	uint64_t b[HIST_N];
	uint64_t n;
};

static size_t hist_index(uint64_t us)
{
	if (us < 64)
		return (size_t)us;
	int e = 63 - __builtin_clzll(us);
	size_t i = 64 + (size_t)(e - 6) * HIST_SUB + (size_t)((us >> (e - 5)) & (HIST_SUB - 1));
	return i < HIST_N ? i : HIST_N - 1;
}

/* The middle of bucket I, in microseconds. */
static double hist_value(size_t i)
{
	if (i < 64)
		return (double)i;
	int e = (int)((i - 64) / HIST_SUB) + 6;
	double width = ldexp(1.0, e - 5);
	return ldexp(1.0, e) + (double)((i - 64) % HIST_SUB) * width + width / 2;
}

static void hist_add(struct hist *h, uint64_t us)
{
	h->b[hist_index(us)]++;
	h->n++;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
	for (size_t i = 0; i < HIST_N; i++)
		into->b[i] += h->b[i];
	into->n += h->n;
}

/* The Q-quantile in milliseconds (0 when empty). */
static double hist_quantile_ms(const struct hist *h, double q)
{
	if (h->n == 0)
		return 0;
	uint64_t target = (uint64_t)ceil(q * (double)h->n), seen = 0;
	if (target == 0)
		target = 1;
	for (size_t i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= target)
			return hist_value(i) / 1000.0;
	}
	return hist_value(HIST_N - 1) / 1000.0;
}

/* ---- small helpers ---- */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* splitmix64: every device has its own stream, derived from the run's seed. */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double rnd_unit(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) / 9007199254740992.0;
}

static size_t rnd_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rnd_next(s) % n) : 0;
}

/* A standard normal deviate (Box-Muller). */
static double rnd_normal(uint64_t *s)
{
	double u = rnd_unit(s), v = rnd_unit(s);
	if (u < 1e-12)
		u = 1e-12;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long jint(const json_t *o, const char *key, long long def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

static double jnum(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : def;
}

/* Adds DELTA to the integer at KEY of object O (created at 0). */
static void jcount(json_t *o, const char *key, long long delta)
{
	json_object_set_new(o, key, json_integer(jint(o, key, 0) + delta));
}

/* What the engine's writer says about itself (ping): totals since it started. */
struct writer {
	double commands, commits, exec_us, commit_us;
};

static void writer_read(const json_t *ping, struct writer *w)
{
	const json_t *x = json_object_get(ping, "writer");
	w->commands = jnum(x, "commands", 0);
	w->commits = jnum(x, "commits", 0);
	w->exec_us = jnum(x, "exec_us_per_command", 0) * w->commands;
	w->commit_us = jnum(x, "commit_us", 0) * w->commits;
}

/* ---- the simulation's shared state ---- */

struct opts {
	const char *url, *events_url, *network, *country;
	const char *warehouses[MAX_WH];
	size_t nwh;
	long orders;
	int pickers, stations, timeout_ms, wave_orders;
	double walk_mps, duration_s, limit_s;
	double rate[F_COUNT];
	uint64_t seed;
	bool plan, json, quiet, verbose;
};

/* An item as the scanners need it. Immutable once in the catalogue. */
struct gtin {
	char code[15]; /* 14 digits */
	int qty;       /* units it stands for */
};
struct item {
	char tenant[ID_MAX + 1], sku[ID_MAX + 1];
	long long weight_g;
	bool lot_tracked;
	int ngtins;
	struct gtin gtins[16];
	int unit; /* index of a unit GTIN (qty 1), or -1 */
};

/* Items and each tenant's skus, fetched from the engine on first use (item.get, stock.get). */
struct catalog {
	pthread_mutex_t mu;
	json_t *index;   /* "tenant sku" -> index into items */
	json_t *tenants; /* tenant -> array of skus; arrays are never changed once stored */
	struct item **items;
	size_t n, cap;
};

/* What packing needs to know about a warehouse. */
struct wh {
	char id[ID_MAX + 1];
	long long tare_g, tol_g;
	double tol_pct, slot_length, aisle_spacing;
};

/* A picked tote waiting for a pack station. */
struct ready {
	char tenant[ID_MAX + 1], order[ID_MAX + 1], shipment[ID_MAX + 1], tote[ID_MAX + 1],
	    warehouse[ID_MAX + 1];
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ready *a;
	size_t head, n, cap;
	json_t *seen; /* "tenant order shipment" of every shipment queued */
	bool closed;  /* the feed has ended: no more totes will come */
};

/* A carton a station closed, for the final check. */
struct packed {
	struct ready r;
	json_t *physical; /* sku -> units the simulated packer put in */
	json_t *inserts;  /* labels the packer put in */
	char sscc[19];
};

struct sim {
	struct opts o;
	char run[16]; /* run id: device, station and order ids carry it */
	struct wh whs[MAX_WH];
	size_t nwh;
	struct catalog cat;
	struct queue q;
	uint64_t start_seq;
	atomic_uint_fast64_t final_seq;
	atomic_bool pickers_done, stop;
	int64_t deadline_us;

	pthread_mutex_t mu; /* packed cartons and problems */
	struct packed *packed;
	size_t npacked, cappacked;
	json_t *problems;
	atomic_uint_fast64_t nproblems;

	struct fault_count faults[F_COUNT];
	atomic_uint_fast64_t pick_scans, pack_scans, weighs, closes, task_nexts, tasks_done, shorts,
	    unexpected, bad_labels, failed_calls, abandoned, shipments_picked, orders_picked_events,
	    forms[16];

	/* preparation */
	uint64_t submitted, allocated, backordered, refused_orders, waves, tasks_released;
	struct writer w0, w1; /* the engine's writer before and after the floor phase */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static bool stopping(struct sim *f)
{
	if (interrupted || atomic_load(&f->stop))
		return true;
	if (f->deadline_us && mono_us() >= f->deadline_us) {
		atomic_store(&f->stop, true);
		return true;
	}
	return false;
}

/* Records a problem for the report and says it on stderr (the first MAX_PROBLEMS). */
static void problem(struct sim *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct sim *f, const char *fmt, ...)
{
	char raw[1024], msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Scans quoted in messages may carry GS: show it, and any other control, readably. */
	size_t j = 0;
	for (const char *c = raw; *c && j + 6 < sizeof(msg); c++) {
		if (*c == 0x1D)
			j += (size_t)snprintf(msg + j, sizeof(msg) - j, "<GS>");
		else if ((unsigned char)*c < 0x20)
			j += (size_t)snprintf(msg + j, sizeof(msg) - j, "\\x%02X",
			                      (unsigned char)*c);
		else
			msg[j++] = *c;
	}
	msg[j] = '\0';
	uint64_t n = atomic_fetch_add(&f->nproblems, 1);
	if (n >= MAX_PROBLEMS)
		return;
	pthread_mutex_lock(&f->mu);
	json_array_append_new(f->problems, json_string(msg));
	pthread_mutex_unlock(&f->mu);
	if (!f->o.quiet)
		fprintf(stderr, "wms-floor: %s\n", msg);
}

/* ---- devices: a connection, an id, scan ids, a random stream, latencies ---- */

struct dev {
	struct sim *f;
	int index;
	bool station;
	char base[32];       /* device or station id */
	char id[ID_MAX + 1]; /* base, plus a generation after an abandoned carton */
	char worker[ID_MAX + 1];
	char alias[2];     /* the GS alias the device's scanner sends instead of GS, or "" */
	json_t **last_req; /* when set, verdict() keeps its last request here (for resends) */
	int generation;
	struct wms_client *c;
	uint64_t seq; /* scan ids: sequential, so the engine's scan keys are appended */
	uint64_t rng;
	struct hist h;
	pthread_t thread;
	bool started;
	double x, y; /* where a picker stands (metres), for --walk-speed */
	bool placed;
};

static int client_open(struct sim *f, struct wms_client **c, struct wms_error *err)
{
	struct wms_client_opts co = WMS_CLIENT_OPTS_INIT;
	co.call_timeout_ms = f->o.timeout_ms;
	return wms_client_open(f->o.url, &co, c, err);
}

static bool reply_busy(const json_t *r)
{
	const char *code = jstr(json_object_get(r, "error"), "code");
	return !json_is_true(json_object_get(r, "ok")) && code && strcmp(code, "busy") == 0;
}

/*
 * One request on C, resent after a transport failure or a "busy" answer (bounded): the request
 * object keeps its idem_key and scan_id, so a resend is applied once. LAT (may be NULL) gets
 * the latency of the answered attempt. 0 with *OUT (new reference), or the transport error.
 */
static int call_on(struct sim *f, struct wms_client *c, json_t *req, struct hist *lat, json_t **out)
{
	struct wms_error err = WMS_ERROR_INIT;
	int busy = 0, fails = 0;
	for (;;) {
		json_t *r = NULL;
		int64_t t0 = mono_us();
		int rc = wms_client_call(c, req, &r, &err);
		int64_t dt = mono_us() - t0;
		if (rc == 0 && reply_busy(r) && busy++ < BUSY_RETRIES) {
			json_decref(r);
			sleep_ms(2);
			continue;
		}
		if (rc == WMS_ETIMEDOUT || rc == WMS_ECLOSED || rc == WMS_EIO) {
			if (++fails < CALL_RETRIES && !interrupted)
				continue;
		}
		if (rc) {
			atomic_fetch_add(&f->failed_calls, 1);
			problem(f, "%s: %s (%s)", jstr(req, "op"), err.message, wms_errname(rc));
			return rc;
		}
		if (lat)
			hist_add(lat, (uint64_t)(dt > 0 ? dt : 0));
		*out = r;
		return 0;
	}
}

/* A call whose refusal is a problem: 0 with *OUT for {"ok":true}, else an error. Takes REQ. */
static int call_ok(struct sim *f, struct wms_client *c, json_t *req, json_t **out)
{
	json_t *r = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = req ? call_on(f, c, req, NULL, &r) : WMS_ENOMEM;
	if (rc == 0 && (rc = wms_reply_status(r, &err)) != 0) {
		problem(f, "%s refused: %s: %s", jstr(req, "op"), wms_errname(rc), err.message);
		json_decref(r);
	}
	if (rc == 0)
		*out = r;
	json_decref(req);
	return rc;
}

/* Sends a verdict request (pick.scan, pack.*), stamped with the device's next scan id. Takes
 * REQ. */
static int verdict(struct dev *d, json_t *req, json_t **reply)
{
	char sid[24];
	if (req == NULL)
		return WMS_ENOMEM;
	snprintf(sid, sizeof(sid), "%010" PRIu64, ++d->seq);
	json_object_set_new(req, "scan_id", json_string(sid));
	int rc = call_on(d->f, d->c, req, &d->h, reply);
	if (rc == 0 && d->last_req) {
		json_decref(*d->last_req);
		*d->last_req = json_incref(req);
	}
	json_decref(req);
	return rc;
}

/* The task's picked units in a pick.scan answer, or -1. */
static long long reply_task_picked(const json_t *reply)
{
	return jint(json_object_get(reply, "task"), "picked", -1);
}

/* NULL when REPLY accepted the scan, else the refusal's code. */
static const char *refusal(const json_t *reply)
{
	if (json_is_true(json_object_get(reply, "ok")))
		return NULL;
	const char *code = jstr(json_object_get(reply, "error"), "code");
	return code ? code : "unknown";
}

static const char *reply_message(const json_t *reply)
{
	const char *m = jstr(reply, "message");
	if (m == NULL)
		m = jstr(json_object_get(reply, "error"), "message");
	return m ? m : "";
}

/* Whether to make mistake FAULT at this chance. */
static bool want(struct dev *d, enum fault fault)
{
	double r = d->f->o.rate[fault];
	return r > 0 && rnd_unit(&d->rng) < r;
}

/*
 * Judges the answer to an injected mistake: caught when refused with WANT (or ALSO), missed
 * when accepted, other when refused with another code. Returns true when the engine accepted.
 */
static bool judge_fault(struct dev *d, enum fault fault, const char *want_code, const char *also,
                        const json_t *reply, const char *where, const char *code)
{
	struct sim *f = d->f;
	const char *got = refusal(reply);
	if (got && (strcmp(got, want_code) == 0 || (also && strcmp(got, also) == 0))) {
		atomic_fetch_add(&f->faults[fault].caught, 1);
		if (f->o.verbose)
			fprintf(stderr, "wms-floor: %s: %s %s caught: %s\n", d->id, where,
			        fault_names[fault], reply_message(reply));
		return false;
	}
	if (got == NULL) {
		atomic_fetch_add(&f->faults[fault].missed, 1);
		problem(f, "MISSED %s at %s: device %s scanned '%s' and the engine accepted it: %s",
		        fault_names[fault], where, d->id, code, reply_message(reply));
		return true;
	}
	atomic_fetch_add(&f->faults[fault].other, 1);
	problem(f, "%s at %s: device %s scanned '%s': expected %s, the engine answered %s: %s",
	        fault_names[fault], where, d->id, code, want_code, got, reply_message(reply));
	return false;
}

/* A correct scan must be accepted: 0, or -1 after reporting the refusal. */
static int expect_ok(struct dev *d, const json_t *reply, const char *where, const char *code)
{
	const char *got = refusal(reply);
	if (got == NULL)
		return 0;
	atomic_fetch_add(&d->f->unexpected, 1);
	problem(d->f, "unexpected refusal at %s: device %s scanned '%s': %s: %s", where, d->id,
	        code, got, reply_message(reply));
	return -1;
}

/*
 * Sends the request of an accepted scan again as a device that lost the answer does: the same
 * scan_id, a new idem_key (so the engine's scan log, not the request log, must know it). The
 * answer must be FIRST again, marked resent, and count nothing more.
 */
static int resend_scan(struct dev *d, json_t *req, const json_t *first, const char *where)
{
	struct sim *f = d->f;
	json_t *again = json_deep_copy(req), *r = NULL;
	if (again == NULL)
		return WMS_ENOMEM;
	json_object_del(again, "idem_key");
	atomic_fetch_add(&f->faults[F_RESENT_SCAN].injected, 1);
	atomic_fetch_add(
	    strcmp(jstr(again, "op"), "pick.scan") == 0 ? &f->pick_scans : &f->pack_scans, 1);
	int rc = call_on(f, d->c, again, &d->h, &r);
	const char *code = jstr(again, "code") ? jstr(again, "code") : jstr(again, "op");
	if (rc == 0) {
		bool same = refusal(r) == NULL && json_is_true(json_object_get(r, "resent")) &&
		            strcmp(reply_message(r), reply_message(first)) == 0 &&
		            reply_task_picked(r) == reply_task_picked(first);
		if (same)
			atomic_fetch_add(&f->faults[F_RESENT_SCAN].caught, 1);
		else if (refusal(r) == NULL)
			atomic_fetch_add(&f->faults[F_RESENT_SCAN].missed, 1);
		else
			atomic_fetch_add(&f->faults[F_RESENT_SCAN].other, 1);
		if (!same)
			problem(f,
			        "resent scan '%s' at %s (device %s, scan_id %s): first '%s', then "
			        "'%s'%s",
			        code, where, d->id, jstr(again, "scan_id"), reply_message(first),
			        reply_message(r),
			        json_is_true(json_object_get(r, "resent"))
			            ? ""
			            : " (not marked resent)");
	}
	json_decref(r);
	json_decref(again);
	return rc;
}

/* ---- the catalogue ---- */

static int catalog_init(struct catalog *cat)
{
	cat->index = json_object();
	cat->tenants = json_object();
	if (cat->index == NULL || cat->tenants == NULL || pthread_mutex_init(&cat->mu, NULL))
		return WMS_ENOMEM;
	return 0;
}

static void catalog_release(struct catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		free(cat->items[i]);
	free(cat->items);
	json_decref(cat->index);
	json_decref(cat->tenants);
	pthread_mutex_destroy(&cat->mu);
}

/* Fills IT from an item.get answer. */
static int item_parse(const json_t *j, struct item *it)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->tenant, sizeof(it->tenant), "%s", jstr(j, "tenant") ? jstr(j, "tenant") : "");
	snprintf(it->sku, sizeof(it->sku), "%s", jstr(j, "sku") ? jstr(j, "sku") : "");
	it->weight_g = jint(j, "weight_g", 0);
	it->lot_tracked = json_is_true(json_object_get(j, "lot_tracked"));
	it->unit = -1;
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(j, "gtins"), i, g)
	{
		const char *code = json_is_string(g) ? json_string_value(g) : jstr(g, "gtin");
		if (code == NULL || strlen(code) != 14 || it->ngtins == 16)
			continue;
		struct gtin *x = &it->gtins[it->ngtins];
		memcpy(x->code, code, 15);
		x->qty = json_is_string(g) ? 1 : (int)jint(g, "qty", 1);
		if (x->qty < 1)
			x->qty = 1;
		if (x->qty == 1 && it->unit < 0)
			it->unit = it->ngtins;
		it->ngtins++;
	}
	return 0;
}

/* The item TENANT/SKU (borrowed from the catalogue, valid for the run), fetched on first use. */
static int item_get(struct dev *d, const char *tenant, const char *sku, const struct item **out)
{
	struct sim *f = d->f;
	struct catalog *cat = &f->cat;
	char key[2 * ID_MAX + 2];
	snprintf(key, sizeof(key), "%s %s", tenant, sku);
	pthread_mutex_lock(&cat->mu);
	json_t *ix = json_object_get(cat->index, key);
	if (ix) {
		*out = cat->items[json_integer_value(ix)];
		pthread_mutex_unlock(&cat->mu);
		return 0;
	}
	pthread_mutex_unlock(&cat->mu);
	json_t *r = NULL;
	int rc = call_ok(
	    f, d->c, json_pack("{s:s, s:s, s:s}", "op", "item.get", "tenant", tenant, "sku", sku),
	    &r);
	if (rc)
		return rc;
	struct item *it = malloc(sizeof(*it));
	if (it == NULL) {
		json_decref(r);
		return WMS_ENOMEM;
	}
	item_parse(json_object_get(r, "item"), it);
	json_decref(r);
	pthread_mutex_lock(&cat->mu);
	if (cat->n == cat->cap) {
		size_t cap = cat->cap ? 2 * cat->cap : 256;
		struct item **a = realloc(cat->items, cap * sizeof(*a));
		if (a) {
			cat->items = a;
			cat->cap = cap;
		}
	}
	if ((ix = json_object_get(cat->index, key)) != NULL) { /* another device was quicker */
		free(it);
		*out = cat->items[json_integer_value(ix)];
	} else if (cat->n == cat->cap) {
		rc = WMS_ENOMEM;
		free(it);
	} else {
		cat->items[cat->n] = it;
		json_object_set_new(cat->index, key, json_integer((json_int_t)cat->n));
		cat->n++;
		*out = it;
	}
	pthread_mutex_unlock(&cat->mu);
	return rc;
}

/* The skus TENANT holds stock of (borrowed array of strings), from stock.get on first use. */
static int tenant_skus(struct dev *d, const char *tenant, const json_t **out)
{
	struct sim *f = d->f;
	struct catalog *cat = &f->cat;
	pthread_mutex_lock(&cat->mu);
	const json_t *have = json_object_get(cat->tenants, tenant);
	pthread_mutex_unlock(&cat->mu);
	if (have) {
		*out = have;
		return 0;
	}
	json_t *skus = json_array(), *seen = json_object();
	const char *after = NULL;
	json_t *r = NULL;
	int rc = 0;
	for (int page = 0; page < 1000; page++) {
		json_t *req = json_pack("{s:s, s:s, s:i}", "op", "stock.get", "tenant", tenant,
		                        "limit", 1000);
		if (after)
			json_object_set_new(req, "after", json_string(after));
		json_t *next = NULL;
		rc = call_ok(f, d->c, req, &next);
		json_decref(r);
		r = next;
		if (rc)
			break;
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(r, "rows"), i, row)
		{
			const char *sku = jstr(row, "sku");
			if (sku && json_object_get(seen, sku) == NULL) {
				json_object_set_new(seen, sku, json_true());
				json_array_append_new(skus, json_string(sku));
			}
		}
		if ((after = jstr(r, "next")) == NULL)
			break;
	}
	json_decref(r);
	json_decref(seen);
	if (rc) {
		json_decref(skus);
		return rc;
	}
	pthread_mutex_lock(&cat->mu);
	have = json_object_get(cat->tenants, tenant);
	if (have == NULL) {
		json_object_set_new(cat->tenants, tenant, skus);
		have = skus;
	} else {
		json_decref(skus);
	}
	pthread_mutex_unlock(&cat->mu);
	*out = have;
	return 0;
}

/*
 * Another item of TENANT with a unit GTIN, not SKU and not a key of NOT_IN (may be NULL): what
 * a picker or packer grabs by mistake. *OUT is NULL when none was found.
 */
static int item_other(struct dev *d, const char *tenant, const char *sku, const json_t *not_in,
                      const struct item **out)
{
	const json_t *skus;
	*out = NULL;
	int rc = tenant_skus(d, tenant, &skus);
	if (rc)
		return rc;
	size_t n = json_array_size(skus);
	for (int tries = 0; tries < 20 && n > 0; tries++) {
		const char *s = json_string_value(json_array_get(skus, rnd_below(&d->rng, n)));
		if (s == NULL || strcmp(s, sku) == 0 || (not_in && json_object_get(not_in, s)))
			continue;
		const struct item *it;
		if ((rc = item_get(d, tenant, s, &it)))
			return rc;
		if (it->unit >= 0) {
			*out = it;
			return 0;
		}
	}
	return 0;
}

/* ---- barcodes: the forms a real item label comes in ---- */

enum form {
	FORM_EAN13,      /* 13 digits */
	FORM_GTIN14,     /* ITF-14 */
	FORM_UPCA,       /* 12 digits, for GTINs that start with 00 */
	FORM_AIM_EAN13,  /* ]E0 + 13 digits */
	FORM_ES_RAW,     /* ]C1 01... 17... 10... (no separator needed) */
	FORM_ES_RAW_GS,  /* 01... 10...<GS>17... (no symbology identifier) */
	FORM_ES_BRACKET, /* (01)...(10)...(17)... */
	FORM_DL,         /* https://id.example.com/01/.../10/...?17=... */
	FORM_COUNT
};
static const char *const form_names[FORM_COUNT] = {
	"ean13",   "gtin14",     "upca",          "aim_ean13",
	"gs1_raw", "gs1_raw_gs", "gs1_bracketed", "digital_link",
};

/* A lot that is not LOT: the neighbouring batch letter, or an X more. */
static void other_lot(const char *lot, char *buf, size_t n)
{
	size_t len = strlen(lot);
	snprintf(buf, n, "%s", lot);
	if (len > 0 && len < n && isupper((unsigned char)lot[len - 1]))
		buf[len - 1] = lot[len - 1] == 'Z' ? 'A' : (char)(lot[len - 1] + 1);
	else
		snprintf(buf, n, "%sX", lot);
}

/* Whether LOT can go in a Digital Link path as it is (no percent-encoding needed). */
static bool uri_safe(const char *lot)
{
	for (; *lot; lot++)
		if (!isalnum((unsigned char)*lot) && *lot != '-' && *lot != '.' && *lot != '_')
			return false;
	return true;
}

/*
 * Reads CODE back with the barcode library as the engine will (with D's GS alias): a label the
 * simulator got wrong must not pass for a refusal by the engine.
 */
static void label_check(struct dev *d, const char *code, const struct gtin *g, const char *lot)
{
	struct wms_barcode_opts o = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode_error e = WMS_BARCODE_ERROR_INIT;
	struct wms_barcode bc;
	const char *l = NULL;
	if (d->alias[0])
		wms_barcode_opts_set_gs_alias(&o, d->alias, NULL);
	bool ok = wms_barcode_parse(code, strlen(code), &o, &bc, &e) == 0 &&
	          strcmp(bc.gtin, g->code) == 0 &&
	          (lot == NULL || ((l = wms_barcode_lot(&bc)) != NULL && strcmp(l, lot) == 0));
	if (ok)
		return;
	atomic_fetch_add(&d->f->bad_labels, 1);
	problem(d->f, "the simulator made a label that does not read back: '%s' (%s)", code,
	        e.message[0] ? e.message : "another GTIN or lot");
}

/*
 * Writes a scan of GTIN G of IT into BUF. With LOT (lot-tracked items, or sometimes at pack)
 * the form is a GS1 one carrying (10) LOT and, with YYMMDD, (17); otherwise any form that fits
 * the GTIN. Returns the form used.
 */
static enum form item_code(struct dev *d, const struct gtin *g, const char *lot, const char *yymmdd,
                           char *buf, size_t n)
{
	enum form choice[FORM_COUNT];
	size_t nc = 0;
	bool unit = g->code[0] == '0';
	if (lot) {
		choice[nc++] = FORM_ES_RAW;
		choice[nc++] = FORM_ES_RAW_GS;
		choice[nc++] = FORM_ES_BRACKET;
		if (uri_safe(lot))
			choice[nc++] = FORM_DL;
	} else {
		if (unit) {
			choice[nc++] = FORM_EAN13;
			choice[nc++] = FORM_AIM_EAN13;
		}
		if (unit && g->code[1] == '0')
			choice[nc++] = FORM_UPCA;
		choice[nc++] = FORM_GTIN14;
		choice[nc++] = FORM_ES_RAW;
		choice[nc++] = FORM_ES_BRACKET;
		choice[nc++] = FORM_DL;
	}
	enum form fm = choice[rnd_below(&d->rng, nc)];
	const char *c = g->code;
	bool exp = lot && yymmdd && yymmdd[0];
	switch (fm) {
	case FORM_EAN13:
		snprintf(buf, n, "%s", c + 1);
		break;
	case FORM_GTIN14:
		snprintf(buf, n, "%s", c);
		break;
	case FORM_UPCA:
		snprintf(buf, n, "%s", c + 2);
		break;
	case FORM_AIM_EAN13:
		snprintf(buf, n, "]E0%s", c + 1);
		break;
	case FORM_ES_RAW:
		/* (17) has a predefined length; (10) last needs no separator. */
		snprintf(buf, n, "]C101%s%s%s%s%s", c, exp ? "17" : "", exp ? yymmdd : "",
		         lot ? "10" : "", lot ? lot : "");
		break;
	case FORM_ES_RAW_GS:
		/* A wedge scanner sends its alias for GS; others send GS itself. */
		snprintf(buf, n, "01%s10%s%s%s%s", c, lot,
		         exp ? (d->alias[0] ? d->alias : "\x1d") : "", exp ? "17" : "",
		         exp ? yymmdd : "");
		break;
	case FORM_ES_BRACKET:
		snprintf(buf, n, "(01)%s%s%s%s%s", c, lot ? "(10)" : "", lot ? lot : "",
		         exp ? "(17)" : "", exp ? yymmdd : "");
		break;
	case FORM_DL:
	default:
		fm = FORM_DL;
		snprintf(buf, n, "https://id.example.com/01/%s%s%s%s%s", c, lot ? "/10/" : "",
		         lot ? lot : "", exp ? "?17=" : "", exp ? yymmdd : "");
		break;
	}
	atomic_fetch_add(&d->f->forms[fm], 1);
	label_check(d, buf, g, lot);
	return fm;
}

/* A plain unit GTIN scan (EAN-13 or GTIN-14) of IT, for grabbing the wrong item. */
static void plain_code(struct dev *d, const struct item *it, char *buf, size_t n)
{
	const char *c = it->gtins[it->unit].code;
	if (rnd_unit(&d->rng) < 0.5)
		snprintf(buf, n, "%s", c + 1);
	else
		snprintf(buf, n, "%s", c);
}

/* Which GTIN of IT to scan with REMAINING units to go: a case when it fits (sometimes), else
 * a unit; -1 when nothing fits. */
static int choose_gtin(struct dev *d, const struct item *it, long long remaining)
{
	int cases[16], nc = 0;
	for (int i = 0; i < it->ngtins; i++)
		if (it->gtins[i].qty > 1 && it->gtins[i].qty <= remaining)
			cases[nc++] = i;
	if (nc > 0 && (it->unit < 0 || rnd_unit(&d->rng) < 0.5))
		return cases[rnd_below(&d->rng, (size_t)nc)];
	return it->unit;
}

/* "2027-07-18" -> "270718"; "" when EXPIRY is not a date. */
static void expiry_yymmdd(const char *expiry, char out[7])
{
	unsigned y, m, dd;
	char buf[40];
	out[0] = '\0';
	if (expiry && sscanf(expiry, "%4u-%2u-%2u", &y, &m, &dd) == 3) {
		snprintf(buf, sizeof(buf), "%02u%02u%02u", y % 100, m % 100, dd % 100);
		memcpy(out, buf, 7);
	}
}

/* ---- picking ---- */

static int pick_send(struct dev *d, const char *task, const char *code, json_t **reply)
{
	atomic_fetch_add(&d->f->pick_scans, 1);
	return verdict(d,
	               json_pack("{s:s, s:s, s:s, s:s, s:s}", "op", "pick.scan", "device", d->id,
	                         "task", task, "code", code, "picker", d->worker),
	               reply);
}

/* Units picked so far according to the engine's answer (FALLBACK when it does not say). */
static long long reply_picked(const json_t *reply, long long fallback)
{
	return jint(json_object_get(reply, "task"), "picked", fallback);
}

/* A location that is not LOC: the same bay one level up or down. */
static void other_location(const char *loc, char *buf, size_t n)
{
	snprintf(buf, n, "LOC-%s", loc);
	size_t len = strlen(buf);
	if (len > 0 && isdigit((unsigned char)buf[len - 1]))
		buf[len - 1] = buf[len - 1] == '1' ? '2' : '1';
	else
		snprintf(buf, n, "LOC-%s-1", loc);
}

/* Walks to the task's stop in real time when --walk-speed is set. */
static void walk_to(struct dev *d, const json_t *task, const struct wh *w)
{
	double speed = d->f->o.walk_mps;
	if (speed <= 0 || w == NULL)
		return;
	double x = (double)jint(task, "aisle", 0) * w->aisle_spacing;
	double y = (double)jint(task, "position", 0) * w->slot_length;
	double dist = d->placed ? fabs(x - d->x) + fabs(y - d->y) : 0;
	d->x = x;
	d->y = y;
	d->placed = true;
	int64_t until = mono_us() + (int64_t)(dist / speed * 1e6);
	while (!stopping(d->f) && mono_us() < until)
		sleep_ms(20);
}

static const struct wh *wh_find(struct sim *f, const char *id)
{
	for (size_t i = 0; id && i < f->nwh; i++)
		if (strcmp(f->whs[i].id, id) == 0)
			return &f->whs[i];
	return NULL;
}

/*
 * After a correct scan was refused the task cannot go on as planned: report a short pick for
 * what is not picked yet (pick.short), as a picker would, so the order is re-allocated.
 * Returns 0 when the picker can go on, -1 when it must stop.
 */
static int give_up_task(struct dev *d, const json_t *task, long long picked)
{
	long long qty = jint(task, "qty", 0);
	if (picked >= qty)
		return -1;
	json_t *r = NULL;
	atomic_fetch_add(&d->f->shorts, 1);
	int rc =
	    verdict(d,
	            json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "op", "pick.short", "device", d->id,
	                      "task", jstr(task, "id"), "found", (json_int_t)picked, "picker",
	                      d->worker, "reason", "wms-floor: a correct scan was refused"),
	            &r);
	if (rc)
		return -1;
	rc = refusal(r) ? -1 : 0;
	if (rc)
		problem(d->f, "pick.short of task %s refused: %s", jstr(task, "id"),
		        reply_message(r));
	json_decref(r);
	return rc;
}

/* The task's tote, or another tote of the cart for a wrong_tote mistake. */
static void other_tote(const json_t *batch, const char *tote, char *buf, size_t n)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(batch, "totes"), i, t)
	{
		const char *x = jstr(t, "tote");
		if (x && strcmp(x, tote) != 0) {
			snprintf(buf, n, "%s", x);
			return;
		}
	}
	snprintf(buf, n, "%s", strcmp(tote, "TOTE-999999") ? "TOTE-999999" : "TOTE-999998");
}

/* A location label that is not the task's (at any step: a neighbour's label in passing). */
static int pick_wrong_location(struct dev *d, const json_t *task)
{
	char code[128];
	json_t *r = NULL;
	other_location(jstr(task, "location"), code, sizeof(code));
	atomic_fetch_add(&d->f->faults[F_WRONG_LOCATION].injected, 1);
	int rc = pick_send(d, jstr(task, "id"), code, &r);
	if (rc)
		return rc;
	judge_fault(d, F_WRONG_LOCATION, "wrong_location", NULL, r, "pick", code);
	json_decref(r);
	return 0;
}

/* The location step: maybe the wrong location first, then the right one. 0 when done, 1 when
 * the task was given up (the picker goes on), negative when the picker must stop. */
static int pick_location(struct dev *d, const json_t *task, long long picked)
{
	const char *tid = jstr(task, "id"), *loc = jstr(task, "location");
	char code[128];
	json_t *r = NULL;
	int rc;
	if (want(d, F_WRONG_LOCATION) && (rc = pick_wrong_location(d, task)))
		return rc;
	snprintf(code, sizeof(code), "LOC-%s", loc);
	if (rnd_unit(&d->rng) < 0.1) /* a caps-locked wedge sends lower case */
		for (char *p = code; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	if ((rc = pick_send(d, tid, code, &r)))
		return rc;
	rc = expect_ok(d, r, "pick location", code);
	json_decref(r);
	if (rc == 0)
		return 0;
	return give_up_task(d, task, picked) == 0 ? 1 : -1;
}

/* Mistakes at the item step before a correct unit: the wrong item, the wrong lot. Updates
 * *PICKED when the engine (wrongly) counted one. */
static int pick_mistakes(struct dev *d, const json_t *task, const struct item *it,
                         long long *picked)
{
	const char *tid = jstr(task, "id"), *lot = jstr(task, "lot");
	char code[512], yymmdd[7];
	json_t *r = NULL;
	int rc;
	if (want(d, F_WRONG_ITEM)) {
		const struct item *other = NULL;
		if ((rc = item_other(d, it->tenant, it->sku, NULL, &other)))
			return rc;
		if (other) {
			plain_code(d, other, code, sizeof(code));
			atomic_fetch_add(&d->f->faults[F_WRONG_ITEM].injected, 1);
			if ((rc = pick_send(d, tid, code, &r)))
				return rc;
			if (judge_fault(d, F_WRONG_ITEM, "wrong_item", NULL, r, "pick", code))
				*picked = reply_picked(r, *picked + 1);
			json_decref(r);
		}
	}
	if (lot && it->unit >= 0 && *picked < jint(task, "qty", 0) && want(d, F_WRONG_LOT)) {
		char bad[ID_MAX + 2];
		other_lot(lot, bad, sizeof(bad));
		expiry_yymmdd(jstr(task, "expiry"), yymmdd);
		/* From the neighbouring lot, or the plain GTIN that shows no lot at all. */
		if (rnd_unit(&d->rng) < 0.3)
			plain_code(d, it, code, sizeof(code));
		else
			item_code(d, &it->gtins[it->unit], bad, yymmdd, code, sizeof(code));
		atomic_fetch_add(&d->f->faults[F_WRONG_LOT].injected, 1);
		if ((rc = pick_send(d, tid, code, &r)))
			return rc;
		if (judge_fault(d, F_WRONG_LOT, "wrong_lot", NULL, r, "pick", code))
			*picked = reply_picked(r, *picked + 1);
		json_decref(r);
	}
	return 0;
}

/* The tote scan, maybe early (skipped item) or into the wrong tote first. 1 when the engine
 * closed the task on a mistake, 0 when not, or an error. */
static int pick_tote_mistake(struct dev *d, const json_t *batch, const json_t *task,
                             enum fault fault)
{
	const char *tid = jstr(task, "id"), *tote = jstr(task, "tote");
	char code[ID_MAX + 2];
	json_t *r = NULL;
	if (fault == F_WRONG_TOTE)
		other_tote(batch, tote, code, sizeof(code));
	else
		snprintf(code, sizeof(code), "%s", tote);
	atomic_fetch_add(&d->f->faults[fault].injected, 1);
	int rc = pick_send(d, tid, code, &r);
	if (rc)
		return rc;
	bool accepted = judge_fault(d, fault, fault == F_WRONG_TOTE ? "wrong_tote" : "incomplete",
	                            NULL, r, "pick", code);
	bool done = accepted && json_is_true(json_object_get(r, "done"));
	json_decref(r);
	return done ? 1 : 0;
}

/* Works one task: location, the units, the tote; with mistakes at their rates. 0 to go on with
 * the next task; an error or -1 when this picker must stop. */
static int pick_task(struct dev *d, const json_t *batch, const json_t *task)
{
	struct sim *f = d->f;
	const char *tid = jstr(task, "id"), *loc = jstr(task, "location"), *sku = jstr(task, "sku"),
	           *tenant = jstr(task, "tenant"), *tote = jstr(task, "tote"),
	           *lot = jstr(task, "lot"), *step = jstr(task, "step");
	long long qty = jint(task, "qty", 0), picked = jint(task, "picked", 0);
	char code[512], yymmdd[7];
	json_t *r = NULL;
	int rc;
	if (!tid || !loc || !sku || !tenant || !tote || qty <= 0) {
		problem(f, "task.next gave a task without id, location, sku, tenant, tote or qty");
		return -1;
	}
	expiry_yymmdd(jstr(task, "expiry"), yymmdd);
	const struct item *it;
	if ((rc = item_get(d, tenant, sku, &it)))
		return rc;
	walk_to(d, task, wh_find(f, jstr(task, "warehouse")));
	if ((step == NULL || strcmp(step, "location") == 0) &&
	    (rc = pick_location(d, task, picked)) != 0)
		return rc > 0 ? 0 : rc;
	bool skipped = false;
	/* An extra unit: one more after the last, or a whole case where units remain. */
	int extra_case = -1;
	bool extra = it->unit >= 0 && want(d, F_EXTRA_UNIT);
	for (int i = 0; extra && i < it->ngtins; i++)
		if (it->gtins[i].qty > qty - picked && rnd_unit(&d->rng) < 0.5)
			extra_case = i;
	if (picked == 0 && rnd_unit(&d->rng) < 0.3 && want(d, F_WRONG_LOCATION) &&
	    (rc = pick_wrong_location(d, task)))
		return rc;
	while (picked < qty && !stopping(f)) {
		if ((rc = pick_mistakes(d, task, it, &picked)))
			return rc;
		if (picked >= qty)
			break;
		if (extra_case >= 0) {
			item_code(d, &it->gtins[extra_case], lot, yymmdd, code, sizeof(code));
			atomic_fetch_add(&f->faults[F_EXTRA_UNIT].injected, 1);
			if ((rc = pick_send(d, tid, code, &r)))
				return rc;
			if (judge_fault(d, F_EXTRA_UNIT, "over_pick", NULL, r, "pick", code))
				picked = reply_picked(r, qty);
			json_decref(r);
			extra_case = -1;
			extra = false;
			continue;
		}
		int g = choose_gtin(d, it, qty - picked);
		if (g < 0) {
			problem(f, "item %s/%s has no GTIN to scan %lld units with", tenant, sku,
			        qty - picked);
			return give_up_task(d, task, picked);
		}
		if (!skipped && picked + it->gtins[g].qty >= qty && want(d, F_SKIPPED_ITEM)) {
			/* The picker leaves the last unit(s) on the shelf and closes the tote. */
			skipped = true;
			if ((rc = pick_tote_mistake(d, batch, task, F_SKIPPED_ITEM)) != 0) {
				if (rc == 1)
					atomic_fetch_add(&f->tasks_done, 1);
				return rc == 1 ? 0 : rc;
			}
		}
		item_code(d, &it->gtins[g], lot, yymmdd, code, sizeof(code));
		json_t *sent = NULL;
		d->last_req = &sent;
		rc = pick_send(d, tid, code, &r);
		d->last_req = NULL;
		if (rc) {
			json_decref(sent);
			return rc;
		}
		if (expect_ok(d, r, "pick item", code)) {
			json_decref(sent);
			json_decref(r);
			return give_up_task(d, task, picked);
		}
		picked = reply_picked(r, picked + it->gtins[g].qty);
		if (want(d, F_RESENT_SCAN))
			rc = resend_scan(d, sent, r, "pick");
		json_decref(sent);
		json_decref(r);
		if (rc)
			return rc;
	}
	if (stopping(f))
		return 0;
	if (extra) {
		item_code(d, &it->gtins[it->unit], lot, yymmdd, code, sizeof(code));
		atomic_fetch_add(&f->faults[F_EXTRA_UNIT].injected, 1);
		if ((rc = pick_send(d, tid, code, &r)))
			return rc;
		judge_fault(d, F_EXTRA_UNIT, "over_pick", NULL, r, "pick", code);
		json_decref(r);
	}
	if (want(d, F_WRONG_TOTE) && (rc = pick_tote_mistake(d, batch, task, F_WRONG_TOTE)) != 0) {
		if (rc == 1)
			atomic_fetch_add(&f->tasks_done, 1);
		return rc == 1 ? 0 : rc;
	}
	if ((rc = pick_send(d, tid, tote, &r)))
		return rc;
	rc = expect_ok(d, r, "pick tote", tote);
	json_decref(r);
	if (rc)
		return -1; /* every unit is in the tote: nothing to short; the cart stops here */
	atomic_fetch_add(&f->tasks_done, 1);
	return 0;
}

static void *picker_main(void *arg)
{
	struct dev *d = arg;
	struct sim *f = d->f;
	size_t w = (size_t)d->index % f->nwh, idle = 0;
	while (!stopping(f) && idle < f->nwh) {
		json_t *r = NULL;
		atomic_fetch_add(&f->task_nexts, 1);
		if (call_ok(f, d->c,
		            json_pack("{s:s, s:s, s:s}", "op", "task.next", "warehouse",
		                      f->whs[w].id, "picker", d->worker),
		            &r))
			break;
		const json_t *task = json_object_get(r, "task");
		if (!json_is_object(task)) {
			/* No released work here: try the next warehouse. */
			json_decref(r);
			w = (w + 1) % f->nwh;
			idle++;
			continue;
		}
		idle = 0;
		int rc = pick_task(d, json_object_get(r, "batch"), task);
		json_decref(r);
		if (rc)
			break;
	}
	return NULL;
}

/* ---- the feed: picked totes from the event stream ---- */

static void queue_push(struct sim *f, const struct ready *x)
{
	struct queue *q = &f->q;
	char key[3 * ID_MAX + 3];
	snprintf(key, sizeof(key), "%s %s %s", x->tenant, x->order, x->shipment);
	pthread_mutex_lock(&q->mu);
	if (json_object_get(q->seen, key) == NULL) {
		json_object_set_new(q->seen, key, json_true());
		if (q->n == q->cap && q->cap < QUEUE_MAX) {
			size_t cap = q->cap ? 2 * q->cap : 256;
			struct ready *a = malloc(cap * sizeof(*a));
			if (a) {
				for (size_t i = 0; i < q->n; i++)
					a[i] = q->a[(q->head + i) % q->cap];
				free(q->a);
				q->a = a;
				q->head = 0;
				q->cap = cap;
			}
		}
		if (q->n < q->cap) {
			q->a[(q->head + q->n) % q->cap] = *x;
			q->n++;
			pthread_cond_signal(&q->cv);
		}
	}
	pthread_mutex_unlock(&q->mu);
}

/* Takes the next tote, waiting up to MS. 1 with *OUT, 0 when none came, -1 when the feed
 * has ended and the queue is empty. */
static int queue_pop(struct sim *f, struct ready *out, int ms)
{
	struct queue *q = &f->q;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) == ETIMEDOUT)
			break;
	int rc = q->n > 0 ? 1 : q->closed ? -1 : 0;
	if (rc == 1) {
		*out = q->a[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

static void queue_close(struct sim *f)
{
	pthread_mutex_lock(&f->q.mu);
	f->q.closed = true;
	pthread_cond_broadcast(&f->q.cv);
	pthread_mutex_unlock(&f->q.mu);
}

static void copy_id(char dst[ID_MAX + 1], const char *src)
{
	snprintf(dst, ID_MAX + 1, "%s", src ? src : "");
}

/* order.picked / shipment.picked: a shipment's tote is complete. */
static int on_picked(void *arg, const struct wms_event *ev)
{
	struct sim *f = arg;
	const json_t *o = ev->obj;
	struct ready x;
	if (!jstr(o, "tote") || !jstr(o, "shipment") || !jstr(o, "order") || !jstr(o, "tenant"))
		return 0;
	if (wh_find(f, jstr(o, "warehouse")) == NULL)
		return 0; /* a warehouse this run does not work */
	copy_id(x.tenant, jstr(o, "tenant"));
	copy_id(x.order, jstr(o, "order"));
	copy_id(x.shipment, jstr(o, "shipment"));
	copy_id(x.tote, jstr(o, "tote"));
	copy_id(x.warehouse, jstr(o, "warehouse"));
	atomic_fetch_add(&f->shipments_picked, 1);
	if (strcmp(ev->type, "order.picked") == 0)
		atomic_fetch_add(&f->orders_picked_events, 1);
	queue_push(f, &x);
	return 0;
}

struct feed {
	struct sim *f;
	struct wms_client *c;
	struct wms_tailer *t[2];
	pthread_t thread;
};

static void *feed_main(void *arg)
{
	struct feed *fd = arg;
	struct sim *f = fd->f;
	int64_t done_at = 0;
	while (!interrupted) {
		for (int i = 0; i < 2; i++) {
			struct wms_error err = WMS_ERROR_INIT;
			int rc = wms_tailer_next(fd->t[i], 100, on_picked, f, &err);
			if (rc < 0 && !stopping(f)) {
				problem(f, "event stream: %s (%s)", err.message, wms_errname(rc));
				sleep_ms(100);
			}
		}
		if (atomic_load(&f->stop))
			break;
		if (!atomic_load(&f->pickers_done))
			continue;
		if (done_at == 0)
			done_at = mono_us();
		uint64_t fin = atomic_load(&f->final_seq);
		if (wms_tailer_position(fd->t[0]) >= fin && wms_tailer_position(fd->t[1]) >= fin)
			break;
		if (mono_us() - done_at > (int64_t)FEED_GRACE_MS * 1000) {
			problem(f, "the event stream did not reach seq %" PRIu64 " within %d s",
			        fin, FEED_GRACE_MS / 1000);
			break;
		}
	}
	queue_close(f);
	return NULL;
}

static int feed_start(struct sim *f, struct feed *fd)
{
	static const char *const prefixes[2] = { "order.picked", "shipment.picked" };
	struct wms_error err = WMS_ERROR_INIT;
	fd->f = f;
	int rc = client_open(f, &fd->c, &err);
	for (int i = 0; rc == 0 && i < 2; i++) {
		struct wms_tailer_opts to = WMS_TAILER_OPTS_INIT;
		to.events_url = f->o.events_url;
		to.prefix = prefixes[i];
		to.after = f->start_seq;
		rc = wms_tailer_new(fd->c, &to, &fd->t[i], &err);
	}
	if (rc == 0 && pthread_create(&fd->thread, NULL, feed_main, fd) != 0)
		rc = wms_error_set(&err, WMS_ENOMEM, "", "cannot start the feed thread");
	if (rc)
		problem(f, "cannot follow the event stream at %s: %s", f->o.events_url,
		        err.message);
	return rc;
}

static void feed_stop(struct feed *fd)
{
	pthread_join(fd->thread, NULL);
	wms_tailer_free(fd->t[0]);
	wms_tailer_free(fd->t[1]);
	wms_client_close(fd->c);
}

/* ---- packing ---- */

static int pack_send(struct dev *d, const char *code, json_t **reply)
{
	atomic_fetch_add(&d->f->pack_scans, 1);
	return verdict(d,
	               json_pack("{s:s, s:s, s:s, s:s}", "op", "pack.scan", "station", d->id,
	                         "code", code, "packer", d->worker),
	               reply);
}

static int pack_weigh(struct dev *d, long long grams, json_t **reply)
{
	atomic_fetch_add(&d->f->weighs, 1);
	return verdict(d,
	               json_pack("{s:s, s:s, s:I, s:s}", "op", "pack.weigh", "station", d->id,
	                         "grams", (json_int_t)grams, "packer", d->worker),
	               reply);
}

static int pack_close(struct dev *d, json_t **reply)
{
	atomic_fetch_add(&d->f->closes, 1);
	return verdict(
	    d,
	    json_pack("{s:s, s:s, s:s}", "op", "pack.close", "station", d->id, "packer", d->worker),
	    reply);
}

/* Registers D with the engine: its kind and the GS alias its scanner sends. */
static int device_put(struct dev *d)
{
	json_t *r = NULL;
	json_t *dev =
	    json_pack("{s:s, s:s}", "id", d->id, "kind", d->station ? "pack_station" : "handheld");
	if (dev && d->alias[0])
		json_object_set_new(dev, "gs_alias", json_string(d->alias));
	int rc =
	    call_ok(d->f, d->c, json_pack("{s:s, s:o}", "op", "device.put", "device", dev), &r);
	json_decref(r);
	return rc;
}

/* A carton set aside: the station carries on under a new id, its old session stays open. */
static int abandon(struct dev *d, const struct ready *r, const char *why)
{
	atomic_fetch_add(&d->f->abandoned, 1);
	problem(d->f, "station %s set the carton of %s/%s (%s) aside: %s", d->id, r->tenant,
	        r->order, r->tote, why);
	d->generation++;
	snprintf(d->id, sizeof(d->id), "%s-R%d", d->base, d->generation);
	return device_put(d);
}

/* One carton being packed. */
struct carton {
	struct dev *d;
	const struct ready *r;
	const struct wh *w;
	json_t *order;    /* order.get's order (owned) */
	json_t *expected; /* sku -> units of the shipment */
	json_t *lots;     /* sku -> {lot, expiry} of its first pick */
	json_t *labels;   /* insert labels the order needs */
	json_t *physical; /* sku -> units put in */
	json_t *inserts;  /* labels put in */
	long long grams, tol;
};

static void carton_release(struct carton *k)
{
	json_decref(k->order);
	json_decref(k->expected);
	json_decref(k->lots);
	json_decref(k->labels);
	json_decref(k->physical);
	json_decref(k->inserts);
}

/*
 * Whether SHIPMENT's carton is the one of ORDER (an order.get order) that carries the inserts
 * and the gift card: the shipment allocation.inserts_shipment names, else the first one
 * (PROTOCOL.md 7.7). The other cartons of a split order carry none, and the engine refuses an
 * insert scanned into them (not_in_order).
 */
static bool carries_inserts(const json_t *order, const char *shipment)
{
	const json_t *a = json_object_get(order, "allocation");
	const char *mark = jstr(a, "inserts_shipment");
	if (mark == NULL)
		mark = jstr(json_array_get(json_object_get(a, "shipments"), 0), "id");
	return mark && shipment && strcmp(mark, shipment) == 0;
}

/* Reads the order and its shipment: what goes in the carton. 0, 1 when the shipment is not
 * there (reported), or an error. */
static int carton_load(struct carton *k)
{
	struct dev *d = k->d;
	json_t *r = NULL;
	int rc = call_ok(d->f, d->c,
	                 json_pack("{s:s, s:s, s:s}", "op", "order.get", "tenant", k->r->tenant,
	                           "id", k->r->order),
	                 &r);
	if (rc)
		return rc;
	k->order = json_incref(json_object_get(r, "order"));
	json_decref(r);
	k->expected = json_object();
	k->lots = json_object();
	k->labels = json_array();
	k->physical = json_object();
	k->inserts = json_array();
	const json_t *ship = NULL, *s;
	size_t i, j;
	json_array_foreach(json_object_get(json_object_get(k->order, "allocation"), "shipments"), i,
	                   s)
	{
		if (jstr(s, "id") && strcmp(jstr(s, "id"), k->r->shipment) == 0)
			ship = s;
	}
	if (ship == NULL) {
		problem(d->f, "order %s/%s has no shipment %s", k->r->tenant, k->r->order,
		        k->r->shipment);
		return 1;
	}
	json_t *l, *p;
	json_array_foreach(json_object_get(ship, "lines"), i, l)
	{
		const char *sku = jstr(l, "sku");
		if (sku == NULL)
			continue;
		jcount(k->expected, sku, jint(l, "qty", 0));
		json_array_foreach(json_object_get(l, "picks"), j, p)
		{
			if (jstr(p, "lot") && json_object_get(k->lots, sku) == NULL)
				json_object_set(k->lots, sku, p);
		}
	}
	bool carries = carries_inserts(k->order, k->r->shipment);
	json_array_foreach(carries ? json_object_get(k->order, "inserts") : NULL, i, l)
	{
		char label[ID_MAX + 8];
		snprintf(label, sizeof(label), "INS-%s", json_string_value(l));
		for (char *c = label; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		json_array_append_new(k->labels, json_string(label));
	}
	if (carries && jstr(k->order, "gift_message"))
		json_array_append_new(k->labels, json_string("INS-GIFT"));
	return 0;
}

/* The weight the engine expects (items plus tare) and its tolerance, per pack.h. */
static int carton_weight(struct carton *k)
{
	long long g = k->w ? k->w->tare_g : DEFAULT_TARE_G;
	const char *sku;
	json_t *q;
	json_object_foreach(k->expected, sku, q)
	{
		const struct item *it;
		int rc = item_get(k->d, k->r->tenant, sku, &it);
		if (rc)
			return rc;
		g += it->weight_g * json_integer_value(q);
	}
	long long abs_tol = k->w ? k->w->tol_g : DEFAULT_TOLERANCE_G;
	double pct = k->w ? k->w->tol_pct : DEFAULT_TOLERANCE_PCT;
	long long rel = llround((double)g * pct / 100.0);
	k->grams = g;
	k->tol = rel > abs_tol ? rel : abs_tol;
	return 0;
}

/* Scans one item of SKU into the carton: NUNITS (1 or a case) via GTIN G. */
static int carton_scan_item(struct carton *k, const struct item *it, int g, bool *refused)
{
	struct dev *d = k->d;
	char code[512], yymmdd[7] = "";
	const json_t *lp = json_object_get(k->lots, it->sku);
	const char *lot = NULL;
	/* Lot-tracked labels carry the lot; packing does not check it, so sometimes the packer
	 * scans the plain GTIN part. */
	if (lp && it->lot_tracked && rnd_unit(&d->rng) < 0.5) {
		lot = jstr(lp, "lot");
		expiry_yymmdd(jstr(lp, "expiry"), yymmdd);
	}
	item_code(d, &it->gtins[g], lot, yymmdd, code, sizeof(code));
	json_t *r = NULL, *sent = NULL;
	d->last_req = &sent;
	int rc = pack_send(d, code, &r);
	d->last_req = NULL;
	if (rc == 0) {
		*refused = expect_ok(d, r, "pack item", code) != 0;
		if (!*refused)
			jcount(k->physical, it->sku, it->gtins[g].qty);
		if (!*refused && want(d, F_RESENT_SCAN))
			rc = resend_scan(d, sent, r, "pack");
	}
	json_decref(sent);
	json_decref(r);
	return rc;
}

/* Packs the units of SKU (less WITHHOLD), with wrong items and an extra unit at their rates. */
static int carton_pack_sku(struct carton *k, const char *sku, long long withhold, bool *refused)
{
	struct dev *d = k->d;
	const struct item *it;
	char code[512];
	json_t *r = NULL;
	int rc = item_get(d, k->r->tenant, sku, &it);
	if (rc)
		return rc;
	long long remaining = jint(k->expected, sku, 0) - withhold;
	while (remaining > 0) {
		if (want(d, F_WRONG_ITEM)) {
			const struct item *other = NULL;
			if ((rc = item_other(d, k->r->tenant, sku, k->expected, &other)))
				return rc;
			if (other) {
				plain_code(d, other, code, sizeof(code));
				atomic_fetch_add(&d->f->faults[F_WRONG_ITEM].injected, 1);
				if ((rc = pack_send(d, code, &r)))
					return rc;
				if (judge_fault(d, F_WRONG_ITEM, "not_in_order", NULL, r, "pack",
				                code))
					jcount(k->physical, other->sku, 1);
				json_decref(r);
			}
		}
		int g = choose_gtin(d, it, remaining);
		if (g < 0) {
			problem(d->f, "item %s/%s has no GTIN to pack %lld units with",
			        k->r->tenant, sku, remaining);
			*refused = true;
			return 0;
		}
		if ((rc = carton_scan_item(k, it, g, refused)) || *refused)
			return rc;
		remaining -= it->gtins[g].qty;
	}
	if (withhold == 0 && it->unit >= 0 && want(d, F_EXTRA_UNIT)) {
		item_code(d, &it->gtins[it->unit], NULL, NULL, code, sizeof(code));
		atomic_fetch_add(&d->f->faults[F_EXTRA_UNIT].injected, 1);
		if ((rc = pack_send(d, code, &r)))
			return rc;
		if (judge_fault(d, F_EXTRA_UNIT, "over_pack", NULL, r, "pack", code))
			jcount(k->physical, sku, 1);
		json_decref(r);
	}
	return 0;
}

static int carton_insert(struct carton *k, const char *label, bool *refused)
{
	json_t *r = NULL;
	int rc = pack_send(k->d, label, &r);
	if (rc)
		return rc;
	*refused = expect_ok(k->d, r, "pack insert", label) != 0;
	if (!*refused)
		json_array_append_new(k->inserts, json_string(label));
	json_decref(r);
	return 0;
}

/* Puts the carton on the scale: the true weight with scale noise well inside tolerance. */
static int carton_weigh(struct carton *k, bool *refused)
{
	struct dev *d = k->d;
	double noise = rnd_normal(&d->rng) * (double)k->tol / 4.0;
	double lim = 0.8 * (double)(k->tol > 1 ? k->tol - 1 : 0);
	noise = fmax(-lim, fmin(lim, noise));
	long long grams = k->grams + llround(noise);
	json_t *r = NULL;
	int rc = pack_weigh(d, grams < 0 ? 0 : grams, &r);
	if (rc)
		return rc;
	char what[32];
	snprintf(what, sizeof(what), "%lld g", grams);
	*refused = expect_ok(d, r, "pack.weigh", what) != 0;
	long long engine_g = jint(r, "expected_g", k->grams);
	if (engine_g != k->grams)
		problem(d->f,
		        "carton of %s/%s: the engine expects %lld g, items plus tare make %lld g",
		        k->r->tenant, k->r->order, engine_g, k->grams);
	json_decref(r);
	return 0;
}

/* A close the engine must refuse (FAULT); 1 when it closed the carton anyway. */
static int carton_close_early(struct carton *k, enum fault fault, const char *want_code)
{
	json_t *r = NULL;
	atomic_fetch_add(&k->d->f->faults[fault].injected, 1);
	int rc = pack_close(k->d, &r);
	if (rc)
		return rc;
	rc = judge_fault(k->d, fault, want_code, NULL, r, "pack.close", "close") ? 1 : 0;
	json_decref(r);
	return rc;
}

static void carton_record(struct carton *k, const char *sscc)
{
	struct sim *f = k->d->f;
	pthread_mutex_lock(&f->mu);
	if (f->npacked == f->cappacked) {
		size_t cap = f->cappacked ? 2 * f->cappacked : 256;
		struct packed *a = realloc(f->packed, cap * sizeof(*a));
		if (a == NULL) {
			pthread_mutex_unlock(&f->mu);
			problem(f, "out of memory recording carton %s", sscc);
			return;
		}
		f->packed = a;
		f->cappacked = cap;
	}
	struct packed *p = &f->packed[f->npacked++];
	p->r = *k->r;
	p->physical = json_incref(k->physical);
	p->inserts = json_incref(k->inserts);
	snprintf(p->sscc, sizeof(p->sscc), "%s", sscc ? sscc : "");
	pthread_mutex_unlock(&f->mu);
}

/* The station's work on one tote. 0 when the station can take the next tote. */
static int pack_tote(struct dev *d, const struct ready *rd)
{
	struct carton k = { .d = d, .r = rd, .w = wh_find(d->f, rd->warehouse) };
	json_t *r = NULL;
	bool refused = false;
	int rc = carton_load(&k);
	if (rc) {
		carton_release(&k);
		return rc > 0 ? 0 : rc;
	}
	if ((rc = carton_weight(&k)))
		goto out;
	if ((rc = pack_send(d, rd->tote, &r)))
		goto out;
	if (expect_ok(d, r, "pack tote", rd->tote)) {
		json_decref(r);
		rc = abandon(d, rd, "the tote scan was refused");
		goto out;
	}
	json_decref(r);
	/* The skus in a random order; a skipped item is one unit of the last. */
	size_t nskus = json_object_size(k.expected), i = 0;
	const char **skus = calloc(nskus ? nskus : 1, sizeof(*skus));
	const char *sku;
	json_t *q;
	if (skus == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	json_object_foreach(k.expected, sku, q) skus[i++] = sku;
	for (i = nskus; i > 1; i--) {
		size_t j = rnd_below(&d->rng, i);
		const char *t = skus[i - 1];
		skus[i - 1] = skus[j];
		skus[j] = t;
	}
	const char *withheld = nskus && want(d, F_SKIPPED_ITEM) ? skus[nskus - 1] : NULL;
	for (i = 0; i < nskus && rc == 0 && !refused; i++)
		rc = carton_pack_sku(&k, skus[i], skus[i] == withheld ? 1 : 0, &refused);
	free(skus);
	if (rc || refused) {
		rc = rc ? rc : abandon(d, rd, "an item scan was refused");
		goto out;
	}
	size_t nlabels = json_array_size(k.labels);
	long missing =
	    nlabels && want(d, F_MISSING_INSERT) ? (long)rnd_below(&d->rng, nlabels) : -1;
	for (i = 0; i < nlabels && rc == 0 && !refused; i++)
		if ((long)i != missing)
			rc = carton_insert(&k, json_string_value(json_array_get(k.labels, i)),
			                   &refused);
	if (rc || refused) {
		rc = rc ? rc : abandon(d, rd, "an insert scan was refused");
		goto out;
	}
	if (withheld) {
		const struct item *it;
		if ((rc = item_get(d, rd->tenant, withheld, &it)))
			goto out;
		if (rnd_unit(&d->rng) < 0.5) {
			/* Noticed at the scale, which shows the carton without the unit... */
			long long grams = k.grams - it->weight_g;
			char what[32];
			snprintf(what, sizeof(what), "%lld g", grams);
			atomic_fetch_add(&d->f->faults[F_SKIPPED_ITEM].injected, 1);
			if ((rc = pack_weigh(d, grams, &r)))
				goto out;
			judge_fault(d, F_SKIPPED_ITEM, "incomplete", NULL, r, "pack.weigh", what);
			json_decref(r);
		} else if ((rc = carton_close_early(&k, F_SKIPPED_ITEM, "incomplete")) != 0) {
			goto closed; /* ...or when closing */
		}
		if (it->unit < 0 || (rc = carton_scan_item(&k, it, it->unit, &refused)) ||
		    refused) {
			rc = rc ? rc : abandon(d, rd, "the skipped item could not be packed");
			goto out;
		}
	}
	if (want(d, F_WRONG_WEIGHT)) {
		long long delta = k.tol + 1 + (long long)rnd_below(&d->rng, (size_t)k.tol + 20);
		long long grams =
		    rnd_unit(&d->rng) < 0.5 && k.grams > delta ? k.grams - delta : k.grams + delta;
		char what[32];
		snprintf(what, sizeof(what), "%lld g", grams);
		atomic_fetch_add(&d->f->faults[F_WRONG_WEIGHT].injected, 1);
		if ((rc = pack_weigh(d, grams, &r)))
			goto out;
		judge_fault(d, F_WRONG_WEIGHT, "weight_mismatch", NULL, r, "pack.weigh", what);
		json_decref(r);
	}
	if ((rc = carton_weigh(&k, &refused)) || refused) {
		rc = rc ? rc : abandon(d, rd, "the carton's weight was refused");
		goto out;
	}
	if (missing >= 0) {
		if ((rc = carton_close_early(&k, F_MISSING_INSERT, "missing_insert")) != 0)
			goto closed;
		if ((rc = carton_insert(&k, json_string_value(json_array_get(k.labels, missing)),
		                        &refused)) ||
		    refused || (rc = carton_weigh(&k, &refused)) || refused) {
			rc = rc ? rc : abandon(d, rd, "the missing insert could not be added");
			goto out;
		}
	}
	if ((rc = pack_close(d, &r)))
		goto out;
	if (expect_ok(d, r, "pack.close", "close")) {
		json_decref(r);
		rc = abandon(d, rd, "pack.close was refused");
		goto out;
	}
	carton_record(&k, jstr(r, "sscc"));
	json_decref(r);
	goto out;
closed:
	/* The engine closed a carton it should have refused: it left as it was. */
	if (rc == 1) {
		carton_record(&k, "");
		rc = 0;
	}
out:
	carton_release(&k);
	return rc;
}

static void *station_main(void *arg)
{
	struct dev *d = arg;
	struct sim *f = d->f;
	while (!stopping(d->f)) {
		struct ready rd;
		int got = queue_pop(f, &rd, 200);
		if (got < 0)
			break;
		if (got == 1 && pack_tote(d, &rd) != 0)
			break;
	}
	return NULL;
}

/* ---- preparation: orders, waves ---- */

struct gen_wh {
	const char *id;
	double lat, lon;
	const json_t *carriers;
	json_t *stock; /* tenant -> {sku -> units left to order} (scannable items only) */
};

static const char *const given_names[] = { "Amara",  "Bruno", "Carmen", "Dev",   "Emil",
	                                   "Fatima", "Goran", "Hana",   "Ivo",   "Jade",
	                                   "Kofi",   "Luz",   "Mateo",  "Nadia", "Oren" };
static const char *const family_names[] = { "Abbott",  "Brandt",    "Costa", "Dunn",
	                                    "Eriksen", "Flores",    "Gupta", "Holm",
	                                    "Ibarra",  "Jovanovic", "Kaur",  "Lindqvist" };
static const char *const insert_ids[] = { "CATALOG", "RETURN-SLIP", "SAMPLE", "COUPON-10" };
static const char *const gift_texts[] = { "Happy birthday!", "Well done on the exams",
	                                  "Merry Christmas from us all", "Get well soon" };
#define ONE_OF(s, arr) arr[rnd_below(s, sizeof(arr) / sizeof(arr[0]))]

/* Whether a network item has a unit GTIN (a picker can scan it one by one). */
static bool net_item_scannable(const json_t *it)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(it, "gtins"), i, g)
	{
		const char *code = json_is_string(g) ? json_string_value(g) : jstr(g, "gtin");
		if (code && (strlen(code) < 14 || code[0] == '0') &&
		    (json_is_string(g) || jint(g, "qty", 1) == 1))
			return true;
	}
	return false;
}

/* The network's warehouses to generate for, with the stock of scannable items in each. */
static int gen_setup(struct sim *f, const json_t *net, struct gen_wh *gw, size_t *n)
{
	json_t *scannable = json_object();
	size_t i, k = 0;
	json_t *v;
	json_array_foreach(json_object_get(net, "items"), i, v)
	{
		char key[2 * ID_MAX + 2];
		if (!jstr(v, "tenant") || !jstr(v, "sku") || !net_item_scannable(v))
			continue;
		snprintf(key, sizeof(key), "%s %s", jstr(v, "tenant"), jstr(v, "sku"));
		json_object_set_new(scannable, key, json_true());
	}
	for (size_t w = 0; w < f->nwh; w++) {
		const json_t *wh = NULL;
		json_array_foreach(json_object_get(net, "warehouses"), i, v)
		{
			if (jstr(v, "id") && strcmp(jstr(v, "id"), f->whs[w].id) == 0)
				wh = v;
		}
		if (wh == NULL || json_array_size(json_object_get(wh, "carriers")) == 0)
			continue;
		struct gen_wh *g = &gw[k++];
		g->id = f->whs[w].id;
		g->lat = jnum(json_object_get(wh, "location"), "lat", 0);
		g->lon = jnum(json_object_get(wh, "location"), "lon", 0);
		g->carriers = json_object_get(wh, "carriers");
		g->stock = json_object();
		json_array_foreach(json_object_get(net, "stock"), i, v)
		{
			char key[2 * ID_MAX + 2];
			const char *t = jstr(v, "tenant"), *s = jstr(v, "sku");
			if (!t || !s || !jstr(v, "warehouse") ||
			    strcmp(jstr(v, "warehouse"), g->id))
				continue;
			snprintf(key, sizeof(key), "%s %s", t, s);
			if (!json_object_get(scannable, key))
				continue;
			json_t *ts = json_object_get(g->stock, t);
			if (ts == NULL)
				json_object_set_new(g->stock, t, ts = json_object());
			jcount(ts, s, jint(v, "qty", 0));
		}
	}
	json_decref(scannable);
	*n = k;
	return 0;
}

/* One generated order for warehouse G, or NULL when G has no stock left to order. */
static json_t *gen_order(struct sim *f, uint64_t *s, struct gen_wh *g, long no, int64_t now)
{
	size_t nt = json_object_size(g->stock);
	if (nt == 0)
		return NULL;
	const char *tenant = NULL, *key;
	json_t *ts = NULL, *v;
	size_t pick = rnd_below(s, nt), i = 0;
	json_object_foreach(g->stock, key, v)
	{
		if (i++ == pick) {
			tenant = key;
			ts = v;
		}
	}
	/* Skus with units left, a few of them, distinct. */
	const char *cand[64];
	size_t nc = 0;
	json_object_foreach(ts, key, v)
	{
		if (json_integer_value(v) <= 0)
			continue;
		if (nc < 64)
			cand[nc++] = key;
		else if (rnd_below(s, 4) == 0)
			cand[rnd_below(s, 64)] = key;
	}
	if (nc == 0) {
		json_object_del(g->stock, tenant);
		return NULL;
	}
	json_t *lines = json_array();
	size_t nl = 1 + rnd_below(s, 4);
	for (size_t k = 0; k < nl && k < nc; k++) {
		size_t j = k + rnd_below(s, nc - k);
		const char *sku = cand[j];
		cand[j] = cand[k];
		cand[k] = sku;
		long long left = jint(ts, sku, 0), r = (long long)rnd_below(s, 10);
		long long qty = r < 7 ? 1 : r < 9 ? 2 : 3;
		if (qty > left)
			qty = left;
		jcount(ts, sku, -qty);
		json_array_append_new(lines,
		                      json_pack("{s:s, s:I}", "sku", sku, "qty", (json_int_t)qty));
	}
	const json_t *cr = json_array_get(g->carriers, rnd_below(s, json_array_size(g->carriers)));
	char id[ID_MAX + 1], name[96], addr[96], postal[8], promised[WMS_TIME_BUFSZ],
	    placed[WMS_TIME_BUFSZ];
	snprintf(id, sizeof(id), "FL%s-%06ld", f->run, no);
	snprintf(name, sizeof(name), "%s %s", ONE_OF(s, given_names), ONE_OF(s, family_names));
	snprintf(addr, sizeof(addr), "%d Depot Road", 1 + (int)rnd_below(s, 999));
	snprintf(postal, sizeof(postal), "%05d", (int)rnd_below(s, 100000));
	int64_t days = jint(cr, "transit_days", 3) + 2 + (int64_t)rnd_below(s, 3);
	wms_time_format(now + days * WMS_MS_PER_DAY, promised);
	wms_time_format(now, placed);
	double lat = round((g->lat + (rnd_unit(s) - 0.5) * 1.6) * 1e4) / 1e4;
	double lon = round((g->lon + (rnd_unit(s) - 0.5) * 2.0) * 1e4) / 1e4;
	/* An address the notifier can write to (example.com never delivers): from the order id,
	 * not the generator, so a seed gives the same orders as before. */
	char email[ID_MAX + 32];
	snprintf(email, sizeof(email), "%s@example.com", id);
	for (char *p = email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s, s:f, s:f, s:s}, s:s, s:s, s:s}", "tenant",
	    tenant, "id", id, "lines", lines, "ship_to", "name", name, "address", addr,
	    "postal_code", postal, "country", f->o.country, "lat", fmax(-89.9, fmin(89.9, lat)),
	    "lon", fmax(-179.9, fmin(179.9, lon)), "email", email, "service", jstr(cr, "service"),
	    "promised_by", promised, "placed_at", placed);
	if (o && rnd_unit(s) < 0.25) {
		json_t *ins = json_array();
		json_array_append_new(ins, json_string(ONE_OF(s, insert_ids)));
		if (rnd_unit(s) < 0.3) {
			const char *second = ONE_OF(s, insert_ids);
			if (strcmp(second, json_string_value(json_array_get(ins, 0))) != 0)
				json_array_append_new(ins, json_string(second));
		}
		json_object_set_new(o, "inserts", ins);
	}
	if (o && rnd_unit(s) < 0.15)
		json_object_set_new(o, "gift_message", json_string(ONE_OF(s, gift_texts)));
	return o;
}

static void on_submitted(void *arg, void *tag, int rc, json_t *reply, const struct wms_error *err)
{
	struct sim *f = arg;
	(void)tag;
	if (rc) {
		f->refused_orders++;
		problem(f, "order.submit: %s", err ? err->message : wms_errname(rc));
		return;
	}
	const char *state = jstr(json_object_get(reply, "order"), "state");
	if (!json_is_true(json_object_get(reply, "ok")) || state == NULL) {
		f->refused_orders++;
		problem(f, "order.submit refused: %s", reply_message(reply));
		return;
	}
	f->submitted++;
	if (strcmp(state, "allocated") == 0)
		f->allocated++;
	else if (strcmp(state, "backordered") == 0)
		f->backordered++;
}

/* Generates and submits --orders orders from the network file, pipelined. */
static int submit_orders(struct sim *f, struct wms_client *c, int64_t now)
{
	json_error_t jerr;
	json_t *net = json_load_file(f->o.network, JSON_REJECT_DUPLICATES, &jerr);
	if (net == NULL) {
		fprintf(stderr, "wms-floor: %s: line %d: %s\n", f->o.network, jerr.line, jerr.text);
		return WMS_EVALUE;
	}
	struct gen_wh gw[MAX_WH];
	size_t ngw = 0;
	gen_setup(f, net, gw, &ngw);
	struct wms_pipeline *p = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = ngw ? wms_pipeline_new(c, 32, on_submitted, f, &p, &err) : WMS_ENOTFOUND;
	if (rc == WMS_ENOTFOUND)
		fprintf(stderr, "wms-floor: %s has no stock of scannable items in the warehouses\n",
		        f->o.network);
	uint64_t s = f->o.seed ^ 0x5DEECE66DULL;
	long made = 0;
	for (long misses = 0; rc == 0 && made < f->o.orders && misses < 1000 && !interrupted;) {
		json_t *o = gen_order(f, &s, &gw[rnd_below(&s, ngw)], made + 1, now);
		if (o == NULL) {
			misses++;
			continue;
		}
		json_t *req = json_pack("{s:s, s:o}", "op", "order.submit", "order", o);
		if ((rc = wms_pipeline_send(p, req, NULL, &err)) != 0)
			fprintf(stderr, "wms-floor: order.submit: %s\n", err.message);
		json_decref(req);
		made++;
	}
	wms_pipeline_free(p); /* drains first */
	if (made < f->o.orders && rc == 0)
		problem(f, "the network's stock allowed %ld of the %ld orders asked for", made,
		        f->o.orders);
	for (size_t i = 0; i < ngw; i++)
		json_decref(gw[i].stock);
	json_decref(net);
	return rc;
}

/* Plans waves for every warehouse until nothing is queued, releasing each. */
static int plan_and_release(struct sim *f, struct wms_client *c)
{
	for (size_t w = 0; w < f->nwh && !interrupted; w++) {
		for (int round = 0; round < 1000 && !interrupted; round++) {
			json_t *r = NULL;
			int rc = call_ok(f, c,
			                 json_pack("{s:s, s:s, s:i, s:i}", "op", "wave.plan",
			                           "warehouse", f->whs[w].id, "max_orders",
			                           f->o.wave_orders, "waves", 10),
			                 &r);
			if (rc)
				return rc;
			size_t i, nw = json_array_size(json_object_get(r, "waves"));
			json_t *wave;
			json_array_foreach(json_object_get(r, "waves"), i, wave)
			{
				json_t *rel = NULL;
				if (call_ok(f, c,
				            json_pack("{s:s, s:s}", "op", "wave.release", "wave",
				                      jstr(wave, "id")),
				            &rel) == 0) {
					f->waves++;
					f->tasks_released += (uint64_t)jint(rel, "tasks", 0);
				}
				json_decref(rel);
			}
			long long queued = jint(r, "still_queued", 0);
			json_decref(r);
			if (nw == 0 || queued == 0)
				break;
		}
	}
	return 0;
}

/* What packing and walking need of each warehouse worked (warehouse.get). */
static int load_warehouses(struct sim *f, struct wms_client *c)
{
	for (size_t i = 0; i < f->nwh; i++) {
		json_t *r = NULL;
		int rc = call_ok(
		    f, c, json_pack("{s:s, s:s}", "op", "warehouse.get", "id", f->whs[i].id), &r);
		if (rc)
			return rc;
		const json_t *w = json_object_get(r, "warehouse"),
		             *l = json_object_get(w, "layout");
		struct wh *x = &f->whs[i];
		x->tare_g = jint(w, "carton_tare_g", DEFAULT_TARE_G);
		x->tol_g = jint(w, "weight_tolerance_g", DEFAULT_TOLERANCE_G);
		x->tol_pct = jnum(w, "weight_tolerance_pct", DEFAULT_TOLERANCE_PCT);
		x->slot_length = jnum(l, "slot_length", 1.0);
		x->aisle_spacing = jnum(l, "aisle_spacing", 3.0);
		json_decref(r);
	}
	return 0;
}

/* ---- the independent check of every packed carton ---- */

/* Sums the {sku: qty} objects of ARRAY's elements at KEY into a new object. */
static json_t *sum_items(const json_t *array, const char *key)
{
	json_t *sum = json_object(), *x, *q;
	size_t i;
	const char *sku;
	json_array_foreach(array, i, x)
	{
		json_object_foreach((json_t *)json_object_get(x, key), sku, q)
		    jcount(sum, sku, json_integer_value(q));
	}
	return sum;
}

/* {sku: qty} of a list of lines. */
static json_t *line_items(const json_t *lines)
{
	json_t *sum = json_object(), *l;
	size_t i;
	json_array_foreach(lines, i, l)
	{
		if (jstr(l, "sku"))
			jcount(sum, jstr(l, "sku"), jint(l, "qty", 0));
	}
	return sum;
}

/* The labels of a list as a set {label: true}. */
static json_t *label_set(const json_t *labels)
{
	json_t *set = json_object(), *l;
	size_t i;
	json_array_foreach(labels, i, l)
	{
		if (json_string_value(l))
			json_object_set_new(set, json_string_value(l), json_true());
	}
	return set;
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Reports a difference between what should be in a carton and what WHO says is in it. */
static bool differs(struct sim *f, const struct packed *p, const char *what, const char *who,
                    const json_t *want_j, const json_t *got)
{
	if (json_equal((json_t *)want_j, (json_t *)got))
		return false;
	char *a = dump(want_j), *b = dump(got);
	problem(f, "WRONG carton %s of %s/%s shipment %s: %s %s %s, the order needs %s", p->sscc,
	        p->r.tenant, p->r.order, p->r.shipment, who, what, b ? b : "?", a ? a : "?");
	free(a);
	free(b);
	return true;
}

/* Checks one packed carton against order.get. 0 good, 1 wrong, or an error. */
static int check_carton(struct sim *f, struct wms_client *c, const struct packed *p,
                        json_t *orders_packed)
{
	json_t *r = NULL;
	int rc = call_ok(f, c,
	                 json_pack("{s:s, s:s, s:s}", "op", "order.get", "tenant", p->r.tenant,
	                           "id", p->r.order),
	                 &r);
	if (rc)
		return rc;
	const json_t *o = json_object_get(r, "order"), *ship = NULL, *s;
	const json_t *ships = json_object_get(json_object_get(o, "allocation"), "shipments");
	size_t i;
	json_array_foreach(ships, i, s)
	{
		if (jstr(s, "id") && strcmp(jstr(s, "id"), p->r.shipment) == 0)
			ship = s;
	}
	bool wrong = false;
	if (ship == NULL) {
		problem(f, "order %s/%s lost shipment %s after packing", p->r.tenant, p->r.order,
		        p->r.shipment);
		json_decref(r);
		return 1;
	}
	json_t *want_items = line_items(json_object_get(ship, "lines"));
	json_t *cartons = sum_items(json_object_get(ship, "cartons"), "items");
	wrong |= differs(f, p, "holds", "the engine's carton record", want_items, cartons);
	wrong |= differs(f, p, "holds", "the packer put in", want_items, p->physical);
	/* Inserts: what the order asks for, what pack.scanned events say, what went in. */
	json_t *need = json_array(), *l, *ev;
	bool carries = carries_inserts(o, p->r.shipment);
	json_array_foreach(carries ? json_object_get(o, "inserts") : NULL, i, l)
	{
		char label[ID_MAX + 8];
		snprintf(label, sizeof(label), "INS-%s", json_string_value(l));
		for (char *q = label; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		json_array_append_new(need, json_string(label));
	}
	if (carries && jstr(o, "gift_message"))
		json_array_append_new(need, json_string("INS-GIFT"));
	json_t *scanned = json_array();
	json_array_foreach(json_object_get(o, "timeline"), i, ev)
	{
		if (jstr(ev, "type") && strcmp(jstr(ev, "type"), "pack.scanned") == 0 &&
		    jstr(ev, "insert") && jstr(ev, "shipment") &&
		    strcmp(jstr(ev, "shipment"), p->r.shipment) == 0)
			json_array_append(scanned, json_object_get(ev, "insert"));
	}
	json_t *need_set = label_set(need), *ev_set = label_set(scanned),
	       *put_set = label_set(p->inserts);
	wrong |= differs(f, p, "has the inserts", "the pack.scanned events say", need_set, ev_set);
	wrong |= differs(f, p, "has the inserts", "the packer put in", need_set, put_set);
	/* A fully packed order: all its cartons together hold exactly its lines. */
	const char *state = jstr(o, "state");
	if (state && strcmp(state, "packed") == 0) {
		char key[2 * ID_MAX + 2];
		snprintf(key, sizeof(key), "%s %s", p->r.tenant, p->r.order);
		json_object_set_new(orders_packed, key, json_true());
		json_t *all = json_object(), *sum;
		json_array_foreach(ships, i, s)
		{
			sum = sum_items(json_object_get(s, "cartons"), "items");
			const char *sku;
			json_t *q;
			json_object_foreach(sum, sku, q) jcount(all, sku, json_integer_value(q));
			json_decref(sum);
		}
		json_t *lines = line_items(json_object_get(o, "lines"));
		wrong |= differs(f, p, "and its sibling cartons hold", "the order's cartons", lines,
		                 all);
		json_decref(lines);
		json_decref(all);
	}
	json_decref(need_set);
	json_decref(ev_set);
	json_decref(put_set);
	json_decref(need);
	json_decref(scanned);
	json_decref(want_items);
	json_decref(cartons);
	json_decref(r);
	return wrong ? 1 : 0;
}

/* ---- options ---- */

static int parse_rates(const char *list, double rate[F_COUNT])
{
	char *copy = strdup(list), *save = NULL;
	int rc = copy ? 0 : -1;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		int k;
		if (eq == NULL) {
			rc = -1;
			break;
		}
		*eq = '\0';
		for (k = 0; k < F_COUNT && strcmp(fault_names[k], tok) != 0; k++)
			;
		double r = strtod(eq + 1, &end);
		if (k == F_COUNT || *end != '\0' || end == eq + 1 || !(r >= 0 && r <= 1)) {
			fprintf(stderr, "wms-floor: --inject: '%s=%s' is not TYPE=RATE (0..1)\n",
			        tok, eq + 1);
			rc = -1;
			break;
		}
		rate[k] = r;
	}
	free(copy);
	return rc;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* Parses the command line into F->o. 0, or the exit status to leave with. */
static int parse_opts(struct sim *f, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "events", required_argument, NULL, 'e' },
		{ "network", required_argument, NULL, 'N' },
		{ "orders", required_argument, NULL, 'n' },
		{ "plan", no_argument, NULL, 'P' },
		{ "warehouse", required_argument, NULL, 'w' },
		{ "pickers", required_argument, NULL, 'p' },
		{ "stations", required_argument, NULL, 'k' },
		{ "walk-speed", required_argument, NULL, 'W' },
		{ "error-rate", required_argument, NULL, 'r' },
		{ "inject", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "time-limit", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "wave-orders", required_argument, NULL, 'O' },
		{ "country", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts *o = &f->o;
	double v, rates[F_COUNT];
	const char *inject = NULL;
	bool have_seed = false;
	o->url = WMS_DEFAULT_URL;
	o->events_url = WMS_DEFAULT_EVENTS_URL;
	o->country = "US";
	o->pickers = 4;
	o->stations = 2;
	o->timeout_ms = 10000;
	o->wave_orders = 100;
	o->limit_s = 600;
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "", lo, &li)) != -1) {
		switch (ch) {
		case 'u':
			o->url = optarg;
			break;
		case 'e':
			o->events_url = optarg;
			break;
		case 'N':
			o->network = optarg;
			break;
		case 'n':
			if (parse_num(optarg, 0, 10000000, &v) || v != floor(v))
				goto bad;
			o->orders = (long)v;
			break;
		case 'P':
			o->plan = true;
			break;
		case 'w':
			if (o->nwh == MAX_WH || strlen(optarg) > ID_MAX || !*optarg)
				goto bad;
			o->warehouses[o->nwh++] = optarg;
			break;
		case 'p':
			if (parse_num(optarg, 0, MAX_DEVICES / 2, &v) || v != floor(v))
				goto bad;
			o->pickers = (int)v;
			break;
		case 'k':
			if (parse_num(optarg, 0, MAX_DEVICES / 2, &v) || v != floor(v))
				goto bad;
			o->stations = (int)v;
			break;
		case 'W':
			if (parse_num(optarg, 0, 100, &o->walk_mps))
				goto bad;
			break;
		case 'r':
			if (parse_num(optarg, 0, 1, &v))
				goto bad;
			for (int k = 0; k < F_COUNT; k++)
				o->rate[k] = v;
			break;
		case 'i':
			inject = optarg;
			break;
		case 'd':
			if (parse_num(optarg, 0, 1e6, &o->duration_s))
				goto bad;
			break;
		case 'L':
			if (parse_num(optarg, 1, 1e6, &o->limit_s))
				goto bad;
			break;
		case 't':
			if (parse_num(optarg, 1, 3600000, &v))
				goto bad;
			o->timeout_ms = (int)v;
			break;
		case 's':
			if (parse_num(optarg, 0, 9e15, &v) || v != floor(v))
				goto bad;
			o->seed = (uint64_t)v;
			have_seed = true;
			break;
		case 'O':
			if (parse_num(optarg, 1, 100000, &v) || v != floor(v))
				goto bad;
			o->wave_orders = (int)v;
			break;
		case 'C':
			/* The engine's rule: an order it would refuse is no load to test with. */
			if (!wms_country_valid(optarg))
				goto bad;
			o->country = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -EXIT_OK - 1;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	/* Per-type rates override --error-rate, whatever the order on the command line. */
	if (inject) {
		memcpy(rates, o->rate, sizeof(rates));
		if (parse_rates(inject, rates))
			goto usage;
		memcpy(o->rate, rates, sizeof(rates));
	}
	if (o->orders > 0 && o->network == NULL) {
		fprintf(stderr, "wms-floor: --orders needs --network FILE to generate them from\n");
		goto usage;
	}
	if (o->network == NULL && o->nwh == 0) {
		fprintf(stderr,
		        "wms-floor: name the warehouses: --warehouse WH or --network FILE\n");
		goto usage;
	}
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		          ((uint64_t)getpid() << 32);
		o->seed &= (1ULL << 53) - 1; /* printed as a JSON number: keep it exact */
	}
	return 0;
bad:
	fprintf(stderr, "wms-floor: bad value '%s' for --%s\n", optarg ? optarg : "", lo[li].name);
usage:
	fputs(usage_text, stderr);
	return -EXIT_USAGE - 1;
}

/* Fills F->whs from --warehouse, or from every warehouse of the network file. */
static int pick_warehouses(struct sim *f)
{
	for (size_t i = 0; i < f->o.nwh; i++)
		copy_id(f->whs[f->nwh++].id, f->o.warehouses[i]);
	if (f->nwh > 0)
		return 0;
	json_error_t jerr;
	json_t *net = json_load_file(f->o.network, JSON_REJECT_DUPLICATES, &jerr), *w;
	if (net == NULL) {
		fprintf(stderr, "wms-floor: %s: line %d: %s\n", f->o.network, jerr.line, jerr.text);
		return -1;
	}
	size_t i;
	json_array_foreach(json_object_get(net, "warehouses"), i, w)
	{
		if (jstr(w, "id") && f->nwh < MAX_WH && strlen(jstr(w, "id")) <= ID_MAX)
			copy_id(f->whs[f->nwh++].id, jstr(w, "id"));
	}
	json_decref(net);
	if (f->nwh == 0) {
		fprintf(stderr, "wms-floor: %s has no warehouses\n", f->o.network);
		return -1;
	}
	return 0;
}

/* ---- the report ---- */

static uint64_t ld(atomic_uint_fast64_t *a)
{
	return (uint64_t)atomic_load(a);
}

static json_t *report_json(struct sim *f, double secs, const struct hist *h, uint64_t checked,
                           uint64_t wrong, uint64_t orders_packed, bool ok)
{
	json_t *faults = json_object(), *forms = json_object();
	for (int k = 0; k < F_COUNT; k++) {
		struct fault_count *c = &f->faults[k];
		json_object_set_new(
		    faults, fault_names[k],
		    json_pack("{s:f, s:s, s:I, s:I, s:I, s:I}", "rate", f->o.rate[k], "verdict",
		              fault_verdicts[k], "injected", (json_int_t)ld(&c->injected), "caught",
		              (json_int_t)ld(&c->caught), "missed", (json_int_t)ld(&c->missed),
		              "other", (json_int_t)ld(&c->other)));
	}
	for (int k = 0; k < FORM_COUNT; k++)
		json_object_set_new(forms, form_names[k],
		                    json_integer((json_int_t)ld(&f->forms[k])));
	uint64_t sent = ld(&f->pick_scans) + ld(&f->pack_scans) + ld(&f->weighs) + ld(&f->closes);
	pthread_mutex_lock(&f->mu);
	json_t *problems = json_deep_copy(f->problems);
	pthread_mutex_unlock(&f->mu);
	/* The writer during the floor phase: what bounds the verdict rate. */
	double cmds = f->w1.commands - f->w0.commands, commits = f->w1.commits - f->w0.commits;
	double exec = f->w1.exec_us - f->w0.exec_us, commit = f->w1.commit_us - f->w0.commit_us;
	json_t *writer = json_pack(
	    "{s:f, s:f, s:f, s:f, s:f, s:f}", "commands", cmds, "commits", commits,
	    "commands_per_commit", commits > 0 ? cmds / commits : 0.0, "exec_us_per_command",
	    cmds > 0 ? exec / cmds : 0.0, "commit_us", commits > 0 ? commit / commits : 0.0,
	    "busy_pct", secs > 0 ? (exec + commit) / (secs * 1e6) * 100 : 0.0);
	return json_pack(
	    "{s:b, s:s, s:I, s:f, s:i, s:i, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:o}, "
	    "s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:I, s:o}",
	    "ok", ok, "run", f->run, "seed", (json_int_t)f->o.seed, "seconds", secs, "pickers",
	    f->o.pickers, "stations", f->o.stations, "errors", faults, "orders", "submitted",
	    (json_int_t)f->submitted, "allocated", (json_int_t)f->allocated, "backordered",
	    (json_int_t)f->backordered, "refused", (json_int_t)f->refused_orders, "waves",
	    (json_int_t)f->waves, "tasks_released", (json_int_t)f->tasks_released, "scans", "sent",
	    (json_int_t)sent, "pick_scan", (json_int_t)ld(&f->pick_scans), "pack_scan",
	    (json_int_t)ld(&f->pack_scans), "pack_weigh", (json_int_t)ld(&f->weighs), "pack_close",
	    (json_int_t)ld(&f->closes), "per_s", secs > 0 ? (double)sent / secs : 0.0, "p50_ms",
	    hist_quantile_ms(h, 0.50), "p99_ms", hist_quantile_ms(h, 0.99), "unexpected_refusals",
	    (json_int_t)ld(&f->unexpected), "bad_labels", (json_int_t)ld(&f->bad_labels), "forms",
	    forms, "tasks", "next_calls", (json_int_t)ld(&f->task_nexts), "done",
	    (json_int_t)ld(&f->tasks_done), "shorted", (json_int_t)ld(&f->shorts), "failed_calls",
	    (json_int_t)ld(&f->failed_calls), "picked", "shipments",
	    (json_int_t)ld(&f->shipments_picked), "orders",
	    (json_int_t)ld(&f->orders_picked_events), "packed", "cartons", (json_int_t)f->npacked,
	    "orders", (json_int_t)orders_packed, "checked", (json_int_t)checked, "wrong",
	    (json_int_t)wrong, "set_aside", (json_int_t)ld(&f->abandoned), "engine_writer", writer,
	    "problem_count", (json_int_t)ld(&f->nproblems), "problems", problems);
}

static void report_table(const json_t *rep)
{
	const json_t *sc = json_object_get(rep, "scans"), *e = json_object_get(rep, "errors");
	const json_t *pk = json_object_get(rep, "packed"), *pi = json_object_get(rep, "picked");
	const json_t *od = json_object_get(rep, "orders"), *tk = json_object_get(rep, "tasks");
	fprintf(
	    stderr,
	    "\nwms-floor run %s (seed %lld): %lld pickers, %lld stations, %.1f s on the floor\n",
	    jstr(rep, "run"), jint(rep, "seed", 0), jint(rep, "pickers", 0),
	    jint(rep, "stations", 0), jnum(rep, "seconds", 0));
	if (jint(od, "submitted", 0) || jint(od, "refused", 0))
		fprintf(stderr,
		        "orders: %lld submitted (%lld allocated, %lld backordered), %lld refused; "
		        "%lld waves released, %lld tasks\n",
		        jint(od, "submitted", 0), jint(od, "allocated", 0),
		        jint(od, "backordered", 0), jint(od, "refused", 0), jint(od, "waves", 0),
		        jint(od, "tasks_released", 0));
	fprintf(stderr, "\n%-16s %-28s %6s %9s %7s %7s %7s\n", "mistake", "verdict expected",
	        "rate", "injected", "caught", "missed", "other");
	const char *name;
	const json_t *x;
	json_object_foreach((json_t *)e, name, x)
	{
		fprintf(stderr, "%-16s %-28s %6.3f %9lld %7lld %7lld %7lld\n", name,
		        jstr(x, "verdict"), jnum(x, "rate", 0), jint(x, "injected", 0),
		        jint(x, "caught", 0), jint(x, "missed", 0), jint(x, "other", 0));
	}
	fprintf(stderr,
	        "\nscans sent %lld (pick.scan %lld, pack.scan %lld, pack.weigh %lld, pack.close "
	        "%lld): %.0f scans/s, verdict latency p50 %.3f ms, p99 %.3f ms\n",
	        jint(sc, "sent", 0), jint(sc, "pick_scan", 0), jint(sc, "pack_scan", 0),
	        jint(sc, "pack_weigh", 0), jint(sc, "pack_close", 0), jnum(sc, "per_s", 0),
	        jnum(sc, "p50_ms", 0), jnum(sc, "p99_ms", 0));
	fprintf(
	    stderr,
	    "tasks done %lld (task.next %lld, shorted %lld); picked %lld shipments (%lld orders "
	    "complete)\n",
	    jint(tk, "done", 0), jint(tk, "next_calls", 0), jint(tk, "shorted", 0),
	    jint(pi, "shipments", 0), jint(pi, "orders", 0));
	fprintf(stderr,
	        "packed %lld cartons (%lld orders complete), checked %lld, wrong %lld, set aside "
	        "%lld; unexpected refusals %lld, failed calls %lld, problems %lld\n",
	        jint(pk, "cartons", 0), jint(pk, "orders", 0), jint(pk, "checked", 0),
	        jint(pk, "wrong", 0), jint(pk, "set_aside", 0), jint(sc, "unexpected_refusals", 0),
	        jint(tk, "failed_calls", 0), jint(rep, "problem_count", 0));
	const json_t *wr = json_object_get(rep, "engine_writer");
	fprintf(stderr,
	        "engine writer: %.0f commands in %.0f commits (%.1f per commit), %.0f us handler "
	        "time per command, %.0f us per commit, busy %.0f%%\n",
	        jnum(wr, "commands", 0), jnum(wr, "commits", 0), jnum(wr, "commands_per_commit", 0),
	        jnum(wr, "exec_us_per_command", 0), jnum(wr, "commit_us", 0),
	        jnum(wr, "busy_pct", 0));
	fprintf(stderr, "%s\n",
	        json_is_true(json_object_get(rep, "ok"))
	            ? "OK: every injected mistake was caught with its verdict"
	            : "FAILED: see the problems above");
}

/* ---- main ---- */

static int run_id(char out[16])
{
	unsigned char b[3];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(b)) {
		uint64_t t = (uint64_t)mono_us() ^ ((uint64_t)getpid() << 20);
		memcpy(b, &t, sizeof(b));
	}
	snprintf(out, 16, "%02X%02X%02X", b[0], b[1], b[2]);
	return 0;
}

static int sim_init(struct sim *f)
{
	memset(f, 0, sizeof(*f));
	if (pthread_mutex_init(&f->mu, NULL) || pthread_mutex_init(&f->q.mu, NULL) ||
	    pthread_cond_init(&f->q.cv, NULL) || catalog_init(&f->cat))
		return WMS_ENOMEM;
	f->problems = json_array();
	f->q.seen = json_object();
	return f->problems && f->q.seen ? 0 : WMS_ENOMEM;
}

static void sim_release(struct sim *f)
{
	for (size_t i = 0; i < f->npacked; i++) {
		json_decref(f->packed[i].physical);
		json_decref(f->packed[i].inserts);
	}
	free(f->packed);
	free(f->q.a);
	json_decref(f->q.seen);
	json_decref(f->problems);
	catalog_release(&f->cat);
	pthread_cond_destroy(&f->q.cv);
	pthread_mutex_destroy(&f->q.mu);
	pthread_mutex_destroy(&f->mu);
}

/* Opens the devices' connections. */
static int devices_open(struct sim *f, struct dev *devs, int n)
{
	for (int i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		struct wms_error err = WMS_ERROR_INIT;
		d->f = f;
		d->station = i >= f->o.pickers;
		d->index = d->station ? i - f->o.pickers : i;
		snprintf(d->base, sizeof(d->base), "%s%s-%02d", d->station ? "STN" : "HH", f->run,
		         d->index + 1);
		snprintf(d->id, sizeof(d->id), "%s", d->base);
		snprintf(d->worker, sizeof(d->worker), "%s%s-%02d",
		         d->station ? "PACKER" : "PICKER", f->run, d->index + 1);
		d->rng = f->o.seed ^ (0xA0761D6478BD642FULL * (uint64_t)(i + 1));
		/* Every other device is a keyboard wedge that sends an alias for GS. */
		static const char *const aliases[] = { "", "|", "", "^", "", "~" };
		snprintf(d->alias, sizeof(d->alias), "%s", aliases[i % 6]);
		int rc = client_open(f, &d->c, &err);
		if (rc) {
			fprintf(stderr, "wms-floor: %s: %s\n", d->base, err.message);
			return rc;
		}
		if ((rc = device_put(d)))
			return rc;
	}
	return 0;
}

/* The floor: feed, pickers and stations until the work is done or time is up. */
static void run_floor(struct sim *f, struct wms_client *ctl, struct dev *devs, int n)
{
	struct feed fd = { 0 };
	bool feeding = f->o.stations > 0 && feed_start(f, &fd) == 0;
	if (!feeding)
		queue_close(f);
	int64_t t0 = mono_us();
	double limit =
	    f->o.duration_s > 0 && f->o.duration_s < f->o.limit_s ? f->o.duration_s : f->o.limit_s;
	f->deadline_us = t0 + (int64_t)(limit * 1e6);
	for (int i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		if (!feeding && d->station)
			continue;
		d->started = pthread_create(&d->thread, NULL,
		                            d->station ? station_main : picker_main, d) == 0;
	}
	for (int i = 0; i < f->o.pickers; i++)
		if (devs[i].started)
			pthread_join(devs[i].thread, NULL);
	json_t *r = NULL;
	if (call_ok(f, ctl, json_pack("{s:s}", "op", "ping"), &r) == 0)
		atomic_store(&f->final_seq, (uint64_t)jint(r, "last_seq", 0));
	else
		atomic_store(&f->stop, true);
	json_decref(r);
	atomic_store(&f->pickers_done, true);
	if (feeding)
		feed_stop(&fd);
	for (int i = f->o.pickers; i < n; i++)
		if (devs[i].started)
			pthread_join(devs[i].thread, NULL);
}

int main(int argc, char **argv)
{
	static struct sim fl;
	struct sim *f = &fl;
	int status = EXIT_FAILED;
	if (sim_init(f)) {
		fprintf(stderr, "wms-floor: out of memory\n");
		return EXIT_FAILED;
	}
	int prc = parse_opts(f, argc, argv);
	if (prc < 0) {
		sim_release(f);
		return -prc - 1;
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	run_id(f->run);
	if (pick_warehouses(f)) {
		sim_release(f);
		return EXIT_USAGE;
	}

	struct wms_client *ctl = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	struct dev *devs = NULL;
	int ndev = f->o.pickers + f->o.stations;
	json_t *r = NULL;
	if (client_open(f, &ctl, &err) || call_ok(f, ctl, json_pack("{s:s}", "op", "ping"), &r)) {
		fprintf(stderr, "wms-floor: no engine at %s: %s\n", f->o.url, err.message);
		status = EXIT_NOENGINE;
		goto out;
	}
	int64_t now = 0;
	wms_time_parse(jstr(r, "time") ? jstr(r, "time") : "", &now);
	json_decref(r);
	r = NULL;
	if (load_warehouses(f, ctl))
		goto out;
	if (f->o.orders > 0 && submit_orders(f, ctl, now))
		goto out;
	if ((f->o.orders > 0 || f->o.plan) && plan_and_release(f, ctl))
		goto out;
	if (call_ok(f, ctl, json_pack("{s:s}", "op", "ping"), &r))
		goto out;
	f->start_seq = (uint64_t)jint(r, "last_seq", 0);
	writer_read(r, &f->w0);
	json_decref(r);
	r = NULL;
	devs = calloc((size_t)(ndev ? ndev : 1), sizeof(*devs));
	if (devs == NULL || devices_open(f, devs, ndev)) {
		status = EXIT_NOENGINE;
		goto out;
	}

	int64_t t0 = mono_us();
	run_floor(f, ctl, devs, ndev);
	double secs = (double)(mono_us() - t0) / 1e6;
	if (call_ok(f, ctl, json_pack("{s:s}", "op", "ping"), &r) == 0)
		writer_read(r, &f->w1);
	json_decref(r);
	r = NULL;

	struct hist h = { { 0 }, 0 };
	for (int i = 0; i < ndev; i++)
		hist_merge(&h, &devs[i].h);
	uint64_t checked = 0, wrong = 0;
	json_t *orders_packed = json_object();
	for (size_t i = 0; i < f->npacked && !interrupted; i++) {
		int rc = check_carton(f, ctl, &f->packed[i], orders_packed);
		if (rc < 0)
			break;
		checked++;
		wrong += (uint64_t)rc;
	}
	bool ok = checked == f->npacked && wrong == 0 && ld(&f->unexpected) == 0 &&
	          ld(&f->bad_labels) == 0 && ld(&f->failed_calls) == 0 && ld(&f->abandoned) == 0 &&
	          !interrupted;
	for (int k = 0; k < F_COUNT; k++)
		ok = ok && ld(&f->faults[k].caught) == ld(&f->faults[k].injected);
	json_t *rep = report_json(f, secs, &h, checked, wrong, json_object_size(orders_packed), ok);
	json_decref(orders_packed);
	if (!f->o.quiet)
		report_table(rep);
	if (f->o.json) {
		char *text = json_dumps(rep, WMS_JSON_DUMP);
		if (text)
			puts(text);
		free(text);
	}
	json_decref(rep);
	status = ok ? EXIT_OK : EXIT_FAILED;
out:
	for (int i = 0; devs && i < ndev; i++)
		wms_client_close(devs[i].c);
	free(devs);
	wms_client_close(ctl);
	sim_release(f);
	return status;
}
