/*
 * Where devices go: MMIO windows and interrupt lines handed out in order from what the
 * architecture reserves for devices (arch__device_window, arch__device_irq).
 */
#ifndef KAGE_VMM_PLATFORM_H
#define KAGE_VMM_PLATFORM_H

#include <stdint.h>

#include "../lib/err.h"

struct vm;

int platform__alloc_mmio(struct vm *vm, uint64_t size, uint64_t *base, struct err **err);
int platform__alloc_irq(struct vm *vm, unsigned int *irq, struct err **err);

#endif
