/* Public constructors of the virtio-mmio devices of bulkhead-vmm.
 * Each call reserves one virtio-mmio slot (vmm_virtio_slot), so it must run
 * before the kernel command line is finalised. All return 0 or -errno. */
#ifndef BH_VMM_VIRTIO_H
#define BH_VMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct vmm;

/* virtio-blk on a raw image file. serial may be NULL (then "bulkhead"). */
struct vmm_blk_opts {
	const char *path;
	bool readonly;
	const char *serial;
};
int virtio_blk_add(struct vmm *vm, const struct vmm_blk_opts *o, struct bh_error *err);

/* virtio-vsock, Firecracker-style hybrid over Unix sockets: host clients
 * connect to uds_path and send "CONNECT <port>\n"; guest connections to
 * CID 2 port P go to the Unix listener "<uds_path>_P". guest_cid >= 3. */
struct vmm_vsock_opts {
	uint32_t guest_cid;
	const char *uds_path;
	/* The same socket as the running VMM reaches it, from inside its jail
	 * (NULL: uds_path): "<run_path>_P" for guest connections, and the
	 * file removed at exit, once virtio_vsock_jailed() was called. */
	const char *run_path;
};
/* The VMM is now inside its jail: use run_path from here on. */
void virtio_vsock_jailed(void);
int virtio_vsock_add(struct vmm *vm, const struct vmm_vsock_opts *o, struct bh_error *err);

/* virtio-console, one port: guest output goes to out_fd, in_fd feeds the guest. */
int virtio_console_add(struct vmm *vm, int in_fd, int out_fd, struct bh_error *err);

/* virtio-rng backed by getrandom(). */
int virtio_rng_add(struct vmm *vm, struct bh_error *err);

/* Free every device added above (closing image files, sockets; removing the
 * vsock socket file). Call after vmm_run() returned, so no vCPU or loop
 * callback can still enter a device, and before vmm_destroy(). */
void virtio_devices_destroy(void);

/* Some queue is notified by MMIO exits (no ioeventfd): its device work
 * then runs on vCPU threads, whose seccomp filter must allow device I/O. */
bool virtio_notify_on_vcpu(void);

#endif
