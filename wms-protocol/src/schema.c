/* schema.c - the strict validator (see wms/schema.h). */
#include "wms/schema.h"

#include "wms/time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Significant digits of a real in a message: the codec keeps reals to 15 (WMS_JSON_REAL_DIGITS
 * in wms/codec.h, which this file does not include), so 15 show every value exactly. */
#define WMS_NUMBER_DIGITS 15

/* Paths deeper than this are cut; schemas nest at most a few levels. */
#define PATH_MAX_LEN 128

static const char *type_name(enum wms_type t)
{
	switch (t) {
	case WMS_T_STRING:
	case WMS_T_ID:
	case WMS_T_ENUM:
		return "a string";
	case WMS_T_TIME:
		return "an RFC 3339 timestamp string";
	case WMS_T_DATE:
		return "a YYYY-MM-DD date string";
	case WMS_T_INT:
		return "an integer";
	case WMS_T_NUMBER:
		return "a number";
	case WMS_T_BOOL:
		return "true or false";
	case WMS_T_OBJECT:
		return "an object";
	case WMS_T_ARRAY:
		return "an array";
	case WMS_T_ANY:
		return "a value";
	}
	return "a value";
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* Copies at most 40 bytes of S into BUF for a message, never splitting a UTF-8 sequence. */
static const char *excerpt(const char *s, char buf[48])
{
	size_t n = strlen(s);
	if (n <= 40) {
		snprintf(buf, 48, "%s", s);
		return buf;
	}
	size_t cut = 40;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	snprintf(buf, 48, "%.*s...", (int)cut, s);
	return buf;
}

bool wms_id_valid(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7E)
			return false;
	return n >= 1 && n <= max;
}

static void join(char *out, const char *prefix, const char *name)
{
	if (prefix[0])
		snprintf(out, PATH_MAX_LEN, "%s.%s", prefix, name);
	else
		snprintf(out, PATH_MAX_LEN, "%s", name);
}

static int check_value(const struct wms_field *f, enum wms_type type, double min, double max,
                       const json_t *v, const char *path, struct wms_error *err);

/* "TAB (0x09)", "0x1C": a control character as a message names it. */
static const char *control_name(unsigned char c, char buf[16])
{
	const char *name = c == '\t' ? "TAB " : c == '\n' ? "LF " : c == '\r' ? "CR " : "";
	snprintf(buf, 16, "%s%s0x%02X%s", name, name[0] ? "(" : "", c, name[0] ? ")" : "");
	return buf;
}

/*
 * Which control characters a string field of FLAGS may hold; 0 when C is allowed, else the
 * error. Most strings are names, codes and addresses printed on labels, one line each, where a
 * TAB or a line break is a paste accident: every C0 control and DEL is refused. Free text
 * (WMS_F_TEXT) may break lines and indent; a scanner's code (WMS_F_SCAN) is passed on as the
 * scanner sent it, for the barcode library to judge in the scan's verdict (GS, the device's GS
 * alias, a wedge's trailing CR LF); a GS alias (WMS_F_GS_ALIAS) is made of control characters,
 * but not of those that end or split a keyboard-wedge scan.
 */
static int check_control(unsigned flags, unsigned char c, size_t at, const char *path,
                         struct wms_error *err)
{
	char name[16];
	bool ws = c == '\t' || c == '\n' || c == '\r';
	if ((c >= 0x20 && c != 0x7F) || ((flags & WMS_F_TEXT) && ws) ||
	    ((flags & WMS_F_SCAN) && c != 0) || ((flags & WMS_F_GS_ALIAS) && c != 0 && !ws))
		return 0;
	if (flags & WMS_F_GS_ALIAS)
		return wms_error_set(
		    err, WMS_EVALUE, path,
		    "%s contains %s at byte %zu: a keyboard-wedge scanner ends or "
		    "splits a scan at TAB, CR and LF (and cannot send NUL), so they "
		    "cannot stand for GS; use FS (0x1C), RS (0x1E) or one of "
		    "space $ @ [ \\ ] ^ ` { | } ~",
		    path, control_name(c, name), at);
	if (ws)
		return wms_error_set(err, WMS_EVALUE, path,
		                     "%s contains %s at byte %zu: it is one line of text (only "
		                     "free-text fields such as a gift message may hold TAB, CR "
		                     "or LF)",
		                     path, control_name(c, name), at);
	return wms_error_set(err, WMS_EVALUE, path, "%s contains control character %s at byte %zu",
	                     path, control_name(c, name), at);
}

static int check_string(enum wms_type type, double min, double max, unsigned flags, const json_t *v,
                        const char *path, struct wms_error *err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	char ex[48];
	if (type == WMS_T_ID) {
		size_t lim = max > 0 ? (size_t)max : WMS_ID_MAX;
		if (n > lim)
			return wms_error_set(err, WMS_ETOOLONG, path,
			                     "%s '%s' is %zu bytes long; at most %zu", path,
			                     excerpt(s, ex), n, lim);
		if (n != strlen(s) || !wms_id_valid(s, lim))
			return wms_error_set(
			    err, WMS_EVALUE, path,
			    "%s '%s' is not a valid id: ids are 1-%zu visible ASCII "
			    "characters, no spaces",
			    path, excerpt(s, ex), lim);
		return 0;
	}
	size_t lim = max > 0 ? (size_t)max : WMS_STRING_MAX;
	if (n > lim)
		return wms_error_set(err, WMS_ETOOLONG, path, "%s is %zu bytes long; at most %zu",
		                     path, n, lim);
	if (min > 0 && n < (size_t)min)
		return wms_error_set(err, WMS_EVALUE, path,
		                     "%s '%s' is too short; at least %zu bytes", path,
		                     excerpt(s, ex), (size_t)min);
	for (size_t i = 0; i < n; i++) {
		int rc = check_control(flags, (unsigned char)s[i], i, path, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_array(const struct wms_field *f, const json_t *v, const char *path,
                       struct wms_error *err)
{
	size_t n = json_array_size(v);
	size_t lo = (size_t)f->min, hi = f->max > 0 ? (size_t)f->max : 1000;
	if (n < lo || n > hi)
		return wms_error_set(err, WMS_ERANGE, path,
		                     "%s has %zu elements; must have %zu to %zu", path, n, lo, hi);
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX_LEN];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		const json_t *e = json_array_get(v, i);
		int rc;
		if (f->elem == WMS_T_OBJECT && json_is_string(e) && (f->flags & WMS_F_SHORTHAND)) {
			/* "X" stands for {first-field: "X"}: check it as that field. */
			const struct wms_field *first = &f->schema->fields[0];
			rc = check_value(first, first->type, first->min, first->max, e, p, err);
		} else {
			rc = check_value(f, f->elem, f->emin, f->emax, e, p, err);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int check_value(const struct wms_field *f, enum wms_type type, double min, double max,
                       const json_t *v, const char *path, struct wms_error *err)
{
	char ex[48];
	switch (type) {
	case WMS_T_STRING:
	case WMS_T_ID:
		if (!json_is_string(v))
			break;
		return check_string(type, min, max, f->flags, v, path, err);
	case WMS_T_ENUM: {
		if (!json_is_string(v))
			break;
		const char *s = json_string_value(v);
		for (const char *const *e = f->values; e && *e; e++)
			if (strcmp(*e, s) == 0)
				return 0;
		char list[160] = "";
		size_t used = 0;
		for (const char *const *e = f->values; e && *e && used < sizeof(list) - 1; e++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
			                         used ? ", " : "", *e);
		return wms_error_set(err, WMS_EVALUE, path, "%s '%s' is not one of: %s", path,
		                     excerpt(s, ex), list);
	}
	case WMS_T_TIME: {
		if (!json_is_string(v))
			break;
		int64_t ms;
		if (wms_time_parse(json_string_value(v), &ms))
			return wms_error_set(err, WMS_ETIME, path,
			                     "%s '%s' is not an RFC 3339 timestamp "
			                     "(e.g. 2026-11-23T15:04:05Z)",
			                     path, excerpt(json_string_value(v), ex));
		return 0;
	}
	case WMS_T_DATE: {
		if (!json_is_string(v))
			break;
		const char *s = json_string_value(v);
		int y, m, d;
		char tail;
		if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
		    s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 ||
		    d > (int)wms_days_in_month(y, (unsigned)m))
			return wms_error_set(err, WMS_ETIME, path,
			                     "%s '%s' is not a YYYY-MM-DD date", path,
			                     excerpt(s, ex));
		return 0;
	}
	case WMS_T_INT: {
		if (!json_is_integer(v))
			break;
		json_int_t x = json_integer_value(v);
		if ((min != 0 || max != 0) && ((double)x < min || (double)x > max))
			return wms_error_set(err, WMS_ERANGE, path,
			                     "%s is %lld; must be %.0f to %.0f", path, (long long)x,
			                     min, max);
		return 0;
	}
	case WMS_T_NUMBER: {
		if (!json_is_number(v))
			break;
		double x = json_number_value(v);
		if (isfinite(x) && ((min == 0 && max == 0) || (x >= min && x <= max)))
			return 0;
		/*
		 * The value as sent and the bounds in full: "%g" printed 320000001 and the bound
		 * 3.2e8 both as 3.2e+08. An integer is printed as the integer it is; a real has at
		 * most WMS_NUMBER_DIGITS significant digits once the codec rounded it, so "%.15g"
		 * shows it exactly and it cannot look like a bound it differs from.
		 */
		char shown[32];
		if (json_is_integer(v))
			snprintf(shown, sizeof(shown), "%lld", (long long)json_integer_value(v));
		else
			snprintf(shown, sizeof(shown), "%.*g", WMS_NUMBER_DIGITS, x);
		return wms_error_set(err, WMS_ERANGE, path, "%s is %s; must be %.*g to %.*g", path,
		                     shown, WMS_NUMBER_DIGITS, min, WMS_NUMBER_DIGITS, max);
	}
	case WMS_T_BOOL:
		if (!json_is_boolean(v))
			break;
		return 0;
	case WMS_T_OBJECT:
		if (!json_is_object(v))
			break;
		return wms_schema_check(f->schema, v, path, NULL, err);
	case WMS_T_ARRAY:
		if (!json_is_array(v))
			break;
		return check_array(f, v, path, err);
	case WMS_T_ANY: {
		size_t lim = max > 0 ? (size_t)max : 4096;
		size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
		if (n > lim)
			return wms_error_set(err, WMS_ETOOLONG, path,
			                     "%s is %zu bytes encoded; at most %zu", path, n, lim);
		return 0;
	}
	}
	if (json_is_string(v))
		return wms_error_set(err, WMS_ETYPE, path, "%s must be %s, got a string '%s'", path,
		                     type_name(type), excerpt(json_string_value(v), ex));
	return wms_error_set(err, WMS_ETYPE, path, "%s must be %s, got %s", path, type_name(type),
	                     json_kind(v));
}

static bool skipped(const char *const *skip, const char *key)
{
	for (; skip && *skip; skip++)
		if (strcmp(*skip, key) == 0)
			return true;
	return false;
}

int wms_schema_check(const struct wms_schema *schema, const json_t *obj, const char *prefix,
                     const char *const *skip, struct wms_error *err)
{
	char path[PATH_MAX_LEN];
	if (!json_is_object(obj))
		return wms_error_set(err, WMS_ETYPE, prefix, "%s must be an object, got %s",
		                     prefix[0] ? prefix : "request", json_kind(obj));
	/* Unknown fields first: a misspelt optional field must not pass silently. */
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)obj, key, val)
	{
		if (skipped(skip, key))
			continue;
		const struct wms_field *f = schema->fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL) {
			char ex[48];
			join(path, prefix, excerpt(key, ex));
			return wms_error_set(err, WMS_EUNKNOWNFIELD, path,
			                     "unknown field '%s' in %s", path,
			                     prefix[0] ? prefix : schema->name);
		}
	}
	for (const struct wms_field *f = schema->fields; f->name; f++) {
		join(path, prefix, f->name);
		const json_t *v = json_object_get(obj, f->name);
		if (v == NULL || (json_is_null(v) && (f->flags & WMS_F_NULLABLE))) {
			if (f->flags & WMS_F_REQUIRED)
				return wms_error_set(err, WMS_EMISSING, path, "missing field '%s'",
				                     path);
			continue;
		}
		int rc = check_value(f, f->type, f->min, f->max, v, path, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- normalisation ---- */

static int normalize_object(const struct wms_schema *schema, json_t *obj, const char *const *skip);

/* Reads 1 to 6 digits at *S (the engine's bound for each part of a location code). */
static bool location_number(const char **s, long *out)
{
	long v = 0;
	int n = 0;
	for (; **s >= '0' && **s <= '9'; (*s)++, n++)
		if (n < 6)
			v = v * 10 + (**s - '0');
	*out = v;
	return n >= 1 && n <= 6;
}

/*
 * The one spelling of location code CODE (PROTOCOL.md 6: "<block letter><aisle>-<bay>-<level>",
 * optionally prefixed "LOC-", any zero-padding, either case) in OUT, or false when CODE does
 * not have that form (it is left as sent, for the engine to refuse by name). The spelling
 * needs no layout: the label prefix goes, the letter is upper case and the numbers are padded
 * to 2, 2 and 1 digits, the engine's own form for layouts of up to 99 aisles, 99 bays and 9
 * levels. Two codes get one spelling exactly when they name one location in every layout.
 */
static bool location_canonical(const char *code, char out[64])
{
	const char *s = code;
	long aisle, bay, level;
	if (strncasecmp(s, "LOC-", 4) == 0)
		s += 4;
	char block = *s;
	if (!((block >= 'A' && block <= 'Z') || (block >= 'a' && block <= 'z')))
		return false;
	s++;
	if (!location_number(&s, &aisle) || *s++ != '-' || !location_number(&s, &bay) ||
	    *s++ != '-' || !location_number(&s, &level) || *s != '\0')
		return false;
	snprintf(out, 64, "%c%02ld-%02ld-%ld", block & ~0x20, aisle, bay, level);
	return true;
}

/*
 * The canonical form of V, a value of TYPE that passed the check: 0 with *REPLACE set to a new
 * value when V cannot be rewritten in place (an integer becoming a real), else left NULL.
 */
static int normalize_value(const struct wms_field *f, enum wms_type type, json_t *v,
                           json_t **replace)
{
	*replace = NULL;
	switch (type) {
	case WMS_T_TIME: {
		int64_t ms;
		char buf[WMS_TIME_BUFSZ];
		if (!json_is_string(v) || wms_time_parse(json_string_value(v), &ms) != 0)
			return 0; /* not what the check accepted: nothing to rewrite */
		wms_time_format(ms, buf);
		if (strcmp(buf, json_string_value(v)) != 0 && json_string_set(v, buf) != 0)
			return WMS_ENOMEM;
		return 0;
	}
	case WMS_T_STRING: {
		char canon[64];
		if (!(f->flags & WMS_F_LOCATION) || !json_is_string(v) ||
		    !location_canonical(json_string_value(v), canon) ||
		    strcmp(canon, json_string_value(v)) == 0)
			return 0;
		return json_string_set(v, canon) == 0 ? 0 : WMS_ENOMEM;
	}
	case WMS_T_NUMBER:
		if (json_is_integer(v) &&
		    (*replace = json_real((double)json_integer_value(v))) == NULL)
			return WMS_ENOMEM;
		return 0;
	case WMS_T_OBJECT:
		return json_is_object(v) ? normalize_object(f->schema, v, NULL) : 0;
	case WMS_T_ARRAY: {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			json_t *r;
			int rc;
			if (f->elem == WMS_T_OBJECT && json_is_string(e) &&
			    (f->flags & WMS_F_SHORTHAND)) {
				const struct wms_field *first = &f->schema->fields[0];
				rc = normalize_value(first, first->type, e, &r);
			} else {
				rc = normalize_value(f, f->elem, e, &r);
			}
			if (rc == 0 && r && json_array_set_new(v, i, r) != 0)
				rc = WMS_ENOMEM;
			if (rc)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int normalize_object(const struct wms_schema *schema, json_t *obj, const char *const *skip)
{
	for (const struct wms_field *f = schema->fields; f->name; f++) {
		json_t *v = json_object_get(obj, f->name), *r;
		if (v == NULL || json_is_null(v) || skipped(skip, f->name))
			continue;
		int rc = normalize_value(f, f->type, v, &r);
		if (rc == 0 && r && json_object_set_new(obj, f->name, r) != 0)
			rc = WMS_ENOMEM;
		if (rc)
			return rc;
	}
	return 0;
}

int wms_schema_normalize(const struct wms_schema *schema, json_t *obj, const char *const *skip)
{
	return json_is_object(obj) ? normalize_object(schema, obj, skip) : 0;
}

/* ---- locating a value ---- */

static int locate_in(const struct wms_schema *schema, const json_t *obj, const json_t *value,
                     const char *prefix, struct wms_schema_spot *spot);

/* Fills SPOT for a value found at PATH, described by F (may be NULL) as TYPE MIN..MAX. */
static int found(struct wms_schema_spot *spot, const char *path, const struct wms_field *f,
                 enum wms_type type, double min, double max)
{
	snprintf(spot->path, sizeof(spot->path), "%s", path);
	spot->field = f;
	spot->type = f ? type : 0;
	spot->min = f ? min : 0;
	spot->max = f ? max : 0;
	return 0;
}

/* Looks for VALUE at or under V (at PATH), described by F (NULL: not by the schema). */
static int locate_value(const struct wms_field *f, const json_t *v, const json_t *value,
                        const char *path, struct wms_schema_spot *spot)
{
	if (v == value)
		return found(spot, path, f, f ? f->type : 0, f ? f->min : 0, f ? f->max : 0);
	if (json_is_object(v))
		return locate_in(f && f->type == WMS_T_OBJECT ? f->schema : NULL, v, value, path,
		                 spot);
	if (!json_is_array(v))
		return WMS_ENOTFOUND;
	bool arr = f && f->type == WMS_T_ARRAY;
	size_t i;
	const json_t *e;
	json_array_foreach(v, i, e)
	{
		char p[PATH_MAX_LEN];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (e == value && arr) {
			if (f->elem == WMS_T_OBJECT && (f->flags & WMS_F_SHORTHAND)) {
				const struct wms_field *first = &f->schema->fields[0];
				return found(spot, p, first, first->type, first->min, first->max);
			}
			return found(spot, p, f, f->elem, f->emin, f->emax);
		}
		if (e == value)
			return found(spot, p, NULL, 0, 0, 0);
		if (json_is_object(e) &&
		    locate_in(arr && f->elem == WMS_T_OBJECT ? f->schema : NULL, e, value, p,
		              spot) == 0)
			return 0;
		if (json_is_array(e) && locate_value(NULL, e, value, p, spot) == 0)
			return 0;
	}
	return WMS_ENOTFOUND;
}

static int locate_in(const struct wms_schema *schema, const json_t *obj, const json_t *value,
                     const char *prefix, struct wms_schema_spot *spot)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct wms_field *f = NULL;
		for (const struct wms_field *g = schema ? schema->fields : NULL; g && g->name; g++)
			if (strcmp(g->name, key) == 0)
				f = g;
		char path[PATH_MAX_LEN], ex[48];
		join(path, prefix, excerpt(key, ex));
		if (locate_value(f, v, value, path, spot) == 0)
			return 0;
	}
	return WMS_ENOTFOUND;
}

int wms_schema_locate(const struct wms_schema *schema, const json_t *obj, const json_t *value,
                      struct wms_schema_spot *spot)
{
	if (!json_is_object(obj))
		return WMS_ENOTFOUND;
	return locate_in(schema, obj, value, "", spot);
}
