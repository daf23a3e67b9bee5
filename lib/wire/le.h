/*
 * Little-endian fields (virtio 1.x rings, headers, config space and registers) read and written
 * the same on any host. The loads and stores go byte by byte, so they need no alignment and no
 * knowledge of the host's byte order; compilers turn them into one move (and a byte swap on a
 * big-endian host). The conversions are built on them: a value kept in a struct field that
 * the guest reads is le__from_cpu*() of it, and one the guest wrote is le__to_cpu*() of it.
 */
#ifndef KAGE_LIB_WIRE_LE_H
#define KAGE_LIB_WIRE_LE_H

#include <stdint.h>

static inline uint16_t le__load16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le__load32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t le__load64(const void *p)
{
	const uint8_t *b = p;

	return le__load32(b) | (uint64_t)le__load32(b + 4) << 32;
}

static inline void le__store16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le__store32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le__store64(void *p, uint64_t v)
{
	uint8_t *b = p;

	le__store32(b, (uint32_t)v);
	le__store32(b + 4, (uint32_t)(v >> 32));
}

/* v as a field the guest reads: the same bytes le__store*() would write. */
static inline uint16_t le__from_cpu16(uint16_t v)
{
	uint16_t r;

	le__store16(&r, v);
	return r;
}

static inline uint32_t le__from_cpu32(uint32_t v)
{
	uint32_t r;

	le__store32(&r, v);
	return r;
}

static inline uint64_t le__from_cpu64(uint64_t v)
{
	uint64_t r;

	le__store64(&r, v);
	return r;
}

/* A field the guest wrote (its bytes as they lie in memory) as a host value. */
static inline uint16_t le__to_cpu16(uint16_t v)
{
	return le__load16(&v);
}

static inline uint32_t le__to_cpu32(uint32_t v)
{
	return le__load32(&v);
}

static inline uint64_t le__to_cpu64(uint64_t v)
{
	return le__load64(&v);
}

#endif
