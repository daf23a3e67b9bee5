/*
 * Little-endian accessors (lib/wire/le.h): the exact byte layouts, any alignment, round trips; and
 * virtio fields the guest reads or writes laid out as those bytes (blk and vsock config, the
 * vsock packet header), whatever the host's byte order.
 */
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_vsock.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/blk/blk.h"
#include "devices/vsock/vsock.h"
#include "lib/wire/le.h"
#include "tests/unit/tap.h"

static const uint8_t bytes[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };

static void stores_and_loads(void)
{
	uint8_t buf[9];

	memset(buf, 0xaa, sizeof(buf));
	le__store16(buf, 0x0708);
	CHECK(!memcmp(buf, bytes, 2) && buf[2] == 0xaa, "le__store16 writes low byte first");
	le__store32(buf, 0x05060708);
	CHECK(!memcmp(buf, bytes, 4) && buf[4] == 0xaa, "le__store32 writes low byte first");
	le__store64(buf, 0x0102030405060708ull);
	CHECK(!memcmp(buf, bytes, 8) && buf[8] == 0xaa, "le__store64 writes low byte first");

	CHECK(le__load16(bytes) == 0x0708, "le__load16");
	CHECK(le__load32(bytes) == 0x05060708, "le__load32");
	CHECK(le__load64(bytes) == 0x0102030405060708ull, "le__load64");

	/* Odd addresses: the accessors go byte by byte, so a misaligned field is fine. */
	memset(buf, 0, sizeof(buf));
	le__store64(buf + 1, 0x0102030405060708ull);
	CHECK(!memcmp(buf + 1, bytes, 8) && buf[0] == 0, "le__store64 at an odd address");
	CHECK(le__load64(buf + 1) == 0x0102030405060708ull, "le__load64 at an odd address");
	CHECK(le__load32(buf + 3) == 0x03040506 && le__load16(buf + 7) == 0x0102,
	      "le__load32 and le__load16 at odd addresses");
}

static void conversions(void)
{
	uint16_t v16 = le__from_cpu16(0x0708);
	uint32_t v32 = le__from_cpu32(0x05060708);
	uint64_t v64 = le__from_cpu64(0x0102030405060708ull);

	/* A field set with le__from_cpu*() holds the little-endian bytes in memory. */
	CHECK(!memcmp(&v16, bytes, 2), "le__from_cpu16 lays out the LE bytes");
	CHECK(!memcmp(&v32, bytes, 4), "le__from_cpu32 lays out the LE bytes");
	CHECK(!memcmp(&v64, bytes, 8), "le__from_cpu64 lays out the LE bytes");

	memcpy(&v16, bytes, 2);
	memcpy(&v32, bytes, 4);
	memcpy(&v64, bytes, 8);
	CHECK(le__to_cpu16(v16) == 0x0708 && le__to_cpu32(v32) == 0x05060708 &&
	      le__to_cpu64(v64) == 0x0102030405060708ull, "le__to_cpu* reads LE bytes");

	static const uint64_t vals[] = { 0, 1, 0xff, 0x100, 0x8000, 0xffff, 0x12345678,
					 0x80000000u, 0xffffffffu, 0x0123456789abcdefull,
					 0x8000000000000000ull, UINT64_MAX };
	int ok = 1;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t b[8];

		ok &= le__to_cpu16(le__from_cpu16((uint16_t)vals[i])) == (uint16_t)vals[i];
		ok &= le__to_cpu32(le__from_cpu32((uint32_t)vals[i])) == (uint32_t)vals[i];
		ok &= le__to_cpu64(le__from_cpu64(vals[i])) == vals[i];
		le__store64(b, vals[i]);
		ok &= le__load64(b) == vals[i];
		for (unsigned int k = 0; k < 8; k++)
			ok &= b[k] == (uint8_t)(vals[i] >> (8 * k));
	}
	CHECK(ok, "conversions and loads/stores round-trip, byte k holding bits 8k..8k+7");
}

/* The config space as the transport hands it to the guest, byte for byte. */
static void read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	pthread_mutex_lock(&dev->lock);
	dev->ops->get_config(dev, offset, buf, len);
	pthread_mutex_unlock(&dev->lock);
}

/* The config space the guest reads: capacity and seg_max as LE bytes at their offsets. */
static void blk_config(void)
{
	char path[] = "/tmp/kage-test-le-XXXXXX";
	int fd = mkstemp(path);
	struct err *err = NULL;
	struct blk *b = NULL;
	uint8_t cap[8], seg[4];
	static const uint8_t want_cap[8] = { 0x03, 0x02, 0x01 };
	static const uint8_t want_seg[4] = { BLK_SEG_MAX & 0xff, BLK_SEG_MAX >> 8 };

	if (fd < 0 || ftruncate(fd, 0x010203ull * BLK_SECTOR) < 0) {
		CHECK(0, "make a sparse disk file");
		return;
	}
	close(fd);
	if (blk__create(&b, NULL, &(struct blk_opts){ .path = path }, &err) < 0) {
		CHECK(0, "blk__create: %s", err->msg);
		err_free(&err);
		unlink(path);
		return;
	}
	struct virtio_dev *dev = blk__dev(b);

	read_config(dev, offsetof(struct virtio_blk_config, capacity), cap, sizeof(cap));
	read_config(dev, offsetof(struct virtio_blk_config, seg_max), seg, sizeof(seg));
	CHECK(!memcmp(cap, want_cap, sizeof(cap)), "blk capacity 0x010203 reads 03 02 01 00 ..");
	CHECK(!memcmp(seg, want_seg, sizeof(seg)), "blk seg_max %u reads as LE bytes", BLK_SEG_MAX);
	blk__destroy(b);
	unlink(path);
}

static void vsock_config(void)
{
	struct err *err = NULL;
	struct vsock *v = NULL;
	uint8_t cid[8], mid[2];
	static const uint8_t want[8] = { 0x04, 0x03, 0x02, 0x01 };

	if (vsock__create(&v, NULL, 0x01020304, NULL, &err) < 0) {
		CHECK(0, "vsock__create: %s", err->msg);
		err_free(&err);
		vsock__destroy(v);
		return;
	}
	struct virtio_dev *dev = vsock__dev(v);

	read_config(dev, 0, cid, sizeof(cid));
	read_config(dev, 1, mid, sizeof(mid));
	CHECK(!memcmp(cid, want, sizeof(cid)), "vsock guest_cid 0x01020304 reads 04 03 02 01 ..");
	CHECK(mid[0] == 0x03 && mid[1] == 0x02, "a partial config read takes the bytes at offset");
	vsock__destroy(v);
}

/* A guest packet header written as LE bytes parses into host-order fields. */
static void vsock_header(void)
{
	static struct virtq_chain c;
	uint8_t pkt[sizeof(struct virtio_vsock_hdr) + 3] = { 0 };
	struct virtio_vsock_hdr h;
	struct err *err = NULL;

	le__store64(pkt + offsetof(struct virtio_vsock_hdr, src_cid), 0x01020304);
	le__store64(pkt + offsetof(struct virtio_vsock_hdr, dst_cid), VSOCK_HOST_CID);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, src_port), 0x0a0b0c0d);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, dst_port), 0x11223344);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, len), 3);
	le__store16(pkt + offsetof(struct virtio_vsock_hdr, type), VIRTIO_VSOCK_TYPE_STREAM);
	le__store16(pkt + offsetof(struct virtio_vsock_hdr, op), VIRTIO_VSOCK_OP_RW);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, flags), 0x01000002);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, buf_alloc), 0x00040000);
	le__store32(pkt + offsetof(struct virtio_vsock_hdr, fwd_cnt), 0x12345678);
	c.out[0] = (struct iovec){ .iov_base = pkt, .iov_len = sizeof(pkt) };
	c.n_out = 1;
	c.out_len = sizeof(pkt);
	CHECK(vsock__parse(&c, 0x01020304, &h, &err) == 0, "vsock__parse takes an LE header%s%s",
	      err ? ": " : "", err ? err->msg : "");
	err_free(&err);
	CHECK(h.src_cid == 0x01020304 && h.dst_cid == VSOCK_HOST_CID && h.src_port == 0x0a0b0c0d &&
	      h.dst_port == 0x11223344 && h.len == 3 && h.type == VIRTIO_VSOCK_TYPE_STREAM &&
	      h.op == VIRTIO_VSOCK_OP_RW && h.flags == 0x01000002 && h.buf_alloc == 0x00040000 &&
	      h.fwd_cnt == 0x12345678, "every header field comes out in host order");
}

int main(void)
{
	stores_and_loads();
	conversions();
	blk_config();
	vsock_config();
	vsock_header();
	return tap_done();
}
