/* The agent's epoll loop (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../../lib/err.h"

static int epfd = -1;
static bool quit;

int loop__init(struct err **err)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return err_errno(err, "epoll_create1");
	return 0;
}

void watch__init(struct watch *w, int fd, void (*fn)(struct watch *w, uint32_t events))
{
	w->fd = fd;
	w->events = 0;
	w->fn = fn;
}

int watch__set(struct watch *w, uint32_t events, struct err **err)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op;

	if (w->fd < 0 || events == w->events)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else
		op = w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(epfd, op, w->fd, &ev) < 0)
		return err_errno(err, "epoll_ctl fd %d", w->fd);
	w->events = events;
	return 0;
}

void watch__close(struct watch *w)
{
	if (w->fd < 0)
		return;
	if (w->events)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
	w->events = 0;
}

void loop__quit(void)
{
	quit = true;
}

/*
 * One event per epoll_wait: a handler may retire objects that a second event of the same
 * batch would still point at. Level triggering re-queues ready fds at the tail, so this stays
 * fair, and retired objects are freed by after() before the next wait.
 */
int loop__run(void (*after)(void), struct err **err)
{
	struct epoll_event ev;
	int n;

	while (!quit) {
		n = epoll_wait(epfd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, "epoll_wait");
		if (n == 1) {
			struct watch *w = ev.data.ptr;

			w->fn(w, ev.events);
		}
		if (after)
			after();
	}
	return 0;
}
