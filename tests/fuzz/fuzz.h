/* What the fuzz harnesses share: libFuzzer's entry point and an invariant check that aborts
 * (so libFuzzer keeps the input) instead of returning quietly. */
#ifndef KAGE_TESTS_FUZZ_H
#define KAGE_TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ASSERT(cond)                                                             \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                             \
			abort();                                                 \
		}                                                                \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
