/* network.c - network file to load requests (see wms/network.h). */
#include "wms/network.h"

#include "wms/codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct section {
	const char *name;
	const char *op;
	const char *member; /* NULL: the element's fields are the request's fields */
};

static const struct section sections[] = {
	{ "tenants", "tenant.put", "tenant" },
	{ "warehouses", "warehouse.put", "warehouse" },
	{ "items", "item.put", "item" },
	{ "stock", "stock.receive", NULL },
};

/* FNV-1a: a stable fingerprint of a receipt's content for its idempotency key. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static json_t *make_request(const struct section *sec, json_t *elem, size_t i)
{
	json_t *req;
	if (sec->member) {
		req = json_pack("{s:s, s:O}", "op", sec->op, sec->member, elem);
		return req;
	}
	if (!json_is_object(elem))
		return json_pack("{s:s, s:O}", "op", sec->op, "stock",
		                 elem); /* schema reports it */
	req = json_deep_copy(elem);
	if (req == NULL)
		return NULL;
	json_object_set_new(req, "op", json_string(sec->op));
	if (json_object_get(req, "idem_key") == NULL) {
		char *canon = json_dumps(elem, WMS_JSON_DUMP | JSON_SORT_KEYS);
		char key[64];
		snprintf(key, sizeof(key), "load-%zu-%016llx", i,
		         (unsigned long long)(canon ? fnv1a(canon) : 0));
		free(canon);
		json_object_set_new(req, "idem_key", json_string(key));
	}
	return req;
}

int wms_network_requests(const json_t *file, wms_network_fn fn, void *arg, struct wms_error *err)
{
	if (!json_is_object(file))
		return wms_error_set(err, WMS_EBADREQ, "",
		                     "a network file is one JSON object with tenants, warehouses, "
		                     "items and stock arrays");
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)file, key, val)
	{
		size_t s;
		for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			if (strcmp(sections[s].name, key) == 0)
				break;
		if (s == sizeof(sections) / sizeof(sections[0]))
			return wms_error_set(
			    err, WMS_EUNKNOWNFIELD, key,
			    "unknown section '%.64s' (expected tenants, warehouses, "
			    "items, stock)",
			    key);
		if (!json_is_array(val))
			return wms_error_set(err, WMS_ETYPE, key, "section '%s' must be an array",
			                     key);
	}
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		json_t *arr = json_object_get(file, sections[s].name);
		size_t i;
		json_t *elem;
		json_array_foreach(arr, i, elem)
		{
			char what[64];
			snprintf(what, sizeof(what), "%s[%zu]", sections[s].name, i);
			json_t *req = make_request(&sections[s], elem, i);
			if (req == NULL)
				return wms_error_set(err, WMS_ENOMEM, what, "out of memory");
			int rc = fn(arg, req, what);
			json_decref(req);
			if (rc)
				return rc;
		}
	}
	return 0;
}
