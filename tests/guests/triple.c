/* Triple fault (an exception with an empty IDT), what Linux's reboot=t ends
 * in: the VMM must end with the shutdown status (2). */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	serial_puts("triple: faulting now\n");
	guest_triple_fault();
}
