/*
 * carrier.h - a warehouse's carrier options: when a parcel handed over at a given time leaves
 * and arrives, which option keeps a promise at the lowest cost, and tracking numbers.
 *
 * An option is one entry of the warehouse's "carriers" (carrier, service, local cutoff "HH:MM"
 * on its days, transit_days, cost). A parcel ready at READY leaves with the option's first
 * cutoff at or after READY (warehouse time zone) and is delivered by the end of the local day
 * transit_days later (cal.h).
 *
 * Choice (deterministic): options that deliver by the promise beat those that do not; among
 * those the lowest cost, then the earliest delivery; when none keeps the promise, the earliest
 * delivery, then the lowest cost; then the order of the warehouse's list.
 *
 * Tracking numbers are unique per carrier (a counter per carrier in the store) and shaped like
 * the carrier's own: UPS "1Z" + 6-character account + 2-digit service + 7-digit serial + check
 * digit (UPS's mod-10 over the characters after "1Z"); FedEx 12 digits ending in a mod-11
 * style check; USPS 22 digits "9400 1..." with the GS1 mod-10 check; DHL 10 digits with a
 * mod-7 check; any other carrier its name in capitals + 10 digits.
 */
#ifndef WMS_CARRIER_H
#define WMS_CARRIER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"

struct carrier_option {
	const char *carrier, *service; /* borrowed from the warehouse document */
	int64_t cutoff, delivery_by;
	double cost;
	bool on_time;
	int transit_days;
};

/*
 * The best option of warehouse WH for a parcel ready at READY and promised by PROMISED_BY,
 * limited to SERVICE and CARRIER when not NULL. Returns 0 with *OUT filled, WMS_ENOTFOUND when
 * no option applies, WMS_ETZ when the warehouse's zone is not on this system.
 */
int carrier_best(const json_t *wh, const char *service, const char *carrier, int64_t ready,
                 int64_t promised_by, struct carrier_option *out);

/* The option (CARRIER, SERVICE) of WH for a parcel ready at READY (no choice involved). */
int carrier_option(const json_t *wh, const char *carrier, const char *service, int64_t ready,
                   struct carrier_option *out);

/* Writes a new tracking number of CARRIER (unique, from the store's counter) into BUF[40]. */
int carrier_tracking(struct cmd_ctx *c, const char *carrier, char buf[40]);

#endif
