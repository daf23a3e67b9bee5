/* Transport-independent virtio helpers a device calls: failing safely, notifying the driver. */
#include "virtio.h"

#include "../../lib/log.h"

void virtio__fail(struct virtio_dev *dev, const char *why)
{
	/* One line per failure: a guest that keeps kicking a broken queue must not flood the log. */
	if (dev->needs_reset)
		return;
	dev->needs_reset = true;
	pr_err("%s: %s; device needs reset", dev->ops->name, why);
}

void virtio__notify_used(struct virtio_dev *dev, unsigned int queue)
{
	if (queue >= VIRTIO_MAX_QUEUES)
		return;
	if (virtq__should_notify(&dev->queues[queue]) && dev->irq.notify_queue)
		dev->irq.notify_queue(dev->irq.ctx, queue);
}
