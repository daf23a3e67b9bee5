/*
 * Proves the KVM chain works where the VM tests run: creates a VM, runs a few real-mode guest
 * instructions that do port I/O, and checks each exit KVM reports, including a value the guest
 * read from us and stored into its memory. Prints TAP lines; exits non-zero on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x10000
#define CODE_GPA 0x1000
#define DATA_GPA 0x3000
#define IN_VALUE 0x55

static int failures, n;

static void check(int cond, const char *what)
{
	printf("%sok %d - kvm-probe: %s\n", cond ? "" : "not ", ++n, what);
	if (!cond)
		failures++;
}

/* mov al,0x2a; out 0x10,al; add al,0x11; mov dx,0x3f8; out dx,al; in al,0x20;
 * mov [0x3000],al; out 0x11,al; hlt */
static const uint8_t code[] = {
	0xb0, 0x2a, 0xe6, 0x10, 0x04, 0x11, 0xba, 0xf8, 0x03, 0xee,
	0xe4, 0x20, 0xa2, 0x00, 0x30, 0xe6, 0x11, 0xf4,
};

struct want {
	uint32_t reason;
	uint8_t dir;
	uint16_t port;
	uint8_t value;
	const char *what;
};

static const struct want script[] = {
	{ KVM_EXIT_IO, KVM_EXIT_IO_OUT, 0x10, 0x2a, "guest wrote 0x2a to port 0x10" },
	{ KVM_EXIT_IO, KVM_EXIT_IO_OUT, 0x3f8, 0x3b, "guest computed 0x2a+0x11 and wrote it to 0x3f8" },
	{ KVM_EXIT_IO, KVM_EXIT_IO_IN, 0x20, IN_VALUE, "guest read port 0x20" },
	{ KVM_EXIT_IO, KVM_EXIT_IO_OUT, 0x11, IN_VALUE, "guest echoed the value it read" },
	{ KVM_EXIT_HLT, 0, 0, 0, "guest halted" },
};

int main(void)
{
	int kvm, vm, vcpu, run_size;
	struct kvm_run *run;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	check(kvm >= 0, "open /dev/kvm read-write");
	if (kvm < 0) {
		printf("# open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	check(ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION, "KVM API version 12");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	check(vm >= 0, "KVM_CREATE_VM");
	if (vm < 0)
		return 1;

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memcpy(mem + CODE_GPA, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	check(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) == 0, "KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	check(vcpu >= 0, "KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		return 1;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 1;

	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 0x2 };

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return 1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	check(ioctl(vcpu, KVM_SET_SREGS, &sregs) == 0 && ioctl(vcpu, KVM_SET_REGS, &regs) == 0,
	      "set real-mode registers");

	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		const struct want *w = &script[i];
		int ok;

		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			printf("# KVM_RUN: %s\n", strerror(errno));
			check(0, w->what);
			break;
		}
		ok = run->exit_reason == w->reason;
		if (ok && w->reason == KVM_EXIT_IO) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			ok = run->io.direction == w->dir && run->io.port == w->port &&
			     run->io.size == 1 && run->io.count == 1;
			if (ok && w->dir == KVM_EXIT_IO_IN)
				*data = w->value;
			else if (ok)
				ok = *data == w->value;
		}
		if (!ok)
			printf("# exit reason %u, io dir %u port 0x%x\n", run->exit_reason,
			       run->io.direction, run->io.port);
		check(ok, w->what);
		if (!ok)
			break;
	}
	check(mem[DATA_GPA] == IN_VALUE, "guest stored the value it read into its memory");
	return failures ? 1 : 0;
}
