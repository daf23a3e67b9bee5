/*
 * The FUSE request decoder and dispatcher: checks the header against the segments it came
 * in, copies the arguments out of guest memory once (so the guest cannot change them under
 * us), routes the opcode and writes the reply header. INIT and DESTROY live here too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/iov.h"
#include "../../lib/log.h"
#include "fs_int.h"

#define OUT_HDR sizeof(struct fuse_out_header)

struct fs_op {
	fs_op_fn fn;
	uint32_t reply;		/* fixed reply body size, checked against the room before acting */
	bool modifies;		/* refused with EROFS on a read-only share */
};

static int op_init(struct fs_req *r);
static int op_destroy(struct fs_req *r);

/* Opcodes not listed (locks, ioctl, poll, DAX mappings, ...) get ENOSYS and the kernel copes. */
static const struct fs_op ops[] = {
	[FUSE_LOOKUP] = { op_lookup, sizeof(struct fuse_entry_out), false },
	[FUSE_FORGET] = { op_forget, 0, false },
	[FUSE_GETATTR] = { op_getattr, sizeof(struct fuse_attr_out), false },
	[FUSE_SETATTR] = { op_setattr, sizeof(struct fuse_attr_out), true },
	[FUSE_READLINK] = { op_readlink, 0, false },
	[FUSE_SYMLINK] = { op_symlink, sizeof(struct fuse_entry_out), true },
	[FUSE_MKNOD] = { op_mknod, sizeof(struct fuse_entry_out), true },
	[FUSE_MKDIR] = { op_mkdir, sizeof(struct fuse_entry_out), true },
	[FUSE_UNLINK] = { op_unlink, 0, true },
	[FUSE_RMDIR] = { op_rmdir, 0, true },
	[FUSE_RENAME] = { op_rename, 0, true },
	[FUSE_LINK] = { op_link, sizeof(struct fuse_entry_out), true },
	[FUSE_OPEN] = { op_open, sizeof(struct fuse_open_out), false },
	[FUSE_READ] = { op_read, 0, false },
	[FUSE_WRITE] = { op_write, sizeof(struct fuse_write_out), true },
	[FUSE_STATFS] = { op_statfs, sizeof(struct fuse_statfs_out), false },
	[FUSE_RELEASE] = { op_release, 0, false },
	[FUSE_FSYNC] = { op_fsync, 0, false },
	[FUSE_SETXATTR] = { op_setxattr, 0, true },
	[FUSE_GETXATTR] = { op_getxattr, 0, false },
	[FUSE_LISTXATTR] = { op_listxattr, 0, false },
	[FUSE_REMOVEXATTR] = { op_removexattr, 0, true },
	[FUSE_FLUSH] = { op_flush, 0, false },
	[FUSE_INIT] = { op_init, 0, false },
	[FUSE_OPENDIR] = { op_opendir, sizeof(struct fuse_open_out), false },
	[FUSE_READDIR] = { op_readdir, 0, false },
	[FUSE_RELEASEDIR] = { op_releasedir, 0, false },
	[FUSE_FSYNCDIR] = { op_fsyncdir, 0, false },
	[FUSE_ACCESS] = { op_access, 0, false },
	[FUSE_CREATE] = { op_create, sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out),
			  true },
	[FUSE_DESTROY] = { op_destroy, 0, false },
	[FUSE_BATCH_FORGET] = { op_batch_forget, 0, false },
	[FUSE_FALLOCATE] = { op_fallocate, 0, true },
	[FUSE_READDIRPLUS] = { op_readdirplus, 0, false },
	[FUSE_RENAME2] = { op_rename2, 0, true },
	[FUSE_LSEEK] = { op_lseek, sizeof(struct fuse_lseek_out), false },
	[FUSE_COPY_FILE_RANGE] = { op_copy_file_range, sizeof(struct fuse_write_out), true },
};

int fs_arg(struct fs_req *r, void *dst, size_t len)
{
	if (r->arglen - r->argpos < len)
		return -EINVAL;
	memcpy(dst, r->arg + r->argpos, len);
	r->argpos += len;
	return 0;
}

/* A NUL-terminated string that ends inside the request, at most `max` bytes before the NUL. */
const char *fs_arg_str(struct fs_req *r, size_t max)
{
	const uint8_t *p = r->arg + r->argpos;
	const uint8_t *nul = memchr(p, 0, r->arglen - r->argpos);

	if (!nul || (size_t)(nul - p) > max)
		return NULL;
	r->argpos += nul - p + 1;
	return (const char *)p;
}

/*
 * A single path component: never empty, never with '/', at most NAME_MAX. "." and ".." only
 * mean something to LOOKUP; every other operation gets them refused (the kernel never sends
 * them, a hostile guest might).
 */
const char *fs_arg_name(struct fs_req *r)
{
	const char *n = fs_arg_str(r, NAME_MAX);

	if (!n || !*n || strchr(n, '/'))
		return NULL;
	if (r->h.opcode != FUSE_LOOKUP && (!strcmp(n, ".") || !strcmp(n, "..")))
		return NULL;
	return n;
}

static uint32_t write_reply(const struct iovec *out, unsigned int n_out, uint64_t unique,
			    int error, const void *a, size_t alen, const void *b, size_t blen)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(OUT_HDR + alen + blen), .error = error, .unique = unique
	};

	iov__from_buf(out, n_out, 0, &oh, OUT_HDR);
	if (alen)
		iov__from_buf(out, n_out, OUT_HDR, a, alen);
	if (blen)
		iov__from_buf(out, n_out, OUT_HDR + alen, b, blen);
	return oh.len;
}

int fs_reply2(struct fs_req *r, const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen + blen > r->out_room - OUT_HDR)
		return -EINVAL;
	r->written = write_reply(r->out, r->n_out, r->h.unique, 0, a, alen, b, blen);
	return 0;
}

int fs_reply(struct fs_req *r, const void *body, size_t len)
{
	return fs_reply2(r, body, len, NULL, 0);
}

/* A reply whose body (READ data) is already in the out segments after the header. */
int fs_reply_placed(struct fs_req *r, size_t len)
{
	struct fuse_out_header oh = { .len = (uint32_t)(OUT_HDR + len), .unique = r->h.unique };

	if (len > r->out_room - OUT_HDR)
		return -EINVAL;
	iov__from_buf(r->out, r->n_out, 0, &oh, OUT_HDR);
	r->written = oh.len;
	return 0;
}

void fs_fill_attr(const struct fuse_server *s, struct fuse_attr *a, const struct stat *st)
{
	unsigned int maj = major(st->st_rdev), min = minor(st->st_rdev);

	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = st->st_atim.tv_nsec;
	a->mtimensec = st->st_mtim.tv_nsec;
	a->ctimensec = st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	/* The kernel's 32-bit dev_t encoding (new_encode_dev), which is what it decodes. */
	a->rdev = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
	a->blksize = st->st_blksize;
}

void fs_proc_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

void fs_fd_name(char buf[static 16], int fd)
{
	snprintf(buf, 16, "%d", fd);
}

/* Opens the file behind an O_PATH fd for real I/O, without resolving any guest string. */
int fs_proc_open(const struct fuse_server *s, int fd, int flags)
{
	char name[16];

	fs_fd_name(name, fd);
	return openat(s->proc_fd, name, flags | O_CLOEXEC);
}

static uint64_t wanted_flags(const struct fuse_server *s)
{
	uint64_t f = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_ATOMIC_O_TRUNC |
		     FUSE_EXPORT_SUPPORT | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO |
		     FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;

	if (s->opts.cache != FS_CACHE_NONE)
		f |= FUSE_AUTO_INVAL_DATA;
	if (s->opts.cache == FS_CACHE_ALWAYS)
		f |= FUSE_CACHE_SYMLINKS;
	return f;
}

static int op_init(struct fs_req *r)
{
	struct fuse_server *s = r->s;
	struct fuse_init_in in = { 0 };
	struct fuse_init_out o = { 0 };

	/* Before 7.36 the kernel sends only major, minor, max_readahead and flags. */
	if (r->arglen < offsetof(struct fuse_init_in, flags2))
		return -EINVAL;
	fs_arg(r, &in, r->arglen < sizeof(in) ? r->arglen : sizeof(in));
	if (in.major > FUSE_KERNEL_VERSION) {
		/* The kernel retries with our major version. */
		o.major = FUSE_KERNEL_VERSION;
		o.minor = FUSE_KERNEL_MINOR_VERSION;
		return fs_reply(r, &o, FUSE_COMPAT_INIT_OUT_SIZE);
	}
	if (in.major < FUSE_KERNEL_VERSION || in.minor < FS_MINOR_MIN) {
		pr_warn("virtio-fs: guest FUSE %u.%u is too old", in.major, in.minor);
		return -EPROTO;
	}
	if (__atomic_load_n(&s->initialized, __ATOMIC_ACQUIRE)) {
		/* A second INIT is a guest that restarted: whatever it held is gone. */
		handle__drop_all(s);
		inode__drop_all(s);
	}
	o.major = FUSE_KERNEL_VERSION;
	o.minor = in.minor < FUSE_KERNEL_MINOR_VERSION ? in.minor : FUSE_KERNEL_MINOR_VERSION;
	o.max_readahead = in.max_readahead;
	o.flags = (uint32_t)(in.flags & wanted_flags(s));
	o.max_write = FS_MAX_WRITE;
	o.max_pages = FS_MAX_WRITE / 4096;
	o.time_gran = 1;
	s->minor = o.minor;
	__atomic_store_n(&s->initialized, true, __ATOMIC_RELEASE);
	return fs_reply(r, &o, sizeof(o));
}

static int op_destroy(struct fs_req *r)
{
	handle__drop_all(r->s);
	inode__drop_all(r->s);
	__atomic_store_n(&r->s->initialized, false, __ATOMIC_RELEASE);
	return fs_reply(r, NULL, 0);
}

/* Checks the request against its segments and copies its arguments; then runs the op. */
static int dispatch(struct fs_req *r, uint64_t in_total)
{
	const struct fs_op *op;
	uint8_t small[512] __attribute__((aligned(8)));
	_cleanup_free_ uint8_t *big = NULL;
	uint8_t *arg = small;
	uint32_t copy;

	if (r->h.len < sizeof(r->h) || r->h.len > in_total)
		return -EINVAL;
	r->arglen = r->h.len - sizeof(r->h);
	if (r->h.opcode >= ARRAY_SIZE(ops) || !ops[r->h.opcode].fn)
		return -ENOSYS;
	op = &ops[r->h.opcode];
	if (r->h.opcode != FUSE_INIT && !__atomic_load_n(&r->s->initialized, __ATOMIC_ACQUIRE))
		return -EIO;
	if (op->modifies && r->s->opts.readonly)
		return -EROFS;
	if (op->reply > r->out_room - OUT_HDR)
		return -EINVAL;

	/* A WRITE's data stays in the segments; only its fixed part is copied. */
	copy = r->arglen;
	if (r->h.opcode == FUSE_WRITE && copy > sizeof(struct fuse_write_in))
		copy = sizeof(struct fuse_write_in);
	else if (copy > FS_MAX_ARG)
		return -EINVAL;
	if (copy >= sizeof(small)) {
		big = malloc(copy + 1);
		if (!big)
			return -ENOMEM;
		arg = big;
	}
	iov__to_buf(r->in, r->n_in, sizeof(r->h), arg, copy);
	arg[copy] = 0;
	r->arg = arg;
	r->arglen = copy;
	return op->fn(r);
}

uint32_t fuse_server__handle(struct fuse_server *s, const struct iovec *in, unsigned int n_in,
			     const struct iovec *out, unsigned int n_out)
{
	struct fs_req r = { .s = s, .in = in, .n_in = n_in, .out = out, .n_out = n_out };
	uint64_t in_total = 0;
	unsigned int i;
	int ret;

	if (n_out > FS_MAX_SEGS)
		n_out = r.n_out = 0;
	for (i = 0; i < n_out; i++)
		r.out_room += out[i].iov_len < UINT32_MAX ? out[i].iov_len : UINT32_MAX;
	if (r.out_room > UINT32_MAX)
		r.out_room = UINT32_MAX;
	for (i = 0; i < n_in && n_in <= FS_MAX_SEGS; i++)
		in_total += in[i].iov_len < UINT32_MAX ? in[i].iov_len : UINT32_MAX;

	if (n_in > FS_MAX_SEGS || in_total < sizeof(r.h)) {
		ret = -EINVAL;
	} else {
		iov__to_buf(in, n_in, 0, &r.h, sizeof(r.h));
		ret = r.out_room < OUT_HDR ? -ENOBUFS : dispatch(&r, in_total);
	}
	if (r.noreply || r.out_room < OUT_HDR)
		return 0;
	if (ret < 0)
		return write_reply(out, n_out, r.h.unique, ret, NULL, 0, NULL, 0);
	return r.written;
}

int fuse_server__create(struct fuse_server **out, const struct fs_share_opts *o,
			struct err **err)
{
	struct fuse_server *s = calloc(1, sizeof(*s));
	int rootfd, ret;

	if (!s)
		return err_errno(err, "virtio-fs: allocate server");
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->setid_lock, NULL);
	s->proc_fd = -1;
	s->opts = *o;
	s->dir = strdup(o->dir);
	s->opts.dir = s->dir;
	s->switch_creds = geteuid() == 0;
	s->timeout = o->cache == FS_CACHE_NONE ? 0 : o->cache == FS_CACHE_AUTO ? 1 : 86400;
	if (!s->dir) {
		fuse_server__destroy(s);
		return err_errno(err, "virtio-fs: allocate server");
	}
	s->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		ret = err_errno(err, "virtio-fs: open /proc/self/fd");
		fuse_server__destroy(s);
		return ret;
	}
	/* The share's own path comes from the operator, not the guest: following it is fine. */
	rootfd = open(o->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		ret = err_errno(err, "virtio-fs: open share '%s'", o->dir);
		fuse_server__destroy(s);
		return ret;
	}
	ret = inode__table_init(s, rootfd);
	if (ret < 0) {
		ret = err_code(err, -ret, "virtio-fs: share '%s'", o->dir);
		fuse_server__destroy(s);
		return ret;
	}
	*out = s;
	return 0;
}

void fuse_server__destroy(void *server)
{
	struct fuse_server *s = server;

	if (!s)
		return;
	handle__drop_all(s);
	inode__table_fini(s);
	idtab__fini(&s->handles);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->setid_lock);
	free(s->dir);
	free(s);
}
