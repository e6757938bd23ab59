/* 16550A UART at 0x3f8, IRQ 4: transmit is immediate (so THR is always
 * empty and the THR-empty interrupt fires as on real hardware), receive
 * comes from an optional input fd through the event loop. Register reads
 * and writes come from vCPU threads, input from the loop thread: one lock. */
#include "vmm/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#define COM1_BASE 0x3f8
#define COM1_IRQ  4
#define RX_SIZE   64

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0
#define LCR_DLAB  0x80
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40

struct serial {
	struct vmm *vm;
	pthread_mutex_t lock;
	int out_fd, in_fd;
	bool in_paused;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_ipending;
	int irq_level;
	uint8_t rx[RX_SIZE];
	unsigned rx_head, rx_count;
};

static void serial_update_irq(struct serial *s)
{
	int level = ((s->ier & IER_RDI) && s->rx_count) || ((s->ier & IER_THRI) && s->thr_ipending);
	if (level != s->irq_level) {
		s->irq_level = level;
		vmm_irq_line(s->vm, COM1_IRQ, level);
	}
}

static uint8_t serial_iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & 1) ? IIR_FIFO : 0;
	if ((s->ier & IER_RDI) && s->rx_count)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_ipending) {
		s->thr_ipending = false;   /* reading IIR acknowledges THRE */
		return fifo | IIR_THRI;
	}
	return fifo | IIR_NONE;
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == RX_SIZE)
		return;
	s->rx[(s->rx_head + s->rx_count) % RX_SIZE] = c;
	s->rx_count++;
}

static void serial_out(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return;
	}
	if (s->out_fd < 0)
		return;
	/* A reader that stops reading blocks the guest (backpressure), but a
	 * stop request (its kick interrupts the write) must still get through. */
	for (;;) {
		ssize_t r = write(s->out_fd, &c, 1);
		if (r >= 0 || errno != EINTR || atomic_load(&s->vm->exit_reason) != VMM_EXIT_NONE)
			break;
	}
}

static void serial_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct serial *s = opaque;
	uint8_t v = 0;
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case 0:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % RX_SIZE;
			s->rx_count--;
			if (s->in_paused && s->rx_count < RX_SIZE / 2 &&
			    vmm_loop_mod(s->vm, s->in_fd, EPOLLIN) == 0)
				s->in_paused = false;
		}
		break;
	case 1: v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier; break;
	case 2: v = serial_iir(s); break;
	case 3: v = s->lcr; break;
	case 4: v = s->mcr; break;
	case 5: v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0); break;
	case 6:
		if (s->mcr & MCR_LOOP) {
			/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
			v = (uint8_t)(((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) |
				      ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
		} else {
			v = 0xb0;   /* DCD, DSR, CTS */
		}
		break;
	case 7: v = s->scr; break;
	default: break;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	uint8_t *d = data;
	d[0] = v;
	for (unsigned i = 1; i < len; i++)
		d[i] = 0;
}

static void serial_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct serial *s = opaque;
	uint8_t v = *(const uint8_t *)data;
	(void)len;
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case 0:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
		} else {
			serial_out(s, v);
			s->thr_ipending = true;   /* sent at once: THR empty again */
		}
		break;
	case 1:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
		} else {
			/* Enabling THRI with THR empty raises THRE at once. */
			if (!(s->ier & IER_THRI) && (v & IER_THRI))
				s->thr_ipending = true;
			s->ier = v & 0x0f;
		}
		break;
	case 2:
		s->fcr = v;
		if (v & 0x02) {   /* clear RX FIFO */
			s->rx_count = 0;
			s->rx_head = 0;
		}
		break;
	case 3: s->lcr = v; break;
	case 4: s->mcr = v & 0x1f; break;
	case 7: s->scr = v; break;
	default: break;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_input(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	uint8_t buf[RX_SIZE];
	(void)events;
	pthread_mutex_lock(&s->lock);
	size_t room = RX_SIZE - s->rx_count;
	ssize_t n = room ? read(fd, buf, room) : 0;
	if (n == 0 && room) {
		vmm_loop_del(s->vm, fd);   /* EOF */
	} else if (n > 0) {
		for (ssize_t i = 0; i < n; i++)
			rx_push(s, buf[i]);
	}
	if (s->rx_count == RX_SIZE && vmm_loop_mod(s->vm, fd, 0) == 0)
		s->in_paused = true;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct vmm_io_ops serial_ops = { .read = serial_read, .write = serial_write };

static void serial_free(void *opaque)
{
	struct serial *s = opaque;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int vmm_serial_add(struct vmm *vm, const struct vmm_serial_opts *o, struct bh_error *err)
{
	struct serial *s = calloc(1, sizeof(*s));
	if (!s)
		return bh_error_set(err, ENOMEM, "serial");
	s->vm = vm;
	s->out_fd = o->out_fd;
	s->in_fd = o->in_fd;
	s->mcr = 0x08;
	pthread_mutex_init(&s->lock, NULL);
	int r = vmm_on_destroy(vm, serial_free, s, err);
	if (r < 0) {
		serial_free(s);
		return r;
	}
	r = vmm_pio_register(vm, COM1_BASE, 8, &serial_ops, s, err);
	if (r == 0 && o->in_fd >= 0)
		r = vmm_loop_add(vm, o->in_fd, EPOLLIN, serial_input, s, err);
	if (r < 0) {
		bh_error_wrap(err, "serial");
		return r;
	}
	return 0;
}
