// sources: devices/vsock/vsock.c devices/vsock/vsock_host.c devices/virtio/queue.c lib/wire/iov.c devices/virtio/virtio.c vmm/loop.c vmm/gmem.c lib/err.c lib/log.c lib/io.c lib/thread_role.c
// libs: -ljson-c -lpthread
/*
 * The vsock connection table and credit accounting driven by a hostile guest and busy host
 * sockets: the input is a sequence of actions (guest packets of any op with fuzzer-chosen
 * ports, lengths, credit fields and corruptions; rx buffers; host connects, writes, reads,
 * shutdowns and closes; event loop rounds), run against a device as in test_vsock_dev.c, with
 * a model guest that takes every packet the device returns. Checked after each action: every
 * packet is a well-formed host packet; the data sent on a connection never exceeds the
 * credit the guest advertised (buf_alloc - (tx_cnt - fwd_cnt)) and matches the device's own
 * tx_cnt; buffered guest data stays within our buf_alloc; and after a device reset no
 * connection, loop handler or file descriptor is left behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/virtio_vsock.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/vsock/vsock_int.h"
#include "lib/log.h"
#include "vmm/gmem.h"
#include "vmm/loop.h"
#include "tests/model/guest_ring.h"
#include "fuzz.h"

#define GUEST_CID 3
#define QSIZE 16
#define RX 0
#define TX 1
#define HDR sizeof(struct virtio_vsock_hdr)
#define MEM_SIZE (2u << 20)
#define RX_BUF 0x10000u		/* + d * 0x1000: rx buffers, up to 4 KiB each */
#define TX_BUF 0x20000u		/* + d * 0x11000: one packet, up to 64 KiB of payload */
#define MAX_ACTIONS 64
#define MAX_SOCKS 12
#define MAX_PAIRS 32
#define HOST_PORTS 2		/* guest connections to host ports 1 and 2 reach a listener */

static struct gmem mem;
static struct loop loop;
static char dir[64], uds[96];
static int listeners[HOST_PORTS];
static int baseline_fds;
static uint8_t scratch[1 << 17];

/* The model guest: its rings, rx buffer sizes, the connections it has seen, the host's sockets. */
static struct guest_ring ring[3];
static uint32_t rx_len[QSIZE];

struct pair {
	uint32_t host_port, guest_port;
	uint32_t sent;		/* RW payload received during the current action */
};
static struct pair pairs[MAX_PAIRS];
static unsigned int npairs;
static int socks[MAX_SOCKS];
static unsigned int nsocks;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	snprintf(dir, sizeof(dir), "/tmp/kage-fuzz-vsock-XXXXXX");
	if (!mkdtemp(dir) || gmem__add(&mem, 0, MEM_SIZE, NULL) < 0)
		abort();
	snprintf(uds, sizeof(uds), "%s/v", dir);
	/* Host services on ports 1 and 2 ("<path>_<port>"), accepted after each action. */
	for (unsigned int i = 0; i < HOST_PORTS; i++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", uds, i + 1);
		listeners[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (listeners[i] < 0 || bind(listeners[i], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(listeners[i], 64) < 0)
			abort();
	}
	log__init("/dev/null", LOG_TEXT, LOG_ERROR, NULL);
	signal(SIGPIPE, SIG_IGN);
	done = true;
}

static uint64_t q_base(unsigned int q)
{
	return 0x4000ull * q;
}

/* Offers one buffer on queue q, at descriptor ring[q].next_desc; false when the ring is full. */
static bool offer(unsigned int q, uint64_t addr, uint32_t len, bool write)
{
	struct guest_buf b = { addr, len, write };

	if (!guest_ring__room(&ring[q]))
		return false;
	if (q == RX)
		rx_len[ring[q].next_desc] = len;
	guest_ring__add(&ring[q], &b, 1);
	return true;
}

static struct pair *find_pair(uint32_t host_port, uint32_t guest_port, bool add)
{
	for (unsigned int i = 0; i < npairs; i++)
		if (pairs[i].host_port == host_port && pairs[i].guest_port == guest_port)
			return &pairs[i];
	if (!add || npairs == MAX_PAIRS)
		return NULL;
	pairs[npairs] = (struct pair){ host_port, guest_port, 0 };
	return &pairs[npairs++];
}

/* The guest takes every used rx buffer: each must be a well-formed packet from the host. */
static void take_rx(void)
{
	struct guest_ring *r = &ring[RX];
	uint16_t idx = guest_ring__used_idx(r);
	struct vring_used_elem e;

	ASSERT((uint16_t)(idx - r->used_seen) <= (uint16_t)(r->avail_idx - r->used_seen));
	while (guest_ring__take_used(r, &e)) {
		struct virtio_vsock_hdr h;
		struct pair *p;

		/* The device uses rx buffers in order: this is the oldest one offered. */
		ASSERT(e.id == (uint16_t)(r->used_seen - 1) % QSIZE);
		ASSERT(e.len >= HDR && e.len <= rx_len[e.id]);
		gmem__read(&mem, RX_BUF + 0x1000ull * e.id, &h, HDR);
		ASSERT(h.src_cid == VSOCK_HOST_CID && h.dst_cid == GUEST_CID &&
		       h.type == VIRTIO_VSOCK_TYPE_STREAM && h.buf_alloc == VSOCK_BUF_ALLOC);
		ASSERT(h.op >= VIRTIO_VSOCK_OP_REQUEST && h.op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST);
		ASSERT(h.len == e.len - HDR && h.len <= VSOCK_MAX_PKT_PAYLOAD);
		ASSERT(h.op == VIRTIO_VSOCK_OP_RW ? h.len > 0 : h.len == 0);
		p = find_pair(h.src_port, h.dst_port, true);
		if (p && h.op == VIRTIO_VSOCK_OP_RW)
			p->sent += h.len;
	}
}

/* Guest connections to the host's services: the host side accepts and keeps the socket. */
static void accept_all(void)
{
	for (unsigned int i = 0; i < HOST_PORTS; i++) {
		int fd;

		while ((fd = accept4(listeners[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			if (nsocks < MAX_SOCKS)
				socks[nsocks++] = fd;
			else
				close(fd);
		}
	}
}

/* A guest packet from 9 bytes: op, ports, length (2), buf_alloc, fwd_cnt (2), flags, fill. */
static void guest_packet(struct vsock *v, const uint8_t *r)
{
	struct virtio_dev *dev = vsock__dev(v);
	struct virtio_vsock_hdr h = {
		.src_cid = GUEST_CID,
		.dst_cid = VSOCK_HOST_CID,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = r[0] % 8,
		.buf_alloc = (uint32_t)r[4] << 10,
		.flags = r[7] & 3,
	};
	uint32_t len = 0;
	uint64_t buf = TX_BUF + 0x11000ull * ring[TX].next_desc;

	/* Ports: a connection the guest has seen, or guest port 1024..1027 to host port 1..3. */
	if (r[1] < 0xc0 && npairs) {
		h.dst_port = pairs[r[1] % npairs].host_port;
		h.src_port = pairs[r[1] % npairs].guest_port;
	} else {
		h.dst_port = r[1] % 3 + 1;
		h.src_port = 1024 + (r[1] >> 2) % 4;
	}
	if (h.op == VIRTIO_VSOCK_OP_RW)
		len = (r[2] | r[3] << 8) % (8 * 1024 + 1);
	h.len = len;
	/* fwd_cnt: what the device sent on the connection, give or take. */
	h.fwd_cnt = (uint32_t)(r[5] | r[6] << 8);
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS && (r[7] & 4); i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->used && c->local_port == h.dst_port && c->peer_port == h.src_port)
			h.fwd_cnt = c->tx_cnt - (r[5] & 0x3f);
	}
	switch (r[7] >> 5) {	/* corruptions the parser must catch */
	case 1:
		h.src_cid = GUEST_CID + 1;
		break;
	case 2:
		h.type = 2;
		break;
	case 3:
		h.len = len + 1 + r[8];
		break;
	case 4:
		h.op = 8 + r[8] % 4;
		break;
	}
	memset(scratch, r[8], len);
	gmem__write(&mem, buf, &h, HDR);
	if (len)
		gmem__write(&mem, buf + HDR, scratch, len);
	/* Bits 3 and 4 of byte 7: a buffer cut short, inside the header or the payload. */
	if (!offer(TX, buf, HDR + len - ((r[7] & 0x18) == 0x18 ? HDR / 2 : 0), false))
		return;
	guest_dev__kick(dev, TX);
	/* The device returns every tx buffer at once. */
	ring[TX].used_seen = ring[TX].avail_idx;
}

/* The model's check of one action: per connection, data within credit and as counted. */
struct before {
	bool used;
	uint32_t local, peer, tx_cnt;
};

static void check_action(struct vsock *v, const struct before *b)
{
	unsigned int live = 0;

	ASSERT(v->ctrl_len <= VSOCK_MAX_PENDING_CTRL);
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		const struct vsock_conn *c = &v->conns[i];
		struct pair *p;

		if (!c->used)
			continue;
		live++;
		ASSERT(c->buf_len <= VSOCK_BUF_ALLOC && c->buf_head < VSOCK_BUF_ALLOC);
		ASSERT(c->state <= CONN_DRAINING);
		/* Only a connection waiting for the guest's RST has no socket. */
		ASSERT(c->fd >= 0 || c->state == CONN_CLOSING);
		p = find_pair(c->local_port, c->peer_port, false);
		if (!p || !p->sent)
			continue;
		/* Data goes out on established connections only. */
		ASSERT(c->state == CONN_ESTABLISHED || c->state == CONN_CLOSING ||
		       c->state == CONN_DRAINING);
		if (b[i].used && b[i].local == c->local_port && b[i].peer == c->peer_port) {
			uint32_t in_flight = b[i].tx_cnt - c->peer_fwd_cnt;
			uint32_t credit = in_flight >= c->peer_buf_alloc ? 0 :
					  c->peer_buf_alloc - in_flight;

			ASSERT(c->tx_cnt - b[i].tx_cnt == p->sent);
			ASSERT(p->sent <= credit);
		}
	}
	/* Every connection has a host socket the harness made (or one a guest made). */
	ASSERT(live <= MAX_SOCKS + 16);
	for (unsigned int i = 0; i < npairs; i++)
		pairs[i].sent = 0;
}

static void host_connect(struct vsock *v, const uint8_t *r)
{
	char line[40];
	int fd = -1, n;

	if (nsocks == MAX_SOCKS || vsock__connect_local(v, &fd, NULL) < 0)
		return;
	/* The harness never waits: a full or empty socket just ends the action. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		abort();
	socks[nsocks++] = fd;
	if (r[1] & 0x80)
		n = snprintf(line, sizeof(line), "CONNECT %u%s", r[1] & 3 ? 1024 + (r[1] & 3) : 0,
			     r[1] & 0x40 ? "\n" : "x\n");
	else
		n = snprintf(line, sizeof(line), "CONNECT %u\n", 1024 + r[1] % 4);
	if (write(fd, line, n) != n)
		abort();
}

static void host_write(const uint8_t *r)
{
	size_t len = (r[2] | r[3] << 8) % 16384 + 1;

	if (!nsocks)
		return;
	memset(scratch, r[3], len);
	if (write(socks[r[1] % nsocks], scratch, len) < 0)
		return;	/* full, or the device closed its end */
}

static void host_close(const uint8_t *r)
{
	unsigned int i;

	if (!nsocks)
		return;
	i = r[1] % nsocks;
	if (r[2] & 1) {
		shutdown(socks[i], r[2] & 2 ? SHUT_RD : SHUT_WR);
		return;
	}
	close(socks[i]);
	socks[i] = socks[--nsocks];
}

static void host_read(const uint8_t *r)
{
	if (nsocks)
		while (read(socks[r[1] % nsocks], scratch, sizeof(scratch)) > 0)
			;
}

static void add_rx(struct virtio_dev *dev, const uint8_t *r)
{
	uint32_t len = HDR + (uint32_t)r[2] * 16;

	if (len > 0x1000)
		len = 0x1000;
	for (unsigned int i = 0; i < r[1] % 8 + 1u; i++)
		if (!offer(RX, RX_BUF + 0x1000ull * ring[RX].next_desc, len, true))
			break;
	guest_dev__kick(dev, RX);
}

static void setup_queues(struct virtio_dev *dev)
{
	memset(rx_len, 0, sizeof(rx_len));
	for (unsigned int q = 0; q < 3; q++)
		guest_ring__init(&ring[q], &mem, QSIZE, q_base(q));
	if (guest_dev__start(dev, ring, 3, 0, NULL) < 0)
		abort();
}

#define REC 10	/* action byte, then up to 9 bytes of arguments */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct before b[VSOCK_MAX_CONNS];
	struct virtio_dev *dev;
	struct vsock *v = NULL;
	unsigned int handlers = 0;

	init_once();
	/* libFuzzer opens files of its own now and then: compare within one input. */
	baseline_fds = count_fds();
	/* A loop of its own each time: its handler table must be empty again at the end. */
	if (loop__init(&loop, NULL) < 0 || vsock__create(&v, &loop, GUEST_CID, uds, NULL) < 0)
		abort();
	dev = vsock__dev(v);
	dev->mem = &mem;
	setup_queues(dev);
	npairs = nsocks = 0;

	for (size_t i = 0, n = 0; i + REC <= size && n < MAX_ACTIONS; i += REC, n++) {
		const uint8_t *r = data + i;

		for (unsigned int k = 0; k < VSOCK_MAX_CONNS; k++)
			b[k] = (struct before){ v->conns[k].used, v->conns[k].local_port,
						v->conns[k].peer_port, v->conns[k].tx_cnt };
		switch (r[0] >> 5) {
		case 0:
		case 1:
			guest_packet(v, r + 1);
			break;
		case 2:
			add_rx(dev, r);
			break;
		case 3:
			host_connect(v, r);
			break;
		case 4:
			host_write(r);
			break;
		case 5:
			host_close(r);
			break;
		case 6:
			host_read(r);
			break;
		case 7:
			break;	/* just the loop round below */
		}
		/* Host socket events: what the device's loop thread would serve meanwhile. */
		for (int round = 0; round < 4 && loop__run_once(&loop, 0) > 0; round++)
			;
		accept_all();
		take_rx();
		check_action(v, b);
		if (dev->needs_reset)
			break;	/* a driver must reset the device now; the model stops here */
	}

	/* A reset drops every connection: nothing may stay behind. */
	guest_dev__reset(dev);
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		ASSERT(!v->conns[i].used && v->conns[i].fd < 0 && !v->conns[i].buf);
	for (unsigned int i = 0; i < LOOP_MAX_HANDLERS; i++)
		handlers += loop.handlers[i].fd >= 0;
	ASSERT(handlers == 1);	/* the device's own listening socket */
	vsock__destroy(v);
	loop__destroy(&loop);
	for (unsigned int i = 0; i < nsocks; i++)
		close(socks[i]);
	accept_all();
	for (unsigned int i = 0; i < nsocks; i++)
		close(socks[i]);
	nsocks = 0;
	ASSERT(count_fds() == baseline_fds);
	return 0;
}
