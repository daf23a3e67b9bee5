/*
 * New stdio stream connections: read exactly one framed header, attach the connection to the
 * process's io, and answer {"ok":true} or {"ok":false,"error":...} (then close). Reading no
 * more than the header needs leaves the raw bytes that follow it to the relay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/wire/frame.h"
#include "../../../lib/log.h"
#include "../listen.h"
#include "proc.h"
#include "../req.h"
#include "stream.h"

struct pending_stream {
	struct watch w;
	struct frame_decoder dec;
};

/* The connection is fresh and the answer tiny: it fits in the socket buffer at once. */
static int send_answer(int fd, const char *error)
{
	struct json_object *o = json_object_new_object();
	_cleanup_free_ char *buf = NULL;
	size_t len;
	ssize_t n = -1;

	json_object_object_add(o, AGENT_KEY_OK, json_object_new_boolean(!error));
	if (error)
		json_object_object_add(o, AGENT_KEY_ERROR, json_object_new_string(error));
	if (frame__encode(o, &buf, &len, NULL) == 0)
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(o);
	return n == (ssize_t)len ? 0 : -1;
}

static int stream_kind(const char *name, struct err **err)
{
	for (int i = 0; i < IO_COUNT; i++)
		if (!strcmp(name, io__name(i)))
			return i;
	return err_msg(err, "stream header: unknown stream '%s' (stdin, stdout or stderr)", name);
}

/* Checks that the io can take a stream now: once, and output only before start. */
static int check_io(struct proc *p, int kind, struct err **err)
{
	const struct io *io = &p->io[kind];
	const char *name = io__name(kind);

	if (p->terminal && kind == IO_STDERR)
		return err_msg(err, "process %s has a terminal: all its output is on stdout",
			       p->id);
	if (io->attached)
		return err_msg(err, "%s of process %s is already attached", name, p->id);
	if (kind == IO_STDIN && io->closed)
		return err_msg(err, "process %s has no stdin (none asked, closed, or exited)",
			       p->id);
	if (kind != IO_STDIN && (p->started || io->discard))
		return err_msg(err, "process %s is already started: attach %s before start", p->id,
			       name);
	if (io->closed)
		return err_msg(err, "%s of process %s is closed", name, p->id);
	return 0;
}

/* Finds the io the header names. */
static int header_io(struct json_object *h, struct io **out, struct err **err)
{
	struct json_object *v;
	const char *id, *name;
	struct proc *p;
	int kind;

	if (!json_object_object_get_ex(h, AGENT_KEY_VERSION, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != 1)
		return err_msg(err, "stream header: unsupported protocol version (want \"v\":1)");
	if (req__string(h, AGENT_KEY_PROCESS, true, &id, err) < 0 ||
	    req__string(h, AGENT_KEY_STREAM, true, &name, err) < 0)
		return err_prefix(err, "stream header");
	kind = stream_kind(name, err);
	if (kind < 0)
		return -1;
	p = proc__find(id);
	if (!p)
		return err_msg(err, "no such process '%s'", id);
	if (check_io(p, kind, err) < 0)
		return -1;
	*out = &p->io[kind];
	return 0;
}

static void pending_free(struct pending_stream *ps, bool close_fd)
{
	if (close_fd)
		watch__close(&ps->w);
	else
		watch__set(&ps->w, 0, NULL);
	frame_decoder__free(&ps->dec);
	free(ps);
}

static void attach(struct pending_stream *ps, struct json_object *header)
{
	_cleanup_err_ struct err *err = NULL;
	struct io *io = NULL;
	int fd = ps->w.fd;

	if (header_io(header, &io, &err) < 0) {
		pr_debug("agent: stream rejected: %s", err->msg);
		send_answer(fd, err->msg);
		pending_free(ps, true);
		return;
	}
	if (send_answer(fd, NULL) < 0) {
		pending_free(ps, true);
		return;
	}
	pending_free(ps, false);
	watch__init(&io->sock, fd, io->sock.fn);
	io->attached = true;
	pr_debug("agent: %s of %s attached", io__name(io->kind), io->proc->id);
	io__update(io);
}

static void pending_event(struct watch *w, uint32_t events)
{
	struct pending_stream *ps = container_of(w, struct pending_stream, w);
	_cleanup_err_ struct err *err = NULL;
	struct json_object *header = NULL;
	char buf[4096];
	size_t want = frame_decoder__want(&ps->dec), used;
	ssize_t n;
	int ret;

	n = read(w->fd, buf, want < sizeof(buf) ? want : sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pending_free(ps, true);
		return;
	}
	ret = frame_decoder__feed(&ps->dec, buf, n, &used, &header, &err);
	if (ret < 0) {
		send_answer(w->fd, err->msg);
		pending_free(ps, true);
	} else if (ret == 1) {
		attach(ps, header);
		json_object_put(header);
	}
}

void stream__accept(int listen_fd)
{
	struct pending_stream *ps;
	int fd = listen__accept(listen_fd);

	if (fd < 0)
		return;
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		close(fd);
		return;
	}
	watch__init(&ps->w, fd, pending_event);
	frame_decoder__init(&ps->dec);
	if (watch__set(&ps->w, EPOLLIN, NULL) < 0)
		pending_free(ps, true);
}
