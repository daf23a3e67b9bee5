/*
 * Operations on open files: OPEN and CREATE make a handle, READ and WRITE move data straight
 * between the file and the request's segments, and the rest (FLUSH, FSYNC, FALLOCATE, LSEEK,
 * COPY_FILE_RANGE, RELEASE) act on a handle the guest names by its fh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/iov.h"
#include "fs_int.h"

/*
 * The open flags a guest may pass on. O_CREAT and O_EXCL are ours to set, O_NOFOLLOW cannot
 * apply to a /proc/self/fd reopen (the type check replaces it), and O_DIRECT would put the
 * guest's alignment rules on the host's file system.
 */
static int io_flags(uint32_t f)
{
	return (int)f & (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME);
}

static uint32_t open_flags(const struct fuse_server *s)
{
	if (s->opts.cache == FS_CACHE_NONE)
		return FOPEN_DIRECT_IO;
	return s->opts.cache == FS_CACHE_ALWAYS ? FOPEN_KEEP_CACHE : 0;
}

/* Only regular files are opened for I/O: a symlink is never followed, a FIFO never blocks us. */
static int type_error(mode_t type)
{
	return type == S_IFLNK ? -ELOOP : type == S_IFDIR ? -EISDIR : -EACCES;
}

int op_open(struct fs_req *r)
{
	struct fuse_open_in in;
	struct fuse_open_out o = { 0 };
	struct fs_inode *i;
	int fd, ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (r->s->opts.readonly && ((in.flags & O_ACCMODE) != O_RDONLY || in.flags & O_TRUNC))
		return -EROFS;
	i = inode__get(r->s, r->h.nodeid);
	if (!i)
		return -ENOENT;
	fd = i->type == S_IFREG ? fs_proc_open(r->s, i->fd, io_flags(in.flags)) : -1;
	ret = i->type != S_IFREG ? type_error(i->type) : fd < 0 ? -errno : 0;
	inode__put(r->s, i);
	if (ret < 0)
		return ret;
	ret = handle__add(r->s, fd, false, &o.fh);
	if (ret < 0)
		return ret;
	o.open_flags = open_flags(r->s);
	return fs_reply(r, &o, sizeof(o));
}

/*
 * Opens or creates `name` under dir for I/O. *created says whether the file is new; an
 * existing one is checked to be a regular file before it is opened.
 */
static int create_open(struct fs_req *r, struct fs_inode *dir, const char *name,
		       const struct fuse_create_in *in, bool *created)
{
	int fl = io_flags(in->flags) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int pfd = -1;
	struct stat st;
	int fd;

	*created = true;
	fd = openat(dir->fd, name, fl, in->mode & 07777);
	if (fd >= 0 || errno != EEXIST || in->flags & O_EXCL)
		return fd < 0 ? -errno : fd;
	*created = false;
	pfd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstatat(pfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return type_error(st.st_mode & S_IFMT);
	fd = fs_proc_open(r->s, pfd, io_flags(in->flags));
	return fd < 0 ? -errno : fd;
}

int op_create(struct fs_req *r)
{
	struct fuse_create_in in;
	struct fuse_entry_out e;
	struct fuse_open_out o = { .open_flags = open_flags(r->s) };
	_cleanup_close_ int fd = -1;
	struct fs_inode *dir;
	const char *name;
	struct fs_creds c;
	bool created, held;
	struct stat st;
	int ret;

	if (fs_arg(r, &in, sizeof(in)) < 0 || !(name = fs_arg_name(r)))
		return -EINVAL;
	dir = inode__get(r->s, r->h.nodeid);
	if (!dir)
		return -ENOENT;
	/* Refused even where the name exists: the mode asked for is the guest's intent. */
	held = policy__hold(r->s, in.mode & (S_ISUID | S_ISGID));
	ret = policy__create(r, dir, S_IFREG | (in.mode & 07777));
	if (ret == 0) {
		creds__enter(r, &c);
		fd = create_open(r, dir, name, &in, &created);
		/* The guest's umask is applied already; the host process's must not take more. */
		if (fd >= 0 && created && fstat(fd, &st) == 0 &&
		    (st.st_mode & 0777) != (in.mode & 0777))
			fchmod(fd, (st.st_mode & 07000) | (in.mode & 0777));
		creds__leave(&c);
	}
	policy__release(r->s, held);
	inode__put(r->s, dir);
	if (ret < 0)
		return ret;
	if (fd < 0)
		return fd;	/* -errno */
	/* The inode is the very file we opened, whatever happened to the name since. */
	ret = fs_proc_open(r->s, fd, O_PATH);
	if (ret < 0)
		return -errno;
	ret = inode__entry_from_fd(r->s, ret, &e);
	if (ret < 0)
		return ret;
	ret = handle__add(r->s, TAKE_FD(fd), false, &o.fh);
	if (ret < 0) {
		inode__forget(r->s, e.nodeid, 1);
		return ret;
	}
	return fs_reply2(r, &e, sizeof(e), &o, sizeof(o));
}

int op_read(struct fs_req *r)
{
	struct fuse_read_in in;
	_cleanup_free_ struct iovec *iov = NULL;
	struct fs_handle *h;
	size_t len;
	unsigned int n;
	ssize_t got;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	/* The data goes where the reply's body goes, and no further than the segments reach. */
	len = r->out_room - sizeof(struct fuse_out_header);
	if (in.size < len)
		len = in.size;
	iov = calloc(r->n_out ? r->n_out : 1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	n = iov__slice(r->out, r->n_out, sizeof(struct fuse_out_header), len, iov);
	h = handle__get(r->s, in.fh, false);
	if (!h)
		return -EBADF;
	got = n ? preadv(h->fd, iov, n, (off_t)in.offset) : 0;
	handle__put(r->s, h);
	if (got < 0)
		return -errno;
	return fs_reply_placed(r, got);
}

int op_write(struct fs_req *r)
{
	struct fuse_write_in in;
	struct fuse_write_out o = { 0 };
	_cleanup_free_ struct iovec *iov = NULL;
	size_t skip = sizeof(struct fuse_in_header) + sizeof(in);
	struct fs_handle *h;
	unsigned int n;
	ssize_t done;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	/* The data must lie inside the request the header describes. */
	if (in.size > r->h.len - skip || in.offset > INT64_MAX)
		return -EINVAL;
	iov = calloc(r->n_in, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	n = iov__slice(r->in, r->n_in, skip, in.size, iov);
	h = handle__get(r->s, in.fh, false);
	if (!h)
		return -EBADF;
	done = n ? pwritev(h->fd, iov, n, (off_t)in.offset) : 0;
	handle__put(r->s, h);
	if (done < 0)
		return -errno;
	o.size = (uint32_t)done;
	return fs_reply(r, &o, sizeof(o));
}

int op_release(struct fs_req *r)
{
	struct fuse_release_in in;
	int ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = handle__release(r->s, in.fh, false);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

/* Runs fn on the file handle `fh` and replies with no body. */
static int on_handle(struct fs_req *r, uint64_t fh, int (*fn)(int fd, const void *arg),
		     const void *arg)
{
	struct fs_handle *h = handle__get(r->s, fh, false);
	int ret;

	if (!h)
		return -EBADF;
	ret = fn(h->fd, arg);
	handle__put(r->s, h);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

static int do_flush(int fd, const void *arg)
{
	/* No locks, and the fd stays open until RELEASE: nothing to do at close(). */
	return 0;
}

int op_flush(struct fs_req *r)
{
	struct fuse_flush_in in;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return on_handle(r, in.fh, do_flush, NULL);
}

static int do_fsync(int fd, const void *arg)
{
	const struct fuse_fsync_in *in = arg;
	int ret = in->fsync_flags & FUSE_FSYNC_FDATASYNC ? fdatasync(fd) : fsync(fd);

	return ret < 0 ? -errno : 0;
}

int op_fsync(struct fs_req *r)
{
	struct fuse_fsync_in in;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return on_handle(r, in.fh, do_fsync, &in);
}

static int do_fallocate(int fd, const void *arg)
{
	const struct fuse_fallocate_in *in = arg;

	if (in->offset > INT64_MAX || in->length > INT64_MAX)
		return -EINVAL;
	return fallocate(fd, (int)in->mode, (off_t)in->offset, (off_t)in->length) < 0 ? -errno : 0;
}

int op_fallocate(struct fs_req *r)
{
	struct fuse_fallocate_in in;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return on_handle(r, in.fh, do_fallocate, &in);
}

int op_lseek(struct fs_req *r)
{
	struct fuse_lseek_in in;
	struct fuse_lseek_out o;
	struct fs_handle *h;
	off_t off;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	/* Only the kernel's two: the handle's own position means nothing to pread/pwrite. */
	if ((in.whence != SEEK_DATA && in.whence != SEEK_HOLE) || in.offset > INT64_MAX)
		return -EINVAL;
	h = handle__get(r->s, in.fh, false);
	if (!h)
		return -EBADF;
	off = lseek(h->fd, (off_t)in.offset, (int)in.whence);
	handle__put(r->s, h);
	if (off < 0)
		return -errno;
	o.offset = (uint64_t)off;
	return fs_reply(r, &o, sizeof(o));
}

int op_copy_file_range(struct fs_req *r)
{
	struct fuse_copy_file_range_in in;
	struct fuse_write_out o = { 0 };
	struct fs_handle *hi, *ho;
	off_t off_in, off_out;
	ssize_t done;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.flags || in.off_in > INT64_MAX || in.off_out > INT64_MAX)
		return -EINVAL;
	off_in = (off_t)in.off_in;
	off_out = (off_t)in.off_out;
	hi = handle__get(r->s, in.fh_in, false);
	ho = handle__get(r->s, in.fh_out, false);
	if (hi && ho)
		/* The reply counts in 32 bits; the kernel loops for the rest. */
		done = copy_file_range(hi->fd, &off_in, ho->fd, &off_out,
				       in.len < (1u << 30) ? in.len : (1u << 30), 0);
	else
		done = -1, errno = EBADF;
	handle__put(r->s, hi);
	handle__put(r->s, ho);
	if (done < 0)
		return -errno;
	o.size = (uint32_t)done;
	return fs_reply(r, &o, sizeof(o));
}
