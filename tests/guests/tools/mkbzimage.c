/* Wraps a tiny guest ELF (linked at 0x100200) into a bzImage-format file:
 * a 1 KiB real-mode part holding a boot-protocol 2.15 setup header with
 * XLF_KERNEL_64, then the protected-mode part, whose 64-bit entry is at
 * +0x200 as for Linux. Used to test the VMM's bzImage path.
 *   mkbzimage GUEST.elf OUT.bzImage */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD 0x100000u

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage GUEST.elf OUT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	static uint8_t elf[1 << 20];
	size_t n = fread(elf, 1, sizeof(elf), f);
	fclose(f);
	Elf64_Ehdr eh;
	memcpy(&eh, elf, sizeof(eh));
	if (n < sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_entry != LOAD + 0x200) {
		fprintf(stderr, "%s: not a guest ELF entered at 0x%x\n", argv[1], LOAD + 0x200);
		return 1;
	}
	uint64_t end = LOAD + 0x200;
	static uint8_t pm[1 << 20];
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, elf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_paddr < LOAD || ph.p_paddr + ph.p_filesz - LOAD > sizeof(pm) ||
		    ph.p_offset + ph.p_filesz > n) {
			fprintf(stderr, "%s: segment %u out of range\n", argv[1], i);
			return 1;
		}
		memcpy(pm + ph.p_paddr - LOAD, elf + ph.p_offset, ph.p_filesz);
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	size_t pm_len = 0;
	for (size_t i = 0; i < sizeof(pm); i++)
		if (pm[i])
			pm_len = i + 1;

	uint8_t setup[1024] = { 0 };
	setup[0x1f1] = 1;                 /* setup_sects */
	put16(setup + 0x1fe, 0xaa55);     /* boot_flag */
	setup[0x200] = 0xeb;              /* jmp over the header */
	setup[0x201] = 0x66;              /* header ends at 0x268 */
	memcpy(setup + 0x202, "HdrS", 4);
	put16(setup + 0x206, 0x020f);     /* version 2.15 */
	setup[0x211] = 0x01;              /* loadflags: LOADED_HIGH */
	put32(setup + 0x214, LOAD);       /* code32_start */
	put32(setup + 0x22c, 0x7fffffff); /* initrd_addr_max */
	put32(setup + 0x230, 0x200000);   /* kernel_alignment */
	put16(setup + 0x236, 0x1);        /* xloadflags: XLF_KERNEL_64 */
	put32(setup + 0x238, 2047);       /* cmdline_size */
	put64(setup + 0x258, LOAD);       /* pref_address */
	put32(setup + 0x260, (uint32_t)(end - LOAD)); /* init_size */

	FILE *o = fopen(argv[2], "wb");
	if (!o || fwrite(setup, 1, sizeof(setup), o) != sizeof(setup) ||
	    fwrite(pm, 1, pm_len, o) != pm_len || fclose(o)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
