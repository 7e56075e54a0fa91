/* jtext.c - JSON text for the engine's own documents and events (see jtext.h). */
#include "jtext.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wms/codec.h"

/* ---- output buffer ---- */

void jbuf_release(struct jbuf *b)
{
	if (b->p != b->inline_)
		free(b->p);
	JBUF_INIT(b);
}

static int jbuf_reserve(struct jbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap * 2;
	while (cap < b->len + more)
		cap *= 2;
	char *p = b->p == b->inline_ ? malloc(cap) : realloc(b->p, cap);
	if (p == NULL)
		return -1;
	if (b->p == b->inline_)
		memcpy(p, b->inline_, b->len);
	b->p = p;
	b->cap = cap;
	return 0;
}

static int put(struct jbuf *b, const char *s, size_t n)
{
	if (jbuf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int putc_(struct jbuf *b, char ch)
{
	if (b->len == b->cap && jbuf_reserve(b, 1))
		return -1;
	b->p[b->len++] = ch;
	return 0;
}

/* ---- dump ---- */

/* Decimal digits of V (at most 20) written backwards ending at END; returns the start. */
static char *u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static int dump_integer(json_int_t i, struct jbuf *b)
{
	char buf[24], *end = buf + sizeof(buf);
	uint64_t mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	char *s = u64_digits(mag, end);
	if (i < 0)
		*--s = '-';
	return put(b, s, (size_t)(end - s));
}

/*
 * A real as jansson writes it with JSON_REAL_PRECISION(15): "%.15g", ".0" added when that
 * looks like an integer, the exponent without '+' and leading zeros. The fast path covers
 * the reals documents hold (coordinates, costs, metres: at most 6 decimals, below 1e9): for a
 * double that is the nearest one to a decimal of at most 15 significant digits, "%.15g"
 * prints exactly that decimal, which integer arithmetic writes without snprintf.
 */
static int dump_real(double d, struct jbuf *b)
{
	if (!isfinite(d))
		return -1;
	double a = fabs(d);
	if (a >= 1e-4 && a < 1e9) {
		double scaled = a * 1e6;
		uint64_t m = (uint64_t)llround(scaled);
		if ((double)m / 1e6 == a) {
			char buf[32], *end = buf + sizeof(buf), *s;
			uint64_t ip = m / 1000000, fp = m % 1000000;
			int fd = 6;
			while (fd > 0 && fp % 10 == 0) {
				fp /= 10;
				fd--;
			}
			if (fd == 0) {
				*--end = '0';
			} else {
				for (int k = 0; k < fd; k++, fp /= 10)
					*--end = (char)('0' + fp % 10);
			}
			*--end = '.';
			s = u64_digits(ip, end);
			if (d < 0)
				*--s = '-';
			return put(b, s, (size_t)(buf + sizeof(buf) - s));
		}
	}
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "%.*g", WMS_JSON_REAL_DIGITS, d);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3)
		return -1;
	size_t len = (size_t)n;
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		buf[len++] = '.';
		buf[len++] = '0';
		buf[len] = '\0';
	}
	char *e = strchr(buf, 'e');
	if (e) {
		char *start = e + 1, *digits;
		if (*start == '+') {
			memmove(start, start + 1, len - (size_t)(start + 1 - buf) + 1);
			len--;
		} else if (*start == '-') {
			start++;
		}
		for (digits = start; *digits == '0' && digits[1] != '\0'; digits++)
			;
		if (digits != start) {
			memmove(start, digits, len - (size_t)(digits - buf) + 1);
			len -= (size_t)(digits - start);
		}
	}
	return put(b, buf, len);
}

/* Whether any of the 8 bytes at P is below 0x20, '"' or '\\' (a byte-wise zero test on the
 * word: the flagged bit of a byte can only be wrong above a byte that really matched, and
 * the caller then looks at each byte anyway). */
static int needs_escape8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
	uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs);
	return (hit & high) != 0;
}

static int dump_string(const char *s, size_t n, struct jbuf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	if (jbuf_reserve(b, n + 2))
		return -1;
	b->p[b->len++] = '"';
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		/* Eight bytes at a time while none of them needs an escape: most text is plain. */
		while (i + 8 <= n && !needs_escape8(s + i))
			i += 8;
		if (i >= n)
			break;
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		if (put(b, s + run, i - run))
			return -1;
		run = i + 1;
		char esc[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t el = 2;
		switch (ch) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			el = 6;
		}
		if (put(b, esc, el))
			return -1;
	}
	if (put(b, s + run, n - run))
		return -1;
	return putc_(b, '"');
}

static int dump_value(const json_t *v, struct jbuf *b, int depth)
{
	if (depth > JTEXT_DEPTH_MAX)
		return -1;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return put(b, "null", 4);
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_INTEGER:
		return dump_integer(json_integer_value(v), b);
	case JSON_REAL:
		return dump_real(json_real_value(v), b);
	case JSON_STRING:
		return dump_string(json_string_value(v), json_string_length(v), b);
	case JSON_ARRAY: {
		if (putc_(b, '['))
			return -1;
		size_t n = json_array_size(v);
		for (size_t i = 0; i < n; i++)
			if ((i && putc_(b, ',')) || dump_value(json_array_get(v, i), b, depth + 1))
				return -1;
		return putc_(b, ']');
	}
	case JSON_OBJECT: {
		if (putc_(b, '{'))
			return -1;
		int first = 1;
		/* Insertion order, as jansson's iterator (and so json_dumps) has it. */
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			const char *k = json_object_iter_key(it);
			if ((!first && putc_(b, ',')) ||
			    dump_string(k, json_object_iter_key_len(it), b) || putc_(b, ':') ||
			    dump_value(json_object_iter_value(it), b, depth + 1))
				return -1;
			first = 0;
		}
		return putc_(b, '}');
	}
	}
	return -1;
}

int jtext_dump(const json_t *v, struct jbuf *b)
{
	size_t at = b->len;
	if (v == NULL || dump_value(v, b, 0)) {
		b->len = at;
		return -1;
	}
	return 0;
}

char *jtext_dumps(const json_t *v, size_t *len)
{
	struct jbuf b;
	JBUF_INIT(&b);
	if (jtext_dump(v, &b) || putc_(&b, '\0')) {
		jbuf_release(&b);
		return NULL;
	}
	char *out;
	if (b.p == b.inline_) {
		out = malloc(b.len);
		if (out)
			memcpy(out, b.inline_, b.len);
	} else {
		out = b.p;
	}
	if (out && len)
		*len = b.len - 1;
	return out;
}

/* ---- load ---- */

struct lexer {
	const char *p, *end;
	int depth;
	char *scratch; /* unescaped string bytes */
	size_t scap;
};

static void skip_ws(struct lexer *lx)
{
	while (lx->p < lx->end &&
	       (*lx->p == ' ' || *lx->p == '\n' || *lx->p == '\r' || *lx->p == '\t'))
		lx->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int scratch_reserve(struct lexer *lx, size_t n)
{
	if (n <= lx->scap)
		return 0;
	size_t cap = lx->scap ? lx->scap : 256;
	while (cap < n)
		cap *= 2;
	char *s = realloc(lx->scratch, cap);
	if (s == NULL)
		return -1;
	lx->scratch = s;
	lx->scap = cap;
	return 0;
}

/*
 * Reads a string at lx->p (after the opening quote). Without escapes the result points into
 * the text; with them, into the scratch buffer. *S and *N are valid until the next string.
 */
static int lex_string(struct lexer *lx, const char **s, size_t *n)
{
	const char *start = lx->p;
	const char *q = start;
	while (q < lx->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < lx->end && *q == '"') {
		*s = start;
		*n = (size_t)(q - start);
		lx->p = q + 1;
		return 0;
	}
	/* Escapes: unescape into scratch (never longer than the text; at least one byte, so
	 * that scratch exists even for a string cut at the end of the text). */
	if (scratch_reserve(lx, (size_t)(lx->end - start) + 1))
		return -1;
	size_t o = (size_t)(q - start);
	memcpy(lx->scratch, start, o);
	while (q < lx->end) {
		unsigned char ch = (unsigned char)*q;
		if (ch == '"') {
			*s = lx->scratch;
			*n = o;
			lx->p = q + 1;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch != '\\') {
			lx->scratch[o++] = (char)ch;
			q++;
			continue;
		}
		if (++q >= lx->end)
			return -1;
		char e = *q++;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			lx->scratch[o++] = e;
			break;
		case 'b':
			lx->scratch[o++] = '\b';
			break;
		case 'f':
			lx->scratch[o++] = '\f';
			break;
		case 'n':
			lx->scratch[o++] = '\n';
			break;
		case 'r':
			lx->scratch[o++] = '\r';
			break;
		case 't':
			lx->scratch[o++] = '\t';
			break;
		case 'u': {
			unsigned cp, lo;
			if (lx->end - q < 4 || hex4(q, &cp))
				return -1;
			q += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return -1;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (lx->end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
				    hex4(q + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				q += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			/* UTF-8 of CP: never longer than the escape it came from. */
			if (cp < 0x80) {
				lx->scratch[o++] = (char)cp;
			} else if (cp < 0x800) {
				lx->scratch[o++] = (char)(0xC0 | cp >> 6);
				lx->scratch[o++] = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				lx->scratch[o++] = (char)(0xE0 | cp >> 12);
				lx->scratch[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
				lx->scratch[o++] = (char)(0x80 | (cp & 0x3F));
			} else {
				lx->scratch[o++] = (char)(0xF0 | cp >> 18);
				lx->scratch[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
				lx->scratch[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
				lx->scratch[o++] = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default:
			return -1;
		}
	}
	return -1;
}

static json_t *lex_number(struct lexer *lx)
{
	const char *s = lx->p, *q = s;
	int real = 0;
	if (q < lx->end && *q == '-')
		q++;
	if (q >= lx->end)
		return NULL;
	if (*q == '0') {
		q++;
	} else if (*q >= '1' && *q <= '9') {
		while (q < lx->end && *q >= '0' && *q <= '9')
			q++;
	} else {
		return NULL;
	}
	if (q < lx->end && *q == '.') {
		real = 1;
		if (++q >= lx->end || *q < '0' || *q > '9')
			return NULL;
		while (q < lx->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < lx->end && (*q == 'e' || *q == 'E')) {
		real = 1;
		q++;
		if (q < lx->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= lx->end || *q < '0' || *q > '9')
			return NULL;
		while (q < lx->end && *q >= '0' && *q <= '9')
			q++;
	}
	lx->p = q;
	if (!real) {
		const char *d = *s == '-' ? s + 1 : s;
		uint64_t mag = 0;
		for (; d < q; d++) {
			uint64_t digit = (uint64_t)(*d - '0');
			if (mag > (UINT64_MAX - digit) / 10)
				return NULL;
			mag = mag * 10 + digit;
		}
		if (*s == '-') {
			if (mag > (uint64_t)INT64_MAX + 1)
				return NULL;
			return json_integer(mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
			                                                   : -(json_int_t)mag);
		}
		if (mag > (uint64_t)INT64_MAX)
			return NULL;
		return json_integer((json_int_t)mag);
	}
	char buf[64];
	size_t n = (size_t)(q - s);
	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	double d = strtod(buf, NULL);
	if (!isfinite(d))
		return NULL;
	return json_real(d);
}

static json_t *lex_value(struct lexer *lx);

static json_t *lex_object(struct lexer *lx)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == '}') {
		lx->p++;
		return o;
	}
	for (;;) {
		const char *k;
		size_t kn;
		skip_ws(lx);
		if (lx->p >= lx->end || *lx->p != '"')
			goto fail;
		lx->p++;
		if (lex_string(lx, &k, &kn))
			goto fail;
		/* The key may sit in scratch, which the value's strings reuse: copy it. */
		char kbuf[256], *key = kn < sizeof(kbuf) ? kbuf : malloc(kn + 1);
		if (key == NULL)
			goto fail;
		memcpy(key, k, kn);
		key[kn] = '\0';
		skip_ws(lx);
		json_t *v = NULL;
		if (lx->p < lx->end && *lx->p == ':') {
			lx->p++;
			v = lex_value(lx);
		}
		int bad = v == NULL || json_object_setn_new_nocheck(o, key, kn, v) != 0;
		if (key != kbuf)
			free(key);
		if (bad)
			goto fail;
		skip_ws(lx);
		if (lx->p >= lx->end)
			goto fail;
		if (*lx->p == ',') {
			lx->p++;
			continue;
		}
		if (*lx->p == '}') {
			lx->p++;
			return o;
		}
		goto fail;
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *lex_array(struct lexer *lx)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == ']') {
		lx->p++;
		return a;
	}
	for (;;) {
		json_t *v = lex_value(lx);
		if (v == NULL || json_array_append_new(a, v) != 0)
			goto fail;
		skip_ws(lx);
		if (lx->p >= lx->end)
			goto fail;
		if (*lx->p == ',') {
			lx->p++;
			continue;
		}
		if (*lx->p == ']') {
			lx->p++;
			return a;
		}
		goto fail;
	}
fail:
	json_decref(a);
	return NULL;
}

static int lex_word(struct lexer *lx, const char *w, size_t n)
{
	if ((size_t)(lx->end - lx->p) < n || memcmp(lx->p, w, n) != 0)
		return -1;
	lx->p += n;
	return 0;
}

static json_t *lex_value(struct lexer *lx)
{
	skip_ws(lx);
	if (lx->p >= lx->end)
		return NULL;
	json_t *v = NULL;
	switch (*lx->p) {
	case '{':
	case '[':
		if (lx->depth >= JTEXT_DEPTH_MAX)
			return NULL;
		lx->depth++;
		v = *lx->p++ == '{' ? lex_object(lx) : lex_array(lx);
		lx->depth--;
		return v;
	case '"': {
		const char *s;
		size_t n;
		lx->p++;
		if (lex_string(lx, &s, &n))
			return NULL;
		return json_stringn_nocheck(s, n);
	}
	case 't':
		return lex_word(lx, "true", 4) ? NULL : json_true();
	case 'f':
		return lex_word(lx, "false", 5) ? NULL : json_false();
	case 'n':
		return lex_word(lx, "null", 4) ? NULL : json_null();
	default:
		return lex_number(lx);
	}
}

json_t *jtext_load(const void *text, size_t len)
{
	struct lexer lx = { .p = text, .end = (const char *)text + len };
	json_t *v = lex_value(&lx);
	if (v) {
		skip_ws(&lx);
		if (lx.p != lx.end) {
			json_decref(v);
			v = NULL;
		}
	}
	free(lx.scratch);
	return v;
}
