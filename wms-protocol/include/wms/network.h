/*
 * wms/network.h - a warehouse network file, turned into the requests that load it.
 *
 * The file is one JSON object: {"tenants":[tenant...], "warehouses":[warehouse...],
 * "items":[item...], "stock":[receipt...]}, every section optional, each element exactly what
 * the op takes (tenant.put's tenant, warehouse.put's warehouse, item.put's item, the fields of
 * stock.receive). Requests come out in load order: tenants, warehouses, items, stock.
 *
 * Stock receipts get an idem_key derived from their position and content, so loading the same
 * file twice receives the stock once (a resend, not a second delivery).
 *
 * Used by `wmsctl load` (over the network) and `wmsd --seed` (in process): one loader for both.
 * Threading: pure. Ownership: the callback borrows each request for the call's duration.
 */
#ifndef WMS_NETWORK_H
#define WMS_NETWORK_H

#include <jansson.h>

#include "wms/errors.h"

/* Called once per request; WHAT names its origin ("warehouses[2]"). Non-zero stops the walk. */
typedef int (*wms_network_fn)(void *arg, json_t *request, const char *what);

/*
 * Walks FILE in load order. Errors: WMS_EBADREQ (not an object), WMS_EUNKNOWNFIELD (a section
 * that is not one of the four), WMS_ETYPE (a section that is not an array), or whatever FN
 * returned.
 */
int wms_network_requests(const json_t *file, wms_network_fn fn, void *arg, struct wms_error *err);

#endif
