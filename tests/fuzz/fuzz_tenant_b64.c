/* The host's decoder of agent output (stdout_b64/stderr_b64 of a wait
 * reply), and the reply parser, on arbitrary bytes from a hostile guest. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../host/tenant_b64.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t n = 0;
	if (tenant_b64_decode((const char *)data, size, &out, &n) == 0) {
		if (n > size / 4 * 3 + 3)
			abort();
		free(out);
	}
	json_error_t je;
	json_t *msg = json_loadb((const char *)data, size, 0, &je);
	if (msg) {
		json_t *res = NULL;
		struct bh_error err;
		bh_proto_parse_reply(msg, 1, &res, &err);
		json_decref(msg);
	}
	return 0;
}
