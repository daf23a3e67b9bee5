/*
 * The spec's device rules (linux.resources.devices) for a container's cgroup: cgroup v2 has
 * no devices.allow file, so they become a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
 * cgroup, deciding each open and mknod of a device node as cgroup v1's list did.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_DEVCGROUP_H
#define KAGE_GUEST_AGENT_CONTAINER_DEVCGROUP_H

#include <stddef.h>

struct err;
struct json_object;

#define DEVCG_MAX_RULES 256

struct devcg_rule {
	char type;	/* 'a', 'b' or 'c' */
	long long major, minor;	/* -1: any */
	unsigned int access;	/* BPF_DEVCG_ACC_* bits */
	int allow;
};

/* create's "devices": [{"allow","type","major","minor","access"}], checked. */
int devcg__parse(struct json_object *v, struct devcg_rule **rules, size_t *n, struct err **err);
/* Loads the rules' program and attaches it to the cgroup directory dir. */
int devcg__attach(const char *dir, const struct devcg_rule *rules, size_t n, struct err **err);

#endif
