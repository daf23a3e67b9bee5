/* The error contract (see err.h): messages are built once, at the failure, with context. */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int err_set(struct err **err, int errnum, const char *fmt, va_list ap)
{
	struct err *e;
	char *msg = NULL;

	if (!err)
		return -1;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (errnum) {
		char *full = NULL;

		if (asprintf(&full, "%s: %s", msg ? msg : "error", strerror(errnum)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	/* A second error on one path replaces the first: the latest is closest to the cause. */
	err_free(err);
	e = calloc(1, sizeof(*e));
	if (!e) {
		free(msg);
		return -1;
	}
	e->errnum = errnum;
	e->msg = msg;
	*err = e;
	return -1;
}

int err_msg(struct err **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_set(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct err **err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	err_set(err, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_code(struct err **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	va_start(ap, fmt);
	err_set(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct err **err, const char *fmt, ...)
{
	char *prefix = NULL, *full = NULL;
	va_list ap;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix && asprintf(&full, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "error") >= 0) {
		free((*err)->msg);
		(*err)->msg = full;
	}
	free(prefix);
	return -1;
}

void err_free(struct err **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}
