/* The disk op: the /dev node a virtio-blk disk got in the guest, found by its serial. */
#ifndef KAGE_GUEST_AGENT_CONTAINER_DISK_H
#define KAGE_GUEST_AGENT_CONTAINER_DISK_H

#include <stddef.h>

struct err;

struct disk {
	char device[64];	/* "/dev/vda" */
	unsigned int major, minor;
};

/*
 * Finds the block device whose serial (virtio-blk GET_ID, /sys/block/X/serial) is serial,
 * under the sysfs mounted at sys. The kernel names disks in probe order, which kage does not
 * promise, so the serial kage gave the disk is how the guest tells them apart.
 */
int disk__find(const char *sys, const char *serial, struct disk *out, struct err **err);

#endif
