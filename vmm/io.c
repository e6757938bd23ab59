/* MMIO and port-I/O dispatch from vCPU exits to registered devices.
 * Ranges are registered before the vCPUs start and never change after, so
 * lookups need no lock. Unknown accesses read as all-ones and are logged
 * (rate-limited): a hostile guest cannot flood the log or stop the VMM. */
#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define UNKNOWN_LOG_MAX 16

static int io_add(struct vmm *vm, struct vmm_io_space *s, const char *kind, uint64_t base,
		  uint64_t len, const struct vmm_io_ops *ops, void *opaque, struct bh_error *err)
{
	if (vm->running)
		return bh_error_setx(err, EBUSY, "%s 0x%llx: devices must register before the guest starts",
				     kind, (unsigned long long)base);
	if (len == 0 || base + len < base || !ops)
		return bh_error_setx(err, EINVAL, "%s 0x%llx+0x%llx: bad range", kind,
				     (unsigned long long)base, (unsigned long long)len);
	for (size_t i = 0; i < s->n; i++)
		if (base < s->r[i].base + s->r[i].len && s->r[i].base < base + len)
			return bh_error_setx(err, EEXIST, "%s [0x%llx,0x%llx) overlaps [0x%llx,0x%llx)", kind,
					     (unsigned long long)base, (unsigned long long)(base + len),
					     (unsigned long long)s->r[i].base,
					     (unsigned long long)(s->r[i].base + s->r[i].len));
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct vmm_io_range *r = realloc(s->r, cap * sizeof(*r));
		if (!r)
			return bh_error_set(err, ENOMEM, "%s range", kind);
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n++] = (struct vmm_io_range){ base, len, ops, opaque };
	return 0;
}

int vmm_mmio_register(struct vmm *vm, uint64_t base, uint64_t len,
		      const struct vmm_io_ops *ops, void *opaque, struct bh_error *err)
{
	if (vmm_gpa(vm, base, 1) || vmm_gpa(vm, base + len - 1, 1))
		return bh_error_setx(err, EINVAL, "MMIO 0x%llx: inside guest RAM", (unsigned long long)base);
	return io_add(vm, &vm->mmio, "MMIO", base, len, ops, opaque, err);
}

int vmm_pio_register(struct vmm *vm, uint16_t base, uint16_t len,
		     const struct vmm_io_ops *ops, void *opaque, struct bh_error *err)
{
	if ((uint32_t)base + len > 0x10000)
		return bh_error_setx(err, EINVAL, "port 0x%x+%u: beyond port space", base, len);
	return io_add(vm, &vm->pio, "port", base, len, ops, opaque, err);
}

static const struct vmm_io_range *io_find(const struct vmm_io_space *s, uint64_t addr, unsigned len)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct vmm_io_range *r = &s->r[i];
		if (addr >= r->base && addr - r->base < r->len && addr - r->base + len <= r->len)
			return r;
	}
	return NULL;
}

static void io_call(const struct vmm_io_range *r, uint64_t off, uint8_t *data, unsigned len, bool write)
{
	if (write) {
		if (r->ops->write)
			r->ops->write(r->opaque, off, data, len);
	} else if (r->ops->read) {
		r->ops->read(r->opaque, off, data, len);
	} else {
		memset(data, 0xff, len);
	}
}

static void io_unknown(struct vmm *vm, const char *kind, uint64_t addr, const uint8_t *data,
		       unsigned len, bool write)
{
	unsigned n = atomic_fetch_add(&vm->unknown_io, 1);
	if (n < UNKNOWN_LOG_MAX) {
		uint64_t v = 0;
		if (write)
			memcpy(&v, data, len > 8 ? 8 : len);
		if (write)
			bh_log_warn("guest %s write of %u bytes (0x%llx) to unknown address 0x%llx: ignored",
				    kind, len, (unsigned long long)v, (unsigned long long)addr);
		else
			bh_log_warn("guest %s read of %u bytes from unknown address 0x%llx: all ones",
				    kind, len, (unsigned long long)addr);
	} else if (n == UNKNOWN_LOG_MAX) {
		bh_log_warn("guest: further unknown I/O accesses are not logged");
	}
}

void vmm_io_pio(struct vmm *vm, uint16_t port, uint8_t *data, unsigned len, bool write)
{
	const struct vmm_io_range *r = io_find(&vm->pio, port, len);
	if (r) {
		io_call(r, port - r->base, data, len, write);
		return;
	}
	if (!write)
		memset(data, 0xff, len);
	/* 0x80 and 0xed: the classic I/O delay ports, written all the time. */
	if (port == 0x80 || port == 0xed)
		return;
	io_unknown(vm, "port", port, data, len, write);
}

void vmm_io_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	const struct vmm_io_range *r = io_find(&vm->mmio, addr, len);
	if (r) {
		io_call(r, addr - r->base, data, len, write);
		return;
	}
	if (!write)
		memset(data, 0xff, len);
	io_unknown(vm, "MMIO", addr, data, len, write);
}

void vmm_io_free(struct vmm *vm)
{
	free(vm->mmio.r);
	free(vm->pio.r);
	vm->mmio = (struct vmm_io_space){ 0 };
	vm->pio = (struct vmm_io_space){ 0 };
}
