/*
 * Port I/O and MMIO dispatch: devices register an address range and a handler; the vCPU
 * threads route each exit to the handler whose range holds the address. Accesses nobody
 * claimed read as all-ones and are dropped on write, as on real hardware.
 */
#ifndef KAGE_VMM_IOBUS_H
#define KAGE_VMM_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/err.h"

/* offset is relative to the registered base; len is 1, 2, 4 or 8. */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn fn;
	void *opaque;
};

#define IOBUS_MAX_RANGES 64

struct iobus {
	struct io_range ranges[IOBUS_MAX_RANGES];
	unsigned int nr;
};

int iobus__register(struct iobus *bus, uint64_t base, uint64_t len, io_handler_fn fn,
		    void *opaque, struct err **err);
/* Returns false when no device claims addr (the access was handled as unclaimed). */
bool iobus__dispatch(const struct iobus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		     bool is_write);

#endif
