/*
 * test_wmsctl.c - the command-line client against a real wmsd on ipc:// sockets.
 *
 * Each test starts its own engine in a fresh temporary directory (tests/support/proc.h) and
 * runs wmsctl as a separate process, asserting on its output and exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

#define RUN_MS 60000

/* Fails the test with both texts when NEEDLE is not in HAY. */
#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)

static int engine_up(void **state)
{
	struct wmsd_proc *w = calloc(1, sizeof(*w));
	if (w == NULL || wmsd_start(w, NULL, 20000) != 0) {
		free(w);
		return -1;
	}
	*state = w;
	return 0;
}

static int engine_down(void **state)
{
	struct wmsd_proc *w = *state;
	wmsd_stop(w);
	free(w);
	return 0;
}

/* Runs wmsctl with ARGS and asserts its exit status. */
static void ctl(struct wmsd_proc *w, const char *input, int want, struct proc_output *out,
                const char *const args[])
{
	assert_int_equal(wmsctl_run(w, args, input, RUN_MS, out), 0);
	if (out->status != want)
		fail_msg("wmsctl %s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s", args[0],
		         out->status, want, out->out, out->err);
}
#define CTL(w, input, want, out, ...)                                                              \
	ctl((w), (input), (want), (out), (const char *const[]){ __VA_ARGS__, NULL })

static void load_small_network(struct wmsd_proc *w)
{
	char net[PATH_MAX];
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "load", proc_root_path("tests/data/network-small.json", net));
	proc_output_release(&o);
}

/* Writes N generated orders to DIR/NAME and returns the path in PATH. */
static void gen_orders(struct wmsd_proc *w, int n, const char *seed, const char *name,
                       char path[PATH_MAX])
{
	char net[PATH_MAX], count[16];
	struct proc_output o = PROC_OUTPUT_INIT;
	snprintf(count, sizeof(count), "%d", n);
	CTL(w, NULL, 0, &o, "gen-orders", "--network",
	    proc_root_path("tests/data/network-small.json", net), "--count", count, "--seed", seed,
	    "--start", "2026-03-02T09:00:00Z");
	if (snprintf(path, PATH_MAX, "%s/%s", w->dir, name) >= PATH_MAX)
		fail_msg("path too long");
	assert_int_equal(proc_write_file(path, o.out, o.out_len), 0);
	proc_output_release(&o);
}

static long long last_seq(struct wmsd_proc *w)
{
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "ping", "--json");
	json_t *r = json_loads(o.out, 0, NULL);
	assert_non_null(r);
	long long s = json_integer_value(json_object_get(r, "last_seq"));
	json_decref(r);
	proc_output_release(&o);
	return s;
}

/* Asserts that TEXT holds one event per line with seqs FROM+1 .. TO, each once, in order. */
static void assert_seqs_exactly(const char *text, long long from, long long to)
{
	long long want = from + 1;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl); /* every line complete */
		const char *js = *p == '{' ? p : memchr(p, ' ', (size_t)(nl - p));
		assert_non_null(js);
		if (*js == ' ')
			js++;
		json_t *ev = json_loadb(js, (size_t)(nl - js), 0, NULL);
		if (ev == NULL)
			fail_msg("not an event line: %.*s", (int)(nl - p), p);
		long long seq = json_integer_value(json_object_get(ev, "seq"));
		json_decref(ev);
		if (seq != want)
			fail_msg("expected seq %lld, found %lld (a %s)", want, seq,
			         seq < want ? "repeat" : "gap");
		want++;
		p = nl + 1;
	}
	assert_int_equal(want - 1, to);
}

/* ---- ping, usage ---- */

static void test_ping_reports_protocol_and_last_seq(void **state)
{
	struct wmsd_proc *w = *state;
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "ping");
	assert_contains(o.out, "protocol 1, last_seq 0");
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "ping", "--json");
	assert_contains(o.out, "\"ok\":true");
	proc_output_release(&o);
}

static void test_no_engine_at_the_url_exits_3_naming_the_url(void **state)
{
	struct wmsd_proc *w = *state;
	char bin[PATH_MAX], url[PATH_MAX + 32];
	struct proc_output o = PROC_OUTPUT_INIT;
	snprintf(url, sizeof(url), "ipc://%s/nobody.ipc", w->dir);
	const char *argv[] = {
		proc_bin("wmsctl", bin), "--url", url, "--timeout", "200", "ping", NULL
	};
	assert_int_equal(proc_run(argv, NULL, w->dir, RUN_MS, &o), 0);
	assert_int_equal(o.status, 3);
	assert_contains(o.err, "cannot connect to");
	assert_contains(o.err, "nobody.ipc");
	proc_output_release(&o);
}

static void test_usage_errors_exit_2_and_help_exits_0(void **state)
{
	struct wmsd_proc *w = *state;
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 2, &o, "frobnicate");
	assert_contains(o.err, "unknown command 'frobnicate'");
	proc_output_release(&o);
	CTL(w, NULL, 2, &o, "tail", "--count", "zero");
	assert_contains(o.err, "--count 'zero'");
	proc_output_release(&o);
	CTL(w, NULL, 2, &o, "call", "tenant.get", "{not json");
	assert_contains(o.err, "not valid JSON");
	proc_output_release(&o);
	static const char *const cmds[] = { "ping",  "call", "load",      "submit",
		                            "order", "tail", "gen-orders" };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		CTL(w, NULL, 0, &o, cmds[i], "--help");
		assert_contains(o.out, "usage: wmsctl");
		proc_output_release(&o);
	}
}

/* ---- call ---- */

static void test_call_prints_the_reply_and_exits_0_when_ok(void **state)
{
	struct wmsd_proc *w = *state;
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "call", "tenant.put",
	    "{\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\"}}");
	assert_contains(o.out, "\"ok\":true");
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "call", "tenant.get", "{\"id\":\"acme\"}");
	assert_contains(o.out, "\"name\":\"Acme\"");
	proc_output_release(&o);
}

static void test_call_refused_prints_the_error_and_exits_1(void **state)
{
	struct wmsd_proc *w = *state;
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 1, &o, "call", "tenant.get", "{\"id\":\"nobody\"}");
	assert_contains(o.out, "\"code\":\"unknown_tenant\"");
	assert_contains(o.err, "unknown_tenant");
	proc_output_release(&o);
	CTL(w, NULL, 1, &o, "call", "tenant.put", "{\"tenant\":{\"id\":\"x\"}}");
	assert_contains(o.out, "missing_field");
	proc_output_release(&o);
}

static void test_call_reads_the_fields_from_stdin_with_a_dash(void **state)
{
	struct wmsd_proc *w = *state;
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, "{\"tenant\":{\"id\":\"globex\",\"name\":\"Globex\"}}\n", 0, &o, "call",
	    "tenant.put", "-");
	assert_contains(o.out, "\"ok\":true");
	proc_output_release(&o);
}

/* ---- load ---- */

static void test_load_applies_a_network_file_and_prints_a_summary(void **state)
{
	struct wmsd_proc *w = *state;
	char net[PATH_MAX];
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "load", proc_root_path("tests/data/network-small.json", net));
	assert_contains(o.out, "2 tenants, 2 warehouses, 8 items, 5 stock receipts");
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "call", "stock.get", "{\"tenant\":\"acme\",\"sku\":\"ACM-TEE-S\"}");
	assert_contains(o.out, "500");
	proc_output_release(&o);
}

static void test_load_stops_at_the_first_refusal_naming_the_element(void **state)
{
	struct wmsd_proc *w = *state;
	char path[PATH_MAX + 16];
	static const char bad[] = "{\"tenants\":[{\"id\":\"acme\",\"name\":\"Acme\"}],"
	                          "\"items\":[{\"tenant\":\"acme\",\"sku\":\"A\",\"weight_g\":1},"
	                          "{\"tenant\":\"nobody\",\"sku\":\"B\",\"weight_g\":1},"
	                          "{\"tenant\":\"acme\",\"sku\":\"C\",\"weight_g\":1}]}";
	snprintf(path, sizeof(path), "%s/bad.json", w->dir);
	assert_int_equal(proc_write_file(path, bad, strlen(bad)), 0);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 1, &o, "load", path);
	assert_contains(o.err, "items[1] refused: unknown_tenant");
	assert_contains(o.err, "nobody");
	proc_output_release(&o);
	/* Nothing after the refusal was sent. */
	CTL(w, NULL, 1, &o, "call", "item.get", "{\"tenant\":\"acme\",\"sku\":\"C\"}");
	proc_output_release(&o);
}

/* ---- submit and order ---- */

static void test_submit_counts_accepted_and_groups_refused_lines(void **state)
{
	struct wmsd_proc *w = *state;
	char path[PATH_MAX];
	load_small_network(w);
	gen_orders(w, 40, "11", "orders.jsonl", path);
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs("this is not json\n", f);
	/* An unknown service, not an unknown sku: wmsd crashes on those under ASan (an engine
	 * bug reported with this branch: orders.c validate_order frees an unset item). */
	fputs("{\"tenant\":\"acme\",\"id\":\"BAD-SVC\",\"lines\":[{\"sku\":\"ACM-CAP\",\"qty\":1}],"
	      "\"ship_to\":{\"name\":\"A\",\"address\":\"B\",\"postal_code\":\"1\",\"country\":"
	      "\"US\"},\"service\":\"teleport\",\"promised_by\":\"2026-04-01T00:00:00Z\"}\n",
	      f);
	fputs("\n", f);
	fputs("{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"FULL-1\",\"lines\":"
	      "[{\"sku\":\"ACM-CAP\",\"qty\":1}],\"ship_to\":{\"name\":\"A\",\"address\":\"B\","
	      "\"postal_code\":\"1\",\"country\":\"US\"},\"service\":\"express\","
	      "\"promised_by\":\"2026-04-01T00:00:00Z\"}}\n",
	      f);
	fclose(f);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 1, &o, "submit", "--inflight", "8", path);
	assert_contains(o.out, "submitted 43 lines");
	assert_contains(o.out, "accepted 41 (");
	assert_contains(o.out, "refused 2");
	assert_contains(o.out, "bad_json");
	assert_contains(o.out, "line 41: not valid JSON");
	assert_contains(o.out, "unknown_service");
	assert_contains(o.out, "line 42: order.service: order.service 'teleport'");
	assert_contains(o.out, "orders/s");
	proc_output_release(&o);
	/* A resubmission is answered with the original results: nothing new is refused. */
	CTL(w, NULL, 1, &o, "submit", path);
	assert_contains(o.out, "accepted 41");
	proc_output_release(&o);
	/* The network's events, then per order: received, and allocated or backordered. */
	/* Per order: received, then allocated or backordered, and order.split for a split. */
	assert_in_range(last_seq(w), 17 + 2 * 41, 17 + 3 * 41);
}

static void test_order_shows_state_lines_and_timeline(void **state)
{
	struct wmsd_proc *w = *state;
	char path[PATH_MAX];
	load_small_network(w);
	gen_orders(w, 3, "5", "o.jsonl", path);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "submit", path);
	proc_output_release(&o);
	char *text;
	assert_int_equal(proc_read_file(path, &text, NULL), 0);
	*strchr(text, '\n') = '\0';
	json_t *order = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(order);
	const char *tenant = json_string_value(json_object_get(order, "tenant"));
	const char *id = json_string_value(json_object_get(order, "id"));
	CTL(w, NULL, 0, &o, "order", tenant, id);
	assert_contains(o.out, "state backordered"); /* the small network has no such stock */
	assert_contains(o.out, "timeline:");
	assert_contains(o.out, "order.received");
	assert_contains(o.out, json_string_value(json_object_get(
	                           json_array_get(json_object_get(order, "lines"), 0), "sku")));
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "order", "--json", tenant, id);
	assert_contains(o.out, "\"timeline\":[");
	proc_output_release(&o);
	CTL(w, NULL, 1, &o, "order", tenant, "NO-SUCH-ORDER");
	assert_contains(o.err, "not_found");
	proc_output_release(&o);
	json_decref(order);
}

/* order.submit of order ID (tenant acme, 2 x ACM-TEE-S) with LON and PROMISE as spelt. */
static void submit_spelt(struct wmsd_proc *w, const char *id, const char *lon, const char *promise,
                         int want, struct proc_output *o)
{
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{\"sku\":\"ACM-TEE-S\","
	         "\"qty\":2}],\"ship_to\":{\"name\":\"Ann Lee\",\"address\":\"1 Main St\","
	         "\"postal_code\":\"10001\",\"country\":\"US\",\"lat\":40.75,\"lon\":%s},"
	         "\"service\":\"standard\",\"promised_by\":\"%s\"}}",
	         id, lon, promise);
	CTL(w, NULL, want, o, "call", "order.submit", body);
}

/*
 * Regression: an order resent by an OMS whose JSON library writes -74 as -74.0 (or a time
 * in another spelling) was a conflict; the codec gives each value one spelling, so it is the
 * same order and gets the original reply.
 */
static void test_an_order_resent_in_another_json_spelling_is_the_same_order(void **state)
{
	struct wmsd_proc *w = *state;
	load_small_network(w);
	struct proc_output a = PROC_OUTPUT_INIT, b = PROC_OUTPUT_INIT, o = PROC_OUTPUT_INIT;
	submit_spelt(w, "SO-R1", "-74", "2099-12-10t00:00:00z", 0, &a);
	submit_spelt(w, "SO-R1", "-74.0", "2099-12-10T00:00:00Z", 0, &b);
	json_t *ra = json_loads(a.out, 0, NULL), *rb = json_loads(b.out, 0, NULL);
	assert_non_null(ra);
	assert_non_null(rb);
	/* the original reply: the same order number, nothing stored twice */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ra, "order"), "no")),
	                 json_integer_value(json_object_get(json_object_get(rb, "order"), "no")));
	json_decref(ra);
	json_decref(rb);
	/* Stored and echoed in the engine's spelling. */
	CTL(w, NULL, 0, &o, "call", "order.get", "{\"tenant\":\"acme\",\"id\":\"SO-R1\"}");
	assert_contains(o.out, "\"promised_by\":\"2099-12-10T00:00:00Z\"");
	assert_contains(o.out, "\"lon\":-74.0");
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--prefix", "order.received", "--count", "1");
	assert_contains(o.out, "\"promised_by\":\"2099-12-10T00:00:00Z\"");
	proc_output_release(&o);
	/* Another value is another order: conflict. */
	submit_spelt(w, "SO-R1", "-74.5", "2099-12-10T00:00:00Z", 1, &o);
	assert_contains(o.out, "\"code\":\"conflict\"");
	proc_output_release(&o);
	proc_output_release(&a);
	proc_output_release(&b);
}

static void test_order_shows_the_allocation_shipment_by_shipment(void **state)
{
	struct wmsd_proc *w = *state;
	load_small_network(w);
	struct proc_output o = PROC_OUTPUT_INIT;
	submit_spelt(w, "SO-A1", "-74", "2099-12-10T00:00:00Z", 0, &o);
	json_t *r = json_loads(o.out, 0, NULL);
	assert_non_null(r);
	const json_t *s = json_array_get(
	    json_object_get(json_object_get(json_object_get(r, "order"), "allocation"),
	                    "shipments"),
	    0);
	assert_non_null(s);
	char want[256];
	snprintf(want, sizeof(want),
	         "    shipment %s from %s: %s standard, cutoff %s, delivery by %s",
	         json_string_value(json_object_get(s, "id")),
	         json_string_value(json_object_get(s, "warehouse")),
	         json_string_value(json_object_get(s, "carrier")),
	         json_string_value(json_object_get(s, "cutoff")),
	         json_string_value(json_object_get(s, "delivery_by")));
	json_decref(r);
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "order", "acme", "SO-A1");
	assert_contains(o.out, "state allocated");
	assert_contains(o.out, "  allocation: single, ");
	assert_contains(o.out, want);
	assert_contains(o.out, " (on time), allocated\n      ACM-TEE-S              x 2\n");
	assert_contains(o.out, "  estimate ");
	/* the summary comes before the timeline */
	assert_true(strstr(o.out, "allocation:") < strstr(o.out, "timeline:"));
	proc_output_release(&o);
}

/* ---- gen-orders ---- */

static void test_gen_orders_is_deterministic_for_a_seed_and_valid(void **state)
{
	struct wmsd_proc *w = *state;
	char a[PATH_MAX], b[PATH_MAX];
	char *ta, *tb;
	load_small_network(w);
	gen_orders(w, 200, "42", "a.jsonl", a);
	gen_orders(w, 200, "42", "b.jsonl", b);
	assert_int_equal(proc_read_file(a, &ta, NULL), 0);
	assert_int_equal(proc_read_file(b, &tb, NULL), 0);
	assert_string_equal(ta, tb);
	assert_contains(ta, "\"gift_message\"");
	/* Every customer can be reached by email, every third order by phone too. */
	size_t lines = 0, emails = 0, phones = 0;
	for (char *p = ta; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	for (char *p = ta; (p = strstr(p, "\"email\":\"")) != NULL; p++)
		emails++;
	for (char *p = ta; (p = strstr(p, "\"phone\":\"")) != NULL; p++)
		phones++;
	assert_int_equal(lines, 200);
	assert_int_equal(emails, 200);
	assert_int_equal(phones, 200 / 3);
	assert_contains(ta, "@example.com\"");
	free(ta);
	free(tb);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "submit", a);
	assert_contains(o.out, "accepted 200");
	assert_contains(o.out, "refused 0");
	proc_output_release(&o);
}

static void test_gen_orders_can_place_orders_at_the_engines_time(void **state)
{
	(void)state;
	struct wmsd_proc sim = { 0 }, *w = &sim;
	assert_int_equal(wmsd_start(w, (const char *const[]){ "--sim-clock", NULL }, 20000), 0);
	load_small_network(w);
	/* A simulated clock far from the wall clock: orders placed "now" would be late. */
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "call", "clock.set", "{\"at\":\"2031-06-02T09:00:00Z\"}");
	proc_output_release(&o);
	char net[PATH_MAX];
	CTL(w, NULL, 0, &o, "gen-orders", "--network",
	    proc_root_path("tests/data/network-small.json", net), "--count", "20", "--seed", "7",
	    "--start", "engine");
	/* promised_by = start + transit days + 1-3 days: in June 2031. */
	size_t n = 0;
	for (const char *p = o.out; (p = strstr(p, "\"promised_by\":\"")) != NULL; p++, n++)
		assert_int_equal(strncmp(p + 15, "2031-06", 7), 0);
	assert_int_equal(n, 20);
	proc_output_release(&o);
	wmsd_stop(w);
}

/* gen-orders applies the engine's country rule: a file of orders it would refuse is no test. */
static void test_gen_orders_refuses_a_country_that_is_not_an_iso_3166_code(void **state)
{
	struct wmsd_proc *w = *state;
	char net[PATH_MAX];
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 2, &o, "gen-orders", "--network",
	    proc_root_path("tests/data/network-small.json", net), "--count", "1", "--country",
	    "UK");
	assert_contains(o.err, "use 'GB'");
	assert_int_equal(o.out_len, 0);
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "gen-orders", "--network",
	    proc_root_path("tests/data/network-small.json", net), "--count", "1", "--country",
	    "GB");
	assert_contains(o.out, "\"country\":\"GB\"");
	proc_output_release(&o);
}

/* The ship-to country follows the warehouse's zone as tzdata knows it: Bogota is in CO. */
static void test_gen_orders_takes_the_country_of_the_warehouses_timezone(void **state)
{
	struct wmsd_proc *w = *state;
	char src[PATH_MAX], net[PATH_MAX + 32];
	json_t *n = json_load_file(proc_root_path("tests/data/network-small.json", src), 0, NULL);
	assert_non_null(n);
	size_t i;
	json_t *wh;
	json_array_foreach(json_object_get(n, "warehouses"), i, wh)
	    json_object_set_new(wh, "timezone", json_string("America/Bogota"));
	snprintf(net, sizeof(net), "%s/bogota.json", w->dir);
	assert_int_equal(json_dump_file(n, net, JSON_COMPACT), 0);
	json_decref(n);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "gen-orders", "--network", net, "--count", "40", "--seed", "3");
	assert_contains(o.out, "\"country\":\"CO\"");
	proc_output_release(&o);
}

/* ---- tail ---- */

static void test_tail_from_zero_prints_count_events_in_order(void **state)
{
	struct wmsd_proc *w = *state;
	load_small_network(w);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--count", "10");
	assert_seqs_exactly(o.out, 0, 10);
	assert_contains(o.out, "tenant.created {\"seq\":1,");
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--prefix", "item.", "--json", "--count", "8");
	assert_int_equal(strncmp(o.out, "{\"seq\":5,\"type\":\"item.created\"", 30), 0);
	proc_output_release(&o);
}

static void test_tail_resumes_after_its_cursor(void **state)
{
	struct wmsd_proc *w = *state;
	char cur[PATH_MAX + 16];
	load_small_network(w);
	snprintf(cur, sizeof(cur), "%s/cursor", w->dir);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--cursor", cur, "--count", "4");
	assert_seqs_exactly(o.out, 0, 4);
	proc_output_release(&o);
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--cursor", cur, "--idle-exit", "1");
	assert_seqs_exactly(o.out, 4, 17);
	proc_output_release(&o);
	char *text;
	assert_int_equal(proc_read_file(cur, &text, NULL), 0);
	assert_string_equal(text, "17\n");
	free(text);
}

/*
 * A kill -9 can cut a write(2) to a file short where a line crosses a page (the kernel checks
 * for fatal signals between pages), leaving a torn last line. The restart must cut it off,
 * not append the next event to it.
 */
static void test_tail_cuts_a_torn_last_line_before_resuming(void **state)
{
	struct wmsd_proc *w = *state;
	char out[PATH_MAX + 16], bin[PATH_MAX], *text;
	struct proc_output o = PROC_OUTPUT_INIT;
	load_small_network(w);
	CTL(w, NULL, 0, &o, "tail", "--from", "0", "--json", "--count", "3");
	snprintf(out, sizeof(out), "%s/torn.out", w->dir);
	char *torn = malloc(o.out_len + 64);
	assert_non_null(torn);
	memcpy(torn, o.out, o.out_len);
	static const char fragment[] = "{\"seq\":4,\"type\":\"ite";
	memcpy(torn + o.out_len, fragment, sizeof(fragment) - 1);
	assert_int_equal(proc_write_file(out, torn, o.out_len + sizeof(fragment) - 1), 0);
	free(torn);
	proc_output_release(&o);

	const char *argv[] = { proc_bin("wmsctl", bin),
		               "--url",
		               w->url,
		               "--events",
		               w->events_url,
		               "tail",
		               "--json",
		               "--idle-exit",
		               "1",
		               NULL };
	pid_t pid;
	int st;
	assert_int_equal(proc_spawn(argv, NULL, out, true, NULL, &pid), 0);
	assert_int_equal(proc_wait(pid, RUN_MS, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(proc_read_file(out, &text, NULL), 0);
	assert_seqs_exactly(text, 0, 17);
	free(text);
}

/*
 * The exactly-once promise: tail appends to a file and is killed with SIGKILL again and again
 * while orders stream in; each restart appends to the same file with the same cursor. The
 * file must hold every seq once, in order.
 */
static void test_tail_is_exactly_once_across_repeated_kill_9(void **state)
{
	struct wmsd_proc *w = *state;
	char orders[PATH_MAX], out[PATH_MAX + 16], cur[PATH_MAX + 16], bin[PATH_MAX], from[32];
	load_small_network(w);
	gen_orders(w, 3000, "77", "o.jsonl", orders);
	long long start = last_seq(w);
	snprintf(from, sizeof(from), "%lld", start);
	snprintf(out, sizeof(out), "%s/tail.out", w->dir);
	snprintf(cur, sizeof(cur), "%s/tail.cursor", w->dir);

	/* Few requests in flight: the stream lasts long enough for many kills. */
	pid_t submit;
	const char *sargv[] = {
		proc_bin("wmsctl", bin), "--url", w->url, "submit", "--inflight", "2", orders, NULL
	};
	assert_int_equal(proc_spawn(sargv, NULL, NULL, false, NULL, &submit), 0);

	char tbin[PATH_MAX];
	const char *targv[] = { proc_bin("wmsctl", tbin),
		                "--url",
		                w->url,
		                "--events",
		                w->events_url,
		                "tail",
		                "--from",
		                from,
		                "--cursor",
		                cur,
		                "--json",
		                NULL };
	int kills = 0, submit_status = -1;
	bool submit_done = false;
	for (int round = 0; round < 40 && (!submit_done || kills < 3); round++) {
		long long before = proc_file_size(out);
		pid_t tail;
		assert_int_equal(proc_spawn(targv, NULL, out, true, NULL, &tail), 0);
		/* Kill once it has printed something new (a varying amount), or the stream ended.
		 */
		long long want = (before < 0 ? 0 : before) + 1 + (round * 7919) % 20000;
		int64_t deadline = proc_now_ms() + (submit_done ? 1000 : 10000);
		while (proc_file_size(out) < want && proc_now_ms() < deadline) {
			if (submit_done && proc_file_size(out) > before)
				break;
			if (!submit_done && proc_wait(submit, 5, &submit_status) == 0)
				submit_done = true;
			else if (submit_done && proc_wait(tail, 5, NULL) == 0)
				fail_msg("tail exited by itself");
		}
		int st;
		proc_kill(tail, SIGKILL, 10000, &st);
		assert_int_equal(st, 128 + SIGKILL);
		kills++;
		if (!submit_done && proc_wait(submit, 0, &submit_status) == 0)
			submit_done = true;
	}
	if (!submit_done)
		assert_int_equal(proc_wait(submit, RUN_MS, &submit_status), 0);
	assert_int_equal(submit_status, 0);
	assert_true(kills >= 3);

	/* The last run drains what is left and exits when the stream is quiet. */
	const char *largv[] = { proc_bin("wmsctl", tbin),
		                "--url",
		                w->url,
		                "--events",
		                w->events_url,
		                "tail",
		                "--from",
		                from,
		                "--cursor",
		                cur,
		                "--json",
		                "--idle-exit",
		                "1",
		                NULL };
	pid_t last;
	int st;
	assert_int_equal(proc_spawn(largv, NULL, out, true, NULL, &last), 0);
	assert_int_equal(proc_wait(last, RUN_MS, &st), 0);
	assert_int_equal(st, 0);

	char *text;
	assert_int_equal(proc_read_file(out, &text, NULL), 0);
	assert_seqs_exactly(text, start, last_seq(w));
	assert_true(last_seq(w) >= start + 2 * 3000); /* received + allocated/backordered each */
	free(text);
	print_message("tail killed %d times while 3000 orders arrived; every seq once\n", kills);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, engine_up, engine_down)
		T(test_ping_reports_protocol_and_last_seq),
		T(test_no_engine_at_the_url_exits_3_naming_the_url),
		T(test_usage_errors_exit_2_and_help_exits_0),
		T(test_call_prints_the_reply_and_exits_0_when_ok),
		T(test_call_refused_prints_the_error_and_exits_1),
		T(test_call_reads_the_fields_from_stdin_with_a_dash),
		T(test_load_applies_a_network_file_and_prints_a_summary),
		T(test_load_stops_at_the_first_refusal_naming_the_element),
		T(test_submit_counts_accepted_and_groups_refused_lines),
		T(test_order_shows_state_lines_and_timeline),
		T(test_an_order_resent_in_another_json_spelling_is_the_same_order),
		T(test_order_shows_the_allocation_shipment_by_shipment),
		T(test_gen_orders_is_deterministic_for_a_seed_and_valid),
		T(test_gen_orders_can_place_orders_at_the_engines_time),
		T(test_gen_orders_takes_the_country_of_the_warehouses_timezone),
		T(test_gen_orders_refuses_a_country_that_is_not_an_iso_3166_code),
		T(test_tail_from_zero_prints_count_events_in_order),
		T(test_tail_resumes_after_its_cursor),
		T(test_tail_cuts_a_torn_last_line_before_resuming),
		T(test_tail_is_exactly_once_across_repeated_kill_9),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
