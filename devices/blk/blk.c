/*
 * virtio-blk, the device side: config space, features, and the worker pool that serves the
 * request queue (devices/virtio/workers.c: taking, serving and returning chains, and a
 * reset's drain). Requests themselves are checked and served in blk_req.c.
 */
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/le.h"
#include "../../lib/log.h"
#include "../../lib/thread_role.h"
#include "../virtio/workers.h"

/* Enough to keep a disk busy while one request waits on a flush; threads are cheap. */
#define BLK_WORKERS 4
#define BLK_QUEUE_SIZE 256
/* Config space up to write_zeroes_may_unmap and its padding; no secure erase. */
#define BLK_CONFIG_SIZE offsetof(struct virtio_blk_config, max_secure_erase_sectors)

struct blk {
	struct virtio_dev dev;
	struct virtio_workers *workers;
	struct blk_disk disk;
	struct virtio_blk_config cfg;	/* as the guest reads it: little-endian */
};

static struct blk *to_blk(struct virtio_dev *dev)
{
	return dev->priv;
}

/* A worker's job, without the device lock. */
static int blk_work(void *ctx, const struct virtq_chain *c, uint32_t *used, struct err **err)
{
	struct blk *b = ctx;

	if (blk__serve_chain(&b->disk, c, used) < 0)
		return err_msg(err, "request has no device-writable byte for its status");
	return 0;
}

static void blk_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	if (queue == 0)
		virtio_workers__kick(to_blk(dev)->workers);
}

/* Called with dev->lock held, like every op; the drain releases it while it waits. */
static void blk_reset(struct virtio_dev *dev)
{
	virtio_workers__drain(to_blk(dev)->workers);
}

static uint64_t blk_features(struct virtio_dev *dev)
{
	uint64_t f = FEATURE(VIRTIO_BLK_F_SIZE_MAX) | FEATURE(VIRTIO_BLK_F_SEG_MAX) |
		     FEATURE(VIRTIO_BLK_F_BLK_SIZE) | FEATURE(VIRTIO_BLK_F_FLUSH);

	if (to_blk(dev)->disk.readonly)
		return f | FEATURE(VIRTIO_BLK_F_RO);
	return f | FEATURE(VIRTIO_BLK_F_DISCARD) | FEATURE(VIRTIO_BLK_F_WRITE_ZEROES);
}

static void blk_get_config(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	memcpy(data, (uint8_t *)&to_blk(dev)->cfg + offset, len);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.features = blk_features,
	.config_size = BLK_CONFIG_SIZE,
	.get_config = blk_get_config,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
};

static void fill_config(struct blk *b)
{
	struct virtio_blk_config *c = &b->cfg;

	c->capacity = le__from_cpu64(b->disk.sectors);
	c->size_max = le__from_cpu32(BLK_SIZE_MAX);
	c->seg_max = le__from_cpu32(BLK_SEG_MAX);
	c->blk_size = le__from_cpu32(BLK_SECTOR);
	c->num_queues = le__from_cpu16(1);
	if (b->disk.readonly)
		return;
	c->max_discard_sectors = le__from_cpu32(BLK_DISCARD_SECTORS);
	c->max_discard_seg = le__from_cpu32(BLK_DISCARD_SEG);
	c->discard_sector_alignment = le__from_cpu32(BLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = le__from_cpu32(BLK_WZ_SECTORS);
	c->max_write_zeroes_seg = le__from_cpu32(BLK_WZ_SEG);
	c->write_zeroes_may_unmap = 1;
}

static int open_disk(struct blk_disk *d, const struct blk_opts *o, struct err **err)
{
	_cleanup_close_ int fd = open(o->path, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	uint64_t bytes;

	if (fd < 0)
		return err_errno(err, "open disk '%s'", o->path);
	if (fstat(fd, &st) < 0)
		return err_errno(err, "stat disk '%s'", o->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return err_errno(err, "size of block device '%s'", o->path);
		d->blockdev = true;
	} else if (S_ISREG(st.st_mode)) {
		bytes = st.st_size;
	} else {
		return err_msg(err, "disk '%s' is neither a regular file nor a block device", o->path);
	}
	if (bytes < BLK_SECTOR)
		return err_msg(err, "disk '%s' is smaller than one sector", o->path);
	if (bytes % BLK_SECTOR)
		pr_warn("virtio-blk: '%s' ends in a partial sector, which the guest will not see",
			o->path);
	d->sectors = bytes / BLK_SECTOR;
	d->readonly = o->readonly;
	/* Stable across runs for the same file, so guests can find their disk by serial. */
	char id[BLK_ID_BYTES + 1] = "";

	if (o->serial && strlen(o->serial) > BLK_ID_BYTES)
		return err_msg(err, "disk '%s': serial '%s' is longer than %u bytes", o->path,
			       o->serial, BLK_ID_BYTES);
	if (o->serial)
		strncpy(id, o->serial, sizeof(id) - 1);
	else
		snprintf(id, sizeof(id), "kage%016llx",
			 (unsigned long long)(st.st_dev * 0x9e3779b97f4a7c15ull ^ st.st_ino));
	memcpy(d->serial, id, BLK_ID_BYTES);
	d->fd = TAKE_FD(fd);
	return 0;
}

int blk__create(struct blk **out, struct loop *loop, const struct blk_opts *o, struct err **err)
{
	struct blk *b = calloc(1, sizeof(*b));
	struct virtio_workers_opts wo = {
		.threads = BLK_WORKERS, .queue = 0, .role = THREAD_BLK, .name = "blk-io",
		.work = blk_work, .ctx = b,
	};

	(void)loop;	/* the workers wait on the device lock, not on file descriptors */
	*out = NULL;
	if (!b)
		return err_errno(err, "allocate the virtio-blk device");
	pthread_mutex_init(&b->dev.lock, NULL);
	b->dev.ops = &blk_ops;
	b->dev.priv = b;
	b->disk.fd = -1;
	if (open_disk(&b->disk, o, err) < 0) {
		blk__destroy(b);
		return -1;
	}
	fill_config(b);
	if (virtio_workers__start(&b->workers, &b->dev, &wo, err) < 0) {
		blk__destroy(b);
		return -1;
	}
	*out = b;
	return 0;
}

struct virtio_dev *blk__dev(struct blk *b)
{
	return &b->dev;
}

void blk__destroy(void *p)
{
	struct blk *b = p;

	if (!b)
		return;
	virtio_workers__stop(b->workers);
	if (b->disk.fd >= 0)
		close(b->disk.fd);
	pthread_mutex_destroy(&b->dev.lock);
	free(b);
}
