/*
 * keys.h - building store keys.
 *
 * A key is a sequence of parts: strings end with a NUL so that a prefix of parts is a prefix of
 * the key ("acme\0SKU-1\0" sorts every stock row of that item together), integers are 8 bytes
 * big-endian so that they sort numerically and sequential ids append at the end of a table.
 * Keys never exceed LMDB's 511 bytes: the protocol bounds every id at 64 bytes.
 *
 * Embedded and allocation-free; KEY_INIT makes one ready.
 */
#ifndef WMS_KEYS_H
#define WMS_KEYS_H

#include <stdint.h>
#include <string.h>

#define KEY_MAX 511

struct key {
	uint8_t b[KEY_MAX];
	size_t n;
};
#define KEY_INIT                                                                                   \
	{                                                                                          \
		{ 0 }, 0                                                                           \
	}

static inline void key_str(struct key *k, const char *s)
{
	size_t n = strlen(s);
	if (k->n + n + 1 > KEY_MAX)
		n = KEY_MAX - k->n - 1; /* unreachable with protocol-bounded ids */
	memcpy(k->b + k->n, s, n);
	k->n += n;
	k->b[k->n++] = 0;
}

static inline void key_u64(struct key *k, uint64_t v)
{
	if (k->n + 8 > KEY_MAX)
		return;
	for (int i = 7; i >= 0; i--, v >>= 8)
		k->b[k->n + (size_t)i] = (uint8_t)v;
	k->n += 8;
}

static inline uint64_t key_get_u64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Whether the stored key (DATA, LEN) starts with PREFIX. */
static inline int key_has_prefix(const void *data, size_t len, const struct key *prefix)
{
	return len >= prefix->n && memcmp(data, prefix->b, prefix->n) == 0;
}

#endif
