/*
 * pickgen.h - deterministic random pick lists and orders for routing and batching tests and
 * benchmarks. A fixed seed gives the same instance on every machine (splitmix64, no libc rand).
 */
#ifndef WMS_TEST_PICKGEN_H
#define WMS_TEST_PICKGEN_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "layout.h"

struct pg_rng {
	uint64_t s;
};

void pg_seed(struct pg_rng *r, uint64_t seed);
uint64_t pg_next(struct pg_rng *r);
/* Uniform in 0..n-1 (n > 0). */
uint32_t pg_below(struct pg_rng *r, uint32_t n);
/* Uniform in [0, 1). */
double pg_unit(struct pg_rng *r);

/* A uniformly random pick point of LAYOUT. */
struct layout_point pg_point(struct pg_rng *r, const struct layout *layout);

/*
 * ABC skew (class-based storage): the pick points sorted by distance from the depot, the
 * nearest 20% get 80% of the picks, the next 30% get 15%, the rest 5%. pg_abc_init ranks the
 * points once (heap; pg_abc_release frees, NULL-safe fields).
 */
struct pg_abc {
	struct layout_point *rank;
	size_t n;
};
int pg_abc_init(struct pg_abc *abc, const struct layout *layout);
void pg_abc_release(struct pg_abc *abc);
struct layout_point pg_point_abc(struct pg_rng *r, const struct pg_abc *abc);

/*
 * A wave of N orders: each order has units uniform in MIN_UNITS..MAX_UNITS, split into lines
 * of 1..MAX_QTY units at pick points drawn uniformly (ABC NULL) or with ABC skew. Order ids
 * are "SO-<i>". pg_wave_release frees what pg_wave_make allocated.
 */
struct pg_wave {
	struct batch_order *orders;
	struct batch_line *lines;
	char (*ids)[24];
	size_t n;
};
int pg_wave_make(struct pg_wave *w, struct pg_rng *r, const struct layout *layout,
                 const struct pg_abc *abc, size_t n, uint32_t min_units, uint32_t max_units,
                 uint32_t max_qty);
void pg_wave_release(struct pg_wave *w);

#endif
