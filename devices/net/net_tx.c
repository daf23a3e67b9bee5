/*
 * virtio-net transmit (virtio 1.2, 5.1.6.2): each tx chain is one frame behind its header,
 * written to the backend with one writev straight from guest memory. Malformed chains are
 * dropped and returned, so a guest bug costs its frame, never the device; a full backend
 * holds the chain until EPOLLOUT.
 */
#include "net_int.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "../../lib/wire/iov.h"
#include "../../lib/wire/le.h"
#include "../../lib/log.h"

int net__check_tx_hdr(uint64_t features, struct virtio_net_hdr_mrg_rxbuf *h, uint64_t frame_len,
		      struct err **err)
{
	struct virtio_net_hdr *v = &h->hdr;
	uint8_t gso = v->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	uint64_t need;

	/* DATA_VALID means nothing on transmit, but Linux 4.9 sets it: cleared, not refused. */
	v->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->num_buffers = 0;
	if (v->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint64_t start = le__to_cpu16(v->csum_start), off = le__to_cpu16(v->csum_offset);

		if (!(features & FEATURE(VIRTIO_NET_F_CSUM)))
			return err_msg(err, "partial checksum without VIRTIO_NET_F_CSUM");
		if (start + off + 2 > frame_len)
			return err_msg(err, "checksum at %llu+%llu is outside the %llu-byte frame",
				       (unsigned long long)start, (unsigned long long)off,
				       (unsigned long long)frame_len);
	}
	if (v->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	need = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? FEATURE(VIRTIO_NET_F_HOST_TSO4) :
	       gso == VIRTIO_NET_HDR_GSO_TCPV6 ? FEATURE(VIRTIO_NET_F_HOST_TSO6) : 0;
	if (!need)
		return err_msg(err, "segmentation type %#x is not one we offer", v->gso_type);
	if (v->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		need |= FEATURE(VIRTIO_NET_F_HOST_ECN);
	if ((features & need) != need)
		return err_msg(err, "segmentation type %#x was not negotiated", v->gso_type);
	if (!v->gso_size)
		return err_msg(err, "segmentation with a segment size of 0");
	return 0;
}

/*
 * Checks a chain and lays out n->tx_iov: the checked copy of the header, then the frame's
 * segments in guest memory. The header is read once, so a guest rewriting it after the check
 * cannot get an unchecked one to the backend. Returns the iovec count, or -1.
 */
static int tx_prepare(struct net *n, const struct virtq_chain *c, struct err **err)
{
	if (c->n_in)
		return err_msg(err, "tx chain has device-writable descriptors");
	if (c->out_len < NET_HDR_LEN)
		return err_msg(err, "tx chain of %llu bytes is shorter than the %u-byte header",
			       (unsigned long long)c->out_len, NET_HDR_LEN);
	if (c->out_len > NET_BUF_MAX)
		return err_msg(err, "tx chain of %llu bytes is larger than %u",
			       (unsigned long long)c->out_len, NET_BUF_MAX);
	iov__to_buf(c->out, c->n_out, 0, &n->tx_hdr, NET_HDR_LEN);
	if (net__check_tx_hdr(n->dev.acked_features, &n->tx_hdr, c->out_len - NET_HDR_LEN, err) < 0)
		return -1;
	n->tx_iov[0] = (struct iovec){ .iov_base = &n->tx_hdr, .iov_len = NET_HDR_LEN };
	return 1 + iov__slice(c->out, c->n_out, NET_HDR_LEN, c->out_len - NET_HDR_LEN,
			      n->tx_iov + 1);
}

/* Sends one chain: 1 when it is done with (sent or dropped), 0 when the backend is full. */
static int tx_one(struct net *n, const struct virtq_chain *c)
{
	_cleanup_err_ struct err *err = NULL;
	int k = tx_prepare(n, c, &err);
	ssize_t w;

	if (k < 0) {
		pr_debug("virtio-net: dropping a malformed tx frame: %s", err->msg);
		n->stats.tx_drops++;
		return 1;
	}
	if (n->backend_gone) {
		n->stats.tx_drops++;
		return 1;
	}
	do
		w = writev(n->fd, n->tx_iov, k);
	while (w < 0 && errno == EINTR);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (w < 0) {
		/* A tap whose interface is down says EIO; a header the kernel refuses, EINVAL. */
		pr_debug("virtio-net: backend refused a tx frame: %s", strerror(errno));
		n->stats.tx_drops++;
		return 1;
	}
	n->stats.tx_packets++;
	n->stats.tx_bytes += c->out_len - NET_HDR_LEN;
	return 1;
}

void net_process_tx(struct net *n)
{
	struct virtq *q = &n->dev.queues[NET_QUEUE_TX];
	_cleanup_err_ struct err *err = NULL;
	bool pushed = false;

	if (!net_running(n) || !q->ready)
		return;
	for (;;) {
		int r = virtq__pop(q, &n->tx_chain, &err);

		if (r < 0) {
			virtio__fail(&n->dev, err->msg);
			break;
		}
		if (r == 0)
			break;
		if (!tx_one(n, &n->tx_chain)) {
			/* Taken again, and checked again, once the backend has room. */
			virtq__unpop(q);
			n->tx_blocked = true;
			break;
		}
		/* Transmit buffers are only read: nothing was written into them (5.1.6.2). */
		virtq__push(q, n->tx_chain.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio__notify_used(&n->dev, NET_QUEUE_TX);
}
