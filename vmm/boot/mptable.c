/* Intel MultiProcessor table (spec 1.4) in the EBDA: without ACPI, this is
 * how Linux finds the other CPUs, the IOAPIC and the ISA IRQ routing. */
#include "vmm/boot/boot.h"

#include <string.h>

#define MP_LAPIC_ADDR  0xfee00000u
#define MP_IOAPIC_ADDR 0xfec00000u
#define MP_IRQS        24

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, specification, checksum, feature1, feature2, feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec, checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

static uint8_t mp_checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

int boot_write_mptable(const struct boot_mem *m, unsigned ncpus, struct bh_error *err)
{
	size_t size = sizeof(struct mpf_intel) + sizeof(struct mpc_table) + ncpus * sizeof(struct mpc_cpu) +
		      sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
		      (MP_IRQS + 2) * sizeof(struct mpc_intsrc);
	if (ncpus == 0 || BOOT_EBDA_START + size > 0xa0000 || m->size < 0xa0000)
		return bh_error_setx(err, EINVAL, "MP table: %u CPUs do not fit in the EBDA", ncpus);
	uint8_t *base = m->ram + BOOT_EBDA_START;
	memset(base, 0, 0xa0000 - BOOT_EBDA_START);

	struct mpf_intel mpf = { .signature = "_MP_", .physptr = BOOT_EBDA_START + sizeof(mpf),
				 .length = 1, .specification = 4 };
	mpf.checksum = mp_checksum((const uint8_t *)&mpf, sizeof(mpf));
	memcpy(base, &mpf, sizeof(mpf));

	uint8_t *tbl = base + sizeof(mpf);
	uint8_t *p = tbl + sizeof(struct mpc_table);
	uint16_t count = 0;
	uint8_t ioapic_id = (uint8_t)ncpus;
	for (unsigned i = 0; i < ncpus; i++, count++) {
		struct mpc_cpu c = { .type = 0, .apicid = (uint8_t)i, .apicver = 0x14,
				     .cpuflag = (uint8_t)(1 | (i == 0 ? 2 : 0)),
				     .cpufeature = 0x600, .featureflag = 0x201 };
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	struct mpc_bus bus = { .type = 1, .busid = 0, .bustype = { 'I', 'S', 'A', ' ', ' ', ' ' } };
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	count++;
	struct mpc_ioapic io = { .type = 2, .apicid = ioapic_id, .apicver = 0x11, .flags = 1,
				 .apicaddr = MP_IOAPIC_ADDR };
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	count++;
	for (unsigned irq = 0; irq < MP_IRQS; irq++, count++) {
		struct mpc_intsrc s = { .type = 3, .irqtype = 0, .irqflag = 0, .srcbus = 0,
					.srcbusirq = (uint8_t)irq, .dstapic = ioapic_id, .dstirq = (uint8_t)irq };
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
	}
	/* Local interrupts: LINT0 = ExtINT on the BSP (as Firecracker does),
	 * LINT1 = NMI on every LAPIC. */
	struct mpc_intsrc l0 = { .type = 4, .irqtype = 3, .dstapic = 0, .dstirq = 0 };
	struct mpc_intsrc l1 = { .type = 4, .irqtype = 1, .dstapic = 0xff, .dstirq = 1 };
	memcpy(p, &l0, sizeof(l0));
	p += sizeof(l0);
	memcpy(p, &l1, sizeof(l1));
	p += sizeof(l1);
	count += 2;

	struct mpc_table t = { .signature = "PCMP", .length = (uint16_t)(p - tbl), .spec = 4,
			       .oem = "BULKHEAD", .productid = "MICROVM     ", .oemcount = count,
			       .lapic = MP_LAPIC_ADDR };
	memcpy(tbl, &t, sizeof(t));
	tbl[7] = mp_checksum(tbl, (size_t)(p - tbl));   /* checksum field was 0 */
	return 0;
}
