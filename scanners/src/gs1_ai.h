/*
 * gs1_ai.h - the GS1 Application Identifier table (GS1 General Specifications section 3, as
 * maintained in the GS1 Barcode Syntax Dictionary) and the checks of an AI's value against it.
 *
 * Each AI's value is a sequence of components, each with a character set, a length (fixed or
 * up to a maximum), whether it may be left out (only trailing ones), and a check ("linter"):
 * check digit, date, time, flag. The table is constant; lookups are pure.
 */
#ifndef WMS_GS1_AI_H
#define WMS_GS1_AI_H

#include <stdbool.h>
#include <stddef.h>

struct bc_ctx;

enum gs1_cset {
	GS1_CSET_N = 1, /* digits */
	GS1_CSET_X = 2, /* CSET 82 */
	GS1_CSET_Y = 3, /* CSET 39 */
	GS1_CSET_Z = 4, /* CSET 64 (base64url, '=' padding) */
};

enum gs1_lint {
	GS1_LINT_NONE = 0,
	GS1_LINT_CSUM,         /* GS1 modulo-10 check digit, last digit of the component */
	GS1_LINT_YYMMD0,       /* YYMMDD, DD=00 allowed (end of month) */
	GS1_LINT_YYMMDD,       /* YYMMDD, a real day */
	GS1_LINT_YYYYMMDD,     /* YYYYMMDD, a real day */
	GS1_LINT_HHMI,         /* hhmm 0000-2359 */
	GS1_LINT_HH,           /* hh 00-23 */
	GS1_LINT_MI,           /* mm 00-59 */
	GS1_LINT_SS,           /* ss 00-59 */
	GS1_LINT_YESNO,        /* 0 or 1 */
	GS1_LINT_ZERO,         /* the digit 0 */
	GS1_LINT_NONZERO,      /* not all zeros */
	GS1_LINT_WINDING,      /* 0, 1 or 9 */
	GS1_LINT_PIECEOFTOTAL, /* ppTT: 1 <= pp <= TT */
	GS1_LINT_HYPHEN,       /* the character '-' */
	GS1_LINT_PCENC,        /* '%' only as %XX */
	GS1_LINT_NOZEROPREFIX, /* no leading 0 unless the value is "0" */
	GS1_LINT_ISO5218,      /* 0, 1, 2 or 9 */
	GS1_LINT_LATITUDE,     /* 10 digits, at most 1800000000 */
	GS1_LINT_LONGITUDE,    /* 10 digits, at most 3600000000 */
	GS1_LINT_POSINSEQSLASH /* "p/n", 1 <= p <= n <= 9 */
};

struct gs1_comp {
	unsigned char cset; /* enum gs1_cset; 0 ends the list */
	unsigned char min;
	unsigned char max;
	unsigned char optional;
	unsigned char lint; /* enum gs1_lint */
};

#define GS1_MAX_COMPS 5

/* Flags of an AI. */
#define GS1_DL_ATTR 0x01 /* may be a Digital Link query attribute */
#define GS1_DL_PKEY 0x02 /* is a Digital Link primary key */

/* One AI or a range of AIs with the same definition ("3100".."3105"). */
struct gs1_ai_def {
	const char *lo;
	const char *hi;
	unsigned char flags;
	const char *dl_quals; /* for primary keys: qualifier sequences "22,10,21|235", or "" */
	const char *title;
	struct gs1_comp comp[GS1_MAX_COMPS];
};

/* The definition of the AI whose digits are AI (N bytes, 2-4), or NULL when unknown. */
const struct gs1_ai_def *gs1_ai_find(const char *ai, size_t n);

/*
 * How many digits an AI has that starts with the two digits at S (2, 3 or 4), from the table;
 * 0 when no AI starts so.
 */
size_t gs1_ai_length(const char *s);

/* True when the AI (NUL-terminated) is of predefined length: needs no separator after it. */
bool gs1_ai_predefined(const char *ai);

/* Shortest and longest value of a definition. */
size_t gs1_ai_min_len(const struct gs1_ai_def *d);
size_t gs1_ai_max_len(const struct gs1_ai_def *d);

/* The number of definitions in the table and the I-th one (for tests). */
size_t gs1_ai_count(void);
const struct gs1_ai_def *gs1_ai_at(size_t i);

/* Character set membership. */
bool gs1_cset82(int c);
bool gs1_cset39(int c);
bool gs1_cset64(int c);

/*
 * Checks VALUE (N bytes) of AI (NUL-terminated) against D: lengths, character sets, check
 * digits, dates. OFF/POSMAP locate the value's bytes in cx->text as for bc_add_ai.
 * Returns 0 or -WMS_BCERR_* (recorded in cx->err).
 */
int gs1_ai_check(struct bc_ctx *cx, const struct gs1_ai_def *d, const char *ai, const char *value,
                 size_t n, size_t off, const size_t *posmap);

/* Days in MONTH (1-12) of YEAR (Gregorian). */
int gs1_days_in_month(int year, int month);

#endif
