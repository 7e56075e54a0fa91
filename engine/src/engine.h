/*
 * engine.h - the engine object shared by the writer, the server and the handlers (internal).
 *
 * Threading: fields marked (writer) are touched by the writer thread only; (lock) under mu;
 * (atomic) from anywhere; the rest are fixed after wms_engine_open.
 */
#ifndef WMS_ENGINE_INTERNAL_H
#define WMS_ENGINE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "events.h"
#include "wms/engine.h"

struct store;
struct server;
struct wcmd;

struct wms_engine {
	struct wms_engine_config cfg;
	char *data_dir; /* owned copy of cfg.data_dir */
	struct store *store;
	struct clock clock;

	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wcmd *head, *tail; /* (lock) the command queue */
	size_t queued;            /* (lock) */
	bool stopping;            /* (lock) no new commands; the writer drains and exits */
	bool paused;              /* (lock) tests hold the writer to fill the queue */

	uint64_t next_seq; /* (writer) next event seq to assign */
	json_t *wh_cache;  /* (writer) every warehouse document, or NULL: see master.h */
	json_t *item_cache; /* (writer) item documents read so far, by tenant and sku, or NULL */
	_Atomic uint64_t committed_seq; /* (atomic) last seq known durable */
	struct ev_batch evs;            /* (writer) events staged in the open batch */
	int64_t last_tick;              /* (writer) wall ms of the last periodic check */

	/* Delivery: replies and event publication of committed batches, in commit order, on
	 * their own thread so that socket writes overlap the next batch (engine.c). */
	pthread_t deliverer;
	bool deliverer_started;
	pthread_mutex_t dmu;
	pthread_cond_t dcv;             /* (dmu) a job is queued, or the writer is done */
	pthread_cond_t dspace;          /* (dmu) the queue has room */
	struct delivery *dhead, *dtail; /* (dmu) */
	size_t dqueued;                 /* (dmu) */
	bool dbusy;                     /* (dmu) the deliverer is sending a job it took */
	bool ddone;                     /* (dmu) the writer has exited: drain and stop */

	struct server *server;
	sem_t stop_sem;
	atomic_bool stop_requested;

	/* Counters for ping and the benchmarks; (atomic). Times in nanoseconds. */
	_Atomic uint64_t n_commits, n_commands;
	_Atomic uint64_t ns_exec;   /* running handlers, nested transactions included */
	_Atomic uint64_t ns_commit; /* the durable commits */
};

/* Holds (true) or releases the writer: queued commands wait. For tests of back-pressure. */
void engine_pause_writer(struct wms_engine *e, bool paused);

/* Publishes committed events (server.c); a no-op without an events socket. */
void server_publish(struct server *s, const struct ev_staged *ev);

#endif
