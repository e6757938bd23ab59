/* bulkhead-vmm machine core internals: shared by kvm.c, io.c, loop.c, boot/,
 * the legacy devices and main.c.  Devices outside the core use vmm.h only. */
#ifndef BH_VMM_MACHINE_H
#define BH_VMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "vmm/vmm.h"

/* ---- memory map (see docs/vmm.md) ---- */
#define VMM_MMIO_GAP_START   0xc0000000ULL   /* RAM above this moves to 4 GiB */
#define VMM_MMIO_GAP_END     0x100000000ULL
#define VMM_VIRTIO_MMIO_BASE 0xd0000000ULL   /* 4 KiB per virtio device */
#define VMM_VIRTIO_MMIO_SIZE 0x1000ULL
#define VMM_VIRTIO_MMIO_MAX  32
#define VMM_IOAPIC_ADDR      0xfec00000ULL
#define VMM_LAPIC_ADDR       0xfee00000ULL
#define VMM_TSS_ADDR         0xfffbd000ULL
#define VMM_IDMAP_ADDR       0xfffbc000ULL
#define VMM_MAX_VCPUS        32
#define VMM_CMDLINE_MAX      4096

struct kvm_run;

struct vmm_vcpu {
	struct vmm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	_Atomic uint64_t halt_state;   /* (poll generation << 1) | halted-with-IF=0 */
};

struct vmm_io_range {
	uint64_t base, len;
	const struct vmm_io_ops *ops;
	void *opaque;
};

struct vmm_io_space {
	struct vmm_io_range *r;
	size_t n, cap;
};

struct vmm_loop_entry;
struct vmm_seccomp;

struct vmm {
	int kvm_fd, vm_fd;
	size_t run_size;
	uint8_t *mem;            /* one host mapping for all guest RAM */
	uint64_t mem_size;       /* bytes of guest RAM */
	uint64_t low_size;       /* RAM at [0, low_size); the rest starts at 4 GiB */
	bool hugetlb;

	unsigned nvcpus;
	struct vmm_vcpu *vcpus;
	bool running;

	struct vmm_io_space mmio, pio;
	_Atomic unsigned unknown_io;     /* rate-limits the "unknown access" log */

	/* event loop */
	int epfd;
	int exit_efd;
	pthread_mutex_t loop_lock;
	struct vmm_loop_entry **loop_fds;   /* indexed by fd */
	int loop_nfds;
	_Atomic int exit_reason;
	_Atomic uint64_t halt_gen;

	struct vmm_destroy_hook { void (*fn)(void *); void *arg; } *hooks;
	size_t nhooks;

	_Atomic bool vcpu0_done;
	_Atomic uint64_t first_run_ns;   /* CLOCK_MONOTONIC of vCPU 0's first KVM_RUN */

	/* Per-thread syscall filters, installed by each thread at its start
	 * (NULL: seccomp off). Owned by main.c. */
	const struct vmm_seccomp *seccomp;

	char cmdline[VMM_CMDLINE_MAX];
	size_t cmdline_len;
	unsigned virtio_count;
};

struct vmm_machine_opts {
	unsigned vcpus;
	uint64_t memory_mib;
	bool hugepages;          /* hugetlbfs (MAP_HUGETLB) instead of THP */
};

/* kvm.c */
uint64_t vmm_now_ns(void);
int vmm_create(struct vmm **out, const struct vmm_machine_opts *o, struct bh_error *err);
void vmm_destroy(struct vmm *vm);
/* Set up the BSP's registers for a 64-bit Linux boot-protocol entry. */
int vmm_boot_regs(struct vmm *vm, uint64_t entry, uint64_t boot_params,
		  uint64_t stack, uint64_t pml4, uint64_t gdt, struct bh_error *err);
/* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info. */
int vmm_boot_regs_pvh(struct vmm *vm, uint64_t entry, uint64_t start_info, uint64_t gdt,
		      struct bh_error *err);
/* Start vCPU threads and run the event loop until the guest ends or the host
 * asks; returns the reason. */
enum vmm_exit_reason vmm_run(struct vmm *vm, struct bh_error *err);
/* Exit status of bulkhead-vmm for a reason (documented in docs/vmm.md). */
int vmm_exit_status(enum vmm_exit_reason why);
const char *vmm_exit_name(enum vmm_exit_reason why);

/* boot/linux.c: load kernel (+initrd) and set up the BSP for its entry:
 * the 64-bit Linux boot protocol, or PVH when asked (ELF with a PVH note). */
int vmm_boot_linux(struct vmm *vm, const char *kernel, const char *initrd, bool pvh,
		   struct bh_error *err);

/* api.c: control socket ("shutdown", "ping"). */
int vmm_api_listen(struct vmm *vm, const char *path, struct bh_error *err);

/* io.c: dispatch from vCPU exits. */
void vmm_io_pio(struct vmm *vm, uint16_t port, uint8_t *data, unsigned len, bool write);
void vmm_io_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, unsigned len, bool write);
void vmm_io_free(struct vmm *vm);

/* loop.c */
int vmm_loop_init(struct vmm *vm, struct bh_error *err);
/* Runs callbacks until an exit is requested; tick_cb runs on a timer
 * (halt polling) with a growing period. */
void vmm_loop_run(struct vmm *vm, void (*tick_cb)(struct vmm *));
void vmm_loop_free(struct vmm *vm);

/* devices */
struct vmm_serial_opts {
	int out_fd;      /* -1: output off */
	int in_fd;       /* -1: no input */
};
int vmm_serial_add(struct vmm *vm, const struct vmm_serial_opts *o, struct bh_error *err);
int vmm_rtc_add(struct vmm *vm, struct bh_error *err);
int vmm_i8042_add(struct vmm *vm, struct bh_error *err);

#endif
