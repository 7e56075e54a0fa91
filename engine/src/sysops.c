/* sysops.c - ping, clock.set, clock.advance, events.read (see sysops.h). */
#include "sysops.h"

#include "dispatch.h"
#include "engine.h"
#include "events.h"
#include "keys.h"
#include "store.h"
#include "wms/codec.h"
#include "wms/time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define META_SIM_CLOCK      "sim_clock_ms"
#define EVENTS_READ_DEFAULT 1000

int sys_ping(struct cmd_ctx *c, json_t **reply)
{
	char now[WMS_TIME_BUFSZ];
	uint64_t last;
	int rc = ev_last_seq(c->txn, &last);
	if (rc)
		return rc;
	struct wms_engine *e = c->eng;
	uint64_t commits = atomic_load(&e->n_commits), cmds = atomic_load(&e->n_commands);
	double ns_exec = (double)atomic_load(&e->ns_exec),
	       ns_commit = (double)atomic_load(&e->ns_commit);
	/* How the writer spends its time: what bounds throughput, at a glance. */
	json_t *w = json_pack("{s:I, s:I, s:f, s:f, s:f}", "commits", (json_int_t)commits,
	                      "commands", (json_int_t)cmds, "commands_per_commit",
	                      commits ? (double)cmds / (double)commits : 0.0, "exec_us_per_command",
	                      cmds ? ns_exec / 1e3 / (double)cmds : 0.0, "commit_us",
	                      commits ? ns_commit / 1e3 / (double)commits : 0.0);
	*reply = json_pack("{s:i, s:s, s:I, s:s, s:b, s:o}", "version", WMS_PROTOCOL_VERSION,
	                   "engine", "wmsd", "last_seq", (json_int_t)last, "time",
	                   wms_time_format(c->now, now), "sim_clock", e->clock.sim, "writer", w);
	return *reply ? 0 : WMS_ENOMEM;
}

/* Moves the simulated clock to TO, records it, and runs the engine's duties at the new time
 * (a promise that passed while time jumped must be noticed now). */
static int move_clock(struct cmd_ctx *c, int64_t to, json_t **reply)
{
	char a[WMS_TIME_BUFSZ], b[WMS_TIME_BUFSZ];
	if (!c->eng->clock.sim)
		return cmd_fail(c, WMS_ESIMCLOCK, "",
		                "the engine runs on the wall clock; start wmsd with --sim-clock to "
		                "set its time");
	if (to < c->now)
		return cmd_fail(c, WMS_ERANGE, "at",
		                "engine time only moves forward: %s is before the current %s",
		                wms_time_format(to, a), wms_time_format(c->now, b));
	struct key k = KEY_INIT;
	key_u64(&k, (uint64_t)to);
	int rc = store_put(c->txn, STORE_META, META_SIM_CLOCK, strlen(META_SIM_CLOCK), k.b, 8, 0);
	if (rc)
		return rc;
	int64_t from = c->now;
	clock_set(&c->eng->clock, to);
	c->now = to;
	rc = ev_emit(c, "clock.changed", 0,
	             json_pack("{s:s, s:s}", "from", wms_time_format(from, a), "to",
	                       wms_time_format(to, b)));
	if (rc == 0)
		rc = dispatch_tick(c);
	if (rc) {
		clock_set(&c->eng->clock, from);
		return rc;
	}
	*reply = json_pack("{s:s}", "time", wms_time_format(to, a));
	return *reply ? 0 : WMS_ENOMEM;
}

int sys_clock_set(struct cmd_ctx *c, json_t **reply)
{
	int64_t to;
	if (wms_time_parse(req_str(c->req, "at"), &to))
		return cmd_fail(c, WMS_ETIME, "at", "at is not an RFC 3339 timestamp");
	return move_clock(c, to, reply);
}

int sys_clock_advance(struct cmd_ctx *c, json_t **reply)
{
	double s = req_num(c->req, "seconds", 0);
	return move_clock(c, c->now + (int64_t)llround(s * 1000.0), reply);
}

int sys_events_read(struct cmd_ctx *c, json_t **reply)
{
	uint64_t after = (uint64_t)req_int(c->req, "after", 0);
	size_t limit = (size_t)req_int(c->req, "limit", EVENTS_READ_DEFAULT);
	const char *prefix = req_str(c->req, "prefix");
	char *text = NULL;
	size_t len, count;
	uint64_t last_scanned, last_seq;
	int rc = ev_last_seq(c->txn, &last_seq);
	if (rc)
		return rc;
	/* Seqs come from committed events, so no client of this engine can be ahead of its log:
	 * a cursor beyond it belongs to another store (or a wiped one). Answering an empty page
	 * would leave that reader waiting forever for "caught up" (next_after == last_seq). */
	if (after > last_seq)
		return cmd_fail(c, WMS_ERANGE, "after",
		                "after %llu is beyond the end of the event log: this engine's log "
		                "ends at %llu (a cursor from another store?)",
		                (unsigned long long)after, (unsigned long long)last_seq);
	rc = ev_read_range(c->txn, after, limit, prefix, &text, &len, &count, &last_scanned);
	if (rc)
		return rc;
	/* "next_after" lets a filtered reader page on past events it did not want. */
	*reply = json_pack("{s:I, s:I, s:I}", "count", (json_int_t)count, "last_seq",
	                   (json_int_t)last_seq, "next_after", (json_int_t)last_scanned);
	if (*reply == NULL) {
		free(text);
		return WMS_ENOMEM;
	}
	size_t need = len + 3;
	c->raw_json = malloc(need);
	if (c->raw_json == NULL) {
		free(text);
		return WMS_ENOMEM;
	}
	c->raw_json[0] = '[';
	memcpy(c->raw_json + 1, text, len);
	c->raw_json[len + 1] = ']';
	c->raw_json[len + 2] = '\0';
	c->raw_name = "events";
	free(text);
	return 0;
}
