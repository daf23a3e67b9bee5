/*
 * Directory handles: OPENDIR, READDIR and READDIRPLUS, FSYNCDIR, RELEASEDIR. Offsets are the
 * host file system's own getdents cookies, so a listing resumes exactly where the last reply
 * stopped; an entry that does not fit is left for the next call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "fs_int.h"

/* What getdents64 writes (musl has no struct for it). */
struct dent64 {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};
#define DENT_HDR offsetof(struct dent64, name)

struct dir_fill {
	struct fuse_server *s;
	struct fs_inode *dir;
	int dirfd;
	bool plus;
	uint8_t *buf;
	size_t room, used;
};

static bool is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Appends one entry; false when it does not fit. */
static bool add_entry(struct dir_fill *f, const struct dent64 *d, const char *name, size_t len)
{
	size_t hdr = f->plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t size = FUSE_DIRENT_ALIGN(hdr + len);
	struct fuse_dirent de = { .ino = d->ino, .off = (uint64_t)d->off, .namelen = len,
				  .type = d->type };
	uint8_t *p = f->buf + f->used;

	if (size > f->room - f->used)
		return false;
	/* The share root's ".." is the root itself, as LOOKUP has it. */
	if (f->dir == f->s->root && len == 2 && !memcmp(name, "..", 2))
		de.ino = f->dir->ino;
	memset(p, 0, size);
	if (f->plus) {
		struct fuse_entry_out e = { 0 };
		char cname[256];

		/* Each entry returned with a nodeid is a lookup reference; "." and ".." are not. */
		if (!is_dot(name, len) && len < sizeof(cname)) {
			memcpy(cname, name, len);
			cname[len] = 0;
			if (inode__lookup(f->s, f->dir, f->dirfd, cname, &e) < 0)
				memset(&e, 0, sizeof(e));
		}
		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	memcpy(p, &de, FUSE_NAME_OFFSET);
	memcpy(p + FUSE_NAME_OFFSET, name, len);
	f->used += size;
	return true;
}

/* Reads entries from `offset` on until the reply is full or the directory ends. */
static int fill(struct dir_fill *f, uint64_t offset)
{
	size_t dsz = f->room < 4096 ? 4096 : f->room > 65536 ? 65536 : f->room;
	_cleanup_free_ uint8_t *db = malloc(dsz);
	long n, pos;

	if (!db)
		return -ENOMEM;
	if (lseek(f->dirfd, (off_t)offset, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		n = syscall(SYS_getdents64, f->dirfd, db, dsz);
		if (n <= 0)
			return n < 0 && !f->used ? -errno : 0;
		for (pos = 0; pos < n;) {
			struct dent64 d;
			const char *name = (const char *)db + pos + DENT_HDR;
			size_t max;

			memcpy(&d, db + pos, DENT_HDR);
			if (d.reclen <= DENT_HDR || d.reclen > n - pos)
				return -EIO;
			max = d.reclen - DENT_HDR;
			if (!add_entry(f, &d, name, strnlen(name, max)))
				return 0;
			pos += d.reclen;
		}
	}
}

static int readdir_common(struct fs_req *r, bool plus)
{
	struct fuse_read_in in;
	_cleanup_free_ uint8_t *buf = NULL;
	struct dir_fill f = { .s = r->s, .plus = plus };
	struct fs_handle *h;
	int ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	f.room = r->out_room - sizeof(struct fuse_out_header);
	if (in.size < f.room)
		f.room = in.size;
	if (f.room > FS_MAX_WRITE)
		f.room = FS_MAX_WRITE;
	buf = malloc(f.room ? f.room : 1);
	if (!buf)
		return -ENOMEM;
	f.buf = buf;
	f.dir = inode__get(r->s, r->h.nodeid);
	if (!f.dir)
		return -ENOENT;
	h = handle__get(r->s, in.fh, true);
	if (!h) {
		inode__put(r->s, f.dir);
		return -EBADF;
	}
	f.dirfd = h->fd;
	/* The seek position is the handle's: one listing at a time. */
	pthread_mutex_lock(&h->lock);
	ret = fill(&f, in.offset);
	pthread_mutex_unlock(&h->lock);
	handle__put(r->s, h);
	inode__put(r->s, f.dir);
	if (ret < 0)
		return ret;
	return fs_reply(r, buf, f.used);
}

int op_readdir(struct fs_req *r)
{
	return readdir_common(r, false);
}

int op_readdirplus(struct fs_req *r)
{
	return readdir_common(r, true);
}

int op_opendir(struct fs_req *r)
{
	struct fuse_open_in in;
	struct fuse_open_out o = { 0 };
	struct fs_inode *i;
	int fd, ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	i = inode__get(r->s, r->h.nodeid);
	if (!i)
		return -ENOENT;
	fd = i->type == S_IFDIR ? openat(i->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	ret = i->type != S_IFDIR ? -ENOTDIR : fd < 0 ? -errno : 0;
	inode__put(r->s, i);
	if (ret < 0)
		return ret;
	ret = handle__add(r->s, fd, true, &o.fh);
	if (ret < 0)
		return ret;
	return fs_reply(r, &o, sizeof(o));
}

int op_releasedir(struct fs_req *r)
{
	struct fuse_release_in in;
	int ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = handle__release(r->s, in.fh, true);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}

int op_fsyncdir(struct fs_req *r)
{
	struct fuse_fsync_in in;
	struct fs_handle *h;
	int ret;

	if (fs_arg(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = handle__get(r->s, in.fh, true);
	if (!h)
		return -EBADF;
	ret = (in.fsync_flags & FUSE_FSYNC_FDATASYNC ? fdatasync(h->fd) : fsync(h->fd)) < 0 ?
		      -errno : 0;
	handle__put(r->s, h);
	if (ret < 0)
		return ret;
	return fs_reply(r, NULL, 0);
}
