/*
 * wmsctl - the command-line client of the engine.
 *
 *   wmsctl [--url URL] [--events URL] [--timeout MS] COMMAND [ARGS...]
 *
 * Commands: ping, call, load, submit, order, tail, gen-orders (`wmsctl COMMAND --help`).
 * Exit status: 0 ok, 1 refused (by the engine or, for bad input lines, locally), 2 usage
 * (bad options, unreadable files), 3 cannot connect or no answer in time.
 *
 * Everything that talks to the engine goes through wms/client.h; this file is argument
 * handling and presentation. CLIENT.md describes the commands and the tailer's rules.
 */
#include "wms/client.h"
#include "wms/codec.h"
#include "wms/country.h"
#include "wms/network.h"
#include "wms/ops.h"
#include "wms/time.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

#define DEFAULT_TIMEOUT_MS 5000
#define CURSOR_EVERY_MS    100

struct global {
	const char *url;
	const char *events_url;
	int timeout_ms;
};

static void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wmsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The exit status for a failure of the client library. */
static int exit_for(int rc)
{
	switch (rc) {
	case WMS_ETIMEDOUT:
	case WMS_ECLOSED:
	case WMS_EIO:
		return EXIT_CONNECT;
	case WMS_EVALUE:
		return EXIT_USAGE; /* a malformed URL */
	default:
		return EXIT_REFUSED;
	}
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

static int connect_client(const struct global *g, struct wms_client **c)
{
	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	o.connect_timeout_ms = g->timeout_ms;
	o.call_timeout_ms = g->timeout_ms;
	int rc = wms_client_open(g->url, &o, c, &err);
	if (rc) {
		die_msg("%s", err.message);
		return exit_for(rc);
	}
	return 0;
}

/*
 * One request on its own connection: sends REQ (consumed) and sets *REPLY. 0, or an exit
 * status after saying "WHAT: why" on stderr. *MS, when not NULL, gets the round trip's time.
 */
static int call_once(const struct global *g, json_t *req, json_t **reply, const char *what,
                     double *ms)
{
	struct wms_client *c;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = connect_client(g, &c);
	if (rc)
		return json_decref(req), rc;
	double t0 = now_s();
	rc = wms_client_call(c, req, reply, &err);
	if (ms)
		*ms = (now_s() - t0) * 1000.0;
	json_decref(req);
	wms_client_close(c);
	if (rc) {
		die_msg("%s: %s", what, err.message);
		return exit_for(rc);
	}
	return 0;
}

/* Reads all of F (stdin when PATH is "-") into a NUL-terminated buffer. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Standard getopt loop prologue for a command: handles --help. */
#define HELP_OPT                                                                                   \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* ---- ping ---- */

static const char ping_usage[] =
    "usage: wmsctl ping [--json]\n"
    "  Asks the engine for its protocol version, last event seq and time.\n"
    "  --json   print the raw reply\n";

static int cmd_ping(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
		                              HELP_OPT,
		                              { NULL, 0, NULL, 0 } };
	bool raw = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (ch == 'j')
			raw = true;
		else if (ch == 'h')
			return fputs(ping_usage, stdout), EXIT_OK;
		else
			return fputs(ping_usage, stderr), EXIT_USAGE;
	}
	if (optind != argc)
		return fputs(ping_usage, stderr), EXIT_USAGE;
	struct wms_error err = WMS_ERROR_INIT;
	json_t *reply = NULL;
	double ms = 0;
	int rc = call_once(g, json_pack("{s:s}", "op", "ping"), &reply, "ping", &ms);
	if (rc)
		return rc;
	int status = EXIT_OK;
	if (raw) {
		char *s = json_dumps(reply, WMS_JSON_DUMP);
		puts(s ? s : "");
		free(s);
	} else if (wms_reply_status(reply, &err) != 0) {
		die_msg("ping refused: %s: %s", wms_errname(err.code), err.message);
		status = EXIT_REFUSED;
	} else {
		printf("%s at %s: protocol %lld, last_seq %lld, time %s (%s clock), %.2f ms\n",
		       json_string_value(json_object_get(reply, "engine")), g->url,
		       (long long)json_integer_value(json_object_get(reply, "version")),
		       (long long)json_integer_value(json_object_get(reply, "last_seq")),
		       json_string_value(json_object_get(reply, "time")),
		       json_is_true(json_object_get(reply, "sim_clock")) ? "simulated" : "wall",
		       ms);
	}
	json_decref(reply);
	return status;
}

/* ---- call ---- */

static const char call_usage[] =
    "usage: wmsctl call [--pretty] OP [JSON|-]\n"
    "  Sends one request: OP with the fields in JSON (an object; '-' reads it from stdin;\n"
    "  omitted: no fields) and prints the reply. Exit 1 when the engine refuses.\n"
    "  Mutating ops get an idem_key unless JSON has one, so a resend is applied once.\n"
    "  example: wmsctl call order.get '{\"tenant\":\"acme\",\"id\":\"SO-1\"}'\n"
    "  --pretty  indent the reply\n";

static int cmd_call(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { { "pretty", no_argument, NULL, 'p' },
		                              HELP_OPT,
		                              { NULL, 0, NULL, 0 } };
	bool pretty = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "ph", opts, NULL)) != -1) {
		if (ch == 'p')
			pretty = true;
		else if (ch == 'h')
			return fputs(call_usage, stdout), EXIT_OK;
		else
			return fputs(call_usage, stderr), EXIT_USAGE;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return fputs(call_usage, stderr), EXIT_USAGE;
	const char *op = argv[optind];
	const char *arg = argc - optind == 2 ? argv[optind + 1] : "{}";
	char *text = NULL;
	size_t len;
	if (strcmp(arg, "-") == 0) {
		if ((text = read_all("-", &len)) == NULL) {
			die_msg("call: cannot read the request from stdin");
			return EXIT_USAGE;
		}
		arg = text;
	}
	json_error_t jerr;
	json_t *req = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (req == NULL) {
		die_msg("call %s: the fields are not valid JSON (line %d column %d: %s)", op,
		        jerr.line, jerr.column, jerr.text);
		return EXIT_USAGE;
	}
	const char *given = json_string_value(json_object_get(req, "op"));
	if (!json_is_object(req) || (json_object_get(req, "op") && !given) ||
	    (given && strcmp(given, op) != 0)) {
		die_msg("call %s: the fields must be a JSON object (with no other \"op\")", op);
		json_decref(req);
		return EXIT_USAGE;
	}
	if (wms_op_find(op) == NULL)
		die_msg("warning: '%s' is not an op this wmsctl knows; sending it anyway", op);
	json_object_set_new(req, "op", json_string(op));

	struct wms_error err = WMS_ERROR_INIT;
	json_t *reply = NULL;
	char what[160];
	snprintf(what, sizeof(what), "call %s", op);
	int rc = call_once(g, req, &reply, what, NULL);
	if (rc)
		return rc;
	char *s =
	    json_dumps(reply, pretty ? JSON_INDENT(2) | JSON_REAL_PRECISION(WMS_JSON_REAL_DIGITS)
	                             : WMS_JSON_DUMP);
	puts(s ? s : "");
	free(s);
	int status = wms_reply_status(reply, &err) ? EXIT_REFUSED : EXIT_OK;
	if (status)
		die_msg("%s refused: %s%s%s: %s", op, wms_errname(err.code),
		        err.field[0] ? " at " : "", err.field, err.message);
	json_decref(reply);
	return status;
}

/* ---- load ---- */

static const char load_usage[] =
    "usage: wmsctl load FILE\n"
    "  Loads a network file {\"tenants\":[...],\"warehouses\":[...],\"items\":[...],\n"
    "  \"stock\":[...]} in that order, one request per element. Stops at the first\n"
    "  refusal, naming the element, and exits 1. Loading the same file twice is harmless\n"
    "  (stock receipts carry keys derived from their content).\n";

struct load_state {
	struct wms_client *c;
	size_t n[4];
	size_t total;
	int status;
	char failed_at[64];
	struct wms_error err;
};

static int load_one(void *arg, json_t *request, const char *what)
{
	static const char *const sections[4] = { "tenants", "warehouses", "items", "stock" };
	struct load_state *st = arg;
	json_t *reply = NULL;
	int rc = wms_client_call(st->c, request, &reply, &st->err);
	snprintf(st->failed_at, sizeof(st->failed_at), "%s", what);
	if (rc) {
		st->status = exit_for(rc);
		return rc;
	}
	rc = wms_reply_status(reply, &st->err);
	json_decref(reply);
	if (rc) {
		st->status = EXIT_REFUSED;
		return rc;
	}
	st->total++;
	for (int i = 0; i < 4; i++)
		if (strncmp(what, sections[i], strlen(sections[i])) == 0 &&
		    what[strlen(sections[i])] == '[')
			st->n[i]++;
	return 0;
}

static int cmd_load(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { HELP_OPT, { NULL, 0, NULL, 0 } };
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return fputs(load_usage, stdout), EXIT_OK;
		return fputs(load_usage, stderr), EXIT_USAGE;
	}
	if (argc - optind != 1)
		return fputs(load_usage, stderr), EXIT_USAGE;
	const char *path = argv[optind];
	json_error_t jerr;
	json_t *file = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (file == NULL) {
		die_msg("load: %s: line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
		return EXIT_USAGE;
	}
	struct load_state st = { .status = EXIT_OK };
	st.err = (struct wms_error)WMS_ERROR_INIT;
	int rc = connect_client(g, &st.c);
	if (rc) {
		json_decref(file);
		return rc;
	}
	double t0 = now_s();
	rc = wms_network_requests(file, load_one, &st, &st.err);
	json_decref(file);
	wms_client_close(st.c);
	if (rc) {
		if (st.status == EXIT_OK) { /* the file's shape, before any request */
			die_msg("load: %s: %s", path, st.err.message);
			return EXIT_USAGE;
		}
		if (st.status == EXIT_REFUSED)
			die_msg("load: %s: %s refused: %s%s%s: %s (%zu requests applied before it)",
			        path, st.failed_at, wms_errname(st.err.code),
			        st.err.field[0] ? " at " : "", st.err.field, st.err.message,
			        st.total);
		else
			die_msg("load: %s: %s: %s", path, st.failed_at, st.err.message);
		return st.status;
	}
	printf("loaded %s: %zu tenants, %zu warehouses, %zu items, %zu stock receipts "
	       "(%zu requests in %.2f s)\n",
	       path, st.n[0], st.n[1], st.n[2], st.n[3], st.total, now_s() - t0);
	return EXIT_OK;
}

/* ---- submit ---- */

static const char submit_usage[] =
    "usage: wmsctl submit [--inflight N] [--quiet] FILE\n"
    "  Submits orders, one JSON object per line (an order, or a full order.submit\n"
    "  request), FILE '-' for stdin; N requests in flight at once (default 32).\n"
    "  Prints what was accepted (by resulting state) and what was refused, grouped by\n"
    "  error code with line numbers. Lines that are not JSON are refused here.\n"
    "  Exit 1 when anything was refused, 3 when the engine stopped answering.\n"
    "  --quiet  no progress bar (shown on stderr when it is a terminal)\n";

#define GROUPS_MAX    64
#define EXAMPLES_MAX  3
#define STATES_MAX    16
#define MAX_LINE_SIZE (WMS_MAX_MESSAGE + 2)

struct example {
	size_t line;
	char text[400];
};

struct group {
	char name[32];
	size_t n;
	size_t nex;
	struct example ex[EXAMPLES_MAX];
};

struct tally {
	char name[32];
	size_t n;
};

struct submit_state {
	pthread_mutex_t mu;
	size_t sent, done, accepted, refused, failed;
	struct tally states[STATES_MAX];
	size_t nstates;
	struct group groups[GROUPS_MAX];
	size_t ngroups;
	int fail_rc;
};

static void tally_state(struct submit_state *st, const char *state)
{
	size_t i;
	for (i = 0; i < st->nstates; i++)
		if (strcmp(st->states[i].name, state) == 0)
			break;
	if (i == st->nstates) {
		if (st->nstates == STATES_MAX)
			i = STATES_MAX - 1; /* "other" shares the last row */
		else
			snprintf(st->states[st->nstates++].name, sizeof(st->states[0].name), "%s",
			         state);
	}
	st->states[i].n++;
}

static void tally_refusal(struct submit_state *st, const char *code, size_t line,
                          const struct wms_error *err)
{
	size_t i;
	for (i = 0; i < st->ngroups; i++)
		if (strcmp(st->groups[i].name, code) == 0)
			break;
	if (i == st->ngroups) {
		if (st->ngroups == GROUPS_MAX)
			i = GROUPS_MAX - 1;
		else
			snprintf(st->groups[st->ngroups++].name, sizeof(st->groups[0].name), "%s",
			         code);
	}
	struct group *g = &st->groups[i];
	g->n++;
	if (g->nex < EXAMPLES_MAX) {
		g->ex[g->nex].line = line;
		snprintf(g->ex[g->nex].text, sizeof(g->ex[0].text), "%s%s%s", err->field,
		         err->field[0] ? ": " : "", err->message);
		g->nex++;
	}
}

static void submit_done(void *arg, void *tag, int rc, json_t *reply, const struct wms_error *err)
{
	struct submit_state *st = arg;
	size_t line = (size_t)(uintptr_t)tag;
	struct wms_error e = WMS_ERROR_INIT;
	pthread_mutex_lock(&st->mu);
	st->done++;
	if (rc) {
		st->failed++;
		if (st->fail_rc == 0)
			st->fail_rc = rc;
		tally_refusal(st, wms_errname(rc), line, err);
	} else if (wms_reply_status(reply, &e) != 0) {
		st->refused++;
		tally_refusal(st, wms_errname(e.code), line, &e);
	} else {
		st->accepted++;
		const char *state =
		    json_string_value(json_object_get(json_object_get(reply, "order"), "state"));
		tally_state(st, state ? state : "accepted");
	}
	pthread_mutex_unlock(&st->mu);
}

/* A line refused before it reached the engine. */
static void refuse_locally(struct submit_state *st, size_t line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse_locally(struct submit_state *st, size_t line, int code, const char *fmt, ...)
{
	struct wms_error e = WMS_ERROR_INIT;
	va_list ap;
	va_start(ap, fmt);
	e.code = code;
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&st->mu);
	st->refused++;
	st->done++;
	tally_refusal(st, wms_errname(code), line, &e);
	pthread_mutex_unlock(&st->mu);
}

/* The request for one input line, or NULL when the line was refused here. */
static json_t *submit_request(struct submit_state *st, size_t lineno, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		refuse_locally(st, lineno, WMS_EBADJSON, "not valid JSON (column %d): %s",
		               jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		refuse_locally(st, lineno, WMS_EBADREQ,
		               "a line must be an order object or an order.submit request");
		json_decref(obj);
		return NULL;
	}
	json_t *op = json_object_get(obj, "op");
	if (op) {
		if (!json_is_string(op) || strcmp(json_string_value(op), "order.submit") != 0) {
			refuse_locally(st, lineno, WMS_EBADREQ,
			               "the line is a '%s' request; submit sends order.submit only",
			               json_is_string(op) ? json_string_value(op) : "?");
			json_decref(obj);
			return NULL;
		}
		return obj;
	}
	json_t *req = json_pack("{s:s, s:o}", "op", "order.submit", "order", obj);
	if (req == NULL)
		refuse_locally(st, lineno, WMS_ENOMEM, "out of memory");
	return req;
}

static void progress(const struct submit_state *st, size_t total, double t0, bool final)
{
	double dt = now_s() - t0;
	size_t done = st->done;
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	char bar[31];
	size_t fill = total ? done * 30 / (total ? total : 1) : 0;
	for (size_t i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (total)
		fprintf(stderr, "\rsubmit [%s] %zu/%zu  %.0f orders/s ", bar, done, total,
		        dt > 0 ? (double)done / dt : 0.0);
	else
		fprintf(stderr, "\rsubmit %zu  %.0f orders/s ", done,
		        dt > 0 ? (double)done / dt : 0.0);
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	int ch, last = '\n';
	if (f == NULL)
		return 0;
	while ((ch = getc_unlocked(f)) != EOF) {
		if (ch == '\n')
			n++;
		last = ch;
	}
	fclose(f);
	return n + (last != '\n');
}

static void submit_summary(struct submit_state *st, const char *path, double secs)
{
	printf("submitted %zu lines from %s in %.2f s: %.0f orders/s\n", st->done, path, secs,
	       secs > 0 ? (double)st->done / secs : 0.0);
	printf("accepted %zu", st->accepted);
	for (size_t i = 0; i < st->nstates; i++)
		printf("%s%s %zu", i ? ", " : " (", st->states[i].name, st->states[i].n);
	printf("%s\n", st->nstates ? ")" : "");
	printf("refused %zu\n", st->refused);
	if (st->failed)
		printf("no answer %zu\n", st->failed);
	for (size_t i = 0; i < st->ngroups; i++) {
		struct group *g = &st->groups[i];
		printf("  %-20s %zu\n", g->name, g->n);
		for (size_t k = 0; k < g->nex; k++)
			printf("      line %zu: %s\n", g->ex[k].line, g->ex[k].text);
		if (g->n > g->nex)
			printf("      ... and %zu more\n", g->n - g->nex);
	}
}

static int cmd_submit(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { { "inflight", required_argument, NULL, 'n' },
		                              { "quiet", no_argument, NULL, 'q' },
		                              HELP_OPT,
		                              { NULL, 0, NULL, 0 } };
	long long inflight = 32;
	bool quiet = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "n:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (parse_long(optarg, 1, 4096, &inflight)) {
				die_msg("submit: --inflight '%s' is not a number in 1..4096",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			return fputs(submit_usage, stdout), EXIT_OK;
		default:
			return fputs(submit_usage, stderr), EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return fputs(submit_usage, stderr), EXIT_USAGE;
	const char *path = argv[optind];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		die_msg("submit: cannot open %s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	bool bar = !quiet && isatty(STDERR_FILENO);
	size_t total = bar && f != stdin ? count_lines(path) : 0;

	struct submit_state *st = calloc(1, sizeof(*st));
	struct wms_client *c = NULL;
	struct wms_pipeline *p = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int status = EXIT_OK;
	if (st == NULL) {
		die_msg("submit: out of memory");
		status = EXIT_REFUSED;
		goto out;
	}
	pthread_mutex_init(&st->mu, NULL);
	if ((status = connect_client(g, &c)) != 0)
		goto out;
	int rc = wms_pipeline_new(c, (int)inflight, submit_done, st, &p, &err);
	if (rc) {
		die_msg("submit: %s", err.message);
		status = exit_for(rc);
		goto out;
	}
	double t0 = now_s(), last_draw = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		                   line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue; /* blank lines separate nothing and are not orders */
		if (len > MAX_LINE_SIZE) {
			refuse_locally(st, lineno, WMS_ETOOLARGE,
			               "line is %zu bytes; the limit is %d", len, WMS_MAX_MESSAGE);
			continue;
		}
		json_t *req = submit_request(st, lineno, line, len);
		if (req == NULL)
			continue;
		rc = wms_pipeline_send(p, req, (void *)(uintptr_t)lineno, &err);
		json_decref(req);
		if (rc)
			refuse_locally(st, lineno, rc, "%s", err.message);
		else
			st->sent++;
		if (bar && now_s() - last_draw >= 0.1) {
			pthread_mutex_lock(&st->mu);
			progress(st, total, t0, false);
			pthread_mutex_unlock(&st->mu);
			last_draw = now_s();
		}
	}
	if (ferror(f)) {
		die_msg("submit: error reading %s at line %zu: %s", path, lineno + 1,
		        strerror(errno));
		status = EXIT_USAGE;
	}
	wms_pipeline_drain(p);
	double secs = now_s() - t0;
	if (bar)
		progress(st, total, t0, true);
	submit_summary(st, path, secs);
	if (status == EXIT_OK) {
		if (st->failed)
			status = exit_for(st->fail_rc);
		else if (st->refused)
			status = EXIT_REFUSED;
	}
out:
	wms_pipeline_free(p);
	wms_client_close(c);
	if (st)
		pthread_mutex_destroy(&st->mu);
	free(st);
	free(line);
	if (f && f != stdin)
		fclose(f);
	return status;
}

/* ---- order ---- */

static const char order_usage[] =
    "usage: wmsctl order [--json] TENANT ID\n"
    "  Shows an order: its state, ship-to, lines, allocation (each shipment's warehouse,\n"
    "  carrier, cutoff, delivery and lines), estimate and the timeline of its events.\n"
    "  --json  print the raw order.get reply\n";

/* Appends the details of event EV worth a glance: scalars as k=v, arrays by their size. */
static void event_details(const json_t *ev, char *out, size_t cap)
{
	static const char *const skip[] = { "seq", "type", "at", "tenant", "order", NULL };
	const char *key;
	json_t *val;
	size_t n = 0;
	out[0] = '\0';
	json_object_foreach((json_t *)ev, key, val)
	{
		bool skipped = false;
		for (size_t i = 0; skip[i]; i++)
			skipped |= strcmp(key, skip[i]) == 0;
		if (skipped || n + 1 >= cap)
			continue;
		int w = 0;
		if (json_is_string(val))
			w = snprintf(out + n, cap - n, " %s=%s", key, json_string_value(val));
		else if (json_is_integer(val))
			w = snprintf(out + n, cap - n, " %s=%lld", key,
			             (long long)json_integer_value(val));
		else if (json_is_real(val))
			w = snprintf(out + n, cap - n, " %s=%g", key, json_real_value(val));
		else if (json_is_boolean(val))
			w = snprintf(out + n, cap - n, " %s=%s", key,
			             json_is_true(val) ? "true" : "false");
		else if (json_is_array(val))
			w = snprintf(out + n, cap - n, " %s=[%zu]", key, json_array_size(val));
		else if (json_is_object(val)) {
			const char *cc = json_string_value(json_object_get(val, "country"));
			const char *pc = json_string_value(json_object_get(val, "postal_code"));
			if (cc)
				w = snprintf(out + n, cap - n, " %s=%s/%s", key, cc, pc ? pc : "");
			else
				w = snprintf(out + n, cap - n, " %s={..}", key);
		}
		if (w > 0)
			n = (size_t)w < cap - n ? n + (size_t)w : cap - 1;
	}
}

static const char *str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

/*
 * The allocation (PROTOCOL.md 5.3): the decision and its reason, then each shipment: where it
 * ships from, with which carrier, the cutoff it aims at, the planned delivery, its state and
 * tracking once shipped, and its lines.
 */
static void print_allocation(const json_t *a)
{
	if (!json_is_object(a)) {
		printf("  allocation: none\n");
		return;
	}
	printf("  allocation: %s, %s\n", str_or(a, "decision", "?"), str_or(a, "reason", ""));
	size_t i, j;
	json_t *s, *l;
	json_array_foreach(json_object_get(a, "shipments"), i, s)
	{
		const json_t *ot = json_object_get(s, "on_time");
		printf("    shipment %s from %s: %s %s, cutoff %s, delivery by %s%s, %s",
		       str_or(s, "id", "?"), str_or(s, "warehouse", "?"), str_or(s, "carrier", "?"),
		       str_or(s, "service", ""), str_or(s, "cutoff", "?"),
		       str_or(s, "delivery_by", "?"),
		       json_is_boolean(ot) ? (json_is_true(ot) ? " (on time)" : " (late)") : "",
		       str_or(s, "state", "?"));
		if (json_string_value(json_object_get(s, "tracking")))
			printf(", tracking %s", str_or(s, "tracking", ""));
		putchar('\n');
		json_array_foreach(json_object_get(s, "lines"), j, l)
		    printf("      %-22s x %lld\n", str_or(l, "sku", "?"),
		           (long long)json_integer_value(json_object_get(l, "qty")));
	}
}

static void print_order(const json_t *o)
{
	const json_t *st = json_object_get(o, "ship_to");
	printf("order %s/%s  state %s\n", str_or(o, "tenant", "?"), str_or(o, "id", "?"),
	       str_or(o, "state", "?"));
	printf("  service %s, promised by %s\n", str_or(o, "service", "?"),
	       str_or(o, "promised_by", "?"));
	printf("  ship to %s, %s, %s %s %s\n", str_or(st, "name", "?"), str_or(st, "address", "?"),
	       str_or(st, "postal_code", ""), str_or(st, "city", ""), str_or(st, "country", ""));
	if (json_object_get(o, "gift_message"))
		printf("  gift message \"%s\"\n", str_or(o, "gift_message", ""));
	size_t i;
	json_t *v;
	printf("  lines:\n");
	json_array_foreach(json_object_get(o, "lines"), i, v)
	    printf("    %-24s x %lld\n", str_or(v, "sku", "?"),
	           (long long)json_integer_value(json_object_get(v, "qty")));
	print_allocation(json_object_get(o, "allocation"));
	const json_t *ot = json_object_get(o, "on_time");
	if (json_string_value(json_object_get(o, "estimate")))
		printf("  estimate %s%s\n", str_or(o, "estimate", ""),
		       json_is_boolean(ot) ? (json_is_true(ot) ? ", on time" : ", late") : "");
	printf("  timeline:\n");
	json_array_foreach(json_object_get(o, "timeline"), i, v)
	{
		char details[512];
		event_details(v, details, sizeof(details));
		printf("    %-24s #%-8lld %-22s%s\n", str_or(v, "at", "?"),
		       (long long)json_integer_value(json_object_get(v, "seq")),
		       str_or(v, "type", "?"), details);
	}
}

static int cmd_order(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
		                              HELP_OPT,
		                              { NULL, 0, NULL, 0 } };
	bool raw = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (ch == 'j')
			raw = true;
		else if (ch == 'h')
			return fputs(order_usage, stdout), EXIT_OK;
		else
			return fputs(order_usage, stderr), EXIT_USAGE;
	}
	if (argc - optind != 2)
		return fputs(order_usage, stderr), EXIT_USAGE;
	const char *tenant = argv[optind], *id = argv[optind + 1];
	struct wms_error err = WMS_ERROR_INIT;
	json_t *reply = NULL;
	char what[300];
	snprintf(what, sizeof(what), "order %s/%s", tenant, id);
	int rc = call_once(
	    g, json_pack("{s:s, s:s, s:s}", "op", "order.get", "tenant", tenant, "id", id), &reply,
	    what, NULL);
	if (rc)
		return rc;
	int status = EXIT_OK;
	if (raw) {
		char *s = json_dumps(reply, WMS_JSON_DUMP);
		puts(s ? s : "");
		free(s);
	}
	if (wms_reply_status(reply, &err) != 0) {
		die_msg("order %s/%s: %s: %s", tenant, id, wms_errname(err.code), err.message);
		status = EXIT_REFUSED;
	} else if (!raw) {
		print_order(json_object_get(reply, "order"));
	}
	json_decref(reply);
	return status;
}

/* ---- tail ---- */

static const char tail_usage[] =
    "usage: wmsctl tail [--from SEQ] [--prefix P] [--cursor FILE] [--json] [--count N]\n"
    "                   [--idle-exit SECS]\n"
    "  Follows the event stream and prints each event once, in seq order, one line each:\n"
    "  \"type {json}\" (--json: only the JSON). Gaps in the live stream are filled from\n"
    "  events.read, so nothing is skipped or repeated.\n"
    "  --from SEQ       start after SEQ (0: everything; default: from now)\n"
    "  --prefix P       only events whose type starts with P (e.g. order.)\n"
    "  --cursor FILE    keep the last printed seq in FILE and resume after it\n"
    "  --count N        exit after N events\n"
    "  --idle-exit S    exit after S seconds without an event\n"
    "  Resuming: the start is the larger of the cursor and, when stdout is a regular file\n"
    "  with content (>> FILE), the seq of its last line; --from applies when neither\n"
    "  exists. Each line is one write(2); the torn last line a kill -9 can still leave in a\n"
    "  file is cut off before resuming.\n";

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct tail_state {
	bool json_only;
	long long count; /* 0: unbounded */
	long long printed;
	uint64_t last_printed;
	bool write_failed;
	char *buf;
	size_t cap;
	double last_event;
};

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

static int tail_print(void *arg, const struct wms_event *ev)
{
	struct tail_state *st = arg;
	size_t tl = strlen(ev->type);
	size_t need = tl + 1 + ev->json_len + 2;
	if (need > st->cap) {
		char *b = realloc(st->buf, need);
		if (b == NULL) {
			st->write_failed = true;
			return WMS_ENOMEM;
		}
		st->buf = b;
		st->cap = need;
	}
	size_t n = 0;
	if (!st->json_only) {
		memcpy(st->buf, ev->type, tl);
		st->buf[tl] = ' ';
		n = tl + 1;
	}
	memcpy(st->buf + n, ev->json, ev->json_len);
	n += ev->json_len;
	st->buf[n++] = '\n';
	/* One write of the whole line: a kill -9 leaves it printed, not printed, or (rarely, in a
	 * file, at a page boundary) torn, which the restart cuts off (stdout_last_seq). */
	if (write_all(STDOUT_FILENO, st->buf, n) != 0) {
		st->write_failed = true;
		return WMS_EIO;
	}
	st->last_printed = ev->seq;
	st->printed++;
	st->last_event = now_s();
	if (st->count && st->printed >= st->count)
		return 1;
	return 0;
}

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

/* Temp file + rename: a reader, or a restart after kill -9, sees the old or the new value. */
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

/*
 * The seq of the last complete line of stdout, when stdout is a regular file with content:
 * 1 when there is none, 0 with *SEQ, -1 when the last line is not an event.
 *
 * A torn line after it is cut off (-2 when that fails): a line is one write(2), but a kill -9
 * can still cut a write to a file short where it crosses a page (the kernel checks for fatal
 * signals between pages), and the next event must not be appended to the fragment. Only done
 * when the last complete line is an event: then the file is this command's output.
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
	off_t end = sb.st_size;
	size_t cap = 65536;
	char *buf = NULL;
	int rc = 1;
	/* Grow the window from the end until it holds a whole last line (bounded). */
	while (cap <= (64u << 20)) {
		size_t want = (off_t)cap < end ? cap : (size_t)end;
		char *nb = realloc(buf, want + 1);
		if (nb == NULL)
			break;
		buf = nb;
		ssize_t got = pread(fd, buf, want, end - (off_t)want);
		if (got != (ssize_t)want)
			break;
		buf[want] = '\0';
		/* The last complete line ends at the last '\n'. */
		ssize_t stop = (ssize_t)want - 1;
		while (stop >= 0 && buf[stop] != '\n')
			stop--;
		if (stop < 0) {
			if ((off_t)want == end)
				break; /* no complete line at all */
			cap *= 2;
			continue;
		}
		ssize_t start = stop - 1;
		while (start >= 0 && buf[start] != '\n')
			start--;
		if (start < 0 && (off_t)want < end) {
			cap *= 2;
			continue;
		}
		buf[stop] = '\0';
		const char *line = buf + start + 1;
		const char *js = line[0] == '{' ? line : strchr(line, ' ');
		json_t *obj = js ? json_loads(js[0] == ' ' ? js + 1 : js, 0, NULL) : NULL;
		json_t *s = json_object_get(obj, "seq");
		if (json_is_integer(s) && json_integer_value(s) >= 0) {
			*seq = (uint64_t)json_integer_value(s);
			rc = 0;
			off_t keep = end - (off_t)want + stop + 1;
			if (keep < end && ftruncate(STDOUT_FILENO, keep) != 0)
				rc = -2;
		} else {
			rc = -1;
		}
		json_decref(obj);
		break;
	}
	free(buf);
	close(fd);
	return rc;
}

static int cmd_tail(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "cursor", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "idle-exit", required_argument, NULL, 'i' },
		HELP_OPT,
		{ NULL, 0, NULL, 0 },
	};
	struct tail_state st = { 0 };
	const char *cursor = NULL, *prefix = NULL;
	long long from = -1, idle_exit = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "f:p:c:jn:i:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (parse_long(optarg, 0, INT64_MAX, &from)) {
				die_msg("tail: --from '%s' is not a seq (0 or more)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'c':
			cursor = optarg;
			break;
		case 'j':
			st.json_only = true;
			break;
		case 'n':
			if (parse_long(optarg, 1, INT64_MAX, &st.count)) {
				die_msg("tail: --count '%s' is not a positive number", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (parse_long(optarg, 1, 86400 * 365, &idle_exit)) {
				die_msg("tail: --idle-exit '%s' is not a number of seconds",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			return fputs(tail_usage, stdout), EXIT_OK;
		default:
			return fputs(tail_usage, stderr), EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fputs(tail_usage, stderr), EXIT_USAGE;

	struct wms_tailer_opts to = WMS_TAILER_OPTS_INIT;
	bool resume = false;
	uint64_t start = 0, v;
	if (cursor) {
		int r = cursor_read(cursor, &v);
		if (r < 0) {
			die_msg("tail: cursor %s does not hold a seq; remove it to start afresh",
			        cursor);
			return EXIT_USAGE;
		}
		if (r == 0) {
			start = v;
			resume = true;
		}
	}
	int r = stdout_last_seq(&v);
	if (r == -2) {
		die_msg("tail: the output file ends in a torn line that cannot be cut: %s",
		        strerror(errno));
		return EXIT_USAGE;
	}
	if (r == 0 && (!resume || v > start)) {
		start = v;
		resume = true;
	}
	to.events_url = g->events_url;
	to.prefix = prefix;
	if (resume)
		to.after = start;
	else if (from >= 0)
		to.after = (uint64_t)from;
	else
		to.from_now = true;

	struct wms_client *c;
	struct wms_tailer *t = NULL;
	struct wms_error err = WMS_ERROR_INIT;
	int status = connect_client(g, &c);
	if (status)
		return status;
	int rc = wms_tailer_new(c, &to, &t, &err);
	if (rc) {
		die_msg("tail: %s", err.message);
		wms_client_close(c);
		return exit_for(rc);
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uint64_t saved = wms_tailer_position(t);
	double last_save = now_s();
	bool warned = false;
	st.last_event = now_s();
	if (cursor && cursor_write(cursor, saved) != 0) {
		die_msg("tail: cannot write the cursor %s: %s", cursor, strerror(errno));
		status = EXIT_USAGE;
		goto out;
	}
	while (!stop_flag) {
		rc = wms_tailer_next(t, CURSOR_EVERY_MS, tail_print, &st, &err);
		if (st.write_failed)
			break; /* stdout is gone (a closed pipe): nothing more to do */
		if (rc < 0) {
			if (!warned)
				die_msg("tail: %s (retrying)", err.message);
			warned = true;
		} else {
			warned = false;
		}
		/* The position is printed-through: every delivered event has been written. */
		uint64_t pos = wms_tailer_position(t);
		if (cursor && pos != saved && now_s() - last_save >= CURSOR_EVERY_MS / 1000.0) {
			if (cursor_write(cursor, pos) == 0)
				saved = pos;
			last_save = now_s();
		}
		if (rc > 0)
			break; /* --count reached */
		if (idle_exit && now_s() - st.last_event >= (double)idle_exit)
			break;
	}
out:;
	/* A failed write must not count as printed: the cursor stays at the last good line. */
	uint64_t final =
	    st.write_failed ? (st.last_printed ? st.last_printed : saved) : wms_tailer_position(t);
	if (cursor && final != saved && cursor_write(cursor, final) != 0) {
		die_msg("tail: cannot write the cursor %s: %s", cursor, strerror(errno));
		status = EXIT_USAGE;
	}
	wms_tailer_free(t);
	wms_client_close(c);
	free(st.buf);
	return status;
}

/* ---- gen-orders ---- */

static const char gen_usage[] =
    "usage: wmsctl gen-orders --network FILE --count N [--seed S] [--tenant T]\n"
    "                         [--start RFC3339] [--country CC] [--id-prefix P]\n"
    "  Prints N random but valid orders (JSON lines) for the items of a network file:\n"
    "  1-5 lines each, ship-to near a warehouse (an email, a phone on every third order),\n"
    "  a service that warehouse offers, promised_by = start + transit days + 1-3 days.\n"
    "  The same seed gives the same orders.\n"
    "  --seed S       PRNG seed (default: from the clock, printed on stderr)\n"
    "  --tenant T     only orders of tenant T (default: all tenants with items)\n"
    "  --start TIME   the orders' placement time (default: now); 'engine' asks the engine\n"
    "                 at --url for its time (a --sim-clock engine may be days ahead)\n"
    "  --country CC   ship-to country (default: from the warehouse's timezone)\n"
    "  --id-prefix P  order ids P-000001... (default: G<seed>)\n"
    "  example: wmsctl gen-orders --network engine/demo/network.json --count 1000 > o.jsonl\n";

/* splitmix64: small, fast, and the same sequence on every machine. */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd_next(s) % n : 0;
}

static double rnd_unit(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) / 9007199254740992.0;
}

/*
 * ISO country of a warehouse, from its IANA timezone, into CC: the country tzdata's zone.tab
 * gives the zone (America/Bogota is CO, not US), else a few well-known zones (a system
 * without zone.tab). NULL when neither knows it.
 */
static const char *country_of_tz(const char *tz, char cc[3])
{
	static const struct {
		const char *tz, *cc;
	} map[] = {
		{ "America/New_York", "US" },    { "America/Chicago", "US" },
		{ "America/Los_Angeles", "US" }, { "America/Denver", "US" },
		{ "America/Toronto", "CA" },     { "America/Mexico_City", "MX" },
		{ "Europe/Berlin", "DE" },       { "Europe/London", "GB" },
		{ "Europe/Paris", "FR" },        { "Europe/Amsterdam", "NL" },
		{ "Asia/Tokyo", "JP" },          { "Australia/Sydney", "AU" },
	};
	if (tz == NULL)
		return NULL;
	const char *dir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
	char path[4096], line[512];
	snprintf(path, sizeof(path), "%s/zone.tab", dir);
	FILE *f = fopen(path, "re");
	bool found = false;
	/* zone.tab: "CC<TAB>coordinates<TAB>zone[<TAB>comment]", '#' comments. */
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (line[0] == '#' || t1 != line + 2 || t2 == NULL)
			continue;
		size_t n = strcspn(t2 + 1, "\t\r\n");
		if (strlen(tz) == n && strncmp(t2 + 1, tz, n) == 0) {
			memcpy(cc, line, 2);
			cc[2] = '\0';
			found = true;
		}
	}
	if (f)
		fclose(f);
	if (found)
		return cc;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].tz, tz) == 0)
			return strcpy(cc, map[i].cc);
	return NULL;
}

static const char *const first_names[] = { "Ada",   "Ben",   "Chloe", "Dmitri", "Elena", "Farid",
	                                   "Grace", "Hiro",  "Ines",  "Jonas",  "Kemal", "Lena",
	                                   "Maya",  "Noah",  "Olga",  "Pedro",  "Quinn", "Rosa",
	                                   "Sam",   "Tariq", "Uma",   "Victor", "Wen",   "Yara" };
static const char *const last_names[] = { "Adams",    "Becker", "Chen",    "Diaz",   "Evans",
	                                  "Fischer",  "Garcia", "Hansen",  "Ito",    "Jensen",
	                                  "Kowalski", "Lopez",  "Moreau",  "Nowak",  "Okafor",
	                                  "Park",     "Rossi",  "Schmidt", "Tanaka", "Weber" };
static const char *const streets[] = { "Oak",  "Maple", "Cedar", "Elm",   "Pine",   "Lake",
	                               "Hill", "Park",  "Main",  "River", "Spring", "Willow" };
static const char *const suffixes[] = { "St", "Ave", "Rd", "Blvd", "Ln", "Dr" };
static const char *const gifts[] = { "Happy birthday!", "Congratulations on the new job",
	                             "With love, from all of us", "Thank you for everything",
	                             "Enjoy - see you soon" };
#define PICK(s, arr) arr[rnd_below(s, sizeof(arr) / sizeof(arr[0]))]

/* "Ada Chen", order 7: "ada.chen.7@example.com" (example.com: RFC 2606, never delivered). */
static void contact_of(const char *name, long long n, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = name; *p && o + 1 < cap; p++)
		out[o++] = *p == ' ' ? '.' : (char)tolower((unsigned char)*p);
	out[o] = '\0';
	snprintf(out + o, cap - o, ".%lld@example.com", n);
}

struct gen_wh {
	const json_t *wh;
	double lat, lon;
	const char *country;
	char cc[3]; /* country_of_tz's answer, when country points here */
};

/* The engine's time (ping), for orders placed on a simulated clock. 0 or an exit status. */
static int engine_time(const struct global *g, int64_t *at)
{
	json_t *reply = NULL;
	int rc = call_once(g, json_pack("{s:s}", "op", "ping"), &reply, "gen-orders: --start engine",
	                   NULL);
	if (rc)
		return rc;
	const char *t = json_string_value(json_object_get(reply, "time"));
	rc = t && wms_time_parse(t, at) == 0 ? 0 : EXIT_REFUSED;
	if (rc)
		die_msg("gen-orders: --start engine: the ping reply has no time");
	json_decref(reply);
	return rc;
}

static int cmd_gen_orders(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "network", required_argument, NULL, 'N' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "tenant", required_argument, NULL, 't' },
		{ "start", required_argument, NULL, 'S' },
		{ "country", required_argument, NULL, 'C' },
		{ "id-prefix", required_argument, NULL, 'I' },
		HELP_OPT,
		{ NULL, 0, NULL, 0 },
	};
	const char *network = NULL, *tenant = NULL, *country = NULL, *idp = NULL;
	long long count = -1, seed_arg = -1;
	int64_t start = 0;
	bool have_start = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "N:n:s:t:S:C:I:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'N':
			network = optarg;
			break;
		case 'n':
			if (parse_long(optarg, 0, 100000000, &count)) {
				die_msg("gen-orders: --count '%s' is not a number in 0..100000000",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_long(optarg, 0, INT64_MAX, &seed_arg)) {
				die_msg("gen-orders: --seed '%s' is not a number", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			tenant = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "engine") == 0) {
				int rc = engine_time(g, &start);
				if (rc)
					return rc;
			} else if (wms_time_parse(optarg, &start)) {
				die_msg("gen-orders: --start '%s' is not an RFC 3339 time", optarg);
				return EXIT_USAGE;
			}
			have_start = true;
			break;
		case 'C':
			/* The engine's rule (wms/country.h): orders it would refuse are no test. */
			if (!wms_country_valid(optarg)) {
				const char *instead = wms_country_instead(optarg);
				die_msg("gen-orders: --country '%s' is not an ISO 3166-1 alpha-2 "
				        "code%s%s%s",
				        optarg, instead ? ": use '" : " (e.g. DE, GB, US)",
				        instead ? instead : "", instead ? "'" : "");
				return EXIT_USAGE;
			}
			country = optarg;
			break;
		case 'I':
			if (!wms_id_valid(optarg, 40)) {
				die_msg("gen-orders: --id-prefix '%s' is not an identifier",
				        optarg);
				return EXIT_USAGE;
			}
			idp = optarg;
			break;
		case 'h':
			return fputs(gen_usage, stdout), EXIT_OK;
		default:
			return fputs(gen_usage, stderr), EXIT_USAGE;
		}
	}
	if (optind != argc || network == NULL || count < 0) {
		die_msg("gen-orders: --network FILE and --count N are required");
		return fputs(gen_usage, stderr), EXIT_USAGE;
	}
	json_error_t jerr;
	json_t *net = json_load_file(network, JSON_REJECT_DUPLICATES, &jerr);
	if (net == NULL) {
		die_msg("gen-orders: %s: line %d column %d: %s", network, jerr.line, jerr.column,
		        jerr.text);
		return EXIT_USAGE;
	}
	int status = EXIT_OK;
	struct gen_wh *whs = NULL;
	const json_t **items = NULL;
	const char **tenants = NULL;
	size_t nwh = 0, nitems = 0, ntenants = 0, i;
	json_t *v;
	json_t *jw = json_object_get(net, "warehouses"), *ji = json_object_get(net, "items");
	whs = calloc(json_array_size(jw) + 1, sizeof(*whs));
	items = calloc(json_array_size(ji) + 1, sizeof(*items));
	tenants = calloc(json_array_size(ji) + 1, sizeof(*tenants));
	if (whs == NULL || items == NULL || tenants == NULL) {
		die_msg("gen-orders: out of memory");
		status = EXIT_REFUSED;
		goto out;
	}
	json_array_foreach(jw, i, v)
	{
		const json_t *loc = json_object_get(v, "location");
		if (json_array_size(json_object_get(v, "carriers")) == 0 || loc == NULL)
			continue;
		struct gen_wh *w = &whs[nwh++];
		w->wh = v;
		w->lat = json_number_value(json_object_get(loc, "lat"));
		w->lon = json_number_value(json_object_get(loc, "lon"));
		w->country = country
		                 ? country
		                 : country_of_tz(json_string_value(json_object_get(v, "timezone")),
		                                 w->cc);
		if (w->country == NULL)
			w->country = "US";
	}
	json_array_foreach(ji, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "tenant"));
		if (t == NULL || json_string_value(json_object_get(v, "sku")) == NULL ||
		    (tenant && strcmp(t, tenant) != 0))
			continue;
		items[nitems++] = v;
		size_t k;
		for (k = 0; k < ntenants && strcmp(tenants[k], t) != 0; k++)
			;
		if (k == ntenants)
			tenants[ntenants++] = t;
	}
	if (nwh == 0 || nitems == 0) {
		die_msg("gen-orders: %s has no %s%s%s", network,
		        nwh == 0 ? "warehouse with carriers" : "items",
		        nwh != 0 && tenant ? " of tenant " : "", nwh != 0 && tenant ? tenant : "");
		status = EXIT_USAGE;
		goto out;
	}
	uint64_t seed = seed_arg >= 0 ? (uint64_t)seed_arg : (uint64_t)wms_wall_ms();
	if (seed_arg < 0)
		fprintf(stderr, "gen-orders: seed %" PRIu64 "\n", seed);
	if (!have_start)
		start = wms_wall_ms() / 1000 * 1000;
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "%s", idp ? idp : "");
	if (idp == NULL)
		snprintf(prefix, sizeof(prefix), "G%" PRIu64, seed);
	uint64_t s = seed;
	const json_t **pick = calloc(nitems, sizeof(*pick));
	if (pick == NULL) {
		status = EXIT_REFUSED;
		goto out;
	}
	for (long long n = 1; n <= count; n++) {
		const char *t = tenants[rnd_below(&s, ntenants)];
		size_t np = 0;
		for (i = 0; i < nitems; i++)
			if (strcmp(json_string_value(json_object_get(items[i], "tenant")), t) == 0)
				pick[np++] = items[i];
		struct gen_wh *w = &whs[rnd_below(&s, nwh)];
		const json_t *carriers = json_object_get(w->wh, "carriers");
		const json_t *cr =
		    json_array_get(carriers, rnd_below(&s, json_array_size(carriers)));
		int64_t transit = json_integer_value(json_object_get(cr, "transit_days"));
		int64_t slack = 1 + (int64_t)rnd_below(&s, 3);
		char id[96], promised[WMS_TIME_BUFSZ], name[64], addr[96], postal[16];
		snprintf(id, sizeof(id), "%s-%06lld", prefix, n);
		wms_time_format(start + (transit + slack) * WMS_MS_PER_DAY, promised);
		snprintf(name, sizeof(name), "%s %s", PICK(&s, first_names), PICK(&s, last_names));
		snprintf(addr, sizeof(addr), "%d %s %s", 1 + (int)rnd_below(&s, 9899),
		         PICK(&s, streets), PICK(&s, suffixes));
		snprintf(postal, sizeof(postal), "%05d", (int)rnd_below(&s, 100000));
		double lat = w->lat + (rnd_unit(&s) - 0.5) * 3.0;
		double lon = w->lon + (rnd_unit(&s) - 0.5) * 4.0;
		lat = fmax(-89.9, fmin(89.9, round(lat * 1e4) / 1e4));
		lon = fmax(-179.9, fmin(179.9, round(lon * 1e4) / 1e4));
		json_t *lines = json_array();
		size_t nl = 1 + (size_t)rnd_below(&s, 5);
		if (nl > np)
			nl = np;
		/* Distinct skus: a partial Fisher-Yates shuffle of this tenant's items. */
		for (size_t k = 0; k < nl; k++) {
			size_t j = k + (size_t)rnd_below(&s, np - k);
			const json_t *tmp = pick[k];
			pick[k] = pick[j];
			pick[j] = tmp;
			uint64_t r = rnd_below(&s, 10);
			json_array_append_new(
			    lines,
			    json_pack("{s:s, s:i}", "sku",
			              json_string_value(json_object_get(pick[k], "sku")), "qty",
			              r < 7   ? 1
			              : r < 9 ? 2
			                      : 3));
		}
		/* Contacts follow from the name and number, not from the generator, so a seed
		 * gives the same orders it always gave, now with a way to reach the customer:
		 * an email always, a (fictional, 555-01xx) phone for every third order. */
		char email[96], phone[32];
		contact_of(name, n, email, sizeof(email));
		snprintf(phone, sizeof(phone), "+1 202 555 01%02lld", n % 100);
		json_t *o = json_pack(
		    "{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s, s:f, s:f, s:s}, s:s, s:s}", "tenant", t,
		    "id", id, "lines", lines, "ship_to", "name", name, "address", addr,
		    "postal_code", postal, "country", w->country, "lat", lat, "lon", lon, "email",
		    email, "service", json_string_value(json_object_get(cr, "service")),
		    "promised_by", promised);
		if (o && n % 3 == 0)
			json_object_set_new(json_object_get(o, "ship_to"), "phone",
			                    json_string(phone));
		if (o && rnd_below(&s, 100) < 15)
			json_object_set_new(o, "gift_message", json_string(PICK(&s, gifts)));
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
		json_decref(o);
		if (text == NULL) {
			die_msg("gen-orders: out of memory");
			status = EXIT_REFUSED;
			break;
		}
		if (puts(text) == EOF) {
			free(text);
			status = EXIT_USAGE; /* stdout closed */
			break;
		}
		free(text);
	}
	free(pick);
out:
	free(whs);
	free(items);
	free(tenants);
	json_decref(net);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_USAGE;
	return status;
}

/* ---- main ---- */

struct command {
	const char *name;
	int (*run)(const struct global *g, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "ping", cmd_ping, "is the engine there; its version, last seq and time" },
	{ "call", cmd_call, "send one request: OP and its fields as JSON" },
	{ "load", cmd_load, "load a network file (tenants, warehouses, items, stock)" },
	{ "submit", cmd_submit, "submit orders from a JSON-lines file, pipelined" },
	{ "order", cmd_order, "show an order's state and timeline" },
	{ "tail", cmd_tail, "follow the event stream, each event once, in order" },
	{ "gen-orders", cmd_gen_orders, "print random valid orders for a network file" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wmsctl [--url URL] [--events URL] [--timeout MS] COMMAND [ARGS...]\n"
	           "  --url URL      commands (REQ), default $WMS_URL or " WMS_DEFAULT_URL "\n"
	           "  --events URL   event stream (SUB), default $WMS_EVENTS_URL or "
	           "" WMS_DEFAULT_EVENTS_URL "\n"
	           "  --timeout MS   to connect and for each reply (default 5000)\n"
	           "commands (wmsctl COMMAND --help):\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "exit status: 0 ok, 1 refused, 2 usage, 3 cannot connect or timeout\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "events", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { getenv("WMS_URL"), getenv("WMS_EVENTS_URL"), DEFAULT_TIMEOUT_MS };
	if (g.url == NULL || g.url[0] == '\0')
		g.url = WMS_DEFAULT_URL;
	if (g.events_url == NULL || g.events_url[0] == '\0')
		g.events_url = WMS_DEFAULT_EVENTS_URL;
	long long ms;
	int ch;
	/* '+': stop at the command; its own options are parsed by the command. */
	while ((ch = getopt_long(argc, argv, "+u:e:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			g.url = optarg;
			break;
		case 'e':
			g.events_url = optarg;
			break;
		case 't':
			if (parse_long(optarg, 1, 3600000, &ms)) {
				die_msg(
				    "--timeout '%s' is not a number of milliseconds (1..3600000)",
				    optarg);
				return EXIT_USAGE;
			}
			g.timeout_ms = (int)ms;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			int cargc = argc - optind;
			char **cargv = argv + optind;
			optind = 0; /* re-initialise getopt for the command's own options */
			return commands[i].run(&g, cargc, cargv);
		}
	}
	die_msg("unknown command '%s' (wmsctl --help lists them)", name);
	return EXIT_USAGE;
}
