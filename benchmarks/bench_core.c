/*
 * bench_core - the engine's durable write path against the raw speed of its parts, measured in
 * the same run on the same machine:
 *
 *   raw LMDB: durable commits/s with one put per transaction; puts/s in one large transaction
 *             (sequential and random keys)
 *   raw nng:  REQ/REP round trips/s over tcp loopback against an echo server, 1 and 64
 *             concurrent requesters
 *   engine:   order.submit through a real wmsd (separate process, tcp loopback, durable
 *             commits) with 1, 8 and 64 concurrent clients: orders/s, p50/p99 latency, and
 *             the ratio to the raw figures; then events.read throughput.
 *
 * Usage: bench_core WMSD_PATH [SECONDS_PER_STEP]
 * Prints one "name: value unit" line per figure.
 */
#include <errno.h>
#include <lmdb.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wms/nngclose.h"
#include "tengine.h"

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double step_seconds = 3.0;

/* ---- raw LMDB ---- */

static double lmdb_commits_per_s(const char *dir)
{
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	mdb_env_create(&env);
	mdb_env_set_mapsize(env, 1UL << 30);
	if (mdb_env_open(env, dir, 0, 0644) != 0)
		return 0;
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_txn_commit(txn);
	char val[200];
	memset(val, 'v', sizeof(val));
	double t0 = now_s(), t;
	uint64_t n = 0;
	do {
		uint64_t k = __builtin_bswap64(n);
		MDB_val key = { 8, &k }, v = { sizeof(val), val };
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_put(txn, dbi, &key, &v, MDB_APPEND);
		mdb_txn_commit(txn);
		n++;
		t = now_s();
	} while (t - t0 < step_seconds);
	mdb_env_close(env);
	return (double)n / (t - t0);
}

static double lmdb_puts_per_s(const char *dir, int random_keys)
{
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	const uint64_t n = 200000;
	mdb_env_create(&env);
	mdb_env_set_mapsize(env, 1UL << 30);
	if (mdb_env_open(env, dir, 0, 0644) != 0)
		return 0;
	char val[200];
	memset(val, 'v', sizeof(val));
	uint64_t x = 88172645463325252ULL;
	double t0 = now_s();
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k;
		if (random_keys) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k = x;
		} else {
			k = __builtin_bswap64(i);
		}
		MDB_val key = { 8, &k }, v = { sizeof(val), val };
		mdb_put(txn, dbi, &key, &v, random_keys ? 0 : MDB_APPEND);
	}
	mdb_txn_commit(txn);
	double t = now_s() - t0;
	mdb_env_close(env);
	return (double)n / t;
}

/* ---- a closed-loop load generator over nng REQ contexts ---- */

struct gen;
struct client {
	struct gen *g;
	nng_socket sock;
	nng_ctx ctx;
	nng_aio *aio;
	double sent_at;
	uint64_t seq;
	int id;
	int receiving; /* 0: a send is in flight, 1: waiting for the reply */
};

/* Builds request number SEQ of client ID into a new message. */
typedef int (*make_req_fn)(int id, uint64_t seq, nng_msg **out);

struct gen {
	struct client *c;
	int n;
	make_req_fn make;
	atomic_bool stop;
	atomic_uint_fast64_t done, errors;
	double *lat; /* latencies in seconds, one slot per completed request */
	size_t lat_cap;
	atomic_size_t lat_n;
	atomic_int active;
};

static void client_send(struct client *c)
{
	nng_msg *m;
	if (c->g->make(c->id, c->seq++, &m) != 0) {
		atomic_fetch_sub(&c->g->active, 1);
		return;
	}
	c->sent_at = now_s();
	c->receiving = 0;
	nng_aio_set_msg(c->aio, m);
	nng_ctx_send(c->ctx, c->aio);
}

static void client_cb(void *arg)
{
	struct client *c = arg;
	struct gen *g = c->g;
	int rv = nng_aio_result(c->aio);
	if (!c->receiving) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			atomic_fetch_add(&g->errors, 1);
			atomic_fetch_sub(&g->active, 1);
			return;
		}
		c->receiving = 1;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	nng_msg *m = nng_aio_get_msg(c->aio);
	if (rv != 0) {
		atomic_fetch_add(&g->errors, 1);
		atomic_fetch_sub(&g->active, 1);
		return;
	}
	double l = now_s() - c->sent_at;
	if (nng_msg_len(m) < 11 || memcmp(nng_msg_body(m), "{\"ok\":true", 10) != 0)
		atomic_fetch_add(&g->errors, 1);
	nng_msg_free(m);
	size_t i = atomic_fetch_add(&g->lat_n, 1);
	if (i < g->lat_cap)
		g->lat[i] = l;
	atomic_fetch_add(&g->done, 1);
	if (atomic_load(&g->stop)) {
		atomic_fetch_sub(&g->active, 1);
		return;
	}
	client_send(c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct result {
	double rate, p50_ms, p99_ms;
	uint64_t errors;
};

static struct result run_load(const char *url, int nclients, make_req_fn make, double seconds)
{
	struct gen g = { 0 };
	struct result r = { 0 };
	g.n = nclients;
	g.make = make;
	g.lat_cap = 4000000;
	g.lat = malloc(g.lat_cap * sizeof(double));
	g.c = calloc((size_t)nclients, sizeof(struct client));
	/* One socket (connection) per client, as separate OMS clients would have. */
	for (int i = 0; i < nclients; i++) {
		struct client *c = &g.c[i];
		c->g = &g;
		c->id = i;
		nng_req0_open(&c->sock);
		nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, 600000);
		if (nng_dial(c->sock, url, NULL, 0) != 0) {
			fprintf(stderr, "bench: cannot dial %s\n", url);
			exit(1);
		}
		nng_ctx_open(&c->ctx, c->sock);
		nng_aio_alloc(&c->aio, client_cb, c);
	}
	atomic_store(&g.active, nclients);
	double t0 = now_s();
	for (int i = 0; i < nclients; i++)
		client_send(&g.c[i]);
	while (now_s() - t0 < seconds)
		usleep(20000);
	atomic_store(&g.stop, true);
	double t1 = now_s();
	uint64_t done_at_stop = atomic_load(&g.done);
	for (int spins = 0; atomic_load(&g.active) > 0 && spins < 1000; spins++)
		usleep(10000);
	for (int i = 0; i < nclients; i++) {
		nng_aio_stop(g.c[i].aio);
		nng_aio_free(g.c[i].aio);
		wms_nng_close(g.c[i].sock, WMS_NNG_CLOSE_WAIT_MS);
	}
	size_t n = atomic_load(&g.lat_n);
	if (n > g.lat_cap)
		n = g.lat_cap;
	qsort(g.lat, n, sizeof(double), cmp_double);
	r.rate = (double)done_at_stop / (t1 - t0);
	r.p50_ms = n ? g.lat[n / 2] * 1e3 : 0;
	r.p99_ms = n ? g.lat[(size_t)((double)n * 0.99)] * 1e3 : 0;
	r.errors = atomic_load(&g.errors);
	free(g.lat);
	free(g.c);
	return r;
}

/* ---- raw nng echo server ---- */

struct echo_ctx {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
};

static void echo_cb(void *arg)
{
	struct echo_ctx *e = arg;
	if (nng_aio_result(e->aio) != 0) {
		if (e->sending)
			nng_msg_free(nng_aio_get_msg(e->aio));
		return;
	}
	if (e->sending) {
		e->sending = 0;
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	/* Answer like the engine does: a small JSON reply. */
	nng_msg *m = nng_aio_get_msg(e->aio);
	nng_msg_clear(m);
	nng_msg_append(m, "{\"ok\":true}", 11);
	e->sending = 1;
	nng_aio_set_msg(e->aio, m);
	nng_ctx_send(e->ctx, e->aio);
}

static const char order_body[] =
    "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1}],\"ship_to\":{\"name\":\"Ann Example\",\"address\":"
    "\"Main Street 1\",\"postal_code\":\"10115\",\"country\":\"DE\",\"lat\":52.5,\"lon\":13.4},"
    "\"service\":\"standard\",\"promised_by\":\"2026-12-24T23:59:59Z\"}}";

static int run_id;

static int make_order(int id, uint64_t seq, nng_msg **out)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
	                 "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":"
	                 "\"B%d-%d-%llu\",%s",
	                 run_id, id, (unsigned long long)seq, order_body);
	if (nng_msg_alloc(out, 0) != 0)
		return -1;
	return nng_msg_append(*out, buf, (size_t)n);
}

static pid_t spawn_wmsd(const char *wmsd, const char *dir, const char *url, const char *ev)
{
	pid_t pid;
	char *argv[] = { (char *)wmsd, "--data",   (char *)dir, "--listen", (char *)url,
		         "--events",   (char *)ev, "--quiet",   NULL };
	if (posix_spawn(&pid, wmsd, NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "bench: cannot start %s\n", wmsd);
		exit(1);
	}
	return pid;
}

static int call(nng_socket s, const char *req, char **reply)
{
	nng_msg *m;
	nng_msg_alloc(&m, 0);
	nng_msg_append(m, req, strlen(req));
	int rv = nng_sendmsg(s, m, 0);
	if (rv) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_recvmsg(s, &m, 0)))
		return rv;
	if (reply) {
		*reply = strndup(nng_msg_body(m), nng_msg_len(m));
	}
	nng_msg_free(m);
	return 0;
}

static void seed(nng_socket s)
{
	static const char *const reqs[] = {
		"{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":\"Acme\"}}",
		"{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
		"\"timezone\":\"UTC\",\"location\":{\"lat\":52.52,\"lon\":13.40},\"layout\":{"
		"\"aisles\":"
		"10,\"slots_per_side\":45,\"slot_length\":1,\"aisle_spacing\":5,\"end_gap\":1,"
		"\"levels\":4,\"depot\":{\"aisle\":1}},\"carriers\":[{\"carrier\":\"DHL\","
		"\"service\":"
		"\"standard\",\"cutoff\":\"17:00\",\"transit_days\":2,\"cost\":4.5}]}}",
		"{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":\"SKU-1\",\"gtins\":["
		"\"4006381333931\"],\"weight_g\":100}}",
		"{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":\"A01-01-1\","
		"\"tenant\":"
		"\"acme\",\"sku\":\"SKU-1\",\"qty\":1000000,\"idem_key\":\"bench\"}",
	};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		char *r = NULL;
		if (call(s, reqs[i], &r) != 0 || strstr(r, "\"ok\":true") == NULL) {
			fprintf(stderr, "bench: seeding failed: %s\n", r ? r : "no reply");
			exit(1);
		}
		free(r);
	}
}

/* The writer's own account since the previous call: what bounds the engine. */
static void print_writer(nng_socket s, int level)
{
	static double commits0, cmds0, exec0, commit0;
	char *reply = NULL;
	if (call(s, "{\"op\":\"ping\"}", &reply) != 0)
		return;
	json_t *r = json_loads(reply, 0, NULL);
	free(reply);
	json_t *w = json_object_get(r, "writer");
	double commits = json_number_value(json_object_get(w, "commits"));
	double cmds = json_number_value(json_object_get(w, "commands"));
	double exec = json_number_value(json_object_get(w, "exec_us_per_command")) * cmds;
	double commit = json_number_value(json_object_get(w, "commit_us")) * commits;
	double dc = commits - commits0, dn = cmds - cmds0;
	if (dc > 0 && dn > 0)
		printf("engine_writer_%d: %.1f commands per commit, %.1f us handler time per "
		       "command, %.0f us per durable commit, writer busy %.0f%%\n",
		       level, dn / dc, (exec - exec0) / dn, (commit - commit0) / dc,
		       ((exec - exec0) + (commit - commit0)) / (step_seconds * 1e6) * 100);
	commits0 = commits;
	cmds0 = cmds;
	exec0 = exec;
	commit0 = commit;
	json_decref(r);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_core WMSD_PATH [SECONDS_PER_STEP]\n");
		return 2;
	}
	if (argc > 2)
		step_seconds = atof(argv[2]);
	char dir[] = "/tmp/wms-bench-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	char sub[512], url[64], ev[64];
	int port = 17450 + (int)(getpid() % 1000) * 2;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	snprintf(ev, sizeof(ev), "tcp://127.0.0.1:%d", port + 1);

	/* The engine process first: nng must not be initialised before a spawn. */
	snprintf(sub, sizeof(sub), "%s/engine", dir);
	pid_t pid = spawn_wmsd(argv[1], sub, url, ev);

	printf("# bench_core: %.1f s per step, engine pid %d, data in %s\n", step_seconds, (int)pid,
	       dir);
	snprintf(sub, sizeof(sub), "%s/lmdb1", dir);
	mkdir(sub, 0755);
	double commits = lmdb_commits_per_s(sub);
	printf("raw_lmdb_durable_commits: %.0f commits/s (1 put per txn)\n", commits);
	snprintf(sub, sizeof(sub), "%s/lmdb2", dir);
	mkdir(sub, 0755);
	printf("raw_lmdb_puts_sequential: %.0f puts/s (one txn, 200k appends)\n",
	       lmdb_puts_per_s(sub, 0));
	snprintf(sub, sizeof(sub), "%s/lmdb3", dir);
	mkdir(sub, 0755);
	printf("raw_lmdb_puts_random: %.0f puts/s (one txn, 200k random keys)\n",
	       lmdb_puts_per_s(sub, 1));
	fflush(stdout);

	/* Raw nng: an echo REP server with a context pool, like the engine's. */
	char echo_url[64];
	snprintf(echo_url, sizeof(echo_url), "tcp://127.0.0.1:%d", port + 100);
	nng_socket rep;
	nng_rep0_open(&rep);
	struct echo_ctx ectx[256];
	for (int i = 0; i < 256; i++) {
		nng_ctx_open(&ectx[i].ctx, rep);
		nng_aio_alloc(&ectx[i].aio, echo_cb, &ectx[i]);
		ectx[i].sending = 0;
	}
	if (nng_listen(rep, echo_url, NULL, 0) != 0) {
		fprintf(stderr, "bench: cannot listen on %s\n", echo_url);
		return 1;
	}
	for (int i = 0; i < 256; i++)
		nng_ctx_recv(ectx[i].ctx, ectx[i].aio);
	static const int levels[] = { 1, 8, 64 };
	double raw[3];
	for (int i = 0; i < 3; i++) {
		run_id++;
		struct result r = run_load(echo_url, levels[i], make_order, step_seconds);
		raw[i] = r.rate;
		printf("raw_nng_reqrep_%d: %.0f round trips/s (p50 %.3f ms, p99 %.3f ms)\n",
		       levels[i], r.rate, r.p50_ms, r.p99_ms);
		fflush(stdout);
	}
	for (int i = 0; i < 256; i++)
		nng_aio_stop(ectx[i].aio);
	wms_nng_close(rep, WMS_NNG_CLOSE_WAIT_MS);

	/* The engine. */
	nng_socket s;
	nng_req0_open(&s);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000);
	nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK);
	char *pong = NULL;
	for (int i = 0; i < 200 && call(s, "{\"op\":\"ping\"}", &pong) != 0; i++)
		usleep(50000);
	if (pong == NULL) {
		fprintf(stderr, "bench: the engine does not answer on %s\n", url);
		kill(pid, SIGKILL);
		return 1;
	}
	free(pong);
	seed(s);
	uint64_t total = 0;
	for (int i = 0; i < 3; i++) {
		run_id++;
		struct result r = run_load(url, levels[i], make_order, step_seconds);
		total += (uint64_t)(r.rate * step_seconds);
		printf(
		    "engine_order_submit_%d: %.0f orders/s (p50 %.3f ms, p99 %.3f ms, errors %llu)"
		    " = %.2fx raw nng at %d, %.2fx raw LMDB commits\n",
		    levels[i], r.rate, r.p50_ms, r.p99_ms, (unsigned long long)r.errors,
		    r.rate / raw[i], levels[i], r.rate / commits);
		print_writer(s, levels[i]);
		fflush(stdout);
	}

	/* Replay: read the whole log in pages of 1000. */
	double t0 = now_s();
	uint64_t after = 0, events = 0;
	for (;;) {
		char req[128], *reply = NULL;
		snprintf(req, sizeof(req), "{\"op\":\"events.read\",\"after\":%llu,\"limit\":1000}",
		         (unsigned long long)after);
		if (call(s, req, &reply) != 0)
			break;
		json_t *r = json_loads(reply, 0, NULL);
		free(reply);
		size_t n = json_array_size(json_object_get(r, "events"));
		after = (uint64_t)json_integer_value(json_object_get(r, "next_after"));
		json_decref(r);
		events += n;
		if (n == 0)
			break;
	}
	double dt = now_s() - t0;
	printf("engine_events_read: %.0f events/s (%llu events in pages of 1000, parsed by the "
	       "client)\n",
	       (double)events / dt, (unsigned long long)events);
	wms_nng_close(s, WMS_NNG_CLOSE_WAIT_MS);
	kill(pid, SIGTERM);
	int st;
	for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(100000);
	trm_rf(dir);
	(void)total;
	return 0;
}
