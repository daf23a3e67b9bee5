/*
 * virtio-blk, the device side: config space, features, and the worker pool that serves the
 * request queue. Requests themselves are checked and served in blk_req.c.
 *
 * Threads and locking: a kick (event loop thread, dev->lock held) only wakes the workers.
 * A worker takes a chain under dev->lock, serves it without the lock (the chain's iovecs
 * point into guest RAM, which outlives the device) and returns it under the lock, so the
 * used ring and the interrupt state are only ever touched with the lock held. Reset waits,
 * with the lock released through a condition variable, until no request is in flight, and
 * what finishes meanwhile is dropped: after reset nothing touches guest memory.
 */
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../lib/thread_role.h"

/* Enough to keep a disk busy while one request waits on a flush; threads are cheap. */
#define BLK_WORKERS 4
#define BLK_QUEUE_SIZE 256
/* Config space up to write_zeroes_may_unmap and its padding; no secure erase. */
#define BLK_CONFIG_SIZE offsetof(struct virtio_blk_config, max_secure_erase_sectors)

struct blk_worker {
	struct blk *b;
	pthread_t thread;
	bool started;
	struct virtq_chain chain;
};

struct blk {
	struct virtio_dev dev;
	struct blk_disk disk;
	struct virtio_blk_config cfg;

	/* All below is guarded by dev.lock. */
	pthread_cond_t work;	/* a kick, a reset that ended, or quit */
	pthread_cond_t idle;	/* busy dropped to 0 */
	unsigned int busy;	/* requests taken and not yet returned */
	bool draining;		/* a reset is waiting for busy == 0: take nothing, return nothing */
	bool quit;
	struct blk_worker workers[BLK_WORKERS];
};

static struct blk *to_blk(struct virtio_dev *dev)
{
	return dev->priv;
}

/* Takes the next chain for a worker: 1 when it did, 0 when there is nothing to do. */
static int take_chain(struct blk *b, struct virtq_chain *ch)
{
	struct virtio_dev *dev = &b->dev;
	struct virtq *q = &dev->queues[0];
	_cleanup_err_ struct err *err = NULL;
	int r;

	if (b->quit || b->draining || !dev->active || dev->needs_reset || !q->ready)
		return 0;
	r = virtq__pop(q, ch, &err);
	if (r < 0) {
		virtio__fail(dev, err->msg);
		return 0;
	}
	return r;
}

/* Returns a served chain to the driver, unless a reset or destroy is under way. */
static void finish_chain(struct blk *b, const struct virtq_chain *ch, int served, uint32_t used)
{
	struct virtio_dev *dev = &b->dev;

	if (served < 0) {
		virtio__fail(dev, "request has no device-writable byte for its status");
	} else if (!b->draining && !b->quit && dev->active) {
		virtq__push(&dev->queues[0], ch->head, used);
		virtio__notify_used(dev, 0);
	}
	if (--b->busy == 0)
		pthread_cond_broadcast(&b->idle);
}

static void *blk_worker(void *arg)
{
	struct blk_worker *w = arg;
	struct blk *b = w->b;
	struct virtio_dev *dev = &b->dev;

	thread_role__enter(THREAD_BLK, "blk-io");

	pthread_mutex_lock(&dev->lock);
	while (!b->quit) {
		uint32_t used;
		int served;

		if (!take_chain(b, &w->chain)) {
			pthread_cond_wait(&b->work, &dev->lock);
			continue;
		}
		b->busy++;
		pthread_mutex_unlock(&dev->lock);
		served = blk__serve_chain(&b->disk, &w->chain, &used);
		pthread_mutex_lock(&dev->lock);
		finish_chain(b, &w->chain, served, used);
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

static void blk_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	if (queue == 0)
		pthread_cond_broadcast(&to_blk(dev)->work);
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

/*
 * Called with dev->lock held, like every op. Waiting on `idle` releases the lock, so workers
 * can finish (and drop) what they hold; `draining` keeps them from taking more meanwhile.
 */
static void blk_reset(struct virtio_dev *dev)
{
	struct blk *b = to_blk(dev);

	b->draining = true;
	while (b->busy)
		pthread_cond_wait(&b->idle, &dev->lock);
	b->draining = false;
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

/* Little-endian fields, as on the x86 host this builds for (virtio 1.x config is LE). */
static void fill_config(struct blk *b)
{
	struct virtio_blk_config *c = &b->cfg;

	c->capacity = b->disk.sectors;
	c->size_max = BLK_SIZE_MAX;
	c->seg_max = BLK_SEG_MAX;
	c->blk_size = BLK_SECTOR;
	c->num_queues = 1;
	if (b->disk.readonly)
		return;
	c->max_discard_sectors = BLK_DISCARD_SECTORS;
	c->max_discard_seg = BLK_DISCARD_SEG;
	c->discard_sector_alignment = BLK_DISCARD_ALIGN;
	c->max_write_zeroes_sectors = BLK_WZ_SECTORS;
	c->max_write_zeroes_seg = BLK_WZ_SEG;
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

/* Workers take no signals: those are for the signalfd and the vCPU kicks, not the disk. */
static int start_workers(struct blk *b, struct err **err)
{
	sigset_t all, old;
	int r = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < BLK_WORKERS && !r; i++) {
		struct blk_worker *w = &b->workers[i];

		w->b = b;
		r = pthread_create(&w->thread, NULL, blk_worker, w);
		if (r)
			err_code(err, r, "virtio-blk: start worker %u", i);
		w->started = !r;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r ? -1 : 0;
}

int blk__create(struct blk **out, struct loop *loop, const struct blk_opts *o, struct err **err)
{
	struct blk *b = calloc(1, sizeof(*b));

	(void)loop;	/* the workers wait on the device lock, not on file descriptors */
	*out = NULL;
	if (!b)
		return err_errno(err, "allocate the virtio-blk device");
	pthread_mutex_init(&b->dev.lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->idle, NULL);
	b->dev.ops = &blk_ops;
	b->dev.priv = b;
	b->disk.fd = -1;
	if (open_disk(&b->disk, o, err) < 0) {
		blk__destroy(b);
		return -1;
	}
	fill_config(b);
	if (start_workers(b, err) < 0) {
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
	pthread_mutex_lock(&b->dev.lock);
	b->quit = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->dev.lock);
	for (unsigned int i = 0; i < BLK_WORKERS; i++)
		if (b->workers[i].started)
			pthread_join(b->workers[i].thread, NULL);
	if (b->disk.fd >= 0)
		close(b->disk.fd);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->idle);
	pthread_mutex_destroy(&b->dev.lock);
	free(b);
}
