/*
 * barcode.c - the entry point: trimming, AIM symbology identifiers, deciding what a scan is
 * and handing it to the module that parses that form; plus the shared error and result
 * helpers, the accessors and the names (see wms/barcode.h).
 */
#include "wms/barcode.h"

#include "bc_private.h"
#include "gs1_ai.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- errors ---- */

struct class_row {
	int cls;
	const char *name;
};

static const struct class_row class_rows[] = {
#define WMS_BCERR_ROW(sym, val, name, text) { sym, name },
	WMS_BARCODE_ERRORS(WMS_BCERR_ROW)
#undef WMS_BCERR_ROW
};

const char *wms_barcode_errname(int cls)
{
	if (cls < 0)
		cls = -cls;
	for (size_t i = 0; i < sizeof(class_rows) / sizeof(class_rows[0]); i++)
		if (class_rows[i].cls == cls)
			return class_rows[i].name;
	return "";
}

int wms_barcode_errclass(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(class_rows) / sizeof(class_rows[0]); i++)
		if (strcmp(class_rows[i].name, name) == 0)
			return class_rows[i].cls;
	return 0;
}

int bc_fail(struct bc_ctx *cx, enum wms_barcode_errclass cls, size_t off, const char *ai,
            const char *fmt, ...)
{
	struct wms_barcode_error *e = cx->err;
	if (e != NULL) {
		va_list ap;
		int n;
		e->cls = cls;
		e->position = off == BC_NO_POS ? 0 : off + 1;
		snprintf(e->ai, sizeof(e->ai), "%s", ai != NULL ? ai : "");
		va_start(ap, fmt);
		n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
		if (off != BC_NO_POS && n >= 0 && (size_t)n < sizeof(e->message))
			snprintf(e->message + n, sizeof(e->message) - (size_t)n, " (position %zu)",
			         off + 1);
	}
	return -(int)cls;
}

const char *bc_char(char *buf, int c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned)c & 0xffu);
	return buf;
}

const char *bc_quote(char *buf, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	buf[o++] = '\'';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = (c >= 0x20 && c < 0x7f) ? 1 : 4;
		/* Keep room for the closing "...'" and the NUL. */
		if (o + w + 5 > cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (w == 1)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* ---- results ---- */

int bc_add_ai(struct bc_ctx *cx, const char *ai, const char *value, size_t n, size_t off,
              const size_t *posmap)
{
	const struct gs1_ai_def *d = gs1_ai_find(ai, strlen(ai));
	struct wms_barcode *out = cx->out;
	size_t where = posmap != NULL && n > 0 ? posmap[0] : off;
	int rc;

	if (d == NULL)
		return bc_fail(cx, WMS_BCERR_UNKNOWN_AI, where, ai, "unknown AI (%s)", ai);
	rc = gs1_ai_check(cx, d, ai, value, n, off, posmap);
	if (rc)
		return rc;
	for (size_t i = 0; i < out->n_ais; i++) {
		if (strcmp(out->ais[i].ai, ai) != 0)
			continue;
		/* The same fact twice is harmless (two carriers, or a repeat in a URI). */
		if (strlen(out->ais[i].value) == n && memcmp(out->ais[i].value, value, n) == 0)
			return 0;
		char q1[64], q2[64];
		return bc_fail(
		    cx, WMS_BCERR_BAD_FORMAT, where, ai,
		    "AI (%s) appears twice with different values %s and %s", ai,
		    bc_quote(q1, sizeof(q1), out->ais[i].value, strlen(out->ais[i].value)),
		    bc_quote(q2, sizeof(q2), value, n));
	}
	if (out->n_ais == WMS_BARCODE_MAX_AIS)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, where, ai,
		               "more than %d element strings in one scan", WMS_BARCODE_MAX_AIS);
	snprintf(out->ais[out->n_ais].ai, sizeof(out->ais[0].ai), "%s", ai);
	memcpy(out->ais[out->n_ais].value, value, n);
	out->ais[out->n_ais].value[n] = '\0';
	out->n_ais++;
	return 0;
}

/* ---- options ---- */

bool wms_barcode_gs_alias_ok(int c)
{
	/*
	 * GS1 data is CSET 82 except AI 8010 (CSET 39, which adds '#') and AI 8030 (CSET 64, a
	 * subset of CSET 82). An alias outside both can never be data, so it is never ambiguous.
	 * TAB, CR and LF are outside both but cannot serve: a keyboard wedge ends a scan at Enter
	 * (CR/LF) and moves to the next field at TAB, so the scan would arrive cut in two, and
	 * the whitespace around a scan is trimmed as a wedge's.
	 */
	return c > 0 && c < 0x80 && c != '\t' && c != '\n' && c != '\r' && !gs1_cset82(c) &&
	       !gs1_cset39(c);
}

static int check_alias(struct bc_ctx *cx, const char *chars, size_t n)
{
	char ch[8];
	if (n > WMS_BARCODE_MAX_GS_ALIAS)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, BC_NO_POS, NULL,
		               "GS alias has %zu characters; at most %d", n,
		               WMS_BARCODE_MAX_GS_ALIAS);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)chars[i];
		if (c == '\t' || c == '\n' || c == '\r')
			return bc_fail(
			    cx, WMS_BCERR_BAD_CHARSET, BC_NO_POS, NULL,
			    "GS alias %s cannot stand for GS: a keyboard-wedge scanner "
			    "ends or splits a scan at TAB, CR and LF; choose FS (\\x1c), "
			    "RS (\\x1e) or one of space $ @ [ \\ ] ^ ` { | } ~",
			    bc_char(ch, c));
		if (!wms_barcode_gs_alias_ok(c))
			return bc_fail(cx, WMS_BCERR_BAD_CHARSET, BC_NO_POS, NULL,
			               "GS alias %s can occur in GS1 data (CSET 82 or CSET 39); "
			               "choose one of space $ @ [ \\ ] ^ ` { | } ~ or a control "
			               "character other than NUL, TAB, CR and LF, e.g. FS (\\x1c)",
			               bc_char(ch, c));
	}
	return 0;
}

int wms_barcode_opts_set_gs_alias(struct wms_barcode_opts *opts, const char *chars,
                                  struct wms_barcode_error *err)
{
	struct bc_ctx cx = { "", NULL, NULL, err };
	size_t n = chars != NULL ? strlen(chars) : 0;
	int rc = check_alias(&cx, chars, n);
	if (rc)
		return rc;
	memset(opts->gs_alias, 0, sizeof(opts->gs_alias));
	if (n > 0)
		memcpy(opts->gs_alias, chars, n);
	return 0;
}

/* ---- the entry point ---- */

enum aim_family {
	AIM_NONE,   /* no identifier */
	AIM_GS1,    /* GS1 data follows: an element string */
	AIM_NUMBER, /* EAN/UPC/ITF: a plain number */
	AIM_PLAIN,  /* any other symbology: plain text */
};

static enum aim_family aim_family_of(const char *sym)
{
	static const char gs1[][4] = { "]C1", "]d2", "]Q3", "]e0", "]J1" };
	for (size_t i = 0; i < sizeof(gs1) / sizeof(gs1[0]); i++)
		if (memcmp(sym, gs1[i], 3) == 0)
			return AIM_GS1;
	if (sym[1] == 'E' || sym[1] == 'I')
		return AIM_NUMBER;
	return AIM_PLAIN;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_gs1(struct bc_ctx *cx, size_t s, size_t e)
{
	if (cx->text[s] == '(')
		return bc_parse_bracketed(cx, s, e);
	return bc_parse_raw(cx, s, e);
}

/*
 * Where the main symbol's data ends when an EAN/UPC scan in [S, E) carries its add-on as a
 * second packet with its own identifier, "]E1" + 2 digits or "]E2" + 5 digits (how scanners
 * that prefix every packet send "]E0<13 digits>]E112"); E when it does not.
 */
static size_t addon_packet_start(const char *t, size_t s, size_t e)
{
	for (size_t k = s; k + 3 <= e; k++) {
		if (t[k] != ']')
			continue;
		size_t want = memcmp(t + k, "]E1", 3) == 0   ? 2
		              : memcmp(t + k, "]E2", 3) == 0 ? 5
		                                             : 0;
		if (want != 0 && e - (k + 3) == want && all_digits(t + k + 3, want))
			return k;
		break;
	}
	return e;
}

/*
 * A plain number under its AIM identifier (ISO/IEC 15424 and 15420 for EAN/UPC): the data
 * must fit the identifier, else bad_length, so a cut or mislabelled scan is not read as some
 * other GTIN:
 *   ]E0  EAN-13, UPC-A or UPC-E, sent as 13 digits (12 are tolerated: scanners set to drop
 *        UPC-A's leading 0);
 *   ]E1  a two-digit add-on alone, ]E2 a five-digit add-on alone: no GTIN (bad_format);
 *   ]E3  EAN-13 (or UPC-A/UPC-E as 13 digits) with its add-on, 13 + 2 or 13 + 5 digits; the
 *        add-on (a price or an issue number) is not part of the GTIN;
 *   ]E4  EAN-8.
 * ]E0 and ]E4 may be followed by the add-on as its own packet (addon_packet_start).
 */
static int parse_number(struct bc_ctx *cx, const char *sym, size_t s, size_t e)
{
	const char *t = cx->text;
	char q[64], ch[8];
	if (sym[1] == 'I')
		return bc_parse_gtin(cx, s, e, BC_GTIN_LENGTHS, "ITF");
	switch (sym[2]) {
	case '0':
		return bc_parse_gtin(cx, s, addon_packet_start(t, s, e), BC_LEN(12) | BC_LEN(13),
		                     "EAN-13/UPC-A");
	case '4':
		return bc_parse_gtin(cx, s, addon_packet_start(t, s, e), BC_LEN(8), "EAN-8");
	case '1':
	case '2':
	case '3':
		for (size_t i = s; i < e; i++)
			if (!is_digit((unsigned char)t[i]))
				return bc_fail(cx, WMS_BCERR_BAD_CHARSET, i, NULL,
				               "%s under %s: %s is not a digit",
				               bc_quote(q, sizeof(q), t + s, e - s), sym,
				               bc_char(ch, (unsigned char)t[i]));
		break;
	default:
		return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s - 3, NULL,
		               "%s is not an EAN/UPC symbology identifier (]E0 to ]E4)", sym);
	}
	size_t n = e - s;
	if (sym[2] == '3') {
		if (n != 15 && n != 18)
			return bc_fail(
			    cx, WMS_BCERR_BAD_LENGTH, s, NULL,
			    "%s under %s has %zu digits: EAN-13 with an add-on has 13 + 2 "
			    "or 13 + 5",
			    bc_quote(q, sizeof(q), t + s, n), sym, n);
		return bc_parse_gtin(cx, s, s + 13, BC_LEN(13), "EAN-13");
	}
	size_t want = sym[2] == '1' ? 2 : 5;
	if (n != want)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, s, NULL,
		               "%s under %s has %zu digits: a %s-digit add-on has %zu",
		               bc_quote(q, sizeof(q), t + s, n), sym, n, want == 2 ? "two" : "five",
		               want);
	return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s, NULL,
	               "%s is a %s-digit add-on symbol alone (%s), not a GTIN: scan the main "
	               "barcode",
	               bc_quote(q, sizeof(q), t + s, n), want == 2 ? "two" : "five", sym);
}

static int parse_plain(struct bc_ctx *cx, bool no_symbology, size_t s, size_t e)
{
	const char *t = cx->text;
	size_t n = e - s;
	int c0 = (unsigned char)t[s];

	if (bc_looks_like_uri(t + s, n))
		return bc_parse_digital_link(cx, s, e);
	if (bc_looks_like_label(t + s, n))
		return bc_parse_label(cx, s, e);
	if (all_digits(t + s, n)) {
		if (n <= 14 && (BC_GTIN_LENGTHS & BC_LEN(n)))
			return bc_parse_gtin(cx, s, e, BC_GTIN_LENGTHS, "GTIN");
		/*
		 * Shorter digit runs are far more likely a mistyped or cut GTIN than an element
		 * string (those carry 01 or 00 and are 16+ digits): say so rather than report
		 * whatever AI the first digits happen to spell.
		 */
		if (!no_symbology || n < 16)
			return bc_fail(cx, WMS_BCERR_BAD_LENGTH, s, NULL,
			               "%zu digits: a GTIN has 8, 12, 13 or 14 digits", n);
		return bc_parse_raw(cx, s, e);
	}
	if (c0 == '(')
		return bc_parse_bracketed(cx, s, e);
	if (no_symbology && (c0 == BC_GS || (c0 != 0 && strchr(cx->opts->gs_alias, c0)) ||
	                     (n >= 2 && all_digits(t + s, 2))))
		return bc_parse_raw(cx, s, e);
	char q[64];
	return bc_fail(cx, WMS_BCERR_BAD_FORMAT, s, NULL,
	               "%s is not a GTIN, a GS1 element string, a Digital Link URI or an engine "
	               "label",
	               bc_quote(q, sizeof(q), t + s, n));
}

/* Fills in what the forms share: the GTIN from AI (01). */
static void finish(struct wms_barcode *res)
{
	if (res->kind == WMS_BC_ELEMENT_STRING || res->kind == WMS_BC_DIGITAL_LINK) {
		const char *g = wms_barcode_ai(res, "01");
		if (g != NULL)
			snprintf(res->gtin, sizeof(res->gtin), "%s", g);
	}
}

int wms_barcode_parse(const char *text, size_t len, const struct wms_barcode_opts *opts,
                      struct wms_barcode *out, struct wms_barcode_error *err)
{
	static const struct wms_barcode_opts no_opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode res;
	struct bc_ctx cx = { text, opts != NULL ? opts : &no_opts, &res, err };
	char sym[4] = "";
	size_t s = 0, e = len;
	int rc;

	memset(&res, 0, sizeof(res));
	if (text == NULL || len == 0)
		return bc_fail(&cx, WMS_BCERR_EMPTY, BC_NO_POS, NULL, "nothing was scanned");
	if (len > WMS_BARCODE_MAX_INPUT)
		return bc_fail(&cx, WMS_BCERR_BAD_LENGTH, BC_NO_POS, NULL,
		               "scan of %zu bytes is longer than %d", len, WMS_BARCODE_MAX_INPUT);
	rc = check_alias(&cx, cx.opts->gs_alias,
	                 strnlen(cx.opts->gs_alias, sizeof(cx.opts->gs_alias)));
	if (rc)
		return rc;

	/* Keyboard wedges add CR, LF or TAB; people add spaces. None of it is data. */
	while (s < e && is_space((unsigned char)text[s]))
		s++;
	while (e > s && is_space((unsigned char)text[e - 1]))
		e--;
	if (s == e)
		return bc_fail(&cx, WMS_BCERR_EMPTY, BC_NO_POS, NULL,
		               "nothing but whitespace was scanned");

	if (text[s] == ']') {
		if (e - s < 3 || !is_alnum((unsigned char)text[s + 1]) ||
		    !is_alnum((unsigned char)text[s + 2])) {
			char q[32];
			return bc_fail(&cx, WMS_BCERR_BAD_FORMAT, s, NULL,
			               "%s is not an AIM symbology identifier (']' + letter + "
			               "modifier)",
			               bc_quote(q, sizeof(q), text + s, e - s < 3 ? e - s : 3));
		}
		memcpy(sym, text + s, 3);
		sym[3] = '\0';
		s += 3;
		if (s == e)
			return bc_fail(&cx, WMS_BCERR_EMPTY, s, NULL,
			               "nothing after the symbology identifier %s", sym);
	}

	if (sym[0] == '\0')
		rc = parse_plain(&cx, true, s, e);
	else {
		switch (aim_family_of(sym)) {
		case AIM_GS1:
			rc = parse_gs1(&cx, s, e);
			break;
		case AIM_NUMBER:
			rc = parse_number(&cx, sym, s, e);
			break;
		default:
			rc = parse_plain(&cx, false, s, e);
			break;
		}
	}
	if (rc)
		return rc;
	memcpy(res.symbology, sym, sizeof(res.symbology));
	finish(&res);
	*out = res;
	return 0;
}

/* ---- names ---- */

const char *wms_barcode_kind_name(enum wms_barcode_kind kind)
{
	switch (kind) {
	case WMS_BC_GTIN:
		return "gtin";
	case WMS_BC_ELEMENT_STRING:
		return "element_string";
	case WMS_BC_DIGITAL_LINK:
		return "digital_link";
	case WMS_BC_INTERNAL:
		return "internal";
	default:
		return "";
	}
}

const char *wms_internal_type_name(enum wms_internal_type type)
{
	switch (type) {
	case WMS_INTERNAL_LOCATION:
		return "location";
	case WMS_INTERNAL_TOTE:
		return "tote";
	case WMS_INTERNAL_STATION:
		return "station";
	case WMS_INTERNAL_CARTON:
		return "carton";
	case WMS_INTERNAL_INSERT:
		return "insert";
	case WMS_INTERNAL_CART:
		return "cart";
	case WMS_INTERNAL_USER:
		return "user";
	default:
		return "";
	}
}

/* ---- accessors ---- */

const char *wms_barcode_ai(const struct wms_barcode *bc, const char *ai)
{
	if (bc == NULL || ai == NULL)
		return NULL;
	for (size_t i = 0; i < bc->n_ais && i < WMS_BARCODE_MAX_AIS; i++)
		if (strcmp(bc->ais[i].ai, ai) == 0)
			return bc->ais[i].value;
	return NULL;
}

const char *wms_barcode_lot(const struct wms_barcode *bc)
{
	return wms_barcode_ai(bc, "10");
}

const char *wms_barcode_serial(const struct wms_barcode *bc)
{
	return wms_barcode_ai(bc, "21");
}

const char *wms_barcode_sscc(const struct wms_barcode *bc)
{
	return wms_barcode_ai(bc, "00");
}

int wms_gs1_date(const char *yymmdd, int ref_year, struct wms_date *out)
{
	int yy, mm, dd, year, dim;
	if (yymmdd == NULL || strnlen(yymmdd, 7) != 6 || !all_digits(yymmdd, 6))
		return -WMS_BCERR_BAD_CHARSET;
	yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
	mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
	dd = (yymmdd[4] - '0') * 10 + (yymmdd[5] - '0');
	if (ref_year <= 0) {
		year = 2000 + yy;
	} else {
		/* GS1 General Specifications 7.12: a window from 49 years back to 50 ahead. */
		int cur = ref_year % 100, century = ref_year - cur, diff = yy - cur;
		if (diff >= 51)
			century -= 100;
		else if (diff <= -50)
			century += 100;
		year = century + yy;
	}
	dim = gs1_days_in_month(year, mm);
	if (dim == 0 || dd > dim)
		return -WMS_BCERR_BAD_DATE;
	out->year = year;
	out->month = mm;
	out->day = dd == 0 ? dim : dd;
	return 0;
}

bool wms_barcode_expiry(const struct wms_barcode *bc, int ref_year, struct wms_date *out)
{
	const char *v = wms_barcode_ai(bc, "17");
	return v != NULL && wms_gs1_date(v, ref_year, out) == 0;
}

static bool to_ulong(const char *v, unsigned long *out)
{
	unsigned long x = 0;
	size_t n = strlen(v);
	if (n == 0 || n > 9 || !all_digits(v, n))
		return false;
	for (size_t i = 0; i < n; i++)
		x = x * 10 + (unsigned long)(v[i] - '0');
	*out = x;
	return true;
}

bool wms_barcode_count(const struct wms_barcode *bc, unsigned long *out)
{
	const char *v = wms_barcode_ai(bc, "37");
	if (v == NULL)
		v = wms_barcode_ai(bc, "30");
	return v != NULL && to_ulong(v, out);
}

bool wms_barcode_measure(const struct wms_barcode *bc, const char *family, struct wms_measure *out)
{
	if (bc == NULL || family == NULL || strlen(family) != 3)
		return false;
	for (size_t i = 0; i < bc->n_ais && i < WMS_BARCODE_MAX_AIS; i++) {
		const struct wms_barcode_ai *a = &bc->ais[i];
		unsigned long v;
		/* Only 31nn-36nn are measures with a decimal indicator in the AI. */
		if (strlen(a->ai) != 4 || memcmp(a->ai, family, 3) != 0 || a->ai[0] != '3' ||
		    a->ai[1] < '1' || a->ai[1] > '6' || !to_ulong(a->value, &v))
			continue;
		snprintf(out->ai, sizeof(out->ai), "%s", a->ai);
		out->value = v;
		out->decimals = a->ai[3] - '0';
		return true;
	}
	return false;
}
