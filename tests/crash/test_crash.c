/*
 * Acknowledged means durable: the real wmsd is driven by concurrent clients that record every
 * acknowledged order, killed with SIGKILL at random moments, restarted on the same data, and
 * checked: every acknowledged order is there with its events, and the event log has no gap.
 *
 * WMS_CRASH_CYCLES sets the number of kill/restart cycles (default 20).
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wms/nngclose.h"
#include "daemon.h"
#include "tengine.h"

#define CLIENTS 8

struct acked {
	pthread_mutex_t mu;
	char **ids;
	size_t n, cap;
};

struct client {
	struct tdaemon *d;
	struct acked *acked;
	int cycle, no;
	atomic_bool *stop;
	size_t sent, ok;
};

static void acked_add(struct acked *a, const char *id)
{
	pthread_mutex_lock(&a->mu);
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->ids = realloc(a->ids, a->cap * sizeof(char *));
	}
	a->ids[a->n++] = strdup(id);
	pthread_mutex_unlock(&a->mu);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	nng_socket s;
	if (nng_req0_open(&s) != 0)
		return NULL;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 1000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 1000);
	if (nng_dial(s, c->d->req_url, NULL, 0) != 0) {
		wms_nng_close(s, WMS_NNG_CLOSE_WAIT_MS);
		return NULL;
	}
	for (int i = 0; !atomic_load(c->stop); i++) {
		char id[64], req[1024];
		snprintf(id, sizeof(id), "K%d-%d-%d", c->cycle, c->no, i);
		int n = snprintf(
		    req, sizeof(req),
		    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
		    "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1},{\"sku\":\"SKU-2\","
		    "\"qty\":2}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","
		    "\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":"
		    "\"standard\",\"promised_by\":\"2026-12-27T23:59:59Z\"}}",
		    id);
		c->sent++;
		if (nng_send(s, req, (size_t)n, 0) != 0)
			break;
		char *reply = NULL;
		size_t len;
		if (nng_recv(s, &reply, &len, NNG_FLAG_ALLOC) != 0)
			break; /* the engine died under us: this one is unknown, not acknowledged */
		if (len > 10 && memcmp(reply, "{\"ok\":true", 10) == 0) {
			acked_add(c->acked, id);
			c->ok++;
		}
		nng_free(reply, len);
	}
	wms_nng_close(s, WMS_NNG_CLOSE_WAIT_MS);
	return NULL;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Reads the whole event log: checks that seqs run 1..last_seq without a gap and collects the
 * ids of orders with an order.received event (sorted, for lookups).
 */
static void read_log(struct tdaemon *d, long long *last_out, char ***received, size_t *nrecv)
{
	long long after = 0, expect = 1, last = -1;
	size_t cap = 4096, n = 0;
	char **ids = malloc(cap * sizeof(char *));
	for (;;) {
		json_t *r = tdaemon_call(
		    d, "{\"op\":\"events.read\",\"after\":%lld,\"limit\":10000}", after);
		assert_non_null(r);
		json_t *evs = json_object_get(r, "events");
		last = tget_int(r, "last_seq");
		for (size_t i = 0; i < json_array_size(evs); i++) {
			json_t *ev = json_array_get(evs, i);
			long long seq = tget_int(ev, "seq");
			if (seq != expect)
				fail_msg("event log gap: expected seq %lld, found %lld", expect,
				         seq);
			expect++;
			if (strcmp(tget_str(ev, "type"), "order.received") == 0) {
				if (n == cap)
					ids = realloc(ids, (cap *= 2) * sizeof(char *));
				ids[n++] = strdup(tget_str(ev, "order"));
			}
		}
		after = tget_int(r, "next_after");
		size_t got = json_array_size(evs);
		json_decref(r);
		if (got == 0)
			break;
	}
	assert_int_equal(expect - 1, last);
	qsort(ids, n, sizeof(char *), cmp_str);
	*last_out = last;
	*received = ids;
	*nrecv = n;
}

/* Every acknowledged order has its order.received event; a sample is read back whole. */
static void verify(struct tdaemon *d, struct acked *a, long long *last_seq)
{
	char **recv;
	size_t nrecv;
	read_log(d, last_seq, &recv, &nrecv);
	for (size_t i = 0; i < a->n; i++)
		if (bsearch(&a->ids[i], recv, nrecv, sizeof(char *), cmp_str) == NULL)
			fail_msg("acknowledged order %s has no order.received event after kill -9",
			         a->ids[i]);
	for (int k = 0; k < 20 && a->n; k++) {
		const char *id = a->ids[(size_t)rand() % a->n];
		json_t *r =
		    tdaemon_call(d, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
		if (r == NULL || !json_is_true(json_object_get(r, "ok")))
			fail_msg("acknowledged order %s is missing after kill -9", id);
		json_decref(r);
	}
	for (size_t i = 0; i < nrecv; i++)
		free(recv[i]);
	free(recv);
}

static void test_no_acknowledged_order_is_lost_across_kill_9(void **state)
{
	(void)state;
	int cycles = getenv("WMS_CRASH_CYCLES") ? atoi(getenv("WMS_CRASH_CYCLES")) : 20;
	struct tdaemon d;
	struct acked a = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };
	size_t total_sent = 0;
	long long last_seq = 0;
	tdaemon_init(&d);
	assert_int_equal(tdaemon_start(&d), 0);
	static const char *const seed[] = {
		"{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\"}}",
		"{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
		"\"location\":"
		"{\"lat\":52.5,\"lon\":13.4},\"layout\":{\"aisles\":10,\"slots_per_side\":45,"
		"\"slot_length\":1,\"aisle_spacing\":5},\"carriers\":[{\"carrier\":\"DHL\","
		"\"service\":\"standard\",\"cutoff\":\"17:00\",\"transit_days\":2,\"cost\":4.5}]}}",
		"{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"weight_g\":"
		"1}}",
		"{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"SKU-2\",\"weight_g\":"
		"1}}",
	};
	for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
		json_t *r = tdaemon_call(&d, "%s", seed[i]);
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
	}
	srand((unsigned)getpid());
	for (int cycle = 0; cycle < cycles; cycle++) {
		if (cycle > 0)
			assert_int_equal(tdaemon_start(&d), 0);
		atomic_bool stop = false;
		struct client cl[CLIENTS];
		pthread_t th[CLIENTS];
		for (int i = 0; i < CLIENTS; i++) {
			cl[i] = (struct client){ &d, &a, cycle, i, &stop, 0, 0 };
			pthread_create(&th[i], NULL, client_main, &cl[i]);
		}
		/* The kill lands at a random moment of the load, often mid-commit. */
		usleep((useconds_t)(50000 + rand() % 350000));
		tdaemon_signal(&d, SIGKILL);
		atomic_store(&stop, true);
		for (int i = 0; i < CLIENTS; i++) {
			pthread_join(th[i], NULL);
			total_sent += cl[i].sent;
		}
		assert_int_equal(tdaemon_start(&d), 0);
		verify(&d, &a, &last_seq);
		tdaemon_signal(&d, SIGKILL);
	}
	print_message("crash: %d kill -9 cycles, %zu orders sent, %zu acknowledged, all present; "
	              "event log gap-free up to seq %lld\n",
	              cycles, total_sent, a.n, last_seq);
	assert_true(a.n > (size_t)cycles); /* the load was real */
	for (size_t i = 0; i < a.n; i++)
		free(a.ids[i]);
	free(a.ids);
	tdaemon_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_acknowledged_order_is_lost_across_kill_9),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
