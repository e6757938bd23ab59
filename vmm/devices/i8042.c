/* Just enough of the i8042 keyboard controller (0x60/0x64) for a guest
 * without one: the status port reads 0xfd (output buffer full, input buffer
 * empty) so Linux's probe flush fails fast ("No controller found") and
 * reboot=k's wait loop never blocks; command 0xfe (pulse reset) ends the VM.
 * Also port 0x61 (NMI status / PIT channel 2 gate) for guests whose KVM
 * has no in-kernel speaker port: the refresh bit (4) toggles on every read. */
#include "vmm/machine.h"

#include <stdlib.h>

#define I8042_STATUS 0xfd
#define I8042_CMD_RESET 0xfe

struct i8042 {
	struct vmm *vm;
	_Atomic uint8_t port61;
};

static void fill(void *data, unsigned len, uint8_t v)
{
	uint8_t *d = data;
	for (unsigned i = 0; i < len; i++)
		d[i] = 0;
	d[0] = v;
}

/* 0x60: no keyboard, no data; writes (command parameters) are dropped. */
static void i8042_data_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	(void)opaque;
	(void)off;
	fill(data, len, 0);
}

static void i8042_status_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	(void)opaque;
	(void)off;
	fill(data, len, I8042_STATUS);
}

static void i8042_cmd_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct i8042 *k = opaque;
	(void)off;
	(void)len;
	if (*(const uint8_t *)data == I8042_CMD_RESET)
		vmm_request_exit(k->vm, VMM_EXIT_I8042_RESET);
}

static void port61_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct i8042 *k = opaque;
	(void)off;
	fill(data, len, atomic_fetch_xor(&k->port61, 0x10));
}

static void port61_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct i8042 *k = opaque;
	(void)off;
	(void)len;
	uint8_t v = *(const uint8_t *)data & 0x0f, old = atomic_load(&k->port61);
	while (!atomic_compare_exchange_weak(&k->port61, &old, (uint8_t)((old & 0xf0) | v)))
		;
}

static const struct vmm_io_ops i8042_data_ops = { .read = i8042_data_read, .write = NULL };
static const struct vmm_io_ops i8042_cmd_ops = { .read = i8042_status_read, .write = i8042_cmd_write };
static const struct vmm_io_ops port61_ops = { .read = port61_read, .write = port61_write };

int vmm_i8042_add(struct vmm *vm, struct bh_error *err)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return bh_error_set(err, ENOMEM, "i8042");
	k->vm = vm;
	if (vmm_on_destroy(vm, free, k, err) < 0) {
		free(k);
		return -err->code;
	}
	int r = vmm_pio_register(vm, 0x60, 1, &i8042_data_ops, k, err);
	if (r == 0)
		r = vmm_pio_register(vm, 0x64, 1, &i8042_cmd_ops, k, err);
	if (r == 0)
		r = vmm_pio_register(vm, 0x61, 1, &port61_ops, k, err);
	if (r < 0)
		return bh_error_wrap(err, "i8042");
	return 0;
}
