/*
 * store.h - the engine's only door to LMDB.
 *
 * One LMDB environment in the data directory, a fixed set of named tables (enum store_tbl),
 * durable commits (no MDB_NOSYNC: a committed transaction is on disk). Keys are byte strings
 * built with keys.h; values are whatever the owning module writes (JSON text for documents,
 * fixed binary for counters).
 *
 * Transactions
 *   - Read transactions may be used from any thread (the environment runs with MDB_NOTLS);
 *     each is used by one thread at a time and must be short: never held across an aio wait.
 *   - Write transactions belong to the single writer thread. Each command runs in a nested
 *     transaction (store_nested_begin) so that a failing command rolls back alone.
 *   - store_grow() enlarges the map when a write reports WMS_EMAPFULL. It waits until no read
 *     transaction is open (a reader/writer lock) because LMDB forbids resizing under live
 *     transactions in the process.
 *
 * Ownership: struct store_val points into the map, borrowed: valid until the transaction ends
 * or writes to that table, and never leaves the module that asked for it. Transactions and
 * cursors are freed by commit/abort/close.
 *
 * Errors: WMS_ENOTFOUND (no such key), WMS_ECONFLICT (key exists, with STORE_NOOVERWRITE),
 * WMS_EMAPFULL (map or transaction full: grow and retry), WMS_EIO (anything else LMDB reports),
 * WMS_ENOMEM. No MDB_* value escapes this module.
 */
#ifndef WMS_STORE_H
#define WMS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables. Names are stored in the environment: never rename, only append. */
#define STORE_TABLES(X)                                                                            \
	X(STORE_META, "meta")                 /* name -> engine counters and settings */           \
	X(STORE_EVENTS, "events")             /* u64 seq -> event JSON */                          \
	X(STORE_ORDER_EVENTS, "order_events") /* u64 order_no, u64 seq -> "" (timeline) */         \
	X(STORE_IDEM, "idem")                 /* op, idem_key -> stored reply */                   \
	X(STORE_TENANTS, "tenants")           /* tenant id -> JSON */                              \
	X(STORE_WAREHOUSES, "warehouses")     /* warehouse id -> JSON */                           \
	X(STORE_ITEMS, "items")               /* tenant, sku -> JSON */                            \
	X(STORE_GTINS, "gtins")               /* gtin14, tenant -> sku, pack qty */                \
	X(STORE_STOCK, "stock")               /* tenant, sku, warehouse, location, lot -> JSON */  \
	X(STORE_ORDERS, "orders")             /* u64 order_no -> order JSON */                     \
	X(STORE_ORDER_IDS, "order_ids")       /* tenant, order id -> u64 order_no */               \
	X(STORE_BACKORDERS, "backorders")     /* tenant, u64 promised_by, u64 order_no -> "" */    \
	X(STORE_WAVE_QUEUE, "wave_queue") /* warehouse, u64 cutoff, prio, u64 no, k -> ship id */  \
	X(STORE_WAVES, "waves")           /* u64 wave no -> wave JSON */                           \
	X(STORE_BATCHES, "batches")       /* u64 wave, u64 batch -> batch JSON */                  \
	X(STORE_TASKS, "tasks")           /* u64 wave, u64 batch, u64 seq -> task JSON */          \
	X(STORE_BATCH_QUEUE, "batch_queue") /* warehouse, u64 cutoff, u64 wave, u64 batch */       \
	X(STORE_PICKERS, "pickers")         /* warehouse, picker -> u64 wave, u64 batch */         \
	X(STORE_TOTES, "totes")             /* tote -> the order it holds */                       \
	X(STORE_DEVICES, "devices")         /* device id -> settings JSON */                       \
	X(STORE_SCANS, "scans")             /* device, scan_id -> request and verdict */           \
	X(STORE_STATIONS, "stations")       /* station -> packing session */                       \
	X(STORE_WATCH, "watch")             /* u64 due, u64 order no -> "" (promise watch) */      \
	X(STORE_TRACKING, "tracking")       /* tracking number -> u64 order no, shipment index */  \
	X(STORE_MANIFESTS, "manifests")     /* warehouse, carrier, date -> manifest JSON */        \
	X(STORE_RETURNS, "returns")         /* rma -> return JSON */                               \
	X(STORE_BATCH_STOPS, "batch_stops") /* u64 wave, u64 batch -> the batch's stops JSON */

enum store_tbl {
#define STORE_TBL_ENUM(sym, name) sym,
	STORE_TABLES(STORE_TBL_ENUM)
#undef STORE_TBL_ENUM
	    STORE_NTABLES
};

struct store;
struct store_txn;
struct store_cursor;

struct store_opts {
	size_t map_size; /* initial map size in bytes; 0 = 256 MiB */
	size_t map_max;  /* growth stops here; 0 = 64 GiB */
};

struct store_val {
	const void *data;
	size_t len;
};

/* Put flags. */
#define STORE_NOOVERWRITE 0x1 /* fail with WMS_ECONFLICT when the key exists */
#define STORE_APPEND      0x2 /* key sorts after every key in the table (sequential ids) */

/*
 * Opens (creating when needed) the environment in DIR, creates missing tables, and clears
 * reader slots left by dead processes. OPTS may be NULL. The store holds DIR/engine.lock
 * exclusively until store_close: one engine per directory, in this process or any other.
 * Errors: WMS_EBUSY (another open store holds DIR), WMS_EIO, WMS_ENOMEM.
 */
int store_open(const char *dir, const struct store_opts *opts, struct store **out);

/* The pid that holds (or last held) DIR's lock, 0 when unknown: for messages only. */
long store_lock_owner(const char *dir);

/* Closes the environment. No transaction may be open. Accepts NULL. */
void store_close(struct store *s);

/* Current map size in bytes (for status and tests). */
size_t store_map_size(const struct store *s);

/*
 * Doubles the map size (up to map_max). Call from the writer with no write transaction open;
 * blocks until current readers end. Errors: WMS_EMAPFULL when already at map_max, WMS_EIO.
 */
int store_grow(struct store *s);

int store_read_begin(struct store *s, struct store_txn **out);
int store_write_begin(struct store *s, struct store_txn **out);
/* A child of PARENT: its changes vanish on abort and join the parent on commit. */
int store_nested_begin(struct store_txn *parent, struct store_txn **out);
/* Commits and frees TXN. A top-level write commit is durable when it returns 0. */
int store_commit(struct store_txn *txn);
/* Aborts and frees TXN. Accepts NULL. */
void store_abort(struct store_txn *txn);
bool store_txn_readonly(const struct store_txn *txn);

int store_get(struct store_txn *txn, enum store_tbl t, const void *key, size_t klen,
              struct store_val *out);
int store_put(struct store_txn *txn, enum store_tbl t, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags);
int store_del(struct store_txn *txn, enum store_tbl t, const void *key, size_t klen);

/* Documents: JSON text values. get returns a new reference owned by the caller. */
int store_get_json(struct store_txn *txn, enum store_tbl t, const void *key, size_t klen,
                   json_t **out);
int store_put_json(struct store_txn *txn, enum store_tbl t, const void *key, size_t klen,
                   const json_t *doc, unsigned flags);

/* Counters: a u64 under NAME in the meta table (0 when absent). */
int store_counter_get(struct store_txn *txn, const char *name, uint64_t *out);
/* Increments the counter and returns the new value (1 for the first). */
int store_counter_next(struct store_txn *txn, const char *name, uint64_t *out);

/*
 * Cursors. seek positions at the first key >= KEY (KEY may be NULL: the first key); next/prev
 * move; last goes to the last key. Each returns 0 with KEY/VAL filled (either may be NULL),
 * or WMS_ENOTFOUND past the end.
 */
int store_cursor_open(struct store_txn *txn, enum store_tbl t, struct store_cursor **out);
int store_cursor_seek(struct store_cursor *c, const void *key, size_t klen, struct store_val *k,
                      struct store_val *v);
int store_cursor_next(struct store_cursor *c, struct store_val *k, struct store_val *v);
int store_cursor_prev(struct store_cursor *c, struct store_val *k, struct store_val *v);
int store_cursor_last(struct store_cursor *c, struct store_val *k, struct store_val *v);
/* Deletes the entry under the cursor. */
int store_cursor_del(struct store_cursor *c);
void store_cursor_close(struct store_cursor *c);

/* Entries in table T (for status and tests). */
int store_count(struct store_txn *txn, enum store_tbl t, size_t *out);

#endif
