/*
 * memo.h - a bounded memory of small facts: 64-bit key -> 64-bit value, least recently used
 * entry forgotten first.
 *
 * The notifier must remember a little per order and per shipment ("delay notice sent with
 * estimate E", "first in-transit scan announced") while following a stream that never ends.
 * A memo holds at most its capacity: once full, storing a new key forgets the entry that was
 * looked up or stored longest ago. Forgetting is safe by design: the worst case is one repeated
 * notice for an order nobody has heard of for a long time.
 *
 * Keys are 64-bit hashes (memo_key) of the identifying strings rather than the strings
 * themselves, so an entry is 24 bytes whatever the ids' length. Two different ids colliding is
 * about n^2 / 2^65 likely (1e-10 for 65,536 entries); its effect would be one suppressed or one
 * repeated notice.
 *
 * Memory: capacity * 24 bytes plus a bucket array of 4 bytes per slot (a power of two >= the
 * capacity), all allocated by memo_new; nothing is allocated afterwards.
 * Threading: none; one memo per thread. Errors: memo_new returns WMS_ERANGE or WMS_ENOMEM.
 */
#ifndef WMS_NOTIFY_MEMO_H
#define WMS_NOTIFY_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMO_CAP_MAX (1u << 24)

struct memo;

/* A memo for at most CAP (1..MEMO_CAP_MAX) entries, in *OUT. */
int memo_new(size_t cap, struct memo **out);

/* Accepts NULL. */
void memo_free(struct memo *m);

/* FNV-1a over A, a NUL byte, then B (either may be NULL: empty). */
uint64_t memo_key(const char *a, const char *b);

/* Whether KEY is known; if so *VAL (may be NULL) gets its value and it becomes the most recent. */
bool memo_get(struct memo *m, uint64_t key, int64_t *val);

/* Stores VAL under KEY as the most recent entry, forgetting the least recent one when full. */
void memo_put(struct memo *m, uint64_t key, int64_t val);

/* Forgets KEY (nothing happens when it is unknown). */
void memo_del(struct memo *m, uint64_t key);

/* Entries held now (<= the capacity). */
size_t memo_count(const struct memo *m);

#endif
