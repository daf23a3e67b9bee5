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

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "mount_op.h"
#include "mounts.h"
#include "resolve.h"
#include "../proc/spawn.h"

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

/* A propagation the agent gave a mount in the root (a spec's rshared bind mount, ...). */
struct kept {
	char *point;
	unsigned long flags;	/* MS_SHARED or MS_UNBINDABLE */
};

#define KEPT_MAX 256

static void free_kept(struct kept *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].point);
	free(k);
}

/*
 * Making the container's copy of the mounts private (rootfs__enter) wipes the propagation the
 * spec asked for: note it first, from the agent's mounts under root, to give it back inside
 * the container's namespace (a shared mount there is a peer of nothing outside it).
 */
static int read_kept(const char *root, struct kept **out, size_t *count, struct err **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t rlen = strlen(root), n = 0;
	struct kept *k = NULL, *grown;
	char line[4096];

	*out = NULL;
	*count = 0;
	if (!f)
		return err_errno(err, "read /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		struct mountinfo_line m;

		if (mounts__parse_info_line(line, &m) < 0 || strncmp(m.point, root, rlen) ||
		    (m.point[rlen] != '/' && m.point[rlen]) || !(m.shared || m.unbindable))
			continue;
		if (n == KEPT_MAX) {
			free_kept(k, n);
			return err_msg(err, "more than %d shared or unbindable mounts in the root",
				       KEPT_MAX);
		}
		grown = realloc(k, (n + 1) * sizeof(*k));
		if (!grown || !(grown[n].point = strdup(m.point))) {
			free_kept(grown ? grown : k, n);
			return err_errno(err, "note a mount's propagation");
		}
		k = grown;
		k[n++].flags = m.shared ? MS_SHARED : MS_UNBINDABLE;
	}
	*out = k;
	*count = n;
	return 0;
}

static int restore_kept(const struct kept *k, size_t n, struct err **err)
{
	for (size_t i = 0; i < n; i++)
		if (mount(NULL, k[i].point, NULL, k[i].flags, NULL) < 0)
			return err_errno(err, "make %s %s again in the container", k[i].point,
					 k[i].flags == MS_SHARED ? "shared" : "unbindable");
	return 0;
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
	struct kept *kept;
	size_t nkept;
	int ret;

	if (!s->root)
		return err_msg(err, "a container's namespaces need its 'root'");
	if (read_kept(s->root, &kept, &nkept, err) < 0)
		return -1;
	/* Nothing done here may reach the agent's namespace, nor anything of it come in later. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		ret = err_errno(err, "make the container's mounts private");
	else if (remount_fresh(s->root, s->ns_new | s->ns_share, err) < 0 || masks(s, err) < 0 ||
		 restore_kept(kept, nkept, err) < 0)
		ret = -1;
	else
		ret = pivot(s->root, err);
	free_kept(kept, nkept);
	if (ret < 0 || !s->root_propagation)
		return ret;
	/* linux.rootfsPropagation, on the root as the container sees it */
	if (mount(NULL, "/", NULL, s->root_propagation, NULL) < 0)
		return err_errno(err, "rootfsPropagation of the container's root");
	return 0;
}
