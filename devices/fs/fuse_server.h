/*
 * The FUSE server behind virtio-fs: decodes one FUSE request (Linux 6.1's virtiofs client,
 * protocol 7.31 to 7.38), serves it from a host directory, writes the reply. It knows nothing of
 * virtqueues: the device hands it the device-readable and device-writable segments of a
 * descriptor chain, already resolved to host memory and bounded by guest RAM.
 *
 * The backend never resolves a guest-supplied path against the host: every inode is an
 * O_PATH|O_NOFOLLOW fd, lookups take one component at a time, and I/O reopens the inode via
 * /proc/self/fd. Requests may be served from several threads at once.
 */
#ifndef KAGE_DEVICES_FS_FUSE_SERVER_H
#define KAGE_DEVICES_FS_FUSE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../../lib/err.h"

enum fs_cache {
	FS_CACHE_NONE,		/* no attribute/entry caching, direct I/O */
	FS_CACHE_AUTO,		/* short timeouts; page cache kept while the file is unchanged */
	FS_CACHE_ALWAYS,	/* long timeouts, keep the page cache (the share is not shared) */
};

/*
 * What the guest may make in the host directory besides ordinary files and directories,
 * whatever its uid (docs/shares.md). STRICT, the zero value and so the default: no block or
 * character device but overlayfs's 0/0 whiteout, no security.* or trusted.* xattr, no
 * setuid or setgid file owned by root. RUNC: what runc lets a container's root do in a bind
 * mount.
 */
enum fs_policy {
	FS_POLICY_STRICT,
	FS_POLICY_RUNC,
};

struct fs_share_opts {
	const char *dir;	/* host directory that becomes the share's root */
	bool readonly;		/* writes fail with EROFS */
	enum fs_cache cache;
	enum fs_policy policy;
};

struct fuse_server;

int fuse_server__create(struct fuse_server **out, const struct fs_share_opts *o,
			struct err **err);
void fuse_server__destroy(void *server);

/*
 * Serves one request: in[0..n_in) holds fuse_in_header and the operation's arguments (and a
 * WRITE's data); out[0..n_out) is room for fuse_out_header and the reply (a READ's data goes
 * straight into it). Returns the bytes written into out; 0 when the request takes no reply
 * (FORGET, BATCH_FORGET) or not even an error reply fits. A malformed request gets an error
 * reply (EINVAL, ENOSYS for unknown opcodes), never a read or write beyond the segments.
 */
uint32_t fuse_server__handle(struct fuse_server *s, const struct iovec *in, unsigned int n_in,
			     const struct iovec *out, unsigned int n_out);

#endif
