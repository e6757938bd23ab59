/* virtio-vsock without vhost, Firecracker-style: guest stream connections are
 * relayed to host Unix sockets.
 *   host -> guest: a client connects to uds_path and sends "CONNECT <port>\n";
 *                  we send REQUEST to the guest and, on RESPONSE, answer
 *                  "OK <host_port>\n" and relay bytes both ways.
 *   guest -> host: a REQUEST to CID 2 port P connects to "<uds_path>_P";
 *                  RST if nothing listens there.
 * Credit flow control in both directions (buf_alloc/fwd_cnt). Anything a
 * guest sends that we do not understand is answered with RST.
 * All state is under the device lock; socket callbacks run on the loop
 * thread and find their connection by fd (the loop opaque is the device). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "vmm/devices/virtio_devices.h"

#define VIRTIO_ID_VSOCK 19
#define VSOCK_HOST_CID 2
#define VSOCK_TYPE_STREAM 1
enum {
	OP_INVALID, OP_REQUEST, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW,
	OP_CREDIT_UPDATE, OP_CREDIT_REQUEST, OP_MAX
};
#define SHUT_RCV_F  1
#define SHUT_SEND_F 2

#define Q_RX 0
#define Q_TX 1
#define Q_EVENT 2
#define VSOCK_QUEUE_SIZE 256
#define VSOCK_BUF_ALLOC (256 * 1024)  /* what each connection may have in flight to us */
#define VSOCK_MAX_PKT (64 * 1024)
#define VSOCK_MAX_CONNS 1024
#define VSOCK_RST_QUEUE 64
#define VSOCK_HOST_PORT_BASE (1U << 30)

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

enum conn_state {
	C_HANDSHAKE,    /* host client: waiting for "CONNECT <port>\n" */
	C_CONNECTING,   /* REQUEST sent to the guest, waiting for RESPONSE */
	C_ESTABLISHED,
	C_DRAINING,     /* guest side gone; flushing what it sent, then close */
};

struct vconn {
	struct vconn *next;
	int fd;
	enum conn_state st;
	uint32_t guest_port, host_port;
	unsigned pending;           /* bit per OP_* control packet owed to the guest */
	uint32_t shut_flags;        /* flags of the pending SHUTDOWN */
	bool registered;            /* fd in the event loop */
	uint32_t events;
	bool dead;                  /* free after the next pump */
	bool host_eof, guest_shut_send, guest_shut_rcv;
	/* credit: the guest's buffer, and what we sent into it */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* our buffer: bytes received from the guest, forwarded to the socket */
	uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
	char *wbuf;
	size_t wlen;
	char line[32];
	size_t line_len;
};

struct virtio_vsock {
	struct virtio_dev dev;
	uint64_t guest_cid;
	char *uds_path;
	char *run_path;         /* uds_path as seen from inside the jail */
	int listen_fd;
	struct vconn *conns;
	unsigned nconns;
	uint32_t next_port;
	struct vsock_hdr rst_q[VSOCK_RST_QUEUE];
	unsigned rst_n;
	bool rx_starved;
	struct vq_elem elem;
};

static void conn_cb(void *opaque, int fd, uint32_t events);

/* ---- packets to the guest ---- */

static void hdr_for(struct virtio_vsock *vs, struct vconn *c, struct vsock_hdr *h, uint16_t op)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .dst_cid = vs->guest_cid,
		.src_port = c->host_port, .dst_port = c->guest_port,
		.type = VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_sent = c->fwd_cnt;
}

/* Pop an rx buffer able to hold a header; NULL when none (starved) or broken. */
static struct vq_elem *rx_pop(struct virtio_vsock *vs)
{
	struct virtio_dev *d = &vs->dev;
	int r = vq_pop(&d->vq[Q_RX], &d->mem, &vs->elem);

	if (r == 0) {
		vs->rx_starved = true;
		return NULL;
	}
	if (r < 0) {
		virtio_dev_fail(d, "rx queue: %s", vq_strerror((enum vq_err)-r));
		return NULL;
	}
	if (vs->elem.in_len < sizeof(struct vsock_hdr)) {
		virtio_dev_fail(d, "rx buffer of %zu bytes cannot hold a header", vs->elem.in_len);
		return NULL;
	}
	return &vs->elem;
}

static bool rx_push(struct virtio_vsock *vs, struct vq_elem *e, const struct vsock_hdr *h)
{
	struct virtio_dev *d = &vs->dev;

	vq_buf_to_iov(e->iov + e->nout, e->nin, 0, h, sizeof(*h));
	if (!vq_push(&d->vq[Q_RX], &d->mem, e->head, (uint32_t)(sizeof(*h) + h->len))) {
		virtio_dev_fail(d, "rx used ring outside guest memory");
		return false;
	}
	virtio_dev_notify_used(d, Q_RX);
	return true;
}

static bool rx_send_hdr(struct virtio_vsock *vs, const struct vsock_hdr *h)
{
	struct vq_elem *e = rx_pop(vs);

	return e && rx_push(vs, e, h);
}

/* RST for a packet that has no connection (or a bad one). */
static void queue_rst_reply(struct virtio_vsock *vs, const struct vsock_hdr *in)
{
	if (in->op == OP_RST)
		return;   /* never answer an RST with an RST */
	if (vs->rst_n == VSOCK_RST_QUEUE) {
		virtio_dev_warn(&vs->dev, "RST queue full; dropping RST to port %u", in->src_port);
		return;
	}
	vs->rst_q[vs->rst_n++] = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .dst_cid = vs->guest_cid,
		.src_port = in->dst_port, .dst_port = in->src_port,
		.type = VSOCK_TYPE_STREAM, .op = OP_RST,
	};
}

/* ---- connections ---- */

static uint32_t conn_credit(const struct vconn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

static void conn_set_events(struct virtio_vsock *vs, struct vconn *c)
{
	struct bh_error e = { 0 };
	uint32_t ev = 0;

	if (c->fd < 0 || c->dead)
		return;
	if (c->st == C_HANDSHAKE) {
		ev = EPOLLIN;
	} else if (c->st == C_ESTABLISHED) {
		if (!c->host_eof && !c->guest_shut_rcv && !c->pending && conn_credit(c) > 0 &&
		    !vs->rx_starved)
			ev |= EPOLLIN;
		if (c->wlen)
			ev |= EPOLLOUT;
	} else if (c->st == C_DRAINING) {
		ev = EPOLLOUT;
	}
	/* With nothing to wait for, leave the loop entirely: a hung-up socket
	 * reports EPOLLHUP even with an empty event mask. */
	if (ev == 0) {
		if (c->registered)
			virtio_dev_loop_del(&vs->dev, c->fd);
		c->registered = false;
	} else if (!c->registered) {
		if (virtio_dev_loop_add(&vs->dev, c->fd, ev, conn_cb, vs, &e) == 0)
			c->registered = true;
		else
			virtio_dev_warn(&vs->dev, "watch connection: %s", e.msg);
	} else if (ev != c->events) {
		virtio_dev_loop_mod(&vs->dev, c->fd, ev);
	}
	c->events = ev;
}

static void conn_close_fd(struct virtio_vsock *vs, struct vconn *c)
{
	if (c->fd < 0)
		return;
	if (c->registered)
		virtio_dev_loop_del(&vs->dev, c->fd);
	c->registered = false;
	close(c->fd);
	c->fd = -1;
}

static void conn_free(struct virtio_vsock *vs, struct vconn *c)
{
	conn_close_fd(vs, c);
	for (struct vconn **p = &vs->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	vs->nconns--;
	free(c->wbuf);
	free(c);
}

static struct vconn *conn_new(struct virtio_vsock *vs, int fd, enum conn_state st)
{
	struct vconn *c;

	if (vs->nconns >= VSOCK_MAX_CONNS)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->st = st;
	c->next = vs->conns;
	vs->conns = c;
	vs->nconns++;
	return c;
}

static struct vconn *conn_by_ports(struct virtio_vsock *vs, uint32_t guest_port, uint32_t host_port)
{
	for (struct vconn *c = vs->conns; c; c = c->next)
		if (!c->dead && c->st != C_HANDSHAKE && c->st != C_DRAINING &&
		    c->guest_port == guest_port && c->host_port == host_port)
			return c;
	return NULL;
}

static struct vconn *conn_by_fd(struct virtio_vsock *vs, int fd)
{
	for (struct vconn *c = vs->conns; c; c = c->next)
		if (c->fd == fd && !c->dead)
			return c;
	return NULL;
}

/* Tear down: RST to the guest (once the rx queue takes it), then free. */
static void conn_reset(struct virtio_vsock *vs, struct vconn *c)
{
	conn_close_fd(vs, c);
	if (c->st == C_HANDSHAKE) {
		c->dead = true;
		return;
	}
	c->pending = 1U << OP_RST;
}

/* Deliver owed control packets; returns false when the rx queue ran dry. */
static bool pump_ctrl(struct virtio_vsock *vs)
{
	struct vsock_hdr h;

	while (vs->rst_n) {
		if (!rx_send_hdr(vs, &vs->rst_q[0]))
			return false;
		memmove(vs->rst_q, vs->rst_q + 1, --vs->rst_n * sizeof(vs->rst_q[0]));
	}
	for (struct vconn *c = vs->conns; c; c = c->next) {
		while (c->pending && !c->dead) {
			uint16_t op = (uint16_t)__builtin_ctz(c->pending);

			hdr_for(vs, c, &h, op);
			if (op == OP_SHUTDOWN)
				h.flags = c->shut_flags;
			if (!rx_send_hdr(vs, &h))
				return false;
			c->pending &= ~(1U << op);
			if (op == OP_RST)
				c->dead = c->st != C_DRAINING || c->fd < 0;
		}
	}
	return true;
}

/* Run after every state change: send what is owed, free what died, and
 * re-arm socket polling (reads resume once credit or rx buffers exist). */
static void vsock_pump(struct virtio_vsock *vs)
{
	struct vconn *c, *next;

	if (virtio_dev_ready(&vs->dev))
		pump_ctrl(vs);
	for (c = vs->conns; c; c = next) {
		next = c->next;
		if (c->dead)
			conn_free(vs, c);
		else
			conn_set_events(vs, c);
	}
}

static void queue_ctrl(struct vconn *c, uint16_t op)
{
	c->pending |= 1U << op;
}

/* Our fwd_cnt moved: tell the guest before it believes our buffer is full. */
static void maybe_credit_update(struct vconn *c)
{
	if (c->fwd_cnt != c->fwd_cnt_sent && c->rx_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 2)
		queue_ctrl(c, OP_CREDIT_UPDATE);
}

/* Write buffered guest data to the socket. false: the socket is dead. */
static bool conn_flush(struct vconn *c)
{
	while (c->wlen) {
		ssize_t w = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return true;
		if (w <= 0)
			return false;
		memmove(c->wbuf, c->wbuf + w, c->wlen - (size_t)w);
		c->wlen -= (size_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	if (c->guest_shut_send)
		shutdown(c->fd, SHUT_WR);
	return true;
}

/* ---- host side: reading the socket into rx buffers ---- */

static void conn_read(struct virtio_vsock *vs, struct vconn *c)
{
	struct virtio_dev *d = &vs->dev;
	struct iovec iov[VQ_MAX_SEG];

	for (int i = 0; i < 16 && c->fd >= 0 && !c->host_eof; i++) {
		uint32_t credit = conn_credit(c);
		struct vq_elem *e;
		struct vsock_hdr h;
		size_t room;
		unsigned n;
		ssize_t r;

		if (!credit || !pump_ctrl(vs) || c->pending)
			return;
		e = rx_pop(vs);
		if (!e)
			return;
		room = e->in_len - sizeof(h);
		if (room > credit)
			room = credit;
		if (room > VSOCK_MAX_PKT)
			room = VSOCK_MAX_PKT;
		if (room == 0) {
			virtio_dev_fail(d, "rx buffer with no room for data");
			return;
		}
		n = vq_iov_slice(e->iov + e->nout, e->nin, sizeof(h), room, iov, VQ_MAX_SEG);
		r = readv(c->fd, iov, (int)n);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			vq_unpop(&d->vq[Q_RX]);
			return;
		}
		if (r < 0) {
			vq_unpop(&d->vq[Q_RX]);
			conn_reset(vs, c);
			return;
		}
		hdr_for(vs, c, &h, r == 0 ? OP_SHUTDOWN : OP_RW);
		if (r == 0) {
			/* Host half-closed: the guest may still answer before closing. */
			c->host_eof = true;
			h.flags = SHUT_SEND_F;
		} else {
			h.len = (uint32_t)r;
			c->tx_cnt += (uint32_t)r;
		}
		if (!rx_push(vs, e, &h))
			return;
	}
}

/* "CONNECT <port>\n", read a byte at a time so that nothing after it is lost. */
static void conn_handshake(struct virtio_vsock *vs, struct vconn *c)
{
	char ch, *end;
	unsigned long port;

	for (;;) {
		ssize_t r = read(c->fd, &ch, 1);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0 || c->line_len >= sizeof(c->line) - 1) {
			c->dead = true;
			return;
		}
		if (ch == '\n')
			break;
		c->line[c->line_len++] = ch;
	}
	c->line[c->line_len] = 0;
	if (strncmp(c->line, "CONNECT ", 8) || c->line[8] < '0' || c->line[8] > '9' ||
	    (port = strtoul(c->line + 8, &end, 10), *end) || port > UINT32_MAX ||
	    !virtio_dev_ready(&vs->dev)) {
		bh_log_warn("virtio-vsock: host client: bad request or guest not ready: \"%.31s\"",
			    c->line);
		c->dead = true;
		return;
	}
	c->guest_port = (uint32_t)port;
	do {
		c->host_port = vs->next_port++;
		if (vs->next_port < VSOCK_HOST_PORT_BASE)
			vs->next_port = VSOCK_HOST_PORT_BASE;
	} while (conn_by_ports(vs, c->guest_port, c->host_port));
	c->st = C_CONNECTING;
	queue_ctrl(c, OP_REQUEST);
}

static void conn_cb(void *opaque, int fd, uint32_t events)
{
	struct virtio_vsock *vs = opaque;
	struct vconn *c;

	pthread_mutex_lock(&vs->dev.lock);
	c = conn_by_fd(vs, fd);
	if (!c)
		goto out;   /* stale event for a connection closed in this batch */
	if (c->st == C_HANDSHAKE) {
		conn_handshake(vs, c);
	} else if (c->st == C_DRAINING) {
		if (!conn_flush(c) || c->wlen == 0) {
			conn_close_fd(vs, c);
			c->dead = !c->pending;
		}
	} else if (c->st == C_ESTABLISHED) {
		if (events & EPOLLOUT) {
			if (!conn_flush(c)) {
				conn_reset(vs, c);
				goto out;
			}
			maybe_credit_update(c);
		}
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			conn_read(vs, c);
			/* Hung up and nothing left to read: done once nothing is left to
			 * write either (or writing fails). */
			if (c->fd >= 0 && (events & (EPOLLHUP | EPOLLERR)) && c->host_eof &&
			    (!conn_flush(c) || !c->wlen))
				conn_reset(vs, c);
		}
	}
out:
	vsock_pump(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

static void listen_cb(void *opaque, int fd, uint32_t events)
{
	struct virtio_vsock *vs = opaque;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	pthread_mutex_lock(&vs->dev.lock);
	if (!conn_new(vs, cfd, C_HANDSHAKE)) {
		bh_log_warn("virtio-vsock: too many connections; refusing host client");
		close(cfd);
	}
	vsock_pump(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

/* ---- guest side: tx packets ---- */

static bool in_jail;

void virtio_vsock_jailed(void)
{
	in_jail = true;
}

/* The socket's path as this process reaches it now. */
static const char *vsock_path(const struct virtio_vsock *vs)
{
	return in_jail ? vs->run_path : vs->uds_path;
}

static void guest_connect(struct virtio_vsock *vs, const struct vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct vconn *c;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", vsock_path(vs),
			     h->dst_port) >= sizeof(sa.sun_path))
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto refuse;
	c = conn_new(vs, fd, C_ESTABLISHED);
	if (!c)
		goto refuse;
	bh_steal_fd(&fd);
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	queue_ctrl(c, OP_RESPONSE);
	return;
refuse:
	bh_log_debug("virtio-vsock: guest connect to port %u refused", h->dst_port);
	queue_rst_reply(vs, h);
}

static void guest_rw(struct virtio_vsock *vs, struct vconn *c, struct vq_elem *e,
		     const struct vsock_hdr *h)
{
	size_t len = h->len, skip = sizeof(*h);

	if (c->guest_shut_send || c->wlen + len > VSOCK_BUF_ALLOC) {
		virtio_dev_warn(&vs->dev, "port %u: guest sent %zu bytes beyond its credit",
				c->guest_port, len);
		conn_reset(vs, c);
		return;
	}
	c->rx_cnt += (uint32_t)len;
	/* Straight from guest memory to the socket; buffer only what it refuses. */
	if (c->wlen == 0 && len) {
		struct iovec iov[VQ_MAX_SEG];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t w;

		mh.msg_iovlen = vq_iov_slice(e->iov, e->nout, sizeof(*h), len, iov, VQ_MAX_SEG);
		do
			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			conn_reset(vs, c);
			return;
		}
		if (w > 0) {
			skip += (size_t)w;
			len -= (size_t)w;
			c->fwd_cnt += (uint32_t)w;
		}
	}
	if (len) {
		if (!c->wbuf && !(c->wbuf = malloc(VSOCK_BUF_ALLOC))) {
			conn_reset(vs, c);
			return;
		}
		vq_iov_to_buf(e->iov, e->nout, skip, c->wbuf + c->wlen, len);
		c->wlen += len;
	}
	maybe_credit_update(c);
}

static void guest_shutdown(struct virtio_vsock *vs, struct vconn *c, uint32_t flags)
{
	if (flags & SHUT_RCV_F)
		c->guest_shut_rcv = true;
	if (flags & SHUT_SEND_F) {
		c->guest_shut_send = true;
		if (!c->wlen)
			shutdown(c->fd, SHUT_WR);
	}
	if (c->guest_shut_rcv && c->guest_shut_send) {
		/* Both ways closed: the guest waits for our RST; unsent data drains. */
		c->pending = 1U << OP_RST;
		if (c->wlen)
			c->st = C_DRAINING;
		else
			conn_close_fd(vs, c);
	}
}

static void guest_packet(struct virtio_vsock *vs, struct vq_elem *e)
{
	struct vsock_hdr h;
	struct vconn *c;

	if (e->out_len < sizeof(h)) {
		virtio_dev_warn(&vs->dev, "tx packet of %zu bytes without a header", e->out_len);
		return;
	}
	vq_iov_to_buf(e->iov, e->nout, 0, &h, sizeof(h));
	if (h.type != VSOCK_TYPE_STREAM || h.src_cid != vs->guest_cid ||
	    h.dst_cid != VSOCK_HOST_CID || h.len > VSOCK_MAX_PKT ||
	    h.len != e->out_len - sizeof(h) || (h.op != OP_RW && h.len) ||
	    h.op == OP_INVALID || h.op >= OP_MAX) {
		virtio_dev_warn(&vs->dev, "bad packet (op %u type %u cid %llu->%llu len %u); RST",
				h.op, h.type, (unsigned long long)h.src_cid,
				(unsigned long long)h.dst_cid, h.len);
		queue_rst_reply(vs, &h);
		return;
	}
	c = conn_by_ports(vs, h.src_port, h.dst_port);
	if (h.op == OP_REQUEST) {
		if (c)
			conn_reset(vs, c);   /* a second REQUEST on a live connection */
		else
			guest_connect(vs, &h);
		return;
	}
	if (!c) {
		queue_rst_reply(vs, &h);
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case OP_RESPONSE: {
		char ok[32];
		int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);

		if (c->st != C_CONNECTING ||
		    send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
			conn_reset(vs, c);
			break;
		}
		c->st = C_ESTABLISHED;
		break;
	}
	case OP_RST:
		conn_close_fd(vs, c);
		c->pending = 0;
		c->dead = true;
		break;
	case OP_SHUTDOWN:
		guest_shutdown(vs, c, h.flags);
		break;
	case OP_RW:
		if (c->st != C_ESTABLISHED)
			conn_reset(vs, c);
		else
			guest_rw(vs, c, e, &h);
		break;
	case OP_CREDIT_REQUEST:
		queue_ctrl(c, OP_CREDIT_UPDATE);
		break;
	case OP_CREDIT_UPDATE:
		break;   /* the credit fields above were the point */
	}
}

static void vsock_tx(struct virtio_vsock *vs)
{
	struct virtio_dev *d = &vs->dev;
	struct vq_elem *e = &vs->elem;
	bool any = false;
	int r = 0;

	while (!d->broken && (r = vq_pop(&d->vq[Q_TX], &d->mem, e)) > 0) {
		guest_packet(vs, e);
		if (!vq_push(&d->vq[Q_TX], &d->mem, e->head, 0)) {
			virtio_dev_fail(d, "tx used ring outside guest memory");
			return;
		}
		any = true;
	}
	if (r < 0)
		virtio_dev_fail(d, "tx queue: %s", vq_strerror((enum vq_err)-r));
	if (any)
		virtio_dev_notify_used(d, Q_TX);
}

static void vsock_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_vsock *vs = (struct virtio_vsock *)d;

	if (q == Q_TX)
		vsock_tx(vs);
	else if (q == Q_RX)
		vs->rx_starved = false;   /* new buffers: control first, then reads resume */
	/* Q_EVENT: buffers for transport events, of which we send none. */
	vsock_pump(vs);
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *vs = (struct virtio_vsock *)d;

	while (vs->conns)
		conn_free(vs, vs->conns);
	vs->rst_n = 0;
	vs->rx_starved = false;
}

static void vsock_destroy(struct virtio_dev *d)
{
	struct virtio_vsock *vs = (struct virtio_vsock *)d;

	vsock_reset(d);
	if (vs->listen_fd >= 0) {
		virtio_dev_loop_del(d, vs->listen_fd);
		close(vs->listen_fd);
		unlink(vsock_path(vs));
	}
	vs->listen_fd = -1;
	free(vs->uds_path);
	free(vs->run_path);
	vs->uds_path = vs->run_path = NULL;
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.notify = vsock_notify,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

int virtio_vsock_new(const struct vmm_vsock_opts *o, struct virtio_dev **out, struct bh_error *err)
{
	struct virtio_vsock *vs;

	if (!o || !o->uds_path || !*o->uds_path)
		return bh_error_setx(err, EINVAL, "virtio-vsock: no Unix socket path");
	if (o->guest_cid < 3 || o->guest_cid == UINT32_MAX)
		return bh_error_setx(err, EINVAL, "virtio-vsock: guest CID %u is reserved (need >= 3)",
				     o->guest_cid);
	/* Room for "_<port>" on guest-initiated connections. */
	if (strlen(o->uds_path) + 12 > sizeof(((struct sockaddr_un *)0)->sun_path))
		return bh_error_setx(err, ENAMETOOLONG, "virtio-vsock: socket path %s too long",
				     o->uds_path);
	vs = calloc(1, sizeof(*vs));
	if (!vs || !(vs->uds_path = strdup(o->uds_path)) ||
	    !(vs->run_path = strdup(o->run_path ? o->run_path : o->uds_path))) {
		if (vs)
			free(vs->uds_path);
		free(vs);
		return bh_error_set(err, ENOMEM, "virtio-vsock");
	}
	virtio_dev_init(&vs->dev, &vsock_ops, 0, VSOCK_QUEUE_SIZE);
	vs->guest_cid = o->guest_cid;
	vs->listen_fd = -1;
	vs->next_port = VSOCK_HOST_PORT_BASE;
	vs->dev.config_size = 8;
	memcpy(vs->dev.config, &vs->guest_cid, 8);
	*out = &vs->dev;
	return 0;
}

int virtio_vsock_listen(struct virtio_dev *d, struct bh_error *err)
{
	struct virtio_vsock *vs = (struct virtio_vsock *)d;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vs->uds_path);
	/* A stale socket from an earlier run is ours to replace; anything else is not. */
	if (lstat(sa.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return bh_error_setx(err, EEXIST, "virtio-vsock: %s exists and is not a socket",
					     sa.sun_path);
		unlink(sa.sun_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bh_error_set(err, errno, "virtio-vsock: socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return bh_error_set(err, errno, "virtio-vsock: bind %s", sa.sun_path);
	if (listen(fd, 128) < 0) {
		r = bh_error_set(err, errno, "virtio-vsock: listen on %s", sa.sun_path);
		unlink(sa.sun_path);
		return r;
	}
	r = virtio_dev_loop_add(d, fd, EPOLLIN, listen_cb, vs, err);
	if (r < 0) {
		unlink(sa.sun_path);
		return bh_error_wrap(err, "virtio-vsock: %s", sa.sun_path);
	}
	vs->listen_fd = bh_steal_fd(&fd);
	return 0;
}

int virtio_vsock_add(struct vmm *vm, const struct vmm_vsock_opts *o, struct bh_error *err)
{
	struct virtio_dev *d = NULL;
	int r = virtio_vsock_new(o, &d, err);

	if (r < 0)
		return r;
	r = virtio_dev_add(vm, d, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&d->lock);
	r = virtio_vsock_listen(d, err);
	pthread_mutex_unlock(&d->lock);
	if (r == 0)
		bh_log_info("virtio-vsock: guest CID %u, host socket %s", o->guest_cid, o->uds_path);
	return r;
}
