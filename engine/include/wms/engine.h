/*
 * wms/engine.h - the engine as a library (libwms): open a store, execute requests, serve them
 * over nng.
 *
 * Shape: requests are parsed and validated on the caller's thread (nng's threads when serving);
 * read-only ops run there in a read transaction; mutating ops are queued to ONE writer thread
 * that applies them in batches: one LMDB write transaction per batch, a nested transaction
 * per command, one durable commit, then replies and event publication. Nothing is answered
 * before its commit.
 *
 * Ownership: the engine owns its store, threads and sockets; reply texts handed to callers are
 * malloc'd and become theirs.
 * Errors: WMS_E* codes; wms_engine_open fills a struct wms_error naming what failed.
 */
#ifndef WMS_ENGINE_H
#define WMS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wms/errors.h"

struct wms_engine;

struct wms_engine_config {
	const char *data_dir;    /* LMDB environment directory (created when missing) */
	const char *listen_url;  /* REQ/REP commands; NULL: not served over nng */
	const char *events_url;  /* PUB events; NULL: not published */
	bool sim_clock;          /* engine time moves only by clock.set/clock.advance */
	int64_t sim_start_ms;    /* simulated time for a store that has none; 0: wall clock now */
	size_t map_size;         /* initial LMDB map; 0: 256 MiB (grown on demand) */
	size_t map_max;          /* map growth limit; 0: 64 GiB */
	size_t queue_max;        /* write commands waiting before `busy`; 0: 16384 */
	size_t batch_max;        /* commands per write transaction; 0: 1024 */
	int contexts;            /* REP contexts served concurrently; 0: 256 */
	int tick_ms;             /* period of the engine's own checks (promise watch); 0: 1000 */
	const char *sscc_prefix; /* GS1 company prefix for SSCCs; NULL: the demo prefix */
};

#define WMS_ENGINE_CONFIG_INIT                                                                     \
	{                                                                                          \
		"var/wms", NULL, NULL, false, 0, 0, 0, 0, 0, 0, 0, NULL                            \
	}

/* Opens the store and starts the writer (and the sockets when URLs are set). */
int wms_engine_open(const struct wms_engine_config *cfg, struct wms_engine **out,
                    struct wms_error *err);

/*
 * Graceful stop: stops accepting, lets the writer finish what is queued, commits, closes the
 * sockets and the store. Accepts NULL.
 */
void wms_engine_close(struct wms_engine *e);

/* Called exactly once with the reply text (ownership passes to the callee). */
typedef void (*wms_reply_fn)(void *arg, char *reply, size_t len);

/*
 * Executes request bytes REQ. DONE runs exactly once with the reply: on this thread for
 * invalid and read-only requests, on the engine's delivery thread after the commit for the
 * others (in commit order). DONE must not block, and must not wait for another write's
 * reply: the delivery thread delivers one reply at a time.
 */
void wms_engine_submit(struct wms_engine *e, const void *req, size_t len, wms_reply_fn done,
                       void *arg);

/* Synchronous form: waits for the reply and returns it in *REPLY (malloc'd, NUL-terminated). */
int wms_engine_call(struct wms_engine *e, const char *req, size_t len, char **reply,
                    size_t *reply_len);

/*
 * Runs the requests implied by a network file ({"tenants":[...],"warehouses":[...],"items":[...],
 * "stock":[...]}) when the store holds no warehouse yet; used by `wmsd --seed`. All or nothing:
 * every request is validated first, then all are applied in one write transaction, so a file
 * with one bad element leaves the store as it was. *LOADED receives the number of requests
 * applied (0 when the store was not empty).
 * Errors: WMS_EBADJSON (the file), the network file's errors (wms/network.h), or the code of
 * the first element refused, with ERR's field its path in the file ("stock[12].location") and
 * a message naming the element and its op ("stock[12] (stock.receive): location ...").
 */
int wms_engine_seed(struct wms_engine *e, const char *path, size_t *loaded, struct wms_error *err);

/* Asks a serving engine to stop; safe from a signal handler. wms_engine_wait returns then. */
void wms_engine_request_stop(struct wms_engine *e);
void wms_engine_wait(struct wms_engine *e);

#endif
