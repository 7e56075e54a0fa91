/* server.c - REP context pool and PUB publication on nng (see server.h). */
#include "server.h"

#include "engine.h"
#include "wms/codec.h"
#include "wms/nngclose.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONTEXTS 256
/* nng's default PUB queue (16 messages) drops events at a few thousand a second even for a
 * fast subscriber; subscribers replay gaps, but a deeper queue makes replays rare. */
#define PUB_SENDBUF 8192

enum ctx_state { CTX_RECV, CTX_WAIT, CTX_SEND };

struct rep_ctx {
	struct server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	enum ctx_state state;
};

struct server {
	struct wms_engine *e;
	nng_socket rep, pub;
	nng_listener rep_l, pub_l;
	bool has_rep, has_pub;
	struct rep_ctx *ctxs;
	int nctx;
};

static void rep_done(void *arg, char *reply, size_t len)
{
	struct rep_ctx *c = arg;
	nng_msg *m;
	if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, reply, len) != 0) {
		/* Without memory for the reply the request cannot be answered; drop it and keep
		 * serving (the client's REQ resends, and writes are idempotent). */
		free(reply);
		c->state = CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	free(reply);
	c->state = CTX_SEND;
	nng_aio_set_msg(c->aio, m);
	nng_ctx_send(c->ctx, c->aio);
}

static void rep_cb(void *arg)
{
	struct rep_ctx *c = arg;
	int rv = nng_aio_result(c->aio);
	switch (c->state) {
	case CTX_RECV: {
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
			nng_ctx_recv(c->ctx, c->aio);
			return;
		}
		nng_msg *m = nng_aio_get_msg(c->aio);
		c->state = CTX_WAIT;
		/* The request is parsed before submit returns, so the frame can go now; the
		 * reply may already have been sent from inside this call. */
		wms_engine_submit(c->srv->e, nng_msg_body(m), nng_msg_len(m), rep_done, c);
		nng_msg_free(m);
		return;
	}
	case CTX_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
		}
		c->state = CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	case CTX_WAIT:
		return;
	}
}

void server_publish(struct server *s, const struct ev_staged *ev)
{
	nng_msg *m;
	if (s == NULL || !s->has_pub)
		return;
	if (nng_msg_alloc(&m, 0) != 0)
		return; /* subscribers fill the gap with events.read */
	if (nng_msg_append(m, ev->text, ev->len) != 0 ||
	    nng_sendmsg(s->pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
}

static int fail_nng(struct wms_error *err, int rv, const char *what, const char *url)
{
	return wms_error_set(err, WMS_EIO, what, "cannot %s %s: %s", what, url ? url : "",
	                     nng_strerror(rv));
}

int server_open(struct wms_engine *e, const char *listen_url, const char *events_url, int nctx,
                struct server **out, struct wms_error *err)
{
	struct server *s = calloc(1, sizeof(*s));
	int rv, rc;
	if (s == NULL)
		return wms_error_set(err, WMS_ENOMEM, "", "out of memory");
	s->e = e;
	if (events_url) {
		if ((rv = nng_pub0_open(&s->pub)) != 0) {
			rc = fail_nng(err, rv, "open", "pub socket");
			goto fail;
		}
		s->has_pub = true;
		nng_socket_set_int(s->pub, NNG_OPT_SENDBUF, PUB_SENDBUF);
		if ((rv = nng_listener_create(&s->pub_l, s->pub, events_url)) != 0 ||
		    (rv = nng_listener_start(s->pub_l, 0)) != 0) {
			rc = fail_nng(err, rv, "listen on", events_url);
			goto fail;
		}
	}
	if (listen_url) {
		if ((rv = nng_rep0_open(&s->rep)) != 0) {
			rc = fail_nng(err, rv, "open", "rep socket");
			goto fail;
		}
		s->has_rep = true;
		nng_socket_set_size(s->rep, NNG_OPT_RECVMAXSZ, WMS_RECV_MAX);
		s->nctx = nctx > 0 ? nctx : DEFAULT_CONTEXTS;
		s->ctxs = calloc((size_t)s->nctx, sizeof(*s->ctxs));
		if (s->ctxs == NULL) {
			rc = wms_error_set(err, WMS_ENOMEM, "", "out of memory");
			goto fail;
		}
		for (int i = 0; i < s->nctx; i++) {
			struct rep_ctx *c = &s->ctxs[i];
			c->srv = s;
			if ((rv = nng_aio_alloc(&c->aio, rep_cb, c)) != 0 ||
			    (rv = nng_ctx_open(&c->ctx, s->rep)) != 0) {
				rc = fail_nng(err, rv, "open", "rep context");
				goto fail;
			}
		}
		if ((rv = nng_listener_create(&s->rep_l, s->rep, listen_url)) != 0 ||
		    (rv = nng_listener_set_size(s->rep_l, NNG_OPT_RECVMAXSZ, WMS_RECV_MAX)) != 0 ||
		    (rv = nng_listener_start(s->rep_l, 0)) != 0) {
			rc = fail_nng(err, rv, "listen on", listen_url);
			goto fail;
		}
		for (int i = 0; i < s->nctx; i++) {
			s->ctxs[i].state = CTX_RECV;
			nng_ctx_recv(s->ctxs[i].ctx, s->ctxs[i].aio);
		}
	}
	*out = s;
	return 0;
fail:
	server_close(s);
	return rc;
}

void server_stop_accepting(struct server *s)
{
	if (s && s->has_rep)
		nng_listener_close(s->rep_l);
}

void server_close(struct server *s)
{
	if (s == NULL)
		return;
	if (s->has_rep) {
		/* Stop every context's aio first: after this no callback runs. */
		for (int i = 0; i < s->nctx; i++)
			if (s->ctxs[i].aio)
				nng_aio_stop(s->ctxs[i].aio);
		for (int i = 0; i < s->nctx; i++) {
			if (s->ctxs[i].aio) {
				nng_ctx_close(s->ctxs[i].ctx);
				nng_aio_free(s->ctxs[i].aio);
			}
		}
		if (!wms_nng_close(s->rep, WMS_NNG_CLOSE_WAIT_MS))
			return; /* nng 1.5.2's hang (wms/nngclose.h): keep what it may touch */
	}
	if (s->has_pub && !wms_nng_close(s->pub, WMS_NNG_CLOSE_WAIT_MS))
		return;
	free(s->ctxs);
	free(s);
}
