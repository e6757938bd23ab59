/* Tiny-guest runtime: serial output, TAP-ish reporting, boot_params access. */
#include "guest.h"

#define COM1 0x3f8

static int tap_n, tap_fail;

/* ---- freestanding libc bits ---- */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *o = d;
	const unsigned char *i = s;
	while (n--)
		*o++ = *i++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *o = d;
	const unsigned char *i = s;
	if (o < i)
		return memcpy(d, s, n);
	while (n--)
		o[n] = i[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

const char *strstr(const char *h, const char *n)
{
	size_t l = strlen(n);
	for (; *h; h++)
		if (!strncmp(h, n, l))
			return h;
	return l ? NULL : h;
}

uint64_t guest_strtou(const char *s, const char **end, int base)
{
	uint64_t v = 0;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = 10;
	}
	for (;; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (end)
		*end = s;
	return v;
}

/* ---- serial ---- */
void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	/* Wait for THR empty; bounded so a missing UART cannot hang us. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width)
{
	char buf[24];
	int n = 0;
	do {
		unsigned d = (unsigned)(v % base);
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	while (n < width && n < (int)sizeof(buf))
		buf[n++] = '0';
	while (n)
		serial_putc(buf[--n]);
}

void serial_put_hex(uint64_t v)
{
	serial_puts("0x");
	put_num(v, 16, 1);
}

void serial_put_dec(uint64_t v) { put_num(v, 10, 1); }

void guest_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		int width = 0, lng = 0;
		bool zero = false;
		if (*fmt == '0') {
			zero = true;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		if (!zero)
			width = 0;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			serial_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				serial_putc('-');
				v = -v;
			}
			put_num((uint64_t)v, 10, width);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width);
			break;
		case 'p':
			serial_put_hex((uint64_t)va_arg(ap, void *));
			break;
		case '%':
			serial_putc('%');
			break;
		default:
			serial_putc('?');
			break;
		}
	}
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
}

/* ---- TAP-ish reporting ---- */
bool guest_check(bool cond, const char *name)
{
	return guest_checkf(cond, "%s", name);
}

bool guest_checkf(bool cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!cond)
		tap_fail++;
	guest_printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
	return cond;
}

int guest_failures(void) { return tap_fail; }

void guest_finish(void)
{
	guest_printf("guest: done (%d failures)\n", tap_fail);
	guest_poweroff();
}

/* ---- ends ---- */
void guest_poweroff(void) { guest_halt(); }

void guest_reset_i8042(void)
{
	outb(0x64, 0xfe);
	guest_printf("guest: still running after i8042 reset\n");
	guest_halt();
}

void guest_triple_fault(void)
{
	/* An empty IDT: the next exception cannot be delivered -> shutdown.
	 * (ud2, not int3: kvm_pvm emulates int3 and fails instead.) */
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" :: "m"(idtr));
	guest_halt();
}

/* ---- exceptions ---- */
struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(16)));
extern const uint64_t guest_exc_stubs[32];

void guest_idt_init(void);
void guest_idt_init(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int i = 0; i < 32; i++) {
		uint64_t a = guest_exc_stubs[i];
		idt[i] = (struct idt_gate){ (uint16_t)a, cs, 0, 0x8e, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
		sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" :: "m"(idtr));
}

void guest_exception(uint64_t vec, uint64_t code, uint64_t rip);
void guest_exception(uint64_t vec, uint64_t code, uint64_t rip)
{
	guest_printf("not ok - guest exception %lu error %lx at rip %lx\n", vec, code, rip);
	guest_printf("guest: done (exception)\n");
}

/* ---- boot information ---- */
/* PVH's hvm_start_info (Xen public/arch-x86/hvm/start_info.h). */
#define PVH_MAGIC 0x336ec578u

static const uint8_t *pvh_info(void)
{
	const uint8_t *si = (const uint8_t *)guest_pvh_start_info;
	return si && *(const uint32_t *)si == PVH_MAGIC ? si : NULL;
}

const char *guest_cmdline(void)
{
	const uint8_t *bp = guest_boot_params, *si = pvh_info();
	uint64_t p = 0;
	if (bp)
		p = *(const uint32_t *)(bp + BP_CMD_LINE_PTR) |
		    (uint64_t)*(const uint32_t *)(bp + BP_EXT_CMD_LINE_PTR) << 32;
	else if (si)
		p = *(const uint64_t *)(si + 24);
	return p ? (const char *)p : "";
}

int guest_e820(struct guest_e820 *out, int max)
{
	const uint8_t *bp = guest_boot_params, *si = pvh_info();
	if (!bp && si) {
		const uint8_t *map = (const uint8_t *)*(const uint64_t *)(si + 40);
		int n = (int)*(const uint32_t *)(si + 48);
		for (int i = 0; i < n && i < max; i++) {
			memcpy(&out[i].addr, map + 24 * i, 8);
			memcpy(&out[i].size, map + 24 * i + 8, 8);
			memcpy(&out[i].type, map + 24 * i + 16, 4);
		}
		return n;
	}
	if (!bp)
		return 0;
	int n = bp[BP_E820_ENTRIES];
	for (int i = 0; i < n && i < max; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + 20 * i;
		memcpy(&out[i].addr, e, 8);
		memcpy(&out[i].size, e + 8, 8);
		memcpy(&out[i].type, e + 16, 4);
	}
	return n;
}

bool guest_virtio_mmio(int n, uint64_t *base, uint64_t *size, unsigned *irq)
{
	static const char key[] = "virtio_mmio.device=";
	const char *s = guest_cmdline();
	while ((s = strstr(s, key))) {
		s += sizeof(key) - 1;
		if (n--)
			continue;
		const char *e;
		uint64_t sz = guest_strtou(s, &e, 0);
		if (*e == 'K' || *e == 'k')
			sz <<= 10, e++;
		else if (*e == 'M' || *e == 'm')
			sz <<= 20, e++;
		if (*e++ != '@')
			return false;
		uint64_t b = guest_strtou(e, &e, 0);
		if (*e++ != ':')
			return false;
		*base = b;
		*size = sz;
		*irq = (unsigned)guest_strtou(e, NULL, 10);
		return true;
	}
	return false;
}
