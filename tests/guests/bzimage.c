/* Booted as a bzImage (the build wraps it with tools/mkbzimage): the VMM
 * must enter at load address + 0x200 and hand on the setup header. */
#include "lib/guest.h"

int guest_main(void *bp)
{
	const uint8_t *z = bp;
	extern char _start[];
	guest_printf("bzimage: entered at %p\n", (void *)_start);
	guest_check((uint64_t)_start == 0x100200, "entry is load address + 0x200");
	guest_check(z && !memcmp(z + 0x202, "HdrS", 4), "setup header copied to the zero page");
	uint16_t ver;
	memcpy(&ver, z + 0x206, 2);
	guest_checkf(ver == 0x020f, "boot protocol version 0x%x from the image", ver);
	guest_check(z[0x1f1] == 1, "setup_sects from the image");
	guest_check(z[BP_TYPE_OF_LOADER] == 0xff, "type_of_loader set by the VMM");
	guest_finish();
}
