/* scan.c - shared scan handling (see scan.h). */
#include "scan.h"

#include "events.h"
#include "keys.h"
#include "store.h"
#include "wms/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static void scan_key(struct key *k, const char *device, const char *scan_id)
{
	key_str(k, device);
	key_str(k, scan_id);
}

/* The request as the device meant it, without per-attempt envelope fields. */
static char *scan_canon(const json_t *req)
{
	json_t *copy = json_copy((json_t *)req);
	json_object_del(copy, "req_id");
	json_object_del(copy, "idem_key");
	char *s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return s;
}

int scan_replay(struct cmd_ctx *c, const char *device, const char *scan_id, json_t **reply)
{
	struct key k = KEY_INIT;
	json_t *doc;
	scan_key(&k, device, scan_id);
	int rc = store_get_json(c->txn, STORE_SCANS, k.b, k.n, &doc);
	if (rc == WMS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	char *canon = scan_canon(c->req);
	const char *prev = json_string_value(json_object_get(doc, "req"));
	if (canon == NULL || prev == NULL || strcmp(prev, canon) != 0) {
		free(canon);
		json_decref(doc);
		return cmd_fail(c, WMS_ECONFLICT, "scan_id",
		                "scan_id '%s' of device '%s' was already used for a different scan",
		                scan_id, device);
	}
	free(canon);
	*reply = json_deep_copy(json_object_get(doc, "reply"));
	json_object_set_new(*reply, "resent", json_true());
	json_decref(doc);
	return 1;
}

int scan_record(struct cmd_ctx *c, const char *device, const char *scan_id, const json_t *reply)
{
	struct key k = KEY_INIT;
	char at[WMS_TIME_BUFSZ];
	char *canon = scan_canon(c->req);
	if (canon == NULL)
		return WMS_ENOMEM;
	scan_key(&k, device, scan_id);
	json_t *doc = json_pack("{s:s, s:O, s:s}", "req", canon, "reply", reply, "at",
	                        wms_time_format(c->now, at));
	free(canon);
	int rc = store_put_json(c->txn, STORE_SCANS, k.b, k.n, doc, 0);
	json_decref(doc);
	return rc;
}

static void device_key(struct key *k, const char *device)
{
	key_str(k, device);
}

int scan_parse(struct cmd_ctx *c, const char *device, const char *code, struct wms_barcode *bc,
               struct wms_barcode_error *err)
{
	struct wms_barcode_opts opts = WMS_BARCODE_OPTS_INIT;
	struct key k = KEY_INIT;
	json_t *dev;
	device_key(&k, device);
	if (store_get_json(c->txn, STORE_DEVICES, k.b, k.n, &dev) == 0) {
		const char *alias = json_string_value(json_object_get(dev, "gs_alias"));
		if (alias)
			wms_barcode_opts_set_gs_alias(&opts, alias, NULL); /* checked on put */
		json_decref(dev);
	}
	return wms_barcode_parse(code, strlen(code), &opts, bc, err) == 0 ? 0 : -1;
}

const char *scan_code_shown(const char *code, char *out, size_t n)
{
	size_t k = 0;
	const unsigned char *p = (const unsigned char *)code;
	while (*p) {
		char piece[8];
		size_t len, used = 1;
		if (*p == 0x1D) {
			len = (size_t)snprintf(piece, sizeof(piece), "<GS>");
		} else if (*p < 0x20 || *p == 0x7F) {
			len = (size_t)snprintf(piece, sizeof(piece), "<0x%02X>", *p);
		} else {
			/* A whole UTF-8 sequence is one piece: a cut inside one would make the
			 * message invalid UTF-8, which no reply may carry. */
			size_t want = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
			piece[0] = (char)*p;
			while (used < want && (p[used] & 0xC0) == 0x80) {
				piece[used] = (char)p[used];
				used++;
			}
			len = used;
		}
		bool last = p[used] == '\0';
		/* Room for the piece and the NUL, and unless it is the last, for "..." after. */
		if (k + len + 1 > n || (!last && k + len + 4 > n)) {
			memcpy(out + k, "...", 4);
			return out;
		}
		memcpy(out + k, piece, len);
		k += len;
		p += used;
	}
	out[k] = '\0';
	return out;
}

int scan_plain_text(const char *code, char *out, size_t n)
{
	static const char ws[] = " \t\r\n\v\f";
	const char *b = code, *e = code + strlen(code);
	while (*b && strchr(ws, *b))
		b++;
	while (e > b && strchr(ws, e[-1]))
		e--;
	if (e - b >= 3 && b[0] == ']') {
		/* The same reading as the barcode library's: these announce GS1 data or a GTIN. */
		static const char *const data[] = { "]C1", "]d2", "]Q3", "]e0", "]J1" };
		if (b[1] == 'E' || b[1] == 'I')
			return -1;
		for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
			if (strncmp(b, data[i], 3) == 0)
				return -1;
		b += 3;
	}
	size_t len = (size_t)(e - b);
	if (len == 0 || len >= n)
		return -1;
	memcpy(out, b, len);
	out[len] = '\0';
	return 0;
}

static json_t *verdict(const char *v, const char *instruction, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return json_pack("{s:s, s:s, s:s}", "verdict", v, "message", msg, "instruction",
	                 instruction);
}

json_t *scan_refusal(int code, const char *field, const char *instruction, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *r = verdict("refused", instruction, fmt, ap);
	va_end(ap);
	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error",
	                    json_pack("{s:s, s:O, s:s}", "code", wms_errname(code), "message",
	                              json_object_get(r, "message"), "field", field));
	return r;
}

json_t *scan_accepted(const char *instruction, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *r = verdict("accepted", instruction, fmt, ap);
	va_end(ap);
	return r;
}

int scan_today(const struct cmd_ctx *c)
{
	time_t t = (time_t)(c->now / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int device_put(struct cmd_ctx *c, json_t **reply)
{
	const json_t *d = json_object_get(c->req, "device");
	const char *alias = req_str(d, "gs_alias");
	if (alias) {
		struct wms_barcode_opts o = WMS_BARCODE_OPTS_INIT;
		struct wms_barcode_error e = WMS_BARCODE_ERROR_INIT;
		char shown[64];
		/* An alias is often a control character: show it as <0x1C>, not as itself. */
		if (wms_barcode_opts_set_gs_alias(&o, alias, &e))
			return cmd_fail(c, WMS_EVALUE, "device.gs_alias",
			                "device.gs_alias '%s': %s",
			                scan_code_shown(alias, shown, sizeof(shown)), e.message);
	}
	struct key k = KEY_INIT;
	json_t *old = NULL;
	device_key(&k, req_str(d, "id"));
	int rc = store_get_json(c->txn, STORE_DEVICES, k.b, k.n, &old);
	if (rc && rc != WMS_ENOTFOUND)
		return rc;
	bool changed = old == NULL || !json_equal(old, (json_t *)d);
	json_decref(old);
	if (changed) {
		if ((rc = store_put_json(c->txn, STORE_DEVICES, k.b, k.n, d, 0)) ||
		    (rc = ev_emit(c, "device.updated", 0, json_pack("{s:O}", "device", d))))
			return rc;
	}
	*reply = json_pack("{s:O, s:b}", "device", d, "changed", changed);
	return 0;
}
