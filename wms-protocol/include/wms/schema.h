/*
 * wms/schema.h - declarative, strict validation of JSON requests.
 *
 * Each op of the protocol has a schema: a static table of fields with a type, whether the
 * field is required, and its bounds. wms_schema_check() walks a request against it and reports
 * the FIRST problem with a stable code and a message that names the field path
 * ("order.lines[1].qty") and the offending value:
 *
 *   missing_field, unknown_field, wrong_type, out_of_range, too_long, bad_value, bad_timestamp
 *
 * Schemas are static const data owned by the protocol library; validation allocates nothing
 * and does not modify the JSON. wms_schema_normalize() then rewrites a checked request into
 * the engine's one spelling of each value. Thread-safe.
 */
#ifndef WMS_SCHEMA_H
#define WMS_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>

#include "wms/errors.h"

enum wms_type {
	WMS_T_STRING = 1, /* UTF-8 text; min/max bound its length in bytes */
	WMS_T_ID = 2,     /* identifier: min..max (default 1..64) visible ASCII bytes, no spaces */
	WMS_T_INT = 3,    /* JSON integer within min..max */
	WMS_T_NUMBER = 4, /* JSON integer or real within min..max */
	WMS_T_BOOL = 5,
	WMS_T_TIME = 6,   /* RFC 3339 date-time string */
	WMS_T_ENUM = 7,   /* one of the strings in values[] */
	WMS_T_OBJECT = 8, /* nested object checked against schema */
	WMS_T_ARRAY = 9,  /* elements of type elem; min..max bound the count */
	WMS_T_DATE = 10,  /* "YYYY-MM-DD" calendar date */
	WMS_T_ANY = 11,   /* any JSON value no larger than max bytes once encoded (opaque) */
};

/* Field flags. */
#define WMS_F_REQUIRED 0x1
#define WMS_F_NULLABLE 0x2 /* null is accepted and means "absent" */
#define WMS_F_SHORTHAND                                                                            \
	0x4 /* ARRAY of OBJECT: a bare string element stands for {first field: s}                  \
	     */
/*
 * Control characters. A STRING refuses every C0 control (0x00-0x1F) and DEL (0x7F) unless one
 * of these flags says otherwise; an ID refuses them always.
 */
/* STRING: what a scanner sent, passed on as sent: every control character but NUL is allowed,
 * for the barcode library to read or refuse in the scan's verdict: GS (ASCII 29), the GS1
 * FNC1 separator of raw element strings; the device's GS alias (FS, RS, ...); the CR, LF or
 * TAB a keyboard wedge adds at the end, which it trims. */
#define WMS_F_SCAN 0x8
/* STRING: free text a person writes over several lines (a gift message, a carrier's detail):
 * TAB, LF and CR are allowed. PROTOCOL.md section 2 lists these fields. */
#define WMS_F_TEXT 0x10
/* STRING: the characters a keyboard-wedge scanner sends instead of GS: every control
 * character and DEL is allowed except NUL, TAB, LF and CR, which a wedge cannot send or which
 * end or split a scan. Which printable characters may serve is the barcode library's rule
 * (wms_barcode_opts_set_gs_alias), applied by the handler. */
#define WMS_F_GS_ALIAS 0x20
/* STRING: a location code of a warehouse layout (PROTOCOL.md 6); wms_schema_normalize gives it
 * one spelling. */
#define WMS_F_LOCATION 0x40

struct wms_schema;

struct wms_field {
	const char *name;
	enum wms_type type;
	unsigned flags;
	double min, max;                 /* see enum wms_type; 0/0 means the type's default */
	enum wms_type elem;              /* ARRAY: element type */
	double emin, emax;               /* ARRAY of scalars: element bounds as min/max above */
	const struct wms_schema *schema; /* OBJECT, or ARRAY of OBJECT */
	const char *const *values;       /* ENUM: NULL-terminated list */
};

struct wms_schema {
	const char *name;               /* for messages: the op or object name */
	const struct wms_field *fields; /* terminated by an entry with name == NULL */
};

/* Default bounds when a field leaves min/max at 0. */
#define WMS_ID_MAX     64
#define WMS_STRING_MAX 1024

/*
 * Checks OBJ against SCHEMA. PREFIX is the path of OBJ ("" at the top level). Field names in
 * SKIP (NULL-terminated, may be NULL) are accepted at the top level without checking: the
 * envelope's op, req_id and idem_key. Returns 0 or the code, with ERR filled.
 */
int wms_schema_check(const struct wms_schema *schema, const json_t *obj, const char *prefix,
                     const char *const *skip, struct wms_error *err);

/*
 * Rewrites OBJ, which wms_schema_check() accepted against SCHEMA (same SKIP), into the
 * engine's canonical spelling, so that everything downstream (stored documents, events, the
 * idempotent comparison of a resend) sees one spelling of one value:
 *   - every timestamp (WMS_T_TIME) becomes wms_time_format() of its instant: UTC with "Z",
 *     ".mmm" only when the milliseconds are not zero ("2026-12-10t01:00:00+01:00" is
 *     "2026-12-10T00:00:00Z", a leap second 60 is 59);
 *   - every number (WMS_T_NUMBER) becomes a JSON real, so -74 and -74.0 are the same value
 *     (integer fields, WMS_T_INT, stay integers; WMS_T_ANY values are opaque and untouched);
 *   - every well-formed location code (WMS_F_LOCATION) loses the "LOC-" label prefix, gets an
 *     upper-case block letter and its numbers padded to 2, 2 and 1 digits: "loc-a1-001-1" is
 *     "A01-01-1". A code of another form is left as sent (the engine refuses it by name).
 * Returns 0, or WMS_ENOMEM (OBJ may then be partly rewritten; every value is still valid).
 */
int wms_schema_normalize(const struct wms_schema *schema, json_t *obj, const char *const *skip);

/* Where a value sits in a request, by the schema (wms_schema_locate). */
struct wms_schema_spot {
	char path[128];                /* "order.lines[1].qty" */
	const struct wms_field *field; /* the field describing it; NULL when the schema has none */
	enum wms_type type;            /* the value's type: an array field's elem for an element */
	double min, max;               /* its bounds, as in struct wms_field */
};

/*
 * Finds VALUE (a node of OBJ, compared by identity) in OBJ, following SCHEMA where it
 * describes the way there (a field the schema does not know still gets its path, with a NULL
 * field). OBJ need not have passed wms_schema_check. Returns 0 with *SPOT filled, or
 * WMS_ENOTFOUND. Recursion is bounded by jansson's parser depth limit.
 */
int wms_schema_locate(const struct wms_schema *schema, const json_t *obj, const json_t *value,
                      struct wms_schema_spot *spot);

/* Whether S is a valid identifier of at most MAX bytes (WMS_T_ID's rule). */
bool wms_id_valid(const char *s, size_t max);

#endif
