/*
 * Where the agent listens: AF_VSOCK ports in the guest, or AF_UNIX sockets PREFIX.ctl and
 * PREFIX.io on the host for tests. Everything above this sees only the two listening fds.
 */
#ifndef KAGE_GUEST_AGENT_LISTEN_H
#define KAGE_GUEST_AGENT_LISTEN_H

#include "../../lib/wire/agent_proto.h"	/* the ports */

struct err;

struct listeners {
	int ctl;	/* control connections: framed requests and responses */
	int io;		/* stdio stream connections: one framed header, then raw bytes */
};

int listen__vsock(struct listeners *l, struct err **err);
int listen__unix(struct listeners *l, const char *prefix, struct err **err);
void listen__close(struct listeners *l);
/* Accepts one connection as a non-blocking, close-on-exec fd; -1 when there was none. */
int listen__accept(int fd);

#endif
