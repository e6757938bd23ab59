/* Prints what the VMM put in the zero page and CPUID, for the host test
 * to check: e820 map, command line, loader type, memory size; plus the
 * hypervisor CPUID leaves Linux needs for kvm-clock. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	const uint8_t *z = bp;
	if (!guest_check(z != NULL, "boot_params pointer in RSI"))
		guest_finish();
	guest_printf("cmdline: %s\n", guest_cmdline());
	guest_check(z[BP_TYPE_OF_LOADER] == 0xff, "type_of_loader is 0xff");
	guest_check(!memcmp(z + 0x202, "HdrS", 4), "setup header magic HdrS");
	struct guest_e820 e[16];
	int n = guest_e820(e, 16);
	uint64_t ram = 0;
	for (int i = 0; i < n && i < 16; i++) {
		guest_printf("e820: %lx-%lx type %u\n", e[i].addr, e[i].addr + e[i].size, e[i].type);
		if (e[i].type == 1)
			ram += e[i].size;
	}
	guest_printf("e820-ram-kib: %lu\n", ram >> 10);
	guest_check(n >= 3, "at least three e820 entries");
	guest_check(n >= 1 && e[0].addr == 0 && e[0].type == 1, "RAM at 0");
	bool himem = false;
	for (int i = 0; i < n && i < 16; i++)
		himem |= e[i].addr == 0x100000 && e[i].type == 1;
	guest_check(himem, "RAM from 1 MiB");

	uint32_t r[4];
	cpuid(1, 0, r);
	guest_check(r[2] & (1u << 31), "CPUID.1 ECX hypervisor bit");
	guest_printf("apic-id: %u logical: %u\n", r[1] >> 24, (r[1] >> 16) & 0xff);
	cpuid(0x40000000, 0, r);
	char sig[13];
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	guest_checkf(!strcmp(sig, "KVMKVMKVM"), "CPUID 0x40000000 signature \"%s\"", sig);
	cpuid(0x40000001, 0, r);
	guest_checkf(r[0] & ((1u << 3) | (1u << 0)), "KVM features 0x%x include a kvm-clock", r[0]);

	/* MP table: floating pointer in the EBDA with a valid checksum. */
	const uint8_t *mpf = (const uint8_t *)0x9fc00;
	uint8_t sum = 0;
	for (int i = 0; i < 16; i++)
		sum += mpf[i];
	guest_check(!memcmp(mpf, "_MP_", 4) && sum == 0, "MP floating pointer at 0x9fc00");
	uint32_t pcmp;
	memcpy(&pcmp, mpf + 4, 4);
	const uint8_t *t = (const uint8_t *)(uint64_t)pcmp;
	uint16_t len;
	memcpy(&len, t + 4, 2);
	sum = 0;
	for (unsigned i = 0; i < len; i++)
		sum += t[i];
	int cpus = 0;
	const uint8_t *p = t + 44;
	while (p < t + len) {
		if (*p == 0) {
			cpus++;
			p += 20;
		} else {
			p += 8;
		}
	}
	guest_check(!memcmp(t, "PCMP", 4) && sum == 0, "MP config table checksum");
	guest_printf("mp-cpus: %d\n", cpus);
	guest_finish();
}
