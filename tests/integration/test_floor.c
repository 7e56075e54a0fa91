/*
 * test_floor.c - the floor simulator (wms-floor) against a real wmsd on ipc:// sockets.
 *
 * Each test starts its own engine in a fresh temporary directory, loads the demo network with
 * wmsctl (three warehouses, lot-tracked items, case GTINs), and runs wms-floor as a separate
 * process (posix_spawn, bounded), reading its --json report. The simulator generates and
 * submits the orders itself, plans and releases the waves, picks and packs them with pickers
 * and pack stations on their own connections, injects mistakes, and checks every carton.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

#define RUN_MS 60000

static const char *const mistakes[] = {
	"wrong_item",     "extra_unit",   "wrong_tote",     "skipped_item", "wrong_lot",
	"missing_insert", "wrong_weight", "wrong_location", "resent_scan",
};
#define N_MISTAKES (sizeof(mistakes) / sizeof(mistakes[0]))

static int engine_up(void **state)
{
	struct wmsd_proc *w = calloc(1, sizeof(*w));
	if (w == NULL || wmsd_start(w, NULL, 20000) != 0) {
		free(w);
		return -1;
	}
	/* Loaded through wmsctl rather than --seed: it returns once everything is stored. */
	char net[PATH_MAX];
	const char *const args[] = { "load", proc_root_path("engine/demo/network.json", net),
		                     NULL };
	struct proc_output o = PROC_OUTPUT_INIT;
	int rc = wmsctl_run(w, args, NULL, RUN_MS, &o);
	if (rc != 0 || o.status != 0) {
		fprintf(stderr, "wmsctl load failed (%d): %s\n", o.status, o.err ? o.err : "");
		proc_output_release(&o);
		wmsd_stop(w);
		free(w);
		return -1;
	}
	proc_output_release(&o);
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

/*
 * Runs wms-floor against W with ARGS after the connection options and --json, asserts its
 * exit status is WANT, and returns the parsed report (NULL when WANT is a usage error).
 */
static json_t *floor_run(struct wmsd_proc *w, int want, const char *const args[])
{
	char bin[PATH_MAX], net[PATH_MAX];
	const char *argv[48];
	size_t n = 0;
	argv[n++] = proc_bin("wms-floor", bin);
	argv[n++] = "--url";
	argv[n++] = w->url;
	argv[n++] = "--events";
	argv[n++] = w->events_url;
	argv[n++] = "--network";
	argv[n++] = proc_root_path("engine/demo/network.json", net);
	argv[n++] = "--json";
	for (size_t i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct proc_output o = PROC_OUTPUT_INIT;
	assert_int_equal(proc_run(argv, NULL, w->dir, RUN_MS, &o), 0);
	if (o.status != want)
		fail_msg("wms-floor exited %d, expected %d\nstdout:\n%s\nstderr:\n%s", o.status,
		         want, o.out, o.err);
	json_t *rep = NULL;
	if (want != 2) {
		json_error_t jerr;
		rep = json_loads(o.out, 0, &jerr);
		if (!json_is_object(rep))
			fail_msg("wms-floor --json printed no JSON object (%s):\n%s\nstderr:\n%s",
			         jerr.text, o.out, o.err);
	}
	proc_output_release(&o);
	return rep;
}
#define FLOOR(w, want, ...) floor_run((w), (want), (const char *const[]){ __VA_ARGS__, NULL })

static long long num(const json_t *rep, const char *section, const char *key)
{
	const json_t *s = section ? json_object_get(rep, section) : rep;
	const json_t *v = json_object_get(s, key);
	if (!json_is_integer(v))
		fail_msg("report has no integer %s.%s", section ? section : "", key);
	return (long long)json_integer_value(v);
}

static void test_floor_catches_every_injected_mistake_with_its_verdict(void **state)
{
	struct wmsd_proc *w = *state;
	json_t *rep = FLOOR(w, 0, "--orders", "80", "--pickers", "3", "--stations", "2",
	                    "--error-rate", "0.25", "--seed", "7");
	const json_t *errors = json_object_get(rep, "errors");
	for (size_t i = 0; i < N_MISTAKES; i++) {
		const json_t *e = json_object_get(errors, mistakes[i]);
		if (e == NULL)
			fail_msg("no figures for %s", mistakes[i]);
		long long injected = num(errors, mistakes[i], "injected");
		if (injected <= 0)
			fail_msg("%s was never injected", mistakes[i]);
		if (num(errors, mistakes[i], "caught") != injected ||
		    num(errors, mistakes[i], "missed") != 0 ||
		    num(errors, mistakes[i], "other") != 0)
			fail_msg("%s: injected %lld, caught %lld, missed %lld, other %lld",
			         mistakes[i], injected, num(errors, mistakes[i], "caught"),
			         num(errors, mistakes[i], "missed"),
			         num(errors, mistakes[i], "other"));
	}
	assert_true(json_is_true(json_object_get(rep, "ok")));
	assert_true(num(rep, "packed", "cartons") > 0);
	assert_int_equal(num(rep, "packed", "wrong"), 0);
	assert_int_equal(num(rep, "packed", "checked"), num(rep, "packed", "cartons"));
	assert_int_equal(num(rep, "scans", "unexpected_refusals"), 0);
	json_decref(rep);
}

static void test_floor_without_mistakes_packs_every_order_it_submitted(void **state)
{
	struct wmsd_proc *w = *state;
	json_t *rep =
	    FLOOR(w, 0, "--orders", "40", "--pickers", "2", "--stations", "2", "--seed", "11");
	long long allocated = num(rep, "orders", "allocated");
	assert_true(allocated > 0);
	for (size_t i = 0; i < N_MISTAKES; i++)
		assert_int_equal(num(json_object_get(rep, "errors"), mistakes[i], "injected"), 0);
	/* Every allocated order was picked and packed whole, each carton matching its order. */
	assert_int_equal(num(rep, "packed", "orders"), allocated);
	assert_int_equal(num(rep, "packed", "cartons"), num(rep, "picked", "shipments"));
	assert_int_equal(num(rep, "packed", "wrong"), 0);
	assert_int_equal(num(rep, "packed", "set_aside"), 0);
	assert_int_equal(num(rep, "tasks", "done"), num(rep, "orders", "tasks_released"));
	assert_true(num(rep, "scans", "sent") > num(rep, "tasks", "done"));
	json_decref(rep);
}

static void test_floor_injects_only_the_mistakes_named(void **state)
{
	struct wmsd_proc *w = *state;
	json_t *rep = FLOOR(w, 0, "--orders", "30", "--pickers", "2", "--stations", "1", "--seed",
	                    "5", "--inject", "wrong_tote=0.5,wrong_weight=0.5");
	const json_t *errors = json_object_get(rep, "errors");
	for (size_t i = 0; i < N_MISTAKES; i++) {
		long long injected = num(errors, mistakes[i], "injected");
		bool named = strcmp(mistakes[i], "wrong_tote") == 0 ||
		             strcmp(mistakes[i], "wrong_weight") == 0;
		if (named ? injected == 0 : injected != 0)
			fail_msg("%s injected %lld times", mistakes[i], injected);
		assert_int_equal(num(errors, mistakes[i], "caught"), injected);
	}
	json_decref(rep);
}

static void test_floor_refuses_an_unknown_mistake_type_with_usage_status(void **state)
{
	struct wmsd_proc *w = *state;
	FLOOR(w, 2, "--inject", "wrong_colour=0.1");
	FLOOR(w, 2, "--inject", "wrong_item=1.5");
	FLOOR(w, 2, "--orders", "ten");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, engine_up, engine_down)
		T(test_floor_catches_every_injected_mistake_with_its_verdict),
		T(test_floor_without_mistakes_packs_every_order_it_submitted),
		T(test_floor_injects_only_the_mistakes_named),
		T(test_floor_refuses_an_unknown_mistake_type_with_usage_status),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
