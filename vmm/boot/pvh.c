/* PVH boot (Xen's direct boot ABI, which Linux's vmlinux also implements):
 * the entry comes from the XEN_ELFNOTE_PHYS32_ENTRY note, the kernel starts
 * in 32-bit protected mode with paging off and EBX pointing at an
 * hvm_start_info with the command line, the memory map and the initrd. */
#include "vmm/boot/boot.h"

#include <elf.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

int boot_elf_pvh_entry(const uint8_t *img, size_t len, uint64_t *entry)
{
	Elf64_Ehdr eh;
	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return -ENOEXEC;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		const uint8_t *p = img + ph.p_offset, *end = p + ph.p_filesz;
		while (end - p >= 12) {
			uint32_t namesz, descsz, type;
			memcpy(&namesz, p, 4);
			memcpy(&descsz, p + 4, 4);
			memcpy(&type, p + 8, 4);
			uint64_t name_len = ((uint64_t)namesz + 3) & ~3ULL;
			uint64_t desc_len = ((uint64_t)descsz + 3) & ~3ULL;
			if (name_len + desc_len > (uint64_t)(end - p) - 12)
				break;
			const uint8_t *name = p + 12, *desc = name + name_len;
			if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(name, "Xen", 4) &&
			    (descsz == 4 || descsz == 8)) {
				uint64_t e = 0;
				memcpy(&e, desc, descsz);
				*entry = e;
				return 0;
			}
			p = desc + desc_len;
		}
	}
	return -ENOENT;
}

int boot_write_pvh(const struct boot_mem *m, const struct boot_kernel *k,
		   const char *cmdline, uint64_t initrd_addr, uint64_t initrd_len,
		   struct bh_error *err)
{
	size_t clen = strlen(cmdline);
	if (clen > k->cmdline_size)
		return bh_error_setx(err, E2BIG, "kernel command line: %zu bytes, the kernel takes at most %u",
				     clen, k->cmdline_size);
	memcpy(m->ram + BOOT_CMDLINE_ADDR, cmdline, clen + 1);

	uint8_t *base = m->ram + BOOT_PVH_INFO;
	memset(base, 0, 4096);
	struct boot_e820 e[8];
	int n = boot_e820_table(m, e, 8);
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC, .version = 1,
		.cmdline_paddr = BOOT_CMDLINE_ADDR,
		.memmap_paddr = BOOT_PVH_INFO + 0x100, .memmap_entries = (uint32_t)n,
	};
	if (initrd_len) {
		struct hvm_modlist_entry mod = { .paddr = initrd_addr, .size = initrd_len };
		memcpy(base + 0x80, &mod, sizeof(mod));
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_PVH_INFO + 0x80;
	}
	memcpy(base, &si, sizeof(si));
	for (int i = 0; i < n; i++) {
		struct hvm_memmap_entry me = { e[i].addr, e[i].size, e[i].type, 0 };
		memcpy(base + 0x100 + i * sizeof(me), &me, sizeof(me));
	}
	return 0;
}
