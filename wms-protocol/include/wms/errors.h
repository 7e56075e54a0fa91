/*
 * wms/errors.h - the engine's error codes, shared by the wire protocol and the code.
 *
 * Every function in the project returns 0 or a negative WMS_E* value. Each code has a stable
 * snake_case name that is what travels on the wire in {"error":{"code":...}}; PROTOCOL.md lists
 * them. Values are stored nowhere but are part of the C API: never renumber, only append.
 *
 * Threading: all functions here are pure and thread-safe.
 */
#ifndef WMS_ERRORS_H
#define WMS_ERRORS_H

#include <stddef.h>

#define WMS_ERRORS(X)                                                                              \
	/* request shape: the codec's verdicts */                                                  \
	X(WMS_EBADJSON, -1, "bad_json", "not valid JSON or not valid UTF-8")                       \
	X(WMS_ETOOLARGE, -2, "too_large", "message exceeds the size limit")                        \
	X(WMS_EBADREQ, -3, "bad_request", "request is not a JSON object with an op")               \
	X(WMS_EUNKNOWNOP, -4, "unknown_op", "op is not part of the protocol")                      \
	X(WMS_EMISSING, -5, "missing_field", "a required field is missing")                        \
	X(WMS_EUNKNOWNFIELD, -6, "unknown_field", "a field is not part of the op")                 \
	X(WMS_ETYPE, -7, "wrong_type", "a field has the wrong JSON type")                          \
	X(WMS_ERANGE, -8, "out_of_range", "a number or a count is outside its bounds")             \
	X(WMS_ETOOLONG, -9, "too_long", "a string is longer than its limit")                       \
	X(WMS_EVALUE, -10, "bad_value", "a field's value is malformed")                            \
	X(WMS_ETIME, -11, "bad_timestamp", "a timestamp is not RFC 3339")                          \
	X(WMS_EGTIN, -12, "bad_gtin", "a GTIN has a wrong length or check digit")                  \
	/* references and state */                                                                 \
	X(WMS_ENOTFOUND, -20, "not_found", "no such object")                                       \
	X(WMS_ETENANT, -21, "unknown_tenant", "tenant is not known")                               \
	X(WMS_EWAREHOUSE, -22, "unknown_warehouse", "warehouse is not known")                      \
	X(WMS_ESKU, -23, "unknown_sku", "sku is not in the item master")                           \
	X(WMS_ELOCATION, -24, "unknown_location", "location is not in the warehouse layout")       \
	X(WMS_ESERVICE, -25, "unknown_service", "service level is not offered")                    \
	X(WMS_EDUPGTIN, -26, "duplicate_gtin", "GTIN already belongs to another item")             \
	X(WMS_ECONFLICT, -27, "conflict", "same key, different content")                           \
	X(WMS_ESTATE, -28, "invalid_state", "the object's state does not allow this")              \
	X(WMS_ESTOCK, -29, "insufficient_stock", "not enough stock")                               \
	X(WMS_ESIMCLOCK, -30, "not_sim_clock", "engine runs on the wall clock")                    \
	X(WMS_ECARRIER, -31, "unknown_carrier", "carrier is not known")                            \
	X(WMS_ETZ, -32, "unknown_timezone", "timezone is not known")                               \
	/* engine condition */                                                                     \
	X(WMS_EBUSY, -40, "busy", "engine queue is full; retry later")                             \
	X(WMS_ESHUTDOWN, -41, "shutting_down", "engine is shutting down; retry later")             \
	X(WMS_EINTERNAL, -42, "internal", "internal error")                                        \
	X(WMS_ENOMEM, -43, "no_memory", "out of memory")                                           \
	X(WMS_EIO, -44, "io_error", "storage or network failure")                                  \
	X(WMS_EMAPFULL, -45, "store_full", "store map is full")                                    \
	X(WMS_ETIMEDOUT, -46, "timeout", "no answer in time")                                      \
	X(WMS_ECLOSED, -47, "closed", "connection or object closed")                               \
	/* scan verdicts: a refused scan is answered with one of these */                          \
	X(WMS_EUNKNOWNBARCODE, -60, "unknown_barcode", "barcode does not resolve")                 \
	X(WMS_EWRONGLOCATION, -61, "wrong_location", "not the task's location")                    \
	X(WMS_EWRONGITEM, -62, "wrong_item", "not the task's item")                                \
	X(WMS_EOVERPICK, -63, "over_pick", "more than the task's quantity")                        \
	X(WMS_EWRONGTOTE, -64, "wrong_tote", "not the order's tote")                               \
	X(WMS_EEXPIREDLOT, -65, "expired_lot", "lot is expired")                                   \
	X(WMS_EWRONGLOT, -66, "wrong_lot", "not the allocated lot")                                \
	X(WMS_ENOTINORDER, -67, "not_in_order", "item is not expected in this order")              \
	X(WMS_EOVERPACK, -68, "over_pack", "more than the order still needs")                      \
	X(WMS_EMISSINGINSERT, -69, "missing_insert", "gift insert not scanned")                    \
	X(WMS_EWEIGHT, -70, "weight_mismatch", "carton weight outside tolerance")                  \
	X(WMS_ESEQUENCE, -71, "out_of_sequence", "scan not expected at this step")                 \
	X(WMS_EINCOMPLETE, -72, "incomplete", "items still missing")

enum wms_err {
	WMS_OK = 0,
#define WMS_ERR_ENUM(sym, val, name, text) sym = val,
	WMS_ERRORS(WMS_ERR_ENUM)
#undef WMS_ERR_ENUM
};

/* The stable wire name of a code ("unknown_sku"); "internal" for an unknown value. */
const char *wms_errname(int code);

/* A short English description of a code, for logs and default messages. */
const char *wms_strerror(int code);

/* The code whose wire name is NAME, or 0 when NAME is not a known code. */
int wms_errcode(const char *name);

/*
 * A detailed error: the code, the field path it concerns ("order.lines[1].sku", may be empty)
 * and a message for people that names the field and the value. Embedded, fixed-size, no
 * ownership to manage; WMS_ERROR_INIT makes one usable at once.
 */
struct wms_error {
	int code;
	char field[128];
	char message[256];
};
#define WMS_ERROR_INIT                                                                             \
	{                                                                                          \
		0, "", ""                                                                          \
	}

/*
 * Fills ERR (when not NULL) and returns CODE, so that callers write
 *   return wms_error_set(err, WMS_ESKU, "lines[1].sku", "sku '%s' is not in the item master", s);
 * FIELD may be NULL. The message is truncated to fit.
 */
int wms_error_set(struct wms_error *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
