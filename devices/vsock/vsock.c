/*
 * virtio-vsock, the virtio side: the tx queue carries guest packets (parsed and checked here,
 * malformed ones answered with RST), the rx queue takes our control packets first and then
 * data from host sockets, within the guest's credit and the buffers it gave us.
 */
#include "vsock_int.h"

#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/wire/iov.h"
#include "../../lib/wire/le.h"
#include "../../lib/log.h"
#include "../../vmm/loop.h"

static const struct virtio_dev_ops vsock_ops;

static struct vsock *to_vsock(struct virtio_dev *dev)
{
	return dev->priv;
}

/*
 * The header as it goes on the wire, little-endian (5.10.6), from one in host order. Swapping
 * bytes (or not) is its own inverse, so the same turns a wire header into host order.
 */
static void hdr_to_wire(struct virtio_vsock_hdr *dst, const struct virtio_vsock_hdr *h)
{
	struct virtio_vsock_hdr w = {
		.src_cid = le__from_cpu64(h->src_cid),
		.dst_cid = le__from_cpu64(h->dst_cid),
		.src_port = le__from_cpu32(h->src_port),
		.dst_port = le__from_cpu32(h->dst_port),
		.len = le__from_cpu32(h->len),
		.type = le__from_cpu16(h->type),
		.op = le__from_cpu16(h->op),
		.flags = le__from_cpu32(h->flags),
		.buf_alloc = le__from_cpu32(h->buf_alloc),
		.fwd_cnt = le__from_cpu32(h->fwd_cnt),
	};

	*dst = w;
}

int vsock__parse(const struct virtq_chain *c, uint64_t guest_cid, struct virtio_vsock_hdr *hdr,
		 struct err **err)
{
	if (c->out_len < sizeof(*hdr))
		return err_msg(err, "packet shorter than its header (%llu bytes)",
			       (unsigned long long)c->out_len);
	iov__to_buf(c->out, c->n_out, 0, hdr, sizeof(*hdr));
	hdr_to_wire(hdr, hdr);	/* into host order: the same conversion */
	if (hdr->len > VSOCK_MAX_PKT_PAYLOAD || hdr->len > c->out_len - sizeof(*hdr))
		return err_msg(err, "payload length %u beyond the packet (%llu bytes)", hdr->len,
			       (unsigned long long)(c->out_len - sizeof(*hdr)));
	if (hdr->src_cid != guest_cid)
		return err_msg(err, "source CID %llu is not the guest's", (unsigned long long)hdr->src_cid);
	if (hdr->dst_cid != VSOCK_HOST_CID)
		return err_msg(err, "destination CID %llu is not the host", (unsigned long long)hdr->dst_cid);
	if (hdr->type != VIRTIO_VSOCK_TYPE_STREAM)
		return err_msg(err, "socket type %u (only streams)", hdr->type);
	if (hdr->op == VIRTIO_VSOCK_OP_INVALID || hdr->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return err_msg(err, "unknown operation %u", hdr->op);
	return 0;
}

static void fill_hdr(struct vsock *v, struct virtio_vsock_hdr *h, uint32_t local,
		     uint32_t peer, uint16_t op, uint32_t flags)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = VSOCK_HOST_CID;
	h->dst_cid = v->guest_cid;
	h->src_port = local;
	h->dst_port = peer;
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	h->op = op;
	h->flags = flags;
	h->buf_alloc = VSOCK_BUF_ALLOC;
}

static void queue_ctrl(struct vsock *v, const struct virtio_vsock_hdr *h)
{
	/* A guest that floods us and gives no rx buffers loses control packets, not memory. */
	if (v->ctrl_len == VSOCK_MAX_PENDING_CTRL) {
		pr_debug("vsock: control queue full, dropping op %u", h->op);
		return;
	}
	v->ctrl[(v->ctrl_head + v->ctrl_len++) % VSOCK_MAX_PENDING_CTRL].hdr = *h;
}

void vsock_send_ctrl(struct vsock *v, struct vsock_conn *c, uint16_t op, uint32_t flags)
{
	struct virtio_vsock_hdr h;

	fill_hdr(v, &h, c->local_port, c->peer_port, op, flags);
	h.fwd_cnt = c->fwd_cnt;
	c->fwd_cnt_told = c->fwd_cnt;
	queue_ctrl(v, &h);
}

void vsock_send_rst(struct vsock *v, uint32_t local_port, uint32_t peer_port)
{
	struct virtio_vsock_hdr h;

	fill_hdr(v, &h, local_port, peer_port, VIRTIO_VSOCK_OP_RST, 0);
	queue_ctrl(v, &h);
}

/* Puts one pending control packet into an rx chain; false when none is pending. */
static bool deliver_ctrl(struct vsock *v, struct virtq_chain *ch)
{
	struct virtio_vsock_hdr wire;
	struct vsock_conn *c;

	if (!v->ctrl_len)
		return false;
	struct virtio_vsock_hdr *h = &v->ctrl[v->ctrl_head].hdr;

	/* Credit figures go out as of now, not as of when the packet was queued. */
	c = vsock_conn_find(v, h->src_port, h->dst_port);
	if (c && h->op != VIRTIO_VSOCK_OP_RST) {
		h->fwd_cnt = c->fwd_cnt;
		c->fwd_cnt_told = c->fwd_cnt;
	}
	hdr_to_wire(&wire, h);
	iov__from_buf(ch->in, ch->n_in, 0, &wire, sizeof(wire));
	virtq__push(&v->dev.queues[VSOCK_QUEUE_RX], ch->head, sizeof(wire));
	v->ctrl_head = (v->ctrl_head + 1) % VSOCK_MAX_PENDING_CTRL;
	v->ctrl_len--;
	return true;
}

/* Puts data from some connection into an rx chain; false when nobody has anything. */
static bool deliver_data(struct vsock *v, struct virtq_chain *ch)
{
	/* Round robin, so one busy socket cannot starve the others. */
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[(v->rr_next + i) % VSOCK_MAX_CONNS];
		struct virtio_vsock_hdr h;

		if (!c->used || c->state != CONN_ESTABLISHED || !c->readable || c->host_eof ||
		    c->guest_no_recv)
			continue;
		uint32_t n = vsock_host_read(v, c, ch, sizeof(h));

		if (!n)
			continue;
		fill_hdr(v, &h, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RW, 0);
		h.len = n;
		h.fwd_cnt = c->fwd_cnt;
		c->fwd_cnt_told = c->fwd_cnt;
		c->tx_cnt += n;
		hdr_to_wire(&h, &h);
		iov__from_buf(ch->in, ch->n_in, 0, &h, sizeof(h));
		virtq__push(&v->dev.queues[VSOCK_QUEUE_RX], ch->head, sizeof(h) + n);
		v->rr_next = (v->rr_next + i + 1) % VSOCK_MAX_CONNS;
		return true;
	}
	return false;
}

void vsock_process_rx(struct vsock *v)
{
	struct virtq *q = &v->dev.queues[VSOCK_QUEUE_RX];
	_cleanup_err_ struct err *err = NULL;
	struct virtq_chain *ch;
	bool pushed = false;

	if (!v->dev.active || v->dev.needs_reset || !q->ready)
		return;
	ch = malloc(sizeof(*ch));
	if (!ch)
		return;
	v->rx_starved = false;
	for (;;) {
		int r = virtq__pop(q, ch, &err);

		if (r < 0) {
			virtio__fail(&v->dev, err->msg);
			break;
		}
		if (r == 0) {
			v->rx_starved = true;
			break;
		}
		if (ch->in_len < sizeof(struct virtio_vsock_hdr) || ch->n_out) {
			virtio__fail(&v->dev, "vsock: rx buffer too small or not writable");
			break;
		}
		/*
		 * Reading a socket can queue a control packet (its EOF becomes SHUTDOWN): send it
		 * now, since nothing else may call us again and the guest would wait for ever.
		 */
		if (!deliver_ctrl(v, ch) && !deliver_data(v, ch) && !deliver_ctrl(v, ch)) {
			virtq__unpop(q);
			break;
		}
		pushed = true;
	}
	free(ch);
	if (pushed)
		virtio__notify_used(&v->dev, VSOCK_QUEUE_RX);
}

static void handle_packet(struct vsock *v, const struct virtq_chain *ch,
			  const struct virtio_vsock_hdr *h)
{
	struct vsock_conn *c = vsock_conn_find(v, h->dst_port, h->src_port);

	if (h->op == VIRTIO_VSOCK_OP_REQUEST) {
		if (c)
			vsock_send_rst(v, h->dst_port, h->src_port);
		else
			vsock_guest_request(v, h);
		return;
	}
	if (!c) {
		/* Nothing to talk to; answering an RST with an RST would loop. */
		if (h->op != VIRTIO_VSOCK_OP_RST)
			vsock_send_rst(v, h->dst_port, h->src_port);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		vsock_guest_response(v, c);
		break;
	case VIRTIO_VSOCK_OP_RST:
		vsock_conn_drain(v, c);
		return;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		vsock_guest_shutdown(v, c, h->flags);
		return;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED) {
			vsock_send_rst(v, c->local_port, c->peer_port);
			vsock_conn_free(v, c);
			return;
		}
		vsock_guest_data(v, c, ch, h->len);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		vsock_send_ctrl(v, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
		break;
	}
	/* New credit from the guest may let a paused socket be read again. */
	if (c->used)
		vsock_conn_watch(v, c);
}

static void process_tx(struct vsock *v)
{
	struct virtq *q = &v->dev.queues[VSOCK_QUEUE_TX];
	_cleanup_err_ struct err *err = NULL;
	struct virtq_chain *ch = malloc(sizeof(*ch));
	bool pushed = false;

	if (!ch)
		return;
	for (;;) {
		struct virtio_vsock_hdr h;
		int r = virtq__pop(q, ch, &err);

		if (r < 0) {
			virtio__fail(&v->dev, err->msg);
			break;
		}
		if (r == 0)
			break;
		if (vsock__parse(ch, v->guest_cid, &h, &err) < 0) {
			pr_debug("vsock: bad packet from the guest: %s", err->msg);
			err_free(&err);
			/* A header we could read still names a connection to reset. */
			if (ch->out_len >= sizeof(h) && h.op != VIRTIO_VSOCK_OP_RST) {
				struct vsock_conn *c = vsock_conn_find(v, h.dst_port, h.src_port);

				vsock_send_rst(v, h.dst_port, h.src_port);
				if (c)
					vsock_conn_free(v, c);
			}
		} else {
			handle_packet(v, ch, &h);
		}
		virtq__push(q, ch->head, 0);
		pushed = true;
	}
	free(ch);
	if (pushed)
		virtio__notify_used(&v->dev, VSOCK_QUEUE_TX);
	vsock_process_rx(v);
}

static void vsock_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct vsock *v = to_vsock(dev);

	if (queue == VSOCK_QUEUE_TX) {
		process_tx(v);
	} else if (queue == VSOCK_QUEUE_RX) {
		vsock_process_rx(v);
		/* Fresh rx buffers: sockets paused for lack of them may be read again. */
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
			if (v->conns[i].used && v->conns[i].fd >= 0)
				vsock_conn_watch(v, &v->conns[i]);
	}
	/* The event queue only holds buffers for transport resets, which we never send. */
}

static uint64_t vsock_features(struct virtio_dev *dev)
{
	(void)dev;
	return 0;
}

static void vsock_get_config(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	uint8_t cid[sizeof(uint64_t)];	/* the config's one field, guest_cid: little-endian */

	le__store64(cid, to_vsock(dev)->guest_cid);
	memcpy(data, cid + offset, len);
}

static void vsock_reset(struct virtio_dev *dev)
{
	struct vsock *v = to_vsock(dev);

	vsock_host_reset(v);
	v->ctrl_len = v->ctrl_head = 0;
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.queue_max_size = 256,
	.features = vsock_features,
	.config_size = sizeof(uint64_t),
	.get_config = vsock_get_config,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
};

int vsock__create(struct vsock **out, struct loop *loop, uint64_t guest_cid,
		  const char *uds_path, struct err **err)
{
	struct vsock *v = calloc(1, sizeof(*v));

	if (!v)
		return err_errno(err, "allocate the vsock device");
	*out = v;
	pthread_mutex_init(&v->dev.lock, NULL);
	v->dev.ops = &vsock_ops;
	v->dev.priv = v;
	v->loop = loop;
	v->guest_cid = guest_cid;
	v->listen_fd = -1;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		v->conns[i].owner = v;
		v->conns[i].fd = -1;
	}
	v->next_port = 1u << 30;	/* above what guests use for their own listeners */
	if (guest_cid <= VSOCK_HOST_CID || guest_cid >= 0xffffffffULL)
		return err_msg(err, "vsock: guest CID %llu is reserved", (unsigned long long)guest_cid);
	if (uds_path) {
		v->uds_path = strdup(uds_path);
		if (!v->uds_path)
			return err_errno(err, "vsock");
		if (vsock_host_listen(v, err) < 0)
			return -1;
	}
	return 0;
}

struct virtio_dev *vsock__dev(struct vsock *v)
{
	return &v->dev;
}

void vsock__destroy(void *p)
{
	struct vsock *v = p;

	if (!v)
		return;
	vsock_host_reset(v);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->uds_path);
	}
	free(v->uds_path);
	pthread_mutex_destroy(&v->dev.lock);
	free(v);
}

void vsock__dump(struct vsock *v)
{
	static const char *const qnames[] = { "rx", "tx", "event" };
	char q[256];

	pthread_mutex_lock(&v->dev.lock);
	pr_warn("vsock: active %d needs_reset %d rx_starved %d ctrl pending %u", v->dev.active,
		v->dev.needs_reset, v->rx_starved, v->ctrl_len);
	for (unsigned int i = 0; i < 3; i++) {
		virtq__describe(&v->dev.queues[i], q, sizeof(q));
		pr_warn("vsock: %s queue: %s", qnames[i], q);
	}
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		const struct vsock_conn *c = &v->conns[i];

		if (!c->used)
			continue;
		pr_warn("vsock: conn %u->%u state %d fd %d events %#x buf_len %u credit %u "
			"(peer buf_alloc %u fwd_cnt %u, tx_cnt %u) fwd_cnt %u told %u%s%s%s%s%s%s",
			c->local_port, c->peer_port, c->state, c->fd, c->events, c->buf_len,
			vsock_peer_credit(c), c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt,
			c->fwd_cnt, c->fwd_cnt_told, c->readable ? " readable" : "",
			c->hup ? " hup" : "", c->unwatched ? " unwatched" : "",
			c->host_eof ? " host_eof" : "", c->guest_no_send ? " guest_no_send" : "",
			c->guest_no_recv ? " guest_no_recv" : "");
	}
	pthread_mutex_unlock(&v->dev.lock);
}
