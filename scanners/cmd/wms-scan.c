/*
 * wms-scan - the scan station for keyboard-wedge scanners (the scanner types each barcode and
 * Enter), for a picker or a pack station.
 *
 *   wms-scan pick --warehouse WH --picker P [--device D] [options]
 *   wms-scan pack --station S [--packer P] [options]
 *
 * Every input line is one scan or one typed command; every reply is one display line. The
 * engine is reached only through wms/client.h (no engine header here).
 *
 * Threads: a reader thread reads stdin as it comes and queues whole lines (bounded: when the
 * queue is full it stops reading, and the kernel holds the rest, so nothing is lost); the main
 * thread sends them one at a time, in order, and waits for each reply. One request in flight
 * is the point: a task's scans must reach the engine in order, and the next line of a picker
 * belongs to whatever task the previous reply leaves in hand.
 *
 * Resends: each scan gets a scan_id (a random per-session prefix and a counter), by which the
 * engine knows a resent scan (other writes, task.next, get an idem_key from the client
 * library); a request that got no reply in time is sent again as the same object, so the
 * engine answers it once (PROTOCOL.md 4 and 7.3).
 *
 * Exit status: 0 at the end of input, 1 when the engine refuses what the station needs to
 * work (an unknown warehouse) or stdin cannot be read, 2 usage, 3 no engine or no reply after
 * the retries, 130 after Ctrl-C. README.md (scanners/) describes the display.
 */
#include "wms/client.h"
#include "wms/codec.h"
#include "wms/errors.h"
#include "wms/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3, EXIT_INTERRUPTED = 130 };

#define LINE_MAX_BYTES     4096 /* the protocol's limit on a scan's code */
#define QUEUE_LINES        1024 /* lines read ahead of the engine; beyond, the kernel holds them */
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_RETRIES    3
#define DEFAULT_POLL_MS    5000
#define MAX_CLOSE_LABELS   8
#define WAIT_SLICE_MS      200 /* how often a wait looks at Ctrl-C */

static const char usage[] =
    "usage: wms-scan pick --warehouse WH --picker P [--device D] [options]\n"
    "       wms-scan pack --station S [--packer P] [--labels PATH] [--close-label CODE]...\n"
    "                     [options]\n"
    "\n"
    "A scan station for keyboard-wedge scanners: each line on stdin is a scan (the scanner\n"
    "types the barcode and Enter) or a typed command; each is sent to the engine in order and\n"
    "its verdict is shown on one line:\n"
    "  OK <message> -- <what to do next>\n"
    "  REFUSED <code> <message> -- <what to do next>      (with a terminal bell)\n"
    "Colours only when stdout is a terminal and NO_COLOR is not set.\n"
    "\n"
    "pick: asks the engine for the picker's next task (task.next) and shows it:\n"
    "  TASK <id> LOC-<location> <sku> x<qty> <tote> -- <instruction>\n"
    "  then sends every line as pick.scan for that task: the location label, the items, the\n"
    "  tote. A finished task brings the next one; without work it says NO TASK and asks again\n"
    "  every --poll MS and before the next scan.\n"
    "  short N        report a short pick: the location holds N units (pick.short found=N)\n"
    "\n"
    "pack: every line is pack.scan (the tote first, then items and inserts), except\n"
    "  1234g, 1234 g, weigh 1234     the scale's reading in grams (pack.weigh)\n"
    "  close, STN-<station>          close the carton (pack.close); --close-label adds codes\n"
    "  abort                         back out of the open carton: the tote goes back for\n"
    "                                packing, the station is free (pack.abort)\n"
    "  A closed carton prints SSCC <sscc> and its ZPL label between\n"
    "  LABEL BEGIN <sscc> and LABEL END <sscc>, or, with --labels, writes it there.\n"
    "\n"
    "  --warehouse WH      pick: the warehouse\n"
    "  --picker P          pick: who picks (one batch at a time per picker)\n"
    "  --device D          pick: the scanner's device id (default <hostname>-<picker>)\n"
    "  --station S         pack: the pack station's id (its own device id)\n"
    "  --packer P          pack: who packs, sent with every request\n"
    "  --labels PATH       pack: a directory gets one <sscc>.zpl per carton; any other path\n"
    "                      (a printer such as /dev/usb/lp0, a file) gets each label appended\n"
    "  --close-label CODE  pack: another scan that closes the carton (up to 8)\n"
    "  --url URL           the engine (default " WMS_DEFAULT_URL ")\n"
    "  --timeout MS        connecting, and waiting for each reply (default 5000)\n"
    "  --retries N         resends of a request without a reply, same scan id (default 3)\n"
    "  --poll MS           pick: how often to ask for work while there is none (default 5000)\n"
    "  --help              this text\n"
    "\n"
    "Ends at the end of input after the last reply, or on Ctrl-C once the request in flight\n"
    "is answered (a second Ctrl-C ends at once).\n"
    "Exit status: 0 end of input; 1 the engine refused what the station needs (e.g. an\n"
    "unknown warehouse) or stdin failed; 2 usage; 3 no engine, or no reply after the\n"
    "retries; 130 Ctrl-C.\n";

/* ---- Ctrl-C ---- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The first Ctrl-C asks to stop after the reply in flight; SA_RESETHAND makes the second one
 * end the process at once, for an engine that never answers. */
static void catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL); /* a Ctrl-C cuts it short: fine, the caller looks at the flag */
}

/* ---- input: the reader thread and its bounded queue of lines ---- */

/* One trimmed, non-empty input line. */
struct line {
	char *text; /* owned, NUL-terminated */
	size_t len;
	bool too_long; /* longer than LINE_MAX_BYTES: TEXT holds only the first bytes */
};

struct lineq {
	pthread_mutex_t mu;
	pthread_cond_t more; /* a line was queued, or the input ended */
	pthread_cond_t room; /* a line was taken */
	struct line ring[QUEUE_LINES];
	size_t head, n;
	bool eof;
	int err; /* errno of a failed read, ENOMEM when a line could not be kept */
	int fd;
};

static struct lineq input = { .mu = PTHREAD_MUTEX_INITIALIZER,
	                      .more = PTHREAD_COND_INITIALIZER,
	                      .room = PTHREAD_COND_INITIALIZER };

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Queues S[0..N) trimmed, unless it is empty; waits while the queue is full. 0 or ENOMEM. */
static int lineq_push(struct lineq *q, const char *s, size_t n, bool too_long)
{
	while (n > 0 && is_space(s[0]))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n == 0 && !too_long)
		return 0;
	char *text = malloc(n + 1);
	if (text == NULL)
		return ENOMEM;
	memcpy(text, s, n);
	text[n] = '\0';
	pthread_mutex_lock(&q->mu);
	while (q->n == QUEUE_LINES)
		pthread_cond_wait(&q->room, &q->mu);
	q->ring[(q->head + q->n) % QUEUE_LINES] = (struct line){ text, n, too_long };
	q->n++;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Reads Q->fd to its end. CR and LF both end a line (a wedge may send either or both; the
 * empty line between CR and LF is dropped by the trim), so lines are never merged. */
static void *reader_main(void *arg)
{
	struct lineq *q = arg;
	char buf[4096];
	char *cur = malloc(LINE_MAX_BYTES);
	size_t n = 0;
	bool too_long = false;
	int err = cur ? 0 : ENOMEM;
	while (err == 0) {
		ssize_t r = read(q->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = errno;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && err == 0; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				err = lineq_push(q, cur, n, too_long);
				n = 0;
				too_long = false;
			} else if (n < LINE_MAX_BYTES) {
				cur[n++] = buf[i];
			} else {
				too_long = true;
			}
		}
	}
	if (err == 0 && (n > 0 || too_long))
		err = lineq_push(q, cur, n, too_long); /* the last line had no newline */
	free(cur);
	pthread_mutex_lock(&q->mu);
	q->eof = true;
	q->err = err;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

enum pop { POP_LINE, POP_TIMEOUT, POP_END, POP_INTERRUPTED };

/*
 * Takes the next line into *OUT (the caller frees out->text). Waits up to TIMEOUT_MS
 * (< 0: until a line or the end), looking at Ctrl-C every WAIT_SLICE_MS.
 */
static enum pop lineq_pop(struct lineq *q, int timeout_ms, struct line *out)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	enum pop res = POP_TIMEOUT;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->n > 0) {
			*out = q->ring[q->head];
			q->head = (q->head + 1) % QUEUE_LINES;
			q->n--;
			pthread_cond_signal(&q->room);
			res = POP_LINE;
			break;
		}
		if (q->eof) {
			res = POP_END;
			break;
		}
		if (interrupted) {
			res = POP_INTERRUPTED;
			break;
		}
		struct timespec now, slice;
		clock_gettime(CLOCK_REALTIME, &now);
		if (timeout_ms >= 0 &&
		    (now.tv_sec > deadline.tv_sec ||
		     (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))) {
			res = POP_TIMEOUT;
			break;
		}
		slice = now;
		slice.tv_nsec += WAIT_SLICE_MS * 1000000L;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000L;
		}
		if (timeout_ms >= 0 &&
		    (slice.tv_sec > deadline.tv_sec ||
		     (slice.tv_sec == deadline.tv_sec && slice.tv_nsec > deadline.tv_nsec)))
			slice = deadline;
		pthread_cond_timedwait(&q->more, &q->mu, &slice);
	}
	pthread_mutex_unlock(&q->mu);
	return res;
}

/* Whether every line has been taken and the input has ended. */
static bool lineq_drained(struct lineq *q)
{
	pthread_mutex_lock(&q->mu);
	bool done = q->eof && q->n == 0;
	pthread_mutex_unlock(&q->mu);
	return done;
}

/* Lines still queued (for the message at Ctrl-C). */
static size_t lineq_pending(struct lineq *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* ---- the station ---- */

enum mode { MODE_PICK, MODE_PACK };

struct station {
	enum mode mode;
	const char *url;
	const char *warehouse, *picker, *station, *packer, *labels;
	char device[WMS_ID_MAX + 1];
	const char *close_labels[MAX_CLOSE_LABELS];
	int n_close_labels;
	int timeout_ms, retries, poll_ms;
	struct wms_client *client;
	char scan_prefix[16]; /* random per session: scan ids never repeat across sessions */
	unsigned long long scans;
	bool color;
	int bell_fd; /* a terminal to ring, or -1 */
};

/* ANSI SGR sequences, or nothing when colours are off. */
static const char *sgr(const struct station *st, const char *seq)
{
	return st->color ? seq : "";
}
#define GREEN "\033[1;32m"
#define RED   "\033[1;31m"
#define BOLD  "\033[1m"
#define RESET "\033[0m"

static void say_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout); /* keep the display and the diagnostics in order on one terminal */
	fputs("wms-scan: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void ring(const struct station *st)
{
	if (st->bell_fd >= 0) {
		fflush(stdout);
		ssize_t w = write(st->bell_fd, "\a", 1);
		(void)w; /* a bell that cannot ring is not worth failing over */
	}
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* error.code of a refusal or an error reply, or NULL. */
static const char *reply_code(const json_t *reply)
{
	return jstr(json_object_get(reply, "error"), "code");
}

/* Prints the one line of a verdict (or of an error reply, which is shown the same way). */
static void show_verdict(const struct station *st, const json_t *reply)
{
	bool ok = json_is_true(json_object_get(reply, "ok"));
	const char *msg = jstr(reply, "message");
	const char *ins = jstr(reply, "instruction");
	if (msg == NULL)
		msg = jstr(json_object_get(reply, "error"), "message");
	if (ok)
		printf("%sOK%s", sgr(st, GREEN), sgr(st, RESET));
	else
		printf("%sREFUSED %s%s", sgr(st, RED),
		       reply_code(reply) ? reply_code(reply) : "internal", sgr(st, RESET));
	if (msg && msg[0])
		printf(" %s", msg);
	if (json_is_true(json_object_get(reply, "resent")))
		printf(" (answered before)");
	if (ins && ins[0])
		printf(" -- %s%s%s", sgr(st, BOLD), ins, sgr(st, RESET));
	putchar('\n');
	fflush(stdout);
	if (!ok)
		ring(st);
}

/* A line the station did not send: said like a refusal, so the operator notices. */
static void show_skipped(const struct station *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void show_skipped(const struct station *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sSKIPPED%s ", sgr(st, RED), sgr(st, RESET));
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	ring(st);
}

/* A new request object for OP with this station's identity and, for scans, a new scan id. */
static json_t *new_request(struct station *st, const char *op, bool scan)
{
	json_t *r = json_pack("{s:s}", "op", op);
	if (r == NULL)
		return NULL;
	if (scan) {
		char id[48];
		snprintf(id, sizeof(id), "%s-%llu", st->scan_prefix, ++st->scans);
		json_object_set_new(r, "scan_id", json_string(id));
	}
	if (st->mode == MODE_PICK) {
		if (scan)
			json_object_set_new(r, "device", json_string(st->device));
		json_object_set_new(r, "picker", json_string(st->picker));
	} else {
		json_object_set_new(r, "station", json_string(st->station));
		if (st->packer)
			json_object_set_new(r, "packer", json_string(st->packer));
	}
	return r;
}

/* "pick.scan 'TOTE-000001' (scan id ...)": the request as a person would recognise it. */
static void describe(const json_t *req, char *out, size_t n)
{
	const char *op = jstr(req, "op"), *code = jstr(req, "code"), *id = jstr(req, "scan_id");
	json_t *found = json_object_get(req, "found"), *grams = json_object_get(req, "grams");
	char arg[80] = "";
	if (code)
		snprintf(arg, sizeof(arg), " '%.60s%s'", code, strlen(code) > 60 ? "..." : "");
	else if (found)
		snprintf(arg, sizeof(arg), " found=%lld", (long long)json_integer_value(found));
	else if (grams)
		snprintf(arg, sizeof(arg), " %lld g", (long long)json_integer_value(grams));
	snprintf(out, n, "%s%s%s%s%s", op ? op : "request", arg, id ? " (scan id " : "",
	         id ? id : "", id ? ")" : "");
}

/*
 * Sends REQ and waits for its reply (*REPLY, a new reference). A request without a reply in
 * time, or answered busy / shutting_down (nothing applied), is sent again as the same object
 * (same scan_id, or same idem_key) up to st->retries more times. 0, or the transport error
 * after saying what happened.
 */
static int station_call(struct station *st, json_t *req, json_t **reply)
{
	int tries = st->retries + 1;
	char what[160];
	describe(req, what, sizeof(what));
	for (int attempt = 1;; attempt++) {
		struct wms_error err = WMS_ERROR_INIT;
		json_t *r = NULL;
		int rc = wms_client_call(st->client, req, &r, &err);
		if (rc == 0) {
			const char *code = reply_code(r);
			bool later = code && (strcmp(code, wms_errname(WMS_EBUSY)) == 0 ||
			                      strcmp(code, wms_errname(WMS_ESHUTDOWN)) == 0);
			if (!later || attempt >= tries) {
				*reply = r;
				return 0;
			}
			say_err("engine answered %s to %s (attempt %d of %d); sending it again",
			        code, what, attempt, tries);
			json_decref(r); /* CODE was borrowed from it */
			pause_ms(200 * attempt);
			continue;
		}
		if (rc != WMS_ETIMEDOUT || attempt >= tries) {
			say_err("%s", err.message);
			if (rc == WMS_ETIMEDOUT)
				say_err(
				    "no reply to %s after %d attempts: giving up; its effect is "
				    "unknown, so check the task or carton before scanning again",
				    what, tries);
			return rc;
		}
		say_err("%s (attempt %d of %d); sending %s again", err.message, attempt, tries,
		        what);
	}
}

/* The exit status for a failed call. */
static int exit_for(int rc)
{
	return rc == WMS_ETIMEDOUT || rc == WMS_ECLOSED || rc == WMS_EIO ? EXIT_CONNECT
	                                                                 : EXIT_REFUSED;
}

/* The "code" of a scan as a JSON string; NULL (said) when the bytes are not UTF-8. */
static json_t *code_string(const struct station *st, const struct line *l)
{
	json_t *s = json_stringn(l->text, l->len);
	if (s == NULL)
		show_skipped(st, "the scan is not valid UTF-8 text: check the scanner's keyboard "
		                 "layout");
	return s;
}

/* ---- picking ---- */

struct picking {
	json_t *task; /* owned: the task in hand, or NULL */
	bool said_idle;
};

static void show_task(const struct station *st, const json_t *t)
{
	const char *lot = jstr(t, "lot");
	printf("%sTASK%s %s LOC-%s %s x%lld%s%s %s", sgr(st, BOLD), sgr(st, RESET), jstr(t, "id"),
	       jstr(t, "location"), jstr(t, "sku"),
	       (long long)json_integer_value(json_object_get(t, "qty")), lot ? " lot " : "",
	       lot ? lot : "", jstr(t, "tote"));
	const char *step = jstr(t, "step");
	if (step && strcmp(step, "location") != 0) /* taken over half done: say where it stands */
		printf(" (picked %lld, next: %s)",
		       (long long)json_integer_value(json_object_get(t, "picked")), step);
	if (jstr(t, "instruction"))
		printf(" -- %s%s%s", sgr(st, BOLD), jstr(t, "instruction"), sgr(st, RESET));
	putchar('\n');
	fflush(stdout);
}

/*
 * Asks for the picker's task and shows it (or, once, that there is none). QUIET_SAME skips
 * the display when the engine gives back the task already in hand. 0, or an exit status.
 */
static int fetch_task(struct station *st, struct picking *pk, bool quiet_same)
{
	json_t *req = new_request(st, "task.next", false), *reply = NULL;
	if (req == NULL)
		return EXIT_REFUSED;
	json_object_set_new(req, "warehouse", json_string(st->warehouse));
	int rc = station_call(st, req, &reply);
	json_decref(req);
	if (rc)
		return exit_for(rc);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		say_err("task.next refused: %s: %s", reply_code(reply) ? reply_code(reply) : "?",
		        jstr(json_object_get(reply, "error"), "message"));
		json_decref(reply);
		return EXIT_REFUSED;
	}
	json_t *t = json_object_get(reply, "task");
	bool same = pk->task && json_is_object(t) && jstr(t, "id") &&
	            strcmp(jstr(t, "id"), jstr(pk->task, "id")) == 0;
	json_decref(pk->task);
	pk->task = NULL;
	if (json_is_object(t) && jstr(t, "id")) {
		pk->task = json_incref(t);
		pk->said_idle = false;
		if (!(same && quiet_same))
			show_task(st, t);
	} else if (!pk->said_idle) {
		const char *m = jstr(reply, "message");
		printf("NO TASK %s; asking again every %g s and at the next scan\n",
		       m ? m : "no work for this picker", st->poll_ms / 1000.0);
		fflush(stdout);
		pk->said_idle = true;
	}
	json_decref(reply);
	return 0;
}

/* "short N" (any case, spaces around): 1 with *FOUND; 0 not a short; -1 malformed. */
static int parse_short(const char *s, long long *found)
{
	if (strncasecmp(s, "short", 5) != 0 || (s[5] != '\0' && !is_space(s[5])))
		return 0;
	const char *p = s + 5;
	while (is_space(*p))
		p++;
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (p[0] < '0' || p[0] > '9' || errno || *end != '\0')
		return -1;
	*found = v;
	return 1;
}

/* Sends one line of the picker; 0 or an exit status. */
static int pick_line(struct station *st, struct picking *pk, const struct line *l)
{
	long long found = 0;
	int is_short = parse_short(l->text, &found);
	if (is_short < 0) {
		show_skipped(st, "'%s': say 'short N' with N the units the location holds",
		             l->text);
		return 0;
	}
	int rc;
	if (pk->task == NULL && (rc = fetch_task(st, pk, false)) != 0)
		return rc;
	if (pk->task == NULL) {
		show_skipped(st, "'%s': no task in hand", l->text);
		return 0;
	}
	json_t *code = NULL, *reply = NULL;
	if (!is_short && (code = code_string(st, l)) == NULL)
		return 0; /* said */
	json_t *req = new_request(st, is_short ? "pick.short" : "pick.scan", true);
	if (req == NULL) {
		json_decref(code);
		return EXIT_REFUSED;
	}
	json_object_set_new(req, "task", json_string(jstr(pk->task, "id")));
	if (is_short)
		json_object_set_new(req, "found", json_integer(found));
	else
		json_object_set_new(req, "code", code);
	rc = station_call(st, req, &reply);
	json_decref(req);
	if (rc)
		return exit_for(rc);
	show_verdict(st, reply);
	const char *why = reply_code(reply);
	/* The task is over (done, or shorted with the rest of its shipment), or no longer what
	 * the engine has: take what it gives now. out_of_sequence may mean a task that was
	 * finished elsewhere; asking again is harmless since the picker keeps the batch. */
	const char *state = jstr(json_object_get(reply, "task"), "state");
	bool over = json_is_true(json_object_get(reply, "done")) ||
	            (state && strcmp(state, "open") != 0) ||
	            (is_short && json_is_true(json_object_get(reply, "ok")));
	bool stale = why && (strcmp(why, wms_errname(WMS_ESEQUENCE)) == 0 ||
	                     strcmp(why, wms_errname(WMS_ENOTFOUND)) == 0 ||
	                     strcmp(why, wms_errname(WMS_ESTATE)) == 0);
	json_decref(reply);
	if (over) {
		json_decref(pk->task);
		pk->task = NULL;
		/* Input over: do not take a new batch for a station that is closing. */
		if (lineq_drained(&input))
			return 0;
		return fetch_task(st, pk, false);
	}
	return stale ? fetch_task(st, pk, true) : 0;
}

/*
 * Asks the engine whether the picker's warehouse exists (warehouse.get, a read: it changes
 * nothing), before READY tells the picker to start scanning. 0, or an exit status.
 */
static int check_warehouse(struct station *st)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "warehouse.get", "id", st->warehouse);
	json_t *reply = NULL;
	if (req == NULL)
		return EXIT_REFUSED;
	int rc = station_call(st, req, &reply);
	json_decref(req);
	if (rc)
		return exit_for(rc);
	int status = EXIT_OK;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *code = reply_code(reply);
		if (code && (strcmp(code, wms_errname(WMS_ENOTFOUND)) == 0 ||
		             strcmp(code, wms_errname(WMS_EWAREHOUSE)) == 0))
			say_err("warehouse '%s' is not known to the engine at %s", st->warehouse,
			        st->url);
		else
			say_err("warehouse.get refused: %s: %s", code ? code : "?",
			        jstr(json_object_get(reply, "error"), "message"));
		status = EXIT_REFUSED;
	}
	json_decref(reply);
	return status;
}

static int run_pick(struct station *st)
{
	struct picking pk = { NULL, false };
	int rc = fetch_task(st, &pk, false);
	while (rc == 0) {
		struct line l;
		enum pop p = lineq_pop(&input, pk.task ? -1 : st->poll_ms, &l);
		if (p == POP_END || p == POP_INTERRUPTED)
			break;
		if (p == POP_TIMEOUT) {
			rc = fetch_task(st, &pk, false);
			continue;
		}
		if (l.too_long)
			show_skipped(st, "a line longer than %d bytes: not a scan", LINE_MAX_BYTES);
		else
			rc = pick_line(st, &pk, &l);
		free(l.text);
	}
	json_decref(pk.task);
	return rc;
}

/* ---- packing ---- */

enum pack_kind { PACK_SCAN, PACK_WEIGH, PACK_CLOSE, PACK_ABORT, PACK_BAD_WEIGH };

/* Grams from "1234g", "1234 g" or "weigh 1234" (any case). */
static enum pack_kind pack_classify(const struct station *st, const char *s, long long *grams)
{
	if (strcasecmp(s, "close") == 0)
		return PACK_CLOSE;
	if (strcasecmp(s, "abort") == 0)
		return PACK_ABORT;
	if (strncasecmp(s, "STN-", 4) == 0 && strcasecmp(s + 4, st->station) == 0)
		return PACK_CLOSE;
	for (int i = 0; i < st->n_close_labels; i++)
		if (strcasecmp(s, st->close_labels[i]) == 0)
			return PACK_CLOSE;
	const char *p = s;
	bool word = strncasecmp(s, "weigh", 5) == 0 && (s[5] == '\0' || is_space(s[5]));
	if (word)
		for (p = s + 5; is_space(*p); p++)
			;
	const char *d = p;
	while (*d >= '0' && *d <= '9')
		d++;
	const char *tail = d;
	while (is_space(*tail))
		tail++;
	bool digits = d > p && d - p <= 9; /* 9 digits fit any int; the engine bounds grams */
	if (word && digits && *tail == '\0') {
		*grams = strtoll(p, NULL, 10);
		return PACK_WEIGH;
	}
	if (!word && digits && (tail[0] == 'g' || tail[0] == 'G') && tail[1] == '\0') {
		*grams = strtoll(p, NULL, 10);
		return PACK_WEIGH;
	}
	return word ? PACK_BAD_WEIGH : PACK_SCAN;
}

/* Writes the label of SSCC to st->labels: DIR/<sscc>.zpl (written aside, then renamed, so
 * a print spooler watching the directory never sees half a label), or appended to a file or
 * printer device. 0 with the path written in PATH, or -1 (errno). */
static int write_label(const struct station *st, const char *sscc, const char *zpl, char *path,
                       size_t size)
{
	struct stat sb;
	size_t len = strlen(zpl);
	bool dir = stat(st->labels, &sb) == 0 && S_ISDIR(sb.st_mode);
	char tmp[4200] = "";
	if (dir) {
		if (snprintf(path, size, "%s/%s.zpl", st->labels, sscc) >= (int)size ||
		    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
	} else if (snprintf(path, size, "%s", st->labels) >= (int)size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = dir ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)
	             : open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, zpl + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			break;
		}
		done += (size_t)w;
	}
	int saved = errno;
	if (close(fd) != 0 && done == len)
		saved = errno, done = 0;
	if (done != len) {
		if (dir)
			unlink(tmp);
		errno = saved;
		return -1;
	}
	if (dir && rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

/* After an accepted close: the SSCC, then the label to --labels or on stdout. */
static void show_label(const struct station *st, const json_t *reply)
{
	const char *sscc = jstr(reply, "sscc"), *zpl = jstr(reply, "label_zpl");
	if (sscc == NULL)
		return;
	printf("SSCC %s\n", sscc);
	if (zpl == NULL) {
		fflush(stdout);
		return;
	}
	if (st->labels) {
		char path[4096];
		if (write_label(st, sscc, zpl, path, sizeof(path)) == 0) {
			printf("LABEL %s\n", path);
			fflush(stdout);
			return;
		}
		say_err("cannot write the label of %s to %s: %s; printing it here", sscc, path,
		        strerror(errno));
	}
	size_t n = strlen(zpl);
	printf("LABEL BEGIN %s\n%s%sLABEL END %s\n", sscc, zpl, n && zpl[n - 1] == '\n' ? "" : "\n",
	       sscc);
	fflush(stdout);
}

static int pack_line(struct station *st, const struct line *l)
{
	long long grams = 0;
	enum pack_kind k = pack_classify(st, l->text, &grams);
	if (k == PACK_BAD_WEIGH) {
		show_skipped(st, "'%s': say 'weigh N' or 'Ng' with N the grams on the scale",
		             l->text);
		return 0;
	}
	static const char *const ops[] = { "pack.scan", "pack.weigh", "pack.close", "pack.abort" };
	json_t *req = new_request(st, ops[k], true), *reply = NULL;
	if (req == NULL)
		return EXIT_REFUSED;
	if (k == PACK_WEIGH) {
		json_object_set_new(req, "grams", json_integer(grams));
	} else if (k == PACK_SCAN) {
		json_t *code = code_string(st, l);
		if (code == NULL) {
			json_decref(req);
			return 0;
		}
		json_object_set_new(req, "code", code);
	}
	int rc = station_call(st, req, &reply);
	json_decref(req);
	if (rc)
		return exit_for(rc);
	show_verdict(st, reply);
	if (k == PACK_CLOSE && json_is_true(json_object_get(reply, "ok")))
		show_label(st, reply);
	json_decref(reply);
	return 0;
}

static int run_pack(struct station *st)
{
	int rc = 0;
	while (rc == 0) {
		struct line l;
		enum pop p = lineq_pop(&input, -1, &l);
		if (p != POP_LINE)
			break;
		if (l.too_long)
			show_skipped(st, "a line longer than %d bytes: not a scan", LINE_MAX_BYTES);
		else
			rc = pack_line(st, &l);
		free(l.text);
	}
	return rc;
}

/* ---- setup ---- */

/* 12 hex digits from /dev/urandom: two sessions of one device never share a scan id. */
static int random_prefix(char out[16])
{
	unsigned char b[6];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, b, sizeof(b));
	close(fd);
	if (r != (ssize_t)sizeof(b))
		return -1;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* <hostname>-<picker>, with anything an id cannot hold replaced by '_'. A long host name is
 * cut, never the picker: two pickers on one host must not share a device id. */
static void default_device(struct station *st)
{
	char host[256] = "host";
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "host");
	host[sizeof(host) - 1] = '\0';
	size_t plen = strlen(st->picker); /* at most WMS_ID_MAX: checked before */
	if (plen + 2 > WMS_ID_MAX) {
		memcpy(st->device, st->picker, plen + 1);
	} else {
		size_t hlen = strlen(host);
		if (hlen > WMS_ID_MAX - 1 - plen)
			hlen = WMS_ID_MAX - 1 - plen;
		memcpy(st->device, host, hlen);
		st->device[hlen] = '-';
		memcpy(st->device + hlen + 1, st->picker, plen + 1);
	}
	for (char *p = st->device; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E)
			*p = '_';
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int check_id(const char *what, const char *v)
{
	if (v && !wms_id_valid(v, WMS_ID_MAX)) {
		say_err("%s '%s' is not an id: 1-%d visible ASCII characters, no spaces", what, v,
		        WMS_ID_MAX);
		return -1;
	}
	return 0;
}

/* Fills ST from the command line. 0, 1 for --help, or -1 (said). */
static int parse_args(int argc, char **argv, struct station *st)
{
	enum {
		O_WH = 256,
		O_PICKER,
		O_DEVICE,
		O_STATION,
		O_PACKER,
		O_LABELS,
		O_CLOSE,
		O_URL,
		O_TIMEOUT,
		O_RETRIES,
		O_POLL,
		O_HELP
	};
	static const struct option longs[] = {
		{ "warehouse", required_argument, NULL, O_WH },
		{ "picker", required_argument, NULL, O_PICKER },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "station", required_argument, NULL, O_STATION },
		{ "packer", required_argument, NULL, O_PACKER },
		{ "labels", required_argument, NULL, O_LABELS },
		{ "close-label", required_argument, NULL, O_CLOSE },
		{ "url", required_argument, NULL, O_URL },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "poll", required_argument, NULL, O_POLL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return 1;
	if (argc < 2 || (strcmp(argv[1], "pick") != 0 && strcmp(argv[1], "pack") != 0)) {
		say_err("say 'pick' or 'pack' first (wms-scan --help)");
		return -1;
	}
	st->mode = strcmp(argv[1], "pick") == 0 ? MODE_PICK : MODE_PACK;
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case O_WH:
			st->warehouse = optarg;
			break;
		case O_PICKER:
			st->picker = optarg;
			break;
		case O_DEVICE:
			device = optarg;
			break;
		case O_STATION:
			st->station = optarg;
			break;
		case O_PACKER:
			st->packer = optarg;
			break;
		case O_LABELS:
			st->labels = optarg;
			break;
		case O_CLOSE:
			if (st->n_close_labels == MAX_CLOSE_LABELS || optarg[0] == '\0') {
				say_err("--close-label: 1 to %d non-empty codes", MAX_CLOSE_LABELS);
				return -1;
			}
			st->close_labels[st->n_close_labels++] = optarg;
			break;
		case O_URL:
			st->url = optarg;
			break;
		case O_TIMEOUT:
			if (parse_int(optarg, 1, 3600000, &st->timeout_ms)) {
				say_err("--timeout: milliseconds, 1 to 3600000");
				return -1;
			}
			break;
		case O_RETRIES:
			if (parse_int(optarg, 0, 100, &st->retries)) {
				say_err("--retries: 0 to 100");
				return -1;
			}
			break;
		case O_POLL:
			if (parse_int(optarg, 10, 3600000, &st->poll_ms)) {
				say_err("--poll: milliseconds, 10 to 3600000");
				return -1;
			}
			break;
		case 'h':
		case O_HELP:
			return 1;
		default:
			return -1; /* getopt said what */
		}
	}
	if (optind < argc) {
		say_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (st->mode == MODE_PICK) {
		if (!st->warehouse || !st->picker) {
			say_err("pick needs --warehouse and --picker");
			return -1;
		}
		if (st->station || st->packer || st->labels || st->n_close_labels) {
			say_err("--station, --packer, --labels and --close-label are for pack");
			return -1;
		}
		if (check_id("--warehouse", st->warehouse) || check_id("--picker", st->picker) ||
		    check_id("--device", device))
			return -1;
		if (device)
			snprintf(st->device, sizeof(st->device), "%s", device);
		else
			default_device(st);
	} else {
		if (!st->station) {
			say_err("pack needs --station");
			return -1;
		}
		if (st->warehouse || st->picker || device) {
			say_err("--warehouse, --picker and --device are for pick");
			return -1;
		}
		if (check_id("--station", st->station) || check_id("--packer", st->packer))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct station st = { .url = WMS_DEFAULT_URL,
		              .timeout_ms = DEFAULT_TIMEOUT_MS,
		              .retries = DEFAULT_RETRIES,
		              .poll_ms = DEFAULT_POLL_MS,
		              .bell_fd = -1 };
	int rc = parse_args(argc, argv, &st);
	if (rc) {
		fputs(rc > 0 ? usage : "", rc > 0 ? stdout : stderr);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	const char *nc = getenv("NO_COLOR");
	st.color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
	/* The bell is for the person at the station: ring the terminal the display is on, and
	 * never put it into a log or a pipe. */
	st.bell_fd = isatty(STDOUT_FILENO)   ? STDOUT_FILENO
	             : isatty(STDERR_FILENO) ? STDERR_FILENO
	                                     : -1;
	if (random_prefix(st.scan_prefix) != 0) {
		say_err("cannot read /dev/urandom for this session's scan ids: %s",
		        strerror(errno));
		return EXIT_REFUSED;
	}
	catch_interrupts();

	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	o.connect_timeout_ms = st.timeout_ms;
	o.call_timeout_ms = st.timeout_ms;
	if ((rc = wms_client_open(st.url, &o, &st.client, &err)) != 0) {
		say_err("%s", err.message);
		return rc == WMS_EVALUE ? EXIT_USAGE : EXIT_CONNECT;
	}
	/* READY means "start scanning": not before the engine knows the warehouse. */
	if (st.mode == MODE_PICK && (rc = check_warehouse(&st)) != 0) {
		wms_client_close(st.client);
		return rc;
	}
	if (st.mode == MODE_PICK)
		printf("READY pick: picker %s in %s, device %s, engine %s\n", st.picker,
		       st.warehouse, st.device, st.url);
	else
		printf("READY pack: station %s%s%s, engine %s\n", st.station,
		       st.packer ? ", packer " : "", st.packer ? st.packer : "", st.url);
	fflush(stdout);

	pthread_t reader;
	input.fd = STDIN_FILENO;
	if (pthread_create(&reader, NULL, reader_main, &input) != 0) {
		say_err("cannot start the input reader");
		wms_client_close(st.client);
		return EXIT_REFUSED;
	}
	/* Not joined: at the end the reader may still be blocked in read() on a terminal. */
	pthread_detach(reader);

	rc = st.mode == MODE_PICK ? run_pick(&st) : run_pack(&st);
	if (rc == 0 && interrupted) {
		size_t left = lineq_pending(&input);
		if (left)
			say_err("interrupted: %zu line(s) read but not sent", left);
		rc = EXIT_INTERRUPTED;
	}
	if (rc == 0) {
		pthread_mutex_lock(&input.mu);
		int rerr = input.eof ? input.err : 0;
		pthread_mutex_unlock(&input.mu);
		if (rerr) {
			say_err("reading stdin failed: %s", strerror(rerr));
			rc = EXIT_REFUSED;
		}
	}
	if (rc == EXIT_CONNECT) {
		size_t left = lineq_pending(&input);
		if (left)
			say_err("%zu line(s) read but not sent", left);
	}
	wms_client_close(st.client);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_REFUSED;
	return rc;
}
