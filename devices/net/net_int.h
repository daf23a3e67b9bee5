/*
 * virtio-net internals shared by the device (net.c) and its receive (net_rx.c) and transmit
 * (net_tx.c) paths.
 */
#ifndef KAGE_DEVICES_NET_NET_INT_H
#define KAGE_DEVICES_NET_NET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net.h"

#define NET_QUEUE_RX 0
#define NET_QUEUE_TX 1
#define NET_QUEUE_SIZE 256
/* Frames moved per backend event before the guest is interrupted and other fds get a turn. */
#define NET_RX_BATCH 64

/* Everything below is guarded by dev.lock. */
struct net {
	struct virtio_dev dev;
	struct loop *loop;
	int fd;
	bool tap;
	struct virtio_net_config cfg;
	struct net_stats stats;

	bool watched;		/* fd is on the loop (false once the backend is gone) */
	uint32_t events;	/* what the loop watches it for */
	bool running;		/* between a successful activate and reset */
	bool backend_gone;	/* EOF, hang-up or a hard error: frames are dropped from now on */
	bool rx_starved;	/* no rx buffers for us: EPOLLIN is off until an rx kick */
	bool tx_blocked;	/* the backend said EAGAIN: tx waits for EPOLLOUT */

	/* Receive: one frame read whole, then copied into as many guest buffers as it needs. */
	uint8_t *rx_buf;	/* NET_BUF_MAX bytes, and one to tell a truncated read */
	uint32_t rx_len;	/* a frame in rx_buf waiting for buffers; 0 when none */
	struct virtq_chain rx_first, rx_next;
	uint16_t rx_heads[NET_QUEUE_SIZE];
	uint32_t rx_used[NET_QUEUE_SIZE];

	/* Transmit: the header is a checked copy; the frame is written from guest memory. */
	struct virtq_chain tx_chain;
	struct virtio_net_hdr_mrg_rxbuf tx_hdr;
	struct iovec tx_iov[VIRTQ_MAX_SEGS + 1];
};

/* Whether the guest's queues may be used: activated, not reset, not failed. */
bool net_running(const struct net *n);
/* Points the loop at what the device waits for now (rx buffers, tx room). */
void net_watch(struct net *n);
/* The backend is unusable: stop watching it for good and say so once. */
void net_backend_gone(struct net *n, const char *why);

/* net_rx.c: backend frames into the rx queue. */
void net_process_rx(struct net *n);
/* net_tx.c: the tx queue into the backend. */
void net_process_tx(struct net *n);

#endif
