/*
 * What the FUSE server's files share: the server state, the request being served, the inode
 * and handle tables, and the operation handlers the dispatcher calls. Not for outside devices/fs/.
 */
#ifndef KAGE_DEVICES_FS_FS_INT_H
#define KAGE_DEVICES_FS_FS_INT_H

#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "fuse_server.h"

/* Our side of the protocol: 7.31 is the oldest virtiofs client, Linux 6.1 speaks 7.37. */
#define FS_MINOR_MIN 31
#define FS_MAX_WRITE (1u << 20)
/* A request's arguments are copied before use; the largest is SETXATTR with a 64 KiB value. */
#define FS_MAX_ARG (64u * 1024 + 1024)
/* What a guest can make us hold: each inode and handle pins a host file descriptor. */
#define FS_MAX_INODES (1u << 20)
#define FS_MAX_HANDLES (1u << 16)
/* More segments than a virtqueue chain can have is a malformed request. */
#define FS_MAX_SEGS 1024

/*
 * Ids handed to the guest: slot index in the low 32 bits, the slot's generation in the high
 * ones, so a stale or forged id misses instead of reaching a reused slot.
 */
struct idtab {
	void **obj;
	uint32_t *gen;
	uint32_t *free;		/* stack of free slot indexes */
	uint32_t cap, nfree, max;
};

int idtab__alloc(struct idtab *t, void *obj, uint64_t *id);
void *idtab__get(const struct idtab *t, uint64_t id);
void idtab__remove(struct idtab *t, uint64_t id);
void idtab__fini(struct idtab *t);

struct fs_inode {
	int fd;			/* O_PATH|O_NOFOLLOW */
	dev_t dev;
	ino_t ino;
	uint64_t mnt;		/* a directory's mount id (inode.c); 0 for the rest */
	mode_t type;		/* S_IFMT bits: fixed for the inode's life */
	uint64_t nodeid;
	uint64_t nlookup;	/* references the guest holds (LOOKUP minus FORGET) */
	unsigned int refs;	/* requests using it, plus one while it is in the table */
	struct fs_inode *hnext;
};

struct fs_handle {
	int fd;			/* opened for I/O */
	bool dir;
	unsigned int refs;	/* requests using it, plus one until RELEASE */
	pthread_mutex_t lock;	/* a directory's seek position is shared by READDIR calls */
};

struct fuse_server {
	struct fs_share_opts opts;
	char *dir;
	int proc_fd;		/* /proc/self/fd, for reopening O_PATH fds with real flags */
	bool switch_creds;	/* running as root: creating ops take the guest's uid/gid */
	uint64_t timeout;	/* entry/attr validity, seconds, from the cache mode */
	/* FS_POLICY_STRICT: a set-id check and the change it allows happen as one step. */
	pthread_mutex_t setid_lock;

	pthread_mutex_t lock;	/* guards everything below */
	bool initialized;
	uint32_t minor;
	struct idtab inodes, handles;
	struct fs_inode **hash;	/* by st_dev+st_ino, chained through hnext */
	uint32_t nbuckets, ninodes;
	struct fs_inode *root;
};

/* One request as the handlers see it: arguments already copied out of guest memory. */
struct fs_req {
	struct fuse_server *s;
	struct fuse_in_header h;
	const uint8_t *arg;	/* our copy of the arguments (a WRITE's data stays in `in`) */
	uint32_t arglen, argpos;
	const struct iovec *in;
	unsigned int n_in;
	const struct iovec *out;
	unsigned int n_out;
	size_t out_room;	/* total bytes the out segments hold */
	uint32_t written;	/* reply length, once a reply is written */
	bool noreply;
};

/*
 * Handlers return 0 once they have written their reply, or -errno for the dispatcher to send
 * as an error reply: the errno is the protocol's answer, so there is no struct err here.
 */
typedef int (*fs_op_fn)(struct fs_req *r);

/* fuse_server.c: argument and reply helpers. */
int fs_arg(struct fs_req *r, void *dst, size_t len);
const char *fs_arg_str(struct fs_req *r, size_t max);
const char *fs_arg_name(struct fs_req *r);
int fs_reply(struct fs_req *r, const void *body, size_t len);
int fs_reply2(struct fs_req *r, const void *a, size_t alen, const void *b, size_t blen);
int fs_reply_placed(struct fs_req *r, size_t len);
void fs_fill_attr(const struct fuse_server *s, struct fuse_attr *a, const struct stat *st);
int fs_proc_open(const struct fuse_server *s, int fd, int flags);
/* "/proc/self/fd/N", for calls with no *at() form (xattrs). */
void fs_proc_path(char *buf, size_t len, int fd);
/* "N", to name an O_PATH fd relative to proc_fd. */
void fs_fd_name(char buf[static 16], int fd);

/* inode.c */
struct fs_inode *inode__get(struct fuse_server *s, uint64_t nodeid);
void inode__put(struct fuse_server *s, struct fs_inode *ino);
int inode__lookup(struct fuse_server *s, struct fs_inode *dir, int dirfd, const char *name,
		  struct fuse_entry_out *e);
int inode__entry_from_fd(struct fuse_server *s, int fd, struct fuse_entry_out *e);
void inode__forget(struct fuse_server *s, uint64_t nodeid, uint64_t nlookup);
void inode__drop_all(struct fuse_server *s);
int inode__table_init(struct fuse_server *s, int rootfd);
void inode__table_fini(struct fuse_server *s);

/* handle.c */
int handle__add(struct fuse_server *s, int fd, bool dir, uint64_t *fh);
struct fs_handle *handle__get(struct fuse_server *s, uint64_t fh, bool dir);
void handle__put(struct fuse_server *s, struct fs_handle *h);
int handle__release(struct fuse_server *s, uint64_t fh, bool dir);
void handle__drop_all(struct fuse_server *s);

/* creds.c: the guest's uid/gid become the thread's fsuid/fsgid around creating ops. */
struct fs_creds {
	bool switched;
	long uid, gid;		/* the thread's fsuid/fsgid before the switch */
};
void creds__enter(const struct fs_req *r, struct fs_creds *c);
void creds__leave(struct fs_creds *c);

/*
 * policy.c: the checks of FS_POLICY_STRICT, each 0 or -EPERM (and always 0 under
 * FS_POLICY_RUNC). policy__hold takes setid_lock when `needed` and the policy is strict;
 * the set-id checks run under it, and so does the change they allow.
 */
int policy__mknod(const struct fuse_server *s, mode_t mode, uint32_t rdev);
int policy__setxattr(const struct fuse_server *s, const char *name);
bool policy__hold(struct fuse_server *s, bool needed);
void policy__release(struct fuse_server *s, bool held);
int policy__create(const struct fs_req *r, const struct fs_inode *dir, mode_t mode);
int policy__setattr(const struct fs_req *r, const struct fs_inode *i,
		    const struct fuse_setattr_in *a);

/* ops_*.c */
int op_lookup(struct fs_req *r);
int op_forget(struct fs_req *r);
int op_batch_forget(struct fs_req *r);
int op_getattr(struct fs_req *r);
int op_setattr(struct fs_req *r);
int op_readlink(struct fs_req *r);
int op_symlink(struct fs_req *r);
int op_mknod(struct fs_req *r);
int op_mkdir(struct fs_req *r);
int op_unlink(struct fs_req *r);
int op_rmdir(struct fs_req *r);
int op_rename(struct fs_req *r);
int op_rename2(struct fs_req *r);
int op_link(struct fs_req *r);
int op_statfs(struct fs_req *r);
int op_access(struct fs_req *r);
int op_open(struct fs_req *r);
int op_create(struct fs_req *r);
int op_read(struct fs_req *r);
int op_write(struct fs_req *r);
int op_release(struct fs_req *r);
int op_fsync(struct fs_req *r);
int op_flush(struct fs_req *r);
int op_fallocate(struct fs_req *r);
int op_lseek(struct fs_req *r);
int op_copy_file_range(struct fs_req *r);
int op_opendir(struct fs_req *r);
int op_readdir(struct fs_req *r);
int op_readdirplus(struct fs_req *r);
int op_releasedir(struct fs_req *r);
int op_fsyncdir(struct fs_req *r);
int op_setxattr(struct fs_req *r);
int op_getxattr(struct fs_req *r);
int op_listxattr(struct fs_req *r);
int op_removexattr(struct fs_req *r);

#endif
