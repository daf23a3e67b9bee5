// sources: devices/virtio/queue.c lib/wire/iov.c devices/virtio/virtio.c vmm/gmem.c lib/err.c lib/log.c lib/io.c lib/time.c
// libs: -ljson-c -lpthread
/*
 * The virtio-mmio register file and status state machine driven by a hostile driver: the
 * input is a dummy device's shape and a sequence of register accesses (offset, width, value).
 * mmio.c is included, not linked, to reach its static access handler without a VM; the VM
 * calls it makes only in virtio_mmio__add() are stubs that abort. Checked after every access:
 * status bits only accumulate (0 resets everything), FEATURES_OK only for a feature set the
 * device offered with VERSION_1 and then frozen, the device active exactly when DRIVER_OK
 * took, DEVICE_NEEDS_RESET when activation failed, a live queue's registers unchangeable and
 * its rings inside guest memory, config space accessed only within its size, and every
 * device callback made with the device lock held.
 */
#include "devices/virtio/mmio.c"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gmem.h"
#include "fuzz.h"

/* virtio_mmio__add()'s VM plumbing: never reached from the register file. */
int vm__own(struct vm *vm, void *ptr, void (*free_fn)(void *)) { abort(); }
void vm__add_dump(struct vm *vm, void *ctx, void (*dump)(void *ctx)) { abort(); }
int vm__append_cmdline(struct vm *vm, struct err **err, const char *fmt, ...) { abort(); }
int platform__alloc_mmio(struct vm *vm, uint64_t size, uint64_t *base, struct err **err)
{
	abort();
}
int platform__alloc_irq(struct vm *vm, unsigned int *irq, struct err **err) { abort(); }
int iobus__register(struct iobus *bus, uint64_t base, uint64_t len, io_handler_fn fn,
		    void *opaque, struct err **err)
{
	abort();
}
int loop__add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque,
	      struct err **err)
{
	abort();
}

#define MEM_SIZE 0x10000u
#define REC 7	/* kind, offset (2 bytes), value (4 bytes) */

/* Byte 0: the dummy device's shape. */
#define D_FAIL_ACTIVATE 0x01
#define D_FAIL_ON_KICK 0x02	/* its queue_notify finds the driver misbehaving */
#define D_FEATURES 0x04		/* offers a few device feature bits */

struct dummy {
	struct virtio_dev dev;
	uint8_t config[64];
	bool fail_activate, fail_on_kick;
	unsigned int kicks;
};

static struct gmem mem;

static void assert_locked(struct virtio_dev *dev)
{
	ASSERT(pthread_mutex_trylock(&dev->lock) == EBUSY);
}

static uint64_t dummy_features(struct virtio_dev *dev)
{
	assert_locked(dev);
	return dev->ops->device_id & 1 ? FEATURE(0) | FEATURE(5) | FEATURE(40) : 0;
}

static void dummy_get_config(struct virtio_dev *dev, uint32_t off, void *data, uint32_t len)
{
	struct dummy *d = dev->priv;

	assert_locked(dev);
	ASSERT((uint64_t)off + len <= dev->ops->config_size && dev->ops->config_size <= 64);
	memcpy(data, d->config + off, len);
}

static void dummy_set_config(struct virtio_dev *dev, uint32_t off, const void *data,
			     uint32_t len)
{
	struct dummy *d = dev->priv;

	assert_locked(dev);
	ASSERT((uint64_t)off + len <= dev->ops->config_size && dev->ops->config_size <= 64);
	memcpy(d->config + off, data, len);
}

static int dummy_activate(struct virtio_dev *dev, struct err **err)
{
	struct dummy *d = dev->priv;

	assert_locked(dev);
	ASSERT(!dev->active);
	/* Every ready queue was validated: its rings lie in guest memory. */
	for (unsigned int i = 0; i < dev->ops->num_queues; i++)
		ASSERT(!dev->queues[i].ready || virtq__validate(&dev->queues[i], NULL) == 0);
	if (d->fail_activate)
		return err_msg(err, "dummy: activation refused");
	return 0;
}

static void dummy_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct dummy *d = dev->priv;

	assert_locked(dev);
	ASSERT(queue < dev->ops->num_queues && dev->active && !dev->needs_reset &&
	       dev->queues[queue].ready);
	d->kicks++;
	if (d->fail_on_kick)
		virtio__fail(dev, "dummy: bad request");
	else
		virtio__notify_used(dev, queue);
}

static void dummy_reset(struct virtio_dev *dev)
{
	assert_locked(dev);
}

/* The registers a driver uses, so that short inputs reach the state machine. */
static const uint16_t regs[] = {
	VIRTIO_MMIO_MAGIC_VALUE,	 VIRTIO_MMIO_DEVICE_FEATURES,
	VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
	VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL,
	VIRTIO_MMIO_QUEUE_NUM_MAX,	 VIRTIO_MMIO_QUEUE_NUM,
	VIRTIO_MMIO_QUEUE_READY,	 VIRTIO_MMIO_QUEUE_NOTIFY,
	VIRTIO_MMIO_INTERRUPT_STATUS,	 VIRTIO_MMIO_INTERRUPT_ACK,
	VIRTIO_MMIO_STATUS,		 VIRTIO_MMIO_QUEUE_DESC_LOW,
	VIRTIO_MMIO_QUEUE_DESC_HIGH,	 VIRTIO_MMIO_QUEUE_AVAIL_LOW,
	VIRTIO_MMIO_QUEUE_AVAIL_HIGH,	 VIRTIO_MMIO_QUEUE_USED_LOW,
	VIRTIO_MMIO_QUEUE_USED_HIGH,	 VIRTIO_MMIO_CONFIG_GENERATION,
	VIRTIO_MMIO_CONFIG,		 VIRTIO_MMIO_CONFIG + 4,
};

/* What must not change between two accesses unless the driver reset the device. */
struct snapshot {
	uint32_t status;
	uint64_t acked;
	struct virtq q[VIRTIO_MAX_QUEUES];
};

static void take(const struct virtio_mmio *t, struct snapshot *s)
{
	s->status = t->status;
	s->acked = t->dev->acked_features;
	memcpy(s->q, t->dev->queues, sizeof(s->q));
}

static void check(const struct virtio_mmio *t, const struct snapshot *before, uint64_t off,
		  bool is_write, uint32_t len, uint32_t v)
{
	const struct virtio_dev *dev = t->dev;
	bool reset = is_write && off == VIRTIO_MMIO_STATUS && len == 4 && v == 0;
	uint32_t added = t->status & ~before->status;

	if (reset) {
		ASSERT(t->status == 0 && !dev->active && !dev->needs_reset &&
		       dev->acked_features == 0 && t->drv_features == 0);
		for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
			ASSERT(!dev->queues[i].ready && !dev->queues[i].size);
		return;
	}
	/* Status bits only accumulate, and only the eight the spec defines. */
	ASSERT((before->status & ~t->status) == 0 && t->status <= 0xff);
	if (t->status & VIRTIO_CONFIG_S_DRIVER)
		ASSERT(t->status & VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (t->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		ASSERT(t->status & VIRTIO_CONFIG_S_DRIVER);
		ASSERT((dev->acked_features & ~offered_features((struct virtio_mmio *)t)) == 0 &&
		       (dev->acked_features & FEATURE(VIRTIO_F_VERSION_1)));
		/* Frozen once accepted. */
		if (before->status & VIRTIO_CONFIG_S_FEATURES_OK)
			ASSERT(dev->acked_features == before->acked);
	}
	if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
		ASSERT(t->status & VIRTIO_CONFIG_S_FEATURES_OK);
	/* Active exactly when DRIVER_OK took; a refused activation asks for a reset. */
	ASSERT(!dev->active || (t->status & VIRTIO_CONFIG_S_DRIVER_OK));
	/* (The transport keeps what the driver writes, DEVICE_NEEDS_RESET included: only the
	 * bit set by a refused activation counts here.) */
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(before->status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
	    !(v & VIRTIO_CONFIG_S_NEEDS_RESET))
		ASSERT(dev->active != !!(t->status & VIRTIO_CONFIG_S_NEEDS_RESET));
	if (!(t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		ASSERT(!dev->active);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		const struct virtq *q = &dev->queues[i], *o = &before->q[i];

		ASSERT(!q->ready || i < dev->ops->num_queues);
		ASSERT(!q->size || (q->size <= dev->ops->queue_max_size && !(q->size & (q->size - 1))));
		/* A live queue's layout is fixed, and its rings were checked to be in memory. */
		if (o->ready && q->ready)
			ASSERT(q->size == o->size && q->desc_gpa == o->desc_gpa &&
			       q->avail_gpa == o->avail_gpa && q->used_gpa == o->used_gpa);
		if (q->ready)
			ASSERT(virtq__validate(q, NULL) == 0);
	}
}

/* A read of a fixed register must give its fixed value. */
static void check_read(const struct virtio_mmio *t, uint64_t off, uint32_t len,
		       const uint8_t *data)
{
	uint32_t v;

	if (len != 4) {
		if (off < VIRTIO_MMIO_CONFIG)
			for (uint32_t i = 0; i < len; i++)
				ASSERT(data[i] == 0);
		return;
	}
	memcpy(&v, data, 4);
	if (off == VIRTIO_MMIO_MAGIC_VALUE)
		ASSERT(v == MMIO_MAGIC);
	else if (off == VIRTIO_MMIO_VERSION)
		ASSERT(v == MMIO_VERSION);
	else if (off == VIRTIO_MMIO_STATUS)
		ASSERT((v & 0xff) == (t->status | (t->dev->needs_reset ? VIRTIO_CONFIG_S_NEEDS_RESET : 0)));
	else if (off == VIRTIO_MMIO_DEVICE_FEATURES && t->dev_features_sel > 1)
		ASSERT(v == 0);
	else if (off >= VIRTIO_MMIO_CONFIG && off + 4 > VIRTIO_MMIO_CONFIG + t->dev->ops->config_size)
		ASSERT(v == 0);
}

/* Kicks the event loop would have delivered for QUEUE_NOTIFY writes. */
static void serve_kicks(struct virtio_mmio *t)
{
	/* on_notify() reads the eventfd itself and returns when it was not written. */
	for (unsigned int q = 0; q < t->dev->ops->num_queues; q++)
		on_notify(&t->notify[q], EPOLLIN);
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	if (gmem__add(&mem, 0, MEM_SIZE, NULL) < 0)
		abort();
	log__init("/dev/null", LOG_TEXT, LOG_ERROR, NULL);
	done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[8] = { 4, 4, 4, 4, 1, 2, 8, 3 };
	struct virtio_dev_ops ops = {
		.name = "fuzz-mmio",
		.features = dummy_features,
		.get_config = dummy_get_config,
		.set_config = dummy_set_config,
		.activate = dummy_activate,
		.queue_notify = dummy_queue_notify,
		.reset = dummy_reset,
	};
	struct dummy d = { 0 };
	struct virtio_mmio t = { 0 };
	struct snapshot before;

	if (size < 2)
		return 0;
	init_once();
	/* Bytes 0 and 1: the device's flags, queue count, queue size limit and config size. */
	d.fail_activate = data[0] & D_FAIL_ACTIVATE;
	d.fail_on_kick = data[0] & D_FAIL_ON_KICK;
	ops.device_id = data[0] & D_FEATURES ? 1 : 2;
	ops.num_queues = (data[0] >> 3) % 4;	/* 0..3 */
	ops.queue_max_size = 1u << ((data[0] >> 5) + 1);	/* 2..256 */
	ops.config_size = data[1] % 65;
	memset(mem.regions[0].host, 0, MEM_SIZE);
	pthread_mutex_init(&d.dev.lock, NULL);
	d.dev.ops = &ops;
	d.dev.priv = &d;
	d.dev.mem = &mem;
	d.dev.irq = (struct virtio_irq){ .notify_queue = irq_queue, .notify_config = irq_config,
					 .ctx = &t };
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d.dev.queues[i].mem = &mem;
	for (unsigned int i = 0; i < sizeof(d.config); i++)
		d.config[i] = i;
	t.dev = &d.dev;
	t.irq_timer = -1;
	t.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (unsigned int q = 0; q < ops.num_queues; q++) {
		t.notify[q] = (struct mmio_notify){ .t = &t, .queue = q };
		t.notify[q].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	if (t.irq_fd < 0)
		abort();

	for (size_t i = 2; i + REC <= size; i += REC) {
		const uint8_t *r = data + i;
		bool is_write = r[0] & 1;
		uint32_t len = widths[(r[0] >> 1) & 7], v;
		uint64_t off = (r[1] | r[2] << 8) & (MMIO_WINDOW - 1);
		uint8_t buf[8];

		/* Bit 4: one of the registers a driver uses, picked by byte 1. */
		if (r[0] & 0x10)
			off = regs[r[1] % (sizeof(regs) / sizeof(regs[0]))];
		if (off + len > MMIO_WINDOW)	/* the bus hands over only accesses in the window */
			off = MMIO_WINDOW - len;
		memcpy(buf, r + 3, 4);
		memcpy(buf + 4, r + 3, 4);
		memcpy(&v, buf, 4);
		take(&t, &before);
		mmio_io(&t, off, buf, len, is_write);
		ASSERT(pthread_mutex_trylock(&d.dev.lock) == 0);	/* released again */
		pthread_mutex_unlock(&d.dev.lock);
		if (!is_write)
			check_read(&t, off, len, buf);
		/* Under the lock, as the device's callbacks (features) expect. */
		pthread_mutex_lock(&d.dev.lock);
		check(&t, &before, off, is_write, len, v);
		pthread_mutex_unlock(&d.dev.lock);
		if (is_write && off == VIRTIO_MMIO_QUEUE_NOTIFY)
			serve_kicks(&t);
	}

	close(t.irq_fd);
	for (unsigned int q = 0; q < ops.num_queues; q++)
		close(t.notify[q].fd);
	pthread_mutex_destroy(&d.dev.lock);
	return 0;
}
