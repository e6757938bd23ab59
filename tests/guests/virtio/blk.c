/* virtio-blk round trip. Expects two disks (made by tests/suites/51-vmm-virtio):
 *   #0 rw, 1 MiB, serial "rw-disk", sector 0 starts "BULKHEAD-SECTOR0"
 *   #1 ro, 64 KiB, serial "ro-disk", sector 0 starts "BULKHEAD-RO"
 * Writes "GUEST-WROTE-SECTOR1" to sector 1 of #0, which the test checks. */
#include "virtio/vdrv.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define ST_OK 0
#define ST_IOERR 1
#define BLK_F_RO (1ULL << 5)
#define BLK_F_FLUSH (1ULL << 9)

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vq_mem qmem;
static struct blk_hdr hdr;
static volatile uint8_t status;
static uint8_t buf[4096] __attribute__((aligned(512)));
static struct vring_desc itable[3] __attribute__((aligned(16)));

/* One request; returns the status byte, or -1 on timeout. */
static int blk_req(struct vq *q, uint32_t type, uint64_t sector, void *data, uint32_t len,
		   uint32_t *used)
{
	struct vbuf b[3];
	int n = 0;

	hdr = (struct blk_hdr){ .type = type, .sector = sector };
	status = 0xff;
	b[n++] = (struct vbuf){ &hdr, sizeof(hdr), false };
	if (len)
		b[n++] = (struct vbuf){ data, len, type != T_OUT };
	b[n++] = (struct vbuf){ (void *)&status, 1, true };
	vq_add(q, b, n);
	vq_kick(q);
	if (!vq_wait(q, NULL, used))
		return -1;
	return status;
}

/* The same read through one indirect descriptor. */
static int blk_read_indirect(struct vq *q, uint64_t sector, void *data, uint32_t len)
{
	hdr = (struct blk_hdr){ .type = T_IN, .sector = sector };
	status = 0xff;
	itable[0] = (struct vring_desc){ (uint64_t)&hdr, sizeof(hdr), D_NEXT, 1 };
	itable[1] = (struct vring_desc){ (uint64_t)data, len, D_NEXT | D_WRITE, 2 };
	itable[2] = (struct vring_desc){ (uint64_t)&status, 1, D_WRITE, 0 };
	uint16_t idx = q->next_desc;
	q->desc[idx].addr = (uint64_t)itable;
	q->desc[idx].len = sizeof(itable);
	q->desc[idx].flags = D_INDIRECT;
	q->next_desc = (uint16_t)((idx + 1) % q->num);
	vq_publish(q, idx);
	vq_kick(q);
	if (!vq_wait(q, NULL, NULL))
		return -1;
	return status;
}

static bool open_disk(int nth, struct vdev *d, struct vq *q, uint64_t *features)
{
	if (!guest_checkf(vdev_find(2, nth, d), "blk #%d: found (magic, version 2, device id 2)", nth))
		return false;
	*features = vdev_features(d);
	guest_checkf(*features & F_VERSION_1, "blk #%d: offers VERSION_1", nth);
	if (!guest_checkf(vdev_init(d, F_INDIRECT | BLK_F_FLUSH | BLK_F_RO), "blk #%d: FEATURES_OK", nth))
		return false;
	if (!guest_checkf(vq_setup(d, q, 0, &qmem, VQ_NUM), "blk #%d: queue 0 ready", nth))
		return false;
	return guest_checkf(vdev_driver_ok(d), "blk #%d: DRIVER_OK", nth);
}

static void check_id(struct vq *q, const char *want)
{
	char id[21] = { 0 };
	int st = blk_req(q, T_GET_ID, 0, id, 20, NULL);
	guest_checkf(st == ST_OK && !strcmp(id, want), "get-id returns \"%s\" (status %d, \"%s\")",
		     want, st, id);
}

int guest_main(void *bp)
{
	struct vdev d;
	struct vq q;
	uint64_t f, cap;
	uint32_t used;
	int st;

	(void)bp;
	if (open_disk(0, &d, &q, &f)) {
		cap = (uint64_t)vrd(&d, R_CONFIG) | (uint64_t)vrd(&d, R_CONFIG + 4) << 32;
		guest_checkf(cap == 2048, "capacity is 2048 sectors (%lu)", cap);
		guest_check(!(f & BLK_F_RO), "rw disk does not offer RO");
		memset(buf, 0, sizeof(buf));
		st = blk_req(&q, T_IN, 0, buf, 512, &used);
		guest_checkf(st == ST_OK && used == 513, "read sector 0 (status %d, used %u)", st, used);
		guest_check(!memcmp(buf, "BULKHEAD-SECTOR0", 16), "sector 0 holds the test's bytes");
		memset(buf, 0, 512);
		memcpy(buf, "GUEST-WROTE-SECTOR1", 19);
		for (int i = 32; i < 512; i++)
			buf[i] = (uint8_t)i;
		st = blk_req(&q, T_OUT, 1, buf, 512, NULL);
		guest_checkf(st == ST_OK, "write sector 1 (status %d)", st);
		st = blk_req(&q, T_FLUSH, 0, NULL, 0, NULL);
		guest_checkf(st == ST_OK, "flush (status %d)", st);
		memset(buf, 0, 512);
		st = blk_req(&q, T_IN, 1, buf, 512, NULL);
		guest_checkf(st == ST_OK && !memcmp(buf, "GUEST-WROTE-SECTOR1", 19) && buf[100] == 100,
			     "read back sector 1 (status %d)", st);
		memset(buf, 0, 1024);
		st = blk_read_indirect(&q, 0, buf, 1024);
		guest_checkf(st == ST_OK && !memcmp(buf, "BULKHEAD-SECTOR0", 16) &&
			     !memcmp(buf + 512, "GUEST-WROTE-SECTOR1", 19),
			     "read 2 sectors via an indirect table (status %d)", st);
		check_id(&q, "rw-disk");
		st = blk_req(&q, T_IN, 2048, buf, 512, NULL);
		guest_checkf(st == ST_IOERR, "read past the end is IOERR (status %d)", st);
		st = blk_req(&q, T_IN, 2047, buf, 1024, NULL);
		guest_checkf(st == ST_IOERR, "read straddling the end is IOERR (status %d)", st);
		st = blk_req(&q, T_OUT, ~0ULL / 512, buf, 512, NULL);
		guest_checkf(st == ST_IOERR, "write at a huge sector is IOERR (status %d)", st);
		st = blk_req(&q, 77, 0, buf, 512, NULL);
		guest_checkf(st == 2, "unknown request type is UNSUPP (status %d)", st);
		guest_check(!(vrd(&d, R_STATUS) & S_NEEDS_RESET), "rw disk still healthy");
		vwr(&d, R_STATUS, 0);   /* the ro disk reuses the ring memory */
	}
	if (open_disk(1, &d, &q, &f)) {
		guest_check(f & BLK_F_RO, "ro disk offers VIRTIO_BLK_F_RO");
		memset(buf, 0, 512);
		st = blk_req(&q, T_IN, 0, buf, 512, NULL);
		guest_checkf(st == ST_OK && !memcmp(buf, "BULKHEAD-RO", 11), "ro disk: read sector 0 (status %d)", st);
		memcpy(buf, "MUST-NOT-LAND", 13);
		st = blk_req(&q, T_OUT, 0, buf, 512, NULL);
		guest_checkf(st == ST_IOERR, "ro disk: write is IOERR (status %d)", st);
		memset(buf, 0, 512);
		st = blk_req(&q, T_IN, 0, buf, 512, NULL);
		guest_checkf(st == ST_OK && !memcmp(buf, "BULKHEAD-RO", 11), "ro disk: sector 0 unchanged");
		check_id(&q, "ro-disk");
	}
	guest_finish();
}
