/*
 * The worker pool on a device of its own: chains served by several threads at once all come
 * back, and chains of a queue whose threads wait for the device lock together take one
 * interrupt, not one each, and never none: not when the other waiting chain is another
 * queue's (virtio-fs serves its hiprio queue inline), nor when it is one the device fails. workers.c is included (its functions renamed, since the library objects define
 * them) to see how many served chains wait for the lock; the chains' work waits at a gate the
 * test opens, so which thread finishes when is the test's to say.
 */
#define virtio_workers__start test_workers__start
#define virtio_workers__kick test_workers__kick
#define virtio_workers__serve test_workers__serve
#define virtio_workers__drain test_workers__drain
#define virtio_workers__stop test_workers__stop
#include "devices/virtio/workers.c"
#undef virtio_workers__start
#undef virtio_workers__kick
#undef virtio_workers__serve
#undef virtio_workers__drain
#undef virtio_workers__stop

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "tests/model/guest_ring.h"
#include "tests/unit/tap.h"

#define QSIZE 16
#define THREADS 4
#define RING_GPA(q) (0x1000ull + (q) * 0x4000ull)
#define BUF_GPA(q, i) (0x10000ull + (q) * 0x1000ull + (i) * 64ull)
#define FAIL_GPA 0x20000ull	/* a chain whose work fails */

static struct gmem mem;
static struct virtio_dev dev;
static struct virtio_workers *pool;
static struct guest_ring rings[2];
static unsigned int irqs[2];
static unsigned int used_at_irq[2];	/* the used index the driver saw at its last interrupt */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static unsigned int at_gate;

/* One chain's work: wait at the gate, then write one byte into it (or fail, for FAIL_GPA). */
static int work(void *ctx, const struct virtq_chain *c, uint32_t *used, struct err **err)
{
	bool fail = false;

	(void)ctx;
	pthread_mutex_lock(&gate_lock);
	at_gate++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	*used = 0;
	if (c->n_in) {
		fail = c->in[0].iov_base == gmem__ptr(&mem, FAIL_GPA, 1);
		*(uint8_t *)c->in[0].iov_base = 0xab;
		*used = 1;
	}
	return fail ? err_msg(err, "a chain the test fails") : 0;
}

static void irq(void *ctx, unsigned int q)
{
	(void)ctx;
	if (q < 2) {
		__atomic_store_n(&used_at_irq[q], guest_ring__used_idx(&rings[q]), __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&irqs[q], 1, __ATOMIC_SEQ_CST);
	}
}

static void notify(struct virtio_dev *d, unsigned int q)
{
	(void)d;
	if (q == 0)
		test_workers__kick(pool);
}

static const struct virtio_dev_ops ops = {
	.name = "test-workers",
	.num_queues = 2,
	.queue_max_size = QSIZE,
	.queue_notify = notify,
};

static unsigned int load(unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 }, NULL);
}

/* Waits up to 10 s for *p to reach want, reading it under lock when one is given. */
static bool wait_for(unsigned int *p, unsigned int want, pthread_mutex_t *lock)
{
	for (int i = 0; i < 10000; i++) {
		if (lock)
			pthread_mutex_lock(lock);
		unsigned int v = load(p);

		if (lock)
			pthread_mutex_unlock(lock);
		if (v >= want)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void close_gate(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = false;
	at_gate = 0;
	pthread_mutex_unlock(&gate_lock);
}

/* With dev.lock held: opens the gate, then waits until n served chains wait for the lock. */
static bool open_gate_and_pile(unsigned int n)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < 10000; i++) {
		if (load(&pool->finishing[0]) + load(&pool->finishing[1]) >= n)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void post(unsigned int q, uint64_t gpa)
{
	struct guest_buf b = { .gpa = gpa, .len = 64, .write = true };

	guest_ring__add(&rings[q], &b, 1);
}

static unsigned int take_all(unsigned int q)
{
	struct vring_used_elem e;
	unsigned int n = 0;

	while (guest_ring__take_used(&rings[q], &e))
		n++;
	return n;
}

/* Waits up to 10 s until no chain is taken or waiting to be returned. */
static bool wait_idle(void)
{
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&dev.lock);
		bool idle = !pool->busy && !load(&pool->finishing[0]) && !load(&pool->finishing[1]);

		pthread_mutex_unlock(&dev.lock);
		if (idle)
			return true;
		sleep_ms(1);
	}
	return false;
}

/*
 * THREADS chains, each held at the gate by its thread. The test takes the device lock, opens
 * the gate and waits until every thread has finished its work and waits for the lock; then
 * lets go. The first THREADS - 1 to get the lock see another waiting and leave the interrupt
 * to it: one interrupt for THREADS chains, taken when all of them are in the used ring.
 */
static void test_finish_together(void)
{
	unsigned int before = load(&irqs[0]), back;
	uint16_t used0 = guest_ring__used_idx(&rings[0]);

	close_gate();
	for (unsigned int i = 0; i < THREADS; i++)
		post(0, BUF_GPA(0, i));
	guest_dev__kick(&dev, 0);
	CHECK(wait_for(&at_gate, THREADS, &gate_lock), "all %u threads took a chain", THREADS);
	pthread_mutex_lock(&dev.lock);
	bool piled = open_gate_and_pile(THREADS);

	pthread_mutex_unlock(&dev.lock);
	CHECK(piled, "all %u served chains wait for the device lock", THREADS);
	CHECK(wait_idle(), "the pool went idle");
	back = take_all(0);
	CHECK(back == THREADS, "every chain came back (%u of %u)", back, THREADS);
	CHECK(load(&irqs[0]) - before == 1, "they took one interrupt between them (%u)",
	      load(&irqs[0]) - before);
	CHECK((uint16_t)(load(&used_at_irq[0]) - used0) == THREADS,
	      "raised once all %u were in the used ring (%u were)", THREADS,
	      (uint16_t)(load(&used_at_irq[0]) - used0));
}

/* virtio-fs's event loop serving its hiprio queue inline, as a thread of its own here. */
static void *serve_inline(void *arg)
{
	static struct virtq_chain c;

	(void)arg;
	pthread_mutex_lock(&dev.lock);
	test_workers__serve(pool, 1, &c);
	pthread_mutex_unlock(&dev.lock);
	return NULL;
}

/*
 * A worker's chain of queue 0 and an inline chain of queue 1 wait for the lock together: each
 * is the last of its own queue, so each queue gets its interrupt, whichever goes first.
 */
static void test_other_queue(void)
{
	unsigned int before0 = load(&irqs[0]), before1 = load(&irqs[1]);
	pthread_t t;

	close_gate();
	post(0, BUF_GPA(0, 0));
	guest_dev__kick(&dev, 0);
	post(1, BUF_GPA(1, 0));
	pthread_create(&t, NULL, serve_inline, NULL);
	CHECK(wait_for(&at_gate, 2, &gate_lock), "a worker and the inline server took a chain each");
	pthread_mutex_lock(&dev.lock);
	bool piled = open_gate_and_pile(2);

	pthread_mutex_unlock(&dev.lock);
	pthread_join(t, NULL);
	CHECK(piled, "both wait for the device lock");
	CHECK(wait_idle(), "the pool went idle");
	CHECK(take_all(0) == 1 && take_all(1) == 1, "both chains came back");
	CHECK(load(&irqs[0]) - before0 == 1 && load(&irqs[1]) - before1 == 1,
	      "each queue took its interrupt (%u, %u)", load(&irqs[0]) - before0,
	      load(&irqs[1]) - before1);
}

/* A chain that finishes alone interrupts at once, as every chain did before. */
static void test_finish_alone(void)
{
	unsigned int before = load(&irqs[0]);

	post(0, BUF_GPA(0, 0));
	guest_dev__kick(&dev, 0);
	CHECK(wait_for(&irqs[0], before + 1, NULL) && wait_idle(), "the chain was served");
	CHECK(take_all(0) == 1, "it came back");
	CHECK(load(&irqs[0]) - before == 1, "with its own interrupt (%u)", load(&irqs[0]) - before);
}

/*
 * Two chains of queue 0 wait for the lock, one of which the device fails (its driver is
 * broken: the chain is not returned). The good one is returned and interrupts, whether it
 * got the lock first (leaving the interrupt to the failed one's thread) or second. Last, as
 * the device then needs a reset.
 */
static void test_fail_beside(void)
{
	unsigned int before = load(&irqs[0]);

	close_gate();
	post(0, BUF_GPA(0, 1));
	post(0, FAIL_GPA);
	guest_dev__kick(&dev, 0);
	CHECK(wait_for(&at_gate, 2, &gate_lock), "two threads took a chain each");
	pthread_mutex_lock(&dev.lock);
	bool piled = open_gate_and_pile(2);

	pthread_mutex_unlock(&dev.lock);
	CHECK(piled, "both wait for the device lock");
	CHECK(wait_idle(), "the pool went idle");
	CHECK(guest_dev__needs_reset(&dev), "the failed chain failed the device");
	CHECK(take_all(0) == 1, "the good chain came back");
	CHECK(load(&irqs[0]) - before == 1, "with an interrupt (%u)", load(&irqs[0]) - before);
}

int main(void)
{
	struct virtio_workers_opts o = { .threads = THREADS, .queue = 0, .role = THREAD_BLK,
					 .name = "test-io", .work = work };
	struct err *err = NULL;

	log__set_level(LOG_ERROR + 0);
	alarm(60);
	if (gmem__add(&mem, 0, 1 << 20, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	pthread_mutex_init(&dev.lock, NULL);
	dev.ops = &ops;
	dev.mem = &mem;
	dev.irq = (struct virtio_irq){ .notify_queue = irq };
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		dev.queues[i].mem = &mem;
	for (unsigned int q = 0; q < 2; q++)
		guest_ring__init(&rings[q], &mem, QSIZE, RING_GPA(q));
	if (test_workers__start(&pool, &dev, &o, &err) < 0 ||
	    guest_dev__start(&dev, rings, 2, 0, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	test_finish_together();
	test_other_queue();
	test_finish_alone();
	test_fail_beside();
	test_workers__stop(pool);
	pthread_mutex_destroy(&dev.lock);
	return tap_done();
}
