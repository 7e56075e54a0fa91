/*
 * fuzz_barcode.c - libFuzzer target for wms_barcode_parse: arbitrary bytes must never crash,
 * read out of bounds or break an invariant:
 *   - a refused scan has a class 1-8, a NUL-terminated message, a position within the input
 *     or just after it;
 *   - an accepted scan has a known kind, bounded NUL-terminated strings, a valid GTIN-14 when a
 *     GTIN is set, and its AIs survive a round trip through both element string forms.
 * Each input is parsed twice: without options and with a GS alias.
 *
 *   make fuzz FUZZ_SECONDS=60
 *   build/fuzz/fuzz_barcode -dict=tests/fuzz/barcode.dict tests/fuzz/corpus_barcode
 */
#include "wms/barcode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_same_ais(const struct wms_barcode *a, const struct wms_barcode *b)
{
	CHECK(a->n_ais == b->n_ais);
	for (size_t i = 0; i < a->n_ais; i++) {
		CHECK(strcmp(a->ais[i].ai, b->ais[i].ai) == 0);
		CHECK(strcmp(a->ais[i].value, b->ais[i].value) == 0);
	}
}

static void check_round_trip(const struct wms_barcode *bc, const struct wms_barcode_opts *opts)
{
	static char buf[8192];
	struct wms_barcode again;
	size_t n;

	if (bc->kind != WMS_BC_ELEMENT_STRING && bc->kind != WMS_BC_DIGITAL_LINK)
		return;
	CHECK(wms_barcode_to_element_string(bc, WMS_ES_BRACKETED, buf, sizeof(buf), &n) == 0);
	CHECK(strlen(buf) == n);
	CHECK(wms_barcode_parse(buf, n, NULL, &again, NULL) == 0);
	check_same_ais(bc, &again);

	memcpy(buf, "]C1", 3);
	CHECK(wms_barcode_to_element_string(bc, WMS_ES_RAW, buf + 3, sizeof(buf) - 3, &n) == 0);
	CHECK(wms_barcode_parse(buf, n + 3, opts, &again, NULL) == 0);
	check_same_ais(bc, &again);
}

static void check_one(const uint8_t *data, size_t size, const struct wms_barcode_opts *opts)
{
	struct wms_barcode bc;
	struct wms_barcode_error err = WMS_BARCODE_ERROR_INIT;
	int rc = wms_barcode_parse((const char *)data, size, opts, &bc, &err);

	if (rc != 0) {
		CHECK(rc >= -8 && rc <= -1);
		CHECK((int)err.cls == -rc);
		CHECK(terminated(err.message, sizeof(err.message)) && err.message[0] != '\0');
		CHECK(terminated(err.ai, sizeof(err.ai)));
		CHECK(err.position <= size + 1);
		/* Messages escape every byte outside printable ASCII. */
		for (const char *m = err.message; *m; m++)
			CHECK(*m >= 0x20 && *m < 0x7f);
		return;
	}
	CHECK(bc.kind >= WMS_BC_GTIN && bc.kind <= WMS_BC_INTERNAL);
	CHECK(terminated(bc.symbology, sizeof(bc.symbology)));
	CHECK(terminated(bc.gtin, sizeof(bc.gtin)));
	CHECK(bc.gtin[0] == '\0' || (strlen(bc.gtin) == 14 && wms_gtin_valid(bc.gtin)));
	CHECK(bc.n_ais <= WMS_BARCODE_MAX_AIS);
	for (size_t i = 0; i < bc.n_ais; i++) {
		CHECK(terminated(bc.ais[i].ai, sizeof(bc.ais[i].ai)));
		CHECK(terminated(bc.ais[i].value, sizeof(bc.ais[i].value)));
		CHECK(bc.ais[i].value[0] != '\0');
	}
	if (bc.kind == WMS_BC_INTERNAL) {
		CHECK(bc.internal_type >= WMS_INTERNAL_LOCATION &&
		      bc.internal_type <= WMS_INTERNAL_USER);
		CHECK(terminated(bc.internal_id, sizeof(bc.internal_id)));
		for (const char *p = bc.internal_id; *p; p++)
			CHECK((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-');
	}
	check_round_trip(&bc, opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wms_barcode_opts alias = WMS_BARCODE_OPTS_INIT;
	char gtin[15];
	struct wms_date d;

	if (alias.gs_alias[0] == '\0' && wms_barcode_opts_set_gs_alias(&alias, "|^~", NULL) != 0)
		abort();
	check_one(data, size, NULL);
	check_one(data, size, &alias);
	/* The helpers the item master and the clock-facing code call with outside data. */
	if (wms_gtin_normalise((const char *)data, size, gtin, NULL) == 0)
		CHECK(wms_gtin_valid(gtin));
	if (size == 7 && data[6] == '\0' && wms_gs1_date((const char *)data, 2026, &d) == 0)
		CHECK(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
	return 0;
}
