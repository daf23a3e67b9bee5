/* A container's init enters its root (see rootfs.h). */
#include "rootfs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "mount_op.h"
#include "mounts.h"
#include "resolve.h"
#include "spawn.h"

#define FRESH_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* Whether a mount's type shows the namespace of whoever mounted it, which we just left. */
static bool stale_type(const char *type, unsigned int ns)
{
	return (!strcmp(type, "proc") && (ns & CLONE_NEWPID)) ||
	       (!strcmp(type, "cgroup2") && (ns & CLONE_NEWCGROUP));
}

/*
 * The spec's /proc was mounted by the agent, so it shows the guest's processes (the agent
 * among them): each such mount inside the root is detached and mounted again from here, in
 * the container's namespaces, read-only if it was.
 */
static int remount_fresh(const char *root, unsigned int ns, struct err **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mounts", "re");
	size_t rlen = strlen(root), n = 0;
	char line[4096];
	struct {
		char *point;
		const char *type;
		bool ro;
	} found[16];
	int ret = 0;

	if (!f)
		return err_errno(err, "read /proc/self/mounts");
	while (fgets(line, sizeof(line), f)) {
		struct mount_line m;

		if (mounts__parse_line(line, &m) < 0 || strncmp(m.point, root, rlen) ||
		    m.point[rlen] != '/' || !stale_type(m.type, ns))
			continue;
		if (n == ARRAY_SIZE(found)) {
			ret = err_msg(err, "more than %zu proc and cgroup mounts in the root", n);
			break;
		}
		found[n].point = strdup(m.point);
		found[n].type = !strcmp(m.type, "proc") ? "proc" : "cgroup2";
		found[n].ro = m.ro;
		if (!found[n++].point) {
			ret = err_errno(err, "copy a mount point");
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!ret && umount2(found[i].point, MNT_DETACH) < 0)
			ret = err_errno(err, "detach the agent's %s on %s", found[i].type,
					found[i].point);
		if (!ret && mount(found[i].type, found[i].point, found[i].type,
				  FRESH_FLAGS | (found[i].ro ? MS_RDONLY : 0), NULL) < 0)
			ret = err_errno(err, "mount %s on %s", found[i].type, found[i].point);
		free(found[i].point);
	}
	return ret;
}

static int masks(const struct proc_spec *s, struct err **err)
{
	_cleanup_close_ int root_fd = resolve__open_root(s->root, err);

	if (root_fd < 0)
		return -1;
	return mount_op__mask_paths(root_fd, s->masked, s->readonly, err);
}

/*
 * runc's pivot_root(".", "."): the old root ends up stacked on the new one and is detached
 * with everything mounted in it, so not even a chroot escape finds the agent's tree. (The
 * agent moved its own root off the initramfs at boot, which pivot_root refuses.)
 */
static int pivot(const char *root, struct err **err)
{
	if (chdir(root) < 0)
		return err_errno(err, "chdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_errno(err, "pivot_root into %s", root);
	if (umount2(".", MNT_DETACH) < 0)
		return err_errno(err, "detach the agent's root");
	if (chdir("/") < 0)
		return err_errno(err, "chdir /");
	return 0;
}

int rootfs__enter(const struct proc_spec *s, struct err **err)
{
	if (!s->root)
		return err_msg(err, "a container's namespaces need its 'root'");
	/* Nothing done here may reach the agent's namespace, nor anything of it come in later. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_errno(err, "make the container's mounts private");
	if (remount_fresh(s->root, s->ns_new, err) < 0 || masks(s, err) < 0)
		return -1;
	return pivot(s->root, err);
}
