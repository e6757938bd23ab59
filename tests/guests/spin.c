/* Never ends by itself: prints a line, then spins with interrupts off. The
 * host must still stop it (SIGTERM, the api socket): status 4. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	serial_puts("spin: spinning\n");
	for (;;)
		cpu_relax();
}
