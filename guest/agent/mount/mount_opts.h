/*
 * Mount option words, as mount(8) and OCI specs write them, turned into what mount(2) takes:
 * flags for the mount, propagation changes for calls of their own, and the filesystem's data.
 */
#ifndef KAGE_GUEST_AGENT_MOUNT_MOUNT_OPTS_H
#define KAGE_GUEST_AGENT_MOUNT_MOUNT_OPTS_H

#include <stdbool.h>
#include <stddef.h>

struct err;

#define MOUNT_MAX_PROPAGATION 8

struct mount_opts {
	unsigned long flags;	/* MS_RDONLY, MS_BIND, ... */
	/* MS_PRIVATE, MS_SHARED, ... (| MS_REC), each applied after the mount, in order */
	unsigned long propagation[MOUNT_MAX_PROPAGATION];
	size_t npropagation;
	bool rro, rrw;		/* recursive read-only / read-write (mount_setattr) */
	char data[1024];	/* the other words, comma-separated, for the filesystem */
};

int mount_opts__parse(char *const *words, struct mount_opts *o, struct err **err);
/* A propagation word's flags (MS_SHARED | MS_REC for "rshared"), or 0 for another word. */
unsigned long mount_opts__propagation(const char *word);

#endif
