// sources: devices/blk/blk_req.c devices/virtio/queue.c lib/wire/iov.c vmm/gmem.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c
/*
 * virtio-blk request chains built from arbitrary bytes: the fuzzer picks the disk (writable
 * or read-only), how the readable bytes (header and payload) are cut into segments and the
 * sizes of the writable segments. Serving must stay within the chain and the disk: the file
 * never changes size, a read-only disk never changes, the status is one of the three.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <linux/virtio_blk.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blk/blk.h"
#include "fuzz.h"

#define DISK_SECTORS 64

static struct blk_disk rw, ro;
static bool opened;
static uint8_t before[DISK_SECTORS * 512], after[DISK_SECTORS * 512];

static void open_disks(void)
{
	/* TMPDIR=/dev/shm fuzzes the write-it-ourselves path: tmpfs has no ZERO_RANGE. */
	const char *dir = getenv("TMPDIR");
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/kage-fuzz-blk-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, DISK_SECTORS * 512) < 0)
		abort();
	rw = (struct blk_disk){ .fd = fd, .sectors = DISK_SECTORS, .serial = "kage-fuzz" };
	ro = rw;
	ro.readonly = true;
	ro.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ro.fd < 0)
		abort();
	unlink(path);
	opened = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq_chain *c;
	struct stat st;
	uint32_t used;
	int r;

	if (!opened)
		open_disks();
	/* Byte 0: disk, readable and writable segment counts; then 2 bytes per writable size. */
	if (size < 1)
		return 0;
	const struct blk_disk *d = data[0] & 1 ? &ro : &rw;
	unsigned int n_out = (data[0] >> 1) % 8 + 1, n_in = (data[0] >> 4) % 8;

	data++;
	size--;
	if (size < 2 * n_in)
		return 0;
	c = calloc(1, sizeof(*c));
	for (unsigned int i = 0; i < n_in; i++) {
		size_t len = (data[2 * i] | data[2 * i + 1] << 8) % 9000;

		c->in_len += fuzz__cut(c->in, &c->n_in, NULL, len, 1);
	}
	data += 2 * n_in;
	size -= 2 * n_in;
	c->out_len += fuzz__cut(c->out, &c->n_out, data, size, n_out);

	if (d->readonly && pread(ro.fd, before, sizeof(before), 0) != sizeof(before))
		abort();
	r = blk__serve_chain(d, c, &used);
	if ((r < 0) != (c->in_len == 0))
		abort();	/* refused a chain that had room for a status, or the reverse */
	if (r == 0) {
		uint8_t status = 0xff;

		iov__to_buf(c->in, c->n_in, c->in_len - 1, &status, 1);
		if (status > VIRTIO_BLK_S_UNSUPP || used < 1 || used > c->in_len)
			abort();
	}
	if (fstat(rw.fd, &st) < 0 || st.st_size != DISK_SECTORS * 512)
		abort();	/* wrote past the end */
	if (d->readonly && (pread(ro.fd, after, sizeof(after), 0) != sizeof(after) ||
			    memcmp(before, after, sizeof(after))))
		abort();	/* changed a read-only disk */

	fuzz__free(c->out, c->n_out);
	fuzz__free(c->in, c->n_in);
	free(c);
	return 0;
}
