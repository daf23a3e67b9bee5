/* Allocation of device MMIO windows and interrupt lines. */
#include "platform.h"

#include "arch.h"
#include "vm.h"

int platform__alloc_mmio(struct vm *vm, uint64_t size, uint64_t *base, struct err **err)
{
	uint64_t start, len;

	arch__device_window(&start, &len);
	if (!vm->next_mmio)
		vm->next_mmio = start;
	/* Windows are size-aligned, as a page-granular guest mapping wants. */
	uint64_t at = (vm->next_mmio + size - 1) & ~(size - 1);

	if (at + size > start + len)
		return err_msg(err, "no room left for a device window");
	*base = at;
	vm->next_mmio = at + size;
	return 0;
}

int platform__alloc_irq(struct vm *vm, unsigned int *irq, struct err **err)
{
	int line = arch__device_irq(vm->nr_irqs);

	if (line < 0)
		return err_msg(err, "no interrupt line left for another device");
	vm->nr_irqs++;
	*irq = line;
	return 0;
}
