/*
 * virtio-blk (virtio 1.2, 5.2): a host regular file or block device as the guest's disk, one
 * request queue served by a small pool of worker threads so the event loop never waits for
 * the disk and several requests are in flight at once.
 */
#ifndef KAGE_DEVICES_BLK_BLK_H
#define KAGE_DEVICES_BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"
#include "../virtio/virtio.h"

struct loop;
struct blk;

#define BLK_SECTOR 512u
/* Data segments per request: the chain limit less the header and the status byte. */
#define BLK_SEG_MAX (VIRTQ_MAX_SEGS - 2)
#define BLK_SIZE_MAX (1u << 20)			/* bytes in one data segment */
#define BLK_MAX_DATA ((uint64_t)BLK_SEG_MAX * BLK_SIZE_MAX)
#define BLK_DISCARD_SEG 32u			/* ranges in one DISCARD */
#define BLK_DISCARD_SECTORS (1u << 22)		/* 2 GiB per range: a hole punch is cheap */
#define BLK_WZ_SEG 8u				/* ranges in one WRITE_ZEROES */
/* 32 MiB per range: a filesystem without ZERO_RANGE makes us write the zeroes ourselves. */
#define BLK_WZ_SECTORS (1u << 16)
#define BLK_DISCARD_ALIGN 8u			/* sectors: the 4 KiB pages holes are punched in */
#define BLK_ID_BYTES 20

struct blk_opts {
	const char *path;
	bool readonly;
	const char *serial;	/* GET_ID's answer, at most BLK_ID_BYTES; NULL: from the file */
};

/* Opens path (a regular file or a block device) and starts the workers. *out is NULL on error. */
int blk__create(struct blk **out, struct loop *loop, const struct blk_opts *o, struct err **err);
struct virtio_dev *blk__dev(struct blk *b);
/* Stops and joins the workers, then frees the device (NULL is fine). */
void blk__destroy(void *b);

/* The backing store as requests see it (exposed for unit tests and fuzzing). */
struct blk_disk {
	int fd;
	uint64_t sectors;	/* capacity in 512-byte sectors */
	bool readonly;
	bool blockdev;		/* discard through BLKDISCARD rather than a hole punch */
	char serial[BLK_ID_BYTES];	/* GET_ID's answer, not NUL-terminated when full */
};

/*
 * Serves one request chain synchronously: checks it against the disk, does the I/O on the
 * chain's host iovecs and writes the status byte (the last device-writable byte). *used is
 * the number of bytes written into the chain. Returns -1, touching nothing, when the chain
 * has no device-writable byte to hold a status: the driver is broken, not the request.
 */
int blk__serve_chain(const struct blk_disk *d, const struct virtq_chain *c, uint32_t *used);

#endif
