/*
 * A container's cgroup inside the guest: a cgroup v2 directory of its own under the guest's
 * root cgroup, the controllers enabled for it, the spec's limits written into its files.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_CGROUP_H
#define KAGE_GUEST_AGENT_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/* Where the guest's cgroup v2 hierarchy is mounted. */
#define CGROUP_ROOT "/sys/fs/cgroup"

struct devcg_rule;
struct err;
struct json_object;

/*
 * Makes one for files ({"pids.max": "12", ...}, checked by spec.c) and device rules (none:
 * every device, as without a device controller); its path into dir.
 */
int cgroup__make(struct json_object *files, const struct devcg_rule *rules, size_t nrules,
		 char *dir, size_t size, struct err **err);
/*
 * Freezes (or thaws) every process under dir, as cgroup v2's cgroup.freeze does: a freeze
 * is answered once cgroup.events says "frozen 1", within CGROUP_FREEZE_MS.
 */
#define CGROUP_FREEZE_MS 2000
int cgroup__freeze(const char *dir, bool frozen, struct err **err);
/* Removes an empty one (best effort: its processes may still be dying). */
void cgroup__remove(const char *dir);

#endif
