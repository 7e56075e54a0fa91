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
 * and does not modify the JSON. Thread-safe.
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
/* STRING: what a scanner sent; GS (ASCII 29), the GS1 FNC1 separator of raw element strings,
 * is allowed (every other control character is still refused). */
#define WMS_F_SCAN 0x8

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

/* Whether S is a valid identifier of at most MAX bytes (WMS_T_ID's rule). */
bool wms_id_valid(const char *s, size_t max);

#endif
