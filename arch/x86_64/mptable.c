/*
 * The Intel MultiProcessor table: how a guest without ACPI finds its CPUs, its IOAPIC and how
 * its interrupt lines reach it. Written in the BIOS area, one of the places Linux looks.
 */
#include <string.h>

#include "../../vmm/vm.h"
#include "x86.h"

#define MPC_APIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define MP_MAX_CPUS 254		/* 8-bit APIC IDs, one kept for the IOAPIC */
/* KVM's IOAPIC: pins 0-15 are the ISA lines, 16-23 more lines for virtio-mmio devices. */
#define IOAPIC_PINS 24

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length;
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define CPU_ENABLED 1
#define CPU_BOOTPROCESSOR 2

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

int mptable__write(struct vm *vm, unsigned int nr_vcpus, struct err **err)
{
	const size_t size = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
			    nr_vcpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
			    sizeof(struct mpc_ioapic) + (IOAPIC_PINS + 2) * sizeof(struct mpc_intsrc);
	const uint8_t ioapic_id = nr_vcpus;

	if (nr_vcpus > MP_MAX_CPUS)
		return err_msg(err, "the MP table describes at most %d vCPUs", MP_MAX_CPUS);
	uint8_t *base = gmem__ptr(&vm->mem, MPTABLE_GPA, size);

	if (!base || MPTABLE_GPA + size > MPTABLE_END)
		return err_msg(err, "the MP table for %u vCPUs does not fit below 1 MiB", nr_vcpus);
	memset(base, 0, size);

	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *table = (void *)(mpf + 1);
	uint8_t *p = (uint8_t *)(table + 1);
	uint16_t entries = 0;

	for (unsigned int i = 0; i < nr_vcpus; i++, entries++, p += sizeof(struct mpc_cpu)) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = i,
			.apicver = MPC_APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600,	/* family 6; Linux reads the real CPUID anyway */
			.featureflag = 0x201,	/* FPU, APIC */
		};
		memcpy(p, &cpu, sizeof(cpu));
	}
	struct mpc_bus bus = { .type = MP_BUS, .busid = 0, .bustype = "ISA   " };

	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	entries++;
	struct mpc_ioapic ioapic = { .type = MP_IOAPIC, .apicid = ioapic_id,
				     .apicver = IOAPIC_VERSION, .flags = 1,
				     .apicaddr = IOAPIC_GPA };

	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	entries++;
	/* KVM's default routing sends GSI n to IOAPIC pin n, the PIT's IRQ 0 included. Pins
	 * past 15 are described as ISA lines too (edge, active high), as the devices on them
	 * are driven like those on 5-15. */
	for (unsigned int irq = 0; irq < IOAPIC_PINS; irq++, entries++, p += sizeof(struct mpc_intsrc)) {
		struct mpc_intsrc src = { .type = MP_INTSRC, .irqtype = MP_INT, .srcbus = 0,
					  .srcbusirq = irq, .dstapic = ioapic_id, .dstirq = irq };
		memcpy(p, &src, sizeof(src));
	}
	const struct mpc_intsrc lints[2] = {
		{ .type = MP_LINTSRC, .irqtype = MP_EXTINT, .dstapic = 0xff, .dstirq = 0 },
		{ .type = MP_LINTSRC, .irqtype = MP_NMI, .dstapic = 0xff, .dstirq = 1 },
	};

	memcpy(p, lints, sizeof(lints));
	p += sizeof(lints);
	entries += 2;

	memcpy(table->signature, "PCMP", 4);
	table->length = p - (uint8_t *)table;
	table->spec = 4;
	memcpy(table->oem, "KAGE    ", 8);
	memcpy(table->productid, "microVM     ", 12);
	table->oemcount = entries;
	table->lapic = LAPIC_GPA;
	table->checksum = checksum(table, table->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = MPTABLE_GPA + sizeof(*mpf);
	mpf->length = 1;	/* in 16-byte units */
	mpf->specification = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
