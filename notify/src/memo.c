/* memo.c - bounded LRU map of 64-bit keys (see memo.h). */
#include "memo.h"

#include "wms/errors.h"

#include <stdlib.h>

#define NIL UINT32_MAX

/* Entries live in one array and are linked by index: no allocation after memo_new. */
struct entry {
	uint64_t key;
	int64_t val;
	uint32_t chain;        /* next entry in the same bucket */
	uint32_t newer, older; /* the LRU list; the free list uses `older` */
};

struct memo {
	struct entry *e;
	uint32_t *bucket;
	uint32_t mask; /* buckets - 1 */
	uint32_t cap, count;
	uint32_t newest, oldest, free;
};

int memo_new(size_t cap, struct memo **out)
{
	if (cap == 0 || cap > MEMO_CAP_MAX)
		return WMS_ERANGE;
	struct memo *m = calloc(1, sizeof(*m));
	size_t nb = 1;
	while (nb < cap)
		nb <<= 1;
	if (m == NULL || (m->e = calloc(cap, sizeof(*m->e))) == NULL ||
	    (m->bucket = malloc(nb * sizeof(*m->bucket))) == NULL) {
		memo_free(m);
		return WMS_ENOMEM;
	}
	for (size_t i = 0; i < nb; i++)
		m->bucket[i] = NIL;
	for (size_t i = 0; i < cap; i++)
		m->e[i].older = i + 1 < cap ? (uint32_t)(i + 1) : NIL;
	m->mask = (uint32_t)(nb - 1);
	m->cap = (uint32_t)cap;
	m->newest = m->oldest = NIL;
	m->free = 0;
	*out = m;
	return 0;
}

void memo_free(struct memo *m)
{
	if (m == NULL)
		return;
	free(m->e);
	free(m->bucket);
	free(m);
}

uint64_t memo_key(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *p = a ? a : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL; /* the separator: ("ab","c") and ("a","bc") differ */
	for (const char *p = b ? b : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/* The bucket of KEY: the high bits, since FNV's low bits mix less. */
static uint32_t *bucket_of(struct memo *m, uint64_t key)
{
	return &m->bucket[(uint32_t)(key >> 32 ^ key) & m->mask];
}

static void lru_unlink(struct memo *m, uint32_t i)
{
	struct entry *x = &m->e[i];
	if (x->newer != NIL)
		m->e[x->newer].older = x->older;
	else
		m->newest = x->older;
	if (x->older != NIL)
		m->e[x->older].newer = x->newer;
	else
		m->oldest = x->newer;
}

static void lru_push(struct memo *m, uint32_t i)
{
	struct entry *x = &m->e[i];
	x->newer = NIL;
	x->older = m->newest;
	if (m->newest != NIL)
		m->e[m->newest].newer = i;
	m->newest = i;
	if (m->oldest == NIL)
		m->oldest = i;
}

/* The link that points at KEY's entry (in its bucket chain), or NULL. */
static uint32_t *find(struct memo *m, uint64_t key)
{
	uint32_t *link = bucket_of(m, key);
	while (*link != NIL && m->e[*link].key != key)
		link = &m->e[*link].chain;
	return *link == NIL ? NULL : link;
}

/* Takes entry *LINK out of its chain and the LRU list and puts it on the free list. */
static void remove_at(struct memo *m, uint32_t *link)
{
	uint32_t i = *link;
	*link = m->e[i].chain;
	lru_unlink(m, i);
	m->e[i].older = m->free;
	m->free = i;
	m->count--;
}

bool memo_get(struct memo *m, uint64_t key, int64_t *val)
{
	uint32_t *link = find(m, key);
	if (link == NULL)
		return false;
	uint32_t i = *link;
	if (val)
		*val = m->e[i].val;
	lru_unlink(m, i);
	lru_push(m, i);
	return true;
}

void memo_put(struct memo *m, uint64_t key, int64_t val)
{
	uint32_t *link = find(m, key);
	if (link) {
		uint32_t i = *link;
		m->e[i].val = val;
		lru_unlink(m, i);
		lru_push(m, i);
		return;
	}
	if (m->count == m->cap)
		remove_at(m, find(m, m->e[m->oldest].key));
	uint32_t i = m->free;
	m->free = m->e[i].older;
	uint32_t *b = bucket_of(m, key);
	m->e[i].key = key;
	m->e[i].val = val;
	m->e[i].chain = *b;
	*b = i;
	lru_push(m, i);
	m->count++;
}

void memo_del(struct memo *m, uint64_t key)
{
	uint32_t *link = find(m, key);
	if (link)
		remove_at(m, link);
}

size_t memo_count(const struct memo *m)
{
	return m->count;
}
