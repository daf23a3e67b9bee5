/* The mknod op: device nodes, fifos and the default /dev of a container's root. */
#ifndef KAGE_GUEST_AGENT_CONTAINER_DEVICES_H
#define KAGE_GUEST_AGENT_CONTAINER_DEVICES_H

#include <stdbool.h>

struct json_object;
struct err;

/* Checks the request and, when apply is set, creates the node(s). */
int devices__mknod(struct json_object *req, bool apply, struct err **err);

#endif
