/*
 * client.c - REQ calls, the pipelined client and the event-stream follower (see wms/client.h).
 *
 * The only file of the protocol library that includes nng: nng's errors become WMS_E* here.
 */
#include "wms/client.h"

#include "wms/codec.h"
#include "wms/nngclose.h"
#include "wms/ops.h"
#include "wms/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Replies are bounded too: events.read stops near 4 MiB, an order view is far smaller. */
#define REPLY_MAX (64u << 20)
/* Reconnect quickly: an engine restarted by an operator or a test is found within 0.2 s. */
#define RECONN_MIN_MS 10
#define RECONN_MAX_MS 200

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Translates an nng error at the module boundary; WHAT and URL make the message. */
static int nng_fail(struct wms_error *err, int rv, const char *what, const char *url, int ms)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		return wms_error_set(err, WMS_ETIMEDOUT, "", "%s %s: no answer within %d ms", what,
		                     url, ms);
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return wms_error_set(err, WMS_ECLOSED, "", "%s %s: connection closed", what, url);
	case NNG_ENOMEM:
		return wms_error_set(err, WMS_ENOMEM, "", "%s %s: out of memory", what, url);
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
	case NNG_EINVAL:
		return wms_error_set(
		    err, WMS_EVALUE, "url",
		    "%s %s: not a valid address (use tcp://HOST:PORT or ipc://PATH)", what, url);
	default:
		return wms_error_set(err, WMS_EIO, "", "%s %s: %s", what, url, nng_strerror(rv));
	}
}

/* ---- connection tracking: open waits for the first pipe ---- */

struct link {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pipes;
};

static void link_notify(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct link *l = arg;
	(void)p;
	pthread_mutex_lock(&l->mu);
	l->pipes += ev == NNG_PIPE_EV_ADD_POST ? 1 : -1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static int link_init(struct link *l)
{
	l->pipes = 0;
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		return WMS_ENOMEM;
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&l->cv, &a);
	pthread_condattr_destroy(&a);
	if (rc != 0) {
		pthread_mutex_destroy(&l->mu);
		return WMS_ENOMEM;
	}
	return 0;
}

static void link_release(struct link *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

/* Whether a pipe came up within MS milliseconds. */
static bool link_wait(struct link *l, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->mu);
	while (l->pipes <= 0)
		if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT)
			break;
	bool up = l->pipes > 0;
	pthread_mutex_unlock(&l->mu);
	return up;
}

/* Sets the notifications, dials without blocking and waits up to MS for the first pipe. */
static int link_dial(struct link *l, nng_socket s, const char *url, int ms, const char *what,
                     struct wms_error *err)
{
	int rv;
	if ((rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, link_notify, l)) != 0 ||
	    (rv = nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, link_notify, l)) != 0)
		return nng_fail(err, rv, what, url, ms);
	nng_socket_set_ms(s, NNG_OPT_RECONNMINT, RECONN_MIN_MS);
	nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, RECONN_MAX_MS);
	/* NONBLOCK: a refused first attempt is retried in the background, not an error. */
	if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
		return nng_fail(err, rv, what, url, ms);
	if (ms > 0 && !link_wait(l, ms))
		return wms_error_set(err, WMS_ETIMEDOUT, "",
		                     "cannot connect to %s within %d ms (is wmsd running there?)",
		                     url, ms);
	return 0;
}

/* ---- synchronous client ---- */

struct wms_client {
	nng_socket sock;
	bool sock_open;
	struct link link;
	bool link_ok;
	char *url;
	int call_timeout_ms;
	int connect_timeout_ms;
	int urandom; /* fd, -1 until the first key is needed */
	pthread_mutex_t rnd_mu;
};

int wms_client_open(const char *url, const struct wms_client_opts *opts, struct wms_client **out,
                    struct wms_error *err)
{
	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	int rv, rc;
	if (opts)
		o = *opts;
	if (url == NULL)
		url = WMS_DEFAULT_URL;
	struct wms_client *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->url = strdup(url)) == NULL) {
		free(c);
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	}
	c->urandom = -1;
	c->call_timeout_ms = o.call_timeout_ms > 0 ? o.call_timeout_ms : WMS_CLIENT_CALL_TIMEOUT;
	c->connect_timeout_ms = o.connect_timeout_ms;
	pthread_mutex_init(&c->rnd_mu, NULL);
	if ((rc = link_init(&c->link)) != 0) {
		wms_error_set(err, rc, "", "out of memory");
		goto fail;
	}
	c->link_ok = true;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		rc = nng_fail(err, rv, "open a REQ socket for", url, 0);
		goto fail;
	}
	c->sock_open = true;
	/* Contexts copy the socket's resend time when they are opened: set it first. */
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	                  o.resend_ms > 0 ? o.resend_ms : WMS_CLIENT_RESEND_MS);
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, REPLY_MAX);
	if ((rc = link_dial(&c->link, c->sock, url, o.connect_timeout_ms, "dial", err)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	wms_client_close(c);
	return rc;
}

void wms_client_close(struct wms_client *c)
{
	if (c == NULL)
		return;
	/* No notification runs after a close that finished; one that hangs (nng 1.5.2,
	 * wms/nngclose.h) may still notify the link, so the client stays allocated. */
	if (c->sock_open && !wms_nng_close(c->sock, WMS_NNG_CLOSE_WAIT_MS))
		return;
	if (c->link_ok)
		link_release(&c->link);
	if (c->urandom >= 0)
		close(c->urandom);
	pthread_mutex_destroy(&c->rnd_mu);
	free(c->url);
	free(c);
}

const char *wms_client_url(const struct wms_client *c)
{
	return c->url;
}

static int random_hex(struct wms_client *c, char *out, size_t nbytes, struct wms_error *err)
{
	unsigned char b[32];
	size_t got = 0;
	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	pthread_mutex_lock(&c->rnd_mu);
	if (c->urandom < 0)
		c->urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (c->urandom >= 0 && got < nbytes) {
		ssize_t n = read(c->urandom, b + got, nbytes - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	pthread_mutex_unlock(&c->rnd_mu);
	if (got < nbytes)
		return wms_error_set(err, WMS_EIO, "idem_key",
		                     "cannot read /dev/urandom for an idempotency key");
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

/* The request's op spec, or WMS_EBADREQ. */
static int request_op(const json_t *request, const struct wms_op_spec **op, struct wms_error *err)
{
	const char *name = json_string_value(json_object_get(request, "op"));
	if (!json_is_object(request) || name == NULL)
		return wms_error_set(err, WMS_EBADREQ, "op",
		                     "a request must be a JSON object with a string \"op\"");
	*op = wms_op_find(name); /* NULL: unknown here, maybe known to a newer engine */
	return 0;
}

/*
 * Whether the engine already keys OP's resends by the request's own fields: order.submit by
 * tenant and order id, scans by device (or station) and scan_id. Such a request needs no
 * idem_key, and a scan is the floor's hottest write: one record and one /dev/urandom read
 * less per scan.
 */
static bool keyed_by_content(const struct wms_op_spec *op)
{
	if (strcmp(op->name, "order.submit") == 0)
		return true;
	for (const struct wms_field *f = op->schema->fields; f->name; f++)
		if (strcmp(f->name, "scan_id") == 0 && (f->flags & WMS_F_REQUIRED))
			return true;
	return false;
}

int wms_client_add_idem_key(struct wms_client *c, json_t *request, struct wms_error *err)
{
	const struct wms_op_spec *op = NULL;
	int rc = request_op(request, &op, err);
	if (rc)
		return rc;
	if (op == NULL || !(op->flags & WMS_OP_WRITE) || keyed_by_content(op) ||
	    json_object_get(request, "idem_key") != NULL)
		return 0;
	char key[2 + 32 + 1] = "c-";
	if ((rc = random_hex(c, key + 2, 16, err)))
		return rc;
	if (json_object_set_new(request, "idem_key", json_string(key)) != 0)
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	return 0;
}

/* The request as one nng message: idem_key added, size checked. */
static int encode(struct wms_client *c, json_t *request, nng_msg **out, struct wms_error *err)
{
	int rc = wms_client_add_idem_key(c, request, err);
	if (rc)
		return rc;
	char *text = json_dumps(request, WMS_JSON_DUMP);
	if (text == NULL)
		return wms_error_set(err, WMS_ENOMEM, "", "cannot encode the request");
	size_t len = strlen(text);
	nng_msg *m = NULL;
	if (len > WMS_MAX_MESSAGE) {
		rc = wms_error_set(err, WMS_ETOOLARGE, "", "request is %zu bytes; the limit is %d",
		                   len, WMS_MAX_MESSAGE);
	} else if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, text, len) != 0) {
		nng_msg_free(m);
		rc = wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	}
	free(text);
	if (rc == 0)
		*out = m;
	return rc;
}

/* Takes M (freed here) and parses its body as the reply object. */
static int decode(const char *url, nng_msg *m, json_t **reply, struct wms_error *err)
{
	json_error_t jerr;
	json_t *r = json_loadb(nng_msg_body(m), nng_msg_len(m), 0, &jerr);
	nng_msg_free(m);
	if (r == NULL || !json_is_object(r)) {
		json_decref(r);
		return wms_error_set(err, WMS_EIO, "", "%s sent a reply that is not a JSON object",
		                     url);
	}
	*reply = r;
	return 0;
}

int wms_client_call(struct wms_client *c, json_t *request, json_t **reply, struct wms_error *err)
{
	nng_msg *m = NULL;
	nng_aio *aio = NULL;
	nng_ctx ctx;
	bool ctx_open = false;
	int rv, rc = encode(c, request, &m, err);
	if (rc)
		return rc;
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 ||
	    (rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		rc = nng_fail(err, rv, "call", c->url, 0);
		goto out;
	}
	ctx_open = true;
	nng_aio_set_timeout(aio, c->call_timeout_ms);
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		rc = nng_fail(err, rv, "send to", c->url, c->call_timeout_ms);
		goto out; /* m is still ours */
	}
	m = NULL;
	nng_aio_set_timeout(aio, c->call_timeout_ms);
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		rc = nng_fail(err, rv, "reply from", c->url, c->call_timeout_ms);
		goto out;
	}
	rc = decode(c->url, nng_aio_get_msg(aio), reply, err);
out:
	nng_msg_free(m);
	if (ctx_open)
		nng_ctx_close(ctx);
	nng_aio_free(aio);
	return rc;
}

int wms_client_call_text(struct wms_client *c, const char *text, size_t len, json_t **reply,
                         struct wms_error *err)
{
	json_error_t jerr;
	/* JSON_DECODE_ANY: valid JSON that is not an object is the engine's bad_request, not
	 * bad_json; say so here the same way. */
	json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req == NULL)
		return wms_error_set(err, WMS_EBADJSON, "",
		                     "not valid JSON at line %d column %d: %s", jerr.line,
		                     jerr.column, jerr.text);
	if (!json_is_object(req)) {
		int rc = wms_error_set(err, WMS_EBADREQ, "",
		                       "the request is %s, not an object: a request is one JSON "
		                       "object with an \"op\" field",
		                       wms_json_kind(req));
		json_decref(req);
		return rc;
	}
	int rc = wms_client_call(c, req, reply, err);
	json_decref(req);
	return rc;
}

/* ---- pipelined client ---- */

struct slot {
	struct wms_pipeline *p;
	nng_ctx ctx;
	bool ctx_open;
	nng_aio *aio;
	void *tag;
	bool sending;
	struct slot *next_free;
};

struct wms_pipeline {
	struct wms_client *c;
	struct slot *slots;
	int n;
	pthread_mutex_t mu; /* free list and busy count */
	pthread_cond_t cv;
	struct slot *free;
	int busy;
	pthread_mutex_t deliver_mu; /* one callback at a time */
	wms_pipeline_fn fn;
	void *arg;
};

static void slot_finish(struct slot *s, int rc, json_t *reply, const struct wms_error *err)
{
	struct wms_pipeline *p = s->p;
	pthread_mutex_lock(&p->deliver_mu);
	p->fn(p->arg, s->tag, rc, reply, err);
	pthread_mutex_unlock(&p->deliver_mu);
	json_decref(reply);
	pthread_mutex_lock(&p->mu);
	s->next_free = p->free;
	p->free = s;
	p->busy--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void slot_cb(void *arg)
{
	struct slot *s = arg;
	struct wms_client *c = s->p->c;
	struct wms_error err = WMS_ERROR_INIT;
	json_t *reply = NULL;
	int rv = nng_aio_result(s->aio);
	if (s->sending) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			slot_finish(s, nng_fail(&err, rv, "send to", c->url, c->call_timeout_ms),
			            NULL, &err);
			return;
		}
		s->sending = false;
		nng_aio_set_timeout(s->aio, c->call_timeout_ms);
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0) {
		slot_finish(s, nng_fail(&err, rv, "reply from", c->url, c->call_timeout_ms), NULL,
		            &err);
		return;
	}
	int rc = decode(c->url, nng_aio_get_msg(s->aio), &reply, &err);
	slot_finish(s, rc, reply, &err);
}

int wms_pipeline_new(struct wms_client *c, int inflight, wms_pipeline_fn fn, void *arg,
                     struct wms_pipeline **out, struct wms_error *err)
{
	int rv, rc = 0;
	if (inflight < 1 || inflight > 4096)
		return wms_error_set(err, WMS_ERANGE, "inflight",
		                     "inflight is %d; it must be 1..4096", inflight);
	struct wms_pipeline *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->slots = calloc((size_t)inflight, sizeof(*p->slots))) == NULL) {
		free(p);
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	}
	p->c = c;
	p->n = inflight;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->deliver_mu, NULL);
	for (int i = inflight - 1; i >= 0; i--) {
		struct slot *s = &p->slots[i];
		s->p = p;
		if ((rv = nng_aio_alloc(&s->aio, slot_cb, s)) != 0 ||
		    (rv = nng_ctx_open(&s->ctx, c->sock)) != 0) {
			rc = nng_fail(err, rv, "open a context for", c->url, 0);
			wms_pipeline_free(p);
			return rc;
		}
		s->ctx_open = true;
		s->next_free = p->free;
		p->free = s;
	}
	*out = p;
	return 0;
}

int wms_pipeline_send(struct wms_pipeline *p, json_t *request, void *tag, struct wms_error *err)
{
	nng_msg *m;
	int rc = encode(p->c, request, &m, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->mu);
	while (p->free == NULL)
		pthread_cond_wait(&p->cv, &p->mu);
	struct slot *s = p->free;
	p->free = s->next_free;
	p->busy++;
	pthread_mutex_unlock(&p->mu);
	s->tag = tag;
	s->sending = true;
	nng_aio_set_timeout(s->aio, p->c->call_timeout_ms);
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio); /* the callback frees M if the send fails */
	return 0;
}

void wms_pipeline_drain(struct wms_pipeline *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void wms_pipeline_free(struct wms_pipeline *p)
{
	if (p == NULL)
		return;
	wms_pipeline_drain(p);
	for (int i = 0; i < p->n; i++)
		if (p->slots[i].aio)
			nng_aio_stop(p->slots[i].aio);
	for (int i = 0; i < p->n; i++) {
		if (p->slots[i].ctx_open)
			nng_ctx_close(p->slots[i].ctx);
		nng_aio_free(p->slots[i].aio);
	}
	pthread_mutex_destroy(&p->deliver_mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	free(p);
}

/* ---- event stream follower ---- */

/* A live event received ahead of its turn. */
struct held {
	uint64_t seq;
	json_t *obj;
};

/* Live events drained from the socket in one go before they are merged. */
#define HOLD_MAX 4096

struct wms_tailer {
	struct wms_client *c;
	nng_socket sub;
	bool sub_open;
	struct link link;
	bool link_ok;
	char *prefix; /* "" for all */
	uint64_t pos;
	bool caught_up;
	int idle_poll_ms;
	int page;
	int64_t last_news; /* monotonic ms of the last live event or poll */
	struct held *held; /* ascending seq */
	size_t nheld;
	struct wms_tailer_stats st;
};

static int deliver(struct wms_tailer *t, json_t *obj, wms_event_fn fn, void *arg, bool live)
{
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(obj, "seq"));
	char *text = json_dumps(obj, WMS_JSON_DUMP);
	if (text == NULL)
		return WMS_ENOMEM;
	const char *type = json_string_value(json_object_get(obj, "type"));
	struct wms_event ev = { seq, type ? type : "", text, strlen(text), obj };
	t->pos = seq; /* delivered, whatever FN says: it must not be delivered again */
	if (live)
		t->st.live++;
	else
		t->st.replayed++;
	int rc = fn(arg, &ev);
	free(text);
	return rc;
}

/* One events.read after t->pos; delivers its events, then moves past what it scanned. */
static int read_page(struct wms_tailer *t, wms_event_fn fn, void *arg, uint64_t *last_seq,
                     bool *progress, struct wms_error *err)
{
	json_t *req = json_pack("{s:s, s:I, s:i}", "op", "events.read", "after", (json_int_t)t->pos,
	                        "limit", t->page);
	json_t *reply = NULL;
	uint64_t before = t->pos;
	if (req == NULL)
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	if (t->prefix[0])
		json_object_set_new(req, "prefix", json_string(t->prefix));
	int rc = wms_client_call(t->c, req, &reply, err);
	json_decref(req);
	if (rc)
		return rc;
	t->st.reads++;
	if ((rc = wms_reply_status(reply, err)) != 0)
		goto out;
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(reply, "events"), i, ev)
	{
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
		if (seq <= t->pos)
			continue;
		if ((rc = deliver(t, ev, fn, arg, false)) != 0)
			goto out; /* stop here: what follows is read again next time */
	}
	uint64_t scanned = (uint64_t)json_integer_value(json_object_get(reply, "next_after"));
	if (scanned > t->pos)
		t->pos = scanned;
	*last_seq = (uint64_t)json_integer_value(json_object_get(reply, "last_seq"));
	*progress = t->pos > before;
out:
	json_decref(reply);
	return rc;
}

/* Reads until t->pos reaches TARGET (UINT64_MAX: the log's end), or DEADLINE passes. */
static int fill(struct wms_tailer *t, uint64_t target, int64_t deadline, wms_event_fn fn, void *arg,
                struct wms_error *err)
{
	for (;;) {
		uint64_t last = 0;
		bool progress = false;
		int rc = read_page(t, fn, arg, &last, &progress, err);
		if (rc)
			return rc;
		if (target == UINT64_MAX && t->pos >= last)
			t->caught_up = true;
		uint64_t goal = target == UINT64_MAX ? last : target;
		if (t->pos >= goal || !progress || mono_ms() >= deadline)
			return 0;
	}
}

static void held_drop_first(struct wms_tailer *t)
{
	json_decref(t->held[0].obj);
	memmove(t->held, t->held + 1, (t->nheld - 1) * sizeof(*t->held));
	t->nheld--;
}

/* Merges the held live events, filling every jump in seq from events.read first. */
static int merge_held(struct wms_tailer *t, wms_event_fn fn, void *arg, struct wms_error *err)
{
	while (t->nheld > 0) {
		uint64_t seq = t->held[0].seq;
		if (seq <= t->pos) {
			t->st.dropped++;
			held_drop_first(t);
			continue;
		}
		if (seq > t->pos + 1) {
			/* A gap, or with a prefix perhaps only events of other types: the log
			 * knows which. The read may deliver this event itself. */
			if (!t->prefix[0])
				t->st.gaps++;
			int rc = fill(t, seq - 1, INT64_MAX, fn, arg, err);
			if (rc)
				return rc;
			if (seq <= t->pos)
				continue;
		}
		json_t *obj = json_incref(t->held[0].obj);
		held_drop_first(t);
		int rc = deliver(t, obj, fn, arg, true);
		json_decref(obj);
		if (rc)
			return rc;
	}
	return 0;
}

/* Parses one PUB message, "type {json}", and holds it in seq order. */
static void hold(struct wms_tailer *t, nng_msg *m)
{
	const char *body = nng_msg_body(m);
	size_t len = nng_msg_len(m);
	const char *sp = memchr(body, ' ', len);
	json_t *obj = sp ? json_loadb(sp + 1, len - (size_t)(sp + 1 - body), 0, NULL) : NULL;
	nng_msg_free(m);
	json_t *jseq = json_object_get(obj, "seq");
	if (!json_is_integer(jseq) || json_integer_value(jseq) <= 0 || t->nheld == HOLD_MAX) {
		json_decref(obj); /* not an event, or too many at once: events.read has it */
		return;
	}
	uint64_t seq = (uint64_t)json_integer_value(jseq);
	size_t i = t->nheld;
	while (i > 0 && t->held[i - 1].seq > seq)
		i--;
	if (i > 0 && t->held[i - 1].seq == seq) {
		json_decref(obj);
		return;
	}
	memmove(t->held + i + 1, t->held + i, (t->nheld - i) * sizeof(*t->held));
	t->held[i] = (struct held){ seq, obj };
	t->nheld++;
}

int wms_tailer_new(struct wms_client *c, const struct wms_tailer_opts *opts,
                   struct wms_tailer **out, struct wms_error *err)
{
	struct wms_tailer_opts o = WMS_TAILER_OPTS_INIT;
	int rv, rc;
	if (opts)
		o = *opts;
	const char *url = o.events_url ? o.events_url : WMS_DEFAULT_EVENTS_URL;
	const char *prefix = o.prefix ? o.prefix : "";
	struct wms_tailer *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->prefix = strdup(prefix)) == NULL ||
	    (t->held = calloc(HOLD_MAX, sizeof(*t->held))) == NULL) {
		if (t)
			free(t->prefix);
		free(t);
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	}
	t->c = c;
	t->idle_poll_ms = o.idle_poll_ms > 0 ? o.idle_poll_ms : 250;
	t->page = o.page > 0 && o.page <= 10000 ? o.page : 1000;
	t->pos = o.after;
	if ((rc = link_init(&t->link)) != 0) {
		wms_error_set(err, rc, "", "out of memory");
		goto fail;
	}
	t->link_ok = true;
	if ((rv = nng_sub0_open(&t->sub)) != 0) {
		rc = nng_fail(err, rv, "open a SUB socket for", url, 0);
		goto fail;
	}
	t->sub_open = true;
	nng_socket_set_int(t->sub, NNG_OPT_RECVBUF, o.recv_buffer > 0 ? o.recv_buffer : 4096);
	nng_socket_set_size(t->sub, NNG_OPT_RECVMAXSZ, REPLY_MAX);
	if ((rv = nng_socket_set(t->sub, NNG_OPT_SUB_SUBSCRIBE, prefix, strlen(prefix))) != 0) {
		rc = nng_fail(err, rv, "subscribe to", url, 0);
		goto fail;
	}
	/* Subscribed and connected BEFORE the starting point is read: whatever is published
	 * after it arrives live or shows up as a gap. */
	if ((rc = link_dial(&t->link, t->sub, url, c->connect_timeout_ms, "subscribe to", err)))
		goto fail;
	if (o.from_now) {
		json_t *reply = NULL, *req = json_pack("{s:s}", "op", "ping");
		rc = req ? wms_client_call(c, req, &reply, err)
		         : wms_error_set(err, WMS_ENOMEM, "", "out of memory");
		json_decref(req);
		if (rc == 0)
			rc = wms_reply_status(reply, err);
		if (rc == 0)
			t->pos = (uint64_t)json_integer_value(json_object_get(reply, "last_seq"));
		json_decref(reply);
		if (rc)
			goto fail;
	}
	t->last_news = mono_ms();
	*out = t;
	return 0;
fail:
	wms_tailer_free(t);
	return rc;
}

int wms_tailer_next(struct wms_tailer *t, int wait_ms, wms_event_fn fn, void *arg,
                    struct wms_error *err)
{
	int64_t deadline = mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int rc;
	if (!t->caught_up && (rc = fill(t, UINT64_MAX, deadline, fn, arg, err)) != 0)
		return rc;
	if ((rc = merge_held(t, fn, arg, err)) != 0)
		return rc;
	for (;;) {
		int64_t now = mono_ms();
		int64_t idle_at = t->last_news + t->idle_poll_ms;
		if (now >= idle_at) {
			/* Silence: a dropped last event leaves no gap to notice, so ask. */
			t->last_news = now;
			if ((rc = fill(t, UINT64_MAX, deadline, fn, arg, err)) != 0)
				return rc;
			continue;
		}
		int64_t until = idle_at < deadline ? idle_at : deadline;
		nng_msg *m;
		int rv;
		if (until > now) {
			nng_socket_set_ms(t->sub, NNG_OPT_RECVTIMEO, (nng_duration)(until - now));
			rv = nng_recvmsg(t->sub, &m, 0);
		} else {
			rv = nng_recvmsg(t->sub, &m, NNG_FLAG_NONBLOCK);
		}
		if (rv == 0) {
			t->last_news = mono_ms();
			hold(t, m);
			/* Take what is queued, so one fill covers many jumps. */
			while (t->nheld < HOLD_MAX &&
			       nng_recvmsg(t->sub, &m, NNG_FLAG_NONBLOCK) == 0)
				hold(t, m);
			if ((rc = merge_held(t, fn, arg, err)) != 0)
				return rc;
		} else if (rv != NNG_ETIMEDOUT && rv != NNG_EAGAIN) {
			return nng_fail(err, rv, "receive events from", "the stream", 0);
		}
		if (mono_ms() >= deadline)
			return 0;
	}
}

uint64_t wms_tailer_position(const struct wms_tailer *t)
{
	return t->pos;
}

void wms_tailer_stats(const struct wms_tailer *t, struct wms_tailer_stats *out)
{
	*out = t->st;
}

void wms_tailer_free(struct wms_tailer *t)
{
	if (t == NULL)
		return;
	/* A close that hangs (nng 1.5.2, wms/nngclose.h) may still notify the link: keep the
	 * tailer allocated then. */
	if (t->sub_open && !wms_nng_close(t->sub, WMS_NNG_CLOSE_WAIT_MS))
		return;
	if (t->link_ok)
		link_release(&t->link);
	for (size_t i = 0; i < t->nheld; i++)
		json_decref(t->held[i].obj);
	free(t->held);
	free(t->prefix);
	free(t);
}
