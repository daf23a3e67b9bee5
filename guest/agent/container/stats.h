/*
 * The stats op: a container's resource figures, read from its cgroup v2 files in the guest
 * and its network namespace's /proc/<pid>/net/dev, for `kage events` on the host.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_STATS_H
#define KAGE_GUEST_AGENT_CONTAINER_STATS_H

#include <sys/types.h>

struct json_object;

/*
 * The reply's body: {"cpu":{...},"memory":{...},"swap":{...},"pids":{...},"io":[...],
 * "net":[...]}. A group whose files the guest kernel lacks (no such controller, no cgroup:
 * cgroup "") is left out whole; every group given has all its members, integers >= 0, the
 * limits -1 for "max". Counters past INT64_MAX are sent as INT64_MAX.
 */
struct json_object *stats__collect(const char *cgroup, pid_t pid);

#endif
