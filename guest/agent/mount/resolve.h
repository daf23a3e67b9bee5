/*
 * Paths inside a container's root, opened with openat2(RESOLVE_IN_ROOT): the image is
 * untrusted, and a symlink in it (/proc -> /, ../../..) must resolve inside the root, never
 * into the agent's own filesystem. Missing directories are created on the way.
 */
#ifndef KAGE_GUEST_AGENT_MOUNT_RESOLVE_H
#define KAGE_GUEST_AGENT_MOUNT_RESOLVE_H

#include <stddef.h>

struct err;

enum resolve_make {
	RESOLVE_EXISTING,	/* open what is there; ENOENT is an error (err->errnum) */
	RESOLVE_MAKE_DIR,	/* create the last component as a directory (0755) if missing */
	RESOLVE_MAKE_FILE,	/* ... as an empty file (0644): a bind mount of a file */
};

/* "/proc/self/fd/N": what mount(2) is given to act on an opened path. */
#define FD_PATH_MAX 32
const char *resolve__fd_path(int fd, char buf[FD_PATH_MAX]);

/* An O_PATH fd of the directory root (an absolute guest path, NULL for "/"). */
int resolve__open_root(const char *root, struct err **err);

/*
 * path: absolute, without ".." components. Returns an O_PATH fd of path inside root_fd,
 * creating its missing parents (0755) and, as asked, itself. A symlink on the way, the last
 * component included, resolves inside the root.
 */
int resolve__open(int root_fd, const char *path, enum resolve_make make, struct err **err);

/*
 * The parent directory of path (created with its parents), as an O_PATH fd; name receives
 * the last component, which the caller creates or replaces with the *at() calls, which do
 * not follow a symlink in the last component.
 */
int resolve__parent(int root_fd, const char *path, char *name, size_t name_len,
		    struct err **err);

/* The checks resolve__open applies to path, for validating a request before acting. */
int resolve__check_path(const char *what, const char *path, struct err **err);

#endif
