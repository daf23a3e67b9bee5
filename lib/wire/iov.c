/* Scatter/gather helpers over iovec arrays (see iov.h). */
#include "iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Copies between iovecs and a flat buffer, starting skip bytes into the iovecs. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip, void *buf,
		       size_t len, bool to_buf)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, k;
		uint8_t *base = iov[i].iov_base;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		k = seg - skip < len - done ? seg - skip : len - done;
		if (to_buf)
			memcpy((uint8_t *)buf + done, base + skip, k);
		else
			memcpy(base + skip, (uint8_t *)buf + done, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t iov__to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, true);
}

size_t iov__from_buf(const struct iovec *iov, unsigned int n, size_t skip, const void *buf,
		     size_t len)
{
	return iov_copy(iov, n, skip, (void *)buf, len, false);
}

unsigned int iov__slice(const struct iovec *iov, unsigned int n, size_t skip, size_t len,
			struct iovec *dst)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		size_t seg = iov[i].iov_len;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		seg -= skip;
		if (seg > len)
			seg = len;
		dst[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, seg };
		len -= seg;
		skip = 0;
	}
	return k;
}
