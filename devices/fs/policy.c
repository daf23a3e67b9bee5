/*
 * FS_POLICY_STRICT: what the server will not make in a host directory, whatever the guest's
 * uid, because the host's other users could use it there: device nodes, privileged xattrs,
 * and setuid or setgid files owned by root. The guest's own kernel cannot be trusted to
 * refuse these first, so the refusal is ours. FS_POLICY_RUNC passes every check.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_int.h"

static bool strict(const struct fuse_server *s)
{
	return s->opts.policy == FS_POLICY_STRICT;
}

int policy__mknod(const struct fuse_server *s, mode_t mode, uint32_t rdev)
{
	if (!strict(s) || !(S_ISCHR(mode) || S_ISBLK(mode)))
		return 0;
	/* overlayfs marks a removed lower file with a 0/0 character device, which opens nothing. */
	if (S_ISCHR(mode) && rdev == 0)
		return 0;
	return -EPERM;
}

int policy__setxattr(const struct fuse_server *s, const char *name)
{
	if (!strict(s))
		return 0;
	/*
	 * security.capability gives a program capabilities when the host runs it, and the rest
	 * of security.* labels files for the host's LSMs; trusted.* is host root's own (overlayfs
	 * keeps its state there). We write xattrs as root, so the host kernel would not refuse.
	 */
	if (!strncmp(name, "security.", 9) || !strncmp(name, "trusted.", 8))
		return -EPERM;
	return 0;
}

bool policy__hold(struct fuse_server *s, bool needed)
{
	if (!needed || !strict(s))
		return false;
	pthread_mutex_lock(&s->setid_lock);
	return true;
}

void policy__release(struct fuse_server *s, bool held)
{
	if (held)
		pthread_mutex_unlock(&s->setid_lock);
}

/*
 * The set-id bits of mode (type included) that would run a program as root, on a file owned
 * by uid:gid. On a directory setgid only passes the group on to new entries: it is allowed.
 */
static mode_t root_bits(mode_t mode, uid_t uid, gid_t gid)
{
	mode_t bits = 0;

	if (mode & S_ISUID && uid == 0)
		bits |= S_ISUID;
	if (mode & S_ISGID && gid == 0 && !S_ISDIR(mode))
		bits |= S_ISGID;
	return bits;
}

int policy__create(const struct fs_req *r, const struct fs_inode *dir, mode_t mode)
{
	const struct fuse_server *s = r->s;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (!strict(s) || !(mode & (S_ISUID | S_ISGID)))
		return 0;
	if (fstatat(dir->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	/* The owner creds.c gives the new file: the guest's ids as a root server, else ours. */
	uid = s->switch_creds ? r->h.uid : geteuid();
	gid = st.st_mode & S_ISGID ? st.st_gid : s->switch_creds ? r->h.gid : getegid();
	return root_bits(mode, uid, gid) ? -EPERM : 0;
}

/*
 * A SETATTR may not add a root set-id bit: a chmod that sets one on a file owned by root, or
 * a chown to root that keeps one. Bits the file already had (the host put them there) stay.
 */
int policy__setattr(const struct fs_req *r, const struct fs_inode *i,
		    const struct fuse_setattr_in *a)
{
	struct stat st;
	mode_t mode;
	uid_t uid;
	gid_t gid;

	if (!strict(r->s) || !(a->valid & (FATTR_MODE | FATTR_UID | FATTR_GID)))
		return 0;
	if (fstatat(i->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	mode = a->valid & FATTR_MODE ? (st.st_mode & S_IFMT) | (a->mode & 07777) : st.st_mode;
	uid = a->valid & FATTR_UID ? a->uid : st.st_uid;
	gid = a->valid & FATTR_GID ? a->gid : st.st_gid;
	if (root_bits(mode, uid, gid) & ~root_bits(st.st_mode, st.st_uid, st.st_gid))
		return -EPERM;
	return 0;
}
