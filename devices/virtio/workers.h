/*
 * Worker threads that serve one virtqueue's chains outside the device lock, for devices whose
 * requests wait on the host (a disk, a shared directory): the vCPUs and the event loop only
 * wake them, and several requests are in flight at once.
 *
 * Locking: the pool runs under the device's own lock (dev->lock). A thread takes a chain
 * with it held, serves it without (the chain's iovecs point into guest RAM, which outlives the
 * device) and returns it with it held, so the rings and the interrupt state are only touched
 * under the lock. A device's reset drains the pool: no new chain is taken, what is in flight
 * finishes and is dropped, so after reset nothing touches guest memory. Chains whose threads
 * wait for the lock together are returned under one interrupt, raised by the last of them.
 */
#ifndef KAGE_DEVICES_VIRTIO_WORKERS_H
#define KAGE_DEVICES_VIRTIO_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"
#include "../../lib/thread_role.h"
#include "virtio.h"

/*
 * Serves one chain, without the device lock: 0 and *used, the bytes written into the chain,
 * which then goes back to the driver; <0 with err set when the driver is broken (the device
 * is failed with err's message and the chain is not returned).
 */
typedef int (*virtio_work_fn)(void *ctx, const struct virtq_chain *c, uint32_t *used,
			      struct err **err);

struct virtio_workers_opts {
	unsigned int threads;
	unsigned int queue;	/* the queue the threads serve */
	enum thread_role role;	/* entered first thing on each thread */
	const char *name;	/* the threads' name (at most 15 bytes) */
	virtio_work_fn work;
	void *ctx;
};

struct virtio_workers;

/*
 * Starts the threads for dev, whose lock must be initialised; they take no signals (those
 * belong to the signalfd of whoever runs the VM). *out is NULL on error.
 */
int virtio_workers__start(struct virtio_workers **out, struct virtio_dev *dev,
			  const struct virtio_workers_opts *o, struct err **err);
/* Wakes the threads for chains the driver made available; with dev->lock held. */
void virtio_workers__kick(struct virtio_workers *w);
/*
 * Serves one chain of queue q on the calling thread as a worker would, counted as in flight
 * like theirs; with dev->lock held, released while the work runs. False when none was taken.
 */
bool virtio_workers__serve(struct virtio_workers *w, unsigned int q, struct virtq_chain *c);
/* For a device's reset, with dev->lock held: waits (the lock released) until none is in flight. */
void virtio_workers__drain(struct virtio_workers *w);
/* Stops and joins the threads and frees the pool (NULL is fine); without dev->lock. */
void virtio_workers__stop(struct virtio_workers *w);

#endif
