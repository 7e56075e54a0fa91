/*
 * batch.h - order batching: which orders of a wave share a picker's cart (one tote per order),
 * and the walking order of each cart's stops.
 *
 * Methods (enum batch_method):
 *   BATCH_SAVINGS  Clarke-Wright savings on exact route lengths, saving(A,B) = d(A) + d(B) -
 *                  d(A u B), merged greedily from the largest saving while the cart has room;
 *                  candidate partners are each order's nearest neighbours by a cheap proxy
 *                  (shared sub-aisles, overlap of the walked x-range). Then local improvement:
 *                  an order moves to a neighbour's batch, or swaps with a neighbour, whenever the
 *                  total route length drops and both carts keep within capacity.
 *   BATCH_FCFS     orders in the given sequence fill one cart after another (next fit).
 *   BATCH_SINGLE   one order per trip.
 * Every batch is then routed exactly (route_optimal) and reported with the S-shape length of
 * the same batch and the sum of its orders' own optimal routes, for the operator's figures.
 *
 * Capacity is never exceeded. An order with more units than a cart holds goes alone on a cart
 * and is flagged (batch.oversize, plan->oversize counts them); it is a fact for the operator,
 * not an error.
 *
 * Determinism: the same input (same orders in the same sequence) gives the same plan byte for
 * byte: every choice has a stable tie-break on order indices; nothing depends on addresses,
 * time or unseeded randomness.
 *
 * Threading: batch_plan_new is pure and reentrant; plans are immutable once returned.
 * Ownership: the caller owns ORDERS (borrowed for the call only); the plan owns its arrays and
 * is released with batch_plan_free. Order ids are not copied: batch_stop refers to orders and
 * lines by index.
 * Errors: WMS_ERANGE / WMS_EVALUE / WMS_ELOCATION for bad input with a wms_error naming the
 * field ("orders[3].lines[1].qty") and the value; WMS_ENOMEM.
 */
#ifndef WMS_ENGINE_BATCH_H
#define WMS_ENGINE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "wms/errors.h"

#define BATCH_MAX_ORDERS     1000000 /* orders in one call */
#define BATCH_MAX_LINES      1000    /* lines of one order */
#define BATCH_MAX_CART_TOTES 100     /* cart.max_orders */
#define BATCH_MAX_UNITS      1000000 /* an order's units and a cart's max_units */

struct batch_line {
	struct layout_point at; /* the pick point (layout_parse_location's loc.point) */
	uint32_t qty;           /* units picked there, >= 1 */
};

struct batch_order {
	const char *id;                 /* borrowed, may be NULL; not used for decisions */
	uint32_t units;                 /* room it takes on the cart, 1..BATCH_MAX_UNITS */
	const struct batch_line *lines; /* borrowed */
	size_t nlines;                  /* 1..BATCH_MAX_LINES */
};

struct batch_cart {
	uint32_t max_orders; /* totes on the cart, 1..BATCH_MAX_CART_TOTES */
	uint32_t max_units;  /* 1..BATCH_MAX_UNITS */
};

enum batch_method {
	BATCH_SAVINGS = 0,
	BATCH_FCFS = 1,
	BATCH_SINGLE = 2,
};

struct batch_options {
	int method;     /* enum batch_method */
	int neighbours; /* savings: candidate partners per order; 0 = default (16) */
	int passes;     /* savings: local-improvement passes; -1 = default (4), 0 = none */
	int compare;    /* fill sshape_length and single_length (costs two more routes a batch) */
};
#define BATCH_OPTIONS_INIT                                                                         \
	{                                                                                          \
		BATCH_SAVINGS, 0, -1, 1                                                            \
	}

/* One stop of a cart's walk: a line of an order, by index into the caller's arrays. */
struct batch_stop {
	uint32_t order;
	uint32_t line;
};

struct batch {
	size_t first_order; /* plan->orders[first_order .. first_order+norders): tote order */
	size_t norders;
	size_t first_stop; /* plan->stops[first_stop .. first_stop+nstops): walking order */
	size_t nstops;
	uint32_t units;       /* sum of the orders' units */
	double length;        /* metres of the exact route (route_optimal) */
	double sshape_length; /* metres of the S-shape route of the same batch (if compare) */
	double single_length; /* metres if each order had its own trip (if compare) */
	int exact;            /* length proven minimal (single-block layouts) */
	int oversize;         /* a lone order with more units than the cart holds */
};

/*
 * A plan. Batches are listed by their smallest order index; a batch's orders ascend; stops at
 * one pick point are consecutive, by order then line.
 */
struct batch_plan {
	size_t nbatches;
	struct batch *batches;
	size_t norders;
	uint32_t *orders; /* order indices, batch after batch */
	size_t nstops;
	struct batch_stop *stops;
	double length; /* totals over the batches */
	double sshape_length;
	double single_length;
	size_t oversize; /* orders flagged oversize */
};

/*
 * Plans NORDERS orders onto carts of CART with OPT (NULL = BATCH_OPTIONS_INIT) and returns the
 * plan in *OUT. Zero orders give an empty plan. Errors as above, with ERR (may be NULL) filled;
 * *OUT is untouched on error.
 */
int batch_plan_new(const struct layout *layout, const struct batch_order *orders, size_t norders,
                   const struct batch_cart *cart, const struct batch_options *opt,
                   struct batch_plan **out, struct wms_error *err);

/* Releases a plan; NULL is fine. */
void batch_plan_free(struct batch_plan *plan);

#endif
