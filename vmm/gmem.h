/*
 * Guest memory. Every access to guest-physical memory goes through gmem__ptr(), which returns
 * NULL unless the whole range [gpa, gpa+len) lies inside one RAM region: a guest-supplied
 * address is never dereferenced unchecked.
 */
#ifndef KAGE_VMM_GMEM_H
#define KAGE_VMM_GMEM_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct gmem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned int nr;
};

/* Maps anonymous memory for [gpa, gpa+size) and records it (the caller registers it with KVM). */
int gmem__add(struct gmem *m, uint64_t gpa, uint64_t size, struct err **err);
void gmem__free(struct gmem *m);

/* Host pointer for [gpa, gpa+len), or NULL when any byte is outside guest RAM. */
void *gmem__ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Bounds-checked copies; return <0 when the range is not RAM. */
int gmem__write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len);
int gmem__read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len);

#endif
