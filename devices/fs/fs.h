/*
 * virtio-fs (virtio 1.2, 5.11): a host directory shared with the guest under a tag, served by
 * the in-process FUSE server (devices/fs/). The guest mounts it with
 * `mount -t virtiofs TAG DIR`.
 */
#ifndef KAGE_DEVICES_FS_FS_H
#define KAGE_DEVICES_FS_FS_H

#include <sys/resource.h>

#include "../../lib/err.h"
#include "fuse_server.h"
#include "../virtio/virtio.h"

#define VIRTIO_FS_TAG_MAX 36	/* the config space's tag field; no NUL needed when full */

struct virtio_fs;

int virtio_fs__create(struct virtio_fs **out, const char *tag, const struct fs_share_opts *o,
		      struct err **err);
struct virtio_dev *virtio_fs__dev(struct virtio_fs *fs);
/* The RLIMIT_NOFILE that nr_shares shares can need at most, within fs.nr_open. */
rlim_t virtio_fs__nofile(unsigned int nr_shares);
void virtio_fs__destroy(void *fs);

#endif
