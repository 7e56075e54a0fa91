/* wave.c - wave planning, release and pickers' tasks (see wave.h). */
#include "jtext.h"
#include "wave.h"

#include "alloc.h"
#include "batch.h"
#include "events.h"
#include "layout.h"
#include "master.h"
#include "orders.h"
#include "store.h"
#include "wh.h"
#include "wms/time.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defaults of wave.plan's optional fields (PROTOCOL.md states them). */
#define DEF_MAX_ORDERS   200
#define DEF_CART_TOTES   8
#define DEF_CART_UNITS   45
#define DEF_WALK_MPS     1.0
#define DEF_PICK_SECONDS 10.0
#define DEF_PACK_MINUTES 30

/* ---- keys ---- */

static void wave_key(struct key *k, uint64_t wave)
{
	key_u64(k, wave);
}

void wave_batch_key(struct key *k, uint64_t wave, uint32_t batch)
{
	key_u64(k, wave);
	key_u64(k, batch);
}

void wave_task_key(struct key *k, uint64_t wave, uint32_t batch, uint32_t seq)
{
	key_u64(k, wave);
	key_u64(k, batch);
	key_u64(k, seq);
}

static void picker_key(struct key *k, const char *warehouse, const char *picker)
{
	key_str(k, warehouse);
	key_str(k, picker);
}

static void bqueue_key(struct key *k, const char *warehouse, int64_t cutoff, uint64_t wave,
                       uint32_t batch)
{
	key_str(k, warehouse);
	key_u64(k, (uint64_t)cutoff);
	key_u64(k, wave);
	key_u64(k, batch);
}

static int parse_u(const char **p, char tag, uint64_t *v)
{
	if (**p != tag || (*p)[1] < '0' || (*p)[1] > '9')
		return -1;
	char *end;
	*v = strtoull(*p + 1, &end, 10);
	*p = end;
	return 0;
}

int wave_task_id_parse(const char *id, uint64_t *wave, uint32_t *batch, uint32_t *seq)
{
	uint64_t w, b, t;
	const char *p = id;
	if (parse_u(&p, 'W', &w) || *p++ != '-' || parse_u(&p, 'B', &b) || *p++ != '-' ||
	    parse_u(&p, 'T', &t) || *p != '\0' || b > UINT32_MAX || t > UINT32_MAX)
		return -1;
	*wave = w;
	*batch = (uint32_t)b;
	*seq = (uint32_t)t;
	return 0;
}

/* Parses a batch id "W<no>-B<k>". Returns 0, or -1 when ID is not one. */
static int parse_batch_id(const char *id, uint64_t *wave, uint32_t *batch)
{
	uint64_t w, b;
	const char *p = id;
	if (p == NULL || parse_u(&p, 'W', &w) || *p++ != '-' || parse_u(&p, 'B', &b) ||
	    *p != '\0' || b > UINT32_MAX)
		return -1;
	*wave = w;
	*batch = (uint32_t)b;
	return 0;
}

static int parse_wave_id(const char *id, uint64_t *wave)
{
	const char *p = id;
	return parse_u(&p, 'W', wave) == 0 && *p == '\0' && *wave > 0 ? 0 : -1;
}

static double r2(double x)
{
	return round(x * 100.0) / 100.0;
}

/*
 * A batch is two documents: its progress (state, totes, counts, picker) under STORE_BATCHES,
 * rewritten as the cart moves, and its stops in route order under STORE_BATCH_STOPS, written
 * at planning and release only. Every finished task rewrites the progress; with the stops in
 * the same document that cost a parse and a write of the whole route per scan. batch_load
 * gives the progress (with the stops only for a batch stored before the split); batch_save
 * writes a document's stops, when it carries them, to their own place.
 */
static int batch_load(struct store_txn *txn, uint64_t w, uint32_t b, json_t **out)
{
	struct key k = KEY_INIT;
	wave_batch_key(&k, w, b);
	return store_get_json(txn, STORE_BATCHES, k.b, k.n, out);
}

static int batch_save(struct cmd_ctx *c, const json_t *bd)
{
	struct key k = KEY_INIT;
	wave_batch_key(&k, (uint64_t)req_int(bd, "no", 0), (uint32_t)req_int(bd, "batch", 0));
	json_t *stops = json_object_get(bd, "stops");
	if (stops == NULL)
		return store_put_json(c->txn, STORE_BATCHES, k.b, k.n, bd, 0);
	json_t *progress = json_copy((json_t *)bd);
	if (progress == NULL)
		return WMS_ENOMEM;
	json_object_del(progress, "stops");
	int rc = store_put_json(c->txn, STORE_BATCHES, k.b, k.n, progress, 0);
	json_decref(progress);
	if (rc == 0)
		rc = store_put_json(c->txn, STORE_BATCH_STOPS, k.b, k.n, stops, 0);
	return rc;
}

/* Sets BD's stops (a reply shows them) from their own place, unless it has them. */
static int batch_attach_stops(struct store_txn *txn, json_t *bd)
{
	if (json_object_get(bd, "stops"))
		return 0;
	struct key k = KEY_INIT;
	json_t *stops;
	wave_batch_key(&k, (uint64_t)req_int(bd, "no", 0), (uint32_t)req_int(bd, "batch", 0));
	int rc = store_get_json(txn, STORE_BATCH_STOPS, k.b, k.n, &stops);
	if (rc == WMS_ENOTFOUND)
		return WMS_EINTERNAL;
	if (rc == 0)
		json_object_set_new(bd, "stops", stops);
	return rc;
}

/* ---- planning ---- */

/* One pick of a shipment: what the stop will say. */
struct pick {
	const char *sku, *location, *lot, *expiry; /* borrowed from the order document */
	int line;
	uint32_t qty;
	struct layout_loc loc;
};

/* A queued shipment considered for a wave. */
struct cand {
	uint64_t order_no;
	unsigned sidx;
	int64_t cutoff;
	struct order o;
	json_t *ship; /* borrowed from o.doc */
	struct pick *picks;
	struct batch_line *lines;
	size_t npicks;
	uint32_t units;
	struct key qkey;
};

struct params {
	long long max_orders, max_units, max_carts, waves;
	struct batch_cart cart;
	struct batch_options bopt;
	double walk_mps, pick_seconds;
	long long pickers, pack_minutes;
	int64_t cutoff_before; /* 0 = none */
};

static void cand_free(struct cand *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		order_release(&cs[i].o);
		free(cs[i].picks);
		free(cs[i].lines);
	}
	free(cs);
}

struct cand_set {
	struct cand *cs;
	size_t n;
};

static void cand_set_dispose(void *arg)
{
	struct cand_set *set = arg;
	cand_free(set->cs, set->n);
	free(set);
}

/* Frees CS[0..N) after the reply (cmd_ctx.dispose): a wave of 10,000 orders holds as many
 * documents, and freeing them took the writer a sixth of the plan's time. Inline when there
 * is no memory to say so. */
static void cand_free_later(struct cmd_ctx *c, struct cand *cs, size_t n)
{
	struct cand_set *set = c->dispose == NULL ? malloc(sizeof(*set)) : NULL;
	if (set == NULL) {
		cand_free(cs, n);
		return;
	}
	*set = (struct cand_set){ cs, n };
	c->dispose = cand_set_dispose;
	c->dispose_arg = set;
}

/* Candidates by order number, then queue position (qsort takes no context; the writer is
 * the only thread that plans). */
static const struct cand *sort_cs;
static int cand_order_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	if (sort_cs[a].order_no != sort_cs[b].order_no)
		return sort_cs[a].order_no < sort_cs[b].order_no ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Loads the shipment a wave queue entry names, with its picks placed in the layout; SAME, when
 * not NULL, is an already loaded candidate of the same order, whose document it shares. */
static int cand_load(struct cmd_ctx *c, const struct layout *l, struct cand *cd,
                     const struct cand *same)
{
	int rc = 0;
	if (same) {
		/* Another queued shipment of this order: one document for both, or the one
		 * saved last would undo what was written on the other (hold_shipments). */
		cd->o.no = same->o.no;
		cd->o.doc = json_incref(same->o.doc);
	} else if ((rc = order_load_no(c->txn, cd->order_no, &cd->o))) {
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	}
	cd->ship = json_array_get(
	    json_object_get(json_object_get(cd->o.doc, "allocation"), "shipments"), cd->sidx);
	if (cd->ship == NULL)
		return WMS_EINTERNAL;
	size_t n = 0, i, j;
	json_t *ln, *pk;
	json_array_foreach(json_object_get(cd->ship, "lines"), i, ln) n +=
	    json_array_size(json_object_get(ln, "picks"));
	cd->picks = calloc(n ? n : 1, sizeof(*cd->picks));
	cd->lines = calloc(n ? n : 1, sizeof(*cd->lines));
	if (cd->picks == NULL || cd->lines == NULL)
		return WMS_ENOMEM;
	json_array_foreach(json_object_get(cd->ship, "lines"), i, ln)
	{
		json_array_foreach(json_object_get(ln, "picks"), j, pk)
		{
			struct pick *p = &cd->picks[cd->npicks];
			char canon[LAYOUT_CODE_MAX];
			p->sku = req_str(ln, "sku");
			p->line = (int)req_int(ln, "line", (long long)i + 1);
			p->location = req_str(pk, "location");
			p->lot = req_str(pk, "lot");
			p->expiry = req_str(pk, "expiry");
			p->qty = (uint32_t)req_int(pk, "qty", 0);
			if (layout_parse_location(l, p->location, &p->loc, canon, &c->err))
				return WMS_EINTERNAL; /* stock locations were checked on receipt */
			cd->lines[cd->npicks].at = p->loc.point;
			cd->lines[cd->npicks].qty = p->qty;
			cd->units += p->qty;
			cd->npicks++;
		}
	}
	return 0;
}

static int read_params(struct cmd_ctx *c, const json_t *wh, struct params *p)
{
	const json_t *r = c->req, *cart = json_object_get(r, "cart");
	p->max_orders = req_int(r, "max_orders", DEF_MAX_ORDERS);
	p->max_units = req_int(r, "max_units", 0);
	p->max_carts = req_int(r, "max_carts", 0);
	p->waves = req_int(r, "waves", 1);
	p->cart.max_orders = (uint32_t)req_int(cart, "totes", DEF_CART_TOTES);
	p->cart.max_units = (uint32_t)req_int(cart, "units", DEF_CART_UNITS);
	struct batch_options bo = BATCH_OPTIONS_INIT;
	const char *m = req_str(r, "method");
	bo.method = m == NULL || strcmp(m, "savings") == 0 ? BATCH_SAVINGS
	            : strcmp(m, "fcfs") == 0               ? BATCH_FCFS
	                                                   : BATCH_SINGLE;
	p->bopt = bo;
	p->walk_mps = req_num(r, "walk_mps", DEF_WALK_MPS);
	p->pick_seconds = req_num(r, "pick_seconds", DEF_PICK_SECONDS);
	p->pickers = req_int(r, "pickers", 0);
	p->pack_minutes = req_int(r, "pack_minutes", req_int(wh, "pack_minutes", DEF_PACK_MINUTES));
	p->cutoff_before = 0;
	if (req_str(r, "cutoff_before") &&
	    wms_time_parse(req_str(r, "cutoff_before"), &p->cutoff_before))
		return cmd_fail(c, WMS_EVALUE, "cutoff_before", "cutoff_before '%s' is not a time",
		                req_str(r, "cutoff_before"));
	return 0;
}

/* Reads up to MAX queued shipments of warehouse WH in queue order. */
static int read_queue(struct cmd_ctx *c, const char *wh, const struct params *p, size_t max,
                      struct cand **out, size_t *nout)
{
	struct key pre = KEY_INIT;
	key_str(&pre, wh);
	struct store_cursor *cur;
	struct store_val k, v;
	size_t n = 0, cap = 64;
	struct cand *cs = calloc(cap, sizeof(*cs));
	if (cs == NULL)
		return WMS_ENOMEM;
	int rc = store_cursor_open(c->txn, STORE_WAVE_QUEUE, &cur);
	if (rc) {
		free(cs);
		return rc;
	}
	for (rc = store_cursor_seek(cur, pre.b, pre.n, &k, &v); rc == 0 && n < max;
	     rc = store_cursor_next(cur, &k, &v)) {
		if (!key_has_prefix(k.data, k.len, &pre))
			break;
		const uint8_t *b = (const uint8_t *)k.data + pre.n;
		int64_t cutoff = (int64_t)key_get_u64(b);
		if (p->cutoff_before && cutoff >= p->cutoff_before)
			break; /* the queue is in cutoff order */
		if (n == cap) {
			struct cand *g = realloc(cs, 2 * cap * sizeof(*cs));
			if (g == NULL) {
				rc = WMS_ENOMEM;
				break;
			}
			memset(g + cap, 0, cap * sizeof(*cs));
			cs = g;
			cap *= 2;
		}
		struct cand *cd = &cs[n++];
		cd->cutoff = cutoff;
		cd->order_no = key_get_u64(b + 9);
		cd->sidx = b[17];
		memcpy(cd->qkey.b, k.data, k.len);
		cd->qkey.n = k.len;
	}
	store_cursor_close(cur);
	if (rc == WMS_ENOTFOUND || rc == 0) {
		*out = cs;
		*nout = n;
		return 0;
	}
	cand_free(cs, n);
	return rc;
}

/* How many carts at least N orders of U units need. */
static long long carts_lower_bound(const struct params *p, long long n, long long u)
{
	long long a = (n + p->cart.max_orders - 1) / p->cart.max_orders;
	long long b = (u + p->cart.max_units - 1) / p->cart.max_units;
	return a > b ? a : b;
}

/* Batches CS[0..N) and builds the wave document. */
static int build_wave(struct cmd_ctx *c, const json_t *wh, const struct layout *l,
                      const struct params *p, struct cand *cs, size_t n, uint64_t no,
                      struct batch_plan **planp, json_t **docp)
{
	struct batch_order *bo = calloc(n, sizeof(*bo));
	if (bo == NULL)
		return WMS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bo[i].id = req_str(cs[i].ship, "id");
		bo[i].units = cs[i].units ? cs[i].units : 1;
		bo[i].lines = cs[i].lines;
		bo[i].nlines = cs[i].npicks;
	}
	struct batch_plan *plan = NULL;
	int rc = batch_plan_new(l, bo, n, &p->cart, &p->bopt, &plan, &c->err);
	free(bo);
	if (rc)
		return rc;
	char id[24], t1[WMS_TIME_BUFSZ], t2[WMS_TIME_BUFSZ];
	snprintf(id, sizeof(id), "W%" PRIu64, no);
	long long units = 0;
	for (size_t i = 0; i < n; i++)
		units += cs[i].units;
	int64_t cutoff = cs[0].cutoff;
	for (size_t i = 1; i < n; i++)
		if (cs[i].cutoff < cutoff)
			cutoff = cs[i].cutoff;

	/* Batch times: batches go to pickers in plan order, each picker taking the next. */
	long long pickers = p->pickers > 0 ? p->pickers : (long long)plan->nbatches;
	int64_t *free_at = calloc((size_t)(pickers > 0 ? pickers : 1), sizeof(int64_t));
	if (free_at == NULL) {
		batch_plan_free(plan);
		return WMS_ENOMEM;
	}
	for (long long k = 0; k < pickers; k++)
		free_at[k] = c->now;
	json_t *batches = json_array(), *risk = json_array(), *ships = json_array();
	for (size_t b = 0; b < plan->nbatches; b++) {
		const struct batch *bt = &plan->batches[b];
		char bid[64];
		snprintf(bid, sizeof(bid), "%s-B%zu", id, b + 1);
		long long pk = 0;
		for (long long k = 1; k < pickers; k++)
			if (free_at[k] < free_at[pk])
				pk = k;
		double secs = bt->length / p->walk_mps + (double)bt->nstops * p->pick_seconds;
		int64_t back = free_at[pk] + (int64_t)llround(secs * 1000.0);
		free_at[pk] = back;
		int64_t ready = back + p->pack_minutes * 60000;
		json_t *orders = json_array();
		for (size_t k = 0; k < bt->norders; k++) {
			const struct cand *cd = &cs[plan->orders[bt->first_order + k]];
			json_t *ref = json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:s}", "tenant",
			                        order_tenant(&cd->o), "order", order_id(&cd->o),
			                        "shipment", req_str(cd->ship, "id"), "order_no",
			                        (json_int_t)cd->order_no, "shipment_index",
			                        (int)cd->sidx, "units", (json_int_t)cd->units,
			                        "cutoff", wms_time_format(cd->cutoff, t1));
			if (ready > cd->cutoff)
				json_array_append_new(
				    risk, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "tenant",
				                    order_tenant(&cd->o), "order", order_id(&cd->o),
				                    "shipment", req_str(cd->ship, "id"), "cutoff",
				                    wms_time_format(cd->cutoff, t1), "ready_by",
				                    wms_time_format(ready, t2), "batch", bid));
			json_array_append(ships, ref);
			json_array_append_new(orders, ref);
		}
		json_t *stops = json_array();
		for (size_t s = 0; s < bt->nstops; s++) {
			const struct batch_stop *st = &plan->stops[bt->first_stop + s];
			const struct cand *cd = &cs[st->order];
			const struct pick *pk2 = &cd->picks[st->line];
			json_t *js = json_pack(
			    "{s:I, s:s, s:i, s:s, s:i, s:i, s:i, s:s, s:I, s:s, s:s, s:s, s:i}",
			    "seq", (json_int_t)s + 1, "location", pk2->location, "aisle",
			    pk2->loc.aisle, "block", (char[2]){ (char)('A' + pk2->loc.block), 0 },
			    "bay", pk2->loc.bay, "position", pk2->loc.position, "level",
			    pk2->loc.level, "sku", pk2->sku, "qty", (json_int_t)pk2->qty, "tenant",
			    order_tenant(&cd->o), "order", order_id(&cd->o), "shipment",
			    req_str(cd->ship, "id"), "line", pk2->line);
			if (pk2->lot)
				json_object_set_new(js, "lot", json_string(pk2->lot));
			if (pk2->expiry)
				json_object_set_new(js, "expiry", json_string(pk2->expiry));
			json_array_append_new(stops, js);
		}
		json_array_append_new(
		    batches,
		    json_pack("{s:s, s:o, s:I, s:f, s:f, s:f, s:b, s:b, s:s, s:o}", "id", bid,
		              "orders", orders, "units", (json_int_t)bt->units, "length_m",
		              r2(bt->length), "sshape_length_m", r2(bt->sshape_length),
		              "single_length_m", r2(bt->single_length), "exact", bt->exact,
		              "oversize", bt->oversize, "back_at_depot", wms_time_format(back, t1),
		              "stops", stops));
	}
	free(free_at);
	json_t *doc = json_pack(
	    "{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:{s:i, s:i}, "
	    "s:{s:f, s:f, s:I, s:I}, s:o, s:o, s:o}",
	    "id", id, "no", (json_int_t)no, "warehouse", req_str(wh, "id"), "state", "planned",
	    "planned_at", wms_time_format(c->now, t1), "cutoff", wms_time_format(cutoff, t2),
	    "orders", (json_int_t)n, "units", (json_int_t)units, "carts",
	    (json_int_t)plan->nbatches, "length_m", r2(plan->length), "sshape_length_m",
	    r2(plan->sshape_length), "single_length_m", r2(plan->single_length), "cart", "totes",
	    (int)p->cart.max_orders, "units", (int)p->cart.max_units, "estimate", "walk_mps",
	    p->walk_mps, "pick_seconds", p->pick_seconds, "pickers", (json_int_t)pickers,
	    "pack_minutes", (json_int_t)p->pack_minutes, "at_risk", risk, "shipments", ships,
	    "batches", batches);
	*planp = plan;
	*docp = doc;
	return doc ? 0 : WMS_ENOMEM;
}

/* What one reply may list of a wave's batches or at-risk orders; wave.get pages the rest. */
#define WAVE_REPLY_LIST_MAX 1000

/* Keeps the first WAVE_REPLY_LIST_MAX of DOC's array NAME, saying how many there were. */
static void cap_list(json_t *doc, const char *name)
{
	json_t *a = json_object_get(doc, name);
	size_t n = json_array_size(a);
	char count[48];
	snprintf(count, sizeof(count), "%s_count", name);
	json_object_set_new(doc, count, json_integer((json_int_t)n));
	if (n > WAVE_REPLY_LIST_MAX) {
		json_t *head = json_array();
		for (size_t i = 0; i < WAVE_REPLY_LIST_MAX; i++)
			json_array_append(head, json_array_get(a, i));
		json_object_set_new(doc, name, head);
	}
}

/* The summary of a wave that wave.plan replies with: batches without their stops, lists
 * capped so that a plan of 100,000 orders still fits a reply. */
static json_t *wave_summary(const json_t *doc)
{
	/* Shallow copies: the plan's members are shared, only what differs is new. */
	json_t *s = json_copy((json_t *)doc), *batches = json_array();
	json_object_del(s, "shipments");
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(doc, "batches"), i, b)
	{
		json_t *bs = json_copy(b);
		json_object_set_new(
		    bs, "stops",
		    json_integer((json_int_t)json_array_size(json_object_get(b, "stops"))));
		json_array_append_new(batches, bs);
	}
	json_object_set_new(s, "batches", batches);
	cap_list(s, "batches");
	cap_list(s, "at_risk");
	/* The count under wave.get's name too: the two replies describe a wave alike. */
	json_object_set(s, "batch_count", json_object_get(s, "batches_count"));
	return s;
}

/*
 * Marks the shipments of candidates CS[0..N) as held by wave WAVE. The orders were loaded
 * for planning: they are saved from there, without reading them again. Candidates of one
 * order share its document (wave_plan), so each save carries every mark made so far.
 */
static int hold_shipments(struct cmd_ctx *c, struct cand *cs, size_t n, const char *wave)
{
	for (size_t i = 0; i < n; i++) {
		json_object_set_new(cs[i].ship, "wave", json_string(wave));
		int rc = order_save(c, &cs[i].o);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Stores a planned wave: the header under its number, each batch (orders, stops, and later
 * its picking progress) under (wave, batch), so that neither a huge wave nor one cart's
 * progress costs a rewrite of the whole plan.
 */
static int store_wave(struct cmd_ctx *c, uint64_t no, const json_t *doc)
{
	size_t i;
	json_t *b;
	int rc = 0;
	json_array_foreach(json_object_get(doc, "batches"), i, b)
	{
		struct key bk = KEY_INIT;
		json_t *bd = json_copy(b); /* shallow: only top-level members are added */
		json_object_set(bd, "wave", json_object_get(doc, "id"));
		json_object_set(bd, "warehouse", json_object_get(doc, "warehouse"));
		json_object_set_new(bd, "no", json_integer((json_int_t)no));
		json_object_set_new(bd, "batch", json_integer((json_int_t)i + 1));
		json_object_set_new(bd, "state", json_string("planned"));
		json_object_del(bd, "stops"); /* they have their own place (batch_save) */
		wave_batch_key(&bk, no, (uint32_t)i + 1);
		rc = store_put_json(c->txn, STORE_BATCHES, bk.b, bk.n, bd, STORE_APPEND);
		if (rc == 0)
			rc = store_put_json(c->txn, STORE_BATCH_STOPS, bk.b, bk.n,
			                    json_object_get(b, "stops"), STORE_APPEND);
		json_decref(bd);
		if (rc)
			return rc;
	}
	json_t *head = json_copy((json_t *)doc);
	json_object_del(head, "shipments");
	json_object_set_new(
	    head, "batches",
	    json_integer((json_int_t)json_array_size(json_object_get(doc, "batches"))));
	/* The header is read whole by every op on the wave: it keeps the at-risk list as
	 * replies show it, capped, with the count. */
	cap_list(head, "at_risk");
	struct key k = KEY_INIT;
	wave_key(&k, no);
	rc = store_put_json(c->txn, STORE_WAVES, k.b, k.n, head, STORE_APPEND);
	json_decref(head);
	return rc;
}

int wave_plan(struct cmd_ctx *c, json_t **reply)
{
	const char *whid = req_str(c->req, "warehouse");
	json_t *wh = NULL;
	int rc = master_warehouse_load(c, whid, "warehouse", &wh);
	if (rc)
		return rc;
	struct params p;
	struct layout l;
	if ((rc = read_params(c, wh, &p)) || (rc = wh_layout(wh, &l, &c->err))) {
		json_decref(wh);
		return rc;
	}
	struct cand *cs = NULL;
	size_t n = 0;
	size_t want = (size_t)(p.max_orders * p.waves);
	if ((rc = read_queue(c, whid, &p, want, &cs, &n))) {
		json_decref(wh);
		return rc;
	}
	/* An order can have two shipments queued in one warehouse (a part re-allocated after a
	 * short pick beside one not yet waved): candidates of one order share its document. */
	size_t *by_order = malloc((n ? n : 1) * sizeof(*by_order));
	if (by_order == NULL)
		rc = WMS_ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++)
		by_order[i] = i;
	if (rc == 0) {
		sort_cs = cs;
		qsort(by_order, n, sizeof(*by_order), cand_order_cmp);
	}
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct cand *same =
		    k > 0 && cs[by_order[k - 1]].order_no == cs[by_order[k]].order_no
		        ? &cs[by_order[k - 1]]
		        : NULL;
		rc = cand_load(c, &l, &cs[by_order[k]], same);
	}
	free(by_order);
	json_t *waves = json_array();
	size_t at = 0;
	for (long long w = 0; w < p.waves && at < n && rc == 0; w++) {
		/* Fill in queue order while the limits (and a lower bound on carts) allow. */
		size_t end = at;
		long long units = 0;
		while (end < n && (long long)(end - at) < p.max_orders) {
			long long u = units + cs[end].units;
			if (p.max_units && u > p.max_units && end > at)
				break;
			if (p.max_carts &&
			    carts_lower_bound(&p, (long long)(end - at) + 1, u) > p.max_carts &&
			    end > at)
				break;
			units = u;
			end++;
		}
		uint64_t no;
		struct batch_plan *plan = NULL;
		json_t *doc = NULL;
		if ((rc = store_counter_next(c->txn, "wave_no", &no)))
			break;
		for (;;) {
			rc = build_wave(c, wh, &l, &p, cs + at, end - at, no, &plan, &doc);
			if (rc || !p.max_carts || (long long)plan->nbatches <= p.max_carts ||
			    end - at == 1)
				break;
			/* Batching needed more carts than allowed: leave the latest orders out. */
			size_t drop = (end - at) / 10 ? (end - at) / 10 : 1;
			end -= drop;
			batch_plan_free(plan);
			json_decref(doc);
			plan = NULL;
			doc = NULL;
		}
		batch_plan_free(plan);
		if (rc)
			break;
		for (size_t i = at; i < end && rc == 0; i++)
			rc = store_del(c->txn, STORE_WAVE_QUEUE, cs[i].qkey.b, cs[i].qkey.n);
		if (rc == 0)
			rc = hold_shipments(c, cs + at, end - at, req_str(doc, "id"));
		if (rc == 0)
			rc = store_wave(c, no, doc);
		if (rc == 0)
			rc = ev_emit(
			    c, "wave.planned", 0,
			    json_pack(
			        "{s:O, s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "wave",
			        json_object_get(doc, "id"), "warehouse", whid, "cutoff",
			        json_object_get(doc, "cutoff"), "orders",
			        json_object_get(doc, "orders"), "units",
			        json_object_get(doc, "units"), "carts",
			        json_object_get(doc, "carts"), "length_m",
			        json_object_get(doc, "length_m"), "sshape_length_m",
			        json_object_get(doc, "sshape_length_m"), "single_length_m",
			        json_object_get(doc, "single_length_m"), "at_risk",
			        (json_int_t)json_array_size(json_object_get(doc, "at_risk"))));
		json_array_append_new(waves, wave_summary(doc));
		json_decref(doc);
		at = end;
	}
	cand_free_later(c, cs, n);
	if (rc) {
		json_decref(waves);
		json_decref(wh);
		return rc;
	}
	size_t queued = 0;
	struct key pre = KEY_INIT;
	key_str(&pre, whid);
	struct store_cursor *cur;
	struct store_val k, v;
	if (store_cursor_open(c->txn, STORE_WAVE_QUEUE, &cur) == 0) {
		for (int r = store_cursor_seek(cur, pre.b, pre.n, &k, &v);
		     r == 0 && key_has_prefix(k.data, k.len, &pre);
		     r = store_cursor_next(cur, &k, &v))
			queued++;
		store_cursor_close(cur);
	}
	*reply = json_pack("{s:s, s:o, s:I}", "warehouse", whid, "waves", waves, "still_queued",
	                   (json_int_t)queued);
	json_decref(wh);
	return 0;
}

static int wave_load(struct cmd_ctx *c, const char *id, uint64_t *no, json_t **out)
{
	struct key k = KEY_INIT;
	if (parse_wave_id(id, no))
		return cmd_fail(c, WMS_EVALUE, "wave", "wave '%s' is not a wave id (W<number>)",
		                id);
	wave_key(&k, *no);
	int rc = store_get_json(c->txn, STORE_WAVES, k.b, k.n, out);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, "wave", "wave '%s' is not known", id);
	return rc;
}

static int wave_save(struct cmd_ctx *c, uint64_t no, const json_t *doc)
{
	struct key k = KEY_INIT;
	wave_key(&k, no);
	return store_put_json(c->txn, STORE_WAVES, k.b, k.n, doc, 0);
}

/*
 * Loads up to LIMIT batch documents of wave NO after batch AFTER, in batch order, into *OUT
 * (new array); *MORE says whether others follow.
 */
static int batches_load(struct store_txn *txn, uint64_t no, uint32_t after, size_t limit,
                        bool with_stops, json_t **out, bool *more)
{
	struct key pre = KEY_INIT, from = KEY_INIT;
	key_u64(&pre, no);
	wave_batch_key(&from, no, after + 1);
	struct store_cursor *cur;
	struct store_val k, v;
	*more = false;
	int rc = store_cursor_open(txn, STORE_BATCHES, &cur);
	if (rc)
		return rc;
	json_t *list = json_array();
	for (rc = store_cursor_seek(cur, from.b, from.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &pre); rc = store_cursor_next(cur, &k, &v)) {
		if (json_array_size(list) == limit) {
			*more = true;
			break;
		}
		json_t *b = jtext_load(v.data, v.len);
		if (b == NULL) {
			rc = WMS_EINTERNAL;
			break;
		}
		json_array_append_new(list, b);
	}
	store_cursor_close(cur);
	size_t i;
	json_t *b;
	if (rc == WMS_ENOTFOUND)
		rc = 0;
	json_array_foreach(list, i, b)
	{
		if (rc || !with_stops)
			break;
		rc = batch_attach_stops(txn, b);
	}
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int wave_get(struct cmd_ctx *c, json_t **reply)
{
	uint64_t no;
	json_t *doc, *list;
	bool more;
	int rc = wave_load(c, req_str(c->req, "wave"), &no, &doc);
	if (rc)
		return rc;
	uint32_t after = (uint32_t)req_int(c->req, "batches_after", 0);
	size_t limit = (size_t)req_int(c->req, "batch_limit", 100);
	if ((rc = batches_load(c->txn, no, after, limit, true, &list, &more))) {
		json_decref(doc);
		return rc;
	}
	/* The header says how many batches there are; this page lists some of them. The
	 * at-risk list is capped as in wave.plan (headers stored before it was are capped
	 * here); each batch's back_at_depot and cutoffs tell the rest. */
	if (json_object_get(doc, "at_risk_count") == NULL)
		cap_list(doc, "at_risk");
	json_object_set(doc, "batch_count", json_object_get(doc, "batches"));
	json_object_set(doc, "batches_count", json_object_get(doc, "batches"));
	json_object_set_new(doc, "batches", list);
	size_t n = json_array_size(list);
	json_t *next = more && n ? json_integer(req_int(json_array_get(list, n - 1), "batch", 0))
	                         : json_null();
	*reply = json_pack("{s:o, s:o}", "wave", doc, "next_batches_after", next);
	return 0;
}

/* ---- release ---- */

static void tote_key(struct key *k, const char *tote)
{
	key_str(k, tote);
}

int wave_tote_load(struct store_txn *txn, const char *tote, json_t **out)
{
	struct key k = KEY_INIT;
	tote_key(&k, tote);
	return store_get_json(txn, STORE_TOTES, k.b, k.n, out);
}

int wave_tote_free(struct cmd_ctx *c, const char *tote)
{
	struct key k = KEY_INIT;
	tote_key(&k, tote);
	int rc = store_del(c->txn, STORE_TOTES, k.b, k.n);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

/* Whether a tote entry is the note a cancellation left (the tote is free). */
static bool tote_cancelled(const json_t *td)
{
	return json_object_get(td, "cancelled") != NULL;
}

int wave_tote_cancel(struct cmd_ctx *c, const char *tote, bool *freed)
{
	struct key k = KEY_INIT;
	json_t *td;
	char at[WMS_TIME_BUFSZ];
	*freed = false;
	tote_key(&k, tote);
	int rc = store_get_json(c->txn, STORE_TOTES, k.b, k.n, &td);
	if (rc)
		return rc == WMS_ENOTFOUND ? 0 : rc;
	if (!tote_cancelled(td)) {
		/* Free for the next order (next_tote reuses it), and until then a scan of it
		 * can say why it holds nothing. */
		json_object_set_new(td, "cancelled", json_string(wms_time_format(c->now, at)));
		rc = store_put_json(c->txn, STORE_TOTES, k.b, k.n, td, 0);
		*freed = rc == 0;
	}
	json_decref(td);
	return rc;
}

/* A tote id no order holds now: TOTE-nnnnnn from a counter that wraps at a million. */
static int next_tote(struct cmd_ctx *c, char tote[16])
{
	for (int tries = 0; tries < 1000000; tries++) {
		uint64_t n;
		int rc = store_counter_next(c->txn, "tote_no", &n);
		if (rc)
			return rc;
		snprintf(tote, 16, "TOTE-%06" PRIu64, n % 1000000);
		struct key k = KEY_INIT;
		json_t *td;
		tote_key(&k, tote);
		rc = store_get_json(c->txn, STORE_TOTES, k.b, k.n, &td);
		if (rc == WMS_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
		bool free_again = tote_cancelled(td); /* its order was cancelled */
		json_decref(td);
		if (free_again)
			return 0;
	}
	return cmd_fail(c, WMS_EBUSY, "tote", "every tote number is in use");
}

/* Whether shipment SH (NULL: gone, re-allocated) is still held by planned wave WAVE: a
 * cancelled order's shipments keep their "wave" for the record, out of service. */
static bool held_by(const json_t *sh, const char *wave)
{
	const char *w = sh ? req_str(sh, "wave") : NULL, *st = sh ? req_str(sh, "state") : NULL;
	return w != NULL && strcmp(w, wave) == 0 && (st == NULL || strcmp(st, "cancelled") != 0);
}

int wave_release(struct cmd_ctx *c, json_t **reply)
{
	uint64_t no;
	json_t *doc;
	int rc = wave_load(c, req_str(c->req, "wave"), &no, &doc);
	if (rc)
		return rc;
	const char *state = req_str(doc, "state");
	if (strcmp(state, "planned") != 0) {
		rc = cmd_fail(c, WMS_ESTATE, "wave",
		              "wave '%s' is %s; only a planned wave is released",
		              req_str(doc, "id"), state);
		json_decref(doc);
		return rc;
	}
	const char *whid = req_str(doc, "warehouse");
	int64_t cutoff = 0;
	wms_time_parse(req_str(doc, "cutoff"), &cutoff);
	size_t ntasks = 0, skipped = 0;
	json_t *b;
	json_t *skipped_orders = json_array();
	char at[WMS_TIME_BUFSZ];
	/* Batch by batch from the store, a page at a time: a wave may hold thousands. */
	json_t *page = NULL;
	bool more = true;
	uint32_t after = 0;
	while (rc == 0 && more) {
		json_decref(page);
		page = NULL;
		if ((rc = batches_load(c->txn, no, after, 256, true, &page, &more)))
			break;
		size_t pi;
		json_array_foreach(page, pi, b)
		{
			size_t bi = (size_t)req_int(b, "batch", 0) - 1;
			after = (uint32_t)bi + 1;
			json_t *totes = json_object(); /* shipment id -> tote */
			json_t *tlist = json_array();
			size_t oi;
			json_t *ref;
			json_array_foreach(json_object_get(b, "orders"), oi, ref)
			{
				struct order o = ORDER_INIT;
				size_t sidx;
				if ((rc = order_load_no(c->txn,
				                        (uint64_t)req_int(ref, "order_no", 0), &o)))
					break;
				json_t *sh = order_shipment(&o, req_str(ref, "shipment"), &sidx);
				/* Cancelled or re-allocated since planning: the order is no longer
				 * ours. */
				if (!held_by(sh, req_str(doc, "id"))) {
					json_array_append_new(
					    skipped_orders,
					    json_pack("{s:O, s:O}", "tenant",
					              json_object_get(ref, "tenant"), "order",
					              json_object_get(ref, "order")));
					order_release(&o);
					skipped++;
					continue;
				}
				char tote[16];
				if ((rc = next_tote(c, tote))) {
					order_release(&o);
					break;
				}
				json_object_set_new(totes, req_str(ref, "shipment"),
				                    json_string(tote));
				json_object_set_new(ref, "tote", json_string(tote));
				json_array_append_new(
				    tlist, json_pack("{s:s, s:O, s:O, s:O}", "tote", tote, "tenant",
				                     json_object_get(ref, "tenant"), "order",
				                     json_object_get(ref, "order"), "shipment",
				                     json_object_get(ref, "shipment")));
				struct key tk = KEY_INIT;
				tote_key(&tk, tote);
				json_t *td =
				    json_pack("{s:s, s:O, s:O, s:O, s:O, s:s, s:s}", "tote", tote,
				              "tenant", json_object_get(ref, "tenant"), "order",
				              json_object_get(ref, "order"), "order_no",
				              json_object_get(ref, "order_no"), "shipment",
				              json_object_get(ref, "shipment"), "wave",
				              req_str(doc, "id"), "batch", req_str(b, "id"));
				rc = store_put_json(c->txn, STORE_TOTES, tk.b, tk.n, td, 0);
				json_decref(td);
				json_object_set_new(sh, "tote", json_string(tote));
				json_object_set_new(sh, "batch", json_string(req_str(b, "id")));
				if (rc == 0)
					rc = order_shipment_move(
					    c, &o, sidx, ORDER_WAVED,
					    json_pack("{s:s, s:s, s:s, s:s}", "wave",
					              req_str(doc, "id"), "batch", req_str(b, "id"),
					              "tote", tote, "warehouse", whid));
				order_release(&o);
				if (rc)
					break;
			}
			/* Tasks: the batch's stops in route order, for the orders still in it. */
			uint32_t seq = 0;
			size_t si;
			json_t *st;
			json_array_foreach(json_object_get(b, "stops"), si, st)
			{
				if (rc)
					break;
				const char *tote = json_string_value(
				    json_object_get(totes, req_str(st, "shipment")));
				if (tote == NULL)
					continue;
				char tid[64];
				seq++;
				snprintf(tid, sizeof(tid), "%s-T%u", req_str(b, "id"), seq);
				json_t *task = json_deep_copy(st);
				json_object_set_new(task, "id", json_string(tid));
				json_object_set_new(task, "seq", json_integer(seq));
				json_object_set_new(task, "wave", json_string(req_str(doc, "id")));
				json_object_set_new(task, "batch", json_string(req_str(b, "id")));
				json_object_set_new(task, "warehouse", json_string(whid));
				json_object_set_new(task, "tote", json_string(tote));
				json_object_set_new(task, "state", json_string("open"));
				json_object_set_new(task, "picked", json_integer(0));
				json_object_set_new(st, "task", json_string(tid));
				struct key k = KEY_INIT;
				wave_task_key(&k, no, (uint32_t)bi + 1, seq);
				rc = store_put_json(c->txn, STORE_TASKS, k.b, k.n, task, 0);
				json_decref(task);
			}
			ntasks += seq;
			json_object_set_new(b, "tasks", json_integer(seq));
			/* Open tasks per shipment, counted down as they finish (wave_task_done). */
			json_t *open = json_object();
			json_array_foreach(json_object_get(b, "stops"), si, st)
			{
				const char *sid = req_str(st, "shipment");
				if (sid == NULL || json_object_get(st, "task") == NULL)
					continue;
				json_object_set_new(open, sid,
				                    json_integer(req_int(open, sid, 0) + 1));
			}
			json_object_set_new(b, "open", open);
			/* The batch document now also carries the cart's progress. */
			json_object_set_new(b, "state", json_string(seq > 0 ? "queued" : "empty"));
			json_object_set_new(b, "totes", tlist);
			json_object_set_new(b, "done", json_integer(0));
			/* The cutoff it is queued under: finishing it must find its queue entry. */
			if (seq > 0)
				json_object_set(b, "cutoff", json_object_get(doc, "cutoff"));
			if (rc == 0)
				rc = batch_save(c, b);
			if (rc == 0 && seq > 0) {
				struct key q = KEY_INIT;
				bqueue_key(&q, whid, cutoff, no, (uint32_t)bi + 1);
				rc = store_put(c->txn, STORE_BATCH_QUEUE, q.b, q.n, "", 0, 0);
			}
			json_decref(totes);
			if (rc)
				break;
		}
	}
	json_decref(page);
	if (rc == 0) {
		json_object_set_new(doc, "state", json_string("released"));
		json_object_set_new(doc, "released_at", json_string(wms_time_format(c->now, at)));
		json_object_set_new(doc, "tasks", json_integer((json_int_t)ntasks));
		if (skipped)
			json_object_set(doc, "skipped", skipped_orders);
		rc = wave_save(c, no, doc);
	}
	if (rc == 0)
		rc = ev_emit(c, "wave.released", 0,
		             json_pack("{s:O, s:s, s:O, s:I, s:I}", "wave",
		                       json_object_get(doc, "id"), "warehouse", whid, "carts",
		                       json_object_get(doc, "carts"), "tasks", (json_int_t)ntasks,
		                       "skipped", (json_int_t)skipped));
	if (rc == 0)
		*reply = json_pack("{s:O, s:s, s:I, s:O, s:o}", "wave", json_object_get(doc, "id"),
		                   "state", "released", "tasks", (json_int_t)ntasks, "carts",
		                   json_object_get(doc, "carts"), "skipped", skipped_orders);
	else
		json_decref(skipped_orders);
	json_decref(doc);
	return rc;
}

int wave_cancel(struct cmd_ctx *c, json_t **reply)
{
	uint64_t no;
	json_t *doc;
	int rc = wave_load(c, req_str(c->req, "wave"), &no, &doc);
	if (rc)
		return rc;
	if (strcmp(req_str(doc, "state"), "cancelled") == 0) {
		/* Cancelling twice is the same request resent (as order.cancel): nothing more. */
		*reply = json_pack("{s:O, s:s, s:i, s:b}", "wave", json_object_get(doc, "id"),
		                   "state", "cancelled", "requeued", 0, "changed", 0);
		json_decref(doc);
		return *reply ? 0 : WMS_ENOMEM;
	}
	if (strcmp(req_str(doc, "state"), "planned") != 0) {
		rc = cmd_fail(c, WMS_ESTATE, "wave",
		              "wave '%s' is %s; only a planned wave can be cancelled (a released "
		              "wave's orders are on the floor)",
		              req_str(doc, "id"), req_str(doc, "state"));
		json_decref(doc);
		return rc;
	}
	/* The shipments go back to the queue, where they were. */
	size_t back = 0;
	json_t *page = NULL, *b, *s;
	bool more = true;
	uint32_t after = 0;
	while (rc == 0 && more) {
		json_decref(page);
		page = NULL;
		if ((rc = batches_load(c->txn, no, after, 256, false, &page, &more)))
			break;
		size_t pi, i;
		json_array_foreach(page, pi, b)
		{
			after = (uint32_t)req_int(b, "batch", 0);
			json_object_set_new(b, "state", json_string("cancelled"));
			if (rc == 0)
				rc = batch_save(c, b);
			json_array_foreach(json_object_get(b, "orders"), i, s)
			{
				struct order o = ORDER_INIT;
				size_t sidx;
				if (rc || (rc = order_load_no(
				               c->txn, (uint64_t)req_int(s, "order_no", 0), &o)))
					break;
				json_t *sh = order_shipment(&o, req_str(s, "shipment"), &sidx);
				if (held_by(sh, req_str(doc, "id"))) {
					json_object_del(sh, "wave");
					rc = order_save(c, &o);
					if (rc == 0)
						rc = alloc_queue_put(c, &o, sh, (unsigned)sidx);
					back++;
				}
				order_release(&o);
			}
		}
	}
	json_decref(page);
	char at[WMS_TIME_BUFSZ];
	json_object_set_new(doc, "state", json_string("cancelled"));
	json_object_set_new(doc, "cancelled_at", json_string(wms_time_format(c->now, at)));
	if (rc == 0)
		rc = wave_save(c, no, doc);
	if (rc == 0)
		rc = ev_emit(c, "wave.cancelled", 0,
		             json_pack("{s:O, s:O, s:I}", "wave", json_object_get(doc, "id"),
		                       "warehouse", json_object_get(doc, "warehouse"), "requeued",
		                       (json_int_t)back));
	if (rc == 0)
		*reply =
		    json_pack("{s:O, s:s, s:I, s:b}", "wave", json_object_get(doc, "id"), "state",
		              "cancelled", "requeued", (json_int_t)back, "changed", 1);
	json_decref(doc);
	return rc;
}

/* ---- pickers ---- */

int wave_task_load(struct cmd_ctx *c, const char *task, const char *field, json_t **out)
{
	uint64_t w;
	uint32_t b, t;
	struct key k = KEY_INIT;
	if (wave_task_id_parse(task, &w, &b, &t))
		return cmd_fail(c, WMS_EVALUE, field, "%s '%s' is not a task id (W<n>-B<n>-T<n>)",
		                field, task);
	wave_task_key(&k, w, b, t);
	int rc = store_get_json(c->txn, STORE_TASKS, k.b, k.n, out);
	if (rc == WMS_ENOTFOUND)
		return cmd_fail(c, WMS_ENOTFOUND, field, "%s '%s' is not known", field, task);
	return rc;
}

int wave_task_save(struct cmd_ctx *c, const json_t *task)
{
	uint64_t w;
	uint32_t b, t;
	struct key k = KEY_INIT;
	if (wave_task_id_parse(req_str(task, "id"), &w, &b, &t))
		return WMS_EINTERNAL;
	wave_task_key(&k, w, b, t);
	return store_put_json(c->txn, STORE_TASKS, k.b, k.n, task, 0);
}

/* A batch document's state ("" when it has none). */
static const char *batch_state(const json_t *bd)
{
	const char *s = req_str(bd, "state");
	return s ? s : "";
}

/*
 * Takes batch (W, B) out of its warehouse's pickers' queue (nothing when it is not queued).
 * The entry is keyed by the cutoff the batch was queued under: its own `cutoff`, recorded at
 * release, or for a batch released before batches recorded it, its wave's.
 */
static int batch_unqueue(struct cmd_ctx *c, const json_t *bd, uint64_t w, uint32_t b)
{
	const char *cut = req_str(bd, "cutoff");
	json_t *head = NULL;
	int64_t cutoff;
	int rc = 0;
	if (cut == NULL) {
		struct key hk = KEY_INIT;
		wave_key(&hk, w);
		if ((rc = store_get_json(c->txn, STORE_WAVES, hk.b, hk.n, &head)))
			return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
		cut = req_str(head, "cutoff");
	}
	if (cut == NULL || wms_time_parse(cut, &cutoff) != 0)
		rc = WMS_EINTERNAL;
	if (rc == 0) {
		struct key q = KEY_INIT;
		bqueue_key(&q, req_str(bd, "warehouse"), cutoff, w, b);
		rc = store_del(c->txn, STORE_BATCH_QUEUE, q.b, q.n);
		if (rc == WMS_ENOTFOUND)
			rc = 0;
	}
	json_decref(head);
	return rc;
}

/* Frees PICKER of warehouse WH when batch (W, B) is the one they hold. */
static int picker_release(struct cmd_ctx *c, const char *wh, const char *picker, uint64_t w,
                          uint32_t b)
{
	struct key pk = KEY_INIT;
	struct store_val v;
	picker_key(&pk, wh, picker);
	int rc = store_get(c->txn, STORE_PICKERS, pk.b, pk.n, &v);
	if (rc == WMS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (v.len != 16)
		return WMS_EINTERNAL;
	if (key_get_u64(v.data) != w || key_get_u64((const uint8_t *)v.data + 8) != b)
		return 0; /* the picker has moved on to another batch */
	rc = store_del(c->txn, STORE_PICKERS, pk.b, pk.n);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

/*
 * Batch BD (W, B) has no open task left: it is completed, leaves the pickers' queue (a batch
 * can be finished before any picker took it: its task ids are on wave.get) and frees its
 * picker, and batch.completed says so. The caller saves BD.
 */
static int batch_complete(struct cmd_ctx *c, json_t *bd, uint64_t w, uint32_t b)
{
	char at[WMS_TIME_BUFSZ];
	const char *picker = req_str(bd, "picker");
	json_object_set_new(bd, "state", json_string("completed"));
	json_object_set_new(bd, "completed_at", json_string(wms_time_format(c->now, at)));
	int rc = batch_unqueue(c, bd, w, b);
	if (rc == 0 && picker)
		rc = picker_release(c, req_str(bd, "warehouse"), picker, w, b);
	if (rc)
		return rc;
	json_t *f =
	    json_pack("{s:O, s:O, s:O}", "batch", json_object_get(bd, "id"), "wave",
	              json_object_get(bd, "wave"), "warehouse", json_object_get(bd, "warehouse"));
	if (f == NULL)
		return WMS_ENOMEM;
	if (picker)
		json_object_set_new(f, "picker", json_string(picker));
	return ev_emit(c, "batch.completed", 0, f);
}

int wave_task_done(struct cmd_ctx *c, const json_t *task, long long *shipment_open)
{
	uint64_t w;
	uint32_t b, t;
	if (shipment_open)
		*shipment_open = -1;
	if (wave_task_id_parse(req_str(task, "id"), &w, &b, &t))
		return WMS_EINTERNAL;
	json_t *bd;
	int rc = batch_load(c->txn, w, b, &bd);
	if (rc)
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	long long done = req_int(bd, "done", 0) + 1;
	json_object_set_new(bd, "done", json_integer(done));
	/* Where the walk to the next open task starts: past the finished tasks in route order
	 * (tasks finished out of order are skipped by the walk). */
	if ((long long)t == req_int(bd, "next_seq", 1))
		json_object_set_new(bd, "next_seq", json_integer((json_int_t)t + 1));
	/* Open tasks per shipment: the last task of a shipment makes it picked. */
	json_t *open = json_object_get(bd, "open");
	const char *sid = req_str(task, "shipment");
	if (json_is_object(open) && sid && json_is_integer(json_object_get(open, sid))) {
		long long left = json_integer_value(json_object_get(open, sid)) - 1;
		json_object_set_new(open, sid, json_integer(left > 0 ? left : 0));
		if (shipment_open)
			*shipment_open = left > 0 ? left : 0;
	}
	/* The task that finishes the batch completes it, once. */
	if (done >= req_int(bd, "tasks", 0) && strcmp(batch_state(bd), "completed") != 0)
		rc = batch_complete(c, bd, w, b);
	if (rc == 0)
		rc = batch_save(c, bd);
	json_decref(bd);
	return rc;
}

int wave_shipment_withdraw(struct cmd_ctx *c, const char *batch, const char *shipment,
                           const char *shorted, json_t *ids)
{
	uint64_t w;
	uint32_t b;
	if (parse_batch_id(batch, &w, &b))
		return WMS_EINTERNAL;
	struct key pre = KEY_INIT;
	wave_batch_key(&pre, w, b);
	struct store_cursor *cur;
	struct store_val k, v;
	json_t *todo = json_array();
	int rc = store_cursor_open(c->txn, STORE_TASKS, &cur);
	if (rc) {
		json_decref(todo);
		return rc;
	}
	/* Collect first: saving a task writes under the cursor. */
	for (rc = store_cursor_seek(cur, pre.b, pre.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &pre); rc = store_cursor_next(cur, &k, &v)) {
		json_t *t = jtext_load(v.data, v.len);
		if (t == NULL) {
			rc = WMS_EINTERNAL;
			break;
		}
		if (strcmp(req_str(t, "state"), "open") == 0 &&
		    strcmp(req_str(t, "shipment"), shipment) == 0)
			json_array_append_new(todo, t);
		else
			json_decref(t);
	}
	store_cursor_close(cur);
	rc = rc == WMS_ENOTFOUND ? 0 : rc;
	size_t i;
	json_t *t;
	char at[WMS_TIME_BUFSZ];
	wms_time_format(c->now, at);
	json_array_foreach(todo, i, t)
	{
		if (rc)
			break;
		bool me = shorted && strcmp(req_str(t, "id"), shorted) == 0;
		json_object_set_new(t, "state", json_string(me ? "short" : "withdrawn"));
		json_object_set_new(t, "done_at", json_string(at));
		if ((rc = wave_task_save(c, t)) == 0)
			rc = wave_task_done(c, t, NULL);
		if (rc == 0 && ids)
			json_array_append(ids, json_object_get(t, "id"));
	}
	json_decref(todo);
	return rc;
}

/* The first open task of a batch (NULL when none), and the next few after it. */
static int batch_next_task(struct store_txn *txn, uint64_t w, uint32_t b, uint32_t from,
                           json_t **task, json_t *upcoming, size_t nupcoming)
{
	struct key pre = KEY_INIT, start = KEY_INIT;
	wave_batch_key(&pre, w, b);
	wave_task_key(&start, w, b, from);
	struct store_cursor *cur;
	struct store_val k, v;
	*task = NULL;
	int rc = store_cursor_open(txn, STORE_TASKS, &cur);
	if (rc)
		return rc;
	for (rc = store_cursor_seek(cur, start.b, start.n, &k, &v);
	     rc == 0 && key_has_prefix(k.data, k.len, &pre); rc = store_cursor_next(cur, &k, &v)) {
		json_t *t = jtext_load(v.data, v.len);
		if (t == NULL) {
			rc = WMS_EINTERNAL;
			break;
		}
		if (strcmp(req_str(t, "state"), "open") != 0) {
			json_decref(t);
			continue;
		}
		if (*task == NULL) {
			*task = t;
			continue;
		}
		if (json_array_size(upcoming) >= nupcoming) {
			json_decref(t);
			break;
		}
		json_array_append_new(upcoming, t);
	}
	store_cursor_close(cur);
	return rc == WMS_ENOTFOUND || rc == 0 ? 0 : rc;
}

/* What the picker's scanner shows for TASK. */
static json_t *task_view(const json_t *task)
{
	char text[320];
	long long left = req_int(task, "qty", 0) - req_int(task, "picked", 0);
	snprintf(text, sizeof(text), "Go to LOC-%s, pick %lld x %s%s%s into %s",
	         req_str(task, "location"), left, req_str(task, "sku"),
	         req_str(task, "lot") ? " lot " : "",
	         req_str(task, "lot") ? req_str(task, "lot") : "", req_str(task, "tote"));
	json_t *v = json_deep_copy(task);
	json_object_set_new(v, "instruction", json_string(text));
	return v;
}

/*
 * The work left in batch BD (W, B): its first open task (*TASK, NULL when none) and up to 5
 * after it appended to UPCOMING. Only a queued or picking batch has work; one of those whose
 * tasks are all finished is completed here (and saved), so that no picker is ever handed a
 * batch without work.
 */
static int batch_work(struct cmd_ctx *c, json_t *bd, uint64_t w, uint32_t b, json_t **task,
                      json_t *upcoming)
{
	const char *st = batch_state(bd);
	*task = NULL;
	if (strcmp(st, "queued") != 0 && strcmp(st, "picking") != 0)
		return 0;
	/* Tasks before next_seq are finished: the walk starts there, not at the first task. */
	uint32_t from = (uint32_t)req_int(bd, "next_seq", 1);
	int rc = batch_next_task(c->txn, w, b, from, task, upcoming, 5);
	if (rc == 0 && *task == NULL && (rc = batch_complete(c, bd, w, b)) == 0)
		rc = batch_save(c, bd);
	return rc;
}

/*
 * Takes the next entry of warehouse WH's pickers' queue (earliest cutoff, then wave, batch):
 * *FOUND false when the queue is empty.
 */
static int batch_queue_pop(struct cmd_ctx *c, const char *wh, uint64_t *w, uint32_t *b, bool *found)
{
	struct key pre = KEY_INIT;
	struct store_cursor *cur;
	struct store_val k;
	key_str(&pre, wh);
	*found = false;
	int rc = store_cursor_open(c->txn, STORE_BATCH_QUEUE, &cur);
	if (rc)
		return rc;
	rc = store_cursor_seek(cur, pre.b, pre.n, &k, NULL);
	if (rc == 0 && key_has_prefix(k.data, k.len, &pre)) {
		const uint8_t *p = (const uint8_t *)k.data + pre.n;
		*w = key_get_u64(p + 8);
		*b = (uint32_t)key_get_u64(p + 16);
		rc = store_cursor_del(cur);
		*found = rc == 0;
	}
	store_cursor_close(cur);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

/* Hands batch BD (W, B) to PICKER: the picker holds it, it is picking, batch.assigned. */
static int batch_assign(struct cmd_ctx *c, json_t *bd, uint64_t w, uint32_t b, const char *whid,
                        const char *picker)
{
	struct key pk = KEY_INIT, val = KEY_INIT;
	char at[WMS_TIME_BUFSZ];
	picker_key(&pk, whid, picker);
	wave_batch_key(&val, w, b);
	int rc = store_put(c->txn, STORE_PICKERS, pk.b, pk.n, val.b, val.n, 0);
	if (rc)
		return rc;
	json_object_set_new(bd, "state", json_string("picking"));
	json_object_set_new(bd, "picker", json_string(picker));
	json_object_set_new(bd, "assigned_at", json_string(wms_time_format(c->now, at)));
	if ((rc = batch_save(c, bd)))
		return rc;
	return ev_emit(c, "batch.assigned", 0,
	               json_pack("{s:O, s:O, s:s, s:s}", "batch", json_object_get(bd, "id"), "wave",
	                         json_object_get(bd, "wave"), "warehouse", whid, "picker", picker));
}

/*
 * The batch PICKER works on in warehouse WHID and its work: the one they hold while it has
 * work, else the next queued batch that has some (*BD NULL when none is waiting). Queue
 * entries of batches without work (finished before a picker took them) are dropped on the way:
 * each pass takes one entry off the queue, so the loop ends.
 */
static int picker_batch(struct cmd_ctx *c, const char *whid, const char *picker, json_t **bd,
                        json_t **task, json_t *upcoming)
{
	struct key pk = KEY_INIT;
	struct store_val v;
	uint64_t w;
	uint32_t b;
	*bd = NULL;
	*task = NULL;
	picker_key(&pk, whid, picker);
	int rc = store_get(c->txn, STORE_PICKERS, pk.b, pk.n, &v);
	if (rc == 0) {
		if (v.len != 16)
			return WMS_EINTERNAL;
		w = key_get_u64(v.data);
		b = (uint32_t)key_get_u64((const uint8_t *)v.data + 8);
		if ((rc = batch_load(c->txn, w, b, bd)))
			return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
		if ((rc = batch_work(c, *bd, w, b, task, upcoming)) == 0 && *task == NULL) {
			/* Finished: the picker is free for the next one. */
			json_decref(*bd);
			*bd = NULL;
			rc = store_del(c->txn, STORE_PICKERS, pk.b, pk.n);
			rc = rc == WMS_ENOTFOUND ? 0 : rc;
		}
	} else if (rc == WMS_ENOTFOUND) {
		rc = 0;
	}
	while (rc == 0 && *bd == NULL) {
		bool found;
		if ((rc = batch_queue_pop(c, whid, &w, &b, &found)) || !found)
			break;
		rc = batch_load(c->txn, w, b, bd);
		if (rc == WMS_ENOTFOUND) { /* an entry without its batch: drop it */
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = batch_work(c, *bd, w, b, task, upcoming);
		if (rc == 0 && *task != NULL)
			rc = batch_assign(c, *bd, w, b, whid, picker);
		else if (rc == 0) {
			json_decref(*bd);
			*bd = NULL;
		}
	}
	if (rc) {
		json_decref(*bd);
		json_decref(*task);
		*bd = NULL;
		*task = NULL;
	}
	return rc;
}

int task_next(struct cmd_ctx *c, json_t **reply)
{
	const char *whid = req_str(c->req, "warehouse"), *picker = req_str(c->req, "picker");
	json_t *wh;
	int rc = master_warehouse_read(c, whid, "warehouse", &wh);
	if (rc)
		return rc;
	json_decref(wh);
	json_t *bd, *task, *upcoming = json_array();
	if ((rc = picker_batch(c, whid, picker, &bd, &task, upcoming))) {
		json_decref(upcoming);
		return rc;
	}
	if (bd == NULL) {
		json_decref(upcoming);
		*reply = json_pack("{s:n, s:n, s:s}", "batch", "task", "message",
		                   "no released work waiting in this warehouse");
		return 0;
	}
	json_t *up = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(upcoming, i, t) json_array_append_new(
	    up, json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(t, "id"), "location",
	                  json_object_get(t, "location"), "sku", json_object_get(t, "sku"), "qty",
	                  json_object_get(t, "qty")));
	json_decref(upcoming);
	if ((rc = batch_attach_stops(c->txn, bd))) {
		json_decref(up);
		json_decref(bd);
		json_decref(task);
		return rc;
	}
	*reply = json_pack("{s:o, s:o, s:o}", "batch", bd, "task", task_view(task), "upcoming", up);
	json_decref(task);
	return 0;
}
