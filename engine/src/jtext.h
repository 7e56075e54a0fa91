/*
 * jtext.h - JSON text for the engine's own documents and events, fast.
 *
 * Every stored document (orders, stock rows, tasks, waves ...) and every event is JSON text
 * that the engine itself wrote. jansson's general-purpose encoder and decoder cost the writer
 * thread more than half of an order's handling time (a callback per fragment, snprintf for
 * every number, UTF-8 validation of text that was validated when it entered). These two
 * functions do the same job for that trusted text:
 *
 *   jtext_dump  writes exactly the bytes json_dumps(v, WMS_JSON_DUMP) writes: compact, keys in
 *               insertion order, reals with 15 significant digits in jansson's spelling
 *               ("4.5", "100.0", "1e20"), strings escaped as jansson escapes them.
 *   jtext_load  parses JSON text into the json_t tree json_loadb(text, 0) would build,
 *               without re-validating UTF-8 (the text was checked on its way in). Malformed
 *               text is refused, never trusted: the result is NULL, not a crash.
 *
 * Requests from clients do NOT come through here: they are parsed strictly by the protocol
 * codec (duplicate keys, UTF-8, bounds).
 *
 * Threading: pure functions. Ownership: jtext_dump writes into the caller's struct jbuf;
 * jtext_load returns a new reference. Nesting is bounded by JTEXT_DEPTH_MAX (deeper input
 * fails).
 */
#ifndef WMS_JTEXT_H
#define WMS_JTEXT_H

#include <jansson.h>
#include <stddef.h>

#define JTEXT_DEPTH_MAX 256

/* A growable output buffer that starts in its own inline storage (no allocation for small
 * documents). JBUF_INIT(b) makes one ready; jbuf_release frees what it grew into. */
struct jbuf {
	char *p;
	size_t len, cap;
	char inline_[4096];
};
#define JBUF_INIT(b) ((b)->p = (b)->inline_, (b)->len = 0, (b)->cap = sizeof((b)->inline_))
void jbuf_release(struct jbuf *b);

/* Appends V's JSON text to B (not NUL-terminated). 0, or -1 when out of memory, when V nests
 * deeper than JTEXT_DEPTH_MAX, or holds a real that is not finite (as jansson refuses). */
int jtext_dump(const json_t *v, struct jbuf *b);

/* V's JSON text, malloc'd and NUL-terminated, its length in *LEN (may be NULL); NULL on the
 * errors of jtext_dump. */
char *jtext_dumps(const json_t *v, size_t *len);

/* Parses LEN bytes of JSON text (one value, surrounding whitespace allowed). NULL when the
 * text is not JSON, nests too deep, or memory runs out. */
json_t *jtext_load(const void *text, size_t len);

#endif
