/*
 * tflow.h - a fulfilment flow for tests: released waves picked and packed correctly, shipped,
 * through the engine's ops only (no shortcuts into the store), so later stages can be tested
 * on orders that really went through the earlier ones.
 */
#ifndef WMS_TEST_TFLOW_H
#define WMS_TEST_TFLOW_H

#include "tengine.h"

/* Plans and releases every queued shipment of warehouse WH (max 1000). Returns the waves. */
int tflow_release(struct tengine *t, const char *wh);

/* Picker PICKER picks every released task of WH, scanning correctly. Returns tasks done. */
int tflow_pick_all(struct tengine *t, const char *wh, const char *picker);

/* Packs every picked shipment of the orders TENANT/IDS at STATION. Returns cartons closed. */
int tflow_pack(struct tengine *t, const char *station, const char *tenant, const char *const *ids,
               size_t n);

/* Confirms every packed shipment of TENANT/ID; returns the first tracking number (static
 * buffer) or NULL. */
const char *tflow_ship(struct tengine *t, const char *tenant, const char *id);

#endif
