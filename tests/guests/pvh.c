/* Booted with --pvh: entered at the PVH note's 32-bit entry with paging off
 * and EBX = hvm_start_info. Prints the command line, the memory map and the
 * first module (the initrd) for the host test. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	const uint8_t *si = (const uint8_t *)guest_pvh_start_info;
	guest_check(bp == NULL, "no boot_params on the PVH path");
	if (!guest_check(si && *(const uint32_t *)si == 0x336ec578u, "hvm_start_info magic in EBX"))
		guest_finish();
	guest_printf("pvh: version %u modules %u\n", *(const uint32_t *)(si + 4), *(const uint32_t *)(si + 12));
	guest_printf("cmdline: %s\n", guest_cmdline());
	struct guest_e820 e[8];
	int n = guest_e820(e, 8);
	for (int i = 0; i < n && i < 8; i++)
		guest_printf("memmap: %lx-%lx type %u\n", e[i].addr, e[i].addr + e[i].size, e[i].type);
	if (*(const uint32_t *)(si + 12) >= 1) {
		const uint64_t *mod = (const uint64_t *)*(const uint64_t *)(si + 16);
		const char *data = (const char *)mod[0];
		char head[17];
		memcpy(head, data, 16);
		head[16] = 0;
		guest_printf("module: %lu bytes at %lx: %s\n", mod[1], mod[0], head);
	}
	guest_finish();
}
