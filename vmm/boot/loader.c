/* Kernel image detection: ELF magic or the bzImage "HdrS" header. */
#include "vmm/boot/boot.h"

#include <string.h>

int boot_load_kernel(const struct boot_mem *m, const uint8_t *img, size_t len,
		     const char *name, struct boot_kernel *k, struct bh_error *err)
{
	memset(k, 0, sizeof(*k));
	if (len >= 4 && memcmp(img, "\177ELF", 4) == 0)
		return boot_elf_load(m, img, len, name, k, err);
	if (len >= 0x206 && memcmp(img + 0x202, "HdrS", 4) == 0)
		return boot_bzimage_load(m, img, len, name, k, err);
	if (len < 0x206 && !(len >= 4 && memcmp(img, "\177ELF", 4) == 0))
		return bh_error_setx(err, ENOEXEC, "kernel %s: %zu bytes is too short for a kernel image "
				     "(neither ELF nor bzImage)", name, len);
	return bh_error_setx(err, ENOEXEC, "kernel %s: not a kernel image (no ELF magic and no "
			     "bzImage \"HdrS\" header)", name);
}
