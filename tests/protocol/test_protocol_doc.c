/*
 * Tests that PROTOCOL.md keeps up with the code: every op of the op table, every error code
 * and every field name (and enum value) of every op's request schema appears in the document
 * as a code span (`name` in backticks), so a new op, field or code cannot go undocumented
 * silently.
 *
 * The check is a plain substring search for "`name`": it does not parse Markdown, so it
 * cannot break on the document's layout, only on a name that is really absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wms/errors.h"
#include "wms/ops.h"
#include "wms/schema.h"

/* Longest name looked for (field names and error codes are far shorter). */
#define NAME_MAX_LEN 128
/* Schemas nest a few levels (order > lines, warehouse > layout > depot); a bound keeps a
 * schema that referred to itself from recursing forever. */
#define MAX_DEPTH 8

/* Reads the whole file at PATH into a NUL-terminated heap string (owned by the caller). */
static char *read_text(const char *path)
{
	char *text = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		goto fail;
	if (fseek(f, 0, SEEK_END) != 0)
		goto fail;
	long len = ftell(f);
	if (len < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	text = malloc((size_t)len + 1);
	if (text == NULL)
		goto fail;
	if (fread(text, 1, (size_t)len, f) != (size_t)len)
		goto fail;
	text[len] = '\0';
	fclose(f);
	return text;
fail:
	free(text);
	if (f != NULL)
		fclose(f);
	return NULL;
}

/* PROTOCOL.md under $WMS_ROOT (default "."); fails the test when it cannot be read. */
static char *load_doc(void)
{
	const char *root = getenv("WMS_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/wms-protocol/PROTOCOL.md", root && *root ? root : ".");
	char *doc = read_text(path);
	if (doc == NULL)
		fail_msg("cannot read %s (set WMS_ROOT to the source tree)", path);
	return doc;
}

/* One pass over the document: how many of the names it lacks. */
struct checker {
	const char *doc;
	int missing;
	bool quiet; /* count without printing (the check of the check) */
};

/* Looks for "`NAME`" in the document; counts and prints it when absent. */
static void expect_name(struct checker *c, const char *what, const char *where, const char *name)
{
	char span[NAME_MAX_LEN + 3];
	int n = snprintf(span, sizeof(span), "`%s`", name);
	assert_true(n > 0 && (size_t)n < sizeof(span));
	if (strstr(c->doc, span) != NULL)
		return;
	c->missing++;
	if (!c->quiet)
		print_error("PROTOCOL.md does not mention %s %s (%s)\n", what, span, where);
}

static void expect_ops(struct checker *c)
{
	size_t n;
	const struct wms_op_spec *ops = wms_ops(&n);
	for (size_t i = 0; i < n; i++)
		expect_name(c, "op", "op table", ops[i].name);
}

static void expect_schema(struct checker *c, const char *op, const struct wms_schema *s, int depth)
{
	assert_true(depth < MAX_DEPTH);
	for (const struct wms_field *f = s->fields; f->name != NULL; f++) {
		expect_name(c, "field", op, f->name);
		for (const char *const *v = f->values; v != NULL && *v != NULL; v++)
			expect_name(c, "value", f->name, *v);
		if (f->schema != NULL)
			expect_schema(c, op, f->schema, depth + 1);
	}
}

static void expect_fields(struct checker *c)
{
	size_t n;
	const struct wms_op_spec *ops = wms_ops(&n);
	for (size_t i = 0; i < n; i++)
		expect_schema(c, ops[i].name, ops[i].schema, 0);
}

static void expect_errors(struct checker *c)
{
	/* The X-macro of errors.h is the list of codes; wms_errname gives the wire name. */
#define EXPECT_ERR(sym, val, name, text) expect_name(c, "error code", #sym, wms_errname(sym));
	WMS_ERRORS(EXPECT_ERR)
#undef EXPECT_ERR
}

/* Runs every check over DOC; returns how many names are missing. */
static int count_missing(const char *doc)
{
	struct checker c = { doc, 0, true };
	expect_ops(&c);
	expect_fields(&c);
	expect_errors(&c);
	return c.missing;
}

static void test_the_document_names_every_op(void **state)
{
	(void)state;
	char *doc = load_doc();
	struct checker c = { doc, 0, false };
	expect_ops(&c);
	free(doc);
	assert_int_equal(c.missing, 0);
}

static void test_the_document_names_every_field_and_value_of_every_schema(void **state)
{
	(void)state;
	char *doc = load_doc();
	struct checker c = { doc, 0, false };
	expect_fields(&c);
	free(doc);
	assert_int_equal(c.missing, 0);
}

static void test_the_document_names_every_error_code(void **state)
{
	(void)state;
	char *doc = load_doc();
	struct checker c = { doc, 0, false };
	expect_errors(&c);
	free(doc);
	assert_int_equal(c.missing, 0);
}

/* Overwrites every "`NAME`" in DOC with "'NAME'", as if the document no longer mentioned it. */
static void forget_name(char *doc, const char *name)
{
	char span[NAME_MAX_LEN + 3];
	snprintf(span, sizeof(span), "`%s`", name);
	size_t len = strlen(span);
	for (char *p = strstr(doc, span); p != NULL; p = strstr(p + len, span)) {
		p[0] = '\'';
		p[len - 1] = '\'';
	}
}

static void test_a_name_dropped_from_the_document_is_reported(void **state)
{
	(void)state;
	/* The check itself: the real document minus one op, one field, one enum value or one
	 * error code has more names missing than the document as it is. */
	static const char *const dropped[] = { "pack.weigh", "gs1_company_prefix",
		                               "returned_to_sender", "weight_mismatch" };
	char *doc = load_doc();
	int before = count_missing(doc), unnoticed = 0;
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		char *copy = strdup(doc);
		if (copy == NULL) {
			unnoticed++; /* out of memory: the check did not run */
			break;
		}
		forget_name(copy, dropped[i]);
		if (count_missing(copy) <= before) {
			print_error("dropping `%s` from PROTOCOL.md went unnoticed\n", dropped[i]);
			unnoticed++;
		}
		free(copy);
	}
	free(doc);
	assert_int_equal(unnoticed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_document_names_every_op),
		cmocka_unit_test(test_the_document_names_every_field_and_value_of_every_schema),
		cmocka_unit_test(test_the_document_names_every_error_code),
		cmocka_unit_test(test_a_name_dropped_from_the_document_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
