/* virtio-mmio transport, register layout version 2 (virtio 1.2, 4.2.2).
 * vCPU threads reach it through MMIO; the event-loop thread through the
 * per-queue ioeventfds. Both take the device lock. */
#include "vmm/devices/virtio_devices.h"

#include <stdlib.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define WARN_BUDGET 64

static void vlog(struct virtio_dev *d, enum bh_log_level lvl, const char *fmt, va_list ap)
{
	char msg[512];

	if (d->warnings > WARN_BUDGET)
		return;
	if (d->warnings++ == WARN_BUDGET) {
		bh_log(BH_LOG_WARN, "virtio-%s@%#llx: too many guest errors, not logging more",
		       d->ops->name, (unsigned long long)d->base);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	bh_log(lvl, "virtio-%s@%#llx: %s", d->ops->name, (unsigned long long)d->base, msg);
}

void virtio_dev_warn(struct virtio_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(d, BH_LOG_WARN, fmt, ap);
	va_end(ap);
}

void virtio_dev_fail(struct virtio_dev *d, const char *fmt, ...)
{
	va_list ap;

	if (d->broken)
		return;
	va_start(ap, fmt);
	vlog(d, BH_LOG_ERROR, fmt, ap);
	va_end(ap);
	virtio_dev_warn(d, "device needs reset");
	d->broken = true;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->isr |= VIRTIO_MMIO_INT_CONFIG;
	if (d->host.irq)
		d->host.irq(d);
}

bool virtio_dev_ready(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) && !d->broken;
}

void virtio_dev_notify_used(struct virtio_dev *d, unsigned queue)
{
	if (queue >= VIRTIO_MAX_QUEUES || !vq_want_irq(&d->vq[queue], &d->mem))
		return;
	d->isr |= VIRTIO_MMIO_INT_VRING;   /* before the interrupt the guest reads it in */
	if (d->host.irq)
		d->host.irq(d);
}

int virtio_dev_loop_add(struct virtio_dev *d, int fd, uint32_t events, vmm_fd_cb cb,
			void *opaque, struct bh_error *err)
{
	if (!d->host.loop_add)
		return 0;
	return d->host.loop_add(d->host.ctx, fd, events, cb, opaque, err);
}

void virtio_dev_loop_mod(struct virtio_dev *d, int fd, uint32_t events)
{
	if (d->host.loop_mod)
		d->host.loop_mod(d->host.ctx, fd, events);
}

void virtio_dev_loop_del(struct virtio_dev *d, int fd)
{
	if (d->host.loop_del)
		d->host.loop_del(d->host.ctx, fd);
}

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		     uint64_t features, uint16_t queue_max)
{
	d->ops = ops;
	d->features = features | (1ULL << VIRTIO_F_VERSION_1);
	d->queue_max = queue_max > VQ_MAX_SIZE ? VQ_MAX_SIZE : queue_max;
	pthread_mutex_init(&d->lock, NULL);
	d->irqfd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		d->notify_fd[i] = -1;
		d->kick[i] = (struct virtio_kick){ .d = d, .queue = i };
	}
}

void virtio_dev_set_host(struct virtio_dev *d, const struct virtio_host *host)
{
	d->host = *host;
	d->mem = (struct vq_mem){ .map = host->map, .ctx = host->ctx };
}

static void dev_reset(struct virtio_dev *d)
{
	memset(d->vq, 0, sizeof(d->vq));
	d->driver_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	d->status = 0;
	d->isr = 0;
	d->broken = false;
	if (d->ops->reset)
		d->ops->reset(d);
}

static void notify_locked(struct virtio_dev *d, unsigned q)
{
	if (q >= d->ops->num_queues) {
		virtio_dev_warn(d, "notify of nonexistent queue %u ignored", q);
		return;
	}
	if (!virtio_dev_ready(d) || !d->vq[q].ready)
		return;
	d->ops->notify(d, q);
}

void virtio_dev_kick(struct virtio_dev *d, unsigned queue)
{
	pthread_mutex_lock(&d->lock);
	notify_locked(d, queue);
	pthread_mutex_unlock(&d->lock);
}

static struct virtq *cur_vq(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->vq[d->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct virtq *vq = cur_vq(d);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG: return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_feat_sel < 2 ? (uint32_t)(d->features >> (32 * d->dev_feat_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? d->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM: return vq ? vq->num : 0;
	case VIRTIO_MMIO_QUEUE_READY: return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr;
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_gen;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: return vq ? (uint32_t)vq->desc : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: return vq ? (uint32_t)(vq->desc >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: return vq ? (uint32_t)vq->avail : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return vq ? (uint32_t)(vq->avail >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: return vq ? (uint32_t)vq->used : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return vq ? (uint32_t)(vq->used >> 32) : 0;
	}
	virtio_dev_warn(d, "read of unknown register %#llx", (unsigned long long)off);
	return 0;
}

static void set_addr(uint64_t *a, bool high, uint32_t v)
{
	if (high)
		*a = (*a & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*a = (*a & ~0xffffffffULL) | v;
}

static void queue_ready(struct virtio_dev *d, struct virtq *vq, uint32_t v)
{
	enum vq_err e;

	if (!v) {
		vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	vq->indirect = virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC);
	vq->last_avail = vq->used_idx = 0;
	e = vq_validate(vq, &d->mem);
	if (e != VQ_OK) {
		virtio_dev_fail(d, "queue %u (size %u): %s", d->queue_sel, vq->num, vq_strerror(e));
		return;
	}
	vq->ready = true;
}

static void status_write(struct virtio_dev *d, uint32_t v)
{
	uint32_t newbits;

	if (v == 0) {
		dev_reset(d);
		return;
	}
	newbits = v & ~d->status;
	/* The driver only ever adds bits; NEEDS_RESET is ours to set. */
	d->status |= v & ~VIRTIO_STATUS_NEEDS_RESET;
	if (newbits & VIRTIO_STATUS_FEATURES_OK) {
		uint64_t extra = d->driver_features & ~d->features;
		if (extra || !virtio_has_feature(d, VIRTIO_F_VERSION_1)) {
			virtio_dev_warn(d, "driver features %#llx refused (%s)",
					(unsigned long long)d->driver_features,
					extra ? "not offered" : "VERSION_1 missing");
			d->status &= ~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	if (newbits & VIRTIO_STATUS_DRIVER_OK) {
		if (!(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			virtio_dev_warn(d, "DRIVER_OK without FEATURES_OK ignored");
			d->status &= ~VIRTIO_STATUS_DRIVER_OK;
		} else if (d->ops->driver_ok && !d->broken) {
			d->ops->driver_ok(d);
		}
	}
}

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *vq = cur_vq(d);
	bool queue_reg = off == VIRTIO_MMIO_QUEUE_NUM || off == VIRTIO_MMIO_QUEUE_READY ||
			 (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH);

	if (queue_reg && !vq) {
		virtio_dev_warn(d, "write to register %#llx of nonexistent queue %u",
				(unsigned long long)off, d->queue_sel);
		return;
	}
	if (queue_reg && off != VIRTIO_MMIO_QUEUE_READY && vq->ready) {
		virtio_dev_warn(d, "queue %u reconfigured while ready; ignored", d->queue_sel);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_feat_sel = v; return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->status & VIRTIO_STATUS_FEATURES_OK) {
			virtio_dev_warn(d, "features written after FEATURES_OK; ignored");
			return;
		}
		if (d->drv_feat_sel < 2) {
			unsigned sh = 32 * d->drv_feat_sel;
			d->driver_features = (d->driver_features & ~(0xffffffffULL << sh)) |
					     ((uint64_t)v << sh);
		}
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_feat_sel = v; return;
	case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; return;
	case VIRTIO_MMIO_QUEUE_NUM: vq->num = v > 0xffff ? 0 : (uint16_t)v; return;
	case VIRTIO_MMIO_QUEUE_READY: queue_ready(d, vq, v); return;
	case VIRTIO_MMIO_QUEUE_NOTIFY: notify_locked(d, v); return;
	case VIRTIO_MMIO_INTERRUPT_ACK: d->isr &= ~v; return;
	case VIRTIO_MMIO_STATUS: status_write(d, v); return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_addr(&vq->desc, false, v); return;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_addr(&vq->desc, true, v); return;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_addr(&vq->avail, false, v); return;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_addr(&vq->avail, true, v); return;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_addr(&vq->used, false, v); return;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_addr(&vq->used, true, v); return;
	}
	virtio_dev_warn(d, "write of %#x to unknown register %#llx ignored", v,
			(unsigned long long)off);
}

void virtio_mmio_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct virtio_dev *d = opaque;
	uint32_t v;

	memset(data, 0, len);
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (len <= 8 && c < d->config_size && len <= d->config_size - c)
			memcpy(data, d->config + c, len);
		else
			virtio_dev_warn(d, "config read %u@%#llx out of range", len,
					(unsigned long long)c);
	} else if (len != 4 || (off & 3)) {
		virtio_dev_warn(d, "%u-byte register read at %#llx ignored", len,
				(unsigned long long)off);
	} else {
		v = reg_read(d, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct virtio_dev *d = opaque;
	uint32_t v;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_warn(d, "config write %u@%#llx ignored (read-only)", len,
				(unsigned long long)(off - VIRTIO_MMIO_CONFIG));
	} else if (len != 4 || (off & 3)) {
		virtio_dev_warn(d, "%u-byte register write at %#llx ignored", len,
				(unsigned long long)off);
	} else {
		memcpy(&v, data, 4);
		reg_write(d, off, v);
	}
	pthread_mutex_unlock(&d->lock);
}

/* ---- KVM wiring ---- */

/* Attached devices live as long as the VM; the registry keeps them reachable
 * and lets virtio_devices_destroy() free them at teardown. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtio_dev *registry;
static bool notify_on_vcpu;

bool virtio_notify_on_vcpu(void)
{
	return notify_on_vcpu;
}

void virtio_devices_destroy(void)
{
	struct virtio_dev *d, *next;

	pthread_mutex_lock(&registry_lock);
	d = registry;
	registry = NULL;
	pthread_mutex_unlock(&registry_lock);
	for (; d; d = next) {
		next = d->next_dev;
		virtio_dev_cleanup(d);
		free(d);
	}
}

static void *kvm_map(void *ctx, uint64_t gpa, uint64_t len)
{
	return vmm_gpa(ctx, gpa, len);
}

static void kvm_irq(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (d->irqfd >= 0 && write(d->irqfd, &one, sizeof(one)) == sizeof(one))
		return;
	vmm_irq_pulse(d->vm, d->gsi);
}

static int kvm_loop_add(void *ctx, int fd, uint32_t events, vmm_fd_cb cb, void *opaque,
			struct bh_error *err)
{
	return vmm_loop_add(ctx, fd, events, cb, opaque, err);
}

static int kvm_loop_mod(void *ctx, int fd, uint32_t events)
{
	return vmm_loop_mod(ctx, fd, events);
}

static void kvm_loop_del(void *ctx, int fd)
{
	vmm_loop_del(ctx, fd);
}

static void kick_cb(void *opaque, int fd, uint32_t events)
{
	struct virtio_kick *k = opaque;
	uint64_t cnt;

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) < 0)
		return;
	virtio_dev_kick(k->d, k->queue);
}

static const struct vmm_io_ops mmio_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

/* ioeventfd for one queue; on any failure the MMIO write path serves it. */
static void attach_notify(struct vmm *vm, struct virtio_dev *d, unsigned q)
{
	struct bh_error e = { 0 };
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bool vcpu_before = notify_on_vcpu;

	/* Until the ioeventfd is in place, notifies come by MMIO exits. */
	notify_on_vcpu = true;
	if (fd < 0)
		return;
	if (vmm_loop_add(vm, fd, EPOLLIN, kick_cb, &d->kick[q], &e) < 0) {
		bh_log_info("virtio-%s: queue %u notify via MMIO exits: %s", d->ops->name, q, e.msg);
		close(fd);
		return;
	}
	if (vmm_ioeventfd(vm, fd, d->base + VIRTIO_MMIO_QUEUE_NOTIFY, true, q, &e) < 0) {
		bh_log_info("virtio-%s: queue %u notify via MMIO exits: %s", d->ops->name, q, e.msg);
		vmm_loop_del(vm, fd);
		close(fd);
		return;
	}
	d->notify_fd[q] = fd;
	notify_on_vcpu = vcpu_before;
}

int virtio_mmio_attach(struct vmm *vm, struct virtio_dev *d, struct bh_error *err)
{
	static const struct virtio_host kvm_host = {
		.map = kvm_map, .irq = kvm_irq,
		.loop_add = kvm_loop_add, .loop_mod = kvm_loop_mod, .loop_del = kvm_loop_del,
	};
	struct virtio_host h = kvm_host;
	struct bh_error e = { 0 };
	bool no_eventfd;
	int r, fd;

	r = vmm_virtio_slot(vm, &d->base, &d->gsi, err);
	if (r < 0)
		return bh_error_wrap(err, "virtio-%s", d->ops->name);
	d->vm = vm;
	h.ctx = vm;
	virtio_dev_set_host(d, &h);
	/* Debug/test knob: exercise the MMIO-exit and irq-line fallbacks. */
	no_eventfd = getenv("BULKHEAD_VIRTIO_NO_EVENTFD") != NULL;

	fd = no_eventfd ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0 && vmm_irqfd(vm, fd, d->gsi, &e) == 0) {
		d->irqfd = fd;
	} else {
		bh_log_info("virtio-%s: interrupts via irq line: %s", d->ops->name,
			    no_eventfd ? "eventfds disabled" : fd < 0 ? "eventfd failed" : e.msg);
		if (fd >= 0)
			close(fd);
	}
	if (no_eventfd)
		notify_on_vcpu = true;
	for (unsigned q = 0; q < d->ops->num_queues && !no_eventfd; q++)
		attach_notify(vm, d, q);

	r = vmm_mmio_register(vm, d->base, VIRTIO_MMIO_SIZE, &mmio_ops, d, err);
	if (r < 0)
		return bh_error_wrap(err, "virtio-%s", d->ops->name);
	pthread_mutex_lock(&registry_lock);
	d->next_dev = registry;
	registry = d;
	pthread_mutex_unlock(&registry_lock);
	bh_log_debug("virtio-%s at %#llx gsi %u (irqfd %s)", d->ops->name,
		     (unsigned long long)d->base, d->gsi, d->irqfd >= 0 ? "yes" : "no");
	return 0;
}

void virtio_dev_cleanup(struct virtio_dev *d)
{
	if (d->ops && d->ops->destroy)
		d->ops->destroy(d);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (d->notify_fd[q] >= 0) {
			virtio_dev_loop_del(d, d->notify_fd[q]);
			close(d->notify_fd[q]);
			d->notify_fd[q] = -1;
		}
	}
	if (d->irqfd >= 0)
		close(d->irqfd);
	d->irqfd = -1;
	pthread_mutex_destroy(&d->lock);
}

int virtio_dev_add(struct vmm *vm, struct virtio_dev *d, struct bh_error *err)
{
	int r = virtio_mmio_attach(vm, d, err);

	if (r < 0) {
		virtio_dev_cleanup(d);
		free(d);
	}
	return r;
}
