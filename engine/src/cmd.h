/*
 * cmd.h - what a command handler sees, and the one signature every handler has.
 *
 * A handler runs one validated request inside a store transaction and either
 *   - returns 0 with *reply set to a new JSON object (the reply's fields; the engine adds "ok"
 *     and "req_id"), having made its changes and emitted its events through ev_emit(); or
 *   - returns a negative WMS_E* code with c->err filled (cmd_fail), in which case everything
 *     it wrote, events included, is rolled back and the client gets the error.
 * A handler that must both record something and refuse (a rejected scan is a fact supervisors
 * need) returns 0 with a reply whose "ok" it sets to false itself.
 *
 * Handlers of read ops get a read-only transaction and may not emit events.
 * Time is c->now; handlers never read a clock.
 *
 * Threading: write handlers run on the writer thread only; read handlers on nng threads with
 * their own transaction. Handlers keep no state between calls outside the store.
 */
#ifndef WMS_CMD_H
#define WMS_CMD_H

#include <jansson.h>
#include <stdint.h>

#include "wms/errors.h"

struct wms_engine;
struct store_txn;
struct ev_batch;

struct cmd_ctx {
	struct wms_engine *eng;
	struct store_txn *txn;
	int64_t now;          /* engine time of this command, ms UTC */
	const json_t *req;    /* the validated request (borrowed) */
	struct wms_error err; /* set by a failing handler */
	/* Event staging, owned by the writer; NULL in read handlers. */
	struct ev_batch *evs;
	uint64_t *next_seq;
	/* Optional pre-encoded member spliced into the reply as "raw_name": raw_json (owned,
	 * malloc'd): lets events.read pass stored event texts through without re-encoding. */
	const char *raw_name;
	char *raw_json;
	/* Optional: what the handler leaves to be released once its reply is out, called as
	 * dispose(dispose_arg) on the delivery thread, after the reply was sent, whether the
	 * command succeeded or not. For large working sets (wave.plan's order documents, whose
	 * freeing costs the writer as much as their loading); it must touch nothing shared. */
	void (*dispose)(void *arg);
	void *dispose_arg;
};

typedef int (*cmd_handler)(struct cmd_ctx *c, json_t **reply);

/* Fills c->err and returns CODE: `return cmd_fail(c, WMS_ESKU, "order.lines[0].sku", ...)`. */
#define cmd_fail(c, code, field, ...) wms_error_set(&(c)->err, (code), (field), __VA_ARGS__)

/* Request field accessors for validated requests (the schema has checked types). */
static inline const char *req_str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}
static inline long long req_int(const json_t *o, const char *name, long long dflt)
{
	json_t *v = json_object_get(o, name);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}
static inline double req_num(const json_t *o, const char *name, double dflt)
{
	json_t *v = json_object_get(o, name);
	return json_is_number(v) ? json_number_value(v) : dflt;
}
static inline int req_bool(const json_t *o, const char *name, int dflt)
{
	json_t *v = json_object_get(o, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

#endif
