/*
 * Operations that change names in a directory: MKDIR, MKNOD, SYMLINK, LINK, UNLINK, RMDIR,
 * RENAME and RENAME2. Each acts on one component under a parent's O_PATH fd; the creating
 * ones run with the guest user's fsuid/fsgid so new files belong to the guest's user.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_int.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/*
 * Registers what was just created as `name` and gives it the permission bits the guest asked
 * for: the kernel already applied the guest's umask, and the host process's own umask must
 * not take more away.
 */
static int new_entry(struct fs_req *r, struct fs_inode *dir, const char *name, mode_t mode,
		     struct fuse_entry_out *e)
{
	int fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char n[16];

	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISLNK(st.st_mode) && (st.st_mode & 0777) != (mode & 0777)) {
		fs_fd_name(n, fd);
		fchmodat(r->s->proc_fd, n, (st.st_mode & 07000) | (mode & 0777), 0);
	}
	return inode__entry_from_fd(r->s, fd, e);
}

/* The common shape of MKDIR, MKNOD and SYMLINK: `make` runs as the guest user. */
static int create_node(struct fs_req *r, const char *name, mode_t mode, dev_t rdev,
		       const char *target)
{
	struct fuse_entry_out e;
	struct fs_inode *dir;
	struct fs_creds c;
	bool held;
	int ret;

	if (!name)
		return -EINVAL;
	dir = inode__get(r->s, r->h.nodeid);
	if (!dir)
		return -ENOENT;
	held = policy__hold(r->s, !target && mode & (S_ISUID | S_ISGID));
	ret = target ? 0 : policy__create(r, dir, mode);
	if (ret == 0) {
		creds__enter(r, &c);
		if (target)
			ret = symlinkat(target, dir->fd, name);
		else if (S_ISDIR(mode))
			ret = mkdirat(dir->fd, name, mode & 07777);
		else
			ret = mknodat(dir->fd, name, mode, rdev);
		ret = ret < 0 ? -errno : new_entry(r, dir, name, target ? 0777 : mode, &e);
		creds__leave(&c);
	}
	policy__release(r->s, held);
	inode__put(r->s, dir);
	if (ret < 0)
		return ret;
	return fs_reply(r, &e, sizeof(e));
}

int op_mkdir(struct fs_req *r)
{
	struct fuse_mkdir_in m;

	if (fs_arg(r, &m, sizeof(m)) < 0)
		return -EINVAL;
	return create_node(r, fs_arg_name(r), S_IFDIR | (m.mode & 07777), 0, NULL);
}

int op_mknod(struct fs_req *r)
{
	struct fuse_mknod_in m;
	/* The kernel's 32-bit dev_t encoding (new_encode_dev). */
	unsigned int maj, min;

	if (fs_arg(r, &m, sizeof(m)) < 0)
		return -EINVAL;
	maj = (m.rdev & 0xfff00) >> 8;
	min = (m.rdev & 0xff) | ((m.rdev >> 12) & 0xfff00);
	if (S_ISDIR(m.mode) || S_ISLNK(m.mode))
		return -EINVAL;
	if (policy__mknod(r->s, m.mode, m.rdev) < 0)
		return -EPERM;
	return create_node(r, fs_arg_name(r), m.mode, makedev(maj, min), NULL);
}

int op_symlink(struct fs_req *r)
{
	const char *name = fs_arg_name(r);
	/* The target is stored as text and never resolved here. */
	const char *target = name ? fs_arg_str(r, PATH_MAX - 1) : NULL;

	if (!target)
		return -EINVAL;
	return create_node(r, name, S_IFLNK, 0, target);
}

int op_link(struct fs_req *r)
{
	struct fuse_link_in l;
	struct fuse_entry_out e;
	struct fs_inode *old, *dir;
	const char *name;
	struct fs_creds c;
	char n[16];
	int ret;

	if (fs_arg(r, &l, sizeof(l)) < 0 || !(name = fs_arg_name(r)))
		return -EINVAL;
	old = inode__get(r->s, l.oldnodeid);
	dir = inode__get(r->s, r->h.nodeid);
	if (!old || !dir) {
		ret = -ENOENT;
		goto out;
	}
	if (old->type == S_IFDIR) {
		ret = -EPERM;
		goto out;
	}
	/*
	 * Through /proc rather than AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH that a
	 * switched fsuid no longer has; the magic link lands on the inode itself, even a symlink.
	 */
	fs_fd_name(n, old->fd);
	creds__enter(r, &c);
	ret = linkat(r->s->proc_fd, n, dir->fd, name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
	creds__leave(&c);
	if (!ret) {
		int fd = fcntl(old->fd, F_DUPFD_CLOEXEC, 0);

		ret = fd < 0 ? -errno : inode__entry_from_fd(r->s, fd, &e);
	}
out:
	inode__put(r->s, old);
	inode__put(r->s, dir);
	if (ret < 0)
		return ret;
	return fs_reply(r, &e, sizeof(e));
}

static int remove_name(struct fs_req *r, int flags)
{
	const char *name = fs_arg_name(r);
	struct fs_inode *dir;
	int ret;

	if (!name)
		return -EINVAL;
	dir = inode__get(r->s, r->h.nodeid);
	if (!dir)
		return -ENOENT;
	ret = unlinkat(dir->fd, name, flags) < 0 ? -errno : 0;
	inode__put(r->s, dir);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

int op_unlink(struct fs_req *r)
{
	return remove_name(r, 0);
}

int op_rmdir(struct fs_req *r)
{
	return remove_name(r, AT_REMOVEDIR);
}

static int rename_names(struct fs_req *r, uint64_t newdir, uint32_t flags)
{
	const char *oldname = fs_arg_name(r);
	const char *newname = oldname ? fs_arg_name(r) : NULL;
	struct fs_inode *od, *nd;
	int ret;

	if (!newname || flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	od = inode__get(r->s, r->h.nodeid);
	nd = inode__get(r->s, newdir);
	if (od && nd) {
		/* musl has no renameat2() wrapper. */
		ret = syscall(SYS_renameat2, od->fd, oldname, nd->fd, newname, flags);
		ret = ret < 0 ? -errno : 0;
	} else {
		ret = -ENOENT;
	}
	inode__put(r->s, od);
	inode__put(r->s, nd);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

int op_rename(struct fs_req *r)
{
	struct fuse_rename_in a;

	if (fs_arg(r, &a, sizeof(a)) < 0)
		return -EINVAL;
	return rename_names(r, a.newdir, 0);
}

int op_rename2(struct fs_req *r)
{
	struct fuse_rename2_in a;

	if (fs_arg(r, &a, sizeof(a)) < 0)
		return -EINVAL;
	return rename_names(r, a.newdir, a.flags);
}
