/*
 * The vsock device driven end to end by a model guest: real rings in guest memory, a host
 * socket through vsock__connect_local, the event loop run on this thread. Checks the packet
 * sequences a Linux guest relies on: handshake, data then EOF in one go, credit limits,
 * guest data to the host, and RST on a malformed packet.
 */
#include <fcntl.h>
#include <linux/virtio_vsock.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "devices/vsock/vsock.h"
#include "lib/log.h"
#include "vmm/gmem.h"
#include "vmm/loop.h"
#include "tests/model/guest_ring.h"
#include "tests/unit/tap.h"

#define QSIZE 16
#define RX 0
#define TX 1
#define GUEST_CID 3
#define RX_BUF_LEN 4096
#define HDR sizeof(struct virtio_vsock_hdr)

static struct gmem mem;
static struct loop loop;
static struct vsock *vs;
static struct virtio_dev *dev;
static unsigned int irqs;

/* The model guest's view of each queue. */
static struct guest_ring ring[3];

static uint64_t q_base(unsigned int q) { return 0x10000ull * (q + 1); }
static uint64_t rx_buf(unsigned int d) { return 0x100000ull + d * 0x2000ull; }
static uint64_t tx_buf(unsigned int d) { return 0x200000ull + d * 0x11000ull; }

static void *gp(uint64_t gpa, uint64_t len)
{
	return gmem__ptr(&mem, gpa, len);
}

/* Offers up to n more rx buffers, as many as the ring has room for. */
static void add_rx(unsigned int n)
{
	unsigned int room = guest_ring__room(&ring[RX]);

	if (n > room)
		n = room;
	for (unsigned int i = 0; i < n; i++) {
		struct guest_buf b = { rx_buf(ring[RX].next_desc), RX_BUF_LEN, true };

		guest_ring__add(&ring[RX], &b, 1);
	}
	guest_dev__kick(dev, RX);
}

static struct virtio_vsock_hdr hdr(uint16_t op, uint32_t src, uint32_t dst, uint32_t len)
{
	return (struct virtio_vsock_hdr){ .src_cid = GUEST_CID, .dst_cid = VSOCK_HOST_CID,
					  .src_port = src, .dst_port = dst, .len = len,
					  .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op,
					  .buf_alloc = 256 * 1024 };
}

static void send_pkt(struct virtio_vsock_hdr h, const void *payload, uint32_t len)
{
	struct guest_buf b = { tx_buf(ring[TX].next_desc), HDR + len, false };

	memcpy(gp(b.gpa, HDR), &h, HDR);
	if (len)
		memcpy(gp(b.gpa + HDR, len), payload, len);
	guest_ring__add(&ring[TX], &b, 1);
	guest_dev__kick(dev, TX);
}

struct pkt {
	struct virtio_vsock_hdr h;
	uint8_t data[RX_BUF_LEN];
};

/* Takes the next used rx buffer; 0 when the device has returned none. */
static int recv_pkt(struct pkt *p)
{
	struct vring_used_elem e;

	if (!guest_ring__take_used(&ring[RX], &e))
		return 0;
	memcpy(&p->h, gp(rx_buf(e.id), HDR), HDR);
	if (e.len > HDR)
		memcpy(p->data, gp(rx_buf(e.id) + HDR, e.len - HDR), e.len - HDR);
	return 1;
}

/* Serves host-side events until none come for a while. */
static void settle(void)
{
	while (loop__run_once(&loop, 100) > 0)
		;
}

/* Connects a host socket to guest port `port`, answering as the guest; returns the fd. */
static int connect_to_guest(uint32_t port, uint32_t guest_buf_alloc, uint32_t *host_port)
{
	struct err *err = NULL;
	struct pkt p;
	char line[32] = { 0 };
	int fd = -1;

	if (vsock__connect_local(vs, &fd, &err) < 0) {
		CHECK(0, "connect_local: %s", err->msg);
		err_free(&err);
		return -1;
	}
	char connect[32];
	int n = snprintf(connect, sizeof(connect), "CONNECT %u\n", port);

	CHECK(write(fd, connect, n) == n, "host writes the CONNECT line");
	add_rx(2);
	settle();
	CHECK(recv_pkt(&p) && p.h.op == VIRTIO_VSOCK_OP_REQUEST && p.h.dst_port == port &&
		      p.h.dst_cid == GUEST_CID,
	      "guest gets REQUEST for port %u", port);
	*host_port = p.h.src_port;
	struct virtio_vsock_hdr r = hdr(VIRTIO_VSOCK_OP_RESPONSE, port, p.h.src_port, 0);

	r.buf_alloc = guest_buf_alloc;
	send_pkt(r, NULL, 0);
	n = read(fd, line, sizeof(line) - 1);
	CHECK(n > 3 && !strncmp(line, "OK ", 3), "host reads OK after RESPONSE ('%.*s')",
	      n > 0 ? n - 1 : 0, line);
	return fd;
}

/* The regression behind a lost stdin EOF: data and close in one go reach the guest whole. */
static void test_data_then_eof(void)
{
	uint8_t out[8192];
	uint32_t hp, got = 0;
	struct pkt p;
	int fd = connect_to_guest(1025, 256 * 1024, &hp);
	bool ok = true, shut = false;

	for (unsigned int i = 0; i < sizeof(out); i++)
		out[i] = i * 7;
	CHECK(write(fd, out, sizeof(out)) == sizeof(out), "host writes 8 KiB");
	close(fd);
	add_rx(6);
	settle();
	while (recv_pkt(&p)) {
		if (p.h.op == VIRTIO_VSOCK_OP_RW) {
			ok &= !shut && got + p.h.len <= sizeof(out) &&
			      !memcmp(p.data, out + got, p.h.len);
			got += p.h.len;
		} else if (p.h.op == VIRTIO_VSOCK_OP_SHUTDOWN) {
			shut = p.h.flags == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
		}
	}
	CHECK(ok && got == sizeof(out), "guest receives the 8 KiB in order (%u bytes)", got);
	CHECK(shut, "then SHUTDOWN both ways, without another event to prompt it");
	send_pkt(hdr(VIRTIO_VSOCK_OP_RST, 1025, hp, 0), NULL, 0);
	settle();
	CHECK(!recv_pkt(&p), "nothing more after the guest's RST");
}

/* Three rounds of rx buffers and host events; returns the data bytes the guest received. */
static uint32_t receive_rounds(void)
{
	struct pkt p;
	uint32_t got = 0;

	for (int round = 0; round < 3; round++) {
		add_rx(QSIZE / 2);
		settle();
		while (recv_pkt(&p))
			got += p.h.op == VIRTIO_VSOCK_OP_RW ? p.h.len : 0;
	}
	return got;
}

/* The host sends no more than the guest's buf_alloc until the guest reports progress. */
static void test_credit(void)
{
	static uint8_t out[65536];
	uint32_t hp, got;
	struct pkt p;
	int fd = connect_to_guest(1026, 16384, &hp);

	CHECK(write(fd, out, sizeof(out)) == sizeof(out), "host writes 64 KiB");
	got = receive_rounds();
	CHECK(got == 16384, "guest with 16 KiB of credit gets exactly 16 KiB (%u)", got);
	struct virtio_vsock_hdr u = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1026, hp, 0);

	u.buf_alloc = 16384;
	u.fwd_cnt = 16384;
	send_pkt(u, NULL, 0);
	got += receive_rounds();
	CHECK(got == 32768, "a credit update lets 16 KiB more through (%u)", got);
	close(fd);
	send_pkt(hdr(VIRTIO_VSOCK_OP_RST, 1026, hp, 0), NULL, 0);
	settle();
	while (recv_pkt(&p))
		;
}

/* Guest data reaches the host socket; a packet from a forged CID resets the connection. */
static void test_guest_data_and_bad_packet(void)
{
	const char msg[] = "from the guest";
	char in[64];
	uint32_t hp;
	struct pkt p;
	int fd = connect_to_guest(1027, 256 * 1024, &hp);

	send_pkt(hdr(VIRTIO_VSOCK_OP_RW, 1027, hp, sizeof(msg)), msg, sizeof(msg));
	CHECK(read(fd, in, sizeof(in)) == sizeof(msg) && !memcmp(in, msg, sizeof(msg)),
	      "host reads the guest's data");
	struct virtio_vsock_hdr bad = hdr(VIRTIO_VSOCK_OP_RW, 1027, hp, 4);

	bad.src_cid = GUEST_CID + 1;
	send_pkt(bad, "evil", 4);
	add_rx(2);
	settle();
	bool rst = false;

	while (recv_pkt(&p))
		rst |= p.h.op == VIRTIO_VSOCK_OP_RST && p.h.dst_port == 1027;
	CHECK(rst, "a packet with a forged source CID is answered with RST");
	CHECK(read(fd, in, sizeof(in)) == 0, "and the host socket sees EOF");
	CHECK(!dev->needs_reset, "the device keeps working");
	close(fd);
}

int main(void)
{
	struct err *err = NULL;

	log__set_level(LOG_ERROR);
	alarm(60);	/* a lost wakeup shows up as a blocked read: fail rather than hang */
	if (gmem__add(&mem, 0, 4 << 20, &err) < 0 || loop__init(&loop, &err) < 0 ||
	    vsock__create(&vs, &loop, GUEST_CID, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err->msg);
		return 1;
	}
	dev = vsock__dev(vs);
	dev->mem = &mem;
	dev->irq = (struct virtio_irq){ .notify_queue = guest_dev__count_irq, .ctx = &irqs };
	for (unsigned int q = 0; q < 3; q++) {
		guest_ring__init(&ring[q], &mem, QSIZE, q_base(q));
		CHECK(guest_ring__attach(&ring[q], &dev->queues[q], &err) == 0,
		      "queue %u lies in guest memory", q);
	}
	dev->active = true;

	test_data_then_eof();
	test_credit();
	test_guest_data_and_bad_packet();
	CHECK(irqs > 0, "the device interrupted the guest (%u times)", irqs);

	vsock__destroy(vs);
	loop__destroy(&loop);
	gmem__free(&mem);
	return tap_done();
}
