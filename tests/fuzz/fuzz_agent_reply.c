// sources: runtime/agent/reply.c lib/wire/frame.c lib/wire/json.c lib/err.c
// libs: -ljson-c
/*
 * The host's decoding of the guest agent's replies fed arbitrary bytes (the guest is
 * untrusted): the first byte picks the op, the rest is the frame's body. Nothing may crash,
 * and what a decoder accepts must keep its promises (bounded, NUL-free strings; ranges).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/wire/frame.h"
#include "runtime/agent/client.h"
#include "fuzz.h"

static void check_ps(struct json_object *o)
{
	struct agent_ps ps;
	struct err *err = NULL;

	if (agent_reply__ps(o, &ps, &err) < 0) {
		ASSERT(err && err->msg && !ps.procs && !ps.all);
		err_free(&err);
		return;
	}
	for (size_t i = 0; i < ps.n_procs; i++) {
		ASSERT(memchr(ps.procs[i].process, 0, sizeof(ps.procs[i].process)));
		ASSERT(ps.procs[i].process[0] && ps.procs[i].pid >= 0);
	}
	for (size_t i = 0; i < ps.n_all; i++) {
		ASSERT(memchr(ps.all[i].comm, 0, sizeof(ps.all[i].comm)));
		ASSERT(memchr(ps.all[i].state, 0, sizeof(ps.all[i].state)));
		ASSERT(ps.all[i].pid >= 0 && ps.all[i].ppid >= 0);
	}
	agent_ps__free(&ps);
}

static void check_other(uint8_t which, struct json_object *o)
{
	struct err *err = NULL;
	char *process = NULL, device[64];
	int64_t major = -1, minor = -1;
	int status = -1;

	switch (which % 3) {
	case 0:
		if (agent_reply__create(o, &process, &err) == 0)
			ASSERT(process && *process && strlen(process) < AGENT_NAME_MAX);
		free(process);
		break;
	case 1:
		if (agent_reply__wait(o, &status, &err) == 0)
			ASSERT(status >= 0 && status <= 255);
		break;
	case 2:
		if (agent_reply__disk(o, device, sizeof(device), &major, &minor, &err) == 0)
			ASSERT(!strncmp(device, "/dev/", 5) && strlen(device) < sizeof(device) &&
			       major >= 0 && major < 4096 && minor >= 0 && minor < (1 << 20));
		break;
	}
	err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;
	struct err *err = NULL;

	if (size < 1 || size - 1 > FRAME_MAX)
		return 0;
	if (frame__parse((const char *)data + 1, size - 1, &o, &err) < 0) {
		err_free(&err);
		return 0;
	}
	/* The envelope first, as the client does; the decoders also run on what it refuses. */
	if (agent_reply__check(o, 1, "fuzz", &err) < 0) {
		ASSERT(err && err->msg);
		err_free(&err);
	}
	if (data[0] & 1)
		check_ps(o);
	else
		check_other(data[0] >> 1, o);
	json_object_put(o);
	return 0;
}
