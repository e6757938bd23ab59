/* The kernel command line the VMM builds: the configured base plus what
 * devices append (virtio_mmio.device=...), and virtio-mmio slot allocation. */
#include "vmm/machine.h"

#include <stdio.h>
#include <string.h>

int vmm_cmdline_append(struct vmm *vm, const char *text, struct bh_error *err)
{
	size_t n = strlen(text);
	size_t sep = vm->cmdline_len ? 1 : 0;
	if (vm->running)
		return bh_error_setx(err, EBUSY, "kernel command line: the guest has started");
	if (vm->cmdline_len + sep + n >= sizeof(vm->cmdline))
		return bh_error_setx(err, E2BIG, "kernel command line: longer than %zu bytes with \"%s\"",
				     sizeof(vm->cmdline) - 1, text);
	if (sep)
		vm->cmdline[vm->cmdline_len++] = ' ';
	memcpy(vm->cmdline + vm->cmdline_len, text, n + 1);
	vm->cmdline_len += n;
	return 0;
}

/* GSIs for virtio devices: 5-7, 9-11, 13-15, 16-23 (0-4, 8, 12 are ISA:
 * timer, keyboard, cascade, serial, RTC, mouse). */
static const uint8_t virtio_gsis[] = { 5, 6, 7, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };

int vmm_virtio_slot(struct vmm *vm, uint64_t *base, unsigned *gsi, struct bh_error *err)
{
	unsigned i = vm->virtio_count;
	if (i >= sizeof(virtio_gsis))
		return bh_error_setx(err, ENOSPC, "virtio: at most %zu devices", sizeof(virtio_gsis));
	uint64_t b = VMM_VIRTIO_MMIO_BASE + i * VMM_VIRTIO_MMIO_SIZE;
	char arg[64];
	snprintf(arg, sizeof(arg), "virtio_mmio.device=4K@0x%llx:%u", (unsigned long long)b, virtio_gsis[i]);
	int r = vmm_cmdline_append(vm, arg, err);
	if (r < 0)
		return r;
	vm->virtio_count++;
	*base = b;
	*gsi = virtio_gsis[i];
	return 0;
}
