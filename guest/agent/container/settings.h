/*
 * The hostname and sysctl ops: kernel settings a container's spec makes, set in the guest
 * before its init makes its namespaces, which copy them; except the IPC namespace's sysctls,
 * which a new IPC namespace resets, and the init sets again.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_SETTINGS_H
#define KAGE_GUEST_AGENT_CONTAINER_SETTINGS_H

#include <stdbool.h>

struct json_object;
struct err;

/* Each checks the request and, when apply is set, changes the setting. */
int settings__hostname(struct json_object *req, bool apply, struct err **err);
int settings__sysctl(struct json_object *req, bool apply, struct err **err);
/* In a container's init, after its new IPC namespace: the IPC sysctls set so far, again. */
int settings__reapply_ipc(struct err **err);

#endif
