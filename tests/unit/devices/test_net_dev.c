/*
 * The virtio-net device driven by a model guest: real rings in guest memory, one end of a
 * SOCK_SEQPACKET socketpair as the backend (it keeps frame boundaries, like a tap), the event
 * loop run on this thread. Checks features and config space, frames both ways with their
 * headers (one rx buffer or several merged), that the backend is not watched while the guest
 * has no rx buffers or the backend no room, malformed tx chains, reset, and a hung-up backend.
 * A real tap, in a network namespace of our own, checks offloads when this runs as root.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/net/net.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "lib/log.h"
#include "vmm/gmem.h"
#include "vmm/loop.h"
#include "tests/model/guest_ring.h"
#include "tests/unit/tap.h"

#define QSIZE 64
#define RX 0
#define TX 1
#define RX_AREA 0x100000ull		/* rx buffer of descriptor d at RX_AREA + d * 64 KiB */
#define TX_AREA 0x500000ull		/* tx data, allocated in turn */
#define TX_AREA_SIZE 0x200000ull
#define HDR NET_HDR_LEN
#define BASE_FEATURES                                                                   \
	(FEATURE(VIRTIO_F_VERSION_1) | FEATURE(VIRTIO_NET_F_MAC) | FEATURE(VIRTIO_NET_F_STATUS) | \
	 FEATURE(VIRTIO_NET_F_MTU))
#define MRG FEATURE(VIRTIO_NET_F_MRG_RXBUF)

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct gmem mem;
static struct loop loop;
static struct net *net;
static struct virtio_dev *dev;
static int peer = -1;		/* the host's end of the backend */
static unsigned int irqs, config_irqs;
static uint64_t tx_next;

/* The model guest's view of each queue. */
static struct guest_ring ring[2];

static uint64_t q_base(unsigned int q) { return 0x10000ull * (q + 1); }

static void *gp(uint64_t gpa, uint64_t len)
{
	return gmem__ptr(&mem, gpa, len);
}

static void count_config_irq(void *ctx)
{
	(void)ctx;
	config_irqs++;
}

static struct net_stats stats(void)
{
	struct net_stats s;

	net__stats(net, &s);
	return s;
}

/* The driver's calls on this file's device and rings, by short names. */
static void kick(unsigned int q)
{
	guest_dev__kick(dev, q);
}

static bool needs_reset(void)
{
	return guest_dev__needs_reset(dev);
}

static void stop(void)
{
	guest_dev__reset(dev);
}

static bool take_used(unsigned int q, struct vring_used_elem *e)
{
	return guest_ring__take_used(&ring[q], e);
}

static uint16_t used_idx(unsigned int q)
{
	return guest_ring__used_idx(&ring[q]);
}

/* Offers count rx buffers of len bytes each (one descriptor each), without a kick. */
static void add_rx(unsigned int count, uint32_t len)
{
	for (unsigned int i = 0; i < count; i++) {
		struct guest_buf b = { RX_AREA + 0x10000ull * ring[RX].next_desc, len, true };

		guest_ring__add(&ring[RX], &b, 1);
	}
}

/* The guest address of the buffer an rx used element names. */
static uint64_t rx_addr(uint32_t id)
{
	return guest_ring__get_desc(&ring[RX], id).addr;
}

/*
 * Receives one frame as a merging driver does: the first used buffer's header says how many
 * buffers follow. Copies header and frame into out; returns the bytes, -1 when none is used.
 */
static int recv_frame(uint8_t *out, size_t size, uint16_t *nbufs, uint32_t *first_id)
{
	struct virtio_net_hdr_mrg_rxbuf h;
	struct vring_used_elem e;
	size_t got = 0;

	if (!take_used(RX, &e))
		return -1;
	memcpy(&h, gp(rx_addr(e.id), HDR), HDR);
	*nbufs = le16toh(h.num_buffers);
	if (first_id)
		*first_id = e.id;
	for (unsigned int i = 0; i < *nbufs; i++) {
		if (i && !take_used(RX, &e))
			return -1;
		if (got + e.len > size)
			return -1;
		memcpy(out + got, gp(rx_addr(e.id), e.len), e.len);
		got += e.len;
	}
	return got;
}

/* Puts len bytes into the tx area and returns their guest address. */
static uint64_t tx_data(const void *data, size_t len)
{
	uint64_t gpa;

	if (tx_next + len > TX_AREA + TX_AREA_SIZE)
		tx_next = TX_AREA;
	gpa = tx_next;
	tx_next += (len + 15) & ~15ull;
	if (data)
		memcpy(gp(gpa, len), data, len);
	return gpa;
}

/* Makes a frame of len bytes (header included) available on the tx queue, without a kick. */
static void post_tx(const void *frame, size_t len)
{
	struct guest_buf b = { tx_data(frame, len), len, false };

	guest_ring__add(&ring[TX], &b, 1);
}

/* Serves backend events until none come for a while; a loop that keeps firing is a failure. */
static void settle(void)
{
	int n, total = 0;

	while ((n = loop__run_once(&loop, 50)) > 0) {
		total += n;
		if (total > 1000) {
			CHECK(0, "the loop keeps firing: something watched cannot progress");
			return;
		}
	}
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed * 101 + 7);
}

/* A frame as the backend carries it: a header (flags 0) and len bytes of pattern. */
static size_t make_frame(uint8_t *buf, size_t len, unsigned int seed)
{
	memset(buf, 0, HDR);
	fill(buf + HDR, len, seed);
	return HDR + len;
}

/* Fresh, empty rings, as a driver sets them up before DRIVER_OK. */
static void new_rings(void)
{
	for (unsigned int q = 0; q < 2; q++)
		guest_ring__init(&ring[q], &mem, QSIZE, q_base(q));
}

/* DRIVER_OK with the rings as they are (buffers may be posted already). */
static int start_keep_rings(uint64_t features)
{
	struct err *err = NULL;
	int r = guest_dev__start(dev, ring, 2, features, &err);

	if (r < 0) {
		CHECK(0, "activate: %s", err ? err->msg : "?");
		err_free(&err);
	}
	return r;
}

static int start(uint64_t features)
{
	new_rings();
	return start_keep_rings(features);
}

static bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static void test_create_errors(void)
{
	struct net_opts o = { .link_up = true };
	struct net *n = NULL;
	struct err *err = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		CHECK(0, "socketpair: %s", strerror(errno));
		return;
	}
	memcpy(o.mac, mac, sizeof(mac));
	o.mac[0] |= 1;
	o.fd = sv[0];
	CHECK(net__create(&n, &loop, &o, &err) < 0 && !n && fd_closed(sv[0]),
	      "a multicast MAC is refused, and the fd closed: %s", err ? err->msg : "");
	err_free(&err);
	memcpy(o.mac, mac, sizeof(mac));
	o.mtu = 67;
	o.fd = dup(sv[1]);
	CHECK(net__create(&n, &loop, &o, &err) < 0 && !n && fd_closed(o.fd),
	      "an MTU of 67 is refused: %s", err ? err->msg : "");
	err_free(&err);
	o.mtu = 0;
	o.tap = true;
	o.fd = sv[1];
	CHECK(net__create(&n, &loop, &o, &err) < 0 && !n && fd_closed(sv[1]),
	      "tap set on a socket is refused: %s", err ? err->msg : "");
	err_free(&err);
}

static void test_config(void)
{
	struct virtio_net_config c;
	uint64_t f = dev->ops->features(dev);
	uint64_t offloads = FEATURE(VIRTIO_NET_F_CSUM) | FEATURE(VIRTIO_NET_F_GUEST_CSUM) |
			    FEATURE(VIRTIO_NET_F_HOST_TSO4) | FEATURE(VIRTIO_NET_F_HOST_TSO6) |
			    FEATURE(VIRTIO_NET_F_HOST_ECN) | FEATURE(VIRTIO_NET_F_GUEST_TSO4) |
			    FEATURE(VIRTIO_NET_F_GUEST_TSO6) | FEATURE(VIRTIO_NET_F_GUEST_ECN);

	CHECK(dev->ops->device_id == 1 && dev->ops->num_queues == 2, "network device, two queues");
	CHECK(f == (FEATURE(VIRTIO_NET_F_MAC) | FEATURE(VIRTIO_NET_F_STATUS) |
		    FEATURE(VIRTIO_NET_F_MTU) | FEATURE(VIRTIO_NET_F_MRG_RXBUF)) && !(f & offloads),
	      "a socket backend offers MAC, STATUS, MTU, MRG_RXBUF and no offloads (0x%llx)",
	      (unsigned long long)f);
	CHECK(dev->ops->config_size == 12, "config space is mac, status, pairs, mtu (%u bytes)",
	      dev->ops->config_size);
	memset(&c, 0xee, sizeof(c));
	dev->ops->get_config(dev, 0, &c, dev->ops->config_size);
	CHECK(!memcmp(c.mac, mac, 6), "config mac %02x:..:%02x", c.mac[0], c.mac[5]);
	CHECK(le16toh(c.status) == VIRTIO_NET_S_LINK_UP, "config status LINK_UP");
	CHECK(le16toh(c.mtu) == 1500, "config mtu defaults to 1500 (%u)", le16toh(c.mtu));
	uint8_t mtu[2];

	dev->ops->get_config(dev, 10, mtu, 2);
	CHECK(mtu[0] == (1500 & 0xff) && mtu[1] == 1500 >> 8, "mtu read alone at offset 10");
}

static void test_link(void)
{
	struct virtio_net_config c;
	unsigned int before = config_irqs;

	net__set_link(net, false);
	dev->ops->get_config(dev, 0, &c, dev->ops->config_size);
	CHECK(c.status == 0 && config_irqs == before + 1,
	      "link down: status 0, a config interrupt");
	net__set_link(net, false);
	CHECK(config_irqs == before + 1, "setting it down again interrupts nobody");
	net__set_link(net, true);
	dev->ops->get_config(dev, 0, &c, dev->ops->config_size);
	CHECK(le16toh(c.status) == VIRTIO_NET_S_LINK_UP && config_irqs == before + 2,
	      "link up again: LINK_UP, another config interrupt");
}

/* What the peer reads next, or -1 when nothing is waiting. */
static ssize_t peer_recv(uint8_t *buf, size_t len)
{
	return recv(peer, buf, len, MSG_DONTWAIT);
}

static void test_tx(void)
{
	static uint8_t frame[HDR + 1500], got[NET_BUF_MAX];
	struct virtio_net_hdr_mrg_rxbuf h;
	struct vring_used_elem e;
	unsigned int before = irqs;
	struct net_stats s0 = stats(), s1;
	ssize_t n;
	uint64_t a;

	make_frame(frame, 1500, 1);
	post_tx(frame, sizeof(frame));
	kick(TX);
	n = peer_recv(got, sizeof(got));
	CHECK(n == (ssize_t)sizeof(frame) && !memcmp(got, frame, n),
	      "a frame in one descriptor arrives whole with its header (%zd bytes)", n);
	CHECK(take_used(TX, &e) && e.len == 0 && irqs == before + 1,
	      "the chain comes back used, len 0, with an interrupt");

	/* Header split over two descriptors, the frame over three; receive-only bits set. */
	make_frame(frame, 1500, 2);
	h = (struct virtio_net_hdr_mrg_rxbuf){ .hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID,
					       .num_buffers = htole16(7) };
	memcpy(frame, &h, HDR);
	a = tx_data(frame, sizeof(frame));
	struct guest_buf split[] = { { a, 5, false }, { a + 5, 7, false }, { a + 12, 100, false },
				     { a + 112, 1000, false }, { a + 1112, 400, false } };

	guest_ring__add(&ring[TX], split, 5);
	kick(TX);
	n = peer_recv(got, sizeof(got));
	memcpy(&h, got, HDR);
	CHECK(n == (ssize_t)sizeof(frame) && !memcmp(got + HDR, frame + HDR, 1500),
	      "a header and frame cut in five segments arrive as one frame (%zd bytes)", n);
	CHECK(h.hdr.flags == 0 && h.num_buffers == 0,
	      "DATA_VALID and num_buffers are cleared on the way out");
	CHECK(take_used(TX, &e) && e.len == 0, "that chain is used too");
	s1 = stats();
	CHECK(s1.tx_packets == s0.tx_packets + 2 && s1.tx_bytes == s0.tx_bytes + 3000 &&
		      s1.tx_drops == s0.tx_drops,
	      "stats: 2 packets, 3000 bytes, no drops");
}

/* Posts one malformed chain, checks it is returned and nothing reaches the backend. */
static void tx_refused(const struct guest_buf *segs, unsigned int n, const char *what)
{
	uint8_t got[64];
	struct vring_used_elem e;
	struct net_stats s0 = stats();
	uint16_t head = guest_ring__add(&ring[TX], segs, n);

	kick(TX);
	CHECK(take_used(TX, &e) && e.id == head && e.len == 0 && peer_recv(got, sizeof(got)) < 0 &&
		      stats().tx_drops == s0.tx_drops + 1 && !needs_reset(),
	      "%s: dropped, chain returned, device still fine", what);
}

static void test_tx_malformed(void)
{
	static uint8_t frame[HDR + 100], got[256];
	uint64_t a = tx_data(NULL, 80000);
	struct virtio_net_hdr_mrg_rxbuf h = { 0 };

	memset(gp(a, 80000), 0, 80000);
	tx_refused((struct guest_buf[]){ { a, 8, false } }, 1, "an 8-byte chain");
	tx_refused((struct guest_buf[]){ { a, 0, false } }, 1, "an empty chain");
	tx_refused((struct guest_buf[]){ { a, HDR, false }, { a + HDR, 100, true } }, 2,
		   "a tx chain with a device-writable descriptor");
	tx_refused((struct guest_buf[]){ { a, 70000, false } }, 1, "a 70000-byte frame");
	tx_refused((struct guest_buf[]){ { a, 40000, false }, { a + 40000, 40000, false } }, 2,
		   "an 80000-byte frame in two descriptors");
	h.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memcpy(gp(a, HDR), &h, HDR);
	tx_refused((struct guest_buf[]){ { a, HDR + 100, false } }, 1,
		   "a partial checksum without VIRTIO_NET_F_CSUM");
	h = (struct virtio_net_hdr_mrg_rxbuf){ .hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					       .hdr.gso_size = htole16(1448) };
	memcpy(gp(a, HDR), &h, HDR);
	tx_refused((struct guest_buf[]){ { a, HDR + 100, false } }, 1,
		   "TSO without VIRTIO_NET_F_HOST_TSO4");

	make_frame(frame, 100, 3);
	post_tx(frame, sizeof(frame));
	kick(TX);
	CHECK(peer_recv(got, sizeof(got)) == sizeof(frame) && !memcmp(got, frame, sizeof(frame)),
	      "the next good frame goes out");
	struct vring_used_elem e;

	CHECK(take_used(TX, &e), "and comes back used");
}

static void test_tx_hdr_check(void)
{
	uint64_t all = FEATURE(VIRTIO_NET_F_CSUM) | FEATURE(VIRTIO_NET_F_HOST_TSO4) |
		       FEATURE(VIRTIO_NET_F_HOST_TSO6) | FEATURE(VIRTIO_NET_F_HOST_ECN);
	struct virtio_net_hdr_mrg_rxbuf h = {
		.hdr = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			 .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
			 .gso_size = htole16(1440), .csum_start = htole16(54),
			 .csum_offset = htole16(16) } };
	struct virtio_net_hdr_mrg_rxbuf g = h;

	CHECK(net__check_tx_hdr(all, &g, 2000, NULL) == 0,
	      "TSO6 with ECN and a checksum, all negotiated");
	g = h;
	CHECK(net__check_tx_hdr(all & ~FEATURE(VIRTIO_NET_F_HOST_ECN), &g, 2000, NULL) < 0,
	      "ECN without HOST_ECN is refused");
	g = h;
	CHECK(net__check_tx_hdr(all, &g, 71, NULL) < 0, "a checksum field past the frame: refused");
	g = h;
	CHECK(net__check_tx_hdr(all, &g, 72, NULL) == 0, "one ending with the frame is not");
	g = h;
	g.hdr.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	CHECK(net__check_tx_hdr(all, &g, 2000, NULL) < 0, "UFO, never offered, is refused");
	g = h;
	g.hdr.gso_size = 0;
	CHECK(net__check_tx_hdr(all, &g, 2000, NULL) < 0, "a segment size of 0 is refused");
}

static void test_rx_one_buffer(void)
{
	static uint8_t frame[HDR + 1000], got[NET_BUF_MAX];
	unsigned int before = irqs;
	struct net_stats s0 = stats();
	uint16_t nb = 0;
	int n;

	add_rx(8, 2048);
	kick(RX);
	make_frame(frame, 1000, 4);
	CHECK(send(peer, frame, sizeof(frame), 0) == sizeof(frame), "host sends a 1000-byte frame");
	settle();
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == (int)sizeof(frame) && nb == 1 && !memcmp(got + HDR, frame + HDR, 1000),
	      "it lands in one rx buffer, num_buffers 1 (%d bytes)", n);
	CHECK(irqs == before + 1, "with one interrupt");
	CHECK(stats().rx_packets == s0.rx_packets + 1 && stats().rx_bytes == s0.rx_bytes + 1000,
	      "stats: one packet, 1000 bytes");
}

static void test_rx_merged(void)
{
	static uint8_t frame[HDR + 5000], big[NET_BUF_MAX + 1], got[NET_BUF_MAX];
	struct vring_used_elem e;
	uint16_t used0 = used_idx(RX), nb = 0;
	int n;

	make_frame(frame, 5000, 5);
	CHECK(send(peer, frame, sizeof(frame), 0) == sizeof(frame), "host sends a 5000-byte frame");
	settle();
	CHECK(used_idx(RX) == used0 + 3, "it takes three 2 KiB buffers");
	/* Check each buffer's length as the device reported it. */
	uint16_t save = ring[RX].used_seen;

	CHECK(take_used(RX, &e) && e.len == 2048 && take_used(RX, &e) && e.len == 2048 &&
		      take_used(RX, &e) && e.len == HDR + 5000 - 4096,
	      "lengths 2048, 2048, %u", HDR + 5000 - 4096);
	ring[RX].used_seen = save;
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == (int)sizeof(frame) && nb == 3 && !memcmp(got + HDR, frame + HDR, 5000),
	      "num_buffers 3 in the first header, the frame whole across them (%d bytes)", n);

	/* The largest frame there is: the 2 KiB buffers left come first, then one of 64 KiB. */
	unsigned int left = (uint16_t)(ring[RX].avail_idx - used_idx(RX));

	add_rx(2, 0x10000);
	kick(RX);
	make_frame(big, NET_FRAME_MAX, 6);
	CHECK(send(peer, big, NET_BUF_MAX, 0) == NET_BUF_MAX, "host sends a %u-byte frame",
	      NET_FRAME_MAX);
	settle();
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == NET_BUF_MAX && nb == left + 1 && !memcmp(got + HDR, big + HDR, NET_FRAME_MAX),
	      "it fills the %u buffers of 2 KiB left and one of 64 KiB (num_buffers %u)", left, nb);

	/* One byte too many, or too short for a header: dropped, nothing used. */
	struct net_stats s0 = stats();

	used0 = used_idx(RX);
	CHECK(send(peer, big, sizeof(big), 0) == sizeof(big) &&
		      send(peer, big, HDR - 1, 0) == HDR - 1,
	      "host sends a %zu-byte frame and an %u-byte one", sizeof(big), HDR - 1);
	settle();
	CHECK(stats().rx_drops == s0.rx_drops + 2 && used_idx(RX) == used0,
	      "both are dropped, no buffer used");
}

/* Three frames behind one event: delivered together, with one interrupt. */
static void test_rx_batch(void)
{
	static uint8_t frame[HDR + 300], got[NET_BUF_MAX];
	unsigned int before, ok = 0;
	uint16_t nb;

	add_rx(8, 2048);
	kick(RX);
	before = irqs;
	for (unsigned int i = 0; i < 3; i++) {
		make_frame(frame, 300, 10 + i);
		send(peer, frame, sizeof(frame), 0);
	}
	settle();
	for (unsigned int i = 0; i < 3; i++) {
		make_frame(frame, 300, 10 + i);
		ok += recv_frame(got, sizeof(got), &nb, NULL) == (int)sizeof(frame) &&
		      !memcmp(got + HDR, frame + HDR, 300);
	}
	CHECK(ok == 3, "three frames arrive in order");
	CHECK(irqs == before + 1, "with one interrupt for the three (%u)", irqs - before);
}

/* Uses up the rx buffers the guest posted, as frames from the host. */
static void drain_rx_buffers(void)
{
	static uint8_t frame[HDR + 60], got[NET_BUF_MAX];
	uint16_t nb;

	make_frame(frame, 60, 20);
	while ((uint16_t)(ring[RX].avail_idx - used_idx(RX))) {
		send(peer, frame, sizeof(frame), 0);
		settle();
	}
	while (recv_frame(got, sizeof(got), &nb, NULL) > 0)
		;
}

static void test_rx_starved(void)
{
	static uint8_t frame[HDR + 5000], got[NET_BUF_MAX];
	uint16_t nb = 0;
	int n;

	drain_rx_buffers();
	make_frame(frame, 1000, 21);
	send(peer, frame, HDR + 1000, 0);
	settle();
	CHECK(loop__run_once(&loop, 100) == 0, "no rx buffers: the backend is not watched");
	add_rx(1, 2048);
	kick(RX);
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == HDR + 1000 && nb == 1 && !memcmp(got + HDR, frame + HDR, 1000),
	      "a kick with one buffer delivers the waiting frame at once (%d bytes)", n);

	/* A merged frame short of buffers waits whole, without the loop spinning. */
	make_frame(frame, 5000, 22);
	add_rx(1, 2048);
	kick(RX);
	send(peer, frame, sizeof(frame), 0);
	settle();
	CHECK(used_idx(RX) == ring[RX].used_seen && loop__run_once(&loop, 100) == 0,
	      "a 5000-byte frame with one 2 KiB buffer waits, nothing used, backend not watched");
	add_rx(2, 2048);
	kick(RX);
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == (int)sizeof(frame) && nb == 3 && !memcmp(got + HDR, frame + HDR, 5000),
	      "two more buffers and a kick: it arrives in three (num_buffers %u)", nb);
	add_rx(4, 2048);
	kick(RX);
	send(peer, frame, HDR + 100, 0);
	settle();
	CHECK(recv_frame(got, sizeof(got), &nb, NULL) == HDR + 100, "and receive goes on");
}

/* Without MRG_RXBUF: one buffer per frame, and a frame too big for it is dropped. */
static void test_rx_no_merge(void)
{
	static uint8_t frame[HDR + 3000], got[NET_BUF_MAX];
	struct net_stats s0;
	uint32_t id1 = 0, id2 = 1;
	uint16_t nb = 0;
	int n;

	stop();
	if (start(BASE_FEATURES) < 0)
		return;
	add_rx(2, 2048);
	kick(RX);
	make_frame(frame, 1000, 30);
	send(peer, frame, HDR + 1000, 0);
	settle();
	n = recv_frame(got, sizeof(got), &nb, &id1);
	CHECK(n == HDR + 1000 && nb == 1 && !memcmp(got + HDR, frame + HDR, 1000),
	      "without MRG_RXBUF a frame fills one buffer, num_buffers 1");
	s0 = stats();
	make_frame(frame, 3000, 31);
	send(peer, frame, sizeof(frame), 0);
	make_frame(frame, 500, 32);
	send(peer, frame, HDR + 500, 0);
	settle();
	n = recv_frame(got, sizeof(got), &nb, &id2);
	CHECK(stats().rx_drops == s0.rx_drops + 1,
	      "a 3000-byte frame for a 2 KiB buffer is dropped");
	CHECK(n == HDR + 500 && !memcmp(got + HDR, frame + HDR, 500) && id2 == id1 + 1,
	      "the buffer it skipped takes the next frame");
	CHECK(used_idx(RX) == ring[RX].used_seen, "and nothing else was used");
}

static void test_rx_bad_buffer(void)
{
	static uint8_t frame[HDR + 100];
	struct guest_buf bad[] = { { RX_AREA, 16, false }, { RX_AREA + 16, 2048, true } };

	add_rx(1, 2048);
	guest_ring__add(&ring[RX], bad, 2);
	kick(RX);
	make_frame(frame, 100, 40);
	send(peer, frame, sizeof(frame), 0);
	send(peer, frame, sizeof(frame), 0);
	settle();
	CHECK(needs_reset(), "an rx chain with a device-readable part marks the device broken");
	CHECK(loop__run_once(&loop, 100) == 0, "and the backend is no longer watched");
}

static void test_reset(void)
{
	static uint8_t frame[HDR + 200], got[NET_BUF_MAX], ring[0x3000];
	uint16_t nb;

	stop();
	while (recv(peer, got, sizeof(got), MSG_DONTWAIT) > 0)
		;
	if (start(BASE_FEATURES | MRG) < 0)
		return;
	add_rx(4, 2048);
	kick(RX);
	stop();
	memcpy(ring, gp(q_base(RX), sizeof(ring)), sizeof(ring));
	make_frame(frame, 200, 50);
	send(peer, frame, sizeof(frame), 0);
	CHECK(loop__run_once(&loop, 100) == 0 &&
		      !memcmp(ring, gp(q_base(RX), sizeof(ring)), sizeof(ring)),
	      "after reset the backend is not watched and guest memory stays untouched");
	new_rings();
	/* Buffers posted before DRIVER_OK come without a kick: activation alone watches. */
	add_rx(4, 2048);
	if (start_keep_rings(BASE_FEATURES | MRG) < 0)
		return;
	settle();
	CHECK(recv_frame(got, sizeof(got), &nb, NULL) == (int)sizeof(frame) &&
		      !memcmp(got + HDR, frame + HDR, 200),
	      "a fresh driver, buffers posted before activation, gets the frame that waited");
}

/* A merged frame bigger than the whole ring can hold is dropped rather than waited for. */
static void test_rx_ring_too_small(void)
{
	static uint8_t frame[HDR + 5000], got[NET_BUF_MAX];
	struct net_stats s0;
	uint16_t nb = 0, used0;
	int n;

	stop();
	if (start(BASE_FEATURES | MRG) < 0)
		return;
	add_rx(QSIZE, 64);
	kick(RX);
	s0 = stats();
	used0 = used_idx(RX);
	make_frame(frame, 5000, 55);
	send(peer, frame, sizeof(frame), 0);
	settle();
	CHECK(stats().rx_drops == s0.rx_drops + 1 && used_idx(RX) == used0,
	      "a 5000-byte frame for a ring of %u 64-byte buffers is dropped, nothing used", QSIZE);
	make_frame(frame, 100, 56);
	send(peer, frame, HDR + 100, 0);
	settle();
	n = recv_frame(got, sizeof(got), &nb, NULL);
	CHECK(n == HDR + 100 && nb == 2 && !memcmp(got + HDR, frame + HDR, 100),
	      "the next frame takes two of those buffers (num_buffers %u)", nb);
}

/* A backend without room: tx waits for EPOLLOUT, keeps order, and does not spin. */
static void test_tx_backpressure(void)
{
	static uint8_t frame[HDR + 1000], got[NET_BUF_MAX];
	unsigned int sent = 0, ok = 0, rounds = 0;

	for (unsigned int i = 0; i < 32; i++) {
		make_frame(frame, 1000, 60 + i);
		post_tx(frame, sizeof(frame));
	}
	kick(TX);
	sent = used_idx(TX) - ring[TX].used_seen;
	CHECK(sent < 32, "a small socket buffer takes %u of 32 frames", sent);
	CHECK(loop__run_once(&loop, 100) == 0, "the device waits for room without spinning");
	for (unsigned int i = 0; i < 32 && rounds < 200; rounds++) {
		ssize_t n = peer_recv(got, sizeof(got));

		if (n < 0) {
			settle();
			continue;
		}
		make_frame(frame, 1000, 60 + i);
		ok += n == (ssize_t)sizeof(frame) && !memcmp(got, frame, n);
		i++;
	}
	CHECK(ok == 32, "as the host reads, all 32 arrive, in order (%u)", ok);
	struct vring_used_elem e;
	unsigned int used = 0;

	while (take_used(TX, &e))
		used++;
	CHECK(used == 32, "and all 32 chains come back (%u)", used);
}

static void test_hangup(void)
{
	static uint8_t frame[HDR + 100];
	struct vring_used_elem e;
	struct net_stats s0 = stats();

	close(peer);
	peer = -1;
	settle();
	CHECK(loop__run_once(&loop, 100) == 0, "a hung-up backend leaves the loop quiet");
	make_frame(frame, 100, 70);
	post_tx(frame, sizeof(frame));
	kick(TX);
	CHECK(take_used(TX, &e) && stats().tx_drops == s0.tx_drops + 1 && !needs_reset(),
	      "a frame sent after it is dropped and returned");
}

/* Opens a tap as kage will: no packet info, a 12-byte vnet header unless plain is set. */
static int open_tap(bool plain)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | (plain ? 0 : IFF_VNET_HDR) };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), hdr = HDR;

	if (fd < 0)
		return -1;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (!plain && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In a network namespace of our own, so no host interface ever sees the tap. */
static void test_tap(void)
{
	struct net_opts o = { .link_up = true };
	struct err *err = NULL;
	struct net *t = NULL;
	int fd;

	if (unshare(CLONE_NEWNET) < 0 || (fd = open_tap(false)) < 0) {
		CHECK(1, "# SKIP tap: no network namespace or tap of our own: %s", strerror(errno));
		return;
	}
	memcpy(o.mac, mac, sizeof(mac));
	o.fd = fd;
	o.tap = true;
	if (net__create(&t, &loop, &o, &err) < 0) {
		CHECK(0, "tap device: %s", err->msg);
		err_free(&err);
		return;
	}
	struct virtio_dev *d = net__dev(t);
	uint64_t f = d->ops->features(d);
	uint64_t all = FEATURE(VIRTIO_NET_F_CSUM) | FEATURE(VIRTIO_NET_F_GUEST_CSUM) |
		       FEATURE(VIRTIO_NET_F_HOST_TSO4) | FEATURE(VIRTIO_NET_F_HOST_TSO6) |
		       FEATURE(VIRTIO_NET_F_HOST_ECN) | FEATURE(VIRTIO_NET_F_GUEST_TSO4) |
		       FEATURE(VIRTIO_NET_F_GUEST_TSO6) | FEATURE(VIRTIO_NET_F_GUEST_ECN);

	CHECK((f & all) == all && (f & MRG), "a tap backend offers every offload (0x%llx)",
	      (unsigned long long)f);
	pthread_mutex_lock(&d->lock);
	d->acked_features = BASE_FEATURES | all;
	int r1 = d->ops->activate(d, &err);

	d->ops->reset(d);
	/* TSO without the checksum it depends on: the tap is asked for less, not refused. */
	d->acked_features = BASE_FEATURES | FEATURE(VIRTIO_NET_F_GUEST_TSO4) |
			    FEATURE(VIRTIO_NET_F_GUEST_ECN);
	int r2 = r1 < 0 ? -1 : d->ops->activate(d, &err);

	d->ops->reset(d);
	pthread_mutex_unlock(&d->lock);
	CHECK(r1 == 0 && r2 == 0, "activation sets the tap's offloads from the guest's (%s)",
	      err ? err->msg : "ok");
	err_free(&err);
	net__destroy(t);

	fd = open_tap(true);
	o.fd = fd;
	t = NULL;
	CHECK(fd >= 0 && net__create(&t, &loop, &o, &err) < 0 && !t,
	      "a tap without IFF_VNET_HDR is refused: %s", err ? err->msg : "");
	err_free(&err);
}

int main(void)
{
	struct net_opts o = { .link_up = true };
	struct err *err = NULL;
	int sv[2], small = 4096;

	log__set_level(LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);	/* a lost wakeup shows up as a blocked read: fail rather than hang */
	if (gmem__add(&mem, 0, 8 << 20, &err) < 0 || loop__init(&loop, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	test_create_errors();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "socketpair: %s\n", strerror(errno));
		return 1;
	}
	/* Room for a few frames only, so tx meets a full backend (the kernel doubles it). */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	peer = sv[1];
	memcpy(o.mac, mac, sizeof(mac));
	o.fd = sv[0];
	if (net__create(&net, &loop, &o, &err) < 0) {
		fprintf(stderr, "net__create: %s\n", err->msg);
		return 1;
	}
	dev = net__dev(net);
	dev->mem = &mem;
	dev->irq.notify_queue = guest_dev__count_irq;
	dev->irq.ctx = &irqs;
	dev->irq.notify_config = count_config_irq;
	tx_next = TX_AREA;

	test_config();
	if (start(BASE_FEATURES | MRG) < 0)
		return 1;
	test_link();
	test_tx();
	test_tx_malformed();
	test_tx_hdr_check();
	test_rx_one_buffer();
	test_rx_merged();
	test_rx_batch();
	test_rx_starved();
	test_rx_no_merge();
	test_rx_bad_buffer();
	test_reset();
	test_rx_ring_too_small();
	test_tx_backpressure();
	test_hangup();
	net__destroy(net);
	test_tap();

	loop__destroy(&loop);
	gmem__free(&mem);
	return tap_done();
}
