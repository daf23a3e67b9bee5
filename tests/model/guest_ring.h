/*
 * The guest's side of a split virtqueue (virtio 1.2, 2.7) for the device tests and fuzz
 * harnesses: rings laid out in guest memory, chains of buffers offered and published as a
 * driver must, used entries taken back; guest_dev__*() play the transport that hands a device
 * its queues, kicks it and resets it. Descriptors and ring fields can also be written raw, any
 * values at all, as a hostile guest would. Header-only, so that no test or harness links more.
 */
#ifndef KAGE_TESTS_MODEL_GUEST_RING_H
#define KAGE_TESTS_MODEL_GUEST_RING_H

#include <endian.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "vmm/gmem.h"

/* guest_ring__init()'s layout: descriptors, available and used ring a page apart. */
#define GUEST_RING_PAGE 0x1000ull

struct guest_ring {
	const struct gmem *mem;
	uint16_t size;
	uint64_t desc, avail, used;	/* guest addresses of the three parts */
	bool event_idx, indirect;	/* negotiated; guest_ring__attach() hands them on */
	/* The driver's own state. */
	uint16_t next_desc;	/* where guest_ring__add() lays the next chain, < size */
	uint16_t avail_idx;	/* avail->idx as last published */
	uint16_t used_seen;	/* used entries taken back */
};

/* One buffer of a chain: device-readable, or device-writable when write is set. */
struct guest_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Places a ring and starts the driver's indexes at 0; guest memory is left as it is. */
static inline void guest_ring__place(struct guest_ring *r, const struct gmem *mem, uint16_t size,
				     uint64_t desc, uint64_t avail, uint64_t used)
{
	*r = (struct guest_ring){ .mem = mem, .size = size, .desc = desc, .avail = avail,
				  .used = used };
}

static inline void guest_ring__zero(const struct gmem *mem, uint64_t gpa, uint64_t len)
{
	void *p = gmem__ptr(mem, gpa, len);

	if (p)
		memset(p, 0, len);
}

/* Zeroes the three parts, event fields included, as a driver does before using them. */
static inline void guest_ring__clear(const struct guest_ring *r)
{
	guest_ring__zero(r->mem, r->desc, 16ull * r->size);
	guest_ring__zero(r->mem, r->avail, 6 + 2ull * r->size);
	guest_ring__zero(r->mem, r->used, 6 + 8ull * r->size);
}

/* A fresh, zeroed ring with its parts a page apart from base on (so at most 256 entries). */
static inline void guest_ring__init(struct guest_ring *r, const struct gmem *mem, uint16_t size,
				    uint64_t base)
{
	guest_ring__place(r, mem, size, base, base + GUEST_RING_PAGE, base + 2 * GUEST_RING_PAGE);
	guest_ring__clear(r);
}

/*
 * 16-bit ring fields go with single atomic accesses, as the device's do: a store releases what
 * was written before it (the entries an index publishes), a load acquires what the device wrote
 * before its index. The rings are 2-byte aligned (guest_ring__attach() checks it).
 */
static inline void guest_ring__store16(const struct guest_ring *r, uint64_t gpa, uint16_t v)
{
	uint16_t *p = gmem__ptr(r->mem, gpa, sizeof(*p));

	if (p)
		__atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
}

static inline uint16_t guest_ring__load16(const struct guest_ring *r, uint64_t gpa)
{
	uint16_t *p = gmem__ptr(r->mem, gpa, sizeof(*p));

	return p ? le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE)) : 0;
}

/*
 * Writes entry i of the descriptor table at table (the ring's own, r->desc, or an indirect
 * one) with whatever values the caller gives: nothing is checked.
 */
static inline void guest_ring__set_desc(const struct guest_ring *r, uint64_t table, uint32_t i,
					uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { .addr = htole64(addr), .len = htole32(len),
				.flags = htole16(flags), .next = htole16(next) };

	gmem__write(r->mem, table + 16ull * i, &d, sizeof(d));
}

/* Descriptor i of the ring's own table, in host byte order. */
static inline struct vring_desc guest_ring__get_desc(const struct guest_ring *r, uint16_t i)
{
	struct vring_desc d = { 0 };

	gmem__read(r->mem, r->desc + 16ull * i, &d, sizeof(d));
	d.addr = le64toh(d.addr);
	d.len = le32toh(d.len);
	d.flags = le16toh(d.flags);
	d.next = le16toh(d.next);
	return d;
}

/* Sets avail->idx to any value, a jump past the ring included. */
static inline void guest_ring__set_avail_idx(struct guest_ring *r, uint16_t idx)
{
	r->avail_idx = idx;
	guest_ring__store16(r, r->avail + 2, idx);
}

/*
 * Makes the chain at head available: the ring entry first, then avail->idx (2.7.13), so a
 * device that sees the new index also sees the entry and the descriptors laid before it.
 */
static inline void guest_ring__publish(struct guest_ring *r, uint16_t head)
{
	uint16_t e = htole16(head);

	gmem__write(r->mem, r->avail + 4 + 2ull * (r->avail_idx % r->size), &e, sizeof(e));
	guest_ring__set_avail_idx(r, r->avail_idx + 1);
}

/*
 * Lays bufs out as one chain from descriptor r->next_desc on (wrapping at the end of the
 * table), device-writable ones where the caller says, and publishes it; returns its head.
 */
static inline uint16_t guest_ring__add(struct guest_ring *r, const struct guest_buf *bufs,
				       unsigned int n)
{
	uint16_t head = r->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t d = r->next_desc;
		uint16_t flags = (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		r->next_desc = (uint16_t)((d + 1u) % r->size);
		guest_ring__set_desc(r, r->desc, d, bufs[i].gpa, bufs[i].len, flags, r->next_desc);
	}
	guest_ring__publish(r, head);
	return head;
}

/* How many more chains the driver may offer before it must take used ones back. */
static inline unsigned int guest_ring__room(const struct guest_ring *r)
{
	return r->size - (uint16_t)(r->avail_idx - r->used_seen);
}

/* The driver's fields: avail->flags, and used_event (read by a device with EVENT_IDX). */
static inline void guest_ring__set_avail_flags(const struct guest_ring *r, uint16_t flags)
{
	guest_ring__store16(r, r->avail, flags);
}

static inline void guest_ring__set_used_event(const struct guest_ring *r, uint16_t v)
{
	guest_ring__store16(r, r->avail + 4 + 2ull * r->size, v);
}

/* The device's fields: used->idx, avail_event, and used->ring[i % size] in host byte order. */
static inline uint16_t guest_ring__used_idx(const struct guest_ring *r)
{
	return guest_ring__load16(r, r->used + 2);
}

static inline uint16_t guest_ring__avail_event(const struct guest_ring *r)
{
	return guest_ring__load16(r, r->used + 4 + 8ull * r->size);
}

static inline struct vring_used_elem guest_ring__used_elem(const struct guest_ring *r,
							    uint16_t i)
{
	struct vring_used_elem e = { 0 };

	gmem__read(r->mem, r->used + 4 + 8ull * (i % r->size), &e, sizeof(e));
	e.id = le32toh(e.id);
	e.len = le32toh(e.len);
	return e;
}

/* Takes the next used entry back; false when the device has returned nothing new. */
static inline bool guest_ring__take_used(struct guest_ring *r, struct vring_used_elem *e)
{
	if (guest_ring__used_idx(r) == r->used_seen)
		return false;
	*e = guest_ring__used_elem(r, r->used_seen++);
	return true;
}

/* The same for a device that completes on threads of its own: waits up to ms milliseconds. */
static inline bool guest_ring__wait_used(struct guest_ring *r, struct vring_used_elem *e,
					 unsigned int ms)
{
	for (unsigned int i = 0; !guest_ring__take_used(r, e); i++) {
		if (i == ms)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * What the transport makes of the driver's queue registers: the device's queue takes the
 * ring's layout and features and fresh indexes, and must lie in guest memory (<0 otherwise).
 */
static inline int guest_ring__attach(const struct guest_ring *r, struct virtq *q,
				     struct err **err)
{
	*q = (struct virtq){ .size = r->size, .desc_gpa = r->desc, .avail_gpa = r->avail,
			     .used_gpa = r->used, .ready = true, .event_idx = r->event_idx,
			     .indirect = r->indirect, .mem = r->mem };
	virtq__reset(q);
	return virtq__validate(q, err);
}

/*
 * The transport at DRIVER_OK: the device's queues 0..n-1 take the rings, the features are
 * final, the device activates. <0 with err set when a ring lies outside guest memory or
 * activation fails; the device is then not active.
 */
static inline int guest_dev__start(struct virtio_dev *dev, const struct guest_ring *rings,
				   unsigned int n, uint64_t features, struct err **err)
{
	int r = 0;

	pthread_mutex_lock(&dev->lock);
	for (unsigned int i = 0; i < n && r == 0; i++)
		r = guest_ring__attach(&rings[i], &dev->queues[i], err);
	dev->acked_features = features;
	dev->needs_reset = false;
	if (r == 0 && dev->ops->activate)
		r = dev->ops->activate(dev, err);
	dev->active = r == 0;
	pthread_mutex_unlock(&dev->lock);
	return r;
}

/* The transport when the driver writes 0 to the status register. */
static inline void guest_dev__reset(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		dev->queues[i] = (struct virtq){ .mem = dev->mem };
	dev->acked_features = 0;
	dev->active = false;
	dev->needs_reset = false;
	pthread_mutex_unlock(&dev->lock);
}

/* A queue notification, delivered as the transport does: to a live device's ready queue. */
static inline void guest_dev__kick(struct virtio_dev *dev, unsigned int q)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->active && !dev->needs_reset && dev->queues[q].ready)
		dev->ops->queue_notify(dev, q);
	pthread_mutex_unlock(&dev->lock);
}

/* An interrupt handler that counts, into the unsigned int its ctx points at. */
static inline void guest_dev__count_irq(void *ctx, unsigned int queue)
{
	(void)queue;
	__atomic_add_fetch((unsigned int *)ctx, 1, __ATOMIC_RELAXED);
}

/* Whether the device found the driver misbehaving (DEVICE_NEEDS_RESET). */
static inline bool guest_dev__needs_reset(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	bool r = dev->needs_reset;

	pthread_mutex_unlock(&dev->lock);
	return r;
}

#endif
