/* Split virtqueues against rings the model guest lays: good chains, notifications, hostile input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "lib/log.h"
#include "tests/model/guest_ring.h"
#include "tests/unit/tap.h"

/* Two adjacent 64 KiB regions: a buffer may lie in either but never straddle them. */
#define REGION 0x10000ull
#define MEM_END (2 * REGION)
#define DESC 0x0000ull
#define AVAIL 0x1000ull
#define USED 0x2000ull
#define TABLE 0x3000ull
#define BUF 0x4000ull
#define BUF2 0x5000ull

static struct gmem mem;
static struct virtq q;
static struct guest_ring ring;
static struct virtq_chain chain;
static struct err *err;

/* The one ring's raw descriptor writer, short: these tests lay dozens of descriptors by hand. */
#define set_desc(...) guest_ring__set_desc(&ring, __VA_ARGS__)

static void *gp(uint64_t gpa, uint64_t len)
{
	return gmem__ptr(&mem, gpa, len);
}

/* A fresh queue of the given size over zeroed memory, the device's view set from the ring's. */
static void setup_at(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	memset(gp(0, REGION), 0, REGION);
	guest_ring__place(&ring, &mem, size, desc, avail, used);
	guest_ring__attach(&ring, &q, NULL);
	err_free(&err);
}

static void setup(uint16_t size)
{
	setup_at(size, DESC, AVAIL, USED);
}

/* Pops expecting a malformed-input error whose message contains want. */
static int pop_fails(const char *want)
{
	uint16_t before = q.last_avail;
	int ret;

	err_free(&err);
	ret = virtq__pop(&q, &chain, &err);
	if (err)
		printf("#   error: %s\n", err->msg);
	return ret < 0 && err && strstr(err->msg, want) && q.last_avail == before;
}

static void test_validate(void)
{
	setup(8);
	CHECK(virtq__validate(&q, &err) == 0, "validate accepts a good queue");
	q.size = 0;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "power of two"), "size 0 rejected");
	q.size = 6;
	CHECK(virtq__validate(&q, &err) < 0, "size 6 rejected");
	q.size = 8;
	q.desc_gpa = 8;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "descriptor table") &&
		      strstr(err->msg, "aligned"),
	      "misaligned descriptor table: %s", err->msg);
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL + 1;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "available ring"),
	      "misaligned avail ring: %s", err->msg);
	q.avail_gpa = AVAIL;
	q.used_gpa = USED + 2;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "used ring"),
	      "misaligned used ring: %s", err->msg);
	q.used_gpa = MEM_END - 16;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "used ring") &&
		      strstr(err->msg, "outside"),
	      "used ring past the end of memory: %s", err->msg);
	q.used_gpa = USED;
	q.desc_gpa = REGION - 64;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "descriptor table"),
	      "descriptor table straddling regions: %s", err->msg);
	q.desc_gpa = DESC;
	q.avail_gpa = 0xfffffffffffffffeull;
	CHECK(virtq__validate(&q, &err) < 0 && strstr(err->msg, "available ring"),
	      "avail ring at the top of the address space: %s", err->msg);
	q.avail_gpa = AVAIL;
	q.mem = NULL;
	CHECK(virtq__validate(&q, &err) < 0, "no guest memory rejected");
}

static void test_simple_chain(void)
{
	struct vring_used_elem e;

	setup(8);
	CHECK(virtq__pop(&q, &chain, &err) == 0 && !virtq__has_avail(&q), "empty ring pops nothing");
	set_desc(DESC, 0, BUF, 100, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF2, 200, VRING_DESC_F_WRITE, 0);
	guest_ring__publish(&ring, 0);
	CHECK(virtq__has_avail(&q), "has_avail after offer");
	CHECK(virtq__pop(&q, &chain, &err) == 1, "two-descriptor chain pops");
	CHECK(chain.head == 0 && chain.n_out == 1 && chain.n_in == 1, "one out, one in segment");
	CHECK(chain.out[0].iov_base == gp(BUF, 100) && chain.out[0].iov_len == 100 &&
		      chain.in[0].iov_base == gp(BUF2, 200) && chain.in[0].iov_len == 200,
	      "iovecs point at the buffers");
	CHECK(chain.out_len == 100 && chain.in_len == 200, "byte totals");
	CHECK(virtq__pop(&q, &chain, &err) == 0 && !virtq__has_avail(&q), "then the ring is empty");

	virtq__push(&q, 0, 50);
	e = guest_ring__used_elem(&ring, 0);
	CHECK(guest_ring__used_idx(&ring) == 1 && e.id == 0 && e.len == 50,
	      "push writes the used element and used->idx");

	guest_ring__publish(&ring, 0);
	CHECK(virtq__pop(&q, &chain, &err) == 1, "pop again");
	virtq__unpop(&q);
	CHECK(virtq__has_avail(&q) && virtq__pop(&q, &chain, &err) == 1 && chain.head == 0,
	      "unpop puts the chain back");
}

static void test_wrap(void)
{
	setup(4);
	set_desc(DESC, 3, BUF, 8, 0, 0);
	/* Free-running indexes across 65535 -> 0. */
	q.last_avail = 0xffff;
	q.used_idx = 0xffff;
	guest_ring__set_avail_idx(&ring, 0xffff);
	guest_ring__publish(&ring, 3);
	CHECK(guest_ring__load16(&ring, AVAIL + 2) == 0 && virtq__pop(&q, &chain, &err) == 1 &&
		      chain.head == 3,
	      "pop across the 16-bit wrap");
	virtq__push(&q, 3, 8);
	CHECK(guest_ring__used_idx(&ring) == 0 && guest_ring__used_elem(&ring, 3).id == 3,
	      "push across the wrap");
}

static void test_zero_len(void)
{
	setup(8);
	set_desc(DESC, 0, 0xdead0000, 0, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 4, 0, 0);
	guest_ring__publish(&ring, 0);
	CHECK(virtq__pop(&q, &chain, &err) == 1 && chain.n_out == 1 && chain.out_len == 4,
	      "zero-length descriptor is skipped, its address unused");
}

static void test_indirect(void)
{
	setup(8);
	q.indirect = true;
	/* WRITE on the descriptor naming the table must be ignored (2.7.5.3.2). */
	set_desc(DESC, 2, TABLE, 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	set_desc(TABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, BUF + 0x100, 32, VRING_DESC_F_NEXT, 2);
	set_desc(TABLE, 2, BUF2, 64, VRING_DESC_F_WRITE, 0);
	guest_ring__publish(&ring, 2);
	CHECK(virtq__pop(&q, &chain, &err) == 1, "indirect chain pops");
	CHECK(chain.head == 2 && chain.n_out == 2 && chain.n_in == 1 && chain.out_len == 48 &&
		      chain.in_len == 64 && chain.out[1].iov_base == gp(BUF + 0x100, 32),
	      "indirect segments resolved");

	/* A direct prefix followed by an indirect table, as vhost accepts. */
	set_desc(DESC, 4, BUF, 8, VRING_DESC_F_NEXT, 2);
	guest_ring__publish(&ring, 4);
	CHECK(virtq__pop(&q, &chain, &err) == 1 && chain.n_out == 3 && chain.n_in == 1,
	      "direct descriptors then an indirect table");

	q.indirect = false;
	guest_ring__publish(&ring, 2);
	CHECK(pop_fails("not negotiated"), "indirect without the feature");
}

static void test_event_idx(void)
{
	setup(8);
	q.event_idx = true;
	set_desc(DESC, 0, BUF, 8, 0, 0);
	guest_ring__publish(&ring, 0);
	guest_ring__publish(&ring, 0);
	CHECK(virtq__pop(&q, &chain, &err) == 1 && guest_ring__avail_event(&ring) == 1,
	      "avail_event after pop");
	CHECK(virtq__pop(&q, &chain, &err) == 1 && guest_ring__avail_event(&ring) == 2,
	      "avail_event follows");
	CHECK(virtq__pop(&q, &chain, &err) == 0 && guest_ring__avail_event(&ring) == 2,
	      "empty pop leaves avail_event");

	virtq__push(&q, 0, 0);
	CHECK(virtq__should_notify(&q), "first notification always sent");
	guest_ring__set_used_event(&ring, 5);
	virtq__push(&q, 0, 0);
	CHECK(!virtq__should_notify(&q), "used_event ahead: suppressed");
	CHECK(!virtq__should_notify(&q), "nothing new pushed: suppressed");
	virtq__push(&q, 0, 0);
	virtq__push(&q, 0, 0);
	virtq__push(&q, 0, 0);
	virtq__push(&q, 0, 0);
	CHECK(virtq__should_notify(&q), "batch crossing used_event notifies");
	/* used_event 7: interrupt once the element at index 7 is used, i.e. at used->idx 8. */
	guest_ring__set_used_event(&ring, 7);
	virtq__push(&q, 0, 0);
	CHECK(!virtq__should_notify(&q), "used->idx 7 does not pass used_event 7");
	virtq__push(&q, 0, 0);
	CHECK(virtq__should_notify(&q), "used->idx 8 passes used_event 7");
}

/* What the transport's lost-interrupt check reads: used entries at or past used_event. */
static void test_unconsumed(void)
{
	uint16_t ev = 0;

	setup(8);
	virtq__push(&q, 0, 0);
	CHECK(!virtq__unconsumed(&q, &ev), "no event index: nothing known");
	q.event_idx = true;
	guest_ring__set_used_event(&ring, 0);
	CHECK(virtq__unconsumed(&q, &ev) && ev == 0, "entry 0 used, driver waits at 0");
	guest_ring__set_used_event(&ring, 1);
	CHECK(!virtq__unconsumed(&q, &ev), "driver took everything");
	guest_ring__set_used_event(&ring, 4);
	CHECK(!virtq__unconsumed(&q, &ev), "driver asked to hear later (delayed callback)");
	for (int i = 0; i < 4; i++)
		virtq__push(&q, 0, 0);
	CHECK(virtq__unconsumed(&q, &ev) && ev == 4, "used->idx 5 passes used_event 4");
	q.ready = false;
	CHECK(!virtq__unconsumed(&q, &ev), "a queue not ready has nothing outstanding");
}

static void test_no_interrupt(void)
{
	setup(8);
	virtq__push(&q, 0, 0);
	guest_ring__set_avail_flags(&ring, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(!virtq__should_notify(&q), "NO_INTERRUPT suppresses");
	guest_ring__set_avail_flags(&ring, 0);
	CHECK(virtq__should_notify(&q), "no flag: notify");
	/* The driver's flags are ignored once EVENT_IDX is in use. */
	q.event_idx = true;
	guest_ring__set_avail_flags(&ring, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(virtq__should_notify(&q), "event_idx ignores NO_INTERRUPT");
}

/* A queue of 512 with room for chains longer than VIRTQ_MAX_SEGS. */
static void test_long_chains(void)
{
	unsigned int i;

	setup_at(512, 0x0, 0x2000, 0x3000);
	for (i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc(0, i, 0x8000 + i, 1, i + 1 < VIRTQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0, i + 1);
	guest_ring__publish(&ring, 0);
	CHECK(virtq__validate(&q, &err) == 0 && virtq__pop(&q, &chain, &err) == 1 &&
		      chain.n_out == VIRTQ_MAX_SEGS && chain.out_len == VIRTQ_MAX_SEGS,
	      "chain of exactly VIRTQ_MAX_SEGS pops");
	set_desc(0, VIRTQ_MAX_SEGS - 1, 0x8000, 1, VRING_DESC_F_NEXT, VIRTQ_MAX_SEGS);
	set_desc(0, VIRTQ_MAX_SEGS, 0x8000, 1, 0, 0);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("longer than 256"), "chain of VIRTQ_MAX_SEGS + 1 rejected");

	/* The same through an indirect table: 256 entries fit, 257 do not. */
	setup_at(8, DESC, AVAIL, USED);
	q.indirect = true;
	for (i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc(0x8000, i, BUF, 1, i + 1 < VIRTQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(DESC, 0, 0x8000, 16 * VIRTQ_MAX_SEGS, VRING_DESC_F_INDIRECT, 0);
	guest_ring__publish(&ring, 0);
	CHECK(virtq__pop(&q, &chain, &err) == 1 && chain.n_out == VIRTQ_MAX_SEGS,
	      "indirect table of VIRTQ_MAX_SEGS entries pops");
	for (i = 0; i <= VIRTQ_MAX_SEGS; i++)
		set_desc(0x8000, i, BUF, 1, i < VIRTQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(DESC, 0, 0x8000, 16 * (VIRTQ_MAX_SEGS + 1), VRING_DESC_F_INDIRECT, 0);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("longer than 256"), "indirect chain of VIRTQ_MAX_SEGS + 1 rejected");
}

/* A fresh queue offering one lone descriptor whose buffer is not all guest memory. */
static int outside_fails(uint64_t addr, uint32_t len)
{
	setup(8);
	set_desc(DESC, 0, addr, len, 0, 0);
	guest_ring__publish(&ring, 0);
	return pop_fails("outside guest memory");
}

/* Each case is a fresh queue with one offered chain at head 0 built by the caller. */
static void malformed_direct(void)
{
	setup(8);
	guest_ring__publish(&ring, 8);
	CHECK(pop_fails("names descriptor 8"), "head index >= size");

	setup(8);
	set_desc(DESC, 0, BUF, 8, VRING_DESC_F_NEXT, 9);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("index 9 is outside"), "next index >= size");

	setup(8);
	set_desc(DESC, 0, BUF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 8, VRING_DESC_F_NEXT, 0);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("loop"), "descriptor loop a->b->a");

	CHECK(outside_fails(MEM_END + 0x1000, 16), "address outside memory");
	CHECK(outside_fails(0xfffffffffffffff0ull, 0x100), "address + len overflows 64 bits");
	CHECK(outside_fails(MEM_END - 10, 20), "len past the end of memory");
	CHECK(outside_fails(BUF, 0xffffffffu), "len 4 GiB - 1");
	CHECK(outside_fails(REGION - 8, 16), "buffer straddling two regions");

	setup(8);
	set_desc(DESC, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 8, 0, 0);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("readable descriptor after a device-writable"), "readable after writable");

	setup(8);
	guest_ring__set_avail_idx(&ring, 9);
	CHECK(pop_fails("advanced avail index by 9"), "avail idx jumps by more than size");
}

static void malformed_indirect(void)
{
	setup(8);
	q.indirect = true;
	set_desc(DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(TABLE, 0, TABLE + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	guest_ring__publish(&ring, 0);
	CHECK(pop_fails("inside an indirect table"), "nested indirect");

	set_desc(DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(TABLE, 0, BUF, 16, 0, 0);
	CHECK(pop_fails("both INDIRECT and NEXT"), "INDIRECT with NEXT");

	set_desc(DESC, 0, TABLE, 40, VRING_DESC_F_INDIRECT, 0);
	CHECK(pop_fails("multiple of 16"), "indirect len not a multiple of 16");
	set_desc(DESC, 0, TABLE, 0, VRING_DESC_F_INDIRECT, 0);
	CHECK(pop_fails("multiple of 16"), "indirect len 0");

	set_desc(DESC, 0, MEM_END - 16, 32, VRING_DESC_F_INDIRECT, 0);
	CHECK(pop_fails("indirect table"), "indirect table outside memory");

	set_desc(DESC, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 2);
	CHECK(pop_fails("index 2 is outside a table of 2"), "indirect next beyond its table");

	set_desc(TABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	CHECK(pop_fails("loop"), "loop inside an indirect table");

	set_desc(TABLE, 0, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, BUF, 16, 0, 0);
	CHECK(pop_fails("after a device-writable"), "readable after writable, indirect");

	/* Order is checked across the direct prefix and the table too. */
	set_desc(DESC, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 16, 0, 0);
	CHECK(pop_fails("after a device-writable"), "readable table after a writable prefix");
}

static void test_iov(void)
{
	char a[3] = "abc", b[4] = "defg", c[5] = "hijkl", out[16] = { 0 };
	struct iovec iov[3] = { { a, 3 }, { b, 4 }, { c, 5 } };

	CHECK(iov__to_buf(iov, 3, 2, out, 6) == 6 && !memcmp(out, "cdefgh", 6),
	      "to_buf with skip inside the first segment");
	CHECK(iov__to_buf(iov, 3, 7, out, 16) == 5 && !memcmp(out, "hijkl", 5),
	      "to_buf skip lands on a segment boundary, bounded by the iovecs");
	CHECK(iov__to_buf(iov, 3, 12, out, 16) == 0, "skip past the end copies nothing");
	CHECK(iov__to_buf(iov, 3, 0, out, 0) == 0, "zero length copies nothing");
	CHECK(iov__from_buf(iov, 3, 5, "XYZWV", 5) == 5 && !memcmp(b, "deXY", 4) &&
		      !memcmp(c, "ZWVkl", 5) && !memcmp(a, "abc", 3),
	      "from_buf across a boundary");
	CHECK(iov__from_buf(iov, 3, 10, "1234", 4) == 2 && !memcmp(c, "ZWV12", 5),
	      "from_buf bounded by the iovecs");
}

static unsigned int irqs;

static void count_irq(void *ctx, unsigned int queue)
{
	irqs += queue == 1;
}

static void test_virtio_helpers(void)
{
	static const struct virtio_dev_ops ops = { .name = "virtio-test" };
	struct virtio_dev dev = { .ops = &ops, .irq.notify_queue = count_irq };
	char path[] = "/tmp/kage-test-virtq.XXXXXX";
	char buf[4096] = { 0 };
	int fd = mkstemp(path);
	FILE *f;

	setup(8);
	guest_ring__attach(&ring, &dev.queues[1], NULL);
	virtio__notify_used(&dev, 1);
	guest_ring__set_avail_flags(&ring, VRING_AVAIL_F_NO_INTERRUPT);
	virtio__notify_used(&dev, 1);
	virtio__notify_used(&dev, VIRTIO_MAX_QUEUES);
	CHECK(irqs == 1, "notify_used interrupts only when the driver wants it");

	log__init(path, LOG_TEXT, LOG_INFO, NULL);
	virtio__fail(&dev, "bad chain");
	virtio__fail(&dev, "again");
	log__init(NULL, LOG_TEXT, LOG_INFO, NULL);
	f = fopen(path, "r");
	if (f) {
		if (fread(buf, 1, sizeof(buf) - 1, f) == 0)
			buf[0] = 0;
		fclose(f);
	}
	CHECK(dev.needs_reset && strstr(buf, "virtio-test: bad chain") && !strstr(buf, "again"),
	      "fail sets needs_reset and logs once");
	if (fd >= 0)
		close(fd);
	unlink(path);
}

int main(void)
{
	if (gmem__add(&mem, 0, REGION, &err) < 0 || gmem__add(&mem, REGION, REGION, &err) < 0) {
		printf("not ok 1 - guest memory: %s\n", err ? err->msg : "?");
		return 1;
	}
	test_validate();
	test_simple_chain();
	test_wrap();
	test_zero_len();
	test_indirect();
	test_event_idx();
	test_unconsumed();
	test_no_interrupt();
	test_long_chains();
	malformed_direct();
	malformed_indirect();
	test_iov();
	test_virtio_helpers();
	err_free(&err);
	gmem__free(&mem);
	return tap_done();
}
