/* The epoll thread that serves device file descriptors. */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/thread_role.h"

#define STOP_EVENT UINT64_MAX

/* What an fd's epoll events carry: its slot and that slot's generation. */
static uint64_t event_key(const struct loop *l, const struct loop_handler *h)
{
	return (uint64_t)h->gen << 32 | (uint64_t)(h - l->handlers);
}

int loop__init(struct loop *l, struct err **err)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		l->handlers[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return err_errno(err, "epoll_create1");
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_fd < 0)
		return err_errno(err, "eventfd");
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_EVENT };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0)
		return err_errno(err, "epoll_ctl");
	return 0;
}

int loop__add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque, struct err **err)
{
	struct loop_handler *h = NULL;

	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < LOOP_MAX_HANDLERS && !h; i++)
		if (l->handlers[i].fd < 0)
			h = &l->handlers[i];
	if (!h) {
		pthread_mutex_unlock(&l->lock);
		return err_msg(err, "event loop: too many file descriptors");
	}
	*h = (struct loop_handler){ .fd = fd, .fn = fn, .opaque = opaque, .gen = h->gen + 1 };
	struct epoll_event ev = { .events = events, .data.u64 = event_key(l, h) };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		h->fd = -1;
		pthread_mutex_unlock(&l->lock);
		return err_errno(err, "event loop: watch fd %d", fd);
	}
	pthread_mutex_unlock(&l->lock);
	return 0;
}

static struct loop_handler *find(struct loop *l, int fd)
{
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		if (l->handlers[i].fd == fd)
			return &l->handlers[i];
	return NULL;
}

int loop__modify(struct loop *l, int fd, uint32_t events)
{
	pthread_mutex_lock(&l->lock);
	struct loop_handler *h = find(l, fd);
	struct epoll_event ev = { .events = events, .data.u64 = h ? event_key(l, h) : 0 };
	int ret = h ? epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) : -1;

	pthread_mutex_unlock(&l->lock);
	return ret;
}

int loop__del(struct loop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	struct loop_handler *h = find(l, fd);

	if (h) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		h->fd = -1;
	}
	pthread_mutex_unlock(&l->lock);
	return h ? 0 : -1;
}

/* Runs the handlers of one epoll_wait's events; false once the stop eventfd fired. */
static bool dispatch(struct loop *l, const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t key = evs[i].data.u64;
		struct loop_handler *h = &l->handlers[(uint32_t)key % LOOP_MAX_HANDLERS];
		loop_fn fn = NULL;
		void *opaque = NULL;

		if (key == STOP_EVENT)
			return false;
		/* Called without the lock: a handler may add or remove fds itself. */
		pthread_mutex_lock(&l->lock);
		if (h->fd >= 0 && h->gen == (uint32_t)(key >> 32)) {
			fn = h->fn;
			opaque = h->opaque;
		}
		pthread_mutex_unlock(&l->lock);
		if (fn)
			fn(opaque, evs[i].events);
	}
	return true;
}

static void *loop_thread(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[16];

	/* Named threads let `top -H` and bench/blk tell the VMM's own work from the guest's. */
	thread_role__enter(THREAD_LOOP, "kage-loop");
	for (;;) {
		int n = epoll_wait(l->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("event loop: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		if (!dispatch(l, evs, n))
			return NULL;
	}
}

int loop__run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(l->epfd, evs, 16, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	dispatch(l, evs, n);
	return n;
}

int loop__start(struct loop *l, struct err **err)
{
	int ret = pthread_create(&l->thread, NULL, loop_thread, l);

	if (ret)
		return err_code(err, ret, "start the event loop thread");
	l->running = 1;
	return 0;
}

void loop__stop(struct loop *l)
{
	uint64_t one = 1;

	if (!l->running)
		return;
	if (write(l->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("event loop: cannot signal stop: %s", strerror(errno));
	pthread_join(l->thread, NULL);
	l->running = 0;
}

void loop__destroy(struct loop *l)
{
	loop__stop(l);
	if (l->epfd > 0)
		close(l->epfd);
	if (l->stop_fd > 0)
		close(l->stop_fd);
	l->epfd = l->stop_fd = -1;
}
