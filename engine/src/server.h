/*
 * server.h - the engine on nng: a REP socket served by a pool of contexts, and a PUB socket.
 *
 * Each REP context loops: receive -> wms_engine_submit() (parse and validate on the nng
 * thread; reads answered there, writes queued) -> send the reply when it comes -> receive.
 * Contexts never block: a queued write's reply is sent from the writer thread after commit.
 *
 * Hostile input: NNG_OPT_RECVMAXSZ caps frames at WMS_RECV_MAX, so a peer announcing a huge
 * frame is dropped before anything is buffered; frames above WMS_MAX_MESSAGE but under the cap
 * are answered too_large.
 *
 * Threading: callbacks on nng's threads; server_publish from the writer thread only.
 * Only this module (with events publication) includes <nng/nng.h>; no NNG_* value escapes.
 */
#ifndef WMS_SERVER_H
#define WMS_SERVER_H

#include "events.h"
#include "wms/errors.h"

struct wms_engine;
struct server;

/* Listens on LISTEN_URL (REP) and EVENTS_URL (PUB); either may be NULL. */
int server_open(struct wms_engine *e, const char *listen_url, const char *events_url, int nctx,
                struct server **out, struct wms_error *err);

/* Closes the listeners: no new connections. Replies still go out. */
void server_stop_accepting(struct server *s);

/* Closes the sockets and waits for every callback to finish. Accepts NULL. */
void server_close(struct server *s);

#endif
