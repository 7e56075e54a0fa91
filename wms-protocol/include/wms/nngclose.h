/*
 * wms/nngclose.h - closing an nng socket without hanging for ever.
 *
 * nng 1.5.2 (what Debian bookworm ships) can block for ever in nng_close when a pipe's
 * receive completes while the socket closes: the transport's receive callback races the
 * pipe's stop (fixed upstream after 1.5.2, nng PR #1636). Seen here on SUB sockets receiving
 * events and on REQ sockets at the end of a floor simulation. wms_nng_close runs the close on
 * a helper thread and waits for it up to WAIT_MS; when the close does not finish it returns
 * false and leaves that one thread behind, blocked.
 *
 * Ownership: after a false return the socket's callbacks (pipe notifications, aio callbacks)
 * may still run: whatever they use must stay allocated (leak it). After true, nothing of the
 * socket runs any more.
 * Threading: any thread; one call per socket.
 */
#ifndef WMS_NNGCLOSE_H
#define WMS_NNGCLOSE_H

#include <nng/nng.h>
#include <stdbool.h>

#define WMS_NNG_CLOSE_WAIT_MS 2000

bool wms_nng_close(nng_socket sock, int wait_ms);

#endif
