/* The create request, checked and turned into a proc_spec (see docs/agent-protocol.md). */
#ifndef KAGE_GUEST_AGENT_PROC_SPEC_H
#define KAGE_GUEST_AGENT_PROC_SPEC_H

#include "spawn.h"

struct json_object;
struct err;

/* Strings stay borrowed from req: keep it alive while spec is used. */
int spec__parse(struct json_object *req, struct proc_spec *spec, struct err **err);
void spec__free(struct proc_spec *spec);

#endif
