/* events.c - the event log (see events.h). */
#include "jtext.h"
#include "events.h"

#include "keys.h"
#include "store.h"
#include "wms/codec.h"
#include "wms/time.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An events.read reply stops growing past this, whatever the limit: the client pages on. */
#define READ_MAX_BYTES (4u << 20)

/* Appends TEXT (owned: "type {json}", NUL-terminated) to the batch, or frees it. */
static int stage(struct ev_batch *b, uint64_t seq, char *text, size_t len, size_t type_len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct ev_staged *v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL) {
			free(text);
			return WMS_ENOMEM;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (struct ev_staged){ seq, text, len, type_len };
	return 0;
}

/* Whether FIELDS names a member the envelope owns (seq, type, at): those are not the
 * event's to set, and are dropped (as json_object_update_missing would). */
static bool names_envelope(const json_t *fields)
{
	return json_object_get(fields, "seq") || json_object_get(fields, "type") ||
	       json_object_get(fields, "at");
}

/*
 * The staged text "TYPE {"seq":SEQ,"type":"TYPE","at":"AT",<fields>}" in one allocation: the
 * bytes jtext_dumps gives for the envelope object with FIELDS merged after it (keys in that
 * order), without building that object. *LEN is the whole text's length.
 */
static char *event_text(uint64_t seq, const char *type, const char *at, const json_t *fields,
                        size_t *len)
{
	json_t *own = NULL;
	if (!json_is_object(fields))
		fields = NULL; /* only an object's members can join the envelope */
	if (fields && names_envelope(fields)) {
		own = json_copy((json_t *)fields);
		if (own == NULL)
			return NULL;
		json_object_del(own, "seq");
		json_object_del(own, "type");
		json_object_del(own, "at");
		fields = own;
	}
	struct jbuf fb;
	JBUF_INIT(&fb);
	int rc = fields ? jtext_dump(fields, &fb) : 0;
	json_decref(own);
	if (rc) {
		jbuf_release(&fb);
		return NULL;
	}
	/* FB is "{...}" or "{}" (or nothing): its members follow the envelope's after a comma. */
	bool more = fb.len > 2;
	const char *tail = more ? fb.p + 1 : "}";
	size_t tlen = more ? fb.len - 1 : 1;
	char head[160];
	/* Types and timestamps are the engine's own ASCII words: nothing to escape. */
	int hn = snprintf(head, sizeof(head), "%s {\"seq\":%" PRIu64 ",\"type\":\"%s\",\"at\":\"%s\"%s",
	                  type, seq, type, at, more ? "," : "");
	char *text = hn > 0 && (size_t)hn < sizeof(head) ? malloc((size_t)hn + tlen + 1) : NULL;
	if (text) {
		memcpy(text, head, (size_t)hn);
		memcpy(text + hn, tail, tlen);
		text[(size_t)hn + tlen] = '\0';
		*len = (size_t)hn + tlen;
	}
	jbuf_release(&fb);
	return text;
}

int ev_emit(struct cmd_ctx *c, const char *type, uint64_t order_no, json_t *fields)
{
	int rc = 0;
	if (c->evs == NULL || c->next_seq == NULL) {
		json_decref(fields);
		return WMS_EINTERNAL; /* a read handler tried to change state */
	}
	uint64_t seq = *c->next_seq;
	char at[WMS_TIME_BUFSZ];
	size_t len = 0, tl = strlen(type);
	char *text = event_text(seq, type, wms_time_format(c->now, at), fields, &len);
	json_decref(fields);
	if (text == NULL)
		return WMS_ENOMEM;
	struct key k = KEY_INIT;
	key_u64(&k, seq);
	/* Sequence numbers only grow: an append, the cheapest write LMDB has. */
	if ((rc = store_put(c->txn, STORE_EVENTS, k.b, k.n, text + tl + 1, len - tl - 1,
	                    STORE_APPEND)))
		goto fail;
	if (order_no) {
		struct key ok = KEY_INIT;
		key_u64(&ok, order_no);
		key_u64(&ok, seq);
		if ((rc = store_put(c->txn, STORE_ORDER_EVENTS, ok.b, ok.n, "", 0, 0)))
			goto fail;
	}
	if ((rc = stage(c->evs, seq, text, len, tl)))
		return rc;
	*c->next_seq = seq + 1;
	return 0;
fail:
	free(text);
	return rc;
}

void ev_batch_truncate(struct ev_batch *b, size_t n)
{
	while (b->n > n)
		free(b->v[--b->n].text);
}

void ev_batch_release(struct ev_batch *b)
{
	if (b == NULL)
		return;
	ev_batch_truncate(b, 0);
	free(b->v);
	*b = (struct ev_batch)EV_BATCH_INIT;
}

int ev_last_seq(struct store_txn *txn, uint64_t *out)
{
	struct store_cursor *cur;
	struct store_val k;
	int rc = store_cursor_open(txn, STORE_EVENTS, &cur);
	if (rc)
		return rc;
	rc = store_cursor_last(cur, &k, NULL);
	if (rc == 0 && k.len == 8)
		*out = key_get_u64(k.data);
	else if (rc == WMS_ENOTFOUND) {
		*out = 0;
		rc = 0;
	}
	store_cursor_close(cur);
	return rc;
}

/* The event's type, read from the text the engine wrote: {"seq":N,"type":"T",... */
static int type_matches(const char *json, size_t len, const char *prefix)
{
	const char *t = memmem(json, len, "\"type\":\"", 8);
	if (t == NULL)
		return 0;
	t += 8;
	size_t pl = strlen(prefix);
	return (size_t)(json + len - t) >= pl && memcmp(t, prefix, pl) == 0;
}

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return WMS_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

int ev_read_range(struct store_txn *txn, uint64_t after, size_t limit, const char *prefix,
                  char **out, size_t *out_len, size_t *count, uint64_t *last)
{
	struct store_cursor *cur;
	struct store_val k, v;
	struct buf b = { NULL, 0, 0 };
	size_t n = 0;
	uint64_t seen = after;
	int rc = store_cursor_open(txn, STORE_EVENTS, &cur);
	if (rc)
		return rc;
	struct key start = KEY_INIT;
	key_u64(&start, after + 1);
	if ((rc = buf_add(&b, "", 0)))
		goto out;
	for (rc = store_cursor_seek(cur, start.b, start.n, &k, &v); rc == 0 && n < limit;
	     rc = store_cursor_next(cur, &k, &v)) {
		if (b.n > READ_MAX_BYTES)
			break;
		seen = key_get_u64(k.data);
		if (prefix && prefix[0] && !type_matches(v.data, v.len, prefix))
			continue;
		if ((n && (rc = buf_add(&b, ",", 1))) || (rc = buf_add(&b, v.data, v.len)))
			goto out;
		n++;
	}
	if (rc == WMS_ENOTFOUND || rc == 0)
		rc = 0;
out:
	store_cursor_close(cur);
	if (rc) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*out_len = b.n;
	*count = n;
	*last = seen;
	return 0;
}

int ev_order_timeline(struct store_txn *txn, uint64_t order_no, json_t **out)
{
	struct store_cursor *cur;
	struct store_val k;
	json_t *arr = json_array();
	if (arr == NULL)
		return WMS_ENOMEM;
	int rc = store_cursor_open(txn, STORE_ORDER_EVENTS, &cur);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	struct key prefix = KEY_INIT;
	key_u64(&prefix, order_no);
	for (rc = store_cursor_seek(cur, prefix.b, prefix.n, &k, NULL);
	     rc == 0 && key_has_prefix(k.data, k.len, &prefix);
	     rc = store_cursor_next(cur, &k, NULL)) {
		json_t *ev;
		if (k.len != 16)
			continue;
		struct key ek = KEY_INIT;
		key_u64(&ek, key_get_u64((const uint8_t *)k.data + 8));
		if ((rc = store_get_json(txn, STORE_EVENTS, ek.b, ek.n, &ev)))
			break;
		json_array_append_new(arr, ev);
	}
	store_cursor_close(cur);
	if (rc && rc != WMS_ENOTFOUND) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
