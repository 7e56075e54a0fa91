/*
 * wms-notify - the reference notification service: follows the event stream and prints the
 * messages customers should get, one line each (or one JSON object with --json).
 *
 *   wms-notify [--url URL] [--events URL] [--from SEQ] [--cursor FILE] [--json] ...
 *   wmsctl tail --json | wms-notify --stdin [--json]
 *
 * Exactly once: in direct mode it follows the stream with the client library's tailer (each
 * event once, in seq order, gaps filled from events.read) and resumes, like `wmsctl tail`,
 * after the larger of the cursor and the seq of the last line already in its output file
 * (>> FILE). All messages of one event are written with one write(2), so a kill -9 leaves an
 * event's messages printed entirely or not at all. With --stdin the upstream (wmsctl tail
 * --cursor) owns the position; events at or before the resume point are skipped, so a
 * replayed stream does not notify twice.
 *
 * Exit status: 0 ok, 1 input lines that are not events (--stdin; they are reported and
 * skipped) or output failed, 2 usage, 3 cannot connect.
 *
 * Channels: messages go where the order's customer can be reached (wms/notify.h). An order
 * whose order.received this run did not see (it came before the resume point) is asked of the
 * engine with order.get: always in direct mode, and with --stdin when --url is given.
 *
 * The decisions (which event is worth a message, and its words) are in wms/notify.h; this
 * file is plumbing.
 */
#include "wms/client.h"
#include "wms/codec.h"
#include "wms/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

#define DEFAULT_TIMEOUT_MS 5000
#define CURSOR_EVERY_MS    100
/* A stdin line longer than this is not an event of this protocol (1 MiB messages). */
#define LINE_MAX_BYTES (4u << 20)

static const char usage_text[] =
    "usage: wms-notify [--url URL] [--events URL] [--timeout MS] [--from SEQ] [--cursor FILE]\n"
    "                  [--json] [--idle-exit SECS] [--memory N]\n"
    "       wms-notify --stdin [--url URL] [--from SEQ] [--cursor FILE] [--json] [--memory N]\n"
    "  Prints the messages customers get for the engine's events, one line each:\n"
    "  \"<seq> <tenant> <order> <channel> <kind>: <text>\" (--json: one JSON object).\n"
    "  Dates are UTC days; times say UTC. Messages go on the channels the order has\n"
    "  (ship_to email, phone); none for an order with neither.\n"
    "  --url URL        the engine's commands (REQ), default $WMS_URL or " WMS_DEFAULT_URL "\n"
    "                   (--listen URL is the same: the address wmsd --listen binds); with\n"
    "                   --stdin, where to ask (order.get) about orders received before\n"
    "  --events URL     the event stream (SUB), default $WMS_EVENTS_URL or "
    "" WMS_DEFAULT_EVENTS_URL "\n"
    "  --timeout MS     to connect and for each reply (default 5000)\n"
    "  --from SEQ       start after SEQ (0: everything; default: from now, or all of stdin)\n"
    "  --cursor FILE    keep the last handled seq in FILE and resume after it\n"
    "  --stdin          read events from stdin, one per line: JSON (wmsctl tail --json)\n"
    "                   or \"type JSON\" (wmsctl tail)\n"
    "  --idle-exit S    exit after S seconds without an event (direct mode)\n"
    "  --memory N       orders and shipments remembered (delays, in-transit scans, channels;\n"
    "                   default 65536 each)\n"
    "  Resuming: after the larger of the cursor and, when stdout is a regular file with\n"
    "  content (>> FILE), the seq of its last line; --from applies when neither exists.\n"
    "  exit status: 0 ok, 1 bad input lines or output failed, 2 usage, 3 cannot connect\n";

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wms-notify: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- the position: cursor file and the output's last line ---- */

/* 0 with *SEQ, 1 when FILE does not exist, -1 when it holds no seq. */
static int cursor_read(const char *path, uint64_t *seq)
{
	FILE *f = fopen(path, "r");
	unsigned long long v;
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	int ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -1;
	*seq = v;
	return 0;
}

/* Temp file + rename: a restart after kill -9 reads the old or the new value, never half. */
static int cursor_write(const char *path, uint64_t seq)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRIu64 "\n", seq);
	if (write_all(fd, b, (size_t)n) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The seq of one output line: "<seq> ..." or a JSON object with "seq". */
static int line_seq(const char *line, uint64_t *seq)
{
	if (line[0] == '{') {
		json_t *o = json_loads(line, 0, NULL);
		json_t *s = json_object_get(o, "seq");
		int rc = json_is_integer(s) && json_integer_value(s) >= 0 ? 0 : -1;
		if (rc == 0)
			*seq = (uint64_t)json_integer_value(s);
		json_decref(o);
		return rc;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(line, &end, 10);
	if (errno || end == line || *end != ' ')
		return -1;
	*seq = v;
	return 0;
}

/*
 * The seq of the last complete line of stdout when it is a regular file with content (the
 * `>> FILE` of a restarted service): 0 with *SEQ, 1 when there is none, -1 when the last line
 * is not a message.
 *
 * A torn line after it is cut off (-2 when that fails): an event's messages are one write(2),
 * but a kill -9 can cut a write to a file short where it crosses a page, and the next message
 * must not be appended to the fragment. Only done when the last complete line is a message,
 * that is when the file is this program's output.
 */
static int stdout_last_seq(uint64_t *seq)
{
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return 1;
	/* fd 1 is often write-only (>>): read the same file through /proc. */
	int fd = open("/proc/self/fd/1", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	/* A line is at most WMS_NOTIFY_LINE_MAX bytes (a JSON line a little more, when every
	 * character needs escaping): the window holds the last two newlines. */
	size_t want = 16 * WMS_NOTIFY_LINE_MAX;
	if ((off_t)want > sb.st_size)
		want = (size_t)sb.st_size;
	char *buf = malloc(want + 1);
	int rc = 1;
	if (buf && pread(fd, buf, want, sb.st_size - (off_t)want) == (ssize_t)want) {
		buf[want] = '\0';
		ssize_t stop = (ssize_t)want - 1;
		while (stop >= 0 && buf[stop] != '\n')
			stop--;
		ssize_t start = stop - 1;
		while (start >= 0 && buf[start] != '\n')
			start--;
		/* The line must lie whole in the window (it always does: lines are bounded). */
		if (stop >= 0 && (start >= 0 || (off_t)want == sb.st_size)) {
			buf[stop] = '\0';
			rc = line_seq(buf + start + 1, seq);
			off_t keep = sb.st_size - (off_t)want + stop + 1;
			if (rc == 0 && keep < sb.st_size && ftruncate(STDOUT_FILENO, keep) != 0)
				rc = -2;
		}
	}
	free(buf);
	close(fd);
	return rc;
}

/* ---- turning events into output ---- */

struct state {
	struct wms_notify *notify;
	struct wms_client *client; /* for order lookups; NULL: none */
	bool lookup_warned;
	bool json;
	uint64_t skip_through; /* --stdin: events at or before this seq were handled already */
	uint64_t last_seq;     /* the last event handled */
	uint64_t messages;
	bool write_failed;
	double last_event;
	char *buf; /* one event's messages, written at once */
	size_t cap;
};

/* Appends N bytes of P to the event's buffer. */
static int buf_add(struct state *st, size_t *len, const char *p, size_t n)
{
	if (*len + n > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		while (cap < *len + n)
			cap *= 2;
		char *b = realloc(st->buf, cap);
		if (b == NULL)
			return WMS_ENOMEM;
		st->buf = b;
		st->cap = cap;
	}
	memcpy(st->buf + *len, p, n);
	*len += n;
	return 0;
}

/* Handles one event: its messages in one write. 0, or WMS_EIO when stdout failed. */
static int handle(struct state *st, const json_t *event, uint64_t seq)
{
	struct wms_notify_out out;
	st->last_event = now_s();
	if (wms_notify_event(st->notify, event, &out) != 0) {
		warn("event %" PRIu64 " is not an event of this protocol; skipped", seq);
		st->last_seq = seq;
		return 0;
	}
	size_t len = 0;
	for (size_t i = 0; i < out.n; i++) {
		char line[WMS_NOTIFY_LINE_MAX];
		size_t n = 0;
		int rc;
		if (st->json) {
			json_t *j = NULL;
			char *s = NULL;
			rc = wms_notify_msg_json(&out.msg[i], &j);
			if (rc == 0 && (s = json_dumps(j, JSON_COMPACT)) == NULL)
				rc = WMS_ENOMEM;
			if (rc == 0 && ((rc = buf_add(st, &len, s, strlen(s))) == 0))
				rc = buf_add(st, &len, "\n", 1);
			free(s);
			json_decref(j);
		} else {
			rc = wms_notify_format_line(&out.msg[i], line, sizeof(line), &n);
			if (rc == 0)
				rc = buf_add(st, &len, line, n);
		}
		if (rc) {
			warn("event %" PRIu64 ": %s", seq, wms_strerror(rc));
			st->write_failed = true;
			return WMS_EIO;
		}
	}
	if (len && write_all(STDOUT_FILENO, st->buf, len) != 0) {
		st->write_failed = true;
		return WMS_EIO;
	}
	st->messages += out.n;
	st->last_seq = seq;
	return 0;
}

/*
 * opts.lookup: the order as order.get returns it. A refusal (an order the engine does not
 * know) or no answer leaves it not known; the notifier then uses its table's channels.
 */
static int lookup_order(void *arg, const char *tenant, const char *order, json_t **out)
{
	struct state *st = arg;
	struct wms_error err = WMS_ERROR_INIT;
	json_t *reply = NULL;
	if (st->client == NULL)
		return WMS_ECLOSED;
	json_t *req =
	    json_pack("{s:s, s:s, s:s}", "op", "order.get", "tenant", tenant, "id", order);
	int rc = req ? wms_client_call(st->client, req, &reply, &err) : WMS_ENOMEM;
	json_decref(req);
	if (rc == 0 && (rc = wms_reply_status(reply, &err)) == 0 &&
	    !json_is_object(json_object_get(reply, "order")))
		rc = WMS_EIO;
	if (rc == 0)
		*out = json_incref(json_object_get(reply, "order"));
	else if (!st->lookup_warned) /* once: an engine that is down would say it per event */
		warn("order %s/%s: cannot ask the engine about its customer (%s); such orders' "
		     "messages go on the default channels (said once)",
		     tenant, order, err.message[0] ? err.message : wms_strerror(rc));
	st->lookup_warned |= rc != 0;
	json_decref(reply);
	return rc;
}

/* ---- direct mode: the tailer ---- */

static int on_event(void *arg, const struct wms_event *ev)
{
	struct state *st = arg;
	return handle(st, ev->obj, ev->seq);
}

struct direct_opts {
	const char *url, *events_url, *cursor;
	int timeout_ms;
	long long idle_exit;
	bool resume;
	uint64_t after;
};

static int run_direct(struct state *st, const struct direct_opts *d)
{
	struct wms_client_opts co = WMS_CLIENT_OPTS_INIT;
	struct wms_tailer_opts to = WMS_TAILER_OPTS_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	struct wms_client *c = NULL;
	struct wms_tailer *t = NULL;
	co.connect_timeout_ms = d->timeout_ms;
	co.call_timeout_ms = d->timeout_ms;
	to.events_url = d->events_url;
	if (d->resume)
		to.after = d->after;
	else
		to.from_now = true;
	int rc = wms_client_open(d->url, &co, &c, &err);
	if (rc == 0)
		rc = wms_tailer_new(c, &to, &t, &err);
	if (rc) {
		warn("%s", err.message);
		wms_client_close(c);
		return rc == WMS_EVALUE ? EXIT_USAGE : EXIT_CONNECT;
	}
	st->client = c; /* order lookups share the connection (one nng context per call) */
	int status = EXIT_OK;
	uint64_t saved = wms_tailer_position(t);
	double last_save = now_s();
	bool warned = false;
	if (d->cursor && cursor_write(d->cursor, saved) != 0) {
		warn("cannot write the cursor %s: %s", d->cursor, strerror(errno));
		status = EXIT_USAGE;
		goto out;
	}
	while (!stop_flag) {
		rc = wms_tailer_next(t, CURSOR_EVERY_MS, on_event, st, &err);
		if (st->write_failed) {
			status = EXIT_BAD_INPUT;
			break;
		}
		if (rc < 0 && !warned)
			warn("%s (retrying)", err.message);
		warned = rc < 0;
		/* Every delivered event has been handled and its messages written. */
		uint64_t pos = wms_tailer_position(t);
		if (d->cursor && pos != saved && now_s() - last_save >= CURSOR_EVERY_MS / 1000.0) {
			if (cursor_write(d->cursor, pos) == 0)
				saved = pos;
			last_save = now_s();
		}
		if (d->idle_exit && now_s() - st->last_event >= (double)d->idle_exit)
			break;
	}
out:;
	/* After a failed write the position is the last event written in full. */
	uint64_t final = st->write_failed ? st->last_seq : wms_tailer_position(t);
	if (d->cursor && final > saved && cursor_write(d->cursor, final) != 0) {
		warn("cannot write the cursor %s: %s", d->cursor, strerror(errno));
		status = EXIT_USAGE;
	}
	wms_tailer_free(t);
	st->client = NULL;
	wms_client_close(c);
	return status;
}

/* ---- --stdin ---- */

/*
 * Reads one line (without its newline) into *BUF; lines over LINE_MAX_BYTES are consumed and
 * reported as too long (*LONG set) without keeping more than the bound in memory.
 * Returns false at the end of input.
 */
static bool read_line(FILE *f, char **buf, size_t *cap, size_t *len, bool *too_long)
{
	size_t n = 0;
	int ch;
	*too_long = false;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n >= LINE_MAX_BYTES) {
			*too_long = true;
			continue;
		}
		if (n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 65536;
			char *b = realloc(*buf, nc);
			if (b == NULL) {
				*too_long = true;
				continue;
			}
			*buf = b;
			*cap = nc;
		}
		(*buf)[n++] = (char)ch;
	}
	if (ch == EOF && n == 0 && !*too_long)
		return false;
	if (*buf)
		(*buf)[n] = '\0';
	*len = n;
	return true;
}

static int run_stdin(struct state *st, const char *cursor)
{
	char *line = NULL;
	size_t cap = 0, len, lineno = 0, bad = 0;
	bool too_long;
	uint64_t saved = st->skip_through;
	double last_save = now_s();
	int status = EXIT_OK;
	while (!stop_flag && read_line(stdin, &line, &cap, &len, &too_long)) {
		lineno++;
		if (too_long) {
			warn("stdin line %zu: longer than %u bytes; skipped", lineno,
			     LINE_MAX_BYTES);
			bad++;
			continue;
		}
		const char *p = line;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0')
			continue;
		/* "type {json}" as wmsctl tail prints it, or the JSON alone (--json). */
		if (*p != '{' && (p = strchr(p, ' ')) != NULL)
			p++;
		json_error_t jerr;
		json_t *ev = p ? json_loads(p, JSON_REJECT_DUPLICATES, &jerr) : NULL;
		json_t *s = json_object_get(ev, "seq");
		if (!json_is_integer(s) || json_integer_value(s) < 0) {
			warn("stdin line %zu: not an event (%s)", lineno,
			     ev  ? "no seq"
			     : p ? jerr.text
			         : "no JSON");
			json_decref(ev);
			bad++;
			continue;
		}
		uint64_t seq = (uint64_t)json_integer_value(s);
		int rc = 0;
		/* At or before the resume point, or repeated: handled already. */
		if (seq > st->last_seq)
			rc = handle(st, ev, seq);
		json_decref(ev);
		if (rc) {
			status = EXIT_BAD_INPUT;
			break;
		}
		if (cursor && st->last_seq > saved &&
		    now_s() - last_save >= CURSOR_EVERY_MS / 1000.0) {
			if (cursor_write(cursor, st->last_seq) == 0)
				saved = st->last_seq;
			last_save = now_s();
		}
	}
	free(line);
	if (ferror(stdin)) {
		warn("reading stdin: %s", strerror(errno));
		status = EXIT_BAD_INPUT;
	}
	if (cursor && st->last_seq > saved && cursor_write(cursor, st->last_seq) != 0) {
		warn("cannot write the cursor %s: %s", cursor, strerror(errno));
		status = EXIT_USAGE;
	}
	if (bad && status == EXIT_OK)
		status = EXIT_BAD_INPUT;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "listen", required_argument, NULL, 'u' },
		{ "events", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "cursor", required_argument, NULL, 'c' },
		{ "stdin", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "memory", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct direct_opts d = {
		getenv("WMS_URL"), getenv("WMS_EVENTS_URL"), NULL, DEFAULT_TIMEOUT_MS, 0, false, 0
	};
	struct wms_notify_opts no = WMS_NOTIFY_OPTS_INIT;
	struct state st = { 0 };
	bool from_stdin = false, url_given = false;
	long long from = -1, v;
	int ch;
	if (d.url == NULL || d.url[0] == '\0')
		d.url = WMS_DEFAULT_URL;
	if (d.events_url == NULL || d.events_url[0] == '\0')
		d.events_url = WMS_DEFAULT_EVENTS_URL;
	while ((ch = getopt_long(argc, argv, "u:e:t:f:c:sji:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			d.url = optarg;
			url_given = true;
			break;
		case 'e':
			d.events_url = optarg;
			break;
		case 't':
			if (parse_long(optarg, 1, 3600000, &v)) {
				warn("--timeout '%s' is not a number of milliseconds (1..3600000)",
				     optarg);
				return EXIT_USAGE;
			}
			d.timeout_ms = (int)v;
			break;
		case 'f':
			if (parse_long(optarg, 0, INT64_MAX, &from)) {
				warn("--from '%s' is not a seq (0 or more)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			d.cursor = optarg;
			break;
		case 's':
			from_stdin = true;
			break;
		case 'j':
			st.json = true;
			break;
		case 'i':
			if (parse_long(optarg, 1, 86400 * 365, &d.idle_exit)) {
				warn("--idle-exit '%s' is not a number of seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_long(optarg, 1, 16777216, &v)) {
				warn("--memory '%s' is not a number in 1..16777216", optarg);
				return EXIT_USAGE;
			}
			no.delay_memory = no.transit_memory = no.order_memory = (size_t)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	/* Where to start: the later of the cursor and what the output file already holds. */
	uint64_t seq;
	if (d.cursor) {
		int r = cursor_read(d.cursor, &seq);
		if (r < 0) {
			warn("cursor %s does not hold a seq; remove it to start afresh", d.cursor);
			return EXIT_USAGE;
		}
		if (r == 0) {
			d.after = seq;
			d.resume = true;
		}
	}
	int last = stdout_last_seq(&seq);
	if (last == -2) {
		warn("the output file ends in a torn line that cannot be cut: %s", strerror(errno));
		return EXIT_USAGE;
	}
	if (last == 0 && (!d.resume || seq > d.after)) {
		d.after = seq;
		d.resume = true;
	}
	if (!d.resume && from >= 0) {
		d.after = (uint64_t)from;
		d.resume = true;
	}

	no.lookup = lookup_order;
	no.lookup_arg = &st;
	int rc = wms_notify_new(&no, &st.notify);
	if (rc) {
		warn("%s", wms_strerror(rc));
		return EXIT_BAD_INPUT;
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	st.last_event = now_s();

	int status;
	if (from_stdin) {
		st.skip_through = d.resume ? d.after : 0;
		st.last_seq = st.skip_through;
		/* Lookups only when asked for: a filter must not wait for an engine that is not
		 * there. No wait for the connection: nng keeps dialling, and a call that gets no
		 * answer within --timeout leaves the order not known. */
		struct wms_client_opts co = WMS_CLIENT_OPTS_INIT;
		struct wms_error err = WMS_ERROR_INIT;
		co.connect_timeout_ms = 0;
		co.call_timeout_ms = d.timeout_ms;
		if (url_given && wms_client_open(d.url, &co, &st.client, &err) != 0) {
			warn("%s", err.message);
			wms_notify_free(st.notify);
			return EXIT_USAGE;
		}
		status = run_stdin(&st, d.cursor);
		wms_client_close(st.client);
		st.client = NULL;
	} else {
		status = run_direct(&st, &d);
	}
	wms_notify_free(st.notify);
	free(st.buf);
	return status;
}
