/*
 * The Linux x86 boot protocol, 64-bit entry: load a bzImage's protected-mode kernel, the
 * initrd and the command line, describe memory in the zero page's e820 table, and start the
 * boot vCPU in long mode on identity-mapped page tables at startup_64. No firmware runs.
 */
#include <asm/bootparam.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../../vmm/arch.h"
#include "../../vmm/vm.h"
#include "x86.h"

#define SETUP_HEADER_OFFSET 0x1f1
#define HDRS_MAGIC 0x53726448	/* "HdrS" */
#define BOOT_FLAG 0xaa55
#define MIN_PROTOCOL 0x020c	/* 2.12: xloadflags, and with it the 64-bit entry */
#define STARTUP_64_OFFSET 0x200
#define LOADER_UNDEFINED 0xff
#define E820_RAM 1
#define E820_RESERVED 2

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define GDT_CODE 2	/* the protocol asks for __BOOT_CS = 0x10, __BOOT_DS = 0x18 */
#define GDT_DATA 3
#define GDT_TSS 4
#define GDT_ENTRIES 5

struct image {
	const uint8_t *data;
	size_t size;
	struct setup_header hdr;
	uint64_t load_addr;
	uint64_t low_end;	/* end of RAM below the MMIO hole */
};

static int parse_header(struct image *im, struct err **err)
{
	if (im->size < SETUP_HEADER_OFFSET + sizeof(im->hdr))
		return err_msg(err, "kernel image too small (%zu bytes)", im->size);
	memcpy(&im->hdr, im->data + SETUP_HEADER_OFFSET, sizeof(im->hdr));
	if (im->hdr.header != HDRS_MAGIC || im->hdr.boot_flag != BOOT_FLAG) {
		if (!memcmp(im->data, "\177ELF", 4))
			return err_msg(err, "the kernel is an ELF vmlinux: give kage a bzImage");
		return err_msg(err, "the kernel is not a Linux bzImage (no HdrS boot header)");
	}
	if (im->hdr.version < MIN_PROTOCOL)
		return err_msg(err, "boot protocol %u.%02u is too old: the 64-bit entry needs 2.12",
			       im->hdr.version >> 8, im->hdr.version & 0xff);
	if (!(im->hdr.xloadflags & XLF_KERNEL_64))
		return err_msg(err, "the kernel has no 64-bit entry point (XLF_KERNEL_64)");
	return 0;
}

static int load_kernel(struct vm *vm, struct image *im, struct err **err)
{
	unsigned int setup_sects = im->hdr.setup_sects ? im->hdr.setup_sects : 4;
	size_t off = (setup_sects + 1) * 512ULL;

	if (off >= im->size)
		return err_msg(err, "kernel image truncated: setup is %zu bytes of %zu", off,
			       im->size);
	/* A non-relocatable kernel runs only at its preferred address; any kernel runs there. */
	im->load_addr = im->hdr.pref_address ? im->hdr.pref_address : HIMEM_START;
	uint64_t need = im->hdr.init_size > im->size - off ? im->hdr.init_size : im->size - off;

	if (im->load_addr < HIMEM_START || im->load_addr + need > im->low_end)
		return err_msg(err, "guest memory too small for the kernel: it needs %llu MiB",
			       (unsigned long long)((im->load_addr + need) >> 20) + 1);
	if (gmem__write(&vm->mem, im->load_addr, im->data + off, im->size - off) < 0)
		return err_msg(err, "kernel does not fit in guest memory");
	return 0;
}

static int load_initrd(struct vm *vm, struct image *im, struct boot_params *bp,
		       struct err **err)
{
	const struct vm_config *cfg = vm->cfg;

	if (!cfg->initrd)
		return 0;
	uint64_t max = im->hdr.initrd_addr_max ? im->hdr.initrd_addr_max : 0x37ffffff;
	uint64_t top = im->low_end < max + 1 ? im->low_end : max + 1;
	uint64_t kernel_end = im->load_addr + im->hdr.init_size;

	if (cfg->initrd_size > top || ((top - cfg->initrd_size) & ~0xfffULL) < kernel_end)
		return err_msg(err, "the initrd (%zu KiB) does not fit in guest memory above the "
			       "kernel: give the VM more memory", cfg->initrd_size >> 10);
	uint64_t addr = (top - cfg->initrd_size) & ~0xfffULL;

	if (gmem__write(&vm->mem, addr, cfg->initrd, cfg->initrd_size) < 0)
		return err_msg(err, "initrd does not fit in guest memory");
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
	bp->ext_ramdisk_image = addr >> 32;
	bp->ext_ramdisk_size = (uint64_t)cfg->initrd_size >> 32;
	return 0;
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE || !size)
		return;
	bp->e820_table[bp->e820_entries++] =
		(struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
}

static void fill_e820(struct vm *vm, struct boot_params *bp)
{
	add_e820(bp, 0, EBDA_START, E820_RAM);
	add_e820(bp, EBDA_START, EBDA_END - EBDA_START, E820_RESERVED);
	add_e820(bp, MPTABLE_GPA, MPTABLE_END - MPTABLE_GPA, E820_RESERVED);
	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		const struct gmem_region *r = &vm->mem.regions[i];
		uint64_t start = r->gpa < HIMEM_START ? HIMEM_START : r->gpa;

		if (r->gpa + r->size > start)
			add_e820(bp, start, r->gpa + r->size - start, E820_RAM);
	}
}

static int write_cmdline(struct vm *vm, struct image *im, struct boot_params *bp,
			 struct err **err)
{
	char line[CMDLINE_MAX];
	int n = snprintf(line, sizeof(line), "%s%s%s", vm->cfg->cmdline,
			 vm->dev_cmdline[0] ? " " : "", vm->dev_cmdline);
	size_t len = (size_t)n + 1;
	size_t max = im->hdr.cmdline_size ? im->hdr.cmdline_size + 1 : 256;

	if (max > CMDLINE_MAX)
		max = CMDLINE_MAX;
	if (n < 0 || len > max)
		return err_msg(err, "kernel command line too long (%zu bytes, the kernel takes %zu)",
			       len - 1, max - 1);
	if (gmem__write(&vm->mem, CMDLINE_GPA, line, len) < 0)
		return err_msg(err, "no guest memory for the command line");
	bp->hdr.cmd_line_ptr = CMDLINE_GPA;
	return 0;
}

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0xf0000u) << 32) | ((uint64_t)(base & 0xffffffu) << 16) |
	       (limit & 0xffffu);
}

static struct kvm_segment segment(uint64_t desc, unsigned int index)
{
	return (struct kvm_segment){
		.base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000),
		.limit = (desc & 0xffff) | ((desc >> 32) & 0xf0000),
		.selector = index * 8,
		.type = (desc >> 40) & 0xf,
		.present = (desc >> 47) & 1,
		.dpl = (desc >> 45) & 3,
		.db = (desc >> 54) & 1,
		.s = (desc >> 44) & 1,
		.l = (desc >> 53) & 1,
		.g = (desc >> 55) & 1,
	};
}

/* Identity-maps the first 4 GiB with 2 MiB pages: enough for startup_64 to find everything. */
static int write_page_tables(struct vm *vm, struct err **err)
{
	uint64_t pml4 = PDPT_GPA | 3, pdpt[4], pd[512];

	if (gmem__write(&vm->mem, PML4_GPA, &pml4, sizeof(pml4)) < 0)
		return err_msg(err, "no guest memory for page tables");
	for (int i = 0; i < 4; i++) {
		pdpt[i] = (PD_GPA + i * 0x1000) | 3;
		for (int j = 0; j < 512; j++)
			pd[j] = ((uint64_t)(i * 512 + j) << 21) | 0x83;	/* present, rw, 2 MiB */
		if (gmem__write(&vm->mem, PD_GPA + i * 0x1000, pd, sizeof(pd)) < 0)
			return err_msg(err, "no guest memory for page tables");
	}
	if (gmem__write(&vm->mem, PDPT_GPA, pdpt, sizeof(pdpt)) < 0)
		return err_msg(err, "no guest memory for page tables");
	return 0;
}

static int enter_long_mode(struct vm *vm, struct image *im, struct err **err)
{
	const uint64_t gdt[GDT_ENTRIES] = {
		[GDT_CODE] = gdt_entry(0xa09b, 0, 0xfffff),
		[GDT_DATA] = gdt_entry(0xc093, 0, 0xfffff),
		[GDT_TSS] = gdt_entry(0x808b, 0, 0xfffff),
	};
	const uint64_t idt = 0;
	struct vcpu *boot = &vm->vcpus[0];
	struct kvm_sregs sregs;

	if (gmem__write(&vm->mem, BOOT_GDT_GPA, gdt, sizeof(gdt)) < 0 ||
	    gmem__write(&vm->mem, BOOT_IDT_GPA, &idt, sizeof(idt)) < 0)
		return err_msg(err, "no guest memory for the GDT");
	if (write_page_tables(vm, err) < 0)
		return -1;
	if (ioctl(boot->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_errno(err, "KVM_GET_SREGS");
	sregs.gdt.base = BOOT_GDT_GPA;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = BOOT_IDT_GPA;
	sregs.idt.limit = sizeof(idt) - 1;
	sregs.cs = segment(gdt[GDT_CODE], GDT_CODE);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(gdt[GDT_DATA], GDT_DATA);
	sregs.tr = segment(gdt[GDT_TSS], GDT_TSS);
	sregs.cr3 = PML4_GPA;
	sregs.cr4 |= CR4_PAE;
	sregs.cr0 |= CR0_PE | CR0_PG | CR0_ET;
	sregs.efer |= EFER_LME | EFER_LMA;
	if (ioctl(boot->fd, KVM_SET_SREGS, &sregs) < 0)
		return err_errno(err, "KVM_SET_SREGS");

	struct kvm_regs regs = {
		.rflags = 0x2,
		.rip = im->load_addr + STARTUP_64_OFFSET,
		.rsp = BOOT_STACK_GPA,
		.rbp = BOOT_STACK_GPA,
		.rsi = ZERO_PAGE_GPA,	/* the protocol: boot_params in rsi */
	};

	if (ioctl(boot->fd, KVM_SET_REGS, &regs) < 0)
		return err_errno(err, "KVM_SET_REGS");
	return 0;
}

int arch__load_kernel(struct vm *vm, struct err **err)
{
	struct image im = { .data = vm->cfg->kernel, .size = vm->cfg->kernel_size };
	struct boot_params bp;

	im.low_end = vm->mem.regions[0].gpa + vm->mem.regions[0].size;
	if (parse_header(&im, err) < 0 || load_kernel(vm, &im, err) < 0)
		return err_prefix(err, "load kernel");

	memset(&bp, 0, sizeof(bp));
	/* The setup header as the image carries it: its length is in its own jump field. */
	size_t hdr_len = 0x202 + im.data[0x201] - SETUP_HEADER_OFFSET;

	if (hdr_len > sizeof(bp.hdr))
		hdr_len = sizeof(bp.hdr);
	memcpy(&bp.hdr, im.data + SETUP_HEADER_OFFSET, hdr_len);
	bp.hdr.type_of_loader = LOADER_UNDEFINED;
	bp.hdr.loadflags |= CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = 0xfe00;

	if (load_initrd(vm, &im, &bp, err) < 0 || write_cmdline(vm, &im, &bp, err) < 0)
		return err_prefix(err, "load kernel");
	fill_e820(vm, &bp);
	if (gmem__write(&vm->mem, ZERO_PAGE_GPA, &bp, sizeof(bp)) < 0)
		return err_msg(err, "no guest memory for the zero page");
	if (mptable__write(vm, vm->nr_vcpus, err) < 0)
		return -1;
	return enter_long_mode(vm, &im, err);
}
