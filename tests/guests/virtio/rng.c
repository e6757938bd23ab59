/* virtio-rng: two 64-byte reads come back full, not all zero, and differ. */
#include "virtio/vdrv.h"

static struct vq_mem qmem;
static uint8_t a[64], b[64];

static bool rng_read(struct vq *q, uint8_t *buf, uint32_t *len)
{
	struct vbuf v = { buf, 64, true };

	memset(buf, 0, 64);
	vq_add(q, &v, 1);
	vq_kick(q);
	return vq_wait(q, NULL, len);
}

int guest_main(void *bp)
{
	struct vdev d;
	struct vq q;
	uint32_t la = 0, lb = 0;
	bool nz = false;

	(void)bp;
	if (!guest_check(vdev_find(4, 0, &d), "rng: found (device id 4)") ||
	    !guest_check(vdev_init(&d, 0), "rng: FEATURES_OK") ||
	    !guest_check(vq_setup(&d, &q, 0, &qmem, VQ_NUM), "rng: queue ready") ||
	    !guest_check(vdev_driver_ok(&d), "rng: DRIVER_OK"))
		guest_finish();
	bool ra = rng_read(&q, a, &la), rb = rng_read(&q, b, &lb);

	guest_checkf(ra && la == 64, "rng: first read returns 64 bytes (%u)", la);
	guest_checkf(rb && lb == 64, "rng: second read returns 64 bytes (%u)", lb);
	for (int i = 0; i < 64; i++)
		nz |= a[i] != 0;
	guest_check(nz, "rng: bytes are not all zero");
	guest_check(memcmp(a, b, 64) != 0, "rng: two reads differ");
	guest_finish();
}
