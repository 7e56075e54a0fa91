/*
 * events.h - the event log: every state change as an event, gap-free, in commit order.
 *
 * ev_emit() appends an event to the log in the same transaction as the change it describes
 * (the transactional outbox): {"seq":N,"type":T,"at":now, ...fields}. Sequence numbers come
 * from the writer's counter and are rolled back with the command that emitted them, so the
 * committed log has no gaps. Events about an order are also indexed by the order's internal
 * number, which is how order.get builds the timeline.
 *
 * After the batch commits, the writer publishes each staged event as "type json".
 *
 * Ownership: ev_emit steals FIELDS. The batch owns its texts until ev_batch_truncate/clear.
 * Threading: writer thread only, except ev_read_* which run in any read transaction.
 */
#ifndef WMS_EVENTS_H
#define WMS_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

struct ev_staged {
	uint64_t seq;
	char *text; /* "type {json}": the PUB message, NUL-terminated */
	size_t len;
	size_t type_len; /* the JSON starts at text + type_len + 1 */
};

struct ev_batch {
	struct ev_staged *v;
	size_t n, cap;
};
#define EV_BATCH_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/*
 * Appends event TYPE with FIELDS (stolen; may be NULL) to the log. ORDER_NO (0: none) indexes
 * it under an order's timeline. Errors: store errors, WMS_ENOMEM, WMS_EINTERNAL (read-only ctx).
 */
int ev_emit(struct cmd_ctx *c, const char *type, uint64_t order_no, json_t *fields);

/* Drops staged events from index N on (a rolled-back command's). */
void ev_batch_truncate(struct ev_batch *b, size_t n);
void ev_batch_release(struct ev_batch *b);

/* The highest committed seq in the log (0 when empty). */
int ev_last_seq(struct store_txn *txn, uint64_t *out);

/*
 * Appends to OUT the JSON texts of up to LIMIT events with seq > AFTER whose type starts with
 * PREFIX (NULL: all), separated by commas; *LAST receives the seq of the last one scanned
 * (AFTER when none). Used by events.read; texts are copied out of the store.
 */
int ev_read_range(struct store_txn *txn, uint64_t after, size_t limit, const char *prefix,
                  char **out, size_t *out_len, size_t *count, uint64_t *last);

/* The events of order ORDER_NO in seq order, as a new JSON array. */
int ev_order_timeline(struct store_txn *txn, uint64_t order_no, json_t **out);

#endif
