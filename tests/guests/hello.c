/* Says hello over the serial port and powers off (halt with IF=0): the
 * VMM must print the line and exit by itself with status 0. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	serial_puts("hello from bulkhead guest\n");
	guest_poweroff();
}
