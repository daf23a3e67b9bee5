/* The mount op: mounts the host asks for, in the guest or in a container's root; and the
 * masked and read-only paths a container's init applies in its own mount namespace. */
#ifndef KAGE_GUEST_AGENT_MOUNT_MOUNT_OP_H
#define KAGE_GUEST_AGENT_MOUNT_MOUNT_OP_H

#include <stdbool.h>

struct json_object;
struct err;

/*
 * Each checks the request and, when apply is set, carries it out (test mode checks only:
 * on the host it would change the host's own mounts).
 */
int mount_op__mount(struct json_object *req, bool apply, struct err **err);
/* unmount_op.c: {"target": path}: every mount at or under path goes, newest first. */
int mount_op__unmount(struct json_object *req, bool apply, struct err **err);

/* Each path absolute, without "..": the checks resolve__open applies (key names them). */
int mount_op__check_paths(char **paths, const char *key, struct err **err);
/* Masks (an empty read-only tmpfs, or /dev/null) and read-only binds over paths in root_fd;
 * a path that does not exist is skipped. NULL lists are empty. */
int mount_op__mask_paths(int root_fd, char **masked, char **readonly, struct err **err);

#endif
