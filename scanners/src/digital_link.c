/*
 * digital_link.c - GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax 1.2):
 *   http(s)://any.host[/any/prefix]/{primary
 * key}/{value}[/{qualifier}/{value}...][?{AI}={value}&...] The primary key is the rightmost path AI
 * that the standard makes a key (01, 00, 414, ...); its qualifiers follow in the order the standard
 * fixes (for 01: 22, 10, 21 - or 235). Query parameters whose names are digits are AIs ("data
 * attributes"); others (linkType, utm_...) are not GS1 data and are ignored. Path segments may also
 * use the short names of the first Digital Link release (gtin, lot, ser, sscc, ...). Values are
 * percent-decoded and then checked like any element string; a GTIN-8/12/13 primary key is padded to
 * 14 digits.
 */
#include "bc_private.h"
#include "gs1_ai.h"

#include <stdio.h>
#include <string.h>

#define DL_MAX_SEGS 64

struct seg {
	size_t s, e; /* [s, e) in the text, raw (not decoded) */
};

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool prefix_ci(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != p[i])
			return false;
	}
	return true;
}

bool bc_looks_like_uri(const char *s, size_t n)
{
	return prefix_ci(s, n, "https://") || prefix_ci(s, n, "http://");
}

/* Characters a URI may hold literally (RFC 3986 unreserved, sub-delims, ':', '@', '/', '?',
 * '%' for escapes). Anything else must have been percent-encoded. */
static bool uri_char(int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c))
		return true;
	return c != 0 && strchr("-._~!$&'()*+,;=:@/?%[]", c) != NULL;
}

/* Short names of the first Digital Link release, for keys and qualifiers in the path. */
static const struct {
	const char *name;
	const char *ai;
} dl_names[] = {
	{ "gtin", "01" },    { "itip", "8006" }, { "gmn", "8013" },   { "cpid", "8010" },
	{ "gln", "414" },    { "payTo", "415" }, { "gsrnp", "8017" }, { "gsrn", "8018" },
	{ "gcn", "255" },    { "sscc", "00" },   { "gdti", "253" },   { "ginc", "401" },
	{ "gsin", "402" },   { "grai", "8003" }, { "giai", "8004" },  { "cpv", "22" },
	{ "lot", "10" },     { "ser", "21" },    { "cpsn", "8011" },  { "srin", "8019" },
	{ "refNo", "8020" }, { "glnx", "254" },
};

/* The AI a path segment names (digits of a known AI, or a short name), or NULL. */
static const char *seg_ai(const char *t, struct seg g, char buf[5])
{
	size_t n = g.e - g.s;
	if (n >= 2 && n <= 4) {
		bool digits = true;
		for (size_t i = 0; i < n; i++)
			digits = digits && is_digit((unsigned char)t[g.s + i]);
		if (digits && gs1_ai_find(t + g.s, n) != NULL) {
			memcpy(buf, t + g.s, n);
			buf[n] = '\0';
			return buf;
		}
	}
	for (size_t i = 0; i < sizeof(dl_names) / sizeof(dl_names[0]); i++)
		if (strlen(dl_names[i].name) == n && memcmp(dl_names[i].name, t + g.s, n) == 0)
			return dl_names[i].ai;
	return NULL;
}

/* Percent-decodes [s, e) into OUT (at most WMS_BARCODE_MAX_VALUE bytes), POSMAP[i] = offset. */
static int decode(struct bc_ctx *cx, const char *ai, size_t s, size_t e, char *out, size_t *posmap,
                  size_t *n_out)
{
	const char *t = cx->text;
	size_t n = 0;
	for (size_t p = s; p < e; p++) {
		int c = (unsigned char)t[p];
		size_t at = p;
		if (c == '%') {
			if (p + 2 >= e || hexval((unsigned char)t[p + 1]) < 0 ||
			    hexval((unsigned char)t[p + 2]) < 0)
				return bc_fail(cx, WMS_BCERR_BAD_FORMAT, p, ai,
				               "'%%' must start a %%XX escape");
			c = hexval((unsigned char)t[p + 1]) * 16 + hexval((unsigned char)t[p + 2]);
			p += 2;
		}
		if (n == WMS_BARCODE_MAX_VALUE) {
			const struct gs1_ai_def *d = gs1_ai_find(ai, strlen(ai));
			return bc_fail(cx, WMS_BCERR_BAD_LENGTH, at, ai,
			               "AI (%s) value is longer than its maximum of %zu", ai,
			               d != NULL ? gs1_ai_max_len(d)
			                         : (size_t)WMS_BARCODE_MAX_VALUE);
		}
		posmap[n] = at;
		out[n++] = (char)c;
	}
	*n_out = n;
	return 0;
}

/* Decodes a value and adds it as AI. A GTIN-8/12/13 primary key becomes a GTIN-14. */
static int add_value(struct bc_ctx *cx, const char *ai, size_t s, size_t e)
{
	char value[WMS_BARCODE_MAX_VALUE + 1];
	size_t posmap[WMS_BARCODE_MAX_VALUE + 1];
	size_t n = 0;
	int rc = decode(cx, ai, s, e, value, posmap, &n);
	if (rc)
		return rc;
	if (strcmp(ai, "01") == 0 && (n == 8 || n == 12 || n == 13)) {
		bool digits = true;
		for (size_t i = 0; i < n; i++)
			digits = digits && is_digit((unsigned char)value[i]);
		if (digits) {
			size_t pad = 14 - n;
			memmove(value + pad, value, n);
			memmove(posmap + pad, posmap, n * sizeof(posmap[0]));
			for (size_t i = 0; i < pad; i++) {
				value[i] = '0';
				posmap[i] = s;
			}
			n = 14;
		}
	}
	if (n == 0)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, s, ai, "AI (%s) has an empty value", ai);
	return bc_add_ai(cx, ai, value, n, s, posmap);
}

/* True when the qualifiers Q[0..m) appear, in this order, in one alternative of QUALS. */
static bool quals_in_order(const char *quals, char q[][5], size_t m)
{
	const char *alt = quals;
	while (*alt) {
		const char *end = strchr(alt, '|');
		size_t altlen = end ? (size_t)(end - alt) : strlen(alt);
		const char *cur = alt;
		size_t k = 0;
		/* Walk the alternative's comma list once, matching Q in order. */
		while (k < m && cur < alt + altlen) {
			const char *comma = memchr(cur, ',', (size_t)(alt + altlen - cur));
			size_t len = comma ? (size_t)(comma - cur) : (size_t)(alt + altlen - cur);
			if (strlen(q[k]) == len && memcmp(q[k], cur, len) == 0)
				k++;
			cur += len + (comma ? 1 : 0);
		}
		if (k == m)
			return true;
		alt = end ? end + 1 : alt + altlen;
	}
	return false;
}

/* True when AI is one of the qualifiers of a key with QUALS. */
static bool is_qualifier(const char *quals, const char *ai)
{
	size_t n = strlen(ai);
	for (const char *p = quals; *p;) {
		size_t len = strcspn(p, ",|");
		if (len == n && memcmp(p, ai, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

static void quals_words(const char *quals, char *buf, size_t cap)
{
	size_t o = 0;
	for (const char *p = quals; *p && o + 6 < cap; p++) {
		if (*p == '|') {
			memcpy(buf + o, " or ", 4);
			o += 4;
		} else if (*p == ',') {
			memcpy(buf + o, ", ", 2);
			o += 2;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

static int parse_path(struct bc_ctx *cx, size_t ps, size_t pe, const struct gs1_ai_def **key_def,
                      char key[5])
{
	const char *t = cx->text;
	struct seg segs[DL_MAX_SEGS];
	char aibuf[DL_MAX_SEGS][5];
	char quals[DL_MAX_SEGS / 2][5];
	size_t nseg = 0, nq = 0;
	long i, first, k_at = -1;
	int rc;

	/* Split "/a/b/c" (a trailing '/' is dropped). */
	for (size_t p = ps; p < pe;) {
		size_t s = p + 1, e = s;
		while (e < pe && t[e] != '/')
			e++;
		if (e == s && e == pe)
			break;
		if (nseg == DL_MAX_SEGS)
			return bc_fail(cx, WMS_BCERR_BAD_LENGTH, s, NULL,
			               "URI path has more than %d segments", DL_MAX_SEGS);
		segs[nseg].s = s;
		segs[nseg].e = e;
		nseg++;
		p = e;
	}
	/* From the end, walk back over {AI}/{value} pairs; the prefix is whatever is left. */
	for (i = (long)nseg - 2; i >= 0 && seg_ai(t, segs[i], aibuf[i]) != NULL; i -= 2)
		;
	first = i + 2;
	for (long j = first; j + 1 < (long)nseg; j += 2) {
		const char *ai = seg_ai(t, segs[j], aibuf[j]);
		const struct gs1_ai_def *d = gs1_ai_find(ai, strlen(ai));
		if (d->flags & GS1_DL_PKEY)
			k_at = j;
	}
	if (k_at < 0)
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, ps < pe ? ps : BC_NO_POS, NULL,
		               "Digital Link path has no primary key (01, 00, 414, 8004, ...) "
		               "followed by its value");
	if (k_at > first) {
		const char *ai = seg_ai(t, segs[first], aibuf[first]);
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, segs[first].s, ai,
		               "path element (%s) comes before the primary key (%s)", ai,
		               seg_ai(t, segs[k_at], aibuf[k_at]));
	}
	snprintf(key, 5, "%s", seg_ai(t, segs[k_at], aibuf[k_at]));
	*key_def = gs1_ai_find(key, strlen(key));
	rc = add_value(cx, key, segs[k_at + 1].s, segs[k_at + 1].e);
	if (rc)
		return rc;
	for (long j = k_at + 2; j + 1 < (long)nseg; j += 2) {
		const char *ai = seg_ai(t, segs[j], aibuf[j]);
		char words[64];
		snprintf(quals[nq++], 5, "%s", ai);
		if (!quals_in_order((*key_def)->dl_quals, quals, nq)) {
			quals_words((*key_def)->dl_quals, words, sizeof(words));
			if (!is_qualifier((*key_def)->dl_quals, ai))
				return bc_fail(
				    cx, WMS_BCERR_BAD_FORMAT, segs[j].s, ai,
				    "AI (%s) is not a qualifier of primary key (%s)%s%s; "
				    "data attributes go in the query string",
				    ai, key, words[0] ? ", which takes " : "", words);
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, segs[j].s, ai,
			               "qualifier (%s) is out of order after primary key (%s); the "
			               "order is %s",
			               ai, key, words);
		}
		rc = add_value(cx, ai, segs[j + 1].s, segs[j + 1].e);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_query(struct bc_ctx *cx, size_t qs, size_t qe, const struct gs1_ai_def *key_def)
{
	const char *t = cx->text;
	for (size_t p = qs; p < qe;) {
		size_t s = p, e = p, eq;
		bool digits = true;
		while (e < qe && t[e] != '&')
			e++;
		p = e + 1;
		for (eq = s; eq < e && t[eq] != '='; eq++)
			digits = digits && is_digit((unsigned char)t[eq]);
		if (eq == s || !digits)
			continue; /* not GS1 data: linkType=..., utm_source=..., or empty */
		char ai[5];
		size_t n = eq - s;
		const struct gs1_ai_def *d = n <= 4 ? gs1_ai_find(t + s, n) : NULL;
		if (d == NULL)
			return bc_fail(cx, WMS_BCERR_UNKNOWN_AI, s, NULL,
			               "query parameter '%.*s' is not a known AI",
			               (int)(n < 8 ? n : 8), t + s);
		memcpy(ai, t + s, n);
		ai[n] = '\0';
		if (eq == e)
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s, ai,
			               "query attribute (%s) has no value", ai);
		if (!(d->flags & GS1_DL_ATTR))
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s, ai,
			               "AI (%s) %s cannot be a Digital Link query attribute", ai,
			               d->title);
		if (is_qualifier(key_def->dl_quals, ai))
			return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s, ai,
			               "AI (%s) qualifies the primary key and belongs in the path",
			               ai);
		int rc = add_value(cx, ai, eq + 1, e);
		if (rc)
			return rc;
	}
	return 0;
}

int bc_parse_digital_link(struct bc_ctx *cx, size_t start, size_t end)
{
	const char *t = cx->text;
	const struct gs1_ai_def *key_def = NULL;
	size_t p = start + (prefix_ci(t + start, end - start, "https://") ? 8 : 7);
	size_t host = p, ps, pe, qs = 0, qe = 0;
	char key[5], ch[8];
	int rc;

	/* Fragment ("#...") aside, every character must be one a URI may hold literally. */
	for (size_t i = p; i < end && t[i] != '#'; i++)
		if (!uri_char((unsigned char)t[i]))
			return bc_fail(cx, WMS_BCERR_BAD_CHARSET, i, NULL,
			               "%s cannot appear in a URI unless percent-encoded",
			               bc_char(ch, (unsigned char)t[i]));
	while (p < end && t[p] != '/' && t[p] != '?' && t[p] != '#')
		p++;
	if (p == host)
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, host, NULL, "URI has no host");
	ps = p;
	while (p < end && t[p] != '?' && t[p] != '#')
		p++;
	pe = p;
	if (p < end && t[p] == '?') {
		qs = ++p;
		while (p < end && t[p] != '#')
			p++;
		qe = p;
	}
	rc = parse_path(cx, ps, pe, &key_def, key);
	if (rc)
		return rc;
	rc = parse_query(cx, qs, qe, key_def);
	if (rc)
		return rc;
	cx->out->kind = WMS_BC_DIGITAL_LINK;
	return 0;
}
