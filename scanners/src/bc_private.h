/*
 * bc_private.h - what the scanner library's modules share and nobody else sees: the parse
 * context, error reporting with positions, quoting of scanned bytes for messages, and adding an
 * AI to the result under the repeat rule.
 *
 * Threading: as the library (pure functions over caller-owned structs).
 */
#ifndef WMS_BC_PRIVATE_H
#define WMS_BC_PRIVATE_H

#include "wms/barcode.h"

#include <stdbool.h>
#include <stddef.h>

#define BC_GS     '\x1d'
#define BC_NO_POS ((size_t)-1)

/*
 * One parse in progress. Offsets given to the helpers are byte offsets into TEXT, the scan as
 * the caller passed it, so positions in messages match what the caller sees.
 */
struct bc_ctx {
	const char *text;
	const struct wms_barcode_opts *opts; /* never NULL inside the library */
	struct wms_barcode *out;             /* a scratch result, copied out on success */
	struct wms_barcode_error *err;       /* may be NULL */
};

/*
 * Records an error (when cx->err is set) and returns -CLS. OFF is a byte offset into the text
 * or BC_NO_POS; the message gets " (position N)" appended. AI may be NULL.
 */
int bc_fail(struct bc_ctx *cx, enum wms_barcode_errclass cls, size_t off, const char *ai,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Writes S (N bytes) into BUF (CAP bytes, at least 16) in single quotes, bytes outside printable
 * ASCII as \xNN, cut with "..." when long. Returns BUF, for use as a printf argument.
 */
const char *bc_quote(char *buf, size_t cap, const char *s, size_t n);

/* Printable description of one byte: "'A'" or "\x1d". BUF at least 8 bytes. */
const char *bc_char(char *buf, int c);

/*
 * Validates VALUE (N bytes) for AI and appends it to cx->out. OFF is the offset of the value's
 * first byte; POSMAP, when not NULL, gives the offset of each value byte instead (Digital Link
 * values were percent-decoded). An AI already present with the same value is dropped; with a
 * different value it is bad_format. More than WMS_BARCODE_MAX_AIS is bad_length.
 */
int bc_add_ai(struct bc_ctx *cx, const char *ai, const char *value, size_t n, size_t off,
              const size_t *posmap);

/* Element strings (element_string.c): raw form in [start, end) of cx->text. */
int bc_parse_raw(struct bc_ctx *cx, size_t start, size_t end);

/* Element strings (element_string.c): bracketed form in [start, end) of cx->text. */
int bc_parse_bracketed(struct bc_ctx *cx, size_t start, size_t end);

/* Digital Link URI (digital_link.c) in [start, end) of cx->text. */
int bc_parse_digital_link(struct bc_ctx *cx, size_t start, size_t end);

/* True when [start, end) starts like a Digital Link URI (http:// or https://). */
bool bc_looks_like_uri(const char *s, size_t n);

/* Engine labels (labels.c): true when [s, s+n) starts with a label prefix. */
bool bc_looks_like_label(const char *s, size_t n);

/* Engine labels (labels.c): parses the label in [start, end) of cx->text. */
int bc_parse_label(struct bc_ctx *cx, size_t start, size_t end);

/*
 * A plain GTIN in [start, end) (gtin.c): digits only, a length allowed by LENGTHS (bit n set
 * allows n digits), check digit verified; sets cx->out->gtin. WHAT names the symbology in
 * messages ("EAN-13").
 */
int bc_parse_gtin(struct bc_ctx *cx, size_t start, size_t end, unsigned lengths, const char *what);

#define BC_LEN(n)       (1u << (n))
#define BC_GTIN_LENGTHS (BC_LEN(8) | BC_LEN(12) | BC_LEN(13) | BC_LEN(14))

#endif
