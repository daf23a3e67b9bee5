/*
 * The virtio-fs device: queue 0 (hiprio) carries FORGETs and is served inline on the kick;
 * queue 1 carries every other request and is served by worker threads, so a slow host disk
 * stalls neither the event loop nor the vCPUs, and several requests are in flight at once.
 */
#include "fs.h"

#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../lib/log.h"
#include "../../lib/thread_role.h"
/* FS_MAX_INODES and FS_MAX_HANDLES: the server's caps size the fd limit. */
#include "fs_int.h"

#define FS_QUEUE_HIPRIO 0
#define FS_QUEUE_REQUEST 1
#define FS_WORKERS 2

struct virtio_fs {
	struct virtio_dev dev;
	struct fuse_server *srv;
	struct virtio_fs_config config;
	pthread_t workers[FS_WORKERS];
	unsigned int nr_workers;
	/* Both with dev.lock: work arrived or we are stopping; no request is being served. */
	pthread_cond_t wake, idle;
	unsigned int busy;	/* requests being served outside the lock */
	bool stopping;
};

static struct virtio_fs *to_fs(struct virtio_dev *dev)
{
	return dev->priv;
}

/* Serves chains from queue q until it is empty; called and returning with dev.lock held. */
static bool serve_one(struct virtio_fs *fs, unsigned int qi, struct virtq_chain *ch)
{
	struct virtq *q = &fs->dev.queues[qi];
	_cleanup_err_ struct err *err = NULL;
	int r;

	if (!fs->dev.active || fs->dev.needs_reset || !q->ready)
		return false;
	r = virtq__pop(q, ch, &err);
	if (r < 0)
		virtio__fail(&fs->dev, err->msg);
	if (r <= 0)
		return false;
	/*
	 * The request runs without the lock. A reset waits for it (idle) before it clears the
	 * queues, so the push below always lands in the ring the chain came from.
	 */
	fs->busy++;
	pthread_mutex_unlock(&fs->dev.lock);
	uint32_t n = fuse_server__handle(fs->srv, ch->out, ch->n_out, ch->in, ch->n_in);

	pthread_mutex_lock(&fs->dev.lock);
	if (--fs->busy == 0)
		pthread_cond_broadcast(&fs->idle);
	/*
	 * A reset under way (active cleared) or a teardown: the reply is dropped, so nothing
	 * touches the rings after reset returns, nor the transport once it may be gone.
	 */
	if (fs->stopping || !fs->dev.active)
		return false;
	virtq__push(q, ch->head, n);
	virtio__notify_used(&fs->dev, qi);
	return true;
}

static void *worker(void *arg)
{
	struct virtio_fs *fs = arg;
	struct virtq_chain *ch = malloc(sizeof(*ch));

	thread_role__enter(THREAD_FS, "fs-io");

	if (!ch) {
		pr_err("virtio-fs: no memory for a worker");
		return NULL;
	}
	pthread_mutex_lock(&fs->dev.lock);
	while (!fs->stopping) {
		if (!serve_one(fs, FS_QUEUE_REQUEST, ch))
			pthread_cond_wait(&fs->wake, &fs->dev.lock);
	}
	pthread_mutex_unlock(&fs->dev.lock);
	free(ch);
	return NULL;
}

static void fs_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct virtio_fs *fs = to_fs(dev);

	if (queue == FS_QUEUE_REQUEST) {
		pthread_cond_broadcast(&fs->wake);
		return;
	}
	if (queue != FS_QUEUE_HIPRIO)
		return;
	/* FORGETs are cheap and take no reply: not worth a thread hop. */
	struct virtq_chain *ch = malloc(sizeof(*ch));

	if (!ch)
		return;
	while (serve_one(fs, FS_QUEUE_HIPRIO, ch))
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
	pthread_cond_broadcast(&to_fs(dev)->wake);
	return 0;
}

static void fs_reset(struct virtio_dev *dev)
{
	struct virtio_fs *fs = to_fs(dev);

	/* No new request starts; the transport clears the queues once the last one is in. */
	dev->active = false;
	while (fs->busy)
		pthread_cond_wait(&fs->idle, &dev->lock);
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

	*out = fs;
	if (!fs)
		return err_errno(err, "allocate the virtio-fs device");
	pthread_mutex_init(&fs->dev.lock, NULL);
	pthread_cond_init(&fs->wake, NULL);
	pthread_cond_init(&fs->idle, NULL);
	fs->dev.ops = &fs_ops;
	fs->dev.priv = fs;
	if (!len || len > VIRTIO_FS_TAG_MAX)
		return err_msg(err, "virtio-fs: tag '%s' must be 1 to %d bytes", tag ? tag : "",
			       VIRTIO_FS_TAG_MAX);
	memcpy(fs->config.tag, tag, len);
	fs->config.num_request_queues = 1;
	raise_nofile();
	if (fuse_server__create(&fs->srv, o, err) < 0)
		return err_prefix(err, "virtio-fs '%s'", tag);
	/* Workers take no signals: those belong to the signalfd of whoever runs the VM. */
	sigset_t all, old;
	int ret = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; fs->nr_workers < FS_WORKERS && !ret; fs->nr_workers += !ret)
		ret = pthread_create(&fs->workers[fs->nr_workers], NULL, worker, fs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret ? err_code(err, ret, "virtio-fs: start a worker") : 0;
}

struct virtio_dev *virtio_fs__dev(struct virtio_fs *fs)
{
	return &fs->dev;
}

void virtio_fs__destroy(void *p)
{
	struct virtio_fs *fs = p;

	if (!fs)
		return;
	pthread_mutex_lock(&fs->dev.lock);
	fs->stopping = true;
	pthread_cond_broadcast(&fs->wake);
	pthread_mutex_unlock(&fs->dev.lock);
	for (unsigned int i = 0; i < fs->nr_workers; i++)
		pthread_join(fs->workers[i], NULL);
	fuse_server__destroy(fs->srv);
	pthread_cond_destroy(&fs->wake);
	pthread_cond_destroy(&fs->idle);
	pthread_mutex_destroy(&fs->dev.lock);
	free(fs);
}
