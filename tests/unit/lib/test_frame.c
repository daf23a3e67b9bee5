/* Agent protocol framing: round trips, the incremental decoder, malformed input of all kinds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/wire/frame.h"
#include "tests/unit/tap.h"

/* Builds header + body by hand so tests can lie about the length. */
static size_t make_frame(unsigned char *out, uint32_t len, const char *body, size_t body_len)
{
	out[0] = len >> 24;
	out[1] = len >> 16;
	out[2] = len >> 8;
	out[3] = len;
	memcpy(out + 4, body, body_len);
	return 4 + body_len;
}

/* Feeds a whole buffer; returns the decoder's verdict for it and the error text. */
static int feed_all(const void *buf, size_t len, char *why, size_t why_len)
{
	struct frame_decoder d;
	struct json_object *o = NULL;
	struct err *err = NULL;
	size_t used = 0;
	int ret;

	frame_decoder__init(&d);
	ret = frame_decoder__feed(&d, buf, len, &used, &o, &err);
	snprintf(why, why_len, "%s", err ? err->msg : "");
	json_object_put(o);
	err_free(&err);
	frame_decoder__free(&d);
	return ret;
}

static void body_error(const char *name, const char *body, size_t body_len, const char *want)
{
	unsigned char buf[256];
	char why[256];
	size_t n = make_frame(buf, body_len, body, body_len);
	int ret = feed_all(buf, n, why, sizeof(why));

	CHECK(ret < 0 && strstr(why, want), "%s: rejected (%s)", name, why);
}

static void test_round_trip(void)
{
	struct json_object *o = json_object_new_object(), *back = NULL;
	struct frame_decoder d;
	struct err *err = NULL;
	char *buf = NULL;
	size_t len = 0, used = 0;
	const char *op;
	int ret = 0;

	json_object_object_add(o, "op", json_object_new_string("version"));
	CHECK(frame__encode(o, &buf, &len, &err) == 0, "encode");
	CHECK(len == 4 + 16 && buf[0] == 0 && buf[3] == 16 &&
		      !memcmp(buf + 4, "{\"op\":\"version\"}", 16),
	      "big-endian length then the JSON");

	/* One byte at a time: the decoder needs exactly the frame, no more. */
	frame_decoder__init(&d);
	CHECK(frame_decoder__idle(&d) && frame_decoder__want(&d) == 4, "fresh decoder wants 4");
	for (size_t i = 0; i < len && ret == 0; i++) {
		ret = frame_decoder__feed(&d, buf + i, 1, &used, &back, &err);
		if (i == 3)
			CHECK(frame_decoder__want(&d) == 16 && !frame_decoder__idle(&d),
			      "after the header it wants the body");
	}
	op = back ? json_object_get_string(json_object_object_get(back, "op")) : NULL;
	CHECK(ret == 1 && op && !strcmp(op, "version"), "byte-by-byte decode");
	CHECK(frame_decoder__idle(&d), "idle after a frame");
	json_object_put(back);
	frame_decoder__free(&d);
	json_object_put(o);
	free(buf);
}

static void test_two_frames(void)
{
	unsigned char buf[64];
	struct frame_decoder d;
	struct json_object *o = NULL;
	struct err *err = NULL;
	size_t n, used;
	int ret;

	n = make_frame(buf, 8, "{\"a\":1} ", 8);
	n += make_frame(buf + n, 7, "{\"b\":2}", 7);
	frame_decoder__init(&d);
	ret = frame_decoder__feed(&d, buf, n, &used, &o, &err);
	CHECK(ret == 1 && used == 12 && json_object_object_get(o, "a"),
	      "stops after the first frame (used %zu)", used);
	json_object_put(o);
	ret = frame_decoder__feed(&d, buf + used, n - used, &used, &o, &err);
	CHECK(ret == 1 && used == 11 && json_object_object_get(o, "b"), "then the second");
	json_object_put(o);
	ret = frame_decoder__feed(&d, buf, 2, &used, &o, &err);
	CHECK(ret == 0 && used == 2 && !o && !frame_decoder__idle(&d), "a partial header waits");
	frame_decoder__free(&d);
}

static void test_bad_lengths(void)
{
	unsigned char buf[16];
	char why[256];

	make_frame(buf, 0, "", 0);
	CHECK(feed_all(buf, 4, why, sizeof(why)) < 0 && strstr(why, "length 0 out of range"),
	      "length 0 rejected (%s)", why);
	make_frame(buf, FRAME_MAX + 1, "", 0);
	CHECK(feed_all(buf, 4, why, sizeof(why)) < 0 && strstr(why, "out of range"),
	      "length FRAME_MAX+1 rejected before any body arrives (%s)", why);
	make_frame(buf, 0xffffffff, "", 0);
	CHECK(feed_all(buf, 4, why, sizeof(why)) < 0, "length 4 GiB rejected");
	CHECK(feed_all("GET / HTTP/1.1\r\n\r\n", 18, why, sizeof(why)) < 0,
	      "text garbage is a huge length (%s)", why);
}

static void test_max_frame(void)
{
	size_t len = FRAME_MAX;
	unsigned char *buf = malloc(4 + len);
	char why[256];

	memset(buf + 4, ' ', len);
	memcpy(buf + 4, "{\"s\":\"", 6);
	memset(buf + 10, 'x', len - 20);
	memcpy(buf + 10 + len - 20, "\"}", 2);
	make_frame(buf, len, "", 0);
	CHECK(feed_all(buf, 4 + len, why, sizeof(why)) == 1, "a frame of exactly FRAME_MAX (%s)",
	      why);
	free(buf);
}

static void test_bad_bodies(void)
{
	char deep[200];

	body_error("not JSON", "hello", 5, "invalid JSON");
	body_error("array", "[1,2]", 5, "not a JSON object");
	body_error("number", "42", 2, "not a JSON object");
	body_error("string", "\"op\"", 4, "not a JSON object");
	body_error("null", "null", 4, "not a JSON object");
	body_error("truncated object", "{\"a\":", 5, "unexpected end of data");
	body_error("trailing garbage", "{}x", 3, "invalid JSON");
	body_error("two objects", "{}{}", 4, "invalid JSON");
	body_error("embedded NUL", "{}\0 ", 4, "trailing data");
	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	body_error("nesting beyond the depth limit", deep, sizeof(deep), "JSON");
	body_error("invalid UTF-8 in a string", "{\"a\":\"\xff\xfe\"}", 10, "invalid JSON");
}

/* A valid request with a few random bytes changed: any verdict, never a crash or a leak. */
static void test_mutations(void)
{
	static const char req[] =
		"{\"v\":1,\"id\":3,\"op\":\"create\",\"args\":[\"sh\",\"-c\",\"x\"],"
		"\"env\":[\"A=b\"],\"rlimits\":[{\"soft\":1,\"hard\":2}]}";
	unsigned char buf[4 + sizeof(req)];
	size_t len = sizeof(req) - 1;
	char why[256];
	int fails = 0, ok = 0;

	srand(1);
	for (int i = 0; i < 20000; i++) {
		make_frame(buf, len, req, len);
		for (int k = 1 + rand() % 3; k > 0; k--)
			buf[4 + rand() % len] = rand() % 256;
		if (feed_all(buf, 4 + len, why, sizeof(why)) < 0)
			fails++;
		else
			ok++;
	}
	CHECK(fails + ok == 20000 && fails && ok,
	      "20000 mutated requests: %d decoded, %d rejected", ok, fails);
}

static void test_blocking_io(void)
{
	struct json_object *o = json_object_new_object(), *back = NULL;
	struct err *err = NULL;
	unsigned char bad[8];
	char raw[8] = { 0 };
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	json_object_object_add(o, "id", json_object_new_int(7));
	CHECK(frame__write(sv[0], o, &err) == 0, "frame__write");
	CHECK(write(sv[0], "raw", 3) == 3, "raw bytes after the frame");
	CHECK(frame__read(sv[1], &back, &err) == 1 &&
		      json_object_get_int(json_object_object_get(back, "id")) == 7,
	      "frame__read");
	CHECK(read(sv[1], raw, sizeof(raw)) == 3 && !strcmp(raw, "raw"),
	      "frame__read leaves the bytes after the frame");
	json_object_put(back);

	make_frame(bad, 100, "{}", 2);
	CHECK(write(sv[0], bad, 6) == 6, "a short frame");
	close(sv[0]);
	CHECK(frame__read(sv[1], &back, &err) < 0 && err &&
		      strstr(err->msg, "inside a 100-byte frame"),
	      "EOF inside a frame is an error (%s)", err ? err->msg : "");
	err_free(&err);
	CHECK(frame__read(sv[1], &back, &err) == 0 && !back, "EOF between frames is 0");
	close(sv[1]);

	json_object_put(o);
	o = json_object_new_array();
	CHECK(frame__write(1, o, &err) < 0 && err, "frame__write refuses a non-object");
	err_free(&err);
	json_object_put(o);
}

int main(void)
{
	test_round_trip();
	test_two_frames();
	test_bad_lengths();
	test_max_frame();
	test_bad_bodies();
	test_mutations();
	test_blocking_io();
	return tap_done();
}
