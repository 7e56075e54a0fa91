/* TEMPORARY shim until the scanners branch lands. */
#include "wms/barcode.h"
#include <string.h>
int wms_gtin_normalize(const char *s, size_t n, char out[15])
{
	if (n != 8 && n != 12 && n != 13 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memset(out, '0', 14);
	memcpy(out + 14 - n, s, n);
	out[14] = 0;
	int sum = 0;
	for (int i = 0; i < 13; i++)
		sum += (out[i] - '0') * ((i % 2) ? 1 : 3);
	return (10 - sum % 10) % 10 == out[13] - '0' ? 0 : -1;
}
