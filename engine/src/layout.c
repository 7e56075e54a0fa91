/* layout.c - geometry, location codes and the walking metric (see layout.h). */
#include "layout.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Key fields (layout.h): position needs 9 bits (<= 500), block 3 (<= 7), aisle 8 (<= 200). */
_Static_assert(LAYOUT_MAX_SLOTS < 1 << LAYOUT_KEY_POS_BITS, "positions fit their key bits");
_Static_assert(LAYOUT_MAX_BLOCKS <= 1 << LAYOUT_KEY_BLOCK_BITS, "blocks fit their key bits");

/* A depot closer than this to an aisle's centre line is on it (absorbs shift rounding). */
#define DEPOT_SNAP 1e-9

static int check_int(struct wms_error *err, const char *field, int v, int lo, int hi)
{
	if (v < lo || v > hi)
		return wms_error_set(err, WMS_ERANGE, field, "%s must be %d..%d, got %d", field, lo,
		                     hi, v);
	return 0;
}

/* NaN fails every comparison, so each bound is written as "!(inside)". */
static int check_len(struct wms_error *err, const char *field, double v, double lo, int lo_open,
                     double hi)
{
	if (!isfinite(v))
		return wms_error_set(err, WMS_EVALUE, field, "%s must be a finite number, got %g",
		                     field, v);
	if (lo_open ? !(v > lo) : !(v >= lo))
		return wms_error_set(err, WMS_ERANGE, field, "%s must be %s %g, got %g", field,
		                     lo_open ? ">" : ">=", lo, v);
	if (!(v <= hi))
		return wms_error_set(err, WMS_ERANGE, field, "%s must be <= %g, got %g", field, hi,
		                     v);
	return 0;
}

int layout_validate(const struct layout_params *p, struct wms_error *err)
{
	int rc;

	if (p == NULL)
		return wms_error_set(err, WMS_EVALUE, "layout", "layout is missing");
	if ((rc = check_int(err, "layout.aisles", p->aisles, 1, LAYOUT_MAX_AISLES)) ||
	    (rc = check_int(err, "layout.blocks", p->blocks, 1, LAYOUT_MAX_BLOCKS)) ||
	    (rc =
	         check_int(err, "layout.slots_per_side", p->slots_per_side, 1, LAYOUT_MAX_SLOTS)) ||
	    (rc = check_int(err, "layout.levels", p->levels, 1, LAYOUT_MAX_LEVELS)) ||
	    (rc = check_len(err, "layout.slot_length", p->slot_length, 0, 1, LAYOUT_MAX_LENGTH)) ||
	    (rc = check_len(err, "layout.aisle_spacing", p->aisle_spacing, 0, 1,
	                    LAYOUT_MAX_LENGTH)) ||
	    (rc = check_len(err, "layout.end_gap", p->end_gap, 0, 0, LAYOUT_MAX_LENGTH)) ||
	    (rc = check_int(err, "layout.depot_aisle", p->depot_aisle, 1, p->aisles)) ||
	    (rc =
	         check_len(err, "layout.depot_offset", p->depot_offset, 0, 0, LAYOUT_MAX_LENGTH)) ||
	    (rc = check_len(err, "layout.depot_shift", p->depot_shift, -LAYOUT_MAX_LENGTH, 0,
	                    LAYOUT_MAX_LENGTH)))
		return rc;
	return 0;
}

int layout_init(struct layout *layout, const struct layout_params *params, struct wms_error *err)
{
	int rc = layout_validate(params, err);
	if (rc)
		return rc;

	struct layout l;
	memset(&l, 0, sizeof(l));
	l.p = *params;
	l.block_len = 2 * params->end_gap + params->slots_per_side * params->slot_length;
	l.depot_x = (params->depot_aisle - 1) * params->aisle_spacing + params->depot_shift;
	/* A shift of whole aisle spacings puts the depot on another aisle; snapping makes the
	 * router's "depot column is an aisle" decision agree exactly with layout_distance. */
	for (int a = 1; a <= params->aisles; a++) {
		double xa = (a - 1) * params->aisle_spacing;
		if (fabs(l.depot_x - xa) < DEPOT_SNAP) {
			l.depot_x = xa;
			l.depot_on = a;
			break;
		}
	}
	l.aisle_digits = params->aisles > 99 ? 3 : 2;
	l.bay_digits = 2 * params->slots_per_side > 99 ? 3 : 2;
	l.level_digits = params->levels > 9 ? 2 : 1;
	*layout = l;
	return 0;
}

/* Reads 1..6 digits at *S; returns the number of digits read, 0 when none or too many. */
static int read_number(const char **s, int *value)
{
	const char *c = *s;
	int n = 0, v = 0;
	while (isdigit((unsigned char)*c)) {
		if (++n > 6)
			return 0;
		v = v * 10 + (*c - '0');
		c++;
	}
	if (n == 0)
		return 0;
	*s = c;
	*value = v;
	return n;
}

static void fill_loc(const struct layout *l, int aisle, int block, int bay, int level,
                     struct layout_loc *out)
{
	struct layout_loc loc;
	loc.aisle = aisle;
	loc.block = block;
	loc.bay = bay;
	loc.side = (bay % 2) ? LAYOUT_SIDE_LEFT : LAYOUT_SIDE_RIGHT;
	loc.position = (bay + 1) / 2;
	loc.level = level;
	loc.point.aisle = aisle;
	loc.point.block = block;
	loc.point.position = loc.position;
	layout_point_xy(l, &loc.point, &loc.x, &loc.y);
	*out = loc;
}

int layout_location_code(const struct layout *l, int aisle, int block, int bay, int level,
                         char buf[LAYOUT_CODE_MAX])
{
	if (aisle < 1 || aisle > l->p.aisles || block < 0 || block >= l->p.blocks || bay < 1 ||
	    bay > 2 * l->p.slots_per_side || level < 1 || level > l->p.levels)
		return WMS_ELOCATION;
	snprintf(buf, LAYOUT_CODE_MAX, "%c%0*d-%0*d-%0*d", 'A' + block, l->aisle_digits, aisle,
	         l->bay_digits, bay, l->level_digits, level);
	return 0;
}

/* "block A only", "blocks A and B", "blocks A to D" into BUF (48 bytes). */
static const char *block_range(int blocks, char buf[48])
{
	if (blocks == 1)
		snprintf(buf, 48, "block A only");
	else if (blocks == 2)
		snprintf(buf, 48, "blocks A and B");
	else
		snprintf(buf, 48, "blocks A to %c", 'A' + blocks - 1);
	return buf;
}

/* "aisle 1 only", "aisles 1 and 2", "aisles 1 to 24" into BUF (48 bytes). */
static const char *number_range(const char *what, int hi, char buf[48])
{
	if (hi == 1)
		snprintf(buf, 48, "%s 1 only", what);
	else if (hi == 2)
		snprintf(buf, 48, "%ss 1 and 2", what);
	else
		snprintf(buf, 48, "%ss 1 to %d", what, hi);
	return buf;
}

int layout_parse_location(const struct layout *l, const char *code, struct layout_loc *out,
                          char canonical[LAYOUT_CODE_MAX], struct wms_error *err)
{
	const char *s = code;
	int aisle, bay, level;

	if (code == NULL)
		return wms_error_set(err, WMS_EVALUE, "location", "location code is missing");
	/* The printed label is "LOC-" + code; a scanner reads the label, a person types the code.
	 */
	if (strncasecmp(s, "LOC-", 4) == 0)
		s += 4;
	if (!isalpha((unsigned char)s[0]))
		goto malformed;
	int block = toupper((unsigned char)s[0]) - 'A';
	s++;
	if (!read_number(&s, &aisle) || *s++ != '-' || !read_number(&s, &bay) || *s++ != '-' ||
	    !read_number(&s, &level) || *s != '\0')
		goto malformed;

	/* Each range is spelt out for people ("block A only", "aisles 1 to 24"): a message that
	 * reads "A..A" for a one-block layout helps no one on the floor. */
	char have[48];
	if (block >= l->p.blocks)
		return wms_error_set(
		    err, WMS_ELOCATION, "location",
		    "location '%.64s': block '%c' does not exist: the layout has %s", code,
		    'A' + block, block_range(l->p.blocks, have));
	if (aisle < 1 || aisle > l->p.aisles)
		return wms_error_set(err, WMS_ELOCATION, "location",
		                     "location '%.64s': aisle %d does not exist: the layout has %s",
		                     code, aisle, number_range("aisle", l->p.aisles, have));
	if (bay < 1 || bay > 2 * l->p.slots_per_side)
		return wms_error_set(err, WMS_ELOCATION, "location",
		                     "location '%.64s': bay %d does not exist: the layout has %s",
		                     code, bay, number_range("bay", 2 * l->p.slots_per_side, have));
	if (level < 1 || level > l->p.levels)
		return wms_error_set(err, WMS_ELOCATION, "location",
		                     "location '%.64s': level %d does not exist: the layout has %s",
		                     code, level, number_range("level", l->p.levels, have));
	if (canonical != NULL)
		layout_location_code(l, aisle, block, bay, level, canonical);
	fill_loc(l, aisle, block, bay, level, out);
	return 0;

malformed:
	return wms_error_set(err, WMS_EVALUE, "location",
	                     "location '%.64s' is not <block letter><aisle>-<bay>-<level>, "
	                     "e.g. A01-17-2",
	                     code);
}

int layout_location_count(const struct layout *l, size_t *out)
{
	*out = (size_t)l->p.aisles * (size_t)l->p.blocks * 2 * (size_t)l->p.slots_per_side *
	       (size_t)l->p.levels;
	return 0;
}

int layout_location_at(const struct layout *l, size_t index, struct layout_loc *out,
                       char code[LAYOUT_CODE_MAX])
{
	size_t count;
	layout_location_count(l, &count);
	if (index >= count)
		return WMS_ERANGE;
	size_t levels = (size_t)l->p.levels, bays = 2 * (size_t)l->p.slots_per_side;
	size_t aisles = (size_t)l->p.aisles;
	int level = (int)(index % levels) + 1;
	index /= levels;
	int bay = (int)(index % bays) + 1;
	index /= bays;
	int aisle = (int)(index % aisles) + 1;
	int block = (int)(index / aisles);
	if (code != NULL)
		layout_location_code(l, aisle, block, bay, level, code);
	fill_loc(l, aisle, block, bay, level, out);
	return 0;
}

struct layout_point layout_depot(const struct layout *l)
{
	(void)l;
	struct layout_point d = { 0, 0, 0 };
	return d;
}

int layout_point_valid(const struct layout *l, const struct layout_point *p)
{
	if (p->aisle == 0)
		return p->block == 0 && p->position == 0;
	return p->aisle >= 1 && p->aisle <= l->p.aisles && p->block >= 0 &&
	       p->block < l->p.blocks && p->position >= 1 && p->position <= l->p.slots_per_side;
}

void layout_point_xy(const struct layout *l, const struct layout_point *p, double *x, double *y)
{
	if (p->aisle == 0) {
		*x = l->depot_x;
		*y = -l->p.depot_offset;
		return;
	}
	*x = (p->aisle - 1) * l->p.aisle_spacing;
	*y = p->block * l->block_len + l->p.end_gap + (p->position - 0.5) * l->p.slot_length;
}

double layout_distance(const struct layout *l, const struct layout_point *a,
                       const struct layout_point *b)
{
	double xa, ya, xb, yb;
	layout_point_xy(l, a, &xa, &ya);
	layout_point_xy(l, b, &xb, &yb);
	/* The depot counts as block -1: it is in front of every block. */
	int ba = a->aisle == 0 ? -1 : a->block;
	int bb = b->aisle == 0 ? -1 : b->block;
	double dx = fabs(xa - xb);
	/* Different blocks: a cross aisle lies between the two, so no detour is needed. */
	if (ba != bb)
		return dx + fabs(ya - yb);
	if (a->aisle == b->aisle)
		return fabs(ya - yb);
	/* Same block, different aisles: leave through the block's front or back cross aisle. */
	double front = ba * l->block_len, back = front + l->block_len;
	double via_front = (ya - front) + (yb - front);
	double via_back = (back - ya) + (back - yb);
	return dx + (via_front < via_back ? via_front : via_back);
}
