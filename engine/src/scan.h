/*
 * scan.h - what every scan handler shares: scanning devices and their settings, resent scans,
 * barcode parsing with the device's settings, and the shape of a verdict.
 *
 * A scan is identified by (device, scan_id). A resent scan with the same content is answered
 * with the verdict it got the first time and changes nothing; the same id with different
 * content is a conflict. Verdicts, accepted or refused, are stored with the scan.
 *
 * A refused scan is a fact (supervisors count them), so it is answered with ok:false AND
 * recorded: handlers return 0 with the reply scan_refusal() builds, and emit their
 * *.rejected event.
 *
 * Devices (device.put): {id, gs_alias?, kind?, station?}; gs_alias is what the device's
 * scanner sends instead of the GS separator (scanners/include/wms/barcode.h). An unknown
 * device scans with no alias.
 */
#ifndef WMS_SCAN_H
#define WMS_SCAN_H

#include "cmd.h"
#include "wms/barcode.h"

/* 1 with *REPLY set (new reference) when (DEVICE, SCAN_ID) was already answered for this
 * same request; 0 when it is new; WMS_ECONFLICT (c->err set) for different content. */
int scan_replay(struct cmd_ctx *c, const char *device, const char *scan_id, json_t **reply);

/* Stores REPLY (borrowed) as the verdict of (DEVICE, SCAN_ID) for this request. */
int scan_record(struct cmd_ctx *c, const char *device, const char *scan_id, const json_t *reply);

/* Parses CODE with DEVICE's settings. 0, or -1 with ERR filled (the scan is unreadable). */
int scan_parse(struct cmd_ctx *c, const char *device, const char *code, struct wms_barcode *bc,
               struct wms_barcode_error *err);

/*
 * The scan as plain text, for codes the barcode library does not know (a location printed
 * without its LOC- prefix): CODE without surrounding whitespace and without an AIM symbology
 * identifier that announces plain text (]C0, ]A0, ...; barcode.h rule 2). 0 with OUT filled,
 * or -1 when CODE announces GS1 data or a number (]C1 ]d2 ]Q3 ]e0 ]J1 ]E* ]I*), is empty, or
 * does not fit N bytes.
 */
int scan_plain_text(const char *code, char *out, size_t n);

/*
 * CODE as a message shows it: control bytes are invisible on a screen (a GS between a lot and
 * the next AI would read as part of the lot), so GS is written <GS> and any other control
 * byte <0xNN>. Truncated with "..." to fit N bytes (N >= 8). Returns OUT.
 */
const char *scan_code_shown(const char *code, char *out, size_t n);

/* A refusal verdict: {ok:false, verdict:"refused", message, instruction,
 * error:{code, message, field}}. CODE is a WMS_E* scan verdict code (PROTOCOL.md 7.4), or
 * WMS_ESTATE for a tote whose shipment is not picked. */
json_t *scan_refusal(int code, const char *field, const char *instruction, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An acceptance verdict {verdict:"accepted", message, instruction} to add fields to. */
json_t *scan_accepted(const char *instruction, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The engine's local date today as YYYYMMDD (UTC), for expiry checks. */
int scan_today(const struct cmd_ctx *c);

int device_put(struct cmd_ctx *c, json_t **reply);

#endif
