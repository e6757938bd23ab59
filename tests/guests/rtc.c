/* Reads the CMOS RTC in BCD (the default) and in binary mode and prints
 * "rtc: YYYY-MM-DD HH:MM:SS"; the host test compares the date with its own
 * UTC clock. Also checks status registers and the port 0x61 refresh bit. */
#include "lib/guest.h"

static uint8_t cmos(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static unsigned bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xf); }

int guest_main(void *bp)
{
	(void)bp;
	guest_check(!(cmos(0x0a) & 0x80), "status A: no update in progress");
	guest_check(cmos(0x0d) == 0x80, "status D: valid RAM and time");
	uint8_t b = cmos(0x0b);
	guest_checkf((b & 0x06) == 0x02, "status B 0x%x: BCD, 24-hour", b);

	unsigned y = bcd(cmos(0x32)) * 100 + bcd(cmos(0x09)), mo = bcd(cmos(0x08)), d = bcd(cmos(0x07));
	unsigned h = bcd(cmos(0x04)), mi = bcd(cmos(0x02)), s = bcd(cmos(0x00));
	guest_printf("rtc: %04u-%02u-%02u %02u:%02u:%02u\n", y, mo, d, h, mi, s);
	guest_check(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60,
		    "BCD date and time in range");

	/* Binary mode: same date. */
	outb(0x70, 0x0b);
	outb(0x71, b | 0x04);
	unsigned y2 = cmos(0x32) * 100u + cmos(0x09), mo2 = cmos(0x08), d2 = cmos(0x07);
	guest_printf("rtc-binary: %04u-%02u-%02u\n", y2, mo2, d2);
	guest_check(y2 == y && mo2 == mo && (d2 == d || d2 == d + 1 || d2 == 1), "binary mode agrees with BCD");
	/* 12-hour mode: hour 1..12 with bit 7 for PM. */
	outb(0x70, 0x0b);
	outb(0x71, 0x04);
	uint8_t h12 = cmos(0x04);
	guest_checkf((h12 & 0x7f) >= 1 && (h12 & 0x7f) <= 12, "12-hour mode hour 0x%x", h12);
	/* CMOS RAM keeps what is written. */
	outb(0x70, 0x40);
	outb(0x71, 0x5a);
	guest_check(cmos(0x40) == 0x5a, "CMOS RAM byte written and read back");

	/* Port 0x61: the refresh bit (4) toggles; Linux's delay loops use it. */
	uint8_t first = inb(0x61) & 0x10;
	bool toggled = false;
	for (int i = 0; i < 100000 && !toggled; i++)
		toggled = (inb(0x61) & 0x10) != first;
	guest_check(toggled, "port 0x61 refresh bit toggles");
	guest_finish();
}
