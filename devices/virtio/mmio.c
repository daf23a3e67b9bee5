/* virtio-mmio: the register file, feature negotiation and the device status state machine. */
#include "mmio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/wire/le.h"
#include "../../lib/log.h"
#include "../../lib/time.h"
#include "../../vmm/platform.h"
#include "../../vmm/vm.h"

#define MMIO_MAGIC 0x74726976	/* "virt" */
#define MMIO_VERSION 2
#define MMIO_VENDOR 0x4547414b	/* "KAGE" */
#define MMIO_WINDOW 0x1000
/*
 * A driver acknowledges an interrupt within microseconds of taking it. One still unacked this
 * long after we raised it most likely never arrived (seen with KVM nested under TCG: the guest
 * stalled for good with signalled used entries it never took), so we raise it again: virtio
 * drivers accept spurious interrupts, and the status register tells this one what to do.
 * Only with vm_config.irq_resend (off by default: a host that loses interrupts is broken, and
 * the check costs a timer per device); the count shows in the state dump and at the end.
 */
#define IRQ_RESEND_MS 1000

struct mmio_notify {
	struct virtio_mmio *t;
	unsigned int queue;
	int fd;
};

struct virtio_mmio {
	struct virtio_dev *dev;
	const char *name;	/* the device's, for mmio_free(): the VM frees the device first */
	struct vm *vm;
	uint64_t base;
	unsigned int irq;
	int irq_fd;
	int irq_timer;		/* timerfd, armed while a raised interrupt may still be unacked */
	bool irq_timer_armed;	/* atomic, like the three below */
	uint32_t acks;		/* INTERRUPT_ACK writes so far */
	uint32_t acks_at_arm;
	uint64_t armed_ns;	/* when the check was armed, for the debug log */
	bool resent_last;	/* the last check raised the interrupt again; event loop only */
	uint32_t resent;	/* interrupts raised again, for the state dump */
	/* Each queue at the last check, event loop only: see queues_stuck(). */
	bool was_unconsumed[VIRTIO_MAX_QUEUES];
	uint16_t seen_used_event[VIRTIO_MAX_QUEUES];

	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t drv_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct mmio_notify notify[VIRTIO_MAX_QUEUES];
};

static uint64_t offered_features(struct virtio_mmio *t)
{
	return t->dev->ops->features(t->dev) | FEATURE(VIRTIO_F_VERSION_1) |
	       FEATURE(VIRTIO_RING_F_INDIRECT_DESC) | FEATURE(VIRTIO_RING_F_EVENT_IDX);
}

static void signal_irq(struct virtio_mmio *t)
{
	uint64_t one = 1;

	if (write(t->irq_fd, &one, sizeof(one)) < 0)
		pr_warn("%s: cannot raise its interrupt: %s", t->dev->ops->name, strerror(errno));
}


/* Starts the unacked-interrupt check unless it runs already; from any thread. */
static void arm_irq_check(struct virtio_mmio *t)
{
	struct itimerspec its = {
		.it_value = { IRQ_RESEND_MS / 1000, (IRQ_RESEND_MS % 1000) * 1000000L },
	};
	bool armed = false;

	if (t->irq_timer < 0 ||
	    !__atomic_compare_exchange_n(&t->irq_timer_armed, &armed, true, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	__atomic_store_n(&t->acks_at_arm, __atomic_load_n(&t->acks, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->armed_ns, time__now_ns(), __ATOMIC_SEQ_CST);
	timerfd_settime(t->irq_timer, 0, &its, NULL);
}

static void raise_irq(struct virtio_mmio *t, uint32_t bit)
{
	__atomic_or_fetch(&t->interrupt_status, bit, __ATOMIC_SEQ_CST);
	signal_irq(t);
	arm_irq_check(t);
}

/*
 * Whether a queue has held used entries the driver asked to hear of, with its used_event
 * unmoved, since the last check: the interrupt for them was lost or the driver is stuck.
 * Called with dev->lock held.
 */
static bool queues_stuck(struct virtio_mmio *t, bool *outstanding)
{
	bool stuck = false;

	for (unsigned int i = 0; i < t->dev->ops->num_queues; i++) {
		uint16_t ev = 0;
		bool un = t->dev->active && virtq__unconsumed(&t->dev->queues[i], &ev);

		stuck |= un && t->was_unconsumed[i] && ev == t->seen_used_event[i];
		t->was_unconsumed[i] = un;
		t->seen_used_event[i] = ev;
		*outstanding |= un;
	}
	return stuck;
}

/*
 * The timer, on the event loop. Raised status bits without an ack since the check was armed,
 * or a queue stuck as above, mean the driver has not taken an interrupt for IRQ_RESEND_MS.
 * The armed flag drops before anything is read, so a raise_irq() racing with us is either
 * seen here or arms the timer anew.
 */
static void on_irq_check(void *opaque, uint32_t events)
{
	struct virtio_mmio *t = opaque;
	bool outstanding = false, stuck, acked;
	uint32_t acks, status;
	uint64_t n, ms;

	(void)events;
	if (read(t->irq_timer, &n, sizeof(n)) < 0)
		return;
	acks = __atomic_load_n(&t->acks, __ATOMIC_SEQ_CST);
	ms = (time__now_ns() - __atomic_load_n(&t->armed_ns, __ATOMIC_SEQ_CST)) / 1000000;
	__atomic_store_n(&t->irq_timer_armed, false, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&t->dev->lock);
	status = __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST);
	stuck = queues_stuck(t, &outstanding);
	acked = acks != __atomic_load_n(&t->acks_at_arm, __ATOMIC_SEQ_CST);
	/* Whether the last one helped; the delay tells a host that stood still from a lost edge. */
	if (t->resent_last)
		pr_debug("%s: %s after the interrupt was raised again (%llu ms later)",
			 t->dev->ops->name, acked ? "acked" : "still not acked",
			 (unsigned long long)ms);
	t->resent_last = false;
	if ((status && !acked) || stuck) {
		pr_debug("%s: no interrupt taken for %llu ms (status %#x, acks %u%s); raising it "
			 "again", t->dev->ops->name, (unsigned long long)ms, status, acks,
			 stuck ? ", a queue stuck" : "");
		t->resent_last = true;
		__atomic_add_fetch(&t->resent, 1, __ATOMIC_SEQ_CST);
		/* The driver looks at its queues only when the status says so. */
		if (stuck)
			__atomic_or_fetch(&t->interrupt_status, VIRTIO_MMIO_INT_VRING,
					  __ATOMIC_SEQ_CST);
		signal_irq(t);
	}
	pthread_mutex_unlock(&t->dev->lock);
	if (status || outstanding)
		arm_irq_check(t);
}

static void irq_queue(void *ctx, unsigned int queue)
{
	(void)queue;
	raise_irq(ctx, VIRTIO_MMIO_INT_VRING);
}

static void irq_config(void *ctx)
{
	struct virtio_mmio *t = ctx;

	t->config_generation++;
	raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

static void device_reset(struct virtio_mmio *t)
{
	struct virtio_dev *dev = t->dev;

	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		memset(&dev->queues[i], 0, sizeof(dev->queues[i]));
		dev->queues[i].mem = dev->mem;
	}
	dev->acked_features = 0;
	dev->active = false;
	dev->needs_reset = false;
	t->status = 0;
	t->drv_features = 0;
	t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
	__atomic_store_n(&t->interrupt_status, 0, __ATOMIC_SEQ_CST);
}

static void fail_activation(struct virtio_mmio *t, const char *why)
{
	pr_err("%s: %s", t->dev->ops->name, why);
	t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	irq_config(t);
}

static void activate(struct virtio_mmio *t)
{
	struct virtio_dev *dev = t->dev;
	_cleanup_err_ struct err *err = NULL;

	for (unsigned int i = 0; i < dev->ops->num_queues; i++) {
		struct virtq *q = &dev->queues[i];

		q->event_idx = dev->acked_features & FEATURE(VIRTIO_RING_F_EVENT_IDX);
		q->indirect = dev->acked_features & FEATURE(VIRTIO_RING_F_INDIRECT_DESC);
		if (q->ready && virtq__validate(q, &err) < 0)
			return fail_activation(t, err->msg);
	}
	if (dev->ops->activate && dev->ops->activate(dev, &err) < 0)
		return fail_activation(t, err ? err->msg : "activation failed");
	dev->active = true;
}

/*
 * Status bits only accumulate, in order (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK); 0
 * resets; FAILED is always accepted. Anything else is a driver bug and is ignored.
 */
static void write_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = t->status, added = v & ~old;

	if (v == 0)
		return device_reset(t);
	if ((old & ~v) || (v & ~0xffu)) {
		pr_debug("%s: status 0x%x -> 0x%x clears bits; ignored", t->dev->ops->name, old, v);
		return;
	}
	if (((added & VIRTIO_CONFIG_S_DRIVER) && !(v & VIRTIO_CONFIG_S_ACKNOWLEDGE)) ||
	    ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !(v & VIRTIO_CONFIG_S_DRIVER)) ||
	    ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK))) {
		pr_debug("%s: status 0x%x -> 0x%x out of order; ignored", t->dev->ops->name, old, v);
		return;
	}
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		/* Refusing FEATURES_OK is how a device rejects a feature set (3.1.1). */
		if ((t->drv_features & ~offered_features(t)) ||
		    !(t->drv_features & FEATURE(VIRTIO_F_VERSION_1))) {
			/* DRIVER_OK in the same write cannot stand without FEATURES_OK. */
			v &= ~(VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
			added &= v;
		} else {
			t->dev->acked_features = t->drv_features;
		}
	}
	t->status = v;
	if (added & VIRTIO_CONFIG_S_DRIVER_OK)
		activate(t);
}

static struct virtq *selected_queue(struct virtio_mmio *t)
{
	if (t->queue_sel >= t->dev->ops->num_queues)
		return NULL;
	return &t->dev->queues[t->queue_sel];
}

static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct virtq *q = selected_queue(t);
	uint64_t features;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		features = offered_features(t);
		return t->dev_features_sel == 0 ? (uint32_t)features :
		       t->dev_features_sel == 1 ? (uint32_t)(features >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->dev->ops->queue_max_size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return t->status | (t->dev->needs_reset ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0;	/* write-only and reserved registers read as 0 */
	}
}

static void set_addr(uint64_t *addr, uint32_t v, bool high)
{
	*addr = high ? (*addr & 0xffffffffULL) | ((uint64_t)v << 32) :
		       (*addr & ~0xffffffffULL) | v;
}

/* Queue registers may change only while the queue is not live. */
static void write_queue_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtq *q = selected_queue(t);
	_cleanup_err_ struct err *err = NULL;

	if (!q || (q->ready && off != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v && v <= t->dev->ops->queue_max_size && !(v & (v - 1)))
			q->size = v;
		else
			pr_debug("%s: queue size %u refused", t->dev->ops->name, v);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (v == 1 && !q->ready) {
			q->mem = t->dev->mem;
			if (virtq__validate(q, &err) < 0)
				return fail_activation(t, err->msg);
			virtq__reset(q);
		}
		q->ready = v == 1;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(&q->desc_gpa, v, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(&q->avail_gpa, v, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(&q->used_gpa, v, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	}
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	uint64_t one = 1;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are settable only between DRIVER and FEATURES_OK. */
		if (!(t->status & VIRTIO_CONFIG_S_DRIVER) || (t->status & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		if (t->drv_features_sel < 2)
			set_addr(&t->drv_features, v, t->drv_features_sel == 1);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Normally the ioeventfd catches this; pass it to the loop the same way. */
		if (v < t->dev->ops->num_queues && write(t->notify[v].fd, &one, sizeof(one)) < 0)
			pr_debug("%s: notify: %s", t->dev->ops->name, strerror(errno));
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&t->interrupt_status, ~v, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&t->acks, 1, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(t, v);
		break;
	default:
		write_queue_reg(t, off, v);
	}
}

static void mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *dev = t->dev;

	pthread_mutex_lock(&dev->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t coff = off - VIRTIO_MMIO_CONFIG;

		if (coff + len > dev->ops->config_size) {
			if (!is_write)
				memset(data, 0, len);
		} else if (is_write) {
			if (dev->ops->set_config)
				dev->ops->set_config(dev, coff, data, len);
		} else {
			dev->ops->get_config(dev, coff, data, len);
		}
	} else if (len != 4 || (off & 3)) {
		/* Registers are 32-bit only (4.2.2.2); anything else is ignored. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		/* data holds the guest's bytes; the registers are little-endian (4.2.2). */
		write_reg(t, off, le__load32(data));
	} else {
		le__store32(data, read_reg(t, off));
	}
	pthread_mutex_unlock(&dev->lock);
}

static void on_notify(void *opaque, uint32_t events)
{
	struct mmio_notify *n = opaque;
	struct virtio_dev *dev = n->t->dev;
	uint64_t count;

	(void)events;
	if (read(n->fd, &count, sizeof(count)) < 0)
		return;
	pthread_mutex_lock(&dev->lock);
	if (dev->active && !dev->needs_reset && dev->queues[n->queue].ready)
		dev->ops->queue_notify(dev, n->queue);
	pthread_mutex_unlock(&dev->lock);
}

static int wire_kvm(struct virtio_mmio *t, struct err **err)
{
	struct vm *vm = t->vm;

	t->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->irq_fd < 0)
		return err_errno(err, "eventfd");
	struct kvm_irqfd irqfd = { .fd = t->irq_fd, .gsi = t->irq };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return err_errno(err, "KVM_IRQFD for IRQ %u", t->irq);
	if (vm->cfg->irq_resend) {
		t->irq_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (t->irq_timer < 0)
			return err_errno(err, "timerfd");
		if (loop__add(&vm->loop, t->irq_timer, EPOLLIN, on_irq_check, t, err) < 0)
			return -1;
	}
	for (unsigned int q = 0; q < t->dev->ops->num_queues; q++) {
		struct mmio_notify *n = &t->notify[q];

		n->t = t;
		n->queue = q;
		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0)
			return err_errno(err, "eventfd");
		/* KVM compares the guest's bytes as a host-order value: those of an LE q. */
		struct kvm_ioeventfd io = {
			.datamatch = le__from_cpu32(q),
			.addr = t->base + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.fd = n->fd,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};

		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			return err_errno(err, "KVM_IOEVENTFD");
		if (loop__add(&vm->loop, n->fd, EPOLLIN, on_notify, n, err) < 0)
			return -1;
	}
	return 0;
}

/* Every queue's indexes and event fields, and the interrupt bits the driver has not acked. */
static void mmio_dump(void *ctx)
{
	struct virtio_mmio *t = ctx;
	struct virtio_dev *dev = t->dev;
	char q[256];

	pthread_mutex_lock(&dev->lock);
	pr_warn("%s (irq %u): status %#x active %d needs_reset %d interrupt_status %#x "
		"acks %u interrupts raised again %u%s", dev->ops->name, t->irq, t->status,
		dev->active, dev->needs_reset,
		__atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST),
		__atomic_load_n(&t->acks, __ATOMIC_SEQ_CST),
		__atomic_load_n(&t->resent, __ATOMIC_SEQ_CST),
		t->irq_timer < 0 ? " (irq_resend off)" : "");
	for (unsigned int i = 0; i < dev->ops->num_queues; i++) {
		virtq__describe(&dev->queues[i], q, sizeof(q));
		pr_warn("%s: queue %u: %s", dev->ops->name, i, q);
	}
	pthread_mutex_unlock(&dev->lock);
}

/* At the VM's end: a host that needed interrupts raised again should hear of it. */
static void mmio_free(void *ptr)
{
	struct virtio_mmio *t = ptr;
	uint32_t n = __atomic_load_n(&t->resent, __ATOMIC_SEQ_CST);

	if (n)
		pr_warn("%s: %u interrupt%s the guest had not taken in %d ms raised again: this "
			"host loses interrupts", t->name, n, n == 1 ? "" : "s",
			IRQ_RESEND_MS);
	free(t);
}

int virtio_mmio__add(struct vm *vm, struct virtio_dev *dev, struct err **err)
{
	struct virtio_mmio *t = calloc(1, sizeof(*t));

	if (!t)
		return err_errno(err, "allocate a virtio-mmio transport");
	if (vm__own(vm, t, mmio_free) < 0) {
		free(t);
		return err_msg(err, "too many devices");
	}
	if (dev->ops->num_queues > VIRTIO_MAX_QUEUES)
		return err_msg(err, "%s: too many queues", dev->ops->name);
	t->dev = dev;
	t->name = dev->ops->name;
	t->vm = vm;
	t->irq_fd = t->irq_timer = -1;
	dev->mem = &vm->mem;
	dev->irq = (struct virtio_irq){ .notify_queue = irq_queue, .notify_config = irq_config,
					.ctx = t };
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		dev->queues[i].mem = dev->mem;
	if (platform__alloc_mmio(vm, MMIO_WINDOW, &t->base, err) < 0 ||
	    platform__alloc_irq(vm, &t->irq, err) < 0)
		return err_prefix(err, "%s", dev->ops->name);
	if (iobus__register(&vm->mmio, t->base, MMIO_WINDOW, mmio_io, t, err) < 0 ||
	    wire_kvm(t, err) < 0)
		return err_prefix(err, "%s", dev->ops->name);
	vm__add_dump(vm, t, mmio_dump);
	return vm__append_cmdline(vm, err, "virtio_mmio.device=4K@0x%llx:%u",
				  (unsigned long long)t->base, t->irq);
}
