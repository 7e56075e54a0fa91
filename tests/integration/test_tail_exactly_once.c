/*
 * test_tail_exactly_once.c - the promise, at its size: "a subscriber killed in the
 * middle of 100,000 events and restarted prints every event exactly once, in order".
 *
 * A real wmsd (ipc:// in a temporary directory) receives pipelined order submissions, one
 * event each, until the log holds 100,000 events. Meanwhile `wmsctl tail --from 0 --cursor F
 * --json >> OUT` is killed with SIGKILL at pseudo-random points (after a random amount of
 * output or a random time, whichever comes first; the seed is printed) and restarted on the
 * same cursor and the same file. A last run catches up and exits on --idle-exit. OUT must then
 * hold seqs 1..100,000, each once, in order, every line complete.
 *
 * Bounded: at most MAX_ROUNDS restarts, every wait with a deadline; no timing is asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"

#define EVENTS     100000
#define MAX_ROUNDS 80
#define MIN_KILLS  8
#define RUN_MS     120000

static int engine_up(void **state)
{
	struct wmsd_proc *w = calloc(1, sizeof(*w));
	/* A simulated clock: the event count is what the test submits, not what the promise
	 * watch finds as wall time passes. */
	static const char *const sim[] = { "--sim-clock", "--sim-start", "2026-03-02T08:00:00Z",
		                           NULL };
	if (w == NULL || wmsd_start(w, sim, 20000) != 0) {
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

/* splitmix64: the kill points, reproducible from the printed seed. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void ctl(struct wmsd_proc *w, const char *const args[], struct proc_output *o)
{
	assert_int_equal(wmsctl_run(w, args, NULL, RUN_MS, o), 0);
	if (o->status != 0)
		fail_msg("wmsctl %s exited %d\n%s%s", args[0], o->status, o->out, o->err);
}

static long long last_seq(struct wmsd_proc *w)
{
	struct proc_output o = PROC_OUTPUT_INIT;
	const char *args[] = { "ping", "--json", NULL };
	ctl(w, args, &o);
	json_t *r = json_loads(o.out, 0, NULL);
	assert_non_null(r);
	long long s = json_integer_value(json_object_get(r, "last_seq"));
	json_decref(r);
	proc_output_release(&o);
	return s;
}

/* Asserts that TEXT (LEN bytes) is complete JSON lines with seqs 1..TO, each once, in order. */
static void assert_every_seq_once(const char *text, size_t len, long long to)
{
	long long want = 1;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			fail_msg("the output ends in half a line after seq %lld", want - 1);
		json_t *ev = json_loadb(p, (size_t)(nl - p), 0, NULL);
		if (ev == NULL)
			fail_msg("not an event line after seq %lld: %.*s", want - 1, (int)(nl - p),
			         p);
		long long seq = json_integer_value(json_object_get(ev, "seq"));
		json_decref(ev);
		if (seq != want)
			fail_msg("expected seq %lld, found %lld (a %s)", want, seq,
			         seq < want ? "repeat" : "gap");
		want++;
		p = nl + 1;
	}
	if (want - 1 != to)
		fail_msg("the output stops at seq %lld of %lld", want - 1, to);
}

static void test_a_tail_killed_during_100000_events_prints_each_once_in_order(void **state)
{
	struct wmsd_proc *w = *state;
	char net[PATH_MAX], orders[PATH_MAX + 32], out[PATH_MAX + 16], cur[PATH_MAX + 16];
	char count[24], bin[PATH_MAX], tbin[PATH_MAX];
	struct proc_output o = PROC_OUTPUT_INIT;
	uint64_t seed = (uint64_t)time(NULL);
	print_message("kill points from seed %" PRIu64 "\n", seed);

	/* The network's own events, then per order order.received and its allocation (or
	 * backorder, and order.split for a split): at least two events each, so at least EVENTS
	 * in all. */
	const char *load[] = { "load", proc_root_path("tests/data/network-small.json", net), NULL };
	ctl(w, load, &o);
	proc_output_release(&o);
	long long base = last_seq(w);
	snprintf(count, sizeof(count), "%lld", (EVENTS - base + 1) / 2);
	const char *gen[] = { "gen-orders", "--network", net,
		              "--count",    count,       "--seed",
		              "100000",     "--start",   "2026-03-02T09:00:00Z",
		              NULL };
	ctl(w, gen, &o);
	snprintf(orders, sizeof(orders), "%s/orders.jsonl", w->dir);
	assert_int_equal(proc_write_file(orders, o.out, o.out_len), 0);
	proc_output_release(&o);
	snprintf(out, sizeof(out), "%s/tail.out", w->dir);
	snprintf(cur, sizeof(cur), "%s/tail.cursor", w->dir);

	pid_t submit;
	const char *sargv[] = { proc_bin("wmsctl", bin),
		                "--url",
		                w->url,
		                "submit",
		                "--inflight",
		                "16",
		                "--quiet",
		                orders,
		                NULL };
	assert_int_equal(proc_spawn(sargv, NULL, NULL, false, NULL, &submit), 0);

	const char *targv[] = { proc_bin("wmsctl", tbin),
		                "--url",
		                w->url,
		                "--events",
		                w->events_url,
		                "tail",
		                "--from",
		                "0",
		                "--cursor",
		                cur,
		                "--json",
		                NULL,
		                NULL,
		                NULL };
	int kills = 0, submit_status = -1;
	bool submit_done = false;
	long long killed_at[MAX_ROUNDS];
	for (int round = 0; round < MAX_ROUNDS && (!submit_done || kills < MIN_KILLS); round++) {
		long long before = proc_file_size(out);
		if (before < 0)
			before = 0;
		pid_t tail;
		assert_int_equal(proc_spawn(targv, NULL, out, true, NULL, &tail), 0);
		/* A random amount of new output (up to ~10,000 lines) or a random time (up to
		 * 0.6 s: a kill during start-up, the backlog read or the live stream). */
		long long grow = 1 + (long long)(rnd(&seed) % 3000000);
		int64_t deadline = proc_now_ms() + 20 + (int64_t)(rnd(&seed) % 600);
		while (proc_file_size(out) < before + grow && proc_now_ms() < deadline) {
			if (!submit_done && proc_wait(submit, 2, &submit_status) == 0)
				submit_done = true;
			else if (proc_wait(tail, submit_done ? 2 : 0, NULL) == 0)
				fail_msg("wmsctl tail exited by itself (round %d)", round);
		}
		int st;
		proc_kill(tail, SIGKILL, 10000, &st);
		assert_int_equal(st, 128 + SIGKILL);
		killed_at[kills++] = proc_file_size(out);
		if (!submit_done && proc_wait(submit, 0, &submit_status) == 0)
			submit_done = true;
	}
	if (!submit_done)
		assert_int_equal(proc_wait(submit, RUN_MS, &submit_status), 0);
	assert_int_equal(submit_status, 0);
	assert_true(kills >= MIN_KILLS);
	long long total = last_seq(w);
	assert_true(total >= EVENTS);

	/* The last run drains what is left and exits once the stream is quiet. */
	targv[11] = "--idle-exit";
	targv[12] = "1";
	pid_t last;
	int st;
	assert_int_equal(proc_spawn(targv, NULL, out, true, NULL, &last), 0);
	assert_int_equal(proc_wait(last, RUN_MS, &st), 0);
	assert_int_equal(st, 0);

	char *text;
	size_t len;
	assert_int_equal(proc_read_file(out, &text, &len), 0);
	assert_every_seq_once(text, len, total);
	free(text);
	print_message("tail killed %d times (output at %lld, %lld, ... %lld bytes); seqs 1..%d "
	              "each once\n",
	              kills, killed_at[0], kills > 1 ? killed_at[1] : 0, killed_at[kills - 1],
	              (int)total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_a_tail_killed_during_100000_events_prints_each_once_in_order, engine_up,
		    engine_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
