/* wh.c - warehouse document semantics (see wh.h). */
#include "wh.h"

#include "cmd.h"
#include "layout.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lp_int(const json_t *layout, const char *name, int dflt)
{
	return (int)req_int(layout, name, dflt);
}

static int parse_hhmm(const char *s, int *min)
{
	int h, m;
	char tail;
	if (s == NULL || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 ||
	    m > 59 || strlen(s) < 4 || s[strlen(s) - 3] != ':')
		return -1;
	*min = h * 60 + m;
	return 0;
}

int wh_validate(const json_t *wh, struct wms_error *err)
{
	const json_t *layout = json_object_get(wh, "layout");
	const json_t *depot = json_object_get(layout, "depot");
	int aisles = lp_int(layout, "aisles", 1);
	if (depot && req_int(depot, "aisle", 1) > aisles)
		return wms_error_set(
		    err, WMS_ERANGE, "warehouse.layout.depot.aisle",
		    "warehouse.layout.depot.aisle is %lld; the layout has %d aisles",
		    req_int(depot, "aisle", 1), aisles);
	size_t i;
	const json_t *cr;
	json_array_foreach(json_object_get(wh, "carriers"), i, cr)
	{
		char field[64];
		int min;
		snprintf(field, sizeof(field), "warehouse.carriers[%zu].cutoff", i);
		if (parse_hhmm(req_str(cr, "cutoff"), &min))
			return wms_error_set(err, WMS_EVALUE, field,
			                     "%s '%s' is not a local time HH:MM", field,
			                     req_str(cr, "cutoff"));
		for (size_t j = 0; j < i; j++) {
			const json_t *o = json_array_get(json_object_get(wh, "carriers"), j);
			if (strcmp(req_str(o, "carrier"), req_str(cr, "carrier")) == 0 &&
			    strcmp(req_str(o, "service"), req_str(cr, "service")) == 0) {
				snprintf(field, sizeof(field), "warehouse.carriers[%zu]", i);
				return wms_error_set(
				    err, WMS_ECONFLICT, field,
				    "%s: carrier '%s' service '%s' is listed twice", field,
				    req_str(cr, "carrier"), req_str(cr, "service"));
			}
		}
	}
	return 0;
}

/* Parses digits at *P into *V; returns the count of digits read. */
static int read_num(const char **p, int *v)
{
	int n = 0, x = 0;
	while (isdigit((unsigned char)**p) && n < 6) {
		x = x * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*v = x;
	return n;
}

int wh_location(const json_t *wh, const char *code, char canon[WH_LOC_MAX], struct layout_loc *loc,
                struct wms_error *err)
{
	const json_t *layout = json_object_get(wh, "layout");
	int aisles = lp_int(layout, "aisles", 1), blocks = lp_int(layout, "blocks", 1),
	    slots = lp_int(layout, "slots_per_side", 1), levels = lp_int(layout, "levels", 1);
	const char *p = code;
	int aisle, bay, level;
	(void)loc;
	if (strncmp(p, "LOC-", 4) == 0)
		p += 4;
	char b = (char)toupper((unsigned char)*p);
	if (b < 'A' || b >= 'A' + blocks || !(p++, read_num(&p, &aisle)) || *p++ != '-' ||
	    !read_num(&p, &bay) || *p++ != '-' || !read_num(&p, &level) || *p != '\0')
		return wms_error_set(err, WMS_ELOCATION, "location",
		                     "location '%s' is not a location code of warehouse '%s' "
		                     "(block letter A-%c, aisle, bay, level: e.g. A01-02-1)",
		                     code, req_str(wh, "id"), 'A' + blocks - 1);
	if (aisle < 1 || aisle > aisles || bay < 1 || bay > 2 * slots || level < 1 ||
	    level > levels)
		return wms_error_set(
		    err, WMS_ELOCATION, "location",
		    "location '%s' is outside warehouse '%s' (%d aisles, bays 1-%d, "
		    "levels 1-%d)",
		    code, req_str(wh, "id"), aisles, 2 * slots, levels);
	int aw = aisles > 99 ? 3 : 2, bw = 2 * slots > 99 ? 3 : 2, lw = levels > 9 ? 2 : 1;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%c%0*d-%0*d-%0*d", b, aw, aisle, bw, bay, lw, level);
	memcpy(canon, tmp, WH_LOC_MAX - 1);
	canon[WH_LOC_MAX - 1] = '\0';
	return 0;
}

size_t wh_location_count(const json_t *wh)
{
	const json_t *layout = json_object_get(wh, "layout");
	return (size_t)lp_int(layout, "aisles", 1) * (size_t)lp_int(layout, "blocks", 1) * 2 *
	       (size_t)lp_int(layout, "slots_per_side", 1) * (size_t)lp_int(layout, "levels", 1);
}

int wh_layout(const json_t *wh, struct layout *out, struct wms_error *err)
{
	const json_t *l = json_object_get(wh, "layout");
	const json_t *depot = json_object_get(l, "depot");
	struct layout_params p = LAYOUT_PARAMS_INIT;
	p.aisles = lp_int(l, "aisles", 1);
	p.blocks = lp_int(l, "blocks", 1);
	p.slots_per_side = lp_int(l, "slots_per_side", 1);
	p.levels = lp_int(l, "levels", 1);
	p.slot_length = req_num(l, "slot_length", 1.0);
	p.aisle_spacing = req_num(l, "aisle_spacing", 5.0);
	p.end_gap = req_num(l, "end_gap", 0.0);
	p.depot_aisle = (int)req_int(depot, "aisle", 1);
	p.depot_offset = req_num(depot, "offset", 0.0);
	p.depot_shift = req_num(depot, "shift", 0.0);
	return layout_init(out, &p, err);
}
