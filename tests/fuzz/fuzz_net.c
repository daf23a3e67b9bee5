// sources: devices/net/net.c devices/net/net_rx.c devices/net/net_tx.c devices/virtio/queue.c lib/wire/iov.c devices/virtio/virtio.c vmm/loop.c lib/thread_role.c vmm/gmem.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c -lpthread
/*
 * virtio-net driven by a hostile guest: the input gives descriptor chains for both queues
 * (any direction, length and address, rings included), the bytes of guest memory, and the
 * sizes of three frames the host sends. The device transmits what the tx ring holds and
 * receives into what the rx ring offers. What reaches the backend must be a checked frame,
 * and the counters must match what moved. Raw, malformed rings are fuzz_virtq's business.
 */
#include <endian.h>
#include <linux/virtio_net.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/net/net.h"
#include "lib/log.h"
#include "vmm/gmem.h"
#include "vmm/loop.h"
#include "tests/model/guest_ring.h"
#include "fuzz.h"

/* Two adjacent 32 KiB regions at gpa 0: a buffer across the seam must be refused. */
#define REGION 0x8000u
#define MEM_SIZE (2 * REGION)
#define HDR 9	/* queue size, features, three frame sizes, descriptor count */
#define FRAMES 3
#define DESC_REC 5	/* flags, address (2 bytes), length (2 bytes) */
#define DATA_GPA 0x1000	/* where the input's leftover bytes go: headers and frames to send */

/* Header byte 1: what the driver negotiated. */
#define F_MRG 0x01
#define F_EVENT_IDX 0x02
#define F_INDIRECT 0x04
#define F_OFFLOADS 0x08

/* Descriptor record flags. */
#define D_TX 0x01
#define D_WRITE 0x02
#define D_MORE 0x04	/* the chain goes on with the queue's next record */
#define D_BIG 0x08	/* length times 16: frames past 64 KiB */
#define D_INDIRECT 0x10	/* a table of descriptors, from the input's guest memory */

static struct gmem mem;
static struct loop loop;
static uint8_t frame[NET_BUF_MAX + 64], got[NET_BUF_MAX + 64];

static void init_once(void)
{
	static int done;

	if (done)
		return;
	if (gmem__add(&mem, 0, REGION, NULL) < 0 || gmem__add(&mem, REGION, REGION, NULL) < 0 ||
	    loop__init(&loop, NULL) < 0)
		abort();
	/* virtio__fail() logs; keep the fuzzer's output readable and fast. */
	log__init("/dev/null", LOG_TEXT, LOG_ERROR, NULL);
	signal(SIGPIPE, SIG_IGN);
	done = 1;
}

/*
 * The model guest's rings: both avail rings first, so that short inputs already reach their
 * indexes, then the used rings and the descriptor tables, each with room for 64 entries;
 * buffers go anywhere. Per queue also the head of the chain being laid, if one is open.
 */
static struct guest_ring ring[2];
static uint16_t head[2];
static bool open_chain[2];

static void place_rings(unsigned int qsize, uint8_t flags)
{
	for (unsigned int i = 0; i < 2; i++) {
		guest_ring__place(&ring[i], &mem, qsize, 0x520 + 0x400ull * i, 0x88ull * i,
				  0x110 + 0x208ull * i);
		ring[i].event_idx = flags & F_EVENT_IDX;
		ring[i].indirect = flags & F_INDIRECT;
	}
	memset(open_chain, 0, sizeof(open_chain));
}

/*
 * Appends one descriptor, any address, length and flags, to its queue's table; a record
 * without D_MORE makes the chain available. Descriptors are not reused: a full table ends it.
 */
static void add_desc(struct virtio_dev *dev, const uint8_t *rec)
{
	unsigned int qi = rec[0] & D_TX;
	struct guest_ring *r = &ring[qi];
	uint16_t d = r->next_desc;
	bool more = (rec[0] & D_MORE) && d + 1u < r->size;
	uint16_t flags = (rec[0] & D_WRITE ? VRING_DESC_F_WRITE : 0) |
			 (rec[0] & D_INDIRECT ? VRING_DESC_F_INDIRECT : 0) |
			 (more ? VRING_DESC_F_NEXT : 0);

	if (!dev->queues[qi].ready || d >= r->size)
		return;
	if (!open_chain[qi])
		head[qi] = d;
	guest_ring__set_desc(r, r->desc, d, rec[1] | rec[2] << 8,
			     (rec[3] | rec[4] << 8) * (rec[0] & D_BIG ? 16u : 1u), flags, d + 1);
	r->next_desc++;
	open_chain[qi] = more;
	if (!more)
		guest_ring__publish(r, head[qi]);
}

/* After the descriptor records, the input is guest memory from DATA_GPA on. */
static void fill_memory(const uint8_t *src, size_t len)
{
	for (uint64_t gpa = DATA_GPA; len && gpa < MEM_SIZE;) {
		uint64_t n = REGION - gpa % REGION;	/* a write may not cross a region */

		if (n > len)
			n = len;
		gmem__write(&mem, gpa, src, n);
		gpa += n;
		src += n;
		len -= n;
	}
}

/* Every frame the backend got passed the header check: the counters say how many. */
static void check_sent(struct net *n, int peer, uint64_t features)
{
	uint64_t frames = 0, bytes = 0;
	struct net_stats s;
	ssize_t len;

	while ((len = recv(peer, got, sizeof(got), MSG_DONTWAIT)) >= 0) {
		struct virtio_net_hdr_mrg_rxbuf h;

		ASSERT(len >= NET_HDR_LEN && len <= NET_BUF_MAX);
		memcpy(&h, got, NET_HDR_LEN);
		ASSERT(!(h.hdr.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) && !h.num_buffers);
		ASSERT(!(h.hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
		       (features & FEATURE(VIRTIO_NET_F_CSUM)));
		ASSERT(h.hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE || h.hdr.gso_size);
		frames++;
		bytes += len - NET_HDR_LEN;
	}
	net__stats(n, &s);
	ASSERT(s.tx_packets == frames && s.tx_bytes == bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = FEATURE(VIRTIO_F_VERSION_1) | FEATURE(VIRTIO_NET_F_MAC);
	struct net_opts o = { .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .link_up = true };
	unsigned int sent = 0;
	struct virtio_dev *dev;
	size_t recs;
	struct net_stats s;
	struct net *n;
	int sv[2];

	if (size < HDR)
		return 0;
	init_once();
	memset(mem.regions[0].host, 0, REGION);
	memset(mem.regions[1].host, 0, REGION);
	recs = (size - HDR) / DESC_REC;
	if (recs > data[8])
		recs = data[8];
	fill_memory(data + HDR + recs * DESC_REC, size - HDR - recs * DESC_REC);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	o.fd = sv[0];
	if (net__create(&n, &loop, &o, NULL) < 0)
		abort();
	dev = net__dev(n);
	dev->mem = &mem;
	if (data[1] & F_MRG)
		features |= FEATURE(VIRTIO_NET_F_MRG_RXBUF);
	/* Not offered on a socket, but the checks must hold whatever was negotiated. */
	if (data[1] & F_OFFLOADS)
		features |= FEATURE(VIRTIO_NET_F_CSUM) | FEATURE(VIRTIO_NET_F_HOST_TSO4) |
			    FEATURE(VIRTIO_NET_F_HOST_TSO6) | FEATURE(VIRTIO_NET_F_HOST_ECN);
	place_rings(1u << (data[0] % 7), data[1]);
	guest_dev__start(dev, ring, 2, features, NULL);
	for (size_t r = 0; r < recs; r++)
		add_desc(dev, data + HDR + r * DESC_REC);

	guest_dev__kick(dev, 1);
	check_sent(n, sv[1], features);

	/* Frames from the host: any size, up to past the largest a guest can take. */
	for (unsigned int i = 0; i < FRAMES; i++) {
		size_t len = (data[2 + 2 * i] | data[3 + 2 * i] << 8) * 17u % sizeof(frame);

		memset(frame, 0, NET_HDR_LEN);
		memset(frame + NET_HDR_LEN, 0x5a, sizeof(frame) - NET_HDR_LEN);
		if (len && send(sv[1], frame, len, MSG_DONTWAIT) == (ssize_t)len)
			sent++;
	}
	guest_dev__kick(dev, 0);
	net__stats(n, &s);
	ASSERT(s.rx_packets + s.rx_drops <= sent);
	ASSERT(s.rx_bytes <= (uint64_t)s.rx_packets * NET_FRAME_MAX);

	guest_dev__reset(dev);
	net__destroy(n);
	close(sv[1]);
	return 0;
}
