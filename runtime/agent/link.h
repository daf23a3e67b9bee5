/*
 * How kage reaches a VM's guest agent: in-process through the VM's own vsock device (the
 * process that runs the VM), or from any other kage process through the VM's vsock Unix
 * socket in the container's state directory (the hybrid "CONNECT <port>" handshake).
 */
#ifndef KAGE_RUNTIME_AGENT_LINK_H
#define KAGE_RUNTIME_AGENT_LINK_H

#include <stdbool.h>

#include "../../lib/err.h"

struct vm;
struct vsock;

#include "../../lib/wire/agent_proto.h"	/* the agent's ports */

struct agent_link {
	/* In-process: the VM this process runs. The agent may still be booting: connect waits. */
	struct vm *vm;
	struct vsock *vs;
	/* Or another process's VM: its vsock socket. The agent is up or the VM is gone. */
	const char *uds_path;
};

/* A connected stream to the agent's port, or -1 with err set. */
int agent_link__connect(const struct agent_link *l, unsigned int port, struct err **err);
/* An fd that becomes readable when the VM has stopped, or -1 when not known here. */
int agent_link__stop_fd(const struct agent_link *l);

#endif
