/*
 * Operations on one inode as a whole: LOOKUP and FORGET, attributes (GETATTR, SETATTR),
 * READLINK, STATFS and ACCESS. Everything goes through the inode's O_PATH fd, and anything
 * that needs a real file reaches it through /proc/self/fd, never through a path we built.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "fs_int.h"

int op_lookup(struct fs_req *r)
{
	const char *name = fs_arg_name(r);
	struct fuse_entry_out e;
	struct fs_inode *dir;
	int ret;

	if (!name)
		return -EINVAL;
	dir = inode__get(r->s, r->h.nodeid);
	if (!dir)
		return -ENOENT;
	ret = inode__lookup(r->s, dir, dir->fd, name, &e);
	inode__put(r->s, dir);
	if (ret < 0)
		return ret;
	return fs_reply(r, &e, sizeof(e));
}

int op_forget(struct fs_req *r)
{
	struct fuse_forget_in f;

	r->noreply = true;
	if (fs_arg(r, &f, sizeof(f)) == 0)
		inode__forget(r->s, r->h.nodeid, f.nlookup);
	return 0;
}

int op_batch_forget(struct fs_req *r)
{
	struct fuse_batch_forget_in b;
	struct fuse_forget_one one;

	r->noreply = true;
	if (fs_arg(r, &b, sizeof(b)) < 0)
		return 0;
	/* The count is the guest's word; the request's length is what bounds the loop. */
	for (uint32_t i = 0; i < b.count && fs_arg(r, &one, sizeof(one)) == 0; i++)
		inode__forget(r->s, one.nodeid, one.nlookup);
	return 0;
}

static int reply_attr(struct fs_req *r, int fd)
{
	struct fuse_attr_out a = { .attr_valid = r->s->timeout };
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	fs_fill_attr(r->s, &a.attr, &st);
	return fs_reply(r, &a, sizeof(a));
}

int op_getattr(struct fs_req *r)
{
	struct fuse_getattr_in g;
	struct fs_inode *i;
	int ret;

	/* The inode's own fd answers for an open handle too: both name the same file. */
	if (fs_arg(r, &g, sizeof(g)) < 0)
		return -EINVAL;
	i = inode__get(r->s, r->h.nodeid);
	if (!i)
		return -ENOENT;
	ret = reply_attr(r, i->fd);
	inode__put(r->s, i);
	return ret;
}

static int set_size(struct fs_req *r, struct fs_inode *i, struct fs_handle *h, uint64_t size)
{
	_cleanup_close_ int fd = -1;

	if (size > INT64_MAX)
		return -EINVAL;
	if (h)
		return ftruncate(h->fd, (off_t)size) < 0 ? -errno : 0;
	if (i->type == S_IFDIR)
		return -EISDIR;
	if (i->type != S_IFREG)
		return -EINVAL;
	fd = fs_proc_open(r->s, i->fd, O_WRONLY);
	if (fd < 0)
		return -errno;
	return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
}

static struct timespec attr_time(uint32_t valid, uint32_t set, uint32_t now, uint64_t sec,
				 uint32_t nsec)
{
	if (valid & now)
		return (struct timespec){ .tv_nsec = UTIME_NOW };
	if (valid & set)
		return (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = nsec };
	return (struct timespec){ .tv_nsec = UTIME_OMIT };
}

static int set_times(struct fs_req *r, struct fs_inode *i, struct fs_handle *h,
		     const struct fuse_setattr_in *a)
{
	struct timespec ts[2] = {
		attr_time(a->valid, FATTR_ATIME, FATTR_ATIME_NOW, a->atime, a->atimensec),
		attr_time(a->valid, FATTR_MTIME, FATTR_MTIME_NOW, a->mtime, a->mtimensec),
	};
	char name[16];

	if (h)
		return futimens(h->fd, ts) < 0 ? -errno : 0;
	/* Through /proc the magic link would be followed on into a symlink's target. */
	if (i->type == S_IFLNK)
		return utimensat(i->fd, "", ts, AT_EMPTY_PATH) < 0 ? -errno : 0;
	fs_fd_name(name, i->fd);
	return utimensat(r->s->proc_fd, name, ts, 0) < 0 ? -errno : 0;
}

static int set_mode(struct fs_req *r, struct fs_inode *i, struct fs_handle *h, mode_t mode)
{
	char name[16];

	if (h)
		return fchmod(h->fd, mode) < 0 ? -errno : 0;
	if (i->type == S_IFLNK)
		return -EOPNOTSUPP;
	fs_fd_name(name, i->fd);
	return fchmodat(r->s->proc_fd, name, mode, 0) < 0 ? -errno : 0;
}

static int setattr(struct fs_req *r, struct fs_inode *i, struct fs_handle *h,
		   const struct fuse_setattr_in *a)
{
	int ret = 0;

	if (a->valid & FATTR_MODE)
		ret = set_mode(r, i, h, a->mode & 07777);
	if (!ret && a->valid & (FATTR_UID | FATTR_GID)) {
		uid_t uid = a->valid & FATTR_UID ? a->uid : (uid_t)-1;
		gid_t gid = a->valid & FATTR_GID ? a->gid : (gid_t)-1;

		if (fchownat(i->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			ret = -errno;
	}
	if (!ret && a->valid & FATTR_SIZE)
		ret = set_size(r, i, h, a->size);
	if (!ret && a->valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW))
		ret = set_times(r, i, h, a);
	return ret;
}

int op_setattr(struct fs_req *r)
{
	struct fuse_setattr_in a;
	struct fs_handle *h = NULL;
	struct fs_inode *i;
	bool held;
	int ret;

	if (fs_arg(r, &a, sizeof(a)) < 0)
		return -EINVAL;
	i = inode__get(r->s, r->h.nodeid);
	if (!i)
		return -ENOENT;
	if (a.valid & FATTR_FH) {
		h = handle__get(r->s, a.fh, false);
		if (!h) {
			inode__put(r->s, i);
			return -EBADF;
		}
	}
	held = policy__hold(r->s, a.valid & (FATTR_MODE | FATTR_UID | FATTR_GID));
	ret = policy__setattr(r, i, &a);
	if (!ret)
		ret = setattr(r, i, h, &a);
	policy__release(r->s, held);
	if (!ret)
		ret = reply_attr(r, i->fd);
	handle__put(r->s, h);
	inode__put(r->s, i);
	return ret;
}

int op_readlink(struct fs_req *r)
{
	char buf[PATH_MAX];
	struct fs_inode *i = inode__get(r->s, r->h.nodeid);
	ssize_t n;

	if (!i)
		return -ENOENT;
	/* Only the link's text goes back; the server itself never follows it. */
	n = i->type == S_IFLNK ? readlinkat(i->fd, "", buf, sizeof(buf)) : (errno = EINVAL, -1);
	inode__put(r->s, i);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf))
		return -ENAMETOOLONG;
	return fs_reply(r, buf, n);
}

int op_statfs(struct fs_req *r)
{
	struct fuse_statfs_out o = { 0 };
	struct fs_inode *i = inode__get(r->s, r->h.nodeid);
	struct statfs st;
	int ret;

	if (!i)
		return -ENOENT;
	ret = fstatfs(i->fd, &st);
	inode__put(r->s, i);
	if (ret < 0)
		return -errno;
	o.st.blocks = st.f_blocks;
	o.st.bfree = st.f_bfree;
	o.st.bavail = st.f_bavail;
	o.st.files = st.f_files;
	o.st.ffree = st.f_ffree;
	o.st.bsize = st.f_bsize;
	o.st.namelen = st.f_namelen;
	o.st.frsize = st.f_frsize;
	return fs_reply(r, &o, sizeof(o));
}

int op_access(struct fs_req *r)
{
	struct fuse_access_in a;
	struct fs_creds c;
	struct fs_inode *i;
	char name[16];
	int ret = 0;

	if (fs_arg(r, &a, sizeof(a)) < 0)
		return -EINVAL;
	if (a.mask & W_OK && r->s->opts.readonly)
		return -EROFS;
	i = inode__get(r->s, r->h.nodeid);
	if (!i)
		return -ENOENT;
	/* A symlink's permissions mean nothing, and following it is not ours to do. */
	if (i->type != S_IFLNK) {
		fs_fd_name(name, i->fd);
		creds__enter(r, &c);
		if (faccessat(r->s->proc_fd, name, a.mask & (R_OK | W_OK | X_OK), AT_EACCESS) < 0)
			ret = -errno;
		creds__leave(&c);
	}
	inode__put(r->s, i);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}
