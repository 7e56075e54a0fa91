/*
 * bench_route.c - routing speed and quality, batching speed and quality.
 *
 * Prints one figure per line, "name: value unit". Instances come from fixed seeds
 * (tests/support/pickgen), so two runs on one machine differ only in the timings.
 *
 *   build/default/bench/bench_route            everything (about a minute on 2 cores)
 *   build/default/bench/bench_route quick      100,000 orders left out
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "layout.h"
#include "route.h"
#include "pickgen.h"

#define WAVE 2000 /* orders per wave when planning large order sets */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_route: %s: %s\n", what, wms_errname(rc));
	exit(1);
}

static struct layout make_layout(int aisles, int blocks, int slots, double offset)
{
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = aisles;
	p.blocks = blocks;
	p.slots_per_side = slots;
	p.depot_offset = offset;
	struct layout l;
	struct wms_error err = WMS_ERROR_INIT;
	if (layout_init(&l, &p, &err))
		die(err.message, err.code);
	return l;
}

/* Exact routing speed and the heuristics' gap over NINST random lists of NPICKS picks. */
static void bench_routing(const char *name, const struct layout *l, int npicks, int ninst)
{
	struct route_ws *ws;
	int rc = route_ws_new(&ws);
	if (rc)
		die("route_ws_new", rc);
	struct layout_point *picks = malloc((size_t)ninst * (size_t)npicks * sizeof(*picks));
	size_t *order = malloc((size_t)npicks * sizeof(*order));
	double *opt = malloc((size_t)ninst * sizeof(*opt));
	if (picks == NULL || order == NULL || opt == NULL)
		die("malloc", WMS_ENOMEM);
	struct pg_rng r;
	pg_seed(&r, 60);
	for (int i = 0; i < ninst * npicks; i++)
		picks[i] = pg_point(&r, l);
	struct route_result res;
	/* warm the workspace, so the timing shows the steady state */
	route_optimal(ws, l, picks, (size_t)npicks, order, &res);
	int exact = 0;
	double t0 = now();
	for (int i = 0; i < ninst; i++) {
		if ((rc = route_optimal(ws, l, &picks[(size_t)i * npicks], (size_t)npicks, order,
		                        &res)))
			die("route_optimal", rc);
		opt[i] = res.length;
		exact += res.exact;
	}
	double t1 = now();
	for (int i = 0; i < ninst; i++)
		route_optimal(ws, l, &picks[(size_t)i * npicks], (size_t)npicks, NULL, &res);
	double t2 = now();
	double ss_gap = 0, lg_gap = 0, ss_time = 0;
	for (int i = 0; i < ninst; i++) {
		double a = now();
		route_sshape(ws, l, &picks[(size_t)i * npicks], (size_t)npicks, NULL, &res);
		ss_time += now() - a;
		ss_gap += res.length / opt[i] - 1;
		if (l->p.blocks == 1) {
			route_largest_gap(ws, l, &picks[(size_t)i * npicks], (size_t)npicks, NULL,
			                  &res);
			lg_gap += res.length / opt[i] - 1;
		}
	}
	const char *kind = exact == ninst ? "exact" : exact == 0 ? "heuristic" : "mixed";
	printf("%s_route_%s_with_order: %.2f us\n", name, kind, (t1 - t0) / ninst * 1e6);
	printf("%s_route_%s_length_only: %.2f us\n", name, kind, (t2 - t1) / ninst * 1e6);
	printf("%s_route_sshape: %.2f us\n", name, ss_time / ninst * 1e6);
	printf("%s_sshape_longer_than_%s: %.2f %%\n", name, kind, 100 * ss_gap / ninst);
	if (l->p.blocks == 1)
		printf("%s_largest_gap_longer_than_exact: %.2f %%\n", name, 100 * lg_gap / ninst);
	free(picks);
	free(order);
	free(opt);
	route_ws_free(ws);
}

/* Capacity breaches a plan would put on the floor (oversize orders ride alone, flagged). */
static size_t violations(const struct batch_plan *pl, const struct batch_cart *cart)
{
	size_t v = 0;
	for (size_t b = 0; b < pl->nbatches; b++) {
		const struct batch *bt = &pl->batches[b];
		if (bt->oversize ? bt->norders != 1
		                 : bt->norders > cart->max_orders || bt->units > cart->max_units)
			v++;
	}
	return v;
}

/* Plans N orders in waves of WAVE with each method; prints time, travel and breaches. */
static void bench_batching(const char *name, const struct layout *l, size_t n, int abc_skew)
{
	struct pg_rng r;
	pg_seed(&r, 2026);
	struct pg_abc abc;
	if (abc_skew && pg_abc_init(&abc, l))
		die("pg_abc_init", WMS_ENOMEM);
	struct pg_wave w;
	if (pg_wave_make(&w, &r, l, abc_skew ? &abc : NULL, n, 5, 25, 5))
		die("pg_wave_make", WMS_ENOMEM);
	struct batch_cart cart = { 8, 45 };
	static const char *mname[] = { "savings", "fcfs", "single" };
	double len[3] = { 0, 0, 0 }, sshape = 0, secs[3] = { 0, 0, 0 };
	size_t batches[3] = { 0, 0, 0 }, viol = 0, oversize = 0;
	for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
		struct batch_options opt = BATCH_OPTIONS_INIT;
		opt.method = m;
		opt.compare = m == BATCH_SAVINGS;
		for (size_t first = 0; first < n; first += WAVE) {
			size_t cnt = n - first < WAVE ? n - first : WAVE;
			struct batch_plan *pl;
			struct wms_error err = WMS_ERROR_INIT;
			double t0 = now();
			int rc = batch_plan_new(l, &w.orders[first], cnt, &cart, &opt, &pl, &err);
			secs[m] += now() - t0;
			if (rc)
				die(err.message, rc);
			len[m] += pl->length;
			batches[m] += pl->nbatches;
			viol += violations(pl, &cart);
			if (m == BATCH_SAVINGS) {
				sshape += pl->sshape_length;
				oversize += pl->oversize;
			}
			batch_plan_free(pl);
		}
	}
	for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
		printf("%s_%zu_%s_plan_time: %.3f s\n", name, n, mname[m], secs[m]);
		printf("%s_%zu_%s_batches: %zu\n", name, n, mname[m], batches[m]);
		printf("%s_%zu_%s_travel: %.0f m\n", name, n, mname[m], len[m]);
	}
	printf("%s_%zu_savings_sshape_travel: %.0f m\n", name, n, sshape);
	printf("%s_%zu_savings_vs_single: -%.1f %%\n", name, n, 100 * (1 - len[0] / len[2]));
	printf("%s_%zu_savings_vs_fcfs: -%.1f %%\n", name, n, 100 * (1 - len[0] / len[1]));
	printf("%s_%zu_exact_vs_sshape_routing: -%.1f %%\n", name, n, 100 * (1 - len[0] / sshape));
	printf("%s_%zu_capacity_violations: %zu\n", name, n, viol);
	printf("%s_%zu_oversize_orders: %zu\n", name, n, oversize);
	pg_wave_release(&w);
	if (abc_skew)
		pg_abc_release(&abc);
}

/* One call with every order, no waves: the batching module's own scaling. */
static void bench_one_call(const char *name, const struct layout *l, size_t n)
{
	struct pg_rng r;
	pg_seed(&r, 7);
	struct pg_wave w;
	if (pg_wave_make(&w, &r, l, NULL, n, 5, 25, 5))
		die("pg_wave_make", WMS_ENOMEM);
	struct batch_cart cart = { 8, 45 };
	struct batch_options opt = BATCH_OPTIONS_INIT;
	opt.compare = 0;
	struct batch_plan *pl;
	double t0 = now();
	int rc = batch_plan_new(l, w.orders, n, &cart, &opt, &pl, NULL);
	double t1 = now();
	if (rc)
		die("batch_plan_new", rc);
	printf("%s_%zu_one_call_savings_plan_time: %.3f s\n", name, n, t1 - t0);
	printf("%s_%zu_one_call_savings_travel: %.0f m\n", name, n, pl->length);
	batch_plan_free(pl);
	pg_wave_release(&w);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
	double t0 = now();
	struct layout classic = make_layout(10, 1, 45, 1.5);
	struct layout big = make_layout(30, 1, 60, 1.5);
	struct layout two = make_layout(10, 2, 23, 1.5);
	struct layout three = make_layout(10, 3, 15, 1.5);
	struct layout four = make_layout(10, 4, 11, 1.5);
	struct layout six = make_layout(10, 6, 8, 1.5);

	bench_routing("classic_60picks", &classic, 60, 20000);
	bench_routing("classic_10picks", &classic, 10, 20000);
	bench_routing("big_60picks", &big, 60, 5000);
	bench_routing("twoblock_60picks", &two, 60, 5000);
	bench_routing("threeblock_60picks", &three, 60, 1000);
	bench_routing("fourblock_60picks", &four, 60, 200);
	bench_routing("sixblock_60picks", &six, 60, 200);

	bench_batching("classic_uniform", &classic, 1000, 0);
	bench_batching("classic_abc", &classic, 1000, 1);
	bench_batching("classic_uniform", &classic, 10000, 0);
	bench_one_call("classic_uniform", &classic, 10000);
	bench_batching("big_uniform", &big, 10000, 0);
	bench_batching("twoblock_uniform", &two, 10000, 0);
	if (!quick) {
		bench_batching("classic_uniform", &classic, 100000, 0);
		bench_batching("big_uniform", &big, 100000, 0);
	}
	printf("bench_route_total_time: %.1f s\n", now() - t0);
	return 0;
}
