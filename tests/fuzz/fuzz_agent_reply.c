// sources: runtime/agent/reply.c runtime/agent/stats.c runtime/agent/client.c runtime/container/stats_json.c lib/wire/frame.c lib/wire/json.c lib/err.c lib/io.c lib/log.c lib/time.c
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
#include "runtime/container/stats_json.h"
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

/* What stats accepts is in range, and runc's shape can be built from it. */
static void check_stats(struct json_object *o)
{
	struct host_stats host = { 0 };
	struct agent_stats s;
	struct err *err = NULL;

	if (agent_reply__stats(o, &s, &err) < 0) {
		ASSERT(err && err->msg && !s.memory_stat && !s.io && !s.net);
		err_free(&err);
		return;
	}
	ASSERT(s.cpu.usage_usec >= 0 && s.memory.current >= 0 && s.memory.max >= -1 &&
	       s.memory.oom_kill >= 0 && s.pids.max >= -1 && s.swap.max >= -1);
	ASSERT(s.n_memory_stat <= 256 && s.n_io <= 256 && s.n_net <= 256);
	for (size_t i = 0; i < s.n_memory_stat; i++)
		ASSERT(s.memory_stat[i].key[0] && s.memory_stat[i].value >= 0 &&
		       memchr(s.memory_stat[i].key, 0, sizeof(s.memory_stat[i].key)));
	for (size_t i = 0; i < s.n_net; i++)
		ASSERT(s.net[i].name[0] && memchr(s.net[i].name, 0, sizeof(s.net[i].name)) &&
		       !strpbrk(s.net[i].name, "\"\\/\n"));
	json_object_put(stats_json__data(&s, &host));
	agent_stats__free(&s);
}

static void check_other(uint8_t which, struct json_object *o)
{
	struct err *err = NULL;
	char *process = NULL, device[64];
	int64_t major = -1, minor = -1;
	int status = -1;

	switch (which % 4) {
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
	case 3:
		check_stats(o);
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
