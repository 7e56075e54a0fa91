/*
 * test_batch.c - order batching: capacity, completeness, determinism, and the travel it saves
 * on the classic layout of the order-picking literature.
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

#include "batch.h"
#include "layout.h"
#include "route.h"
#include "pickgen.h"

#define EPS 1e-6

static struct layout make_layout(int aisles, int blocks, int slots, int depot_aisle, double offset)
{
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = aisles;
	p.blocks = blocks;
	p.slots_per_side = slots;
	p.depot_aisle = depot_aisle;
	p.depot_offset = offset;
	struct layout l;
	assert_int_equal(layout_init(&l, &p, NULL), 0);
	return l;
}

static struct batch_plan *plan(const struct layout *l, const struct pg_wave *w, uint32_t totes,
                               uint32_t units, int method)
{
	struct batch_cart cart = { totes, units };
	struct batch_options opt = BATCH_OPTIONS_INIT;
	opt.method = method;
	struct batch_plan *pl = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = batch_plan_new(l, w->orders, w->n, &cart, &opt, &pl, &err);
	if (rc)
		fail_msg("batch_plan_new: %s (%s)", wms_errname(rc), err.message);
	return pl;
}

/*
 * Every order in exactly one batch, no cart over capacity unless a lone oversize order, every
 * line of a batch's orders exactly once among its stops, stops at one point consecutive, and
 * the reported length the walk of the stops.
 */
static void assert_plan_is_sound(const struct layout *l, const struct pg_wave *w,
                                 const struct batch_plan *pl, uint32_t totes, uint32_t units)
{
	assert_int_equal(pl->norders, w->n);
	uint8_t *seen = calloc(w->n ? w->n : 1, 1);
	struct layout_point *pts = malloc(pl->nstops * sizeof(*pts) + 1);
	assert_non_null(seen);
	assert_non_null(pts);
	size_t lines = 0, oversize = 0;
	double total = 0;
	for (size_t i = 0; i < w->n; i++)
		lines += w->orders[i].nlines;
	assert_int_equal(pl->nstops, lines);
	for (size_t b = 0; b < pl->nbatches; b++) {
		const struct batch *bt = &pl->batches[b];
		uint32_t u = 0;
		size_t blines = 0;
		for (size_t q = bt->first_order; q < bt->first_order + bt->norders; q++) {
			uint32_t o = pl->orders[q];
			assert_true(o < w->n);
			assert_int_equal(seen[o], 0);
			seen[o] = 1;
			u += w->orders[o].units;
			blines += w->orders[o].nlines;
			if (q > bt->first_order)
				assert_true(pl->orders[q - 1] < o);
		}
		assert_int_equal(bt->units, u);
		if (bt->oversize) {
			assert_int_equal(bt->norders, 1);
			assert_true(u > units);
			oversize++;
		} else {
			assert_true(bt->norders <= totes);
			assert_true(u <= units);
		}
		/* stops: each line of the batch's orders once */
		assert_int_equal(bt->nstops, blines);
		for (size_t s = bt->first_stop; s < bt->first_stop + bt->nstops; s++) {
			const struct batch_stop *st = &pl->stops[s];
			int member = 0;
			for (size_t q = bt->first_order; q < bt->first_order + bt->norders; q++)
				member |= pl->orders[q] == st->order;
			assert_true(member);
			assert_true(st->line < w->orders[st->order].nlines);
			for (size_t t = bt->first_stop; t < s; t++)
				assert_false(pl->stops[t].order == st->order &&
				             pl->stops[t].line == st->line);
			pts[s - bt->first_stop] = w->orders[st->order].lines[st->line].at;
		}
		for (size_t i = 0; i < bt->nstops; i++)
			for (size_t j = i + 2; j < bt->nstops; j++)
				if (memcmp(&pts[i], &pts[j], sizeof(pts[i])) == 0)
					assert_memory_equal(&pts[j - 1], &pts[i], sizeof(pts[i]));
		double walk = route_order_length(l, pts, NULL, bt->nstops);
		assert_true(fabs(walk - bt->length) < EPS);
		assert_true(bt->length <= bt->sshape_length + EPS);
		/* a tour through all is never longer than separate tours, when tours are exact */
		if (bt->exact)
			assert_true(bt->length <= bt->single_length + EPS);
		/* batches are listed by their smallest order */
		if (b > 0)
			assert_true(pl->orders[pl->batches[b - 1].first_order] <
			            pl->orders[bt->first_order]);
		total += bt->length;
	}
	assert_int_equal(pl->oversize, oversize);
	assert_true(fabs(total - pl->length) < EPS);
	free(seen);
	free(pts);
}

static void test_every_order_rides_in_exactly_one_batch_and_no_cart_is_overfilled(void **st)
{
	(void)st;
	static const struct {
		int aisles, blocks, slots, depot;
		double offset;
		uint32_t totes, units;
	} cases[] = {
		{ 10, 1, 45, 1, 1.5, 8, 45 }, { 10, 1, 45, 5, 0, 3, 45 },
		{ 7, 1, 20, 4, 1, 2, 30 },    { 6, 2, 15, 1, 0, 4, 40 },
		{ 5, 3, 8, 3, 2, 6, 60 },     { 10, 1, 45, 1, 0, 1, 45 },
	};
	struct pg_rng r;
	pg_seed(&r, 99);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct layout l = make_layout(cases[c].aisles, cases[c].blocks, cases[c].slots,
		                              cases[c].depot, cases[c].offset);
		struct pg_wave w;
		/* up to 60 units: some orders do not fit on a cart at all */
		size_t n = l.p.blocks > 1 ? 60 : 200;
		assert_int_equal(pg_wave_make(&w, &r, &l, NULL, n, 1, 60, 6), 0);
		for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
			struct batch_plan *pl = plan(&l, &w, cases[c].totes, cases[c].units, m);
			assert_plan_is_sound(&l, &w, pl, cases[c].totes, cases[c].units);
			if (m == BATCH_SINGLE) {
				assert_int_equal(pl->nbatches, n);
				assert_true(fabs(pl->length - pl->single_length) < EPS);
			}
			batch_plan_free(pl);
		}
		pg_wave_release(&w);
	}
}

static void
test_savings_halves_travel_against_single_orders_and_beats_fcfs_by_fifteen_percent(void **st)
{
	(void)st;
	/* the classic layout: 10 aisles of 2 x 45 slots, depot at the front of aisle 1 */
	struct layout l = make_layout(10, 1, 45, 1, 1.5);
	struct pg_abc abc;
	assert_int_equal(pg_abc_init(&abc, &l), 0);
	double sum[3] = { 0, 0, 0 };
	for (int seed = 1; seed <= 6; seed++) {
		struct pg_rng r;
		pg_seed(&r, (uint64_t)seed);
		struct pg_wave w;
		/* orders of 5-25 units; even seeds draw locations with ABC skew */
		assert_int_equal(pg_wave_make(&w, &r, &l, seed % 2 ? NULL : &abc, 400, 5, 25, 5),
		                 0);
		double len[3];
		for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
			struct batch_plan *pl = plan(&l, &w, 8, 45, m);
			assert_plan_is_sound(&l, &w, pl, 8, 45);
			assert_int_equal(pl->oversize, 0);
			len[m] = pl->length;
			sum[m] += len[m];
			batch_plan_free(pl);
		}
		double vs_single = 1 - len[BATCH_SAVINGS] / len[BATCH_SINGLE];
		double vs_fcfs = 1 - len[BATCH_SAVINGS] / len[BATCH_FCFS];
		print_message(
		    "seed %d: savings %.0f m, fcfs %.0f m, single %.0f m: -%.1f%% vs single, "
		    "-%.1f%% vs fcfs\n",
		    seed, len[0], len[1], len[2], 100 * vs_single, 100 * vs_fcfs);
		assert_true(vs_single >= 0.50);
		assert_true(vs_fcfs >= 0.15);
		pg_wave_release(&w);
	}
	assert_true(1 - sum[0] / sum[2] >= 0.50);
	assert_true(1 - sum[0] / sum[1] >= 0.15);
	pg_abc_release(&abc);
}

static void assert_plans_equal(const struct batch_plan *a, const struct batch_plan *b)
{
	assert_int_equal(a->nbatches, b->nbatches);
	assert_int_equal(a->norders, b->norders);
	assert_int_equal(a->nstops, b->nstops);
	assert_memory_equal(a->orders, b->orders, a->norders * sizeof(*a->orders));
	assert_memory_equal(a->stops, b->stops, a->nstops * sizeof(*a->stops));
	for (size_t i = 0; i < a->nbatches; i++) {
		const struct batch *x = &a->batches[i], *y = &b->batches[i];
		assert_int_equal(x->first_order, y->first_order);
		assert_int_equal(x->norders, y->norders);
		assert_int_equal(x->first_stop, y->first_stop);
		assert_int_equal(x->nstops, y->nstops);
		assert_int_equal(x->units, y->units);
		assert_memory_equal(&x->length, &y->length, sizeof(double));
		assert_memory_equal(&x->sshape_length, &y->sshape_length, sizeof(double));
		assert_memory_equal(&x->single_length, &y->single_length, sizeof(double));
		assert_int_equal(x->oversize, y->oversize);
	}
	assert_memory_equal(&a->length, &b->length, sizeof(double));
}

static void test_the_same_wave_gives_the_same_plan_byte_for_byte(void **st)
{
	(void)st;
	struct layout l = make_layout(10, 1, 45, 5, 1.5);
	struct pg_rng r;
	pg_seed(&r, 5);
	struct pg_wave w;
	assert_int_equal(pg_wave_make(&w, &r, &l, NULL, 300, 1, 50, 4), 0);
	for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
		struct batch_plan *a = plan(&l, &w, 6, 45, m), *b = plan(&l, &w, 6, 45, m);
		assert_plans_equal(a, b);
		batch_plan_free(a);
		batch_plan_free(b);
	}
	/* a copy of the input in other memory plans the same */
	struct pg_wave copy = w;
	copy.orders = malloc(w.n * sizeof(*copy.orders));
	assert_non_null(copy.orders);
	memcpy(copy.orders, w.orders, w.n * sizeof(*copy.orders));
	struct batch_plan *a = plan(&l, &w, 6, 45, BATCH_SAVINGS);
	struct batch_plan *b = plan(&l, &copy, 6, 45, BATCH_SAVINGS);
	assert_plans_equal(a, b);
	batch_plan_free(a);
	batch_plan_free(b);
	free(copy.orders);
	pg_wave_release(&w);
}

static void test_an_order_larger_than_a_cart_rides_alone_and_is_flagged(void **st)
{
	(void)st;
	struct layout l = make_layout(10, 1, 45, 1, 0);
	struct batch_line lines[] = { { { 1, 0, 3 }, 30 },
		                      { { 2, 0, 5 }, 30 },
		                      { { 1, 0, 4 }, 5 },
		                      { { 3, 0, 7 }, 2 },
		                      { { 2, 0, 6 }, 1 } };
	struct batch_order orders[] = {
		{ "small-1", 5, &lines[2], 1 },
		{ "huge", 60, &lines[0], 2 },
		{ "small-2", 2, &lines[3], 1 },
		{ "small-3", 1, &lines[4], 1 },
	};
	struct pg_wave w = { orders, lines, NULL, 4 };
	for (int m = BATCH_SAVINGS; m <= BATCH_SINGLE; m++) {
		struct batch_plan *pl = plan(&l, &w, 8, 45, m);
		assert_plan_is_sound(&l, &w, pl, 8, 45);
		assert_int_equal(pl->oversize, 1);
		for (size_t b = 0; b < pl->nbatches; b++) {
			const struct batch *bt = &pl->batches[b];
			int huge = pl->orders[bt->first_order] == 1;
			assert_int_equal(bt->oversize, huge);
			if (huge)
				assert_int_equal(bt->norders, 1);
		}
		if (m != BATCH_SINGLE)
			assert_int_equal(pl->nbatches, 2); /* the three small ones share a cart */
		batch_plan_free(pl);
	}
}

static void test_multi_block_batches_are_never_longer_than_their_sshape_walk(void **st)
{
	(void)st;
	struct layout l = make_layout(8, 3, 12, 4, 1);
	struct pg_rng r;
	pg_seed(&r, 3);
	struct pg_wave w;
	assert_int_equal(pg_wave_make(&w, &r, &l, NULL, 80, 3, 20, 4), 0);
	struct batch_plan *sv = plan(&l, &w, 5, 45, BATCH_SAVINGS);
	struct batch_plan *ff = plan(&l, &w, 5, 45, BATCH_FCFS);
	assert_plan_is_sound(&l, &w, sv, 5, 45); /* checks length <= sshape per batch */
	assert_true(sv->length < ff->length);
	assert_true(sv->length < sv->single_length);
	batch_plan_free(sv);
	batch_plan_free(ff);
	pg_wave_release(&w);
}

static void test_an_empty_wave_is_an_empty_plan(void **st)
{
	(void)st;
	struct layout l = make_layout(10, 1, 45, 1, 0);
	struct batch_cart cart = { 8, 45 };
	struct batch_plan *pl = NULL;
	assert_int_equal(batch_plan_new(&l, NULL, 0, &cart, NULL, &pl, NULL), 0);
	assert_non_null(pl);
	assert_int_equal(pl->nbatches, 0);
	assert_true(pl->length == 0);
	batch_plan_free(pl);
	batch_plan_free(NULL);
}

static void test_bad_input_is_refused_with_the_field_and_value_named(void **st)
{
	(void)st;
	struct layout l = make_layout(10, 1, 45, 1, 0);
	struct batch_line good[] = { { { 1, 0, 3 }, 2 } };
	struct batch_line zero_qty[] = { { { 1, 0, 3 }, 0 } };
	struct batch_line outside[] = { { { 1, 0, 3 }, 1 }, { { 11, 0, 3 }, 1 } };
	struct batch_order orders[2] = { { "a", 2, good, 1 }, { "b", 2, good, 1 } };
	struct batch_cart cart = { 8, 45 };
	struct batch_options opt = BATCH_OPTIONS_INIT;
	struct batch_plan *pl = (struct batch_plan *)&cart; /* must stay untouched */
	struct {
		const char *field, *value;
		int code;
	} want[] = {
		{ "orders[1].units", "0", WMS_ERANGE },
		{ "orders[1].lines", "0", WMS_ERANGE },
		{ "orders[1].lines[0].qty", "0", WMS_ERANGE },
		{ "orders[1].lines[1].at", "aisle 11", WMS_ELOCATION },
		{ "cart.max_orders", "0", WMS_ERANGE },
		{ "cart.max_orders", "101", WMS_ERANGE },
		{ "cart.max_units", "0", WMS_ERANGE },
		{ "method", "7", WMS_EVALUE },
		{ "orders[1].units", "2000000", WMS_ERANGE },
		{ "cart.max_units", "2000000", WMS_ERANGE },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct batch_order o[2] = { orders[0], orders[1] };
		struct batch_cart c = cart;
		struct batch_options op = opt;
		switch (i) {
		case 0:
			o[1].units = 0;
			break;
		case 1:
			o[1].nlines = 0;
			break;
		case 2:
			o[1].lines = zero_qty;
			break;
		case 3:
			o[1].lines = outside;
			o[1].nlines = 2;
			break;
		case 4:
			c.max_orders = 0;
			break;
		case 5:
			c.max_orders = 101;
			break;
		case 6:
			c.max_units = 0;
			break;
		case 7:
			op.method = 7;
			break;
		case 8:
			o[1].units = 2000000;
			break;
		default:
			c.max_units = 2000000;
			break;
		}
		struct wms_error err = WMS_ERROR_INIT;
		assert_int_equal(batch_plan_new(&l, o, 2, &c, &op, &pl, &err), want[i].code);
		assert_string_equal(err.field, want[i].field);
		if (strstr(err.message, want[i].value) == NULL)
			fail_msg("message '%s' does not name '%s'", err.message, want[i].value);
		assert_ptr_equal(pl, (struct batch_plan *)&cart);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_every_order_rides_in_exactly_one_batch_and_no_cart_is_overfilled),
		cmocka_unit_test(
		    test_savings_halves_travel_against_single_orders_and_beats_fcfs_by_fifteen_percent),
		cmocka_unit_test(test_the_same_wave_gives_the_same_plan_byte_for_byte),
		cmocka_unit_test(test_an_order_larger_than_a_cart_rides_alone_and_is_flagged),
		cmocka_unit_test(test_multi_block_batches_are_never_longer_than_their_sshape_walk),
		cmocka_unit_test(test_an_empty_wave_is_an_empty_plan),
		cmocka_unit_test(test_bad_input_is_refused_with_the_field_and_value_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
