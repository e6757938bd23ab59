/* bzImage loader (boot protocol >= 2.12 with XLF_KERNEL_64): the
 * protected-mode part goes to pref_address (or 1 MiB) and is entered in
 * 64-bit mode at load address + 0x200; the setup header is handed on in the
 * zero page. */
#include "vmm/boot/boot.h"

#include <string.h>

#define HDR_START 0x1f1
#define XLF_KERNEL_64 0x1
#define LOADED_HIGH 0x1

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int boot_bzimage_load(const struct boot_mem *m, const uint8_t *img, size_t len,
		      const char *name, struct boot_kernel *k, struct bh_error *err)
{
	if (len < 0x268)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage truncated in its setup header (%zu bytes)", name, len);
	if (rd16(img + 0x1fe) != 0xaa55)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage boot flag is 0x%x, not 0xaa55", name, rd16(img + 0x1fe));
	uint16_t version = rd16(img + 0x206);
	if (version < 0x020c)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage boot protocol %u.%02u is too old (need 2.12 for "
				     "the 64-bit entry)", name, version >> 8, version & 0xff);
	if (!(rd16(img + 0x236) & XLF_KERNEL_64))
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage has no 64-bit entry point (XLF_KERNEL_64 unset)", name);
	if (!(img[0x211] & LOADED_HIGH))
		return bh_error_setx(err, ENOEXEC, "kernel %s: zImage (not loaded high) is not supported", name);
	unsigned setup_sects = img[0x1f1] ? img[0x1f1] : 4;
	size_t setup = (size_t)(setup_sects + 1) * 512;
	if (setup >= len)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage truncated: %zu bytes, setup alone is %zu",
				     name, len, setup);
	size_t pm_len = len - setup;
	if (pm_len <= 0x200)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage truncated: %zu bytes of protected-mode code "
				     "do not reach the 64-bit entry at +0x200", name, pm_len);
	uint64_t init_size = rd32(img + 0x260);
	uint64_t need = init_size > pm_len ? init_size : pm_len;
	uint64_t load = BOOT_HIMEM_START;
	uint64_t pref = rd64(img + 0x258);
	if (pref >= BOOT_HIMEM_START && pref + need >= pref && pref + need <= m->size)
		load = pref;
	if (load + need > m->size)
		return bh_error_setx(err, ENOEXEC, "kernel %s: bzImage needs [0x%llx,0x%llx) which lies beyond guest memory "
				     "(%llu MiB)", name, (unsigned long long)load, (unsigned long long)(load + need),
				     (unsigned long long)(m->size >> 20));
	memcpy(m->ram + load, img + setup, pm_len);

	/* Header length: the jump at 0x200 skips it; cap at our copy size. */
	size_t hend = 0x202 + img[0x201];
	if (hend < 0x268)
		hend = 0x268;
	if (hend > HDR_START + sizeof(k->hdr))
		hend = HDR_START + sizeof(k->hdr);
	k->hdr_len = hend - HDR_START;
	memcpy(k->hdr, img + HDR_START, k->hdr_len);
	k->entry = load + 0x200;
	k->start = load;
	k->end = load + need;
	k->bzimage = true;
	k->initrd_addr_max = rd32(img + 0x22c);
	k->cmdline_size = rd32(img + 0x238);
	if (k->cmdline_size == 0 || k->cmdline_size > BOOT_CMDLINE_MAX - 1)
		k->cmdline_size = BOOT_CMDLINE_MAX - 1;
	return 0;
}
