/*
 * gtin.c - GS1 keys with a modulo-10 check digit: GTINs (and their normalisation to GTIN-14),
 * GLNs, SSCCs; and the plain-number scans (EAN-8, UPC-A, EAN-13, ITF-14). See wms/barcode.h.
 */
#include "wms/barcode.h"

#include "bc_private.h"

#include <stdio.h>
#include <string.h>

int wms_gtin_check_digit(const char *digits, size_t n)
{
	int sum = 0;
	if (digits == NULL || n == 0 || n > 17)
		return -WMS_BCERR_BAD_LENGTH;
	/* Weights 3, 1, 3, ... from the rightmost digit: left zero-padding does not change it. */
	for (size_t i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		if (c < '0' || c > '9')
			return -WMS_BCERR_BAD_CHARSET;
		sum += (c - '0') * (i % 2 == 0 ? 3 : 1);
	}
	return (10 - sum % 10) % 10;
}

/* True when S has exactly N digits (and then a NUL) with a correct check digit. */
static bool key_valid(const char *s, size_t n)
{
	if (s == NULL || strnlen(s, n + 1) != n)
		return false;
	int want = wms_gtin_check_digit(s, n - 1);
	return want >= 0 && s[n - 1] == '0' + want;
}

bool wms_gtin_valid(const char *s)
{
	size_t n = s != NULL ? strnlen(s, 15) : 0;
	return (n == 8 || n == 12 || n == 13 || n == 14) && key_valid(s, n);
}

bool wms_gln_valid(const char *s)
{
	return key_valid(s, 13);
}

bool wms_sscc_valid(const char *s)
{
	return key_valid(s, 18);
}

int wms_sscc_make(unsigned extension, const char *company_prefix, unsigned long long serial_ref,
                  char out[19])
{
	char d[19];
	size_t plen = company_prefix != NULL ? strnlen(company_prefix, 13) : 0;
	unsigned long long limit = 1;
	int check;

	if (extension > 9)
		return -WMS_BCERR_BAD_FORMAT;
	if (plen < 4 || plen > 12)
		return -WMS_BCERR_BAD_LENGTH;
	for (size_t i = 0; i < plen; i++)
		if (company_prefix[i] < '0' || company_prefix[i] > '9')
			return -WMS_BCERR_BAD_CHARSET;
	/* extension (1) + prefix (plen) + serial reference (16 - plen) = 17 digits. */
	for (size_t i = 0; i < 16 - plen; i++)
		limit *= 10;
	if (serial_ref >= limit)
		return -WMS_BCERR_BAD_LENGTH;
	d[0] = (char)('0' + extension);
	memcpy(d + 1, company_prefix, plen);
	for (size_t i = 16; i > plen; i--) {
		d[i] = (char)('0' + serial_ref % 10);
		serial_ref /= 10;
	}
	check = wms_gtin_check_digit(d, 17);
	d[17] = (char)('0' + check);
	d[18] = '\0';
	memcpy(out, d, sizeof(d));
	return 0;
}

static void lengths_words(unsigned lengths, char *buf, size_t cap)
{
	size_t o = 0, k = 0, count = 0;
	for (unsigned n = 1; n <= 14; n++)
		count += (lengths & BC_LEN(n)) != 0;
	buf[0] = '\0';
	for (unsigned n = 1; n <= 14 && o < cap; n++) {
		if (!(lengths & BC_LEN(n)))
			continue;
		k++;
		o += (size_t)snprintf(buf + o, cap - o, "%s%u",
		                      k == 1 ? "" : (k == count ? " or " : ", "), n);
	}
}

int bc_parse_gtin(struct bc_ctx *cx, size_t start, size_t end, unsigned lengths, const char *what)
{
	const char *s = cx->text + start;
	size_t n = end - start;
	char q[64], ch[8], words[32];
	int want;

	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return bc_fail(
			    cx, WMS_BCERR_BAD_CHARSET, start + i, NULL, "%s %s: %s is not a digit",
			    what, bc_quote(q, sizeof(q), s, n), bc_char(ch, (unsigned char)s[i]));
	if (n > 14 || !(lengths & BC_LEN(n))) {
		lengths_words(lengths, words, sizeof(words));
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, start, NULL,
		               "%s %s has %zu digits; it must have %s", what,
		               bc_quote(q, sizeof(q), s, n), n, words);
	}
	want = wms_gtin_check_digit(s, n - 1);
	if (s[n - 1] - '0' != want)
		return bc_fail(cx, WMS_BCERR_CHECK_DIGIT, end - 1, NULL,
		               "%s %s: check digit is %c, expected %d", what,
		               bc_quote(q, sizeof(q), s, n), s[n - 1], want);
	memset(cx->out->gtin, '0', 14 - n);
	memcpy(cx->out->gtin + 14 - n, s, n);
	cx->out->gtin[14] = '\0';
	cx->out->kind = WMS_BC_GTIN;
	return 0;
}

int wms_gtin_normalise(const char *s, size_t len, char out[15], struct wms_barcode_error *err)
{
	static const struct wms_barcode_opts no_opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode res;
	struct bc_ctx cx = { s, &no_opts, &res, err };
	int rc;

	if (s == NULL || len == 0)
		return bc_fail(&cx, WMS_BCERR_EMPTY, BC_NO_POS, NULL, "GTIN is empty");
	memset(res.gtin, 0, sizeof(res.gtin));
	rc = bc_parse_gtin(&cx, 0, len, BC_GTIN_LENGTHS, "GTIN");
	if (rc)
		return rc;
	memcpy(out, res.gtin, 15);
	return 0;
}
