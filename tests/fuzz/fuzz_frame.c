// sources: lib/wire/frame.c lib/err.c
// libs: -ljson-c
/*
 * The agent protocol's frame reader fed a hostile stream: the incremental decoder (the
 * agent's, fed in fuzzer-chosen chunk sizes) and the blocking reader (the host's, over a
 * pipe) must agree frame by frame, enforce the length limit before allocating, never consume
 * a byte past a frame, and hand out only JSON objects that re-encode within the limit.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/wire/frame.h"
#include "fuzz.h"

/* Whether stream[0..len) begins with a header whose length is in range. */
static int header_ok(const uint8_t *p, size_t len)
{
	uint32_t n;

	if (len < FRAME_HDR)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return n >= 1 && n <= FRAME_MAX;
}

static uint32_t header_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The same JSON. json-c takes NaN as a number (strict mode too), and NaN equals nothing, so
 * such values are compared by their text; a NaN where a request wants a number fails that
 * member's type check (an integer) in the agent and the host alike.
 */
static bool same(struct json_object *a, struct json_object *b)
{
	return json_object_equal(a, b) ||
	       !strcmp(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
		       json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
}

/* An accepted frame is an object that survives a round trip through the encoder. */
static void check_obj(struct json_object *o)
{
	struct json_object *again = NULL;
	struct err *err = NULL;
	char *buf = NULL;
	size_t len;

	ASSERT(o && json_object_is_type(o, json_type_object));
	ASSERT(frame__encode(o, &buf, &len, &err) == 0);
	ASSERT(len > FRAME_HDR && len - FRAME_HDR <= FRAME_MAX &&
	       header_len((uint8_t *)buf) == len - FRAME_HDR);
	ASSERT(frame__parse(buf + FRAME_HDR, len - FRAME_HDR, &again, &err) == 0);
	ASSERT(same(o, again));
	json_object_put(again);
	free(buf);
}

/*
 * Feeds the stream in chunks of `chunk` bytes. Returns how many frames the decoder took (res[i]
 * each one's object, ends[i] where it ended) and, through *bad, whether it stopped on an error.
 */
static unsigned int decode(const uint8_t *s, size_t len, size_t chunk, struct json_object **res,
			   unsigned int max, int *bad, size_t *ends)
{
	struct frame_decoder d;
	struct err *err = NULL;
	unsigned int n = 0;
	size_t off = 0, frame_start = 0;

	frame_decoder__init(&d);
	*bad = 0;
	while (off < len && n < max) {
		size_t give = chunk < len - off ? chunk : len - off, used = 0;
		struct json_object *o = NULL;
		int r;

		r = frame_decoder__feed(&d, s + off, give, &used, &o, &err);
		ASSERT(used <= give);
		ASSERT(d.body_len <= FRAME_MAX);
		if (r < 0) {
			ASSERT(!o && err && err->msg);
			err_free(&err);
			*bad = 1;
			break;
		}
		off += used;
		if (r == 0) {
			ASSERT(used == give && !o);
			continue;
		}
		/* A frame ends exactly at its header's length: no byte beyond it was taken. */
		ASSERT(r == 1 && o);
		ASSERT(off - frame_start == FRAME_HDR + header_len(s + frame_start));
		ASSERT(frame_decoder__idle(&d));
		ends[n] = off;
		res[n++] = o;
		frame_start = off;
	}
	frame_decoder__free(&d);
	return n;
}

#define MAX_FRAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *dec[MAX_FRAMES] = { 0 };
	size_t ends[MAX_FRAMES];
	struct err *err = NULL;
	unsigned int n, i;
	int bad, fds[2];
	size_t chunk;

	if (size < 1)
		return 0;
	/* Byte 0: the decoder's chunk size (1..32, or everything at once); then the stream. */
	chunk = data[0] & 0x20 ? SIZE_MAX : (size_t)(data[0] & 0x1f) + 1;
	data++;
	size--;
	n = decode(data, size, chunk, dec, MAX_FRAMES, &bad, ends);

	/* The host's blocking reader over a pipe must see the same frames. */
	if (pipe2(fds, O_CLOEXEC) < 0)
		abort();
	/* Inputs are far below a pipe's 64 KiB, so one write never blocks. */
	if (size > 60000 || write(fds[1], data, size) != (ssize_t)size)
		goto out;
	close(fds[1]);
	fds[1] = -1;
	for (i = 0; i <= n && i < MAX_FRAMES; i++) {
		struct json_object *o = NULL;
		size_t start = i ? ends[i - 1] : 0;
		int r = frame__read(fds[0], &o, &err);

		if (i < n) {
			ASSERT(r == 1 && same(o, dec[i]));
			check_obj(o);
			json_object_put(o);
			continue;
		}
		/* Past the decoder's last frame: EOF exactly at a boundary, else an error. */
		if (start == size) {
			ASSERT(r == 0 && !o);
		} else {
			/* The decoder did not finish this frame, so the reader must not either. */
			ASSERT(r < 0 && !o && err && err->msg);
			/* An out-of-range length fails before any body is read. */
			if (size - start >= FRAME_HDR && !header_ok(data + start, size - start)) {
				char rest;

				ASSERT(bad);
				ASSERT(read(fds[0], &rest, 1) == (size - start > FRAME_HDR));
			}
			err_free(&err);
		}
	}
out:
	for (i = 0; i < n; i++)
		json_object_put(dec[i]);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return 0;
}
