/*
 * Per-vCPU state at reset: CPUID (KVM's supported set, with our topology and without what a
 * microVM guest must not use), the MSRs Linux expects firmware to have set, the FPU, and the
 * local APIC's LINT pins wired as on a PC.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../../lib/cleanup.h"
#include "../../vmm/arch.h"
#include "../../vmm/vm.h"

#define CPUID_MAX_ENTRIES 1024

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 1ULL
#define MTRR_ENABLE (1ULL << 11)
#define MTRR_TYPE_WB 6ULL

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static struct kvm_cpuid2 *supported_cpuid(struct vm *vm, struct err **err)
{
	for (int n = 128; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c) {
			err_errno(err, "allocate CPUID");
			return NULL;
		}
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			err_errno(err, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	err_msg(err, "KVM_GET_SUPPORTED_CPUID: more than %d entries", CPUID_MAX_ENTRIES);
	return NULL;
}

static void filter_cpuid(struct kvm_cpuid2 *c, unsigned int id, unsigned int nr,
			 bool tsc_deadline)
{
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC ID and logical count; "running under a hypervisor". */
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) | ((nr & 0xff) << 16);
			e->ecx |= 1u << 31;
			e->ecx &= ~(1u << 5);	/* VMX: no nested virtualization in the guest */
			/* KVM emulates the TSC-deadline timer but leaves advertising it to us. */
			if (tsc_deadline)
				e->ecx |= 1u << 24;
			break;
		case 6:
			/* Thermal and power management: nothing to manage in a VM. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xa:
			/* No PMU: a guest perf subsystem would be slow and leak host counters. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;	/* x2APIC ID */
			break;
		case 0x80000001:
			e->ecx &= ~(1u << 2);	/* SVM */
			break;
		}
	}
}

static int set_cpuid(struct vcpu *vcpu, struct err **err)
{
	_cleanup_free_ struct kvm_cpuid2 *c = supported_cpuid(vcpu->vm, err);

	if (!c)
		return -1;
	filter_cpuid(c, vcpu->id, vcpu->vm->nr_vcpus,
		     ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		return err_errno(err, "KVM_SET_CPUID2");
	return 0;
}

static int set_msrs(struct vcpu *vcpu, struct err **err)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} boot_msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },  { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },	      { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },      { MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		/* Firmware enables MTRRs with write-back default; without it all RAM is UC. */
		{ MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB },
	};
	const size_t n = ARRAY_SIZE(boot_msrs);
	_cleanup_free_ struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));

	if (!msrs)
		return err_errno(err, "allocate MSRs");
	msrs->nmsrs = n;
	for (size_t i = 0; i < n; i++) {
		msrs->entries[i].index = boot_msrs[i].index;
		msrs->entries[i].data = boot_msrs[i].value;
	}
	int set = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);

	if (set < 0)
		return err_errno(err, "KVM_SET_MSRS");
	if ((size_t)set != n)
		return err_msg(err, "KVM refused MSR 0x%x", boot_msrs[set].index);
	return 0;
}

static int set_fpu(struct vcpu *vcpu, struct err **err)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return err_errno(err, "KVM_SET_FPU");
	return 0;
}

static void set_lvt_mode(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, l->regs + reg, sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(l->regs + reg, &v, sizeof(v));
}

/* LINT0 takes the 8259's ExtINT and LINT1 NMIs, as a PC's firmware leaves them. */
static int set_lint(struct vcpu *vcpu, struct err **err)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return err_errno(err, "KVM_GET_LAPIC");
	set_lvt_mode(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	set_lvt_mode(&lapic, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return err_errno(err, "KVM_SET_LAPIC");
	return 0;
}

int arch__vcpu_init(struct vcpu *vcpu, struct err **err)
{
	if (set_cpuid(vcpu, err) < 0 || set_msrs(vcpu, err) < 0 || set_fpu(vcpu, err) < 0 ||
	    set_lint(vcpu, err) < 0)
		return -1;
	return 0;
}

void arch__describe_vcpu(struct vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(buf, len, "registers unreadable: %s", strerror(errno));
		return;
	}
	snprintf(buf, len,
		 "rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%x cr0=0x%llx cr2=0x%llx cr3=0x%llx "
		 "cr4=0x%llx efer=0x%llx idt=0x%llx/%u gdt=0x%llx/%u tr=0x%x",
		 (unsigned long long)r.rip, (unsigned long long)r.rsp,
		 (unsigned long long)r.rflags, s.cs.selector, (unsigned long long)s.cr0,
		 (unsigned long long)s.cr2, (unsigned long long)s.cr3, (unsigned long long)s.cr4,
		 (unsigned long long)s.efer, (unsigned long long)s.idt.base, s.idt.limit,
		 (unsigned long long)s.gdt.base, s.gdt.limit, s.tr.selector);
}
