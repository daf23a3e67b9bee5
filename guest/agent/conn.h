/*
 * Control connections: framed JSON requests in, framed responses out. Any number may be open;
 * responses carry the request's id and may come out of order (a wait answers late).
 */
#ifndef KAGE_GUEST_AGENT_CONN_H
#define KAGE_GUEST_AGENT_CONN_H

#include <stdint.h>

struct conn;
struct json_object;

/* Where a response goes; ids are non-negative, NO_ID answers a request that had none. */
#define NO_ID (-1)
struct reply {
	struct conn *conn;	/* NULL: nobody is waiting */
	int64_t id;
};

/* Accepts a control connection from the listening fd. */
void conn__accept(int listen_fd);
/* {"id":..,"ok":true} plus the members of body (may be NULL; ownership is taken). */
void conn__reply(struct reply r, struct json_object *body);
void conn__reply_err(struct reply r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees connections retired since the last call (run between events). */
void conn__collect(void);
/* Shutdown: writes what is queued, blocking up to timeout_ms in all. */
void conn__flush_all(int timeout_ms);

#endif
