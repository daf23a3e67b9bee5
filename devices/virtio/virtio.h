/*
 * The device side of virtio, independent of transport: a device is a state struct plus a
 * const ops table. The transport (virtio-mmio here; virtio-ccw on s390x) owns the register
 * file, feature negotiation and the status state machine; a device sees its queues, guest
 * memory and an interrupt handle, never the transport.
 */
#ifndef KAGE_DEVICES_VIRTIO_VIRTIO_H
#define KAGE_DEVICES_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"
#include "queue.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

/* The UAPI names feature bits by number; feature words are masks. */
#define FEATURE(bit) (1ULL << (bit))

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

/* How a device interrupts the driver; the transport fills it in. */
struct virtio_irq {
	void (*notify_queue)(void *ctx, unsigned int queue);	/* used buffers available */
	void (*notify_config)(void *ctx);			/* config space changed */
	void *ctx;
};

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	unsigned int num_queues;
	uint16_t queue_max_size;
	/* Device feature bits (the transport adds VERSION_1, INDIRECT_DESC, EVENT_IDX). */
	uint64_t (*features)(struct virtio_dev *dev);
	/* Config space access; offset and len are already checked against config_size. */
	uint32_t config_size;
	void (*get_config)(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len);
	void (*set_config)(struct virtio_dev *dev, uint32_t offset, const void *data, uint32_t len);
	/* The driver set DRIVER_OK: queues are validated and ready, features are final. */
	int (*activate)(struct virtio_dev *dev, struct err **err);
	/* The driver kicked a queue (called on the event loop thread). */
	void (*queue_notify)(struct virtio_dev *dev, unsigned int queue);
	/* The driver reset the device: drop all state, stop using guest memory. */
	void (*reset)(struct virtio_dev *dev);
};

struct virtio_dev {
	/*
	 * Serializes the device: register accesses come from vCPU threads, queue kicks and the
	 * device's own file descriptors from the event loop. The transport holds it around every
	 * ops call; a device's own loop callbacks take it too.
	 */
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *priv;			/* the device's own state */
	uint64_t acked_features;	/* valid from activate() on */
	struct virtq queues[VIRTIO_MAX_QUEUES];
	const struct gmem *mem;
	struct virtio_irq irq;
	bool active;
	/* Set by a device that found the driver misbehaving; the transport reports it. */
	bool needs_reset;
};

/* Marks the device broken (DEVICE_NEEDS_RESET) after malformed guest input, logging why. */
void virtio__fail(struct virtio_dev *dev, const char *why);
/* Tells the driver about used buffers on a queue, if it asked to be told. */
void virtio__notify_used(struct virtio_dev *dev, unsigned int queue);

#endif
