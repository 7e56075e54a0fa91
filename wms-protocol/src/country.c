/*
 * country.c - the officially assigned ISO 3166-1 alpha-2 codes (see wms/country.h).
 *
 * The table is the ISO 3166 Maintenance Agency's list of officially assigned codes: 249 since
 * SS (South Sudan) was added in 2011. Reserved codes (UK, EL, EU, ...) and user-assigned ones
 * (AA, QM-QZ, XA-XZ, ZZ) are not in it: carriers and customs forms do not know them. Keep it
 * sorted: it is searched by bisection.
 */
#include "wms/country.h"

#include <string.h>

static const char codes[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
	"AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
	"BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
	"CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
	"DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
	"GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
	"GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
	"IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
	"KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
	"LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
	"MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
	"NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
	"PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
	"SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
	"SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
	"TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
	"VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

#define N_CODES (sizeof(codes) / sizeof(codes[0]))

/* The table's entry for the two upper-case letters A B, or NULL. */
static const char *find(char a, char b)
{
	size_t lo = 0, hi = N_CODES;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = codes[mid][0] != a ? codes[mid][0] - a : codes[mid][1] - b;
		if (d == 0)
			return codes[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool wms_country_valid(const char *cc)
{
	return cc != NULL && strlen(cc) == 2 && find(cc[0], cc[1]) != NULL;
}

const char *wms_country_instead(const char *cc)
{
	/*
	 * Codes people write for a country that has another: ISO's exceptionally reserved codes
	 * (UK is the United Kingdom's code in DNS and EU usage, EL Greece's; AC, DG, EA, FX, IC, TA
	 * are parts of a country) and withdrawn codes of renamed countries.
	 */
	static const struct {
		char code[3], instead[3];
	} aliases[] = {
		{ "AC", "SH" }, { "BU", "MM" }, { "DG", "IO" }, { "EA", "ES" },
		{ "EL", "GR" }, { "FX", "FR" }, { "IC", "ES" }, { "TA", "SH" },
		{ "TP", "TL" }, { "UK", "GB" }, { "ZR", "CD" },
	};
	if (cc == NULL || strlen(cc) != 2)
		return NULL;
	char a = upper(cc[0]), b = upper(cc[1]);
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (aliases[i].code[0] == a && aliases[i].code[1] == b)
			return find(aliases[i].instead[0], aliases[i].instead[1]);
	/* "us": the code exists, written in lower case. */
	return (a != cc[0] || b != cc[1]) ? find(a, b) : NULL;
}

size_t wms_country_count(void)
{
	return N_CODES;
}

const char *wms_country_at(size_t i)
{
	return i < N_CODES ? codes[i] : NULL;
}
