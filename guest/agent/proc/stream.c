/*
 * Stdio relay between managed processes and stream connections (see stream.h). Each io moves
 * at most STREAM_BUF bytes at a time and reads its source only once that buffer is empty, so
 * a slow reader on either side stalls only its own io, through the kernel's buffers.
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../../lib/log.h"
#include "proc.h"

const char *io__name(enum io_kind kind)
{
	static const char *const names[IO_COUNT] = { "stdin", "stdout", "stderr" };

	return names[kind];
}

static void pipe_event(struct watch *w, uint32_t events);
static void sock_event(struct watch *w, uint32_t events);

void io__init(struct io *io, struct proc *p, enum io_kind kind, int pipe_fd)
{
	memset(io, 0, sizeof(*io));
	io->proc = p;
	io->kind = kind;
	watch__init(&io->pipe, pipe_fd, pipe_event);
	watch__init(&io->sock, -1, sock_event);
	io->closed = pipe_fd < 0;
}

static int io_buf(struct io *io)
{
	if (!io->buf)
		io->buf = malloc(STREAM_BUF);
	return io->buf ? 0 : -1;
}

/* The host's end of an output stream is gone: keep draining so the process never blocks. */
static void drop_sock(struct io *io)
{
	watch__close(&io->sock);
	io->off = io->len = 0;
	if (io->kind != IO_STDIN)
		io->discard = true;
}

void io__close(struct io *io)
{
	watch__close(&io->pipe);
	watch__close(&io->sock);
	io->off = io->len = 0;
	io->closed = true;
}

/* Output is over: the host reads EOF even if a stray copy of the socket lingers somewhere. */
static void out_finish(struct io *io)
{
	if (io->sock.fd >= 0)
		shutdown(io->sock.fd, SHUT_WR);
	io__close(io);
	proc__check_done(io->proc);
}

static void update_out(struct io *io)
{
	bool flowing = io->proc->ready && (io->discard || io->sock.fd >= 0);

	if (io->eof && io->off == io->len) {
		out_finish(io);
		return;
	}
	if (watch__set(&io->pipe, flowing && !io->len && !io->eof ? EPOLLIN : 0, NULL) < 0 ||
	    watch__set(&io->sock, io->len ? EPOLLOUT : 0, NULL) < 0)
		pr_warn("agent: %s of %s: cannot watch it", io__name(io->kind), io->proc->id);
}

static void update_in(struct io *io)
{
	if (io->eof && io->off == io->len) {
		io__close(io); /* the process reads EOF */
		return;
	}
	if (watch__set(&io->pipe, io->len ? EPOLLOUT : 0, NULL) < 0 ||
	    watch__set(&io->sock, !io->len && !io->eof ? EPOLLIN : 0, NULL) < 0)
		pr_warn("agent: stdin of %s: cannot watch it", io->proc->id);
}

void io__update(struct io *io)
{
	if (io->closed || io->proc->retired)
		return;
	if (io->kind == IO_STDIN)
		update_in(io);
	else
		update_out(io);
}

void io__discard_unattached(struct io *io)
{
	if (io->kind == IO_STDIN || io->attached || io->closed)
		return;
	io->discard = true;
	io__update(io);
}

static void out_write(struct io *io)
{
	while (io->off < io->len) {
		ssize_t n = send(io->sock.fd, io->buf + io->off, io->len - io->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			pr_debug("agent: %s of %s: %s", io__name(io->kind), io->proc->id,
				 strerror(errno));
			drop_sock(io);
			return;
		}
		io->off += n;
	}
	io->off = io->len = 0;
}

static void out_read(struct io *io)
{
	ssize_t n;

	if (io_buf(io) < 0)
		return;
	n = read(io->pipe.fd, io->buf, STREAM_BUF);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF, or EIO from a pty master once the terminal's last user is gone */
		io->eof = true;
		return;
	}
	if (io->discard)
		return;
	io->off = 0;
	io->len = n;
	out_write(io);
}

/* The process closed its stdin or exited: what the host still sends has nowhere to go. */
static void in_gone(struct io *io)
{
	pr_debug("agent: stdin of %s: the process no longer reads it", io->proc->id);
	io__close(io);
}

static void in_write(struct io *io)
{
	while (io->off < io->len) {
		ssize_t n = write(io->pipe.fd, io->buf + io->off, io->len - io->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			in_gone(io);
			return;
		}
		io->off += n;
	}
	io->off = io->len = 0;
}

static void in_read(struct io *io)
{
	ssize_t n;

	if (io_buf(io) < 0)
		return;
	n = read(io->sock.fd, io->buf, STREAM_BUF);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		io->eof = true; /* the host closed stdin */
		return;
	}
	io->off = 0;
	io->len = n;
	in_write(io);
}

static void pipe_event(struct watch *w, uint32_t events)
{
	struct io *io = container_of(w, struct io, pipe);

	if (io->kind != IO_STDIN)
		out_read(io);
	else if (events & EPOLLERR)
		in_gone(io);
	else
		in_write(io);
	io__update(io);
}

static void sock_event(struct watch *w, uint32_t events)
{
	struct io *io = container_of(w, struct io, sock);

	if (io->kind == IO_STDIN)
		in_read(io);
	else if (events & EPOLLOUT)
		out_write(io);
	else
		drop_sock(io);
	io__update(io);
}
