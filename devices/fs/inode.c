/*
 * The inode table: one O_PATH|O_NOFOLLOW fd per host inode the guest knows, keyed by
 * st_dev+st_ino so two names for one file share a nodeid, counted by the guest's lookups and
 * freed on FORGET once no request is still using it. A directory's key has its mount's id
 * too: one directory bound at two places under a share (an emptyDir two pod members bind)
 * is two mounts here and must be two inodes there, since the guest's kernel gives a
 * directory one place in its tree and a second lookup would move it from the first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/stat.h>

#include "../../lib/cleanup.h"
#include "fs_int.h"

static uint32_t bucket(const struct fuse_server *s, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (uint32_t)(h >> 32) & (s->nbuckets - 1);
}

static struct fs_inode *hash_find(const struct fuse_server *s, dev_t dev, ino_t ino,
				  uint64_t mnt)
{
	struct fs_inode *i;

	for (i = s->hash[bucket(s, dev, ino)]; i; i = i->hnext)
		if (i->dev == dev && i->ino == ino && i->mnt == mnt)
			return i;
	return NULL;
}

/* The id of the mount a directory is on; 0 for anything else, or where the host's kernel
 * (before 5.8) cannot say: one inode per directory then, as before. */
static uint64_t dir_mount(int fd, const struct stat *st)
{
	struct statx x;

	if (!S_ISDIR(st->st_mode) ||
	    syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &x) < 0 ||
	    !(x.stx_mask & STATX_MNT_ID))
		return 0;
	return x.stx_mnt_id;
}

static void hash_add(struct fuse_server *s, struct fs_inode *i)
{
	uint32_t b = bucket(s, i->dev, i->ino);

	i->hnext = s->hash[b];
	s->hash[b] = i;
}

static void hash_del(struct fuse_server *s, struct fs_inode *i)
{
	struct fs_inode **p;

	for (p = &s->hash[bucket(s, i->dev, i->ino)]; *p; p = &(*p)->hnext) {
		if (*p == i) {
			*p = i->hnext;
			return;
		}
	}
}

/* Keeps chains short as the table grows; a failed allocation only leaves them longer. */
static void hash_grow(struct fuse_server *s)
{
	uint32_t old = s->nbuckets, b;
	struct fs_inode **oh = s->hash, **nh, *i, *next;

	if (s->ninodes < old * 2 || old >= FS_MAX_INODES)
		return;
	nh = calloc(old * 2, sizeof(*nh));
	if (!nh)
		return;
	s->hash = nh;
	s->nbuckets = old * 2;
	for (b = 0; b < old; b++) {
		for (i = oh[b]; i; i = next) {
			next = i->hnext;
			hash_add(s, i);
		}
	}
	free(oh);
}

static void inode_free(struct fs_inode *i)
{
	close(i->fd);
	free(i);
}

/* Takes the inode out of the table; called with the lock held. True when it can be freed. */
static bool unlink_locked(struct fuse_server *s, struct fs_inode *i)
{
	hash_del(s, i);
	idtab__remove(&s->inodes, i->nodeid);
	s->ninodes--;
	i->nlookup = 0;
	return --i->refs == 0;
}

struct fs_inode *inode__get(struct fuse_server *s, uint64_t nodeid)
{
	struct fs_inode *i;

	pthread_mutex_lock(&s->lock);
	i = idtab__get(&s->inodes, nodeid);
	if (i)
		i->refs++;
	pthread_mutex_unlock(&s->lock);
	return i;
}

void inode__put(struct fuse_server *s, struct fs_inode *i)
{
	bool last;

	if (!i)
		return;
	pthread_mutex_lock(&s->lock);
	last = --i->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		inode_free(i);
}

static void fill_entry(const struct fuse_server *s, struct fuse_entry_out *e, uint64_t nodeid,
		       const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid;
	e->entry_valid = s->timeout;
	e->attr_valid = s->timeout;
	fs_fill_attr(s, &e->attr, st);
}

/*
 * Finds or adds the inode behind `fd` (an O_PATH fd, consumed) and takes one guest lookup
 * reference on it.
 */
int inode__entry_from_fd(struct fuse_server *s, int fd, struct fuse_entry_out *e)
{
	_cleanup_close_ int pfd = fd;
	_cleanup_free_ struct fs_inode *n = NULL;
	struct fs_inode *i;
	struct stat st;
	uint64_t mnt;
	int ret;

	if (fstatat(pfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	mnt = dir_mount(pfd, &st);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	i = hash_find(s, st.st_dev, st.st_ino, mnt);
	if (i) {
		i->nlookup++;
		fill_entry(s, e, i->nodeid, &st);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	ret = s->ninodes >= FS_MAX_INODES ? -ENFILE : idtab__alloc(&s->inodes, n, &n->nodeid);
	if (ret < 0) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	n->fd = TAKE_FD(pfd);
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	n->mnt = mnt;
	n->type = st.st_mode & S_IFMT;
	n->nlookup = 1;
	n->refs = 1;
	hash_add(s, n);
	s->ninodes++;
	hash_grow(s);
	fill_entry(s, e, n->nodeid, &st);
	n = NULL;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/*
 * One component `name` (already checked: no '/', not empty) under the directory open as
 * `dirfd`, which is `dir`'s fd or a handle on it. ".." of the share root is the root itself:
 * the host directory above the share is never reachable.
 */
int inode__lookup(struct fuse_server *s, struct fs_inode *dir, int dirfd, const char *name,
		  struct fuse_entry_out *e)
{
	const char *n = name;
	int fd;

	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (!strcmp(name, "..") && dir == s->root) {
		n = ".";
		dirfd = dir->fd;
	}
	fd = openat(dirfd, n, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return inode__entry_from_fd(s, fd, e);
}

void inode__forget(struct fuse_server *s, uint64_t nodeid, uint64_t nlookup)
{
	struct fs_inode *i;
	bool last = false;

	pthread_mutex_lock(&s->lock);
	i = idtab__get(&s->inodes, nodeid);
	/* The root is pinned: the guest never looked it up, so its forgets are not ours. */
	if (i && i != s->root) {
		i->nlookup -= nlookup < i->nlookup ? nlookup : i->nlookup;
		if (!i->nlookup)
			last = unlink_locked(s, i);
	}
	pthread_mutex_unlock(&s->lock);
	if (last)
		inode_free(i);
}

/* DESTROY, or a fresh INIT after a guest reset: the guest holds no references any more. */
void inode__drop_all(struct fuse_server *s)
{
	struct fs_inode *dead = NULL, *i, *next;
	uint32_t idx;

	pthread_mutex_lock(&s->lock);
	for (idx = 1; idx < s->inodes.cap; idx++) {
		i = s->inodes.obj[idx];
		if (!i || i == s->root)
			continue;
		if (unlink_locked(s, i)) {
			i->hnext = dead;
			dead = i;
		}
	}
	pthread_mutex_unlock(&s->lock);
	for (i = dead; i; i = next) {
		next = i->hnext;
		inode_free(i);
	}
}

int inode__table_init(struct fuse_server *s, int rootfd)
{
	struct fuse_entry_out e;
	int ret;

	s->inodes.max = FS_MAX_INODES + 2;
	s->handles.max = FS_MAX_HANDLES + 1;
	s->nbuckets = 1024;
	s->hash = calloc(s->nbuckets, sizeof(*s->hash));
	if (!s->hash) {
		close(rootfd);
		return -ENOMEM;
	}
	ret = inode__entry_from_fd(s, rootfd, &e);
	if (ret < 0)
		return ret;
	if (e.nodeid != FUSE_ROOT_ID)
		return -EINVAL;
	s->root = s->inodes.obj[FUSE_ROOT_ID];
	if (s->root->type != S_IFDIR)
		return -ENOTDIR;
	return 0;
}

void inode__table_fini(struct fuse_server *s)
{
	inode__drop_all(s);
	if (s->root) {
		inode_free(s->root);
		s->root = NULL;
	}
	free(s->hash);
	s->hash = NULL;
	idtab__fini(&s->inodes);
}
