/*
 * fuzz_json.c - libFuzzer target for the two JSON readers that face bytes from outside:
 *   - wms_request_parse (every request a client sends): arbitrary bytes never crash, and a
 *     refusal always has a code with a name and a message;
 *   - jtext_load (documents read back from the store): arbitrary bytes never crash, and what
 *     it accepts jansson accepts as the same value, and jtext_dumps writes jansson's bytes.
 *
 *   make fuzz FUZZ_SECONDS=60
 *   build/fuzz/fuzz_json tests/fuzz/corpus_json
 */
#include "jtext.h"
#include "wms/codec.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wms_request req = WMS_REQUEST_INIT;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = wms_request_parse(data, size, &req, &err);
	if (rc) {
		CHECK(rc < 0);
		CHECK(strcmp(wms_errname(rc), "") != 0);
		CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		size_t len;
		char *text = wms_reply_error_text(req.req_id, &err, &len);
		CHECK(text != NULL && len == strlen(text));
		free(text);
	} else {
		CHECK(req.op != NULL && json_is_object(req.root));
	}
	wms_request_release(&req);

	json_t *mine = jtext_load(data, size);
	if (mine) {
		json_t *theirs = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
		/* jansson refuses invalid UTF-8 that jtext (for trusted text) does not check */
		if (theirs) {
			CHECK(json_equal(mine, theirs));
			char *a = jtext_dumps(mine, NULL);
			char *b = json_dumps(theirs, WMS_JSON_DUMP | JSON_ENCODE_ANY);
			CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
			free(a);
			free(b);
		}
		json_decref(theirs);
		json_decref(mine);
	}
	return 0;
}
