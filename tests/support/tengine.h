/*
 * tengine.h - an in-process engine on a fresh temporary store, for unit tests.
 *
 * Each test opens its own engine in its own mkdtemp directory (tests share nothing and run in
 * any order) and calls it with request texts; replies come back parsed. No sockets: the full
 * codec, dispatch, writer and group commit path runs, only the transport is skipped.
 *
 * The assertion macros print the reply when they fail, so a failing test names the error.
 */
#ifndef WMS_TEST_TENGINE_H
#define WMS_TEST_TENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "wms/engine.h"

struct tengine {
	char dir[256];
	struct wms_engine *e;
	struct wms_engine_config cfg;
};

/* A config for a temporary store: simulated clock at 2026-11-24T08:00:00Z. */
void tengine_config(struct tengine *t);
/* Creates the temp dir (when not yet made) and opens the engine with t->cfg. 0 or error. */
int tengine_start(struct tengine *t);
/* tengine_config + tengine_start; aborts the test on failure. */
void tengine_open(struct tengine *t);
/* Closes the engine, keeping the directory (for reopen tests). */
void tengine_stop(struct tengine *t);
/* Closes and removes the directory. */
void tengine_close(struct tengine *t);

/* Sends the printf-formatted request; returns the parsed reply (owned). Never NULL. */
json_t *tcall(struct tengine *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, asserting "ok":true; returns the reply. */
json_t *tcall_ok(struct tengine *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, asserting "ok":false with error code CODE; returns the reply. */
json_t *tcall_err(struct tengine *t, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Moves the simulated clock forward to AT (RFC 3339) unless it is already there or later: news
 * from a carrier arrives after it happened. */
void tclock_reach(struct tengine *t, const char *at);

/* The error code of a reply, or NULL when ok. */
const char *treply_code(const json_t *reply);

/* Loads a small network: tenant "acme" (allow_split), warehouse "W1" (10 aisles x 45 slots,
 * carrier DHL standard 17:00 2 days, express 15:00 1 day), items SKU-1..SKU-5 with valid
 * GTINs, 100 units of each at A01-01-1.. in W1. */
void tseed_basic(struct tengine *t);

/* Removes a directory tree. */
void trm_rf(const char *path);

/* Value at a dotted path ("order.state", "rows[0].qty"): borrowed, NULL when absent. */
json_t *tget(const json_t *root, const char *path);
const char *tget_str(const json_t *root, const char *path);
long long tget_int(const json_t *root, const char *path);

#endif
