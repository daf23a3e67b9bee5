// sources: devices/vsock/vsock.c devices/vsock/vsock_host.c devices/virtio/queue.c devices/virtio/virtio.c vmm/loop.c lib/thread_role.c vmm/gmem.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c -lpthread
/*
 * The vsock packet parser fed arbitrary bytes split into arbitrary segments: it must accept
 * only what fits its checks and never read past the chain.
 */
#include <linux/virtio_vsock.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vsock/vsock.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq_chain *c;
	struct virtio_vsock_hdr h;
	struct err *err = NULL;
	size_t off = 0;

	if (size < 1)
		return 0;
	c = calloc(1, sizeof(*c));
	/* The first byte picks how many segments the rest is cut into. */
	unsigned int segs = data[0] % 8 + 1;

	data++;
	size--;
	for (unsigned int i = 0; i < segs && off <= size; i++) {
		size_t len = i + 1 == segs ? size - off : (size - off) / (segs - i);
		/* Each segment its own allocation, so ASan sees any read past one. */
		uint8_t *seg = malloc(len ? len : 1);

		memcpy(seg, data + off, len);
		c->out[c->n_out++] = (struct iovec){ seg, len };
		c->out_len += len;
		off += len;
	}
	if (vsock__parse(c, 3, &h, &err) == 0) {
		if (h.len > c->out_len - sizeof(h) || h.src_cid != 3 || h.dst_cid != VSOCK_HOST_CID)
			abort();	/* accepted something its own checks forbid */
	}
	err_free(&err);
	for (unsigned int i = 0; i < c->n_out; i++)
		free(c->out[i].iov_base);
	free(c);
	return 0;
}
