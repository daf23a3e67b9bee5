/*
 * virtio-vsock, the host side: each connection is a host Unix socket, served by the event
 * loop. Data from the guest waits in a per-connection buffer no larger than the credit we
 * gave (so a guest cannot make us buffer more); data to the guest is read from the socket only
 * when the guest has credit and rx buffers, so a fast host writer is throttled by the socket.
 */
#include "vsock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/wire/iov.h"
#include "../../lib/log.h"
#include "../../vmm/loop.h"

struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t local_port, uint32_t peer_port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->used && c->state != CONN_HANDSHAKE && c->state != CONN_DRAINING &&
		    c->local_port == local_port && c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

void vsock_conn_free(struct vsock *v, struct vsock_conn *c)
{
	if (c->fd >= 0) {
		loop__del(v->loop, c->fd);
		close(c->fd);
	}
	free(c->buf);
	*c = (struct vsock_conn){ .owner = v, .fd = -1 };
}

static bool flush(struct vsock *v, struct vsock_conn *c);
static void host_gone(struct vsock *v, struct vsock_conn *c);

/*
 * The guest side is finished, but data it sent before closing may still wait for a slow
 * reader: keep the socket until that is written, then close it (the reader sees EOF).
 */
void vsock_conn_drain(struct vsock *v, struct vsock_conn *c)
{
	if (c->fd < 0 || !c->buf_len || !flush(v, c) || !c->buf_len)
		return vsock_conn_free(v, c);
	c->state = CONN_DRAINING;
	vsock_conn_watch(v, c);
}

void vsock_conn_watch(struct vsock *v, struct vsock_conn *c)
{
	uint32_t ev = 0;

	if (c->unwatched)
		return;
	switch (c->state) {
	case CONN_HANDSHAKE:
		ev = EPOLLIN;
		break;
	case CONN_ESTABLISHED:
		if (!c->host_eof && !c->guest_no_recv && vsock_peer_credit(c) && !v->rx_starved)
			ev |= EPOLLIN;
		if (c->buf_len)
			ev |= EPOLLOUT;
		break;
	case CONN_DRAINING:
		ev = EPOLLOUT;
		break;
	default:
		break;
	}
	if (ev != c->events && loop__modify(v->loop, c->fd, ev) == 0)
		c->events = ev;
}

/*
 * Nobody reads the socket any more: what the guest sends is dropped, but what the host wrote
 * before it left still goes to the guest; the connection closes once that is read.
 */
static void write_failed(struct vsock *v, struct vsock_conn *c)
{
	c->buf_len = c->buf_head = 0;
	c->hup = c->readable = true;
	if (c->host_eof)
		host_gone(v, c);
}

static void on_conn(void *opaque, uint32_t events);

static struct vsock_conn *conn_attach(struct vsock *v, int fd, enum conn_state state,
				      struct err **err)
{
	struct vsock_conn *c = NULL;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS && !c; i++)
		if (!v->conns[i].used)
			c = &v->conns[i];
	if (!c) {
		err_msg(err, "vsock: too many connections (%d)", VSOCK_MAX_CONNS);
		return NULL;
	}
	*c = (struct vsock_conn){ .owner = v, .used = true, .state = state, .fd = fd };
	c->events = state == CONN_HANDSHAKE ? EPOLLIN : 0;
	if (loop__add(v->loop, fd, c->events, on_conn, c, err) < 0) {
		c->used = false;
		c->fd = -1;
		return NULL;
	}
	return c;
}

/* Writes buffered guest data to the socket; true unless the socket is gone. */
static bool flush(struct vsock *v, struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t chunk = VSOCK_BUF_ALLOC - c->buf_head;

		if (chunk > c->buf_len)
			chunk = c->buf_len;
		ssize_t n = write(c->fd, c->buf + c->buf_head, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return false;
		c->buf_head = (c->buf_head + n) % VSOCK_BUF_ALLOC;
		c->buf_len -= n;
		c->fwd_cnt += n;
	}
	/* Tell the guest about the room we made before it runs out of credit. */
	if (c->state == CONN_ESTABLISHED && c->fwd_cnt - c->fwd_cnt_told >= VSOCK_BUF_ALLOC / 4)
		vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
	if (!c->buf_len && c->guest_no_send)
		shutdown(c->fd, SHUT_WR);
	return true;
}

/* The host end went away: tell the guest both directions are closed; it answers with RST. */
static void host_gone(struct vsock *v, struct vsock_conn *c)
{
	if (c->state == CONN_ESTABLISHED) {
		vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_SHUTDOWN,
				VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
		c->state = CONN_CLOSING;
		loop__del(v->loop, c->fd);
		close(c->fd);
		c->fd = -1;
		return;
	}
	if (c->state == CONN_CONNECTING)
		vsock_send_rst(v, c->local_port, c->peer_port);
	vsock_conn_free(v, c);
}

/* Reads "CONNECT <port>\n" without consuming anything after the newline. */
static void handshake(struct vsock *v, struct vsock_conn *c)
{
	char peek[VSOCK_CONNECT_LINE_MAX];
	ssize_t n = recv(c->fd, peek, sizeof(peek) - c->line_len, MSG_PEEK);
	unsigned long port;
	char *nl, *end;

	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			vsock_conn_free(v, c);
		return;
	}
	nl = memchr(peek, '\n', n);
	n = nl ? nl - peek + 1 : n;
	if (recv(c->fd, c->line + c->line_len, n, 0) != n)
		return vsock_conn_free(v, c);
	c->line_len += n;
	if (!nl) {
		if (c->line_len >= sizeof(c->line) - 1)
			vsock_conn_free(v, c);	/* no newline within reason: not our protocol */
		return;
	}
	c->line[c->line_len - 1] = 0;
	if (strncmp(c->line, "CONNECT ", 8) ||
	    (port = strtoul(c->line + 8, &end, 10), *end || end == c->line + 8 || port > UINT32_MAX)) {
		pr_debug("vsock: bad handshake '%s'", c->line);
		return vsock_conn_free(v, c);
	}
	c->peer_port = port;
	c->local_port = v->next_port++;
	c->state = CONN_CONNECTING;
	vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_REQUEST, 0);
	vsock_conn_watch(v, c);
}

static void on_conn(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct vsock *v = c->owner;

	pthread_mutex_lock(&v->dev.lock);
	if (!c->used || c->fd < 0)
		goto out;
	if (c->state == CONN_HANDSHAKE) {
		handshake(v, c);
	} else if (c->state == CONN_DRAINING) {
		if (!flush(v, c) || !c->buf_len || (events & (EPOLLERR | EPOLLHUP)))
			vsock_conn_free(v, c);
	} else if (c->state == CONN_CONNECTING) {
		/* The client left before the guest answered. */
		if (events & (EPOLLERR | EPOLLHUP)) {
			vsock_send_rst(v, c->local_port, c->peer_port);
			vsock_conn_free(v, c);
		}
	} else if (c->state == CONN_ESTABLISHED) {
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			c->readable = true;
		if (events & (EPOLLERR | EPOLLHUP))
			c->hup = true;
		if ((events & EPOLLOUT) && !flush(v, c))
			write_failed(v, c);
	}
	vsock_process_rx(v);
	/* Data still unread after a hang-up is read as the guest makes room, not on events. */
	if (c->used && c->fd >= 0 && c->hup && !c->unwatched) {
		loop__del(v->loop, c->fd);
		c->unwatched = true;
	}
	if (c->used && c->fd >= 0)
		vsock_conn_watch(v, c);
out:
	pthread_mutex_unlock(&v->dev.lock);
}

/* The guest connects to host port P: bridge it to the Unix socket "<path>_P". */
void vsock_guest_request(struct vsock *v, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct vsock_conn *c;

	if (!v->uds_path ||
	    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s_%u", v->uds_path, h->dst_port) >=
		    (int)sizeof(addr.sun_path))
		return vsock_send_rst(v, h->dst_port, h->src_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		pr_debug("vsock: guest connect to host port %u: %s", h->dst_port, strerror(errno));
		return vsock_send_rst(v, h->dst_port, h->src_port);
	}
	c = conn_attach(v, fd, CONN_ESTABLISHED, NULL);
	if (!c)
		return vsock_send_rst(v, h->dst_port, h->src_port);
	TAKE_FD(fd);
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_RESPONSE, 0);
	vsock_conn_watch(v, c);
}

void vsock_guest_response(struct vsock *v, struct vsock_conn *c)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);

	if (c->state != CONN_CONNECTING) {
		vsock_send_rst(v, c->local_port, c->peer_port);
		return vsock_conn_free(v, c);
	}
	/* A fresh socket always has room for a few bytes; a failure means the client left. */
	if (write(c->fd, ok, n) != n) {
		vsock_send_rst(v, c->local_port, c->peer_port);
		return vsock_conn_free(v, c);
	}
	c->state = CONN_ESTABLISHED;
}

void vsock_guest_data(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch,
		      uint32_t len)
{
	const size_t hdr = sizeof(struct virtio_vsock_hdr);

	/* More than the credit we gave: the guest broke the protocol. */
	if (len > VSOCK_BUF_ALLOC - c->buf_len || c->guest_no_send) {
		vsock_send_rst(v, c->local_port, c->peer_port);
		return vsock_conn_free(v, c);
	}
	if (!len)
		return;
	if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC))) {
		vsock_send_rst(v, c->local_port, c->peer_port);
		return vsock_conn_free(v, c);
	}
	uint32_t tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
	uint32_t first = VSOCK_BUF_ALLOC - tail < len ? VSOCK_BUF_ALLOC - tail : len;

	iov__to_buf(ch->out, ch->n_out, hdr, c->buf + tail, first);
	if (first < len)
		iov__to_buf(ch->out, ch->n_out, hdr + first, c->buf, len - first);
	c->buf_len += len;
	if (!flush(v, c))
		write_failed(v, c);
}

void vsock_guest_shutdown(struct vsock *v, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		c->guest_no_send = true;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
		c->guest_no_recv = true;
	if (c->state == CONN_CLOSING || (c->guest_no_send && c->guest_no_recv)) {
		/* Closed both ways: the RST the guest waits for, then deliver what is left. */
		vsock_send_rst(v, c->local_port, c->peer_port);
		return vsock_conn_drain(v, c);
	}
	if (c->guest_no_send && !c->buf_len && c->fd >= 0)
		shutdown(c->fd, SHUT_WR);
	vsock_conn_watch(v, c);
}

uint32_t vsock_host_read(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch,
			 size_t hdr_len)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	uint64_t room = ch->in_len - hdr_len;
	uint32_t credit = vsock_peer_credit(c);
	unsigned int n;

	if (room > credit)
		room = credit;
	if (room > VSOCK_MAX_PKT_PAYLOAD)
		room = VSOCK_MAX_PKT_PAYLOAD;
	/* Read straight into the guest's buffers, after the header's place. */
	n = iov__slice(ch->in, ch->n_in, hdr_len, room, iov);
	if (!n)
		return 0;
	ssize_t got = readv(c->fd, iov, n);

	if (got > 0)
		return got;
	c->readable = false;
	if (got == 0) {
		c->host_eof = true;
		if (c->hup)
			host_gone(v, c);
		else	/* half-closed: the host may still want what the guest sends */
			vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND);
	} else if (errno != EAGAIN && errno != EINTR) {
		host_gone(v, c);
	}
	return 0;
}

static void on_accept(void *opaque, uint32_t events)
{
	struct vsock *v = opaque;
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (fd < 0)
		return;
	pthread_mutex_lock(&v->dev.lock);
	if (!conn_attach(v, fd, CONN_HANDSHAKE, NULL))
		close(fd);
	pthread_mutex_unlock(&v->dev.lock);
}

int vsock_host_listen(struct vsock *v, struct err **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(v->uds_path) >= sizeof(addr.sun_path) - 12)
		return err_msg(err, "vsock: socket path too long: %s", v->uds_path);
	strcpy(addr.sun_path, v->uds_path);
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->listen_fd < 0)
		return err_errno(err, "vsock: socket");
	unlink(v->uds_path);
	if (io__bind_private(v->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return err_errno(err, "vsock: bind %s", v->uds_path);
	if (listen(v->listen_fd, 64) < 0)
		return err_errno(err, "vsock: listen %s", v->uds_path);
	return loop__add(v->loop, v->listen_fd, EPOLLIN, on_accept, v, err);
}

int vsock__connect_local(struct vsock *v, int *fd, struct err **err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_errno(err, "vsock: socketpair");
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
		close(sv[0]);
		close(sv[1]);
		return err_errno(err, "vsock: fcntl");
	}
	pthread_mutex_lock(&v->dev.lock);
	struct vsock_conn *c = conn_attach(v, sv[1], CONN_HANDSHAKE, err);

	pthread_mutex_unlock(&v->dev.lock);
	if (!c) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	*fd = sv[0];
	return 0;
}

void vsock_host_reset(struct vsock *v)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conns[i].used)
			vsock_conn_free(v, &v->conns[i]);
}
