/*
 * The agent's one event loop: a level-triggered epoll set of watches. A watch with no events
 * is taken out of the set, so a hung-up fd nobody wants to read cannot make the loop spin.
 */
#ifndef KAGE_GUEST_AGENT_LOOP_H
#define KAGE_GUEST_AGENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The object a watch is embedded in, from the watch the loop hands back. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct err;

struct watch {
	int fd;
	uint32_t events;	/* registered now; 0: not in the epoll set */
	void (*fn)(struct watch *w, uint32_t events);
};

int loop__init(struct err **err);
/* Binds fd and its handler to w without registering anything yet. */
void watch__init(struct watch *w, int fd, void (*fn)(struct watch *w, uint32_t events));
/* Registers exactly these events (ADD, MOD or DEL as needed). */
int watch__set(struct watch *w, uint32_t events, struct err **err);
/* Drops w from the set and closes its fd; a dup of the fd would otherwise stay registered. */
void watch__close(struct watch *w);
/* Runs until loop__quit(); after each event calls after() to free what handlers retired. */
int loop__run(void (*after)(void), struct err **err);
void loop__quit(void);

#endif
