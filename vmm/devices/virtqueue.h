/* Split-virtqueue walker (virtio 1.x, 2.7). Every guest-memory access goes
 * through a struct vq_mem accessor with an explicit length, so the walker can
 * run against KVM guest RAM or against a plain buffer (fuzzing, unit tests).
 * A guest can make the walker fail, never read or write out of bounds, nor
 * loop: chains are capped at the queue size. */
#ifndef BH_VMM_VIRTQUEUE_H
#define BH_VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

#define VQ_MAX_SIZE  256   /* largest queue we offer (QueueNumMax) */
#define VQ_MAX_SEG   256   /* most buffers one chain may carry, indirect included */

/* Host pointer for [gpa, gpa+len), or NULL when any byte is outside memory. */
struct vq_mem {
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
};

struct virtq {
	uint16_t num;          /* size the driver chose (power of two) */
	bool ready;
	bool indirect;         /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t desc, avail, used;  /* guest-physical ring addresses */
	uint16_t last_avail;   /* next avail ring slot to consume */
	uint16_t used_idx;     /* our copy of used->idx */
};

/* One popped chain. iov[0..nout) are device-readable, iov[nout..nout+nin)
 * device-writable (the spec orders them that way; the walker enforces it). */
struct vq_elem {
	uint16_t head;
	unsigned nout, nin;
	size_t out_len, in_len;
	struct iovec iov[VQ_MAX_SEG];
};

/* Why a pop failed; all are the guest's fault and fatal for the queue. */
enum vq_err {
	VQ_OK = 0,
	VQ_ERR_RING,       /* rings not in guest memory */
	VQ_ERR_AVAIL_IDX,  /* avail->idx moved by more than the queue size */
	VQ_ERR_HEAD,       /* head index out of range */
	VQ_ERR_NEXT,       /* next index out of range */
	VQ_ERR_LOOP,       /* chain longer than the queue (a loop) */
	VQ_ERR_ADDR,       /* buffer outside guest memory */
	VQ_ERR_FLAGS,      /* unknown flag bits, or INDIRECT where not allowed */
	VQ_ERR_ORDER,      /* readable buffer after a writable one */
	VQ_ERR_INDIRECT,   /* malformed indirect table */
	VQ_ERR_TOO_MANY,   /* more than VQ_MAX_SEG buffers */
};
const char *vq_strerror(enum vq_err e);

/* Check that the three rings of a ready queue lie in guest memory and are
 * aligned; called when the driver sets QueueReady. */
enum vq_err vq_validate(const struct virtq *vq, const struct vq_mem *mem);
/* Pop the next available chain: returns 1 and fills e, 0 when none is
 * available, or -(enum vq_err) when the guest broke the ring. */
int vq_pop(struct virtq *vq, const struct vq_mem *mem, struct vq_elem *e);
/* Give back the chain just popped (not yet pushed), e.g. when the data meant
 * for it turned out not to be there. */
void vq_unpop(struct virtq *vq);
/* Is a chain available (without consuming it)? Ring errors count as "yes" so
 * that the caller's vq_pop reports them. */
bool vq_has_avail(const struct virtq *vq, const struct vq_mem *mem);
/* Return a chain to the driver with len bytes written; false on ring error. */
bool vq_push(struct virtq *vq, const struct vq_mem *mem, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt now (VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool vq_want_irq(const struct virtq *vq, const struct vq_mem *mem);

/* Copy helpers over an iovec slice; return bytes copied. */
size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t vq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);
/* Build a sub-iovec of iov[0..n) starting skip bytes in, at most len bytes.
 * Returns the number of entries written to out (max outn). */
unsigned vq_iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len,
		      struct iovec *out, unsigned outn);

#endif
