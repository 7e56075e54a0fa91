/*
 * labels.c - the engine's own labels, printed as plain Code 128 or Code 39:
 *   LOC-  location   groups of A-Z0-9 joined by single hyphens   LOC-A01-02-3
 *   TOTE- tote       digits                                      TOTE-000123
 *   STN-  station    groups                                      STN-PACK-04
 *   CTN-  carton     digits                                      CTN-0000042
 *   INS-  insert     groups                                      INS-XMAS-CARD
 *   CART- cart       digits                                      CART-17
 *   USR-  user       groups                                      USR-JDOE
 * Letters are accepted in either case and reported in upper case: labels are defined upper
 * case, so folding cannot merge two labels, and a keyboard wedge with caps lock on (or a
 * Code 39 reader set to lower case) still scans. See wms/barcode.h.
 */
#include "bc_private.h"

#include <string.h>

static const struct label_kind {
	const char *prefix;
	enum wms_internal_type type;
	bool digits_only;
} label_kinds[] = {
	{ "LOC-", WMS_INTERNAL_LOCATION, false }, { "TOTE-", WMS_INTERNAL_TOTE, true },
	{ "STN-", WMS_INTERNAL_STATION, false },  { "CTN-", WMS_INTERNAL_CARTON, true },
	{ "INS-", WMS_INTERNAL_INSERT, false },   { "CART-", WMS_INTERNAL_CART, true },
	{ "USR-", WMS_INTERNAL_USER, false },
};

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static const struct label_kind *label_kind_of(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(label_kinds) / sizeof(label_kinds[0]); i++) {
		const char *p = label_kinds[i].prefix;
		size_t k = strlen(p), j;
		if (n < k)
			continue;
		for (j = 0; j < k && upper((unsigned char)s[j]) == p[j]; j++)
			;
		if (j == k)
			return &label_kinds[i];
	}
	return NULL;
}

bool bc_looks_like_label(const char *s, size_t n)
{
	return label_kind_of(s, n) != NULL;
}

int bc_parse_label(struct bc_ctx *cx, size_t start, size_t end)
{
	const char *t = cx->text + start;
	size_t n = end - start;
	const struct label_kind *k = label_kind_of(t, n);
	size_t plen = strlen(k->prefix);
	char q[80], ch[8];

	bc_quote(q, sizeof(q), t, n);
	if (n > WMS_BARCODE_MAX_LABEL)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, start, NULL,
		               "label %s has %zu characters; at most %d", q, n,
		               WMS_BARCODE_MAX_LABEL);
	if (n == plen)
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, end, NULL,
		               "label %s has nothing after '%s'", q, k->prefix);
	for (size_t i = plen; i < n; i++) {
		int c = upper((unsigned char)t[i]);
		bool digit = c >= '0' && c <= '9', letter = c >= 'A' && c <= 'Z';
		if (k->digits_only) {
			if (!digit)
				return bc_fail(
				    cx, WMS_BCERR_BAD_CHARSET, start + i, NULL,
				    "label %s: %s is not a digit ('%s' takes digits only)", q,
				    bc_char(ch, (unsigned char)t[i]), k->prefix);
			continue;
		}
		if (c == '-') {
			/* Groups are never empty: no "--", no trailing '-'. */
			if (i == plen || i + 1 == n || t[i + 1] == '-')
				return bc_fail(cx, WMS_BCERR_BAD_FORMAT, start + i, NULL,
				               "label %s has an empty group: '-' must join letters "
				               "or digits",
				               q);
			continue;
		}
		if (!digit && !letter)
			return bc_fail(cx, WMS_BCERR_BAD_CHARSET, start + i, NULL,
			               "label %s: %s is not allowed ('%s' takes A-Z, 0-9 and '-')",
			               q, bc_char(ch, (unsigned char)t[i]), k->prefix);
	}
	for (size_t i = 0; i < n; i++)
		cx->out->internal_id[i] = (char)upper((unsigned char)t[i]);
	cx->out->internal_id[n] = '\0';
	cx->out->internal_type = k->type;
	cx->out->kind = WMS_BC_INTERNAL;
	return 0;
}
