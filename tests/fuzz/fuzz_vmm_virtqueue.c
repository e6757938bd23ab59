/* The virtio-mmio transport, the split-virtqueue walker and the request
 * handlers of virtio-blk, -rng, -console and -vsock, driven by a fake guest
 * whose memory is the fuzz input. No KVM: the devices run on struct
 * virtio_host hooks that map a plain buffer.
 *
 * Input: a 16-byte header, nops 8-byte register operations, then the guest
 * memory image (zero-filled to 64 KiB).
 *   hdr[0] device (0 blk, 1 rng, 2 console, 3 vsock)   hdr[1] flags:
 *   bit0 INDIRECT_DESC, bit1 read-only disk             hdr[2] log2 queue size (<=4)
 *   hdr[3] nops                                         hdr[4..] unused
 *   op: u32 register offset (0xfff: kick queue <value>), u32 value
 * Queue q lives at q*0x400: descriptors +0, avail +0x100, used +0x200. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/devices/virtio_devices.h"

#define MEM_SIZE 0x10000
#define HDR 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t *mem;
static int disk_fd = -1, null_fd = -1;
static unsigned irqs;

static void *fake_map(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
		return NULL;
	return mem + gpa;
}

static void fake_irq(struct virtio_dev *d)
{
	(void)d;
	irqs++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	bh_log_open("/dev/null", 0, BH_LOG_ERROR);
	mem = malloc(MEM_SIZE);
	disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (!mem || disk_fd < 0 || ftruncate(disk_fd, 64 * 1024) < 0)
		abort();
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return 0;
}

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_write(d, off, &v, 4);
}

static uint32_t rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(d, off, &v, 4);
	return v;
}

static struct virtio_dev *make_dev(unsigned which, bool ro)
{
	struct bh_error err = { 0 };
	struct virtio_dev *d = NULL;
	char path[64];
	int r = -1;

	switch (which % 4) {
	case 0: {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
		struct vmm_blk_opts o = { .path = path, .readonly = ro, .serial = "fuzz" };
		r = virtio_blk_new(&o, &d, &err);
		break;
	}
	case 1:
		r = virtio_rng_new(&d, &err);
		break;
	case 2:
		r = virtio_console_new(-1, null_fd, &d, &err);
		break;
	case 3: {
		/* Guest connects go to a path that cannot exist: always RST. */
		struct vmm_vsock_opts o = { .guest_cid = 3, .uds_path = "/nonexistent-bulkhead/v" };
		r = virtio_vsock_new(&o, &d, &err);
		break;
	}
	}
	return r < 0 ? NULL : d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct virtio_host host = { .map = fake_map, .irq = fake_irq };
	struct virtio_dev *d;
	unsigned nq, qsize, nops;
	size_t img;

	if (size < HDR)
		return 0;
	nops = data[3];
	if (size < HDR + 8 * (size_t)nops)
		nops = (unsigned)((size - HDR) / 8);
	img = size - HDR - 8 * (size_t)nops;
	memset(mem, 0, MEM_SIZE);
	memcpy(mem, data + HDR + 8 * nops, img < MEM_SIZE ? img : MEM_SIZE);

	d = make_dev(data[0], data[1] & 2);
	if (!d)
		return 0;
	virtio_dev_set_host(d, &host);

	/* The driver's side of 3.1.1: reset, ACK, DRIVER, features, queues, DRIVER_OK. */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t f0 = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (data[1] & 1) ? f0 : f0 & ~(1U << VIRTIO_F_INDIRECT_DESC));
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);   /* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
	nq = d->ops->num_queues;
	qsize = 1U << (data[2] % 5);
	for (unsigned q = 0; q < nq; q++) {
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, qsize);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q * 0x400);
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, q * 0x400 + 0x100);
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, q * 0x400 + 0x200);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	/* tx/transmit first so that replies meet the rx buffers afterwards. */
	for (unsigned q = nq; q-- > 0;)
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	for (unsigned i = 0; i < nops; i++) {
		uint32_t off, v;

		memcpy(&off, data + HDR + 8 * i, 4);
		memcpy(&v, data + HDR + 8 * i + 4, 4);
		if ((off & 0xfff) == 0xfff) {
			virtio_dev_kick(d, v);
		} else if (off & 0x80000000) {
			uint64_t out = 0;
			virtio_mmio_read(d, off & 0xfff, &out, 1U << (off >> 29 & 3));
		} else {
			virtio_mmio_write(d, off & 0xfff, &v, 4);
		}
	}
	for (unsigned q = 0; q < nq; q++)
		virtio_dev_kick(d, q);
	virtio_dev_cleanup(d);
	free(d);
	return 0;
}
