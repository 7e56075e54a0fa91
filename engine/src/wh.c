/* wh.c - warehouse document semantics (see wh.h). */
#include "wh.h"

#include "cmd.h"
#include "cal.h"
#include "layout.h"
#include "tz.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- layout ---- */

/* layout_validate names its parameters; a client knows the fields of its document. */
static const struct {
	const char *param;
	const char *path;
} layout_paths[] = {
	{ "layout.aisles", "warehouse.layout.aisles" },
	{ "layout.blocks", "warehouse.layout.blocks" },
	{ "layout.slots_per_side", "warehouse.layout.slots_per_side" },
	{ "layout.levels", "warehouse.layout.levels" },
	{ "layout.slot_length", "warehouse.layout.slot_length" },
	{ "layout.aisle_spacing", "warehouse.layout.aisle_spacing" },
	{ "layout.end_gap", "warehouse.layout.end_gap" },
	{ "layout.depot_aisle", "warehouse.layout.depot.aisle" },
	{ "layout.depot_offset", "warehouse.layout.depot.offset" },
	{ "layout.depot_shift", "warehouse.layout.depot.shift" },
	{ "layout", "warehouse.layout" },
};

/* Rewrites a layout error's field, and the message that opens with it, to the document path. */
static void layout_err_path(struct wms_error *err)
{
	if (err == NULL)
		return;
	for (size_t i = 0; i < sizeof(layout_paths) / sizeof(layout_paths[0]); i++) {
		size_t n = strlen(layout_paths[i].param);
		if (strcmp(err->field, layout_paths[i].param) != 0)
			continue;
		char msg[sizeof(err->message)];
		if (strncmp(err->message, layout_paths[i].param, n) == 0)
			snprintf(msg, sizeof(msg), "%s%s", layout_paths[i].path, err->message + n);
		else
			snprintf(msg, sizeof(msg), "%s", err->message);
		wms_error_set(err, err->code, layout_paths[i].path, "%s", msg);
		return;
	}
}

/* An integer field clamped to int, so that a huge value is refused rather than wrapped. */
static int int_field(const json_t *o, const char *name, int dflt)
{
	long long v = req_int(o, name, dflt);
	return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

int wh_layout(const json_t *wh, struct layout *out, struct wms_error *err)
{
	const json_t *lj = json_object_get(wh, "layout");
	const json_t *depot = json_object_get(lj, "depot");
	if (!json_is_object(lj))
		return wms_error_set(err, WMS_EMISSING, "warehouse.layout",
		                     "missing field 'warehouse.layout'");
	/* Defaults are the document's, not LAYOUT_PARAMS_INIT's: an absent end_gap is 0 m. */
	struct layout_params p;
	p.aisles = int_field(lj, "aisles", 0);
	p.blocks = int_field(lj, "blocks", 1);
	p.slots_per_side = int_field(lj, "slots_per_side", 0);
	p.levels = int_field(lj, "levels", 1);
	p.slot_length = req_num(lj, "slot_length", 0);
	p.aisle_spacing = req_num(lj, "aisle_spacing", 0);
	p.end_gap = req_num(lj, "end_gap", 0);
	p.depot_aisle = int_field(depot, "aisle", 1);
	p.depot_offset = req_num(depot, "offset", 0);
	p.depot_shift = req_num(depot, "shift", 0);
	int rc = layout_init(out, &p, err);
	if (rc)
		layout_err_path(err);
	return rc;
}

/* ---- time zone ---- */

/* Whether NAME could be a zoneinfo file name: no way out of the zoneinfo directory. */
static bool tz_name_well_formed(const char *name)
{
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") || strstr(name, "//") ||
	    name[strlen(name) - 1] == '/')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p))
			return false;
	return true;
}

/*
 * Checks time zone NAME the way the engine will use it (tz.h): "UTC", or an IANA name with a
 * TZif file (fixed offsets are the Etc/GMT zones: "Etc/GMT-1" is UTC+01:00). Returns 0,
 * WMS_EVALUE for a name that cannot be a zone file, WMS_ETZ for an unknown zone.
 */
static int tz_check(const char *name)
{
	const struct tz *z;
	if (strcmp(name, "UTC") != 0 && !tz_name_well_formed(name))
		return WMS_EVALUE;
	return tz_get(name, &z) == 0 ? 0 : WMS_ETZ;
}

/* ---- carriers and stations ---- */

/* Index of the first element of string array ARR before index I equal to element I, or -1. */
static long earlier_same(const json_t *arr, size_t i)
{
	const char *s = json_string_value(json_array_get(arr, i));
	for (size_t j = 0; s && j < i; j++) {
		const char *t = json_string_value(json_array_get(arr, j));
		if (t && strcmp(s, t) == 0)
			return (long)j;
	}
	return -1;
}

static int check_carrier(const json_t *carriers, size_t i, struct wms_error *err)
{
	const json_t *cr = json_array_get(carriers, i);
	const json_t *days = json_object_get(cr, "days");
	char field[96];
	int min;
	snprintf(field, sizeof(field), "warehouse.carriers[%zu].cutoff", i);
	if (cal_parse_hhmm(req_str(cr, "cutoff"), &min))
		return wms_error_set(err, WMS_EVALUE, field,
		                     "%s '%s' is not a local time HH:MM from 00:00 to 23:59", field,
		                     req_str(cr, "cutoff"));
	for (size_t d = 0; d < json_array_size(days); d++) {
		long j = earlier_same(days, d);
		if (j < 0)
			continue;
		snprintf(field, sizeof(field), "warehouse.carriers[%zu].days[%zu]", i, d);
		return wms_error_set(err, WMS_EVALUE, field,
		                     "%s '%s' repeats warehouse.carriers[%zu].days[%ld]: list each "
		                     "day once",
		                     field, json_string_value(json_array_get(days, d)), i, j);
	}
	for (size_t j = 0; j < i; j++) {
		const json_t *o = json_array_get(carriers, j);
		if (strcmp(req_str(o, "carrier"), req_str(cr, "carrier")) != 0 ||
		    strcmp(req_str(o, "service"), req_str(cr, "service")) != 0)
			continue;
		snprintf(field, sizeof(field), "warehouse.carriers[%zu]", i);
		/* Two entries for one carrier and service can disagree (cutoff, cost): which one
		 * holds is a conflict the client must settle, as for any key used twice. */
		return wms_error_set(err, WMS_ECONFLICT, field,
		                     "%s: carrier '%s' service '%s' is already listed as "
		                     "warehouse.carriers[%zu]",
		                     field, req_str(cr, "carrier"), req_str(cr, "service"), j);
	}
	return 0;
}

int wh_validate(const json_t *wh, struct wms_error *err)
{
	struct layout l;
	int rc = wh_layout(wh, &l, err);
	if (rc)
		return rc;

	const char *tz = req_str(wh, "timezone");
	if (tz && (rc = tz_check(tz)))
		return wms_error_set(
		    err, rc, "warehouse.timezone",
		    rc == WMS_EVALUE
		        ? "warehouse.timezone '%.64s' is not a time zone name: an IANA name such "
		          "as "
		          "Europe/Berlin (letters, digits, _ + - /) or UTC"
		        : "warehouse.timezone '%.64s' is not a known IANA time zone (e.g. "
		          "Europe/Berlin, or Etc/GMT-1 for a fixed UTC+01:00) or UTC",
		    tz);

	const json_t *carriers = json_object_get(wh, "carriers");
	for (size_t i = 0; i < json_array_size(carriers); i++)
		if ((rc = check_carrier(carriers, i, err)))
			return rc;

	const json_t *stations = json_object_get(wh, "pack_stations");
	for (size_t i = 0; i < json_array_size(stations); i++) {
		long j = earlier_same(stations, i);
		if (j < 0)
			continue;
		char field[64];
		snprintf(field, sizeof(field), "warehouse.pack_stations[%zu]", i);
		return wms_error_set(err, WMS_EVALUE, field,
		                     "%s '%s' is already listed as warehouse.pack_stations[%ld]",
		                     field, json_string_value(json_array_get(stations, i)), j);
	}
	return 0;
}

/* ---- locations ---- */

int wh_location(const json_t *wh, const char *code, char canon[WH_LOC_MAX], struct layout_loc *loc,
                struct wms_error *err)
{
	struct layout l;
	struct layout_loc tmp;
	struct wms_error lerr = WMS_ERROR_INIT;
	const char *id = req_str(wh, "id");
	/* A stored warehouse passed wh_validate; one stored before a rule existed may not. */
	if (wh_layout(wh, &l, &lerr))
		return wms_error_set(err, WMS_ESTATE, "warehouse",
		                     "warehouse '%s' has an invalid layout (%s); correct it with "
		                     "warehouse.put",
		                     id ? id : "?", lerr.message);
	int rc = layout_parse_location(&l, code, loc ? loc : &tmp, canon, &lerr);
	if (rc)
		return wms_error_set(err, rc, lerr.field, "%s (warehouse '%s')", lerr.message,
		                     id ? id : "?");
	return 0;
}

size_t wh_location_count(const json_t *wh)
{
	struct layout l;
	size_t n = 0;
	if (wh_layout(wh, &l, NULL) == 0)
		layout_location_count(&l, &n);
	return n;
}
