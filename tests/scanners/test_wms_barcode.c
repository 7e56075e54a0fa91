/*
 * test_wms_barcode.c - the wms-barcode command as a user and a pipeline see it: the exact JSON
 * lines, one per scan; stdin as a filter; exit statuses. Runs the built binary from $WMS_BIN
 * (set by scripts/run-tests.sh), else build/default/bin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char bin[512];

static int find_binary(void **state)
{
	const char *dir = getenv("WMS_BIN");
	(void)state;
	snprintf(bin, sizeof(bin), "%s/wms-barcode", dir ? dir : "build/default/bin");
	return 0;
}

/*
 * Runs "wms-barcode ARGS" with INPUT (may be NULL) on stdin; returns its output in OUT (CAP
 * bytes) and its exit status.
 */
static int run(const char *args, const char *input, char *out, size_t cap)
{
	char in_path[] = "/tmp/test_wms_barcode.XXXXXX";
	char cmd[2048];
	int fd = mkstemp(in_path), status;
	size_t n = 0;
	FILE *p;

	if (access(bin, X_OK) != 0)
		skip();
	assert_true(fd >= 0);
	if (input != NULL)
		assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' %s < '%s' 2>/dev/null", bin, args, in_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	status = pclose(p);
	unlink(in_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_a_gtin_prints_the_documented_line(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--code 09506000134352", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"ok\":true,\"kind\":\"gtin\",\"gtin\":\"09506000134352\"}\n");
}

static void test_an_element_string_prints_symbology_gtin_and_ais_in_scan_order(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--code ']C10109506000134352"
	                     "10LOT1\x1d"
	                     "17261231'",
	                     NULL, out, sizeof(out)),
	                 0);
	assert_string_equal(out, "{\"ok\":true,\"kind\":\"element_string\",\"symbology\":\"]C1\","
	                         "\"gtin\":\"09506000134352\",\"ais\":{\"01\":\"09506000134352\","
	                         "\"10\":\"LOT1\",\"17\":\"261231\"}}\n");
}

static void test_a_label_prints_its_internal_type_and_id(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--code LOC-A01-02-3", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"ok\":true,\"kind\":\"internal\",\"internal\":{\"type\":"
	                         "\"location\",\"id\":\"LOC-A01-02-3\"}}\n");
}

static void test_a_refused_scan_prints_the_class_and_still_exits_0(void **state)
{
	char out[1024];
	json_t *o;
	(void)state;
	assert_int_equal(run("--code 4006381333932", NULL, out, sizeof(out)), 0);
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_string_equal(json_string_value(json_object_get(o, "error_class")), "check_digit");
	assert_non_null(strstr(json_string_value(json_object_get(o, "message")), "expected 1"));
	assert_int_equal(json_integer_value(json_object_get(o, "position")), 13);
	json_decref(o);
}

static void test_stdin_gets_one_json_line_per_input_line(void **state)
{
	char out[4096], *line, *save = NULL;
	size_t lines = 0;
	(void)state;
	assert_int_equal(run("",
	                     "]E00036000291452\r\n\nTOTE-000123\r\n(17)261331\n"
	                     "https://id.gs1.org/01/09506000134352\xff\n\x1d\x1d",
	                     out, sizeof(out)),
	                 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		if (o == NULL)
			fail_msg("line %zu is not JSON: %s: %s", lines + 1, jerr.text, line);
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 6);
}

/* Regression: every line over 4096 bytes was reported as "scan of 4097 bytes". */
static void test_an_overlong_stdin_line_is_bad_length_with_its_real_length(void **state)
{
	static const size_t lens[] = { 4097, 5000, 100000 };
	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *input = malloc(lens[i] + 32), out[4096], want[128];
		assert_non_null(input);
		memset(input, '0', lens[i]);
		/* the long line, then a good scan: one answer each, in order */
		strcpy(input + lens[i], "\n4006381333931\n");
		assert_int_equal(run("", input, out, sizeof(out)), 0);
		free(input);
		snprintf(want, sizeof(want),
		         "{\"ok\":false,\"error_class\":\"bad_length\",\"message\":\"scan of %zu "
		         "bytes is longer than 4096\"}\n",
		         lens[i]);
		assert_true(strncmp(out, want, strlen(want)) == 0);
		assert_non_null(strstr(out + strlen(want), "\"gtin\":\"04006381333931\""));
	}
	/* 4096 bytes is within the limit: judged as a scan, not refused for its length. */
	char *input = malloc(4096 + 2), out[4096];
	assert_non_null(input);
	memset(input, '0', 4096);
	strcpy(input + 4096, "\n");
	assert_int_equal(run("", input, out, sizeof(out)), 0);
	free(input);
	assert_null(strstr(out, "longer than"));
}

static void test_gs_alias_option_applies_to_every_code(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--code '0109506000134352"
	                     "10LOT|21S' --gs-alias '|'",
	                     NULL, out, sizeof(out)),
	                 0);
	assert_non_null(strstr(out, "\"10\":\"LOT\",\"21\":\"S\""));
}

/* The command applies the library's alias rule: FS serves, TAB is a usage error. */
static void test_gs_alias_option_accepts_fs_and_refuses_tab(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--gs-alias '\x1c' --code '0109506000134352"
	                     "10LOT\x1c"
	                     "21S'",
	                     NULL, out, sizeof(out)),
	                 0);
	assert_non_null(strstr(out, "\"10\":\"LOT\",\"21\":\"S\""));
	assert_int_equal(run("--gs-alias '\t' --code 4006381333931", NULL, out, sizeof(out)), 2);
	assert_string_equal(out, "");
}

/* The defect as a user met it: 12 digits under ]E3 were accepted as a GTIN. */
static void test_twelve_digits_under_E3_are_refused_as_bad_length(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(run("--code ']E3614141001033'", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"ok\":false,\"error_class\":\"bad_length\""));
}

static void test_usage_errors_exit_2(void **state)
{
	char out[4096];
	(void)state;
	assert_int_equal(run("--gs-alias '#' --code 4006381333931", NULL, out, sizeof(out)), 2);
	assert_string_equal(out, "");
	assert_int_equal(run("--frobnicate", NULL, out, sizeof(out)), 2);
	assert_int_equal(run("--code", NULL, out, sizeof(out)), 2);
}

static void test_help_describes_the_options_and_exits_0(void **state)
{
	char out[4096];
	(void)state;
	assert_int_equal(run("--help", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--gs-alias"));
	assert_non_null(strstr(out, "--code"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_gtin_prints_the_documented_line),
		cmocka_unit_test(
		    test_an_element_string_prints_symbology_gtin_and_ais_in_scan_order),
		cmocka_unit_test(test_a_label_prints_its_internal_type_and_id),
		cmocka_unit_test(test_a_refused_scan_prints_the_class_and_still_exits_0),
		cmocka_unit_test(test_stdin_gets_one_json_line_per_input_line),
		cmocka_unit_test(test_an_overlong_stdin_line_is_bad_length_with_its_real_length),
		cmocka_unit_test(test_gs_alias_option_applies_to_every_code),
		cmocka_unit_test(test_gs_alias_option_accepts_fs_and_refuses_tab),
		cmocka_unit_test(test_twelve_digits_under_E3_are_refused_as_bad_length),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_help_describes_the_options_and_exits_0),
	};
	return cmocka_run_group_tests(tests, find_binary, NULL);
}
