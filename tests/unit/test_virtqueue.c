/* The split-virtqueue walker (vmm/devices/virtqueue.c) against a fake guest
 * memory: well-formed chains, every kind of broken chain, index wrap-around,
 * the used ring, and the iovec helpers. Linked with virtqueue.o by
 * vmm/devices/module.mk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/virtqueue.h"

#define MEM 0x8000
#define QN 8
#define DESC 0x0
#define AVAIL 0x1000
#define USED 0x2000

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint8_t mem[MEM] __attribute__((aligned(16)));

static void *fake_map(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa > MEM || len > MEM - gpa)
		return NULL;
	return mem + gpa;
}

static const struct vq_mem vm = { .map = fake_map };

static struct desc *D(unsigned i) { return (struct desc *)(mem + DESC) + i; }
static uint16_t *avail(void) { return (uint16_t *)(mem + AVAIL); }
static uint16_t *used16(void) { return (uint16_t *)(mem + USED); }

static void set(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	*D(i) = (struct desc){ addr, len, flags, next };
}

static void publish(struct virtq *q, uint16_t head)
{
	uint16_t idx = avail()[1];
	avail()[2 + idx % q->num] = head;
	avail()[1] = (uint16_t)(idx + 1);
}

static int setup(void **state)
{
	struct virtq *q = calloc(1, sizeof(*q));
	(void)state;
	memset(mem, 0, sizeof(mem));
	q->num = QN;
	q->desc = DESC;
	q->avail = AVAIL;
	q->used = USED;
	q->ready = true;
	*state = q;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static struct vq_elem e;

static void test_validate(void **state)
{
	struct virtq q = *(struct virtq *)*state;

	assert_int_equal(vq_validate(&q, &vm), VQ_OK);
	q.num = 6;
	assert_int_equal(vq_validate(&q, &vm), VQ_ERR_RING);   /* not a power of two */
	q.num = 512;
	assert_int_equal(vq_validate(&q, &vm), VQ_ERR_RING);   /* above the maximum */
	q.num = QN;
	q.desc = 8;
	assert_int_equal(vq_validate(&q, &vm), VQ_ERR_RING);   /* misaligned */
	q.desc = DESC;
	q.used = MEM - 8;
	assert_int_equal(vq_validate(&q, &vm), VQ_ERR_RING);   /* runs off memory */
}

static void test_empty_and_chain(void **state)
{
	struct virtq *q = *state;

	assert_int_equal(vq_pop(q, &vm, &e), 0);
	assert_false(vq_has_avail(q, &vm));
	set(0, 0x3000, 16, VIRTQ_DESC_F_NEXT, 5);
	set(5, 0x3100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set(2, 0x3400, 1, VIRTQ_DESC_F_WRITE, 0);
	publish(q, 0);
	assert_true(vq_has_avail(q, &vm));
	assert_int_equal(vq_pop(q, &vm, &e), 1);
	assert_int_equal(e.head, 0);
	assert_int_equal(e.nout, 1);
	assert_int_equal(e.nin, 2);
	assert_int_equal(e.out_len, 16);
	assert_int_equal(e.in_len, 513);
	assert_ptr_equal(e.iov[1].iov_base, mem + 0x3100);
	assert_int_equal(vq_pop(q, &vm, &e), 0);

	assert_true(vq_push(q, &vm, 0, 513));
	assert_int_equal(used16()[1], 1);
	assert_int_equal(*(uint32_t *)(mem + USED + 4), 0);
	assert_int_equal(*(uint32_t *)(mem + USED + 8), 513);
}

static void expect_err(struct virtq *q, enum vq_err want)
{
	assert_int_equal(vq_pop(q, &vm, &e), -(int)want);
}

static void test_loop(void **state)
{
	set(0, 0x3000, 16, VIRTQ_DESC_F_NEXT, 1);
	set(1, 0x3000, 16, VIRTQ_DESC_F_NEXT, 0);
	publish(*state, 0);
	expect_err(*state, VQ_ERR_LOOP);
}

static void test_self_loop(void **state)
{
	set(3, 0x3000, 16, VIRTQ_DESC_F_NEXT, 3);
	publish(*state, 3);
	expect_err(*state, VQ_ERR_LOOP);
}

static void test_next_range(void **state)
{
	set(0, 0x3000, 16, VIRTQ_DESC_F_NEXT, QN);
	publish(*state, 0);
	expect_err(*state, VQ_ERR_NEXT);
}

static void test_head_range(void **state)
{
	publish(*state, QN + 3);
	expect_err(*state, VQ_ERR_HEAD);
}

static void test_addr(void **state)
{
	set(0, MEM - 8, 16, 0, 0);
	publish(*state, 0);
	expect_err(*state, VQ_ERR_ADDR);
	set(1, UINT64_MAX - 7, 16, 0, 0);   /* wraps around */
	publish(*state, 1);
	expect_err(*state, VQ_ERR_ADDR);
	set(2, 0x3000, UINT32_MAX, 0, 0);
	publish(*state, 2);
	expect_err(*state, VQ_ERR_ADDR);
}

static void test_flags_order(void **state)
{
	set(0, 0x3000, 16, 0x80, 0);
	publish(*state, 0);
	expect_err(*state, VQ_ERR_FLAGS);
	set(1, 0x3000, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set(2, 0x3100, 16, 0, 0);
	publish(*state, 1);
	expect_err(*state, VQ_ERR_ORDER);
}

static void test_avail_jump(void **state)
{
	avail()[1] = QN + 1;
	expect_err(*state, VQ_ERR_AVAIL_IDX);
}

static void test_indirect(void **state)
{
	struct virtq *q = *state;
	struct desc *t = (struct desc *)(mem + 0x4000);

	t[0] = (struct desc){ 0x3000, 16, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct desc){ 0x3100, 100, VIRTQ_DESC_F_WRITE, 0 };
	set(0, 0x4000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(q, 0);
	expect_err(q, VQ_ERR_FLAGS);   /* not negotiated */

	q->indirect = true;
	publish(q, 0);
	assert_int_equal(vq_pop(q, &vm, &e), 1);
	assert_int_equal(e.nout, 1);
	assert_int_equal(e.in_len, 100);

	set(1, 0x4000, 33, VIRTQ_DESC_F_INDIRECT, 0);
	publish(q, 1);
	expect_err(q, VQ_ERR_INDIRECT);   /* not a whole number of descriptors */
	set(2, 0x4000, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 3);
	publish(q, 2);
	expect_err(q, VQ_ERR_FLAGS);      /* INDIRECT with NEXT */
	t[1] = (struct desc){ 0x4000, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	publish(q, 0);
	expect_err(q, VQ_ERR_FLAGS);      /* nested */
	t[1] = (struct desc){ 0x3100, 100, VIRTQ_DESC_F_NEXT, 0 };
	publish(q, 0);
	expect_err(q, VQ_ERR_LOOP);       /* loop inside the table */
	t[1] = (struct desc){ 0x3100, 100, VIRTQ_DESC_F_NEXT, 2 };
	publish(q, 0);
	expect_err(q, VQ_ERR_NEXT);       /* next beyond the table */
	set(4, MEM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(q, 4);
	expect_err(q, VQ_ERR_INDIRECT);   /* table outside memory */
}

static void test_wrap(void **state)
{
	struct virtq *q = *state;

	/* 16-bit indices wrap: 65535 -> 0 is one entry, not a jump. */
	q->last_avail = 65535;
	q->used_idx = 65535;
	avail()[1] = 65535;
	set(0, 0x3000, 8, VIRTQ_DESC_F_WRITE, 0);
	publish(q, 0);
	assert_int_equal(avail()[1], 0);
	assert_int_equal(vq_pop(q, &vm, &e), 1);
	assert_true(vq_push(q, &vm, e.head, 8));
	assert_int_equal(used16()[1], 0);
	assert_int_equal(*(uint32_t *)(mem + USED + 4 + 8 * (65535 % QN) + 4), 8);
}

static void test_unpop(void **state)
{
	struct virtq *q = *state;

	set(0, 0x3000, 8, VIRTQ_DESC_F_WRITE, 0);
	publish(q, 0);
	assert_int_equal(vq_pop(q, &vm, &e), 1);
	vq_unpop(q);
	assert_int_equal(vq_pop(q, &vm, &e), 1);
	assert_int_equal(vq_pop(q, &vm, &e), 0);
}

static void test_no_interrupt(void **state)
{
	assert_true(vq_want_irq(*state, &vm));
	avail()[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	assert_false(vq_want_irq(*state, &vm));
}

static void test_iov(void **state)
{
	char a[4] = "abcd", b[3] = "efg", out[8] = { 0 };
	struct iovec iov[2] = { { a, 4 }, { b, 3 } }, sl[2];
	(void)state;

	assert_int_equal(vq_iov_to_buf(iov, 2, 2, out, 8), 5);
	assert_memory_equal(out, "cdefg", 5);
	assert_int_equal(vq_buf_to_iov(iov, 2, 3, "XYZ", 3), 3);
	assert_memory_equal(a, "abcX", 4);
	assert_memory_equal(b, "YZg", 3);
	assert_int_equal(vq_iov_slice(iov, 2, 3, 2, sl, 2), 2);
	assert_ptr_equal(sl[0].iov_base, a + 3);
	assert_int_equal(sl[0].iov_len, 1);
	assert_int_equal(sl[1].iov_len, 1);
	assert_int_equal(vq_iov_slice(iov, 2, 7, 5, sl, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_avail_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt, setup, teardown),
		cmocka_unit_test(test_iov),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
