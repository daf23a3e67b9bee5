/*
 * The hooks each architecture implements in arch/<arch>/ (the Makefile links one). Generic
 * code never tests which architecture it runs on; it calls these.
 */
#ifndef KAGE_VMM_ARCH_H
#define KAGE_VMM_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct vm;
struct vcpu;
struct vm_config;

/* Guest-physical RAM layout for mem_size bytes: fills gpa/size pairs, returns how many. */
int arch__ram_layout(uint64_t mem_size, uint64_t gpa[], uint64_t size[], int max,
		     struct err **err);
/* After memory is registered: interrupt controllers, timers, anything VM-wide. */
int arch__vm_init(struct vm *vm, struct err **err);
/* Per vCPU, before it first runs: CPU identity, registers at reset, local interrupt setup. */
int arch__vcpu_init(struct vcpu *vcpu, struct err **err);
/* The platform devices every guest gets (console, reset), registered on the VM's buses. */
int arch__add_platform_devices(struct vm *vm, struct err **err);
/* Places kernel, initrd, command line and boot tables; sets the boot vCPU's entry state. */
int arch__load_kernel(struct vm *vm, struct err **err);
/*
 * The version string a kernel image carries (`kage version` prints the embedded one's) into
 * buf, NUL-terminated; -1 with err when the image is not this architecture's or has none.
 */
int arch__kernel_version(const void *image, size_t size, char *buf, size_t len,
			 struct err **err);
/* Exits only this architecture has (port I/O on x86). Returns 1 if it handled the exit. */
int arch__handle_exit(struct vcpu *vcpu);
/* The guest-physical range reserved for device MMIO windows. */
void arch__device_window(uint64_t *base, uint64_t *size);
/* The index-th interrupt line free for devices, or -1 when there are no more. */
int arch__device_irq(unsigned int index);
/* Kernel arguments the platform needs (console device, reboot method). */
const char *arch__base_cmdline(void);
/* The vCPU's state in one line (where it was, its paging and tables), for a guest that died:
 * a triple fault leaves nothing on the guest's console. (AMD's KVM resets the vCPU on a
 * shutdown, so there it shows the reset state.) */
void arch__describe_vcpu(struct vcpu *vcpu, char *buf, size_t len);


/*
 * What `kage check` looks for on this architecture: the KVM capabilities kage's VMM uses, and
 * the hardware virtualization extensions that can back KVM here, each as the word it shows
 * in /proc/cpuinfo's feature line (arch__cpuinfo_features names that line) and the KVM
 * module that drives it.
 */
struct arch_kvm_cap {
	int cap;		/* KVM_CAP_* */
	const char *name;
};

struct arch_virt_ext {
	const char *flag;	/* in the feature line: "vmx" */
	const char *name;	/* "VT-x" */
	const char *module;	/* "kvm_intel" */
	const char *firmware;	/* what firmware setup menus call it: "Intel VT" */
};

const struct arch_kvm_cap *arch__kvm_caps(size_t *n);
const struct arch_virt_ext *arch__virt_exts(size_t *n);
const char *arch__cpuinfo_features(void);

#endif
