/*
 * x86_64 VM-wide setup: RAM layout around the 32-bit MMIO hole, the in-kernel interrupt
 * controllers and PIT, the legacy devices a PC guest expects, and port I/O dispatch.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../devices/serial.h"
#include "../../lib/log.h"
#include "../../vmm/arch.h"
#include "../../vmm/vm.h"
#include "x86.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define I8042_PORT 0x60
#define I8042_CMD_RESET 0xfe

int arch__ram_layout(uint64_t mem_size, uint64_t gpa[], uint64_t size[], int max,
		     struct err **err)
{
	if (mem_size <= MMIO_HOLE_START) {
		gpa[0] = 0;
		size[0] = mem_size;
		return 1;
	}
	if (max < 2)
		return err_msg(err, "memory layout needs two regions");
	gpa[0] = 0;
	size[0] = MMIO_HOLE_START;
	gpa[1] = MMIO_HOLE_END;
	size[1] = mem_size - MMIO_HOLE_START;
	return 2;
}

int arch__vm_init(struct vm *vm, struct err **err)
{
	uint64_t identity = IDENTITY_MAP_GPA;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_GPA) < 0)
		return err_errno(err, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return err_errno(err, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_errno(err, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_errno(err, "KVM_CREATE_PIT2");
	return 0;
}

/* Device windows sit at the bottom of the 32-bit MMIO hole, far below the IOAPIC. */
#define DEVICE_WINDOW_BASE 0xd0000000ULL
#define DEVICE_WINDOW_SIZE 0x10000000ULL

void arch__device_window(uint64_t *base, uint64_t *size)
{
	*base = DEVICE_WINDOW_BASE;
	*size = DEVICE_WINDOW_SIZE;
}

/*
 * The ISA lines no PC device claims (0 timer, 1 keyboard, 2 cascade, 3-4 COM, 8 RTC, 13 FPU
 * are taken), then the IOAPIC's eight beyond them; the MP table routes each to the pin of
 * the same number.
 */
static const unsigned char device_irqs[] = { 5,  6,  7,  9,  10, 11, 12, 14, 15,
					     16, 17, 18, 19, 20, 21, 22, 23 };

int arch__device_irq(unsigned int index)
{
	return index < sizeof(device_irqs) ? device_irqs[index] : -1;
}

const char *arch__base_cmdline(void)
{
	/*
	 * reboot=k: the guest resets through the i8042, which we see as a port write (with the
	 * in-kernel irqchip a halted guest would be invisible). panic=-1: a panic resets at
	 * once, and the console line before it tells us it was a panic. no_timer_check: our
	 * IOAPIC timer routing is known good, skip the slow probe.
	 */
	return "console=ttyS0 reboot=k panic=-1 no_timer_check";
}

static void serial_irq(void *ctx, int level)
{
	vm__irq_line(ctx, COM1_IRQ, level);
}

static void console_line(void *ctx, const char *line)
{
	if (strstr(line, "Kernel panic - not syncing"))
		vm__note_panic(ctx, strstr(line, "Kernel panic"));
}

static const struct serial_ops console_ops = {
	.irq = serial_irq,
	.line = console_line,
};

/* The keyboard controller exists only as the reset line (reboot=k) and an idle status. */
static void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write) {
		/* Status 0: both buffers empty, so the guest's kb_wait() returns at once. */
		for (uint32_t i = 0; i < len; i++)
			data[i] = 0;
		return;
	}
	if (offset == 4 && data[0] == I8042_CMD_RESET)
		vm__request_stop(vm, VM_STOP_REBOOT, "the guest rebooted");
}

int arch__add_platform_devices(struct vm *vm, struct err **err)
{
	int out_fd = vm->cfg->console ? STDOUT_FILENO : -1;

	if (serial__create(&vm->console, &console_ops, vm, out_fd, err) < 0)
		return -1;
	if (iobus__register(&vm->pio, COM1_PORT, 8, serial__io, vm->console, err) < 0 ||
	    iobus__register(&vm->pio, I8042_PORT, 5, i8042_io, vm, err) < 0)
		return -1;
	return 0;
}

int arch__handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_IO)
		return 0;
	/* KVM hands us string I/O as count back-to-back items in the run area. */
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t size = run->io.size;

	if (size != 1 && size != 2 && size != 4)
		return 0;
	if (run->io.data_offset + (uint64_t)size * run->io.count > vcpu->vm->run_size)
		return 0;
	for (uint32_t i = 0; i < run->io.count; i++, data += size)
		iobus__dispatch(&vcpu->vm->pio, run->io.port, data, size,
				run->io.direction == KVM_EXIT_IO_OUT);
	return 1;
}
