/*
 * wms-barcode - parse scans and print one JSON object per scan, one line each.
 *
 *   wms-barcode [--gs-alias CHARS] [--code TEXT]...
 *
 * Without --code, reads scans from stdin, one per line. A filter: refused scans are answered
 * with {"ok":false,...} and the exit status stays 0; usage errors exit 2, output errors 1.
 */
#include "wms/barcode.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: wms-barcode [--gs-alias CHARS] [--code TEXT]...\n"
    "\n"
    "Parses barcode scans (GTINs, GS1 element strings, GS1 Digital Link URIs, the engine's\n"
    "LOC-/TOTE-/STN-/CTN-/INS-/CART-/USR- labels) and prints one JSON object per scan:\n"
    "  {\"ok\":true,\"kind\":\"element_string\",\"symbology\":\"]C1\",\"gtin\":\"...\","
    "\"ais\":{\"01\":\"...\"}}\n"
    "  {\"ok\":false,\"error_class\":\"check_digit\",\"message\":\"...\",\"position\":16}\n"
    "\n"
    "  --code TEXT       parse TEXT (repeatable); without it, read one scan per line on stdin\n"
    "  --gs-alias CHARS  characters the scanner sends instead of GS (ASCII 29); each must be\n"
    "                    outside CSET 82 and CSET 39, e.g. '|' or '^' or '~', or a control\n"
    "                    character other than TAB, CR and LF, e.g. FS: $'\\x1c' in bash\n"
    "  --help            this text\n"
    "\n"
    "Exit status: 0 when every scan was answered (refused scans included), 1 when output\n"
    "failed, 2 for a usage error.\n";

static json_t *result_json(const struct wms_barcode *bc)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "kind", json_string(wms_barcode_kind_name(bc->kind)));
	if (bc->symbology[0])
		json_object_set_new(o, "symbology", json_string(bc->symbology));
	if (bc->gtin[0])
		json_object_set_new(o, "gtin", json_string(bc->gtin));
	if (bc->n_ais > 0) {
		json_t *ais = json_object();
		for (size_t i = 0; i < bc->n_ais; i++)
			json_object_set_new(ais, bc->ais[i].ai, json_string(bc->ais[i].value));
		json_object_set_new(o, "ais", ais);
	}
	if (bc->kind == WMS_BC_INTERNAL) {
		json_t *in = json_object();
		json_object_set_new(in, "type",
		                    json_string(wms_internal_type_name(bc->internal_type)));
		json_object_set_new(in, "id", json_string(bc->internal_id));
		json_object_set_new(o, "internal", in);
	}
	return o;
}

static json_t *error_json(const struct wms_barcode_error *err)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error_class", json_string(wms_barcode_errname(err->cls)));
	/* The library escapes every non-printable byte, so the message is valid UTF-8. */
	json_object_set_new(o, "message", json_string(err->message));
	if (err->ai[0])
		json_object_set_new(o, "ai", json_string(err->ai));
	if (err->position > 0)
		json_object_set_new(o, "position", json_integer((json_int_t)err->position));
	return o;
}

/* Parses one scan and prints its line. Returns 0, or -1 when stdout failed. */
static int answer(const char *text, size_t len, const struct wms_barcode_opts *opts)
{
	struct wms_barcode bc;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	json_t *o;
	char *line;
	int rc;

	if (wms_barcode_parse(text, len, opts, &bc, &err) == 0)
		o = result_json(&bc);
	else
		o = error_json(&err);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		return -1;
	rc = puts(line) < 0 ? -1 : 0;
	free(line);
	/* A filter in a pipeline: each answer goes out as soon as it exists. */
	if (rc == 0 && fflush(stdout) != 0)
		rc = -1;
	return rc;
}

/*
 * A line over the library's limit, answered without keeping it: bad_length, as the library
 * says it, with the line's real length (LEN bytes, counted while it was skipped).
 */
static int answer_too_long(size_t len)
{
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	err.cls = WMS_BCERR_BAD_LENGTH;
	snprintf(err.message, sizeof(err.message), "scan of %zu bytes is longer than %d", len,
	         WMS_BARCODE_MAX_INPUT);
	json_t *o = error_json(&err);
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	int rc = line && puts(line) >= 0 && fflush(stdout) == 0 ? 0 : -1;
	free(line);
	return rc;
}

/*
 * Reads stdin one line at a time into a bounded buffer. A line longer than the library's
 * limit is counted to its end but not kept, and answered bad_length with its length.
 */
static int filter(const struct wms_barcode_opts *opts)
{
	static char buf[WMS_BARCODE_MAX_INPUT];
	size_t n = 0;
	bool any = false;
	int c;

	while ((c = getchar()) != EOF) {
		any = true;
		if (c == '\n') {
			if ((n > sizeof(buf) ? answer_too_long(n) : answer(buf, n, opts)) != 0)
				return -1;
			n = 0;
			any = false;
			continue;
		}
		if (n < sizeof(buf))
			buf[n] = (char)c;
		if (n < SIZE_MAX)
			n++;
	}
	if (any && (n > sizeof(buf) ? answer_too_long(n) : answer(buf, n, opts)) != 0)
		return -1;
	return ferror(stdin) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int ncodes = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--gs-alias") == 0 && i + 1 < argc) {
			if (wms_barcode_opts_set_gs_alias(&opts, argv[++i], &err) != 0) {
				fprintf(stderr, "wms-barcode: --gs-alias: %s\n", err.message);
				return 2;
			}
		} else if (strcmp(argv[i], "--code") == 0 && i + 1 < argc) {
			ncodes++;
			i++;
		} else {
			fprintf(stderr, "wms-barcode: unknown or incomplete option '%s'\n%s",
			        argv[i], usage);
			return 2;
		}
	}
	/* Options first, then the codes: --gs-alias applies to every --code wherever it is. */
	if (ncodes > 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--code") == 0) {
				if (answer(argv[i + 1], strlen(argv[i + 1]), &opts) != 0)
					return 1;
				i++;
			} else if (strcmp(argv[i], "--gs-alias") == 0) {
				i++;
			}
		}
		return 0;
	}
	return filter(&opts) == 0 ? 0 : 1;
}
