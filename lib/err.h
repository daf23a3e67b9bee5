/*
 * The one error contract: a fallible function takes `struct err **err` last, returns a
 * negative value on failure and records a message with context. Callers add context on the
 * way up with err_prefix() and the top level prints it once.
 */
#ifndef KAGE_LIB_ERR_H
#define KAGE_LIB_ERR_H

#include <stdarg.h>

struct err {
	int errnum;	/* errno at the failure, 0 when not a system error */
	char *msg;
};

/* Record "<fmt>" and return -1. A NULL err only discards the message. */
int err_msg(struct err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record "<fmt>: strerror(errno)" and return -1; errno is read before anything can change it. */
int err_errno(struct err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with an explicit error number (for APIs that return -errno). */
int err_code(struct err **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "<fmt>: " to a recorded error; returns -1 so it can end a failure path. */
int err_prefix(struct err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_free(struct err **err);

static inline void cleanup_errp(struct err **e)
{
	err_free(e);
}
#define _cleanup_err_ __attribute__((cleanup(cleanup_errp)))

#endif
