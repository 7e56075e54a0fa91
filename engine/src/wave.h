/*
 * wave.h - wave planning, release to the floor, and handing pickers their work.
 *
 * wave.plan takes a warehouse's allocated shipments from the wave queue (alloc.h) in cutoff
 * order, most urgent first, and fills waves up to the request's limits (orders, units,
 * carts). Within a wave the orders are batched onto carts (batch.h: savings plus local
 * improvement; one tote per order) and every batch is routed (route.h). A planned wave holds
 * its shipments (they leave the queue); wave.cancel gives them back (not those of orders
 * cancelled since: a cancelled order's shipments keep their "wave" for the record, and are
 * skipped at release too); cancelling a cancelled wave answers changed false. wave.plan and
 * wave.get both give the batch count as batch_count and batches_count.
 *
 * A shipment is at risk in a wave when the batch that carries it is not back at the depot,
 * plus the warehouse's pack time, before the shipment's carrier cutoff. Batch times are
 * estimated from the route length (walk_mps) and the number of stops (pick_seconds), with the
 * batches handed to PICKERS pickers in plan order; the estimate is stated in the reply so
 * the operator can see why.
 *
 * wave.release turns a planned wave into pick tasks (one per stop: a location, a sku, a
 * quantity, the tote of the order), assigns each order a tote (TOTE-nnnnnn), moves the
 * shipments to `waved`, and queues the batches for pickers. task.next gives a picker the
 * batch it is working on, or the next queued batch (earliest cutoff first), and its next
 * open task in route order. A batch whose tasks are all finished (picked, shorted or
 * withdrawn; through task.next or by task ids alone) is completed: it leaves the queue and
 * frees its picker, so task.next never hands out a batch without work.
 *
 * Storage: waves (u64 wave no -> document with batches and stops), batches (wave, batch ->
 * progress and totes), tasks (wave, batch, seq -> task), the batch queue (warehouse, cutoff,
 * wave, batch), pickers (warehouse, picker -> current batch) and totes (tote -> order).
 * Ids: wave "W<no>", batch "W<no>-B<k>", task "W<no>-B<k>-T<seq>".
 *
 * Determinism: the same store and request give the same waves byte for byte.
 * Threading: write handlers on the writer thread; wave.get is a read handler.
 */
#ifndef WMS_WAVE_H
#define WMS_WAVE_H

#include <stdbool.h>

#include "cmd.h"
#include "keys.h"

int wave_plan(struct cmd_ctx *c, json_t **reply);
int wave_get(struct cmd_ctx *c, json_t **reply);
int wave_release(struct cmd_ctx *c, json_t **reply);
int wave_cancel(struct cmd_ctx *c, json_t **reply);
int task_next(struct cmd_ctx *c, json_t **reply);

/* Parses a task id "W<no>-B<k>-T<seq>". Returns 0, or -1 when ID is not one. */
int wave_task_id_parse(const char *id, uint64_t *wave, uint32_t *batch, uint32_t *seq);

/* Keys of the wave tables. */
void wave_task_key(struct key *k, uint64_t wave, uint32_t batch, uint32_t seq);
void wave_batch_key(struct key *k, uint64_t wave, uint32_t batch);

/*
 * Loads the task with id TASK for a change (new reference in *OUT). Errors: WMS_ENOTFOUND
 * naming FIELD.
 */
int wave_task_load(struct cmd_ctx *c, const char *task, const char *field, json_t **out);
int wave_task_save(struct cmd_ctx *c, const json_t *task);

/*
 * Task TASK is finished (picked in full, shorted or withdrawn): counts it in its batch, and
 * when the batch has no open task left completes it, once: out of the pickers' queue, its
 * picker (if any) freed, batch.completed {batch, wave, warehouse, picker?}. *SHIPMENT_OPEN
 * (may be NULL) receives how many tasks of TASK's shipment the batch still has open, or -1
 * when the batch does not count them (released before it did): ask the tasks then.
 */
int wave_task_done(struct cmd_ctx *c, const json_t *task, long long *shipment_open);

/*
 * Withdraws the open tasks of SHIPMENT in batch BATCH ("W<n>-B<k>"): each becomes
 * "withdrawn" (the task SHORTED, when not NULL, "short") with done_at, and counts as finished
 * for its batch (wave_task_done: the batch completes after its last task and frees its
 * picker). The ids withdrawn are appended to IDS (may be NULL). Errors: WMS_EINTERNAL for a
 * malformed batch id; store errors.
 */
int wave_shipment_withdraw(struct cmd_ctx *c, const char *batch, const char *shipment,
                           const char *shorted, json_t *ids);

/*
 * The order a tote holds: new reference {tenant, order, order_no, shipment, ...}; a tote
 * whose order was cancelled answers its last entry with "cancelled" (the time): the tote is
 * free (the next wave may give it to another order), the note only says why it holds nothing.
 */
int wave_tote_load(struct store_txn *txn, const char *tote, json_t **out);
/* The tote is emptied (its carton is closed, or its shipment was shorted). */
int wave_tote_free(struct cmd_ctx *c, const char *tote);
/* The tote's order was cancelled: the tote is free, noted as above. *FREED says whether it
 * held the order until now (false for an unknown tote or one noted already). */
int wave_tote_cancel(struct cmd_ctx *c, const char *tote, bool *freed);

#endif
