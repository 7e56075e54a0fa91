/*
 * wms/barcode.h - what a warehouse scanner sent, parsed: plain GTINs (EAN-8, UPC-A, EAN-13,
 * ITF-14), GS1 element strings (raw, with FNC1 sent as GS, or bracketed "(01)..."), GS1 Digital
 * Link URIs, and the engine's own labels (LOC-, TOTE-, STN-, CTN-, INS-, CART-, USR-).
 *
 * The engine verifies picks and packs against a struct wms_barcode; the item master validates
 * GTINs with wms_gtin_*; the packing module builds SSCCs with wms_sscc_make and prints them with
 * wms_barcode_to_element_string.
 *
 * Threading: every function is reentrant and thread-safe; the only shared data are constant
 *   tables. Nothing reads a clock: where a date needs a century, the caller passes the year.
 * Ownership: nothing is allocated. struct wms_barcode and struct wms_barcode_error are
 *   fixed-size and embedded by the caller. Strings returned by the accessors are borrowed: they
 *   point into the struct wms_barcode passed in and live as long as it is not changed.
 * Errors: functions return 0 or a negative error class, -WMS_BCERR_*. Each class has a stable
 *   snake_case name (wms_barcode_errname) and the error struct carries a message for people
 *   that names the AI, the value and the position. The library depends on libc only and does
 *   not use the engine's WMS_E* codes: the engine answers a refused scan with its own code
 *   (unknown_barcode, bad_gtin) and passes the class and message on.
 *
 * Input rules, in the order they are applied (README.md has the same in prose):
 *   1. Leading and trailing whitespace (space, TAB, CR, LF, VT, FF) from keyboard wedges is
 *      trimmed. An empty scan is `empty`.
 *   2. An AIM symbology identifier "]Xm" (ISO/IEC 15424) is taken off and kept in `symbology`.
 *      ]C1 ]d2 ]Q3 ]e0 ]J1 announce GS1 data: the rest must be an element string.
 *      ]E* and ]I* (EAN/UPC, ITF) announce a plain number: the rest must be a GTIN that fits
 *      the identifier, else bad_length: ]E0 carries 13 digits (EAN-13, UPC-A or UPC-E with
 *      leading 0s; 12 are tolerated), ]E3 EAN-13 with its add-on, 13 + 2 or 13 + 5 digits (the
 *      add-on is not part of the GTIN), ]E4 EAN-8; ]E0 and ]E4 may be followed by the add-on
 *      as its own packet, "]E1" + 2 or "]E2" + 5 digits. ]E1 or ]E2 alone (an add-on without
 *      its main symbol) and ]E5-]Ez are bad_format.
 *      Any other identifier (]C0 ]A0 ]d1 ]Q1 ...) and no identifier announce plain text.
 *   3. Plain text is, in this order: a Digital Link URI ("http://" or "https://"); an engine
 *      label (known prefix, case-insensitive); a GTIN (8, 12, 13 or 14 digits; other digit
 *      runs are bad_length, except 16+ digits without identifier, read as an element string);
 *      a bracketed element string ("(" first). Without any identifier, anything else that
 *      starts with two digits or with a GS (or GS alias) is tried as a raw element string
 *      (scanners that send no identifier still send FNC1 as GS). The rest is `bad_format`.
 *
 * GS1 rules applied (GS1 General Specifications, section 3 and 7.8; Digital Link 1.2):
 *   - the full AI table with fixed and variable lengths and the numeric / CSET 82 / CSET 39 /
 *     CSET 64 character sets; check digits wherever the standard has one (00, 01, 02, 03, 253,
 *     255, 402, 410-417, 8003, 8006, 8017, 8018, 8026); dates YYMMDD with the month checked and
 *     the day checked against the month (Feb 29 only in a leap year; DD=00 "end of month" where
 *     the AI allows it: 11-17, 4324, 4325); times, yes/no flags and a few other simple checks;
 *   - raw form: AIs of the predefined-length table (first two digits 00-04, 11-20, 31-36, 41)
 *     need no separator; every other field runs to the next GS or the end. A separator is
 *     never guessed: a variable-length field legally absorbs what follows it, and a field that
 *     runs past its maximum length is `missing_separator` (in the raw form only; the bracketed
 *     form and Digital Link delimit fields explicitly, so there it is `bad_length`). A GS after
 *     a predefined-length field, a leading GS and a trailing GS are tolerated;
 *   - bracketed form: "(AI)value..."; a literal "(" inside a value is written "\(";
 *   - an AI repeated with the same value is kept once; with a different value it is
 *     `bad_format`;
 *   - pairing rules (which AIs require or exclude others) are NOT applied: they hold over all
 *     the barcodes on an item, and a scan is one barcode.
 *   - not checked against code lists: country, currency, IBAN, coupon, package type, and the
 *     GMN check-character pair. The engine does not use these AIs.
 */
#ifndef WMS_BARCODE_H
#define WMS_BARCODE_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds. A scan longer than WMS_BARCODE_MAX_INPUT bytes is bad_length. */
#define WMS_BARCODE_MAX_INPUT    4096
#define WMS_BARCODE_MAX_AIS      32 /* element strings kept per scan; more is bad_length */
#define WMS_BARCODE_MAX_VALUE    90 /* longest AI value in the GS1 table (91-99, 7256, 8030) */
#define WMS_BARCODE_MAX_LABEL    63 /* longest engine label */
#define WMS_BARCODE_MAX_GS_ALIAS 8  /* characters a scanner may send instead of GS */

/* The error classes. Values are part of the API and never renumbered; names go on the wire. */
#define WMS_BARCODE_ERRORS(X)                                                                      \
	X(WMS_BCERR_EMPTY, 1, "empty", "nothing was scanned")                                      \
	X(WMS_BCERR_CHECK_DIGIT, 2, "check_digit", "a check digit is wrong")                       \
	X(WMS_BCERR_UNKNOWN_AI, 3, "unknown_ai", "not a GS1 Application Identifier")               \
	X(WMS_BCERR_BAD_LENGTH, 4, "bad_length", "a value or the scan has a wrong length")         \
	X(WMS_BCERR_BAD_DATE, 5, "bad_date", "a date or a time does not exist")                    \
	X(WMS_BCERR_BAD_CHARSET, 6, "bad_charset", "a character is not allowed there")             \
	X(WMS_BCERR_MISSING_SEPARATOR, 7, "missing_separator",                                     \
	  "a field runs past its maximum length: a GS separator is missing")                       \
	X(WMS_BCERR_BAD_FORMAT, 8, "bad_format", "the scan does not have a recognised structure")

enum wms_barcode_errclass {
	WMS_BCERR_NONE = 0,
#define WMS_BCERR_ENUM(sym, val, name, text) sym = val,
	WMS_BARCODE_ERRORS(WMS_BCERR_ENUM)
#undef WMS_BCERR_ENUM
};

/*
 * What went wrong with a scan. `position` counts bytes from 1 over the text exactly as it was
 * passed in (before trimming); 0 when the error concerns the whole scan; one past the last
 * byte (len + 1) when the scan ended where more was expected. `ai` is the AI
 * concerned or "". The message names the AI, the value and the position; bytes that are not
 * printable ASCII are shown as \xNN, so the message is safe for logs and JSON.
 */
struct wms_barcode_error {
	enum wms_barcode_errclass cls;
	size_t position;
	char ai[5];
	char message[240];
};
#define WMS_BARCODE_ERROR_INIT                                                                     \
	{                                                                                          \
		WMS_BCERR_NONE, 0, "", ""                                                          \
	}

/* What a scan is. Stored and wire-visible: explicit values, never renumbered. */
enum wms_barcode_kind {
	WMS_BC_NONE = 0,
	WMS_BC_GTIN = 1,           /* a plain EAN-8 / UPC-A / EAN-13 / ITF-14 number */
	WMS_BC_ELEMENT_STRING = 2, /* GS1 AIs, raw or bracketed */
	WMS_BC_DIGITAL_LINK = 3,   /* a GS1 Digital Link URI */
	WMS_BC_INTERNAL = 4,       /* one of the engine's own labels */
};

/* Which engine label. Explicit values, never renumbered. */
enum wms_internal_type {
	WMS_INTERNAL_NONE = 0,
	WMS_INTERNAL_LOCATION = 1, /* LOC-  groups of A-Z0-9 joined by '-': LOC-A01-02-3 */
	WMS_INTERNAL_TOTE = 2,     /* TOTE- digits: TOTE-000123 */
	WMS_INTERNAL_STATION = 3,  /* STN-  groups: STN-PACK-04 */
	WMS_INTERNAL_CARTON = 4,   /* CTN-  digits: CTN-0000042 */
	WMS_INTERNAL_INSERT = 5,   /* INS-  groups: INS-XMAS-CARD */
	WMS_INTERNAL_CART = 6,     /* CART- digits: CART-17 */
	WMS_INTERNAL_USER = 7,     /* USR-  groups: USR-JDOE */
};

/* One GS1 element string: the AI ("01", "3103", "8020") and its value, both NUL-terminated. */
struct wms_barcode_ai {
	char ai[5];
	char value[WMS_BARCODE_MAX_VALUE + 1];
};

/*
 * A parsed scan. Filled by wms_barcode_parse only on success. For WMS_BC_GTIN, `gtin` is set
 * and `ais` is empty; for element strings and Digital Link, `ais` holds every AI in scan order
 * (for Digital Link: primary key, qualifiers, then query attributes) and `gtin` copies AI (01)
 * when present; for WMS_BC_INTERNAL, `internal_type` and `internal_id` (the full label in
 * upper case, "LOC-A01-02-3") are set.
 */
struct wms_barcode {
	enum wms_barcode_kind kind;
	char symbology[4]; /* the AIM identifier seen, "]E0", or "" */
	char gtin[15];     /* 14 digits, or "" */
	size_t n_ais;
	struct wms_barcode_ai ais[WMS_BARCODE_MAX_AIS];
	enum wms_internal_type internal_type;
	char internal_id[WMS_BARCODE_MAX_LABEL + 1];
};

/*
 * Parse options. WMS_BARCODE_OPTS_INIT (or passing NULL) means: no GS alias.
 * gs_alias: characters some scanners are set to send instead of GS (ASCII 29), because a
 *   keyboard wedge cannot type GS. Set it with wms_barcode_opts_set_gs_alias, which refuses
 *   characters that GS1 data may contain. Applies to raw element strings only.
 */
struct wms_barcode_opts {
	char gs_alias[WMS_BARCODE_MAX_GS_ALIAS + 1];
};
#define WMS_BARCODE_OPTS_INIT                                                                      \
	{                                                                                          \
		""                                                                                 \
	}

/* A calendar date. */
struct wms_date {
	int year;  /* e.g. 2026 */
	int month; /* 1-12 */
	int day;   /* 1-31 */
};

/* A measure from AIs 31nn-36nn: value / 10^decimals in the unit of the AI family. */
struct wms_measure {
	char ai[5];          /* the AI found, e.g. "3103" */
	unsigned long value; /* the six digits as a number, e.g. 1250 */
	int decimals;        /* the AI's last digit, e.g. 3: 1.250 */
};

/* The element string forms wms_barcode_to_element_string writes. */
enum wms_es_form {
	WMS_ES_BRACKETED = 1, /* (01)09506000134352(10)ABC */
	WMS_ES_RAW = 2,       /* 0109506000134352 10ABC<GS>17... with GS only where needed */
};

/*
 * Parses one scan: LEN bytes at TEXT (no NUL needed; NUL bytes inside are bad_charset).
 * OPTS may be NULL. On success fills *OUT and returns 0; on failure returns -WMS_BCERR_* and,
 * when ERR is not NULL, fills *ERR; *OUT is not touched.
 */
int wms_barcode_parse(const char *text, size_t len, const struct wms_barcode_opts *opts,
                      struct wms_barcode *out, struct wms_barcode_error *err);

/*
 * Sets the GS alias characters of *OPTS from the NUL-terminated CHARS (at most
 * WMS_BARCODE_MAX_GS_ALIAS, may be ""). Each must be ASCII, not NUL, and outside CSET 82 and
 * CSET 39 - otherwise a scanner could not tell an alias from data: printable choices are
 * space $ @ [ \ ] ^ ` { | } ~ ('#' is refused: CSET 39, used by AI 8010, contains it), and
 * every control character but TAB, CR and LF (FS 0x1C and RS 0x1E are common): a keyboard
 * wedge ends a scan at CR/LF and splits it at TAB, so those can never arrive as an alias.
 * Errors: -WMS_BCERR_BAD_CHARSET for a character that is not allowed, -WMS_BCERR_BAD_LENGTH for
 * too many. *OPTS is changed only on success.
 */
int wms_barcode_opts_set_gs_alias(struct wms_barcode_opts *opts, const char *chars,
                                  struct wms_barcode_error *err);

/* True when C may serve as a GS alias (see wms_barcode_opts_set_gs_alias). */
bool wms_barcode_gs_alias_ok(int c);

/* The stable name of an error class ("check_digit"), given either sign; "" for 0/unknown. */
const char *wms_barcode_errname(int cls);

/* The error class whose name is NAME, or 0. */
int wms_barcode_errclass(const char *name);

/* "gtin", "element_string", "digital_link", "internal"; "" for WMS_BC_NONE/unknown. */
const char *wms_barcode_kind_name(enum wms_barcode_kind kind);

/* "location", "tote", "station", "carton", "insert", "cart", "user"; "" otherwise. */
const char *wms_internal_type_name(enum wms_internal_type type);

/* ---- accessors: borrowed pointers into *BC, NULL when the scan does not carry the AI ---- */

/* The value of AI (e.g. "10", "3103") in *BC, or NULL. */
const char *wms_barcode_ai(const struct wms_barcode *bc, const char *ai);

/* AI (10) batch/lot, AI (21) serial, AI (00) SSCC; or NULL. */
const char *wms_barcode_lot(const struct wms_barcode *bc);
const char *wms_barcode_serial(const struct wms_barcode *bc);
const char *wms_barcode_sscc(const struct wms_barcode *bc);

/*
 * The expiry date, AI (17), as a calendar date: true and *OUT written when the scan carries it.
 * REF_YEAR is the current year (from the engine's clock) for the GS1 century rule; 0 means
 * 2000 + YY. DD=00 becomes the last day of the month.
 */
bool wms_barcode_expiry(const struct wms_barcode *bc, int ref_year, struct wms_date *out);

/*
 * A count of items: AI (37) (trade items in a logistic unit) when present, else AI (30)
 * (variable count). True and *OUT written when the scan carries either.
 */
bool wms_barcode_count(const struct wms_barcode *bc, unsigned long *out);

/*
 * A measure of the AI family FAMILY, the AI's first three digits ("310" net weight in kg,
 * "330" gross weight in kg, "320" net weight in lb, ...): true and *OUT written when present.
 */
bool wms_barcode_measure(const struct wms_barcode *bc, const char *family, struct wms_measure *out);

/*
 * Resolves a GS1 date YYMMDD (6 digits) to a calendar date. REF_YEAR is the current year for
 * the GS1 sliding century window (General Specifications 7.12: a YY more than 50 years ahead
 * is last century, more than 49 years back is next century); 0 means 2000 + YY. DD=00 is the
 * last day of the month. Errors: -WMS_BCERR_BAD_CHARSET, -WMS_BCERR_BAD_DATE.
 */
int wms_gs1_date(const char *yymmdd, int ref_year, struct wms_date *out);

/*
 * Writes the AIs of *BC as one element string in FORM into BUF (CAP bytes, NUL-terminated);
 * *OUT_LEN (may be NULL) gets the length without the NUL. A WMS_BC_GTIN scan is written as AI
 * (01). The raw form has no symbology identifier and no leading FNC1; GS (ASCII 29) follows
 * each field that is not of predefined length, except the last. Errors: -WMS_BCERR_BAD_LENGTH
 * when CAP is too small, -WMS_BCERR_BAD_FORMAT for an internal label.
 */
int wms_barcode_to_element_string(const struct wms_barcode *bc, enum wms_es_form form, char *buf,
                                  size_t cap, size_t *out_len);

/* ---- GS1 keys: check digits, GTIN normalisation, SSCC ---- */

/*
 * The GS1 modulo-10 check digit (0-9) for the N digits at DIGITS, which do not include the
 * check digit (13 for a GTIN-14, 17 for an SSCC). N is 1-17. Errors: -WMS_BCERR_BAD_LENGTH,
 * -WMS_BCERR_BAD_CHARSET.
 */
int wms_gtin_check_digit(const char *digits, size_t n);

/* True when S (NUL-terminated) is 8, 12, 13 or 14 digits with a correct check digit. */
bool wms_gtin_valid(const char *s);

/*
 * Normalises a GTIN-8, -12 (UPC-A), -13 or -14 at S (LEN bytes) to GTIN-14 by padding with
 * zeros on the left, after verifying its check digit. OUT gets 14 digits and a NUL.
 * Errors: -WMS_BCERR_EMPTY, -WMS_BCERR_BAD_LENGTH, -WMS_BCERR_BAD_CHARSET,
 * -WMS_BCERR_CHECK_DIGIT (ERR, may be NULL, says which). OUT is written only on success.
 */
int wms_gtin_normalise(const char *s, size_t len, char out[15], struct wms_barcode_error *err);

/* True when S (NUL-terminated) is 13 digits with a correct check digit (a GLN). */
bool wms_gln_valid(const char *s);

/* True when S (NUL-terminated) is 18 digits with a correct check digit (an SSCC-18). */
bool wms_sscc_valid(const char *s);

/*
 * Builds an SSCC-18: EXTENSION (0-9), the GS1 company prefix COMPANY_PREFIX (4-12 digits,
 * NUL-terminated), SERIAL_REF zero-padded to fill 16 - strlen(COMPANY_PREFIX) digits, and the
 * check digit. OUT gets 18 digits and a NUL. Errors: -WMS_BCERR_BAD_LENGTH (prefix length, or
 * SERIAL_REF does not fit), -WMS_BCERR_BAD_CHARSET (prefix not digits), -WMS_BCERR_BAD_FORMAT
 * (EXTENSION > 9). OUT is written only on success.
 */
int wms_sscc_make(unsigned extension, const char *company_prefix, unsigned long long serial_ref,
                  char out[19]);

#endif
