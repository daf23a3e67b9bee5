/* The sandbox's jail (see jail.h and docs/confinement.md). */
#include "jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"

/* The jail's root: directories and empty files to mount on, nothing else; read-only once
 * they are made. */
#define ROOT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define ROOT_OPTS "mode=0755,size=64k,nr_inodes=256"

/*
 * What the FUSE server needs to serve a guest's root user as a host's root user would be
 * served, and to create files as the guest's users (devices/fs/creds.c):
 *   CHOWN         a guest chown (SETATTR with uid or gid)
 *   DAC_OVERRIDE  guest root opening, listing, creating in what it does not own
 *   FOWNER        chmod, utimes and O_NOATIME on files the guest's root does not own
 *   FSETID        a guest's chmod that keeps set-gid outside its groups; writes that keep
 *                 set-id bits, as they would for root on the host
 *   SETUID/SETGID setfsuid/setfsgid to the requesting guest user around creating requests
 * The rest of the sandbox (KVM, its devices, sockets in the state directory, state.json)
 * runs on file descriptors and root's ownership and needs none.
 */
static const int base_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_SETUID, CAP_SETGID,
};

void jail__init(struct jail *j, const char *dir)
{
	memset(j, 0, sizeof(*j));
	j->dir = dir;
	for (size_t i = 0; i < sizeof(base_caps) / sizeof(base_caps[0]); i++)
		jail__keep_cap(j, base_caps[i]);
}

void jail__keep_cap(struct jail *j, int cap)
{
	j->caps |= 1ull << cap;
}

static bool bad_component(const char *path)
{
	for (const char *p = path; (p = strchr(p, '/')); p++)
		if (!strncmp(p, "/./", 3) || !strncmp(p, "/../", 4) || !strcmp(p, "/.") ||
		    !strcmp(p, "/..") || p[1] == '/')
			return true;
	return false;
}

int jail__expose(struct jail *j, const char *path, unsigned int flags, struct err **err)
{
	if (!path || path[0] != '/' || bad_component(path) || strlen(path) >= PATH_MAX / 2)
		return err_msg(err, "jail: '%s' is not a clean absolute path", path ? path : "");
	for (size_t i = 0; i < j->n_paths; i++) {
		if (strcmp(j->paths[i].path, path))
			continue;
		j->paths[i].flags &= flags;	/* read-only only if every user only reads */
		return 0;
	}
	if (j->n_paths == JAIL_PATHS_MAX)
		return err_msg(err, "jail: more than %d paths to bind", JAIL_PATHS_MAX);
	j->paths[j->n_paths++] = (struct jail_path){ .path = path, .flags = flags };
	return 0;
}

static void degrade(struct jail *j, const char *what)
{
	size_t n = strlen(j->degraded);

	snprintf(j->degraded + n, sizeof(j->degraded) - n, "%s%s", n ? "; " : "", what);
}

/* Whether path is dir or lies under it. */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n] || !strcmp(dir, "/"));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * An fd of a host directory opened before the jail is a way out of it: openat(fd, "..")
 * climbs the host's tree past the new root. Everything the sandbox opens later is opened
 * through the jail's binds, whose ".." stops at the jail.
 */
static int check_fds(struct err **err)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int ret = 0;

	if (!d)
		return err_errno(err, "jail: /proc/self/fd");
	while (!ret && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		char link[64], target[256] = "?";
		struct stat st;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (readlink(link, target, sizeof(target) - 1) < 0)
			strcpy(target, "?");
		ret = err_msg(err, "jail: fd %d is the host directory %s, a way out of the jail",
			      fd, target);
	}
	closedir(d);
	return ret;
}

/*
 * Makes the mountpoint for path in the jail's tmpfs: its directories, then an empty
 * directory or file. Every step is checked to stay on the tmpfs, so that nothing is ever
 * created in a host directory bound earlier.
 */
static int make_mountpoint(int root, dev_t dev, const char *path, bool dir, struct err **err)
{
	_cleanup_close_ int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
	char buf[PATH_MAX], *save = NULL, *c, *next;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (c = strtok_r(buf, "/", &save); c; c = next) {
		next = strtok_r(NULL, "/", &save);
		if (fstat(cur, &st) < 0 || st.st_dev != dev)
			return err_msg(err, "jail: %s: a parent is not the jail's own", path);
		if (!next && !dir) {
			int fd = openat(cur, c, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

			if (fd < 0)
				return err_errno(err, "jail: mountpoint for %s", path);
			close(fd);
			return 0;
		}
		if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
			return err_errno(err, "jail: mountpoint for %s", path);
		int fd = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return err_errno(err, "jail: mountpoint for %s", path);
		close(cur);
		cur = fd;
	}
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct jail_path *)a)->path, ((const struct jail_path *)b)->path);
}

/* Binds one path (and what is mounted under it) at the same place inside. */
static int bind_path(struct jail *j, int root, dev_t dev, const struct jail_path *p,
		     struct err **err)
{
	char target[PATH_MAX], copy[PATH_MAX];
	struct stat st;

	if (stat(p->path, &st) < 0)
		return err_errno(err, "jail: %s", p->path);
	if (make_mountpoint(root, dev, p->path, S_ISDIR(st.st_mode), err) < 0)
		return -1;
	snprintf(target, sizeof(target), "%s%s", j->dir, p->path);
	if (mount(p->path, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_errno(err, "jail: bind %s", p->path);
	/* The jail's own mount came along (its directory lies under this one): drop the copy. */
	if (under(j->dir, p->path)) {
		snprintf(copy, sizeof(copy), "%s%s", j->dir, j->dir);
		if (umount2(copy, MNT_DETACH) < 0)
			return err_errno(err, "jail: unmount %s", copy);
	}
	/* Only the top mount is made read-only; nothing the sandbox reads has mounts under it. */
	if (p->flags & JAIL_RO &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_errno(err, "jail: read-only %s", p->path);
	return 0;
}

/*
 * The FUSE server reaches its O_PATH fds as /proc/self/fd/N, and long socket paths go
 * through the state directory's fd the same way. Rather than a procfs, which would show every
 * host process (and /proc/<pid>/root leads out), the jail holds our own fd directory alone.
 * The bind is of this process's /proc/<pid>/fd; every thread shares that fd table.
 */
static int bind_own_fds(struct jail *j, int root, dev_t dev, struct err **err)
{
	char target[PATH_MAX];

	if (make_mountpoint(root, dev, "/proc/self/fd", true, err) < 0)
		return -1;
	snprintf(target, sizeof(target), "%s/proc/self/fd", j->dir);
	if (mount("/proc/self/fd", target, NULL, MS_BIND, NULL) < 0)
		return err_errno(err, "jail: bind /proc/self/fd");
	return 0;
}

/* A read-only bind stays writable where another path bound writable lies under it. */
static void settle_ro(struct jail *j)
{
	for (size_t i = 0; i < j->n_paths; i++)
		for (size_t k = 0; k < j->n_paths; k++)
			if (k != i && j->paths[i].flags & JAIL_RO && !(j->paths[k].flags & JAIL_RO) &&
			    under(j->paths[k].path, j->paths[i].path))
				j->paths[i].flags &= ~JAIL_RO;
}

static int build_root(struct jail *j, struct err **err)
{
	_cleanup_close_ int root = -1;
	struct stat st;

	/* Our mounts stay ours; the host's still arrive (as for the file shares). */
	if (unshare(CLONE_NEWNS) < 0)
		return err_errno(err, "jail: new mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_errno(err, "jail: make / a slave mount");
	if (mkdir(j->dir, 0700) < 0 && errno != EEXIST)
		return err_errno(err, "jail: mkdir %s", j->dir);
	if (mount("kage-jail", j->dir, "tmpfs", ROOT_FLAGS, ROOT_OPTS) < 0)
		return err_errno(err, "jail: tmpfs on %s", j->dir);
	root = open(j->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstat(root, &st) < 0)
		return err_errno(err, "jail: open %s", j->dir);
	settle_ro(j);
	qsort(j->paths, j->n_paths, sizeof(j->paths[0]), cmp_path);
	for (size_t i = 0; i < j->n_paths; i++) {
		bool covered = false;

		/* Under a path bound already: the recursive bind brought it. */
		for (size_t k = 0; k < i && !covered; k++)
			covered = under(j->paths[i].path, j->paths[k].path);
		if (!covered && bind_path(j, root, st.st_dev, &j->paths[i], err) < 0)
			return -1;
	}
	return bind_own_fds(j, root, st.st_dev, err);
}

/* Into the jail, with the host's tree detached; chroot on a root pivot_root refuses. */
static int switch_root(struct jail *j, struct err **err)
{
	if (chdir(j->dir) < 0)
		return err_errno(err, "jail: chdir %s", j->dir);
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return err_errno(err, "jail: detach the host's root");
	} else if (errno == EINVAL) {
		/* An initramfs root (rootfs) cannot be pivoted away: the host's tree stays
		 * mounted under the jail in our namespace, out of reach without CAP_SYS_CHROOT. */
		degrade(j, "pivot_root refused (initramfs root?): chroot, host tree not detached");
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return err_errno(err, "jail: move into %s", j->dir);
	} else {
		return err_errno(err, "jail: pivot_root into %s", j->dir);
	}
	if (chdir("/") < 0)
		return err_errno(err, "jail: chdir /");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | ROOT_FLAGS, NULL) < 0)
		return err_errno(err, "jail: read-only root");
	return 0;
}

static void own_namespaces(struct jail *j)
{
	if (unshare(CLONE_NEWIPC) < 0)
		degrade(j, "no IPC namespace (CONFIG_IPC_NS?): the host's SysV IPC stays visible");
	if (unshare(CLONE_NEWUTS) < 0)
		degrade(j, "no UTS namespace (CONFIG_UTS_NS?): the host's name stays settable");
}

static int set_limits(struct jail *j, struct err **err)
{
	struct rlimit none = { 0, 0 }, nofile = { j->nofile, j->nofile };

	/* No core file: it would hold guest memory (MADV_DONTDUMP too, vmm/gmem.c). */
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return err_errno(err, "jail: RLIMIT_CORE");
	if (!j->nofile || setrlimit(RLIMIT_NOFILE, &nofile) == 0)
		return 0;
	/* Raising the hard limit takes CAP_SYS_RESOURCE, which a container may not give us. */
	if (errno != EPERM || getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return err_errno(err, "jail: RLIMIT_NOFILE %llu", (unsigned long long)j->nofile);
	degrade(j, "RLIMIT_NOFILE stays at the hard limit kage was given (no CAP_SYS_RESOURCE)");
	nofile.rlim_cur = nofile.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return err_errno(err, "jail: RLIMIT_NOFILE");
	return 0;
}

static int drop_caps(struct jail *j, struct err **err)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
	for (int cap = 0; cap < 64; cap++) {
		if (j->caps & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;	/* past the kernel's last capability */
			return err_errno(err, "jail: drop capability %d from the bounding set", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_errno(err, "jail: clear the ambient capabilities");
	d[0].effective = d[0].permitted = (uint32_t)j->caps;
	d[1].effective = d[1].permitted = (uint32_t)(j->caps >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return err_errno(err, "jail: capset");
	return 0;
}

int jail__enter(struct jail *j, struct err **err)
{
	int threads = count_entries("/proc/self/task");

	if (threads != 1)
		return err_msg(err, "jail: the sandbox runs %d threads; it must be jailed before "
			       "any starts (mount namespace, capabilities and no_new_privs are "
			       "per thread)", threads);
	if (check_fds(err) < 0 || build_root(j, err) < 0 || switch_root(j, err) < 0)
		return -1;
	own_namespaces(j);
	if (set_limits(j, err) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(err, "jail: no_new_privs");
	return drop_caps(j, err);
}

/* The child of jail__probe: a jail with nothing bound, reported on fd. */
static int probe_child(const char *dir, int fd)
{
	struct jail j;
	_cleanup_err_ struct err *err = NULL;

	jail__init(&j, dir);
	if (jail__enter(&j, &err) < 0) {
		dprintf(fd, "%s", err->msg);
		return 2;
	}
	dprintf(fd, "%s", j.degraded);
	return j.degraded[0] ? 1 : 0;
}

int jail__probe(char *why, size_t size)
{
	char dir[] = "/tmp/kage-jail-probe.XXXXXX";
	int p[2], st = 0;
	ssize_t n;
	pid_t pid;

	why[0] = 0;
	if (!mkdtemp(dir)) {
		snprintf(why, size, "mkdtemp %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		rmdir(dir);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		_exit(probe_child(dir, p[1]));
	}
	close(p[1]);
	n = read(p[0], why, size - 1);
	why[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	rmdir(dir);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
		if (!why[0])
			snprintf(why, size, "the probe died (status %d)", st);
		return -1;
	}
	return WEXITSTATUS(st);
}
