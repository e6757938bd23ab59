/* Tiny-guest runtime: freestanding helpers for test guests that the VMM
 * boots with the Linux x86-64 boot protocol (64-bit entry, RSI = boot_params,
 * identity-mapped low 4 GiB, no SSE).  Report results over the serial port
 * as TAP-ish lines that the host-side test greps:
 *     ok 1 - what
 *     not ok 2 - what: detail
 * then end with guest_poweroff() (halt with IF=0 -> VMM exit status 0). */
#ifndef BH_GUEST_H
#define BH_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Provided by each guest. bp: Linux boot_params (NULL on the PVH path). */
int guest_main(void *bp);

/* ---- port and memory-mapped I/O ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint8_t mmio_read8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t mmio_read64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_write8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- serial (16550 at 0x3f8, polled) and formatted output ---- */
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(uint64_t v);     /* "0x..." */
void serial_put_dec(uint64_t v);
/* Minimal printf: %s %c %d %u %x %lx %lu %ld %llx %p %%. */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_vprintf(const char *fmt, va_list ap);

/* ---- TAP-ish results ---- */
/* Prints "ok N - name" or "not ok N - name"; returns cond. */
bool guest_check(bool cond, const char *name);
/* Like guest_check with a printf-style detail after "name: ". */
bool guest_checkf(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int guest_failures(void);
/* Prints "guest: done (F failures)" and powers off. */
__attribute__((noreturn)) void guest_finish(void);

/* ---- ends ---- */
__attribute__((noreturn)) void guest_halt(void);      /* cli; hlt forever: VMM exit "halt" */
__attribute__((noreturn)) void guest_poweroff(void);  /* same as guest_halt */
__attribute__((noreturn)) void guest_reset_i8042(void);  /* 0xfe to port 0x64 */
__attribute__((noreturn)) void guest_triple_fault(void);

/* ---- boot information ---- */
extern void *guest_boot_params;      /* RSI at entry; NULL on the PVH path */
extern uint64_t guest_pvh_start_info;  /* EBX on the PVH path, else 0 */
/* Kernel command line from boot_params or PVH start_info ("" when none). */
const char *guest_cmdline(void);
/* e820 entries from boot_params (or the PVH memory map). Returns the
 * count; fills up to max. */
struct guest_e820 { uint64_t addr, size; uint32_t type; };
int guest_e820(struct guest_e820 *out, int max);
/* The n-th "virtio_mmio.device=<size>@<base>:<irq>" on the cmdline. */
bool guest_virtio_mmio(int n, uint64_t *base, uint64_t *size, unsigned *irq);

/* ---- freestanding libc bits (gcc may emit calls to these) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *h, const char *n);
uint64_t guest_strtou(const char *s, const char **end, int base);

/* Zero-page offsets (Linux Documentation/arch/x86/zero-page.rst). */
#define BP_E820_ENTRIES   0x1e8
#define BP_HDR            0x1f1
#define BP_TYPE_OF_LOADER 0x210
#define BP_RAMDISK_IMAGE  0x218
#define BP_RAMDISK_SIZE   0x21c
#define BP_CMD_LINE_PTR   0x228
#define BP_CMDLINE_SIZE   0x238
#define BP_E820_TABLE     0x2d0
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8

#endif
