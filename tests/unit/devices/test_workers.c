/*
 * The worker pool on a device of its own: chains served by several threads at once all come
 * back, and chains whose threads wait for the device lock together take one interrupt, not
 * one each. workers.c is included (its functions renamed, since the library objects define
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
#define BUF_GPA 0x10000ull

static struct gmem mem;
static struct virtio_dev dev;
static struct virtio_workers *pool;
static struct guest_ring ring;
static unsigned int irqs;

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static unsigned int at_gate;

/* One chain's work: wait at the gate, then write one byte into it. */
static int work(void *ctx, const struct virtq_chain *c, uint32_t *used, struct err **err)
{
	(void)ctx;
	(void)err;
	pthread_mutex_lock(&gate_lock);
	at_gate++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	*used = c->n_in ? 1 : 0;
	if (c->n_in)
		*(uint8_t *)c->in[0].iov_base = 0xab;
	return 0;
}

static void notify(struct virtio_dev *d, unsigned int q)
{
	(void)d;
	(void)q;
	test_workers__kick(pool);
}

static const struct virtio_dev_ops ops = {
	.name = "test-workers",
	.num_queues = 1,
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

static void post(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct guest_buf b = { .gpa = BUF_GPA + i * 64, .len = 64, .write = true };

		guest_ring__add(&ring, &b, 1);
	}
}

static unsigned int take_all(void)
{
	struct vring_used_elem e;
	unsigned int n = 0;

	while (guest_ring__take_used(&ring, &e))
		n++;
	return n;
}

/* Waits up to 10 s until no chain is taken or waiting to be returned. */
static bool wait_idle(void)
{
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&dev.lock);
		bool idle = !pool->busy && !load(&pool->finishing);

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
 * to it: one interrupt for THREADS chains, and every chain is back.
 */
static void test_finish_together(void)
{
	unsigned int before = load(&irqs), back;

	post(THREADS);
	guest_dev__kick(&dev, 0);
	CHECK(wait_for(&at_gate, THREADS, &gate_lock), "all %u threads took a chain", THREADS);
	pthread_mutex_lock(&dev.lock);
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	bool piled = wait_for(&pool->finishing, THREADS, NULL);

	pthread_mutex_unlock(&dev.lock);
	CHECK(piled, "all %u served chains wait for the device lock", THREADS);
	CHECK(wait_idle(), "the pool went idle");
	back = take_all();
	CHECK(back == THREADS, "every chain came back (%u of %u)", back, THREADS);
	CHECK(load(&irqs) - before == 1, "they took one interrupt between them (%u)",
	      load(&irqs) - before);
}

/* A chain that finishes alone interrupts at once, as every chain did before. */
static void test_finish_alone(void)
{
	unsigned int before = load(&irqs);

	post(1);
	guest_dev__kick(&dev, 0);
	CHECK(wait_for(&irqs, before + 1, NULL) && wait_idle(), "the chain was served");
	CHECK(take_all() == 1, "it came back");
	CHECK(load(&irqs) - before == 1, "with its own interrupt (%u)", load(&irqs) - before);
}

int main(void)
{
	struct virtio_workers_opts o = { .threads = THREADS, .queue = 0, .role = THREAD_BLK,
					 .name = "test-io", .work = work };
	struct err *err = NULL;

	log__set_level(LOG_ERROR);
	alarm(60);
	if (gmem__add(&mem, 0, 1 << 20, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	pthread_mutex_init(&dev.lock, NULL);
	dev.ops = &ops;
	dev.mem = &mem;
	dev.irq = (struct virtio_irq){ .notify_queue = guest_dev__count_irq, .ctx = &irqs };
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		dev.queues[i].mem = &mem;
	guest_ring__init(&ring, &mem, QSIZE, 0x1000);
	if (test_workers__start(&pool, &dev, &o, &err) < 0 ||
	    guest_dev__start(&dev, &ring, 1, 0, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	test_finish_together();
	test_finish_alone();
	test_workers__stop(pool);
	pthread_mutex_destroy(&dev.lock);
	return tap_done();
}
