/*
 * Split virtqueues, device side (virtio 1.2, 2.7): taking descriptor chains from the
 * available ring and returning them on the used ring, trusting nothing the guest wrote.
 */
#include "queue.h"

#include <stdio.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "../../lib/wire/le.h"

/*
 * Ring layout (2.7): the avail ring is flags, idx, ring[size], used_event; the used ring is
 * flags, idx, ring[size] of 8-byte elements, avail_event. All fields are little-endian.
 */
#define AVAIL_IDX(q) ((q)->avail_gpa + 2)
#define AVAIL_ENTRY(q, i) ((q)->avail_gpa + 4 + 2ull * ((i) & ((q)->size - 1)))
#define USED_EVENT(q) ((q)->avail_gpa + 4 + 2ull * (q)->size)
#define USED_IDX(q) ((q)->used_gpa + 2)
#define USED_ELEM(q, i) ((q)->used_gpa + 4 + 8ull * ((i) & ((q)->size - 1)))
#define AVAIL_EVENT(q) ((q)->used_gpa + 4 + 8ull * (q)->size)

#define DESC_SIZE sizeof(struct vring_desc)

/*
 * 16-bit ring fields are read and written with single atomic accesses: the driver updates
 * them concurrently, and a torn or compiler-cached index would be a wrong index. validate()
 * made every such field 2-byte aligned. Loads acquire and stores release: an index publishes
 * the entries and descriptors written before it (2.7.13.3, 2.7.8). That is the ordering the
 * fences used to give, said on the access itself, where ThreadSanitizer (which ignores
 * fences) sees it too; on x86 the instructions are the same.
 */
static int ring_load16(const struct virtq *q, uint64_t gpa, uint16_t *v)
{
	uint16_t *p = gmem__ptr(q->mem, gpa, sizeof(*p));

	if (!p)
		return -1;
	*v = le__to_cpu16(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return 0;
}

static void ring_store16(const struct virtq *q, uint64_t gpa, uint16_t v)
{
	uint16_t *p = gmem__ptr(q->mem, gpa, sizeof(*p));

	if (p)
		__atomic_store_n(p, le__from_cpu16(v), __ATOMIC_RELEASE);
}

static int check_ring(const struct virtq *q, const char *name, uint64_t gpa, uint64_t align,
		      uint64_t len, struct err **err)
{
	if (gpa % align)
		return err_msg(err, "%s at 0x%llx is not %llu-byte aligned", name,
			       (unsigned long long)gpa, (unsigned long long)align);
	if (!gmem__ptr(q->mem, gpa, len))
		return err_msg(err, "%s at 0x%llx (%llu bytes) is outside guest memory", name,
			       (unsigned long long)gpa, (unsigned long long)len);
	return 0;
}

/*
 * The ring sizes are the spec's (2.7), event fields included whether or not EVENT_IDX was
 * negotiated: the check then does not depend on when the transport sets q->event_idx.
 */
int virtq__validate(const struct virtq *q, struct err **err)
{
	uint64_t n = q->size;

	if (!q->mem)
		return err_msg(err, "virtqueue has no guest memory");
	if (!n || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return err_msg(err, "queue size %llu is not a power of two in 1..%d",
			       (unsigned long long)n, VIRTQ_MAX_SIZE);
	if (check_ring(q, "descriptor table", q->desc_gpa, 16, DESC_SIZE * n, err) < 0 ||
	    check_ring(q, "available ring", q->avail_gpa, 2, 6 + 2 * n, err) < 0 ||
	    check_ring(q, "used ring", q->used_gpa, 4, 6 + 8 * n, err) < 0)
		return -1;
	return 0;
}

void virtq__reset(struct virtq *q)
{
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_used_valid = false;
}

/* The state of one chain walk, across the direct table and at most one indirect table. */
struct walk {
	struct virtq_chain *c;
	/*
	 * Buffer descriptors seen so far, all tables together. The one naming an indirect
	 * table is not counted (there is at most one), so a table can fill VIRTQ_MAX_SEGS.
	 */
	unsigned int descs;
	bool writable;		/* a device-writable descriptor was seen */
};

/*
 * Copies a descriptor out of guest memory once; only the copy is checked and used, so a
 * guest rewriting the descriptor meanwhile cannot change it between check and use.
 */
static int read_desc(const struct virtq *q, uint64_t gpa, struct vring_desc *d)
{
	const void *p = gmem__ptr(q->mem, gpa, DESC_SIZE);

	if (!p)
		return -1;
	memcpy(d, p, DESC_SIZE);
	d->addr = le__to_cpu64(d->addr);
	d->len = le__to_cpu32(d->len);
	d->flags = le__to_cpu16(d->flags);
	d->next = le__to_cpu16(d->next);
	return 0;
}

/*
 * Zero-length descriptors are accepted and skipped: they name no memory, so there is nothing
 * to check or map (Linux never sends them, other drivers might). They still count towards
 * the chain's descriptor limit and the readable-before-writable order.
 */
static int add_segment(const struct virtq *q, struct walk *w, const struct vring_desc *d,
		       struct err **err)
{
	struct virtq_chain *c = w->c;
	bool write = d->flags & VRING_DESC_F_WRITE;
	void *host;

	if (!write && w->writable)
		return err_msg(err, "device-readable descriptor after a device-writable one");
	w->writable |= write;
	if (!d->len)
		return 0;
	host = gmem__ptr(q->mem, d->addr, d->len);
	if (!host)
		return err_msg(err, "buffer 0x%llx+%u is outside guest memory",
			       (unsigned long long)d->addr, d->len);
	/* Cannot trigger while descs <= VIRTQ_MAX_SEGS; kept because the arrays depend on it. */
	if (c->n_out + c->n_in >= VIRTQ_MAX_SEGS)
		return err_msg(err, "more than %d segments", VIRTQ_MAX_SEGS);
	if (write) {
		c->in[c->n_in++] = (struct iovec){ .iov_base = host, .iov_len = d->len };
		c->in_len += d->len;
	} else {
		c->out[c->n_out++] = (struct iovec){ .iov_base = host, .iov_len = d->len };
		c->out_len += d->len;
	}
	return 0;
}

static int walk_table(const struct virtq *q, struct walk *w, uint64_t table, uint32_t count,
		      uint16_t idx, bool nested, struct err **err);

/* An INDIRECT descriptor (2.7.5.3): its buffer is a table of descriptors, walked from 0. */
static int walk_indirect(const struct virtq *q, struct walk *w, const struct vring_desc *d,
			 bool nested, struct err **err)
{
	if (!q->indirect)
		return err_msg(err, "indirect descriptor, but INDIRECT_DESC was not negotiated");
	if (nested)
		return err_msg(err, "indirect descriptor inside an indirect table");
	if (d->flags & VRING_DESC_F_NEXT)
		return err_msg(err, "descriptor has both INDIRECT and NEXT");
	if (!d->len || d->len % DESC_SIZE)
		return err_msg(err, "indirect table length %u is not a nonzero multiple of 16",
			       d->len);
	if (!gmem__ptr(q->mem, d->addr, d->len))
		return err_msg(err, "indirect table 0x%llx+%u is outside guest memory",
			       (unsigned long long)d->addr, d->len);
	return walk_table(q, w, d->addr, d->len / DESC_SIZE, 0, true, err);
}

/*
 * Follows NEXT links through one table of count descriptors from entry idx. A chain cannot
 * visit more entries than its table has without a loop, and the whole chain is bounded by
 * VIRTQ_MAX_SEGS, so a hostile chain costs at most that many steps.
 */
static int walk_table(const struct virtq *q, struct walk *w, uint64_t table, uint32_t count,
		      uint16_t idx, bool nested, struct err **err)
{
	const char *what = nested ? "indirect descriptor" : "descriptor";
	struct vring_desc d;
	int ret;

	for (uint32_t steps = 0;; steps++) {
		if (steps == count)
			return err_msg(err, "chain longer than its table of %u (a loop?)", count);
		if (idx >= count)
			return err_msg(err, "%s index %u is outside a table of %u", what, idx, count);
		if (read_desc(q, table + DESC_SIZE * idx, &d) < 0)
			return err_msg(err, "%s %u is outside guest memory", what, idx);
		if (d.flags & VRING_DESC_F_INDIRECT)
			ret = walk_indirect(q, w, &d, nested, err);
		else if (w->descs++ == VIRTQ_MAX_SEGS)
			ret = err_msg(err, "chain longer than %d descriptors", VIRTQ_MAX_SEGS);
		else
			ret = add_segment(q, w, &d, err);
		if (ret < 0)
			return err_prefix(err, "%s %u", what, idx);
		/* An INDIRECT descriptor that got here has no NEXT: it ends the chain. */
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

/*
 * Asks the driver to kick us once it makes entry last_avail available (2.7.10). The full
 * fence orders this store before our next read of avail->idx, pairing with the driver's
 * barrier between writing avail->idx and reading avail_event: one of us sees the other.
 */
static void publish_avail_event(struct virtq *q)
{
	ring_store16(q, AVAIL_EVENT(q), q->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int virtq__pop(struct virtq *q, struct virtq_chain *c, struct err **err)
{
	struct walk w = { .c = c };
	uint16_t avail, pending, head;

	if (ring_load16(q, AVAIL_IDX(q), &avail) < 0)
		return err_msg(err, "available ring is outside guest memory");
	pending = avail - q->last_avail;
	if (!pending)
		return 0;
	if (pending > q->size)
		return err_msg(err, "driver advanced avail index by %u, more than the queue size %u",
			       pending, q->size);
	/* The driver wrote the entry and its descriptors before avail->idx (2.7.13.3): the
	 * acquiring load of avail->idx above orders our reads of them after it. */
	if (ring_load16(q, AVAIL_ENTRY(q, q->last_avail), &head) < 0)
		return err_msg(err, "available ring is outside guest memory");
	if (head >= q->size)
		return err_msg(err, "available ring entry %u names descriptor %u, queue size is %u",
			       q->last_avail & (q->size - 1), head, q->size);

	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	if (walk_table(q, &w, q->desc_gpa, q->size, head, false, err) < 0)
		return err_prefix(err, "chain at head %u", head);
	q->last_avail++;
	if (q->event_idx)
		publish_avail_event(q);
	return 1;
}

void virtq__unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq__push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem elem = { .id = le__from_cpu32(head),
					.len = le__from_cpu32(written) };
	void *p = gmem__ptr(q->mem, USED_ELEM(q, q->used_idx), sizeof(elem));

	/* validate() put the used ring in memory, so p is only NULL for an unvalidated queue. */
	if (p)
		memcpy(p, &elem, sizeof(elem));
	/* The driver may read the element as soon as it sees the new used->idx: a releasing store. */
	ring_store16(q, USED_IDX(q), ++q->used_idx);
}

/*
 * Interrupt suppression (2.7.7, 2.7.10). The full fence orders our used->idx store before
 * reading the driver's used_event or flags, which the driver writes before re-checking
 * used->idx: otherwise both sides could decide the other has nothing to do.
 */
bool virtq__should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, v;
	bool valid = q->signalled_used_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx) {
		/* Out of range cannot happen on a validated queue; notifying is the safe side. */
		if (ring_load16(q, q->avail_gpa, &v) < 0)
			return true;
		return !(v & VRING_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled_used = q->used_idx;
	q->signalled_used_valid = true;
	if (!valid || ring_load16(q, USED_EVENT(q), &v) < 0)
		return true;
	return vring_need_event(v, q->used_idx, old);
}

/*
 * With event indexes the driver's used_event names the entry whose use it wants to hear of
 * (Linux drivers set it to where they stopped taking entries when they emptied the ring, or
 * further on to delay the interrupt): an entry at or past it is one it wants and has not seen.
 */
bool virtq__unconsumed(const struct virtq *q, uint16_t *used_event)
{
	if (!q->ready || !q->event_idx || ring_load16(q, USED_EVENT(q), used_event) < 0)
		return false;
	return (uint16_t)(q->used_idx - *used_event - 1) < q->size;
}

bool virtq__has_avail(const struct virtq *q)
{
	uint16_t avail;

	if (ring_load16(q, AVAIL_IDX(q), &avail) < 0)
		return false;
	return avail != q->last_avail;
}

void virtq__describe(const struct virtq *q, char *buf, size_t size)
{
	uint16_t avail = 0, used = 0, used_event = 0, avail_event = 0, flags = 0;

	if (!q->ready) {
		snprintf(buf, size, "not ready");
		return;
	}
	ring_load16(q, q->avail_gpa, &flags);
	ring_load16(q, AVAIL_IDX(q), &avail);
	ring_load16(q, USED_IDX(q), &used);
	ring_load16(q, USED_EVENT(q), &used_event);
	ring_load16(q, AVAIL_EVENT(q), &avail_event);
	snprintf(buf, size,
		 "size %u avail.idx %u (flags %#x) last_avail %u avail_event %u used.idx %u "
		 "(ours %u) used_event %u signalled %u%s",
		 q->size, avail, flags, q->last_avail, avail_event, used, q->used_idx, used_event,
		 q->signalled_used, q->event_idx ? " event_idx" : "");
}
