/* bulkhead-vmm core API: what devices and boot code may use.
 * This is the contract between the machine core (kvm.c, main loop) and the
 * devices in vmm/devices/ (one file each).
 *
 * Threads: one thread per vCPU, plus one event-loop thread (epoll) that runs
 * fd callbacks (ioeventfd notifications, vsock sockets, console input...).
 * MMIO/PIO handlers run on vCPU threads; a device that is touched from more
 * than one thread locks its own state. */
#ifndef BH_VMM_H
#define BH_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct vmm;

/* ---- guest memory ---- */
/* Host pointer for [gpa, gpa+len) or NULL if any byte lies outside guest RAM
 * (overflow-safe).  The only way devices may touch guest memory. */
void *vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len);
uint64_t vmm_mem_size(struct vmm *vm);

/* ---- interrupts (in-kernel irqchip: IOAPIC GSIs) ---- */
int vmm_irq_line(struct vmm *vm, unsigned gsi, int level);
/* Edge-style pulse, for devices without irqfd. */
int vmm_irq_pulse(struct vmm *vm, unsigned gsi);
/* KVM_IRQFD: writes to efd raise gsi. */
int vmm_irqfd(struct vmm *vm, int efd, unsigned gsi, struct bh_error *err);
/* KVM_IOEVENTFD on an MMIO address (4-byte write, optional datamatch). */
int vmm_ioeventfd(struct vmm *vm, int efd, uint64_t addr, bool match,
		  uint64_t datamatch, struct bh_error *err);

/* ---- I/O dispatch ---- */
struct vmm_io_ops {
	/* offset is relative to the registered base; len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned len);
};
int vmm_mmio_register(struct vmm *vm, uint64_t base, uint64_t len,
		      const struct vmm_io_ops *ops, void *opaque, struct bh_error *err);
int vmm_pio_register(struct vmm *vm, uint16_t base, uint16_t len,
		     const struct vmm_io_ops *ops, void *opaque, struct bh_error *err);

/* ---- event loop ---- */
typedef void (*vmm_fd_cb)(void *opaque, int fd, uint32_t events);
int vmm_loop_add(struct vmm *vm, int fd, uint32_t events, vmm_fd_cb cb,
		 void *opaque, struct bh_error *err);
int vmm_loop_mod(struct vmm *vm, int fd, uint32_t events);
void vmm_loop_del(struct vmm *vm, int fd);

/* ---- virtio-mmio slots ----
 * Reserve the next 4 KiB MMIO window and a GSI for a virtio device, and append
 * "virtio_mmio.device=4K@0x<base>:<gsi>" to the kernel command line. */
int vmm_virtio_slot(struct vmm *vm, uint64_t *base, unsigned *gsi,
		    struct bh_error *err);

/* ---- guest end ---- */
enum vmm_exit_reason {
	VMM_EXIT_NONE = 0,
	VMM_EXIT_SHUTDOWN,      /* KVM_EXIT_SHUTDOWN: triple fault, reboot=t */
	VMM_EXIT_I8042_RESET,   /* 0xfe to port 0x64: reboot=k */
	VMM_EXIT_HALT,          /* all vCPUs halted with interrupts off: poweroff */
	VMM_EXIT_REQUESTED,     /* host asked (signal or control socket) */
	VMM_EXIT_ERROR,         /* internal error, emulation failure */
};
/* Ask the VMM to stop; safe from any thread and from signal handlers. */
void vmm_request_exit(struct vmm *vm, enum vmm_exit_reason why);

/* Append to the kernel command line (before boot). */
int vmm_cmdline_append(struct vmm *vm, const char *text, struct bh_error *err);

/* ---- teardown ----
 * fn(arg) runs when the VM is destroyed, after every vCPU and the event loop
 * have stopped, newest first: devices free their state here. */
int vmm_on_destroy(struct vmm *vm, void (*fn)(void *arg), void *arg, struct bh_error *err);

#endif
