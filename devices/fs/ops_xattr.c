/*
 * Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. There are no *at() forms
 * for these, so they reach the inode through its /proc/self/fd magic link. A size-0 GET or
 * LIST asks only how big the answer is; a buffer too small for it is ERANGE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "../../lib/cleanup.h"
#include "fs_int.h"

#ifndef XATTR_NAME_MAX
#define XATTR_NAME_MAX 255
#endif
#ifndef XATTR_SIZE_MAX
#define XATTR_SIZE_MAX 65536
#endif
#ifndef XATTR_LIST_MAX
#define XATTR_LIST_MAX 65536
#endif

/*
 * The inode's /proc path. Symlinks get -EOPNOTSUPP: through the magic link the call would
 * act on the proc link, and following the symlink is never ours to do.
 */
static int xattr_path(struct fs_req *r, char *path, size_t len, struct fs_inode **out)
{
	struct fs_inode *i = inode__get(r->s, r->h.nodeid);

	if (!i)
		return -ENOENT;
	if (i->type == S_IFLNK) {
		inode__put(r->s, i);
		return -EOPNOTSUPP;
	}
	fs_proc_path(path, len, i->fd);
	*out = i;
	return 0;
}

static const char *xattr_name(struct fs_req *r)
{
	const char *n = fs_arg_str(r, XATTR_NAME_MAX);

	return n && *n ? n : NULL;
}

/* We do not claim FUSE_POSIX_ACL: ACLs stay out rather than half-work host-side. */
static bool is_acl(const char *name)
{
	return !strncmp(name, "system.posix_acl_", 17);
}

int op_setxattr(struct fs_req *r)
{
	/* Without FUSE_SETXATTR_EXT the kernel sends only size and flags. */
	struct fuse_setxattr_in in = { 0 };
	struct fs_inode *i;
	const char *name;
	char path[32];
	int ret;

	if (fs_arg(r, &in, FUSE_COMPAT_SETXATTR_IN_SIZE) < 0 || !(name = xattr_name(r)))
		return -EINVAL;
	if (in.size > XATTR_SIZE_MAX || in.size > r->arglen - r->argpos ||
	    in.flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (is_acl(name))
		return -EOPNOTSUPP;
	if (policy__setxattr(r->s, name) < 0)
		return -EPERM;
	ret = xattr_path(r, path, sizeof(path), &i);
	if (ret < 0)
		return ret;
	ret = setxattr(path, name, r->arg + r->argpos, in.size, (int)in.flags) < 0 ? -errno : 0;
	inode__put(r->s, i);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

/* GETXATTR (name set) and LISTXATTR (name NULL): the size alone, or the data. */
static int size_or_data(struct fs_req *r, uint32_t size, size_t max, const char *name)
{
	struct fuse_getxattr_out o = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t room = r->out_room - sizeof(struct fuse_out_header);
	struct fs_inode *i;
	char path[32];
	ssize_t n;
	int ret;

	if (size > max)
		size = max;
	if (size > room)
		size = room;
	if (size) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
	}
	ret = xattr_path(r, path, sizeof(path), &i);
	/* A symlink has no attributes we will show: none, rather than an error for `ls -l`. */
	if (ret == -EOPNOTSUPP)
		return name ? -ENODATA : size ? fs_reply(r, NULL, 0) : fs_reply(r, &o, sizeof(o));
	if (ret < 0)
		return ret;
	n = name ? getxattr(path, name, buf, size) : listxattr(path, buf, size);
	inode__put(r->s, i);
	if (n < 0)
		return -errno;
	if (!size) {
		o.size = (uint32_t)n;
		return fs_reply(r, &o, sizeof(o));
	}
	return fs_reply(r, buf, n);
}

int op_getxattr(struct fs_req *r)
{
	struct fuse_getxattr_in in;
	const char *name;

	if (fs_arg(r, &in, sizeof(in)) < 0 || !(name = xattr_name(r)))
		return -EINVAL;
	if (is_acl(name))
		return -EOPNOTSUPP;
	return size_or_data(r, in.size, XATTR_SIZE_MAX, name);
}

int op_listxattr(struct fs_req *r)
{
	struct fuse_getxattr_in in;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return size_or_data(r, in.size, XATTR_LIST_MAX, NULL);
}

/*
 * No policy here: taking an attribute away gives nothing to run as root (a capability goes,
 * a label goes), and a guest that may write in the directory could replace the file anyway.
 */
int op_removexattr(struct fs_req *r)
{
	const char *name = xattr_name(r);
	struct fs_inode *i;
	char path[32];
	int ret;

	if (!name)
		return -EINVAL;
	if (is_acl(name))
		return -EOPNOTSUPP;
	ret = xattr_path(r, path, sizeof(path), &i);
	if (ret < 0)
		return ret;
	ret = removexattr(path, name) < 0 ? -errno : 0;
	inode__put(r->s, i);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}
