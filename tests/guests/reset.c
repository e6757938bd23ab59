/* Pulses reset through the i8042 (what Linux's reboot=k does): the VMM
 * must end with the i8042-reset status (3). */
#include "lib/guest.h"

int guest_main(void *bp)
{
	(void)bp;
	guest_printf("reset: i8042 status 0x%x\n", inb(0x64));
	guest_check((inb(0x64) & 0x02) == 0, "i8042 input buffer empty (reboot=k does not wait)");
	guest_reset_i8042();
}
