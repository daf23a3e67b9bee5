/*
 * The virtio-blk device driven by a model guest: real rings in guest memory, a sparse temp
 * file as the disk, the worker threads serving it. Checks what a guest relies on (data
 * round trips, flush, serial, discard, write zeroes, several requests at once), that bad
 * requests are refused without touching the disk, and that reset stops all guest memory
 * access before it returns.
 *
 * Design choices checked here: a header shorter than 16 bytes is an ordinary bad request
 * (IOERR in its status byte); only a chain with no device-writable byte at all marks the
 * device broken (needs_reset), since there is nowhere to report anything.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices/blk/blk.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"
#include "lib/log.h"
#include "vmm/gmem.h"
#include "tests/model/guest_ring.h"
#include "tests/unit/tap.h"

#define QSIZE 64
#define SLOTS (QSIZE / 4)		/* four descriptors per request */
#define SECTORS 8192ull			/* a 4 MiB disk */
#define HDR_GPA(s) (0x100000ull + (s) * 0x40000ull)
#define STATUS_GPA(s) (HDR_GPA(s) + 0x100)
#define RANGES_GPA(s) (HDR_GPA(s) + 0x200)
#define DATA_GPA(s) (HDR_GPA(s) + 0x1000)
#define DATA_MAX (0x40000 - 0x1000)

static struct gmem mem;
static char path[256];
static int fd = -1;
static unsigned int irqs;

/* The model guest's view of one device and its queue. */
struct gdev {
	struct blk *blk;
	struct virtio_dev *dev;
	uint64_t base;			/* where its ring lies */
	struct guest_ring ring;
};

static void *gp(uint64_t gpa, uint64_t len)
{
	return gmem__ptr(&mem, gpa, len);
}

/* Lays a request into slot s's descriptors and makes it available (no kick). */
static void post(struct gdev *g, unsigned int s, const struct guest_buf *segs, unsigned int n)
{
	g->ring.next_desc = 4 * s;
	guest_ring__add(&g->ring, segs, n);
}

/* Waits for the next used element; returns its slot's status byte, or -1 on a timeout. */
static int complete(struct gdev *g, uint32_t *len, unsigned int *slot)
{
	struct vring_used_elem e;

	if (!guest_ring__wait_used(&g->ring, &e, 5000))
		return -1;
	if (len)
		*len = e.len;
	if (slot)
		*slot = e.id / 4;
	return *(uint8_t *)gp(STATUS_GPA(e.id / 4), 1);
}

/* Header, optional data (device-writable when data_in), status: the layout Linux uses. */
static void post_req(struct gdev *g, unsigned int s, uint32_t type, uint64_t sector,
		     uint32_t data_len, bool data_in)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	struct guest_buf segs[3];
	unsigned int n = 0;

	memcpy(gp(HDR_GPA(s), sizeof(h)), &h, sizeof(h));
	*(uint8_t *)gp(STATUS_GPA(s), 1) = 0xff;
	segs[n++] = (struct guest_buf){ HDR_GPA(s), sizeof(h), false };
	if (data_len)
		segs[n++] = (struct guest_buf){ DATA_GPA(s), data_len, data_in };
	segs[n++] = (struct guest_buf){ STATUS_GPA(s), 1, true };
	post(g, s, segs, n);
}

/* One request in slot 0, waited for. out is copied in before, in copied out after. */
static int request(struct gdev *g, uint32_t type, uint64_t sector, const void *out, void *in,
		   uint32_t len, uint32_t *used)
{
	int status;

	if (out)
		memcpy(gp(DATA_GPA(0), len), out, len);
	post_req(g, 0, type, sector, len, in != NULL);
	guest_dev__kick(g->dev, 0);
	status = complete(g, used, NULL);
	if (in && status == VIRTIO_BLK_S_OK)
		memcpy(in, gp(DATA_GPA(0), len), len);
	return status;
}

/* A DISCARD or WRITE_ZEROES with n ranges (the caller filled RANGES_GPA(0)). */
static int range_request(struct gdev *g, uint32_t type, uint32_t bytes)
{
	struct virtio_blk_outhdr h = { .type = type };
	struct guest_buf segs[3] = { { HDR_GPA(0), sizeof(h), false },
				     { RANGES_GPA(0), bytes, false },
				     { STATUS_GPA(0), 1, true } };

	memcpy(gp(HDR_GPA(0), sizeof(h)), &h, sizeof(h));
	*(uint8_t *)gp(STATUS_GPA(0), 1) = 0xff;
	post(g, 0, segs, 3);
	guest_dev__kick(g->dev, 0);
	return complete(g, NULL, NULL);
}

static void set_range(unsigned int i, uint64_t sector, uint32_t count, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = { .sector = sector, .num_sectors = count,
						     .flags = flags };

	memcpy(gp(RANGES_GPA(0) + sizeof(r) * i, sizeof(r)), &r, sizeof(r));
}

/* A fresh ring handed to the device, as a driver does after a reset. */
static void setup_queue(struct gdev *g)
{
	struct err *err = NULL;

	pthread_mutex_lock(&g->dev->lock);
	g->dev->mem = &mem;
	g->dev->irq = (struct virtio_irq){ .notify_queue = guest_dev__count_irq, .ctx = &irqs };
	pthread_mutex_unlock(&g->dev->lock);
	guest_ring__init(&g->ring, &mem, QSIZE, g->base);
	if (guest_dev__start(g->dev, &g->ring, 1, 0, &err) < 0) {
		CHECK(0, "queue lies in guest memory: %s", err->msg);
		err_free(&err);
	}
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed * 7 + 1);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_config(struct gdev *g)
{
	struct virtio_blk_config c;
	uint64_t f = g->dev->ops->features(g->dev);

	memset(&c, 0xee, sizeof(c));
	g->dev->ops->get_config(g->dev, 0, &c, g->dev->ops->config_size);
	CHECK(g->dev->ops->device_id == 2 && g->dev->ops->num_queues == 1, "block device, one queue");
	CHECK(c.capacity == SECTORS, "capacity %llu sectors", (unsigned long long)c.capacity);
	CHECK(c.blk_size == 512 && c.seg_max == BLK_SEG_MAX && c.size_max == BLK_SIZE_MAX,
	      "blk_size %u, seg_max %u, size_max %u", c.blk_size, c.seg_max, c.size_max);
	CHECK(c.max_discard_seg == BLK_DISCARD_SEG && c.max_discard_sectors &&
		      c.discard_sector_alignment == 8 && c.max_write_zeroes_sectors &&
		      c.max_write_zeroes_seg && c.write_zeroes_may_unmap == 1,
	      "discard and write-zeroes limits advertised");
	CHECK((f & FEATURE(VIRTIO_BLK_F_FLUSH)) && (f & FEATURE(VIRTIO_BLK_F_DISCARD)) &&
		      (f & FEATURE(VIRTIO_BLK_F_WRITE_ZEROES)) && (f & FEATURE(VIRTIO_BLK_F_SEG_MAX)) &&
		      (f & FEATURE(VIRTIO_BLK_F_SIZE_MAX)) && (f & FEATURE(VIRTIO_BLK_F_BLK_SIZE)) &&
		      !(f & FEATURE(VIRTIO_BLK_F_RO)),
	      "features 0x%llx", (unsigned long long)f);
}

static void test_rw(struct gdev *g)
{
	static uint8_t out[8192], in[8192], disk[8192];
	uint32_t used = 0;

	fill(out, sizeof(out), 1);
	CHECK(request(g, VIRTIO_BLK_T_OUT, 10, out, NULL, sizeof(out), &used) == VIRTIO_BLK_S_OK &&
		      used == 1,
	      "8 KiB write at sector 10 (used %u)", used);
	CHECK(pread(fd, disk, sizeof(disk), 10 * 512) == sizeof(disk) && !memcmp(disk, out, sizeof(out)),
	      "the host file holds the data at byte 5120");
	CHECK(request(g, VIRTIO_BLK_T_IN, 10, NULL, in, sizeof(in), &used) == VIRTIO_BLK_S_OK &&
		      used == sizeof(in) + 1 && !memcmp(in, out, sizeof(out)),
	      "reading it back gives the same bytes (used %u)", used);

	/* A header split over two descriptors and data over three is still one request. */
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = 10 };
	struct guest_buf segs[] = { { HDR_GPA(0), 4, false }, { HDR_GPA(0) + 4, 12, false },
				    { DATA_GPA(0), 1000, true }, { DATA_GPA(0) + 1000, 24, true },
				    { STATUS_GPA(0), 1, true } };

	memset(gp(DATA_GPA(0), 1024), 0, 1024);
	memcpy(gp(HDR_GPA(0), sizeof(h)), &h, sizeof(h));
	post(g, 0, segs, 5);
	guest_dev__kick(g->dev, 0);
	CHECK(complete(g, &used, NULL) == VIRTIO_BLK_S_OK && used == 1025 &&
		      !memcmp(gp(DATA_GPA(0), 1024), out, 1024),
	      "split header and data segments are served");
}

static void test_bad_requests(struct gdev *g)
{
	static uint8_t buf[1024], disk[1024];
	struct stat st;
	uint32_t used;

	fill(buf, sizeof(buf), 2);
	CHECK(request(g, VIRTIO_BLK_T_OUT, SECTORS - 1, buf, NULL, 1024, NULL) == VIRTIO_BLK_S_IOERR,
	      "a write past the end is IOERR");
	CHECK(pread(fd, disk, 512, (SECTORS - 1) * 512) == 512 && all_zero(disk, 512) &&
		      fstat(fd, &st) == 0 && st.st_size == SECTORS * 512,
	      "and wrote nothing: last sector still zero, file size unchanged");
	CHECK(request(g, VIRTIO_BLK_T_IN, SECTORS, NULL, buf, 512, NULL) == VIRTIO_BLK_S_IOERR,
	      "a read at the capacity is IOERR");
	CHECK(request(g, VIRTIO_BLK_T_OUT, ~0ull / 512 + 1, buf, NULL, 1024, NULL) ==
		      VIRTIO_BLK_S_IOERR,
	      "a sector whose byte offset overflows is IOERR");
	CHECK(request(g, VIRTIO_BLK_T_OUT, 0, buf, NULL, 513, NULL) == VIRTIO_BLK_S_IOERR &&
		      pread(fd, disk, 512, 0) == 512 && all_zero(disk, 512),
	      "a write of 513 bytes is IOERR and writes nothing");
	CHECK(request(g, VIRTIO_BLK_T_IN, 0, NULL, buf, 100, &used) == VIRTIO_BLK_S_IOERR && used == 1,
	      "a read of 100 bytes is IOERR (used %u)", used);
	CHECK(request(g, 99, 0, NULL, NULL, 0, NULL) == VIRTIO_BLK_S_UNSUPP,
	      "an unknown request type is UNSUPP");
	CHECK(request(g, VIRTIO_BLK_T_FLUSH, 0, NULL, NULL, 0, NULL) == VIRTIO_BLK_S_OK, "FLUSH is OK");

	char id[BLK_ID_BYTES];

	CHECK(request(g, VIRTIO_BLK_T_GET_ID, 0, NULL, id, sizeof(id), &used) == VIRTIO_BLK_S_OK &&
		      used == BLK_ID_BYTES + 1 && !memcmp(id, "kage", 4),
	      "GET_ID answers a 20-byte serial '%.20s'", id);

	/* An 8-byte header: IOERR in the status byte, and the device goes on. */
	struct guest_buf shortreq[] = { { HDR_GPA(0), 8, false }, { STATUS_GPA(0), 1, true } };

	*(uint8_t *)gp(STATUS_GPA(0), 1) = 0xff;
	post(g, 0, shortreq, 2);
	guest_dev__kick(g->dev, 0);
	CHECK(complete(g, NULL, NULL) == VIRTIO_BLK_S_IOERR && !g->dev->needs_reset,
	      "a header shorter than 16 bytes is IOERR, device still usable");
	CHECK(request(g, VIRTIO_BLK_T_FLUSH, 0, NULL, NULL, 0, NULL) == VIRTIO_BLK_S_OK,
	      "the next request is served");
}

static void test_discard(struct gdev *g)
{
	static uint8_t data[256 * 1024], in[4096];
	struct stat before, after;

	fill(data, sizeof(data), 3);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2048 * 512, 4096) < 0) {
		CHECK(1, "# SKIP discard: the temp filesystem cannot punch holes");
		return;
	}
	CHECK(pwrite(fd, data, sizeof(data), 2048 * 512) == sizeof(data) && fsync(fd) == 0 &&
		      fstat(fd, &before) == 0,
	      "host fills 256 KiB at sector 2048 (%lld blocks)", (long long)before.st_blocks);
	set_range(0, 2048, 256, 0);
	set_range(1, 2048 + 256, 256, 0);
	CHECK(range_request(g, VIRTIO_BLK_T_DISCARD, 32) == VIRTIO_BLK_S_OK && fstat(fd, &after) == 0 &&
		      after.st_blocks + 256 * 2 <= before.st_blocks,
	      "DISCARD of two ranges frees the blocks (%lld -> %lld)", (long long)before.st_blocks,
	      (long long)after.st_blocks);
	CHECK(request(g, VIRTIO_BLK_T_IN, 2048 + 100, NULL, in, sizeof(in), NULL) == VIRTIO_BLK_S_OK &&
		      all_zero(in, sizeof(in)),
	      "a discarded range reads as zeroes");

	set_range(0, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK(range_request(g, VIRTIO_BLK_T_DISCARD, 16) == VIRTIO_BLK_S_UNSUPP,
	      "DISCARD with the UNMAP flag is UNSUPP");
	set_range(0, 0, 8, 0x80);
	CHECK(range_request(g, VIRTIO_BLK_T_WRITE_ZEROES, 16) == VIRTIO_BLK_S_UNSUPP,
	      "a reserved range flag is UNSUPP");
	CHECK(pwrite(fd, data, 4096, (SECTORS - 8) * 512) == 4096, "host fills the last 4 KiB");
	set_range(0, SECTORS - 8, 8, 0);
	set_range(1, SECTORS - 4, 8, 0);
	CHECK(range_request(g, VIRTIO_BLK_T_DISCARD, 32) == VIRTIO_BLK_S_IOERR &&
		      pread(fd, in, 4096, (SECTORS - 8) * 512) == 4096 && !memcmp(in, data, 4096),
	      "a range past the end fails the whole DISCARD, and the good range is kept");
	for (unsigned int i = 0; i <= BLK_DISCARD_SEG; i++)
		set_range(i, i * 8, 8, 0);
	CHECK(range_request(g, VIRTIO_BLK_T_DISCARD, 16 * (BLK_DISCARD_SEG + 1)) == VIRTIO_BLK_S_IOERR,
	      "more ranges than max_discard_seg is IOERR");
	CHECK(range_request(g, VIRTIO_BLK_T_DISCARD, 20) == VIRTIO_BLK_S_IOERR,
	      "a range array that is not a multiple of 16 bytes is IOERR");
}

static void test_write_zeroes(struct gdev *g)
{
	static uint8_t data[16 * 512], in[16 * 512];

	fill(data, sizeof(data), 4);
	CHECK(pwrite(fd, data, sizeof(data), 4096 * 512) == sizeof(data), "host fills sectors 4096..4111");
	set_range(0, 4100, 8, 0);
	set_range(1, 4110, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK(range_request(g, VIRTIO_BLK_T_WRITE_ZEROES, 32) == VIRTIO_BLK_S_OK,
	      "WRITE_ZEROES of 4100+8 and (unmap) 4110+1");
	CHECK(request(g, VIRTIO_BLK_T_IN, 4096, NULL, in, sizeof(in), NULL) == VIRTIO_BLK_S_OK &&
		      !memcmp(in, data, 4 * 512) && all_zero(in + 4 * 512, 8 * 512) &&
		      !memcmp(in + 12 * 512, data + 12 * 512, 2 * 512) &&
		      all_zero(in + 14 * 512, 512) && !memcmp(in + 15 * 512, data + 15 * 512, 512),
	      "exactly those sectors read back as zeroes");
}

/* Many requests behind one kick, served by several workers, all come back. */
static void test_in_flight(struct gdev *g)
{
	static uint8_t buf[64 * 1024];
	unsigned int ok = 0, good = 0, seen = 0;

	for (unsigned int s = 0; s < SLOTS; s++) {
		fill(gp(DATA_GPA(s), sizeof(buf)), sizeof(buf), 10 + s);
		post_req(g, s, VIRTIO_BLK_T_OUT, 128 * s, sizeof(buf), false);
	}
	guest_dev__kick(g->dev, 0);
	for (unsigned int i = 0; i < SLOTS; i++) {
		unsigned int slot = 0;
		int st = complete(g, NULL, &slot);

		ok += st == VIRTIO_BLK_S_OK;
		seen |= 1u << slot;
	}
	CHECK(ok == SLOTS && seen == (1u << SLOTS) - 1, "%u writes in flight all complete OK (%u)",
	      SLOTS, ok);
	for (unsigned int s = 0; s < SLOTS; s++) {
		uint8_t want[512];

		fill(buf, sizeof(buf), 10 + s);
		memcpy(want, buf + sizeof(buf) - 512, 512);
		good += pread(fd, buf, 512, (128 * s + 127) * 512) == 512 && !memcmp(buf, want, 512);
	}
	CHECK(good == SLOTS, "each landed at its own sector (%u of %u)", good, SLOTS);
}

/* After reset returns, nothing more is written into guest memory. */
static void test_reset(struct gdev *g)
{
	static uint8_t snap[SLOTS][1], ring[0x1000];
	struct guest_buf nostatus[] = { { HDR_GPA(0), 16, false } };
	bool same = true, broken = false;

	for (unsigned int s = 0; s < SLOTS; s++)
		post_req(g, s, VIRTIO_BLK_T_IN, 0, DATA_MAX, true);
	guest_dev__kick(g->dev, 0);
	guest_dev__reset(g->dev);
	memcpy(ring, gp(g->ring.used, sizeof(ring)), sizeof(ring));
	for (unsigned int s = 0; s < SLOTS; s++)
		snap[s][0] = *(uint8_t *)gp(STATUS_GPA(s), 1);
	usleep(200 * 1000);
	for (unsigned int s = 0; s < SLOTS; s++)
		same &= snap[s][0] == *(uint8_t *)gp(STATUS_GPA(s), 1);
	CHECK(same && !memcmp(ring, gp(g->ring.used, sizeof(ring)), sizeof(ring)),
	      "after reset returns, no status byte or used entry changes");

	setup_queue(g);
	CHECK(request(g, VIRTIO_BLK_T_FLUSH, 0, NULL, NULL, 0, NULL) == VIRTIO_BLK_S_OK,
	      "after reset and a fresh queue, requests are served again");
	post(g, 0, nostatus, 1);
	guest_dev__kick(g->dev, 0);
	for (int i = 0; i < 5000 && !(broken = guest_dev__needs_reset(g->dev)); i++)
		usleep(1000);
	CHECK(broken, "a chain with no writable byte marks the device broken");
}

static void test_readonly(struct gdev *g)
{
	static uint8_t out[4096], before[4096], after[4096];
	struct blk_opts o = { .path = path, .readonly = true };
	struct err *err = NULL;
	uint64_t f;

	if (blk__create(&g->blk, NULL, &o, &err) < 0) {
		CHECK(0, "read-only device: %s", err->msg);
		err_free(&err);
		return;
	}
	g->dev = blk__dev(g->blk);
	setup_queue(g);
	f = g->dev->ops->features(g->dev);
	CHECK((f & FEATURE(VIRTIO_BLK_F_RO)) && !(f & FEATURE(VIRTIO_BLK_F_DISCARD)),
	      "read-only device offers RO and no DISCARD");
	fill(out, sizeof(out), 5);
	CHECK(pread(fd, before, sizeof(before), 0) == sizeof(before), "host reads sectors 0..7");
	CHECK(request(g, VIRTIO_BLK_T_OUT, 0, out, NULL, sizeof(out), NULL) == VIRTIO_BLK_S_IOERR,
	      "a write to a read-only disk is IOERR");
	set_range(0, 0, 8, 0);
	CHECK(range_request(g, VIRTIO_BLK_T_WRITE_ZEROES, 16) == VIRTIO_BLK_S_IOERR &&
		      range_request(g, VIRTIO_BLK_T_DISCARD, 16) == VIRTIO_BLK_S_IOERR,
	      "so are WRITE_ZEROES and DISCARD");
	CHECK(pread(fd, after, sizeof(after), 0) == sizeof(after) &&
		      !memcmp(before, after, sizeof(after)),
	      "the file is unchanged");
	CHECK(request(g, VIRTIO_BLK_T_IN, 0, NULL, out, sizeof(out), NULL) == VIRTIO_BLK_S_OK &&
		      !memcmp(out, before, sizeof(out)),
	      "reads still work");
	blk__destroy(g->blk);
}

int main(void)
{
	struct blk_opts o = { .path = path };
	struct gdev rw = { .base = 0x10000 }, ro = { .base = 0x20000 };
	struct err *err = NULL;

	log__set_level(LOG_ERROR);
	alarm(120);
	/* TMPDIR=/dev/shm runs it on tmpfs, where WRITE_ZEROES writes the zeroes itself. */
	snprintf(path, sizeof(path), "%s/kage-blk-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, SECTORS * 512) < 0 || gmem__add(&mem, 0, 16 << 20, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err ? err->msg : "temp file");
		return 1;
	}
	CHECK(blk__create(&rw.blk, NULL, &(struct blk_opts){ .path = "/nonexistent/disk" }, &err) < 0 &&
		      rw.blk == NULL,
	      "a missing disk is an error: %s", err ? err->msg : "");
	err_free(&err);
	if (blk__create(&rw.blk, NULL, &o, &err) < 0) {
		fprintf(stderr, "blk__create: %s\n", err->msg);
		return 1;
	}
	rw.dev = blk__dev(rw.blk);
	setup_queue(&rw);

	test_config(&rw);
	test_rw(&rw);
	test_bad_requests(&rw);
	test_discard(&rw);
	test_write_zeroes(&rw);
	test_in_flight(&rw);
	test_reset(&rw);
	CHECK(irqs > 0, "the device interrupted the guest (%u times)", irqs);
	blk__destroy(rw.blk);
	test_readonly(&ro);

	close(fd);
	unlink(path);
	gmem__free(&mem);
	return tap_done();
}
