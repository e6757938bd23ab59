/* Kernel images as the VMM's loader sees them: ELF64 vmlinux or bzImage
 * bytes, loaded into a small fake low guest memory (no KVM), then the rest
 * of the boot setup that depends on what was loaded (initrd placement from
 * the image's own limits, zero page, page tables, MP table, the PVH note
 * and start_info). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"

#define FAKE_MEM (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	if (!ram && !(ram = calloc(1, FAKE_MEM)))
		abort();
	struct boot_mem m = { .ram = ram, .size = FAKE_MEM, .total = FAKE_MEM };
	struct boot_kernel k;
	struct bh_error err = { 0 };

	if (boot_load_kernel(&m, data, size, "fuzz", &k, &err) < 0) {
		if (!err.msg[0])
			abort();   /* every failure must say why */
		return 0;
	}
	if (k.entry < k.start || k.entry >= k.end || k.end > m.size)
		abort();
	static const uint8_t initrd[4096] = { 1 };
	uint64_t ia = 0;
	size_t ilen = size % sizeof(initrd) + 1;
	if (boot_load_initrd(&m, &k, initrd, ilen, "fuzz", &ia, &err) == 0 &&
	    (ia < k.end || ia + ilen > m.size))
		abort();
	boot_write_pagetables(&m, &err);
	boot_write_mptable(&m, (unsigned)(size % 33), &err);
	boot_write_params(&m, &k, "console=ttyS0", ia, ilen, &err);
	uint64_t pvh;
	if (boot_elf_pvh_entry(data, size, &pvh) == 0 && k.pvh_entry && k.pvh_entry != pvh)
		abort();
	boot_write_pvh(&m, &k, "console=ttyS0", ia, ilen, &err);
	return 0;
}
