/*
 * Typed access to request members, each failure a message naming the member, so that every
 * op rejects a missing or mistyped field the same way.
 */
#ifndef KAGE_GUEST_AGENT_REQ_H
#define KAGE_GUEST_AGENT_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct err;

/* Each returns 0 and leaves *out alone when an optional member is absent. */
int req__string(struct json_object *req, const char *key, bool required, const char **out,
		struct err **err);
int req__int(struct json_object *req, const char *key, bool required, int64_t min, int64_t max,
	     int64_t *out, struct err **err);
int req__bool(struct json_object *req, const char *key, bool *out, struct err **err);
/* A NULL-terminated array of the strings (borrowed from req); the caller frees the array. */
int req__strings(struct json_object *req, const char *key, bool required, char ***out,
		 size_t *count, struct err **err);

#endif
