/* vsock internals shared by the virtio side (vsock.c) and the host side (vsock_host.c). */
#ifndef KAGE_DEVICES_VSOCK_VSOCK_INT_H
#define KAGE_DEVICES_VSOCK_VSOCK_INT_H

#include <linux/virtio_vsock.h>
#include <stdbool.h>
#include <stdint.h>

#include "vsock.h"

#define VSOCK_QUEUE_RX 0
#define VSOCK_QUEUE_TX 1
#define VSOCK_QUEUE_EVENT 2

/* What we let the guest have in flight towards one host socket (our buf_alloc). */
#define VSOCK_BUF_ALLOC (256 * 1024)
#define VSOCK_MAX_CONNS 256
#define VSOCK_MAX_PKT_PAYLOAD (64 * 1024)
#define VSOCK_MAX_PENDING_CTRL 512
#define VSOCK_CONNECT_LINE_MAX 32

enum conn_state {
	CONN_HANDSHAKE,		/* host client: reading "CONNECT <port>\n" */
	CONN_CONNECTING,	/* REQUEST sent to the guest, waiting for RESPONSE */
	CONN_ESTABLISHED,
	CONN_CLOSING,		/* we sent SHUTDOWN both ways, waiting for the guest's RST */
	CONN_DRAINING,		/* the guest is gone; its last data still goes to the socket */
};

struct vsock_conn {
	struct vsock *owner;	/* set once at creation, kept across reuse */
	bool used;
	enum conn_state state;
	int fd;
	uint32_t local_port;	/* host side */
	uint32_t peer_port;	/* guest side */

	/* Credit (virtio 1.2, 5.10.6.3): what the guest can take, and what we consumed. */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t tx_cnt;	/* bytes we sent to the guest */
	uint32_t fwd_cnt;	/* guest bytes we delivered to the host socket */
	uint32_t fwd_cnt_told;	/* fwd_cnt in the last packet the guest saw */

	/* Guest data not yet written to the host socket (at most VSOCK_BUF_ALLOC). */
	uint8_t *buf;
	uint32_t buf_head, buf_len;

	bool readable;		/* the socket may have data (epoll said so, no EAGAIN since) */
	bool hup;		/* the host end closed both ways: read what is left, then close */
	bool unwatched;		/* taken out of epoll, whose HUP would fire without end */
	bool host_eof;		/* host socket gave EOF: we sent SHUTDOWN(SEND) */
	bool guest_no_send;	/* guest SHUTDOWN(SEND): shut the socket's write side once drained */
	bool guest_no_recv;	/* guest SHUTDOWN(RCV): stop reading the socket */
	uint32_t events;	/* epoll events currently watched */

	char line[VSOCK_CONNECT_LINE_MAX];
	unsigned int line_len;
};

struct vsock_ctrl {
	struct virtio_vsock_hdr hdr;
};

struct vsock {
	struct virtio_dev dev;
	struct loop *loop;
	uint64_t guest_cid;
	int listen_fd;
	char *uds_path;
	uint32_t next_port;

	struct vsock_conn conns[VSOCK_MAX_CONNS];
	struct vsock_ctrl ctrl[VSOCK_MAX_PENDING_CTRL];
	unsigned int ctrl_head, ctrl_len;
	bool rx_starved;	/* a connection waits for rx buffers */
	unsigned int rr_next;	/* round robin over connections for rx data */
};

/* vsock.c: queueing packets to the guest. */
void vsock_send_ctrl(struct vsock *v, struct vsock_conn *c, uint16_t op, uint32_t flags);
void vsock_send_rst(struct vsock *v, uint32_t local_port, uint32_t peer_port);
void vsock_process_rx(struct vsock *v);

/* vsock_host.c: the host side of connections. */
struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t local_port, uint32_t peer_port);
void vsock_conn_free(struct vsock *v, struct vsock_conn *c);
void vsock_conn_drain(struct vsock *v, struct vsock_conn *c);
void vsock_conn_watch(struct vsock *v, struct vsock_conn *c);
void vsock_guest_request(struct vsock *v, const struct virtio_vsock_hdr *h);
void vsock_guest_data(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch,
		      uint32_t len);
void vsock_guest_response(struct vsock *v, struct vsock_conn *c);
void vsock_guest_shutdown(struct vsock *v, struct vsock_conn *c, uint32_t flags);
/* Fills one RW packet from a connection's socket; returns bytes, 0 if nothing to send. */
uint32_t vsock_host_read(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch,
			 size_t hdr_len);
int vsock_host_listen(struct vsock *v, struct err **err);
void vsock_host_reset(struct vsock *v);

static inline uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

#endif
