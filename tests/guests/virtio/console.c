/* virtio-console, one port: print a line on the transmitq (the test reads it
 * from the console output), then receive a line the test writes to the VMM's
 * stdin and echo it back as "got: <line>". */
#include "virtio/vdrv.h"

#define Q_RX 0
#define Q_TX 1
#define NRX 4

static struct vq_mem rxmem, txmem;
static char rxbuf[NRX][64];
static char line[256];
static char out[300];

static bool con_send(struct vq *tx, const char *s)
{
	struct vbuf v = { (void *)s, (uint32_t)strlen(s), false };

	vq_add(tx, &v, 1);
	vq_kick(tx);
	return vq_wait(tx, NULL, NULL);
}

int guest_main(void *bp)
{
	struct vdev d;
	struct vq rx, tx;
	size_t n = 0;
	uint32_t id, len;

	(void)bp;
	if (!guest_check(vdev_find(3, 0, &d), "console: found (device id 3)") ||
	    !guest_check(vdev_init(&d, 0), "console: FEATURES_OK") ||
	    !guest_check(vq_setup(&d, &rx, Q_RX, &rxmem, VQ_NUM), "console: receiveq ready") ||
	    !guest_check(vq_setup(&d, &tx, Q_TX, &txmem, VQ_NUM), "console: transmitq ready") ||
	    !guest_check(vdev_driver_ok(&d), "console: DRIVER_OK"))
		guest_finish();
	/* Small rx buffers so that a line arrives in pieces. */
	for (uint16_t i = 0; i < NRX; i++) {
		rx.desc[i].addr = (uint64_t)rxbuf[i];
		rx.desc[i].len = 8;
		rx.desc[i].flags = D_WRITE;
		vq_publish(&rx, i);
	}
	vq_kick(&rx);
	guest_check(con_send(&tx, "hello from virtio-console\n"), "console: line sent on transmitq");
	guest_printf("console: waiting for input\n");
	while (n < sizeof(line) - 1 && (n == 0 || line[n - 1] != '\n')) {
		if (!vq_wait(&rx, &id, &len) || id >= NRX || len > 8)
			break;
		memcpy(line + n, rxbuf[id], len < sizeof(line) - 1 - n ? len : sizeof(line) - 1 - n);
		n += len;
		vq_publish(&rx, (uint16_t)id);
		vq_kick(&rx);
	}
	line[n] = 0;
	guest_checkf(n > 0 && line[n - 1] == '\n', "console: received a line (%u bytes)", (unsigned)n);
	memcpy(out, "got: ", 5);
	memcpy(out + 5, line, n + 1);
	guest_check(con_send(&tx, out), "console: echo sent");
	guest_finish();
}
