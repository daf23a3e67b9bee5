/* Text or JSON log lines to stderr or a file; one write(2) per line so lines never interleave. */
#include "log.h"
#include "io.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

static int log_fd = STDERR_FILENO;
static enum log_format log_fmt = LOG_TEXT;
static enum log_level log_lvl = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int log__init(const char *path, enum log_format format, enum log_level level, struct err **err)
{
	log_fmt = format;
	log_lvl = level;
	if (!path || !*path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return err_errno(err, "open log file '%s'", path);
	log_fd = fd;
	return 0;
}

void log__set_level(enum log_level level)
{
	log_lvl = level;
}

enum log_level log__level(void)
{
	return log_lvl;
}

static void format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

void log__write(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	char msg[4096], when[64];
	va_list ap;

	if (level > log_lvl)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	format_time(when, sizeof(when));

	if (log_fmt == LOG_JSON) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(when));
		const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
		char line[8192];
		int n = snprintf(line, sizeof(line), "%s\n", s);

		io__write_all(log_fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
		json_object_put(o);
	} else {
		char line[4352];
		int n;

		if (log_fd == STDERR_FILENO)
			n = snprintf(line, sizeof(line), "kage: %s%s%s\n",
				     level == LOG_INFO ? "" : level_names[level],
				     level == LOG_INFO ? "" : ": ", msg);
		else
			n = snprintf(line, sizeof(line), "%s %s %s\n", when, level_names[level], msg);
		io__write_all(log_fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	errno = saved;
}

/* Appends s to buf at *len, bounded; quotes and backslashes become '?' for the JSON form. */
static void append(char *buf, size_t size, size_t *len, const char *s, bool json)
{
	for (; *s && *len + 1 < size; s++)
		buf[(*len)++] = json && (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) ? '?' : *s;
	buf[*len] = 0;
}

void log__write_signal_safe(enum log_level level, const char *msg)
{
	char line[1024];
	size_t len = 0;

	if (log_fmt == LOG_JSON) {
		append(line, sizeof(line) - 3, &len, "{\"level\":\"", false);
		append(line, sizeof(line) - 3, &len, level_names[level], false);
		append(line, sizeof(line) - 3, &len, "\",\"msg\":\"", false);
		append(line, sizeof(line) - 3, &len, msg, true);
		append(line, sizeof(line), &len, "\"}", false);
	} else {
		append(line, sizeof(line) - 1, &len, log_fd == STDERR_FILENO ? "kage: " : "- ", false);
		append(line, sizeof(line) - 1, &len, level_names[level], false);
		append(line, sizeof(line) - 1, &len, log_fd == STDERR_FILENO ? ": " : " ", false);
		append(line, sizeof(line) - 1, &len, msg, false);
	}
	line[len++] = '\n';
	io__write_all(log_fd, line, len);
}
