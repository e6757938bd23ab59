/* Serial input: reads one line from the UART (polling LSR.DR) and prints
 * "echo: <line>"; tests --serial-input (host stdin -> guest RX). */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	char line[80];
	unsigned n = 0;
	serial_puts("echo: ready\n");
	while (n < sizeof(line) - 1) {
		while (!(inb(0x3fd) & 0x01))
			cpu_relax();
		char c = (char)inb(0x3f8);
		if (c == '\n' || c == '\r')
			break;
		line[n++] = c;
	}
	line[n] = 0;
	guest_printf("echo: %s\n", line);
	guest_finish();
}
