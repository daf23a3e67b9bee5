/*
 * The container's init enters its root (in its new mount namespace): the agent's mounts made
 * private, /proc and cgroup2 mounted afresh for its PID and cgroup namespaces, the spec's
 * masked and read-only paths applied to them, then pivot_root with the agent's tree detached.
 */
#ifndef KAGE_GUEST_AGENT_MOUNT_ROOTFS_H
#define KAGE_GUEST_AGENT_MOUNT_ROOTFS_H

struct err;
struct proc_spec;

int rootfs__enter(const struct proc_spec *s, struct err **err);

#endif
