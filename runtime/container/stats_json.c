/* runc's stats shape from kage's figures (see stats_json.h). */
#include "stats_json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../agent/client.h"

/* runc reports an unlimited limit as the largest uint64, as cgroup v1 did. */
#define NO_LIMIT UINT64_MAX

static uint64_t limit(int64_t v)
{
	return v < 0 ? NO_LIMIT : (uint64_t)v;
}

static void put(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static struct json_object *object_in(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_new_object();

	json_object_object_add(o, key, v);
	return v;
}

/* cgroup v2 counts microseconds, runc's shape nanoseconds. */
static void cpu(struct json_object *data, const struct agent_stats *s)
{
	struct json_object *c = object_in(data, "cpu"), *u, *t;

	if (!s->has_cpu)
		return;
	u = object_in(c, "usage");
	put(u, "total", (uint64_t)s->cpu.usage_usec * 1000);
	put(u, "kernel", (uint64_t)s->cpu.system_usec * 1000);
	put(u, "user", (uint64_t)s->cpu.user_usec * 1000);
	t = object_in(c, "throttling");
	put(t, "periods", (uint64_t)s->cpu.nr_periods);
	put(t, "throttled_periods", (uint64_t)s->cpu.nr_throttled);
	put(t, "throttled_time", (uint64_t)s->cpu.throttled_usec * 1000);
}

static int64_t memory_stat(const struct agent_stats *s, const char *key)
{
	for (size_t i = 0; i < s->n_memory_stat; i++)
		if (!strcmp(s->memory_stat[i].key, key))
			return s->memory_stat[i].value;
	return 0;
}

/* As runc on cgroup v2: failcnt counts memory.events' "max", swap is memory plus swap. */
static void memory(struct json_object *data, const struct agent_stats *s)
{
	struct json_object *m = object_in(data, "memory"), *u, *w, *raw;

	if (!s->has_memory)
		return;
	put(m, "cache", (uint64_t)memory_stat(s, "file"));
	u = object_in(m, "usage");
	put(u, "usage", (uint64_t)s->memory.current);
	put(u, "limit", limit(s->memory.max));
	put(u, "failcnt", (uint64_t)s->memory.max_events);
	if (s->has_swap) {
		w = object_in(m, "swap");
		put(w, "usage", (uint64_t)s->memory.current + (uint64_t)s->swap.current);
		put(w, "limit", s->memory.max < 0 || s->swap.max < 0 ?
					NO_LIMIT :
					(uint64_t)s->memory.max + (uint64_t)s->swap.max);
	}
	raw = object_in(m, "raw");
	for (size_t i = 0; i < s->n_memory_stat; i++)
		put(raw, s->memory_stat[i].key, (uint64_t)s->memory_stat[i].value);
}

static void pids(struct json_object *data, const struct agent_stats *s)
{
	struct json_object *p = object_in(data, "pids");

	if (!s->has_pids)
		return;
	put(p, "current", (uint64_t)s->pids.current);
	put(p, "limit", limit(s->pids.max));
}

static void blkio_entry(struct json_object *list, const struct agent_io_stat *d, const char *op,
			int64_t value)
{
	struct json_object *e = json_object_new_object();

	put(e, "major", (uint64_t)d->major);
	put(e, "minor", (uint64_t)d->minor);
	json_object_object_add(e, "op", json_object_new_string(op));
	put(e, "value", (uint64_t)value);
	json_object_array_add(list, e);
}

static void blkio(struct json_object *data, const struct agent_stats *s)
{
	struct json_object *b = object_in(data, "blkio"), *bytes, *ios;

	if (!s->has_io)
		return;
	bytes = json_object_new_array();
	ios = json_object_new_array();
	for (size_t i = 0; i < s->n_io; i++) {
		blkio_entry(bytes, &s->io[i], "Read", s->io[i].rbytes);
		blkio_entry(bytes, &s->io[i], "Write", s->io[i].wbytes);
		blkio_entry(ios, &s->io[i], "Read", s->io[i].rios);
		blkio_entry(ios, &s->io[i], "Write", s->io[i].wios);
	}
	json_object_object_add(b, "ioServiceBytesRecursive", bytes);
	json_object_object_add(b, "ioServicedRecursive", ios);
}

static void network(struct json_object *data, const struct agent_stats *s)
{
	struct json_object *a;

	if (!s->has_net)
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < s->n_net; i++) {
		const struct agent_net_stat *n = &s->net[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(n->name));
		put(e, "rx_bytes", (uint64_t)n->rx_bytes);
		put(e, "rx_packets", (uint64_t)n->rx_packets);
		put(e, "rx_errors", (uint64_t)n->rx_errors);
		put(e, "rx_dropped", (uint64_t)n->rx_dropped);
		put(e, "tx_bytes", (uint64_t)n->tx_bytes);
		put(e, "tx_packets", (uint64_t)n->tx_packets);
		put(e, "tx_errors", (uint64_t)n->tx_errors);
		put(e, "tx_dropped", (uint64_t)n->tx_dropped);
		json_object_array_add(a, e);
	}
	json_object_object_add(data, "network_interfaces", a);
}

struct json_object *stats_json__data(const struct agent_stats *guest, const struct host_stats *host)
{
	struct json_object *data = json_object_new_object(), *k, *h;
	static const struct agent_stats none;
	const struct agent_stats *s = guest ? guest : &none;

	cpu(data, s);
	memory(data, s);
	pids(data, s);
	blkio(data, s);
	network(data, s);
	k = object_in(data, "kage");
	/* Said outright: empty groups alone would read as a container that uses nothing. */
	json_object_object_add(k, "guest", json_object_new_boolean(guest != NULL));
	h = object_in(k, "host");
	if (host->has_memory)
		put(h, "memory_current", (uint64_t)host->memory_current);
	if (host->has_cpu)
		put(h, "cpu_usage_usec", (uint64_t)host->cpu_usage_usec);
	return data;
}

/* The first number of a file under dir, or of its line "key N" when key is given. */
static bool read_number(int dir, const char *file, const char *key, int64_t *out)
{
	_cleanup_close_ int fd = openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[4096];
	ssize_t n = fd < 0 ? -1 : io__read_all(fd, buf, sizeof(buf) - 1);
	const char *p = buf;
	char *end;
	long long v;

	if (n <= 0)
		return false;
	buf[n] = 0;
	if (key) {
		size_t len = strlen(key);

		for (p = buf; p && (strncmp(p, key, len) || p[len] != ' ');
		     p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			;
		if (!p)
			return false;
		p += len + 1;
	}
	v = strtoll(p, &end, 10);
	if (end == p || v < 0)
		return false;
	*out = v;
	return true;
}

void host_stats__read(const char *dir, struct host_stats *out)
{
	_cleanup_close_ int fd = -1;

	memset(out, 0, sizeof(*out));
	if (!dir || !*dir)
		return;
	fd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	out->has_memory = read_number(fd, "memory.current", NULL, &out->memory_current);
	out->has_cpu = read_number(fd, "cpu.stat", "usage_usec", &out->cpu_usage_usec);
}
