/* TEMPORARY shim until the scanners branch lands: GTIN normalisation only. */
#ifndef WMS_BARCODE_H
#define WMS_BARCODE_H
#include <stddef.h>
int wms_gtin_normalize(const char *s, size_t n, char out[15]);
#endif
