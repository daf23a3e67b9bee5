// sources: devices/vsock/vsock.c devices/vsock/vsock_host.c devices/virtio/queue.c lib/wire/iov.c devices/virtio/virtio.c vmm/loop.c lib/thread_role.c vmm/gmem.c lib/err.c lib/log.c lib/io.c
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

	if (size < 1)
		return 0;
	c = calloc(1, sizeof(*c));
	/* The first byte picks how many segments the rest is cut into. */
	unsigned int segs = data[0] % 8 + 1;

	data++;
	size--;
	c->out_len += fuzz__cut(c->out, &c->n_out, data, size, segs);
	if (vsock__parse(c, 3, &h, &err) == 0) {
		if (h.len > c->out_len - sizeof(h) || h.src_cid != 3 || h.dst_cid != VSOCK_HOST_CID)
			abort();	/* accepted something its own checks forbid */
	}
	err_free(&err);
	fuzz__free(c->out, c->n_out);
	free(c);
	return 0;
}
