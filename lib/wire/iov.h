/*
 * Scatter/gather helpers over iovec arrays (a virtqueue chain's segments, a FUSE request's):
 * copies to and from a flat buffer, and byte ranges as iovecs, never past the segments' ends.
 */
#ifndef KAGE_LIB_IOV_H
#define KAGE_LIB_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copies up to len bytes from the segments, skip bytes in, into buf; returns how many. */
size_t iov__to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len);
/* Copies up to len bytes of buf into the segments, skip bytes in; returns how many. */
size_t iov__from_buf(const struct iovec *iov, unsigned int n, size_t skip, const void *buf,
		     size_t len);
/*
 * Bytes [skip, skip + len) of the segments, as iovecs into the same memory, in dst (room for
 * n); returns how many. Fewer bytes where the segments end first.
 */
unsigned int iov__slice(const struct iovec *iov, unsigned int n, size_t skip, size_t len,
			struct iovec *dst);

#endif
