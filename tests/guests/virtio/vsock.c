/* virtio-vsock through the VMM's Unix-socket bridge. The test (suite
 * 51-vmm-virtio) plays the host side:
 *  1. guest -> host port 5000 ("<uds>_5000"): hello both ways, then 300000
 *     bytes from the guest under the host's credit, answered "got 300000".
 *  2. guest -> host port 5001 where nothing listens: RST.
 *  3. hostile packets (wrong CID, unknown op, wrong type, RW without a
 *     connection, lying length, short header): RST or silence, and a new
 *     connection to 5000 still works afterwards.
 *  4. 16 concurrent connections to port 5002 (an echo service), interleaved.
 *  5. host -> guest: after "vsock: listening on 1234" the test sends
 *     "CONNECT 1234\n", then "ping-from-host\n" (echoed), then 200000 bytes
 *     that must arrive within the credit the guest grants. */
#include "virtio/vdrv.h"

#define Q_RX 0
#define Q_TX 1
#define NRX 8
#define PAYLOAD 4096
#define HOST_CID 2
#define BUF_ALLOC 65536

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };

struct vhdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct rxslot {
	struct vhdr h;
	uint8_t data[PAYLOAD];
} __attribute__((packed));

struct conn {
	uint32_t lport, pport;
	uint32_t fwd_cnt, fwd_sent;        /* what we consumed / told the host */
	uint32_t tx_cnt, peer_alloc, peer_fwd;
};

static struct vq_mem rxmem, txmem;
static struct rxslot rxbuf[NRX];
static struct vhdr txh;
static uint8_t txdata[PAYLOAD];
static uint8_t pkt_data[PAYLOAD];
static struct vq rx, tx;
static uint64_t cid;

static void tx_raw(const void *h, uint32_t hlen, const void *data, uint32_t len)
{
	struct vbuf v[2] = { { (void *)h, hlen, false }, { (void *)data, len, false } };

	vq_add(&tx, v, len ? 2 : 1);
	vq_kick(&tx);
	vq_wait(&tx, NULL, NULL);
}

static void send_pkt(struct conn *c, uint16_t op, uint32_t flags, const void *data, uint32_t len)
{
	txh = (struct vhdr){ .src_cid = cid, .dst_cid = HOST_CID, .src_port = c->lport,
			     .dst_port = c->pport, .len = len, .type = 1, .op = op, .flags = flags,
			     .buf_alloc = BUF_ALLOC, .fwd_cnt = c->fwd_cnt };
	c->fwd_sent = c->fwd_cnt;
	if (data && len)
		memcpy(txdata, data, len);
	c->tx_cnt += op == OP_RW ? len : 0;
	tx_raw(&txh, sizeof(txh), txdata, len);
}

/* Next rx packet (payload copied to pkt_data); false on timeout. */
static bool recv_pkt(struct vhdr *h)
{
	uint32_t id, len;

	if (!vq_wait(&rx, &id, &len) || id >= NRX || len < sizeof(*h))
		return false;
	memcpy(h, &rxbuf[id].h, sizeof(*h));
	if (h->len > PAYLOAD || len != sizeof(*h) + h->len) {
		guest_printf("vsock: bad rx packet len %u used %u\n", h->len, len);
		h->len = 0;
	}
	memcpy(pkt_data, rxbuf[id].data, h->len);
	vq_publish(&rx, (uint16_t)id);
	vq_kick(&rx);
	return true;
}

/* Next packet for c, skipping pure credit updates (after noting them). */
static bool recv_conn(struct conn *c, struct vhdr *h)
{
	while (recv_pkt(h)) {
		if (h->dst_port != c->lport || h->src_port != c->pport) {
			guest_printf("vsock: stray packet op %u %u->%u\n", h->op, h->src_port, h->dst_port);
			continue;
		}
		c->peer_alloc = h->buf_alloc;
		c->peer_fwd = h->fwd_cnt;
		if (h->op == OP_CREDIT_UPDATE)
			continue;
		if (h->op == OP_CREDIT_REQUEST) {
			send_pkt(c, OP_CREDIT_UPDATE, 0, NULL, 0);
			continue;
		}
		return true;
	}
	return false;
}

static bool expect(struct conn *c, uint16_t op, const char *what)
{
	struct vhdr h;
	bool ok = recv_conn(c, &h) && h.op == op && h.src_cid == HOST_CID && h.dst_cid == cid;

	return guest_checkf(ok, "vsock: %s (got op %u)", what, ok ? op : h.op);
}

static bool expect_data(struct conn *c, const char *want, const char *what)
{
	struct vhdr h;
	size_t n = strlen(want);
	bool ok = recv_conn(c, &h) && h.op == OP_RW && h.len == n && !memcmp(pkt_data, want, n);

	if (ok)
		c->fwd_cnt += h.len;
	return guest_checkf(ok, "vsock: %s", what);
}

static bool guest_connect(struct conn *c, uint32_t lport, uint32_t port)
{
	*c = (struct conn){ .lport = lport, .pport = port };
	send_pkt(c, OP_REQUEST, 0, NULL, 0);
	return expect(c, OP_RESPONSE, "guest connect: RESPONSE");
}

static void guest_close(struct conn *c)
{
	send_pkt(c, OP_SHUTDOWN, 3, NULL, 0);
	expect(c, OP_RST, "guest close: SHUTDOWN answered by RST");
}

static void bulk_to_host(struct conn *c, uint32_t total)
{
	uint32_t sent = 0, stalls = 0;
	struct vhdr h;

	for (unsigned i = 0; i < PAYLOAD; i++)
		txdata[i] = (uint8_t)(i * 7);
	while (sent < total) {
		uint32_t credit = c->peer_alloc - (c->tx_cnt - c->peer_fwd);
		uint32_t n = total - sent < 4000 ? total - sent : 4000;
		if (credit < n) {
			/* Out of credit: the host must send a CREDIT_UPDATE. */
			if (!recv_pkt(&h) || h.dst_port != c->lport) {
				guest_checkf(false, "vsock: host granted more credit (sent %u)", sent);
				return;
			}
			c->peer_alloc = h.buf_alloc;
			c->peer_fwd = h.fwd_cnt;
			stalls++;
			continue;
		}
		txh = (struct vhdr){ .src_cid = cid, .dst_cid = HOST_CID, .src_port = c->lport,
				     .dst_port = c->pport, .len = n, .type = 1, .op = OP_RW,
				     .buf_alloc = BUF_ALLOC, .fwd_cnt = c->fwd_cnt };
		tx_raw(&txh, sizeof(txh), txdata, n);
		c->tx_cnt += n;
		sent += n;
	}
	guest_checkf(true, "vsock: sent %u bytes to the host within its credit (%u credit waits)",
		     sent, stalls);
}

static void bulk_from_host(struct conn *c, uint32_t total)
{
	uint32_t got = 0, sum = 0;
	bool within = true;
	struct vhdr h;

	while (got < total && recv_conn(c, &h) && h.op == OP_RW) {
		got += h.len;
		c->fwd_cnt += h.len;
		for (uint32_t i = 0; i < h.len; i++)
			sum += pkt_data[i];
		/* Never more in flight than we granted. */
		if (c->fwd_cnt - c->fwd_sent > BUF_ALLOC)
			within = false;
		if (c->fwd_cnt - c->fwd_sent >= BUF_ALLOC / 2)
			send_pkt(c, OP_CREDIT_UPDATE, 0, NULL, 0);
	}
	guest_checkf(got == total, "vsock: received %u of %u bytes from the host", got, total);
	guest_check(within, "vsock: host stayed within the guest's credit");
	guest_printf("vsock: bulk sum %u\n", sum);
}

/* NCONC guest connections to port 5002 at once: each sends "conn-NN\n" and
 * expects it echoed on the same connection, then all close. */
#define NCONC 16
static void concurrent(void)
{
	static struct conn cs[NCONC];
	static char got[NCONC][16];
	unsigned resp = 0, echoed = 0, rsts = 0, glen[NCONC] = { 0 };
	bool mixed = false;
	struct vhdr h;

	for (unsigned i = 0; i < NCONC; i++) {
		cs[i] = (struct conn){ .lport = 8000 + i, .pport = 5002 };
		send_pkt(&cs[i], OP_REQUEST, 0, NULL, 0);
	}
	while ((resp < NCONC || echoed < NCONC) && recv_pkt(&h)) {
		unsigned i = h.dst_port - 8000;
		if (i >= NCONC || h.src_port != 5002)
			continue;
		cs[i].peer_alloc = h.buf_alloc;
		cs[i].peer_fwd = h.fwd_cnt;
		if (h.op == OP_RESPONSE) {
			char msg[8] = { 'c', 'o', 'n', 'n', '-', (char)('0' + i / 10), (char)('0' + i % 10), '\n' };
			resp++;
			send_pkt(&cs[i], OP_RW, 0, msg, 8);
		} else if (h.op == OP_RW) {
			if (glen[i] + h.len > sizeof(got[i]))
				mixed = true;
			else
				memcpy(got[i] + glen[i], pkt_data, h.len), glen[i] += h.len;
			cs[i].fwd_cnt += h.len;
			if (glen[i] == 8) {
				echoed++;
				if (got[i][5] != (char)('0' + i / 10) || got[i][6] != (char)('0' + i % 10))
					mixed = true;
			}
		} else if (h.op != OP_CREDIT_UPDATE) {
			guest_printf("vsock: conn %u: unexpected op %u\n", i, h.op);
			break;
		}
	}
	guest_checkf(resp == NCONC, "vsock: %u concurrent connections accepted (%u)", NCONC, resp);
	guest_checkf(echoed == NCONC && !mixed, "vsock: each of them echoed its own data (%u)", echoed);
	for (unsigned i = 0; i < NCONC; i++)
		send_pkt(&cs[i], OP_SHUTDOWN, 3, NULL, 0);
	while (rsts < NCONC && recv_pkt(&h))
		if (h.op == OP_RST && h.dst_port - 8000 < NCONC)
			rsts++;
	guest_checkf(rsts == NCONC, "vsock: all %u closed with RST (%u)", NCONC, rsts);
}

static void hostile(void)
{
	struct vhdr h;
	static const struct { uint64_t src_cid; uint16_t type, op; uint32_t len; const char *what; } bad[] = {
		{ 0, 1, OP_REQUEST, 0, "wrong source CID" },
		{ 1, 1, 99, 0, "unknown op" },
		{ 1, 2, OP_REQUEST, 0, "SEQPACKET type" },
		{ 1, 1, OP_RW, 10, "RW without a connection" },
		{ 1, 1, OP_RW, 1000, "length larger than the packet" },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		txh = (struct vhdr){ .src_cid = bad[i].src_cid ? cid : cid + 1, .dst_cid = HOST_CID,
				     .src_port = 9000 + i, .dst_port = 5000, .len = bad[i].len,
				     .type = bad[i].type, .op = bad[i].op, .buf_alloc = BUF_ALLOC };
		tx_raw(&txh, sizeof(txh), txdata, bad[i].op == OP_RW ? 10 : 0);
		bool ok = recv_pkt(&h) && h.op == OP_RST && h.dst_port == 9000 + i;
		guest_checkf(ok, "vsock: hostile %s gets RST", bad[i].what);
	}
	/* A truncated header cannot even be answered; it must just be dropped. */
	tx_raw(&txh, 20, NULL, 0);
	guest_check(true, "vsock: truncated header sent");
}

int guest_main(void *bp)
{
	struct vdev d;
	struct conn c;
	struct vhdr h;

	(void)bp;
	if (!guest_check(vdev_find(19, 0, &d), "vsock: found (device id 19)") ||
	    !guest_check(vdev_init(&d, 0), "vsock: FEATURES_OK") ||
	    !guest_check(vq_setup(&d, &rx, Q_RX, &rxmem, VQ_NUM), "vsock: rx queue ready") ||
	    !guest_check(vq_setup(&d, &tx, Q_TX, &txmem, VQ_NUM), "vsock: tx queue ready"))
		guest_finish();
	cid = (uint64_t)vrd(&d, R_CONFIG) | (uint64_t)vrd(&d, R_CONFIG + 4) << 32;
	guest_checkf(cid == 42, "vsock: guest CID from config is 42 (%lu)", cid);
	for (uint16_t i = 0; i < NRX; i++) {
		rx.desc[i].addr = (uint64_t)&rxbuf[i];
		rx.desc[i].len = sizeof(rxbuf[i]);
		rx.desc[i].flags = D_WRITE;
		vq_publish(&rx, i);
	}
	if (!guest_check(vdev_driver_ok(&d), "vsock: DRIVER_OK"))
		guest_finish();
	vq_kick(&rx);

	if (guest_connect(&c, 7000, 5000)) {
		send_pkt(&c, OP_RW, 0, "hello host\n", 11);
		expect_data(&c, "hello guest\n", "guest-initiated: reply from the host listener");
		bulk_to_host(&c, 300000);
		expect_data(&c, "got 300000\n", "host counted all 300000 bytes");
		guest_close(&c);
	}
	c = (struct conn){ .lport = 7001, .pport = 5001 };
	send_pkt(&c, OP_REQUEST, 0, NULL, 0);
	expect(&c, OP_RST, "connect to a port nobody listens on gets RST");

	hostile();
	if (guest_connect(&c, 7002, 5000)) {
		send_pkt(&c, OP_RW, 0, "hello host\n", 11);
		expect_data(&c, "hello guest\n", "after hostile packets, the device still relays");
		guest_close(&c);
	}
	concurrent();

	guest_printf("vsock: listening on 1234\n");
	if (!recv_pkt(&h) || h.op != OP_REQUEST || h.dst_port != 1234 || h.src_cid != HOST_CID) {
		guest_checkf(false, "vsock: host-initiated REQUEST to port 1234 (op %u port %u)", h.op, h.dst_port);
		guest_finish();
	}
	guest_check(true, "vsock: host-initiated REQUEST to port 1234");
	c = (struct conn){ .lport = 1234, .pport = h.src_port, .peer_alloc = h.buf_alloc, .peer_fwd = h.fwd_cnt };
	send_pkt(&c, OP_RESPONSE, 0, NULL, 0);
	if (expect_data(&c, "ping-from-host\n", "host-initiated: data from the host client")) {
		send_pkt(&c, OP_RW, 0, "echo: ping-from-host\n", 21);
		bulk_from_host(&c, 200000);
	}
	/* The client closes: SHUTDOWN(s) and/or RST follow. */
	while (recv_conn(&c, &h) && h.op == OP_SHUTDOWN) {
		if ((h.flags & 3) == 3)
			break;
	}
	guest_checkf(h.op == OP_RST || h.op == OP_SHUTDOWN, "vsock: host close seen (op %u)", h.op);
	guest_finish();
}
