/*
 * A 16550A UART: the guest's console. Output goes to a file descriptor (or nowhere), input
 * comes from one through the event loop, and each completed output line is offered to a
 * watcher (the VMM looks for kernel panics there). It raises its interrupt through a callback
 * and knows nothing of buses or KVM.
 */
#ifndef KAGE_DEVICES_SERIAL_H
#define KAGE_DEVICES_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/err.h"

struct loop;

struct serial_ops {
	void (*irq)(void *ctx, int level);
	void (*line)(void *ctx, const char *line);	/* may be NULL */
};

struct serial;

/* out_fd < 0 discards output; in_fd < 0 means no input. */
int serial__create(struct serial **out, const struct serial_ops *ops, void *ctx, int out_fd,
		   struct err **err);
/* Feeds in_fd to the guest through the event loop; fails on fds epoll cannot watch. */
int serial__attach_input(struct serial *s, struct loop *loop, int in_fd, struct err **err);
/* The port I/O handler: offset 0..7 from the base port. */
void serial__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* The last bytes of output, for error reports. */
const char *serial__tail(struct serial *s);
void serial__destroy(struct serial *s);

#endif
