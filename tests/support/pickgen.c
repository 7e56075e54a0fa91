/* pickgen.c - deterministic instances for tests and benchmarks (see pickgen.h). */
#include "pickgen.h"

#include <stdio.h>
#include <stdlib.h>

void pg_seed(struct pg_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t pg_next(struct pg_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t pg_below(struct pg_rng *r, uint32_t n)
{
	return (uint32_t)(pg_next(r) % n);
}

double pg_unit(struct pg_rng *r)
{
	return (double)(pg_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

struct layout_point pg_point(struct pg_rng *r, const struct layout *l)
{
	struct layout_point p;
	p.aisle = 1 + (int)pg_below(r, (uint32_t)l->p.aisles);
	p.block = (int)pg_below(r, (uint32_t)l->p.blocks);
	p.position = 1 + (int)pg_below(r, (uint32_t)l->p.slots_per_side);
	return p;
}

struct ranked {
	double d;
	struct layout_point p;
	size_t i;
};

static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

int pg_abc_init(struct pg_abc *abc, const struct layout *l)
{
	size_t n = (size_t)l->p.aisles * (size_t)l->p.blocks * (size_t)l->p.slots_per_side, k = 0;
	struct ranked *r = malloc(n * sizeof(*r));
	abc->rank = malloc(n * sizeof(*abc->rank));
	if (r == NULL || abc->rank == NULL) {
		free(r);
		free(abc->rank);
		abc->rank = NULL;
		return -1;
	}
	struct layout_point depot = layout_depot(l);
	for (int a = 1; a <= l->p.aisles; a++)
		for (int b = 0; b < l->p.blocks; b++)
			for (int p = 1; p <= l->p.slots_per_side; p++) {
				struct layout_point q = { a, b, p };
				r[k].p = q;
				r[k].d = layout_distance(l, &depot, &q);
				r[k].i = k;
				k++;
			}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (size_t i = 0; i < n; i++)
		abc->rank[i] = r[i].p;
	abc->n = n;
	free(r);
	return 0;
}

void pg_abc_release(struct pg_abc *abc)
{
	free(abc->rank);
	abc->rank = NULL;
	abc->n = 0;
}

struct layout_point pg_point_abc(struct pg_rng *r, const struct pg_abc *abc)
{
	uint32_t n = (uint32_t)abc->n, a = n / 5, b = n / 2;
	double u = pg_unit(r);
	uint32_t i;
	if (u < 0.80 && a > 0)
		i = pg_below(r, a);
	else if (u < 0.95 && b > a)
		i = a + pg_below(r, b - a);
	else
		i = b + pg_below(r, n - b);
	return abc->rank[i];
}

int pg_wave_make(struct pg_wave *w, struct pg_rng *r, const struct layout *l,
                 const struct pg_abc *abc, size_t n, uint32_t min_units, uint32_t max_units,
                 uint32_t max_qty)
{
	w->n = n;
	w->orders = calloc(n ? n : 1, sizeof(*w->orders));
	w->lines = calloc(n ? n * max_units : 1, sizeof(*w->lines));
	w->ids = calloc(n ? n : 1, sizeof(*w->ids));
	if (w->orders == NULL || w->lines == NULL || w->ids == NULL) {
		pg_wave_release(w);
		return -1;
	}
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		struct batch_order *o = &w->orders[i];
		snprintf(w->ids[i], sizeof(w->ids[i]), "SO-%zu", i);
		o->id = w->ids[i];
		o->units = min_units + pg_below(r, max_units - min_units + 1);
		o->lines = &w->lines[nl];
		for (uint32_t left = o->units; left > 0;) {
			uint32_t q = 1 + pg_below(r, max_qty);
			q = q < left ? q : left;
			struct batch_line *ln = &w->lines[nl++];
			ln->at = abc ? pg_point_abc(r, abc) : pg_point(r, l);
			ln->qty = q;
			left -= q;
			o->nlines++;
		}
	}
	return 0;
}

void pg_wave_release(struct pg_wave *w)
{
	free(w->orders);
	free(w->lines);
	free(w->ids);
	w->orders = NULL;
	w->lines = NULL;
	w->ids = NULL;
	w->n = 0;
}
