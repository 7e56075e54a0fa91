/*
 * route.c - pick tours (see route.h).
 *
 * The exact router is Ratliff & Rosenthal's dynamic programme. The warehouse is a graph: per
 * aisle a front vertex a_j (on the front cross aisle), a back vertex b_j, and the pick points
 * between them. A tour is a connected multigraph with even degrees containing the depot and
 * every pick point. Sweeping the aisles left to right, a partial tour is summarised by the
 * degree of a_j and b_j (zero, odd, even) and whether they are connected; only seven such
 * classes can still be completed (enum rr_state). Each aisle adds one of six vertical
 * configurations (enum rr_vert), each gap between aisles 0..2 copies of the front and the back
 * cross-aisle edge. The transition tables are derived once per workspace from these rules
 * (rr_vert_step, rr_horiz_step), not typed in, so they cannot disagree with them.
 *
 * The depot is a required vertex on the front cross aisle: when it is not on an aisle's centre
 * line it gets a column of its own that cannot be entered (only "none" vertically). Columns
 * span the aisles between the leftmost and the rightmost required x, since a tour never gains
 * from walking beyond them.
 *
 * The chosen configuration is a multigraph with an Euler circuit; the first visits along it
 * give the order. Short-cutting a closed walk never makes it longer, and no order is shorter
 * than the optimum, so the order's legs sum to the optimum.
 *
 * Several blocks use the same argument with a wider frontier (fr_*, further down); beyond
 * ROUTE_EXACT_MAX_BLOCKS the frontier grows too wide and an improved S-shape order is used.
 */
#include "route.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum rr_state { S_EMPTY, S_UU, S_EE1, S_EE2, S_0E, S_E0, S_CLOSED, NSTATE };
enum rr_vert { V_PASS, V_DOUBLE, V_TOP, V_BOTTOM, V_GAP, V_NONE, NVOPT };
#define NHOPT 9 /* front copies f = h / 3, back copies k = h % 3 */

/* Degree classes of a frontier vertex. */
enum { D_ZERO = 0, D_ODD = 1, D_EVEN = 2 };

struct col {
	double x;
	int aisle;      /* 0: the depot's own column, between aisles */
	int depot;      /* the depot's front vertex is this column's a */
	uint32_t first; /* distinct points [first, first+count) lie in this aisle, ascending y */
	uint32_t count;
	uint32_t split; /* points [first, first+split) lie below the largest interior gap */
	double ymin, ymax, gap;
};

struct pick_ref {
	uint32_t key;
	uint32_t idx;
};

/* A point prepared for fast distances: the depot is block -1, aisle 0. */
struct fpt {
	double x, y;
	int aisle, block;
};

struct edge {
	uint32_t u, v;
};

/* One sub-aisle of a column: its points [first, first+count), y from the block's front. */
struct sub {
	uint32_t first, count, split;
	double ymin, ymax, gap;
};

struct fr_entry {
	double cost;
	uint32_t id;   /* frontier class */
	uint32_t prev; /* log index of the entry it came from */
	uint8_t opt;
};

/* One move of the length-only DP: from state s, option opt (or horizontal multiplier), to ns. */
struct rr_move {
	uint8_t s, opt, ns;
};

/* Column kinds of the length-only DP, by the vertical options they allow. */
enum { K_DEPOT, K_EMPTY, K_PICKS, K_GAP, NKIND };

struct route_ws {
	int8_t vtab[NSTATE][NVOPT];
	int8_t htab[NSTATE][NHOPT];
	uint8_t hreach[NSTATE][NHOPT]; /* the front vertex left behind has edges */
	/* The same tables flattened to the moves that exist, per column kind (vertical) and
	 * for columns with or without the depot (horizontal; opt is the multiplier of dx). */
	struct rr_move vmoves[NKIND][NSTATE * NVOPT];
	uint8_t nvmoves[NKIND];
	struct rr_move hmoves[2][NSTATE * NHOPT];
	uint8_t nhmoves[2];

	size_t cap_n;             /* picks */
	struct pick_ref *refs;    /* picks sorted by (key, index) */
	uint32_t *keys;           /* distinct keys, ascending */
	uint32_t *run;            /* [m+1]: refs[run[i]..run[i+1]) are at keys[i] */
	uint32_t *seq;            /* visit order, as indices into keys */
	uint32_t *tour;           /* [m+2] local search tour; m stands for the depot */
	uint8_t *seen;            /* [m] */
	struct fpt *pts;          /* [m+1] */
	size_t cap_e;             /* Euler graph */
	struct edge *edges;       /* [cap_e] */
	uint32_t *adj;            /* [2*cap_e] */
	uint32_t *stack;          /* [cap_e+1] */
	uint32_t *circuit;        /* [cap_e+1] */
	uint8_t *used;            /* [cap_e] */
	size_t cap_v;             /* vertices */
	uint32_t *head;           /* [cap_v+1] */
	uint32_t *ptr;            /* [cap_v] */
	size_t cap_cols;          /* columns */
	struct col *cols;         /* [cap_cols] */
	uint8_t *back_v, *back_h; /* [cap_cols*NSTATE] DP back pointers: prev << 4 | option */
	uint8_t *vopt, *hopt;     /* [cap_cols] the chosen options */
	/* exact multi-block DP (fr_*): frontier classes are interned once per workspace and
	 * their transitions cached, so a warm workspace routes without recomputing them */
	int fr_width;        /* frontier vertices the cache below was built for, 0 = none */
	size_t fr_nops;      /* transitions per class */
	size_t fr_n, fr_cap; /* classes */
	uint64_t *fr_state;  /* [fr_cap] */
	int32_t *fr_next;    /* [fr_cap * fr_nops]: FR_UNKNOWN, -1 (impossible) or an id */
	uint32_t *fr_bidx;   /* [fr_cap] the stage's log entry of each class */
	uint32_t *fr_stamp;  /* [fr_cap] the stage that wrote fr_bidx */
	uint32_t fr_gen;
	uint32_t *fr_hash; /* open addressing: id + 1, 0 = free */
	size_t fr_hcap;
	struct fr_entry *fr_log; /* DP entries, stage after stage */
	size_t fr_caplog;
	uint32_t *fr_stage; /* [stages + 1] first log entry of each stage */
	uint8_t *fr_opt;    /* [stages] chosen option */
	size_t cap_stage;
	struct sub *subs; /* [cap_subs]: per column, per block */
	size_t cap_subs;
	size_t cap_sub;      /* sub-aisles (aisles * blocks) */
	uint32_t *sub_first; /* [cap_sub] */
	uint32_t *sub_count; /* [cap_sub], zeroed as S-shape picks them */
};

/* ---- transition tables ------------------------------------------------------------------ */

static int deg_add(int d, int add)
{
	if (add == 0)
		return d;
	return ((d == D_ODD) + add) % 2 ? D_ODD : D_EVEN;
}

/* Frontier labels: -1 = no edges; a and b share a label when connected. */
static void rr_decode(int s, int *da, int *db, int *la, int *lb)
{
	static const int8_t tab[NSTATE][4] = {
		[S_EMPTY] = { D_ZERO, D_ZERO, -1, -1 },  [S_UU] = { D_ODD, D_ODD, 0, 0 },
		[S_EE1] = { D_EVEN, D_EVEN, 0, 0 },      [S_EE2] = { D_EVEN, D_EVEN, 0, 1 },
		[S_0E] = { D_ZERO, D_EVEN, -1, 0 },      [S_E0] = { D_EVEN, D_ZERO, 0, -1 },
		[S_CLOSED] = { D_ZERO, D_ZERO, -1, -1 },
	};
	*da = tab[s][0];
	*db = tab[s][1];
	*la = tab[s][2];
	*lb = tab[s][3];
}

/* The class of a frontier with both vertices' degrees and connectivity; -1 if impossible. */
static int rr_encode(int da, int db, int same)
{
	if (da && db) {
		if (same)
			return da == D_ODD && db == D_ODD     ? S_UU
			       : da == D_EVEN && db == D_EVEN ? S_EE1
			                                      : -1;
		return da == D_EVEN && db == D_EVEN ? S_EE2 : -1;
	}
	if (da)
		return da == D_EVEN ? S_E0 : -1;
	if (db)
		return db == D_EVEN ? S_0E : -1;
	return -1;
}

static int rr_vert_step(int s, int t)
{
	/* Copies added to the a-end and the b-end, and whether they become connected. */
	static const int8_t add[NVOPT][3] = {
		[V_PASS] = { 1, 1, 1 },   [V_DOUBLE] = { 2, 2, 1 }, [V_TOP] = { 0, 2, 0 },
		[V_BOTTOM] = { 2, 0, 0 }, [V_GAP] = { 2, 2, 0 },    [V_NONE] = { 0, 0, 0 },
	};
	if (s == S_CLOSED)
		return t == V_NONE ? S_CLOSED : -1;
	int da, db, la, lb;
	rr_decode(s, &da, &db, &la, &lb);
	if (add[t][0] && la < 0)
		la = 2;
	if (add[t][1] && lb < 0)
		lb = 3;
	int same = add[t][2] || (la >= 0 && la == lb);
	da = deg_add(da, add[t][0]);
	db = deg_add(db, add[t][1]);
	if (!da && !db)
		return s == S_EMPTY ? S_EMPTY : -1;
	return rr_encode(da, db, same);
}

static int uf_find(int *p, int i)
{
	while (p[i] != i)
		i = p[i];
	return i;
}

static void uf_join(int *p, int i, int j)
{
	i = uf_find(p, i);
	j = uf_find(p, j);
	if (i != j)
		p[j] = i;
}

/*
 * From a_j, b_j to a_j+1, b_j+1 with F front and K back copies. a_j and b_j then keep their
 * degree for good, so it must be even; a component that no longer reaches the frontier is
 * finished, which is only allowed when it is the whole tour (S_CLOSED).
 */
static int rr_horiz_step(int s, int f, int k, int *reach)
{
	*reach = 0;
	if (s == S_CLOSED)
		return (f || k) ? -1 : S_CLOSED;
	int da, db, la, lb;
	rr_decode(s, &da, &db, &la, &lb);
	if (deg_add(da, f) == D_ODD || deg_add(db, k) == D_ODD)
		return -1;
	*reach = da || f;
	/* nodes: 0 = a_j, 1 = b_j, 2 = a_j+1, 3 = b_j+1 */
	int p[4] = { 0, 1, 2, 3 };
	int present[4] = { da || f, db || k, f > 0, k > 0 };
	if (la >= 0 && la == lb)
		uf_join(p, 0, 1);
	if (f)
		uf_join(p, 0, 2);
	if (k)
		uf_join(p, 1, 3);
	int closed_roots[2], nclosed = 0;
	for (int i = 0; i < 2; i++) {
		if (!present[i])
			continue;
		int r = uf_find(p, i);
		int frontier = (f && uf_find(p, 2) == r) || (k && uf_find(p, 3) == r);
		if (frontier || (nclosed && closed_roots[0] == r))
			continue;
		closed_roots[nclosed++] = r;
	}
	if (nclosed)
		return (nclosed == 1 && !f && !k) ? S_CLOSED : -1;
	if (!f && !k)
		return S_EMPTY; /* nothing present: only reachable from S_EMPTY */
	int same = f && k && uf_find(p, 2) == uf_find(p, 3);
	return rr_encode(f == 0   ? D_ZERO
	                 : f == 1 ? D_ODD
	                          : D_EVEN,
	                 k == 0   ? D_ZERO
	                 : k == 1 ? D_ODD
	                          : D_EVEN,
	                 same);
}

/* The vertical options a column of each kind allows (rr_solve says why). */
static unsigned rr_allowed(int kind)
{
	switch (kind) {
	case K_DEPOT:
		return 1u << V_NONE;
	case K_EMPTY:
		return 1u << V_PASS | 1u << V_DOUBLE | 1u << V_NONE;
	case K_PICKS:
		return 1u << V_PASS | 1u << V_DOUBLE | 1u << V_TOP | 1u << V_BOTTOM;
	default:
		return 1u << V_PASS | 1u << V_DOUBLE | 1u << V_TOP | 1u << V_BOTTOM | 1u << V_GAP;
	}
}

static void rr_build_tables(struct route_ws *ws)
{
	/* Ratliff & Rosenthal: (0,0), (1,1), (2,0), (0,2), (2,2) copies suffice (rr_solve). */
	static const uint8_t hopts[] = { 0, 4, 6, 2, 8 };
	for (int s = 0; s < NSTATE; s++) {
		for (int t = 0; t < NVOPT; t++)
			ws->vtab[s][t] = (int8_t)rr_vert_step(s, t);
		for (int h = 0; h < NHOPT; h++) {
			int reach;
			ws->htab[s][h] = (int8_t)rr_horiz_step(s, h / 3, h % 3, &reach);
			ws->hreach[s][h] = (uint8_t)reach;
		}
	}
	for (int kind = 0; kind < NKIND; kind++) {
		unsigned allowed = rr_allowed(kind);
		uint8_t n = 0;
		for (int s = 0; s < NSTATE; s++)
			for (int t = 0; t < NVOPT; t++)
				if ((allowed >> t & 1) && ws->vtab[s][t] >= 0)
					ws->vmoves[kind][n++] =
					    (struct rr_move){ (uint8_t)s, (uint8_t)t,
						              (uint8_t)ws->vtab[s][t] };
		ws->nvmoves[kind] = n;
	}
	for (int depot = 0; depot < 2; depot++) {
		uint8_t n = 0;
		for (int s = 0; s < NSTATE; s++)
			for (size_t i = 0; i < sizeof(hopts); i++) {
				int h = hopts[i], ns = ws->htab[s][h];
				if (ns < 0 || (depot && !ws->hreach[s][h]))
					continue;
				ws->hmoves[depot][n++] =
				    (struct rr_move){ (uint8_t)s, (uint8_t)(h / 3 + h % 3),
					              (uint8_t)ns };
			}
		ws->nhmoves[depot] = n;
	}
}

/* ---- workspace -------------------------------------------------------------------------- */

int route_ws_new(struct route_ws **out)
{
	struct route_ws *ws = calloc(1, sizeof(*ws));
	if (ws == NULL)
		return WMS_ENOMEM;
	rr_build_tables(ws);
	*out = ws;
	return 0;
}

void route_ws_free(struct route_ws *ws)
{
	if (ws == NULL)
		return;
	free(ws->refs);
	free(ws->keys);
	free(ws->run);
	free(ws->seq);
	free(ws->tour);
	free(ws->seen);
	free(ws->pts);
	free(ws->edges);
	free(ws->adj);
	free(ws->stack);
	free(ws->circuit);
	free(ws->used);
	free(ws->head);
	free(ws->ptr);
	free(ws->cols);
	free(ws->back_v);
	free(ws->back_h);
	free(ws->vopt);
	free(ws->hopt);
	free(ws->sub_first);
	free(ws->sub_count);
	free(ws->fr_state);
	free(ws->fr_next);
	free(ws->fr_bidx);
	free(ws->fr_stamp);
	free(ws->fr_hash);
	free(ws->fr_log);
	free(ws->fr_stage);
	free(ws->fr_opt);
	free(ws->subs);
	free(ws);
}

/* realloc that keeps the old block on failure; sizes are element counts. */
static int grow(void **p, size_t count, size_t size)
{
	size_t bytes = count * size;
	void *q = realloc(*p, bytes > 0 ? bytes : 1);
	if (q == NULL)
		return WMS_ENOMEM;
	*p = q;
	return 0;
}

/* Capacity for N picks on LAYOUT; amortised doubling so a warm workspace never allocates. */
static int ws_reserve(struct route_ws *ws, const struct layout *l, size_t n)
{
	size_t cols = (size_t)l->p.aisles + 1;
	size_t sub = (size_t)l->p.aisles * (size_t)l->p.blocks;
	if (n > ws->cap_n || ws->cap_n == 0) {
		size_t c = ws->cap_n ? ws->cap_n : 64;
		while (c < n)
			c *= 2;
		if (grow((void **)&ws->refs, c, sizeof(*ws->refs)) ||
		    grow((void **)&ws->keys, c, sizeof(*ws->keys)) ||
		    grow((void **)&ws->run, c + 1, sizeof(*ws->run)) ||
		    grow((void **)&ws->seq, c, sizeof(*ws->seq)) ||
		    grow((void **)&ws->tour, c + 2, sizeof(*ws->tour)) ||
		    grow((void **)&ws->seen, c, sizeof(*ws->seen)) ||
		    grow((void **)&ws->pts, c + 1, sizeof(*ws->pts)))
			return WMS_ENOMEM;
		ws->cap_n = c;
	}
	if (cols > ws->cap_cols) {
		if (grow((void **)&ws->cols, cols, sizeof(*ws->cols)) ||
		    grow((void **)&ws->back_v, cols * NSTATE, 1) ||
		    grow((void **)&ws->back_h, cols * NSTATE, 1) ||
		    grow((void **)&ws->vopt, cols, 1) || grow((void **)&ws->hopt, cols, 1))
			return WMS_ENOMEM;
		ws->cap_cols = cols;
	}
	/* Per sub-aisle at most 2*(points+1) vertical edges, per gap 2 per cross aisle. */
	size_t nb = (size_t)l->p.blocks;
	size_t ne = 2 * ws->cap_n + ws->cap_cols * (4 * nb + 6);
	if (ne > ws->cap_e) {
		if (grow((void **)&ws->edges, ne, sizeof(*ws->edges)) ||
		    grow((void **)&ws->adj, 2 * ne, sizeof(*ws->adj)) ||
		    grow((void **)&ws->stack, ne + 1, sizeof(*ws->stack)) ||
		    grow((void **)&ws->circuit, ne + 1, sizeof(*ws->circuit)) ||
		    grow((void **)&ws->used, ne, 1))
			return WMS_ENOMEM;
		ws->cap_e = ne;
	}
	size_t nv = ws->cap_cols * (nb + 2) + ws->cap_n;
	if (nv > ws->cap_v) {
		if (grow((void **)&ws->head, nv + 1, sizeof(*ws->head)) ||
		    grow((void **)&ws->ptr, nv, sizeof(*ws->ptr)))
			return WMS_ENOMEM;
		ws->cap_v = nv;
	}
	if (cols * nb > ws->cap_subs) {
		if (grow((void **)&ws->subs, cols * nb, sizeof(*ws->subs)))
			return WMS_ENOMEM;
		ws->cap_subs = cols * nb;
	}
	if (cols * (2 * nb + 1) > ws->cap_stage) {
		size_t st = cols * (2 * nb + 1);
		if (grow((void **)&ws->fr_stage, st + 1, sizeof(*ws->fr_stage)) ||
		    grow((void **)&ws->fr_opt, st, 1))
			return WMS_ENOMEM;
		ws->cap_stage = st;
	}
	if (sub > ws->cap_sub) {
		if (grow((void **)&ws->sub_first, sub, sizeof(*ws->sub_first)) ||
		    grow((void **)&ws->sub_count, sub, sizeof(*ws->sub_count)))
			return WMS_ENOMEM;
		ws->cap_sub = sub;
	}
	return 0;
}

/* ---- input ------------------------------------------------------------------------------ */

static int ref_cmp(const void *pa, const void *pb)
{
	const struct pick_ref *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorts the picks into distinct keys; returns the number of distinct points in *M. */
static int prepare_picks(struct route_ws *ws, const struct layout *l,
                         const struct layout_point *picks, size_t n, size_t *m)
{
	if (n > ROUTE_MAX_PICKS)
		return WMS_ERANGE;
	int rc = ws_reserve(ws, l, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (picks[i].aisle == 0 || !layout_point_valid(l, &picks[i]))
			return WMS_ELOCATION;
		ws->refs[i].key = layout_point_key(&picks[i]);
		ws->refs[i].idx = (uint32_t)i;
	}
	/* Insertion sort for the usual short pick lists: qsort's call overhead dominates there. */
	if (n <= 64) {
		for (size_t i = 1; i < n; i++) {
			struct pick_ref r = ws->refs[i];
			size_t j = i;
			while (j > 0 && ref_cmp(&ws->refs[j - 1], &r) > 0) {
				ws->refs[j] = ws->refs[j - 1];
				j--;
			}
			ws->refs[j] = r;
		}
	} else {
		qsort(ws->refs, n, sizeof(*ws->refs), ref_cmp);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || ws->refs[i].key != ws->refs[i - 1].key) {
			ws->keys[k] = ws->refs[i].key;
			ws->run[k] = (uint32_t)i;
			k++;
		}
	}
	ws->run[k] = (uint32_t)n;
	*m = k;
	return 0;
}

/* Keys handed in directly must be valid, ascending and distinct. */
static int check_keys(struct route_ws *ws, const struct layout *l, const uint32_t *keys, size_t m)
{
	if (m > ROUTE_MAX_PICKS)
		return WMS_ERANGE;
	int rc = ws_reserve(ws, l, m);
	if (rc)
		return rc;
	for (size_t i = 0; i < m; i++) {
		struct layout_point p = layout_key_point(keys[i]);
		if (p.aisle == 0 || !layout_point_valid(l, &p))
			return WMS_ELOCATION;
		if (i > 0 && keys[i] <= keys[i - 1])
			return WMS_EVALUE;
	}
	return 0;
}

static double key_y(const struct layout *l, uint32_t key)
{
	struct layout_point p = layout_key_point(key);
	return p.block * l->block_len + l->p.end_gap + (p.position - 0.5) * l->p.slot_length;
}

static int key_aisle(uint32_t key)
{
	return layout_key_point(key).aisle;
}

static double aisle_x(const struct layout *l, int a)
{
	return (a - 1) * l->p.aisle_spacing;
}

/* Writes the pick indices of the visit order SEQ (M distinct points) into ORDER. */
static void expand_order(const struct route_ws *ws, size_t m, size_t *order)
{
	size_t o = 0;
	for (size_t i = 0; i < m; i++) {
		uint32_t k = ws->seq[i];
		for (uint32_t r = ws->run[k]; r < ws->run[k + 1]; r++)
			order[o++] = ws->refs[r].idx;
	}
}

/* ---- exact single-block routing --------------------------------------------------------- */

static void add_column(struct route_ws *ws, size_t *nc, double x, int aisle, int depot)
{
	struct col *c = &ws->cols[(*nc)++];
	memset(c, 0, sizeof(*c));
	c->x = x;
	c->aisle = aisle;
	c->depot = depot;
}

/* Columns from the leftmost to the rightmost required x, with each aisle's pick summary. */
static size_t rr_columns(struct route_ws *ws, const struct layout *l, const uint32_t *keys,
                         size_t m)
{
	double xlo = aisle_x(l, key_aisle(keys[0])), xhi = aisle_x(l, key_aisle(keys[m - 1]));
	if (l->depot_x < xlo)
		xlo = l->depot_x;
	if (l->depot_x > xhi)
		xhi = l->depot_x;
	size_t nc = 0, k = 0;
	int depot_done = 0;
	for (int a = 1; a <= l->p.aisles; a++) {
		double x = aisle_x(l, a);
		if (x < xlo || x > xhi)
			continue;
		if (!depot_done && l->depot_on == 0 && l->depot_x < x) {
			add_column(ws, &nc, l->depot_x, 0, 1);
			depot_done = 1;
		}
		add_column(ws, &nc, x, a, a == l->depot_on);
		struct col *c = &ws->cols[nc - 1];
		while (k < m && key_aisle(keys[k]) < a)
			k++;
		c->first = (uint32_t)k;
		double prev = 0;
		while (k < m && key_aisle(keys[k]) == a) {
			double y = key_y(l, keys[k]);
			if (c->count == 0) {
				c->ymin = y;
			} else if (y - prev > c->gap) {
				c->gap = y - prev;
				c->split = c->count;
			}
			c->ymax = prev = y;
			c->count++;
			k++;
		}
	}
	if (!depot_done && l->depot_on == 0)
		add_column(ws, &nc, l->depot_x, 0, 1);
	return nc;
}

/*
 * The DP over NC columns; fills ws->vopt/hopt with the chosen configuration and *COST with
 * its length (without the depot offset).
 */
static void rr_solve(struct route_ws *ws, const struct layout *l, size_t nc, double *cost)
{
	/* Ratliff & Rosenthal show that (0,0), (1,1), (2,0), (0,2), (2,2) copies of the front and
	 * back edge suffice; (1,0)-like choices break parity, (2,1)-like ones are dominated. */
	static const uint8_t hopts[] = { 0, 4, 6, 2, 8 };
	const double inf = HUGE_VAL, len = l->block_len;
	double cm[NSTATE], cp[NSTATE], vc[NVOPT];
	for (int s = 0; s < NSTATE; s++)
		cm[s] = inf;
	cm[S_EMPTY] = 0;
	for (size_t c = 0;; c++) {
		const struct col *col = &ws->cols[c];
		unsigned allowed;
		if (col->aisle == 0) {
			allowed = 1u << V_NONE;
		} else if (col->count == 0) {
			allowed = 1u << V_PASS | 1u << V_DOUBLE | 1u << V_NONE;
		} else {
			allowed = 1u << V_PASS | 1u << V_DOUBLE | 1u << V_TOP | 1u << V_BOTTOM;
			if (col->count > 1 && col->gap > 0)
				allowed |= 1u << V_GAP;
		}
		vc[V_PASS] = len;
		vc[V_DOUBLE] = 2 * len;
		vc[V_TOP] = 2 * (len - col->ymin);
		vc[V_BOTTOM] = 2 * col->ymax;
		vc[V_GAP] = 2 * (len - col->gap);
		vc[V_NONE] = 0;
		for (int s = 0; s < NSTATE; s++)
			cp[s] = inf;
		uint8_t *bv = &ws->back_v[c * NSTATE];
		for (int s = 0; s < NSTATE; s++) {
			if (cm[s] == inf)
				continue;
			for (int t = 0; t < NVOPT; t++) {
				int ns = ws->vtab[s][t];
				if (!(allowed >> t & 1) || ns < 0)
					continue;
				double v = cm[s] + vc[t];
				if (v < cp[ns]) {
					cp[ns] = v;
					bv[ns] = (uint8_t)(s << 4 | t);
				}
			}
		}
		if (c + 1 == nc)
			break;
		double dx = ws->cols[c + 1].x - col->x;
		for (int s = 0; s < NSTATE; s++)
			cm[s] = inf;
		uint8_t *bh = &ws->back_h[c * NSTATE];
		for (int s = 0; s < NSTATE; s++) {
			if (cp[s] == inf)
				continue;
			for (size_t hi = 0; hi < sizeof(hopts) / sizeof(hopts[0]); hi++) {
				int h = hopts[hi], ns = ws->htab[s][h];
				if (ns < 0 || (col->depot && !ws->hreach[s][h]))
					continue;
				double v = cp[s] + (h / 3 + h % 3) * dx;
				if (v < cm[ns]) {
					cm[ns] = v;
					bh[ns] = (uint8_t)(s << 4 | h);
				}
			}
		}
	}
	/* A finished tour: even degrees, one component, the depot on it. */
	static const int finals[] = { S_EE1, S_E0, S_0E, S_CLOSED };
	int last_depot = ws->cols[nc - 1].depot, best = -1;
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		int s = finals[i];
		if (last_depot && s != S_EE1 && s != S_E0)
			continue;
		if (cp[s] < inf && (best < 0 || cp[s] < cp[best]))
			best = s;
	}
	/* A finished tour always exists: the configuration "everything doubled" is one. */
	assert(best >= 0);
	*cost = cp[best];
	int s = best;
	for (size_t c = nc; c-- > 0;) {
		uint8_t bv = ws->back_v[c * NSTATE + s];
		ws->vopt[c] = bv & 15;
		s = bv >> 4;
		if (c > 0) {
			uint8_t bh = ws->back_h[(c - 1) * NSTATE + s];
			ws->hopt[c - 1] = bh & 15;
			s = bh >> 4;
		}
	}
}

/*
 * rr_solve's programme without its back pointers, for callers that need the length only (the
 * batching inner loop): the same sums in the same order, so the same cost to the bit, over
 * the moves that exist for each column instead of every (state, option) pair.
 */
static double rr_cost(const struct route_ws *ws, const struct layout *l, size_t nc)
{
	const double inf = HUGE_VAL, len = l->block_len;
	double cm[NSTATE], cp[NSTATE], vc[NVOPT];
	for (int s = 0; s < NSTATE; s++)
		cm[s] = inf;
	cm[S_EMPTY] = 0;
	vc[V_PASS] = len;
	vc[V_DOUBLE] = 2 * len;
	vc[V_NONE] = 0;
	for (size_t c = 0;; c++) {
		const struct col *col = &ws->cols[c];
		int kind = col->aisle == 0    ? K_DEPOT
		           : col->count == 0  ? K_EMPTY
		           : col->count > 1 && col->gap > 0 ? K_GAP
		                                            : K_PICKS;
		vc[V_TOP] = 2 * (len - col->ymin);
		vc[V_BOTTOM] = 2 * col->ymax;
		vc[V_GAP] = 2 * (len - col->gap);
		for (int s = 0; s < NSTATE; s++)
			cp[s] = inf;
		const struct rr_move *mv = ws->vmoves[kind];
		for (uint8_t i = 0; i < ws->nvmoves[kind]; i++) {
			double v = cm[mv[i].s] + vc[mv[i].opt];
			if (v < cp[mv[i].ns])
				cp[mv[i].ns] = v;
		}
		if (c + 1 == nc)
			break;
		double dx = ws->cols[c + 1].x - col->x;
		for (int s = 0; s < NSTATE; s++)
			cm[s] = inf;
		int d = col->depot != 0;
		mv = ws->hmoves[d];
		for (uint8_t i = 0; i < ws->nhmoves[d]; i++) {
			double v = cp[mv[i].s] + mv[i].opt * dx;
			if (v < cm[mv[i].ns])
				cm[mv[i].ns] = v;
		}
	}
	double best = inf;
	if (ws->cols[nc - 1].depot) {
		best = cp[S_EE1] < cp[S_E0] ? cp[S_EE1] : cp[S_E0];
	} else {
		static const int finals[] = { S_EE1, S_E0, S_0E, S_CLOSED };
		for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
			if (cp[finals[i]] < best)
				best = cp[finals[i]];
	}
	assert(best < inf); /* "everything doubled" is always a finished tour */
	return best;
}

static void add_edges(struct route_ws *ws, size_t *ne, uint32_t u, uint32_t v, int copies)
{
	for (int i = 0; i < copies; i++) {
		ws->edges[*ne].u = u;
		ws->edges[*ne].v = v;
		(*ne)++;
	}
}

/* A chain of edges from vertex FROM through points first..last (step DIR) to TO (or none). */
static void add_chain(struct route_ws *ws, size_t *ne, uint32_t base, uint32_t from, long first,
                      long last, long dir, int has_to, uint32_t to, int copies)
{
	uint32_t prev = from;
	for (long i = first; dir > 0 ? i <= last : i >= last; i += dir) {
		add_edges(ws, ne, prev, base + (uint32_t)i, copies);
		prev = base + (uint32_t)i;
	}
	if (has_to)
		add_edges(ws, ne, prev, to, copies);
}

/* Edges of one sub-aisle configuration between end vertices A (front) and B (back) over the
 * points [first, first+count), split as for V_GAP. */
static void sub_edges(struct route_ws *ws, size_t *ne, uint32_t base, uint32_t a, uint32_t b,
                      uint32_t first, uint32_t count, uint32_t split, int opt)
{
	long f = first, lst = (long)first + (long)count - 1;
	switch (opt) {
	case V_PASS:
	case V_DOUBLE:
		add_chain(ws, ne, base, a, f, lst, 1, 1, b, opt == V_PASS ? 1 : 2);
		break;
	case V_TOP:
		add_chain(ws, ne, base, b, lst, f, -1, 0, 0, 2);
		break;
	case V_BOTTOM:
		add_chain(ws, ne, base, a, f, lst, 1, 0, 0, 2);
		break;
	case V_GAP:
		add_chain(ws, ne, base, a, f, f + (long)split - 1, 1, 0, 0, 2);
		add_chain(ws, ne, base, b, lst, f + (long)split, -1, 0, 0, 2);
		break;
	default:
		break;
	}
}

/*
 * The first visits of the M points (vertices BASE..BASE+M-1) along an Euler circuit of the NE
 * edges in ws->edges over NV vertices, from START, into ws->seq.
 */
static void euler_visits(struct route_ws *ws, size_t ne, size_t nv, uint32_t start, uint32_t base,
                         size_t m)
{
	/* Adjacency in insertion order, so the circuit (and the order) is deterministic. */
	memset(ws->head, 0, (nv + 1) * sizeof(*ws->head));
	for (size_t e = 0; e < ne; e++) {
		ws->head[ws->edges[e].u + 1]++;
		ws->head[ws->edges[e].v + 1]++;
	}
	for (size_t v = 0; v < nv; v++)
		ws->head[v + 1] += ws->head[v];
	memcpy(ws->ptr, ws->head, nv * sizeof(*ws->ptr));
	for (size_t e = 0; e < ne; e++) {
		ws->adj[ws->ptr[ws->edges[e].u]++] = (uint32_t)e;
		ws->adj[ws->ptr[ws->edges[e].v]++] = (uint32_t)e;
	}
	memcpy(ws->ptr, ws->head, nv * sizeof(*ws->ptr));
	memset(ws->used, 0, ne);
	/* Hierholzer, iteratively. */
	size_t sp = 0, nout = 0;
	ws->stack[sp++] = start;
	while (sp > 0) {
		uint32_t v = ws->stack[sp - 1];
		while (ws->ptr[v] < ws->head[v + 1] && ws->used[ws->adj[ws->ptr[v]]])
			ws->ptr[v]++;
		if (ws->ptr[v] < ws->head[v + 1]) {
			uint32_t e = ws->adj[ws->ptr[v]++];
			ws->used[e] = 1;
			ws->stack[sp++] = ws->edges[e].u == v ? ws->edges[e].v : ws->edges[e].u;
		} else {
			ws->circuit[nout++] = v;
			sp--;
		}
	}
	memset(ws->seen, 0, m);
	size_t k = 0;
	for (size_t i = 0; i < nout; i++) {
		uint32_t v = ws->circuit[i];
		if (v >= base && !ws->seen[v - base]) {
			ws->seen[v - base] = 1;
			ws->seq[k++] = v - base;
		}
	}
}

/* Builds the chosen multigraph and writes the first-visit order of its Euler circuit. */
static void rr_order(struct route_ws *ws, size_t nc, size_t m)
{
	uint32_t base = (uint32_t)(2 * nc), start = 0;
	size_t ne = 0;
	for (size_t c = 0; c < nc; c++) {
		const struct col *col = &ws->cols[c];
		uint32_t a = (uint32_t)(2 * c), b = a + 1;
		if (col->depot)
			start = a;
		sub_edges(ws, &ne, base, a, b, col->first, col->count, col->split, ws->vopt[c]);
		if (c + 1 < nc) {
			add_edges(ws, &ne, a, a + 2, ws->hopt[c] / 3);
			add_edges(ws, &ne, b, b + 2, ws->hopt[c] % 3);
		}
	}
	euler_visits(ws, ne, 2 * nc + m, start, base, m);
}

/* ---- heuristic walks -------------------------------------------------------------------- */

struct walk {
	double x, y, len;
	size_t k; /* points appended to ws->seq */
};

static void walk_h(struct walk *w, double x)
{
	w->len += fabs(x - w->x);
	w->x = x;
}

static void walk_v(struct walk *w, double y)
{
	w->len += fabs(y - w->y);
	w->y = y;
}

/* Appends the points [first, first+count) in ascending or descending order. */
static void walk_pick(struct route_ws *ws, struct walk *w, uint32_t first, uint32_t count, int up)
{
	for (uint32_t i = 0; i < count; i++)
		ws->seq[w->k++] = up ? first + i : first + count - 1 - i;
}

/* Fills sub_first/sub_count per (aisle, block); returns the farthest block with picks. */
static int index_sub_aisles(struct route_ws *ws, const struct layout *l, const uint32_t *keys,
                            size_t m)
{
	int nb = l->p.blocks, far = 0;
	memset(ws->sub_count, 0, (size_t)l->p.aisles * (size_t)nb * sizeof(*ws->sub_count));
	for (size_t i = 0; i < m; i++) {
		struct layout_point p = layout_key_point(keys[i]);
		size_t s = (size_t)(p.aisle - 1) * (size_t)nb + (size_t)p.block;
		if (ws->sub_count[s]++ == 0)
			ws->sub_first[s] = (uint32_t)i;
		if (p.block > far)
			far = p.block;
	}
	return far;
}

/*
 * The S-shape walk of Roodbergen & de Koster (2001), for any number of blocks; with one block
 * it is the classic traversal policy. The picker starts with the leftmost or the rightmost pick
 * aisle, whichever is closer to the depot; MIRROR runs the same steps right to left.
 */
static double sshape_walk(struct route_ws *ws, const struct layout *l, const uint32_t *keys,
                          size_t m, int mirror)
{
	const int na = l->p.aisles, nb = l->p.blocks;
	const double bl = l->block_len;
	int far = index_sub_aisles(ws, l, keys, m);
#define REAL(i)   (mirror ? na + 1 - (i) : (i))
#define SUB(i, b) ((size_t)(REAL(i) - 1) * (size_t)nb + (size_t)(b))
	int rem[LAYOUT_MAX_BLOCKS] = { 0 };
	int left = 0;
	for (int i = 1; i <= na; i++) {
		for (int b = 0; b < nb; b++) {
			if (ws->sub_count[SUB(i, b)]) {
				rem[b]++;
				if (!left)
					left = i;
			}
		}
	}
	struct walk w = { l->depot_x, -l->p.depot_offset, 0, 0 };
	walk_v(&w, 0);
	walk_h(&w, aisle_x(l, REAL(left)));
	/* Up the left pick aisle to the farthest block, picking on the way. */
	for (int b = 0; b < far; b++) {
		size_t s = SUB(left, b);
		if (ws->sub_count[s]) {
			walk_pick(ws, &w, ws->sub_first[s], ws->sub_count[s], 1);
			ws->sub_count[s] = 0;
			rem[b]--;
		}
	}
	walk_v(&w, far * bl);
	/* The farthest block's first sub-aisle with picks. */
	int a1 = left;
	while (!ws->sub_count[SUB(a1, far)])
		a1++;
	walk_h(&w, aisle_x(l, REAL(a1)));
	size_t s1 = SUB(a1, far);
	walk_pick(ws, &w, ws->sub_first[s1], ws->sub_count[s1], 1);
	int b;
	if (rem[far] == 1) {
		walk_v(&w, key_y(l, keys[ws->sub_first[s1] + ws->sub_count[s1] - 1]));
		walk_v(&w, far * bl);
		b = far - 1;
	} else {
		walk_v(&w, (far + 1) * bl);
		b = far;
	}
	ws->sub_count[s1] = 0;
	rem[far]--;
	/* Blocks from the farthest towards the depot; the picker is at the back of block b. */
	for (; b >= 0; b--) {
		if (rem[b] == 0) {
			walk_v(&w, b * bl);
			continue;
		}
		int lm = 1, rm = na;
		while (!ws->sub_count[SUB(lm, b)])
			lm++;
		while (!ws->sub_count[SUB(rm, b)])
			rm--;
		double dl = fabs(aisle_x(l, REAL(lm)) - w.x), dr = fabs(aisle_x(l, REAL(rm)) - w.x);
		int dir = dr < dl ? -1 : 1, at_back = 1;
		while (rem[b] > 0) {
			int next = lm;
			if (dir < 0)
				for (next = rm; !ws->sub_count[SUB(next, b)]; next--)
					;
			else
				for (next = lm; !ws->sub_count[SUB(next, b)]; next++)
					;
			size_t s = SUB(next, b);
			walk_h(&w, aisle_x(l, REAL(next)));
			if (at_back) {
				walk_pick(ws, &w, ws->sub_first[s], ws->sub_count[s], 0);
				walk_v(&w, b * bl);
			} else if (rem[b] > 1) {
				walk_pick(ws, &w, ws->sub_first[s], ws->sub_count[s], 1);
				walk_v(&w, (b + 1) * bl);
			} else {
				/* The last sub-aisle, entered from the front: in and back out. */
				walk_pick(ws, &w, ws->sub_first[s], ws->sub_count[s], 1);
				walk_v(&w, key_y(l, keys[ws->sub_first[s] + ws->sub_count[s] - 1]));
				walk_v(&w, b * bl);
			}
			at_back = w.y > b * bl;
			ws->sub_count[s] = 0;
			rem[b]--;
		}
	}
	walk_h(&w, l->depot_x);
	walk_v(&w, -l->p.depot_offset);
#undef REAL
#undef SUB
	return w.len;
}

/* The side the S-shape starts from: the pick aisle at the other end only if it is closer. */
static int sshape_mirror(const struct layout *l, const uint32_t *keys, size_t m)
{
	double xl = aisle_x(l, key_aisle(keys[0])), xr = aisle_x(l, key_aisle(keys[m - 1]));
	return fabs(xr - l->depot_x) < fabs(l->depot_x - xl);
}

/*
 * The largest-gap walk on one block: the outer pick aisles are traversed; every other pick
 * aisle is entered from the front and from the back up to its largest gap. Front parts left of
 * the depot are picked on the way out, the others on the way back.
 */
static double lgap_walk(struct route_ws *ws, const struct layout *l, const uint32_t *keys, size_t m)
{
	size_t nc = rr_columns(ws, l, keys, m);
	const double bl = l->block_len;
	struct walk w = { l->depot_x, -l->p.depot_offset, 0, 0 };
	size_t cl = nc, cr = 0;
	for (size_t c = 0; c < nc; c++) {
		if (ws->cols[c].count) {
			if (cl == nc)
				cl = c;
			cr = c;
		}
	}
	walk_v(&w, 0);
	if (cl == cr) {
		const struct col *c = &ws->cols[cl];
		walk_h(&w, c->x);
		walk_pick(ws, &w, c->first, c->count, 1);
		walk_v(&w, c->ymax);
		walk_v(&w, 0);
		goto home;
	}
	/* Split each middle aisle at its largest gap, the aisle's ends included. */
	for (size_t c = cl + 1; c < cr; c++) {
		struct col *col = &ws->cols[c];
		if (!col->count)
			continue;
		double front = col->ymin, back = bl - col->ymax;
		if (front >= col->gap && front >= back)
			col->split = 0;
		else if (back >= col->gap)
			col->split = col->count;
	}
	for (size_t c = cr; c-- > cl + 1;) {
		const struct col *col = &ws->cols[c];
		if (col->count && col->split && col->x < l->depot_x) {
			walk_h(&w, col->x);
			walk_pick(ws, &w, col->first, col->split, 1);
			walk_v(&w, key_y(l, keys[col->first + col->split - 1]));
			walk_v(&w, 0);
		}
	}
	walk_h(&w, ws->cols[cl].x);
	walk_pick(ws, &w, ws->cols[cl].first, ws->cols[cl].count, 1);
	walk_v(&w, bl);
	for (size_t c = cl + 1; c < cr; c++) {
		const struct col *col = &ws->cols[c];
		if (col->count > col->split) {
			walk_h(&w, col->x);
			walk_pick(ws, &w, col->first + col->split, col->count - col->split, 0);
			walk_v(&w, key_y(l, keys[col->first + col->split]));
			walk_v(&w, bl);
		}
	}
	walk_h(&w, ws->cols[cr].x);
	walk_pick(ws, &w, ws->cols[cr].first, ws->cols[cr].count, 0);
	walk_v(&w, 0);
	for (size_t c = cr; c-- > cl + 1;) {
		const struct col *col = &ws->cols[c];
		if (col->count && col->split && col->x >= l->depot_x) {
			walk_h(&w, col->x);
			walk_pick(ws, &w, col->first, col->split, 1);
			walk_v(&w, key_y(l, keys[col->first + col->split - 1]));
			walk_v(&w, 0);
		}
	}
home:
	walk_h(&w, l->depot_x);
	walk_v(&w, -l->p.depot_offset);
	return w.len;
}

/* ---- multi-block improvement ------------------------------------------------------------ */

/* layout_distance on prepared points: the local search's inner loop. */
static inline double fdist(const struct layout *l, const struct fpt *a, const struct fpt *b)
{
	double dx = fabs(a->x - b->x);
	if (a->block != b->block)
		return dx + fabs(a->y - b->y);
	if (a->aisle == b->aisle)
		return fabs(a->y - b->y);
	double front = a->block * l->block_len, back = front + l->block_len;
	double vf = (a->y - front) + (b->y - front), vb = (back - a->y) + (back - b->y);
	return dx + (vf < vb ? vf : vb);
}

#define D(i, j)         fdist(l, &ws->pts[t[i]], &ws->pts[t[j]])
#define IMPROVES(delta) ((delta) < -1e-9)

/* Reverses t[i..j]. */
static void reverse(uint32_t *t, size_t i, size_t j)
{
	while (i < j) {
		uint32_t x = t[i];
		t[i++] = t[j];
		t[j--] = x;
	}
}

/*
 * 2-opt and or-opt (segments of 1-3 points, both orientations) with first improvement, on the
 * closed tour t[0..m] (t[0] is the depot, t[m+1] == t[0]). Moves are taken only when they
 * shorten the tour by more than rounding, so the loop ends; PASSES bounds it anyway.
 */
static void local_search(struct route_ws *ws, const struct layout *l, size_t m)
{
	uint32_t *t = ws->tour;
	t[m + 1] = t[0];
	for (int pass = 0, improved = 1; improved && pass < 100; pass++) {
		improved = 0;
		for (size_t i = 1; i < m; i++) {
			for (size_t j = i + 1; j <= m; j++) {
				double delta =
				    D(i - 1, j) + D(i, j + 1) - D(i - 1, i) - D(j, j + 1);
				if (IMPROVES(delta)) {
					reverse(t, i, j);
					improved = 1;
				}
			}
		}
		for (size_t len = 1; len <= 3 && len < m; len++) {
			for (size_t i = 1; i + len - 1 <= m; i++) {
				size_t j = i + len - 1; /* segment t[i..j] */
				double remove = D(i - 1, i) + D(j, j + 1) - D(i - 1, j + 1);
				for (size_t p = 0; p <= m; p++) {
					if (p + 1 >= i && p <= j)
						continue; /* the edge (p, p+1) touches the segment
						           */
					double fwd = D(p, i) + D(j, p + 1) - D(p, p + 1);
					double rev = D(p, j) + D(i, p + 1) - D(p, p + 1);
					double best = fwd < rev ? fwd : rev;
					if (!IMPROVES(best - remove))
						continue;
					/* Move by rotating; reverse first when that orientation
					 * won. */
					if (rev < fwd)
						reverse(t, i, j);
					if (p > j) {
						reverse(t, i, j);
						reverse(t, j + 1, p);
						reverse(t, i, p);
					} else {
						reverse(t, p + 1, i - 1);
						reverse(t, i, j);
						reverse(t, p + 1, j);
					}
					improved = 1;
					break;
				}
			}
		}
	}
}

#undef D

static double tour_length(const struct route_ws *ws, const struct layout *l, size_t m)
{
	double len = 0;
	for (size_t i = 0; i <= m; i++)
		len += fdist(l, &ws->pts[ws->tour[i]], &ws->pts[ws->tour[i + 1]]);
	return len;
}

static void prepare_points(struct route_ws *ws, const struct layout *l, const uint32_t *keys,
                           size_t m)
{
	for (size_t i = 0; i <= m; i++) {
		struct layout_point p = i < m ? layout_key_point(keys[i]) : layout_depot(l);
		struct fpt *f = &ws->pts[i];
		layout_point_xy(l, &p, &f->x, &f->y);
		f->aisle = p.aisle;
		f->block = p.aisle ? p.block : -1;
	}
}

/* Multi-block: the better of both S-shape orders after local search. ws->seq gets the order. */
static double multi_route(struct route_ws *ws, const struct layout *l, const uint32_t *keys,
                          size_t m)
{
	prepare_points(ws, l, keys, m);
	double best = HUGE_VAL;
	for (int mirror = 0; mirror < 2; mirror++) {
		sshape_walk(ws, l, keys, m, mirror);
		ws->tour[0] = (uint32_t)m;
		for (size_t i = 0; i < m; i++)
			ws->tour[i + 1] = ws->seq[i];
		local_search(ws, l, m);
		double len = tour_length(ws, l, m);
		if (len < best) {
			best = len;
			/* circuit[] is idle outside rr_order and holds at least m entries */
			memcpy(ws->circuit, ws->tour + 1, m * sizeof(*ws->tour));
		}
	}
	memcpy(ws->seq, ws->circuit, m * sizeof(*ws->seq));
	return best;
}

/* ---- exact multi-block routing ---------------------------------------------------------- */

/*
 * Ratliff and Rosenthal's argument carries over to B blocks with a wider frontier: after each
 * step the partial tour is summarised by the degree class (zero, odd, even) of the B+1 vertices
 * where the current column meets the cross aisles, and which of them are connected (labels,
 * numbered in order of first appearance). A column is processed sub-aisle by sub-aisle (the
 * same six configurations), then the gap to the next column cross aisle by cross aisle (0, 1 or
 * 2 copies: an optimal tour never uses an edge three times), each step replacing one frontier
 * vertex. A component that leaves the frontier is finished: allowed only as the whole tour.
 *
 * Classes are packed into 64 bits (6 bits a vertex: degree class and label + 1) and interned;
 * the transitions of a class are cached, so the DP's inner loop is a table lookup. The number
 * of classes grows quickly with B; past FR_MAX_LIVE alive at one step the route falls back to
 * the heuristic (result.exact = 0).
 */
#define FR_BITS     6
#define FR_CLOSED   (UINT64_C(1) << 63)
#define FR_UNKNOWN  (-2)
#define FR_OVERFLOW (-3)  /* too many classes alive: use the heuristic */
#define FR_FULL     (-4)  /* the class cache is full: flush it and try again */
#define FR_MAX_IDS  32768 /* interned classes per workspace (with their transitions) */
#define FR_MAX_LIVE 4096  /* classes alive at one step; 4 blocks reach ~600 */
#define FR_FRESH_A  14    /* labels for components created within a step */
#define FR_FRESH_B  15

static void fr_decode(uint64_t s, int width, int *deg, int *lab)
{
	for (int j = 0; j < width; j++) {
		unsigned v = (unsigned)(s >> (FR_BITS * j)) & 63u;
		deg[j] = (int)(v & 3u);
		lab[j] = (int)(v >> 2) - 1;
	}
}

/* Packs a frontier, renumbering its labels by first appearance. */
static uint64_t fr_encode(int width, const int *deg, const int *lab)
{
	int map[16];
	for (int i = 0; i < 16; i++)
		map[i] = -1;
	int next = 0;
	uint64_t s = 0;
	for (int j = 0; j < width; j++) {
		if (deg[j] == D_ZERO)
			continue;
		if (map[lab[j]] < 0)
			map[lab[j]] = next++;
		s |= (uint64_t)((unsigned)deg[j] | (unsigned)(map[lab[j]] + 1) << 2)
		     << (FR_BITS * j);
	}
	return s;
}

/* Configuration T on the sub-aisle between frontier vertices B and B+1. */
static int fr_vert(uint64_t s, int width, int b, int t, uint64_t *out)
{
	static const int8_t add[NVOPT][3] = {
		[V_PASS] = { 1, 1, 1 },   [V_DOUBLE] = { 2, 2, 1 }, [V_TOP] = { 0, 2, 0 },
		[V_BOTTOM] = { 2, 0, 0 }, [V_GAP] = { 2, 2, 0 },    [V_NONE] = { 0, 0, 0 },
	};
	if (t == V_NONE) {
		*out = s;
		return 0;
	}
	if (s == FR_CLOSED)
		return -1;
	int deg[LAYOUT_MAX_BLOCKS + 1], lab[LAYOUT_MAX_BLOCKS + 1];
	fr_decode(s, width, deg, lab);
	if (add[t][0] && lab[b] < 0)
		lab[b] = FR_FRESH_A;
	if (add[t][1] && lab[b + 1] < 0)
		lab[b + 1] = FR_FRESH_B;
	if (add[t][2]) {
		int from = lab[b + 1];
		for (int j = 0; j < width; j++)
			if (lab[j] == from)
				lab[j] = lab[b];
	}
	deg[b] = deg_add(deg[b], add[t][0]);
	deg[b + 1] = deg_add(deg[b + 1], add[t][1]);
	*out = fr_encode(width, deg, lab);
	return 0;
}

/*
 * E copies of the cross-aisle edge from frontier vertex J to its successor in the next column,
 * which then takes J's place. REQ: the vertex left behind is the depot.
 */
static int fr_horiz(uint64_t s, int width, int j, int e, int req, uint64_t *out)
{
	if (s == FR_CLOSED) {
		*out = s;
		return (e == 0 && !req) ? 0 : -1;
	}
	int deg[LAYOUT_MAX_BLOCKS + 1], lab[LAYOUT_MAX_BLOCKS + 1];
	fr_decode(s, width, deg, lab);
	int d = deg[j], l = lab[j];
	if (deg_add(d, e) == D_ODD || (req && d == D_ZERO && e == 0))
		return -1;
	if (e > 0) {
		deg[j] = e == 1 ? D_ODD : D_EVEN;
		lab[j] = l >= 0 ? l : FR_FRESH_A;
		*out = fr_encode(width, deg, lab);
		return 0;
	}
	deg[j] = D_ZERO;
	if (l >= 0) {
		int alive = 0, other = 0;
		for (int k = 0; k < width; k++) {
			if (deg[k] == D_ZERO)
				continue;
			alive |= lab[k] == l;
			other |= lab[k] != l;
		}
		if (!alive) {
			/* J's component is finished: it must be the whole tour */
			if (other)
				return -1;
			*out = FR_CLOSED;
			return 0;
		}
	}
	*out = fr_encode(width, deg, lab);
	return 0;
}

/* A frontier that is a finished tour: even degrees, one component, the depot on it. */
static int fr_final(uint64_t s, int width, int req)
{
	if (s == FR_CLOSED)
		return !req;
	if (s == 0)
		return 0;
	int deg[LAYOUT_MAX_BLOCKS + 1], lab[LAYOUT_MAX_BLOCKS + 1];
	fr_decode(s, width, deg, lab);
	for (int j = 0; j < width; j++)
		if (deg[j] == D_ODD || (deg[j] != D_ZERO && lab[j] != 0))
			return 0;
	return !req || deg[0] != D_ZERO;
}

static uint64_t fr_hashfn(uint64_t s)
{
	s ^= s >> 31;
	s *= UINT64_C(0x9e3779b97f4a7c15);
	return s ^ (s >> 29);
}

/* The id of class S, interning it; FR_FULL past FR_MAX_IDS, WMS_ENOMEM. */
static int32_t fr_intern(struct route_ws *ws, uint64_t s)
{
	if (2 * (ws->fr_n + 1) > ws->fr_hcap) {
		size_t hc = ws->fr_hcap ? 2 * ws->fr_hcap : 1024;
		uint32_t *h = calloc(hc, sizeof(*h));
		if (h == NULL)
			return WMS_ENOMEM;
		for (size_t i = 0; i < ws->fr_n; i++) {
			size_t k = fr_hashfn(ws->fr_state[i]) & (hc - 1);
			while (h[k])
				k = (k + 1) & (hc - 1);
			h[k] = (uint32_t)i + 1;
		}
		free(ws->fr_hash);
		ws->fr_hash = h;
		ws->fr_hcap = hc;
	}
	size_t k = fr_hashfn(s) & (ws->fr_hcap - 1);
	while (ws->fr_hash[k]) {
		uint32_t id = ws->fr_hash[k] - 1;
		if (ws->fr_state[id] == s)
			return (int32_t)id;
		k = (k + 1) & (ws->fr_hcap - 1);
	}
	if (ws->fr_n >= FR_MAX_IDS)
		return FR_FULL;
	if (ws->fr_n == ws->fr_cap) {
		size_t c = ws->fr_cap ? 2 * ws->fr_cap : 256;
		if (grow((void **)&ws->fr_state, c, sizeof(*ws->fr_state)) ||
		    grow((void **)&ws->fr_next, c * ws->fr_nops, sizeof(*ws->fr_next)) ||
		    grow((void **)&ws->fr_bidx, c, sizeof(*ws->fr_bidx)) ||
		    grow((void **)&ws->fr_stamp, c, sizeof(*ws->fr_stamp)))
			return WMS_ENOMEM;
		memset(ws->fr_stamp + ws->fr_cap, 0, (c - ws->fr_cap) * sizeof(*ws->fr_stamp));
		ws->fr_cap = c;
	}
	uint32_t id = (uint32_t)ws->fr_n++;
	ws->fr_state[id] = s;
	for (size_t o = 0; o < ws->fr_nops; o++)
		ws->fr_next[id * ws->fr_nops + o] = FR_UNKNOWN;
	ws->fr_hash[k] = id + 1;
	return (int32_t)id;
}

/* Op numbering: sub-aisle b, configuration t: 6b + t; cross aisle j, copies e, depot flag:
 * 6B + 2(3j + e) + req. */
static int32_t fr_step(struct route_ws *ws, uint32_t id, size_t op)
{
	int32_t cached = ws->fr_next[id * ws->fr_nops + op];
	if (cached != FR_UNKNOWN)
		return cached;
	int width = ws->fr_width, nb = width - 1, rc;
	uint64_t s = ws->fr_state[id], next;
	if (op < (size_t)(6 * nb)) {
		rc = fr_vert(s, width, (int)(op / 6), (int)(op % 6), &next);
	} else {
		size_t h = op - (size_t)(6 * nb);
		rc = fr_horiz(s, width, (int)(h / 6), (int)(h / 2 % 3), (int)(h % 2), &next);
	}
	int32_t to = rc ? -1 : fr_intern(ws, next);
	if (to >= -1)
		ws->fr_next[id * ws->fr_nops + op] = to;
	return to;
}

/* Sub-aisle summaries of every column (y measured from each block's front). */
static void fr_subs(struct route_ws *ws, const struct layout *l, const uint32_t *keys, size_t nc)
{
	size_t nb = (size_t)l->p.blocks;
	for (size_t c = 0; c < nc; c++) {
		const struct col *col = &ws->cols[c];
		uint32_t k = col->first, end = col->first + (col->aisle ? col->count : 0);
		for (size_t b = 0; b < nb; b++) {
			struct sub *sb = &ws->subs[c * nb + b];
			memset(sb, 0, sizeof(*sb));
			sb->first = k;
			double front = (double)b * l->block_len, prev = 0;
			while (k < end && layout_key_point(keys[k]).block == (int)b) {
				double y = key_y(l, keys[k]) - front;
				if (sb->count == 0) {
					sb->ymin = y;
				} else if (y - prev > sb->gap) {
					sb->gap = y - prev;
					sb->split = sb->count;
				}
				sb->ymax = prev = y;
				sb->count++;
				k++;
			}
		}
	}
}

/* Appends a DP entry or improves the stage's entry of the same class. */
static int fr_relax(struct route_ws *ws, size_t *nlog, uint32_t to, double cost, uint32_t prev,
                    int opt)
{
	if (ws->fr_stamp[to] == ws->fr_gen) {
		struct fr_entry *e = &ws->fr_log[ws->fr_bidx[to]];
		if (cost < e->cost) {
			e->cost = cost;
			e->prev = prev;
			e->opt = (uint8_t)opt;
		}
		return 0;
	}
	if (*nlog == ws->fr_caplog) {
		size_t c = ws->fr_caplog ? 2 * ws->fr_caplog : 4096;
		if (grow((void **)&ws->fr_log, c, sizeof(*ws->fr_log)))
			return WMS_ENOMEM;
		ws->fr_caplog = c;
	}
	ws->fr_stamp[to] = ws->fr_gen;
	ws->fr_bidx[to] = (uint32_t)*nlog;
	struct fr_entry *e = &ws->fr_log[(*nlog)++];
	e->cost = cost;
	e->id = to;
	e->prev = prev;
	e->opt = (uint8_t)opt;
	return 0;
}

/* Opens a new stage: entries relaxed from here on are its own. */
static void fr_new_stage(struct route_ws *ws)
{
	if (++ws->fr_gen == 0) {
		memset(ws->fr_stamp, 0, ws->fr_cap * sizeof(*ws->fr_stamp));
		ws->fr_gen = 1;
	}
}

/*
 * The exact tour over NC columns. Returns 0 with *COST (offset excluded) and the chosen options
 * in ws->fr_opt, FR_OVERFLOW when the frontier grows past the caps, or WMS_ENOMEM.
 */
static int fr_solve(struct route_ws *ws, const struct layout *l, size_t nc, double *cost)
{
	const int nb = l->p.blocks, width = nb + 1;
	const double len = l->block_len;
	if (ws->fr_width != width) {
		/* the cache is for one frontier width; a workspace rarely changes layouts */
		ws->fr_width = width;
		ws->fr_nops = (size_t)(12 * nb + 6);
		ws->fr_n = 0;
		ws->fr_cap = 0;
		free(ws->fr_state);
		free(ws->fr_next);
		free(ws->fr_bidx);
		free(ws->fr_stamp);
		ws->fr_state = NULL;
		ws->fr_next = NULL;
		ws->fr_bidx = NULL;
		ws->fr_stamp = NULL;
		ws->fr_gen = 0;
		if (ws->fr_hash)
			memset(ws->fr_hash, 0, ws->fr_hcap * sizeof(*ws->fr_hash));
	}
	int32_t empty = fr_intern(ws, 0);
	if (empty < 0)
		return empty;
	size_t nlog = 0, stage = 0;
	fr_new_stage(ws);
	int rc = fr_relax(ws, &nlog, (uint32_t)empty, 0, UINT32_MAX, 0);
	if (rc)
		return rc;
	ws->fr_stage[0] = 0;
	for (size_t c = 0; c < nc; c++) {
		const struct col *col = &ws->cols[c];
		size_t steps = (size_t)nb + (c + 1 < nc ? (size_t)width : 0);
		for (size_t st = 0; st < steps; st++, stage++) {
			uint32_t from = ws->fr_stage[stage], to = (uint32_t)nlog;
			ws->fr_stage[stage + 1] = to;
			fr_new_stage(ws);
			int vertical = st < (size_t)nb;
			unsigned allowed;
			double oc[NVOPT];
			size_t op0;
			if (vertical) {
				const struct sub *sb = &ws->subs[c * (size_t)nb + st];
				if (col->aisle == 0)
					allowed = 1u << V_NONE;
				else if (sb->count == 0)
					allowed = 1u << V_PASS | 1u << V_DOUBLE | 1u << V_NONE;
				else
					allowed = 1u << V_PASS | 1u << V_DOUBLE | 1u << V_TOP |
					          1u << V_BOTTOM |
					          (sb->count > 1 ? 1u << V_GAP : 0);
				oc[V_PASS] = len;
				oc[V_DOUBLE] = 2 * len;
				oc[V_TOP] = 2 * (len - sb->ymin);
				oc[V_BOTTOM] = 2 * sb->ymax;
				oc[V_GAP] = 2 * (len - sb->gap);
				oc[V_NONE] = 0;
				op0 = st * 6;
			} else {
				size_t j = st - (size_t)nb;
				double dx = ws->cols[c + 1].x - col->x;
				allowed = 7;
				oc[0] = 0;
				oc[1] = dx;
				oc[2] = 2 * dx;
				op0 = (size_t)(6 * nb) + 6 * j + (j == 0 && col->depot);
			}
			for (uint32_t i = from; i < to; i++) {
				for (int t = 0; t < (vertical ? NVOPT : 3); t++) {
					if (!(allowed >> t & 1))
						continue;
					size_t op =
					    vertical ? op0 + (size_t)t : op0 + 2 * (size_t)t;
					int32_t nx = fr_step(ws, ws->fr_log[i].id, op);
					if (nx == -1)
						continue;
					if (nx < -1)
						return nx;
					/* the log may move when it grows: read the cost first */
					double v = ws->fr_log[i].cost + oc[t];
					if ((rc = fr_relax(ws, &nlog, (uint32_t)nx, v, i, t)))
						return rc;
				}
			}
			if (nlog - to > FR_MAX_LIVE)
				return FR_OVERFLOW;
		}
	}
	ws->fr_stage[stage + 1] = (uint32_t)nlog;
	/* the best finished tour among the last stage's classes */
	uint32_t best = UINT32_MAX;
	int req = ws->cols[nc - 1].depot;
	for (uint32_t i = ws->fr_stage[stage]; i < nlog; i++)
		if (fr_final(ws->fr_state[ws->fr_log[i].id], width, req) &&
		    (best == UINT32_MAX || ws->fr_log[i].cost < ws->fr_log[best].cost))
			best = i;
	assert(best != UINT32_MAX);
	*cost = ws->fr_log[best].cost;
	for (size_t k = stage; k-- > 0;) {
		ws->fr_opt[k] = ws->fr_log[best].opt;
		best = ws->fr_log[best].prev;
	}
	return 0;
}

/* The multigraph of the chosen options and its Euler order, as rr_order does for one block. */
static void fr_order(struct route_ws *ws, const struct layout *l, size_t nc, size_t m)
{
	const size_t nb = (size_t)l->p.blocks, width = nb + 1;
	uint32_t base = (uint32_t)(nc * width), start = 0;
	size_t ne = 0, stage = 0;
	for (size_t c = 0; c < nc; c++) {
		uint32_t v0 = (uint32_t)(c * width);
		if (ws->cols[c].depot)
			start = v0;
		for (size_t b = 0; b < nb; b++, stage++) {
			const struct sub *sb = &ws->subs[c * nb + b];
			sub_edges(ws, &ne, base, v0 + (uint32_t)b, v0 + (uint32_t)b + 1, sb->first,
			          sb->count, sb->split, ws->fr_opt[stage]);
		}
		if (c + 1 < nc)
			for (size_t j = 0; j < width; j++, stage++)
				add_edges(ws, &ne, v0 + (uint32_t)j, v0 + (uint32_t)(width + j),
				          ws->fr_opt[stage]);
	}
	euler_visits(ws, ne, nc * width + m, start, base, m);
}

/* Exact multi-block route; FR_OVERFLOW when the frontier is too wide for this pick list. */
static int fr_route(struct route_ws *ws, const struct layout *l, const uint32_t *keys, size_t m,
                    int want_order, double *length)
{
	size_t nc = rr_columns(ws, l, keys, m);
	fr_subs(ws, l, keys, nc);
	double cost;
	int rc = fr_solve(ws, l, nc, &cost);
	if (rc == FR_FULL) {
		/* classes met long ago fill the cache; start it afresh once */
		ws->fr_width = 0;
		rc = fr_solve(ws, l, nc, &cost);
	}
	if (rc)
		return rc == FR_FULL ? FR_OVERFLOW : rc;
	if (want_order)
		fr_order(ws, l, nc, m);
	*length = cost + 2 * l->p.depot_offset;
	return 0;
}

/* ---- public ----------------------------------------------------------------------------- */

enum method { M_OPTIMAL, M_PLANNING, M_SSHAPE, M_LGAP };

/* Routes the M distinct points KEYS; leaves the order in ws->seq when WANT_ORDER. */
static int route_keys(struct route_ws *ws, const struct layout *l, const uint32_t *keys, size_t m,
                      enum method method, int want_order, struct route_result *r)
{
	r->stops = m;
	r->exact = 0;
	r->length = 0;
	if (m == 0) {
		r->exact = 1;
		return 0;
	}
	int exact_blocks = method == M_OPTIMAL ? ROUTE_EXACT_MAX_BLOCKS : ROUTE_PLAN_EXACT_BLOCKS;
	switch (method) {
	case M_OPTIMAL:
	case M_PLANNING:
		if (l->p.blocks == 1) {
			size_t nc = rr_columns(ws, l, keys, m);
			double cost;
			if (want_order) {
				rr_solve(ws, l, nc, &cost);
				rr_order(ws, nc, m);
			} else {
				cost = rr_cost(ws, l, nc);
			}
			r->length = cost + 2 * l->p.depot_offset;
			r->exact = 1;
			break;
		}
		if (l->p.blocks <= exact_blocks) {
			int rc = fr_route(ws, l, keys, m, want_order, &r->length);
			if (rc == 0) {
				r->exact = 1;
				break;
			}
			if (rc != FR_OVERFLOW)
				return rc;
		}
		r->length = multi_route(ws, l, keys, m);
		break;
	case M_SSHAPE:
		r->length = sshape_walk(ws, l, keys, m, sshape_mirror(l, keys, m));
		break;
	case M_LGAP:
		r->length = lgap_walk(ws, l, keys, m);
		break;
	}
	return 0;
}

static int route_picks(struct route_ws *ws, const struct layout *l,
                       const struct layout_point *picks, size_t n, size_t *order,
                       struct route_result *out, enum method method)
{
	size_t m;
	if (method == M_LGAP && l->p.blocks != 1)
		return WMS_EVALUE;
	int rc = prepare_picks(ws, l, picks, n, &m);
	if (rc)
		return rc;
	struct route_result r;
	if ((rc = route_keys(ws, l, ws->keys, m, method, order != NULL, &r)))
		return rc;
	if (order != NULL)
		expand_order(ws, m, order);
	*out = r;
	return 0;
}

int route_optimal(struct route_ws *ws, const struct layout *layout,
                  const struct layout_point *picks, size_t npicks, size_t *order,
                  struct route_result *out)
{
	return route_picks(ws, layout, picks, npicks, order, out, M_OPTIMAL);
}

int route_sshape(struct route_ws *ws, const struct layout *layout, const struct layout_point *picks,
                 size_t npicks, size_t *order, struct route_result *out)
{
	return route_picks(ws, layout, picks, npicks, order, out, M_SSHAPE);
}

int route_largest_gap(struct route_ws *ws, const struct layout *layout,
                      const struct layout_point *picks, size_t npicks, size_t *order,
                      struct route_result *out)
{
	return route_picks(ws, layout, picks, npicks, order, out, M_LGAP);
}

static int route_length(struct route_ws *ws, const struct layout *layout, const uint32_t *keys,
                        size_t nkeys, enum method method, double *length)
{
	int rc = check_keys(ws, layout, keys, nkeys);
	if (rc)
		return rc;
	struct route_result r;
	if ((rc = route_keys(ws, layout, keys, nkeys, method, 0, &r)))
		return rc;
	*length = r.length;
	return 0;
}

int route_optimal_length(struct route_ws *ws, const struct layout *layout, const uint32_t *keys,
                         size_t nkeys, double *length)
{
	return route_length(ws, layout, keys, nkeys, M_OPTIMAL, length);
}

int route_planning_length(struct route_ws *ws, const struct layout *layout, const uint32_t *keys,
                          size_t nkeys, double *length)
{
	return route_length(ws, layout, keys, nkeys, M_PLANNING, length);
}

double route_order_length(const struct layout *layout, const struct layout_point *picks,
                          const size_t *order, size_t npicks)
{
	struct layout_point prev = layout_depot(layout);
	double len = 0;
	for (size_t i = 0; i < npicks; i++) {
		const struct layout_point *p = &picks[order ? order[i] : i];
		len += layout_distance(layout, &prev, p);
		prev = *p;
	}
	struct layout_point depot = layout_depot(layout);
	return len + layout_distance(layout, &prev, &depot);
}
