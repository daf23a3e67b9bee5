/*
 * The guest agent protocol's names and numbers, in one place for both of its ends: the agent
 * (guest/agent/) and the host's client (runtime/agent/). A change to the protocol starts here;
 * docs/agent-protocol.md describes each message.
 */
#ifndef KAGE_LIB_WIRE_AGENT_PROTO_H
#define KAGE_LIB_WIRE_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The version both ends must speak; a request of another version is refused. */
#define AGENT_PROTOCOL 1

/* The agent's vsock ports: framed control requests, and stdio streams. */
#define AGENT_CTL_PORT 1024
#define AGENT_IO_PORT 1025

/*
 * Every op: its enum name, its wire name, and whether it is a setup op, one that may wait on
 * the guest's disks and shares or build a whole container (the host gives those a longer
 * deadline than the ops a healthy agent answers at once).
 */
#define AGENT_OPS(X)                                                                   \
	X(VERSION, "version", false) X(CREATE, "create", true) X(START, "start", false)   \
	X(SIGNAL, "signal", false) X(WAIT, "wait", false) X(RESIZE, "resize", false)      \
	X(CLOSE_STDIN, "close_stdin", false) X(PS, "ps", false)                           \
	X(SHUTDOWN, "shutdown", false) X(DISK, "disk", true) X(MOUNT, "mount", true)      \
	X(MKNOD, "mknod", true) X(HOSTNAME, "hostname", true) X(SYSCTL, "sysctl", true)   \
	X(NETWORK, "network", true) X(STATS, "stats", false)                          \
	X(UNMOUNT, "unmount", true) X(FREEZE, "freeze", true)

enum agent_op {
#define AGENT_OP_ENUM(id, name, setup) AGENT_OP_##id,
	AGENT_OPS(AGENT_OP_ENUM)
#undef AGENT_OP_ENUM
	AGENT_OP_COUNT
};

struct agent_op_info {
	const char *name;
	bool setup;
};

static const struct agent_op_info agent_op_infos[AGENT_OP_COUNT] = {
#define AGENT_OP_INFO(id, wire, is_setup) [AGENT_OP_##id] = { .name = wire, .setup = is_setup },
	AGENT_OPS(AGENT_OP_INFO)
#undef AGENT_OP_INFO
};

static inline const char *agent_op__name(enum agent_op op)
{
	return op < AGENT_OP_COUNT ? agent_op_infos[op].name : "?";
}

/* The op called name, or AGENT_OP_COUNT when there is none. */
static inline enum agent_op agent_op__find(const char *name)
{
	for (size_t i = 0; i < AGENT_OP_COUNT; i++)
		if (!strcmp(name, agent_op_infos[i].name))
			return (enum agent_op)i;
	return AGENT_OP_COUNT;
}

/* The members every request and response carries, and the one most ops name. */
#define AGENT_KEY_VERSION "v"
#define AGENT_KEY_ID "id"
#define AGENT_KEY_OP "op"
#define AGENT_KEY_OK "ok"
#define AGENT_KEY_ERROR "error"
#define AGENT_KEY_PROCESS "process"

/* The ordinary ops' members (create, mount and network carry whole structures: see
 * docs/agent-protocol.md and guest/agent/proc/spec.c). */
#define AGENT_KEY_SIGNAL "signal"
#define AGENT_KEY_ROWS "rows"
#define AGENT_KEY_COLS "cols"
#define AGENT_KEY_ALL "all"
#define AGENT_KEY_SERIAL "serial"
#define AGENT_KEY_STREAM "stream"
#define AGENT_KEY_EXIT_STATUS "exit_status"
#define AGENT_KEY_FROZEN "frozen"

#endif
