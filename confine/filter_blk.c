/* The virtio-blk workers: vectored I/O at an offset on the disk's one fd, discard, flush. */
#include "seccomp_filter.h"

#include <linux/fs.h>

static const int blk_syscalls[] = {
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(fallocate),		/* discard and write-zeroes on a file */
	SCMP_SYS(fdatasync),		/* VIRTIO_BLK_T_FLUSH */
	SCMP_SYS(fsync),
	SCMP_SYS(timerfd_settime),	/* the interrupt re-check timer */
};

static const unsigned long blk_ioctls[] = {
	BLKDISCARD,		/* discard on a block device */
};

int filter__blk(struct filter *f)
{
	return filter__allow(f, blk_syscalls, FILTER_LEN(blk_syscalls)) ?:
	       filter__allow_ioctls(f, blk_ioctls, FILTER_LEN(blk_ioctls));
}
