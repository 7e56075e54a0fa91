/*
 * gs1_ai.c - the GS1 Application Identifier table and value checks (see gs1_ai.h).
 *
 * Written from the GS1 General Specifications (section 3.2, figure 3.2-1 "GS1 Application
 * Identifiers") and the GS1 Barcode Syntax Dictionary, which states the same table in a
 * machine-readable way. When GS1 adds an AI, add a row here: the tests check that the table is
 * sorted, that ranges are sane and that all AIs sharing two first digits have the same length.
 */
#include "gs1_ai.h"

#include "bc_private.h"

#include <stdio.h>
#include <string.h>

/*
 * Components: N digits, X CSET 82, Y CSET 39, Z CSET 64; V variable (1..n); O optional.
 * (Formatting is off for the macros: braced lists read best one per line.)
 */
// clang-format off
#define N(n, l)   {GS1_CSET_N, n, n, 0, GS1_LINT_##l}
#define NV(n, l)  {GS1_CSET_N, 1, n, 0, GS1_LINT_##l}
#define NO(n, l)  {GS1_CSET_N, n, n, 1, GS1_LINT_##l}
#define NVO(n, l) {GS1_CSET_N, 1, n, 1, GS1_LINT_##l}
#define X(n, l)   {GS1_CSET_X, n, n, 0, GS1_LINT_##l}
#define XV(n, l)  {GS1_CSET_X, 1, n, 0, GS1_LINT_##l}
#define XO(n, l)  {GS1_CSET_X, n, n, 1, GS1_LINT_##l}
#define XVO(n, l) {GS1_CSET_X, 1, n, 1, GS1_LINT_##l}
#define YV(n, l)  {GS1_CSET_Y, 1, n, 0, GS1_LINT_##l}
#define ZV(n, l)  {GS1_CSET_Z, 1, n, 0, GS1_LINT_##l}

/* Flags: A may be a Digital Link attribute, K is a Digital Link primary key. */
#define A GS1_DL_ATTR
#define K GS1_DL_PKEY

#define ROW(lo, hi, flags, quals, title, ...) {lo, hi, flags, quals, title, {__VA_ARGS__}}
#define AI1(ai, flags, title, ...)            ROW(ai, ai, flags, "", title, __VA_ARGS__)
#define KEY(ai, quals, title, ...)            ROW(ai, ai, A | K, quals, title, __VA_ARGS__)
#define MEASURE(lo, hi, title)                ROW(lo, hi, A, "", title, N(6, NONE))
// clang-format on

/* Sorted by AI as strings; each range covers AIs of one length. */
static const struct gs1_ai_def ai_table[] = {
	KEY("00", "", "SSCC", N(18, CSUM)),
	KEY("01", "22,10,21|235", "GTIN", N(14, CSUM)),
	AI1("02", A, "CONTENT", N(14, CSUM)),
	AI1("03", 0, "MTO GTIN", N(14, CSUM)),
	AI1("10", A, "BATCH/LOT", XV(20, NONE)),
	AI1("11", A, "PROD DATE", N(6, YYMMD0)),
	AI1("12", A, "DUE DATE", N(6, YYMMD0)),
	AI1("13", A, "PACK DATE", N(6, YYMMD0)),
	AI1("15", A, "BEST BEFORE or BEST BY", N(6, YYMMD0)),
	AI1("16", A, "SELL BY", N(6, YYMMD0)),
	AI1("17", A, "USE BY or EXPIRY", N(6, YYMMD0)),
	AI1("20", A, "VARIANT", N(2, NONE)),
	AI1("21", 0, "SERIAL", XV(20, NONE)),
	AI1("22", 0, "CPV", XV(20, NONE)),
	AI1("235", 0, "TPX", XV(28, NONE)),
	AI1("240", A, "ADDITIONAL ID", XV(30, NONE)),
	AI1("241", A, "CUST. PART No.", XV(30, NONE)),
	AI1("242", A, "MTO VARIANT", NV(6, NONE)),
	AI1("243", A, "PCN", XV(20, NONE)),
	AI1("250", A, "SECONDARY SERIAL", XV(30, NONE)),
	AI1("251", A, "REF. TO SOURCE", XV(30, NONE)),
	KEY("253", "", "GDTI", N(13, CSUM), XVO(17, NONE)),
	AI1("254", 0, "GLN EXTENSION COMPONENT", XV(20, NONE)),
	KEY("255", "", "GCN", N(13, CSUM), NVO(12, NONE)),
	AI1("30", A, "VAR. COUNT", NV(8, NONE)),
	MEASURE("3100", "3105", "NET WEIGHT (kg)"),
	MEASURE("3110", "3115", "LENGTH (m)"),
	MEASURE("3120", "3125", "WIDTH (m)"),
	MEASURE("3130", "3135", "HEIGHT (m)"),
	MEASURE("3140", "3145", "AREA (m2)"),
	MEASURE("3150", "3155", "NET VOLUME (l)"),
	MEASURE("3160", "3165", "NET VOLUME (m3)"),
	MEASURE("3200", "3205", "NET WEIGHT (lb)"),
	MEASURE("3210", "3215", "LENGTH (in)"),
	MEASURE("3220", "3225", "LENGTH (ft)"),
	MEASURE("3230", "3235", "LENGTH (yd)"),
	MEASURE("3240", "3245", "WIDTH (in)"),
	MEASURE("3250", "3255", "WIDTH (ft)"),
	MEASURE("3260", "3265", "WIDTH (yd)"),
	MEASURE("3270", "3275", "HEIGHT (in)"),
	MEASURE("3280", "3285", "HEIGHT (ft)"),
	MEASURE("3290", "3295", "HEIGHT (yd)"),
	MEASURE("3300", "3305", "GROSS WEIGHT (kg)"),
	MEASURE("3310", "3315", "LENGTH (m), log"),
	MEASURE("3320", "3325", "WIDTH (m), log"),
	MEASURE("3330", "3335", "HEIGHT (m), log"),
	MEASURE("3340", "3345", "AREA (m2), log"),
	MEASURE("3350", "3355", "VOLUME (l), log"),
	MEASURE("3360", "3365", "VOLUME (m3), log"),
	MEASURE("3370", "3375", "KG PER m2"),
	MEASURE("3400", "3405", "GROSS WEIGHT (lb)"),
	MEASURE("3410", "3415", "LENGTH (in), log"),
	MEASURE("3420", "3425", "LENGTH (ft), log"),
	MEASURE("3430", "3435", "LENGTH (yd), log"),
	MEASURE("3440", "3445", "WIDTH (in), log"),
	MEASURE("3450", "3455", "WIDTH (ft), log"),
	MEASURE("3460", "3465", "WIDTH (yd), log"),
	MEASURE("3470", "3475", "HEIGHT (in), log"),
	MEASURE("3480", "3485", "HEIGHT (ft), log"),
	MEASURE("3490", "3495", "HEIGHT (yd), log"),
	MEASURE("3500", "3505", "AREA (in2)"),
	MEASURE("3510", "3515", "AREA (ft2)"),
	MEASURE("3520", "3525", "AREA (yd2)"),
	MEASURE("3530", "3535", "AREA (in2), log"),
	MEASURE("3540", "3545", "AREA (ft2), log"),
	MEASURE("3550", "3555", "AREA (yd2), log"),
	MEASURE("3560", "3565", "NET WEIGHT (tr oz)"),
	MEASURE("3570", "3575", "NET VOLUME (oz)"),
	MEASURE("3600", "3605", "NET VOLUME (qt)"),
	MEASURE("3610", "3615", "NET VOLUME (gal.)"),
	MEASURE("3620", "3625", "VOLUME (qt), log"),
	MEASURE("3630", "3635", "VOLUME (gal.), log"),
	MEASURE("3640", "3645", "VOLUME (in3)"),
	MEASURE("3650", "3655", "VOLUME (ft3)"),
	MEASURE("3660", "3665", "VOLUME (yd3)"),
	MEASURE("3670", "3675", "VOLUME (in3), log"),
	MEASURE("3680", "3685", "VOLUME (ft3), log"),
	MEASURE("3690", "3695", "VOLUME (yd3), log"),
	AI1("37", A, "COUNT", NV(8, NONE)),
	ROW("3900", "3909", A, "", "AMOUNT", NV(15, NONE)),
	ROW("3910", "3919", A, "", "AMOUNT", N(3, NONE), NV(15, NONE)),
	ROW("3920", "3929", A, "", "PRICE", NV(15, NONE)),
	ROW("3930", "3939", A, "", "PRICE", N(3, NONE), NV(15, NONE)),
	ROW("3940", "3943", A, "", "PRCNT OFF", N(4, NONE)),
	ROW("3950", "3955", A, "", "PRICE/UoM", N(6, NONE)),
	AI1("400", A, "ORDER NUMBER", XV(30, NONE)),
	KEY("401", "", "GINC", XV(30, NONE)),
	KEY("402", "", "GSIN", N(17, CSUM)),
	AI1("403", A, "ROUTE", XV(30, NONE)),
	AI1("410", A, "SHIP TO LOC", N(13, CSUM)),
	AI1("411", A, "BILL TO", N(13, CSUM)),
	AI1("412", A, "PURCHASE FROM", N(13, CSUM)),
	AI1("413", A, "SHIP FOR LOC", N(13, CSUM)),
	KEY("414", "254|7040", "LOC No.", N(13, CSUM)),
	KEY("415", "8020", "PAY TO", N(13, CSUM)),
	AI1("416", A, "PROD/SERV LOC", N(13, CSUM)),
	KEY("417", "7040", "PARTY", N(13, CSUM)),
	AI1("420", A, "SHIP TO POST", XV(20, NONE)),
	AI1("421", A, "SHIP TO POST", N(3, NONE), XV(9, NONE)),
	AI1("422", A, "ORIGIN", N(3, NONE)),
	AI1("423", A, "COUNTRY - INITIAL PROCESS", N(3, NONE), NO(3, NONE), NO(3, NONE),
	    NO(3, NONE), NO(3, NONE)),
	AI1("424", A, "COUNTRY - PROCESS", N(3, NONE)),
	AI1("425", A, "COUNTRY - DISASSEMBLY", N(3, NONE), NO(3, NONE), NO(3, NONE), NO(3, NONE),
	    NO(3, NONE)),
	AI1("426", A, "COUNTRY - FULL PROCESS", N(3, NONE)),
	AI1("427", A, "ORIGIN SUBDIVISION", XV(3, NONE)),
	AI1("4300", A, "SHIP TO COMP", XV(35, PCENC)),
	AI1("4301", A, "SHIP TO NAME", XV(35, PCENC)),
	AI1("4302", A, "SHIP TO ADD1", XV(70, PCENC)),
	AI1("4303", A, "SHIP TO ADD2", XV(70, PCENC)),
	AI1("4304", A, "SHIP TO SUB", XV(70, PCENC)),
	AI1("4305", A, "SHIP TO LOC", XV(70, PCENC)),
	AI1("4306", A, "SHIP TO REG", XV(70, PCENC)),
	AI1("4307", A, "SHIP TO COUNTRY", X(2, NONE)),
	AI1("4308", A, "SHIP TO PHONE", XV(30, NONE)),
	AI1("4309", A, "SHIP TO GEO", N(10, LATITUDE), N(10, LONGITUDE)),
	AI1("4310", A, "RTN TO COMP", XV(35, PCENC)),
	AI1("4311", A, "RTN TO NAME", XV(35, PCENC)),
	AI1("4312", A, "RTN TO ADD1", XV(70, PCENC)),
	AI1("4313", A, "RTN TO ADD2", XV(70, PCENC)),
	AI1("4314", A, "RTN TO SUB", XV(70, PCENC)),
	AI1("4315", A, "RTN TO LOC", XV(70, PCENC)),
	AI1("4316", A, "RTN TO REG", XV(70, PCENC)),
	AI1("4317", A, "RTN TO COUNTRY", X(2, NONE)),
	AI1("4318", A, "RTN TO POST", XV(20, NONE)),
	AI1("4319", A, "RTN TO PHONE", XV(30, NONE)),
	AI1("4320", A, "SRV DESCRIPTION", XV(35, PCENC)),
	AI1("4321", A, "DANGEROUS GOODS", N(1, YESNO)),
	AI1("4322", A, "AUTH TO LEAVE", N(1, YESNO)),
	AI1("4323", A, "SIG REQUIRED", N(1, YESNO)),
	AI1("4324", A, "NOT BEF DEL DT", N(6, YYMMD0), N(4, HHMI)),
	AI1("4325", A, "NOT AFT DEL DT", N(6, YYMMD0), N(4, HHMI)),
	AI1("4326", A, "REL DATE", N(6, YYMMDD)),
	AI1("4330", A, "MAX TEMP F.", N(6, NONE), XO(1, HYPHEN)),
	AI1("4331", A, "MAX TEMP C.", N(6, NONE), XO(1, HYPHEN)),
	AI1("4332", A, "MIN TEMP F.", N(6, NONE), XO(1, HYPHEN)),
	AI1("4333", A, "MIN TEMP C.", N(6, NONE), XO(1, HYPHEN)),
	AI1("7001", A, "NSN", N(13, NONE)),
	AI1("7002", A, "MEAT CUT", XV(30, NONE)),
	AI1("7003", A, "EXPIRY TIME", N(6, YYMMDD), N(4, HHMI)),
	AI1("7004", A, "ACTIVE POTENCY", NV(4, NONE)),
	AI1("7005", A, "CATCH AREA", XV(12, NONE)),
	AI1("7006", A, "FIRST FREEZE DATE", N(6, YYMMDD)),
	AI1("7007", A, "HARVEST DATE", N(6, YYMMDD), NO(6, YYMMDD)),
	AI1("7008", A, "AQUATIC SPECIES", XV(3, NONE)),
	AI1("7009", A, "FISHING GEAR TYPE", XV(10, NONE)),
	AI1("7010", A, "PROD METHOD", XV(2, NONE)),
	AI1("7011", A, "TEST BY DATE", N(6, YYMMDD), NO(4, HHMI)),
	AI1("7020", A, "REFURB LOT", XV(20, NONE)),
	AI1("7021", A, "FUNC STAT", XV(20, NONE)),
	AI1("7022", A, "REV STAT", XV(20, NONE)),
	AI1("7023", A, "GIAI - ASSEMBLY", XV(30, NONE)),
	ROW("7030", "7039", A, "", "PROCESSOR # s", N(3, NONE), XV(27, NONE)),
	AI1("7040", 0, "UIC+EXT", N(1, NONE), X(1, NONE), X(1, NONE), X(1, NONE)),
	AI1("7041", 0, "UFRGT UNIT TYPE", XV(4, NONE)),
	AI1("710", A, "NHRN PZN", XV(20, NONE)),
	AI1("711", A, "NHRN CIP", XV(20, NONE)),
	AI1("712", A, "NHRN CN", XV(20, NONE)),
	AI1("713", A, "NHRN DRN", XV(20, NONE)),
	AI1("714", A, "NHRN AIM", XV(20, NONE)),
	AI1("715", A, "NHRN NDC", XV(20, NONE)),
	AI1("716", A, "NHRN AIC", XV(20, NONE)),
	AI1("717", A, "NHRN SRN", XV(20, NONE)),
	ROW("7230", "7239", A, "", "CERT # s", X(2, NONE), XV(28, NONE)),
	AI1("7240", A, "PROTOCOL", XV(20, NONE)),
	AI1("7241", A, "AIDC MEDIA TYPE", N(2, NONE)),
	AI1("7242", A, "VCN", XV(25, NONE)),
	AI1("7250", A, "DOB", N(8, YYYYMMDD)),
	AI1("7251", A, "DOB TIME", N(8, YYYYMMDD), N(4, HHMI)),
	AI1("7252", A, "BIO SEX", N(1, ISO5218)),
	AI1("7253", A, "FAMILY NAME", XV(40, PCENC)),
	AI1("7254", A, "GIVEN NAME", XV(40, PCENC)),
	AI1("7255", A, "SUFFIX", XV(10, NONE)),
	AI1("7256", A, "FULL NAME", XV(90, PCENC)),
	AI1("7257", A, "PERSON ADDR", XV(70, PCENC)),
	AI1("7258", A, "BIRTH SEQUENCE", X(3, POSINSEQSLASH)),
	AI1("7259", A, "BABY", XV(40, PCENC)),
	AI1("8001", A, "DIMENSIONS", N(4, NONZERO), N(5, NONZERO), N(3, NONZERO), N(1, WINDING),
	    N(1, NONE)),
	AI1("8002", A, "CMT No.", XV(20, NONE)),
	KEY("8003", "", "GRAI", N(1, ZERO), N(13, CSUM), XVO(16, NONE)),
	KEY("8004", "7040", "GIAI", XV(30, NONE)),
	AI1("8005", A, "PRICE PER UNIT", N(6, NONE)),
	KEY("8006", "22,10,21", "ITIP", N(14, CSUM), N(4, PIECEOFTOTAL)),
	AI1("8007", A, "IBAN", XV(34, NONE)),
	AI1("8008", A, "PROD TIME", N(6, YYMMDD), N(2, HH), NO(2, MI), NO(2, SS)),
	AI1("8009", A, "OPTSEN", XV(50, NONE)),
	KEY("8010", "8011", "CPID", YV(30, NONE)),
	AI1("8011", 0, "CPID SERIAL", NV(12, NOZEROPREFIX)),
	AI1("8012", A, "VERSION", XV(20, NONE)),
	KEY("8013", "", "GMN", XV(25, NONE)),
	AI1("8014", 0, "MUDI", XV(25, NONE)),
	KEY("8017", "8019", "GSRN - PROVIDER", N(18, CSUM)),
	KEY("8018", "8019", "GSRN - RECIPIENT", N(18, CSUM)),
	AI1("8019", 0, "SRIN", NV(10, NONE)),
	AI1("8020", 0, "REF No.", XV(25, NONE)),
	AI1("8026", A, "ITIP CONTENT", N(14, CSUM), N(4, PIECEOFTOTAL)),
	AI1("8030", A, "DIGSIG", ZV(90, NONE)),
	AI1("8040", 0, "IMEI", N(15, NONE)),
	AI1("8041", 0, "IMEI2", N(15, NONE)),
	AI1("8042", 0, "ESIM", N(32, NONE)),
	AI1("8043", 0, "PSIM", N(18, NONE), NVO(2, NONE)),
	AI1("8110", A, "COUPON CODE", XV(70, NONE)),
	AI1("8111", A, "POINTS", N(4, NONE)),
	AI1("8112", A, "COUPON POS OFFER", XV(70, NONE)),
	AI1("8200", 0, "PRODUCT URL", XV(70, NONE)),
	AI1("90", A, "INTERNAL", XV(30, NONE)),
	ROW("91", "99", A, "", "INTERNAL", XV(90, NONE)),
};

#define AI_COUNT (sizeof(ai_table) / sizeof(ai_table[0]))

size_t gs1_ai_count(void)
{
	return AI_COUNT;
}

const struct gs1_ai_def *gs1_ai_at(size_t i)
{
	return i < AI_COUNT ? &ai_table[i] : NULL;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

const struct gs1_ai_def *gs1_ai_find(const char *ai, size_t n)
{
	if (n < 2 || n > 4 || !all_digits(ai, n))
		return NULL;
	/* Same-length digit strings compare like numbers, so a range test is two memcmps. */
	for (size_t i = 0; i < AI_COUNT; i++) {
		const struct gs1_ai_def *d = &ai_table[i];
		if (strlen(d->lo) == n && memcmp(d->lo, ai, n) <= 0 && memcmp(ai, d->hi, n) <= 0)
			return d;
	}
	return NULL;
}

size_t gs1_ai_length(const char *s)
{
	if (!all_digits(s, 2))
		return 0;
	for (size_t i = 0; i < AI_COUNT; i++) {
		const struct gs1_ai_def *d = &ai_table[i];
		/* A range such as 91-99 covers prefixes between its ends. */
		if (strlen(d->lo) == 2) {
			if (memcmp(d->lo, s, 2) <= 0 && memcmp(s, d->hi, 2) <= 0)
				return 2;
		} else if (memcmp(d->lo, s, 2) == 0) {
			return strlen(d->lo);
		}
	}
	return 0;
}

bool gs1_ai_predefined(const char *ai)
{
	/*
	 * GS1 General Specifications figure 7.8.5-2: element strings whose AI starts with these
	 * two digits have a predefined length and never take a separator. The table is fixed by
	 * the standard (it includes prefixes with no AI assigned yet, 04 and 14 for example) so
	 * that decoders built today still split data correctly in the future.
	 */
	static const char prefixes[][3] = { "00", "01", "02", "03", "04", "11", "12", "13",
		                            "14", "15", "16", "17", "18", "19", "20", "31",
		                            "32", "33", "34", "35", "36", "41" };
	if (ai == NULL || strlen(ai) < 2)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (ai[0] == prefixes[i][0] && ai[1] == prefixes[i][1])
			return true;
	return false;
}

size_t gs1_ai_min_len(const struct gs1_ai_def *d)
{
	size_t n = 0;
	for (int k = 0; k < GS1_MAX_COMPS && d->comp[k].cset; k++)
		if (!d->comp[k].optional)
			n += d->comp[k].min;
	return n;
}

size_t gs1_ai_max_len(const struct gs1_ai_def *d)
{
	size_t n = 0;
	for (int k = 0; k < GS1_MAX_COMPS && d->comp[k].cset; k++)
		n += d->comp[k].max;
	return n;
}

bool gs1_cset82(int c)
{
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

bool gs1_cset39(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '#' || c == '-' || c == '/';
}

bool gs1_cset64(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '-' || c == '_' || c == '=';
}

int gs1_days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static const char *cset_name(int cset)
{
	switch (cset) {
	case GS1_CSET_N:
		return "digits";
	case GS1_CSET_X:
		return "CSET 82";
	case GS1_CSET_Y:
		return "CSET 39";
	default:
		return "CSET 64";
	}
}

static bool in_cset(int cset, int c)
{
	switch (cset) {
	case GS1_CSET_N:
		return c >= '0' && c <= '9';
	case GS1_CSET_X:
		return gs1_cset82(c);
	case GS1_CSET_Y:
		return gs1_cset39(c);
	default:
		return gs1_cset64(c);
	}
}

/* The state of one value check, so that helpers can report with positions. */
struct vcheck {
	struct bc_ctx *cx;
	const char *ai;
	const char *value;
	size_t n;
	size_t off;
	const size_t *posmap;
	char q[80]; /* the quoted value */
};

static size_t vpos(const struct vcheck *v, size_t i)
{
	if (v->posmap != NULL && v->n > 0)
		return v->posmap[i < v->n ? i : v->n - 1];
	return v->off + i;
}

/* A date YYMMDD at S; DD=00 allowed when D0. The century does not matter but for Feb 29: see
 * wms/barcode.h, 2000 + YY is used. */
static int check_yymmdd(struct vcheck *v, const char *s, size_t at, bool d0)
{
	int mm = num(s + 2, 2), dd = num(s + 4, 2), year = 2000 + num(s, 2);
	if (mm < 1 || mm > 12)
		return bc_fail(v->cx, WMS_BCERR_BAD_DATE, vpos(v, at + 2), v->ai,
		               "AI (%s) value %s: month %02d does not exist", v->ai, v->q, mm);
	if (dd == 0 && d0)
		return 0;
	if (dd < 1 || dd > gs1_days_in_month(year, mm))
		return bc_fail(v->cx, WMS_BCERR_BAD_DATE, vpos(v, at + 4), v->ai,
		               "AI (%s) value %s: day %02d does not exist in %04d-%02d%s", v->ai,
		               v->q, dd, year, mm, dd == 0 ? " (DD=00 is not allowed here)" : "");
	return 0;
}

static int check_time(struct vcheck *v, const char *s, size_t at, int limit, const char *what)
{
	int x = num(s, 2);
	if (x > limit)
		return bc_fail(v->cx, WMS_BCERR_BAD_DATE, vpos(v, at), v->ai,
		               "AI (%s) value %s: %s %02d does not exist", v->ai, v->q, what, x);
	return 0;
}

static int lint_fail(struct vcheck *v, size_t at, const char *why)
{
	return bc_fail(v->cx, WMS_BCERR_BAD_FORMAT, vpos(v, at), v->ai, "AI (%s) value %s: %s",
	               v->ai, v->q, why);
}

static int run_lint(struct vcheck *v, int lint, size_t at, size_t len)
{
	const char *s = v->value + at;
	switch (lint) {
	case GS1_LINT_CSUM: {
		int want = wms_gtin_check_digit(s, len - 1);
		if (want < 0)
			return lint_fail(v, at, "cannot compute its check digit");
		if (s[len - 1] - '0' != want)
			return bc_fail(v->cx, WMS_BCERR_CHECK_DIGIT, vpos(v, at + len - 1), v->ai,
			               "AI (%s) value %s: check digit is %c, expected %d", v->ai,
			               v->q, s[len - 1], want);
		return 0;
	}
	case GS1_LINT_YYMMD0:
		return check_yymmdd(v, s, at, true);
	case GS1_LINT_YYMMDD:
		return check_yymmdd(v, s, at, false);
	case GS1_LINT_YYYYMMDD: {
		int year = num(s, 4), mm = num(s + 4, 2), dd = num(s + 6, 2);
		if (mm < 1 || mm > 12)
			return bc_fail(v->cx, WMS_BCERR_BAD_DATE, vpos(v, at + 4), v->ai,
			               "AI (%s) value %s: month %02d does not exist", v->ai, v->q,
			               mm);
		if (dd < 1 || dd > gs1_days_in_month(year, mm))
			return bc_fail(v->cx, WMS_BCERR_BAD_DATE, vpos(v, at + 6), v->ai,
			               "AI (%s) value %s: day %02d does not exist in %04d-%02d",
			               v->ai, v->q, dd, year, mm);
		return 0;
	}
	case GS1_LINT_HHMI: {
		int rc = check_time(v, s, at, 23, "hour");
		return rc ? rc : check_time(v, s + 2, at + 2, 59, "minute");
	}
	case GS1_LINT_HH:
		return check_time(v, s, at, 23, "hour");
	case GS1_LINT_MI:
		return check_time(v, s, at, 59, "minute");
	case GS1_LINT_SS:
		return check_time(v, s, at, 59, "second");
	case GS1_LINT_YESNO:
		return s[0] == '0' || s[0] == '1' ? 0 : lint_fail(v, at, "flag must be 0 or 1");
	case GS1_LINT_ZERO:
		return s[0] == '0' ? 0 : lint_fail(v, at, "first digit must be 0");
	case GS1_LINT_NONZERO:
		for (size_t i = 0; i < len; i++)
			if (s[i] != '0')
				return 0;
		return lint_fail(v, at, "a dimension is zero");
	case GS1_LINT_WINDING:
		return s[0] == '0' || s[0] == '1' || s[0] == '9'
		           ? 0
		           : lint_fail(v, at, "winding direction must be 0, 1 or 9");
	case GS1_LINT_PIECEOFTOTAL: {
		int piece = num(s, 2), total = num(s + 2, 2);
		if (piece < 1 || total < 1 || piece > total)
			return lint_fail(v, at, "piece number must be 1 to the total count");
		return 0;
	}
	case GS1_LINT_HYPHEN:
		return s[0] == '-' ? 0 : lint_fail(v, at, "sign must be '-'");
	case GS1_LINT_PCENC:
		for (size_t i = 0; i < len; i++) {
			if (s[i] != '%')
				continue;
			if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return lint_fail(v, at + i, "'%' must start a %XX escape");
			i += 2;
		}
		return 0;
	case GS1_LINT_NOZEROPREFIX:
		return len > 1 && s[0] == '0' ? lint_fail(v, at, "must not start with 0") : 0;
	case GS1_LINT_ISO5218:
		return strchr("0129", s[0]) ? 0 : lint_fail(v, at, "sex code must be 0, 1, 2 or 9");
	case GS1_LINT_LATITUDE:
		return memcmp(s, "1800000000", 10) <= 0 ? 0
		                                        : lint_fail(v, at, "latitude out of range");
	case GS1_LINT_LONGITUDE:
		return memcmp(s, "3600000000", 10) <= 0
		           ? 0
		           : lint_fail(v, at, "longitude out of range");
	case GS1_LINT_POSINSEQSLASH:
		if (s[0] >= '1' && s[0] <= '9' && s[1] == '/' && s[2] >= '1' && s[2] <= '9' &&
		    s[0] <= s[2])
			return 0;
		return lint_fail(v, at, "birth sequence must be p/n with 1 <= p <= n <= 9");
	default:
		return 0;
	}
}

static void length_words(const struct gs1_ai_def *d, char *buf, size_t cap)
{
	size_t lo = gs1_ai_min_len(d), hi = gs1_ai_max_len(d);
	if (lo == hi)
		snprintf(buf, cap, "exactly %zu", lo);
	else
		snprintf(buf, cap, "%zu to %zu", lo, hi);
}

int gs1_ai_check(struct bc_ctx *cx, const struct gs1_ai_def *d, const char *ai, const char *value,
                 size_t n, size_t off, const size_t *posmap)
{
	struct vcheck v = { cx, ai, value, n, off, posmap, "" };
	char words[32];
	size_t at = 0;

	bc_quote(v.q, sizeof(v.q), value, n);
	if (n == 0)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, off, ai, "AI (%s) %s has an empty value",
		               ai, d->title);
	if (n < gs1_ai_min_len(d) || n > gs1_ai_max_len(d)) {
		length_words(d, words, sizeof(words));
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, vpos(&v, 0), ai,
		               "AI (%s) %s value %s has %zu characters; it takes %s", ai, d->title,
		               v.q, n, words);
	}
	for (int k = 0; k < GS1_MAX_COMPS && d->comp[k].cset; k++) {
		const struct gs1_comp *c = &d->comp[k];
		size_t rem = n - at, take;
		if (rem == 0 && c->optional)
			break;
		take = rem < c->max ? rem : c->max;
		if (take < c->min) {
			length_words(d, words, sizeof(words));
			return bc_fail(cx, WMS_BCERR_BAD_LENGTH, vpos(&v, at), ai,
			               "AI (%s) %s value %s: part %d needs %u characters, %zu left",
			               ai, d->title, v.q, k + 1, c->min, rem);
		}
		for (size_t i = at; i < at + take; i++) {
			if (!in_cset(c->cset, (unsigned char)value[i])) {
				char ch[8];
				return bc_fail(cx, WMS_BCERR_BAD_CHARSET, vpos(&v, i), ai,
				               "AI (%s) %s value %s: %s is not allowed (%s only)",
				               ai, d->title, v.q,
				               bc_char(ch, (unsigned char)value[i]),
				               cset_name(c->cset));
			}
		}
		int rc = run_lint(&v, c->lint, at, take);
		if (rc)
			return rc;
		at += take;
	}
	if (at < n)
		return bc_fail(cx, WMS_BCERR_BAD_LENGTH, vpos(&v, at), ai,
		               "AI (%s) %s value %s has %zu characters left over", ai, d->title,
		               v.q, n - at);
	return 0;
}
