/* A container's resource figures for the stats op (see stats.h). */
#include "stats.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/io.h"

/* memory.stat has ~50 lines and io.stat one per disk; these bound what one reply holds. */
#define TEXT_MAX 16384
#define LIST_MAX 64

/* The whole of a small file under dir into buf, NUL-terminated; false when unreadable. */
static bool read_text(int dir, const char *file, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : io__read_all(fd, buf, size - 1);

	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

/* A decimal counter, "max" as -1; values past INT64_MAX are clamped to it. */
static bool parse_value(const char *s, int64_t *out)
{
	unsigned long long v;
	char *end;

	if (!strncmp(s, "max", 3)) {
		*out = -1;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	*out = v > INT64_MAX ? INT64_MAX : (int64_t)v;
	return true;
}

/* The value of a one-value file ("123\n" or "max\n"). */
static bool read_value(int dir, const char *file, int64_t *out)
{
	char buf[64];

	return read_text(dir, file, buf, sizeof(buf)) && parse_value(buf, out);
}

/* The value of key in a "key value" file's text, as flat-keyed cgroup files hold them. */
static bool key_value(const char *text, const char *key, int64_t *out)
{
	size_t len = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, len) && l[len] == ' ')
			return parse_value(l + len + 1, out);
	return false;
}

static void put(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* Each of keys from a flat-keyed file, 0 for one the kernel does not write (a controller
 * that is off has nothing to count); false when the file is unreadable. */
static bool put_keys(struct json_object *o, int dir, const char *file,
		     const char *const *keys, size_t n)
{
	char text[TEXT_MAX];
	int64_t v;

	if (!read_text(dir, file, text, sizeof(text)))
		return false;
	for (size_t i = 0; i < n; i++)
		put(o, keys[i], key_value(text, keys[i], &v) && v >= 0 ? v : 0);
	return true;
}

static struct json_object *cpu(int dir)
{
	static const char *const keys[] = { "usage_usec", "user_usec", "system_usec",
					    "nr_periods", "nr_throttled", "throttled_usec" };
	struct json_object *o = json_object_new_object();

	if (put_keys(o, dir, "cpu.stat", keys, ARRAY_SIZE(keys)))
		return o;
	json_object_put(o);
	return NULL;
}

/* memory.stat's every line, as runc's "raw". */
static struct json_object *memory_stat(int dir)
{
	struct json_object *o = json_object_new_object();
	char text[TEXT_MAX], key[64];
	size_t n = 0;

	if (!read_text(dir, "memory.stat", text, sizeof(text)))
		return o;
	for (char *l = text; *l && n < LIST_MAX * 2; n++) {
		char *nl = strchr(l, '\n');
		int64_t v;

		if (nl)
			*nl = 0;
		if (sscanf(l, "%63[a-z0-9_] ", key) == 1 && l[strlen(key)] == ' ' &&
		    parse_value(l + strlen(key) + 1, &v) && v >= 0)
			put(o, key, v);
		if (!nl)
			break;
		l = nl + 1;
	}
	return o;
}

static struct json_object *memory(int dir)
{
	static const char *const events[] = { "low", "high", "max", "oom", "oom_kill" };
	struct json_object *o = json_object_new_object(), *ev = json_object_new_object();
	int64_t current, max;

	if (!read_value(dir, "memory.current", &current) || !read_value(dir, "memory.max", &max) ||
	    !put_keys(ev, dir, "memory.events", events, ARRAY_SIZE(events))) {
		json_object_put(ev);
		json_object_put(o);
		return NULL;
	}
	put(o, "current", current < 0 ? 0 : current);
	put(o, "max", max);
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "stat", memory_stat(dir));
	return o;
}

/* A group of two one-value files: current and its limit. */
static struct json_object *current_max(int dir, const char *current_file, const char *max_file)
{
	struct json_object *o;
	int64_t current, max;

	if (!read_value(dir, current_file, &current) || !read_value(dir, max_file, &max))
		return NULL;
	o = json_object_new_object();
	put(o, "current", current < 0 ? 0 : current);
	put(o, "max", max);
	return o;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N", one line per disk. */
static struct json_object *io(int dir)
{
	struct json_object *a;
	char text[TEXT_MAX], *lines;
	size_t n = 0;

	if (!read_text(dir, "io.stat", text, sizeof(text)))
		return NULL;
	a = json_object_new_array();
	for (char *l = strtok_r(text, "\n", &lines); l && n < LIST_MAX;
	     l = strtok_r(NULL, "\n", &lines)) {
		unsigned int major, minor;
		unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
		char *f = strchr(l, ' ');
		struct json_object *o;

		if (sscanf(l, "%u:%u", &major, &minor) != 2 || !f)
			continue;
		/* the fields' order is the kernel's; take each by name */
		for (char *t = strtok_r(f, " ", &f); t; t = strtok_r(NULL, " ", &f)) {
			sscanf(t, "rbytes=%llu", &rb);
			sscanf(t, "wbytes=%llu", &wb);
			sscanf(t, "rios=%llu", &ri);
			sscanf(t, "wios=%llu", &wi);
		}
		o = json_object_new_object();
		put(o, "major", major);
		put(o, "minor", minor);
		put(o, "rbytes", rb > INT64_MAX ? INT64_MAX : (int64_t)rb);
		put(o, "wbytes", wb > INT64_MAX ? INT64_MAX : (int64_t)wb);
		put(o, "rios", ri > INT64_MAX ? INT64_MAX : (int64_t)ri);
		put(o, "wios", wi > INT64_MAX ? INT64_MAX : (int64_t)wi);
		json_object_array_add(a, o);
		n++;
	}
	return a;
}

/* The interfaces of pid's network namespace but lo, from /proc/<pid>/net/dev. */
static struct json_object *net(pid_t pid)
{
	static const char *const names[] = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
					     "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
	/* net/dev's columns: 8 receive, then 8 transmit; these are the ones runc reports */
	static const int column[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
	char path[64], line[512], name[32];
	_cleanup_fclose_ FILE *f = NULL;
	struct json_object *a;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	a = json_object_new_array();
	while (n < LIST_MAX && fgets(line, sizeof(line), f)) {
		unsigned long long v[16];
		char *colon = strchr(line, ':');
		struct json_object *o;

		/* the two header lines have no "name:" */
		if (!colon || sscanf(line, " %31[^:]", name) != 1 || !strcmp(name, "lo"))
			continue;
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			   "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 16)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			put(o, names[i], v[column[i]] > INT64_MAX ? INT64_MAX : (int64_t)v[column[i]]);
		json_object_array_add(a, o);
		n++;
	}
	return a;
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

struct json_object *stats__collect(const char *cgroup, pid_t pid)
{
	struct json_object *o = json_object_new_object();
	_cleanup_close_ int dir = *cgroup ? open(cgroup, O_DIRECTORY | O_PATH | O_CLOEXEC) : -1;

	if (dir >= 0) {
		add(o, "cpu", cpu(dir));
		add(o, "memory", memory(dir));
		add(o, "swap", current_max(dir, "memory.swap.current", "memory.swap.max"));
		add(o, "pids", current_max(dir, "pids.current", "pids.max"));
		add(o, "io", io(dir));
	}
	add(o, "net", net(pid));
	return o;
}
