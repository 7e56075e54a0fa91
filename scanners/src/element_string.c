/*
 * element_string.c - GS1 element strings: the raw form a scanner sends (FNC1 as GS) and the
 * bracketed form people write, in both directions (see wms/barcode.h for the rules).
 */
#include "bc_private.h"
#include "gs1_ai.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* GS, or one of the characters the scanner was set to send instead of it. */
static bool is_sep(const struct bc_ctx *cx, int c)
{
	return c == BC_GS || (c != 0 && strchr(cx->opts->gs_alias, c) != NULL);
}

/* Reads the AI starting at P (raw form) into AI; returns its definition or fails. */
static int read_ai(struct bc_ctx *cx, size_t p, size_t end, char ai[5],
                   const struct gs1_ai_def **def)
{
	const char *t = cx->text;
	char q[32], ch[8];
	size_t len;

	if (end - p < 2 || !is_digit((unsigned char)t[p]) || !is_digit((unsigned char)t[p + 1])) {
		size_t bad = is_digit((unsigned char)t[p]) ? p + 1 : p;
		if (bad >= end)
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, p, NULL,
			               "element string ends inside an AI");
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, bad, NULL,
		               "expected an AI (digits), found %s",
		               bc_char(ch, (unsigned char)t[bad]));
	}
	len = gs1_ai_length(t + p);
	if (len == 0)
		return bc_fail(cx, WMS_BCERR_UNKNOWN_AI, p, NULL,
		               "no GS1 Application Identifier starts with '%c%c'", t[p], t[p + 1]);
	for (size_t i = 2; i < len; i++)
		if (p + i >= end || !is_digit((unsigned char)t[p + i]))
			return bc_fail(
			    cx, WMS_BCERR_UNKNOWN_AI, p, NULL,
			    "AIs starting with '%c%c' have %zu digits; found %s", t[p], t[p + 1],
			    len, bc_quote(q, sizeof(q), t + p, end - p < len ? end - p : len));
	memcpy(ai, t + p, len);
	ai[len] = '\0';
	*def = gs1_ai_find(ai, len);
	if (*def == NULL)
		return bc_fail(cx, WMS_BCERR_UNKNOWN_AI, p, ai, "unknown AI (%s)", ai);
	return 0;
}

int bc_parse_raw(struct bc_ctx *cx, size_t start, size_t end)
{
	const char *t = cx->text;
	size_t p = start;
	char q[64];

	/* Scanners without AIM identifiers often send the leading FNC1 as a GS. */
	if (p < end && is_sep(cx, (unsigned char)t[p]))
		p++;
	if (p == end)
		return bc_fail(cx, WMS_BCERR_EMPTY, p, NULL, "element string has no AIs");
	while (p < end) {
		const struct gs1_ai_def *d;
		char ai[5];
		size_t vstart, vend, max;
		int rc;

		if (is_sep(cx, (unsigned char)t[p]))
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, p, NULL,
			               "two separators in a row: an empty field");
		rc = read_ai(cx, p, end, ai, &d);
		if (rc)
			return rc;
		vstart = p + strlen(ai);
		max = gs1_ai_max_len(d);
		vend = vstart;
		if (gs1_ai_predefined(ai)) {
			/* Predefined length: exactly that many characters, no separator needed. */
			while (vend < end && vend - vstart < max &&
			       !is_sep(cx, (unsigned char)t[vend]))
				vend++;
			if (vend - vstart < max)
				return bc_fail(
				    cx, WMS_BCERR_BAD_LENGTH, vstart, ai,
				    "AI (%s) %s takes exactly %zu characters; %s has %zu", ai,
				    d->title, max,
				    bc_quote(q, sizeof(q), t + vstart, vend - vstart),
				    vend - vstart);
			p = vend;
			/* A separator here is unnecessary but common: tolerate it. */
			if (p < end && is_sep(cx, (unsigned char)t[p]))
				p++;
		} else {
			/* Runs to the next separator or the end; never guess where it stops. */
			while (vend < end && !is_sep(cx, (unsigned char)t[vend]))
				vend++;
			if (vend - vstart > max)
				return bc_fail(
				    cx, WMS_BCERR_MISSING_SEPARATOR, vstart + max, ai,
				    "AI (%s) %s takes at most %zu characters but %zu follow "
				    "without a separator (%s): a GS is missing after the value, or "
				    "the value is too long",
				    ai, d->title, max, vend - vstart,
				    bc_quote(q, sizeof(q), t + vstart, vend - vstart));
			p = vend;
			if (p < end)
				p++; /* the separator; a trailing one is tolerated */
		}
		rc = bc_add_ai(cx, ai, t + vstart, vend - vstart, vstart, NULL);
		if (rc)
			return rc;
	}
	cx->out->kind = WMS_BC_ELEMENT_STRING;
	return 0;
}

int bc_parse_bracketed(struct bc_ctx *cx, size_t start, size_t end)
{
	const char *t = cx->text;
	size_t p = start;
	char ch[8];

	while (p < end) {
		const struct gs1_ai_def *d;
		char ai[5], value[WMS_BARCODE_MAX_VALUE + 1];
		size_t posmap[WMS_BARCODE_MAX_VALUE + 1];
		size_t a, q, n = 0;
		int rc;

		if (t[p] != '(')
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, p, NULL,
			               "expected '(' to open an AI, found %s",
			               bc_char(ch, (unsigned char)t[p]));
		a = p + 1;
		for (q = a; q < end && q - a <= 4 && is_digit((unsigned char)t[q]); q++)
			;
		if (q >= end || t[q] != ')' || q - a < 2 || q - a > 4)
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, a, NULL,
			               "an AI in brackets is 2 to 4 digits and a ')'");
		memcpy(ai, t + a, q - a);
		ai[q - a] = '\0';
		d = gs1_ai_find(ai, q - a);
		if (d == NULL)
			return bc_fail(cx, WMS_BCERR_UNKNOWN_AI, a, ai, "unknown AI (%s)", ai);
		p = q + 1;
		/* The value runs to the next '(' ; "\(" is a '(' inside the value. */
		while (p < end && t[p] != '(') {
			size_t at = p;
			if (t[p] == '\\' && p + 1 < end && t[p + 1] == '(')
				at = ++p;
			if (n == WMS_BARCODE_MAX_VALUE)
				return bc_fail(cx, WMS_BCERR_BAD_LENGTH, at, ai,
				               "AI (%s) %s value is longer than its maximum of %zu",
				               ai, d->title, gs1_ai_max_len(d));
			posmap[n] = at;
			value[n++] = t[p++];
		}
		rc = bc_add_ai(cx, ai, value, n, q + 1, n > 0 ? posmap : NULL);
		if (rc)
			return rc;
	}
	cx->out->kind = WMS_BC_ELEMENT_STRING;
	return 0;
}

/* Appends N bytes to BUF at *O, keeping room for the NUL. */
static bool put(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > cap)
		return false;
	memcpy(buf + *o, s, n);
	*o += n;
	return true;
}

static bool put_field(char *buf, size_t cap, size_t *o, enum wms_es_form form, const char *ai,
                      const char *value, bool last)
{
	if (form == WMS_ES_BRACKETED) {
		if (!put(buf, cap, o, "(", 1) || !put(buf, cap, o, ai, strlen(ai)) ||
		    !put(buf, cap, o, ")", 1))
			return false;
		for (const char *v = value; *v; v++) {
			if (*v == '(' && !put(buf, cap, o, "\\", 1))
				return false;
			if (!put(buf, cap, o, v, 1))
				return false;
		}
		return true;
	}
	if (!put(buf, cap, o, ai, strlen(ai)) || !put(buf, cap, o, value, strlen(value)))
		return false;
	if (!last && !gs1_ai_predefined(ai))
		return put(buf, cap, o, "\x1d", 1);
	return true;
}

int wms_barcode_to_element_string(const struct wms_barcode *bc, enum wms_es_form form, char *buf,
                                  size_t cap, size_t *out_len)
{
	size_t o = 0;
	bool ok = true;

	if (bc == NULL || buf == NULL || cap == 0)
		return -WMS_BCERR_BAD_LENGTH;
	if (form != WMS_ES_BRACKETED && form != WMS_ES_RAW)
		return -WMS_BCERR_BAD_FORMAT;
	if (bc->kind == WMS_BC_GTIN) {
		ok = put_field(buf, cap, &o, form, "01", bc->gtin, true);
	} else if (bc->kind == WMS_BC_ELEMENT_STRING || bc->kind == WMS_BC_DIGITAL_LINK) {
		size_t n = bc->n_ais < WMS_BARCODE_MAX_AIS ? bc->n_ais : WMS_BARCODE_MAX_AIS;
		for (size_t i = 0; ok && i < n; i++)
			ok = put_field(buf, cap, &o, form, bc->ais[i].ai, bc->ais[i].value,
			               i + 1 == n);
	} else {
		return -WMS_BCERR_BAD_FORMAT;
	}
	if (!ok) {
		buf[0] = '\0';
		return -WMS_BCERR_BAD_LENGTH;
	}
	buf[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return 0;
}
