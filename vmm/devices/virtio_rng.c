/* virtio-rng (entropy device): fills each guest buffer from getrandom(). */
#include <stdlib.h>
#include <sys/random.h>

#include "util/log.h"
#include "vmm/devices/virtio_devices.h"

#define VIRTIO_ID_RNG 4
#define RNG_QUEUE_SIZE 64
#define RNG_MAX_REQ (64 * 1024)   /* bytes per chain; the driver asks again */

struct virtio_rng {
	struct virtio_dev dev;
	struct vq_elem elem;
};

static uint32_t rng_fill(struct vq_elem *e)
{
	uint32_t total = 0;

	for (unsigned i = e->nout; i < e->nout + e->nin && total < RNG_MAX_REQ; i++) {
		size_t want = e->iov[i].iov_len, got = 0;

		if (want > RNG_MAX_REQ - total)
			want = RNG_MAX_REQ - total;
		while (got < want) {
			ssize_t r = getrandom((char *)e->iov[i].iov_base + got, want - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return total;
			got += (size_t)r;
		}
		total += (uint32_t)got;
	}
	return total;
}

static void rng_notify(struct virtio_dev *d, unsigned q)
{
	struct vq_elem *e = &((struct virtio_rng *)d)->elem;
	bool any = false;
	int r;

	while ((r = vq_pop(&d->vq[q], &d->mem, e)) > 0) {
		/* Readable buffers are meaningless here; just ignore them. */
		if (!vq_push(&d->vq[q], &d->mem, e->head, rng_fill(e))) {
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

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.notify = rng_notify,
};

int virtio_rng_new(struct virtio_dev **out, struct bh_error *err)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));

	if (!r)
		return bh_error_set(err, ENOMEM, "virtio-rng");
	virtio_dev_init(&r->dev, &rng_ops, 1ULL << VIRTIO_F_INDIRECT_DESC, RNG_QUEUE_SIZE);
	*out = &r->dev;
	return 0;
}

int virtio_rng_add(struct vmm *vm, struct bh_error *err)
{
	struct virtio_dev *d = NULL;
	int r = virtio_rng_new(&d, err);

	return r < 0 ? r : virtio_dev_add(vm, d, err);
}
