/*
 * The host's side of the guest agent protocol (docs/agent-protocol.md): blocking calls on a
 * connected stream fd. kage gets its fds from its own vsock device, tests from unix sockets,
 * so nothing here assumes more than a connected byte stream.
 */
#ifndef KAGE_RUNTIME_AGENT_CLIENT_H
#define KAGE_RUNTIME_AGENT_CLIENT_H

#include <stdint.h>

struct json_object;
struct err;

#define AGENT_PROTOCOL_VERSION 1

/*
 * Sends req (adding "v" and a fresh "id" to it) and waits for its response. On "ok":true
 * *resp is the whole response (the caller puts it); on "ok":false the agent's error string
 * comes back through err and the call returns -1. One request at a time per fd: a caller that
 * keeps a deferred request (wait) pending uses a connection of its own for it.
 */
int agent__request(int fd, struct json_object *req, struct json_object **resp, struct err **err);
/* The two halves of agent__request, for a caller that waits on the response in its own poll
 * loop: agent__send returns the id it used (>= 0), agent__recv reads the response to it. */
int64_t agent__send(int fd, struct json_object *req, struct err **err);
int agent__recv(int fd, int64_t id, struct json_object **resp, struct err **err);

/* Makes a fresh connection to the agent's stdio port the given stream ("stdin", "stdout" or
 * "stderr") of process; afterwards the fd carries that stream's raw bytes. */
int agent__open_stream(int fd, const char *process, const char *stream, struct err **err);

#endif
