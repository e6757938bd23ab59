/* VM mode's rewrite of a bundle config (host/vm_oci_translate.c) on
 * arbitrary JSON: never a crash, and on success every copy names a host
 * source and a container destination, and no bind mount is left. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/vm_oci_translate.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *cfg = json_loadb((const char *)data, size, 0, NULL);
	json_t *copies = NULL;
	struct bh_error err;
	if (!cfg)
		return 0;
	if (vm_oci_translate(cfg, &copies, &err) == 0) {
		size_t i;
		json_t *v;
		json_array_foreach(copies, i, v)
			if (!json_string_value(json_object_get(v, "src")) ||
			    !json_string_value(json_object_get(v, "dst")))
				abort();
		json_array_foreach(json_object_get(cfg, "mounts"), i, v) {
			const char *t = json_string_value(json_object_get(v, "type"));
			if (t && !strcmp(t, "bind") &&
			    strcmp(json_string_value(json_object_get(v, "destination")), "/dev/shm"))
				abort();
		}
	}
	json_decref(copies);
	json_decref(cfg);
	return 0;
}
