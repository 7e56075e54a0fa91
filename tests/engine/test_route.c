/*
 * test_route.c - pick tours: the exact router against a brute-force optimum on thousands of
 * random instances, the heuristics' bounds, orders that are true tours, determinism, errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout.h"
#include "route.h"
#include "pickgen.h"

#define EPS     1e-9
#define MAXPICK 16

/* Held-Karp over the metric closure of the distinct points and the depot. */
static double brute_force(const struct layout *l, const struct layout_point *picks, size_t n)
{
	struct layout_point pts[MAXPICK];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m && memcmp(&pts[j], &picks[i], sizeof(pts[j])) != 0)
			j++;
		if (j == m)
			pts[m++] = picks[i];
	}
	if (m == 0)
		return 0;
	assert_true(m <= 10);
	struct layout_point depot = layout_depot(l);
	double d0[10], d[10][10];
	for (size_t i = 0; i < m; i++) {
		d0[i] = layout_distance(l, &depot, &pts[i]);
		for (size_t j = 0; j < m; j++)
			d[i][j] = layout_distance(l, &pts[i], &pts[j]);
	}
	size_t full = (size_t)1 << m;
	double *dp = malloc(full * m * sizeof(*dp));
	assert_non_null(dp);
	for (size_t s = 0; s < full * m; s++)
		dp[s] = HUGE_VAL;
	for (size_t i = 0; i < m; i++)
		dp[((size_t)1 << i) * m + i] = d0[i];
	for (size_t s = 1; s < full; s++)
		for (size_t i = 0; i < m; i++) {
			double v = dp[s * m + i];
			if (!(s >> i & 1) || v == HUGE_VAL)
				continue;
			for (size_t j = 0; j < m; j++) {
				if (s >> j & 1)
					continue;
				size_t t = s | (size_t)1 << j;
				if (v + d[i][j] < dp[t * m + j])
					dp[t * m + j] = v + d[i][j];
			}
		}
	double best = HUGE_VAL;
	for (size_t i = 0; i < m; i++)
		if (dp[(full - 1) * m + i] + d0[i] < best)
			best = dp[(full - 1) * m + i] + d0[i];
	free(dp);
	return best;
}

/* ORDER is a permutation, and picks at one point are consecutive and visited once. */
static void assert_is_tour(const struct layout_point *picks, size_t n, const size_t *order)
{
	int seen[MAXPICK * 8] = { 0 };
	for (size_t i = 0; i < n; i++) {
		assert_true(order[i] < n);
		assert_int_equal(seen[order[i]], 0);
		seen[order[i]] = 1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 2; j < n; j++)
			if (memcmp(&picks[order[i]], &picks[order[j]], sizeof(picks[0])) == 0)
				for (size_t k = i + 1; k < j; k++)
					assert_memory_equal(&picks[order[k]], &picks[order[i]],
					                    sizeof(picks[0]));
}

static struct layout make_layout(int aisles, int blocks, int slots, int depot_aisle, double offset,
                                 double shift)
{
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = aisles;
	p.blocks = blocks;
	p.slots_per_side = slots;
	p.depot_aisle = depot_aisle;
	p.depot_offset = offset;
	p.depot_shift = shift;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	return l;
}

/* N picks over at most MAXD distinct points (so repeats occur). */
static size_t random_picks(struct pg_rng *r, const struct layout *l, struct layout_point *picks,
                           size_t maxd)
{
	struct layout_point pool[10];
	size_t d = 1 + pg_below(r, (uint32_t)maxd);
	for (size_t i = 0; i < d; i++)
		pool[i] = pg_point(r, l);
	size_t n = d + pg_below(r, 4);
	for (size_t i = 0; i < n; i++)
		picks[i] = i < d ? pool[i] : pool[pg_below(r, (uint32_t)d)];
	/* shuffle, so that the input order says nothing */
	for (size_t i = n; i > 1; i--) {
		size_t j = pg_below(r, (uint32_t)i);
		struct layout_point t = picks[i - 1];
		picks[i - 1] = picks[j];
		picks[j] = t;
	}
	return n;
}

/* The single-block layouts the router must handle: odd and even aisle counts, the depot at the
 * left end, in the middle, at the right end, between two aisles, in front of the network. */
static const struct {
	int aisles, slots, depot_aisle;
	double offset, shift;
} single_layouts[] = {
	{ 1, 6, 1, 0, 0 },   { 2, 5, 1, 0, 0 },     { 3, 8, 2, 1.5, 0 },  { 4, 6, 1, 0, 0 },
	{ 5, 7, 3, 0, 0 },   { 6, 6, 6, 2, 0 },     { 7, 5, 4, 0, 2.5 },  { 8, 9, 1, 1.5, -3.5 },
	{ 9, 4, 5, 0, 5.0 }, { 10, 45, 1, 1.5, 0 }, { 10, 45, 5, 0, 0 },  { 11, 6, 1, 0, 12.5 },
	{ 6, 6, 3, 0.5, 1 }, { 12, 3, 12, 1, 4 },   { 5, 10, 1, 0, -20 }, { 4, 5, 4, 1, 30 },
};

static void test_optimal_route_equals_brute_force_on_thousands_of_single_block_instances(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct pg_rng r;
	pg_seed(&r, 1983);
	int checked = 0;
	for (size_t li = 0; li < sizeof(single_layouts) / sizeof(single_layouts[0]); li++) {
		struct layout l =
		    make_layout(single_layouts[li].aisles, 1, single_layouts[li].slots,
		                single_layouts[li].depot_aisle, single_layouts[li].offset,
		                single_layouts[li].shift);
		for (int it = 0; it < 400; it++) {
			struct layout_point picks[MAXPICK];
			size_t order[MAXPICK];
			size_t n = random_picks(&r, &l, picks, 9);
			struct route_result res;
			assert_int_equal(route_optimal(ws, &l, picks, n, order, &res), 0);
			double bf = brute_force(&l, picks, n);
			if (fabs(res.length - bf) > EPS)
				fail_msg("layout %zu instance %d: router %.12f, brute force %.12f",
				         li, it, res.length, bf);
			assert_true(res.exact);
			assert_is_tour(picks, n, order);
			assert_true(fabs(route_order_length(&l, picks, order, n) - res.length) <
			            EPS);
			/* Without an order the length comes from the DP without back pointers. */
			struct route_result bare;
			assert_int_equal(route_optimal(ws, &l, picks, n, NULL, &bare), 0);
			assert_true(bare.length == res.length);
			checked++;
		}
	}
	assert_true(checked >= 6400);
	route_ws_free(ws);
}

static void test_sshape_and_largest_gap_are_never_shorter_than_optimal(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct pg_rng r;
	pg_seed(&r, 7);
	for (size_t li = 0; li < sizeof(single_layouts) / sizeof(single_layouts[0]); li++) {
		struct layout l =
		    make_layout(single_layouts[li].aisles, 1, single_layouts[li].slots,
		                single_layouts[li].depot_aisle, single_layouts[li].offset,
		                single_layouts[li].shift);
		for (int it = 0; it < 200; it++) {
			struct layout_point picks[MAXPICK];
			size_t order[MAXPICK];
			size_t n = random_picks(&r, &l, picks, 9);
			struct route_result opt, ss, lg;
			assert_int_equal(route_optimal(ws, &l, picks, n, NULL, &opt), 0);
			assert_int_equal(route_sshape(ws, &l, picks, n, order, &ss), 0);
			assert_is_tour(picks, n, order);
			/* the walk is a closed walk through the order's stops, so it is at least
			 * the order's legs, and no tour beats the optimum */
			assert_true(route_order_length(&l, picks, order, n) <= ss.length + EPS);
			assert_true(ss.length >= opt.length - EPS);
			assert_int_equal(route_largest_gap(ws, &l, picks, n, order, &lg), 0);
			assert_is_tour(picks, n, order);
			assert_true(route_order_length(&l, picks, order, n) <= lg.length + EPS);
			assert_true(lg.length >= opt.length - EPS);
		}
	}
	route_ws_free(ws);
}

static void test_multi_block_route_equals_brute_force_and_never_exceeds_sshape(void **st)
{
	(void)st;
	int exact = 0;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct pg_rng r;
	pg_seed(&r, 2001);
	static const struct {
		int aisles, blocks, slots, depot_aisle;
		double offset, shift;
	} layouts[] = {
		{ 4, 2, 5, 1, 0, 0 }, { 5, 2, 6, 3, 1.5, 0 }, { 7, 3, 4, 1, 0, 2.5 },
		{ 6, 4, 3, 6, 1, 0 }, { 3, 8, 2, 2, 0, 0 },   { 10, 2, 20, 5, 0, -1 },
	};
	for (size_t li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++) {
		struct layout l =
		    make_layout(layouts[li].aisles, layouts[li].blocks, layouts[li].slots,
		                layouts[li].depot_aisle, layouts[li].offset, layouts[li].shift);
		for (int it = 0; it < 300; it++) {
			struct layout_point picks[MAXPICK];
			size_t order[MAXPICK];
			size_t n = random_picks(&r, &l, picks, 9);
			struct route_result opt, ss;
			assert_int_equal(route_optimal(ws, &l, picks, n, order, &opt), 0);
			assert_is_tour(picks, n, order);
			assert_true(fabs(route_order_length(&l, picks, order, n) - opt.length) <
			            EPS);
			assert_int_equal(route_sshape(ws, &l, picks, n, NULL, &ss), 0);
			assert_true(opt.length <= ss.length + EPS);
			double bf = brute_force(&l, picks, n);
			assert_true(opt.length >= bf - EPS);
			if (opt.exact && fabs(opt.length - bf) > EPS)
				fail_msg("layout %zu instance %d: router %.12f, brute force %.12f",
				         li, it, opt.length, bf);
			exact += opt.exact;
			assert_int_equal(opt.exact, layouts[li].blocks <= ROUTE_EXACT_MAX_BLOCKS);
		}
	}
	/* the frontier DP handles up to ROUTE_EXACT_MAX_BLOCKS blocks; 8 blocks are heuristic */
	assert_int_equal(exact, 5 * 300);
	route_ws_free(ws);
}

static void test_same_picks_in_any_input_order_give_the_same_route(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct layout l = make_layout(10, 1, 45, 1, 1.5, 0);
	struct pg_rng r;
	pg_seed(&r, 60);
	struct layout_point picks[60], shuffled[60];
	for (int i = 0; i < 60; i++)
		picks[i] = pg_point(&r, &l);
	size_t o1[60], o2[60];
	struct route_result a, b;
	assert_int_equal(route_optimal(ws, &l, picks, 60, o1, &a), 0);
	assert_int_equal(route_optimal(ws, &l, picks, 60, o2, &b), 0);
	assert_memory_equal(o1, o2, sizeof(o1));
	assert_memory_equal(&a.length, &b.length, sizeof(a.length));
	for (int i = 0; i < 60; i++)
		shuffled[i] = picks[(i * 37) % 60];
	assert_int_equal(route_optimal(ws, &l, shuffled, 60, o2, &b), 0);
	assert_true(fabs(a.length - b.length) < EPS);
	assert_true(fabs(route_order_length(&l, shuffled, o2, 60) - b.length) < EPS);
	route_ws_free(ws);
}

static void test_sixty_pick_routes_are_true_tours_no_longer_than_the_heuristics(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct pg_rng r;
	pg_seed(&r, 6010);
	for (int depot = 1; depot <= 10; depot += 4) {
		struct layout l = make_layout(10, 1, 45, depot, 1.5, 0);
		for (int it = 0; it < 200; it++) {
			struct layout_point picks[60];
			size_t order[60];
			for (int i = 0; i < 60; i++)
				picks[i] = pg_point(&r, &l);
			struct route_result opt, ss, lg;
			assert_int_equal(route_optimal(ws, &l, picks, 60, order, &opt), 0);
			assert_true(fabs(route_order_length(&l, picks, order, 60) - opt.length) <
			            EPS);
			assert_int_equal(route_sshape(ws, &l, picks, 60, NULL, &ss), 0);
			assert_int_equal(route_largest_gap(ws, &l, picks, 60, NULL, &lg), 0);
			assert_true(opt.length <= ss.length + EPS);
			assert_true(opt.length <= lg.length + EPS);
		}
	}
	/* two to four blocks, exact; five, heuristic */
	for (int blocks = 2; blocks <= 5; blocks++) {
		struct layout l = make_layout(10, blocks, 45 / blocks, 1 + blocks, 1, 0);
		for (int it = 0; it < 20; it++) {
			struct layout_point picks[60];
			size_t order[60];
			for (int i = 0; i < 60; i++)
				picks[i] = pg_point(&r, &l);
			struct route_result opt, ss;
			assert_int_equal(route_optimal(ws, &l, picks, 60, order, &opt), 0);
			assert_int_equal(opt.exact, blocks <= ROUTE_EXACT_MAX_BLOCKS);
			assert_is_tour(picks, 60, order);
			assert_true(fabs(route_order_length(&l, picks, order, 60) - opt.length) <
			            EPS);
			assert_int_equal(route_sshape(ws, &l, picks, 60, NULL, &ss), 0);
			assert_true(opt.length <= ss.length + EPS);
		}
	}
	route_ws_free(ws);
}

static void test_optimal_length_of_sorted_keys_equals_the_routed_length(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct pg_rng r;
	pg_seed(&r, 11);
	struct layout l1 = make_layout(10, 1, 45, 1, 1.5, 0), l2 = make_layout(8, 3, 10, 4, 0, 0);
	const struct layout *ls[] = { &l1, &l2 };
	for (int li = 0; li < 2; li++) {
		for (int it = 0; it < 100; it++) {
			struct layout_point picks[30];
			uint32_t keys[30];
			for (int i = 0; i < 30; i++)
				picks[i] = pg_point(&r, ls[li]);
			/* With an order: the programme with back pointers, which the
			 * length-only path must match to the bit. */
			struct route_result res;
			size_t order[30];
			assert_int_equal(route_optimal(ws, ls[li], picks, 30, order, &res), 0);
			/* sorted distinct keys */
			size_t m = 0;
			for (int i = 0; i < 30; i++)
				keys[m++] = layout_point_key(&picks[i]);
			for (size_t i = 1; i < m; i++)
				for (size_t j = i; j > 0 && keys[j - 1] > keys[j]; j--) {
					uint32_t t = keys[j];
					keys[j] = keys[j - 1];
					keys[j - 1] = t;
				}
			size_t u = 0;
			for (size_t i = 0; i < m; i++)
				if (u == 0 || keys[u - 1] != keys[i])
					keys[u++] = keys[i];
			double len;
			assert_int_equal(route_optimal_length(ws, ls[li], keys, u, &len), 0);
			assert_true(fabs(len - res.length) < EPS);
			if (ls[li]->p.blocks == 1)
				assert_true(len == res.length);
			struct route_result bare;
			assert_int_equal(route_optimal(ws, ls[li], picks, 30, NULL, &bare), 0);
			assert_true(bare.length == res.length);
			assert_int_equal(res.stops, u);
		}
	}
	route_ws_free(ws);
}

static void test_single_pick_route_is_in_and_out_of_its_aisle(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct layout l = make_layout(10, 1, 45, 1, 1.5, 0);
	struct layout_loc loc;
	assert_int_equal(layout_parse_location(&l, "C03-10-1", &loc, NULL, NULL), WMS_ELOCATION);
	assert_int_equal(layout_parse_location(&l, "A03-10-1", &loc, NULL, NULL), 0);
	/* aisle 3 is 10 m right of the depot's aisle; bay 10 is position 5, y = 1 + 4.5 */
	struct route_result res;
	size_t order[1];
	assert_int_equal(route_optimal(ws, &l, &loc.point, 1, order, &res), 0);
	assert_true(fabs(res.length - (2 * 1.5 + 2 * 10 + 2 * 5.5)) < EPS);
	assert_int_equal(route_sshape(ws, &l, &loc.point, 1, order, &res), 0);
	assert_true(fabs(res.length - (2 * 1.5 + 2 * 10 + 2 * 5.5)) < EPS);
	route_ws_free(ws);
}

static void test_sshape_traverses_whole_aisles_and_returns_in_an_odd_last_one(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct layout l = make_layout(10, 1, 45, 1, 0, 0); /* block_len 47 */
	/* aisles 1, 2, 4 (x 0, 5, 15): traverse 1 and 2, in and out of 4 up to position 10 */
	struct layout_point picks[] = { { 1, 0, 30 }, { 2, 0, 3 }, { 4, 0, 10 }, { 4, 0, 2 } };
	size_t order[4];
	struct route_result res;
	assert_int_equal(route_sshape(ws, &l, picks, 4, order, &res), 0);
	assert_true(fabs(res.length - (47 + 5 + 47 + 10 + 2 * 10.5 + 15)) < EPS);
	size_t want[] = { 0, 1, 3, 2 };
	assert_memory_equal(order, want, sizeof(want));
	route_ws_free(ws);
}

static void test_no_picks_is_an_empty_tour(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct layout l = make_layout(10, 2, 10, 3, 2, 0);
	struct route_result res = { 1, 1, 0 };
	assert_int_equal(route_optimal(ws, &l, NULL, 0, NULL, &res), 0);
	assert_true(res.length == 0 && res.stops == 0);
	assert_int_equal(route_sshape(ws, &l, NULL, 0, NULL, &res), 0);
	assert_true(res.length == 0);
	route_ws_free(ws);
}

static void test_bad_picks_and_bad_methods_are_refused(void **st)
{
	(void)st;
	struct route_ws *ws;
	assert_int_equal(route_ws_new(&ws), 0);
	struct layout l = make_layout(10, 2, 10, 3, 2, 0);
	struct layout_point bad[] = {
		{ 11, 0, 1 }, { 1, 2, 1 }, { 1, 0, 11 }, { 1, 0, 0 }, { 0, 0, 0 }
	};
	struct route_result res = { 42, 0, 0 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(route_optimal(ws, &l, &bad[i], 1, NULL, &res), WMS_ELOCATION);
	assert_true(res.length == 42); /* untouched on error */
	struct layout_point ok = { 1, 0, 1 };
	assert_int_equal(route_largest_gap(ws, &l, &ok, 1, NULL, &res), WMS_EVALUE);
	uint32_t keys[] = { layout_point_key(&ok), layout_point_key(&ok) };
	double len;
	assert_int_equal(route_optimal_length(ws, &l, keys, 2, &len), WMS_EVALUE);
	route_ws_free(ws);
	route_ws_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_optimal_route_equals_brute_force_on_thousands_of_single_block_instances),
		cmocka_unit_test(test_sshape_and_largest_gap_are_never_shorter_than_optimal),
		cmocka_unit_test(
		    test_multi_block_route_equals_brute_force_and_never_exceeds_sshape),
		cmocka_unit_test(test_same_picks_in_any_input_order_give_the_same_route),
		cmocka_unit_test(
		    test_sixty_pick_routes_are_true_tours_no_longer_than_the_heuristics),
		cmocka_unit_test(test_optimal_length_of_sorted_keys_equals_the_routed_length),
		cmocka_unit_test(test_single_pick_route_is_in_and_out_of_its_aisle),
		cmocka_unit_test(test_sshape_traverses_whole_aisles_and_returns_in_an_odd_last_one),
		cmocka_unit_test(test_no_picks_is_an_empty_tour),
		cmocka_unit_test(test_bad_picks_and_bad_methods_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
