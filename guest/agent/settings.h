/*
 * The hostname and sysctl ops: kernel settings a container's spec makes. A VM runs one
 * container, so its settings are simply the guest's.
 */
#ifndef KAGE_GUEST_AGENT_SETTINGS_H
#define KAGE_GUEST_AGENT_SETTINGS_H

#include <stdbool.h>

struct json_object;
struct err;

/* Each checks the request and, when apply is set, changes the setting. */
int settings__hostname(struct json_object *req, bool apply, struct err **err);
int settings__sysctl(struct json_object *req, bool apply, struct err **err);

#endif
