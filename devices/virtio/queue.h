/*
 * Split virtqueues (virtio 1.2, 2.7): the device side of walking descriptor chains and
 * returning used buffers. The guest owns the rings, so nothing read from them is trusted:
 * every descriptor address and length is checked through gmem__ptr(), chains are bounded
 * (a loop or an over-long chain is an error), and indexes are checked against the ring size.
 */
#ifndef KAGE_DEVICES_VIRTIO_QUEUE_H
#define KAGE_DEVICES_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../../lib/err.h"
/* A chain's segments are read and written with the iov__ helpers. */
#include "../../lib/wire/iov.h"
#include "../../vmm/gmem.h"

#define VIRTQ_MAX_SIZE 32768
/* The most segments one chain may have (direct plus indirect), and so the most iovecs. */
#define VIRTQ_MAX_SEGS 256

struct virtq {
	/* Set by the transport from the driver's registers. */
	uint16_t size;		/* power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	bool ready;
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	const struct gmem *mem;

	/* Device state. */
	uint16_t last_avail;	/* next available-ring entry to take */
	uint16_t used_idx;	/* our used->idx */
	uint16_t signalled_used;	/* used->idx when we last interrupted the driver */
	bool signalled_used_valid;
};

/*
 * One descriptor chain, resolved to host memory: first the device-readable segments
 * (out[0..n_out)), then the device-writable ones (in[0..n_in)), as the spec requires.
 */
struct virtq_chain {
	uint16_t head;
	unsigned int n_out, n_in;
	uint64_t out_len, in_len;	/* byte totals */
	struct iovec out[VIRTQ_MAX_SEGS];
	struct iovec in[VIRTQ_MAX_SEGS];
};

/* Checks the ring addresses and size against guest memory; call when the driver sets ready. */
int virtq__validate(const struct virtq *q, struct err **err);
/* Resets device state (indexes) for a fresh start. */
void virtq__reset(struct virtq *q);
/*
 * Takes the next available chain: 1 and *c filled, 0 when the ring is empty, <0 with err set
 * when the guest gave us something malformed (the device should then stop using the queue).
 */
int virtq__pop(struct virtq *q, struct virtq_chain *c, struct err **err);
/* Puts a popped chain back (nothing consumed), e.g. when the device must wait for space. */
void virtq__unpop(struct virtq *q);
/* Returns a chain to the driver as used, with the number of bytes written into it. */
void virtq__push(struct virtq *q, uint16_t head, uint32_t written);
/* Whether the driver wants an interrupt for what was pushed since the last one. */
bool virtq__should_notify(struct virtq *q);
/* One line of ring state for diagnostics: our indexes and the driver's, event fields too. */
void virtq__describe(const struct virtq *q, char *buf, size_t size);
/*
 * Whether used entries lie past the driver's used_event (event index only): entries it wants an
 * interrupt for and has not taken yet. *used_event is set when this returns true.
 */
bool virtq__unconsumed(const struct virtq *q, uint16_t *used_event);
/* Whether the ring has chains we have not taken yet. */
bool virtq__has_avail(const struct virtq *q);

#endif
