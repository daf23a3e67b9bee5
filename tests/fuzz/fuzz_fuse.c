// sources: devices/fs/fuse_server.c devices/fs/inode.c devices/fs/handle.c devices/fs/idtab.c devices/fs/creds.c devices/fs/ops_inode.c devices/fs/ops_ns.c devices/fs/ops_file.c devices/fs/ops_dir.c devices/fs/ops_xattr.c devices/fs/policy.c lib/wire/iov.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c -lpthread
/*
 * The FUSE server fed arbitrary requests: a few per input, each cut into fuzzer-chosen
 * segments, with reply room of fuzzer-chosen size, against a fresh server over a temporary
 * share (read-write or read-only). Replies must stay inside the room and be well framed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/fs/fuse_server.h"
#include "lib/log.h"
#include "fuzz.h"

static char top[64];
static unsigned long runs;

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (top[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
}

/* The share's starting contents, put back now and then as the fuzzer changes them. */
static void populate(void)
{
	char p[128];
	FILE *f;

	cleanup();
	mkdir(top, 0755);
	snprintf(p, sizeof(p), "%s/d", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a", top);
	f = fopen(p, "w");
	if (f) {
		fputs("some file content\n", f);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/d/b", top);
	f = fopen(p, "w");
	if (f)
		fclose(f);
	snprintf(p, sizeof(p), "%s/l", top);
	if (symlink("/etc", p) < 0)
		perror("symlink");
}

static void setup(void)
{
	/* Writes, truncates and copies past 64 MiB fail with EFBIG instead of filling a disk. */
	struct rlimit fsz = { 64 << 20, 64 << 20 };

	snprintf(top, sizeof(top), "/tmp/kage-fuzz-fuse-XXXXXX");
	if (!mkdtemp(top))
		abort();
	atexit(cleanup);
	setrlimit(RLIMIT_FSIZE, &fsz);
	signal(SIGXFSZ, SIG_IGN);
	log__set_level(LOG_ERROR);
	populate();
}

static void check_reply(const struct iovec *out, unsigned int n_out, size_t room, uint32_t got,
			uint32_t opcode)
{
	struct fuse_out_header h;
	uint8_t *p = (uint8_t *)&h;
	size_t need = sizeof(h);

	if (got > room)
		abort();	/* claims more than it had room for */
	if (got == 0)
		return;
	if (got < sizeof(h))
		abort();
	for (unsigned int i = 0; i < n_out && need; i++) {
		size_t k = out[i].iov_len < need ? out[i].iov_len : need;

		memcpy(p, out[i].iov_base, k);
		p += k;
		need -= k;
	}
	if (h.len != got || h.error > 0 || h.error < -4095 || (h.error && got != sizeof(h)))
		abort();	/* badly framed reply */
	if (opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET)
		if (h.error == 0)
			abort();	/* a well-formed FORGET takes no reply */
}

/* One request: flags byte, reply room (2 bytes), length (2 bytes), then the request. */
static size_t one(struct fuse_server *s, const uint8_t *data, size_t size)
{
	struct iovec in[8], out[8];
	uint8_t req[65536];
	size_t room, len;
	unsigned int n_in = 0, n_out = 0;
	struct fuse_in_header *h = (struct fuse_in_header *)req;
	uint32_t got;

	if (size < 5)
		return size;
	room = data[1] | data[2] << 8;
	len = data[3] | data[4] << 8;
	if (len > size - 5)
		len = size - 5;
	memcpy(req, data + 5, len);
	/* Usually keep the header's length honest, so the fuzzer gets past the first check. */
	if (data[0] & 0x80 && len >= sizeof(*h))
		h->len = len;
	if (len >= sizeof(*h) + sizeof(struct fuse_fallocate_in) &&
	    h->opcode == FUSE_FALLOCATE) {
		struct fuse_fallocate_in *fa = (void *)(req + sizeof(*h));

		fa->offset &= (1 << 24) - 1;
		fa->length &= (1 << 20) - 1;
	}
	fuzz__cut(in, &n_in, req, len, (data[0] & 7) + 1);
	fuzz__cut(out, &n_out, NULL, room, ((data[0] >> 3) & 3) + 1);
	got = fuse_server__handle(s, in, n_in, out, n_out);
	check_reply(out, n_out, room, got, len >= 8 ? h->opcode : 0);
	fuzz__free(in, n_in);
	fuzz__free(out, n_out);
	return 5 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_share_opts o = { .dir = top };
	struct fuse_server *s = NULL;
	struct err *err = NULL;
	struct fuse_init_in init = { .major = 7, .minor = 37, .flags = 0xffffffff };
	uint8_t ireq[sizeof(struct fuse_in_header) + sizeof(init) + 5];
	struct fuse_in_header ih = { .len = sizeof(ih) + sizeof(init), .opcode = FUSE_INIT };

	if (!top[0])
		setup();
	if (++runs % 2000 == 0)
		populate();
	if (size < 1)
		return 0;
	o.readonly = data[0] & 1;
	o.cache = (data[0] >> 1) % 3;
	if (fuse_server__create(&s, &o, &err) < 0)
		abort();
	/* INIT first, as the kernel does, unless the input asks to go without. */
	if (!(data[0] & 0x40)) {
		ireq[0] = 0x80;
		ireq[1] = 0;
		ireq[2] = 1;
		ireq[3] = sizeof(ih) + sizeof(init);
		ireq[4] = 0;
		memcpy(ireq + 5, &ih, sizeof(ih));
		memcpy(ireq + 5 + sizeof(ih), &init, sizeof(init));
		one(s, ireq, sizeof(ireq));
	}
	data++;
	size--;
	for (int i = 0; i < 8 && size; i++) {
		size_t used = one(s, data, size);

		data += used;
		size -= used;
	}
	fuse_server__destroy(s);
	return 0;
}
