/*
 * The device event loop: one epoll thread serves every device's file descriptors (console
 * input, and later tap, vsock and virtio notifications), so vCPU threads only run KVM_RUN.
 */
#ifndef KAGE_VMM_LOOP_H
#define KAGE_VMM_LOOP_H

#include <pthread.h>
#include <stdint.h>

#include "../lib/err.h"

typedef void (*loop_fn)(void *opaque, uint32_t events);

struct loop_handler {
	int fd;
	loop_fn fn;
	void *opaque;
	/*
	 * Bumped each time the slot is taken. An epoll_wait batch can still hold an event of an
	 * fd removed meanwhile, whose slot another thread may already have given to a new fd:
	 * the event names slot and generation, so it cannot reach the new fd's handler.
	 */
	uint32_t gen;
};

#define LOOP_MAX_HANDLERS 64

struct loop {
	int epfd;
	int stop_fd;		/* eventfd: wakes the thread to exit */
	pthread_t thread;
	int running;
	pthread_mutex_t lock;	/* the handler table: devices add sockets from any thread */
	struct loop_handler handlers[LOOP_MAX_HANDLERS];
};

int loop__init(struct loop *l, struct err **err);
/* Level-triggered; events are EPOLLIN/EPOLLOUT masks. Call before loop__start or from the loop. */
int loop__add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque, struct err **err);
/* Changes the events watched on fd (0 pauses it); safe from any thread. */
int loop__modify(struct loop *l, int fd, uint32_t events);
int loop__del(struct loop *l, int fd);
int loop__start(struct loop *l, struct err **err);
/*
 * Serves one round of events on the calling thread, waiting up to timeout_ms; returns how
 * many fired, or -1. For tests that drive devices without the loop thread.
 */
int loop__run_once(struct loop *l, int timeout_ms);
void loop__stop(struct loop *l);
void loop__destroy(struct loop *l);

#endif
