/* errors.c - names and texts of the WMS_E* codes (see wms/errors.h). */
#include "wms/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	int code;
	const char *name;
	const char *text;
};

static const struct err_row err_rows[] = { { WMS_OK, "ok", "success" },
#define WMS_ERR_ROW(sym, val, name, text) { sym, name, text },
	                                   WMS_ERRORS(WMS_ERR_ROW)
#undef WMS_ERR_ROW
};

static const struct err_row *err_find(int code)
{
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (err_rows[i].code == code)
			return &err_rows[i];
	return NULL;
}

const char *wms_errname(int code)
{
	const struct err_row *r = err_find(code);
	return r ? r->name : "internal";
}

const char *wms_strerror(int code)
{
	const struct err_row *r = err_find(code);
	return r ? r->text : "unknown error code";
}

int wms_errcode(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 1; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (strcmp(err_rows[i].name, name) == 0)
			return err_rows[i].code;
	return 0;
}

int wms_error_set(struct wms_error *err, int code, const char *field, const char *fmt, ...)
{
	if (err == NULL)
		return code;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}
