/*
 * A container's cgroup inside the guest: a cgroup v2 directory of its own under the guest's
 * root cgroup, the controllers enabled for it, the spec's limits written into its files.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_CGROUP_H
#define KAGE_GUEST_AGENT_CONTAINER_CGROUP_H

#include <stddef.h>

struct devcg_rule;
struct err;
struct json_object;

/*
 * Makes one for files ({"pids.max": "12", ...}, checked by spec.c) and device rules (none:
 * every device, as without a device controller); its path into dir.
 */
int cgroup__make(struct json_object *files, const struct devcg_rule *rules, size_t nrules,
		 char *dir, size_t size, struct err **err);
/* Removes an empty one (best effort: its processes may still be dying). */
void cgroup__remove(const char *dir);

#endif
