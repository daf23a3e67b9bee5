/*
 * The mount op (docs/agent-protocol.md): the target is created and opened inside the root
 * the request names (resolve.c), and mount(2) acts on that open file through /proc/self/fd,
 * so a symlink in the image cannot redirect a mount onto the guest's own filesystem.
 */
#include "mount_op.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mount.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "mount_opts.h"
#include "../req.h"
#include "resolve.h"

/* A bind mount takes only these on its first call; the rest needs a remount. */
#define BIND_FIRST (MS_BIND | MS_REC | MS_SILENT)

struct mount_req {
	const char *root, *source, *target, *type;
	struct mount_opts o;
};

static int parse(struct json_object *req, struct mount_req *m, struct err **err)
{
	_cleanup_free_ char **options = NULL;

	m->root = NULL;
	m->type = "none";
	if (req__string(req, "source", true, &m->source, err) < 0 ||
	    req__string(req, "target", true, &m->target, err) < 0 ||
	    req__string(req, "type", false, &m->type, err) < 0 ||
	    req__string(req, "root", false, &m->root, err) < 0 ||
	    req__strings(req, "options", false, &options, NULL, err) < 0 ||
	    mount_opts__parse(options, &m->o, err) < 0)
		return -1;
	if (resolve__check_path("target", m->target, err) < 0 ||
	    (m->root && resolve__check_path("root", m->root, err) < 0))
		return -1;
	if (!strcmp(m->type, "bind"))
		m->o.flags |= MS_BIND;
	/* The guest kernel has cgroup v2 only; v1's data (controller names) means nothing to it */
	if (!strcmp(m->type, "cgroup")) {
		m->type = "cgroup2";
		m->o.data[0] = 0;
	}
	return 0;
}

/* A bind mount of a file needs a file to mount on; everything else a directory. */
static enum resolve_make target_kind(const struct mount_req *m)
{
	struct stat st;

	if ((m->o.flags & MS_BIND) && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode))
		return RESOLVE_MAKE_FILE;
	return RESOLVE_MAKE_DIR;
}

static int set_recursive_ro(int fd, bool ro, struct err **err)
{
	struct mount_attr attr = { 0 };

	if (ro)
		attr.attr_set = MOUNT_ATTR_RDONLY;
	else
		attr.attr_clr = MOUNT_ATTR_RDONLY;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0)
		return err_errno(err, "make the mount recursively %s", ro ? "read-only" : "read-write");
	return 0;
}

/* What comes after the mount itself, on the new mount (fd opened after it). */
static int after_mount(const struct mount_req *m, int fd, struct err **err)
{
	unsigned long rest = m->o.flags & ~BIND_FIRST;
	char path[FD_PATH_MAX];

	resolve__fd_path(fd, path);
	if ((m->o.flags & MS_BIND) && rest &&
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0)
		return err_errno(err, "remount the bind mount with its flags");
	for (size_t i = 0; i < m->o.npropagation; i++)
		if (mount(NULL, path, NULL, m->o.propagation[i], NULL) < 0)
			return err_errno(err, "set the mount's propagation");
	if ((m->o.rro || m->o.rrw) && set_recursive_ro(fd, m->o.rro, err) < 0)
		return -1;
	return 0;
}

static int do_mount(const struct mount_req *m, struct err **err)
{
	_cleanup_close_ int root = -1, fd = -1, mounted = -1;
	unsigned long first = m->o.flags;
	char path[FD_PATH_MAX];

	root = resolve__open_root(m->root, err);
	if (root < 0)
		return -1;
	fd = resolve__open(root, m->target, target_kind(m), err);
	if (fd < 0)
		return -1;
	if (first & MS_BIND)
		first &= BIND_FIRST;
	if (mount(m->source, resolve__fd_path(fd, path), m->type, first,
		  m->o.data[0] ? m->o.data : NULL) < 0)
		return err_errno(err, "mount %s (%s) on %s%s", m->source, m->type,
				 m->root ? m->root : "", m->target);
	if (!((m->o.flags & MS_BIND) && (m->o.flags & ~BIND_FIRST)) && !m->o.npropagation &&
	    !m->o.rro && !m->o.rrw)
		return 0;
	/* The fd still names the directory under the mount: reopen to reach the mount's root */
	mounted = resolve__open(root, m->target, RESOLVE_EXISTING, err);
	if (mounted < 0 || after_mount(m, mounted, err) < 0)
		return err_prefix(err, "%s%s", m->root ? m->root : "", m->target);
	return 0;
}

int mount_op__mount(struct json_object *req, bool apply, struct err **err)
{
	struct mount_req m;

	if (parse(req, &m, err) < 0)
		return -1;
	if (!apply)
		return 0;
	pr_debug("agent: mount %s (%s) on %s%s data '%s'", m.source, m.type,
		 m.root ? m.root : "", m.target, m.o.data);
	return do_mount(&m, err);
}

/* A masked directory gets an empty read-only tmpfs, anything else /dev/null on top. */
static int mask_one(int root, const char *path, struct err **err)
{
	_cleanup_err_ struct err *open_err = NULL;
	_cleanup_close_ int fd = resolve__open(root, path, RESOLVE_EXISTING, &open_err);
	char fdp[FD_PATH_MAX];
	struct stat st;
	int ret;

	if (fd < 0)
		return open_err->errnum == ENOENT ? 0 : err_msg(err, "%s", open_err->msg);
	if (fstat(fd, &st) < 0)
		return err_errno(err, "stat %s", path);
	resolve__fd_path(fd, fdp);
	if (S_ISDIR(st.st_mode))
		ret = mount("tmpfs", fdp, "tmpfs", MS_RDONLY, NULL);
	else
		ret = mount("/dev/null", fdp, NULL, MS_BIND, NULL);
	if (ret < 0)
		return err_errno(err, "mask %s", path);
	return 0;
}

/* The flags a bind remount must repeat, or it would drop them (nosuid on /proc, ...). */
static unsigned long kept_flags(int fd)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },	{ ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },	{ ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long flags = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (sv.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

static int readonly_one(int root, const char *path, struct err **err)
{
	_cleanup_err_ struct err *open_err = NULL;
	_cleanup_close_ int fd = resolve__open(root, path, RESOLVE_EXISTING, &open_err);
	_cleanup_close_ int top = -1;
	char fdp[FD_PATH_MAX];

	if (fd < 0)
		return open_err->errnum == ENOENT ? 0 : err_msg(err, "%s", open_err->msg);
	resolve__fd_path(fd, fdp);
	if (mount(fdp, fdp, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_errno(err, "bind %s onto itself", path);
	top = resolve__open(root, path, RESOLVE_EXISTING, err);
	if (top < 0)
		return -1;
	resolve__fd_path(top, fdp);
	if (mount(NULL, fdp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(top), NULL) < 0)
		return err_errno(err, "remount %s read-only", path);
	return 0;
}

int mount_op__check_paths(char **paths, const char *key, struct err **err)
{
	for (char **p = paths; p && *p; p++)
		if (resolve__check_path(key, *p, err) < 0)
			return -1;
	return 0;
}

int mount_op__mask_paths(int root_fd, char **masked, char **readonly, struct err **err)
{
	for (char **p = masked; p && *p; p++)
		if (mask_one(root_fd, *p, err) < 0)
			return -1;
	for (char **p = readonly; p && *p; p++)
		if (readonly_one(root_fd, *p, err) < 0)
			return -1;
	return 0;
}
