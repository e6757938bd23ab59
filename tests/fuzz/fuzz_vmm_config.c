/* bulkhead-vmm configuration: JSON config text, and (selected by the first
 * byte) the flag parsers for --disk, --vsock, --console, --jail and
 * --seccomp values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_config c;
	struct bh_error err = { 0 };
	vmm_config_init(&c);
	if (size > 0 && data[0] < 5) {
		char *s = malloc(size);
		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		int r = data[0] == 0 ? vmm_config_add_disk(&c, s, &err)
		      : data[0] == 1 ? vmm_config_set_vsock(&c, s, &err)
		      : data[0] == 2 ? vmm_config_set_out(&c.console, s, &err)
		      : data[0] == 3 ? vmm_config_set_jail(&c, s, &err)
				     : vmm_config_set_seccomp(&c, s, &err);
		if (r < 0 && !err.msg[0])
			abort();
		free(s);
	} else if (vmm_config_parse(&c, (const char *)data, size, "fuzz", &err) < 0) {
		if (!err.msg[0])
			abort();
	} else {
		vmm_config_check(&c, &err);
		if (c.ndrives > VMM_CONFIG_MAX_DRIVES)
			abort();
	}
	vmm_config_free(&c);
	return 0;
}
