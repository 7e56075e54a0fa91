/*
 * test_wms_scan.c - the scan station against a real wmsd on ipc:// sockets.
 *
 * Each test starts its own engine (tests/support/daemon.h) on the small network, makes work
 * through the ops (orders, a released wave), and runs wms-scan as a separate process
 * (posix_spawn, tests/support/proc.h) whose stdin is a FIFO written all at once: the burst a
 * scanner makes when the engine is slower than the scans. It asserts on the display lines and
 * on the engine's state and event counts, so that every scan is known to be applied exactly
 * once and in order. Transport failures are tested against a fake engine in this process (a
 * REP socket that does not answer), so they need no timing of the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "proc.h"
#include "tengine.h"

#define RUN_MS 30000 /* a bound for one wms-scan run; a run takes well under a second */

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)

/* ---- engine ---- */

static char seed_path[PATH_MAX];

static int engine_up(void **state)
{
	struct tdaemon *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -1;
	tdaemon_init(d);
	d->seed = proc_root_path("tests/data/network-small.json", seed_path);
	if (tdaemon_start(d) != 0) {
		tdaemon_cleanup(d);
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int engine_down(void **state)
{
	struct tdaemon *d = *state;
	tdaemon_cleanup(d);
	free(d);
	return 0;
}

/* The printf-formatted request; asserts "ok":true and returns the reply. */
static json_t *call_ok(struct tdaemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static json_t *call_ok(struct tdaemon *d, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	assert_true(n > 0);
	json_t *r = tdaemon_call(d, "%s", text);
	if (r == NULL)
		fail_msg("no reply to %s", text);
	if (!json_is_true(json_object_get(r, "ok"))) {
		char *s = json_dumps(r, JSON_COMPACT);
		fail_msg("%s\nrefused: %s", text, s);
	}
	free(text);
	return r;
}

/* Submits TENANT acme's order ID of QTY x SKU, promised in five days. */
static void submit(struct tdaemon *d, const char *id, const char *sku, int qty)
{
	char by[32];
	time_t t = time(NULL) + 5 * 86400;
	strftime(by, sizeof(by), "%Y-%m-%dT23:59:59Z", gmtime(&t));
	json_decref(call_ok(d,
	                    "{\"op\":\"order.submit\",\"order\":{\"tenant\":\"acme\",\"id\":\"%s\","
	                    "\"lines\":[{\"sku\":\"%s\",\"qty\":%d}],\"ship_to\":{\"name\":\"Ann "
	                    "Lee\",\"address\":\"1 Main St\",\"postal_code\":\"10001\","
	                    "\"country\":\"US\",\"lat\":40.75,\"lon\":-73.99},\"service\":"
	                    "\"standard\",\"promised_by\":\"%s\"}}",
	                    id, sku, qty, by));
}

/* What a released wave gives the floor: its one batch's tasks, first location and tote. */
struct work {
	long long tasks;
	char location[64];
	char tote[32];
};

/* Plans and releases the waiting orders of EWR1 as one wave, and reads it back. */
static void release(struct tdaemon *d, struct work *w)
{
	json_t *p = call_ok(d, "{\"op\":\"wave.plan\",\"warehouse\":\"EWR1\"}");
	assert_int_equal(json_array_size(tget(p, "waves")), 1);
	char wave[32];
	snprintf(wave, sizeof(wave), "%s", tget_str(p, "waves[0].id"));
	json_decref(p);
	json_decref(call_ok(d, "{\"op\":\"wave.release\",\"wave\":\"%s\"}", wave));
	json_t *g = call_ok(d, "{\"op\":\"wave.get\",\"wave\":\"%s\"}", wave);
	w->tasks = tget_int(g, "wave.tasks");
	snprintf(w->location, sizeof(w->location), "%s",
	         tget_str(g, "wave.batches[0].stops[0].location"));
	snprintf(w->tote, sizeof(w->tote), "%s", tget_str(g, "wave.batches[0].totes[0].tote"));
	json_decref(g);
}

static json_t *order_get(struct tdaemon *d, const char *id)
{
	return call_ok(d, "{\"op\":\"order.get\",\"tenant\":\"acme\",\"id\":\"%s\"}", id);
}

/* How many events of TYPE the engine has (with FIELD == VALUE when FIELD is not NULL). */
static int count_events(struct tdaemon *d, const char *type, const char *field, const char *value)
{
	json_t *r = call_ok(d, "{\"op\":\"events.read\",\"after\":0,\"limit\":10000}");
	int n = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(r, "events"), i, ev)
	{
		const char *t = json_string_value(json_object_get(ev, "type"));
		const char *v = field ? json_string_value(json_object_get(ev, field)) : NULL;
		if (t && strcmp(t, type) == 0 && (field == NULL || (v && strcmp(v, value) == 0)))
			n++;
	}
	json_decref(r);
	return n;
}

/* Picks every task of picker PP through the ops (for the packing tests). */
static void pick_all(struct tdaemon *d, const char *gtin)
{
	unsigned scan = 0;
	for (int guard = 0; guard < 100; guard++) {
		json_t *nx = call_ok(d, "{\"op\":\"task.next\",\"warehouse\":\"EWR1\","
		                        "\"picker\":\"PP\"}");
		json_t *t = tget(nx, "task");
		if (json_is_null(t)) {
			json_decref(nx);
			return;
		}
		const char *id = tget_str(t, "id");
		json_decref(call_ok(d,
		                    "{\"op\":\"pick.scan\",\"device\":\"PD\",\"scan_id\":\"p%u\","
		                    "\"task\":\"%s\",\"code\":\"LOC-%s\"}",
		                    ++scan, id, tget_str(t, "location")));
		for (long long q = 0; q < tget_int(t, "qty"); q++)
			json_decref(call_ok(d,
			                    "{\"op\":\"pick.scan\",\"device\":\"PD\",\"scan_id\":"
			                    "\"p%u\",\"task\":\"%s\",\"code\":\"%s\"}",
			                    ++scan, id, gtin));
		json_t *done =
		    call_ok(d,
		            "{\"op\":\"pick.scan\",\"device\":\"PD\",\"scan_id\":\"p%u\","
		            "\"task\":\"%s\",\"code\":\"%s\"}",
		            ++scan, id, tget_str(t, "tote"));
		assert_true(json_is_true(json_object_get(done, "done")));
		json_decref(done);
		json_decref(nx);
	}
	fail_msg("picking never ended");
}

/* ---- running wms-scan ---- */

/*
 * wms-scan with ARGS and --url URL, its stdin the FIFO DIR/scan.in. The test holds the FIFO
 * open read-write so that the child's open for reading does not wait for a writer (posix_spawn
 * opens it in the child before exec); closing it is the end of the input.
 */
struct scan_proc {
	pid_t pid;
	int in_fd;
	char in[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
};

static void scan_start(struct scan_proc *p, const char *dir, const char *url,
                       const char *const args[])
{
	char bin[PATH_MAX];
	const char *argv[32];
	size_t n = 0;
	argv[n++] = proc_bin("wms-scan", bin);
	for (size_t i = 0; args[i] && n < 28; i++)
		argv[n++] = args[i];
	argv[n++] = "--url";
	argv[n++] = url;
	argv[n] = NULL;
	snprintf(p->in, sizeof(p->in), "%s/scan.in", dir);
	snprintf(p->out, sizeof(p->out), "%s/scan.out", dir);
	snprintf(p->err, sizeof(p->err), "%s/scan.err", dir);
	unlink(p->in);
	assert_int_equal(mkfifo(p->in, 0600), 0);
	p->in_fd = open(p->in, O_RDWR | O_CLOEXEC);
	assert_true(p->in_fd >= 0);
	assert_int_equal(proc_spawn(argv, p->in, p->out, false, p->err, &p->pid), 0);
}

/* Writes TEXT to the station's stdin in one go. */
static void scan_feed(struct scan_proc *p, const char *text)
{
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(p->in_fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		done += (size_t)w;
	}
}

/* Ends the input, waits (bounded) for the exit, and collects what it printed. */
static void scan_finish(struct scan_proc *p, struct proc_output *o)
{
	close(p->in_fd);
	*o = (struct proc_output)PROC_OUTPUT_INIT;
	if (proc_wait(p->pid, RUN_MS, &o->status) == WMS_ETIMEDOUT) {
		proc_kill(p->pid, SIGKILL, 10000, &o->status);
		fail_msg("wms-scan did not end within %d ms", RUN_MS);
	}
	assert_int_equal(proc_read_file(p->out, &o->out, &o->out_len), 0);
	assert_int_equal(proc_read_file(p->err, &o->err, &o->err_len), 0);
	unlink(p->in);
}

/* One run with INPUT written all at once; asserts the exit status WANT. */
static void scan_run(const char *dir, const char *url, const char *input, int want,
                     struct proc_output *o, const char *const args[])
{
	struct scan_proc p;
	scan_start(&p, dir, url, args);
	scan_feed(&p, input);
	scan_finish(&p, o);
	if (o->status != want)
		fail_msg("wms-scan exited %d, expected %d\nstdout:\n%s\nstderr:\n%s", o->status,
		         want, o->out, o->err);
}
#define SCAN(d, input, want, o, ...)                                                               \
	scan_run((d)->dir, (d)->req_url, (input), (want), (o),                                     \
	         (const char *const[]){ __VA_ARGS__, NULL })

/* Lines of TEXT that start with PREFIX. */
static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	size_t k = strlen(prefix);
	for (const char *p = text; *p;) {
		if (strncmp(p, prefix, k) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

/* ---- tests ---- */

#define TEE_S "614141001019" /* ACM-TEE-S, stored at A01-01-1 in EWR1 */
#define TEE_M "614141001026" /* ACM-TEE-M: another item of the same tenant */

static void test_pick_burst_is_judged_in_order_each_scan_exactly_once(void **state)
{
	struct tdaemon *d = *state;
	struct work w;
	submit(d, "SO-1", "ACM-TEE-S", 30);
	release(d, &w);
	assert_int_equal(w.tasks, 1);

	/* 30 right items with 10 wrong ones among them, wrong scans around them, and the noise
	 * of keyboard wedges: CRLF, bare CR, blank lines, padding. */
	char input[8192];
	size_t n = 0;
	n += (size_t)snprintf(input + n, sizeof(input) - n, "%s\nLOC-A02-01-2\r\n\n  LOC-%s \r",
	                      TEE_S, w.location);
	for (int i = 1; i <= 30; i++) {
		n += (size_t)snprintf(input + n, sizeof(input) - n, "%s%s", TEE_S,
		                      i % 3 == 1 ? "\r\n" : "\n");
		if (i % 3 == 1) /* i = 1, 4, .. 28: ten, all before the task's quantity is in */
			n += (size_t)snprintf(input + n, sizeof(input) - n, "\t%s\n\n", TEE_M);
	}
	snprintf(input + n, sizeof(input) - n, "%s\nTOTE-999999\n%s", TEE_S, w.tote);

	struct proc_output o;
	SCAN(d, input, 0, &o, "pick", "--warehouse", "EWR1", "--picker", "P1", "--poll", "200");
	/* Each accepted item once, in the order sent: 1 of 30 .. 30 of 30. */
	const char *at = o.out;
	for (int i = 1; i <= 30; i++) {
		char want[64];
		snprintf(want, sizeof(want), "OK ACM-TEE-S: %d of 30 ", i);
		const char *hit = strstr(at, want);
		if (hit == NULL)
			fail_msg("expected \"%s\" after the previous verdicts in:\n%s", want,
			         o.out);
		at = hit + 1;
	}
	assert_int_equal(count_lines(o.out, "OK ACM-TEE-S: "), 30);
	assert_int_equal(count_lines(o.out, "REFUSED wrong_item "), 10);
	assert_int_equal(count_lines(o.out, "REFUSED out_of_sequence "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED wrong_location "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED over_pick "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED wrong_tote "), 1);
	assert_int_equal(count_lines(o.out, "OK "), 32); /* location, 30 items, tote */
	assert_int_equal(count_lines(o.out, "TASK W1-B1-T1 "), 1);
	assert_contains(o.out, "task W1-B1-T1 done");
	/* Not a terminal: plain text, no bell. */
	assert_null(strchr(o.out, '\033'));
	assert_null(strchr(o.out, '\a'));

	/* The engine counted each scan once. */
	json_t *ord = order_get(d, "SO-1");
	assert_string_equal(tget_str(ord, "order.state"), "picked");
	assert_int_equal(tget_int(ord, "order.allocation.shipments[0].lines[0].picks[0].picked"),
	                 30);
	json_decref(ord);
	assert_int_equal(count_events(d, "pick.scanned", "step", "item"), 30);
	assert_int_equal(count_events(d, "pick.rejected", NULL, NULL), 14);
	assert_int_equal(count_events(d, "pick.confirmed", NULL, NULL), 1);
	proc_output_release(&o);
}

static void test_pick_short_reports_the_units_found_and_asks_for_more_work(void **state)
{
	struct tdaemon *d = *state;
	struct work w;
	submit(d, "SO-2", "ACM-TEE-S", 3);
	release(d, &w);
	char input[256];
	snprintf(input, sizeof(input), "LOC-%s\n%s\nSHORT 1\nshort many\n%s\n", w.location, TEE_S,
	         TEE_S);

	struct proc_output o;
	SCAN(d, input, 0, &o, "pick", "--warehouse", "EWR1", "--picker", "P2", "--device", "RING-7",
	     "--poll", "200");
	assert_contains(o.out, "OK short of 2 x ACM-TEE-S at LOC-");
	assert_contains(o.out, "NO TASK ");
	assert_int_equal(count_lines(o.out, "SKIPPED 'short many'"), 1);
	assert_int_equal(count_lines(o.out, "SKIPPED '" TEE_S "': no task in hand"), 1);

	json_t *r = call_ok(d, "{\"op\":\"events.read\",\"after\":0,\"prefix\":\"pick.short\"}");
	assert_int_equal(tget_int(r, "count"), 1);
	assert_int_equal(tget_int(r, "events[0].found"), 1);
	assert_int_equal(tget_int(r, "events[0].missing"), 2);
	assert_string_equal(tget_str(r, "events[0].device"), "RING-7");
	json_decref(r);
	/* The order went back to allocation (allocated or backordered, as the network holds
	 * it): the verdict names the state the engine has now. */
	json_t *ord = order_get(d, "SO-2");
	const char *st = tget_str(ord, "order.state");
	assert_true(strcmp(st, "picking") != 0 && strcmp(st, "waved") != 0);
	char want[96];
	snprintf(want, sizeof(want), "recorded; order SO-2 is %s -- ", st);
	assert_contains(o.out, want);
	json_decref(ord);
	proc_output_release(&o);
}

static void test_pick_without_work_says_so_and_ends_at_the_end_of_input(void **state)
{
	struct tdaemon *d = *state;
	struct proc_output o;
	SCAN(d, TEE_S "\n", 0, &o, "pick", "--warehouse", "EWR1", "--picker", "P3");
	assert_int_equal(count_lines(o.out, "NO TASK no released work waiting"), 1);
	assert_int_equal(count_lines(o.out, "SKIPPED '" TEE_S "': no task in hand"), 1);
	proc_output_release(&o);

	proc_output_release(&o);
}

/* Regression: READY was printed, and the picker told to scan, before task.next found out that
 * the warehouse does not exist. */
static void test_pick_in_an_unknown_warehouse_fails_before_ready(void **state)
{
	struct tdaemon *d = *state;
	struct proc_output o;
	SCAN(d, TEE_S "\n", 1, &o, "pick", "--warehouse", "NOPE", "--picker", "P3");
	assert_contains(o.err, "warehouse 'NOPE' is not known");
	assert_null(strstr(o.out, "READY"));
	assert_string_equal(o.out, "");
	proc_output_release(&o);
	/* The known warehouse of the same engine is READY. */
	SCAN(d, "", 0, &o, "pick", "--warehouse", "EWR1", "--picker", "P3");
	assert_true(strncmp(o.out, "READY pick: picker P3 in EWR1", 29) == 0);
	proc_output_release(&o);
}

static void test_pack_burst_packs_weighs_closes_and_prints_the_label(void **state)
{
	struct tdaemon *d = *state;
	struct work w;
	submit(d, "SO-3", "ACM-TEE-S", 4);
	release(d, &w);
	pick_all(d, TEE_S);

	/* 4 x 170 g + 150 g of carton = 830 g, tolerance 42 g. */
	char input[1024];
	snprintf(input, sizeof(input),
	         "close\n%s\n%s\n%s\n100g\n%s\n%s\r\n%s\n%s\nweigh 2000\nweigh\n830 g\nclose\n",
	         w.tote, TEE_M, TEE_S, TEE_S, TEE_S, TEE_S, TEE_S);
	struct proc_output o;
	SCAN(d, input, 0, &o, "pack", "--station", "PS-01", "--packer", "ZED");
	assert_int_equal(count_lines(o.out, "REFUSED out_of_sequence "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED not_in_order "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED incomplete "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED over_pack "), 1);
	assert_int_equal(count_lines(o.out, "REFUSED weight_mismatch "), 1);
	assert_int_equal(count_lines(o.out, "SKIPPED 'weigh'"), 1);
	assert_int_equal(count_lines(o.out, "OK ACM-TEE-S packed "), 4);
	assert_int_equal(count_lines(o.out, "OK 830 g within "), 1);
	assert_int_equal(count_lines(o.out, "OK carton "), 1);

	json_t *ord = order_get(d, "SO-3");
	assert_string_equal(tget_str(ord, "order.state"), "packed");
	const char *sscc = tget_str(ord, "order.allocation.shipments[0].cartons[0].sscc");
	assert_non_null(sscc);
	char want[128];
	snprintf(want, sizeof(want), "SSCC %s\nLABEL BEGIN %s\n^XA", sscc, sscc);
	assert_contains(o.out, want);
	snprintf(want, sizeof(want), "^FD(00)%s^FS\n^XZ\nLABEL END %s\n", sscc, sscc);
	assert_contains(o.out, want);
	json_decref(ord);
	assert_int_equal(count_events(d, "pack.scanned", "station", "PS-01"), 4);
	assert_int_equal(count_events(d, "pack.rejected", "station", "PS-01"), 5);
	proc_output_release(&o);
}

static void test_pack_station_label_closes_and_labels_go_to_a_directory(void **state)
{
	struct tdaemon *d = *state;
	struct work w;
	submit(d, "SO-4", "ACM-TEE-S", 1);
	release(d, &w);
	pick_all(d, TEE_S);
	char labels[PATH_MAX], input[256];
	snprintf(labels, sizeof(labels), "%s/labels", d->dir);
	assert_int_equal(mkdir(labels, 0700), 0);
	snprintf(input, sizeof(input), "%s\n%s\n320g\nstn-ps-02\n", w.tote, TEE_S);

	struct proc_output o;
	SCAN(d, input, 0, &o, "pack", "--station", "PS-02", "--labels", labels);
	json_t *ord = order_get(d, "SO-4");
	assert_string_equal(tget_str(ord, "order.state"), "packed");
	const char *sscc = tget_str(ord, "order.allocation.shipments[0].cartons[0].sscc");
	char path[PATH_MAX + 64], want[PATH_MAX + 128];
	snprintf(path, sizeof(path), "%s/%s.zpl", labels, sscc);
	snprintf(want, sizeof(want), "SSCC %s\nLABEL %s\n", sscc, path);
	assert_contains(o.out, want);
	assert_null(strstr(o.out, "LABEL BEGIN"));
	char *zpl = NULL;
	assert_int_equal(proc_read_file(path, &zpl, NULL), 0);
	assert_true(strncmp(zpl, "^XA", 3) == 0);
	assert_contains(zpl, sscc);
	free(zpl);
	json_decref(ord);
	proc_output_release(&o);
}

/*
 * Reads the pty master M until PID has exited and LAST (the last byte the run writes) has
 * arrived: a pty hands data over asynchronously, so the exit alone does not mean that
 * everything is readable yet. Returns what the terminal received.
 */
static char *pty_collect(int m, pid_t pid, char last, int *status)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	int64_t deadline = proc_now_ms() + RUN_MS;
	bool exited = false;
	while (!(exited && memchr(buf, last, n)) && proc_now_ms() < deadline) {
		struct pollfd pf = { m, POLLIN, 0 };
		if (poll(&pf, 1, 20) > 0 && n + 1 < cap) {
			ssize_t r = read(m, buf + n, cap - n - 1);
			if (r > 0)
				n += (size_t)r;
		}
		if (!exited)
			exited = proc_wait(pid, 0, status) == 0;
	}
	buf[n] = '\0';
	if (!exited || !memchr(buf, last, n))
		fail_msg("wms-scan on a terminal: %s; it wrote:\n%s",
		         exited ? "the output never ended" : "did not end", buf);
	return buf;
}

/* wms-scan pack with stdout on a fresh pseudo-terminal; what the terminal received, or NULL
 * when this machine has no pseudo-terminals to give. */
static char *run_on_terminal(struct tdaemon *d, const char *input)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		return NULL;
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	char slave[PATH_MAX];
	assert_int_equal(ptsname_r(m, slave, sizeof(slave)), 0);
	char bin[PATH_MAX], in[PATH_MAX];
	snprintf(in, sizeof(in), "%s/tty.in", d->dir);
	assert_int_equal(proc_write_file(in, input, strlen(input)), 0);
	const char *argv[] = {
		proc_bin("wms-scan", bin), "pack", "--station", "PS-09", "--url", d->req_url, NULL
	};
	pid_t pid;
	assert_int_equal(proc_spawn(argv, in, slave, false, NULL, &pid), 0);
	int status = -1;
	char *out = pty_collect(m, pid, '\a', &status); /* the bell of the refusal comes last */
	close(m);
	assert_int_equal(status, 0);
	return out;
}

static void test_colours_and_bell_only_on_a_terminal_and_not_with_no_color(void **state)
{
	struct tdaemon *d = *state;
	unsetenv("NO_COLOR");
	char *tty = run_on_terminal(d, "close\n");
	if (tty == NULL) {
		print_message("no pseudo-terminal (posix_openpt: %s)\n", strerror(errno));
		skip();
	}
	assert_contains(tty, "\033[1;31mREFUSED out_of_sequence\033[0m");
	assert_contains(tty, "\033[1mScan a tote first\033[0m");
	assert_non_null(strchr(tty, '\a'));
	free(tty);

	setenv("NO_COLOR", "1", 1);
	tty = run_on_terminal(d, "close\n");
	unsetenv("NO_COLOR");
	assert_non_null(tty);
	assert_contains(tty, "REFUSED out_of_sequence no carton is open at station PS-09");
	assert_null(strchr(tty, '\033'));
	assert_non_null(strchr(tty, '\a')); /* the bell is not a colour */
	free(tty);
}

/* ---- a fake engine: a REP socket that drops the first DROP requests ---- */

struct fake {
	nng_socket sock;
	char url[PATH_MAX + 16];
	int drop;     /* requests left unanswered (each is resent) */
	int got;      /* requests received */
	json_t *reqs; /* every request received, in order */
	pthread_t thread;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(f->sock, &m, 0) != 0)
			return NULL; /* closed by the test, or no request within the bound */
		json_t *req = json_loadb(nng_msg_body(m), nng_msg_len(m), 0, NULL);
		json_array_append_new(f->reqs, req ? req : json_null());
		f->got++;
		if (f->got <= f->drop) {
			nng_msg_free(m); /* no reply: the client times out and resends */
			continue;
		}
		static const char ok[] = "{\"ok\":true,\"verdict\":\"accepted\",\"message\":"
		                         "\"fake verdict\",\"instruction\":\"carry on\"}";
		nng_msg_clear(m);
		if (nng_msg_append(m, ok, sizeof(ok) - 1) != 0 || nng_sendmsg(f->sock, m, 0) != 0)
			nng_msg_free(m);
	}
}

static void fake_start(struct fake *f, const char *dir, int drop)
{
	memset(f, 0, sizeof(*f));
	f->drop = drop;
	f->reqs = json_array();
	snprintf(f->url, sizeof(f->url), "ipc://%s/fake.ipc", dir);
	assert_int_equal(nng_rep0_open(&f->sock), 0);
	assert_int_equal(nng_socket_set_ms(f->sock, NNG_OPT_RECVTIMEO, RUN_MS), 0);
	assert_int_equal(nng_listen(f->sock, f->url, NULL, 0), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Closes the socket and joins the thread; f->reqs stays for the test to read and free. */
static void fake_stop(struct fake *f)
{
	nng_close(f->sock);
	pthread_join(f->thread, NULL);
}

static void test_a_scan_without_reply_is_resent_with_the_same_scan_id(void **state)
{
	struct tdaemon *d = *state;
	struct fake f;
	fake_start(&f, d->dir, 2);
	struct proc_output o;
	scan_run(d->dir, f.url, "TOTE-000001\n", 0, &o,
	         (const char *const[]){ "pack", "--station", "PS-01", "--timeout", "300",
	                                "--retries", "2", NULL });
	fake_stop(&f);
	assert_int_equal(json_array_size(f.reqs), 3);
	const json_t *first = json_array_get(f.reqs, 0);
	/* the engine keys a scan's resends by station and scan_id: no idem_key is needed */
	assert_non_null(tget_str(first, "scan_id"));
	for (size_t i = 0; i < 3; i++) {
		const json_t *r = json_array_get(f.reqs, i);
		assert_string_equal(tget_str(r, "op"), "pack.scan");
		assert_string_equal(tget_str(r, "code"), "TOTE-000001");
		assert_string_equal(tget_str(r, "station"), "PS-01");
		assert_string_equal(tget_str(r, "scan_id"), tget_str(first, "scan_id"));
		assert_null(tget(r, "idem_key"));
	}
	assert_int_equal(count_lines(o.out, "OK fake verdict -- carry on"), 1);
	assert_contains(o.err, "attempt 1 of 3");
	assert_contains(o.err, "attempt 2 of 3");
	json_decref(f.reqs);
	proc_output_release(&o);
}

static void test_no_reply_after_the_retries_ends_with_a_transport_error(void **state)
{
	struct tdaemon *d = *state;
	struct fake f;
	fake_start(&f, d->dir, 1000);
	struct proc_output o;
	scan_run(d->dir, f.url, "TOTE-000001\nTOTE-000002\n", 3, &o,
	         (const char *const[]){ "pack", "--station", "PS-01", "--timeout", "200",
	                                "--retries", "1", NULL });
	fake_stop(&f);
	json_decref(f.reqs);
	assert_int_equal(f.got, 2); /* the first scan and one resend; the second never sent */
	assert_contains(o.err, "giving up");
	assert_null(strstr(o.out, "OK"));
	proc_output_release(&o);

	/* No engine at all. */
	char url[PATH_MAX + 32];
	snprintf(url, sizeof(url), "ipc://%s/nobody.ipc", d->dir);
	scan_run(d->dir, url, "x\n", 3, &o,
	         (const char *const[]){ "pack", "--station", "PS-01", "--timeout", "200", NULL });
	assert_contains(o.err, "cannot connect");
	proc_output_release(&o);
}

static void test_help_and_usage_errors(void **state)
{
	struct tdaemon *d = *state;
	struct proc_output o;
	SCAN(d, "", 0, &o, "--help");
	assert_contains(o.out, "wms-scan pick --warehouse WH --picker P");
	assert_contains(o.out, "short N");
	assert_contains(o.out, "weigh 1234");
	proc_output_release(&o);
	SCAN(d, "", 2, &o, "pick", "--picker", "P1");
	assert_contains(o.err, "--warehouse");
	proc_output_release(&o);
	SCAN(d, "", 2, &o, "pack", "--station", "has space");
	assert_contains(o.err, "not an id");
	proc_output_release(&o);
}

static void test_pack_abort_backs_out_of_a_wrong_tote_and_the_right_one_packs(void **state)
{
	struct tdaemon *d = *state;
	struct work w;
	submit(d, "SO-5", "ACM-TEE-S", 1);
	release(d, &w);
	pick_all(d, TEE_S);
	/* The tote is packed at PS-03, backed out, and packed again from the start. */
	char input[256];
	snprintf(input, sizeof(input), "%s\n%s\nabort\nabort\n%s\n%s\n320g\nclose\n", w.tote, TEE_S,
	         w.tote, TEE_S);
	struct proc_output o;
	SCAN(d, input, 0, &o, "pack", "--station", "PS-03");
	assert_int_equal(count_lines(o.out, "OK carton of order SO-5 "), 1);
	assert_contains(o.out, "Put the 1 packed unit back into");
	/* The second abort finds the station idle. */
	assert_int_equal(count_lines(o.out, "REFUSED out_of_sequence "), 1);
	assert_int_equal(count_lines(o.out, "OK ACM-TEE-S packed "), 2);
	json_t *ord = order_get(d, "SO-5");
	assert_string_equal(tget_str(ord, "order.state"), "packed");
	json_decref(ord);
	assert_int_equal(count_events(d, "pack.aborted", "station", "PS-03"), 1);
	proc_output_release(&o);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pick_burst_is_judged_in_order_each_scan_exactly_once, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pick_short_reports_the_units_found_and_asks_for_more_work, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pick_without_work_says_so_and_ends_at_the_end_of_input, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pick_in_an_unknown_warehouse_fails_before_ready, engine_up, engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pack_burst_packs_weighs_closes_and_prints_the_label, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pack_station_label_closes_and_labels_go_to_a_directory, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_pack_abort_backs_out_of_a_wrong_tote_and_the_right_one_packs, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_colours_and_bell_only_on_a_terminal_and_not_with_no_color, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_a_scan_without_reply_is_resent_with_the_same_scan_id, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(
		    test_no_reply_after_the_retries_ends_with_a_transport_error, engine_up,
		    engine_down),
		cmocka_unit_test_setup_teardown(test_help_and_usage_errors, engine_up, engine_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
