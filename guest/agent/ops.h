/* The requests of the control protocol, one handler per op (docs/agent-protocol.md). */
#ifndef KAGE_GUEST_AGENT_OPS_H
#define KAGE_GUEST_AGENT_OPS_H

#include <stdbool.h>

struct conn;
struct json_object;

#include "../../lib/wire/agent_proto.h"

/* Checks the envelope (v, id, op) and runs the op; every outcome is answered on c. */
void ops__dispatch(struct conn *c, struct json_object *req);

/* Provided by main.c: terminate every process, then leave the loop and power off. */
void agent__request_shutdown(void);
bool agent__shutting_down(void);
/* Serving on unix sockets for host tests (--listen-unix): ops that change the guest refuse. */
bool agent__test_mode(void);

#endif
