/*
 * The virtio-mmio transport (virtio 1.2, 4.2), modern layout (version 2): a register window
 * per device, kicks through KVM ioeventfds served by the event loop, interrupts through an
 * irqfd. Devices are announced on the kernel command line (virtio_mmio.device=).
 */
#ifndef KAGE_DEVICES_VIRTIO_MMIO_H
#define KAGE_DEVICES_VIRTIO_MMIO_H

#include "../../lib/err.h"
#include "virtio.h"

struct vm;

/* Places dev in the VM: a register window, an interrupt line, ioeventfds, a cmdline entry. */
int virtio_mmio__add(struct vm *vm, struct virtio_dev *dev, struct err **err);

#endif
