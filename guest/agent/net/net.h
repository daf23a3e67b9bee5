/* The network op: the guest's interface takes the container's configuration, or leaves. */
#ifndef KAGE_GUEST_AGENT_NET_NET_H
#define KAGE_GUEST_AGENT_NET_NET_H

#include <stdbool.h>

struct json_object;
struct err;

/* Checks the request and, when apply is set, configures the interface (or unbinds it). */
int net__configure(struct json_object *req, bool apply, struct err **err);

#endif
