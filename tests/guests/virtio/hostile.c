/* A hostile driver against virtio-blk (disk #0, the test's "BULKHEAD-SECTOR0"
 * image): broken descriptor chains, rings outside memory, index jumps,
 * unknown registers. Each attack must leave the VMM running: the device
 * either answers IOERR or sets DEVICE_NEEDS_RESET (with a config interrupt
 * status bit), and after a reset the same device serves a normal read. */
#include "virtio/vdrv.h"

#define T_IN 0
#define BLK_F_RO (1ULL << 5)

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vq_mem qmem;
static struct blk_hdr hdr;
static volatile uint8_t status;
static uint8_t buf[1024] __attribute__((aligned(512)));
static struct vring_desc itable[4] __attribute__((aligned(16)));
static struct vdev d;
static struct vq q;

static bool setup(uint64_t features)
{
	return vdev_init(&d, features) && vq_setup(&d, &q, 0, &qmem, VQ_NUM) && vdev_driver_ok(&d);
}

/* A well-formed read of sector 0; true if it worked. */
static bool good_read(void)
{
	struct vbuf b[3] = { { &hdr, sizeof(hdr), false }, { buf, 512, true },
			     { (void *)&status, 1, true } };

	hdr = (struct blk_hdr){ .type = T_IN };
	status = 0xff;
	memset(buf, 0, 512);
	vq_add(&q, b, 3);
	vq_kick(&q);
	return vq_wait(&q, NULL, NULL) && status == 0 && !memcmp(buf, "BULKHEAD-SECTOR0", 16);
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	q.desc[i].addr = addr;
	q.desc[i].len = len;
	q.desc[i].flags = flags;
	q.desc[i].next = next;
}

/* The attack was set up by the caller; kick and check the device gave up
 * cleanly, then reset and prove it works again. */
static void expect_reset(const char *what)
{
	vq_kick(&q);
	bool nr = vdev_wait_needs_reset(&d);
	guest_checkf(nr && (vrd(&d, R_ISR) & 2), "%s: device sets NEEDS_RESET and the config interrupt bit", what);
	vwr(&d, R_ISR_ACK, 3);
	guest_checkf(setup(F_INDIRECT) && good_read(), "%s: after a reset the device serves reads again", what);
}

static void still_works(const char *what)
{
	guest_checkf(!(vrd(&d, R_STATUS) & S_NEEDS_RESET) && good_read(),
		     "%s: the device still serves reads", what);
}

int guest_main(void *bp)
{
	(void)bp;
	if (!guest_check(vdev_find(2, 0, &d), "hostile: blk found") ||
	    !guest_check(setup(F_INDIRECT), "hostile: blk set up") ||
	    !guest_check(good_read(), "hostile: a normal read works"))
		guest_finish();

	set_desc(0, (uint64_t)&hdr, 16, D_NEXT, 1);
	set_desc(1, (uint64_t)buf, 512, D_NEXT, 0);
	vq_publish(&q, 0);
	expect_reset("descriptor loop");

	set_desc(0, 0x7fff00000000ULL, 16, 0, 0);
	vq_publish(&q, 0);
	expect_reset("buffer address outside guest memory");

	set_desc(0, 0x100000, 0xffffffff, D_WRITE, 0);
	vq_publish(&q, 0);
	expect_reset("4 GiB buffer length");

	set_desc(0, (uint64_t)&hdr, 16, D_NEXT, 200);
	vq_publish(&q, 0);
	expect_reset("next index out of range");

	q.avail[1] = (uint16_t)(q.avail_idx + 1000);
	expect_reset("avail index jump");

	q.avail[2 + q.avail_idx % q.num] = 77;
	q.avail[1] = (uint16_t)(q.avail_idx + 1);
	expect_reset("head index out of range");

	set_desc(0, (uint64_t)&hdr, 16, 0x80, 0);
	vq_publish(&q, 0);
	expect_reset("unknown descriptor flag");

	set_desc(0, (uint64_t)&hdr, 16, D_NEXT, 1);
	set_desc(1, (uint64_t)buf, 512, D_WRITE | D_NEXT, 2);
	set_desc(2, (uint64_t)&hdr, 16, 0, 0);
	vq_publish(&q, 0);
	expect_reset("readable buffer after a writable one");

	set_desc(0, (uint64_t)&hdr, 16, 0, 0);
	vq_publish(&q, 0);
	expect_reset("request without a status byte");

	setup(0);   /* INDIRECT not negotiated */
	set_desc(0, (uint64_t)itable, 48, D_INDIRECT, 0);
	vq_publish(&q, 0);
	expect_reset("indirect descriptor without INDIRECT_DESC");

	set_desc(0, (uint64_t)itable, 17, D_INDIRECT, 0);
	vq_publish(&q, 0);
	expect_reset("indirect table of 17 bytes");

	itable[0] = (struct vring_desc){ (uint64_t)itable, 64, D_INDIRECT, 0 };
	set_desc(0, (uint64_t)itable, 64, D_INDIRECT, 0);
	vq_publish(&q, 0);
	expect_reset("nested indirect table");

	itable[0] = (struct vring_desc){ (uint64_t)&hdr, 16, D_NEXT, 1 };
	itable[1] = (struct vring_desc){ (uint64_t)buf, 512, D_NEXT | D_WRITE, 0 };
	set_desc(0, (uint64_t)itable, 32, D_INDIRECT, 0);
	vq_publish(&q, 0);
	expect_reset("loop inside an indirect table");

	/* Rings outside memory: refused when the queue is made ready. */
	vdev_init(&d, 0);
	vwr(&d, R_QUEUE_SEL, 0);
	vwr(&d, R_QUEUE_NUM, VQ_NUM);
	vdev_set_addr(&d, R_DESC_LO, 0x7fff00000000ULL);
	vdev_set_addr(&d, R_AVAIL_LO, 0x7fff00001000ULL);
	vdev_set_addr(&d, R_USED_LO, 0x7fff00002000ULL);
	vwr(&d, R_QUEUE_READY, 1);
	expect_reset("rings outside guest memory");

	/* Requests that are wrong but well-formed: IOERR, device stays up. */
	{
		struct vbuf b[2] = { { &hdr, 8, false }, { (void *)&status, 1, true } };
		status = 0xff;
		vq_add(&q, b, 2);
		vq_kick(&q);
		guest_checkf(vq_wait(&q, NULL, NULL) && status == 1, "8-byte request header: IOERR (%u)", status);
		still_works("short header");
	}
	vwr(&d, R_QUEUE_NOTIFY, 7);
	vwr(&d, R_QUEUE_NOTIFY, 0xffffffff);
	still_works("notify of nonexistent queues");

	vwr(&d, 0x0f0, 0x1234);
	vwr(&d, 0x0c0, 0xffffffff);
	mmio_write8(d.base + R_STATUS, 0);
	mmio_write16(d.base + R_QUEUE_SEL, 3);
	vwr(&d, R_CONFIG, 0xdeadbeef);
	vwr(&d, R_CONFIG + 0x80, 1);
	guest_check(vrd(&d, 0x0f0) == 0 && vrd(&d, R_CONFIG + 0x80) == 0,
		    "unknown registers read as zero");
	vwr(&d, R_QUEUE_SEL, 9);
	vwr(&d, R_QUEUE_NUM, 4);
	vwr(&d, R_QUEUE_READY, 1);
	vwr(&d, R_QUEUE_SEL, 0);
	vwr(&d, R_QUEUE_NUM, 2);   /* queue 0 is ready: must be ignored */
	still_works("writes to unknown registers and queues");

	vwr(&d, R_STATUS, 0);
	vwr(&d, R_STATUS, S_ACK | S_DRIVER);
	vwr(&d, R_DRV_FEAT_SEL, 1);
	vwr(&d, R_DRV_FEAT, 1 | 0x100);   /* VERSION_1 plus an unoffered bit */
	vwr(&d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	guest_check(!(vrd(&d, R_STATUS) & S_FEATURES_OK), "unoffered feature: FEATURES_OK refused");
	vwr(&d, R_STATUS, 0);
	vwr(&d, R_STATUS, S_ACK | S_DRIVER);
	vwr(&d, R_DRV_FEAT_SEL, 1);
	vwr(&d, R_DRV_FEAT, 0);           /* legacy driver: no VERSION_1 */
	vwr(&d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	guest_check(!(vrd(&d, R_STATUS) & S_FEATURES_OK), "no VERSION_1: FEATURES_OK refused");
	vwr(&d, R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
	guest_check(!(vrd(&d, R_STATUS) & S_DRIVER_OK), "DRIVER_OK without FEATURES_OK refused");

	guest_check(setup(F_INDIRECT) && good_read(), "hostile: the VMM still serves the guest at the end");
	guest_finish();
}
