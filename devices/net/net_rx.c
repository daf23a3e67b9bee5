/*
 * virtio-net receive (virtio 1.2, 5.1.6.3-4): a frame is read whole from the backend into a
 * bounce buffer, then copied into the guest's rx buffers: as many as it needs with
 * MRG_RXBUF (their count goes into num_buffers), one that holds it all without. A frame
 * waits in the bounce buffer, and the backend is not read, while the guest has no room.
 *
 * The frame's header comes from the host side: a tap writes only the offloads TUNSETOFFLOAD
 * allowed, and a socket backend is the host's own. Only num_buffers is ours to set.
 */
#include "net_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/iov.h"
#include "../../lib/wire/le.h"
#include "../../lib/log.h"

#define NUM_BUFFERS offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers)

enum rx_result {
	RX_FAILED = -1,		/* the driver broke the queue: the device needs a reset */
	RX_WAIT,		/* not enough buffers yet; the frame stays */
	RX_DELIVERED,
	RX_DROPPED,		/* the frame can never fit the guest's buffers */
};

/*
 * Takes the next rx buffer: 1, 0 when there is none, -1 when the driver broke the queue. A
 * buffer must be device-writable and hold at least the header (5.1.6.3.1): anything else is
 * a driver bug, not something a frame can work around.
 */
static int rx_pop(struct net *n, struct virtq_chain *c)
{
	_cleanup_err_ struct err *err = NULL;
	int r = virtq__pop(&n->dev.queues[NET_QUEUE_RX], c, &err);

	if (r < 0) {
		virtio__fail(&n->dev, err->msg);
		return -1;
	}
	if (r == 0)
		return 0;
	if (c->n_out) {
		virtio__fail(&n->dev, "rx buffer has device-readable descriptors");
		return -1;
	}
	if (c->in_len < NET_HDR_LEN) {
		virtio__fail(&n->dev, "rx buffer is smaller than the header");
		return -1;
	}
	return 1;
}

/* Hands back buffers taken for a frame that is not delivered: the guest sees nothing used. */
static void rx_unpop(struct net *n, unsigned int count)
{
	while (count--)
		virtq__unpop(&n->dev.queues[NET_QUEUE_RX]);
}

/* Without MRG_RXBUF one buffer holds the whole frame, and num_buffers is 1 (5.1.6.4). */
static enum rx_result rx_single(struct net *n)
{
	struct virtq_chain *c = &n->rx_first;
	int r = rx_pop(n, c);

	if (r <= 0)
		return r < 0 ? RX_FAILED : RX_WAIT;
	if (c->in_len < n->rx_len) {
		/* The buffer stays for a smaller frame: drivers post one size, none bigger. */
		rx_unpop(n, 1);
		pr_debug("virtio-net: dropping a %u-byte frame: the rx buffer holds %llu",
			 n->rx_len, (unsigned long long)c->in_len);
		return RX_DROPPED;
	}
	le__store16(n->rx_buf + NUM_BUFFERS, 1);
	iov__from_buf(c->in, c->n_in, 0, n->rx_buf, n->rx_len);
	virtq__push(&n->dev.queues[NET_QUEUE_RX], c->head, n->rx_len);
	return RX_DELIVERED;
}

/*
 * With MRG_RXBUF the frame fills buffers in order, each as far as it goes (5.1.6.4.2); the
 * first one's header says how many. Nothing is used until the frame has all it needs, so a
 * shortage leaves the ring as it was. Holding every entry of the ring and still short, the
 * frame can never fit: waiting would stall receive for good.
 */
static enum rx_result rx_merged(struct net *n)
{
	struct virtq *q = &n->dev.queues[NET_QUEUE_RX];
	unsigned int k = 0;
	uint32_t off = 0;
	uint8_t count[2];

	while (off < n->rx_len) {
		struct virtq_chain *c = k ? &n->rx_next : &n->rx_first;
		uint32_t len;
		int r;

		if (k == q->size || k == ARRAY_SIZE(n->rx_heads)) {
			rx_unpop(n, k);
			pr_debug("virtio-net: dropping a %u-byte frame: the whole rx ring holds %u",
				 n->rx_len, off);
			return RX_DROPPED;
		}
		r = rx_pop(n, c);
		if (r <= 0) {
			rx_unpop(n, k);
			return r < 0 ? RX_FAILED : RX_WAIT;
		}
		len = c->in_len < n->rx_len - off ? c->in_len : n->rx_len - off;
		iov__from_buf(c->in, c->n_in, 0, n->rx_buf + off, len);
		n->rx_heads[k] = c->head;
		n->rx_used[k++] = len;
		off += len;
	}
	le__store16(count, k);
	iov__from_buf(n->rx_first.in, n->rx_first.n_in, NUM_BUFFERS, count, sizeof(count));
	for (unsigned int i = 0; i < k; i++)
		virtq__push(q, n->rx_heads[i], n->rx_used[i]);
	return RX_DELIVERED;
}

/*
 * Reads the next frame into rx_buf: 1 when the read consumed one (rx_len is 0 if it was not
 * fit to keep), 0 when there is none for now, -1 when the backend is gone. A tap and a
 * SOCK_SEQPACKET socket both cut a frame to the buffer and return what fit: one that fills
 * the spare byte was cut, and a cut frame is a corrupt one.
 */
static int rx_read(struct net *n)
{
	ssize_t r;

	do
		r = read(n->fd, n->rx_buf, NET_BUF_MAX + 1);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	/* A tap never reads 0; a socket does once its peer closed. */
	if (r <= 0) {
		net_backend_gone(n, r ? strerror(errno) : "closed");
		return -1;
	}
	if ((size_t)r < NET_HDR_LEN || (size_t)r > NET_BUF_MAX) {
		pr_debug("virtio-net: dropping a frame from the backend: %s",
			 r > NET_BUF_MAX ? "too big" : "shorter than its header");
		n->stats.rx_drops++;
		return 1;
	}
	n->rx_len = r;
	return 1;
}

void net_process_rx(struct net *n)
{
	struct virtq *q = &n->dev.queues[NET_QUEUE_RX];
	bool merge = n->dev.acked_features & FEATURE(VIRTIO_NET_F_MRG_RXBUF);
	bool pushed = false;

	if (!net_running(n) || !q->ready || n->backend_gone)
		return;
	for (unsigned int i = 0; i < NET_RX_BATCH; i++) {
		enum rx_result r;

		if (!n->rx_len) {
			/* Not read without a buffer to go to: the backend queues (or drops) it. */
			if (!virtq__has_avail(q)) {
				n->rx_starved = true;
				break;
			}
			if (rx_read(n) <= 0)
				break;
			if (!n->rx_len)
				continue;
		}
		r = merge ? rx_merged(n) : rx_single(n);
		if (r == RX_FAILED)
			break;
		if (r == RX_WAIT) {
			n->rx_starved = true;
			break;
		}
		if (r == RX_DROPPED) {
			n->stats.rx_drops++;
		} else {
			n->stats.rx_packets++;
			n->stats.rx_bytes += n->rx_len - NET_HDR_LEN;
			pushed = true;
		}
		n->rx_len = 0;
	}
	/* One interrupt for the batch, not one per frame. */
	if (pushed)
		virtio__notify_used(&n->dev, NET_QUEUE_RX);
}
