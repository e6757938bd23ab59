/* A hostile guest: pokes ports and MMIO nobody owns, abuses the devices,
 * then says "hostile: survived" and powers off. The VMM must log, go on and
 * end normally (status 0). */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	guest_check(inb(0x1234) == 0xff, "unknown port reads all-ones");
	guest_check(inl(0xcfc) == 0xffffffff, "PCI config data port (no PCI) reads all-ones");
	for (unsigned p = 0x100; p < 0x400; p += 3)
		outb((uint16_t)p, 0xa5);
	outl(0xcf8, 0x80000000);
	/* rep outsb to an unknown port: one exit with count > 1. */
	static const char junk[512];
	__asm__ volatile("rep outsb" :: "S"(junk), "c"(sizeof(junk)), "d"(0x2e8) : "memory");
	guest_check(mmio_read32(0xe0000000) == 0xffffffff, "unknown MMIO reads all-ones");
	mmio_write32(0xe0000000, 0xdeadbeef);
	mmio_write64(0xd0000000, ~0ULL);           /* virtio window, no device */
	mmio_write8(0xfebfffff, 1);                /* just below the IOAPIC */
	guest_check(mmio_read64(0xd0000ff8) == ~0ULL, "empty virtio slot reads all-ones");
	/* Device abuse: RTC index beyond CMOS, i8042 commands, UART registers. */
	outb(0x70, 0xff);
	(void)inb(0x71);
	outb(0x71, 0x12);
	outb(0x64, 0xd1);
	outb(0x60, 0xff);
	outb(0x64, 0xaa);
	for (int i = 1; i < 8; i++)
		outb((uint16_t)(0x3f8 + i), 0xff);
	outb(0x3fb, 0x03);   /* back to 8N1, DLAB off */
	outb(0x3fc, 0x0b);   /* loopback off */
	outb(0x3f9, 0x00);
	outw(0x3f8, 0x4141);
	outl(0x3f8, 0x0a424242);
	serial_putc('\n');
	serial_puts("hostile: survived\n");
	guest_finish();
}
