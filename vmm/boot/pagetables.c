/* Identity-mapped page tables for the first 4 GiB (2 MiB pages, so MMIO
 * devices in the gap are reachable too) and the boot GDT: 0x08 flat 32-bit
 * code (PVH), 0x10 flat 64-bit code, 0x18 flat data (__BOOT_CS/__BOOT_DS),
 * 0x20 a TSS for TR. */
#include "vmm/boot/boot.h"

#include <string.h>

int boot_write_pagetables(const struct boot_mem *m, struct bh_error *err)
{
	if (m->size < BOOT_PD_ADDR + 4 * 4096)
		return bh_error_setx(err, EINVAL, "guest memory too small for page tables");
	uint64_t *pml4 = (uint64_t *)(m->ram + BOOT_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(m->ram + BOOT_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(m->ram + BOOT_PD_ADDR);
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | 0x3;                 /* present, writable */
	for (int i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + 0x1000ULL * i) | 0x3;
	for (uint64_t i = 0; i < 2048; i++)
		pd[i] = (i << 21) | 0x83;               /* present, writable, 2 MiB */

	static const uint64_t gdt[5] = {
		0,
		0x00cf9b000000ffffULL,   /* 0x08: 32-bit code (PVH entry) */
		0x00af9b000000ffffULL,   /* 0x10: code, L=1 */
		0x00cf93000000ffffULL,   /* 0x18: data */
		0x00008b0000000067ULL,   /* 0x20: busy 64-bit TSS at 0 (TR must be valid) */
	};
	memcpy(m->ram + BOOT_GDT_ADDR, gdt, sizeof(gdt));
	return 0;
}
