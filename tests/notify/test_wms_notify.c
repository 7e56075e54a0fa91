/*
 * test_wms_notify.c - the wms-notify program: fed on stdin, and following a real wmsd (ipc://
 * sockets in a temporary directory) with a cursor, across restarts and kill -9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

#define RUN_MS 60000

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)

static int engine_up(void **state)
{
	struct wmsd_proc *w = calloc(1, sizeof(*w));
	if (w == NULL || wmsd_start(w, NULL, 20000) != 0) {
		free(w);
		return -1;
	}
	*state = w;
	return 0;
}

static int engine_down(void **state)
{
	struct wmsd_proc *w = *state;
	wmsd_stop(w);
	free(w);
	return 0;
}

/* Runs wms-notify with ARGS (NULL-terminated) and INPUT on stdin; asserts its exit status. */
static void notify(struct wmsd_proc *w, const char *input, int want, struct proc_output *out,
                   const char *const args[])
{
	char bin[PATH_MAX];
	const char *argv[32];
	size_t n = 0;
	argv[n++] = proc_bin("wms-notify", bin);
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(proc_run(argv, input, w->dir, RUN_MS, out), 0);
	if (out->status != want)
		fail_msg("wms-notify exited %d, expected %d\nstdout:\n%s\nstderr:\n%s", out->status,
		         want, out->out, out->err);
}
#define NOTIFY(w, input, want, out, ...)                                                           \
	notify((w), (input), (want), (out), (const char *const[]){ __VA_ARGS__, NULL })

static void ctl(struct wmsd_proc *w, const char *const args[], struct proc_output *out)
{
	assert_int_equal(wmsctl_run(w, args, NULL, RUN_MS, out), 0);
	if (out->status != 0)
		fail_msg("wmsctl %s exited %d\n%s%s", args[0], out->status, out->out, out->err);
}
#define CTL(w, out, ...) ctl((w), (const char *const[]){ __VA_ARGS__, NULL }, (out))

/* Loads the small network and submits N generated orders (ids P-000001...). */
static void submit_orders(struct wmsd_proc *w, int n, const char *prefix)
{
	char net[PATH_MAX], count[16], path[PATH_MAX + 32];
	struct proc_output o = PROC_OUTPUT_INIT;
	snprintf(count, sizeof(count), "%d", n);
	CTL(w, &o, "gen-orders", "--network", proc_root_path("tests/data/network-small.json", net),
	    "--count", count, "--seed", "3", "--id-prefix", prefix, "--start",
	    "2026-03-02T09:00:00Z");
	snprintf(path, sizeof(path), "%s/%s.jsonl", w->dir, prefix);
	assert_int_equal(proc_write_file(path, o.out, o.out_len), 0);
	proc_output_release(&o);
	CTL(w, &o, "submit", "--quiet", path);
	proc_output_release(&o);
}

static void load_network(struct wmsd_proc *w)
{
	char net[PATH_MAX];
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, &o, "load", proc_root_path("tests/data/network-small.json", net));
	proc_output_release(&o);
}

/* The number of order confirmations in TEXT, asserting that lines come in seq order, each
 * for an order of PREFIX, and that no confirmation is printed twice. */

static size_t received_lines(const char *text, const char *prefix)
{
	size_t n = 0;
	unsigned long long last = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		unsigned long long seq;
		char order[80];
		if (sscanf(p, "%llu %*s %79s", &seq, order) != 2)
			fail_msg("not a message line: %.*s", (int)(nl - p), p);
		/* An event's messages share its seq; events come once, in order. */
		if (seq < last)
			fail_msg("seq %llu after %llu: out of order", seq, last);
		if (strncmp(order, prefix, strlen(prefix)) != 0)
			fail_msg("order %s is not one of %s", order, prefix);
		const char *kind = strstr(p, " email received: ");
		if (kind && kind < nl) {
			if (seq == last && n > 0)
				fail_msg("seq %llu announced twice", seq);
			n++;
		}
		last = seq;
		p = nl + 1;
	}
	return n;
}

/* ---- usage and stdin ---- */

static void test_help_exits_0_and_bad_options_exit_2(void **state)
{
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(*state, NULL, 0, &o, "--help");
	assert_contains(o.out, "usage: wms-notify");
	assert_contains(o.out, "UTC");
	proc_output_release(&o);
	NOTIFY(*state, NULL, 2, &o, "--from", "minus-one");
	assert_contains(o.err, "--from 'minus-one'");
	proc_output_release(&o);
	NOTIFY(*state, NULL, 2, &o, "--stdin", "extra-argument");
	proc_output_release(&o);
}

static const char stdin_events[] =
    "shipment.shipped {\"seq\":118,\"type\":\"shipment.shipped\",\"at\":\"2026-11-24T15:04:05Z\","
    "\"tenant\":\"acme\",\"order\":\"SO-1001\",\"carrier\":\"UPS\",\"tracking\":"
    "\"1Z999AA10123456784\",\"estimate\":\"2026-11-26T18:00:00Z\"}\n"
    "\n"
    "{\"seq\":119,\"type\":\"pick.scan\",\"tenant\":\"acme\",\"order\":\"SO-1001\"}\n"
    "{\"seq\":120,\"type\":\"shipment.out_for_delivery\",\"at\":\"2026-11-26T07:00:00Z\","
    "\"tenant\":\"acme\",\"order\":\"SO-1001\",\"carrier\":\"UPS\"}\n";

static void test_stdin_events_in_either_tail_format_become_message_lines(void **state)
{
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(*state, stdin_events, 0, &o, "--stdin");
	assert_string_equal(
	    o.out, "118 acme SO-1001 email shipped: Your order SO-1001 has shipped with UPS, "
	           "tracking 1Z999AA10123456784. Expected delivery: Thu 26 Nov.\n"
	           "120 acme SO-1001 email out_for_delivery: Your parcel for order SO-1001 is out "
	           "for delivery today (Thu 26 Nov) with UPS. Please make sure someone can receive "
	           "it.\n"
	           "120 acme SO-1001 sms out_for_delivery: Order SO-1001 is out for delivery today "
	           "with UPS.\n");
	proc_output_release(&o);
	NOTIFY(*state, stdin_events, 0, &o, "--stdin", "--json");
	assert_contains(o.out, "{\"seq\":118,\"type\":\"shipment.shipped\",\"tenant\":\"acme\","
	                       "\"order\":\"SO-1001\",\"channel\":\"email\",\"kind\":\"shipped\",");
	proc_output_release(&o);
}

static void test_stdin_lines_that_are_not_events_are_reported_and_skipped(void **state)
{
	struct proc_output o = PROC_OUTPUT_INIT;
	char input[2048];
	snprintf(input, sizeof(input), "not json at all\n{\"no_seq\":1}\n%s", stdin_events);
	NOTIFY(*state, input, 1, &o, "--stdin");
	assert_contains(o.err, "stdin line 1: not an event");
	assert_contains(o.err, "stdin line 2: not an event (no seq)");
	assert_contains(o.out, "118 acme SO-1001 email shipped");
	assert_contains(o.out, "120 acme SO-1001 sms out_for_delivery");
	proc_output_release(&o);
}

static void test_stdin_skips_events_at_or_before_the_cursor_and_advances_it(void **state)
{
	struct wmsd_proc *w = *state;
	char cur[PATH_MAX + 16], *text;
	snprintf(cur, sizeof(cur), "%s/notify.cursor", w->dir);
	assert_int_equal(proc_write_file(cur, "118\n", 4), 0);
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(w, stdin_events, 0, &o, "--stdin", "--cursor", cur);
	assert_true(strncmp(o.out, "120 ", 4) == 0);
	proc_output_release(&o);
	assert_int_equal(proc_read_file(cur, &text, NULL), 0);
	assert_string_equal(text, "120\n");
	free(text);
	/* The same stream again (an upstream replay): nothing is sent twice. */
	NOTIFY(w, stdin_events, 0, &o, "--stdin", "--cursor", cur);
	assert_string_equal(o.out, "");
	proc_output_release(&o);
}

static void test_a_torn_last_line_is_cut_before_resuming(void **state)
{
	struct wmsd_proc *w = *state;
	char in[PATH_MAX + 16], out[PATH_MAX + 16], bin[PATH_MAX], *text;
	static const char before[] = "118 acme SO-1001 email shipped: Your order SO-1001 has "
	                             "shipped.\n120 acme SO-1001 email out_for_de";
	snprintf(in, sizeof(in), "%s/events.in", w->dir);
	snprintf(out, sizeof(out), "%s/notify.out", w->dir);
	assert_int_equal(proc_write_file(in, stdin_events, strlen(stdin_events)), 0);
	assert_int_equal(proc_write_file(out, before, strlen(before)), 0);
	const char *argv[] = { proc_bin("wms-notify", bin), "--stdin", NULL };
	pid_t pid;
	int st;
	assert_int_equal(proc_spawn(argv, in, out, true, NULL, &pid), 0);
	assert_int_equal(proc_wait(pid, RUN_MS, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(proc_read_file(out, &text, NULL), 0);
	/* Resumed after 118 (the last whole line); the fragment of 120 is gone. */
	assert_string_equal(text,
	                    "118 acme SO-1001 email shipped: Your order SO-1001 has shipped.\n"
	                    "120 acme SO-1001 email out_for_delivery: Your parcel for order "
	                    "SO-1001 is out for delivery today (Thu 26 Nov) with UPS. Please "
	                    "make sure someone can receive it.\n"
	                    "120 acme SO-1001 sms out_for_delivery: Order SO-1001 is out for "
	                    "delivery today with UPS.\n");
	free(text);
}

/* ---- following the engine ---- */

static void test_direct_mode_announces_every_submitted_order_once(void **state)
{
	struct wmsd_proc *w = *state;
	load_network(w);
	submit_orders(w, 5, "N");
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(w, NULL, 0, &o, "--url", w->url, "--events", w->events_url, "--from", "0",
	       "--idle-exit", "1");
	assert_int_equal(received_lines(o.out, "N-"), 5);
	assert_contains(o.out, "email received: Thank you for your order N-000001");
	proc_output_release(&o);
	/* The same through the shell pipeline of the README: wmsctl tail --json | --stdin. */
	struct proc_output t = PROC_OUTPUT_INIT;
	CTL(w, &t, "tail", "--from", "0", "--json", "--idle-exit", "1");
	NOTIFY(w, t.out, 0, &o, "--stdin");
	assert_int_equal(received_lines(o.out, "N-"), 5);
	proc_output_release(&o);
	proc_output_release(&t);
}

static void test_direct_mode_resumes_after_its_cursor(void **state)
{
	struct wmsd_proc *w = *state;
	char cur[PATH_MAX + 16];
	snprintf(cur, sizeof(cur), "%s/notify.cursor", w->dir);
	load_network(w);
	submit_orders(w, 3, "A");
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(w, NULL, 0, &o, "--url", w->url, "--events", w->events_url, "--from", "0",
	       "--cursor", cur, "--idle-exit", "1");
	assert_int_equal(received_lines(o.out, "A-"), 3);
	proc_output_release(&o);
	submit_orders(w, 4, "B");
	NOTIFY(w, NULL, 0, &o, "--url", w->url, "--events", w->events_url, "--from", "0",
	       "--cursor", cur, "--idle-exit", "1");
	assert_int_equal(received_lines(o.out, "B-"), 4);
	proc_output_release(&o);
}

/* Submits order ID of acme with CONTACT in its ship_to (",\"phone\":...", or ""). */
static void submit_one(struct wmsd_proc *w, const char *id, const char *contact)
{
	char body[1024];
	struct proc_output o = PROC_OUTPUT_INIT;
	snprintf(body, sizeof(body),
	         "{\"order\":{\"tenant\":\"acme\",\"id\":\"%s\",\"lines\":[{\"sku\":\"ACM-TEE-S\","
	         "\"qty\":1}],\"ship_to\":{\"name\":\"Ann Lee\",\"address\":\"1 Main St\","
	         "\"postal_code\":\"10001\",\"country\":\"US\"%s},\"service\":\"standard\","
	         "\"promised_by\":\"2099-01-01T00:00:00Z\"}}",
	         id, contact);
	CTL(w, &o, "call", "order.submit", body);
	proc_output_release(&o);
}

static void cancel_one(struct wmsd_proc *w, const char *id)
{
	char body[256];
	struct proc_output o = PROC_OUTPUT_INIT;
	snprintf(body, sizeof(body), "{\"tenant\":\"acme\",\"id\":\"%s\"}", id);
	CTL(w, &o, "call", "order.cancel", body);
	proc_output_release(&o);
}

/*
 * Messages go on the channels the order has, also after a restart: the second run never sees
 * the orders' order.received (before its cursor) and asks the engine (order.get).
 */
static void test_channels_follow_the_orders_contacts_across_a_restart(void **state)
{
	struct wmsd_proc *w = *state;
	char cur[PATH_MAX + 16];
	snprintf(cur, sizeof(cur), "%s/notify.cursor", w->dir);
	load_network(w);
	submit_one(w, "PH-1", ",\"phone\":\"+1 202 555 0100\"");
	submit_one(w, "EM-1", ",\"email\":\"ann@example.com\"");
	submit_one(w, "NO-1", "");
	struct proc_output o = PROC_OUTPUT_INIT;
	NOTIFY(w, NULL, 0, &o, "--url", w->url, "--events", w->events_url, "--from", "0",
	       "--cursor", cur, "--idle-exit", "1");
	assert_contains(o.out, " acme PH-1 sms received: Thank you for your order PH-1");
	assert_contains(o.out, " acme EM-1 email received: Thank you for your order EM-1");
	assert_null(strstr(o.out, "NO-1"));
	proc_output_release(&o);

	cancel_one(w, "PH-1");
	cancel_one(w, "EM-1");
	cancel_one(w, "NO-1");
	NOTIFY(w, NULL, 0, &o, "--url", w->url, "--events", w->events_url, "--cursor", cur,
	       "--idle-exit", "1");
	assert_contains(o.out, " acme PH-1 sms cancelled: Your order PH-1 has been cancelled");
	assert_contains(o.out, " acme EM-1 email cancelled: Your order EM-1 has been cancelled");
	assert_null(strstr(o.out, "PH-1 email"));
	assert_null(strstr(o.out, "NO-1"));
	assert_null(strstr(o.out, "received:")); /* resumed after them */
	proc_output_release(&o);

	/* The same through --stdin: with --url it asks the engine too. */
	struct proc_output t = PROC_OUTPUT_INIT;
	CTL(w, &t, "tail", "--from", "0", "--prefix", "order.cancelled", "--json", "--idle-exit",
	    "1");
	NOTIFY(w, t.out, 0, &o, "--stdin", "--url", w->url);
	assert_contains(o.out, " acme PH-1 sms cancelled:");
	assert_null(strstr(o.out, "NO-1"));
	proc_output_release(&o);
	/* Without --url it cannot know: the table's channel. */
	NOTIFY(w, t.out, 0, &o, "--stdin");
	assert_contains(o.out, " acme PH-1 email cancelled:");
	assert_contains(o.out, " acme NO-1 email cancelled:");
	proc_output_release(&o);
	proc_output_release(&t);
}

/*
 * Exactly once across kill -9: the service appends to one file and is killed again and again
 * while orders arrive; each restart resumes from the cursor or the file's last line. Every
 * order must be announced once, in seq order.
 */
static void test_a_service_killed_repeatedly_announces_every_order_once(void **state)
{
	struct wmsd_proc *w = *state;
	char orders[PATH_MAX + 32], out[PATH_MAX + 16], cur[PATH_MAX + 16], bin[PATH_MAX],
	    nbin[PATH_MAX], net[PATH_MAX];
	const int count = 1500;
	load_network(w);
	struct proc_output o = PROC_OUTPUT_INIT;
	CTL(w, &o, "gen-orders", "--network", proc_root_path("tests/data/network-small.json", net),
	    "--count", "1500", "--seed", "9", "--id-prefix", "K", "--start",
	    "2026-03-02T09:00:00Z");
	snprintf(orders, sizeof(orders), "%s/k.jsonl", w->dir);
	assert_int_equal(proc_write_file(orders, o.out, o.out_len), 0);
	proc_output_release(&o);
	snprintf(out, sizeof(out), "%s/notify.out", w->dir);
	snprintf(cur, sizeof(cur), "%s/notify.cursor", w->dir);

	pid_t submit;
	const char *sargv[] = {
		proc_bin("wmsctl", bin), "--url", w->url, "submit", "--inflight", "2", orders, NULL
	};
	assert_int_equal(proc_spawn(sargv, NULL, NULL, false, NULL, &submit), 0);
	const char *nargv[] = { proc_bin("wms-notify", nbin),
		                "--url",
		                w->url,
		                "--events",
		                w->events_url,
		                "--from",
		                "0",
		                "--cursor",
		                cur,
		                NULL,
		                NULL,
		                NULL };
	int kills = 0, submit_status = -1;
	bool submit_done = false;
	for (int round = 0; round < 30 && (!submit_done || kills < 3); round++) {
		long long before = proc_file_size(out);
		pid_t p;
		assert_int_equal(proc_spawn(nargv, NULL, out, true, NULL, &p), 0);
		long long want = (before < 0 ? 0 : before) + 1 + (round * 7919) % 30000;
		int64_t deadline = proc_now_ms() + (submit_done ? 1000 : 10000);
		while (proc_file_size(out) < want && proc_now_ms() < deadline) {
			if (submit_done && proc_file_size(out) > before)
				break;
			if (!submit_done && proc_wait(submit, 5, &submit_status) == 0)
				submit_done = true;
			else if (submit_done && proc_wait(p, 5, NULL) == 0)
				fail_msg("wms-notify exited by itself");
		}
		int st;
		proc_kill(p, SIGKILL, 10000, &st);
		assert_int_equal(st, 128 + SIGKILL);
		kills++;
		if (!submit_done && proc_wait(submit, 0, &submit_status) == 0)
			submit_done = true;
	}
	if (!submit_done)
		assert_int_equal(proc_wait(submit, RUN_MS, &submit_status), 0);
	assert_int_equal(submit_status, 0);

	/* The last run catches up and exits when the stream is quiet. */
	nargv[9] = "--idle-exit";
	nargv[10] = "1";
	pid_t last;
	int st;
	assert_int_equal(proc_spawn(nargv, NULL, out, true, NULL, &last), 0);
	assert_int_equal(proc_wait(last, RUN_MS, &st), 0);
	assert_int_equal(st, 0);
	char *text;
	assert_int_equal(proc_read_file(out, &text, NULL), 0);
	assert_int_equal(received_lines(text, "K-"), count);
	free(text);
	print_message("wms-notify killed %d times while %d orders arrived; each announced once\n",
	              kills, count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, engine_up, engine_down)
		T(test_help_exits_0_and_bad_options_exit_2),
		T(test_stdin_events_in_either_tail_format_become_message_lines),
		T(test_stdin_lines_that_are_not_events_are_reported_and_skipped),
		T(test_stdin_skips_events_at_or_before_the_cursor_and_advances_it),
		T(test_a_torn_last_line_is_cut_before_resuming),
		T(test_direct_mode_announces_every_submitted_order_once),
		T(test_direct_mode_resumes_after_its_cursor),
		T(test_channels_follow_the_orders_contacts_across_a_restart),
		T(test_a_service_killed_repeatedly_announces_every_order_once),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
