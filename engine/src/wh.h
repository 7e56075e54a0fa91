/*
 * wh.h - what a stored warehouse document means: its layout and locations, its carriers.
 *
 * The geometry itself lives in layout.h; this module maps the document's JSON onto it (field
 * names, defaults) and checks what the request schema cannot (cross-field rules, repeats, the
 * time zone), so every handler sees one reading of a warehouse.
 *
 * Pure functions over a warehouse JSON (borrowed); no store access.
 * Errors: wms_error with the document's field path ("warehouse.layout.depot.aisle") and the
 * value; see each function.
 */
#ifndef WMS_WH_H
#define WMS_WH_H

#include <jansson.h>
#include <stddef.h>

#include "layout.h"
#include "wms/errors.h"

/* Room for a canonical location code and its NUL. */
#define WH_LOC_MAX LAYOUT_CODE_MAX

/*
 * Builds the layout of warehouse document WH: layout.{aisles, blocks (default 1),
 * slots_per_side, slot_length, aisle_spacing, end_gap (default 0), levels (default 1),
 * depot.{aisle (default 1), offset (default 0), shift (default 0)}} and runs layout_init.
 * Errors: those of layout_validate (WMS_ERANGE, WMS_EVALUE), with the field path of the
 * document ("warehouse.layout.depot.aisle"); *OUT untouched on error.
 */
int wh_layout(const json_t *wh, struct layout *out, struct wms_error *err);

/*
 * Checks what the schema cannot: the layout (layout_validate), the time zone (WMS_ETZ), each
 * carrier's cutoff "HH:MM" and its days without repeats (WMS_EVALUE), no carrier offering one
 * service twice (WMS_ECONFLICT), pack stations without repeats (WMS_EVALUE).
 */
int wh_validate(const json_t *wh, struct wms_error *err);

/*
 * Parses location CODE (with or without the "LOC-" label prefix, any zero-padding, either
 * case) in the warehouse's layout, writes the canonical code to CANON and, when LOC is not
 * NULL, its geometry. Errors: WMS_EVALUE for a malformed code, WMS_ELOCATION for a code outside
 * the layout, both naming field "location", the code and the warehouse.
 */
int wh_location(const json_t *wh, const char *code, char canon[WH_LOC_MAX], struct layout_loc *loc,
                struct wms_error *err);

/* Number of storage locations (slots x levels) in the layout; 0 for an invalid layout. */
size_t wh_location_count(const json_t *wh);

#endif
