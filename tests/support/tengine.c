/* tengine.c - see tengine.h. */
#include "tengine.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wms/time.h"

void tengine_config(struct tengine *t)
{
	memset(t, 0, sizeof(*t));
	t->cfg = (struct wms_engine_config)WMS_ENGINE_CONFIG_INIT;
	t->cfg.sim_clock = true;
	wms_time_parse("2026-11-24T08:00:00Z", &t->cfg.sim_start_ms);
	t->cfg.map_size = 8u << 20;
}

int tengine_start(struct tengine *t)
{
	if (t->dir[0] == '\0') {
		const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(t->dir, sizeof(t->dir), "%s/wms-test-XXXXXX", base);
		if (mkdtemp(t->dir) == NULL)
			return WMS_EIO;
	}
	t->cfg.data_dir = t->dir;
	struct wms_error err = WMS_ERROR_INIT;
	int rc = wms_engine_open(&t->cfg, &t->e, &err);
	if (rc)
		fprintf(stderr, "tengine: %s\n", err.message);
	return rc;
}

void tengine_open(struct tengine *t)
{
	tengine_config(t);
	assert_int_equal(tengine_start(t), 0);
}

void tengine_stop(struct tengine *t)
{
	wms_engine_close(t->e);
	t->e = NULL;
}

void tengine_close(struct tengine *t)
{
	tengine_stop(t);
	if (t->dir[0])
		trm_rf(t->dir);
	t->dir[0] = '\0';
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void trm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static json_t *vcall(struct tengine *t, const char *fmt, va_list ap)
{
	char *text = NULL, *reply = NULL;
	size_t len;
	int n = vasprintf(&text, fmt, ap);
	assert_true(n >= 0);
	assert_int_equal(wms_engine_call(t->e, text, (size_t)n, &reply, &len), 0);
	json_error_t jerr;
	json_t *r = json_loadb(reply, len, 0, &jerr);
	if (r == NULL)
		fail_msg("reply is not JSON: %s (%s)", reply, jerr.text);
	free(text);
	free(reply);
	return r;
}

json_t *tcall(struct tengine *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *r = vcall(t, fmt, ap);
	va_end(ap);
	return r;
}

static void dump_fail(const char *what, const json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	fail_msg("%s: %s", what, s ? s : "?");
}

json_t *tcall_ok(struct tengine *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *r = vcall(t, fmt, ap);
	va_end(ap);
	if (!json_is_true(json_object_get(r, "ok")))
		dump_fail("expected ok", r);
	return r;
}

json_t *tcall_err(struct tengine *t, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *r = vcall(t, fmt, ap);
	va_end(ap);
	const char *got = treply_code(r);
	if (got == NULL || strcmp(got, code) != 0) {
		char what[96];
		snprintf(what, sizeof(what), "expected error %s", code);
		dump_fail(what, r);
	}
	return r;
}

void tclock_reach(struct tengine *t, const char *at)
{
	int64_t want, now;
	json_t *r = tcall_ok(t, "{\"op\":\"ping\"}");
	assert_int_equal(wms_time_parse(at, &want), 0);
	assert_int_equal(wms_time_parse(tget_str(r, "time"), &now), 0);
	json_decref(r);
	if (want > now)
		json_decref(tcall_ok(t, "{\"op\":\"clock.set\",\"at\":\"%s\"}", at));
}

const char *treply_code(const json_t *reply)
{
	if (json_is_true(json_object_get(reply, "ok")))
		return NULL;
	return json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
}

json_t *tget(const json_t *root, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	const json_t *cur = root;
	for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
		char *br = strchr(tok, '[');
		if (br)
			*br = '\0';
		if (*tok)
			cur = json_object_get(cur, tok);
		while (br && cur) {
			size_t idx = strtoul(br + 1, &br, 10);
			cur = json_array_get(cur, idx);
			br = strchr(br, '[');
		}
	}
	return (json_t *)cur;
}

const char *tget_str(const json_t *root, const char *path)
{
	return json_string_value(tget(root, path));
}

long long tget_int(const json_t *root, const char *path)
{
	return (long long)json_integer_value(tget(root, path));
}

void tseed_basic(struct tengine *t)
{
	static const char *const gtins[] = { "4006381333931", "09506000134352", "96385074",
		                             "036000291452", "5901234123457" };
	json_decref(tcall_ok(t, "{\"op\":\"tenant.put\",\"tenant\":{\"id\":\"acme\",\"name\":"
	                        "\"Acme\",\"allow_split\":true}}"));
	json_decref(tcall_ok(
	    t, "{\"op\":\"warehouse.put\",\"warehouse\":{\"id\":\"W1\",\"name\":\"One\","
	       "\"timezone\":\"UTC\",\"location\":{\"lat\":52.52,\"lon\":13.40},"
	       "\"layout\":{\"aisles\":10,\"slots_per_side\":45,\"slot_length\":1,"
	       "\"aisle_spacing\":5,\"end_gap\":1,\"levels\":4,\"depot\":{\"aisle\":1}},"
	       "\"carriers\":[{\"carrier\":\"DHL\",\"service\":\"standard\",\"cutoff\":\"17:00\","
	       "\"transit_days\":2,\"cost\":4.5},{\"carrier\":\"DHL\",\"service\":\"express\","
	       "\"cutoff\":\"15:00\",\"transit_days\":1,\"cost\":9.9}]}}"));
	for (int i = 0; i < 5; i++) {
		json_decref(tcall_ok(t,
		                     "{\"op\":\"item.put\",\"item\":{\"tenant\":\"acme\",\"sku\":"
		                     "\"SKU-%d\",\"gtins\":[\"%s\"],\"weight_g\":%d}}",
		                     i + 1, gtins[i], 100 * (i + 1)));
		json_decref(
		    tcall_ok(t,
		             "{\"op\":\"stock.receive\",\"warehouse\":\"W1\",\"location\":"
		             "\"A%02d-01-1\",\"tenant\":\"acme\",\"sku\":\"SKU-%d\",\"qty\":100,"
		             "\"idem_key\":\"seed-%d\"}",
		             i + 1, i + 1, i));
	}
}
