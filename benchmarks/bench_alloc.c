/*
 * bench_alloc - allocation on submit across the demo network, then wave planning, through the
 * engine's own request path (codec, dispatch, writer, group commit, durable LMDB commits) but
 * in process, so the figures are the engine's and not the transport's.
 *
 *   1. `wmsctl gen-orders` writes N orders for engine/demo/network.json (fixed seed and start
 *      time, so every run allocates the same orders);
 *   2. an engine on a fresh temporary store, on a simulated clock at that start time, is
 *      seeded with the demo network, stock multiplied by STOCK_FACTOR so that the orders are
 *      mostly fillable (the demo's 87,000 units serve about 15,000 such orders);
 *   3. every order is submitted with up to INFLIGHT requests queued (group commit), and the
 *      decisions are counted: single warehouse in full, split, backordered, on time;
 *   4. wave.plan then plans each warehouse's queue in waves of up to 10,000 orders (savings
 *      batching and exact routes), timed per call;
 *   5. the same for a warehouse with the classic single-block layout of the order-picking
 *      literature (10 aisles, 45 slots per side, slot 1, aisle centres 5 apart, depot at the
 *      front of aisle 1), one item per slot: 10,000 orders planned in one wave, then the same
 *      orders on a fresh store planned in waves of 2,000 by one wave.plan call.
 *
 * Usage: bench_alloc WMSD_PATH [ORDERS]   (wmsctl is found next to wmsd; default 100000)
 * Prints one "name: value unit" line per figure.
 */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tengine.h"
#include "wms/engine.h"
#include "wms/time.h"

#define START        "2026-12-01T08:00:00Z"
#define STOCK_FACTOR 20
#define INFLIGHT     512

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_alloc: %s\n", what);
	exit(1);
}

/* Submission window and the decisions seen, shared with the writer's reply callback. */
struct tally {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;
	long done, refused, single, split, backorder, on_time;
};

static void on_reply(void *arg, char *reply, size_t len)
{
	struct tally *t = arg;
	json_t *r = json_loadb(reply, len, 0, NULL);
	free(reply);
	const char *decision = tget_str(r, "order.allocation.decision");
	json_t *ships = tget(r, "order.allocation.shipments");
	bool on_time = json_array_size(ships) > 0;
	for (size_t i = 0; i < json_array_size(ships); i++)
		on_time =
		    on_time && json_is_true(json_object_get(json_array_get(ships, i), "on_time"));
	pthread_mutex_lock(&t->mu);
	t->done++;
	if (!json_is_true(json_object_get(r, "ok")))
		t->refused++;
	else if (decision && strcmp(decision, "single") == 0)
		t->single++;
	else if (decision && strcmp(decision, "split") == 0)
		t->split++;
	else
		t->backorder++;
	t->on_time += on_time;
	t->inflight--;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	json_decref(r);
}

/* Submits every order of FILE with up to INFLIGHT queued; counts into T; returns seconds. */
static double submit_file(struct wms_engine *e, const char *path, struct tally *t)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot read the orders");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	double t0 = now_s();
	long sent = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		/* The file holds bare orders; the request wraps each one. */
		char *req = NULL;
		int n = asprintf(&req, "{\"op\":\"order.submit\",\"order\":%.*s}", (int)len, line);
		if (n < 0)
			die("no memory");
		pthread_mutex_lock(&t->mu);
		while (t->inflight >= INFLIGHT)
			pthread_cond_wait(&t->cv, &t->mu);
		t->inflight++;
		pthread_mutex_unlock(&t->mu);
		wms_engine_submit(e, req, (size_t)n, on_reply, t);
		free(req);
		sent++;
	}
	pthread_mutex_lock(&t->mu);
	while (t->done < sent)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	free(line);
	fclose(f);
	return now_s() - t0;
}

/* Runs wmsctl gen-orders into OUT. */
static void gen_orders(const char *wmsctl, const char *network, long n, const char *out)
{
	char count[32];
	snprintf(count, sizeof(count), "%ld", n);
	char *argv[] = { (char *)wmsctl, "gen-orders", "--network", (char *)network, "--count",
		         count,          "--seed",     "2026",      "--start",       START,
		         "--id-prefix",  "BA",         NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st;
	if (posix_spawn(&pid, wmsctl, &fa, NULL, argv, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("wmsctl gen-orders failed");
	posix_spawn_file_actions_destroy(&fa);
}

/* The demo network with every stock quantity multiplied, written to OUT. */
static void scaled_network(const char *network, const char *out)
{
	json_error_t je;
	json_t *n = json_load_file(network, 0, &je);
	if (n == NULL)
		die("cannot read the network file");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(n, "stock"), i, s)
	{
		json_int_t q = json_integer_value(json_object_get(s, "qty")) * STOCK_FACTOR;
		json_object_set_new(s, "qty", json_integer(q));
	}
	if (json_dump_file(n, out, JSON_COMPACT) != 0)
		die("cannot write the scaled network");
	json_decref(n);
}

static json_t *call(struct wms_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static json_t *call(struct wms_engine *e, const char *fmt, ...)
{
	char text[512], *reply = NULL;
	size_t len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (wms_engine_call(e, text, (size_t)n, &reply, &len) != 0)
		die("engine call failed");
	json_t *r = json_loadb(reply, len, 0, NULL);
	free(reply);
	return r;
}

/* The classic layout, one item per bay (900), stock enough for any number of orders. */
static void classic_network(const char *out)
{
	json_t *items = json_array(), *stock = json_array();
	for (int a = 1; a <= 10; a++)
		for (int bay = 1; bay <= 90; bay++) {
			char sku[32], gtin[16], loc[32];
			snprintf(sku, sizeof(sku), "CLS-%02d-%02d", a, bay);
			/* GTIN-13 with prefix 400 and a valid check digit */
			snprintf(gtin, sizeof(gtin), "400%09d", a * 1000 + bay);
			int sum = 0;
			for (int i = 0; i < 12; i++)
				sum += (gtin[i] - '0') * (i % 2 ? 3 : 1);
			gtin[12] = (char)('0' + (10 - sum % 10) % 10);
			gtin[13] = '\0';
			snprintf(loc, sizeof(loc), "A%02d-%02d-1", a, bay);
			json_array_append_new(items, json_pack("{s:s, s:s, s:[s], s:i}", "tenant",
			                                       "cls", "sku", sku, "gtins", gtin,
			                                       "weight_g", 250));
			json_array_append_new(stock,
			                      json_pack("{s:s, s:s, s:s, s:s, s:i}", "warehouse",
			                                "CLS", "location", loc, "tenant", "cls",
			                                "sku", sku, "qty", 1000000));
		}
	json_t *n = json_pack(
	    "{s:[{s:s, s:s}], s:[{s:s, s:s, s:s, s:{s:f, s:f}, s:{s:i, s:i, s:i, s:i, s:i, "
	    "s:{s:i}},"
	    " s:[{s:s, s:s, s:s, s:i, s:f}]}], s:o, s:o}",
	    "tenants", "id", "cls", "name", "Classic", "warehouses", "id", "CLS", "name",
	    "Classic layout", "timezone", "UTC", "location", "lat", 52.52, "lon", 13.40, "layout",
	    "aisles", 10, "slots_per_side", 45, "slot_length", 1, "aisle_spacing", 5, "end_gap", 1,
	    "depot", "aisle", 1, "carriers", "carrier", "DHL", "service", "standard", "cutoff",
	    "17:00", "transit_days", 2, "cost", 4.5, "items", items, "stock", stock);
	if (n == NULL || json_dump_file(n, out, JSON_COMPACT) != 0)
		die("cannot write the classic network");
	json_decref(n);
}

/* Plans ORDERS queued orders of WH in waves of WAVE orders, in one wave.plan call. */
static void plan_in_waves(struct wms_engine *e, const char *wh, int orders, int wave)
{
	double t0 = now_s();
	json_t *p = call(e,
	                 "{\"op\":\"wave.plan\",\"warehouse\":\"%s\",\"max_orders\":%d,"
	                 "\"waves\":%d,\"cart\":{\"totes\":8,\"units\":45}}",
	                 wh, wave, (orders + wave - 1) / wave);
	double dt = now_s() - t0;
	long long n = 0, units = 0, carts = 0;
	double len = 0, ss = 0, single = 0;
	json_t *waves = tget(p, "waves"), *w;
	size_t i;
	json_array_foreach(waves, i, w)
	{
		n += tget_int(w, "orders");
		units += tget_int(w, "units");
		carts += tget_int(w, "carts");
		len += json_number_value(tget(w, "length_m"));
		ss += json_number_value(tget(w, "sshape_length_m"));
		single += json_number_value(tget(w, "single_length_m"));
	}
	printf("wave_plan_%s_in_waves_of_%d: %.3f s for %lld orders in %zu waves, %lld units, %lld "
	       "carts; route %.0f m (S-shape %.0f m, one order per trip %.0f m)\n",
	       wh, wave, dt, n, json_array_size(waves), units, carts, len, ss, single);
	json_decref(p);
}

static void plan_warehouse(struct wms_engine *e, const char *wh)
{
	for (int round = 1; round <= 20; round++) {
		double t0 = now_s();
		json_t *p = call(e,
		                 "{\"op\":\"wave.plan\",\"warehouse\":\"%s\",\"max_orders\":10000,"
		                 "\"waves\":1,\"cart\":{\"totes\":8,\"units\":45}}",
		                 wh);
		double dt = now_s() - t0;
		json_t *w = tget(p, "waves[0]");
		if (w == NULL) {
			json_decref(p);
			return;
		}
		printf(
		    "wave_plan_%s_%d: %.3f s for %lld orders, %lld units, %lld carts; route %.0f m "
		    "(S-shape %.0f m, one order per trip %.0f m), %zu at risk\n",
		    wh, round, dt, tget_int(w, "orders"), tget_int(w, "units"),
		    tget_int(w, "carts"), json_number_value(tget(w, "length_m")),
		    json_number_value(tget(w, "sshape_length_m")),
		    json_number_value(tget(w, "single_length_m")),
		    (size_t)tget_int(w, "at_risk_count"));
		json_decref(p);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: bench_alloc WMSD_PATH [ORDERS]");
	long norders = argc > 2 ? atol(argv[2]) : 100000;
	char wmsctl[1024], dir[] = "/tmp/wms-bench-alloc-XXXXXX", orders[1100], network[1100],
	                   data[1100];
	snprintf(wmsctl, sizeof(wmsctl), "%s", argv[1]);
	char *slash = strrchr(wmsctl, '/');
	snprintf(slash ? slash + 1 : wmsctl,
	         sizeof(wmsctl) - (size_t)(slash ? slash + 1 - wmsctl : 0), "wmsctl");
	const char *root = getenv("WMS_ROOT") ? getenv("WMS_ROOT") : ".";
	char demo[1024];
	snprintf(demo, sizeof(demo), "%s/engine/demo/network.json", root);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(orders, sizeof(orders), "%s/orders.jsonl", dir);
	snprintf(network, sizeof(network), "%s/network.json", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	gen_orders(wmsctl, demo, norders, orders);
	scaled_network(demo, network);

	struct wms_engine_config cfg = WMS_ENGINE_CONFIG_INIT;
	cfg.data_dir = data;
	cfg.sim_clock = true;
	wms_time_parse(START, &cfg.sim_start_ms);
	cfg.map_size = (size_t)2 << 30;
	struct wms_engine *e;
	struct wms_error err = WMS_ERROR_INIT;
	size_t loaded;
	if (wms_engine_open(&cfg, &e, &err) != 0 || wms_engine_seed(e, network, &loaded, &err) != 0)
		die(err.message);

	struct tally t = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	double dt = submit_file(e, orders, &t);
	long sent = t.done;

	json_t *ping = call(e, "{\"op\":\"ping\"}");
	printf("# bench_alloc: %ld orders of wmsctl gen-orders on the demo network (stock x%d), "
	       "%d in flight, in process\n",
	       sent, STOCK_FACTOR, INFLIGHT);
	printf("alloc_submit: %.0f orders/s (%ld orders in %.2f s, %ld refused)\n",
	       (double)sent / dt, sent, dt, t.refused);
	printf("alloc_writer: %.1f commands per commit, %.1f us handler time per command, %.0f us "
	       "per durable commit\n",
	       json_number_value(tget(ping, "writer.commands_per_commit")),
	       json_number_value(tget(ping, "writer.exec_us_per_command")),
	       json_number_value(tget(ping, "writer.commit_us")));
	long ok = sent - t.refused;
	printf("alloc_single_in_full: %.1f %% (%ld)\n",
	       ok ? 100.0 * (double)t.single / (double)ok : 0, t.single);
	printf("alloc_split: %.1f %% (%ld)\n", ok ? 100.0 * (double)t.split / (double)ok : 0,
	       t.split);
	printf("alloc_backordered: %.1f %% (%ld)\n",
	       ok ? 100.0 * (double)t.backorder / (double)ok : 0, t.backorder);
	printf("alloc_on_time: %.1f %% of allocated orders\n",
	       t.single + t.split ? 100.0 * (double)t.on_time / (double)(t.single + t.split) : 0);
	json_decref(ping);

	plan_warehouse(e, "EWR1");
	wms_engine_close(e);

	/* The classic layout: 10,000 orders into one wave. */
	char cnet[1100], corders[1100], cdata[1100];
	snprintf(cnet, sizeof(cnet), "%s/classic.json", dir);
	snprintf(corders, sizeof(corders), "%s/classic.jsonl", dir);
	snprintf(cdata, sizeof(cdata), "%s/classic-data", dir);
	classic_network(cnet);
	gen_orders(wmsctl, cnet, 10000, corders);
	cfg.data_dir = cdata;
	if (wms_engine_open(&cfg, &e, &err) != 0 || wms_engine_seed(e, cnet, &loaded, &err) != 0)
		die(err.message);
	struct tally ct = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	submit_file(e, corders, &ct);
	plan_warehouse(e, "CLS");
	wms_engine_close(e);

	/* The same 10,000 orders planned as an operator plans a shift: waves of 2,000. */
	snprintf(cdata, sizeof(cdata), "%s/classic-data-2", dir);
	cfg.data_dir = cdata;
	if (wms_engine_open(&cfg, &e, &err) != 0 || wms_engine_seed(e, cnet, &loaded, &err) != 0)
		die(err.message);
	struct tally ct2 = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	submit_file(e, corders, &ct2);
	plan_in_waves(e, "CLS", 10000, 2000);
	wms_engine_close(e);
	trm_rf(dir);
	return 0;
}
