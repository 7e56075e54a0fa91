/* alloc.c - allocation of orders to warehouses and stock (see alloc.h). */
#include "jtext.h"
#include "alloc.h"

#include "carrier.h"
#include "events.h"
#include "keys.h"
#include "master.h"
#include "store.h"
#include "watch.h"
#include "wms/schema.h"
#include "wms/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits are searched exactly over subsets of at most this many candidate warehouses. */
#define SPLIT_EXACT_MAX 16

/* A stock row of one sku that the order may use. */
struct row {
	int wh; /* index into the plan's warehouses */
	char location[32];
	char lot[WMS_ID_MAX + 1];
	char expiry[11]; /* "" when none */
	long long avail; /* what is left for this order */
};

/* One distinct sku of the order with its total demand. */
struct need {
	const char *sku;
	long long qty;
	struct row *rows;
	size_t nrows;
};

/* A warehouse as a candidate for this order. */
struct cand {
	const json_t *doc;
	const char *id;
	bool has_option;
	const char *carrier;
	int64_t cutoff, delivery_by;
	double cost, km, score;
	bool on_time;
	long long *avail; /* per need */
	bool in_full;
};

struct plan {
	const json_t *order; /* as submitted */
	int64_t promised_by;
	struct need *needs;
	size_t nneeds;
	struct cand *cands;
	size_t ncands;
	json_t *warehouses; /* owns the list the candidates point into */
};

double alloc_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0088, d = M_PI / 180.0;
	double dlat = (lat2 - lat1) * d, dlon = (lon2 - lon1) * d;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * d) * cos(lat2 * d) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

/* The best carrier option of warehouse WH for the order: on time first, then cost. */
static void choose_option(struct cmd_ctx *c, struct plan *p, struct cand *w)
{
	int64_t ready =
	    c->now + req_int(w->doc, "handling_minutes", ALLOC_HANDLING_MINUTES) * 60000;
	struct carrier_option o;
	/* A zone gone from the system, or no option for the service: this warehouse cannot ship. */
	if (carrier_best(w->doc, req_str(p->order, "service"), req_str(p->order, "carrier"), ready,
	                 p->promised_by, &o) != 0)
		return;
	w->has_option = true;
	w->carrier = o.carrier;
	w->cutoff = o.cutoff;
	w->delivery_by = o.delivery_by;
	w->on_time = o.on_time;
	w->cost = o.cost;
}

static bool row_usable(const char *expiry, int64_t promised_by)
{
	if (expiry == NULL || expiry[0] == '\0')
		return true;
	int y;
	unsigned m, d;
	if (sscanf(expiry, "%4d-%2u-%2u", &y, &m, &d) != 3)
		return false;
	/* A lot is good until the end of its expiry date (UTC). */
	int64_t good_until = (wms_days_from_civil(y, m, d) + 1) * WMS_MS_PER_DAY;
	return good_until > promised_by;
}

static int cand_index(const struct plan *p, const char *wh)
{
	for (size_t i = 0; i < p->ncands; i++)
		if (strcmp(p->cands[i].id, wh) == 0)
			return (int)i;
	return -1;
}

/* Loads the usable stock rows of every needed sku, by warehouse. */
static int load_rows(struct cmd_ctx *c, struct plan *p)
{
	const char *tenant = req_str(p->order, "tenant");
	for (size_t n = 0; n < p->nneeds; n++) {
		struct need *nd = &p->needs[n];
		struct store_cursor *cur;
		struct store_val k, v;
		struct key prefix = KEY_INIT;
		size_t cap = 0;
		key_str(&prefix, tenant);
		key_str(&prefix, nd->sku);
		int rc = store_cursor_open(c->txn, STORE_STOCK, &cur);
		if (rc)
			return rc;
		for (rc = store_cursor_seek(cur, prefix.b, prefix.n, &k, &v);
		     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
		     rc = store_cursor_next(cur, &k, &v)) {
			/* key: tenant \0 sku \0 warehouse \0 location \0 lot \0 */
			const char *wh = (const char *)k.data + prefix.n;
			const char *loc = wh + strlen(wh) + 1;
			const char *lot = loc + strlen(loc) + 1;
			int wi = cand_index(p, wh);
			if (wi < 0)
				continue;
			json_t *row = jtext_load(v.data, v.len);
			long long avail = req_int(row, "on_hand", 0) - req_int(row, "reserved", 0);
			const char *exp = req_str(row, "expiry");
			/* A bin found short holds what nobody can vouch for until it is counted
			 * (master.h): allocating from it would send the next picker to the same
			 * empty shelf. */
			bool counted = json_object_get(row, "count_required") == NULL;
			if (avail > 0 && counted && row_usable(exp, p->promised_by)) {
				if (nd->nrows == cap) {
					cap = cap ? cap * 2 : 8;
					nd->rows = realloc(nd->rows, cap * sizeof(*nd->rows));
				}
				struct row *r = &nd->rows[nd->nrows++];
				r->wh = wi;
				snprintf(r->location, sizeof(r->location), "%s", loc);
				snprintf(r->lot, sizeof(r->lot), "%s", lot);
				snprintf(r->expiry, sizeof(r->expiry), "%s", exp ? exp : "");
				r->avail = avail;
				p->cands[wi].avail[n] += avail;
			}
			json_decref(row);
		}
		store_cursor_close(cur);
		if (rc != WMS_ENOTFOUND && rc != 0)
			return rc;
	}
	return 0;
}

static void plan_free(struct plan *p)
{
	for (size_t n = 0; n < p->nneeds; n++)
		free(p->needs[n].rows);
	for (size_t i = 0; i < p->ncands; i++)
		free(p->cands[i].avail);
	free(p->needs);
	free(p->cands);
	json_decref(p->warehouses);
}

static int plan_build(struct cmd_ctx *c, const json_t *order, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->order = order;
	if (wms_time_parse(req_str(order, "promised_by"), &p->promised_by))
		return WMS_ETIME;
	const json_t *lines = json_object_get(order, "lines");
	p->needs = calloc(json_array_size(lines), sizeof(*p->needs));
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line)
	{
		const char *sku = req_str(line, "sku");
		size_t n;
		for (n = 0; n < p->nneeds && strcmp(p->needs[n].sku, sku) != 0; n++)
			;
		if (n == p->nneeds)
			p->needs[p->nneeds++].sku = sku;
		p->needs[n].qty += req_int(line, "qty", 0);
	}
	int rc = master_warehouses(c, &p->warehouses);
	if (rc)
		return rc;
	p->cands = calloc(json_array_size(p->warehouses) + 1, sizeof(*p->cands));
	const json_t *st = json_object_get(order, "ship_to");
	bool geo = json_object_get(st, "lat") != NULL;
	json_t *wh;
	json_array_foreach(p->warehouses, i, wh)
	{
		struct cand *w = &p->cands[p->ncands];
		w->doc = wh;
		w->id = req_str(wh, "id");
		choose_option(c, p, w);
		if (!w->has_option)
			continue; /* does not offer the service: not a candidate */
		const json_t *loc = json_object_get(wh, "location");
		w->km = geo ? alloc_distance_km(req_num(loc, "lat", 0), req_num(loc, "lon", 0),
		                                req_num(st, "lat", 0), req_num(st, "lon", 0))
		            : 0;
		w->score = w->cost + w->km * ALLOC_KM_COST;
		w->avail = calloc(p->nneeds ? p->nneeds : 1, sizeof(long long));
		p->ncands++;
	}
	if ((rc = load_rows(c, p)))
		return rc;
	for (size_t k = 0; k < p->ncands; k++) {
		p->cands[k].in_full = true;
		for (size_t n = 0; n < p->nneeds; n++)
			if (p->cands[k].avail[n] < p->needs[n].qty)
				p->cands[k].in_full = false;
	}
	return 0;
}

/* Preference between two candidates: on time, then score, then id. */
static int cand_cmp(const struct cand *a, const struct cand *b)
{
	if (a->on_time != b->on_time)
		return a->on_time ? -1 : 1;
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* The best single in-full warehouse, or -1. */
static int best_single(const struct plan *p)
{
	int best = -1;
	for (size_t k = 0; k < p->ncands; k++)
		if (p->cands[k].in_full &&
		    (best < 0 || cand_cmp(&p->cands[k], &p->cands[best]) < 0))
			best = (int)k;
	return best;
}

static bool covers(const struct plan *p, const int *set, size_t n)
{
	for (size_t i = 0; i < p->nneeds; i++) {
		long long sum = 0;
		for (size_t k = 0; k < n; k++)
			sum += p->cands[set[k]].avail[i];
		if (sum < p->needs[i].qty)
			return false;
	}
	return true;
}

/* Ranks a covering set: fewer late shipments, then lower total score. */
static void set_rank(const struct plan *p, const int *set, size_t n, int *late, double *score)
{
	*late = 0;
	*score = 0;
	for (size_t k = 0; k < n; k++) {
		*late += !p->cands[set[k]].on_time;
		*score += p->cands[set[k]].score;
	}
}

/* The smallest set of warehouses whose stock covers the order; sorted by preference. */
static size_t best_split(const struct plan *p, int *out)
{
	size_t n = p->ncands < SPLIT_EXACT_MAX ? p->ncands : SPLIT_EXACT_MAX;
	int order[SPLIT_EXACT_MAX];
	/* Consider candidates in preference order so that ties keep the preferred ones. */
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i;
		     j > 0 && cand_cmp(&p->cands[order[j]], &p->cands[order[j - 1]]) < 0; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t size = 2; size <= n; size++) {
		bool found = false;
		int best_late = 0;
		double best_score = 0;
		for (unsigned mask = 0; mask < (1u << n); mask++) {
			if ((size_t)__builtin_popcount(mask) != size)
				continue;
			int set[SPLIT_EXACT_MAX];
			size_t m = 0;
			for (size_t i = 0; i < n; i++)
				if (mask & (1u << i))
					set[m++] = order[i];
			if (!covers(p, set, m))
				continue;
			int late;
			double score;
			set_rank(p, set, m, &late, &score);
			if (!found || late < best_late ||
			    (late == best_late && score < best_score)) {
				found = true;
				best_late = late;
				best_score = score;
				memcpy(out, set, m * sizeof(int));
			}
		}
		if (found)
			return size;
	}
	return 0;
}

/* Rows for FEFO: earliest expiry first (none last), then a row that holds it all, then the
 * location code. The quantity wanted is a file-level variable because qsort takes no context;
 * the writer is the only thread that allocates. */
static long long sort_qty;
static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	if (a->expiry[0] != b->expiry[0] && (!a->expiry[0] || !b->expiry[0]))
		return a->expiry[0] ? -1 : 1;
	int e = strcmp(a->expiry, b->expiry);
	if (e)
		return e;
	bool fa = a->avail >= sort_qty, fb = b->avail >= sort_qty;
	if (fa != fb)
		return fa ? -1 : 1;
	int l = strcmp(a->location, b->location);
	return l ? l : strcmp(a->lot, b->lot);
}

/* Reserves QTY of need N in warehouse WH, appending picks to PICKS. */
static int reserve(struct cmd_ctx *c, struct plan *p, size_t n, int wh, long long qty,
                   json_t *picks)
{
	struct need *nd = &p->needs[n];
	const char *tenant = req_str(p->order, "tenant");
	sort_qty = qty;
	qsort(nd->rows, nd->nrows, sizeof(*nd->rows), row_cmp);
	for (size_t r = 0; r < nd->nrows && qty > 0; r++) {
		struct row *row = &nd->rows[r];
		if (row->wh != wh || row->avail <= 0)
			continue;
		long long take = row->avail < qty ? row->avail : qty;
		struct key k = KEY_INIT;
		master_stock_key(&k, tenant, nd->sku, p->cands[wh].id, row->location, row->lot);
		int rc = master_stock_change(c, &k, 0, take, NULL);
		if (rc)
			return rc;
		json_t *pick =
		    json_pack("{s:s, s:I}", "location", row->location, "qty", (json_int_t)take);
		if (row->lot[0])
			json_object_set_new(pick, "lot", json_string(row->lot));
		if (row->expiry[0])
			json_object_set_new(pick, "expiry", json_string(row->expiry));
		json_array_append_new(picks, pick);
		row->avail -= take;
		p->cands[wh].avail[n] -= take;
		qty -= take;
	}
	return qty == 0 ? 0 : WMS_EINTERNAL; /* availability was counted from these rows */
}

/* ---- shipments ---- */

/* K of a shipment id "S<order no>-<k>", or 0 when ID is not one. */
static unsigned long ship_k(const char *id)
{
	const char *dash = id ? strrchr(id, '-') : NULL;
	if (dash == NULL || dash[1] < '0' || dash[1] > '9')
		return 0;
	char *end;
	unsigned long k = strtoul(dash + 1, &end, 10);
	return *end == '\0' ? k : 0;
}

/* The next free shipment number of O: after every shipment it has had, replaced ones
 * included, so that an id never names two shipments (tasks and totes name shipments). */
static size_t next_ship_k(const struct order *o)
{
	static const char *const lists[] = { "shipments", "replaced" };
	const json_t *a = json_object_get(o->doc, "allocation");
	unsigned long max = 0;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		size_t j;
		json_t *s;
		json_array_foreach(json_object_get(a, lists[i]), j, s)
		{
			unsigned long k = ship_k(req_str(s, "id"));
			if (k > max)
				max = k;
		}
	}
	return (size_t)max + 1;
}

/* Whether S is a part of the order waiting for stock (alloc.h), not a shipment. */
static bool is_waiting(const json_t *s)
{
	const char *st = req_str(s, "state");
	return st != NULL && strcmp(st, "backordered") == 0;
}

static bool any_waiting(const struct order *o)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		if (is_waiting(s))
			return true;
	}
	return false;
}

/* Whether LINES ([{sku, ...}]) ask for SKU. */
static bool lines_want(const json_t *lines, const char *sku)
{
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
	{
		if (strcmp(req_str(l, "sku"), sku) == 0)
			return true;
	}
	return false;
}

static bool has_inserts(const struct order *o)
{
	const json_t *sub = order_submitted(o);
	return json_array_size(json_object_get(sub, "inserts")) > 0 ||
	       req_str(sub, "gift_message") != NULL;
}

static json_t *shipment_json(const struct plan *p, const struct cand *w, uint64_t no, size_t k)
{
	char id[48], cut[WMS_TIME_BUFSZ], by[WMS_TIME_BUFSZ];
	snprintf(id, sizeof(id), "S%llu-%zu", (unsigned long long)no, k);
	json_t *s = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:[]}", "id", id, "warehouse", w->id,
	    "carrier", w->carrier, "service", req_str(p->order, "service"), "cutoff",
	    wms_time_format(w->cutoff, cut), "delivery_by", wms_time_format(w->delivery_by, by),
	    "on_time", w->on_time, "cost", w->cost, "distance_km", round(w->km * 10) / 10, "lines");
	/* The promise watch re-plans from these: the current estimate, and how long the
	 * warehouse needs from allocation to a parcel at the dock. */
	json_object_set_new(s, "estimate", json_string(by));
	json_object_set_new(s, "state", json_string("allocated"));
	json_object_set_new(
	    s, "handling_minutes",
	    json_integer(req_int(w->doc, "handling_minutes", ALLOC_HANDLING_MINUTES)));
	return s;
}

/*
 * Fills shipment S (warehouse W) with what each line takes from W, walking lines in order and
 * taking from the need's remaining share TAKE[n] for this warehouse. A line's number is its
 * place in the order ("_line" on the lines of a part, allocate_part).
 */
static int fill_shipment(struct cmd_ctx *c, struct plan *p, int w, long long *take, json_t *s)
{
	const json_t *lines = json_object_get(p->order, "lines");
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line)
	{
		const char *sku = req_str(line, "sku");
		size_t n;
		for (n = 0; strcmp(p->needs[n].sku, sku) != 0; n++)
			;
		/* This line's part here: what is left of it after earlier warehouses. */
		long long want = req_int(line, "qty", 0);
		json_t *done = json_object_get(line, "_allocated");
		long long already = done ? json_integer_value(done) : 0;
		long long q = want - already < take[n] ? want - already : take[n];
		if (q <= 0)
			continue;
		json_t *picks = json_array();
		int rc = reserve(c, p, n, w, q, picks);
		if (rc) {
			json_decref(picks);
			return rc;
		}
		json_t *l = json_pack("{s:I, s:s, s:I, s:o}", "line",
		                      (json_int_t)req_int(line, "_line", (long long)i + 1), "sku",
		                      sku, "qty", (json_int_t)q, "picks", picks);
		if (json_object_get(line, "line"))
			json_object_set(l, "ref", json_object_get(line, "line"));
		json_array_append_new(json_object_get(s, "lines"), l);
		json_object_set_new((json_t *)line, "_allocated", json_integer(already + q));
		take[n] -= q;
	}
	return 0;
}

static json_t *missing_json(const struct plan *p)
{
	json_t *m = json_array();
	for (size_t n = 0; n < p->nneeds; n++) {
		long long total = 0;
		for (size_t k = 0; k < p->ncands; k++)
			total += p->cands[k].avail[n];
		if (total < p->needs[n].qty)
			json_array_append_new(m,
			                      json_pack("{s:s, s:I, s:I}", "sku", p->needs[n].sku,
			                                "need", (json_int_t)p->needs[n].qty,
			                                "available", (json_int_t)total));
	}
	return m;
}

/* ---- the wave queue and the backorder index ---- */

void alloc_queue_key(struct key *k, const char *warehouse, int64_t cutoff, int priority,
                     uint64_t order_no, unsigned shipment_index)
{
	key_str(k, warehouse);
	key_u64(k, (uint64_t)cutoff);
	k->b[k->n++] = (uint8_t)(9 - priority); /* most urgent first within a cutoff */
	key_u64(k, order_no);
	k->b[k->n++] = (uint8_t)shipment_index;
}

static int queue_key_of(const struct order *o, const json_t *s, unsigned idx, struct key *k)
{
	int64_t cutoff;
	if (wms_time_parse(req_str(s, "cutoff"), &cutoff))
		return WMS_EINTERNAL;
	alloc_queue_key(k, req_str(s, "warehouse"), cutoff,
	                (int)req_int(order_submitted(o), "priority", 0), o->no, idx);
	return 0;
}

int alloc_queue_put(struct cmd_ctx *c, const struct order *o, const json_t *shipment,
                    unsigned shipment_index)
{
	struct key k = KEY_INIT;
	int rc = queue_key_of(o, shipment, shipment_index, &k);
	const char *id = req_str(shipment, "id");
	return rc ? rc : store_put(c->txn, STORE_WAVE_QUEUE, k.b, k.n, id, strlen(id), 0);
}

int alloc_queue_del(struct cmd_ctx *c, const struct order *o, const json_t *shipment,
                    unsigned shipment_index)
{
	struct key k = KEY_INIT;
	int rc = queue_key_of(o, shipment, shipment_index, &k);
	if (rc == 0)
		rc = store_del(c->txn, STORE_WAVE_QUEUE, k.b, k.n);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

static int backorder_key_of(const struct order *o, struct key *k)
{
	int64_t by;
	if (wms_time_parse(req_str(order_submitted(o), "promised_by"), &by))
		return WMS_EINTERNAL;
	key_str(k, order_tenant(o));
	key_u64(k, (uint64_t)by);
	key_u64(k, o->no);
	return 0;
}

static int backorder_put(struct cmd_ctx *c, const struct order *o)
{
	struct key k = KEY_INIT;
	int rc = backorder_key_of(o, &k);
	return rc ? rc : store_put(c->txn, STORE_BACKORDERS, k.b, k.n, "", 0, 0);
}

static int backorder_del(struct cmd_ctx *c, const struct order *o)
{
	struct key k = KEY_INIT;
	if (backorder_key_of(o, &k))
		return 0; /* never indexed */
	int rc = store_del(c->txn, STORE_BACKORDERS, k.b, k.n);
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

/* ---- deciding ---- */

static bool split_allowed(struct cmd_ctx *c, const struct order *o)
{
	json_t *v = json_object_get(order_submitted(o), "allow_split");
	if (json_is_boolean(v))
		return json_is_true(v);
	json_t *t = NULL;
	bool allow = true;
	if (master_tenant_load(c, order_tenant(o), "tenant", &t) == 0)
		allow = req_bool(t, "allow_split", 1);
	json_decref(t);
	return allow;
}

/* What allocation decided for the lines of a plan. */
struct decision {
	const char *kind; /* "single", "split" or "backorder" */
	char reason[512];
	int set[SPLIT_EXACT_MAX]; /* the warehouses (candidate indexes), in preference order */
	size_t nset;
	json_t *missing; /* owned; for a backorder, the skus short (NULL: none counted) */
};

/* Rules 1-5 of alloc.h for the lines of plan P (those of ORDER, O's or a part of it). */
static void decide(struct cmd_ctx *c, const struct order *o, const json_t *order,
                   const struct plan *p, struct decision *d)
{
	d->nset = 0;
	d->missing = NULL;
	int single = best_single(p);
	if (single >= 0) {
		d->set[0] = single;
		d->nset = 1;
		d->kind = "single";
		const struct cand *w = &p->cands[single];
		size_t in_full = 0;
		for (size_t k = 0; k < p->ncands; k++)
			in_full += p->cands[k].in_full;
		char cut[WMS_TIME_BUFSZ];
		wms_time_format(w->cutoff, cut);
		snprintf(
		    d->reason, sizeof(d->reason),
		    "%s ships in full (%zu of %zu warehouses could); %s with %s %s, cutoff %s%s",
		    w->id, in_full, p->ncands,
		    w->on_time ? "meets the promise" : "cannot meet the promise", w->carrier,
		    req_str(order, "service"), cut, in_full > 1 ? "; lowest cost of those" : "");
	} else if (p->ncands > 0 && split_allowed(c, o) && (d->nset = best_split(p, d->set)) > 0) {
		d->kind = "split";
		snprintf(d->reason, sizeof(d->reason),
		         "no warehouse holds the whole %s; split over %zu warehouses, the fewest "
		         "that cover it",
		         json_object_get(order, "_part") ? "part" : "order", d->nset);
	} else {
		d->kind = "backorder";
		if (p->ncands == 0)
			snprintf(d->reason, sizeof(d->reason),
			         "no warehouse offers service '%s'%s%s", req_str(order, "service"),
			         req_str(order, "carrier") ? " with carrier " : "",
			         req_str(order, "carrier") ? req_str(order, "carrier") : "");
		else if (json_array_size(d->missing = missing_json(p)) == 0)
			snprintf(d->reason, sizeof(d->reason),
			         "no single warehouse holds the whole %s and splitting is not "
			         "allowed for this order",
			         json_object_get(order, "_part") ? "part" : "order");
		else
			snprintf(d->reason, sizeof(d->reason),
			         "not enough stock in the network for %zu sku(s)",
			         json_array_size(d->missing));
	}
}

/*
 * Reserves decision D of plan P: a shipment per warehouse of the set that ends up with
 * something to ship, numbered from K, appended to SHIPS; whether all are on time and the
 * latest delivery in *ON_TIME and *LATEST.
 */
static int reserve_set(struct cmd_ctx *c, struct plan *p, const struct decision *d, uint64_t no,
                       size_t k, json_t *ships, bool *on_time, int64_t *latest)
{
	/* Each warehouse's share of each need: in set order, as much as it holds. */
	long long *take = calloc(p->nneeds * d->nset + 1, sizeof(long long));
	if (take == NULL)
		return WMS_ENOMEM;
	for (size_t n = 0; n < p->nneeds; n++) {
		long long left = p->needs[n].qty;
		for (size_t i = 0; i < d->nset; i++) {
			long long a = p->cands[d->set[i]].avail[n];
			take[i * p->nneeds + n] = a < left ? a : left;
			left -= take[i * p->nneeds + n];
		}
	}
	*on_time = true;
	*latest = 0;
	int rc = 0;
	for (size_t i = 0; i < d->nset && rc == 0; i++) {
		const struct cand *w = &p->cands[d->set[i]];
		json_t *s = shipment_json(p, w, no, k);
		rc = fill_shipment(c, p, d->set[i], take + i * p->nneeds, s);
		if (rc || json_array_size(json_object_get(s, "lines")) == 0) {
			json_decref(s); /* a set member that ended up with nothing to ship */
			continue;
		}
		*on_time &= w->on_time;
		if (w->delivery_by > *latest)
			*latest = w->delivery_by;
		json_array_append_new(ships, s);
		k++;
	}
	free(take);
	return rc;
}

/* A shipment as replies and events show it: where it ships from, when, and what (no
 * locations: those are the floor's business); a waiting part says so. */
static json_t *ship_brief(const json_t *s)
{
	static const char *const keys[] = { "id",     "warehouse",   "carrier",
		                            "cutoff", "delivery_by", "on_time" };
	json_t *b = json_object(), *lines = json_array();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(s, keys[i]);
		if (v)
			json_object_set(b, keys[i], v);
	}
	if (is_waiting(s))
		json_object_set_new(b, "state", json_string("backordered"));
	size_t j;
	json_t *l;
	json_array_foreach(json_object_get(s, "lines"), j, l)
	    json_array_append_new(lines, json_pack("{s:O, s:O}", "sku", json_object_get(l, "sku"),
	                                           "qty", json_object_get(l, "qty")));
	json_object_set_new(b, "lines", lines);
	return b;
}

/* order.allocated's fields for the shipments FRESH that decision D made. */
static json_t *allocated_fields(const struct decision *d, const json_t *fresh, bool on_time,
                                int64_t latest)
{
	char by[WMS_TIME_BUFSZ];
	json_t *summary = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(fresh, i, s) json_array_append_new(summary, ship_brief(s));
	json_t *ev = json_pack("{s:s, s:s, s:b, s:s, s:o}", "decision", d->kind, "reason",
	                       d->reason, "on_time", on_time, "delivery_by",
	                       wms_time_format(latest, by), "shipments", summary);
	if (d->nset == 1)
		json_object_set(ev, "warehouse",
		                json_object_get(json_array_get(fresh, 0), "warehouse"));
	return ev;
}

/* Announces an allocation: order.allocated (through MOVE: the state change, or an event of
 * an order whose state stays), then order.split for a split. EV stolen. */
static int announce(struct cmd_ctx *c, struct order *o, const struct decision *d, json_t *ev,
                    int (*move)(struct cmd_ctx *, struct order *, const char *, json_t *))
{
	json_t *split = d->nset > 1 ? json_pack("{s:s, s:O}", "reason", d->reason, "shipments",
	                                        json_object_get(ev, "shipments"))
	                            : NULL;
	int rc = move(c, o, "order.allocated", ev);
	if (rc == 0 && split)
		return order_emit(c, o, "order.split", split);
	json_decref(split);
	return rc;
}

/*
 * A shipment already late when it is planned (no carrier option of its warehouse delivers by
 * the promise) is a delay the customer should hear of at confirmation, not at the first
 * deadline the promise watch meets: order.at_risk {reason "late_at_allocation", estimate}
 * for the latest of the late shipments of FRESH (watch_risk: once per estimate). The order
 * was saved by the allocation's state change; the risk it records is saved here, unless the
 * caller writes the document itself (a new order).
 */
static int announce_late(struct cmd_ctx *c, struct order *o, const json_t *fresh)
{
	const json_t *late = NULL;
	int64_t latest = -1, by;
	size_t i;
	json_t *s;
	json_array_foreach(fresh, i, s)
	{
		const char *d = req_str(s, "delivery_by");
		if (json_is_true(json_object_get(s, "on_time")) || d == NULL ||
		    wms_time_parse(d, &by) != 0 || by <= latest)
			continue;
		late = s;
		latest = by;
	}
	if (late == NULL)
		return 0;
	int rc = watch_risk(c, o, req_str(late, "id"), "late_at_allocation", latest);
	if (rc == 0 && !o->defer_save)
		rc = order_save(c, o);
	return rc;
}

/* The whole order's allocation changes its state: allocated (or backordered) it becomes. */
static int move_whole(struct cmd_ctx *c, struct order *o, const char *type, json_t *ev)
{
	return order_move(
	    c, o, strcmp(type, "order.allocated") == 0 ? ORDER_ALLOCATED : ORDER_BACKORDERED, ev);
}

/*
 * After a part of O was re-allocated (or set waiting), the order's state follows the rule of
 * alloc.h: backordered while any part waits, else allocated (its new shipments are the least
 * advanced). TYPE (order.allocated / order.backordered) with EV (stolen) is the state change
 * when the state changes; when it stays (another part still waits, or the order was
 * allocated already) it is emitted all the same, with state and from the order's state.
 */
static int move_part(struct cmd_ctx *c, struct order *o, const char *type, json_t *ev)
{
	enum order_state cur = order_state(o);
	enum order_state to = any_waiting(o) ? ORDER_BACKORDERED : ORDER_ALLOCATED;
	if (cur != to && order_can_move(cur, to))
		return order_move(c, o, to, ev);
	json_object_set_new(ev, "state", json_string(order_state_name(cur)));
	json_object_set_new(ev, "from", json_string(order_state_name(cur)));
	int rc = order_save(c, o);
	if (rc) {
		json_decref(ev);
		return rc;
	}
	return order_emit(c, o, type, ev);
}

/* The ids of SHIPS, as a new array. */
static json_t *ids_of(const json_t *ships)
{
	json_t *ids = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(ships, i, s) json_array_append(ids, json_object_get(s, "id"));
	return ids;
}

/*
 * Decides and applies for the whole order; with RETRY a repeated backorder changes nothing and
 * emits nothing. What an earlier allocation left in O's "allocation" (the history under
 * "replaced", none of its shipments) is kept, and new shipments are numbered after every
 * earlier one. GONE (borrowed, in that history, or NULL) is the shipment this allocation
 * replaces: it learns which shipments replace it.
 */
static int allocate(struct cmd_ctx *c, struct order *o, bool retry, json_t *gone, bool *allocated)
{
	struct plan p;
	struct decision d = { 0 };
	json_t *order = json_deep_copy(order_submitted(o)); /* scratch marks go on the copy */
	json_t *ships = json_array();
	json_t *hist =
	    json_incref(json_object_get(json_object_get(o->doc, "allocation"), "replaced"));
	size_t k0 = next_ship_k(o);
	char at[WMS_TIME_BUFSZ];
	*allocated = false;
	int rc = plan_build(c, order, &p);
	if (rc)
		goto out;
	decide(c, o, order, &p, &d);
	wms_time_format(c->now, at);
	if (strcmp(d.kind, "backorder") == 0) {
		if (retry)
			goto out; /* still waiting: nothing new to say */
		json_t *a = json_pack("{s:s, s:s, s:s, s:[]}", "decision", d.kind, "reason",
		                      d.reason, "at", at, "shipments");
		if (hist)
			json_object_set(a, "replaced", hist);
		json_object_set_new(o->doc, "allocation", a);
		if (gone)
			json_object_set_new(gone, "replaced_by", json_array());
		if ((rc = backorder_put(c, o)))
			goto out;
		json_t *ev = json_pack("{s:s, s:o}", "reason", d.reason, "missing",
		                       d.missing ? json_incref(d.missing) : json_array());
		if (gone)
			json_object_set(ev, "replaces", json_object_get(gone, "id"));
		rc = move_whole(c, o, "order.backordered", ev);
		goto out;
	}
	bool on_time;
	int64_t latest;
	if ((rc = reserve_set(c, &p, &d, o->no, k0, ships, &on_time, &latest)))
		goto out;
	json_t *a = json_pack("{s:s, s:s, s:s, s:O}", "decision", d.kind, "reason", d.reason, "at",
	                      at, "shipments", ships);
	if (hist)
		json_object_set(a, "replaced", hist);
	/* One carton of the order carries its inserts and gift card (pack.h). */
	if (has_inserts(o))
		json_object_set(a, "inserts_shipment",
		                json_object_get(json_array_get(ships, 0), "id"));
	json_object_set_new(o->doc, "allocation", a);
	if (gone)
		json_object_set_new(gone, "replaced_by", ids_of(ships));
	if (retry && (rc = backorder_del(c, o)))
		goto out;
	size_t qi;
	json_t *qs;
	json_array_foreach(ships, qi, qs)
	{
		if ((rc = alloc_queue_put(c, o, qs, (unsigned)qi)))
			goto out;
	}
	json_t *ev = allocated_fields(&d, ships, on_time, latest);
	if (gone)
		json_object_set(ev, "replaces", json_object_get(gone, "id"));
	rc = announce(c, o, &d, ev, move_whole);
	if (rc == 0)
		rc = announce_late(c, o, ships);
	*allocated = rc == 0;
out:
	json_decref(d.missing);
	json_decref(hist);
	json_decref(ships);
	json_decref(order);
	plan_free(&p);
	return rc;
}

/* The order as allocation sees it, with the lines of PART only (each with its "_line"). */
static json_t *part_order(const struct order *o, const json_t *part)
{
	json_t *order = json_deep_copy(order_submitted(o));
	json_t *lines = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(part, "lines"), i, l)
	{
		json_t *x =
		    json_pack("{s:O, s:O, s:O}", "sku", json_object_get(l, "sku"), "qty",
		              json_object_get(l, "qty"), "_line", json_object_get(l, "line"));
		if (json_object_get(l, "ref"))
			json_object_set(x, "line", json_object_get(l, "ref"));
		json_array_append_new(lines, x);
	}
	json_object_set_new(order, "lines", lines);
	json_object_set_new(order, "_part", json_true());
	return order;
}

/* A part of order NO waiting for stock, as shipment K: the lines of OLD, why, what is short. */
static json_t *waiting_part(uint64_t no, size_t k, const json_t *old, const struct decision *d,
                            int64_t now)
{
	char id[48], at[WMS_TIME_BUFSZ];
	snprintf(id, sizeof(id), "S%llu-%zu", (unsigned long long)no, k);
	wms_time_format(now, at);
	json_t *lines = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(old, "lines"), i, l)
	{
		json_t *x = json_pack("{s:O, s:O, s:O}", "line", json_object_get(l, "line"), "sku",
		                      json_object_get(l, "sku"), "qty", json_object_get(l, "qty"));
		if (json_object_get(l, "ref"))
			json_object_set(x, "ref", json_object_get(l, "ref"));
		json_array_append_new(lines, x);
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:{s:s}}", "id", id, "state",
	                 "backordered", "lines", lines, "reason", d->reason, "missing",
	                 d->missing ? json_incref(d->missing) : json_array(), "since", at,
	                 "milestones", "backordered", at);
}

/*
 * Allocates anew the part of O that shipment IDX of its allocation carries: a shorted
 * shipment, or a waiting part (RETRY: stock arrived; a part that still cannot be allocated
 * changes nothing and emits nothing). The new shipments take slot IDX and the end of the
 * list, or a waiting part takes slot IDX: slots never move, because the wave queue and the
 * tracking index name shipments by slot. GONE (stolen; NULL with RETRY) is the record of what
 * slot IDX held, kept under "replaced".
 */
static int allocate_part(struct cmd_ctx *c, struct order *o, size_t idx, json_t *gone, bool retry)
{
	json_t *alloc = json_object_get(o->doc, "allocation");
	json_t *ships = json_object_get(alloc, "shipments");
	json_t *old = json_array_get(ships, idx);
	struct plan p;
	struct decision d = { 0 };
	memset(&p, 0, sizeof(p));
	json_t *order = part_order(o, old), *fresh = json_array();
	char old_id[48], at[WMS_TIME_BUFSZ];
	snprintf(old_id, sizeof(old_id), "%s", req_str(old, "id"));
	wms_time_format(c->now, at);
	int rc = plan_build(c, order, &p);
	if (rc)
		goto out;
	decide(c, o, order, &p, &d);
	size_t k0 = next_ship_k(o);
	bool wait = strcmp(d.kind, "backorder") == 0;
	if (!wait && json_array_size(ships) + d.nset - 1 > ALLOC_SHIPMENTS_MAX) {
		/* The wave queue numbers an order's shipments in a byte. */
		wait = true;
		d.kind = "backorder";
		snprintf(d.reason, sizeof(d.reason),
		         "order has %zu shipments, the most it can have", json_array_size(ships));
	}
	if (wait && retry)
		goto out; /* still waiting: nothing new to say */
	if (gone == NULL) {
		gone = json_deep_copy(old);
		json_object_set_new(gone, "state", json_string("filled"));
	}
	json_object_set_new(gone, "replaced_at", json_string(at));
	json_object_set_new(gone, "decision", json_string(d.kind));
	json_object_set_new(gone, "reason", json_string(d.reason));
	bool on_time = true;
	int64_t latest = 0;
	if (wait) {
		json_t *w = waiting_part(o->no, k0, old, &d, c->now);
		json_array_append(fresh, w);
		json_array_set_new(ships, idx, w);
		if ((rc = backorder_put(c, o)))
			goto out;
	} else {
		json_t *made = json_array();
		if ((rc = reserve_set(c, &p, &d, o->no, k0, made, &on_time, &latest))) {
			json_decref(made);
			goto out;
		}
		size_t i;
		json_t *s;
		json_array_foreach(made, i, s)
		{
			size_t at_idx = i == 0 ? idx : json_array_size(ships);
			if (i == 0)
				json_array_set(ships, idx, s);
			else
				json_array_append(ships, s);
			json_array_append(fresh, s);
			if (rc == 0)
				rc = alloc_queue_put(c, o, s, (unsigned)at_idx);
		}
		json_decref(made);
		if (rc)
			goto out;
	}
	json_object_set_new(gone, "replaced_by", ids_of(fresh));
	json_t *hist = json_object_get(alloc, "replaced");
	if (hist == NULL)
		json_object_set_new(alloc, "replaced", hist = json_array());
	json_array_append_new(hist, gone);
	gone = NULL;
	/* The inserts go with whatever carries on the part that was to carry them. */
	const char *mark = req_str(alloc, "inserts_shipment");
	if (mark && strcmp(mark, old_id) == 0)
		json_object_set(alloc, "inserts_shipment",
		                json_object_get(json_array_get(fresh, 0), "id"));
	if (wait) {
		const json_t *w = json_array_get(fresh, 0);
		json_t *ev =
		    json_pack("{s:s, s:o, s:O, s:o, s:s}", "reason", d.reason, "missing",
		              json_deep_copy(json_object_get(w, "missing")), "shipment",
		              json_object_get(w, "id"), "waiting",
		              json_deep_copy(json_object_get(w, "lines")), "replaces", old_id);
		rc = move_part(c, o, "order.backordered", ev);
		goto out;
	}
	if (retry && !any_waiting(o) && (rc = backorder_del(c, o)))
		goto out;
	json_t *ev = allocated_fields(&d, fresh, on_time, latest);
	json_object_set_new(ev, "replaces", json_string(old_id));
	rc = announce(c, o, &d, ev, move_part);
	if (rc == 0)
		rc = announce_late(c, o, fresh);
out:
	json_decref(gone);
	json_decref(fresh);
	json_decref(d.missing);
	json_decref(order);
	plan_free(&p);
	return rc;
}

/* ---- public ---- */

json_t *alloc_summary(const json_t *allocation)
{
	if (allocation == NULL)
		return json_object();
	json_t *ships = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(allocation, "shipments"), i, s)
	    json_array_append_new(ships, ship_brief(s));
	return json_pack("{s:O, s:O, s:o}", "decision", json_object_get(allocation, "decision"),
	                 "reason", json_object_get(allocation, "reason"), "shipments", ships);
}

int alloc_order(struct cmd_ctx *c, struct order *o)
{
	bool done;
	return allocate(c, o, false, NULL, &done);
}

/* Gives back what shipment S (slot IDX) of O still holds and takes it off the wave queue;
 * *RELEASED (optional) counts the units no longer reserved. */
static int release_shipment(struct cmd_ctx *c, const struct order *o, const json_t *s, unsigned idx,
                            long long *released)
{
	if (is_waiting(s))
		return 0; /* a waiting part holds nothing and is queued nowhere */
	int rc = alloc_queue_del(c, o, s, idx);
	if (rc)
		return rc;
	size_t j, k;
	json_t *l, *pk;
	json_array_foreach(json_object_get(s, "lines"), j, l)
	{
		json_array_foreach(json_object_get(l, "picks"), k, pk)
		{
			/* What was already picked left the shelf; only the rest is held. */
			long long held = req_int(pk, "qty", 0) - req_int(pk, "picked", 0);
			if (held <= 0)
				continue;
			struct key key = KEY_INIT;
			master_stock_key(&key, order_tenant(o), req_str(l, "sku"),
			                 req_str(s, "warehouse"), req_str(pk, "location"),
			                 req_str(pk, "lot"));
			if ((rc = master_stock_change(c, &key, 0, -held, NULL)))
				return rc;
			if (released)
				*released += held;
		}
	}
	return 0;
}

/*
 * The units of shipment S that were taken off their shelves (each pick's "picked") go back
 * on hand where they came from, each recorded in PUT_BACK as {shipment, sku, warehouse,
 * location, lot?, qty} and on the pick as "put_back".
 */
static int put_back_picked(struct cmd_ctx *c, const struct order *o, json_t *s, json_t *put_back)
{
	size_t j, k;
	json_t *l, *pk;
	json_array_foreach(json_object_get(s, "lines"), j, l)
	{
		json_array_foreach(json_object_get(l, "picks"), k, pk)
		{
			long long picked = req_int(pk, "picked", 0) - req_int(pk, "put_back", 0);
			if (picked <= 0)
				continue;
			struct key key = KEY_INIT;
			master_stock_key(&key, order_tenant(o), req_str(l, "sku"),
			                 req_str(s, "warehouse"), req_str(pk, "location"),
			                 req_str(pk, "lot"));
			int rc = master_stock_change(c, &key, picked, 0, NULL);
			if (rc)
				return rc;
			json_object_set_new(pk, "put_back", json_integer(picked));
			json_t *e =
			    json_pack("{s:O, s:O, s:O, s:O, s:I}", "shipment",
			              json_object_get(s, "id"), "sku", json_object_get(l, "sku"),
			              "warehouse", json_object_get(s, "warehouse"), "location",
			              json_object_get(pk, "location"), "qty", (json_int_t)picked);
			if (req_str(pk, "lot"))
				json_object_set(e, "lot", json_object_get(pk, "lot"));
			json_array_append_new(put_back, e);
		}
	}
	return 0;
}

int alloc_cancel(struct cmd_ctx *c, struct order *o, json_t *undone)
{
	size_t i;
	json_t *s;
	char at[WMS_TIME_BUFSZ];
	long long released = 0;
	json_t *put_back = json_object_get(undone, "units_put_back");
	int rc = 0;
	wms_time_format(c->now, at);
	json_array_foreach(json_object_get(json_object_get(o->doc, "allocation"), "shipments"), i,
	                   s)
	{
		if ((rc = release_shipment(c, o, s, (unsigned)i, &released)) ||
		    (!is_waiting(s) && (rc = put_back_picked(c, o, s, put_back))))
			return rc;
		/* Kept for the record, out of service: no op treats a cancelled shipment as
		 * work, and its tote was freed by the caller. */
		json_object_set_new(s, "state", json_string("cancelled"));
		json_object_del(s, "tote");
		json_t *ms = json_object_get(s, "milestones");
		if (ms == NULL)
			json_object_set_new(s, "milestones", ms = json_object());
		json_object_set_new(ms, "cancelled", json_string(at));
	}
	json_object_set_new(undone, "units_released",
	                    json_integer(req_int(undone, "units_released", 0) + released));
	return backorder_del(c, o);
}

int alloc_short(struct cmd_ctx *c, struct order *o, size_t idx)
{
	json_t *alloc = json_object_get(o->doc, "allocation");
	json_t *ships = json_object_get(alloc, "shipments");
	json_t *s = json_array_get(ships, idx);
	if (s == NULL || is_waiting(s))
		return WMS_EINTERNAL;
	int rc = release_shipment(c, o, s, (unsigned)idx, NULL);
	if (rc)
		return rc;
	char at[WMS_TIME_BUFSZ];
	wms_time_format(c->now, at);
	json_t *gone = json_deep_copy(s);
	json_object_set_new(gone, "state", json_string("short"));
	json_object_set_new(gone, "cause", json_string("short_pick"));
	json_t *ms = json_object_get(gone, "milestones");
	if (ms == NULL)
		json_object_set_new(gone, "milestones", ms = json_object());
	json_object_set_new(ms, "short", json_string(at));
	if (json_array_size(ships) > 1)
		return allocate_part(c, o, idx, gone, false);
	/* The shipment was the whole order: the order is allocated again, as at submission. */
	json_t *hist = json_object_get(alloc, "replaced");
	if (hist == NULL)
		json_object_set_new(alloc, "replaced", hist = json_array());
	json_object_set_new(gone, "replaced_at", json_string(at));
	json_array_append_new(hist, gone);
	json_array_clear(ships);
	bool done;
	return allocate(c, o, false, gone, &done);
}

int alloc_backorders(struct cmd_ctx *c, const char *tenant, const char *sku)
{
	struct store_cursor *cur;
	struct store_val k;
	struct key prefix = KEY_INIT;
	uint64_t *nos = NULL;
	size_t n = 0, cap = 0;
	key_str(&prefix, tenant);
	int rc = store_cursor_open(c->txn, STORE_BACKORDERS, &cur);
	if (rc)
		return rc;
	/* Collect first: allocating deletes index entries under the cursor. Oldest promise
	 * first is the key order. */
	for (rc = store_cursor_seek(cur, prefix.b, prefix.n, &k, NULL);
	     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
	     rc = store_cursor_next(cur, &k, NULL)) {
		if (k.len != prefix.n + 16)
			continue;
		if (n == cap) {
			uint64_t *g = realloc(nos, (cap = cap ? cap * 2 : 16) * sizeof(*nos));
			if (g == NULL) {
				rc = WMS_ENOMEM;
				break;
			}
			nos = g;
		}
		nos[n++] = key_get_u64((const uint8_t *)k.data + prefix.n + 8);
	}
	store_cursor_close(cur);
	rc = rc == WMS_ENOTFOUND || rc == 0 ? 0 : rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct order o = ORDER_INIT;
		if ((rc = order_load_no(c->txn, nos[i], &o)))
			break;
		if (order_state(&o) == ORDER_BACKORDERED) {
			/* Only what waits is allocated: the parts that wait, or the whole order. */
			size_t nships = json_array_size(
			    json_object_get(json_object_get(o.doc, "allocation"), "shipments"));
			bool parts = false;
			for (size_t j = 0; j < nships && rc == 0; j++) {
				json_t *s = json_array_get(
				    json_object_get(json_object_get(o.doc, "allocation"),
				                    "shipments"),
				    j);
				if (!is_waiting(s))
					continue;
				parts = true;
				if (lines_want(json_object_get(s, "lines"), sku))
					rc = allocate_part(c, &o, j, NULL, true);
			}
			bool done;
			if (!parts && rc == 0 &&
			    lines_want(json_object_get(order_submitted(&o), "lines"), sku))
				rc = allocate(c, &o, true, NULL, &done);
		}
		order_release(&o);
	}
	free(nos);
	return rc;
}
