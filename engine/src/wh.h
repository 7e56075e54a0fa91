/*
 * wh.h - what a stored warehouse document means: its layout's locations, its carriers.
 *
 * Pure functions over a validated warehouse JSON (borrowed); no store access.
 */
#ifndef WMS_WH_H
#define WMS_WH_H

#include <jansson.h>
#include <stddef.h>

#include "wms/errors.h"

#define WH_LOC_MAX 32

struct layout_loc;
struct layout;

/* Checks what the schema cannot: the layout's consistency, the timezone, the carriers'
 * cutoffs, no service offered twice by one carrier. Errors name the field. */
int wh_validate(const json_t *wh, struct wms_error *err);

/*
 * Parses location CODE (with or without the "LOC-" label prefix) in the warehouse's layout,
 * writes the canonical code to CANON and, when LOC is not NULL, its geometry.
 * Errors: WMS_ELOCATION naming field "location".
 */
int wh_location(const json_t *wh, const char *code, char canon[WH_LOC_MAX], struct layout_loc *loc,
                struct wms_error *err);

/* Builds the routing geometry of the warehouse's layout into *OUT. Errors name the field. */
int wh_layout(const json_t *wh, struct layout *out, struct wms_error *err);

/* Number of storage locations (slots x levels) in the layout. */
size_t wh_location_count(const json_t *wh);

#endif
