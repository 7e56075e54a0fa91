/*
 * wms/country.h - ISO 3166-1 alpha-2 country codes: the ship-to country of an order.
 *
 * A code is valid when it is one of the 249 officially assigned codes, written in upper case
 * ("DE", "GB", "US"). Reserved codes ("UK", "EU", "EL"), user-assigned codes ("AA", "QQ",
 * "XX", "XK") and lower case ("us") are not. Constant tables only: thread-safe, nothing is
 * allocated; returned strings are static.
 */
#ifndef WMS_COUNTRY_H
#define WMS_COUNTRY_H

#include <stdbool.h>
#include <stddef.h>

/* Whether CC (NUL-terminated, may be NULL) is an officially assigned alpha-2 code. */
bool wms_country_valid(const char *cc);

/*
 * For a CC that is not valid, the valid code its writer most likely meant, for a message: "GB"
 * for "UK", "GR" for "EL", "US" for "us"; NULL when there is no such guess (or CC is valid).
 */
const char *wms_country_instead(const char *cc);

/* The number of codes, and the I-th in sorted order (NULL past the end): for tests. */
size_t wms_country_count(void);
const char *wms_country_at(size_t i);

#endif
