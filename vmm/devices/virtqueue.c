/* Split-virtqueue walker. The guest owns the rings and may rewrite them while
 * we read, so every descriptor is copied out once and validated on the copy. */
#include "vmm/devices/virtqueue.h"

#include <string.h>

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define DESC_KNOWN_FLAGS (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)

const char *vq_strerror(enum vq_err e)
{
	switch (e) {
	case VQ_OK: return "no error";
	case VQ_ERR_RING: return "ring outside guest memory or misaligned";
	case VQ_ERR_AVAIL_IDX: return "avail index moved by more than the queue size";
	case VQ_ERR_HEAD: return "chain head index out of range";
	case VQ_ERR_NEXT: return "descriptor next index out of range";
	case VQ_ERR_LOOP: return "descriptor chain longer than the queue (loop)";
	case VQ_ERR_ADDR: return "buffer outside guest memory";
	case VQ_ERR_FLAGS: return "bad descriptor flags";
	case VQ_ERR_ORDER: return "device-readable buffer after a writable one";
	case VQ_ERR_INDIRECT: return "malformed indirect descriptor table";
	case VQ_ERR_TOO_MANY: return "too many buffers in one chain";
	}
	return "unknown virtqueue error";
}

static void *vq_map(const struct vq_mem *mem, uint64_t gpa, uint64_t len)
{
	return mem->map(mem->ctx, gpa, len);
}

static uint64_t avail_size(uint16_t num) { return 6 + 2 * (uint64_t)num; }
static uint64_t used_size(uint16_t num) { return 6 + 8 * (uint64_t)num; }

enum vq_err vq_validate(const struct virtq *vq, const struct vq_mem *mem)
{
	if (vq->num == 0 || vq->num > VQ_MAX_SIZE || (vq->num & (vq->num - 1)))
		return VQ_ERR_RING;
	if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3))
		return VQ_ERR_RING;
	if (!vq_map(mem, vq->desc, 16 * (uint64_t)vq->num) ||
	    !vq_map(mem, vq->avail, avail_size(vq->num)) ||
	    !vq_map(mem, vq->used, used_size(vq->num)))
		return VQ_ERR_RING;
	return VQ_OK;
}

static uint16_t *avail_ring(const struct virtq *vq, const struct vq_mem *mem)
{
	if (vq->num == 0 || vq->num > VQ_MAX_SIZE)
		return NULL;
	return vq_map(mem, vq->avail, avail_size(vq->num));
}

bool vq_has_avail(const struct virtq *vq, const struct vq_mem *mem)
{
	uint16_t *avail = avail_ring(vq, mem);

	if (!avail)
		return true;
	return __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE) != vq->last_avail;
}

static int add_buf(struct vq_elem *e, const struct vq_mem *mem,
		   const struct vring_desc *d, bool *seen_write)
{
	void *p;

	if (d->len == 0)
		return 0;
	if (e->nout + e->nin >= VQ_MAX_SEG)
		return -VQ_ERR_TOO_MANY;
	p = vq_map(mem, d->addr, d->len);
	if (!p)
		return -VQ_ERR_ADDR;
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		*seen_write = true;
		e->in_len += d->len;
		e->nin++;
	} else {
		if (*seen_write)
			return -VQ_ERR_ORDER;
		e->out_len += d->len;
		e->nout++;
	}
	e->iov[e->nout + e->nin - 1] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	return 0;
}

static int walk_chain(const struct virtq *vq, const struct vq_mem *mem, struct vq_elem *e)
{
	const struct vring_desc *table;
	unsigned tsize = vq->num, i = e->head, count = 0;
	bool in_indirect = false, seen_write = false;
	struct vring_desc d;
	int r;

	table = vq_map(mem, vq->desc, 16 * (uint64_t)vq->num);
	if (!table)
		return -VQ_ERR_RING;
	for (;;) {
		if (++count > tsize)
			return -VQ_ERR_LOOP;
		memcpy(&d, &table[i], sizeof(d));
		if (d.flags & ~DESC_KNOWN_FLAGS)
			return -VQ_ERR_FLAGS;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only one level, never combined with NEXT (2.7.5.3.1). */
			if (!vq->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return -VQ_ERR_FLAGS;
			if (d.len == 0 || d.len % sizeof(d) || d.len / sizeof(d) > VQ_MAX_SEG)
				return -VQ_ERR_INDIRECT;
			table = vq_map(mem, d.addr, d.len);
			if (!table || (d.addr & 15))
				return -VQ_ERR_INDIRECT;
			tsize = d.len / sizeof(d);
			i = 0;
			count = 0;
			in_indirect = true;
			continue;
		}
		r = add_buf(e, mem, &d, &seen_write);
		if (r < 0)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= tsize)
			return -VQ_ERR_NEXT;
		i = d.next;
	}
}

int vq_pop(struct virtq *vq, const struct vq_mem *mem, struct vq_elem *e)
{
	uint16_t *avail = avail_ring(vq, mem);
	uint16_t idx, pending;
	int r;

	if (!avail)
		return -VQ_ERR_RING;
	/* Acquire: ring entries written before idx are visible after it. */
	idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
	pending = (uint16_t)(idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->num)
		return -VQ_ERR_AVAIL_IDX;
	e->head = __atomic_load_n(&avail[2 + vq->last_avail % vq->num], __ATOMIC_RELAXED);
	vq->last_avail++;
	e->nout = e->nin = 0;
	e->out_len = e->in_len = 0;
	if (e->head >= vq->num)
		return -VQ_ERR_HEAD;
	r = walk_chain(vq, mem, e);
	return r < 0 ? r : 1;
}

void vq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

bool vq_push(struct virtq *vq, const struct vq_mem *mem, uint16_t head, uint32_t len)
{
	uint8_t *used;
	uint32_t *ent;

	if (vq->num == 0 || vq->num > VQ_MAX_SIZE)
		return false;
	used = vq_map(mem, vq->used, used_size(vq->num));
	if (!used)
		return false;
	ent = (uint32_t *)(used + 4 + 8 * (size_t)(vq->used_idx % vq->num));
	__atomic_store_n(&ent[0], (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&ent[1], len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the entry is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(used + 2), vq->used_idx, __ATOMIC_RELEASE);
	return true;
}

bool vq_want_irq(const struct virtq *vq, const struct vq_mem *mem)
{
	uint16_t *avail = avail_ring(vq, mem);

	/* Order our used->idx store before reading the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!avail)
		return true;
	return !(__atomic_load_n(&avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((char *)buf + done, (char *)iov[i].iov_base + skip, l);
		done += l;
		skip = 0;
	}
	return done;
}

size_t vq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((char *)iov[i].iov_base + skip, (const char *)buf + done, l);
		done += l;
		skip = 0;
	}
	return done;
}

unsigned vq_iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len,
		      struct iovec *out, unsigned outn)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len > 0 && k < outn; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		out[k++] = (struct iovec){ .iov_base = (char *)iov[i].iov_base + skip, .iov_len = l };
		len -= l;
		skip = 0;
	}
	return k;
}
