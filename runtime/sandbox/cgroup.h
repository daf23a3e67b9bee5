/*
 * The host cgroup a container's sandbox lives in: linux.cgroupsPath, as runc places the
 * container's process, so the VMM's threads, and with them the guest's memory and CPU time,
 * are counted and limited where Docker and containerd look. cgroup v2 only; on a v1 host the
 * sandbox stays in its caller's cgroups, with a warning.
 */
#ifndef KAGE_RUNTIME_SANDBOX_CGROUP_H
#define KAGE_RUNTIME_SANDBOX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/err.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
/* What the VMM needs beyond the guest's RAM (its threads, queues, virtio-fs buffers). */
#define CGROUP_VMM_OVERHEAD_MIB 128

struct cgroup_limits {
	uint64_t memory_max;	/* bytes, 0 for none */
	int64_t cpu_quota;	/* us per period, <= 0 for none */
	uint64_t cpu_period;	/* us */
};

/*
 * The directory for cgroupsPath: "/a/b" or "a/b" under CGROUP_MOUNT, or systemd's
 * "slice:prefix:name" (with --systemd-cgroup, or when it has that shape) as systemd lays it
 * out. "" (out[0] == 0) when there is no path or the host has no cgroup v2. ".." refused.
 */
int cgroup__dir(const char *cgroups_path, bool systemd, char *out, size_t len,
		struct err **err);
/* cgroup__dir's mapping alone, whatever the host has (for tests). */
int cgroup__map(const char *cgroups_path, bool systemd, char *out, size_t len,
		struct err **err);
/* Makes dir (and its parents, enabling the controllers the limits need on the way), sets the
 * limits, and moves the calling process into it. */
int cgroup__join(const char *dir, const struct cgroup_limits *l, struct err **err);
/* Removes dir once its processes are gone (waits up to a second for them to leave). */
int cgroup__remove(const char *dir, struct err **err);

#endif
