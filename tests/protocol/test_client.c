/*
 * test_client.c - the client library (wms/client.h) against a real wmsd on ipc:// sockets:
 * calls and their idempotency keys, the pipeline, and the tailer's exactly-once delivery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "wms/client.h"
#include "wms/codec.h"
#include "wms/network.h"

#define RUN_MS 60000

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

static struct wms_client *client_for(const char *url, int connect_ms)
{
	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	struct wms_client *c = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	o.connect_timeout_ms = connect_ms;
	if (wms_client_open(url, &o, &c, &err) != 0)
		fail_msg("cannot open a client on %s: %s", url, err.message);
	return c;
}

/* Sends TEXT and returns the reply, asserting that the engine accepted it. */
static json_t *call_ok(struct wms_client *c, const char *text)
{
	json_t *reply = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	if (wms_client_call_text(c, text, strlen(text), &reply, &err) != 0)
		fail_msg("%s: %s", text, err.message);
	if (wms_reply_status(reply, &err) != 0)
		fail_msg("%s refused: %s: %s", text, wms_errname(err.code), err.message);
	return reply;
}

static int load_one(void *arg, json_t *request, const char *what)
{
	json_t *reply = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	if (wms_client_call(arg, request, &reply, &err) != 0 || wms_reply_status(reply, &err))
		fail_msg("%s: %s", what, err.message);
	json_decref(reply);
	return 0;
}

static void load_small_network(struct wms_client *c)
{
	char path[PATH_MAX];
	json_t *net =
	    json_load_file(proc_root_path("tests/data/network-small.json", path), 0, NULL);
	assert_non_null(net);
	assert_int_equal(wms_network_requests(net, load_one, c, NULL), 0);
	json_decref(net);
}

/* A valid order.submit request for the small network, deliverable on time whatever the day
 * the test runs (wmsd runs the wall clock here): an order promised in the past is late at
 * allocation and gets an order.at_risk as well. */
static json_t *order_request(const char *id)
{
	return json_pack("{s:s, s:{s:s, s:s, s:[{s:s, s:i}], s:{s:s, s:s, s:s, s:s}, s:s, s:s}}",
	                 "op", "order.submit", "order", "tenant", "acme", "id", id, "lines", "sku",
	                 "ACM-TEE-S", "qty", 1, "ship_to", "name", "Ada Park", "address",
	                 "1 Oak St", "postal_code", "07102", "country", "US", "service", "standard",
	                 "promised_by", "2099-12-01T17:00:00Z");
}

static uint64_t engine_last_seq(struct wms_client *c)
{
	json_t *r = call_ok(c, "{\"op\":\"ping\"}");
	uint64_t s = (uint64_t)json_integer_value(json_object_get(r, "last_seq"));
	json_decref(r);
	return s;
}

/* ---- connecting ---- */

static void test_open_times_out_naming_the_url_when_no_engine_listens(void **state)
{
	(void)state;
	char dir[PATH_MAX], url[PATH_MAX + 32];
	assert_int_equal(proc_tmpdir(dir), 0);
	snprintf(url, sizeof(url), "ipc://%s/nobody.ipc", dir);
	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	struct wms_client *c = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	o.connect_timeout_ms = 150;
	assert_int_equal(wms_client_open(url, &o, &c, &err), WMS_ETIMEDOUT);
	assert_non_null(strstr(err.message, "nobody.ipc"));
	assert_null(c);
	assert_int_equal(wms_client_open("bogus://x", &o, &c, &err), WMS_EVALUE);
	proc_rmtree(dir);
}

static void test_a_client_dialled_before_the_engine_starts_reaches_it(void **state)
{
	(void)state;
	struct wmsd_proc w;
	assert_int_equal(wmsd_init(&w), 0);
	/* No wait for the connection: nng keeps dialling in the background. */
	struct wms_client *c = client_for(w.url, 0);
	assert_int_equal(wmsd_spawn(&w, NULL, 20000), 0);
	json_t *r = call_ok(c, "{\"op\":\"ping\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "version")), WMS_PROTOCOL_VERSION);
	json_decref(r);
	wms_client_close(c);
	wmsd_stop(&w);
}

/* ---- calls ---- */

static void test_write_ops_get_an_idem_key_but_order_submit_scans_and_reads_do_not(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	json_t *put = json_pack("{s:s, s:{s:s, s:s}}", "op", "tenant.put", "tenant", "id", "acme",
	                        "name", "Acme");
	json_t *sub = order_request("K-1");
	json_t *get = json_pack("{s:s, s:s}", "op", "tenant.get", "id", "acme");
	json_t *scan = json_pack("{s:s, s:s, s:s, s:s, s:s}", "op", "pick.scan", "device", "D1",
	                         "scan_id", "s-1", "task", "W1-B1-T1", "code", "LOC-A01-01-1");
	json_t *own = json_pack("{s:s, s:s, s:{s:s, s:s}}", "op", "tenant.put", "idem_key", "mine",
	                        "tenant", "id", "acme", "name", "Acme");
	assert_int_equal(wms_client_add_idem_key(c, put, NULL), 0);
	assert_int_equal(wms_client_add_idem_key(c, sub, NULL), 0);
	assert_int_equal(wms_client_add_idem_key(c, get, NULL), 0);
	assert_int_equal(wms_client_add_idem_key(c, scan, NULL), 0);
	assert_null(json_object_get(scan, "idem_key")); /* keyed by device + scan_id */
	json_decref(scan);
	assert_int_equal(wms_client_add_idem_key(c, own, NULL), 0);
	const char *k = json_string_value(json_object_get(put, "idem_key"));
	assert_non_null(k);
	assert_int_equal(strlen(k), 34); /* "c-" + 128 random bits in hex */
	assert_null(json_object_get(sub, "idem_key"));
	assert_null(json_object_get(get, "idem_key"));
	assert_string_equal(json_string_value(json_object_get(own, "idem_key")), "mine");
	/* Two requests never share a key. */
	json_t *put2 = json_pack("{s:s}", "op", "clock.advance");
	assert_int_equal(wms_client_add_idem_key(c, put2, NULL), 0);
	assert_string_not_equal(k, json_string_value(json_object_get(put2, "idem_key")));
	json_decref(put);
	json_decref(put2);
	json_decref(sub);
	json_decref(get);
	json_decref(own);
	wms_client_close(c);
}

static void test_a_write_retried_with_the_same_request_is_applied_once(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	load_small_network(c);
	json_t *recv =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "op", "stock.receive", "warehouse", "EWR1",
	              "location", "A03-01-1", "tenant", "acme", "sku", "ACM-SOCK", "qty", 10);
	for (int i = 0; i < 3; i++) { /* the caller's retries, e.g. after a timeout */
		json_t *reply = NULL;
		assert_int_equal(wms_client_call(c, recv, &reply, NULL), 0);
		assert_int_equal(wms_reply_status(reply, NULL), 0);
		json_decref(reply);
	}
	json_decref(recv);
	json_t *r = call_ok(c, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"ACM-SOCK\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "on_hand")), 10);
	json_decref(r);
	wms_client_close(c);
}

static void test_a_refusal_is_a_reply_not_a_transport_error(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	json_t *reply = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	const char *text = "{\"op\":\"tenant.get\",\"id\":\"nobody\"}";
	assert_int_equal(wms_client_call_text(c, text, strlen(text), &reply, &err), 0);
	assert_int_equal(wms_reply_status(reply, &err), WMS_ETENANT);
	assert_string_equal(err.field, "id");
	json_decref(reply);
	/* Bad JSON and non-requests never leave the process. */
	assert_int_equal(wms_client_call_text(c, "{\"op\":", 6, &reply, &err), WMS_EBADJSON);
	assert_int_equal(wms_client_call_text(c, "[1]", 3, &reply, &err), WMS_EBADREQ);
	wms_client_close(c);
}

/* ---- pipeline ---- */

#define PIPE_N 600

struct pipe_seen {
	int count[PIPE_N];
	int ok;
	int other;
};

static void pipe_done(void *arg, void *tag, int rc, json_t *reply, const struct wms_error *err)
{
	struct pipe_seen *s = arg;
	(void)err;
	s->count[(uintptr_t)tag]++;
	if (rc == 0 && wms_reply_status(reply, NULL) == 0)
		s->ok++;
	else
		s->other++;
}

static void test_pipeline_delivers_every_reply_once_with_its_tag(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	struct wms_pipeline *p = NULL;
	struct pipe_seen *seen = calloc(1, sizeof(*seen));
	load_small_network(c);
	assert_int_equal(wms_pipeline_new(c, 16, pipe_done, seen, &p, NULL), 0);
	for (uintptr_t i = 0; i < PIPE_N; i++) {
		char id[32];
		snprintf(id, sizeof(id), "P-%04u", (unsigned)i);
		json_t *req = order_request(id);
		assert_int_equal(wms_pipeline_send(p, req, (void *)i, NULL), 0);
		json_decref(req);
	}
	wms_pipeline_drain(p);
	for (int i = 0; i < PIPE_N; i++)
		assert_int_equal(seen->count[i], 1);
	assert_int_equal(seen->ok, PIPE_N);
	assert_int_equal(seen->other, 0);
	wms_pipeline_free(p);
	free(seen);
	assert_int_equal(wms_pipeline_new(c, 0, pipe_done, NULL, &p, NULL), WMS_ERANGE);
	wms_client_close(c);
}

/* ---- tailer ---- */

struct collected {
	uint64_t *seq;
	size_t n, cap;
	const char *prefix;
	bool bad_type;
	bool json_mismatch;
};

static int collect(void *arg, const struct wms_event *ev)
{
	struct collected *col = arg;
	if (col->n == col->cap) {
		col->cap = col->cap ? col->cap * 2 : 1024;
		col->seq = realloc(col->seq, col->cap * sizeof(*col->seq));
		assert_non_null(col->seq);
	}
	col->seq[col->n++] = ev->seq;
	if (col->prefix && strncmp(ev->type, col->prefix, strlen(col->prefix)) != 0)
		col->bad_type = true;
	json_t *o = json_loadb(ev->json, ev->json_len, 0, NULL);
	if (o == NULL || (uint64_t)json_integer_value(json_object_get(o, "seq")) != ev->seq)
		col->json_mismatch = true;
	json_decref(o);
	return 0;
}

/* Collects one event and stops delivery. */
static int collect_one(void *arg, const struct wms_event *ev)
{
	collect(arg, ev);
	return 1;
}

/* Runs the tailer until it has reached TARGET, with a deadline. */
static void follow_until(struct wms_tailer *t, struct collected *col, uint64_t target)
{
	struct wms_error err = WMS_ERROR_INIT;
	int64_t deadline = proc_now_ms() + RUN_MS;
	while (wms_tailer_position(t) < target) {
		if (proc_now_ms() > deadline)
			fail_msg("tailer stuck at %llu of %llu",
			         (unsigned long long)wms_tailer_position(t),
			         (unsigned long long)target);
		int rc = wms_tailer_next(t, 50, collect, col, &err);
		if (rc)
			fail_msg("tailer: %s", err.message);
	}
}

static void test_tailer_merges_replay_and_live_without_gaps_while_2000_orders_arrive(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	load_small_network(c);
	/* The orders come from a separate process, as from an OMS, while the tailer follows. */
	char orders[PATH_MAX + 16], net[PATH_MAX], bin[PATH_MAX];
	snprintf(orders, sizeof(orders), "%s/orders.jsonl", w->dir);
	const char *gen[] = { proc_bin("wmsctl", bin),
		              "gen-orders",
		              "--network",
		              proc_root_path("tests/data/network-small.json", net),
		              "--count",
		              "2000",
		              "--seed",
		              "3",
		              NULL };
	pid_t pid;
	int st;
	assert_int_equal(proc_spawn(gen, NULL, orders, false, NULL, &pid), 0);
	assert_int_equal(proc_wait(pid, RUN_MS, &st), 0);
	assert_int_equal(st, 0);

	/* A tiny receive queue: the live stream drops, and the tailer must fill the gaps. */
	struct wms_tailer_opts o = WMS_TAILER_OPTS_INIT;
	struct wms_tailer *t = NULL;
	struct collected col = { 0 };
	o.events_url = w->events_url;
	o.after = 0;
	o.recv_buffer = 2;
	o.page = 50;
	assert_int_equal(wms_tailer_new(c, &o, &t, NULL), 0);
	const char *sub[] = { bin, "--url", w->url, "submit", "--inflight", "64", orders, NULL };
	assert_int_equal(proc_spawn(sub, NULL, NULL, false, NULL, &pid), 0);
	struct wms_error err = WMS_ERROR_INIT;
	int64_t deadline = proc_now_ms() + RUN_MS;
	bool done = false;
	while (!done) {
		assert_true(proc_now_ms() < deadline);
		assert_int_equal(wms_tailer_next(t, 20, collect, &col, &err), 0);
		done = proc_wait(pid, 0, &st) == 0;
	}
	assert_int_equal(st, 0);
	uint64_t last = engine_last_seq(c);
	/* Each order is received, then allocated or backordered (a split adds one more). */
	assert_true(last >= 17 + 2 * 2000);
	follow_until(t, &col, last);
	assert_int_equal(col.n, last);
	for (size_t i = 0; i < col.n; i++)
		assert_int_equal(col.seq[i], i + 1);
	assert_false(col.json_mismatch);
	struct wms_tailer_stats s;
	wms_tailer_stats(t, &s);
	assert_int_equal(s.live + s.replayed, last);
	print_message("tailer: %llu live, %llu replayed, %llu gaps filled, %llu reads\n",
	              (unsigned long long)s.live, (unsigned long long)s.replayed,
	              (unsigned long long)s.gaps, (unsigned long long)s.reads);
	free(col.seq);
	wms_tailer_free(t);
	wms_client_close(c);
}

static void test_tailer_with_a_prefix_delivers_only_that_type_in_order(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	load_small_network(c); /* seqs 1-2 tenants, 3-4 warehouses, 5-12 items, 13-17 stock */
	struct wms_tailer_opts o = WMS_TAILER_OPTS_INIT;
	struct wms_tailer *t = NULL;
	struct collected col = { .prefix = "item." };
	o.events_url = w->events_url;
	o.prefix = "item.";
	assert_int_equal(wms_tailer_new(c, &o, &t, NULL), 0);
	follow_until(t, &col, 17);
	assert_int_equal(col.n, 8);
	for (size_t i = 0; i < col.n; i++)
		assert_int_equal(col.seq[i], 5 + i);
	wms_tailer_free(t);
	free(col.seq);

	/* Live, from now, with other events in between: only orders, each once. */
	col = (struct collected){ .prefix = "order.received" };
	o.prefix = "order.received";
	o.from_now = true;
	assert_int_equal(wms_tailer_new(c, &o, &t, NULL), 0);
	for (int i = 0; i < 50; i++) {
		char id[16], item[160];
		snprintf(id, sizeof(id), "L-%d", i);
		json_t *req = order_request(id), *reply = NULL;
		assert_int_equal(wms_client_call(c, req, &reply, NULL), 0);
		json_decref(req);
		json_decref(reply);
		snprintf(item, sizeof(item),
		         "{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"X-%d\","
		         "\"weight_g\":1}}",
		         i);
		json_decref(call_ok(c, item));
	}
	follow_until(t, &col, engine_last_seq(c));
	assert_int_equal(col.n, 50);
	assert_false(col.bad_type);
	for (size_t i = 1; i < col.n; i++)
		assert_true(col.seq[i] == col.seq[i - 1] + 3); /* received, allocated, item */
	free(col.seq);
	wms_tailer_free(t);
	wms_client_close(c);
}

static void test_tailer_without_a_live_stream_still_delivers_by_polling(void **state)
{
	struct wmsd_proc *w = *state;
	/* connect 0: neither socket waits, so a SUB address where nobody publishes is accepted,
	 * as if every live event, the last one included, were dropped. */
	struct wms_client *c = client_for(w->url, 0);
	char dead[PATH_MAX + 32];
	snprintf(dead, sizeof(dead), "ipc://%s/nobody-publishes.ipc", w->dir);
	struct wms_tailer_opts o = WMS_TAILER_OPTS_INIT;
	struct wms_tailer *t = NULL;
	struct collected col = { 0 };
	o.events_url = dead;
	o.from_now = true;
	o.idle_poll_ms = 50;
	assert_int_equal(wms_tailer_new(c, &o, &t, NULL), 0);
	load_small_network(c);
	follow_until(t, &col, 17);
	assert_int_equal(col.n, 17);
	struct wms_tailer_stats s;
	wms_tailer_stats(t, &s);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.replayed, 17);
	free(col.seq);
	wms_tailer_free(t);
	wms_client_close(c);
}

static void test_tailer_stopped_by_its_callback_resumes_after_the_last_delivered(void **state)
{
	struct wmsd_proc *w = *state;
	struct wms_client *c = client_for(w->url, 5000);
	load_small_network(c);
	struct wms_tailer_opts o = WMS_TAILER_OPTS_INIT;
	struct wms_tailer *t = NULL;
	o.events_url = w->events_url;
	assert_int_equal(wms_tailer_new(c, &o, &t, NULL), 0);
	uint64_t got[17];
	size_t n = 0;
	while (n < 17) {
		struct collected one = { 0 };
		/* Stop after each event: the next call must go on with the next seq. */
		int rc = wms_tailer_next(t, 50, collect_one, &one, NULL);
		assert_true(rc == 0 || rc == 1);
		if (one.n)
			got[n++] = one.seq[0];
		free(one.seq);
	}
	for (size_t i = 0; i < 17; i++)
		assert_int_equal(got[i], i + 1);
	wms_tailer_free(t);
	wms_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, engine_up, engine_down)
		cmocka_unit_test(test_open_times_out_naming_the_url_when_no_engine_listens),
		cmocka_unit_test(test_a_client_dialled_before_the_engine_starts_reaches_it),
		T(test_write_ops_get_an_idem_key_but_order_submit_scans_and_reads_do_not),
		T(test_a_write_retried_with_the_same_request_is_applied_once),
		T(test_a_refusal_is_a_reply_not_a_transport_error),
		T(test_pipeline_delivers_every_reply_once_with_its_tag),
		T(test_tailer_merges_replay_and_live_without_gaps_while_2000_orders_arrive),
		T(test_tailer_with_a_prefix_delivers_only_that_type_in_order),
		T(test_tailer_without_a_live_stream_still_delivers_by_polling),
		T(test_tailer_stopped_by_its_callback_resumes_after_the_last_delivered),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
