/* What the fuzz harnesses share: libFuzzer's entry point, an invariant check that aborts
 * (so libFuzzer keeps the input) instead of returning quietly, and chains cut from input. */
#ifndef KAGE_TESTS_FUZZ_H
#define KAGE_TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define ASSERT(cond)                                                             \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                             \
			abort();                                                 \
		}                                                                \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Cuts len bytes of src (0xa5 filler when src is NULL) into n segments of about equal size,
 * appended to iov[*count] on, as a device sees a chain. Each segment is an allocation of its
 * own, so that ASan sees any access past one. Returns len.
 */
static inline size_t fuzz__cut(struct iovec *iov, unsigned int *count, const uint8_t *src,
			       size_t len, unsigned int n)
{
	size_t off = 0;

	for (unsigned int i = 0; i < n; i++) {
		size_t l = i + 1 == n ? len - off : (len - off) / (n - i);
		uint8_t *seg = malloc(l ? l : 1);

		if (!seg)
			abort();
		if (src)
			memcpy(seg, src + off, l);
		else
			memset(seg, 0xa5, l);
		iov[(*count)++] = (struct iovec){ seg, l };
		off += l;
	}
	return len;
}

static inline void fuzz__free(struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(iov[i].iov_base);
}

#endif
