/* The vsock packet parser against what a hostile guest can put in a tx chain. */
#include <linux/virtio_vsock.h>
#include <string.h>

#include "devices/vsock/vsock.h"
#include "tests/unit/tap.h"

#define GUEST_CID 3

static struct virtio_vsock_hdr good_hdr(uint32_t len)
{
	return (struct virtio_vsock_hdr){
		.src_cid = GUEST_CID, .dst_cid = VSOCK_HOST_CID, .src_port = 1234, .dst_port = 5000,
		.len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RW,
		.buf_alloc = 65536,
	};
}

/* A chain of the header and a payload in two segments, as Linux sends it. */
static int parse(struct virtio_vsock_hdr h, size_t hdr_bytes, size_t payload, struct err **err)
{
	static uint8_t buf[128 * 1024];
	struct virtq_chain c = { 0 };
	struct virtio_vsock_hdr out;

	memcpy(buf, &h, sizeof(h));
	c.out[0] = (struct iovec){ buf, hdr_bytes };
	c.out[1] = (struct iovec){ buf + sizeof(h), payload };
	c.n_out = payload ? 2 : 1;
	c.out_len = hdr_bytes + payload;
	return vsock__parse(&c, GUEST_CID, &out, err);
}

static void expect_error(struct virtio_vsock_hdr h, size_t hdr_bytes, size_t payload,
			 const char *want, const char *what)
{
	struct err *err = NULL;
	int ret = parse(h, hdr_bytes, payload, &err);

	CHECK(ret < 0 && err && strstr(err->msg, want), "%s → error '%s'", what,
	      err ? err->msg : "(none)");
	err_free(&err);
}

int main(void)
{
	struct err *err = NULL;
	struct virtio_vsock_hdr h;

	CHECK(parse(good_hdr(100), sizeof(h), 100, &err) == 0 && !err, "a well-formed RW packet");
	CHECK(parse(good_hdr(0), sizeof(h), 0, &err) == 0, "a header-only packet");

	expect_error(good_hdr(0), sizeof(h) - 1, 0, "shorter than its header", "truncated header");
	expect_error(good_hdr(0), 0, 0, "shorter than its header", "empty chain");
	expect_error(good_hdr(200), sizeof(h), 100, "beyond the packet", "len past the payload");
	expect_error(good_hdr(0xffffffff), sizeof(h), 100, "beyond the packet", "len 4 GiB");
	expect_error(good_hdr(70000), sizeof(h), 70000, "beyond the packet", "len over 64 KiB");

	h = good_hdr(0);
	h.src_cid = 2;
	expect_error(h, sizeof(h), 0, "not the guest's", "spoofed source CID (the host's)");
	h = good_hdr(0);
	h.src_cid = 4;
	expect_error(h, sizeof(h), 0, "not the guest's", "another guest's CID");
	h = good_hdr(0);
	h.dst_cid = 7;
	expect_error(h, sizeof(h), 0, "not the host", "destination other than the host");
	h = good_hdr(0);
	h.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	expect_error(h, sizeof(h), 0, "only streams", "seqpacket type");
	h = good_hdr(0);
	h.type = 77;
	expect_error(h, sizeof(h), 0, "only streams", "unknown type");
	h = good_hdr(0);
	h.op = VIRTIO_VSOCK_OP_INVALID;
	expect_error(h, sizeof(h), 0, "unknown operation", "op INVALID");
	h = good_hdr(0);
	h.op = 99;
	expect_error(h, sizeof(h), 0, "unknown operation", "op 99");
	return tap_done();
}
