/*
 * route.h - pick tours: the order in which a picker visits a list of pick points, starting and
 * ending at the depot, and the metres walked.
 *
 * Methods:
 *   route_optimal      the shortest tour, exact up to ROUTE_EXACT_MAX_BLOCKS blocks:
 *                      single-block layouts by the Ratliff-Rosenthal (1983) dynamic programme,
 *                      linear in the number of aisles (~4 us for 60 picks in 10 aisles); 2-4
 *                      blocks by the same idea with a frontier of blocks+1 cross-aisle vertices
 *                      (~15 us for 2 blocks, ~80 us for 3, ~0.5 ms for 4: the classes grow about
 *                      5x per block). Beyond that, a heuristic: both S-shape orders improved by
 *                      2-opt and or-opt on the metric closure, never longer than route_sshape.
 *                      result.exact says which.
 *   route_sshape       the traversal heuristic of the literature (Roodbergen & de Koster 2001
 *                      for several blocks), for comparison figures.
 *   route_largest_gap  the largest-gap heuristic (single-block layouts only).
 *
 * For route_optimal the reported length is the sum of layout_distance over the legs of the
 * returned order (depot, order..., depot): the picker walks shortest paths between stops. For
 * the heuristics it is the length of the walk the heuristic prescribes (whole aisles in
 * S-shape), which can exceed the legs' sum of the same order.
 *
 * Threading: a struct route_ws is scratch for one call at a time; use one per thread. The
 * layout is only read.
 * Ownership: the workspace owns its scratch; it grows on demand to the largest route seen and
 * is reused, so routing in a loop does not allocate once warm. Callers own PICKS and ORDER.
 * Errors: WMS_ENOMEM when the workspace cannot grow; WMS_ELOCATION when a pick is not a pick
 * point of the layout; WMS_ERANGE for more than ROUTE_MAX_PICKS picks; WMS_EVALUE for a method
 * that does not apply to the layout.
 */
#ifndef WMS_ENGINE_ROUTE_H
#define WMS_ENGINE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define ROUTE_MAX_PICKS         100000 /* picks in one tour */
#define ROUTE_EXACT_MAX_BLOCKS  4      /* route_optimal is exact up to this many blocks */
#define ROUTE_PLAN_EXACT_BLOCKS 2      /* route_planning_length is exact up to this many */

/* Opaque scratch; route_ws_new makes one, route_ws_free releases it (NULL is fine). */
struct route_ws;
int route_ws_new(struct route_ws **out);
void route_ws_free(struct route_ws *ws);

struct route_result {
	double length; /* metres, depot to depot; includes 2*depot_offset when anything is picked */
	size_t stops;  /* distinct pick points visited */
	int exact;     /* 1 when length is proven minimal */
};

/*
 * Routes NPICKS picks (pick points, in any order, repeats allowed). When ORDER is not NULL it
 * receives a permutation of 0..npicks-1: the visit order, in which picks at the same point are
 * consecutive (ascending index) and every point is visited once. Writes ORDER and *OUT only on
 * success. Zero picks is a tour of length 0.
 */
int route_optimal(struct route_ws *ws, const struct layout *layout,
                  const struct layout_point *picks, size_t npicks, size_t *order,
                  struct route_result *out);
int route_sshape(struct route_ws *ws, const struct layout *layout, const struct layout_point *picks,
                 size_t npicks, size_t *order, struct route_result *out);
/* WMS_EVALUE on a multi-block layout. */
int route_largest_gap(struct route_ws *ws, const struct layout *layout,
                      const struct layout_point *picks, size_t npicks, size_t *order,
                      struct route_result *out);

/*
 * The length of route_optimal for a set given as strictly ascending point keys
 * (layout_point_key, no depot): the batching inner loop, which keeps its sets sorted and needs
 * no order. Returns 0 with *LENGTH, or the errors above (a key out of order is WMS_EVALUE).
 */
int route_optimal_length(struct route_ws *ws, const struct layout *layout, const uint32_t *keys,
                         size_t nkeys, double *length);

/*
 * As route_optimal_length, but exact only up to ROUTE_PLAN_EXACT_BLOCKS blocks and the
 * heuristic beyond: the length batching compares thousands of candidate batches by, where a
 * 0.5 ms exact route (4 blocks) would make planning a wave take minutes.
 */
int route_planning_length(struct route_ws *ws, const struct layout *layout, const uint32_t *keys,
                          size_t nkeys, double *length);

/*
 * Metres of the closed walk depot -> picks[order[0]] -> ... -> picks[order[n-1]] -> depot along
 * shortest paths (layout_distance); ORDER NULL means 0..n-1. For checking and re-sequencing.
 */
double route_order_length(const struct layout *layout, const struct layout_point *picks,
                          const size_t *order, size_t npicks);

#endif
