/*
 * daemon.h - the real wmsd as a child process, for integration and crash tests.
 *
 * The daemon runs from $WMS_BIN/wmsd (set by `make test`; build/default/bin otherwise) on a
 * mkdtemp data directory with ipc:// sockets inside it, so tests never touch the network and
 * never collide. Processes are started with posix_spawn: nng 1.5.2 is not fork-safe.
 *
 * Every wait is bounded: a daemon that does not answer within 10 s fails the test instead of
 * hanging it.
 */
#ifndef WMS_TEST_DAEMON_H
#define WMS_TEST_DAEMON_H

#include <jansson.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <sys/types.h>

struct tdaemon {
	char dir[256];     /* data directory and socket home */
	char req_url[320]; /* ipc://DIR/req.ipc */
	char ev_url[320];  /* ipc://DIR/ev.ipc */
	pid_t pid;         /* 0 when not running */
	bool sim_clock;
	const char *seed; /* --seed FILE, or NULL */
};

/* The path of a built program ("wmsd", "wmsctl"), from $WMS_BIN. */
const char *tprog(const char *name, char *buf, size_t size);

/* Prepares D (fresh temp dir, URLs). Does not start anything. */
void tdaemon_init(struct tdaemon *d);
/* Starts wmsd on D's directory and waits until it answers ping. 0, or -1 with a message. */
int tdaemon_start(struct tdaemon *d);
/* Sends SIG and waits (bounded) for the process; returns its wait status, or -1. */
int tdaemon_signal(struct tdaemon *d, int sig);
/* Kills a running daemon (SIGKILL) and removes the directory. */
void tdaemon_cleanup(struct tdaemon *d);

/* One request on a fresh REQ socket with a 10 s bound; the parsed reply, or NULL. */
json_t *tdaemon_call(struct tdaemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raw bytes on a fresh REQ socket; the reply text (malloc'd), or NULL on timeout. */
char *tdaemon_call_raw(const char *url, const void *data, size_t len, int timeout_ms);

/*
 * Closes a SUB socket after draining it until nothing has arrived for 300 ms (at most 5 s):
 * nng 1.5.2 can hang for ever in nng_close when a message arrives during the close (fixed
 * upstream after 1.5.2), and a test's engine is quiet once the test stops asking.
 */
void tsub_close(nng_socket sub);

/*
 * Runs ARGV (argv[0] a path) with stdout captured into *OUT (malloc'd, may be NULL) and stdin
 * from /dev/null, killing it after TIMEOUT_MS. Returns the exit status (0..255), or -1 when it
 * was killed or could not start.
 */
int trun(char *const argv[], char **out, int timeout_ms);

#endif
