/* Tests of the engine core: durability, group commit, idempotency, back-pressure, the clock. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "store.h"
#include "tengine.h"
#include "wms/codec.h"

#define ORDER_FMT                                                                                  \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{"       \
	"\"sku\":"                                                                                 \
	"\"SKU-1\",\"qty\":%d}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","             \
	"\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":\"standard\","                  \
	"\"promised_by\":\"2026-11-27T23:59:59Z\"}}"

/* Collects asynchronous replies. */
struct replies {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n, ok, busy;
	char *last;
};

static void on_reply(void *arg, char *reply, size_t len)
{
	struct replies *r = arg;
	(void)len;
	pthread_mutex_lock(&r->mu);
	r->n++;
	if (strstr(reply, "\"ok\":true"))
		r->ok++;
	if (strstr(reply, "\"code\":\"busy\""))
		r->busy++;
	free(r->last);
	r->last = reply;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void wait_replies(struct replies *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	while (r->n < n)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

static void submit_async(struct tengine *t, struct replies *r, const char *id)
{
	char text[1024];
	int n = snprintf(text, sizeof(text), ORDER_FMT, id, 1);
	wms_engine_submit(t->e, text, (size_t)n, on_reply, r);
}

static void test_acknowledged_order_survives_a_restart(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, ORDER_FMT, "SO-1", 2));
	tengine_stop(&t);
	assert_int_equal(tengine_start(&t), 0);
	json_t *r = tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"SO-1\"}");
	assert_string_equal(tget_str(r, "order.id"), "SO-1");
	assert_int_equal(tget_int(r, "order.lines[0].qty"), 2);
	json_decref(r);
	tengine_close(&t);
}

static void test_resent_receipt_with_same_idem_key_is_applied_once(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_t *a = tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A09-09-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":7,"
	                         "\"idem_key\":\"rcv-77\",\"req_id\":\"first\"}");
	json_t *b = tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A09-09-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":7,"
	                         "\"idem_key\":\"rcv-77\",\"req_id\":\"second\"}");
	assert_int_equal(tget_int(a, "stock.on_hand"), 7);
	assert_int_equal(tget_int(b, "stock.on_hand"), 7);
	assert_string_equal(tget_str(b, "req_id"), "second");
	json_t *g = tcall_ok(&t, "{\"op\":\"stock.get\",\"tenant\":\"acme\",\"sku\":\"SKU-1\"}");
	assert_int_equal(tget_int(g, "on_hand"), 107);
	json_decref(a);
	json_decref(b);
	json_decref(g);
	tengine_close(&t);
}

static void test_same_idem_key_with_other_content_is_a_conflict(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                         "\"A09-09-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":7,"
	                         "\"idem_key\":\"k1\"}"));
	json_t *r = tcall_err(&t, "conflict",
	                      "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
	                      "\"A09-09-1\",\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"qty\":8,"
	                      "\"idem_key\":\"k1\"}");
	assert_string_equal(tget_str(r, "error.field"), "idem_key");
	json_decref(r);
	tengine_close(&t);
}

static void test_resubmitted_order_returns_the_original_reply_and_no_new_event(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_t *a = tcall_ok(&t, ORDER_FMT, "SO-9", 1);
	json_t *p1 = tcall_ok(&t, "{\"op\":\"ping\"}");
	json_t *b = tcall_ok(&t, ORDER_FMT, "SO-9", 1);
	json_t *p2 = tcall_ok(&t, "{\"op\":\"ping\"}");
	assert_true(json_equal(json_object_get(a, "order"), json_object_get(b, "order")));
	assert_int_equal(tget_int(p1, "last_seq"), tget_int(p2, "last_seq"));
	json_decref(tcall_err(&t, "conflict", ORDER_FMT, "SO-9", 3));
	json_decref(a);
	json_decref(b);
	json_decref(p1);
	json_decref(p2);
	tengine_close(&t);
}

static void test_a_refused_command_leaves_no_gap_in_the_event_log(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, ORDER_FMT, "SO-1", 1));
	json_decref(tcall_err(&t, "unknown_tenant",
	                      "{\"op\":\"item.put\",\"item\":{\"tenant\":\"nobody\",\"sku\":\"X\","
	                      "\"weight_g\":1}}"));
	json_decref(tcall_ok(&t, ORDER_FMT, "SO-2", 1));
	json_t *r = tcall_ok(&t, "{\"op\":\"events.read\",\"after\":0,\"limit\":10000}");
	json_t *evs = json_object_get(r, "events");
	assert_true(json_array_size(evs) > 3);
	for (size_t i = 0; i < json_array_size(evs); i++)
		assert_int_equal(tget_int(json_array_get(evs, i), "seq"), (long long)i + 1);
	assert_int_equal(tget_int(r, "last_seq"), (long long)json_array_size(evs));
	json_decref(r);
	tengine_close(&t);
}

static void test_queued_commands_share_one_commit(void **state)
{
	(void)state;
	struct tengine t;
	struct replies r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };
	tengine_open(&t);
	tseed_basic(&t);
	uint64_t commits = atomic_load(&t.e->n_commits);
	engine_pause_writer(t.e, true);
	for (int i = 0; i < 100; i++) {
		char id[16];
		snprintf(id, sizeof(id), "G-%d", i);
		submit_async(&t, &r, id);
	}
	assert_int_equal(r.n, 0); /* nothing answered before it is committed */
	engine_pause_writer(t.e, false);
	wait_replies(&r, 100);
	assert_int_equal(r.ok, 100);
	assert_int_equal(atomic_load(&t.e->n_commits) - commits, 1);
	free(r.last);
	tengine_close(&t);
}

static void test_a_full_queue_answers_busy_and_keeps_serving(void **state)
{
	(void)state;
	struct tengine t;
	struct replies r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };
	tengine_config(&t);
	t.cfg.queue_max = 4;
	assert_int_equal(tengine_start(&t), 0);
	tseed_basic(&t);
	engine_pause_writer(t.e, true);
	for (int i = 0; i < 6; i++) {
		char id[16];
		snprintf(id, sizeof(id), "B-%d", i);
		submit_async(&t, &r, id);
	}
	assert_int_equal(r.busy, 2);
	/* Reads do not queue behind writes. */
	json_decref(tcall_ok(&t, "{\"op\":\"ping\"}"));
	engine_pause_writer(t.e, false);
	wait_replies(&r, 6);
	assert_int_equal(r.ok, 4);
	free(r.last);
	tengine_close(&t);
}

static void test_close_commits_what_was_queued(void **state)
{
	(void)state;
	struct tengine t;
	struct replies r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };
	tengine_open(&t);
	tseed_basic(&t);
	engine_pause_writer(t.e, true);
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof(id), "C-%d", i);
		submit_async(&t, &r, id);
	}
	tengine_stop(&t); /* graceful: drains the queue even though the writer was held */
	assert_int_equal(r.ok, 50);
	assert_int_equal(tengine_start(&t), 0);
	json_decref(tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"C-49\"}"));
	free(r.last);
	tengine_close(&t);
}

static void test_a_small_map_grows_instead_of_failing(void **state)
{
	(void)state;
	struct tengine t;
	struct replies r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };
	tengine_config(&t);
	t.cfg.map_size = 256 << 10;
	assert_int_equal(tengine_start(&t), 0);
	tseed_basic(&t);
	size_t before = store_map_size(t.e->store);
	for (int i = 0; i < 3000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "M-%d", i);
		submit_async(&t, &r, id);
		if (i % 500 == 499)
			wait_replies(&r, (size_t)i + 1);
	}
	wait_replies(&r, 3000);
	assert_int_equal(r.ok, 3000);
	assert_true(store_map_size(t.e->store) > before);
	free(r.last);
	tengine_close(&t);
}

static void test_events_read_pages_and_filters_by_type_prefix(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "E-%d", i);
		json_decref(tcall_ok(&t, ORDER_FMT, id, 1));
	}
	json_t *all = tcall_ok(&t, "{\"op\":\"events.read\"}");
	long long last = tget_int(all, "last_seq");
	json_t *page = tcall_ok(&t, "{\"op\":\"events.read\",\"after\":2,\"limit\":3}");
	assert_int_equal(tget_int(page, "count"), 3);
	assert_int_equal(tget_int(page, "events[0].seq"), 3);
	assert_int_equal(tget_int(page, "next_after"), 5);
	json_t *orders = tcall_ok(&t, "{\"op\":\"events.read\",\"prefix\":\"order.received\"}");
	assert_int_equal(tget_int(orders, "count"), 5);
	assert_string_equal(tget_str(orders, "events[4].order"), "E-4");
	assert_int_equal(tget_int(orders, "next_after"), last);
	json_decref(all);
	json_decref(page);
	json_decref(orders);
	tengine_close(&t);
}

static void test_events_read_after_the_end_of_the_log_is_out_of_range_naming_its_end(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_t *p = tcall_ok(&t, "{\"op\":\"ping\"}");
	long long last = tget_int(p, "last_seq");
	json_decref(p);
	/* At the end is caught up: an empty page whose next_after is last_seq. */
	json_t *r = tcall_ok(&t, "{\"op\":\"events.read\",\"after\":%lld}", last);
	assert_int_equal(tget_int(r, "count"), 0);
	assert_int_equal(tget_int(r, "next_after"), last);
	json_decref(r);
	/* A cursor beyond it (another store's) could never catch up: refused. */
	r = tcall_err(&t, "out_of_range", "{\"op\":\"events.read\",\"after\":%lld}", last + 100);
	assert_string_equal(tget_str(r, "error.field"), "after");
	char want[64];
	snprintf(want, sizeof(want), "this engine's log ends at %lld", last);
	assert_non_null(strstr(tget_str(r, "error.message"), want));
	snprintf(want, sizeof(want), "%lld", last + 100);
	assert_non_null(strstr(tget_str(r, "error.message"), want));
	json_decref(r);
	tengine_close(&t);
}

static void test_the_wall_clock_refuses_to_be_set(void **state)
{
	(void)state;
	struct tengine t;
	tengine_config(&t);
	t.cfg.sim_clock = false;
	assert_int_equal(tengine_start(&t), 0);
	json_decref(tcall_err(&t, "not_sim_clock",
	                      "{\"op\":\"clock.set\",\"at\":\"2030-01-01T00:00:00Z\"}"));
	tengine_close(&t);
}

static void test_the_simulated_clock_moves_forward_only_and_persists(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	json_t *r = tcall_ok(&t, "{\"op\":\"clock.advance\",\"seconds\":3600}");
	assert_string_equal(tget_str(r, "time"), "2026-11-24T09:00:00Z");
	json_decref(r);
	json_decref(tcall_err(&t, "out_of_range",
	                      "{\"op\":\"clock.set\",\"at\":\"2026-11-24T08:30:00Z\"}"));
	tengine_stop(&t);
	assert_int_equal(tengine_start(&t), 0);
	r = tcall_ok(&t, "{\"op\":\"ping\"}");
	assert_string_equal(tget_str(r, "time"), "2026-11-24T09:00:00Z");
	json_decref(r);
	tengine_close(&t);
}

static void test_a_second_engine_on_the_same_data_directory_is_refused(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	struct wms_engine *second = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	assert_int_equal(wms_engine_open(&t.cfg, &second, &err), WMS_EBUSY);
	assert_null(second);
	assert_string_equal(err.field, "data");
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	assert_non_null(strstr(err.message, pid));
	/* The first engine did not notice and still serves. */
	json_decref(tcall_ok(&t, ORDER_FMT, "SO-1", 1));
	/* Once it is closed the directory is free again, with what it acknowledged. */
	tengine_stop(&t);
	assert_int_equal(tengine_start(&t), 0);
	json_decref(tcall_ok(&t, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"SO-1\"}"));
	tengine_close(&t);
}

static void test_stored_events_are_compact_json_with_the_envelope_first(void **state)
{
	(void)state;
	struct tengine t;
	tengine_open(&t);
	tseed_basic(&t);
	json_decref(tcall_ok(&t, ORDER_FMT, "SO-1", 2));
	json_decref(tcall_ok(&t, "{\"op\":\"order.cancel\",\"tenant\":\"acme\",\"id\":\"SO-1\"}"));
	/* events.read passes the stored texts through as they are. */
	static const char req[] = "{\"op\":\"events.read\",\"after\":0,\"limit\":1000}";
	char *raw = NULL;
	size_t len = 0;
	assert_int_equal(wms_engine_call(t.e, req, sizeof(req) - 1, &raw, &len), 0);
	json_t *r = json_loadb(raw, len, 0, NULL);
	json_t *evs = tget(r, "events"), *ev;
	size_t i;
	assert_true(json_array_size(evs) > 10);
	json_array_foreach(evs, i, ev)
	{
		/* The text is what jansson writes for the same object: compact, in order. */
		char *text = json_dumps(ev, WMS_JSON_DUMP);
		if (strstr(raw, text) == NULL)
			fail_msg("event %zu as jansson writes it, %s, is not in %.2000s", i, text, raw);
		const char *k[3];
		size_t n = 0;
		const char *key;
		json_t *v;
		json_object_foreach(ev, key, v)
		{
			if (n < 3)
				k[n++] = key;
		}
		assert_string_equal(k[0], "seq");
		assert_string_equal(k[1], "type");
		assert_string_equal(k[2], "at");
		assert_int_equal(tget_int(ev, "seq"), (long long)i + 1);
		free(text);
	}
	json_decref(r);
	free(raw);
	tengine_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_order_survives_a_restart),
		cmocka_unit_test(test_resent_receipt_with_same_idem_key_is_applied_once),
		cmocka_unit_test(test_same_idem_key_with_other_content_is_a_conflict),
		cmocka_unit_test(
		    test_resubmitted_order_returns_the_original_reply_and_no_new_event),
		cmocka_unit_test(test_a_refused_command_leaves_no_gap_in_the_event_log),
		cmocka_unit_test(test_queued_commands_share_one_commit),
		cmocka_unit_test(test_a_full_queue_answers_busy_and_keeps_serving),
		cmocka_unit_test(test_close_commits_what_was_queued),
		cmocka_unit_test(test_a_small_map_grows_instead_of_failing),
		cmocka_unit_test(test_events_read_pages_and_filters_by_type_prefix),
		cmocka_unit_test(
		    test_events_read_after_the_end_of_the_log_is_out_of_range_naming_its_end),
		cmocka_unit_test(test_the_wall_clock_refuses_to_be_set),
		cmocka_unit_test(test_the_simulated_clock_moves_forward_only_and_persists),
		cmocka_unit_test(test_a_second_engine_on_the_same_data_directory_is_refused),
		cmocka_unit_test(test_stored_events_are_compact_json_with_the_envelope_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
