/* Length-prefixed JSON frames of the agent protocol; see frame.h and docs/agent-protocol.md. */
#include "frame.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../cleanup.h"
#include "../err.h"

/* Deep enough for any request we define, shallow enough that nesting cannot exhaust a stack. */
#define FRAME_JSON_DEPTH 32

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int frame__encode(struct json_object *obj, char **buf, size_t *len, struct err **err)
{
	const char *s;
	size_t n;
	char *out;

	if (!json_object_is_type(obj, json_type_object))
		return err_msg(err, "frame: message is not a JSON object");
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	n = s ? strlen(s) : 0;
	if (n == 0 || n > FRAME_MAX)
		return err_msg(err, "frame: message of %zu bytes exceeds the %u-byte limit", n,
			       FRAME_MAX);
	out = malloc(FRAME_HDR + n);
	if (!out)
		return err_errno(err, "frame: allocate %zu bytes", n);
	put_be32((unsigned char *)out, n);
	memcpy(out + FRAME_HDR, s, n);
	*buf = out;
	*len = FRAME_HDR + n;
	return 0;
}

bool json__only_space(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

int frame__parse(const char *data, size_t len, struct json_object **obj, struct err **err)
{
	struct json_tokener *tok = json_tokener_new_ex(FRAME_JSON_DEPTH);
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end;

	*obj = NULL;
	if (!tok)
		return err_errno(err, "frame: allocate JSON parser");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, data, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare number is complete only once the parser sees the end: hand it the NUL. */
	if (!o && jerr == json_tokener_continue && end == len) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);

	if (!o && jerr == json_tokener_success)
		return err_msg(err, "frame: message is not a JSON object"); /* JSON null */
	if (!o)
		return err_msg(err, "frame: invalid JSON: %s", json_tokener_error_desc(jerr));
	/* An embedded NUL ends parsing early: what follows it is trailing data, never ignored. */
	if (end > len || !json__only_space(data + end, len - end)) {
		json_object_put(o);
		return err_msg(err, "frame: trailing data after the JSON value");
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_msg(err, "frame: message is not a JSON object");
	}
	*obj = o;
	return 0;
}

/* Waits for a non-blocking fd; a blocking one never gets here. */
static int wait_fd(int fd, short events, struct err **err)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return err_errno(err, "frame: poll");
	return 0;
}

static int write_all(int fd, const char *buf, size_t len, struct err **err)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, err) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return err_errno(err, "frame: write");
		buf += n;
		len -= n;
	}
	return 0;
}

/* Returns the bytes read: len, or less only at EOF. */
static ssize_t read_full(int fd, void *buf, size_t len, struct err **err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN, err) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return err_errno(err, "frame: read");
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int frame__write(int fd, struct json_object *obj, struct err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (frame__encode(obj, &buf, &len, err) < 0)
		return -1;
	return write_all(fd, buf, len, err);
}

int frame__read(int fd, struct json_object **obj, struct err **err)
{
	unsigned char hdr[FRAME_HDR];
	_cleanup_free_ char *body = NULL;
	ssize_t n;
	uint32_t len;

	*obj = NULL;
	n = read_full(fd, hdr, sizeof(hdr), err);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n < FRAME_HDR)
		return err_msg(err, "frame: connection closed inside a frame header");
	len = get_be32(hdr);
	if (len == 0 || len > FRAME_MAX)
		return err_msg(err, "frame: length %u out of range (1..%u)", len, FRAME_MAX);
	body = malloc(len);
	if (!body)
		return err_errno(err, "frame: allocate %u bytes", len);
	n = read_full(fd, body, len, err);
	if (n < 0)
		return -1;
	if ((size_t)n < len)
		return err_msg(err, "frame: connection closed inside a %u-byte frame", len);
	if (frame__parse(body, len, obj, err) < 0)
		return -1;
	return 1;
}

void frame_decoder__init(struct frame_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void frame_decoder__free(struct frame_decoder *d)
{
	free(d->body);
	frame_decoder__init(d);
}

bool frame_decoder__idle(const struct frame_decoder *d)
{
	return d->hdr_len == 0;
}

size_t frame_decoder__want(const struct frame_decoder *d)
{
	if (d->hdr_len < FRAME_HDR)
		return FRAME_HDR - d->hdr_len;
	return d->body_len - d->body_have;
}

/* A complete header: check the length before allocating anything for it. */
static int start_body(struct frame_decoder *d, struct err **err)
{
	uint32_t len = get_be32(d->hdr);

	if (len == 0 || len > FRAME_MAX)
		return err_msg(err, "frame: length %u out of range (1..%u)", len, FRAME_MAX);
	d->body = malloc(len);
	if (!d->body)
		return err_errno(err, "frame: allocate %u bytes", len);
	d->body_len = len;
	d->body_have = 0;
	return 0;
}

int frame_decoder__feed(struct frame_decoder *d, const void *data, size_t len, size_t *used,
			struct json_object **obj, struct err **err)
{
	const char *p = data;
	size_t n = 0, take;
	int ret;

	*obj = NULL;
	*used = 0;
	while (n < len) {
		take = frame_decoder__want(d);
		if (take > len - n)
			take = len - n;
		if (d->hdr_len < FRAME_HDR) {
			memcpy(d->hdr + d->hdr_len, p + n, take);
			d->hdr_len += take;
			n += take;
			*used = n;
			if (d->hdr_len == FRAME_HDR && start_body(d, err) < 0)
				return -1;
			continue;
		}
		memcpy(d->body + d->body_have, p + n, take);
		d->body_have += take;
		n += take;
		*used = n;
		if (d->body_have < d->body_len)
			continue;
		ret = frame__parse(d->body, d->body_len, obj, err);
		frame_decoder__free(d);
		return ret < 0 ? ret : 1;
	}
	return 0;
}
