/*
 * A created process's capabilities and privilege limits, as runc applies an OCI
 * process.capabilities: the sets given as capability numbers, applied in the child around
 * its setuid.
 */
#ifndef KAGE_GUEST_AGENT_PROC_CAPS_H
#define KAGE_GUEST_AGENT_PROC_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;
struct err;

enum { CAP_BOUNDING, CAP_EFFECTIVE, CAP_INHERITABLE, CAP_PERMITTED, CAP_AMBIENT, CAP_NSETS };

struct caps {
	bool given;		/* absent: the process keeps what the agent has */
	uint64_t set[CAP_NSETS];	/* bit N: capability N */
};

/* Reads create's "capabilities" member; sets it leaves out are empty. */
int caps__parse(struct json_object *req, struct caps *c, struct err **err);

/* In the child, before setuid: drops the bounding set and keeps the permitted set across. */
int caps__before_setuid(const struct caps *c, struct err **err);
/* After setuid: effective, permitted, inheritable, then ambient. */
int caps__after_setuid(const struct caps *c, struct err **err);

#endif
