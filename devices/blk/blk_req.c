/*
 * virtio-blk requests (virtio 1.2, 5.2.6): each chain is checked in full against the disk
 * before any I/O, then served with the host's own calls on the chain's iovecs. A bad request
 * gets IOERR (or UNSUPP for what we do not implement); only a chain with nowhere to put the
 * status byte is refused. Runs on the worker threads, without the device lock.
 */
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/wire/iov.h"
#include "../../lib/wire/le.h"

#define HDR_LEN sizeof(struct virtio_blk_outhdr)
#define RANGE_LEN sizeof(struct virtio_blk_discard_write_zeroes)
#define RANGE_MAX (BLK_DISCARD_SEG > BLK_WZ_SEG ? BLK_DISCARD_SEG : BLK_WZ_SEG)

/* A byte range of a chain's segments, as iovecs for preadv/pwritev. */
struct span {
	struct iovec iov[VIRTQ_MAX_SEGS];
	unsigned int n;
	uint64_t len;
};

static void span_of(struct span *s, const struct iovec *iov, unsigned int n, uint64_t skip,
		    uint64_t len)
{
	s->n = iov__slice(iov, n, skip, len, s->iov);
	s->len = len;
}

/* The whole span from or to the disk at byte offset off; short transfers are resumed. */
static int span_io(int fd, struct span *s, uint64_t off, bool write)
{
	struct iovec *iov = s->iov;
	unsigned int n = s->n;

	while (n) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		/* 0: the file shrank under us since we sized it; the data is not there. */
		if (r <= 0)
			return -1;
		off += r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/* Whether [sector, sector + count) lies on the disk, without overflowing. */
static bool in_disk(const struct blk_disk *d, uint64_t sector, uint64_t count)
{
	return sector <= d->sectors && count <= d->sectors - sector;
}

/* IN reads into the writable part before the status; OUT writes the readable part after the header. */
static uint8_t do_rw(const struct blk_disk *d, const struct virtq_chain *c, uint64_t sector,
		     bool write, uint32_t *used)
{
	struct span s;

	if (write) {
		if (d->readonly)
			return VIRTIO_BLK_S_IOERR;
		span_of(&s, c->out, c->n_out, HDR_LEN, c->out_len - HDR_LEN);
	} else {
		span_of(&s, c->in, c->n_in, 0, c->in_len - 1);
	}
	if (s.len % BLK_SECTOR || s.len > BLK_MAX_DATA || !in_disk(d, sector, s.len / BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (span_io(d->fd, &s, sector * BLK_SECTOR, write) < 0)
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		*used = s.len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(const struct blk_disk *d, const struct virtq_chain *c, uint32_t *used)
{
	uint64_t room = c->in_len - 1;

	*used = iov__from_buf(c->in, c->n_in, 0, d->serial, room < BLK_ID_BYTES ? room : BLK_ID_BYTES);
	return VIRTIO_BLK_S_OK;
}

/* Writes zeroes ourselves, for filesystems without ZERO_RANGE; 64 KiB a call. */
static int write_zeroes(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[4096];
	struct iovec iov[16];
	struct span s;

	for (unsigned int i = 0; i < ARRAY_SIZE(iov); i++)
		iov[i] = (struct iovec){ (void *)zero, sizeof(zero) };
	while (len) {
		uint64_t n = len < sizeof(zero) * ARRAY_SIZE(iov) ? len : sizeof(zero) * ARRAY_SIZE(iov);

		span_of(&s, iov, ARRAY_SIZE(iov), 0, n);
		if (span_io(fd, &s, off, true) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

static int discard_range(const struct blk_disk *d, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int r;

	if (d->blockdev)
		r = ioctl(d->fd, BLKDISCARD, range);
	else
		r = fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	/* Discard is a hint (5.2.6.2): a disk that cannot deallocate keeps the data, correctly. */
	return r < 0 && errno != EOPNOTSUPP ? -1 : 0;
}

static int zero_range(const struct blk_disk *d, uint64_t off, uint64_t len, bool unmap)
{
	/* A punched hole reads back as zeroes, on files and (since Linux 4.9) block devices. */
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE;

	if (fallocate(d->fd, mode | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENODEV)
		return -1;
	return write_zeroes(d->fd, off, len);
}

/* DISCARD and WRITE_ZEROES: an array of ranges, all checked before any is acted on. */
static uint8_t do_ranges(const struct blk_disk *d, const struct virtq_chain *c, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes r[RANGE_MAX];
	uint64_t len = c->out_len - HDR_LEN, n = len / RANGE_LEN;
	uint64_t max_seg = zeroes ? BLK_WZ_SEG : BLK_DISCARD_SEG;
	uint64_t max_sectors = zeroes ? BLK_WZ_SECTORS : BLK_DISCARD_SECTORS;

	if (d->readonly || !n || len % RANGE_LEN || n > max_seg)
		return VIRTIO_BLK_S_IOERR;
	/* One copy: the guest may rewrite its buffer while we work, we use what we checked. */
	iov__to_buf(c->out, c->n_out, HDR_LEN, r, len);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t flags = le__to_cpu32(r[i].flags);

		/* Reserved flags, or UNMAP on a discard, are UNSUPP (5.2.6.2). */
		if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) || (flags && !zeroes))
			return VIRTIO_BLK_S_UNSUPP;
		if (le__to_cpu32(r[i].num_sectors) > max_sectors ||
		    !in_disk(d, le__to_cpu64(r[i].sector), le__to_cpu32(r[i].num_sectors)))
			return VIRTIO_BLK_S_IOERR;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = le__to_cpu64(r[i].sector) * BLK_SECTOR;
		uint64_t bytes = (uint64_t)le__to_cpu32(r[i].num_sectors) * BLK_SECTOR;
		bool unmap = le__to_cpu32(r[i].flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;

		if (!bytes)
			continue;	/* fallocate() refuses an empty range */
		if ((zeroes ? zero_range(d, off, bytes, unmap) : discard_range(d, off, bytes)) < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t serve(const struct blk_disk *d, const struct virtq_chain *c,
		     const struct virtio_blk_outhdr *h, uint32_t *used)
{
	uint64_t sector = le__to_cpu64(h->sector);

	switch (le__to_cpu32(h->type)) {
	case VIRTIO_BLK_T_IN:
		return do_rw(d, c, sector, false, used);
	case VIRTIO_BLK_T_OUT:
		return do_rw(d, c, sector, true, used);
	case VIRTIO_BLK_T_FLUSH:
		return fdatasync(d->fd) < 0 && errno != EINVAL ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return do_get_id(d, c, used);
	case VIRTIO_BLK_T_DISCARD:
		return do_ranges(d, c, false);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return do_ranges(d, c, true);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

int blk__serve_chain(const struct blk_disk *d, const struct virtq_chain *c, uint32_t *used)
{
	struct virtio_blk_outhdr h;
	uint8_t status = VIRTIO_BLK_S_IOERR;

	*used = 0;
	if (!c->in_len)
		return -1;
	/* A header split across descriptors is fine; one shorter than 16 bytes is not a request. */
	if (c->out_len >= HDR_LEN) {
		iov__to_buf(c->out, c->n_out, 0, &h, HDR_LEN);
		status = serve(d, c, &h, used);
	}
	if (status != VIRTIO_BLK_S_OK)
		*used = 0;
	iov__from_buf(c->in, c->n_in, c->in_len - 1, &status, 1);
	*used += 1;
	return 0;
}
