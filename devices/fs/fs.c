/*
 * The virtio-fs device: queue 0 (hiprio) carries FORGETs and is served inline on the kick;
 * queue 1 carries every other request and is served by worker threads
 * (devices/virtio/workers.c), so a slow host disk stalls neither the event loop nor the
 * vCPUs, and several requests are in flight at once.
 */
#include "fs.h"

#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../lib/wire/le.h"
#include "../../lib/log.h"
#include "../../lib/thread_role.h"
#include "../virtio/workers.h"
/* FS_MAX_INODES and FS_MAX_HANDLES: the server's caps size the fd limit. */
#include "fs_int.h"

#define FS_QUEUE_HIPRIO 0
#define FS_QUEUE_REQUEST 1
#define FS_WORKERS 2

struct virtio_fs {
	struct virtio_dev dev;
	struct fuse_server *srv;
	struct virtio_fs_config config;	/* as the guest reads it: little-endian */
	struct virtio_workers *workers;
};

static struct virtio_fs *to_fs(struct virtio_dev *dev)
{
	return dev->priv;
}

/* One request, on a worker or inline, without the device lock. */
static int fs_work(void *ctx, const struct virtq_chain *c, uint32_t *used, struct err **err)
{
	struct virtio_fs *fs = ctx;

	(void)err;	/* a malformed request gets an error reply, never a failed device */
	*used = fuse_server__handle(fs->srv, c->out, c->n_out, c->in, c->n_in);
	return 0;
}

static void fs_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct virtio_fs *fs = to_fs(dev);

	if (queue == FS_QUEUE_REQUEST) {
		virtio_workers__kick(fs->workers);
		return;
	}
	if (queue != FS_QUEUE_HIPRIO)
		return;
	/* FORGETs are cheap and take no reply: not worth a thread hop. */
	struct virtq_chain *ch = malloc(sizeof(*ch));

	if (!ch)
		return;
	while (virtio_workers__serve(fs->workers, FS_QUEUE_HIPRIO, ch))
		;
	free(ch);
}

static void fs_get_config(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	memcpy(data, (uint8_t *)&to_fs(dev)->config + offset, len);
}

static uint64_t fs_features(struct virtio_dev *dev)
{
	(void)dev;
	return 0;	/* no notification queue: we never push events to the guest */
}

static int fs_activate(struct virtio_dev *dev, struct err **err)
{
	(void)err;
	/* Requests queued before DRIVER_OK were not served: serve them now. */
	virtio_workers__kick(to_fs(dev)->workers);
	return 0;
}

/* No new request starts; the transport clears the queues once the last one is in. */
static void fs_reset(struct virtio_dev *dev)
{
	virtio_workers__drain(to_fs(dev)->workers);
}

static const struct virtio_dev_ops fs_ops = {
	.name = "virtio-fs",
	.device_id = VIRTIO_ID_FS,
	.num_queues = 2,
	/* Linux caps a request at the queue size less 4 descriptors, well within a chain. */
	.queue_max_size = 256,
	.features = fs_features,
	.config_size = sizeof(struct virtio_fs_config),
	.get_config = fs_get_config,
	.activate = fs_activate,
	.queue_notify = fs_queue_notify,
	.reset = fs_reset,
};

/* The sandbox's own fds besides the shares': disks, taps, sockets, the relay's streams. */
#define NOFILE_BASE 4096

/* fs.nr_open, the most RLIMIT_NOFILE may be; read once, while /proc is still there. */
static rlim_t nr_open(void)
{
	static rlim_t n;
	unsigned long v = 0;
	FILE *f;

	if (n)
		return n;
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f && fscanf(f, "%lu", &v) == 1 && v)
		n = v;
	else
		n = RLIM_INFINITY;
	if (f)
		fclose(f);
	return n;
}

/*
 * Every inode the guest holds is an O_PATH fd here, and a guest keeps every inode it has seen
 * while its dentry cache lasts (a tar of a few thousand files passes the usual 1024 or 4096).
 * A share holds at most FS_MAX_INODES inodes and FS_MAX_HANDLES open files, so that is what
 * each needs; fs.nr_open caps it.
 */
rlim_t virtio_fs__nofile(unsigned int nr_shares)
{
	rlim_t need = NOFILE_BASE + (rlim_t)nr_shares * (FS_MAX_INODES + FS_MAX_HANDLES);

	return need < nr_open() ? need : nr_open();
}

/* Without a limit set for all the shares (the sandbox sets one), one share's, as root can. */
static void raise_nofile(void)
{
	struct rlimit lim;
	rlim_t want = virtio_fs__nofile(1);

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return;
	if (lim.rlim_max < want) {
		struct rlimit more = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

int virtio_fs__create(struct virtio_fs **out, const char *tag, const struct fs_share_opts *o,
		      struct err **err)
{
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	size_t len = tag ? strlen(tag) : 0;
	struct virtio_workers_opts wo = {
		.threads = FS_WORKERS, .queue = FS_QUEUE_REQUEST, .role = THREAD_FS,
		.name = "fs-io", .work = fs_work, .ctx = fs,
	};

	*out = fs;
	if (!fs)
		return err_errno(err, "allocate the virtio-fs device");
	pthread_mutex_init(&fs->dev.lock, NULL);
	fs->dev.ops = &fs_ops;
	fs->dev.priv = fs;
	if (!len || len > VIRTIO_FS_TAG_MAX)
		return err_msg(err, "virtio-fs: tag '%s' must be 1 to %d bytes", tag ? tag : "",
			       VIRTIO_FS_TAG_MAX);
	memcpy(fs->config.tag, tag, len);
	fs->config.num_request_queues = le__from_cpu32(1);
	raise_nofile();
	if (fuse_server__create(&fs->srv, o, err) < 0)
		return err_prefix(err, "virtio-fs '%s'", tag);
	return virtio_workers__start(&fs->workers, &fs->dev, &wo, err);
}

void virtio_fs__destroy(void *p)
{
	struct virtio_fs *fs = p;

	if (!fs)
		return;
	virtio_workers__stop(fs->workers);
	fuse_server__destroy(fs->srv);
	pthread_mutex_destroy(&fs->dev.lock);
	free(fs);
}

struct virtio_dev *virtio_fs__dev(struct virtio_fs *fs)
{
	return &fs->dev;
}
