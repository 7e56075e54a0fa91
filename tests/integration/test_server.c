/*
 * The real wmsd over real nng sockets (ipc:// in a temp dir): hostile input gets clear errors
 * and the engine keeps serving; the stock nngcat client can submit and follow; SIGTERM commits
 * what was queued.
 */
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "daemon.h"
#include "tengine.h"

#define ORDER_FMT                                                                                  \
	"{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{"       \
	"\"sku\":"                                                                                 \
	"\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann\",\"address\":\"Main 1\","              \
	"\"postal_code\":\"10115\",\"country\":\"DE\"},\"service\":\"standard\","                  \
	"\"promised_by\":\"2026-11-27T23:59:59Z\"}}"

static const char *const seed_reqs[] = {
	"{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\"}}",
	"{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\",\"location\":{"
	"\"lat\":52.5,\"lon\":13.4},\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_"
	"length\":"
	"1,\"aisle_spacing\":5},\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\","
	"\"cutoff\":\"17:00\",\"transit_days\":2,\"cost\":4.5}]}}",
	"{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"gtins\":["
	"\"4006381333931\"],\"weight_g\":100}}",
	"{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":\"A01-01-1\",\"tenant\":"
	"\"acme\",\"sku\":\"SKU-1\",\"qty\":100000,\"idem_key\":\"seed\"}",
};

static int setup(void **state)
{
	struct tdaemon *d = calloc(1, sizeof(*d));
	tdaemon_init(d);
	d->sim_clock = true;
	if (tdaemon_start(d) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(seed_reqs) / sizeof(seed_reqs[0]); i++) {
		json_t *r = tdaemon_call(d, "%s", seed_reqs[i]);
		if (r == NULL || !json_is_true(json_object_get(r, "ok")))
			return -1;
		json_decref(r);
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct tdaemon *d = *state;
	tdaemon_cleanup(d);
	free(d);
	return 0;
}

/* Sends raw bytes and returns the error code of the reply (NULL when ok). */
static char *send_raw(struct tdaemon *d, const void *data, size_t len)
{
	return tdaemon_call_raw(d->req_url, data, len, 10000);
}

static void assert_still_serving(struct tdaemon *d)
{
	json_t *r = tdaemon_call(d, "{\"op\":\"ping\"}");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

static void assert_reply_code(const char *reply, const char *code)
{
	assert_non_null(reply);
	char want[64];
	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	if (strstr(reply, want) == NULL)
		fail_msg("expected %s, got %s", code, reply);
}

static void test_garbage_and_truncated_json_get_bad_json_and_the_engine_serves_on(void **state)
{
	struct tdaemon *d = *state;
	static const unsigned char junk[] = { 0x00, 0xff, 0x13, 0x37, 'x', '{', 0x80 };
	char *r = send_raw(d, junk, sizeof(junk));
	assert_reply_code(r, "bad_json");
	free(r);
	const char *trunc = "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"ac";
	r = send_raw(d, trunc, strlen(trunc));
	assert_reply_code(r, "bad_json");
	free(r);
	assert_still_serving(d);
}

static void test_wrong_types_and_unknown_ops_are_named(void **state)
{
	struct tdaemon *d = *state;
	json_t *r = tdaemon_call(d, "{\"op\":\"order.get\",\"tenant\":42,\"id\":\"x\",\"req_id\":"
	                            "\"t1\"}");
	assert_string_equal(treply_code(r), "wrong_type");
	assert_string_equal(tget_str(r, "error.field"), "tenant");
	assert_string_equal(tget_str(r, "req_id"), "t1");
	json_decref(r);
	r = tdaemon_call(d, "{\"op\":\"order.teleport\"}");
	assert_string_equal(treply_code(r), "unknown_op");
	json_decref(r);
	assert_still_serving(d);
}

static void test_oversize_message_is_answered_too_large(void **state)
{
	struct tdaemon *d = *state;
	size_t n = 1536 * 1024;
	char *big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, "{\"op\":\"ping\"}", 13);
	char *r = send_raw(d, big, n);
	assert_reply_code(r, "too_large");
	free(r);
	free(big);
	assert_still_serving(d);
}

/*
 * Speaks nng's IPC framing by hand (the 8-byte SP header as REQ, then per message one type byte
 * 0x01 and a 64-bit big-endian length): an nng client would buffer and retry the huge frame
 * itself, which makes the test about the client. Returns 1 when the engine hung up before
 * answering.
 */
static int send_oversize_frame(const char *url, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", url + strlen("ipc://"));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	unsigned char hs[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 }, peer[8];
	if (send(fd, hs, 8, MSG_NOSIGNAL) != 8 || recv(fd, peer, 8, MSG_WAITALL) != 8) {
		close(fd);
		return -1;
	}
	unsigned char head[13] = { 1 };
	uint64_t len = n + 4;
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)(len >> (56 - 8 * i));
	head[9] = 0x80; /* request id, high bit set */
	head[12] = 1;
	bool dropped = send(fd, head, sizeof(head), MSG_NOSIGNAL) != (ssize_t)sizeof(head);
	static char chunk[65536];
	for (size_t sent = 0; !dropped && sent < n; sent += sizeof(chunk))
		dropped = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) <= 0;
	char c;
	ssize_t r = recv(fd, &c, 1, 0); /* EOF (or reset) when the engine dropped us */
	close(fd);
	return dropped || r <= 0 ? 1 : 0;
}

static void test_a_frame_beyond_the_transport_cap_is_dropped_not_buffered(void **state)
{
	struct tdaemon *d = *state;
	/* the connection is dropped: no reply, no 8 MiB held by the engine */
	assert_int_equal(send_oversize_frame(d->req_url, 8u << 20), 1);
	assert_still_serving(d);
}

static void test_an_order_of_ten_thousand_lines_is_refused_by_count(void **state)
{
	struct tdaemon *d = *state;
	size_t cap = 10000 * 40 + 1024, n = 0;
	char *t = malloc(cap);
	n += (size_t)sprintf(t + n, "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\","
	                            "\"id\":\"BIG\",\"lines\":[");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(t + n, "%s{\"sku\":\"SKU-1\",\"qty\":1}", i ? "," : "");
	n += (size_t)sprintf(t + n, "],\"ship_to\":{\"name\":\"A\",\"address\":\"M\","
	                            "\"postal_code\":\"1\",\"country\":\"DE\"},\"service\":"
	                            "\"standard\",\"promised_by\":\"2026-11-27T23:59:59Z\"}}");
	char *r = send_raw(d, t, n);
	assert_reply_code(r, "out_of_range");
	assert_non_null(strstr(r, "order.lines"));
	free(r);
	free(t);
	assert_still_serving(d);
}

static void test_events_are_published_as_type_space_json(void **state)
{
	struct tdaemon *d = *state;
	nng_socket sub;
	nng_msg *m;
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "order.", 6), 0);
	nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 5000);
	assert_int_equal(nng_dial(sub, d->ev_url, NULL, 0), 0);
	/* A subscription takes effect asynchronously: submit until one event arrives. */
	int got = -1;
	for (int i = 0; i < 50 && got != 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "PUB-%d", i);
		json_decref(tdaemon_call(d, ORDER_FMT, id));
		nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 100);
		got = nng_recvmsg(sub, &m, 0);
	}
	assert_int_equal(got, 0);
	const char *body = nng_msg_body(m);
	size_t len = nng_msg_len(m);
	assert_true(len > 16 && memcmp(body, "order.received {", 16) == 0);
	json_t *ev = json_loadb(body + 15, len - 15, 0, NULL);
	assert_non_null(ev);
	assert_string_equal(tget_str(ev, "type"), "order.received");
	assert_true(tget_int(ev, "seq") > 0);
	json_decref(ev);
	nng_msg_free(m);
	tsub_close(sub);
}

static void test_the_stock_nngcat_client_submits_and_reads_an_order(void **state)
{
	struct tdaemon *d = *state;
	char order[1024], *out = NULL;
	snprintf(order, sizeof(order), ORDER_FMT, "NNGCAT-1");
	char *argv[] = { "/usr/bin/nngcat", "--req0", "--dial", d->req_url, "--ascii",
		         "--recv-timeout",  "10",     "--data", order,      NULL };
	assert_int_equal(trun(argv, &out, 15000), 0);
	assert_non_null(strstr(out, "\"ok\":true"));
	assert_non_null(strstr(out, "NNGCAT-1"));
	free(out);
	char get[] = "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"NNGCAT-1\"}\n";
	char *argv2[] = { "/usr/bin/nngcat", "--req0", "--dial", d->req_url, "--ascii",
		          "--recv-timeout",  "10",     "--data", get,        NULL };
	assert_int_equal(trun(argv2, &out, 15000), 0);
	assert_non_null(strstr(out, "\"timeline\""));
	assert_non_null(strstr(out, "order.received"));
	free(out);
}

static void test_sigterm_finishes_and_the_data_stays(void **state)
{
	struct tdaemon *d = *state;
	json_decref(tdaemon_call(d, ORDER_FMT, "BEFORE-TERM"));
	int st = tdaemon_signal(d, SIGTERM);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(tdaemon_start(d), 0);
	json_t *r = tdaemon_call(d, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":"
	                            "\"BEFORE-TERM\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

/* Regression: wmsd used to serve while --seed was still loading, so the first client could
 * see an empty store. The demo network takes long enough to load that the race showed. */
static void test_a_seeded_engine_answers_only_once_its_network_is_loaded(void **state)
{
	(void)state;
	struct tdaemon d;
	tdaemon_init(&d);
	char seed[1024];
	const char *root = getenv("WMS_ROOT");
	snprintf(seed, sizeof(seed), "%s/engine/demo/network.json", root ? root : ".");
	d.seed = seed;
	assert_int_equal(tdaemon_start(&d), 0);
	json_t *r = tdaemon_call(&d, "{\"op\":\"warehouse.get\",\"id\":\"RNO1\"}");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = tdaemon_call(&d, "{\"op\":\"stock.get\",\"tenant\":\"globex\",\"limit\":1}");
	assert_non_null(r);
	assert_true(tget_int(r, "on_hand") > 0);
	json_decref(r);
	tdaemon_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_garbage_and_truncated_json_get_bad_json_and_the_engine_serves_on),
		cmocka_unit_test(test_wrong_types_and_unknown_ops_are_named),
		cmocka_unit_test(test_oversize_message_is_answered_too_large),
		cmocka_unit_test(test_a_frame_beyond_the_transport_cap_is_dropped_not_buffered),
		cmocka_unit_test(test_an_order_of_ten_thousand_lines_is_refused_by_count),
		cmocka_unit_test(test_events_are_published_as_type_space_json),
		cmocka_unit_test(test_the_stock_nngcat_client_submits_and_reads_an_order),
		cmocka_unit_test(test_sigterm_finishes_and_the_data_stays),
		cmocka_unit_test(test_a_seeded_engine_answers_only_once_its_network_is_loaded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
