/* log.c - see log.h. */
#include "log.h"

#include "wms/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int log_level_current = LOG_INFO;

void log_write(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char at[WMS_TIME_BUFSZ], line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: lines from several threads do not interleave. */
	fprintf(stderr, "%s wmsd[%d] %s %s\n", wms_time_format(wms_wall_ms(), at), (int)getpid(),
	        names[level], line);
}
