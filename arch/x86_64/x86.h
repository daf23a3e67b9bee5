/* Guest-physical layout and shared helpers of the x86_64 microVM. */
#ifndef KAGE_ARCH_X86_64_X86_H
#define KAGE_ARCH_X86_64_X86_H

#include <stdint.h>

#include "../../lib/err.h"

struct vm;

/* Low memory the boot path uses: below the 640 KiB line, none of it reported as RAM beyond
 * what the kernel may reuse once it runs, and the MP table in the BIOS area. */
#define BOOT_GDT_GPA 0x500
#define BOOT_IDT_GPA 0x520
#define ZERO_PAGE_GPA 0x7000
#define BOOT_STACK_GPA 0x8ff0
#define PML4_GPA 0x9000
#define PDPT_GPA 0xa000
#define PD_GPA 0xb000		/* four pages: identity map of the first 4 GiB */
#define CMDLINE_GPA 0x20000
#define CMDLINE_MAX 0x10000
#define EBDA_START 0x9fc00	/* the last KiB of base memory, kept from the guest's RAM */
#define EBDA_END 0xa0000
#define MPTABLE_GPA 0xf0000	/* the BIOS area, which Linux scans for the MP table: room */
#define MPTABLE_END 0x100000	/* for 255 vCPUs, where the last KiB held only 40 */
#define HIMEM_START 0x100000

/* The 32-bit MMIO hole: LAPIC, IOAPIC and our devices live above 3 GiB. */
#define MMIO_HOLE_START 0xc0000000ULL
#define MMIO_HOLE_END 0x100000000ULL
#define IOAPIC_GPA 0xfec00000
#define LAPIC_GPA 0xfee00000

#define TSS_GPA 0xfffbd000
#define IDENTITY_MAP_GPA 0xfffbc000

/* Writes the MP table describing nr_vcpus CPUs, the IOAPIC and the ISA interrupts. */
int mptable__write(struct vm *vm, unsigned int nr_vcpus, struct err **err);

#endif
