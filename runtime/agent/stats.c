/*
 * The stats op's request and the strict decoding of its reply (see client.h): the guest may
 * send any shape, so each group is checked to be an object, each figure an integer in range,
 * each list and name bounded, before anything is copied out.
 */
#include "client.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/wire/json.h"

/* What a reply may list: the agent sends at most 64 disks and interfaces, 128 stat lines. */
#define STATS_LIST_MAX 256

struct field {
	const char *name;
	size_t off;
	int64_t min;	/* 0 for a counter, -1 for a limit ("max" is -1) */
};

#define F(type, member, json, min) { json, offsetof(type, member), min }

static const struct field cpu_fields[] = {
	F(struct agent_stats, cpu.usage_usec, "usage_usec", 0),
	F(struct agent_stats, cpu.user_usec, "user_usec", 0),
	F(struct agent_stats, cpu.system_usec, "system_usec", 0),
	F(struct agent_stats, cpu.nr_periods, "nr_periods", 0),
	F(struct agent_stats, cpu.nr_throttled, "nr_throttled", 0),
	F(struct agent_stats, cpu.throttled_usec, "throttled_usec", 0),
};
static const struct field memory_fields[] = {
	F(struct agent_stats, memory.current, "current", 0),
	F(struct agent_stats, memory.max, "max", -1),
};
static const struct field event_fields[] = {
	F(struct agent_stats, memory.low, "low", 0),
	F(struct agent_stats, memory.high, "high", 0),
	F(struct agent_stats, memory.max_events, "max", 0),
	F(struct agent_stats, memory.oom, "oom", 0),
	F(struct agent_stats, memory.oom_kill, "oom_kill", 0),
};
static const struct field swap_fields[] = {
	F(struct agent_stats, swap.current, "current", 0),
	F(struct agent_stats, swap.max, "max", -1),
};
static const struct field pids_fields[] = {
	F(struct agent_stats, pids.current, "current", 0),
	F(struct agent_stats, pids.max, "max", -1),
};
static const struct field io_fields[] = {
	F(struct agent_io_stat, major, "major", 0),   F(struct agent_io_stat, minor, "minor", 0),
	F(struct agent_io_stat, rbytes, "rbytes", 0), F(struct agent_io_stat, wbytes, "wbytes", 0),
	F(struct agent_io_stat, rios, "rios", 0),     F(struct agent_io_stat, wios, "wios", 0),
};
static const struct field net_fields[] = {
	F(struct agent_net_stat, rx_bytes, "rx_bytes", 0),
	F(struct agent_net_stat, rx_packets, "rx_packets", 0),
	F(struct agent_net_stat, rx_errors, "rx_errors", 0),
	F(struct agent_net_stat, rx_dropped, "rx_dropped", 0),
	F(struct agent_net_stat, tx_bytes, "tx_bytes", 0),
	F(struct agent_net_stat, tx_packets, "tx_packets", 0),
	F(struct agent_net_stat, tx_errors, "tx_errors", 0),
	F(struct agent_net_stat, tx_dropped, "tx_dropped", 0),
};

static int fields(struct json_object *o, const char *op, const struct field *f, size_t n,
		  void *base, struct err **err)
{
	for (size_t i = 0; i < n; i++)
		if (reply__int(o, op, f[i].name, f[i].min, INT64_MAX,
			       (int64_t *)((char *)base + f[i].off), err) < 0)
			return -1;
	return 0;
}

/* The member key of o when it is there (*v NULL when not), checked to be of type want. */
static int optional(struct json_object *o, const char *op, const char *key, enum json_type want,
		    struct json_object **v, struct err **err)
{
	*v = NULL;
	if (!json_object_is_type(o, json_type_object))
		return err_msg(err, "the guest agent's reply to %s: it is %s, want an object", op,
			       json__type_name(o));
	if (!json_object_object_get_ex(o, key, v))
		return 0;
	if (!json_object_is_type(*v, want))
		return err_msg(err, "the guest agent's reply to %s: field \"%s\" is %s, want %s",
			       op, key, json__type_name(*v),
			       want == json_type_array ? "an array" : "an object");
	return 0;
}

/* An optional group of integers: *has says whether the guest sent it. */
static int group(struct json_object *resp, const char *key, const struct field *f, size_t n,
		 struct agent_stats *out, bool *has, struct err **err)
{
	struct json_object *g;
	char op[32];

	if (optional(resp, "stats", key, json_type_object, &g, err) < 0)
		return -1;
	*has = g != NULL;
	snprintf(op, sizeof(op), "stats (%s)", key);
	return g ? fields(g, op, f, n, out, err) : 0;
}

/* memory.stat's lines: names as cgroup files spell them, values counters. */
static int memory_stat(struct json_object *mem, struct agent_stats *out, struct err **err)
{
	struct json_object *st;
	size_t i = 0;

	if (optional(mem, "stats (memory)", "stat", json_type_object, &st, err) < 0)
		return -1;
	if (!st)
		return err_msg(err, "the guest agent's reply to stats (memory): field \"stat\" "
			       "is missing");
	if ((size_t)json_object_object_length(st) > STATS_LIST_MAX)
		return err_msg(err, "the guest agent's reply to stats (memory): field \"stat\" "
			       "has %d members, want at most %d", json_object_object_length(st),
			       STATS_LIST_MAX);
	out->memory_stat = calloc(json_object_object_length(st) + 1, sizeof(*out->memory_stat));
	if (!out->memory_stat)
		return err_errno(err, "stats");
	json_object_object_foreach(st, key, v)
	{
		struct agent_stat_kv *kv = &out->memory_stat[i];

		(void)v;
		if (!*key || strlen(key) >= sizeof(kv->key) ||
		    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key))
			return err_msg(err, "the guest agent's reply to stats (memory.stat): a key "
				       "is not 1 to %zu of [a-z0-9_]", sizeof(kv->key) - 1);
		if (reply__int(st, "stats (memory.stat)", key, 0, INT64_MAX, &kv->value, err) < 0)
			return -1;
		strcpy(kv->key, key);
		out->n_memory_stat = ++i;
	}
	return 0;
}

static int memory(struct json_object *resp, struct agent_stats *out, struct err **err)
{
	struct json_object *mem, *ev;

	if (group(resp, "memory", memory_fields, ARRAY_SIZE(memory_fields), out, &out->has_memory,
		  err) < 0)
		return -1;
	if (!out->has_memory)
		return 0;
	mem = json_object_object_get(resp, "memory");
	if (optional(mem, "stats (memory)", "events", json_type_object, &ev, err) < 0)
		return -1;
	if (!ev)
		return err_msg(err, "the guest agent's reply to stats (memory): field \"events\" "
			       "is missing");
	if (fields(ev, "stats (memory.events)", event_fields, ARRAY_SIZE(event_fields), out,
		   err) < 0)
		return -1;
	return memory_stat(mem, out, err);
}

/* An optional list of objects, each decoded by one (its element and its slot). */
static int list(struct json_object *resp, const char *key, size_t elem_size, bool *has,
		void **items, size_t *n,
		int (*one)(struct json_object *e, const char *op, void *item, struct err **err),
		struct err **err)
{
	struct json_object *a;
	size_t len;

	if (optional(resp, "stats", key, json_type_array, &a, err) < 0)
		return -1;
	*has = a != NULL;
	if (!a)
		return 0;
	len = json_object_array_length(a);
	if (len > STATS_LIST_MAX)
		return err_msg(err, "the guest agent's reply to stats: field \"%s\" lists %zu, "
			       "want at most %d", key, len, STATS_LIST_MAX);
	*items = calloc(len + 1, elem_size);
	if (!*items)
		return err_errno(err, "stats");
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		char op[48];

		snprintf(op, sizeof(op), "stats (%s[%zu])", key, i);
		if (!json_object_is_type(e, json_type_object))
			return err_msg(err, "the guest agent's reply to stats: %s[%zu] is %s, want "
				       "an object", key, i, json__type_name(e));
		if (one(e, op, (char *)*items + i * elem_size, err) < 0)
			return -1;
		*n = i + 1;
	}
	return 0;
}

static int io_one(struct json_object *e, const char *op, void *item, struct err **err)
{
	return fields(e, op, io_fields, ARRAY_SIZE(io_fields), item, err);
}

static int net_one(struct json_object *e, const char *op, void *item, struct err **err)
{
	struct agent_net_stat *s = item;
	const char *name;

	if (reply__string(e, op, "name", sizeof(s->name) - 1, &name, err) < 0)
		return -1;
	/* an interface name never holds these (printed, they would only mislead) */
	if (strpbrk(name, "/: \"\\"))
		return err_msg(err, "the guest agent's reply to %s: field \"name\" is not an "
			       "interface name", op);
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			return err_msg(err, "the guest agent's reply to %s: field \"name\" is not "
				       "an interface name", op);
	strcpy(s->name, name);
	return fields(e, op, net_fields, ARRAY_SIZE(net_fields), item, err);
}

int agent_reply__stats(struct json_object *resp, struct agent_stats *out, struct err **err)
{
	memset(out, 0, sizeof(*out));
	if (group(resp, "cpu", cpu_fields, ARRAY_SIZE(cpu_fields), out, &out->has_cpu, err) < 0 ||
	    memory(resp, out, err) < 0 ||
	    group(resp, "swap", swap_fields, ARRAY_SIZE(swap_fields), out, &out->has_swap, err) < 0 ||
	    group(resp, "pids", pids_fields, ARRAY_SIZE(pids_fields), out, &out->has_pids, err) < 0 ||
	    list(resp, "io", sizeof(*out->io), &out->has_io, (void **)&out->io, &out->n_io, io_one,
		 err) < 0 ||
	    list(resp, "net", sizeof(*out->net), &out->has_net, (void **)&out->net, &out->n_net,
		 net_one, err) < 0) {
		agent_stats__free(out);
		return -1;
	}
	return 0;
}

void agent_stats__free(struct agent_stats *s)
{
	free(s->memory_stat);
	free(s->io);
	free(s->net);
	memset(s, 0, sizeof(*s));
}

int agent__stats(int fd, const char *process, struct agent_stats *out, struct err **err)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	json_object_object_add(req, AGENT_KEY_OP,
			       json_object_new_string(agent_op__name(AGENT_OP_STATS)));
	json_object_object_add(req, AGENT_KEY_PROCESS, json_object_new_string(process));
	ret = agent__request(fd, req, &resp, err);
	json_object_put(req);
	if (ret == 0)
		ret = agent_reply__stats(resp, out, err);
	json_object_put(resp);
	return ret;
}
