/* pick.c - pick verification (see pick.h). */
#include "jtext.h"
#include "pick.h"

#include "alloc.h"
#include "events.h"
#include "master.h"
#include "orders.h"
#include "scan.h"
#include "store.h"
#include "watch.h"
#include "wave.h"
#include "wh.h"
#include "wms/time.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One scan being judged. */
struct pscan {
	struct cmd_ctx *c;
	const char *device, *scan_id, *code;
	json_t *task; /* owned */
	json_t *reply;
};

/* Common fields of the pick events. */
static json_t *ev_fields(const struct pscan *s)
{
	const json_t *t = s->task;
	json_t *f =
	    json_pack("{s:O, s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "task", json_object_get(t, "id"),
	              "device", s->device, "warehouse", json_object_get(t, "warehouse"), "location",
	              json_object_get(t, "location"), "sku", json_object_get(t, "sku"), "qty",
	              json_object_get(t, "qty"), "tote", json_object_get(t, "tote"), "shipment",
	              json_object_get(t, "shipment"));
	const char *picker = req_str(s->c->req, "picker");
	if (picker)
		json_object_set_new(f, "picker", json_string(picker));
	return f;
}

static int task_order_no(struct pscan *s, uint64_t *no)
{
	struct key k = KEY_INIT;
	struct store_val v;
	key_str(&k, req_str(s->task, "tenant"));
	key_str(&k, req_str(s->task, "order"));
	int rc = store_get(s->c->txn, STORE_ORDER_IDS, k.b, k.n, &v);
	if (rc == 0 && v.len == 8)
		*no = key_get_u64(v.data);
	return rc ? rc : (v.len == 8 ? 0 : WMS_EINTERNAL);
}

static const char *step_of(const json_t *task)
{
	const char *st = req_str(task, "step");
	return st ? st : "location";
}

/* The task as a verdict shows it: {id, state, step, picked, qty}. A fresh task has no stored
 * step yet: it is at its location step. */
static json_t *task_brief(const json_t *t)
{
	return json_pack("{s:O, s:O, s:s, s:I, s:I}", "id", json_object_get(t, "id"), "state",
	                 json_object_get(t, "state"), "step", step_of(t), "picked",
	                 (json_int_t)req_int(t, "picked", 0), "qty",
	                 (json_int_t)req_int(t, "qty", 0));
}

/* Refuses the scan: records the verdict and emits pick.rejected. */
static int refuse(struct pscan *s, int code, const char *instruction, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct pscan *s, int code, const char *instruction, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->reply = scan_refusal(code, "code", instruction, "%s", msg);
	json_object_set_new(s->reply, "task", task_brief(s->task));
	json_t *f = ev_fields(s);
	json_object_set_new(f, "reason", json_string(wms_errname(code)));
	json_object_set_new(f, "message", json_string(msg));
	json_object_set_new(f, "scanned", json_string(s->code ? s->code : ""));
	uint64_t no = 0;
	int rc = task_order_no(s, &no);
	if (rc == 0 || rc == WMS_ENOTFOUND) {
		json_object_set(f, "tenant", json_object_get(s->task, "tenant"));
		json_object_set(f, "order", json_object_get(s->task, "order"));
		rc = ev_emit(s->c, "pick.rejected", no, f);
	} else {
		json_decref(f);
	}
	return rc;
}

static void set_step(json_t *task, const char *step)
{
	json_object_set_new(task, "step", json_string(step));
}

/* The instruction for what the task needs next. */
static void next_instruction(const json_t *t, char *buf, size_t n)
{
	const char *step = step_of(t);
	long long left = req_int(t, "qty", 0) - req_int(t, "picked", 0);
	if (strcmp(step, "location") == 0)
		snprintf(buf, n, "Scan location LOC-%s", req_str(t, "location"));
	else if (strcmp(step, "item") == 0)
		snprintf(buf, n, "Pick %lld more x %s%s%s", left, req_str(t, "sku"),
		         req_str(t, "lot") ? " lot " : "",
		         req_str(t, "lot") ? req_str(t, "lot") : "");
	else if (strcmp(step, "tote") == 0)
		snprintf(buf, n, "Put the items in %s and scan the tote", req_str(t, "tote"));
	else
		snprintf(buf, n, "Task done: ask for the next task");
}

/*
 * Whether the scan is a location, and which: a LOC- label, or, when the barcode library could
 * not read the scan (BC NULL), a bare location code. Both are read with the task warehouse's
 * layout (either case, any zero-padding), so CANON gets the canonical code to compare with the
 * task's; "" for a location label that is not a location of the layout (the wrong location).
 * SHOWN gets the location as the message names it.
 */
static int scanned_location(struct pscan *s, const struct wms_barcode *bc, bool *is_loc,
                            char canon[WH_LOC_MAX], char *shown, size_t nshown)
{
	char text[WMS_BARCODE_MAX_LABEL + 1];
	const char *code;
	*is_loc = false;
	canon[0] = '\0';
	if (bc) {
		if (bc->kind != WMS_BC_INTERNAL || bc->internal_type != WMS_INTERNAL_LOCATION)
			return 0;
		code = bc->internal_id;
	} else if (scan_plain_text(s->code, text, sizeof(text)) == 0) {
		code = text;
	} else {
		return 0;
	}
	json_t *wh;
	int rc = master_warehouse_read(s->c, req_str(s->task, "warehouse"), "warehouse", &wh);
	if (rc)
		return rc == WMS_EWAREHOUSE ? WMS_EINTERNAL : rc;
	struct wms_error err = WMS_ERROR_INIT;
	rc = wh_location(wh, code, canon, NULL, &err);
	json_decref(wh);
	/* A malformed code the library could not read either stays an unreadable scan. */
	*is_loc = rc == 0 || rc == WMS_ELOCATION || bc != NULL;
	if (rc)
		canon[0] = '\0';
	if (rc == 0)
		snprintf(shown, nshown, "LOC-%s", canon);
	else
		snprintf(shown, nshown, "%s", code);
	return 0;
}

/*
 * Loads the order of the task in hand into O. *GONE when the order was cancelled (an order
 * cancelled before cancellation withdrew its tasks can still have open ones): the scan is
 * refused, not an internal error.
 */
static int task_order(struct pscan *s, struct order *o, bool *gone)
{
	int rc = order_load(s->c, req_str(s->task, "tenant"), req_str(s->task, "order"), o);
	if (rc)
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	*gone = order_state(o) == ORDER_CANCELLED;
	return 0;
}

/* Refuses a scan of a task whose order O was cancelled. */
static int refuse_cancelled(struct pscan *s, const struct order *o)
{
	const json_t *ms = json_object_get(o->doc, "milestones");
	const char *when = req_str(ms, "cancelled");
	return refuse(s, WMS_ESTATE, "Put the items back; ask for the next task",
	              "task %s: order %s was cancelled%s%s; its work is withdrawn",
	              req_str(s->task, "id"), order_id(o), when ? " at " : "", when ? when : "");
}

/* Marks the units of TASK as taken in O's allocation (the shipment's index in *SIDX). */
static int take_units(struct pscan *s, struct order *o, size_t *sidx)
{
	const json_t *t = s->task;
	json_t *sh = order_shipment(o, req_str(t, "shipment"), sidx);
	if (sh == NULL)
		return WMS_EINTERNAL;
	size_t i, j;
	json_t *l, *pk;
	json_array_foreach(json_object_get(sh, "lines"), i, l)
	{
		if (req_int(l, "line", 0) != req_int(t, "line", -1))
			continue;
		json_array_foreach(json_object_get(l, "picks"), j, pk)
		{
			const char *lot = req_str(pk, "lot"), *tlot = req_str(t, "lot");
			if (strcmp(req_str(pk, "location"), req_str(t, "location")) != 0 ||
			    (lot == NULL) != (tlot == NULL) || (lot && strcmp(lot, tlot) != 0))
				continue;
			json_object_set_new(
			    pk, "picked",
			    json_integer(req_int(pk, "picked", 0) + req_int(t, "picked", 0)));
			return 0;
		}
	}
	return WMS_EINTERNAL;
}

/* Whether the batch of TASK still has an open task for its shipment. */
static int shipment_open_tasks(struct store_txn *txn, const json_t *task, bool *open)
{
	uint64_t w;
	uint32_t b, sq;
	*open = false;
	if (wave_task_id_parse(req_str(task, "id"), &w, &b, &sq))
		return WMS_EINTERNAL;
	struct key pre = KEY_INIT;
	wave_batch_key(&pre, w, b);
	struct store_cursor *cur;
	struct store_val k, v;
	int rc = store_cursor_open(txn, STORE_TASKS, &cur);
	if (rc)
		return rc;
	for (rc = store_cursor_seek(cur, pre.b, pre.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &pre) && !*open;
	     rc = store_cursor_next(cur, &k, &v)) {
		json_t *t = jtext_load(v.data, v.len);
		if (t == NULL) {
			rc = WMS_EINTERNAL;
			break;
		}
		*open = strcmp(req_str(t, "state"), "open") == 0 &&
		        strcmp(req_str(t, "shipment"), req_str(task, "shipment")) == 0 &&
		        strcmp(req_str(t, "id"), req_str(task, "id")) != 0;
		json_decref(t);
	}
	store_cursor_close(cur);
	return rc == 0 || rc == WMS_ENOTFOUND ? 0 : rc;
}

/* The tote scan that finishes the task. */
static int complete(struct pscan *s)
{
	struct cmd_ctx *c = s->c;
	json_t *t = s->task;
	char at[WMS_TIME_BUFSZ];
	long long qty = req_int(t, "picked", 0);
	struct order o = ORDER_INIT;
	size_t sidx = 0;
	bool gone;
	int rc = task_order(s, &o, &gone);
	if (rc == 0 && gone)
		rc = refuse_cancelled(s, &o);
	if (rc || gone) {
		order_release(&o);
		return rc;
	}
	json_object_set_new(t, "state", json_string("done"));
	set_step(t, "done");
	json_object_set_new(t, "done_at", json_string(wms_time_format(c->now, at)));
	json_object_set_new(t, "device", json_string(s->device));
	struct key sk = KEY_INIT;
	master_stock_key(&sk, req_str(t, "tenant"), req_str(t, "sku"), req_str(t, "warehouse"),
	                 req_str(t, "location"), req_str(t, "lot"));
	rc = master_stock_change(c, &sk, -qty, -qty, NULL);
	if (rc == 0)
		rc = take_units(s, &o, &sidx);
	if (rc == 0)
		rc = wave_task_save(c, t);
	long long left = -1;
	if (rc == 0)
		rc = wave_task_done(c, t, &left);
	if (rc == 0) {
		json_t *f = ev_fields(s);
		json_object_set_new(f, "picked", json_integer(qty));
		if (req_str(t, "lot"))
			json_object_set(f, "lot", json_object_get(t, "lot"));
		rc = order_emit(c, &o, "pick.confirmed", f);
	}
	bool open = left > 0;
	if (rc == 0 && left < 0) /* a batch released before it counted them */
		rc = shipment_open_tasks(c->txn, t, &open);
	if (rc == 0 && !open)
		rc = order_shipment_move(c, &o, sidx, ORDER_PICKED,
		                         json_pack("{s:O, s:O, s:O}", "tote",
		                                   json_object_get(t, "tote"), "wave",
		                                   json_object_get(t, "wave"), "warehouse",
		                                   json_object_get(t, "warehouse")));
	else if (rc == 0)
		rc = order_save(c, &o);
	order_release(&o);
	if (rc)
		return rc;
	s->reply =
	    scan_accepted("Task done: ask for the next task", "%lld x %s in %s: task %s done", qty,
	                  req_str(t, "sku"), req_str(t, "tote"), req_str(t, "id"));
	json_object_set_new(s->reply, "done", json_true());
	return 0;
}

/* The first accepted item of a shipment starts its picking; *GONE (the scan refused) when
 * the order was cancelled. */
static int start_picking(struct pscan *s, bool *gone)
{
	struct order o = ORDER_INIT;
	size_t sidx;
	int rc = task_order(s, &o, gone);
	if (rc == 0 && *gone)
		rc = refuse_cancelled(s, &o);
	if (rc || *gone) {
		order_release(&o);
		return rc;
	}
	json_t *sh = order_shipment(&o, req_str(s->task, "shipment"), &sidx);
	if (sh && strcmp(req_str(sh, "state") ? req_str(sh, "state") : "", "waved") == 0)
		rc = order_shipment_move(s->c, &o, sidx, ORDER_PICKING,
		                         json_pack("{s:O, s:s}", "tote",
		                                   json_object_get(s->task, "tote"), "device",
		                                   s->device));
	order_release(&o);
	return rc;
}

/* An item scan at the item step. */
static int item_scan(struct pscan *s, const struct wms_barcode *bc)
{
	struct cmd_ctx *c = s->c;
	json_t *t = s->task;
	char sku[80], shown_code[160];
	int pack = 1;
	if (bc->gtin[0] == '\0')
		return refuse(s, WMS_EUNKNOWNBARCODE, "Scan the item's barcode",
		              "'%s' carries no GTIN: not an item",
		              scan_code_shown(s->code, shown_code, sizeof(shown_code)));
	int rc =
	    master_gtin_lookup(c->txn, req_str(t, "tenant"), bc->gtin, sku, sizeof(sku), &pack);
	if (rc == WMS_ENOTFOUND || rc == WMS_EGTIN)
		return refuse(s, WMS_EUNKNOWNBARCODE, "Scan the item's barcode",
		              "GTIN %s is not an item of tenant '%s'", bc->gtin,
		              req_str(t, "tenant"));
	if (rc)
		return rc;
	if (strcmp(sku, req_str(t, "sku")) != 0)
		return refuse(s, WMS_EWRONGITEM, "Put it back; pick the right item",
		              "GTIN %s is %s, the task asks for %s", bc->gtin, sku,
		              req_str(t, "sku"));
	const char *tlot = req_str(t, "lot");
	if (tlot) {
		const char *lot = wms_barcode_lot(bc);
		if (lot == NULL)
			return refuse(s, WMS_EWRONGLOT, "Scan the GS1 label that shows the lot",
			              "%s is lot-tracked: the scan must carry the lot (AI 10), "
			              "expected lot %s",
			              sku, tlot);
		if (strcmp(lot, tlot) != 0)
			return refuse(s, WMS_EWRONGLOT, "Put it back; pick from the allocated lot",
			              "lot %s is not the allocated lot %s of %s", lot, tlot, sku);
	}
	struct wms_date d;
	int today = scan_today(c);
	int exp = 0;
	if (wms_barcode_expiry(bc, today / 10000, &d))
		exp = d.year * 10000 + d.month * 100 + d.day;
	else if (req_str(t, "expiry")) {
		int y, m, dd;
		if (sscanf(req_str(t, "expiry"), "%4d-%2d-%2d", &y, &m, &dd) == 3)
			exp = y * 10000 + m * 100 + dd;
	}
	if (exp && exp < today)
		return refuse(s, WMS_EEXPIREDLOT,
		              "Put it aside for quarantine; tell the supervisor",
		              "%s%s%s expired on %04d-%02d-%02d", sku, tlot ? " lot " : "",
		              tlot ? tlot : "", exp / 10000, exp / 100 % 100, exp % 100);
	long long picked = req_int(t, "picked", 0), qty = req_int(t, "qty", 0);
	if (picked + pack > qty)
		return refuse(s, WMS_EOVERPICK, "Put the extra back",
		              "%s: %lld picked, this scan adds %d, the task asks for %lld", sku,
		              picked, pack, qty);
	bool gone = false;
	if (picked == 0 && ((rc = start_picking(s, &gone)) || gone))
		return rc;
	picked += pack;
	json_object_set_new(t, "picked", json_integer(picked));
	if (picked == qty)
		set_step(t, "tote");
	char ins[200];
	next_instruction(t, ins, sizeof(ins));
	s->reply = scan_accepted(ins, "%s: %lld of %lld", sku, picked, qty);
	json_t *f = ev_fields(s);
	json_object_set_new(f, "step", json_string("item"));
	json_object_set_new(f, "picked", json_integer(picked));
	if (tlot)
		json_object_set_new(f, "lot", json_string(tlot));
	uint64_t no = 0;
	if ((rc = task_order_no(s, &no)))
		return rc;
	json_object_set(f, "tenant", json_object_get(t, "tenant"));
	json_object_set(f, "order", json_object_get(t, "order"));
	if ((rc = ev_emit(c, "pick.scanned", no, f)))
		return rc;
	return wave_task_save(c, t);
}

static int judge(struct pscan *s)
{
	struct cmd_ctx *c = s->c;
	json_t *t = s->task;
	char shown_code[160];
	if (strcmp(req_str(t, "state"), "open") != 0) {
		/* A task withdrawn because its order was cancelled says so: the picker has
		 * items to put back, not a sequence to follow. */
		struct order o = ORDER_INIT;
		bool gone = false;
		int rc =
		    strcmp(req_str(t, "state"), "withdrawn") == 0 ? task_order(s, &o, &gone) : 0;
		if (rc == 0)
			rc = gone ? refuse_cancelled(s, &o)
			          : refuse(s, WMS_ESEQUENCE, "Ask for the next task",
			                   "task %s is %s", req_str(t, "id"), req_str(t, "state"));
		order_release(&o);
		return rc;
	}
	struct wms_barcode bc;
	struct wms_barcode_error e = WMS_BARCODE_ERROR_INIT;
	bool readable = scan_parse(c, s->device, s->code, &bc, &e) == 0, is_loc;
	char loc[WH_LOC_MAX], shown[WMS_BARCODE_MAX_LABEL + 8];
	int rc = scanned_location(s, readable ? &bc : NULL, &is_loc, loc, shown, sizeof(shown));
	if (rc)
		return rc;
	if (!readable && !is_loc) {
		rc = refuse(s, WMS_EUNKNOWNBARCODE, "Scan again", "unreadable scan (%s): %s",
		            wms_barcode_errname(e.cls), e.message);
		if (rc == 0)
			json_object_set_new(s->reply, "barcode_error",
			                    json_string(wms_barcode_errname(e.cls)));
		return rc;
	}
	const char *step = step_of(t);
	char ins[200];
	if (is_loc) {
		if (strcmp(loc, req_str(t, "location")) != 0)
			return refuse(s, WMS_EWRONGLOCATION, "Go to the task's location",
			              "%s is not the task's location LOC-%s", shown,
			              req_str(t, "location"));
		if (strcmp(step, "location") == 0) {
			set_step(t, "item");
			if ((rc = wave_task_save(c, t)))
				return rc;
			json_t *f = ev_fields(s);
			uint64_t no = 0;
			json_object_set_new(f, "step", json_string("location"));
			json_object_set(f, "tenant", json_object_get(t, "tenant"));
			json_object_set(f, "order", json_object_get(t, "order"));
			if ((rc = task_order_no(s, &no)) ||
			    (rc = ev_emit(c, "pick.scanned", no, f)))
				return rc;
		}
		next_instruction(t, ins, sizeof(ins));
		s->reply = scan_accepted(ins, "at LOC-%s", req_str(t, "location"));
		return 0;
	}
	/* Not a location: the library read it. */
	if (strcmp(step, "location") == 0)
		return refuse(s, WMS_ESEQUENCE, "Scan the location label first",
		              "'%s' scanned before the location: scan LOC-%s first",
		              scan_code_shown(s->code, shown_code, sizeof(shown_code)),
		              req_str(t, "location"));
	if (bc.kind == WMS_BC_INTERNAL && bc.internal_type == WMS_INTERNAL_TOTE) {
		if (strcasecmp(bc.internal_id, req_str(t, "tote")) != 0)
			return refuse(s, WMS_EWRONGTOTE, "Take the items out; use the order's tote",
			              "%s is not this order's tote %s", bc.internal_id,
			              req_str(t, "tote"));
		if (strcmp(step, "tote") != 0) {
			next_instruction(t, ins, sizeof(ins));
			return refuse(s, WMS_EINCOMPLETE, ins,
			              "%s scanned with %lld of %lld x %s picked: not complete",
			              bc.internal_id, req_int(t, "picked", 0), req_int(t, "qty", 0),
			              req_str(t, "sku"));
		}
		return complete(s);
	}
	if (bc.kind == WMS_BC_INTERNAL)
		return refuse(s, WMS_ESEQUENCE, "Scan the item", "%s is a %s label, not an item",
		              bc.internal_id, wms_internal_type_name(bc.internal_type));
	if (strcmp(step, "tote") == 0)
		return refuse(s, WMS_EOVERPICK, "Put the extra back; scan the tote",
		              "'%s' scanned, but the task's %lld x %s are picked already",
		              scan_code_shown(s->code, shown_code, sizeof(shown_code)),
		              req_int(t, "qty", 0), req_str(t, "sku"));
	return item_scan(s, &bc);
}

int pick_scan(struct cmd_ctx *c, json_t **reply)
{
	struct pscan s = { .c = c,
		           .device = req_str(c->req, "device"),
		           .scan_id = req_str(c->req, "scan_id"),
		           .code = req_str(c->req, "code") };
	int rc = scan_replay(c, s.device, s.scan_id, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = wave_task_load(c, req_str(c->req, "task"), "task", &s.task)))
		return rc;
	rc = judge(&s);
	if (rc == 0) {
		json_t *t = s.task;
		if (json_object_get(s.reply, "task") == NULL)
			json_object_set_new(s.reply, "task", task_brief(t));
		rc = scan_record(c, s.device, s.scan_id, s.reply);
	}
	json_decref(s.task);
	if (rc) {
		json_decref(s.reply);
		return rc;
	}
	*reply = s.reply;
	return 0;
}

int pick_short(struct cmd_ctx *c, json_t **reply)
{
	const char *device = req_str(c->req, "device"), *scan_id = req_str(c->req, "scan_id");
	int rc = scan_replay(c, device, scan_id, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	json_t *t;
	if ((rc = wave_task_load(c, req_str(c->req, "task"), "task", &t)))
		return rc;
	long long qty = req_int(t, "qty", 0), found = req_int(c->req, "found", 0);
	if (strcmp(req_str(t, "state"), "open") != 0) {
		/* Say why a withdrawn task is: its order may have been cancelled. */
		struct order w = ORDER_INIT;
		bool cancelled =
		    order_load(c, req_str(t, "tenant"), req_str(t, "order"), &w) == 0 &&
		    order_state(&w) == ORDER_CANCELLED;
		order_release(&w);
		rc = cmd_fail(c, WMS_ESTATE, "task", "task %s is %s%s%s%s", req_str(t, "id"),
		              req_str(t, "state"), cancelled ? ": order " : "",
		              cancelled ? req_str(t, "order") : "",
		              cancelled ? " was cancelled" : "");
		json_decref(t);
		return rc;
	}
	if (found >= qty || found < req_int(t, "picked", 0)) {
		rc = cmd_fail(c, WMS_ERANGE, "found",
		              "found is %lld; a shortage means fewer than the task's %lld and at "
		              "least the %lld already picked",
		              found, qty, req_int(t, "picked", 0));
		json_decref(t);
		return rc;
	}
	long long missing = qty - found;
	struct order o = ORDER_INIT;
	size_t sidx;
	if ((rc = order_load(c, req_str(t, "tenant"), req_str(t, "order"), &o)))
		rc = rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	json_t *sh = rc == 0 ? order_shipment(&o, req_str(t, "shipment"), &sidx) : NULL;
	/* An open task of a cancelled order (cancelled before cancellation withdrew the floor's
	 * work): nothing to re-allocate, say so. */
	if (rc == 0 && (sh == NULL || order_state(&o) == ORDER_CANCELLED))
		rc = cmd_fail(c, WMS_ESTATE, "task",
		              "task %s: order %s is %s and no longer holds shipment %s; put the "
		              "tote's items back",
		              req_str(t, "id"), req_str(t, "order"),
		              order_state_name(order_state(&o)), req_str(t, "shipment"));
	/* The missing units are not there: write them off the location. */
	struct key sk = KEY_INIT;
	master_stock_key(&sk, req_str(t, "tenant"), req_str(t, "sku"), req_str(t, "warehouse"),
	                 req_str(t, "location"), req_str(t, "lot"));
	/* The bin's books hold at most what they say: a count may already have taken the units
	 * off (an over-reserved bin), and then only the reservation goes. */
	long long off = missing;
	if (rc == 0) {
		json_t *row = NULL;
		if (store_get_json(c->txn, STORE_STOCK, sk.b, sk.n, &row) == 0 &&
		    req_int(row, "on_hand", 0) < off)
			off = req_int(row, "on_hand", 0);
		json_decref(row);
		rc = master_stock_change(c, &sk, -off, -missing, NULL);
	}
	/* The allocation no longer holds the missing units; picked units go back to shelf. */
	size_t i, j;
	json_t *l, *pk;
	if (rc == 0) {
		json_array_foreach(json_object_get(sh, "lines"), i, l)
		{
			json_array_foreach(json_object_get(l, "picks"), j, pk)
			{
				const char *lot = req_str(pk, "lot"), *tlot = req_str(t, "lot");
				bool mine =
				    req_int(l, "line", 0) == req_int(t, "line", -1) &&
				    strcmp(req_str(pk, "location"), req_str(t, "location")) == 0 &&
				    (lot == NULL) == (tlot == NULL) &&
				    (lot == NULL || strcmp(lot, tlot) == 0);
				if (mine)
					json_object_set_new(
					    pk, "qty",
					    json_integer(req_int(pk, "qty", 0) - missing));
				long long back = req_int(pk, "picked", 0);
				if (back > 0 && rc == 0) {
					struct key bk = KEY_INIT;
					master_stock_key(
					    &bk, req_str(t, "tenant"), req_str(l, "sku"),
					    req_str(sh, "warehouse"), req_str(pk, "location"),
					    req_str(pk, "lot"));
					/* Back on the shelf and held again until released below. */
					rc = master_stock_change(c, &bk, back, back, NULL);
					json_object_del(pk, "picked");
				}
			}
		}
	}
	if (rc == 0)
		rc = wave_shipment_withdraw(c, req_str(t, "batch"), req_str(t, "shipment"),
		                            req_str(t, "id"), NULL);
	if (rc == 0 && req_str(sh, "tote"))
		rc = wave_tote_free(c, req_str(sh, "tote"));
	json_t *f =
	    json_pack("{s:O, s:s, s:O, s:O, s:O, s:I, s:I, s:O}", "task", json_object_get(t, "id"),
	              "device", device, "warehouse", json_object_get(t, "warehouse"), "location",
	              json_object_get(t, "location"), "sku", json_object_get(t, "sku"), "found",
	              (json_int_t)found, "missing", (json_int_t)missing, "shipment",
	              json_object_get(t, "shipment"));
	if (req_str(t, "lot"))
		json_object_set(f, "lot", json_object_get(t, "lot"));
	if (rc == 0)
		rc = order_emit(c, &o, "pick.short", f);
	else
		json_decref(f);
	/* The bin did not hold what the books say: it needs a count before allocation uses it
	 * again, or the re-allocation below would send the next picker to the same shelf. */
	if (rc == 0)
		rc = master_stock_count_required(c, req_str(t, "tenant"), req_str(t, "sku"),
		                                 req_str(t, "warehouse"), req_str(t, "location"),
		                                 req_str(t, "id"));
	/* Allocate the shipment's part again from what the network holds now; the order's
	 * other shipments keep their stock and their work (alloc.h). */
	if (rc == 0) {
		watch_cause(&o, "short_pick");
		rc = alloc_short(c, &o, sidx);
	}
	if (rc == 0) {
		const char *state = order_state_name(order_state(&o));
		char ins[128];
		snprintf(ins, sizeof(ins), "Put the items of %s back; ask for the next task",
		         req_str(t, "tote"));
		*reply = scan_accepted(ins, "short of %lld x %s at LOC-%s recorded; order %s is %s",
		                       missing, req_str(t, "sku"), req_str(t, "location"),
		                       order_id(&o), state);
		json_object_set_new(*reply, "order_state", json_string(state));
		rc = scan_record(c, device, scan_id, *reply);
		if (rc) {
			json_decref(*reply);
			*reply = NULL;
		}
	}
	order_release(&o);
	json_decref(t);
	return rc;
}
