/*
 * The stats op's reply decoding against a hostile guest (wrong types, negative or huge numbers,
 * missing members, oversized lists, bad names: each refused with a message naming the field),
 * runc's stats shape built from a good reply, and events' --interval durations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "runtime/agent/client.h"
#include "runtime/container/events.h"
#include "runtime/container/stats_json.h"
#include "tests/unit/tap.h"

#define CPU "\"cpu\":{\"usage_usec\":2000,\"user_usec\":1500,\"system_usec\":500," \
	"\"nr_periods\":3,\"nr_throttled\":1,\"throttled_usec\":7}"
#define EVENTS "\"events\":{\"low\":0,\"high\":0,\"max\":4,\"oom\":1,\"oom_kill\":1}"
#define MEMORY "\"memory\":{\"current\":1048576,\"max\":-1," EVENTS \
	",\"stat\":{\"anon\":4096,\"file\":8192}}"
#define PIDS "\"pids\":{\"current\":2,\"max\":100}"
#define IO "\"io\":[{\"major\":254,\"minor\":0,\"rbytes\":10,\"wbytes\":20,\"rios\":1,\"wios\":2}]"
#define NET "\"net\":[{\"name\":\"eth0\",\"rx_bytes\":1,\"rx_packets\":2,\"rx_errors\":0," \
	"\"rx_dropped\":0,\"tx_bytes\":3,\"tx_packets\":4,\"tx_errors\":0,\"tx_dropped\":0}]"
#define GOOD "{" CPU "," MEMORY "," PIDS "," IO "," NET "}"

/* Decodes text; 0 or -1, with the error's message copied into msg. */
static int decode(const char *text, struct agent_stats *s, char *msg, size_t size)
{
	struct json_object *o = json_tokener_parse(text);
	struct err *err = NULL;
	int ret;

	*msg = 0;
	if (!o) {
		snprintf(msg, size, "(test: not JSON)");
		return -2;
	}
	ret = agent_reply__stats(o, s, &err);
	if (err)
		snprintf(msg, size, "%s", err->msg);
	err_free(&err);
	json_object_put(o);
	return ret;
}

/* A hostile reply is refused, with every pointer left NULL, naming want in its message. */
static void refused(const char *text, const char *want)
{
	struct agent_stats s;
	char msg[512];
	int ret = decode(text, &s, msg, sizeof(msg));

	CHECK(ret == -1 && strstr(msg, want) && !s.memory_stat && !s.io && !s.net,
	      "refused %.60s: %s", text, msg);
}

static void good_reply(void)
{
	struct agent_stats s;
	char msg[512];

	CHECK(decode(GOOD, &s, msg, sizeof(msg)) == 0, "a full reply decodes (%s)", msg);
	CHECK(s.has_cpu && s.cpu.usage_usec == 2000 && s.cpu.throttled_usec == 7, "cpu");
	CHECK(s.has_memory && s.memory.current == 1048576 && s.memory.max == -1 &&
		      s.memory.oom_kill == 1 && s.memory.max_events == 4,
	      "memory, its limit -1 for max, and its events");
	CHECK(s.n_memory_stat == 2 && !strcmp(s.memory_stat[1].key, "file") &&
		      s.memory_stat[1].value == 8192,
	      "memory.stat's lines");
	CHECK(s.has_pids && s.pids.current == 2 && s.pids.max == 100, "pids");
	CHECK(s.has_io && s.n_io == 1 && s.io[0].major == 254 && s.io[0].wbytes == 20, "io");
	CHECK(s.has_net && s.n_net == 1 && !strcmp(s.net[0].name, "eth0") && s.net[0].tx_packets == 4,
	      "net");
	CHECK(!s.has_swap, "swap left out is absent, not zero");
	agent_stats__free(&s);

	CHECK(decode("{}", &s, msg, sizeof(msg)) == 0 && !s.has_cpu && !s.has_memory &&
		      !s.has_pids && !s.has_io && !s.has_net,
	      "a guest without cgroups answers {}: every group absent");
	agent_stats__free(&s);
}

static void hostile_replies(void)
{
	refused("[]", "want an object");
	refused("\"stats\"", "want an object");
	refused("{\"cpu\":[]}", "field \"cpu\" is an array, want an object");
	refused("{\"cpu\":{\"usage_usec\":1}}", "stats (cpu): field \"user_usec\" is missing");
	refused("{" CPU ",\"pids\":{\"current\":-1,\"max\":1}}", "field \"current\" is -1");
	refused("{\"pids\":{\"current\":1,\"max\":-2}}", "field \"max\" is -2");
	refused("{\"pids\":{\"current\":\"1\",\"max\":1}}", "field \"current\" is a string");
	refused("{\"pids\":{\"current\":1.5,\"max\":1}}", "field \"current\" is a number");
	refused("{\"pids\":{\"current\":true,\"max\":1}}", "field \"current\" is a boolean");
	refused("{\"pids\":{\"current\":18446744073709551615,\"max\":1}}",
		"field \"current\" is 18446744073709551615");
	refused("{\"memory\":{\"current\":1,\"max\":1}}", "field \"events\" is missing");
	refused("{\"memory\":{\"current\":1,\"max\":1," EVENTS "}}", "field \"stat\" is missing");
	refused("{\"memory\":{\"current\":1,\"max\":1,\"events\":{\"low\":0,\"high\":0,\"max\":0,"
		"\"oom\":0},\"stat\":{}}}",
		"stats (memory.events): field \"oom_kill\" is missing");
	refused("{\"memory\":{\"current\":1,\"max\":1," EVENTS ",\"stat\":{\"a\":-5}}}",
		"stats (memory.stat): field \"a\" is -5");
	refused("{\"memory\":{\"current\":1,\"max\":1," EVENTS ",\"stat\":{\"A/b\":5}}}",
		"a key is not");
	refused("{\"memory\":{\"current\":1,\"max\":1," EVENTS ",\"stat\":{\"\":5}}}",
		"a key is not");
	refused("{\"io\":{}}", "field \"io\" is an object, want an array");
	refused("{\"io\":[1]}", "io[0] is an integer, want an object");
	refused("{\"io\":[{\"major\":1}]}", "stats (io[0]): field \"minor\" is missing");
	refused("{\"net\":[{\"rx_bytes\":1}]}", "stats (net[0]): field \"name\" is missing");
	refused("{\"net\":[{\"name\":\"\"}]}", "field \"name\" has 0 bytes");
	refused("{\"net\":[{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}",
		"field \"name\" has 36 bytes");
	refused("{\"net\":[{\"name\":\"a\\u0000b\"}]}", "holds a NUL byte");
	refused("{\"net\":[{\"name\":\"eth0\\n{\"}]}", "is not an interface name");
	refused("{\"net\":[{\"name\":\"../x\"}]}", "is not an interface name");
}

/* A list longer than the decoder takes is refused before anything is allocated for it. */
static void oversized_lists(void)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct agent_stats s;
	struct err *err = NULL;

	for (int i = 0; i < 100000; i++)
		json_object_array_add(a, json_object_new_int(i));
	json_object_object_add(o, "io", a);
	CHECK(agent_reply__stats(o, &s, &err) < 0 && err && strstr(err->msg, "lists 100000") &&
		      !s.io,
	      "an io list of 100000 is refused: %s", err ? err->msg : "(none)");
	err_free(&err);
	json_object_put(o);
}

static const char *path_string(struct json_object *o, const char *a, const char *b,
			       const char *c)
{
	struct json_object *v = o;

	if (a && !json_object_object_get_ex(v, a, &v))
		return "(none)";
	if (b && !json_object_object_get_ex(v, b, &v))
		return "(none)";
	if (c && !json_object_object_get_ex(v, c, &v))
		return "(none)";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void runc_shape(void)
{
	struct host_stats host = { .has_memory = true, .memory_current = 555 };
	struct agent_stats s;
	struct json_object *d;
	char msg[512];

	if (decode(GOOD, &s, msg, sizeof(msg)) < 0) {
		CHECK(0, "decode for the shape: %s", msg);
		return;
	}
	d = stats_json__data(&s, &host);
	CHECK(!strcmp(path_string(d, "cpu", "usage", "total"), "2000000"),
	      "cpu.usage.total in ns: %s", path_string(d, "cpu", "usage", "total"));
	CHECK(!strcmp(path_string(d, "cpu", "throttling", "throttled_time"), "7000"),
	      "cpu.throttling.throttled_time in ns");
	CHECK(!strcmp(path_string(d, "memory", "usage", "usage"), "1048576"),
	      "memory.usage.usage");
	CHECK(!strcmp(path_string(d, "memory", "usage", "limit"), "18446744073709551615"),
	      "memory.usage.limit for max is runc's largest uint64: %s",
	      path_string(d, "memory", "usage", "limit"));
	CHECK(!strcmp(path_string(d, "memory", "usage", "failcnt"), "4"), "failcnt from events");
	CHECK(!strcmp(path_string(d, "memory", "raw", "file"), "8192") &&
		      !strcmp(path_string(d, "memory", "cache", NULL), "8192"),
	      "memory.raw and memory.cache");
	CHECK(!strcmp(path_string(d, "pids", "current", NULL), "2") &&
		      !strcmp(path_string(d, "pids", "limit", NULL), "100"),
	      "pids");
	CHECK(strstr(path_string(d, "blkio", "ioServiceBytesRecursive", NULL),
		     "{\"major\":254,\"minor\":0,\"op\":\"Write\",\"value\":20}") != NULL,
	      "blkio: %s", path_string(d, "blkio", "ioServiceBytesRecursive", NULL));
	CHECK(strstr(path_string(d, "network_interfaces", NULL, NULL), "\"name\":\"eth0\"") != NULL,
	      "network_interfaces");
	CHECK(!strcmp(path_string(d, "kage", "host", "memory_current"), "555") &&
		      !strcmp(path_string(d, "kage", "host", "cpu_usage_usec"), "(none)") &&
		      !strcmp(path_string(d, "kage", "guest", NULL), "true"),
	      "kage.host has what the host cgroup had, nothing more");
	json_object_put(d);
	agent_stats__free(&s);

	host = (struct host_stats){ 0 };
	d = stats_json__data(NULL, &host);
	CHECK(!strcmp(path_string(d, "kage", "guest", NULL), "false") &&
		      !strcmp(path_string(d, "cpu", NULL, NULL), "{}"),
	      "a paused VM: the guest's groups empty, and said so");
	json_object_put(d);
}

static void intervals(void)
{
	static const struct {
		const char *s;
		long long ms;	/* -1: refused */
	} cases[] = {
		{ "5s", 5000 },	     { "500ms", 500 },	  { "1m", 60000 },   { "1m30s", 90000 },
		{ "1.5s", 1500 },    { "2h", 7200000 },	  { "1000us", 1 },   { "1000\xc2\xb5s", 1 }, { "\xc2\xb5s", -1 },
		{ "", -1 },	     { "5", -1 },	  { "s", -1 },	     { "5x", -1 },
		{ "-1s", -1 },	     { "1e3s", -1 },	  { "0x10s", -1 },   { "1..5s", -1 },
		{ "0s", -1 },	     { "100us", -1 },	  { "25h", -1 },     { "inf", -1 },
		{ "5s ", -1 },	     { "1000000000000000000000h", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err *err = NULL;
		long long ms = -7;
		int ret = events__parse_interval(cases[i].s, &ms, &err);

		if (cases[i].ms < 0)
			CHECK(ret < 0 && err && strstr(err->msg, "--interval") && ms == -7,
			      "--interval '%s' refused: %s", cases[i].s, err ? err->msg : "(none)");
		else
			CHECK(ret == 0 && ms == cases[i].ms, "--interval '%s' is %lld ms (got %lld)",
			      cases[i].s, cases[i].ms, ms);
		err_free(&err);
	}
}

int main(void)
{
	good_reply();
	hostile_replies();
	oversized_lists();
	runc_shape();
	intervals();
	printf("1..%d\n", tap_n);
	return tap_done();
}
