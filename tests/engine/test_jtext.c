/*
 * jtext: the engine's fast JSON text must be jansson's, byte for byte on the way out and value
 * for value on the way in, because stored documents and events written by either must read
 * the same, and idempotent replays compare texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jtext.h"
#include "wms/codec.h"

static uint64_t rng = 0x2026120306u;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double random_real(void)
{
	switch (next() % 8) {
	case 0: /* coordinates and costs: a few decimals */
		return (double)((int64_t)(next() % 36000000) - 18000000) / 1e5;
	case 1:
		return (double)(next() % 100000) / 100.0;
	case 2: /* whole reals: "100.0" */
		return (double)(int64_t)(next() % 2000000) - 1000000.0;
	case 3: /* tiny and huge: exponent spelling */
		return (double)(next() % 1000 + 1) * 1e-9;
	case 4:
		return (double)(next() % 1000 + 1) * 1e21;
	case 5: /* arbitrary bit patterns that are finite */
		for (;;) {
			uint64_t bits = next();
			double d;
			memcpy(&d, &bits, sizeof(d));
			if (d == d && d - d == 0)
				return d;
		}
	case 6:
		return 0.1 * (double)(next() % 100);
	default: /* 15 significant digits exactly, and beyond */
		return (double)(next() % 1000000000000000ULL) / 1e6;
	}
}

static void random_string(char *buf, size_t *n)
{
	static const char *const pieces[] = { "a",    "SKU-1", "\"", "\\", "/",    "\n",
		                              "\t",   "\r",    "\b", "\f", "\x01", "\x1f",
		                              "\x7f", "é",     "€",  "𝄞",  " ",    "LOC-A01-02-3" };
	size_t len = 0, k = next() % 8;
	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[next() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t pl = strlen(p);
		memcpy(buf + len, p, pl);
		len += pl;
	}
	buf[len] = '\0';
	*n = len;
}

static json_t *random_value(int depth)
{
	char s[256];
	size_t n;
	switch (next() % (depth > 4 ? 6 : 8)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(next() & 1);
	case 2: {
		int64_t i = (int64_t)next();
		if (next() % 2)
			i %= 100000;
		return json_integer(i);
	}
	case 3:
		return json_real(random_real());
	case 4:
	case 5:
		random_string(s, &n);
		return json_stringn(s, n);
	case 6: {
		json_t *a = json_array();
		for (size_t i = next() % 5; i > 0; i--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (size_t i = next() % 6; i > 0; i--) {
			random_string(s, &n);
			json_object_setn_new(o, s, n, random_value(depth + 1));
		}
		return o;
	}
	}
}

static void test_dump_writes_the_bytes_json_dumps_writes(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = random_value(0);
		char *want = json_dumps(v, WMS_JSON_DUMP | JSON_ENCODE_ANY);
		size_t n = 0;
		char *got = jtext_dumps(v, &n);
		assert_non_null(want);
		assert_non_null(got);
		assert_int_equal(n, strlen(want));
		if (strcmp(want, got) != 0)
			fail_msg("case %d: jansson '%s', jtext '%s'", i, want, got);
		free(want);
		free(got);
		json_decref(v);
	}
}

static void test_reals_are_spelled_as_jansson_spells_them(void **state)
{
	(void)state;
	static const double cases[] = { 4.5,     100.0,  0.0,    -0.0,    40.7128, -73.99,
		                        1e20,    1.5e-7, 0.0001, 0.00012, 1e9,     999999999.999999,
		                        123.456, 1e15,   1e-4,   2.5e-5,  1e300,   -1e-300,
		                        0.1,     0.2,    0.3,    1.0 / 3, 52.52,   13.4 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_real(cases[i]);
		char *want = json_dumps(v, WMS_JSON_DUMP | JSON_ENCODE_ANY);
		char *got = jtext_dumps(v, NULL);
		if (strcmp(want, got) != 0)
			fail_msg("%.17g: jansson '%s', jtext '%s'", cases[i], want, got);
		free(want);
		free(got);
		json_decref(v);
	}
}

static void test_an_escape_at_any_position_of_a_long_string_is_written(void **state)
{
	(void)state;
	static const char specials[] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f, (char)0xc3 };
	for (size_t len = 1; len < 41; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof(specials); k++) {
				char str[48];
				memset(str, 'a', len);
				str[at] = specials[k];
				if ((unsigned char)specials[k] == 0xc3) {
					if (at + 1 >= len)
						continue;
					str[at + 1] = (char)0xa9; /* é */
				}
				json_t *v = json_stringn(str, len);
				assert_non_null(v);
				char *want = json_dumps(v, WMS_JSON_DUMP | JSON_ENCODE_ANY);
				char *got = jtext_dumps(v, NULL);
				assert_string_equal(got, want);
				free(want);
				free(got);
				json_decref(v);
			}
}

static void test_load_builds_what_json_loadb_builds(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = random_value(0);
		/* jansson's own text, and an indented variant with whitespace everywhere */
		char *texts[2] = { json_dumps(v, WMS_JSON_DUMP | JSON_ENCODE_ANY),
			           json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
			                             JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII) };
		for (int t = 0; t < 2; t++) {
			json_t *want =
			    json_loadb(texts[t], strlen(texts[t]), JSON_DECODE_ANY, NULL);
			json_t *got = jtext_load(texts[t], strlen(texts[t]));
			assert_non_null(want);
			if (got == NULL || !json_equal(want, got))
				fail_msg("case %d: '%s' loads differently", i, texts[t]);
			json_decref(want);
			json_decref(got);
			free(texts[t]);
		}
		json_decref(v);
	}
}

static void test_malformed_text_is_refused_not_trusted(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"{",
		"{\"a\"",
		"{\"a\":}",
		"{\"a\":1,}",
		"[1,]",
		"[1 2]",
		"tru",
		"nul",
		"01",
		"1.",
		".5",
		"1e",
		"-",
		"\"abc",
		"\"\\x\"",
		"\"\\u12\"",
		"\"\\udc00\"",
		"\"\x01\"",
		"{} {}",
		"9223372036854775808",
		"-9223372036854775809",
		"1e999",
		"\"\\ud800\"",
		"{\"a\" 1}",
		"[\"a\":1]",
		"{1:2}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = jtext_load(bad[i], strlen(bad[i]));
		if (v != NULL)
			fail_msg("'%s' was accepted", bad[i]);
	}
	/* Every prefix of a real document is refused, none crashes. */
	const char *doc = "{\"no\":7,\"lines\":[{\"sku\":\"S\\\"1\",\"qty\":2}],\"lat\":40.75,"
	                  "\"ok\":true,\"x\":null,\"s\":\"\\u00e9\\ud834\\udd1e\"}";
	for (size_t n = 0; n < strlen(doc); n++)
		assert_null(jtext_load(doc, n));
	json_t *whole = jtext_load(doc, strlen(doc));
	assert_non_null(whole);
	assert_string_equal(json_string_value(json_object_get(whole, "s")), "é𝄞");
	json_decref(whole);
}

static void test_nesting_beyond_the_bound_is_refused(void **state)
{
	(void)state;
	char deep[2 * JTEXT_DEPTH_MAX + 10];
	size_t n = 0;
	for (int i = 0; i < JTEXT_DEPTH_MAX + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < JTEXT_DEPTH_MAX + 1; i++)
		deep[n++] = ']';
	assert_null(jtext_load(deep, n));
	json_t *ok = jtext_load(deep + 1, n - 2);
	assert_non_null(ok);
	json_decref(ok);
}

static void test_large_documents_grow_past_the_inline_buffer(void **state)
{
	(void)state;
	json_t *a = json_array();
	for (int i = 0; i < 5000; i++)
		json_array_append_new(
		    a, json_pack("{s:i, s:s, s:f}", "i", i, "s", "LOC-A01-02-3", "f", i * 0.25));
	struct jbuf b;
	JBUF_INIT(&b);
	assert_int_equal(jtext_dump(a, &b), 0);
	char *want = json_dumps(a, WMS_JSON_DUMP);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.p, want, b.len);
	json_t *back = jtext_load(b.p, b.len);
	assert_true(json_equal(back, a));
	json_decref(back);
	free(want);
	jbuf_release(&b);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_writes_the_bytes_json_dumps_writes),
		cmocka_unit_test(test_reals_are_spelled_as_jansson_spells_them),
		cmocka_unit_test(test_an_escape_at_any_position_of_a_long_string_is_written),
		cmocka_unit_test(test_load_builds_what_json_loadb_builds),
		cmocka_unit_test(test_malformed_text_is_refused_not_trusted),
		cmocka_unit_test(test_nesting_beyond_the_bound_is_refused),
		cmocka_unit_test(test_large_documents_grow_past_the_inline_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
