/*
 * Bind mounts of files, shared one file at a time (plan.h): the guest gets a directory
 * holding only the bound files, each the source file's own inode, never the directory the
 * source sits in (Docker's /etc/hosts lies beside the container's config.v2.json).
 */
#include "plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../oci/spec.h"

/* Its files are empty mountpoints; read-only once they are made. */
#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

int oci_guest__files_dir(const char *files, bool ro, char *buf, size_t size, struct err **err)
{
	if ((size_t)snprintf(buf, size, "%s/%s", files, ro ? "ro" : "rw") >= size)
		return err_msg(err, "%s: path too long", files);
	return 0;
}

static bool binds_a_file(const struct oci_mount *m)
{
	struct stat st;

	return oci_guest__is_bind(m) && m->source && stat(m->source, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/*
 * A mount namespace of the sandbox's own: the host's mounts still arrive in it (slave), and
 * what we mount stays in it, gone with the sandbox, never in the host's mount table.
 */
static int private_mounts(struct err **err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return err_errno(err, "a mount namespace for the file bind mounts");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_errno(err, "make / a slave mount");
	return 0;
}

static int make_tmpfs(const char *files, size_t n_mounts, struct err **err)
{
	char opts[80], dir[PATH_MAX];

	/* An inode for each mountpoint, the two directories and the root. */
	snprintf(opts, sizeof(opts), "mode=0755,size=16k,nr_inodes=%zu", n_mounts + 3);
	if (mkdir(files, 0700) < 0 && errno != EEXIST)
		return err_errno(err, "mkdir %s", files);
	if (mount("kage-files", files, "tmpfs", TMPFS_FLAGS, opts) < 0)
		return err_errno(err, "tmpfs on %s", files);
	for (int ro = 0; ro < 2; ro++) {
		if (oci_guest__files_dir(files, ro, dir, sizeof(dir), err) < 0)
			return -1;
		if (mkdir(dir, 0755) < 0)
			return err_errno(err, "mkdir %s", dir);
	}
	return 0;
}

/*
 * Mount i's source onto an empty file named i in its directory. The source is opened once,
 * and that very file is checked and bound: a path swapped meanwhile cannot slip a directory
 * in. One that is no longer a file is skipped, and bind_source finds no entry for it.
 */
static int bind_one(const char *files, const struct oci_mount *m, size_t i, struct err **err)
{
	_cleanup_close_ int src = open(m->source, O_PATH | O_CLOEXEC);
	_cleanup_close_ int t = -1;
	char dir[PATH_MAX], target[PATH_MAX], from[32];
	bool ro = oci_guest__is_ro(m);
	struct stat st;

	if (src < 0)
		return err_errno(err, "bind mount source %s", m->source);
	if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (oci_guest__files_dir(files, ro, dir, sizeof(dir), err) < 0)
		return -1;
	if ((size_t)snprintf(target, sizeof(target), "%s/%zu", dir, i) >= sizeof(target))
		return err_msg(err, "%s: path too long", dir);
	snprintf(from, sizeof(from), "/proc/self/fd/%d", src);
	t = open(target, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (t < 0)
		return err_errno(err, "create %s", target);
	if (mount(from, target, NULL, MS_BIND, NULL) < 0)
		return err_errno(err, "bind %s on %s", m->source, target);
	/* The share refuses writes already; the mount says so too. */
	if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_errno(err, "read-only %s", target);
	return 0;
}

int oci_guest__share_files(const struct oci_spec *s, const char *files, struct err **err)
{
	size_t i;

	for (i = 0; i < s->n_mounts && !binds_a_file(&s->mounts[i]); i++)
		;
	if (i == s->n_mounts)
		return 0;
	if (private_mounts(err) < 0 || make_tmpfs(files, s->n_mounts, err) < 0)
		return -1;
	for (i = 0; i < s->n_mounts; i++)
		if (oci_guest__is_bind(&s->mounts[i]) && s->mounts[i].source &&
		    bind_one(files, &s->mounts[i], i, err) < 0)
			return err_prefix(err, "mounts[%zu] on %s", i, s->mounts[i].destination);
	/* Nothing more to create there: a guest's CREATE in a rw share meets EROFS. */
	if (mount(NULL, files, NULL, MS_REMOUNT | MS_RDONLY | TMPFS_FLAGS, NULL) < 0)
		return err_errno(err, "read-only %s", files);
	return 0;
}

int oci_guest__file_entry(const char *dir, const char *source, char *name, size_t size,
			  struct err **err)
{
	struct stat want, st;
	struct dirent *e;
	bool found = false;
	DIR *d;

	if (stat(source, &want) < 0)
		return err_errno(err, "bind mount source %s", source);
	d = opendir(dir);
	if (!d)
		return err_errno(err, "open %s", dir);
	/* Bound files are their sources' inodes: the entry is the one that is this file. */
	while (!found && (e = readdir(d)))
		found = e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
			st.st_dev == want.st_dev && st.st_ino == want.st_ino &&
			(size_t)snprintf(name, size, "%s", e->d_name) < size;
	closedir(d);
	if (!found)
		return err_msg(err, "bind mount source %s is not the file it was when the VM "
			       "was made", source);
	return 0;
}
