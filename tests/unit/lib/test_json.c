/* lib/wire/json.c's strict, bounded parse and type names; lib/file.c's capped whole-file reads. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/wire/json.h"
#include "tests/unit/tap.h"

static const struct json_limits small = {
	.max_size = 64, .max_depth = 3, .max_containers = 4, .max_values = 8,
};
static const struct json_limits roomy = {
	.max_size = 1 << 20, .max_depth = 32, .max_containers = 1 << 16, .max_values = 1 << 16,
};

static char dir[] = "/tmp/kage-json-XXXXXX";

static bool msg_has(const struct err *err, const char *needle)
{
	return err && err->msg && strstr(err->msg, needle);
}

/* Parses len bytes of text under lim; the value, or NULL with the message in *err. */
static int parse(const char *text, size_t len, const struct json_limits *lim,
		 struct json_object **o, struct err **err)
{
	err_free(err);
	*o = NULL;
	return json__parse("t.json", text, len, lim, o, err);
}

/* text is refused under lim with a message that starts "t.json: " and holds want. */
static void refused(const char *what, const char *text, size_t len,
		    const struct json_limits *lim, const char *want)
{
	struct json_object *o = (struct json_object *)1;
	struct err *err = NULL;
	int ret = parse(text, len, lim, &o, &err);

	CHECK(ret < 0 && !o && msg_has(err, want) && !strncmp(err->msg, "t.json: ", 8),
	      "%s: %s", what, err ? err->msg : "accepted");
	err_free(&err);
}

static void test_accepts(void)
{
	static const char text[] = "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}ignored";
	struct json_object *o = NULL, *v;
	struct err *err = NULL;

	CHECK(parse(text, strlen(text) - strlen("ignored"), &small, &o, &err) == 0 &&
		      json_object_is_type(o, json_type_object),
	      "an object, read to len and no further: %s", err ? err->msg : "ok");
	CHECK(json_object_object_get_ex(o, "a", &v) && json_object_array_length(v) == 5,
	      "... with its members");
	json_object_put(o);
	CHECK(parse(" \n\t{}\r\n ", 8, &small, &o, &err) == 0 && o, "white space around it");
	json_object_put(o);
	CHECK(parse("5", 1, &small, &o, &err) == 0 && json_object_is_type(o, json_type_int) &&
		      json_object_get_int(o) == 5,
	      "a bare number is complete at the end of the text");
	json_object_put(o);
	CHECK(parse("\"s\"", 3, &small, &o, &err) == 0 && json_object_is_type(o, json_type_string),
	      "a bare string");
	json_object_put(o);
	CHECK(parse("null", 4, &small, &o, &err) == 0 && !o && !err,
	      "JSON null: success with no value");
	CHECK(parse("[[[]]]", 6, &small, &o, &err) == 0 && o, "nesting at the depth limit");
	json_object_put(o);
	err_free(&err);
}

static void test_refuses(void)
{
	static const char nul[] = "{\"a\":\n \"x\0y\"}";
	char big[66];

	memset(big, ' ', sizeof(big));
	memcpy(big, "{}", 2);
	refused("one byte past the size limit", big, 65, &small,
		"t.json: 65 bytes is larger than the 64-byte limit");
	refused("empty", "", 0, &small, "t.json: empty");
	refused("white space only", " \n ", 3, &small, "t.json: empty");
	refused("trailing garbage", "{}\n  x", 6, &small,
		"t.json: line 2, column 3: trailing data after the JSON object (not valid JSON)");
	refused("two objects", "{} {}", 5, &small, "line 1, column 4: trailing data");
	refused("a second value after a scalar", "1 2", 3, &small, "not valid JSON");
	refused("too deep", "[[[[]]]]", 8, &small,
		"t.json: not valid JSON at line 1, column 4: nesting too deep");
	refused("too many containers", "[[],[],[],[]]", 13, &small,
		"t.json: line 1, column 11: more than 4 objects and arrays in the JSON text");
	refused("too many values", "[1,2,3,4,5,6,7,8,9]", 19, &small,
		"line 1, column 17: more than 8 values in the JSON text");
	refused("raw NUL", nul, sizeof(nul) - 1, &small,
		"t.json: line 2, column 4: NUL byte (not valid JSON)");
	refused("escaped NUL in a key", "{\"a\\u0000b\": 1}", 15, &small,
		"line 1, column 4: strings must not contain NUL");
	refused("single quotes", "{'a': 1}", 8, &small,
		"line 1, column 2: strings take double quotes");
	refused("cut short", "{\"a\":\n[1,", 9, &small,
		"t.json: not valid JSON at line 2, column 4: unexpected end of data");
	refused("invalid UTF-8", "{\"a\": \"\xff\"}", 10, &small, "not valid JSON at line 1");
	refused("a trailing comma", "{\"a\": 1,}", 9, &small, "not valid JSON");
	refused("a comment", "{} // x", 7, &roomy, "trailing data");
}

static void test_type_names(void)
{
	struct json_object *v[] = {
		json_object_new_boolean(1), json_object_new_double(1.5), json_object_new_int(1),
		json_object_new_object(), json_object_new_array(), json_object_new_string("s"),
	};
	static const char *const want[] = {
		"a boolean", "a number with a fraction or exponent", "an integer", "an object",
		"an array", "a string",
	};

	CHECK(!strcmp(json__type_name(NULL), "null"), "NULL is JSON null");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK(!strcmp(json__type_name(v[i]), want[i]), "%s", want[i]);
		json_object_put(v[i]);
	}
}

/* Writes len bytes to dir/name and returns the path (static: one at a time). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		CHECK(0, "write %s", path);
	close(fd);
	return path;
}

static void test_read(void)
{
	char *text = NULL, big[101], path[512];
	struct err *err = NULL;
	size_t len = 1;
	const char *p;
	int fd;

	p = write_file("a.json", "{\"a\": 1}", 8);
	CHECK(file__read_at(AT_FDCWD, p, 100, &text, &len, &err) == 0 && len == 8 &&
		      !strcmp(text, "{\"a\": 1}"),
	      "a whole file, NUL-terminated: %s", err ? err->msg : "ok");
	free(text);
	text = NULL;

	p = write_file("empty.json", "", 0);
	CHECK(file__read_at(AT_FDCWD, p, 100, &text, &len, &err) == 0 && len == 0 && text &&
		      !text[0],
	      "an empty file is an empty text");
	free(text);
	text = NULL;

	memset(big, 'x', sizeof(big));
	p = write_file("limit.json", big, 100);
	CHECK(file__read_at(AT_FDCWD, p, 100, &text, &len, &err) == 0 && len == 100,
	      "a file of exactly the limit");
	free(text);
	text = NULL;
	p = write_file("big.json", big, 101);
	CHECK(file__read_at(AT_FDCWD, p, 100, &text, &len, &err) < 0 && !text &&
		      msg_has(err, "big.json: 101 bytes is larger than the 100-byte limit"),
	      "one byte past it is refused, naming the file and the limit: %s",
	      err ? err->msg : "read");
	err_free(&err);

	snprintf(path, sizeof(path), "%s/missing.json", dir);
	CHECK(file__read_at(AT_FDCWD, path, 100, &text, &len, &err) < 0 && err &&
		      err->errnum == ENOENT && msg_has(err, "open ") &&
		      msg_has(err, "missing.json: No such file"),
	      "a missing file: %s", err ? err->msg : "read");
	err_free(&err);

	CHECK(file__read_at(AT_FDCWD, dir, 100, &text, &len, &err) < 0 &&
		      msg_has(err, "not a regular file"),
	      "a directory: %s", err ? err->msg : "read");
	err_free(&err);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0, "mkfifo");
	CHECK(file__read_at(AT_FDCWD, path, 100, &text, &len, &err) < 0 &&
		      msg_has(err, "fifo: not a regular file"),
	      "a FIFO is refused, not waited on: %s", err ? err->msg : "read");
	err_free(&err);
	unlink(path);

	/* procfs sizes its files 0 and fills them when read: more than fstat() said */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && file__read_fd(fd, "status", 100, &text, &len, &err) < 0 &&
		      msg_has(err, "status: changed while being read"),
	      "a file that grows after fstat() is refused: %s", err ? err->msg : "read");
	err_free(&err);
	if (fd >= 0)
		close(fd);

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 && file__read_at(fd, "a.json", 100, &text, &len, &err) == 0 && len == 8,
	      "a path under a directory fd");
	free(text);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	static const char *const names[] = { "a.json", "empty.json", "limit.json", "big.json" };
	char path[512];

	test_accepts();
	test_refuses();
	test_type_names();
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return tap_done();
	}
	test_read();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
