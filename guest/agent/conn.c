/* Control connections: decode requests, hand them to ops, queue and write the responses. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/wire/frame.h"
#include "../../lib/log.h"
#include "listen.h"
#include "loop.h"
#include "ops.h"
#include "proc/proc.h"
#include "../../lib/time.h"

/* A client that sends requests without reading the answers stops being read past this. */
#define OUT_LIMIT (256 * 1024)
#define READ_CHUNK 65536

struct conn {
	struct conn *next;
	struct watch w;
	struct frame_decoder dec;
	char *out;
	size_t out_off, out_len, out_cap;
	bool closing;	/* a protocol error: close once the error response is written */
	bool read_eof;	/* the client is done sending: close once it has all its answers */
	bool dead;	/* closed; freed by conn__collect() */
};

static struct conn *conns;

static void conn_retire(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	watch__close(&c->w);
}

static void conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->w.fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			pr_debug("agent: control connection: write: %s", strerror(errno));
			conn_retire(c);
			return;
		}
		c->out_off += n;
	}
	c->out_off = c->out_len = 0;
}

/* Re-arms the watch after any change: read while the out queue is short, write while queued. */
static void conn_update(struct conn *c)
{
	size_t pending = c->out_len - c->out_off;
	uint32_t ev = 0;

	if (c->dead)
		return;
	if ((c->closing || c->read_eof) && !pending && (c->closing || !proc__owes(c))) {
		conn_retire(c);
		return;
	}
	if (!c->closing && !c->read_eof && pending < OUT_LIMIT)
		ev |= EPOLLIN;
	if (pending)
		ev |= EPOLLOUT;
	if (watch__set(&c->w, ev, NULL) < 0)
		conn_retire(c);
}

static int conn_queue(struct conn *c, const char *buf, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

static void conn_send(struct conn *c, struct json_object *o)
{
	_cleanup_err_ struct err *err = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (frame__encode(o, &buf, &len, &err) < 0) {
		pr_warn("agent: response dropped: %s", err->msg);
		return;
	}
	if (conn_queue(c, buf, len) < 0) {
		pr_warn("agent: out of memory queueing a response");
		conn_retire(c);
		return;
	}
	conn_flush(c);
	conn_update(c);
}

static struct json_object *reply_head(int64_t id, bool ok)
{
	struct json_object *o = json_object_new_object();

	if (id >= 0)
		json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, AGENT_KEY_OK, json_object_new_boolean(ok));
	return o;
}

void conn__reply(struct reply r, struct json_object *body)
{
	struct json_object *o;

	if (!r.conn || r.conn->dead) {
		json_object_put(body);
		return;
	}
	o = reply_head(r.id, true);
	if (body) {
		json_object_object_foreach(body, key, val)
			json_object_object_add(o, key, json_object_get(val));
		json_object_put(body);
	}
	conn_send(r.conn, o);
	json_object_put(o);
}

void conn__reply_err(struct reply r, const char *fmt, ...)
{
	struct json_object *o;
	char msg[1024];
	va_list ap;

	if (!r.conn || r.conn->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = reply_head(r.id, false);
	json_object_object_add(o, AGENT_KEY_ERROR, json_object_new_string(msg));
	conn_send(r.conn, o);
	json_object_put(o);
}

/* Garbage on the wire: say why, then close, since the stream can no longer be trusted. */
static void conn_protocol_error(struct conn *c, const char *why)
{
	pr_debug("agent: control connection: %s", why);
	conn__reply_err((struct reply){ c, NO_ID }, "%s", why);
	c->closing = true;
}

static void conn_read(struct conn *c, uint32_t events)
{
	static char buf[READ_CHUNK];
	ssize_t n = read(c->w.fd, buf, sizeof(buf));
	size_t off = 0, used;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && (events & EPOLLHUP))) {
		conn_retire(c); /* gone both ways: nobody to answer */
		return;
	}
	if (n == 0) {
		/* A half-close (shutdown(SHUT_WR)) still gets the answers it is owed. */
		if (!frame_decoder__idle(&c->dec))
			pr_debug("agent: control connection closed inside a frame");
		c->read_eof = true;
		return;
	}
	while ((size_t)n > off && !c->dead && !c->closing) {
		_cleanup_err_ struct err *err = NULL;
		struct json_object *msg = NULL;
		int ret = frame_decoder__feed(&c->dec, buf + off, n - off, &used, &msg, &err);

		off += used;
		if (ret < 0) {
			conn_protocol_error(c, err ? err->msg : "frame: error");
			break;
		}
		if (ret == 0)
			break;
		ops__dispatch(c, msg);
		json_object_put(msg);
	}
}

static void conn_event(struct watch *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, w);

	if (events & EPOLLOUT)
		conn_flush(c);
	if (!c->dead && !c->closing && !c->read_eof && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c, events);
	conn_update(c);
}

void conn__accept(int listen_fd)
{
	struct conn *c;
	int fd = listen__accept(listen_fd);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	watch__init(&c->w, fd, conn_event);
	frame_decoder__init(&c->dec);
	if (watch__set(&c->w, EPOLLIN, NULL) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = conns;
	conns = c;
}

void conn__collect(void)
{
	struct conn **pp = &conns, *c;

	while ((c = *pp)) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		proc__forget_conn(c);
		frame_decoder__free(&c->dec);
		free(c->out);
		free(c);
	}
}


void conn__flush_all(int timeout_ms)
{
	long deadline = time__now_ms() + timeout_ms;

	for (struct conn *c = conns; c; c = c->next) {
		while (!c->dead && c->out_off < c->out_len && time__now_ms() < deadline) {
			struct pollfd p = { .fd = c->w.fd, .events = POLLOUT };

			if (poll(&p, 1, deadline - time__now_ms()) > 0)
				conn_flush(c);
		}
	}
}
