/*
 * wms/codec.h - the wire envelope: parse and validate one request, build replies.
 *
 * A request is one JSON object, UTF-8, at most WMS_MAX_MESSAGE bytes, optionally followed by
 * whitespace (shells add a newline) or a single NUL (C clients send strings with their
 * terminator). It names its op; the op's schema (wms/ops.h) is applied strictly. Duplicate keys
 * are refused. The codec depends on libc and jansson only.
 *
 * Ownership: a parsed request owns its JSON tree; req_id and idem_key point into it and live
 * as long as the request. Reply texts are malloc'd and owned by the caller.
 * Threading: thread-safe, no shared state.
 */
#ifndef WMS_CODEC_H
#define WMS_CODEC_H

#include <jansson.h>
#include <stddef.h>

#include "wms/errors.h"
#include "wms/ops.h"

#define WMS_PROTOCOL_VERSION 1
/* Largest request the engine reads. An order of 1,000 lines is ~60 KiB. */
#define WMS_MAX_MESSAGE (1024 * 1024)
/* The transport's cap: frames up to this size are read and answered too_large; larger ones are
 * dropped by nng before they are buffered, so no client can pin more than this per connection. */
#define WMS_RECV_MAX     (2 * WMS_MAX_MESSAGE)
#define WMS_REQ_ID_MAX   128
#define WMS_IDEM_KEY_MAX 128

/*
 * Reals are kept and written with 15 significant digits (DBL_DIG): every decimal of up to 15
 * digits comes back exactly as it was written (40.7128, not jansson's default 17-digit
 * 40.712799999999999), and a real read back from what the engine wrote is the same double, so
 * stored documents compare equal to a resend of the request that made them. Everything that
 * serialises JSON uses WMS_JSON_DUMP (plus JSON_SORT_KEYS or JSON_INDENT where it needs them).
 */
#define WMS_JSON_REAL_DIGITS 15
#define WMS_JSON_DUMP        (JSON_COMPACT | JSON_REAL_PRECISION(WMS_JSON_REAL_DIGITS))

struct wms_request {
	json_t *root;                 /* owned; NULL when the bytes were not JSON */
	const struct wms_op_spec *op; /* NULL when the op is missing or unknown */
	const char *req_id;           /* borrowed from root; NULL when absent */
	const char *idem_key;         /* borrowed from root; NULL when absent */
};
#define WMS_REQUEST_INIT                                                                           \
	{                                                                                          \
		NULL, NULL, NULL, NULL                                                             \
	}

/*
 * Parses and validates BUF, rounding every real to WMS_JSON_REAL_DIGITS significant digits
 * (what the engine keeps), then rewrites the tree into the engine's one spelling of each value
 * (wms_schema_normalize: timestamps as wms_time_format writes them, number fields as reals),
 * so that a resend written by another JSON library compares equal. On success fills REQ and
 * returns 0. On failure returns the code with ERR filled; REQ may still hold the tree and
 * req_id (so the error can echo it), and must be released either way. Errors: bad_json,
 * too_large, bad_request, unknown_op, every schema error (missing_field, unknown_field,
 * wrong_type, out_of_range, too_long, bad_value, bad_timestamp), out_of_range for a number
 * too large for JSON parsing (100000000000000000000, 1e400: the message names it, its line
 * and column and the range; the field when it can be found), and no_memory.
 */
int wms_request_parse(const void *buf, size_t len, struct wms_request *req, struct wms_error *err);

/* What V is, for a message that refuses it: "a JSON string", "JSON null", ... (static). */
const char *wms_json_kind(const json_t *v);

/* Frees what REQ owns and resets it. Accepts a released or zeroed request. */
void wms_request_release(struct wms_request *req);

/*
 * {"ok":false,"req_id":...,"error":{"code","message","field"}} as compact text, malloc'd,
 * length in *LEN. REQ_ID may be NULL. Returns NULL only when out of memory.
 */
char *wms_reply_error_text(const char *req_id, const struct wms_error *err, size_t *len);

/* The same reply as a new JSON object (owned by the caller). */
json_t *wms_reply_error_json(const char *req_id, const struct wms_error *err);

/*
 * Reads a reply: 0 when "ok" is true; otherwise the error's code (WMS_EINTERNAL when the code
 * is unknown to this build) with ERR filled from the reply. Clients use this.
 */
int wms_reply_status(const json_t *reply, struct wms_error *err);

#endif
