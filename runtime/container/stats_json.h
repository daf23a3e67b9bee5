/*
 * A container's figures in the shape runc's `events` prints (libcontainer's types.Stats), from
 * the guest agent's stats and the sandbox's host cgroup, under "kage" the figures only a
 * microVM has.
 */
#ifndef KAGE_RUNTIME_CONTAINER_STATS_JSON_H
#define KAGE_RUNTIME_CONTAINER_STATS_JSON_H

#include <stdbool.h>
#include <stdint.h>

struct agent_stats;
struct json_object;

/* The VMM's own cgroup on the host: the whole VM, the guest's RAM and vCPUs included. */
struct host_stats {
	bool has_memory, has_cpu;
	int64_t memory_current;	/* bytes */
	int64_t cpu_usage_usec;
};

/* Reads what dir (a cgroup v2 directory; NULL or "" for none) has; missing files stay unset. */
void host_stats__read(const char *dir, struct host_stats *out);

/*
 * The event's "data": cpu, memory, pids, blkio and network_interfaces from guest (NULL when the
 * guest was not asked: a paused VM cannot answer), and "kage":{"host":{...}} from host.
 */
struct json_object *stats_json__data(const struct agent_stats *guest, const struct host_stats *host);

#endif
