/* codec.c - envelope parsing and reply building (see wms/codec.h). */
#include "wms/codec.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Envelope fields every op accepts in addition to its schema. */
static const char *const envelope_fields[] = { "op", "req_id", "idem_key", NULL };

static size_t trim_tail(const char *p, size_t len)
{
	/* One terminating NUL from C clients, then any whitespace from shells. */
	if (len > 0 && p[len - 1] == '\0')
		len--;
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' ' ||
	                   p[len - 1] == '\t'))
		len--;
	return len;
}

/*
 * Rounds every real in V to WMS_JSON_REAL_DIGITS significant digits, in place. A real the
 * client wrote with more digits than the engine writes back would otherwise differ from its
 * own stored copy, and a resend would look like different content (conflict, "changed").
 * Recursion is bounded by jansson's parser depth limit.
 */
static void round_reals(json_t *v)
{
	char buf[40];
	const char *key;
	json_t *m;
	size_t i;
	switch (json_typeof(v)) {
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.*g", WMS_JSON_REAL_DIGITS, json_real_value(v));
		json_real_set(v, strtod(buf, NULL));
		break;
	case JSON_OBJECT:
		json_object_foreach(v, key, m)
		{
			round_reals(m);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
		{
			round_reals(m);
		}
		break;
	default:
		break;
	}
}

const char *wms_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a JSON object";
	case JSON_ARRAY:
		return "a JSON array";
	case JSON_STRING:
		return "a JSON string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a JSON number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a JSON boolean";
	case JSON_NULL:
		return "JSON null";
	}
	return "a JSON value";
}

/* What jansson can hold: the message's range when no field's bounds are known. */
#define JSON_NUMBER_RANGE                                                                          \
	"JSON numbers must be integers from -9223372036854775808 to 9223372036854775807 or reals " \
	"of magnitude below 1.8e308"

/* Whether C can be part of a JSON number. */
static bool number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* The first string in V (document order) that is the marker of locate_number: "\x1f". */
static json_t *find_marker(json_t *v)
{
	const char *key;
	json_t *m, *hit;
	size_t i;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strcmp(json_string_value(v), "\x1f") == 0 ? v : NULL;
	case JSON_OBJECT:
		json_object_foreach(v, key, m)
		{
			if ((hit = find_marker(m)) != NULL)
				return hit;
		}
		return NULL;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
		{
			if ((hit = find_marker(m)) != NULL)
				return hit;
		}
		return NULL;
	default:
		return NULL;
	}
}

/*
 * Where the number BUF[START..END) sits in the request: the number is replaced by a marker (a
 * string holding only US, ASCII 31, which no valid request contains) and the copy parsed
 * again; when that works and names an op, the marker's place in the op's schema fills *SPOT
 * (true). The copy becomes REQ's tree when it is an object with a valid req_id, so that the
 * reply can echo it.
 */
static bool locate_number(const char *buf, size_t len, size_t start, size_t end,
                          struct wms_request *req, struct wms_schema_spot *spot)
{
	static const char marker[] = "\"\\u001f\"";
	size_t n = len - (end - start) + sizeof(marker) - 1;
	char *copy = malloc(n);
	if (copy == NULL)
		return false;
	memcpy(copy, buf, start);
	memcpy(copy + start, marker, sizeof(marker) - 1);
	memcpy(copy + start + sizeof(marker) - 1, buf + end, len - end);
	json_t *root = json_loadb(copy, n, JSON_REJECT_DUPLICATES, NULL);
	free(copy);
	const char *opname = json_string_value(json_object_get(root, "op"));
	const struct wms_op_spec *op = opname ? wms_op_find(opname) : NULL;
	json_t *mark = op ? find_marker(root) : NULL;
	bool located = mark && wms_schema_locate(op->schema, root, mark, spot) == 0;
	const json_t *rid = json_object_get(root, "req_id");
	if (json_is_object(root) && json_is_string(rid) &&
	    json_string_length(rid) <= WMS_REQ_ID_MAX) {
		req->root = root;
		req->req_id = json_string_value(rid);
	} else {
		json_decref(root);
	}
	return located;
}

/*
 * The request had a number too large for jansson (100000000000000000000, 1e400), which it
 * refuses as a whole document. That is a number out of range, not bad JSON: out_of_range,
 * naming the number, where it is, and the range: the field's bounds when locate_number finds
 * the field, else what JSON numbers can hold (and an empty field when it finds nothing).
 */
static int number_overflow(const char *buf, size_t len, const json_error_t *jerr,
                           struct wms_request *req, struct wms_error *err)
{
	/* jansson stops just past the number. */
	size_t end =
	    jerr->position > 0 && (size_t)jerr->position <= len ? (size_t)jerr->position : 0;
	size_t start = end;
	while (start > 0 && number_char(buf[start - 1]))
		start--;
	char num[48];
	size_t n = end - start;
	if (n > 40)
		snprintf(num, sizeof(num), "%.37s...", buf + start);
	else
		snprintf(num, sizeof(num), "%.*s", (int)n, buf + start);
	int line = jerr->line, column = jerr->column - (int)n + 1;
	struct wms_schema_spot spot = { .field = NULL };
	bool located = n > 0 && locate_number(buf, len, start, end, req, &spot);
	if (located && spot.field && (spot.type == WMS_T_INT || spot.type == WMS_T_NUMBER) &&
	    (spot.min != 0 || spot.max != 0))
		return wms_error_set(err, WMS_ERANGE, spot.path,
		                     "%s is %s (line %d column %d); must be %.15g to %.15g",
		                     spot.path, num, line, column, spot.min, spot.max);
	if (located)
		return wms_error_set(err, WMS_ERANGE, spot.path,
		                     "%s is %s (line %d column %d), too large a number: %s",
		                     spot.path, num, line, column, JSON_NUMBER_RANGE);
	return wms_error_set(err, WMS_ERANGE, "",
	                     "the number %s at line %d column %d is too large: %s", num, line,
	                     column, JSON_NUMBER_RANGE);
}

int wms_request_parse(const void *buf, size_t len, struct wms_request *req, struct wms_error *err)
{
	*req = (struct wms_request)WMS_REQUEST_INIT;
	if (len > WMS_MAX_MESSAGE)
		return wms_error_set(err, WMS_ETOOLARGE, "",
		                     "message is %zu bytes; the limit is %d bytes", len,
		                     WMS_MAX_MESSAGE);
	len = trim_tail(buf, len);
	if (len == 0)
		return wms_error_set(err, WMS_EBADREQ, "", "empty message: send one JSON object");

	json_error_t jerr;
	/* JSON_REJECT_DUPLICATES: {"qty":1,"qty":1000} must not mean whichever came last.
	 * JSON_DECODE_ANY: `null` or `"ping"` is valid JSON that is not a request, bad_request
	 * like `[]`; without it jansson calls them bad JSON ("'[' or '{' expected"). */
	req->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req->root == NULL && json_error_code(&jerr) == json_error_numeric_overflow)
		return number_overflow((const char *)buf, len, &jerr, req, err);
	if (req->root == NULL)
		return wms_error_set(err, WMS_EBADJSON, "",
		                     "not valid JSON at line %d column %d (byte %d): %s", jerr.line,
		                     jerr.column, jerr.position, jerr.text);
	if (!json_is_object(req->root))
		return wms_error_set(err, WMS_EBADREQ, "",
		                     "the request is %s, not an object: a request is one JSON "
		                     "object with an \"op\" field",
		                     wms_json_kind(req->root));
	round_reals(req->root);

	json_t *rid = json_object_get(req->root, "req_id");
	if (rid) {
		if (!json_is_string(rid))
			return wms_error_set(err, WMS_ETYPE, "req_id", "req_id must be a string");
		if (json_string_length(rid) > WMS_REQ_ID_MAX)
			return wms_error_set(err, WMS_ETOOLONG, "req_id",
			                     "req_id is %zu bytes long; at most %d",
			                     json_string_length(rid), WMS_REQ_ID_MAX);
		req->req_id = json_string_value(rid);
	}
	json_t *op = json_object_get(req->root, "op");
	if (op == NULL)
		return wms_error_set(err, WMS_EMISSING, "op", "missing field 'op'");
	if (!json_is_string(op))
		return wms_error_set(err, WMS_ETYPE, "op", "op must be a string");
	req->op = wms_op_find(json_string_value(op));
	if (req->op == NULL)
		return wms_error_set(err, WMS_EUNKNOWNOP, "op", "unknown op '%.64s'",
		                     json_string_value(op));

	json_t *ik = json_object_get(req->root, "idem_key");
	if (ik) {
		if (!json_is_string(ik))
			return wms_error_set(err, WMS_ETYPE, "idem_key",
			                     "idem_key must be a string");
		if (!wms_id_valid(json_string_value(ik), WMS_IDEM_KEY_MAX))
			return wms_error_set(err, WMS_EVALUE, "idem_key",
			                     "idem_key must be 1-%d visible ASCII characters",
			                     WMS_IDEM_KEY_MAX);
		req->idem_key = json_string_value(ik);
	}
	int rc = wms_schema_check(req->op->schema, req->root, "", envelope_fields, err);
	if (rc)
		return rc;
	/* One spelling of each value from here on: stored documents, events and the comparison
	 * of a resend with what was stored all see the engine's form (wms/schema.h). */
	if (wms_schema_normalize(req->op->schema, req->root, envelope_fields) != 0)
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory normalising the request");
	return 0;
}

void wms_request_release(struct wms_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->root);
	*req = (struct wms_request)WMS_REQUEST_INIT;
}

/* Length of the valid UTF-8 sequence at S (up to END), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	size_t n = s[0] < 0x80                    ? 1
	           : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
	           : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
	           : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
	                                          : 0;
	if (n == 0 || (size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	/* overlong three-byte forms, surrogates, and beyond U+10FFFF */
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
		return 0;
	return n;
}

/*
 * TEXT as valid UTF-8 in OUT: messages quote what the client sent (jansson's "near '...'",
 * an unknown op cut at 64 bytes, perhaps inside a character), and a reply must still be JSON.
 * Each byte that does not start a valid sequence becomes '?'.
 */
static const char *utf8_clean(const char *text, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + strlen(text);
	size_t o = 0;
	while (s < end && o + 1 < cap) {
		size_t n = utf8_seq(s, end);
		if (n == 0) {
			out[o++] = '?';
			s++;
			continue;
		}
		if (o + n >= cap)
			break;
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
	return out;
}

json_t *wms_reply_error_json(const char *req_id, const struct wms_error *err)
{
	char msg[sizeof(err->message)], field[sizeof(err->field)];
	json_t *e = json_pack(
	    "{s:s, s:s}", "code", wms_errname(err->code), "message",
	    utf8_clean(err->message[0] ? err->message : wms_strerror(err->code), msg, sizeof(msg)));
	if (e && err->field[0])
		json_object_set_new(e, "field",
		                    json_string(utf8_clean(err->field, field, sizeof(field))));
	json_t *r = json_object();
	if (r == NULL || e == NULL) {
		json_decref(e);
		json_decref(r);
		return NULL;
	}
	json_object_set_new(r, "ok", json_false());
	if (req_id)
		json_object_set_new(r, "req_id", json_string(req_id));
	json_object_set_new(r, "error", e);
	return r;
}

char *wms_reply_error_text(const char *req_id, const struct wms_error *err, size_t *len)
{
	json_t *r = wms_reply_error_json(req_id, err);
	if (r == NULL)
		return NULL;
	char *s = json_dumps(r, WMS_JSON_DUMP);
	json_decref(r);
	if (s && len)
		*len = strlen(s);
	return s;
}

int wms_reply_status(const json_t *reply, struct wms_error *err)
{
	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	int c = wms_errcode(code);
	if (c == 0)
		c = WMS_EINTERNAL;
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	return wms_error_set(err, c, field, "%s", msg ? msg : wms_strerror(c));
}
