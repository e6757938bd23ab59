/* vmlinux (ELF64, x86-64) loader: PT_LOAD segments go to their physical
 * addresses; the 64-bit entry is e_entry (startup_64's physical address). */
#include "vmm/boot/boot.h"

#include <elf.h>
#include <string.h>

#define ELF_MAX_PHDRS 128

static const char *elf_machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86-64";
	case EM_ARM: return "arm";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390";
	default: return "unknown";
	}
}

int boot_elf_load(const struct boot_mem *m, const uint8_t *img, size_t len,
		  const char *name, struct boot_kernel *k, struct bh_error *err)
{
	Elf64_Ehdr eh;
	uint16_t machine;

	if (len < EI_NIDENT + 4 || memcmp(img, ELFMAG, SELFMAG))
		return bh_error_setx(err, ENOEXEC, "kernel %s: truncated ELF header (%zu bytes)", name, len);
	memcpy(&machine, img + 18, 2);   /* e_machine: same offset in ELF32 and ELF64 */
	if (img[EI_CLASS] != ELFCLASS64)
		return bh_error_setx(err, ENOEXEC, "kernel %s: %s ELF for %s (machine %u); need a 64-bit x86-64 vmlinux",
				     name, img[EI_CLASS] == ELFCLASS32 ? "32-bit" : "invalid-class",
				     elf_machine_name(machine), machine);
	if (len < sizeof(eh))
		return bh_error_setx(err, ENOEXEC, "kernel %s: truncated ELF header (%zu bytes)", name, len);
	memcpy(&eh, img, sizeof(eh));
	if (img[EI_DATA] != ELFDATA2LSB)
		return bh_error_setx(err, ENOEXEC, "kernel %s: big-endian ELF; need x86-64", name);
	if (eh.e_machine != EM_X86_64)
		return bh_error_setx(err, ENOEXEC, "kernel %s: ELF for %s (machine %u); need x86-64",
				     name, elf_machine_name(eh.e_machine), eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return bh_error_setx(err, ENOEXEC, "kernel %s: ELF type %u is not an executable", name, eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bad ELF program header table (%u entries of %u bytes)",
				     name, eh.e_phnum, eh.e_phentsize);
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return bh_error_setx(err, ENOEXEC, "kernel %s: ELF program headers lie beyond the end of the file "
				     "(truncated?)", name);

	uint64_t lo = UINT64_MAX, hi = 0;
	int loads = 0;
	/* Check every segment before copying any, so errors leave memory clean. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
				continue;
			if (pass == 1) {
				memcpy(m->ram + ph.p_paddr, img + ph.p_offset, ph.p_filesz);
				memset(m->ram + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
				continue;
			}
			uint64_t end = ph.p_paddr + ph.p_memsz;
			if (ph.p_filesz > ph.p_memsz)
				return bh_error_setx(err, ENOEXEC, "kernel %s: ELF segment %u has file size 0x%llx > memory size 0x%llx",
						     name, i, (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
			if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
				return bh_error_setx(err, ENOEXEC, "kernel %s: ELF segment %u [file 0x%llx+0x%llx) lies beyond the "
						     "end of the file (%zu bytes; truncated?)", name, i,
						     (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz, len);
			if (end < ph.p_paddr || end > m->size)
				return bh_error_setx(err, ENOEXEC, "kernel %s: ELF segment %u [0x%llx,0x%llx) lies beyond guest memory (%llu MiB)",
						     name, i, (unsigned long long)ph.p_paddr, (unsigned long long)end,
						     (unsigned long long)(m->size >> 20));
			if (ph.p_paddr < BOOT_HIMEM_START)
				return bh_error_setx(err, ENOEXEC, "kernel %s: ELF segment %u [0x%llx,0x%llx) overlaps the boot area "
						     "below 1 MiB", name, i, (unsigned long long)ph.p_paddr,
						     (unsigned long long)end);
			if (ph.p_paddr < lo)
				lo = ph.p_paddr;
			if (end > hi)
				hi = end;
			loads++;
		}
		if (pass == 0 && loads == 0)
			return bh_error_setx(err, ENOEXEC, "kernel %s: ELF has no loadable segment", name);
		if (pass == 0 && (eh.e_entry < lo || eh.e_entry >= hi))
			return bh_error_setx(err, ENOEXEC, "kernel %s: ELF entry 0x%llx lies outside the loaded segments "
					     "[0x%llx,0x%llx)", name, (unsigned long long)eh.e_entry,
					     (unsigned long long)lo, (unsigned long long)hi);
	}
	k->entry = eh.e_entry;
	k->start = lo;
	k->end = hi;
	k->bzimage = false;
	k->initrd_addr_max = 0x37ffffff;
	k->cmdline_size = BOOT_CMDLINE_MAX - 1;
	uint64_t pvh;
	if (boot_elf_pvh_entry(img, len, &pvh) == 0 && pvh >= lo && pvh < hi)
		k->pvh_entry = pvh;
	return 0;
}
