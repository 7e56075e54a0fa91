/*
 * log.h - the one logging macro of the daemon side.
 *
 * LOG(level, fmt, ...) writes "2026-11-23T15:04:05.123Z wmsd[pid] LEVEL message" to stderr.
 * The level is checked before the arguments are evaluated, so a debug line costs nothing when
 * debug is off. Libraries (the engine's domain modules) do not log: they return codes; the
 * daemon and the server log.
 */
#ifndef WMS_LOG_H
#define WMS_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level_current;

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG(level, ...)                                                                            \
	do {                                                                                       \
		if ((int)(level) <= log_level_current)                                             \
			log_write((level), __VA_ARGS__);                                           \
	} while (0)

#endif
