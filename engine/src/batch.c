/*
 * batch.c - order batching (see batch.h).
 *
 * Batches live in slots named after the order that founded them; bof[i] is the slot of order
 * i, members are a singly linked list (batches hold at most BATCH_MAX_CART_TOTES orders, so
 * walking one is cheap). Every slot has a version that changes with its membership, so a
 * saving computed earlier can be recognised as stale.
 *
 * A batch's pick points are never stored: they are merged from its members' sorted key lists
 * when a route length is needed. Merging a handful of short lists costs less than the route,
 * and nothing has to be kept consistent when orders move.
 */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#define NONE        UINT32_MAX
#define EPS         1e-9 /* a move must gain more than rounding noise */
#define K_DEFAULT   16
#define PASSES_DFLT 4
/* Candidate partners are looked for among this many orders either side in centre-of-gravity
 * order: every pair for waves up to ~2,000 orders, linear time beyond. */
#define WINDOW 1024
/* Slots of the route-length memo (a power of two): 2 MiB, direct-mapped. */
#define MEMO_SLOTS (1u << 17)

struct entry {
	double saving;
	double merged;   /* d(A u B) */
	uint32_t oi, oj; /* the orders whose batches were compared */
	uint32_t a, b;   /* their batch slots then */
	uint32_t va, vb; /* and the slots' versions */
};

struct planner {
	const struct layout *l;
	const struct batch_order *orders;
	size_t n;
	struct batch_cart cart;
	struct route_ws *ws;
	int k; /* neighbours per order */

	uint32_t *ko;    /* [n+1] order i's keys are okeys[ko[i] .. ko[i+1]) */
	uint32_t *okeys; /* sorted, distinct */
	double *d1;      /* [n] the order's own optimal route */
	uint32_t *nb;    /* [n*k] candidate partners, NONE-padded */

	uint32_t *bof;   /* [n] batch slot of each order */
	uint32_t *next;  /* [n] next member in the same batch */
	uint32_t *head;  /* [n] first member of slot b */
	uint32_t *cnt;   /* [n] members of slot b (0: unused) */
	uint32_t *units; /* [n] units of slot b */
	double *blen;    /* [n] route length of slot b */
	uint32_t *ver;   /* [n] */

	uint32_t *kbuf[3]; /* key-merge scratch */
	size_t kcap;

	/* Route lengths by key set: local improvement asks for the same batches again and again
	 * (a batch that did not change, with the same neighbour added or removed). */
	uint64_t *memo_tag; /* [MEMO_SLOTS] hash of the key set, 0 = empty */
	double *memo_len;

	struct entry *heap;
	size_t nheap, capheap;
};

/* ---- validation ------------------------------------------------------------------------- */

static int validate(const struct layout *l, const struct batch_order *orders, size_t n,
                    const struct batch_cart *cart, const struct batch_options *opt,
                    struct wms_error *err)
{
	if (cart == NULL)
		return wms_error_set(err, WMS_EVALUE, "cart", "cart is missing");
	if (cart->max_orders < 1 || cart->max_orders > BATCH_MAX_CART_TOTES)
		return wms_error_set(err, WMS_ERANGE, "cart.max_orders",
		                     "cart.max_orders must be 1..%d, got %u", BATCH_MAX_CART_TOTES,
		                     cart->max_orders);
	/* The bound keeps every sum of units (at most two carts' worth) far from overflow. */
	if (cart->max_units < 1 || cart->max_units > BATCH_MAX_UNITS)
		return wms_error_set(err, WMS_ERANGE, "cart.max_units",
		                     "cart.max_units must be 1..%d, got %u", BATCH_MAX_UNITS,
		                     cart->max_units);
	if (opt->method < BATCH_SAVINGS || opt->method > BATCH_SINGLE)
		return wms_error_set(err, WMS_EVALUE, "method", "unknown batching method %d",
		                     opt->method);
	if (opt->neighbours < 0 || opt->neighbours > 256)
		return wms_error_set(err, WMS_ERANGE, "neighbours",
		                     "neighbours must be 0..256, got %d", opt->neighbours);
	if (opt->passes < -1 || opt->passes > 100)
		return wms_error_set(err, WMS_ERANGE, "passes", "passes must be -1..100, got %d",
		                     opt->passes);
	if (n > BATCH_MAX_ORDERS)
		return wms_error_set(err, WMS_ERANGE, "orders", "at most %d orders, got %zu",
		                     BATCH_MAX_ORDERS, n);
	if (n > 0 && orders == NULL)
		return wms_error_set(err, WMS_EVALUE, "orders", "orders are missing");
	char field[96];
	for (size_t i = 0; i < n; i++) {
		const struct batch_order *o = &orders[i];
		if (o->units < 1 || o->units > BATCH_MAX_UNITS) {
			snprintf(field, sizeof(field), "orders[%zu].units", i);
			return wms_error_set(err, WMS_ERANGE, field, "%s must be 1..%d, got %u",
			                     field, BATCH_MAX_UNITS, o->units);
		}
		if (o->nlines < 1 || o->nlines > BATCH_MAX_LINES || o->lines == NULL) {
			snprintf(field, sizeof(field), "orders[%zu].lines", i);
			return wms_error_set(err, WMS_ERANGE, field,
			                     "%s must hold 1..%d lines, got %zu", field,
			                     BATCH_MAX_LINES, o->lines ? o->nlines : 0);
		}
		for (size_t j = 0; j < o->nlines; j++) {
			const struct batch_line *ln = &o->lines[j];
			if (ln->qty < 1) {
				snprintf(field, sizeof(field), "orders[%zu].lines[%zu].qty", i, j);
				return wms_error_set(err, WMS_ERANGE, field,
				                     "%s must be >= 1, got %u", field, ln->qty);
			}
			if (ln->at.aisle == 0 || !layout_point_valid(l, &ln->at)) {
				snprintf(field, sizeof(field), "orders[%zu].lines[%zu].at", i, j);
				return wms_error_set(
				    err, WMS_ELOCATION, field,
				    "%s (aisle %d, block %d, position %d) is not a "
				    "pick point of the layout",
				    field, ln->at.aisle, ln->at.block, ln->at.position);
			}
		}
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------------------- */

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

static void sort_u32(uint32_t *v, size_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof(*v), u32_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Union of two ascending distinct lists into OUT; returns its length. */
static size_t merge_keys(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out)
{
	size_t i = 0, j = 0, k = 0;
	while (i < na && j < nb) {
		if (a[i] < b[j])
			out[k++] = a[i++];
		else if (b[j] < a[i])
			out[k++] = b[j++];
		else {
			out[k++] = a[i++];
			j++;
		}
	}
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
	return k;
}

/* Per-order sorted distinct keys. */
static int build_order_keys(struct planner *p)
{
	size_t total = 0;
	for (size_t i = 0; i < p->n; i++)
		total += p->orders[i].nlines;
	p->ko = malloc((p->n + 1) * sizeof(*p->ko));
	p->okeys = malloc((total ? total : 1) * sizeof(*p->okeys));
	if (p->ko == NULL || p->okeys == NULL)
		return WMS_ENOMEM;
	size_t o = 0, maxk = 1;
	for (size_t i = 0; i < p->n; i++) {
		const struct batch_order *ord = &p->orders[i];
		p->ko[i] = (uint32_t)o;
		uint32_t *k = &p->okeys[o];
		for (size_t j = 0; j < ord->nlines; j++)
			k[j] = layout_point_key(&ord->lines[j].at);
		sort_u32(k, ord->nlines);
		size_t u = 0;
		for (size_t j = 0; j < ord->nlines; j++)
			if (u == 0 || k[u - 1] != k[j])
				k[u++] = k[j];
		o += u;
		if (u > maxk)
			maxk = u;
	}
	p->ko[p->n] = (uint32_t)o;
	/* A batch being evaluated holds at most max_orders orders (+1 during a swap check). */
	p->kcap = maxk * ((size_t)p->cart.max_orders + 1);
	for (int i = 0; i < 3; i++)
		if ((p->kbuf[i] = malloc(p->kcap * sizeof(uint32_t))) == NULL)
			return WMS_ENOMEM;
	return 0;
}

/*
 * The keys of batch slot B without order SKIP and with order ADD (NONE for neither); sets
 * *KEYS to a scratch buffer valid until the next call. Returns the count.
 */
static size_t batch_keys(struct planner *p, uint32_t b, uint32_t skip, uint32_t add,
                         const uint32_t **keys)
{
	uint32_t *cur = p->kbuf[0], *tmp = p->kbuf[1];
	size_t n = 0;
	uint32_t o = p->head[b];
	for (;;) {
		uint32_t take;
		if (o != NONE) {
			take = o;
			o = p->next[o];
			if (take == skip)
				continue;
		} else if (add != NONE) {
			take = add;
			add = NONE;
		} else {
			break;
		}
		n = merge_keys(cur, n, &p->okeys[p->ko[take]], p->ko[take + 1] - p->ko[take], tmp);
		uint32_t *t = cur;
		cur = tmp;
		tmp = t;
	}
	*keys = cur;
	return n;
}

/* A 64-bit hash of a key list (never 0, the empty-slot tag). */
static uint64_t keys_hash(const uint32_t *keys, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
	for (size_t i = 0; i < n; i++) {
		h ^= keys[i];
		h *= 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 31;
	}
	return h ? h : 1;
}

/*
 * The planning length of a key set, from the memo when the same set was routed before. A
 * collision of the 64-bit hashes (odds about 1e-8 per plan) could only mislead a heuristic
 * choice: the batches are routed afresh, exactly, when the plan is laid out.
 */
static int keys_length(struct planner *p, const uint32_t *keys, size_t n, double *len)
{
	uint64_t h = keys_hash(keys, n);
	size_t slot = (size_t)(h & (MEMO_SLOTS - 1));
	if (p->memo_tag && p->memo_tag[slot] == h) {
		*len = p->memo_len[slot];
		return 0;
	}
	int rc = route_planning_length(p->ws, p->l, keys, n, len);
	if (rc == 0 && p->memo_tag) {
		p->memo_tag[slot] = h;
		p->memo_len[slot] = *len;
	}
	return rc;
}

/* Route length of slot B with SKIP removed and ADD added. */
static int batch_length(struct planner *p, uint32_t b, uint32_t skip, uint32_t add, double *len)
{
	const uint32_t *keys;
	size_t n = batch_keys(p, b, skip, add, &keys);
	return keys_length(p, keys, n, len);
}

/* Route length of the union of slots A and B. */
static int union_length(struct planner *p, uint32_t a, uint32_t b, double *len)
{
	const uint32_t *ka;
	size_t na = batch_keys(p, a, NONE, NONE, &ka);
	memcpy(p->kbuf[2], ka, na * sizeof(*ka));
	const uint32_t *kb;
	size_t nb = batch_keys(p, b, NONE, NONE, &kb);
	uint32_t *out = kb == p->kbuf[0] ? p->kbuf[1] : p->kbuf[0];
	size_t n = merge_keys(p->kbuf[2], na, kb, nb, out);
	return keys_length(p, out, n, len);
}

/* ---- batch slots ------------------------------------------------------------------------ */

static int fits(const struct planner *p, uint32_t orders, uint32_t units)
{
	return orders <= p->cart.max_orders && units <= p->cart.max_units;
}

static void slot_remove(struct planner *p, uint32_t b, uint32_t o)
{
	uint32_t *link = &p->head[b];
	while (*link != o)
		link = &p->next[*link];
	*link = p->next[o];
	p->next[o] = NONE;
	p->cnt[b]--;
	p->units[b] -= p->orders[o].units;
	p->ver[b]++;
}

/* Appends O at the end of slot B, so members keep their order of arrival. */
static void slot_add(struct planner *p, uint32_t b, uint32_t o)
{
	uint32_t *link = &p->head[b];
	while (*link != NONE)
		link = &p->next[*link];
	*link = o;
	p->next[o] = NONE;
	p->bof[o] = b;
	p->cnt[b]++;
	p->units[b] += p->orders[o].units;
	p->ver[b]++;
}

/* Moves every member of B into A. */
static void slot_merge(struct planner *p, uint32_t a, uint32_t b)
{
	while (p->head[b] != NONE) {
		uint32_t o = p->head[b];
		slot_remove(p, b, o);
		slot_add(p, a, o);
	}
}

/* ---- savings ---------------------------------------------------------------------------- */

/* Max-heap on saving; ties by the orders' indices, so the sequence is reproducible. */
static int entry_before(const struct entry *x, const struct entry *y)
{
	if (x->saving != y->saving)
		return x->saving > y->saving;
	if (x->oi != y->oi)
		return x->oi < y->oi;
	return x->oj < y->oj;
}

static int heap_push(struct planner *p, const struct entry *e)
{
	if (p->nheap == p->capheap) {
		size_t c = p->capheap ? 2 * p->capheap : 1024;
		struct entry *h = realloc(p->heap, c * sizeof(*h));
		if (h == NULL)
			return WMS_ENOMEM;
		p->heap = h;
		p->capheap = c;
	}
	size_t i = p->nheap++;
	while (i > 0 && entry_before(e, &p->heap[(i - 1) / 2])) {
		p->heap[i] = p->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	p->heap[i] = *e;
	return 0;
}

static void heap_pop(struct planner *p, struct entry *out)
{
	*out = p->heap[0];
	struct entry last = p->heap[--p->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= p->nheap)
			break;
		if (c + 1 < p->nheap && entry_before(&p->heap[c + 1], &p->heap[c]))
			c++;
		if (!entry_before(&p->heap[c], &last))
			break;
		p->heap[i] = p->heap[c];
		i = c;
	}
	if (p->nheap > 0)
		p->heap[i] = last;
}

static int eligible(const struct planner *p, size_t i)
{
	return p->orders[i].units <= p->cart.max_units;
}

struct feature {
	double cog;      /* mean x of the pick points */
	double xlo, xhi; /* x-range walked, the depot included */
	size_t row;      /* index into the caller's slot list (and the bit rows) */
};

static int feature_cmp(const void *pa, const void *pb)
{
	const struct feature *a = pa, *b = pb;
	if (a->cog != b->cog)
		return a->cog < b->cog ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

/* Sub-aisle bits, x-range and centre of gravity of slot S, listed at ROW. */
static void slot_features(const struct planner *p, uint32_t s, size_t row, uint64_t *bits,
                          size_t words, struct feature *f)
{
	const struct layout *l = p->l;
	double sx = 0, xlo = l->depot_x, xhi = l->depot_x;
	size_t nk = 0;
	memset(bits, 0, words * sizeof(*bits));
	for (uint32_t o = p->head[s]; o != NONE; o = p->next[o]) {
		for (uint32_t j = p->ko[o]; j < p->ko[o + 1]; j++) {
			struct layout_point pt = layout_key_point(p->okeys[j]);
			size_t b = (size_t)(pt.aisle - 1) * (size_t)l->p.blocks + (size_t)pt.block;
			bits[b / 64] |= (uint64_t)1 << (b % 64);
			double x = (pt.aisle - 1) * l->p.aisle_spacing;
			sx += x;
			nk++;
			xlo = x < xlo ? x : xlo;
			xhi = x > xhi ? x : xhi;
		}
	}
	f->cog = nk ? sx / (double)nk : l->depot_x;
	f->xlo = xlo;
	f->xhi = xhi;
	f->row = row;
}

/* Set bits of X. The builtin becomes a libgcc call without -mpopcnt, which the build does not
 * assume: this is the same count in a dozen instructions, inline. */
static inline int popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
}

/*
 * For each of the NS slots SLOTS (ascending), its K best partners among the slots that fit
 * with it on one cart, by a proxy of the saving: metres of sub-aisle walked by both (block_len
 * per shared sub-aisle) plus twice the shared x-range. Cheap (a popcount and a min), and it
 * ranks partners well enough that true savings are computed only for them. Candidates are
 * looked for within WINDOW slots either side in centre-of-gravity order. NB[r*k ..] gets slot
 * ids, best first, NONE-padded.
 */
static int find_partners(struct planner *p, const uint32_t *slots, size_t ns, uint32_t *nb)
{
	const struct layout *l = p->l;
	size_t k = (size_t)p->k;
	size_t nsub = (size_t)l->p.aisles * (size_t)l->p.blocks, words = (nsub + 63) / 64;
	size_t cap = ns ? ns : 1;
	/* Features, bits and room by rank (centre-of-gravity order), so that the window scan
	 * below reads memory in sequence. */
	uint64_t *row_bits = malloc(cap * words * sizeof(*row_bits));
	uint64_t *bits = malloc(cap * words * sizeof(*bits));
	struct feature *f = malloc(cap * sizeof(*f));
	uint32_t *rslot = malloc(cap * sizeof(*rslot));
	uint32_t *rcnt = malloc(cap * sizeof(*rcnt));
	uint32_t *runits = malloc(cap * sizeof(*runits));
	double *score = malloc(k * sizeof(*score));
	int rc = 0;
	if (row_bits == NULL || bits == NULL || f == NULL || rslot == NULL || rcnt == NULL ||
	    runits == NULL || score == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	for (size_t r = 0; r < ns; r++)
		slot_features(p, slots[r], r, &row_bits[r * words], words, &f[r]);
	/* sorted by centre of gravity; NB stays in the order of SLOTS */
	qsort(f, ns, sizeof(*f), feature_cmp);
	for (size_t r = 0; r < ns; r++) {
		uint32_t s = slots[f[r].row];
		memcpy(&bits[r * words], &row_bits[f[r].row * words], words * sizeof(*bits));
		rslot[r] = s;
		rcnt[r] = p->cnt[s];
		runits[r] = p->units[s];
	}
	for (size_t r = 0; r < ns; r++) {
		size_t have = 0;
		uint32_t *out = &nb[f[r].row * k];
		const uint64_t *bi = &bits[r * words];
		for (size_t t = 0; t < k; t++)
			out[t] = NONE;
		size_t lo = r > WINDOW ? r - WINDOW : 0, hi = r + WINDOW < ns ? r + WINDOW : ns - 1;
		for (size_t q = lo; q <= hi; q++) {
			uint32_t sj = rslot[q];
			if (q == r || !fits(p, rcnt[r] + rcnt[q], runits[r] + runits[q]))
				continue;
			int shared = 0;
			for (size_t w = 0; w < words; w++)
				shared += popcount64(bi[w] & bits[q * words + w]);
			double ov = (f[r].xhi < f[q].xhi ? f[r].xhi : f[q].xhi) -
			            (f[r].xlo > f[q].xlo ? f[r].xlo : f[q].xlo);
			double sc = shared * l->block_len + 2 * ov;
			/* insert into the sorted top k; ties keep the smaller slot first */
			size_t pos = have;
			while (pos > 0 &&
			       (sc > score[pos - 1] || (sc == score[pos - 1] && sj < out[pos - 1])))
				pos--;
			if (pos >= k)
				continue;
			for (size_t t = have < k ? have : k - 1; t > pos; t--) {
				score[t] = score[t - 1];
				out[t] = out[t - 1];
			}
			score[pos] = sc;
			out[pos] = sj;
			if (have < k)
				have++;
		}
	}
out:
	free(row_bits);
	free(bits);
	free(f);
	free(rslot);
	free(rcnt);
	free(runits);
	free(score);
	return rc;
}

static int push_pair(struct planner *p, uint32_t oi, uint32_t oj)
{
	uint32_t a = p->bof[oi], b = p->bof[oj];
	if (!fits(p, p->cnt[a] + p->cnt[b], p->units[a] + p->units[b]))
		return 0;
	double merged;
	int rc = union_length(p, a, b, &merged);
	if (rc)
		return rc;
	struct entry e = {
		p->blen[a] + p->blen[b] - merged, merged, oi, oj, a, b, p->ver[a], p->ver[b]
	};
	/* Exact routes never make a union longer than separate trips; a heuristic (multi-block)
	 * can, and then the two are better apart. */
	if (e.saving < -EPS)
		return 0;
	return heap_push(p, &e);
}

static int listed(const uint32_t *nb, size_t k, uint32_t s)
{
	for (size_t t = 0; t < k && nb[t] != NONE; t++)
		if (nb[t] == s)
			return 1;
	return 0;
}

/* Index of S in the ascending SLOTS. */
static size_t slot_row(const uint32_t *slots, size_t ns, uint32_t s)
{
	size_t lo = 0, hi = ns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (slots[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * One Clarke-Wright round over the candidate pairs NB of SLOTS, with lazy re-evaluation: an
 * entry whose batches changed since it was computed is recomputed for the batches as they are
 * now and pushed back, so the merge taken is the best current saving at the top of the heap.
 * Adds the number of merges to *MERGES.
 */
static int savings_round(struct planner *p, const uint32_t *slots, size_t ns, const uint32_t *nb,
                         size_t *merges)
{
	int rc;
	size_t k = (size_t)p->k;
	for (size_t r = 0; r < ns; r++)
		for (size_t t = 0; t < k; t++) {
			uint32_t s = nb[r * k + t];
			if (s == NONE)
				break;
			/* each unordered pair once */
			if (s < slots[r] && listed(&nb[slot_row(slots, ns, s) * k], k, slots[r]))
				continue;
			if ((rc = push_pair(p, p->head[slots[r]], p->head[s])))
				return rc;
		}
	while (p->nheap > 0) {
		struct entry e;
		heap_pop(p, &e);
		uint32_t a = p->bof[e.oi], b = p->bof[e.oj];
		if (a == b || !fits(p, p->cnt[a] + p->cnt[b], p->units[a] + p->units[b]))
			continue;
		if (a != e.a || b != e.b || p->ver[a] != e.va || p->ver[b] != e.vb) {
			if ((rc = push_pair(p, e.oi, e.oj)))
				return rc;
			continue;
		}
		/* the slot of the smaller founding index survives: stable naming */
		if (b < a) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		slot_merge(p, a, b);
		p->blen[a] = e.merged;
		p->blen[b] = 0;
		(*merges)++;
	}
	return 0;
}

/* The route of order I's batch without I, from the cache while that batch is unchanged. */
static int without_length(struct planner *p, uint32_t i, double *wo, uint32_t *wo_ver,
                          uint32_t *wo_slot, double *len)
{
	uint32_t a = p->bof[i];
	if (wo_slot[i] == a && wo_ver[i] == p->ver[a]) {
		*len = wo[i];
		return 0;
	}
	int rc = batch_length(p, a, i, NONE, len);
	if (rc == 0) {
		wo[i] = *len;
		wo_slot[i] = a;
		wo_ver[i] = p->ver[a];
	}
	return rc;
}

/*
 * Shift and swap moves between an order's batch and its neighbours' batches, first
 * improvement, in order index sequence. An order is looked at again in a later pass only when
 * its batch or a neighbour's batch changed since (don't-look bits).
 */
static int improve(struct planner *p, int passes)
{
	size_t n = p->n, k = (size_t)p->k;
	uint64_t step = 1;
	uint64_t *changed = calloc(n ? n : 1, sizeof(*changed)); /* per slot: last change */
	uint64_t *looked = calloc(n ? n : 1, sizeof(*looked));   /* per order: last look */
	uint32_t *tried = malloc((k ? k : 1) * sizeof(*tried));
	/* Per order: its batch's route without it, valid while the batch's version is wo_ver
	 * (a bound that spares swap evaluations, below). */
	double *wo = malloc((n ? n : 1) * sizeof(*wo));
	uint32_t *wo_ver = malloc((n ? n : 1) * sizeof(*wo_ver));
	uint32_t *wo_slot = malloc((n ? n : 1) * sizeof(*wo_slot));
	int rc = 0;
	if (changed == NULL || looked == NULL || tried == NULL || wo == NULL || wo_ver == NULL ||
	    wo_slot == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		changed[i] = 1;
		wo_slot[i] = NONE;
	}
	for (int pass = 0; pass < passes; pass++) {
		int moved = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!eligible(p, i))
				continue;
			uint32_t a = p->bof[i];
			int stale = changed[a] > looked[i];
			for (size_t t = 0; t < k && !stale; t++) {
				uint32_t j = p->nb[i * k + t];
				stale = j != NONE && changed[p->bof[j]] > looked[i];
			}
			if (!stale)
				continue;
			looked[i] = ++step;
			uint32_t ui = p->orders[i].units;
			double without = 0;
			if (p->cnt[a] > 1 &&
			    (rc = without_length(p, i, wo, wo_ver, wo_slot, &without)))
				goto out;
			double gain = p->blen[a] - without;
			size_t ntried = 0;
			int done = 0;
			/* shift i into a neighbour's batch: adding picks never shortens a route, so
			 * a shift can only pay when taking i out of its batch saves something */
			for (size_t t = 0; t < k && !done && gain > EPS; t++) {
				uint32_t j = p->nb[i * k + t];
				if (j == NONE)
					break;
				uint32_t b = p->bof[j];
				int seen = b == a;
				for (size_t q = 0; q < ntried && !seen; q++)
					seen = tried[q] == b;
				if (seen)
					continue;
				tried[ntried++] = b;
				if (!fits(p, p->cnt[b] + 1, p->units[b] + ui))
					continue;
				double with;
				if ((rc = batch_length(p, b, NONE, i, &with)))
					goto out;
				if (with - p->blen[b] - gain < -EPS) {
					slot_remove(p, a, i);
					slot_add(p, b, i);
					p->blen[a] = p->cnt[a] ? without : 0;
					p->blen[b] = with;
					changed[a] = changed[b] = ++step;
					done = 1;
				}
			}
			/* swap i with a neighbour */
			for (size_t t = 0; t < k && !done; t++) {
				uint32_t j = p->nb[i * k + t];
				if (j == NONE)
					break;
				uint32_t b = p->bof[j], uj = p->orders[j].units;
				if (b == a || !fits(p, p->cnt[a], p->units[a] - ui + uj) ||
				    !fits(p, p->cnt[b], p->units[b] - uj + ui))
					continue;
				/* Adding picks never shortens a route, so the swap's two routes are
				 * at least a without i (or j's own route) and b without j (or i's
				 * own): when those already reach the current pair, the swap cannot
				 * pay. */
				double jwo = 0;
				if (p->cnt[b] > 1 &&
				    (rc = without_length(p, j, wo, wo_ver, wo_slot, &jwo)))
					goto out;
				double lo_a = without > p->d1[j] ? without : p->d1[j];
				double lo_b = jwo > p->d1[i] ? jwo : p->d1[i];
				if (lo_a + lo_b - p->blen[a] - p->blen[b] >= -EPS)
					continue;
				double da, db;
				if ((rc = batch_length(p, a, i, j, &da)) ||
				    (rc = batch_length(p, b, j, i, &db)))
					goto out;
				if (da + db - p->blen[a] - p->blen[b] < -EPS) {
					slot_remove(p, a, i);
					slot_remove(p, b, j);
					slot_add(p, a, j);
					slot_add(p, b, i);
					p->blen[a] = da;
					p->blen[b] = db;
					changed[a] = changed[b] = ++step;
					done = 1;
				}
			}
			moved |= done;
		}
		if (!moved)
			break;
	}
out:
	free(changed);
	free(looked);
	free(tried);
	free(wo);
	free(wo_ver);
	free(wo_slot);
	return rc;
}

/* ---- plans ------------------------------------------------------------------------------ */

static int plan_single_and_fcfs(struct planner *p, int fcfs)
{
	uint32_t cur = NONE;
	for (uint32_t i = 0; i < p->n; i++) {
		if (!eligible(p, i) || !fcfs) {
			slot_add(p, i, i);
			continue;
		}
		if (cur != NONE && !fits(p, p->cnt[cur] + 1, p->units[cur] + p->orders[i].units))
			cur = NONE;
		if (cur == NONE)
			cur = i;
		slot_add(p, cur, i);
	}
	return 0;
}

#define MAX_ROUNDS 8

/*
 * Savings rounds: the first pairs orders; later ones pair the batches formed so far (with
 * partners chosen among the batches that still fit), so that an order whose first partners
 * all filled up is not left alone while room remains elsewhere. Then local improvement.
 */
static int plan_savings(struct planner *p, int passes)
{
	int rc = 0;
	size_t n = p->n, k = (size_t)p->k;
	uint32_t *slots = malloc((n ? n : 1) * sizeof(*slots));
	uint32_t *nb = malloc((n ? n : 1) * k * sizeof(*nb));
	if (slots == NULL || nb == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		slot_add(p, i, i);
		p->blen[i] = p->d1[i];
		slots[i] = i;
	}
	/* round 0's partners are orders: they stay the neighbourhoods of local improvement */
	if ((rc = find_partners(p, slots, n, nb)))
		goto out;
	p->nb = nb;
	size_t merges = 0;
	if ((rc = savings_round(p, slots, n, p->nb, &merges)))
		goto out;
	nb = malloc((n ? n : 1) * k * sizeof(*nb));
	if (nb == NULL) {
		rc = WMS_ENOMEM;
		goto out;
	}
	for (int round = 1; round < MAX_ROUNDS && merges > 0; round++) {
		size_t ns = 0;
		for (uint32_t s = 0; s < n; s++)
			if (p->cnt[s])
				slots[ns++] = s;
		merges = 0;
		if ((rc = find_partners(p, slots, ns, nb)) ||
		    (rc = savings_round(p, slots, ns, nb, &merges)))
			goto out;
	}
	rc = improve(p, passes);
out:
	free(slots);
	if (nb != p->nb)
		free(nb);
	return rc;
}

/* Lays the slots out as the plan: batches by smallest order, stops in walking order. */
static int build_plan(struct planner *p, int compare, struct batch_plan **out)
{
	int rc = WMS_ENOMEM;
	size_t n = p->n, total = 0;
	for (size_t i = 0; i < n; i++)
		total += p->orders[i].nlines;
	struct batch_plan *plan = calloc(1, sizeof(*plan));
	struct layout_point *picks = NULL;
	struct batch_stop *refs = NULL;
	size_t *order = NULL;
	uint8_t *emitted = calloc(n ? n : 1, 1);
	if (plan == NULL || emitted == NULL)
		goto fail;
	size_t nb = 0;
	for (size_t b = 0; b < n; b++)
		nb += p->cnt[b] > 0;
	plan->batches = calloc(nb ? nb : 1, sizeof(*plan->batches));
	plan->orders = malloc((n ? n : 1) * sizeof(*plan->orders));
	plan->stops = malloc((total ? total : 1) * sizeof(*plan->stops));
	/* the largest batch's lines bound the routing buffers */
	size_t maxlines = 1;
	for (size_t b = 0; b < n; b++) {
		size_t lines = 0;
		for (uint32_t o = p->cnt[b] ? p->head[b] : NONE; o != NONE; o = p->next[o])
			lines += p->orders[o].nlines;
		maxlines = lines > maxlines ? lines : maxlines;
	}
	picks = malloc(maxlines * sizeof(*picks));
	refs = malloc(maxlines * sizeof(*refs));
	order = malloc(maxlines * sizeof(*order));
	if (plan->batches == NULL || plan->orders == NULL || plan->stops == NULL || picks == NULL ||
	    refs == NULL || order == NULL)
		goto fail;
	size_t no = 0, ns = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t s = p->bof[i];
		if (emitted[s])
			continue;
		emitted[s] = 1;
		struct batch *bt = &plan->batches[plan->nbatches++];
		bt->first_order = no;
		for (uint32_t o = p->head[s]; o != NONE; o = p->next[o])
			plan->orders[no++] = o;
		bt->norders = no - bt->first_order;
		sort_u32(&plan->orders[bt->first_order], bt->norders);
		size_t np = 0;
		for (size_t q = bt->first_order; q < no; q++) {
			uint32_t o = plan->orders[q];
			bt->units += p->orders[o].units;
			/* the planning length is exact only up to ROUTE_PLAN_EXACT_BLOCKS; the
			 * figure compares like with like, route_optimal against route_optimal */
			double single = p->d1[o];
			if (compare && p->l->p.blocks > ROUTE_PLAN_EXACT_BLOCKS &&
			    (rc = route_optimal_length(p->ws, p->l, &p->okeys[p->ko[o]],
			                               p->ko[o + 1] - p->ko[o], &single)))
				goto fail;
			bt->single_length += compare ? single : 0;
			for (size_t j = 0; j < p->orders[o].nlines; j++) {
				picks[np] = p->orders[o].lines[j].at;
				refs[np].order = o;
				refs[np].line = (uint32_t)j;
				np++;
			}
		}
		bt->oversize = bt->units > p->cart.max_units;
		plan->oversize += (size_t)bt->oversize;
		struct route_result r;
		if ((rc = route_optimal(p->ws, p->l, picks, np, order, &r)))
			goto fail;
		bt->length = r.length;
		bt->exact = r.exact;
		bt->first_stop = ns;
		for (size_t q = 0; q < np; q++)
			plan->stops[ns++] = refs[order[q]];
		bt->nstops = np;
		if (compare) {
			if ((rc = route_sshape(p->ws, p->l, picks, np, NULL, &r)))
				goto fail;
			bt->sshape_length = r.length;
		}
		plan->length += bt->length;
		plan->sshape_length += bt->sshape_length;
		plan->single_length += bt->single_length;
	}
	plan->norders = no;
	plan->nstops = ns;
	free(picks);
	free(refs);
	free(order);
	free(emitted);
	*out = plan;
	return 0;
fail:
	free(picks);
	free(refs);
	free(order);
	free(emitted);
	batch_plan_free(plan);
	return rc;
}

static void planner_release(struct planner *p)
{
	route_ws_free(p->ws);
	free(p->ko);
	free(p->okeys);
	free(p->d1);
	free(p->nb);
	free(p->bof);
	free(p->next);
	free(p->head);
	free(p->cnt);
	free(p->units);
	free(p->blen);
	free(p->ver);
	for (int i = 0; i < 3; i++)
		free(p->kbuf[i]);
	free(p->heap);
	free(p->memo_tag);
	free(p->memo_len);
}

int batch_plan_new(const struct layout *layout, const struct batch_order *orders, size_t norders,
                   const struct batch_cart *cart, const struct batch_options *opt,
                   struct batch_plan **out, struct wms_error *err)
{
	static const struct batch_options defaults = BATCH_OPTIONS_INIT;
	if (opt == NULL)
		opt = &defaults;
	int rc = validate(layout, orders, norders, cart, opt, err);
	if (rc)
		return rc;

	struct planner p;
	memset(&p, 0, sizeof(p));
	p.l = layout;
	p.orders = orders;
	p.n = norders;
	p.cart = *cart;
	p.k = opt->neighbours ? opt->neighbours : K_DEFAULT;
	size_t n1 = norders ? norders : 1;
	p.d1 = malloc(n1 * sizeof(*p.d1));
	p.bof = malloc(n1 * sizeof(*p.bof));
	p.next = malloc(n1 * sizeof(*p.next));
	p.head = malloc(n1 * sizeof(*p.head));
	p.cnt = calloc(n1, sizeof(*p.cnt));
	p.units = calloc(n1, sizeof(*p.units));
	p.blen = calloc(n1, sizeof(*p.blen));
	p.ver = calloc(n1, sizeof(*p.ver));
	rc = WMS_ENOMEM;
	if (p.d1 == NULL || p.bof == NULL || p.next == NULL || p.head == NULL || p.cnt == NULL ||
	    p.units == NULL || p.blen == NULL || p.ver == NULL)
		goto fail;
	if ((rc = route_ws_new(&p.ws)) || (rc = build_order_keys(&p)))
		goto fail;
	/* The memo pays off for savings plans; without it planning is only slower. */
	if (opt->method == BATCH_SAVINGS && norders > 1) {
		p.memo_tag = calloc(MEMO_SLOTS, sizeof(*p.memo_tag));
		p.memo_len = malloc(MEMO_SLOTS * sizeof(*p.memo_len));
		if (p.memo_tag == NULL || p.memo_len == NULL) {
			free(p.memo_tag);
			free(p.memo_len);
			p.memo_tag = NULL;
			p.memo_len = NULL;
		}
	}
	for (size_t i = 0; i < norders; i++) {
		p.head[i] = p.next[i] = NONE;
		if ((rc = keys_length(&p, &p.okeys[p.ko[i]], p.ko[i + 1] - p.ko[i], &p.d1[i])))
			goto fail;
	}
	if (opt->method == BATCH_SAVINGS)
		rc = plan_savings(&p, opt->passes < 0 ? PASSES_DFLT : opt->passes);
	else
		rc = plan_single_and_fcfs(&p, opt->method == BATCH_FCFS);
	if (rc || (rc = build_plan(&p, opt->compare, out)))
		goto fail;
	planner_release(&p);
	return 0;
fail:
	planner_release(&p);
	return wms_error_set(err, rc, NULL, "%s", wms_strerror(rc));
}

void batch_plan_free(struct batch_plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->batches);
	free(plan->orders);
	free(plan->stops);
	free(plan);
}
