/* A tiny polled virtio-mmio (v2) driver for test guests: probe, feature
 * handshake, split virtqueues in the guest's own (identity-mapped) memory.
 * Header-only: each .c in this folder is one guest ELF. */
#ifndef BH_GUEST_VDRV_H
#define BH_GUEST_VDRV_H

#include "lib/guest.h"

#define VIRTIO_MAGIC 0x74726976
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEAT 0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEAT 0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_ISR 0x060
#define R_ISR_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_AVAIL_LO 0x090
#define R_AVAIL_HI 0x094
#define R_USED_LO 0x0a0
#define R_USED_HI 0x0a4
#define R_CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_INDIRECT (1ULL << 28)
#define F_VERSION_1 (1ULL << 32)

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define VQ_NUM 16
#define SPIN_LIMIT 400000000UL   /* a few seconds of pause loops */

struct vdev {
	uint64_t base;
	unsigned irq;
};

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* desc at +0, avail at +0x1000, used at +0x2000 */
struct vq_mem {
	uint8_t b[0x3000];
} __attribute__((aligned(4096)));

struct vq {
	struct vdev *d;
	unsigned qi;
	uint16_t num;
	volatile struct vring_desc *desc;
	volatile uint16_t *avail;
	volatile uint8_t *used;
	uint16_t avail_idx, last_used, next_desc;
};

struct vbuf {
	void *addr;
	uint32_t len;
	bool write;
};

static inline uint32_t vrd(const struct vdev *d, uint32_t off) { return mmio_read32(d->base + off); }
static inline void vwr(const struct vdev *d, uint32_t off, uint32_t v) { mmio_write32(d->base + off, v); }

/* The nth virtio-mmio device with this device ID on the command line. */
static inline bool vdev_find(uint32_t id, int nth, struct vdev *d)
{
	uint64_t base, size;
	unsigned irq;

	for (int n = 0; guest_virtio_mmio(n, &base, &size, &irq); n++) {
		if (mmio_read32(base + R_MAGIC) != VIRTIO_MAGIC || mmio_read32(base + R_VERSION) != 2 ||
		    mmio_read32(base + R_DEVICE_ID) != id)
			continue;
		if (nth-- == 0) {
			d->base = base;
			d->irq = irq;
			return true;
		}
	}
	return false;
}

static inline uint64_t vdev_features(const struct vdev *d)
{
	uint64_t f;

	vwr(d, R_DEV_FEAT_SEL, 0);
	f = vrd(d, R_DEV_FEAT);
	vwr(d, R_DEV_FEAT_SEL, 1);
	return f | (uint64_t)vrd(d, R_DEV_FEAT) << 32;
}

/* Reset, ACK, DRIVER, accept (want & offered) | VERSION_1, FEATURES_OK. */
static inline bool vdev_init(const struct vdev *d, uint64_t want)
{
	uint64_t acc;

	vwr(d, R_STATUS, 0);
	if (vrd(d, R_STATUS) != 0)
		return false;
	vwr(d, R_STATUS, S_ACK);
	vwr(d, R_STATUS, S_ACK | S_DRIVER);
	acc = vdev_features(d) & (want | F_VERSION_1);
	vwr(d, R_DRV_FEAT_SEL, 0);
	vwr(d, R_DRV_FEAT, (uint32_t)acc);
	vwr(d, R_DRV_FEAT_SEL, 1);
	vwr(d, R_DRV_FEAT, (uint32_t)(acc >> 32));
	vwr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return (vrd(d, R_STATUS) & S_FEATURES_OK) != 0;
}

static inline void vdev_set_addr(const struct vdev *d, uint32_t lo, uint64_t a)
{
	vwr(d, lo, (uint32_t)a);
	vwr(d, lo + 4, (uint32_t)(a >> 32));
}

static inline bool vq_setup(const struct vdev *d, struct vq *q, unsigned qi, struct vq_mem *m, uint16_t num)
{
	memset(m, 0, sizeof(*m));
	memset(q, 0, sizeof(*q));
	q->d = (struct vdev *)d;
	q->qi = qi;
	q->num = num;
	q->desc = (volatile struct vring_desc *)m->b;
	q->avail = (volatile uint16_t *)(m->b + 0x1000);
	q->used = m->b + 0x2000;
	vwr(d, R_QUEUE_SEL, qi);
	if (vrd(d, R_QUEUE_READY) != 0 || vrd(d, R_QUEUE_NUM_MAX) < num)
		return false;
	vwr(d, R_QUEUE_NUM, num);
	vdev_set_addr(d, R_DESC_LO, (uint64_t)m->b);
	vdev_set_addr(d, R_AVAIL_LO, (uint64_t)(m->b + 0x1000));
	vdev_set_addr(d, R_USED_LO, (uint64_t)(m->b + 0x2000));
	vwr(d, R_QUEUE_READY, 1);
	return vrd(d, R_QUEUE_READY) == 1;
}

static inline bool vdev_driver_ok(const struct vdev *d)
{
	vwr(d, R_STATUS, vrd(d, R_STATUS) | S_DRIVER_OK);
	return (vrd(d, R_STATUS) & (S_DRIVER_OK | S_NEEDS_RESET)) == S_DRIVER_OK;
}

/* Publish head in the avail ring (does not notify). */
static inline void vq_publish(struct vq *q, uint16_t head)
{
	q->avail[2 + q->avail_idx % q->num] = head;
	barrier();   /* x86: stores stay in order; the compiler must keep them too */
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	mb();
}

/* Chain n buffers on the next free descriptors and publish them. */
static inline uint16_t vq_add(struct vq *q, const struct vbuf *b, int n)
{
	uint16_t head = q->next_desc;

	for (int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->num);
		q->desc[idx].addr = (uint64_t)b[i].addr;
		q->desc[idx].len = b[i].len;
		q->desc[idx].flags = (uint16_t)((b[i].write ? D_WRITE : 0) | (i < n - 1 ? D_NEXT : 0));
		q->desc[idx].next = (uint16_t)((idx + 1) % q->num);
	}
	q->next_desc = (uint16_t)((head + n) % q->num);
	vq_publish(q, head);
	return head;
}

static inline void vq_kick(struct vq *q)
{
	mb();
	vwr(q->d, R_QUEUE_NOTIFY, q->qi);
}

static inline uint16_t vq_used_idx(struct vq *q)
{
	return *(volatile uint16_t *)(q->used + 2);
}

/* Wait for the next used entry; false on timeout. */
static inline bool vq_wait(struct vq *q, uint32_t *id, uint32_t *len)
{
	for (unsigned long i = 0; vq_used_idx(q) == q->last_used; i++) {
		if (i > SPIN_LIMIT)
			return false;
		cpu_relax();
	}
	barrier();
	volatile uint32_t *e = (volatile uint32_t *)(q->used + 4 + 8 * (q->last_used % q->num));
	if (id)
		*id = e[0];
	if (len)
		*len = e[1];
	q->last_used++;
	return true;
}

/* Poll until the device sets NEEDS_RESET (or timeout). */
static inline bool vdev_wait_needs_reset(const struct vdev *d)
{
	/* Each register read is a VM exit (microseconds): far fewer rounds. */
	for (unsigned long i = 0; i < 1000000; i++) {
		if (vrd(d, R_STATUS) & S_NEEDS_RESET)
			return true;
		cpu_relax();
	}
	return false;
}

#endif
