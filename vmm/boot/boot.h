/* Linux x86-64 boot protocol: kernel loaders (vmlinux ELF, bzImage), initrd
 * placement, the zero page with e820, the MP table, page tables and GDT.
 * Everything works on a plain buffer standing for low guest RAM (guest
 * physical 0 .. size), so the loaders can be fuzzed without KVM. */
#ifndef BH_VMM_BOOT_H
#define BH_VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Low-memory layout (guest physical). */
#define BOOT_GDT_ADDR      0x500
#define BOOT_PVH_INFO      0x6000      /* PVH: hvm_start_info, modules, memory map */
#define BOOT_ZERO_PAGE     0x7000
#define BOOT_STACK_TOP     0x8ff0
#define BOOT_PML4_ADDR     0x9000
#define BOOT_PDPT_ADDR     0xa000
#define BOOT_PD_ADDR       0xb000      /* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_CMDLINE_ADDR  0x20000
#define BOOT_CMDLINE_MAX   4096
#define BOOT_EBDA_START    0x9fc00     /* MP table lives here */
#define BOOT_HIMEM_START   0x100000    /* kernels load at or above 1 MiB */
#define BOOT_IDENTITY_MAP  0x100000000ULL

struct boot_mem {
	uint8_t *ram;          /* host pointer for guest physical 0 */
	uint64_t size;         /* low RAM bytes (below the MMIO gap) */
	uint64_t total;        /* all guest RAM, for e820 (>= size) */
};

struct boot_kernel {
	uint64_t entry;        /* 64-bit entry point */
	uint64_t start, end;   /* guest physical range the kernel occupies */
	bool bzimage;
	/* bzImage: the setup header, copied into the zero page at 0x1f1. */
	uint8_t hdr[0x80];
	size_t hdr_len;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size; /* largest command line the kernel takes */
	uint64_t pvh_entry;    /* ELF with a PVH note: its 32-bit entry, else 0 */
};

/* Load a kernel image (vmlinux ELF64 or bzImage) into m. name is for
 * messages ("kernel <name>: ..."). */
int boot_load_kernel(const struct boot_mem *m, const uint8_t *img, size_t len,
		     const char *name, struct boot_kernel *k, struct bh_error *err);
int boot_elf_load(const struct boot_mem *m, const uint8_t *img, size_t len,
		  const char *name, struct boot_kernel *k, struct bh_error *err);
int boot_bzimage_load(const struct boot_mem *m, const uint8_t *img, size_t len,
		      const char *name, struct boot_kernel *k, struct bh_error *err);

/* Copy the initrd to the top of low memory (below initrd_addr_max, above
 * the kernel). */
int boot_load_initrd(const struct boot_mem *m, const struct boot_kernel *k,
		     const uint8_t *data, size_t len, const char *name,
		     uint64_t *addr, struct bh_error *err);

/* The zero page: setup header, e820, command line, initrd. */
int boot_write_params(const struct boot_mem *m, const struct boot_kernel *k,
		      const char *cmdline, uint64_t initrd_addr, uint64_t initrd_len,
		      struct bh_error *err);
/* e820 entries for the memory map (also used by the zero page). */
struct boot_e820 { uint64_t addr, size; uint32_t type; };
int boot_e820_table(const struct boot_mem *m, struct boot_e820 *out, int max);

/* PVH: the 32-bit entry from an ELF's XEN_ELFNOTE_PHYS32_ENTRY note
 * (-ENOENT without one), and the hvm_start_info (at BOOT_PVH_INFO) that
 * replaces the zero page. */
int boot_elf_pvh_entry(const uint8_t *img, size_t len, uint64_t *entry);
int boot_write_pvh(const struct boot_mem *m, const struct boot_kernel *k,
		   const char *cmdline, uint64_t initrd_addr, uint64_t initrd_len,
		   struct bh_error *err);

/* Identity-mapped page tables for the first 4 GiB and a flat GDT. */
int boot_write_pagetables(const struct boot_mem *m, struct bh_error *err);
/* MP table (processors, ISA bus, IOAPIC, interrupt routing) in the EBDA. */
int boot_write_mptable(const struct boot_mem *m, unsigned ncpus, struct bh_error *err);

#endif
