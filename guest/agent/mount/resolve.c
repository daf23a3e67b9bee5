/* Opening and creating paths inside a container root (see resolve.h). */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"

/*
 * No magic links either: once proc is mounted in the root, an image's symlink to
 * /proc/self/root would otherwise lead back out. openat2 answers EAGAIN when a rename raced
 * the walk; a few retries are plenty, as nothing runs in the root yet.
 */
#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define EAGAIN_TRIES 8

const char *resolve__fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

/* musl has no openat2 wrapper. */
static int openat2_in_root(int root_fd, const char *rel, int flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = IN_ROOT };
	int fd, tries = 0;

	/* "" names the root itself, which openat2 only takes with AT_EMPTY_PATH semantics */
	if (!*rel)
		rel = ".";
	do
		fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < EAGAIN_TRIES);
	return fd;
}

int resolve__check_path(const char *what, const char *path, struct err **err)
{
	size_t len = strlen(path);

	if (path[0] != '/' || len >= PATH_MAX || strstr(path, "/../") ||
	    (len >= 3 && !strcmp(path + len - 3, "/..")))
		return err_msg(err, "%s '%s' must be an absolute path without '..'", what, path);
	return 0;
}

int resolve__open_root(const char *root, struct err **err)
{
	int fd;

	if (root && resolve__check_path("root", root, err) < 0)
		return -1;
	fd = open(root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "open root '%s'", root ? root : "/");
	return fd;
}

/* Creates name in parent_fd, a directory already resolved inside the root. */
static int make_name(int parent_fd, const char *name, enum resolve_make make)
{
	int fd;

	if (make == RESOLVE_MAKE_DIR)
		return mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
	/* O_EXCL|O_NOFOLLOW: an existing name, a symlink included, is left as it is */
	fd = openat(parent_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	close(fd);
	return 0;
}

/*
 * Walks path[0..upto) one component at a time, each prefix opened from the root (so that a
 * symlink met on the way resolves against the root, not against its own directory), and
 * creates what is missing in the directory opened just before. A name that exists but is a
 * dangling symlink stays missing: its target is not created.
 */
static int walk(int root_fd, const char *path, size_t upto, enum resolve_make last,
		struct err **err)
{
	char rel[PATH_MAX], name[NAME_MAX + 1];
	_cleanup_close_ int parent = -1;
	size_t i = 0;

	while (path[i] == '/')
		i++;
	parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (parent < 0)
		return err_errno(err, "dup root fd");
	while (i < upto) {
		size_t start = i, end;
		enum resolve_make make = RESOLVE_MAKE_DIR;
		int fd;

		while (i < upto && path[i] != '/')
			i++;
		end = i;
		while (i < upto && path[i] == '/')
			i++;
		if (i >= upto)
			make = last;
		/* prefix without its leading '/': openat2 takes it relative to the root */
		snprintf(rel, sizeof(rel), "%.*s", (int)(end - 1), path + 1);
		fd = openat2_in_root(root_fd, rel, make == RESOLVE_MAKE_DIR ?
						   O_PATH | O_DIRECTORY : O_PATH);
		if (fd < 0 && errno == ENOENT && last != RESOLVE_EXISTING) {
			snprintf(name, sizeof(name), "%.*s", (int)(end - start), path + start);
			if (make_name(parent, name, make) < 0)
				return err_errno(err, "create %.*s", (int)end, path);
			fd = openat2_in_root(root_fd, rel, make == RESOLVE_MAKE_DIR ?
							   O_PATH | O_DIRECTORY : O_PATH);
		}
		if (fd < 0)
			return err_errno(err, "open %.*s", (int)end, path);
		close(parent);
		parent = fd;
	}
	return TAKE_FD(parent);
}

int resolve__open(int root_fd, const char *path, enum resolve_make make, struct err **err)
{
	if (resolve__check_path("path", path, err) < 0)
		return -1;
	return walk(root_fd, path, strlen(path), make, err);
}

int resolve__parent(int root_fd, const char *path, char *name, size_t name_len,
		    struct err **err)
{
	const char *slash;
	size_t len;

	if (resolve__check_path("path", path, err) < 0)
		return -1;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (len <= 1 || len - (slash - path) - 1 >= name_len || len - (slash - path) - 1 > NAME_MAX)
		return err_msg(err, "path '%s' does not name a file", path);
	snprintf(name, name_len, "%.*s", (int)(len - (slash - path) - 1), slash + 1);
	if (!strcmp(name, "."))
		return err_msg(err, "path '%s' does not name a file", path);
	return walk(root_fd, path, slash - path, RESOLVE_MAKE_DIR, err);
}
