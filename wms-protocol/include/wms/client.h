/*
 * wms/client.h - talking to a running engine over nng: calls, pipelined calls, the event stream.
 *
 * Three tools on one connection object:
 *
 *   struct wms_client    synchronous request/reply on a REQ socket (one nng context per call,
 *                        so several threads may call at once);
 *   struct wms_pipeline  several requests in flight on the same socket (N contexts with aio),
 *                        each reply delivered to a callback; what `wmsctl submit` uses;
 *   struct wms_tailer    the event stream, each event exactly once and in seq order: SUB for
 *                        live events, events.read for the start, for gaps (PUB/SUB drops under
 *                        load) and for silence (a dropped LAST event shows no gap).
 *
 * Safe retries: a mutating op (WMS_OP_WRITE in wms/ops.h) sent without an idem_key gets a
 * random one (from /dev/urandom) written INTO the caller's request object, so nng's own resend
 * (NNG_OPT_REQ_RESENDTIME, after a reconnect or a slow reply) and a caller that retries with
 * the same object are both applied once. Ops the engine keys by their own content are left
 * alone: order.submit (tenant + order id) and the scans (device or station + scan_id).
 *
 * Errors: functions return 0 or a negative WMS_E* code and fill a struct wms_error (may be
 * NULL) with a message naming the URL or the field. Transport failures are WMS_ETIMEDOUT (no
 * connection or no reply in time), WMS_ECLOSED, WMS_EIO (the engine sent something that is not
 * a JSON object) and WMS_EVALUE (a malformed URL). A refusal by the engine ({"ok":false}) is NOT
 * a transport failure: the call returns 0 with the reply; read it with wms_reply_status().
 *
 * Ownership: replies handed to the caller are new references (json_decref them); requests are
 * borrowed (but see "safe retries"). The client must outlive pipelines and tailers made on it.
 * No nng value or error escapes this module.
 */
#ifndef WMS_CLIENT_H
#define WMS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wms/errors.h"

#define WMS_DEFAULT_URL        "tcp://127.0.0.1:7450"
#define WMS_DEFAULT_EVENTS_URL "tcp://127.0.0.1:7451"

/* ---- synchronous client ---- */

struct wms_client;

struct wms_client_opts {
	int connect_timeout_ms; /* open waits this long for the first connection; <= 0: no wait */
	int call_timeout_ms;    /* per call, send to reply; <= 0: WMS_CLIENT_CALL_TIMEOUT */
	int resend_ms;          /* REQ resend after this long without a reply; <= 0: default */
};
#define WMS_CLIENT_CALL_TIMEOUT 10000
#define WMS_CLIENT_RESEND_MS    5000
#define WMS_CLIENT_OPTS_INIT                                                                       \
	{                                                                                          \
		5000, WMS_CLIENT_CALL_TIMEOUT, WMS_CLIENT_RESEND_MS                                \
	}

/*
 * Dials URL (tcp:// or ipc://) without blocking, so an engine that starts later is found by
 * nng's reconnect; then waits up to OPTS->connect_timeout_ms for the first connection.
 * OPTS may be NULL (WMS_CLIENT_OPTS_INIT). Errors: WMS_EVALUE (bad URL), WMS_ETIMEDOUT (no
 * engine answered the dial in time), WMS_EIO, WMS_ENOMEM.
 */
int wms_client_open(const char *url, const struct wms_client_opts *opts, struct wms_client **out,
                    struct wms_error *err);

/* Closes the socket; calls in flight on other threads fail with WMS_ECLOSED. Accepts NULL. */
void wms_client_close(struct wms_client *c);

/* The URL the client dialled (borrowed, lives as long as the client). */
const char *wms_client_url(const struct wms_client *c);

/*
 * Sends REQUEST (a JSON object with "op") and waits for the reply: 0 with *REPLY set (a new
 * reference, "ok" true or false), or a transport error with *REPLY untouched. Adds an
 * idem_key to REQUEST when it is a write op without one (see "safe retries").
 * Errors: WMS_EBADREQ (not an object with a string op), WMS_ETOOLARGE, transport errors.
 */
int wms_client_call(struct wms_client *c, json_t *request, json_t **reply, struct wms_error *err);

/* The same for request text (JSON, parsed strictly first: WMS_EBADJSON names the position). */
int wms_client_call_text(struct wms_client *c, const char *text, size_t len, json_t **reply,
                         struct wms_error *err);

/*
 * Makes REQUEST safe to send twice: adds a random idem_key when it is a write op that the
 * engine does not key by content (see "safe retries") and has none. 0, or WMS_EIO when /dev/urandom
 * cannot be read, WMS_ENOMEM. The calls do this themselves; exposed for callers that encode
 * requests on their own.
 */
int wms_client_add_idem_key(struct wms_client *c, json_t *request, struct wms_error *err);

/* ---- pipelined client ---- */

struct wms_pipeline;

/*
 * Receives each request's outcome: RC 0 with REPLY (borrowed for the call; json_incref to
 * keep it), or a transport error with REPLY NULL and ERR saying what happened. Runs on an
 * nng thread, one call at a time (the pipeline serialises them); must not block for long and
 * must not call wms_pipeline_send.
 */
typedef void (*wms_pipeline_fn)(void *arg, void *tag, int rc, json_t *reply,
                                const struct wms_error *err);

/*
 * A pipeline of INFLIGHT (1..4096) contexts on C's socket. FN gets every reply. Errors:
 * WMS_ERANGE, WMS_ENOMEM, WMS_EIO.
 */
int wms_pipeline_new(struct wms_client *c, int inflight, wms_pipeline_fn fn, void *arg,
                     struct wms_pipeline **out, struct wms_error *err);

/*
 * Sends REQUEST (borrowed; gets an idem_key as for calls) with TAG, given back to FN. Blocks
 * while every context is busy. Errors: WMS_EBADREQ, WMS_ETOOLARGE, WMS_ENOMEM (FN is not
 * called for these). Called from one thread at a time.
 */
int wms_pipeline_send(struct wms_pipeline *p, json_t *request, void *tag, struct wms_error *err);

/* Waits until every request sent so far has been delivered to FN. */
void wms_pipeline_drain(struct wms_pipeline *p);

/* Drains, then frees the contexts. Accepts NULL. */
void wms_pipeline_free(struct wms_pipeline *p);

/* ---- event stream follower ---- */

/* One event, every pointer borrowed for the duration of the callback. */
struct wms_event {
	uint64_t seq;
	const char *type; /* "order.received" */
	const char *json; /* the event as compact JSON text, NUL-terminated */
	size_t json_len;
	const json_t *obj; /* the same, parsed */
};

/* Receives each event once, in seq order. Non-zero stops delivery; wms_tailer_next returns it. */
typedef int (*wms_event_fn)(void *arg, const struct wms_event *ev);

struct wms_tailer_opts {
	const char *events_url; /* PUB address of the engine; NULL: WMS_DEFAULT_EVENTS_URL */
	const char *prefix;     /* only events whose type starts with this; NULL or "": all */
	uint64_t after;         /* deliver events with seq > after ... */
	bool from_now;          /* ... or, when set, after the engine's last_seq at start */
	int idle_poll_ms;       /* poll events.read after this long without a live event */
	int recv_buffer;        /* SUB receive queue in messages; <= 0: 4096 */
	int page;               /* events per events.read; <= 0: 1000 */
};
#define WMS_TAILER_OPTS_INIT                                                                       \
	{                                                                                          \
		NULL, NULL, 0, false, 250, 0, 0                                                    \
	}

/* What the tailer did, for tests and benchmarks. */
struct wms_tailer_stats {
	uint64_t live;     /* events delivered from the SUB stream */
	uint64_t replayed; /* events delivered from events.read */
	uint64_t gaps;     /* live events that arrived after a jump in seq */
	uint64_t reads;    /* events.read calls */
	uint64_t dropped;  /* live events ignored because already delivered */
};

struct wms_tailer;

/*
 * Subscribes to OPTS->events_url (waiting up to the client's connect timeout for the
 * connection, so that nothing published from now on is missed silently), and reads the
 * starting point. C (borrowed) carries the events.read and ping calls. Errors: as
 * wms_client_open, plus the engine's refusals of ping.
 */
int wms_tailer_new(struct wms_client *c, const struct wms_tailer_opts *opts,
                   struct wms_tailer **out, struct wms_error *err);

/*
 * Delivers, in seq order and each once, every event it can get within about WAIT_MS: first the
 * backlog (events.read, paged), then live events, filling any jump in seq from events.read.
 * Returns 0 (possibly having delivered nothing), FN's non-zero value (delivery stops at that
 * event; the next call goes on after it), or a transport error (the position is kept: call
 * again to resume). One thread at a time.
 */
int wms_tailer_next(struct wms_tailer *t, int wait_ms, wms_event_fn fn, void *arg,
                    struct wms_error *err);

/*
 * The stream position: every event with seq <= it (of the prefix) has been delivered. It is
 * the last delivered seq, or further on when a filtered events.read scanned past events of
 * other types. Resume a later tailer with opts.after = this.
 */
uint64_t wms_tailer_position(const struct wms_tailer *t);

/* Counters since creation. */
void wms_tailer_stats(const struct wms_tailer *t, struct wms_tailer_stats *out);

/* Closes the subscription. Accepts NULL. */
void wms_tailer_free(struct wms_tailer *t);

#endif
