/* virtio-blk on a raw image file: read, write, flush, get-id. Requests run
 * synchronously (preadv/pwritev) under the device lock on the thread that
 * was notified; a bad request completes with VIRTIO_BLK_S_IOERR. */
#include "vmm/devices/virtio_devices.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "vmm/virtio.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define SECTOR 512ULL
#define BLK_QUEUE_SIZE 256
#define BLK_SIZE_MAX (1U << 20)
#define BLK_SEG_MAX (VQ_MAX_SEG - 2)

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct virtio_blk {
	struct virtio_dev dev;   /* first: container_of by cast */
	int fd;
	bool readonly;
	uint64_t capacity;       /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct vq_elem elem;     /* big; kept off the stack */
};

/* Range check: [sector, sector + bytes/512) inside the disk, overflow-safe. */
static bool blk_in_range(const struct virtio_blk *b, uint64_t sector, size_t bytes)
{
	uint64_t n = (bytes + SECTOR - 1) / SECTOR;

	return sector <= b->capacity && n <= b->capacity - sector;
}

static uint8_t blk_rw(struct virtio_blk *b, const struct blk_req_hdr *h,
		      struct vq_elem *e, uint32_t *written)
{
	struct iovec iov[VQ_MAX_SEG];
	bool in = h->type == VIRTIO_BLK_T_IN;
	size_t len = in ? e->in_len - 1 : e->out_len - sizeof(*h);
	const struct iovec *src;
	unsigned srcn;
	size_t skip;
	ssize_t r;

	if (len % SECTOR || !blk_in_range(b, h->sector, len)) {
		virtio_dev_warn(&b->dev, "request of %zu bytes at sector %llu beyond capacity %llu",
				len, (unsigned long long)h->sector, (unsigned long long)b->capacity);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!in && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	src = in ? e->iov + e->nout : e->iov;
	srcn = in ? e->nin : e->nout;
	skip = in ? 0 : sizeof(*h);
	for (size_t done = 0; done < len;) {
		off_t off = (off_t)(h->sector * SECTOR + done);
		/* After a short transfer, continue from where it stopped. */
		unsigned n = vq_iov_slice(src, srcn, skip + done, len - done, iov, VQ_MAX_SEG);

		r = in ? preadv(b->fd, iov, (int)n, off) : pwritev(b->fd, iov, (int)n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			bh_log_error("virtio-blk: %s at sector %llu failed: %s", in ? "read" : "write",
				     (unsigned long long)h->sector, r < 0 ? strerror(errno) : "short");
			return VIRTIO_BLK_S_IOERR;
		}
		done += (size_t)r;
	}
	if (in)
		*written += (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_handle(struct virtio_blk *b, struct vq_elem *e, uint32_t *written)
{
	struct blk_req_hdr h;

	if (e->out_len < sizeof(h))
		return VIRTIO_BLK_S_IOERR;
	vq_iov_to_buf(e->iov, e->nout, 0, &h, sizeof(h));
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (e->out_len != sizeof(h))
			return VIRTIO_BLK_S_IOERR;
		return blk_rw(b, &h, e, written);
	case VIRTIO_BLK_T_OUT:
		if (e->in_len != 1)
			return VIRTIO_BLK_S_IOERR;
		return blk_rw(b, &h, e, written);
	case VIRTIO_BLK_T_FLUSH:
		if (b->readonly)
			return VIRTIO_BLK_S_OK;
		return fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = e->in_len - 1 < VIRTIO_BLK_ID_BYTES ? e->in_len - 1 : VIRTIO_BLK_ID_BYTES;
		*written += (uint32_t)vq_buf_to_iov(e->iov + e->nout, e->nin, 0, b->serial, n);
		return VIRTIO_BLK_S_OK;
	}
	}
	virtio_dev_warn(&b->dev, "unsupported request type %u", h.type);
	return VIRTIO_BLK_S_UNSUPP;
}

static void blk_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_blk *b = (struct virtio_blk *)d;
	struct virtq *vq = &d->vq[q];
	struct vq_elem *e = &b->elem;
	bool any = false;
	int r;

	while ((r = vq_pop(vq, &d->mem, e)) > 0) {
		uint32_t written = 0;
		uint8_t status;

		if (e->in_len < 1) {
			/* No room for a status byte: nothing to report the error in. */
			virtio_dev_fail(d, "request without a status byte");
			return;
		}
		status = blk_handle(b, e, &written);
		/* The status is the last byte of the last writable buffer. */
		vq_buf_to_iov(e->iov + e->nout, e->nin, e->in_len - 1, &status, 1);
		written++;
		if (!vq_push(vq, &d->mem, e->head, written)) {
			virtio_dev_fail(d, "used ring outside guest memory");
			return;
		}
		any = true;
	}
	if (r < 0)
		virtio_dev_fail(d, "queue %u: %s", q, vq_strerror((enum vq_err)-r));
	if (any)
		virtio_dev_notify_used(d, q);
}

static void blk_destroy(struct virtio_dev *d)
{
	struct virtio_blk *b = (struct virtio_blk *)d;

	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static const struct virtio_dev_ops blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.notify = blk_notify,
	.destroy = blk_destroy,
};

int virtio_blk_new(const struct vmm_blk_opts *o, struct virtio_dev **out, struct bh_error *err)
{
	_cleanup_close_ int fd = -1;
	struct virtio_blk *b;
	uint64_t features;
	struct stat st;
	uint32_t v32;

	if (!o || !o->path)
		return bh_error_setx(err, EINVAL, "virtio-blk: no image path");
	fd = open(o->path, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "virtio-blk: open %s", o->path);
	if (fstat(fd, &st) < 0)
		return bh_error_set(err, errno, "virtio-blk: stat %s", o->path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return bh_error_setx(err, EINVAL, "virtio-blk: %s is not a file or block device",
				     o->path);
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		if (end < 0)
			return bh_error_set(err, errno, "virtio-blk: size of %s", o->path);
		st.st_size = end;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return bh_error_set(err, ENOMEM, "virtio-blk");
	features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		   (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		   (1ULL << VIRTIO_F_INDIRECT_DESC);
	if (o->readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	virtio_dev_init(&b->dev, &blk_ops, features, BLK_QUEUE_SIZE);
	b->fd = bh_steal_fd(&fd);
	b->readonly = o->readonly;
	b->capacity = (uint64_t)st.st_size / SECTOR;
	strncpy(b->serial, o->serial ? o->serial : "bulkhead", sizeof(b->serial));
	/* virtio_blk_config: capacity, size_max, seg_max, geometry, blk_size */
	b->dev.config_size = 24;
	memcpy(b->dev.config, &b->capacity, 8);
	v32 = BLK_SIZE_MAX;
	memcpy(b->dev.config + 8, &v32, 4);
	v32 = BLK_SEG_MAX;
	memcpy(b->dev.config + 12, &v32, 4);
	v32 = SECTOR;
	memcpy(b->dev.config + 20, &v32, 4);
	*out = &b->dev;
	return 0;
}

int virtio_blk_add(struct vmm *vm, const struct vmm_blk_opts *o, struct bh_error *err)
{
	struct virtio_dev *d = NULL;
	uint64_t cap;
	int r = virtio_blk_new(o, &d, err);

	if (r < 0)
		return r;
	cap = ((struct virtio_blk *)d)->capacity;
	r = virtio_dev_add(vm, d, err);
	if (r < 0)
		return r;
	bh_log_info("virtio-blk: %s%s, %llu sectors", o->path, o->readonly ? " (ro)" : "",
		    (unsigned long long)cap);
	return 0;
}
