/*
 * layout.h - the warehouse layout: parallel pick aisles between cross aisles, location codes,
 * and the walking distance between two pick points.
 *
 * Role: the one place that knows the geometry. Routing (route.h) and batching (batch.h) see
 * pick points and ask this module for coordinates and distances; the store and the handlers
 * turn location codes ("A01-17-2", optionally "LOC-A01-17-2") into pick points here.
 *
 * The metric, exactly (LAYOUT.md has the same text for the protocol documentation):
 *   - aisle a (1-based) runs along x = (a-1)*aisle_spacing; block_len = 2*end_gap +
 *     slots_per_side*slot_length; cross aisle j (0..blocks) runs along y = j*block_len, j = 0
 *     being the front one, next to the depot;
 *   - a slot at position p (1..slots_per_side) of block b (0-based, 0 = front) has its pick point
 *     on the aisle centre line at y = b*block_len + end_gap + (p-0.5)*slot_length; both sides
 *     and all levels at that position share the pick point;
 *   - the depot is at (x(depot_aisle) + depot_shift, -depot_offset) and reaches the network
 *     only through the front cross aisle;
 *   - travel follows aisle and cross-aisle centre lines only: two points in different blocks
 *     (the depot counts as block -1) are |dx| + |dy| apart; two points in the same sub-aisle
 *     |dy|; two points of the same block in different aisles |dx| plus the shorter detour via
 *     the block's front or back cross aisle.
 *
 * Threading: everything here is pure; a struct layout is read-only after layout_init and may
 * be shared by any number of threads.
 * Ownership: no heap memory; struct layout is embedded by its owner and needs no release.
 * Errors: WMS_ERANGE / WMS_EVALUE for bad parameters, WMS_EVALUE for a malformed location code,
 * WMS_ELOCATION for a well-formed code outside the layout; each with a wms_error naming the
 * field and the value.
 */
#ifndef WMS_ENGINE_LAYOUT_H
#define WMS_ENGINE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "wms/errors.h"

/* Bounds of the parameters; a layout outside them is refused by layout_validate. */
#define LAYOUT_MAX_AISLES 200
#define LAYOUT_MAX_BLOCKS 8
#define LAYOUT_MAX_SLOTS  500
#define LAYOUT_MAX_LEVELS 20
#define LAYOUT_MAX_LENGTH 1000.0 /* metres: any single length parameter */
#define LAYOUT_CODE_MAX   32     /* bytes for a canonical code and its NUL, "LOC-" excluded */

/*
 * The parameters a warehouse.put carries. Lengths in metres. LAYOUT_PARAMS_INIT is the
 * single-block layout of the order-picking literature (10 aisles of 2 x 45 slots, slot length 1,
 * aisle centres 5 apart, cross-aisle centre 1 from the last slot, depot at the front of aisle 1),
 * so that a struct is valid at once and a test states only what it changes.
 */
struct layout_params {
	int aisles;           /* 1..200 parallel pick aisles */
	int blocks;           /* 1..8; blocks-1 middle cross aisles */
	int slots_per_side;   /* 1..500 slots per aisle side per block */
	int levels;           /* 1..20; levels do not change travel */
	double slot_length;   /* > 0 */
	double aisle_spacing; /* > 0, between aisle centre lines */
	double end_gap;       /* >= 0, last slot of a block to the cross-aisle centre line */
	int depot_aisle;      /* 1..aisles: the depot sits in front of this aisle */
	double depot_offset;  /* >= 0, depot to the front cross-aisle centre line */
	double depot_shift;   /* along the front cross aisle from depot_aisle's centre, any sign */
};
#define LAYOUT_PARAMS_INIT                                                                         \
	{                                                                                          \
		10, 1, 45, 1, 1.0, 5.0, 1.0, 1, 0.0, 0.0                                           \
	}

/* A validated layout and the values derived from it. Read-only after layout_init. */
struct layout {
	struct layout_params p;
	double block_len; /* 2*end_gap + slots_per_side*slot_length */
	double depot_x;   /* x of the depot on the front cross aisle */
	int depot_on;     /* the aisle whose centre line depot_x is on, or 0 between aisles */
	int aisle_digits; /* widths of the canonical code's fields */
	int bay_digits;
	int level_digits;
};

/*
 * A pick point: where a picker stops. aisle 1..aisles, block 0..blocks-1, position
 * 1..slots_per_side; aisle 0 is the depot (block and position then 0). Coordinates are derived
 * from the layout, so a point cannot disagree with it.
 */
struct layout_point {
	int aisle;
	int block;
	int position;
};

enum layout_side {
	LAYOUT_SIDE_LEFT = 0, /* odd bays */
	LAYOUT_SIDE_RIGHT = 1 /* even bays */
};

/* A parsed location: the slot, its pick point and coordinates. */
struct layout_loc {
	struct layout_point point; /* the pick point this slot shares with its neighbours */
	int aisle;                 /* 1-based */
	int block;                 /* 0-based, 0 = front block, letter 'A' */
	int bay;                   /* 1..2*slots_per_side, numbered from the front of the block */
	int side;                  /* enum layout_side */
	int position;              /* (bay+1)/2 */
	int level;                 /* 1..levels */
	double x;                  /* metres, pick point */
	double y;
};

/*
 * Checks PARAMS against the bounds above. Returns 0, or WMS_ERANGE (a value out of bounds) or
 * WMS_EVALUE (a length that is not a finite number) with ERR (may be NULL) naming the field,
 * e.g. "layout.aisles", and the value.
 */
int layout_validate(const struct layout_params *params, struct wms_error *err);

/* Validates PARAMS and fills *LAYOUT. Errors as layout_validate; *LAYOUT untouched on error. */
int layout_init(struct layout *layout, const struct layout_params *params, struct wms_error *err);

/*
 * Parses a location code "<block letter><aisle>-<bay>-<level>", optionally prefixed "LOC-",
 * any zero-padding, either letter case. Fills *OUT and, when CANONICAL is not NULL, the
 * canonical code (without "LOC-"). Returns 0; WMS_EVALUE for a malformed code (or NULL);
 * WMS_ELOCATION for a block, aisle, bay or level outside the layout. ERR (may be NULL) gets
 * field "location" and a message quoting the code; callers may overwrite the field path.
 */
int layout_parse_location(const struct layout *layout, const char *code, struct layout_loc *out,
                          char canonical[LAYOUT_CODE_MAX], struct wms_error *err);

/*
 * Writes the canonical code of a slot into BUF. BLOCK is 0-based. Returns 0 or WMS_ELOCATION
 * when a coordinate is outside the layout (BUF untouched).
 */
int layout_location_code(const struct layout *layout, int aisle, int block, int bay, int level,
                         char buf[LAYOUT_CODE_MAX]);

/* Number of slots (aisles * blocks * 2*slots_per_side * levels) into *OUT. Returns 0. */
int layout_location_count(const struct layout *layout, size_t *out);

/*
 * The INDEX-th slot in canonical-code order (block, aisle, bay, level), for enumerating every
 * location. Fills *OUT and CODE (may be NULL). Returns 0 or WMS_ERANGE past the count.
 */
int layout_location_at(const struct layout *layout, size_t index, struct layout_loc *out,
                       char code[LAYOUT_CODE_MAX]);

/* The depot as a point (aisle 0). */
struct layout_point layout_depot(const struct layout *layout);

/* 1 when P is the depot or a pick point of LAYOUT, else 0. */
int layout_point_valid(const struct layout *layout, const struct layout_point *p);

/* Coordinates of a valid point (the depot included) into *X and *Y. */
void layout_point_xy(const struct layout *layout, const struct layout_point *p, double *x,
                     double *y);

/* Walking distance in metres between two valid points (the metric above). Symmetric. */
double layout_distance(const struct layout *layout, const struct layout_point *a,
                       const struct layout_point *b);

/*
 * A pick point as one integer whose order is (aisle, block, position): ascending keys walk
 * every aisle from the front to the back, aisle after aisle. Routing and batching keep sets of
 * points as sorted key arrays. The depot's key is 0; pick points have keys > 0.
 */
#define LAYOUT_KEY_POS_BITS   9 /* positions 1..511 along a block's aisle */
#define LAYOUT_KEY_BLOCK_BITS 3 /* blocks 0..7 */

/* Inline: routing decodes keys in its innermost loops. */
static inline uint32_t layout_point_key(const struct layout_point *p)
{
	if (p->aisle == 0)
		return 0;
	return ((uint32_t)p->aisle << (LAYOUT_KEY_POS_BITS + LAYOUT_KEY_BLOCK_BITS)) |
	       ((uint32_t)p->block << LAYOUT_KEY_POS_BITS) | (uint32_t)p->position;
}

static inline struct layout_point layout_key_point(uint32_t key)
{
	struct layout_point p;
	p.aisle = (int)(key >> (LAYOUT_KEY_POS_BITS + LAYOUT_KEY_BLOCK_BITS));
	p.block = (int)((key >> LAYOUT_KEY_POS_BITS) & ((1u << LAYOUT_KEY_BLOCK_BITS) - 1));
	p.position = (int)(key & ((1u << LAYOUT_KEY_POS_BITS) - 1));
	return p;
}

#endif
