/*
 * The host's side of a pod's shares (see pod.h). The guest writes through its shares, so
 * nothing the host later walks, unmounts or removes may be a name the guest could make: the
 * shares are read-only views (roots/, binds/) of directories only the host writes (roots.d/,
 * binds.d/), and what members need is mounted on the views, each mount writable or not on
 * its own. The host names only entries it made, in the writable directories, and never
 * follows a symlink or recurses: a member's rootfs is mounted here, and following it down
 * would delete the image's files.
 */
#include "pod.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mount.h>

#include "../../devices/fs/fs.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../container/state.h"
#include "../machine/vm_plan.h"
#include "../oci/settings.h"
#include "../oci/spec.h"
#include "../plan/plan.h"
#include "../plan/sizing.h"

static int path_of(char *buf, size_t size, struct err **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int path_of(char *buf, size_t size, struct err **err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return err_msg(err, "pod: a path under the state directory is too long");
	return 0;
}

bool pod_dir__exists(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	return path_of(path, sizeof(path), NULL, "%s/pod/roots.d", dir) == 0 &&
	       lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Unmounts whatever is stacked at path, never through a symlink. */
static void unmount_all(const char *path)
{
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
}

/* One of the host's own directories (roots.d, binds.d and theirs), never through a symlink. */
static DIR *open_own_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !d)
		close(fd);
	return d;
}

/* Its next entry's name, "." and ".." passed over; NULL at the end. */
static const char *next_name(DIR *d)
{
	struct dirent *e;

	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return e->d_name;
	return NULL;
}

/* A read-only view of dir.d at dir (both under pod). */
static int make_view(const char *pod, const char *name, struct err **err)
{
	char real[PATH_MAX], view[PATH_MAX];

	if (path_of(real, sizeof(real), err, "%s/%s.d", pod, name) < 0 ||
	    path_of(view, sizeof(view), err, "%s/%s", pod, name) < 0)
		return -1;
	if (mkdir(real, 0700) < 0 || mkdir(view, 0700) < 0)
		return err_errno(err, "pod: mkdir under %s", pod);
	if (mount(real, view, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, view, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_errno(err, "pod: read-only view %s", view);
	return 0;
}

int pod_dir__make(const char *dir, struct err **err)
{
	char pod[PATH_MAX];

	if (path_of(pod, sizeof(pod), err, "%s/pod", dir) < 0)
		return -1;
	if (mkdir(pod, 0700) < 0)
		return err_errno(err, "pod: mkdir %s", pod);
	/* A peer group of its own: what members mount here reaches the sandbox's namespace
	 * (a slave of it) and no other. */
	if (mount(pod, pod, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, pod, NULL, MS_PRIVATE, NULL) < 0 ||
	    mount(NULL, pod, NULL, MS_SHARED, NULL) < 0) {
		int ret = err_errno(err, "pod: make %s a shared mount", pod);

		unmount_all(pod);
		rmdir(pod);
		return ret;
	}
	if (make_view(pod, "roots", err) < 0 || make_view(pod, "binds", err) < 0) {
		pod_dir__remove(dir);
		return -1;
	}
	return 0;
}

int pod_dir__add_shares(const char *dir, const struct sandbox_settings *st, int cache,
			struct vm_plan *o, struct err **err)
{
	/* Members' roots are theirs as the sandbox's own root is (FS_POLICY_RUNC); the
	 * sources of their bind mounts are the host's, under the configured policy. */
	const struct {
		const char *sub, *guest;
		int policy;
	} shares[] = {
		{ "roots", POD_GUEST_ROOTS, FS_POLICY_RUNC },
		{ "binds", POD_GUEST_BINDS, vm_plan__fs_policy(st->share_policy) },
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		if (o->nr_shares == VM_SHARES_MAX)
			return err_msg(err, "pod: more than %d host directories to share with the "
				       "sandbox's VM", VM_SHARES_MAX);
		if (path_of(path, sizeof(path), err, "%s/pod/%s", dir, shares[i].sub) < 0)
			return -1;
		char *copy = vm_plan__keep(o, path, err);

		if (!copy)
			return -1;
		o->shares[o->nr_shares++] = (struct vm_share){
			.host_path = copy, .guest_path = shares[i].guest, .cache = cache,
			.policy = shares[i].policy,
		};
	}
	return 0;
}

/*
 * source bound at view/<name>, its mount point made as real/<name> (a directory, or an
 * empty file), read-only through and through when ro. Made a slave at once, so that a
 * source that is itself shared does not make this a peer of its group (mounts there would
 * multiply with every member).
 */
static int bind_at(const char *source, const char *real, const char *view, bool ro,
		   struct err **err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	struct stat st;

	if (stat(source, &st) < 0)
		return err_errno(err, "%s", source);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(real, 0700) < 0)
			return err_errno(err, "mkdir %s", real);
	} else if (S_ISREG(st.st_mode)) {
		int fd = open(real, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return err_errno(err, "create %s", real);
		close(fd);
	} else {
		return err_msg(err, "%s: only directories and regular files can be shared with "
			       "the VM", source);
	}
	if (mount(source, view, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_errno(err, "bind %s", source);
	if (mount(NULL, view, NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_errno(err, "make the bind of %s a slave", source);
	if (ro && syscall(SYS_mount_setattr, AT_FDCWD, view, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW,
			  &attr, sizeof(attr)) < 0)
		return err_errno(err, "read-only bind of %s", source);
	return 0;
}

/*
 * The member of the pod whose root is the directory st is, into other; false when none. The
 * FUSE server knows a file by its device and inode, so in the guest two members' roots on one
 * directory would be one directory, and the mounts of the first would stand in the way of
 * the second's.
 */
static bool root_taken(const char *dir, const struct stat *st, char *other, size_t size)
{
	char path[PATH_MAX];
	const char *name;
	struct stat o;
	bool found = false;
	DIR *d;

	if (path_of(path, sizeof(path), NULL, "%s/pod/roots.d", dir) < 0 ||
	    !(d = open_own_dir(path)))
		return false;
	while (!found && (name = next_name(d)))
		if (path_of(path, sizeof(path), NULL, "%s/pod/roots/%s", dir, name) == 0 &&
		    stat(path, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino) {
			snprintf(other, size, "%s", name);
			found = true;
		}
	closedir(d);
	return found;
}

int pod_dir__add_member(const char *dir, const char *member, const struct oci_spec *s,
			struct err **err)
{
	char real[PATH_MAX], view[PATH_MAX], breal[PATH_MAX], bview[PATH_MAX], other[256];
	struct stat st;

	if (stat(s->root.path, &st) < 0)
		return err_errno(err, "root.path %s", s->root.path);
	if (root_taken(dir, &st, other, sizeof(other)))
		return err_msg(err, "root.path %s is already the root of %s in this pod: each "
			       "member needs a root of its own", s->root.path, other);

	if (container__check_id(member, err) < 0 ||
	    path_of(real, sizeof(real), err, "%s/pod/roots.d/%s", dir, member) < 0 ||
	    path_of(view, sizeof(view), err, "%s/pod/roots/%s", dir, member) < 0 ||
	    path_of(breal, sizeof(breal), err, "%s/pod/binds.d/%s", dir, member) < 0 ||
	    path_of(bview, sizeof(bview), err, "%s/pod/binds/%s", dir, member) < 0)
		return -1;
	if (mkdir(breal, 0700) < 0)
		return err_errno(err, "pod: mkdir %s", breal);
	if (bind_at(s->root.path, real, view, false, err) < 0) {
		pod_dir__remove_member(dir, member);
		return err_prefix(err, "pod: root.path");
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		char r[PATH_MAX], v[PATH_MAX];

		if (!oci_guest__is_bind(m))
			continue;
		if (!m->source) {
			pod_dir__remove_member(dir, member);
			return err_msg(err, "mounts[%zu] on %s: a bind mount without a source", i,
				       m->destination);
		}
		if (path_of(r, sizeof(r), err, "%s/%zu", breal, i) < 0 ||
		    path_of(v, sizeof(v), err, "%s/%zu", bview, i) < 0 ||
		    bind_at(m->source, r, v, oci_guest__is_ro(m), err) < 0) {
			pod_dir__remove_member(dir, member);
			return err_prefix(err, "mounts[%zu] on %s", i, m->destination);
		}
	}
	return 0;
}

/* Unmounts view and removes real, its mount point (an empty directory or file). */
static void unbind(const char *real, const char *view)
{
	struct stat st;

	unmount_all(view);
	if (lstat(real, &st) < 0)
		return;
	if ((S_ISDIR(st.st_mode) ? rmdir(real) : unlink(real)) < 0)
		pr_debug("pod: %s left behind: %s", real, strerror(errno));
}

void pod_dir__remove_member(const char *dir, const char *member)
{
	char real[PATH_MAX], view[PATH_MAX], r[PATH_MAX], v[PATH_MAX];
	const char *name;
	DIR *d;

	if (container__check_id(member, NULL) < 0)
		return;
	if (path_of(real, sizeof(real), NULL, "%s/pod/roots.d/%s", dir, member) == 0 &&
	    path_of(view, sizeof(view), NULL, "%s/pod/roots/%s", dir, member) == 0)
		unbind(real, view);
	if (path_of(real, sizeof(real), NULL, "%s/pod/binds.d/%s", dir, member) < 0 ||
	    path_of(view, sizeof(view), NULL, "%s/pod/binds/%s", dir, member) < 0)
		return;
	/* binds.d is the host's alone: its entries are the mount points it made. */
	if (!(d = open_own_dir(real)))
		return;
	while ((name = next_name(d)))
		if (path_of(r, sizeof(r), NULL, "%s/%s", real, name) == 0 &&
		    path_of(v, sizeof(v), NULL, "%s/%s", view, name) == 0)
			unbind(r, v);
	closedir(d);
	if (rmdir(real) < 0 && errno != ENOENT)
		pr_debug("pod: %s left behind: %s", real, strerror(errno));
}

void pod_dir__remove(const char *dir)
{
	char path[PATH_MAX];
	const char *name;
	DIR *d;

	/* Every member the host bound, from roots.d and binds.d (only the host writes them). */
	for (int pass = 0; pass < 2; pass++) {
		if (path_of(path, sizeof(path), NULL, "%s/pod/%s", dir,
			    pass ? "binds.d" : "roots.d") < 0 ||
		    !(d = open_own_dir(path)))
			continue;
		while ((name = next_name(d)))
			pod_dir__remove_member(dir, name);
		closedir(d);
	}
	static const char *const parts[] = { "roots", "binds", "roots.d", "binds.d" };

	for (size_t i = 0; i < 4; i++)
		if (path_of(path, sizeof(path), NULL, "%s/pod/%s", dir, parts[i]) == 0) {
			unmount_all(path);
			rmdir(path);
		}
	if (path_of(path, sizeof(path), NULL, "%s/pod", dir) == 0) {
		unmount_all(path);
		if (rmdir(path) < 0 && errno != ENOENT)
			pr_debug("pod: %s left behind: %s", path, strerror(errno));
	}
}
