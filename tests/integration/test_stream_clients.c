/*
 * test_stream_clients.c - the event stream over TCP for clients that are not this project's:
 * a Perl subscriber that speaks the SP wire protocol by hand (tests/integration/
 * sub_client.pl, PROTOCOL.md section 8.3) and the stock nngcat, against a real wmsd on
 * 127.0.0.1.
 *
 * Ports: two free ports are taken from the kernel (bind to port 0) just before wmsd starts;
 * should another process grab one in between, wmsd fails to bind and the start is retried on
 * new ports. A subscription takes effect asynchronously, so each test first publishes warm-up
 * events (tenant.put with a changing name) until every client has printed one, and only then
 * the orders it checks. Every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc.h"

#define RUN_MS     60000
#define ORDERS     40
#define PER_CLIENT 30 /* events each client is asked for: fewer than the orders */

static int free_ports(int *a, int *b)
{
	int fd[2] = { -1, -1 }, port[2] = { 0, 0 }, rc = 0;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sa = { 0 };
		socklen_t len = sizeof(sa);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		/* Both stay bound until both are known, so the two ports differ. */
		if ((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    bind(fd[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(fd[i], (struct sockaddr *)&sa, &len) != 0) {
			rc = -1;
			break;
		}
		port[i] = ntohs(sa.sin_port);
	}
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	*a = port[0];
	*b = port[1];
	return rc;
}

struct tcp_engine {
	struct wmsd_proc w;
	int req_port, ev_port;
};

static int engine_up(void **state)
{
	struct tcp_engine *e = calloc(1, sizeof(*e));
	if (e == NULL || wmsd_init(&e->w) != 0) {
		free(e);
		return -1;
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		if (free_ports(&e->req_port, &e->ev_port) != 0)
			continue;
		snprintf(e->w.url, sizeof(e->w.url), "tcp://127.0.0.1:%d", e->req_port);
		snprintf(e->w.events_url, sizeof(e->w.events_url), "tcp://127.0.0.1:%d",
		         e->ev_port);
		if (wmsd_spawn(&e->w, NULL, 20000) == 0) {
			*state = e;
			return 0;
		}
	}
	wmsd_stop(&e->w);
	free(e);
	return -1;
}

static int engine_down(void **state)
{
	struct tcp_engine *e = *state;
	wmsd_stop(&e->w);
	free(e);
	return 0;
}

/* The full path of PROGRAM found on $PATH, in OUT; false when it is not there. */
static bool on_path(const char *program, char out[PATH_MAX])
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", path && path[0] ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if (snprintf(out, PATH_MAX, "%s/%s", d, program) < PATH_MAX &&
		    access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Skips the test with a message when PROGRAM is not installed. */
#define REQUIRE_PROGRAM(program, path)                                                             \
	do {                                                                                       \
		if (!on_path((program), (path))) {                                                 \
			print_message("skipped: '%s' is not installed (PATH=%s)\n", (program),     \
			              getenv("PATH") ? getenv("PATH") : "");                       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void ctl(struct wmsd_proc *w, const char *const args[])
{
	struct proc_output o = PROC_OUTPUT_INIT;
	assert_int_equal(wmsctl_run(w, args, NULL, RUN_MS, &o), 0);
	if (o.status != 0)
		fail_msg("wmsctl %s exited %d\n%s%s", args[0], o.status, o.out, o.err);
	proc_output_release(&o);
}
#define CTL(w, ...) ctl((w), (const char *const[]){ __VA_ARGS__, NULL })

/* Writes ORDERS generated orders to DIR/orders.jsonl, after loading the network. */
static void prepare_orders(struct wmsd_proc *w, char path[PATH_MAX + 32])
{
	char net[PATH_MAX], count[16];
	struct proc_output o = PROC_OUTPUT_INIT;
	proc_root_path("tests/data/network-small.json", net);
	CTL(w, "load", net);
	snprintf(count, sizeof(count), "%d", ORDERS);
	const char *args[] = { "gen-orders", "--network", net,
		               "--count",    count,       "--seed",
		               "21",         "--start",   "2026-03-02T09:00:00Z",
		               NULL };
	assert_int_equal(wmsctl_run(w, args, NULL, RUN_MS, &o), 0);
	assert_int_equal(o.status, 0);
	snprintf(path, PATH_MAX + 32, "%s/orders.jsonl", w->dir);
	assert_int_equal(proc_write_file(path, o.out, o.out_len), 0);
	proc_output_release(&o);
}

/*
 * Publishes warm-up events until every file in OUTS (NOUT of them) has content, i.e. every
 * subscriber is connected and receiving. Bounded: 200 events, 50 ms apart at most.
 */
static void warm_up(struct wmsd_proc *w, const char *const outs[], size_t nout)
{
	for (int i = 0; i < 200; i++) {
		char body[128];
		snprintf(body, sizeof(body),
		         "{\"tenant\":{\"id\":\"warm\",\"name\":\"Warm-up %d\"}}", i);
		CTL(w, "call", "tenant.put", body);
		int64_t until = proc_now_ms() + 50;
		size_t ready = 0;
		while (proc_now_ms() < until) {
			ready = 0;
			for (size_t k = 0; k < nout; k++)
				ready += proc_file_size(outs[k]) > 0;
			if (ready == nout)
				return;
			usleep(5000);
		}
	}
	fail_msg("the subscribers did not receive a warm-up event within 200 events");
}

/*
 * Checks one received event, "type {json}" of LEN bytes at P: valid JSON, its type equal to
 * the prefix, its seq larger than *LAST (updated). Counts order.received events in *ORDERS.
 */
static void check_event(const char *p, size_t len, long long *last, int *orders)
{
	const char *sp = memchr(p, ' ', len);
	if (sp == NULL)
		fail_msg("not \"type SPACE json\": %.*s", (int)len, p);
	json_error_t jerr;
	json_t *ev = json_loadb(sp + 1, len - (size_t)(sp + 1 - p), 0, &jerr);
	if (ev == NULL)
		fail_msg("not JSON after the space (%s): %.*s", jerr.text, (int)len, p);
	const char *type = json_string_value(json_object_get(ev, "type"));
	long long seq = json_integer_value(json_object_get(ev, "seq"));
	if (type == NULL || strlen(type) != (size_t)(sp - p) || memcmp(type, p, sp - p) != 0)
		fail_msg("the type before the space is not the event's: %.*s", (int)len, p);
	if (seq <= *last)
		fail_msg("seq %lld after %lld", seq, *last);
	*last = seq;
	if (strcmp(type, "order.received") == 0)
		(*orders)++;
	json_decref(ev);
}

/* Line-per-event output (the Perl client): every line checked; returns the count. */
static int check_lines(const char *text, int *orders)
{
	long long last = 0;
	int n = 0;
	for (const char *p = text; *p; n++) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		check_event(p, (size_t)(nl - p), &last, orders);
		p = nl + 1;
	}
	return n;
}

/* nngcat --quoted: one C-quoted string per line (\n \r \t \" \\ and \xHH escapes). */
static int check_quoted(const char *text, int *orders)
{
	long long last = 0;
	int n = 0;
	char *buf = malloc(strlen(text) + 1);
	for (const char *p = text; *p; n++) {
		size_t len = 0;
		if (*p++ != '"')
			fail_msg("not a quoted line: %s", p - 1);
		while (*p && *p != '"') {
			if (*p != '\\') {
				buf[len++] = *p++;
				continue;
			}
			p++;
			switch (*p) {
			case 'n':
				buf[len++] = '\n';
				break;
			case 'r':
				buf[len++] = '\r';
				break;
			case 't':
				buf[len++] = '\t';
				break;
			case 'x': {
				unsigned v;
				if (sscanf(p + 1, "%2x", &v) != 1)
					fail_msg("bad \\x escape in %s", text);
				buf[len++] = (char)v;
				p += 2;
				break;
			}
			default:
				buf[len++] = *p;
			}
			p++;
		}
		if (*p++ != '"' || *p++ != '\n')
			fail_msg("unterminated quoted line in:\n%s", text);
		check_event(buf, len, &last, orders);
	}
	free(buf);
	return n;
}

/* nngcat --raw: the payloads back to back with nothing between them; the end of each event's
 * JSON object is where the next message starts. */
static int check_raw(const char *text, size_t size, int *orders)
{
	long long last = 0;
	int n = 0;
	size_t off = 0;
	while (off < size) {
		const char *sp = memchr(text + off, ' ', size - off);
		assert_non_null(sp);
		json_error_t jerr;
		size_t json_at = (size_t)(sp + 1 - text);
		json_t *ev =
		    json_loadb(text + json_at, size - json_at, JSON_DISABLE_EOF_CHECK, &jerr);
		if (ev == NULL)
			fail_msg("raw stream: not JSON at byte %zu (%s)", json_at, jerr.text);
		size_t end = json_at + (size_t)jerr.position;
		json_decref(ev);
		check_event(text + off, end - off, &last, orders);
		off = end;
		n++;
	}
	return n;
}

/* Waits (bounded) for PID and asserts it exited 0; prints ERR_PATH's content otherwise. */
static void expect_exit_0(pid_t pid, const char *what, const char *err_path)
{
	int st = -1;
	if (proc_wait(pid, RUN_MS, &st) != 0)
		proc_kill(pid, SIGKILL, 10000, &st);
	if (st != 0) {
		char *err = NULL;
		proc_read_file(err_path, &err, NULL);
		fail_msg("%s exited %d: %s", what, st, err ? err : "");
	}
}

static void test_a_perl_subscriber_without_nng_reads_the_stream_over_tcp(void **state)
{
	struct tcp_engine *e = *state;
	char perl[PATH_MAX], script[PATH_MAX], orders[PATH_MAX + 32], port[16], count[16];
	char out[PATH_MAX + 16], err[PATH_MAX + 16];
	REQUIRE_PROGRAM("perl", perl);
	prepare_orders(&e->w, orders);
	snprintf(port, sizeof(port), "%d", e->ev_port);
	snprintf(count, sizeof(count), "%d", PER_CLIENT);
	snprintf(out, sizeof(out), "%s/perl.out", e->w.dir);
	snprintf(err, sizeof(err), "%s/perl.err", e->w.dir);
	const char *argv[] = {
		perl,        proc_root_path("tests/integration/sub_client.pl", script),
		"--timeout", "50",
		"127.0.0.1", port,
		count,       NULL
	};
	pid_t pid;
	assert_int_equal(proc_spawn(argv, NULL, out, false, err, &pid), 0);
	const char *outs[] = { out };
	warm_up(&e->w, outs, 1);
	CTL(&e->w, "submit", "--quiet", orders);
	expect_exit_0(pid, "sub_client.pl", err);

	char *text;
	int n_orders = 0;
	assert_int_equal(proc_read_file(out, &text, NULL), 0);
	assert_int_equal(check_lines(text, &n_orders), PER_CLIENT);
	assert_true(n_orders > 0); /* past the warm-up: the orders' events */
	free(text);
}

static void test_a_perl_req_client_gets_its_request_id_echoed(void **state)
{
	struct tcp_engine *e = *state;
	char perl[PATH_MAX], script[PATH_MAX], port[16];
	REQUIRE_PROGRAM("perl", perl);
	snprintf(port, sizeof(port), "%d", e->req_port);
	const char *argv[] = {
		perl,        proc_root_path("tests/integration/sub_client.pl", script),
		"--timeout", "20",
		"--ping",    "127.0.0.1",
		port,        NULL
	};
	struct proc_output o = PROC_OUTPUT_INIT;
	assert_int_equal(proc_run(argv, NULL, e->w.dir, RUN_MS, &o), 0);
	if (o.status != 0)
		fail_msg("sub_client.pl --ping exited %d: %s", o.status, o.err);
	assert_non_null(strstr(o.out, " echoed: {\"ok\":true,\"version\":1"));
	proc_output_release(&o);
}

static void test_the_stock_nngcat_receives_the_stream_quoted_and_raw(void **state)
{
	struct tcp_engine *e = *state;
	char nngcat[PATH_MAX], orders[PATH_MAX + 32], count[16];
	char qout[PATH_MAX + 16], qerr[PATH_MAX + 16], rout[PATH_MAX + 16], rerr[PATH_MAX + 16];
	REQUIRE_PROGRAM("nngcat", nngcat);
	prepare_orders(&e->w, orders);
	snprintf(count, sizeof(count), "%d", PER_CLIENT);
	snprintf(qout, sizeof(qout), "%s/quoted.out", e->w.dir);
	snprintf(qerr, sizeof(qerr), "%s/quoted.err", e->w.dir);
	snprintf(rout, sizeof(rout), "%s/raw.out", e->w.dir);
	snprintf(rerr, sizeof(rerr), "%s/raw.err", e->w.dir);
	const char *qargv[] = { nngcat, "--sub0",   "--connect", e->w.events_url, "--subscribe",
		                "",     "--quoted", "--count",   count,           "--recv-timeout",
		                "50",   NULL };
	const char *rargv[] = { nngcat, "--sub0", "--connect", e->w.events_url, "--subscribe",
		                "",     "--raw",  "--count",   count,           "--recv-timeout",
		                "50",   NULL };
	pid_t q, r;
	assert_int_equal(proc_spawn(qargv, NULL, qout, false, qerr, &q), 0);
	assert_int_equal(proc_spawn(rargv, NULL, rout, false, rerr, &r), 0);
	const char *outs[] = { qout, rout };
	warm_up(&e->w, outs, 2);
	CTL(&e->w, "submit", "--quiet", orders);
	expect_exit_0(q, "nngcat --quoted", qerr);
	expect_exit_0(r, "nngcat --raw", rerr);

	char *text;
	size_t size;
	int n_orders = 0;
	assert_int_equal(proc_read_file(qout, &text, NULL), 0);
	assert_int_equal(check_quoted(text, &n_orders), PER_CLIENT);
	assert_true(n_orders > 0);
	free(text);
	n_orders = 0;
	assert_int_equal(proc_read_file(rout, &text, &size), 0);
	assert_int_equal(check_raw(text, size, &n_orders), PER_CLIENT);
	assert_true(n_orders > 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, engine_up, engine_down)
		T(test_a_perl_subscriber_without_nng_reads_the_stream_over_tcp),
		T(test_a_perl_req_client_gets_its_request_id_echoed),
		T(test_the_stock_nngcat_receives_the_stream_quoted_and_raw),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
