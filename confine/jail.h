/*
 * The sandbox's jail: once its VM's inputs are known and before any thread exists, the
 * sandbox process moves into a mount namespace whose root is an empty tmpfs holding only the
 * host paths it still opens (bound at the same absolute paths), into IPC and UTS namespaces
 * of its own, sets no_new_privs, keeps a handful of capabilities and sets its rlimits.
 * docs/confinement.md ("Jail") lists what it keeps and why.
 */
#ifndef KAGE_CONFINE_JAIL_H
#define KAGE_CONFINE_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "../lib/err.h"

#define JAIL_PATHS_MAX 32

/* How a path is bound into the jail. */
enum {
	JAIL_RO = 1 << 0,	/* read-only: the sandbox only reads it */
};

struct jail_path {
	const char *path;	/* absolute; bound at the same path inside */
	unsigned int flags;
};

struct jail {
	const char *dir;	/* the jail's mountpoint on the host: an empty directory */
	struct jail_path paths[JAIL_PATHS_MAX];
	size_t n_paths;
	uint64_t caps;		/* the capabilities kept (bit n: capability n) */
	rlim_t nofile;		/* RLIMIT_NOFILE, soft and hard; 0: left as it is */
	char degraded[256];	/* after jail__enter: what this host could not give, or "" */
};

/* The capabilities every jailed sandbox keeps (the FUSE server's; see jail.c). */
void jail__init(struct jail *j, const char *dir);
/* Binds path (absolute, no "." or ".." component) into the jail at the same path. */
int jail__expose(struct jail *j, const char *path, unsigned int flags, struct err **err);
void jail__keep_cap(struct jail *j, int cap);
/*
 * Enters the jail. The calling process must be single-threaded: mount namespace,
 * capabilities and no_new_privs are per thread. No open fd may be a directory of the host (it
 * would lead out). What a host lacks (IPC/UTS namespaces, ambient capabilities, pivot_root
 * on an initramfs root) degrades with a warning; anything else fails.
 */
int jail__enter(struct jail *j, struct err **err);

/* `kage check`: whether this host can jail a sandbox. 0: fully; 1: degraded (why says how);
 * -1: not at all (why says why). Forks a child that tries it. */
int jail__probe(char *why, size_t size);

#endif
