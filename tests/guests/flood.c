/* Floods the serial port (79 KB, more than a pipe holds), then powers off: with a reader that does
 * not read, the VMM blocks on output but must still stop on SIGTERM. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	for (int i = 0; i < 1200; i++)
		serial_puts("flood flood flood flood flood flood flood flood flood flood flood\n");
	guest_finish();
}
