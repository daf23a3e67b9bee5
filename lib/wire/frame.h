/*
 * Framing of the agent protocol (docs/agent-protocol.md): a 4-byte big-endian length N,
 * 1 <= N <= FRAME_MAX, then N bytes holding exactly one JSON object. Blocking helpers for the
 * host side and an incremental decoder for the agent's non-blocking event loop.
 */
#ifndef KAGE_LIB_WIRE_FRAME_H
#define KAGE_LIB_WIRE_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#define FRAME_HDR 4
#define FRAME_MAX (1u << 20)

struct json_object;
struct err;

/* Serialises obj as one frame into a new buffer (header included); the caller frees it. */
int frame__encode(struct json_object *obj, char **buf, size_t *len, struct err **err);
/* Parses one frame body: exactly one JSON object, nothing but whitespace after it. */
int frame__parse(const char *data, size_t len, struct json_object **obj, struct err **err);

/*
 * Blocking I/O on a connected stream fd (a non-blocking fd is waited on with poll).
 * frame__read returns 1 with *obj set, 0 at EOF before a frame began, <0 on an error,
 * EOF in the middle of a frame included. It reads exactly one frame and nothing beyond it,
 * so raw bytes that follow a frame on the same fd stay unread.
 */
int frame__write(int fd, struct json_object *obj, struct err **err);
int frame__read(int fd, struct json_object **obj, struct err **err);

/* Incremental decoder: memory is bounded by FRAME_MAX per decoder whatever it is fed. */
struct frame_decoder {
	unsigned char hdr[FRAME_HDR];
	size_t hdr_len;
	char *body;
	size_t body_len, body_have;
};

void frame_decoder__init(struct frame_decoder *d);
void frame_decoder__free(struct frame_decoder *d);
/* True between frames: EOF here is clean, anywhere else it truncates a frame. */
bool frame_decoder__idle(const struct frame_decoder *d);
/* How many more bytes finish the current header or body; reading no more than this never
 * consumes bytes past the frame (the agent relies on it for the stdio stream header). */
size_t frame_decoder__want(const struct frame_decoder *d);
/*
 * Consumes bytes from data, stopping right after the first complete frame; *used says how
 * many. Returns 1 with *obj set when a frame completed, 0 when all of data was taken and more
 * is needed, <0 on a protocol error (bad length, bad JSON, not an object), after which the
 * connection must be closed.
 */
int frame_decoder__feed(struct frame_decoder *d, const void *data, size_t len, size_t *used,
			struct json_object **obj, struct err **err);

/* Whether p[0..len) is JSON whitespace only (what may surround a JSON text). */
bool json__only_space(const char *p, size_t len);

#endif
