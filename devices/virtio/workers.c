/* The worker pool of virtio-blk and virtio-fs: threads serving a queue (see workers.h). */
#include "workers.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct worker {
	struct virtio_workers *pool;
	pthread_t thread;
	struct virtq_chain chain;	/* the one being served: too big for a thread's stack */
};

struct virtio_workers {
	struct virtio_dev *dev;
	struct virtio_workers_opts o;

	/* All below is guarded by dev->lock. */
	pthread_cond_t work;	/* a kick, a drain that ended, or quit */
	pthread_cond_t idle;	/* busy dropped to 0 */
	unsigned int busy;	/* chains taken and not yet returned */
	/*
	 * Per queue (the pool's own, and any a device serves inline, as virtio-fs its hiprio
	 * queue): served chains whose threads wait for the lock to return them, atomic, counted
	 * outside the lock; and whether a returned chain left its interrupt to one of them.
	 */
	unsigned int finishing[VIRTIO_MAX_QUEUES];
	bool owed[VIRTIO_MAX_QUEUES];
	bool draining;		/* a reset waits for idle: take nothing, return nothing */
	bool quit;

	unsigned int started;
	struct worker threads[];
};

/* Takes the next chain of queue qi: 1 when it did, 0 when there is nothing to do. */
static int take_chain(struct virtio_workers *w, unsigned int qi, struct virtq_chain *c)
{
	struct virtio_dev *dev = w->dev;
	struct virtq *q = &dev->queues[qi];
	_cleanup_err_ struct err *err = NULL;
	int r;

	if (w->quit || w->draining || !dev->active || dev->needs_reset || !q->ready)
		return 0;
	r = virtq__pop(q, c, &err);
	if (r < 0) {
		virtio__fail(dev, err->msg);
		return 0;
	}
	return r;
}

/*
 * Returns a served chain to the driver, unless a reset or the pool's stop is under way. Chains
 * of a queue that finish together take one interrupt: while another served chain of the same
 * queue waits for the lock, its thread will notify for both (the event index covers every
 * entry since the last one), so an interrupt is put off only until a thread that has already
 * done its work gets the lock; that thread notifies even when its own chain is not returned.
 */
static void finish_chain(struct virtio_workers *w, unsigned int qi, const struct virtq_chain *c,
			 int served, uint32_t used, const struct err *err)
{
	struct virtio_dev *dev = w->dev;
	bool last = __atomic_sub_fetch(&w->finishing[qi], 1, __ATOMIC_SEQ_CST) == 0;
	bool live = !w->draining && !w->quit && dev->active;

	if (served < 0) {
		virtio__fail(dev, err ? err->msg : "request failed");
	} else if (live) {
		virtq__push(&dev->queues[qi], c->head, used);
		w->owed[qi] = true;
	}
	if (last && w->owed[qi]) {
		/* Not live: a reset or the end follows, and the driver starts its rings anew. */
		w->owed[qi] = false;
		if (live)
			virtio__notify_used(dev, qi);
	}
	if (--w->busy == 0)
		pthread_cond_broadcast(&w->idle);
}

bool virtio_workers__serve(struct virtio_workers *w, unsigned int q, struct virtq_chain *c)
{
	_cleanup_err_ struct err *err = NULL;
	uint32_t used = 0;
	int served;

	if (q >= VIRTIO_MAX_QUEUES || !take_chain(w, q, c))
		return false;
	w->busy++;
	pthread_mutex_unlock(&w->dev->lock);
	served = w->o.work(w->o.ctx, c, &used, &err);
	__atomic_add_fetch(&w->finishing[q], 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&w->dev->lock);
	finish_chain(w, q, c, served, used, err);
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *t = arg;
	struct virtio_workers *w = t->pool;

	thread_role__enter(w->o.role, w->o.name);

	pthread_mutex_lock(&w->dev->lock);
	while (!w->quit)
		if (!virtio_workers__serve(w, w->o.queue, &t->chain))
			pthread_cond_wait(&w->work, &w->dev->lock);
	pthread_mutex_unlock(&w->dev->lock);
	return NULL;
}

void virtio_workers__kick(struct virtio_workers *w)
{
	pthread_cond_broadcast(&w->work);
}

/* Waiting on idle releases the lock, so the threads can finish (and drop) what they hold. */
void virtio_workers__drain(struct virtio_workers *w)
{
	w->draining = true;
	while (w->busy)
		pthread_cond_wait(&w->idle, &w->dev->lock);
	w->draining = false;
}

int virtio_workers__start(struct virtio_workers **out, struct virtio_dev *dev,
			  const struct virtio_workers_opts *o, struct err **err)
{
	struct virtio_workers *w = calloc(1, sizeof(*w) + o->threads * sizeof(w->threads[0]));
	sigset_t all, old;
	int r = 0;

	*out = NULL;
	if (!w)
		return err_errno(err, "%s: allocate workers", dev->ops->name);
	w->dev = dev;
	w->o = *o;
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; w->started < o->threads && !r; w->started += !r) {
		struct worker *t = &w->threads[w->started];

		t->pool = w;
		r = pthread_create(&t->thread, NULL, worker_main, t);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		err_code(err, r, "%s: start worker %u", dev->ops->name, w->started);
		virtio_workers__stop(w);
		return -1;
	}
	*out = w;
	return 0;
}

void virtio_workers__stop(struct virtio_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->dev->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->dev->lock);
	for (unsigned int i = 0; i < w->started; i++)
		pthread_join(w->threads[i].thread, NULL);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	free(w);
}
