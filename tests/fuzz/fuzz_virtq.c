// sources: devices/virtio/queue.c lib/wire/iov.c devices/virtio/virtio.c vmm/gmem.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c
/*
 * libFuzzer harness for split virtqueues: the input is a guest's memory (rings, descriptors,
 * indirect tables) and the device pops and pushes until the ring is empty or malformed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "lib/log.h"
#include "tests/model/guest_ring.h"
#include "fuzz.h"

/* Two adjacent 32 KiB regions at gpa 0: a buffer across the seam must be rejected. */
#define REGION 0x8000u
#define MEM_SIZE (2 * REGION)
#define HDR 8
#define MAX_ROUNDS 1024

/* Header byte 1. */
#define F_EVENT_IDX 0x01
#define F_INDIRECT 0x02
#define F_LAYOUT 0x04	/* ring addresses from bytes 2..7 instead of packed after each other */
#define F_RAW_LAYOUT 0x08	/* ... and not even aligned, to reach validate()'s errors */
#define F_UNPOP 0x10
#define F_COPY 0x20	/* read the out segments and write the in ones, as a device would */

static struct gmem mem;
static struct virtq_chain chain, again;
static uint8_t scratch[MEM_SIZE];

static void init_once(void)
{
	static int done;

	if (done)
		return;
	if (gmem__add(&mem, 0, REGION, NULL) < 0 || gmem__add(&mem, REGION, REGION, NULL) < 0)
		abort();
	/* virtio__fail() logs; keep the fuzzer's output readable and fast. */
	log__init("/dev/null", LOG_TEXT, LOG_ERROR, NULL);
	done = 1;
}

/* Every iovec must lie inside one region's mapping, which is what gmem__ptr() promises. */
static void check_iov(const struct iovec *iov, unsigned int n, uint64_t total)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		int inside = 0;

		ASSERT(iov[i].iov_len > 0);
		for (unsigned int r = 0; r < mem.nr; r++) {
			const uint8_t *h = mem.regions[r].host;

			if (p >= h && p < h + mem.regions[r].size &&
			    iov[i].iov_len <= (size_t)(h + mem.regions[r].size - p))
				inside = 1;
		}
		ASSERT(inside);
		sum += iov[i].iov_len;
	}
	ASSERT(sum == total);
}

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	ASSERT(c->head < q->size);
	ASSERT(c->n_out + c->n_in <= VIRTQ_MAX_SEGS);
	check_iov(c->out, c->n_out, c->out_len);
	check_iov(c->in, c->n_in, c->in_len);
}

/* Where the input's rings lie; their contents are the input's, so nothing is written. */
static void layout(struct guest_ring *r, uint16_t size, const uint8_t *h)
{
	uint64_t n = size, desc = h[2] | h[3] << 8, avail = h[4] | h[5] << 8;
	uint64_t used = h[6] | h[7] << 8;

	if (!(h[1] & F_LAYOUT)) {
		/* Packed at gpa 0 so that short inputs already reach the rings. */
		desc = 0;
		avail = 16 * n;
		used = (avail + 6 + 2 * n + 3) & ~3ull;
	} else if (!(h[1] & F_RAW_LAYOUT)) {
		desc &= ~15ull;
		avail &= ~1ull;
		used &= ~3ull;
	}
	guest_ring__place(r, &mem, size, desc, avail, used);
	r->event_idx = h[1] & F_EVENT_IDX;
	r->indirect = h[1] & F_INDIRECT;
}

/* Consumes one chain as a device would; the copies may scribble over the rings themselves. */
static void use_chain(const struct virtq_chain *c)
{
	size_t got = iov__to_buf(c->out, c->n_out, 1, scratch, sizeof(scratch));
	uint64_t want = c->out_len ? c->out_len - 1 : 0;

	ASSERT(got == (want < sizeof(scratch) ? want : sizeof(scratch)));
	iov__from_buf(c->in, c->n_in, 0, scratch, got < c->in_len ? got : c->in_len);
}

/*
 * Without EVENT_IDX a pop writes nothing, so popping again after unpop must see the same
 * chain; with it, avail_event may have landed on (overlapping) rings and changed them.
 */
static void repop(struct virtq *q)
{
	int ret;

	virtq__unpop(q);
	ret = virtq__pop(q, &again, NULL);
	if (q->event_idx) {
		if (ret > 0)
			check_chain(q, &again);
		return;
	}
	ASSERT(ret == 1 && again.head == chain.head && again.out_len == chain.out_len &&
	       again.in_len == chain.in_len);
}

static void run_queue(struct virtio_dev *dev, uint8_t flags)
{
	struct virtq *q = &dev->queues[0];
	struct err *err = NULL;
	int ret = 1;

	for (int i = 0; i < MAX_ROUNDS && ret > 0; i++) {
		uint16_t before = q->last_avail;

		ret = virtq__pop(q, &chain, &err);
		/* Only a chain actually taken moves the index: errors leave the ring untouched. */
		ASSERT(q->last_avail == (uint16_t)(before + (ret > 0)));
		if (ret < 0) {
			ASSERT(err && err->msg);
			virtio__fail(dev, err->msg);
			break;
		}
		ASSERT(!err);
		if (!ret) {
			ASSERT(!virtq__has_avail(q));
			break;
		}
		check_chain(q, &chain);
		if ((flags & F_UNPOP) && i == 0)
			repop(q);
		if (flags & F_COPY)
			use_chain(&chain);
		virtq__push(q, chain.head, (uint32_t)chain.in_len);
		virtio__notify_used(dev, 0);
	}
	err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct virtio_dev_ops ops = { .name = "fuzz" };
	unsigned int irqs = 0;
	struct virtio_dev dev = {
		.ops = &ops,
		.mem = &mem,
		.irq = { .notify_queue = guest_dev__count_irq, .ctx = &irqs },
	};
	struct guest_ring ring;

	if (size < HDR)
		return 0;
	init_once();
	memset(mem.regions[0].host, 0, REGION);
	memset(mem.regions[1].host, 0, REGION);
	/* The input after the header is guest memory from gpa 0, in region-sized pieces. */
	for (uint64_t off = 0; off < size - HDR && off < MEM_SIZE; off += REGION) {
		uint64_t n = size - HDR - off < REGION ? size - HDR - off : REGION;

		gmem__write(&mem, off, data + HDR + off, n);
	}

	layout(&ring, 1u << (data[0] % 10), data);	/* 1..512: beyond VIRTQ_MAX_SEGS too */
	/* Rings the transport would refuse never reach the device. */
	if (guest_ring__attach(&ring, &dev.queues[0], NULL) < 0)
		return 0;
	run_queue(&dev, data[1]);
	return 0;
}
