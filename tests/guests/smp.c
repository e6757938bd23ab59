/* SMP: the BSP starts every AP the MP table/CPUID announce with
 * INIT-SIPI-SIPI through its LAPIC; each AP runs a real-mode trampoline at
 * 0x30000 up to 64-bit mode on the VMM's page tables, reports its APIC ID
 * and halts. Then the BSP halts too: all vCPUs halted with IF=0 -> status 0. */
#include "lib/guest.h"

#define TRAMP 0x30000
#define LAPIC 0xfee00000ULL
#define MAX_APS 8

volatile uint32_t ap_seen[MAX_APS + 1];
volatile uint32_t ap_count;
uint8_t ap_stacks[MAX_APS][4096] __attribute__((aligned(16)));
void ap_main(unsigned idx);

__asm__(
	".pushsection .text\n"
	".code16\n"
	".globl tramp_start, tramp_end\n"
	"tramp_start:\n"
	"	cli\n"
	"	mov %cs, %ax\n"
	"	mov %ax, %ds\n"
	"	lgdtl tramp_gdtr - tramp_start\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $(tramp32 - tramp_start + 0x30000)\n"
	".code32\n"
	"tramp32:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov %cr4, %eax\n"
	"	or $0x20, %eax\n"
	"	mov %eax, %cr4\n"
	"	mov $0x9000, %eax\n"          /* the VMM's PML4 */
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmp $0x18, $(tramp64 - tramp_start + 0x30000)\n"
	".code64\n"
	"tramp64:\n"
	"	movabs $ap_entry64, %rax\n"
	"	jmp *%rax\n"
	".balign 8\n"
	"tramp_gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00cf9a000000ffff\n"   /* 0x08: 32-bit code */
	"	.quad 0x00cf92000000ffff\n"   /* 0x10: data */
	"	.quad 0x00af9a000000ffff\n"   /* 0x18: 64-bit code */
	"tramp_gdtr:\n"
	"	.word 31\n"
	"	.long tramp_gdt - tramp_start + 0x30000\n"
	"tramp_end:\n"
	"ap_entry64:\n"
	"	mov $1, %eax\n"
	"	lock xadd %eax, ap_count(%rip)\n"
	"	mov %eax, %edi\n"
	"	and $7, %eax\n"
	"	inc %eax\n"
	"	shl $12, %rax\n"
	"	lea ap_stacks(%rip), %rsp\n"
	"	add %rax, %rsp\n"
	"	call ap_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	".popsection\n");

extern const char tramp_start[], tramp_end[];

void ap_main(unsigned idx)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (idx < MAX_APS)
		ap_seen[idx] = (r[1] >> 24) + 1;   /* APIC ID + 1 */
}

static void icr(uint32_t dest, uint32_t low)
{
	mmio_write32(LAPIC + 0x310, dest << 24);
	mmio_write32(LAPIC + 0x300, low);
	for (int i = 0; i < 1000000 && (mmio_read32(LAPIC + 0x300) & (1u << 12)); i++)
		cpu_relax();
}

static void delay(uint64_t cycles)
{
	uint64_t t = rdtsc();
	while (rdtsc() - t < cycles)
		cpu_relax();
}

int guest_main(void *bp)
{
	(void)bp;
	uint32_t r[4];
	cpuid(1, 0, r);
	unsigned n = (r[1] >> 16) & 0xff, me = r[1] >> 24;
	guest_printf("smp: bsp apic %u of %u cpus\n", me, n);
	if (n > MAX_APS + 1)
		n = MAX_APS + 1;
	memcpy((void *)TRAMP, tramp_start, (size_t)(tramp_end - tramp_start));
	mmio_write32(LAPIC + 0xf0, 0x1ff);   /* software-enable the LAPIC */
	for (unsigned id = 1; id < n; id++) {
		icr(id, 0x4500);                     /* INIT */
		delay(10000000);
		icr(id, 0x4600 | (TRAMP >> 12));     /* SIPI, twice as the spec says */
		delay(200000);
		icr(id, 0x4600 | (TRAMP >> 12));
	}
	for (uint64_t t = rdtsc(); ap_count < n - 1 && rdtsc() - t < 20000000000ULL;)
		cpu_relax();
	delay(1000000);
	guest_checkf(ap_count == n - 1, "%u of %u APs started", ap_count, n - 1);
	for (unsigned i = 0; i < ap_count && i < MAX_APS; i++)
		guest_printf("smp: ap %u alive\n", ap_seen[i] - 1);
	guest_finish();
}
