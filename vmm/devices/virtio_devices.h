/* Device constructors without the KVM wiring: they build a struct virtio_dev
 * that virtio_mmio_attach() plugs into a VM, or that a test or fuzz target
 * drives directly through virtio_dev_set_host() and the register functions.
 * Free with virtio_dev_cleanup() then free(). */
#ifndef BH_VMM_VIRTIO_DEVICES_H
#define BH_VMM_VIRTIO_DEVICES_H

#include "vmm/devices/virtio_mmio.h"
#include "vmm/virtio.h"

int virtio_blk_new(const struct vmm_blk_opts *o, struct virtio_dev **out, struct bh_error *err);
int virtio_rng_new(struct virtio_dev **out, struct bh_error *err);
int virtio_console_new(int in_fd, int out_fd, struct virtio_dev **out, struct bh_error *err);
int virtio_vsock_new(const struct vmm_vsock_opts *o, struct virtio_dev **out,
		     struct bh_error *err);
/* vsock: open the host listener (needs the event loop); called by _add. */
int virtio_vsock_listen(struct virtio_dev *d, struct bh_error *err);

/* Attach a device made by a _new constructor; frees it on failure. */
int virtio_dev_add(struct vmm *vm, struct virtio_dev *d, struct bh_error *err);

#endif
