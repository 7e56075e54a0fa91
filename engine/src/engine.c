/*
 * engine.c - the request path, the writer thread and group commit (see wms/engine.h).
 *
 * A write command's life: parsed and validated on the caller's thread -> queued (bounded; a
 * full queue answers busy) -> the writer takes every queued command up to batch_max -> one
 * write transaction, each command in a nested transaction (idempotency check, handler,
 * idempotency record) -> one durable commit -> replies -> events published.
 */
#include "jtext.h"
#include "engine.h"

#include "dispatch.h"
#include "keys.h"
#include "master.h"
#include "server.h"
#include "store.h"
#include "wms/codec.h"
#include "wms/network.h"
#include "wms/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_QUEUE_MAX 16384
#define DEFAULT_BATCH_MAX 1024
#define DEFAULT_TICK_MS   1000
#define META_SIM_CLOCK    "sim_clock_ms"

struct seed_job;

struct wcmd {
	struct wms_request req;
	cmd_handler handler;
	struct seed_job *seed; /* a whole network file in one transaction (seeding), or NULL */
	wms_reply_fn done;
	void *arg;
	char *reply;
	size_t reply_len;
	void (*dispose)(void *arg); /* cmd_ctx.dispose of the command's last run */
	void *dispose_arg;
	struct wcmd *next;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- replies ---- */

static char *dump_reply(json_t *obj, const char *raw_name, const char *raw, size_t *len)
{
	size_t n;
	char *s = jtext_dumps(obj, &n);
	if (s == NULL || raw_name == NULL || raw == NULL) {
		if (s)
			*len = n;
		return s;
	}
	/* Splice ,"name":RAW before the closing brace. */
	size_t nl = strlen(raw_name), rl = strlen(raw);
	char *out = malloc(n + nl + rl + 8);
	if (out == NULL) {
		free(s);
		return NULL;
	}
	size_t k = n - 1; /* drop '}' */
	memcpy(out, s, k);
	k += (size_t)sprintf(out + k, ",\"%s\":", raw_name);
	memcpy(out + k, raw, rl);
	k += rl;
	out[k++] = '}';
	out[k] = '\0';
	free(s);
	*len = k;
	return out;
}

static char *reply_ok(const char *req_id, json_t *body, const char *raw_name, const char *raw,
                      size_t *len)
{
	json_t *r = json_object();
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "ok", json_true());
	if (req_id)
		json_object_set_new(r, "req_id", json_string(req_id));
	if (body)
		json_object_update(r, body); /* a refusing handler's "ok":false wins */
	char *s = dump_reply(r, raw_name, raw, len);
	json_decref(r);
	return s;
}

static char *reply_err(const char *req_id, const struct wms_error *err, size_t *len)
{
	return wms_reply_error_text(req_id, err, len);
}

/* The error to report for RC: the handler's own when it set one for this code. */
static const struct wms_error *err_for(struct cmd_ctx *c, int rc)
{
	if (c->err.code != rc)
		wms_error_set(&c->err, rc, "", "%s", wms_strerror(rc));
	return &c->err;
}

/* Last resort when even the error reply cannot be built: a fixed text. */
static char *reply_oom(size_t *len)
{
	static const char t[] =
	    "{\"ok\":false,\"error\":{\"code\":\"no_memory\",\"message\":\"out of memory\"}}";
	char *s = strdup(t);
	*len = s ? sizeof(t) - 1 : 0;
	return s;
}

static void deliver(struct wcmd *w)
{
	if (w->reply == NULL)
		w->reply = reply_oom(&w->reply_len);
	w->done(w->arg, w->reply, w->reply_len);
	w->reply = NULL;
	if (w->dispose)
		w->dispose(w->dispose_arg);
	wms_request_release(&w->req);
	free(w);
}

/* Releases what a run of W left for after its reply (cmd_ctx.dispose), now. */
static void dispose_now(struct wcmd *w)
{
	if (w->dispose)
		w->dispose(w->dispose_arg);
	w->dispose = NULL;
	w->dispose_arg = NULL;
}

static void fail_cmd(struct wcmd *w, int code, const char *msg)
{
	struct wms_error err = WMS_ERROR_INIT;
	wms_error_set(&err, code, "", "%s", msg ? msg : wms_strerror(code));
	free(w->reply);
	w->reply = reply_err(w->req.req_id, &err, &w->reply_len);
}

/* ---- idempotency ---- */

/* The request as the client meant it: without the envelope's per-attempt fields. */
static char *canonical_request(const json_t *root)
{
	json_t *copy = json_copy((json_t *)root);
	if (copy == NULL)
		return NULL;
	json_object_del(copy, "req_id");
	json_object_del(copy, "idem_key");
	char *s = json_dumps(copy, WMS_JSON_DUMP | JSON_SORT_KEYS);
	json_decref(copy);
	return s;
}

static void idem_key_of(const struct wms_request *req, struct key *k)
{
	key_str(k, req->op->name);
	key_str(k, req->idem_key);
}

/* 1 with *STORED set when this key was already applied with the same request; 0 when new. */
static int idem_lookup(struct cmd_ctx *c, const struct wms_request *req, const char *canon,
                       json_t **stored)
{
	struct key k = KEY_INIT;
	json_t *doc;
	idem_key_of(req, &k);
	int rc = store_get_json(c->txn, STORE_IDEM, k.b, k.n, &doc);
	if (rc == WMS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	const char *prev = json_string_value(json_object_get(doc, "req"));
	if (prev == NULL || strcmp(prev, canon) != 0) {
		json_decref(doc);
		return cmd_fail(c, WMS_ECONFLICT, "idem_key",
		                "idem_key '%s' was already used for a different %s request",
		                req->idem_key, req->op->name);
	}
	*stored = json_incref(json_object_get(doc, "reply"));
	json_decref(doc);
	return 1;
}

static int idem_save(struct cmd_ctx *c, const struct wms_request *req, const char *canon,
                     json_t *body)
{
	struct key k = KEY_INIT;
	char at[WMS_TIME_BUFSZ];
	idem_key_of(req, &k);
	json_t *doc = json_pack("{s:s, s:O, s:s}", "req", canon, "reply", body ? body : json_null(),
	                        "at", wms_time_format(c->now, at));
	if (doc == NULL)
		return WMS_ENOMEM;
	int rc = store_put_json(c->txn, STORE_IDEM, k.b, k.n, doc, 0);
	json_decref(doc);
	return rc;
}

/* ---- execution ---- */

static void ctx_init(struct cmd_ctx *c, struct wms_engine *e, struct store_txn *txn,
                     const json_t *req, bool writable)
{
	*c = (struct cmd_ctx){ .eng = e, .txn = txn, .now = clock_now(&e->clock), .req = req };
	c->err = (struct wms_error)WMS_ERROR_INIT;
	if (writable) {
		c->evs = &e->evs;
		c->next_seq = &e->next_seq;
	}
}

/*
 * Runs request REQ with HANDLER in C, a fresh context on TXN: the idempotency check, the
 * handler, the idempotency record. Returns 0 with *BODY set (the handler's reply, or the
 * stored one for a resend), or the error code with c->err filled. The caller commits or
 * aborts TXN and frees *BODY and c->raw_json.
 */
static int run_command(struct wms_engine *e, struct store_txn *txn, const struct wms_request *req,
                       cmd_handler handler, struct cmd_ctx *c, json_t **body)
{
	char *canon = NULL;
	int rc = 0;
	ctx_init(c, e, txn, req->root, true);
	if (req->idem_key) {
		canon = canonical_request(req->root);
		rc = canon ? idem_lookup(c, req, canon, body) : WMS_ENOMEM;
	}
	if (rc == 0) {
		rc = handler(c, body);
		if (rc == 0 && req->idem_key)
			rc = idem_save(c, req, canon, *body);
	} else if (rc == 1) {
		rc = 0; /* a resend: answer what was answered, change nothing */
	}
	free(canon);
	return rc;
}

static int exec_seed(struct wms_engine *e, struct store_txn *top, struct wcmd *w);

/* Runs one write command in a child of TOP. Returns WMS_EMAPFULL (nothing kept, retry after
 * growing the map) or 0 with w->reply set, success or refusal. */
static int exec_write(struct wms_engine *e, struct store_txn *top, struct wcmd *w)
{
	struct store_txn *child;
	struct cmd_ctx c;
	json_t *body = NULL;
	size_t ev_mark = e->evs.n;
	uint64_t seq_mark = e->next_seq;
	if (w->seed)
		return exec_seed(e, top, w);
	/* A command retried after its batch failed to commit is answered afresh. */
	free(w->reply);
	w->reply = NULL;
	dispose_now(w);
	int rc = store_nested_begin(top, &child);
	if (rc)
		return rc == WMS_EMAPFULL ? rc : (fail_cmd(w, rc, NULL), 0);
	rc = run_command(e, child, &w->req, w->handler, &c, &body);
	w->dispose = c.dispose;
	w->dispose_arg = c.dispose_arg;
	if (rc == 0)
		rc = store_commit(child);
	else
		store_abort(child);

	if (rc) {
		e->next_seq = seq_mark;
		ev_batch_truncate(&e->evs, ev_mark);
		json_decref(body);
		free(c.raw_json);
		if (rc == WMS_EMAPFULL)
			return rc;
		w->reply = reply_err(w->req.req_id, err_for(&c, rc), &w->reply_len);
		return 0;
	}
	w->reply = reply_ok(w->req.req_id, body, c.raw_name, c.raw_json, &w->reply_len);
	json_decref(body);
	free(c.raw_json);
	return 0;
}

/*
 * Delivery. Once a batch is durable its replies and its events are handed, in commit order,
 * to the delivery thread: nng writes each reply to its socket inside nng_ctx_send, and with
 * the writer doing that itself a fifth of its time went to socket writes instead of the next
 * batch. One thread keeps replies after their commit and events in seq order. The queue is
 * bounded: a writer more than DELIVERY_MAX batches ahead waits.
 */
#define DELIVERY_MAX 64

struct delivery {
	struct wcmd *replies; /* answered commands, linked by next */
	struct ev_batch evs;  /* committed events to publish */
	struct delivery *next;
};

/* Hands the answered commands of LIST (may be NULL) and the staged events to the deliverer;
 * without memory, or before the deliverer runs, delivers here, once everything handed off
 * before is out (replies after their commit and events in seq order, still). */
static void hand_off(struct wms_engine *e, struct wcmd *list)
{
	struct delivery *d = e->deliverer_started ? malloc(sizeof(*d)) : NULL;
	if (d == NULL) {
		if (e->deliverer_started) {
			pthread_mutex_lock(&e->dmu);
			while (e->dqueued > 0 || e->dbusy)
				pthread_cond_wait(&e->dspace, &e->dmu);
			pthread_mutex_unlock(&e->dmu);
		}
		for (struct wcmd *x = list; x;) {
			struct wcmd *n = x->next;
			deliver(x);
			x = n;
		}
		for (size_t i = 0; i < e->evs.n; i++)
			if (e->server)
				server_publish(e->server, &e->evs.v[i]);
		ev_batch_truncate(&e->evs, 0);
		return;
	}
	d->replies = list;
	d->evs = e->evs;
	d->next = NULL;
	e->evs = (struct ev_batch)EV_BATCH_INIT;
	pthread_mutex_lock(&e->dmu);
	while (e->dqueued >= DELIVERY_MAX)
		pthread_cond_wait(&e->dspace, &e->dmu);
	if (e->dtail)
		e->dtail->next = d;
	else
		e->dhead = d;
	e->dtail = d;
	e->dqueued++;
	pthread_cond_signal(&e->dcv);
	pthread_mutex_unlock(&e->dmu);
}

static void publish_staged(struct wms_engine *e)
{
	hand_off(e, NULL);
}

static void *deliverer_main(void *arg)
{
	struct wms_engine *e = arg;
	for (;;) {
		pthread_mutex_lock(&e->dmu);
		while (e->dhead == NULL && !e->ddone)
			pthread_cond_wait(&e->dcv, &e->dmu);
		struct delivery *d = e->dhead;
		if (d) {
			e->dhead = d->next;
			if (e->dhead == NULL)
				e->dtail = NULL;
			e->dqueued--;
			e->dbusy = true;
		}
		pthread_mutex_unlock(&e->dmu);
		if (d == NULL)
			return NULL; /* the writer is done and everything is out */
		for (struct wcmd *x = d->replies; x;) {
			struct wcmd *n = x->next;
			deliver(x);
			x = n;
		}
		for (size_t i = 0; i < d->evs.n; i++)
			if (e->server)
				server_publish(e->server, &d->evs.v[i]);
		ev_batch_release(&d->evs);
		free(d);
		pthread_mutex_lock(&e->dmu);
		e->dbusy = false;
		pthread_cond_signal(&e->dspace);
		pthread_mutex_unlock(&e->dmu);
	}
}

static void reload_sim_clock(struct wms_engine *e);

/*
 * Applies the commands of LIST in as few transactions as possible: normally one. A command
 * that fills the map ends the transaction before it (its predecessors commit), the map grows,
 * and it is retried in the next one.
 */
static void process_batch(struct wms_engine *e, struct wcmd *list)
{
	struct wcmd *pending = list;
	while (pending) {
		struct store_txn *top;
		uint64_t seq0 = e->next_seq;
		int rc = store_write_begin(e->store, &top);
		if (rc) {
			while (pending) {
				struct wcmd *n = pending->next;
				fail_cmd(pending, rc, "the store could not start a transaction");
				deliver(pending);
				pending = n;
			}
			return;
		}
		struct wcmd *w;
		bool full = false;
		size_t ran = 0;
		uint64_t t0 = mono_ns();
		for (w = pending; w; w = w->next, ran++)
			if (exec_write(e, top, w) == WMS_EMAPFULL) {
				full = true;
				break;
			}
		uint64_t t1 = mono_ns();
		rc = ran ? store_commit(top) : (store_abort(top), 0);
		atomic_fetch_add(&e->ns_exec, t1 - t0);
		atomic_fetch_add(&e->ns_commit, mono_ns() - t1);
		if (rc) {
			/* Nothing of this transaction is on disk: undo what the writer staged. */
			e->next_seq = seq0;
			ev_batch_truncate(&e->evs, 0);
			master_cache_drop(e);
			reload_sim_clock(e);
			if (rc == WMS_EMAPFULL && store_grow(e->store) == 0)
				continue; /* retry the same commands with a larger map */
			for (struct wcmd *x = pending; x != w;) {
				struct wcmd *n = x->next;
				fail_cmd(x, rc,
				         "the batch could not be committed; nothing was applied");
				deliver(x);
				x = n;
			}
			pending = w;
			continue;
		}
		if (ran) {
			atomic_store(&e->committed_seq, e->next_seq - 1);
			atomic_fetch_add(&e->n_commits, 1);
			atomic_fetch_add(&e->n_commands, ran);
			/* The committed ones, cut off the list, go to the deliverer. */
			struct wcmd *done = pending, *x = pending;
			while (x->next != w)
				x = x->next;
			x->next = NULL;
			hand_off(e, done);
		}
		pending = w;
		if (full && store_grow(e->store) != 0) {
			if (ran == 0) {
				/* Alone in a transaction and still too big for the largest map. */
				struct wcmd *n = w->next;
				fail_cmd(w, WMS_EMAPFULL,
				         "the store is full (map at its maximum size)");
				deliver(w);
				pending = n;
			}
		}
	}
}

/* The engine's own periodic duties, in their own transaction. */
static void run_tick(struct wms_engine *e)
{
	struct store_txn *top;
	struct cmd_ctx c;
	uint64_t seq0 = e->next_seq;
	if (store_write_begin(e->store, &top) != 0)
		return;
	ctx_init(&c, e, top, NULL, true);
	int rc = dispatch_tick(&c);
	if (rc == 0 && e->evs.n == 0) {
		store_abort(top); /* nothing happened: no fsync */
		return;
	}
	rc = rc ? (store_abort(top), rc) : store_commit(top);
	if (rc) {
		master_cache_drop(e);
		e->next_seq = seq0;
		ev_batch_truncate(&e->evs, 0);
		if (rc == WMS_EMAPFULL)
			store_grow(e->store);
		return;
	}
	atomic_store(&e->committed_seq, e->next_seq - 1);
	publish_staged(e);
}

static void *writer_main(void *arg)
{
	struct wms_engine *e = arg;
	size_t batch_max = e->cfg.batch_max;
	for (;;) {
		pthread_mutex_lock(&e->mu);
		while ((e->head == NULL || e->paused) && !e->stopping) {
			if (e->clock.sim) {
				pthread_cond_wait(&e->cv, &e->mu);
				continue;
			}
			int64_t due = e->last_tick + e->cfg.tick_ms;
			int64_t now = wms_wall_ms();
			if (now >= due)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wait = due - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&e->cv, &e->mu, &ts);
		}
		struct wcmd *list = e->head, *last = NULL;
		size_t n = 0;
		bool hold = e->paused && !e->stopping;
		for (struct wcmd *w = e->head; w && n < batch_max && !hold; w = w->next, n++)
			last = w;
		if (last) {
			e->head = last->next;
			if (e->head == NULL)
				e->tail = NULL;
			last->next = NULL;
			e->queued -= n;
		} else {
			list = NULL;
		}
		bool exit_now = e->stopping && e->head == NULL && list == NULL;
		pthread_mutex_unlock(&e->mu);

		if (list)
			process_batch(e, list);
		if (!e->clock.sim && wms_wall_ms() - e->last_tick >= e->cfg.tick_ms) {
			e->last_tick = wms_wall_ms();
			run_tick(e);
		}
		if (exit_now)
			break;
	}
	return NULL;
}

static int enqueue(struct wms_engine *e, struct wcmd *w)
{
	int rc = 0;
	pthread_mutex_lock(&e->mu);
	if (e->stopping) {
		rc = WMS_ESHUTDOWN;
	} else if (e->queued >= e->cfg.queue_max) {
		rc = WMS_EBUSY;
	} else {
		w->next = NULL;
		if (e->tail)
			e->tail->next = w;
		else
			e->head = w;
		e->tail = w;
		e->queued++;
		pthread_cond_signal(&e->cv);
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static void exec_read(struct wms_engine *e, struct wcmd *w)
{
	struct store_txn *txn;
	struct cmd_ctx c;
	json_t *body = NULL;
	int rc = store_read_begin(e->store, &txn);
	if (rc) {
		fail_cmd(w, rc, "the store could not start a read transaction");
		return;
	}
	ctx_init(&c, e, txn, w->req.root, false);
	rc = w->handler(&c, &body);
	w->dispose = c.dispose;
	w->dispose_arg = c.dispose_arg;
	store_abort(txn);
	if (rc)
		w->reply = reply_err(w->req.req_id, err_for(&c, rc), &w->reply_len);
	else
		w->reply = reply_ok(w->req.req_id, body, c.raw_name, c.raw_json, &w->reply_len);
	json_decref(body);
	free(c.raw_json);
}

void wms_engine_submit(struct wms_engine *e, const void *req, size_t len, wms_reply_fn done,
                       void *arg)
{
	struct wcmd *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		size_t n;
		char *s = reply_oom(&n);
		done(arg, s, n);
		return;
	}
	w->done = done;
	w->arg = arg;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = wms_request_parse(req, len, &w->req, &err);
	if (rc) {
		w->reply = reply_err(w->req.req_id, &err, &w->reply_len);
		deliver(w);
		return;
	}
	w->handler = dispatch_handler(w->req.op);
	if (w->req.op->flags & WMS_OP_READ) {
		exec_read(e, w);
		deliver(w);
		return;
	}
	rc = enqueue(e, w);
	if (rc) {
		fail_cmd(w, rc,
		         rc == WMS_EBUSY
		             ? "the engine's queue is full; retry shortly"
		             : "the engine is shutting down; retry against the restarted engine");
		deliver(w);
	}
}

/* ---- synchronous calls ---- */

struct call_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	char *reply;
	size_t len;
};

static void call_done(void *arg, char *reply, size_t len)
{
	struct call_wait *cw = arg;
	pthread_mutex_lock(&cw->mu);
	cw->reply = reply;
	cw->len = len;
	cw->done = true;
	pthread_cond_signal(&cw->cv);
	pthread_mutex_unlock(&cw->mu);
}

int wms_engine_call(struct wms_engine *e, const char *req, size_t len, char **reply,
                    size_t *reply_len)
{
	struct call_wait cw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, NULL,
		                0 };
	wms_engine_submit(e, req, len, call_done, &cw);
	pthread_mutex_lock(&cw.mu);
	while (!cw.done)
		pthread_cond_wait(&cw.cv, &cw.mu);
	pthread_mutex_unlock(&cw.mu);
	pthread_mutex_destroy(&cw.mu);
	pthread_cond_destroy(&cw.cv);
	if (cw.reply == NULL)
		return WMS_ENOMEM;
	*reply = cw.reply;
	if (reply_len)
		*reply_len = cw.len;
	return 0;
}

/* ---- lifecycle ---- */

static void reload_sim_clock(struct wms_engine *e)
{
	struct store_txn *txn;
	struct store_val v;
	if (!e->clock.sim || store_read_begin(e->store, &txn) != 0)
		return;
	if (store_get(txn, STORE_META, META_SIM_CLOCK, strlen(META_SIM_CLOCK), &v) == 0 &&
	    v.len == 8)
		clock_set(&e->clock, (int64_t)key_get_u64(v.data));
	store_abort(txn);
}

static int load_state(struct wms_engine *e)
{
	struct store_txn *txn;
	uint64_t last;
	int rc = store_read_begin(e->store, &txn);
	if (rc)
		return rc;
	rc = ev_last_seq(txn, &last);
	store_abort(txn);
	if (rc)
		return rc;
	e->next_seq = last + 1;
	atomic_store(&e->committed_seq, last);
	int64_t start = e->cfg.sim_start_ms ? e->cfg.sim_start_ms : wms_wall_ms();
	clock_init(&e->clock, e->cfg.sim_clock, start);
	reload_sim_clock(e); /* a restarted simulation resumes at its own time */
	return 0;
}

int wms_engine_open(const struct wms_engine_config *cfg, struct wms_engine **out,
                    struct wms_error *err)
{
	struct wms_engine *e = calloc(1, sizeof(*e));
	int rc;
	if (e == NULL)
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	e->cfg = *cfg;
	if (e->cfg.queue_max == 0)
		e->cfg.queue_max = DEFAULT_QUEUE_MAX;
	if (e->cfg.batch_max == 0)
		e->cfg.batch_max = DEFAULT_BATCH_MAX;
	if (e->cfg.tick_ms <= 0)
		e->cfg.tick_ms = DEFAULT_TICK_MS;
	e->data_dir = strdup(cfg->data_dir ? cfg->data_dir : "var/wms");
	e->cfg.data_dir = e->data_dir;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	pthread_mutex_init(&e->dmu, NULL);
	pthread_cond_init(&e->dcv, NULL);
	pthread_cond_init(&e->dspace, NULL);
	sem_init(&e->stop_sem, 0, 0);
	e->last_tick = wms_wall_ms();

	if ((rc = dispatch_check(err)))
		goto fail;
	struct store_opts so = { cfg->map_size, cfg->map_max };
	if ((rc = store_open(e->data_dir, &so, &e->store))) {
		long owner = rc == WMS_EBUSY ? store_lock_owner(e->data_dir) : 0;
		char who[48] = "";
		if (owner > 0) /* 0 while the holder is still writing its pid */
			snprintf(who, sizeof(who), " (pid %ld)", owner);
		if (rc == WMS_EBUSY)
			wms_error_set(err, rc, "data",
			              "the store in '%s' is in use by another engine%s; one engine "
			              "per data directory",
			              e->data_dir, who);
		else
			wms_error_set(err, rc, "data", "cannot open the store in '%s': %s",
			              e->data_dir, wms_strerror(rc));
		goto fail;
	}
	if ((rc = load_state(e))) {
		wms_error_set(err, rc, "data", "cannot read the store in '%s': %s", e->data_dir,
		              wms_strerror(rc));
		goto fail;
	}
	/* The sockets first: the threads read e->server and never see it change. Requests that
	 * arrive before the writer runs wait in its queue. */
	if (cfg->listen_url || cfg->events_url) {
		if ((rc = server_open(e, cfg->listen_url, cfg->events_url, cfg->contexts,
		                      &e->server, err)))
			goto fail;
	}
	if (pthread_create(&e->deliverer, NULL, deliverer_main, e) != 0) {
		rc = wms_error_set(err, WMS_EINTERNAL, "", "cannot start the delivery thread");
		goto fail;
	}
	e->deliverer_started = true;
	if (pthread_create(&e->writer, NULL, writer_main, e) != 0) {
		rc = wms_error_set(err, WMS_EINTERNAL, "", "cannot start the writer thread");
		goto fail;
	}
	e->writer_started = true;
	*out = e;
	return 0;
fail:
	wms_engine_close(e);
	return rc;
}

void wms_engine_close(struct wms_engine *e)
{
	if (e == NULL)
		return;
	/* Stop taking requests from the network first, so nothing new arrives while the writer
	 * drains; replies to what is queued still go out on the open sockets. */
	if (e->server)
		server_stop_accepting(e->server);
	pthread_mutex_lock(&e->mu);
	e->stopping = true;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->writer_started)
		pthread_join(e->writer, NULL);
	/* Everything committed is answered and published before the sockets close. */
	if (e->deliverer_started) {
		pthread_mutex_lock(&e->dmu);
		e->ddone = true;
		pthread_cond_signal(&e->dcv);
		pthread_mutex_unlock(&e->dmu);
		pthread_join(e->deliverer, NULL);
	}
	server_close(e->server);
	master_cache_drop(e);
	ev_batch_release(&e->evs);
	store_close(e->store);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->dmu);
	pthread_cond_destroy(&e->dcv);
	pthread_cond_destroy(&e->dspace);
	sem_destroy(&e->stop_sem);
	free(e->data_dir);
	free(e);
}

void engine_pause_writer(struct wms_engine *e, bool paused)
{
	pthread_mutex_lock(&e->mu);
	e->paused = paused;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

void wms_engine_request_stop(struct wms_engine *e)
{
	atomic_store(&e->stop_requested, true);
	sem_post(&e->stop_sem); /* async-signal-safe */
}

void wms_engine_wait(struct wms_engine *e)
{
	while (sem_wait(&e->stop_sem) != 0 && errno == EINTR)
		;
}

/* ---- seeding ---- */

/*
 * Seeding is all or nothing: a network file that fails half-way must not leave a store with
 * some warehouses and no stock, which `wmsd --seed` would then never seed again. Every request
 * is parsed and checked against its schema first, on the caller's thread; then the writer runs
 * them all in ONE nested transaction of its batch and commits them together or not at all.
 */
struct seed_item {
	struct wms_request req;
	cmd_handler handler;
	char what[48]; /* its place in the file: "stock[12]" */
};

struct seed_job {
	struct seed_item *v;
	size_t n, cap;
};

/*
 * ERR for element IT refused with E: the message names the element and its op, the field is
 * the path in the file ("warehouses[1].layout.depot.aisle" for the request's
 * "warehouse.layout.depot.aisle").
 */
static int seed_error(struct wms_error *err, const struct seed_item *it, const struct wms_error *e)
{
	const char *op = it->req.op ? it->req.op->name : "?";
	const char *field = e->field;
	size_t member = strcspn(op, ".");
	/* The element is the request's member object (warehouse.put's "warehouse"). */
	if (strncmp(field, op, member) == 0 && field[member] == '.')
		field += member + 1;
	char path[sizeof(it->what) + sizeof(e->field) + 1]; /* cut to fit by wms_error_set */
	snprintf(path, sizeof(path), "%s%s%s", it->what, field[0] ? "." : "", field);
	return wms_error_set(err, e->code, path, "%s (%s): %s", it->what, op, e->message);
}

static void seed_job_release(struct seed_job *job)
{
	for (size_t i = 0; i < job->n; i++)
		wms_request_release(&job->v[i].req);
	free(job->v);
	*job = (struct seed_job){ NULL, 0, 0 };
}

struct seed_collect {
	struct seed_job *job;
	struct wms_error *err;
};

/* wms_network_fn: parses and validates one request of the file into the job. */
static int seed_collect_one(void *arg, json_t *request, const char *what)
{
	struct seed_collect *sc = arg;
	struct seed_job *job = sc->job;
	if (job->n == job->cap) {
		size_t cap = job->cap ? 2 * job->cap : 256;
		struct seed_item *v = realloc(job->v, cap * sizeof(*v));
		if (v == NULL)
			return wms_error_set(sc->err, WMS_ENOMEM, what, "%s: out of memory", what);
		job->v = v;
		job->cap = cap;
	}
	struct seed_item *it = &job->v[job->n];
	*it = (struct seed_item){ .req = WMS_REQUEST_INIT };
	snprintf(it->what, sizeof(it->what), "%s", what);
	/* Through the codec, as a client's request would be: the same checks, the same
	 * rounding of reals. */
	struct wms_error perr = WMS_ERROR_INIT;
	char *text = json_dumps(request, WMS_JSON_DUMP);
	int rc = text ? wms_request_parse(text, strlen(text), &it->req, &perr)
	              : wms_error_set(&perr, WMS_ENOMEM, "", "out of memory");
	free(text);
	if (rc == 0 && !(it->req.op->flags & WMS_OP_WRITE))
		rc = wms_error_set(&perr, WMS_EBADREQ, "op", "op '%s' does not load data",
		                   it->req.op->name);
	if (rc) {
		seed_error(sc->err, it, &perr);
		wms_request_release(&it->req);
		return rc;
	}
	it->handler = dispatch_handler(it->req.op);
	job->n++;
	return 0;
}

/*
 * The writer's half: every request of the job in one child of TOP. Replies {"loaded":N} (0
 * with "skipped":true when the store already has a warehouse) or the first refusal, with
 * nothing of the job kept. Returns WMS_EMAPFULL to be retried whole in a larger map.
 */
static int exec_seed(struct wms_engine *e, struct store_txn *top, struct wcmd *w)
{
	struct seed_job *job = w->seed;
	struct store_txn *child;
	struct wms_error err = WMS_ERROR_INIT;
	size_t ev_mark = e->evs.n, n = 0, i = 0;
	uint64_t seq_mark = e->next_seq;
	free(w->reply);
	w->reply = NULL;
	int rc = store_nested_begin(top, &child);
	if (rc)
		return rc == WMS_EMAPFULL ? rc : (fail_cmd(w, rc, NULL), 0);
	/* Checked again here, in the transaction that would load: the store may have been
	 * given a warehouse since the caller looked. */
	rc = store_count(child, STORE_WAREHOUSES, &n);
	if (rc)
		wms_error_set(&err, rc, "", "cannot read the store: %s", wms_strerror(rc));
	for (i = 0; rc == 0 && n == 0 && i < job->n; i++) {
		struct cmd_ctx c;
		json_t *body = NULL;
		rc = run_command(e, child, &job->v[i].req, job->v[i].handler, &c, &body);
		if (rc)
			seed_error(&err, &job->v[i], err_for(&c, rc));
		json_decref(body);
		free(c.raw_json);
		if (c.dispose) /* no reply goes out: nothing to wait for */
			c.dispose(c.dispose_arg);
	}
	if (rc == 0 && n == 0) {
		rc = store_commit(child);
		if (rc)
			wms_error_set(&err, rc, "", "the seed could not be committed: %s",
			              wms_strerror(rc));
	} else {
		store_abort(child);
	}
	if (rc || n > 0) {
		e->next_seq = seq_mark;
		ev_batch_truncate(&e->evs, ev_mark);
		/* The aborted puts may have filled the writer's warehouse copy. */
		master_cache_drop(e);
	}
	if (rc == WMS_EMAPFULL)
		return rc;
	if (rc) {
		w->reply = reply_err(NULL, &err, &w->reply_len);
		return 0;
	}
	json_t *body =
	    json_pack("{s:I, s:b}", "loaded", (json_int_t)(n ? 0 : job->n), "skipped", n > 0);
	w->reply = reply_ok(NULL, body, NULL, NULL, &w->reply_len);
	json_decref(body);
	return 0;
}

int wms_engine_seed(struct wms_engine *e, const char *path, size_t *loaded, struct wms_error *err)
{
	struct store_txn *txn;
	struct seed_job job = { NULL, 0, 0 };
	size_t n = 0;
	*loaded = 0;
	int rc = store_read_begin(e->store, &txn);
	if (rc)
		return wms_error_set(err, rc, "", "cannot read the store");
	rc = store_count(txn, STORE_WAREHOUSES, &n);
	store_abort(txn);
	if (rc)
		return wms_error_set(err, rc, "", "cannot read the store");
	if (n > 0)
		return 0; /* not empty: the operator's data stays as it is */
	json_error_t jerr;
	json_t *file = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (file == NULL)
		return wms_error_set(err, WMS_EBADJSON, path, "%s:%d:%d: %s", path, jerr.line,
		                     jerr.column, jerr.text);
	struct seed_collect sc = { &job, err };
	rc = wms_network_requests(file, seed_collect_one, &sc, err);
	json_decref(file);
	if (rc)
		goto out;

	struct wcmd *w = calloc(1, sizeof(*w));
	struct call_wait cw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, NULL,
		                0 };
	if (w == NULL) {
		rc = wms_error_set(err, WMS_ENOMEM, "", "out of memory");
		goto out;
	}
	w->seed = &job;
	w->done = call_done;
	w->arg = &cw;
	if ((rc = enqueue(e, w))) {
		free(w);
		wms_error_set(err, rc, "", "the engine did not take the seed: %s",
		              wms_strerror(rc));
		goto out;
	}
	pthread_mutex_lock(&cw.mu);
	while (!cw.done)
		pthread_cond_wait(&cw.cv, &cw.mu);
	pthread_mutex_unlock(&cw.mu);
	pthread_mutex_destroy(&cw.mu);
	pthread_cond_destroy(&cw.cv);
	json_t *reply = cw.reply ? json_loadb(cw.reply, cw.len, 0, NULL) : NULL;
	free(cw.reply);
	rc = reply ? wms_reply_status(reply, err)
	           : wms_error_set(err, WMS_ENOMEM, "", "no reply from the writer");
	if (rc == 0)
		*loaded = (size_t)json_integer_value(json_object_get(reply, "loaded"));
	json_decref(reply);
out:
	seed_job_release(&job);
	return rc;
}
