/*
 * virtio-net, the device: features, config space, the backend fd on the event loop, the link
 * state, activation and reset. Frames move in net_rx.c and net_tx.c.
 *
 * Threads and locking: everything runs under dev->lock, taken by the transport around each op
 * (register accesses from vCPU threads, kicks from the loop) and by on_backend() here. The
 * loop watches the fd only for what the device can use now: EPOLLIN while the guest has rx
 * buffers, EPOLLOUT while a tx frame waits for room, so a full backend or an empty rx queue
 * never makes the loop spin.
 */
#include "net_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/le.h"
#include "../../lib/log.h"
#include "../../vmm/loop.h"

_Static_assert(sizeof(struct virtio_net_hdr_mrg_rxbuf) == NET_HDR_LEN, "virtio net header");

/* Config space up to mtu (5.1.4); speed, duplex and RSS belong to features we do not offer. */
#define NET_CONFIG_SIZE offsetof(struct virtio_net_config, speed)

/* What a tap can take from the guest and hand to it, when asked (TUNSETOFFLOAD). */
#define NET_OFFLOADS                                                                     \
	(FEATURE(VIRTIO_NET_F_CSUM) | FEATURE(VIRTIO_NET_F_GUEST_CSUM) |                 \
	 FEATURE(VIRTIO_NET_F_HOST_TSO4) | FEATURE(VIRTIO_NET_F_HOST_TSO6) |             \
	 FEATURE(VIRTIO_NET_F_HOST_ECN) | FEATURE(VIRTIO_NET_F_GUEST_TSO4) |             \
	 FEATURE(VIRTIO_NET_F_GUEST_TSO6) | FEATURE(VIRTIO_NET_F_GUEST_ECN))

static struct net *to_net(struct virtio_dev *dev)
{
	return dev->priv;
}

bool net_running(const struct net *n)
{
	return n->running && !n->dev.needs_reset;
}

void net_watch(struct net *n)
{
	uint32_t ev = 0;

	if (!n->watched)
		return;
	if (net_running(n)) {
		if (!n->rx_starved && n->dev.queues[NET_QUEUE_RX].ready)
			ev |= EPOLLIN;
		if (n->tx_blocked)
			ev |= EPOLLOUT;
	}
	if (ev != n->events && loop__modify(n->loop, n->fd, ev) == 0)
		n->events = ev;
}

/*
 * Taken off the loop rather than paused: epoll reports a hang-up whatever the events asked
 * for, so a dead socket left on it would wake the loop for ever.
 */
void net_backend_gone(struct net *n, const char *why)
{
	if (n->backend_gone)
		return;
	pr_warn("virtio-net: backend %s; frames are dropped from now on", why);
	n->backend_gone = true;
	n->tx_blocked = false;
	n->rx_len = 0;
	if (n->watched)
		loop__del(n->loop, n->fd);
	n->watched = false;
	n->events = 0;
}

static void on_backend(void *opaque, uint32_t events)
{
	struct net *n = opaque;

	pthread_mutex_lock(&n->dev.lock);
	if (!n->watched)
		goto out;
	if (events & EPOLLOUT) {
		n->tx_blocked = false;
		net_process_tx(n);
	}
	/* A hang-up with frames still queued: take what the guest has room for first. */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		net_process_rx(n);
	if (events & (EPOLLHUP | EPOLLERR))
		net_backend_gone(n, "hung up");
	net_watch(n);
out:
	pthread_mutex_unlock(&n->dev.lock);
}

static void net_queue_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct net *n = to_net(dev);

	if (queue == NET_QUEUE_TX && !n->tx_blocked) {
		net_process_tx(n);
	} else if (queue == NET_QUEUE_RX) {
		/* Fresh buffers: a frame held back for want of them goes first. */
		n->rx_starved = false;
		net_process_rx(n);
	}
	net_watch(n);
}

static uint64_t net_features(struct virtio_dev *dev)
{
	uint64_t f = FEATURE(VIRTIO_NET_F_MAC) | FEATURE(VIRTIO_NET_F_STATUS) |
		     FEATURE(VIRTIO_NET_F_MTU) | FEATURE(VIRTIO_NET_F_MRG_RXBUF);

	/* Only a tap turns offloads into real segmentation and checksums on the host. */
	return to_net(dev)->tap ? f | NET_OFFLOADS : f;
}

static void net_get_config(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	memcpy(data, (uint8_t *)&to_net(dev)->cfg + offset, len);
}

/*
 * What the tap may hand us, from what the guest said it can take. The kernel refuses TSO
 * without checksum offload and ECN without TSO, so a driver that skipped a dependency gets
 * less, never an error.
 */
static unsigned int tap_offloads(uint64_t f)
{
	unsigned int o;

	if (!(f & FEATURE(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	o = TUN_F_CSUM;
	if (f & FEATURE(VIRTIO_NET_F_GUEST_TSO4))
		o |= TUN_F_TSO4;
	if (f & FEATURE(VIRTIO_NET_F_GUEST_TSO6))
		o |= TUN_F_TSO6;
	if ((o & (TUN_F_TSO4 | TUN_F_TSO6)) && (f & FEATURE(VIRTIO_NET_F_GUEST_ECN)))
		o |= TUN_F_TSO_ECN;
	return o;
}

static int net_activate(struct virtio_dev *dev, struct err **err)
{
	struct net *n = to_net(dev);
	unsigned int off = tap_offloads(dev->acked_features);

	/* Set every time, none included: a previous driver may have asked for more. */
	if (n->tap && !n->backend_gone && ioctl(n->fd, TUNSETOFFLOAD, off) < 0)
		return err_errno(err, "virtio-net: TUNSETOFFLOAD %#x", off);
	n->rx_starved = false;
	n->tx_blocked = false;
	n->running = true;
	net_watch(n);
	return 0;
}

/* Called with dev->lock held: once it returns, nothing reads or writes guest memory. */
static void net_reset(struct virtio_dev *dev)
{
	struct net *n = to_net(dev);

	n->running = false;
	n->rx_len = 0;
	n->rx_starved = false;
	n->tx_blocked = false;
	net_watch(n);
	/* Until the next driver says what it takes, the tap hands us plain frames only. */
	if (n->tap && !n->backend_gone && ioctl(n->fd, TUNSETOFFLOAD, 0) < 0)
		pr_debug("virtio-net: TUNSETOFFLOAD 0: %s", strerror(errno));
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = NET_QUEUE_SIZE,
	.features = net_features,
	.config_size = NET_CONFIG_SIZE,
	.get_config = net_get_config,
	.activate = net_activate,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

void net__set_link(struct net *n, bool up)
{
	uint16_t status = up ? VIRTIO_NET_S_LINK_UP : 0;

	pthread_mutex_lock(&n->dev.lock);
	if (le__to_cpu16(n->cfg.status) != status) {
		n->cfg.status = le__from_cpu16(status);
		if (n->running && n->dev.irq.notify_config)
			n->dev.irq.notify_config(n->dev.irq.ctx);
	}
	pthread_mutex_unlock(&n->dev.lock);
}

void net__stats(struct net *n, struct net_stats *s)
{
	pthread_mutex_lock(&n->dev.lock);
	*s = n->stats;
	pthread_mutex_unlock(&n->dev.lock);
}

/* A tap without the 12-byte header would have every frame misread by both sides. */
static int check_tap(int fd, struct err **err)
{
	struct ifreq ifr = { 0 };
	int hdr = 0;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return err_errno(err, "virtio-net: backend is not a tap");
	if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI) ||
	    !(ifr.ifr_flags & IFF_VNET_HDR))
		return err_msg(err, "virtio-net: tap %.*s lacks IFF_TAP, IFF_NO_PI or IFF_VNET_HDR",
			       IFNAMSIZ, ifr.ifr_name);
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr) < 0)
		return err_errno(err, "virtio-net: TUNGETVNETHDRSZ");
	if (hdr != NET_HDR_LEN)
		return err_msg(err, "virtio-net: tap %.*s has a %d-byte vnet header, not %u",
			       IFNAMSIZ, ifr.ifr_name, hdr, NET_HDR_LEN);
	return 0;
}

static int check_opts(const struct net_opts *o, uint16_t mtu, struct err **err)
{
	static const uint8_t zero[6];

	if (o->fd < 0)
		return err_msg(err, "virtio-net: no backend file descriptor");
	/* A multicast source address is invalid on Ethernet; all zeroes is no address at all. */
	if ((o->mac[0] & 1) || !memcmp(o->mac, zero, sizeof(zero)))
		return err_msg(err, "virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x is not unicast",
			       o->mac[0], o->mac[1], o->mac[2], o->mac[3], o->mac[4], o->mac[5]);
	if (mtu < NET_MIN_MTU)
		return err_msg(err, "virtio-net: MTU %u is below %u", mtu, NET_MIN_MTU);
	if (o->tap)
		return check_tap(o->fd, err);
	return 0;
}

int net__create(struct net **out, struct loop *loop, const struct net_opts *o, struct err **err)
{
	_cleanup_close_ int fd = o->fd;
	uint16_t mtu = o->mtu ? o->mtu : NET_DEFAULT_MTU;
	struct net *n;
	int flags;

	*out = NULL;
	if (check_opts(o, mtu, err) < 0)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return err_errno(err, "virtio-net: make the backend non-blocking");
	n = calloc(1, sizeof(*n));
	if (!n)
		return err_errno(err, "allocate the virtio-net device");
	pthread_mutex_init(&n->dev.lock, NULL);
	n->dev.ops = &net_ops;
	n->dev.priv = n;
	n->loop = loop;
	n->tap = o->tap;
	n->fd = TAKE_FD(fd);
	memcpy(n->cfg.mac, o->mac, sizeof(n->cfg.mac));
	n->cfg.status = le__from_cpu16(o->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	n->cfg.max_virtqueue_pairs = le__from_cpu16(1);
	n->cfg.mtu = le__from_cpu16(mtu);
	n->rx_buf = malloc(NET_BUF_MAX + 1);
	if (!n->rx_buf) {
		err_errno(err, "allocate the virtio-net receive buffer");
		net__destroy(n);
		return -1;
	}
	/* Watched for nothing until the driver is ready; hang-ups still come through. */
	if (loop__add(loop, n->fd, 0, on_backend, n, err) < 0) {
		net__destroy(n);
		return err_prefix(err, "virtio-net");
	}
	n->watched = true;
	*out = n;
	return 0;
}

struct virtio_dev *net__dev(struct net *n)
{
	return &n->dev;
}

void net__destroy(void *p)
{
	struct net *n = p;

	if (!n)
		return;
	if (n->watched)
		loop__del(n->loop, n->fd);
	if (n->fd >= 0)
		close(n->fd);
	free(n->rx_buf);
	pthread_mutex_destroy(&n->dev.lock);
	free(n);
}
