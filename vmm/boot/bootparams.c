/* The zero page (struct boot_params), the e820 map, the command line and
 * the initrd placement. Offsets: Linux Documentation/arch/x86/zero-page.rst
 * and boot.rst. */
#include "vmm/boot/boot.h"

#include <string.h>

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      128
#define MMIO_GAP_START 0xc0000000ULL

static void wr8(uint8_t *p, uint8_t v) { *p = v; }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

int boot_e820_table(const struct boot_mem *m, struct boot_e820 *out, int max)
{
	struct boot_e820 t[4];
	int n = 0;
	t[n++] = (struct boot_e820){ 0, BOOT_EBDA_START, E820_RAM };
	/* EBDA (MP table) up to 640K; 640K-1M is the legacy hole. */
	t[n++] = (struct boot_e820){ BOOT_EBDA_START, 0xa0000 - BOOT_EBDA_START, E820_RESERVED };
	if (m->size > BOOT_HIMEM_START)
		t[n++] = (struct boot_e820){ BOOT_HIMEM_START, m->size - BOOT_HIMEM_START, E820_RAM };
	if (m->total > m->size)
		t[n++] = (struct boot_e820){ 0x100000000ULL, m->total - m->size, E820_RAM };
	for (int i = 0; i < n && i < max; i++)
		out[i] = t[i];
	return n;
}

int boot_load_initrd(const struct boot_mem *m, const struct boot_kernel *k,
		     const uint8_t *data, size_t len, const char *name,
		     uint64_t *addr, struct bh_error *err)
{
	uint64_t limit = (uint64_t)k->initrd_addr_max + 1;
	if (limit > m->size)
		limit = m->size;
	uint64_t floor = (k->end + 0xfff) & ~0xfffULL;
	if (len == 0)
		return bh_error_setx(err, EINVAL, "initrd %s: empty file", name);
	if ( len > limit || ((limit - len) & ~0xfffULL) < floor)
		return bh_error_setx(err, EFBIG, "initrd %s: %zu bytes do not fit between the kernel's end (0x%llx) and "
				     "0x%llx; give the guest more memory", name, len,
				     (unsigned long long)floor, (unsigned long long)limit);
	uint64_t a = (limit - len) & ~0xfffULL;
	memcpy(m->ram + a, data, len);
	*addr = a;
	return 0;
}

int boot_write_params(const struct boot_mem *m, const struct boot_kernel *k,
		      const char *cmdline, uint64_t initrd_addr, uint64_t initrd_len,
		      struct bh_error *err)
{
	if (m->size < BOOT_HIMEM_START)
		return bh_error_setx(err, EINVAL, "guest memory: %llu bytes is too small", (unsigned long long)m->size);
	size_t clen = strlen(cmdline);
	if (clen > k->cmdline_size)
		return bh_error_setx(err, E2BIG, "kernel command line: %zu bytes, the kernel takes at most %u",
				     clen, k->cmdline_size);
	memcpy(m->ram + BOOT_CMDLINE_ADDR, cmdline, clen + 1);

	uint8_t *bp = m->ram + BOOT_ZERO_PAGE;
	memset(bp, 0, 4096);
	if (k->bzimage) {
		memcpy(bp + 0x1f1, k->hdr, k->hdr_len);
	} else {
		wr16(bp + 0x1fe, 0xaa55);           /* boot_flag */
		memcpy(bp + 0x202, "HdrS", 4);      /* header */
		wr16(bp + 0x206, 0x020c);           /* version */
		wr32(bp + 0x230, 0x01000000);       /* kernel_alignment */
		wr32(bp + 0x22c, k->initrd_addr_max);
	}
	wr8(bp + 0x210, 0xff);                      /* type_of_loader: undefined */
	wr8(bp + 0x211, bp[0x211] | 0x01);          /* loadflags: LOADED_HIGH */
	wr32(bp + 0x228, BOOT_CMDLINE_ADDR);        /* cmd_line_ptr */
	wr32(bp + 0x238, (uint32_t)clen);           /* cmdline_size as we set it */
	wr32(bp + 0x218, (uint32_t)initrd_addr);    /* ramdisk_image */
	wr32(bp + 0x21c, (uint32_t)initrd_len);     /* ramdisk_size */
	wr32(bp + 0x0c0, (uint32_t)(initrd_addr >> 32));
	wr32(bp + 0x0c4, (uint32_t)(initrd_len >> 32));

	struct boot_e820 e[E820_MAX];
	int n = boot_e820_table(m, e, E820_MAX);
	wr8(bp + 0x1e8, (uint8_t)n);
	for (int i = 0; i < n; i++) {
		uint8_t *p = bp + 0x2d0 + 20 * i;
		memcpy(p, &e[i].addr, 8);
		memcpy(p + 8, &e[i].size, 8);
		wr32(p + 16, e[i].type);
	}
	return 0;
}
