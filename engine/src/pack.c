/* pack.c - pack verification (see pack.h). */
#include "jtext.h"
#include "pack.h"

#include "events.h"
#include "keys.h"
#include "master.h"
#include "orders.h"
#include "scan.h"
#include "store.h"
#include "wave.h"
#include "wms/time.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct pk {
	struct cmd_ctx *c;
	const char *station, *scan_id;
	json_t *sess;        /* owned, NULL when the station is idle */
	json_t *dropped;     /* owned: at an idle station, the carton a cancellation dropped
	                        ({tenant, order, order_no, shipment, tote, at}), or NULL */
	const json_t *about; /* borrowed: the tote scanned at an idle station, when it names an
	                        order ({tenant, order, order_no, shipment, tote}), or NULL */
	json_t *reply;
};

static void station_key(struct key *k, const char *station)
{
	key_str(k, station);
}

static uint64_t sess_order_no(const json_t *sess)
{
	return (uint64_t)req_int(sess, "order_no", 0);
}

/* The station's session; an idle station's note of a dropped carton goes to p->dropped. */
static int sess_load(struct pk *p)
{
	struct key k = KEY_INIT;
	station_key(&k, p->station);
	int rc = store_get_json(p->c->txn, STORE_STATIONS, k.b, k.n, &p->sess);
	if (rc == 0 && json_object_get(p->sess, "dropped")) {
		p->dropped = json_incref(json_object_get(p->sess, "dropped"));
		json_decref(p->sess);
		p->sess = NULL;
	}
	return rc == WMS_ENOTFOUND ? 0 : rc;
}

int pack_stations_drop(struct cmd_ctx *c, uint64_t order_no, json_t *ids)
{
	struct store_cursor *cur;
	struct store_val k, v;
	json_t *todo = json_array();
	int rc = store_cursor_open(c->txn, STORE_STATIONS, &cur);
	if (rc) {
		json_decref(todo);
		return rc;
	}
	/* Sessions are one per station, and stations are few: a scan finds the order's. */
	for (rc = store_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(cur, &k, &v)) {
		json_t *sess = jtext_load(v.data, v.len);
		if (sess && json_object_get(sess, "tote") && sess_order_no(sess) == order_no)
			json_array_append_new(todo, json_pack("{s:s#, s:o}", "station",
			                                      (const char *)k.data,
			                                      k.len ? k.len - 1 : 0, "sess", sess));
		else
			json_decref(sess);
	}
	store_cursor_close(cur);
	rc = rc == WMS_ENOTFOUND ? 0 : rc;
	size_t i;
	json_t *e;
	char at[WMS_TIME_BUFSZ];
	wms_time_format(c->now, at);
	json_array_foreach(todo, i, e)
	{
		if (rc)
			break;
		const json_t *sess = json_object_get(e, "sess");
		json_t *note = json_pack("{s:{s:O, s:O, s:O, s:O, s:O, s:s}}", "dropped", "tenant",
		                         json_object_get(sess, "tenant"), "order",
		                         json_object_get(sess, "order"), "order_no",
		                         json_object_get(sess, "order_no"), "shipment",
		                         json_object_get(sess, "shipment"), "tote",
		                         json_object_get(sess, "tote"), "at", at);
		struct key sk = KEY_INIT;
		station_key(&sk, req_str(e, "station"));
		rc =
		    note ? store_put_json(c->txn, STORE_STATIONS, sk.b, sk.n, note, 0) : WMS_ENOMEM;
		json_decref(note);
		if (rc == 0 && ids)
			json_array_append(ids, json_object_get(e, "station"));
	}
	json_decref(todo);
	return rc;
}

static int sess_save(struct pk *p)
{
	struct key k = KEY_INIT;
	station_key(&k, p->station);
	return store_put_json(p->c->txn, STORE_STATIONS, k.b, k.n, p->sess, 0);
}

static int sess_drop(struct pk *p)
{
	struct key k = KEY_INIT;
	station_key(&k, p->station);
	return store_del(p->c->txn, STORE_STATIONS, k.b, k.n);
}

static int refuse(struct pk *p, int code, const char *instruction, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct pk *p, int code, const char *instruction, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->reply = scan_refusal(code, "code", instruction, "%s", msg);
	json_t *f = json_pack("{s:s, s:s, s:s}", "station", p->station, "reason", wms_errname(code),
	                      "message", msg);
	const char *code_text = req_str(p->c->req, "code");
	if (code_text)
		json_object_set_new(f, "scanned", json_string(code_text));
	uint64_t no = 0;
	/* The carton's order, or the order the scanned tote names: either way the refusal
	 * belongs in that order's timeline. */
	const json_t *about = p->sess ? p->sess : p->about;
	if (about) {
		no = sess_order_no(about);
		static const char *const keys[] = { "tenant", "order", "shipment", "tote" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (json_object_get(about, keys[i]))
				json_object_set(f, keys[i], json_object_get(about, keys[i]));
	}
	return ev_emit(p->c, "pack.rejected", no, f);
}

/*
 * At an idle station: refuses what only an open carton could take. When the station's last
 * carton was dropped because its order was cancelled, the refusal says so (invalid_state, in
 * that order's timeline): the packer holds items to return, not a step to redo.
 */
static int refuse_idle(struct pk *p, const char *instruction)
{
	if (p->dropped == NULL)
		return refuse(p, WMS_ESEQUENCE, instruction, "no carton is open at station %s",
		              p->station);
	p->about = p->dropped;
	int rc = refuse(p, WMS_ESTATE, "Take the items out and return them to stock",
	                "no carton is open at station %s: the carton of order %s (%s) was "
	                "dropped at %s because the order was cancelled",
	                p->station, req_str(p->dropped, "order"), req_str(p->dropped, "tote"),
	                req_str(p->dropped, "at"));
	p->about = NULL;
	return rc;
}

/* What is still expected: {sku: qty} minus what was packed. */
static long long still_expected(const json_t *sess, const char *sku)
{
	return req_int(json_object_get(sess, "expected"), sku, 0) -
	       req_int(json_object_get(sess, "packed"), sku, 0);
}

static long long units_missing(const json_t *sess)
{
	long long n = 0;
	const char *sku;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(sess, "expected"), sku, v) n +=
	    still_expected(sess, sku);
	return n;
}

static const char *missing_insert(const json_t *sess)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(sess, "inserts"), i, v)
	{
		if (!json_is_true(json_object_get(json_object_get(sess, "inserts_scanned"),
		                                  json_string_value(v))))
			return json_string_value(v);
	}
	return NULL;
}

static void instruction(const json_t *sess, char *buf, size_t n)
{
	long long left = units_missing(sess);
	const char *ins = missing_insert(sess);
	if (left > 0)
		snprintf(buf, n, "Scan the next item (%lld to go)", left);
	else if (ins)
		snprintf(buf, n, "Add and scan the insert %s", ins);
	else if (json_object_get(sess, "weight_g") == NULL)
		snprintf(buf, n, "Put the carton on the scale");
	else
		snprintf(buf, n, "Close the carton");
}

/* Opens a session for the order in TOTE. */
static int open_tote(struct pk *p, const char *tote)
{
	struct cmd_ctx *c = p->c;
	json_t *td;
	int rc = wave_tote_load(c->txn, tote, &td);
	if (rc == WMS_ENOTFOUND)
		return refuse(p, WMS_EUNKNOWNBARCODE, "Scan a tote from a finished pick",
		              "%s holds no order", tote);
	if (rc)
		return rc;
	if (req_str(td, "cancelled")) {
		/* Freed by a cancellation and not given out since: its items go back. */
		p->about = td;
		rc = refuse(p, WMS_ESTATE, "Take the items out and return them to stock",
		            "%s holds no order: order %s was cancelled at %s", tote,
		            req_str(td, "order"), req_str(td, "cancelled"));
		p->about = NULL;
		json_decref(td);
		return rc;
	}
	struct order o = ORDER_INIT;
	size_t sidx;
	rc = order_load(c, req_str(td, "tenant"), req_str(td, "order"), &o);
	if (rc) {
		json_decref(td);
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	}
	json_t *sh = order_shipment(&o, req_str(td, "shipment"), &sidx);
	const char *st = sh ? req_str(sh, "state") : NULL;
	if (sh == NULL || st == NULL || strcmp(st, "picked") != 0) {
		p->about = td;
		rc = refuse(p, WMS_ESTATE, "Send the tote back to picking",
		            "%s: order %s is %s, not picked", tote, order_id(&o),
		            st ? st : order_state_name(order_state(&o)));
		p->about = NULL;
		json_decref(td);
		order_release(&o);
		return rc;
	}
	json_t *expected = json_object();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(sh, "lines"), i, l)
	{
		const char *sku = req_str(l, "sku");
		json_object_set_new(expected, sku,
		                    json_integer(req_int(expected, sku, 0) + req_int(l, "qty", 0)));
	}
	const json_t *sub = order_submitted(&o);
	json_t *inserts = json_array();
	json_t *v;
	/* Inserts and the gift card go into one carton of the order: the shipment the allocation
	 * names (alloc.h), else the first. */
	const char *mark = req_str(json_object_get(o.doc, "allocation"), "inserts_shipment");
	bool carries = mark ? strcmp(mark, req_str(sh, "id")) == 0 : sidx == 0;
	json_array_foreach(carries ? json_object_get(sub, "inserts") : NULL, i, v)
	{
		char label[80];
		snprintf(label, sizeof(label), "INS-%s", json_string_value(v));
		for (char *q = label; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		json_array_append_new(inserts, json_string(label));
	}
	if (carries && req_str(sub, "gift_message"))
		json_array_append_new(inserts, json_string("INS-GIFT"));
	p->sess = json_pack("{s:s, s:O, s:O, s:I, s:O, s:I, s:O, s:o, s:{}, s:o, s:{}}", "tote",
	                    tote, "tenant", json_object_get(td, "tenant"), "order",
	                    json_object_get(td, "order"), "order_no", (json_int_t)o.no, "shipment",
	                    json_object_get(td, "shipment"), "shipment_index", (json_int_t)sidx,
	                    "warehouse", json_object_get(sh, "warehouse"), "expected", expected,
	                    "packed", "inserts", inserts, "inserts_scanned");
	json_decref(td);
	rc = order_shipment_move(c, &o, sidx, ORDER_PACKING,
	                         json_pack("{s:s, s:s}", "station", p->station, "tote", tote));
	order_release(&o);
	if (rc == 0)
		rc = sess_save(p);
	if (rc)
		return rc;
	char ins[160];
	instruction(p->sess, ins, sizeof(ins));
	p->reply =
	    scan_accepted(ins, "%s: order %s, %lld units%s", tote, req_str(p->sess, "order"),
	                  units_missing(p->sess), json_array_size(inserts) ? " and inserts" : "");
	return 0;
}

static int item(struct pk *p, const struct wms_barcode *bc, const char *code)
{
	struct cmd_ctx *c = p->c;
	char sku[80], shown[160];
	int qty = 1;
	if (bc->gtin[0] == '\0')
		return refuse(p, WMS_EUNKNOWNBARCODE, "Scan the item's barcode",
		              "'%s' carries no GTIN", scan_code_shown(code, shown, sizeof(shown)));
	int rc = master_gtin_lookup(c->txn, req_str(p->sess, "tenant"), bc->gtin, sku, sizeof(sku),
	                            &qty);
	if (rc == WMS_ENOTFOUND || rc == WMS_EGTIN)
		return refuse(p, WMS_EUNKNOWNBARCODE, "Set it aside; call the supervisor",
		              "GTIN %s is not an item of tenant '%s'", bc->gtin,
		              req_str(p->sess, "tenant"));
	if (rc)
		return rc;
	if (json_object_get(json_object_get(p->sess, "expected"), sku) == NULL)
		return refuse(p, WMS_ENOTINORDER, "Take it out; it goes to problem solving",
		              "%s is not in order %s", sku, req_str(p->sess, "order"));
	long long left = still_expected(p->sess, sku);
	if (qty > left)
		return refuse(p, WMS_EOVERPACK, "Take the extra out",
		              "%s: %lld still expected, this scan adds %d", sku, left, qty);
	json_t *packed = json_object_get(p->sess, "packed");
	json_object_set_new(packed, sku, json_integer(req_int(packed, sku, 0) + qty));
	json_object_del(p->sess, "weight_g"); /* the carton changed: weigh again */
	if ((rc = sess_save(p)))
		return rc;
	if ((rc = ev_emit(c, "pack.scanned", sess_order_no(p->sess),
	                  json_pack("{s:s, s:O, s:O, s:O, s:s, s:i}", "station", p->station,
	                            "tenant", json_object_get(p->sess, "tenant"), "order",
	                            json_object_get(p->sess, "order"), "shipment",
	                            json_object_get(p->sess, "shipment"), "sku", sku, "qty", qty))))
		return rc;
	char ins[160];
	instruction(p->sess, ins, sizeof(ins));
	p->reply = scan_accepted(ins, "%s packed (%lld of %lld)", sku, req_int(packed, sku, 0),
	                         req_int(json_object_get(p->sess, "expected"), sku, 0));
	return 0;
}

static int insert(struct pk *p, const char *label)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(p->sess, "inserts"), i, v)
	{
		if (strcasecmp(json_string_value(v), label) != 0)
			continue;
		json_object_set_new(json_object_get(p->sess, "inserts_scanned"),
		                    json_string_value(v), json_true());
		json_object_del(p->sess, "weight_g");
		int rc = sess_save(p);
		if (rc == 0)
			rc = ev_emit(p->c, "pack.scanned", sess_order_no(p->sess),
			             json_pack("{s:s, s:O, s:O, s:O, s:s}", "station", p->station,
			                       "tenant", json_object_get(p->sess, "tenant"),
			                       "order", json_object_get(p->sess, "order"),
			                       "shipment", json_object_get(p->sess, "shipment"),
			                       "insert", label));
		if (rc)
			return rc;
		char ins[160];
		instruction(p->sess, ins, sizeof(ins));
		p->reply = scan_accepted(ins, "insert %s added", label);
		return 0;
	}
	return refuse(p, WMS_ENOTINORDER, "Take the insert out", "insert %s is not for order %s",
	              label, req_str(p->sess, "order"));
}

/* Opens the handler: resent scans, the station's session. 1 = answered already. */
static int begin(struct pk *p, struct cmd_ctx *c, json_t **reply)
{
	p->c = c;
	p->station = req_str(c->req, "station");
	p->scan_id = req_str(c->req, "scan_id");
	int rc = scan_replay(c, p->station, p->scan_id, reply);
	if (rc)
		return rc;
	return sess_load(p);
}

static int end(struct pk *p, int rc, json_t **reply)
{
	if (rc == 0) {
		if (p->sess && json_object_get(p->reply, "order") == NULL) {
			json_object_set(p->reply, "order", json_object_get(p->sess, "order"));
			json_object_set(p->reply, "tote", json_object_get(p->sess, "tote"));
		}
		rc = scan_record(p->c, p->station, p->scan_id, p->reply);
	}
	json_decref(p->sess);
	json_decref(p->dropped);
	if (rc) {
		json_decref(p->reply);
		return rc;
	}
	*reply = p->reply;
	return 0;
}

int pack_scan(struct cmd_ctx *c, json_t **reply)
{
	struct pk p = { 0 };
	int rc = begin(&p, c, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	const char *code = req_str(c->req, "code");
	struct wms_barcode bc;
	struct wms_barcode_error e = WMS_BARCODE_ERROR_INIT;
	if (scan_parse(c, p.station, code, &bc, &e)) {
		rc = refuse(&p, WMS_EUNKNOWNBARCODE, "Scan again", "unreadable scan (%s): %s",
		            wms_barcode_errname(e.cls), e.message);
		if (rc == 0)
			json_object_set_new(p.reply, "barcode_error",
			                    json_string(wms_barcode_errname(e.cls)));
		return end(&p, rc, reply);
	}
	bool tote = bc.kind == WMS_BC_INTERNAL && bc.internal_type == WMS_INTERNAL_TOTE;
	bool ins = bc.kind == WMS_BC_INTERNAL && bc.internal_type == WMS_INTERNAL_INSERT;
	if (p.sess == NULL)
		rc = tote ? open_tote(&p, bc.internal_id) : refuse_idle(&p, "Scan a tote first");
	else if (tote)
		rc = strcasecmp(bc.internal_id, req_str(p.sess, "tote")) == 0
		         ? (p.reply =
		                scan_accepted("Go on packing", "%s is open here", bc.internal_id),
		            0)
		         : refuse(&p, WMS_ESEQUENCE, "Close the open carton first",
		                  "%s is open at station %s", req_str(p.sess, "tote"), p.station);
	else if (ins)
		rc = insert(&p, bc.internal_id);
	else if (bc.kind == WMS_BC_INTERNAL)
		rc = refuse(&p, WMS_ESEQUENCE, "Scan an item", "%s is a %s label, not an item",
		            bc.internal_id, wms_internal_type_name(bc.internal_type));
	else
		rc = item(&p, &bc, code);
	return end(&p, rc, reply);
}

/*
 * The carton's expected weight in grams, and how far a reading may be from it: the larger of
 * the fixed tolerance and the percentage, taken exactly. Readings are whole grams, so a share
 * of 207.5 g admits 207 g and not 208 g: the share is rounded down, never in the reading's
 * favour.
 */
static int expected_weight(struct pk *p, const json_t *wh, long long *grams, long long *tol)
{
	long long g = req_int(wh, "carton_tare_g", PACK_TARE_G);
	const char *sku;
	json_t *q;
	json_object_foreach((json_t *)json_object_get(p->sess, "expected"), sku, q)
	{
		json_t *it;
		int rc = master_item_load(p->c, req_str(p->sess, "tenant"), sku, "sku", &it);
		if (rc)
			return rc;
		g += req_int(it, "weight_g", 0) * json_integer_value(q);
		json_decref(it);
	}
	long long abs_tol = req_int(wh, "weight_tolerance_g", PACK_TOLERANCE_G);
	double pct = req_num(wh, "weight_tolerance_pct", PACK_TOLERANCE_PCT);
	/* The epsilon keeps a share that is a whole number (2000 g x 5 %) from flooring below
	 * it through binary rounding of the percentage. */
	long long rel = (long long)floor((double)g * pct / 100.0 + 1e-9);
	*grams = g;
	*tol = rel > abs_tol ? rel : abs_tol;
	return 0;
}

int pack_weigh(struct cmd_ctx *c, json_t **reply)
{
	struct pk p = { 0 };
	int rc = begin(&p, c, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	long long grams = req_int(c->req, "grams", 0);
	if (p.sess == NULL)
		return end(&p, refuse_idle(&p, "Scan a tote first"), reply);
	json_t *wh;
	if ((rc = master_warehouse_read(c, req_str(p.sess, "warehouse"), "warehouse", &wh)))
		return end(&p, rc, reply);
	long long want = 0, tol = 0; /* set by expected_weight; -O1 cannot tell */
	rc = expected_weight(&p, wh, &want, &tol);
	json_decref(wh);
	if (rc)
		return end(&p, rc, reply);
	/* Weighed before everything is in: compare with what should be in the carton. */
	bool refused = true;
	if (units_missing(p.sess) > 0)
		rc = refuse(&p, WMS_EINCOMPLETE, "Pack the missing items, then weigh",
		            "%lld units still to pack before weighing", units_missing(p.sess));
	else if (llabs(grams - want) > tol)
		rc = refuse(&p, WMS_EWEIGHT, "Open the carton and check its contents",
		            "carton weighs %lld g, expected %lld g +/- %lld g", grams, want, tol);
	else {
		refused = false;
		json_object_set_new(p.sess, "weight_g", json_integer(grams));
		rc = sess_save(&p);
		if (rc == 0)
			rc = ev_emit(c, "pack.weighed", sess_order_no(p.sess),
			             json_pack("{s:s, s:O, s:O, s:O, s:I, s:I}", "station",
			                       p.station, "tenant",
			                       json_object_get(p.sess, "tenant"), "order",
			                       json_object_get(p.sess, "order"), "shipment",
			                       json_object_get(p.sess, "shipment"), "grams",
			                       (json_int_t)grams, "expected_g", (json_int_t)want));
		if (rc == 0) {
			char ins[160];
			instruction(p.sess, ins, sizeof(ins));
			p.reply =
			    scan_accepted(ins, "%lld g within %lld g +/- %lld g", grams, want, tol);
		}
	}
	/* The last reading is what is on the scale: a refused one voids an earlier good one, so
	 * the carton does not close on a weight it no longer has. */
	if (rc == 0 && refused && json_object_get(p.sess, "weight_g")) {
		json_object_del(p.sess, "weight_g");
		rc = sess_save(&p);
	}
	if (rc == 0)
		json_object_set_new(p.reply, "expected_g", json_integer(want));
	return end(&p, rc, reply);
}

/*
 * Writes TEXT as ZPL field data for a field opened with ^FH: '^' and '~' would be read as
 * ZPL commands, '_' is the ^FH escape itself, and control bytes break the field, so each is
 * written as _XX (hex). UTF-8 beyond ASCII passes as is (^CI28).
 */
static void zpl_text(FILE *f, const char *text)
{
	for (const unsigned char *q = (const unsigned char *)text; q && *q; q++) {
		if (*q == '^' || *q == '~' || *q == '_' || *q < 0x20 || *q == 0x7f)
			fprintf(f, "_%02X", *q);
		else
			fputc(*q, f);
	}
}

/* The carton label in ZPL: SSCC as GS1-128 (mode D reads the bracketed AI), ship-to, order. */
static char *zpl_label(const json_t *sess, const json_t *sub, const char *sscc, const json_t *ship)
{
	const json_t *to = json_object_get(sub, "ship_to");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return NULL;
	/* ^FH lets field data carry _XX hex escapes; '^' and '~' in customer text would
	 * otherwise be taken as ZPL commands. */
	fprintf(f, "^XA^CI28\n^FO40,30^A0N,30,30^FDSHIP TO:^FS\n");
	const char *fields[] = { "name", "address", "city", "postal_code", "country" };
	int y = 70;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = req_str(to, fields[i]);
		if (v == NULL)
			continue;
		fprintf(f, "^FO40,%d^A0N,28,28^FH^FD", y);
		zpl_text(f, v);
		fprintf(f, "^FS\n");
		y += 34;
	}
	/* Order ids, carriers and services are ids: visible ASCII, '^' and '~' included. */
	fprintf(f, "^FO40,%d^A0N,26,26^FH^FDORDER ", y + 10);
	zpl_text(f, req_str(sess, "order"));
	fputs("  ", f);
	zpl_text(f, req_str(ship, "carrier"));
	fputc(' ', f);
	zpl_text(f, req_str(ship, "service"));
	fputs("^FS\n", f);
	fprintf(f, "^FO40,%d^A0N,26,26^FDSSCC (00) %s^FS\n", y + 50, sscc);
	fprintf(f, "^FO40,%d^BY3^BCN,160,Y,N,N,D^FD(00)%s^FS\n^XZ\n", y + 90, sscc);
	fclose(f);
	return buf;
}

/*
 * The next SSCC of company PREFIX (its serial in *SERIAL). Serials are counted per prefix,
 * because an SSCC is unique by prefix and serial: every tenant sharing a prefix draws from
 * one counter, tenants of other prefixes do not use up its room. Serials start after the last
 * value of the engine-wide counter earlier versions drew from (0 on a store made since), so
 * no SSCC issued before is issued again. A prefix of P digits leaves 16 - P digits of serial:
 * when they run out, the carton is refused (bad_value), never given a duplicate; nothing is
 * used up by the refusal (the command rolls back).
 */
static int next_sscc(struct cmd_ctx *c, const char *prefix, uint64_t *serial, char sscc[19])
{
	char name[40];
	uint64_t base, n;
	size_t plen = strlen(prefix);
	if (plen < 4 || plen > 12 || strspn(prefix, "0123456789") != plen)
		return cmd_fail(c, WMS_EVALUE, "tenant.gs1_company_prefix",
		                "cannot make an SSCC from company prefix '%s': not 4 to 12 digits",
		                prefix);
	snprintf(name, sizeof(name), "%s/%s", PACK_SERIAL_COUNTER, prefix);
	int rc = store_counter_get(c->txn, PACK_SERIAL_COUNTER, &base);
	if (rc == 0)
		rc = store_counter_next(c->txn, name, &n);
	if (rc)
		return rc;
	uint64_t room = 1;
	for (size_t i = 0; i < 16 - plen; i++)
		room *= 10;
	*serial = base + n;
	if (*serial >= room || wms_sscc_make(0, prefix, *serial, sscc) != 0)
		return cmd_fail(c, WMS_EVALUE, "tenant.gs1_company_prefix",
		                "company prefix %s has used all %" PRIu64
		                " SSCC serials its %zu digits leave room for: the tenant needs "
		                "another gs1_company_prefix before more cartons can close",
		                prefix, room - 1, plen);
	return 0;
}

int pack_close(struct cmd_ctx *c, json_t **reply)
{
	struct pk p = { 0 };
	int rc = begin(&p, c, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	const char *ins;
	if (p.sess == NULL)
		return end(&p, refuse_idle(&p, "Scan a tote first"), reply);
	if (units_missing(p.sess) > 0)
		return end(&p,
		           refuse(&p, WMS_EINCOMPLETE, "Pack the missing items",
		                  "%lld units of order %s are not packed", units_missing(p.sess),
		                  req_str(p.sess, "order")),
		           reply);
	if ((ins = missing_insert(p.sess)) != NULL)
		return end(&p,
		           refuse(&p, WMS_EMISSINGINSERT, "Add the insert and scan it",
		                  "order %s needs insert %s", req_str(p.sess, "order"), ins),
		           reply);
	if (json_object_get(p.sess, "weight_g") == NULL)
		return end(&p,
		           refuse(&p, WMS_EWEIGHT, "Put the carton on the scale",
		                  "the carton has not been weighed within tolerance"),
		           reply);
	struct order o = ORDER_INIT;
	rc = order_load(c, req_str(p.sess, "tenant"), req_str(p.sess, "order"), &o);
	if (rc)
		return end(&p, rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc, reply);
	size_t sidx;
	json_t *sh = order_shipment(&o, req_str(p.sess, "shipment"), &sidx);
	json_t *tenant = NULL;
	uint64_t serial;
	char sscc[19];
	if (order_state(&o) == ORDER_CANCELLED) {
		/* A session of an order cancelled before cancellation dropped sessions: no
		 * SSCC for a parcel that will not ship. */
		rc = refuse(&p, WMS_ESTATE, "Take the items out and return them to stock",
		            "order %s was cancelled: carton of %s not closed", order_id(&o),
		            req_str(p.sess, "tote"));
		order_release(&o);
		return end(&p, rc, reply);
	}
	if (sh == NULL)
		rc = WMS_EINTERNAL;
	if (rc == 0)
		rc = master_tenant_load(c, req_str(p.sess, "tenant"), "tenant", &tenant);
	if (rc == 0) {
		const char *prefix = req_str(tenant, "gs1_company_prefix");
		rc = next_sscc(c, prefix ? prefix : PACK_DEFAULT_PREFIX, &serial, sscc);
	}
	json_decref(tenant);
	char *zpl = NULL;
	if (rc == 0 && (zpl = zpl_label(p.sess, order_submitted(&o), sscc, sh)) == NULL)
		rc = WMS_ENOMEM;
	json_t *carton = NULL;
	if (rc == 0) {
		json_t *cartons = json_object_get(sh, "cartons");
		if (cartons == NULL)
			json_object_set_new(sh, "cartons", cartons = json_array());
		carton = json_pack("{s:s, s:O, s:s, s:O}", "sscc", sscc, "weight_g",
		                   json_object_get(p.sess, "weight_g"), "station", p.station,
		                   "items", json_object_get(p.sess, "packed"));
		json_array_append(cartons, carton);
		json_object_del(sh, "tote");
		rc = wave_tote_free(c, req_str(p.sess, "tote"));
	}
	/* The event carries the carton as the shipment records it: what is in the parcel. */
	if (rc == 0)
		rc = order_shipment_move(
		    c, &o, sidx, ORDER_PACKED,
		    json_pack("{s:s, s:O, s:s, s:O, s:o}", "sscc", sscc, "weight_g",
		              json_object_get(p.sess, "weight_g"), "station", p.station, "tote",
		              json_object_get(p.sess, "tote"), "carton", json_deep_copy(carton)));
	json_decref(carton);
	if (rc == 0)
		rc = sess_drop(&p);
	if (rc == 0) {
		p.reply = scan_accepted("Put the label on and send the carton to shipping",
		                        "carton %s closed for order %s", sscc, order_id(&o));
		json_object_set_new(p.reply, "sscc", json_string(sscc));
		json_object_set_new(p.reply, "label_zpl", json_string(zpl));
	}
	free(zpl);
	order_release(&o);
	return end(&p, rc, reply);
}

/*
 * Undoes the station's open carton: the shipment is picked again, as it was before its tote
 * was scanned here, and so is the order when it was packing. Not a move forward
 * through the lifecycle (order_shipment_move would stamp a new "picked" milestone): the
 * "packing" milestones go, the others stay, and pack.aborted says what changed.
 */
static int abort_carton(struct pk *p)
{
	struct cmd_ctx *c = p->c;
	struct order o = ORDER_INIT;
	int rc = order_load_no(c->txn, sess_order_no(p->sess), &o);
	if (rc)
		return rc == WMS_ENOTFOUND ? WMS_EINTERNAL : rc;
	size_t sidx;
	json_t *sh = order_shipment(&o, req_str(p->sess, "shipment"), &sidx);
	if (sh == NULL) {
		order_release(&o);
		return WMS_EINTERNAL;
	}
	const char *tote = req_str(p->sess, "tote");
	long long units = 0;
	const char *sku;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(p->sess, "packed"), sku, v) units +=
	    json_integer_value(v);
	bool moved = order_state_parse(req_str(sh, "state")) == ORDER_PACKING;
	if (moved) {
		json_object_set_new(sh, "state", json_string(order_state_name(ORDER_PICKED)));
		json_object_del(json_object_get(sh, "milestones"), "packing");
	}
	/* The least advanced shipment decides the order's state (orders.h): this one is picked
	 * again, so an order that was packing is picked again, other cartons open or not. */
	bool order_moved = moved && order_state(&o) == ORDER_PACKING;
	if (order_moved) {
		json_object_set_new(o.doc, "state", json_string(order_state_name(ORDER_PICKED)));
		json_object_del(json_object_get(o.doc, "milestones"), "packing");
	}
	if (moved)
		rc = order_save(c, &o);
	json_t *f = NULL;
	if (rc == 0) {
		f = json_pack("{s:s, s:O, s:O, s:O, s:s, s:O, s:I, s:s, s:s}", "station", p->station,
		              "tenant", json_object_get(p->sess, "tenant"), "order",
		              json_object_get(p->sess, "order"), "shipment",
		              json_object_get(p->sess, "shipment"), "tote", tote, "packed",
		              json_object_get(p->sess, "packed"), "units", (json_int_t)units,
		              "shipment_state", req_str(sh, "state"), "order_state",
		              order_state_name(order_state(&o)));
		if (f && req_str(c->req, "reason"))
			json_object_set(f, "reason", json_object_get(c->req, "reason"));
		if (f && req_str(c->req, "packer"))
			json_object_set(f, "packer", json_object_get(c->req, "packer"));
		rc = f ? order_emit(c, &o, "pack.aborted", f) : WMS_ENOMEM;
	}
	if (rc == 0)
		rc = sess_drop(p);
	if (rc == 0) {
		char ins[160];
		if (units > 0)
			snprintf(ins, sizeof(ins),
			         "Put the %lld packed unit%s back into %s and return it for packing",
			         units, units == 1 ? "" : "s", tote);
		else
			snprintf(ins, sizeof(ins), "Return %s for packing", tote);
		p->reply = scan_accepted(ins, "carton of order %s (%s) aborted at station %s",
		                         order_id(&o), tote, p->station);
		json_object_set(p->reply, "order", json_object_get(p->sess, "order"));
		json_object_set_new(p->reply, "tote", json_string(tote));
		json_object_set_new(p->reply, "units_back", json_integer((json_int_t)units));
		json_decref(p->sess);
		p->sess = NULL; /* the station is idle */
	}
	order_release(&o);
	return rc;
}

int pack_abort(struct cmd_ctx *c, json_t **reply)
{
	struct pk p = { 0 };
	int rc = begin(&p, c, reply);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (p.sess == NULL)
		return end(&p, refuse_idle(&p, "Nothing to abort: scan a tote to pack"), reply);
	return end(&p, abort_carton(&p), reply);
}
