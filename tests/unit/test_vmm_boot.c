/* bulkhead-vmm boot code and config without KVM: the kernel loaders on a
 * plain buffer (ELF and bzImage, good and bad), initrd placement, e820, the
 * zero page, the MP table, and config/flag parsing errors. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/boot/boot.h"
#include "vmm/config.h"

#define MEM (8u << 20)

static uint8_t *ram;
static struct boot_mem mem;

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, MEM);
	mem = (struct boot_mem){ .ram = ram, .size = MEM, .total = MEM };
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

/* An ELF64 x86-64 executable with one PT_LOAD of 16 file bytes (0xab) and
 * 4096 memory bytes at paddr. */
static size_t mk_elf(uint8_t *buf, uint64_t paddr, uint16_t machine, uint8_t cls)
{
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = machine;
	eh.e_entry = paddr + 8;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x100, .p_paddr = paddr, .p_vaddr = paddr,
			  .p_filesz = 16, .p_memsz = 4096 };
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memset(buf + 0x100, 0xab, 16);
	return 0x110;
}

static void test_elf_ok(void **state)
{
	(void)state;
	uint8_t img[0x200] = { 0 };
	size_t n = mk_elf(img, 0x200000, EM_X86_64, ELFCLASS64);
	struct boot_kernel k;
	struct bh_error err = { 0 };
	memset(ram + 0x200000, 0x55, 8192);
	assert_int_equal(boot_load_kernel(&mem, img, n, "k", &k, &err), 0);
	assert_int_equal(k.entry, 0x200008);
	assert_int_equal(k.start, 0x200000);
	assert_int_equal(k.end, 0x201000);
	assert_int_equal(ram[0x200000], 0xab);
	assert_int_equal(ram[0x20000f], 0xab);
	assert_int_equal(ram[0x200010], 0);        /* bss zeroed */
	assert_int_equal(ram[0x200fff], 0);
	assert_int_equal(ram[0x201000], 0x55);     /* nothing beyond memsz */
}

static void expect_fail(const uint8_t *img, size_t n, const char *want)
{
	struct boot_kernel k;
	struct bh_error err = { 0 };
	assert_true(boot_load_kernel(&mem, img, n, "/x", &k, &err) < 0);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_elf_bad(void **state)
{
	(void)state;
	uint8_t img[0x200] = { 0 };
	size_t n = mk_elf(img, 0x10000000, EM_X86_64, ELFCLASS64);
	expect_fail(img, n, "kernel /x: ELF segment 0 [0x10000000,0x10001000) lies beyond guest memory (8 MiB)");
	n = mk_elf(img, 0x80000, EM_X86_64, ELFCLASS64);
	expect_fail(img, n, "overlaps the boot area below 1 MiB");
	n = mk_elf(img, 0x200000, EM_AARCH64, ELFCLASS64);
	expect_fail(img, n, "ELF for aarch64 (machine 183); need x86-64");
	n = mk_elf(img, 0x200000, EM_386, ELFCLASS32);
	expect_fail(img, n, "32-bit ELF for i386");
	n = mk_elf(img, 0x200000, EM_X86_64, ELFCLASS64);
	expect_fail(img, 0x108, "lies beyond the end of the file");
	expect_fail(img, 40, "truncated ELF header");
	/* Overflowing segment: paddr + memsz wraps. */
	Elf64_Phdr ph;
	memcpy(&ph, img + sizeof(Elf64_Ehdr), sizeof(ph));
	ph.p_paddr = UINT64_MAX - 100;
	memcpy(img + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	expect_fail(img, n, "lies beyond guest memory");
	uint8_t junk[4096];
	memset(junk, 0x5a, sizeof(junk));
	expect_fail(junk, sizeof(junk), "not a kernel image");
	expect_fail(junk, 10, "too short");
}

static size_t mk_bz(uint8_t *img, uint16_t version, uint16_t xlf)
{
	memset(img, 0, 0x1000);
	img[0x1f1] = 1;
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	img[0x201] = 0x66;
	memcpy(img + 0x202, "HdrS", 4);
	memcpy(img + 0x206, &version, 2);
	img[0x211] = 1;
	uint32_t max = 0x7fffffff, cl = 255, init = 0x3000;
	memcpy(img + 0x22c, &max, 4);
	memcpy(img + 0x236, &xlf, 2);
	memcpy(img + 0x238, &cl, 4);
	uint64_t pref = 0x400000;
	memcpy(img + 0x258, &pref, 8);
	memcpy(img + 0x260, &init, 4);
	memset(img + 0x400, 0xcc, 0x800);
	return 0xc00;
}

static void test_bzimage(void **state)
{
	(void)state;
	uint8_t img[0x1000];
	struct boot_kernel k;
	struct bh_error err = { 0 };
	size_t n = mk_bz(img, 0x020f, 1);
	assert_int_equal(boot_load_kernel(&mem, img, n, "bz", &k, &err), 0);
	assert_true(k.bzimage);
	assert_int_equal(k.start, 0x400000);            /* pref_address */
	assert_int_equal(k.entry, 0x400200);
	assert_int_equal(k.end, 0x403000);              /* init_size */
	assert_int_equal(ram[0x400000], 0xcc);
	assert_int_equal(k.cmdline_size, 255);
	n = mk_bz(img, 0x020b, 1);
	expect_fail(img, n, "boot protocol 2.11 is too old");
	n = mk_bz(img, 0x020f, 0);
	expect_fail(img, n, "XLF_KERNEL_64");
	n = mk_bz(img, 0x020f, 1);
	expect_fail(img, 0x500, "bzImage truncated");
	/* Command line longer than the kernel's cmdline_size. */
	n = mk_bz(img, 0x020f, 1);
	assert_int_equal(boot_load_kernel(&mem, img, n, "bz", &k, &err), 0);
	char line[300];
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	assert_int_equal(boot_write_params(&mem, &k, line, 0, 0, &err), -E2BIG);
}

static void test_initrd_params(void **state)
{
	(void)state;
	uint8_t img[0x200] = { 0 };
	size_t n = mk_elf(img, 0x100000, EM_X86_64, ELFCLASS64);
	struct boot_kernel k;
	struct bh_error err = { 0 };
	assert_int_equal(boot_load_kernel(&mem, img, n, "k", &k, &err), 0);
	static uint8_t rd[10000];
	memset(rd, 0x77, sizeof(rd));
	uint64_t a = 0;
	assert_int_equal(boot_load_initrd(&mem, &k, rd, sizeof(rd), "rd", &a, &err), 0);
	assert_int_equal(a % 4096, 0);
	assert_true(a >= k.end && a + sizeof(rd) <= MEM && a + sizeof(rd) > MEM - 4096);
	assert_int_equal(ram[a + sizeof(rd) - 1], 0x77);
	assert_true(boot_load_initrd(&mem, &k, rd, MEM, "big", &a, &err) < 0);
	assert_non_null(strstr(err.msg, "initrd big:"));

	assert_int_equal(boot_write_params(&mem, &k, "console=ttyS0", 0x600000, 10000, &err), 0);
	const uint8_t *bp = ram + BOOT_ZERO_PAGE;
	assert_int_equal(bp[0x210], 0xff);
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	uint32_t v;
	memcpy(&v, bp + 0x228, 4);
	assert_int_equal(v, BOOT_CMDLINE_ADDR);
	assert_string_equal((const char *)ram + BOOT_CMDLINE_ADDR, "console=ttyS0");
	memcpy(&v, bp + 0x218, 4);
	assert_int_equal(v, 0x600000);
	assert_int_equal(bp[0x1e8], 3);
	uint64_t addr, size;
	memcpy(&addr, bp + 0x2d0 + 40, 8);
	memcpy(&size, bp + 0x2d0 + 48, 8);
	assert_int_equal(addr, 0x100000);
	assert_int_equal(size, MEM - 0x100000);
}

static void test_e820_split(void **state)
{
	(void)state;
	struct boot_mem big = { .ram = ram, .size = 0xc0000000ULL, .total = 6ULL << 30 };
	struct boot_e820 e[8];
	assert_int_equal(boot_e820_table(&big, e, 8), 4);
	assert_int_equal(e[2].addr, 0x100000);
	assert_int_equal(e[2].addr + e[2].size, 0xc0000000ULL);
	assert_int_equal(e[3].addr, 1ULL << 32);
	assert_int_equal(e[3].size, (6ULL << 30) - 0xc0000000ULL);
	assert_int_equal(e[1].type, 2);
}

static void test_mptable(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	for (unsigned cpus = 1; cpus <= 32; cpus += 31) {
		assert_int_equal(boot_write_mptable(&mem, cpus, &err), 0);
		const uint8_t *f = ram + BOOT_EBDA_START;
		uint8_t sum = 0;
		for (int i = 0; i < 16; i++)
			sum += f[i];
		assert_int_equal(sum, 0);
		assert_memory_equal(f, "_MP_", 4);
		uint32_t t;
		memcpy(&t, f + 4, 4);
		uint16_t len;
		memcpy(&len, ram + t + 4, 2);
		assert_true(t + len <= 0xa0000);
		sum = 0;
		for (unsigned i = 0; i < len; i++)
			sum += ram[t + i];
		assert_int_equal(sum, 0);
		uint16_t count;
		memcpy(&count, ram + t + 34, 2);
		assert_int_equal(count, cpus + 1 + 1 + 24 + 2);
	}
	assert_true(boot_write_mptable(&mem, 200, &err) < 0);
}

static void test_config(void **state)
{
	(void)state;
	struct vmm_config c;
	struct bh_error err = { 0 };
	static const char good[] =
		"{\"kernel\": \"/k\", \"memory_mib\": 256, \"vcpus\": 2, \"drives\": [{\"path\": \"/d\", "
		"\"readonly\": true, \"serial\": \"s\"}], \"vsock\": {\"cid\": 3, \"uds_path\": \"/v\"}, "
		"\"console\": \"file:/c\", \"serial\": {\"mode\": \"off\"}, \"rng\": true}";
	vmm_config_init(&c);
	assert_int_equal(vmm_config_parse(&c, good, strlen(good), "g", &err), 0);
	assert_int_equal(vmm_config_check(&c, &err), 0);
	assert_int_equal(c.memory_mib, 256);
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.ndrives, 1);
	assert_true(c.drives[0].readonly);
	assert_string_equal(c.drives[0].serial, "s");
	assert_true(c.vsock);
	assert_int_equal(c.vsock_cid, 3);
	assert_int_equal(c.console.mode, VMM_OUT_FILE);
	assert_string_equal(c.console.path, "/c");
	assert_int_equal(c.serial.mode, VMM_OUT_OFF);
	assert_true(c.rng);
	assert_int_equal(vmm_config_add_disk(&c, "/e,ro,serial=x", &err), 0);
	assert_int_equal(c.ndrives, 2);
	vmm_config_free(&c);

	static const struct { const char *json, *want; } bad[] = {
		{ "{\"drives\": [{\"path\": 7}]}", "config b: drives[0].path: expected a string" },
		{ "{\"drives\": [{\"readonly\": true}]}", "drives[0].path: required" },
		{ "{\"vcpus\": \"2\"}", "vcpus: expected an integer" },
		{ "{\"memory_mib\": 1}", "memory_mib: 1 is out of range" },
		{ "{\"vsock\": {\"uds_path\": \"/v\"}}", "vsock.cid: required" },
		{ "{\"serial\": {\"mode\": \"tty\"}}", "serial.mode: \"tty\" is not one of" },
		{ "{\"rng\": 1}", "rng: expected true or false" },
		{ "{\"kernel\": \"a\", \"kernel\": \"b\"}", "duplicate" },
		{ "[1]", "expected a JSON object" },
		{ "{\"extra\": 1}", "extra: unknown field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vmm_config_init(&c);
		bh_error_clear(&err);
		assert_true(vmm_config_parse(&c, bad[i].json, strlen(bad[i].json), "b", &err) < 0);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].want);
		vmm_config_free(&c);
	}
	vmm_config_init(&c);
	assert_true(vmm_config_set_vsock(&c, "2,/x", &err) < 0);
	assert_true(vmm_config_add_disk(&c, "/a,bogus", &err) < 0);
	assert_non_null(strstr(err.msg, "bogus"));
	assert_true(vmm_config_check(&c, &err) < 0);   /* no kernel */
	vmm_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_ok),
		cmocka_unit_test(test_elf_bad),
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_initrd_params),
		cmocka_unit_test(test_e820_split),
		cmocka_unit_test(test_mptable),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
