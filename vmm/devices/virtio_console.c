/* virtio-console with a single port (no MULTIPORT): guest output (transmitq)
 * is written to out_fd, bytes read from in_fd (event loop) go to receiveq. */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/devices/virtio_devices.h"

#define VIRTIO_ID_CONSOLE 3
#define CONSOLE_QUEUE_SIZE 64
#define Q_RX 0
#define Q_TX 1

struct virtio_console {
	struct virtio_dev dev;
	int in_fd, out_fd;
	bool in_polled;      /* in_fd registered with the loop */
	bool in_paused;      /* EPOLLIN off until the guest posts rx buffers */
	bool in_hup;         /* writer gone, data may remain: read on rx kicks */
	char pend[4096];     /* input read but not yet delivered */
	size_t pend_len, pend_off;
	struct vq_elem elem;
};

/* Move pending input into rx buffers; true if anything was delivered. */
static bool con_deliver(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;
	bool any = false;
	int r = 0;

	while (c->pend_off < c->pend_len && (r = vq_pop(&d->vq[Q_RX], &d->mem, &c->elem)) > 0) {
		size_t n = vq_buf_to_iov(c->elem.iov + c->elem.nout, c->elem.nin, 0,
					 c->pend + c->pend_off, c->pend_len - c->pend_off);
		c->pend_off += n;
		if (!vq_push(&d->vq[Q_RX], &d->mem, c->elem.head, (uint32_t)n)) {
			virtio_dev_fail(d, "used ring outside guest memory");
			return false;
		}
		any = true;
	}
	if (r < 0)
		virtio_dev_fail(d, "receiveq: %s", vq_strerror((enum vq_err)-r));
	if (any)
		virtio_dev_notify_used(d, Q_RX);
	if (c->pend_off == c->pend_len)
		c->pend_off = c->pend_len = 0;
	return any;
}

static void con_pause(struct virtio_console *c, bool pause)
{
	if (!c->in_polled || c->in_paused == pause)
		return;
	c->in_paused = pause;
	virtio_dev_loop_mod(&c->dev, c->in_fd, pause ? 0 : EPOLLIN);
}

/* Read more input into pend; false at EOF or on a dead fd. */
static bool con_read(struct virtio_console *c)
{
	ssize_t n = read(c->in_fd, c->pend, sizeof(c->pend));

	if (n > 0) {
		c->pend_len = (size_t)n;
		c->pend_off = 0;
		return true;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static void con_stop_polling(struct virtio_console *c)
{
	if (c->in_polled)
		virtio_dev_loop_del(&c->dev, c->in_fd);
	c->in_polled = false;
}

static void con_input(void *opaque, int fd, uint32_t events)
{
	struct virtio_console *c = opaque;

	(void)fd;
	pthread_mutex_lock(&c->dev.lock);
	if (c->pend_len == 0 && !con_read(c))
		con_stop_polling(c);   /* EOF: the guest just gets no more input */
	if (virtio_dev_ready(&c->dev))
		con_deliver(c);
	if (c->pend_len > 0 || !virtio_dev_ready(&c->dev)) {
		/* Nowhere to put it yet. A hung-up fd cannot be paused (epoll keeps
		 * reporting HUP), so it leaves the loop and rx kicks read it instead. */
		if (events & (EPOLLHUP | EPOLLERR)) {
			con_stop_polling(c);
			c->in_hup = true;
		} else {
			con_pause(c, true);
		}
	}
	pthread_mutex_unlock(&c->dev.lock);
}

/* The guest posted rx buffers (or became ready): deliver and resume input. */
static void con_rx_kick(struct virtio_console *c)
{
	con_deliver(c);
	while (c->in_hup && c->pend_len == 0) {
		if (!con_read(c)) {
			c->in_hup = false;
			break;
		}
		if (!con_deliver(c))
			break;
	}
	if (c->pend_len == 0)
		con_pause(c, false);
}

static void con_tx(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;
	bool any = false;
	int r;

	while ((r = vq_pop(&d->vq[Q_TX], &d->mem, &c->elem)) > 0) {
		struct vq_elem *e = &c->elem;
		struct iovec *iov = e->iov;
		unsigned n = e->nout;

		while (c->out_fd >= 0 && n > 0) {
			ssize_t w = writev(c->out_fd, iov, (int)n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				virtio_dev_warn(d, "console output dropped: %s",
						w < 0 ? strerror(errno) : "short write");
				break;
			}
			while (n > 0 && (size_t)w >= iov->iov_len) {
				w -= (ssize_t)iov->iov_len;
				iov++;
				n--;
			}
			if (n > 0) {
				iov->iov_base = (char *)iov->iov_base + w;
				iov->iov_len -= (size_t)w;
			}
		}
		if (!vq_push(&d->vq[Q_TX], &d->mem, e->head, 0)) {
			virtio_dev_fail(d, "used ring outside guest memory");
			return;
		}
		any = true;
	}
	if (r < 0)
		virtio_dev_fail(d, "transmitq: %s", vq_strerror((enum vq_err)-r));
	if (any)
		virtio_dev_notify_used(d, Q_TX);
}

static void con_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = (struct virtio_console *)d;

	if (q == Q_TX) {
		con_tx(c);
		return;
	}
	con_rx_kick(c);
}

static void con_driver_ok(struct virtio_dev *d)
{
	con_rx_kick((struct virtio_console *)d);
}

static void con_destroy(struct virtio_dev *d)
{
	struct virtio_console *c = (struct virtio_console *)d;

	con_stop_polling(c);
}

static const struct virtio_dev_ops console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.notify = con_notify,
	.driver_ok = con_driver_ok,
	.destroy = con_destroy,
};

int virtio_console_new(int in_fd, int out_fd, struct virtio_dev **out, struct bh_error *err)
{
	struct virtio_console *c = calloc(1, sizeof(*c));

	if (!c)
		return bh_error_set(err, ENOMEM, "virtio-console");
	virtio_dev_init(&c->dev, &console_ops, 1ULL << VIRTIO_F_INDIRECT_DESC, CONSOLE_QUEUE_SIZE);
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	/* virtio_console_config: cols, rows, max_nr_ports, emerg_wr (unused: no features) */
	c->dev.config_size = 12;
	*out = &c->dev;
	return 0;
}

int virtio_console_add(struct vmm *vm, int in_fd, int out_fd, struct bh_error *err)
{
	struct virtio_dev *d = NULL;
	struct virtio_console *c;
	struct bh_error e = { 0 };
	int r = virtio_console_new(in_fd, out_fd, &d, err);

	if (r < 0)
		return r;
	r = virtio_dev_add(vm, d, err);
	if (r < 0)
		return r;
	c = (struct virtio_console *)d;
	if (in_fd < 0)
		return 0;
	/* Paused until DRIVER_OK. Files and /dev/null cannot be polled: no input then. */
	pthread_mutex_lock(&d->lock);
	if (virtio_dev_loop_add(d, in_fd, 0, con_input, c, &e) < 0) {
		/* EPERM: a file or /dev/null, the usual stdin of a daemon: expected. */
		if (e.code == EPERM)
			bh_log_debug("virtio-console: fd %d cannot be polled: no guest input", in_fd);
		else
			bh_log_warn("virtio-console: no guest input from fd %d: %s", in_fd, e.msg);
	} else
		c->in_polled = c->in_paused = true;
	pthread_mutex_unlock(&d->lock);
	return 0;
}
