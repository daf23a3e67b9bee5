/* The mount and mask ops: mounts the host asks for, in the guest or in a container's root. */
#ifndef KAGE_GUEST_AGENT_MOUNT_OP_H
#define KAGE_GUEST_AGENT_MOUNT_OP_H

#include <stdbool.h>

struct json_object;
struct err;

/*
 * Each checks the request and, when apply is set, carries it out (test mode checks only:
 * on the host it would change the host's own mounts).
 */
int mount_op__mount(struct json_object *req, bool apply, struct err **err);
int mount_op__mask(struct json_object *req, bool apply, struct err **err);

#endif
