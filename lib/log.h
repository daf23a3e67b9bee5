/*
 * Logging for every part of kage. The runtime verbs honour --log FILE and --log-format json
 * because containerd reports the last {"level":"error","msg":...} line of its log.json.
 */
#ifndef KAGE_LIB_LOG_H
#define KAGE_LIB_LOG_H

#include "err.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_JSON };

/* path NULL: stderr. Returns <0 when the file cannot be opened. */
int log__init(const char *path, enum log_format format, enum log_level level, struct err **err);
void log__set_level(enum log_level level);
enum log_level log__level(void);
void log__write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line, as log__write() would put it but without its time, and safe in a signal handler:
 * no allocation, no lock, one write(2). For a message about to end the process. */
void log__write_signal_safe(enum log_level level, const char *msg);

#define pr_err(...) log__write(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) log__write(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log__write(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)                                     \
	do {                                              \
		if (log__level() >= LOG_DEBUG)            \
			log__write(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
