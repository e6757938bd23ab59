/* Boot a Linux-protocol kernel (and initrd) into the machine: load, write
 * page tables, GDT, MP table and zero page, set the BSP's registers. */
#include "vmm/machine.h"
#include "vmm/boot/boot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Map a whole file read-only (page cache pages, not our RSS once unmapped). */
static int map_file(const char *what, const char *path, const uint8_t **p, size_t *len,
		    struct bh_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "%s %s", what, path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = bh_error_set(err, errno, "%s %s: stat", what, path);
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bh_error_setx(err, EINVAL, "%s %s: not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return bh_error_setx(err, EINVAL, "%s %s: empty file", what, path);
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return bh_error_set(err, e, "%s %s: mmap", what, path);
	*p = m;
	*len = (size_t)st.st_size;
	return 0;
}

int vmm_boot_linux(struct vmm *vm, const char *kernel, const char *initrd, bool pvh,
		   struct bh_error *err)
{
	struct boot_mem m = { .ram = vm->mem, .size = vm->low_size, .total = vm->mem_size };
	struct boot_kernel k;
	const uint8_t *img;
	size_t len;
	uint64_t initrd_addr = 0, initrd_len = 0;

	int r = map_file("kernel", kernel, &img, &len, err);
	if (r < 0)
		return r;
	r = boot_load_kernel(&m, img, len, kernel, &k, err);
	munmap((void *)img, len);
	if (r < 0)
		return r;
	if (pvh && !k.pvh_entry)
		return bh_error_setx(err, ENOEXEC, "kernel %s: no PVH entry (an ELF note XEN_ELFNOTE_PHYS32_ENTRY "
				     "inside a loaded segment); boot it without PVH", kernel);
	if (initrd) {
		if ((r = map_file("initrd", initrd, &img, &len, err)) < 0)
			return r;
		r = boot_load_initrd(&m, &k, img, len, initrd, &initrd_addr, err);
		munmap((void *)img, len);
		if (r < 0)
			return r;
		initrd_len = len;
	}
	if ((r = boot_write_pagetables(&m, err)) < 0 ||
	    (r = boot_write_mptable(&m, vm->nvcpus, err)) < 0)
		return r;
	if (pvh) {
		if ((r = boot_write_pvh(&m, &k, vm->cmdline, initrd_addr, initrd_len, err)) < 0)
			return r;
		return vmm_boot_regs_pvh(vm, k.pvh_entry, BOOT_PVH_INFO, BOOT_GDT_ADDR, err);
	}
	if ((r = boot_write_params(&m, &k, vm->cmdline, initrd_addr, initrd_len, err)) < 0)
		return r;
	return vmm_boot_regs(vm, k.entry, BOOT_ZERO_PAGE, BOOT_STACK_TOP, BOOT_PML4_ADDR,
			     BOOT_GDT_ADDR, err);
}
