/*
 * virtio-net (virtio 1.2, 5.1): the guest's network card, backed by a host file descriptor
 * that carries one Ethernet frame per read or write, each preceded by the 12-byte virtio net
 * header. In production that is a tap opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and
 * TUNSETVNETHDRSZ 12; anything else that keeps frame boundaries (a SOCK_SEQPACKET socket)
 * works too, without offloads.
 */
#ifndef KAGE_DEVICES_NET_NET_H
#define KAGE_DEVICES_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "../../lib/err.h"
#include "../virtio/virtio.h"

struct loop;
struct net;

/* VERSION_1 is always negotiated, so the header always has num_buffers (5.1.6). */
#define NET_HDR_LEN 12u
/* The largest frame either way: 64 KiB of segmentation-offloaded IP plus its Ethernet header. */
#define NET_FRAME_MAX (65536u + 14u)
#define NET_BUF_MAX (NET_HDR_LEN + NET_FRAME_MAX)	/* header and frame: 65562 */
#define NET_DEFAULT_MTU 1500u
#define NET_MIN_MTU 68u					/* the least IPv4 allows */

struct net_opts {
	int fd;			/* the backend; the device owns it from net__create() on */
	bool tap;		/* fd is a tap with a 12-byte vnet header: offer offloads */
	uint8_t mac[6];		/* the guest's address: unicast, not all zero */
	uint16_t mtu;		/* 0: NET_DEFAULT_MTU */
	bool link_up;
};

/* Counted since creation; frames refused or lost on either side are drops. */
struct net_stats {
	uint64_t rx_packets, rx_bytes, rx_drops;	/* host to guest, bytes without header */
	uint64_t tx_packets, tx_bytes, tx_drops;	/* guest to host */
};

/*
 * Creates the device and watches o->fd on loop. The device takes o->fd whatever this returns:
 * it is made non-blocking and closed by net__destroy(), or right away on failure, so the
 * caller must not close it. With o->tap the fd must be a tap with a 12-byte vnet header.
 * *out is NULL on error.
 */
int net__create(struct net **out, struct loop *loop, const struct net_opts *o, struct err **err);
struct virtio_dev *net__dev(struct net *n);
/* Sets the link status the guest reads, with a config interrupt when it changes. */
void net__set_link(struct net *n, bool up);
void net__stats(struct net *n, struct net_stats *s);
/*
 * Stops watching the backend, closes it and frees the device (NULL is fine). The loop must no
 * longer run callbacks, as at VM teardown.
 */
void net__destroy(void *n);

/*
 * Checks a transmitted frame's header against the negotiated features and the frame's length
 * (without the header), and clears what the backend must not see (receive-only flags,
 * num_buffers). Exposed for unit tests and fuzzing.
 */
int net__check_tx_hdr(uint64_t features, struct virtio_net_hdr_mrg_rxbuf *h, uint64_t frame_len,
		      struct err **err);

#endif
