/* virtio-mmio transport (virtio 1.x, register layout version 2).
 *
 * A device is a struct virtio_dev (embedded first in the device's own state)
 * plus a const struct virtio_dev_ops. The transport owns the registers, the
 * feature handshake, the queues, interrupts and the per-device lock; the
 * device owns its request handling.  Everything the transport needs from the
 * machine goes through struct virtio_host, so devices can also be driven
 * without KVM (fuzz target, unit tests). */
#ifndef BH_VMM_VIRTIO_MMIO_H
#define BH_VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "vmm/devices/virtqueue.h"
#include "vmm/vmm.h"

#define VIRTIO_MMIO_MAGIC      0x74726976  /* "virt" */
#define VIRTIO_MMIO_VERSION    2
#define VIRTIO_MMIO_VENDOR     0x48424b42  /* "BKBH" */

#define VIRTIO_MMIO_MAGIC_VALUE          0x000
#define VIRTIO_MMIO_VERSION_REG          0x004
#define VIRTIO_MMIO_DEVICE_ID            0x008
#define VIRTIO_MMIO_VENDOR_ID            0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES      0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL  0x014
#define VIRTIO_MMIO_DRIVER_FEATURES      0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL  0x024
#define VIRTIO_MMIO_QUEUE_SEL            0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX        0x034
#define VIRTIO_MMIO_QUEUE_NUM            0x038
#define VIRTIO_MMIO_QUEUE_READY          0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY         0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS     0x060
#define VIRTIO_MMIO_INTERRUPT_ACK        0x064
#define VIRTIO_MMIO_STATUS               0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW       0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH      0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW     0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH    0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW     0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH    0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION    0x0fc
#define VIRTIO_MMIO_CONFIG               0x100
#define VIRTIO_MMIO_SIZE                 0x1000

#define VIRTIO_MMIO_INT_VRING   1
#define VIRTIO_MMIO_INT_CONFIG  2

#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

#define VIRTIO_F_INDIRECT_DESC  28
#define VIRTIO_F_VERSION_1      32

#define VIRTIO_MAX_QUEUES  4
#define VIRTIO_CONFIG_MAX  64

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;         /* "blk", "vsock"... for log messages */
	uint32_t device_id;
	unsigned num_queues;
	/* Called with the device lock held, only while DRIVER_OK and not broken. */
	void (*notify)(struct virtio_dev *d, unsigned queue);
	/* Device-specific reset (status 0 written); lock held. Optional. */
	void (*reset)(struct virtio_dev *d);
	/* The driver set DRIVER_OK; lock held. Optional. */
	void (*driver_ok)(struct virtio_dev *d);
	/* Release device-specific state. Optional. */
	void (*destroy)(struct virtio_dev *d);
};

/* What the transport needs from the machine. */
struct virtio_host {
	void *ctx;
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void (*irq)(struct virtio_dev *d);   /* raise the device's interrupt */
	int (*loop_add)(void *ctx, int fd, uint32_t events, vmm_fd_cb cb, void *opaque,
			struct bh_error *err);
	int (*loop_mod)(void *ctx, int fd, uint32_t events);
	void (*loop_del)(void *ctx, int fd);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	struct virtio_host host;
	struct vq_mem mem;
	pthread_mutex_t lock;

	uint64_t features;        /* offered */
	uint64_t driver_features; /* accepted by the driver */
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t status, isr, config_gen;
	bool broken;
	unsigned warnings;        /* log budget against a chatty hostile guest */

	uint8_t config[VIRTIO_CONFIG_MAX];
	uint32_t config_size;

	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint16_t queue_max;

	/* transport wiring (KVM) */
	struct vmm *vm;
	uint64_t base;
	unsigned gsi;
	int irqfd;                        /* -1: vmm_irq_pulse fallback */
	int notify_fd[VIRTIO_MAX_QUEUES]; /* ioeventfds, -1: MMIO fallback */
	struct virtio_dev *next_dev;      /* registry of attached devices */
	struct virtio_kick {
		struct virtio_dev *d;
		unsigned queue;
	} kick[VIRTIO_MAX_QUEUES];
};

/* Initialise the common part (no KVM involved); features excludes VERSION_1,
 * which the transport always adds. */
void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		     uint64_t features, uint16_t queue_max);
/* Use these machine hooks (virtio_mmio_attach sets the KVM ones). */
void virtio_dev_set_host(struct virtio_dev *d, const struct virtio_host *host);
/* Reserve a slot, register MMIO, ioeventfds and irqfd with the VMM. */
int virtio_mmio_attach(struct vmm *vm, struct virtio_dev *d, struct bh_error *err);
/* Undo init/attach and call ops->destroy. Does not free d. */
void virtio_dev_cleanup(struct virtio_dev *d);

/* Register access, as the VMM's MMIO dispatcher calls it (also for tests). */
void virtio_mmio_read(void *opaque, uint64_t off, void *data, unsigned len);
void virtio_mmio_write(void *opaque, uint64_t off, const void *data, unsigned len);
/* Queue notification as the ioeventfd path delivers it (takes the lock). */
void virtio_dev_kick(struct virtio_dev *d, unsigned queue);

/* For devices, lock held: */
bool virtio_dev_ready(const struct virtio_dev *d);
/* Queue used buffers: set InterruptStatus and raise the interrupt. */
void virtio_dev_notify_used(struct virtio_dev *d, unsigned queue);
/* The guest broke the device: NEEDS_RESET, config interrupt, stop serving. */
void virtio_dev_fail(struct virtio_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Rate-limited warning about guest misbehaviour. */
void virtio_dev_warn(struct virtio_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Event loop through the host hooks. */
int virtio_dev_loop_add(struct virtio_dev *d, int fd, uint32_t events, vmm_fd_cb cb,
			void *opaque, struct bh_error *err);
void virtio_dev_loop_mod(struct virtio_dev *d, int fd, uint32_t events);
void virtio_dev_loop_del(struct virtio_dev *d, int fd);

static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return (d->driver_features >> bit) & 1;
}

#endif
